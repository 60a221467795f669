//! The pages of `www/` (demo storefront, merchant dashboard, affiliate portal) and the built
//! browser files (`js/dist/`, at `/reftrail/`), served from directories given on the command line
//! (`--www-dir`, `--js-dir`; `REFTRAIL_WWW_DIR`, `REFTRAIL_JS_DIR`).
//!
//! A middleware in front of the API: `GET`/`HEAD` requests outside the API's own paths (`/v1/…`,
//! `/healthz`, `/metrics`) that name a file are answered from disk; everything else goes on to
//! the API, so an unknown path still answers the API's JSON 404. Only files with a known type
//! are served (`.wasm` as `application/wasm`, which streaming compilation needs); a path with a
//! `..`, a hidden segment or `node_modules` names nothing, and a resolved file must lie inside its
//! directory after symlinks are followed. A page path that names no file (`/store/ref/alice/`,
//! `/store/products/TEE-BASIC/`) is answered by the nearest `index.html` above it (under the site
//! root mount `/`, not the root's own), so path-form links and product URLs reach their page.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The largest file served, bytes.
const MAX_FILE: u64 = 32 * 1024 * 1024;

/// Directories served under URL prefixes.
#[derive(Clone, Debug, Default)]
pub struct StaticFiles {
    /// `(prefix, directory, page fallback)`, the longest prefix first. A prefix starts and ends
    /// with `/`; the directory is canonical.
    mounts: Vec<(String, PathBuf, bool)>,
}

/// What a path names.
#[derive(Debug, PartialEq, Eq)]
pub enum Lookup {
    /// A file to send.
    File(PathBuf),
    /// A directory named without its trailing slash: redirect here.
    Redirect(String),
    /// Nothing here.
    Missing,
}

impl StaticFiles {
    /// Serves `dir` under `prefix` (`/` or `/name/`); with `pages`, a path that names no file
    /// falls back to the nearest `index.html` above it. Fails when `dir` is not a directory.
    pub fn mount(mut self, prefix: &str, dir: &Path, pages: bool) -> std::io::Result<Self> {
        let dir = dir.canonicalize()?;
        if !dir.is_dir() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotADirectory,
                format!("{} is not a directory", dir.display()),
            ));
        }
        let mut prefix = prefix.trim_end_matches('/').to_owned();
        prefix.push('/');
        if !prefix.starts_with('/') {
            prefix.insert(0, '/');
        }
        self.mounts.push((prefix, dir, pages));
        self.mounts.sort_by_key(|m| std::cmp::Reverse(m.0.len()));
        Ok(self)
    }

    /// What `path` (the request's path, still percent-encoded) names.
    pub fn lookup(&self, path: &str) -> Lookup {
        let Some(decoded) = percent_decode(path) else {
            return Lookup::Missing;
        };
        if !decoded.starts_with('/') || decoded.contains(['\\', '\0']) {
            return Lookup::Missing;
        }
        for (prefix, dir, pages) in &self.mounts {
            let bare = &prefix[..prefix.len() - 1];
            if decoded == bare && !bare.is_empty() {
                return Lookup::Redirect(prefix.clone());
            }
            let Some(rel) = decoded.strip_prefix(prefix.as_str()) else {
                continue;
            };
            let segments: Vec<&str> = rel.split('/').filter(|s| !s.is_empty()).collect();
            if segments
                .iter()
                .any(|s| s.starts_with('.') || *s == "node_modules")
            {
                return Lookup::Missing;
            }
            let target = segments.iter().fold(dir.clone(), |p, s| p.join(s));
            if target.is_file() {
                return inside(dir, &target);
            }
            if target.is_dir() {
                if !decoded.ends_with('/') {
                    return Lookup::Redirect(format!("{path}/"));
                }
                let index = target.join("index.html");
                return if index.is_file() {
                    inside(dir, &index)
                } else {
                    Lookup::Missing
                };
            }
            let last = segments.last().copied().unwrap_or("");
            if *pages && (decoded.ends_with('/') || !last.contains('.')) {
                // Nearest index.html above; for the site's root mount (`/`), below its root.
                let lowest = usize::from(prefix == "/");
                for n in (lowest..segments.len()).rev() {
                    let index = segments[..n]
                        .iter()
                        .fold(dir.clone(), |p, s| p.join(s))
                        .join("index.html");
                    if index.is_file() {
                        return inside(dir, &index);
                    }
                }
            }
            return Lookup::Missing;
        }
        Lookup::Missing
    }
}

/// `file` if it lies inside `dir` once symlinks are followed.
fn inside(dir: &Path, file: &Path) -> Lookup {
    match file.canonicalize() {
        Ok(real) if real.starts_with(dir) && content_type(&real).is_some() => Lookup::File(real),
        _ => Lookup::Missing,
    }
}

/// `%XX` decoding of a path; `None` for a bad escape or bytes that are not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The `Content-Type` of the file types served; `None` for any other file.
pub fn content_type(path: &Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "wasm" => "application/wasm",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        "map" => "application/json",
        "woff2" => "font/woff2",
        _ => return None,
    })
}

/// Whether `path` belongs to the API (never answered from disk).
fn api_path(path: &str) -> bool {
    path == "/v1" || path.starts_with("/v1/") || path == "/healthz" || path == "/metrics"
}

/// The middleware: answers `GET`/`HEAD` of files, passes everything else on.
pub async fn serve(State(files): State<Arc<StaticFiles>>, req: Request, next: Next) -> Response {
    let head = req.method() == Method::HEAD;
    if !(head || req.method() == Method::GET) || api_path(req.uri().path()) {
        return next.run(req).await;
    }
    let path = req.uri().path().to_owned();
    let lookup = {
        let files = files.clone();
        let path = path.clone();
        tokio::task::spawn_blocking(move || files.lookup(&path)).await
    };
    match lookup {
        Ok(Lookup::File(file)) => send(file, head).await.unwrap_or_else(next_404),
        Ok(Lookup::Redirect(to)) => {
            let to = match req.uri().query() {
                Some(q) => format!("{to}?{q}"),
                None => to,
            };
            match HeaderValue::from_str(&to) {
                Ok(v) => (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, v)]).into_response(),
                Err(_) => next.run(req).await,
            }
        }
        Ok(Lookup::Missing) | Err(_) => next.run(req).await,
    }
}

fn next_404() -> Response {
    crate::error::AppError::not_found("not_found", "no such file").into_response()
}

async fn send(file: PathBuf, head: bool) -> Option<Response> {
    let ctype = content_type(&file)?;
    let bytes = tokio::task::spawn_blocking(move || {
        let meta = std::fs::metadata(&file).ok()?;
        if meta.len() > MAX_FILE {
            return None;
        }
        std::fs::read(&file).ok()
    })
    .await
    .ok()??;
    let len = bytes.len();
    let body = if head {
        Body::empty()
    } else {
        Body::from(bytes)
    };
    let mut res = Response::new(body);
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    Some(res)
}

/// `router` with `www` served at `/` and `js` at `/reftrail/` in front of it (each optional).
pub fn attach(router: Router, www: Option<&Path>, js: Option<&Path>) -> std::io::Result<Router> {
    let mut files = StaticFiles::default();
    if let Some(www) = www {
        files = files.mount("/", www, true)?;
    }
    if let Some(js) = js {
        files = files.mount("/reftrail/", js, false)?;
    }
    if files.mounts.is_empty() {
        return Ok(router);
    }
    Ok(router.layer(middleware::from_fn_with_state(Arc::new(files), serve)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> (PathBuf, StaticFiles) {
        let root = std::env::temp_dir().join(format!(
            "reftrail-static-{}-{}",
            std::process::id(),
            crate::ids::new_id("t")
        ));
        let www = root.join("www");
        let js = root.join("dist");
        for d in ["store/products", "dashboard", "node_modules/x", ".git"] {
            std::fs::create_dir_all(www.join(d)).unwrap();
        }
        std::fs::create_dir_all(&js).unwrap();
        for f in [
            "index.html",
            "store/index.html",
            "store/products/index.html",
            "store/shop.js",
            "dashboard/index.html",
            "node_modules/x/index.js",
            ".git/config.json",
            "store/notes.rs",
        ] {
            std::fs::write(www.join(f), f).unwrap();
        }
        std::fs::write(js.join("reftrail_bg.wasm"), b"\0asm").unwrap();
        std::fs::write(root.join("secret.json"), b"{}").unwrap();
        let files = StaticFiles::default()
            .mount("/", &www, true)
            .unwrap()
            .mount("/reftrail/", &js, false)
            .unwrap();
        (root, files)
    }

    fn file(l: Lookup) -> String {
        match l {
            Lookup::File(p) => std::fs::read_to_string(p).unwrap_or_else(|_| "<binary>".into()),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn lookup_files_indexes_and_redirects() {
        let (root, f) = tree();
        assert_eq!(file(f.lookup("/")), "index.html");
        assert_eq!(file(f.lookup("/store/")), "store/index.html");
        assert_eq!(file(f.lookup("/store/shop.js")), "store/shop.js");
        assert_eq!(f.lookup("/store"), Lookup::Redirect("/store/".into()));
        assert_eq!(f.lookup("/reftrail"), Lookup::Redirect("/reftrail/".into()));
        assert_eq!(file(f.lookup("/reftrail/reftrail_bg.wasm")), "\0asm");
        let _ = std::fs::remove_dir_all(root);
    }

    #[test]
    fn lookup_page_fallback() {
        let (root, f) = tree();
        assert_eq!(file(f.lookup("/store/ref/alice/")), "store/index.html");
        assert_eq!(
            file(f.lookup("/store/ref/linh.reviews/")),
            "store/index.html"
        );
        assert_eq!(
            file(f.lookup("/store/products/TEE-BASIC/")),
            "store/products/index.html"
        );
        // Not for files, not to the root, not in /reftrail/.
        assert_eq!(f.lookup("/store/missing.js"), Lookup::Missing);
        assert_eq!(f.lookup("/nothing/"), Lookup::Missing);
        assert_eq!(f.lookup("/reftrail/x/"), Lookup::Missing);
        // A mount below the root falls back to its own index.html.
        let store = StaticFiles::default()
            .mount("/store/", &root.join("www/store"), true)
            .unwrap();
        assert_eq!(file(store.lookup("/store/ref/alice/")), "store/index.html");
        assert_eq!(store.lookup("/elsewhere/"), Lookup::Missing);
        let _ = std::fs::remove_dir_all(root);
    }

    #[test]
    fn lookup_refuses_traversal_hidden_and_unknown_types() {
        let (root, f) = tree();
        for p in [
            "/../secret.json",
            "/store/../../secret.json",
            "/%2e%2e/secret.json",
            "/store/%2E%2E/%2e%2e/secret.json",
            "/reftrail/../secret.json",
            "/reftrail/%2e%2e%2fsecret.json",
            "/store\\..\\..\\secret.json",
            "/.git/config.json",
            "/node_modules/x/index.js",
            "/store/notes.rs",
            "/store/%ff.js",
            "/store/%zz",
            "/store/shop.js%00",
        ] {
            assert_eq!(f.lookup(p), Lookup::Missing, "{p}");
        }
        let _ = std::fs::remove_dir_all(root);
    }

    #[test]
    fn content_types() {
        assert_eq!(
            content_type(Path::new("a/reftrail_bg.wasm")),
            Some("application/wasm")
        );
        assert_eq!(
            content_type(Path::new("x.JS")),
            Some("text/javascript; charset=utf-8")
        );
        assert_eq!(content_type(Path::new("Makefile")), None);
        assert!(api_path("/v1/clicks") && api_path("/healthz") && !api_path("/v1x"));
    }
}
