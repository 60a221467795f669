// Time from navigation start to the attribution cookie being written, over 30 loads of an
// affiliate link in headless Chromium (Debian's), each in a fresh context (cold cookies, warm
// HTTP cache after the first). Pages and the built bundle are served on loopback by the browser
// tests' stub endpoint. Run: scripts/build-wasm.sh && node bench/capture-time.mjs
import { setup } from '../tests/browser/harness.mjs';

const RUNS = Number(process.env.RUNS || 30);
const env = await setup();
await env.page({});
const times = [];
for (let i = 0; i < RUNS; i++) {
  const context = await env.browser.newContext();
  // Records performance.now() (milliseconds since navigation start) at the first rt_ref write.
  await context.addInitScript(() => {
    const desc = Object.getOwnPropertyDescriptor(Document.prototype, 'cookie');
    Object.defineProperty(document, 'cookie', {
      get: () => desc.get.call(document),
      set: (v) => {
        if (window.__rtWritten === undefined && v.startsWith('rt_ref=')) window.__rtWritten = performance.now();
        desc.set.call(document, v);
      },
    });
  });
  const page = await context.newPage();
  await page.goto(env.base('www.shop.test') + `/shoes?ref=alice&utm_campaign=bench${i}`);
  const t = await page.waitForFunction(() => window.__rtWritten, null, { timeout: 10000 });
  times.push(await t.jsonValue());
  await context.close();
}
await env.close();
times.sort((a, b) => a - b);
const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
console.log(JSON.stringify({ runs: RUNS, median_ms: +q(0.5).toFixed(1), p90_ms: +q(0.9).toFixed(1), min_ms: +times[0].toFixed(1), max_ms: +times[times.length - 1].toFixed(1) }));
