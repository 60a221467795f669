//! `reftrail-server`: the command line of the tracking server.
//!
//! ```text
//! reftrail-server [--database URL] serve [--listen 127.0.0.1:8080]   (the default command)
//! reftrail-server migrate
//! reftrail-server keys list | create --kind secret|publishable | revoke ID | rotate-cookie-key
//! reftrail-server seed-demo [--scale N] [--seed N]
//! reftrail-server export-payout (--id PAYOUT | --create) [--out FILE]
//! reftrail-server backup --to FILE
//! ```
//! Configuration comes from flags or `REFTRAIL_*` variables (and `DATABASE_URL`); credentials
//! missing at first start are generated and printed once (see `credentials`).

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use reftrail_server::credentials::{self, KeyKind, Pinned};
use reftrail_server::db::{redact, Db};
use reftrail_server::{app, AppState, HttpOptions};
use std::net::SocketAddr;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "reftrail-server",
    version,
    about = "The Reftrail tracking server"
)]
struct Cli {
    /// Database: sqlite://PATH (created if missing) or postgres://USER:PASS@HOST:PORT/DB.
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        default_value = "sqlite://./data/reftrail.db"
    )]
    database: String,
    /// Log filter: a level (error, warn, info, debug, trace) or targets like `info,sqlx=warn`.
    #[arg(long, global = true, env = "REFTRAIL_LOG", default_value = "info")]
    log: String,
    /// Log lines as `text` (key=value, for people) or `json` (one object per line, for log
    /// collectors).
    #[arg(
        long,
        global = true,
        env = "REFTRAIL_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    log_format: LogFormat,
    /// Largest number of database connections.
    #[arg(long, global = true, env = "REFTRAIL_MAX_CONNECTIONS")]
    max_connections: Option<u32>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(clap::Args, Default)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "REFTRAIL_LISTEN", default_value = "127.0.0.1:8080")]
    listen: String,
    /// Take the client address from X-Forwarded-For, behind reverse proxies you run: `true`
    /// (or the flag alone) for one, a number for a chain (a CDN, then nginx: 2).
    #[arg(long, env = "REFTRAIL_TRUST_PROXY", num_args = 0..=1, default_missing_value = "1",
        default_value = "0", value_parser = proxies_arg)]
    trust_proxy: u8,
    /// Domain attribute of the click cookie (default: host-only).
    #[arg(long, env = "REFTRAIL_COOKIE_DOMAIN")]
    cookie_domain: Option<String>,
    /// Extra trusted certificates (PEM) for https webhook endpoints, besides the web PKI roots.
    #[arg(long, env = "REFTRAIL_WEBHOOK_CA_FILE")]
    webhook_ca_file: Option<std::path::PathBuf>,
    /// Let affiliates' postbacks reach loopback and private-network hosts (trackers on the
    /// shop's own network). Off: only public hosts are called.
    #[arg(long, env = "REFTRAIL_POSTBACKS_TO_PRIVATE_NETWORKS")]
    postbacks_to_private_networks: bool,
    /// SMTP server for the portal's sign-in links: `smtp://user:pass@host:587` (STARTTLS with
    /// `?tls=required`) or `smtps://user:pass@host`. Without it no email is sent.
    #[arg(long, env = "REFTRAIL_SMTP_URL")]
    smtp_url: Option<String>,
    /// Sender of those emails, e.g. `Shop affiliates <affiliates@shop.example>`.
    #[arg(long, env = "REFTRAIL_MAIL_FROM")]
    mail_from: Option<String>,
    /// This server's public address, where emailed links point (`https://track.shop.example`);
    /// default `http://<listen address>`.
    #[arg(long, env = "REFTRAIL_PUBLIC_URL")]
    public_url: Option<String>,
    /// Do not run the webhook and auto-approval worker in this process.
    #[arg(long, env = "REFTRAIL_NO_WORKER")]
    no_worker: bool,
    /// Serve the pages in this directory (`www/`: store, dashboard, portal) at `/`.
    #[arg(long, env = "REFTRAIL_WWW_DIR")]
    www_dir: Option<std::path::PathBuf>,
    /// Serve the built browser files (`js/dist/`) at `/reftrail/`.
    #[arg(long, env = "REFTRAIL_JS_DIR")]
    js_dir: Option<std::path::PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API (migrating first).
    Serve(ServeArgs),
    /// Apply the database migrations and create missing credentials.
    Migrate,
    /// Manage API keys and cookie keys.
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
    /// Fill the database with a realistic demo program.
    SeedDemo {
        /// Traffic multiplier (1: about 300 clicks a day for 90 days).
        #[arg(long, default_value_t = 1)]
        scale: u64,
        /// Random seed.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Sales per 1000 clicks.
        #[arg(long, default_value_t = 30)]
        sales_per_mille: u64,
    },
    /// Write a payout's PayPal lines as a PayPal mass payment CSV (its bank transfer lines are
    /// paid from the dashboard, where each has its QR code).
    ExportPayout {
        /// The payout to export.
        #[arg(long, conflicts_with = "create")]
        id: Option<String>,
        /// Create a payout of every approved balance first.
        #[arg(long)]
        create: bool,
        /// File to write (default: standard output).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Copy the SQLite database to a new file while the server runs (PostgreSQL: pg_dump).
    Backup {
        /// The backup file to create; an existing file is never replaced.
        #[arg(long)]
        to: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
enum KeysAction {
    /// List keys (without their secrets).
    List,
    /// Create a key and print it once.
    Create {
        /// secret or publishable.
        #[arg(long)]
        kind: String,
    },
    /// Revoke a key by id.
    Revoke {
        /// The key id.
        id: String,
    },
    /// Create a new key of the kind and revoke the others of that kind.
    Rotate {
        /// secret or publishable.
        #[arg(long)]
        kind: String,
    },
    /// Sign new click cookies with a new key (cookies signed with older keys still verify).
    RotateCookieKey,
}

fn pinned() -> Pinned {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    Pinned {
        secret_key: var("REFTRAIL_SECRET_KEY"),
        publishable_key: var("REFTRAIL_PUBLISHABLE_KEY"),
        admin_password: var("REFTRAIL_ADMIN_PASSWORD"),
        cookie_secret: var("REFTRAIL_COOKIE_SECRET"),
    }
}

/// The mailer from `--smtp-url`, `--mail-from` and `--public-url`; none without an SMTP URL.
fn mailer(args: &ServeArgs) -> anyhow::Result<Option<reftrail_server::mail::Mailer>> {
    let Some(url) = args.smtp_url.as_deref() else {
        return Ok(None);
    };
    let from = args
        .mail_from
        .as_deref()
        .context("--mail-from (REFTRAIL_MAIL_FROM) is needed with --smtp-url")?;
    let public = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", args.listen));
    reftrail_server::mail::Mailer::new(url, from, &public).map(Some)
}

fn init_logs(filter: &str, format: LogFormat) -> anyhow::Result<()> {
    let targets: tracing_subscriber::filter::Targets = filter.parse().context("--log")?;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let text = matches!(format, LogFormat::Text).then(|| {
        tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(std::io::stderr)
    });
    let json = matches!(format, LogFormat::Json).then(|| {
        tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_writer(std::io::stderr)
    });
    tracing_subscriber::registry()
        .with(text)
        .with(json)
        .with(targets)
        .try_init()
        .context("starting the log")?;
    Ok(())
}

async fn open(cli: &Cli) -> anyhow::Result<Db> {
    let sqlite = cli.database.starts_with("sqlite:");
    let max = cli.max_connections.unwrap_or(if sqlite { 8 } else { 16 });
    let db = Db::connect(&cli.database, max).await?;
    db.migrate().await?;
    for line in credentials::bootstrap(&db, &pinned()).await? {
        // Printed once, to standard output, because they are stored only as hashes.
        println!("reftrail: {line}");
    }
    Ok(db)
}

/// `--trust-proxy`: `true`/`false` (one proxy or none), or how many proxies, 0 to 10.
fn proxies_arg(s: &str) -> Result<u8, String> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" => Ok(1),
        "false" | "no" | "off" => Ok(0),
        n => {
            n.parse::<u8>().ok().filter(|n| *n <= 10).ok_or_else(|| {
                format!("{s:?}: give true, false or a number of proxies from 0 to 10")
            })
        }
    }
}

async fn serve(cli: &Cli, args: &ServeArgs) -> anyhow::Result<()> {
    let db = open(cli).await?;
    let state = AppState::new(
        db,
        HttpOptions {
            trusted_proxies: args.trust_proxy,
            cookie_domain: args.cookie_domain.clone(),
            mail: mailer(args)?,
            postbacks_to_private: args.postbacks_to_private_networks,
            webhook_ca_file: args.webhook_ca_file.clone(),
        },
    );
    // A bad CA file stops the start here, not the first delivery later.
    let webhook_client = state.webhook_client()?.clone();
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, database = %redact(&cli.database), "serving");
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let worker = match args.no_worker {
        true => None,
        false => Some(tokio::spawn(reftrail_server::webhooks::run_worker(
            state.clone(),
            webhook_client,
            stop_rx,
        ))),
    };
    let router = reftrail_server::routes::static_files::attach(
        app(state),
        args.www_dir.as_deref(),
        args.js_dir.as_deref(),
    )
    .context("--www-dir/--js-dir")?;
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing requests in flight");
    })
    .await?;
    let _ = stop_tx.send(true);
    if let Some(w) = worker {
        let _ = w.await;
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

async fn keys(cli: &Cli, action: &KeysAction) -> anyhow::Result<()> {
    let db = open(cli).await?;
    match action {
        KeysAction::List => {
            let rows: Vec<(String, String, String, i64, Option<i64>)> = sqlx::query_as(
                "SELECT id, kind, prefix, created_at, revoked_at FROM api_keys ORDER BY created_at",
            )
            .fetch_all(&db.pool)
            .await?;
            for (id, kind, prefix, created, revoked) in rows {
                let state = revoked.map_or("active".to_owned(), |r| {
                    format!("revoked {}", reftrail_server::times::format(r))
                });
                println!(
                    "{id}\t{kind}\t{prefix}…\t{}\t{state}",
                    reftrail_server::times::format(created)
                );
            }
        }
        KeysAction::Create { kind } | KeysAction::Rotate { kind } => {
            let k = KeyKind::parse(kind).context("--kind must be secret or publishable")?;
            let key = reftrail_server::ids::new_token(k.prefix());
            let mut tx = db.begin_write().await?;
            let id = credentials::insert_key(&mut tx, k, &key).await?;
            if matches!(action, KeysAction::Rotate { .. }) {
                sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE kind = $2 AND id <> $3 AND revoked_at IS NULL")
                    .bind(reftrail_server::times::now())
                    .bind(k.as_str())
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            println!("{id}\t{key}");
        }
        KeysAction::Revoke { id } => {
            let n = sqlx::query(
                "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
            )
            .bind(reftrail_server::times::now())
            .bind(id)
            .execute(&db.pool)
            .await?
            .rows_affected();
            anyhow::ensure!(n == 1, "no active key {id}");
            println!("revoked {id}");
        }
        KeysAction::RotateCookieKey => {
            let mut tx = db.begin_write().await?;
            let id = credentials::new_cookie_key(&mut tx).await?;
            tx.commit().await?;
            println!("cookie key {id} now signs new click cookies");
        }
    }
    Ok(())
}

async fn export_payout(
    cli: &Cli,
    id: Option<&str>,
    create: bool,
    out: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let db = open(cli).await?;
    let state = AppState::new(db, HttpOptions::default());
    let id = match (id, create) {
        (Some(id), _) => id.to_owned(),
        (None, true) => {
            let res = reftrail_server::routes::payouts::payouts_create(
                axum::extract::State(state.clone()),
                reftrail_server::auth::Merchant(reftrail_server::auth::MerchantVia::CommandLine),
                axum::http::HeaderMap::new(),
                reftrail_server::error::AppJsonOpt(None),
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            let body = axum::body::to_bytes(res.into_body(), 1 << 24).await?;
            let v: serde_json::Value = serde_json::from_slice(&body)?;
            v["id"].as_str().context("payout without id")?.to_owned()
        }
        (None, false) => anyhow::bail!("give --id PAYOUT or --create"),
    };
    let show = |path: String| {
        reftrail_server::routes::payouts::payouts_show(
            axum::extract::State(state.clone()),
            reftrail_server::auth::Merchant(reftrail_server::auth::MerchantVia::CommandLine),
            axum::extract::Path(path),
        )
    };
    let res = show(format!("{id}.csv"))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let body = axum::body::to_bytes(res.into_body(), 1 << 24).await?;
    let view = show(id.clone()).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let view: serde_json::Value =
        serde_json::from_slice(&axum::body::to_bytes(view.into_body(), 1 << 24).await?)?;
    let bank = view["lines"]
        .as_array()
        .map_or(0, |l| l.iter().filter(|l| l["method"] != "paypal").count());
    match out {
        Some(p) => std::fs::write(p, &body).with_context(|| format!("writing {}", p.display()))?,
        None => {
            use std::io::Write as _;
            std::io::stdout().write_all(&body)?;
        }
    }
    eprintln!("payout {id}");
    if bank > 0 {
        eprintln!(
            "{bank} line(s) paid by bank transfer are not in the PayPal file: pay them from the dashboard's Payouts, where each has its QR code"
        );
    }
    Ok(())
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    init_logs(&cli.log, cli.log_format)?;
    match &cli.command {
        None => {
            serve(
                &cli,
                &ServeArgs {
                    listen: std::env::var("REFTRAIL_LISTEN")
                        .unwrap_or_else(|_| "127.0.0.1:8080".into()),
                    ..ServeArgs::default()
                },
            )
            .await
        }
        Some(Command::Serve(a)) => serve(&cli, a).await,
        Some(Command::Migrate) => {
            let db = open(&cli).await?;
            println!("schema version {}", db.schema_version().await?);
            Ok(())
        }
        Some(Command::Keys { action }) => keys(&cli, action).await,
        Some(Command::SeedDemo {
            scale,
            seed,
            sales_per_mille,
        }) => {
            let db = open(&cli).await?;
            let s = reftrail_server::seed::seed_demo(
                &db,
                (*scale).clamp(1, 1000),
                *seed,
                (*sales_per_mille).min(1000),
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{s:?}");
            Ok(())
        }
        Some(Command::ExportPayout { id, create, out }) => {
            export_payout(&cli, id.as_deref(), *create, out.as_deref()).await
        }
        Some(Command::Backup { to }) => {
            // Neither migrates nor creates credentials: the copy is of the database as it is.
            let b = reftrail_server::backup::sqlite(&cli.database, to).await?;
            println!(
                "backed up {} to {} ({} bytes, schema version {})",
                redact(&cli.database),
                b.path.display(),
                b.bytes,
                b.schema_version
            );
            Ok(())
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("reftrail-server: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("reftrail-server: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_proxy_takes_a_switch_or_a_count() {
        let proxies = |args: &[&str]| {
            let mut argv = vec!["reftrail-server", "serve"];
            argv.extend_from_slice(args);
            match Cli::try_parse_from(argv).map(|c| c.command) {
                Ok(Some(Command::Serve(a))) => Ok(a.trust_proxy),
                Ok(_) => Err("not serve".to_owned()),
                Err(e) => Err(e.kind().to_string()),
            }
        };
        assert_eq!(proxies(&[]), Ok(0));
        assert_eq!(proxies(&["--trust-proxy"]), Ok(1));
        assert_eq!(
            proxies(&["--trust-proxy", "--listen", "127.0.0.1:1"]),
            Ok(1)
        );
        assert_eq!(proxies(&["--trust-proxy=true"]), Ok(1));
        assert_eq!(proxies(&["--trust-proxy=false"]), Ok(0));
        assert_eq!(proxies(&["--trust-proxy=2"]), Ok(2));
        assert!(proxies(&["--trust-proxy=11"]).is_err());
        assert!(proxies(&["--trust-proxy=maybe"]).is_err());
    }
}
