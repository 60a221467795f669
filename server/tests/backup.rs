//! `reftrail-server backup` while the server takes sales: the copy is whole, a server of its own
//! opens it, and it holds every sale acknowledged before the backup began; what it refuses
//! (an existing file, a missing database, PostgreSQL) it says, and leaves nothing behind.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SK: &str = "sk_test_backup0123456789abcdef";

/// A server process this test started; stopped by its PID when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_reftrail-server"));
    c.env("REFTRAIL_SECRET_KEY", SK)
        .env("REFTRAIL_ADMIN_PASSWORD", "backup-test-password")
        .env("REFTRAIL_LOG", "warn");
    c
}

fn url(db: &Path) -> String {
    format!("sqlite://{}", db.display())
}

async fn start(db: &Path) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = bin()
        .args(["--database", &url(db), "serve", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the server");
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while reqwest::get(format!("{}/healthz", server.base))
        .await
        .map_or(true, |r| !r.status().is_success())
    {
        assert!(Instant::now() < deadline, "the server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server
}

async fn sale(client: &reqwest::Client, base: &str, order_id: &str) -> bool {
    client
        .post(format!("{base}/v1/sales"))
        .bearer_auth(SK)
        .json(&serde_json::json!({"order_id": order_id, "amount": 125_000, "currency": "VND"}))
        .send()
        .await
        .is_ok_and(|r| r.status().as_u16() == 201)
}

fn backup(db: &Path, to: &Path) -> Output {
    bin()
        .args(["--database", &url(db), "backup", "--to"])
        .arg(to)
        .output()
        .expect("run backup")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The files of `dir`, by name.
fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read the directory")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "reftrail-backup-{name}-{}",
        reftrail_server::ids::random_base62(8)
    ));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_under_load_holds_every_acknowledged_sale() {
    let dir = temp_dir("load");
    let db = dir.join("reftrail.db");
    let server = start(&db).await;
    let client = reqwest::Client::new();
    for i in 0..40 {
        assert!(
            sale(&client, &server.base, &format!("before-{i}")).await,
            "sale {i}"
        );
    }
    // Sales go on while the backup runs.
    let stop = Arc::new(AtomicBool::new(false));
    let load = {
        let (stop, base, client) = (stop.clone(), server.base.clone(), client.clone());
        tokio::spawn(async move {
            let mut acked = 0;
            while !stop.load(Ordering::Relaxed) {
                acked += usize::from(sale(&client, &base, &format!("during-{acked}")).await);
            }
            acked
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let backups = dir.join("backups");
    std::fs::create_dir_all(&backups).expect("backups directory");
    let copy = backups.join("reftrail-1.db");
    let out = {
        let (db, copy) = (db.clone(), copy.clone());
        tokio::task::spawn_blocking(move || backup(&db, &copy))
            .await
            .expect("backup ran")
    };
    stop.store(true, Ordering::Relaxed);
    let during = load.await.expect("load");
    assert!(out.status.success(), "{}", stderr(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains(&format!("to {}", copy.display())) && said.contains("schema version"),
        "{said}"
    );
    assert!(during > 0, "sales went on during the backup");
    assert_eq!(
        files(&backups),
        ["reftrail-1.db"],
        "no partial file left behind"
    );
    drop(server);

    // The copy runs a server of its own, with the same keys, and holds the sales.
    let restored = start(&copy).await;
    let r = client
        .get(format!("{}/v1/sales?limit=500", restored.base))
        .bearer_auth(SK)
        .send()
        .await
        .expect("list sales");
    assert_eq!(r.status().as_u16(), 200);
    let body: serde_json::Value = r.json().await.expect("json");
    let ids: Vec<&str> = body["sales"]
        .as_array()
        .expect("sales")
        .iter()
        .filter_map(|s| s["order_id"].as_str())
        .collect();
    for i in 0..40 {
        assert!(ids.contains(&format!("before-{i}").as_str()), "before-{i}");
    }
    assert!(sale(&client, &restored.base, "after-restore").await);
    drop(restored);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_backup_refuses_what_it_cannot_do_and_leaves_nothing_behind() {
    let dir = temp_dir("refused");
    let db = dir.join("reftrail.db");
    let out = bin()
        .args(["--database", &url(&db), "migrate"])
        .output()
        .expect("migrate");
    assert!(out.status.success(), "{}", stderr(&out));

    // An existing file is never replaced.
    let taken = dir.join("taken.db");
    std::fs::write(&taken, b"not a backup").expect("write");
    let out = backup(&db, &taken);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("exists: a backup never replaces a file"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read(&taken).expect("read"), b"not a backup");

    // A database that is not there is not created.
    let missing = dir.join("missing.db");
    let out = backup(&missing, &dir.join("copy.db"));
    assert!(!out.status.success());
    assert!(stderr(&out).contains("no database at"), "{}", stderr(&out));

    // A file that is not a Reftrail database.
    let other = dir.join("other.db");
    std::fs::write(&other, b"").expect("write");
    let out = backup(&other, &dir.join("copy.db"));
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("is not a Reftrail database"),
        "{}",
        stderr(&out)
    );

    // PostgreSQL has pg_dump; nothing is connected to.
    let out = bin()
        .args([
            "--database",
            "postgres://reftrail:x@127.0.0.1:1/reftrail",
            "backup",
            "--to",
        ])
        .arg(dir.join("pg.db"))
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(stderr(&out).contains("pg_dump"), "{}", stderr(&out));

    // A directory that is not there.
    let out = backup(&db, &dir.join("nowhere").join("copy.db"));
    assert!(!out.status.success());
    assert!(stderr(&out).contains("no directory"), "{}", stderr(&out));

    let left: Vec<String> = files(&dir)
        .into_iter()
        .filter(|n| !n.starts_with("reftrail.db"))
        .collect();
    assert_eq!(left, ["other.db", "taken.db"], "nothing else was written");
    let _ = std::fs::remove_dir_all(&dir);
}
