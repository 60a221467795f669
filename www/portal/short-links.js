// "Short links": an affiliate turns their link to a page of the shop, with a campaign, into a
// short address (`/go/k7m2x9q`, or an ending of their own) for a bio, a chat message or a
// printed card, and sees how often each was opened (/v1/me/links). The server only makes links
// to the shop's own pages.

import { t, num, dateTime } from '../shared/i18n.js';
import { h, fill, field, copyButton, shareButton, empty, failure, loading, notify } from '../shared/ui.js';
import { shortLinkUrl as shortUrl } from '../shared/api.js';
import { qrButton } from './qr.js';
import { campaignName } from './promote.js';

function linkRow(api, link, redraw, msg) {
  const url = shortUrl(link);
  const [qr, box] = qrButton(url);
  const remove = h(
    'button',
    {
      type: 'button',
      class: 'btn btn-small btn-danger',
      onclick: async (e) => {
        if (!confirm(t('portal.short_delete_confirm', { url }))) return;
        e.currentTarget.disabled = true;
        try {
          await api.deleteLink(link.code);
          notify(t('portal.short_deleted'));
          await redraw();
        } catch (err) {
          fill(msg, failure(err));
        }
      },
    },
    t('portal.short_delete'),
  );
  return h(
    'div',
    { class: 'link-row short-link', dataset: { code: link.code } },
    h('code', { class: 'link' }, url),
    h('div', { class: 'actions' }, copyButton(url), qr, shareButton(url), remove),
    h(
      'small',
      { class: 'hint' },
      t('portal.short_leads_to', { page: link.landing_url }),
      link.campaign ? ` · ${t('portal.campaign')}: ${link.campaign}` : null,
      ` · ${t('portal.short_opens', { n: num(link.opens) })} · ${dateTime(link.created_at)}`,
    ),
    box,
  );
}

/** The section: the form that makes a short link, and the affiliate's links, newest first. */
export function shortLinksBox(api, links, { shop }) {
  const list = h('div', { id: 'short-links' });
  const msg = h('div', { 'aria-live': 'assertive' });
  const draw = (all) =>
    fill(list, all.length ? all.map((l) => linkRow(api, l, redraw, msg)) : empty(t('portal.no_short_links'), t('portal.no_short_links_next')));
  const redraw = async () => draw((await api.links()).links);
  draw(links);

  const page = h('input', { id: 'short-page', type: 'url', required: true, value: shop, autocomplete: 'off', spellcheck: 'false' });
  const campaign = h('input', { id: 'short-campaign', maxlength: 100, placeholder: 'tiktok-bio', autocomplete: 'off', spellcheck: 'false' });
  const code = h('input', { id: 'short-code', maxlength: 40, placeholder: 'tet-sale', autocomplete: 'off', spellcheck: 'false', pattern: '[A-Za-z0-9][A-Za-z0-9\\-]{1,38}[A-Za-z0-9]' });
  const form = h(
    'form',
    {
      id: 'short-form',
      onsubmit: async (e) => {
        e.preventDefault();
        const btn = form.querySelector('button[type=submit]');
        btn.disabled = true;
        fill(msg, loading(t('ui.saving')));
        try {
          const body = { landing_url: page.value.trim() };
          const c = campaignName(campaign.value);
          if (c) body.campaign = c;
          if (code.value.trim()) body.code = code.value.trim();
          const made = await api.createLink(body);
          fill(msg);
          campaign.value = '';
          code.value = '';
          await redraw();
          notify(t('portal.short_made', { url: shortUrl(made) }));
        } catch (err) {
          fill(msg, failure(err));
        }
        btn.disabled = false;
      },
    },
    h('div', { class: 'toolbar' }, field(t('portal.short_page'), page), field(t('portal.campaign_name'), campaign), field(t('portal.short_code'), code, t('portal.short_code_hint'))),
    h('div', { class: 'row' }, h('button', { class: 'btn btn-primary', type: 'submit' }, t('portal.short_create'))),
    msg,
  );
  return h('section', { class: 'card', id: 'short' }, h('p', { class: 'hint' }, t('portal.short_hint')), form, list);
}
