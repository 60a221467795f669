// Serves www/ at / and the built browser files (js/dist) at /reftrail/, on loopback.
// Paths that name no file fall back to their directory's index.html, so the affiliate path
// form (/capture/ref/dana/) reaches the page. Usage: node scripts/serve-static.mjs [port]
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const port = Number(process.argv[2] || 8000);
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.json': 'application/json', '.png': 'image/png', '.svg': 'image/svg+xml' };

function resolve(urlPath) {
  const dist = urlPath.startsWith('/reftrail/');
  const base = dist ? path.join(root, 'js/dist') : path.join(root, 'www');
  const rel = dist ? urlPath.slice('/reftrail/'.length) : urlPath;
  let file = path.normalize(path.join(base, decodeURIComponent(rel)));
  if (!file.startsWith(base)) return null;
  // Walk up to the nearest index.html for page routes.
  while (!dist && !(fs.existsSync(file) && fs.statSync(file).isFile())) {
    const index = path.join(file, 'index.html');
    if (fs.existsSync(index)) return index;
    if (file === base) return null;
    file = path.dirname(file);
  }
  return fs.existsSync(file) ? file : null;
}

http
  .createServer((req, res) => {
    const file = resolve(new URL(req.url, 'http://x').pathname);
    if (!file) return res.writeHead(404).end('not found');
    res.writeHead(200, { 'Content-Type': types[path.extname(file)] || 'application/octet-stream', 'Cache-Control': 'no-cache' });
    fs.createReadStream(file).pipe(res);
  })
  .listen(port, '127.0.0.1', () => console.log(`demo pages: http://127.0.0.1:${port}/capture/`));
