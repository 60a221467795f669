// An affiliate's short links in their panel (GET /v1/links?affiliate=): where each leads, its
// campaign and how often it was opened; a link used against the program's terms can be removed
// (DELETE /v1/links/{code}).

import { t, num, dateTime } from '../shared/i18n.js';
import { h, fill, failure, notify } from '../shared/ui.js';
import { shortLinkUrl } from '../shared/api.js';

export async function affiliateShortLinks(api, affiliate) {
  const card = h('section', { class: 'card', id: 'affiliate-short-links' });
  const msg = h('div', { 'aria-live': 'assertive' });
  const draw = async () => {
    const { links } = await api.shortLinks({ affiliate: affiliate.id, limit: 100 });
    const cols = [t('portal.short_links'), t('portal.short_page'), t('portal.campaign'), t('dash.short_opens'), t('dash.created'), ''];
    const row = (l) =>
      h(
        'tr',
        { dataset: { code: l.code, opens: l.opens } },
        h('td', { 'data-label': cols[0] }, h('code', {}, shortLinkUrl(l))),
        h('td', { 'data-label': cols[1] }, h('a', { href: l.landing_url, rel: 'noopener noreferrer', target: '_blank' }, l.landing_url)),
        h('td', { 'data-label': cols[2] }, l.campaign ? h('code', {}, l.campaign) : '—'),
        h('td', { class: 'num', 'data-label': cols[3] }, num(l.opens)),
        h('td', { 'data-label': cols[4] }, dateTime(l.created_at)),
        h(
          'td',
          {},
          h(
            'button',
            {
              type: 'button',
              class: 'btn btn-small btn-danger write',
              onclick: async (e) => {
                if (!confirm(t('portal.short_delete_confirm', { url: shortLinkUrl(l) }))) return;
                e.currentTarget.disabled = true;
                try {
                  await api.deleteShortLink(l.code);
                  notify(t('portal.short_deleted'));
                  await draw();
                } catch (err) {
                  fill(msg, failure(err));
                }
              },
            },
            t('portal.short_delete'),
          ),
        ),
      );
    fill(
      card,
      h('h2', {}, t('dash.short_links_of', { id: affiliate.id })),
      links.length
        ? h('div', { class: 'table-wrap' }, h('table', { class: 'stack', id: 'short-links' }, h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c)))), h('tbody', {}, links.map(row))))
        : h('p', { class: 'hint' }, t('dash.no_short_links')),
      msg,
    );
  };
  await draw();
  return card;
}
