//! The browser edge (wasm32 only): the one place that touches the page.
//!
//! `page` reads the address, referrer and consent signals and rewrites the address bar;
//! `store` is the only code that touches `document.cookie` and `localStorage`; `net` is the only
//! code that touches the network; `args` turns the JavaScript arguments of `reftrail(...)` into
//! core types; `tracker` ties them to the pure core. The JS loader calls [`start`] once with the
//! settings and the calls queued before the wasm arrived, then routes every later
//! `reftrail(...)` call to [`command`].
//!
//! The bundle (feature `bundle`) is `no_std`: a panic aborts (there is no message to format, which keeps
//! `core::fmt` out of the bundle), and memory comes from a small free-list allocator.

mod args;
mod net;
mod page;
mod store;
mod tracker;

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

/// Starts tracking: applies `options` (the script tag's dataset or the module's options
/// object), replays the `queued` calls (`[[command, arg, arg], ...]`), captures the visit.
#[wasm_bindgen]
pub fn start(options: JsValue, queued: JsValue) {
    tracker::start(&options, &queued);
}

/// Runs one `reftrail(command, a, b)` call and returns its result (the attribution for
/// `attribution`, the decorated URL for `decorate`, otherwise `undefined`).
#[wasm_bindgen]
pub fn command(name: &str, a: JsValue, b: JsValue) -> JsValue {
    tracker::command(name, &a, &b)
}
