// Program settings (GET/PUT /v1/program): name, parameter names, window, first/last click, the
// multi-touch model, commission rules, hold days, allowed origins, language, fraud thresholds,
// webhooks, the tax withheld from payouts and the shop as tax certificates name the payer, how
// affiliates join (the application form: closed, with review or at once, and its terms); the
// WooCommerce coupon each new affiliate gets (WordPress); and the API keys.

import { t, num, dateTime, parseMoney, decimal, currencyDigits, pickLocale, LOCALES } from '../shared/i18n.js';
import { h, fill, failure, field, notify, loading, copyButton, badge } from '../shared/ui.js';
import { clearCharts } from '../shared/charts.js';
import { oneLine } from '../shared/certificate.js';
import { apiBase } from '../shared/api.js';
import { who, changedValue } from './activity.js';
import { webhookEndpoints } from './webhook-endpoints.js';
import { commissionRules, percentOf, bpsOf } from './commission-rules.js';
import { wooCouponTemplate } from './woocommerce-coupons.js';

const lines = (text) => text.split(/[\n,]+/).map((s) => s.trim()).filter(Boolean);

/** The multi-touch models (the core's names). */
const MULTI_TOUCH = ['last', 'first', 'linear', 'time_decay', 'position_based'];
// What affiliates may be emailed about (the program's `affiliate_emails`).
const AFFILIATE_EMAILS = ['referral.created', 'payout.created', 'affiliate.approved', 'bonus.created'];
// How the public application form takes applications (the program's `applications`).
const APPLICATIONS = ['closed', 'review', 'auto'];

/**
 * The program's `withholding` rules as rows of currency, rate (percent) and threshold (in the
 * currency's units). `value()` answers the rules to send, or `{error}` for a row that is not one.
 */
function withholdingRules(rules) {
  const list = h('div', { id: 'withholding-rules' });
  let n = 0;
  const addRow = (r = {}) => {
    n += 1;
    const currency = h('input', { id: `s-wh-currency-${n}`, class: 'wh-currency', value: r.currency || '', maxlength: 3, size: 4, pattern: '[A-Za-z]{3}', required: true, autocomplete: 'off', placeholder: 'VND' });
    const rate = h('input', { id: `s-wh-rate-${n}`, class: 'wh-rate', value: r.rate_bps ? percentOf(r.rate_bps) : '', inputmode: 'decimal', size: 6, required: true, placeholder: '10' });
    const threshold = h('input', { id: `s-wh-threshold-${n}`, class: 'wh-threshold', value: r.threshold ? decimal(r.threshold, currencyDigits(r.currency)) : '', inputmode: 'decimal', placeholder: '0' });
    const row = h(
      'div',
      { class: 'row withholding-rule' },
      field(t('dash.currency'), currency),
      field(t('dash.withholding_rate'), rate),
      field(t('dash.withholding_threshold'), threshold),
      h(
        'button',
        {
          type: 'button',
          class: 'btn btn-small',
          dataset: { action: 'remove-rule' },
          onclick: () => {
            row.remove();
            add.focus();
          },
        },
        t('dash.withholding_remove'),
      ),
    );
    row.read = () => {
      const cu = currency.value.trim().toUpperCase();
      const bps = bpsOf(rate.value);
      if (bps === null) return { error: t('dash.bad_withholding_rate', { currency: cu }), input: rate };
      const minor = parseMoney(threshold.value || '0', cu);
      if (minor === null) return { error: t('dash.bad_amount'), input: threshold };
      return { rule: { currency: cu, rate_bps: bps, threshold: minor } };
    };
    list.append(row);
    return currency;
  };
  const add = h('button', { type: 'button', class: 'btn', id: 'withholding-add', onclick: () => addRow().focus() }, t('dash.withholding_add'));
  for (const r of rules || []) addRow(r);
  return {
    section: h(
      'section',
      { class: 'card', id: 'withholding' },
      h('h2', {}, t('dash.withholding')),
      h('p', { class: 'hint' }, t('dash.withholding_intro')),
      list,
      h('div', { class: 'row' }, add),
      h('p', { class: 'hint' }, t('dash.withholding_hint')),
    ),
    value() {
      const out = [];
      for (const row of list.children) {
        const r = row.read();
        if (r.error) {
          r.input.setAttribute('aria-invalid', 'true');
          r.input.focus();
          return r;
        }
        out.push(r.rule);
      }
      return { rules: out };
    },
  };
}

/**
 * The shop as the payer on withholding tax certificates: name, tax id and address. `value()` is
 * the program's `payer`: null when all three are empty.
 */
function payerFields(payer) {
  const name = h('input', { id: 's-payer-name', maxlength: 200, autocomplete: 'organization', value: payer?.name || '' });
  // No pattern: the server's refusal (invalid_payer) says what a tax id may hold.
  const taxId = h('input', { id: 's-payer-tax-id', maxlength: 20, autocomplete: 'off', spellcheck: 'false', value: payer?.tax_id || '' });
  const address = h('textarea', { id: 's-payer-address', rows: 3, maxlength: 600, autocomplete: 'street-address' });
  address.value = payer?.address || '';
  const read = () => ({ name: name.value.trim(), tax_id: taxId.value.trim(), address: oneLine(address.value) });
  return {
    section: h(
      'section',
      { class: 'card', id: 'payer' },
      h('h2', {}, t('dash.payer')),
      h('p', { class: 'hint' }, t('dash.payer_intro')),
      field(t('dash.payer_name'), name),
      field(t('cert.tax_id'), taxId, t('dash.payer_tax_id_hint')),
      field(t('cert.address'), address, t('dash.address_hint')),
    ),
    value() {
      const p = read();
      return p.name || p.tax_id || p.address ? p : null;
    },
    /** Points at the field the server most likely refused (invalid_payer names none). */
    markInvalid() {
      const p = read();
      const bytes = (x) => new TextEncoder().encode(x).length;
      const bad = !p.name || bytes(p.name) > 200 ? name : !/^[A-Za-z0-9-]{1,20}$/.test(p.tax_id) ? taxId : address;
      bad.setAttribute('aria-invalid', 'true');
      bad.focus();
    },
  };
}

function keysSection(api, keys, render) {
  const out = h('div', { 'aria-live': 'polite' });
  const create = (kind) => async (e) => {
    e.currentTarget.disabled = true;
    try {
      const k = await api.createKey(kind);
      fill(out, h('div', { class: 'secret', id: 'new-key' }, h('p', {}, h('strong', {}, t('dash.key_once'))), h('p', {}, h('code', {}, k.key), ' ', copyButton(k.key))));
    } catch (err) {
      fill(out, failure(err));
    }
    e.currentTarget.disabled = false;
  };
  return h(
    'section',
    { class: 'card', id: 'keys' },
    h('h2', {}, t('dash.keys')),
    h('p', { class: 'hint' }, t('dash.keys_hint')),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'stack' },
        h('thead', {}, h('tr', {}, [t('dash.kind'), t('dash.key_prefix'), t('dash.created'), t('dash.status'), ''].map((c) => h('th', { scope: 'col' }, c)))),
        h(
          'tbody',
          {},
          keys.keys.map((k) =>
            h(
              'tr',
              { dataset: { id: k.id } },
              h('td', { 'data-label': t('dash.kind') }, t(`key.${k.kind}`)),
              h('td', { 'data-label': t('dash.key_prefix') }, h('code', {}, `${k.prefix}…`)),
              h('td', { 'data-label': t('dash.created') }, dateTime(k.created_at)),
              h('td', { 'data-label': t('dash.status') }, k.revoked_at ? badge(t('dash.revoked'), 'rejected') : badge(t('dash.active'), 'approved')),
              h(
                'td',
                {},
                k.revoked_at
                  ? null
                  : h(
                      'button',
                      {
                        type: 'button',
                        class: 'btn btn-small btn-danger',
                        onclick: async (e) => {
                          if (!confirm(t('dash.revoke_confirm'))) return;
                          e.currentTarget.disabled = true;
                          try {
                            await api.revokeKey(k.id);
                            notify(t('dash.revoked'));
                            render();
                          } catch (err) {
                            fill(out, failure(err));
                          }
                        },
                      },
                      t('dash.revoke'),
                    ),
              ),
            ),
          ),
        ),
      ),
    ),
    h('div', { class: 'row' }, h('button', { type: 'button', class: 'btn', onclick: create('publishable') }, t('dash.new_publishable')), h('button', { type: 'button', class: 'btn', onclick: create('secret') }, t('dash.new_secret'))),
    out,
  );
}

// The settings' labels on this page, for the history; others show their API name.
const SETTING_LABELS = {
  name: 'dash.program_name',
  params: 'dash.params',
  window_days: 'dash.window',
  model: 'dash.model',
  multi_touch: 'dash.multi_touch',
  match_customers: 'dash.match_customers',
  allowed_origins: 'dash.origins',
  click_details_days: 'dash.click_details',
  commission: 'dash.commission',
  hold_days: 'dash.hold',
  auto_approve: 'dash.auto_approve',
  affiliate_emails: 'dash.affiliate_emails',
  applications: 'dash.applications_mode',
  recruiter_rate_bps: 'dash.recruiter_rate',
  terms_url: 'dash.terms_url',
  logo_url: 'dash.logo_url',
  accent_color: 'dash.accent_color',
  currency: 'dash.report_currency',
  locale: 'dash.locale',
  active_by: 'dash.active_by',
  fraud: 'dash.fraud',
  webhooks: 'dash.webhooks',
  withholding: 'dash.withholding',
  payer: 'dash.payer',
};

/**
 * How affiliates join: the public form's mode, the terms they accept, where the form is, and
 * how the portal looks (the shop's logo and colour).
 */
function applicationsSection(p, mode, termsUrl, logoUrl, accent) {
  const plugin = (window.REFTRAIL_PAGES || {}).tracker === 'plugin';
  const form = new URL('../portal/#apply', location.href).href;
  return h(
    'section',
    { class: 'card', id: 'applications-settings' },
    h('h2', {}, t('dash.applications')),
    field(t('dash.applications_mode'), mode, t('dash.applications_hint')),
    field(t('dash.terms_url'), termsUrl, t('dash.terms_url_hint')),
    field(t('dash.logo_url'), logoUrl, t('dash.logo_url_hint')),
    field(t('dash.accent_color'), accent, t('dash.accent_color_hint')),
    p.applications === 'closed'
      ? null
      : plugin
        ? h('p', { class: 'hint', id: 'apply-where' }, t('dash.apply_shortcode'), ' ', h('code', {}, '[reftrail_register]'))
        : h('p', { class: 'hint', id: 'apply-where' }, t('dash.apply_link'), ' ', h('code', {}, form), ' ', copyButton(form)),
  );
}

/**
 * How to add the tracker to the shop: the script tag for this server (WordPress adds it itself),
 * and whether clicks arrive, so a storefront developer sees the tag work.
 */
function installSection(api) {
  const base = new URL(apiBase() || '/', location.href).href.replace(/\/+$/, '');
  const tag = `<script async src="${base}/reftrail/loader.js" data-endpoint="${base}" data-key="pk_…"></script>`;
  const plugin = (window.REFTRAIL_PAGES || {}).tracker === 'plugin';
  const seen = h('p', { id: 'install-check', role: 'status' }, loading(t('ui.loading')));
  api
    .summary({ from: new Date(Date.now() - 86400000).toISOString() })
    .then((s) => {
      const k = s.kpis;
      fill(seen, k.clicks ? t('dash.install_seen', { clicks: num(k.clicks), sales: num(k.sales.gross) }) : t('dash.install_none'));
    })
    .catch((err) => fill(seen, failure(err)));
  return h(
    'section',
    { class: 'card', id: 'install' },
    h('h2', {}, t('dash.install')),
    plugin
      ? h('p', {}, t('dash.install_plugin'))
      : [
          h('p', { class: 'hint' }, t('dash.install_hint')),
          h('pre', { id: 'install-tag' }, tag),
          h('div', { class: 'row' }, copyButton(tag)),
          h('p', { class: 'hint' }, t('dash.install_key_hint')),
          h('p', { class: 'hint' }, t('dash.install_proxy_hint')),
        ],
    seen,
  );
}

/** Who changed the program's settings, when and how: the latest changes, newest first. */
function changesSection(changes) {
  const cols = [t('dash.changed_at'), t('dash.changed_by'), t('dash.changed_settings')];
  return h(
    'section',
    { class: 'card', id: 'program-changes' },
    h('h2', {}, t('dash.program_changes')),
    h('p', { class: 'hint' }, t('dash.program_changes_hint')),
    changes.length
      ? h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'stack' },
            h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c)))),
            h(
              'tbody',
              {},
              changes.map((c) =>
                h(
                  'tr',
                  { dataset: { id: c.id } },
                  h('td', { 'data-label': cols[0] }, dateTime(c.at)),
                  h('td', { 'data-label': cols[1] }, who(c.by)),
                  h(
                    'td',
                    { 'data-label': cols[2] },
                    h(
                      'ul',
                      { class: 'setting-changes' },
                      c.settings.map((s) =>
                        h(
                          'li',
                          { dataset: { setting: s.setting } },
                          h('strong', {}, SETTING_LABELS[s.setting] ? t(SETTING_LABELS[s.setting]) : s.setting),
                          ': ',
                          changedValue(s.before),
                          ' → ',
                          changedValue(s.after),
                        ),
                      ),
                    ),
                  ),
                ),
              ),
            ),
          ),
        )
      : h('p', { class: 'hint' }, t('dash.no_program_changes')),
    h('p', {}, h('a', { id: 'activity-link', href: '#/activity' }, t('dash.activity_link'))),
  );
}

export async function settings(main, { api, program: p0, render, role }) {
  clearCharts();
  // The settings and the keys are the owner's: others read the settings and their history.
  const owner = role === 'owner';
  const [p, keys, history] = await Promise.all([api.program(), owner ? api.keys() : null, api.programChanges({ limit: 20 })]);
  const cur = p.currency;
  const sale = p.commission.sale;
  const input = (id, value, attrs = {}) => h('input', { id, value: value ?? '', ...attrs });
  const name = input('s-name', p.name, { required: true, maxlength: 200 });
  const params = input('s-params', p.params.join(', '), { required: true });
  const windowDays = input('s-window', p.window_days, { type: 'number', min: 1, max: 400, required: true });
  const model = h('select', { id: 's-model' }, ['last', 'first'].map((m) => h('option', { value: m, selected: p.model === m }, t(`dash.model_${m}`))));
  const mt = p.multi_touch || { kind: 'last' };
  const halfLife = input('s-half-life', mt.half_life_days ?? 7, { type: 'number', min: 1, max: 365, required: true });
  const halfLifeField = field(t('dash.half_life'), halfLife, t('dash.half_life_hint'));
  const multiTouch = h(
    'select',
    {
      id: 's-multi-touch',
      onchange: () => {
        halfLifeField.hidden = multiTouch.value !== 'time_decay';
        halfLife.disabled = halfLifeField.hidden;
      },
    },
    MULTI_TOUCH.map((k) => h('option', { value: k, selected: mt.kind === k }, t(`dash.mt_${k}`))),
  );
  halfLifeField.hidden = mt.kind !== 'time_decay';
  halfLife.disabled = halfLifeField.hidden;
  const locale = h('select', { id: 's-locale' }, LOCALES.map(([code, label]) => h('option', { value: code, selected: p.locale === code }, label)));
  const hold = input('s-hold', p.hold_days, { type: 'number', min: 0, max: 365, required: true });
  const auto = h('input', { id: 's-auto', type: 'checkbox', checked: p.auto_approve });
  const matchCustomers = h('input', { id: 's-match-customers', type: 'checkbox', checked: !!p.match_customers });
  const clickDetails = input('s-click-details', p.click_details_days, { type: 'number', min: 1, max: 3650 });
  const emails = AFFILIATE_EMAILS.map((event) => [event, h('input', { id: `s-email-${event.replace('.', '-')}`, type: 'checkbox', checked: (p.affiliate_emails || []).includes(event) })]);
  const origins = h('textarea', { id: 's-origins', rows: 4 });
  origins.value = p.allowed_origins.join('\n');
  const currency = input('s-currency', p.currency, { maxlength: 3, pattern: '[A-Z]{3}', required: true });
  const activeBy = h('select', { id: 's-active' }, ['click', 'lead', 'sale'].map((m) => h('option', { value: m, selected: p.active_by === m }, t(`dash.active_by_${m}`))));
  const minPayout = input('s-min-payout', decimal(p.min_payout, currencyDigits(cur)), { inputmode: 'decimal' });
  const recruiterRate = input('s-recruiter-rate', percentOf(p.recruiter_rate_bps || 0), { inputmode: 'decimal', required: true });
  const baseline = input('s-baseline', p.baseline_daily_revenue === null ? '' : decimal(p.baseline_daily_revenue, currencyDigits(cur)), { inputmode: 'decimal', placeholder: t('dash.baseline_auto') });
  // The sale rate: a percent, or the base of tiers (a flat amount per order is left to the JSON).
  const rate = input('s-rate', sale && 'rate_bps' in sale ? percentOf(sale.rate_bps) : '', { inputmode: 'decimal', disabled: !!sale && !('rate_bps' in sale) });
  const shipping = h('input', { id: 's-shipping', type: 'checkbox', checked: p.commission.include_shipping });
  const tax = h('input', { id: 's-tax', type: 'checkbox', checked: p.commission.include_tax });
  const rules = h('textarea', { id: 's-rules', class: 'json', spellcheck: 'false' });
  rules.value = JSON.stringify(p.commission, null, 2);
  // The form's rules and the JSON show one object: a change in either redraws the other.
  const structured = commissionRules(cur);
  structured.load(p.commission);
  const typedRate = () => {
    if (rate.disabled || rate.value.trim() === '') return { bps: null };
    const bps = bpsOf(rate.value);
    return bps === null || bps > 10000 ? { error: t('dash.bad_rate'), input: rate } : { bps };
  };
  const toJson = () => {
    let c;
    try {
      c = JSON.parse(rules.value);
    } catch (err) {
      return;
    }
    const r = typedRate();
    if (r.error || structured.apply(c, r.bps).error) return;
    rules.value = JSON.stringify(c, null, 2);
  };
  structured.section.addEventListener('change', toJson);
  structured.section.addEventListener('click', (e) => e.target.dataset?.action === 'remove' && toJson());
  rate.addEventListener('change', toJson);
  rules.addEventListener('change', () => {
    try {
      const c = JSON.parse(rules.value);
      structured.load(c);
      if ('rate_bps' in (c.sale || {})) rate.value = percentOf(c.sale.rate_bps);
    } catch (err) {
      // Not JSON yet: the save says so.
    }
  });
  // Thresholds are numbers; a switch (flag paid ads) is a checkbox.
  const fraud = Object.fromEntries(
    Object.entries(p.fraud).map(([k, v]) => [k, typeof v === 'boolean' ? h('input', { id: `s-fraud-${k}`, type: 'checkbox', checked: v }) : input(`s-fraud-${k}`, v, { type: 'number', min: 0 })]),
  );
  const hooks = webhookEndpoints(p.webhooks, api, !owner);
  const applications = h('select', { id: 's-applications' }, APPLICATIONS.map((m) => h('option', { value: m, selected: p.applications === m }, t(`dash.applications_${m}`))));
  const termsUrl = input('s-terms-url', p.terms_url || '', { type: 'url', maxlength: 500, placeholder: 'https://' });
  const logoUrl = input('s-logo-url', p.logo_url || '', { type: 'url', maxlength: 500, placeholder: 'https://' });
  const accent = input('s-accent-color', p.accent_color || '', { maxlength: 7, placeholder: '#2f5bd3', pattern: '#[0-9a-fA-F]{6}', spellcheck: 'false', autocomplete: 'off' });
  const withholding = withholdingRules(p.withholding);
  const payer = payerFields(p.payer);
  const msg = h('div', { 'aria-live': 'assertive' });
  const bad = (text) => fill(msg, h('p', { class: 'error-text', role: 'alert' }, text));

  const form = h(
    'form',
    {
      id: 'program-form',
      onsubmit: async (e) => {
        e.preventDefault();
        form.querySelectorAll('[aria-invalid]').forEach((el) => el.removeAttribute('aria-invalid'));
        if (!form.reportValidity()) return;
        let commission;
        const webhooks = hooks.value();
        try {
          commission = JSON.parse(rules.value);
        } catch (err) {
          return bad(t('dash.bad_json', { error: err.message }));
        }
        const typed = typedRate();
        if (typed.error) return bad(typed.error);
        const ruled = structured.apply(commission, typed.bps);
        if (ruled.error) {
          ruled.input?.setAttribute('aria-invalid', 'true');
          ruled.input?.focus();
          return bad(ruled.error);
        }
        commission.include_shipping = shipping.checked;
        commission.include_tax = tax.checked;
        const cu = currency.value.trim().toUpperCase();
        const min = parseMoney(minPayout.value || '0', cu);
        const base = baseline.value.trim() ? parseMoney(baseline.value, cu) : null;
        if (min === null || (baseline.value.trim() && base === null)) return bad(t('dash.bad_amount'));
        const recruiterBps = Math.round(Number(String(recruiterRate.value).trim().replace(',', '.')) * 100);
        if (!(recruiterBps >= 0 && recruiterBps <= 5000)) return bad(t('dash.bad_recruiter_rate'));
        const held = withholding.value();
        if (held.error) return bad(held.error);
        const body = {
          name: name.value.trim(),
          params: lines(params.value),
          window_days: Number(windowDays.value),
          model: model.value,
          multi_touch: multiTouch.value === 'time_decay' ? { kind: 'time_decay', half_life_days: Number(halfLife.value) } : { kind: multiTouch.value },
          match_customers: matchCustomers.checked,
          click_details_days: clickDetails.value === '' ? null : Number(clickDetails.value),
          hold_days: Number(hold.value),
          auto_approve: auto.checked,
          allowed_origins: lines(origins.value),
          commission,
          fraud: Object.fromEntries(Object.entries(fraud).map(([k, el]) => [k, el.type === 'checkbox' ? el.checked : Number(el.value)])),
          active_by: activeBy.value,
          baseline_daily_revenue: base,
          currency: cu,
          locale: locale.value,
          min_payout: min,
          recruiter_rate_bps: recruiterBps,
          withholding: held.rules,
          payer: payer.value(),
          affiliate_emails: emails.filter(([, box]) => box.checked).map(([event]) => event),
          applications: applications.value,
          terms_url: termsUrl.value.trim() || null,
          logo_url: logoUrl.value.trim() || null,
          accent_color: accent.value.trim() || null,
          webhooks,
        };
        fill(msg, loading(t('ui.saving')));
        try {
          const saved = await api.saveProgram(body);
          Object.assign(p0, saved || body);
          // The pages speak the program's language, unless this person picked another.
          pickLocale({ program: p0 });
          notify(t('ui.saved'));
          render();
        } catch (err) {
          fill(msg, failure(err));
          if (err.code === 'invalid_payer') payer.markInvalid();
        }
      },
    },
    h(
      'div',
      { class: 'settings-grid' },
      h(
        'section',
        { class: 'card' },
        h('h2', {}, t('dash.tracking')),
        field(t('dash.program_name'), name),
        field(t('dash.params'), params, t('dash.params_hint')),
        field(t('dash.window'), windowDays),
        field(t('dash.model'), model, t('dash.model_hint')),
        field(t('dash.multi_touch'), multiTouch, t('dash.multi_touch_hint')),
        halfLifeField,
        h('div', { class: 'field' }, h('label', {}, matchCustomers, ' ', t('dash.match_customers')), h('small', { class: 'hint' }, t('dash.match_customers_hint'))),
        field(t('dash.origins'), origins, t('dash.origins_hint')),
        field(t('dash.click_details'), clickDetails, t('dash.click_details_hint')),
      ),
      h(
        'section',
        { class: 'card' },
        h('h2', {}, t('dash.commission')),
        field(t('dash.sale_rate'), rate, sale && sale.type !== 'percent' ? t('dash.rate_in_rules') : null),
        h('div', { class: 'field' }, h('label', {}, shipping, ' ', t('dash.include_shipping'))),
        h('div', { class: 'field' }, h('label', {}, tax, ' ', t('dash.include_tax'))),
        field(t('dash.hold'), hold, t('dash.hold_hint')),
        h('div', { class: 'field' }, h('label', {}, auto, ' ', t('dash.auto_approve'))),
        field(t('dash.min_payout', { currency: cur }), minPayout, t('dash.min_payout_hint', { currency: cur })),
        field(t('dash.recruiter_rate'), recruiterRate, t('dash.recruiter_rate_hint')),
        h('fieldset', { class: 'field' }, h('legend', {}, t('dash.affiliate_emails')), emails.map(([event, box]) => h('div', {}, h('label', {}, box, ' ', t(`dash.email_${event.replace('.', '_')}`)))), h('small', { class: 'hint' }, t('dash.affiliate_emails_hint'))),
        field(t('dash.rules_json'), rules, t('dash.rules_hint')),
      ),
      applicationsSection(p, applications, termsUrl, logoUrl, accent),
      h(
        'section',
        { class: 'card' },
        h('h2', {}, t('dash.reporting')),
        field(t('dash.report_currency'), currency),
        field(t('dash.locale'), locale, t('dash.locale_hint')),
        field(t('dash.active_by'), activeBy),
        field(t('dash.baseline', { currency: cur }), baseline, t('dash.baseline_hint')),
        h('h2', {}, t('dash.fraud')),
        Object.entries(fraud).map(([k, el]) => (el.type === 'checkbox' ? h('div', { class: 'field' }, h('label', {}, el, ' ', t(`fraud.${k}`))) : field(t(`fraud.${k}`), el))),
        h('h2', {}, t('dash.webhooks')),
        h('p', { class: 'hint' }, t('dash.webhooks_hint')),
        hooks.element,
        p.webhook_secret ? h('p', { class: 'hint' }, t('dash.webhook_secret'), ': ', h('code', {}, p.webhook_secret)) : null,
        h('p', {}, h('a', { id: 'deliveries-link', href: '#/deliveries' }, t('dl.link'))),
      ),
      withholding.section,
      payer.section,
    ),
    structured.section,
    msg,
    h('div', { class: 'row' }, h('button', { class: 'btn btn-primary', type: 'submit', id: 'save-program' }, t('ui.save'))),
  );

  if (!owner) {
    for (const el of form.querySelectorAll('input, select, textarea, button')) el.disabled = true;
    form.querySelector('#save-program').replaceWith(h('p', { class: 'hint', id: 'settings-owner-only' }, t('dash.settings_owner_only')));
  }
  fill(main, h('h1', {}, t('dash.nav_settings')), installSection(api), form, wooCouponTemplate(api, p, role), changesSection(history.changes), owner ? keysSection(api, keys, render) : null);
}
