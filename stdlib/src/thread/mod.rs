//! `_thread`: OS threads, each running its own VM over shared code and globals, and
//! the native lock types. `threading` (written in conc) builds on it.

pub mod condition;
pub mod locks;
pub mod queue;
mod registry;
mod reuse;

use crate::util::{functions, set};
use conc_interpreter::blocking::current_ident;
use conc_interpreter::native::Exc;
use conc_interpreter::{Args, ObjRef, PyResult, Value, Vm};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Stack of script threads: script recursion lives in frames on the heap, but native
/// re-entry (`__repr__`, key functions) uses Rust stack. Untouched pages cost nothing.
pub const THREAD_STACK: usize = 16 << 20;

/// Threads started by `start_new_thread` still running.
static RUNNING: AtomicUsize = AtomicUsize::new(0);

/// How many threads started by `start_new_thread` are running (the main thread is
/// not counted).
pub fn running_threads() -> usize {
    RUNNING.load(Ordering::SeqCst)
}

/// In a child made by fork: the threads counted in `RUNNING`, listed in `live` and
/// idle in the reuse pool do not exist there.
pub fn reset_after_fork() {
    RUNNING.store(0, Ordering::SeqCst);
    // SAFETY: called first thing in a forked child, which has no other thread yet.
    unsafe { conc_interpreter::fork::release_orphaned(live()) };
    unsafe { registry::reset_after_fork() };
    live().lock().clear();
    reuse::forget_after_fork();
}

/// Before `fork()`: ends the idle threads kept for reuse (see `reuse::drain_for_fork`).
pub fn drain_pool_for_fork() {
    reuse::drain_for_fork();
}

pub fn init(_vm: &mut Vm, m: &ObjRef) -> PyResult<()> {
    functions(
        m,
        &[
            ("start_new_thread", start_new_thread),
            ("start_new", start_new_thread),
            ("allocate_lock", allocate_lock),
            ("allocate", allocate_lock),
            ("get_ident", get_ident),
            ("get_native_id", get_native_id),
            ("_count", count),
            ("_settle", settle),
            ("_set_name", set_name),
            ("stack_size", stack_size),
            ("_set_queue_exceptions", queue::set_exceptions),
            ("_set_queue_subclass_impl", queue::set_subclass_impl),
        ],
    );
    set(m, "LockType", Value::Obj(locks::classes().lock.clone()));
    set(m, "RLock", Value::Obj(locks::classes().rlock.clone()));
    set(m, "Condition", Value::Obj(condition::class().clone()));
    set(m, "FifoQueue", Value::Obj(queue::class().clone()));
    set(m, "TIMEOUT_MAX", Value::Float(9223372036.0));
    set(m, "error", Value::Obj(Exc::RuntimeError.class().clone()));
    registry::install(m);
    Ok(())
}

/// `start_new_thread(function, args, kwargs=None)`: runs the call on a new OS thread
/// with its own VM; returns at once.
fn start_new_thread(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let func = match args.pos.first() {
        Some(f) => f.clone(),
        None => return Err(vm.type_error("start_new_thread expected at least 2 arguments, got 0")),
    };
    let fargs = match args.pos.get(1) {
        Some(a) => match a.as_tuple() {
            Some(t) => t.items().to_vec(),
            None => return Err(vm.type_error("2nd arg must be a tuple")),
        },
        None => vec![],
    };
    let kwargs: Vec<(ObjRef, Value)> = match args.pos.get(2) {
        Some(d) => match d.as_dict() {
            Some(dd) => dd
                .lock()
                .items()
                .into_iter()
                .filter_map(|(k, v)| k.as_str().map(|s| (conc_interpreter::value::str::intern(s.as_str()), v)))
                .collect(),
            None => vec![],
        },
        None => vec![],
    };
    RUNNING.fetch_add(1, Ordering::SeqCst);
    let ident = conc_interpreter::blocking::new_ident();
    live().lock().insert(ident);
    let spawned = reuse::run(
        Box::new(move || {
            conc_interpreter::blocking::set_current_ident(ident);
            let mut tvm = conc_interpreter::Runtime::new();
            tvm.thread_name = format!("Thread-{}", current_ident());
            let mut a = Args::new(fargs);
            a.kw = kwargs;
            if let Err(e) = tvm.call(&func, a) {
                let sys_exit = Exc::SystemExit.class().clone();
                let cls = tvm.class_of(&e.exc);
                if !conc_interpreter::value::class::is_subclass(&cls, &sys_exit) {
                    let r = tvm.repr_of(&func).unwrap_or_default();
                    let tb = tvm.format_exception(&e.exc);
                    conc_interpreter::stdio::write_stderr(&format!(
                        "Exception ignored in thread started by: {r}\n{tb}"
                    ));
                }
            }
            drop(tvm);
            RUNNING.fetch_sub(1, Ordering::SeqCst);
            live().lock().remove(&ident);
            conc_interpreter::blocking::notify_settled();
        }),
        THREAD_STACK,
    );
    match spawned {
        Ok(()) => Ok(Value::Int(ident as i64)),
        Err(e) => {
            live().lock().remove(&ident);
            RUNNING.fetch_sub(1, Ordering::SeqCst);
            let msg = format!("can't start new thread: {e}");
            Err(vm.error(Exc::RuntimeError, &msg))
        }
    }
}

/// Idents of the threads started by `start_new_thread` that are still running.
fn live() -> &'static parking_lot::Mutex<std::collections::HashSet<u64>> {
    static L: std::sync::OnceLock<parking_lot::Mutex<std::collections::HashSet<u64>>> = std::sync::OnceLock::new();
    L.get_or_init(Default::default)
}

/// `_settle(ident, seconds)`: waits until thread `ident` blocks or ends, at most the
/// given time (see `blocking::wait_settled`; `Thread.start` calls it).
fn settle(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let ident = match args.pos.first() {
        Some(Value::Int(i)) => *i as u64,
        _ => return Err(vm.type_error("_settle() expects a thread ident")),
    };
    let secs = match args.pos.get(1) {
        Some(Value::Float(f)) => *f,
        Some(Value::Int(i)) => *i as f64,
        _ => 0.005,
    };
    let budget = Duration::from_secs_f64(secs.clamp(0.0, 1.0));
    conc_interpreter::blocking::wait_settled(budget, || {
        !live().lock().contains(&ident) || conc_interpreter::blocking::is_blocked(ident)
    });
    Ok(Value::None)
}

fn allocate_lock(_vm: &mut Vm, _args: Args) -> PyResult<Value> {
    Ok(locks::new_lock())
}

fn get_ident(_vm: &mut Vm, _args: Args) -> PyResult<Value> {
    Ok(Value::Int(current_ident() as i64))
}

fn get_native_id(_vm: &mut Vm, _args: Args) -> PyResult<Value> {
    Ok(Value::Int(unsafe { libc::gettid() } as i64))
}

fn count(_vm: &mut Vm, _args: Args) -> PyResult<Value> {
    Ok(Value::Int(RUNNING.load(Ordering::SeqCst) as i64))
}

/// Names the calling thread's VM (used in wait records and messages).
fn set_name(vm: &mut Vm, args: Args) -> PyResult<Value> {
    if let Some(s) = args.pos.first().and_then(|v| v.as_str()) {
        vm.thread_name = s.as_str().to_string();
    }
    Ok(Value::None)
}

fn stack_size(_vm: &mut Vm, _args: Args) -> PyResult<Value> {
    Ok(Value::Int(0))
}
