// The demo shop's backend and the pages' static serving over plain HTTP: the checkout refuses
// bad input with a clear 4xx and reports a good order as a verified sale; the /rt relay passes the
// tracking server's answers on; files are served with their types and nothing outside www/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, stopStack, api } from './harness.mjs';

let stack;
let shop;

before(async () => {
  stack = await startStack();
  shop = `http://127.0.0.1:${stack.shopPort}`;
});

after(async () => {
  if (stack) await stopStack(stack);
});

async function checkout(body, type = 'application/json') {
  const r = await fetch(`${shop}/api/checkout`, { method: 'POST', headers: { 'Content-Type': type }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: r.status, body: await r.json() };
}

const line = (sku = 'TEE-BASIC', quantity = 1) => ({ sku, quantity });

test('checkout refuses bad input with a 4xx and the error shape', async () => {
  const cases = [
    [{ items: [line()] }, 'text/plain', 415, 'unsupported_media_type'],
    ['{"items": [', 'application/json', 400, 'invalid_json'],
    [{ items: [line()], price: 1 }, 'application/json', 400, 'invalid_json'],
    [{ items: [{ sku: 'TEE-BASIC', quantity: '2' }] }, 'application/json', 400, 'invalid_json'],
    [{ items: [] }, 'application/json', 400, 'invalid_items'],
    [{ items: Array.from({ length: 21 }, (_, i) => line(`X${i}`)) }, 'application/json', 400, 'invalid_items'],
    [{ items: [line('NOPE')] }, 'application/json', 400, 'unknown_product'],
    [{ items: [line('TEE-BASIC', 0)] }, 'application/json', 400, 'invalid_quantity'],
    [{ items: [line('TEE-BASIC', 1e6)] }, 'application/json', 400, 'invalid_quantity'],
    [{ items: [line(), line()] }, 'application/json', 400, 'duplicate_product'],
    [{ items: [line()], coupon: "'; DROP TABLE orders;--" }, 'application/json', 400, 'invalid_coupon'],
    [{ items: [line()], email: 'a@b.co\r\nBcc: x@y.z' }, 'application/json', 400, 'invalid_email'],
    [{ items: [line()], click_id: '<script>' }, 'application/json', 400, 'invalid_click_id'],
  ];
  const before = (await api(stack, 'GET', '/v1/sales?limit=500')).sales.length;
  for (const [body, type, status, code] of cases) {
    const r = await checkout(body, type);
    assert.equal(r.status, status, JSON.stringify(body).slice(0, 80));
    assert.equal(r.body.error.code, code, JSON.stringify(r.body));
    assert.equal(typeof r.body.error.message, 'string');
  }
  const big = await fetch(`${shop}/api/checkout`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ items: [line()], email: 'x'.repeat(40000) }) });
  assert.equal(big.status, 413);
  assert.equal((await api(stack, 'GET', '/v1/sales?limit=500')).sales.length, before, 'nothing was written');
});

test('a good order is priced by the shop and reported as a verified sale (coupon BOB10 credits bob)', async () => {
  const r = await checkout({ items: [line('SHOE-WALK-2', 2), line('GIFT-CARD', 1)], coupon: 'bob10', email: 'buyer@example.com' });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.amount, 2 * 890000 + 500000);
  assert.equal(r.body.sale.verified, true);
  assert.equal(r.body.referral.affiliate, 'bob');
  // 8 % of the shoes; gift cards earn 0 % in the demo program.
  assert.equal(r.body.referral.commission, 2 * 890000 * 0.08);
  const ledger = await api(stack, 'GET', '/v1/referrals?affiliate=bob&limit=5');
  assert.ok(ledger.referrals.some((x) => x.order_id === r.body.order_id && x.verified));
});

test('the /rt relay passes the tracking server answers on; unknown routes are 404', async () => {
  const post = (p, body, origin) =>
    fetch(`${shop}${p}`, { method: 'POST', headers: { 'Content-Type': 'text/plain', ...(origin ? { Origin: origin } : {}) }, body: JSON.stringify(body) });
  const click = { affiliate: 'alice', url: `${stack.shopUrl()}/store/?ref=alice`, referrer: '', consent: 'granted' };
  const ok = await post('/rt/v1/clicks', click, stack.shopUrl());
  assert.equal(ok.status, 201);
  const refused = await post('/rt/v1/clicks', click, 'https://evil.example');
  assert.equal(refused.status, 403);
  assert.equal((await refused.json()).error.code, 'origin_not_allowed');
  const nothing = await post('/rt/v1/refunds', {}, stack.shopUrl());
  assert.equal(nothing.status, 404);
});

test('pages and browser files are served with their types, nothing outside www/, the API still answers JSON', async () => {
  for (const base of [shop, stack.base]) {
    const wasm = await fetch(`${base}/reftrail/reftrail_bg.wasm`);
    assert.equal(wasm.headers.get('content-type'), 'application/wasm');
    for (const p of ['/store/%2e%2e/%2e%2e/Cargo.toml', '/store/..%2f..%2fCargo.toml', '/reftrail/%2e%2e/%2e%2e/Cargo.toml', '/shared/../../Cargo.toml', '/node_modules/chart.js/package.json']) {
      const r = await fetch(base + p);
      assert.equal(r.status, 404, base + p);
    }
  }
  const dash = await fetch(`${stack.base}/dashboard/`);
  assert.match(dash.headers.get('content-type'), /^text\/html/);
  const nope = await fetch(`${stack.base}/v1/nope`);
  assert.equal(nope.status, 404);
  assert.equal((await nope.json()).error.code, 'not_found');
  // The shop prints the program's settings in its script tag.
  const html = await (await fetch(`${shop}/store/ref/alice/`)).text();
  assert.match(html, /data-consent="pending" data-model="last" data-window="30" data-params="ref,aff,via,affiliate"/);
  // And names the program's language for the store's pages (the seeded program speaks Vietnamese).
  const info = await (await fetch(`${shop}/api/shop`)).json();
  assert.deepEqual(info, { backend: 'demo-shop', currency: 'VND', locale: 'vi' });
});
