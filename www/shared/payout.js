// Where an affiliate's payouts go, for the merchant's affiliate form (dashboard) and the
// affiliate's own "How you get paid" card (portal): the method with its fields, and a bank account
// as one piece of text. The server cleans and checks every value; these only gather them.

import { t } from './i18n.js';
import { h, field } from './ui.js';
import { banksByName, bankName } from './banks.js';

export const PAYOUT_METHODS = ['paypal', 'vietqr', 'promptpay'];

/**
 * The payout method and its fields for affiliate `a` (null for a new one): the PayPal email, or a
 * bank account (VietQR: bank, account, holder; PromptPay: id, holder). The fields of the other
 * methods are hidden and disabled, so the browser neither checks nor submits them.
 *
 * Options: `prefix` of the inputs' ids; `email`, the PayPal email the field starts with (else
 * `a.payout_email`), and `emailRequired`; `hints.email` and `hints.holder` in place of the
 * merchant's wording under those two fields.
 */
export function payoutFields(a, { prefix = 'a-', email: emailValue, emailRequired = false, hints = {} } = {}) {
  const now = a?.payout || null;
  const method = h('select', { id: `${prefix}payout-method` }, PAYOUT_METHODS.map((m) => h('option', { value: m, selected: (now?.method || 'paypal') === m }, t(`dash.method_${m}`))));
  const email = h('input', { id: `${prefix}payout`, type: 'email', maxlength: 254, required: emailRequired, value: emailValue ?? a?.payout_email ?? '' });
  const banks = banksByName();
  const vietqr = now?.method === 'vietqr' ? now : null;
  const listed = vietqr && banks.some((b) => b.bin === vietqr.bank);
  const bank = h(
    'select',
    { id: `${prefix}bank`, required: true },
    h('option', { value: '' }, t('dash.bank_choose')),
    banks.map((b) => h('option', { value: b.bin, selected: listed && vietqr.bank === b.bin }, b.name)),
    h('option', { value: 'other', selected: !!vietqr && !listed }, t('dash.bank_other')),
  );
  const bin = h('input', { id: `${prefix}bank-bin`, required: true, inputmode: 'numeric', pattern: '[0-9]{6}', maxlength: 6, autocomplete: 'off', value: vietqr && !listed ? vietqr.bank : '' });
  const account = h('input', { id: `${prefix}bank-account`, required: true, maxlength: 40, autocomplete: 'off', spellcheck: 'false', value: vietqr?.account || '' });
  const promptpay = h('input', { id: `${prefix}promptpay`, required: true, inputmode: 'tel', maxlength: 40, autocomplete: 'off', value: now?.method === 'promptpay' ? now.account : '' });
  const holder = h('input', { id: `${prefix}payout-name`, maxlength: 100, autocomplete: 'off', value: now?.name || '' });

  const groups = {
    email: field(t('dash.payout_email'), email, hints.email ?? t('dash.payout_email_hint')),
    bank: field(t('dash.bank'), bank),
    bin: field(t('dash.bank_bin'), bin, t('dash.bank_bin_hint')),
    account: field(t('dash.bank_account'), account, t('dash.bank_account_hint')),
    promptpay: field(t('dash.promptpay_id'), promptpay, t('dash.promptpay_id_hint')),
    holder: field(t('dash.account_name'), holder, hints.holder ?? t('dash.account_name_hint')),
  };
  const show = () => {
    const m = method.value;
    const on = {
      email: m === 'paypal',
      bank: m === 'vietqr',
      bin: m === 'vietqr' && bank.value === 'other',
      account: m === 'vietqr',
      promptpay: m === 'promptpay',
      holder: m !== 'paypal',
    };
    for (const [k, el] of Object.entries(groups)) {
      el.hidden = !on[k];
      el.querySelector('input, select').disabled = !on[k];
    }
  };
  method.addEventListener('change', show);
  bank.addEventListener('change', () => {
    show();
    if (bank.value === 'other') bin.focus();
  });
  show();

  const inputFor = (code) => {
    if (code === 'invalid_payout_bank') return bank.value === 'other' ? bin : bank;
    if (code === 'invalid_payout_account') return method.value === 'promptpay' ? promptpay : account;
    if (code === 'invalid_payout_name') return holder;
    if (code === 'invalid_payout_method') return method;
    if (code === 'invalid_payout_email') return email;
    return null;
  };

  return {
    fields: [field(t('dash.payout_method'), method), ...Object.values(groups)],
    method,
    email,
    /** The `payout` to send: null for PayPal. */
    value() {
      const name = holder.value.trim() || undefined;
      if (method.value === 'vietqr') return { method: 'vietqr', bank: bank.value === 'other' ? bin.value.trim() : bank.value, account: account.value.trim(), name };
      if (method.value === 'promptpay') return { method: 'promptpay', account: promptpay.value.trim(), name };
      return null;
    },
    inputFor,
    /**
     * Points at the field a server error code is about, for the eye and for screen readers;
     * answers whether it was one of these fields.
     */
    markInvalid(code) {
      const bad = inputFor(code);
      if (!bad) return false;
      bad.setAttribute('aria-invalid', 'true');
      bad.focus();
      return true;
    },
  };
}

/** A bank account as one piece of text: the bank (VietQR only), the account and the holder. */
export function bankAccount({ bank, account, name }) {
  // One element, so that it stays one piece beside its label at phone width.
  return h(
    'span',
    {},
    bank ? [h('span', { class: 'bank-name' }, bankName(bank)), ' · '] : null,
    h('code', { class: 'account' }, account),
    name ? [' · ', h('span', { class: 'account-name' }, name)] : null,
  );
}
