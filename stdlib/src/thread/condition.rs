//! `Condition`: native, over a Lock, an RLock or any object with acquire/release.
//!
//! Each waiter gets its own flag and queue; `notify` pops waiters in FIFO order and
//! sets their flags, as CPython's threading.Condition does with per-waiter locks.

use super::locks::{LockData, RLockData};
use crate::util::{arg_timeout, self_native};
use conc_interpreter::blocking::{spin_for, WaitQueue};
use conc_interpreter::interp::{add_methods, new_class, types};
use conc_interpreter::native::Exc;
use conc_interpreter::value::class::BaseKind;
use conc_interpreter::value::instance::InstanceObj;
use conc_interpreter::value::str::intern;
use conc_interpreter::{Args, ObjRef, Object, PyResult, Value, Vm};
use parking_lot::Mutex;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

struct Waiter {
    signaled: Mutex<bool>,
    /// Mirrors `signaled` for the waiter's spin before it parks.
    flag: AtomicBool,
    queue: WaitQueue,
}

/// How long a waiter watches its flag before parking. Two threads handing a
/// condition back and forth notify each other within microseconds; catching the
/// notification while spinning saves the futex wake-up and the scheduler's latency
/// on both sides (condition_pingpong: 2.2 s parking at once, see the closing notes).
const SPIN_BEFORE_PARK: Duration = Duration::from_micros(50);

pub struct CondData {
    pub lock: Value,
    waiters: Mutex<VecDeque<Arc<Waiter>>>,
}

pub fn class() -> &'static ObjRef {
    static C: OnceLock<ObjRef> = OnceLock::new();
    C.get_or_init(|| {
        let c = new_class(
            "Condition",
            "threading",
            vec![types().object.clone()],
            // Subclassable, as CPython's (a Python class there): see `cond_new`.
            BaseKind::Object,
            true,
            Default::default(),
        );
        add_methods(
            &c,
            &[
                ("__new__", cond_new),
                ("acquire", cond_acquire),
                ("release", cond_release),
                ("__enter__", cond_acquire),
                ("__exit__", cond_exit),
                ("wait", cond_wait),
                ("wait_for", cond_wait_for),
                ("notify", cond_notify),
                ("notify_all", cond_notify_all),
                ("notifyAll", cond_notify_all),
                ("_is_owned", cond_is_owned),
                ("__repr__", cond_repr),
            ],
        );
        c
    })
}

fn cond_new(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let lock = match args.take(1, "lock") {
        Some(l) if !l.is_none() => l,
        _ => super::locks::new_rlock(),
    };
    let cls = match args.pos.first().and_then(|c| c.as_objref()) {
        Some(c) if matches!(&**c, Object::Class(_)) => c.clone(),
        _ => return Err(vm.type_error("Condition.__new__(X): X is not a type object")),
    };
    Ok(Value::new(Object::Instance(InstanceObj::with_native(
        cls,
        Box::new(CondData { lock, waiters: Mutex::new(VecDeque::new()) }),
    ))))
}

/// The kinds of lock a Condition can sit on.
enum Kind<'a> {
    Lock(&'a LockData),
    RLock(&'a RLockData),
    Other,
}

fn kind(lock: &Value) -> Kind<'_> {
    match lock.as_instance() {
        Some(i) => {
            if let Some(l) = i.native::<LockData>() {
                Kind::Lock(l)
            } else if let Some(r) = i.native::<RLockData>() {
                Kind::RLock(r)
            } else {
                Kind::Other
            }
        }
        None => Kind::Other,
    }
}

fn call_method(vm: &mut Vm, obj: &Value, name: &str, args: Vec<Value>) -> PyResult<Value> {
    let f = vm.get_attr(obj, &intern(name))?;
    vm.call(&f, Args::new(args))
}

fn acquire_lock(vm: &mut Vm, lock: &Value, blocking: bool, timeout: Option<Duration>) -> PyResult<bool> {
    match kind(lock) {
        Kind::Lock(l) => l.acquire(vm, blocking, timeout, "Condition"),
        Kind::RLock(r) => r.acquire(vm, blocking, timeout),
        Kind::Other => {
            let r = call_method(vm, lock, "acquire", vec![Value::Bool(blocking)])?;
            vm.truthy(&r)
        }
    }
}

fn release_lock(vm: &mut Vm, lock: &Value) -> PyResult<()> {
    match kind(lock) {
        Kind::Lock(l) => {
            if !l.release() {
                return Err(vm.error(Exc::RuntimeError, "release unlocked lock"));
            }
        }
        Kind::RLock(r) => {
            if !r.release() {
                return Err(vm.error(Exc::RuntimeError, "cannot release un-acquired lock"));
            }
        }
        Kind::Other => {
            call_method(vm, lock, "release", vec![])?;
        }
    }
    Ok(())
}

/// Whether the calling thread holds the lock (for a plain Lock: whether it is locked).
fn is_owned(vm: &mut Vm, lock: &Value) -> PyResult<bool> {
    match kind(lock) {
        Kind::Lock(l) => Ok(l.is_locked()),
        Kind::RLock(r) => Ok(r.is_owned()),
        Kind::Other => {
            if let Some(f) = vm.get_attr_opt(lock, &intern("_is_owned"))? {
                let r = vm.call(&f, Args::default())?;
                return vm.truthy(&r);
            }
            let got = call_method(vm, lock, "acquire", vec![Value::Bool(false)])?;
            if vm.truthy(&got)? {
                call_method(vm, lock, "release", vec![])?;
                Ok(false)
            } else {
                Ok(true)
            }
        }
    }
}

fn cond_acquire(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let c: &CondData = self_native(vm, &args, "Condition")?;
    let lock = c.lock.clone();
    let blocking = match args.take(1, "blocking") {
        Some(b) => vm.truthy(&b)?,
        None => true,
    };
    let timeout = match args.take(2, "timeout") {
        Some(t) => arg_timeout(vm, &t, true)?,
        None => None,
    };
    if !blocking && timeout.is_some() {
        return Err(vm.value_error("can't specify a timeout for a non-blocking call"));
    }
    Ok(Value::Bool(acquire_lock(vm, &lock, blocking, timeout)?))
}

fn cond_release(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let c: &CondData = self_native(vm, &args, "Condition")?;
    let lock = c.lock.clone();
    release_lock(vm, &lock)?;
    Ok(Value::None)
}

fn cond_exit(vm: &mut Vm, args: Args) -> PyResult<Value> {
    cond_release(vm, args)
}

fn cond_is_owned(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let c: &CondData = self_native(vm, &args, "Condition")?;
    let lock = c.lock.clone();
    Ok(Value::Bool(is_owned(vm, &lock)?))
}

/// Waits for a notification; Ok(true) if notified, Ok(false) on timeout.
fn wait_impl(vm: &mut Vm, c: &CondData, timeout: Option<Duration>) -> PyResult<bool> {
    let lock = c.lock.clone();
    if !is_owned(vm, &lock)? {
        return Err(vm.error(Exc::RuntimeError, "cannot wait on un-acquired lock"));
    }
    let w = Arc::new(Waiter { signaled: Mutex::new(false), flag: AtomicBool::new(false), queue: WaitQueue::new() });
    c.waiters.lock().push_back(w.clone());
    // Release the lock completely (an RLock may be held several levels deep).
    let saved = match kind(&lock) {
        Kind::RLock(r) => Some(r.release_save()),
        _ => {
            release_lock(vm, &lock)?;
            None
        }
    };
    let spin_budget = match timeout {
        Some(t) if t < SPIN_BEFORE_PARK => t,
        _ => SPIN_BEFORE_PARK,
    };
    let r = if spin_for(spin_budget, || w.flag.load(Ordering::Acquire)) {
        Ok(Some(()))
    } else {
        let mut g = w.signaled.lock();
        vm.block_on(&mut g, &w.queue, timeout, &|| "Condition.wait".to_string(), |s| if *s { Some(()) } else { None })
    };
    // Re-acquire whatever happened (also after KeyboardInterrupt), as CPython does.
    // The notifier usually still holds the lock for a moment: wait for it spinning
    // rather than parking at once.
    match (kind(&lock), saved) {
        (Kind::RLock(rl), Some(n)) => rl.acquire_restore(vm, n)?,
        (Kind::Lock(l), _) => {
            l.acquire_spinning(vm, SPIN_BEFORE_PARK)?;
        }
        _ => {
            acquire_lock(vm, &lock, true, None)?;
        }
    }
    let notified = matches!(r, Ok(Some(())));
    if !notified {
        let mut ws = c.waiters.lock();
        if let Some(i) = ws.iter().position(|x| Arc::ptr_eq(x, &w)) {
            ws.remove(i);
        }
    }
    r?;
    Ok(notified)
}

fn cond_wait(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let timeout = match args.take(1, "timeout") {
        Some(t) => arg_timeout(vm, &t, false)?,
        None => None,
    };
    let c: &CondData = self_native(vm, &args, "Condition")?;
    Ok(Value::Bool(wait_impl(vm, c, timeout)?))
}

fn cond_wait_for(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let pred = match args.take(1, "predicate") {
        Some(p) => p,
        None => return Err(vm.type_error("wait_for() missing 1 required positional argument: 'predicate'")),
    };
    let timeout = match args.take(2, "timeout") {
        Some(t) => arg_timeout(vm, &t, false)?,
        None => None,
    };
    let c: &CondData = self_native(vm, &args, "Condition")?;
    let end = timeout.map(|t| Instant::now() + t);
    let mut result = vm.call(&pred, Args::default())?;
    while !vm.truthy(&result)? {
        let wait = match end {
            Some(e) => {
                let now = Instant::now();
                if now >= e {
                    break;
                }
                Some(e - now)
            }
            None => None,
        };
        wait_impl(vm, c, wait)?;
        result = vm.call(&pred, Args::default())?;
    }
    Ok(result)
}

fn notify_impl(vm: &mut Vm, c: &CondData, n: usize) -> PyResult<()> {
    let lock = c.lock.clone();
    if !is_owned(vm, &lock)? {
        return Err(vm.error(Exc::RuntimeError, "cannot notify on un-acquired lock"));
    }
    let mut ws = c.waiters.lock();
    for _ in 0..n {
        match ws.pop_front() {
            Some(w) => {
                w.flag.store(true, Ordering::Release);
                let mut s = w.signaled.lock();
                *s = true;
                w.queue.notify_one();
            }
            None => break,
        }
    }
    Ok(())
}

fn cond_notify(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let n = match args.take(1, "n") {
        Some(v) => vm.index_value(&v)?.max(0) as usize,
        None => 1,
    };
    let c: &CondData = self_native(vm, &args, "Condition")?;
    notify_impl(vm, c, n)?;
    Ok(Value::None)
}

fn cond_notify_all(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let c: &CondData = self_native(vm, &args, "Condition")?;
    notify_impl(vm, c, usize::MAX)?;
    Ok(Value::None)
}

fn cond_repr(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let c: &CondData = self_native(vm, &args, "Condition")?;
    let lock = c.lock.clone();
    let n = c.waiters.lock().len();
    let lr = vm.repr_of(&lock)?;
    Ok(Value::string(format!("<Condition({lr}, {n})>")))
}
