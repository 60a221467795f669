// Payouts: what is payable now (approved balances), a new batch of every approved balance (or
// one currency), past batches with their lines, each batch's CSV of its PayPal lines (PayPal mass
// payment), and for a bank transfer line the QR code the merchant's banking app scans (VietQR in
// VND, PromptPay in THB). Each line is ticked off once its transfer is sent, so that no one is
// paid twice or forgotten; the batch counts the lines sent, and a sent line keeps what its transfer
// cost (the reports' channel cost counts these fees). A line with tax withheld shows what it
// settled, the tax and what is paid; the withholding report sums them per affiliate for a period.

import { t, money, dateTime, decimal, currencyDigits, parseMoney } from '../shared/i18n.js';
import { h, fill, empty, failure, field, notify, loading, download, badge, withNodes } from '../shared/ui.js';
import { clearCharts } from '../shared/charts.js';
import { thisMonth } from './route.js';
import { bankAccount } from '../shared/payout.js';
import { bonusTable } from './bonuses.js';
import { qrSvg } from '../vendor/qrcode.js';
import { payoutRequestsSection } from './payout-requests.js';
import { ApiError } from '../shared/api.js';

/** Lines from before bank transfers have no method: they were PayPal's. */
const methodOf = (l) => l.method || 'paypal';

/** Who a line pays: the PayPal email, or the bank (VietQR), account and holder's name. */
function paidTo(l) {
  if (methodOf(l) === 'paypal') return l.paypal_email || '—';
  return bankAccount({ bank: l.bank, account: l.account, name: l.account_name });
}

/** A line's amount: what is paid, and when tax was withheld, from what and how much. */
function lineAmount(l) {
  if (!(l.withheld > 0)) return money(l.amount, l.currency);
  // One element, so that it stays one piece beside its label at phone width.
  return h(
    'span',
    { class: 'line-tax' },
    withNodes(t('dash.gross_less_tax'), {
      gross: h('span', { class: 'gross' }, money(l.gross, l.currency)),
      withheld: h('span', { class: 'withheld' }, money(l.withheld, l.currency)),
      paid: h('strong', { class: 'paid' }, money(l.amount, l.currency)),
    }),
  );
}

/**
 * The line's QR button and the row it opens: the QR code of `transfer_qr` (built by the QR
 * library from the payload text only), big enough to scan from a screen, with the amount under it.
 */
function qrRow(l, cols) {
  const amount = money(l.amount, l.currency);
  const box = h('div', { class: 'transfer-qr' });
  const row = h('tr', { class: 'qr-row', hidden: true }, h('td', { colspan: cols, class: 'qr-cell' }, box));
  const btn = h(
    'button',
    {
      type: 'button',
      class: 'btn btn-small',
      dataset: { action: 'qr' },
      'aria-expanded': 'false',
      onclick: async () => {
        if (!row.hidden) {
          row.hidden = true;
          btn.setAttribute('aria-expanded', 'false');
          btn.textContent = t('dash.show_qr');
          return;
        }
        if (!box.firstChild) {
          const code = h('div', { class: 'qr-code' });
          code.innerHTML = await qrSvg(l.transfer_qr);
          code.firstElementChild?.setAttribute('role', 'img');
          code.firstElementChild?.setAttribute('aria-label', t('dash.qr_of_transfer', { amount, account: l.account }));
          fill(
            box,
            code,
            h('p', { class: 'qr-amount' }, amount),
            l.withheld > 0 ? h('p', { class: 'qr-tax hint' }, t('dash.qr_after_tax', { withheld: money(l.withheld, l.currency) })) : null,
            h('p', { class: 'qr-to' }, paidTo(l)),
            h('p', { class: 'hint' }, t('dash.qr_scan')),
          );
        }
        row.hidden = false;
        btn.setAttribute('aria-expanded', 'true');
        btn.textContent = t('dash.hide_qr');
      },
    },
    t('dash.show_qr'),
  );
  return [btn, row];
}

/** "{n} of {total} sent", and a done badge once every line is. */
function sentProgress(box, lines) {
  const n = lines.filter((l) => l.sent_at).length;
  fill(box, t('dash.sent_of', { n, total: lines.length }), n === lines.length ? [' ', badge(t('dash.all_sent'), 'ok')] : null);
}

/**
 * The line's "Sent" box. The answer (the whole payout) redraws the line and the batch's count; a
 * refused call puts the box back as it was and says why. `readOnly` (a viewer's) shows the box and
 * the fee disabled.
 */
function sentMark(p, l, { api, progress, readOnly }) {
  const text = h('span', { class: 'sent-text' });
  const input = h('input', { type: 'checkbox', dataset: { action: 'sent' } });
  // What the transfer cost, once it is sent: the reports add it to the channel cost.
  const feeInput = h('input', { type: 'text', inputmode: 'decimal', size: 8, dataset: { action: 'fee' }, 'aria-label': t('dash.transfer_fee_of', { affiliate: l.affiliate, currency: l.currency }) });
  const feeForm = h(
    'form',
    { class: 'fee-form', hidden: true },
    h('label', {}, t('dash.transfer_fee', { currency: l.currency }), ' ', feeInput),
    ' ',
    h('button', { type: 'submit', class: 'btn btn-small write' }, t('dash.save_fee')),
  );
  input.disabled = readOnly;
  feeInput.disabled = readOnly;
  const show = (line) => {
    input.checked = Boolean(line.sent_at);
    input.closest('tr')?.toggleAttribute('data-sent', input.checked);
    fill(text, line.sent_at ? t('dash.sent_at', { at: dateTime(line.sent_at) }) : t('dash.sent'));
    feeForm.hidden = !line.sent_at;
    feeInput.value = line.fee === null || line.fee === undefined ? '' : decimal(line.fee, currencyDigits(line.currency));
  };
  const mark = async (body, undo) => {
    try {
      const answer = await api.markSent(p.id, { affiliate: l.affiliate, currency: l.currency, ...body });
      const line = answer.lines.find((x) => x.affiliate === l.affiliate && x.currency === l.currency);
      if (line) show(line);
      sentProgress(progress, answer.lines);
      return true;
    } catch (err) {
      undo();
      notify(err.code ? `${err.message} (${err.code})` : String(err), 'bad');
      return false;
    }
  };
  input.addEventListener('change', async () => {
    const sent = input.checked;
    input.disabled = true;
    await mark({ sent }, () => (input.checked = !sent));
    input.disabled = false;
  });
  feeForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const fee = parseMoney(feeInput.value || '0', l.currency);
    if (fee === null) {
      notify(t('dash.fee_invalid', { currency: l.currency }), 'bad');
      return;
    }
    const button = feeForm.querySelector('button');
    button.disabled = true;
    if (await mark({ sent: true, fee }, () => {})) notify(t('dash.fee_saved', { fee: money(fee, l.currency) }));
    button.disabled = false;
  });
  // The hidden words name the line for screen readers; sighted people read the row.
  const label = h('label', { class: 'sent-mark' }, input, ' ', h('span', { class: 'visually-hidden' }, t('dash.transfer_to', { affiliate: l.affiliate }), ' '), text);
  return [h('div', {}, label, feeForm), () => show(l)];
}

/** The rows of one line: the line, and for a QR the row that shows it. */
function lineRows(p, l, ctx) {
  const cols = [t('dash.affiliate'), t('dash.method'), t('dash.paid_to'), t('dash.amount'), t('dash.transfer')];
  const method = methodOf(l);
  const [qr, qrOpen] = l.transfer_qr ? qrRow(l, cols.length + 1) : [null, null];
  const [mark, showMark] = sentMark(p, l, ctx);
  const row = h(
    'tr',
    { dataset: { affiliate: l.affiliate, method, currency: l.currency } },
    h('td', { 'data-label': cols[0] }, l.affiliate),
    h('td', { 'data-label': cols[1] }, t(`dash.method_${method}`)),
    h('td', { 'data-label': cols[2], class: 'paid-to' }, paidTo(l)),
    h('td', { class: l.withheld > 0 ? 'num amount has-tax' : 'num amount', 'data-label': cols[3] }, lineAmount(l)),
    h('td', { class: 'sent', 'data-label': cols[4] }, mark),
    h('td', { class: 'line-action' }, qr || (method === 'paypal' ? null : h('small', { class: 'hint' }, t('dash.no_qr', { currency: l.currency })))),
  );
  showMark();
  return [row, qrOpen];
}

/**
 * The withholding report of a period (whole days, both included) as a CSV download, and the tax
 * certificates of the same period (the certificates view).
 */
function withholdingReport(api) {
  const [first, last] = thisMonth();
  const from = h('input', { type: 'date', id: 'withholding-from', value: first, required: true });
  const to = h('input', { type: 'date', id: 'withholding-to', value: last, required: true });
  const msg = h('div', { 'aria-live': 'assertive' });
  const form = h(
    'form',
    {
      class: 'card',
      id: 'withholding-report',
      onsubmit: async (e) => {
        e.preventDefault();
        if (!form.reportValidity()) return;
        const btn = form.querySelector('button[type=submit]');
        btn.disabled = true;
        fill(msg);
        try {
          download(`withholding-${from.value}-${to.value}.csv`, await api.withholdingCsv({ from: from.value, to: to.value }), 'text/csv');
        } catch (err) {
          fill(msg, failure(err));
        }
        btn.disabled = false;
      },
    },
    h('h2', {}, t('dash.withholding_report')),
    h('p', { class: 'hint' }, t('dash.withholding_report_hint')),
    h(
      'div',
      { class: 'row' },
      field(t('dash.from'), from),
      field(t('dash.to'), to),
      h('button', { class: 'btn', type: 'submit', id: 'withholding-csv' }, t('dash.download_csv')),
      h(
        'button',
        {
          class: 'btn',
          type: 'button',
          id: 'withholding-certificates',
          onclick: () => {
            if (!form.reportValidity()) return;
            location.hash = `#/certificates?${new URLSearchParams({ from: from.value, to: to.value })}`;
          },
        },
        t('dash.certificates'),
      ),
    ),
    h('p', { class: 'hint' }, t('dash.certificates_hint')),
    msg,
  );
  return form;
}

export async function payouts(main, { api, render, role }) {
  clearCharts();
  // A backend without payout requests answers 404: the page goes on without them.
  const [bal, list, waiting, asked] = await Promise.all([api.balances(), api.payouts(), api.bonuses({ status: 'approved', limit: 100 }), api.payoutRequests({ status: 'open', limit: 500 }).catch((err) => (err instanceof ApiError && err.status === 404 ? { requests: [] } : Promise.reject(err)))]);
  const payable = bal.balances.filter((b) => b.approved !== 0);
  const currencies = [...new Set(payable.map((b) => b.currency))];
  const currency = h('select', { id: 'payout-currency' }, h('option', { value: '' }, t('dash.all_currencies')), currencies.map((c) => h('option', { value: c }, c)));
  const note = h('input', { id: 'payout-note', maxlength: 200 });
  const msg = h('div', { 'aria-live': 'assertive' });

  const create = h(
    'form',
    {
      class: 'card write',
      onsubmit: async (e) => {
        e.preventDefault();
        fill(msg, loading());
        try {
          const body = {};
          if (currency.value) body.currency = currency.value;
          if (note.value.trim()) body.note = note.value.trim();
          const p = await api.createPayout(body);
          notify(t('dash.payout_created', { id: p.id }));
          render();
        } catch (err) {
          fill(msg, failure(err));
        }
      },
    },
    h('h2', {}, t('dash.new_payout')),
    h('p', { class: 'hint' }, t('dash.new_payout_hint')),
    h('div', { class: 'row' }, field(t('dash.currency'), currency), field(t('dash.note'), note), h('button', { class: 'btn btn-primary', type: 'submit', id: 'create-payout', disabled: !payable.some((b) => b.approved > 0) }, t('dash.create_payout'))),
    msg,
  );

  const balTable = payable.length
    ? h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'stack', id: 'balances' },
          h('thead', {}, h('tr', {}, [t('dash.affiliate'), t('dash.approved_now'), t('status.pending'), t('status.paid')].map((c, i) => h('th', { scope: 'col', class: i ? 'num' : null }, c)))),
          h(
            'tbody',
            {},
            payable.map((b) =>
              h(
                'tr',
                { dataset: { affiliate: b.affiliate, currency: b.currency } },
                h('td', { 'data-label': t('dash.affiliate') }, b.affiliate),
                h('td', { class: 'num', 'data-label': t('dash.approved_now') }, money(b.approved, b.currency)),
                h('td', { class: 'num', 'data-label': t('status.pending') }, money(b.pending, b.currency)),
                h('td', { class: 'num', 'data-label': t('status.paid') }, money(b.paid, b.currency)),
              ),
            ),
          ),
        ),
      )
    : empty(t('dash.nothing_payable'), t('dash.nothing_payable_next'));

  const batches = list.payouts.length
    ? list.payouts.map((p) => {
        const paypal = p.lines.some((l) => methodOf(l) === 'paypal');
        const bank = p.lines.some((l) => methodOf(l) !== 'paypal');
        const progress = h('span', { class: 'sent-progress', role: 'status' });
        sentProgress(progress, p.lines);
        return h(
          'section',
          { class: 'card payout', dataset: { id: p.id } },
          h(
            'div',
            { class: 'section-head' },
            h('h2', {}, `${t('dash.payout')} ${dateTime(p.at)}`),
            progress,
            // The CSV is PayPal's mass payment file: it lists the PayPal lines only.
            paypal
              ? h(
                  'button',
                  {
                    type: 'button',
                    class: 'btn',
                    dataset: { action: 'csv' },
                    title: t('dash.paypal_csv_hint'),
                    onclick: async (e) => {
                      const btn = e.currentTarget;
                      btn.disabled = true;
                      try {
                        download(`payout-${p.id}-paypal.csv`, await api.payoutCsv(p.id), 'text/csv');
                      } catch (err) {
                        notify(err.code ? `${err.message} (${err.code})` : String(err), 'bad');
                      }
                      btn.disabled = false;
                    },
                  },
                  t('dash.download_paypal_csv'),
                )
              : null,
          ),
          p.note ? h('p', {}, p.note) : null,
          h('p', { class: 'hint' }, h('code', {}, p.id)),
          paypal && bank ? h('p', { class: 'hint' }, t('dash.paypal_csv_hint')) : null,
          bank ? h('p', { class: 'hint' }, t('dash.bank_lines_hint')) : null,
          h(
            'div',
            { class: 'table-wrap' },
            h(
              'table',
              { class: 'stack payout-lines' },
              h('thead', {}, h('tr', {}, [t('dash.affiliate'), t('dash.method'), t('dash.paid_to'), t('dash.amount'), t('dash.transfer'), ''].map((c, i) => h('th', { scope: 'col', class: i === 3 ? 'num' : null }, c)))),
              h('tbody', {}, p.lines.map((l) => lineRows(p, l, { api, progress, readOnly: role === 'viewer' }))),
            ),
          ),
        );
      })
    : [empty(t('dash.no_payouts'), t('dash.no_payouts_next'))];

  // The bonuses the next payout will pay beside the commission (cancellable until then).
  const bonuses = waiting.bonuses.length
    ? h('section', { id: 'bonuses-to-pay' }, h('h2', {}, t('dash.bonuses_to_pay')), h('p', { class: 'hint' }, t('dash.bonuses_to_pay_hint')), bonusTable(api, waiting.bonuses, render, { withAffiliate: true }))
    : null;

  const requests = payoutRequestsSection(api, asked.requests, bal.balances, render, role === 'viewer');
  fill(main, h('h1', {}, t('dash.nav_payouts')), requests, create, withholdingReport(api), h('h2', {}, t('dash.payable')), balTable, bonuses, h('h2', {}, t('dash.past_payouts')), ...batches);
}
