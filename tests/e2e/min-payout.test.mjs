// The smallest payout in the affiliate portal: an approved balance below the program's minimum
// says how far it is from being paid.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, stopStack, api, launch, newContext, newPage, uniqueId, creditApproved } from './harness.mjs';

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

test('an approved balance below the smallest payout says how much is left to reach it', async () => {
  const program = await api(stack, 'GET', '/v1/program');
  delete program.webhook_secret;
  await api(stack, 'PUT', '/v1/program', { ...program, min_payout: 200_000 });
  const id = uniqueId('minpay');
  const coupon = id.toUpperCase().replace(/[^A-Z0-9]/g, '');
  const made = await api(stack, 'POST', '/v1/affiliates', { id, name: 'Min payout', email: `${id}@affiliates.example`, coupons: [coupon] });
  // 10 % of 1,200,000 VND at the demo's rate is under 200,000 VND.
  const referral = await creditApproved(stack, coupon, 1_200_000, 'VND');
  assert.ok(referral.commission > 0 && referral.commission < 200_000, JSON.stringify(referral));

  const page = await newPage(await newContext(browser));
  await page.goto(`${stack.base}/portal/?lang=en#token=${made.token}&shop=${encodeURIComponent(`${stack.shopUrl()}/store/`)}`);
  const row = await page.waitForSelector('#balances tr[data-currency="VND"]');
  const left = 200_000 - referral.commission;
  assert.match(await row.textContent(), new RegExp(`Paid from ₫200,000: ₫${left.toLocaleString('en')} to go`));
  assert.deepEqual(page.errors, []);
});
