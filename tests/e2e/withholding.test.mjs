// Tax withheld from payouts, through the merchant dashboard and the affiliate portal: a VND rule
// (10 % from 2,000,000 VND per payment) set in Settings (a rate the server refuses shows its
// error), one affiliate marked exempt and another given a tax id in the affiliate form (a refused
// tax id pointed at), both credited over the threshold and batched. The lines show gross, tax and
// what is paid (the exempt one in full), the QR pays the net, the withholding report sums the
// period per affiliate, and the affiliate's payout history shows the tax withheld. Phone width and
// Vietnamese too; saves the screenshot of the lines for the README. The rule is removed at the end.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startStack, stopStack, api, launch, newContext, newPage, until, screenshot, ARTIFACTS, signedInPage, creditApproved } from './harness.mjs';

let stack;
let browser;
const ids = {};
const VND_RULE = { currency: 'VND', rate_bps: 1000, threshold: 2000000 };

before(async () => {
  stack = await startStack();
  browser = await launch();
  // Settle the demo's approved balances first, so the batch below holds this test's lines only.
  await api(stack, 'POST', '/v1/payouts', { note: 'Demo balances' });
  // Readable ids (the stack is this file's own): they show in the README's screenshot.
  ids.taxed = 'nguyen-van-an';
  ids.taxedCoupon = 'ANNGUYEN';
  ids.exempt = 'binh-minh';
  ids.exemptCoupon = 'BINHMINH';
  await api(stack, 'POST', '/v1/affiliates', {
    id: ids.taxed,
    name: 'Nguyễn Văn An',
    email: `${ids.taxed}@affiliates.example`,
    category: 'content',
    coupons: [ids.taxedCoupon],
    payout: { method: 'vietqr', bank: '970436', account: '0011001932418', name: 'NGUYEN VAN AN' },
  });
  await api(stack, 'POST', '/v1/affiliates', {
    id: ids.exempt,
    name: 'Công ty TNHH Bình Minh',
    email: `${ids.exempt}@affiliates.example`,
    category: 'content',
    coupons: [ids.exemptCoupon],
    tax_id: 'OLD-1',
    payee_type: 'company',
  });
});

after(async () => {
  // Whatever happened above, the program withholds nothing afterwards.
  if (stack) {
    try {
      const p = await api(stack, 'GET', '/v1/program');
      if (p.withholding.length) {
        delete p.webhook_secret;
        await api(stack, 'PUT', '/v1/program', { ...p, withholding: [] });
      }
    } catch (e) {
      // the stack is going away anyway
    }
  }
  await browser?.close();
  if (stack) await stopStack(stack);
});

const signedIn = (hash, viewport) => signedInPage(browser, stack, hash, viewport);

/** A sale credited to the affiliate of `coupon`, its referral approved. */

/** VND as the English dashboard writes it. */
const vnd = (n) => new Intl.NumberFormat('en-US', { style: 'currency', currency: 'VND' }).format(n);

test('settings: a VND rule through the form (a refused rate shows the server’s error)', async () => {
  const page = await signedIn('#/settings');
  await page.waitForSelector('#withholding');
  assert.equal(await page.textContent('#withholding h2'), 'Tax withheld from payouts');
  assert.match(await page.textContent('#withholding'), /Vietnam, 10 % of each payment from 2,000,000 VND.*Thailand, 3 %/);
  assert.equal(await page.$$eval('#withholding-rules .withholding-rule', (rows) => rows.length), 0, 'none yet');

  await page.click('#withholding-add');
  const rule = '#withholding-rules .withholding-rule';
  assert.equal(await page.evaluate(() => document.activeElement.classList.contains('wh-currency')), true, 'the new row takes the focus');
  await page.fill(`${rule} .wh-currency`, 'vnd');
  await page.fill(`${rule} .wh-threshold`, '2,000,000');

  // Not a percent: said before anything is sent.
  await page.fill(`${rule} .wh-rate`, 'ten');
  await page.click('#save-program');
  await page.waitForSelector('#program-form [role=alert]');
  assert.equal(await page.textContent('#program-form [role=alert]'), 'The rate of the VND rule is a percentage with up to 2 decimals, such as 10 or 2.5.');
  assert.equal(await page.getAttribute(`${rule} .wh-rate`, 'aria-invalid'), 'true');

  // 60 %: the server refuses it (at most 50 %), and nothing changes.
  await page.fill(`${rule} .wh-rate`, '60');
  await page.click('#save-program');
  const err = await page.waitForSelector('#program-form .state-error');
  assert.match(await err.textContent(), /\(invalid_withholding\)/);
  assert.match(await err.textContent(), /The withholding rules are not valid/);
  assert.deepEqual((await api(stack, 'GET', '/v1/program')).withholding, []);

  await page.fill(`${rule} .wh-rate`, '10');
  await page.click('#save-program');
  await until(async () => (await api(stack, 'GET', '/v1/program')).withholding.length === 1);
  assert.deepEqual((await api(stack, 'GET', '/v1/program')).withholding, [VND_RULE]);

  // Shown back as entered: a percent, and the threshold in dong.
  await page.reload();
  await page.waitForSelector(rule);
  assert.equal(await page.inputValue(`${rule} .wh-currency`), 'VND');
  assert.equal(await page.inputValue(`${rule} .wh-rate`), '10');
  assert.equal(await page.inputValue(`${rule} .wh-threshold`), '2000000');
  await page.locator('#withholding').screenshot({ path: `${ARTIFACTS}/dashboard-withholding-settings.png` });
  assert.deepEqual(page.errors.map(String), []);
});

test('affiliate form: a tax id (a refused one pointed at), an exempt affiliate whose old tax id is removed', async () => {
  const page = await signedIn(`#/affiliates?id=${ids.taxed}`);
  await page.waitForSelector('#edit-affiliate');
  assert.equal(await page.inputValue('#a-tax-id'), '');
  assert.equal(await page.isChecked('#a-withholding-exempt'), false);
  assert.match(await page.textContent('#edit-affiliate'), /a business that invoices you, or a person who filed a commitment form/);

  await page.fill('#a-tax-id', '0312 345 678');
  await page.click('#edit-affiliate button[type=submit]');
  const err = await page.waitForSelector('#edit-affiliate .state-error');
  assert.match(await err.textContent(), /A tax id is 1 to 20 letters, digits or -\. \(invalid_tax_id\)/);
  assert.equal(await page.getAttribute('#a-tax-id', 'aria-invalid'), 'true');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'a-tax-id');
  assert.equal((await api(stack, 'GET', `/v1/affiliates/${ids.taxed}`)).tax_id, null, 'nothing changed');

  await page.fill('#a-tax-id', '0312345678');
  await page.click('#edit-affiliate button[type=submit]');
  await until(async () => (await api(stack, 'GET', `/v1/affiliates/${ids.taxed}`)).tax_id === '0312345678');
  assert.equal((await api(stack, 'GET', `/v1/affiliates/${ids.taxed}`)).withholding_exempt, false);

  await page.goto(`${stack.base}/dashboard/?lang=en#/affiliates?id=${ids.exempt}`);
  await page.waitForSelector('#edit-affiliate');
  assert.equal(await page.inputValue('#a-tax-id'), 'OLD-1');
  await page.check('#a-withholding-exempt');
  await page.fill('#a-tax-id', '');
  await page.click('#edit-affiliate button[type=submit]');
  await until(async () => (await api(stack, 'GET', `/v1/affiliates/${ids.exempt}`)).withholding_exempt === true);
  const exempt = await api(stack, 'GET', `/v1/affiliates/${ids.exempt}`);
  assert.equal(exempt.tax_id, null, 'emptied: removed');
  await page.reload();
  await page.waitForSelector('#edit-affiliate');
  assert.equal(await page.isChecked('#a-withholding-exempt'), true);
  assert.deepEqual(page.errors.map(String), []);
});

test('payouts: gross, tax and paid on the taxed line, the exempt one in full; the QR pays the net; the withholding report', async () => {
  assert.ok(ids.taxed && ids.exempt, 'the affiliates of the tests above');
  // 8 % of the sales: 2,500,000 and 2,000,000 VND of commission, both from the threshold up.
  await creditApproved(stack, ids.taxedCoupon, 31250000, 'VND');
  await creditApproved(stack, ids.exemptCoupon, 25000000, 'VND');

  const page = await signedIn('#/payouts');
  await page.waitForSelector('#balances');
  const known = new Set((await api(stack, 'GET', '/v1/payouts')).payouts.map((p) => p.id));
  await page.selectOption('#payout-currency', 'VND');
  await page.click('#create-payout');
  const batch = await until(async () => (await api(stack, 'GET', '/v1/payouts')).payouts.find((p) => !known.has(p.id)));
  ids.payout = batch.id;
  const section = `section.payout[data-id="${batch.id}"]`;
  await page.waitForSelector(section);

  const taxed = batch.lines.find((l) => l.affiliate === ids.taxed);
  const exempt = batch.lines.find((l) => l.affiliate === ids.exempt);
  assert.deepEqual([taxed.gross, taxed.withheld, taxed.amount, taxed.tax_id], [2500000, 250000, 2250000, '0312345678']);
  assert.deepEqual([exempt.gross, exempt.withheld, exempt.amount, exempt.tax_id], [2000000, 0, 2000000, null]);

  const taxedRow = `${section} tr[data-affiliate="${ids.taxed}"]`;
  assert.equal(await page.textContent(`${taxedRow} td.amount`), `${vnd(2500000)} − ${vnd(250000)} tax = ${vnd(2250000)}`);
  assert.equal(await page.textContent(`${taxedRow} td.amount .paid`), vnd(2250000));
  const exemptRow = `${section} tr[data-affiliate="${ids.exempt}"]`;
  assert.equal(await page.textContent(`${exemptRow} td.amount`), vnd(2000000), 'nothing withheld: the amount alone');
  assert.equal(await page.$(`${exemptRow} .line-tax`), null);

  // The screenshot for the README: the batch with its lines.
  await page.evaluate(() => {
    document.activeElement.blur();
    document.getElementById('notice')?.replaceChildren();
  });
  const clip = await page.$eval(section, (el) => {
    const r = el.getBoundingClientRect();
    return { x: 0, y: Math.floor(r.top + window.scrollY) - 12, width: document.documentElement.clientWidth, height: Math.ceil(r.height) + 24 };
  });
  await screenshot(page, 'dashboard-withholding', { clip });

  // The QR pays what the affiliate gets, and says what was withheld.
  assert.ok(taxed.transfer_qr.includes(`54${String('2250000'.length).padStart(2, '0')}2250000`), taxed.transfer_qr);
  await page.click(`${taxedRow} button[data-action="qr"]`);
  await page.waitForSelector(`${section} tr.qr-row .transfer-qr svg`);
  assert.equal(await page.textContent(`${section} .qr-amount`), vnd(2250000));
  assert.equal(await page.textContent(`${section} .qr-tax`), `After ${vnd(250000)} tax withheld.`);

  // The withholding report of this month (the default period), as downloaded.
  const month = await page.evaluate(() => {
    const d = new Date();
    const ymd = (x) => `${x.getFullYear()}-${String(x.getMonth() + 1).padStart(2, '0')}-${String(x.getDate()).padStart(2, '0')}`;
    return [ymd(new Date(d.getFullYear(), d.getMonth(), 1)), ymd(new Date(d.getFullYear(), d.getMonth() + 1, 0))];
  });
  assert.deepEqual([await page.inputValue('#withholding-from'), await page.inputValue('#withholding-to')], month);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#withholding-csv')]);
  assert.equal(download.suggestedFilename(), `withholding-${month[0]}-${month[1]}.csv`);
  const csv = fs.readFileSync(await download.path(), 'utf8').trim().split(/\r?\n/);
  assert.equal(csv[0], 'affiliate_id,name,tax_id,payee_type,currency,gross,withheld,paid,payouts');
  assert.equal(csv.find((r) => r.startsWith(`${ids.taxed},`)), `${ids.taxed},Nguyễn Văn An,0312345678,,VND,2500000,250000,2250000,1`);
  assert.equal(csv.find((r) => r.startsWith(`${ids.exempt},`)), `${ids.exempt},Công ty TNHH Bình Minh,,company,VND,2000000,0,2000000,1`);

  // A period before any payout: the header alone. A period the server refuses: its error.
  await page.fill('#withholding-from', '2001-01-01');
  await page.fill('#withholding-to', '2001-01-31');
  const [old] = await Promise.all([page.waitForEvent('download'), page.click('#withholding-csv')]);
  assert.equal(fs.readFileSync(await old.path(), 'utf8').trim(), 'affiliate_id,name,tax_id,payee_type,currency,gross,withheld,paid,payouts');
  await page.fill('#withholding-to', '2000-12-31');
  await page.click('#withholding-csv');
  const err = await page.waitForSelector('#withholding-report .state-error');
  assert.match(await err.textContent(), /\(invalid_range\)/);
  assert.deepEqual(page.errors.map(String), []);
});

test('payout lines at phone width and in Vietnamese; the portal shows the tax withheld', async () => {
  assert.ok(ids.payout, 'the batch of the test above');
  const page = await signedIn('#/payouts', { width: 390, height: 844 });
  const section = `section.payout[data-id="${ids.payout}"]`;
  const cell = await page.waitForSelector(`${section} tr[data-affiliate="${ids.taxed}"] td.amount`);
  const box = await cell.boundingBox();
  assert.ok(box.x >= 0 && box.x + box.width <= 390, `${box.x} + ${box.width} at 390px`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `no sideways scrolling at phone width (${overflow}px)`);

  await page.goto(`${stack.base}/dashboard/?lang=vi#/payouts`);
  const vi = await page.waitForSelector(`${section} tr[data-affiliate="${ids.taxed}"] td.amount`);
  assert.match(await vi.textContent(), /^2\.500\.000\s₫ − 250\.000\s₫ thuế = 2\.250\.000\s₫$/);
  assert.equal(await page.textContent('#withholding-report h2'), 'Báo cáo thuế khấu trừ');
  assert.deepEqual(page.errors.map(String), []);

  const portalRow = async (id, lang) => {
    const { token } = await api(stack, 'POST', `/v1/affiliates/${id}/token`);
    const ctx = await newContext(browser, { viewport: { width: 390, height: 844 } });
    const portal = await newPage(ctx);
    await portal.goto(`${stack.base}/portal/?lang=${lang}#token=${token}`);
    const row = await portal.waitForSelector(`#payout-history tbody tr[data-id="${ids.payout}"]`);
    return { ctx, portal, row };
  };
  const taxed = await portalRow(ids.taxed, 'en');
  assert.equal(await taxed.row.getAttribute('data-amount'), '2250000');
  assert.equal(await taxed.row.getAttribute('data-withheld'), '250000');
  assert.equal(await taxed.row.$eval('td.num', (td) => td.textContent), `${vnd(2250000)}${vnd(250000)} tax withheld from ${vnd(2500000)}`);
  assert.equal(await taxed.row.$eval('.tax-withheld', (e) => e.textContent), `${vnd(250000)} tax withheld from ${vnd(2500000)}`);
  // The total is before tax; the page says so, since each row shows what arrived.
  assert.equal(await taxed.portal.textContent('#paid-total-gross'), 'Before tax withheld: each payout below shows what you received.');
  const overflow2 = await taxed.portal.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow2 <= 1, `no sideways scrolling at phone width (${overflow2}px)`);
  await taxed.row.scrollIntoViewIfNeeded();
  await screenshot(taxed.portal, 'portal-withholding-phone', { fullPage: false });
  await taxed.portal.goto(taxed.portal.url().replace('lang=en', 'lang=th'));
  const th = await taxed.portal.waitForSelector(`#payout-history tbody tr[data-id="${ids.payout}"] .tax-withheld`);
  assert.match(await th.textContent(), /^หักภาษี ณ ที่จ่าย .*250,000 จากยอด .*2,500,000$/);
  assert.deepEqual(taxed.portal.errors.map(String), []);
  await taxed.ctx.close();

  const exempt = await portalRow(ids.exempt, 'en');
  assert.equal(await exempt.row.$('.tax-withheld'), null, 'nothing withheld, nothing said');
  assert.equal(await exempt.portal.$('#paid-total-gross'), null);
  assert.equal(await exempt.row.$eval('td.num', (td) => td.textContent), vnd(2000000));
  await exempt.ctx.close();
});

test('settings: the rule removed through the form; nothing is withheld any more', async () => {
  const page = await signedIn('#/settings');
  await page.waitForSelector('#withholding-rules .withholding-rule');
  await page.click('#withholding-rules .withholding-rule button[data-action="remove-rule"]');
  assert.equal(await page.$('#withholding-rules .withholding-rule'), null);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'withholding-add');
  await page.click('#save-program');
  await until(async () => (await api(stack, 'GET', '/v1/program')).withholding.length === 0);
  await page.reload();
  await page.waitForSelector('#withholding');
  assert.equal(await page.$('#withholding-rules .withholding-rule'), null);
  assert.deepEqual(page.errors.map(String), []);
});
