// Webhooks and deliveries end to end, in real Chromium against the real server and its worker:
// the owner adds a webhook endpoint in the settings, sends it a test event (signed, as every
// event is), saves it; a sale sends `referral.created` to it, which fails; the overview says so,
// and the deliveries page shows the failing request with the endpoint's answer, beside the
// affiliates' postbacks.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import crypto from 'node:crypto';
import { startStack, stopStack, api, launch, signedInPage, uniqueId, until, screenshot } from './harness.mjs';

let stack;
let browser;
let receiver;
const got = [];

before(async () => {
  stack = await startStack();
  browser = await launch();
  // The shop's own system: `/hooks` answers 200, anything else 500.
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push({ method: req.method, url: req.url, signature: req.headers['reftrail-signature'], body });
      res.writeHead(req.url.startsWith('/hooks') ? 200 : 500).end('ok');
    });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
});

after(async () => {
  await browser?.close();
  if (stack) await stopStack(stack);
  receiver?.close();
});

test('the owner sets up a webhook, tests it, and sees its failing deliveries', async () => {
  const base = `http://127.0.0.1:${receiver.address().port}`;
  const { webhook_secret: secret } = await api(stack, 'GET', '/v1/program');
  const p = await signedInPage(browser, stack, '#/settings');
  await p.waitForSelector('#webhook-add');
  assert.equal(await p.isVisible('#webhook-none'), true);

  // An endpoint typed in, one event ticked, a test event sent at once.
  await p.click('#webhook-add');
  await p.fill('.webhook-endpoint .webhook-url', `${base}/hooks/reftrail`);
  await p.check('.webhook-endpoint input[value="referral.created"]');
  await p.click('.webhook-endpoint .webhook-test');
  await p.waitForSelector('.webhook-answer[data-delivered="true"]');
  assert.match(await p.textContent('.webhook-answer'), /answered 200/);
  await p.$eval('#webhook-endpoints', (el) => el.scrollIntoView());
  await screenshot(p, 'dashboard-webhooks', { clip: await p.$eval('#webhook-endpoints', (el) => { const r = el.getBoundingClientRect(); return { x: 0, y: r.y + window.scrollY - 120, width: document.documentElement.clientWidth, height: r.height + 200 }; }) });
  const ping = got.find((r) => r.url === '/hooks/reftrail');
  assert.ok(ping, JSON.stringify(got));
  assert.equal(ping.method, 'POST');
  assert.equal(JSON.parse(ping.body).type, 'ping');
  const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(ping.signature);
  assert.equal(v1, crypto.createHmac('sha256', secret).update(`${t}.${ping.body}`).digest('hex'));

  // An endpoint that fails says so; that one is saved, to see what becomes of its events.
  await p.fill('.webhook-endpoint .webhook-url', `${base}/down`);
  await p.click('.webhook-endpoint .webhook-test');
  await p.waitForSelector('.webhook-answer[data-delivered="false"]');
  assert.match(await p.textContent('.webhook-answer'), /HTTP 500/);
  await p.click('#save-program');
  await until(async () => (await api(stack, 'GET', '/v1/program')).webhooks.length === 1);
  assert.deepEqual((await api(stack, 'GET', '/v1/program')).webhooks, [{ url: `${base}/down`, events: ['referral.created'] }]);

  // A sale: its event goes to the failing endpoint, and is kept to be tried again.
  const id = uniqueId('hooked');
  await api(stack, 'POST', '/v1/affiliates', { id, name: `Hooked ${id}`, coupons: [id.toUpperCase()] });
  const sale = await api(stack, 'POST', '/v1/sales', { order_id: uniqueId('order'), amount: 200000, currency: 'VND', coupon: id.toUpperCase() });
  await until(() => got.some((r) => r.url === '/down' && JSON.parse(r.body).type === 'referral.created'), { timeout: 15000 });
  const failing = await until(async () => (await api(stack, 'GET', '/v1/deliveries?status=retrying')).deliveries.find((d) => d.kind === 'webhook'));
  assert.equal(failing.event, 'referral.created');
  assert.equal(failing.last_error, 'HTTP 500');

  // The overview says so, and leads to the list.
  await p.goto(`${stack.base}/dashboard/?lang=en#/overview`);
  await p.waitForSelector('#to-review [data-kind="deliveries_retrying"]');
  await p.click('#to-review [data-kind="deliveries_retrying"] a');
  await p.waitForSelector('#deliveries');
  assert.equal(await p.inputValue('#deliveries-status'), 'retrying');
  const row = p.locator(`#deliveries tr[data-id="${failing.id}"]`);
  assert.equal(await row.getAttribute('data-kind'), 'webhook');
  assert.match(await row.textContent(), /referral\.created/);
  assert.match(await row.textContent(), /HTTP 500/);
  assert.match(await row.textContent(), /next try/);
  assert.match(await row.textContent(), /Failing, tried again/);
  // Due again within a minute, it is left to the worker: no button.
  assert.equal(await row.locator('button.retry').count(), 0);
  assert.match(await p.textContent('#delivery-counts'), /of them failing: 1/);
  await screenshot(p, 'dashboard-deliveries', { fullPage: false });

  // Postbacks only: the webhook is not among them.
  await p.selectOption('#deliveries-kind', 'postback');
  await p.waitForFunction(() => location.hash.includes('kind=postback'));
  await p.waitForSelector('#deliveries, .state-empty');
  assert.equal(await p.locator(`#deliveries tr[data-id="${failing.id}"]`).count(), 0);
  assert.ok(sale.referral, JSON.stringify(sale));
  assert.deepEqual(p.errors, []);
});
