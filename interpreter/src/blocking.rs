//! The one blocking layer. Every operation that can block a script thread (lock and
//! semaphore acquire, condition and event waits, queue put/get, join, barrier, sleep,
//! future results, process joins) waits through [`Vm::block_on`], which
//!
//! - records, for each waiting thread, what it waits on and where in the script
//!   (`waiting_threads()`), the basis of deadlock reports and tracing;
//! - honours timeouts;
//! - lets Ctrl-C interrupt the main thread with KeyboardInterrupt, whatever it waits on.
//!
//! Stdlib modules never call a raw condvar or channel receive themselves: they keep
//! their state behind a [`parking_lot::Mutex`] and wait on a [`WaitQueue`] with
//! `block_on`, re-checking their condition after every wake-up.

use crate::deadlock::{WaitDetail, Wake};
use crate::native::Exc;
use crate::vm::{PyResult, Vm};
use parking_lot::{Condvar, Mutex, MutexGuard};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A condition variable for blocked script threads.
#[derive(Default)]
pub struct WaitQueue {
    cv: Condvar,
}

impl WaitQueue {
    pub fn new() -> WaitQueue {
        WaitQueue { cv: Condvar::new() }
    }

    pub fn notify_one(&self) -> bool {
        self.cv.notify_one()
    }

    pub fn notify_all(&self) -> usize {
        self.cv.notify_all()
    }
}

/// What a blocked thread waits on, and where.
#[derive(Clone, Debug)]
pub struct WaitRecord {
    pub thread: u64,
    pub thread_name: String,
    pub what: String,
    pub file: String,
    pub line: usize,
    /// The stack, the object and what can end the wait (`crate::deadlock`).
    pub detail: WaitDetail,
}

fn registry() -> &'static Mutex<HashMap<u64, WaitRecord>> {
    static R: OnceLock<Mutex<HashMap<u64, WaitRecord>>> = OnceLock::new();
    R.get_or_init(|| Mutex::new(HashMap::new()))
}

/// In a forked child: the threads whose waits were recorded do not exist, and the
/// forking thread becomes the one Ctrl-C interrupts.
///
/// # Safety
/// See `crate::fork::reset_in_child`.
pub(crate) unsafe fn reset_after_fork() {
    crate::fork::release_orphaned(registry());
    registry().lock().clear();
    INTERRUPT.store(0, Ordering::SeqCst);
    crate::deadlock::reset_after_fork();
    set_main_thread();
    crate::fork::release_orphaned(&settle_signal().0);
    SETTLE_WAITERS.store(0, Ordering::SeqCst);
}

/// Every thread blocked right now, with what it waits on and where.
pub fn waiting_threads() -> Vec<WaitRecord> {
    registry().lock().values().cloned().collect()
}

/// How many threads are blocked right now.
pub fn waiting_count() -> usize {
    registry().lock().len()
}

/// Bits of `INTERRUPT`: a signal arrived (consumed by the main thread, which runs the
/// handlers); a thread dump asks running threads for their stacks (cleared by the
/// dumper). One word, so the VM's check at backward jumps stays one load.
const SIGNAL_BIT: u8 = 1;
const DUMP_BIT: u8 = 2;
static INTERRUPT: AtomicU8 = AtomicU8::new(0);
/// The ident of the main thread (the only one Ctrl-C interrupts).
static MAIN_THREAD: AtomicU64 = AtomicU64::new(0);

/// Marks the calling thread as the main thread.
pub fn set_main_thread() {
    MAIN_THREAD.store(current_ident(), Ordering::Relaxed);
}

pub fn is_main_thread() -> bool {
    MAIN_THREAD.load(Ordering::Relaxed) == current_ident()
}

/// Asks the main thread to run its pending signal handlers (`signals::note_signal`;
/// SIGINT's default handler raises KeyboardInterrupt).
pub fn request_interrupt() {
    INTERRUPT.fetch_or(SIGNAL_BIT, Ordering::SeqCst);
}

/// Takes a pending interrupt if this is the main thread.
pub fn take_interrupt() -> bool {
    if INTERRUPT.load(Ordering::Relaxed) & SIGNAL_BIT != 0 && is_main_thread() {
        return INTERRUPT.fetch_and(!SIGNAL_BIT, Ordering::SeqCst) & SIGNAL_BIT != 0;
    }
    false
}

/// A pending interrupt (or dump request) without consuming it.
#[inline(always)]
pub fn interrupt_pending() -> bool {
    INTERRUPT.load(Ordering::Relaxed) != 0
}

/// Sets or clears the request for running threads' stacks (`crate::deadlock`).
pub(crate) fn request_dump(on: bool) {
    if on {
        INTERRUPT.fetch_or(DUMP_BIT, Ordering::SeqCst);
    } else {
        INTERRUPT.fetch_and(!DUMP_BIT, Ordering::SeqCst);
    }
}

/// Whether a thread dump waits for running threads' stacks.
pub fn dump_requested() -> bool {
    INTERRUPT.load(Ordering::Relaxed) & DUMP_BIT != 0
}

/// A fresh thread ident, never handed out before.
pub fn new_ident() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    // Mix in a large constant so idents look like CPython's (big numbers).
    139_900_000_000_000 + NEXT.fetch_add(1, Ordering::Relaxed) * 4096
}

thread_local! {
    static IDENT: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// The number identifying the calling script thread (`threading.get_ident()`).
/// An OS thread reused for another script thread gets a new one (`set_current_ident`).
pub fn current_ident() -> u64 {
    IDENT.with(|i| {
        if i.get() == 0 {
            i.set(new_ident());
        }
        i.get()
    })
}

/// Makes the calling OS thread run as script thread `ident` from now on.
pub fn set_current_ident(ident: u64) {
    IDENT.with(|i| i.set(ident));
}

/// Watches `ready()` for at most `budget` without sleeping; true once it holds.
/// Waits whose wake-up usually comes from another running thread within
/// microseconds (a notification, a queue hand-off, a lock about to be released) spin
/// here first: parking costs a futex wake-up and two trips through the scheduler.
pub fn spin_for(budget: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        for _ in 0..64 {
            if ready() {
                return true;
            }
            std::hint::spin_loop();
        }
        if start.elapsed() >= budget {
            return ready();
        }
    }
}

/// Threads waiting in `wait_settled`, so that `notify_settled` costs one load when
/// nobody waits.
static SETTLE_WAITERS: AtomicUsize = AtomicUsize::new(0);

fn settle_signal() -> &'static (Mutex<()>, Condvar) {
    static S: OnceLock<(Mutex<()>, Condvar)> = OnceLock::new();
    S.get_or_init(|| (Mutex::new(()), Condvar::new()))
}

/// Bumped by every `notify_settled`, for waiters that watch before they park.
static SETTLE_GEN: AtomicU64 = AtomicU64::new(0);

/// Tells threads in `wait_settled` that some thread has just blocked or ended.
pub fn notify_settled() {
    SETTLE_GEN.fetch_add(1, Ordering::SeqCst);
    if SETTLE_WAITERS.load(Ordering::SeqCst) > 0 {
        let (m, cv) = settle_signal();
        let _g = m.lock();
        cv.notify_all();
    }
}

/// Whether thread `ident` is blocked in the blocking layer right now.
pub fn is_blocked(ident: u64) -> bool {
    registry().lock().contains_key(&ident)
}

/// Waits until `settled()` (a started thread has blocked or ended), at most
/// `budget`. Under CPython's GIL a newly started thread runs until it blocks or its
/// switch interval (5 ms) ends before the starter goes on; scripts written against
/// that (start one thread, then another that expects the first to hold a lock
/// already) keep their order when `Thread.start` waits the same way.
pub fn wait_settled(budget: Duration, settled: impl Fn() -> bool) {
    let deadline = Instant::now() + budget;
    // Watch for a while first: a short thread ends within microseconds, and parking
    // would add two scheduler round trips to every start. `settled()` takes locks,
    // so it is asked only when some thread has blocked or ended since.
    let mut seen = SETTLE_GEN.load(Ordering::SeqCst);
    let mut first = true;
    let done = spin_for(budget.min(Duration::from_micros(100)), || {
        let now = SETTLE_GEN.load(Ordering::SeqCst);
        if first || now != seen {
            first = false;
            seen = now;
            return settled();
        }
        false
    });
    if done {
        return;
    }
    let (m, cv) = settle_signal();
    SETTLE_WAITERS.fetch_add(1, Ordering::SeqCst);
    let mut g = m.lock();
    while !settled() {
        if cv.wait_until(&mut g, deadline).timed_out() {
            break;
        }
    }
    drop(g);
    SETTLE_WAITERS.fetch_sub(1, Ordering::SeqCst);
}

/// How long the main thread sleeps between checks for Ctrl-C while blocked.
const INTERRUPT_SLICE: Duration = Duration::from_millis(50);

impl Vm {
    /// Blocks until `ready(&mut state)` returns Some, waiting on `queue` (whose
    /// notifier must hold the same mutex). Returns Ok(None) on timeout. `what`
    /// describes the object waited on, for the blocking layer's records.
    pub fn block_on<T, R>(
        &mut self,
        guard: &mut MutexGuard<'_, T>,
        queue: &WaitQueue,
        timeout: Option<Duration>,
        what: &dyn Fn() -> String,
        mut ready: impl FnMut(&mut T) -> Option<R>,
    ) -> PyResult<Option<R>> {
        if let Some(r) = ready(guard) {
            crate::deadlock::clear_subject();
            return Ok(Some(r));
        }
        let deadline = timeout.map(|t| Instant::now() + t);
        let me = current_ident();
        let main = is_main_thread();
        self.record_wait(me, what, if timeout.is_some() { Wake::Timer } else { Wake::Thread });
        let traced_from = if crate::trace::on() { crate::trace::now_us() } else { 0.0 };
        let result = loop {
            if main && take_interrupt() {
                // A signal arrived: its script handler runs here, with the waited-on
                // object's lock released (the handler may use the object). If it
                // returns, the wait goes on (PEP 475); its exception ends the wait.
                match MutexGuard::unlocked(guard, || self.run_pending_signals()) {
                    Err(e) => break Err(e),
                    Ok(()) => {
                        if let Some(r) = ready(guard) {
                            break Ok(Some(r));
                        }
                        continue;
                    }
                }
            }
            let now = Instant::now();
            let mut wait_until = match deadline {
                Some(d) => {
                    if now >= d {
                        break Ok(None);
                    }
                    Some(d)
                }
                None => None,
            };
            if main {
                let slice = now + INTERRUPT_SLICE;
                wait_until = Some(match wait_until {
                    Some(d) if d < slice => d,
                    _ => slice,
                });
            }
            match wait_until {
                Some(d) => {
                    queue.cv.wait_until(guard, d);
                }
                None => queue.cv.wait(guard),
            }
            if let Some(r) = ready(guard) {
                break Ok(Some(r));
            }
        };
        self.end_wait(me, traced_from);
        result
    }

    /// Waits for something the kernel reports (a descriptor becoming ready, a timed
    /// semaphore wait) through the blocking layer: the wait is recorded like any
    /// other, and `attempt(slice)`, which may block in the kernel for up to `slice`,
    /// is called until it returns Some or `timeout` passes (then Ok(None)). Slices are
    /// short, so Ctrl-C reaches a main thread waiting here within one slice. The
    /// caller makes its own non-blocking attempt first: this always records a wait.
    pub fn wait_in_kernel<R>(
        &mut self,
        timeout: Option<Duration>,
        what: &dyn Fn() -> String,
        mut attempt: impl FnMut(Duration) -> Option<R>,
    ) -> PyResult<Option<R>> {
        let deadline = timeout.map(|t| Instant::now() + t);
        let me = current_ident();
        let main = is_main_thread();
        self.record_wait(me, what, Wake::Kernel);
        let traced_from = if crate::trace::on() { crate::trace::now_us() } else { 0.0 };
        let result = loop {
            if main && take_interrupt() {
                // A signal's script handler runs here; if it returns, the wait goes
                // on (PEP 475), its exception ends the wait.
                if let Err(e) = self.run_pending_signals() {
                    break Err(e);
                }
            }
            let slice = match deadline {
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        break Ok(None);
                    }
                    (d - now).min(INTERRUPT_SLICE)
                }
                None => INTERRUPT_SLICE,
            };
            if let Some(r) = attempt(slice) {
                break Ok(Some(r));
            }
        };
        self.end_wait(me, traced_from);
        result
    }

    /// A number of seconds (a timeout, a sleep) as a Duration, with CPython's
    /// errors: NaN is a ValueError, and a time beyond what CPython's nanosecond
    /// clock holds (about 292 years) an OverflowError. Negative counts as zero.
    pub fn seconds(&mut self, secs: f64) -> PyResult<Duration> {
        if secs.is_nan() {
            return Err(self.value_error("Invalid value NaN (not a number)"));
        }
        if secs * 1e9 >= i64::MAX as f64 {
            return Err(self.error(Exc::OverflowError, "timestamp out of range for platform time_t"));
        }
        Ok(Duration::from_secs_f64(secs.max(0.0)))
    }

    /// `time.sleep`: waits through the blocking layer, so Ctrl-C interrupts it.
    pub fn sleep(&mut self, secs: f64) -> PyResult<()> {
        let d = self.seconds(secs)?;
        let m = Mutex::new(());
        let q = WaitQueue::new();
        let mut g = m.lock();
        let end = Instant::now() + d;
        let r = self.block_on(&mut g, &q, Some(d), &|| format!("sleep({secs})"), |_| {
            if Instant::now() >= end {
                Some(())
            } else {
                None
            }
        })?;
        let _ = r;
        Ok(())
    }

    /// Takes the calling thread's wait out of the records (a span of the trace when
    /// tracing, from `traced_from`).
    #[inline]
    fn end_wait(&mut self, me: u64, traced_from: f64) {
        let rec = registry().lock().remove(&me);
        if crate::trace::on() {
            if let Some(rec) = &rec {
                crate::trace::wait_ended(rec, traced_from);
            }
        }
    }

    /// Enters the calling thread's wait in the records; wakes the deadlock watcher
    /// when every thread may now be stuck.
    fn record_wait(&mut self, me: u64, what: &dyn Fn() -> String, wake: Wake) {
        let (file, line) = self.location();
        let detail = crate::deadlock::detail(self, wake);
        let rec = WaitRecord { thread: me, thread_name: self.thread_name.clone(), what: what(), file, line, detail };
        if crate::trace::on() {
            crate::trace::wait_began(&rec);
        }
        let poke = {
            let mut r = registry().lock();
            r.insert(me, rec);
            crate::deadlock::should_poke(r.len(), wake)
        };
        if poke {
            crate::deadlock::poke();
        }
        notify_settled();
    }

    /// File and line of the script code running on this thread (for wait records).
    pub fn location(&self) -> (String, usize) {
        match self.caller_frame() {
            Some(f) => (f.code.filename.clone(), f.line()),
            None => (String::new(), 0),
        }
    }
}
