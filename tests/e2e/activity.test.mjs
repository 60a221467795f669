// The activity log in the merchant dashboard: an affiliate changed in the dashboard shows in
// their panel's history field by field, with who did it; a change the affiliate made in the
// portal is named as theirs; a referral approved in the ledger and a key revoked in Settings
// show in the log, which Settings links to, filtered by affiliate and by kind, a page at a time.
// Saves the screenshot for the README.

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

const rows = (page) => page.$$eval('table.activity tbody tr', (trs) => trs.map((tr) => ({ ...tr.dataset, text: tr.textContent })));

test('who changed an affiliate, approved a referral or revoked a key, in the dashboard', async () => {
  const id = uniqueId('act');
  const made = await api(stack, 'POST', '/v1/affiliates', { id, name: 'Minh Anh', email: `${id}@affiliates.example`, category: 'content' });
  const page = await signedInPage(browser, stack, `#/affiliates?id=${id}`);

  // Changed in the dashboard: the panel's history says what, by whom.
  await page.waitForSelector('#edit-affiliate');
  await page.fill('#a-name', 'Minh Anh Trần');
  await page.fill('#a-rate', '12');
  await page.click('#edit-affiliate button[type=submit]');
  await page.waitForFunction(() => document.querySelectorAll('#affiliate-activity tbody tr').length === 2);
  let history = await page.$$eval('#affiliate-activity tbody tr', (trs) => trs.map((tr) => tr.dataset));
  assert.deepEqual(
    history.map((e) => [e.action, e.by]),
    [
      ['affiliate.updated', 'dashboard'],
      ['affiliate.created', 'secret_key'],
    ],
  );
  const changed = await page.$('#affiliate-activity tbody tr[data-action="affiliate.updated"]');
  assert.deepEqual(await changed.$$eval('li[data-field]', (lis) => lis.map((li) => li.dataset.field)), ['commission', 'name']);
  assert.match(await changed.textContent(), /Minh Anh → Minh Anh Trần/);
  assert.match(await changed.textContent(), /Commission: not set → Sale 12 %/);
  assert.match(await changed.textContent(), /Dashboard/);

  // The affiliate changes where they are paid, from the portal: named as theirs.
  await fetch(`${stack.base}/v1/me`, {
    method: 'PATCH',
    headers: { Authorization: `Bearer ${made.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ payout_email: `${id}-paypal@affiliates.example` }),
  }).then((r) => assert.equal(r.status, 200));
  await page.reload();
  await page.waitForFunction(() => document.querySelectorAll('#affiliate-activity tbody tr').length === 3);
  const mine = await page.$('#affiliate-activity tbody tr:first-child');
  assert.equal(await mine.getAttribute('data-by'), `affiliate:${id}`);
  assert.match(await mine.textContent(), new RegExp(`${id} \\(portal\\)`));
  assert.match(await mine.textContent(), /PayPal email for payouts/);

  // A referral approved in the ledger (an unverified browser sale waits for review).
  const referral = await browserSale(stack, await browserClick(stack, id), 890000);
  await page.goto(`${stack.base}/dashboard/?lang=en#/referrals?affiliate=${id}`);
  await page.click(`#referrals tr[data-id="${referral}"] button[data-action="approve"]`);
  await page.waitForSelector(`#referrals tr[data-id="${referral}"][data-status="approved"]`);

  // A key made and revoked in Settings; Settings leads to the log.
  const key = await api(stack, 'POST', '/v1/keys', { kind: 'publishable' });
  await page.goto(`${stack.base}/dashboard/?lang=en#/settings`);
  page.on('dialog', (d) => d.accept());
  await page.click(`#keys tr[data-id="${key.id}"] button`);
  await page.waitForFunction((k) => document.querySelector(`#keys tr[data-id="${k}"]`)?.textContent.includes('Revoked'), key.id);
  await page.click('#activity-link');
  await page.waitForSelector('table.activity');
  let all = await rows(page);
  assert.deepEqual(all.slice(0, 3).map((e) => [e.action, e.by, e.subject]), [
    ['key.revoked', 'dashboard', key.id],
    ['key.created', 'secret_key', key.id],
    ['referral.approved', 'dashboard', referral],
  ]);
  assert.match(all[0].text, /Key revoked/);
  assert.equal(await page.getAttribute('nav a[aria-current="page"]', 'href'), '#/settings');

  // Filtered by affiliate, then by kind.
  await page.fill('#activity-affiliate', id);
  await page.press('#activity-affiliate', 'Enter');
  await page.waitForFunction((a) => location.hash.includes(a) && document.querySelectorAll('table.activity tbody tr').length === 4, id);
  all = await rows(page);
  assert.deepEqual(all.map((e) => e.action), ['referral.approved', 'affiliate.updated', 'affiliate.updated', 'affiliate.created']);
  await page.selectOption('#activity-action', 'referral.');
  await page.waitForFunction(() => document.querySelectorAll('table.activity tbody tr').length === 1);
  assert.match((await rows(page))[0].text, /Referral approved/);
  await page.selectOption('#activity-action', '');
  await page.waitForFunction(() => document.querySelectorAll('table.activity tbody tr').length === 4);
  await screenshot(page, 'dashboard-activity');

  // A page at a time: 55 new portal links make two pages.
  for (let i = 0; i < 55; i += 1) await api(stack, 'POST', `/v1/affiliates/${id}/token`);
  await page.reload();
  await page.waitForSelector('#activity-older');
  assert.equal((await rows(page)).length, 50);
  assert.equal(await page.$('#activity-newer'), null);
  await page.click('#activity-older');
  await page.waitForSelector('#activity-newer');
  all = await rows(page);
  assert.deepEqual(all.map((e) => e.action), ['affiliate.token_issued', 'affiliate.token_issued', 'affiliate.token_issued', 'affiliate.token_issued', 'affiliate.token_issued', 'referral.approved', 'affiliate.updated', 'affiliate.updated', 'affiliate.created']);
  assert.equal(await page.$('#activity-older'), null);
  assert.deepEqual(page.errors, []);
});

test('a refund made in the ledger and a creative changed and deleted show in the log, each in words', async () => {
  const id = uniqueId('ref');
  await api(stack, 'POST', '/v1/affiliates', { id, name: 'Thảo Vy', email: `${id}@affiliates.example`, category: 'content' });
  const order = uniqueId('order');
  // A verified sale of 1,000,000 VND (the demo program's 8 %: 80,000).
  await api(stack, 'POST', '/v1/sales', { order_id: order, amount: 1000000, currency: 'VND', click_id: await browserClick(stack, id) });
  const page = await signedInPage(browser, stack, `#/referrals?affiliate=${id}`);
  await page.click(`#referrals tr[data-order="${order}"] button[data-action="refund"]`);
  await page.fill('#refund-amount', '250000');
  await page.fill('#refund-reason', 'đổi size');
  await page.click('#refund-confirm');
  await page.waitForSelector('dialog[aria-labelledby="refund-title"]', { state: 'detached' });

  // A creative added by the API, archived and deleted in the dashboard.
  const creative = await api(stack, 'POST', '/v1/creatives', { name: 'Tết banner', kind: 'link', text: 'Giảm 20 %' });
  await api(stack, 'PATCH', `/v1/creatives/${creative.id}`, { status: 'archived', text: 'Giảm 25 %' });
  page.on('dialog', (d) => d.accept());
  await page.goto(`${stack.base}/dashboard/?lang=en#/creatives`);
  await page.click('button[data-show="archived"]');
  await page.click(`#creatives li[data-id="${creative.id}"] button[data-action="delete"]`);
  await page.waitForFunction((c) => !document.querySelector(`#creatives li[data-id="${c}"]`), creative.id);

  await page.goto(`${stack.base}/dashboard/?lang=en#/activity?action=refund.`);
  await page.waitForSelector('table.activity tbody tr');
  const [refund] = await rows(page);
  assert.deepEqual([refund.action, refund.by], ['refund.created', 'dashboard']);
  assert.match(refund.text, new RegExp(`Refund recorded.*₫250,000 of order ${order} refunded; commission reversed: ₫20,000 · Reason: đổi size`));

  await page.selectOption('#activity-action', 'creative.');
  await page.waitForFunction(() => document.querySelectorAll('table.activity tbody tr[data-action^="creative."]').length === 3);
  const made = (await rows(page)).filter((e) => e.subject === creative.id);
  assert.deepEqual(made.map((e) => [e.action, e.by]), [
    ['creative.deleted', 'dashboard'],
    ['creative.updated', 'secret_key'],
    ['creative.created', 'secret_key'],
  ]);
  assert.match(made[0].text, /Creative deleted.*Tết banner · Text link/);
  assert.match(made[1].text, /Status: active → archived.*Link text: Giảm 20 % → Giảm 25 %/);
  assert.deepEqual(page.errors, []);
});
