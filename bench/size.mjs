// Measures the browser files in js/dist: raw, gzip (-9) and brotli (-q 11) bytes of the loader,
// the glue and the wasm, next to the anchors, and writes bench/size.json.
//   node bench/size.mjs           print the table and record it in bench/size.json
//   node bench/size.mjs --check   fail if a file grew more than 1 % over the recorded figures
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(here, '../js/dist');
const record = path.join(here, 'size.json');
const BUDGET = { loader: 700, total: 12 * 1024 }; // gzip bytes, from the issue
const files = { loader: 'loader.js', glue: 'reftrail.js', wasm: 'reftrail_bg.wasm' };

const sizes = {};
for (const [part, file] of Object.entries(files)) {
  const data = fs.readFileSync(path.join(dist, file));
  sizes[part] = {
    file,
    raw: data.length,
    gzip: zlib.gzipSync(data, { level: 9 }).length,
    brotli: zlib.brotliCompressSync(data, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
}
const total = ['raw', 'gzip', 'brotli'].reduce((t, k) => ({ ...t, [k]: Object.values(sizes).reduce((s, f) => s + f[k], 0) }), {});

const rows = [
  ['reftrail loader', sizes.loader],
  ['reftrail glue', sizes.glue],
  ['reftrail wasm', sizes.wasm],
  ['reftrail total', total],
];
console.log('| file | raw | gzip | brotli |\n| --- | ---: | ---: | ---: |');
for (const [name, s] of rows) console.log(`| ${name} | ${s.raw} | ${s.gzip} | ${s.brotli} |`);
console.log('| anchor: Dub base script | | 1734 | |\n| anchor: Plausible | | 736 | |\n| anchor: AffiliateWP tracking.js + jQuery | | 659 + 30209 | |');
const loaderOk = sizes.loader.gzip <= BUDGET.loader;
const totalOk = total.gzip <= BUDGET.total;
console.log(`\nbudget: loader ${sizes.loader.gzip}/${BUDGET.loader} B gzip ${loaderOk ? 'within' : 'OVER'}; ` +
  `total ${total.gzip}/${BUDGET.total} B gzip ${totalOk ? 'within' : 'OVER'}`);

if (process.argv.includes('--check')) {
  const before = JSON.parse(fs.readFileSync(record, 'utf8'));
  let grew = false;
  for (const part of Object.keys(files)) {
    const limit = Math.ceil(before.sizes[part].gzip * 1.01);
    if (sizes[part].gzip > limit) {
      console.error(`${part} grew: ${sizes[part].gzip} B gzip > recorded ${before.sizes[part].gzip} (+1 %); measure what was added and record it with \`node bench/size.mjs\``);
      grew = true;
    }
  }
  if (!loaderOk) {
    console.error('the loader is over its budget');
    grew = true;
  }
  process.exit(grew ? 1 : 0);
} else {
  fs.writeFileSync(record, JSON.stringify({ measured: new Date().toISOString().slice(0, 10), command: 'scripts/build-wasm.sh && node bench/size.mjs', sizes, total, budget: BUDGET }, null, 2) + '\n');
}
