// Overview: the KPIs of a period (DESIGN.md's table) for one currency, the daily series, top
// affiliates, performance by affiliate category and the top campaigns.

import { t, num, pct, money, day } from '../shared/i18n.js';
import { h, fill, empty, field } from '../shared/ui.js';
import { chart, clearCharts, colour } from '../shared/charts.js';
import { routeQuery, setRouteQuery, period } from './route.js';
import { toReviewCard } from './to-review.js';
import { campaignsTable } from './campaigns.js';

const ZERO = {
  revenue_gross: 0, revenue_net: 0, aov: 0, commissions_gross: 0, commissions: 0, lead_commissions: 0, bonuses: 0, recruiter_commissions: 0, fees: 0, channel_cost: 0,
  cost_per_sale: 0, cost_per_lead: 0, epc_per_100: 0, roas: null, roas_percent: null, cost_of_goods: 0,
  sales_without_cost: 0, roi: null, roi_percent: null, contribution_margin: 0, reversal_rate_amount: null,
};

/** The money KPIs of `kpis` in `currency` (zeros when it had none). */
export function moneyOf(kpis, currency) {
  return kpis.money.find((m) => m.currency === currency) || { ...ZERO, currency };
}

/** The period picker shared by the overview and the ledger. */
export function periodPicker(q, onchange) {
  const p = period(q);
  const days = h(
    'select',
    { id: 'period' },
    ['7', '30', '90', '365'].map((d) => h('option', { value: d, selected: p.days === d }, t('dash.last_days', { n: d }))),
    h('option', { value: 'custom', selected: !p.days }, t('dash.custom')),
  );
  const from = h('input', { type: 'date', id: 'from', value: p.fromDate || p.from.slice(0, 10) });
  const to = h('input', { type: 'date', id: 'to', value: p.toDate || p.to.slice(0, 10) });
  const custom = h('div', { class: 'row', hidden: !!p.days }, field(t('dash.from'), from), field(t('dash.to'), to));
  const apply = () => {
    if (days.value === 'custom') {
      custom.hidden = false;
      if (from.value && to.value && from.value <= to.value) onchange({ from: from.value, to: to.value });
    } else onchange({ days: days.value });
  };
  days.addEventListener('change', apply);
  from.addEventListener('change', apply);
  to.addEventListener('change', apply);
  return h('div', { class: 'row' }, field(t('dash.period'), days), custom);
}

function card(id, label, value, raw, sub) {
  return h(
    'div',
    { class: 'kpi', dataset: { kpi: id, raw: raw === null || raw === undefined ? '' : String(raw) } },
    h('div', { class: 'label' }, label),
    h('div', { class: 'value' }, value),
    sub ? h('div', { class: 'sub' }, sub) : null,
  );
}

function ratio(r) {
  return r === null || r === undefined ? '—' : `${num(Math.round(r * 100) / 100)}×`;
}

export async function overview(main, { api, program, render }) {
  clearCharts();
  const q = routeQuery();
  const p = period(q);
  const sort = ['revenue', 'commission', 'clicks', 'conversion_rate'].includes(q.get('sort')) ? q.get('sort') : 'revenue';
  const range = { from: p.from, to: p.to };
  const [summary, series, byAff, byCat, byCampaign] = await Promise.all([
    api.summary(range),
    api.timeseries(range),
    api.byAffiliate({ ...range, sort, limit: 10 }),
    api.byCategory(range),
    api.campaigns({ ...range, limit: 100 }),
  ]);
  const currencies = [...new Set([program.currency, ...summary.kpis.money.map((m) => m.currency), ...summary.store.map((s) => s.currency)])];
  const cur = currencies.includes(q.get('currency')) ? q.get('currency') : program.currency;
  const k = summary.kpis;
  const m = moneyOf(k, cur);
  const store = summary.store.find((s) => s.currency === cur);
  const fmt = (v) => money(v, cur);
  const keep = (extra) => {
    setRouteQuery({ days: p.days, from: p.fromDate, to: p.toDate, currency: cur, sort, ...extra });
    render();
  };

  const currencySel = h(
    'select',
    { id: 'currency', onchange: (e) => keep({ currency: e.target.value }) },
    currencies.map((c) => h('option', { value: c, selected: c === cur }, c)),
  );

  const cards = h(
    'section',
    { class: 'grid', 'aria-label': t('dash.kpis') },
    card('clicks', t('kpi.clicks'), num(k.clicks), k.clicks, t('kpi.bot_clicks', { n: num(k.bot_clicks) })),
    card('unique_visitors', t('kpi.unique_visitors'), num(k.unique_visitors), k.unique_visitors),
    card('leads', t('kpi.leads'), num(k.leads.net), k.leads.net, t('kpi.gross_net', { gross: num(k.leads.gross), net: num(k.leads.net) })),
    card('sales', t('kpi.sales'), num(k.sales.net), k.sales.net, t('kpi.gross_net', { gross: num(k.sales.gross), net: num(k.sales.net) })),
    card('revenue_net', t('kpi.revenue'), fmt(m.revenue_net), m.revenue_net, t('kpi.gross', { v: fmt(m.revenue_gross) })),
    card('aov', t('kpi.aov'), fmt(m.aov), m.aov),
    card('conversion_rate', t('kpi.conversion_rate'), pct(k.conversion_rate, 2), k.conversion_rate, t('kpi.per_click', { v: pct(k.conversion_rate_clicks, 2) })),
    card('commissions', t('kpi.commissions'), fmt(m.commissions), m.commissions, t('kpi.gross', { v: fmt(m.commissions_gross) })),
    card('channel_cost', t('kpi.channel_cost'), fmt(m.channel_cost), m.channel_cost, t(m.recruiter_commissions ? 'kpi.channel_cost_parts_recruiters' : 'kpi.channel_cost_parts', { commissions: fmt(m.commissions), bonuses: fmt(m.bonuses), fees: fmt(m.fees), recruiters: fmt(m.recruiter_commissions) })),
    card('cost_per_sale', t('kpi.cost_per_sale'), fmt(m.cost_per_sale), m.cost_per_sale, t('kpi.cost_per_lead', { v: fmt(m.cost_per_lead) })),
    card('epc_per_100', t('kpi.epc'), fmt(m.epc_per_100), m.epc_per_100, t('kpi.epc_hint')),
    card('roas', t('kpi.roas'), ratio(m.roas), m.roas, m.roas_percent === null ? null : `${num(m.roas_percent)} %`),
    card(
      'roi',
      t('kpi.roi'),
      ratio(m.roi),
      m.roi,
      m.roi !== null ? `${num(m.roi_percent)} %` : m.sales_without_cost > 0 ? t('kpi.roi_missing_cost', { n: num(m.sales_without_cost) }) : null,
    ),
    card('contribution_margin', t('kpi.margin'), fmt(m.contribution_margin), m.contribution_margin, t('kpi.margin_cogs', { v: fmt(m.cost_of_goods) })),
    card('reversal_rate', t('kpi.reversal_rate'), pct(k.reversal_rate), k.reversal_rate, t('kpi.by_amount', { v: pct(m.reversal_rate_amount) })),
    card(
      'active_affiliate_rate',
      t('kpi.active_rate'),
      pct(summary.active_affiliate_rate, 0),
      summary.active_affiliate_rate,
      t('kpi.active_of', { active: num(summary.affiliates_active), all: num(summary.affiliates_approved) }),
    ),
    card(
      'incremental',
      t('kpi.incremental'),
      store && store.incremental !== null ? fmt(store.incremental) : '—',
      store ? store.incremental : null,
      store ? t('kpi.store_baseline', { revenue: fmt(store.revenue), baseline: store.baseline === null ? '—' : fmt(store.baseline) }) : t('kpi.no_store'),
    ),
  );

  const rows = series.rows;
  const seriesBox = rows.length
    ? h(
        'div',
        { class: 'grid-2' },
        h(
          'div',
          { class: 'card' },
          h('h2', {}, t('dash.traffic')),
          chart(t('dash.traffic'), {
            type: 'line',
            data: {
              labels: rows.map((r) => day(r.key)),
              datasets: [
                { label: t('kpi.clicks'), data: rows.map((r) => r.clicks), borderColor: colour(0), backgroundColor: colour(0), yAxisID: 'y', tension: 0.25, pointRadius: 0 },
                { label: t('kpi.sales'), data: rows.map((r) => r.sales.net), borderColor: colour(1), backgroundColor: colour(1), yAxisID: 'y1', tension: 0.25, pointRadius: 0 },
              ],
            },
            options: { interaction: { mode: 'index', intersect: false }, scales: { y: { beginAtZero: true }, y1: { beginAtZero: true, position: 'right', grid: { drawOnChartArea: false } } } },
          }),
        ),
        h(
          'div',
          { class: 'card' },
          h('h2', {}, t('dash.money_series', { currency: cur })),
          chart(t('dash.money_series', { currency: cur }), {
            type: 'bar',
            data: {
              labels: rows.map((r) => day(r.key)),
              datasets: [
                { label: t('kpi.revenue'), data: rows.map((r) => moneyOf(r, cur).revenue_net), backgroundColor: colour(2) },
                { label: t('kpi.commissions'), data: rows.map((r) => moneyOf(r, cur).commissions), backgroundColor: colour(3) },
              ],
            },
            options: { plugins: { tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${fmt(c.raw)}` } } }, scales: { y: { beginAtZero: true, ticks: { callback: (v) => fmt(v) } } } },
          }),
        ),
      )
    : empty(t('dash.no_data'), t('dash.no_data_next'));

  const sortSel = h(
    'select',
    { id: 'sort', onchange: (e) => keep({ sort: e.target.value }) },
    ['revenue', 'credited_revenue', 'commission', 'clicks', 'conversion_rate'].map((s) => h('option', { value: s, selected: s === sort }, t(`dash.sort_${s}`))),
  );
  // Multi-touch credit (affiliates and categories): the net revenue of the sales each group
  // contributed to, split by the program's model, and the sales it assisted.
  const mt = (program.multi_touch && program.multi_touch.kind) || 'last';
  const creditedLabel = t('kpi.credited_revenue', { model: t(`dash.mt_${mt}`) });
  const table = (list, keyLabel, id) =>
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'stack', id },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            [keyLabel, t('kpi.clicks'), t('kpi.sales'), t('kpi.conversion_rate'), t('kpi.revenue'), creditedLabel, t('kpi.assisted_sales'), t('kpi.commissions'), t('kpi.epc'), t('kpi.reversal_rate')].map((c, i) =>
              h('th', { class: i ? 'num' : null, scope: 'col', title: c === creditedLabel ? t('kpi.credited_revenue_hint') : null }, c),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          list.map((r) => {
            const mm = moneyOf(r, cur);
            const cells = [
              [keyLabel, r.key || '—'],
              [t('kpi.clicks'), num(r.clicks)],
              [t('kpi.sales'), num(r.sales.net)],
              [t('kpi.conversion_rate'), pct(r.conversion_rate, 2)],
              [t('kpi.revenue'), fmt(mm.revenue_net)],
              [creditedLabel, fmt(mm.credited_revenue_net ?? mm.revenue_net), 'credited'],
              [t('kpi.assisted_sales'), num(r.assisted_sales ? r.assisted_sales.net : 0), 'assisted'],
              [t('kpi.commissions'), fmt(mm.commissions)],
              [t('kpi.epc'), fmt(mm.epc_per_100)],
              [t('kpi.reversal_rate'), pct(r.reversal_rate)],
            ];
            return h(
              'tr',
              { dataset: { key: r.key || '' } },
              cells.map(([label, v, kpi], i) => h('td', { class: i ? 'num' : null, 'data-label': label, dataset: kpi ? { kpi } : undefined }, v)),
            );
          }),
        ),
      ),
    );

  const affBox = byAff.rows.length
    ? h(
        'div',
        { class: 'grid-2' },
        h('div', { class: 'card' }, chart(t('dash.top_affiliates'), {
          type: 'bar',
          data: { labels: byAff.rows.map((r) => r.key), datasets: [{ label: t('kpi.revenue'), data: byAff.rows.map((r) => moneyOf(r, cur).revenue_net), backgroundColor: colour(0) }] },
          options: { indexAxis: 'y', plugins: { legend: { display: false }, tooltip: { callbacks: { label: (c) => fmt(c.raw) } } }, scales: { x: { ticks: { callback: (v) => fmt(v) } } } },
        })),
        table(byAff.rows, t('dash.affiliate'), 'top-affiliates'),
      )
    : empty(t('dash.no_affiliates_period'), t('dash.no_affiliates_next'));

  const catBox = byCat.rows.length
    ? h(
        'div',
        { class: 'grid-2' },
        h('div', { class: 'card' }, chart(t('dash.by_category'), {
          type: 'doughnut',
          data: { labels: byCat.rows.map((r) => t(`cat.${r.key}`)), datasets: [{ data: byCat.rows.map((r) => moneyOf(r, cur).revenue_net), backgroundColor: byCat.rows.map((_, i) => colour(i)) }] },
          options: { plugins: { tooltip: { callbacks: { label: (c) => `${c.label}: ${fmt(c.raw)}` } } } },
        })),
        table(byCat.rows.map((r) => ({ ...r, key: t(`cat.${r.key}`) })), t('dash.category'), 'by-category'),
      )
    : empty(t('dash.no_data'), t('dash.no_data_next'));

  // Named campaigns only: every affiliate has links without one.
  const named = byCampaign.rows.filter((r) => r.campaign !== null).slice(0, 10);
  const campaignsBox = named.length
    ? h('div', { class: 'card', id: 'top-campaigns-card' }, campaignsTable(named, 'top-campaigns', { byAffiliate: true, currency: cur }), h('p', { class: 'hint' }, t('dash.top_campaigns_hint')))
    : empty(t('dash.no_campaigns_period'), t('dash.campaigns_hint'));

  fill(
    main,
    h('h1', {}, t('dash.nav_overview')),
    toReviewCard(api, program),
    h(
      'div',
      { class: 'toolbar' },
      periodPicker(q, (pp) => keep({ days: pp.days || '', from: pp.from || '', to: pp.to || '' })),
      field(t('dash.currency'), currencySel),
    ),
    cards,
    h('h2', {}, t('dash.time_series')),
    seriesBox,
    h('div', { class: 'section-head' }, h('h2', {}, t('dash.top_affiliates')), field(t('dash.sort_by'), sortSel)),
    affBox,
    h('h2', {}, t('dash.by_category')),
    catBox,
    h('h2', {}, t('dash.top_campaigns')),
    campaignsBox,
  );
}
