//! Retention of click details: past the program's `click_details_days`, a click loses the
//! address hash, the user agent and the referrer, a batch per round from a watermark; the click
//! stays and the reports count it as before.

use axum::http::StatusCode;
use reftrail_server::retention::{forget_click_details, BATCH, SLACK};
use reftrail_server::times::now;
use reftrail_server::{AppState, HttpOptions};
use serde_json::{json, Value};
use sqlx::Row;

mod support;

use support::call;

const DAY: i64 = 86_400;

/// (clicks with details, clicks without) in the database.
async fn details(state: &AppState) -> (i64, i64) {
    let r = sqlx::query(
        "SELECT SUM(CASE WHEN ip_hash <> '' AND user_agent <> '' AND referrer <> '' THEN 1 ELSE 0 END), \
         SUM(CASE WHEN ip_hash = '' AND user_agent = '' AND referrer = '' THEN 1 ELSE 0 END) FROM clicks",
    )
    .fetch_one(&state.db.pool)
    .await
    .expect("count");
    (
        r.try_get::<Option<i64>, _>(0).expect("with").unwrap_or(0),
        r.try_get::<Option<i64>, _>(1)
            .expect("without")
            .unwrap_or(0),
    )
}

async fn set_days(state: &AppState, days: Value) {
    let (_, mut program) = call(state, "GET", "/v1/program", json!(null)).await;
    program["click_details_days"] = days;
    let (s, body) = call(state, "PUT", "/v1/program", program).await;
    assert_eq!(s, StatusCode::OK, "{body}");
}

async fn summary_clicks(state: &AppState) -> Value {
    let (s, body) = call(state, "GET", "/v1/reports/summary", json!(null)).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body["kpis"]["clicks"].clone()
}

/// Stores clicks `c_000000`, `c_000001`, … at the times `ats`, from one address with all their
/// details, as the click writer would have.
async fn insert_clicks(state: &AppState, ats: &[i64]) {
    let mut tx = state.db.begin_write().await.expect("tx");
    for (i, at) in ats.iter().enumerate() {
        sqlx::query(
            "INSERT INTO clicks (id, affiliate_id, at, visitor_key, is_unique, is_bot, ip_hash, consent, url, referrer, user_agent) \
             VALUES ($1, NULL, $2, 'v:x', 0, 0, 'hash', 'granted', 'https://www.shop.test/', 'https://blog.example/', 'Mozilla/5.0')",
        )
        .bind(format!("c_{i:06}"))
        .bind(at)
        .execute(&mut *tx)
        .await
        .expect("insert");
    }
    tx.commit().await.expect("commit");
}

#[tokio::test]
async fn click_details_go_after_the_programs_days_and_the_clicks_stay() {
    let state = support::fresh_state(HttpOptions::default()).await;
    let (s, _) = call(
        &state,
        "POST",
        "/v1/affiliates",
        json!({"id": "alice", "name": "Alice"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    for _ in 0..3 {
        let click = json!({"affiliate": "alice", "url": "https://www.shop.test/?ref=alice",
            "referrer": "https://blog.example/post", "consent": "granted"});
        let (s, body) = call(&state, "POST", "/v1/clicks", click).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
    }
    assert_eq!(details(&state).await, (3, 0));
    let clicks = summary_clicks(&state).await;
    let t = now();

    // The default keeps them 90 days.
    assert_eq!(
        forget_click_details(&state, t + 89 * DAY)
            .await
            .expect("round"),
        0
    );
    assert_eq!(details(&state).await, (3, 0));
    // Kept while the program keeps them (null), whatever their age.
    set_days(&state, json!(null)).await;
    assert_eq!(
        forget_click_details(&state, t + 400 * DAY)
            .await
            .expect("round"),
        0
    );
    assert_eq!(details(&state).await, (3, 0));

    set_days(&state, json!(90)).await;
    assert_eq!(
        forget_click_details(&state, t + 91 * DAY)
            .await
            .expect("round"),
        3
    );
    assert_eq!(details(&state).await, (0, 3));
    assert_eq!(
        summary_clicks(&state).await,
        clicks,
        "the clicks still count"
    );
    // The next round has nothing to do.
    assert_eq!(
        forget_click_details(&state, t + 92 * DAY)
            .await
            .expect("round"),
        0
    );
}

#[tokio::test]
async fn a_round_takes_one_batch_and_the_next_goes_on_from_there() {
    let state = support::fresh_state(HttpOptions::default()).await;
    set_days(&state, json!(30)).await;
    let t0 = now() - 100 * DAY;
    // More clicks in one second than a batch holds, then a batch's worth spread over seconds,
    // then a recent click that must keep its details.
    let mut rows: Vec<i64> = vec![t0; (BATCH + 7) as usize];
    rows.extend((1..=BATCH).map(|i| t0 + 1 + i));
    rows.push(now() - DAY);
    insert_clicks(&state, &rows).await;
    let total = rows.len() as i64;

    let t = now();
    let first = forget_click_details(&state, t).await.expect("round");
    assert_eq!(first, (BATCH + 7) as u64, "the crowded second, whole");
    let second = forget_click_details(&state, t).await.expect("round");
    assert_eq!(second, BATCH as u64);
    assert_eq!(details(&state).await, (1, total - 1));
    assert_eq!(forget_click_details(&state, t).await.expect("round"), 0);
    // Within the slack a round waits; past it, it goes on (the recent click is not due yet).
    assert_eq!(
        forget_click_details(&state, t + SLACK - 1)
            .await
            .expect("round"),
        0
    );
    assert_eq!(
        forget_click_details(&state, t + 2 * SLACK)
            .await
            .expect("round"),
        0
    );
    assert_eq!(details(&state).await, (1, total - 1));
    assert_eq!(
        forget_click_details(&state, t + 30 * DAY)
            .await
            .expect("round"),
        1
    );
    assert_eq!(details(&state).await, (0, total));
}

#[tokio::test]
async fn a_click_without_its_details_is_not_counted_for_click_velocity() {
    let state = support::fresh_state(HttpOptions::default()).await;
    let t0 = now() - 100 * DAY;
    insert_clicks(&state, &[t0, t0, t0]).await;
    let mut fraud = state.program().await.expect("program").fraud.clone();
    fraud.clicks_per_ip_per_hour = 2;
    let velocity = |state: AppState, fraud: reftrail_server::program::Fraud| async move {
        let mut tx = state.db.begin_write().await.expect("tx");
        reftrail_server::fraud::click_velocity(&mut tx, &fraud, "c_000002")
            .await
            .expect("check")
    };
    assert!(
        velocity(state.clone(), fraud.clone()).await,
        "three clicks from one address"
    );
    assert_eq!(forget_click_details(&state, now()).await.expect("round"), 3);
    assert!(
        !velocity(state.clone(), fraud).await,
        "no address left to count by"
    );
}
