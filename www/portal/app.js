// The affiliate portal: sign in with a portal token (pasted, or from a magic link
// `…/portal/#token=at_…&shop=https://shop.example/`) or with a one-time link sent by email
// (`…/portal/#code=…`, exchanged for a session token `as_…`), then the affiliate's own links (every
// form, copy buttons, QR codes), a link to any page of the shop, the merchant's banners and text
// links with the affiliate's link in them, coupon codes, clicks, conversions, earnings by status,
// bonuses, EPC for a period, the payout history (each transfer sent, or on its way; any tax withheld from it) and
// where payouts go (PayPal, VietQR, PromptPay: the affiliate may change it), their postal address,
// and the tax certificates of a year to print. Talks only to GET and PATCH /v1/me, GET
// /v1/me/report, /v1/me/payouts, /v1/me/creatives, /v1/me/bonuses, /v1/me/campaigns (their
// campaigns: campaigns.js), /v1/me/recruits (their team: team.js) and /v1/me/withholding/certificates; before sign-in, to the sign-in routes and, for programs that
// take applications, to the application form's (apply.js).

import { affiliate, portalSignIn, portalJoin, ApiError } from '../shared/api.js';
import { t, pickLocale, intlLocale, num, pct, money, date, dateTime } from '../shared/i18n.js';
import { h, fill, loading, failure, empty, field, copyButton, shareButton, badge, languagePicker, notify } from '../shared/ui.js';
import { payoutFields } from '../shared/payout.js';
import { bankName } from '../shared/banks.js';
import { certificate, printCertificates, oneLine } from '../shared/certificate.js';
import { qrButton } from './qr.js';
import { deepLinkBox, creativesBox } from './promote.js';
import { applyInvite, applyForm } from './apply.js';
import { teamBox } from './team.js';
import { campaignsBox } from './campaigns.js';
import { shortLinksBox } from './short-links.js';
import { payoutRequestsBox } from './payout-requests.js';
import { postbackBox } from '../shared/postback.js';
import { dailyBox } from '../shared/daily.js';
import { clearCharts } from '../shared/charts.js';

const main = document.getElementById('main');
const top = document.getElementById('top');
const TOKEN = 'reftrail_portal_token';
const SHOP = 'reftrail_portal_shop';
// An embedding page that signs the affiliate in itself (the WordPress plugin: the login cookie and
// a REST nonce in REFTRAIL_PAGES.headers) sets REFTRAIL_PAGES.signedIn: no token is asked for, and
// signing out is the embedding site's (REFTRAIL_PAGES.signOutUrl).
const EMBEDDED = Boolean(window.REFTRAIL_PAGES?.signedIn);
// Portal tokens (`at_…`, from the merchant) and sessions (`as_…`, from an emailed link).
const TOKEN_RE = /^a[ts]_[A-Za-z0-9_-]{1,117}$/;
let me = null;
let days = '30';
// The program's public facts (GET /v1/portal/program), read once for the sign-in page.
let program = null;

async function publicProgram() {
  if (!program) program = await portalJoin.program().catch(() => null);
  return program;
}

/** The application form (`#apply`), for programs that take applications. */
function showApply(p) {
  if (location.hash !== '#apply') history.pushState(null, '', '#apply');
  header();
  fill(
    main,
    applyForm(p, () => {
      history.replaceState(null, '', location.pathname + location.search);
      signIn();
    }),
  );
  document.getElementById('apply-name').focus();
}

/**
 * Takes a magic link's token (and shop address) out of the address bar into this tab's storage;
 * returns an emailed link's one-time code, if any, to exchange.
 */
function readMagicLink() {
  const frag = new URLSearchParams(location.hash.slice(1));
  const token = frag.get('token');
  if (token && TOKEN_RE.test(token)) sessionStorage.setItem(TOKEN, token);
  const shop = frag.get('shop');
  if (shop && /^https?:\/\//.test(shop)) sessionStorage.setItem(SHOP, shop);
  const code = frag.get('code');
  if (token || shop || code) history.replaceState(null, '', location.pathname + location.search);
  return code && /^[A-Za-z0-9]{1,64}$/.test(code) ? code : null;
}

function shopUrl() {
  const meta = document.querySelector('meta[name="reftrail-shop-url"]');
  return sessionStorage.getItem(SHOP) || window.REFTRAIL_PAGES?.shopUrl || (meta && meta.content) || `${location.origin}/`;
}

/** The shop's colour on the portal's buttons and links, once the program's facts arrive. */
function wearBrand(p) {
  if (p?.accent_color) document.documentElement.style.setProperty('--brand', p.accent_color);
  header();
}

function header() {
  // The shop's name and logo when the program has them.
  const shop = program?.name || 'Reftrail';
  fill(
    top,
    h(
      'span',
      { class: 'brand' },
      program?.logo_url ? h('img', { class: 'logo', id: 'shop-logo', src: program.logo_url, alt: '', height: 28 }) : null,
      me ? `${shop} · ${me.affiliate.name}` : shop,
    ),
    languagePicker(() => (me ? render() : signIn())),
    me && !EMBEDDED ? h('button', { type: 'button', class: 'btn btn-small', id: 'sign-out', onclick: signOut }, t('dash.sign_out')) : null,
    me && EMBEDDED && window.REFTRAIL_PAGES.signOutUrl
      ? h(
          'button',
          { type: 'button', class: 'btn btn-small', id: 'sign-out', onclick: () => window.top.location.assign(window.REFTRAIL_PAGES.signOutUrl) },
          t('dash.sign_out'),
        )
      : null,
  );
}

function signOut() {
  sessionStorage.removeItem(TOKEN);
  me = null;
  signIn();
}

function signIn(error, note) {
  me = null;
  header();
  if (EMBEDDED) {
    // The embedding site's sign-in expired or is not an affiliate's: a reload asks it again.
    fill(main, failure(error || new ApiError(401, 'unauthorized'), () => location.reload()));
    return;
  }
  const token = h('input', { id: 'token', autocomplete: 'off', required: true, placeholder: 'at_…', spellcheck: 'false' });
  const invite = h('div', { id: 'apply-slot' });
  const msg = h(
    'div',
    { 'aria-live': 'assertive' },
    note ? h('p', { class: 'error-text', role: 'alert' }, note) : error ? failure(error) : null,
  );
  fill(
    main,
    h(
      'form',
      {
        class: 'card signin',
        onsubmit: async (e) => {
          e.preventDefault();
          const v = token.value.trim();
          if (!TOKEN_RE.test(v)) {
            fill(msg, h('p', { class: 'error-text', role: 'alert' }, t('portal.bad_token')));
            return;
          }
          sessionStorage.setItem(TOKEN, v);
          await boot();
        },
      },
      h('h1', {}, t('portal.sign_in_title')),
      h('p', { class: 'hint' }, t('portal.sign_in_hint')),
      field(t('portal.token'), token),
      h('button', { class: 'btn btn-primary', type: 'submit' }, t('dash.sign_in')),
      msg,
    ),
    emailForm(),
    invite,
  );
  token.focus();
  publicProgram().then((p) => {
    if (p && p.applications !== 'closed') fill(invite, applyInvite(p, () => showApply(p)));
  });
}

/** Asks for a sign-in link by email; says the same whether or not the address is known. */
function emailForm() {
  const email = h('input', { id: 'email', type: 'email', autocomplete: 'email', required: true, maxlength: '254' });
  const msg = h('div', { 'aria-live': 'polite' });
  const send = h('button', { class: 'btn', type: 'submit' }, t('portal.send_link'));
  return h(
    'form',
    {
      class: 'card signin',
      id: 'email-sign-in',
      onsubmit: async (e) => {
        e.preventDefault();
        send.disabled = true;
        try {
          await portalSignIn.link(email.value.trim());
          fill(msg, h('p', { class: 'hint', role: 'status' }, t('portal.link_sent')));
        } catch (err) {
          // A backend without email sign-in (no SMTP settings, or one that signs affiliates in
          // its own way, like WordPress) says so, or has no such route.
          const off = err instanceof ApiError && (err.code === 'email_sign_in_off' || err.status === 404);
          fill(msg, off ? h('p', { class: 'error-text', role: 'alert' }, t('portal.email_off')) : failure(err));
        } finally {
          send.disabled = false;
        }
      },
    },
    h('h2', {}, t('portal.email_title')),
    field(t('portal.email'), email),
    send,
    msg,
  );
}

/** Every link form for this affiliate on the shop's address. */
function links() {
  const base = shopUrl();
  const id = me.affiliate.id;
  const out = [];
  for (const p of me.link_params) {
    const u = new URL(base);
    u.searchParams.set(p, id);
    out.push([`?${p}=`, u.toString()]);
  }
  const f = new URL(base);
  f.hash = `${me.link_params[0] || 'ref'}=${encodeURIComponent(id)}`;
  out.push([`#${me.link_params[0] || 'ref'}=`, f.toString()]);
  const path = new URL(base);
  path.pathname = `${path.pathname.replace(/\/?$/, '/')}ref/${encodeURIComponent(id)}/`;
  out.push(['/ref/…/', path.toString()]);
  return out;
}

/** What a money entry of the affiliate's report says they earned in the period. */
const earned = (m) => m.commissions + m.bonuses + (m.recruiter_commissions || 0);

function card(id, label, value, raw, sub) {
  return h('div', { class: 'kpi', dataset: { kpi: id, raw: raw ?? '' } }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, value), sub ? h('div', { class: 'sub' }, sub) : null);
}

/** `url` (their first link) with the sub ids a tracker adds, as the postback box shows it. */
function subsExample(url) {
  if (!url) return '';
  const u = new URL(url);
  u.searchParams.set('sub1', 'X');
  return u.toString().replace('sub1=X', 'sub1=…');
}

async function render() {
  header();
  clearCharts();
  fill(main, loading());
  // A minute ahead: times are whole seconds and `to` is exclusive.
  const to = new Date(Date.now() + 60000);
  const from = new Date(Date.now() - Number(days) * 86400000);
  const iso = (d) => d.toISOString().replace(/\.\d+Z$/, 'Z');
  let report;
  let history;
  let promo;
  let gifts;
  let promoted;
  let team;
  let campaigns;
  let shortLinks;
  let requests;
  const api = affiliate(sessionStorage.getItem(TOKEN));
  try {
    [report, history, promo, gifts, promoted, team, campaigns, shortLinks, requests] = await Promise.all([
      api.report({ from: iso(from), to: iso(to) }),
      api.payouts({ limit: 100 }),
      api.creatives({ limit: 100 }),
      api.bonuses({ limit: 100 }),
      api.creativeReport(),
      api.recruits(),
      api.campaigns({ from: iso(from), to: iso(to) }),
      api.links(),
      // A backend without payout requests answers 404: the portal goes on without them.
      api.payoutRequests().catch((err) => (err instanceof ApiError && err.status === 404 ? { requests: [] } : Promise.reject(err))),
    ]);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return signIn(err);
    fill(main, failure(err, render));
    return;
  }
  const k = report.kpis;
  const a = me.affiliate;
  // Their own rate, else their category's: a percent or an amount per sale; any other kind,
  // or none, reads as the program's.
  const own = a.commission?.sale || me.category_commission?.sale;
  const rateText =
    own?.type === 'percent'
      ? `${own.rate_bps / 100} %`
      : own?.type === 'flat'
        ? t('dash.rate_flat', { amount: Object.entries(own.amounts).map(([c, v]) => money(v, c)).join(' / ') })
        : t('portal.program_rate');
  const currencies = [...new Set([...me.balances.map((b) => b.currency), ...k.money.map((m) => m.currency)])];
  // The chart of every link, or of one campaign's.
  const dailyFor = (campaign) => dailyBox(() => api.daily({ from: iso(from), to: iso(to), ...(campaign ? { campaign } : {}) }));
  let daily = dailyFor('');
  const named = campaigns.rows.map((r) => r.campaign).filter((c) => c !== null);
  const dailyCampaign = named.length
    ? h(
        'div',
        { class: 'toolbar' },
        field(
          t('portal.daily_campaign'),
          h(
            'select',
            {
              id: 'daily-campaign',
              onchange: (e) => {
                const next = dailyFor(e.target.value);
                daily.replaceWith(next);
                daily = next;
              },
            },
            h('option', { value: '' }, t('portal.all_campaigns')),
            named.map((c) => h('option', { value: c }, c)),
          ),
        ),
      )
    : null;
  const period = h(
    'select',
    { id: 'period', onchange: (e) => { days = e.target.value; render(); } },
    ['7', '30', '90', '365'].map((d) => h('option', { value: d, selected: d === days }, t('dash.last_days', { n: d }))),
  );

  const kpis = h(
    'section',
    { class: 'grid', 'aria-label': t('dash.kpis') },
    card('clicks', t('kpi.clicks'), num(k.clicks), k.clicks, t('kpi.unique', { n: num(k.unique_visitors) })),
    card('sales', t('portal.conversions'), num(k.sales.net), k.sales.net, t('portal.leads', { n: num(k.leads.net) })),
    card('conversion_rate', t('kpi.conversion_rate'), pct(k.conversion_rate, 2), k.conversion_rate),
    k.money.map((m) => [
      // Earnings: commission, bonuses and the shares of recruits' commissions alike.
      card(
        `earnings_${m.currency}`,
        t('portal.earnings', { currency: m.currency }),
        money(earned(m), m.currency),
        earned(m),
        [
          m.bonuses ? t('portal.earnings_bonuses', { v: money(m.bonuses, m.currency) }) : null,
          m.recruiter_commissions ? t('portal.earnings_recruits', { v: money(m.recruiter_commissions, m.currency) }) : null,
        ]
          .filter(Boolean)
          .join(' · ') || null,
      ),
      card(`epc_${m.currency}`, t('kpi.epc'), money(m.epc_per_100, m.currency), m.epc_per_100, t('kpi.epc_hint')),
    ]),
  );

  const balances = me.balances.length
    ? h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'stack', id: 'balances' },
          h('thead', {}, h('tr', {}, [t('dash.currency'), t('status.pending'), t('status.approved'), t('status.paid')].map((c, i) => h('th', { scope: 'col', class: i ? 'num' : null }, c)))),
          h(
            'tbody',
            {},
            me.balances.map((b) =>
              h(
                'tr',
                { dataset: { currency: b.currency, pending: b.pending, approved: b.approved, paid: b.paid } },
                h('td', { 'data-label': t('dash.currency') }, b.currency),
                h('td', { class: 'num', 'data-label': t('status.pending') }, money(b.pending, b.currency)),
                h(
                  'td',
                  { class: 'num', 'data-label': t('status.approved') },
                  money(b.approved, b.currency),
                  // Below the program's smallest payout (a sum of its own currency), it waits: say how far it is.
                  b.approved > 0 && b.currency === me.min_payout_currency && b.approved < (me.min_payout || 0)
                    ? h('small', { class: 'hint to-go' }, h('br'), t('portal.to_min_payout', { min: money(me.min_payout, b.currency), left: money(me.min_payout - b.approved, b.currency) }))
                    : null,
                ),
                h('td', { class: 'num', 'data-label': t('status.paid') }, money(b.paid, b.currency)),
              ),
            ),
          ),
        ),
      )
    : empty(t('portal.no_earnings'), t('portal.no_earnings_next'));

  const refs = report.referrals.length
    ? h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'stack', id: 'my-referrals' },
          h('thead', {}, h('tr', {}, [t('dash.when'), t('dash.kind'), t('dash.amount'), t('portal.commission'), t('dash.status')].map((c, i) => h('th', { scope: 'col', class: i === 2 || i === 3 ? 'num' : null }, c)))),
          h(
            'tbody',
            {},
            report.referrals.map((r) =>
              h(
                'tr',
                { dataset: { id: r.id, status: r.status, commission: r.commission } },
                h('td', { 'data-label': t('dash.when') }, dateTime(r.at)),
                h('td', { 'data-label': t('dash.kind') }, r.kind === 'lead' ? t('dash.lead') : t('dash.sale'), r.campaign ? h('small', { class: 'hint campaign' }, ` · ${r.campaign}`) : null),
                h('td', { class: 'num', 'data-label': t('dash.amount') }, r.kind === 'sale' ? money(r.amount, r.currency) : '—'),
                h('td', { class: 'num', 'data-label': t('portal.commission') }, money(r.commission, r.currency)),
                h('td', { 'data-label': t('dash.status') }, badge(t(`status.${r.status}`), r.status)),
              ),
            ),
          ),
        ),
      )
    : empty(t('portal.no_referrals'), t('portal.no_referrals_next'));

  const certificates = certificatesBox();
  // Where the affiliate's links go and with which parameter, for deep links and creatives.
  const linking = { shop: shopUrl(), param: me.link_params[0] || 'ref', id: a.id };
  const paid = report.referrals.filter((r) => r.status === 'paid');
  const cols = [t('portal.paid_at'), t('dash.amount'), t('portal.payout_referrals'), t('portal.payout_ref'), t('portal.sent_to'), t('dash.status')];
  const payoutsBox = history.payouts.length
    ? h(
        'div',
        {},
        h('p', {}, t('portal.paid_total'), ': ', me.balances.filter((b) => b.paid).map((b) => money(b.paid, b.currency)).join(' · ')),
        paid.length ? h('p', { class: 'hint' }, t('portal.paid_in_period', { n: num(paid.length) })) : null,
        // The total is what the payouts settled; with tax withheld, each row shows what arrived.
        history.payouts.some((p) => p.withheld > 0) ? h('p', { class: 'hint', id: 'paid-total-gross' }, t('portal.paid_total_gross')) : null,
        h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'stack', id: 'payout-history' },
            h('thead', {}, h('tr', {}, cols.map((c, i) => h('th', { scope: 'col', class: i === 1 || i === 2 ? 'num' : null }, c)))),
            h(
              'tbody',
              {},
              history.payouts.map((p) =>
                h(
                  'tr',
                  { dataset: { id: p.id, amount: p.amount, withheld: p.withheld ?? 0, currency: p.currency } },
                  h('td', { 'data-label': cols[0] }, dateTime(p.at)),
                  h(
                    'td',
                    { class: 'num', 'data-label': cols[1] },
                    p.withheld > 0
                      ? // One element, so that it stays one piece beside its label at phone width.
                        h('span', {}, money(p.amount, p.currency), h('small', { class: 'hint tax-withheld' }, t('portal.tax_withheld', { withheld: money(p.withheld, p.currency), gross: money(p.gross, p.currency) })))
                      : money(p.amount, p.currency),
                  ),
                  h('td', { class: 'num', 'data-label': cols[2] }, num(p.referrals), p.bonuses ? h('small', { class: 'hint payout-bonuses' }, ` · ${t('portal.payout_bonuses', { n: num(p.bonuses) })}`) : null, p.recruiter_commissions ? h('small', { class: 'hint payout-recruits' }, ` · ${t('portal.payout_recruits', { n: num(p.recruiter_commissions) })}`) : null),
                  h('td', { 'data-label': cols[3] }, h('code', {}, p.id), p.note ? ` · ${p.note}` : null),
                  h('td', { 'data-label': cols[4] }, p.paypal_email ?? [t(`dash.method_${p.method}`), ' · ', h('code', {}, p.account)]),
                  // The merchant ticks the transfer off once sent; until then it is on its way.
                  h('td', { 'data-label': cols[5], class: 'transfer' }, p.sent_at ? badge(t('portal.sent_on', { date: date(p.sent_at) }), 'ok') : badge(t('portal.on_its_way'), 'pending')),
                ),
              ),
            ),
          ),
        ),
        h('p', { class: 'hint' }, t('portal.payouts_hint')),
      )
    : h('div', { id: 'payout-history' }, empty(t('portal.no_payouts'), t('portal.no_payouts_next')));

  fill(
    main,
    h('h1', {}, t('portal.hello', { name: a.name })),
    h(
      'p',
      { class: 'hint' },
      t('portal.rate', { rate: rateText }),
    ),
    h('div', { class: 'toolbar' }, field(t('dash.period'), period)),
    kpis,
    dailyCampaign,
    daily,
    h('h2', {}, t('portal.your_links')),
    h(
      'section',
      { class: 'card', id: 'links' },
      links().map(([form, url]) => {
        const [qr, box] = qrButton(url);
        return h('div', { class: 'link-row', dataset: { form } }, h('code', {}, form), h('code', { class: 'link' }, url), h('div', { class: 'actions' }, copyButton(url), qr, shareButton(url)), box);
      }),
      h('p', { class: 'hint' }, t('portal.links_hint')),
    ),
    h('h2', {}, t('portal.deep_title')),
    deepLinkBox(linking),
    h('h2', {}, t('portal.short_links')),
    shortLinksBox(api, shortLinks.links, linking),
    h('h2', {}, t('portal.creatives')),
    creativesBox(promo.creatives, linking, promoted),
    h('h2', {}, t('portal.coupons')),
    a.coupons.length
      ? h('section', { class: 'card', id: 'coupons' }, a.coupons.map((c) => h('div', { class: 'link-row' }, h('code', {}, t('dash.coupon_form')), h('code', {}, c), copyButton(c))), h('p', { class: 'hint' }, t('portal.coupons_hint')))
      : empty(t('portal.no_coupons'), t('portal.no_coupons_next')),
    h('h2', {}, t('portal.campaigns')),
    campaignsBox(campaigns, linking),
    h('h2', {}, t('portal.earnings_by_status')),
    balances,
    payoutRequestsBox(api, me, requests.requests, render),
    gifts.bonuses.length ? [h('h2', {}, t('portal.bonuses')), bonusesBox(gifts.bonuses)] : null,
    teamBox(team, a.id),
    h('h2', {}, t('portal.payouts')),
    payoutsBox,
    h('h2', { id: 'payout-details-title' }, t('portal.payout_details')),
    payoutDetails(),
    h('h2', { id: 'address-title' }, t('portal.address')),
    // The certificates name the address as it is now: a new one redraws them.
    addressBox(() => certificates.load()),
    h('h2', { id: 'certificates-title' }, t('portal.certificates')),
    certificates.section,
    h('h2', {}, t('portal.referrals')),
    refs,
    currencies.length > 1 ? h('p', { class: 'hint' }, t('portal.currencies', { list: currencies.join(', ') })) : null,
    h('h2', {}, t('portal.emails')),
    emailsBox(),
    h('h2', { id: 'postback-title' }, t('pb.title')),
    postbackBox({
      load: api.postback,
      save: api.setPostback,
      test: api.testPostback,
      example: subsExample(links()[0]?.[1]),
    }),
  );
}

/** The bonuses the merchant gave, newest first: when, how much, what for, paid or to be paid. */
function bonusesBox(bonuses) {
  const cols = [t('dash.when'), t('dash.amount'), t('portal.bonus_reason'), t('dash.status')];
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'stack', id: 'my-bonuses' },
      h('thead', {}, h('tr', {}, cols.map((c, i) => h('th', { scope: 'col', class: i === 1 ? 'num' : null }, c)))),
      h(
        'tbody',
        {},
        bonuses.map((b) =>
          h(
            'tr',
            { dataset: { id: b.id, status: b.status } },
            h('td', { 'data-label': cols[0] }, dateTime(b.created_at)),
            h('td', { class: 'num', 'data-label': cols[1] }, money(b.amount, b.currency)),
            h('td', { 'data-label': cols[2] }, b.reason),
            h('td', { 'data-label': cols[3] }, b.status === 'paid' ? badge(t('status.paid'), 'paid') : badge(t('portal.bonus_next_payout'), 'approved')),
          ),
        ),
      ),
    ),
    h('p', { class: 'hint' }, t('portal.bonuses_hint')),
  );
}

/**
 * Where the affiliate's payouts go, and a form to change it. The server emails their contact
 * address about every change (when it sends emails at all), so a change by someone else who got
 * hold of the portal link does not go unnoticed.
 */
function payoutDetails() {
  const now = h('dl', { id: 'payout-now', class: 'payout-now' });
  const status = h('div', { id: 'payout-status', role: 'status', 'aria-live': 'polite' });
  const formBox = h('div', {});
  const change = h('button', { type: 'button', class: 'btn', id: 'payout-change', onclick: () => open() }, t('portal.payout_change'));

  const draw = () => {
    const a = me.affiliate;
    const p = a.payout;
    const row = (key, label, value) => [h('dt', {}, label), h('dd', { dataset: { field: key } }, value)];
    const paypal = a.payout_email || a.email;
    fill(
      now,
      row('method', t('dash.payout_method'), t(`dash.method_${p ? p.method : 'paypal'}`)),
      p
        ? [
            p.bank ? row('bank', t('dash.bank'), bankName(p.bank)) : null,
            row('account', p.method === 'promptpay' ? t('dash.promptpay_id') : t('dash.bank_account'), h('code', {}, p.account)),
            p.name ? row('name', t('dash.account_name'), p.name) : null,
          ]
        : row(
            'email',
            t('dash.payout_email'),
            paypal
              ? [paypal, a.payout_email ? null : [' ', h('small', { class: 'hint' }, t('portal.paypal_contact'))]]
              : h('span', { class: 'error-text' }, t('portal.paypal_none')),
          ),
    );
  };
  const close = () => {
    formBox.replaceChildren();
    change.hidden = false;
  };
  const open = () => {
    const a = me.affiliate;
    // The PayPal email paid now (the contact address when none is set), so that it is always
    // plain where PayPal payouts go; an affiliate without either has to give one.
    const paypalNow = a.payout_email || a.email || '';
    const fields = payoutFields(a, {
      prefix: 'my-',
      email: paypalNow,
      emailRequired: true,
      hints: { email: t('portal.payout_email_hint'), holder: t('portal.account_name_hint') },
    });
    const msg = h('div', { 'aria-live': 'assertive' });
    const save = h('button', { class: 'btn btn-primary', type: 'submit' }, t('ui.save'));
    const form = h(
      'form',
      {
        class: 'payout-form',
        id: 'payout-form',
        onsubmit: async (e) => {
          e.preventDefault();
          form.querySelectorAll('[aria-invalid]').forEach((el) => el.removeAttribute('aria-invalid'));
          if (!form.reportValidity()) return;
          const body = { payout: fields.value() };
          const email = fields.email.value.trim();
          // Left as shown, an unset PayPal email stays unset: payouts keep following the contact
          // address if that changes. The contact address typed back removes a PayPal email of its
          // own, for the same reason.
          if (body.payout === null && email !== paypalNow) body.payout_email = email === a.email ? null : email;
          save.disabled = true;
          status.replaceChildren();
          fill(msg, loading(t('ui.saving')));
          try {
            me = await affiliate(sessionStorage.getItem(TOKEN)).updateMe(body);
          } catch (err) {
            save.disabled = false;
            fill(msg, failure(err));
            fields.markInvalid(err.code);
            return;
          }
          draw();
          close();
          fill(status, h('p', { class: 'hint' }, me.affiliate.email ? t('portal.payout_saved_emailed', { email: me.affiliate.email }) : t('ui.saved')));
          change.focus();
        },
      },
      h('div', { class: 'fields' }, fields.fields),
      msg,
      h(
        'div',
        { class: 'row' },
        save,
        h('button', { type: 'button', class: 'btn', id: 'payout-cancel', onclick: () => { close(); change.focus(); } }, t('ui.cancel')),
      ),
    );
    change.hidden = true;
    fill(formBox, form);
    fields.method.focus();
  };

  draw();
  return h('section', { class: 'card', id: 'payout-details', 'aria-labelledby': 'payout-details-title' }, now, status, change, formBox);
}

/**
 * The affiliate's postal address, which their tax certificates name; empty removes it. `saved`
 * is called once a change is kept.
 */
function addressBox(saved) {
  const input = h('textarea', { id: 'my-address', rows: 2, maxlength: 600, autocomplete: 'street-address', 'aria-describedby': 'my-address-hint' });
  input.value = me.affiliate.address || '';
  const msg = h('div', { 'aria-live': 'polite' });
  const save = h('button', { class: 'btn', type: 'submit', id: 'address-save' }, t('ui.save'));
  const form = h(
    'form',
    {
      class: 'card',
      id: 'address-form',
      'aria-labelledby': 'address-title',
      onsubmit: async (e) => {
        e.preventDefault();
        input.removeAttribute('aria-invalid');
        save.disabled = true;
        fill(msg, loading(t('ui.saving')));
        try {
          me = await affiliate(sessionStorage.getItem(TOKEN)).updateMe({ address: oneLine(input.value) || null });
          input.value = me.affiliate.address || '';
          fill(msg, h('p', { class: 'hint', role: 'status' }, t('ui.saved')));
          saved();
        } catch (err) {
          fill(msg, failure(err));
          if (err.code === 'invalid_address') {
            input.setAttribute('aria-invalid', 'true');
            input.focus();
          }
        }
        save.disabled = false;
      },
    },
    h('div', { class: 'field' }, h('label', { for: 'my-address' }, t('portal.address_label')), input, h('small', { class: 'hint', id: 'my-address-hint' }, t('portal.address_hint'))),
    h('div', { class: 'row' }, save),
    msg,
  );
  return form;
}

/** The first year a certificate can be asked for. */
const FIRST_YEAR = 2020;

/** A year as the UI language counts it (Thai: the Buddhist era, พ.ศ. 2569 for 2026). */
const yearLabel = (y) => new Intl.DateTimeFormat(intlLocale(), { year: 'numeric', timeZone: 'UTC' }).format(new Date(Date.UTC(Number(y), 6, 1)));

/**
 * The tax certificates of a year (January to December): per currency what was paid, the tax
 * withheld and what arrived, each to print. Answers the card and `load()`, which draws them anew.
 */
function certificatesBox() {
  const thisYear = new Date().getFullYear();
  const years = [];
  for (let y = thisYear; y >= FIRST_YEAR; y--) years.push(y);
  const year = h('select', { id: 'certificate-year' }, years.map((y) => h('option', { value: y }, yearLabel(y))));
  const out = h('div', { id: 'certificate-list', 'aria-live': 'polite' });
  let latest = 0;
  const load = async () => {
    const asked = ++latest;
    const y = year.value;
    fill(out, loading());
    let answer;
    try {
      answer = await affiliate(sessionStorage.getItem(TOKEN)).certificates({ from: `${y}-01-01`, to: `${y}-12-31` });
    } catch (err) {
      if (asked === latest) fill(out, failure(err, load));
      return;
    }
    // A newer question (another year, a new address) is on its way: its answer draws the list.
    if (asked !== latest) return;
    if (!answer.certificates.length) {
      fill(out, h('p', { id: 'no-certificates' }, t('portal.certificates_none', { year: yearLabel(y) })));
      return;
    }
    const cols = [t('dash.currency'), t('cert.amount_paid'), t('cert.withheld'), t('cert.received'), ''];
    fill(
      out,
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'stack' },
          h('thead', {}, h('tr', {}, cols.map((c, i) => h('th', { scope: 'col', class: i && i < 4 ? 'num' : null }, c)))),
          h(
            'tbody',
            {},
            answer.certificates.map((c) =>
              h(
                'tr',
                { dataset: { currency: c.currency, gross: c.gross, withheld: c.withheld, paid: c.paid } },
                h('td', { 'data-label': cols[0] }, c.currency),
                h('td', { class: 'num', 'data-label': cols[1] }, money(c.gross, c.currency)),
                h('td', { class: 'num', 'data-label': cols[2] }, money(c.withheld, c.currency)),
                h('td', { class: 'num', 'data-label': cols[3] }, money(c.paid, c.currency)),
                h(
                  'td',
                  {},
                  answer.payer
                    ? h(
                        'button',
                        {
                          type: 'button',
                          class: 'btn btn-small',
                          dataset: { action: 'print' },
                          'aria-label': t('portal.print_certificate', { currency: c.currency, year: yearLabel(y) }),
                          onclick: () => printCertificates([certificate(c, answer.payer, { period: { from: answer.from, to: answer.to } })]),
                        },
                        t('dash.print'),
                      )
                    : null,
                ),
              ),
            ),
          ),
        ),
      ),
      // Without the shop's details the paper would name no payer: nothing to print yet.
      answer.payer ? null : h('p', { class: 'hint', id: 'no-payer' }, t('portal.certificates_no_payer')),
    );
  };
  year.addEventListener('change', load);
  load();
  return {
    section: h('section', { class: 'card', id: 'certificates', 'aria-labelledby': 'certificates-title' }, h('p', { class: 'hint' }, t('portal.certificates_hint')), h('div', { class: 'toolbar' }, field(t('portal.year'), year)), out),
    load,
  };
}

/** The affiliate's own email choice: the message about each new referral, on or off. */
function emailsBox() {
  const box = h('input', {
    type: 'checkbox',
    id: 'referral-emails',
    checked: me.referral_emails !== false,
    onchange: async () => {
      box.disabled = true;
      try {
        me = await affiliate(sessionStorage.getItem(TOKEN)).updateMe({ referral_emails: box.checked });
        notify(t('ui.saved'));
      } catch (err) {
        box.checked = !box.checked;
        notify(err.code ? `${err.message} (${err.code})` : String(err), 'bad');
      }
      box.disabled = false;
    },
  });
  return h('section', { class: 'card', id: 'emails' }, h('label', {}, box, ' ', t('portal.referral_emails')), h('p', { class: 'hint' }, t('portal.referral_emails_hint')));
}

async function boot() {
  pickLocale({});
  publicProgram().then(wearBrand);
  const code = readMagicLink();
  if (code && !EMBEDDED) {
    header();
    fill(main, loading());
    try {
      sessionStorage.setItem(TOKEN, (await portalSignIn.session(code)).token);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return signIn(null, t('portal.link_used'));
      return signIn(err);
    }
  }
  const token = sessionStorage.getItem(TOKEN);
  if (!token && !EMBEDDED && location.hash === '#apply') {
    const p = await publicProgram();
    if (p && p.applications !== 'closed') {
      pickLocale({ program: p });
      return showApply(p);
    }
  }
  if (!token && !EMBEDDED) return signIn();
  header();
  fill(main, loading());
  try {
    me = await affiliate(token).me();
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
      sessionStorage.removeItem(TOKEN);
      return signIn(err);
    }
    fill(main, failure(err, boot));
    return;
  }
  // The program's language, unless the affiliate picked another.
  pickLocale({ program: me });
  await render();
}

window.addEventListener('hashchange', () => {
  if (location.hash.includes('token=') || location.hash.includes('code=')) boot();
});
boot();
