// Privacy requests: a customer asks what the program holds about them, or to be forgotten
// (GDPR, Thailand's PDPA, Vietnam's Decree 13). Find them by email or the shop's customer id,
// download what is held as JSON, erase it. Erasure unlinks: orders and commissions stay.

import { t, money, dateTime, num } from '../shared/i18n.js';
import { h, fill, empty, failure, field, loading, download } from '../shared/ui.js';
import { clearCharts } from '../shared/charts.js';

/** A table of `rows` under `title`, one column per [label, cell(row), numeric]. */
function table(id, title, rows, columns) {
  return h(
    'section',
    { class: 'card' },
    h('h2', {}, `${title} (${num(rows.length)})`),
    rows.length
      ? h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'stack', id },
            h('thead', {}, h('tr', {}, columns.map(([label, , numeric]) => h('th', { scope: 'col', class: numeric ? 'num' : null }, label)))),
            h('tbody', {}, rows.map((r) => h('tr', {}, columns.map(([label, cell, numeric]) => h('td', { 'data-label': label, class: numeric ? 'num' : null }, cell(r)))))),
          ),
        )
      : h('p', { class: 'hint' }, t('dash.privacy_none')),
  );
}

function exported(found) {
  const source = (r) => t(`source.${r.attributed_by}`);
  return [
    table('privacy-orders', t('dash.privacy_orders'), found.orders, [
      [t('dash.order'), (r) => r.order_id],
      [t('dash.when'), (r) => dateTime(r.at)],
      [t('dash.amount'), (r) => money(r.amount, r.currency), true],
      [t('dash.affiliate'), (r) => r.affiliate || '—'],
      [t('dash.privacy_credited_by'), source],
    ]),
    table('privacy-leads', t('dash.privacy_leads'), found.leads, [
      [t('dash.privacy_event'), (r) => r.event],
      [t('dash.when'), (r) => dateTime(r.at)],
      [t('dash.affiliate'), (r) => r.affiliate || '—'],
      [t('dash.privacy_credited_by'), source],
    ]),
    table('privacy-clicks', t('dash.privacy_clicks'), found.clicks, [
      [t('dash.when'), (r) => dateTime(r.at)],
      [t('dash.privacy_url'), (r) => r.url],
      [t('dash.privacy_user_agent'), (r) => r.user_agent || '—'],
    ]),
    table('privacy-affiliates', t('dash.privacy_affiliates'), found.affiliates, [
      [t('dash.affiliate'), (r) => r.id],
      [t('dash.name'), (r) => r.name],
      [t('dash.email'), (r) => r.email || '—'],
    ]),
  ];
}

export async function privacy(main, { api }) {
  clearCharts();
  const email = h('input', { id: 'privacy-email', type: 'email', autocomplete: 'off', maxlength: 254 });
  const customer = h('input', { id: 'privacy-customer', autocomplete: 'off', maxlength: 128 });
  const out = h('div', { id: 'privacy-result', 'aria-live': 'polite' });

  /** The request's body from the form: only the fields filled in. */
  const subject = () => {
    const body = {};
    if (email.value.trim()) body.email = email.value.trim();
    if (customer.value.trim()) body.customer_id = customer.value.trim();
    return body;
  };

  const eraseStep = (who, found) => {
    const confirmBox = h('div', { class: 'card', id: 'privacy-confirm', role: 'alertdialog', 'aria-labelledby': 'privacy-confirm-title' });
    const ask = () =>
      fill(
        confirmBox,
        h('h2', { id: 'privacy-confirm-title' }, t('dash.privacy_erase_confirm_title')),
        h('p', {}, t('dash.privacy_erase_confirm', { orders: num(found.orders.length), leads: num(found.leads.length) })),
        h(
          'div',
          { class: 'row' },
          h('button', { type: 'button', class: 'btn btn-danger', id: 'privacy-erase-yes', onclick: erase }, t('dash.privacy_erase_yes')),
          h('button', { type: 'button', class: 'btn', dataset: { action: 'cancel' }, onclick: () => confirmBox.remove() }, t('ui.cancel')),
        ),
      );
    async function erase() {
      fill(confirmBox, loading());
      try {
        const done = await api.privacyErase(who);
        fill(
          out,
          h(
            'div',
            { class: 'card', id: 'privacy-erased', role: 'status' },
            h('h2', {}, t('dash.privacy_erased_title')),
            h('p', {}, t('dash.privacy_erased', { orders: num(done.orders), leads: num(done.leads), clicks: num(done.clicks) })),
            done.affiliates_retained.length ? h('p', { class: 'hint' }, t('dash.privacy_retained', { ids: done.affiliates_retained.join(', ') })) : null,
          ),
        );
      } catch (err) {
        fill(confirmBox, failure(err, ask));
      }
    }
    ask();
    return confirmBox;
  };

  const show = (who, found) => {
    const total = found.orders.length + found.leads.length + found.clicks.length + found.affiliates.length;
    if (!total) return fill(out, empty(t('dash.privacy_nothing'), t('dash.privacy_nothing_next')));
    const actions = h(
      'div',
      { class: 'row' },
      h(
        'button',
        {
          type: 'button',
          class: 'btn',
          id: 'privacy-download',
          onclick: () => download(`privacy-${new Date().toISOString().slice(0, 10)}.json`, JSON.stringify({ request: who, ...found }, null, 2), 'application/json'),
        },
        t('dash.privacy_download'),
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'btn btn-danger',
          id: 'privacy-erase',
          disabled: !(found.orders.length || found.leads.length),
          onclick: () => {
            if (document.getElementById('privacy-confirm')) return;
            const box = eraseStep(who, found);
            actions.after(box);
            // The safe answer has the focus: a stray Enter cancels.
            box.querySelector('[data-action="cancel"]').focus();
          },
        },
        t('dash.privacy_erase'),
      ),
    );
    fill(out, actions, exported(found));
  };

  const form = h(
    'form',
    {
      class: 'card',
      onsubmit: async (e) => {
        e.preventDefault();
        const who = subject();
        if (!who.email && !who.customer_id) return email.focus();
        fill(out, loading());
        try {
          show(who, await api.privacyExport(who));
        } catch (err) {
          fill(out, failure(err));
        }
      },
    },
    h('p', { class: 'hint' }, t('dash.privacy_hint')),
    h(
      'div',
      { class: 'row' },
      field(t('dash.email'), email),
      field(t('dash.privacy_customer_id'), customer, t('dash.privacy_customer_id_hint')),
      h('button', { class: 'btn btn-primary', type: 'submit', id: 'privacy-find' }, t('dash.privacy_find')),
    ),
  );

  fill(main, h('h1', {}, t('dash.nav_privacy')), form, out);
  email.focus();
}
