// Postbacks end to end, in real Chromium against the real server and demo shop: an affiliate
// writes their tracker's address in the portal with the macro buttons, tests it, saves it; a
// shopper arrives by their link with a sub id and buys; the server's worker calls the tracker
// with the sale and that sub id, then again when the merchant approves it; the portal and the
// merchant's affiliate panel list the requests.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startStack, stopStack, api, launch, newContext, newPage, dashboardSignIn, uniqueId, until, screenshot } from './harness.mjs';

let stack;
let browser;
let tracker;
const seen = [];

before(async () => {
  stack = await startStack();
  browser = await launch();
  // The affiliate's tracker: `/pb` answers 200, anything else 500.
  tracker = http.createServer((req, res) => {
    seen.push(req.url);
    res.writeHead(req.url.startsWith('/pb') ? 200 : 500).end('ok');
  });
  await new Promise((resolve) => tracker.listen(0, '127.0.0.1', resolve));
});

after(async () => {
  await browser?.close();
  if (stack) await stopStack(stack);
  tracker?.close();
});

async function coreReady(page) {
  await page.waitForFunction(() => window.reftrail && window.reftrail.loaded, null, { timeout: 15000 });
}

test('an affiliate\'s tracker hears of their sale, with the sub id of the link it came by', async () => {
  const id = uniqueId('cashback');
  const { token } = await api(stack, 'POST', '/v1/affiliates', { id, name: `Cashback ${id}`, email: `${id}@affiliates.example`, category: 'cashback' });
  const base = `http://127.0.0.1:${tracker.address().port}`;

  // The portal: the address typed, the macros inserted where the cursor is.
  const p = await newPage(await newContext(browser));
  await p.goto(`${stack.base}/portal/?lang=en#token=${token}&shop=${encodeURIComponent(`${stack.shopUrl()}/store/`)}`);
  await p.waitForSelector('#postback-url');
  assert.match(await p.textContent('#postback'), /No requests yet/);
  assert.equal(await p.textContent('#postback-example'), `${stack.shopUrl()}/store/?ref=${id}&sub1=…`);
  await p.fill('#postback-url', `${base}/pb?e=`);
  for (const [macro, then] of [['event', '&s1='], ['sub1', '&c='], ['commission', '&cur='], ['currency', '']]) {
    await p.click(`#postback-macros [data-macro="${macro}"]`);
    if (then) await p.type('#postback-url', then);
  }
  const template = `${base}/pb?e={event}&s1={sub1}&c={commission}&cur={currency}`;
  assert.equal(await p.inputValue('#postback-url'), template);
  // What each macro gives, one line for sub1 to sub5.
  await p.click('#postback-help summary');
  assert.match(await p.textContent('#postback-help'), /\{commission\}your commission now owed/);
  assert.equal(await p.$$eval('#postback-help dt', (dts) => dts.length), 13);

  // A test with sample values: 100 of the program's currency, 10 %.
  await p.click('#postback-test');
  await p.waitForSelector('#postback-result [data-delivered="true"]');
  assert.match(await p.textContent('#postback-result'), /answered 200/);
  assert.ok(seen.includes('/pb?e=test&s1=test&c=10&cur=VND'), JSON.stringify(seen));
  // A tracker that fails says so.
  await p.fill('#postback-url', `${base}/down`);
  await p.click('#postback-test');
  await p.waitForSelector('#postback-result [data-delivered="false"]');
  assert.match(await p.textContent('#postback-result'), /HTTP 500/);
  // A macro that does not exist is refused with its name.
  await p.fill('#postback-url', `${base}/pb?x={order_id}`);
  await p.click('#postback-save');
  await p.waitForSelector('#postback-result .state-error');
  assert.match(await p.textContent('#postback-result'), /\{order_id\} is not a macro/);

  await p.fill('#postback-url', template);
  await p.click('#postback-save');
  await p.waitForSelector('#postback-remove');
  await p.reload();
  await p.waitForSelector('#postback-url');
  assert.equal(await p.inputValue('#postback-url'), template);

  // A shopper from the cashback site, whose link carries the site's member id, buys.
  const shopper = await newPage(await newContext(browser));
  await shopper.goto(`${stack.shopUrl()}/store/?lang=en`);
  await coreReady(shopper);
  await shopper.click('#consent-accept');
  // The click is recorded (its answer sets the click cookie) before the sale, as a shopper's
  // browsing gives it time to be.
  const clicked = shopper.waitForResponse((r) => r.url().endsWith('/v1/clicks') && r.request().method() === 'POST');
  await shopper.goto(`${stack.shopUrl()}/store/?ref=${id}&sub1=member-42&lang=en`);
  await coreReady(shopper);
  assert.equal((await clicked).status(), 201);
  const orderId = uniqueId('order');
  await shopper.evaluate((order) => window.reftrail('conversion', { order_id: order, amount: 300000, currency: 'VND' }), orderId);
  const ref = await until(async () => (await api(stack, 'GET', `/v1/referrals?affiliate=${id}`)).referrals.find((r) => r.order_id === orderId));
  // The seeded program pays cashback sites 5 %; an unverified sale waits for review.
  const created = `/pb?e=created&s1=member-42&c=15000&cur=VND`;
  await until(() => seen.includes(created), { timeout: 15000 });

  await api(stack, 'POST', `/v1/referrals/${ref.id}/approve`);
  const approved = `/pb?e=approved&s1=member-42&c=15000&cur=VND`;
  await until(() => seen.includes(approved), { timeout: 15000 });

  // The portal lists both, delivered, newest first.
  await p.reload();
  await p.waitForSelector('#postback-deliveries');
  const rows = await p.$$eval('#postback-deliveries tbody tr', (trs) => trs.map((tr) => [tr.dataset.event, tr.dataset.status]));
  assert.deepEqual(rows.slice(0, 2), [['approved', 'delivered'], ['created', 'delivered']]);
  await p.$eval('#postback-title', (el) => el.scrollIntoView());
  await screenshot(p, 'portal-postback', { clip: await p.$eval('#postback', (el) => { const r = el.getBoundingClientRect(); return { x: 0, y: r.y + window.scrollY - 60, width: document.documentElement.clientWidth, height: r.height + 70 }; }) });

  // The merchant sees it in the affiliate's panel, and may change it for them.
  const m = await newPage(await newContext(browser));
  await dashboardSignIn(stack, m, `#/affiliates?id=${encodeURIComponent(id)}`);
  await m.waitForSelector('#postback-url');
  assert.equal(await m.inputValue('#postback-url'), template);
  assert.equal(await m.$$eval('#postback-deliveries tbody tr', (trs) => trs.length), 2);
  await m.click('#postback-remove');
  await m.waitForSelector('#postback-remove', { state: 'detached' });
  assert.equal((await api(stack, 'GET', `/v1/affiliates/${id}/postback`)).url, null);
  assert.deepEqual([...p.errors, ...shopper.errors, ...m.errors], []);
});
