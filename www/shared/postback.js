// The postback box: an affiliate's tracker address with {macros}, filled in by the server for
// each event of their referrals; the macros to insert, a test send with sample values, and the
// latest requests with what became of them. The portal shows it to the affiliate
// (/v1/me/postback), the dashboard for any affiliate (/v1/affiliates/{id}/postback).

import { t, num, dateTime } from './i18n.js';
import { h, fill, field, badge, failure, notify } from './ui.js';

const STATUS_KIND = { delivered: 'approved', pending: 'pending', failed: 'rejected' };

function deliveriesTable(list) {
  if (!list.length) return h('p', { class: 'hint', id: 'postback-none' }, t('pb.no_deliveries'));
  const cols = [t('dash.when'), t('pb.event'), t('pb.referral'), t('dash.status'), t('pb.result'), t('pb.url_sent')];
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'stack', id: 'postback-deliveries' },
      h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c)))),
      h(
        'tbody',
        {},
        list.map((d) =>
          h(
            'tr',
            { dataset: { id: d.id, event: d.event, status: d.status } },
            h('td', { 'data-label': cols[0] }, dateTime(d.at)),
            h('td', { 'data-label': cols[1] }, t(`pb.event_${d.event}`)),
            h('td', { 'data-label': cols[2] }, h('code', {}, d.referral_id)),
            h('td', { 'data-label': cols[3] }, badge(t(`pb.status_${d.status}`), STATUS_KIND[d.status])),
            h('td', { 'data-label': cols[4] }, [num(d.attempts), d.last_error ? ` · ${d.last_error}` : null]),
            h('td', { 'data-label': cols[5] }, h('code', { class: 'postback-url' }, d.url)),
          ),
        ),
      ),
    ),
  );
}

/**
 * The box. `load()` answers the postback, `save(url)` stores a URL (`null` removes it) and
 * answers the postback, `test(url)` sends a sample; `readOnly` leaves only the view.
 */
export function postbackBox({ load, save, test, readOnly = false, example = '' }) {
  const section = h('section', { class: 'card', id: 'postback' }, h('p', { class: 'hint' }, t('ui.loading')));
  const msg = h('div', { 'aria-live': 'polite', id: 'postback-result' });

  const draw = (pb) => {
    const input = h('input', {
      id: 'postback-url',
      inputmode: 'url',
      autocomplete: 'off',
      spellcheck: 'false',
      maxlength: 2048,
      value: pb.url || '',
      placeholder: 'https://tracker.example/postback?click={sub1}&payout={commission}&status={status}',
      disabled: readOnly,
    });
    // A macro goes where the cursor is, replacing a selection.
    const insert = (m) => {
      const at = input.selectionStart ?? input.value.length;
      input.setRangeText(`{${m}}`, at, input.selectionEnd ?? at, 'end');
      input.focus();
    };
    const macros = h(
      'div',
      { class: 'row macros', id: 'postback-macros', role: 'group', 'aria-label': t('pb.macros') },
      pb.macros.map((m) => (readOnly ? h('code', {}, `{${m}}`) : h('button', { type: 'button', class: 'btn btn-small', dataset: { macro: m }, onclick: () => insert(m) }, `{${m}}`))),
    );
    // What each macro gives; sub2–sub5 read as sub1 does.
    const help = h(
      'details',
      { id: 'postback-help' },
      h('summary', {}, t('pb.macros_help')),
      h(
        'dl',
        {},
        pb.macros
          .filter((m) => !/^sub[2-5]$/.test(m))
          .map((m) => [h('dt', {}, h('code', {}, m === 'sub1' ? '{sub1} … {sub5}' : `{${m}}`)), h('dd', {}, t(`pb.macro_${m}`))]),
      ),
    );
    const busy = async (button, work) => {
      button.disabled = true;
      try {
        await work();
      } catch (err) {
        fill(msg, failure(err));
      }
      button.disabled = false;
    };
    const store = (url, done) => async () => {
      const saved = await save(url);
      fill(msg);
      notify(done);
      draw(saved);
    };
    const buttons = readOnly
      ? null
      : h(
          'div',
          { class: 'row' },
          h('button', { type: 'submit', class: 'btn btn-primary', id: 'postback-save' }, t('ui.save')),
          h(
            'button',
            {
              type: 'button',
              class: 'btn',
              id: 'postback-test',
              onclick: (e) =>
                busy(e.currentTarget, async () => {
                  const r = await test(input.value.trim() || null);
                  fill(
                    msg,
                    h(
                      'p',
                      { class: r.delivered ? 'ok' : 'error', dataset: { delivered: String(r.delivered) } },
                      r.delivered ? t('pb.test_ok', { status: r.status }) : t('pb.test_failed', { error: r.error || `HTTP ${r.status}` }),
                    ),
                    h('p', { class: 'hint' }, t('pb.test_sent'), ' ', h('code', { class: 'postback-url' }, r.url)),
                  );
                }),
            },
            t('pb.test'),
          ),
          pb.url
            ? h(
                'button',
                {
                  type: 'button',
                  class: 'btn btn-danger',
                  id: 'postback-remove',
                  onclick: (e) => busy(e.currentTarget, store(null, t('pb.removed'))),
                },
                t('pb.remove'),
              )
            : null,
        );
    const form = h(
      'form',
      {
        id: 'postback-form',
        onsubmit: (e) => {
          e.preventDefault();
          busy(form.querySelector('#postback-save'), store(input.value.trim() || null, input.value.trim() ? t('pb.saved') : t('pb.removed')));
        },
      },
      field(t('pb.url'), input, t('pb.url_hint')),
      macros,
      help,
      buttons,
      msg,
    );
    fill(
      section,
      h('p', { class: 'hint' }, t('pb.hint')),
      example ? h('p', { class: 'hint' }, t('pb.subs_hint'), ' ', h('code', { id: 'postback-example' }, example)) : null,
      form,
      h('h3', {}, t('pb.deliveries')),
      deliveriesTable(pb.deliveries),
    );
  };
  load().then(draw, (err) => fill(section, failure(err)));
  return section;
}
