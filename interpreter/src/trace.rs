//! The interpreter's half of `conc --trace`: the switch, the clock, and the event
//! buffers, one per script thread. The stdlib half (`stdlib/src/trace/`) turns wait
//! records into events and writes the file at exit.
//!
//! With tracing off, every hook is one relaxed load of [`ON`] on a path that already
//! waits or takes a lock. With it on, an event is appended to the calling thread's own
//! buffer: the buffer's mutex is taken only by its thread until the writer collects
//! everything at exit, so no lock is shared between threads per event.

use parking_lot::Mutex;
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

/// Tracing is on (`--trace`, or a traced parent's child).
static ON: AtomicBool = AtomicBool::new(false);

/// Whether events are being recorded. The only cost of tracing when it is off.
#[inline(always)]
pub fn on() -> bool {
    ON.load(Ordering::Relaxed)
}

/// Turns recording on (the stdlib's `trace::start`).
pub fn turn_on() {
    ON.store(true, Ordering::SeqCst);
}

/// Microseconds on the system's monotonic clock, which every process of the machine
/// shares, so the events of child processes line up with their parent's.
pub fn now_us() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_MONOTONIC always exists.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as f64 * 1e6 + ts.tv_nsec as f64 / 1e3
}

/// One Chrome trace event of this process (`ph` is its phase: `X` complete span,
/// `i` instant, `b`/`e` async begin and end).
#[derive(Clone, Debug)]
pub struct Event {
    pub ph: char,
    pub name: String,
    pub cat: &'static str,
    pub ts: f64,
    pub dur: f64,
    /// The async id of `b`/`e` events (an asyncio task).
    pub id: u64,
    pub args: Vec<(&'static str, String)>,
}

/// The events of one script thread.
pub struct ThreadBuf {
    /// The track number (small, per process; the main thread's is 1).
    pub tid: u64,
    pub ident: u64,
    pub name: Mutex<String>,
    pub events: Mutex<Vec<Event>>,
    /// Events not kept once the track holds `MAX_EVENTS` (reported at the end).
    pub dropped: std::sync::atomic::AtomicU64,
}

/// The most events one track keeps: a loop taking a lock millions of times would
/// otherwise write gigabytes (each hold is a span). Later events are counted, and the
/// track ends with an instant saying how many were left out.
pub const MAX_EVENTS: usize = 100_000;

/// Pushes `ev` unless the track is full.
fn push_capped(b: &ThreadBuf, events: &mut Vec<Event>, ev: Event) {
    if events.len() >= MAX_EVENTS {
        b.dropped.fetch_add(1, Ordering::Relaxed);
    } else {
        events.push(ev);
    }
}

fn buffers() -> &'static Mutex<Vec<Arc<ThreadBuf>>> {
    static B: OnceLock<Mutex<Vec<Arc<ThreadBuf>>>> = OnceLock::new();
    B.get_or_init(|| Mutex::new(Vec::new()))
}

/// A lock's hold not yet ended: its address, when it began, the span's name and args.
type OpenHold = (usize, f64, String, Args);
/// An event's arguments.
pub type Args = Vec<(&'static str, String)>;

static NEXT_TID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    static MINE: RefCell<Option<Arc<ThreadBuf>>> = const { RefCell::new(None) };
    /// Locks this thread holds, by address: when it took each, and the event's name
    /// and arguments, emitted as one span when it releases.
    static HOLDS: RefCell<Vec<OpenHold>> = const { RefCell::new(Vec::new()) };
}

/// The calling thread's buffer (made on first use; an OS thread reused for another
/// script thread gets a new one, since its ident changed).
fn with_mine<R>(thread_name: &str, f: impl FnOnce(&ThreadBuf) -> R) -> R {
    let ident = crate::blocking::current_ident();
    MINE.with(|m| {
        let mut m = m.borrow_mut();
        if m.as_ref().is_none_or(|b| b.ident != ident) {
            let buf = Arc::new(ThreadBuf {
                tid: NEXT_TID.fetch_add(1, Ordering::Relaxed),
                ident,
                name: Mutex::new(thread_name.to_string()),
                events: Mutex::new(Vec::new()),
                dropped: std::sync::atomic::AtomicU64::new(0),
            });
            buffers().lock().push(buf.clone());
            *m = Some(buf);
        }
        let buf = m.as_ref().expect("made above");
        if !thread_name.is_empty() {
            let mut n = buf.name.lock();
            if *n != thread_name {
                *n = thread_name.to_string();
            }
        }
        f(buf)
    })
}

/// Appends an event to the calling thread's track.
pub fn record(thread_name: &str, ev: Event) {
    with_mine(thread_name, |b| push_capped(b, &mut b.events.lock(), ev));
}

/// Appends a span to the calling thread's track, or lengthens the track's last span
/// when it is the same wait resumed within `gap` µs (a wait made of slices, such as a
/// process join polling its child, is one span).
pub fn record_span(thread_name: &str, ev: Event, gap: f64) {
    with_mine(thread_name, |b| {
        let mut events = b.events.lock();
        if let Some(last) = events.last_mut() {
            if last.ph == 'X' && last.name == ev.name && last.args == ev.args && ev.ts - (last.ts + last.dur) < gap {
                last.dur = ev.ts + ev.dur - last.ts;
                return;
            }
        }
        push_capped(b, &mut events, ev);
    });
}

/// An instant event on the calling thread's track.
pub fn instant(thread_name: &str, name: &str, cat: &'static str, args: Vec<(&'static str, String)>) {
    record(thread_name, Event { ph: 'i', name: name.to_string(), cat, ts: now_us(), dur: 0.0, id: 0, args });
}

/// The calling thread took the lock at `addr`.
pub fn hold_begin(thread_name: &str, addr: usize, name: String, args: Vec<(&'static str, String)>) {
    let now = now_us();
    // The track exists (and is named) from the first hold, even if it never waits.
    with_mine(thread_name, |_| ());
    HOLDS.with(|h| h.borrow_mut().push((addr, now, name, args)));
}

/// The calling thread released the lock at `addr`: its hold becomes a span. A lock
/// released by another thread than the one that took it leaves no span.
pub fn hold_end(addr: usize, thread_name: &str) {
    let held = HOLDS.with(|h| {
        let mut h = h.borrow_mut();
        let at = h.iter().rposition(|e| e.0 == addr)?;
        Some(h.remove(at))
    });
    if let Some((_, start, name, args)) = held {
        let now = now_us();
        record(thread_name, Event { ph: 'X', name, cat: "hold", ts: start, dur: now - start, id: 0, args });
    }
}

/// The name the calling thread's track has (for natives without a VM at hand).
pub fn my_name() -> String {
    MINE.with(|m| m.borrow().as_ref().map(|b| b.name.lock().clone()).unwrap_or_default())
}

/// Every track's number, name and events, taken out of the buffers.
pub fn take_all() -> Vec<(u64, String, Vec<Event>)> {
    let bufs = buffers().lock().clone();
    bufs.iter()
        .map(|b| {
            let mut events = std::mem::take(&mut *b.events.lock());
            let dropped = b.dropped.swap(0, Ordering::Relaxed);
            if dropped > 0 {
                let name = format!("trace truncated: {dropped} later events of this thread left out");
                let ts = events.last().map_or(0.0, |e| e.ts + e.dur);
                let args = vec![("kept", MAX_EVENTS.to_string()), ("dropped", dropped.to_string())];
                events.push(Event { ph: 'i', name, cat: "trace", ts, dur: 0.0, id: 0, args });
            }
            (b.tid, b.name.lock().clone(), events)
        })
        .collect()
}

/// What the stdlib does with a wait: describe it when it begins (who holds the lock
/// then), and make it a span when it ends (start and end in µs).
pub struct WaitHooks {
    pub began: fn(&crate::blocking::WaitRecord),
    pub ended: fn(&crate::blocking::WaitRecord, f64, f64),
}
static WAIT_HOOKS: OnceLock<WaitHooks> = OnceLock::new();
static FLUSH_HOOK: OnceLock<fn()> = OnceLock::new();

/// Installs the stdlib's hooks: what a wait becomes, and the writer run at exit.
pub fn set_hooks(wait: WaitHooks, flush: fn()) {
    let _ = WAIT_HOOKS.set(wait);
    let _ = FLUSH_HOOK.set(flush);
}

/// A wait begins (called by the blocking layer, only when tracing).
#[cold]
pub(crate) fn wait_began(rec: &crate::blocking::WaitRecord) {
    if let Some(h) = WAIT_HOOKS.get() {
        (h.began)(rec);
    }
}

/// A wait has ended (called by the blocking layer, only when tracing).
#[cold]
pub(crate) fn wait_ended(rec: &crate::blocking::WaitRecord, start: f64) {
    if let Some(h) = WAIT_HOOKS.get() {
        (h.ended)(rec, start, now_us());
    }
}

/// Gives the calling thread its track now (so the main thread's comes first).
pub fn touch(thread_name: &str) {
    with_mine(thread_name, |_| ());
}

/// Writes the trace now, once (the normal exit, `os._exit`, a fatal path).
pub fn flush() {
    static DONE: AtomicBool = AtomicBool::new(false);
    if on() && !DONE.swap(true, Ordering::SeqCst) {
        if let Some(f) = FLUSH_HOOK.get() {
            f();
        }
    }
}

static FORKED: AtomicBool = AtomicBool::new(false);

/// Whether this process is a fork of a traced process (it writes its events for the
/// parent to merge).
pub fn forked_child() -> bool {
    FORKED.load(Ordering::SeqCst)
}

/// In a forked child: the parent's events are the parent's to write; the forking
/// thread starts a new track.
///
/// # Safety
/// See `crate::fork::reset_in_child`.
pub(crate) unsafe fn reset_after_fork() {
    crate::fork::release_orphaned(buffers());
    buffers().lock().clear();
    MINE.with(|m| *m.borrow_mut() = None);
    HOLDS.with(|h| h.borrow_mut().clear());
    NEXT_TID.store(1, Ordering::SeqCst);
    if on() {
        FORKED.store(true, Ordering::SeqCst);
    }
}

/// The track name of the script thread `ident`, if it has recorded anything.
pub fn name_of_ident(ident: u64) -> Option<String> {
    buffers().lock().iter().find(|b| b.ident == ident).map(|b| b.name.lock().clone())
}
