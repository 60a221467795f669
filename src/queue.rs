//! The retry queue: reports that could not be delivered (offline, server down), kept in
//! localStorage and sent again on the next page, with the same idempotency key so the server
//! never counts one twice.
//!
//! One entry per line: `endpoint \t idempotency key \t first try (base 10 secs) \t attempts \t
//! body`. Bodies come from [`crate::report`], whose JSON escapes tabs and newlines, so the line
//! format needs no escaping; a line that does not parse is dropped on read.

use crate::text;
use alloc::string::String;
use alloc::vec::Vec;

/// The most entries kept.
pub const MAX_ENTRIES: usize = 20;
/// The most bytes the encoded queue may take in localStorage.
pub const MAX_BYTES: usize = 32 * 1024;
/// Entries older than this are given up (seconds).
pub const MAX_AGE: u64 = 7 * 86_400;
/// Entries tried this many times are given up.
pub const MAX_ATTEMPTS: u32 = 12;

/// Which route an entry goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `POST /v1/clicks`.
    Clicks,
    /// `POST /v1/leads`.
    Leads,
    /// `POST /v1/sales`.
    Sales,
}

impl Endpoint {
    /// The path under the base URL.
    pub const fn path(self) -> &'static str {
        match self {
            Endpoint::Clicks => "/v1/clicks",
            Endpoint::Leads => "/v1/leads",
            Endpoint::Sales => "/v1/sales",
        }
    }

    fn code(self) -> &'static str {
        match self {
            Endpoint::Clicks => "c",
            Endpoint::Leads => "l",
            Endpoint::Sales => "s",
        }
    }

    fn from_code(s: &str) -> Option<Self> {
        match s {
            "c" => Some(Endpoint::Clicks),
            "l" => Some(Endpoint::Leads),
            "s" => Some(Endpoint::Sales),
            _ => None,
        }
    }
}

/// One report waiting to be sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Where it goes.
    pub endpoint: Endpoint,
    /// Its idempotency key (sent as `Idempotency-Key`).
    pub key: String,
    /// When it was first tried, Unix seconds.
    pub at: u64,
    /// How many times it was tried.
    pub attempts: u32,
    /// The JSON body.
    pub body: String,
}

fn clean_field(s: &str) -> bool {
    !s.bytes().any(|b| b == b'\t' || b == b'\n' || b == b'\r')
}

fn parse_u64(s: &str) -> Option<u64> {
    if s.len() > 19 {
        return None;
    }
    text::parse_num(s.as_bytes(), 10)
}

/// Reads a stored queue; malformed lines are dropped.
pub fn decode(s: &str) -> Vec<Entry> {
    let mut out = Vec::new();
    for line in text::split(s, b'\n') {
        if let Some(e) = decode_line(line) {
            out.push(e);
        }
    }
    out
}

fn decode_line(line: &str) -> Option<Entry> {
    let mut f = [""; 5];
    if text::fields(line, b'\t', &mut f) != 5 {
        return None;
    }
    let [endpoint, key, at, attempts, body] = f;
    let endpoint = Endpoint::from_code(endpoint)?;
    let at = parse_u64(at)?;
    let attempts = u32::try_from(parse_u64(attempts)?).ok()?;
    (!key.is_empty() && body.starts_with('{') && clean_field(body)).then(|| Entry {
        endpoint,
        key: key.into(),
        at,
        attempts,
        body: body.into(),
    })
}

/// Writes a queue for storage.
pub fn encode(entries: &[Entry]) -> String {
    let mut out = String::new();
    for e in entries {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(e.endpoint.code());
        out.push('\t');
        out.push_str(&e.key);
        out.push('\t');
        crate::json::push_u64(&mut out, e.at);
        out.push('\t');
        crate::json::push_u64(&mut out, u64::from(e.attempts));
        out.push('\t');
        out.push_str(&e.body);
    }
    out
}

/// Adds an entry, keeping the bounds: given-up entries go first, then the oldest clicks (a
/// lost click costs less than a lost sale), then the oldest entries. An entry that cannot be
/// stored at all (bad fields, or larger than the whole budget) is refused: returns `false`.
pub fn push(entries: &mut Vec<Entry>, entry: Entry, now: u64) -> bool {
    if entry.key.is_empty() || !clean_field(&entry.key) || !clean_field(&entry.body) {
        return false;
    }
    if entry.body.len() + entry.key.len() + 32 > MAX_BYTES {
        return false;
    }
    remove(entries, Remove::Key(&entry.key));
    entries.push(entry);
    prune(entries, now);
    while entries.len() > MAX_ENTRIES || encode(entries).len() > MAX_BYTES {
        let victim = entries
            .iter()
            .position(|e| e.endpoint == Endpoint::Clicks)
            .unwrap_or(0);
        // By position rather than `Vec::remove`, whose bounds panic the bundle avoids.
        remove(entries, Remove::At(victim));
    }
    true
}

/// Drops entries that are too old or tried too often.
pub fn prune(entries: &mut Vec<Entry>, now: u64) {
    remove(entries, Remove::Stale(now));
}

/// Which entries [`remove`] drops.
#[derive(Clone, Copy)]
pub enum Remove<'a> {
    /// The entry with this idempotency key.
    Key(&'a str),
    /// The entry at this position.
    At(usize),
    /// Entries too old or tried too often at this time.
    Stale(u64),
}

/// Drops the entries `what` picks, keeping the order of the rest. One `retain` for every
/// caller: each closure passed to `retain` would be a copy of its code in the wasm.
pub fn remove(entries: &mut Vec<Entry>, what: Remove) {
    let mut i = 0;
    entries.retain(|e| {
        i += 1;
        !match what {
            Remove::Key(k) => e.key == k,
            Remove::At(at) => i - 1 == at,
            Remove::Stale(now) => now.saturating_sub(e.at) > MAX_AGE || e.attempts >= MAX_ATTEMPTS,
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    fn entry(endpoint: Endpoint, key: &str, at: u64) -> Entry {
        Entry {
            endpoint,
            key: key.into(),
            at,
            attempts: 0,
            body: format!("{{\"k\":\"{key}\"}}"),
        }
    }

    #[test]
    fn round_trips() {
        let list = [
            entry(Endpoint::Sales, "a", 5),
            entry(Endpoint::Clicks, "b", 6),
            entry(Endpoint::Leads, "c", 7),
        ];
        assert_eq!(decode(&encode(&list)), list);
        assert_eq!(decode(""), []);
    }

    #[test]
    fn malformed_lines_are_dropped_not_trusted_in_part() {
        let good = encode(&[entry(Endpoint::Sales, "a", 5)]);
        for bad in [
            "x\ta\t5\t0\t{}",
            "s\t\t5\t0\t{}",
            "s\ta\t-5\t0\t{}",
            "s\ta\t5\tx\t{}",
            "s\ta\t5\t0\tnot json",
            "s\ta\t5",
            "s\ta\t99999999999999999999\t0\t{}",
        ] {
            let text = format!("{bad}\n{good}");
            assert_eq!(decode(&text), decode(&good), "{bad:?}");
        }
    }

    #[test]
    fn bounds_drop_clicks_first_then_oldest() {
        let mut q = Vec::new();
        assert!(push(&mut q, entry(Endpoint::Clicks, "click", 100), 100));
        for i in 0..MAX_ENTRIES {
            assert!(push(
                &mut q,
                entry(Endpoint::Sales, &format!("s{i}"), 100),
                100
            ));
        }
        assert_eq!(q.len(), MAX_ENTRIES);
        assert!(
            q.iter().all(|e| e.endpoint == Endpoint::Sales),
            "the click goes first"
        );
        assert!(push(&mut q, entry(Endpoint::Sales, "late", 100), 100));
        assert_eq!(q.first().unwrap().key, "s1");
        assert_eq!(q.last().unwrap().key, "late");
    }

    #[test]
    fn byte_budget_holds() {
        let mut q = Vec::new();
        for i in 0..MAX_ENTRIES {
            let mut e = entry(Endpoint::Sales, &format!("k{i}"), 1);
            e.body = format!("{{\"p\":\"{}\"}}", "x".repeat(4000));
            push(&mut q, e, 1);
        }
        assert!(encode(&q).len() <= MAX_BYTES);
        assert!(!q.is_empty());
        let mut huge = entry(Endpoint::Sales, "huge", 1);
        huge.body = format!("{{\"p\":\"{}\"}}", "x".repeat(MAX_BYTES));
        assert!(!push(&mut q, huge, 1));
    }

    #[test]
    fn same_key_replaces_and_old_entries_expire() {
        let mut q = Vec::new();
        push(&mut q, entry(Endpoint::Sales, "a", 0), 0);
        let mut again = entry(Endpoint::Sales, "a", 0);
        again.attempts = 3;
        push(&mut q, again, 0);
        assert_eq!(q.len(), 1);
        assert_eq!(q[0].attempts, 3);
        prune(&mut q, MAX_AGE + 1);
        assert!(q.is_empty());
        let mut tired = entry(Endpoint::Sales, "t", 0);
        tired.attempts = MAX_ATTEMPTS;
        push(&mut q, tired, 0);
        assert!(q.is_empty());
        assert!(!push(&mut q, entry(Endpoint::Sales, "tab\tkey", 0), 0));
    }
}
