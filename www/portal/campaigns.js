// "Your campaigns": an affiliate names a campaign in the link they share in each place
// (`utm_campaign=tiktok-bio`), and sees which of them sells: clicks, sales, conversion and
// earnings per campaign in the period (/v1/me/campaigns). Links without a campaign, and the
// sales of their coupons, are the "No campaign" row.

import { t, num, pct, money } from '../shared/i18n.js';
import { h, fill, field, copyButton, shareButton, empty } from '../shared/ui.js';
import { linkTo, campaignName } from './promote.js';

/** The form that puts a campaign name into the affiliate's link to the shop. */
function builder({ shop, param, id }) {
  const name = h('input', { id: 'campaign-name', maxlength: 100, placeholder: 'tiktok-bio', autocomplete: 'off', spellcheck: 'false' });
  const out = h('div', { id: 'campaign-link', 'aria-live': 'polite' });
  const draw = () => {
    const c = campaignName(name.value);
    if (!c) return fill(out);
    const link = linkTo(shop, param, id, { utm_campaign: c });
    fill(out, link ? h('div', { class: 'link-row link-only' }, h('code', { class: 'link' }, link), h('div', { class: 'actions' }, copyButton(link), shareButton(link))) : null);
  };
  name.addEventListener('input', draw);
  return [field(t('portal.campaign_name'), name, t('portal.campaign_name_hint')), out];
}

function rowOf(r, cols) {
  const earned = r.money.filter((m) => m.commissions).map((m) => money(m.commissions, m.currency));
  return h(
    'tr',
    { dataset: { campaign: r.campaign ?? '', clicks: r.clicks, sales: r.sales.net } },
    h('td', { 'data-label': cols[0] }, r.campaign === null ? h('span', {}, t('portal.no_campaign'), h('small', { class: 'hint' }, ` · ${t('portal.no_campaign_hint')}`)) : h('code', {}, r.campaign)),
    h('td', { class: 'num', 'data-label': cols[1] }, num(r.clicks)),
    h('td', { class: 'num', 'data-label': cols[2] }, num(r.sales.net), r.leads.net ? h('small', { class: 'hint' }, ` · ${t('portal.leads', { n: num(r.leads.net) })}`) : null),
    h('td', { class: 'num', 'data-label': cols[3] }, pct(r.conversion_rate_clicks, 2)),
    h('td', { class: 'num', 'data-label': cols[4] }, earned.length ? earned.join(' · ') : '—'),
  );
}

/** The section: the campaign link builder and the period's rows. */
export function campaignsBox(report, linking) {
  const cols = [t('portal.campaign'), t('kpi.clicks'), t('kpi.sales'), t('kpi.conversion_rate'), t('portal.commission')];
  const rows = report.rows.length
    ? h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'stack', id: 'my-campaigns' },
          h('thead', {}, h('tr', {}, cols.map((c, i) => h('th', { scope: 'col', class: i ? 'num' : null }, c)))),
          h('tbody', {}, report.rows.map((r) => rowOf(r, cols))),
        ),
      )
    : empty(t('portal.no_campaigns'), t('portal.no_campaigns_next'));
  return h('section', { class: 'card', id: 'campaigns' }, h('p', { class: 'hint' }, t('portal.campaigns_hint')), builder(linking), rows);
}
