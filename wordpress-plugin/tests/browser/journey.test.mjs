// The journey on a real WordPress in Debian's Chromium: an affiliate link sets the cookies (the
// core's rt_ref and the plugin's signed HttpOnly rt_click), a checkout through the WooCommerce
// hook and a sale from the page's own code both credit the affiliate, and the referrals show in
// wp-admin and download there as CSV. Needs WP_URL, WP_ADMIN_USER, WP_ADMIN_PASS and
// REFTRAIL_SECRET_KEY (test-wordpress.sh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { chromium } from 'playwright-core';
import { signIn } from './wp-login.mjs';

const WP = process.env.WP_URL;
const SK = process.env.REFTRAIL_SECRET_KEY;
const api = async (method, path, body) => {
  const r = await fetch(`${WP}/wp-json/reftrail${path}`, {
    method,
    headers: { authorization: `Bearer ${SK}`, 'content-type': 'application/json' },
    body: body && JSON.stringify(body),
  });
  return { status: r.status, json: await r.json() };
};
const until = async (what, fn, ms = 15000) => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

test('affiliate link, checkout and sale credit the affiliate; wp-admin shows the referrals', async () => {
  const aff = `journey${Date.now().toString(36)}`;
  const made = await api('POST', '/v1/affiliates', { id: aff, name: 'Journey <b>bold</b>', coupons: [`${aff}C`] });
  assert.equal(made.status, 201, JSON.stringify(made.json));
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  try {
    // A desktop Chrome user agent: headless Chromium's own names it a bot, whose clicks never credit.
    const context = await browser.newContext({ userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36' });
    const page = await context.newPage();
    const wasm = [];
    page.on('response', (r) => { if (r.url().endsWith('.wasm')) wasm.push(r.headers()['content-type']); });
    await page.goto(`${WP}/?ref=${aff}&utm_campaign=spring`);
    const cookies = await until('the click cookies', async () => {
      const all = await context.cookies();
      const click = all.find((c) => c.name === 'rt_click');
      const ref = all.find((c) => c.name === 'rt_ref');
      return click && ref ? { click, ref } : null;
    });
    assert.equal(cookies.click.httpOnly, true, 'the server-set click cookie is HttpOnly');
    assert.match(cookies.click.value, /^v1\.c_[A-Za-z0-9]+\.[A-Za-z0-9]+\.[A-Za-z0-9_-]+$/);
    assert.match(cookies.ref.value, new RegExp(`^1~[A-Za-z0-9]*~${aff}~q~`), 'the core kept the referral in rt_ref');
    assert.deepEqual(wasm, ['application/wasm']);
    assert.ok(!page.url().includes('ref='), 'the referral parameter was cleaned from the address bar');

    // A checkout request from this browser: the WooCommerce hook reads its cookies.
    const checkout = await page.evaluate(async (wp) => {
      const r = await fetch(`${wp}/?reftrail_test_checkout=1`, { method: 'POST', credentials: 'include', body: new URLSearchParams({ amount: '80.00' }) });
      return r.json();
    }, WP);
    assert.equal(checkout.attribution.affiliate, aff);
    assert.equal(checkout.attribution.attributed_by, 'cookie');

    // A sale reported by the page's own code through the loader.
    const orderId = `web-${aff}`;
    await page.evaluate((id) => window.reftrail('conversion', { order_id: id, amount: 4990, currency: 'USD' }), orderId);
    const sale = await until('the browser sale', async () => {
      const r = await api('GET', `/v1/sales?affiliate=${aff}`);
      return r.json.sales.find((s) => s.order_id === orderId);
    });
    assert.equal(sale.attributed_by, 'cookie');
    assert.equal(sale.verified, false);

    // The owner sees both referrals in wp-admin, the affiliate's name escaped.
    const admin = await context.newPage();
    await signIn(admin, WP, process.env.WP_ADMIN_USER, process.env.WP_ADMIN_PASS);
    // Narrowed to this affiliate: the site also holds the referrals of every other test.
    await admin.goto(`${WP}/wp-admin/admin.php?page=reftrail-referrals&affiliate=${aff}`);
    const rows = await admin.locator('table.widefat tbody tr', { hasText: aff }).allInnerTexts();
    assert.ok(rows.some((r) => r.includes(checkout.order_id)), rows.join('\n'));
    assert.ok(rows.some((r) => r.includes(orderId)), rows.join('\n'));
    // The Reftrail dashboard page: the merchant dashboard of www/dashboard when the plugin ships
    // it, signed in through WordPress (no second password); else the server-rendered figures.
    await admin.goto(`${WP}/wp-admin/admin.php?page=reftrail`);
    if (existsSync(new URL('../../reftrail/www/dashboard/app.js', import.meta.url))) {
      await admin.locator('#reftrail-dashboard nav a[href="#/referrals"]').waitFor({ timeout: 15000 });
      assert.equal(await admin.locator('#reftrail-dashboard #password').count(), 0, 'no second sign-in');
      // The team is WordPress's users: no Team page, and the signed-in user's name is not a link
      // to an account page of the plugin's.
      assert.equal(await admin.locator('#reftrail-dashboard nav a[href="#/team"]').count(), 0);
      assert.equal(await admin.locator('#reftrail-dashboard span#signed-in-as').count(), 1);
      assert.equal(await admin.locator('#reftrail-dashboard a#signed-in-as').count(), 0);
      await admin.goto(`${WP}/wp-admin/admin.php?page=reftrail#/referrals`);
      await admin.locator('#reftrail-dashboard main', { hasText: aff }).waitFor({ timeout: 15000 });
      // Narrowed to the affiliate, the ledger downloads as CSV through the REST nonce: their two
      // referrals, in the order of the list, amounts as decimals.
      await admin.goto(`${WP}/wp-admin/admin.php?page=reftrail#/referrals?affiliate=${aff}`);
      await admin.reload();
      await admin.locator(`#reftrail-dashboard tr[data-order="${orderId}"]`).waitFor({ timeout: 15000 });
      const [download] = await Promise.all([admin.waitForEvent('download'), admin.click('#reftrail-dashboard #referrals-csv')]);
      assert.match(download.suggestedFilename(), /^referrals-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv$/);
      const csv = (await readFile(await download.path(), 'utf8')).trim().split('\n').map((l) => l.split(','));
      assert.equal(csv[0].join(','), 'referral_id,at,kind,affiliate,order_id,event,currency,amount,commission,commission_net,status,attributed_by,verified,flags,hold_until,payout_id,campaign');
      const shown = await admin.$$eval('#reftrail-dashboard tbody tr[data-id]', (rs) => rs.map((r) => r.dataset.id));
      assert.deepEqual(csv.slice(1).map((r) => r[0]), shown);
      assert.deepEqual(csv.slice(1).map((r) => r[3]).sort(), [aff, aff]);
      const web = csv.find((r) => r[4] === orderId);
      assert.deepEqual([web[6], web[7], web[12], web[16]], ['USD', '49.90', 'false', 'spring'], web.join(','));
      assert.ok(csv.some((r) => r[4] === String(checkout.order_id)), csv.join('\n'));
      // The ledger of the link's campaign, by its exact name: the web sale is in it, none of another case.
      await admin.goto(`${WP}/wp-admin/admin.php?page=reftrail#/referrals?affiliate=${aff}&campaign=spring`);
      await admin.reload();
      await admin.locator('#reftrail-dashboard #f-campaign').waitFor({ timeout: 15000 });
      await admin.locator(`#reftrail-dashboard tr[data-order="${orderId}"]`).waitFor({ timeout: 15000 });
      await admin.goto(`${WP}/wp-admin/admin.php?page=reftrail#/referrals?affiliate=${aff}&campaign=Spring`);
      await admin.reload();
      await admin.locator('#reftrail-dashboard #f-campaign').waitFor({ timeout: 15000 });
      const [other] = await Promise.all([admin.waitForEvent('download'), admin.click('#reftrail-dashboard #referrals-csv')]);
      const none = (await readFile(await other.path(), 'utf8')).trim().split('\n');
      assert.deepEqual(none, [csv[0].join(',')], 'Spring is not spring');
      // Settings: the plugin prints the tracker's tag itself, so there is none to paste; the
      // history of changes loads through the REST nonce.
      await admin.goto(`${WP}/wp-admin/admin.php?page=reftrail#/settings`);
      await admin.reload();
      await admin.locator('#reftrail-dashboard #program-changes').waitFor({ timeout: 15000 });
      await admin.locator('#reftrail-dashboard #install-check:not(:has(.state-loading))').waitFor({ timeout: 15000 });
      assert.match(await admin.locator('#reftrail-dashboard #install').innerText(), /The WordPress plugin adds the tracker to every page of your site/);
      assert.equal(await admin.locator('#reftrail-dashboard #install-tag').count(), 0);
    } else {
      assert.ok((await admin.content()).includes('Recent clicks'));
    }
    await admin.goto(`${WP}/wp-admin/admin.php?page=reftrail-affiliates`);
    assert.ok((await admin.content()).includes('Journey &lt;b&gt;bold&lt;/b&gt;'));
    assert.equal(await admin.locator('b', { hasText: 'bold' }).count(), 0);
  } finally {
    await browser.close();
  }
});

// With the WP Consent API (its stand-in, mu-plugins/reftrail-test-consent-api.php), the visitor's
// choice for the marketing category is read in the browser: every visitor gets the same page, so
// a page cache serves no one's choice to anyone else, and nothing is kept until the category is
// allowed.
test('with the WP Consent API the choice is read in the browser: the same page for everyone, nothing kept until allowed', async () => {
  const aff = `consent${Date.now().toString(36)}`;
  const made = await api('POST', '/v1/affiliates', { id: aff, name: 'Consent' });
  assert.equal(made.status, 201, JSON.stringify(made.json));
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  try {
    const context = await browser.newContext({
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
      extraHTTPHeaders: { 'X-Reftrail-Consent-Api': '1' },
    });
    const tags = async () => {
      const html = await (await context.request.get(`${WP}/`)).text();
      return (html.match(/<script[^>]*id="reftrail-(?:stub|loader)"[\s\S]*?<\/script>/g) || []).join('\n');
    };
    const refused = await tags();
    assert.match(refused, /data-consent="pending"/);
    assert.match(refused, /wp_has_consent\("marketing"\)/);
    const page = await context.newPage();
    await page.goto(`${WP}/?ref=${aff}`);
    await page.waitForFunction(() => window.reftrail && window.reftrail.loaded);
    await page.waitForTimeout(500);
    const kept = async () => (await context.cookies()).filter((c) => c.name === 'rt_ref' || c.name === 'rt_click');
    assert.deepEqual(await kept(), [], 'nothing kept before the visitor allows marketing');
    assert.equal(await page.evaluate(() => localStorage.getItem('rt_ref')), null);

    await context.addCookies([{ name: 'wp_consent_marketing', value: 'allow', url: WP }]);
    assert.equal(await tags(), refused, 'a visitor who allowed gets the very same tags');
    await page.goto(`${WP}/?ref=${aff}`);
    const cookies = await until('the click cookies after consent', async () => {
      const k = await kept();
      return k.length === 2 ? k : null;
    });
    assert.ok(cookies.some((c) => c.name === 'rt_ref' && c.value.includes(`~${aff}~`)));
  } finally {
    await browser.close();
  }
});

// The affiliate portal for a WordPress user: they apply through [reftrail_register], the owner
// approves them, and the page with [reftrail_portal] shows the portal app of www/portal in a frame,
// signed in by WordPress (login cookie and REST nonce, no portal token), with their links, earnings
// and referrals and nothing of another affiliate's; without JavaScript, the server-rendered portal.
test('an affiliate signed in to WordPress sees their own links and earnings in the portal, and nothing of another affiliate', async () => {
  const wpAuth = { authorization: `Basic ${Buffer.from(`${process.env.WP_ADMIN_USER}:${process.env.WP_APP_PASS}`).toString('base64')}`, 'content-type': 'application/json' };
  const wp = async (method, path, body) => {
    const r = await fetch(`${WP}/wp-json/wp/v2${path}`, { method, headers: wpAuth, body: body && JSON.stringify(body) });
    const json = await r.json();
    assert.ok(r.ok, `${method} ${path}: ${r.status} ${JSON.stringify(json)}`);
    return json;
  };
  const tag = Date.now().toString(36);
  const mine = `pa${tag}`;
  const other = `pb${tag}`;
  const pass = `pw-${tag}-Portal-1`;
  const user = await wp('POST', '/users', { username: `portal_${tag}`, email: `portal_${tag}@example.test`, password: pass, roles: ['subscriber'] });
  const signUp = await wp('POST', '/pages', { title: `Join ${tag}`, status: 'publish', content: '[reftrail_register]' });
  const portalPage = await wp('POST', '/pages', { title: `Portal ${tag}`, status: 'publish', content: '[reftrail_portal]' });
  // Another affiliate, with a sale of their own.
  assert.equal((await api('POST', '/v1/affiliates', { id: other, name: `Other <i>${other}</i>`, coupons: [`${other}C`] })).status, 201);
  const theirs = await api('POST', '/v1/sales', { order_id: `ob-${tag}`, amount: 20000, currency: 'USD', coupon: `${other}C` });
  assert.equal(theirs.status, 201, JSON.stringify(theirs.json));

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  const signInAffiliate = (page) => signIn(page, WP, user.username, pass);
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signInAffiliate(page);
    // The sign-up form: pending until the owner approves.
    await page.goto(signUp.link);
    await page.fill('input[name="reftrail_id"]', mine);
    await page.fill('input[name="reftrail_name"]', `Mine ${tag}`);
    await page.fill('input[name="reftrail_payout"]', `paypal_${tag}@example.test`);
    await Promise.all([page.waitForNavigation(), page.click('form.reftrail-register button[type="submit"]')]);
    assert.match(await page.locator('.reftrail-register').innerText(), /waiting for approval/);
    await page.goto(portalPage.link);
    assert.match(await page.locator('.reftrail-portal').innerText(), /waiting for approval/);
    assert.equal(await page.locator('iframe').count(), 0, 'no portal app before approval');
    const approved = await api('PATCH', `/v1/affiliates/${mine}`, { status: 'approved', coupons: [`${mine}C`] });
    assert.equal(approved.status, 200, JSON.stringify(approved.json));
    const sale = await api('POST', '/v1/sales', { order_id: `oa-${tag}`, amount: 12000, currency: 'USD', coupon: `${mine}C` });
    assert.equal(sale.status, 201, JSON.stringify(sale.json));
    const ref = sale.json.referral;
    assert.equal(ref.affiliate, mine);

    // The portal app in its frame, talking to /wp-json/reftrail/v1/me* with the REST nonce.
    const meCalls = [];
    page.on('request', (r) => { if (r.url().includes('/wp-json/reftrail/v1/me')) meCalls.push(r.headers()); });
    await page.goto(portalPage.link);
    const app = page.frameLocator('iframe.reftrail-portal-frame');
    await app.locator('#links .link').first().waitFor({ timeout: 20000 });
    await page.locator('iframe.reftrail-portal-frame').waitFor({ state: 'visible' });
    assert.equal(await page.locator('.reftrail-portal-embed > .reftrail-portal').isHidden(), true, 'the server-rendered portal gives way to the app');
    const links = await app.locator('#links .link').allInnerTexts();
    assert.ok(links.includes(`${WP}/?ref=${mine}`), links.join('\n'));
    assert.ok(links.every((l) => l.includes(mine)), links.join('\n'));
    assert.match(await app.locator('#coupons').innerText(), new RegExp(`${mine}C`, 'i'));
    const balance = app.locator('#balances tr[data-currency="USD"]');
    assert.equal(await balance.getAttribute('data-pending'), String(ref.commission));
    assert.equal(await app.locator(`#my-referrals tr[data-id="${ref.id}"]`).count(), 1);
    assert.equal(await app.locator('#my-referrals tbody tr').count(), 1, 'only their own referral');
    assert.equal(await app.locator(`[data-kpi="earnings_USD"]`).getAttribute('data-raw'), String(ref.commission));
    const frameHtml = await app.locator('html').innerHTML();
    for (const foreign of [other, theirs.json.referral.id, `ob-${tag}`]) {
      assert.ok(!frameHtml.toLowerCase().includes(foreign.toLowerCase()), `the portal shows nothing of ${foreign}`);
    }
    assert.ok(meCalls.length >= 2, 'the app called /v1/me and /v1/me/report');
    for (const h of meCalls) {
      assert.match(h['x-wp-nonce'] || '', /^[0-9a-f]{10}$/, 'signed in by the WordPress REST nonce');
      assert.equal(h.authorization, undefined, 'no portal token');
    }
    assert.equal(await app.locator('#token').count(), 0, 'no token sign-in form');
    // Signing out is WordPress's: the whole page goes to its logout.
    await Promise.all([page.waitForURL(/loggedout=true/), app.locator('#sign-out').click()]);
    assert.match(page.url(), /wp-login\.php\?loggedout=true/);

    // Without JavaScript: the server-rendered portal, no frame.
    const plain = await browser.newContext({ javaScriptEnabled: false });
    const noJs = await plain.newPage();
    await signInAffiliate(noJs);
    await noJs.goto(portalPage.link);
    assert.equal(await noJs.locator('iframe').count(), 0);
    const fallback = await noJs.locator('.reftrail-portal').innerText();
    assert.ok(fallback.includes(`?ref=${mine}`), fallback);
    assert.match(fallback, /USD/);
    assert.ok(!fallback.includes(other), fallback);
    await plain.close();
  } finally {
    await browser.close();
  }
  // The portal document answers nobody else: a visitor is sent to the login page.
  const anon = await fetch(`${WP}/?reftrail_portal=1`, { redirect: 'manual' });
  assert.equal(anon.status, 302);
  assert.match(anon.headers.get('location'), /wp-login\.php/);
});
