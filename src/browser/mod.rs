//! The browser edge (wasm32 only): three exports over strings, and nothing imported from the
//! page.
//!
//! The JS runtime (`js/runtime.js`) reads the page, calls [`boot`] once, [`call`] for every
//! `reftrail(...)` call and [`answer`] for every network answer, and applies the effects each
//! returns ([`crate::effects`]). All decisions live in [`crate::session`], which is pure and
//! tested natively; keeping the boundary to strings means no web-sys bindings, no closures and
//! no JS object conversion in the bundle (see bench/size.md for what each of those cost).
//!
//! The bundle (feature `bundle`) is `no_std`: a panic aborts without formatting a message (which
//! keeps `core::fmt` out), and memory comes from a small free-list allocator.

use crate::effects;
use crate::session::{Page, Session};
use alloc::string::String;
use core::cell::RefCell;
use wasm_bindgen::prelude::*;

#[cfg(feature = "bundle")]
#[global_allocator]
static ALLOC: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    // SAFETY: wasm32-unknown-unknown without threads runs one thread.
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };

#[cfg(feature = "bundle")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

/// The page's one session. wasm32 without threads is single-threaded, so a `RefCell` in a
/// static is sound; the wrapper only states that.
struct Slot(RefCell<Option<Session>>);
// SAFETY: wasm32-unknown-unknown without the atomics feature has one thread.
unsafe impl Sync for Slot {}
static SESSION: Slot = Slot(RefCell::new(None));

fn seconds(ms: f64) -> u64 {
    // `as` saturates: NaN and negatives give 0, never a panic.
    (ms / 1000.0) as u64
}

/// Starts the session: `settings` are flattened `name US value` records, `page` the page's
/// fields (see [`Page::parse`]). Returns the effects.
#[wasm_bindgen]
pub fn boot(settings: &str, page: &str) -> String {
    let Some(page) = Page::parse(page) else {
        return String::new();
    };
    let (session, fx) = Session::boot(settings, &page);
    if let Ok(mut slot) = SESSION.0.try_borrow_mut() {
        *slot = Some(session);
    }
    effects::encode("", &fx)
}

/// Runs `reftrail(name, arg)`; returns the result, then the effects.
#[wasm_bindgen]
pub fn call(name: &str, arg: &str, now_ms: f64) -> String {
    match SESSION
        .0
        .try_borrow_mut()
        .ok()
        .as_mut()
        .and_then(|s| s.as_mut())
    {
        Some(s) => {
            let (result, fx) = s.call(name, arg, seconds(now_ms));
            effects::encode(&result, &fx)
        }
        None => String::new(),
    }
}

/// Takes the answer to request `id`; returns the effects.
#[wasm_bindgen]
pub fn answer(id: &str, status: u16, text: &str, now_ms: f64) -> String {
    match SESSION
        .0
        .try_borrow_mut()
        .ok()
        .as_mut()
        .and_then(|s| s.as_mut())
    {
        Some(s) => effects::encode("", &s.answer(id, status, text, seconds(now_ms))),
        None => String::new(),
    }
}
