// The merchant dashboard and the affiliate portal on the seeded demo program: every KPI card
// checked against GET /v1/reports/* for the same period (not just rendered), the ledger's flagged
// referrals with their reasons, affiliates created and edited with the link builder and a
// magic link into the portal, a payout batch with its PayPal CSV seen in the affiliate's portal,
// the program's multi-touch model and language (followed by the dashboard, the portal and the
// store unless a person picks another), errors shown with the server's code, keyboard use and
// phone width. Saves screenshots for the README.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, stopStack, api, launch, newContext, newPage, dashboardSignIn, uniqueId, until, screenshot, mailBody, CREDS } from './harness.mjs';

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

const day = (offset) => new Date(Date.now() + offset * 86400000).toISOString().slice(0, 10);

async function signedIn(viewport) {
  const ctx = await newContext(browser, viewport ? { viewport } : {});
  const page = await newPage(ctx);
  await dashboardSignIn(stack, page);
  return page;
}

/** The KPI cards as {id: {raw, text}}. */
function cards(page) {
  return page.$$eval('.kpi', (els) =>
    Object.fromEntries(els.map((e) => [e.dataset.kpi, { raw: e.dataset.raw, text: e.querySelector('.value').textContent }])),
  );
}

test('overview: every KPI card equals the reports API for the same period, in VND and USD', async () => {
  const page = await signedIn();
  const [from, to] = [day(-60), day(-1)];
  const range = `from=${from}T00:00:00Z&to=${to}T23:59:59Z`;
  const summary = await api(stack, 'GET', `/v1/reports/summary?${range}`);
  const byAff = await api(stack, 'GET', `/v1/reports/affiliates?${range}&sort=revenue&limit=10`);
  const byCat = await api(stack, 'GET', `/v1/reports/categories?${range}`);
  for (const currency of ['VND', 'USD']) {
    await page.goto(`${stack.base}/dashboard/?lang=en#/overview?from=${from}&to=${to}&currency=${currency}`);
    await page.reload();
    await page.waitForSelector('#top-affiliates tbody tr');
    const c = await cards(page);
    const k = summary.kpis;
    const m = k.money.find((x) => x.currency === currency);
    const store = summary.store.find((x) => x.currency === currency);
    const expect = {
      clicks: k.clicks,
      unique_visitors: k.unique_visitors,
      leads: k.leads.net,
      sales: k.sales.net,
      revenue_net: m.revenue_net,
      aov: m.aov,
      conversion_rate: k.conversion_rate,
      commissions: m.commissions,
      cost_per_sale: m.cost_per_sale,
      epc_per_100: m.epc_per_100,
      roas: m.roas,
      roi: m.roi,
      contribution_margin: m.contribution_margin,
      reversal_rate: k.reversal_rate,
      active_affiliate_rate: summary.active_affiliate_rate,
      incremental: store.incremental,
    };
    for (const [id, v] of Object.entries(expect)) {
      assert.ok(c[id], `card ${id}`);
      assert.equal(Number(c[id].raw), Number(v), `${currency} ${id}`);
    }
    // Every seeded sale carries its cost of goods: ROI is known, and the margin subtracts it.
    assert.equal(m.sales_without_cost, 0);
    assert.ok(m.roi !== null && m.cost_of_goods > 0, `${currency} ROI ${m.roi}, cost of goods ${m.cost_of_goods}`);
    assert.equal(m.contribution_margin, m.revenue_net - m.cost_of_goods - m.commissions);
    assert.equal(c.roi.text, `${(Math.round(m.roi * 100) / 100).toLocaleString('en-US')}×`);
    // What is shown is the API's number, formatted by Intl (VND without decimals, USD with two).
    const fmt = (minor) =>
      page.evaluate(([n, cur]) => new Intl.NumberFormat('en-US', { style: 'currency', currency: cur, minimumFractionDigits: cur === 'VND' ? 0 : 2 }).format(cur === 'VND' ? n : n / 100), [minor, currency]);
    assert.equal(c.revenue_net.text, await fmt(m.revenue_net));
    assert.equal(c.commissions.text, await fmt(m.commissions));
    assert.equal(c.clicks.text, k.clicks.toLocaleString('en-US'));
    if (currency === 'VND') assert.doesNotMatch(c.revenue_net.text, /\./);
    else assert.match(c.revenue_net.text, /\.\d\d$/);
    // Top affiliates and categories in the API's order, with its numbers.
    const affRows = await page.$$eval('#top-affiliates tbody tr', (rs) => rs.map((r) => r.dataset.key));
    assert.deepEqual(affRows, byAff.rows.map((r) => r.key));
    // Multi-touch credit beside them: credited revenue (the model named) and assisted sales.
    const credit = await page.$$eval('#top-affiliates tbody tr', (rs) =>
      rs.map((r) => [r.querySelector('[data-kpi="credited"]').textContent, r.querySelector('[data-kpi="assisted"]').textContent]),
    );
    for (const [i, r] of byAff.rows.entries()) {
      const mm = r.money.find((x) => x.currency === currency);
      assert.equal(credit[i][0], await fmt(mm ? mm.credited_revenue_net : 0), `${r.key} credited revenue`);
      assert.equal(credit[i][1], r.assisted_sales.net.toLocaleString('en-US'), `${r.key} assisted sales`);
    }
    assert.match(await page.$eval('#top-affiliates thead', (e) => e.textContent), /Credited revenue · Position-based \(40 % first, 40 % last\)Assisted sales/);
    const catClicks = await page.$$eval('#by-category tbody tr', (rs) => rs.map((r) => r.children[1].textContent));
    assert.deepEqual(catClicks, byCat.rows.map((r) => r.clicks.toLocaleString('en-US')));
    assert.ok((await page.$$('canvas')).length >= 4, 'the charts are drawn');
    if (currency === 'VND') await screenshot(page, 'dashboard-overview');
  }
  assert.deepEqual(page.errors.map(String), []);
});

test('the program’s language (the seeded program’s: Vietnamese) picks the UI, Intl formats it; Thai on request', async () => {
  const ctx = await newContext(browser);
  const page = await newPage(ctx);
  await page.goto(`${stack.base}/dashboard/`);
  await page.fill('#password', CREDS.REFTRAIL_ADMIN_PASSWORD);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#sign-out');
  await page.waitForSelector('.kpi');
  assert.equal(await page.getAttribute('html', 'lang'), 'vi');
  assert.match(await page.textContent('header nav'), /Tổng quan/);
  const revenue = await page.textContent('.kpi[data-kpi="revenue_net"] .value');
  assert.match(revenue, /^[\d.]+\s₫$/, `vi-VN money without decimals: ${revenue}`);
  await page.waitForTimeout(300);
  await screenshot(page, 'dashboard-overview-vi');
  await page.selectOption('header select.lang', 'th');
  await page.waitForSelector('.kpi');
  assert.match(await page.textContent('header nav'), /ภาพรวม/);
  assert.equal(await page.getAttribute('html', 'lang'), 'th');
  await ctx.close();
});

test('sign-in errors show what went wrong with the server code; keyboard reaches every view', async () => {
  const ctx = await newContext(browser);
  const page = await newPage(ctx);
  await page.goto(`${stack.base}/dashboard/?lang=en`);
  await page.fill('#password', 'not the password');
  await page.keyboard.press('Enter');
  const err = await page.waitForSelector('.state-error');
  assert.match(await err.textContent(), /\(unauthorized\)/);
  await page.fill('#password', CREDS.REFTRAIL_ADMIN_PASSWORD);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#sign-out');
  // Tab from the top of the page (its skip link) to the "Referrals" link and open it with Enter.
  await page.focus('a.skip');
  for (let i = 0; i < 10; i++) {
    await page.keyboard.press('Tab');
    if ((await page.evaluate(() => document.activeElement.getAttribute('href'))) === '#/referrals') break;
  }
  await page.keyboard.press('Enter');
  await page.waitForSelector('#referrals tbody tr');
  assert.match(page.url(), /#\/referrals/);
  await ctx.close();
});

test('ledger: flagged referrals are listed with their reason', async () => {
  const page = await signedIn();
  await page.goto(`${stack.base}/dashboard/?lang=en#/referrals?flagged=true`);
  await page.reload();
  await page.waitForSelector('#referrals tbody tr');
  const flags = await page.$$eval('#referrals tbody tr', (rs) => rs.map((r) => r.querySelector('.flags')?.textContent || ''));
  assert.ok(flags.length > 0 && flags.every((f) => f.length > 0), 'every flagged row names its flag');
  assert.ok(flags.some((f) => /Self-referral/.test(f)), flags.join(' | '));
  const api1 = await api(stack, 'GET', `/v1/referrals?flagged=true&limit=25&from=${encodeURIComponent(new Date(Date.now() - 30 * 86400000).toISOString().replace(/\.\d+Z$/, 'Z'))}`);
  assert.equal(flags.length, api1.referrals.length);
  await screenshot(page, 'dashboard-referrals-flagged');

  // The same filters download as CSV: every flagged referral of the period, each naming its flags.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#referrals-csv')]);
  const csv = (await (await import('node:fs')).promises.readFile(await download.path(), 'utf8')).trim().split('\n');
  assert.equal(csv[0].split(',')[0], 'referral_id');
  const rows = csv.slice(1).map((l) => l.split(','));
  const shown = await page.$$eval('#referrals tbody tr', (rs) => rs.map((r) => r.dataset.id));
  for (const id of shown) assert.ok(rows.some((r) => r[0] === id), `${id} in the CSV`);
  assert.ok(rows.every((r) => r[13] !== ''), 'flagged rows only');
});

test('affiliates: create with category, rate and coupon; link builder; magic link opens the portal with QR codes', async () => {
  const page = await signedIn();
  await page.goto(`${stack.base}/dashboard/?lang=en#/affiliates`);
  await page.reload();
  await page.click('#add-affiliate');
  const id = uniqueId('new');
  await page.fill('#a-id', id);
  await page.fill('#a-name', 'Mai Pham');
  await page.fill('#a-email', `${id}@example.com`);
  await page.selectOption('#a-category', 'influencer');
  await page.fill('#a-rate', '12.5');
  await page.fill('#a-coupons', 'MAI15');
  await page.click('#new-affiliate button[type=submit]');
  const magic = await (await page.waitForSelector('#magic-link')).textContent();
  const a = await api(stack, 'GET', `/v1/affiliates/${id}`);
  assert.equal(a.category, 'influencer');
  assert.deepEqual(a.commission.sale, { type: 'percent', rate_bps: 1250 });
  assert.deepEqual(a.coupons, ['MAI15']);
  // Every link form, with the program's parameter names.
  await page.fill('#link-base', `${stack.shopUrl()}/store/`);
  const forms = await page.$$eval('#links tr', (rs) => rs.map((r) => [r.children[0].textContent, r.children[1].textContent]));
  const byForm = Object.fromEntries(forms);
  assert.equal(byForm['?ref='], `${stack.shopUrl()}/store/?ref=${id}`);
  assert.equal(byForm['?via='], `${stack.shopUrl()}/store/?via=${id}`);
  assert.equal(byForm['#ref='], `${stack.shopUrl()}/store/#ref=${id}`);
  assert.equal(byForm['/ref/…/'], `${stack.shopUrl()}/store/ref/${id}/`);
  assert.equal(byForm.coupon, 'MAI15');
  await screenshot(page, 'dashboard-affiliate');
  // Edit: the category changes.
  await page.selectOption('#a-category', 'content');
  await page.click('#edit-affiliate button[type=submit]');
  await page.waitForSelector('#notice .notice:has-text("Saved")');
  assert.equal((await api(stack, 'GET', `/v1/affiliates/${id}`)).category, 'content');

  // The magic link signs the affiliate in to the portal.
  const ctx = await newContext(browser);
  const portal = await newPage(ctx);
  await portal.goto(magic.replace('/portal/#', '/portal/?lang=en#'));
  await portal.waitForSelector('#links');
  assert.match(await portal.textContent('h1'), /Mai Pham/);
  assert.doesNotMatch(portal.url(), /token=/, 'the token leaves the address bar');
  assert.match(await portal.textContent('#coupons'), /MAI15/);
  assert.match(await portal.textContent('main'), /12\.5 %/);
  await portal.click('#links .link-row[data-form="?ref="] .actions button:nth-child(2)');
  await portal.waitForSelector('#links .qr svg');
  await ctx.close();
});

test('portal on a phone: Share hands a link to the device’s share sheet; a desktop without one lists the networks, LINE first in Thai', async () => {
  const id = uniqueId('sharer');
  const { token } = await api(stack, 'POST', '/v1/affiliates', { id, name: 'Nok Srisuk', email: `${id}@affiliates.example`, category: 'influencer' });
  // The phone's share sheet (LINE, Zalo, Messenger…), as the page sees it: navigator.share.
  const phone = await newContext(browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await phone.addInitScript(() => {
    window.shared = [];
    navigator.share = async (data) => {
      window.shared.push(data);
      if (window.shared.length === 2) throw new DOMException('closed', 'AbortError');
    };
  });
  const page = await newPage(phone);
  await page.goto(`${stack.base}/portal/?lang=th#token=${token}`);
  await page.waitForSelector('#links');
  const row = '#links .link-row[data-form="?ref="]';
  const url = await page.textContent(`${row} code.link`);
  assert.match(url, new RegExp(`[?&]ref=${id}$`));
  const share = `${row} button[data-action="share"]`;
  assert.equal(await page.textContent(share), 'แชร์');
  assert.equal(await page.getAttribute(share, 'aria-label'), `แชร์: ${url}`);
  await page.click(share);
  assert.deepEqual(await page.evaluate(() => window.shared), [{ url }]);
  // Closed without sharing: nothing to report.
  await page.click(share);
  assert.equal(await page.evaluate(() => window.shared.length), 2);
  assert.equal(await page.$('#notice .notice-bad'), null);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `no sideways scrolling at phone width (${overflow}px)`);
  assert.deepEqual(page.errors.map(String), []);
  await phone.close();

  const desktop = await newContext(browser);
  const plain = await newPage(desktop);
  await plain.goto(`${stack.base}/portal/?lang=en#token=${token}`);
  await plain.waitForSelector('#links');
  assert.equal(await plain.evaluate(() => typeof navigator.share), 'undefined', 'this desktop browser cannot share');
  assert.equal(await plain.$('#links button[data-action="share"]'), null);
  assert.equal(await plain.textContent(`${row} .actions button`), 'Copy');
  // Share opens a menu of networks, each a sharing address with the link in it, in a new tab.
  const menu = `${row} details[data-action="share"]`;
  assert.equal(await plain.isVisible(`${menu} a`), false);
  await plain.click(`${menu} summary`);
  const links = await plain.$$eval(`${menu} a`, (as) => as.map((a) => [a.dataset.network, a.href, a.target, a.rel]));
  assert.deepEqual(links.map(([n]) => n), ['facebook', 'x', 'whatsapp', 'telegram', 'line']);
  const enc = encodeURIComponent(url);
  assert.deepEqual(links[0], ['facebook', `https://www.facebook.com/sharer/sharer.php?u=${enc}`, '_blank', 'noopener noreferrer']);
  assert.equal(links[4][1], `https://social-plugins.line.me/lineit/share?url=${enc}`);
  await plain.goto(`${stack.base}/portal/?lang=th#token=${token}`);
  await plain.waitForSelector('#links');
  assert.equal(await plain.getAttribute(`${menu} a >> nth=0`, 'data-network'), 'line', 'LINE leads in Thailand');
  assert.deepEqual(plain.errors.map(String), []);
  await desktop.close();
});

test('affiliates: a pending application is approved in one click, and the affiliate is welcomed by email', async () => {
  const id = uniqueId('applicant');
  await api(stack, 'POST', '/v1/affiliates', { id, name: 'Linh Vo', email: `${id}@affiliates.example`, category: 'content', status: 'pending' });
  const before = stack.mail.length;
  const page = await signedIn();
  await page.goto(`${stack.base}/dashboard/?lang=en#/affiliates?status=pending`);
  await page.reload();
  const row = await page.waitForSelector(`#affiliates tr[data-id="${id}"]`);
  assert.match(await row.textContent(), /Pending/);
  await row.$eval('button[data-action="approve"]', (b) => b.click());
  await until(async () => (await api(stack, 'GET', `/v1/affiliates/${id}`)).status === 'approved');
  // The list shows pending applications only: the approved one leaves it.
  await page.waitForSelector(`#affiliates tr[data-id="${id}"]`, { state: 'detached' });
  const mail = await until(() => stack.mail.slice(before).find((m) => m.toLowerCase().includes(`\nto: ${id}@affiliates.example\n`)), { timeout: 20000 });
  const body = mailBody(mail);
  assert.match(body, /^Xin chào Linh Vo,/, body);
  assert.ok(body.includes('đã được duyệt'), body);
  assert.ok(body.includes(`${stack.base}/portal/`), body);
  assert.deepEqual(page.errors.map(String), []);
});

test('portal: the seeded affiliate sees clicks, conversions, EPC and earnings by status (screenshots, phone width too)', async () => {
  const { token } = await api(stack, 'POST', '/v1/affiliates/alice/token');
  const from = new Date(Date.now() - 30 * 86400000).toISOString().replace(/\.\d+Z$/, 'Z');
  for (const [name, viewport] of [['portal', { width: 1280, height: 900 }], ['portal-phone', { width: 390, height: 844 }]]) {
    const ctx = await newContext(browser, { viewport });
    const page = await newPage(ctx);
    await page.goto(`${stack.base}/portal/?lang=en#token=${token}&shop=${encodeURIComponent(`${stack.shopUrl()}/store/`)}`);
    await page.waitForSelector('#my-referrals tbody tr');
    const c = await cards(page);
    const me = await api(stack, 'GET', '/v1/balances?affiliate=alice');
    const rows = await page.$$eval('#balances tbody tr', (rs) => rs.map((r) => ({ ...r.dataset })));
    for (const b of me.balances) {
      const row = rows.find((r) => r.currency === b.currency);
      assert.equal(Number(row.approved), b.approved);
      assert.equal(Number(row.pending), b.pending);
    }
    assert.ok(Number(c.clicks.raw) > 0 && c.epc_VND && c.earnings_VND, 'clicks, EPC and earnings');
    // No batch has paid anyone yet: the payout history says what happens next.
    assert.match(await page.textContent('#payout-history.state-empty, #payout-history .state-empty'), /next payout batch/);
    const report = await (await fetch(`${stack.base}/v1/me/report?from=${from}`, { headers: { Authorization: `Bearer ${token}` } })).json();
    assert.ok(Math.abs(Number(c.clicks.raw) - report.kpis.clicks) <= 2, 'clicks match the report');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `no sideways scrolling at ${viewport.width}px (${overflow}px)`);
    await screenshot(page, name);
    await ctx.close();
  }
  const page = await signedIn({ width: 390, height: 844 });
  await page.waitForSelector('.kpi');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `dashboard: no sideways scrolling at phone width (${overflow}px)`);
  await page.waitForTimeout(300);
  await screenshot(page, 'dashboard-phone');
});

test('portal: an affiliate turns the email about each new referral off, and on again', async () => {
  const id = uniqueId('quiet');
  const { token } = await api(stack, 'POST', '/v1/affiliates', { id, name: 'Quiet Partner', email: `${id}@affiliates.example`, category: 'content' });
  const me = () => fetch(`${stack.base}/v1/me`, { headers: { Authorization: `Bearer ${token}` } }).then((r) => r.json());
  const ctx = await newContext(browser);
  const page = await newPage(ctx);
  await page.goto(`${stack.base}/portal/?lang=vi#token=${token}`);
  const box = page.locator('#referral-emails');
  await box.waitFor();
  assert.equal(await box.isChecked(), true, 'on unless turned off');
  assert.match(await page.textContent('#emails'), /Gửi email cho tôi về mỗi lượt giới thiệu mới/);
  await box.click();
  await until(async () => (await me()).referral_emails === false);
  await page.reload();
  await box.waitFor();
  assert.equal(await box.isChecked(), false, 'kept');
  await box.click();
  await until(async () => (await me()).referral_emails === true);
  assert.equal(await box.isChecked(), true);
  assert.deepEqual(page.errors.map(String), []);
  await ctx.close();
});

test('payouts: a batch of approved USD balances, and its CSV', async () => {
  const page = await signedIn();
  await page.goto(`${stack.base}/dashboard/?lang=en#/payouts`);
  await page.reload();
  await page.waitForSelector('#balances');
  const before = await api(stack, 'GET', '/v1/balances');
  const usd = before.balances.filter((b) => b.currency === 'USD' && b.approved > 0);
  await page.selectOption('#payout-currency', 'USD');
  await page.fill('#payout-note', 'November');
  await page.click('#create-payout');
  const section = await page.waitForSelector('section.payout');
  const id = await section.getAttribute('data-id');
  const [download] = await Promise.all([page.waitForEvent('download'), section.$eval('button[data-action="csv"]', (b) => b.click())]);
  const csv = await (await import('node:fs')).promises.readFile(await download.path(), 'utf8');
  const lines = csv.trim().split(/\r?\n/);
  const payout = await api(stack, 'GET', `/v1/payouts/${id}`);
  assert.equal(payout.lines.length, usd.length, 'one line per affiliate with a USD balance');
  // The CSV is PayPal's file: the PayPal lines only.
  const paypal = payout.lines.filter((l) => l.method === 'paypal');
  assert.equal(lines.length, paypal.length, csv);
  for (const l of paypal) assert.ok(csv.includes(l.paypal_email), l.paypal_email);
  // A bank transfer paid in USD: its account details, and no QR code (VietQR carries VND).
  const bank = payout.lines.find((l) => l.method === 'vietqr');
  assert.ok(bank, 'the demo pays some affiliates by VietQR');
  assert.equal(bank.transfer_qr, null);
  const bankRow = await section.$(`tr[data-affiliate="${bank.affiliate}"]`);
  const bankText = await bankRow.textContent();
  assert.ok(bankText.includes(bank.account) && bankText.includes('No QR code in USD'), bankText);
  assert.equal(await bankRow.$('button[data-action="qr"]'), null);
  assert.ok(!csv.includes(`,${bank.affiliate},`), `${bank.affiliate} is not in the PayPal file`);
  await screenshot(page, 'dashboard-payouts');

  // Each paid affiliate finds the batch in their portal's payout history, with where it went;
  // nobody else's line.
  const line = bank;
  const { token } = await api(stack, 'POST', `/v1/affiliates/${encodeURIComponent(line.affiliate)}/token`);
  const ctx = await newContext(browser);
  const portal = await newPage(ctx);
  await portal.goto(`${stack.base}/portal/?lang=en#token=${token}`);
  const row = await portal.waitForSelector(`#payout-history tbody tr[data-id="${id}"]`);
  assert.equal(Number(await row.getAttribute('data-amount')), line.amount);
  assert.equal(await row.getAttribute('data-currency'), 'USD');
  const shown = await row.textContent();
  const expected = await portal.evaluate((n) => new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).format(n / 100), line.amount);
  assert.ok(shown.includes(expected), `${shown} shows ${expected}`);
  assert.match(shown, /November/);
  assert.ok(shown.includes(`Bank transfer (VietQR) · ${line.account}`), shown);
  assert.equal((await portal.$$('#payout-history tbody tr')).length, 1, 'only their own line of the batch');
  assert.deepEqual(portal.errors.map(String), []);
  await screenshot(portal, 'portal-payouts');
  await ctx.close();
});

test('privacy: a customer found by email, their data downloaded as JSON, then erased while the orders and commissions stay', async () => {
  const affiliateId = uniqueId('priv');
  const code = `PRIV${Date.now().toString(36).toUpperCase()}`;
  await api(stack, 'POST', '/v1/affiliates', { id: affiliateId, name: 'Privacy Partner', email: `${affiliateId}@affiliates.test`, category: 'content', coupons: [code] });
  const email = `${uniqueId('buyer')}@customers.test`;
  const orderId = uniqueId('order');
  await api(stack, 'POST', '/v1/sales', { order_id: orderId, amount: 450000, currency: 'VND', coupon: code, customer: { email } });
  await api(stack, 'POST', '/v1/leads', { event: 'signup', email });
  const held = await api(stack, 'POST', '/v1/privacy/export', { email });
  assert.equal(held.orders.length, 1);
  const credited = await api(stack, 'GET', `/v1/referrals?affiliate=${affiliateId}`);
  assert.equal(credited.referrals.length, 1);

  const page = await signedIn();
  await page.goto(`${stack.base}/dashboard/?lang=en#/privacy`);
  await page.reload();
  await page.fill('#privacy-email', email.toUpperCase());
  await page.click('#privacy-find');
  const order = await page.waitForSelector('#privacy-orders tbody tr');
  const text = await order.textContent();
  assert.ok(text.includes(orderId) && text.includes(affiliateId) && /Coupon/.test(text), text);
  const amount = await page.evaluate(() => new Intl.NumberFormat('en-US', { style: 'currency', currency: 'VND' }).format(450000));
  assert.ok(text.includes(amount), `${text} shows ${amount}`);
  assert.equal((await page.$$('#privacy-leads tbody tr')).length, 1);

  // The download is what the API answers, with the request it answers.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#privacy-download')]);
  const saved = JSON.parse(await (await import('node:fs')).promises.readFile(await download.path(), 'utf8'));
  assert.deepEqual(saved, { request: { email: email.toUpperCase() }, ...held });
  await screenshot(page, 'dashboard-privacy');

  // Erasing asks first; cancel leaves everything.
  await page.click('#privacy-erase');
  await page.waitForSelector('#privacy-confirm');
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.action), 'cancel', 'the safe answer has the focus');
  await page.keyboard.press('Enter');
  assert.equal(await page.$('#privacy-confirm'), null);
  assert.equal((await api(stack, 'POST', '/v1/privacy/export', { email })).orders.length, 1);
  await page.click('#privacy-erase');
  await page.click('#privacy-erase-yes');
  const done = await (await page.waitForSelector('#privacy-erased')).textContent();
  assert.match(done, /Orders unlinked: 1\. Leads unlinked: 1\./);
  const after = await api(stack, 'POST', '/v1/privacy/export', { email });
  assert.deepEqual([after.orders, after.leads], [[], []]);
  const kept = await api(stack, 'GET', `/v1/referrals?affiliate=${affiliateId}`);
  assert.deepEqual(kept, credited, 'the sale is still credited, with its commission');

  // Searching again finds nothing; the page speaks Thai too.
  await page.click('#privacy-find');
  await page.waitForSelector('#privacy-result .state-empty');
  await page.goto(`${stack.base}/dashboard/?lang=th#/privacy`);
  await page.waitForSelector('#privacy-find');
  assert.equal(await page.textContent('nav a[aria-current="page"]'), 'ความเป็นส่วนตัว');
  assert.equal(await page.textContent('#privacy-find'), 'ค้นหา');
  assert.deepEqual(page.errors.map(String), []);
});

test('settings: the script tag to paste, for this server, and whether clicks arrive', async () => {
  const page = await signedIn();
  await page.goto(`${stack.base}/dashboard/?lang=en#/settings`);
  await page.reload();
  await page.waitForSelector('#install-tag');
  assert.equal(await page.textContent('#install h2'), 'Add the tracker to your shop');
  const tag = await page.textContent('#install-tag');
  assert.equal(tag, `<script async src="${stack.base}/reftrail/loader.js" data-endpoint="${stack.base}" data-key="pk_…"></script>`);
  // The loader it names is there.
  const loader = await fetch(`${stack.base}/reftrail/loader.js`);
  assert.equal(loader.status, 200);
  // The check: the demo's clicks of the last day, as the reports API counts them.
  await page.waitForFunction(() => !document.querySelector('#install-check .state-loading'));
  const since = new Date(Date.now() - 86400000).toISOString();
  const k = (await api(stack, 'GET', `/v1/reports/summary?from=${encodeURIComponent(since)}`)).kpis;
  assert.ok(k.clicks > 0, 'the seeded demo has clicks today');
  assert.match(await page.textContent('#install-check'), /^Working: in the last 24 hours [\d,]+ clicks and [\d,]+ sales reached the program\.$/);
  const shown = (await page.textContent('#install-check')).match(/hours ([\d,]+) clicks/)[1].replaceAll(',', '');
  assert.ok(Math.abs(Number(shown) - k.clicks) <= 2, `${shown} clicks shown, ${k.clicks} counted`);
  assert.ok(await page.isVisible('#install button'), 'a copy button');
  const box = await (await page.$('#install')).boundingBox();
  await screenshot(page, 'dashboard-install', { fullPage: true, clip: { x: 0, y: Math.floor(box.y), width: 1280, height: Math.ceil(box.height) } });
  assert.deepEqual(page.errors.map(String), []);
});

test('settings: the history of changes says when, by whom, and each setting before and after', async () => {
  const before = await api(stack, 'GET', '/v1/program');
  const page = await signedIn();
  await page.goto(`${stack.base}/dashboard/?lang=en#/settings`);
  await page.reload();
  await page.waitForSelector('#program-changes');
  assert.equal(await page.textContent('#program-changes h2'), 'History of changes');
  const hold = before.hold_days === 14 ? 15 : 14;
  await page.fill('#s-hold', String(hold));
  await page.click('#save-program');
  try {
    await until(async () => (await api(stack, 'GET', '/v1/program')).hold_days === hold);
    await page.reload();
    const first = await page.waitForSelector('#program-changes tbody tr');
    const cells = await first.$$eval('td', (tds) => tds.map((td) => td.textContent));
    assert.equal(cells[1], 'Dashboard');
    assert.equal(await first.$eval('li[data-setting="hold_days"]', (li) => li.textContent), `Hold period (days): ${before.hold_days} → ${hold}`);
    assert.equal(await first.$$eval('li', (lis) => lis.length), 1, 'only what changed');
    const api_ = (await api(stack, 'GET', '/v1/program/changes?limit=1')).changes[0];
    assert.equal(await first.getAttribute('data-id'), api_.id);
    assert.deepEqual([api_.by, api_.settings], ['dashboard', [{ setting: 'hold_days', before: before.hold_days, after: hold }]]);
  } finally {
    await api(stack, 'PUT', '/v1/program', before);
  }
  // Put back with the secret key: the newest entry, by the API.
  await page.reload();
  const first = await page.waitForSelector('#program-changes tbody tr');
  assert.equal(await first.$eval('td:nth-child(2)', (td) => td.textContent), 'API (secret key)');
  assert.equal(await first.$eval('li[data-setting="hold_days"]', (li) => li.textContent), `Hold period (days): ${hold} → ${before.hold_days}`);
  const box = await (await page.$('#program-changes')).boundingBox();
  await screenshot(page, 'dashboard-program-changes', { fullPage: true, clip: { x: 0, y: Math.floor(box.y), width: 1280, height: Math.ceil(box.height) } });
  assert.deepEqual(page.errors.map(String), []);
});

test('settings: the switch that flags sales from paid ads is a checkbox, saved as true or false', async () => {
  const before = await api(stack, 'GET', '/v1/program');
  assert.equal(before.fraud.flag_paid_ads, false);
  const page = await signedIn();
  await page.goto(`${stack.base}/dashboard/?lang=en#/settings`);
  await page.reload();
  await page.waitForSelector('#s-fraud-flag_paid_ads');
  assert.equal(await page.isChecked('#s-fraud-flag_paid_ads'), false);
  // The thresholds stay numbers beside it.
  assert.equal(await page.inputValue('#s-fraud-clicks_per_ip_per_hour'), String(before.fraud.clicks_per_ip_per_hour));
  await page.check('#s-fraud-flag_paid_ads');
  await page.click('#save-program');
  try {
    const saved = await until(async () => {
      const p = await api(stack, 'GET', '/v1/program');
      return p.fraud.flag_paid_ads === true && p;
    });
    assert.deepEqual(saved.fraud, { ...before.fraud, flag_paid_ads: true });
    await page.reload();
    await page.waitForSelector('#s-fraud-flag_paid_ads');
    assert.equal(await page.isChecked('#s-fraud-flag_paid_ads'), true);
  } finally {
    await api(stack, 'PUT', '/v1/program', before);
  }
  assert.deepEqual(page.errors.map(String), []);
});

test('settings: the shop’s logo and colour dress the affiliate portal; a colour too light is refused', async () => {
  const before = await api(stack, 'GET', '/v1/program');
  const page = await signedIn();
  await page.goto(`${stack.base}/dashboard/?lang=en#/settings`);
  await page.reload();
  await page.waitForSelector('#s-accent-color');
  const logo = `${stack.shopUrl()}/store/logo.svg`;
  await page.fill('#s-logo-url', logo);
  // Shopee-like orange reads on white; a yellow does not, and the save says why.
  await page.fill('#s-accent-color', '#ffd400');
  await page.click('#save-program');
  await page.waitForSelector('.state-error');
  assert.match(await page.textContent('.state-error'), /too light.*1\.4:1/);
  assert.equal((await api(stack, 'GET', '/v1/program')).accent_color, before.accent_color);
  await page.fill('#s-accent-color', '#c2185b');
  await page.click('#save-program');
  try {
    await until(async () => (await api(stack, 'GET', '/v1/program')).accent_color === '#c2185b');
    const { token } = await api(stack, 'POST', '/v1/affiliates', { id: uniqueId('brand'), name: 'Brand Test', email: 'brand@affiliates.example' });
    const portal = await newPage(await newContext(browser));
    await portal.goto(`${stack.base}/portal/?lang=en#token=${token}`);
    await portal.waitForSelector('#shop-logo');
    assert.equal(await portal.getAttribute('#shop-logo', 'src'), logo);
    assert.match(await portal.textContent('header .brand'), /· Brand Test$/);
    await portal.waitForSelector('.btn-primary');
    const colour = await portal.$eval('.btn-primary', (b) => getComputedStyle(b).backgroundColor);
    assert.equal(colour, 'rgb(194, 24, 91)');
    await screenshot(portal, 'portal-branded', { clip: { x: 0, y: 0, width: 1280, height: 400 } });
    assert.deepEqual(portal.errors.map(String), []);
  } finally {
    await api(stack, 'PUT', '/v1/program', before);
  }
  assert.deepEqual(page.errors.map(String), []);
});

test('settings: the multi-touch model and the program’s language; the dashboard, portal and store follow it unless a person picks another', async () => {
  const page = await signedIn();
  await page.goto(`${stack.base}/dashboard/?lang=en#/settings`);
  await page.reload();
  await page.waitForSelector('#s-multi-touch');
  assert.equal(await page.inputValue('#s-multi-touch'), 'position_based', 'the seeded model');
  assert.equal(await page.inputValue('#s-locale'), 'vi');
  assert.ok(await page.isHidden('#s-half-life'), 'the half-life belongs to time decay only');
  await page.selectOption('#s-multi-touch', 'time_decay');
  assert.ok(await page.isVisible('#s-half-life'));
  await page.fill('#s-half-life', '10');
  await page.selectOption('#s-locale', 'th');
  assert.equal(await page.isChecked('#s-match-customers'), false, 'cross-device matching is off by default');
  await page.check('#s-match-customers');
  assert.equal(await page.inputValue('#s-click-details'), '90', 'click details are kept 90 days by default');
  await page.fill('#s-click-details', '');
  assert.equal(await page.isChecked('#s-email-referral-created'), true, 'affiliates hear of referrals by default');
  assert.equal(await page.isChecked('#s-email-payout-created'), true);
  assert.equal(await page.isChecked('#s-email-affiliate-approved'), true);
  assert.equal(await page.isChecked('#s-email-bonus-created'), true);
  await page.uncheck('#s-email-referral-created');
  await page.click('#save-program');
  try {
    await until(async () => {
      const p = await api(stack, 'GET', '/v1/program');
      return p.locale === 'th' && p.multi_touch.kind === 'time_decay' && p.multi_touch.half_life_days === 10 && p.match_customers === true && p.click_details_days === null && p.affiliate_emails.join() === 'payout.created,affiliate.approved,bonus.created';
    });
    // An empty field keeps them; a number of days is saved as given.
    await page.waitForFunction(() => document.querySelector('#s-click-details')?.value === '');
    await page.fill('#s-click-details', '30');
    await page.click('#save-program');
    await until(async () => (await api(stack, 'GET', '/v1/program')).click_details_days === 30);
    // The form shows what was saved; this page asked for English in its address, so it stays English.
    await page.waitForFunction(() => document.querySelector('#s-multi-touch')?.value === 'time_decay' && document.querySelector('#s-half-life')?.value === '10');
    assert.equal(await page.getAttribute('html', 'lang'), 'en');

    // A fresh browser: the dashboard speaks the program's language.
    const ctx = await newContext(browser);
    const dash = await newPage(ctx);
    await dash.goto(`${stack.base}/dashboard/`);
    await dash.fill('#password', CREDS.REFTRAIL_ADMIN_PASSWORD);
    await dash.keyboard.press('Enter');
    await dash.waitForSelector('.kpi');
    assert.equal(await dash.getAttribute('html', 'lang'), 'th');
    assert.match(await dash.textContent('header nav'), /ภาพรวม/);

    // The portal too, until the affiliate picks English, which then wins on this browser.
    const { token } = await api(stack, 'POST', '/v1/affiliates/bob/token');
    const portal = await newPage(ctx);
    await portal.goto(`${stack.base}/portal/#token=${token}`);
    await portal.waitForSelector('#links');
    assert.equal(await portal.getAttribute('html', 'lang'), 'th');
    await portal.selectOption('header select.lang', 'en');
    await portal.waitForSelector('#links');
    assert.equal(await portal.getAttribute('html', 'lang'), 'en');
    await portal.reload();
    await portal.waitForSelector('#links');
    assert.equal(await portal.getAttribute('html', 'lang'), 'en', 'the affiliate’s own pick wins over the program');

    // The store (its backend reads the program at most every 2 s), and ?lang= from its picker.
    const store = await newPage(ctx);
    await until(async () => {
      await store.goto(`${stack.shopUrl()}/store/`);
      await store.waitForSelector('.product');
      return (await store.getAttribute('html', 'lang')) === 'th';
    }, { timeout: 10000, every: 500 });
    await store.goto(`${stack.shopUrl()}/store/?lang=vi`);
    await store.waitForSelector('.product');
    assert.equal(await store.getAttribute('html', 'lang'), 'vi');
    for (const p of [dash, portal, store]) assert.deepEqual(p.errors.map(String), []);
    await ctx.close();
  } finally {
    const p = await api(stack, 'GET', '/v1/program');
    delete p.webhook_secret;
    await api(stack, 'PUT', '/v1/program', { ...p, locale: 'vi', multi_touch: { kind: 'position_based' }, match_customers: false });
  }
});

// Last in the file: its 102 affiliates would push the others' past the list's first page.
test('affiliates: found by a piece of a Vietnamese name typed without accents; a long list shows more on request', async () => {
  const tag = uniqueId('find').replace(/[^a-z0-9]/g, '');
  // 102 affiliates of one run-unique word, two of them with Vietnamese names, in one import.
  const rows = ['id,name,email', `${tag}-hong,Nguyễn Thị Hồng ${tag},hong-${tag}@affiliates.example`, `${tag}-minh,Đặng Văn Minh ${tag},minh-${tag}@affiliates.example`];
  for (let i = 0; i < 100; i++) rows.push(`${tag}-${String(i).padStart(3, '0')},Affiliate ${i} ${tag},a${i}-${tag}@affiliates.example`);
  const r = await fetch(`${stack.base}/v1/affiliates.csv`, { method: 'POST', headers: { Authorization: `Bearer ${CREDS.REFTRAIL_SECRET_KEY}`, 'Content-Type': 'text/csv' }, body: rows.join('\n') });
  assert.equal(r.status, 200, await r.text());

  const page = await signedIn();
  await page.goto(`${stack.base}/dashboard/?lang=en#/affiliates`);
  await page.reload();
  await page.waitForSelector('#f-search');
  await page.fill('#f-search', `nguyen thi hong ${tag}`);
  await page.press('#f-search', 'Enter');
  await page.waitForSelector(`#affiliates tr[data-id="${tag}-hong"]`);
  assert.equal(await page.$$eval('#affiliates tbody tr', (trs) => trs.length), 1);
  assert.equal(await page.textContent('#affiliates-shown'), '1 of 1 affiliates');
  // The search stays in the address: a reload keeps it.
  await page.reload();
  await page.waitForSelector(`#affiliates tr[data-id="${tag}-hong"]`);
  assert.equal(await page.inputValue('#f-search'), `nguyen thi hong ${tag}`);

  await page.fill('#f-search', tag);
  await page.press('#f-search', 'Enter');
  await page.waitForSelector('#more-affiliates');
  assert.equal(await page.textContent('#affiliates-shown'), '100 of 102 affiliates');
  await page.click('#more-affiliates');
  await page.waitForSelector('#more-affiliates', { state: 'detached' });
  assert.equal(await page.textContent('#affiliates-shown'), '102 of 102 affiliates');
  assert.equal(await page.$$eval('#affiliates tbody tr', (trs) => trs.length), 102);

  await page.fill('#f-search', `nobody ${tag}`);
  await page.press('#f-search', 'Enter');
  await page.waitForSelector('.state-empty');
  assert.match(await page.textContent('main'), new RegExp(`No affiliate matches “nobody ${tag}”`));
  assert.deepEqual(page.errors.map(String), []);
});
