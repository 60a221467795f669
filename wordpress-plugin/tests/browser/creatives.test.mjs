// Creatives in the WordPress admin, in Debian's Chromium: the dashboard's image field picks the
// banner from WordPress's own Media Library (the image uploaded there, its alt text taken along),
// and the creative is saved through the plugin's REST routes with the user's login. Needs WP_URL,
// WP_ADMIN_USER, WP_ADMIN_PASS and REFTRAIL_SECRET_KEY (test-wordpress.sh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { signIn } from './wp-login.mjs';

const WP = process.env.WP_URL;
const SK = process.env.REFTRAIL_SECRET_KEY;
// A 4×2 PNG: what the Media Library takes (it refuses SVG).
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAQAAAACCAIAAADwyuo0AAAAEElEQVR42mN4Eq4HRwzIHACYcgtJFSWu4wAAAABJRU5ErkJggg==';

test('a banner picked from the Media Library becomes a creative', async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  let made = null;
  try {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 1000 } })).newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e));
    await signIn(page, WP, process.env.WP_ADMIN_USER, process.env.WP_ADMIN_PASS);
    await page.goto(`${WP}/wp-admin/admin.php?page=reftrail#/creatives`);
    await page.locator('#reftrail-dashboard #new-creative').waitFor({ timeout: 15000 });

    // An image in the Media Library, uploaded with the dashboard's own REST nonce.
    const name = `Banner ${Date.now().toString(36)}`;
    const media = await page.evaluate(
      async ({ png, name }) => {
        const nonce = window.REFTRAIL_PAGES.headers['X-WP-Nonce'];
        const bytes = Uint8Array.from(atob(png), (c) => c.charCodeAt(0));
        const form = new FormData();
        form.append('file', new Blob([bytes], { type: 'image/png' }), `${name.replace(/\W/g, '-')}.png`);
        form.append('alt_text', 'Giày chạy bộ giảm 20 %');
        const r = await fetch('/wp-json/wp/v2/media', { method: 'POST', headers: { 'X-WP-Nonce': nonce }, body: form, credentials: 'same-origin' });
        return { status: r.status, json: await r.json() };
      },
      { png: PNG, name },
    );
    assert.equal(media.status, 201, JSON.stringify(media.json));
    const url = media.json.source_url;

    // The image field offers the Media Library; the chosen image fills it and its alt text.
    await page.selectOption('#new-creative #c-kind', 'image');
    await page.fill('#new-creative #c-name', name);
    await page.click('#new-creative #c-media');
    const tile = page.locator(`.media-modal .attachments .attachment[data-id="${media.json.id}"]`);
    await tile.waitFor({ timeout: 15000 });
    await tile.click();
    await page.click('.media-modal .media-button-select');
    await page.locator('.media-modal').waitFor({ state: 'hidden' });
    assert.equal(await page.inputValue('#new-creative #c-image-url'), url);
    assert.equal(await page.inputValue('#new-creative #c-text'), 'Giày chạy bộ giảm 20 %');
    await page.click('#new-creative button[type=submit]');
    const shown = page.locator('#creatives li[data-kind="image"]', { hasText: name });
    await shown.waitFor({ timeout: 15000 });
    assert.equal(await shown.locator('img').evaluate((img) => img.complete && img.naturalWidth), 4, 'the preview loads the image');

    const r = await fetch(`${WP}/wp-json/reftrail/v1/creatives?status=active&limit=500`, { headers: { authorization: `Bearer ${SK}` } });
    made = (await r.json()).creatives.find((c) => c.name === name);
    assert.deepEqual([made.kind, made.image_url, made.text, made.landing_url], ['image', url, 'Giày chạy bộ giảm 20 %', null]);
    assert.deepEqual(errors, []);
  } finally {
    if (made) await fetch(`${WP}/wp-json/reftrail/v1/creatives/${made.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${SK}` } });
    await browser.close();
  }
});
