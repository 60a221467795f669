//! Affiliates as CSV: the export a merchant opens in a spreadsheet, and the import that brings
//! affiliates from another tool with the link names they already shared (checked row by row,
//! then all written or none).

use crate::harness::{affiliate, affiliate_json, req, uid, As};
use serde_json::{json, Value};
use std::collections::HashMap;

const COLUMNS: [&str; 19] = [
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

/// The export with `query`, as rows by id (each row by column name).
async fn export(query: &str) -> HashMap<String, HashMap<String, String>> {
    let r = req("GET", &format!("/v1/affiliates.csv{query}"))
        .sk()
        .send()
        .await;
    r.csv_download("affiliates.csv");
    let mut reader = csv::Reader::from_reader(r.text.as_bytes());
    let names: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(names, COLUMNS);
    let mut rows = HashMap::new();
    let mut ids = Vec::new();
    for record in reader.records() {
        let record = record.expect("a CSV row");
        let row: HashMap<String, String> = names
            .iter()
            .cloned()
            .zip(record.iter().map(str::to_owned))
            .collect();
        ids.push(row["id"].clone());
        rows.insert(row["id"].clone(), row);
    }
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "rows by id");
    rows
}

/// Imports `file`; `dry_run` as given.
async fn import(file: &str, dry_run: bool) -> crate::harness::Res {
    let path = if dry_run {
        "/v1/affiliates.csv?dry_run=true"
    } else {
        "/v1/affiliates.csv"
    };
    req("POST", path).sk().raw(file, "text/csv").send().await
}

/// Each row's (line, id, result or error code).
fn results(r: &crate::harness::Res) -> Vec<(u64, String, String)> {
    r.json["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("rows: {}", r.text))
        .iter()
        .map(|row| {
            let result = match row["result"].as_str() {
                Some("invalid") => row["error"]["code"].as_str().unwrap_or("?").to_owned(),
                other => other.unwrap_or("?").to_owned(),
            };
            (
                row["line"].as_u64().unwrap_or(0),
                row["id"].as_str().unwrap_or("?").to_owned(),
                result,
            )
        })
        .collect()
}

async fn exists(id: &str) -> bool {
    let r = req("GET", &format!("/v1/affiliates/{id}"))
        .sk()
        .send()
        .await;
    match r.status.as_u16() {
        200 => true,
        404 => false,
        s => panic!("GET /v1/affiliates/{id}: {s} {}", r.text),
    }
}

#[tokio::test]
async fn the_export_has_every_affiliate_in_spreadsheet_columns() {
    let recruiter = affiliate(json!({})).await.0;
    let coupon = uid("C").to_uppercase();
    let (a, _) = affiliate(json!({
        "name": "=HYPERLINK(\"x\")",
        "category": "influencer",
        "coupons": [coupon.clone(), format!("{coupon}B")],
        "commission": {"sale": {"type": "percent", "rate_bps": 1250}},
        "recruiter": recruiter,
        "payout": {"method": "vietqr", "bank": "970436", "account": "0011001234567", "name": "NGUYEN VAN MINH"},
        "withholding_exempt": true,
        "tax_id": "8012345678",
        "payee_type": "person",
        "address": "12 Lê Lợi, Quận 1, TP. Hồ Chí Minh",
    }))
    .await;
    let lead = json!({"lead": {"VND": 20000}});
    let (b, _) = affiliate(json!({"commission": lead, "status": "suspended"})).await;

    let rows = export("").await;
    let row = &rows[&a];
    let view = affiliate_json(&a).await;
    let cells = |names: &[&str]| names.iter().map(|n| row[*n].as_str()).collect::<Vec<_>>();
    assert_eq!(
        cells(&[
            "name",
            "email",
            "payout_email",
            "category",
            "status",
            "sale_rate",
            "commission",
            "recruiter"
        ]),
        [
            "'=HYPERLINK(\"x\")",
            view["email"].as_str().unwrap(),
            "",
            "influencer",
            "approved",
            "12.5",
            "",
            recruiter.as_str()
        ]
    );
    assert_eq!(row["coupons"], format!("{coupon} {coupon}B"));
    assert_eq!(
        cells(&[
            "payout_method",
            "payout_bank",
            "payout_account",
            "payout_name",
            "withholding_exempt"
        ]),
        [
            "vietqr",
            "970436",
            "0011001234567",
            "NGUYEN VAN MINH",
            "true"
        ]
    );
    assert_eq!(
        cells(&["tax_id", "payee_type", "address", "created_at"]),
        [
            "8012345678",
            "person",
            "12 Lê Lợi, Quận 1, TP. Hồ Chí Minh",
            view["created_at"].as_str().unwrap()
        ]
    );
    // Overrides other than one percent are their JSON.
    let b_row = &rows[&b];
    assert_eq!(b_row["sale_rate"], "");
    let commission: Value = serde_json::from_str(&b_row["commission"]).expect("JSON");
    assert_eq!(commission, affiliate_json(&b).await["commission"]);
    assert_eq!(commission["lead"], lead["lead"]);
    assert_eq!(
        (
            b_row["withholding_exempt"].as_str(),
            b_row["payout_method"].as_str()
        ),
        ("false", "")
    );

    let suspended = export("?status=suspended").await;
    assert!(suspended.contains_key(&b) && !suspended.contains_key(&a));
    req("GET", "/v1/affiliates.csv?status=gone")
        .sk()
        .send()
        .await
        .error(400, "invalid_query");
}

#[tokio::test]
async fn an_import_adds_new_affiliates_and_skips_known_ones() {
    let (known, _) = affiliate(json!({"name": "Known before"})).await;
    let (minh, lan) = (uid("minh"), uid("lan"));
    let code = uid("M").to_uppercase();
    // As Excel saves it with Vietnamese settings: `;` between cells, a decimal comma.
    let file = format!(
        "\u{feff}ID;Name;Email;Coupons;Sale_rate;Recruiter;Category;Earnings\n\
         {known};Known renamed;k@example.com;;;;;1\n\
         {minh};Nguyễn Văn Minh;minh@example.com;{code}, {code}b;12,5;{lan};influencer;2\n\
         \n\
         {lan}; Trần Thị Lan ;lan@example.com;;;{known};;3\n"
    );
    let dry = import(&file, true).await;
    dry.status(200);
    assert_eq!(
        results(&dry),
        [
            (2, known.clone(), "exists".to_owned()),
            (3, minh.clone(), "created".to_owned()),
            (5, lan.clone(), "created".to_owned()),
        ]
    );
    assert_eq!(
        (
            &dry.json["dry_run"],
            &dry.json["created"],
            &dry.json["existing"],
            &dry.json["invalid"]
        ),
        (&json!(true), &json!(2), &json!(1), &json!(0))
    );
    assert_eq!(dry.json["ignored_columns"], json!(["earnings"]));
    assert!(!exists(&minh).await, "a dry run writes nothing");

    let done = import(&file, false).await;
    done.status(200);
    assert_eq!(results(&done), results(&dry));
    assert_eq!(
        (&done.json["dry_run"], &done.json["created"]),
        (&json!(false), &json!(2))
    );
    assert_eq!(
        done.json["emailed"], 0,
        "no one is emailed unless the merchant asks"
    );
    let m = affiliate_json(&minh).await;
    assert_eq!(
        (
            &m["name"],
            &m["email"],
            &m["category"],
            &m["status"],
            &m["recruiter"]
        ),
        (
            &json!("Nguyễn Văn Minh"),
            &json!("minh@example.com"),
            &json!("influencer"),
            &json!("approved"),
            &json!(lan)
        )
    );
    assert_eq!(m["coupons"], json!([code.clone(), format!("{code}B")]));
    assert_eq!(
        m["commission"]["sale"],
        json!({"type": "percent", "rate_bps": 1250})
    );
    let l = affiliate_json(&lan).await;
    assert_eq!(
        (&l["name"], &l["category"], &l["recruiter"]),
        (&json!("Trần Thị Lan"), &json!("other"), &json!(known))
    );
    assert_eq!(
        affiliate_json(&known).await["name"],
        "Known before",
        "a known id is left as it is"
    );

    // The same file again changes nothing.
    let again = import(&file, false).await;
    again.status(200);
    assert_eq!(
        (&again.json["created"], &again.json["existing"]),
        (&json!(0), &json!(3))
    );

    // The export reads back as the same affiliates.
    let rows = export("").await;
    let mut back = csv::Writer::from_writer(Vec::new());
    back.write_record(COLUMNS).unwrap();
    for id in [&minh, &lan] {
        back.write_record(COLUMNS.iter().map(|c| rows[id.as_str()][*c].as_str()))
            .unwrap();
    }
    let text = String::from_utf8(back.into_inner().unwrap()).unwrap();
    let round = import(&text, true).await;
    round.status(200);
    assert_eq!(
        (&round.json["existing"], &round.json["invalid"]),
        (&json!(2), &json!(0)),
        "{}",
        round.text
    );
}

#[tokio::test]
async fn a_file_with_an_invalid_row_imports_nothing() {
    let coupon = uid("T").to_uppercase();
    let (owner, _) = affiliate(json!({"coupons": [coupon.clone()]})).await;
    let [good, bad_mail, twice, taken, a, b, lone] =
        ["good", "mail", "twice", "taken", "a", "b", "lone"].map(uid);
    let file = format!(
        "id,name,email,coupons,recruiter,sale_rate\n\
         {good},Good,good@example.com,,,\n\
         {bad_mail},Bad mail,not-an-email,,,\n\
         {good},Twice,,,,\n\
         {taken},Taken,,{},,\n\
         {a},A,,,{b},\n\
         {b},B,,,{a},\n\
         {lone},Lone,,,nobody-{lone},\n\
         {twice},Rate,,,,150\n\
         bad id,Spaces,,,,\n\
         {twice}x,Short\n",
        coupon.to_lowercase()
    );
    let dry = import(&file, true).await;
    dry.status(200);
    let codes: Vec<(u64, String)> = results(&dry).into_iter().map(|(l, _, c)| (l, c)).collect();
    assert_eq!(
        codes,
        [
            (2, "created"),
            (3, "invalid_email"),
            (4, "duplicate_row"),
            (5, "coupon_taken"),
            (6, "invalid_recruiter"),
            (7, "invalid_recruiter"),
            (8, "invalid_recruiter"),
            (9, "invalid_sale_rate"),
            (10, "invalid_affiliate"),
            (11, "invalid_csv"),
        ]
        .map(|(l, c)| (l, c.to_owned()))
    );
    assert_eq!(
        (&dry.json["created"], &dry.json["invalid"]),
        (&json!(1), &json!(9))
    );
    let first = &dry.json["rows"][1]["error"];
    assert!(
        first["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{}",
        dry.text
    );

    let r = import(&file, false).await;
    r.error(400, "invalid_import");
    let message = r.json["error"]["message"].as_str().unwrap_or("");
    assert!(
        message.contains("line 3") && message.contains(&bad_mail),
        "{message}"
    );
    assert!(!exists(&good).await, "nothing is written");
    assert_eq!(affiliate_json(&owner).await["coupons"], json!([coupon]));
}

#[tokio::test]
async fn unreadable_files_are_refused_whole() {
    for (file, why) in [
        (&b"id,name\nminh,Nguy\xe1n\n"[..], "Windows-1258, not UTF-8"),
        (b"email,name\nm@example.com,Minh\n", "no id column"),
        (b"id,name,Name\nminh,Minh,M\n", "a column twice"),
        (b"id,name\n", "no rows"),
        (b"", "empty"),
    ] {
        let r = req("POST", "/v1/affiliates.csv?dry_run=true")
            .sk()
            .bytes(file.to_vec(), "text/csv")
            .send()
            .await;
        assert_eq!(r.json["error"]["code"], "invalid_csv", "{why}: {}", r.text);
        r.error(400, "invalid_csv");
    }
    let many = format!("id,name\n{}", "x,X\n".repeat(10_001));
    import(&many, true).await.error(400, "invalid_csv");
    let huge = format!(
        "id,name,address\n{}",
        format!("x,X,{}\n", "a".repeat(1000)).repeat(4_300)
    );
    import(&huge, true).await.error(413, "payload_too_large");
    req("POST", "/v1/affiliates.csv?dry_run=maybe")
        .sk()
        .raw("id,name\nx,X\n", "text/csv")
        .send()
        .await
        .error(400, "invalid_query");
    req("POST", "/v1/affiliates.csv")
        .who(As::Publishable)
        .raw("id,name\nx,X\n", "text/csv")
        .send()
        .await
        .error(403, "forbidden");
    let (_, token) = affiliate(json!({})).await;
    let r = req("POST", "/v1/affiliates.csv")
        .who(As::Bearer(token))
        .raw("id,name\nx,X\n", "text/csv")
        .send()
        .await;
    assert!(matches!(r.status.as_u16(), 401 | 403), "{}", r.text);
}

/// AffiliateWP's affiliate export as it writes it (labels for headers, every cell quoted, CRLF),
/// with the links on usernames: imported as it is.
#[tokio::test]
async fn an_affiliatewp_export_imports_as_it_is() {
    let program = req("GET", "/v1/program").sk().send().await;
    program.status(200);
    let currency = program.json["currency"]
        .as_str()
        .expect("currency")
        .to_owned();
    let per_unit: i64 = if currency == "VND" { 1 } else { 100 };
    let [minh, lan, thu] = ["minh", "lan", "thu"].map(uid);
    let file = format!(
        "\"Affiliate ID\",\"Email\",\"Name\",\"Payment Email\",\"Username\",\"Rate\",\"Rate Type\",\"Earnings\",\"Referrals\",\"Visits\",\"Conversion Rate\",\"Status\",\"Date Registered\"\r\n\
         \"12\",\"{minh}@example.com\",\"Minh Nguyen\",\"pay-{minh}@example.com\",\"{minh}\",\"12.5\",\"percentage\",\"1000\",\"3\",\"40\",\"7.5\",\"active\",\"2024-01-02 03:04:05\"\r\n\
         \"13\",\"{lan}@example.com\",\"\",\"\",\"{lan}\",\"15\",\"flat\",\"0\",\"0\",\"0\",\"0\",\"inactive\",\"2024-01-02 03:04:05\"\r\n\
         \"14\",\"{thu}@example.com\",\"Thu\",\"\",\"{thu}\",\"\",\"\",\"0\",\"0\",\"0\",\"0\",\"pending\",\"2024-01-02 03:04:05\"\r\n"
    );
    let r = req("POST", "/v1/affiliates.csv?id_column=Username")
        .sk()
        .raw(file.clone(), "text/csv")
        .send()
        .await;
    r.status(200);
    assert_eq!(r.json["created"], 3, "{}", r.text);
    assert_eq!(
        r.json["ignored_columns"],
        json!([
            "affiliate_id",
            "earnings",
            "referrals",
            "visits",
            "conversion_rate",
            "date_registered"
        ])
    );
    let m = affiliate_json(&minh).await;
    assert_eq!(
        (&m["name"], &m["payout_email"], &m["status"]),
        (
            &json!("Minh Nguyen"),
            &json!(format!("pay-{minh}@example.com")),
            &json!("approved")
        )
    );
    assert_eq!(
        m["commission"]["sale"],
        json!({"type": "percent", "rate_bps": 1250})
    );
    let l = affiliate_json(&lan).await;
    assert_eq!(
        (&l["name"], &l["status"]),
        (&json!(lan), &json!("suspended")),
        "a user without a name is known by their username"
    );
    assert_eq!(
        l["commission"]["sale"],
        json!({"type": "flat", "amounts": {currency.clone(): 15 * per_unit}})
    );
    assert_eq!(affiliate_json(&thu).await["status"], "pending");

    // Without naming the column, the file has no ids.
    import(&file, true).await.error(400, "invalid_csv");
    req("POST", "/v1/affiliates.csv?dry_run=true&id_column=")
        .sk()
        .raw(file, "text/csv")
        .send()
        .await
        .error(400, "invalid_query");
}
