//! The merchant's team: who may do what in the dashboard.
//!
//! - **owner**: everything, including the program's settings, the API keys, the team and
//!   privacy requests. The admin password (`REFTRAIL_ADMIN_PASSWORD`) signs in as an owner, and
//!   so do the secret key and the command line.
//! - **manager**: runs the program from day to day: affiliates and applications, referrals and
//!   refunds, payouts, bonuses, creatives; reads the rest, except the keys and the team.
//! - **viewer**: reads the reports, the ledger, the affiliates and the payouts; changes nothing.
//!
//! The checks here are plain functions on plain values; `auth.rs` applies them to requests.

use crate::error::AppError;

/// A member's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Everything.
    Owner,
    /// Everything but the settings, the keys, the team and privacy requests.
    Manager,
    /// Reads; changes nothing.
    Viewer,
}

impl Role {
    /// Every role, most powerful first.
    pub const ALL: [Role; 3] = [Role::Owner, Role::Manager, Role::Viewer];

    /// `owner`, `manager` or `viewer`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Manager => "manager",
            Role::Viewer => "viewer",
        }
    }

    /// Parses a stored or requested role.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether the role may change anything at all.
    pub fn may_change(self) -> bool {
        self != Role::Viewer
    }
}

/// How long an invitation link works, seconds.
pub const INVITE_TTL: i64 = 7 * 86_400;

/// The shortest and longest password, in characters and bytes.
pub const PASSWORD_CHARS: (usize, usize) = (10, 200);

/// The longest name, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// Refuses (400 `invalid_role`) what is not a role.
pub fn check_role(role: &str) -> Result<Role, AppError> {
    Role::parse(role)
        .ok_or_else(|| AppError::bad("invalid_role", "role must be owner, manager or viewer"))
}

/// Refuses (400 `invalid_name`) an empty, overlong or control-character name; answers it
/// trimmed.
pub fn check_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(AppError::bad(
            "invalid_name",
            "name must be 1 to 100 characters, without control characters",
        ));
    }
    Ok(name.to_owned())
}

/// Refuses (400 `invalid_email`) what is not a plain email address; answers it as stored:
/// trimmed and lower-cased, so that one person has one membership however they type it.
pub fn check_email(email: &str) -> Result<String, AppError> {
    let email = email.trim().to_lowercase();
    crate::routes::affiliates::check_email(&Some(email.clone()), "invalid_email")?;
    Ok(email)
}

/// Refuses (400 `weak_password`) a password shorter than 10 characters or longer than 200
/// bytes.
pub fn check_password(password: &str) -> Result<(), AppError> {
    if password.chars().count() < PASSWORD_CHARS.0 || password.len() > PASSWORD_CHARS.1 {
        return Err(AppError::bad(
            "weak_password",
            "the password must be 10 to 200 characters",
        ));
    }
    Ok(())
}

/// The dashboard address an invitation opens, relative to the server's public address.
pub fn invite_path(token: &str) -> String {
    format!("/dashboard/#invite={token}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_only_viewers_change_nothing() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        for bad in ["", "Owner", "admin", "owner ", "viewer\0"] {
            assert_eq!(Role::parse(bad), None, "{bad:?}");
            assert!(check_role(bad).is_err());
        }
        assert!(Role::Owner.may_change() && Role::Manager.may_change());
        assert!(!Role::Viewer.may_change());
    }

    #[test]
    fn names() {
        assert_eq!(check_name("  Lan Nguyễn ").expect("ok"), "Lan Nguyễn");
        assert_eq!(check_name("สมชาย").expect("ok"), "สมชาย");
        assert!(check_name(&"ก".repeat(100)).is_ok());
        for bad in ["", "   ", "a\nb", "a\u{7f}", &"ก".repeat(101)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn emails_are_kept_lower_case() {
        assert_eq!(
            check_email(" Lan@Shop.Example ").expect("ok"),
            "lan@shop.example"
        );
        for bad in [
            "",
            "lan",
            "lan@",
            "@shop.example",
            "a b@shop.example",
            "<a@b.c>",
        ] {
            assert!(check_email(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn passwords() {
        assert!(check_password("0123456789").is_ok());
        assert!(check_password("mật khẩu dài").is_ok());
        assert!(check_password("ยาวพอแล้วนะ").is_ok());
        assert!(check_password("012345678").is_err());
        assert!(check_password(&"x".repeat(201)).is_err());
        // Ten characters, but 30 bytes: characters count, not bytes.
        assert!(check_password(&"ก".repeat(10)).is_ok());
    }

    #[test]
    fn invitation_links_open_the_dashboard() {
        assert_eq!(invite_path("ti_abc"), "/dashboard/#invite=ti_abc");
    }
}
