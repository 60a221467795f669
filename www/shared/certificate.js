// Withholding tax certificates, for the merchant dashboard (every affiliate's) and the affiliate
// portal (their own): one certificate per affiliate and currency, as GET
// /v1/reports/withholding/certificates and GET /v1/me/withholding/certificates answer it.
//
// A THB certificate is Thailand's หนังสือรับรองการหักภาษี ณ ที่จ่าย (section 50 bis of the
// Revenue Code, "50 Tawi"): a Thai legal form, so it is always in Thai with Buddhist-era dates,
// whatever the UI language. Any other currency gets a withholding tax statement in the UI
// language. Money comes in integer minor units and is formatted from its exact decimal string.

import { t, locale, intlLocale, money, date, decimal, currencyDigits } from './i18n.js';
import { h, withNodes } from './ui.js';

/** The words of the 50 Tawi form, as the Revenue Department prints them. */
const TAWI = {
  title: 'หนังสือรับรองการหักภาษี ณ ที่จ่าย',
  law: 'ตามมาตรา 50 ทวิ แห่งประมวลรัษฎากร',
  payer: 'ผู้มีหน้าที่หักภาษี ณ ที่จ่าย:',
  payee: 'ผู้ถูกหักภาษี ณ ที่จ่าย:',
  name: 'ชื่อ',
  taxId: 'เลขประจำตัวผู้เสียภาษีอากร',
  address: 'ที่อยู่',
  income: 'ประเภทเงินได้พึงประเมินที่จ่าย',
  date: 'วัน เดือน หรือปีภาษี ที่จ่าย',
  amount: 'จำนวนเงินที่จ่าย',
  withheld: 'ภาษีที่หักและนำส่งไว้',
  incomeType: ['ค่าธรรมเนียม ค่านายหน้า ฯลฯ ', 'ตามมาตรา 40 (2)'],
  // The filing forms a payee's tax goes on, as numbered on the certificate: a person's on
  // ภ.ง.ด.3, a company's on ภ.ง.ด.53.
  order: 'ลำดับที่',
  inForm: 'ในแบบ',
  forms: [
    ['person', '(4) ภ.ง.ด.3'],
    ['company', '(7) ภ.ง.ด.53'],
  ],
  total: 'รวมเงินที่จ่ายและภาษีที่หักนำส่ง',
  words: 'รวมเงินภาษีที่หักนำส่ง (ตัวอักษร)',
  method: 'ผู้จ่ายเงิน: หัก ณ ที่จ่าย',
  attest: 'ขอรับรองว่าข้อความและตัวเลขดังกล่าวข้างต้นถูกต้องตรงกับความจริงทุกประการ',
  sign: 'ลงชื่อ',
  signer: 'ผู้จ่ายเงิน',
  issued: '(วัน เดือน ปี ที่ออกหนังสือรับรองฯ)',
};

// Left for a pen when a detail is missing: the paper is still handed over and completed by hand.
const BLANK = '……………………………………';
const SIGNATURE = '……………………………………';

/** An address as one line, its lines joined by commas (the API keeps one line). */
export function oneLine(text) {
  return String(text || '')
    .split(/\r?\n/)
    .map((s) => s.trim().replace(/,$/, ''))
    .filter(Boolean)
    .join(', ');
}

/** A date in Thailand's calendar and time zone, as the form writes it: 24/11/2569. */
export function thaiDate(iso) {
  return new Intl.DateTimeFormat('th-TH', { timeZone: 'Asia/Bangkok' }).format(new Date(iso));
}

/** Minor units of `currency` as the form writes amounts (no symbol): 1,234.56. */
export function plainAmount(minor, currency) {
  const digits = currencyDigits(currency);
  return new Intl.NumberFormat('th-TH', { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(decimal(minor, digits));
}

const valueOr = (v) => (v ? v : h('span', { class: 'blank' }, BLANK));

/** A party's name, tax id and address as label / value pairs. */
function party(cls, title, p, labels) {
  const row = (key, label, value) => [h('dt', {}, label), h('dd', { dataset: { field: key } }, valueOr(value))];
  return h(
    'section',
    { class: `cert-party ${cls}` },
    h('h3', {}, title),
    h('dl', {}, row('name', labels.name, p?.name), row('tax_id', labels.taxId, p?.tax_id), row('address', labels.address, p?.address)),
  );
}

/** The payments table: its header cells, a row per payment, the totals row. */
function payments(c, { cols, rowOf, total }) {
  const table = h(
    'table',
    { class: 'cert-payments' },
    h('thead', {}, h('tr', {}, cols.map((col, i) => h('th', { scope: 'col', class: i > 1 ? 'num' : null }, col)))),
    h(
      'tbody',
      {},
      c.payments.map((p) => h('tr', { dataset: { payout: p.payout } }, rowOf(p).map((v, i) => h('td', { class: i > 1 ? 'num' : null }, v)))),
    ),
    h('tfoot', {}, h('tr', { class: 'cert-total' }, h('th', { scope: 'row', colspan: 2 }, total), (c.totals || []).map((v) => h('td', { class: 'num' }, v)))),
  );
  // Scrolls sideways on a screen too narrow for it, rather than widening the page.
  return h('div', { class: 'cert-table' }, table);
}

/**
 * The certificate's line of filing forms, the payee's ticked (`person`: ภ.ง.ด.3, `company`:
 * ภ.ง.ด.53); none ticked when the payee's type is not set, for the pen. The order number in the
 * form is left blank.
 */
function filingForm(type) {
  return h(
    'p',
    { class: 'cert-forms', dataset: { form: type || '' } },
    `${TAWI.order} ${BLANK} ${TAWI.inForm}`,
    TAWI.forms.map(([kind, name]) => h('span', { class: 'cert-form', dataset: { kind, ticked: String(kind === type) } }, ' ', kind === type ? '☑' : '☐', ' ', name)),
  );
}

/** Thailand's 50 Tawi certificate of `c`. */
function tawi(c, payer, issued) {
  const amount = (m) => plainAmount(m, c.currency);
  return h(
    'article',
    { class: 'certificate cert-th', lang: 'th', dataset: { affiliate: c.affiliate, currency: c.currency } },
    h('header', { class: 'cert-head' }, h('h2', {}, TAWI.title), h('p', { class: 'cert-law' }, TAWI.law)),
    party('cert-payer', TAWI.payer, payer, TAWI),
    party('cert-payee', TAWI.payee, c.payee, TAWI),
    filingForm(c.payee?.type),
    payments(
      { ...c, totals: [amount(c.gross), amount(c.withheld)] },
      {
        cols: [TAWI.income, TAWI.date, TAWI.amount, TAWI.withheld],
        // The section's number stays on one line with its word.
        rowOf: (p) => [[TAWI.incomeType[0], h('span', { class: 'keep' }, TAWI.incomeType[1])], thaiDate(p.paid_at), amount(p.gross), amount(p.withheld)],
        total: TAWI.total,
      },
    ),
    h('p', { class: 'cert-words' }, TAWI.words, ' ', h('strong', {}, c.withheld_words || BLANK)),
    h('p', { class: 'cert-method' }, TAWI.method),
    h(
      'footer',
      { class: 'cert-sign' },
      h('p', { class: 'cert-attest' }, TAWI.attest),
      h('p', { class: 'cert-signature' }, `${TAWI.sign} ${SIGNATURE} ${TAWI.signer}`),
      h('p', { class: 'cert-issued' }, h('span', { class: 'cert-date' }, thaiDate(issued)), h('br'), TAWI.issued),
    ),
  );
}

/** The last day of a period whose `to` is exclusive, as a date (UTC, as the API counts days). */
function lastDay(to) {
  return new Date(new Date(to).getTime() - 1000).toISOString().slice(0, 10);
}

/** A withholding tax statement of `c` in the UI language. */
function statement(c, payer, issued, period) {
  const labels = { name: t('cert.name'), taxId: t('cert.tax_id'), address: t('cert.address') };
  const m = (v) => money(v, c.currency);
  const day = (ymd) => new Intl.DateTimeFormat(intlLocale(), { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(`${ymd}T00:00:00Z`));
  return h(
    'article',
    { class: 'certificate cert-statement', lang: locale(), dataset: { affiliate: c.affiliate, currency: c.currency } },
    h(
      'header',
      { class: 'cert-head' },
      h('h2', {}, t('cert.title')),
      period ? h('p', { class: 'cert-period' }, t('cert.period', { from: day(period.from.slice(0, 10)), to: day(lastDay(period.to)), currency: c.currency })) : null,
    ),
    party('cert-payer', t('cert.payer'), payer, labels),
    party('cert-payee', t('cert.payee'), c.payee, labels),
    payments(
      { ...c, totals: [m(c.gross), m(c.withheld), m(c.paid)] },
      {
        cols: [t('cert.income'), t('cert.date_paid'), t('cert.amount_paid'), t('cert.withheld'), t('cert.received')],
        rowOf: (p) => [t('cert.income_type'), date(p.paid_at), m(p.gross), m(p.withheld), m(p.paid)],
        total: t('cert.total'),
      },
    ),
    h(
      'footer',
      { class: 'cert-sign' },
      h('p', { class: 'cert-attest' }, t('cert.attest')),
      h('p', { class: 'cert-signature' }, withNodes(t('cert.signed'), { line: SIGNATURE })),
      h('p', { class: 'cert-issued' }, withNodes(t('cert.issued'), { date: h('span', { class: 'cert-date' }, date(issued.toISOString())) })),
    ),
  );
}

/**
 * The certificate of `c` (one entry of `certificates`) with the program's `payer`, issued
 * `issued` (today by default); `period` is the answer's `{from, to}`, named on statements.
 */
export function certificate(c, payer, { period, issued = new Date() } = {}) {
  return c.currency === 'THB' ? tawi(c, payer, issued) : statement(c, payer, issued, period);
}

/**
 * Prints `certs` (certificate elements) alone, one a page: they go into an area of their own at
 * the top of the page, and the print style hides everything else, whatever page embeds these
 * (the WordPress admin included). The area goes once the printing is over.
 */
export function printCertificates(certs) {
  document.querySelector('.print-area')?.remove();
  const area = h('div', { class: 'print-area certificates' }, certs);
  document.body.append(area);
  const root = document.documentElement;
  root.classList.add('printing-certificates');
  const done = () => {
    area.remove();
    if (!document.querySelector('.print-area')) root.classList.remove('printing-certificates');
    window.removeEventListener('afterprint', done);
    window.removeEventListener('hashchange', done);
  };
  window.addEventListener('afterprint', done);
  window.addEventListener('hashchange', done);
  window.print();
}
