//! The browser's settings: read from the script tag's `data-*` attributes, from
//! `reftrail('config', {...})` calls and from the ES module's options, all as strings.
//!
//! Parsing them is pure so it is tested natively; a bad value is refused with a named error
//! (logged in the console by the browser edge) and the previous value stays.

use crate::attribution::{Model, Policy};
use crate::capture::CaptureConfig;
use crate::consent::Consent;
use alloc::string::String;
use alloc::vec::Vec;

/// Everything the browser edge needs to know about the program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Base URL of the endpoint (`https://shop.example/rt`, or `/rt` on the same origin), no
    /// trailing slash. Empty: nothing is reported.
    pub endpoint: String,
    /// The publishable key (`pk_…`).
    pub key: Option<String>,
    /// Consent before the site says anything (`data-consent`).
    pub consent: Consent,
    /// The page's Google Consent Mode default for `ad_storage`, which the runtime reads from
    /// `window.dataLayer` and passes as the setting `consentModeDefault`.
    pub consent_mode_default: Option<Consent>,
    /// Whether Global Privacy Control counts as a refusal.
    pub honour_gpc: bool,
    /// What to read from the address.
    pub capture: CaptureConfig,
    /// Who gets the credit, and for how long.
    pub policy: Policy,
    /// Hosts whose links and forms carry the attribution across domains.
    pub decorate: Vec<String>,
    /// Whether to remove the referral parameters from the address bar after capture.
    pub clean: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            endpoint: String::new(),
            key: None,
            consent: Consent::Granted,
            consent_mode_default: None,
            honour_gpc: true,
            capture: CaptureConfig::default(),
            policy: Policy::default(),
            decorate: Vec::new(),
            clean: true,
        }
    }
}

/// Why a setting was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// Not a setting this version knows.
    UnknownSetting,
    /// The endpoint is not an http(s) URL or an absolute path.
    Endpoint,
    /// The key is not a publishable key; a secret key (`sk_…`) must never be in a page.
    Key,
    /// Not `granted`, `denied` or `pending`.
    Consent,
    /// Not `true` or `false`.
    Boolean,
    /// A parameter name or path prefix is empty, too long or has characters outside
    /// `[A-Za-z0-9_-]`.
    Param,
    /// The window is not a whole number of days from 1 to 400.
    Window,
    /// Not `last` or `first`.
    Model,
    /// A domain to decorate is not a plain host name.
    Domain,
}

impl ConfigError {
    /// A stable, snake_case name for the error.
    pub const fn as_str(self) -> &'static str {
        match self {
            ConfigError::UnknownSetting => "unknown_setting",
            ConfigError::Endpoint => "invalid_endpoint",
            ConfigError::Key => "invalid_key",
            ConfigError::Consent => "invalid_consent",
            ConfigError::Boolean => "invalid_boolean",
            ConfigError::Param => "invalid_param",
            ConfigError::Window => "invalid_window",
            ConfigError::Model => "invalid_model",
            ConfigError::Domain => "invalid_domain",
        }
    }
}

fn boolean(v: &str) -> Result<bool, ConfigError> {
    match v {
        "true" | "1" | "" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(ConfigError::Boolean),
    }
}

/// The non-empty, trimmed items of a comma-separated list, ASCII lower-cased if `lower`.
fn list(v: &str, lower: bool) -> Vec<String> {
    let mut out = Vec::new();
    for item in crate::text::split(v, b',') {
        let item = crate::text::trim(item);
        if !item.is_empty() {
            let mut item = String::from(item);
            if lower {
                item.make_ascii_lowercase();
            }
            out.push(item);
        }
    }
    out
}

fn param_name(s: &str) -> bool {
    (1..=32).contains(&s.len()) && crate::text::alnum_or(s.as_bytes(), b"_-")
}

fn host_name(s: &str) -> bool {
    s.len() <= 253
        && crate::text::dotted(s.as_bytes())
        && crate::text::alnum_or(s.as_bytes(), b"-.")
}

impl Config {
    /// Applies one setting by its `data-*` name in camelCase (as `element.dataset` gives it).
    pub fn apply(&mut self, name: &str, value: &str) -> Result<(), ConfigError> {
        let value = crate::text::trim(value);
        match name {
            "endpoint" => {
                let end = value.bytes().rposition(|b| b != b'/').map_or(0, |i| i + 1);
                let v = value.get(..end).unwrap_or("");
                let ok = v.is_empty()
                    || v.starts_with("https://")
                    || v.starts_with("http://")
                    || (v.starts_with('/') && !v.starts_with("//"));
                if !ok || v.len() > 512 || v.bytes().any(|b| b <= b' ' || b == b'"') {
                    return Err(ConfigError::Endpoint);
                }
                self.endpoint = v.into();
            }
            "key" => {
                let ok = value.starts_with("pk_")
                    && value.len() <= 128
                    && crate::text::alnum_or(value.as_bytes(), b"_");
                if !ok {
                    return Err(ConfigError::Key);
                }
                self.key = Some(value.into());
            }
            "consent" => self.consent = Consent::parse(value).ok_or(ConfigError::Consent)?,
            "consentModeDefault" => {
                let c = Consent::parse(value).filter(|c| *c != Consent::Pending);
                self.consent_mode_default = Some(c.ok_or(ConfigError::Consent)?);
            }
            "gpc" => self.honour_gpc = boolean(value)?,
            "clean" => self.clean = boolean(value)?,
            "fragment" => self.capture.fragment = boolean(value)?,
            "params" => {
                let names = list(value, false);
                if names.is_empty() || names.len() > 16 || !names.iter().all(|n| param_name(n)) {
                    return Err(ConfigError::Param);
                }
                self.capture.params = names;
            }
            "pathPrefix" => {
                if !value.is_empty() && !param_name(value) {
                    return Err(ConfigError::Param);
                }
                self.capture.path_prefix = value.into();
            }
            "window" => {
                // As `u32::from_str` reads it: an optional `+`, then decimal digits.
                let digits = match value.as_bytes() {
                    [b'+', rest @ ..] => rest,
                    all => all,
                };
                let days = crate::text::parse_num(digits, 10)
                    .filter(|d| (1..=u64::from(crate::attribution::MAX_WINDOW_DAYS)).contains(d))
                    .ok_or(ConfigError::Window)?;
                self.policy = Policy::new(self.policy.model, days as u32);
            }
            "model" => {
                let model = match value {
                    "last" => Model::LastClick,
                    "first" => Model::FirstClick,
                    _ => return Err(ConfigError::Model),
                };
                self.policy = Policy::new(model, u32::from(self.policy.window_days));
            }
            "decorate" => {
                let hosts = list(value, true);
                if hosts.len() > 32 || !hosts.iter().all(|h| host_name(h)) {
                    return Err(ConfigError::Domain);
                }
                self.decorate = hosts;
            }
            _ => return Err(ConfigError::UnknownSetting),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    macro_rules! ok {
        ($name:expr, $value:expr, |$c:ident| $check:expr) => {{
            let mut $c = Config::default();
            assert_eq!($c.apply($name, $value), Ok(()), "{} = {:?}", $name, $value);
            assert!($check, "{} = {:?}", $name, $value);
        }};
    }
    macro_rules! err {
        ($name:expr, $value:expr, $err:expr) => {{
            let mut c = Config::default();
            assert_eq!(
                c.apply($name, $value),
                Err($err),
                "{} = {:?}",
                $name,
                $value
            );
            assert_eq!(c, Config::default(), "a refused setting changes nothing");
        }};
    }

    #[test]
    fn defaults() {
        let c = Config::default();
        assert_eq!(c.consent, Consent::Granted);
        assert!(c.honour_gpc && c.clean);
        assert_eq!(c.policy, Policy::default());
        assert_eq!(c.capture.params, vec!["ref", "aff", "via", "affiliate"]);
    }

    #[test]
    fn settings_table() {
        ok!("endpoint", "https://shop.example/rt/", |c| c.endpoint
            == "https://shop.example/rt");
        ok!("endpoint", "/rt", |c| c.endpoint == "/rt");
        ok!("endpoint", "http://127.0.0.1:8080", |c| c.endpoint
            == "http://127.0.0.1:8080");
        err!("endpoint", "//evil.example", ConfigError::Endpoint);
        err!("endpoint", "javascript:alert(1)", ConfigError::Endpoint);
        err!("endpoint", "https://a b", ConfigError::Endpoint);
        ok!("key", "pk_live_abc123", |c| c.key.as_deref()
            == Some("pk_live_abc123"));
        err!("key", "sk_live_abc123", ConfigError::Key);
        err!("key", "pk_<script>", ConfigError::Key);
        ok!("consent", "pending", |c| c.consent == Consent::Pending);
        err!("consent", "maybe", ConfigError::Consent);
        ok!("consentModeDefault", "denied", |c| c.consent_mode_default
            == Some(Consent::Denied));
        ok!("consentModeDefault", "granted", |c| c.consent_mode_default
            == Some(Consent::Granted));
        err!("consentModeDefault", "pending", ConfigError::Consent);
        ok!("gpc", "false", |c| !c.honour_gpc);
        ok!("clean", "false", |c| !c.clean);
        ok!("fragment", "0", |c| !c.capture.fragment);
        err!("clean", "no", ConfigError::Boolean);
        ok!("params", "ref, via", |c| c.capture.params
            == vec!["ref", "via"]);
        err!("params", "", ConfigError::Param);
        err!("params", "ref,a b", ConfigError::Param);
        ok!("pathPrefix", "go", |c| c.capture.path_prefix == "go");
        ok!("pathPrefix", "", |c| c.capture.path_prefix.is_empty());
        err!("pathPrefix", "a/b", ConfigError::Param);
        ok!("window", "60", |c| c.policy.window_days == 60);
        ok!("window", "400", |c| c.policy.window_days == 400);
        err!("window", "401", ConfigError::Window);
        err!("window", "0", ConfigError::Window);
        err!("window", "7.5", ConfigError::Window);
        ok!("model", "first", |c| c.policy.model == Model::FirstClick);
        err!("model", "linear", ConfigError::Model);
        ok!("decorate", "Pay.Example, checkout.other.test", |c| c
            .decorate
            == vec!["pay.example", "checkout.other.test"]);
        err!("decorate", "pay.example/path", ConfigError::Domain);
        err!("decorate", ".pay.example", ConfigError::Domain);
        err!("nope", "1", ConfigError::UnknownSetting);
    }

    #[test]
    fn model_and_window_compose() {
        let mut c = Config::default();
        c.apply("window", "90").unwrap();
        c.apply("model", "first").unwrap();
        assert_eq!(c.policy, Policy::new(Model::FirstClick, 90));
    }
}
