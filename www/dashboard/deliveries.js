// What the program sends out (`#/deliveries?kind=…&status=…`, opened from Settings and from the
// overview when something fails): the webhook events to the shop's own systems (the owner's
// only: their endpoints are settings) and the postbacks to affiliates' trackers, with what became
// of each, and a button that sends again one that was given up, or waits long for its next try.

import { t, num, dateTime } from '../shared/i18n.js';
import { h, fill, empty, field, badge, act } from '../shared/ui.js';
import { clearCharts } from '../shared/charts.js';
import { routeQuery, setRouteQuery } from './route.js';

const PAGE = 50;
const KINDS = ['webhook', 'postback'];
const STATUSES = ['pending', 'retrying', 'delivered', 'failed'];
const STATUS_KIND = { delivered: 'approved', pending: 'pending', retrying: 'flag', failed: 'rejected' };
// A delivery due within a worker's lease may be in its hands: the server leaves it alone.
const LEASE_MS = 60000;

/** Whether `d` may be sent again now (as the server decides it). */
function retryable(d) {
  if (d.status === 'failed') return true;
  return d.status === 'pending' && d.next_at !== null && Date.parse(d.next_at) > Date.now() + LEASE_MS;
}

/** Its state in words: a pending one that failed before is `retrying`. */
function shownStatus(d) {
  return d.status === 'pending' && d.attempts > 0 ? 'retrying' : d.status;
}

/** What the delivery reports: a webhook's event name, or the postback's event in words. */
function eventOf(d) {
  return d.kind === 'webhook' ? h('code', {}, d.event) : t(`pb.event_${d.event}`);
}

/** Where it stands: given up, delivered, or when it is tried next. */
function progress(d) {
  const tries = t('dl.attempts', { n: num(d.attempts) });
  const reason = d.last_error ? h('span', { class: 'hint delivery-error' }, d.last_error) : null;
  if (d.status === 'delivered') return [dateTime(d.delivered_at), ' · ', tries];
  if (d.status === 'failed') return [t('dl.given_up_at', { at: dateTime(d.failed_at) }), ' · ', tries, reason ? h('br') : null, reason];
  return [t('dl.next_at', { at: dateTime(d.next_at) }), ' · ', tries, reason ? h('br') : null, reason];
}

function table(list, canRetry, again) {
  const cols = [t('dash.when'), t('dl.kind'), t('pb.event'), t('dash.affiliate'), t('dl.to'), t('dash.status'), t('dl.progress'), ''];
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'stack', id: 'deliveries' },
      h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c)))),
      h(
        'tbody',
        {},
        list.map((d) =>
          h(
            'tr',
            { dataset: { id: d.id, kind: d.kind, status: d.status } },
            h('td', { 'data-label': cols[0] }, dateTime(d.at)),
            h('td', { 'data-label': cols[1] }, t(`dl.kind_${d.kind}`)),
            h('td', { 'data-label': cols[2] }, eventOf(d)),
            h('td', { 'data-label': cols[3] }, d.affiliate_id ? h('a', { href: `#/affiliates?id=${encodeURIComponent(d.affiliate_id)}` }, h('code', {}, d.affiliate_id)) : '—'),
            h('td', { 'data-label': cols[4] }, h('code', { class: 'postback-url' }, d.url)),
            h('td', { 'data-label': cols[5] }, badge(t(`dl.status_${shownStatus(d)}`), STATUS_KIND[shownStatus(d)])),
            h('td', { 'data-label': cols[6] }, progress(d)),
            h(
              'td',
              { 'data-label': cols[7] },
              canRetry && retryable(d)
                ? h('button', { type: 'button', class: 'btn retry', onclick: (e) => again(e.currentTarget, d) }, t(d.status === 'failed' ? 'dl.send_again' : 'dl.send_now'))
                : null,
            ),
          ),
        ),
      ),
    ),
  );
}

export async function deliveries(main, { api, render, role }) {
  clearCharts();
  const q = routeQuery();
  const owner = role === 'owner';
  const kinds = owner ? KINDS : ['postback'];
  const kind = kinds.includes(q.get('kind')) ? q.get('kind') : '';
  const status = STATUSES.includes(q.get('status')) ? q.get('status') : '';
  const offset = Math.max(0, Number.parseInt(q.get('offset') || '0', 10) || 0);
  const page = await api.deliveries({ kind: kind || undefined, status: status || undefined, limit: PAGE, offset });
  const go = (changes) => {
    setRouteQuery({ kind, status, offset: 0, ...changes });
    render();
  };
  const again = (btn, d) => act(btn, () => api.retryDelivery(d.id), t('dl.sent_again'), render);
  const kindSel = h(
    'select',
    { id: 'deliveries-kind', onchange: (e) => go({ kind: e.target.value }) },
    h('option', { value: '' }, t('dash.all')),
    kinds.map((k) => h('option', { value: k, selected: k === kind }, t(`dl.kind_${k}s`))),
  );
  const statusSel = h(
    'select',
    { id: 'deliveries-status', onchange: (e) => go({ status: e.target.value }) },
    h('option', { value: '' }, t('dash.all')),
    STATUSES.map((s) => h('option', { value: s, selected: s === status }, t(`dl.status_${s}`))),
  );
  const c = page.counts;
  const summary = STATUSES.map((s) => h('li', { dataset: { status: s, count: String(c[s]) } }, h('a', { href: `#/deliveries?status=${s}` }, t(`dl.count_${s}`, { n: num(c[s]) }))));
  fill(
    main,
    h('h1', {}, t('dash.nav_deliveries')),
    h('p', { class: 'hint' }, t(owner ? 'dl.hint' : 'dl.hint_postbacks')),
    h('ul', { class: 'row delivery-counts', id: 'delivery-counts' }, summary),
    h('div', { class: 'toolbar' }, field(t('dl.kind'), kindSel), field(t('dash.status'), statusSel)),
    page.deliveries.length ? table(page.deliveries, role !== 'viewer', again) : empty(t('dl.none'), kind || status ? t('dl.none_filtered') : null),
    h(
      'div',
      { class: 'row' },
      offset > 0 ? h('button', { type: 'button', class: 'btn', id: 'deliveries-newer', onclick: () => go({ offset: Math.max(0, offset - PAGE) }) }, t('dash.newer')) : null,
      page.total > offset + PAGE ? h('button', { type: 'button', class: 'btn', id: 'deliveries-older', onclick: () => go({ offset: offset + PAGE }) }, t('dash.older')) : null,
    ),
  );
}
