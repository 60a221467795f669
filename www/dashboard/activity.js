// The activity log: who created or changed an affiliate (each field before and after), issued a
// portal link, approved or rejected a referral, recorded a refund, made a payout or marked a
// transfer sent (and its fee), gave or cancelled a bonus, added, changed or deleted a creative,
// created or revoked a key, invited, changed or removed a team member, sent a delivery again; on
// WordPress, changed the WooCommerce coupon each new affiliate gets, or why one got none. A view of its own (`#/activity?affiliate=…&action=…`, opened from Settings)
// and the latest entries of one affiliate in their panel.

import { t, dateTime, money } from '../shared/i18n.js';
import { h, fill, empty, field } from '../shared/ui.js';
import { clearCharts } from '../shared/charts.js';
import { routeQuery, setRouteQuery } from './route.js';

const FAMILIES = ['affiliate.', 'referral.', 'refund.', 'payout.', 'bonus.', 'creative.', 'key.', 'member.', 'team.', 'delivery.'];
const PAGE = 50;

// The affiliate's fields on the affiliate form, for their changes.
const FIELD_LABELS = {
  address: 'dash.address',
  category: 'dash.category',
  commission: 'dash.commission',
  coupons: 'dash.coupons',
  email: 'dash.email',
  name: 'dash.name',
  payout: 'dash.payout_method',
  payee_type: 'dash.payee_type',
  payout_email: 'dash.payout_email',
  recruiter: 'dash.recruiter',
  status: 'dash.status',
  tax_id: 'dash.tax_id',
  withholding_exempt: 'dash.withholding_exempt',
};

// A creative's fields on the creative form, for their changes.
const CREATIVE_LABELS = {
  image_url: 'dash.creative_image_url',
  kind: 'dash.creative_kind',
  landing_url: 'dash.creative_landing_url',
  name: 'dash.name',
  status: 'dash.status',
  text: 'dash.creative_text',
};

// A team member's fields, for their changes.
const MEMBER_LABELS = { name: 'dash.name', role: 'dash.role' };

/**
 * Who made a change: the dashboard, the API, the command line, WooCommerce (WordPress, with no one
 * signed in), an affiliate, a WordPress user.
 */
export function who(by) {
  if (['secret_key', 'dashboard', 'command_line', 'woocommerce'].includes(by)) return t(`dash.by_${by}`);
  if (by.startsWith('affiliate:')) return t('dash.by_affiliate', { id: by.slice(10) });
  // WordPress names the signed-in user (`user:<login>`).
  return by.startsWith('user:') ? by.slice(5) : by;
}

/** A value before or after a change: plain for a number or text, JSON for the rest. */
export function changedValue(v) {
  if (v === null || v === undefined) return h('span', { class: 'hint' }, t('dash.setting_unset'));
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return h('code', {}, String(v));
  return h('pre', { class: 'setting-json' }, JSON.stringify(v, null, 1));
}

/**
 * An affiliate's commission override in words (`Sale 12 % · Lead ₫20,000`); as JSON when it
 * is a kind this page does not spell out (tiers).
 */
function commissionValue(c) {
  if (!c || typeof c !== 'object') return changedValue(c);
  const amounts = (a) => Object.entries(a).map(([cur, minor]) => money(minor, cur)).join(' / ');
  const parts = [];
  if (c.sale?.type === 'percent') parts.push(t('dash.commission_sale', { rate: `${c.sale.rate_bps / 100} %` }));
  else if (c.sale?.type === 'flat') parts.push(t('dash.commission_sale', { rate: amounts(c.sale.amounts) }));
  else if (c.sale) return changedValue(c);
  if (c.lead) parts.push(t('dash.commission_lead', { amount: amounts(c.lead) }));
  return parts.length ? h('code', {}, parts.join(' · ')) : changedValue(null);
}

/** What an entry was done to, linked to where it is shown. */
function subject(e) {
  const [kind] = e.action.split('.');
  const id = encodeURIComponent(e.subject);
  const href = {
    affiliate: `#/affiliates?id=${id}`,
    referral: `#/referrals?affiliate=${encodeURIComponent(e.affiliate || '')}`,
    payout: '#/payouts',
    bonus: `#/affiliates?id=${encodeURIComponent(e.affiliate || '')}`,
    refund: e.affiliate ? `#/referrals?affiliate=${encodeURIComponent(e.affiliate)}` : null,
    creative: e.action === 'creative.deleted' ? null : '#/creatives',
    member: e.action === 'member.removed' ? null : '#/team',
    team: '#/team',
    delivery: '#/deliveries',
    // WordPress with WooCommerce: the coupon an affiliate did not get, and the template.
    woocommerce_coupon: `#/affiliates?id=${id}`,
    woocommerce_coupon_template: '#/settings',
  }[kind];
  return href ? h('a', { href }, h('code', {}, e.subject)) : h('code', {}, e.subject);
}

const value = (field, v) => (field === 'commission' ? commissionValue(v) : changedValue(v));

/** Each changed field, before → after, labelled as the form names it. */
function changeList(changes, labels) {
  return h(
    'ul',
    { class: 'setting-changes' },
    changes.map((c) => h('li', { dataset: { field: c.field } }, h('strong', {}, labels[c.field] ? t(labels[c.field]) : c.field), ': ', value(c.field, c.before), ' → ', value(c.field, c.after))),
  );
}

/** Why an affiliate got no WooCommerce coupon from the template. */
function skippedCoupon(d) {
  if (d.reason === 'codes_taken') return t('wc.skipped_codes_taken', { code: d.code });
  if (d.reason === 'invalid_code') return t('wc.skipped_invalid_code');
  return t('wc.skipped_refused', { code: d.code, message: d.message });
}

/** The details of an entry in words. */
function details(e) {
  const d = e.details || {};
  switch (e.action) {
    case 'affiliate.updated':
      return changeList(d.changes || [], FIELD_LABELS);
    case 'creative.updated':
      return changeList(d.changes || [], CREATIVE_LABELS);
    case 'creative.created':
    case 'creative.deleted':
      return [h('strong', {}, d.name), ' · ', t(`dash.creative_kind_${d.kind}`)];
    case 'refund.created': {
      const said = t('dash.activity_refund', { amount: money(d.amount, d.currency), order: d.order_id, reversed: money(d.commission_reversed, d.currency) });
      return d.reason ? `${said} · ${t('dash.activity_reason', { reason: d.reason })}` : said;
    }
    case 'referral.rejected':
      return d.reason ? t('dash.activity_reason', { reason: d.reason }) : null;
    case 'payout.created':
      return t('dash.activity_lines', { n: d.lines });
    case 'payout.requested':
      return money(d.amount, d.currency);
    case 'payout.request_declined':
      return d.reason ? [money(d.amount, d.currency), ' · ', t('dash.activity_reason', { reason: d.reason })] : money(d.amount, d.currency);
    case 'payout.sent': {
      const said = t(d.sent ? 'dash.activity_sent' : 'dash.activity_not_sent', { affiliate: e.affiliate, currency: d.currency });
      return d.fee === null || d.fee === undefined ? said : `${said} · ${t('dash.activity_fee', { fee: money(d.fee, d.currency) })}`;
    }
    case 'bonus.created':
      return t('dash.activity_bonus', { amount: money(d.amount, d.currency), reason: d.reason });
    case 'member.invited':
    case 'member.removed':
      return [h('strong', {}, d.name), ` · ${d.email} · `, t(`dash.role_${d.role}`)];
    case 'member.updated':
      return [`${d.email}: `, changeList(d.changes || [], MEMBER_LABELS)];
    case 'team.policy_changed':
      return changeList(d.changes || [], { require_two_factor: 'dash.team_require_two_factor' });
    case 'key.created':
    case 'key.revoked':
      return t(`key.${d.kind}`);
    case 'delivery.retried':
      return [t(`dl.kind_${d.kind}`), ' · ', h('code', {}, d.event), ' → ', h('code', { class: 'postback-url' }, d.url)];
    case 'woocommerce_coupon_template.updated':
      return [changedValue(d.before), ' → ', changedValue(d.after)];
    case 'woocommerce_coupon.skipped':
      return skippedCoupon(d);
    default:
      return null;
  }
}

/** Entries as a table, newest first. */
export function activityTable(entries) {
  const cols = [t('dash.changed_at'), t('dash.changed_by'), t('dash.activity_what'), t('dash.activity_subject'), t('dash.activity_details')];
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'stack activity' },
      h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c)))),
      h(
        'tbody',
        {},
        entries.map((e) =>
          h(
            'tr',
            { dataset: { id: e.id, action: e.action, by: e.by, subject: e.subject } },
            h('td', { 'data-label': cols[0] }, dateTime(e.at)),
            h('td', { 'data-label': cols[1] }, who(e.by)),
            h('td', { 'data-label': cols[2] }, t(`dash.action_${e.action.replace('.', '_')}`)),
            h('td', { 'data-label': cols[3] }, subject(e)),
            h('td', { 'data-label': cols[4] }, details(e)),
          ),
        ),
      ),
    ),
  );
}

/** The latest entries about one affiliate, for their panel. */
export async function affiliateHistory(api, id) {
  const page = await api.activity({ affiliate: id, limit: 10 });
  return h(
    'section',
    { class: 'card', id: 'affiliate-activity' },
    h('h2', {}, t('dash.activity_of', { id })),
    page.activity.length ? activityTable(page.activity) : h('p', { class: 'hint' }, t('dash.no_activity')),
    h('p', {}, h('a', { href: `#/activity?affiliate=${encodeURIComponent(id)}` }, t('dash.activity_all_of', { id }))),
  );
}

export async function activity(main, { api, render }) {
  clearCharts();
  const q = routeQuery();
  const action = FAMILIES.includes(q.get('action')) ? q.get('action') : '';
  const affiliate = (q.get('affiliate') || '').slice(0, 64);
  const offset = Math.max(0, Number.parseInt(q.get('offset') || '0', 10) || 0);
  // One more than shown: whether there is an older page.
  const page = await api.activity({ action: action || undefined, affiliate: affiliate || undefined, limit: PAGE + 1, offset });
  const entries = page.activity.slice(0, PAGE);
  const go = (changes) => {
    setRouteQuery({ action, affiliate, offset: 0, ...changes });
    render();
  };
  const actionSel = h(
    'select',
    { id: 'activity-action', onchange: (e) => go({ action: e.target.value }) },
    h('option', { value: '' }, t('dash.all')),
    FAMILIES.map((f) => h('option', { value: f, selected: f === action }, t(`dash.activity_family_${f.slice(0, -1)}`))),
  );
  const affInput = h('input', { id: 'activity-affiliate', type: 'search', value: affiliate, maxlength: 64, placeholder: 'alice', onchange: () => go({ affiliate: affInput.value.trim() }) });
  fill(
    main,
    h('h1', {}, t('dash.nav_activity')),
    h('p', { class: 'hint' }, t('dash.activity_hint')),
    // A form, so that Enter in the affiliate's field applies it.
    h(
      'form',
      {
        class: 'toolbar',
        onsubmit: (e) => {
          e.preventDefault();
          go({ affiliate: affInput.value.trim() });
        },
      },
      field(t('dash.activity_what'), actionSel),
      field(t('dash.affiliate'), affInput),
    ),
    entries.length ? activityTable(entries) : empty(t('dash.no_activity'), affiliate || action ? t('dash.no_activity_filtered') : null),
    h(
      'div',
      { class: 'row' },
      offset > 0 ? h('button', { type: 'button', class: 'btn', id: 'activity-newer', onclick: () => go({ offset: Math.max(0, offset - PAGE) }) }, t('dash.newer')) : null,
      page.activity.length > PAGE ? h('button', { type: 'button', class: 'btn', id: 'activity-older', onclick: () => go({ offset: offset + PAGE }) }, t('dash.older')) : null,
    ),
  );
}
