// A team member's own account (GET/PATCH /v1/team/me): the name the activity log shows, the
// emails they want (someone applied, a referral flagged, a delivery given up, a payout requested), their password, and two-factor sign-in
// with an authenticator app. Opened from their name in the top bar.

import { t } from '../shared/i18n.js';
import { h, fill, failure, field, notify, loading, badge, copyButton, download } from '../shared/ui.js';
import { clearCharts } from '../shared/charts.js';
import { qrSvg } from '../vendor/qrcode.js';

const EVENTS = ['affiliate.applied', 'referral.flagged', 'delivery.failed', 'payout.requested'];

function profileForm(api, account, onSaved) {
  const m = account.member;
  const name = h('input', { id: 'me-name', value: m.name, required: true, maxlength: 100 });
  const boxes = EVENTS.map((e) => [e, h('input', { type: 'checkbox', dataset: { event: e }, checked: m.notify.includes(e) })]);
  const msg = h('div', { 'aria-live': 'assertive' });
  const form = h(
    'form',
    {
      class: 'card',
      id: 'me-profile',
      onsubmit: async (ev) => {
        ev.preventDefault();
        fill(msg, loading(t('ui.saving')));
        try {
          const saved = await api.updateMe({ name: name.value.trim(), notify: boxes.filter(([, b]) => b.checked).map(([e]) => e) });
          fill(msg);
          notify(t('ui.saved'));
          onSaved(saved.member);
        } catch (err) {
          fill(msg, failure(err));
        }
      },
    },
    h('h2', {}, m.email),
    h('p', { class: 'hint' }, t(`dash.role_${m.role}`)),
    field(t('dash.name'), name),
    h(
      'fieldset',
      { class: 'field' },
      h('legend', {}, t('dash.notify_title')),
      boxes.map(([e, box]) => h('div', {}, h('label', {}, box, ' ', t(`dash.notify_${e.replace('.', '_')}`)))),
      account.mail ? null : h('small', { class: 'hint', id: 'me-no-mail' }, t('dash.notify_no_mail')),
    ),
    msg,
    h('div', { class: 'row' }, h('button', { class: 'btn btn-primary', type: 'submit' }, t('ui.save'))),
  );
  return form;
}

function passwordForm(api) {
  const current = h('input', { type: 'password', id: 'me-current', autocomplete: 'current-password', required: true });
  const pw = h('input', { type: 'password', id: 'me-password', autocomplete: 'new-password', required: true, minlength: 10, maxlength: 200 });
  const again = h('input', { type: 'password', id: 'me-password-again', autocomplete: 'new-password', required: true });
  const msg = h('div', { 'aria-live': 'assertive' });
  const form = h(
    'form',
    {
      class: 'card',
      id: 'me-password-form',
      onsubmit: async (ev) => {
        ev.preventDefault();
        if (pw.value !== again.value) return fill(msg, h('p', { class: 'error-text', role: 'alert' }, t('dash.password_mismatch')));
        fill(msg, loading(t('ui.saving')));
        try {
          await api.updateMe({ password: pw.value, current_password: current.value });
          form.reset();
          fill(msg, h('p', { role: 'status', id: 'me-password-changed' }, t('dash.password_changed')));
        } catch (err) {
          fill(msg, failure(err));
        }
      },
    },
    h('h2', {}, t('dash.password_change')),
    field(t('dash.password_current'), current),
    field(t('dash.password_new'), pw),
    field(t('dash.password_again'), again),
    msg,
    h('div', { class: 'row' }, h('button', { class: 'btn', type: 'submit' }, t('dash.password_change'))),
  );
  return form;
}

/** A form with one code field and a button, calling `run(code)` on submit. */
function codeForm(id, label, run) {
  const code = h('input', { id: `${id}-code`, inputmode: 'numeric', autocomplete: 'one-time-code', required: true, maxlength: 6, pattern: '[0-9]{6}' });
  const msg = h('div', { 'aria-live': 'assertive' });
  const form = h(
    'form',
    {
      id,
      onsubmit: async (e) => {
        e.preventDefault();
        fill(msg, loading(t('ui.saving')));
        try {
          await run(code.value.trim());
        } catch (err) {
          fill(msg, failure(err));
          code.select();
        }
      },
    },
    field(t('dash.code'), code),
    msg,
    h('div', { class: 'row' }, h('button', { class: 'btn', type: 'submit' }, label)),
  );
  return form;
}

/** Two-factor sign-in: on (with a form to turn it off) or off (with the setup). */
/**
 * Recovery codes just made, shown this once: to copy or download, and (when the team required
 * two factors) a button that goes on to the dashboard.
 */
function recoveryBox(codes, onDone) {
  const text = `${codes.join('\n')}\n`;
  return h(
    'div',
    { class: 'secret', id: 'recovery-codes' },
    h('p', {}, h('strong', {}, t('dash.recovery_once'))),
    h('ul', { class: 'recovery-list' }, codes.map((c) => h('li', {}, h('code', {}, c)))),
    h(
      'div',
      { class: 'row' },
      copyButton(text),
      h('button', { type: 'button', class: 'btn', onclick: () => download('reftrail-recovery-codes.txt', text, 'text/plain') }, t('dash.recovery_download')),
      onDone ? h('button', { type: 'button', class: 'btn btn-primary', id: 'recovery-done', onclick: onDone }, t('dash.recovery_done')) : null,
    ),
  );
}

function twoFactorCard(api, member, onEnabled) {
  const card = h('section', { class: 'card', id: 'me-two-factor' });
  let left = member.recovery_codes_left;
  const draw = (on, codes = null) => {
    const turnOff = () =>
      codeForm('two-factor-off', t('dash.two_factor_turn_off'), async (code) => {
        await api.twoFactorStop(code);
        notify(t('dash.two_factor_turned_off'));
        draw(false);
      });
    const renew = () =>
      codeForm('recovery-renew', t('dash.recovery_renew'), async (code) => {
        const a = await api.recoveryCodes(code);
        left = a.member.recovery_codes_left;
        draw(true, a.recovery_codes);
      });
    const setup = h(
      'button',
      {
        type: 'button',
        class: 'btn',
        id: 'two-factor-setup',
        onclick: async (e) => {
          e.currentTarget.disabled = true;
          const s = await api.twoFactorStart();
          const qr = h('div', { class: 'qr', id: 'two-factor-qr' });
          // The SVG comes from the QR library, built from the otpauth address only.
          qr.innerHTML = await qrSvg(s.otpauth_url);
          setup.replaceWith(
            h(
              'div',
              {},
              h('p', {}, t('dash.two_factor_scan')),
              qr,
              h('p', {}, `${t('dash.two_factor_key')}: `, h('code', { id: 'two-factor-secret' }, s.secret)),
              codeForm('two-factor-on', t('dash.two_factor_turn_on'), async (code) => {
                const a = await api.twoFactorConfirm(code);
                notify(t('dash.two_factor_turned_on'));
                left = a.member.recovery_codes_left;
                draw(true, a.recovery_codes);
              }),
            ),
          );
        },
      },
      t('dash.two_factor_setup'),
    );
    fill(
      card,
      h('h2', {}, t('dash.two_factor'), ' ', on ? badge(t('dash.two_factor_on'), 'approved') : badge(t('dash.two_factor_off'), 'pending')),
      h('p', { class: 'hint' }, t('dash.two_factor_hint')),
      codes ? recoveryBox(codes, onEnabled) : null,
      on ? [h('p', { id: 'recovery-left' }, t('dash.recovery_left', { n: left })), h('h3', {}, t('dash.recovery_renew')), renew(), h('h3', {}, t('dash.two_factor_turn_off')), turnOff()] : setup,
    );
  };
  draw(member.two_factor);
  return card;
}

export async function account(main, ctx) {
  clearCharts();
  const mine = await ctx.api.me();
  fill(
    main,
    h('h1', {}, t('dash.nav_account')),
    ctx.twoFactorDue ? h('p', { class: 'card state-error', id: 'two-factor-due', role: 'alert' }, t('dash.two_factor_due')) : h('p', { class: 'hint' }, t('dash.account_hint')),
    h(
      'div',
      { class: 'settings-grid' },
      profileForm(ctx.api, mine, (member) => {
        // The top bar shows the new name.
        ctx.member = { ...ctx.member, name: member.name };
        ctx.nav();
      }),
      passwordForm(ctx.api),
      twoFactorCard(
        ctx.api,
        mine.member,
        // Set up as the team requires: the whole dashboard opens.
        ctx.twoFactorDue
          ? () => {
              history.replaceState(null, '', '#/overview');
              return ctx.restart();
            }
          : null,
      ),
    ),
  );
}
