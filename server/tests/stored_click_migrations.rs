//! Migrations 22 (campaigns) and 23 (creative clicks) on a database written before them: every
//! stored click gets the campaign name and the `utm_content` its parameters give, the per-day
//! rollups count them, and referrals a click credited take that click's campaign (a coupon's
//! keeps none). On SQLite here; on PostgreSQL by `scripts/test-server.sh`
//! (`REFTRAIL_MIGRATION_URL`, ignored otherwise).

use reftrail_server::db::{Db, MIGRATIONS};

/// Applies the migrations before 22 the way `Db::migrate` records them.
async fn migrate_to_21(db: &Db) {
    let mut conn = db.pool.acquire().await.expect("conn");
    sqlx::raw_sql(
        "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )
    .execute(&mut *conn)
    .await
    .expect("schema_migrations");
    for (version, name, sql) in MIGRATIONS.iter().filter(|m| m.0 < 22) {
        sqlx::raw_sql(sqlx::AssertSqlSafe(*sql))
            .execute(&mut *conn)
            .await
            .unwrap_or_else(|e| panic!("migration {version}: {e}"));
        sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, 0)")
            .bind(*version)
            .bind(*name)
            .execute(&mut *conn)
            .await
            .expect("record");
    }
}

/// What a database held before the migration: clicks with and without campaign parameters
/// (one by a bot), a sale and a lead each credited by a click, and a coupon's sale whose
/// order also names a click.
const BEFORE: &str = "
INSERT INTO affiliates (id, name, category, status, created_at, updated_at) VALUES ('alice', 'Alice', 'content', 'approved', 0, 0);
INSERT INTO clicks (id, affiliate_id, at, visitor_key, is_unique, is_bot, ip_hash, consent, url, referrer, campaign, user_agent) VALUES
 ('c1', 'alice', 86400, 'v:1', 1, 0, 'h', 'granted', 'u', '', '{\"utm_campaign\":\"T\u{1ebf}t \\\"sale\\\"\",\"utm_source\":\"fb\"}', 'ua'),
 ('c2', 'alice', 86500, 'v:2', 1, 0, 'h', 'granted', 'u', '', '{\"campaign\":\"zalo\",\"utm_content\":\"cr_1\"}', 'ua'),
 ('c3', 'alice', 86600, 'v:3', 0, 0, 'h', 'granted', 'u', '', '{\"utm_campaign\":\"T\u{1ebf}t \\\"sale\\\"\"}', 'ua'),
 ('c4', 'alice', 86700, 'v:4', 0, 1, 'h', 'granted', 'u', '', '{\"utm_campaign\":\"zalo\",\"utm_content\":\"cr_1\"}', 'ua'),
 ('c5', 'alice', 86800, 'v:5', 1, 0, 'h', 'granted', 'u', '', '{\"utm_source\":\"fb\"}', 'ua'),
 ('c6', 'alice', 2 * 86400, 'v:6', 1, 0, 'h', 'granted', 'u', '', NULL, 'ua'),
 ('c7', NULL, 2 * 86400, 'v:7', 0, 0, 'h', 'granted', 'u', '', '{\"utm_content\":\"cr_1\"}', 'ua');
INSERT INTO orders (id, order_id, at, amount, currency, shipping, tax, verified, affiliate_id, attributed_by, click_id) VALUES
 ('o1', 'A-1', 90000, 1000, 'VND', 0, 0, 1, 'alice', 'cookie', 'c1'),
 ('o2', 'A-2', 90000, 1000, 'VND', 0, 0, 1, 'alice', 'coupon', 'c2');
INSERT INTO leads (id, dedupe_key, at, event, verified, affiliate_id, attributed_by, click_id) VALUES
 ('l1', 'k1', 90000, 'signup', 1, 'alice', 'click_id', 'c2');
INSERT INTO referrals (id, kind, source_id, affiliate_id, at, amount, currency, commission, status, verified, attributed_by, flags, hold_until) VALUES
 ('r1', 'sale', 'o1', 'alice', 90000, 1000, 'VND', 100, 'approved', 1, 'cookie', '[]', 0),
 ('r2', 'sale', 'o2', 'alice', 90000, 1000, 'VND', 100, 'approved', 1, 'coupon', '[]', 0),
 ('r3', 'lead', 'l1', 'alice', 90000, 0, 'VND', 0, 'approved', 1, 'click_id', '[]', 0);
";

/// The rows `sql` answers, as tuples.
async fn rows<T>(db: &Db, sql: &'static str) -> Vec<T>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    sqlx::query_as::<_, T>(sql)
        .fetch_all(&db.pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn check(url: &str) {
    let db = Db::connect(url, 2).await.expect("db");
    migrate_to_21(&db).await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(BEFORE))
        .execute(&db.pool)
        .await
        .expect("rows before");
    // 22 and 23 read the stored clicks; the later ones run too.
    assert_eq!(db.migrate().await.expect("migrate"), MIGRATIONS.len() - 21);

    let names: Vec<(String, Option<String>)> =
        rows(&db, "SELECT id, campaign_name FROM clicks ORDER BY id").await;
    let tet = "T\u{1ebf}t \"sale\"".to_owned();
    assert_eq!(
        names,
        [
            ("c1".into(), Some(tet.clone())),
            ("c2".into(), Some("zalo".into())),
            ("c3".into(), Some(tet.clone())),
            ("c4".into(), Some("zalo".into())),
            ("c5".into(), None),
            ("c6".into(), None),
            ("c7".into(), None),
        ]
    );
    let contents: Vec<(String, Option<String>)> = rows(
        &db,
        "SELECT id, content_name FROM clicks WHERE content_name IS NOT NULL ORDER BY id",
    )
    .await;
    let cr = Some("cr_1".to_owned());
    assert_eq!(
        contents,
        [
            ("c2".into(), cr.clone()),
            ("c4".into(), cr.clone()),
            ("c7".into(), cr)
        ]
    );
    let by_content: Vec<(i64, String, String, i64)> = rows(
        &db,
        "SELECT day, affiliate_id, content, clicks FROM content_daily ORDER BY day, affiliate_id",
    )
    .await;
    // The bot's click counts nowhere; a click without an affiliate counts under ''.
    assert_eq!(
        by_content,
        [
            (1, "alice".into(), "cr_1".into(), 1),
            (2, String::new(), "cr_1".into(), 1)
        ]
    );
    let daily: Vec<(i64, String, i64, i64)> = rows(&db, "SELECT day, campaign, clicks, unique_clicks FROM campaign_daily WHERE affiliate_id = 'alice' ORDER BY campaign").await;
    // The bot's click counts nowhere here (clicks are people's).
    assert_eq!(daily, [(1, tet.clone(), 2, 1), (1, "zalo".into(), 1, 1)]);
    let campaigns: Vec<(String, Option<String>)> =
        rows(&db, "SELECT id, campaign FROM referrals ORDER BY id").await;
    assert_eq!(
        campaigns,
        [
            ("r1".into(), Some(tet)),
            ("r2".into(), None),
            ("r3".into(), Some("zalo".into())),
        ]
    );
}

#[tokio::test]
async fn migrations_name_the_stored_clicks_campaigns_and_contents_on_sqlite() {
    let dir = std::env::temp_dir().join(format!(
        "reftrail-campaign-migration-{}",
        reftrail_server::ids::random_base62(10)
    ));
    check(&format!("sqlite://{}", dir.join("db.sqlite").display())).await;
}

#[tokio::test]
#[ignore = "needs an empty PostgreSQL database in REFTRAIL_MIGRATION_URL (scripts/test-server.sh)"]
async fn migrations_name_the_stored_clicks_campaigns_and_contents_on_postgres() {
    let url = std::env::var("REFTRAIL_MIGRATION_URL").expect("REFTRAIL_MIGRATION_URL");
    check(&url).await;
}
