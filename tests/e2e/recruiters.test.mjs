// Recruiter commissions, end to end in Chromium: the merchant sets the recruiter rate in the
// settings; an affiliate finds their recruiting link in the portal; someone applies through it
// and is approved; the recruit's sale earns the recruiter their share, which the recruiter sees
// in their portal and the merchant in both affiliates' panels. Saves the portal's screenshot.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startStack, stopStack, api, launch, newContext, newPage, signedInPage, uniqueId, creditApproved, ARTIFACTS } from './harness.mjs';

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

test('a recruiting link brings a recruit whose sale earns the recruiter their share', async () => {
  // The merchant: 20 % of each recruit's commission instead of the demo's 10 %.
  const dash = await signedInPage(browser, stack, '#/settings');
  await dash.waitForSelector('#s-recruiter-rate');
  assert.equal(await dash.inputValue('#s-recruiter-rate'), '10', 'the demo program pays 10 %');
  await dash.fill('#s-recruiter-rate', '60');
  await dash.click('#save-program');
  await dash.waitForSelector('#program-form [role=alert]');
  assert.match(await dash.textContent('#program-form [role=alert]'), /0 to 50 %/);
  await dash.fill('#s-recruiter-rate', '20');
  await dash.click('#save-program');
  const saved = async () => (await api(stack, 'GET', '/v1/program')).recruiter_rate_bps;
  for (let i = 0; i < 100 && (await saved()) !== 2000; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(await saved(), 2000);

  // The recruiter's portal: the rate and the recruiting link.
  const recruiter = uniqueId('lan');
  const made = await api(stack, 'POST', '/v1/affiliates', { id: recruiter, name: 'Lan Phạm', email: `${recruiter}@affiliates.example` });
  const portal = await newPage(await newContext(browser, { viewport: { width: 1000, height: 1400 } }));
  await portal.goto(`${stack.base}/portal/?lang=en#${new URLSearchParams({ token: made.token })}`);
  await portal.waitForSelector('#my-team');
  assert.match(await portal.textContent('#my-team'), /you earn 20 % of every commission they earn/);
  assert.match(await portal.textContent('#my-team'), /Nobody has joined through your recruiting link yet/);
  const link = await portal.textContent('#recruiting-link code.link');
  assert.equal(link, `${stack.base}/portal/?recruiter=${recruiter}#apply`);

  // Someone follows it and applies.
  const email = `${uniqueId('minh')}@applicants.example`;
  const visitor = await newPage(await newContext(browser));
  await visitor.goto(link.replace('?', '?lang=en&'));
  await visitor.waitForSelector('#apply');
  await visitor.fill('#apply-name', 'Trần Minh');
  await visitor.fill('#apply-email', email);
  await visitor.click('#apply-send');
  await visitor.waitForSelector('#applied');
  const { affiliates } = await api(stack, 'GET', `/v1/affiliates?email=${encodeURIComponent(email)}`);
  const recruit = affiliates[0];
  assert.equal(recruit.recruiter, recruiter);

  // Approved, with a coupon; a sale of 1,000,000 VND at the demo's 8 %: 80,000, and 16,000 to Lan.
  await api(stack, 'PATCH', `/v1/affiliates/${recruit.id}`, { status: 'approved', coupons: [`${recruit.id}-10`.toUpperCase()] });
  const referral = await creditApproved(stack, `${recruit.id}-10`.toUpperCase(), 1000000, 'VND');
  assert.equal(referral.commission, 80000);
  const { recruiter_commissions: shares } = await api(stack, 'GET', `/v1/recruiter-commissions?affiliate=${recruiter}`);
  assert.equal(shares.length, 1);
  assert.equal(shares[0].amount, 16000);

  // Lan sees her recruit and her share.
  await portal.reload();
  await portal.waitForSelector('#my-recruits');
  const recruits = await portal.$$eval('#my-recruits tbody tr', (trs) => trs.map((tr) => tr.textContent));
  assert.equal(recruits.length, 1);
  assert.match(recruits[0], /Trần Minh.*Approved/);
  const earned = await portal.$$eval('#my-recruiter-commissions tbody tr', (trs) => trs.map((tr) => tr.textContent));
  assert.equal(earned.length, 1);
  assert.match(earned[0], new RegExp(`${recruit.id}.*₫16,000.*Approved`));
  // Her earnings of the period count it.
  assert.match(await portal.textContent('[data-kpi="earnings_VND"]'), /₫16,000.*from recruits ₫16,000/);
  await (await portal.$('#my-team')).screenshot({ path: path.join(ARTIFACTS, 'portal-team.png') });
  assert.deepEqual(portal.errors, []);

  // The merchant: the share in Lan's panel, Lan as the recruit's recruiter in theirs.
  await dash.goto(`${stack.base}/dashboard/?lang=en#/affiliates?id=${recruiter}`);
  await dash.waitForSelector('#affiliate-recruiting #recruiter-commissions');
  const row = await dash.textContent('#recruiter-commissions tbody tr');
  assert.match(row, new RegExp(`${recruit.id}.*₫16,000.*Approved`));
  await dash.goto(`${stack.base}/dashboard/?lang=en#/affiliates?id=${recruit.id}`);
  await dash.waitForSelector('#a-recruiter');
  assert.equal(await dash.inputValue('#a-recruiter'), recruiter);
  assert.match(await dash.textContent('#affiliate-recruiting'), new RegExp(`Recruited by ${recruiter}`));
  // A loop is refused with the server's reason: Lan cannot be recruited by her recruit.
  await dash.goto(`${stack.base}/dashboard/?lang=en#/affiliates?id=${recruiter}`);
  await dash.waitForSelector('#a-recruiter');
  await dash.fill('#a-recruiter', recruit.id);
  await dash.click('#edit-affiliate button[type=submit]');
  await dash.waitForSelector('#edit-affiliate [role=alert]');
  assert.match(await dash.textContent('#edit-affiliate [role=alert]'), /invalid_recruiter/);
  assert.equal((await api(stack, 'GET', `/v1/affiliates/${recruiter}`)).recruiter, null);
  assert.deepEqual(dash.errors, []);
});
