// Withholding tax certificates of a period (GET /v1/reports/withholding/certificates), reached
// from the payouts view: `#/certificates?from=YYYY-MM-DD&to=YYYY-MM-DD[&affiliate=id]`. A list of
// who gets one (a payee's missing tax id or address marked, to fill in in the affiliate's form),
// then the certificates themselves as they print, one a page. Without the program's payer (the
// shop's name, tax id and address, set in Settings) nothing is offered for printing.

import { t, money } from '../shared/i18n.js';
import { ApiError } from '../shared/api.js';
import { h, fill, empty, failure, field, badge } from '../shared/ui.js';
import { certificate, printCertificates } from '../shared/certificate.js';
import { clearCharts } from '../shared/charts.js';
import { routeQuery, thisMonth } from './route.js';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** A value of the payee, or the mark that it is missing. */
function orMissing(value) {
  return value || badge(t('dash.missing'), 'flag missing');
}

function list(answer, docs) {
  const cols = [t('dash.affiliate'), t('cert.payee'), t('cert.tax_id'), t('cert.address'), t('dash.currency'), t('cert.amount_paid'), t('cert.withheld'), ''];
  const missing = answer.certificates.some((c) => !c.payee.tax_id || !c.payee.address);
  return [
    h(
      'div',
      { class: 'table-wrap no-print' },
      h(
        'table',
        { class: 'stack', id: 'certificate-list' },
        h('thead', {}, h('tr', {}, cols.map((c, i) => h('th', { scope: 'col', class: i === 5 || i === 6 ? 'num' : null }, c)))),
        h(
          'tbody',
          {},
          answer.certificates.map((c, i) =>
            h(
              'tr',
              { dataset: { affiliate: c.affiliate, currency: c.currency } },
              h('td', { 'data-label': cols[0] }, h('a', { href: `#/affiliates?id=${encodeURIComponent(c.affiliate)}` }, h('code', {}, c.affiliate))),
              h('td', { 'data-label': cols[1] }, c.payee.name),
              h('td', { 'data-label': cols[2], class: 'tax-id' }, orMissing(c.payee.tax_id)),
              h('td', { 'data-label': cols[3], class: 'address' }, orMissing(c.payee.address)),
              h('td', { 'data-label': cols[4] }, c.currency),
              h('td', { class: 'num', 'data-label': cols[5] }, money(c.gross, c.currency)),
              h('td', { class: 'num', 'data-label': cols[6] }, money(c.withheld, c.currency)),
              h(
                'td',
                {},
                docs
                  ? h(
                      'button',
                      {
                        type: 'button',
                        class: 'btn btn-small',
                        dataset: { action: 'print-one' },
                        'aria-label': t('dash.print_certificate', { affiliate: c.affiliate, currency: c.currency }),
                        onclick: () => printCertificates([docs.children[i].cloneNode(true)]),
                      },
                      t('dash.print'),
                    )
                  : null,
              ),
            ),
          ),
        ),
      ),
    ),
    missing ? h('p', { class: 'hint no-print', id: 'missing-hint' }, t('dash.missing_hint')) : null,
  ];
}

export async function certificates(main, { api }) {
  clearCharts();
  const q = routeQuery();
  const [first, last] = thisMonth();
  const fromDay = DAY.test(q.get('from') || '') ? q.get('from') : first;
  const toDay = DAY.test(q.get('to') || '') ? q.get('to') : last;
  const who = q.get('affiliate') || '';

  const from = h('input', { type: 'date', id: 'certificates-from', value: fromDay, required: true });
  const to = h('input', { type: 'date', id: 'certificates-to', value: toDay, required: true });
  const print = h('button', { type: 'button', class: 'btn btn-primary', id: 'print-certificates', disabled: true }, t('dash.print_all'));
  const toolbar = h(
    'form',
    {
      class: 'toolbar no-print',
      id: 'certificates-period',
      onsubmit: (e) => {
        e.preventDefault();
        if (!toolbar.reportValidity()) return;
        const params = new URLSearchParams({ from: from.value, to: to.value });
        if (who) params.set('affiliate', who);
        location.hash = `#/certificates?${params}`;
      },
    },
    field(t('dash.from'), from),
    field(t('dash.to'), to),
    h('button', { type: 'submit', class: 'btn' }, t('dash.show')),
    print,
  );
  const head = [
    h('p', { class: 'no-print' }, h('a', { href: '#/payouts' }, t('dash.back_to_payouts'))),
    h('h1', { class: 'no-print' }, who ? t('dash.certificates_of', { id: who }) : t('dash.certificates')),
    h('p', { class: 'hint no-print' }, t('dash.certificates_hint')),
    toolbar,
    who ? h('p', { class: 'no-print' }, h('a', { href: `#/certificates?${new URLSearchParams({ from: fromDay, to: toDay })}` }, t('dash.certificates_everyone'))) : null,
  ];

  let answer;
  try {
    answer = await api.certificates({ from: fromDay, to: toDay, affiliate: who || undefined });
  } catch (err) {
    // A period the server refuses: its error, under the dates to correct.
    if (!(err instanceof ApiError) || err.status !== 400) throw err;
    fill(main, head, failure(err));
    return;
  }

  if (!answer.certificates.length) {
    fill(main, head, empty(t('dash.certificates_none'), t('dash.certificates_none_next')));
    return;
  }
  if (!answer.payer) {
    fill(
      main,
      head,
      h(
        'div',
        { class: 'state state-empty no-print', id: 'no-payer' },
        h('strong', {}, t('dash.certificates_no_payer')),
        h('p', {}, t('dash.certificates_no_payer_next')),
        h('a', { class: 'btn', href: '#/settings' }, t('dash.open_settings')),
      ),
      list(answer, null),
    );
    return;
  }

  const period = { from: answer.from, to: answer.to };
  const docs = h('div', { class: 'certificates', id: 'certificates' }, answer.certificates.map((c) => certificate(c, answer.payer, { period })));
  print.disabled = false;
  print.addEventListener('click', () => printCertificates([...docs.children].map((d) => d.cloneNode(true))));
  fill(main, head, list(answer, docs), docs);
}
