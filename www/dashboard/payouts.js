// Payouts: what is payable now (approved balances), a new batch of every approved balance (or
// one currency), past batches with their lines, and each batch's CSV (PayPal mass payment).

import { t, money, dateTime } from '../shared/i18n.js';
import { h, fill, empty, failure, field, notify, loading, download } from '../shared/ui.js';
import { clearCharts } from './charts.js';

export async function payouts(main, { api, render }) {
  clearCharts();
  const [bal, list] = await Promise.all([api.balances(), api.payouts()]);
  const payable = bal.balances.filter((b) => b.approved !== 0);
  const currencies = [...new Set(payable.map((b) => b.currency))];
  const currency = h('select', { id: 'payout-currency' }, h('option', { value: '' }, t('dash.all_currencies')), currencies.map((c) => h('option', { value: c }, c)));
  const note = h('input', { id: 'payout-note', maxlength: 200 });
  const msg = h('div', { 'aria-live': 'assertive' });

  const create = h(
    'form',
    {
      class: 'card',
      onsubmit: async (e) => {
        e.preventDefault();
        fill(msg, loading());
        try {
          const body = {};
          if (currency.value) body.currency = currency.value;
          if (note.value.trim()) body.note = note.value.trim();
          const p = await api.createPayout(body);
          notify(t('dash.payout_created', { id: p.id }));
          render();
        } catch (err) {
          fill(msg, failure(err));
        }
      },
    },
    h('h2', {}, t('dash.new_payout')),
    h('p', { class: 'hint' }, t('dash.new_payout_hint')),
    h('div', { class: 'row' }, field(t('dash.currency'), currency), field(t('dash.note'), note), h('button', { class: 'btn btn-primary', type: 'submit', id: 'create-payout', disabled: !payable.some((b) => b.approved > 0) }, t('dash.create_payout'))),
    msg,
  );

  const balTable = payable.length
    ? h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'stack', id: 'balances' },
          h('thead', {}, h('tr', {}, [t('dash.affiliate'), t('dash.approved_now'), t('status.pending'), t('status.paid')].map((c, i) => h('th', { scope: 'col', class: i ? 'num' : null }, c)))),
          h(
            'tbody',
            {},
            payable.map((b) =>
              h(
                'tr',
                { dataset: { affiliate: b.affiliate, currency: b.currency } },
                h('td', { 'data-label': t('dash.affiliate') }, b.affiliate),
                h('td', { class: 'num', 'data-label': t('dash.approved_now') }, money(b.approved, b.currency)),
                h('td', { class: 'num', 'data-label': t('status.pending') }, money(b.pending, b.currency)),
                h('td', { class: 'num', 'data-label': t('status.paid') }, money(b.paid, b.currency)),
              ),
            ),
          ),
        ),
      )
    : empty(t('dash.nothing_payable'), t('dash.nothing_payable_next'));

  const batches = list.payouts.length
    ? list.payouts.map((p) =>
        h(
          'section',
          { class: 'card payout', dataset: { id: p.id } },
          h(
            'div',
            { class: 'section-head' },
            h('h2', {}, `${t('dash.payout')} ${dateTime(p.at)}`),
            h(
              'button',
              {
                type: 'button',
                class: 'btn',
                dataset: { action: 'csv' },
                onclick: async (e) => {
                  const btn = e.currentTarget;
                  btn.disabled = true;
                  try {
                    download(`payout-${p.id}.csv`, await api.payoutCsv(p.id), 'text/csv');
                  } catch (err) {
                    notify(err.code ? `${err.message} (${err.code})` : String(err), 'bad');
                  }
                  btn.disabled = false;
                },
              },
              t('dash.download_csv'),
            ),
          ),
          p.note ? h('p', {}, p.note) : null,
          h('p', { class: 'hint' }, h('code', {}, p.id)),
          h(
            'div',
            { class: 'table-wrap' },
            h(
              'table',
              { class: 'stack' },
              h('tbody', {}, p.lines.map((l) => h('tr', {}, h('td', { 'data-label': t('dash.affiliate') }, l.affiliate), h('td', { 'data-label': t('dash.email') }, l.paypal_email || '—'), h('td', { class: 'num', 'data-label': t('dash.amount') }, money(l.amount, l.currency))))),
            ),
          ),
        ),
      )
    : [empty(t('dash.no_payouts'), t('dash.no_payouts_next'))];

  fill(main, h('h1', {}, t('dash.nav_payouts')), create, h('h2', {}, t('dash.payable')), balTable, h('h2', {}, t('dash.past_payouts')), ...batches);
}
