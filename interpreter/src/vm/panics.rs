//! A Rust panic in the interpreter is a bug, but it must not take the process down
//! or leave a thread that never ends. A panic inside a native function becomes a
//! SystemError raised at that call (`Vm::guard_native`), with the script's traceback;
//! one that escapes a thread's code ends that thread cleanly (the embedding catches
//! it with `catch` and reports it), so `join()` returns and `is_alive()` is False.
//!
//! The panic hook records the panic's message and Rust location for the code that
//! catches it, instead of printing "thread panicked" on threads that run a VM (other
//! threads keep the default report).

use super::Vm;
use crate::native::Exc;
use crate::vm::{PyErr, PyResult};
use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};

thread_local! {
    /// The last panic on this thread: "panicked at FILE:LINE:COL: MESSAGE".
    static LAST: RefCell<Option<String>> = const { RefCell::new(None) };
    /// Set on threads that run a VM: their panics are reported by the code that
    /// catches them, so the hook stays quiet.
    static VM_THREAD: Cell<bool> = const { Cell::new(false) };
}

/// Installs the hook (once per process) and marks the calling thread as a VM thread.
pub(super) fn enter_vm_thread() {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let msg = match info.payload().downcast_ref::<&str>() {
                Some(s) => s.to_string(),
                None => info.payload().downcast_ref::<String>().cloned().unwrap_or_else(|| "Box<dyn Any>".into()),
            };
            let at = info.location().map(|l| format!(" at {}:{}:{}", l.file(), l.line(), l.column()));
            LAST.with(|l| *l.borrow_mut() = Some(format!("panicked{}: {msg}", at.unwrap_or_default())));
            if !VM_THREAD.with(|v| v.get()) || std::env::var_os("CONC_PANIC_TRACE").is_some() {
                default(info);
            }
        }));
    });
    VM_THREAD.with(|v| v.set(true));
}

/// The description of the panic this thread caught last.
pub fn last_panic() -> String {
    LAST.with(|l| l.borrow_mut().take()).unwrap_or_else(|| "panicked".into())
}

/// Runs `f`; a panic in it is returned as Err with its description (see `last_panic`).
pub fn catch<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|_| last_panic())
}

impl Vm {
    /// Calls a native function's body; a panic in it is raised as a SystemError
    /// naming the interpreter bug. Script frames that the native re-entered and the
    /// unwinding abandoned are dropped from this VM's bookkeeping, so execution
    /// resumes in the frame that made the call.
    #[inline(always)]
    pub fn guard_native<R>(&mut self, f: impl FnOnce(&mut Vm) -> PyResult<R>) -> PyResult<R> {
        let saved = (self.frames.len(), self.depth, self.caller, self.outer_frames.len(), self.repr_guard.len());
        match catch_unwind(AssertUnwindSafe(|| f(self))) {
            Ok(r) => r,
            Err(_) => Err(self.recover_from_panic(saved)),
        }
    }

    #[cold]
    #[inline(never)]
    fn recover_from_panic(&mut self, saved: (usize, usize, *const super::Frame, usize, usize)) -> PyErr {
        let (frames, depth, caller, outer, repr) = saved;
        self.frames.truncate(frames);
        self.depth = depth;
        self.caller = caller;
        self.outer_frames.truncate(outer);
        self.repr_guard.truncate(repr);
        let msg = format!("interpreter bug: {} (please report it)", last_panic());
        self.error(Exc::SystemError, &msg)
    }
}
