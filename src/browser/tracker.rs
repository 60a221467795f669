//! The tracker: one per page, tying the page, storage and network edges to the pure core.

use super::{args, net, page, store};
use crate::attribution;
use crate::capture::{self, Address};
use crate::config::Config;
use crate::consent::{self, Consent, Signals};
use crate::cookie;
use crate::decorate;
use crate::persist;
use crate::queue::{self, Endpoint, Entry};
use crate::report::{self, Context};
use crate::state::{is_valid_visitor, State};
use crate::time::rfc3339;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;
use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

/// localStorage key of the state's second copy (same encoding as the cookie).
const STORAGE_KEY: &str = "rt_ref";
/// localStorage key of the retry queue.
const QUEUE_KEY: &str = "rt_queue";

struct Tracker {
    cfg: Config,
    explicit: Option<Consent>,
    gpc: bool,
    host: String,
    https: bool,
    state: State,
    queue: Vec<Entry>,
}

/// The page's one tracker. wasm32 without threads is single-threaded, so a `RefCell` in a
/// static is sound; the wrapper only states that.
struct Slot(RefCell<Option<Tracker>>);
// SAFETY: wasm32-unknown-unknown without the atomics feature has one thread.
unsafe impl Sync for Slot {}
static TRACKER: Slot = Slot(RefCell::new(None));

fn with<R>(f: impl FnOnce(&mut Tracker) -> R) -> Option<R> {
    TRACKER.0.try_borrow_mut().ok()?.as_mut().map(f)
}

fn apply_options(cfg: &mut Config, options: &JsValue) {
    if !options.is_object() {
        return;
    }
    for key in Object::keys(options.unchecked_ref::<Object>()).iter() {
        let Some(name) = key.as_string() else {
            continue;
        };
        let Some(value) = args::text(&args::get(options, &name)) else {
            page::warn("invalid_setting", &name);
            continue;
        };
        if let Err(e) = cfg.apply(&name, &value) {
            page::warn(e.as_str(), &name);
        }
    }
}

pub fn start(options: &JsValue, queued: &JsValue) {
    if TRACKER.0.borrow().is_some() {
        return page::warn("already_started", "");
    }
    let calls: Vec<JsValue> = queued
        .dyn_ref::<Array>()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let mut cfg = Config::default();
    apply_options(&mut cfg, options);
    // `config` calls queued before the wasm arrived apply before the capture.
    for call in &calls {
        if Reflect::get(call, &0.into())
            .ok()
            .and_then(|c| c.as_string())
            .as_deref()
            == Some("config")
        {
            apply_options(
                &mut cfg,
                &Reflect::get(call, &1.into()).unwrap_or(JsValue::UNDEFINED),
            );
        }
    }
    let Some(loc) = page::location() else { return };
    let (state, repair) = persist::reconcile(
        store::cookie(cookie::NAME).as_deref(),
        store::get(STORAGE_KEY).as_deref(),
    );
    let queue = store::get(QUEUE_KEY)
        .map(|q| queue::decode(&q))
        .unwrap_or_default();
    let mut t = Tracker {
        cfg,
        explicit: None,
        gpc: page::gpc(),
        host: loc.host.clone(),
        https: loc.https,
        state,
        queue,
    };

    let now = page::now();
    let address = Address {
        path: &loc.path,
        query: &loc.query,
        fragment: &loc.fragment,
    };
    let referrer = page::referrer();
    let touch = capture::capture(&address, &referrer, &loc.host, now, &t.cfg.capture);
    if touch.affiliate.is_some() {
        t.state = attribution::decide(&t.state, &touch, &t.cfg.policy, now);
    }
    if t.consent() == Consent::Granted && t.has_attribution() {
        t.persist(repair.cookie || touch.affiliate.is_some(), repair.storage);
    } else if t.consent() == Consent::Denied {
        t.forget();
    }
    if t.cfg.clean {
        if let Some(clean) = capture::clean(&address, &t.cfg.capture) {
            page::replace_address(&clean);
        }
    }
    if touch.affiliate.is_some() {
        let visitor = t.visitor_if_granted();
        let body = report::click_body(
            &touch,
            &loc.href,
            &referrer,
            t.consent(),
            visitor.as_deref(),
        );
        t.enqueue(Endpoint::Clicks, body, page::random_id(20));
    }
    if !t.cfg.decorate.is_empty() {
        install_decorator();
    }
    *TRACKER.0.borrow_mut() = Some(t);

    for call in &calls {
        let get = |i: u32| Reflect::get(call, &i.into()).unwrap_or(JsValue::UNDEFINED);
        if let Some(name) = get(0).as_string() {
            if name != "config" {
                command(&name, &get(1), &get(2));
            }
        }
    }
    flush();
}

pub fn command(name: &str, a: &JsValue, b: &JsValue) -> JsValue {
    let result = match name {
        "consent" => {
            match a.as_string().as_deref().and_then(Consent::parse) {
                Some(c) => {
                    with(|t| t.set_consent(c));
                    flush();
                }
                None => page::warn("invalid_consent", ""),
            }
            JsValue::UNDEFINED
        }
        "lead" => {
            let body = args::lead(a).and_then(|lead| {
                let key = page::random_id(20);
                with(|t| report::lead_body(&lead, &t.context(&key)))
                    .unwrap_or(Err(crate::report::ReportError::Event))
                    .map(|body| (body, key))
            });
            match body {
                Ok((body, key)) => {
                    with(|t| t.enqueue(Endpoint::Leads, body, key));
                    flush();
                }
                Err(e) => page::warn(e.as_str(), "lead"),
            }
            JsValue::UNDEFINED
        }
        "conversion" => {
            match args::sale(a) {
                Ok(sale) => {
                    // The order id keys the sale: a page reloaded after checkout sends the
                    // same key, and the server answers the first result.
                    let key = sale.order_id.clone();
                    match with(|t| report::sale_body(&sale, &t.context(&key))) {
                        Some(Ok(body)) => {
                            with(|t| t.enqueue(Endpoint::Sales, body, key));
                            flush();
                        }
                        Some(Err(e)) => page::warn(e.as_str(), "conversion"),
                        None => {}
                    }
                }
                Err(e) => page::warn(e.as_str(), "conversion"),
            }
            JsValue::UNDEFINED
        }
        "attribution" => with(|t| t.attribution_object()).unwrap_or(JsValue::NULL),
        "decorate" => match a.as_string() {
            Some(url) => with(|t| t.decorate_url(&url))
                .flatten()
                .map(|u| JsValue::from_str(&u))
                .unwrap_or_else(|| a.clone()),
            None => a.clone(),
        },
        "config" => {
            page::warn("config_after_start", "");
            JsValue::UNDEFINED
        }
        _ => {
            page::warn("unknown_command", name);
            JsValue::UNDEFINED
        }
    };
    // A function as the last argument receives the result (`reftrail('attribution', cb)`).
    for f in [a, b] {
        if let Some(f) = f.dyn_ref::<Function>() {
            let _ = f.call1(&JsValue::NULL, &result);
        }
    }
    result
}

impl Tracker {
    fn consent(&self) -> Consent {
        consent::resolve(&Signals {
            site_default: self.cfg.consent,
            explicit: self.explicit,
            gpc: self.gpc,
            honour_gpc: self.cfg.honour_gpc,
        })
    }

    fn visitor_if_granted(&self) -> Option<String> {
        (self.consent() == Consent::Granted)
            .then(|| self.state.visitor.clone())
            .flatten()
    }

    /// Whether there is anything worth keeping: a visit without a referral writes nothing.
    fn has_attribution(&self) -> bool {
        self.state.referral.is_some() || !self.state.trail.is_empty()
    }

    fn ensure_visitor(&mut self) {
        if !self.state.visitor.as_deref().is_some_and(is_valid_visitor) {
            self.state.visitor = Some(page::random_id(20));
        }
    }

    fn context<'a>(&'a self, key: &'a str) -> Context<'a> {
        let granted = self.consent() == Consent::Granted;
        Context {
            referral: attribution::live(&self.state, page::now()),
            visitor: if granted {
                self.state.visitor.as_deref()
            } else {
                None
            },
            key: self.cfg.key.as_deref(),
            idempotency_key: Some(key),
        }
    }

    /// Writes the state (cookie and/or storage, each also when it differs from what is
    /// stored) and the queue; only with consent.
    fn persist(&mut self, cookie_too: bool, storage_too: bool) {
        if self.consent() != Consent::Granted {
            return;
        }
        self.save_queue();
        if !self.has_attribution() {
            return;
        }
        self.ensure_visitor();
        let value = cookie::encode(&self.state);
        let now = page::now();
        let max_age = cookie::max_age(
            &self.state,
            now,
            u64::from(self.cfg.policy.window_days) * 86_400,
        );
        if cookie_too || store::cookie(cookie::NAME).as_deref() != Some(value.as_str()) {
            store::set_cookie(&self.host, cookie::NAME, &value, max_age, self.https);
        }
        if storage_too || store::get(STORAGE_KEY).as_deref() != Some(value.as_str()) {
            store::put(STORAGE_KEY, &value);
        }
    }

    fn save_queue(&self) {
        if self.consent() != Consent::Granted {
            return;
        }
        if self.queue.is_empty() {
            store::remove(QUEUE_KEY);
        } else {
            store::put(QUEUE_KEY, &queue::encode(&self.queue));
        }
    }

    /// Removes every stored copy (consent denied).
    fn forget(&mut self) {
        store::remove_cookie(&self.host, cookie::NAME, self.https);
        store::remove(STORAGE_KEY);
        store::remove(QUEUE_KEY);
    }

    fn set_consent(&mut self, c: Consent) {
        self.explicit = Some(c);
        match self.consent() {
            Consent::Granted => self.persist(true, true),
            Consent::Denied => {
                self.state.visitor = None;
                self.forget();
            }
            Consent::Pending => {}
        }
    }

    fn enqueue(&mut self, endpoint: Endpoint, body: String, key: String) {
        let entry = Entry {
            endpoint,
            key,
            at: page::now(),
            attempts: 0,
            body,
        };
        queue::push(&mut self.queue, entry, page::now());
        self.save_queue();
    }

    fn attribution_object(&self) -> JsValue {
        let Some(r) = attribution::live(&self.state, page::now()) else {
            return JsValue::NULL;
        };
        let o = Object::new();
        let set = |k: &str, v: JsValue| {
            let _ = Reflect::set(&o, &JsValue::from_str(k), &v);
        };
        let opt = |v: Option<&str>| v.map_or(JsValue::NULL, JsValue::from_str);
        set("affiliate", JsValue::from_str(&r.affiliate));
        set("via", JsValue::from_str(r.via.as_str()));
        set("at", JsValue::from_str(&rfc3339(r.at)));
        set("expires", JsValue::from_str(&rfc3339(r.expires)));
        set("click_id", opt(r.click_id.as_deref()));
        set("campaign", opt(r.campaign.as_deref()));
        set("token", JsValue::from_str(&decorate::token(r)));
        o.into()
    }

    /// `url` with the cross-domain token, when its host is in the decorate list and there is
    /// a live referral.
    fn decorate_url(&self, url: &str) -> Option<String> {
        let r = attribution::live(&self.state, page::now())?;
        let (host, addr) = capture::split_url(url)?;
        if !decorate::host_matches(&host, &self.cfg.decorate) {
            return None;
        }
        let query = decorate::decorate_href(addr.query, &decorate::token(r));
        let scheme_end = url.find("://")? + 3;
        let after_scheme = url.get(scheme_end..)?;
        let authority_end = after_scheme
            .find(['/', '?', '#'])
            .unwrap_or(after_scheme.len());
        let mut out = String::from(url.get(..scheme_end + authority_end)?);
        out.push_str(if addr.path.is_empty() { "/" } else { addr.path });
        out.push('?');
        out.push_str(&query);
        if !addr.fragment.is_empty() {
            out.push('#');
            out.push_str(addr.fragment);
        }
        Some(out)
    }

    /// Records the click id the server answered, so later reports and tokens carry it.
    fn remember_click_id(&mut self, answer: &str) {
        let Some(id) = report::click_id_from_answer(answer) else {
            return;
        };
        if let Some(r) = self.state.referral.as_mut() {
            if r.click_id.is_none() {
                r.click_id = Some(id);
                self.persist(false, false);
            }
        }
    }
}

/// Sends every queued report once; delivered ones (and ones the server refused as invalid,
/// which a retry would not fix) leave the queue, the rest wait for the next page.
fn flush() {
    let Some((endpoint, entries)) = with(|t| {
        queue::prune(&mut t.queue, page::now());
        (t.cfg.endpoint.clone(), t.queue.clone())
    }) else {
        return;
    };
    if endpoint.is_empty() {
        return;
    }
    for entry in entries {
        let mut url = endpoint.clone();
        url.push_str(entry.endpoint.path());
        let key = entry.key.clone();
        let is_click = entry.endpoint == Endpoint::Clicks;
        net::post(&url, &entry.body, move |status, text| {
            with(|t| {
                let retry = status == 0 || status == 408 || status == 429 || status >= 500;
                if let Some(e) = t.queue.iter_mut().find(|e| e.key == key) {
                    e.attempts += 1;
                }
                if !retry {
                    t.queue.retain(|e| e.key != key);
                    if (200..300).contains(&status) && is_click {
                        t.remember_click_id(&text);
                    } else if !(200..300).contains(&status) {
                        page::warn("refused", &text);
                    }
                }
                t.save_queue();
            });
        });
    }
}

/// Adds the cross-domain token to links and forms to the decorate list as they are used
/// (click, middle click, submit), so links added later by the page are covered too.
fn install_decorator() {
    use wasm_bindgen::closure::Closure;
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let handler = Closure::<dyn FnMut(web_sys::Event)>::new(|event: web_sys::Event| {
        let Some(el) = event
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        else {
            return;
        };
        if let Ok(Some(a)) = el.closest("a[href]") {
            let Some(a) = a.dyn_ref::<web_sys::HtmlAnchorElement>() else {
                return;
            };
            if let Some(url) = with(|t| t.decorate_url(&a.href())).flatten() {
                a.set_href(&url);
            }
        } else if let Some(form) = el.dyn_ref::<web_sys::HtmlFormElement>() {
            let token = with(|t| {
                attribution::live(&t.state, page::now())
                    .filter(|_| {
                        capture::split_url(&form.action())
                            .is_some_and(|(h, _)| decorate::host_matches(&h, &t.cfg.decorate))
                    })
                    .map(decorate::token)
            })
            .flatten();
            if let Some(token) = token {
                let Some(doc) = form.owner_document() else {
                    return;
                };
                let Ok(input) = doc.create_element("input") else {
                    return;
                };
                let _ = input.set_attribute("type", "hidden");
                let _ = input.set_attribute("name", "rt");
                let _ = input.set_attribute("value", &token);
                let _ = form.append_child(&input);
            }
        }
    });
    for event in ["click", "auxclick", "submit"] {
        let _ = doc.add_event_listener_with_callback_and_bool(
            event,
            handler.as_ref().unchecked_ref(),
            true,
        );
    }
    handler.forget();
}
