// Bonuses in an affiliate's panel: give one (an amount, a currency and what it is for, which the
// affiliate reads in their portal), see the latest ones, and cancel one the next payout has not
// paid yet. A bonus is payable at once; the reports count bonuses in the channel cost.

import { t, money, dateTime, parseMoney } from '../shared/i18n.js';
import { h, fill, field, badge, notify } from '../shared/ui.js';
import { who } from './activity.js';

const SHOWN = 10;
const CURRENCIES = ['VND', 'THB', 'USD'];

/** Bonuses as a table, with a Cancel button on each unpaid one; `withAffiliate` adds whose it is. */
export function bonusTable(api, list, redraw, { withAffiliate = false } = {}) {
  const cols = [t('dash.changed_at'), ...(withAffiliate ? [t('dash.affiliate')] : []), t('dash.amount'), t('dash.bonus_reason'), t('dash.status'), t('dash.changed_by'), ''];
  const label = (i) => cols[withAffiliate ? i + 1 : i];
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'stack', id: 'bonuses' },
      h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c)))),
      h(
        'tbody',
        {},
        list.map((b) =>
          h(
            'tr',
            { dataset: { id: b.id, status: b.status } },
            h('td', { 'data-label': cols[0] }, dateTime(b.created_at)),
            withAffiliate ? h('td', { 'data-label': cols[1] }, h('a', { href: `#/affiliates?id=${encodeURIComponent(b.affiliate)}` }, b.affiliate)) : null,
            h('td', { class: 'num', 'data-label': label(1) }, money(b.amount, b.currency)),
            h('td', { 'data-label': label(2) }, b.reason),
            h('td', { 'data-label': label(3) }, badge(t(`dash.bonus_${b.status}`), b.status === 'cancelled' ? 'rejected' : b.status)),
            h('td', { 'data-label': label(4) }, who(b.by)),
            h(
              'td',
              {},
              b.status === 'approved'
                ? h(
                    'button',
                    {
                      type: 'button',
                      class: 'btn btn-small write',
                      dataset: { action: 'cancel' },
                      onclick: async (e) => {
                        if (!confirm(t('dash.bonus_cancel_confirm', { amount: money(b.amount, b.currency) }))) return;
                        e.currentTarget.disabled = true;
                        try {
                          await api.cancelBonus(b.id);
                          notify(t('dash.bonus_cancelled_note'));
                        } catch (err) {
                          notify(err.code ? `${err.message} (${err.code})` : String(err), 'bad');
                        }
                        redraw();
                      },
                    },
                    t('dash.bonus_cancel'),
                  )
                : null,
            ),
          ),
        ),
      ),
    ),
  );
}

function bonusForm(api, program, affiliate, redraw) {
  const currencies = [...new Set([program.currency, ...CURRENCIES])];
  const amount = h('input', { id: 'bonus-amount', required: true, inputmode: 'decimal', size: 12 });
  const currency = h('select', { id: 'bonus-currency' }, currencies.map((c) => h('option', { value: c, selected: c === program.currency }, c)));
  const reason = h('input', { id: 'bonus-reason', required: true, maxlength: 200, placeholder: t('dash.bonus_reason_example') });
  const msg = h('div', { 'aria-live': 'assertive' });
  const form = h(
    'form',
    {
      class: 'toolbar write',
      id: 'bonus-form',
      onsubmit: async (e) => {
        e.preventDefault();
        fill(msg);
        const minor = parseMoney(amount.value, currency.value);
        if (!minor) {
          fill(msg, h('p', { class: 'error' }, t('dash.bonus_amount_invalid', { currency: currency.value })));
          amount.focus();
          return;
        }
        const button = form.querySelector('button[type=submit]');
        button.disabled = true;
        try {
          const b = await api.giveBonus({ affiliate: affiliate.id, amount: minor, currency: currency.value, reason: reason.value });
          notify(t('dash.bonus_given', { amount: money(b.amount, b.currency), id: affiliate.id }));
          redraw();
        } catch (err) {
          fill(msg, h('p', { class: 'error' }, err.code ? `${err.message} (${err.code})` : String(err)));
          button.disabled = false;
        }
      },
    },
    field(t('dash.amount'), amount),
    field(t('dash.currency'), currency),
    field(t('dash.bonus_reason'), reason, t('dash.bonus_reason_hint')),
    h('button', { type: 'submit', class: 'btn btn-primary' }, t('dash.bonus_give')),
    msg,
  );
  return form;
}

/** The affiliate's bonuses and the form to give one, as a card of their panel. */
export async function affiliateBonuses(api, program, affiliate) {
  const card = h('section', { class: 'card', id: 'affiliate-bonuses' });
  const redraw = async () => {
    const page = await api.bonuses({ affiliate: affiliate.id, limit: SHOWN });
    fill(
      card,
      h('h2', {}, t('dash.bonuses_of', { id: affiliate.id })),
      h('p', { class: 'hint' }, t('dash.bonuses_hint')),
      // Giving one, or the hint of how, is for those who may change the program (`write`).
      affiliate.status === 'approved' ? bonusForm(api, program, affiliate, redraw) : h('p', { class: 'hint write' }, t('dash.bonus_needs_approval')),
      page.bonuses.length ? bonusTable(api, page.bonuses, redraw) : h('p', { class: 'hint' }, t('dash.no_bonuses')),
      page.total > SHOWN ? h('p', { class: 'hint' }, t('dash.bonuses_more', { n: page.total - SHOWN })) : null,
    );
  };
  await redraw();
  return card;
}
