//! How a socket operation waits. Every socket descriptor is non-blocking in the
//! kernel, whatever the script asked for: an operation is tried at once, and when
//! the kernel says it would block, the thread waits for readiness with `poll`
//! through the blocking layer (`Vm::wait_in_kernel`), so Ctrl-C interrupts it, the
//! wait is recorded, no lock is held, and threads wait in parallel. The socket's
//! timeout decides what "would block" means: an error at once (timeout 0), a
//! `TimeoutError('timed out')` after the timeout, or waiting for ever (None).

use conc_interpreter::native::Exc;
use conc_interpreter::{PyErr, PyResult, Vm};
use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// An open descriptor shared by a socket and the files `makefile` made from it: it
/// is closed when the last of them lets it go (CPython's `_io_refs`), unless the
/// socket was detached.
pub struct SockFd {
    pub raw: RawFd,
    keep_open: AtomicBool,
}

impl SockFd {
    pub fn new(raw: RawFd) -> SockFd {
        SockFd { raw, keep_open: AtomicBool::new(false) }
    }

    /// Leaves the descriptor open when this owner goes (`detach`).
    pub fn release(&self) {
        self.keep_open.store(true, Ordering::SeqCst);
    }
}

impl Drop for SockFd {
    fn drop(&mut self) {
        if !self.keep_open.load(Ordering::SeqCst) {
            // SAFETY: this owner is the only one closing `raw`, once, after every user
            // of it (each holds the Arc around this value) has finished.
            unsafe { libc::close(self.raw) };
        }
    }
}

/// Makes `fd` non-blocking (and close-on-exec, as CPython's sockets are).
pub fn set_nonblocking(fd: RawFd, on: bool) -> io::Result<()> {
    // SAFETY: fcntl on a descriptor number with integer arguments only.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags < 0 {
            return Err(io::Error::last_os_error());
        }
        let want = if on { flags | libc::O_NONBLOCK } else { flags & !libc::O_NONBLOCK };
        if want != flags && libc::fcntl(fd, libc::F_SETFL, want) < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// True when `fd` reports any of `events` (or an error or hang-up) within `d`.
pub fn poll_one(fd: RawFd, events: i16, d: Duration) -> bool {
    let mut p = libc::pollfd { fd, events, revents: 0 };
    let ms = d.as_millis().min(i32::MAX as u128) as i32;
    let ms = if ms == 0 && !d.is_zero() { 1 } else { ms };
    // SAFETY: `p` is one valid pollfd on the stack, and the count passed is 1.
    let n = unsafe { libc::poll(&mut p, 1, ms) };
    n > 0 && p.revents != 0
}

/// The timeout a socket works with: None waits for ever, zero never waits.
#[derive(Clone, Copy)]
pub struct Deadline {
    timeout: Option<Duration>,
    end: Option<Instant>,
}

impl Deadline {
    pub fn new(timeout: Option<f64>) -> Deadline {
        let timeout = timeout.map(|t| Duration::from_secs_f64(t.max(0.0)));
        Deadline { timeout, end: None }
    }

    fn nonblocking(&self) -> bool {
        self.timeout == Some(Duration::ZERO)
    }

    /// What remains of the timeout (the clock starts at the first wait).
    fn remaining(&mut self) -> Option<Duration> {
        let t = self.timeout?;
        let end = *self.end.get_or_insert_with(|| Instant::now() + t);
        Some(end.saturating_duration_since(Instant::now()))
    }
}

pub fn timed_out(vm: &mut Vm) -> PyErr {
    vm.error(Exc::TimeoutError, "timed out")
}

pub fn os_err(vm: &mut Vm, e: &io::Error) -> PyErr {
    conc_interpreter::builtins::io::os_error(vm, e, None)
}

pub fn errno_err(vm: &mut Vm, code: i32) -> PyErr {
    os_err(vm, &io::Error::from_raw_os_error(code))
}

/// Why a wait ended without the descriptor becoming ready.
pub enum Waited {
    Ready,
    TimedOut,
    Closed,
}

/// Waits until `fd` reports `events`, through the blocking layer. `closed()` is
/// asked between slices: a socket closed by another thread ends the wait.
pub fn wait_fd(
    vm: &mut Vm,
    fd: RawFd,
    events: i16,
    deadline: &mut Deadline,
    what: &str,
    closed: &dyn Fn() -> bool,
) -> PyResult<Waited> {
    let remaining = deadline.remaining();
    if remaining == Some(Duration::ZERO) {
        return Ok(Waited::TimedOut);
    }
    let r = vm.wait_in_kernel(remaining, &|| what.to_string(), |slice| {
        if poll_one(fd, events, slice) {
            return Some(Waited::Ready);
        }
        if closed() {
            return Some(Waited::Closed);
        }
        None
    })?;
    Ok(r.unwrap_or(Waited::TimedOut))
}

/// Runs `op` on the descriptor until it does not report EAGAIN, waiting for
/// `events` between tries as the deadline allows. EINTR retries.
pub fn run<R>(
    vm: &mut Vm,
    fd: RawFd,
    events: i16,
    deadline: &mut Deadline,
    what: &str,
    closed: &dyn Fn() -> bool,
    mut op: impl FnMut(RawFd) -> io::Result<R>,
) -> PyResult<R> {
    loop {
        match op(fd) {
            Ok(r) => return Ok(r),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && !deadline.nonblocking() => {
                match wait_fd(vm, fd, events, deadline, what, closed)? {
                    Waited::Ready => continue,
                    Waited::TimedOut => return Err(timed_out(vm)),
                    Waited::Closed => return Err(errno_err(vm, libc::EBADF)),
                }
            }
            Err(e) => return Err(os_err(vm, &e)),
        }
    }
}

/// The result of a system call returning a count or -1.
pub fn check(n: isize) -> io::Result<usize> {
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}
