//! The `fork` start method: `fork()` copies this process; the child goes on in the
//! forking thread's VM (the conc layer runs the target there and ends with
//! `exit_child`), so it inherits every global and object of the parent.
//!
//! Only the forking thread exists in the child. Before any script code runs there,
//! the child releases the locks other threads may have held at the fork (the
//! interpreter's registries, this module's descriptor registries and pipe write
//! locks), forgets the other threads (`_thread` count, wait records) and marks the
//! SemLock holders recorded before the fork as stale. Stdout is flushed and held
//! locked across the fork, so nothing is printed twice or left locked. Locks inside
//! script objects cannot be repaired: forking while other threads run may deadlock
//! the child, which is why it warns as CPython 3.12 does.

use super::handle::{fds, fds_lock};
use super::os_error;
use super::process::{reaped, reaped_lock};
use conc_interpreter::native::native;
use conc_interpreter::{PyResult, Vm};

/// fork() -> the child's pid in the parent, 0 in the child.
#[native("_multiprocessing.fork()")]
pub fn fork(vm: &mut Vm) -> PyResult<i64> {
    crate::thread::drain_pool_for_fork();
    if crate::thread::running_threads() > 0 {
        let msg = format!(
            "DeprecationWarning: This process (pid={}) is multi-threaded, use of fork() may lead to deadlocks in the child.\n",
            std::process::id()
        );
        conc_interpreter::stdio::write_stderr(&msg);
    }
    // SAFETY: fork(2) takes nothing; the child only runs `reset_in_child` before
    // script code, which is what makes the copied state usable (see there).
    let pid = conc_interpreter::stdio::locked_for_fork(|| unsafe { libc::fork() });
    if pid < 0 {
        return Err(os_error(vm, std::io::Error::last_os_error()));
    }
    if pid == 0 {
        // SAFETY: this is the child right after fork, and it has started no thread.
        unsafe { reset_in_child() };
    } else {
        // A pid reused by a new child must not report an old child's exit code.
        reaped().remove(&pid);
    }
    Ok(pid as i64)
}

/// See the module comment.
///
/// # Safety
/// Only in a child right after `fork()`, before it starts a thread.
unsafe fn reset_in_child() {
    use conc_interpreter::fork::release_orphaned;
    conc_interpreter::fork::reset_in_child();
    // SAFETY: our own precondition (a child right after fork, no thread started); the
    // forking thread held no `_thread` table lock across the fork.
    unsafe { crate::thread::reset_after_fork() };
    super::shm::release_registry_after_fork();
    super::shm::after_fork_in_child();
    super::share::after_fork_in_child();
    release_orphaned(fds_lock());
    release_orphaned(reaped_lock());
    // The parent's children are not this process's children.
    reaped().clear();
    for inner in fds().values().filter_map(std::sync::Weak::upgrade) {
        inner.release_after_fork();
    }
}

/// exit_child(code=0): ends a forked child at once, as CPython's `os._exit` after
/// the target ran: output is flushed, but nothing of the parent's exit runs (no
/// waiting for the parent's threads or children, no exit handlers).
#[native("_multiprocessing.exit_child(code=0, /)")]
pub fn exit_child(_vm: &mut Vm, code: i64) -> PyResult<()> {
    conc_interpreter::stdio::flush_stdout();
    // SAFETY: _exit(2) ends the process without running anything of this one.
    unsafe { libc::_exit(code as i32) }
}
