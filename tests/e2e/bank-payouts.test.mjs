// Bank-transfer payouts in the merchant dashboard: affiliates paid by VietQR (a Vietnamese bank
// account) and PromptPay set up through the affiliate form (with the server's error for a bad
// account), credited, approved and batched; each bank line shows its bank, account and holder,
// and "Show QR" draws the line's transfer_qr as a QR code with the amount under it; the CSV button
// is PayPal's and appears only for batches with PayPal lines. Each line's "Sent" box marks its
// transfer sent (or not), counted in the batch's header, kept by the API and shown in the
// affiliate's payout history. Phone width too; saves the screenshot of a shown QR for the README. In the portal, the affiliate sets where their own
// payouts go (the merchant's API sees it, a refused id changes nothing), with its screenshot.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startStack, stopStack, api, launch, newContext, newPage, uniqueId, until, screenshot, mailBody, CREDS, signedInPage, creditApproved } from './harness.mjs';

let stack;
let browser;
const ids = {};

before(async () => {
  stack = await startStack();
  browser = await launch();
  // Settle the demo's approved balances first, so the batches below hold this test's lines only.
  await api(stack, 'POST', '/v1/payouts', { note: 'Demo balances' });
});

after(async () => {
  await browser?.close();
  if (stack) await stopStack(stack);
});

const signedIn = (hash, viewport) => signedInPage(browser, stack, hash, viewport);

/** The HTTP status of a GET with the secret key. */
async function statusOf(p) {
  const r = await fetch(stack.base + p, { headers: { Authorization: `Bearer ${CREDS.REFTRAIL_SECRET_KEY}` } });
  await r.arrayBuffer();
  return r.status;
}

/** A sale credited to `affiliate` through its coupon, its referral approved. */

/** Creates a batch of `currency` in the payouts view and answers its id (from the API). */
async function createBatch(page, currency) {
  const known = new Set((await api(stack, 'GET', '/v1/payouts')).payouts.map((p) => p.id));
  await page.selectOption('#payout-currency', currency);
  await page.click('#create-payout');
  const batch = await until(async () => (await api(stack, 'GET', '/v1/payouts')).payouts.find((p) => !known.has(p.id)));
  await page.waitForSelector(`section.payout[data-id="${batch.id}"]`);
  return batch.id;
}

/** The `d` of every path of an SVG, to compare two renderings of one QR code. */
const pathsOf = (svg) => [...svg.matchAll(/\sd="([^"]+)"/g)].map((m) => m[1]);

/** What the QR library draws for `text` in `page` (the library the dashboard loads). */
function librarySvg(page, text) {
  return page.evaluate(async (t) => (await import(new URL('../vendor/qrcode.js', location.href).href)).qrSvg(t), text);
}

test('affiliate form: VietQR with a bank from the list (a bad account shows the server’s error), PromptPay with a mobile number', async () => {
  const page = await signedIn('#/affiliates');
  await page.waitForSelector('#add-affiliate');

  await page.click('#add-affiliate');
  ids.vietqr = uniqueId('vqr');
  ids.vietqrCoupon = `VQR${Date.now().toString(36).toUpperCase()}`;
  await page.fill('#a-id', ids.vietqr);
  await page.fill('#a-name', 'Nguyễn Văn An');
  await page.fill('#a-email', `${ids.vietqr}@affiliates.example`);
  await page.fill('#a-coupons', ids.vietqrCoupon);
  // PayPal by default: the PayPal email field, no bank fields.
  assert.equal(await page.inputValue('#a-payout-method'), 'paypal');
  assert.ok(await page.isVisible('#a-payout'));
  assert.ok(await page.isHidden('#a-bank'));
  await page.selectOption('#a-payout-method', 'vietqr');
  assert.ok(await page.isHidden('#a-payout'));
  assert.ok(await page.isVisible('#a-bank') && await page.isVisible('#a-bank-account') && await page.isVisible('#a-payout-name'));
  // Every listed bank by name, its NAPAS BIN as the value, then "Other".
  const options = await page.$$eval('#a-bank option', (os) => os.map((o) => [o.value, o.textContent]));
  const banks = options.slice(1, -1);
  assert.equal(banks.length, 50);
  assert.deepEqual(banks.map((b) => b[1]), [...banks.map((b) => b[1])].sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' })));
  assert.ok(banks.every(([bin]) => /^\d{6}$/.test(bin)));
  assert.deepEqual(options.find((o) => o[1] === 'Vietcombank'), ['970436', 'Vietcombank']);
  assert.deepEqual(options.at(-1), ['other', 'Other (enter BIN)']);
  await page.selectOption('#a-bank', 'other');
  assert.ok(await page.isVisible('#a-bank-bin'), 'Other asks for the BIN');
  await page.selectOption('#a-bank', '970436');
  assert.ok(await page.isHidden('#a-bank-bin'));
  await page.fill('#a-bank-account', '0011/001932418');
  await page.fill('#a-payout-name', 'NGUYEN VAN AN');
  await page.click('#new-affiliate button[type=submit]');

  // The server refuses the account; the form says so with its code, at the field, and nothing is created.
  const err = await page.waitForSelector('#new-affiliate .state-error');
  assert.match(await err.textContent(), /\(invalid_payout_account\)/);
  assert.equal(await page.getAttribute('#a-bank-account', 'aria-invalid'), 'true');
  assert.equal(await statusOf(`/v1/affiliates/${ids.vietqr}`), 404);

  // Spaces are fine: the server keeps the digits.
  await page.fill('#a-bank-account', '0011 0019 32418');
  await page.click('#new-affiliate button[type=submit]');
  await page.waitForSelector('#magic-link');
  const a = await api(stack, 'GET', `/v1/affiliates/${ids.vietqr}`);
  assert.deepEqual(a.payout, { method: 'vietqr', bank: '970436', account: '0011001932418', name: 'NGUYEN VAN AN' });
  // The affiliate's view opens with what was saved.
  await page.waitForSelector('#edit-affiliate');
  assert.equal(await page.inputValue('#a-payout-method'), 'vietqr');
  assert.equal(await page.inputValue('#a-bank'), '970436');
  assert.equal(await page.inputValue('#a-bank-account'), '0011001932418');
  assert.equal(await page.inputValue('#a-payout-name'), 'NGUYEN VAN AN');

  // PromptPay: a mobile number as people write it.
  await page.click('#add-affiliate');
  ids.promptpay = uniqueId('ppay');
  ids.promptpayCoupon = `PPAY${Date.now().toString(36).toUpperCase()}`;
  await page.fill('#a-id', ids.promptpay);
  await page.fill('#a-name', 'Somchai Jaidee');
  await page.fill('#a-coupons', ids.promptpayCoupon);
  await page.selectOption('#a-payout-method', 'promptpay');
  assert.ok(await page.isHidden('#a-bank'));
  assert.ok(await page.isVisible('#a-promptpay'));
  await page.fill('#a-promptpay', '+66 81 234 5678');
  await page.fill('#a-payout-name', 'Somchai Jaidee');
  await page.click('#new-affiliate button[type=submit]');
  await page.waitForSelector('#magic-link');
  const p = await api(stack, 'GET', `/v1/affiliates/${ids.promptpay}`);
  assert.equal(p.payout.method, 'promptpay');
  assert.equal(p.payout.account, '0812345678');
  assert.equal(p.payout.name, 'Somchai Jaidee');
  assert.ok(!p.payout.bank, 'no bank for PromptPay');
  assert.deepEqual(page.errors.map(String), []);
});

test('payouts: a PromptPay batch in THB (QR, no CSV), then a VND batch with a PayPal and a VietQR line (QR shown, PayPal CSV)', async () => {
  assert.ok(ids.vietqr && ids.promptpay, 'the affiliates of the test above');
  ids.paypal = uniqueId('pp');
  const paypalCoupon = `PAYPAL${Date.now().toString(36).toUpperCase()}`;
  await api(stack, 'POST', '/v1/affiliates', { id: ids.paypal, name: 'Paula Pay', email: `${ids.paypal}@affiliates.example`, payout_email: `paypal-${ids.paypal}@affiliates.example`, category: 'content', coupons: [paypalCoupon] });
  await creditApproved(stack, ids.vietqrCoupon, 2500000, 'VND');
  await creditApproved(stack, ids.promptpayCoupon, 125000, 'THB');
  await creditApproved(stack, paypalCoupon, 1000000, 'VND');

  const page = await signedIn('#/payouts');
  await page.waitForSelector('#balances');
  const fmt = (minor, currency) => page.evaluate(([n, c]) => new Intl.NumberFormat('en-US', { style: 'currency', currency: c }).format(c === 'VND' ? n : n / 100), [minor, currency]);

  // THB: the PromptPay line alone. Bank lines only: no CSV.
  const thbId = await createBatch(page, 'THB');
  const thb = await api(stack, 'GET', `/v1/payouts/${thbId}`);
  assert.equal(thb.lines.length, 1);
  const pp = thb.lines[0];
  assert.equal(pp.method, 'promptpay');
  assert.ok(pp.transfer_qr.startsWith('000201') && pp.transfer_qr.includes('A000000677010111'), pp.transfer_qr);
  const thbSection = `section.payout[data-id="${thbId}"]`;
  assert.equal(await page.$(`${thbSection} button[data-action="csv"]`), null, 'no PayPal lines, no CSV');
  const ppRow = await page.waitForSelector(`${thbSection} tr[data-affiliate="${ids.promptpay}"]`);
  const ppText = await ppRow.textContent();
  assert.ok(ppText.includes('PromptPay') && ppText.includes('0812345678') && ppText.includes('Somchai Jaidee'), ppText);
  await ppRow.$eval('button[data-action="qr"]', (b) => b.click());
  const ppSvg = await page.waitForSelector(`${thbSection} tr.qr-row .transfer-qr svg`);
  assert.deepEqual(pathsOf(await ppSvg.evaluate((e) => e.outerHTML)), pathsOf(await librarySvg(page, pp.transfer_qr)), 'the QR of the line’s payload');
  assert.equal(await page.textContent(`${thbSection} .qr-amount`), await fmt(pp.amount, 'THB'));

  // VND: the PayPal and the VietQR line.
  const vndId = await createBatch(page, 'VND');
  const vnd = await api(stack, 'GET', `/v1/payouts/${vndId}`);
  assert.deepEqual(vnd.lines.map((l) => l.affiliate).sort(), [ids.paypal, ids.vietqr].sort());
  const line = vnd.lines.find((l) => l.affiliate === ids.vietqr);
  assert.equal(line.method, 'vietqr');
  assert.equal(line.amount, 200000, '8 % of 2,500,000 VND');
  assert.equal(line.paypal_email, null);
  assert.ok(line.transfer_qr.startsWith('000201'), line.transfer_qr);
  assert.ok(line.transfer_qr.includes('A000000727'), line.transfer_qr);
  assert.ok(line.transfer_qr.includes('0006970436' + '0113' + '0011001932418'), 'the bank and the account');
  const section = `section.payout[data-id="${vndId}"]`;
  const row = await page.waitForSelector(`${section} tr[data-affiliate="${ids.vietqr}"]`);
  const shown = await row.textContent();
  for (const s of ['Bank transfer (VietQR)', 'Vietcombank', '0011001932418', 'NGUYEN VAN AN', await fmt(200000, 'VND')]) assert.ok(shown.includes(s), `${shown} shows ${s}`);
  const paypalRow = await page.textContent(`${section} tr[data-affiliate="${ids.paypal}"]`);
  assert.ok(paypalRow.includes('PayPal') && paypalRow.includes(`paypal-${ids.paypal}@affiliates.example`), paypalRow);
  assert.equal(await row.$('button[data-action="qr"][aria-expanded="false"]').then((b) => b.textContent()), 'Show QR');
  await row.$eval('button[data-action="qr"]', (b) => b.click());
  const svg = await page.waitForSelector(`${section} tr.qr-row .transfer-qr svg`);
  assert.deepEqual(pathsOf(await svg.evaluate((e) => e.outerHTML)), pathsOf(await librarySvg(page, line.transfer_qr)), 'the QR of the line’s payload');
  const box = await svg.boundingBox();
  assert.ok(box.width >= 250 && box.height >= 250, `big enough to scan off a screen: ${box.width}×${box.height}`);
  assert.equal(await page.textContent(`${section} .qr-amount`), await fmt(200000, 'VND'));
  assert.equal(await row.$eval('button[data-action="qr"]', (b) => b.getAttribute('aria-expanded')), 'true');

  // The CSV is PayPal's: its line only.
  const csvButton = await page.$(`${section} button[data-action="csv"]`);
  assert.equal(await csvButton.textContent(), 'Download PayPal CSV');
  const [download] = await Promise.all([page.waitForEvent('download'), csvButton.click()]);
  const csv = await fs.promises.readFile(await download.path(), 'utf8');
  assert.equal(csv.trim().split(/\r?\n/).length, 1, csv);
  assert.ok(csv.includes(`paypal-${ids.paypal}@affiliates.example`) && !csv.includes(ids.vietqr), csv);

  // The screenshot for the README: the payouts view with the VietQR line's QR code shown.
  // The top of the view down to the QR code, without the passing "created" notice.
  await page.evaluate(() => document.getElementById('notice')?.replaceChildren());
  const qrBox = await page.$eval(`${section} tr.qr-row`, (e) => e.getBoundingClientRect().bottom + window.scrollY);
  await screenshot(page, 'dashboard-payout-qr', { clip: { x: 0, y: 0, width: 1100, height: Math.ceil(qrBox) + 24 } });
  assert.deepEqual(page.errors.map(String), []);
  ids.vndPayout = vndId;
});

test('payouts: the merchant ticks off the VietQR line as sent (kept on reload, in the API and in the affiliate’s portal), then unticks it', async () => {
  assert.ok(ids.vndPayout, 'the batch of the test above');
  const page = await signedIn('#/payouts');
  const section = `section.payout[data-id="${ids.vndPayout}"]`;
  const box = `${section} tr[data-affiliate="${ids.vietqr}"] input[type=checkbox][data-action="sent"]`;
  const progress = `${section} .sent-progress`;
  const sentAt = async () => (await api(stack, 'GET', `/v1/payouts/${ids.vndPayout}`)).lines.find((l) => l.affiliate === ids.vietqr).sent_at;
  await page.waitForSelector(box);
  assert.equal(await page.textContent(progress), '0 of 2 sent');
  assert.equal(await page.isChecked(box), false);
  // Each box is named by its line for screen readers.
  assert.equal(await page.locator(box).evaluate((i) => i.labels[0].textContent.replace(/\s+/g, ' ').trim()), `Transfer to ${ids.vietqr}: Sent`);
  assert.equal(await page.getByRole('checkbox', { name: `Transfer to ${ids.paypal}: Sent` }).count(), 1);

  // A refused call leaves the line unsent and says why.
  await page.route('**/sent', (route) => route.fulfill({ status: 500, contentType: 'application/json', body: JSON.stringify({ error: { code: 'internal', message: 'Something went wrong' } }) }));
  await page.click(box);
  await page.waitForSelector('#notice .notice-bad');
  assert.equal(await page.textContent('#notice'), 'Something went wrong (internal)');
  await until(async () => !(await page.isChecked(box)) && (await page.isEnabled(box)));
  assert.equal(await page.textContent(progress), '0 of 2 sent');
  assert.equal(await sentAt(), null);
  await page.unroute('**/sent');
  await page.evaluate(() => document.getElementById('notice')?.replaceChildren());

  await page.click(box);
  await page.waitForSelector(`${section} tr[data-affiliate="${ids.vietqr}"][data-sent]`);
  assert.equal(await page.textContent(progress), '1 of 2 sent');
  assert.equal(await page.$(`${progress} .badge`), null, 'not done yet');
  const at = await sentAt();
  assert.match(at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const shownAt = await page.evaluate((iso) => new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso)), at);
  const mark = `${section} tr[data-affiliate="${ids.vietqr}"] .sent-text`;
  assert.equal(await page.textContent(mark), `Sent ${shownAt}`);

  // Kept: after a reload the box is ticked with the same time.
  await page.reload();
  await page.waitForSelector(box);
  assert.equal(await page.isChecked(box), true);
  assert.equal(await page.textContent(mark), `Sent ${shownAt}`);
  assert.equal(await page.textContent(progress), '1 of 2 sent');
  assert.equal(await page.isChecked(`${section} tr[data-affiliate="${ids.paypal}"] input[data-action="sent"]`), false);

  // The affiliate's payout history says it was sent (at phone width, where the table stacks).
  const { token } = await api(stack, 'POST', `/v1/affiliates/${ids.vietqr}/token`);
  const ctx = await newContext(browser, { viewport: { width: 390, height: 844 } });
  const portal = await newPage(ctx);
  await portal.goto(`${stack.base}/portal/?lang=en#token=${token}`);
  const row = `#payout-history tbody tr[data-id="${ids.vndPayout}"]`;
  await portal.waitForSelector(row);
  const day = await portal.evaluate((iso) => new Intl.DateTimeFormat('en-US', { dateStyle: 'medium' }).format(new Date(iso)), at);
  assert.equal(await portal.textContent(`${row} td.transfer`), `Sent ${day}`);
  const overflow = await portal.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `no sideways scrolling at phone width (${overflow}px)`);

  // Unticked: not sent any more, here, in the API and in the portal.
  await page.click(box);
  await until(async () => (await page.textContent(progress)) === '0 of 2 sent');
  assert.equal(await page.isChecked(box), false);
  assert.equal(await page.textContent(mark), 'Sent');
  assert.equal(await page.$(`${section} tr[data-affiliate="${ids.vietqr}"][data-sent]`), null);
  assert.equal(await sentAt(), null);
  await portal.reload();
  assert.equal(await portal.waitForSelector(`${row} td.transfer`).then((c) => c.textContent()), 'On its way');

  // Both lines sent: the batch is done.
  await page.click(box);
  await page.waitForSelector(`${section} tr[data-affiliate="${ids.vietqr}"][data-sent]`);
  await page.click(`${section} tr[data-affiliate="${ids.paypal}"] input[data-action="sent"]`);
  await page.waitForSelector(`${progress} .badge`);
  assert.equal(await page.textContent(progress), '2 of 2 sent All sent');
  assert.deepEqual(page.errors.map(String), []);
  assert.deepEqual(portal.errors.map(String), []);
  await ctx.close();
});

test('payouts at phone width, and in Vietnamese: the QR fits the screen', async () => {
  assert.ok(ids.vndPayout, 'the batch of the test above');
  const page = await signedIn('#/payouts', { width: 390, height: 844 });
  const section = `section.payout[data-id="${ids.vndPayout}"]`;
  const row = await page.waitForSelector(`${section} tr[data-affiliate="${ids.vietqr}"]`);
  await row.$eval('button[data-action="qr"]', (b) => b.click());
  const svg = await page.waitForSelector(`${section} tr.qr-row .transfer-qr svg`);
  const box = await svg.boundingBox();
  assert.ok(box.width >= 250 && box.x >= 0 && box.x + box.width <= 390, `${box.x} + ${box.width} at 390px`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `no sideways scrolling at phone width (${overflow}px)`);
  await svg.scrollIntoViewIfNeeded();
  await screenshot(page, 'dashboard-payout-qr-phone', { fullPage: false });

  await page.goto(`${stack.base}/dashboard/?lang=vi#/payouts`);
  const vi = await page.waitForSelector(`${section} tr[data-affiliate="${ids.vietqr}"]`);
  assert.match(await vi.textContent(), /Chuyển khoản ngân hàng \(VietQR\).*Vietcombank/);
  assert.equal(await vi.$eval('button[data-action="qr"]', (b) => b.textContent), 'Hiện mã QR');
  assert.equal(await page.textContent(`${section} button[data-action="csv"]`), 'Tải CSV PayPal');
  assert.deepEqual(page.errors.map(String), []);
});

test('affiliate form: another bank by its BIN, then back to PayPal; past payout lines keep what they paid to', async () => {
  assert.ok(ids.vndPayout, 'the batch of the test above');
  const page = await signedIn(`#/affiliates?id=${ids.vietqr}`);
  await page.waitForSelector('#edit-affiliate');
  await page.selectOption('#a-bank', 'other');
  await page.fill('#a-bank-bin', '970999');
  await page.fill('#a-bank-account', '9704-1234.5678');
  await page.click('#edit-affiliate button[type=submit]');
  await until(async () => (await api(stack, 'GET', `/v1/affiliates/${ids.vietqr}`)).payout?.bank === '970999');
  assert.deepEqual((await api(stack, 'GET', `/v1/affiliates/${ids.vietqr}`)).payout, { method: 'vietqr', bank: '970999', account: '970412345678', name: 'NGUYEN VAN AN' });
  // An unlisted BIN opens as "Other" with the BIN.
  await page.reload();
  await page.waitForSelector('#edit-affiliate');
  assert.equal(await page.inputValue('#a-bank'), 'other');
  assert.equal(await page.inputValue('#a-bank-bin'), '970999');

  await page.selectOption('#a-payout-method', 'paypal');
  assert.ok(await page.isHidden('#a-bank') && await page.isHidden('#a-payout-name'));
  await page.fill('#a-payout', 'an.paypal@affiliates.example');
  await page.click('#edit-affiliate button[type=submit]');
  await until(async () => (await api(stack, 'GET', `/v1/affiliates/${ids.vietqr}`)).payout === null);
  assert.equal((await api(stack, 'GET', `/v1/affiliates/${ids.vietqr}`)).payout_email, 'an.paypal@affiliates.example');
  // The PayPal email emptied: removed, paid to the contact address again.
  await page.reload();
  await page.waitForSelector('#edit-affiliate');
  assert.equal(await page.inputValue('#a-payout'), 'an.paypal@affiliates.example');
  await page.fill('#a-payout', '');
  await page.click('#edit-affiliate button[type=submit]');
  await until(async () => (await api(stack, 'GET', `/v1/affiliates/${ids.vietqr}`)).payout_email === null);

  const past = (await api(stack, 'GET', `/v1/payouts/${ids.vndPayout}`)).lines.find((l) => l.affiliate === ids.vietqr);
  assert.deepEqual([past.method, past.bank, past.account], ['vietqr', '970436', '0011001932418']);
  await page.goto(`${stack.base}/dashboard/?lang=en#/payouts`);
  const row = await page.waitForSelector(`section.payout[data-id="${ids.vndPayout}"] tr[data-affiliate="${ids.vietqr}"]`);
  assert.match(await row.textContent(), /Vietcombank/);
  assert.deepEqual(page.errors.map(String), []);
});

test('portal: the affiliate sets where their payouts go (VietQR by bank name, a refused PromptPay id, back to PayPal); the merchant sees each change', async () => {
  const id = uniqueId('self');
  const contact = `${id}@affiliates.example`;
  const { token } = await api(stack, 'POST', '/v1/affiliates', { id, name: 'Trần Thị Bích', email: contact, category: 'content' });
  const merchantView = () => api(stack, 'GET', `/v1/affiliates/${id}`);
  const ctx = await newContext(browser, { viewport: { width: 1100, height: 1200 } });
  const page = await newPage(ctx);
  await page.goto(`${stack.base}/portal/?lang=en#token=${token}`);
  await page.waitForSelector('#payout-details');
  const shown = (f) => page.textContent(`#payout-now dd[data-field="${f}"]`);

  // PayPal to the contact address until told otherwise.
  assert.equal(await page.textContent('#payout-details-title'), 'How you get paid');
  assert.equal(await shown('method'), 'PayPal');
  assert.equal(await shown('email'), `${contact} (your contact email)`);
  await page.click('#payout-change');
  assert.ok(await page.isHidden('#payout-change'));
  assert.equal(await page.evaluate(() => document.activeElement.id), 'my-payout-method');
  assert.equal(await page.inputValue('#my-payout-method'), 'paypal');
  assert.equal(await page.inputValue('#my-payout'), contact);
  assert.ok(await page.isHidden('#my-bank'));

  // VietQR: the bank by its name (the same list as the dashboard's), the account as people write it.
  await page.selectOption('#my-payout-method', 'vietqr');
  assert.ok(await page.isHidden('#my-payout'));
  const options = await page.$$eval('#my-bank option', (os) => os.map((o) => o.textContent));
  assert.equal(options.length, 52, 'the 50 banks, "Choose…" and "Other"');
  assert.equal(options.at(-1), 'Other (enter BIN)');
  await page.selectOption('#my-bank', { label: 'Techcombank' });
  assert.ok(await page.isHidden('#my-bank-bin'));
  await page.fill('#my-bank-account', '0011 0019-32.418');
  await page.fill('#my-payout-name', 'TRAN THI BICH');
  const sent = stack.mail.length;
  await page.click('#payout-form button[type=submit]');
  await page.waitForSelector('#payout-status p');
  assert.equal(await page.textContent('#payout-status'), `Saved. We email you at ${contact} whenever these details change.`);
  assert.equal(await page.$('#payout-form'), null, 'the form closes');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'payout-change');
  // Saved as the server cleaned it.
  assert.equal(await shown('method'), 'Bank transfer (VietQR)');
  assert.equal(await shown('bank'), 'Techcombank');
  assert.equal(await shown('account'), '0011001932418');
  assert.equal(await shown('name'), 'TRAN THI BICH');
  const vietqr = { method: 'vietqr', bank: '970407', account: '0011001932418', name: 'TRAN THI BICH' };
  assert.deepEqual((await merchantView()).payout, vietqr, 'the merchant’s API has it');
  // The notice of the change goes to the contact address, naming the account by its end.
  const notice = await until(() => stack.mail.slice(sent).find((m) => m.includes(contact) && mailBody(m).includes('2418')), { timeout: 20000 });
  assert.ok(!mailBody(notice).includes('0011001932418'), 'never the whole account number');

  // The screenshot for the README: the saved details, the note, and the form opened on them.
  await page.click('#payout-change');
  assert.equal(await page.inputValue('#my-payout-method'), 'vietqr');
  assert.equal(await page.inputValue('#my-bank'), '970407');
  assert.equal(await page.inputValue('#my-bank-account'), '0011001932418');
  await page.evaluate(() => document.activeElement.blur());
  const clip = await page.evaluate(() => {
    const top = document.getElementById('payout-details-title').getBoundingClientRect().top + window.scrollY;
    const bottom = document.getElementById('payout-details').getBoundingClientRect().bottom + window.scrollY;
    return { x: 0, y: Math.floor(top) - 12, width: document.documentElement.clientWidth, height: Math.ceil(bottom - top) + 24 };
  });
  await screenshot(page, 'portal-payout-details', { clip });

  // A PromptPay id with a wrong check digit: the server's error on the form, the field pointed
  // at, nothing changed.
  await page.selectOption('#my-payout-method', 'promptpay');
  assert.ok(await page.isHidden('#my-bank') && await page.isVisible('#my-promptpay'));
  await page.fill('#my-promptpay', '1101801234564');
  await page.fill('#my-payout-name', 'Somchai');
  await page.click('#payout-form button[type=submit]');
  const error = await page.waitForSelector('#payout-form [role=alert]');
  assert.match(await error.textContent(), /The account number or PromptPay id is not valid\. \(invalid_payout_account\)/);
  assert.equal(await page.getAttribute('#my-promptpay', 'aria-invalid'), 'true');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'my-promptpay');
  assert.deepEqual((await merchantView()).payout, vietqr, 'nothing changed');
  assert.equal(await shown('account'), '0011001932418');
  assert.equal(await page.isEnabled('#payout-form button[type=submit]'), true, 'free to try again');

  // Back to PayPal, to another PayPal account than the contact address.
  await page.selectOption('#my-payout-method', 'paypal');
  assert.equal(await page.inputValue('#my-payout'), contact);
  await page.fill('#my-payout', `paypal-${contact}`);
  await page.click('#payout-form button[type=submit]');
  await page.waitForSelector('#payout-status p');
  assert.equal(await shown('method'), 'PayPal');
  assert.equal(await shown('email'), `paypal-${contact}`);
  const a = await merchantView();
  assert.equal(a.payout, null);
  assert.equal(a.payout_email, `paypal-${contact}`);
  assert.equal(a.email, contact);

  // The contact address typed back: no PayPal email of its own, payouts follow the contact address.
  await page.click('#payout-change');
  assert.equal(await page.inputValue('#my-payout'), `paypal-${contact}`);
  await page.fill('#my-payout', contact);
  await page.click('#payout-form button[type=submit]');
  await page.waitForSelector('#payout-form', { state: 'detached' });
  assert.equal(await shown('email'), `${contact} (your contact email)`);
  assert.equal((await merchantView()).payout_email, null);
  assert.deepEqual(page.errors.map(String), []);
  await ctx.close();
});

test('portal at phone width, in Vietnamese: the payout form fits the screen', async () => {
  const id = uniqueId('phone');
  const { token } = await api(stack, 'POST', '/v1/affiliates', { id, name: 'Lê Văn Cường', email: `${id}@affiliates.example`, category: 'content' });
  const ctx = await newContext(browser, { viewport: { width: 390, height: 844 } });
  const page = await newPage(ctx);
  await page.goto(`${stack.base}/portal/?lang=vi#token=${token}`);
  await page.waitForSelector('#payout-details');
  assert.equal(await page.textContent('#payout-details-title'), 'Cách bạn nhận tiền');
  await page.click('#payout-change');
  await page.selectOption('#my-payout-method', 'vietqr');
  await page.selectOption('#my-bank', 'other');
  assert.ok(await page.isVisible('#my-bank-bin'), '“Khác” asks for the BIN');
  assert.equal(await page.textContent('label[for="my-bank-account"]'), 'Số tài khoản');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `no sideways scrolling at phone width (${overflow}px)`);
  const box = await page.$eval('#payout-form', (f) => f.getBoundingClientRect().toJSON());
  assert.ok(box.x >= 0 && box.right <= 390, `${box.x}…${box.right} at 390px`);
  await page.fill('#my-bank-bin', '970999');
  await page.fill('#my-bank-account', '1234-5678');
  await page.locator('#payout-form').scrollIntoViewIfNeeded();
  await screenshot(page, 'portal-payout-details-phone', { fullPage: false });
  await page.click('#payout-form button[type=submit]');
  await page.waitForSelector('#payout-status p');
  // An unlisted bank shows as its BIN.
  assert.equal(await page.textContent('#payout-now dd[data-field="bank"]'), '970999');
  assert.equal(await page.textContent('#payout-now dd[data-field="account"]'), '12345678');
  assert.match(await page.textContent('#payout-status'), /Đã lưu\. Chúng tôi sẽ gửi email tới .* mỗi khi thông tin này thay đổi\./);
  assert.deepEqual(page.errors.map(String), []);
  await ctx.close();
});
