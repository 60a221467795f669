// An affiliate's days: clicks and sales per day of the period as a chart, with the same numbers
// as a table to open (/v1/me/daily in the portal, /v1/affiliates/{id}/daily in the dashboard's
// panel). It loads on its own: the rest of the page does not wait for it or fail with it.

import { t, num, money } from './i18n.js';
import { h, fill, loading, failure } from './ui.js';
import { chart, colour } from './charts.js';

function table(days) {
  const cols = [t('portal.day'), t('kpi.clicks'), t('kpi.sales'), t('portal.commission')];
  return h(
    'details',
    { id: 'daily-table' },
    h('summary', {}, t('portal.daily_table')),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'stack' },
        h('thead', {}, h('tr', {}, cols.map((c, i) => h('th', { scope: 'col', class: i ? 'num' : null }, c)))),
        h(
          'tbody',
          {},
          days.map((d) =>
            h(
              'tr',
              { dataset: { day: d.day, clicks: d.clicks, sales: d.sales } },
              h('td', { 'data-label': cols[0] }, d.day),
              h('td', { class: 'num', 'data-label': cols[1] }, num(d.clicks)),
              h('td', { class: 'num', 'data-label': cols[2] }, num(d.sales), d.leads ? h('small', { class: 'hint' }, ` · ${t('portal.leads', { n: num(d.leads) })}`) : null),
              h('td', { class: 'num', 'data-label': cols[3] }, d.commissions.length ? d.commissions.map((m) => money(m.amount, m.currency)).join(' · ') : '—'),
            ),
          ),
        ),
      ),
    ),
  );
}

/** The section, filled when `load()` (a promise of the daily answer) arrives; `heading` above. */
export function dailyBox(load, heading = null) {
  const box = h('section', { class: 'card', id: 'daily' }, loading());
  load()
    .then(({ days }) => {
      const label = t('portal.daily_chart');
      fill(
        box,
        heading ? h('h2', {}, heading) : null,
        chart(label, {
          data: {
            labels: days.map((d) => d.day.slice(5)),
            datasets: [
              { type: 'bar', label: t('kpi.clicks'), data: days.map((d) => d.clicks), backgroundColor: colour(0), yAxisID: 'clicks' },
              { type: 'line', label: t('kpi.sales'), data: days.map((d) => d.sales), borderColor: colour(1), backgroundColor: colour(1), yAxisID: 'sales' },
            ],
          },
          options: {
            scales: {
              clicks: { type: 'linear', position: 'left', beginAtZero: true, ticks: { precision: 0 } },
              sales: { type: 'linear', position: 'right', beginAtZero: true, ticks: { precision: 0 }, grid: { drawOnChartArea: false } },
            },
          },
        }),
        table(days),
      );
    })
    .catch((err) => fill(box, failure(err)));
  return box;
}
