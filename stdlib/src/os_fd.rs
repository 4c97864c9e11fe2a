//! `os` over raw descriptors and file modes: `pipe`, `read`, `write`, `close`, `dup`,
//! `dup2`, the blocking flag, `umask`, `chmod`, `utime`, and the user and group ids.

use crate::os::{check, cstr, DirFd, Path, PathOrFd};
use crate::sys::CInt;
use conc_interpreter::builtins::io::os_error_with;
use conc_interpreter::native::{native, BytesLike};
use conc_interpreter::{Object, PyErr, PyResult, Value, Vm};

/// An OSError from errno, naming no file (as CPython's descriptor functions).
fn errno_error(vm: &mut Vm) -> PyErr {
    os_error_with(vm, &std::io::Error::last_os_error(), None, None)
}

/// Before a read or write on a blocking descriptor (a pipe, a terminal) that is
/// not ready, waits for it through the blocking layer, so Ctrl-C interrupts the
/// wait and other threads run on. A non-blocking descriptor is left to fail with
/// EAGAIN, and a descriptor `poll` cannot watch is left to the call itself.
fn wait_ready(vm: &mut Vm, fd: i32, events: i16, what: &str) -> PyResult<()> {
    // SAFETY: fcntl(2) F_GETFL on a plain descriptor number.
    let fl = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if fl < 0 || fl & libc::O_NONBLOCK != 0 {
        return Ok(());
    }
    let ready = |d: std::time::Duration| crate::socket::wait::poll_one(fd, events, d);
    if ready(std::time::Duration::ZERO) {
        return Ok(());
    }
    vm.wait_in_kernel(None, &|| format!("{what}({fd})"), |slice| ready(slice).then_some(()))?;
    Ok(())
}

/// Create a pipe; both ends are non-inheritable, as in CPython.
#[native("posix.pipe()")]
pub fn pipe(vm: &mut Vm) -> PyResult<Value> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: pipe2(2) writes two descriptors into the array we own.
    check(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }).map_err(|_| errno_error(vm))?;
    Ok(Value::tuple(vec![Value::Int(fds[0] as i64), Value::Int(fds[1] as i64)]))
}

/// Read from a file descriptor.  Returns a bytes object.
#[native("posix.read(fd, length, /)", style = "tuple")]
pub fn read(vm: &mut Vm, fd: CInt, length: i64) -> PyResult<Value> {
    if length < 0 {
        return Err(os_error_with(vm, &std::io::Error::from_raw_os_error(libc::EINVAL), None, None));
    }
    wait_ready(vm, fd.0, libc::POLLIN, "os.read")?;
    let mut buf = vec![0u8; length as usize];
    // SAFETY: read(2) writes at most `length` bytes into the buffer we own.
    let n = unsafe { libc::read(fd.0, buf.as_mut_ptr().cast(), buf.len()) };
    if n < 0 {
        return Err(errno_error(vm));
    }
    buf.truncate(n as usize);
    Ok(Value::new(Object::Bytes(buf.into_boxed_slice())))
}

/// Write a bytes object to a file descriptor.
#[native("posix.write(fd, data, /)", style = "tuple")]
pub fn write(vm: &mut Vm, fd: CInt, data: BytesLike) -> PyResult<i64> {
    wait_ready(vm, fd.0, libc::POLLOUT, "os.write")?;
    // SAFETY: write(2) reads `data.len()` bytes from the slice we hold.
    let n = unsafe { libc::write(fd.0, data.as_ptr().cast(), data.len()) };
    if n < 0 {
        return Err(errno_error(vm));
    }
    Ok(n as i64)
}

/// Close a file descriptor.
#[native("posix.close(fd)")]
pub fn close(vm: &mut Vm, fd: CInt) -> PyResult<()> {
    // SAFETY: close(2) takes a plain descriptor; the script owns it, as in CPython.
    check(unsafe { libc::close(fd.0) }).map_err(|_| errno_error(vm))
}

/// Return a duplicate of a file descriptor (non-inheritable).
#[native("posix.dup(fd, /)", style = "tuple")]
pub fn dup(vm: &mut Vm, fd: CInt) -> PyResult<i64> {
    // SAFETY: fcntl(2) with F_DUPFD_CLOEXEC takes plain integers.
    let r = unsafe { libc::fcntl(fd.0, libc::F_DUPFD_CLOEXEC, 0) };
    check(r).map_err(|_| errno_error(vm))?;
    Ok(r as i64)
}

/// Duplicate file descriptor.
#[native("posix.dup2(fd, fd2, inheritable=True)")]
pub fn dup2(vm: &mut Vm, fd: CInt, fd2: CInt, inheritable: bool) -> PyResult<i64> {
    let flags = if inheritable { 0 } else { libc::O_CLOEXEC };
    // SAFETY: dup2(2)/dup3(2) take plain descriptors.
    let r = unsafe {
        if fd.0 == fd2.0 {
            libc::fcntl(fd.0, libc::F_GETFD)
        } else if inheritable {
            libc::dup2(fd.0, fd2.0)
        } else {
            libc::dup3(fd.0, fd2.0, flags)
        }
    };
    check(r).map_err(|_| errno_error(vm))?;
    Ok(fd2.0 as i64)
}

fn status_flags(vm: &mut Vm, fd: i32) -> PyResult<libc::c_int> {
    // SAFETY: fcntl(2) with F_GETFL takes plain integers.
    let r = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    check(r).map_err(|_| errno_error(vm))?;
    Ok(r)
}

/// Get the blocking mode of the file descriptor.
#[native("posix.get_blocking(fd, /)", style = "tuple")]
pub fn get_blocking(vm: &mut Vm, fd: CInt) -> PyResult<bool> {
    Ok(status_flags(vm, fd.0)? & libc::O_NONBLOCK == 0)
}

/// Set the blocking mode of the specified file descriptor.
#[native("posix.set_blocking(fd, blocking, /)", style = "tuple")]
pub fn set_blocking(vm: &mut Vm, fd: CInt, blocking: bool) -> PyResult<()> {
    let old = status_flags(vm, fd.0)?;
    let new = if blocking { old & !libc::O_NONBLOCK } else { old | libc::O_NONBLOCK };
    // SAFETY: fcntl(2) with F_SETFL takes plain integers.
    check(unsafe { libc::fcntl(fd.0, libc::F_SETFL, new) }).map_err(|_| errno_error(vm))
}

/// Return the current process's user id.
#[native("posix.getuid()")]
pub fn getuid(_vm: &mut Vm) -> PyResult<i64> {
    // SAFETY: getuid(2) cannot fail and touches no memory of ours.
    Ok(unsafe { libc::getuid() } as i64)
}

/// Return the current process's group id.
#[native("posix.getgid()")]
pub fn getgid(_vm: &mut Vm) -> PyResult<i64> {
    // SAFETY: getgid(2) cannot fail and touches no memory of ours.
    Ok(unsafe { libc::getgid() } as i64)
}

/// Set the current numeric umask and return the previous umask.
#[native("posix.umask(mask, /)", style = "tuple")]
pub fn umask(_vm: &mut Vm, mask: CInt) -> PyResult<i64> {
    // SAFETY: umask(2) cannot fail and touches no memory of ours.
    Ok(unsafe { libc::umask(mask.0 as libc::mode_t) } as i64)
}

/// Change the access permissions of a file.
#[native("posix.chmod(path, mode, *, dir_fd=None, follow_symlinks=True)")]
pub fn chmod(vm: &mut Vm, path: PathOrFd, mode: CInt, dir_fd: Option<DirFd>, follow_symlinks: bool) -> PyResult<()> {
    match path {
        PathOrFd::Path(p) => {
            let c = cstr(&p);
            let fd = dir_fd.map(|d| d.0).unwrap_or(libc::AT_FDCWD);
            let flags = if follow_symlinks { 0 } else { libc::AT_SYMLINK_NOFOLLOW };
            // SAFETY: fchmodat(2) reads the NUL-terminated path we own.
            check(unsafe { libc::fchmodat(fd, c.as_ptr(), mode.0 as libc::mode_t, flags) }).map_err(|e| p.error(vm, &e))
        }
        PathOrFd::Fd(fd) => {
            // SAFETY: fchmod(2) takes plain integers.
            check(unsafe { libc::fchmod(fd, mode.0 as libc::mode_t) })
                .map_err(|e| os_error_with(vm, &e, Some(Value::Int(fd as i64)), None))
        }
    }
}

/// Seconds (int or float) as a `timespec`, rounding toward minus infinity.
fn timespec_of(vm: &mut Vm, v: &Value) -> PyResult<libc::timespec> {
    if let Value::Float(f) = v.unwrap_base() {
        let s = f.floor();
        let ns = ((f - s) * 1e9).round() as i64;
        return Ok(libc::timespec { tv_sec: s as libc::time_t, tv_nsec: ns.min(999_999_999) });
    }
    let s = vm.index_value(v)?;
    Ok(libc::timespec { tv_sec: s as libc::time_t, tv_nsec: 0 })
}

/// A 2-tuple of the given kind's items, or CPython's message.
fn pair(vm: &mut Vm, v: &Value, msg: &str) -> PyResult<(Value, Value)> {
    match v.as_tuple() {
        Some(t) if t.len() == 2 => Ok((t.items()[0].clone(), t.items()[1].clone())),
        _ => Err(vm.type_error(msg)),
    }
}

/// Set the access and modified time of path.
#[native("posix.utime(path, times=None, *, ns=None, dir_fd=None, follow_symlinks=True)")]
pub fn utime(
    vm: &mut Vm,
    path: Path,
    times: Value,
    ns: Value,
    dir_fd: Option<DirFd>,
    follow_symlinks: bool,
) -> PyResult<()> {
    if !times.is_none() && !ns.is_none() {
        return Err(vm.value_error("utime: you may specify either 'times' or 'ns' but not both"));
    }
    let now = libc::timespec { tv_sec: 0, tv_nsec: libc::UTIME_NOW };
    let mut ts = [now, now];
    if !times.is_none() {
        let (a, m) = pair(vm, &times, "utime: 'times' must be either a tuple of two ints or None")?;
        ts = [timespec_of(vm, &a)?, timespec_of(vm, &m)?];
    } else if !ns.is_none() {
        let (a, m) = pair(vm, &ns, "utime: 'ns' must be a tuple of two ints")?;
        let mut out = [now, now];
        for (slot, v) in out.iter_mut().zip([a, m]) {
            let n = vm.index_value(&v)?;
            *slot = libc::timespec { tv_sec: n.div_euclid(1_000_000_000), tv_nsec: n.rem_euclid(1_000_000_000) };
        }
        ts = out;
    }
    let c = cstr(&path);
    let fd = dir_fd.map(|d| d.0).unwrap_or(libc::AT_FDCWD);
    let flags = if follow_symlinks { 0 } else { libc::AT_SYMLINK_NOFOLLOW };
    // SAFETY: utimensat(2) reads the NUL-terminated path and the two timespecs we own.
    check(unsafe { libc::utimensat(fd, c.as_ptr(), ts.as_ptr(), flags) }).map_err(|e| path.error(vm, &e))
}
