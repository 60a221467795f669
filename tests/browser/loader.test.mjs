// The loader and the wasm core on real pages in Chromium: capture on every link form, cookie
// domain sharing, consent, restore from the second copy, first vs last click, the queue before
// the wasm arrives, a missing wasm, the retry queue, cross-domain decoration.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { setup, open, until, refCookie, storage } from './harness.mjs';

let env;
before(async () => {
  env = await setup();
});
after(async () => env && env.close());
beforeEach(() => env.reset());

const clicks = () => env.stub.state.received.filter((r) => r.path === '/v1/clicks');
const sales = () => env.stub.state.received.filter((r) => r.path === '/v1/sales');

for (const [form, path, via] of [
  ['?ref=', '/shoes?ref=alice&utm_campaign=spring&gclid=G1', 'query'],
  ['?via=', '/shoes?via=alice', 'query'],
  ['?aff=', '/shoes?aff=alice', 'query'],
  ['#ref=', '/shoes#ref=alice', 'fragment'],
  ['/ref/<id>/', '/shoes/ref/alice/', 'path'],
]) {
  test(`captures ${form}, keeps it in the cookie and storage, reports the click, cleans the address`, async () => {
    await env.page({});
    const context = await env.browser.newContext();
    const page = await open(context, env.base('www.shop.test') + path);
    // The server's click id arrives with the answer and is kept too; compare once it has.
    await until(async () => /^c_\d+$/.test((await page.evaluate(() => window.reftrail('attribution'))).click_id));
    const cookie = await until(() => refCookie(context));
    assert.equal(cookie.domain, '.shop.test', 'shared with every subdomain');
    assert.equal(cookie.path, '/');
    assert.equal(cookie.sameSite, 'Lax');
    assert.ok(cookie.expires * 1000 > Date.now() + 29 * 86400e3, 'lives for the 30-day window');
    assert.equal(await storage(page), decodeURIComponent(cookie.value), 'second copy in localStorage');
    const click = (await until(() => clicks()[0])).body;
    assert.equal(click.affiliate, 'alice');
    assert.equal(click.via, via);
    assert.equal(click.consent, 'granted');
    assert.equal(click.landing, via === 'path' ? '/shoes/' : '/shoes', 'the landing page, without the path form');
    assert.match(click.visitor, /^[A-Za-z0-9]{16,32}$/);
    if (form === '?ref=') {
      assert.deepEqual(click.campaign, { utm_campaign: 'spring' });
      assert.deepEqual(click.click_ids, { gclid: 'G1' });
    }
    const href = await page.evaluate(() => location.pathname + location.search + location.hash);
    assert.ok(!/alice/.test(href), `address cleaned: ${href}`);
    const attribution = await page.evaluate(() => window.reftrail('attribution'));
    assert.equal(attribution.affiliate, 'alice');
    assert.equal(attribution.via, via);
    await context.close();
  });
}

// The runtime hands the wasm the address as the browser's URLSearchParams and URL parser read
// it: decoded names, first valid id wins, separators inside values add no fields, and the
// cleaned address keeps the other pairs' bytes and order.
for (const [path, affiliate, via, clean, campaign] of [
  [
    '/shoes?utm_source=a%1Fb&x=%1Cref%1Cbob%1D&r%65f=%1Dbob&r%65f=al%69ce&ref=bob&keep=%7e+%zz&utm_medium=m%1Ex&utm_campaign=spr%69ng#top',
    'alice',
    'query',
    '/shoes?utm_source=a%1Fb&x=%1Cref%1Cbob%1D&keep=%7e+%zz&utm_medium=m%1Ex&utm_campaign=spr%69ng#top',
    { utm_campaign: 'spring' },
  ],
  ['/p?ref=%1Fbob&&a=1#ref=alice%1D&x&ref=carol', 'carol', 'fragment', '/p?a=1#x', {}],
  ['/shoes/ref/al%69ce/?a=%1C', 'alice', 'path', '/shoes/?a=%1C', {}],
  ['/shoes/ref/a%1Fb/', null, null, '/shoes/ref/a%1Fb/', {}],
  ['/shoes??ref=alice&%3Fref=bob', null, null, '/shoes??ref=alice&%3Fref=bob', {}],
]) {
  test(`the browser's parser reads ${path}`, async () => {
    await env.page({});
    const context = await env.browser.newContext();
    const page = await open(context, env.base('www.shop.test') + path);
    if (affiliate) {
      const click = (await until(() => clicks()[0])).body;
      assert.equal(click.affiliate, affiliate);
      assert.equal(click.via, via);
      assert.deepEqual(click.campaign || {}, campaign);
      await until(async () => (await page.evaluate(() => location.pathname + location.search + location.hash)) === clean);
    } else {
      await page.waitForTimeout(300);
      assert.equal(await page.evaluate(() => window.reftrail('attribution')), null);
      assert.equal(clicks().length, 0);
    }
    assert.equal(await page.evaluate(() => location.pathname + location.search + location.hash), clean);
    await context.close();
  });
}

test('decorate reads links with the browser\'s URL parser; other links come back as they were', async () => {
  await env.page({ decorate: 'pay.example' });
  const context = await env.browser.newContext();
  const page = await open(context, env.base('www.shop.test') + '/?ref=alice');
  await until(() => refCookie(context));
  const out = await page.evaluate(() =>
    ['https://Pay.Example/c?a=%1D&&r%74=old&b=x%1Fy#f', 'https://evil.example/?x=1', 'javascript:alert(1)', '/relative'].map((u) =>
      window.reftrail('decorate', u),
    ),
  );
  assert.match(out[0], /^https:\/\/pay\.example\/c\?a=%1D&rt=1~alice~[^&#]+&b=x%1Fy#f$/);
  assert.deepEqual(out.slice(1), ['https://evil.example/?x=1', 'javascript:alert(1)', '/relative']);
  assert.equal(await page.evaluate(() => window.reftrail('token', 'https://evil.example/')), '');
  assert.match(await page.evaluate(() => window.reftrail('token', 'https://pay.example/')), /^1~alice~/);
  await context.close();
});

test('an invalid affiliate id is ignored: nothing stored, nothing reported', async () => {
  await env.page({});
  const context = await env.browser.newContext();
  const page = await open(context, env.base('www.shop.test') + '/?ref=%3Cscript%3Ealert(1)%3C/script%3E');
  await page.waitForTimeout(300);
  assert.equal(await refCookie(context), undefined);
  assert.equal(clicks().length, 0);
  assert.equal(await page.evaluate(() => window.reftrail('attribution')), null);
  await context.close();
});

test('www., the apex and checkout. share one cookie; a public suffix is refused', async () => {
  await env.page({});
  const context = await env.browser.newContext();
  await open(context, env.base('www.shop.test') + '/?ref=alice');
  await until(() => refCookie(context));
  for (const host of ['checkout.shop.test', 'shop.test']) {
    const page = await open(context, env.base(host) + '/cart');
    assert.equal((await page.evaluate(() => window.reftrail('attribution'))).affiliate, 'alice', host);
  }
  await open(context, env.base('www.shop.co.uk') + '/?ref=bob');
  const uk = await until(async () => (await context.cookies()).find((c) => c.name === 'rt_ref' && c.domain.endsWith('co.uk')));
  assert.equal(uk.domain, '.shop.co.uk', 'co.uk is a public suffix: the registrable domain is shop.co.uk');
  await context.close();
});

test('an IP host gets a host-only cookie', async () => {
  await env.page({ endpoint: `${env.base('127.0.0.1')}/rt` });
  const context = await env.browser.newContext();
  await open(context, env.base('127.0.0.1') + '/?ref=alice');
  const cookie = await until(() => refCookie(context));
  assert.equal(cookie.domain, '127.0.0.1');
  await context.close();
});

test('consent pending: nothing stored until granted on the same page, then persisted at once', async () => {
  await env.page({ consent: 'pending' });
  const context = await env.browser.newContext();
  const page = await open(context, env.base('www.shop.test') + '/?ref=alice');
  const click = (await until(() => clicks()[0])).body;
  assert.equal(click.consent, 'pending');
  assert.equal(click.visitor, undefined, 'no visitor id without consent');
  await page.waitForTimeout(200);
  assert.equal(await refCookie(context), undefined);
  assert.deepEqual(await page.evaluate(() => Object.keys(localStorage)), []);
  assert.equal((await page.evaluate(() => window.reftrail('attribution'))).affiliate, 'alice', 'kept in memory');
  await page.evaluate(() => window.reftrail('consent', 'granted'));
  const cookie = await until(() => refCookie(context));
  assert.ok(cookie.value.length > 0);
  assert.ok(await storage(page));
  await context.close();
});

test('Global Privacy Control is honoured by default, and can be turned off by the site', async () => {
  await env.page({});
  const context = await env.browser.newContext();
  await context.addInitScript(() => Object.defineProperty(navigator, 'globalPrivacyControl', { value: true }));
  const page = await open(context, env.base('www.shop.test') + '/?ref=alice');
  assert.equal((await until(() => clicks()[0])).body.consent, 'denied');
  await page.waitForTimeout(200);
  assert.equal(await refCookie(context), undefined);
  assert.deepEqual(await page.evaluate(() => Object.keys(localStorage)), []);
  await env.page({ gpc: 'false' });
  await open(context, env.base('www.shop.test') + '/?ref=alice');
  await until(() => refCookie(context));
  await context.close();
});

// gtag() as Google's snippet defines it, then the page's Consent Mode commands, before the tag.
const gtag = (commands) =>
  `<script>window.dataLayer = window.dataLayer || []; function gtag() { dataLayer.push(arguments); } ${commands}</script>`;

test("Google Consent Mode: a denied default waits for the banner's choice, which then decides", async () => {
  await env.page({}, { before: gtag("gtag('consent', 'default', {ad_storage: 'denied', analytics_storage: 'denied'});") });
  const context = await env.browser.newContext();
  const page = await open(context, env.base('www.shop.test') + '/?ref=alice');
  assert.equal((await until(() => clicks()[0])).body.consent, 'pending');
  await page.waitForTimeout(200);
  assert.equal(await refCookie(context), undefined, 'nothing written before the visitor chooses');
  await page.evaluate(() => window.gtag('consent', 'update', { ad_storage: 'granted' }));
  await until(() => refCookie(context));
  assert.ok(await storage(page));
  assert.ok(
    await page.evaluate(() => window.dataLayer.length === 2 && window.dataLayer[1][1] === 'update'),
    "the page's own dataLayer still receives its entries",
  );
  await page.evaluate(() => window.gtag('consent', 'update', { ad_storage: 'denied' }));
  await until(async () => (await refCookie(context)) === undefined);
  assert.equal(await storage(page), null);
  assert.deepEqual(page.errors, []);
  await context.close();
});

test('Google Consent Mode: a choice made before the core starts counts for the click; a default for some regions does not', async () => {
  await env.page(
    { consent: 'pending' },
    { before: gtag("gtag('consent', 'default', {ad_storage: 'denied'}); gtag('consent', 'update', {ad_storage: 'granted'});") },
  );
  const context = await env.browser.newContext();
  await open(context, env.base('www.shop.test') + '/?ref=alice');
  const click = (await until(() => clicks()[0])).body;
  assert.equal(click.consent, 'granted', 'the choice counts before the click is reported');
  assert.ok(click.visitor);
  await until(() => refCookie(context));
  await context.close();

  env.reset();
  await env.page({}, { before: gtag("gtag('consent', 'default', {ad_storage: 'denied', region: ['DE', 'FR']});") });
  const other = await env.browser.newContext();
  await open(other, env.base('www.shop.test') + '/?ref=alice');
  assert.equal((await until(() => clicks()[0])).body.consent, 'granted');
  await until(() => refCookie(other));
  await other.close();
});

test('a lost cookie is restored from localStorage, and lost storage from the cookie', async () => {
  await env.page({});
  const context = await env.browser.newContext();
  const first = await open(context, env.base('www.shop.test') + '/?ref=alice');
  // Wait for the click id to be kept too, so the state no longer changes under the test.
  await until(async () => (await first.evaluate(() => window.reftrail('attribution'))).click_id);
  const original = await until(() => refCookie(context));
  await context.clearCookies(); // as Safari does to script-set cookies after 7 days
  const second = await open(context, env.base('www.shop.test') + '/products');
  const restored = await until(() => refCookie(context));
  assert.equal(restored.value, original.value);
  assert.equal(restored.domain, '.shop.test');
  await second.evaluate(() => localStorage.clear());
  const third = await open(context, env.base('www.shop.test') + '/cart');
  assert.equal(await until(() => storage(third)), decodeURIComponent(original.value));
  assert.equal((await third.evaluate(() => window.reftrail('attribution'))).affiliate, 'alice');
  await first.close();
  await context.close();
});

for (const [model, winner] of [['last', 'bob'], ['first', 'alice']]) {
  test(`${model}-click: a second affiliate's link later credits ${winner}`, async () => {
    await env.page({ model });
    const context = await env.browser.newContext();
    await open(context, env.base('www.shop.test') + '/?ref=alice');
    await until(() => refCookie(context));
    const page = await open(context, env.base('www.shop.test') + '/?ref=bob');
    await until(() => clicks().length === 2);
    assert.equal((await page.evaluate(() => window.reftrail('attribution'))).affiliate, winner);
    await context.close();
  });
}

test('calls made before the wasm arrives are queued and replayed, config first', async () => {
  env.stub.state.wasmDelayMs = 700;
  await env.page(
    { endpoint: '' },
    {
      before: `<script>
        window.reftrail = window.reftrail || function () { (window.reftrail.q = window.reftrail.q || []).push(arguments); };
        reftrail('config', { endpoint: location.origin + '/rt', model: 'first' });
        reftrail('conversion', { order_id: 'A-1', amount: 125000, currency: 'VND', items: [{ sku: 'SHOE', category: 'shoes', amount: 125000 }] });
        window.early = typeof reftrail('attribution', function (a) { window.seen = a; });
      </script>`,
    },
  );
  const context = await env.browser.newContext();
  const page = await context.newPage();
  await page.goto(env.base('www.shop.test') + '/?ref=alice');
  assert.equal(await page.evaluate(() => window.reftrail.loaded), undefined, 'the wasm is still on its way');
  const sale = (await until(() => sales()[0], { timeout: 8000 })).body;
  assert.equal(sale.order_id, 'A-1');
  assert.equal(sale.amount, 125000);
  assert.equal(sale.currency, 'VND');
  assert.equal(sale.touch.affiliate, 'alice', 'the queued sale is replayed after the capture');
  assert.equal(sale.idempotency_key, 'A-1');
  assert.equal((await page.evaluate(() => window.seen)).affiliate, 'alice', 'queued callback ran');
  await context.close();
});

test('a page whose wasm is missing still works, and reftrail() never throws', async () => {
  env.stub.state.blockWasm = true;
  await env.page({}, { body: `<button id="buy" onclick="reftrail('conversion', {order_id: 'B-1', amount: 1, currency: 'USD'}); this.textContent = 'bought'">Buy</button>` });
  const context = await env.browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  await page.goto(env.base('www.shop.test') + '/?ref=alice');
  await page.waitForTimeout(500);
  await page.click('#buy');
  assert.equal(await page.textContent('#buy'), 'bought');
  assert.equal(await page.textContent('#title'), 'A shop page');
  assert.deepEqual(errors, []);
  assert.equal(env.stub.state.received.length, 0);
  await context.close();
});

test('a sale that fails offline waits in localStorage and is sent once on the next page', async () => {
  await env.page({});
  const context = await env.browser.newContext();
  const page = await open(context, env.base('www.shop.test') + '/?ref=alice');
  await until(() => clicks()[0]);
  env.stub.state.mode = 'down';
  await page.evaluate(() => reftrail('conversion', { order_id: 'C-9', amount: 4990, currency: 'THB', email: ' Buyer@Example.com ' }));
  await until(() => sales().length === 1);
  const queued = await until(async () => {
    const q = await storage(page, 'rt_queue');
    return q && q.includes('C-9') && q;
  });
  // The click's answer may still be on its way, so its line can come first: the sale has a line of its own.
  assert.match(queued, /^s\tC-9\t/m);
  env.stub.state.mode = 'ok';
  const next = await open(context, env.base('www.shop.test') + '/thanks');
  await until(() => sales().length === 2);
  const [failed, delivered] = sales();
  assert.equal(delivered.body.idempotency_key, failed.body.idempotency_key);
  assert.equal(delivered.body.customer.email_hash, crypto.createHash('sha256').update('buyer@example.com').digest('hex'));
  assert.ok(!delivered.raw.includes('Buyer') && !delivered.raw.toLowerCase().includes('buyer@'), 'no raw email leaves the browser');
  await until(async () => (await storage(next, 'rt_queue')) === null);
  await next.waitForTimeout(300);
  assert.equal(sales().length, 2, 'delivered once, not again');
  await context.close();
});

test('bodies are CORS simple requests with credentials: text/plain, key in the body', async () => {
  await env.page({ key: 'pk_test_abc', endpoint: `${env.base('blog.example')}/rt` });
  const context = await env.browser.newContext();
  const page = await open(context, env.base('www.shop.test') + '/?ref=alice');
  await page.evaluate(() => reftrail('lead', { email: 'a@b.co', event: 'signup' }));
  const lead = await until(() => env.stub.state.received.find((r) => r.path === '/v1/leads'));
  assert.equal(lead.contentType, 'text/plain;charset=UTF-8');
  assert.equal(lead.origin, env.base('www.shop.test'));
  assert.equal(lead.body.key, 'pk_test_abc');
  assert.equal(lead.body.event, 'signup');
  assert.equal(lead.body.touch.affiliate, 'alice');
  await context.close();
});

test('links to a decorated domain carry the attribution, and that site accepts it', async () => {
  await env.page({ decorate: 'pay.example' }, { body: `<a id="pay" href="${env.base('pay.example')}/checkout?cart=7#top">Pay</a>` });
  const context = await env.browser.newContext();
  const page = await open(context, env.base('www.shop.test') + '/?ref=alice');
  await until(() => refCookie(context));
  await page.click('#pay');
  await page.waitForURL(/pay\.example/);
  assert.match(page.url(), /\/checkout\?cart=7&rt=[^&#]+#top$/);
  await page.waitForFunction(() => window.reftrail && window.reftrail.loaded);
  const a = await until(() => page.evaluate(() => window.reftrail('attribution')));
  assert.equal(a.affiliate, 'alice');
  assert.equal(a.via, 'decorated');
  const search = await page.evaluate(() => location.search);
  assert.ok(!/[?&]rt=/.test(search), `token removed from the address bar: ${search}`);
  const payCookie = (await context.cookies(env.base('pay.example'))).find((c) => c.name === 'rt_ref');
  assert.ok(payCookie, 'kept on the receiving site');
  await context.close();
});

test('forms to a decorated domain carry the token as a hidden field', async () => {
  await env.page(
    { decorate: 'pay.example' },
    { body: `<form id="f" method="get" action="${env.base('pay.example')}/checkout"><input name="cart" value="7"><button id="go">Pay</button></form>` },
  );
  const context = await env.browser.newContext();
  const page = await open(context, env.base('www.shop.test') + '/?ref=alice');
  await until(() => refCookie(context));
  await page.click('#go');
  await page.waitForURL(/pay\.example/);
  // The form serializer percent-encodes `~`; the receiving site decodes it like any query.
  assert.match(page.url(), /\/checkout\?cart=7&rt=1%7Ealice%7E/);
  await page.waitForFunction(() => window.reftrail && window.reftrail.loaded);
  const a = await until(() => page.evaluate(() => window.reftrail('attribution')));
  assert.equal(a.affiliate, 'alice');
  assert.equal(a.via, 'decorated');
  await context.close();
});

test('the ES module package loads the same core for bundlers', async () => {
  await env.page(
    {},
    {
      loader: '',
      before: `<script type="module">
        import { load } from '/pkg/index.js';
        const reftrail = await load({ endpoint: location.origin + '/rt', model: 'first', window: 60, params: ['ref', 'partner'] });
        window.seen = reftrail.attribution();
        reftrail.conversion({ order_id: 'M-1', amount: 990, currency: 'USD' });
      </script>`,
    },
  );
  const context = await env.browser.newContext();
  const page = await context.newPage();
  await page.goto(env.base('www.shop.test') + '/?partner=alice');
  const seen = await until(() => page.evaluate(() => window.seen));
  assert.equal(seen.affiliate, 'alice', 'custom parameter names from an array option');
  assert.ok(Date.parse(seen.expires) - Date.parse(seen.at) === 60 * 86400e3, 'window option applied');
  const sale = (await until(() => sales()[0])).body;
  assert.equal(sale.order_id, 'M-1');
  assert.equal(sale.touch.affiliate, 'alice');
  await context.close();
});
