//! The server's click cookie, `rt_click`: the click id, the signing key's id and an
//! HMAC-SHA256 over both, so a forged or tampered cookie is recognised and ignored.
//!
//! Value: `v1.<click id>.<key id>.<signature>`, where the signature is the unpadded base64url
//! HMAC-SHA256, under the key, of `v1.<click id>.<key id>`. The key id lets keys rotate: cookies
//! signed with an older, unretired key still verify. HttpOnly, SameSite=Lax, Path=/, Secure when
//! the page is served over https.

use crate::credentials::CookieKeys;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The cookie's name.
pub const NAME: &str = "rt_click";

fn mac(secret: &str, payload: &str) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so this never fails.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes any key length");
    m.update(payload.as_bytes());
    m
}

/// The signed value for `click_id` under the current key.
pub fn sign(keys: &CookieKeys, click_id: &str) -> Option<String> {
    let secret = keys.secret(&keys.current)?;
    let payload = format!("v1.{click_id}.{}", keys.current);
    let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(mac(secret, &payload).finalize().into_bytes());
    Some(format!("{payload}.{sig}"))
}

/// Why a cookie value was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Invalid {
    /// Not `v1.<id>.<key>.<sig>`.
    Malformed,
    /// Signed with a key that is unknown or retired.
    UnknownKey,
    /// The signature does not match.
    BadSignature,
}

/// The click id in a cookie value, if its signature verifies.
pub fn verify(keys: &CookieKeys, value: &str) -> Result<String, Invalid> {
    if value.len() > 200 {
        return Err(Invalid::Malformed);
    }
    let rest = value.strip_prefix("v1.").ok_or(Invalid::Malformed)?;
    let mut parts = rest.rsplitn(3, '.');
    let (sig, key_id, click_id) = match (parts.next(), parts.next(), parts.next()) {
        (Some(s), Some(k), Some(c)) => (s, k, c),
        _ => return Err(Invalid::Malformed),
    };
    if !reftrail::affiliate::is_valid(click_id) {
        return Err(Invalid::Malformed);
    }
    let secret = keys.secret(key_id).ok_or(Invalid::UnknownKey)?;
    let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(sig)
        .map_err(|_| Invalid::Malformed)?;
    mac(secret, &format!("v1.{click_id}.{key_id}"))
        .verify_slice(&sig)
        .map_err(|_| Invalid::BadSignature)?;
    Ok(click_id.to_owned())
}

/// The `Set-Cookie` header value.
pub fn set_cookie(value: &str, max_age: i64, secure: bool, domain: Option<&str>) -> String {
    let mut c = format!("{NAME}={value}; Max-Age={max_age}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(d) = domain {
        c.push_str("; Domain=");
        c.push_str(d);
    }
    if secure {
        c.push_str("; Secure");
    }
    c
}

/// The value of cookie `name` in a `Cookie` header.
pub fn find<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> CookieKeys {
        CookieKeys {
            current: "k2".into(),
            keys: vec![
                ("k1".into(), "old secret".into()),
                ("k2".into(), "new secret".into()),
            ],
        }
    }

    #[test]
    fn signs_and_verifies() {
        let v = sign(&keys(), "c_0123456789abc").unwrap();
        assert!(v.starts_with("v1.c_0123456789abc.k2."));
        assert_eq!(verify(&keys(), &v).unwrap(), "c_0123456789abc");
    }

    #[test]
    fn old_keys_still_verify() {
        let old = CookieKeys {
            current: "k1".into(),
            ..keys()
        };
        let v = sign(&old, "c.with.dots").unwrap();
        assert_eq!(verify(&keys(), &v).unwrap(), "c.with.dots");
    }

    #[test]
    fn tampering_is_caught() {
        let v = sign(&keys(), "c_abc").unwrap();
        assert_eq!(
            verify(&keys(), &v.replace("c_abc", "c_abd")),
            Err(Invalid::BadSignature)
        );
        assert_eq!(
            verify(&keys(), &v.replace(".k2.", ".k9.")),
            Err(Invalid::UnknownKey)
        );
        assert_eq!(verify(&keys(), "v1.c_abc"), Err(Invalid::Malformed));
        assert_eq!(verify(&keys(), "garbage"), Err(Invalid::Malformed));
        assert!(verify(&keys(), &format!("{v}x")).is_err());
    }

    #[test]
    fn finds_cookies() {
        assert_eq!(find("a=1; rt_click=v1.x; b=2", NAME), Some("v1.x"));
        assert_eq!(find("a=1", NAME), None);
    }

    #[test]
    fn cookie_attributes() {
        let c = set_cookie("v", 60, true, None);
        assert_eq!(
            c,
            "rt_click=v; Max-Age=60; Path=/; HttpOnly; SameSite=Lax; Secure"
        );
    }
}
