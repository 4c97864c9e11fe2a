//! The rest of `posix` (the module behind `os`): links, `access`, raw `open` with
//! its `O_*` flags, `lseek`/`fsync`/`truncate`, the process environment as the
//! kernel's (`putenv`/`unsetenv`), process groups and sessions, terminal size,
//! `statvfs`, `times`, load average and affinity. `os.conc` builds the Python-level
//! pieces (`environ`, `walk`, `scandir`, `terminal_size`, ...) on these.

use crate::os::{check, cstr, DirFd, Path, PathOrFd};
use crate::sys::CInt;
use crate::util::{natives, set};
use conc_interpreter::builtins::io::os_error_with;
use conc_interpreter::native::native;
use conc_interpreter::{ObjRef, Object, PyErr, PyResult, Value, Vm};
use std::os::unix::ffi::OsStrExt;

const CONSTANTS: &[(&str, i64)] = &[
    ("O_RDONLY", libc::O_RDONLY as i64),
    ("O_WRONLY", libc::O_WRONLY as i64),
    ("O_RDWR", libc::O_RDWR as i64),
    ("O_APPEND", libc::O_APPEND as i64),
    ("O_CREAT", libc::O_CREAT as i64),
    ("O_EXCL", libc::O_EXCL as i64),
    ("O_TRUNC", libc::O_TRUNC as i64),
    ("O_NONBLOCK", libc::O_NONBLOCK as i64),
    ("O_NDELAY", libc::O_NDELAY as i64),
    ("O_SYNC", libc::O_SYNC as i64),
    ("O_DSYNC", libc::O_DSYNC as i64),
    ("O_NOCTTY", libc::O_NOCTTY as i64),
    ("O_CLOEXEC", libc::O_CLOEXEC as i64),
    ("O_DIRECTORY", libc::O_DIRECTORY as i64),
    ("O_NOFOLLOW", libc::O_NOFOLLOW as i64),
    ("O_ACCMODE", libc::O_ACCMODE as i64),
    ("O_TMPFILE", libc::O_TMPFILE as i64),
    ("O_PATH", libc::O_PATH as i64),
    ("O_NOATIME", libc::O_NOATIME as i64),
    ("F_OK", libc::F_OK as i64),
    ("R_OK", libc::R_OK as i64),
    ("W_OK", libc::W_OK as i64),
    ("X_OK", libc::X_OK as i64),
    ("SEEK_SET", libc::SEEK_SET as i64),
    ("SEEK_CUR", libc::SEEK_CUR as i64),
    ("SEEK_END", libc::SEEK_END as i64),
    ("WUNTRACED", libc::WUNTRACED as i64),
    ("WCONTINUED", libc::WCONTINUED as i64),
    ("EX_OK", 0),
    ("P_PID", libc::P_PID as i64),
    ("P_ALL", libc::P_ALL as i64),
];

pub fn init(_vm: &mut Vm, m: &ObjRef) -> PyResult<()> {
    for (name, v) in CONSTANTS {
        set(m, name, Value::Int(*v));
    }
    natives(
        m,
        &[
            &symlink::DEF,
            &readlink::DEF,
            &link::DEF,
            &access::DEF,
            &open::DEF,
            &lseek::DEF,
            &fsync::DEF,
            &ftruncate::DEF,
            &truncate::DEF,
            &putenv::DEF,
            &unsetenv::DEF,
            &get_terminal_size::DEF,
            &getpgid::DEF,
            &getpgrp::DEF,
            &setsid::DEF,
            &killpg::DEF,
            &geteuid::DEF,
            &getegid::DEF,
            &isatty::DEF,
            &strerror::DEF,
            &statvfs::DEF,
            &times::DEF,
            &getloadavg::DEF,
            &sched_getaffinity::DEF,
            &get_inheritable::DEF,
            &set_inheritable::DEF,
            &wifstopped::DEF,
            &wstopsig::DEF,
            &wcoredump::DEF,
            &nice::DEF,
        ],
    );
    Ok(())
}

fn errno_error(vm: &mut Vm) -> PyErr {
    os_error_with(vm, &std::io::Error::last_os_error(), None, None)
}

fn at(d: Option<DirFd>) -> libc::c_int {
    d.map(|d| d.0).unwrap_or(libc::AT_FDCWD)
}

/// Create a symbolic link pointing to src named dst.
#[native("posix.symlink(src, dst, target_is_directory=False, *, dir_fd=None)")]
fn symlink(vm: &mut Vm, src: Path, dst: Path, target_is_directory: bool, dir_fd: Option<DirFd>) -> PyResult<()> {
    let _ = target_is_directory;
    let (a, b) = (cstr(&src), cstr(&dst));
    // SAFETY: symlinkat(2) reads the two NUL-terminated paths we own.
    check(unsafe { libc::symlinkat(a.as_ptr(), at(dir_fd), b.as_ptr()) })
        .map_err(|e| os_error_with(vm, &e, Some(src.value.clone()), Some(dst.value.clone())))
}

/// Return a string representing the path to which the symbolic link points.
#[native("posix.readlink(path, *, dir_fd=None)")]
fn readlink(vm: &mut Vm, path: Path, dir_fd: Option<DirFd>) -> PyResult<Value> {
    let c = cstr(&path);
    let mut buf = vec![0u8; 4096];
    // SAFETY: readlinkat(2) writes at most `buf.len()` bytes into the buffer we own.
    let n = unsafe { libc::readlinkat(at(dir_fd), c.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    if n < 0 {
        return Err(path.error(vm, &std::io::Error::last_os_error()));
    }
    buf.truncate(n as usize);
    Ok(if path.is_bytes() {
        Value::new(Object::Bytes(buf.into_boxed_slice()))
    } else {
        Value::string(std::ffi::OsStr::from_bytes(&buf).to_string_lossy().into_owned())
    })
}

/// Create a hard link to a file.
#[native("posix.link(src, dst, *, src_dir_fd=None, dst_dir_fd=None, follow_symlinks=True)")]
fn link(
    vm: &mut Vm,
    src: Path,
    dst: Path,
    src_dir_fd: Option<DirFd>,
    dst_dir_fd: Option<DirFd>,
    follow_symlinks: bool,
) -> PyResult<()> {
    let (a, b) = (cstr(&src), cstr(&dst));
    let flags = if follow_symlinks { libc::AT_SYMLINK_FOLLOW } else { 0 };
    // SAFETY: linkat(2) reads the two NUL-terminated paths we own.
    check(unsafe { libc::linkat(at(src_dir_fd), a.as_ptr(), at(dst_dir_fd), b.as_ptr(), flags) })
        .map_err(|e| os_error_with(vm, &e, Some(src.value.clone()), Some(dst.value.clone())))
}

/// Use the real uid/gid to test for access to a path.
#[native("posix.access(path, mode, *, dir_fd=None, effective_ids=False, follow_symlinks=True)")]
fn access(
    _vm: &mut Vm,
    path: Path,
    mode: CInt,
    dir_fd: Option<DirFd>,
    effective_ids: bool,
    follow_symlinks: bool,
) -> PyResult<bool> {
    let c = cstr(&path);
    let mut flags = if effective_ids { libc::AT_EACCESS } else { 0 };
    if !follow_symlinks {
        flags |= libc::AT_SYMLINK_NOFOLLOW;
    }
    // SAFETY: faccessat(2) reads the NUL-terminated path we own.
    Ok(unsafe { libc::faccessat(at(dir_fd), c.as_ptr(), mode.0, flags) } == 0)
}

/// Open a file for low level IO.  Returns a file descriptor (integer).
#[native("posix.open(path, flags, mode=511, *, dir_fd=None)")]
fn open(vm: &mut Vm, path: Path, flags: CInt, mode: CInt, dir_fd: Option<DirFd>) -> PyResult<i64> {
    let c = cstr(&path);
    // Descriptors are non-inheritable unless the script says otherwise (PEP 446).
    // SAFETY: openat(2) reads the NUL-terminated path we own.
    let fd = unsafe { libc::openat(at(dir_fd), c.as_ptr(), flags.0 | libc::O_CLOEXEC, mode.0 as libc::c_uint) };
    if fd < 0 {
        return Err(path.error(vm, &std::io::Error::last_os_error()));
    }
    Ok(fd as i64)
}

/// Set the position of a file descriptor.  Return the new position.
#[native("posix.lseek(fd, position, whence, /)", style = "tuple")]
fn lseek(vm: &mut Vm, fd: CInt, position: i64, whence: CInt) -> PyResult<i64> {
    // SAFETY: lseek(2) takes plain integers.
    let r = unsafe { libc::lseek(fd.0, position, whence.0) };
    if r < 0 {
        return Err(errno_error(vm));
    }
    Ok(r)
}

/// A descriptor argument: an int, or an object with `fileno()` (as `fsync` takes).
fn fileno_of(vm: &mut Vm, v: &Value) -> PyResult<i32> {
    let fd = crate::select::fd_of(vm, v)?;
    Ok(fd)
}

/// Force write of fd to disk.
#[native("posix.fsync(fd)")]
fn fsync(vm: &mut Vm, fd: &Value) -> PyResult<()> {
    let fd = fileno_of(vm, fd)?;
    // SAFETY: fsync(2) takes a plain descriptor.
    check(unsafe { libc::fsync(fd) }).map_err(|_| errno_error(vm))
}

/// Truncate a file, specified by file descriptor, to a specific length.
#[native("posix.ftruncate(fd, length, /)", style = "tuple")]
fn ftruncate(vm: &mut Vm, fd: CInt, length: i64) -> PyResult<()> {
    // SAFETY: ftruncate(2) takes plain integers.
    check(unsafe { libc::ftruncate(fd.0, length) }).map_err(|_| errno_error(vm))
}

/// Truncate a file, specified by path, to a specific length.
#[native("posix.truncate(path, length)")]
fn truncate(vm: &mut Vm, path: PathOrFd, length: i64) -> PyResult<()> {
    match path {
        PathOrFd::Fd(fd) => ftruncate(vm, CInt(fd), length),
        PathOrFd::Path(p) => {
            let c = cstr(&p);
            // SAFETY: truncate(2) reads the NUL-terminated path we own.
            check(unsafe { libc::truncate(c.as_ptr(), length) }).map_err(|e| p.error(vm, &e))
        }
    }
}

/// An environment variable's name or value: a str or bytes with no NUL.
fn env_text(vm: &mut Vm, v: &Value, what: &str) -> PyResult<std::ffi::OsString> {
    let bytes: Vec<u8> = match v.unwrap_base().obj() {
        Some(Object::Str(s)) => s.as_str().as_bytes().to_vec(),
        Some(Object::Bytes(b)) => b.to_vec(),
        _ => {
            let _ = what;
            let msg = format!("expected str, bytes or os.PathLike object, not {}", vm.type_name(v));
            return Err(vm.type_error(&msg));
        }
    };
    if bytes.contains(&0) {
        return Err(vm.value_error("embedded null byte"));
    }
    Ok(std::ffi::OsStr::from_bytes(&bytes).to_os_string())
}

/// Change or add an environment variable.
#[native("posix.putenv(name, value, /)", style = "tuple")]
fn putenv(vm: &mut Vm, name: &Value, value: &Value) -> PyResult<()> {
    let k = env_text(vm, name, "putenv")?;
    let v = env_text(vm, value, "putenv")?;
    if k.is_empty() || k.as_bytes().contains(&b'=') {
        return Err(vm.value_error("illegal environment variable name"));
    }
    // SAFETY: the environment is changed as CPython's putenv changes it; native code
    // reading it concurrently is the script's race, as in CPython.
    unsafe { std::env::set_var(k, v) };
    Ok(())
}

/// Delete an environment variable.
#[native("posix.unsetenv(name, /)", style = "tuple")]
fn unsetenv(vm: &mut Vm, name: &Value) -> PyResult<()> {
    let k = env_text(vm, name, "unsetenv")?;
    if k.is_empty() || k.as_bytes().contains(&b'=') {
        // unsetenv(3)'s own answer for such a name.
        return Err(os_error_with(vm, &std::io::Error::from_raw_os_error(libc::EINVAL), None, None));
    }
    // SAFETY: as for putenv.
    unsafe { std::env::remove_var(k) };
    Ok(())
}

/// Return the size of the terminal window as (columns, lines).
#[native("posix._get_terminal_size(fd=1, /)", style = "tuple")]
fn get_terminal_size(vm: &mut Vm, fd: CInt) -> PyResult<Value> {
    // SAFETY: `winsize` is four integers; all-zero bytes are a valid value.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    // SAFETY: TIOCGWINSZ writes one winsize into the struct we own.
    check(unsafe { libc::ioctl(fd.0, libc::TIOCGWINSZ, &mut ws) }).map_err(|_| errno_error(vm))?;
    Ok(Value::tuple(vec![Value::Int(ws.ws_col as i64), Value::Int(ws.ws_row as i64)]))
}

/// Call the system call getpgid(), and return the result.
#[native("posix.getpgid(pid, /)", style = "tuple")]
fn getpgid(vm: &mut Vm, pid: CInt) -> PyResult<i64> {
    // SAFETY: getpgid(2) takes a plain integer.
    let r = unsafe { libc::getpgid(pid.0) };
    if r < 0 {
        return Err(errno_error(vm));
    }
    Ok(r as i64)
}

/// Return the current process group id.
#[native("posix.getpgrp()")]
fn getpgrp(_vm: &mut Vm) -> PyResult<i64> {
    // SAFETY: getpgrp(2) cannot fail.
    Ok(unsafe { libc::getpgrp() } as i64)
}

/// Call the system call setsid().
#[native("posix.setsid()")]
fn setsid(vm: &mut Vm) -> PyResult<()> {
    // SAFETY: setsid(2) takes no arguments.
    check(unsafe { libc::setsid() }).map_err(|_| errno_error(vm))
}

/// Kill a process group with a signal.
#[native("posix.killpg(pgid, signal, /)", style = "tuple")]
fn killpg(vm: &mut Vm, pgid: CInt, signal: CInt) -> PyResult<()> {
    // SAFETY: killpg(3) takes plain integers.
    check(unsafe { libc::killpg(pgid.0, signal.0) }).map_err(|_| errno_error(vm))
}

/// Return the current process's effective user id.
#[native("posix.geteuid()")]
fn geteuid(_vm: &mut Vm) -> PyResult<i64> {
    // SAFETY: geteuid(2) cannot fail.
    Ok(unsafe { libc::geteuid() } as i64)
}

/// Return the current process's effective group id.
#[native("posix.getegid()")]
fn getegid(_vm: &mut Vm) -> PyResult<i64> {
    // SAFETY: getegid(2) cannot fail.
    Ok(unsafe { libc::getegid() } as i64)
}

/// Return True if the fd is connected to a terminal.
#[native("posix.isatty(fd, /)", style = "tuple")]
fn isatty(_vm: &mut Vm, fd: CInt) -> PyResult<bool> {
    // SAFETY: isatty(3) takes a plain descriptor.
    Ok(unsafe { libc::isatty(fd.0) } == 1)
}

/// Translate an error code to a message string.
#[native("posix.strerror(code, /)", style = "tuple")]
fn strerror(_vm: &mut Vm, code: CInt) -> PyResult<String> {
    let text = std::io::Error::from_raw_os_error(code.0).to_string();
    let suffix = format!(" (os error {})", code.0);
    Ok(text.strip_suffix(&suffix).unwrap_or(&text).to_string())
}

/// statvfs(2) as a tuple in `os.statvfs_result`'s field order.
#[native("posix._statvfs(path)")]
fn statvfs(vm: &mut Vm, path: PathOrFd) -> PyResult<Value> {
    // SAFETY: `statvfs` is plain C data (integers only); all-zero bytes are valid.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    let r = match &path {
        PathOrFd::Path(p) => {
            let c = cstr(p);
            // SAFETY: statvfs(3) reads our NUL-terminated path, writes into `st`.
            check(unsafe { libc::statvfs(c.as_ptr(), &mut st) }).map_err(|e| p.error(vm, &e))
        }
        // SAFETY: fstatvfs(3) writes into `st`.
        PathOrFd::Fd(fd) => check(unsafe { libc::fstatvfs(*fd, &mut st) }).map_err(|_| errno_error(vm)),
    };
    r?;
    let f = [
        st.f_bsize as i64,
        st.f_frsize as i64,
        st.f_blocks as i64,
        st.f_bfree as i64,
        st.f_bavail as i64,
        st.f_files as i64,
        st.f_ffree as i64,
        st.f_favail as i64,
        st.f_flag as i64,
        st.f_namemax as i64,
        st.f_fsid as i64,
    ];
    Ok(Value::tuple(f.iter().map(|v| Value::Int(*v)).collect()))
}

/// times(2) as (user, system, children_user, children_system, elapsed) seconds.
#[native("posix._times()")]
fn times(_vm: &mut Vm) -> PyResult<Value> {
    // SAFETY: `tms` is four clock_t integers; all-zero bytes are valid.
    let mut t: libc::tms = unsafe { std::mem::zeroed() };
    // SAFETY: times(2) writes into the struct we own.
    let elapsed = unsafe { libc::times(&mut t) };
    // SAFETY: sysconf(3) with a constant name.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let v = [t.tms_utime, t.tms_stime, t.tms_cutime, t.tms_cstime, elapsed];
    Ok(Value::tuple(v.iter().map(|c| Value::Float(*c as f64 / hz)).collect()))
}

/// Return the number of processes in the system run queue averaged over the last
/// 1, 5, and 15 minutes as a tuple of three floats.
#[native("posix.getloadavg()")]
fn getloadavg(vm: &mut Vm) -> PyResult<Value> {
    let mut l = [0f64; 3];
    // SAFETY: getloadavg(3) writes at most 3 doubles into the array we own.
    if unsafe { libc::getloadavg(l.as_mut_ptr(), 3) } != 3 {
        return Err(vm.error(conc_interpreter::native::Exc::OSError, "Load averages are unobtainable"));
    }
    Ok(Value::tuple(l.iter().map(|v| Value::Float(*v)).collect()))
}

/// Return the affinity of the process identified by pid (or the current process if
/// zero).
#[native("posix._sched_getaffinity(pid, /)", style = "tuple")]
fn sched_getaffinity(vm: &mut Vm, pid: CInt) -> PyResult<Value> {
    // SAFETY: `cpu_set_t` is a plain bit array; all-zero bytes are the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: sched_getaffinity(2) writes at most size_of::<cpu_set_t>() bytes.
    let r = unsafe { libc::sched_getaffinity(pid.0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
    check(r).map_err(|_| errno_error(vm))?;
    let cpus = (0..libc::CPU_SETSIZE as usize)
        // SAFETY: CPU_ISSET reads one bit of the set we own; `cpu` is in range.
        .filter(|cpu| unsafe { libc::CPU_ISSET(*cpu, &set) })
        .map(|cpu| Value::Int(cpu as i64))
        .collect();
    Ok(Value::list(cpus))
}

fn fd_flags(vm: &mut Vm, fd: i32) -> PyResult<i32> {
    // SAFETY: fcntl(2) F_GETFD on a plain descriptor.
    let f = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    if f < 0 {
        return Err(errno_error(vm));
    }
    Ok(f)
}

/// Get the close-on-exe flag of the specified file descriptor.
#[native("posix.get_inheritable(fd, /)", style = "tuple")]
fn get_inheritable(vm: &mut Vm, fd: CInt) -> PyResult<bool> {
    Ok(fd_flags(vm, fd.0)? & libc::FD_CLOEXEC == 0)
}

/// Set the inheritable flag of the specified file descriptor.
#[native("posix.set_inheritable(fd, inheritable, /)", style = "tuple")]
fn set_inheritable(vm: &mut Vm, fd: CInt, inheritable: bool) -> PyResult<()> {
    let f = fd_flags(vm, fd.0)?;
    let want = if inheritable { f & !libc::FD_CLOEXEC } else { f | libc::FD_CLOEXEC };
    // SAFETY: fcntl(2) F_SETFD with an integer flag word.
    check(unsafe { libc::fcntl(fd.0, libc::F_SETFD, want) }).map_err(|_| errno_error(vm))
}

/// Return True if the process returning status was stopped.
#[native("posix.WIFSTOPPED(status)")]
fn wifstopped(_vm: &mut Vm, status: CInt) -> PyResult<bool> {
    Ok(libc::WIFSTOPPED(status.0))
}

/// Return the signal that stopped the process that provided the status value.
#[native("posix.WSTOPSIG(status)")]
fn wstopsig(_vm: &mut Vm, status: CInt) -> PyResult<i64> {
    Ok(libc::WSTOPSIG(status.0) as i64)
}

/// Return True if the process returning status was dumped to a core file.
#[native("posix.WCOREDUMP(status, /)")]
fn wcoredump(_vm: &mut Vm, status: CInt) -> PyResult<bool> {
    Ok(libc::WCOREDUMP(status.0))
}

/// Add increment to the priority of process and return the new priority.
#[native("posix.nice(increment, /)", style = "tuple")]
fn nice(vm: &mut Vm, increment: CInt) -> PyResult<i64> {
    // SAFETY: errno is thread-local; nice(2) may legitimately return -1.
    unsafe { *libc::__errno_location() = 0 };
    // SAFETY: nice(2) takes a plain integer.
    let r = unsafe { libc::nice(increment.0) };
    if r == -1 && std::io::Error::last_os_error().raw_os_error().unwrap_or(0) != 0 {
        return Err(errno_error(vm));
    }
    Ok(r as i64)
}
