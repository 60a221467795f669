// QR codes for the affiliate portal's links, as SVG markup (bundled to www/vendor/qrcode.js).
import QRCode from 'qrcode';

/** An SVG QR code of `text`. */
export function qrSvg(text) {
  return QRCode.toString(text, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
}
