//! The process's standard output and error as the interpreter writes them.
//!
//! Each `print()` call hands over its whole text (items, separators and end) in one
//! call, so lines from different threads never interleave inside a line. Stdout is
//! line-buffered on a terminal (every line appears as it is printed) and
//! block-buffered otherwise; it is flushed at exit and before a child process starts.

use parking_lot::Mutex;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use std::sync::RwLock;

type OutputHook = Box<dyn Fn(&str) + Send + Sync>;

/// While set (by the REPL, while its prompt is shown), text for stdout and stderr goes
/// to this hook, which prints it above the line being edited instead of through it.
static HOOK: RwLock<Option<OutputHook>> = RwLock::new(None);
/// Mirrors `HOOK.is_some()` so that ordinary writes pay one relaxed load, not a lock.
static HOOKED: AtomicBool = AtomicBool::new(false);

/// Installs or removes the output hook (see `HOOK`); pending stdout is flushed first.
pub fn set_output_hook(hook: Option<OutputHook>) {
    flush_stdout();
    let mut h = HOOK.write().unwrap_or_else(|e| e.into_inner());
    HOOKED.store(hook.is_some(), Ordering::SeqCst);
    *h = hook;
}

/// Hands `text` to the hook if one is set.
fn hooked(text: &str) -> bool {
    if !HOOKED.load(Ordering::Relaxed) {
        return false;
    }
    match &*HOOK.read().unwrap_or_else(|e| e.into_inner()) {
        Some(h) => {
            h(text);
            true
        }
        None => false,
    }
}

/// Set by the REPL: child processes then write into pipes whose lines the parent
/// passes on through `write_stdout`/`write_stderr`, so that the output hook above sees
/// them too and they cannot corrupt the line being edited.
static RELAY_CHILDREN: AtomicBool = AtomicBool::new(false);

/// Asks process-starting code to relay children's output through this process.
pub fn set_relay_children(on: bool) {
    RELAY_CHILDREN.store(on, Ordering::SeqCst);
}

/// Whether children's output should be relayed (see `set_relay_children`).
pub fn relay_children() -> bool {
    RELAY_CHILDREN.load(Ordering::Relaxed)
}

struct Out {
    buf: Vec<u8>,
    tty: bool,
}

/// The stdout buffer. A pointer rather than a `OnceLock` so that a child made by fork
/// can start with a fresh mutex: parking_lot keeps the threads parked on a mutex in a
/// table keyed by its address, and in the child the parent's parked threads are dead
/// entries there that would receive (and lose) the wake-ups meant for live ones.
static STATE: AtomicPtr<Mutex<Out>> = AtomicPtr::new(std::ptr::null_mut());

fn stdout_state() -> &'static Mutex<Out> {
    let p = STATE.load(Ordering::Acquire);
    if !p.is_null() {
        // SAFETY: set once from Box::into_raw below and never freed.
        return unsafe { &*p };
    }
    // PYTHONUNBUFFERED asks for every write to reach the stream at once, as in
    // CPython; line buffering gives that for whole prints.
    let unbuffered = std::env::var_os("PYTHONUNBUFFERED").is_some_and(|v| !v.is_empty());
    let fresh = Box::into_raw(Box::new(Mutex::new(Out {
        buf: Vec::with_capacity(8192),
        tty: unbuffered || std::io::stdout().is_terminal(),
    })));
    match STATE.compare_exchange(std::ptr::null_mut(), fresh, Ordering::AcqRel, Ordering::Acquire) {
        // SAFETY: our compare-and-swap published `fresh`, a leaked box that nothing
        // ever frees, so a `'static` shared borrow of it is valid.
        Ok(_) => unsafe { &*fresh },
        Err(existing) => {
            // SAFETY: the swap failed, so `fresh` was never published: this thread
            // holds its only pointer and frees it once.
            drop(unsafe { Box::from_raw(fresh) });
            // SAFETY: `existing` is the box another thread published (the Acquire
            // failure order makes its contents visible); it is never freed.
            unsafe { &*existing }
        }
    }
}

/// Forces line buffering (e.g. `-u`, or a REPL).
pub fn set_line_buffered(on: bool) {
    stdout_state().lock().tty = on;
}

/// Writes text to stdout as one piece; a write error is dropped (for output that
/// has nowhere to report it: relayed children, the REPL's echo).
pub fn write_stdout(text: &str) {
    let _ = try_write_stdout(text.as_bytes());
}

/// Writes bytes to stdout as one piece. When the write fills the buffer (or ends a
/// line on a terminal) the buffer is written out; if that fails the buffered data
/// is dropped and the error returned, as CPython's text layer loses the pending
/// text of a write that fails.
pub fn try_write_stdout(data: &[u8]) -> std::io::Result<()> {
    if HOOKED.load(Ordering::Relaxed) && hooked(&String::from_utf8_lossy(data)) {
        return Ok(());
    }
    let mut o = stdout_state().lock();
    o.buf.extend_from_slice(data);
    let flush = if o.tty { data.contains(&b'\n') } else { o.buf.len() >= 8192 };
    if flush {
        let r = write_out(&o.buf);
        o.buf.clear();
        return r;
    }
    Ok(())
}

fn write_out(data: &[u8]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(data)?;
    out.flush()
}

/// Flushes buffered stdout, dropping any error (before writing to stderr, before a
/// fork).
pub fn flush_stdout() {
    let _ = try_flush_stdout();
}

/// Flushes buffered stdout (`sys.stdout.flush()`, the flush at exit). On failure
/// the data stays buffered, as in CPython, so the flush at exit fails again.
pub fn try_flush_stdout() -> std::io::Result<()> {
    let mut o = stdout_state().lock();
    if !o.buf.is_empty() {
        write_out(&o.buf)?;
        o.buf.clear();
    }
    Ok(())
}

/// Drops buffered stdout without writing it (`sys.stdout.close()` after its flush
/// failed: CPython's close discards what it could not write).
pub fn discard_stdout() {
    stdout_state().lock().buf.clear();
}

/// Runs `fork` (a closure calling `fork()`, returning its result) with stdout flushed
/// and locked, and stderr locked, so that no other thread is half-way through writing
/// either when the process is copied: the child would otherwise print text the parent
/// also prints. The child (result 0) gets a fresh stdout mutex (see `STATE`); std's
/// stdout and stderr locks are plain futex words that the forking thread releases in
/// both processes.
pub fn locked_for_fork(fork: impl FnOnce() -> i32) -> i32 {
    let mut o = stdout_state().lock();
    let mut out = std::io::stdout().lock();
    if !o.buf.is_empty() {
        let _ = out.write_all(&o.buf);
        o.buf.clear();
    }
    let _ = out.flush();
    let _err = std::io::stderr().lock();
    let pid = fork();
    if pid == 0 {
        let fresh = Box::new(Mutex::new(Out { buf: Vec::with_capacity(8192), tty: o.tty }));
        STATE.store(Box::into_raw(fresh), Ordering::Release);
        // The old mutex is left locked and leaked: unlocking it could hand it to one
        // of the dead parked threads, and nothing uses it any more.
        std::mem::forget(o);
    }
    pid
}

/// Writes text to stderr (unbuffered); stdout is flushed first so the two streams
/// keep their order on a terminal.
pub fn write_stderr(text: &str) {
    let _ = try_write_stderr(text.as_bytes());
}

/// Writes bytes to stderr (see `write_stderr`), returning the error of the write.
pub fn try_write_stderr(data: &[u8]) -> std::io::Result<()> {
    flush_stdout();
    if HOOKED.load(Ordering::Relaxed) && hooked(&String::from_utf8_lossy(data)) {
        return Ok(());
    }
    let mut e = std::io::stderr().lock();
    e.write_all(data)?;
    e.flush()
}
