//! `Lock` and `RLock`: native, with an atomic fast path.
//!
//! A Lock is a flag that any thread may clear (CPython allows release by another
//! thread). Acquiring an unlocked lock is one compare-and-swap on the lock's own cache
//! line; only contended acquires take the lock's mutex and wait through the blocking
//! layer. A waiter registers itself (under the mutex) before re-checking the flag, and a
//! releaser that sees waiters takes the mutex to notify, so no wake-up is lost.

use super::{CInt, Nanos};
use conc_interpreter::blocking::{current_ident, WaitQueue};
use conc_interpreter::native::{native, Exc, KwArgs, NativeClass, NativePayload};
use conc_interpreter::vm::frames::FrameEntry;
use conc_interpreter::{Object, PyResult, Value, Vm};
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
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
    /// The thread that acquired it last (meaningful while locked), for deadlock
    /// reports: one store beside the acquiring compare-and-swap, on its cache line.
    owner: AtomicU64,
    /// Where the script made it (deadlock reports).
    pub site: Option<FrameEntry>,
}

impl Default for LockData {
    fn default() -> Self {
        LockData {
            locked: AtomicBool::new(false),
            waiters: AtomicU32::new(0),
            wake_pending: AtomicBool::new(false),
            mutex: Mutex::new(()),
            queue: WaitQueue::new(),
            owner: AtomicU64::new(0),
            site: None,
        }
    }
}

impl LockData {
    /// A lock made by the script code running on `vm`.
    pub fn made_by(vm: &Vm) -> LockData {
        LockData { site: vm.user_site(), ..LockData::default() }
    }

    #[inline]
    fn try_acquire(&self) -> bool {
        if self.locked.compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed).is_ok() {
            self.owner.store(current_ident(), Ordering::Relaxed);
            return true;
        }
        false
    }

    /// The thread holding it, if it is locked.
    pub fn holder(&self) -> Option<u64> {
        self.is_locked().then(|| self.owner.load(Ordering::Relaxed))
    }

    /// Acquires, blocking through the blocking layer; Ok(false) on timeout. `me` is
    /// the lock object (or the RLock around it), named in the wait's record.
    pub fn acquire(
        &self,
        vm: &mut Vm,
        blocking: bool,
        timeout: Option<Duration>,
        what: &str,
        me: &Value,
    ) -> PyResult<bool> {
        let taken = self.acquire_untraced(vm, blocking, timeout, what, me)?;
        if taken && conc_interpreter::trace::on() {
            crate::trace::lock_taken(vm, self as *const LockData as usize, what, self.site.as_ref());
        }
        Ok(taken)
    }

    fn acquire_untraced(
        &self,
        vm: &mut Vm,
        blocking: bool,
        timeout: Option<Duration>,
        what: &str,
        me: &Value,
    ) -> PyResult<bool> {
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
        conc_interpreter::deadlock::wait_subject(me);
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
    pub fn acquire_spinning(&self, vm: &mut Vm, budget: Duration, me: &Value) -> PyResult<bool> {
        if conc_interpreter::blocking::spin_for(budget, || !self.locked.load(Ordering::Relaxed) && self.try_acquire()) {
            return Ok(true);
        }
        self.acquire(vm, true, None, "Lock", me)
    }

    /// Releases; false if it was not locked.
    #[inline(always)]
    pub fn release(&self) -> bool {
        if !self.locked.swap(false, Ordering::SeqCst) {
            return false;
        }
        if conc_interpreter::trace::on() {
            crate::trace::lock_released(self as *const LockData as usize);
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
    /// An RLock made by the script code running on `vm`.
    pub fn made_by(vm: &Vm) -> RLockData {
        RLockData { lock: LockData::made_by(vm), ..RLockData::default() }
    }

    /// Where the script made it.
    pub fn site(&self) -> Option<&FrameEntry> {
        self.lock.site.as_ref()
    }

    /// The owning thread, if any.
    pub fn holder(&self) -> Option<u64> {
        match self.owner.load(Ordering::Relaxed) {
            0 => None,
            o => Some(o),
        }
    }

    /// How many levels deep its owner holds it.
    pub fn depth(&self) -> u32 {
        self.count.load(Ordering::Relaxed)
    }

    pub fn acquire(&self, vm: &mut Vm, blocking: bool, timeout: Option<Duration>, object: &Value) -> PyResult<bool> {
        let me = current_ident();
        if self.owner.load(Ordering::Relaxed) == me {
            self.count.fetch_add(1, Ordering::Relaxed);
            return Ok(true);
        }
        if !self.lock.acquire(vm, blocking, timeout, "RLock", object)? {
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

    pub fn acquire_restore(&self, vm: &mut Vm, count: u32, me: &Value) -> PyResult<()> {
        // Called after a Condition wait: the notifier is about to release.
        self.lock.acquire_spinning(vm, Duration::from_micros(50), me)?;
        self.owner.store(current_ident(), Ordering::Relaxed);
        self.count.store(count, Ordering::Relaxed);
        Ok(())
    }
}

impl NativePayload for LockData {
    const CLASS: &'static NativeClass = &LOCK;
}

impl NativePayload for RLockData {
    const CLASS: &'static NativeClass = &RLOCK;
}

/// `_thread.lock` (`threading.Lock()` makes one): not constructible from scripts, as
/// in CPython (`allocate_lock` makes them).
pub static LOCK: NativeClass = NativeClass {
    name: "lock",
    module: "_thread",
    doc: "A lock object is a synchronization primitive.  To create a lock,\n\
          call threading.Lock().  Methods are:\n\n\
          acquire() -- lock the lock, possibly blocking until it can be obtained\n\
          release() -- unlock of the lock\n\
          locked() -- test whether the lock is currently locked\n\n\
          A lock is not owned by the thread that locked it; another thread may\n\
          unlock it.  A thread attempting to lock a lock that it has already locked\n\
          will block until another thread unlocks it.  Deadlocks may ensue.",
    methods: &[
        &lock_acquire::DEF,
        &lock_release::DEF,
        &lock_locked::DEF,
        &lock_exit::DEF,
        &lock_reinit::DEF,
        &lock_repr::DEF,
    ],
    aliases: &[
        ("acquire_lock", &lock_acquire::DEF),
        ("__enter__", &lock_acquire::DEF),
        ("release_lock", &lock_release::DEF),
        ("locked_lock", &lock_locked::DEF),
    ],
    ..NativeClass::DEFAULT
};

/// `_thread.RLock`.
pub static RLOCK: NativeClass = NativeClass {
    name: "RLock",
    module: "_thread",
    methods: &[
        &rlock_new::DEF,
        &rlock_acquire::DEF,
        &rlock_release::DEF,
        &rlock_exit::DEF,
        &rlock_is_owned::DEF,
        &rlock_repr::DEF,
    ],
    aliases: &[("__enter__", &rlock_acquire::DEF)],
    ..NativeClass::DEFAULT
};

/// A new Lock object, made by the script code running on `vm`.
pub fn new_lock(vm: &Vm) -> Value {
    LOCK.instance(LockData::made_by(vm))
}

pub fn new_rlock() -> Value {
    RLOCK.instance(RLockData::default())
}

/// A new RLock object, made by the script code running on `vm`.
pub fn new_rlock_by(vm: &Vm) -> Value {
    RLOCK.instance(RLockData::made_by(vm))
}

/// `acquire(blocking=True, timeout=-1)`'s arguments as CPython checks them: the
/// time to wait (None: for ever).
#[inline(always)]
fn acquire_args(vm: &mut Vm, blocking: Option<CInt>, timeout: Option<Nanos>) -> PyResult<(bool, Option<Duration>)> {
    let blocking = blocking.is_none_or(|b| b.0 != 0);
    match timeout {
        None => Ok((blocking, None)),
        Some(t) => timeout_of(vm, blocking, t),
    }
}

#[cold]
fn timeout_of(vm: &mut Vm, blocking: bool, t: Nanos) -> PyResult<(bool, Option<Duration>)> {
    if t.0 == Nanos::FOREVER.0 {
        return Ok((blocking, None));
    }
    if !blocking {
        return Err(vm.value_error("can't specify a timeout for a non-blocking call"));
    }
    if t.0 < 0 {
        return Err(vm.value_error("timeout value must be positive"));
    }
    Ok((true, Some(t.duration())))
}

/// acquire(blocking=True, timeout=-1) -> bool
/// (acquire_lock() is an obsolete synonym)
///
/// Lock the lock.  Without argument, this blocks if the lock is already
/// locked (even by the same thread), waiting for another thread to release
/// the lock, and return True once the lock is acquired.
/// With an argument, this will only block if the argument is true,
/// and the return value reflects whether the lock is acquired.
/// The blocking operation is interruptible.
#[native("lock.acquire($self, blocking=True, timeout=-1)", style = "tuple")]
pub fn lock_acquire(
    vm: &mut Vm,
    this: (&Value, &LockData),
    blocking: Option<CInt>,
    timeout: Option<Nanos>,
) -> PyResult<bool> {
    let (me, this) = this;
    if blocking.is_none() && timeout.is_none() {
        return this.acquire(vm, true, None, "Lock", me);
    }
    let (blocking, timeout) = acquire_args(vm, blocking, timeout)?;
    this.acquire(vm, blocking, timeout, "Lock", me)
}

/// release()
/// (release_lock() is an obsolete synonym)
///
/// Release the lock, allowing another thread that is blocked waiting for
/// the lock to acquire the lock.  The lock must be in the locked state,
/// but it needn't be locked by the same thread that unlocks it.
#[native("lock.release($self)")]
#[inline]
pub fn lock_release(vm: &mut Vm, this: &LockData) -> PyResult<()> {
    if !this.release() {
        return Err(vm.error(Exc::RuntimeError, "release unlocked lock"));
    }
    Ok(())
}

/// release()
/// (release_lock() is an obsolete synonym)
///
/// Release the lock, allowing another thread that is blocked waiting for
/// the lock to acquire the lock.  The lock must be in the locked state,
/// but it needn't be locked by the same thread that unlocks it.
#[native("lock.__exit__($self, *args)")]
fn lock_exit(vm: &mut Vm, this: &LockData, args: &[Value]) -> PyResult<()> {
    let _ = args;
    lock_release(vm, this)
}

/// locked() -> bool
/// (locked_lock() is an obsolete synonym)
///
/// Return whether the lock is in the locked state.
#[native("lock.locked($self)")]
fn lock_locked(_vm: &mut Vm, this: &LockData) -> PyResult<bool> {
    Ok(this.is_locked())
}

#[native("lock._at_fork_reinit($self)")]
fn lock_reinit(_vm: &mut Vm, this: &LockData) -> PyResult<()> {
    this.locked.store(false, Ordering::SeqCst);
    Ok(())
}

/// Return repr(self).
#[native("lock.__repr__($self)", style = "slot")]
fn lock_repr(_vm: &mut Vm, this: (&Value, &LockData)) -> PyResult<String> {
    let state = if this.1.is_locked() { "locked" } else { "unlocked" };
    Ok(format!("<{} _thread.lock object at {:#x}>", state, this.0.id()))
}

/// Create and return a new object.  See help(type) for accurate signature.
#[native("RLock.__new__($cls, *args, **kwargs)")]
fn rlock_new(vm: &mut Vm, cls: Value, args: &[Value], kwargs: KwArgs) -> PyResult<Value> {
    let _ = (args, kwargs);
    match cls.as_objref() {
        Some(c) if matches!(&**c, Object::Class(_)) => {
            if !conc_interpreter::value::class::is_subclass(c, RLOCK.class()) {
                let n = c.class_name().to_string();
                let msg = format!("_thread.RLock.__new__({n}): {n} is not a subtype of _thread.RLock");
                return Err(vm.type_error(&msg));
            }
            Ok(NativeClass::instance_of(c, RLockData::made_by(vm)))
        }
        _ => {
            let msg = format!("_thread.RLock.__new__(X): X is not a type object ({})", vm.type_name(&cls));
            Err(vm.type_error(&msg))
        }
    }
}

/// acquire(blocking=True) -> bool
///
/// Lock the lock.  `blocking` indicates whether we should wait
/// for the lock to be available or not.  If `blocking` is False
/// and another thread holds the lock, the method will return False
/// immediately.  If `blocking` is True and another thread holds
/// the lock, the method will wait for the lock to be released,
/// take it and then return True.
/// (note: the blocking operation is interruptible.)
///
/// In all other cases, the method will return True immediately.
/// Precisely, if the current thread already holds the lock, its
/// internal counter is simply incremented. If nobody holds the lock,
/// the lock is taken and its internal counter initialized to 1.
#[native("RLock.acquire($self, blocking=True, timeout=-1)", style = "tuple")]
pub fn rlock_acquire(
    vm: &mut Vm,
    this: (&Value, &RLockData),
    blocking: Option<CInt>,
    timeout: Option<Nanos>,
) -> PyResult<bool> {
    let (me, this) = this;
    if blocking.is_none() && timeout.is_none() {
        return this.acquire(vm, true, None, me);
    }
    let (blocking, timeout) = acquire_args(vm, blocking, timeout)?;
    this.acquire(vm, blocking, timeout, me)
}

/// release()
///
/// Release the lock, allowing another thread that is blocked waiting for
/// the lock to acquire the lock.  The lock must be in the locked state,
/// and must be locked by the same thread that unlocks it; otherwise a
/// `RuntimeError` is raised.
///
/// Do note that if the lock was acquire()d several times in a row by the
/// current thread, release() needs to be called as many times for the lock
/// to be available for other threads.
#[native("RLock.release($self)")]
pub fn rlock_release(vm: &mut Vm, this: &RLockData) -> PyResult<()> {
    if !this.release() {
        return Err(vm.error(Exc::RuntimeError, "cannot release un-acquired lock"));
    }
    Ok(())
}

/// release()
///
/// Release the lock, allowing another thread that is blocked waiting for
/// the lock to acquire the lock.
#[native("RLock.__exit__($self, *args)")]
fn rlock_exit(vm: &mut Vm, this: &RLockData, args: &[Value]) -> PyResult<()> {
    let _ = args;
    rlock_release(vm, this)
}

/// _is_owned() -> bool
///
/// For internal use by `threading.Condition`.
#[native("RLock._is_owned($self)")]
pub fn rlock_is_owned(_vm: &mut Vm, this: &RLockData) -> PyResult<bool> {
    Ok(this.is_owned())
}

/// Return repr(self).
#[native("RLock.__repr__($self)", style = "slot")]
fn rlock_repr(_vm: &mut Vm, this: (&Value, &RLockData)) -> PyResult<String> {
    let (v, l) = this;
    let owner = l.owner.load(Ordering::Relaxed);
    let state = if owner != 0 { "locked" } else { "unlocked" };
    Ok(format!(
        "<{} _thread.RLock object owner={} count={} at {:#x}>",
        state,
        owner,
        l.count.load(Ordering::Relaxed),
        v.id()
    ))
}
