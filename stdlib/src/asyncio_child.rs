//! `_asyncio_child`: starting the child processes of `asyncio.create_subprocess_*`
//! and learning when they end without a watcher thread. `spawn` starts a child
//! through `subprocess.rs`'s `start` (the same fork/exec, signal mask and pidfd as
//! the `subprocess` module) on the descriptors asyncio made for it, and returns its pid and a pidfd; the loop
//! watches the pidfd with `add_reader` (it becomes readable when the child ends)
//! and then reaps the child with `reap`.

use crate::subprocess::{os_text, stdio_for};
use crate::util::natives;
use conc_interpreter::builtins::io::os_error_with;
use conc_interpreter::native::native;
use conc_interpreter::{ObjRef, PyResult, Value, Vm};
use std::process::Command;

pub fn init(_vm: &mut Vm, m: &ObjRef) -> PyResult<()> {
    natives(m, &[&spawn::DEF, &reap::DEF]);
    Ok(())
}

/// spawn(args, cwd, env, stdin, stdout, stderr) -> (pid, pidfd): start a child.
/// env is None (ours) or a list of (name, value); each stream is -1 (ours) or a
/// descriptor; pidfd is -1 where the kernel has none.
#[native("_asyncio_child.spawn(args, cwd, env, stdin, stdout, stderr, /)")]
fn spawn(vm: &mut Vm, args: Value, cwd: Value, env: Value, stdin: i64, stdout: i64, stderr: i64) -> PyResult<Value> {
    let argv = vm.collect(&args)?;
    if argv.is_empty() {
        return Err(vm.value_error("args must not be empty"));
    }
    let program = os_text(vm, &argv[0])?;
    let mut cmd = Command::new(&program);
    for a in &argv[1..] {
        let a = os_text(vm, a)?;
        cmd.arg(a);
    }
    if !cwd.is_none() {
        let dir = os_text(vm, &cwd)?;
        cmd.current_dir(dir);
    }
    if !env.is_none() {
        cmd.env_clear();
        for pair in vm.collect(&env)? {
            let kv = vm.collect(&pair)?;
            if kv.len() != 2 {
                return Err(vm.type_error("env items must be (name, value) pairs"));
            }
            let (k, v) = (os_text(vm, &kv[0])?, os_text(vm, &kv[1])?);
            cmd.env(k, v);
        }
    }
    let streams = [stdio_for(vm, stdin as i32)?, stdio_for(vm, stdout as i32)?, stdio_for(vm, stderr as i32)?];
    let [i, o, e] = streams;
    cmd.stdin(i).stdout(o).stderr(e);
    let (pid, pidfd) = crate::subprocess::start(vm, cmd, &argv[0])?;
    Ok(Value::tuple(vec![Value::Int(pid as i64), Value::Int(pidfd as i64)]))
}

/// reap(pid, block) -> returncode or None: collect the ended child (its exit code,
/// or -signal); None while it still runs (only without block).
#[native("_asyncio_child.reap(pid, block, /)")]
fn reap(vm: &mut Vm, pid: i64, block: bool) -> PyResult<Value> {
    let mut status: libc::c_int = 0;
    let flags = if block { 0 } else { libc::WNOHANG };
    loop {
        // SAFETY: waitpid(2) writes the status into the integer we own.
        let r = unsafe { libc::waitpid(pid as libc::pid_t, &mut status, flags) };
        if r == 0 {
            return Ok(Value::None);
        }
        if r > 0 {
            let code = if libc::WIFSIGNALED(status) {
                -(libc::WTERMSIG(status) as i64)
            } else {
                libc::WEXITSTATUS(status) as i64
            };
            return Ok(Value::Int(code));
        }
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() == Some(libc::EINTR) {
            vm.run_pending_signals()?;
            continue;
        }
        if e.raw_os_error() == Some(libc::ECHILD) {
            // Reaped elsewhere (os.waitpid in the script): the code is lost, as
            // CPython's watchers report it.
            return Ok(Value::Int(255));
        }
        return Err(os_error_with(vm, &e, None, None));
    }
}
