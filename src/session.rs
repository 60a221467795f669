//! The tracker on one page, as a pure state machine.
//!
//! The browser edge hands the session what the page says: [`Session::boot`] gets the settings
//! and the page (address, referrer, cookies, the localStorage copies, Global Privacy Control,
//! the time and a random seed); [`Session::call`] gets each `reftrail(...)` call;
//! [`Session::answer`] gets each network answer. Each returns [`Effect`]s for the edge to apply.
//! Everything the tracker decides (what to capture, what to keep and where, what to send and
//! when to retry) is therefore plain Rust, tested natively, and the wasm module imports nothing
//! from the page.

use crate::args::{self, Fields};
use crate::attribution;
use crate::capture::{self, Address, Parsed};
use crate::config::Config;
use crate::consent::{self, Consent, Signals};
use crate::cookie::{self, Attributes};
use crate::decorate;
use crate::domain;
use crate::effects::{Effects, US};
use crate::json::Object;
use crate::persist;
use crate::queue::{self, Endpoint, Entry};
use crate::report::{self, Context};
use crate::state::{is_valid_visitor, State};
use crate::text;
use crate::time::rfc3339;
use alloc::string::String;
use alloc::vec::Vec;

/// localStorage key of the state's second copy (same encoding as the cookie).
pub const STORAGE_KEY: &str = "rt_ref";
/// localStorage key of the retry queue.
pub const QUEUE_KEY: &str = "rt_queue";

/// What the page says at start, as the edge reads it.
#[derive(Clone, Debug, Default)]
pub struct Page<'a> {
    /// `location.href`.
    pub href: &'a str,
    /// `location.hostname`.
    pub host: &'a str,
    /// `location.pathname`.
    pub path: &'a str,
    /// The last segment of `location.pathname` (before one trailing `/`), as
    /// `decodeURIComponent` decodes it, or empty ([`Parsed::path_id`]).
    pub path_id: &'a str,
    /// `location.search` without `?`.
    pub query: &'a str,
    /// Its pairs, decoded by `URLSearchParams` ([`crate::pairs`]).
    pub query_pairs: &'a str,
    /// `location.hash` without `#`.
    pub fragment: &'a str,
    /// Its pairs, decoded by `URLSearchParams`.
    pub fragment_pairs: &'a str,
    /// `location.protocol == "https:"`.
    pub https: bool,
    /// `document.referrer`.
    pub referrer: &'a str,
    /// Its `hostname` from `new URL()` when it is an `http(s)` URL, or empty.
    pub referrer_host: &'a str,
    /// `document.cookie`.
    pub cookies: &'a str,
    /// `localStorage.rt_ref`, or empty.
    pub stored: &'a str,
    /// `localStorage.rt_queue`, or empty.
    pub queue: &'a str,
    /// `navigator.globalPrivacyControl`.
    pub gpc: bool,
    /// Unix seconds.
    pub now: u64,
    /// Random bits from `crypto.getRandomValues`, for visitor ids and idempotency keys.
    pub seed: u64,
    /// The visitor's consent choice made before start, if any: the last Google Consent Mode
    /// `update` of `ad_storage`, or the last `reftrail('consent', …)` call queued before the
    /// core arrived (`granted`, `denied`, `pending`; anything else is no choice). It counts
    /// before the click is reported, so the click carries it.
    pub consent: &'a str,
}

impl<'a> Page<'a> {
    /// Reads the edge's wire form: the fields above in order, separated by U+001F
    /// (`https` and `gpc` as `1`/`0`, `now` in milliseconds, `seed` as hex).
    pub fn parse(wire: &'a str) -> Option<Self> {
        // One split loop filling an array rather than one inlined `next()` per field.
        let mut f = [""; 18];
        let n = text::fields(wire, US as u8, &mut f);
        let [href, host, path, path_id, query, query_pairs, fragment, fragment_pairs, https, referrer, referrer_host, cookies, stored, queue, gpc, now, seed, consent] =
            f;
        (n >= 18).then(|| Page {
            href,
            host,
            path,
            path_id,
            query: strip(query, b'?'),
            query_pairs,
            fragment: strip(fragment, b'#'),
            fragment_pairs,
            https: https == "1",
            referrer,
            referrer_host,
            cookies,
            stored,
            queue,
            gpc: gpc == "1",
            now: args::int(now).map_or(0, |ms| ms.max(0) as u64 / 1000),
            seed: text::parse_num(seed.as_bytes(), 16).unwrap_or(0),
            consent,
        })
    }
}

/// A link for `decorate` and `token`, as the runtime passes it from `new URL(href)` of an
/// `http(s)` URL: `hostname`, the `href` before the path (scheme, userinfo, host and port as
/// serialized), `pathname`, the query's pairs ([`crate::pairs`]) and the fragment without `#`,
/// separated by U+001F. Anything else (another scheme, no URL) is passed as empty, and has no
/// host to match.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Link<'a> {
    /// `hostname`.
    pub host: &'a str,
    /// `href` up to the path.
    pub origin: &'a str,
    /// `pathname`.
    pub path: &'a str,
    /// The query's pairs.
    pub query: &'a str,
    /// `hash` without `#`.
    pub fragment: &'a str,
}

impl<'a> Link<'a> {
    /// Reads the wire form; missing fields are empty.
    pub fn parse(wire: &'a str) -> Self {
        let mut f = [""; 5];
        text::fields(wire, US as u8, &mut f);
        let [host, origin, path, query, fragment] = f;
        Link {
            host,
            origin,
            path,
            query,
            fragment,
        }
    }

    /// The wire form for `url`, computed with the core's own URL splitter and query parser as
    /// the runtime computes it with `new URL()` and `URLSearchParams` (for native callers and
    /// tests); empty when `url` is not an absolute `http(s)` URL.
    pub fn wire(url: &str) -> String {
        let Some((host, addr)) = capture::split_url(url) else {
            return String::new();
        };
        // The scheme and authority as written, up to the path.
        let start = text::find(url.as_bytes(), b':').map_or(0, |i| i + 1);
        let rest = url.get(start..).unwrap_or_default();
        let skip = rest
            .bytes()
            .take_while(|&b| b == b'/' || b == b'\\')
            .count();
        let end = start
            + skip
            + rest
                .get(skip..)
                .unwrap_or_default()
                .bytes()
                .position(|b| matches!(b, b'/' | b'\\' | b'?' | b'#'))
                .unwrap_or(rest.len() - skip);
        let fields = [
            host.as_str(),
            url.get(..end).unwrap_or_default(),
            addr.path,
            &crate::pairs::from_raw(addr.query),
            addr.fragment,
        ];
        let mut out = String::new();
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                out.push(US);
            }
            out.push_str(field);
        }
        out
    }
}

/// `s` without one leading `lead` byte.
fn strip(s: &str, lead: u8) -> &str {
    match text::split_once(s, lead) {
        Some(("", rest)) => rest,
        _ => s,
    }
}

/// One page's tracker.
pub struct Session {
    cfg: Config,
    explicit: Option<Consent>,
    gpc: bool,
    host: String,
    https: bool,
    state: State,
    queue: Vec<Entry>,
    in_flight: Vec<String>,
    rng: u64,
}

/// Applies flattened settings (`name US value` records, later ones win: the script tag's
/// attributes, then `reftrail('config', …)` calls) to `cfg`, warning about bad ones.
pub fn apply_settings(cfg: &mut Config, settings: &str, effects: &mut Effects) {
    for rec in text::split(settings, crate::effects::RS as u8).filter(|r| !r.is_empty()) {
        let Some((name, value)) = text::split_once(rec, US as u8) else {
            effects.warn("invalid_settings", "");
            continue;
        };
        if let Err(e) = cfg.apply(name, value) {
            effects.warn(e.as_str(), name);
        }
    }
}

impl Session {
    /// Starts on a page: reads the stored copies, captures the visit, decides, keeps (with
    /// consent), cleans the address, reports the click and sends what waits in the queue.
    pub fn boot(settings: &str, page: &Page) -> (Self, Effects) {
        let mut effects = Effects::new();
        let mut cfg = Config::default();
        apply_settings(&mut cfg, settings, &mut effects);
        let (state, repair) = persist::reconcile(
            cookie::read(page.cookies, cookie::NAME),
            Some(page.stored).filter(|s| !s.is_empty()),
        );
        let mut s = Session {
            cfg,
            explicit: Consent::parse(page.consent),
            gpc: page.gpc,
            host: page.host.into(),
            https: page.https,
            state,
            queue: queue::decode(page.queue),
            in_flight: Vec::new(),
            rng: page.seed ^ page.now.rotate_left(32) ^ 0x9E37_79B9_7F4A_7C15,
        };
        let now = page.now;
        let address = Parsed {
            raw: Address {
                path: page.path,
                query: page.query,
                fragment: page.fragment,
            },
            path_id: page.path_id,
            query: page.query_pairs,
            fragment: page.fragment_pairs,
        };
        let touch =
            capture::capture_parsed(&address, page.referrer_host, page.host, now, &s.cfg.capture);
        if touch.affiliate.is_some() {
            s.state = attribution::decide(&s.state, &touch, &s.cfg.policy, now);
        }
        match s.consent() {
            Consent::Granted if s.has_attribution() => {
                let changed = touch.affiliate.is_some();
                s.persist(
                    repair.cookie || changed,
                    repair.storage || changed,
                    now,
                    &mut effects,
                );
            }
            Consent::Denied => s.forget(&mut effects),
            _ => {}
        }
        if s.cfg.clean {
            if let Some(clean) = capture::clean_parsed(&address, &s.cfg.capture) {
                effects.start('A').field(&clean);
            }
        }
        if touch.affiliate.is_some() {
            let visitor = s.granted_visitor().map(String::from);
            let body = report::click_body(
                &touch,
                page.href,
                page.referrer,
                s.consent(),
                visitor.as_deref(),
            );
            let key = s.random_id();
            s.enqueue(Endpoint::Clicks, body, key, now, &mut effects);
        }
        if !s.cfg.decorate.is_empty() {
            effects.start('D');
        }
        s.flush(now, &mut effects);
        (s, effects)
    }

    /// Runs `reftrail(name, arg)`: returns the call's result (JSON for `attribution`, a URL for
    /// `decorate`, a token for `token`, otherwise empty) and the effects.
    pub fn call(&mut self, name: &str, arg: &str, now: u64) -> (String, Effects) {
        let mut effects = Effects::new();
        let mut result = String::new();
        let fields = Fields::parse(arg);
        match (name, fields) {
            ("consent", _) => match Consent::parse(arg) {
                Some(c) => self.set_consent(c, now, &mut effects),
                None => warn(&mut effects, "invalid_consent", arg),
            },
            ("conversion", Some(f)) => {
                // The order id keys the sale: a thank-you page reloaded sends the same key,
                // and the server answers the first result.
                let key = String::from(f.get("order_id").unwrap_or(""));
                match args::sale_body(&f, &self.context(&key, now)) {
                    Ok(body) => self.enqueue(Endpoint::Sales, body, key, now, &mut effects),
                    Err(e) => warn(&mut effects, e.as_str(), "conversion"),
                }
            }
            ("lead", Some(f)) => {
                let key = self.random_id();
                let body = args::lead_body(&f, &self.context(&key, now));
                self.enqueue(Endpoint::Leads, body, key, now, &mut effects);
            }
            ("conversion" | "lead", None) => warn(&mut effects, "invalid_arguments", name),
            ("attribution", _) => result = self.attribution_json(now),
            ("decorate", _) => result = self.decorate_url(arg, now).unwrap_or_default(),
            ("token", _) => result = self.token_for(arg, now).unwrap_or_default(),
            ("config", _) => warn(&mut effects, "config_after_start", ""),
            _ => warn(&mut effects, "unknown_command", name),
        }
        self.flush(now, &mut effects);
        (result, effects)
    }

    /// Takes the answer to the request `id`: delivered (2xx) and refused-as-invalid (4xx other
    /// than 408/429) reports leave the queue; the rest wait for the next page.
    pub fn answer(&mut self, id: &str, status: u16, text: &str, now: u64) -> Effects {
        let mut effects = Effects::new();
        self.in_flight.retain(|k| k != id);
        let retry = status == 0 || status == 408 || status == 429 || status >= 500;
        let entry = self.queue.iter().position(|e| e.key == id);
        if let Some(e) = entry.and_then(|i| self.queue.get_mut(i)) {
            e.attempts += 1;
            let is_click = e.endpoint == Endpoint::Clicks;
            if !retry {
                queue::remove(&mut self.queue, queue::Remove::Key(id));
                if (200..300).contains(&status) {
                    if is_click {
                        self.remember_click_id(text, now, &mut effects);
                    }
                } else {
                    warn(&mut effects, "refused", text);
                }
            }
        }
        self.save_queue(&mut effects);
        effects
    }

    fn consent(&self) -> Consent {
        consent::resolve(&Signals {
            site_default: self.cfg.consent,
            consent_mode_default: self.cfg.consent_mode_default,
            explicit: self.explicit,
            gpc: self.gpc,
            honour_gpc: self.cfg.honour_gpc,
        })
    }

    fn granted_visitor(&self) -> Option<&str> {
        (self.consent() == Consent::Granted)
            .then_some(self.state.visitor.as_deref())
            .flatten()
    }

    /// A visit without a referral writes nothing.
    fn has_attribution(&self) -> bool {
        self.state.referral.is_some() || !self.state.trail.is_empty()
    }

    /// splitmix64: ids need to be unique, not secret, and the seed comes from
    /// `crypto.getRandomValues`.
    fn random_id(&mut self) -> String {
        const ALPHABET: &[u8; 62] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let mut out = String::with_capacity(20);
        for _ in 0..2 {
            self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.rng;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            for _ in 0..10 {
                out.push(char::from(ALPHABET[(z % 62) as usize]));
                z /= 62;
            }
        }
        out
    }

    fn context<'a>(&'a self, key: &'a str, now: u64) -> Context<'a> {
        Context {
            referral: attribution::live(&self.state, now),
            visitor: self.granted_visitor(),
            key: self.cfg.key.as_deref(),
            idempotency_key: Some(key),
        }
    }

    fn cookie_attrs(&self, max_age: u64) -> String {
        let full = cookie::set_cookie(
            cookie::NAME,
            "",
            &Attributes {
                max_age,
                domain: None,
                secure: self.https,
            },
        );
        // `rt_ref=; Path=/; …` → `; Path=/; …`
        String::from(full.get(cookie::NAME.len() + 1..).unwrap_or(""))
    }

    /// The cookie's attributes and candidate domains, as the last two fields of a cookie record.
    fn cookie_fields(&self, max_age: u64, effects: &mut Effects) {
        effects.field(&self.cookie_attrs(max_age)).field("");
        let mut first = true;
        domain::each_candidate(&self.host, |d| {
            if !first {
                effects.push(",");
            }
            first = false;
            effects.push(d);
        });
    }

    /// Writes the state to the cookie and/or storage and saves the queue; only with consent.
    fn persist(&mut self, cookie_too: bool, storage_too: bool, now: u64, effects: &mut Effects) {
        if self.consent() != Consent::Granted {
            return;
        }
        self.save_queue(effects);
        if !self.has_attribution() {
            return;
        }
        if !self.state.visitor.as_deref().is_some_and(is_valid_visitor) {
            self.state.visitor = Some(self.random_id());
        }
        let value = cookie::encode(&self.state);
        if cookie_too {
            let max_age = cookie::max_age(&self.state, now, self.cfg.policy.window_secs());
            effects
                .start('C')
                .field(cookie::NAME)
                .push("=")
                .push(&value);
            self.cookie_fields(max_age, effects);
        }
        if storage_too {
            effects.store(STORAGE_KEY, &value);
        }
    }

    fn save_queue(&self, effects: &mut Effects) {
        if self.consent() != Consent::Granted {
            return;
        }
        if self.queue.is_empty() {
            effects.unstore(QUEUE_KEY);
        } else {
            effects.store(QUEUE_KEY, &queue::encode(&self.queue));
        }
    }

    /// Removes every stored copy (consent denied).
    fn forget(&mut self, effects: &mut Effects) {
        effects.start('X').field(cookie::NAME).push("=");
        self.cookie_fields(0, effects);
        effects.unstore(STORAGE_KEY);
        effects.unstore(QUEUE_KEY);
    }

    fn set_consent(&mut self, c: Consent, now: u64, effects: &mut Effects) {
        self.explicit = Some(c);
        match self.consent() {
            Consent::Granted => self.persist(true, true, now, effects),
            Consent::Denied => {
                self.state.visitor = None;
                self.forget(effects);
            }
            Consent::Pending => {}
        }
    }

    fn enqueue(
        &mut self,
        endpoint: Endpoint,
        body: String,
        key: String,
        now: u64,
        effects: &mut Effects,
    ) {
        let entry = Entry {
            endpoint,
            key,
            at: now,
            attempts: 0,
            body,
        };
        queue::push(&mut self.queue, entry, now);
        self.save_queue(effects);
    }

    /// Sends every queued report that is not already on its way.
    fn flush(&mut self, now: u64, effects: &mut Effects) {
        queue::prune(&mut self.queue, now);
        if self.cfg.endpoint.is_empty() {
            return;
        }
        for e in &self.queue {
            if self.in_flight.contains(&e.key) {
                continue;
            }
            self.in_flight.push(e.key.clone());
            effects
                .start('P')
                .field(&e.key)
                .field(&self.cfg.endpoint)
                .push(e.endpoint.path())
                .field(&e.body);
        }
    }

    fn attribution_json(&self, now: u64) -> String {
        let Some(r) = attribution::live(&self.state, now) else {
            return String::from("null");
        };
        let mut o = Object::new();
        o.str("affiliate", &r.affiliate)
            .str("via", r.via.as_str())
            .str("at", &rfc3339(r.at))
            .str("expires", &rfc3339(r.expires))
            .opt_str("click_id", r.click_id.as_deref())
            .opt_str("campaign", r.campaign.as_deref())
            .str("token", &decorate::token(r));
        o.finish()
    }

    /// The cross-domain token for a link ([`Link`]), when its host is in the decorate list and a
    /// referral is live.
    fn token_for(&self, link: &str, now: u64) -> Option<String> {
        let r = attribution::live(&self.state, now)?;
        let host = Link::parse(link).host;
        decorate::host_matches(host, &self.cfg.decorate).then(|| decorate::token(r))
    }

    /// The link ([`Link`]) with the token set in its query; `None` when it gets none.
    fn decorate_url(&self, link: &str, now: u64) -> Option<String> {
        let token = self.token_for(link, now)?;
        let l = Link::parse(link);
        let mut out = String::from(l.origin);
        out.push_str(if l.path.is_empty() { "/" } else { l.path });
        out.push('?');
        out.push_str(&decorate::decorate_pairs(l.query, &token));
        if !l.fragment.is_empty() {
            out.push('#');
            out.push_str(l.fragment);
        }
        Some(out)
    }

    /// Keeps the click id the server answered, so later reports and tokens carry it.
    fn remember_click_id(&mut self, answer: &str, now: u64, effects: &mut Effects) {
        let Some(id) = report::click_id_from_answer(answer) else {
            return;
        };
        if let Some(r) = self.state.referral.as_mut() {
            if r.click_id.is_none() {
                r.click_id = Some(id);
                self.persist(true, true, now, effects);
            }
        }
    }
}

fn warn(effects: &mut Effects, code: &str, detail: &str) {
    effects.warn(code, detail);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::effects::{Effect, RS};
    use alloc::format;
    use alloc::string::ToString;
    use alloc::vec;

    const NOW: u64 = 1_795_392_000;

    /// A page on `path?query#fragment`, its pairs and path id decoded by the core's parser as
    /// the runtime decodes them with the browser's.
    fn page<'a>(path: &'a str, query: &'a str, fragment: &'a str) -> Page<'a> {
        let d = capture::parse(&Address {
            path,
            query,
            fragment,
        });
        let d: &'static capture::Decoded = alloc::boxed::Box::leak(alloc::boxed::Box::new(d));
        Page {
            href: "https://www.shop.test/",
            host: "www.shop.test",
            path,
            path_id: &d.path_id,
            query,
            query_pairs: &d.query,
            fragment,
            fragment_pairs: &d.fragment,
            https: true,
            now: NOW,
            seed: 42,
            ..Page::default()
        }
    }

    fn settings(pairs: &[(&str, &str)]) -> String {
        let mut all = vec![("endpoint", "https://www.shop.test/rt")];
        all.extend_from_slice(pairs);
        all.iter()
            .map(|(n, v)| format!("{n}{US}{v}"))
            .collect::<Vec<_>>()
            .join(&RS.to_string())
    }

    fn cookie_value(effects: &[Effect]) -> Option<String> {
        effects.iter().rev().find_map(|e| match e {
            Effect::SetCookie { pair, .. } => pair.strip_prefix("rt_ref=").map(String::from),
            _ => None,
        })
    }

    fn posts(effects: &[Effect]) -> Vec<(String, serde_json::Value)> {
        effects
            .iter()
            .filter_map(|e| match e {
                Effect::Post { id, url, body } => {
                    Some((format!("{id} {url}"), serde_json::from_str(body).unwrap()))
                }
                _ => None,
            })
            .collect()
    }

    #[test]
    fn an_affiliate_link_is_kept_cleaned_and_reported() {
        let (s, fx) = Session::boot(
            &settings(&[]),
            &page("/shoes", "ref=alice&utm_campaign=spring", ""),
        );
        let fx = fx.decode();
        let Some(Effect::SetCookie { attrs, domains, .. }) =
            fx.iter().find(|e| matches!(e, Effect::SetCookie { .. }))
        else {
            panic!("no cookie in {fx:?}")
        };
        assert_eq!(domains, &vec!["shop.test", "www.shop.test"]);
        assert!(attrs.starts_with("; Path=/; Max-Age=2592000"), "{attrs}");
        assert!(attrs.ends_with("; SameSite=Lax; Secure"), "{attrs}");
        let value = cookie_value(&fx).unwrap();
        assert!(fx.contains(&Effect::Store {
            key: STORAGE_KEY,
            value: &value
        }));
        assert!(fx.contains(&Effect::ReplaceAddress("/shoes?utm_campaign=spring")));
        let state = cookie::decode(&value).unwrap();
        assert_eq!(state.referral.unwrap().affiliate.as_str(), "alice");
        let sent = posts(&fx);
        assert_eq!(sent.len(), 1);
        assert!(sent[0].0.ends_with(" https://www.shop.test/rt/v1/clicks"));
        assert_eq!(sent[0].1["affiliate"], "alice");
        assert_eq!(sent[0].1["visitor"], state.visitor.unwrap().as_str());
        assert!(s.in_flight.len() == 1);
    }

    #[test]
    fn the_address_is_left_alone_when_cleaning_is_off() {
        let (_, fx) = Session::boot(
            &settings(&[("clean", "false")]),
            &page("/shoes", "ref=alice", ""),
        );
        let fx = fx.decode();
        assert!(
            !fx.iter().any(|e| matches!(e, Effect::ReplaceAddress(_))),
            "{fx:?}"
        );
        assert!(cookie_value(&fx).is_some());
    }

    #[test]
    fn a_plain_visit_writes_nothing() {
        let (_, fx) = Session::boot(&settings(&[]), &page("/", "", ""));
        let fx = fx.decode();
        assert!(
            fx.iter().all(|e| matches!(e, Effect::Unstore { .. })),
            "{fx:?}"
        );
    }

    #[test]
    fn pending_consent_keeps_in_memory_until_granted() {
        // The site's own setting, or a Google Consent Mode default of `denied` on a site that
        // otherwise needs no consent: both wait for the visitor's choice.
        for site in [
            settings(&[("consent", "pending")]),
            settings(&[("consentModeDefault", "denied")]),
        ] {
            let (mut s, fx) = Session::boot(&site, &page("/", "ref=alice", ""));
            let fx = fx.decode();
            assert!(
                !fx.iter()
                    .any(|e| matches!(e, Effect::SetCookie { .. } | Effect::Store { .. })),
                "{fx:?}"
            );
            let (_, click) = &posts(&fx)[0];
            assert_eq!(click["consent"], "pending");
            assert!(click.get("visitor").is_none());
            let (result, _) = s.call("attribution", "", NOW);
            assert!(result.contains("\"affiliate\":\"alice\""));
            let (_, fx) = s.call("consent", "granted", NOW);
            let fx = fx.decode();
            assert!(cookie_value(&fx).is_some());
            assert!(fx.iter().any(|e| matches!(
                e,
                Effect::Store {
                    key: STORAGE_KEY,
                    ..
                }
            )));
            assert!(
                fx.iter()
                    .any(|e| matches!(e, Effect::Store { key: QUEUE_KEY, .. })),
                "the waiting click is saved"
            );
        }
    }

    #[test]
    fn a_choice_made_before_start_counts_for_the_click() {
        let mut p = page("/", "ref=alice", "");
        p.consent = "granted";
        let (_, fx) = Session::boot(&settings(&[("consent", "pending")]), &p);
        let fx = fx.decode();
        assert!(cookie_value(&fx).is_some(), "{fx:?}");
        let (_, click) = &posts(&fx)[0];
        assert_eq!(click["consent"], "granted");
        assert!(click.get("visitor").is_some());
        // Not a consent state: no choice, the site's setting stands.
        p.consent = "yes";
        let (_, fx) = Session::boot(&settings(&[("consent", "pending")]), &p);
        assert_eq!(posts(&fx.decode())[0].1["consent"], "pending");
    }

    #[test]
    fn denied_consent_and_gpc_remove_what_was_stored() {
        for (cfg, gpc) in [
            (settings(&[("consent", "denied")]), false),
            (settings(&[]), true),
        ] {
            let mut p = page("/", "ref=alice", "");
            p.gpc = gpc;
            let (_, fx) = Session::boot(&cfg, &p);
            let fx = fx.decode();
            assert!(fx.iter().any(|e| matches!(e, Effect::RemoveCookie { .. })));
            assert!(!fx
                .iter()
                .any(|e| matches!(e, Effect::SetCookie { .. } | Effect::Store { .. })));
            assert_eq!(posts(&fx)[0].1["consent"], "denied");
        }
    }

    #[test]
    fn the_click_id_answer_is_kept() {
        let (mut s, fx) = Session::boot(&settings(&[]), &page("/", "ref=alice", ""));
        let fx = fx.decode();
        let id = match fx.iter().find(|e| matches!(e, Effect::Post { .. })) {
            Some(Effect::Post { id, .. }) => id.to_string(),
            _ => panic!(),
        };
        let fx = s.answer(&id, 201, r#"{"click_id":"c_77","affiliate":"alice"}"#, NOW);
        let fx = fx.decode();
        let state = cookie::decode(&cookie_value(&fx).unwrap()).unwrap();
        assert_eq!(state.referral.unwrap().click_id.as_deref(), Some("c_77"));
        assert!(fx.contains(&Effect::Unstore { key: QUEUE_KEY }));
    }

    #[test]
    fn failed_reports_wait_and_are_not_sent_twice_at_once() {
        let (mut s, fx) = Session::boot(&settings(&[]), &page("/", "ref=alice", ""));
        let fx = fx.decode();
        assert_eq!(posts(&fx).len(), 1);
        let (_, fx) = s.call(
            "conversion",
            &format!("order_id{US}A-1{RS}amount{US}4990{RS}currency{US}THB"),
            NOW,
        );
        let fx = fx.decode();
        let sent = posts(&fx);
        assert_eq!(
            sent.len(),
            1,
            "the click is in flight, only the sale goes: {sent:?}"
        );
        assert_eq!(sent[0].1["touch"]["affiliate"], "alice");
        assert_eq!(sent[0].1["idempotency_key"], "A-1");
        let fx = s.answer("A-1", 503, "", NOW);
        let fx = fx.decode();
        let stored = fx.iter().find_map(|e| match e {
            Effect::Store {
                key: QUEUE_KEY,
                value,
            } => Some(*value),
            _ => None,
        });
        let queue = queue::decode(stored.unwrap());
        assert!(queue.iter().any(|e| e.key == "A-1" && e.attempts == 1));
        // The next page sends it again, with the same key.
        let mut next = page("/thanks", "", "");
        let q = queue::encode(&queue);
        next.queue = &q;
        let (_, fx) = Session::boot(&settings(&[]), &next);
        let fx = fx.decode();
        assert!(posts(&fx)
            .iter()
            .any(|(_, b)| b["idempotency_key"] == "A-1"));
        // A 400 drops it (a retry would not fix it) and tells the console.
        let fx = s.answer("A-1", 400, "{\"error\":{}}", NOW);
        let fx = fx.decode();
        assert!(fx.iter().any(|e| matches!(
            e,
            Effect::Warn {
                code: "refused",
                ..
            }
        )));
        assert!(!s.queue.iter().any(|e| e.key == "A-1"));
    }

    #[test]
    fn a_lost_cookie_is_restored_from_storage() {
        let (_, fx) = Session::boot(&settings(&[]), &page("/", "ref=alice", ""));
        let fx = fx.decode();
        let value = cookie_value(&fx).unwrap();
        let mut p = page("/next", "", "");
        p.stored = &value;
        let (_, fx) = Session::boot(&settings(&[]), &p);
        let fx = fx.decode();
        assert_eq!(cookie_value(&fx).as_deref(), Some(value.as_str()));
        let cookies = format!("other=1; rt_ref={value}");
        let mut p = page("/next", "", "");
        p.cookies = &cookies;
        let (_, fx) = Session::boot(&settings(&[]), &p);
        let fx = fx.decode();
        assert!(fx.contains(&Effect::Store {
            key: STORAGE_KEY,
            value: &value
        }));
        assert!(cookie_value(&fx).is_none(), "the cookie is fine as it is");
    }

    #[test]
    fn decorate_adds_the_token_for_listed_hosts_only() {
        let (mut s, fx) = Session::boot(
            &settings(&[("decorate", "pay.example")]),
            &page("/", "ref=alice", ""),
        );
        let fx = fx.decode();
        assert!(fx.contains(&Effect::Decorate));
        let link = Link::wire("https://pay.example/checkout?cart=7&&rt=old&r%74=older#top");
        let (url, _) = s.call("decorate", &link, NOW);
        assert!(
            url.starts_with("https://pay.example/checkout?cart=7&rt=1~alice~"),
            "{url}"
        );
        assert!(url.ends_with("#top") && !url.contains("old"), "{url}");
        let (url, _) = s.call(
            "decorate",
            &Link::wire("https://User@Pay.Example:8443"),
            NOW,
        );
        assert!(
            url.starts_with("https://User@Pay.Example:8443/?rt=1~alice~"),
            "{url}"
        );
        // No token: nothing (the runtime gives the link back as it was).
        let (same, _) = s.call("decorate", &Link::wire("https://evilpay.example/x"), NOW);
        assert_eq!(same, "");
        for not_a_link in [
            "",
            "javascript:alert(1)",
            "pay.example/x",
            "\u{1f}\u{1f}\u{1f}",
        ] {
            assert_eq!(Link::wire(not_a_link), "");
            assert_eq!(s.call("decorate", &Link::wire(not_a_link), NOW).0, "");
            assert_eq!(s.call("token", &Link::wire(not_a_link), NOW).0, "");
        }
        let (token, _) = s.call("token", &Link::wire("https://pay.example/"), NOW);
        assert!(decorate::parse_token(&token).is_some());
        assert_eq!(
            s.call("token", &Link::wire("http://x.pay.example.evil.test/"), NOW)
                .0,
            ""
        );
    }

    #[test]
    fn misuse_is_reported_not_thrown() {
        let (mut s, _) = Session::boot(
            &settings(&[("window", "9999"), ("nope", "1")]),
            &page("/", "", ""),
        );
        for (name, arg, code) in [
            (
                "conversion",
                format!("order_id{US}A{RS}amount{US}1.5{RS}currency{US}USD"),
                "invalid_amount",
            ),
            ("conversion", "garbage".to_string(), "invalid_arguments"),
            ("consent", "maybe".to_string(), "invalid_consent"),
            ("explode", String::new(), "unknown_command"),
        ] {
            let (_, fx) = s.call(name, &arg, NOW);
            let fx = fx.decode();
            assert!(
                fx.iter()
                    .any(|e| matches!(e, Effect::Warn { code: c, .. } if *c == code)),
                "{name}: {fx:?}"
            );
        }
        assert_eq!(s.call("attribution", "", NOW).0, "null");
    }

    #[test]
    fn page_wire_form() {
        let wire = [
            "https://x.test/?a",
            "x.test",
            "/",
            "",
            "?a",
            "a\u{1c}a\u{1c}\u{1d}",
            "#b",
            "b\u{1c}b\u{1c}\u{1d}",
            "1",
            "r",
            "",
            "c=1",
            "",
            "",
            "0",
            "1795392000123",
            "ff",
            "granted",
        ]
        .join(&US.to_string());
        let p = Page::parse(&wire).unwrap();
        assert_eq!(
            (p.query, p.fragment, p.https, p.gpc, p.now, p.seed),
            ("a", "b", true, false, NOW, 255)
        );
        assert_eq!(
            (p.query_pairs, p.referrer, p.cookies),
            ("a\u{1c}a\u{1c}\u{1d}", "r", "c=1")
        );
        assert_eq!(p.consent, "granted");
        assert!(Page::parse("too\u{1f}short").is_none());
    }
}
