// Creatives, from the merchant's dashboard to a visitor on the shop: the merchant adds a text link
// and an image banner (a refused image address pointed at), edits one, archives and restores the
// other, deletes one; the affiliate's portal shows the active ones with their own link in them
// and the HTML to paste (escaped), makes a link to any page of the shop (and says when a page is
// not on the shop's site), and a visitor who follows the banner's link lands on the product page
// credited to the affiliate, the click counted for that creative in the dashboard. Saves the
// screenshots for the README.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startStack, stopStack, api, launch, newContext, newPage, screenshot, signedInPage, until, ARTIFACTS } from './harness.mjs';

let stack;
let browser;
let shop;
let product;
let bannerImage;

before(async () => {
  stack = await startStack();
  browser = await launch();
  shop = `${stack.shopUrl()}/`;
  product = `${stack.shopUrl()}/store/products/SHOE-RUN-1/`;
  bannerImage = `${stack.shopUrl()}/store/banners/trail-728x90.svg`;
});

after(async () => {
  await browser?.close();
  if (stack) await stopStack(stack);
});

async function portal(id, lang = 'en') {
  const { token } = await api(stack, 'POST', `/v1/affiliates/${id}/token`);
  const page = await newPage(await newContext(browser, { viewport: { width: 1000, height: 1400 } }));
  const frag = new URLSearchParams({ token, shop });
  await page.goto(`${stack.base}/portal/?lang=${lang}#${frag}`);
  await page.waitForSelector('#creatives');
  return page;
}

/** Fills the dashboard's creative form in `page` and submits it. */
async function submitCreative(page, form, { name, kind, text, image, landing }) {
  if (name !== undefined) await page.fill(`${form} #c-name`, name);
  if (kind) await page.selectOption(`${form} #c-kind`, kind);
  if (text !== undefined) await page.fill(`${form} #c-text`, text);
  if (image !== undefined) await page.fill(`${form} #c-image-url`, image);
  if (landing !== undefined) await page.fill(`${form} #c-landing-url`, landing);
  await page.click(`${form} button[type=submit]`);
}

test('the merchant keeps creatives and the affiliate posts them with their own link', async () => {
  // The stack is this file's own: plain names, as a merchant would give them.
  const mark = 'Trail shoes';
  const page = await signedInPage(browser, stack, '#/creatives');
  await page.waitForSelector('#new-creative');
  assert.match(await page.textContent('#main'), /No active creatives/);

  // A text link to a product.
  await submitCreative(page, '#new-creative', { name: `${mark} text link`, text: 'Trail shoes: 20 % off this week', landing: product });
  await page.waitForSelector(`#creatives li[data-kind="link"]`);
  const link = await page.$(`#creatives li[data-kind="link"]`);
  assert.match(await link.textContent(), new RegExp(`${mark} text link`));
  assert.match(await link.textContent(), /Trail shoes: 20 % off this week/);
  assert.ok((await link.textContent()).includes(product));
  assert.match(await link.textContent(), /Last 30 days: clicks 0 · sales 0 \(—\)/);

  // A banner: the image field comes with the kind; an address the server refuses is pointed at.
  assert.equal(await page.isVisible('#new-creative #c-image-url'), false, 'no image for a text link');
  await submitCreative(page, '#new-creative', { name: `${mark} banner 728×90`, kind: 'image', text: 'Trail shoes −20 %', image: 'javascript:alert(1)', landing: '' });
  await page.waitForSelector('#new-creative .state-error');
  assert.match(await page.textContent('#new-creative .state-error'), /invalid_image_url/);
  assert.equal(await page.getAttribute('#new-creative #c-image-url', 'aria-invalid'), 'true');
  assert.equal(await page.$$eval('#creatives li', (l) => l.length), 1, 'nothing saved');
  await submitCreative(page, '#new-creative', { image: bannerImage });
  await page.waitForSelector(`#creatives li[data-kind="image"]`);
  const banner = await page.$(`#creatives li[data-kind="image"]`);
  assert.match(await banner.textContent(), /the shop’s home page/);
  // The preview is the image itself, loaded from the shop.
  const width = await page.waitForFunction(() => document.querySelector('#creatives li[data-kind="image"] img')?.naturalWidth);
  assert.equal(await width.jsonValue(), 728);
  assert.equal(await page.getAttribute('#creatives li[data-kind="image"] img', 'alt'), 'Trail shoes −20 %');
  assert.deepEqual(await page.$$eval('#creatives li', (l) => l.map((x) => x.dataset.kind)), ['image', 'link'], 'newest first');
  await screenshot(page, 'dashboard-creatives');

  // Edit the text link; archive the banner, find it in the archive, make it active again.
  await page.click('#creatives li[data-kind="link"] button[data-action="edit"]');
  await page.waitForSelector('#edit-creative');
  assert.equal(await page.inputValue('#edit-creative #c-text'), 'Trail shoes: 20 % off this week');
  await submitCreative(page, '#edit-creative', { text: 'Trail shoes: 25 % off <today> & "tomorrow"' });
  await page.waitForFunction(() => /25 % off <today> & "tomorrow"/.test(document.querySelector('#creatives li[data-kind="link"]')?.textContent));
  assert.ok(await page.$('#new-creative'), 'the form is back to a new creative');
  await page.click('#creatives li[data-kind="image"] button[data-action="archive"]');
  await page.waitForFunction(() => !document.querySelector('#creatives li[data-kind="image"]'));
  await page.click('button[data-show="archived"]');
  await page.waitForSelector('#creatives li[data-kind="image"][data-status="archived"]');

  // The portal shows the active ones only: the link with alice's link and HTML escaped.
  let p = await portal('alice');
  let items = await p.$$('#creatives li.creative');
  assert.equal(items.length, 1, 'the archived banner is not offered');
  // Each link names its creative in `utm_content`.
  const ids = Object.fromEntries((await api(stack, 'GET', '/v1/creatives')).creatives.map((c) => [c.kind, c.id]));
  const aliceLink = `${product}?ref=alice&utm_content=${ids.link}`;
  assert.equal(await p.textContent('#creatives li[data-kind="link"] code.link'), aliceLink);
  assert.equal(
    await p.inputValue('#creatives li[data-kind="link"] textarea.creative-html'),
    `<a href="${aliceLink.replaceAll('&', '&amp;')}">Trail shoes: 25 % off &lt;today&gt; &amp; &quot;tomorrow&quot;</a>`,
  );

  // Restored, the banner is offered with alice's link to the home page.
  await page.click('#creatives li[data-kind="image"] button[data-action="restore"]');
  await page.waitForFunction(() => !document.querySelector('#creatives li[data-kind="image"]'));
  await p.reload();
  await p.waitForSelector('#creatives li[data-kind="image"]');
  const homeLink = `${shop}?ref=alice&utm_content=${ids.image}`;
  assert.equal(await p.textContent('#creatives li[data-kind="image"] code.link'), homeLink);
  assert.equal(
    await p.inputValue('#creatives li[data-kind="image"] textarea.creative-html'),
    `<a href="${homeLink.replaceAll('&', '&amp;')}"><img src="${bannerImage}" alt="Trail shoes −20 %"></a>`,
  );
  await p.waitForFunction(() => document.querySelector('#creatives li[data-kind="image"] img')?.naturalWidth === 728);
  await (await p.$('#creatives')).screenshot({ path: path.join(ARTIFACTS, 'portal-creatives.png') });

  // A link to any page of the shop; a page elsewhere is pointed out, nonsense refused.
  await p.fill('#deep-page', `${stack.shopUrl('checkout')}/store/cart/?utm_campaign=tet`);
  await p.waitForSelector('#deep-link code.link');
  assert.equal(await p.textContent('#deep-link code.link'), `${stack.shopUrl('checkout')}/store/cart/?utm_campaign=tet&ref=alice`);
  assert.equal(await p.$('#deep-link [role=alert]'), null);
  // With a campaign name: added, unless the page names its own.
  await p.fill('#deep-campaign', 'facebook group');
  assert.equal(await p.textContent('#deep-link code.link'), `${stack.shopUrl('checkout')}/store/cart/?utm_campaign=tet&ref=alice`);
  await p.fill('#deep-page', product);
  await p.waitForFunction((want) => document.querySelector('#deep-link code.link')?.textContent === want, `${product}?ref=alice&utm_campaign=facebook-group`);
  await p.fill('#deep-campaign', '');
  await p.fill('#deep-page', 'https://elsewhere.test/page');
  await p.waitForSelector('#deep-link [role=alert]');
  assert.match(await p.textContent('#deep-link [role=alert]'), /not on the shop’s site \(www\.shop\.test\)/);
  await p.fill('#deep-page', 'not a page');
  await p.waitForFunction(() => /not a web address/.test(document.querySelector('#deep-link')?.textContent));
  assert.equal(await p.$('#deep-link code.link'), null);

  // A visitor follows the banner's link in the affiliate's post: alice is credited on the shop.
  const visitor = await newPage(await newContext(browser));
  await visitor.setContent(await p.inputValue('#creatives li[data-kind="link"] textarea.creative-html'));
  await Promise.all([visitor.waitForURL(/\/store\/products\/SHOE-RUN-1\//), visitor.click('a')]);
  const info = await visitor.waitForSelector('#referral-info');
  assert.equal(await info.getAttribute('data-affiliate'), 'alice');
  // The click counts for that creative: in the report and on its card in the dashboard.
  const through = async () => (await api(stack, 'GET', '/v1/reports/creatives')).rows.find((r) => r.creative === ids.link);
  await until(async () => (await through()).clicks === 1);
  assert.equal((await through()).clicks, 1);
  await page.click('button[data-show="active"]');
  await page.waitForSelector('#creatives li[data-kind="link"] .creative-stats[data-clicks="1"]');
  // And in alice's portal, on the creative she posted.
  await p.reload();
  await p.waitForSelector('#creatives li[data-kind="link"] .creative-stats[data-clicks="1"]');
  assert.equal(await p.textContent('#creatives li[data-kind="link"] .creative-stats'), 'Your last 30 days: clicks 1 · sales 0');
  assert.match(await page.textContent('#creatives li[data-kind="link"] .creative-stats'), /clicks 1 · sales 0 \(0\.0%\)/);

  // In Vietnamese.
  const vi = await portal('alice', 'vi');
  assert.match(await vi.textContent('#main'), /Banner và liên kết chữ/);
  assert.match(await vi.textContent('#creatives'), /Sao chép HTML/);

  // Deleted in the dashboard (after confirming): gone from the portal.
  page.on('dialog', (d) => d.accept());
  await page.click('button[data-show="active"]');
  await page.waitForSelector('#creatives li[data-kind="image"]');
  await page.click('#creatives li[data-kind="image"] button[data-action="delete"]');
  await page.waitForFunction(() => !document.querySelector('#creatives li[data-kind="image"]'));
  const left = await api(stack, 'GET', '/v1/creatives');
  assert.deepEqual(left.creatives.map((c) => c.kind), ['link']);
  // (A new portal token ends the previous one: the Vietnamese page is alice's open portal now.)
  await vi.reload();
  await vi.waitForSelector('#creatives li.creative');
  items = await vi.$$('#creatives li.creative');
  assert.equal(items.length, 1);
  for (const x of [page, p, vi, visitor]) assert.deepEqual(x.errors, []);
});

test('on a phone: the banner fits the screen, and Share hands the creative’s link to the share sheet', async () => {
  const made = await api(stack, 'POST', '/v1/creatives', { name: 'Phone banner', kind: 'image', text: 'Trail shoes −20 %', image_url: bannerImage, landing_url: product });
  const phone = await newContext(browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await phone.addInitScript(() => {
    window.shared = [];
    navigator.share = async (data) => {
      window.shared.push(data);
    };
  });
  const page = await newPage(phone);
  const { token } = await api(stack, 'POST', '/v1/affiliates/alice/token');
  await page.goto(`${stack.base}/portal/?lang=vi#${new URLSearchParams({ token, shop })}`);
  const item = '#creatives li.creative[data-kind="image"]';
  // Scrolled to, as on a phone: the banner loads lazily.
  await page.waitForSelector(item);
  await page.$eval(item, (el) => el.scrollIntoView());
  await page.waitForFunction((sel) => document.querySelector(`${sel} img`)?.naturalWidth === 728, item);
  const link = await page.textContent(`${item} code.link`);
  assert.equal(link, `${product}?ref=alice&utm_content=${made.id}`);
  await page.click(`${item} button[data-action="share"]`);
  assert.deepEqual(await page.evaluate(() => window.shared), [{ url: link }]);
  const [shown, room] = await page.$eval(`${item} img`, (img) => [img.getBoundingClientRect().width, img.closest('li').clientWidth]);
  assert.ok(shown <= room && shown < 728, `the banner is scaled to the screen (${shown}px of ${room}px)`);
  // A deep link shares too.
  await page.fill('#deep-page', `${stack.shopUrl()}/store/cart/`);
  await page.click('#deep-link button[data-action="share"]');
  assert.deepEqual(await page.evaluate(() => window.shared.at(-1)), { url: `${stack.shopUrl()}/store/cart/?ref=alice` });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `no sideways scrolling at phone width (${overflow}px)`);
  assert.deepEqual(page.errors, []);
  await phone.close();
});
