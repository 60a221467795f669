// Reviewing pending referrals at once in the ledger: the merchant ticks them (or every pending
// one shown), approves them in one go, one that someone else rejected meanwhile is reported
// alone; the rest are rejected after a confirmation. Each decision is in the activity log.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, stopStack, api, launch, signedInPage, screenshot, uniqueId, browserClick, browserSale } from './harness.mjs';

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

test('pending referrals approved and rejected at once, each one its own decision', async () => {
  const id = uniqueId('bulk');
  await api(stack, 'POST', '/v1/affiliates', { id, name: 'Bulk Reviewed', email: `${id}@affiliates.example`, category: 'cashback' });
  const clickId = await browserClick(stack, id);
  const refs = [];
  for (let i = 0; i < 5; i += 1) refs.push(await browserSale(stack, clickId));

  const page = await signedInPage(browser, stack, `#/referrals?affiliate=${id}`);
  await page.waitForSelector(`#referrals tr[data-id="${refs[0]}"]`);
  assert.equal(await page.isVisible('#bulk'), false, 'no bar until something is selected');

  // Three ticked; one of them is rejected elsewhere before the approval runs.
  for (const r of refs.slice(0, 3)) await page.check(`#referrals tr[data-id="${r}"] input.select-referral`);
  assert.equal(await page.textContent('#bulk-count'), '3 selected');
  assert.equal(await page.$eval('#select-all', (b) => b.indeterminate), true);
  await screenshot(page, 'dashboard-bulk-review');
  await api(stack, 'POST', `/v1/referrals/${refs[2]}/reject`, { reason: 'duplicate order' });
  await page.click('#bulk-approve');
  const failed = await page.waitForSelector('#bulk-failed');
  assert.match(await failed.textContent(), /1 could not be changed/);
  assert.match(await failed.textContent(), new RegExp(`${refs[2]}: .*\\(invalid_status\\)`));
  const statuses = async () => Object.fromEntries(await page.$$eval('#referrals tbody tr', (trs) => trs.map((tr) => [tr.dataset.id, tr.dataset.status])));
  await page.waitForSelector(`#referrals tr[data-id="${refs[0]}"][data-status="approved"]`);
  assert.deepEqual(await statuses(), { [refs[0]]: 'approved', [refs[1]]: 'approved', [refs[2]]: 'rejected', [refs[3]]: 'pending', [refs[4]]: 'pending' });

  // Every pending one shown, rejected after the confirmation.
  let asked = '';
  page.once('dialog', (d) => {
    asked = d.message();
    d.accept();
  });
  await page.check('#select-all');
  assert.equal(await page.textContent('#bulk-count'), '2 selected');
  await page.click('#bulk-reject');
  await page.waitForSelector(`#referrals tr[data-id="${refs[4]}"][data-status="rejected"]`);
  assert.match(asked, /Reject 2 referrals\?/);
  assert.deepEqual(await statuses(), { [refs[0]]: 'approved', [refs[1]]: 'approved', [refs[2]]: 'rejected', [refs[3]]: 'rejected', [refs[4]]: 'rejected' });
  assert.equal(await page.isVisible('#bulk'), false);
  assert.equal(await page.$('#bulk-failed'), null);

  // Each one a decision of its own, by the dashboard (the one rejected elsewhere by the API).
  const log = await api(stack, 'GET', `/v1/activity?affiliate=${id}&action=referral.`);
  const by = Object.fromEntries(log.activity.map((e) => [`${e.action} ${e.subject}`, e.by]));
  assert.deepEqual(by, {
    [`referral.approved ${refs[0]}`]: 'dashboard',
    [`referral.approved ${refs[1]}`]: 'dashboard',
    [`referral.rejected ${refs[2]}`]: 'secret_key',
    [`referral.rejected ${refs[3]}`]: 'dashboard',
    [`referral.rejected ${refs[4]}`]: 'dashboard',
  });
  assert.deepEqual(page.errors, []);
});

test('the overview says what waits for review, and leads to it', async () => {
  const page = await signedInPage(browser, stack, '#/overview');
  const counts = async () => {
    await page.waitForSelector('#to-review h2');
    return Object.fromEntries(await page.$$eval('#to-review li', (lis) => lis.map((li) => [li.dataset.kind, Number(li.dataset.count)])));
  };
  const before = await counts();
  // The demo program has flagged referrals and an application waiting.
  assert.ok(before.flagged > 0 && before.applications > 0, JSON.stringify(before));

  // Two more unverified sales and one more application.
  const id = uniqueId('waiting');
  await api(stack, 'POST', '/v1/affiliates', { id, name: 'Waiting One', email: `${id}@affiliates.example`, category: 'content' });
  const clickId = await browserClick(stack, id);
  await browserSale(stack, clickId);
  await browserSale(stack, clickId);
  await api(stack, 'POST', '/v1/affiliates', { id: uniqueId('applicant'), name: 'An Applicant', category: 'influencer', status: 'pending' });
  await page.reload();
  const after = await counts();
  assert.deepEqual(after, { ...before, unverified: (before.unverified || 0) + 2, applications: before.applications + 1 });
  assert.match(await page.textContent('#to-review li[data-kind="unverified"]'), new RegExp(`Unverified referrals to approve or reject: ${after.unverified}`));

  // The unverified ones' link opens the ledger on them alone.
  await page.click('#to-review li[data-kind="unverified"] a');
  await page.waitForSelector('#referrals tbody tr');
  assert.equal(await page.inputValue('#f-verified'), 'false');
  assert.equal(await page.inputValue('#f-status'), 'pending');
  const shown = await page.$$eval('#referrals tbody tr', (trs) => trs.map((tr) => [tr.dataset.status, /Unverified/.test(tr.textContent)]));
  assert.ok(shown.length > 0 && shown.length <= after.unverified, `${shown.length} of ${after.unverified}`);
  assert.ok(shown.every(([status, unverified]) => status === 'pending' && unverified), JSON.stringify(shown));
  await page.goto(`${stack.base}/dashboard/?lang=en#/overview`);
  await page.waitForSelector('#to-review h2');

  // The link opens the pending applications.
  await page.click('#to-review li[data-kind="applications"] a');
  await page.waitForSelector('#affiliates');
  assert.equal(await page.inputValue('#f-astatus'), 'pending');
  assert.equal((await page.$$('#affiliates tbody tr')).length, after.applications);
  assert.deepEqual(page.errors, []);
});
