//! `_asyncio_child`: starting the child processes of `asyncio.create_subprocess_*`
//! and learning when they end without a watcher thread. `spawn` starts a child
//! with `std::process::Command` (its fork/exec, its exec-error report) on the
//! descriptors asyncio made for it, and returns its pid and a pidfd; the loop
//! watches the pidfd with `add_reader` (it becomes readable when the child ends)
//! and then reaps the child with `reap`.

use crate::util::natives;
use conc_interpreter::builtins::io::os_error_with;
use conc_interpreter::native::native;
use conc_interpreter::{ObjRef, Object, PyResult, Value, Vm};
use std::ffi::OsString;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStringExt;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

pub fn init(_vm: &mut Vm, m: &ObjRef) -> PyResult<()> {
    natives(m, &[&spawn::DEF, &reap::DEF]);
    Ok(())
}

/// A str or bytes argument as the OS takes it.
fn os_text(vm: &mut Vm, v: &Value) -> PyResult<OsString> {
    let bytes = match v.unwrap_base().obj() {
        Some(Object::Str(s)) => s.as_str().as_bytes().to_vec(),
        Some(Object::Bytes(b)) => b.to_vec(),
        _ => {
            let msg = format!("expected str, bytes or os.PathLike object, not {}", vm.type_name(v));
            return Err(vm.type_error(&msg));
        }
    };
    if bytes.contains(&0) {
        return Err(vm.value_error("embedded null byte"));
    }
    Ok(OsString::from_vec(bytes))
}

/// The child's end of a standard stream: -1 inherits ours, another number is a
/// descriptor the child gets a copy of.
fn stdio_for(vm: &mut Vm, fd: i64) -> PyResult<Stdio> {
    if fd < 0 {
        return Ok(Stdio::inherit());
    }
    // SAFETY: fcntl(2) duplicates a plain descriptor number.
    let dup = unsafe { libc::fcntl(fd as i32, libc::F_DUPFD_CLOEXEC, 3) };
    if dup < 0 {
        return Err(os_error_with(vm, &std::io::Error::last_os_error(), None, None));
    }
    // SAFETY: `dup` is a fresh descriptor nobody else owns; Stdio closes it.
    Ok(Stdio::from(unsafe { OwnedFd::from_raw_fd(dup) }))
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
    let streams = [stdio_for(vm, stdin)?, stdio_for(vm, stdout)?, stdio_for(vm, stderr)?];
    let [i, o, e] = streams;
    cmd.stdin(i).stdout(o).stderr(e);
    // The child starts a new life: default signal dispositions come from exec;
    // the mask the interpreter's threads carry must not be inherited.
    // SAFETY: pre_exec runs in the forked child before exec; it only calls
    // async-signal-safe functions (sigemptyset, pthread_sigmask).
    unsafe {
        cmd.pre_exec(|| {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::pthread_sigmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
            Ok(())
        });
    }
    conc_interpreter::stdio::flush_stdout();
    let child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            let name = Some(argv[0].clone());
            return Err(os_error_with(vm, &e, name, None));
        }
    };
    let pid = child.id() as i64;
    // The child is reaped by `reap`, not by std: dropping `Child` does not wait.
    drop(child);
    // SAFETY: pidfd_open(2) takes a pid and flags and returns a new descriptor.
    let pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    if pidfd >= 0 {
        // SAFETY: sets close-on-exec on the descriptor just made.
        unsafe { libc::fcntl(pidfd as i32, libc::F_SETFD, libc::FD_CLOEXEC) };
    }
    Ok(Value::tuple(vec![Value::Int(pid), Value::Int(if pidfd >= 0 { pidfd as i64 } else { -1 })]))
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
