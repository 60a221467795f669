// Affiliates: list with filters, what applicants wrote on the public form (approve or decline),
// create and edit (category, status, rate override, coupon codes, how they are paid: PayPal, a
// Vietnamese bank account by VietQR, or PromptPay; their tax id, postal address and whether tax
// is withheld from their payouts), a new portal token (magic link), a link builder for every link
// form, and their tax certificates of the year. The list downloads as CSV, and a CSV file of
// affiliates is imported from here (affiliates-import.js).

import { t, num, money, date, dateTime, parseMoney, decimal, currencyDigits } from '../shared/i18n.js';
import { h, fill, empty, failure, field, badge, notify, loading, copyButton } from '../shared/ui.js';
import { clearCharts } from '../shared/charts.js';
import { routeQuery, setRouteQuery } from './route.js';
import { payoutFields } from '../shared/payout.js';
import { oneLine } from '../shared/certificate.js';
import { affiliateHistory } from './activity.js';
import { affiliateBonuses } from './bonuses.js';
import { affiliateRecruiting } from './recruiters.js';
import { affiliateCampaigns } from './campaigns.js';
import { affiliateShortLinks } from './short-links.js';
import { dailyBox } from '../shared/daily.js';
import { postbackBox } from '../shared/postback.js';
import { affiliateWooCoupons } from './woocommerce-coupons.js';
import { exportButton, importBox } from './affiliates-import.js';

export const CATEGORIES = ['content', 'coupon', 'cashback', 'influencer', 'search', 'email', 'comparison', 'other'];
const STATUSES = ['approved', 'pending', 'suspended'];
// Affiliates listed at a time; more on request.
const PAGE = 100;

/** Every link form for `id` on `base` (the shop's address), with the program's parameter names. */
export function linkForms(base, id, params, coupons = [], campaign = '') {
  let u;
  try {
    u = new URL(base);
  } catch (e) {
    return [];
  }
  const withCampaign = (url) => {
    if (campaign) url.searchParams.set('utm_campaign', campaign);
    return url;
  };
  const out = [];
  for (const p of params) {
    const x = withCampaign(new URL(u));
    x.searchParams.set(p, id);
    out.push([`?${p}=`, x.toString()]);
  }
  const frag = withCampaign(new URL(u));
  frag.hash = `${params[0] || 'ref'}=${encodeURIComponent(id)}`;
  out.push([`#${params[0] || 'ref'}=`, frag.toString()]);
  const path = withCampaign(new URL(u));
  path.pathname = `${path.pathname.replace(/\/?$/, '/')}ref/${encodeURIComponent(id)}/`;
  out.push(['/ref/…/', path.toString()]);
  for (const c of coupons) out.push([t('dash.coupon_form'), c]);
  return out;
}

/** The shop's address: the one last typed here, else the allowed origin that looks public. */
export function defaultShopUrl(program) {
  const saved = localStorage.getItem('reftrail_shop_url');
  if (saved) return saved;
  // The shop's public address: an allowed origin other than this server's and not a loopback one.
  const others = program.allowed_origins.filter((o) => o !== location.origin);
  const origin = others.find((o) => !/^https?:\/\/(127\.0\.0\.1|localhost)(:|$)/.test(o)) || others[0] || location.origin;
  return `${origin}/`;
}

function linkBuilder(program, affiliate) {
  const base = h('input', { id: 'link-base', type: 'url', value: defaultShopUrl(program) });
  const campaign = h('input', { id: 'link-campaign', maxlength: 100, placeholder: 'spring' });
  const out = h('div', { id: 'links' });
  const draw = () => {
    try {
      localStorage.setItem('reftrail_shop_url', base.value);
    } catch (e) {
      // not kept: fine
    }
    const forms = linkForms(base.value, affiliate.id, program.params, affiliate.coupons, campaign.value.trim());
    fill(
      out,
      forms.length
        ? h(
            'table',
            { class: 'links-table stack' },
            h('tbody', {}, forms.map(([form, url]) => h('tr', {}, h('td', { 'data-label': t('dash.form') }, h('code', {}, form)), h('td', { 'data-label': t('dash.link') }, h('code', { class: 'link' }, url)), h('td', {}, copyButton(url))))),
          )
        : h('p', { class: 'error-text', role: 'alert' }, t('dash.bad_url')),
    );
  };
  base.addEventListener('input', draw);
  campaign.addEventListener('input', draw);
  draw();
  return h('section', { class: 'card' }, h('h2', {}, t('dash.link_builder', { id: affiliate.id })), h('div', { class: 'row' }, field(t('dash.shop_url'), base), field(t('dash.campaign'), campaign)), out);
}

/** The override's percent as text (`12.5`), or '' when none / not a percent. */
function overridePercent(a) {
  const s = a?.commission?.sale;
  return s && s.type === 'percent' ? String(s.rate_bps / 100) : '';
}

/** A sale rate as the list shows it: a percent, an amount per sale, or where it is set. */
function rateLabel(rate, currency) {
  if (rate.type === 'percent') return `${rate.rate_bps / 100} %`;
  if (rate.type === 'flat' && rate.amounts?.[currency] !== undefined) return t('dash.rate_flat', { amount: money(rate.amounts[currency], currency) });
  return t('dash.rules_in_json');
}

/** The sale rate `a` earns as the list shows it: their own, their category's, or the program's. */
function rateText(a, program) {
  const own = a.commission?.sale;
  if (own) return rateLabel(own, program.currency);
  const group = program.commission.affiliate_categories?.[a.category]?.sale;
  return group ? `${rateLabel(group, program.currency)} · ${t(`cat.${a.category}`)}` : t('dash.program_default');
}

/** The form of a new affiliate, or of `a`'s details; `readOnly` (a viewer's) shows them disabled. */
function affiliateForm(api, program, a, done, readOnly = false) {
  const editing = !!a;
  const id = h('input', { id: 'a-id', required: true, maxlength: 64, pattern: '[A-Za-z0-9._\\-]{1,64}', value: a?.id || '', disabled: editing });
  const name = h('input', { id: 'a-name', required: true, maxlength: 200, value: a?.name || '' });
  const email = h('input', { id: 'a-email', type: 'email', maxlength: 254, value: a?.email || '' });
  const payout = payoutFields(a);
  const category = h('select', { id: 'a-category' }, CATEGORIES.map((c) => h('option', { value: c, selected: (a?.category || 'other') === c }, t(`cat.${c}`))));
  const status = h('select', { id: 'a-status' }, STATUSES.map((s) => h('option', { value: s, selected: (a?.status || 'approved') === s }, t(`status.${s}`))));
  const rate = h('input', { id: 'a-rate', inputmode: 'decimal', value: overridePercent(a), placeholder: t('dash.program_default') });
  const leadCur = program.currency;
  const leadNow = a?.commission?.lead?.[leadCur];
  const lead = h('input', { id: 'a-lead', inputmode: 'decimal', value: leadNow === undefined ? '' : decimal(leadNow, currencyDigits(leadCur)), placeholder: t('dash.program_default') });
  const coupons = h('input', { id: 'a-coupons', value: (a?.coupons || []).join(', '), placeholder: 'ALICE10, ALICE-VIP' });
  const recruiter = h('input', { id: 'a-recruiter', maxlength: 64, pattern: '[A-Za-z0-9._\\-]{1,64}', autocomplete: 'off', spellcheck: 'false', value: a?.recruiter || '' });
  // No pattern: the server's refusal (invalid_tax_id) says what a tax id may hold.
  const taxId = h('input', { id: 'a-tax-id', maxlength: 20, autocomplete: 'off', spellcheck: 'false', value: a?.tax_id || '' });
  const payeeType = h(
    'select',
    { id: 'a-payee-type' },
    h('option', { value: '' }, t('dash.payee_type_unset')),
    ['person', 'company'].map((k) => h('option', { value: k, selected: a?.payee_type === k }, t(`dash.payee_type_${k}`))),
  );
  const exempt = h('input', { id: 'a-withholding-exempt', type: 'checkbox', checked: !!a?.withholding_exempt });
  // Bytes are the server's limit (600); Thai takes three a letter, so a long one is refused there.
  const address = h('textarea', { id: 'a-address', rows: 2, maxlength: 600, autocomplete: 'off', spellcheck: 'false' });
  address.value = a?.address || '';
  const msg = h('div', { 'aria-live': 'assertive' });
  const fields = h(
    'div',
    { class: 'settings-grid' },
    field(t('dash.affiliate_id'), id, t('dash.affiliate_id_hint')),
    field(t('dash.name'), name),
    field(t('dash.email'), email),
    payout.fields,
    field(t('dash.category'), category),
    field(t('dash.status'), status),
    field(t('dash.rate_override'), rate, t('dash.rate_override_hint', { rate: program.commission.sale?.type === 'percent' ? `${program.commission.sale.rate_bps / 100} %` : '—' })),
    field(t('dash.lead_override', { currency: leadCur }), lead),
    field(t('dash.coupons'), coupons, t('dash.coupons_hint')),
    field(t('dash.recruiter'), recruiter, t('dash.recruiter_hint')),
    field(t('dash.tax_id'), taxId, t('dash.tax_id_hint')),
    field(t('dash.payee_type'), payeeType, t('dash.payee_type_hint')),
    field(t('dash.address'), address, t('dash.affiliate_address_hint')),
    h('div', { class: 'field' }, h('label', {}, exempt, ' ', t('dash.withholding_exempt')), h('small', { class: 'hint' }, t('dash.withholding_exempt_hint'))),
  );
  const form = h(
    'form',
    {
      class: 'card',
      id: editing ? 'edit-affiliate' : 'new-affiliate',
      onsubmit: async (e) => {
        e.preventDefault();
        form.querySelectorAll('[aria-invalid]').forEach((el) => el.removeAttribute('aria-invalid'));
        if (!form.reportValidity()) return;
        const body = {
          name: name.value.trim(),
          email: email.value.trim() || undefined,
          // Emptied on edit: removed, so PayPal payouts follow the contact address again.
          payout_email: payout.email.value.trim() || (editing ? null : undefined),
          payout: payout.value(),
          category: category.value,
          status: status.value,
          coupons: coupons.value.split(/[\s,]+/).map((c) => c.trim()).filter(Boolean),
          // Emptied on edit: removed.
          tax_id: taxId.value.trim() || null,
          payee_type: payeeType.value || null,
          address: oneLine(address.value) || null,
          withholding_exempt: exempt.checked,
          // Emptied on edit: removed.
          recruiter: recruiter.value.trim() || null,
        };
        const commission = {};
        if (rate.value.trim()) {
          const bps = Math.round(Number(rate.value.trim().replace(',', '.')) * 100);
          if (!(bps >= 0 && bps <= 10000)) return fill(msg, h('p', { class: 'error-text', role: 'alert' }, t('dash.bad_rate')));
          commission.sale = { type: 'percent', rate_bps: bps };
        }
        if (lead.value.trim()) {
          const minor = parseMoney(lead.value, leadCur);
          if (minor === null) return fill(msg, h('p', { class: 'error-text', role: 'alert' }, t('dash.bad_amount')));
          commission.lead = { [leadCur]: minor };
        }
        body.commission = Object.keys(commission).length ? commission : null;
        fill(msg, loading(t('ui.saving')));
        try {
          if (editing) {
            await api.updateAffiliate(a.id, body);
            notify(t('ui.saved'));
            done(null);
          } else {
            if (body.commission === null) delete body.commission;
            if (body.payout === null) delete body.payout;
            if (body.tax_id === null) delete body.tax_id;
            if (body.payee_type === null) delete body.payee_type;
            if (body.address === null) delete body.address;
            if (body.recruiter === null) delete body.recruiter;
            const created = await api.createAffiliate({ id: id.value.trim(), ...body });
            done(created);
          }
        } catch (err) {
          fill(msg, failure(err));
          const bad = { invalid_tax_id: taxId, invalid_address: address, invalid_recruiter: recruiter }[err.code];
          if (!payout.markInvalid(err.code) && bad) {
            bad.setAttribute('aria-invalid', 'true');
            bad.focus();
          }
        }
      },
    },
    h('h2', {}, editing ? t('dash.edit_affiliate', { id: a.id }) : t('dash.new_affiliate')),
    // A disabled fieldset disables every input in it, the payout method's included.
    readOnly ? h('fieldset', { class: 'read-only-fields', disabled: true }, fields) : fields,
    msg,
    h('div', { class: 'row write' }, h('button', { class: 'btn btn-primary', type: 'submit' }, editing ? t('ui.save') : t('dash.create'))),
  );
  return form;
}

/** Shows a portal token once, with the magic link. */
function tokenBox(id, token, shop) {
  const frag = new URLSearchParams({ token, shop });
  const magic = new URL(`../portal/#${frag}`, location.href).toString();
  return h(
    'div',
    { class: 'secret', id: 'token-box', role: 'status' },
    h('p', {}, h('strong', {}, t('dash.token_once', { id }))),
    h('p', {}, h('code', { id: 'token' }, token), ' ', copyButton(token)),
    h('p', {}, t('dash.magic_link'), ': ', h('code', { id: 'magic-link' }, magic), ' ', copyButton(magic)),
  );
}

// The two decisions on a pending application: approving it (the affiliate is emailed a welcome
// when the program says so) or, after confirming, declining it (the account is suspended).
const DECISIONS = {
  approve: { status: 'approved', label: 'dash.approve_application', done: 'dash.application_approved', class: 'btn btn-small btn-primary' },
  decline: { status: 'suspended', label: 'dash.decline_application', done: 'dash.application_declined', confirm: 'dash.decline_confirm', class: 'btn btn-small' },
};

/** A button that takes `decision` (a key of DECISIONS) on affiliate `a`'s application. */
function decisionButton(api, a, render, decision) {
  const d = DECISIONS[decision];
  return h(
    'button',
    {
      type: 'button',
      class: `${d.class} write`,
      dataset: { action: decision },
      'aria-label': `${t(d.label)}: ${a.name}`,
      onclick: async (e) => {
        if (d.confirm && !window.confirm(t(d.confirm, { id: a.id }))) return;
        const btn = e.currentTarget;
        btn.disabled = true;
        try {
          await api.updateAffiliate(a.id, { status: d.status });
          notify(t(d.done, { id: a.id }));
          render();
        } catch (err) {
          btn.disabled = false;
          notify(err.code ? `${err.message} (${err.code})` : String(err), 'bad');
        }
      },
    },
    t(d.label),
  );
}

/** What an applicant wrote on the public form, and the decision on a pending application. */
function applicationCard(api, a, render) {
  const app = a.application;
  const safe = (url) => (/^https?:\/\//.test(url || '') ? url : null);
  return h(
    'section',
    { class: 'card', id: 'application' },
    h('h2', {}, t('dash.application')),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, t('dash.applied_at')),
      h('dd', {}, dateTime(app.applied_at)),
      h('dt', {}, t('dash.application_website')),
      h('dd', {}, safe(app.website) ? h('a', { href: app.website, target: '_blank', rel: 'noopener noreferrer nofollow' }, app.website) : '—'),
      h('dt', {}, t('dash.application_message')),
      h('dd', { class: 'pre-wrap', id: 'application-message' }, app.message || '—'),
      h('dt', {}, t('dash.application_terms')),
      h('dd', {}, safe(app.terms_url) ? h('a', { href: app.terms_url, target: '_blank', rel: 'noopener noreferrer' }, app.terms_url) : t('dash.application_no_terms')),
    ),
    a.status === 'pending' ? h('div', { class: 'row' }, decisionButton(api, a, render, 'approve'), ' ', decisionButton(api, a, render, 'decline')) : null,
  );
}

/** Affiliate `a`'s postback to their tracker, which the merchant may set for them. */
function affiliatePostback(api, a, role) {
  return h(
    'div',
    {},
    h('h2', {}, t('pb.of_affiliate', { id: a.id })),
    postbackBox({
      load: () => api.postback(a.id),
      save: (url) => api.setPostback(a.id, url),
      test: (url) => api.testPostback(a.id, url),
      readOnly: role === 'viewer',
    }),
  );
}

export async function affiliates(main, { api, program, render, role }) {
  clearCharts();
  const q = routeQuery();
  const selected = q.get('id');
  const category = CATEGORIES.includes(q.get('category')) ? q.get('category') : '';
  const status = STATUSES.includes(q.get('status')) ? q.get('status') : '';
  const search = (q.get('q') || '').slice(0, 100);
  const filters = { category, status, q: search };
  const [page, balances] = await Promise.all([api.affiliates({ ...filters, limit: PAGE }), api.balances()]);
  const keep = (extra) => {
    setRouteQuery({ category, status, q: search, id: selected, ...extra });
    render();
  };
  const searchBox = h('input', { id: 'f-search', type: 'search', value: search, maxlength: 100, placeholder: t('dash.search_affiliates_hint'), autocomplete: 'off', spellcheck: 'false' });
  const searchForm = h(
    'form',
    { id: 'affiliate-search', role: 'search', onsubmit: (e) => (e.preventDefault(), keep({ q: searchBox.value.trim() })) },
    field(t('dash.search_affiliates'), searchBox),
  );
  const top = h('div', { id: 'affiliate-panel' });

  const catSel = h('select', { id: 'f-category', onchange: (e) => keep({ category: e.target.value }) }, h('option', { value: '' }, t('dash.all')), CATEGORIES.map((c) => h('option', { value: c, selected: c === category }, t(`cat.${c}`))));
  const statusSel = h('select', { id: 'f-astatus', onchange: (e) => keep({ status: e.target.value }) }, h('option', { value: '' }, t('dash.all')), STATUSES.map((s) => h('option', { value: s, selected: s === status }, t(`status.${s}`))));

  const owed = (id) =>
    balances.balances.filter((b) => b.affiliate === id && (b.approved || b.pending)).map((b) => `${money(b.approved, b.currency)} / ${money(b.pending, b.currency)}`).join(' · ') || '—';

  const row = (a) =>
              h(
                'tr',
                { dataset: { id: a.id } },
                h('td', { 'data-label': t('dash.affiliate') }, h('code', {}, a.id)),
                h('td', { 'data-label': t('dash.name') }, a.name),
                h('td', { 'data-label': t('dash.category') }, t(`cat.${a.category}`)),
                h('td', { 'data-label': t('dash.status') }, badge(t(`status.${a.status}`), a.status)),
                h('td', { 'data-label': t('dash.rate') }, rateText(a, program)),
                h('td', { 'data-label': t('dash.coupons') }, a.coupons.join(', ') || '—'),
                h('td', { 'data-label': t('dash.approved_pending') }, owed(a.id)),
                h('td', { 'data-label': t('dash.since') }, date(a.created_at)),
                h(
                  'td',
                  {},
                  h('a', { class: 'btn btn-small', href: `#/affiliates?id=${encodeURIComponent(a.id)}` }, t('dash.open')),
                  a.status === 'pending' ? [' ', decisionButton(api, a, render, 'approve')] : null,
                ),
              );
  const body = h('tbody', {}, page.affiliates.map(row));
  const shown = h('p', { class: 'hint', id: 'affiliates-shown' });
  const more = h('div', {});
  // The next page appends to the table, as the ledger's "Load more" does.
  const counted = (offset) => {
    fill(shown, t('dash.affiliates_shown', { n: num(body.children.length), total: num(page.total) }));
    fill(
      more,
      body.children.length < page.total
        ? h(
            'button',
            {
              type: 'button',
              class: 'btn',
              id: 'more-affiliates',
              onclick: async (e) => {
                e.currentTarget.disabled = true;
                try {
                  const next = await api.affiliates({ ...filters, limit: PAGE, offset: offset + PAGE });
                  body.append(...next.affiliates.map(row));
                  counted(offset + PAGE);
                } catch (err) {
                  fill(more, failure(err));
                }
              },
            },
            t('dash.load_more'),
          )
        : null,
    );
  };
  counted(0);
  const list = page.affiliates.length
    ? h(
        'div',
        {},
        h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'stack', id: 'affiliates' },
            h('thead', {}, h('tr', {}, [t('dash.affiliate'), t('dash.name'), t('dash.category'), t('dash.status'), t('dash.rate'), t('dash.coupons'), t('dash.approved_pending'), t('dash.since'), ''].map((c) => h('th', { scope: 'col' }, c)))),
            body,
          ),
        ),
        shown,
        more,
      )
    : search
      ? empty(t('dash.no_affiliates_found', { q: search }), t('dash.no_affiliates_found_next'))
      : empty(t('dash.no_affiliates'), t('dash.no_affiliates_create'));

  const showNew = () =>
    fill(
      top,
      affiliateForm(api, program, null, (created) => {
        notify(t('dash.affiliate_created', { id: created.affiliate.id }));
        setRouteQuery({ id: created.affiliate.id });
        render().then(() => document.getElementById('affiliate-panel').prepend(tokenBox(created.affiliate.id, created.token, defaultShopUrl(program))));
      }),
    );

  fill(
    main,
    h(
      'div',
      { class: 'section-head' },
      h('h1', {}, t('dash.nav_affiliates')),
      h(
        'div',
        { class: 'row' },
        exportButton(api, { category, status }),
        h('button', { type: 'button', class: 'btn write', id: 'import-affiliates', onclick: () => fill(top, importBox(api, render)) }, t('dash.import_csv')),
        h('button', { type: 'button', class: 'btn btn-primary write', id: 'add-affiliate', onclick: showNew }, t('dash.new_affiliate')),
      ),
    ),
    top,
    h('div', { class: 'toolbar' }, searchForm, field(t('dash.category'), catSel), field(t('dash.status'), statusSel)),
    list,
  );

  if (selected) {
    let a;
    try {
      a = await api.affiliate(selected);
    } catch (err) {
      fill(top, failure(err));
      return;
    }
    const tokenOut = h('div', {});
    const year = new Date().getFullYear();
    fill(
      top,
      a.application ? applicationCard(api, a, render) : null,
      affiliateForm(api, program, a, () => render(), role === 'viewer'),
      // A new token replaces the affiliate's: the whole card is a write.
      h(
        'section',
        { class: 'card write' },
        h('h2', {}, t('dash.portal_access')),
        h('p', {}, t('dash.portal_access_text')),
        h(
          'button',
          {
            type: 'button',
            class: 'btn',
            id: 'new-token',
            onclick: async (e) => {
              e.currentTarget.disabled = true;
              try {
                const r = await api.newToken(a.id);
                fill(tokenOut, tokenBox(a.id, r.token, defaultShopUrl(program)));
              } catch (err) {
                fill(tokenOut, failure(err));
              }
            },
          },
          t('dash.new_token'),
        ),
        tokenOut,
      ),
      affiliateWooCoupons(api, program, a, role, () => render()),
      linkBuilder(program, a),
      h(
        'p',
        {},
        h('a', { href: `#/referrals?affiliate=${encodeURIComponent(a.id)}` }, t('dash.see_referrals', { id: a.id })),
        ' · ',
        h('a', { id: 'affiliate-certificates', href: `#/certificates?${new URLSearchParams({ from: `${year}-01-01`, to: `${year}-12-31`, affiliate: a.id })}` }, t('dash.certificates_of_year', { id: a.id, year })),
      ),
    );
    // Their campaigns and short links, their bonuses, their recruits' shares, then who changed
    // what about them; the panel works without any of them.
    // Their last 30 days first, drawn when they arrive.
    top.append(dailyBox(() => api.affiliateDaily(a.id, {}), t('dash.daily_of', { id: a.id })));
    for (const part of [() => affiliateCampaigns(api, a), () => affiliateShortLinks(api, a), () => affiliateBonuses(api, program, a), () => affiliateRecruiting(api, program, a), () => affiliatePostback(api, a, role), () => affiliateHistory(api, a.id)]) {
      try {
        top.append(await part());
      } catch (err) {
        top.append(failure(err));
      }
    }
  }
}
