//! Repairs the process-wide state of a child made by `fork()`.
//!
//! Only the forking thread exists in the child. A lock another thread held at the
//! moment of the fork stays locked forever there, so the child releases the
//! interpreter's global locks ("orphaned" ones) before running any script code, and
//! forgets what other threads were doing (wait records). The stdout buffer is not
//! repaired but protected: [`crate::stdio::locked_for_fork`] holds it across the fork.
//! Locks inside script objects (a list another thread was mutating) cannot be
//! repaired; that is why forking with threads running warns, as CPython 3.12 does.

use parking_lot::{Mutex, RawMutex};
use std::sync::atomic::{AtomicU8, Ordering};

// `release_orphaned` reads parking_lot's RawMutex as its one state byte.
const _: () = assert!(std::mem::size_of::<RawMutex>() == 1);

/// Unlocks `m` when a thread held it at the fork, by clearing its state byte. An
/// ordinary unlock would not do: with threads parked on the mutex at the fork (dead
/// in the child), parking_lot may hand the lock over to one of them, for ever.
///
/// # Safety
/// Only in a child right after `fork()`, before it starts any thread, on a mutex the
/// calling thread does not hold: then a locked mutex is held by a thread that does
/// not exist here.
pub unsafe fn release_orphaned<T: ?Sized>(m: &Mutex<T>) {
    let state = &*(m.raw() as *const RawMutex as *const AtomicU8);
    state.store(0, Ordering::Release);
}

/// Called first thing in a forked child (see the module comment).
///
/// # Safety
/// As [`release_orphaned`].
pub unsafe fn reset_in_child() {
    let i = crate::interp::interp();
    // Every module's name table: threads take it for new globals and lookups by name.
    crate::interp::builtins_module().globals.release_after_fork();
    let modules: Vec<crate::value::Value> = i.modules.values();
    for m in &modules {
        if let Some(crate::value::Object::Module(m)) = m.obj() {
            m.globals.release_after_fork();
        }
    }
    crate::vm::import_lock::reset_after_fork();
    release_orphaned(&i.path);
    release_orphaned(&i.argv);
    crate::value::str::release_interner_after_fork();
    crate::builtins::io::release_registry_after_fork();
    crate::blocking::reset_after_fork();
    crate::trace::reset_after_fork();
    // The forking thread may be a script thread that blocks process signals; in the
    // child it is the main thread, which receives them.
    crate::signals::unblock_async_signals();
}
