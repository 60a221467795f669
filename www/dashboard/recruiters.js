// Recruiter commissions in an affiliate's panel: who recruited them, and the shares of their
// recruits' commissions they earned (the program's recruiter rate of each one, following the
// recruit's referral: pending, approved, paid, or taken back by a rejection or a refund).

import { t, money, dateTime } from '../shared/i18n.js';
import { h, fill, badge } from '../shared/ui.js';

const SHOWN = 10;

/** The card: the affiliate's recruiter, the program's rate and the latest shares they earned. */
export async function affiliateRecruiting(api, program, affiliate) {
  const card = h('section', { class: 'card', id: 'affiliate-recruiting' });
  const page = await api.recruiterCommissions({ affiliate: affiliate.id, limit: SHOWN });
  const link = (id) => h('a', { href: `#/affiliates?id=${encodeURIComponent(id)}` }, id);
  const cols = [t('dash.changed_at'), t('dash.recruit'), t('dash.amount'), t('dash.recruiter_reversed'), t('dash.status')];
  fill(
    card,
    h('h2', {}, t('dash.recruiting_of', { id: affiliate.id })),
    h(
      'p',
      { class: 'hint' },
      affiliate.recruiter ? [t('dash.recruited_by'), ' ', link(affiliate.recruiter), '. '] : null,
      program.recruiter_rate_bps ? t('dash.recruiter_rate_now', { rate: program.recruiter_rate_bps / 100 }) : t('dash.recruiter_rate_off'),
    ),
    page.recruiter_commissions.length
      ? h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'stack', id: 'recruiter-commissions' },
            h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c)))),
            h(
              'tbody',
              {},
              page.recruiter_commissions.map((c) =>
                h(
                  'tr',
                  { dataset: { id: c.id, status: c.status } },
                  h('td', { 'data-label': cols[0] }, dateTime(c.created_at)),
                  h('td', { 'data-label': cols[1] }, link(c.recruit)),
                  h('td', { class: 'num', 'data-label': cols[2] }, money(c.amount, c.currency)),
                  h('td', { class: 'num', 'data-label': cols[3] }, c.reversed ? money(c.reversed, c.currency) : '—'),
                  h('td', { 'data-label': cols[4] }, badge(t(`status.${c.status}`), c.status)),
                ),
              ),
            ),
          ),
        )
      : h('p', { class: 'hint' }, t('dash.no_recruiter_commissions')),
    page.total > SHOWN ? h('p', { class: 'hint' }, t('dash.recruiter_commissions_more', { n: page.total - SHOWN })) : null,
  );
  return card;
}
