// Campaigns in the dashboard: the `utm_campaign` names on affiliates' links, each with its
// clicks, sales, revenue and commission (/v1/reports/campaigns). In an affiliate's panel, their
// campaigns of the last 30 days (a link without a campaign, and their coupons' sales, are the
// "No campaign" row); on the overview, the period's top named campaigns of the whole program.

import { t, num, pct, money } from '../shared/i18n.js';
import { h, fill } from '../shared/ui.js';

/** The amounts of `r.money` picked by `f`, one per currency (only `currency`, when given). */
function amounts(r, f, currency) {
  const list = r.money.filter((m) => !currency || m.currency === currency);
  return list.map((m) => money(f(m), m.currency)).join(' · ') || '—';
}

/** The campaign's name, leading to its referrals in the ledger. */
function campaignCell(r) {
  if (r.campaign === null) return h('span', {}, t('portal.no_campaign'), h('small', { class: 'hint' }, ` · ${t('portal.no_campaign_hint')}`));
  const href = `#/referrals?${new URLSearchParams({ affiliate: r.affiliate, campaign: r.campaign })}`;
  return h('a', { href, class: 'campaign-link' }, h('code', {}, r.campaign));
}

/** A table of campaign rows; with `byAffiliate`, each names its affiliate first. */
export function campaignsTable(rows, id, { byAffiliate = false, currency = null } = {}) {
  const cols = [...(byAffiliate ? [t('dash.affiliate')] : []), t('portal.campaign'), t('kpi.clicks'), t('kpi.sales'), t('kpi.conversion_rate'), t('kpi.revenue'), t('kpi.commissions')];
  const first = byAffiliate ? 2 : 1;
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'stack', id },
      h('thead', {}, h('tr', {}, cols.map((c, i) => h('th', { scope: 'col', class: i >= first ? 'num' : null }, c)))),
      h(
        'tbody',
        {},
        rows.map((r) => {
          const cells = [
            ...(byAffiliate ? [h('a', { href: `#/affiliates?id=${encodeURIComponent(r.affiliate)}` }, r.affiliate)] : []),
            campaignCell(r),
            num(r.clicks),
            num(r.sales.net),
            pct(r.conversion_rate_clicks, 2),
            amounts(r, (m) => m.revenue_net, currency),
            amounts(r, (m) => m.commissions, currency),
          ];
          return h(
            'tr',
            { dataset: { affiliate: r.affiliate, campaign: r.campaign ?? '', clicks: r.clicks, sales: r.sales.net } },
            cells.map((v, i) => h('td', { class: i >= first ? 'num' : null, 'data-label': cols[i] }, v)),
          );
        }),
      ),
    ),
  );
}

/** The affiliate panel's card: one row per campaign of the affiliate, the most clicked first. */
export async function affiliateCampaigns(api, affiliate) {
  const card = h('section', { class: 'card', id: 'affiliate-campaigns' });
  const report = await api.campaigns({ affiliate: affiliate.id, limit: 50 });
  fill(
    card,
    h('h2', {}, t('dash.campaigns_of', { id: affiliate.id })),
    report.rows.length ? campaignsTable(report.rows, 'campaigns') : h('p', { class: 'hint' }, t('dash.no_campaigns')),
    h('p', { class: 'hint' }, t('dash.campaigns_hint')),
  );
  return card;
}
