// Compiled with `tsc --noEmit --strict` by scripts/test.sh: the package's types describe the API
// as a bundler user calls it, and reject what it refuses.
import { load, type Attribution, type Conversion } from '../index.js';

async function checkout(): Promise<void> {
  const reftrail = await load({ endpoint: 'https://shop.example/rt', key: 'pk_live_x', window: 60, params: ['ref', 'via'], consent: 'pending' });
  reftrail.consent('granted');
  const sale: Conversion = { order_id: 'A-1', amount: 125000, currency: 'VND', items: [{ sku: 'SHOE', amount: 125000 }] };
  reftrail.conversion(sale);
  reftrail.lead({ email: 'a@b.co' });
  const a: Attribution | null = reftrail.attribution();
  if (a) a.affiliate.toUpperCase();
  const url: string = reftrail.decorate('https://pay.example/');
  void url;
  // @ts-expect-error consent takes one of three states
  reftrail.consent('yes');
  // @ts-expect-error a conversion needs its currency
  reftrail.conversion({ order_id: 'A-2', amount: 1 });
  window.reftrail('conversion', sale);
}
void checkout;
