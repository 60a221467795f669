// Withholding tax certificates, through the merchant dashboard and the affiliate portal: a THB
// rule of 3 % and a VND one of 10 % (set through the API, removed at the end), an affiliate's
// postal address set in the affiliate form (a refused one pointed at; one emptied), THB and VND
// payouts with tax withheld, one line marked sent. Without the shop's details (the program's
// payer) the certificates view links to Settings; the payer is set there (a refused tax id shows
// the server's error). The view then shows Thailand's 50 Tawi certificate in Thai whatever the UI
// language (payer, payee, Buddhist-era dates, amounts, totals, the tax in Thai words), a
// payee's missing tax id and address marked, a VND statement in English and Vietnamese; printed
// (print media, a PDF) it is the certificates alone, one a page. In the portal the affiliate sets
// their address and prints their certificate of the year; an exempt affiliate has none. Saves the
// screenshots for the README.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, stopStack, api, launch, newContext, newPage, until, screenshot, signedInPage, creditApproved } from './harness.mjs';

let stack;
let browser;
let original;
const ids = { somchai: 'somchai', malee: 'malee', kanya: 'kanya', an: 'nguyen-van-an' };
const RULES = [
  { currency: 'THB', rate_bps: 300, threshold: 0 },
  { currency: 'VND', rate_bps: 1000, threshold: 0 },
];
const PAYER = {
  name: 'บริษัท ร้านรองเท้าตัวอย่าง จำกัด',
  tax_id: '0105556012345',
  address: 'เลขที่ 99 ถนนสุขุมวิท, แขวงคลองเตย เขตคลองเตย, กรุงเทพมหานคร 10110',
};
const SOMCHAI_ADDRESS = '12/3 หมู่ 4 ถนนพหลโยธิน, ตำบลคลองหนึ่ง อำเภอคลองหลวง, ปทุมธานี 12120';

before(async () => {
  stack = await startStack();
  browser = await launch();
  // Settle the demo's approved balances first, so the batches below hold this test's lines only.
  await api(stack, 'POST', '/v1/payouts', { note: 'Demo balances' });
  original = await api(stack, 'GET', '/v1/program');
  delete original.webhook_secret;
  await api(stack, 'PUT', '/v1/program', { ...original, withholding: RULES });
  const make = (id, name, coupon, extra = {}) =>
    api(stack, 'POST', '/v1/affiliates', { id, name, email: `${id}@affiliates.example`, category: 'content', coupons: [coupon], ...extra });
  await make(ids.somchai, 'สมชาย ใจดี', 'SOMCHAI', { tax_id: '1101801234563' });
  // An address the merchant will empty: her certificate then misses it, and her tax id.
  await make(ids.malee, 'มาลี สุขสันต์', 'MALEE', { address: 'ที่อยู่เก่า' });
  await make(ids.kanya, 'บริษัท กัญญา มีเดีย จำกัด', 'KANYA', { withholding_exempt: true, tax_id: '0105561234567' });
  await make(ids.an, 'Nguyễn Văn An', 'ANNGUYEN', { tax_id: '0312345678', address: '12 Lý Thường Kiệt, Hoàn Kiếm, Hà Nội' });
});

after(async () => {
  // Whatever happened above, the program withholds nothing and names no payer afterwards.
  if (stack && original) {
    try {
      await api(stack, 'PUT', '/v1/program', { ...original, withholding: original.withholding, payer: original.payer ?? null });
    } catch (e) {
      // the stack is going away anyway
    }
  }
  await browser?.close();
  if (stack) await stopStack(stack);
});

const signedIn = (hash, viewport) => signedInPage(browser, stack, hash, viewport);

async function portal(id, lang) {
  const { token } = await api(stack, 'POST', `/v1/affiliates/${id}/token`);
  const ctx = await newContext(browser, { viewport: { width: 1000, height: 1200 } });
  const page = await newPage(ctx);
  await page.goto(`${stack.base}/portal/?lang=${lang}#token=${token}`);
  await page.waitForSelector('#certificate-list');
  return page;
}

/** A sale credited to the affiliate of `coupon`, its referral approved. */

/** window.print() counted instead of opening the dialog. */
const stubPrint = (page) =>
  page.evaluate(() => {
    window.printed = 0;
    window.print = () => {
      window.printed += 1;
    };
  });

/** The pages of `page` printed to PDF. */
async function pdfPages(page) {
  const pdf = (await page.pdf({ preferCSSPageSize: true, printBackground: true })).toString('latin1');
  return (pdf.match(/\/Type\s*\/Page(?![a-zA-Z])/g) || []).length;
}

/** Whether the element of `selector` is rendered at all (not display:none, nor inside one). */
const rendered = (page, selector) => page.$eval(selector, (e) => e.checkVisibility());

// As the 50 Tawi form writes them: Buddhist-era dates in Thailand's time, amounts with two decimals.
const thaiDate = (d) => new Intl.DateTimeFormat('th-TH', { timeZone: 'Asia/Bangkok' }).format(new Date(d));
const vndEn = (n) => new Intl.NumberFormat('en-US', { style: 'currency', currency: 'VND' }).format(n);
const today = () => {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
};

test('affiliate form: an address (a refused one pointed at), one emptied', async () => {
  const page = await signedIn(`#/affiliates?id=${ids.somchai}`);
  await page.waitForSelector('#edit-affiliate');
  assert.equal(await page.inputValue('#a-address'), '');
  assert.match(await page.textContent('#edit-affiliate'), /Printed on their tax certificates/);

  // 250 Thai letters are 750 bytes: the server refuses it, and nothing changes.
  await page.fill('#a-address', 'ก'.repeat(250));
  await page.click('#edit-affiliate button[type=submit]');
  const err = await page.waitForSelector('#edit-affiliate .state-error');
  assert.match(await err.textContent(), /An address is one line of up to 600 bytes \(about 200 Thai letters\)\. \(invalid_address\)/);
  assert.equal(await page.getAttribute('#a-address', 'aria-invalid'), 'true');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'a-address');
  assert.equal((await api(stack, 'GET', `/v1/affiliates/${ids.somchai}`)).address, null);

  // Typed on three lines: kept as one, its lines joined by commas; paid as a person.
  await page.fill('#a-address', '12/3 หมู่ 4 ถนนพหลโยธิน\nตำบลคลองหนึ่ง อำเภอคลองหลวง\nปทุมธานี 12120');
  assert.equal(await page.inputValue('#a-payee-type'), '');
  await page.selectOption('#a-payee-type', 'person');
  await page.click('#edit-affiliate button[type=submit]');
  await until(async () => (await api(stack, 'GET', `/v1/affiliates/${ids.somchai}`)).address === SOMCHAI_ADDRESS);
  assert.equal((await api(stack, 'GET', `/v1/affiliates/${ids.somchai}`)).payee_type, 'person');
  assert.equal((await api(stack, 'GET', `/v1/affiliates/${ids.somchai}`)).tax_id, '1101801234563', 'the rest as it was');
  await page.waitForSelector('#edit-affiliate');
  assert.equal(await page.inputValue('#a-address'), SOMCHAI_ADDRESS);

  // Emptied on edit: removed.
  await page.goto(`${stack.base}/dashboard/?lang=en#/affiliates?id=${ids.malee}`);
  await page.waitForSelector('#edit-affiliate');
  assert.equal(await page.inputValue('#a-address'), 'ที่อยู่เก่า');
  await page.fill('#a-address', '  ');
  await page.click('#edit-affiliate button[type=submit]');
  await until(async () => (await api(stack, 'GET', `/v1/affiliates/${ids.malee}`)).address === null);
  assert.deepEqual(page.errors.map(String), []);
});

test('certificates view without the shop’s details: it says so and links to Settings', async () => {
  // THB: Somchai twice (60,000 and 70,000 baht of commission, 8 % of the sales), Malee once,
  // Kanya (exempt) once; VND: An once. Somchai's second line is marked sent (a
  // line sent before the later batch was made would come second by its date).
  await creditApproved(stack, 'SOMCHAI', 75000000, 'THB');
  await creditApproved(stack, 'MALEE', 12500000, 'THB');
  await creditApproved(stack, 'KANYA', 12500000, 'THB');
  const first = await api(stack, 'POST', '/v1/payouts', { currency: 'THB' });
  await creditApproved(stack, 'SOMCHAI', 87500000, 'THB');
  const second = await api(stack, 'POST', '/v1/payouts', { currency: 'THB' });
  await creditApproved(stack, 'ANNGUYEN', 31250000, 'VND');
  const vnd = await api(stack, 'POST', '/v1/payouts', { currency: 'VND' });
  const line = (p, a) => p.lines.find((l) => l.affiliate === a);
  assert.deepEqual([line(first, ids.somchai).gross, line(first, ids.somchai).withheld], [6000000, 180000]);
  assert.deepEqual([line(second, ids.somchai).gross, line(second, ids.somchai).withheld], [7000000, 210000]);
  assert.deepEqual([line(first, ids.malee).gross, line(first, ids.malee).withheld], [1000000, 30000]);
  assert.deepEqual([line(first, ids.kanya).gross, line(first, ids.kanya).withheld], [1000000, 0]);
  assert.deepEqual([line(vnd, ids.an).gross, line(vnd, ids.an).withheld], [2500000, 250000]);
  await api(stack, 'POST', `/v1/payouts/${second.id}/sent`, { affiliate: ids.somchai, currency: 'THB', sent: true });
  ids.payouts = [first.id, second.id];

  const page = await signedIn('#/payouts');
  await page.waitForSelector('#withholding-certificates');
  assert.equal(await page.textContent('#withholding-certificates'), 'Tax certificates');
  const [from, to] = [await page.inputValue('#withholding-from'), await page.inputValue('#withholding-to')];
  await page.click('#withholding-certificates');
  await page.waitForSelector('#no-payer');
  assert.equal(new URL(page.url()).hash, `#/certificates?from=${from}&to=${to}`);
  assert.equal(await page.getAttribute('nav a[aria-current=page]', 'href'), '#/payouts', 'still under Payouts');
  assert.match(await page.textContent('#no-payer'), /Your business is not on the certificates yet\..*name, tax id and address in Settings/);
  assert.equal(await page.$('#certificates'), null, 'no certificate without a payer');
  assert.equal(await page.isDisabled('#print-certificates'), true);
  // Who gets one is listed all the same: Kanya, exempt, does not.
  assert.deepEqual(await page.$$eval('#certificate-list tbody tr', (rows) => rows.map((r) => `${r.dataset.affiliate} ${r.dataset.currency}`)), [
    `${ids.malee} THB`,
    `${ids.an} VND`,
    `${ids.somchai} THB`,
  ]);
  await page.click('#no-payer a[href="#/settings"]');
  await page.waitForSelector('#payer');
  assert.deepEqual(page.errors.map(String), []);
});

test('settings: the shop’s details through the form (a refused tax id shows the server’s error)', async () => {
  const page = await signedIn('#/settings');
  await page.waitForSelector('#payer');
  assert.equal(await page.textContent('#payer h2'), 'Your business on tax certificates');
  for (const f of ['#s-payer-name', '#s-payer-tax-id', '#s-payer-address']) assert.equal(await page.inputValue(f), '');

  await page.fill('#s-payer-name', PAYER.name);
  await page.fill('#s-payer-tax-id', '0 1055 56012 34 5');
  await page.fill('#s-payer-address', 'เลขที่ 99 ถนนสุขุมวิท\nแขวงคลองเตย เขตคลองเตย\nกรุงเทพมหานคร 10110');
  await page.click('#save-program');
  const err = await page.waitForSelector('#program-form .state-error');
  assert.match(await err.textContent(), /Your business on tax certificates needs all three: .*\(invalid_payer\)/);
  assert.equal(await page.getAttribute('#s-payer-tax-id', 'aria-invalid'), 'true');
  assert.equal(await page.evaluate(() => document.activeElement.id), 's-payer-tax-id');
  assert.equal((await api(stack, 'GET', '/v1/program')).payer, null, 'nothing changed');

  await page.fill('#s-payer-tax-id', PAYER.tax_id);
  await page.click('#save-program');
  await until(async () => (await api(stack, 'GET', '/v1/program')).payer !== null);
  const p = await api(stack, 'GET', '/v1/program');
  assert.deepEqual(p.payer, PAYER);
  assert.deepEqual(p.withholding, RULES, 'the rest of the program as it was');

  await page.reload();
  await page.waitForSelector('#payer');
  assert.equal(await page.inputValue('#s-payer-name'), PAYER.name);
  assert.equal(await page.inputValue('#s-payer-tax-id'), PAYER.tax_id);
  assert.equal(await page.inputValue('#s-payer-address'), PAYER.address);
  assert.deepEqual(page.errors.map(String), []);
});

test('certificates view: the 50 Tawi in Thai, missing details marked, a VND statement; printed one a page', async () => {
  const page = await signedIn('#/payouts');
  await page.click('#withholding-certificates');
  await page.waitForSelector('#certificates');
  const q = new URLSearchParams(new URL(page.url()).hash.split('?')[1]);
  const answer = await api(stack, 'GET', `/v1/reports/withholding/certificates?${q}`);
  assert.deepEqual(answer.certificates.map((c) => c.affiliate), [ids.malee, ids.an, ids.somchai]);

  // The list: Malee's tax id and address are missing, and marked so.
  const row = (id) => `#certificate-list tr[data-affiliate="${id}"]`;
  assert.equal(await page.textContent(`${row(ids.malee)} .tax-id`), 'missing');
  assert.equal(await page.textContent(`${row(ids.malee)} .address`), 'missing');
  assert.equal(await page.$(`${row(ids.somchai)} .missing`), null);
  assert.equal(await page.textContent(`${row(ids.somchai)} .address`), SOMCHAI_ADDRESS);
  assert.match(await page.textContent('#missing-hint'), /prints as a blank to fill in by hand/);

  // Somchai's: Thailand's form, in Thai though the dashboard is in English.
  const cert = `#certificates .certificate[data-affiliate="${ids.somchai}"]`;
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.equal(await page.getAttribute(cert, 'lang'), 'th');
  assert.equal(await page.textContent(`${cert} h2`), 'หนังสือรับรองการหักภาษี ณ ที่จ่าย');
  assert.equal(await page.textContent(`${cert} .cert-law`), 'ตามมาตรา 50 ทวิ แห่งประมวลรัษฎากร');
  const party = (which) =>
    page.$eval(`${cert} .${which}`, (s) => [s.querySelector('h3').textContent, ...[...s.querySelectorAll('dt')].map((dt) => `${dt.textContent}: ${dt.nextElementSibling.textContent}`)]);
  assert.deepEqual(await party('cert-payer'), ['ผู้มีหน้าที่หักภาษี ณ ที่จ่าย:', `ชื่อ: ${PAYER.name}`, `เลขประจำตัวผู้เสียภาษีอากร: ${PAYER.tax_id}`, `ที่อยู่: ${PAYER.address}`]);
  assert.deepEqual(await party('cert-payee'), ['ผู้ถูกหักภาษี ณ ที่จ่าย:', 'ชื่อ: สมชาย ใจดี', 'เลขประจำตัวผู้เสียภาษีอากร: 1101801234563', `ที่อยู่: ${SOMCHAI_ADDRESS}`]);
  // Filed on ภ.ง.ด.3, as a person: that box ticked, the company's not.
  assert.deepEqual(
    await page.$$eval(`${cert} .cert-form`, (s) => s.map((x) => [x.dataset.kind, x.dataset.ticked, x.textContent.trim()])),
    [
      ['person', 'true', '☑ (4) ภ.ง.ด.3'],
      ['company', 'false', '☐ (7) ภ.ง.ด.53'],
    ],
  );
  assert.match(await page.textContent(`${cert} .cert-forms`), /^ลำดับที่ …+ ในแบบ/);
  assert.deepEqual(await page.$$eval(`${cert} thead th`, (ths) => ths.map((th) => th.textContent)), [
    'ประเภทเงินได้พึงประเมินที่จ่าย',
    'วัน เดือน หรือปีภาษี ที่จ่าย',
    'จำนวนเงินที่จ่าย',
    'ภาษีที่หักและนำส่งไว้',
  ]);
  // One row per payment, by date: the sent line on the day it was marked sent.
  const somchai = answer.certificates.find((c) => c.affiliate === ids.somchai);
  assert.deepEqual(somchai.payments.map((p) => [p.gross, p.withheld]), [[6000000, 180000], [7000000, 210000]]);
  const rows = await page.$$eval(`${cert} tbody tr`, (trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent)));
  assert.deepEqual(rows, [
    ['ค่าธรรมเนียม ค่านายหน้า ฯลฯ ตามมาตรา 40 (2)', thaiDate(somchai.payments[0].paid_at), '60,000.00', '1,800.00'],
    ['ค่าธรรมเนียม ค่านายหน้า ฯลฯ ตามมาตรา 40 (2)', thaiDate(somchai.payments[1].paid_at), '70,000.00', '2,100.00'],
  ]);
  // The Buddhist era: 543 years ahead.
  const [, , be] = rows[0][1].split('/');
  assert.equal(Number(be), new Date(somchai.payments[0].paid_at).getUTCFullYear() + 543, rows[0][1]);
  assert.deepEqual(await page.$$eval(`${cert} tfoot tr > *`, (cells) => cells.map((c) => c.textContent)), ['รวมเงินที่จ่ายและภาษีที่หักนำส่ง', '130,000.00', '3,900.00']);
  assert.equal(await page.textContent(`${cert} .cert-words`), 'รวมเงินภาษีที่หักนำส่ง (ตัวอักษร) สามพันเก้าร้อยบาทถ้วน');
  assert.equal(await page.textContent(`${cert} .cert-method`), 'ผู้จ่ายเงิน: หัก ณ ที่จ่าย');
  assert.equal(await page.textContent(`${cert} .cert-attest`), 'ขอรับรองว่าข้อความและตัวเลขดังกล่าวข้างต้นถูกต้องตรงกับความจริงทุกประการ');
  assert.match(await page.textContent(`${cert} .cert-signature`), /^ลงชื่อ …+ ผู้จ่ายเงิน$/);
  assert.equal(await page.textContent(`${cert} .cert-issued .cert-date`), thaiDate(new Date()));

  // Malee's: blanks to fill in by hand where her details are missing; 300 baht in words.
  const malee = `#certificates .certificate[data-affiliate="${ids.malee}"]`;
  assert.match(await page.textContent(`${malee} .cert-payee dd[data-field="tax_id"]`), /^…+$/);
  assert.match(await page.textContent(`${malee} .cert-payee dd[data-field="address"]`), /^…+$/);
  assert.deepEqual(await page.$$eval(`${malee} .cert-form[data-ticked="true"]`, (s) => s.length), 0, 'no form ticked: her type is not set');
  assert.equal(await page.textContent(`${malee} .cert-words strong`), 'สามร้อยบาทถ้วน');

  // An's, in VND: a statement in the dashboard's language, dong without decimals.
  const an = `#certificates .certificate[data-affiliate="${ids.an}"]`;
  const anCert = answer.certificates.find((c) => c.affiliate === ids.an);
  assert.equal(await page.getAttribute(an, 'lang'), 'en');
  assert.equal(await page.textContent(`${an} h2`), 'Withholding tax statement');
  assert.equal(anCert.withheld_words, null);
  assert.deepEqual(await page.$$eval(`${an} .cert-payee dd`, (dds) => dds.map((d) => d.textContent)), ['Nguyễn Văn An', '0312345678', '12 Lý Thường Kiệt, Hoàn Kiếm, Hà Nội']);
  assert.deepEqual(await page.$$eval(`${an} tbody tr td`, (tds) => tds.map((td) => td.textContent)), [
    'Affiliate commissions and fees',
    new Intl.DateTimeFormat('en-US', { dateStyle: 'medium' }).format(new Date(anCert.payments[0].paid_at)),
    vndEn(2500000),
    vndEn(250000),
    vndEn(2250000),
  ]);
  assert.equal(await page.textContent(`${an} .cert-attest`), 'We certify that the information and figures above are true and correct.');
  assert.match(await page.textContent(`${an} .cert-signature`), /^Signed …+ for the payer$/);

  // The screenshot for the README: Somchai's certificate.
  await page.evaluate(() => document.getElementById('notice')?.replaceChildren());
  const clip = await page.$eval(cert, (el) => {
    const r = el.getBoundingClientRect();
    return { x: Math.floor(r.left) - 12, y: Math.floor(r.top + window.scrollY) - 12, width: Math.ceil(r.width) + 24, height: Math.ceil(r.height) + 24 };
  });
  await screenshot(page, 'dashboard-certificate', { clip });

  // On paper: no navigation, no buttons, no list; the certificates alone, each on a page of its own.
  await page.emulateMedia({ media: 'print' });
  assert.equal(await rendered(page, 'header.bar'), false, 'no navigation');
  assert.deepEqual(await page.$$eval('button, .btn', (els) => els.filter((e) => e.checkVisibility()).map((e) => e.textContent)), [], 'no buttons');
  assert.equal(await rendered(page, '#certificate-list'), false, 'no list');
  assert.equal(await rendered(page, 'main h1'), false);
  assert.deepEqual(await page.$$eval('#certificates > .certificate', (els) => els.map((e) => e.checkVisibility())), [true, true, true]);
  assert.deepEqual(await page.$$eval('#certificates > .certificate', (els) => els.map((e) => getComputedStyle(e).breakBefore)), ['auto', 'page', 'page']);
  assert.equal(await pdfPages(page), 3, 'three certificates, three pages');
  await page.emulateMedia({ media: 'screen' });

  // "Print all" prints them alone, whatever else the page holds; a row's button prints its own.
  await stubPrint(page);
  await page.click('#print-certificates');
  assert.equal(await page.evaluate(() => window.printed), 1);
  assert.equal(await page.$$eval('.print-area > .certificate', (els) => els.length), 3);
  assert.equal(await rendered(page, '.print-area'), false, 'never shown on screen');
  await page.emulateMedia({ media: 'print' });
  assert.equal(await rendered(page, '#main'), false);
  assert.equal(await rendered(page, '.print-area'), true);
  assert.equal(await pdfPages(page), 3);
  await page.emulateMedia({ media: 'screen' });
  await page.click(`${row(ids.somchai)} button[data-action="print-one"]`);
  assert.equal(await page.evaluate(() => window.printed), 2);
  assert.deepEqual(await page.$$eval('.print-area > .certificate', (els) => els.map((e) => e.dataset.affiliate)), [ids.somchai]);
  await page.emulateMedia({ media: 'print' });
  assert.equal(await pdfPages(page), 1);
  await page.emulateMedia({ media: 'screen' });

  // In Vietnamese: the statement follows, the 50 Tawi stays Thai.
  await page.goto(`${stack.base}/dashboard/?lang=vi#/certificates?${q}`);
  await page.waitForSelector('#certificates');
  assert.equal(await page.textContent(`${an} h2`), 'Bản xác nhận khấu trừ thuế');
  assert.equal(await page.getAttribute(an, 'lang'), 'vi');
  const dong = (await page.$$eval(`${an} tbody td`, (tds) => tds.map((td) => td.textContent))).slice(2);
  assert.equal(dong.length, 3);
  [/^2\.500\.000\s₫$/, /^250\.000\s₫$/, /^2\.250\.000\s₫$/].forEach((re, i) => assert.match(dong[i], re));
  assert.equal(await page.textContent(`${cert} h2`), 'หนังสือรับรองการหักภาษี ณ ที่จ่าย');
  assert.equal(await page.textContent(`${cert} tfoot td`), '130,000.00');
  assert.deepEqual(page.errors.map(String), []);
});

test('certificates of one affiliate for the year, from the affiliate form; a period the server refuses', async () => {
  const page = await signedIn(`#/affiliates?id=${ids.somchai}`);
  await page.click('#affiliate-certificates');
  await page.waitForSelector('#certificates');
  const year = new Date().getFullYear();
  const hash = new URL(page.url()).hash;
  assert.equal(hash, `#/certificates?from=${year}-01-01&to=${year}-12-31&affiliate=${ids.somchai}`);
  assert.equal(await page.textContent('main h1'), `Tax certificates of ${ids.somchai}`);
  assert.deepEqual(await page.$$eval('#certificates > .certificate', (els) => els.map((e) => e.dataset.affiliate)), [ids.somchai]);

  // At phone width the certificate fits the screen.
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `no sideways scrolling at phone width (${overflow}px)`);
  await page.setViewportSize({ width: 1100, height: 1200 });

  // An end before the start: the server's error under the dates.
  await page.fill('#certificates-from', today());
  await page.fill('#certificates-to', '2020-01-01');
  await page.click('#certificates-period button[type=submit]');
  const err = await page.waitForSelector('main .state-error');
  assert.match(await err.textContent(), /\(invalid_range\)/);
  assert.ok(await page.isVisible('#certificates-from'));
  assert.deepEqual(page.errors.map(String), []);
});

test('portal: the affiliate sets their address and prints their certificate of the year; an exempt one has none', async () => {
  const page = await portal(ids.somchai, 'en');
  assert.equal(await page.textContent('#address-title'), 'Your address');
  assert.equal(await page.inputValue('#my-address'), SOMCHAI_ADDRESS);
  assert.match(await page.textContent('#address-form'), /It appears on your tax certificates/);

  // Refused (too long): the server's error at the field, nothing changed.
  await page.fill('#my-address', 'ข'.repeat(250));
  await page.click('#address-save');
  const err = await page.waitForSelector('#address-form .state-error');
  assert.match(await err.textContent(), /\(invalid_address\)/);
  assert.equal(await page.getAttribute('#my-address', 'aria-invalid'), 'true');
  assert.equal((await api(stack, 'GET', `/v1/affiliates/${ids.somchai}`)).address, SOMCHAI_ADDRESS);

  const moved = '88 ซอยอารีย์ 5, แขวงสามเสนใน เขตพญาไท, กรุงเทพมหานคร 10400';
  await page.fill('#my-address', '88 ซอยอารีย์ 5\nแขวงสามเสนใน เขตพญาไท\nกรุงเทพมหานคร 10400');
  await page.click('#address-save');
  await page.waitForSelector('#address-form p[role=status]');
  assert.equal(await page.textContent('#address-form p[role=status]'), 'Saved');
  assert.equal(await page.inputValue('#my-address'), moved);
  assert.equal((await api(stack, 'GET', `/v1/affiliates/${ids.somchai}`)).address, moved, 'the merchant sees it');

  // This year's certificates: THB, with its totals.
  const year = new Date().getFullYear();
  const years = await page.$$eval('#certificate-year option', (os) => os.map((o) => o.value));
  assert.equal(years[0], String(year));
  assert.equal(years.at(-1), '2020');
  assert.equal(years.length, year - 2019);
  const thb = await page.waitForSelector('#certificate-list tr[data-currency="THB"]');
  assert.deepEqual([await thb.getAttribute('data-gross'), await thb.getAttribute('data-withheld'), await thb.getAttribute('data-paid')], ['13000000', '390000', '12610000']);
  assert.deepEqual(await thb.$$eval('td.num', (tds) => tds.map((td) => td.textContent)), ['THB\u00a0130,000.00', 'THB\u00a03,900.00', 'THB\u00a0126,100.00']);
  assert.equal(await page.$$eval('#certificate-list tbody tr', (rows) => rows.length), 1, 'their own only');

  // The screenshot for the README: the address and the certificates.
  await page.evaluate(() => document.activeElement.blur());
  const clip = await page.evaluate(() => {
    const top = document.getElementById('address-title').getBoundingClientRect().top + window.scrollY;
    const bottom = document.getElementById('certificates').getBoundingClientRect().bottom + window.scrollY;
    return { x: 0, y: Math.floor(top) - 12, width: document.documentElement.clientWidth, height: Math.ceil(bottom - top) + 24 };
  });
  await screenshot(page, 'portal-certificates', { clip });

  // Printed: the 50 Tawi with the new address, alone on its page.
  await stubPrint(page);
  await thb.$eval('button[data-action="print"]', (b) => b.click());
  assert.equal(await page.evaluate(() => window.printed), 1);
  const printed = '.print-area > .certificate';
  assert.equal(await page.getAttribute(printed, 'lang'), 'th');
  assert.equal(await page.textContent(`${printed} h2`), 'หนังสือรับรองการหักภาษี ณ ที่จ่าย');
  assert.equal(await page.textContent(`${printed} .cert-payee dd[data-field="address"]`), moved);
  assert.equal(await page.textContent(`${printed} .cert-payer dd[data-field="name"]`), PAYER.name);
  assert.equal(await page.textContent(`${printed} .cert-words strong`), 'สามพันเก้าร้อยบาทถ้วน');
  await page.emulateMedia({ media: 'print' });
  assert.equal(await rendered(page, '#main'), false);
  assert.equal(await rendered(page, 'header.bar'), false);
  assert.equal(await pdfPages(page), 1);
  await page.emulateMedia({ media: 'screen' });

  // 2020: nothing withheld, said plainly.
  await page.selectOption('#certificate-year', '2020');
  await page.waitForSelector('#no-certificates');
  assert.equal(await page.textContent('#no-certificates'), 'No tax was withheld from your payouts in 2020.');
  assert.deepEqual(page.errors.map(String), []);

  // Kanya is exempt: nothing withheld this year either.
  const kanya = await portal(ids.kanya, 'en');
  await kanya.waitForSelector('#no-certificates');
  assert.equal(await kanya.textContent('#no-certificates'), `No tax was withheld from your payouts in ${year}.`);
  assert.deepEqual(kanya.errors.map(String), []);

  // An, in Vietnamese: the VND statement in Vietnamese; the year as Thai people count it in Thai.
  const an = await portal(ids.an, 'vi');
  const vnd = await an.waitForSelector('#certificate-list tr[data-currency="VND"]');
  await stubPrint(an);
  await vnd.$eval('button[data-action="print"]', (b) => b.click());
  assert.equal(await an.textContent('.print-area .certificate h2'), 'Bản xác nhận khấu trừ thuế');
  assert.deepEqual(await an.$$eval('.print-area .cert-payer dd', (dds) => dds.map((d) => d.textContent)), [PAYER.name, PAYER.tax_id, PAYER.address]);
  await an.goto(an.url().replace('lang=vi', 'lang=th'));
  await an.waitForSelector('#certificate-list tr[data-currency="VND"]');
  assert.match(await an.textContent('#certificate-year option'), new RegExp(`^พ\\.ศ\\.\\s${year + 543}$`));
  assert.deepEqual(an.errors.map(String), []);
});

test('the shop’s details removed (all three emptied): nothing to print, in the dashboard and the portal', async () => {
  const page = await signedIn('#/settings');
  await page.waitForSelector('#payer');
  for (const f of ['#s-payer-name', '#s-payer-tax-id', '#s-payer-address']) await page.fill(f, '');
  await page.click('#save-program');
  await until(async () => (await api(stack, 'GET', '/v1/program')).payer === null);

  await page.goto(`${stack.base}/dashboard/?lang=en#/certificates?from=${new Date().getFullYear()}-01-01&to=${today()}`);
  await page.waitForSelector('#no-payer');
  assert.equal(await page.$('#certificates'), null);
  assert.equal(await page.$$eval('#certificate-list button', (bs) => bs.length), 0);
  assert.deepEqual(page.errors.map(String), []);

  const p = await portal(ids.somchai, 'en');
  await p.waitForSelector('#certificate-list #no-payer');
  assert.match(await p.textContent('#no-payer'), /The merchant has not entered its business details/);
  assert.equal(await p.$('#certificate-list button[data-action="print"]'), null);
  assert.deepEqual(p.errors.map(String), []);
});
