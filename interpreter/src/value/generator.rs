//! Generators: a suspended frame kept as data. An atomic state says who owns the
//! frame: a thread that moves the state to `Running` (one compare-and-swap) owns it
//! exclusively until it stores `Suspended` or `Finished`, so resuming needs no lock
//! and the frame is never touched while it runs. Resuming a generator whose state is
//! `Running` raises `ValueError: generator already executing`, from whichever thread.

use crate::vm::frame::Frame;
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicU8, Ordering};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum GenState {
    /// Created, not started: only `send(None)` / `next` may start it.
    Created = 0,
    /// Paused at a `yield`.
    Suspended = 1,
    /// Its frame is out, running on some thread.
    Running = 2,
    Finished = 3,
}

impl GenState {
    fn from_u8(v: u8) -> GenState {
        match v {
            0 => GenState::Created,
            1 => GenState::Suspended,
            2 => GenState::Running,
            _ => GenState::Finished,
        }
    }
}

pub struct GeneratorObj {
    /// From the function's code: creating a generator allocates no text.
    pub name: &'static str,
    pub qualname: &'static str,
    /// Keeps mortal code (and so `name` and `qualname`) alive after the frame is gone
    /// (value/code.rs); None for immortal code.
    _code_owner: Option<super::ObjRef>,
    state: AtomicU8,
    /// Accessed only by the thread that moved `state` to `Running`.
    frame: UnsafeCell<Option<Box<Frame>>>,
}

// SAFETY: the only field that is not Sync is `frame`, and it is reached only by the
// thread that won the compare-and-swap to `Running` in `claim` (the safe entry), or
// through `suspend`/`finish`, whose callers promise to be that thread. So at most one
// thread touches the frame at a time, and the frame passes between threads with the
// Release store that ends `Running` and the Acquire compare-and-swap of the next claim.
unsafe impl Sync for GeneratorObj {}

impl GeneratorObj {
    pub fn new(frame: Box<Frame>, name: &'static str, qualname: &'static str) -> GeneratorObj {
        GeneratorObj {
            name,
            qualname,
            _code_owner: frame.code_owner.clone(),
            state: AtomicU8::new(GenState::Created as u8),
            frame: UnsafeCell::new(Some(frame)),
        }
    }

    pub fn state(&self) -> GenState {
        GenState::from_u8(self.state.load(Ordering::Acquire))
    }

    /// Moves the state from `from` to Running and takes the frame; None if the state
    /// was not `from`.
    pub fn claim(&self, from: GenState) -> Option<Option<Box<Frame>>> {
        self.state.compare_exchange(from as u8, GenState::Running as u8, Ordering::Acquire, Ordering::Acquire).ok()?;
        // SAFETY: this thread's compare-and-swap moved the state to `Running`, so no
        // other thread may touch the frame until we store `Suspended` or `Finished`
        // (other claims fail on `Running`); the Acquire pairs with the Release of the
        // store that made the frame available, so we see it whole.
        Some(unsafe { (*self.frame.get()).take() })
    }

    /// Puts the frame back and marks the generator suspended (by the running owner).
    ///
    /// # Safety
    /// The calling thread must own the generator's frame: its own `claim` succeeded and
    /// it has not called `suspend` or `finish` since. Any other thread could be writing
    /// the frame at the same time.
    pub unsafe fn suspend(&self, frame: Box<Frame>) {
        // SAFETY: the caller owns the frame (the precondition above), so nothing else
        // reads or writes the cell until the Release store below hands it over.
        unsafe { *self.frame.get() = Some(frame) };
        self.state.store(GenState::Suspended as u8, Ordering::Release);
    }

    /// Marks the generator finished (by the running owner), dropping any frame.
    ///
    /// # Safety
    /// As for [`GeneratorObj::suspend`]: the calling thread's `claim` succeeded and it
    /// has not called `suspend` or `finish` since.
    pub unsafe fn finish(&self) {
        // SAFETY: the caller owns the frame (the precondition above); once `Finished`
        // is stored no claim ever succeeds again, so the cell is not touched after.
        let old = unsafe { (*self.frame.get()).take() };
        self.state.store(GenState::Finished as u8, Ordering::Release);
        drop(old);
    }
}
