// Shared setup of the browser tests: Debian's Chromium (never a downloaded browser) with test
// host names mapped to 127.0.0.1, and the stub endpoint on a private port.
import { chromium } from 'playwright-core';
import { startStub } from './stub-endpoint.mjs';

export const HOSTS = ['www.shop.test', 'checkout.shop.test', 'shop.test', 'www.shop.co.uk', 'pay.example', 'blog.example'];

export async function setup() {
  const stub = await startStub();
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-dev-shm-usage',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--host-resolver-rules=MAP *.shop.test 127.0.0.1, MAP shop.test 127.0.0.1, MAP *.shop.co.uk 127.0.0.1, MAP *.example 127.0.0.1',
    ],
  });
  const base = (host) => `http://${host}:${stub.port}`;
  return {
    stub,
    browser,
    base,
    /** Sets the next pages' script tag attributes (and extra HTML before the tag or in the body). */
    async page(attrs, extra = {}) {
      stub.state.page = { attrs: { endpoint: `${base('www.shop.test')}/rt`, ...attrs }, before: '', body: '', loader: '/reftrail/loader.js', ...extra };
    },
    reset() {
      stub.state.received.length = 0;
      Object.assign(stub.state, { mode: 'ok', wasmDelayMs: 0, blockWasm: false });
    },
    async close() {
      await browser.close();
      await new Promise((r) => stub.server.close(r));
    },
  };
}

/** Opens `url` in a fresh page of `context` and waits for the core to be running. */
export async function open(context, url) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  page.errors = errors;
  await page.goto(url);
  await page.waitForFunction(() => window.reftrail && window.reftrail.loaded, null, { timeout: 10000 });
  return page;
}

/** Polls `fn` until it returns a truthy value (for beacons and async storage). */
export async function until(fn, { timeout = 5000, every = 25 } = {}) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`condition not met in ${timeout} ms: ${fn}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

export async function refCookie(context) {
  return (await context.cookies()).find((c) => c.name === 'rt_ref');
}

export async function storage(page, key = 'rt_ref') {
  return page.evaluate((k) => localStorage.getItem(k), key);
}
