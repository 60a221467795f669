// The hash route: `#/referrals?status=pending&affiliate=alice`. Filters live in the address so a
// view can be reloaded or shared as it is.

/** The route's name (`referrals`), or '' for none. */
export function currentRoute() {
  return location.hash.replace(/^#\/?/, '').split('?')[0];
}

/** Query parameters of the hash route. */
export function routeQuery() {
  return new URLSearchParams(location.hash.split('?')[1] || '');
}

/** Replaces the route's query (no history entry per filter change). */
export function setRouteQuery(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== '' && v !== null && v !== undefined) q.set(k, v);
  const s = q.toString();
  history.replaceState(null, '', `#/${currentRoute() || 'overview'}${s ? `?${s}` : ''}`);
}

/** The period of a query: `days` (7, 30, 90; default 30) or explicit `from`/`to` dates. */
export function period(q) {
  const from = q.get('from');
  const to = q.get('to');
  if (from && to && /^\d{4}-\d{2}-\d{2}$/.test(from) && /^\d{4}-\d{2}-\d{2}$/.test(to)) {
    return { from: `${from}T00:00:00Z`, to: `${to}T23:59:59Z`, days: '', fromDate: from, toDate: to };
  }
  const days = ['7', '30', '90', '365'].includes(q.get('days')) ? Number(q.get('days')) : 30;
  // The end is a minute ahead: times are whole seconds and `to` is exclusive, so a sale made in
  // the second the page was drawn is still in.
  const end = new Date(Date.now() + 60000);
  const start = new Date(Date.now() - days * 86400000);
  return { from: start.toISOString().replace(/\.\d+Z$/, 'Z'), to: end.toISOString().replace(/\.\d+Z$/, 'Z'), days: String(days) };
}

/** The dates (YYYY-MM-DD) of the first and the last day of this month, where the browser is. */
export function thisMonth() {
  const now = new Date();
  const [y, m] = [now.getFullYear(), now.getMonth()];
  return [ymd(new Date(y, m, 1)), ymd(new Date(y, m + 1, 0))];
}

/** A local date as YYYY-MM-DD. */
function ymd(d) {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}
