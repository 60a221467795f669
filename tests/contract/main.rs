//! The HTTP contract suite: it speaks only HTTP to `REFTRAIL_BASE_URL`, with the credentials in
//! `REFTRAIL_SECRET_KEY`, `REFTRAIL_PUBLISHABLE_KEY` and `REFTRAIL_ADMIN_PASSWORD`, so the same
//! suite checks the Rust server (`http://127.0.0.1:8080`) and the WordPress plugin
//! (`http://…/wp-json/reftrail`). Without `REFTRAIL_BASE_URL` it starts the Rust server in this
//! process on a private SQLite file and a free loopback port.
//!
//! Every test makes its own affiliates and orders with a run-unique suffix, so tests run in
//! parallel and the suite can run again against the same database. The suite sets the program
//! once (allowed origin `https://www.shop.test`, hold 0 days, 10 % per sale, a lead pays
//! 20,000 VND or 1.00 USD, high click-velocity threshold) and every test relies on that.

mod harness;

mod activity;
mod affiliate_category_rates;
mod affiliates_csv;
mod applications;
mod attribution;
mod auth;
mod bonuses;
mod campaigns;
mod clicks;
mod conversions;
mod creatives;
mod credit;
mod daily;
mod deliveries;
mod errors;
mod ledger;
mod management;
mod payout_requests;
mod payouts_bank;
mod postbacks;
mod privacy;
mod program_changes;
mod recruiters;
mod reports;
mod short_links;
mod team;
mod withholding;
mod withholding_certificates;
