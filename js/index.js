// The ES module package: the same core as the script tag, for developers who bundle.
//
//   import { load } from '@reftrail/browser';
//   const reftrail = await load({ endpoint: 'https://shop.example/rt', key: 'pk_live_…' });
//   reftrail.conversion({ order_id: 'A-1001', amount: 125000000, currency: 'VND' });
import { start, command } from './dist/reftrail.js';

let ready;

const api = Object.freeze({
  consent: (state) => command('consent', state),
  lead: (lead) => command('lead', lead),
  conversion: (sale) => command('conversion', sale),
  attribution: () => command('attribution'),
  decorate: (url) => command('decorate', url),
});

/** Loads the wasm core once, applies the settings, captures the visit. */
export function load(options = {}) {
  const { wasm, ...settings } = options;
  ready ??= start(settings, [], wasm ?? new URL('./dist/reftrail_bg.wasm', import.meta.url)).then(() => api);
  return ready;
}
