// An affiliate's WooCommerce coupons, in their panel (WordPress only): the shop's coupons whose
// code is one of theirs, and a form that makes a new one in WooCommerce and gives it to them in
// one step (GET/POST /v1/affiliates/{id}/woocommerce-coupons). In Settings, the coupon each newly
// approved affiliate gets (GET/PUT /v1/woocommerce-coupons/template). The Rust server has no shop
// and no such routes: its 404 leaves the sections out.

import { t, num, parseMoney, decimal, currencyDigits } from '../shared/i18n.js';
import { h, fill, field, failure, notify, loading } from '../shared/ui.js';

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

/**
 * The template's form: off, a percent, or an amount in the currency's major units (sent in minor
 * units, as the coupon form sends them), and how many times one customer may use it. `value()`
 * answers the template to save (null: off), or `{error, input}`.
 */
function templateFields(template, currency) {
  const type = h(
    'select',
    { id: 'wc-template-type' },
    h('option', { value: '' }, t('wc.template_off')),
    h('option', { value: 'percent' }, t('wc.type_percent')),
    h('option', { value: 'fixed_cart' }, t('wc.type_fixed', { currency })),
  );
  type.value = template?.discount_type || '';
  const percent = h('input', { id: 'wc-template-percent', type: 'number', min: 1, max: 100, value: template?.percent ?? 10 });
  const amount = h('input', { id: 'wc-template-amount', inputmode: 'decimal', size: 12, value: template?.amount ? decimal(template.amount, currencyDigits(currency)) : '' });
  const limit = h('input', { id: 'wc-template-limit', type: 'number', min: 1, value: template?.usage_limit_per_user ?? '' });
  const percentField = field(t('wc.percent'), percent);
  const amountField = field(t('wc.amount', { currency }), amount);
  const limitField = field(t('wc.template_limit'), limit, t('wc.template_limit_hint'));
  const show = () => {
    percentField.hidden = type.value !== 'percent';
    amountField.hidden = type.value !== 'fixed_cart';
    limitField.hidden = type.value === '';
  };
  type.addEventListener('change', show);
  show();
  return {
    fields: h('div', { class: 'toolbar' }, field(t('wc.type'), type), percentField, amountField, limitField),
    value() {
      if (!type.value) return { template: null };
      const out = { discount_type: type.value };
      if (type.value === 'percent') {
        const n = Number(percent.value);
        if (!Number.isInteger(n) || n < 1 || n > 100) return { error: t('wc.template_bad_percent'), input: percent };
        out.percent = n;
      } else {
        const minor = parseMoney(amount.value, currency);
        if (!minor) return { error: t('dash.bonus_amount_invalid', { currency }), input: amount };
        out.amount = minor;
      }
      const uses = limit.value.trim() === '' ? null : Number(limit.value);
      if (uses !== null && !(Number.isInteger(uses) && uses >= 1)) return { error: t('wc.template_bad_limit'), input: limit };
      out.usage_limit_per_user = uses;
      return { template: out };
    },
  };
}

/**
 * Settings' section of the WooCommerce coupon each new affiliate gets, hidden unless the backend
 * answers the template (WordPress with WooCommerce); only the owner may change it.
 */
export function wooCouponTemplate(api, program, role) {
  const section = h('section', { class: 'card', id: 'wc-template-card', hidden: true });
  api
    .wooCouponTemplate()
    .then((found) => {
      const form = templateFields(found.template, program.currency);
      const msg = h('div', { 'aria-live': 'assertive' });
      const save = h('button', { type: 'submit', class: 'btn btn-primary', id: 'wc-template-save' }, t('ui.save'));
      const el = h(
        'form',
        {
          id: 'wc-template-form',
          onsubmit: async (e) => {
            e.preventDefault();
            el.querySelectorAll('[aria-invalid]').forEach((x) => x.removeAttribute('aria-invalid'));
            const v = form.value();
            if (v.error) {
              v.input.setAttribute('aria-invalid', 'true');
              v.input.focus();
              return fill(msg, h('p', { class: 'error-text', role: 'alert' }, v.error));
            }
            save.disabled = true;
            fill(msg, loading(t('ui.saving')));
            try {
              await api.saveWooCouponTemplate(v.template);
              fill(msg);
              notify(v.template ? t('wc.template_saved') : t('wc.template_turned_off'));
            } catch (err) {
              fill(msg, failure(err));
            }
            save.disabled = false;
          },
        },
        form.fields,
        h('div', { class: 'row' }, save),
        msg,
      );
      if (role !== 'owner') {
        for (const x of el.querySelectorAll('input, select, button')) x.disabled = true;
      }
      fill(section, h('h2', {}, t('wc.template_title')), h('p', { class: 'hint' }, t('wc.template_hint')), el);
      section.hidden = false;
    })
    .catch(() => {
      // Not WordPress with WooCommerce: nothing to set.
    });
  return section;
}
