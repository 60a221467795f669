// The end-to-end stack: the real tracking server (reftrail-server, on a private SQLite file
// and a free loopback port, seeded with the demo program) and the demo shop in front of it, both
// started here and stopped by PID; Debian's Chromium (never a downloaded browser) with the shop's
// host names mapped to 127.0.0.1.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const ARTIFACTS = path.join(root, 'tests/e2e/artifacts');
export const CREDS = {
  REFTRAIL_ADMIN_PASSWORD: 'e2e-admin-password',
  REFTRAIL_SECRET_KEY: 'sk_e2e_secret_key_0123456789abcdef',
  // The store's script tag carries the demo's publishable key.
  REFTRAIL_PUBLISHABLE_KEY: 'pk_demo_publishable_key_0001',
  REFTRAIL_COOKIE_SECRET: 'e2e-cookie-secret-0123456789abcdef0123',
};

/** Whether `port` can be listened on at 127.0.0.1 now. */
function canListen(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.unref();
    s.on('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * A free loopback port below the kernel's ephemeral range (32768 and up). A port from that range
 * can be taken by an outgoing connection (this process's own requests included) between the
 * moment it was found free and the moment the server binds it.
 */
async function freePort() {
  for (let i = 0; i < 200; i++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (await canListen(port)) return port;
  }
  throw new Error('no free loopback port in 20000-31999');
}

function bin(name) {
  const p = path.join(root, 'target/debug', name);
  if (!fs.existsSync(p)) throw new Error(`${p} is missing: run scripts/test-e2e.sh (it builds it)`);
  return p;
}

function run(file, args, env, logFile) {
  const log = fs.openSync(logFile, 'a');
  const child = spawn(file, args, { env: { ...process.env, ...env }, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  return child;
}

function once(file, args, env, logFile) {
  return new Promise((resolve, reject) => {
    const c = run(file, args, env, logFile);
    c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${path.basename(file)} ${args.join(' ')} exited ${code}; see ${logFile}`))));
  });
}

async function waitFor(url, child, logFile) {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`exited early: ${fs.readFileSync(logFile, 'utf8').slice(-2000)}`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch (e) {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never answered`);
}

/** Stops a child by its PID and waits for it. */
function stopChild(child) {
  return new Promise((resolve) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.exitCode === null && child.kill('SIGKILL'), 5000).unref();
  });
}

/**
 * A minimal SMTP receiver on loopback for the server's sign-in emails: `messages` gets each
 * message's text (headers, blank line, body as sent).
 */
export async function startSmtpSink() {
  const net = await import('node:net');
  const messages = [];
  const server = net.createServer((socket) => {
    let buf = '';
    let data = null;
    socket.write('220 sink.test ESMTP\r\n');
    socket.on('data', (chunk) => {
      buf += chunk.toString('latin1');
      let i;
      while ((i = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (data !== null) {
          if (line === '.') {
            messages.push(data);
            data = null;
            socket.write('250 kept\r\n');
          } else data += (line.startsWith('.') ? line.slice(1) : line) + '\n';
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'DATA') {
          data = '';
          socket.write('354 go on\r\n');
        } else if (verb === 'QUIT') socket.end('221 bye\r\n');
        else socket.write(verb === 'EHLO' || verb === 'HELO' ? '250 sink.test\r\n' : '250 ok\r\n');
      }
    });
    socket.on('error', () => {});
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: server.address().port, messages, close: () => new Promise((r) => server.close(r)) };
}

/** The text of an email `message`: its body, decoded from base64 or quoted-printable. */
export function mailBody(message) {
  const at = message.indexOf('\n\n');
  const head = message.slice(0, at).toLowerCase();
  const body = message.slice(at + 2);
  if (head.includes('content-transfer-encoding: base64')) return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (head.includes('content-transfer-encoding: quoted-printable')) {
    const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return body;
}

/** Starts the server (seeded) and the demo shop on free ports in a private directory. */
export async function startStack() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reftrail-e2e-'));
  const [port, shopPort] = [await freePort(), await freePort()];
  const db = `sqlite://${dir}/reftrail.db`;
  const env = { ...CREDS, DATABASE_URL: db, REFTRAIL_LOG: 'warn' };
  const serverLog = path.join(dir, 'server.log');
  const shopLog = path.join(dir, 'shop.log');
  await once(bin('reftrail-server'), ['seed-demo'], env, serverLog);
  const base = `http://127.0.0.1:${port}`;
  // The portal's sign-in links go to a receiver kept by the stack (`stack.mail`).
  const smtp = await startSmtpSink();
  const mailEnv = { REFTRAIL_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, REFTRAIL_MAIL_FROM: 'Demo shop affiliates <affiliates@shop.test>', REFTRAIL_PUBLIC_URL: base };
  const server = run(
    bin('reftrail-server'),
    ['serve', '--listen', `127.0.0.1:${port}`, '--www-dir', path.join(root, 'www'), '--js-dir', path.join(root, 'js/dist')],
    // Affiliates' trackers in the tests listen on loopback.
    { ...env, ...mailEnv, REFTRAIL_POSTBACKS_TO_PRIVATE_NETWORKS: 'true' },
    serverLog,
  );
  const stack = { dir, base, port, shopPort, server, shop: null, smtp, mail: smtp.messages };
  try {
    await waitFor(`${base}/healthz`, server, serverLog);
    const shop = run(
      bin('demo-shop'),
      ['--listen', `127.0.0.1:${shopPort}`, '--tracker', base, '--www-dir', path.join(root, 'www'), '--js-dir', path.join(root, 'js/dist')],
      { REFTRAIL_SECRET_KEY: CREDS.REFTRAIL_SECRET_KEY },
      shopLog,
    );
    stack.shop = shop;
    await waitFor(`http://127.0.0.1:${shopPort}/api/shop`, shop, shopLog);
    const program = await api(stack, 'GET', '/v1/program');
    program.allowed_origins.push(...['www', 'checkout'].map((h) => `http://${h}.shop.test:${shopPort}`), `http://127.0.0.1:${shopPort}`);
    delete program.webhook_secret;
    await api(stack, 'PUT', '/v1/program', program);
  } catch (e) {
    await stopStack(stack);
    throw e;
  }
  stack.shopUrl = (host = 'www') => `http://${host}.shop.test:${shopPort}`;
  return stack;
}

export async function stopStack(stack) {
  await stopChild(stack.shop);
  await stopChild(stack.server);
  await stack.smtp?.close();
  if (process.env.E2E_KEEP !== '1') fs.rmSync(stack.dir, { recursive: true, force: true });
}

/** A call to the v1 API with the secret key. */
export async function api(stack, method, p, body) {
  const r = await fetch(stack.base + p, {
    method,
    headers: { Authorization: `Bearer ${CREDS.REFTRAIL_SECRET_KEY}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-dev-shm-usage',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
      '--host-resolver-rules=MAP *.shop.test 127.0.0.1, MAP shop.test 127.0.0.1',
    ],
  });
}

// Headless Chromium says "HeadlessChrome" in its user agent, which the server rightly counts as a
// bot (never credited); the journeys browse as the desktop browser a shopper has.
const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';

/** A fresh browser profile (cookies, storage) with a shopper's user agent. */
export function newContext(browser, options = {}) {
  return browser.newContext({ userAgent: USER_AGENT, ...options });
}

/** A new page that fails the test on any page error. */
export async function newPage(context) {
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e));
  return page;
}

/** Saves `name`.png in the artifacts: the whole page, unless `options` say otherwise. */
export async function screenshot(page, name, options = {}) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true, ...options });
}

/** Signs in to the dashboard in `page` (English UI). */
export async function dashboardSignIn(stack, page, hash = '') {
  await page.goto(`${stack.base}/dashboard/?lang=en${hash}`);
  await page.fill('#password', CREDS.REFTRAIL_ADMIN_PASSWORD);
  await page.click('form.signin button[type=submit]');
  await page.waitForSelector('#sign-out');
}

/** A new page in its own context, signed in to the dashboard at `hash` (English UI). */
export async function signedInPage(browser, stack, hash = '', viewport = { width: 1100, height: 1200 }) {
  const page = await newPage(await newContext(browser, { viewport }));
  await dashboardSignIn(stack, page, hash);
  return page;
}

/** A verified sale by `coupon`, its referral approved at once; answers the referral. */
export async function creditApproved(stack, coupon, amount, currency) {
  const sale = await api(stack, 'POST', '/v1/sales', { order_id: uniqueId('order'), amount, currency, coupon });
  if (!sale.referral) throw new Error(`the sale with ${coupon} is not credited: ${JSON.stringify(sale)}`);
  await api(stack, 'POST', `/v1/referrals/${sale.referral.id}/approve`);
  return sale.referral;
}

/** A click on `affiliate`'s link as the shop's page reports it, with consent; answers its id. */
export async function browserClick(stack, affiliate) {
  const r = await fetch(`${stack.base}/v1/clicks`, {
    method: 'POST',
    headers: { Origin: stack.shopUrl(), 'Content-Type': 'application/json' },
    body: JSON.stringify({ affiliate, url: `${stack.shopUrl()}/store/?ref=${affiliate}`, referrer: '', consent: 'granted' }),
  });
  if (r.status !== 201) throw new Error(`the click for ${affiliate}: ${r.status} ${await r.text()}`);
  return (await r.json()).click_id;
}

/**
 * An unverified sale of `amount` VND from the shop's page, credited by `clickId`: it waits for
 * review, never approved by itself. Answers its referral's id.
 */
export async function browserSale(stack, clickId, amount = 450000) {
  const r = await fetch(`${stack.base}/v1/sales`, {
    method: 'POST',
    headers: { Origin: stack.shopUrl(), 'Content-Type': 'text/plain' },
    body: JSON.stringify({ order_id: uniqueId('order'), amount, currency: 'VND', click_id: clickId, key: CREDS.REFTRAIL_PUBLISHABLE_KEY }),
  });
  if (r.status !== 201) throw new Error(`the sale: ${r.status} ${await r.text()}`);
  return (await r.json()).referral.id;
}

/** A unique affiliate id for one test. */
export function uniqueId(prefix) {
  return `${prefix}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

/** Polls `fn` until it answers truthy. */
export async function until(fn, { timeout = 8000, every = 50 } = {}) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`condition not met in ${timeout} ms: ${fn}`);
    await new Promise((r) => setTimeout(r, every));
  }
}
