//! `server/openapi.json` is the contract in the repository (for the WordPress plugin, the
//! dashboard and the JS types); it must equal what the code generates. Regenerate it with
//! `REFTRAIL_UPDATE_OPENAPI=1 cargo test -p reftrail-server --test openapi`.

#[test]
fn the_committed_document_matches_the_code() {
    let generated: serde_json::Value =
        serde_json::from_str(&reftrail_server::openapi::document()).expect("json");
    let pretty = format!(
        "{}\n",
        serde_json::to_string_pretty(&generated).expect("pretty")
    );
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
    if std::env::var_os("REFTRAIL_UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &pretty).expect("write openapi.json");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == pretty,
        "server/openapi.json is out of date; run REFTRAIL_UPDATE_OPENAPI=1 cargo test -p reftrail-server --test openapi"
    );
    assert!(generated["openapi"]
        .as_str()
        .is_some_and(|v| v.starts_with("3.1")));
}
