// Bonuses and transfer fees in the dashboard and the portal: the merchant gives an affiliate a
// bonus from their panel (a refused amount says why; the affiliate reads it in their portal,
// counted in their earnings), cancels another, pays the rest with a payout, records what the
// transfer cost, and the overview's channel cost adds commissions, bonuses and fees. Saves the
// screenshots for the README.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startStack, stopStack, api, launch, newContext, newPage, signedInPage, uniqueId, until, ARTIFACTS } from './harness.mjs';

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

const bonusRows = (page) => page.$$eval('#bonuses tbody tr', (trs) => trs.map((tr) => ({ ...tr.dataset, text: tr.textContent })));

test('a bonus given and another cancelled in the dashboard; the affiliate sees theirs; the payout pays it and its fee counts in the channel cost', async () => {
  const id = uniqueId('bonus');
  const made = await api(stack, 'POST', '/v1/affiliates', { id, name: 'Lan Phạm', email: `${id}@affiliates.example`, category: 'content' });
  const page = await signedInPage(browser, stack, `#/affiliates?id=${id}`);
  page.on('dialog', (d) => d.accept());
  await page.waitForSelector('#affiliate-bonuses #bonus-form');
  assert.match(await page.textContent('#affiliate-bonuses'), /No bonuses yet/);
  assert.equal(await page.inputValue('#bonus-currency'), 'VND', 'the program’s currency first');

  // VND has no minor unit: a decimal amount is refused before anything is sent.
  await page.fill('#bonus-amount', '12.5');
  await page.fill('#bonus-reason', 'Top seller, tháng 11');
  await page.click('#bonus-form button[type=submit]');
  await page.waitForSelector('#bonus-form .error');
  assert.match(await page.textContent('#bonus-form .error'), /above zero in VND/);
  assert.equal((await api(stack, 'GET', `/v1/bonuses?affiliate=${id}`)).total, 0);

  await page.fill('#bonus-amount', '500,000');
  await page.click('#bonus-form button[type=submit]');
  await page.waitForSelector('#bonuses tbody tr[data-status="approved"]');
  await page.fill('#bonus-amount', '70000');
  await page.fill('#bonus-reason', 'Entered twice');
  await page.click('#bonus-form button[type=submit]');
  await page.waitForFunction(() => document.querySelectorAll('#bonuses tbody tr').length === 2);
  let rows = await bonusRows(page);
  assert.match(rows[0].text, /₫70,000.*Entered twice.*To be paid.*Dashboard/);
  assert.match(rows[1].text, /₫500,000.*Top seller, tháng 11/);

  // The second one cancelled (after confirming): out of the balance.
  await page.click(`#bonuses tr[data-id="${rows[0].id}"] button[data-action="cancel"]`);
  await page.waitForSelector(`#bonuses tr[data-id="${rows[0].id}"][data-status="cancelled"]`);
  assert.equal(await page.$(`#bonuses tr[data-id="${rows[0].id}"] button`), null);
  const balance = async () => (await api(stack, 'GET', `/v1/balances?affiliate=${id}`)).balances.find((b) => b.currency === 'VND')?.approved;
  assert.equal(await balance(), 500000);
  await (await page.$('#affiliate-bonuses')).screenshot({ path: path.join(ARTIFACTS, 'dashboard-bonuses.png') });
  // Both in the panel's history.
  await page.reload();
  await page.waitForSelector('#affiliate-activity tbody tr[data-action="bonus.cancelled"]');
  const given = await page.$$eval('#affiliate-activity tbody tr[data-action="bonus.created"]', (trs) => trs.map((tr) => tr.textContent));
  assert.equal(given.length, 2);
  assert.match(given[1], /Bonus given.*₫500,000: Top seller, tháng 11/);

  // The affiliate's portal: the bonus waiting for the next payout, counted in the earnings.
  const portal = await newPage(await newContext(browser, { viewport: { width: 1000, height: 1400 } }));
  await portal.goto(`${stack.base}/portal/?lang=en#${new URLSearchParams({ token: made.token })}`);
  await portal.waitForSelector('#my-bonuses');
  const mine = await portal.$$eval('#my-bonuses tbody tr', (trs) => trs.map((tr) => tr.textContent));
  assert.equal(mine.length, 1, 'the cancelled one is not theirs to see');
  assert.match(mine[0], /₫500,000.*Top seller, tháng 11.*With your next payout/);
  const earnings = await portal.textContent('[data-kpi="earnings_VND"]');
  assert.match(earnings, /₫500,000/);
  assert.match(earnings, /including bonuses ₫500,000/);
  await (await portal.$('#my-bonuses')).screenshot({ path: path.join(ARTIFACTS, 'portal-bonuses.png') });

  // The payouts view lists what the next payout pays beside the commission.
  await page.goto(`${stack.base}/dashboard/?lang=en#/payouts`);
  await page.waitForSelector('#bonuses-to-pay');
  const waiting = await page.$$eval('#bonuses-to-pay tbody tr', (trs) => trs.map((tr) => tr.textContent));
  assert.equal(waiting.length, 1, 'the cancelled one is not waiting');
  assert.match(waiting[0], new RegExp(`${id}.*₫500,000.*Top seller, tháng 11.*To be paid`));
  assert.equal(await page.getAttribute('#bonuses-to-pay tbody tr a', 'href'), `#/affiliates?id=${id}`);

  // Paid; the transfer marked sent with its fee.
  const payout = await api(stack, 'POST', '/v1/payouts', { affiliates: [id] });
  assert.deepEqual(
    [payout.lines[0].amount, payout.lines[0].referrals, payout.lines[0].bonuses],
    [500000, 0, 1],
  );
  await page.reload();
  const line = `section.payout[data-id="${payout.id}"] tr[data-affiliate="${id}"]`;
  await page.waitForSelector(`${line} input[data-action="sent"]`);
  assert.equal(await page.isVisible(`${line} .fee-form`), false, 'no fee before the transfer is sent');
  await page.click(`${line} input[data-action="sent"]`);
  await page.waitForSelector(`${line}[data-sent] .fee-form:not([hidden])`);
  await page.fill(`${line} input[data-action="fee"]`, '1.5');
  await page.click(`${line} .fee-form button`);
  await page.waitForSelector('#notice .notice-bad');
  await page.evaluate(() => document.getElementById('notice')?.replaceChildren());
  await page.fill(`${line} input[data-action="fee"]`, '3,300');
  await page.click(`${line} .fee-form button`);
  await until(async () => (await api(stack, 'GET', `/v1/payouts/${payout.id}`)).lines[0].fee === 3300);
  await page.reload();
  await page.waitForSelector(`${line} input[data-action="fee"]`);
  assert.equal(await page.inputValue(`${line} input[data-action="fee"]`), '3300');
  assert.equal(await page.$('#bonuses-to-pay'), null, 'paid: nothing waits');
  assert.equal((await api(stack, 'GET', `/v1/bonuses?affiliate=${id}&status=paid`)).bonuses[0].payout_id, payout.id);

  // The portal says it was paid, and its payout history counts the bonus.
  await portal.reload();
  await portal.waitForSelector('#my-bonuses');
  assert.match(await portal.textContent('#my-bonuses tbody tr'), /Paid/);
  assert.match(await portal.textContent(`#payout-history tr[data-id="${payout.id}"]`), /0 · bonuses 1/);

  // The overview: channel cost = commissions + bonuses + fees + the demo's recruiter
  // commissions, as the API sums them.
  await page.goto(`${stack.base}/dashboard/?lang=en#/`);
  await page.waitForSelector('[data-kpi="channel_cost"]');
  const vnd = (await api(stack, 'GET', '/v1/reports/summary')).kpis.money.find((m) => m.currency === 'VND');
  assert.ok(vnd.bonuses >= 500000 && vnd.fees >= 3300, JSON.stringify(vnd));
  assert.ok(vnd.recruiter_commissions > 0, 'alice recruited two of the demo affiliates');
  assert.equal(vnd.channel_cost, vnd.commissions + vnd.bonuses + vnd.fees + vnd.recruiter_commissions);
  assert.equal(await page.getAttribute('[data-kpi="channel_cost"]', 'data-raw'), String(vnd.channel_cost));
  assert.match(await page.textContent('[data-kpi="channel_cost"] .sub'), /commissions ₫[\d,]+ \+ bonuses ₫[\d,]+ \+ fees ₫[\d,]+ \+ recruiters ₫[\d,]+/);
  assert.deepEqual(page.errors, []);
  assert.deepEqual(portal.errors, []);
});

test('a pending affiliate cannot be given a bonus until approved', async () => {
  const id = uniqueId('bonus-p');
  await api(stack, 'POST', '/v1/affiliates', { id, name: 'Somchai', email: `${id}@affiliates.example`, category: 'content', status: 'pending' });
  const page = await signedInPage(browser, stack, `#/affiliates?id=${id}`);
  await page.waitForSelector('#affiliate-bonuses');
  assert.equal(await page.$('#bonus-form'), null);
  assert.match(await page.textContent('#affiliate-bonuses'), /Approve the affiliate to give them a bonus/);
  assert.deepEqual(page.errors, []);
});
