// The merchant dashboard: sign in (POST /v1/session, CSRF token kept for the page's life; or an
// invitation's `#invite=` link, which sets a team member's password first), then one view per
// hash route, as far as the session's role reaches. Talks only to the v1 contract
// (../shared/api.js).

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
import { deliveries } from './deliveries.js';
import { team } from './team.js';
import { account } from './account.js';

const main = document.getElementById('main');
const top = document.getElementById('top');
const ROUTES = { overview, referrals: ledger, affiliates, creatives, payouts, privacy, settings, team };
// The owner's pages: a manager or a viewer is not shown them (the server refuses them too).
const OWNER_ONLY = ['privacy', 'team'];
// Views opened from another one, which the navigation keeps showing as the current page.
const SUBVIEWS = { certificates: [certificates, 'payouts'], activity: [activity, 'settings'], deliveries: [deliveries, 'settings'], account: [account, ''] };
const view = (name) => (Object.hasOwn(ROUTES, name) ? ROUTES[name] : Object.hasOwn(SUBVIEWS, name) ? SUBVIEWS[name][0] : null);

/**
 * What every view gets: the API, the program, who is signed in (`role`: owner, manager or viewer;
 * `member`: the team member, none for the owner's password; `team`: whether this server keeps
 * the team), and a way to re-render.
 */
const ctx = {
  api: null,
  program: null,
  csrf: null,
  role: 'owner',
  member: null,
  team: false,
  twoFactorDue: false,
  render: () => route(),
  nav: () => nav(),
  // Starts again from the session (after setting up two factors the team requires).
  restart: async () => start(await session.show()),
};

/** Whether the signed-in person is shown the page `name`. */
function shown(name) {
  if (name === 'team' && !ctx.team) return false;
  // A member's own account is this server's (WordPress keeps its users' in its profile page).
  if (name === 'account' && !(ctx.member && ctx.team)) return false;
  return ctx.role === 'owner' || !OWNER_ONLY.includes(name);
}

function routeName() {
  // A member the team requires two factors of reaches only their account until they set it up.
  if (ctx.twoFactorDue) return 'account';
  const name = currentRoute();
  return view(name) && shown(name) ? name : 'overview';
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
          Object.keys(ROUTES).filter((name) => shown(name) && !ctx.twoFactorDue).map((name) =>
            h('a', { href: `#/${name}`, 'aria-current': name === current ? 'page' : null }, t(`dash.nav_${name}`)),
          ),
        )
      : null,
    ctx.api && ctx.member
      ? h(
          ctx.team ? 'a' : 'span',
          { class: 'who', id: 'signed-in-as', href: ctx.team ? '#/account' : null, title: ctx.team ? t('dash.nav_account') : null },
          t('dash.signed_in_as', { name: ctx.member.name || ctx.member.email, role: t(`dash.role_${ctx.role}`) }),
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
  // The box carries the role: a viewer's hides every control marked `write` (dashboard.css).
  const box = h('div', { class: 'view', dataset: { role: ctx.role } });
  fill(main, ctx.role === 'viewer' ? h('p', { class: 'hint read-only', id: 'read-only' }, t('dash.read_only')) : null, box);
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
  ctx.member = null;
  signIn();
}

function signIn(error) {
  ctx.api = null;
  nav();
  const email = h('input', { type: 'email', id: 'email', autocomplete: 'username', maxlength: 254 });
  const pw = h('input', { type: 'password', id: 'password', autocomplete: 'current-password', required: true });
  // Asked for once the password is right and the member signs in with two factors.
  const code = h('input', { id: 'code', autocomplete: 'one-time-code', maxlength: 12, spellcheck: 'false' });
  const codeField = field(t('dash.code'), code, t('dash.code_hint'));
  codeField.hidden = true;
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
          await start(await session.create(pw.value, email.value.trim(), code.value.trim()));
        } catch (err) {
          btn.disabled = false;
          if (err.code === 'two_factor_required' || err.code === 'two_factor_failed') {
            codeField.hidden = false;
            code.required = true;
            fill(msg, err.code === 'two_factor_failed' ? failure(err) : null);
            code.value = '';
            return code.focus();
          }
          fill(msg, failure(err));
          pw.select();
        }
      },
    },
    h('h1', {}, t('dash.sign_in_title')),
    h('p', { class: 'hint' }, t('dash.sign_in_hint')),
    field(t('dash.sign_in_email'), email, t('dash.sign_in_email_hint')),
    field(t('dash.password'), pw),
    codeField,
    h('button', { class: 'btn btn-primary', type: 'submit' }, t('dash.sign_in')),
    msg,
  );
  fill(main, form);
  pw.focus();
}

/** An invitation's link (`#invite=ti_…`): the member sets their password and is signed in. */
function acceptInvite(token) {
  ctx.api = null;
  nav();
  const pw = h('input', { type: 'password', id: 'new-password', autocomplete: 'new-password', required: true, minlength: 10, maxlength: 200 });
  const again = h('input', { type: 'password', id: 'new-password-again', autocomplete: 'new-password', required: true });
  const msg = h('div', { 'aria-live': 'assertive' });
  const form = h(
    'form',
    {
      class: 'card signin',
      id: 'accept-invite',
      onsubmit: async (e) => {
        e.preventDefault();
        if (pw.value !== again.value) {
          fill(msg, h('p', { class: 'error-text', role: 'alert' }, t('dash.password_mismatch')));
          return again.focus();
        }
        const btn = form.querySelector('button');
        btn.disabled = true;
        fill(msg, loading(t('dash.signing_in')));
        try {
          const s = await session.accept(token, pw.value);
          // The token is spent: it leaves the address bar and the history.
          history.replaceState(null, '', '#/overview');
          await start(s);
        } catch (err) {
          btn.disabled = false;
          fill(msg, failure(err));
        }
      },
    },
    h('h1', {}, t('dash.invite_title')),
    h('p', { class: 'hint' }, t('dash.invite_hint')),
    field(t('dash.password_new'), pw),
    field(t('dash.password_again'), again),
    h('button', { class: 'btn btn-primary', type: 'submit' }, t('dash.invite_accept')),
    msg,
  );
  fill(main, form);
  pw.focus();
}

/** Starts the signed-in dashboard from a session's answer. */
async function start(s) {
  const csrf = s.csrf_token;
  ctx.role = s.role || 'owner';
  ctx.member = s.member || null;
  ctx.team = s.team === true;
  ctx.csrf = csrf;
  ctx.api = merchant(csrf);
  ctx.twoFactorDue = s.two_factor_setup_required === true;
  // Until then the program is not theirs to read: the pages speak the browser's language.
  ctx.program = ctx.twoFactorDue ? null : await ctx.api.program();
  pickLocale({ program: ctx.program });
  await route();
}

async function boot() {
  pickLocale({});
  nav();
  // A malformed token still gets the form: the server's answer says what is wrong with it.
  const invite = /^#invite=(.*)$/.exec(location.hash);
  if (invite) return acceptInvite(invite[1]);
  try {
    await start(await session.show());
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) signIn();
    else fill(main, failure(err, boot));
  }
}

window.addEventListener('hashchange', () => ctx.api && route());
boot();
