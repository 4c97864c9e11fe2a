//! OS threads kept for reuse by later script threads.
//!
//! Creating an OS thread (clone, a fresh stack mapping, the scheduler's bookkeeping)
//! costs about 45 us here, as much as CPython spends on a whole `Thread.start()` +
//! `join()`. A script thread that ends hands its OS thread back to this pool, where
//! it waits a while for the next script thread; starting one then costs a wake-up.
//! Each script thread still gets a fresh VM and a fresh ident, so nothing of the
//! previous script thread is visible to the next.

use parking_lot::{Condvar, Mutex};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::{JoinHandle, ThreadId};
use std::time::Duration;

/// Work for a pooled thread: everything a new script thread needs.
pub type Job = Box<dyn FnOnce() + Send>;

/// How long an idle OS thread waits for another script thread before it exits.
const IDLE_FOR: Duration = Duration::from_secs(5);
/// At most this many OS threads wait idle (each keeps a stack mapping).
const MAX_IDLE: usize = 64;

#[derive(Default)]
struct Slot {
    job: Mutex<Option<Job>>,
    /// Set by `drain_for_fork`: the idle thread exits instead of taking work.
    quit: AtomicBool,
    /// Set once `job` holds work, for the idle thread's watch before it parks.
    ready: AtomicBool,
    /// The idle thread, for `drain_for_fork` to join it.
    thread: Mutex<Option<ThreadId>>,
    cv: Condvar,
}

/// How long a thread that just finished watches for the next script thread before
/// parking: programs that start threads in a loop start the next one at once.
const WATCH_FOR: Duration = Duration::from_micros(100);

fn idle() -> &'static Mutex<Vec<Arc<Slot>>> {
    static I: OnceLock<Mutex<Vec<Arc<Slot>>>> = OnceLock::new();
    I.get_or_init(Default::default)
}

/// Runs `job` on an idle pooled thread, or on a new OS thread with `stack` bytes of
/// stack; Err when the OS refuses a new thread.
pub fn run(job: Job, stack: usize) -> std::io::Result<()> {
    let slot = idle().lock().pop();
    if let Some(slot) = slot {
        *slot.job.lock() = Some(job);
        slot.ready.store(true, Ordering::Release);
        slot.cv.notify_one();
        return Ok(());
    }
    let h = std::thread::Builder::new().stack_size(stack).spawn(move || {
        // Process signals go to the script's main thread (see `signals`).
        conc_interpreter::signals::block_async_signals();
        worker(job)
    })?;
    handles().lock().insert(h.thread().id(), h);
    Ok(())
}

/// The pool's OS threads, so that `drain_for_fork` can wait for them to be gone.
fn handles() -> &'static Mutex<HashMap<ThreadId, JoinHandle<()>>> {
    static H: OnceLock<Mutex<HashMap<ThreadId, JoinHandle<()>>>> = OnceLock::new();
    H.get_or_init(Default::default)
}

/// Ends every idle pooled thread and waits until they are gone. Called before
/// `fork()`: the child has only the forking thread, and an idle thread caught inside
/// a lock's or the allocator's bookkeeping at the fork would leave it locked there.
/// Script threads that are running are the script's business (fork warns then).
pub fn drain_for_fork() {
    let slots = std::mem::take(&mut *idle().lock());
    let mut ids = Vec::with_capacity(slots.len());
    for slot in slots {
        let _g = slot.job.lock();
        slot.quit.store(true, Ordering::Release);
        slot.ready.store(true, Ordering::Release);
        slot.cv.notify_one();
        if let Some(id) = *slot.thread.lock() {
            ids.push(id);
        }
    }
    for id in ids {
        let h = handles().lock().remove(&id);
        if let Some(h) = h {
            let _ = h.join();
        }
    }
}

/// Runs jobs until none comes within `IDLE_FOR`.
fn worker(first: Job) {
    let mut job = first;
    loop {
        // The jobs catch the panics of script code themselves; this keeps a panic
        // in their own bookkeeping from ending the pooled thread unseen.
        if let Err(bug) = conc_interpreter::vm::panics::catch(job) {
            conc_interpreter::stdio::write_stderr(&format!("conc: interpreter bug in a thread: {bug}\n"));
        }
        let slot = Arc::new(Slot::default());
        *slot.thread.lock() = Some(std::thread::current().id());
        {
            let mut list = idle().lock();
            if list.len() >= MAX_IDLE {
                drop(list);
                handles().lock().remove(&std::thread::current().id());
                return;
            }
            list.push(slot.clone());
        }
        conc_interpreter::blocking::spin_for(WATCH_FOR, || slot.ready.load(Ordering::Acquire));
        let mut g = slot.job.lock();
        loop {
            if slot.quit.load(Ordering::Acquire) {
                return;
            }
            if let Some(j) = g.take() {
                job = j;
                break;
            }
            if slot.cv.wait_for(&mut g, IDLE_FOR).timed_out() && g.is_none() {
                // Leave unless a starter has just taken this slot (it then hands
                // over a job right after, under the slot's lock).
                let mut list = idle().lock();
                if let Some(i) = list.iter().position(|s| Arc::ptr_eq(s, &slot)) {
                    list.swap_remove(i);
                    drop(list);
                    // Detach: nobody will wait for this thread.
                    handles().lock().remove(&std::thread::current().id());
                    return;
                }
            }
        }
    }
}

/// In a child made by fork: the idle threads are the parent's and do not exist here.
/// Their slots are leaked rather than dropped (a dead thread still "holds" them).
pub fn forget_after_fork() {
    // SAFETY: called first thing in a forked child, which has no other thread yet.
    unsafe { conc_interpreter::fork::release_orphaned(idle()) };
    std::mem::forget(std::mem::take(&mut *idle().lock()));
}
