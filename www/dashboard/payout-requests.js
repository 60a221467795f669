// Affiliates' requests to be paid, at the top of Payouts: each open one with the balance asked
// and the balance now, paid at once by a payout of that affiliate and currency
// (POST /v1/payouts, which closes the request), or declined with a reason the affiliate reads.

import { t, money, dateTime } from '../shared/i18n.js';
import { h, act } from '../shared/ui.js';

/** The section, or null when no request is open. `balances` are the program's, from /v1/balances. */
export function payoutRequestsSection(api, open, balances, render, readOnly) {
  if (!open.length) return null;
  const approvedOf = (r) => balances.find((b) => b.affiliate === r.affiliate && b.currency === r.currency)?.approved ?? 0;
  const cols = [t('dash.when'), t('dash.affiliate'), t('dash.payout_request_asked'), t('dash.payout_request_now'), ''];
  return h(
    'section',
    { id: 'payout-requests' },
    h('h2', {}, t('dash.payout_requests')),
    h('p', { class: 'hint' }, t('dash.payout_requests_hint')),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'stack' },
        h('thead', {}, h('tr', {}, cols.map((c, i) => h('th', { scope: 'col', class: i === 2 || i === 3 ? 'num' : null }, c)))),
        h(
          'tbody',
          {},
          open.map((r) => {
            const reason = h('input', { class: 'decline-reason', maxlength: 500, placeholder: t('dash.payout_request_reason'), 'aria-label': t('dash.payout_request_reason') });
            return h(
              'tr',
              { dataset: { id: r.id, affiliate: r.affiliate, currency: r.currency } },
              h('td', { 'data-label': cols[0] }, dateTime(r.at)),
              h('td', { 'data-label': cols[1] }, h('a', { href: `#/affiliates?id=${encodeURIComponent(r.affiliate)}` }, h('code', {}, r.affiliate))),
              h('td', { class: 'num', 'data-label': cols[2] }, money(r.amount, r.currency)),
              h('td', { class: 'num', 'data-label': cols[3] }, money(approvedOf(r), r.currency)),
              h(
                'td',
                { 'data-label': cols[4] },
                readOnly
                  ? null
                  : h(
                      'div',
                      { class: 'row' },
                      h(
                        'button',
                        { type: 'button', class: 'btn btn-small btn-primary', dataset: { action: 'pay' }, onclick: (e) => act(e.currentTarget, () => api.createPayout({ currency: r.currency, affiliates: [r.affiliate] }), t('dash.payout_request_paid', { id: r.affiliate }), render) },
                        t('dash.payout_request_pay'),
                      ),
                      reason,
                      h(
                        'button',
                        { type: 'button', class: 'btn btn-small btn-danger', dataset: { action: 'decline' }, onclick: (e) => act(e.currentTarget, () => api.declinePayoutRequest(r.id, reason.value.trim()), t('dash.payout_request_declined'), render) },
                        t('dash.payout_request_decline'),
                      ),
                    ),
              ),
            );
          }),
        ),
      ),
    ),
  );
}
