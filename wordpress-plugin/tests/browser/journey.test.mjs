// The journey on a real WordPress in Debian's Chromium: an affiliate link sets the cookies (the
// core's rt_ref and the plugin's signed HttpOnly rt_click), a checkout through the WooCommerce
// hook and a sale from the page's own code both credit the affiliate, and the referrals show in
// wp-admin. Needs WP_URL, WP_ADMIN_USER, WP_ADMIN_PASS and REFTRAIL_SECRET_KEY (test-wordpress.sh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

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
    await admin.goto(`${WP}/wp-login.php`);
    await admin.fill('#user_login', process.env.WP_ADMIN_USER);
    await admin.fill('#user_pass', process.env.WP_ADMIN_PASS);
    await Promise.all([admin.waitForNavigation(), admin.click('#wp-submit')]);
    await admin.goto(`${WP}/wp-admin/admin.php?page=reftrail-referrals`);
    const rows = await admin.locator('table.widefat tbody tr', { hasText: aff }).allInnerTexts();
    assert.ok(rows.some((r) => r.includes(checkout.order_id)), rows.join('\n'));
    assert.ok(rows.some((r) => r.includes(orderId)), rows.join('\n'));
    // The Reftrail dashboard page: the merchant dashboard of www/dashboard when the plugin ships
    // it, signed in through WordPress (no second password); else the server-rendered figures.
    await admin.goto(`${WP}/wp-admin/admin.php?page=reftrail`);
    if (existsSync(new URL('../../reftrail/www/dashboard/app.js', import.meta.url))) {
      await admin.locator('#reftrail-dashboard nav a[href="#/referrals"]').waitFor({ timeout: 15000 });
      assert.equal(await admin.locator('#reftrail-dashboard #password').count(), 0, 'no second sign-in');
      await admin.goto(`${WP}/wp-admin/admin.php?page=reftrail#/referrals`);
      await admin.locator('#reftrail-dashboard main', { hasText: aff }).waitFor({ timeout: 15000 });
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
