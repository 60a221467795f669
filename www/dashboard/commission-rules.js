// The commission rules a merchant sets without writing JSON: rates per product (SKU) and per
// category, rates per affiliate category (coupon and cashback sites paid less, say), a default
// rate that grows with the affiliate's sales or revenue in the month, commissions on
// subscription renewals, and caps. Each part reads and writes its own keys of the
// program's `commission` object (the core's `Rules`), leaving the rest as it is: amounts in other
// currencies than the program's, and a kind of rate this form does not spell out (shown as
// "set in the JSON below").

import { t, decimal, currencyDigits, parseMoney } from '../shared/i18n.js';
import { h, fill, field } from '../shared/ui.js';
import { CATEGORIES } from './affiliates.js';

/** A rate in basis points as the percent people write (`1000` → `10`, `250` → `2.5`). */
export const percentOf = (bps) => decimal(bps, 2).replace(/\.?0+$/, '');

/** What was typed as a percent with up to 2 decimals, in basis points; null if not that. */
export function bpsOf(text) {
  const m = String(text).trim().match(/^(\d{1,3})(?:[.,](\d{1,2}))?$/);
  return m ? Number(m[1]) * 100 + Number((m[2] || '').padEnd(2, '0')) : null;
}

const amountText = (amounts, cur) => (amounts && amounts[cur] !== undefined ? decimal(amounts[cur], currencyDigits(cur)) : '');

/** A fault found while reading the form: the message and the field to put right. */
const fault = (input, message) => ({ error: message, input });

/** A button that removes its row. */
function removeButton(row) {
  return h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'remove' }, onclick: () => row.remove() }, t('dash.rules_remove'));
}

/**
 * Product and category rates: one row each, a percent of the line or a flat amount per unit.
 * Rows whose rate is a kind this form does not spell out keep it as it is.
 */
function overrides(cur) {
  const list = h('div', { id: 'rules-overrides' });
  let n = 0;
  const addRow = (kind = 'products', key = '', rate = null) => {
    n += 1;
    const kindSel = h('select', { id: `r-kind-${n}`, class: 'r-kind' }, ['products', 'categories'].map((k) => h('option', { value: k, selected: k === kind }, t(`dash.rules_${k}`))));
    const keyIn = h('input', { id: `r-key-${n}`, class: 'r-key', value: key, required: true, maxlength: 200, autocomplete: 'off', placeholder: 'SKU-1' });
    const known = !rate || rate.type === 'percent' || rate.type === 'flat';
    const typeSel = h('select', { id: `r-type-${n}`, class: 'r-type', disabled: !known }, ['percent', 'flat'].map((k) => h('option', { value: k, selected: rate ? rate.type === k : k === 'percent' }, t(`dash.rules_type_${k}`, { currency: cur }))));
    const value = h('input', {
      id: `r-value-${n}`,
      class: 'r-value',
      inputmode: 'decimal',
      required: known,
      disabled: !known,
      size: 10,
      value: !rate ? '' : rate.type === 'percent' ? percentOf(rate.rate_bps) : rate.type === 'flat' ? amountText(rate.amounts, cur) : t('dash.rules_in_json'),
    });
    const row = h('div', { class: 'row rules-override' }, field(t('dash.rules_kind'), kindSel), field(t('dash.rules_key'), keyIn), field(t('dash.rules_type'), typeSel), field(t('dash.rules_value'), value));
    row.append(removeButton(row));
    row.read = () => {
      const k = keyIn.value.trim();
      if (!k) return fault(keyIn, t('dash.rules_bad_key'));
      if (!known) return { kind: kindSel.value, key: k, rate };
      if (typeSel.value === 'percent') {
        const bps = bpsOf(value.value);
        if (bps === null || bps > 10000) return fault(value, t('dash.bad_rate'));
        return { kind: kindSel.value, key: k, rate: { type: 'percent', rate_bps: bps } };
      }
      const minor = parseMoney(value.value, cur);
      if (minor === null) return fault(value, t('dash.bad_amount'));
      // Amounts in the program's other currencies stay.
      const amounts = { ...(rate?.type === 'flat' ? rate.amounts : {}), [cur]: minor };
      return { kind: kindSel.value, key: k, rate: { type: 'flat', amounts } };
    };
    list.append(row);
    return keyIn;
  };
  const add = h('button', { type: 'button', class: 'btn', id: 'rules-add-override', onclick: () => addRow().focus() }, t('dash.rules_add_override'));
  return {
    part: [h('h3', {}, t('dash.rules_overrides')), h('p', { class: 'hint' }, t('dash.rules_overrides_hint')), list, h('div', { class: 'row' }, add)],
    load(c) {
      fill(list);
      for (const kind of ['products', 'categories']) for (const [key, rate] of Object.entries(c[kind] || {})) addRow(kind, key, rate);
    },
    apply(c) {
      const out = { products: {}, categories: {} };
      for (const row of list.children) {
        const r = row.read();
        if (r.error) return r;
        if (Object.hasOwn(out[r.kind], r.key)) return fault(row.querySelector('.r-key'), t('dash.rules_twice', { key: r.key }));
        out[r.kind][r.key] = r.rate;
      }
      c.products = out.products;
      c.categories = out.categories;
      return {};
    },
  };
}

/**
 * Rates by affiliate category (`affiliate_categories`): a sale rate (percent) and an amount per
 * lead for every affiliate of a category, below an affiliate's own. A sale rate of a kind this
 * form does not spell out, and lead amounts in other currencies, stay as they are.
 */
function groups(cur) {
  const list = h('div', { id: 'rules-groups' });
  let n = 0;
  const addRow = (category = CATEGORIES[0], o = {}) => {
    n += 1;
    const catSel = h('select', { id: `r-group-${n}`, class: 'r-group' }, CATEGORIES.map((c) => h('option', { value: c, selected: c === category }, t(`cat.${c}`))));
    const known = !o.sale || o.sale.type === 'percent';
    const sale = h('input', { id: `r-group-sale-${n}`, class: 'r-group-sale', inputmode: 'decimal', size: 6, disabled: !known, placeholder: known ? '' : t('dash.rules_in_json'), value: o.sale?.type === 'percent' ? percentOf(o.sale.rate_bps) : '' });
    const lead = h('input', { id: `r-group-lead-${n}`, class: 'r-group-lead', inputmode: 'decimal', size: 10, value: amountText(o.lead, cur) });
    const row = h('div', { class: 'row rules-group' }, field(t('dash.category'), catSel), field(t('dash.sale_rate'), sale), field(t('dash.rules_group_lead', { currency: cur }), lead));
    row.append(removeButton(row));
    row.read = () => {
      const out = {};
      if (!known) out.sale = o.sale;
      else if (sale.value.trim()) {
        const bps = bpsOf(sale.value);
        if (bps === null || bps > 10000) return fault(sale, t('dash.bad_rate'));
        out.sale = { type: 'percent', rate_bps: bps };
      }
      const others = { ...(o.lead || {}) };
      delete others[cur];
      if (lead.value.trim()) {
        const minor = parseMoney(lead.value, cur);
        if (minor === null) return fault(lead, t('dash.bad_amount'));
        out.lead = { ...others, [cur]: minor };
      } else if (Object.keys(others).length) out.lead = others;
      if (!out.sale && !out.lead) return fault(sale, t('dash.rules_group_empty'));
      return { category: catSel.value, rules: out };
    };
    list.append(row);
    return catSel;
  };
  const add = h('button', { type: 'button', class: 'btn', id: 'rules-add-group', onclick: () => addRow().focus() }, t('dash.rules_add_group'));
  return {
    part: [h('h3', {}, t('dash.rules_groups')), h('p', { class: 'hint' }, t('dash.rules_groups_hint')), list, h('div', { class: 'row' }, add)],
    load(c) {
      fill(list);
      for (const [category, o] of Object.entries(c.affiliate_categories || {})) addRow(category, o);
    },
    apply(c) {
      const out = {};
      for (const row of list.children) {
        const r = row.read();
        if (r.error) return r;
        if (Object.hasOwn(out, r.category)) return fault(row.querySelector('.r-group'), t('dash.rules_twice', { key: t(`cat.${r.category}`) }));
        out[r.category] = r.rules;
      }
      // Rules read without the key (a backend that keeps none) get it only once a row is set.
      if (Object.keys(out).length || Object.hasOwn(c, 'affiliate_categories')) c.affiliate_categories = out;
      return {};
    },
  };
}

/**
 * Tiers on the program's sale rate: from a number of sales, or an amount of referred revenue,
 * in the month, the rate is higher. The base rate is the form's "Sale commission (%)".
 */
function tiers(cur) {
  const kind = h('select', { id: 'r-tiers-kind' }, ['none', 'sales_tiers', 'revenue_tiers'].map((k) => h('option', { value: k }, t(`dash.rules_tiers_${k}`, { currency: cur }))));
  const list = h('div', { id: 'rules-tiers' });
  const add = h('button', { type: 'button', class: 'btn', id: 'rules-add-tier', onclick: () => addRow().focus() }, t('dash.rules_add_tier'));
  let n = 0;
  let otherCurrencies = [];
  const addRow = (tier = null) => {
    n += 1;
    const from = h('input', { id: `r-tier-from-${n}`, class: 'r-tier-from', inputmode: kind.value === 'sales_tiers' ? 'numeric' : 'decimal', required: true, size: 10 });
    if (tier) from.value = kind.value === 'sales_tiers' ? String(tier.from) : amountText(tier.from, cur);
    const rate = h('input', { id: `r-tier-rate-${n}`, class: 'r-tier-rate', inputmode: 'decimal', required: true, size: 6, value: tier ? percentOf(tier.rate_bps) : '' });
    const row = h('div', { class: 'row rules-tier' }, field(t(kind.value === 'sales_tiers' ? 'dash.rules_tier_from_sales' : 'dash.rules_tier_from_revenue', { currency: cur }), from), field(t('dash.sale_rate'), rate));
    row.append(removeButton(row));
    row.read = () => {
      const bps = bpsOf(rate.value);
      if (bps === null || bps > 10000) return fault(rate, t('dash.bad_rate'));
      if (kind.value === 'sales_tiers') {
        if (!/^\d{1,9}$/.test(from.value.trim()) || Number(from.value) < 1) return fault(from, t('dash.rules_bad_from'));
        return { from: Number(from.value), rate_bps: bps };
      }
      const minor = parseMoney(from.value, cur);
      if (minor === null || minor < 1) return fault(from, t('dash.bad_amount'));
      return { from: { [cur]: minor }, rate_bps: bps };
    };
    list.append(row);
    return from;
  };
  const shown = () => {
    list.hidden = kind.value === 'none';
    add.hidden = list.hidden;
  };
  kind.addEventListener('change', () => {
    fill(list);
    if (kind.value !== 'none') addRow();
    shown();
  });
  return {
    part: [h('h3', {}, t('dash.rules_tiers')), h('p', { class: 'hint' }, t('dash.rules_tiers_hint')), h('div', { class: 'row' }, field(t('dash.rules_tiers_kind'), kind)), list, h('div', { class: 'row' }, add)],
    load(c) {
      fill(list);
      const sale = c.sale;
      const tiered = sale && (sale.type === 'sales_tiers' || sale.type === 'revenue_tiers');
      kind.value = tiered ? sale.type : 'none';
      // Revenue tiers in several currencies: the others cannot be edited here, so the form
      // leaves the tiers to the JSON.
      otherCurrencies = sale?.type === 'revenue_tiers' ? [...new Set(sale.tiers.flatMap((x) => Object.keys(x.from)))].filter((x) => x !== cur) : [];
      kind.disabled = otherCurrencies.length > 0 || (!!sale && !tiered && sale.type !== 'percent');
      if (tiered) for (const x of sale.tiers) addRow(x);
      shown();
    },
    /** Sets `c.sale` from the base rate (`bps`, or null to keep it) and the tiers. */
    apply(c, bps) {
      if (kind.disabled) return {};
      const base = bps ?? (c.sale && 'rate_bps' in c.sale ? c.sale.rate_bps : null);
      if (kind.value === 'none') {
        if (base !== null) c.sale = { type: 'percent', rate_bps: base };
        return {};
      }
      if (base === null) return fault(document.getElementById('s-rate'), t('dash.rules_tiers_need_rate'));
      const out = [];
      for (const row of list.children) {
        const r = row.read();
        if (r.error) return r;
        out.push(r);
      }
      const key = (x) => (kind.value === 'sales_tiers' ? x.from : x.from[cur]);
      out.sort((a, b) => key(a) - key(b));
      if (out.some((x, i) => i > 0 && key(x) === key(out[i - 1]))) return fault(list.querySelector('.r-tier-from'), t('dash.rules_tiers_twice'));
      c.sale = { type: kind.value, rate_bps: base, tiers: out };
      return {};
    },
  };
}

/** Renewals of subscriptions: none, the first N months, or for the life of the subscription. */
function renewals() {
  const kind = h('select', { id: 'r-recurring' }, ['none', 'months', 'lifetime'].map((k) => h('option', { value: k }, t(`dash.rules_recurring_${k}`))));
  const months = h('input', { id: 'r-recurring-months', inputmode: 'numeric', size: 4, required: true });
  const rate = h('input', { id: 'r-recurring-rate', inputmode: 'decimal', size: 6, placeholder: t('dash.rules_recurring_same') });
  const monthsField = field(t('dash.rules_recurring_count'), months);
  const rateField = field(t('dash.rules_recurring_rate'), rate, t('dash.rules_recurring_rate_hint'));
  let keptRate = null;
  const shown = () => {
    monthsField.hidden = kind.value !== 'months';
    months.disabled = monthsField.hidden;
    rateField.hidden = kind.value === 'none';
  };
  kind.addEventListener('change', shown);
  return {
    part: [h('h3', {}, t('dash.rules_recurring')), h('div', { class: 'row' }, field(t('dash.rules_recurring_kind'), kind), monthsField, rateField)],
    load(c) {
      const r = c.recurring || { type: 'none' };
      kind.value = r.type;
      months.value = r.type === 'months' ? String(r.months) : '12';
      // A renewal rate of another kind than a percent stays as it is unless one is typed.
      keptRate = r.rate && r.rate.type !== 'percent' ? r.rate : null;
      rate.value = r.rate?.type === 'percent' ? percentOf(r.rate.rate_bps) : '';
      rate.placeholder = keptRate ? t('dash.rules_in_json') : t('dash.rules_recurring_same');
      shown();
    },
    apply(c) {
      if (kind.value === 'none') {
        c.recurring = { type: 'none' };
        return {};
      }
      let r = keptRate;
      if (rate.value.trim()) {
        const bps = bpsOf(rate.value);
        if (bps === null || bps > 10000) return fault(rate, t('dash.bad_rate'));
        r = { type: 'percent', rate_bps: bps };
      }
      if (kind.value === 'months') {
        if (!/^\d{1,3}$/.test(months.value.trim()) || Number(months.value) < 1) return fault(months, t('dash.rules_bad_months'));
        c.recurring = { type: 'months', months: Number(months.value), rate: r };
      } else {
        c.recurring = { type: 'lifetime', rate: r };
      }
      return {};
    },
  };
}

/** The caps: the most one referral earns, the most one affiliate earns in a month. */
function caps(cur) {
  const perReferral = h('input', { id: 'r-cap-referral', inputmode: 'decimal', size: 12, placeholder: t('dash.rules_no_cap') });
  const perPeriod = h('input', { id: 'r-cap-period', inputmode: 'decimal', size: 12, placeholder: t('dash.rules_no_cap') });
  let kept = {};
  const read = (input, name) => {
    const rest = { ...(kept[name] || {}) };
    delete rest[cur];
    if (!input.value.trim()) return { amounts: Object.keys(rest).length ? rest : null };
    const minor = parseMoney(input.value, cur);
    if (minor === null || minor < 1) return fault(input, t('dash.bad_amount'));
    return { amounts: { ...rest, [cur]: minor } };
  };
  return {
    part: [h('h3', {}, t('dash.rules_caps')), h('div', { class: 'row' }, field(t('dash.rules_cap_referral', { currency: cur }), perReferral), field(t('dash.rules_cap_period', { currency: cur }), perPeriod))],
    load(c) {
      kept = c.caps || {};
      perReferral.value = amountText(kept.per_referral, cur);
      perPeriod.value = amountText(kept.per_period, cur);
    },
    apply(c) {
      const a = read(perReferral, 'per_referral');
      if (a.error) return a;
      const b = read(perPeriod, 'per_period');
      if (b.error) return b;
      c.caps = { per_referral: a.amounts, per_period: b.amounts };
      return {};
    },
  };
}

/**
 * The section, for the program's `currency`. `load(commission)` fills it from a rules object;
 * `apply(commission, saleBps)` writes its parts into one (the sale rate typed in the form, or
 * null) and answers `{}` or `{error, input}`.
 */
export function commissionRules(currency) {
  const parts = { overrides: overrides(currency), groups: groups(currency), tiers: tiers(currency), renewals: renewals(), caps: caps(currency) };
  return {
    section: h('section', { class: 'card', id: 'commission-rules' }, h('h2', {}, t('dash.rules_title')), parts.overrides.part, parts.groups.part, parts.tiers.part, parts.renewals.part, parts.caps.part),
    load(c) {
      for (const p of Object.values(parts)) p.load(c);
    },
    apply(c, saleBps) {
      for (const r of [parts.overrides.apply(c), parts.groups.apply(c), parts.tiers.apply(c, saleBps), parts.renewals.apply(c), parts.caps.apply(c)]) if (r.error) return r;
      return {};
    },
  };
}
