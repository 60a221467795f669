// Asking to be paid: under the balances, each currency whose approved balance reaches the
// program's smallest payout offers a request (POST /v1/me/payout-requests), an open one can be
// taken back, and the latest requests say what became of them (paid, declined and why).

import { t, money, dateTime } from '../shared/i18n.js';
import { h, badge, act } from '../shared/ui.js';

const STATUS_KIND = { open: 'pending', paid: 'paid', declined: 'rejected', cancelled: 'archived' };

/** The box: `me` (balances, min_payout and its currency), `requests` (newest first), `render` redraws the page. */
export function payoutRequestsBox(api, me, requests, render) {
  // The program's smallest payout is a sum of its own currency; others are paid from any balance.
  const min = (currency) => (currency === me.min_payout_currency ? Math.max(me.min_payout || 0, 1) : 1);
  const rows = me.balances
    .filter((b) => b.approved >= min(b.currency) || requests.some((r) => r.status === 'open' && r.currency === b.currency))
    .map((b) => {
      const open = requests.find((r) => r.status === 'open' && r.currency === b.currency);
      return h(
        'div',
        { class: 'payout-request', dataset: { currency: b.currency, open: String(Boolean(open)) } },
        open
          ? [
              h('span', {}, t('portal.payout_requested', { amount: money(open.amount, open.currency), at: dateTime(open.at) })),
              h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'take-back' }, onclick: (e) => act(e.currentTarget, () => api.cancelPayoutRequest(open.id), t('portal.payout_request_taken_back'), render) }, t('portal.payout_request_take_back')),
            ]
          : h(
              'button',
              { type: 'button', class: 'btn btn-primary', dataset: { action: 'request' }, onclick: (e) => act(e.currentTarget, () => api.requestPayout(b.currency), t('portal.payout_request_sent'), render) },
              t('portal.payout_request', { amount: money(b.approved, b.currency) }),
            ),
      );
    });
  const history = requests.filter((r) => r.status !== 'open').slice(0, 5);
  if (!rows.length && !history.length) return null;
  return h(
    'section',
    { class: 'card', id: 'payout-requests' },
    h('p', { class: 'hint' }, t('portal.payout_requests_hint')),
    rows,
    history.length
      ? h(
          'ul',
          { class: 'payout-request-history' },
          history.map((r) =>
            h(
              'li',
              { dataset: { id: r.id, status: r.status } },
              dateTime(r.at),
              ' · ',
              money(r.amount, r.currency),
              ' ',
              badge(t(`portal.payout_request_${r.status}`), STATUS_KIND[r.status]),
              r.reason ? h('span', { class: 'hint' }, ` ${t('portal.payout_request_reason', { reason: r.reason })}`) : null,
            ),
          ),
        )
      : null,
  );
}
