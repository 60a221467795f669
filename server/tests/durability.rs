//! Durability: a load of sales and clicks while the server is killed with SIGKILL; after a
//! restart every sale that was answered 2xx must be in the ledger exactly once, and every
//! click answered 2xx must be counted (clicks carry no idempotency key: the count lies between
//! the acknowledged and the sent). `scripts/test-server.sh`
//! drives it: `load_until_killed` runs while the script kills the server, then
//! `verify_after_restart` runs against the restarted server. Both are `#[ignore]`d so a plain
//! `cargo test` skips them; they need `REFTRAIL_BASE_URL`, `REFTRAIL_SECRET_KEY` and
//! `REFTRAIL_DURABILITY_LOG` (where acknowledged order ids are written).

use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn var(k: &str) -> String {
    std::env::var(k).unwrap_or_else(|_| panic!("{k} must be set"))
}

/// Sends the requests `request(n)` makes, n = 0, 1, …, until 30 s have passed since `started`
/// or the server has not answered for 2 s (it was killed), and logs the line `request` gives
/// with each acknowledged request. Returns how many were sent and how many acknowledged.
async fn post_until_killed(
    started: Instant,
    log: Arc<Mutex<std::fs::File>>,
    mut request: impl FnMut(u64) -> (reqwest::RequestBuilder, String),
) -> (u64, u64) {
    let (mut sent, mut acked) = (0u64, 0u64);
    let mut failing_since: Option<Instant> = None;
    for n in 0.. {
        if started.elapsed() > Duration::from_secs(30) {
            break;
        }
        let (req, line) = request(n);
        sent += 1;
        match req.send().await {
            Ok(r) if r.status().is_success() => {
                failing_since = None;
                acked += 1;
                let mut l = log.lock().expect("log lock");
                writeln!(l, "{line}").expect("write");
                l.flush().expect("flush");
            }
            _ => {
                let since = *failing_since.get_or_insert_with(Instant::now);
                if since.elapsed() > Duration::from_secs(2) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    (sent, acked)
}

#[tokio::test]
#[ignore = "driven by scripts/test-server.sh"]
async fn load_until_killed() {
    let base = var("REFTRAIL_BASE_URL");
    let sk = var("REFTRAIL_SECRET_KEY");
    let log_path = var("REFTRAIL_DURABILITY_LOG");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let run = format!("{nanos:x}");
    let affiliate = format!("durable{run}");
    let coupon = format!("DUR{run}");
    let r = client
        .post(format!("{base}/v1/affiliates"))
        .bearer_auth(&sk)
        .json(&json!({"id": affiliate, "name": "Durability", "coupons": [coupon]}))
        .send()
        .await
        .expect("create affiliate");
    assert_eq!(r.status(), 201);
    let mut log = std::fs::File::create(&log_path).expect("log file");
    writeln!(log, "{affiliate}").expect("write");
    let log = Arc::new(Mutex::new(log));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..8 {
        let (client, base, sk) = (client.clone(), base.clone(), sk.clone());
        let (coupon, log, run) = (coupon.clone(), log.clone(), run.clone());
        tasks.push(tokio::spawn(post_until_killed(started, log, move |n| {
            let order = format!("D-{run}-{worker}-{n}");
            let body =
                json!({"order_id": order, "amount": 100_000, "currency": "VND", "coupon": coupon});
            let request = client
                .post(format!("{base}/v1/sales"))
                .bearer_auth(&sk)
                .json(&body);
            (request, order)
        })));
    }
    let mut clickers = Vec::new();
    for worker in 0..4 {
        let (client, base, affiliate) = (client.clone(), base.clone(), affiliate.clone());
        let (log, run) = (log.clone(), run.clone());
        let counts = log.clone();
        clickers.push(tokio::spawn(async move {
            let (sent, _) = post_until_killed(started, log, move |n| {
                // A new visitor each time: 16 to 32 letters and digits.
                let visitor = format!("v{run}w{worker}n{n}");
                let visitor = &visitor[..visitor.len().min(32)];
                let body = json!({"affiliate": affiliate, "url": "https://www.shop.test/?ref=durable",
                    "consent": "granted", "visitor": format!("{visitor:0<16}")});
                (client.post(format!("{base}/v1/clicks")).json(&body), "click".to_owned())
            })
            .await;
            let mut l = counts.lock().expect("log lock");
            writeln!(l, "clicks-sent {sent}").expect("write");
            l.flush().expect("flush");
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.expect("worker").1;
    }
    for c in clickers {
        c.await.expect("click worker");
    }
    eprintln!("durability: {total} sales acknowledged before the kill");
    assert!(total > 0, "no sale was acknowledged");
}

#[tokio::test]
#[ignore = "driven by scripts/test-server.sh"]
async fn verify_after_restart() {
    let base = var("REFTRAIL_BASE_URL");
    let sk = var("REFTRAIL_SECRET_KEY");
    let text = std::fs::read_to_string(var("REFTRAIL_DURABILITY_LOG")).expect("log");
    let mut lines = text.lines();
    let affiliate = lines.next().expect("affiliate line").to_owned();
    let lines: Vec<&str> = lines.filter(|l| !l.is_empty()).collect();
    let clicks_acked = lines.iter().filter(|l| **l == "click").count() as i64;
    let clicks_sent: i64 = lines
        .iter()
        .filter_map(|l| l.strip_prefix("clicks-sent "))
        .map(|n| n.parse::<i64>().expect("sent count"))
        .sum();
    let acked: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| *l != "click" && !l.starts_with("clicks-sent "))
        .collect();
    let client = reqwest::Client::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut offset = 0;
    loop {
        let r = client
            .get(format!(
                "{base}/v1/referrals?affiliate={affiliate}&limit=500&offset={offset}"
            ))
            .bearer_auth(&sk)
            .send()
            .await
            .expect("list");
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.expect("json");
        let page = v["referrals"].as_array().cloned().unwrap_or_default();
        for x in &page {
            let order = x["order_id"].as_str().unwrap_or("").to_owned();
            *seen.entry(order).or_default() += 1;
        }
        if page.len() < 500 {
            break;
        }
        offset += 500;
    }
    for order in &acked {
        assert_eq!(
            seen.get(*order).copied(),
            Some(1),
            "acknowledged sale {order} must be stored exactly once"
        );
    }
    assert!(seen.values().all(|n| *n == 1), "no order has two referrals");
    let r = client
        .get(format!("{base}/v1/balances?affiliate={affiliate}"))
        .bearer_auth(&sk)
        .send()
        .await
        .expect("balances");
    let v: Value = r.json().await.expect("json");
    let b = &v["balances"][0];
    let owed = b["approved"].as_i64().unwrap_or(0) + b["pending"].as_i64().unwrap_or(0);
    assert_eq!(
        owed,
        10_000 * seen.len() as i64,
        "the ledger holds one commission per stored sale"
    );
    let r = client
        .get(format!(
            "{base}/v1/reports/affiliates?sort=clicks&limit=1000"
        ))
        .bearer_auth(&sk)
        .send()
        .await
        .expect("report");
    let v: Value = r.json().await.expect("json");
    let clicks_stored = v["rows"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["key"] == affiliate.as_str()))
        // The load tool's user agent counts as a bot: its clicks are kept apart, not dropped.
        .map_or(0, |r| {
            r["clicks"].as_i64().unwrap_or(0) + r["bot_clicks"].as_i64().unwrap_or(0)
        });
    assert!(clicks_acked > 0, "no click was acknowledged");
    assert!(
        clicks_acked <= clicks_stored && clicks_stored <= clicks_sent,
        "every acknowledged click is stored: {clicks_acked} acknowledged, {clicks_stored} stored, {clicks_sent} sent"
    );
    eprintln!(
        "durability: {} sales acknowledged, {} stored, all exactly once; clicks: {clicks_acked} acknowledged, {clicks_stored} stored, {clicks_sent} sent",
        acked.len(),
        seen.len()
    );
}

/// Two server processes on one database behave as one: concurrent duplicates of a sale on
/// both make one referral, concurrent payouts pay once, concurrent refunds never exceed the
/// order. Needs `REFTRAIL_BASE_URL`, `REFTRAIL_BASE_URL_2` and `REFTRAIL_SECRET_KEY`.
#[tokio::test]
#[ignore = "driven by scripts/test-server.sh"]
async fn two_processes_behave_as_one() {
    let bases = [var("REFTRAIL_BASE_URL"), var("REFTRAIL_BASE_URL_2")];
    let sk = var("REFTRAIL_SECRET_KEY");
    let client = reqwest::Client::new();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let affiliate = format!("twin{nanos:x}");
    let coupon = format!("TWIN{nanos:x}");
    let r = client
        .post(format!("{}/v1/affiliates", bases[0]))
        .bearer_auth(&sk)
        .json(
            &json!({"id": affiliate, "name": "Twin", "email": "twin@x.test", "coupons": [coupon]}),
        )
        .send()
        .await
        .expect("affiliate");
    assert_eq!(r.status(), 201);
    let post = |i: usize, path: &str, body: Value| {
        client
            .post(format!("{}{path}", bases[i % 2]))
            .bearer_auth(&sk)
            .json(&body)
            .send()
    };
    for n in 0..10 {
        let body = json!({"order_id": format!("T-{nanos:x}-{n}"), "amount": 10_000, "currency": "VND", "coupon": coupon});
        let answers = futures_join((0..10).map(|i| post(i, "/v1/sales", body.clone()))).await;
        let created = answers.iter().filter(|s| **s == 201).count();
        assert_eq!(
            created, 1,
            "one 201 per order across processes: {answers:?}"
        );
        assert!(
            answers.iter().all(|s| *s == 201 || *s == 200),
            "{answers:?}"
        );
    }
    let order = format!("T-{nanos:x}-0");
    let refunds = futures_join((0..6).map(|i| {
        post(
            i,
            "/v1/refunds",
            json!({"order_id": order, "amount": 4_000, "refund_id": format!("tr{i}")}),
        )
    }))
    .await;
    assert_eq!(
        refunds.iter().filter(|s| **s == 201).count(),
        2,
        "only 8,000 of 10,000 fit: {refunds:?}"
    );
    let payouts =
        futures_join((0..4).map(|i| post(i, "/v1/payouts", json!({"affiliates": [affiliate]}))))
            .await;
    assert_eq!(
        payouts.iter().filter(|s| **s == 201).count(),
        1,
        "{payouts:?}"
    );
    assert_eq!(
        payouts.iter().filter(|s| **s == 422).count(),
        3,
        "{payouts:?}"
    );
    let r = client
        .get(format!("{}/v1/balances?affiliate={affiliate}", bases[1]))
        .bearer_auth(&sk)
        .send()
        .await
        .expect("balances");
    let v: Value = r.json().await.expect("json");
    // 10 sales of 1,000 commission, 800 reversed, all paid.
    assert_eq!(v["balances"][0]["paid"], 9_200);
    assert_eq!(v["balances"][0]["approved"], 0);
}

/// Awaits every request; their statuses (0 for a transport error).
async fn futures_join<F>(futs: impl Iterator<Item = F>) -> Vec<u16>
where
    F: std::future::Future<Output = reqwest::Result<reqwest::Response>> + Send + 'static,
{
    let handles: Vec<_> = futs.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(match h.await {
            Ok(Ok(r)) => r.status().as_u16(),
            _ => 0,
        });
    }
    out
}
