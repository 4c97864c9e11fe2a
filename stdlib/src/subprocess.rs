//! `_subprocess`: what `subprocess.conc` needs from the OS. `spawn` starts a child
//! with `std::process::Command` (its fork/exec or posix_spawn, its exec-error pipe,
//! its reset signal mask); `wait` waits for the child to end through the blocking
//! layer, watching a pidfd (or polling `waitpid` where pidfds are missing), so
//! Ctrl-C interrupts it and threads wait in parallel; `pump` moves input into the
//! child's stdin and reads its stdout and stderr at once, for `communicate`.

use crate::sys::CInt;
use crate::util::natives;
use conc_interpreter::builtins::io::os_error_with;
use conc_interpreter::native::{native, BytesLike};
use conc_interpreter::{ObjRef, Object, PyResult, Value, Vm};
use std::ffi::OsString;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStringExt;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::Duration;

pub fn init(_vm: &mut Vm, m: &ObjRef) -> PyResult<()> {
    natives(m, &[&spawn::DEF, &wait::DEF, &pump::DEF]);
    Ok(())
}

/// A str or bytes argument as the OS sees it.
pub(crate) fn os_text(vm: &mut Vm, v: &Value) -> PyResult<OsString> {
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

fn items(vm: &mut Vm, v: &Value) -> PyResult<Vec<Value>> {
    match (v.as_list(), v.as_tuple()) {
        (Some(l), _) => Ok(l.snapshot()),
        (_, Some(t)) => Ok(t.items().to_vec()),
        _ => Err(vm.type_error("expected a list or tuple")),
    }
}

/// The child's end of a standard stream: -1 inherits ours, another number is a
/// descriptor the child gets a copy of.
pub(crate) fn stdio_for(vm: &mut Vm, fd: i32) -> PyResult<Stdio> {
    if fd < 0 {
        return Ok(Stdio::inherit());
    }
    // SAFETY: fcntl(2) duplicates a plain descriptor number.
    let dup = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3) };
    if dup < 0 {
        return Err(os_error_with(vm, &std::io::Error::last_os_error(), None, None));
    }
    // SAFETY: `dup` is a fresh descriptor nobody else owns; Stdio closes it.
    Ok(Stdio::from(unsafe { OwnedFd::from_raw_fd(dup) }))
}

/// Start a child: (pid, pidfd or -1). `env` is None (inherit ours) or a list of
/// (name, value) pairs; `cwd` None or a directory.
#[native(
    "_subprocess.spawn(program, argv, cwd, env, stdin, stdout, stderr, close_fds, pass_fds, start_new_session, process_group)"
)]
#[allow(clippy::too_many_arguments)]
fn spawn(
    vm: &mut Vm,
    program: &Value,
    argv: &Value,
    cwd: &Value,
    env: &Value,
    stdin: CInt,
    stdout: CInt,
    stderr: CInt,
    close_fds: bool,
    pass_fds: &Value,
    start_new_session: bool,
    process_group: i64,
) -> PyResult<Value> {
    let prog = os_text(vm, program)?;
    let mut cmd = Command::new(&prog);
    let args = items(vm, argv)?;
    let mut first = true;
    for a in &args {
        let a = os_text(vm, a)?;
        if first {
            cmd.arg0(a);
            first = false;
        } else {
            cmd.arg(a);
        }
    }
    if !cwd.is_none() {
        let dir = os_text(vm, cwd)?;
        // The child's chdir error would look like an exec error: check it here, so
        // the error names the directory as CPython's does.
        if let Err(e) = std::fs::read_dir(&dir) {
            return Err(os_error_with(vm, &e, Some(cwd.clone()), None));
        }
        cmd.current_dir(dir);
    }
    if !env.is_none() {
        cmd.env_clear();
        for pair in items(vm, env)? {
            let kv = items(vm, &pair)?;
            if kv.len() != 2 {
                return Err(vm.type_error("env items must be (name, value) pairs"));
            }
            let (k, v) = (os_text(vm, &kv[0])?, os_text(vm, &kv[1])?);
            if k.is_empty() || k.as_encoded_bytes().contains(&b'=') {
                return Err(vm.value_error("illegal environment variable name"));
            }
            cmd.env(k, v);
        }
    }
    cmd.stdin(stdio_for(vm, stdin.0)?);
    cmd.stdout(stdio_for(vm, stdout.0)?);
    cmd.stderr(stdio_for(vm, stderr.0)?);
    let mut keep = Vec::new();
    for v in items(vm, pass_fds)? {
        keep.push(vm.index_value(&v)? as i32);
    }
    keep.sort_unstable();
    if process_group >= 0 {
        cmd.process_group(process_group as i32);
    }
    if start_new_session || close_fds || !keep.is_empty() {
        let hook = move || -> std::io::Result<()> {
            if start_new_session {
                // SAFETY: setsid(2) is async-signal-safe.
                unsafe { libc::setsid() };
            }
            if close_fds {
                // Every descriptor above 2 but `pass_fds` is made close-on-exec,
                // so exec closes them (closing them here would also close the
                // pipe Command reports exec errors on).
                let mut from = 3u32;
                for &fd in keep.iter().filter(|fd| **fd >= 3) {
                    if fd as u32 > from {
                        // SAFETY: close_range(2) with plain integers, in the child.
                        unsafe { libc::syscall(libc::SYS_close_range, from, fd as u32 - 1, libc::CLOSE_RANGE_CLOEXEC) };
                    }
                    from = fd as u32 + 1;
                }
                // SAFETY: as above.
                unsafe { libc::syscall(libc::SYS_close_range, from, u32::MAX, libc::CLOSE_RANGE_CLOEXEC) };
            }
            for &fd in &keep {
                // SAFETY: fcntl(2) is async-signal-safe; the flag word is an integer.
                unsafe {
                    let f = libc::fcntl(fd, libc::F_GETFD);
                    if f >= 0 {
                        libc::fcntl(fd, libc::F_SETFD, f & !libc::FD_CLOEXEC);
                    }
                }
            }
            Ok(())
        };
        // SAFETY: the hook runs in the forked child and only makes async-signal-safe
        // system calls (setsid, close_range, fcntl) on data moved into it.
        unsafe { cmd.pre_exec(hook) };
    }
    let (pid, pidfd) = start(vm, cmd, program)?;
    Ok(Value::tuple(vec![Value::Int(pid as i64), Value::Int(pidfd as i64)]))
}

/// Starts a prepared command; shared by `subprocess` and asyncio's child processes.
/// The child starts with an empty signal mask (see `signals::clear_mask_for_exec`:
/// a child started from a worker thread would otherwise never see SIGTERM). Gives
/// the pid and a close-on-exec pidfd (-1 where the kernel has none); the caller
/// reaps the child.
pub(crate) fn start(vm: &mut Vm, mut cmd: Command, program: &Value) -> PyResult<(i32, i32)> {
    // SAFETY: the hook runs in the forked child before exec and only makes
    // async-signal-safe calls.
    unsafe {
        cmd.pre_exec(|| {
            conc_interpreter::signals::clear_mask_for_exec();
            Ok(())
        });
    }
    conc_interpreter::stdio::flush_stdout();
    let child = cmd.spawn().map_err(|e| os_error_with(vm, &e, Some(program.clone()), None))?;
    let pid = child.id() as i32;
    // The caller reaps the child: dropping `Child` does not wait.
    drop(child);
    // SAFETY: pidfd_open(2) takes a pid and flags; the new descriptor is ours.
    let pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) } as i32;
    if pidfd >= 0 {
        // SAFETY: fcntl(2) on the descriptor just made.
        unsafe { libc::fcntl(pidfd, libc::F_SETFD, libc::FD_CLOEXEC) };
    }
    Ok((pid, pidfd.max(-1)))
}

/// `waitpid(pid, WNOHANG)`: Some(status) once the child ended.
fn reap(pid: i32) -> std::io::Result<Option<i32>> {
    let mut status = 0;
    loop {
        // SAFETY: waitpid(2) writes the status into the integer we own.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if r > 0 {
            return Ok(Some(status));
        }
        if r == 0 {
            return Ok(None);
        }
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EINTR) {
            return Err(e);
        }
    }
}

/// Wait for child `pid` to end, at most `timeout` seconds (None: for ever). Returns
/// its wait status, or None when the time ran out. ChildProcessError when another
/// waiter reaped it.
#[native("_subprocess.wait(pid, pidfd, timeout=None)")]
fn wait(vm: &mut Vm, pid: CInt, pidfd: CInt, timeout: Option<f64>) -> PyResult<Option<i64>> {
    let timeout = match timeout {
        Some(t) => Some(vm.seconds(t)?),
        None => None,
    };
    let (pid, pidfd) = (pid.0, pidfd.0);
    let mut failed = None;
    let mut attempt = |slice: Duration| {
        if pidfd >= 0 {
            if !crate::socket::wait::poll_one(pidfd, libc::POLLIN, slice) && !slice.is_zero() {
                return None;
            }
        } else if !slice.is_zero() {
            // Without a pidfd, look a few times per slice.
            std::thread::sleep(slice.min(Duration::from_millis(2)));
        }
        match reap(pid) {
            Ok(Some(st)) => Some(st),
            Ok(None) => None,
            Err(e) => {
                failed = Some(e);
                Some(0)
            }
        }
    };
    let first = attempt(Duration::ZERO);
    let r = match first {
        Some(st) => Some(st),
        None if timeout == Some(Duration::ZERO) => None,
        None => vm.wait_in_kernel(timeout, &|| format!("subprocess pid {pid}"), attempt)?,
    };
    if let Some(e) = failed {
        return Err(os_error_with(vm, &e, None, None));
    }
    Ok(r.map(|s| s as i64))
}

fn set_nonblocking(fd: i32) {
    if fd >= 0 {
        let _ = crate::socket::wait::set_nonblocking(fd, true);
    }
}

/// One round of `communicate`: writes `data[offset:]` to `stdin` (in pieces that
/// never block), reads `stdout` and `stderr`, until all three are done, the input
/// is all written, or `timeout` runs out. Returns (new offset, stdout bytes, stderr bytes, stdout open, stderr
/// open, timed out). A descriptor of -1 is absent; a closed stdin (EPIPE) counts as
/// all written, as in CPython.
#[native("_subprocess.pump(stdin, data, offset, stdout, stderr, timeout=None)")]
fn pump(
    vm: &mut Vm,
    stdin: CInt,
    data: BytesLike,
    offset: i64,
    stdout: CInt,
    stderr: CInt,
    timeout: Option<f64>,
) -> PyResult<Value> {
    let timeout = match timeout {
        Some(t) => Some(vm.seconds(t)?),
        None => None,
    };
    let data: &[u8] = &data;
    let mut off = (offset.max(0) as usize).min(data.len());
    let mut fds = [stdin.0, stdout.0, stderr.0];
    if off >= data.len() {
        fds[0] = -1;
    }
    for fd in fds {
        set_nonblocking(fd);
    }
    let mut out = [Vec::new(), Vec::new()];
    let mut failed: Option<std::io::Error> = None;
    let mut step = |slice: Duration, fds: &mut [i32; 3]| -> bool {
        let mut polls: Vec<libc::pollfd> = fds
            .iter()
            .enumerate()
            .filter(|(_, fd)| **fd >= 0)
            .map(|(i, fd)| libc::pollfd {
                fd: *fd,
                events: if i == 0 { libc::POLLOUT } else { libc::POLLIN },
                revents: 0,
            })
            .collect();
        if polls.is_empty() {
            return true;
        }
        let writing = fds[0] >= 0;
        let ms = slice.as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: `polls` is a valid array of pollfd of the length passed.
        let n = unsafe { libc::poll(polls.as_mut_ptr(), polls.len() as libc::nfds_t, ms) };
        if n <= 0 {
            return false;
        }
        for p in polls.iter().filter(|p| p.revents != 0) {
            let i = fds.iter().position(|fd| *fd == p.fd).unwrap_or(0);
            if i == 0 {
                let end = (off + libc::PIPE_BUF).min(data.len());
                // SAFETY: write(2) reads `end - off` bytes of the slice we hold.
                let w = unsafe { libc::write(p.fd, data[off..].as_ptr().cast(), end - off) };
                if w >= 0 {
                    off += w as usize;
                } else {
                    let e = std::io::Error::last_os_error();
                    match e.raw_os_error() {
                        Some(libc::EAGAIN) | Some(libc::EINTR) => {}
                        Some(libc::EPIPE) => off = data.len(),
                        _ => {
                            failed = Some(e);
                            return true;
                        }
                    }
                }
                if off >= data.len() {
                    fds[0] = -1;
                }
            } else {
                let mut buf = [0u8; 65536];
                // SAFETY: read(2) writes at most buf.len() bytes into our buffer.
                let r = unsafe { libc::read(p.fd, buf.as_mut_ptr().cast(), buf.len()) };
                if r > 0 {
                    out[i - 1].extend_from_slice(&buf[..r as usize]);
                } else if r == 0 {
                    fds[i] = -1;
                } else {
                    let e = std::io::Error::last_os_error();
                    if !matches!(e.raw_os_error(), Some(libc::EAGAIN) | Some(libc::EINTR)) {
                        failed = Some(e);
                        return true;
                    }
                }
            }
        }
        // Finishing the input returns too: the caller closes stdin (the child may
        // wait for that end of file before it ends its output).
        fds.iter().all(|fd| *fd < 0) || (writing && fds[0] < 0)
    };
    let mut timed_out = false;
    if !step(Duration::ZERO, &mut fds) {
        let r = vm.wait_in_kernel(timeout, &|| "subprocess communicate".to_string(), |slice| {
            step(slice, &mut fds).then_some(())
        })?;
        timed_out = r.is_none();
    }
    if let Some(e) = failed {
        return Err(os_error_with(vm, &e, None, None));
    }
    let bytes = |b: &mut Vec<u8>| Value::new(Object::Bytes(std::mem::take(b).into_boxed_slice()));
    let [o, e] = &mut out;
    Ok(Value::tuple(vec![
        Value::Int(off as i64),
        bytes(o),
        bytes(e),
        Value::Bool(fds[1] >= 0),
        Value::Bool(fds[2] >= 0),
        Value::Bool(timed_out),
    ]))
}
