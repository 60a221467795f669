// English, Vietnamese and Thai for the store, the dashboard and the portal, and the Intl
// formatters every page uses: numbers, percentages, dates and money (integer minor units in,
// never floats: VND shows no decimals, THB and USD two).

import { en, vi, th } from './strings.js';

const DICTS = { en, vi, th };
export const LOCALES = [
  ['en', 'English'],
  ['vi', 'Tiếng Việt'],
  ['th', 'ไทย'],
];
const INTL = { en: 'en-US', vi: 'vi-VN', th: 'th-TH' };
const KEY = 'reftrail_lang';

let lang = 'en';

/** The UI language in use (`en`, `vi`, `th`). */
export function locale() {
  return lang;
}

/** The BCP 47 tag for Intl. */
export function intlLocale() {
  return INTL[lang];
}

function known(l) {
  const two = String(l || '').slice(0, 2).toLowerCase();
  return DICTS[two] ? two : null;
}

/**
 * Picks the language: `?lang=` in the address, the person's earlier choice (when `remember`),
 * the embedding page's `REFTRAIL_PAGES.locale`, the program's `locale` (every answer of
 * GET /v1/program and GET /v1/me names one), then the browser's, then English.
 */
export function pickLocale({ program, remember = true } = {}) {
  const fromUrl = known(new URLSearchParams(location.search).get('lang'));
  let saved = null;
  if (remember) {
    try {
      saved = known(localStorage.getItem(KEY));
    } catch (e) {
      saved = null;
    }
  }
  lang =
    fromUrl ||
    saved ||
    known(window.REFTRAIL_PAGES?.locale) ||
    known(program?.locale) ||
    known(navigator.language) ||
    'en';
  document.documentElement.lang = lang;
  return lang;
}

/** Switches the language (and remembers it when `remember`). */
export function setLocale(l, { remember = true } = {}) {
  lang = known(l) || 'en';
  if (typeof document !== 'undefined') document.documentElement.lang = lang;
  if (remember) {
    try {
      localStorage.setItem(KEY, lang);
    } catch (e) {
      // storage refused: the choice lasts for this page
    }
  }
}

/** The text of `key` with `{name}` placeholders filled from `vars`. */
export function t(key, vars = {}) {
  const s = DICTS[lang][key] ?? en[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => (vars[k] ?? `{${k}}`));
}

/** A name given per locale (`{en, vi, th}`), in the current language. */
export function pick(names) {
  return (names && (names[lang] || names.en)) || '';
}

export function num(n) {
  return new Intl.NumberFormat(INTL[lang]).format(n ?? 0);
}

/** A ratio (0.032) as a percentage. */
export function pct(r, digits = 1) {
  if (r === null || r === undefined || Number.isNaN(r)) return '—';
  return new Intl.NumberFormat(INTL[lang], {
    style: 'percent',
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(r);
}

/** Decimal places of `currency` (VND 0, USD 2, …). */
export function currencyDigits(currency) {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
      .maximumFractionDigits;
  } catch (e) {
    return 2;
  }
}

/** The exact decimal string of `minor` units (`4990`, 2 → `"49.90"`), without floats. */
export function decimal(minor, digits) {
  const neg = minor < 0;
  let s = String(Math.abs(Math.trunc(minor)));
  if (digits > 0) {
    s = s.padStart(digits + 1, '0');
    s = `${s.slice(0, -digits)}.${s.slice(-digits)}`;
  }
  return neg ? `-${s}` : s;
}

/** Integer minor units of `currency`, formatted for the current language. */
export function money(minor, currency) {
  if (minor === null || minor === undefined) return '—';
  const digits = currencyDigits(currency);
  try {
    return new Intl.NumberFormat(INTL[lang], {
      style: 'currency',
      currency,
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    }).format(decimal(minor, digits));
  } catch (e) {
    return `${decimal(minor, digits)} ${currency}`;
  }
}

/** Minor units from what a person typed in major units (`"49.90"` USD → 4990); null if not a number. */
export function parseMoney(text, currency) {
  const digits = currencyDigits(currency);
  const m = String(text).trim().replace(/[\s,_]/g, '').match(/^(\d{1,15})(?:\.(\d+))?$/);
  if (!m || (m[2] && m[2].length > digits)) return null;
  return Number(m[1]) * 10 ** digits + Number((m[2] || '').padEnd(digits, '0') || 0);
}

export function date(iso) {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(INTL[lang], { dateStyle: 'medium' }).format(new Date(iso));
}

export function dateTime(iso) {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(INTL[lang], { dateStyle: 'medium', timeStyle: 'short' }).format(
    new Date(iso),
  );
}

/** A day key (`2026-11-03`, UTC) as a short date. */
export function day(key) {
  return new Intl.DateTimeFormat(INTL[lang], { month: 'short', day: 'numeric', timeZone: 'UTC' }).format(
    new Date(`${key}T00:00:00Z`),
  );
}

/** The message for an API error: the server's code verbatim, with a sentence a person reads. */
export function errorText(err) {
  const code = err?.code || 'error';
  const known = DICTS[lang][`err.${code}`] ?? en[`err.${code}`];
  const sentence = known || err?.message || t('err.unknown');
  return `${sentence} (${code})`;
}
