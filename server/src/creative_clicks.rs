//! The clicks that name a creative: the portal puts `utm_content=<creative id>` on each
//! creative's link, the browser reports it with the click's campaign parameters, and the click
//! keeps it (`clicks.content_name`), counted per day in `content_daily` for the creatives report
//! (`routes::creative_report`), which matches it to the creatives that exist.

use crate::db::Backend;
use crate::error::AppError;
use std::collections::BTreeMap;

/// The `utm_content` of a click's campaign parameters.
pub fn name_of(tags: &BTreeMap<String, String>) -> Option<&str> {
    tags.get("utm_content")
        .map(String::as_str)
        .filter(|v| !v.is_empty())
}

/// Recomputes `content_daily` from the clicks (the migration, and after a bulk load).
pub async fn rebuild_daily(conn: &mut sqlx::AnyConnection) -> Result<(), AppError> {
    sqlx::query("DELETE FROM content_daily")
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO content_daily (day, affiliate_id, content, clicks) \
         SELECT at / 86400, COALESCE(affiliate_id, ''), content_name, COUNT(*) FROM clicks \
         WHERE content_name IS NOT NULL AND is_bot = 0 \
         GROUP BY at / 86400, COALESCE(affiliate_id, ''), content_name",
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Migration 23: the `utm_content` of every stored click, from its parameters (a JSON object),
/// and their per-day counts.
pub async fn backfill(conn: &mut sqlx::AnyConnection, backend: Backend) -> Result<(), AppError> {
    let content = match backend {
        Backend::Sqlite => "json_extract(campaign, '$.utm_content')",
        Backend::Postgres => "CAST(campaign AS json) ->> 'utm_content'",
    };
    let sql =
        format!("UPDATE clicks SET content_name = {content} WHERE campaign LIKE '%utm_content%'");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(&mut *conn)
        .await?;
    rebuild_daily(conn).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_creative_is_the_clicks_utm_content() {
        let tags = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        for (pairs, want) in [
            (
                &[("utm_content", "cr_1"), ("utm_source", "blog")][..],
                Some("cr_1"),
            ),
            (&[("utm_source", "utm_content")][..], None),
            (&[("utm_content", "")][..], None),
            (&[][..], None),
        ] {
            assert_eq!(name_of(&tags(pairs)), want, "{pairs:?}");
        }
    }
}
