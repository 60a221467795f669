// Affiliates as CSV in the dashboard: a merchant moving from another tool chooses the file its
// spreadsheet saved (semicolons, a decimal comma, Vietnamese names), sees each row's outcome,
// is stopped by a row with an error (nothing added), chooses the corrected file and adds the
// affiliates with the link names they already share, each told by email; the list then
// downloads as CSV with them. AffiliateWP's export is imported as it is.
// Saves the screenshot for the README.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startStack, stopStack, api, launch, signedInPage, screenshot, uniqueId, until, mailBody } from './harness.mjs';

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

const file = (text) => ({ name: 'affiliates.csv', mimeType: 'text/csv', buffer: Buffer.from(text, 'utf8') });

test('a merchant imports affiliates from a spreadsheet file, then downloads the list', async () => {
  const page = await signedInPage(browser, stack, '#/affiliates', { width: 1200, height: 1300 });
  const [minh, lan, thu] = ['minh', 'lan', 'thu'].map((p) => uniqueId(p).replace(/-/g, '_'));
  const code = `${minh.toUpperCase()}10`;
  const rows = (mail) =>
    '\ufeffid;name;email;coupons;sale_rate;recruiter;earnings\r\n' +
    `alice;Alice again;alice@example.com;;;;1\r\n` +
    `${minh};Nguyễn Văn Minh;minh@example.com;${code};12,5;;2\r\n` +
    `${lan};Trần Thị Lan;${mail};;;${minh};3\r\n` +
    `${thu};Phạm Thu;thu@example.com;;;alice;4\r\n`;

  await page.click('#import-affiliates');
  await page.waitForSelector('#affiliates-import');

  // A row with an error: its line and why, and no button to add anything.
  await page.setInputFiles('#import-file', file(rows('lan-at-example.com')));
  await page.waitForSelector('#import-summary');
  assert.match(await page.textContent('#import-summary'), /To add: 2 · Already in the program \(left as they are\): 1 · With an error: 1/);
  assert.match(await page.textContent('#import-ignored'), /earnings/);
  const bad = page.locator('#import-rows tr[data-result="invalid"]');
  assert.equal(await bad.getAttribute('data-line'), '4');
  assert.match(await bad.textContent(), /invalid_email/);
  assert.equal(await page.locator('#import-go').count(), 0);
  await assert.rejects(api(stack, 'GET', `/v1/affiliates/${minh}`), /404/, 'checking writes nothing');

  // The corrected file: three to add, alice left as she is.
  await page.setInputFiles('#import-file', file(rows('lan@example.com')));
  await page.waitForSelector('#import-go');
  assert.match(await page.textContent('#import-summary'), /To add: 3 · Already in the program \(left as they are\): 1 · With an error: 0/);
  assert.deepEqual(
    await page.$$eval('#import-rows tbody tr', (trs) => trs.map((tr) => [tr.dataset.line, tr.dataset.result])),
    [
      ['2', 'exists'],
      ['3', 'created'],
      ['4', 'created'],
      ['5', 'created'],
    ],
  );
  // Each new affiliate is to be told that their account is here (all three are approved and
  // have an email).
  await page.check('#import-welcome');
  await page.waitForSelector('#import-emailed');
  assert.match(await page.textContent('#import-emailed'), /Affiliates who will get that email: 3/);
  await page.waitForSelector('#import-go');
  await screenshot(page, 'dashboard-import', { clip: await page.$eval('#affiliates-import', (el) => { const r = el.getBoundingClientRect(); return { x: 0, y: r.y + window.scrollY - 10, width: document.documentElement.clientWidth, height: r.height + 20 }; }) });
  await page.click('#import-go');
  await page.waitForSelector('#notice .notice-ok');
  assert.match(await page.textContent('#notice'), /Affiliates added: 3/);
  await page.waitForSelector(`#affiliates tr[data-id="${lan}"]`);
  // Told in the program's language (the demo's is Vietnamese), with the portal to sign in to.
  const welcome = await until(() => stack.mail.find((m) => m.includes('To: minh@example.com')), { timeout: 20000 });
  const text = mailBody(welcome).replace(/\r\n/g, '\n');
  assert.match(text, /Nguyễn Văn Minh,\n\n.*Các liên kết của bạn vẫn hoạt động như trước/);
  assert.match(text, /\/portal\//);

  const m = await api(stack, 'GET', `/v1/affiliates/${minh}`);
  assert.equal(m.name, 'Nguyễn Văn Minh');
  assert.deepEqual(m.coupons, [code]);
  assert.deepEqual(m.commission.sale, { type: 'percent', rate_bps: 1250 });
  assert.equal((await api(stack, 'GET', `/v1/affiliates/${lan}`)).recruiter, minh);
  assert.equal((await api(stack, 'GET', '/v1/affiliates/alice')).name, 'Alice Nguyen', 'alice is left as she was');
  // Each imported affiliate's creation is in the activity log, by whoever imported them.
  const log = await api(stack, 'GET', `/v1/activity?affiliate=${thu}`);
  assert.deepEqual(log.activity.map((e) => e.action), ['affiliate.created']);

  // The list downloads as CSV, the imported affiliates in it.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#affiliates-csv')]);
  const csv = (await fs.promises.readFile(await download.path(), 'utf8')).trim().split('\r\n').join('\n').split('\n');
  assert.equal(csv[0], 'id,name,email,payout_email,category,status,coupons,sale_rate,commission,recruiter,payout_method,payout_bank,payout_account,payout_name,withholding_exempt,tax_id,payee_type,address,created_at');
  const line = csv.find((l) => l.startsWith(`${minh},`));
  assert.ok(line, `${minh} in the CSV`);
  assert.match(line, new RegExp(`^${minh},Nguyễn Văn Minh,minh@example.com,,other,approved,${code},12.5,,`));
});

test("AffiliateWP's affiliate export is imported as it is, by the column its links carry", async () => {
  const page = await signedInPage(browser, stack, '#/affiliates', { width: 1200, height: 1300 });
  const [minh, lan] = ['minh', 'lan'].map((p) => uniqueId(p).replace(/-/g, '_'));
  const affiliatewp =
    '"Affiliate ID","Email","Name","Payment Email","Username","Rate","Rate Type","Earnings","Referrals","Visits","Conversion Rate","Status","Date Registered"\r\n' +
    `"91","${minh}@example.com","Minh Nguyen","pay-${minh}@example.com","${minh}","12.5","percentage","1000","3","40","7.5","active","2024-01-02 03:04:05"\r\n` +
    `"92","${lan}@example.com","","","${lan}","50000","flat","0","0","0","0","inactive","2024-01-02 03:04:05"\r\n`;
  await page.click('#import-affiliates');
  await page.setInputFiles('#import-file', file(affiliatewp));
  await page.waitForSelector('#import-go');
  // No id column: the choice is offered, the usernames picked first.
  assert.equal(await page.inputValue('#import-id-column'), 'username');
  assert.deepEqual(await page.$$eval('#import-rows tbody tr', (trs) => trs.map((tr) => tr.children[1].textContent)), [minh, lan]);
  // The links carried numbers instead: the ids follow the column chosen.
  await page.selectOption('#import-id-column', 'affiliate_id');
  await page.waitForFunction(() => document.querySelector('#import-rows tbody tr td:nth-child(2)')?.textContent === '91');
  await page.selectOption('#import-id-column', 'username');
  await page.waitForFunction((id) => document.querySelector('#import-rows tbody tr td:nth-child(2)')?.textContent === id, minh);
  await page.click('#import-go');
  await page.waitForSelector('#notice .notice-ok');
  const m = await api(stack, 'GET', `/v1/affiliates/${minh}`);
  assert.deepEqual([m.name, m.payout_email, m.status, m.commission.sale], ['Minh Nguyen', `pay-${minh}@example.com`, 'approved', { type: 'percent', rate_bps: 1250 }]);
  const l = await api(stack, 'GET', `/v1/affiliates/${lan}`);
  assert.deepEqual([l.name, l.status, l.commission.sale], [lan, 'suspended', { type: 'flat', amounts: { VND: 50000 } }]);
  // The list says what each earns: a flat rate as an amount per sale.
  const row = await page.waitForSelector(`#affiliates tr[data-id="${lan}"]`);
  assert.match(await row.textContent(), /₫50,000 per sale/);
});
