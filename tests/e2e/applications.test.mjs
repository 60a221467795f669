// Applications, end to end in Chromium: a visitor finds the form on the portal's sign-in page (in
// Vietnamese), is told when the link name they want is taken, applies, and gets the program's
// email; the merchant reads what they wrote in their panel and approves them (the welcome goes
// out), declines another; the settings open the form to everyone at once with terms to accept.
// Saves the screenshots for the README.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startStack, stopStack, api, launch, newContext, newPage, signedInPage, uniqueId, until, mailBody, ARTIFACTS } from './harness.mjs';

let stack;
let browser;

before(async () => {
  stack = await startStack();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  if (stack) await stopStack(stack);
});

/** The mail to `to` whose body matches `re`, once the server's worker has sent it. */
const mailTo = (to, re) =>
  until(() => stack.mail.find((m) => m.includes(`To: ${to}`) && re.test(mailBody(m))), { timeout: 15000 }).then(mailBody);

/** The affiliate that applied with `email`. */
async function applicant(email) {
  const { affiliates } = await api(stack, 'GET', `/v1/affiliates?email=${encodeURIComponent(email)}`);
  assert.equal(affiliates.length, 1, `one affiliate with ${email}`);
  return affiliates[0];
}

async function applyPage(hash = '') {
  const page = await newPage(await newContext(browser, { viewport: { width: 900, height: 1300 } }));
  await page.goto(`${stack.base}/portal/?lang=vi${hash}`);
  return page;
}

async function fillForm(page, { name, email, id = '', website = '', message = '' }) {
  await page.fill('#apply-name', name);
  await page.fill('#apply-email', email);
  await page.fill('#apply-id', id);
  await page.fill('#apply-website', website);
  await page.fill('#apply-message', message);
}

test('a visitor applies from the portal; the merchant reads the application and approves it', async () => {
  const taken = uniqueId('taken');
  await api(stack, 'POST', '/v1/affiliates', { id: taken, name: 'Already here' });
  const email = `${uniqueId('lan')}@applicants.example`;

  const page = await applyPage();
  await page.waitForSelector('#apply-invite');
  assert.match(await page.textContent('#apply-invite'), /Chưa là cộng tác viên\?/);
  await page.click('#apply-open');
  await page.waitForSelector('#apply');
  assert.match(await page.textContent('#apply h1'), /Tham gia chương trình cộng tác viên của Demo shoe shop/);
  assert.equal(await page.$('#apply-terms'), null, 'the demo program has no terms');

  // A link name someone has: said in Vietnamese, nothing created.
  await fillForm(page, {
    name: 'Nguyễn Thị Lan',
    email,
    id: taken,
    website: 'https://lan-review.example/giay',
    message: 'Blog review giày.\nKênh TikTok 20k người theo dõi.',
  });
  await page.selectOption('#apply-category', 'influencer');
  await page.click('#apply-send');
  await page.waitForSelector('#apply [role=alert]');
  assert.match(await page.textContent('#apply [role=alert]'), /Tên liên kết này đã có người dùng.*affiliate_exists/);
  assert.equal((await api(stack, 'GET', `/v1/affiliates?email=${encodeURIComponent(email)}`)).total, 0);
  await (await page.$('#apply')).screenshot({ path: path.join(ARTIFACTS, 'portal-apply.png') });

  // Without a link name, one is made from the name.
  await page.fill('#apply-id', '');
  await page.click('#apply-send');
  await page.waitForSelector('#applied');
  assert.match(await page.textContent('#applied'), /Chúng tôi đã nhận đơn đăng ký/);
  assert.deepEqual(page.errors, []);
  const a = await applicant(email);
  assert.match(a.id, /^nguyen-thi-lan(-\d+)?$/);
  assert.equal(a.status, 'pending');
  assert.equal(a.category, 'influencer');
  assert.match(await mailTo(email, /đã nhận đơn đăng ký/), /Xin chào Nguyễn Thị Lan/);

  // The merchant: the overview counts it, the panel shows what they wrote, one click approves.
  const dash = await signedInPage(browser, stack, `#/affiliates?id=${a.id}`);
  await dash.waitForSelector('#application');
  const card = await dash.textContent('#application');
  assert.match(card, /Website or channel.*https:\/\/lan-review\.example\/giay/);
  assert.match(card, /The program had no terms/);
  assert.equal(await dash.textContent('#application-message'), 'Blog review giày.\nKênh TikTok 20k người theo dõi.');
  assert.equal(await dash.getAttribute('#application a', 'rel'), 'noopener noreferrer nofollow');
  await (await dash.$('#application')).screenshot({ path: path.join(ARTIFACTS, 'dashboard-application.png') });
  await dash.click('#application button[data-action="approve"]');
  await until(async () => (await api(stack, 'GET', `/v1/affiliates/${a.id}`)).status === 'approved');
  await dash.waitForSelector('#application');
  assert.equal(await dash.$('#application button[data-action="approve"]'), null, 'nothing left to decide');
  assert.match(await mailTo(email, /đã được duyệt/), /portal/);
  // The log says who applied.
  const log = await api(stack, 'GET', `/v1/activity?affiliate=${a.id}&action=affiliate.applied`);
  assert.equal(log.activity[0].by, `affiliate:${a.id}`);
  assert.deepEqual(dash.errors, []);
});

test('the merchant declines an application; the same address applying again creates nothing', async () => {
  const email = `${uniqueId('spam')}@applicants.example`;
  const page = await applyPage('#apply');
  await page.waitForSelector('#apply');
  await fillForm(page, { name: 'Cheap Followers', email, website: 'https://followers.example' });
  await page.click('#apply-send');
  await page.waitForSelector('#applied');
  const a = await applicant(email);

  const dash = await signedInPage(browser, stack, `#/affiliates?id=${a.id}`);
  dash.on('dialog', (d) => d.accept());
  await dash.waitForSelector('#application button[data-action="decline"]');
  await dash.click('#application button[data-action="decline"]');
  await until(async () => (await api(stack, 'GET', `/v1/affiliates/${a.id}`)).status === 'suspended');

  const again = await applyPage('#apply');
  await again.waitForSelector('#apply');
  await fillForm(again, { name: 'Cheap Followers', email: email.toUpperCase() });
  await again.click('#apply-send');
  await again.waitForSelector('#applied');
  assert.equal((await api(stack, 'GET', `/v1/affiliates?email=${encodeURIComponent(email)}`)).total, 1);
});

test('the settings open the form to everyone at once, with terms to accept', async () => {
  const before = await api(stack, 'GET', '/v1/program');
  const dash = await signedInPage(browser, stack, '#/settings');
  await dash.waitForSelector('#applications-settings');
  assert.match(await dash.textContent('#apply-where'), /\/portal\/#apply/);
  await dash.selectOption('#s-applications', 'auto');
  await dash.fill('#s-terms-url', 'https://shop.example/affiliate-terms');
  await dash.click('#save-program');
  await until(async () => (await api(stack, 'GET', '/v1/program')).applications === 'auto');
  assert.equal((await api(stack, 'GET', '/v1/program')).terms_url, 'https://shop.example/affiliate-terms');

  try {
    const email = `${uniqueId('minh')}@applicants.example`;
    const page = await applyPage('#apply');
    await page.waitForSelector('#apply-terms');
    assert.equal(await page.getAttribute('#apply a[target=_blank]', 'href'), 'https://shop.example/affiliate-terms');
    await fillForm(page, { name: 'Trần Minh', email });
    // The browser asks for the box before anything is sent.
    await page.click('#apply-send');
    assert.equal(await page.$('#applied'), null);
    assert.equal((await api(stack, 'GET', `/v1/affiliates?email=${encodeURIComponent(email)}`)).total, 0);
    await page.check('#apply-terms');
    await page.click('#apply-send');
    await page.waitForSelector('#applied');
    assert.match(await page.textContent('#applied'), /kiểm tra email/);
    const a = await applicant(email);
    assert.equal(a.status, 'approved');
    assert.equal(a.application.terms_url, 'https://shop.example/affiliate-terms');
  } finally {
    const { webhook_secret: _secret, ...restore } = before;
    await api(stack, 'PUT', '/v1/program', restore);
  }
});
