// Affiliates as CSV in the dashboard: the list downloaded for a spreadsheet
// (GET /v1/affiliates.csv), and a file of affiliates brought from another tool or a spreadsheet
// (POST /v1/affiliates.csv): checked first (dry_run), every row's outcome shown, then added in
// one go once no row has an error. AffiliateWP's affiliate export is read as it is, once the
// merchant says which of its columns holds the names in the links. On WordPress, when
// AffiliateWP's own tables are on the site, its affiliates are offered without a file
// (GET/POST /v1/migrations/affiliatewp), checked and added the same way; the Rust server has
// no such route, and its 404 leaves the offer out.

import { t, num } from '../shared/i18n.js';
import { h, fill, failure, notify, download, field, badge, withNodes } from '../shared/ui.js';

// What a merchant starts a file from: the columns the import reads, with one example row.
const TEMPLATE =
  'id,name,email,payout_email,category,status,coupons,sale_rate,recruiter\r\n' +
  'minh,Nguyễn Văn Minh,minh@example.com,,influencer,approved,MINH10,12.5,\r\n';

// Rows listed under the summary: every invalid one, and this many of the others.
const SHOWN_VALID = 50;

/** The button that downloads the affiliates of the current filters as CSV. */
export function exportButton(api, filters) {
  return h(
    'button',
    {
      type: 'button',
      class: 'btn',
      id: 'affiliates-csv',
      onclick: async (e) => {
        const b = e.currentTarget;
        b.disabled = true;
        try {
          download('affiliates.csv', await api.affiliatesCsv(filters), 'text/csv');
        } catch (err) {
          notify(err.message, 'error');
        } finally {
          b.disabled = false;
        }
      },
    },
    t('dash.download_csv'),
  );
}

/** A header cell as the server compares it: trimmed, lower-case, runs of spaces or `-` as `_`. */
const columnName = (cell) => cell.trim().toLowerCase().split(/[\s-]+/).filter(Boolean).join('_');

/**
 * The column names of a file's first line, read as the server reads it (its delimiter, quotes
 * around a name); enough to offer the choice of the column of link names.
 */
async function columnsOf(file) {
  const head = (await file.slice(0, 65536).text()).replace(/^\ufeff/, '').split(/\r\n|\r|\n/)[0];
  const sep = [',', ';', '\t'].find((d) => head.includes(d)) || ',';
  return head
    .split(sep)
    .map((c) => columnName(c.replace(/^\s*"|"\s*$/g, '')))
    .filter(Boolean);
}

/**
 * The import: AffiliateWP's affiliates when its tables are on the site, and the card where a
 * file is chosen, checked, its rows shown, then added. `done` redraws the list.
 */
export function importBox(api, done) {
  const affiliateWp = h('section', { class: 'card', id: 'affwp-import', hidden: true });
  offerAffiliateWp(api, affiliateWp, done);
  return h('div', {}, affiliateWp, csvBox(api, done));
}

/**
 * Fills `box` with AffiliateWP's affiliates to check and add, once the backend says its tables
 * are on the site. Any error leaves it hidden and empty: the Rust server answers 404, and the
 * file import below does not depend on it.
 */
async function offerAffiliateWp(api, box, done) {
  let found;
  try {
    found = await api.affiliateWp();
  } catch (e) {
    return;
  }
  if (!found?.available) return;
  const result = h('div', { id: 'affwp-result', 'aria-live': 'polite' });
  const welcome = h('input', { type: 'checkbox', id: 'affwp-welcome' });
  const check = async () => {
    fill(result, h('p', { class: 'hint' }, t('ui.loading')));
    const sendWelcome = welcome.checked;
    try {
      const plan = await api.importAffiliateWp(true, sendWelcome);
      const words = { prefix: 'affwp', line: t('dash.affwp_line'), fix: t('dash.affwp_fix'), nothing: t('dash.affwp_nothing') };
      fill(result, preview(plan, { ...words, welcome: sendWelcome, run: () => api.importAffiliateWp(false, sendWelcome) }, done));
    } catch (err) {
      fill(result, failure(err));
    }
  };
  // The number told by email changes with the choice: a check already shown is made again.
  welcome.addEventListener('change', () => result.firstChild && check());
  fill(
    box,
    h('h2', { id: 'affwp-found' }, t('dash.affwp_found', { affiliates: num(found.affiliates), coupons: num(found.coupons) })),
    h('p', {}, t('dash.affwp_text')),
    found.referral_format === 'username'
      ? h('p', { class: 'hint', id: 'affwp-ids' }, withNodes(t('dash.affwp_ids_username'), { link: h('code', {}, `?${found.referral_var}=minh`) }))
      : h('p', { class: 'hint', id: 'affwp-ids' }, withNodes(t('dash.affwp_ids_id'), { link: h('code', {}, `?${found.referral_var}=12`) })),
    found.params_missing ? h('p', { class: 'hint', id: 'affwp-param' }, withNodes(t('dash.affwp_param'), { param: h('code', {}, found.referral_var) })) : null,
    h('div', { class: 'field' }, h('label', {}, welcome, ' ', t('dash.import_welcome'))),
    h('p', {}, h('button', { type: 'button', class: 'btn', id: 'affwp-check', onclick: check }, t('dash.affwp_check'))),
    result,
  );
  box.hidden = false;
}

/** The file import: a file chosen, checked, its rows shown, then added. */
function csvBox(api, done) {
  const result = h('div', { id: 'import-result', 'aria-live': 'polite' });
  const input = h('input', { type: 'file', id: 'import-file', accept: '.csv,.tsv,.txt,text/csv' });
  // Which column holds the name in each affiliate's links: `id` in this program's own files;
  // another tool's export says it in a column of its own (AffiliateWP: Username or Affiliate ID).
  const idColumn = h('select', { id: 'import-id-column' });
  const idField = h('div', { hidden: true }, field(t('dash.import_id_column'), idColumn, t('dash.import_id_hint')));
  const welcome = h('input', { type: 'checkbox', id: 'import-welcome' });
  const check = async () => {
    const file = input.files?.[0];
    if (!file) return fill(result);
    fill(result, h('p', { class: 'hint' }, t('ui.loading')));
    try {
      const how = { idColumn: idColumn.value, welcome: welcome.checked };
      const plan = await api.importAffiliates(file, true, how.idColumn, how.welcome);
      const words = { prefix: 'import', line: t('dash.import_line'), fix: t('dash.import_fix'), nothing: t('dash.import_nothing') };
      fill(result, preview(plan, { ...words, welcome: how.welcome, run: () => api.importAffiliates(file, false, how.idColumn, how.welcome) }, done));
    } catch (err) {
      fill(result, failure(err));
    }
  };
  input.addEventListener('change', async () => {
    const file = input.files?.[0];
    const columns = file ? await columnsOf(file) : [];
    const pick = ['id', 'username'].find((c) => columns.includes(c)) || columns[0] || 'id';
    fill(idColumn, (columns.length ? columns : ['id']).map((c) => h('option', { value: c, selected: c === pick }, c)));
    idField.hidden = !file || columns.includes('id');
    await check();
  });
  idColumn.addEventListener('change', check);
  welcome.addEventListener('change', check);
  return h(
    'section',
    { class: 'card', id: 'affiliates-import' },
    h('h2', {}, t('dash.import_title')),
    h('p', {}, t('dash.import_text')),
    h(
      'p',
      {},
      h('button', { type: 'button', class: 'btn btn-small', id: 'import-template', onclick: () => download('affiliates-template.csv', `\ufeff${TEMPLATE}`, 'text/csv') }, t('dash.import_template')),
    ),
    field(t('dash.import_file'), input),
    idField,
    h('div', { class: 'field' }, h('label', {}, welcome, ' ', t('dash.import_welcome'))),
    result,
  );
}

const RESULT_KIND = { created: 'approved', exists: 'archived', invalid: 'rejected' };

/**
 * What a dry run said (`plan`), and the button that imports for real when nothing is wrong.
 * `how`: `prefix` of the elements' ids, the words for the row's `line` column, for a row with an
 * error and for nothing to add; `welcome` as asked; `run` imports.
 */
function preview(plan, how, done) {
  const id = (name) => `${how.prefix}-${name}`;
  const msg = h('div', { 'aria-live': 'assertive' });
  const cols = [how.line, t('dash.affiliate'), t('dash.import_result')];
  const shown = plan.rows.filter((r) => r.result === 'invalid').concat(plan.rows.filter((r) => r.result !== 'invalid').slice(0, SHOWN_VALID));
  shown.sort((a, b) => a.line - b.line);
  const row = (r) =>
    h(
      'tr',
      { dataset: { line: r.line, result: r.result } },
      h('td', { class: 'num', 'data-label': cols[0] }, String(r.line)),
      h('td', { 'data-label': cols[1] }, r.id ? h('code', {}, r.id) : '—'),
      h('td', { 'data-label': cols[2] }, badge(t(`dash.import_${r.result}`), RESULT_KIND[r.result]), r.error ? [' ', r.error.message, ' ', h('code', {}, r.error.code)] : null),
    );
  const go = h(
    'button',
    {
      type: 'button',
      class: 'btn btn-primary',
      id: id('go'),
      onclick: async () => {
        go.disabled = true;
        try {
          const r = await how.run();
          notify(t('dash.import_done', { n: num(r.created) }));
          await done();
        } catch (err) {
          go.disabled = false;
          fill(msg, failure(err));
        }
      },
    },
    t('dash.import_go', { n: num(plan.created) }),
  );
  return h(
    'div',
    {},
    h('p', { id: id('summary'), role: 'status' }, t('dash.import_summary', { created: num(plan.created), existing: num(plan.existing), invalid: num(plan.invalid) })),
    plan.ignored_columns.length ? h('p', { class: 'hint', id: id('ignored') }, t('dash.import_ignored', { columns: plan.ignored_columns.join(', ') })) : null,
    how.welcome && plan.created ? h('p', { class: 'hint', id: id('emailed') }, plan.emailed ? t('dash.import_emailed', { n: num(plan.emailed) }) : t('dash.import_no_email')) : null,
    plan.invalid
      ? h('p', { class: 'error-text', role: 'alert' }, how.fix)
      : plan.created
        ? go
        : h('p', { class: 'hint' }, how.nothing),
    h('div', { class: 'table-wrap' }, h('table', { class: 'stack', id: id('rows') }, h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c)))), h('tbody', {}, shown.map(row)))),
    shown.length < plan.rows.length ? h('p', { class: 'hint' }, t('dash.import_more', { n: num(plan.rows.length - shown.length) })) : null,
    msg,
  );
}
