//! The log formats of the binary: `--log-format json` writes one JSON object per line (for log
//! collectors), `text` (the default) key=value lines.

use std::process::Command;

fn migrate_with(format: &str) -> String {
    let dir = std::env::temp_dir().join(format!(
        "reftrail-logs-{format}-{}",
        reftrail_server::ids::random_base62(8)
    ));
    let out = Command::new(env!("CARGO_BIN_EXE_reftrail-server"))
        .args(["--log-format", format, "--log", "info", "--database"])
        .arg(format!("sqlite://{}", dir.join("db.sqlite").display()))
        .arg("migrate")
        .env("REFTRAIL_SECRET_KEY", "sk_test_logs0123456789abcdefgh")
        .output()
        .expect("run the server binary");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.status.success(), "migrate failed: {out:?}");
    String::from_utf8(out.stderr).expect("utf-8 logs")
}

#[test]
fn json_logs_are_one_object_per_line() {
    let logs = migrate_with("json");
    let lines: Vec<&str> = logs.lines().filter(|l| !l.is_empty()).collect();
    assert!(!lines.is_empty(), "migrate logs what it applied");
    for line in &lines {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        assert!(
            v["timestamp"].is_string() && v["level"].is_string(),
            "{line}"
        );
    }
    assert!(
        lines.iter().any(|l| l.contains(r#""message":"migration applied""#)
            && l.contains(r#""version":1"#)),
        "{logs}"
    );
}

#[test]
fn text_logs_stay_key_value_lines() {
    let logs = migrate_with("text");
    assert!(
        logs.lines()
            .any(|l| l.contains("migration applied") && l.contains("version=1")),
        "{logs}"
    );
    assert!(logs.lines().all(|l| !l.starts_with('{')), "{logs}");
}
