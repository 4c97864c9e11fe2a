//! `_multiprocessing.Handle`: one descriptor (a pipe end, a socket) shared by the
//! Connections, Queues and Listeners built on it, with framed messages on top.
//!
//! Every Handle of one descriptor number in a process shares one owner ([`FdInner`],
//! found through a registry by number), so loading the same pickled Connection twice
//! does not close the descriptor twice. The owner holds an `OwnedFd`: the descriptor
//! is closed by `close()` or when the last Handle goes away, never by hand.

use super::{os_error, wait_for, Timeout};
use conc_interpreter::native::{native, Exc, NativeClass, NativePayload};
use conc_interpreter::{PyResult, Value, Vm};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::{Arc, OnceLock, Weak};
use std::time::{Duration, Instant};

/// The owner of one descriptor; closed when the last handle to it goes away.
pub struct FdInner {
    /// The descriptor; None once `close()` ran. The lock is held only to read the
    /// number or to take the descriptor out: a read or write in progress in another
    /// thread when `close()` runs sees an error, as with CPython's Connection.
    fd: Mutex<Option<OwnedFd>>,
    /// Held while writing one message, so messages of threads never interleave.
    pub(super) write: Mutex<()>,
    /// The part of a message read so far (see `recv_bytes`).
    pub(super) pending: Mutex<Vec<u8>>,
}

impl FdInner {
    /// The descriptor number, or -1 once closed.
    fn raw(&self) -> RawFd {
        self.fd.lock().as_ref().map(|f| f.as_raw_fd()).unwrap_or(-1)
    }

    /// Closes the descriptor now (other handles of it see it closed).
    fn close(&self) {
        if let Some(fd) = self.fd.lock().take() {
            let n = fd.as_raw_fd();
            let mut reg = fds();
            if reg.get(&n).map(|w| std::ptr::eq(w.as_ptr(), self)).unwrap_or(false) {
                reg.remove(&n);
            }
            drop(fd);
        }
    }

    /// See `conc_interpreter::fork::release_orphaned`.
    ///
    /// # Safety
    /// Only in a child right after fork, before it starts a thread.
    pub(super) unsafe fn release_after_fork(&self) {
        conc_interpreter::fork::release_orphaned(&self.fd);
        conc_interpreter::fork::release_orphaned(&self.write);
        conc_interpreter::fork::release_orphaned(&self.pending);
    }
}

impl Drop for FdInner {
    fn drop(&mut self) {
        if let Some(fd) = self.fd.get_mut().take() {
            let mut reg = fds();
            if reg.get(&fd.as_raw_fd()).map(|w| w.strong_count() == 0).unwrap_or(false) {
                reg.remove(&fd.as_raw_fd());
            }
        }
    }
}

/// The payload of a `Handle` instance.
pub struct FdHandle(Arc<FdInner>);

impl FdHandle {
    /// The descriptor number, or -1 once closed.
    pub fn fd(&self) -> RawFd {
        self.0.raw()
    }
}

impl NativePayload for FdHandle {
    const CLASS: &'static NativeClass = &HANDLE;
}

pub static HANDLE: NativeClass = NativeClass {
    name: "Handle",
    module: "_multiprocessing",
    doc: "A descriptor shared by the connections built on it, with framed messages.",
    methods: &[&fileno::DEF, &close::DEF, &closed::DEF, &send_bytes::DEF, &recv_bytes::DEF, &poll::DEF, &accept::DEF],
    ..NativeClass::DEFAULT
};

pub(super) fn fds_lock() -> &'static Mutex<HashMap<RawFd, Weak<FdInner>>> {
    static R: OnceLock<Mutex<HashMap<RawFd, Weak<FdInner>>>> = OnceLock::new();
    R.get_or_init(|| Mutex::new(HashMap::new()))
}

pub(super) fn fds() -> parking_lot::MutexGuard<'static, HashMap<RawFd, Weak<FdInner>>> {
    fds_lock().lock()
}

/// A Handle owning `fd`.
pub fn owned_handle(fd: OwnedFd) -> Value {
    let n = fd.as_raw_fd();
    let inner = Arc::new(FdInner { fd: Mutex::new(Some(fd)), write: Mutex::new(()), pending: Mutex::new(Vec::new()) });
    fds().insert(n, Arc::downgrade(&inner));
    HANDLE.instance(FdHandle(inner))
}

/// A Handle for the descriptor number `fd` named in a message: the same owner as
/// the other handles of it in this process, or a new owner of an inherited or
/// received descriptor that nothing in this process owns yet.
pub fn handle_value(fd: RawFd) -> Value {
    if let Some(inner) = fds().get(&fd).and_then(Weak::upgrade) {
        return HANDLE.instance(FdHandle(inner));
    }
    // SAFETY: a descriptor named in a message and unknown to the registry was
    // inherited from the parent (spawn clears close-on-exec on exactly those) or has
    // just been received through SCM_RIGHTS: it is open, and nothing else in this
    // process owns it, so the new OwnedFd is its only owner.
    owned_handle(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn open_fd(vm: &mut Vm, h: &FdHandle) -> PyResult<RawFd> {
    let fd = h.fd();
    if fd < 0 {
        return Err(vm.error(Exc::OSError, "handle is closed"));
    }
    Ok(fd)
}

/// fileno() -> the descriptor number.
#[native("Handle.fileno($self, /)")]
fn fileno(vm: &mut Vm, this: &FdHandle) -> PyResult<i64> {
    Ok(open_fd(vm, this)? as i64)
}

/// closed() -> whether the descriptor was closed.
#[native("Handle.closed($self, /)")]
fn closed(_vm: &mut Vm, this: &FdHandle) -> PyResult<bool> {
    Ok(this.fd() < 0)
}

/// close(): closes the descriptor (for every handle of it).
#[native("Handle.close($self, /)")]
fn close(_vm: &mut Vm, this: &FdHandle) -> PyResult<()> {
    this.0.close();
    Ok(())
}

/// Writes all of `buf` to `fd`, retrying after signals.
pub(super) fn write_all(fd: RawFd, mut buf: &[u8]) -> std::io::Result<()> {
    while !buf.is_empty() {
        // SAFETY: `buf` is a live slice of `buf.len()` readable bytes; write(2) reads
        // at most that many and keeps no pointer.
        let n = unsafe { libc::write(fd, buf.as_ptr() as *const libc::c_void, buf.len()) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        buf = &buf[n as usize..];
    }
    Ok(())
}

/// Reads at most `want` bytes onto the end of `buf` (blocking until at least one is
/// there); Ok(0) at end of file.
fn read_some(fd: RawFd, buf: &mut Vec<u8>, want: usize) -> std::io::Result<usize> {
    let old = buf.len();
    buf.resize(old + want, 0);
    loop {
        // SAFETY: `buf[old..]` is `want` initialised, writable bytes (just resized);
        // read(2) writes at most `want` of them.
        let n = unsafe { libc::read(fd, buf[old..].as_mut_ptr() as *mut libc::c_void, want) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            buf.truncate(old);
            return Err(e);
        }
        buf.truncate(old + n as usize);
        return Ok(n as usize);
    }
}

/// What `pending` (the start of one framed message) still lacks: Err(n) more bytes,
/// or Ok(header length) when the message is complete.
fn message_state(pending: &[u8]) -> Result<usize, usize> {
    if pending.len() < 4 {
        return Err(4 - pending.len());
    }
    let short = u32::from_be_bytes(pending[..4].try_into().unwrap_or([0; 4]));
    let (head, len) = if short == u32::MAX {
        if pending.len() < 12 {
            return Err(12 - pending.len());
        }
        (12, u64::from_be_bytes(pending[4..12].try_into().unwrap_or([0; 8])) as usize)
    } else {
        (4, short as usize)
    };
    match (head + len).checked_sub(pending.len()) {
        Some(0) | None => Ok(head),
        Some(n) => Err(n),
    }
}

/// True when `fd` is readable (or at end of file) within `d`.
pub(super) fn fd_ready(fd: RawFd, d: Duration) -> bool {
    let mut p = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
    let ms = d.as_millis().min(i32::MAX as u128) as i32;
    let ms = if ms == 0 && !d.is_zero() { 1 } else { ms };
    // SAFETY: `p` is one valid pollfd on the stack, and the count passed is 1.
    let n = unsafe { libc::poll(&mut p, 1, ms) };
    n > 0 && p.revents != 0
}

/// send_bytes(data): writes one framed message.
#[native("Handle.send_bytes($self, data, /)")]
fn send_bytes(vm: &mut Vm, this: &FdHandle, data: &Value) -> PyResult<()> {
    let fd = open_fd(vm, this)?;
    let data = super::bytes_of(vm, data)?;
    let mut msg = Vec::with_capacity(data.len() + 12);
    if data.len() < u32::MAX as usize {
        msg.extend_from_slice(&(data.len() as u32).to_be_bytes());
    } else {
        msg.extend_from_slice(&u32::MAX.to_be_bytes());
        msg.extend_from_slice(&(data.len() as u64).to_be_bytes());
    }
    msg.extend_from_slice(data);
    let r = {
        let _g = this.0.write.lock();
        write_all(fd, &msg)
    };
    r.map_err(|e| os_error(vm, e))
}

/// recv_bytes(timeout=None) -> the next message; None on timeout; EOFError at end.
///
/// The timeout bounds the whole message, not only its first byte: a writer killed
/// half-way through a message (a Queue whose other writers, the parent included,
/// keep the pipe open) must not block a reader with a timeout for ever. The bytes
/// read so far stay in the handle's `pending` buffer, so a slow writer's message is
/// completed by the next call. Never more than the current message is read: other
/// processes may read the next one from the same pipe.
#[native("Handle.recv_bytes($self, timeout=None, /)")]
fn recv_bytes(vm: &mut Vm, this: &FdHandle, timeout: Option<Timeout>) -> PyResult<Value> {
    let fd = open_fd(vm, this)?;
    let deadline = timeout.and_then(|t| t.0).map(|t| Instant::now() + t);
    let inner = this.0.clone();
    let mut pending = inner.pending.lock();
    loop {
        let want = match message_state(&pending) {
            Ok(head) => {
                let msg = pending[head..].to_vec();
                pending.clear();
                return Ok(super::bytes_value(msg));
            }
            Err(n) => n,
        };
        // Without a timeout, the rest of a started message is read with plain blocking
        // reads (one system call less per message than polling first).
        if deadline.is_some() || pending.is_empty() {
            let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            if wait_for(vm, left, "Connection.recv", |d| if fd_ready(fd, d) { Some(()) } else { None })?.is_none() {
                return Ok(Value::None);
            }
        }
        match read_some(fd, &mut pending, want) {
            Ok(0) if pending.is_empty() => return Err(vm.error(Exc::EOFError, "")),
            Ok(0) => {
                // The writer ended in the middle of a message: that message is lost.
                pending.clear();
                return Err(os_error(vm, std::io::Error::from_raw_os_error(libc::ECONNRESET)));
            }
            Ok(_) => {}
            Err(e) => return Err(os_error(vm, e)),
        }
    }
}

/// poll(timeout=0) -> whether a message (or end of file) is waiting; None waits
/// for ever.
#[native("Handle.poll($self, timeout=0, /)")]
fn poll(vm: &mut Vm, this: &FdHandle, timeout: Option<Timeout>) -> PyResult<bool> {
    let fd = open_fd(vm, this)?;
    let timeout = match timeout {
        None => Some(Duration::ZERO),
        Some(t) => t.0,
    };
    let r = wait_for(vm, timeout, "Connection.poll", |d| if fd_ready(fd, d) { Some(()) } else { None })?;
    Ok(r.is_some())
}

/// accept(timeout=None) -> the next connection to a listening handle, or None on
/// timeout.
#[native("Handle.accept($self, timeout=None, /)")]
fn accept(vm: &mut Vm, this: &FdHandle, timeout: Option<Timeout>) -> PyResult<Value> {
    let fd = open_fd(vm, this)?;
    let timeout = timeout.and_then(|t| t.0);
    if wait_for(vm, timeout, "Listener.accept", |d| if fd_ready(fd, d) { Some(()) } else { None })?.is_none() {
        return Ok(Value::None);
    }
    // SAFETY: null address pointers ask accept4 for no peer address.
    let c = unsafe { libc::accept4(fd, std::ptr::null_mut(), std::ptr::null_mut(), libc::SOCK_CLOEXEC) };
    if c < 0 {
        return Err(os_error(vm, std::io::Error::last_os_error()));
    }
    // SAFETY: accept4 just returned this new descriptor; nothing else owns it.
    Ok(owned_handle(unsafe { OwnedFd::from_raw_fd(c) }))
}

/// A new descriptor from a system call that returns one (or -1 and errno).
pub(super) fn adopt(fd: RawFd) -> std::io::Result<OwnedFd> {
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: the caller passes the result of a call that just created `fd`; nothing
    // else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// pipe(duplex) -> two Handles: a socket pair when duplex, else (read end, write end).
#[native("_multiprocessing.pipe(duplex, /)")]
fn pipe(vm: &mut Vm, duplex: &Value) -> PyResult<Value> {
    let duplex = vm.truthy(duplex)?;
    let mut ends = [0 as RawFd; 2];
    let r = if duplex {
        // SAFETY: `ends` is a live array with room for the two descriptors
        // socketpair writes; the other arguments are plain integers.
        unsafe { libc::socketpair(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0, ends.as_mut_ptr()) }
    } else {
        // SAFETY: as above: pipe2 writes exactly two descriptors into `ends`.
        unsafe { libc::pipe2(ends.as_mut_ptr(), libc::O_CLOEXEC) }
    };
    if r != 0 {
        return Err(os_error(vm, std::io::Error::last_os_error()));
    }
    let (a, b) = match (adopt(ends[0]), adopt(ends[1])) {
        (Ok(a), Ok(b)) => (a, b),
        _ => return Err(os_error(vm, std::io::Error::from_raw_os_error(libc::EBADF))),
    };
    if !duplex {
        // A bigger buffer lets a process put many items before anyone reads, as
        // CPython's feeder thread allows; failure just keeps the default size.
        // SAFETY: fcntl on a descriptor this function owns; no memory is passed.
        unsafe { libc::fcntl(b.as_raw_fd(), libc::F_SETPIPE_SZ, 1 << 20) };
    }
    Ok(Value::tuple(vec![owned_handle(a), owned_handle(b)]))
}

/// The abstract Unix socket address `name` (no file in the file system).
pub(super) fn abstract_addr(name: &str) -> (libc::sockaddr_un, libc::socklen_t) {
    // SAFETY: sockaddr_un is plain old data; all zeroes is a valid (empty) address.
    let mut a: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    a.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let b = name.as_bytes();
    let n = b.len().min(a.sun_path.len() - 1);
    for (i, c) in b[..n].iter().enumerate() {
        a.sun_path[i + 1] = *c as libc::c_char;
    }
    let len = std::mem::size_of::<libc::sa_family_t>() + 1 + n;
    (a, len as libc::socklen_t)
}

/// A new Unix stream socket.
pub(super) fn unix_socket() -> std::io::Result<OwnedFd> {
    // SAFETY: socket(2) takes no pointers.
    adopt(unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) })
}

/// A socket listening at the abstract address `name`.
pub(super) fn listen_at(name: &str, backlog: i32) -> std::io::Result<OwnedFd> {
    let fd = unix_socket()?;
    let (a, len) = abstract_addr(name);
    // SAFETY: `a` is a valid sockaddr_un of which `len` bytes are used.
    let ok = unsafe {
        libc::bind(fd.as_raw_fd(), &a as *const _ as *const libc::sockaddr, len) == 0
            && libc::listen(fd.as_raw_fd(), backlog) == 0
    };
    if !ok {
        return Err(std::io::Error::last_os_error());
    }
    Ok(fd)
}

/// `fd` connected to the abstract address `name`.
pub(super) fn connect_to(fd: &OwnedFd, name: &str) -> std::io::Result<()> {
    let (a, len) = abstract_addr(name);
    // SAFETY: `a` is a valid sockaddr_un of which `len` bytes are used.
    if unsafe { libc::connect(fd.as_raw_fd(), &a as *const _ as *const libc::sockaddr, len) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// listen(name) -> a Handle listening at the abstract address `name`.
#[native("_multiprocessing.listen(name, /)")]
fn listen(vm: &mut Vm, name: &str) -> PyResult<Value> {
    listen_at(name, 128).map(owned_handle).map_err(|e| os_error(vm, e))
}

/// connect(name) -> a Handle connected to the abstract address `name`.
#[native("_multiprocessing.connect(name, /)")]
fn connect(vm: &mut Vm, name: &str) -> PyResult<Value> {
    let r = unix_socket().and_then(|fd| connect_to(&fd, name).map(|()| fd));
    r.map(owned_handle).map_err(|e| os_error(vm, e))
}

/// The natives of this file registered in the module.
pub(super) const FUNCTIONS: &[&conc_interpreter::native::NativeDef] = &[&pipe::DEF, &listen::DEF, &connect::DEF];
