//! Consent: whether anything may be written to the visitor's cookies or storage.
//!
//! Until consent is granted, the browser keeps the touch in memory only; it is persisted the
//! moment consent is granted on the same page. Global Privacy Control is honoured by default: it
//! counts as a refusal unless the visitor then grants consent explicitly on the site.
//!
//! Google Consent Mode is read from the page (`js/runtime.js` watches `window.dataLayer`): an
//! `update` of `ad_storage` is the visitor's choice in the site's consent banner and counts as an
//! explicit call; a `default` of `denied` means the visitor has not chosen yet, so a site default
//! of `granted` becomes `pending` (it never makes the site's own setting more permissive).

/// A consent state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Consent {
    /// Storage allowed.
    Granted,
    /// Storage refused: nothing is written, and what was written before is removed.
    Denied,
    /// Not decided yet: nothing is written, the touch waits in memory.
    Pending,
}

impl Consent {
    /// Parses `granted`, `denied` or `pending` (exactly; anything else is `None`).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "granted" => Some(Consent::Granted),
            "denied" => Some(Consent::Denied),
            "pending" => Some(Consent::Pending),
            _ => None,
        }
    }

    /// The name used in report bodies.
    pub const fn as_str(self) -> &'static str {
        match self {
            Consent::Granted => "granted",
            Consent::Denied => "denied",
            Consent::Pending => "pending",
        }
    }
}

/// What the page tells about consent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signals {
    /// The site's setting (`data-consent`): `Granted` where no consent is required.
    pub site_default: Consent,
    /// The page's Google Consent Mode default for `ad_storage`
    /// (`gtag('consent', 'default', {ad_storage})`), if it states one.
    pub consent_mode_default: Option<Consent>,
    /// The last explicit `reftrail('consent', …)` call on this page, if any.
    pub explicit: Option<Consent>,
    /// Whether the browser sends Global Privacy Control (`navigator.globalPrivacyControl`).
    pub gpc: bool,
    /// Whether the site honours GPC (on by default).
    pub honour_gpc: bool,
}

/// The consent in force: an explicit call wins; otherwise GPC (when honoured) refuses; otherwise
/// the site's default, which a Consent Mode default of `denied` turns from `Granted` into
/// `Pending`.
pub fn resolve(s: &Signals) -> Consent {
    match s.explicit {
        Some(c) => c,
        None if s.gpc && s.honour_gpc => Consent::Denied,
        None if s.site_default == Consent::Granted
            && s.consent_mode_default == Some(Consent::Denied) =>
        {
            Consent::Pending
        }
        None => s.site_default,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Consent::*;

    macro_rules! resolves {
        ($default:expr, $explicit:expr, $gpc:expr, $honour:expr => $want:expr) => {
            resolves!($default, None, $explicit, $gpc, $honour => $want)
        };
        ($default:expr, $mode:expr, $explicit:expr, $gpc:expr, $honour:expr => $want:expr) => {
            assert_eq!(
                resolve(&Signals {
                    site_default: $default,
                    consent_mode_default: $mode,
                    explicit: $explicit,
                    gpc: $gpc,
                    honour_gpc: $honour
                }),
                $want
            );
        };
    }

    #[test]
    fn resolution_table() {
        resolves!(Granted, None, false, true => Granted);
        resolves!(Pending, None, false, true => Pending);
        resolves!(Denied, None, false, true => Denied);
        resolves!(Granted, None, true, true => Denied);
        resolves!(Granted, None, true, false => Granted);
        resolves!(Pending, Some(Granted), false, true => Granted);
        resolves!(Pending, Some(Granted), true, true => Granted);
        resolves!(Granted, Some(Denied), false, true => Denied);
        resolves!(Granted, Some(Pending), false, true => Pending);
    }

    #[test]
    fn a_consent_mode_default_only_ever_waits() {
        // `denied` before the visitor chooses: the touch waits instead of being written.
        resolves!(Granted, Some(Denied), None, false, true => Pending);
        // It never loosens the site's own setting, nor outranks GPC or a choice.
        resolves!(Pending, Some(Denied), None, false, true => Pending);
        resolves!(Denied, Some(Denied), None, false, true => Denied);
        resolves!(Pending, Some(Granted), None, false, true => Pending);
        resolves!(Denied, Some(Granted), None, false, true => Denied);
        resolves!(Granted, Some(Granted), None, true, true => Denied);
        resolves!(Granted, Some(Denied), Some(Granted), false, true => Granted);
        resolves!(Granted, Some(Denied), Some(Denied), false, true => Denied);
    }

    #[test]
    fn parse_is_exact() {
        assert_eq!(Consent::parse("granted"), Some(Granted));
        assert_eq!(Consent::parse("denied"), Some(Denied));
        assert_eq!(Consent::parse("pending"), Some(Pending));
        for bad in ["", "Granted", "yes", "granted ", "1"] {
            assert_eq!(Consent::parse(bad), None, "{bad:?}");
        }
        for c in [Granted, Denied, Pending] {
            assert_eq!(Consent::parse(c.as_str()), Some(c));
        }
    }
}
