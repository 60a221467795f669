// What waits for the merchant, at the top of the overview: flagged referrals, unverified ones
// (never approved automatically) or, where the program approves nothing by itself, every pending
// one; affiliates' applications and requests to be paid; webhook events and postbacks given up
// or failing. Each links to the list that settles it.

import { t, num } from '../shared/i18n.js';
import { h, fill, loading, failure } from '../shared/ui.js';

const YEAR = 365 * 86400000;

/** The card, filled in when its counts arrive (the overview does not wait for it). */
export function toReviewCard(api, program) {
  const box = h('section', { class: 'card to-review', id: 'to-review', 'aria-live': 'polite' }, loading());
  const from = new Date(Date.now() - YEAR).toISOString().replace(/\.\d+Z$/, 'Z');
  const to = new Date(Date.now() + 60000).toISOString().replace(/\.\d+Z$/, 'Z');
  const pending = (filters) => api.referrals({ status: 'pending', from, to, limit: 1, ...filters });
  // Verified, unflagged ones wait for their hold period, unless nothing is approved by itself.
  const unflagged = program.auto_approve ? { flagged: false, verified: false } : { flagged: false };
  // Deliveries that failed are worth a look, but the card does not wait on them to fail itself.
  const deliveries = api.deliveries({ limit: 1 }).catch(() => null);
  const asked = api.payoutRequests({ status: 'open', limit: 1 }).catch(() => null);
  Promise.all([pending({ flagged: true }), pending(unflagged), api.affiliates({ status: 'pending', limit: 1 }), deliveries, asked])
    .then(([flagged, waiting, applications, sent, requests]) => {
      const filter = new URLSearchParams({ status: 'pending', ...unflagged, days: 365 });
      const items = [
        ['flagged', flagged.total, 'dash.review_flagged', '#/referrals?status=pending&flagged=true&days=365'],
        ['unverified', waiting.total, program.auto_approve ? 'dash.review_unverified' : 'dash.review_pending', `#/referrals?${filter}`],
        ['applications', applications.total, 'dash.review_applications', '#/affiliates?status=pending'],
        ['payout_requests', requests?.total ?? 0, 'dash.review_payout_requests', '#/payouts'],
        ['deliveries_failed', sent?.counts.failed ?? 0, 'dash.review_deliveries_failed', '#/deliveries?status=failed'],
        ['deliveries_retrying', sent?.counts.retrying ?? 0, 'dash.review_deliveries_retrying', '#/deliveries?status=retrying'],
      ].filter(([, n]) => n > 0);
      fill(
        box,
        h('h2', {}, t('dash.to_review')),
        items.length
          ? h('ul', {}, items.map(([kind, n, key, href]) => h('li', { dataset: { kind, count: String(n) } }, h('a', { href }, t(key, { n: num(n) })))))
          : h('p', { class: 'hint' }, t('dash.review_nothing')),
      );
    })
    .catch((err) => fill(box, failure(err)));
  return box;
}
