// Creatives: the text links and image banners affiliates post. The merchant adds, edits,
// archives and deletes them here, and sees what each brought in the last 30 days (clicks, sales,
// revenue: `GET /v1/reports/creatives`); each affiliate's portal shows the active ones with the
// affiliate's own link in them, and the HTML to paste.

import { t, dateTime, money, num, pct } from '../shared/i18n.js';
import { h, fill, empty, failure, field, badge, notify, loading } from '../shared/ui.js';
import { clearCharts } from '../shared/charts.js';
import { routeQuery, setRouteQuery } from './route.js';
import { defaultShopUrl } from './affiliates.js';

const KINDS = ['link', 'image'];
const SHOWN = ['active', 'archived'];

/** What the creative looks like where an affiliate posts it (the link goes nowhere here). */
export function preview(c) {
  return c.kind === 'image'
    ? h('img', { class: 'creative-image', src: c.image_url, alt: c.text, loading: 'lazy', referrerpolicy: 'no-referrer' })
    : h('span', { class: 'creative-link' }, c.text);
}

/**
 * A button that picks the image from WordPress's Media Library, where the dashboard runs in the
 * WordPress admin (which loads `wp.media` for it): the image's address fills the field, and its
 * alt text the creative's when that is still empty.
 */
function mediaLibraryButton(image, text) {
  const media = window.wp?.media;
  if (typeof media !== 'function') return null;
  const pick = () => {
    const frame = media({ title: t('dash.creative_media_title'), library: { type: 'image' }, multiple: false, button: { text: t('dash.creative_media_use') } });
    frame.on('select', () => {
      const chosen = frame.state().get('selection').first()?.toJSON();
      if (!chosen?.url) return;
      image.value = chosen.url;
      if (!text.value.trim() && chosen.alt) text.value = chosen.alt;
      image.focus();
    });
    frame.open();
    // The library itself, rather than the upload tab the frame may start on while it loads.
    frame.content.mode('browse');
  };
  return h('button', { type: 'button', class: 'btn btn-small', id: 'c-media', onclick: pick }, t('dash.creative_media'));
}

/** The form of a new creative, or of `c`'s details; `readOnly` (a viewer's) shows them disabled. */
function creativeForm(api, program, c, done, readOnly = false) {
  const editing = !!c;
  const name = h('input', { id: 'c-name', required: true, maxlength: 120, value: c?.name || '', placeholder: t('dash.creative_name_example') });
  const kind = h('select', { id: 'c-kind' }, KINDS.map((k) => h('option', { value: k, selected: (c?.kind || 'link') === k }, t(`dash.creative_kind_${k}`))));
  const text = h('input', { id: 'c-text', required: true, maxlength: 500, value: c?.text || '' });
  const image = h('input', { id: 'c-image-url', type: 'url', maxlength: 2000, value: c?.image_url || '', placeholder: 'https://…/banner-728x90.png' });
  const landing = h('input', { id: 'c-landing-url', type: 'url', maxlength: 2000, value: c?.landing_url || '', placeholder: defaultShopUrl(program) });
  const textField = field(t('dash.creative_text'), text, t('dash.creative_text_hint'));
  const imageField = field(t('dash.creative_image_url'), image, t('dash.creative_image_url_hint'));
  const library = mediaLibraryButton(image, text);
  if (library) imageField.append(library);
  const sync = () => {
    const isImage = kind.value === 'image';
    imageField.hidden = !isImage;
    image.required = isImage;
    textField.querySelector('label').textContent = isImage ? t('dash.creative_alt') : t('dash.creative_text');
    textField.querySelector('small').textContent = isImage ? t('dash.creative_alt_hint') : t('dash.creative_text_hint');
  };
  kind.addEventListener('change', sync);
  sync();
  const msg = h('div', { 'aria-live': 'assertive' });
  const fields = h('div', { class: 'settings-grid' }, field(t('dash.name'), name), field(t('dash.creative_kind'), kind), textField, imageField, field(t('dash.creative_landing_url'), landing, t('dash.creative_landing_url_hint')));
  const form = h(
    'form',
    {
      // A new creative is a write; a creative's details are shown to everyone.
      class: editing ? 'card' : 'card write',
      id: editing ? 'edit-creative' : 'new-creative',
      onsubmit: async (e) => {
        e.preventDefault();
        form.querySelectorAll('[aria-invalid]').forEach((el) => el.removeAttribute('aria-invalid'));
        if (!form.reportValidity()) return;
        const body = {
          name: name.value.trim(),
          kind: kind.value,
          text: text.value.trim(),
          // A text link has no image; an emptied landing page is the shop's home page.
          image_url: kind.value === 'image' ? image.value.trim() : null,
          landing_url: landing.value.trim() || null,
        };
        fill(msg, loading(t('ui.saving')));
        try {
          if (editing) await api.updateCreative(c.id, body);
          else await api.createCreative(body);
          notify(t('ui.saved'));
          done();
        } catch (err) {
          fill(msg, failure(err));
          const bad = { invalid_name: name, invalid_text: text, invalid_image_url: image, invalid_landing_url: landing }[err.code];
          if (bad) {
            bad.setAttribute('aria-invalid', 'true');
            bad.focus();
          }
        }
      },
    },
    h('h2', {}, editing ? t('dash.edit_creative', { name: c.name }) : t('dash.new_creative')),
    // A disabled fieldset disables every input in it, the Media Library's button included.
    readOnly ? h('fieldset', { class: 'read-only-fields', disabled: true }, fields) : fields,
    msg,
    h(
      'div',
      { class: 'row' },
      h('button', { class: 'btn btn-primary write', type: 'submit' }, editing ? t('ui.save') : t('dash.create')),
      editing ? h('button', { class: 'btn', type: 'button', onclick: () => done() }, t('ui.cancel')) : null,
    ),
  );
  return form;
}

/** A button that runs `action` once, then re-renders; a refusal is announced. */
function actionButton(label, name, action, render, kind = '') {
  return h(
    'button',
    {
      type: 'button',
      class: `btn btn-small write ${kind}`,
      dataset: { action: name },
      onclick: async (e) => {
        const btn = e.currentTarget;
        btn.disabled = true;
        try {
          if ((await action()) === false) {
            btn.disabled = false;
            return;
          }
          render();
        } catch (err) {
          btn.disabled = false;
          notify(err.code ? `${err.message} (${err.code})` : String(err), 'bad');
        }
      },
    },
    label,
  );
}

/** What the creative brought in the last 30 days: clicks, sales and revenue per currency. */
function stats(r) {
  if (!r) return null;
  const revenue = r.money.map((m) => money(m.revenue_net, m.currency)).join(' · ');
  return h(
    'p',
    { class: 'creative-stats', dataset: { clicks: r.clicks, sales: r.sales.net } },
    t('dash.creative_stats', { clicks: num(r.clicks), sales: num(r.sales.net), rate: pct(r.conversion_rate, 1) }),
    revenue ? ` · ${revenue}` : null,
  );
}

function row(api, c, report, edit, render, readOnly) {
  const archived = c.status === 'archived';
  return h(
    'li',
    { class: 'creative card', dataset: { id: c.id, kind: c.kind, status: c.status } },
    h('div', { class: 'creative-preview' }, preview(c)),
    h(
      'div',
      { class: 'creative-about' },
      h('h3', {}, c.name, ' ', badge(t(`status.${c.status}`), c.status)),
      h('p', { class: 'hint' }, t(`dash.creative_kind_${c.kind}`), ' · ', t('dash.creative_goes_to'), ' ', h('code', {}, c.landing_url || t('dash.creative_home'))),
      h('p', { class: 'hint' }, t('dash.updated_at', { at: dateTime(c.updated_at) })),
      stats(report),
      h(
        'div',
        { class: 'row' },
        // A viewer opens the same form, read-only.
        h('button', { type: 'button', class: 'btn btn-small', dataset: { action: readOnly ? 'open' : 'edit' }, onclick: () => edit(c) }, t(readOnly ? 'dash.open' : 'dash.edit')),
        archived
          ? actionButton(t('dash.creative_restore'), 'restore', () => api.updateCreative(c.id, { status: 'active' }), render)
          : actionButton(t('dash.creative_archive'), 'archive', () => api.updateCreative(c.id, { status: 'archived' }), render),
        actionButton(
          t('dash.delete'),
          'delete',
          () => (confirm(t('dash.creative_delete_confirm', { name: c.name })) ? api.deleteCreative(c.id) : false),
          render,
          'btn-danger',
        ),
      ),
    ),
  );
}

export async function creatives(main, { api, program, render, role }) {
  const readOnly = role === 'viewer';
  clearCharts();
  const q = routeQuery();
  const status = SHOWN.includes(q.get('status')) ? q.get('status') : 'active';
  const [page, report] = await Promise.all([api.creatives({ status, limit: 500 }), api.creativeReport()]);
  const byCreative = new Map(report.rows.map((r) => [r.creative, r]));
  const formBox = h('div', { id: 'creative-form' });
  const showForm = (c) => {
    fill(
      formBox,
      creativeForm(api, program, c, () => render(), readOnly),
    );
    // A viewer's read-only form takes no focus: it is scrolled to instead.
    const first = formBox.querySelector('input:enabled');
    if (first) first.focus();
    else formBox.scrollIntoView();
  };
  const tabs = h(
    'div',
    { class: 'row', role: 'group', 'aria-label': t('dash.status') },
    SHOWN.map((s) =>
      h(
        'button',
        {
          type: 'button',
          class: `btn btn-small${s === status ? ' btn-primary' : ''}`,
          'aria-pressed': String(s === status),
          dataset: { show: s },
          onclick: () => {
            setRouteQuery({ status: s });
            render();
          },
        },
        t(`dash.creatives_${s}`),
      ),
    ),
  );
  fill(
    main,
    h('h1', {}, t('dash.nav_creatives')),
    h('p', { class: 'hint' }, t('dash.creatives_hint')),
    formBox,
    tabs,
    page.creatives.length
      ? h('ul', { class: 'creatives', id: 'creatives' }, page.creatives.map((c) => row(api, c, byCreative.get(c.id), showForm, render, readOnly)))
      : empty(t(`dash.no_creatives_${status}`), status === 'active' ? t('dash.no_creatives_next') : null),
  );
  fill(formBox, creativeForm(api, program, null, () => render()));
}
