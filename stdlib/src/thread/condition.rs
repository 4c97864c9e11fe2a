//! `Condition`: native, over a Lock, an RLock or any object with acquire/release.
//!
//! Each waiter gets its own flag and queue; `notify` pops waiters in FIFO order and
//! sets their flags, as CPython's threading.Condition does with per-waiter locks.

use super::locks::{self, LockData, RLockData};
use super::py_wait_timeout;
use conc_interpreter::blocking::{spin_for, WaitQueue};
use conc_interpreter::native::{call_def, messages, native, Exc, KwArgs, NativeClass, NativeDef, NativePayload};
use conc_interpreter::operator::{BinOp, CmpOp};
use conc_interpreter::value::str::intern;
use conc_interpreter::vm::frames::FrameEntry;
use conc_interpreter::{Args, ObjRef, PyResult, Value, Vm};
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
    /// The lock, set by `__init__` (a new RLock if a subclass's `__init__` does not
    /// call Condition's before the condition is used).
    lock: OnceLock<Value>,
    waiters: Mutex<VecDeque<Arc<Waiter>>>,
    /// Where the script made it (deadlock reports).
    pub site: Option<FrameEntry>,
}

impl CondData {
    /// The underlying lock, if `__init__` has set it.
    pub fn lock_if_set(&self) -> Option<&Value> {
        self.lock.get()
    }

    #[inline(always)]
    fn lock(&self) -> Value {
        self.lock.get_or_init(locks::new_rlock).clone()
    }
}

impl NativePayload for CondData {
    const CLASS: &'static NativeClass = &CONDITION;
}

/// `threading.Condition`: subclassable, as CPython's (a Python class there), so its
/// methods' argument errors are worded as a Python function's.
pub static CONDITION: NativeClass = NativeClass {
    name: "Condition",
    module: "threading",
    doc: "Class that implements a condition variable.\n\n\
          A condition variable allows one or more threads to wait until they are\n\
          notified by another thread.\n\n\
          If the lock argument is given and not None, it must be a Lock or RLock\n\
          object, and it is used as the underlying lock. Otherwise, a new RLock object\n\
          is created and used as the underlying lock.",
    methods: &[
        &cond_new::DEF,
        &cond_init::DEF,
        &acquire::DEF,
        &release::DEF,
        &__enter__::DEF,
        &__exit__::DEF,
        &wait::DEF,
        &wait_for::DEF,
        &notify::DEF,
        &notify_all::DEF,
        &_is_owned::DEF,
        &__repr__::DEF,
    ],
    aliases: &[("notifyAll", &notify_all::DEF)],
    subclassable: true,
    ..NativeClass::DEFAULT
};

/// Create and return a new object.  See help(type) for accurate signature.
#[native("Condition.__new__($cls, *args, **kwargs)")]
fn cond_new(vm: &mut Vm, cls: &ObjRef, args: &[Value], kwargs: KwArgs) -> PyResult<Value> {
    let _ = (args, kwargs);
    let data = CondData { lock: OnceLock::new(), waiters: Mutex::new(VecDeque::new()), site: vm.user_site() };
    Ok(NativeClass::instance_of(cls, data))
}

/// Initialize self.  See help(type(self)) for accurate signature.
#[native("Condition.__init__($self, lock=None)", style = "python")]
fn cond_init(vm: &mut Vm, this: &CondData, lock: Option<Value>) -> PyResult<()> {
    let lock = lock.unwrap_or_else(|| locks::new_rlock_by(vm));
    // A second __init__ keeps the lock the condition was made with.
    let _ = this.lock.set(lock);
    Ok(())
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
        Kind::Lock(l) => l.acquire(vm, blocking, timeout, "Condition", lock),
        Kind::RLock(r) => r.acquire(vm, blocking, timeout, lock),
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

/// Calls the lock's own method `def` with the arguments given (a plain Lock or RLock:
/// its argument errors are the lock's, as in CPython, where the condition's acquire
/// and release are the lock's bound methods).
fn lock_method(vm: &mut Vm, def: &'static NativeDef, lock: Value, args: &[Value], kwargs: KwArgs) -> PyResult<Value> {
    let mut all = Vec::with_capacity(args.len() + 1);
    all.push(lock);
    all.extend_from_slice(args);
    call_def(vm, def, &all, kwargs)
}

/// Calls `lock.name(*args, **kwargs)`.
fn call_lock(vm: &mut Vm, lock: &Value, name: &str, args: &[Value], kwargs: KwArgs) -> PyResult<Value> {
    let f = vm.get_attr(lock, &intern(name))?;
    let mut a = Args::new(args.iter().cloned());
    a.kw = kwargs;
    vm.call(&f, a)
}

/// Acquires the underlying lock; the arguments are the lock's `acquire`'s.
#[native("Condition.acquire($self, *args, **kwargs)")]
fn acquire(vm: &mut Vm, this: &CondData, args: &[Value], kwargs: KwArgs) -> PyResult<Value> {
    let lock = this.lock();
    if args.is_empty() && kwargs.is_empty() {
        return Ok(Value::Bool(acquire_lock(vm, &lock, true, None)?));
    }
    match kind(&lock) {
        Kind::Lock(_) => lock_method(vm, &locks::lock_acquire::DEF, lock, args, kwargs),
        Kind::RLock(_) => lock_method(vm, &locks::rlock_acquire::DEF, lock, args, kwargs),
        Kind::Other => call_lock(vm, &lock, "acquire", args, kwargs),
    }
}

/// Releases the underlying lock; the arguments are the lock's `release`'s.
#[native("Condition.release($self, *args, **kwargs)")]
fn release(vm: &mut Vm, this: &CondData, args: &[Value], kwargs: KwArgs) -> PyResult<Value> {
    let lock = this.lock();
    if args.is_empty() && kwargs.is_empty() {
        release_lock(vm, &lock)?;
        return Ok(Value::None);
    }
    match kind(&lock) {
        Kind::Lock(_) => lock_method(vm, &locks::lock_release::DEF, lock, args, kwargs),
        Kind::RLock(_) => lock_method(vm, &locks::rlock_release::DEF, lock, args, kwargs),
        Kind::Other => call_lock(vm, &lock, "release", args, kwargs),
    }
}

#[native("Condition.__enter__($self)", style = "python")]
fn __enter__(vm: &mut Vm, this: &CondData) -> PyResult<bool> {
    let lock = this.lock();
    acquire_lock(vm, &lock, true, None)
}

#[native("Condition.__exit__($self, *args)", style = "python")]
fn __exit__(vm: &mut Vm, this: &CondData, args: &[Value]) -> PyResult<()> {
    let _ = args;
    let lock = this.lock();
    release_lock(vm, &lock)
}

/// Whether the calling thread holds the underlying lock.
#[native("Condition._is_owned($self, *args, **kwargs)")]
fn _is_owned(vm: &mut Vm, this: &CondData, args: &[Value], kwargs: KwArgs) -> PyResult<Value> {
    let lock = this.lock();
    if args.is_empty() && kwargs.is_empty() {
        return Ok(Value::Bool(is_owned(vm, &lock)?));
    }
    // With an RLock, CPython's condition uses the lock's own `_is_owned`.
    if let Kind::RLock(_) = kind(&lock) {
        return lock_method(vm, &locks::rlock_is_owned::DEF, lock, args, kwargs);
    }
    let msg = match kwargs.first() {
        Some((k, _)) => messages::py_unexpected_keyword("Condition._is_owned", k.str_text()),
        None => messages::py_too_many_positional("Condition._is_owned", 1, 1, args.len() + 1, 0),
    };
    Err(vm.type_error(&msg))
}

/// Waits for a notification; Ok(true) if notified, Ok(false) on timeout.
fn wait_impl(vm: &mut Vm, (me, c): (&Value, &CondData), timeout: &Value) -> PyResult<bool> {
    let lock = c.lock();
    if !is_owned(vm, &lock)? {
        return Err(vm.error(Exc::RuntimeError, "cannot wait on un-acquired lock"));
    }
    let timeout = py_wait_timeout(vm, timeout)?;
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
        conc_interpreter::deadlock::wait_subject(me);
        vm.block_on(&mut g, &w.queue, timeout, &|| "Condition.wait".to_string(), |s| if *s { Some(()) } else { None })
    };
    // Re-acquire whatever happened (also after KeyboardInterrupt), as CPython does.
    // The notifier usually still holds the lock for a moment: wait for it spinning
    // rather than parking at once.
    match (kind(&lock), saved) {
        (Kind::RLock(rl), Some(n)) => rl.acquire_restore(vm, n, &lock)?,
        (Kind::Lock(l), _) => {
            l.acquire_spinning(vm, SPIN_BEFORE_PARK, &lock)?;
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

/// Wait until notified or until a timeout occurs.
#[native("Condition.wait($self, timeout=None)", style = "python")]
fn wait(vm: &mut Vm, this: (&Value, &CondData), timeout: &Value) -> PyResult<bool> {
    wait_impl(vm, this, timeout)
}

/// Wait until a condition evaluates to True.
#[native("Condition.wait_for($self, predicate, timeout=None)", style = "python")]
fn wait_for(vm: &mut Vm, this: (&Value, &CondData), predicate: Value, timeout: &Value) -> PyResult<Value> {
    // As CPython's: the first wait is for `timeout` as given, later ones for what is
    // left of it; the end is `time() + timeout` (TypeError for a non-number).
    let end = match timeout {
        Value::None => None,
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        t => match vm.binary_op(Value::Float(0.0), t.clone(), BinOp::Add)? {
            Value::Float(f) => Some(f),
            Value::Int(i) => Some(i as f64),
            _ => None,
        },
    };
    let start = Instant::now();
    let mut result = vm.call(&predicate, Args::default())?;
    let mut first = true;
    while !vm.truthy(&result)? {
        if first {
            first = false;
            wait_impl(vm, this, timeout)?;
        } else {
            let left = end.map(|e| e - start.elapsed().as_secs_f64());
            if left.is_some_and(|l| l <= 0.0) {
                break;
            }
            wait_impl(vm, this, &left.map_or(Value::None, Value::Float))?;
        }
        result = vm.call(&predicate, Args::default())?;
    }
    Ok(result)
}

/// Wakes up to `n` waiters, oldest first (the caller holds the lock).
fn notify_impl(_vm: &mut Vm, c: &CondData, n: usize) -> PyResult<()> {
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

/// How many waiters `notify(n)` wakes: CPython's loop `while waiters and n > 0`
/// (`n` is compared only when someone waits).
fn notify_count(vm: &mut Vm, n: &Value, waiting: usize) -> PyResult<usize> {
    match n {
        Value::Int(i) => Ok((*i).max(0) as usize),
        Value::Bool(b) => Ok(*b as usize),
        Value::Float(f) if *f > 0.0 => Ok(f.ceil().min(usize::MAX as f64) as usize),
        Value::Float(_) => Ok(0),
        _ => {
            let mut n = n.clone();
            let mut count = 0;
            while count < waiting {
                let r = vm.compare(&n, &Value::Int(0), CmpOp::Gt)?;
                if !vm.truthy(&r)? {
                    break;
                }
                count += 1;
                n = vm.binary_op(n, Value::Int(1), BinOp::Sub)?;
            }
            Ok(count)
        }
    }
}

/// Wake up one or more threads waiting on this condition, if any.
#[native("Condition.notify($self, n=1)", style = "python")]
fn notify(vm: &mut Vm, this: &CondData, n: Value) -> PyResult<()> {
    let lock = this.lock();
    if !is_owned(vm, &lock)? {
        return Err(vm.error(Exc::RuntimeError, "cannot notify on un-acquired lock"));
    }
    let waiting = this.waiters.lock().len();
    if waiting == 0 {
        return Ok(());
    }
    let count = notify_count(vm, &n, waiting)?;
    notify_impl(vm, this, count)
}

/// Wake up all threads waiting on this condition.
#[native("Condition.notify_all($self)", style = "python")]
fn notify_all(vm: &mut Vm, this: &CondData) -> PyResult<()> {
    let lock = this.lock();
    if !is_owned(vm, &lock)? {
        return Err(vm.error(Exc::RuntimeError, "cannot notify on un-acquired lock"));
    }
    notify_impl(vm, this, usize::MAX)
}

/// Return repr(self).
#[native("Condition.__repr__($self)", style = "python")]
fn __repr__(vm: &mut Vm, this: &CondData) -> PyResult<String> {
    let lock = this.lock();
    let n = this.waiters.lock().len();
    let lr = vm.repr_of(&lock)?;
    Ok(format!("<Condition({lr}, {n})>"))
}
