// The one place that calls fetch: the v1 contract under a configurable base URL, so the same
// pages run against the Rust server (base "") or WordPress (base "/wp-json/reftrail").
//
// The base URL comes from, in order: window.REFTRAIL_PAGES.apiBase (an embedding page such as
// the WordPress plugin sets it), <meta name="reftrail-api-base" content="…">, or the page's own
// origin. window.REFTRAIL_PAGES.headers adds headers to every call (a WordPress nonce, say);
// .locale sets the UI language (en, vi, th) and .shopUrl the shop address the portal's links use.
// The dashboard signs in through /v1/session (GET answers the CSRF token of a live session).

/** An answer of the API that is not a success; `code` is the server's error code verbatim. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code);
    this.status = status;
    this.code = code;
  }
}

function config() {
  const c = window.REFTRAIL_PAGES || {};
  const meta = document.querySelector('meta[name="reftrail-api-base"]');
  const base = (c.apiBase ?? (meta ? meta.content : '')).replace(/\/+$/, '');
  return { base, headers: c.headers || {} };
}

/** The base URL in use (for display). */
export function apiBase() {
  return config().base || location.origin;
}

/** A short link's full address: the backend's own (`url`), else its path under the API's base. */
export function shortLinkUrl(link) {
  return link.url || new URL(apiBase() + link.path, location.href).href;
}

/**
 * Calls `method path` with an optional JSON body (or `file`, a CSV Blob sent as is). `auth` is `{bearer}` (an affiliate token) or
 * `{csrf}` (the dashboard session's token). Answers the parsed JSON (or text for CSV), or throws
 * ApiError (status 0, code "network" when the server cannot be reached).
 */
export async function call(method, path, { body, file, auth = {}, query, text = false } = {}) {
  const { base, headers: extra } = config();
  const url = new URL(base + path, location.href);
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, String(v));
  }
  const headers = { Accept: text ? 'text/csv' : 'application/json', ...extra };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (file !== undefined) headers['Content-Type'] = 'text/csv';
  if (auth.bearer) headers.Authorization = `Bearer ${auth.bearer}`;
  if (auth.csrf && method !== 'GET') headers['X-CSRF-Token'] = auth.csrf;
  let res;
  try {
    res = await fetch(url, {
      method,
      headers,
      credentials: 'include',
      body: file !== undefined ? file : body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, 'network', String(e && e.message ? e.message : e));
  }
  if (res.status === 204) return null;
  const raw = await res.text();
  if (!res.ok) {
    let err = null;
    try {
      err = JSON.parse(raw).error;
    } catch (e) {
      // not JSON: fall through to the status alone
    }
    throw new ApiError(res.status, err?.code || `http_${res.status}`, err?.message || raw.slice(0, 200));
  }
  if (text) return raw;
  return raw ? JSON.parse(raw) : null;
}

// The merchant's session (dashboard sign-in): the owner's password, or a team member's email and
// password; `accept` sets an invited member's password and signs them in.
export const session = {
  create: (password, email, code) => call('POST', '/v1/session', { body: { password, ...(email ? { email } : {}), ...(code ? { code } : {}) } }),
  accept: (token, password) => call('POST', '/v1/team/accept', { body: { token, password } }),
  show: () => call('GET', '/v1/session'),
  remove: (csrf) => call('DELETE', '/v1/session', { auth: { csrf } }),
};

/** The merchant's routes, signed in with the session's CSRF token. */
export function merchant(csrf) {
  const auth = { csrf };
  const get = (path, query) => call('GET', path, { auth, query });
  const send = (method, path, body) => call(method, path, { auth, body });
  const enc = encodeURIComponent;
  return {
    summary: (q) => get('/v1/reports/summary', q),
    timeseries: (q) => get('/v1/reports/timeseries', q),
    byAffiliate: (q) => get('/v1/reports/affiliates', q),
    byCategory: (q) => get('/v1/reports/categories', q),
    // `{from, to}`: clicks, conversions and revenue per creative (default the last 30 days).
    creativeReport: (q) => get('/v1/reports/creatives', q),
    // `{from, to, affiliate, limit}`: clicks, conversions and money per affiliate and campaign.
    campaigns: (q) => get('/v1/reports/campaigns', q),
    // `{from, to}`: one affiliate's clicks, sales, leads and commission per day.
    affiliateDaily: (id, q) => get(`/v1/affiliates/${enc(id)}/daily`, q),
    // An affiliate's postback, set for them, and a test of it.
    postback: (id) => get(`/v1/affiliates/${enc(id)}/postback`),
    setPostback: (id, url) => send('PUT', `/v1/affiliates/${enc(id)}/postback`, { url }),
    testPostback: (id, url) => send('POST', `/v1/affiliates/${enc(id)}/postback/test`, url ? { url } : {}),
    // Short links (`{affiliate, limit, offset}`), and the removal of one.
    shortLinks: (q) => get('/v1/links', q),
    deleteShortLink: (code) => send('DELETE', `/v1/links/${enc(code)}`),
    referrals: (q) => get('/v1/referrals', q),
    referralsCsv: (q) => call('GET', '/v1/referrals.csv', { auth, query: q, text: true }),
    approve: (id) => send('POST', `/v1/referrals/${enc(id)}/approve`),
    reject: (id, reason) => send('POST', `/v1/referrals/${enc(id)}/reject`, reason ? { reason } : undefined),
    refund: (body) => send('POST', '/v1/refunds', body),
    privacyExport: (who) => send('POST', '/v1/privacy/export', who),
    privacyErase: (who) => send('POST', '/v1/privacy/erase', who),
    affiliates: (q) => get('/v1/affiliates', q),
    // The affiliates as CSV (`{status, category}`), and a CSV file (a Blob, sent as its bytes)
    // imported, or only checked with `dryRun`; `idColumn` names its column of link names, and
    // `welcome` emails the new approved affiliates that their account is here.
    affiliatesCsv: (q) => call('GET', '/v1/affiliates.csv', { auth, query: q, text: true }),
    importAffiliates: (file, dryRun, idColumn, welcome) => call('POST', '/v1/affiliates.csv', { auth, file, query: { dry_run: dryRun ? 'true' : '', id_column: idColumn, welcome: welcome ? 'true' : '' } }),
    // AffiliateWP's tables on the same site (WordPress only; the Rust server answers 404): what
    // they hold, and their affiliates imported, or only checked with `dryRun`.
    affiliateWp: () => get('/v1/migrations/affiliatewp'),
    // WordPress only: an affiliate's WooCommerce coupons, and a new one made for them.
    wooCoupons: (id) => get(`/v1/affiliates/${enc(id)}/woocommerce-coupons`),
    createWooCoupon: (id, body) => send('POST', `/v1/affiliates/${enc(id)}/woocommerce-coupons`, body),
    // WordPress only: the WooCommerce coupon each newly approved affiliate gets (null: none).
    wooCouponTemplate: () => get('/v1/woocommerce-coupons/template'),
    saveWooCouponTemplate: (template) => send('PUT', '/v1/woocommerce-coupons/template', { template }),
    importAffiliateWp: (dryRun, welcome) => call('POST', '/v1/migrations/affiliatewp', { auth, query: { dry_run: dryRun ? 'true' : '', welcome: welcome ? 'true' : '' } }),
    affiliate: (id) => get(`/v1/affiliates/${enc(id)}`),
    createAffiliate: (body) => send('POST', '/v1/affiliates', body),
    updateAffiliate: (id, body) => send('PATCH', `/v1/affiliates/${enc(id)}`, body),
    newToken: (id) => send('POST', `/v1/affiliates/${enc(id)}/token`),
    balances: (q) => get('/v1/balances', q),
    payouts: () => get('/v1/payouts'),
    createPayout: (body) => send('POST', '/v1/payouts', body),
    payoutCsv: (id) => call('GET', `/v1/payouts/${enc(id)}.csv`, { auth, text: true }),
    // `{affiliate, currency, sent, fee?}`: answers the whole payout.
    markSent: (id, body) => send('POST', `/v1/payouts/${enc(id)}/sent`, body),
    // `{from, to}`: one row per affiliate and currency of the payouts in the period.
    withholdingCsv: (q) => call('GET', '/v1/reports/withholding.csv', { auth, query: q, text: true }),
    // `{from, to, affiliate?}`: the payer and one certificate per affiliate and currency with tax
    // withheld in the period.
    certificates: (q) => get('/v1/reports/withholding/certificates', q),
    program: () => get('/v1/program'),
    saveProgram: (p) => send('PUT', '/v1/program', p),
    // `{limit, offset}`: who changed which settings when, newest first.
    programChanges: (q) => get('/v1/program/changes', q),
    // `{affiliate, action, limit, offset}`: who did what to affiliates, referrals, payouts and
    // keys, newest first.
    activity: (q) => get('/v1/activity', q),
    // `{kind, status, limit, offset}`: webhook events and postbacks, newest first, their `total`
    // and `counts` by state; a delivery sent again; a signed test event for a webhook endpoint.
    deliveries: (q) => get('/v1/deliveries', q),
    retryDelivery: (id) => send('POST', `/v1/deliveries/${enc(id)}/retry`),
    testWebhook: (url) => send('POST', '/v1/webhooks/test', { url }),
    // `{status, affiliate, limit, offset}`: affiliates' requests to be paid, newest first; one
    // declined with a reason. (A payout of the affiliate and currency pays one.)
    payoutRequests: (q) => get('/v1/payout-requests', q),
    declinePayoutRequest: (id, reason) => send('POST', `/v1/payout-requests/${enc(id)}/decline`, reason ? { reason } : {}),
    // `{affiliate, status, limit, offset}`: bonuses given, newest first, and their `total`.
    bonuses: (q) => get('/v1/bonuses', q),
    // `{affiliate, amount, currency, reason}`: payable at once.
    giveBonus: (body) => send('POST', '/v1/bonuses', body),
    cancelBonus: (id) => send('POST', `/v1/bonuses/${enc(id)}/cancel`),
    // `{affiliate, recruit, status, limit, offset}`: shares of recruits' commissions their
    // recruiters earn, newest first, and their `total`.
    recruiterCommissions: (q) => get('/v1/recruiter-commissions', q),
    // `{status, limit, offset}`: text links and banners for affiliates, newest first.
    creatives: (q) => get('/v1/creatives', q),
    createCreative: (body) => send('POST', '/v1/creatives', body),
    updateCreative: (id, body) => send('PATCH', `/v1/creatives/${enc(id)}`, body),
    deleteCreative: (id) => send('DELETE', `/v1/creatives/${enc(id)}`),
    keys: () => get('/v1/keys'),
    createKey: (kind) => send('POST', '/v1/keys', { kind }),
    revokeKey: (id) => send('DELETE', `/v1/keys/${enc(id)}`),
    // The team (the owner's; this server only, WordPress's team is its users).
    team: () => get('/v1/team'),
    inviteMember: (body) => send('POST', '/v1/team', body),
    updateMember: (id, body) => send('PATCH', `/v1/team/${enc(id)}`, body),
    removeMember: (id) => send('DELETE', `/v1/team/${enc(id)}`),
    reinviteMember: (id) => send('POST', `/v1/team/${enc(id)}/invite`),
    // The signed-in member's own account: name, emails, password.
    me: () => get('/v1/team/me'),
    updateMe: (body) => send('PATCH', '/v1/team/me', body),
    // Two-factor sign-in: set up (the secret and its otpauth:// address), confirm, turn off; the
    // owner turns a member's off.
    twoFactorStart: () => send('POST', '/v1/team/me/two-factor'),
    twoFactorConfirm: (code) => send('POST', '/v1/team/me/two-factor/confirm', { code }),
    twoFactorStop: (code) => send('DELETE', '/v1/team/me/two-factor', { code }),
    recoveryCodes: (code) => send('POST', '/v1/team/me/two-factor/recovery-codes', { code }),
    resetTwoFactor: (id) => send('DELETE', `/v1/team/${enc(id)}/two-factor`),
    teamPolicy: (body) => send('PUT', '/v1/team/policy', body),
  };
}

/** The affiliate's own routes, with their portal token. */
export function affiliate(token) {
  const auth = { bearer: token };
  return {
    me: () => call('GET', '/v1/me', { auth }),
    updateMe: (body) => call('PATCH', '/v1/me', { auth, body }),
    report: (q) => call('GET', '/v1/me/report', { auth, query: q }),
    payouts: (q) => call('GET', '/v1/me/payouts', { auth, query: q }),
    certificates: (q) => call('GET', '/v1/me/withholding/certificates', { auth, query: q }),
    creatives: (q) => call('GET', '/v1/me/creatives', { auth, query: q }),
    bonuses: (q) => call('GET', '/v1/me/bonuses', { auth, query: q }),
    // Their recruits and what each recruit's commissions earned them.
    recruits: () => call('GET', '/v1/me/recruits', { auth }),
    // `{from, to}`: their clicks and conversions per active creative (default the last 30 days).
    creativeReport: (q) => call('GET', '/v1/me/reports/creatives', { auth, query: q }),
    // `{from, to}`: their clicks, sales, leads and commission per day, every day listed.
    daily: (q) => call('GET', '/v1/me/daily', { auth, query: q }),
    // `{from, to}`: their clicks, conversions and earnings per campaign (`utm_campaign`).
    campaigns: (q) => call('GET', '/v1/me/campaigns', { auth, query: q }),
    // Their short links (`/go/{code}`): list, make (`{landing_url, campaign?, code?}`), delete.
    links: () => call('GET', '/v1/me/links', { auth }),
    createLink: (body) => call('POST', '/v1/me/links', { auth, body }),
    deleteLink: (code) => call('DELETE', `/v1/me/links/${encodeURIComponent(code)}`, { auth }),
    // Their postback: the tracker address, the latest requests; a test with sample values.
    postback: () => call('GET', '/v1/me/postback', { auth }),
    setPostback: (url) => call('PUT', '/v1/me/postback', { auth, body: { url } }),
    testPostback: (url) => call('POST', '/v1/me/postback/test', { auth, body: url ? { url } : {} }),
    // Their requests to be paid: list, ask for a currency's approved balance, take one back.
    payoutRequests: () => call('GET', '/v1/me/payout-requests', { auth }),
    requestPayout: (currency) => call('POST', '/v1/me/payout-requests', { auth, body: { currency } }),
    cancelPayoutRequest: (id) => call('DELETE', `/v1/me/payout-requests/${encodeURIComponent(id)}`, { auth }),
  };
}

/** The portal's sign-in by email: ask for a link, then exchange its code for a session. */
export const portalSignIn = {
  link: (email) => call('POST', '/v1/portal/sign-in-link', { body: { email } }),
  session: (code) => call('POST', '/v1/portal/session', { body: { code } }),
};

/** The program's public face: how it takes applications, and the form that applies. */
export const portalJoin = {
  program: () => call('GET', '/v1/portal/program', {}),
  apply: (body) => call('POST', '/v1/portal/applications', { body }),
};

/** The demo shop's own backend (same origin as the store pages). */
export const shop = {
  catalog: () => call('GET', '/store/catalog.json', {}),
  info: () => call('GET', '/api/shop', {}),
  checkout: (body) => call('POST', '/api/checkout', { body }),
};
