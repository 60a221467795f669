// "Become an affiliate": the public application form of programs that take applications
// (`applications` is `review` or `auto`). Shown from the sign-in page and at `…/portal/#apply`.
// Talks only to POST /v1/portal/applications; the answer is the same for every address, so the
// page says what happens next without saying whether the address was known.

import { portalJoin } from '../shared/api.js';
import { t } from '../shared/i18n.js';
import { h, fill, failure, field } from '../shared/ui.js';

const CATEGORIES = ['content', 'influencer', 'coupon', 'cashback', 'search', 'email', 'comparison', 'other'];

/** The invitation on the sign-in page; `open` shows the form. */
export function applyInvite(program, open) {
  return h(
    'section',
    { class: 'card signin', id: 'apply-invite' },
    h('h2', {}, t('portal.apply_invite_title')),
    h('p', { class: 'hint' }, t('portal.apply_invite', { program: program.name })),
    h('button', { type: 'button', class: 'btn', id: 'apply-open', onclick: open }, t('portal.apply_open')),
  );
}

/** The form; `back` returns to the sign-in page. */
export function applyForm(program, back) {
  const name = h('input', { id: 'apply-name', autocomplete: 'name', required: true, maxlength: '200' });
  const email = h('input', { id: 'apply-email', type: 'email', autocomplete: 'email', required: true, maxlength: '254' });
  const id = h('input', {
    id: 'apply-id',
    autocomplete: 'off',
    spellcheck: 'false',
    maxlength: '64',
    pattern: '[A-Za-z0-9._\\-]{1,64}',
  });
  const website = h('input', { id: 'apply-website', type: 'url', autocomplete: 'url', maxlength: '500', placeholder: 'https://' });
  const message = h('textarea', { id: 'apply-message', rows: '4', maxlength: '2000' });
  const category = h(
    'select',
    { id: 'apply-category' },
    CATEGORIES.map((c) => h('option', { value: c, selected: c === 'content' }, t(`cat.${c}`))),
  );
  const termsUrl = /^https?:\/\//.test(program.terms_url || '') ? program.terms_url : null;
  const terms = termsUrl ? h('input', { id: 'apply-terms', type: 'checkbox', required: true }) : null;
  const send = h('button', { class: 'btn btn-primary', type: 'submit', id: 'apply-send' }, t('portal.apply_send'));
  const msg = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    {
      class: 'card signin',
      id: 'apply',
      onsubmit: async (e) => {
        e.preventDefault();
        send.disabled = true;
        const body = {
          name: name.value.trim(),
          email: email.value.trim(),
          category: category.value,
          id: id.value.trim() || null,
          website: website.value.trim() || null,
          message: message.value.trim() || null,
          terms_accepted: terms ? terms.checked : false,
        };
        // A recruiting link (`?recruiter=<id>#apply`) names who brought them; the server keeps it
        // only when it is an approved affiliate.
        const recruiter = new URLSearchParams(location.search).get('recruiter');
        if (recruiter && /^[A-Za-z0-9._-]{1,64}$/.test(recruiter)) body.recruiter = recruiter;
        try {
          const answer = await portalJoin.apply(body);
          fill(
            form,
            h('h1', {}, t('portal.apply_title', { program: program.name })),
            h('p', { class: 'hint', role: 'status', id: 'applied' }, t(answer.status === 'approved' ? 'portal.applied_auto' : 'portal.applied_review')),
            h('button', { type: 'button', class: 'btn', onclick: back }, t('portal.apply_back')),
          );
        } catch (err) {
          fill(msg, failure(err));
          send.disabled = false;
        }
      },
    },
    h('h1', {}, t('portal.apply_title', { program: program.name })),
    h('p', { class: 'hint' }, t(program.applications === 'auto' ? 'portal.apply_hint_auto' : 'portal.apply_hint_review')),
    field(t('portal.apply_name'), name),
    field(t('portal.email'), email),
    field(t('portal.apply_website'), website),
    field(t('portal.apply_message'), message),
    field(t('portal.apply_category'), category),
    field(t('portal.apply_id'), id, t('portal.apply_id_hint')),
    terms
      ? h(
          'p',
          { class: 'field' },
          h('label', {}, terms, ' ', t('portal.apply_terms'), ' '),
          h('a', { href: termsUrl, target: '_blank', rel: 'noopener noreferrer' }, t('portal.apply_terms_read')),
        )
      : null,
    send,
    msg,
    h('p', {}, h('a', { href: '#', onclick: (e) => (e.preventDefault(), back()) }, t('portal.apply_back'))),
  );
  return form;
}
