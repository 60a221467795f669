// Payout requests end to end, in real Chromium against the real server: an affiliate with an
// approved balance asks to be paid in the portal; the merchant sees the request on the overview
// and in Payouts and pays it, which makes a payout and closes the request; a second request is
// declined with a reason the affiliate reads in the portal.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, stopStack, api, launch, newContext, newPage, signedInPage, uniqueId, creditApproved, screenshot } from './harness.mjs';

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

async function portal(token, lang = 'en') {
  const p = await newPage(await newContext(browser));
  await p.goto(`${stack.base}/portal/?lang=${lang}#token=${token}`);
  await p.waitForSelector('#balances');
  return p;
}

test('an affiliate asks to be paid; the merchant pays one request and declines the next', async () => {
  const id = uniqueId('asker');
  const coupon = id.toUpperCase();
  const { token } = await api(stack, 'POST', '/v1/affiliates', { id, name: `Asker ${id}`, email: `${id}@affiliates.example`, coupons: [coupon] });
  await creditApproved(stack, coupon, 2000000, 'VND');
  const approved = (await api(stack, 'GET', `/v1/balances?affiliate=${id}`)).balances.find((b) => b.currency === 'VND').approved;

  const p = await portal(token);
  const ask = '#payout-requests [data-currency="VND"] button[data-action="request"]';
  await p.waitForSelector(ask);
  assert.match(await p.textContent(ask), /Request a payout of/);
  await p.click(ask);
  await p.waitForSelector('#payout-requests [data-currency="VND"][data-open="true"]');
  assert.match(await p.textContent('#payout-requests'), /You asked for/);
  await p.$eval('#balances', (el) => el.scrollIntoView());
  await screenshot(p, 'portal-payout-request', { clip: await p.$eval('#payout-requests', (el) => { const r = el.getBoundingClientRect(); const top = document.getElementById('balances').getBoundingClientRect(); return { x: 0, y: top.y + window.scrollY - 70, width: document.documentElement.clientWidth, height: r.bottom - top.y + 90 }; }) });
  const [open] = (await api(stack, 'GET', `/v1/payout-requests?affiliate=${id}&status=open`)).requests;
  assert.equal(open.amount, approved);

  // The merchant: the overview says a request waits; Payouts pays it.
  const m = await signedInPage(browser, stack, '#/overview');
  await m.waitForSelector('#to-review [data-kind="payout_requests"]');
  await m.click('#to-review [data-kind="payout_requests"] a');
  const row = `#payout-requests tr[data-id="${open.id}"]`;
  await m.waitForSelector(row);
  assert.equal(await m.getAttribute(row, 'data-currency'), 'VND');
  await screenshot(m, 'dashboard-payout-requests', { fullPage: false });
  await m.click(`${row} button[data-action="pay"]`);
  await m.waitForSelector(row, { state: 'detached' });
  const paid = (await api(stack, 'GET', `/v1/payout-requests?affiliate=${id}`)).requests[0];
  assert.equal(paid.status, 'paid');
  const payout = await api(stack, 'GET', `/v1/payouts/${paid.payout_id}`);
  assert.deepEqual(payout.lines.map((l) => [l.affiliate, l.currency]), [[id, 'VND']]);

  // Paid: the portal lists it so; with nothing approved, nothing to ask for.
  await p.reload();
  await p.waitForSelector(`#payout-requests li[data-id="${open.id}"][data-status="paid"]`);
  assert.equal(await p.$(ask), null);

  // A new balance, a new request, declined with a reason.
  await creditApproved(stack, coupon, 1000000, 'VND');
  await p.reload();
  await p.waitForSelector(ask);
  await p.click(ask);
  await p.waitForSelector('#payout-requests [data-open="true"]');
  // The same address: reloaded to read the requests again.
  await m.reload();
  const [next] = (await api(stack, 'GET', `/v1/payout-requests?affiliate=${id}&status=open`)).requests;
  const nextRow = `#payout-requests tr[data-id="${next.id}"]`;
  await m.waitForSelector(nextRow);
  await m.fill(`${nextRow} .decline-reason`, 'Chờ đối soát cuối tháng');
  await m.click(`${nextRow} button[data-action="decline"]`);
  await m.waitForSelector(nextRow, { state: 'detached' });
  await p.reload();
  const declined = `#payout-requests li[data-id="${next.id}"][data-status="declined"]`;
  await p.waitForSelector(declined);
  assert.match(await p.textContent(declined), /Chờ đối soát cuối tháng/);
  // The balance is still theirs to ask for again.
  await p.waitForSelector(ask);
  assert.deepEqual([...p.errors, ...m.errors], []);
});
