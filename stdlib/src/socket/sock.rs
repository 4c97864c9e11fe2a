//! The `socket.socket` class: a native class whose payload holds the descriptor
//! (shared with the files `makefile` made, see `wait::SockFd`), the family, type
//! and protocol, and the timeout. Methods hold no lock while they wait: the
//! descriptor's `Arc` is cloned out of its mutex first, so a thread blocked in
//! `recv` and another calling `send` or `close` on the same socket never wait for
//! each other.

use super::addr::{self, SockAddr};
use super::file;
use super::wait::{self, check, errno_err, os_err, Deadline, SockFd, Waited};
use conc_interpreter::native::{native, BytesLike, Exc, NativeClass, NativePayload, Property};
use conc_interpreter::{ObjRef, Object, PyResult, Value, Vm};
use parking_lot::Mutex;
use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::Arc;

/// A timeout as stored: the f64 bits of the seconds, negative for None.
const NO_TIMEOUT: f64 = -1.0;

/// `socket.setdefaulttimeout`: the timeout new sockets start with.
static DEFAULT_TIMEOUT: AtomicU64 = AtomicU64::new(0xBFF0_0000_0000_0000); // -1.0

pub fn default_timeout() -> Option<f64> {
    let t = f64::from_bits(DEFAULT_TIMEOUT.load(Ordering::Relaxed));
    (t >= 0.0).then_some(t)
}

pub fn set_default_timeout(t: Option<f64>) {
    DEFAULT_TIMEOUT.store(t.unwrap_or(NO_TIMEOUT).to_bits(), Ordering::Relaxed);
}

/// A socket's timeout, shared with its files so that `settimeout` reaches them.
#[derive(Clone)]
pub struct SharedTimeout(Arc<AtomicU64>);

impl SharedTimeout {
    fn new(t: Option<f64>) -> SharedTimeout {
        SharedTimeout(Arc::new(AtomicU64::new(t.unwrap_or(NO_TIMEOUT).to_bits())))
    }

    pub fn get(&self) -> Option<f64> {
        let t = f64::from_bits(self.0.load(Ordering::Relaxed));
        (t >= 0.0).then_some(t)
    }

    fn set(&self, t: Option<f64>) {
        self.0.store(t.unwrap_or(NO_TIMEOUT).to_bits(), Ordering::Relaxed);
    }
}

pub struct Sock {
    fd: Mutex<Option<Arc<SockFd>>>,
    family: AtomicI32,
    kind: AtomicI32,
    proto: AtomicI32,
    pub timeout: SharedTimeout,
}

impl NativePayload for Sock {
    const CLASS: &'static NativeClass = &SOCKET;
}

impl Sock {
    fn empty() -> Sock {
        Sock {
            fd: Mutex::new(None),
            family: AtomicI32::new(libc::AF_INET),
            kind: AtomicI32::new(libc::SOCK_STREAM),
            proto: AtomicI32::new(0),
            timeout: SharedTimeout::new(default_timeout()),
        }
    }

    /// A socket object owning `fd` (already non-blocking).
    pub fn adopt(fd: RawFd, family: i32, kind: i32, proto: i32) -> Sock {
        let s = Sock::empty();
        *s.fd.lock() = Some(Arc::new(SockFd::new(fd)));
        s.family.store(family, Ordering::Relaxed);
        s.kind.store(kind, Ordering::Relaxed);
        s.proto.store(proto, Ordering::Relaxed);
        s
    }

    pub fn family(&self) -> i32 {
        self.family.load(Ordering::Relaxed)
    }

    pub fn kind(&self) -> i32 {
        self.kind.load(Ordering::Relaxed)
    }

    /// The descriptor for one operation, or `[Errno 9] Bad file descriptor`.
    pub fn open_fd(&self, vm: &mut Vm) -> PyResult<Arc<SockFd>> {
        match &*self.fd.lock() {
            Some(f) => Ok(f.clone()),
            None => Err(errno_err(vm, libc::EBADF)),
        }
    }

    pub fn raw(&self) -> RawFd {
        self.fd.lock().as_ref().map_or(-1, |f| f.raw)
    }

    pub fn is_closed(&self) -> bool {
        self.fd.lock().is_none()
    }

    fn deadline(&self) -> Deadline {
        Deadline::new(self.timeout.get())
    }

    /// Runs one operation that may have to wait for `events`.
    fn io<R>(
        &self,
        vm: &mut Vm,
        events: i16,
        what: &str,
        deadline: &mut Deadline,
        op: impl FnMut(RawFd) -> io::Result<R>,
    ) -> PyResult<R> {
        let fd = self.open_fd(vm)?;
        let closed = || self.is_closed();
        wait::run(vm, fd.raw, events, deadline, what, &closed, op)
    }

    fn name(&self, vm: &mut Vm, peer: bool) -> PyResult<Value> {
        let fd = self.open_fd(vm)?;
        let mut a = SockAddr::empty();
        // SAFETY: `a` is a writable sockaddr_storage and `len` holds its size.
        let rc = unsafe {
            if peer {
                libc::getpeername(fd.raw, a.as_mut_ptr(), &mut a.len)
            } else {
                libc::getsockname(fd.raw, a.as_mut_ptr(), &mut a.len)
            }
        };
        if rc < 0 {
            return Err(os_err(vm, &io::Error::last_os_error()));
        }
        Ok(addr_value(&a, self.family()))
    }
}

/// An address the kernel reported, as Python shows it (an unnamed Unix socket is '').
fn addr_value(a: &SockAddr, family: i32) -> Value {
    if a.len as usize <= std::mem::size_of::<libc::sa_family_t>() && family == libc::AF_UNIX {
        return Value::str("");
    }
    a.to_value()
}

/// A new kernel socket, non-blocking and close-on-exec.
pub fn new_fd(family: i32, kind: i32, proto: i32) -> io::Result<RawFd> {
    // SAFETY: socket() with integer arguments only.
    let fd = unsafe { libc::socket(family, kind | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC, proto) };
    if fd < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(fd)
    }
}

fn getsockopt_int(fd: RawFd, level: i32, opt: i32) -> io::Result<i32> {
    let mut v: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `v` is a writable int and `len` its size.
    let rc = unsafe { libc::getsockopt(fd, level, opt, &mut v as *mut libc::c_int as *mut libc::c_void, &mut len) };
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(v)
    }
}

pub static SOCKET: NativeClass = NativeClass {
    name: "socket",
    module: "socket",
    doc: "socket(family=AF_INET, type=SOCK_STREAM, proto=0) -> socket object\n\nOpen a socket of the given type.",
    methods: &[
        &s_new::DEF,
        &s_init::DEF,
        &accept::DEF,
        &bind::DEF,
        &close::DEF,
        &connect::DEF,
        &connect_ex::DEF,
        &detach::DEF,
        &dup::DEF,
        &fileno::DEF,
        &getblocking::DEF,
        &getpeername::DEF,
        &getsockname::DEF,
        &getsockopt::DEF,
        &gettimeout::DEF,
        &get_inheritable::DEF,
        &set_inheritable::DEF,
        &listen::DEF,
        &file::makefile::DEF,
        &recv::DEF,
        &recv_into::DEF,
        &recvfrom::DEF,
        &recvfrom_into::DEF,
        &send::DEF,
        &sendall::DEF,
        &sendto::DEF,
        &setblocking::DEF,
        &setsockopt::DEF,
        &settimeout::DEF,
        &shutdown::DEF,
        &__enter__::DEF,
        &__exit__::DEF,
        &__repr__::DEF,
    ],
    properties: &[
        Property { name: "family", get: &prop_family::DEF, set: None },
        Property { name: "type", get: &prop_type::DEF, set: None },
        Property { name: "proto", get: &prop_proto::DEF, set: None },
        Property { name: "timeout", get: &prop_timeout::DEF, set: None },
    ],
    subclassable: true,
    ..NativeClass::DEFAULT
};

#[native("socket.__new__($cls, *args, **kwargs)")]
fn s_new(_vm: &mut Vm, cls: &ObjRef, args: &[Value], kwargs: conc_interpreter::native::KwArgs) -> PyResult<Value> {
    let _ = (args, kwargs);
    Ok(NativeClass::instance_of(cls, Sock::empty()))
}

#[native("socket.__init__($self, family=-1, type=-1, proto=-1, fileno=None)")]
fn s_init(vm: &mut Vm, this: &Sock, family: i64, kind: i64, proto: i64, fileno: Option<Value>) -> PyResult<()> {
    let (family, kind, proto) = (family as i32, kind as i32, proto as i32);
    let fd = match fileno {
        Some(v) => {
            let n = vm.index_value(&v)?;
            if n < 0 {
                return Err(vm.value_error("negative file descriptor"));
            }
            let fd = n as RawFd;
            let real_family = getsockopt_int(fd, libc::SOL_SOCKET, libc::SO_DOMAIN).map_err(|e| os_err(vm, &e))?;
            let real_kind = getsockopt_int(fd, libc::SOL_SOCKET, libc::SO_TYPE).map_err(|e| os_err(vm, &e))?;
            let real_proto = getsockopt_int(fd, libc::SOL_SOCKET, libc::SO_PROTOCOL).unwrap_or(0);
            this.family.store(if family == -1 { real_family } else { family }, Ordering::Relaxed);
            this.kind.store(if kind == -1 { real_kind } else { kind }, Ordering::Relaxed);
            this.proto.store(if proto == -1 { real_proto } else { proto }, Ordering::Relaxed);
            wait::set_nonblocking(fd, true).map_err(|e| os_err(vm, &e))?;
            fd
        }
        None => {
            let family = if family == -1 { libc::AF_INET } else { family };
            let kind = if kind == -1 { libc::SOCK_STREAM } else { kind };
            let proto = if proto == -1 { 0 } else { proto };
            let fd = new_fd(family, kind & !(libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC), proto)
                .map_err(|e| os_err(vm, &e))?;
            this.family.store(family, Ordering::Relaxed);
            this.kind.store(kind & !(libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC), Ordering::Relaxed);
            this.proto.store(proto, Ordering::Relaxed);
            if kind & libc::SOCK_NONBLOCK != 0 {
                this.timeout.set(Some(0.0));
            }
            fd
        }
    };
    // A socket initialised twice lets its first descriptor go.
    *this.fd.lock() = Some(Arc::new(SockFd::new(fd)));
    Ok(())
}

/// accept() -> (socket object, address info)
#[native("socket.accept($self, /)")]
fn accept(vm: &mut Vm, this: &Sock) -> PyResult<Value> {
    let mut deadline = this.deadline();
    let mut a = SockAddr::empty();
    let fd = this.io(vm, libc::POLLIN, "socket.accept()", &mut deadline, |fd| {
        a = SockAddr::empty();
        // SAFETY: `a` is a writable sockaddr_storage and `len` holds its size.
        let n = unsafe { libc::accept4(fd, a.as_mut_ptr(), &mut a.len, libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC) };
        check(n as isize).map(|n| n as RawFd)
    })?;
    let s = Sock::adopt(fd, this.family(), this.kind(), this.proto.load(Ordering::Relaxed));
    // As in CPython, the new socket starts with the default timeout.
    let peer = addr_value(&a, this.family());
    Ok(Value::tuple(vec![SOCKET.instance(s), peer]))
}

/// bind(address): bind the socket to a local address.
#[native("socket.bind($self, address, /)")]
fn bind(vm: &mut Vm, this: &Sock, address: &Value) -> PyResult<()> {
    let a = addr::parse(vm, this.family(), address, "bind")?;
    let fd = this.open_fd(vm)?;
    // SAFETY: `a` holds a valid address of `len` bytes.
    let rc = unsafe { libc::bind(fd.raw, a.as_ptr(), a.len) };
    if rc < 0 {
        return Err(os_err(vm, &io::Error::last_os_error()));
    }
    Ok(())
}

/// close(): close the socket (its descriptor closes once the files made from it close too).
#[native("socket.close($self, /)")]
fn close(_vm: &mut Vm, this: &Sock) -> PyResult<()> {
    let fd = this.fd.lock().take();
    drop(fd);
    Ok(())
}

/// Connects, returning the errno of a failure instead of raising it.
fn do_connect(vm: &mut Vm, this: &Sock, address: &Value, op: &str) -> PyResult<i32> {
    let a = addr::parse(vm, this.family(), address, op)?;
    let fd = this.open_fd(vm)?;
    // SAFETY: `a` holds a valid address of `len` bytes.
    let rc = unsafe { libc::connect(fd.raw, a.as_ptr(), a.len) };
    if rc == 0 {
        return Ok(0);
    }
    let e = io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO);
    if e != libc::EINPROGRESS && e != libc::EINTR {
        return Ok(e);
    }
    let mut deadline = this.deadline();
    if this.timeout.get() == Some(0.0) {
        return Ok(e);
    }
    let closed = || this.is_closed();
    match wait::wait_fd(vm, fd.raw, libc::POLLOUT, &mut deadline, "socket.connect()", &closed)? {
        Waited::Ready => Ok(getsockopt_int(fd.raw, libc::SOL_SOCKET, libc::SO_ERROR).unwrap_or(libc::EIO)),
        Waited::TimedOut => Ok(-1),
        Waited::Closed => Ok(libc::EBADF),
    }
}

/// connect(address): connect the socket to a remote address.
#[native("socket.connect($self, address, /)")]
fn connect(vm: &mut Vm, this: &Sock, address: &Value) -> PyResult<()> {
    match do_connect(vm, this, address, "connect")? {
        0 => Ok(()),
        -1 => Err(wait::timed_out(vm)),
        e => Err(errno_err(vm, e)),
    }
}

/// connect_ex(address) -> errno: like connect(address), but return an error code instead of raising.
#[native("socket.connect_ex($self, address, /)")]
fn connect_ex(vm: &mut Vm, this: &Sock, address: &Value) -> PyResult<i64> {
    Ok(match do_connect(vm, this, address, "connect_ex")? {
        -1 => libc::EAGAIN as i64,
        e => e as i64,
    })
}

/// detach(): close the socket object without closing the descriptor; returns it.
#[native("socket.detach($self, /)")]
fn detach(_vm: &mut Vm, this: &Sock) -> PyResult<i64> {
    let Some(fd) = this.fd.lock().take() else {
        return Ok(-1);
    };
    fd.release();
    // Whoever takes the descriptor gets it in the mode the script set.
    let _ = wait::set_nonblocking(fd.raw, this.timeout.get().is_some());
    Ok(fd.raw as i64)
}

/// dup() -> socket object: a new socket object on a duplicate of the descriptor.
#[native("socket.dup($self, /)")]
fn dup(vm: &mut Vm, this: &Sock) -> PyResult<Value> {
    let fd = this.open_fd(vm)?;
    // SAFETY: fcntl duplicating an open descriptor.
    let n = unsafe { libc::fcntl(fd.raw, libc::F_DUPFD_CLOEXEC, 0) };
    if n < 0 {
        return Err(os_err(vm, &io::Error::last_os_error()));
    }
    let s = Sock::adopt(n, this.family(), this.kind(), this.proto.load(Ordering::Relaxed));
    s.timeout.set(this.timeout.get());
    Ok(SOCKET.instance(s))
}

/// fileno() -> integer: the socket's descriptor (-1 once closed).
#[native("socket.fileno($self, /)")]
fn fileno(_vm: &mut Vm, this: &Sock) -> PyResult<i64> {
    Ok(this.raw() as i64)
}

/// getblocking(): whether the socket blocks (its timeout is not 0.0).
#[native("socket.getblocking($self, /)")]
fn getblocking(_vm: &mut Vm, this: &Sock) -> PyResult<bool> {
    Ok(this.timeout.get() != Some(0.0))
}

/// getpeername() -> address info: the remote address of a connected socket.
#[native("socket.getpeername($self, /)")]
fn getpeername(vm: &mut Vm, this: &Sock) -> PyResult<Value> {
    this.name(vm, true)
}

/// getsockname() -> address info: the socket's own address.
#[native("socket.getsockname($self, /)")]
fn getsockname(vm: &mut Vm, this: &Sock) -> PyResult<Value> {
    this.name(vm, false)
}

/// getsockopt(level, option[, buffersize]) -> value
#[native("socket.getsockopt($self, level, option, buffersize=None, /)")]
fn getsockopt(vm: &mut Vm, this: &Sock, level: i64, option: i64, buffersize: Option<i64>) -> PyResult<Value> {
    let fd = this.open_fd(vm)?;
    match buffersize {
        None => {
            let v = getsockopt_int(fd.raw, level as i32, option as i32).map_err(|e| os_err(vm, &e))?;
            Ok(Value::Int(v as i64))
        }
        Some(n) => {
            if !(0..=1024).contains(&n) {
                return Err(vm.error(Exc::OSError, "getsockopt buflen out of range"));
            }
            let mut buf = vec![0u8; n as usize];
            let mut len = n as libc::socklen_t;
            // SAFETY: `buf` is writable for `len` bytes.
            let rc = unsafe {
                libc::getsockopt(fd.raw, level as i32, option as i32, buf.as_mut_ptr() as *mut libc::c_void, &mut len)
            };
            if rc < 0 {
                return Err(os_err(vm, &io::Error::last_os_error()));
            }
            buf.truncate(len as usize);
            Ok(Value::new(Object::Bytes(buf.into_boxed_slice())))
        }
    }
}

/// gettimeout() -> timeout: the timeout in seconds (float), or None.
#[native("socket.gettimeout($self, /)")]
fn gettimeout(_vm: &mut Vm, this: &Sock) -> PyResult<Option<f64>> {
    Ok(this.timeout.get())
}

/// get_inheritable() -> bool: whether child processes inherit the descriptor.
#[native("socket.get_inheritable($self, /)")]
fn get_inheritable(vm: &mut Vm, this: &Sock) -> PyResult<bool> {
    let fd = this.open_fd(vm)?;
    // SAFETY: fcntl reading the descriptor flags.
    let flags = unsafe { libc::fcntl(fd.raw, libc::F_GETFD) };
    if flags < 0 {
        return Err(os_err(vm, &io::Error::last_os_error()));
    }
    Ok(flags & libc::FD_CLOEXEC == 0)
}

/// set_inheritable(inheritable): whether child processes inherit the descriptor.
#[native("socket.set_inheritable($self, inheritable, /)")]
fn set_inheritable(vm: &mut Vm, this: &Sock, inheritable: bool) -> PyResult<()> {
    let fd = this.open_fd(vm)?;
    // SAFETY: fcntl reading and setting the descriptor flags.
    let rc = unsafe {
        let flags = libc::fcntl(fd.raw, libc::F_GETFD);
        let want = if inheritable { flags & !libc::FD_CLOEXEC } else { flags | libc::FD_CLOEXEC };
        libc::fcntl(fd.raw, libc::F_SETFD, want)
    };
    if rc < 0 {
        return Err(os_err(vm, &io::Error::last_os_error()));
    }
    Ok(())
}

/// listen([backlog]): accept connections; backlog is how many may wait.
#[native("socket.listen($self, backlog=None, /)")]
fn listen(vm: &mut Vm, this: &Sock, backlog: Option<i64>) -> PyResult<()> {
    let backlog = backlog.unwrap_or(128).clamp(0, i32::MAX as i64) as i32;
    let fd = this.open_fd(vm)?;
    // SAFETY: listen() with integer arguments.
    if unsafe { libc::listen(fd.raw, backlog) } < 0 {
        return Err(os_err(vm, &io::Error::last_os_error()));
    }
    Ok(())
}

fn buffer_size(vm: &mut Vm, n: i64, op: &str) -> PyResult<usize> {
    if n < 0 {
        let msg = format!("negative buffersize in {op}");
        return Err(vm.value_error(&msg));
    }
    vm.check_alloc(n as usize, 1)?;
    Ok(n as usize)
}

/// Receives up to `n` bytes (with the sender's address for `from`).
fn recv_bytes(vm: &mut Vm, this: &Sock, n: usize, flags: i32, from: bool) -> PyResult<(Vec<u8>, SockAddr)> {
    let mut buf = vec![0u8; n];
    let mut a = SockAddr::empty();
    let mut deadline = this.deadline();
    let what = if from { "socket.recvfrom()" } else { "socket.recv()" };
    let got = this.io(vm, libc::POLLIN, what, &mut deadline, |fd| {
        a = SockAddr::empty();
        // SAFETY: `buf` is writable for its length; `a` is a writable address.
        let r = unsafe {
            if from {
                libc::recvfrom(fd, buf.as_mut_ptr() as *mut libc::c_void, buf.len(), flags, a.as_mut_ptr(), &mut a.len)
            } else {
                libc::recv(fd, buf.as_mut_ptr() as *mut libc::c_void, buf.len(), flags)
            }
        };
        check(r)
    })?;
    buf.truncate(got);
    Ok((buf, a))
}

/// recv(buffersize[, flags]) -> data
#[native("socket.recv($self, bufsize, flags=0, /)")]
fn recv(vm: &mut Vm, this: &Sock, bufsize: i64, flags: i64) -> PyResult<Value> {
    let n = buffer_size(vm, bufsize, "recv")?;
    let (buf, _) = recv_bytes(vm, this, n, flags as i32, false)?;
    Ok(Value::new(Object::Bytes(buf.into_boxed_slice())))
}

/// recvfrom(buffersize[, flags]) -> (data, address info)
#[native("socket.recvfrom($self, bufsize, flags=0, /)")]
fn recvfrom(vm: &mut Vm, this: &Sock, bufsize: i64, flags: i64) -> PyResult<Value> {
    let n = buffer_size(vm, bufsize, "recvfrom")?;
    let (buf, a) = recv_bytes(vm, this, n, flags as i32, true)?;
    let addr = if a.len == 0 { Value::None } else { addr_value(&a, this.family()) };
    Ok(Value::tuple(vec![Value::new(Object::Bytes(buf.into_boxed_slice())), addr]))
}

/// Receives into a bytearray: the count received (and the address for `from`).
fn recv_into_buffer(
    vm: &mut Vm,
    this: &Sock,
    buffer: &Value,
    nbytes: i64,
    flags: i64,
    from: bool,
) -> PyResult<(usize, SockAddr)> {
    let op = if from { "recvfrom_into" } else { "recv_into" };
    let Some(Object::ByteArray(ba)) = buffer.unwrap_base().obj() else {
        let msg = match buffer.unwrap_base().obj() {
            Some(Object::Bytes(_)) => "argument 1 must be read-write bytes-like object, not bytes".to_string(),
            _ => format!("{op}() argument 1 must be read-write bytes-like object, not {}", vm.type_name(buffer)),
        };
        return Err(vm.type_error(&msg));
    };
    if nbytes < 0 {
        let msg = format!("negative buffersize in {op}");
        return Err(vm.value_error(&msg));
    }
    let cap = ba.len();
    let want = if nbytes == 0 { cap } else { nbytes as usize };
    if want > cap {
        let msg = format!(
            "{}buffer too small for requested bytes",
            if from { "nbytes is greater than the length of the " } else { "" }
        );
        return Err(vm.value_error(if from { &msg } else { "buffer too small for requested bytes" }));
    }
    let (data, a) = recv_bytes(vm, this, want, flags as i32, from)?;
    let mut g = ba.lock();
    let n = data.len().min(g.len());
    g[..n].copy_from_slice(&data[..n]);
    Ok((n, a))
}

/// recv_into(buffer, [nbytes[, flags]]) -> nbytes_read
#[native("socket.recv_into($self, buffer, nbytes=0, flags=0)")]
fn recv_into(vm: &mut Vm, this: &Sock, buffer: &Value, nbytes: i64, flags: i64) -> PyResult<usize> {
    Ok(recv_into_buffer(vm, this, buffer, nbytes, flags, false)?.0)
}

/// recvfrom_into(buffer[, nbytes[, flags]]) -> (nbytes, address info)
#[native("socket.recvfrom_into($self, buffer, nbytes=0, flags=0)")]
fn recvfrom_into(vm: &mut Vm, this: &Sock, buffer: &Value, nbytes: i64, flags: i64) -> PyResult<Value> {
    let (n, a) = recv_into_buffer(vm, this, buffer, nbytes, flags, true)?;
    let addr = if a.len == 0 { Value::None } else { addr_value(&a, this.family()) };
    Ok(Value::tuple(vec![Value::Int(n as i64), addr]))
}

/// Sends what the kernel takes of `data` in one call, waiting for room first.
pub fn send_some(
    vm: &mut Vm,
    fd: &SockFd,
    data: &[u8],
    flags: i32,
    deadline: &mut Deadline,
    closed: &dyn Fn() -> bool,
) -> PyResult<usize> {
    wait::run(vm, fd.raw, libc::POLLOUT, deadline, "socket.send()", closed, |fd| {
        // SAFETY: `data` is readable for its length.
        check(unsafe { libc::send(fd, data.as_ptr() as *const libc::c_void, data.len(), flags | libc::MSG_NOSIGNAL) })
    })
}

/// send(data[, flags]) -> count
#[native("socket.send($self, data, flags=0, /)")]
fn send(vm: &mut Vm, this: &Sock, data: BytesLike, flags: i64) -> PyResult<usize> {
    let fd = this.open_fd(vm)?;
    let mut deadline = this.deadline();
    send_some(vm, &fd, &data, flags as i32, &mut deadline, &|| this.is_closed())
}

/// sendall(data[, flags]): send all of data; the timeout covers the whole call.
#[native("socket.sendall($self, data, flags=0, /)")]
fn sendall(vm: &mut Vm, this: &Sock, data: BytesLike, flags: i64) -> PyResult<()> {
    let fd = this.open_fd(vm)?;
    let mut deadline = this.deadline();
    let mut done = 0;
    while done < data.len() {
        done += send_some(vm, &fd, &data[done..], flags as i32, &mut deadline, &|| this.is_closed())?;
    }
    Ok(())
}

/// sendto(data[, flags], address) -> count
#[native("socket.sendto($self, data, flags_or_address, address=None, /)")]
fn sendto(
    vm: &mut Vm,
    this: &Sock,
    data: BytesLike,
    flags_or_address: Value,
    address: Option<Value>,
) -> PyResult<usize> {
    let (flags, address) = match address {
        Some(a) => (vm.index_value(&flags_or_address)? as i32, a),
        None => (0, flags_or_address),
    };
    let a = addr::parse(vm, this.family(), &address, "sendto")?;
    let mut deadline = this.deadline();
    this.io(vm, libc::POLLOUT, "socket.sendto()", &mut deadline, |fd| {
        // SAFETY: `data` is readable for its length and `a` a valid address.
        check(unsafe {
            libc::sendto(
                fd,
                data.as_ptr() as *const libc::c_void,
                data.len(),
                flags | libc::MSG_NOSIGNAL,
                a.as_ptr(),
                a.len,
            )
        })
    })
}

/// setblocking(flag): blocking (timeout None) or non-blocking (timeout 0.0).
#[native("socket.setblocking($self, flag, /)")]
fn setblocking(vm: &mut Vm, this: &Sock, flag: bool) -> PyResult<()> {
    this.open_fd(vm)?;
    this.timeout.set(if flag { None } else { Some(0.0) });
    Ok(())
}

/// A timeout argument: None, or a non-negative number of seconds.
pub fn timeout_arg(vm: &mut Vm, v: &Value) -> PyResult<Option<f64>> {
    let t = match v {
        Value::None => return Ok(None),
        Value::Float(f) => *f,
        Value::Int(i) => *i as f64,
        Value::Bool(b) => *b as i64 as f64,
        _ => {
            if let Some(Object::BigInt(_)) = v.unwrap_base().obj() {
                return Err(vm.error(Exc::OverflowError, "timeout doesn't fit into C timeval"));
            }
            if let Value::Float(f) = v.unwrap_base() {
                *f
            } else {
                vm.index_value(v)? as f64
            }
        }
    };
    if t.is_nan() {
        return Err(vm.value_error("Invalid value NaN (not a number)"));
    }
    if t < 0.0 {
        return Err(vm.value_error("Timeout value out of range"));
    }
    vm.seconds(t)?;
    Ok(Some(t))
}

/// settimeout(timeout): None blocks, 0.0 never blocks, else seconds to wait.
#[native("socket.settimeout($self, value, /)")]
fn settimeout(vm: &mut Vm, this: &Sock, value: &Value) -> PyResult<()> {
    let t = timeout_arg(vm, value)?;
    this.timeout.set(t);
    Ok(())
}

/// setsockopt(level, option, value: int | buffer | None[, optlen])
#[native("socket.setsockopt($self, level, option, value, optlen=None, /)")]
fn setsockopt(vm: &mut Vm, this: &Sock, level: i64, option: i64, value: &Value, optlen: Option<i64>) -> PyResult<()> {
    let fd = this.open_fd(vm)?;
    let bytes: Vec<u8> = match (value.unwrap_base(), optlen) {
        (Value::None, Some(n)) => vec![0u8; n.max(0) as usize],
        (Value::Int(_) | Value::Bool(_), None) => (vm.index_value(value)? as libc::c_int).to_ne_bytes().to_vec(),
        (v, None) => match v.obj() {
            Some(Object::Bytes(b)) => b.to_vec(),
            Some(Object::ByteArray(b)) => b.snapshot(),
            _ => (vm.index_value(value)? as libc::c_int).to_ne_bytes().to_vec(),
        },
        _ => return Err(vm.type_error("setsockopt() takes at most 4 arguments (optlen needs value None)")),
    };
    // SAFETY: `bytes` is readable for its length.
    let rc = unsafe {
        libc::setsockopt(
            fd.raw,
            level as i32,
            option as i32,
            bytes.as_ptr() as *const libc::c_void,
            bytes.len() as libc::socklen_t,
        )
    };
    if rc < 0 {
        return Err(os_err(vm, &io::Error::last_os_error()));
    }
    Ok(())
}

/// shutdown(flag): shut down reading (SHUT_RD), writing (SHUT_WR) or both (SHUT_RDWR).
#[native("socket.shutdown($self, how, /)")]
fn shutdown(vm: &mut Vm, this: &Sock, how: i64) -> PyResult<()> {
    let fd = this.open_fd(vm)?;
    // SAFETY: shutdown() with integer arguments.
    if unsafe { libc::shutdown(fd.raw, how as i32) } < 0 {
        return Err(os_err(vm, &io::Error::last_os_error()));
    }
    Ok(())
}

#[native("socket.__enter__($self, /)")]
fn __enter__(_vm: &mut Vm, this: Value) -> PyResult<Value> {
    Ok(this)
}

#[native("socket.__exit__($self, *args)")]
fn __exit__(vm: &mut Vm, this: &Sock, args: &[Value]) -> PyResult<()> {
    let _ = args;
    close(vm, this)
}

#[native("socket.__repr__($self, /)", style = "slot")]
fn __repr__(vm: &mut Vm, (v, this): (&Value, &Sock)) -> PyResult<String> {
    let cls = match v.as_instance() {
        Some(i) => match &*i.class {
            Object::Class(c) => format!("{}.{}", c.module, c.name),
            _ => "socket.socket".to_string(),
        },
        None => "socket.socket".to_string(),
    };
    let fd = this.raw();
    let mut s = format!(
        "<{cls} {}fd={fd}, family={}, type={}, proto={}",
        if fd < 0 { "[closed] " } else { "" },
        this.family(),
        this.kind(),
        this.proto.load(Ordering::Relaxed)
    );
    if fd >= 0 {
        for (label, peer) in [("laddr", false), ("raddr", true)] {
            if let Ok(a) = this.name(vm, peer) {
                let shown = !matches!(&a, Value::None) && a.as_str().is_none_or(|s| !s.as_str().is_empty());
                if shown {
                    let r = vm.repr_of(&a)?;
                    s.push_str(&format!(", {label}={r}"));
                }
            }
        }
    }
    s.push('>');
    Ok(s)
}

#[native("socket.family($self)")]
fn prop_family(_vm: &mut Vm, this: &Sock) -> PyResult<i64> {
    Ok(this.family() as i64)
}

#[native("socket.type($self)")]
fn prop_type(_vm: &mut Vm, this: &Sock) -> PyResult<i64> {
    Ok(this.kind() as i64)
}

#[native("socket.proto($self)")]
fn prop_proto(_vm: &mut Vm, this: &Sock) -> PyResult<i64> {
    Ok(this.proto.load(Ordering::Relaxed) as i64)
}

#[native("socket.timeout($self)")]
fn prop_timeout(_vm: &mut Vm, this: &Sock) -> PyResult<Option<f64>> {
    Ok(this.timeout.get())
}
