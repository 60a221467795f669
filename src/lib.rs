//! This crate provides the core of Reftrail, first-party affiliate attribution for online stores.
//!
//! A visitor arrives through an affiliate's link; the core reads the referral from the address
//! ([`capture`]), decides with the stored state who gets the credit ([`attribution`], and the
//! multi-touch shares in [`models`]), keeps that state in one compact, versioned first-party
//! cookie ([`cookie`], with the cookie domain from [`domain`]) once [`consent`] allows it, and
//! builds the bodies the browser reports to the server ([`report`], [`queue`], [`decorate`]).
//! Commissions are computed by [`commission`], shared by the server and pinned by vectors.
//!
//! Every module here is pure: no I/O, no clock, no randomness. Callers pass the time (`now`, Unix
//! seconds), configuration and any random bytes in, which keeps the same code testable natively,
//! usable by the server, and small in the browser. The browser edge (`browser`, wasm32 only) is
//! the one place that touches `document.cookie`, `localStorage` and the network.
//!
//! The crate is `no_std` + `alloc` so the browser bundle pays only for what it uses; the `serde`
//! feature derives (de)serialization for the server and the tests.
#![no_std]
#![deny(missing_docs)]

extern crate alloc;
// Native builds (tests, the server) and wasm tests link std, which brings the panic handler a
// cdylib needs; the browser bundle brings its own in `browser` (feature `bundle`).
#[cfg(any(not(target_arch = "wasm32"), not(feature = "bundle")))]
extern crate std;

pub mod affiliate;
pub mod args;
pub mod attribution;
// Server-side only, like bank_transfer.
#[cfg(not(all(target_arch = "wasm32", feature = "bundle")))]
pub mod bahttext;
// Server-side only (payouts). Left out of the browser bundle: though never called there, its
// presence changes the compiler's inlining of shared helpers and grows the wasm (bench/size.md).
#[cfg(not(all(target_arch = "wasm32", feature = "bundle")))]
pub mod bank_transfer;
pub mod capture;
pub mod commission;
pub mod config;
pub mod consent;
pub mod cookie;
pub mod decorate;
pub mod domain;
pub mod effects;
pub mod email;
pub mod json;
pub mod models;
pub mod money;
pub mod pairs;
pub mod persist;
pub mod query;
pub mod queue;
pub mod report;
pub mod session;
pub mod state;
pub mod text;
pub mod time;
pub mod touch;
// Server-side only, like bank_transfer.
#[cfg(not(all(target_arch = "wasm32", feature = "bundle")))]
pub mod withholding;

#[cfg(target_arch = "wasm32")]
mod browser;
#[cfg(target_arch = "wasm32")]
pub use browser::{answer, boot, call};
