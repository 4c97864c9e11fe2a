//! `_thread`: OS threads, each running its own VM over shared code and globals, and
//! the native lock types. `threading` (written in conc) builds on it.

pub mod condition;
pub mod locks;
pub mod queue;
pub(crate) mod registry;
mod reuse;

use crate::util::{natives, set};
use conc_interpreter::blocking::current_ident;
use conc_interpreter::native::{function_value, native, ArgRef, Callable, Exc, FromArg};
use conc_interpreter::operator::CmpOp;
use conc_interpreter::{Args, ObjRef, PyResult, Value, Vm};
use num_traits::ToPrimitive;
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
///
/// # Safety
/// Only in a child right after `fork()`, before it starts any thread, and not while
/// the calling thread holds the `live` table's lock: the locks it releases are then
/// held, if at all, by threads that do not exist in the child.
pub unsafe fn reset_after_fork() {
    RUNNING.store(0, Ordering::SeqCst);
    // SAFETY: our caller is a forked child with no other thread yet (the precondition),
    // and this thread is not inside a `live()` critical section.
    unsafe { conc_interpreter::fork::release_orphaned(live()) };
    // SAFETY: the same precondition as ours.
    unsafe { registry::reset_after_fork() };
    live().lock().clear();
    reuse::forget_after_fork();
}

/// Before `fork()`: ends the idle threads kept for reuse (see `reuse::drain_for_fork`).
pub fn drain_pool_for_fork() {
    reuse::drain_for_fork();
}

pub fn init(_vm: &mut Vm, m: &ObjRef) -> PyResult<()> {
    natives(
        m,
        &[
            &start_new_thread::DEF,
            &allocate_lock::DEF,
            &allocate::DEF,
            &get_ident::DEF,
            &get_native_id::DEF,
            &_count::DEF,
            &_settle::DEF,
            &_set_name::DEF,
            &stack_size::DEF,
            &queue::_set_queue_exceptions::DEF,
            &queue::_set_queue_subclass_impl::DEF,
        ],
    );
    // CPython's old spelling, with the same messages ("start_new_thread expected ...").
    set(m, "start_new", function_value(&start_new_thread::DEF));
    set(m, "LockType", Value::Obj(locks::LOCK.class().clone()));
    set(m, "RLock", Value::Obj(locks::RLOCK.class().clone()));
    set(m, "Condition", Value::Obj(condition::CONDITION.class().clone()));
    set(m, "FifoQueue", Value::Obj(queue::QUEUE.class().clone()));
    set(m, "TIMEOUT_MAX", Value::Float(9223372036.0));
    set(m, "error", Value::Obj(Exc::RuntimeError.class().clone()));
    registry::install(m);
    Ok(())
}

/// A timeout in nanoseconds, converted as CPython's `_PyTime_FromSecondsObject` does
/// (rounding away from zero): a float (NaN is a ValueError, beyond the nanosecond
/// clock an OverflowError), else an integer by `__index__`.
#[derive(Clone, Copy)]
pub struct Nanos(pub i64);

impl Nanos {
    /// CPython's "forever" for a lock's timeout: -1 second.
    pub const FOREVER: Nanos = Nanos(-1_000_000_000);

    pub fn of(vm: &mut Vm, v: &Value) -> PyResult<Nanos> {
        match v {
            Value::Int(i) => match i.checked_mul(1_000_000_000) {
                Some(n) => Ok(Nanos(n)),
                None => Err(int_overflow(vm)),
            },
            Value::Float(f) => Nanos::of_float(vm, *f),
            _ => {
                if let Value::Float(f) = v.unwrap_base() {
                    return Nanos::of_float(vm, *f);
                }
                let big = vm.index_value_big(v)?;
                match big.to_i64().and_then(|s| s.checked_mul(1_000_000_000)) {
                    Some(n) => Ok(Nanos(n)),
                    None => Err(int_overflow(vm)),
                }
            }
        }
    }

    fn of_float(vm: &mut Vm, f: f64) -> PyResult<Nanos> {
        if f.is_nan() {
            return Err(vm.value_error("Invalid value NaN (not a number)"));
        }
        let ns = f * 1e9;
        let ns = if ns >= 0.0 { ns.ceil() } else { ns.floor() };
        if !((i64::MIN as f64) <= ns && ns < -(i64::MIN as f64)) {
            return Err(vm.error(Exc::OverflowError, "timestamp out of range for platform time_t"));
        }
        Ok(Nanos(ns as i64))
    }

    /// As a wait's duration (a negative one is no wait).
    pub fn duration(self) -> Duration {
        Duration::from_nanos(self.0.max(0) as u64)
    }
}

#[cold]
fn int_overflow(vm: &mut Vm) -> conc_interpreter::PyErr {
    vm.error(Exc::OverflowError, "timestamp too large to convert to C _PyTime_t")
}

impl<'a> FromArg<'a> for Nanos {
    fn from_arg(vm: &mut Vm, v: &'a Value, _at: ArgRef) -> PyResult<Self> {
        Nanos::of(vm, v)
    }
}

/// A C `int` argument (CPython's `i` format): an integer by `__index__` within 32 bits.
pub struct CInt(pub i32);

impl<'a> FromArg<'a> for CInt {
    #[inline(always)]
    fn from_arg(vm: &mut Vm, v: &'a Value, _at: ArgRef) -> PyResult<Self> {
        match v {
            Value::Bool(b) => Ok(CInt(*b as i32)),
            Value::Int(i) if i32::try_from(*i).is_ok() => Ok(CInt(*i as i32)),
            _ => c_int_slow(vm, v),
        }
    }
}

#[cold]
fn c_int_slow(vm: &mut Vm, v: &Value) -> PyResult<CInt> {
    let big = vm.index_value_big(v)?;
    match big.to_i64() {
        None => Err(vm.error(Exc::OverflowError, "Python int too large to convert to C long")),
        Some(i) if i > i32::MAX as i64 => Err(vm.error(Exc::OverflowError, "signed integer is greater than maximum")),
        Some(i) if i < i32::MIN as i64 => Err(vm.error(Exc::OverflowError, "signed integer is less than minimum")),
        Some(i) => Ok(CInt(i as i32)),
    }
}

/// The timeout of a wait that CPython writes in Python (`Condition.wait`): None waits
/// for ever; a timeout that is not `> 0` (NaN too) does not wait at all, as
/// `waiter.acquire(False)` there; a positive one is converted as a lock's timeout.
pub fn py_wait_timeout(vm: &mut Vm, v: &Value) -> PyResult<Option<Duration>> {
    let positive = match v {
        Value::None => return Ok(None),
        Value::Int(i) => *i > 0,
        Value::Float(f) => *f > 0.0,
        _ => {
            let r = vm.compare(v, &Value::Int(0), CmpOp::Gt)?;
            vm.truthy(&r)?
        }
    };
    if !positive {
        return Ok(Some(Duration::ZERO));
    }
    Ok(Some(Nanos::of(vm, v)?.duration()))
}

/// start_new_thread(function, args[, kwargs])
/// (start_new() is an obsolete synonym)
///
/// Start a new thread and return its identifier.
#[native("start_new_thread(function, args, kwargs=<unrepresentable>, /)")]
fn start_new_thread(vm: &mut Vm, function: &Value, args: &Value, kwargs: Option<&Value>) -> PyResult<Value> {
    let func = match Callable::from_arg(vm, function, ArgRef { sig: &start_new_thread::SIG, index: 0 }) {
        Ok(f) => f.0,
        Err(_) => return Err(vm.type_error("first arg must be callable")),
    };
    let fargs = match args.as_tuple() {
        Some(t) => t.items().to_vec(),
        None => return Err(vm.type_error("2nd arg must be a tuple")),
    };
    let kwargs: Vec<(ObjRef, Value)> = match kwargs {
        None => vec![],
        Some(d) => match d.as_dict() {
            Some(dd) => dd
                .lock()
                .items()
                .into_iter()
                .filter_map(|(k, v)| k.as_str().map(|s| (conc_interpreter::value::str::intern(s.as_str()), v)))
                .collect(),
            None => return Err(vm.type_error("optional 3rd arg must be a dictionary")),
        },
    };
    RUNNING.fetch_add(1, Ordering::SeqCst);
    let ident = conc_interpreter::blocking::new_ident();
    live().lock().insert(ident);
    conc_interpreter::deadlock::thread_began();
    let spawned = reuse::run(
        Box::new(move || {
            conc_interpreter::blocking::set_current_ident(ident);
            let mut tvm = conc_interpreter::Runtime::new();
            tvm.thread_name = format!("Thread-{}", current_ident());
            let mut a = Args::new(fargs);
            a.kw = kwargs;
            let outcome = match conc_interpreter::vm::panics::catch(|| tvm.call(&func, a)) {
                Ok(r) => r,
                Err(bug) => {
                    registry::report_thread_panic(&tvm.thread_name, &bug);
                    Ok(Value::None)
                }
            };
            if let Err(e) = outcome {
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
            conc_interpreter::deadlock::thread_ended();
            conc_interpreter::blocking::notify_settled();
        }),
        THREAD_STACK,
    );
    match spawned {
        Ok(()) => Ok(Value::Int(ident as i64)),
        Err(e) => {
            live().lock().remove(&ident);
            RUNNING.fetch_sub(1, Ordering::SeqCst);
            conc_interpreter::deadlock::thread_ended();
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
#[native("_thread._settle(ident, seconds=0.005, /)")]
fn _settle(_vm: &mut Vm, ident: i64, seconds: f64) -> PyResult<()> {
    let ident = ident as u64;
    let budget = Duration::from_secs_f64(if seconds.is_nan() { 0.0 } else { seconds.clamp(0.0, 1.0) });
    conc_interpreter::blocking::wait_settled(budget, || {
        !live().lock().contains(&ident) || conc_interpreter::blocking::is_blocked(ident)
    });
    Ok(())
}

/// allocate_lock() -> lock object
/// (allocate() is an obsolete synonym)
///
/// Create a new lock object. See help(type(threading.Lock())) for
/// information about locks.
#[native("_thread.allocate_lock()")]
fn allocate_lock(vm: &mut Vm) -> PyResult<Value> {
    Ok(locks::new_lock(vm))
}

/// allocate_lock() -> lock object
/// (allocate() is an obsolete synonym)
///
/// Create a new lock object. See help(type(threading.Lock())) for
/// information about locks.
#[native("_thread.allocate()")]
fn allocate(vm: &mut Vm) -> PyResult<Value> {
    Ok(locks::new_lock(vm))
}

/// get_ident() -> integer
///
/// Return a non-zero integer that uniquely identifies the current thread
/// amongst other threads that exist simultaneously.
#[native("_thread.get_ident()")]
fn get_ident(_vm: &mut Vm) -> PyResult<i64> {
    Ok(current_ident() as i64)
}

/// get_native_id() -> integer
///
/// Return a non-negative integer identifying the thread as reported
/// by the OS (kernel).
#[native("_thread.get_native_id()")]
fn get_native_id(_vm: &mut Vm) -> PyResult<i64> {
    Ok(registry::gettid())
}

/// _count() -> integer
///
/// Return the number of currently running Python threads, excluding
/// the main thread.
#[native("_thread._count()")]
fn _count(_vm: &mut Vm) -> PyResult<usize> {
    Ok(RUNNING.load(Ordering::SeqCst))
}

/// Names the calling thread's VM (used in wait records and messages).
#[native("_thread._set_name(name, /)")]
fn _set_name(vm: &mut Vm, name: &Value) -> PyResult<()> {
    if let Some(s) = name.as_str() {
        vm.thread_name = s.as_str().to_string();
    }
    Ok(())
}

/// stack_size([size]) -> size
///
/// Return the thread stack size used when creating new threads (conc's are fixed:
/// 0, the default, is the only size reported).
#[native("stack_size(size=0, /)", style = "tuple")]
fn stack_size(vm: &mut Vm, size: i64) -> PyResult<i64> {
    if size < 0 {
        return Err(vm.value_error("size must be 0 or a positive value"));
    }
    if size != 0 && size < 32768 {
        let msg = format!("size not valid: {size} bytes");
        return Err(vm.value_error(&msg));
    }
    Ok(0)
}
