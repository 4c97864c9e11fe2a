//! The bookkeeping under `threading.Thread`: a native handle per thread object and
//! the table of live threads.
//!
//! A `_ThreadHandle` goes NEW -> RUNNING -> DONE exactly once. `start` moves it to
//! RUNNING, enters the thread object in the table and runs the entry callable on an
//! OS thread whose VM has that object as its current thread; when the callable
//! returns, the entry leaves the table and the handle becomes DONE, which wakes the
//! joiners. The main thread and threads not started by `threading` are entered by
//! `adopt` (the main thread leaves at interpreter exit, by `finish`).
//!
//! The table is what `threading.enumerate`, `active_count` and `_shutdown` read: one
//! mutex, touched twice per thread (start and end), never while script code runs.
//! `_shutdown` waits on it for the non-daemon threads through the blocking layer.

use super::{reuse, Nanos, RUNNING, THREAD_STACK};
use crate::util::{natives, set};
use conc_interpreter::blocking::{current_ident, is_blocked, new_ident, set_current_ident, spin_for, WaitQueue};
use conc_interpreter::native::{native, Exc, NativeClass, NativePayload};
use conc_interpreter::vm::frames::FrameEntry;
use conc_interpreter::{Args, ObjRef, PyResult, Value, Vm};
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

const NEW: u8 = 0;
const RUNNING_STATE: u8 = 1;
const DONE: u8 = 2;

/// How long `start` lets the new thread run before going on, at most (see
/// `blocking::wait_settled`: what CPython's GIL switch interval gives in practice).
const SETTLE_FOR: Duration = Duration::from_millis(5);

/// How long a joiner watches the handle before parking: a thread that is about to
/// end usually ends within microseconds of being joined.
const JOIN_SPIN: Duration = Duration::from_micros(20);

#[derive(Default)]
pub struct Handle {
    state: AtomicU8,
    ident: AtomicU64,
    /// The OS thread id, 0 until the thread has published it.
    native_id: AtomicI64,
    /// Set by the new thread once it runs (its native id is known from then on).
    begun: AtomicBool,
    lock: Mutex<()>,
    /// Notified (under `lock`) when the thread begins and when it ends.
    changed: WaitQueue,
    /// Where the script made the thread object (deadlock reports).
    site: Option<FrameEntry>,
}

impl Handle {
    fn done(&self) -> bool {
        self.state.load(Ordering::Acquire) == DONE
    }

    fn signal(&self) {
        let _g = self.lock.lock();
        self.changed.notify_all();
    }

    /// Waits until `ready(self)` holds or `timeout` passes; Ok(true) if it holds.
    fn wait(
        &self,
        vm: &mut Vm,
        timeout: Option<Duration>,
        what: &str,
        subject: Option<&Value>,
        ready: impl Fn(&Handle) -> bool,
    ) -> PyResult<bool> {
        if ready(self) {
            return Ok(true);
        }
        let spin = timeout.map_or(JOIN_SPIN, |t| t.min(JOIN_SPIN));
        if spin_for(spin, || ready(self)) {
            return Ok(true);
        }
        let mut g = self.lock.lock();
        let what = what.to_string();
        if let Some(s) = subject {
            conc_interpreter::deadlock::wait_subject(s);
        }
        let r = vm.block_on(&mut g, &self.changed, timeout, &|| what.clone(), |_| ready(self).then_some(()))?;
        Ok(r.is_some())
    }
}

struct Entry {
    thread: Value,
    daemon: bool,
    handle: Arc<Handle>,
}

/// Live threads by ident (idents grow, so this is start order).
fn table() -> &'static Mutex<BTreeMap<u64, Entry>> {
    static T: OnceLock<Mutex<BTreeMap<u64, Entry>>> = OnceLock::new();
    T.get_or_init(Default::default)
}

/// Notified (under the table's lock) whenever a thread leaves the table.
fn departures() -> &'static WaitQueue {
    static D: OnceLock<WaitQueue> = OnceLock::new();
    D.get_or_init(WaitQueue::new)
}

fn leave(ident: u64) {
    let mut t = table().lock();
    t.remove(&ident);
    departures().notify_all();
}

/// A thread object's handle: the payload of `_thread._ThreadHandle`.
pub struct HandleObj(Arc<Handle>);

impl NativePayload for HandleObj {
    const CLASS: &'static NativeClass = &THREAD_HANDLE;
}

pub static THREAD_HANDLE: NativeClass = NativeClass {
    name: "_ThreadHandle",
    module: "_thread",
    doc: "The native state of one threading.Thread: new, running, then done.",
    methods: &[
        &handle_new::DEF,
        &start::DEF,
        &adopt::DEF,
        &finish::DEF,
        &join::DEF,
        &is_alive::DEF,
        &is_done::DEF,
        &ident::DEF,
        &native_id::DEF,
    ],
    ..NativeClass::DEFAULT
};

/// Adds the handle class and the table's functions to `_thread`.
pub fn install(m: &ObjRef) {
    set(m, "_ThreadHandle", Value::Obj(THREAD_HANDLE.class().clone()));
    natives(m, &[&_enumerate::DEF, &_active_count::DEF, &_wait_non_daemon::DEF, &_is_main_thread::DEF]);
}

/// In a child made by fork: only the forking thread exists. Its entry stays; every
/// other thread is gone, so its handle is DONE (joining it returns at once). Any
/// handle's lock, the forking thread's own included, may have been held by a thread
/// of the parent (a joiner between two looks) and is released.
///
/// # Safety
/// Only in a child right after `fork()`, before it starts any thread.
pub unsafe fn reset_after_fork() {
    conc_interpreter::fork::release_orphaned(table());
    let me = current_ident();
    let mut t = table().lock();
    for (ident, e) in t.iter() {
        conc_interpreter::fork::release_orphaned(&e.handle.lock);
        if *ident != me {
            e.handle.state.store(DONE, Ordering::Release);
        }
    }
    t.retain(|ident, _| *ident == me);
}

/// Create and return a new object.  See help(type) for accurate signature.
#[native("_ThreadHandle.__new__($cls)")]
fn handle_new(vm: &mut Vm, cls: &ObjRef) -> PyResult<Value> {
    let h = Handle { site: vm.user_site(), ..Handle::default() };
    Ok(NativeClass::instance_of(cls, HandleObj(Arc::new(h))))
}

/// The calling thread's id in the kernel (`gettid(2)`), for `native_id`.
pub(super) fn gettid() -> i64 {
    // SAFETY: gettid takes no arguments, touches no memory and cannot fail.
    unsafe { libc::gettid() as i64 }
}

/// `start(thread, entry, name, daemon)`: enters `thread` in the table and calls
/// `entry()` on a new OS thread whose current thread is `thread`; returns once the
/// new thread runs and has blocked or ended (at most `SETTLE_FOR` after it began).
#[native("_ThreadHandle.start($self, thread, entry, name, daemon, /)")]
fn start(vm: &mut Vm, this: &HandleObj, thread: &Value, entry: &Value, name: &Value, daemon: bool) -> PyResult<()> {
    let h = this.0.clone();
    let name = name.as_str().map(|s| s.as_str().to_string()).unwrap_or_default();
    if h.state.compare_exchange(NEW, RUNNING_STATE, Ordering::AcqRel, Ordering::Acquire).is_err() {
        return Err(vm.error(Exc::RuntimeError, "threads can only be started once"));
    }
    let ident = new_ident();
    h.ident.store(ident, Ordering::Release);
    table().lock().insert(ident, Entry { thread: thread.clone(), daemon, handle: h.clone() });
    RUNNING.fetch_add(1, Ordering::SeqCst);
    conc_interpreter::deadlock::thread_began();
    let (thread, entry, job_handle) = (thread.clone(), entry.clone(), h.clone());
    let spawned = reuse::run(
        Box::new(move || {
            let h = job_handle;
            set_current_ident(ident);
            let mut tvm = conc_interpreter::Runtime::new();
            tvm.thread_name = name;
            tvm.thread_data = Some(thread);
            h.native_id.store(gettid(), Ordering::Release);
            h.begun.store(true, Ordering::Release);
            h.signal();
            crate::trace::thread_event(&tvm.thread_name, "thread start");
            match conc_interpreter::vm::panics::catch(|| tvm.call(&entry, Args::default())) {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => {
                    // `entry` reports the thread's own exceptions; this is a failure
                    // of the reporting itself.
                    let tb = tvm.format_exception(&e.exc);
                    conc_interpreter::stdio::write_stderr(&tb);
                }
                // A panic outside any native call (those become SystemErrors there):
                // the thread still ends, so that join() returns.
                Err(bug) => report_thread_panic(&tvm.thread_name, &bug),
            }
            crate::trace::thread_event(&tvm.thread_name, "thread end");
            tvm.thread_data = None;
            drop(tvm);
            leave(ident);
            RUNNING.fetch_sub(1, Ordering::SeqCst);
            h.state.store(DONE, Ordering::Release);
            h.signal();
            conc_interpreter::deadlock::thread_ended();
            conc_interpreter::blocking::notify_settled();
        }),
        THREAD_STACK,
    );
    if let Err(e) = spawned {
        leave(ident);
        RUNNING.fetch_sub(1, Ordering::SeqCst);
        conc_interpreter::deadlock::thread_ended();
        h.state.store(DONE, Ordering::Release);
        let msg = format!("can't start new thread: {e}");
        return Err(vm.error(Exc::RuntimeError, &msg));
    }
    h.wait(vm, None, "Thread.start", None, |h| h.begun.load(Ordering::Acquire) || h.done())?;
    conc_interpreter::blocking::wait_settled(SETTLE_FOR, || h.done() || is_blocked(ident));
    Ok(())
}

/// `adopt(thread, daemon)`: enters the calling thread (the main thread, or one not
/// started by `threading`) in the table as `thread`, and makes `thread` its current
/// thread.
#[native("_ThreadHandle.adopt($self, thread, daemon=False, /)")]
fn adopt(vm: &mut Vm, this: &HandleObj, thread: Value, daemon: bool) -> PyResult<()> {
    let h = this.0.clone();
    if h.state.compare_exchange(NEW, RUNNING_STATE, Ordering::AcqRel, Ordering::Acquire).is_err() {
        return Err(vm.error(Exc::RuntimeError, "threads can only be started once"));
    }
    let ident = current_ident();
    h.ident.store(ident, Ordering::Release);
    h.native_id.store(gettid(), Ordering::Release);
    h.begun.store(true, Ordering::Release);
    table().lock().insert(ident, Entry { thread: thread.clone(), daemon, handle: h });
    vm.thread_data = Some(thread);
    Ok(())
}

/// `finish()`: an adopted thread is over (the main thread at interpreter exit).
#[native("_ThreadHandle.finish($self)")]
fn finish(_vm: &mut Vm, this: &HandleObj) -> PyResult<()> {
    let h = &this.0;
    if h.state.compare_exchange(RUNNING_STATE, DONE, Ordering::AcqRel, Ordering::Acquire).is_ok() {
        leave(h.ident.load(Ordering::Acquire));
        h.signal();
    }
    Ok(())
}

/// `join(timeout=None)`: waits until the thread has ended; True if it has. The
/// timeout is converted as a lock's (CPython waits on the thread's lock), and only
/// when the thread has not ended: OverflowError past the nanosecond clock.
#[native("_ThreadHandle.join($self, timeout=None, /)")]
fn join(vm: &mut Vm, this: (&Value, &HandleObj), timeout: &Value) -> PyResult<bool> {
    let (me, this) = this;
    let h = this.0.clone();
    if h.done() {
        return Ok(true);
    }
    let timeout = match timeout {
        Value::None => None,
        t => Some(Nanos::of(vm, t)?.duration()),
    };
    h.wait(vm, timeout, "Thread.join", Some(me), Handle::done)
}

#[native("_ThreadHandle.is_alive($self)")]
fn is_alive(_vm: &mut Vm, this: &HandleObj) -> PyResult<bool> {
    Ok(this.0.state.load(Ordering::Acquire) == RUNNING_STATE)
}

#[native("_ThreadHandle.is_done($self)")]
fn is_done(_vm: &mut Vm, this: &HandleObj) -> PyResult<bool> {
    Ok(this.0.done())
}

#[native("_ThreadHandle.ident($self)")]
fn ident(_vm: &mut Vm, this: &HandleObj) -> PyResult<Option<i64>> {
    Ok(match this.0.ident.load(Ordering::Acquire) {
        0 => None,
        i => Some(i as i64),
    })
}

/// The OS thread id; for a thread just started, waits the moment until it is known.
#[native("_ThreadHandle.native_id($self)")]
fn native_id(vm: &mut Vm, this: &HandleObj) -> PyResult<Option<i64>> {
    let h = this.0.clone();
    if h.state.load(Ordering::Acquire) == NEW {
        return Ok(None);
    }
    h.wait(vm, None, "Thread.native_id", None, |h| h.begun.load(Ordering::Acquire) || h.done())?;
    Ok(match h.native_id.load(Ordering::Acquire) {
        0 => None,
        n => Some(n),
    })
}

/// `_enumerate()`: the thread objects in the table, in start order.
#[native("_thread._enumerate()")]
fn _enumerate(_vm: &mut Vm) -> PyResult<Value> {
    let items: Vec<Value> = table().lock().values().map(|e| e.thread.clone()).collect();
    Ok(Value::list(items))
}

#[native("_thread._active_count()")]
fn _active_count(_vm: &mut Vm) -> PyResult<usize> {
    Ok(table().lock().len())
}

/// `_wait_non_daemon()`: blocks until no thread but daemon threads and the caller is
/// in the table (threads started meanwhile are waited for too).
#[native("_thread._wait_non_daemon()")]
fn _wait_non_daemon(vm: &mut Vm) -> PyResult<()> {
    let me = current_ident();
    let mut t = table().lock();
    conc_interpreter::deadlock::set_exiting(true);
    let r = vm.block_on(&mut t, departures(), None, &|| "threading._shutdown".to_string(), |t| {
        (!t.iter().any(|(ident, e)| *ident != me && !e.daemon && !e.handle.done())).then_some(())
    });
    conc_interpreter::deadlock::set_exiting(false);
    r?;
    Ok(())
}

#[native("_thread._is_main_thread()")]
fn _is_main_thread(_vm: &mut Vm) -> PyResult<bool> {
    Ok(conc_interpreter::blocking::is_main_thread())
}

/// Reports a panic that ended a thread outside any native call.
pub fn report_thread_panic(thread: &str, bug: &str) {
    conc_interpreter::stdio::write_stderr(&format!(
        "Exception in thread {thread}:\nSystemError: interpreter bug: {bug} (please report it)\n"
    ));
}

/// For deadlock reports: if `v` is a thread handle, the ident of its thread while it
/// runs (None once it has ended) and where the script made the thread object.
pub fn handle_info(v: &Value) -> Option<(Option<u64>, Option<FrameEntry>)> {
    let h = &v.as_instance()?.native::<HandleObj>()?.0;
    let ident = match h.state.load(Ordering::Acquire) {
        RUNNING_STATE => Some(h.ident.load(Ordering::Acquire)),
        _ => None,
    };
    Some((ident, h.site.clone()))
}

/// Whether live thread `ident` is a daemon thread (None: not in the table).
pub fn is_daemon(ident: u64) -> Option<bool> {
    table().lock().get(&ident).map(|e| e.daemon)
}

/// The live threads' idents, in start order.
pub fn live_idents() -> Vec<u64> {
    table().lock().keys().copied().collect()
}
