// The referral ledger: filters (status, affiliate, flagged, period), approve / reject one by one
// or the pending ones selected at once, refunds (full or partial), flagged referrals with their
// reasons.

import { t, money, dateTime, parseMoney, errorText } from '../shared/i18n.js';
import { h, fill, empty, failure, field, badge, notify, loading, download } from '../shared/ui.js';
import { clearCharts } from '../shared/charts.js';
import { routeQuery, setRouteQuery, period } from './route.js';
import { periodPicker } from './overview.js';

const STATUSES = ['pending', 'approved', 'paid', 'rejected', 'reversed'];
const PAGE = 25;

function refundDialog(api, r, done) {
  const amount = h('input', { id: 'refund-amount', inputmode: 'decimal', placeholder: t('dash.refund_all') });
  const reason = h('input', { id: 'refund-reason', maxlength: 200 });
  const msg = h('div', { 'aria-live': 'assertive' });
  // One id per dialog: a partial refund needs one, and a retry after a lost answer (or a second
  // click) is then the same refund, not another.
  const refundId = `dashboard-${Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0')).join('')}`;
  const dlg = h(
    'dialog',
    { 'aria-labelledby': 'refund-title' },
    h(
      'form',
      {
        method: 'dialog',
        onsubmit: async (e) => {
          e.preventDefault();
          const body = { order_id: r.order_id, refund_id: refundId };
          if (amount.value.trim()) {
            const minor = parseMoney(amount.value, r.currency);
            if (minor === null || minor <= 0 || minor > r.amount) {
              fill(msg, h('p', { class: 'error-text', role: 'alert' }, t('dash.refund_bad_amount', { max: money(r.amount, r.currency) })));
              return;
            }
            body.amount = minor;
          }
          if (reason.value.trim()) body.reason = reason.value.trim();
          fill(msg, loading());
          try {
            await api.refund(body);
            dlg.close();
            dlg.remove();
            notify(t('dash.refunded', { order: r.order_id }));
            done();
          } catch (err) {
            fill(msg, failure(err));
          }
        },
      },
      h('h2', { id: 'refund-title' }, t('dash.refund_title', { order: r.order_id })),
      h('p', {}, t('dash.refund_text', { amount: money(r.amount, r.currency) })),
      field(t('dash.refund_amount', { currency: r.currency }), amount, t('dash.refund_amount_hint')),
      field(t('dash.reason'), reason),
      msg,
      h(
        'div',
        { class: 'row' },
        h('button', { class: 'btn btn-danger', type: 'submit', id: 'refund-confirm' }, t('dash.refund')),
        h('button', { class: 'btn', type: 'button', onclick: () => { dlg.close(); dlg.remove(); } }, t('ui.cancel')),
      ),
    ),
  );
  document.body.append(dlg);
  dlg.showModal();
  amount.focus();
}

export async function ledger(main, { api, render }) {
  clearCharts();
  const q = routeQuery();
  const p = period(q);
  const status = STATUSES.includes(q.get('status')) ? q.get('status') : '';
  const flagged = ['true', 'false'].includes(q.get('flagged')) ? q.get('flagged') : '';
  const verified = ['true', 'false'].includes(q.get('verified')) ? q.get('verified') : '';
  const affiliate = (q.get('affiliate') || '').slice(0, 64);
  // From a campaign's row (its affiliate's panel, the overview): only that campaign's referrals.
  const campaign = (q.get('campaign') || '').slice(0, 256);
  const base = { status, flagged, verified, affiliate, campaign, from: p.from, to: p.to, limit: PAGE };
  const keep = (extra) => {
    setRouteQuery({ days: p.days, from: p.fromDate, to: p.toDate, status, flagged, verified, affiliate, campaign, ...extra });
    render();
  };
  const campaignChip = campaign
    ? h('p', { id: 'f-campaign', class: 'row' }, t('dash.campaign_filter', { campaign }), ' ', h('button', { type: 'button', class: 'btn btn-small', onclick: () => keep({ campaign: '' }) }, t('dash.campaign_filter_clear')))
    : null;

  const statusSel = h(
    'select',
    { id: 'f-status', onchange: (e) => keep({ status: e.target.value }) },
    h('option', { value: '' }, t('dash.all')),
    STATUSES.map((s) => h('option', { value: s, selected: s === status }, t(`status.${s}`))),
  );
  const flaggedSel = h(
    'select',
    { id: 'f-flagged', onchange: (e) => keep({ flagged: e.target.value }) },
    h('option', { value: '' }, t('dash.all')),
    h('option', { value: 'true', selected: flagged === 'true' }, t('dash.flagged_only')),
    h('option', { value: 'false', selected: flagged === 'false' }, t('dash.unflagged_only')),
  );
  const verifiedSel = h(
    'select',
    { id: 'f-verified', onchange: (e) => keep({ verified: e.target.value }) },
    h('option', { value: '' }, t('dash.all')),
    h('option', { value: 'true', selected: verified === 'true' }, t('dash.verified_only')),
    h('option', { value: 'false', selected: verified === 'false' }, t('dash.unverified_only')),
  );
  const affInput = h('input', { id: 'f-affiliate', value: affiliate, maxlength: 64, placeholder: 'alice' });
  const affForm = h(
    'form',
    { class: 'row', onsubmit: (e) => { e.preventDefault(); keep({ affiliate: affInput.value.trim() }); } },
    field(t('dash.affiliate'), affInput),
    h('button', { class: 'btn', type: 'submit' }, t('dash.filter')),
  );

  const tbody = h('tbody', {});
  const more = h('div', {});
  // The pending referrals ticked for review at once, by id.
  const selected = new Set();
  // The selection, the bulk review and the actions column all change referrals: a viewer's page
  // hides them (`write`).
  const bulk = h('div', { id: 'bulk', class: 'row bulk write', role: 'region', 'aria-label': t('dash.bulk_review'), hidden: true });
  const allBox = h('input', { type: 'checkbox', id: 'select-all', 'aria-label': t('dash.select_all_pending') });
  const boxes = () => [...tbody.querySelectorAll('input.select-referral')];
  const refreshBulk = () => {
    const n = selected.size;
    const shown = boxes();
    allBox.checked = shown.length > 0 && shown.every((b) => b.checked);
    allBox.indeterminate = n > 0 && !allBox.checked;
    bulk.hidden = n === 0;
    fill(
      bulk,
      h('strong', { id: 'bulk-count' }, t('dash.selected_n', { n })),
      h('button', { type: 'button', class: 'btn btn-small btn-primary', id: 'bulk-approve', onclick: () => review('approve') }, t('dash.approve_selected')),
      h('button', { type: 'button', class: 'btn btn-small btn-danger', id: 'bulk-reject', onclick: () => review('reject') }, t('dash.reject_selected')),
    );
  };
  allBox.addEventListener('change', () => {
    for (const b of boxes()) {
      b.checked = allBox.checked;
      if (b.checked) selected.add(b.value);
      else selected.delete(b.value);
    }
    refreshBulk();
  });
  // One after the other: each is its own decision, in the ledger and the activity log, and one
  // that another person decided meanwhile is refused alone.
  const review = async (what) => {
    const ids = [...selected];
    if (what === 'reject' && !confirm(t('dash.reject_selected_confirm', { n: ids.length }))) return;
    bulk.querySelectorAll('button').forEach((b) => (b.disabled = true));
    const status = h('span', { role: 'status', id: 'bulk-progress' });
    bulk.append(status);
    const failed = [];
    for (const [i, id] of ids.entries()) {
      fill(status, t(what === 'approve' ? 'dash.approving_n' : 'dash.rejecting_n', { i: i + 1, n: ids.length }));
      try {
        if (what === 'approve') await api.approve(id);
        else await api.reject(id, 'rejected in the dashboard');
      } catch (err) {
        failed.push(`${id}: ${errorText(err)}`);
      }
    }
    const done = ids.length - failed.length;
    notify(t(what === 'approve' ? 'dash.bulk_approved' : 'dash.bulk_rejected', { n: done }), failed.length ? 'bad' : 'ok');
    await render();
    if (failed.length) {
      document.getElementById('main')?.prepend(h('div', { class: 'state state-error', role: 'alert', id: 'bulk-failed' }, h('strong', {}, t('dash.bulk_failed', { n: failed.length })), h('ul', {}, failed.map((f) => h('li', {}, f)))));
    }
  };
  const table = h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'stack', id: 'referrals' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col', class: 'write' }, allBox),
          [t('dash.when'), t('dash.affiliate'), t('dash.kind'), t('dash.order'), t('dash.amount'), t('kpi.commissions'), t('dash.status'), t('dash.source'), t('dash.flags'), t('dash.actions')].map((c, i) =>
            h('th', { scope: 'col', class: i === 4 || i === 5 ? 'num' : i === 9 ? 'write' : null }, c),
          ),
        ),
      ),
      tbody,
    ),
  );

  const act = async (btn, fn, doneText) => {
    btn.disabled = true;
    try {
      await fn();
      notify(doneText);
      render();
    } catch (err) {
      btn.disabled = false;
      notify(errorText(err), 'bad');
    }
  };

  const row = (r) => {
    const actions = [];
    if (r.status === 'pending') {
      actions.push(h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'approve' }, onclick: (e) => act(e.currentTarget, () => api.approve(r.id), t('dash.approved')) }, t('dash.approve')));
      actions.push(h('button', { type: 'button', class: 'btn btn-small btn-danger', dataset: { action: 'reject' }, onclick: (e) => act(e.currentTarget, () => api.reject(r.id, 'rejected in the dashboard'), t('dash.rejected')) }, t('dash.reject')));
    }
    if (r.kind === 'sale' && r.order_id && r.status !== 'rejected' && r.status !== 'reversed') {
      actions.push(h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'refund' }, onclick: () => refundDialog(api, r, render) }, t('dash.refund')));
    }
    const box =
      r.status === 'pending'
        ? h('input', {
            type: 'checkbox',
            class: 'select-referral',
            value: r.id,
            'aria-label': t('dash.select_referral', { id: r.id }),
            onchange: (e) => {
              if (e.target.checked) selected.add(r.id);
              else selected.delete(r.id);
              refreshBulk();
            },
          })
        : null;
    const cells = [
      [t('dash.select'), box],
      [t('dash.when'), dateTime(r.at)],
      [t('dash.affiliate'), h('a', { href: `#/referrals?affiliate=${encodeURIComponent(r.affiliate)}` }, r.affiliate)],
      [t('dash.kind'), r.kind === 'lead' ? `${t('dash.lead')} · ${r.event || ''}` : t('dash.sale')],
      [t('dash.order'), r.order_id ? h('code', {}, r.order_id) : '—'],
      [t('dash.amount'), r.kind === 'sale' ? money(r.amount, r.currency) : '—'],
      [t('kpi.commissions'), h('span', { class: 'commission' }, money(r.commission_net, r.currency)), r.commission_net !== r.commission ? h('div', { class: 'hint' }, t('dash.first_owed', { v: money(r.commission, r.currency) })) : null],
      [t('dash.status'), badge(t(`status.${r.status}`), r.status), r.verified ? null : h('div', {}, badge(t('dash.unverified'), 'pending'))],
      [t('dash.source'), t(`source.${r.attributed_by}`), r.campaign ? h('div', { class: 'hint campaign' }, r.campaign) : null],
      [t('dash.flags'), r.flags.length ? h('div', { class: 'flags' }, r.flags.map((f) => badge(t(`flag.${f}`), 'flag'))) : '—'],
      [t('dash.actions'), h('div', { class: 'actions' }, actions)],
    ];
    return h(
      'tr',
      { dataset: { id: r.id, order: r.order_id || '', status: r.status, affiliate: r.affiliate, commission: String(r.commission_net) } },
      cells.map(([label, ...v], i) => h('td', { 'data-label': label, class: i === 5 || i === 6 ? 'num' : i === 0 || i === cells.length - 1 ? 'write' : null }, ...v)),
    );
  };

  const loadPage = async (offset) => {
    fill(more, loading());
    try {
      const page = await api.referrals({ ...base, offset });
      tbody.append(...page.referrals.map(row));
      refreshBulk();
      if (!offset && !page.referrals.length) {
        fill(more, empty(t('dash.no_referrals'), t('dash.no_referrals_next')));
        table.hidden = true;
        return;
      }
      fill(
        more,
        page.referrals.length === PAGE
          ? h('button', { type: 'button', class: 'btn', id: 'more', onclick: () => loadPage(offset + PAGE) }, t('dash.load_more'))
          : null,
      );
    } catch (err) {
      fill(more, failure(err, () => loadPage(offset)));
    }
  };

  const exportCsv = async (e) => {
    const btn = e.currentTarget;
    btn.disabled = true;
    try {
      const { limit, ...filters } = base;
      download(`referrals-${p.fromDate || p.from.slice(0, 10)}-${p.toDate || p.to.slice(0, 10)}.csv`, await api.referralsCsv(filters), 'text/csv');
    } catch (err) {
      notify(err.code ? `${err.message} (${err.code})` : String(err), 'bad');
    }
    btn.disabled = false;
  };

  fill(
    main,
    h(
      'div',
      { class: 'section-head' },
      h('h1', {}, t('dash.nav_referrals')),
      h('button', { type: 'button', class: 'btn', id: 'referrals-csv', onclick: exportCsv }, t('dash.download_csv')),
    ),
    h(
      'div',
      { class: 'toolbar' },
      periodPicker(q, (pp) => keep({ days: pp.days || '', from: pp.from || '', to: pp.to || '' })),
      field(t('dash.status'), statusSel),
      field(t('dash.flags'), flaggedSel),
      field(t('dash.verification'), verifiedSel),
      affForm,
    ),
    campaignChip,
    h('p', { class: 'hint' }, t('dash.ledger_hint')),
    bulk,
    table,
    more,
  );
  await loadPage(0);
}
