//! A small lock for the short, script-free critical sections of lists: acquiring is
//! one atomic swap and releasing a plain store (a general mutex pays a second atomic
//! read-modify-write on release). Under contention it spins briefly, then yields the
//! core, so a preempted holder is not waited for by burning CPU.

use std::cell::UnsafeCell;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, Ordering};

pub struct SpinLock<T> {
    locked: AtomicBool,
    value: UnsafeCell<T>,
}

// SAFETY: moving the lock moves the value it owns, which is fine for any `T: Send`
// (as for `Mutex<T>`).
unsafe impl<T: Send> Send for SpinLock<T> {}
// SAFETY: the value is only reached through a guard, and at most one guard exists at a
// time (`lock` returns only after its swap changed `locked` from false to true). A
// guard made on one thread may use the value on another, so `T: Send` is required (as
// for `Mutex<T>`); `T: Sync` is not, since the value is never shared, only handed over.
// The Acquire swap and the guard's Release store order each holder's accesses.
unsafe impl<T: Send> Sync for SpinLock<T> {}

pub struct SpinGuard<'a, T> {
    lock: &'a SpinLock<T>,
    /// A guard gives `&mut T`: it may be sent where `T` may (Send needs `T: Send`), and
    /// shared only where `&T` may (Sync needs `T: Sync`). Without this marker the guard
    /// would be Sync whenever `T: Send`, letting two threads read a `!Sync` value.
    _value: PhantomData<&'a mut T>,
}

impl<T> SpinLock<T> {
    pub fn new(value: T) -> SpinLock<T> {
        SpinLock { locked: AtomicBool::new(false), value: UnsafeCell::new(value) }
    }

    #[inline(always)]
    pub fn lock(&self) -> SpinGuard<'_, T> {
        if self.locked.swap(true, Ordering::Acquire) {
            self.lock_slow();
        }
        SpinGuard { lock: self, _value: PhantomData }
    }

    #[cold]
    fn lock_slow(&self) {
        let mut spins = 0u32;
        loop {
            while self.locked.load(Ordering::Relaxed) {
                if spins < 64 {
                    std::hint::spin_loop();
                } else {
                    std::thread::yield_now();
                }
                spins += 1;
            }
            if !self.locked.swap(true, Ordering::Acquire) {
                return;
            }
        }
    }
}

impl<T> Drop for SpinGuard<'_, T> {
    #[inline(always)]
    fn drop(&mut self) {
        self.lock.locked.store(false, Ordering::Release);
    }
}

impl<T> Deref for SpinGuard<'_, T> {
    type Target = T;
    #[inline(always)]
    fn deref(&self) -> &T {
        // SAFETY: this guard holds the lock (see the Sync impl), so no other guard
        // exists and nothing else reaches the value; the reference lives no longer
        // than the borrow of the guard, which releases the lock only when dropped.
        unsafe { &*self.lock.value.get() }
    }
}

impl<T> DerefMut for SpinGuard<'_, T> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; the guard is borrowed mutably, so this is the only
        // reference to the value made through it while the result lives.
        unsafe { &mut *self.lock.value.get() }
    }
}

#[cfg(test)]
mod tests {
    use super::SpinLock;
    use std::sync::Arc;

    #[test]
    fn counts_exactly_under_contention() {
        let l = Arc::new(SpinLock::new(0u64));
        let hs: Vec<_> = (0..4)
            .map(|_| {
                let l = l.clone();
                std::thread::spawn(move || {
                    for _ in 0..50_000 {
                        *l.lock() += 1;
                    }
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
        assert_eq!(*l.lock(), 200_000);
    }
}
