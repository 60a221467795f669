// An affiliate's WooCommerce coupons, in their panel (WordPress only): the shop's coupons whose
// code is one of theirs, and a form that makes a new one in WooCommerce and gives it to them in
// one step (GET/POST /v1/affiliates/{id}/woocommerce-coupons). The Rust server has no shop and
// no such route: its 404 leaves the section out.

import { t, num, parseMoney } from '../shared/i18n.js';
import { h, fill, field, failure, notify } from '../shared/ui.js';

/** The code the form suggests: the id in capitals, letters and digits only, then the percent. */
export function suggestedCode(id, percent) {
  return `${id.toUpperCase().replace(/[^A-Z0-9]/g, '')}${percent || ''}`;
}

function list(coupons, currency) {
  if (!coupons.length) return h('p', { class: 'hint', id: 'wc-coupons-none' }, t('wc.no_coupons'));
  return h(
    'ul',
    { id: 'wc-coupons' },
    coupons.map((c) =>
      h(
        'li',
        { dataset: { code: c.code } },
        h('code', {}, c.code),
        ' · ',
        c.discount_type === 'percent' ? t('wc.percent_off', { n: c.amount }) : t('wc.amount_off', { amount: `${c.amount} ${currency}` }),
        ' · ',
        t('wc.used', { n: num(c.usage_count) }),
        c.url ? [' · ', h('a', { href: c.url, target: '_top' }, t('wc.edit'))] : null,
      ),
    ),
  );
}

/**
 * The section for affiliate `a`, hidden until the backend answers; `done` redraws the panel
 * (the affiliate's coupons changed). A viewer sees the list without the form.
 */
export function affiliateWooCoupons(api, program, a, role, done) {
  const section = h('section', { class: 'card', id: 'wc-coupons-card', hidden: true });
  api
    .wooCoupons(a.id)
    .then((found) => {
      const msg = h('div', { 'aria-live': 'assertive' });
      const percent = h('input', { id: 'wc-percent', type: 'number', min: 1, max: 100, value: 10, required: true });
      const amount = h('input', { id: 'wc-amount', inputmode: 'decimal', size: 12 });
      const code = h('input', { id: 'wc-code', maxlength: 40, autocomplete: 'off', spellcheck: 'false', value: suggestedCode(a.id, 10) });
      const type = h('select', { id: 'wc-type' }, h('option', { value: 'percent' }, t('wc.type_percent')), h('option', { value: 'fixed_cart' }, t('wc.type_fixed', { currency: program.currency })));
      const percentField = field(t('wc.percent'), percent);
      const amountField = field(t('wc.amount', { currency: program.currency }), amount);
      amountField.hidden = true;
      // The suggestion follows the discount until the merchant writes their own code.
      let own = false;
      code.addEventListener('input', () => (own = true));
      const suggest = () => {
        if (!own) code.value = suggestedCode(a.id, type.value === 'percent' ? percent.value : '');
      };
      type.addEventListener('change', () => {
        percentField.hidden = type.value !== 'percent';
        amountField.hidden = type.value === 'percent';
        percent.required = type.value === 'percent';
        amount.required = type.value !== 'percent';
        suggest();
      });
      percent.addEventListener('input', suggest);
      const form = h(
        'form',
        {
          id: 'wc-coupon-form',
          class: 'write',
          onsubmit: async (e) => {
            e.preventDefault();
            const body = { code: code.value.trim(), discount_type: type.value };
            if (type.value === 'percent') body.percent = Number(percent.value);
            else {
              const minor = parseMoney(amount.value, program.currency);
              if (!minor) {
                fill(msg, h('p', { class: 'error' }, t('dash.bonus_amount_invalid', { currency: program.currency })));
                return amount.focus();
              }
              body.amount = minor;
            }
            const button = form.querySelector('button[type=submit]');
            button.disabled = true;
            try {
              const made = await api.createWooCoupon(a.id, body);
              notify(t('wc.created', { code: made.coupon.code, id: a.id }));
              done();
            } catch (err) {
              fill(msg, failure(err));
              button.disabled = false;
            }
          },
        },
        h('div', { class: 'toolbar' }, field(t('wc.type'), type), percentField, amountField, field(t('wc.code'), code)),
        h('div', { class: 'row' }, h('button', { type: 'submit', class: 'btn btn-primary' }, t('wc.create'))),
        msg,
      );
      fill(section, h('h2', {}, t('wc.title')), h('p', { class: 'hint' }, t('wc.hint')), list(found.coupons, program.currency), role === 'viewer' ? null : form);
      section.hidden = false;
    })
    .catch(() => {
      // No WooCommerce here (or not WordPress): nothing to offer.
    });
  return section;
}
