// A stub of the tracking endpoint and a page server for the browser tests.
//
// Serves the built browser files (js/dist) under /reftrail/, test pages for any other path
// (with the script tag's data-* attributes set by the test through /__page), and records what
// the core posts to /rt/v1/{clicks,leads,sales}. The real server is tested by its own suite; this
// stub only answers as the contract says, so these tests pin what the browser sends.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(here, '../../js/dist');
const pkg = path.resolve(here, '../../js');
const types = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };

export function startStub({ port = 0 } = {}) {
  const state = {
    received: [],
    page: { attrs: {}, before: '', body: '', loader: '/reftrail/loader.js' },
    mode: 'ok', // 'ok' | 'down' (503) | 'refuse' (400)
    clicks: 0,
    wasmDelayMs: 0,
    blockWasm: false,
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://stub');
    const origin = req.headers.origin;
    const cors = origin
      ? { 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Credentials': 'true', Vary: 'Origin' }
      : {};

    if (url.pathname === '/__page' && req.method === 'POST') {
      return readBody(req).then((b) => {
        state.page = { attrs: {}, before: '', body: '', loader: '/reftrail/loader.js', ...JSON.parse(b) };
        res.writeHead(204).end();
      });
    }
    if (url.pathname === '/__mode' && req.method === 'POST') {
      return readBody(req).then((b) => {
        Object.assign(state, JSON.parse(b));
        res.writeHead(204).end();
      });
    }
    if (url.pathname.startsWith('/rt/v1/')) {
      if (req.method === 'OPTIONS') {
        res.writeHead(204, { ...cors, 'Access-Control-Allow-Methods': 'POST', 'Access-Control-Allow-Headers': 'Content-Type' });
        return res.end();
      }
      return readBody(req).then((body) => {
        let json = null;
        try {
          json = JSON.parse(body);
        } catch {}
        state.received.push({
          path: url.pathname.slice(3),
          host: req.headers.host.split(':')[0],
          contentType: req.headers['content-type'],
          cookie: req.headers.cookie || '',
          origin,
          body: json,
          raw: body,
        });
        if (state.mode === 'down') return res.writeHead(503, cors).end();
        if (state.mode === 'refuse') {
          res.writeHead(400, { ...cors, 'Content-Type': 'application/json' });
          return res.end('{"error":{"code":"invalid","message":"refused by the stub"}}');
        }
        const answer = url.pathname.endsWith('/clicks')
          ? { click_id: `c_${++state.clicks}`, affiliate: json && json.affiliate }
          : { id: `r_${state.received.length}` };
        res.writeHead(201, { ...cors, 'Content-Type': 'application/json' });
        res.end(JSON.stringify(answer));
      });
    }
    if (url.pathname.startsWith('/reftrail/')) {
      const file = path.join(dist, path.basename(url.pathname));
      if (state.blockWasm && file.endsWith('.wasm')) return res.writeHead(404).end();
      return fs.readFile(file, (err, data) => {
        if (err) return res.writeHead(404).end();
        const send = () => {
          res.writeHead(200, { 'Content-Type': types[path.extname(file)] || 'application/octet-stream', 'Cache-Control': 'no-store' });
          res.end(data);
        };
        if (file.endsWith('.wasm') && state.wasmDelayMs) setTimeout(send, state.wasmDelayMs);
        else send();
      });
    }
    if (url.pathname.startsWith('/pkg/')) {
      // The ES module package as a bundler would see it: js/index.js and js/dist/.
      const file = path.normalize(path.join(pkg, url.pathname.slice('/pkg/'.length)));
      if (!file.startsWith(pkg) || file.includes('node_modules')) return res.writeHead(404).end();
      return fs.readFile(file, (err, data) => {
        if (err) return res.writeHead(404).end();
        res.writeHead(200, { 'Content-Type': types[path.extname(file)] || 'application/octet-stream' });
        res.end(data);
      });
    }
    if (url.pathname === '/favicon.ico') return res.writeHead(404).end();
    // Any other path is a shop page carrying the script tag.
    const attrs = Object.entries(state.page.attrs)
      .map(([k, v]) => ` data-${k}="${String(v).replace(/"/g, '&quot;')}"`)
      .join('');
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(`<!doctype html><html><head><meta charset="utf-8"><title>shop</title>
${state.page.before}
${state.page.loader ? `<script async src="${state.page.loader}"${attrs}></script>` : ''}
</head><body><h1 id="title">A shop page</h1>${state.page.body}</body></html>`);
  });

  return new Promise((resolve) => {
    server.listen(port, '127.0.0.1', () => resolve({ server, state, port: server.address().port }));
  });
}

function readBody(req) {
  return new Promise((resolve) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (data += c));
    req.on('end', () => resolve(data));
  });
}
