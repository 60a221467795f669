//! Affiliates as CSV: the row `GET /v1/affiliates.csv` writes for each affiliate, and a
//! merchant's file (that export, a spreadsheet's, or another tool's: AffiliateWP's affiliate
//! export reads as it is) read into the bodies `POST /v1/affiliates` takes, with
//! what importing each row would do. No database here: the route hands in the program's
//! affiliate ids, coupon owners and currency.

use crate::error::AppError;
use crate::export;
use crate::routes::affiliates::{check_new, AffiliateView, CreateAffiliate, Payout};
use reftrail::affiliate::AffiliateId;
use reftrail::commission::{AffiliateRules, Rate};
use reftrail::money::Currency;
use std::collections::{HashMap, HashSet};

/// The columns of the export, in order; the import reads the same names (`created_at` aside).
pub const COLUMNS: [&str; 19] = [
    "id",
    "name",
    "email",
    "payout_email",
    "category",
    "status",
    "coupons",
    "sale_rate",
    "commission",
    "recruiter",
    "payout_method",
    "payout_bank",
    "payout_account",
    "payout_name",
    "withholding_exempt",
    "tax_id",
    "payee_type",
    "address",
    "created_at",
];

/// The most rows one import takes.
pub const MAX_ROWS: usize = 10_000;

/// The largest file one import takes, in bytes.
pub const MAX_BYTES: usize = 4 * 1024 * 1024;

/// One affiliate as a row of [`COLUMNS`]. A plain percent override is written as `sale_rate`
/// (what a spreadsheet edits); any other override as its JSON in `commission`.
pub fn row(a: &AffiliateView) -> Result<Vec<String>, AppError> {
    let (sale_rate, commission) = match &a.commission {
        None => (String::new(), String::new()),
        Some(AffiliateRules {
            sale: Some(Rate::Percent { rate_bps }),
            lead: None,
        }) => (percent_text(*rate_bps), String::new()),
        Some(c) => (String::new(), serde_json::to_string(c)?),
    };
    let text = |s: &Option<String>| export::cell(s.as_deref().unwrap_or(""));
    let payout = a.payout.as_ref();
    Ok(vec![
        a.id.clone(),
        export::cell(&a.name),
        text(&a.email),
        text(&a.payout_email),
        a.category.clone(),
        a.status.clone(),
        a.coupons.join(" "),
        sale_rate,
        commission,
        a.recruiter.clone().unwrap_or_default(),
        payout.map(|p| p.method.clone()).unwrap_or_default(),
        payout.and_then(|p| p.bank.clone()).unwrap_or_default(),
        payout.map(|p| p.account.clone()).unwrap_or_default(),
        text(&payout.and_then(|p| p.name.clone())),
        a.withholding_exempt.to_string(),
        text(&a.tax_id),
        a.payee_type.clone().unwrap_or_default(),
        text(&a.address),
        a.created_at.clone(),
    ])
}

/// `bps` basis points as a percent without trailing zeros: 1250 → `12.5`, 5 → `0.05`.
pub fn percent_text(bps: u32) -> String {
    let (whole, frac) = (bps / 100, bps % 100);
    match frac {
        0 => whole.to_string(),
        f if f % 10 == 0 => format!("{whole}.{}", f / 10),
        f => format!("{whole}.{f:02}"),
    }
}

/// A percent from 0 to 100 with at most two decimals, `.` or `,` as the decimal mark
/// (`12.5`, `12,5`), in basis points.
pub fn parse_percent(s: &str) -> Option<u32> {
    parse_decimal(s, 2)
        .filter(|&bps| bps <= 10_000)
        .and_then(|bps| u32::try_from(bps).ok())
}

/// A non-negative decimal with at most `decimals` decimals, `.` or `,` as the decimal mark, in
/// units of its last decimal (`12,5` with 2 decimals → 1250); at most 15 whole digits.
pub fn parse_decimal(s: &str, decimals: u32) -> Option<i64> {
    let (whole, frac) = match s.find(['.', ',']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    let frac = frac.map_or(Some(""), |f| (!f.is_empty()).then_some(f))?;
    if whole.is_empty() || whole.len() > 15 || frac.len() > decimals as usize {
        return None;
    }
    if !digits(whole) || !digits(frac) {
        return None;
    }
    let scale = 10i64.pow(decimals);
    let frac_units = format!("{frac:0<width$}", width = decimals as usize);
    let frac_units: i64 = if decimals == 0 {
        0
    } else {
        frac_units.parse().ok()?
    };
    whole
        .parse::<i64>()
        .ok()?
        .checked_mul(scale)?
        .checked_add(frac_units)
}

/// What a file is read with: the column that holds the affiliates' link names (`id` unless
/// the merchant names another, such as AffiliateWP's `username`), and the program's currency
/// (another tool's flat rate per sale is an amount in it).
pub struct Reading<'a> {
    /// The column of link names, as [`column_name`] writes it.
    pub id_column: &'a str,
    /// The program's currency.
    pub currency: Currency,
}

/// A header cell as the import compares it: trimmed, lower-case, each run of spaces or `-` as
/// one `_` (AffiliateWP's "Payment Email" is `payment_email`).
pub fn column_name(header: &str) -> String {
    header
        .trim()
        .to_lowercase()
        .split(|c: char| c.is_whitespace() || c == '-')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("_")
}

/// The field a column fills: its own name, or what another tool calls it.
fn field_of(name: &str, id_column: &str) -> Option<&'static str> {
    if name == id_column {
        return Some("id");
    }
    let ours = match name {
        // The id comes from `id_column` alone.
        "id" => return None,
        // AffiliateWP's names.
        "payment_email" => "payout_email",
        "rate" => "sale_rate",
        other => other,
    };
    COLUMNS
        .iter()
        .chain(&["username", "rate_type"])
        .find(|c| **c == ours)
        .copied()
}

/// A file as read: its rows and the columns it has that the import does not read.
#[derive(Debug)]
pub struct Sheet {
    /// The rows with at least one cell, in file order.
    pub rows: Vec<SheetRow>,
    /// Header names the import does not read, lower-cased, in file order.
    pub ignored_columns: Vec<String>,
}

/// One row of a file: its line (the header is line 1), the id as given, and the affiliate it
/// describes or why it describes none.
#[derive(Debug)]
pub struct SheetRow {
    /// Where the row starts in the file.
    pub line: u64,
    /// The `id` cell, trimmed.
    pub id: String,
    /// The body of `POST /v1/affiliates` the row stands for (not yet checked as such).
    pub body: Result<CreateAffiliate, AppError>,
}

fn invalid_csv(message: impl Into<String>) -> AppError {
    AppError::bad("invalid_csv", message.into())
}

/// The delimiter of a file, from its header line: Excel saves with `;` where the decimal mark
/// is a comma (Vietnamese settings among them).
fn delimiter(text: &str) -> u8 {
    let header = text.split(['\r', '\n']).next().unwrap_or("");
    [b',', b';', b'\t']
        .into_iter()
        .find(|&d| header.as_bytes().contains(&d))
        .unwrap_or(b',')
}

/// A cell as the import reads it: trimmed of spaces and tabs, without the `'` an export puts
/// before a formula character; `None` when empty.
fn clean(cell: &str) -> Option<String> {
    let c = cell.trim_matches([' ', '\t']);
    let c = match c.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => c,
    };
    (!c.is_empty()).then(|| c.to_owned())
}

/// Reads a file into rows. Fails (400 `invalid_csv`) for what makes the whole file unreadable:
/// not UTF-8, no id column or no `name` (or `username`) column, a column named twice, no rows,
/// too many rows.
pub fn read(bytes: &[u8], reading: &Reading) -> Result<Sheet, AppError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| invalid_csv("the file is not UTF-8: save it as CSV UTF-8"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter(text))
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| invalid_csv(format!("the header row could not be read: {e}")))?
        .iter()
        .map(column_name)
        .collect();
    let mut columns: HashMap<&str, usize> = HashMap::new();
    let mut ignored_columns = Vec::new();
    for (i, name) in header.iter().enumerate() {
        match field_of(name, reading.id_column) {
            Some(field) => {
                if columns.insert(field, i).is_some() {
                    return Err(invalid_csv(format!("the column {field} is named twice")));
                }
            }
            None if name.is_empty() => {}
            None => ignored_columns.push(name.clone()),
        }
    }
    // A username stands in for a missing name even when it is also the column of link names.
    if let Some(i) = header.iter().position(|h| h == "username") {
        columns.entry("username").or_insert(i);
    }
    if !columns.contains_key("id") {
        return Err(invalid_csv(format!(
            "the first row must name the columns, with an {} column: the name in each affiliate's links",
            reading.id_column
        )));
    }
    if !columns.contains_key("name") && !columns.contains_key("username") {
        return Err(invalid_csv(
            "the first row must name the columns, with a name column",
        ));
    }
    let mut rows = Vec::new();
    let mut lines = Lines {
        text: text.as_bytes(),
        at: 0,
        line: 1,
    };
    for record in reader.records() {
        let record = record.map_err(|e| invalid_csv(format!("the file could not be read: {e}")))?;
        if record.iter().all(|c| clean(c).is_none()) {
            continue;
        }
        if rows.len() == MAX_ROWS {
            return Err(invalid_csv(format!(
                "at most {MAX_ROWS} affiliates per file"
            )));
        }
        let line = record.position().map_or(0, |p| lines.of(p.byte()));
        let get = |name: &str| {
            columns
                .get(name)
                .and_then(|&i| record.get(i))
                .and_then(clean)
        };
        let id = get("id").unwrap_or_default();
        let body = if record.len() == header.len() {
            body(&get, reading.currency)
        } else {
            Err(invalid_csv(format!(
                "the row has {} cells and the header {}",
                record.len(),
                header.len()
            )))
        };
        rows.push(SheetRow { line, id, body });
    }
    if rows.is_empty() {
        return Err(invalid_csv("the file has no affiliates"));
    }
    Ok(Sheet {
        rows,
        ignored_columns,
    })
}

/// Line numbers of records as an editor numbers them (the reader's own count leaves out empty
/// lines, and its offset may point at the line breaks before a record), counted on from the
/// previous record so that a file is scanned once.
struct Lines<'a> {
    text: &'a [u8],
    at: usize,
    line: u64,
}

impl Lines<'_> {
    /// The line (1-based) of the record the reader places at `byte`, not before the last one.
    fn of(&mut self, byte: u64) -> u64 {
        let from = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .clamp(self.at, self.text.len());
        let start = from
            + self.text[from..]
                .iter()
                .take_while(|b| matches!(b, b'\r' | b'\n'))
                .count();
        // A line ends with LF, CRLF, or a CR alone (old Mac files): a CR counts unless an LF
        // follows it.
        let ends = (self.at..start)
            .filter(|&i| match self.text[i] {
                b'\n' => true,
                b'\r' => self.text.get(i + 1) != Some(&b'\n'),
                _ => false,
            })
            .count();
        self.line += ends as u64;
        self.at = start;
        self.line
    }
}

/// The body of `POST /v1/affiliates` that a row's cells stand for.
fn body(
    get: &dyn Fn(&str) -> Option<String>,
    currency: Currency,
) -> Result<CreateAffiliate, AppError> {
    let commission = match (get("sale_rate"), get("commission")) {
        (Some(_), Some(_)) => {
            return Err(AppError::bad(
                "invalid_commission",
                "give sale_rate or commission, not both",
            ))
        }
        (Some(rate), None) => Some(AffiliateRules {
            sale: Some(sale_rate(&rate, get("rate_type").as_deref(), currency)?),
            lead: None,
        }),
        (None, Some(json)) => Some(
            serde_json::from_str(&json)
                .map_err(|e| AppError::bad("invalid_commission", format!("commission: {e}")))?,
        ),
        (None, None) => None,
    };
    let withholding_exempt = get("withholding_exempt")
        .map(|v| match v.to_lowercase().as_str() {
            "true" | "yes" | "1" => Ok(true),
            "false" | "no" | "0" => Ok(false),
            _ => Err(AppError::bad(
                "invalid_withholding_exempt",
                "withholding_exempt must be true or false",
            )),
        })
        .transpose()?;
    let payout = match get("payout_method") {
        Some(method) => Some(Payout {
            method,
            bank: get("payout_bank"),
            account: get("payout_account").unwrap_or_default(),
            name: get("payout_name"),
        }),
        None if ["payout_bank", "payout_account", "payout_name"]
            .iter()
            .any(|c| get(c).is_some()) =>
        {
            return Err(AppError::bad(
                "invalid_payout",
                "payout_bank, payout_account and payout_name need payout_method",
            ))
        }
        None => None,
    };
    // AffiliateWP's statuses: `active`, `inactive` and `rejected`.
    let status = get("status").map(|s| match s.to_lowercase().as_str() {
        "active" => "approved".to_owned(),
        "inactive" | "rejected" => "suspended".to_owned(),
        other => other.to_owned(),
    });
    let coupons = get("coupons").map(|c| {
        c.split([' ', '\t', ',', ';'])
            .filter(|code| !code.is_empty())
            .map(str::to_owned)
            .collect()
    });
    Ok(CreateAffiliate {
        id: get("id").unwrap_or_default(),
        // A user without a display name in another tool is known by their username.
        name: get("name").or_else(|| get("username")).unwrap_or_default(),
        email: get("email"),
        payout_email: get("payout_email"),
        payout,
        withholding_exempt,
        tax_id: get("tax_id"),
        payee_type: get("payee_type"),
        address: get("address"),
        category: get("category").map(|c| c.to_lowercase()),
        status,
        commission,
        coupons,
        recruiter: get("recruiter"),
    })
}

/// A sale rate cell: a percent, or with AffiliateWP's `rate_type` of `flat`, an amount per
/// sale in the program's currency.
fn sale_rate(rate: &str, rate_type: Option<&str>, currency: Currency) -> Result<Rate, AppError> {
    let kind = rate_type.map(str::to_lowercase);
    match kind.as_deref() {
        None | Some("percentage" | "percent") => parse_percent(rate)
            .map(|rate_bps| Rate::Percent { rate_bps })
            .ok_or_else(|| {
                AppError::bad(
                    "invalid_sale_rate",
                    "sale_rate must be a percent from 0 to 100 with at most two decimals",
                )
            }),
        Some("flat") => parse_decimal(rate, u32::from(currency.exponent()))
            .map(|amount| Rate::Flat {
                amounts: [(currency, amount)].into_iter().collect(),
            })
            .ok_or_else(|| {
                AppError::bad(
                    "invalid_sale_rate",
                    format!(
                        "a flat rate must be an amount in {} with at most {} decimals",
                        currency.as_str(),
                        currency.exponent()
                    ),
                )
            }),
        Some(_) => Err(AppError::bad(
            "invalid_sale_rate",
            "rate_type must be percentage or flat",
        )),
    }
}

/// What importing a row does.
#[derive(Debug)]
pub enum Outcome {
    /// A new affiliate, checked as `POST /v1/affiliates` checks it: the body, its coupon codes
    /// as stored, its bank details as normalized.
    Created(Box<(CreateAffiliate, Vec<String>, Option<Payout>)>),
    /// An affiliate with this id exists: the row is skipped.
    Exists,
    /// Why the row cannot be imported.
    Invalid(AppError),
}

/// A row of the file with what importing it does.
#[derive(Debug)]
pub struct Planned {
    /// Where the row starts in the file.
    pub line: u64,
    /// The `id` cell, trimmed.
    pub id: String,
    /// What importing it does.
    pub outcome: Outcome,
}

/// What importing `sheet` does to a program with the affiliates `existing` (by their id in
/// lower case, since ids may not differ only in case) and the coupons `coupon_owners` (code as
/// stored → affiliate id): every row checked as `POST /v1/affiliates` checks a body, against
/// the program and against the file's other rows.
pub fn plan(
    sheet: Sheet,
    existing: &HashMap<String, String>,
    coupon_owners: &HashMap<String, String>,
) -> Vec<Planned> {
    // The new rows' ids in lower case → (line, the id as the file spells it).
    let mut new_ids: HashMap<String, (u64, String)> = HashMap::new();
    let mut coupon_lines: HashMap<String, u64> = HashMap::new();
    let mut planned: Vec<Planned> = Vec::with_capacity(sheet.rows.len());
    for r in sheet.rows {
        let key = r.id.to_ascii_lowercase();
        let outcome = match r.body {
            Err(e) => Outcome::Invalid(e),
            Ok(_) if AffiliateId::parse(&r.id).is_none() => Outcome::Invalid(AppError::bad(
                "invalid_affiliate",
                "id must be 1 to 64 letters, digits, '-', '_' or '.'",
            )),
            Ok(_) if existing.contains_key(&key) => Outcome::Exists,
            Ok(body) => match new_ids.get(&key) {
                Some((first, _)) => Outcome::Invalid(AppError::bad(
                    "duplicate_row",
                    format!("line {first} has this id too"),
                )),
                None => {
                    new_ids.insert(key, (r.line, r.id.clone()));
                    checked(body, r.line, coupon_owners, &mut coupon_lines)
                }
            },
        };
        planned.push(Planned {
            line: r.line,
            id: r.id,
            outcome,
        });
    }
    check_recruiters(&mut planned, existing, &new_ids);
    planned
}

/// A new row through `POST /v1/affiliates`'s checks, then its coupons against the program's
/// and the earlier rows'.
fn checked(
    body: CreateAffiliate,
    line: u64,
    coupon_owners: &HashMap<String, String>,
    coupon_lines: &mut HashMap<String, u64>,
) -> Outcome {
    let (codes, payout) = match check_new(&body) {
        Ok(c) => c,
        Err(e) => return Outcome::Invalid(e),
    };
    for code in &codes {
        if coupon_owners.contains_key(code) {
            return Outcome::Invalid(AppError::conflict(
                "coupon_taken",
                format!("coupon {code} belongs to another affiliate"),
            ));
        }
        if let Some(first) = coupon_lines.get(code) {
            return Outcome::Invalid(AppError::conflict(
                "coupon_taken",
                format!("coupon {code} is on line {first} too"),
            ));
        }
    }
    for code in &codes {
        coupon_lines.insert(code.clone(), line);
    }
    Outcome::Created(Box::new((body, codes, payout)))
}

/// Each new row's recruiter must be an affiliate of the program or a new row of the file (its
/// id in any case, kept as stored or as the file spells it), and no chain of recruiters among
/// the new rows may come back to where it started. (An existing affiliate's chain never
/// reaches a new one, so loops can only be among new rows.)
fn check_recruiters(
    planned: &mut [Planned],
    existing: &HashMap<String, String>,
    new_ids: &HashMap<String, (u64, String)>,
) {
    for p in planned.iter_mut() {
        let Outcome::Created(c) = &mut p.outcome else {
            continue;
        };
        let Some(recruiter) = &c.0.recruiter else {
            continue;
        };
        let key = recruiter.to_ascii_lowercase();
        match existing
            .get(&key)
            .or_else(|| new_ids.get(&key).map(|(_, id)| id))
        {
            Some(id) => c.0.recruiter = Some(id.clone()),
            None => {
                p.outcome = Outcome::Invalid(AppError::unprocessable(
                    "invalid_recruiter",
                    "no affiliate has this id, in the program or in the file",
                ))
            }
        }
    }
    let recruiter_of: HashMap<String, String> = planned
        .iter()
        .filter_map(|p| match &p.outcome {
            Outcome::Created(c) => c.0.recruiter.clone().map(|r| (p.id.clone(), r)),
            _ => None,
        })
        .collect();
    let in_loop = loops(&recruiter_of);
    for p in planned.iter_mut() {
        if matches!(p.outcome, Outcome::Created(_)) && in_loop.contains(&p.id) {
            p.outcome = Outcome::Invalid(AppError::unprocessable(
                "invalid_recruiter",
                "an affiliate cannot be recruited by themselves or by someone they recruited",
            ));
        }
    }
}

/// The ids on a loop of `recruiter_of` (id → its recruiter), each edge followed once.
fn loops(recruiter_of: &HashMap<String, String>) -> HashSet<String> {
    let mut done: HashSet<&str> = HashSet::new();
    let mut on_loop = HashSet::new();
    for start in recruiter_of.keys() {
        let mut path: Vec<&str> = Vec::new();
        let mut at = start.as_str();
        while !done.contains(at) {
            if let Some(i) = path.iter().position(|&p| p == at) {
                on_loop.extend(path[i..].iter().map(|p| (*p).to_owned()));
                break;
            }
            path.push(at);
            match recruiter_of.get(at) {
                Some(next) => at = next,
                None => break,
            }
        }
        done.extend(path);
    }
    on_loop
}

#[cfg(test)]
mod tests {
    use super::*;

    const BY_ID: Reading = Reading {
        id_column: "id",
        currency: Currency::VND,
    };

    fn sheet(text: &str) -> Sheet {
        read(text.as_bytes(), &BY_ID).expect("readable")
    }

    fn code(e: &AppError) -> String {
        e.parts().1.to_owned()
    }

    fn outcomes(text: &str, existing: &[&str], coupons: &[(&str, &str)]) -> Vec<String> {
        let existing = existing
            .iter()
            .map(|s| (s.to_ascii_lowercase(), (*s).to_owned()))
            .collect();
        let coupons = coupons
            .iter()
            .map(|(c, a)| ((*c).to_owned(), (*a).to_owned()))
            .collect();
        plan(sheet(text), &existing, &coupons)
            .into_iter()
            .map(|p| match p.outcome {
                Outcome::Created(_) => format!("{} created", p.line),
                Outcome::Exists => format!("{} exists", p.line),
                Outcome::Invalid(e) => format!("{} {}", p.line, code(&e)),
            })
            .collect()
    }

    #[test]
    fn percents_both_ways() {
        for (bps, text) in [
            (0, "0"),
            (5, "0.05"),
            (50, "0.5"),
            (1000, "10"),
            (1250, "12.5"),
            (1234, "12.34"),
            (10_000, "100"),
        ] {
            assert_eq!(percent_text(bps), text);
            assert_eq!(parse_percent(text), Some(bps), "{text}");
        }
        assert_eq!(parse_percent("12,5"), Some(1250));
        assert_eq!(parse_percent("007"), Some(700));
        for bad in [
            "", ".5", "12.", "12.345", "100.01", "101", "-1", "1e2", "12 %", "12%", "1.2.3", "½",
            "1000",
        ] {
            assert_eq!(parse_percent(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn reads_cells_as_a_spreadsheet_writes_them() {
        let s = sheet(
            "\u{feff}ID, Name ,Email,coupons,sale_rate,withholding_exempt,earnings\n\
             minh, Minh Nguyen ,minh@example.com,\"MINH10, tet;  minh5\",\"12,5\",Yes,123\n\
             \n\
             ,,,,,,\n\
             \"lan\",\"Lan\nTran\",'=x@example.com,,,,\n",
        );
        assert_eq!(s.ignored_columns, ["earnings"]);
        assert_eq!(s.rows.len(), 2);
        let minh = s.rows[0].body.as_ref().unwrap();
        assert_eq!((s.rows[0].line, minh.name.as_str()), (2, "Minh Nguyen"));
        assert_eq!(
            minh.coupons.as_deref(),
            Some(&["MINH10".to_owned(), "tet".into(), "minh5".into()][..])
        );
        assert_eq!(
            minh.commission.as_ref().unwrap().sale,
            Some(Rate::Percent { rate_bps: 1250 })
        );
        assert_eq!(minh.withholding_exempt, Some(true));
        let lan = s.rows[1].body.as_ref().unwrap();
        assert_eq!((s.rows[1].line, lan.name.as_str()), (5, "Lan\nTran"));
        assert_eq!(lan.email.as_deref(), Some("=x@example.com"));
        assert_eq!(lan.status, None);
    }

    #[test]
    fn lines_count_as_an_editor_numbers_them() {
        let s = sheet("id,name\r\na,A\r\n\r\n\r\nb,\"B\nB\n\"\nc,C\n\nd,D");
        let lines: Vec<(u64, &str)> = s.rows.iter().map(|r| (r.line, r.id.as_str())).collect();
        assert_eq!(lines, [(2, "a"), (5, "b"), (8, "c"), (10, "d")]);
        // Lines ended by a CR alone, as old Mac files end them.
        let s = sheet("id,name\ra,A\r\rb,B\rc,\"C\rC\"\rd,D\r");
        let lines: Vec<(u64, &str)> = s.rows.iter().map(|r| (r.line, r.id.as_str())).collect();
        assert_eq!(lines, [(2, "a"), (4, "b"), (5, "c"), (7, "d")]);
    }

    #[test]
    fn decimals_in_units_of_their_last_place() {
        for (text, decimals, units) in [
            ("5", 2, Some(500)),
            ("5.5", 2, Some(550)),
            ("5,55", 2, Some(555)),
            ("50000", 0, Some(50_000)),
            ("50000.5", 0, None),
            ("5.", 2, None),
            ("", 2, None),
            ("-5", 2, None),
            ("1234567890123456", 0, None),
            ("123456789012345", 0, Some(123_456_789_012_345)),
        ] {
            assert_eq!(parse_decimal(text, decimals), units, "{text:?}");
        }
    }

    #[test]
    fn column_names_as_other_tools_write_them() {
        assert_eq!(column_name(" Payment Email "), "payment_email");
        assert_eq!(column_name("Affiliate  ID"), "affiliate_id");
        assert_eq!(column_name("payout-email"), "payout_email");
        assert_eq!(column_name("ID"), "id");
    }

    /// AffiliateWP's affiliate export (Tools → Export), as it writes it: labels for headers,
    /// every cell quoted, CRLF; the link names in its Username column here.
    #[test]
    fn an_affiliatewp_export_reads_as_it_is() {
        let text = "\"Affiliate ID\",\"Email\",\"Name\",\"Payment Email\",\"Username\",\"Rate\",\"Rate Type\",\"Earnings\",\"Referrals\",\"Visits\",\"Conversion Rate\",\"Status\",\"Date Registered\"\r\n\
                    \"12\",\"minh@example.com\",\"Minh Nguyen\",\"pay@example.com\",\"minh\",\"12.5\",\"percentage\",\"1000\",\"3\",\"40\",\"7.5\",\"active\",\"2024-01-02 03:04:05\"\r\n\
                    \"13\",\"lan@example.com\",\"\",\"\",\"lan\",\"50000\",\"flat\",\"0\",\"0\",\"0\",\"0\",\"inactive\",\"2024-01-02 03:04:05\"\r\n\
                    \"14\",\"thu@example.com\",\"Thu\",\"\",\"thu\",\"\",\"\",\"0\",\"0\",\"0\",\"0\",\"pending\",\"2024-01-02 03:04:05\"\r\n";
        let reading = Reading {
            id_column: "username",
            currency: Currency::VND,
        };
        let s = read(text.as_bytes(), &reading).expect("readable");
        assert_eq!(
            s.ignored_columns,
            [
                "affiliate_id",
                "earnings",
                "referrals",
                "visits",
                "conversion_rate",
                "date_registered"
            ]
        );
        let rows: Vec<&CreateAffiliate> = s.rows.iter().map(|r| r.body.as_ref().unwrap()).collect();
        assert_eq!(
            rows.iter()
                .map(|b| (b.id.as_str(), b.name.as_str(), b.status.as_deref()))
                .collect::<Vec<_>>(),
            [
                ("minh", "Minh Nguyen", Some("approved")),
                ("lan", "lan", Some("suspended")),
                ("thu", "Thu", Some("pending"))
            ]
        );
        assert_eq!(rows[0].payout_email.as_deref(), Some("pay@example.com"));
        assert_eq!(
            rows[0].commission.as_ref().unwrap().sale,
            Some(Rate::Percent { rate_bps: 1250 })
        );
        let flat: AffiliateRules =
            serde_json::from_str(r#"{"sale": {"type": "flat", "amounts": {"VND": 50000}}}"#)
                .unwrap();
        assert_eq!(rows[1].commission.as_ref(), Some(&flat));
        assert_eq!(rows[2].commission, None);

        // By its Affiliate ID column instead: the ids are the numbers.
        let by_number = Reading {
            id_column: "affiliate_id",
            ..reading
        };
        let s = read(text.as_bytes(), &by_number).unwrap();
        assert_eq!(
            s.rows.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            ["12", "13", "14"]
        );
        assert!(s.ignored_columns.iter().all(|c| c != "affiliate_id"));
        // A USD program's flat rate has cents; a rate type other tools do not write is refused.
        let usd = Reading {
            currency: Currency::USD,
            ..reading
        };
        let s = read(text.replace("50000", "5.5").as_bytes(), &usd).unwrap();
        let rate = s.rows[1]
            .body
            .as_ref()
            .unwrap()
            .commission
            .as_ref()
            .unwrap()
            .sale
            .clone();
        assert_eq!(
            rate,
            Some(Rate::Flat {
                amounts: [(Currency::USD, 550)].into_iter().collect()
            })
        );
        let s = read(text.replace("\"flat\"", "\"tiered\"").as_bytes(), &reading).unwrap();
        assert_eq!(
            code(s.rows[1].body.as_ref().unwrap_err()),
            "invalid_sale_rate"
        );
        // Without the column named as the id column, the file has no ids.
        let e = read(text.as_bytes(), &BY_ID).unwrap_err();
        assert_eq!(code(&e), "invalid_csv");
    }

    #[test]
    fn semicolons_and_tabs_as_excel_saves_them() {
        for text in [
            "id;name;sale_rate\nminh;Minh;12,5\n",
            "id;name;sale_rate\rminh;Minh;12,5\rlan;Lan, Tran;1\r",
            "id\tname\tsale_rate\nminh\tMinh\t12,5\n",
        ] {
            let s = sheet(text);
            let minh = s.rows[0].body.as_ref().unwrap();
            assert_eq!(minh.name, "Minh");
            assert_eq!(
                minh.commission.as_ref().unwrap().sale,
                Some(Rate::Percent { rate_bps: 1250 })
            );
        }
    }

    #[test]
    fn unreadable_files() {
        for (text, why) in [
            (&b"id,name\nminh,Nguy\xe1n\n"[..], "not UTF-8"),
            (b"id,email\nminh,m@example.com\n", "no name column"),
            (b"name\nMinh\n", "no id column"),
            (b"id,name,ID\nminh,Minh,x\n", "id twice"),
            (b"id,name\n", "no rows"),
            (b"id,name\n,\n\n", "only empty rows"),
            (b"", "empty"),
        ] {
            let e = read(text, &BY_ID).expect_err(why);
            assert_eq!(code(&e), "invalid_csv", "{why}");
        }
        let many = format!("id,name\n{}", "a,A\n".repeat(MAX_ROWS + 1));
        assert_eq!(
            code(&read(many.as_bytes(), &BY_ID).unwrap_err()),
            "invalid_csv"
        );
        let enough = format!("id,name\n{}", "a,A\n".repeat(MAX_ROWS));
        assert_eq!(
            read(enough.as_bytes(), &BY_ID).unwrap().rows.len(),
            MAX_ROWS
        );
    }

    #[test]
    fn each_row_is_checked_as_the_api_checks_a_body() {
        let text = "id,name,email,category,sale_rate,commission,withholding_exempt,payout_method,payout_bank,payout_account,coupons\n\
                    ok,Ok,ok@example.com,content,10,,,,,,\n\
                    ,No id,,,,,,,,,\n\
                    bad id,Bad,,,,,,,,,\n\
                    noname,,,,,,,,,,\n\
                    mail,Mail,not-an-email,,,,,,,,\n\
                    cat,Cat,,blogger,,,,,,,\n\
                    rate,Rate,,,12.345,,,,,,\n\
                    both,Both,,,10,\"{\"\"sale\"\":null}\",,,,,\n\
                    json,Json,,,,{nope,,,,,\n\
                    exempt,Exempt,,,,,maybe,,,,\n\
                    bank,Bank,,,,,,,,123,\n\
                    vietqr,VietQR,,,,,,vietqr,970436,0011001234567,\n\
                    badqr,BadQR,,,,,,vietqr,12,0011001234567,\n\
                    short,Short\n\
                    coupon,Coupon,,,,,,,,,A1 {long}\n";
        let text = text.replace("{long}", &"C".repeat(65));
        assert_eq!(
            outcomes(&text, &[], &[]),
            [
                "2 created",
                "3 invalid_affiliate",
                "4 invalid_affiliate",
                "5 invalid_name",
                "6 invalid_email",
                "7 invalid_category",
                "8 invalid_sale_rate",
                "9 invalid_commission",
                "10 invalid_commission",
                "11 invalid_withholding_exempt",
                "12 invalid_payout",
                "13 created",
                "14 invalid_payout_bank",
                "15 invalid_csv",
                "16 invalid_coupons",
            ]
        );
    }

    #[test]
    fn rows_against_the_program_and_each_other() {
        let text = "id,name,coupons\n\
                    alice,Alice again,ALICE\n\
                    minh,Minh,MINH10 minh5\n\
                    minh,Minh twice,\n\
                    lan,Lan,minh10\n\
                    thu,Thu,bob10\n\
                    ALICE,Alice in capitals,\n"; // ids may not differ only in case
        assert_eq!(
            outcomes(
                text,
                &["alice", "bob"],
                &[("ALICE", "alice"), ("BOB10", "bob")]
            ),
            [
                "2 exists",
                "3 created",
                "4 duplicate_row",
                "5 coupon_taken",
                "6 coupon_taken",
                "7 exists",
            ]
        );
    }

    #[test]
    fn a_recruiter_named_in_another_case_is_kept_as_stored() {
        let existing = [("alice".to_owned(), "alice".to_owned())].into();
        let text = "id,name,recruiter\nMinh,Minh,ALICE\nlan,Lan,minh\n";
        let planned = plan(sheet(text), &existing, &HashMap::new());
        let recruiters: Vec<Option<&str>> = planned
            .iter()
            .map(|p| match &p.outcome {
                Outcome::Created(c) => c.0.recruiter.as_deref(),
                _ => None,
            })
            .collect();
        assert_eq!(recruiters, [Some("alice"), Some("Minh")]);
    }

    #[test]
    fn recruiters_in_the_program_or_the_file_and_no_loops() {
        let text = "id,name,recruiter\n\
                    a,A,alice\n\
                    b,B,c\n\
                    c,C,a\n\
                    d,D,nobody\n\
                    e,E,f\n\
                    f,F,e\n\
                    g,G,g\n\
                    h,H,e\n\
                    i,I,alice\n";
        assert_eq!(
            outcomes(text, &["alice", "i"], &[]),
            [
                "2 created",
                "3 created",
                "4 created",
                "5 invalid_recruiter",
                "6 invalid_recruiter",
                "7 invalid_recruiter",
                "8 invalid_recruiter",
                "9 created",
                "10 exists",
            ]
        );
    }

    #[test]
    fn an_export_reads_back_as_the_same_affiliates() {
        let view = |id: &str, commission: Option<AffiliateRules>| AffiliateView {
            id: id.into(),
            name: "=cmd|' /C calc'!A0".into(),
            email: Some("x@example.com".into()),
            payout_email: None,
            payout: Some(Payout {
                method: "promptpay".into(),
                bank: None,
                account: "0812345678".into(),
                name: Some("-Somchai".into()),
            }),
            withholding_exempt: true,
            tax_id: Some("0105561012345".into()),
            payee_type: Some("company".into()),
            address: Some("@ 1 ถนนสุขุมวิท, Bangkok".into()),
            category: "influencer".into(),
            status: "pending".into(),
            commission,
            coupons: vec!["A1".into(), "B2".into()],
            recruiter: Some("alice".into()),
            created_at: "2026-11-25T00:00:00Z".into(),
            application: None,
        };
        let percent = AffiliateRules {
            sale: Some(Rate::Percent { rate_bps: 1250 }),
            lead: None,
        };
        let lead: AffiliateRules = serde_json::from_str(r#"{"lead": {"VND": 20000}}"#).unwrap();
        let views = [
            view("p", Some(percent)),
            view("l", Some(lead)),
            view("n", None),
        ];
        let text = export::csv(Some(&COLUMNS), views.iter().map(|v| row(v).unwrap())).unwrap();
        let s = sheet(&text);
        assert!(s.ignored_columns.is_empty());
        for (v, r) in views.iter().zip(&s.rows) {
            let b = r.body.as_ref().unwrap();
            assert_eq!(
                (&b.id, &b.name, &b.email, &b.address, &b.tax_id),
                (&v.id, &v.name, &v.email, &v.address, &v.tax_id)
            );
            assert_eq!(b.payout.as_ref(), v.payout.as_ref());
            assert_eq!(b.commission, v.commission);
            assert_eq!(b.coupons.as_ref(), Some(&v.coupons));
            assert_eq!(
                (
                    b.category.as_deref(),
                    b.status.as_deref(),
                    b.payee_type.as_deref()
                ),
                (
                    Some(v.category.as_str()),
                    Some(v.status.as_str()),
                    v.payee_type.as_deref()
                )
            );
            assert_eq!(
                (b.withholding_exempt, b.recruiter.as_deref()),
                (Some(true), Some("alice"))
            );
        }
    }
}
