// The settings' webhook endpoints, one row each: the address, the events it wants (none ticked:
// every event), a signed test event sent at once (POST /v1/webhooks/test) and its answer. The
// rows become the program's `webhooks` list when the settings are saved.

import { t, errorText } from '../shared/i18n.js';
import { h, fill } from '../shared/ui.js';

// The events a webhook can ask for, as the server names them.
const EVENTS = ['affiliate.applied', 'referral.created', 'referral.approved', 'referral.reversed', 'recruiter_commission.created', 'payout.created', 'bonus.created', 'bonus.cancelled'];
// The most endpoints the server keeps.
const MAX = 10;

/**
 * The editor over `webhooks` (`[{url, events}]`); `api.testWebhook(url)` sends a test event,
 * and `readOnly` leaves the view. `value()` answers the list as typed, without empty rows.
 */
export function webhookEndpoints(webhooks, api, readOnly) {
  const list = h('div', { class: 'webhook-endpoints', id: 'webhook-endpoints' });
  const rows = [];
  const none = h('p', { class: 'hint', id: 'webhook-none' }, t(readOnly ? 'wh.none_read_only' : 'wh.none'));
  const add = h('button', { type: 'button', class: 'btn', id: 'webhook-add', hidden: readOnly, onclick: () => addRow({ url: '', events: [] }) }, t('wh.add'));

  function addRow(w) {
    const url = h('input', { type: 'url', class: 'webhook-url', value: w.url, maxlength: 2048, placeholder: 'https://shop.example/reftrail-events', disabled: readOnly, 'aria-label': t('wh.url') });
    const boxes = EVENTS.map((e) => h('input', { type: 'checkbox', value: e, checked: (w.events || []).includes(e), disabled: readOnly }));
    const answer = h('p', { class: 'webhook-answer', 'aria-live': 'polite' });
    const test = h(
      'button',
      {
        type: 'button',
        class: 'btn btn-small webhook-test',
        onclick: async () => {
          if (!url.reportValidity()) return;
          test.disabled = true;
          fill(answer, t('wh.testing'));
          try {
            const r = await api.testWebhook(url.value.trim());
            answer.dataset.delivered = String(r.delivered);
            fill(answer, h('span', { class: r.delivered ? 'ok' : 'error-text' }, r.delivered ? t('wh.test_ok', { status: r.status }) : t('wh.test_failed', { error: r.error || `HTTP ${r.status}` })));
          } catch (err) {
            fill(answer, h('span', { class: 'error-text' }, errorText(err)));
          }
          test.disabled = false;
        },
      },
      t('wh.test'),
    );
    const row = h(
      'fieldset',
      { class: 'webhook-endpoint' },
      h('legend', {}, t('wh.endpoint')),
      url,
      h('div', { class: 'webhook-events', role: 'group', 'aria-label': t('wh.events') }, boxes.map((b) => h('label', {}, b, ' ', h('code', {}, b.value)))),
      h('p', { class: 'hint' }, t('wh.events_hint')),
      readOnly
        ? null
        : h(
            'div',
            { class: 'row' },
            test,
            h(
              'button',
              {
                type: 'button',
                class: 'btn btn-small btn-danger webhook-remove',
                onclick: () => {
                  rows.splice(rows.indexOf(entry), 1);
                  row.remove();
                  add.hidden = rows.length >= MAX;
                },
              },
              t('wh.remove'),
            ),
          ),
      answer,
    );
    const entry = { url, boxes };
    rows.push(entry);
    list.append(row);
    add.hidden = readOnly || rows.length >= MAX;
    none.hidden = true;
  }

  (webhooks || []).forEach(addRow);
  return {
    element: h('div', {}, list, none, add),
    value: () =>
      rows
        .filter((r) => r.url.value.trim() !== '')
        .map((r) => ({ url: r.url.value.trim(), events: r.boxes.filter((b) => b.checked).map((b) => b.value) })),
  };
}
