// The page side of the core: loads the wasm, reads the page for the wasm session, and applies
// the effects it returns (src/effects.rs is the other half of this format). Built into
// dist/reftrail.js. The only code here that touches document.cookie, localStorage, the address
// bar or the network.

var RS = '\x1e';
var US = '\x1f';
var GS = '\x1d';
var FS = '\x1c';
var ready = 0;
var wasm;
var encoder = new TextEncoder();
var decoder = new TextDecoder('utf-8', { ignoreBOM: true });

// Calls export `name` of the wasm (src/browser/mod.rs): each string argument is copied as UTF-8
// into memory the module hands out (and then owns), numbers pass as they are; the answer is
// read back from the address returned, its length from rt_len().
function invoke(name) {
  var args = [];
  [].slice.call(arguments, 1).forEach(function (a) {
    if (typeof a == 'string') {
      var bytes = encoder.encode(a);
      var at = wasm.rt_alloc(bytes.length);
      new Uint8Array(wasm.memory.buffer).set(bytes, at);
      args.push(at, bytes.length);
    } else args.push(a);
  });
  var at = wasm[name].apply(null, args);
  return decoder.decode(new Uint8Array(wasm.memory.buffer, at, wasm.rt_len()));
}

// An object as `name US value RS` records, nested names dotted (`items.0.sku`); arrays of
// plain values become `a,b` (String(array)), as the settings expect.
function flat(o, prefix) {
  var out = '';
  for (var k in o) {
    var v = o[k];
    if (typeof v == 'function') continue;
    if (v && typeof v == 'object' && !(Array.isArray(v) && typeof v[0] != 'object')) out += flat(v, prefix + k + '.');
    else out += prefix + k + US + v + RS;
  }
  return out;
}

// The browser's own URL machinery does the URL work for the wasm (src/pairs.rs is the other
// half): one `raw FS name FS value GS` record per non-empty `&` sequence of a query or
// fragment, name and value decoded by URLSearchParams. A leading `&` keeps a `?` at the start of
// the sequence in its name; U+001C–U+001F in a decoded name or value become U+007F, so a value
// cannot add fields (nothing accepts a control character either way).
function esc(s) {
  return s.replace(/[\x1c-\x1f]/g, '\x7f');
}

function pairs(raw) {
  var out = '';
  raw.split('&').forEach(function (seq) {
    if (seq) out += [seq].concat([...new URLSearchParams('&' + seq)][0]).map(esc).join(FS) + GS;
  });
  return out;
}

// A link for `decorate` and `token` (src/session.rs `Link`): hostname, the href before the path,
// pathname, the query's pairs and the fragment, or nothing when it is not an http(s) URL.
function link(href) {
  try {
    var u = new URL(href);
    // An http(s) URL's path is never empty, so the slice ends before it.
    if (/^https?:$/.test(u.protocol))
      return [u.hostname, u.href.slice(0, -(u.pathname + u.search + u.hash).length), u.pathname, pairs(u.search.slice(1)), u.hash.slice(1)];
  } catch (e) {}
  return [];
}

function storage() {
  try {
    return localStorage;
  } catch (e) {} // blocked storage (privacy settings): nothing is kept there
}

function stored(key) {
  var s = storage();
  try {
    return (s && s.getItem(key)) || '';
  } catch (e) {
    return '';
  }
}

function hasCookie(pair) {
  return ('; ' + document.cookie + ';').indexOf('; ' + pair + ';') >= 0;
}

// Applies the effects in `text`; returns the call's result (its first record).
function apply(text) {
  var records = text.split(RS);
  var result = records.shift();
  records.forEach(function (record) {
    var f = record.split(US);
    var s = storage();
    try {
      if (f[0] == 'C' || f[0] == 'X') {
        // Set on each candidate domain until one reads back (the browser refuses public
        // suffixes); removing ('X') clears every candidate and the host-only cookie.
        var domains = f[3] ? f[3].split(',') : [];
        var set = 0;
        for (var i = 0; i < domains.length && !set; i++) {
          document.cookie = f[1] + f[2] + '; Domain=' + domains[i];
          set = f[0] == 'C' && hasCookie(f[1]);
        }
        if (!set) document.cookie = f[1] + f[2];
      } else if (f[0] == 'S') s && s.setItem(f[1], f[2]);
      else if (f[0] == 'U') s && s.removeItem(f[1]);
      else if (f[0] == 'A') history.replaceState(history.state, '', f[1]);
      else if (f[0] == 'P') post(f[1], f[2], f[3]);
      else if (f[0] == 'D') decorate();
      else if (f[0] == 'W') console.warn('reftrail:', f[1], f[2]);
    } catch (e) {} // a refused write (quota, cookies off) is a write that did not happen
  });
  return result;
}

// A CORS simple request (text/plain, no custom headers: no preflight before the page unloads),
// kept alive past navigation, with credentials so the endpoint's click cookie travels.
function post(id, url, body) {
  var done = function (status, text) {
    apply(invoke('answer', id, status, text, Date.now()));
  };
  try {
    fetch(url, { method: 'POST', body: body, keepalive: true, credentials: 'include', headers: { 'Content-Type': 'text/plain;charset=UTF-8' } })
      .then(function (r) {
        return r.text().then(function (t) {
          done(r.status, t);
        });
      })
      ['catch'](function () {
        done(0, '');
      });
  } catch (e) {
    done(navigator.sendBeacon && navigator.sendBeacon(url, body) ? 204 : 0, '');
  }
}

// Links and forms to the decorate list get the cross-domain token as they are used, so links
// the page adds later are covered too.
function decorate() {
  ['click', 'auxclick', 'submit'].forEach(function (type) {
    document.addEventListener(
      type,
      function (e) {
        var t = e.target;
        var a = t.closest && t.closest('a[href]');
        if (a) {
          var url = run('decorate', a.href);
          if (url && url != a.href) a.href = url;
        } else if (t.tagName == 'FORM' && !(t.elements && t.elements.rt)) {
          var token = run('token', t.action);
          if (token) {
            var input = document.createElement('input');
            input.type = 'hidden';
            input.name = 'rt';
            input.value = token;
            t.appendChild(input);
          }
        }
      },
      true,
    );
  });
}

function run(name, arg) {
  var text = arg && typeof arg == 'object' ? flat(arg, '') : arg == null ? '' : String(arg);
  var result = apply(invoke('call', name, /^(decorate|token)$/.test(name) ? link(text).join(US) : text, Date.now()));
  // A link that gets no token is given back as it is.
  return name == 'decorate' ? result || text : result;
}

// Google Consent Mode as gtag() queues it in window.dataLayer: `mode.default` is the site's
// default for ad_storage, `mode.update` the visitor's choice in the site's banner
// (src/consent.rs decides what each means). A default for some regions only is left out: the
// visitor's region is not known here.
function consentMode(mode, e) {
  var s = e && e[0] == 'consent' && e[2] && !e[2].region && e[2].ad_storage;
  if (s == 'granted' || s == 'denied') mode[e[1]] = s;
}

/** Runs `reftrail(name, a, b)`; a function argument receives the result. */
export function command(name, a, b) {
  if (!ready) return;
  var result = run(name, a);
  if (name == 'attribution') result = JSON.parse(result || 'null');
  [a, b].forEach(function (f) {
    if (typeof f == 'function') f(result);
  });
  return result;
}

/** Loads the wasm, boots the session with `options` and the queued calls (config first). */
export function start(options, queue, url) {
  return fetch(url)
    .then(function (r) {
      if (!r.ok) throw r.status;
      return r.arrayBuffer();
    })
    .then(function (bytes) {
      return WebAssembly.instantiate(bytes);
    })
    .then(function (m) {
      wasm = m.instance.exports;
      boot(options, queue);
    });
}

function boot(options, queue) {
  var calls = [].slice.call(queue || []);
  var settings = flat(options || {}, '');
  calls.forEach(function (c) {
    if (c[0] == 'config') settings += flat(c[1] || {}, '');
  });
  // Consent Mode stated before start: a default is a setting, an update the visitor's choice;
  // a queued reftrail('consent', …) call is a later choice.
  var layer = (window.dataLayer = window.dataLayer || []);
  var push = layer.push;
  var mode = {};
  [].forEach.call(layer, function (e) {
    consentMode(mode, e);
  });
  if (mode.default) settings += 'consentModeDefault' + US + mode.default + RS;
  var choice = mode.update || '';
  calls.forEach(function (c) {
    if (c[0] == 'consent') choice = String(c[1]);
  });
  var seed = new Uint32Array(2);
  try {
    crypto.getRandomValues(seed);
  } catch (e) {}
  var l = location;
  // The path form's id: the last segment of the path, decoded (src/capture.rs `Parsed`).
  var id = /([^/]*)\/?$/.exec(l.pathname)[1];
  try {
    id = esc(decodeURIComponent(id));
  } catch (e) {
    id = '';
  }
  var page = [
    l.href, l.hostname, l.pathname, id, l.search, pairs(l.search.slice(1)), l.hash, pairs(l.hash.slice(1)),
    l.protocol == 'https:' ? 1 : 0, document.referrer, link(document.referrer)[0] || '',
    document.cookie, stored('rt_ref'), stored('rt_queue'),
    navigator.globalPrivacyControl ? 1 : 0, Date.now(),
    (seed[0] >>> 0).toString(16) + ('0000000' + (seed[1] >>> 0).toString(16)).slice(-8),
    esc(choice),
  ].join(US);
  apply(invoke('boot', settings, page));
  ready = 1;
  // Later choices in the banner are consent calls. The page's own push runs first, and its
  // answer is returned as it was.
  if (push && push.apply)
    layer.push = function () {
      var out = push.apply(layer, arguments);
      try {
        [].forEach.call(arguments, function (e) {
          var m = {};
          consentMode(m, e);
          if (m.update) command('consent', m.update);
        });
      } catch (e) {} // nothing of the core's reaches the page's gtag() call
      return out;
    };
  calls.forEach(function (c) {
    if (c[0] != 'config') {
      try {
        command(c[0], c[1], c[2]);
      } catch (e) {}
    }
  });
}
