// Small DOM helpers shared by the pages: an element builder, the loading / empty / error states,
// a status line for screen readers, a copy button, a share button and a language picker.

import { t, errorText, LOCALES, locale, setLocale } from './i18n.js';

/**
 * Builds an element: h('button', {class: 'x', onclick: f}, 'text', child). Strings become text
 * nodes (never HTML); null/false children are skipped; arrays are flattened.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces the children of `el`. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function loading(text = t('ui.loading')) {
  return h('div', { class: 'state state-loading', role: 'status', 'aria-live': 'polite' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), text);
}

/** An empty state: what is missing and what to do next. */
export function empty(title, next) {
  return h('div', { class: 'state state-empty' }, h('strong', {}, title), next ? h('p', {}, next) : null);
}

/** An error state with the server's code verbatim and a retry button. */
export function failure(err, retry) {
  return h(
    'div',
    { class: 'state state-error', role: 'alert' },
    h('strong', {}, t('ui.error_title')),
    h('p', { class: 'error-text' }, errorText(err)),
    retry ? h('button', { type: 'button', class: 'btn', onclick: retry }, t('ui.retry')) : null,
  );
}

/** Announces `text` (and shows it briefly): saved, approved, copied… */
export function notify(text, kind = 'ok') {
  let box = document.getElementById('notice');
  if (!box) {
    box = h('div', { id: 'notice', role: 'status', 'aria-live': 'polite' });
    document.body.append(box);
  }
  fill(box, h('div', { class: `notice notice-${kind}` }, text));
  clearTimeout(notify.timer);
  notify.timer = setTimeout(() => box.replaceChildren(), 6000);
}

/**
 * Runs `work` for a click on `button`: the button waits meanwhile; success announces `done` and
 * calls `after` (a redraw), a failure announces the server's words and frees the button.
 */
export async function act(button, work, done, after) {
  button.disabled = true;
  try {
    await work();
    notify(done);
    after();
  } catch (err) {
    button.disabled = false;
    notify(errorText(err), 'bad');
  }
}

/**
 * A button that opens the device's share sheet with `url` (LINE, Zalo, Messenger… on a phone,
 * where affiliates share their links); none where the browser cannot share, as on most
 * desktops, where Copy does the job.
 */
export function shareButton(url) {
  if (typeof navigator.share !== 'function') return shareMenu(url);
  return h(
    'button',
    {
      type: 'button',
      class: 'btn btn-small',
      dataset: { action: 'share' },
      'aria-label': `${t('ui.share')}: ${url}`,
      onclick: async () => {
        try {
          await navigator.share({ url });
        } catch (err) {
          // Closing the sheet is a choice, not a failure.
          if (err?.name !== 'AbortError') notify(t('ui.share_failed'), 'bad');
        }
      },
    },
    t('ui.share'),
  );
}

// Where a link can be shared from a computer, which has no share sheet, by the networks most used
// where the page is read first: LINE leads in Thailand, Facebook in Vietnam. (Zalo has no share
// address without an app of the shop's own; phones reach it through the share sheet.)
const NETWORKS = {
  line: (u) => `https://social-plugins.line.me/lineit/share?url=${u}`,
  facebook: (u) => `https://www.facebook.com/sharer/sharer.php?u=${u}`,
  x: (u) => `https://twitter.com/intent/tweet?url=${u}`,
  telegram: (u) => `https://t.me/share/url?url=${u}`,
  whatsapp: (u) => `https://wa.me/?text=${u}`,
};
const NETWORK_NAMES = { line: 'LINE', facebook: 'Facebook', x: 'X', telegram: 'Telegram', whatsapp: 'WhatsApp' };
const NETWORK_ORDER = {
  th: ['line', 'facebook', 'x', 'telegram', 'whatsapp'],
  vi: ['facebook', 'telegram', 'x', 'whatsapp', 'line'],
  en: ['facebook', 'x', 'whatsapp', 'telegram', 'line'],
};

/** The share menu of a browser without a share sheet: one link per network, in a new tab. */
function shareMenu(url) {
  const u = encodeURIComponent(url);
  return h(
    'details',
    { class: 'share-menu', dataset: { action: 'share' } },
    h('summary', { class: 'btn btn-small', 'aria-label': `${t('ui.share')}: ${url}` }, t('ui.share')),
    h(
      'ul',
      {},
      (NETWORK_ORDER[locale()] || NETWORK_ORDER.en).map((n) => h('li', {}, h('a', { href: NETWORKS[n](u), target: '_blank', rel: 'noopener noreferrer', dataset: { network: n } }, NETWORK_NAMES[n]))),
    ),
  );
}

/** A button that copies `text`. */
export function copyButton(text, label = t('ui.copy')) {
  return h(
    'button',
    {
      type: 'button',
      class: 'btn btn-small',
      'aria-label': `${label}: ${text}`,
      onclick: async (e) => {
        try {
          await navigator.clipboard.writeText(text);
        } catch (err) {
          // No clipboard permission: select a hidden field's text the old way.
          const ta = h('textarea', { class: 'visually-hidden' });
          ta.value = text;
          document.body.append(ta);
          ta.select();
          document.execCommand('copy');
          ta.remove();
        }
        e.currentTarget.textContent = t('ui.copied');
        notify(t('ui.copied'));
      },
    },
    label,
  );
}

/** A language picker; `onchange` re-renders the page. */
export function languagePicker(onchange, { remember = true } = {}) {
  const sel = h(
    'select',
    {
      class: 'lang',
      'aria-label': t('ui.language'),
      onchange: (e) => {
        setLocale(e.target.value, { remember });
        onchange();
      },
    },
    LOCALES.map(([code, name]) => h('option', { value: code, selected: code === locale() }, name)),
  );
  return sel;
}

/** Saves `text` as a file called `name` (a CSV export, a JSON download). */
export function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/**
 * A translated `text` (from t() without the vars) with its `{name}` placeholders filled by
 * elements, so that each language keeps its own word order around them.
 */
export function withNodes(text, nodes) {
  return text
    .split(/(\{\w+\})/)
    .filter(Boolean)
    .map((part) => {
      const m = part.match(/^\{(\w+)\}$/);
      return m && m[1] in nodes ? nodes[m[1]] : part;
    });
}

/** A labelled form field. */
export function field(label, input, hint) {
  const id = input.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  input.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, hint ? h('small', { class: 'hint' }, hint) : null);
}

/** Status badge. */
export function badge(text, kind) {
  return h('span', { class: `badge badge-${kind || text}` }, text);
}
