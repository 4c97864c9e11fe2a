//! `os.fork`, `os.waitpid`, `os.system` and the wait-status macros.

use crate::sys::CInt;
use conc_interpreter::builtins::io::os_error_with;
use conc_interpreter::native::native;
use conc_interpreter::{PyResult, Value, Vm};

/// Fork a child process. The same fork as multiprocessing's (with its repairs in the
/// child and its warning when other threads run).
#[native("posix.fork()")]
pub fn fork(vm: &mut Vm) -> PyResult<i64> {
    crate::mp::fork::fork(vm)
}

/// Wait for completion of a given child process.
#[native("posix.waitpid(pid, options, /)", style = "tuple")]
pub fn waitpid(vm: &mut Vm, pid: CInt, options: CInt) -> PyResult<Value> {
    let mut status: libc::c_int = 0;
    loop {
        // SAFETY: waitpid(2) writes the status into the integer we own.
        let r = unsafe { libc::waitpid(pid.0, &mut status, options.0) };
        if r >= 0 {
            return Ok(Value::tuple(vec![Value::Int(r as i64), Value::Int(status as i64)]));
        }
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() == Some(libc::EINTR) {
            // A signal arrived: run its Python handler (which may raise), then wait on.
            vm.run_pending_signals()?;
            continue;
        }
        return Err(os_error_with(vm, &e, None, None));
    }
}

/// Execute the command in a subshell.
#[native("posix.system(command)")]
pub fn system(vm: &mut Vm, command: crate::os::Path) -> PyResult<i64> {
    conc_interpreter::stdio::flush_stdout();
    let c = crate::os::cstr(&command);
    // SAFETY: system(3) reads the NUL-terminated command we own.
    let r = unsafe { libc::system(c.as_ptr()) };
    if r == -1 {
        return Err(os_error_with(vm, &std::io::Error::last_os_error(), None, None));
    }
    Ok(r as i64)
}

/// Return True if the process returning status exited via the exit() system call.
#[native("posix.WIFEXITED(status)")]
pub fn wifexited(_vm: &mut Vm, status: CInt) -> PyResult<bool> {
    Ok(libc::WIFEXITED(status.0))
}

/// Return the process return code from status.
#[native("posix.WEXITSTATUS(status)")]
pub fn wexitstatus(_vm: &mut Vm, status: CInt) -> PyResult<i64> {
    Ok(libc::WEXITSTATUS(status.0) as i64)
}

/// Return True if the process returning status was terminated by a signal.
#[native("posix.WIFSIGNALED(status)")]
pub fn wifsignaled(_vm: &mut Vm, status: CInt) -> PyResult<bool> {
    Ok(libc::WIFSIGNALED(status.0))
}

/// Return the signal that terminated the process that provided the status value.
#[native("posix.WTERMSIG(status)")]
pub fn wtermsig(_vm: &mut Vm, status: CInt) -> PyResult<i64> {
    Ok(libc::WTERMSIG(status.0) as i64)
}
