// The affiliate journey in real Chromium against the real server and demo shop: each link form
// on www.shop.test, browse, check out on checkout.shop.test, find the referral with the right
// affiliate and commission in the dashboard, approve it, see it as earnings in the affiliate's
// portal, refund it and see the reversal in both. Plus consent, the server-set click cookie
// outliving the script's cookie, last-click / first-click programs, and a campaign link whose
// click and sale the affiliate and the merchant see under its name.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, stopStack, api, launch, newContext, newPage, dashboardSignIn, uniqueId, until, screenshot, mailBody, browserClick } from './harness.mjs';

let stack;
let browser;
let merchant; // the dashboard's page, signed in once
const PRODUCT = { sku: 'SHOE-RUN-1', price: 1_250_000 };
// The seeded program pays 8 % of a sale (gift cards 0 %).
const COMMISSION = PRODUCT.price * 0.08;

before(async () => {
  stack = await startStack();
  browser = await launch();
  const ctx = await newContext(browser);
  merchant = await newPage(ctx);
  await dashboardSignIn(stack, merchant);
});

after(async () => {
  await browser?.close();
  if (stack) await stopStack(stack);
});

async function createAffiliate(id, extra = {}) {
  const r = await api(stack, 'POST', '/v1/affiliates', { id, name: `Test ${id}`, email: `${id}@affiliates.example`, category: 'content', ...extra });
  return r.token;
}

async function coreReady(page) {
  await page.waitForFunction(() => window.reftrail && window.reftrail.loaded, null, { timeout: 15000 });
}

/** Opens `path` on www.shop.test (or `origin`), waiting for the core. */
async function visit(page, path, origin = stack.shopUrl()) {
  // The store speaks the program's language (the seeded program's is Vietnamese); these journeys
  // read it in English, as a shopper who picked English does (the store keeps `?lang=` in links).
  const u = new URL(origin + path);
  u.searchParams.set('lang', 'en');
  await page.goto(u.toString());
  await coreReady(page);
}

async function acceptConsent(page) {
  await page.click('#consent-accept');
  await page.waitForSelector('#consent-accept', { state: 'detached' });
}

/** Product page → cart → checkout on checkout.shop.test → order through the shop's backend. */
async function buy(page, { coupon, checkoutHost = /checkout\.shop\.test:\d+\/store\/checkout\// } = {}) {
  await page.click(`a[href*="/store/products/${PRODUCT.sku}/"]`);
  await page.waitForSelector('#add-to-cart');
  await coreReady(page);
  await page.click('#add-to-cart');
  await page.click('#cart-link');
  await page.waitForSelector('#to-checkout');
  await page.click('#to-checkout');
  await page.waitForURL(checkoutHost);
  await page.waitForSelector('#place-order:enabled');
  await coreReady(page);
  if (coupon) await page.fill('#coupon', coupon);
  await page.click('#place-order');
  const done = await page.waitForSelector('#order-done');
  return { orderId: await done.getAttribute('data-order-id'), affiliate: await done.getAttribute('data-affiliate'), text: await done.textContent() };
}

async function ledgerRow(affiliate, orderId) {
  // A fresh load of the ledger filtered to the affiliate.
  await merchant.goto(`${stack.base}/dashboard/?lang=en#/referrals?affiliate=${encodeURIComponent(affiliate)}`);
  await merchant.reload();
  try {
    return await merchant.waitForSelector(`#referrals tr[data-order="${orderId}"]`, { timeout: 10000 });
  } catch (e) {
    await screenshot(merchant, `failed-ledger-${affiliate}`);
    throw e;
  }
}

async function portal(token) {
  const ctx = await newContext(browser);
  const page = await newPage(ctx);
  await page.goto(`${stack.base}/portal/?lang=en#token=${token}&shop=${encodeURIComponent(`${stack.shopUrl()}/store/`)}`);
  await page.waitForSelector('#links');
  return page;
}

const FORMS = [
  ['?ref=', (id) => `/store/?ref=${id}`],
  ['?via=', (id) => `/store/?via=${id}`],
  ['#ref=', (id) => `/store/#ref=${id}`],
  ['/ref/<id>/', (id) => `/store/ref/${id}/`],
  ['coupon only', null],
];

for (const [form, link] of FORMS) {
  test(`journey with ${form}: credited, approved, earned, refunded, reversed`, async () => {
    const id = uniqueId('j');
    const coupon = `${id.replace(/[^a-z0-9]/gi, '').toUpperCase().slice(0, 20)}`;
    const token = await createAffiliate(id, link ? {} : { coupons: [coupon] });
    const ctx = await newContext(browser);
    const page = await newPage(ctx);

    // Arrive by the link (or plainly, for the coupon), allow cookies, browse, buy on checkout.
    await visit(page, link ? link(id) : '/store/');
    await acceptConsent(page);
    if (link) {
      const shown = await page.waitForSelector('#referral-info');
      assert.equal(await shown.getAttribute('data-affiliate'), id);
    }
    const order = await buy(page, { coupon: link ? null : coupon });
    if (form === '?ref=') await screenshot(page, 'store-checkout');
    assert.equal(order.affiliate, id, `credited in the shop's answer: ${order.text}`);
    if (link) {
      // The referral was read on checkout.shop.test from the cookie set on www.shop.test.
      assert.equal(await page.getAttribute('#referral-info', 'data-affiliate'), id);
    } else {
      assert.match(order.text, /found by: Coupon/);
    }

    // The merchant finds it with the right affiliate and commission, and approves it.
    let row = await ledgerRow(id, order.orderId);
    assert.equal(await row.getAttribute('data-affiliate'), id);
    assert.equal(Number(await row.getAttribute('data-commission')), COMMISSION);
    assert.equal(await row.getAttribute('data-status'), 'pending');
    assert.match(await row.textContent(), /₫100,000/);
    await (await row.$('button[data-action="approve"]')).click();
    await merchant.waitForSelector(`#referrals tr[data-order="${order.orderId}"][data-status="approved"]`);

    // The affiliate sees it as approved earnings.
    const p = await portal(token);
    const vnd = await p.waitForSelector('#balances tr[data-currency="VND"]');
    assert.equal(Number(await vnd.getAttribute('data-approved')), COMMISSION);
    assert.equal(await p.getAttribute('#my-referrals tbody tr', 'data-status'), 'approved');
    if (form === '?ref=') await screenshot(p, 'portal-after-approval');

    // A full refund reverses it in both.
    row = await ledgerRow(id, order.orderId);
    await (await row.$('button[data-action="refund"]')).click();
    await merchant.click('#refund-confirm');
    await merchant.waitForSelector(`#referrals tr[data-order="${order.orderId}"][data-status="reversed"]`);
    assert.equal(await merchant.getAttribute(`#referrals tr[data-order="${order.orderId}"]`, 'data-commission'), '0');
    await p.reload();
    await p.waitForSelector('#my-referrals tbody tr[data-status="reversed"]');
    const after = await p.waitForSelector('#balances tr[data-currency="VND"]');
    assert.equal(Number(await after.getAttribute('data-approved')), 0);
    assert.deepEqual([...page.errors, ...p.errors, ...merchant.errors].map(String), []);
    await p.context().close();
    await ctx.close();
  });
}

test('consent pending: no cookie and no storage until granted, then kept on the same page', async () => {
  const id = uniqueId('consent');
  await createAffiliate(id);
  const ctx = await newContext(browser);
  const page = await newPage(ctx);
  await visit(page, `/store/?ref=${id}`);
  await page.waitForSelector('#consent-accept');
  // The touch is held in memory only.
  assert.equal(await page.getAttribute('#referral-info', 'data-affiliate'), id);
  const url = page.url();
  const rtCookies = async () => (await ctx.cookies()).filter((c) => c.name.startsWith('rt_'));
  const rtStorage = () => page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('rt_')));
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(await rtCookies(), []);
  assert.deepEqual(await rtStorage(), []);
  await screenshot(page, 'store-consent-banner');

  await acceptConsent(page);
  const cookie = await until(async () => (await rtCookies()).find((c) => c.name === 'rt_ref'));
  assert.equal(cookie.domain, '.shop.test');
  assert.ok(cookie.value.includes(id));
  assert.deepEqual(await until(async () => ((await rtStorage()).length ? rtStorage() : null)), ['rt_ref']);
  assert.equal(page.url(), url, 'granted on the same page, without a reload');
  await ctx.close();
});

test('script cookie deleted (Safari after 7 days): the server-set click cookie still credits the sale', async () => {
  const id = uniqueId('itp');
  await createAffiliate(id);
  const ctx = await newContext(browser);
  const page = await newPage(ctx);
  await visit(page, '/store/');
  await acceptConsent(page);
  await visit(page, `/store/?ref=${id}`);
  const click = await until(async () => (await ctx.cookies()).find((c) => c.name === 'rt_click'));
  assert.equal(click.httpOnly, true);
  assert.equal(click.domain, '.shop.test');
  // The core keeps the click id from the same answer: let it finish writing before the purge.
  await until(async () => (await page.evaluate(() => window.reftrail('attribution')))?.click_id);
  // What Safari does after 7 days: the tracker's script-set cookie and the page's storage are
  // gone, the server-set click cookie stays (the shop's consent cookie is kept, so no banner).
  // A new browser context with those cookies only, so that nothing the old page still had in
  // flight can write the referral back.
  const kept = (await ctx.cookies()).filter((c) => c.name !== 'rt_ref');
  assert.ok(kept.some((c) => c.name === 'rt_click'));
  await ctx.close();
  const later = await newContext(browser);
  await later.addCookies(kept);
  const again = await newPage(later);
  await visit(again, '/store/');
  await again.waitForSelector('#referral-none');
  const order = await buy(again);
  assert.equal(order.affiliate, id, order.text);
  assert.match(order.text, /found by: Click cookie/);
  await later.close();
});

test('a shop without a backend: reftrail(\'conversion\') records an unverified sale, flagged as such in the ledger', async () => {
  const id = uniqueId('web');
  await createAffiliate(id);
  const ctx = await newContext(browser);
  const page = await newPage(ctx);
  await visit(page, '/store/');
  await acceptConsent(page);
  await visit(page, `/store/?ref=${id}`);
  await page.click(`a[href*="/store/products/${PRODUCT.sku}/"]`);
  await page.click('#add-to-cart');
  await page.click('#cart-link');
  await page.click('#to-checkout');
  await page.waitForSelector('#place-order-browser');
  await coreReady(page);
  await page.click('#place-order-browser');
  const orderId = await (await page.waitForSelector('#order-id')).textContent();
  const ref = await until(async () => (await api(stack, 'GET', `/v1/referrals?affiliate=${id}`)).referrals.find((r) => r.order_id === orderId));
  assert.equal(ref.verified, false);
  assert.equal(ref.commission, COMMISSION);
  const row = await ledgerRow(id, orderId);
  assert.match(await row.textContent(), /Unverified/);
  assert.equal(await row.getAttribute('data-status'), 'pending');
  await ctx.close();
});

test('without host mapping (127.0.0.1): the same store credits the affiliate, checkout on the same host', async () => {
  const id = uniqueId('local');
  await createAffiliate(id);
  const origin = `http://127.0.0.1:${stack.shopPort}`;
  const ctx = await newContext(browser);
  const page = await newPage(ctx);
  await visit(page, `/store/?ref=${id}`, origin);
  await acceptConsent(page);
  const order = await buy(page, { checkoutHost: new RegExp(`^${origin}/store/checkout/`) });
  assert.equal(order.affiliate, id, order.text);
  await ctx.close();
});

test('a newsletter sign-up is a lead credited to the affiliate (email hashed in the browser)', async () => {
  const id = uniqueId('lead');
  await createAffiliate(id);
  const ctx = await newContext(browser);
  const page = await newPage(ctx);
  await visit(page, '/store/');
  await acceptConsent(page);
  await visit(page, `/store/?ref=${id}`);
  await page.fill('#newsletter-email', `reader-${id}@example.com`);
  await page.keyboard.press('Enter');
  const lead = await until(async () => (await api(stack, 'GET', `/v1/referrals?affiliate=${id}`)).referrals.find((r) => r.kind === 'lead'));
  assert.equal(lead.event, 'newsletter');
  // The demo program pays 20,000 VND per lead.
  assert.equal(lead.commission, 20000);
  await ctx.close();
});

async function twoClicks(first, second) {
  const ctx = await newContext(browser);
  const page = await newPage(ctx);
  await visit(page, '/store/');
  await acceptConsent(page);
  await visit(page, `/store/?ref=${first}`);
  await until(async () => (await ctx.cookies()).find((c) => c.name === 'rt_click'));
  await visit(page, `/store/?via=${second}`);
  const order = await buy(page);
  await ctx.close();
  return order;
}

test('an affiliate hears of a referral by email, in the program’s language, with a link to the portal', async () => {
  const before = stack.mail.length;
  const order = uniqueId('mail-order');
  const sale = await api(stack, 'POST', '/v1/sales', { order_id: order, amount: 2500000, currency: 'VND', touch: { affiliate: 'alice', via: 'query', at: new Date().toISOString().replace(/\.\d+Z$/, 'Z') } });
  assert.equal(sale.referral.affiliate, 'alice');
  const commission = new Intl.NumberFormat('vi-VN').format(sale.referral.commission);
  const mail = await until(() => stack.mail.slice(before).find((m) => /\nto: alice@affiliates\.example\n/i.test(m) && mailBody(m).includes(`${commission} VND`)), { timeout: 20000 });
  const body = mailBody(mail);
  assert.match(body, /^Xin chào Alice Nguyen,/, body);
  assert.ok(body.includes('Một đơn hàng 2.500.000 VND'), body);
  assert.ok(body.includes(`${stack.base}/portal/`), body);
  assert.ok(!body.includes(order), 'no order id in the message');
});

test('an affiliate signs in to the portal with a link sent by email, once', async () => {
  const page = await newPage(await newContext(browser));
  await page.goto(`${stack.base}/portal/?lang=en`);
  const before = stack.mail.length;
  // An unknown address gets the same answer as a known one, and no mail.
  for (const email of ['nobody@affiliates.example', 'alice@affiliates.example']) {
    await page.fill('#email', email);
    await page.click('#email-sign-in button[type=submit]');
    await page.waitForSelector('#email-sign-in [role=status]');
  }
  // Sign-in messages only: affiliates also hear of their referrals by email meanwhile.
  const signIns = () => stack.mail.slice(before).filter((m) => mailBody(m).includes('/portal/#code='));
  const mail = await until(() => signIns().find((m) => /\nto: alice@affiliates\.example\n/i.test(m)));
  assert.equal(signIns().length, 1, 'one message: alice\'s');
  const link = mailBody(mail).match(/http:\/\/127\.0\.0\.1:\d+\/portal\/#code=[A-Za-z0-9]+/)?.[0];
  assert.ok(link, mailBody(mail));

  await page.goto(link.replace('/portal/#', '/portal/?lang=en#'));
  await page.waitForSelector('#links');
  assert.match(await page.textContent('#top'), /Alice Nguyen/);
  assert.ok(!page.url().includes('code='), 'the code leaves the address bar');
  await screenshot(page, 'portal-signed-in-by-email');

  // The same link a second time (another browser) signs nobody in.
  const again = await newPage(await newContext(browser));
  await again.goto(link.replace('/portal/#', '/portal/?lang=en#'));
  await again.waitForSelector('.signin .error-text');
  assert.match(await again.textContent('.signin .error-text'), /already used or has expired/);
  assert.equal(await again.$('#links'), null);
});

test('a second affiliate later: a last-click program credits the second', async () => {
  const [a, b] = [uniqueId('last-a'), uniqueId('last-b')];
  await createAffiliate(a);
  await createAffiliate(b);
  const order = await twoClicks(a, b);
  assert.equal(order.affiliate, b, order.text);
});

test('a second affiliate later: a first-click program (set in the dashboard) credits the first', async () => {
  const [a, b] = [uniqueId('first-a'), uniqueId('first-b')];
  await createAffiliate(a);
  await createAffiliate(b);
  await merchant.goto(`${stack.base}/dashboard/?lang=en#/settings`);
  await merchant.selectOption('#s-model', 'first');
  await merchant.click('#save-program');
  await until(async () => (await api(stack, 'GET', '/v1/program')).model === 'first');
  try {
    // The shop prints the program's model in its script tag (within 2 s).
    await new Promise((r) => setTimeout(r, 2100));
    const order = await twoClicks(a, b);
    assert.equal(order.affiliate, a, order.text);
  } finally {
    const p = await api(stack, 'GET', '/v1/program');
    delete p.webhook_secret;
    await api(stack, 'PUT', '/v1/program', { ...p, model: 'last' });
  }
});

test('a campaign link: the affiliate names it in the portal, and its click and sale count for that campaign', async () => {
  const id = uniqueId('camp');
  const token = await createAffiliate(id);
  const p = await portal(token);
  // The portal builds the link with the name as typed, spaces made dashes.
  await p.fill('#campaign-name', ' zalo group ');
  await p.waitForSelector('#campaign-link code.link');
  const link = await p.textContent('#campaign-link code.link');
  assert.equal(link, `${stack.shopUrl()}/store/?ref=${id}&utm_campaign=zalo-group`);
  assert.match(await p.textContent('#campaigns'), /No clicks or sales in this period yet/);

  // A shopper follows it from the Zalo chat and buys.
  const page = await newPage(await newContext(browser));
  const u = new URL(link);
  await visit(page, u.pathname + u.search);
  await acceptConsent(page);
  const order = await buy(page);
  assert.equal(order.affiliate, id, order.text);
  const { referrals } = await api(stack, 'GET', `/v1/referrals?affiliate=${id}`);
  assert.deepEqual(referrals.map((r) => r.campaign), ['zalo-group']);

  // The affiliate sees the campaign's click and sale, and the referral names it.
  await p.reload();
  const row = await p.waitForSelector('#my-campaigns tr[data-campaign="zalo-group"]');
  assert.equal(await row.getAttribute('data-clicks'), '1');
  assert.equal(await row.getAttribute('data-sales'), '1');
  assert.match(await row.textContent(), /zalo-group.*100\.00%/);
  assert.match(await p.textContent('#my-referrals'), /Sale · zalo-group/);
  // Their chart narrows to the campaign: a click without one counts only in the whole.
  await browserClick(stack, id);
  await p.reload();
  const today = new Date().toISOString().slice(0, 10);
  await p.waitForSelector(`#daily-table tr[data-day="${today}"][data-clicks="2"][data-sales="1"]`, { state: 'attached' });
  await p.selectOption('#daily-campaign', 'zalo-group');
  await p.waitForSelector(`#daily-table tr[data-day="${today}"][data-clicks="1"][data-sales="1"]`, { state: 'attached' });

  // So does the merchant, in the affiliate's panel.
  await merchant.goto(`${stack.base}/dashboard/?lang=en#/affiliates?id=${encodeURIComponent(id)}`);
  await merchant.reload();
  const dash = await merchant.waitForSelector('#affiliate-campaigns tr[data-campaign="zalo-group"][data-sales="1"]');
  assert.match(await dash.textContent(), new RegExp(`zalo-group.*₫${(PRODUCT.price).toLocaleString('en')}.*₫${COMMISSION.toLocaleString('en')}`));
  // Its name leads to its referrals in the ledger, and the CSV of that view names the campaign.
  await merchant.click('#affiliate-campaigns tr[data-campaign="zalo-group"] a.campaign-link');
  await merchant.waitForSelector('#f-campaign');
  await merchant.waitForSelector(`#referrals tr[data-order="${order.orderId}"]`);
  assert.equal(await merchant.$$eval('#referrals tbody tr', (trs) => trs.length), 1);
  assert.match(await merchant.textContent(`#referrals tr[data-order="${order.orderId}"]`), /zalo-group/);
  const [download] = await Promise.all([merchant.waitForEvent('download'), merchant.click('#referrals-csv')]);
  const csv = (await (await import('node:fs')).promises.readFile(await download.path(), 'utf8')).trim().split('\n');
  assert.equal(csv.length, 2, csv.join('\n'));
  assert.ok(csv[0].endsWith(',campaign') && csv[1].endsWith(',zalo-group'), csv.join('\n'));
});

test('a short link: the affiliate makes one in the portal; a shopper who opens it buys, credited to its campaign', async () => {
  const id = uniqueId('short');
  const token = await createAffiliate(id);
  const p = await portal(token);
  assert.match(await p.textContent('#short'), /No short links yet/);
  // A page off the shop is refused, and nothing is made.
  await p.fill('#short-page', 'https://elsewhere.example/');
  await p.click('#short-form button[type=submit]');
  await p.waitForSelector('#short .state-error');
  assert.match(await p.textContent('#short'), /landing_not_allowed/);
  await p.fill('#short-page', `${stack.shopUrl()}/store/`);
  await p.fill('#short-campaign', 'tiktok bio');
  await p.fill('#short-code', `${id}-Bio`);
  await p.click('#short-form button[type=submit]');
  const code = `${id}-bio`.toLowerCase();
  await p.waitForSelector(`#short-links .short-link[data-code="${code}"]`);
  const url = await p.textContent(`#short-links .short-link[data-code="${code}"] code.link`);
  assert.equal(url, `${stack.base}/go/${code}`);

  // A shopper opens it from a TikTok bio and buys.
  const page = await newPage(await newContext(browser));
  // (The tracker takes the referral out of the address bar once it has it: the request says
  // where the redirect led.)
  const landed = page.waitForRequest((r) => r.isNavigationRequest() && r.url().includes('www.shop.test'));
  await page.goto(url);
  assert.equal((await landed).url(), `${stack.shopUrl()}/store/?ref=${id}&utm_campaign=tiktok-bio`);
  await coreReady(page);
  await acceptConsent(page);
  const order = await buy(page);
  assert.equal(order.affiliate, id, order.text);
  const { referrals } = await api(stack, 'GET', `/v1/referrals?affiliate=${id}`);
  assert.deepEqual(referrals.map((r) => r.campaign), ['tiktok-bio']);

  // The portal counts the opening; deleted, the link stops working.
  await p.reload();
  await p.waitForSelector(`#short-links .short-link[data-code="${code}"]`);
  assert.match(await p.textContent(`#short-links .short-link[data-code="${code}"]`), /opens: 1 ·/);
  // The day's click and sale are in the portal's chart, and in its table.
  await p.waitForSelector('#daily canvas');
  const today = new Date().toISOString().slice(0, 10);
  const row = await p.$(`#daily-table tr[data-day="${today}"]`);
  assert.deepEqual([await row.getAttribute('data-clicks'), await row.getAttribute('data-sales')], ['1', '1']);
  await screenshot(p, 'portal-short-links', { clip: await p.$eval('#short', (el) => { const r = el.getBoundingClientRect(); return { x: 0, y: r.y + window.scrollY - 50, width: document.documentElement.clientWidth, height: r.height + 60 }; }) });
  // The merchant sees it in the affiliate's panel.
  await merchant.goto(`${stack.base}/dashboard/?lang=en#/affiliates?id=${encodeURIComponent(id)}`);
  await merchant.reload();
  const listed = await merchant.waitForSelector(`#affiliate-short-links tr[data-code="${code}"][data-opens="1"]`);
  assert.match(await listed.textContent(), /tiktok-bio/);
  // And the affiliate's day in their panel's chart and table.
  await merchant.waitForSelector('#daily canvas');
  assert.ok(await merchant.$(`#daily-table tr[data-day="${today}"][data-clicks="1"][data-sales="1"]`), 'the day in the panel');
  p.on('dialog', (d) => d.accept());
  await p.click(`#short-links .short-link[data-code="${code}"] .btn-danger`);
  await p.waitForSelector(`#short-links .short-link[data-code="${code}"]`, { state: 'detached' });
  const gone = await fetch(url, { redirect: 'manual' });
  assert.equal(gone.status, 404);
  assert.deepEqual([...p.errors, ...page.errors], []);
});

test('the demo affiliate’s campaigns in the portal, on a phone', async () => {
  const { token } = await api(stack, 'POST', '/v1/affiliates/alice/token');
  const ctx = await newContext(browser, { viewport: { width: 390, height: 844 } });
  const p = await newPage(ctx);
  await p.goto(`${stack.base}/portal/?lang=vi#token=${token}&shop=${encodeURIComponent(`${stack.shopUrl()}/store/`)}`);
  await p.waitForSelector('#my-campaigns');
  const names = await p.$$eval('#my-campaigns tbody tr', (trs) => trs.map((tr) => tr.dataset.campaign));
  // alice tags her links tiktok-bio and facebook-group, and shares some without a name.
  assert.deepEqual([...names].sort(), ['', 'facebook-group', 'tiktok-bio']);
  assert.match(await p.textContent('#campaigns'), /Không có chiến dịch/);
  await p.fill('#campaign-name', 'tiktok-bio');
  await p.waitForSelector('#campaign-link code.link');
  // In page coordinates: typing the name scrolled the page.
  const box = await p.evaluate(() => {
    const r = document.querySelector('#campaigns').getBoundingClientRect();
    return { y: r.top + window.scrollY, height: r.height };
  });
  // The merchant's overview lists the program's top named campaigns, alice's among them.
  await merchant.goto(`${stack.base}/dashboard/?lang=en#/`);
  await merchant.reload();
  await merchant.waitForSelector('#top-campaigns tr[data-affiliate="alice"][data-campaign="tiktok-bio"]');
  const listed = await merchant.$$eval('#top-campaigns tbody tr', (trs) => trs.map((tr) => tr.dataset.campaign));
  assert.ok(listed.length >= 4 && listed.length <= 10 && !listed.includes(''), String(listed));
  await screenshot(p, 'portal-campaigns', { clip: { x: 0, y: Math.floor(box.y) - 60, width: 390, height: Math.ceil(box.height) + 60 } });
});
