// "Your team": the affiliates the signed-in affiliate recruited through their recruiting link,
// and the share of each recruit's commissions the program pays them on top (its recruiter rate).
// Shown when the program pays recruiters or the affiliate has recruits.

import { t, money, dateTime } from '../shared/i18n.js';
import { h, badge, copyButton, shareButton } from '../shared/ui.js';

/**
 * The application form's address with the recruiter in it: the embedding site's own form
 * (REFTRAIL_PAGES.applyUrl, e.g. WordPress's `[reftrail_register]` page), else this portal's.
 * `null` when the portal is embedded without one.
 */
export function recruitingLink(id) {
  const base = window.REFTRAIL_PAGES?.applyUrl || (window.REFTRAIL_PAGES?.signedIn ? null : new URL('./#apply', location.href).href);
  if (!base) return null;
  const url = new URL(base, location.href);
  url.searchParams.set('recruiter', id);
  return url.href;
}

function table(id, cols, rows) {
  return h(
    'div',
    { class: 'table-wrap' },
    h('table', { class: 'stack', id }, h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c)))), h('tbody', {}, rows)),
  );
}

/** The section, or null when there is nothing to show. */
export function teamBox(team, affiliateId) {
  if (!team.rate_bps && !team.recruits.length) return null;
  const link = team.rate_bps ? recruitingLink(affiliateId) : null;
  const recruitCols = [t('dash.name'), t('dash.status'), t('portal.joined')];
  const shareCols = [t('dash.when'), t('portal.recruit'), t('dash.amount'), t('dash.status')];
  return [
    h('h2', {}, t('portal.team')),
    h(
      'section',
      { class: 'card', id: 'my-team' },
      h('p', {}, team.rate_bps ? t('portal.team_rate', { rate: team.rate_bps / 100 }) : t('portal.team_rate_off')),
      link
        ? h('div', { class: 'link-row', id: 'recruiting-link' }, h('code', {}, t('portal.recruiting_link')), h('code', { class: 'link' }, link), h('div', { class: 'actions' }, copyButton(link), shareButton(link)))
        : null,
      h('h3', {}, t('portal.team_recruits')),
      team.recruits.length
        ? table(
            'my-recruits',
            recruitCols,
            team.recruits.map((r) =>
              h(
                'tr',
                { dataset: { id: r.id, status: r.status } },
                h('td', { 'data-label': recruitCols[0] }, r.name),
                h('td', { 'data-label': recruitCols[1] }, badge(t(`status.${r.status}`), r.status)),
                h('td', { 'data-label': recruitCols[2] }, dateTime(r.joined)),
              ),
            ),
          )
        : h('p', { class: 'hint' }, t('portal.no_recruits')),
      team.commissions.length ? h('h3', {}, t('portal.team_commissions')) : null,
      team.commissions.length
        ? table(
            'my-recruiter-commissions',
            shareCols,
            team.commissions.map((c) =>
              h(
                'tr',
                { dataset: { id: c.id, status: c.status } },
                h('td', { 'data-label': shareCols[0] }, dateTime(c.created_at)),
                h('td', { 'data-label': shareCols[1] }, c.recruit),
                h('td', { class: 'num', 'data-label': shareCols[2] }, money(c.amount - c.reversed, c.currency)),
                h('td', { 'data-label': shareCols[3] }, badge(t(`status.${c.status}`), c.status)),
              ),
            ),
          )
        : null,
    ),
  ];
}
