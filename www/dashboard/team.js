// The team (the owner's page, on the Rust server; WordPress's team is its users): who signs in to
// the dashboard as themselves and with which role, an invitation's link to pass on (also
// emailed when the server sends mail), a new link for a forgotten password, and removal.

import { t, dateTime } from '../shared/i18n.js';
import { h, fill, failure, field, notify, copyButton, badge, empty } from '../shared/ui.js';
import { clearCharts } from '../shared/charts.js';

export const ROLES = ['owner', 'manager', 'viewer'];

const roleSelect = (id, value, onchange) =>
  h('select', { id, onchange }, ROLES.map((r) => h('option', { value: r, selected: r === value }, t(`dash.role_${r}`))));

/** The link an invitation answered, on this page's server, to copy and pass on. */
function linkBox(invitation) {
  const url = new URL(invitation.invite_path, location.href).href;
  return h(
    'div',
    { class: 'secret', id: 'invite-link' },
    h('p', {}, t('dash.team_link_ready', { name: invitation.member.name })),
    h('p', {}, h('code', {}, url), ' ', copyButton(url)),
    invitation.emailed ? h('p', { class: 'hint' }, t('dash.team_link_emailed', { email: invitation.member.email })) : null,
  );
}

function status(m) {
  if (m.status === 'active') return badge(t('dash.team_active'), 'approved');
  return m.invite_expires_at ? badge(t('dash.team_invited_until', { until: dateTime(m.invite_expires_at) }), 'pending') : badge(t('dash.team_invited_expired'), 'rejected');
}

function membersTable(api, members, out, render) {
  const cols = [t('dash.name'), t('dash.email'), t('dash.role'), t('dash.team_status'), t('dash.team_two_factor'), t('dash.team_last_sign_in'), ''];
  const act = (run) => async (e) => {
    const btn = e.currentTarget;
    btn.disabled = true;
    try {
      await run();
    } catch (err) {
      fill(out, failure(err));
      btn.disabled = false;
    }
  };
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'stack', id: 'team-members' },
      h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c)))),
      h(
        'tbody',
        {},
        members.map((m) =>
          h(
            'tr',
            { dataset: { id: m.id, email: m.email } },
            h('td', { 'data-label': cols[0] }, m.name),
            h('td', { 'data-label': cols[1] }, m.email),
            h(
              'td',
              { 'data-label': cols[2] },
              roleSelect(`role-${m.id}`, m.role, async (e) => {
                const sel = e.currentTarget;
                sel.disabled = true;
                try {
                  await api.updateMember(m.id, { role: sel.value });
                  notify(t('dash.team_role_saved'));
                } catch (err) {
                  sel.value = m.role;
                  fill(out, failure(err));
                }
                sel.disabled = false;
              }),
            ),
            h('td', { 'data-label': cols[3] }, status(m)),
            h('td', { 'data-label': cols[4], class: 'two-factor' }, m.two_factor ? badge(t('dash.two_factor_on'), 'approved') : t('dash.two_factor_off')),
            h('td', { 'data-label': cols[5] }, m.last_sign_in_at ? dateTime(m.last_sign_in_at) : t('dash.team_never')),
            h(
              'td',
              {},
              h(
                'div',
                { class: 'row' },
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'btn btn-small',
                    title: t('dash.team_new_link_hint'),
                    onclick: act(async () => {
                      const invitation = await api.reinviteMember(m.id);
                      await render();
                      fill(out, linkBox(invitation));
                    }),
                  },
                  t('dash.team_new_link'),
                ),
                m.two_factor
                  ? h(
                      'button',
                      {
                        type: 'button',
                        class: 'btn btn-small',
                        dataset: { action: 'reset-two-factor' },
                        onclick: (e) => {
                          if (!confirm(t('dash.team_two_factor_reset_confirm', { name: m.name }))) return;
                          act(async () => {
                            await api.resetTwoFactor(m.id);
                            await render();
                          })(e);
                        },
                      },
                      t('dash.team_two_factor_reset'),
                    )
                  : null,
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'btn btn-small btn-danger',
                    onclick: (e) => {
                      if (!confirm(t('dash.team_remove_confirm', { name: m.name }))) return;
                      act(async () => {
                        await api.removeMember(m.id);
                        notify(t('dash.team_removed'));
                        fill(out);
                        await render();
                      })(e);
                    },
                  },
                  t('dash.team_remove'),
                ),
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

function inviteForm(api, out, render) {
  const name = h('input', { id: 'invite-name', required: true, maxlength: 100, autocomplete: 'off' });
  const email = h('input', { id: 'invite-email', type: 'email', required: true, maxlength: 254, autocomplete: 'off' });
  const role = roleSelect('invite-role', 'manager');
  const msg = h('div', { 'aria-live': 'assertive' });
  const form = h(
    'form',
    {
      class: 'card',
      id: 'invite-form',
      onsubmit: async (e) => {
        e.preventDefault();
        const btn = form.querySelector('button[type=submit]');
        btn.disabled = true;
        fill(msg);
        try {
          const invitation = await api.inviteMember({ name: name.value.trim(), email: email.value.trim(), role: role.value });
          // The list is drawn again with the new member; the link stays above it until the page
          // is left.
          await render();
          fill(out, linkBox(invitation));
        } catch (err) {
          fill(msg, failure(err));
          btn.disabled = false;
        }
      },
    },
    h('h2', {}, t('dash.team_invite')),
    h('div', { class: 'toolbar' }, field(t('dash.name'), name), field(t('dash.email'), email), field(t('dash.role'), role)),
    msg,
    h('div', { class: 'row' }, h('button', { class: 'btn btn-primary', type: 'submit' }, t('dash.team_invite_button'))),
  );
  return form;
}

/** The team's policy: whether every member signs in with two factors. */
function policyBox(api, page, out) {
  const box = h('input', {
    type: 'checkbox',
    id: 'team-require-two-factor',
    checked: page.require_two_factor,
    onchange: async () => {
      box.disabled = true;
      try {
        await api.teamPolicy({ require_two_factor: box.checked });
        notify(t('ui.saved'));
      } catch (err) {
        box.checked = !box.checked;
        fill(out, failure(err));
      }
      box.disabled = false;
    },
  });
  return h('section', { class: 'card', id: 'team-policy' }, h('label', {}, box, ' ', t('dash.team_require_two_factor')), h('p', { class: 'hint' }, t('dash.team_require_two_factor_hint')));
}

export async function team(main, { api }) {
  clearCharts();
  const page = await api.team();
  const out = h('div', { 'aria-live': 'polite', id: 'team-out' });
  // Re-drawing keeps `out`, so that an invitation's link survives the list's refresh.
  const list = h('div');
  const drawList = async () => {
    const fresh = await api.team();
    fill(list, fresh.members.length ? membersTable(api, fresh.members, out, drawList) : empty(t('dash.team_empty')));
  };
  fill(list, page.members.length ? membersTable(api, page.members, out, drawList) : empty(t('dash.team_empty')));
  fill(
    main,
    h('h1', {}, t('dash.nav_team')),
    h('p', { class: 'hint' }, t('dash.team_hint')),
    inviteForm(api, out, drawList),
    policyBox(api, page, out),
    out,
    h('section', { class: 'card' }, list),
  );
}
