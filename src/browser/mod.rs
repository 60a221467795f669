//! The browser edge (wasm32 only): three exports over strings, and nothing imported from the
//! page.
//!
//! The JS runtime (`js/runtime.js`) reads the page, calls [`boot`] once, [`call`] for every
//! `reftrail(...)` call and [`answer`] for every network answer, and applies the effects each
//! returns ([`crate::effects`]). All decisions live in [`crate::session`], which is pure and
//! tested natively; keeping the boundary to strings means no web-sys bindings, no closures and
//! no JS object conversion in the bundle (see bench/size.md for what each of those cost).
//!
//! Strings cross as UTF-8 in the module's memory, through a plain C ABI that the runtime drives
//! itself (a dozen lines): it copies each argument into memory from [`rt_alloc`], the export
//! takes ownership of it, and the answer stays in [`RESULT`] until the next export call, its
//! address returned and its length in [`rt_len`]. For three string functions this costs far
//! less than wasm-bindgen's generated glue and runtime (bench/size.md).
//!
//! The bundle (feature `bundle`) is `no_std`: a panic aborts without formatting a message (which
//! keeps `core::fmt` out), and memory comes from a small free-list allocator.

use crate::session::{Page, Session};
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;

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
struct Slot<T>(RefCell<T>);
// SAFETY: wasm32-unknown-unknown without the atomics feature has one thread.
unsafe impl<T> Sync for Slot<T> {}
static SESSION: Slot<Option<Session>> = Slot(RefCell::new(None));

/// The last export's answer, kept until the next export call so the runtime can read it.
static RESULT: Slot<String> = Slot(RefCell::new(String::new()));

fn seconds(ms: f64) -> u64 {
    // `as` saturates: NaN and negatives give 0, never a panic.
    (ms / 1000.0) as u64
}

/// Starts the session: `settings` are flattened `name US value` records, `page` the page's
/// fields (see [`Page::parse`]). Returns the effects.
pub fn boot(settings: &str, page: &str) -> String {
    let Some(page) = Page::parse(page) else {
        return String::new();
    };
    let (session, fx) = Session::boot(settings, &page);
    if let Ok(mut slot) = SESSION.0.try_borrow_mut() {
        *slot = Some(session);
    }
    fx.into_wire()
}

/// Runs `reftrail(name, arg)`; returns the result, then the effects.
pub fn call(name: &str, arg: &str, now_ms: f64) -> String {
    match SESSION
        .0
        .try_borrow_mut()
        .ok()
        .as_mut()
        .and_then(|s| s.as_mut())
    {
        Some(s) => {
            let (mut result, fx) = s.call(name, arg, seconds(now_ms));
            result.push_str(fx.wire());
            result
        }
        None => String::new(),
    }
}

/// Takes the answer to request `id`; returns the effects.
pub fn answer(id: &str, status: u16, text: &str, now_ms: f64) -> String {
    match SESSION
        .0
        .try_borrow_mut()
        .ok()
        .as_mut()
        .and_then(|s| s.as_mut())
    {
        Some(s) => s.answer(id, status, text, seconds(now_ms)).into_wire(),
        None => String::new(),
    }
}

/// Memory for an argument of `len` bytes, which the runtime fills with UTF-8 and passes to the
/// next export call, which takes ownership of it.
#[no_mangle]
pub extern "C" fn rt_alloc(len: usize) -> *mut u8 {
    let mut buf = Vec::<u8>::with_capacity(len);
    let ptr = buf.as_mut_ptr();
    core::mem::forget(buf);
    ptr
}

/// The length in bytes of the answer whose address the last export call returned.
#[no_mangle]
pub extern "C" fn rt_len() -> usize {
    RESULT.0.try_borrow().map_or(0, |r| r.len())
}

/// Takes an argument written by the runtime into memory from [`rt_alloc`].
///
/// # Safety
/// `ptr` comes from `rt_alloc(len)`, holds `len` bytes of UTF-8, and is used only once.
unsafe fn take(ptr: *mut u8, len: usize) -> String {
    // SAFETY: as the caller promises: `rt_alloc` made a `Vec<u8>` of exactly this capacity
    // (`Vec::with_capacity` gives exactly the capacity asked), and `TextEncoder` writes UTF-8.
    unsafe { String::from_raw_parts(ptr, len, len) }
}

/// Keeps `text` as the answer and returns its address (its length is [`rt_len`]).
fn answer_with(text: String) -> *const u8 {
    match RESULT.0.try_borrow_mut() {
        Ok(mut r) => {
            *r = text;
            r.as_ptr()
        }
        Err(_) => core::ptr::null(),
    }
}

/// [`boot`] for the runtime.
///
/// # Safety
/// Each `(ptr, len)` pair comes from [`rt_alloc`] as [`take`] requires.
#[export_name = "boot"]
pub unsafe extern "C" fn boot_export(
    s: *mut u8,
    s_len: usize,
    p: *mut u8,
    p_len: usize,
) -> *const u8 {
    // SAFETY: as the caller promises.
    let (settings, page) = unsafe { (take(s, s_len), take(p, p_len)) };
    answer_with(boot(&settings, &page))
}

/// [`call`] for the runtime.
///
/// # Safety
/// Each `(ptr, len)` pair comes from [`rt_alloc`] as [`take`] requires.
#[export_name = "call"]
pub unsafe extern "C" fn call_export(
    n: *mut u8,
    n_len: usize,
    a: *mut u8,
    a_len: usize,
    now_ms: f64,
) -> *const u8 {
    // SAFETY: as the caller promises.
    let (name, arg) = unsafe { (take(n, n_len), take(a, a_len)) };
    answer_with(call(&name, &arg, now_ms))
}

/// [`answer`] for the runtime.
///
/// # Safety
/// Each `(ptr, len)` pair comes from [`rt_alloc`] as [`take`] requires.
#[export_name = "answer"]
pub unsafe extern "C" fn answer_export(
    i: *mut u8,
    i_len: usize,
    status: u32,
    t: *mut u8,
    t_len: usize,
    now_ms: f64,
) -> *const u8 {
    // SAFETY: as the caller promises.
    let (id, text) = unsafe { (take(i, i_len), take(t, t_len)) };
    // A status beyond u16 is no HTTP status: treated as no answer.
    answer_with(answer(
        &id,
        u16::try_from(status).unwrap_or(0),
        &text,
        now_ms,
    ))
}
