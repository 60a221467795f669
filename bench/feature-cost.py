#!/usr/bin/env python3
"""What each browser feature costs in the wasm: builds the bundle once as it is and once per
feature with that feature cut out of the source, and prints the difference in bytes.

    python3 bench/feature-cost.py            # every feature
    python3 bench/feature-cost.py hash clean # some
    python3 bench/feature-cost.py --together # then all of them cut at once

Each cut is a small source edit applied in a throwaway git worktree of HEAD (the checkout is not
touched), built as scripts/build-wasm.sh builds the wasm (`--features bundle`, then
`wasm-opt -Oz --low-memory-unused`). An edit that no longer applies stops the run with its name:
update the edit to the code. The figures are marginal costs, each measured alone: cutting two
features saves about the sum, less what they share. Results are recorded in bench/size.md. Needs the tools scripts/setup.sh installs on PATH
(`. scripts/env.sh`).
"""
import gzip
import os
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent

# name -> (what the cut removes, [(file, text, replacement)])
CUTS = {
    "hash": (
        "SHA-256 of a lead's or customer's email (no email_hash sent)",
        [("src/email.rs", "pub fn hash(email: &str) -> Option<String> {",
          "pub fn hash(email: &str) -> Option<String> {\n    if true { let _ = email; return None; }")],
    ),
    "cookie-read": (
        "reading the cookie and the localStorage copy at start (every visit starts empty)",
        [("src/session.rs",
          "cookie::read(page.cookies, cookie::NAME),\n            Some(page.stored).filter(|s| !s.is_empty()),",
          "None, None,")],
    ),
    "conversion": (
        "reftrail('conversion', …): the sale body and its checks",
        [("src/session.rs", "match args::sale_body(&f, &self.context(&key, now)) {",
          "let _ = (&f, &key);\n                match Err::<String, report::ReportError>(report::ReportError::Amount) {")],
    ),
    "decorate-calls": (
        "reftrail('decorate'|'token', …): writing the cross-domain token into links and forms",
        [("src/session.rs",
          "(\"decorate\", _) => result = self.decorate_url(arg, now).unwrap_or_default(),", ""),
         ("src/session.rs",
          "(\"token\", _) => result = self.token_for(arg, now).unwrap_or_default(),", "")],
    ),
    "token-receive": (
        "accepting a cross-domain token (`rt=`) as a touch",
        [("src/capture.rs", "token = decorate::parse_token(value);", "token = None;\n            let _ = value;")],
    ),
    "queue-store": (
        "keeping the retry queue in localStorage (reports still sent, and retried on the page)",
        [("src/session.rs", "queue: queue::decode(page.queue),", "queue: Vec::new(),"),
         ("src/session.rs", "fn save_queue(&self, effects: &mut Effects) {",
          "fn save_queue(&self, effects: &mut Effects) {\n        if true { let _ = effects; return; }")],
    ),
    "clean": (
        "removing the referral parameters from the address bar",
        [("src/session.rs", "if let Some(clean) = capture::clean_parsed(&address, &s.cfg.capture) {",
          "if let Some(clean) = None::<String> {")],
    ),
    "attribution-json": (
        "reftrail('attribution'): the live referral as JSON",
        [("src/session.rs", "(\"attribution\", _) => result = self.attribution_json(now),", "")],
    ),
    "lead": (
        "reftrail('lead', …): the lead body (its email hash stays, shared with the sale)",
        [("src/session.rs", "let body = args::lead_body(&f, &self.context(&key, now));",
          "let _ = &f;\n                let body = String::new();")],
    ),
    "rfc3339": (
        "RFC 3339 times in the bodies (the runtime would format them)",
        [("src/time.rs", "pub fn rfc3339(secs: u64) -> String {",
          "pub fn rfc3339(secs: u64) -> String {\n    if true { let _ = secs; return String::new(); }")],
    ),
}


def build(tree: pathlib.Path, target: pathlib.Path) -> tuple[int, int]:
    # A cut leaves code unused: its warnings say nothing here (lints do not change the code).
    env = dict(os.environ, CARGO_TARGET_DIR=str(target), RUSTFLAGS="-A warnings")
    subprocess.run(
        ["cargo", "build", "--quiet", "--release", "--lib", "--target", "wasm32-unknown-unknown",
         "--features", "bundle"], cwd=tree, env=env, check=True)
    out = target / "cut.wasm"
    subprocess.run(
        ["wasm-opt", "-Oz", "--low-memory-unused", "--strip-debug", "--strip-producers",
         str(target / "wasm32-unknown-unknown/release/reftrail.wasm"), "-o", str(out)], check=True)
    data = out.read_bytes()
    return len(data), len(gzip.compress(data, compresslevel=9, mtime=0))


def apply(tree: pathlib.Path, name: str) -> None:
    for file, old, new in CUTS[name][1]:
        path = tree / file
        text = path.read_text()
        if old not in text:
            sys.exit(f"{name}: the edit to {file} no longer applies")
        path.write_text(text.replace(old, new, 1))


def main() -> None:
    args = sys.argv[1:]
    together = "--together" in args
    names = [a for a in args if a != "--together"] or list(CUTS)
    for n in names:
        if n not in CUTS:
            sys.exit(f"unknown feature {n!r}; known: {', '.join(CUTS)}")
    with tempfile.TemporaryDirectory(prefix="reftrail-cost-") as tmp:
        tree, target = pathlib.Path(tmp) / "tree", pathlib.Path(tmp) / "target"
        subprocess.run(["git", "worktree", "add", "--quiet", "--detach", str(tree), "HEAD"],
                       cwd=ROOT, check=True)
        try:
            base = build(tree, target)
            print(f"| feature cut | wasm raw | wasm gzip |\n| --- | ---: | ---: |")
            print(f"| (none: HEAD) | {base[0]} | {base[1]} |")
            for n in names:
                apply(tree, n)
                raw, gz = build(tree, target)
                print(f"| {n}: {CUTS[n][0]} | {raw - base[0]:+} | {gz - base[1]:+} |", flush=True)
                subprocess.run(["git", "checkout", "--quiet", "--", "."], cwd=tree, check=True)
            if together:
                for n in names:
                    apply(tree, n)
                raw, gz = build(tree, target)
                print(f"| all of the above at once | {raw - base[0]:+} ({raw}) | {gz - base[1]:+} ({gz}) |")
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=True)


if __name__ == "__main__":
    main()
