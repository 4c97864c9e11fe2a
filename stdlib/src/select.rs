//! `select`: waiting for descriptors with `select.select`, `select.poll` and
//! `select.epoll`. All three ask the kernel at once first; when nothing is ready
//! and the caller allows waiting, the wait goes through the blocking layer
//! (`Vm::wait_in_kernel`): the kernel call is repeated in short slices, so Ctrl-C
//! interrupts it and the wait is recorded, and no lock is held meanwhile (a poll
//! object's registrations are copied out first).
//!
//! `select.select` is built on `poll(2)`, so descriptors above FD_SETSIZE work.

use crate::util::{natives, set};
use conc_interpreter::native::{native, Exc, NativeClass, NativePayload, Property};
use conc_interpreter::value::str::intern;
use conc_interpreter::{ObjRef, Object, PyErr, PyResult, Value, Vm};
use parking_lot::Mutex;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

const POLL_CONSTANTS: &[(&str, i64)] = &[
    ("POLLIN", libc::POLLIN as i64),
    ("POLLPRI", libc::POLLPRI as i64),
    ("POLLOUT", libc::POLLOUT as i64),
    ("POLLERR", libc::POLLERR as i64),
    ("POLLHUP", libc::POLLHUP as i64),
    ("POLLNVAL", libc::POLLNVAL as i64),
    ("POLLRDNORM", libc::POLLRDNORM as i64),
    ("POLLRDBAND", libc::POLLRDBAND as i64),
    ("POLLWRNORM", libc::POLLWRNORM as i64),
    ("POLLWRBAND", libc::POLLWRBAND as i64),
    ("POLLMSG", 1024),
    ("POLLRDHUP", libc::POLLRDHUP as i64),
    ("EPOLLIN", libc::EPOLLIN as i64),
    ("EPOLLOUT", libc::EPOLLOUT as i64),
    ("EPOLLPRI", libc::EPOLLPRI as i64),
    ("EPOLLERR", libc::EPOLLERR as i64),
    ("EPOLLHUP", libc::EPOLLHUP as i64),
    ("EPOLLET", libc::EPOLLET as u32 as i64),
    ("EPOLLONESHOT", libc::EPOLLONESHOT as i64),
    ("EPOLLEXCLUSIVE", libc::EPOLLEXCLUSIVE as i64),
    ("EPOLLRDHUP", libc::EPOLLRDHUP as i64),
    ("EPOLLRDNORM", libc::EPOLLRDNORM as i64),
    ("EPOLLRDBAND", libc::EPOLLRDBAND as i64),
    ("EPOLLWRNORM", libc::EPOLLWRNORM as i64),
    ("EPOLLWRBAND", libc::EPOLLWRBAND as i64),
    ("EPOLLMSG", libc::EPOLLMSG as i64),
    ("EPOLL_CLOEXEC", libc::EPOLL_CLOEXEC as i64),
    ("PIPE_BUF", libc::PIPE_BUF as i64),
];

pub fn init(_vm: &mut Vm, m: &ObjRef) -> PyResult<()> {
    for (name, v) in POLL_CONSTANTS {
        set(m, name, Value::Int(*v));
    }
    set(m, "error", Value::Obj(Exc::OSError.class().clone()));
    set(m, "epoll", Value::Obj(EPOLL.class().clone()));
    natives(m, &[&select::DEF, &poll::DEF]);
    Ok(())
}

fn os_err(vm: &mut Vm, e: &io::Error) -> PyErr {
    conc_interpreter::builtins::io::os_error(vm, e, None)
}

/// A descriptor argument: an int, or an object whose `fileno()` gives one.
pub fn fd_of(vm: &mut Vm, v: &Value) -> PyResult<RawFd> {
    let n = match v.unwrap_base() {
        Value::Int(i) => *i,
        Value::Bool(b) => *b as i64,
        _ => {
            let method = match vm.get_attr_opt(v, &intern("fileno"))? {
                Some(m) => m,
                None => return Err(vm.type_error("argument must be an int, or have a fileno() method.")),
            };
            let r = vm.call1(&method, [])?;
            match r.unwrap_base() {
                Value::Int(i) => *i,
                Value::Bool(b) => *b as i64,
                _ => return Err(vm.type_error("fileno() returned a non-integer")),
            }
        }
    };
    if n < 0 {
        let msg = format!("file descriptor cannot be a negative integer ({n})");
        return Err(vm.value_error(&msg));
    }
    if n > i32::MAX as i64 {
        return Err(vm.error(Exc::OverflowError, "Python int too large to convert to C int"));
    }
    Ok(n as RawFd)
}

/// Calls `poll(2)` on `fds` for at most `ms` (negative: for ever); the count ready.
fn poll_fds(fds: &mut [libc::pollfd], ms: i32) -> io::Result<usize> {
    // SAFETY: `fds` is a valid slice of pollfd for its length.
    let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

fn slice_ms(d: Duration) -> i32 {
    let ms = d.as_millis().min(i32::MAX as u128) as i32;
    if ms == 0 && !d.is_zero() {
        1
    } else {
        ms
    }
}

/// Waits until `attempt(ms)` (one kernel call waiting at most `ms`) reports
/// something, or `timeout` passes: asks once without waiting, then through the
/// blocking layer. Errors other than EINTR end the wait.
pub(crate) fn wait_ready<R>(
    vm: &mut Vm,
    timeout: Option<Duration>,
    what: &str,
    mut attempt: impl FnMut(i32) -> io::Result<Option<R>>,
) -> PyResult<Option<R>> {
    let first = match attempt(0) {
        Ok(r) => r,
        Err(e) if e.kind() == io::ErrorKind::Interrupted => None,
        Err(e) => return Err(os_err(vm, &e)),
    };
    if first.is_some() || timeout == Some(Duration::ZERO) {
        return Ok(first);
    }
    let mut failure: Option<io::Error> = None;
    let r = vm.wait_in_kernel(timeout, &|| what.to_string(), |slice| match attempt(slice_ms(slice)) {
        Ok(Some(r)) => Some(Ok(r)),
        Ok(None) => None,
        Err(e) if e.kind() == io::ErrorKind::Interrupted => None,
        Err(e) => {
            failure = Some(e);
            Some(Err(()))
        }
    })?;
    match r {
        Some(Ok(r)) => Ok(Some(r)),
        Some(Err(())) => {
            let e = failure.unwrap_or_else(|| io::Error::from_raw_os_error(libc::EIO));
            Err(os_err(vm, &e))
        }
        None => Ok(None),
    }
}

/// Seconds as `select` and `epoll.poll` take them: None waits for ever.
fn seconds_arg(vm: &mut Vm, v: &Value, negative_waits: bool) -> PyResult<Option<Duration>> {
    let secs = match v.unwrap_base() {
        Value::None => return Ok(None),
        Value::Int(i) => *i as f64,
        Value::Bool(b) => *b as i64 as f64,
        Value::Float(f) => *f,
        _ => return Err(vm.type_error("timeout must be a float or None")),
    };
    if secs < 0.0 {
        if negative_waits {
            return Ok(None);
        }
        return Err(vm.value_error("timeout must be non-negative"));
    }
    vm.seconds(secs).map(Some)
}

/// select(rlist, wlist, xlist[, timeout]) -> (rlist, wlist, xlist)
#[native("select(rlist, wlist, xlist, timeout=None, /)")]
fn select(vm: &mut Vm, rlist: &Value, wlist: &Value, xlist: &Value, timeout: Option<Value>) -> PyResult<Value> {
    let mut lists = Vec::new();
    for l in [rlist, wlist, xlist] {
        let items = match l.unwrap_base().obj() {
            Some(Object::List(_)) | Some(Object::Tuple(_)) => vm.collect(l)?,
            _ => match vm.collect(l) {
                Ok(v) => v,
                Err(_) => return Err(vm.type_error("arguments 1-3 must be sequences")),
            },
        };
        let mut with_fds = Vec::with_capacity(items.len());
        for it in items {
            let fd = fd_of(vm, &it)?;
            with_fds.push((it, fd));
        }
        lists.push(with_fds);
    }
    let timeout = match timeout {
        Some(t) => seconds_arg(vm, &t, false)?,
        None => None,
    };
    let events = [libc::POLLIN, libc::POLLOUT, libc::POLLPRI];
    let mut fds: Vec<libc::pollfd> = Vec::new();
    for (list, ev) in lists.iter().zip(events) {
        for (_, fd) in list {
            match fds.iter_mut().find(|p| p.fd == *fd) {
                Some(p) => p.events |= ev,
                None => fds.push(libc::pollfd { fd: *fd, events: ev, revents: 0 }),
            }
        }
    }
    let ready = wait_ready(vm, timeout, "select.select()", |ms| {
        let n = poll_fds(&mut fds, ms)?;
        if fds.iter().any(|p| p.revents & libc::POLLNVAL != 0) {
            return Err(io::Error::from_raw_os_error(libc::EBADF));
        }
        Ok((n > 0).then(|| fds.clone()))
    })?;
    let ready = ready.unwrap_or_default();
    let masks = [libc::POLLIN | libc::POLLHUP | libc::POLLERR, libc::POLLOUT | libc::POLLERR, libc::POLLPRI];
    let mut out = Vec::new();
    for (list, mask) in lists.into_iter().zip(masks) {
        let picked: Vec<Value> = list
            .into_iter()
            .filter(|(_, fd)| ready.iter().any(|p| p.fd == *fd && p.revents & mask != 0))
            .map(|(v, _)| v)
            .collect();
        out.push(Value::list(picked));
    }
    Ok(Value::tuple(out))
}

// ---- poll ----

pub struct PollObj {
    /// Registered descriptors and their masks, in registration order.
    fds: Mutex<Vec<(RawFd, i16)>>,
}

impl NativePayload for PollObj {
    const CLASS: &'static NativeClass = &POLL;
}

pub static POLL: NativeClass = NativeClass {
    name: "poll",
    module: "select",
    doc: "A set of descriptors to wait on (select.poll()).",
    methods: &[&p_register::DEF, &p_modify::DEF, &p_unregister::DEF, &p_poll::DEF],
    ..NativeClass::DEFAULT
};

/// Returns a polling object.
#[native("poll()")]
fn poll(_vm: &mut Vm) -> PyResult<Value> {
    Ok(POLL.instance(PollObj { fds: Mutex::new(Vec::new()) }))
}

fn mask_of(vm: &mut Vm, v: &Value) -> PyResult<i16> {
    let n = vm.index_value(v)?;
    if !(0..=0xffff).contains(&n) {
        return Err(vm.error(Exc::OverflowError, "Python int too large for C unsigned short"));
    }
    Ok(n as u16 as i16)
}

/// register(fd[, eventmask]): watch fd for the events in eventmask.
#[native("poll.register($self, fd, eventmask=select.POLLIN | select.POLLPRI | select.POLLOUT{None}, /)")]
fn p_register(vm: &mut Vm, this: &PollObj, fd: &Value, eventmask: Option<Value>) -> PyResult<()> {
    let fd = fd_of(vm, fd)?;
    let mask = match eventmask {
        Some(m) => mask_of(vm, &m)?,
        None => libc::POLLIN | libc::POLLPRI | libc::POLLOUT,
    };
    let mut fds = this.fds.lock();
    match fds.iter_mut().find(|(f, _)| *f == fd) {
        Some(e) => e.1 = mask,
        None => fds.push((fd, mask)),
    }
    Ok(())
}

/// modify(fd, eventmask): change the events a registered fd is watched for.
#[native("poll.modify($self, fd, eventmask, /)")]
fn p_modify(vm: &mut Vm, this: &PollObj, fd: &Value, eventmask: &Value) -> PyResult<()> {
    let fd = fd_of(vm, fd)?;
    let mask = mask_of(vm, eventmask)?;
    let found = match this.fds.lock().iter_mut().find(|(f, _)| *f == fd) {
        Some(e) => {
            e.1 = mask;
            true
        }
        None => false,
    };
    if !found {
        return Err(os_err(vm, &io::Error::from_raw_os_error(libc::ENOENT)));
    }
    Ok(())
}

/// unregister(fd): stop watching fd.
#[native("poll.unregister($self, fd, /)")]
fn p_unregister(vm: &mut Vm, this: &PollObj, fd: &Value) -> PyResult<()> {
    let n = fd_of(vm, fd)?;
    let removed = {
        let mut fds = this.fds.lock();
        let before = fds.len();
        fds.retain(|(f, _)| *f != n);
        fds.len() != before
    };
    if !removed {
        let cls = Exc::KeyError.class().clone();
        return Err(vm.new_exception(&cls, vec![Value::Int(n as i64)]));
    }
    Ok(())
}

/// poll([timeout]) -> list of (fd, event) pairs; timeout in milliseconds, None or
/// negative for ever.
#[native("poll.poll($self, timeout=None, /)")]
fn p_poll(vm: &mut Vm, this: &PollObj, timeout: Option<Value>) -> PyResult<Value> {
    let timeout = match timeout.as_ref().map(|v| v.unwrap_base()) {
        None | Some(Value::None) => None,
        Some(Value::Int(i)) => (*i >= 0).then(|| Duration::from_millis(*i as u64)),
        Some(Value::Bool(b)) => Some(Duration::from_millis(*b as u64)),
        Some(Value::Float(f)) => {
            if f.is_nan() {
                return Err(vm.value_error("Invalid value NaN (not a number)"));
            }
            (*f >= 0.0).then(|| Duration::from_secs_f64(f.ceil() / 1000.0))
        }
        Some(_) => return Err(vm.type_error("timeout must be an integer or None")),
    };
    let mut fds: Vec<libc::pollfd> =
        this.fds.lock().iter().map(|(fd, ev)| libc::pollfd { fd: *fd, events: *ev, revents: 0 }).collect();
    let ready = wait_ready(vm, timeout, "select.poll.poll()", |ms| {
        let n = poll_fds(&mut fds, ms)?;
        Ok((n > 0).then(|| fds.clone()))
    })?;
    let items = ready
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.revents != 0)
        .map(|p| Value::tuple(vec![Value::Int(p.fd as i64), Value::Int(p.revents as u16 as i64)]))
        .collect();
    Ok(Value::list(items))
}

// ---- epoll ----

pub struct EpollObj {
    fd: Mutex<Option<OwnedFd>>,
}

impl NativePayload for EpollObj {
    const CLASS: &'static NativeClass = &EPOLL;
}

pub static EPOLL: NativeClass = NativeClass {
    name: "epoll",
    module: "select",
    doc: "select.epoll(sizehint=-1, flags=0)\n\nReturns an epolling object.",
    methods: &[
        &e_new::DEF,
        &e_close::DEF,
        &e_fileno::DEF,
        &e_register::DEF,
        &e_modify::DEF,
        &e_unregister::DEF,
        &e_poll::DEF,
        &e_enter::DEF,
        &e_exit::DEF,
    ],
    properties: &[Property { name: "closed", get: &e_closed::DEF, set: None }],
    subclassable: true,
    ..NativeClass::DEFAULT
};

#[native("epoll.__new__($cls, sizehint=-1, flags=0)")]
fn e_new(vm: &mut Vm, cls: &ObjRef, sizehint: i64, flags: i64) -> PyResult<Value> {
    if sizehint == 0 || sizehint < -1 {
        return Err(vm.value_error("negative sizehint"));
    }
    let _ = flags;
    // SAFETY: epoll_create1 with a flag only.
    let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    if fd < 0 {
        return Err(os_err(vm, &io::Error::last_os_error()));
    }
    // SAFETY: `fd` was just created and nothing else owns it.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    Ok(NativeClass::instance_of(cls, EpollObj { fd: Mutex::new(Some(owned)) }))
}

impl EpollObj {
    fn raw(&self, vm: &mut Vm) -> PyResult<RawFd> {
        match &*self.fd.lock() {
            Some(f) => Ok(f.as_raw_fd()),
            None => Err(vm.value_error("I/O operation on closed epoll object")),
        }
    }

    fn ctl(&self, vm: &mut Vm, op: i32, fd: &Value, mask: u32) -> PyResult<()> {
        let ep = self.raw(vm)?;
        let fd = fd_of(vm, fd)?;
        let mut ev = libc::epoll_event { events: mask, u64: fd as u64 };
        // SAFETY: `ev` is a valid epoll_event for the duration of the call.
        if unsafe { libc::epoll_ctl(ep, op, fd, &mut ev) } < 0 {
            return Err(os_err(vm, &io::Error::last_os_error()));
        }
        Ok(())
    }
}

fn epoll_mask(vm: &mut Vm, v: Option<Value>) -> PyResult<u32> {
    match v {
        None => Ok((libc::EPOLLIN | libc::EPOLLPRI | libc::EPOLLOUT) as u32),
        Some(v) => {
            let n = vm.index_value(&v)?;
            if n < 0 || n > u32::MAX as i64 {
                return Err(vm.error(Exc::OverflowError, "Python int too large to convert to C unsigned int"));
            }
            Ok(n as u32)
        }
    }
}

/// close(): close the epoll descriptor.
#[native("epoll.close($self, /)")]
fn e_close(_vm: &mut Vm, this: &EpollObj) -> PyResult<()> {
    this.fd.lock().take();
    Ok(())
}

/// fileno() -> int: the epoll descriptor.
#[native("epoll.fileno($self, /)")]
fn e_fileno(vm: &mut Vm, this: &EpollObj) -> PyResult<i64> {
    Ok(this.raw(vm)? as i64)
}

/// register(fd[, eventmask]): watch fd for the events in eventmask.
#[native("epoll.register($self, fd, eventmask=select.EPOLLIN | select.EPOLLPRI | select.EPOLLOUT{None})")]
fn e_register(vm: &mut Vm, this: &EpollObj, fd: &Value, eventmask: Option<Value>) -> PyResult<()> {
    let mask = epoll_mask(vm, eventmask)?;
    this.ctl(vm, libc::EPOLL_CTL_ADD, fd, mask)
}

/// modify(fd, eventmask): change the events a registered fd is watched for.
#[native("epoll.modify($self, fd, eventmask)")]
fn e_modify(vm: &mut Vm, this: &EpollObj, fd: &Value, eventmask: Value) -> PyResult<()> {
    let mask = epoll_mask(vm, Some(eventmask))?;
    this.ctl(vm, libc::EPOLL_CTL_MOD, fd, mask)
}

/// unregister(fd): stop watching fd.
#[native("epoll.unregister($self, fd)")]
fn e_unregister(vm: &mut Vm, this: &EpollObj, fd: &Value) -> PyResult<()> {
    this.ctl(vm, libc::EPOLL_CTL_DEL, fd, 0)
}

/// poll([timeout=-1[, maxevents=-1]]) -> [(fd, events), (...)]: timeout in seconds.
#[native("epoll.poll($self, timeout=None, maxevents=-1)")]
fn e_poll(vm: &mut Vm, this: &EpollObj, timeout: Option<Value>, maxevents: i64) -> PyResult<Value> {
    let ep = this.raw(vm)?;
    let timeout = match timeout {
        Some(t) => seconds_arg(vm, &t, true)?,
        None => None,
    };
    let max = match maxevents {
        -1 => 1023,
        n if n <= 0 => {
            let msg = format!("maxevents must be greater than 0, got {n}");
            return Err(vm.value_error(&msg));
        }
        n => n.min(65536) as usize,
    };
    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; max];
    let got = wait_ready(vm, timeout, "select.epoll.poll()", |ms| {
        // SAFETY: `events` has room for `max` entries.
        let n = unsafe { libc::epoll_wait(ep, events.as_mut_ptr(), max as i32, ms) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok((n > 0).then_some(n as usize))
    })?;
    let n = got.unwrap_or(0);
    let items = events[..n]
        .iter()
        .map(|e| {
            let (fd, ev) = (e.u64, e.events);
            Value::tuple(vec![Value::Int(fd as i64), Value::Int(ev as i64)])
        })
        .collect();
    Ok(Value::list(items))
}

#[native("epoll.__enter__($self, /)")]
fn e_enter(vm: &mut Vm, (v, this): (&Value, &EpollObj)) -> PyResult<Value> {
    this.raw(vm)?;
    Ok(v.clone())
}

#[native("epoll.__exit__($self, *args)")]
fn e_exit(_vm: &mut Vm, this: &EpollObj, args: &[Value]) -> PyResult<()> {
    let _ = args;
    this.fd.lock().take();
    Ok(())
}

/// True if the epoll handler is closed.
#[native("epoll.closed($self)")]
fn e_closed(_vm: &mut Vm, this: &EpollObj) -> PyResult<bool> {
    Ok(this.fd.lock().is_none())
}
