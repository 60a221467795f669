// The merchant's team in the dashboard: the owner invites a manager (the link shown to copy and
// emailed), the manager sets a password from the link and works under their own name in the
// activity log, without the owner's pages, and keeps her own name, emails and password; made a viewer, the same session reads but cannot
// change the settings; they sign in again with their email; removed, they are signed out. A viewer
// finds no control that changes anything on the other pages either, and reads all they show.
// Saves the screenshot for the README.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startStack, stopStack, api, launch, newContext, newPage, signedInPage, screenshot, uniqueId, browserClick, browserSale, creditApproved, mailBody, until } from './harness.mjs';

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

const navLinks = (page) => page.$$eval('header nav a', (as) => as.map((a) => a.getAttribute('href')));

test('an invited manager works under their own name; a viewer changes nothing; removal signs them out', async () => {
  const email = `${uniqueId('lan')}@shop.example`;
  const owner = await signedInPage(browser, stack, '#/team');
  owner.on('dialog', (d) => d.accept());
  await owner.waitForSelector('#invite-form');
  await owner.fill('#invite-name', 'Lan Nguyễn');
  await owner.fill('#invite-email', email);
  await owner.selectOption('#invite-role', 'manager');
  await owner.click('#invite-form button[type=submit]');
  await owner.waitForSelector('#invite-link');
  const link = await owner.$eval('#invite-link code', (c) => c.textContent);
  assert.match(link, new RegExp(`^${stack.base}/dashboard/#invite=ti_[A-Za-z0-9]+$`));
  assert.match(await owner.textContent('#invite-link'), new RegExp(`emailed to ${email.replace('.', '\\.')}`));
  const row = `#team-members tr[data-email="${email}"]`;
  assert.match(await owner.textContent(row), /Invited: the link works until/);
  // The same link went out by email.
  const message = await until(() => stack.mail.find((m) => m.toLowerCase().includes(`to: ${email}`)));
  assert.ok(mailBody(message).includes(link), mailBody(message));

  // Lan opens the link in her own browser and chooses a password.
  const lan = await newPage(await newContext(browser, { viewport: { width: 1100, height: 1000 } }));
  await lan.goto(link.replace('/dashboard/', '/dashboard/?lang=en'));
  await lan.waitForSelector('#accept-invite');
  await lan.fill('#new-password', 'mật khẩu đủ dài');
  await lan.fill('#new-password-again', 'mật khẩu khác');
  await lan.click('#accept-invite button[type=submit]');
  await lan.waitForSelector('#accept-invite .error-text');
  assert.match(await lan.textContent('#accept-invite'), /The two passwords differ/);
  await lan.fill('#new-password-again', 'mật khẩu đủ dài');
  await lan.click('#accept-invite button[type=submit]');
  await lan.waitForSelector('#sign-out');
  assert.equal(new URL(lan.url()).hash, '#/overview', 'the spent token leaves the address bar');
  assert.equal(await lan.textContent('#signed-in-as'), 'Lan Nguyễn · Manager');
  const links = await navLinks(lan);
  assert.ok(links.includes('#/referrals') && links.includes('#/settings'), links.join());
  assert.ok(!links.includes('#/team') && !links.includes('#/privacy'), 'the owner pages are not hers');

  // She approves a referral: the log names her.
  const affiliate = uniqueId('tm');
  await api(stack, 'POST', '/v1/affiliates', { id: affiliate, name: 'Team test', email: `${affiliate}@affiliates.example` });
  const referral = await browserSale(stack, await browserClick(stack, affiliate), 450000);
  await lan.goto(`${stack.base}/dashboard/?lang=en#/referrals?affiliate=${affiliate}`);
  await lan.click(`#referrals tr[data-id="${referral}"] button[data-action="approve"]`);
  await lan.waitForSelector(`#referrals tr[data-id="${referral}"][data-status="approved"]`);
  await owner.goto(`${stack.base}/dashboard/?lang=en#/activity`);
  await owner.waitForSelector(`table.activity tr[data-subject="${referral}"]`);
  assert.equal(await owner.getAttribute(`table.activity tr[data-subject="${referral}"]`, 'data-by'), `user:${email}`);
  assert.ok((await owner.textContent(`table.activity tr[data-subject="${referral}"]`)).includes(email));

  // Her own account: the name the log shows, her emails, her password.
  await lan.click('#signed-in-as');
  await lan.waitForSelector('#me-profile');
  assert.deepEqual(await lan.$$eval('#me-profile input[type=checkbox]', (bs) => bs.map((b) => [b.dataset.event, b.checked])), [
    ['affiliate.applied', true],
    ['referral.flagged', true],
    ['delivery.failed', true],
    ['payout.requested', true],
  ]);
  await lan.fill('#me-name', 'Lan Trần');
  await lan.uncheck('#me-profile input[data-event="affiliate.applied"]');
  await lan.click('#me-profile button[type=submit]');
  await lan.waitForFunction(() => document.querySelector('#signed-in-as')?.textContent === 'Lan Trần · Manager');
  const mine = await (await lan.request.get(`${stack.base}/v1/team/me`)).json();
  assert.deepEqual([mine.member.name, mine.member.notify], ['Lan Trần', ['referral.flagged', 'delivery.failed', 'payout.requested']]);
  await lan.fill('#me-current', 'not my password');
  await lan.fill('#me-password', 'mật khẩu mới đủ dài');
  await lan.fill('#me-password-again', 'mật khẩu mới đủ dài');
  await lan.click('#me-password-form button[type=submit]');
  await lan.waitForSelector('#me-password-form .state-error');
  assert.match(await lan.textContent('#me-password-form'), /current password is not right/);
  await lan.fill('#me-current', 'mật khẩu đủ dài');
  await lan.fill('#me-password', 'mật khẩu mới đủ dài');
  await lan.fill('#me-password-again', 'mật khẩu mới đủ dài');
  await lan.click('#me-password-form button[type=submit]');
  await lan.waitForSelector('#me-password-changed');
  await screenshot(lan, 'dashboard-account');

  // Made a viewer, her open session reads but changes nothing.
  await owner.goto(`${stack.base}/dashboard/?lang=en#/team`);
  await owner.waitForSelector(row);
  await owner.selectOption(`${row} select`, 'viewer');
  await owner.waitForSelector('#notice .notice');
  await lan.goto(`${stack.base}/dashboard/?lang=en#/settings`);
  await lan.reload();
  await lan.waitForSelector('#settings-owner-only');
  assert.equal(await lan.textContent('#signed-in-as'), 'Lan Trần · Viewer');
  assert.ok(await lan.isVisible('#read-only'));
  assert.ok(await lan.$eval('#s-name', (el) => el.disabled), 'the settings are read-only');
  assert.equal(await lan.$('#keys'), null, 'no keys for a viewer');
  assert.equal(await lan.$('#save-program'), null);
  await screenshot(lan, 'dashboard-viewer');

  // Signed out, she comes back with her email and password.
  await lan.click('#sign-out');
  await lan.waitForSelector('#password');
  await lan.fill('#email', email.toUpperCase());
  await lan.fill('#password', 'mật khẩu mới đủ dài');
  await lan.click('form.signin button[type=submit]');
  await lan.waitForSelector('#signed-in-as');

  // The team page, and the activity of its changes.
  await owner.reload();
  await owner.waitForSelector(`${row} td`);
  assert.match(await owner.textContent(row), /Active/);
  await screenshot(owner, 'dashboard-team');
  await owner.goto(`${stack.base}/dashboard/?lang=en#/activity?action=member.`);
  await owner.waitForSelector('table.activity tr[data-action="member.updated"]');
  assert.match(await owner.textContent('table.activity tr[data-action="member.updated"]'), /Role: manager → viewer/);

  // Removed: her next page is the sign-in form.
  await owner.goto(`${stack.base}/dashboard/?lang=en#/team`);
  await owner.click(`${row} .btn-danger`);
  await owner.waitForSelector(row, { state: 'detached' });
  await lan.reload();
  await lan.waitForSelector('#password');
  assert.deepEqual([...owner.errors, ...lan.errors], []);
});

/** A member of `role` invited and set up by the API, signed in to the dashboard in a new page. */
async function memberPage(role) {
  const email = `${uniqueId(role)}@shop.example`;
  const password = `${role} có mật khẩu dài`;
  const inv = await api(stack, 'POST', '/v1/team', { email, name: role, role });
  const accepted = await fetch(`${stack.base}/v1/team/accept`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ token: inv.invite_path.split('#invite=')[1], password }),
  });
  assert.equal(accepted.status, 201);
  const page = await newPage(await newContext(browser, { viewport: { width: 1100, height: 1200 } }));
  await page.goto(`${stack.base}/dashboard/?lang=en#/overview`);
  await page.fill('#email', email);
  await page.fill('#password', password);
  await page.click('form.signin button[type=submit]');
  await page.waitForSelector('#signed-in-as');
  return page;
}

/** How many elements `selector` matches that are shown (a viewer's `write` controls are not). */
const shownCount = (page, selector) => page.$$eval(selector, (els) => els.filter((el) => el.checkVisibility()).length);

test('a viewer reads every page but finds no control that changes anything; a manager still finds them', async () => {
  // What the pages show: an affiliate with a pending referral, a short link, a payout and a bonus
  // waiting for the next one; an applicant; a creative.
  const affiliate = uniqueId('ro');
  const coupon = affiliate.toUpperCase().replace(/[^A-Z0-9]/g, '');
  const made = await api(stack, 'POST', '/v1/affiliates', { id: affiliate, name: 'Read only', email: `${affiliate}@affiliates.example`, coupons: [coupon] });
  await creditApproved(stack, coupon, 1000000, 'VND');
  const payout = await api(stack, 'POST', '/v1/payouts', { affiliates: [affiliate] });
  await api(stack, 'POST', '/v1/bonuses', { affiliate, amount: 200000, currency: 'VND', reason: 'Read-only test' });
  const pending = await browserSale(stack, await browserClick(stack, affiliate), 450000);
  const link = await fetch(`${stack.base}/v1/me/links`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${made.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ landing_url: `${stack.shopUrl()}/store/` }),
  });
  assert.equal(link.status, 201, await link.text());
  const applicant = uniqueId('ro-app');
  await api(stack, 'POST', '/v1/affiliates', { id: applicant, name: 'Applicant', status: 'pending' });
  const creative = await api(stack, 'POST', '/v1/creatives', { name: uniqueId('Read-only banner'), kind: 'link', text: 'Sale' });

  const viewer = await memberPage('viewer');
  const manager = await memberPage('manager');
  const open = async (page, hash, ready) => {
    await page.goto(`${stack.base}/dashboard/?lang=en#${hash}`);
    await page.waitForSelector(ready);
  };
  // Each page's controls that change something, then what a viewer reads there.
  const pages = [
    {
      hash: `/referrals?affiliate=${affiliate}`,
      ready: `#referrals tr[data-id="${pending}"]`,
      writes: ['#referrals button[data-action="approve"]', '#referrals button[data-action="reject"]', '#referrals button[data-action="refund"]', '#select-all', '#referrals input.select-referral'],
      reads: ['#referrals tbody tr', '#referrals-csv', '#f-status'],
    },
    {
      hash: '/affiliates',
      ready: `#affiliates tr[data-id="${applicant}"]`,
      writes: ['#add-affiliate', '#import-affiliates', `#affiliates tr[data-id="${applicant}"] button[data-action="approve"]`],
      reads: ['#affiliates tbody tr', '#affiliates-csv', `#affiliates tr[data-id="${affiliate}"] a.btn`],
    },
    {
      hash: `/affiliates?id=${affiliate}`,
      // The postback box is drawn when its request answers, after the bonuses.
      ready: '#postback-url',
      writes: ['#edit-affiliate button[type=submit]', '#new-token', '#bonus-form', '#affiliate-bonuses button[data-action="cancel"]', '#short-links button', '#postback-save', '#postback-test', '#postback-macros button'],
      reads: ['#edit-affiliate #a-name', '#links code.link', '#links button', '#short-links tbody tr', '#affiliate-bonuses tbody tr', '#affiliate-certificates', '#postback-url', '#postback-macros code'],
    },
    {
      hash: '/creatives',
      ready: `#creatives li[data-id="${creative.id}"]`,
      writes: ['#new-creative', '#creatives button[data-action="edit"]', '#creatives button[data-action="archive"]', '#creatives button[data-action="delete"]'],
      reads: ['#creatives li .creative-preview', '#creatives button[data-action="open"]', 'button[data-show="archived"]'],
    },
    {
      hash: '/payouts',
      ready: `section.payout[data-id="${payout.id}"]`,
      writes: ['#create-payout', '#bonuses-to-pay button[data-action="cancel"]'],
      reads: [`section.payout[data-id="${payout.id}"] tr[data-affiliate="${affiliate}"]`, `section.payout[data-id="${payout.id}"] button[data-action="csv"]`, '#withholding-csv', '#withholding-certificates', '#bonuses-to-pay tbody tr'],
    },
  ];
  for (const { hash, ready, writes, reads } of pages) {
    await open(viewer, hash, ready);
    await open(manager, hash, ready);
    for (const selector of writes) {
      assert.equal(await shownCount(viewer, selector), 0, `a viewer is not shown ${selector} on ${hash}`);
      assert.ok((await shownCount(manager, selector)) > 0, `a manager is shown ${selector} on ${hash}`);
    }
    for (const selector of reads) assert.ok((await shownCount(viewer, selector)) > 0, `a viewer reads ${selector} on ${hash}`);
    assert.ok(await viewer.isVisible('#read-only'));
    assert.equal(await manager.$('#read-only'), null);

    if (hash.startsWith('/affiliates?id=')) {
      // The affiliate's details: disabled for the viewer, to change for the manager.
      assert.ok(await viewer.$eval('#edit-affiliate fieldset', (f) => f.disabled));
      for (const input of ['#a-name', '#a-email', '#a-payout-method', '#a-coupons', '#a-address', '#a-withholding-exempt', '#postback-url']) {
        assert.ok(await viewer.$eval(input, (el) => el.matches(':disabled')), `${input} is read-only`);
        assert.equal(await manager.$eval(input, (el) => el.matches(':disabled')), false, `${input} is the manager's to change`);
      }
      assert.equal(await viewer.inputValue('#a-name'), 'Read only');
      assert.equal(await viewer.inputValue('#a-coupons'), coupon);
    }
    if (hash === '/creatives') {
      // The viewer opens a creative's details, read-only.
      await viewer.click(`#creatives li[data-id="${creative.id}"] button[data-action="open"]`);
      await viewer.waitForSelector('#edit-creative');
      assert.ok(await viewer.$eval('#c-name', (el) => el.matches(':disabled')));
      assert.equal(await viewer.inputValue('#c-name'), creative.name);
      assert.equal(await shownCount(viewer, '#edit-creative button[type=submit]'), 0);
      assert.equal(await manager.$(`#creatives li[data-id="${creative.id}"] button[data-action="open"]`), null);
    }
    if (hash === '/payouts') {
      // Whether a line is sent is read, not changed.
      const sent = `section.payout[data-id="${payout.id}"] tr[data-affiliate="${affiliate}"] input[data-action="sent"]`;
      assert.ok(await viewer.$eval(sent, (el) => el.disabled));
      assert.equal(await manager.$eval(sent, (el) => el.disabled), false);
      // The CSV still downloads.
      const [file] = await Promise.all([viewer.waitForEvent('download'), viewer.click(`section.payout[data-id="${payout.id}"] button[data-action="csv"]`)]);
      assert.match(file.suggestedFilename(), /\.csv$/);
    }
  }
  // The ledger's CSV downloads for a viewer too.
  await open(viewer, `/referrals?affiliate=${affiliate}`, `#referrals tr[data-id="${pending}"]`);
  const [csv] = await Promise.all([viewer.waitForEvent('download'), viewer.click('#referrals-csv')]);
  assert.match(csv.suggestedFilename(), /^referrals-.*\.csv$/);
  assert.deepEqual([...viewer.errors, ...manager.errors], []);
});

/** RFC 6238: the six-digit code of the base32 `secret`, `steps` steps of 30 s from now. */
function totp(secret, steps = 0) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000) + steps));
  const mac = createHmac('sha1', key).update(counter).digest();
  const at = mac[mac.length - 1] & 0xf;
  return String((mac.readUInt32BE(at) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

test('a member turns two-factor sign-in on; the sign-in asks for the code; the owner turns it off', async () => {
  const email = `${uniqueId('binh')}@shop.example`;
  const inv = await api(stack, 'POST', '/v1/team', { email, name: 'Bình', role: 'manager' });
  const token = inv.invite_path.split('#invite=')[1];
  const accepted = await fetch(`${stack.base}/v1/team/accept`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token, password: 'bình có mật khẩu dài' }) });
  assert.equal(accepted.status, 201);

  const page = await newPage(await newContext(browser, { viewport: { width: 1100, height: 1000 } }));
  await page.goto(`${stack.base}/dashboard/?lang=en#/account`);
  await page.fill('#email', email);
  await page.fill('#password', 'bình có mật khẩu dài');
  await page.click('form.signin button[type=submit]');
  await page.waitForSelector('#me-two-factor');
  await page.click('#two-factor-setup');
  await page.waitForSelector('#two-factor-qr svg');
  const secret = await page.textContent('#two-factor-secret');
  await page.fill('#two-factor-on-code', '000000');
  await page.click('#two-factor-on button[type=submit]');
  await page.waitForSelector('#two-factor-on .state-error');
  await page.fill('#two-factor-on-code', totp(secret));
  await page.click('#two-factor-on button[type=submit]');
  await page.waitForSelector('#two-factor-off');
  assert.match(await page.textContent('#me-two-factor h2'), /On/);
  // Ten recovery codes, shown this once.
  const recovery = await page.$$eval('#recovery-codes li code', (cs) => cs.map((c) => c.textContent));
  assert.equal(recovery.length, 10);
  assert.match(await page.textContent('#recovery-left'), /Recovery codes left: 10/);

  // Signed out, the password alone is not enough.
  await page.click('#sign-out');
  await page.fill('#email', email);
  await page.fill('#password', 'bình có mật khẩu dài');
  await page.click('form.signin button[type=submit]');
  await page.waitForSelector('#code:visible');
  assert.equal(await page.$('#sign-out'), null);
  await page.fill('#code', totp(secret, 1));
  await page.click('form.signin button[type=submit]');
  await page.waitForSelector('#signed-in-as');
  // A lost phone: a recovery code signs in once in place of the app's.
  await page.click('#sign-out');
  await page.fill('#email', email);
  await page.fill('#password', 'bình có mật khẩu dài');
  await page.click('form.signin button[type=submit]');
  await page.waitForSelector('#code:visible');
  await page.fill('#code', recovery[0]);
  await page.click('form.signin button[type=submit]');
  await page.waitForSelector('#signed-in-as');
  await page.goto(`${stack.base}/dashboard/?lang=en#/account`);
  await page.waitForSelector('#recovery-left');
  assert.match(await page.textContent('#recovery-left'), /Recovery codes left: 9/);

  // The owner sees it on, and turns it off for a lost phone.
  const owner = await signedInPage(browser, stack, '#/team');
  owner.on('dialog', (d) => d.accept());
  const row = `#team-members tr[data-email="${email}"]`;
  await owner.waitForSelector(`${row} .two-factor .badge`);
  await owner.click(`${row} button[data-action="reset-two-factor"]`);
  await owner.waitForFunction((sel) => !document.querySelector(`${sel} .two-factor .badge`), row);
  const team = await api(stack, 'GET', '/v1/team');
  assert.equal(team.members.find((m) => m.email === email).two_factor, false);
  assert.deepEqual([...page.errors, ...owner.errors], []);
});

test('a team that requires two factors: a member without them sets them up before anything else', async () => {
  const email = `${uniqueId('chi')}@shop.example`;
  const inv = await api(stack, 'POST', '/v1/team', { email, name: 'Chi', role: 'viewer' });
  const token = inv.invite_path.split('#invite=')[1];

  // The owner requires two-factor sign-in on the Team page.
  const owner = await signedInPage(browser, stack, '#/team');
  await owner.waitForSelector('#team-require-two-factor');
  await owner.check('#team-require-two-factor');
  await owner.waitForSelector('#notice .notice');
  assert.equal((await api(stack, 'GET', '/v1/team')).require_two_factor, true);

  // Chi sets a password from the invitation, and lands on her account with the reason.
  const page = await newPage(await newContext(browser, { viewport: { width: 1100, height: 1000 } }));
  await page.goto(`${stack.base}/dashboard/?lang=en#invite=${token}`);
  await page.fill('#new-password', 'chi có mật khẩu dài');
  await page.fill('#new-password-again', 'chi có mật khẩu dài');
  await page.click('#accept-invite button[type=submit]');
  await page.waitForSelector('#two-factor-due');
  assert.deepEqual(await page.$$eval('header nav a', (as) => as.length), 0, 'no other page yet');
  await page.goto(`${stack.base}/dashboard/?lang=en#/referrals`);
  await page.waitForSelector('#two-factor-due');

  // Set up, the dashboard opens.
  await page.click('#two-factor-setup');
  await page.waitForSelector('#two-factor-secret');
  await page.fill('#two-factor-on-code', totp(await page.textContent('#two-factor-secret')));
  await page.click('#two-factor-on button[type=submit]');
  await page.waitForSelector('#recovery-codes');
  await page.click('#recovery-done');
  await page.waitForSelector('header nav a[href="#/referrals"]');
  assert.equal(await page.$('#two-factor-due'), null);

  // The log names the change of policy; it is turned off again for the other tests.
  await owner.goto(`${stack.base}/dashboard/?lang=en#/activity?action=team.`);
  await owner.waitForSelector('table.activity tr[data-action="team.policy_changed"]');
  assert.match(await owner.textContent('table.activity tr[data-action="team.policy_changed"]'), /Require two-factor sign-in of every member: false → true/);
  await api(stack, 'PUT', '/v1/team/policy', { require_two_factor: false });
  assert.deepEqual([...page.errors, ...owner.errors], []);
});
