// Commission rules set in the dashboard's form, without JSON: a category rate and a product's
// flat amount per unit, a rate for cashback sites, tiers on the sale rate, renewals and a cap. The program saved holds
// exactly those rules, the JSON beside the form follows each change, a reload shows them again,
// and a sale's commission follows them. Saves the screenshot for the README.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, stopStack, api, launch, signedInPage, screenshot, uniqueId, newPage, newContext } from './harness.mjs';

let stack;
let browser;

before(async () => {
  stack = await startStack();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  if (stack) await stopStack(stack);
});

test('a merchant sets product, category, tier, renewal and cap rules in the form, and a sale follows them', async () => {
  const page = await signedInPage(browser, stack, '#/settings', { width: 1200, height: 1400 });
  await page.waitForSelector('#commission-rules');
  const program = await api(stack, 'GET', '/v1/program');
  assert.equal(program.currency, 'VND');
  await page.fill('#s-rate', '10');

  // A category rate and a product's flat amount per unit.
  await page.click('#rules-add-override');
  let row = page.locator('.rules-override').last();
  await row.locator('.r-kind').selectOption('categories');
  await row.locator('.r-key').fill('Giày');
  await row.locator('.r-value').fill('15');
  await page.click('#rules-add-override');
  row = page.locator('.rules-override').last();
  await row.locator('.r-key').fill('SOCKS-1');
  await row.locator('.r-type').selectOption('flat');
  await row.locator('.r-value').fill('20,000');
  await row.locator('.r-value').dispatchEvent('change');
  // The JSON beside the form follows.
  assert.deepEqual(JSON.parse(await page.inputValue('#s-rules')).products, { 'SOCKS-1': { type: 'flat', amounts: { VND: 20000 } } });

  // 12 % after 10 sales in the month; renewals for 6 months at 5 %; at most 500,000 per referral.
  await page.selectOption('#r-tiers-kind', 'sales_tiers');
  await page.fill('.rules-tier .r-tier-from', '10');
  await page.fill('.rules-tier .r-tier-rate', '12');
  await page.selectOption('#r-recurring', 'months');
  await page.fill('#r-recurring-months', '6');
  await page.fill('#r-recurring-rate', '5');
  await page.fill('#r-cap-referral', '500000');
  // The demo pays cashback sites 5 %: 3 % from now on, and 5,000 per lead.
  assert.deepEqual(
    await page.$$eval('.rules-group', (rows) => rows.map((r) => [r.querySelector('.r-group').value, r.querySelector('.r-group-sale').value, r.querySelector('.r-group-lead').value])),
    [['cashback', '5', '']],
  );
  await page.locator('.rules-group .r-group-sale').fill('3');
  await page.locator('.rules-group .r-group-lead').fill('5,000');
  await screenshot(page, 'dashboard-commission-rules', { clip: await page.$eval('#commission-rules', (el) => { const r = el.getBoundingClientRect(); return { x: 0, y: r.y + window.scrollY - 10, width: document.documentElement.clientWidth, height: r.height + 20 }; }) });

  // A bad tier is pointed at, and nothing is saved.
  await page.fill('.rules-tier .r-tier-from', '0');
  await page.click('#save-program');
  await page.waitForSelector('.rules-tier .r-tier-from[aria-invalid="true"]');
  assert.match(await page.textContent('#program-form'), /A whole number of sales, at least 1/);
  assert.deepEqual((await api(stack, 'GET', '/v1/program')).commission, program.commission);
  await page.fill('.rules-tier .r-tier-from', '10');
  await page.click('#save-program');
  await page.waitForSelector('#notice .notice-ok');

  const saved = (await api(stack, 'GET', '/v1/program')).commission;
  assert.deepEqual(saved.sale, { type: 'sales_tiers', rate_bps: 1000, tiers: [{ from: 10, rate_bps: 1200 }] });
  // The demo's own rule (gift cards earn nothing) stays beside the new one.
  assert.deepEqual(saved.categories, { Giày: { type: 'percent', rate_bps: 1500 }, gift: { type: 'percent', rate_bps: 0 } });
  assert.deepEqual(saved.products, { 'SOCKS-1': { type: 'flat', amounts: { VND: 20000 } } });
  assert.deepEqual(saved.recurring, { type: 'months', months: 6, rate: { type: 'percent', rate_bps: 500 } });
  assert.deepEqual(saved.caps, { per_referral: { VND: 500000 }, per_period: null });
  assert.deepEqual(saved.affiliate_categories, { cashback: { sale: { type: 'percent', rate_bps: 300 }, lead: { VND: 5000 } } });

  // Drawn again from what was saved.
  await page.reload();
  await page.waitForSelector('#commission-rules');
  assert.deepEqual(
    await page.$$eval('.rules-override', (rows) => rows.map((r) => [r.querySelector('.r-kind').value, r.querySelector('.r-key').value, r.querySelector('.r-type').value, r.querySelector('.r-value').value])),
    [
      ['products', 'SOCKS-1', 'flat', '20000'],
      ['categories', 'Giày', 'percent', '15'],
      ['categories', 'gift', 'percent', '0'],
    ],
  );
  assert.equal(await page.inputValue('#r-tiers-kind'), 'sales_tiers');
  assert.equal(await page.inputValue('#s-rate'), '10');
  assert.equal(await page.inputValue('#r-recurring-months'), '6');
  assert.equal(await page.inputValue('#r-cap-referral'), '500000');
  assert.deepEqual(
    await page.$$eval('.rules-group', (rows) => rows.map((r) => [r.querySelector('.r-group').value, r.querySelector('.r-group-sale').value, r.querySelector('.r-group-lead').value])),
    [['cashback', '3', '5000']],
  );

  // A sale: the shoes earn the category's 15 %, two pairs of socks 20,000 each.
  const id = uniqueId('rules');
  const coupon = id.toUpperCase().replace(/[^A-Z0-9]/g, '');
  await api(stack, 'POST', '/v1/affiliates', { id, name: 'Rules test', email: `${id}@affiliates.example`, coupons: [coupon] });
  const sale = await api(stack, 'POST', '/v1/sales', {
    order_id: uniqueId('order'),
    amount: 1_200_000,
    currency: 'VND',
    coupon,
    items: [
      { sku: 'SHOE-9', category: 'Giày', amount: 1_000_000, quantity: 1 },
      { sku: 'SOCKS-1', category: 'Tất', amount: 100_000, quantity: 2 }, // unit price
    ],
  });
  assert.equal(sale.referral.commission, 150_000 + 40_000, JSON.stringify(sale.referral));
  // A cashback site's order of other goods earns its category's 3 % instead of the sale rate.
  const cb = uniqueId('cashback');
  const cbCoupon = cb.toUpperCase().replace(/[^A-Z0-9]/g, '');
  const made = await api(stack, 'POST', '/v1/affiliates', { id: cb, name: 'Cashback site', category: 'cashback', coupons: [cbCoupon] });
  const cbSale = await api(stack, 'POST', '/v1/sales', { order_id: uniqueId('order'), amount: 1_000_000, currency: 'VND', coupon: cbCoupon });
  assert.equal(cbSale.referral.commission, 30_000, JSON.stringify(cbSale.referral));
  // The list says which rate the cashback site earns, and so does its portal.
  await page.goto(`${stack.base}/dashboard/?lang=en#/affiliates?category=cashback`);
  const listed = await page.waitForSelector(`#affiliates tr[data-id="${cb}"]`);
  assert.match(await listed.textContent(), /3 % · Cashback/);
  const portal = await newPage(await newContext(browser));
  await portal.goto(`${stack.base}/portal/?lang=en#token=${made.token}`);
  await portal.waitForSelector('#balances');
  assert.match(await portal.textContent('main'), /Your commission: 3 %\./);
  assert.deepEqual(portal.errors, []);
  // An affiliate paid a flat amount per sale reads it so.
  const flat = await api(stack, 'POST', '/v1/affiliates', { id: uniqueId('flat'), name: 'Flat rate', commission: { sale: { type: 'flat', amounts: { VND: 25000 } } } });
  await portal.goto(`${stack.base}/portal/?lang=en#token=${flat.token}`);
  await portal.waitForFunction(() => /Your commission: ₫25,000 per sale\./.test(document.querySelector('main')?.textContent || ''));
  assert.deepEqual(page.errors, []);
});
