// An affiliate's WooCommerce coupon made from their panel in the plugin's dashboard, in Debian's
// Chromium: the section shows (the site has WooCommerce's coupons), the code field suggests the
// affiliate's id in capitals with the percent, and the coupon made is listed and joins the
// affiliate's coupons. Then the coupon each new affiliate gets, set in Settings: an application
// approved from the affiliates' list gets it at once. Needs WP_URL, WP_ADMIN_USER, WP_ADMIN_PASS
// and REFTRAIL_SECRET_KEY (test-wordpress.sh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { signIn } from './wp-login.mjs';

const WP = process.env.WP_URL;
const SK = process.env.REFTRAIL_SECRET_KEY;
// A 4×2 PNG, for the pictures wp-admin asks other hosts for (Gravatar's avatars in the admin bar).
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAQAAAACCAIAAADwyuo0AAAAEElEQVR42mN4Eq4HRwzIHACYcgtJFSWu4wAAAABJRU5ErkJggg==', 'base64');
const LOOPBACK = ['127.0.0.1', 'localhost', '[::1]'];

async function api(method, path, body) {
  const r = await fetch(`${WP}/wp-json/reftrail${path}`, {
    method,
    headers: { authorization: `Bearer ${SK}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: r.status, json: await r.json() };
}

/** Debian's Chromium, with nothing leaving the machine, and the admin signed in; `errors` collects the page's. */
async function adminPage(browser, errors) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  // Another host's picture is answered here, anything else from another host fails (and shows
  // as a console error).
  await context.route(
    (url) => !LOOPBACK.includes(url.hostname),
    (route) => (route.request().resourceType() === 'image' ? route.fulfill({ status: 200, contentType: 'image/png', body: PNG }) : route.abort()),
  );
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && errors.push(`console error: ${m.text()} (${m.location().url})`));
  await signIn(page, WP, process.env.WP_ADMIN_USER, process.env.WP_ADMIN_PASS);
  return page;
}

const launch = () =>
  chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });

test("a 15 % WooCommerce coupon made in an affiliate's panel joins their coupons", async () => {
  const id = `kol.${Date.now().toString(36)}`;
  const code = `${id.toUpperCase().replace(/[^A-Z0-9]/g, '')}15`;
  const made = await api('POST', '/v1/affiliates', { id, name: 'Linh KOL', category: 'influencer', coupons: ['LINH-OLD'] });
  assert.equal(made.status, 201, JSON.stringify(made.json));

  const browser = await launch();
  try {
    const errors = [];
    const page = await adminPage(browser, errors);
    await page.goto(`${WP}/wp-admin/admin.php?page=reftrail#/affiliates?id=${encodeURIComponent(id)}`);

    const card = page.locator('#reftrail-dashboard #wc-coupons-card');
    await card.waitFor({ state: 'visible', timeout: 15000 });
    await card.locator('#wc-coupons-none').waitFor();
    await page.fill('#wc-coupon-form #wc-percent', '15');
    assert.equal(await page.inputValue('#wc-coupon-form #wc-code'), code, 'the suggested code');
    await page.click('#wc-coupon-form button[type=submit]');

    // The panel is drawn again: the coupon listed, and among the codes of the affiliate's form.
    const listed = page.locator(`#wc-coupons li[data-code="${code}"]`);
    await listed.waitFor({ timeout: 15000 });
    assert.match(await listed.textContent(), /15 %/);
    assert.ok(await listed.locator('a[href*="post.php?post="]').count(), 'a link to the coupon in wp-admin');
    const codes = (await page.inputValue('#a-coupons')).split(/[\s,]+/);
    assert.deepEqual(codes.sort(), [code, 'LINH-OLD'].sort());

    const aff = await api('GET', `/v1/affiliates/${encodeURIComponent(id)}`);
    assert.deepEqual(aff.json.coupons, [code, 'LINH-OLD']);
    const wc = await api('GET', `/v1/affiliates/${encodeURIComponent(id)}/woocommerce-coupons`);
    assert.equal(wc.status, 200);
    assert.deepEqual(
      wc.json.coupons.map((c) => [c.code, c.discount_type, c.amount, c.usage_count]),
      [[code, 'percent', '15', 0]],
    );
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('the coupon for each new affiliate, set in Settings, is made when an application is approved', async () => {
  const id = `fan.${Date.now().toString(36)}`;
  const code = `${id.toUpperCase().replace(/[^A-Z0-9]/g, '')}12`;
  const made = await api('POST', '/v1/affiliates', { id, name: 'Mai Fan', category: 'influencer', status: 'pending' });
  assert.equal(made.status, 201, JSON.stringify(made.json));
  assert.deepEqual((await api('GET', '/v1/woocommerce-coupons/template')).json, { template: null });

  const browser = await launch();
  try {
    const errors = [];
    const page = await adminPage(browser, errors);
    await page.goto(`${WP}/wp-admin/admin.php?page=reftrail#/settings`);
    const card = page.locator('#reftrail-dashboard #wc-template-card');
    await card.waitFor({ state: 'visible', timeout: 15000 });
    assert.equal(await page.inputValue('#wc-template-type'), '', 'off until set');
    assert.ok(await page.locator('#wc-template-percent').isHidden());
    await page.selectOption('#wc-template-type', 'percent');
    await page.fill('#wc-template-percent', '12');
    await page.fill('#wc-template-limit', '1');
    await page.click('#wc-template-save');
    await page.locator('#notice .notice-ok').waitFor({ timeout: 15000 });
    assert.deepEqual((await api('GET', '/v1/woocommerce-coupons/template')).json, {
      template: { discount_type: 'percent', percent: 12, usage_limit_per_user: 1 },
    });

    // The application approved from the list: the panel shows the new coupon.
    await page.goto(`${WP}/wp-admin/admin.php?page=reftrail#/affiliates?id=${encodeURIComponent(id)}&q=${encodeURIComponent(id)}`);
    await page.locator(`tr[data-id="${id}"] button[data-action=approve]`).click({ timeout: 15000 });
    const listed = page.locator(`#wc-coupons li[data-code="${code}"]`);
    await listed.waitFor({ timeout: 15000 });
    assert.match(await listed.textContent(), /12 %/);
    assert.equal((await page.inputValue('#a-coupons')).trim(), code);

    const aff = await api('GET', `/v1/affiliates/${encodeURIComponent(id)}`);
    assert.deepEqual([aff.json.status, aff.json.coupons], ['approved', [code]]);
    const log = await api('GET', `/v1/activity?affiliate=${encodeURIComponent(id)}&action=affiliate.updated`);
    assert.deepEqual(
      log.json.activity.map((e) => e.details.changes[0].field),
      ['coupons', 'status'],
    );

    // Turned off again in the same section.
    await page.goto(`${WP}/wp-admin/admin.php?page=reftrail#/settings`);
    await card.waitFor({ state: 'visible', timeout: 15000 });
    assert.equal(await page.inputValue('#wc-template-percent'), '12');
    await page.selectOption('#wc-template-type', '');
    // The approval's notice may still show: wait for this one.
    await page.evaluate(() => document.getElementById('notice')?.replaceChildren());
    await page.click('#wc-template-save');
    await page.locator('#notice .notice-ok').waitFor({ timeout: 15000 });
    assert.deepEqual((await api('GET', '/v1/woocommerce-coupons/template')).json, { template: null });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    // The contract suite runs on this site next: no coupon may follow its affiliates.
    await api('PUT', '/v1/woocommerce-coupons/template', { template: null });
  }
});
