// What an affiliate posts besides their plain links: a link to any page of the shop, and the
// merchant's creatives (text links and banners) with the affiliate's link in them, as HTML to
// paste into a blog or a site builder. A creative's link names it in `utm_content`, which the
// browser reports with the click: the merchant's creatives report counts clicks and sales by it.

import { t, num } from '../shared/i18n.js';
import { h, fill, field, copyButton, shareButton, empty } from '../shared/ui.js';

/**
 * `page` with the affiliate's parameter set (`?ref=alice`) and each of `tags` the page does not
 * set itself, or null when it is no web address.
 */
export function linkTo(page, param, id, tags = {}) {
  let u;
  try {
    u = new URL(page);
  } catch (e) {
    return null;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return null;
  u.searchParams.set(param, id);
  for (const [k, v] of Object.entries(tags)) if (!u.searchParams.has(k)) u.searchParams.set(k, v);
  return u.toString();
}

/** A campaign name as a link carries it: trimmed, inner spaces as dashes, at most 100 characters. */
export function campaignName(text) {
  return text.trim().replace(/\s+/g, '-').slice(0, 100);
}

/** The host without a leading `www.`: `www.shop.test` and `shop.test` are one site. */
const site = (host) => host.replace(/^www\./, '');

/** Whether `page` is on the shop's site: its host, or one under the same name (checkout.shop.test). */
export function onShopSite(page, shop) {
  try {
    const [p, s] = [site(new URL(page).hostname), site(new URL(shop).hostname)];
    return p === s || p.endsWith(`.${s}`);
  } catch (e) {
    return false;
  }
}

const escapeHtml = (s) => s.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": '#39' }[c]};`);

/** The HTML to paste for creative `c` linking to `link`. */
export function creativeHtml(c, link) {
  const href = escapeHtml(link);
  return c.kind === 'image'
    ? `<a href="${href}"><img src="${escapeHtml(c.image_url)}" alt="${escapeHtml(c.text)}"></a>`
    : `<a href="${href}">${escapeHtml(c.text)}</a>`;
}

/**
 * A form that turns the address of any page of the shop into the affiliate's link to it, with a
 * campaign name when one is given (the page's own `utm_campaign` stays).
 */
export function deepLinkBox({ shop, param, id }) {
  const page = h('input', { id: 'deep-page', type: 'url', placeholder: `${shop.replace(/\/?$/, '/')}…`, autocomplete: 'off', spellcheck: 'false' });
  const campaign = h('input', { id: 'deep-campaign', maxlength: 100, placeholder: 'tiktok-bio', autocomplete: 'off', spellcheck: 'false' });
  const out = h('div', { id: 'deep-link', 'aria-live': 'polite' });
  const draw = () => {
    const value = page.value.trim();
    if (!value) return fill(out);
    const c = campaignName(campaign.value);
    const link = linkTo(value, param, id, c ? { utm_campaign: c } : {});
    if (!link) return fill(out, h('p', { class: 'error-text', role: 'alert' }, t('portal.deep_bad_url')));
    const warn = onShopSite(value, shop) ? null : h('p', { class: 'error-text', role: 'alert' }, t('portal.deep_other_site', { host: new URL(shop).hostname }));
    fill(out, warn, h('div', { class: 'link-row link-only' }, h('code', { class: 'link' }, link), h('div', { class: 'actions' }, copyButton(link), shareButton(link))));
  };
  page.addEventListener('input', draw);
  campaign.addEventListener('input', draw);
  return h('section', { class: 'card', id: 'deep-links' }, field(t('portal.deep_page'), page, t('portal.deep_hint')), field(t('portal.deep_campaign'), campaign), out);
}

/** What the creative brought the affiliate in the last 30 days, when the report has it. */
function creativeStats(r) {
  if (!r) return null;
  return h('p', { class: 'hint creative-stats', dataset: { clicks: r.clicks, sales: r.sales.net } }, t('portal.creative_stats', { clicks: num(r.clicks), sales: num(r.sales.net) }));
}

function creativeCard(c, link, stats) {
  const html = creativeHtml(c, link);
  const code = h('textarea', { class: 'creative-html', rows: 2, readonly: true, spellcheck: 'false', 'aria-label': t('portal.creative_html_of', { name: c.name }) });
  code.value = html;
  const look =
    c.kind === 'image'
      ? h('img', { class: 'creative-image', src: c.image_url, alt: c.text, loading: 'lazy', referrerpolicy: 'no-referrer' })
      : h('span', { class: 'creative-link' }, c.text);
  return h(
    'li',
    { class: 'creative card', dataset: { id: c.id, kind: c.kind } },
    h('h3', {}, c.name),
    creativeStats(stats),
    h('div', { class: 'creative-preview' }, h('a', { href: link, target: '_blank', rel: 'noopener' }, look)),
    h('div', { class: 'link-row link-only' }, h('code', { class: 'link' }, link), h('div', { class: 'actions' }, copyButton(link, t('portal.copy_link')), shareButton(link))),
    field(t('portal.creative_html'), code),
    h('div', { class: 'row' }, copyButton(html, t('portal.copy_html'))),
  );
}

/** The merchant's active creatives, each with the affiliate's link on it. */
export function creativesBox(list, { shop, param, id }, report = null) {
  const byCreative = new Map((report?.rows || []).map((r) => [r.creative, r]));
  if (!list.length) return h('div', { id: 'creatives' }, empty(t('portal.no_creatives'), t('portal.no_creatives_next')));
  const items = [];
  for (const c of list) {
    // `utm_content` names the creative, so the shop's report counts what each one brings.
    const link = linkTo(c.landing_url || shop, param, id, { utm_content: c.id });
    if (link) items.push(creativeCard(c, link, byCreative.get(c.id)));
  }
  return h('section', { id: 'creatives' }, h('p', { class: 'hint' }, t('portal.creatives_hint')), h('ul', { class: 'creatives' }, items));
}
