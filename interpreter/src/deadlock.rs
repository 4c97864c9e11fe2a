//! The interpreter's half of deadlock reports and thread dumps: what a parked thread's
//! wait record holds beyond its summary (its stack, the object it waits on, what can
//! wake it), the count of live script threads, the poke that wakes the watcher
//! (`stdlib/src/deadlock/`) when every thread may be stuck, and the board where
//! running threads leave their stacks when a dump asks for them.
//!
//! Nothing here runs on a hot path: a record's detail is made only by a thread that
//! is about to park, and the poke is one comparison under the lock the blocking layer
//! already holds to record the wait.

use crate::value::Value;
use crate::vm::frames::FrameEntry;
use crate::vm::Vm;
use parking_lot::{Condvar, Mutex};
use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// What can end a wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wake {
    /// Only another thread of this process (a release, a notify, a put).
    Thread,
    /// The clock: a timeout or a sleep.
    Timer,
    /// The kernel: a descriptor, a child process, a signal.
    Kernel,
}

/// The part of a wait record that deadlock reports and dumps read.
#[derive(Clone)]
pub struct WaitDetail {
    /// The thread's script frames when it parked, innermost first.
    pub stack: Vec<FrameEntry>,
    /// The native object waited on (a lock, condition, queue, thread handle), when
    /// its native code named it with [`wait_subject`].
    pub subject: Option<Value>,
    pub wake: Wake,
    /// Grows with each wait of the thread: the same `seq` twice means the thread has
    /// not woken up in between.
    pub seq: u64,
    /// The kernel's id of the thread (its state tells a woken thread from a parked one).
    pub tid: i32,
}

impl std::fmt::Debug for WaitDetail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WaitDetail({:?}, seq {}, {} frames)", self.wake, self.seq, self.stack.len())
    }
}

thread_local! {
    static SUBJECT: RefCell<Option<Value>> = const { RefCell::new(None) };
    static SEQ: Cell<u64> = const { Cell::new(0) };
    static TID: Cell<i32> = const { Cell::new(0) };
}

/// Names the object the calling thread's next wait is on. Natives call it just before
/// `block_on`, on their slow path only.
pub fn wait_subject(object: &Value) {
    SUBJECT.with(|s| *s.borrow_mut() = Some(object.clone()));
}

fn tid() -> i32 {
    TID.with(|t| {
        if t.get() == 0 {
            // SAFETY: gettid takes no arguments, touches no memory and cannot fail.
            t.set(unsafe { libc::gettid() });
        }
        t.get()
    })
}

/// The detail of a wait the calling thread is about to park in.
pub(crate) fn detail(vm: &Vm, wake: Wake) -> WaitDetail {
    let seq = SEQ.with(|s| {
        s.set(s.get() + 1);
        s.get()
    });
    WaitDetail { stack: vm.stack_entries(), subject: SUBJECT.with(|s| s.borrow_mut().take()), wake, seq, tid: tid() }
}

/// Forgets a subject named for a wait that did not park.
pub(crate) fn clear_subject() {
    SUBJECT.with(|s| {
        if let Ok(mut s) = s.try_borrow_mut() {
            *s = None;
        }
    });
}

/// Script threads alive (the main thread included).
static THREADS: AtomicUsize = AtomicUsize::new(0);
/// The main thread waits at interpreter exit for the non-daemon threads.
static EXITING: AtomicBool = AtomicBool::new(false);

/// A script thread has begun running script code.
pub fn thread_began() {
    THREADS.fetch_add(1, Ordering::SeqCst);
}

/// A script thread has ended: the others may all be stuck now.
pub fn thread_ended() {
    THREADS.fetch_sub(1, Ordering::SeqCst);
    if ENABLED.load(Ordering::Relaxed) && crate::blocking::waiting_count() >= THREADS.load(Ordering::SeqCst) {
        poke();
    }
}

/// How many script threads are alive.
pub fn live_threads() -> usize {
    THREADS.load(Ordering::SeqCst)
}

/// Marks that the main thread waits (or no longer waits) at interpreter exit.
pub fn set_exiting(on: bool) {
    EXITING.store(on, Ordering::SeqCst);
    if on {
        poke();
    }
}

pub fn exiting() -> bool {
    EXITING.load(Ordering::SeqCst)
}

/// Detection is on (the runtime turns it on unless `--deadlock=hang`).
static ENABLED: AtomicBool = AtomicBool::new(false);
/// The watcher has been woken and has not yet finished looking.
static POKED: AtomicBool = AtomicBool::new(false);
static STARTER: OnceLock<fn()> = OnceLock::new();
static STARTED: AtomicBool = AtomicBool::new(false);

fn poke_signal() -> &'static (Mutex<bool>, Condvar) {
    static S: OnceLock<(Mutex<bool>, Condvar)> = OnceLock::new();
    S.get_or_init(|| (Mutex::new(false), Condvar::new()))
}

/// Turns detection on; `start_watcher` starts the watcher thread, at the first poke.
pub fn enable(start_watcher: fn()) {
    let _ = STARTER.set(start_watcher);
    ENABLED.store(true, Ordering::SeqCst);
}

pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Whether a thread that has just recorded a wait should wake the watcher: its wait
/// only another thread can end, and as many threads wait as are alive (or the main
/// thread waits at exit, where a cycle among the rest is enough).
#[inline]
pub(crate) fn should_poke(waiting: usize, wake: Wake) -> bool {
    wake == Wake::Thread
        && ENABLED.load(Ordering::Relaxed)
        && !POKED.load(Ordering::Relaxed)
        && (waiting >= THREADS.load(Ordering::Relaxed) || EXITING.load(Ordering::Relaxed))
}

/// Wakes the watcher (starting it the first time).
pub fn poke() {
    if !ENABLED.load(Ordering::Relaxed) || POKED.swap(true, Ordering::SeqCst) {
        return;
    }
    if !STARTED.swap(true, Ordering::SeqCst) {
        if let Some(start) = STARTER.get() {
            start();
        }
    }
    let (m, cv) = poke_signal();
    *m.lock() = true;
    cv.notify_one();
}

/// The watcher: waits until poked.
pub fn wait_poked() {
    let (m, cv) = poke_signal();
    let mut g = m.lock();
    while !*g {
        cv.wait(&mut g);
    }
    *g = false;
}

/// The watcher has finished looking: the next qualifying wait pokes it again.
pub fn rearm() {
    POKED.store(false, Ordering::SeqCst);
}

/// In a forked child: the watcher thread does not exist there.
///
/// # Safety
/// See `crate::fork::reset_in_child`.
pub(crate) unsafe fn reset_after_fork() {
    crate::fork::release_orphaned(&poke_signal().0);
    crate::fork::release_orphaned(board());
    *poke_signal().0.lock() = false;
    POKED.store(false, Ordering::SeqCst);
    EXITING.store(false, Ordering::SeqCst);
    THREADS.store(1, Ordering::SeqCst);
    // The watcher, if the parent had one, is gone: the next poke starts one.
    STARTED.store(false, Ordering::SeqCst);
}

// Thread dumps. A parked thread's stack is in its wait record; a running thread is
// asked to leave its stack on the board at its next backward jump (the check the VM
// makes for signals already, so it costs nothing until a dump is requested).

/// One running thread's answer to a dump request.
#[derive(Clone)]
pub struct DumpAnswer {
    pub thread: u64,
    pub thread_name: String,
    pub stack: Vec<FrameEntry>,
}

static DUMP_EPOCH: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static ANSWERED: Cell<u64> = const { Cell::new(0) };
}

fn board() -> &'static Mutex<Vec<DumpAnswer>> {
    static B: OnceLock<Mutex<Vec<DumpAnswer>>> = OnceLock::new();
    B.get_or_init(|| Mutex::new(Vec::new()))
}

/// Asks every running script thread for its stack; returns what the threads that
/// answered within `budget` left, once `enough(answers)` holds or the budget is
/// spent. Dumps are serialised by the caller.
pub fn collect_running(budget: Duration, enough: impl Fn(&[DumpAnswer]) -> bool) -> Vec<DumpAnswer> {
    board().lock().clear();
    DUMP_EPOCH.fetch_add(1, Ordering::SeqCst);
    crate::blocking::request_dump(true);
    let end = Instant::now() + budget;
    loop {
        if enough(&board().lock()) || Instant::now() >= end {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    crate::blocking::request_dump(false);
    std::mem::take(&mut *board().lock())
}

impl Vm {
    /// Leaves this thread's stack on the dump board, once per request (`frame` is the
    /// running frame, which is not among `frames`).
    #[cold]
    #[inline(never)]
    pub(crate) fn answer_dump(&mut self, stack: Vec<FrameEntry>) {
        let epoch = DUMP_EPOCH.load(Ordering::SeqCst);
        if ANSWERED.with(|a| a.replace(epoch)) == epoch {
            return;
        }
        let answer =
            DumpAnswer { thread: crate::blocking::current_ident(), thread_name: self.thread_name.clone(), stack };
        board().lock().push(answer);
    }
}
