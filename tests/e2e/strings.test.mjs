// The UI's words and formatters without a browser: every key the pages use exists in English,
// Vietnamese and Thai with the same placeholders, and money is formatted from integer minor
// units exactly (VND without decimals, USD and THB with two).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { en, vi, th } from '../../www/shared/strings.js';
import { money, decimal, parseMoney, setLocale } from '../../www/shared/i18n.js';

const www = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../www');
const jsIn = (dir) => fs.readdirSync(path.join(www, dir)).filter((f) => f.endsWith('.js') && f !== 'strings.js').map((f) => `${dir}/${f}`);
const sources = ['store/shop.js', ...jsIn('shared'), ...jsIn('dashboard'), ...jsIn('portal')];

function usedKeys() {
  const keys = new Set();
  for (const f of sources) {
    const text = fs.readFileSync(path.join(www, f), 'utf8');
    for (const m of text.matchAll(/\bt\(\s*'([a-z]+\.[a-zA-Z_]+)'/g)) keys.add(m[1]);
  }
  return [...keys];
}

const placeholders = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test('every key used by the pages exists in en, vi and th', () => {
  const used = usedKeys();
  assert.ok(used.length > 150, `found ${used.length} keys`);
  for (const [name, dict] of [['en', en], ['vi', vi], ['th', th]]) {
    assert.deepEqual(used.filter((k) => !(k in dict)), [], `missing in ${name}`);
  }
});

test('vi and th translate every English string, with the same placeholders', () => {
  for (const [name, dict] of [['vi', vi], ['th', th]]) {
    for (const [k, v] of Object.entries(en)) {
      if (k.startsWith('source.undefined') || k.startsWith('source.null')) continue;
      assert.ok(k in dict, `${name} lacks ${k}`);
      assert.deepEqual(placeholders(dict[k]), placeholders(v), `${name} ${k}`);
    }
  }
});

test('value names used in templates exist: statuses, categories, flags, sources', () => {
  const names = ['status.pending', 'status.approved', 'status.paid', 'status.rejected', 'status.reversed', 'status.suspended',
    ...['content', 'coupon', 'cashback', 'influencer', 'search', 'email', 'comparison', 'other'].map((c) => `cat.${c}`),
    ...['self_referral', 'bot_user_agent', 'click_velocity', 'conversion_rate'].map((f) => `flag.${f}`),
    ...['coupon', 'cookie', 'click_id', 'touch', 'renewal', 'customer'].map((s) => `source.${s}`),
    'dash.model_last', 'dash.model_first', 'dash.sort_revenue', 'dash.sort_commission', 'dash.sort_clicks', 'dash.sort_conversion_rate',
    'status.active', 'status.archived', 'dash.creative_kind_link', 'dash.creative_kind_image', 'dash.creatives_active', 'dash.creatives_archived',
    'dash.no_creatives_active', 'dash.no_creatives_archived',
    ...['affiliate_created', 'affiliate_applied', 'affiliate_updated', 'affiliate_token_issued', 'referral_approved', 'referral_rejected', 'payout_created', 'payout_sent', 'bonus_created', 'bonus_cancelled', 'key_created', 'key_revoked'].map((a) => `dash.action_${a}`),
    ...['affiliate', 'referral', 'payout', 'bonus', 'key'].map((f) => `dash.activity_family_${f}`),
    ...['approved', 'paid', 'cancelled'].map((s) => `dash.bonus_${s}`),
    ...['closed', 'review', 'auto'].map((m) => `dash.applications_${m}`), 'fraud.applications_per_ip_per_hour',
    ...['referral.created', 'payout.created', 'affiliate.approved', 'bonus.created'].map((e) => `dash.email_${e.replace('.', '_')}`), 'dash.by_secret_key', 'dash.by_dashboard', 'dash.by_command_line'];
  for (const dict of [en, vi, th]) for (const n of names) assert.ok(n in dict, n);
});

test('money: integer minor units, exact, VND without decimals', () => {
  assert.equal(decimal(4990, 2), '49.90');
  assert.equal(decimal(-5, 2), '-0.05');
  assert.equal(decimal(1250000, 0), '1250000');
  assert.equal(decimal(9007199254740991, 2), '90071992547409.91');
  setLocale('en', { remember: false });
  assert.equal(money(125000000, 'VND'), '₫125,000,000');
  assert.equal(money(4990, 'USD'), '$49.90');
  assert.equal(money(4990, 'THB'), 'THB 49.90'.replace('THB ', 'THB\u00a0'));
  setLocale('vi', { remember: false });
  assert.match(money(125000000, 'VND'), /^125\.000\.000\s₫$/);
  setLocale('th', { remember: false });
  assert.match(money(4990, 'THB'), /^฿49\.90$/);
  assert.equal(parseMoney('49.90', 'USD'), 4990);
  assert.equal(parseMoney('1,250,000', 'VND'), 1250000);
  assert.equal(parseMoney('12.5', 'VND'), null);
  assert.equal(parseMoney('abc', 'USD'), null);
  assert.equal(parseMoney('-1', 'USD'), null);
});
