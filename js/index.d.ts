/** Consent states: nothing is stored until `granted`. */
export type Consent = 'granted' | 'denied' | 'pending';

/** Program settings; the same names as the script tag's `data-*` attributes. */
export interface Options {
  /** Base URL of the endpoint, e.g. `https://shop.example/rt` or `/wp-json/reftrail`. */
  endpoint?: string;
  /** The publishable key (`pk_…`). A secret key is refused. */
  key?: string;
  /** Consent before the site says anything (default `granted`). */
  consent?: Consent;
  /** Whether Global Privacy Control counts as a refusal (default true). */
  gpc?: boolean;
  /** Affiliate parameter names (default `ref,aff,via,affiliate`). */
  params?: string | string[];
  /** Path form prefix: `/ref/alice/` (default `ref`; empty disables). */
  pathPrefix?: string;
  /** Read `#ref=alice` from the fragment (default true). */
  fragment?: boolean;
  /** Attribution window in days, 1–400 (default 30). */
  window?: number | string;
  /** Who gets the credit (default `last`). */
  model?: 'last' | 'first';
  /** Hosts whose links and forms carry the attribution across domains. */
  decorate?: string | string[];
  /** Remove referral parameters from the address bar after capture (default true). */
  clean?: boolean;
  /** URL of `reftrail_bg.wasm` when it is not served next to the package. */
  wasm?: string | URL;
}

/** One order line. Amounts are integer minor units (VND has none: 125000 VND is 125000). */
export interface Item {
  sku: string | number;
  category?: string;
  amount: number;
  quantity?: number;
}

/** A sale; `order_id` makes it idempotent. */
export interface Conversion {
  order_id: string | number;
  /** Integer minor units of `currency`. */
  amount: number;
  /** ISO 4217 code, e.g. `VND`, `THB`, `USD`. */
  currency: string;
  coupon?: string;
  items?: Item[];
  shipping?: number;
  tax?: number;
  /** Hashed (SHA-256) in the browser before it is sent. */
  email?: string;
}

/** A lead; `email` is hashed in the browser before it is sent. */
export interface Lead {
  event?: string;
  email?: string;
  customer_id?: string | number;
}

/** The referral credited now. */
export interface Attribution {
  affiliate: string;
  via: 'query' | 'fragment' | 'path' | 'decorated';
  /** RFC 3339 UTC. */
  at: string;
  expires: string;
  click_id: string | null;
  campaign: string | null;
  /** The cross-domain token (`rt=`). */
  token: string;
}

export interface Reftrail {
  consent(state: Consent): void;
  lead(lead: Lead): void;
  conversion(sale: Conversion): void;
  attribution(): Attribution | null;
  /** `url` with the cross-domain token when its host is in `decorate`. */
  decorate(url: string): string;
}

/** Loads the wasm core once, applies the settings and captures the visit. */
export function load(options?: Options): Promise<Reftrail>;

/** The script tag's global: `reftrail(command, ...args)`. */
declare global {
  interface Window {
    reftrail: ((command: string, ...args: unknown[]) => unknown) & { q?: IArguments[] };
  }
}
