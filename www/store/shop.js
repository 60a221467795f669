// The demo storefront: product list, product page, cart, checkout (on checkout.shop.test when
// the shop runs on *.shop.test), a consent banner driving reftrail('consent', …), and the two
// ways to report a sale: the shop's backend with the secret key (verified) and the browser's
// reftrail('conversion', …) for shops without a backend (unverified).

import { shop, ApiError } from '/shared/api.js';
import { t, pickLocale, pick, money, errorText } from '/shared/i18n.js';
import { h, fill, loading, failure, empty, languagePicker, notify } from '/shared/ui.js';

const reftrail = (...args) => window.reftrail(...args);
const page = document.body.dataset.page;
const main = document.getElementById('main');
const SHOP_DOMAIN = 'shop.test';
const CART = 'shop_cart';
const CONSENT = 'shop_consent';

let catalog = null;

// ---- where things live -------------------------------------------------------------------

function onShopDomain() {
  const host = location.hostname;
  return host === SHOP_DOMAIN || host.endsWith(`.${SHOP_DOMAIN}`);
}

/** A store path, keeping ?lang= when the visitor chose a language. */
function link(path, params = {}) {
  const u = new URL(path, location.href);
  const lang = new URLSearchParams(location.search).get('lang');
  if (lang) u.searchParams.set('lang', lang);
  for (const [k, v] of Object.entries(params)) if (v) u.searchParams.set(k, v);
  return u.pathname + u.search;
}

/** The checkout address: on checkout.shop.test when the shop runs on *.shop.test. */
function checkoutHref(params) {
  const path = link('/store/checkout/', params);
  if (!onShopDomain()) return path;
  const port = location.port ? `:${location.port}` : '';
  return `${location.protocol}//checkout.${SHOP_DOMAIN}${port}${path}`;
}

function shopHref(path, params) {
  const p = link(path, params);
  if (!onShopDomain()) return p;
  const port = location.port ? `:${location.port}` : '';
  return `${location.protocol}//www.${SHOP_DOMAIN}${port}${p}`;
}

// ---- consent -------------------------------------------------------------------------------

function readConsent() {
  const m = document.cookie.match(/(?:^|;\s*)shop_consent=(granted|denied)/);
  return m ? m[1] : null;
}

function saveConsent(value) {
  // The shop's own choice cookie, shared by www. and checkout. like the referral.
  const domain = onShopDomain() ? `; Domain=${SHOP_DOMAIN}` : '';
  document.cookie = `${CONSENT}=${value}; Path=/; Max-Age=${180 * 86400}; SameSite=Lax${domain}`;
}

function consentBanner() {
  const box = document.getElementById('consent');
  const choice = readConsent();
  if (choice) {
    reftrail('consent', choice);
    box.replaceChildren();
    return;
  }
  const decide = (value) => {
    saveConsent(value);
    reftrail('consent', value);
    box.replaceChildren();
    notify(value === 'granted' ? t('store.consent_thanks') : t('store.consent_declined'));
    showReferral();
  };
  fill(
    box,
    h(
      'section',
      { class: 'consent', role: 'region', 'aria-label': t('store.consent_title') },
      h('p', {}, h('strong', {}, t('store.consent_title')), ' ', t('store.consent_text')),
      h(
        'div',
        { class: 'row' },
        h('button', { type: 'button', class: 'btn btn-primary', id: 'consent-accept', onclick: () => decide('granted') }, t('store.consent_accept')),
        h('button', { type: 'button', class: 'btn', id: 'consent-decline', onclick: () => decide('denied') }, t('store.consent_decline')),
      ),
    ),
  );
}

// ---- the referral panel: what the core holds on this host ----------------------------------

function showReferral() {
  const box = document.getElementById('referral');
  reftrail('attribution', (a) => {
    const host = location.hostname;
    if (!a) {
      fill(box, h('span', { id: 'referral-none' }, t('store.no_referral', { host })));
      return;
    }
    fill(
      box,
      h(
        'span',
        { id: 'referral-info', dataset: { affiliate: a.affiliate } },
        t('store.referral', { affiliate: a.affiliate, host }),
        onShopDomain() ? ` ${t('store.referral_shared', { domain: SHOP_DOMAIN })}` : '',
      ),
    );
  });
}

/** The live attribution (null when none), for the checkout's hidden field. */
function attribution() {
  return new Promise((resolve) => {
    let done = false;
    reftrail('attribution', (a) => {
      done = true;
      resolve(a || null);
    });
    // The core may not load (blocked script): checkout still works.
    setTimeout(() => done || resolve(null), 3000);
  });
}

// ---- cart ----------------------------------------------------------------------------------

function cart() {
  try {
    const c = JSON.parse(localStorage.getItem(CART) || '[]');
    return Array.isArray(c) ? c.filter((l) => catalog.products.some((p) => p.sku === l.sku) && l.quantity > 0) : [];
  } catch (e) {
    return [];
  }
}

function saveCart(lines) {
  localStorage.setItem(CART, JSON.stringify(lines));
  header();
}

function addToCart(sku, quantity) {
  const lines = cart();
  const line = lines.find((l) => l.sku === sku);
  if (line) line.quantity = Math.min(99, line.quantity + quantity);
  else lines.push({ sku, quantity });
  saveCart(lines);
}

/** `SKU*2,SKU*1`: the cart carried to the checkout host in the address. */
function encodeItems(lines) {
  return lines.map((l) => `${l.sku}*${l.quantity}`).join(',');
}

function decodeItems(text) {
  const out = [];
  for (const part of String(text || '').split(',')) {
    const m = part.match(/^([A-Za-z0-9-]{1,64})\*(\d{1,2})$/);
    if (!m || !catalog.products.some((p) => p.sku === m[1])) continue;
    const q = Number(m[2]);
    if (q >= 1 && !out.some((l) => l.sku === m[1])) out.push({ sku: m[1], quantity: q });
  }
  return out;
}

const product = (sku) => catalog.products.find((p) => p.sku === sku);
const total = (lines) => lines.reduce((s, l) => s + product(l.sku).price * l.quantity, 0);
const price = (minor) => money(minor, catalog.currency);

// ---- pages ---------------------------------------------------------------------------------

function header() {
  const count = catalog && !page.startsWith('checkout') ? cart().reduce((s, l) => s + l.quantity, 0) : 0;
  fill(
    document.getElementById('top'),
    h('a', { class: 'brand', href: shopHref('/store/') }, 'Lotus Run'),
    h(
      'nav',
      { 'aria-label': t('store.nav') },
      h('a', { href: shopHref('/store/') }, t('store.products')),
      h('a', { href: shopHref('/store/cart/'), id: 'cart-link' }, t('store.cart_count', { count })),
    ),
    languagePicker(() => {
      const u = new URL(location.href);
      u.searchParams.set('lang', document.documentElement.lang);
      location.assign(u);
    }, { remember: false }),
  );
}

function tile(p) {
  return h(
    'article',
    { class: 'product card' },
    h('div', { class: 'swatch', style: `background:${p.colour || '#888'}`, 'aria-hidden': 'true' }),
    h('h2', {}, h('a', { href: link(`/store/products/${p.sku}/`) }, pick(p.name))),
    h('p', { class: 'price' }, price(p.price)),
    h('button', { type: 'button', class: 'btn', onclick: () => { addToCart(p.sku, 1); notify(t('store.added', { name: pick(p.name) })); } }, t('store.add')),
  );
}

function home() {
  if (new URLSearchParams(location.search).get('ordered')) saveCart([]);
  const email = h('input', { type: 'email', id: 'newsletter-email', autocomplete: 'email', required: true });
  fill(
    main,
    h('h1', {}, t('store.title')),
    h('p', { class: 'hint' }, t('store.tagline')),
    h('div', { class: 'products' }, catalog.products.map(tile)),
    h(
      'form',
      {
        class: 'card newsletter',
        onsubmit: (e) => {
          e.preventDefault();
          if (!email.checkValidity()) return email.reportValidity();
          reftrail('lead', { event: 'newsletter', email: email.value.trim() });
          notify(t('store.newsletter_thanks'));
          email.value = '';
        },
      },
      h('label', { for: 'newsletter-email' }, t('store.newsletter')),
      h('div', { class: 'row' }, email, h('button', { class: 'btn' }, t('store.subscribe'))),
      h('small', { class: 'hint' }, t('store.newsletter_hint')),
    ),
  );
}

function productPage() {
  const sku = location.pathname.split('/').filter(Boolean)[2] || new URLSearchParams(location.search).get('sku');
  const p = sku && product(sku);
  if (!p) {
    fill(main, empty(t('store.no_product'), h('a', { href: link('/store/') }, t('store.back'))));
    return;
  }
  const qty = h('input', { type: 'number', id: 'qty', min: 1, max: 99, value: 1, inputmode: 'numeric' });
  fill(
    main,
    h('p', {}, h('a', { href: link('/store/') }, `← ${t('store.products')}`)),
    h(
      'article',
      { class: 'product-page card' },
      h('div', { class: 'swatch big', style: `background:${p.colour || '#888'}`, 'aria-hidden': 'true' }),
      h(
        'div',
        {},
        h('h1', {}, pick(p.name)),
        h('p', { class: 'price' }, price(p.price)),
        h('p', {}, pick(p.description)),
        h('label', { for: 'qty' }, t('store.quantity')),
        h(
          'div',
          { class: 'row' },
          qty,
          h(
            'button',
            {
              type: 'button',
              class: 'btn btn-primary',
              id: 'add-to-cart',
              onclick: () => {
                const n = Math.trunc(Number(qty.value));
                if (!(n >= 1 && n <= 99)) return notify(t('store.bad_quantity'), 'bad');
                addToCart(p.sku, n);
                notify(t('store.added', { name: pick(p.name) }));
              },
            },
            t('store.add'),
          ),
          h('a', { class: 'btn', href: link('/store/cart/') }, t('store.view_cart')),
        ),
      ),
    ),
  );
}

function cartPage() {
  const lines = cart();
  if (!lines.length) {
    fill(main, h('h1', {}, t('store.cart')), empty(t('store.cart_empty'), h('a', { href: link('/store/') }, t('store.browse'))));
    return;
  }
  const coupon = h('input', { id: 'coupon', maxlength: 32, autocomplete: 'off', placeholder: 'BOB10' });
  const change = (sku, q) => {
    const next = cart()
      .map((l) => (l.sku === sku ? { ...l, quantity: Math.max(0, Math.min(99, q)) } : l))
      .filter((l) => l.quantity > 0);
    saveCart(next);
    cartPage();
  };
  fill(
    main,
    h('h1', {}, t('store.cart')),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'stack' },
        h('thead', {}, h('tr', {}, h('th', {}, t('store.product')), h('th', { class: 'num' }, t('store.quantity')), h('th', { class: 'num' }, t('store.line_total')), h('th', {}, ''))),
        h(
          'tbody',
          {},
          lines.map((l) => {
            const p = product(l.sku);
            return h(
              'tr',
              {},
              h('td', { 'data-label': t('store.product') }, pick(p.name)),
              h(
                'td',
                { class: 'num', 'data-label': t('store.quantity') },
                h('button', { type: 'button', class: 'btn btn-small', 'aria-label': t('store.less', { name: pick(p.name) }), onclick: () => change(l.sku, l.quantity - 1) }, '−'),
                ` ${l.quantity} `,
                h('button', { type: 'button', class: 'btn btn-small', 'aria-label': t('store.more', { name: pick(p.name) }), onclick: () => change(l.sku, l.quantity + 1) }, '+'),
              ),
              h('td', { class: 'num', 'data-label': t('store.line_total') }, price(p.price * l.quantity)),
              h('td', {}, h('button', { type: 'button', class: 'btn btn-small btn-danger', onclick: () => change(l.sku, 0) }, t('store.remove'))),
            );
          }),
        ),
      ),
    ),
    h('p', { class: 'total' }, t('store.total'), ': ', h('strong', { id: 'cart-total' }, price(total(lines)))),
    h('div', { class: 'field' }, h('label', { for: 'coupon' }, t('store.coupon')), coupon),
    h(
      'a',
      {
        class: 'btn btn-primary',
        id: 'to-checkout',
        href: checkoutHref({ items: encodeItems(lines) }),
        onclick: (e) => {
          e.currentTarget.href = checkoutHref({ items: encodeItems(cart()), coupon: coupon.value.trim() });
        },
      },
      t('store.checkout'),
    ),
    onShopDomain() ? h('p', { class: 'hint' }, t('store.checkout_host', { host: `checkout.${SHOP_DOMAIN}` })) : null,
  );
}

async function checkoutPage() {
  const params = new URLSearchParams(location.search);
  const lines = decodeItems(params.get('items'));
  if (!lines.length) {
    fill(main, h('h1', {}, t('store.checkout')), empty(t('store.cart_empty'), h('a', { href: shopHref('/store/') }, t('store.browse'))));
    return;
  }
  let backend = true;
  try {
    await shop.info();
  } catch (e) {
    backend = false;
  }
  const email = h('input', { type: 'email', id: 'email', autocomplete: 'email', placeholder: 'you@example.com' });
  const coupon = h('input', { id: 'coupon', maxlength: 32, value: params.get('coupon') || '', autocomplete: 'off' });
  const clickId = h('input', { type: 'hidden', id: 'click-id', name: 'click_id' });
  const result = h('div', { id: 'result', 'aria-live': 'polite' });
  const amount = total(lines);
  attribution().then((a) => {
    clickId.value = (a && a.click_id) || '';
  });
  const items = () =>
    lines.map((l) => ({ sku: l.sku, category: product(l.sku).category, amount: product(l.sku).price, quantity: l.quantity }));

  const viaBackend = async (e) => {
    const btn = e.currentTarget;
    btn.disabled = true;
    fill(result, loading(t('store.placing')));
    try {
      const a = await attribution();
      const r = await shop.checkout({
        items: lines,
        email: email.value.trim() || undefined,
        coupon: coupon.value.trim() || undefined,
        click_id: (a && a.click_id) || clickId.value || undefined,
      });
      fill(result, orderResult(r));
    } catch (err) {
      btn.disabled = false;
      fill(result, failure(err));
    }
  };
  const viaBrowser = (e) => {
    e.currentTarget.disabled = true;
    const orderId = `WEB-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
    const sale = { order_id: orderId, amount, currency: catalog.currency, items: items() };
    if (coupon.value.trim()) sale.coupon = coupon.value.trim().toUpperCase();
    if (email.value.trim()) sale.email = email.value.trim();
    reftrail('conversion', sale);
    fill(
      result,
      h(
        'div',
        { class: 'card ok', id: 'order-done', dataset: { orderId } },
        h('h2', {}, t('store.thanks')),
        h('p', {}, t('store.order_id'), ': ', h('code', { id: 'order-id' }, orderId)),
        h('p', {}, t('store.browser_sent')),
        h('a', { href: shopHref('/store/', { ordered: '1' }) }, t('store.back')),
      ),
    );
  };

  fill(
    main,
    h('h1', {}, t('store.checkout')),
    onShopDomain() ? h('p', { class: 'hint' }, t('store.on_checkout_host', { host: location.hostname })) : null,
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        {},
        h('tbody', {}, lines.map((l) => h('tr', {}, h('td', {}, `${pick(product(l.sku).name)} × ${l.quantity}`), h('td', { class: 'num' }, price(product(l.sku).price * l.quantity))))),
        h('tfoot', {}, h('tr', {}, h('th', {}, t('store.total')), h('th', { class: 'num', id: 'checkout-total' }, price(amount)))),
      ),
    ),
    h(
      'form',
      { class: 'card checkout-form', onsubmit: (e) => e.preventDefault() },
      h('div', { class: 'field' }, h('label', { for: 'email' }, t('store.email')), email),
      h('div', { class: 'field' }, h('label', { for: 'coupon' }, t('store.coupon')), coupon),
      clickId,
      h(
        'div',
        { class: 'row' },
        h('button', { type: 'button', class: 'btn btn-primary', id: 'place-order', disabled: !backend, onclick: viaBackend }, t('store.place_backend')),
        h('button', { type: 'button', class: 'btn', id: 'place-order-browser', onclick: viaBrowser }, t('store.place_browser')),
      ),
      backend ? null : h('p', { class: 'hint', id: 'no-backend' }, t('store.no_backend')),
    ),
    result,
    h(
      'details',
      { class: 'card' },
      h('summary', {}, t('store.how')),
      h('p', {}, t('store.how_backend')),
      h('pre', {}, `POST /v1/sales\nAuthorization: Bearer sk_…\nCookie: rt_click=…   (forwarded from the visitor)\n\n{"order_id": "SHOP-…", "amount": ${amount}, "currency": "${catalog.currency}",\n "coupon": "…", "click_id": "…", "items": [{"sku", "category", "amount": unit price, "quantity"}]}`),
      h('p', {}, t('store.how_browser')),
      h('pre', {}, `reftrail('conversion', {\n  order_id: 'WEB-…', amount: ${amount}, currency: '${catalog.currency}',\n  coupon: '…', items: [{sku, category, amount, quantity}]\n});`),
    ),
  );
}

function orderResult(r) {
  const ref = r.referral;
  return h(
    'div',
    { class: 'card ok', id: 'order-done', dataset: { orderId: r.order_id, affiliate: ref ? ref.affiliate : '' } },
    h('h2', {}, t('store.thanks')),
    h('p', {}, t('store.order_id'), ': ', h('code', { id: 'order-id' }, r.order_id), ' · ', price(r.amount)),
    ref
      ? h(
          'p',
          { id: 'order-credit' },
          t('store.credited', {
            affiliate: ref.affiliate,
            commission: money(ref.commission, ref.currency),
            how: t(`source.${r.sale?.attributed_by || ref.attributed_by}`),
          }),
        )
      : h('p', { id: 'order-credit' }, t('store.not_credited')),
    h('p', { class: 'hint' }, t('store.verified_note')),
    h('a', { href: shopHref('/store/', { ordered: '1' }) }, t('store.back')),
  );
}

// ---- start ---------------------------------------------------------------------------------

async function start() {
  // The shop's backend names the program's language; `?lang=` (the picker) still wins.
  const info = await shop.info().catch(() => null);
  pickLocale({ program: info, remember: false });
  document.querySelector('.skip').textContent = t('ui.skip');
  fill(main, loading());
  try {
    catalog = await shop.catalog();
  } catch (err) {
    header();
    fill(main, failure(err instanceof ApiError ? err : new ApiError(0, 'network', String(err)), start));
    return;
  }
  header();
  consentBanner();
  showReferral();
  if (page === 'home') home();
  else if (page === 'products') productPage();
  else if (page === 'cart') cartPage();
  else if (page === 'checkout') await checkoutPage();
}

start().catch((err) => fill(main, h('p', { role: 'alert' }, errorText(err))));
