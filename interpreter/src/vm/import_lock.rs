//! Module locks, as CPython's: while one thread runs a module's code, another
//! thread importing it waits until the module is complete (or its import failed)
//! instead of getting the half-made module from `sys.modules`. The thread running
//! the module, importing it again (a circular import), gets the partial module at
//! once; so does a thread whose wait would close a cycle of threads each waiting
//! for a module another one runs (CPython's deadlock case).

use parking_lot::{Condvar, Mutex};
use std::collections::HashMap;
use std::thread::ThreadId;
use std::time::Duration;

#[derive(Default)]
struct State {
    /// Module name -> the thread running its code.
    running: HashMap<String, ThreadId>,
    /// Thread -> the module it waits for.
    waiting: HashMap<ThreadId, String>,
}

fn state() -> &'static (Mutex<State>, Condvar) {
    static S: std::sync::OnceLock<(Mutex<State>, Condvar)> = std::sync::OnceLock::new();
    S.get_or_init(|| (Mutex::new(State::default()), Condvar::new()))
}

/// Whether waiting for `owner` would wait, through other waiting threads, for `me`.
fn closes_cycle(s: &State, me: ThreadId, owner: ThreadId) -> bool {
    let mut t = owner;
    for _ in 0..s.waiting.len() + 1 {
        let Some(wanted) = s.waiting.get(&t) else { return false };
        match s.running.get(wanted) {
            Some(&o) if o == me => return true,
            Some(&o) => t = o,
            None => return false,
        }
    }
    false
}

/// Waits while another thread runs `name`'s code. Returns true when this thread
/// now runs it (`claim`), false when the caller should look in `sys.modules` again.
fn wait_then(name: &str, claim: bool) -> bool {
    let me = std::thread::current().id();
    let (lock, done) = state();
    let mut s = lock.lock();
    loop {
        let owner = match s.running.get(name) {
            None => break,
            Some(&o) if o == me => return false,
            Some(&o) => o,
        };
        if closes_cycle(&s, me, owner) {
            return false;
        }
        s.waiting.insert(me, name.to_string());
        // A bounded wait: a thread that ends abnormally while running a module
        // still has its entry removed by `finish`, but a timeout keeps a missed
        // wakeup from becoming a hang.
        done.wait_for(&mut s, Duration::from_millis(50));
        s.waiting.remove(&me);
    }
    if claim {
        s.running.insert(name.to_string(), me);
    }
    claim
}

/// Before handing out a module found in `sys.modules`: waits until no other thread
/// is running its code.
pub fn wait_ready(name: &str) {
    wait_then(name, false);
}

/// Before loading `name`: true when this thread is now the one to run it (call
/// [`finish`] after), false when another thread ran it meanwhile (look again).
pub fn claim(name: &str) -> bool {
    wait_then(name, true)
}

/// The module's code has finished running (or failed): wake the waiting threads.
pub fn finish(name: &str) {
    let (lock, done) = state();
    lock.lock().running.remove(name);
    done.notify_all();
}

/// In a forked child: only the forking thread remains, so only its entries stay.
///
/// # Safety
/// As `crate::fork::release_orphaned`: called first thing in the child.
pub unsafe fn reset_after_fork() {
    let (lock, _) = state();
    // SAFETY: the child has one thread; a lock held by a thread of the parent is
    // never released otherwise.
    unsafe { crate::fork::release_orphaned(lock) };
    let me = std::thread::current().id();
    let mut s = lock.lock();
    s.running.retain(|_, t| *t == me);
    s.waiting.clear();
}
