//! `Lock` and `RLock`: native, with an atomic fast path.
//!
//! A Lock is a flag that any thread may clear (CPython allows release by another
//! thread). Acquiring an unlocked lock is one compare-and-swap on the lock's own cache
//! line; only contended acquires take the lock's mutex and wait through the blocking
//! layer. A waiter registers itself (under the mutex) before re-checking the flag, and a
//! releaser that sees waiters takes the mutex to notify, so no wake-up is lost.

use crate::util::{arg_timeout, no_args, self_native, self_native_in};
use conc_interpreter::blocking::{current_ident, WaitQueue};
use conc_interpreter::interp::{add_fast_methods, add_methods, new_class, types};
use conc_interpreter::native::Exc;
use conc_interpreter::value::class::BaseKind;
use conc_interpreter::value::instance::InstanceObj;
use conc_interpreter::{Args, ObjRef, Object, PyResult, Value, Vm};
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

/// How many times a contended acquire looks at the lock before it parks.
const SPINS: u32 = 4;

pub struct LockData {
    locked: AtomicBool,
    waiters: AtomicU32,
    /// A waiter has been notified and has not yet looked at the lock: releases do not
    /// notify again meanwhile, so a thread that releases and re-acquires in a loop pays
    /// for one wake-up per waiter round trip, not one per release.
    wake_pending: AtomicBool,
    mutex: Mutex<()>,
    queue: WaitQueue,
}

impl Default for LockData {
    fn default() -> Self {
        LockData {
            locked: AtomicBool::new(false),
            waiters: AtomicU32::new(0),
            wake_pending: AtomicBool::new(false),
            mutex: Mutex::new(()),
            queue: WaitQueue::new(),
        }
    }
}

impl LockData {
    #[inline]
    fn try_acquire(&self) -> bool {
        self.locked.compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed).is_ok()
    }

    /// Acquires, blocking through the blocking layer; Ok(false) on timeout.
    pub fn acquire(&self, vm: &mut Vm, blocking: bool, timeout: Option<Duration>, what: &str) -> PyResult<bool> {
        if self.try_acquire() {
            return Ok(true);
        }
        if !blocking {
            return Ok(false);
        }
        // Look a few times only, then park. Measured on lock_contended (two threads
        // bumping one counter under one lock): 0-4 looks 1.0 s, 16-256 looks 1.3-1.8 s,
        // because a spinning waiter keeps the lock's and the protected data's cache
        // lines bouncing between cores, while a parked one lets the holder run alone
        // at full speed (as under CPython's GIL) until it is woken.
        for _ in 0..SPINS {
            std::hint::spin_loop();
            if !self.locked.load(Ordering::Relaxed) && self.try_acquire() {
                return Ok(true);
            }
        }
        let mut g = self.mutex.lock();
        self.waiters.fetch_add(1, Ordering::SeqCst);
        let what = what.to_string();
        let r = vm.block_on(&mut g, &self.queue, timeout, &|| what.clone(), |_| {
            // Clear the pending mark before looking, so a release after a failed
            // look notifies again.
            self.wake_pending.store(false, Ordering::SeqCst);
            if self.try_acquire() {
                Some(())
            } else {
                None
            }
        });
        self.waiters.fetch_sub(1, Ordering::SeqCst);
        Ok(r?.is_some())
    }

    /// Acquires (blocking), looking at the lock for up to `budget` before parking:
    /// for a thread woken by a notification whose notifier is about to release.
    pub fn acquire_spinning(&self, vm: &mut Vm, budget: Duration) -> PyResult<bool> {
        if conc_interpreter::blocking::spin_for(budget, || !self.locked.load(Ordering::Relaxed) && self.try_acquire()) {
            return Ok(true);
        }
        self.acquire(vm, true, None, "Lock")
    }

    /// Releases; false if it was not locked.
    pub fn release(&self) -> bool {
        if !self.locked.swap(false, Ordering::SeqCst) {
            return false;
        }
        if self.waiters.load(Ordering::SeqCst) > 0 && !self.wake_pending.swap(true, Ordering::SeqCst) {
            let _g = self.mutex.lock();
            self.queue.notify_one();
        }
        true
    }

    pub fn is_locked(&self) -> bool {
        self.locked.load(Ordering::Relaxed)
    }
}

/// An RLock: an owner thread and a count on top of a Lock.
#[derive(Default)]
pub struct RLockData {
    lock: LockData,
    owner: AtomicU64,
    count: AtomicU32,
}

impl RLockData {
    pub fn acquire(&self, vm: &mut Vm, blocking: bool, timeout: Option<Duration>) -> PyResult<bool> {
        let me = current_ident();
        if self.owner.load(Ordering::Relaxed) == me {
            self.count.fetch_add(1, Ordering::Relaxed);
            return Ok(true);
        }
        if !self.lock.acquire(vm, blocking, timeout, "RLock")? {
            return Ok(false);
        }
        self.owner.store(me, Ordering::Relaxed);
        self.count.store(1, Ordering::Relaxed);
        Ok(true)
    }

    /// Releases one level; false if the caller does not own it.
    pub fn release(&self) -> bool {
        if self.owner.load(Ordering::Relaxed) != current_ident() || self.count.load(Ordering::Relaxed) == 0 {
            return false;
        }
        if self.count.fetch_sub(1, Ordering::Relaxed) == 1 {
            self.owner.store(0, Ordering::Relaxed);
            self.lock.release();
        }
        true
    }

    pub fn is_owned(&self) -> bool {
        self.owner.load(Ordering::Relaxed) == current_ident() && self.count.load(Ordering::Relaxed) > 0
    }

    /// Releases completely, returning the count (for Condition.wait).
    pub fn release_save(&self) -> u32 {
        let c = self.count.swap(0, Ordering::Relaxed);
        self.owner.store(0, Ordering::Relaxed);
        self.lock.release();
        c
    }

    pub fn acquire_restore(&self, vm: &mut Vm, count: u32) -> PyResult<()> {
        // Called after a Condition wait: the notifier is about to release.
        self.lock.acquire_spinning(vm, Duration::from_micros(50))?;
        self.owner.store(current_ident(), Ordering::Relaxed);
        self.count.store(count, Ordering::Relaxed);
        Ok(())
    }
}

pub struct Classes {
    pub lock: ObjRef,
    pub rlock: ObjRef,
}

pub fn classes() -> &'static Classes {
    static C: OnceLock<Classes> = OnceLock::new();
    C.get_or_init(|| {
        let o = types().object.clone();
        let lock = new_class("lock", "_thread", vec![o.clone()], BaseKind::Builtin, true, Default::default());
        add_methods(&lock, &[("__new__", lock_new), ("__repr__", lock_repr), ("_at_fork_reinit", lock_reinit)]);
        add_fast_methods(
            &lock,
            &[
                ("acquire", Some(lock_acquire), lock_acquire_fast),
                ("acquire_lock", Some(lock_acquire), lock_acquire_fast),
                ("release", None, lock_release),
                ("release_lock", None, lock_release),
                ("locked", None, lock_locked),
                ("locked_lock", None, lock_locked),
                ("__enter__", Some(lock_acquire), lock_acquire_fast),
                ("__exit__", None, lock_exit),
            ],
        );
        let rlock = new_class("RLock", "_thread", vec![o], BaseKind::Builtin, true, Default::default());
        add_methods(&rlock, &[("__new__", rlock_new), ("__repr__", rlock_repr)]);
        add_fast_methods(
            &rlock,
            &[
                ("acquire", Some(rlock_acquire), rlock_acquire_fast),
                ("release", None, rlock_release),
                ("__enter__", Some(rlock_acquire), rlock_acquire_fast),
                ("__exit__", None, rlock_exit),
                ("_is_owned", None, rlock_is_owned),
            ],
        );
        Classes { lock, rlock }
    })
}

/// A new Lock object.
pub fn new_lock() -> Value {
    Value::new(Object::Instance(InstanceObj::with_native(classes().lock.clone(), Box::new(LockData::default()))))
}

pub fn new_rlock() -> Value {
    Value::new(Object::Instance(InstanceObj::with_native(classes().rlock.clone(), Box::new(RLockData::default()))))
}

fn lock_new(_vm: &mut Vm, _args: Args) -> PyResult<Value> {
    Ok(new_lock())
}

fn rlock_new(_vm: &mut Vm, _args: Args) -> PyResult<Value> {
    Ok(new_rlock())
}

/// `acquire(blocking=True, timeout=-1)` arguments.
fn acquire_args(vm: &mut Vm, args: &mut Args) -> PyResult<(bool, Option<Duration>)> {
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
    Ok((blocking, timeout))
}

fn lock_acquire(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let (blocking, timeout) =
        if args.pos.len() > 1 || !args.kw.is_empty() { acquire_args(vm, &mut args)? } else { (true, None) };
    let l: &LockData = self_native(vm, &args, "lock")?;
    Ok(Value::Bool(l.acquire(vm, blocking, timeout, "Lock")?))
}

/// `acquire()` and `with lock:` without arguments: the common case, without `Args`.
fn lock_acquire_fast(vm: &mut Vm, a: &[Value]) -> PyResult<Value> {
    if a.len() > 1 {
        return lock_acquire(vm, Args::new(a.iter().cloned()));
    }
    let l: &LockData = self_native_in(vm, a, "lock")?;
    Ok(Value::Bool(l.acquire(vm, true, None, "Lock")?))
}

fn lock_release(vm: &mut Vm, a: &[Value]) -> PyResult<Value> {
    no_args(vm, a, "lock.release")?;
    release_lock(vm, a)
}

fn release_lock(vm: &mut Vm, a: &[Value]) -> PyResult<Value> {
    let l: &LockData = self_native_in(vm, a, "lock")?;
    if !l.release() {
        return Err(vm.error(Exc::RuntimeError, "release unlocked lock"));
    }
    Ok(Value::None)
}

/// `__exit__(type, value, traceback)`: releases whatever the arguments.
fn lock_exit(vm: &mut Vm, a: &[Value]) -> PyResult<Value> {
    release_lock(vm, a)?;
    Ok(Value::None)
}

fn lock_locked(vm: &mut Vm, a: &[Value]) -> PyResult<Value> {
    no_args(vm, a, "lock.locked")?;
    let l: &LockData = self_native_in(vm, a, "lock")?;
    Ok(Value::Bool(l.is_locked()))
}

fn lock_reinit(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let l: &LockData = self_native(vm, &args, "lock")?;
    l.locked.store(false, Ordering::SeqCst);
    Ok(Value::None)
}

fn lock_repr(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let l: &LockData = self_native(vm, &args, "lock")?;
    let state = if l.is_locked() { "locked" } else { "unlocked" };
    Ok(Value::string(format!("<{} _thread.lock object at {:#x}>", state, args.pos[0].id())))
}

fn rlock_acquire(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let (blocking, timeout) =
        if args.pos.len() > 1 || !args.kw.is_empty() { acquire_args(vm, &mut args)? } else { (true, None) };
    let l: &RLockData = self_native(vm, &args, "RLock")?;
    Ok(Value::Bool(l.acquire(vm, blocking, timeout)?))
}

fn rlock_acquire_fast(vm: &mut Vm, a: &[Value]) -> PyResult<Value> {
    if a.len() > 1 {
        return rlock_acquire(vm, Args::new(a.iter().cloned()));
    }
    let l: &RLockData = self_native_in(vm, a, "RLock")?;
    Ok(Value::Bool(l.acquire(vm, true, None)?))
}

fn rlock_release(vm: &mut Vm, a: &[Value]) -> PyResult<Value> {
    no_args(vm, a, "RLock.release")?;
    release_rlock(vm, a)
}

fn release_rlock(vm: &mut Vm, a: &[Value]) -> PyResult<Value> {
    let l: &RLockData = self_native_in(vm, a, "RLock")?;
    if !l.release() {
        return Err(vm.error(Exc::RuntimeError, "cannot release un-acquired lock"));
    }
    Ok(Value::None)
}

fn rlock_exit(vm: &mut Vm, a: &[Value]) -> PyResult<Value> {
    release_rlock(vm, a)?;
    Ok(Value::None)
}

fn rlock_is_owned(vm: &mut Vm, a: &[Value]) -> PyResult<Value> {
    let l: &RLockData = self_native_in(vm, a, "RLock")?;
    Ok(Value::Bool(l.is_owned()))
}

fn rlock_repr(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let l: &RLockData = self_native(vm, &args, "RLock")?;
    let owner = l.owner.load(Ordering::Relaxed);
    let state = if owner != 0 { "locked" } else { "unlocked" };
    Ok(Value::string(format!(
        "<{} _thread.RLock object owner={} count={} at {:#x}>",
        state,
        owner,
        l.count.load(Ordering::Relaxed),
        args.pos[0].id()
    )))
}
