// The merchant dashboard: sign in (POST /v1/session, CSRF token kept for the page's life), then
// one view per hash route. Talks only to the v1 contract (../shared/api.js).

import { session, merchant, ApiError } from '../shared/api.js';
import { t, pickLocale } from '../shared/i18n.js';
import { h, fill, loading, failure, field, languagePicker } from '../shared/ui.js';
import { currentRoute } from './route.js';
import { overview } from './overview.js';
import { ledger } from './ledger.js';
import { affiliates } from './affiliates.js';
import { payouts } from './payouts.js';
import { settings } from './settings.js';
import { privacy } from './privacy.js';
import { certificates } from './certificates.js';
import { creatives } from './creatives.js';
import { activity } from './activity.js';

const main = document.getElementById('main');
const top = document.getElementById('top');
const ROUTES = { overview, referrals: ledger, affiliates, creatives, payouts, privacy, settings };
// Views opened from another one, which the navigation keeps showing as the current page.
const SUBVIEWS = { certificates: [certificates, 'payouts'], activity: [activity, 'settings'] };
const view = (name) => (Object.hasOwn(ROUTES, name) ? ROUTES[name] : Object.hasOwn(SUBVIEWS, name) ? SUBVIEWS[name][0] : null);

/** What every view gets: the API, the program, and a way to re-render. */
const ctx = { api: null, program: null, csrf: null, render: () => route() };

function routeName() {
  const name = currentRoute();
  return view(name) ? name : 'overview';
}

function nav() {
  const current = Object.hasOwn(SUBVIEWS, routeName()) ? SUBVIEWS[routeName()][1] : routeName();
  fill(
    top,
    h('span', { class: 'brand' }, ctx.program ? `Reftrail · ${ctx.program.name}` : 'Reftrail'),
    ctx.api
      ? h(
          'nav',
          { 'aria-label': t('dash.nav') },
          Object.keys(ROUTES).map((name) =>
            h('a', { href: `#/${name}`, 'aria-current': name === current ? 'page' : null }, t(`dash.nav_${name}`)),
          ),
        )
      : null,
    languagePicker(() => {
      nav();
      route();
    }),
    ctx.api ? h('button', { type: 'button', class: 'btn btn-small', id: 'sign-out', onclick: signOut }, t('dash.sign_out')) : null,
  );
}

async function route() {
  nav();
  document.title = `${t(`dash.nav_${routeName()}`)} · Reftrail`;
  // Each rendering draws into its own box: a slower one that a newer one replaced (a page
  // re-drawn after a save while the person already went elsewhere) fills a box no longer shown.
  const box = h('div', { class: 'view' });
  fill(main, box);
  fill(box, loading());
  try {
    await view(routeName())(box, ctx);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return main.contains(box) ? signIn() : undefined;
    fill(box, failure(err, route));
  }
}

async function signOut() {
  try {
    await session.remove(ctx.csrf);
  } catch (e) {
    // Already signed out.
  }
  ctx.api = null;
  ctx.csrf = null;
  signIn();
}

function signIn(error) {
  ctx.api = null;
  nav();
  const pw = h('input', { type: 'password', id: 'password', autocomplete: 'current-password', required: true });
  const msg = h('div', { 'aria-live': 'assertive' }, error ? failure(error) : null);
  const form = h(
    'form',
    {
      class: 'card signin',
      onsubmit: async (e) => {
        e.preventDefault();
        if (!pw.value) return pw.focus();
        const btn = form.querySelector('button');
        btn.disabled = true;
        fill(msg, loading(t('dash.signing_in')));
        try {
          const s = await session.create(pw.value);
          await start(s.csrf_token);
        } catch (err) {
          btn.disabled = false;
          fill(msg, failure(err));
          pw.select();
        }
      },
    },
    h('h1', {}, t('dash.sign_in_title')),
    h('p', { class: 'hint' }, t('dash.sign_in_hint')),
    field(t('dash.password'), pw),
    h('button', { class: 'btn btn-primary', type: 'submit' }, t('dash.sign_in')),
    msg,
  );
  fill(main, form);
  pw.focus();
}

async function start(csrf) {
  ctx.csrf = csrf;
  ctx.api = merchant(csrf);
  ctx.program = await ctx.api.program();
  pickLocale({ program: ctx.program });
  await route();
}

async function boot() {
  pickLocale({});
  nav();
  try {
    const s = await session.show();
    await start(s.csrf_token);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) signIn();
    else fill(main, failure(err, boot));
  }
}

window.addEventListener('hashchange', () => ctx.api && route());
boot();
