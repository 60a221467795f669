// A button that shows a link as a QR code under it (and hides it again): for a link printed on
// a card or shown on a phone to be scanned.

import { t } from '../shared/i18n.js';
import { h } from '../shared/ui.js';
import { qrSvg } from '../vendor/qrcode.js';

/** The button and the box it fills: `[button, box]`. */
export function qrButton(url) {
  const box = h('div', { class: 'qr', hidden: true });
  const btn = h(
    'button',
    {
      type: 'button',
      class: 'btn btn-small',
      'aria-expanded': 'false',
      onclick: async () => {
        if (!box.hidden) {
          box.hidden = true;
          btn.setAttribute('aria-expanded', 'false');
          return;
        }
        const svg = await qrSvg(url);
        // The SVG comes from the QR library, built from the link text only.
        box.innerHTML = svg;
        box.firstElementChild?.setAttribute('role', 'img');
        box.firstElementChild?.setAttribute('aria-label', t('portal.qr_of', { url }));
        box.hidden = false;
        btn.setAttribute('aria-expanded', 'true');
      },
    },
    t('portal.qr'),
  );
  return [btn, box];
}
