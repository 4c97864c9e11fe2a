//! `_multiprocessing`: the native layer under `multiprocessing` (written in conc in
//! `stdlib/lib/multiprocessing/__init__.conc`).
//!
//! Decisions:
//! - **Start method `spawn` by re-execution.** `spawn()` flushes stdout, then forks and
//!   execs the conc binary (`current_exe()`) as `conc --multiprocessing-child FD`. The
//!   parent writes a start message into the pipe `FD` from a helper thread (so a large
//!   message never blocks `start()`): the main script's path, `sys.path`, `sys.argv`
//!   and the pickled `Process` object. The child imports the script as `__mp_main__`
//!   (so `if __name__ == "__main__":` blocks do not run, while module-level code does,
//!   as in CPython's spawn), aliases it as `sys.modules['__main__']`, and calls
//!   `multiprocessing._child_bootstrap`, whose return value is the exit code.
//! - **Descriptors travel by inheritance.** Every IPC object is built on descriptors
//!   (pipes, socket pairs, anonymous memory files); pickling one records its
//!   descriptor, and `spawn()` clears close-on-exec on exactly those in the child, so
//!   the numbers in the message are valid there. Children therefore hold only the
//!   descriptors they were given, and a Pipe peer sees EOF when the others close. An
//!   IPC object sent later through a Queue or Pipe is refused in the sender with
//!   CPython's RuntimeError ("Lock objects should only be shared between processes
//!   through inheritance"); a Connection can be sent, through the descriptor sharer
//!   (`share.rs`), as CPython's resource_sharer does.
//! - **Shared memory** is `memfd_create` + `MAP_SHARED` (see `shm.rs`): nothing is
//!   named in the file system, so nothing can leak. Locks and semaphores are POSIX
//!   semaphores living in such memory.
//! - **Messages** on a Connection are a u32 length (0xFFFFFFFF then a u64 for large
//!   ones) followed by the bytes; objects are encoded by `pickle.rs`.
//! - **Manager** sockets are Linux abstract Unix sockets (no file to clean up).
//! - **Waiting** (recv, poll, acquire, join) goes through `Vm::block_on` in slices: each
//!   slice blocks in the kernel (poll, sem_timedwait) for at most 50 ms, so Ctrl-C and
//!   the blocking layer's records work while the wake-up stays immediate.
//! - **Start method `fork`** (`fork.rs`): the child goes on in the forking thread's
//!   VM with the parent's whole state, and ends with `exit_child` (`_exit`).

pub mod fork;
pub mod pickle;
mod relay;
pub mod share;
pub mod shm;

use crate::util::{functions, self_native, set};
use conc_interpreter::blocking::WaitQueue;
use conc_interpreter::interp::{add_methods, interp, new_class, types};
use conc_interpreter::native::Exc;
use conc_interpreter::value::class::BaseKind;
use conc_interpreter::value::instance::InstanceObj;
use conc_interpreter::{Args, ObjRef, Object, PyErr, PyResult, Value, Vm};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::time::{Duration, Instant};

/// The longest a wait blocks in the kernel before the blocking layer looks at Ctrl-C.
const SLICE: Duration = Duration::from_millis(50);

/// Waits until `attempt` succeeds or `timeout` passes, through the blocking layer.
/// `attempt(d)` may block up to `d` in the kernel; it is first called with zero.
pub fn wait_for<R>(
    vm: &mut Vm,
    timeout: Option<Duration>,
    what: &str,
    mut attempt: impl FnMut(Duration) -> Option<R>,
) -> PyResult<Option<R>> {
    if let Some(r) = attempt(Duration::ZERO) {
        return Ok(Some(r));
    }
    let deadline = timeout.map(|t| Instant::now() + t);
    let m = Mutex::new(());
    let q = WaitQueue::new();
    loop {
        let now = Instant::now();
        let slice = match deadline {
            Some(d) if now >= d => return Ok(None),
            Some(d) => (d - now).min(SLICE),
            None => SLICE,
        };
        let mut g = m.lock();
        // block_on asks `ready` once before registering the wait; that first call must
        // not block, the second one waits in the kernel for one slice.
        let mut first = true;
        let r = vm.block_on(&mut g, &q, Some(Duration::from_micros(1)), &|| what.to_string(), |_| {
            if first {
                first = false;
                return None;
            }
            attempt(slice)
        })?;
        if let Some(r) = r {
            return Ok(Some(r));
        }
    }
}

pub fn init(_vm: &mut Vm, m: &ObjRef) -> PyResult<()> {
    functions(
        m,
        &[
            ("dumps", dumps),
            ("dumps_fds", dumps_fds),
            ("dumps_shared", dumps_shared),
            ("loads", loads),
            ("pipe", pipe),
            ("spawn", spawn),
            ("fork", fork::fork),
            ("exit_child", fork::exit_child),
            ("poll_pid", poll_pid),
            ("wait_pid", wait_pid),
            ("kill", kill),
            ("listen", listen),
            ("connect", connect),
            ("cpu_count", cpu_count),
        ],
    );
    set(m, "Handle", Value::Obj(handle_class().clone()));
    set(m, "SemLock", Value::Obj(shm::classes().semlock.clone()));
    set(m, "SharedArray", Value::Obj(shm::classes().array.clone()));
    set(m, "PickleError", Value::Obj(pickle::classes().base.clone()));
    set(m, "PicklingError", Value::Obj(pickle::classes().pickling.clone()));
    set(m, "UnpicklingError", Value::Obj(pickle::classes().unpickling.clone()));
    set(m, "SEM_VALUE_MAX", Value::Int(shm::SEM_VALUE_MAX as i64));
    set(m, "RECURSIVE_MUTEX", Value::Int(shm::RECURSIVE_MUTEX as i64));
    set(m, "SEMAPHORE", Value::Int(shm::SEMAPHORE as i64));
    Ok(())
}

fn os_error(vm: &mut Vm, e: std::io::Error) -> PyErr {
    conc_interpreter::builtins::io::os_error(vm, &e, None)
}

fn arg(args: &Args, i: usize) -> &Value {
    args.pos.get(i).unwrap_or(&Value::None)
}

fn bytes_of<'a>(vm: &mut Vm, v: &'a Value) -> PyResult<&'a [u8]> {
    match v.obj() {
        Some(Object::Bytes(b)) => Ok(b),
        _ => Err(vm.type_error("a bytes-like object is required")),
    }
}

fn bytes_value(b: Vec<u8>) -> Value {
    Value::new(Object::Bytes(b.into_boxed_slice()))
}

fn timeout_arg(vm: &mut Vm, v: &Value) -> PyResult<Option<Duration>> {
    crate::util::arg_timeout(vm, v, false)
}

// ---- serialisation ----

fn dumps(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let (b, _) = pickle::dumps(vm, arg(&args, 0))?;
    Ok(bytes_value(b))
}

/// `dumps_fds(obj) -> (bytes, [fd, ...])`: also the descriptors the message refers to.
fn dumps_fds(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let (b, fds) = pickle::dumps(vm, arg(&args, 0))?;
    Ok(Value::tuple(vec![bytes_value(b), Value::list(fds.into_iter().map(|f| Value::Int(f as i64)).collect())]))
}

/// `dumps_shared(obj) -> bytes`: for a Queue or Pipe (see `pickle::dumps_shared`).
fn dumps_shared(vm: &mut Vm, args: Args) -> PyResult<Value> {
    Ok(bytes_value(pickle::dumps_shared(vm, arg(&args, 0))?))
}

fn loads(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let b = bytes_of(vm, arg(&args, 0))?.to_vec();
    pickle::loads(vm, &b)
}

// ---- descriptors ----

/// An owned descriptor; closed when the last handle to it goes away.
pub struct FdInner {
    fd: AtomicI32,
    write: Mutex<()>,
    /// The part of a message read so far (see `h_recv_bytes`).
    pending: Mutex<Vec<u8>>,
}

impl Drop for FdInner {
    fn drop(&mut self) {
        let fd = self.fd.swap(-1, Ordering::SeqCst);
        if fd >= 0 {
            let mut reg = fds();
            if reg.get(&fd).map(|w| w.strong_count() == 0).unwrap_or(false) {
                reg.remove(&fd);
            }
            unsafe { libc::close(fd) };
        }
    }
}

/// The payload of a `Handle` instance.
pub struct FdHandle(Arc<FdInner>);

impl FdHandle {
    pub fn fd(&self) -> i32 {
        self.0.fd.load(Ordering::SeqCst)
    }
}

fn fds_lock() -> &'static Mutex<HashMap<i32, Weak<FdInner>>> {
    static R: OnceLock<Mutex<HashMap<i32, Weak<FdInner>>>> = OnceLock::new();
    R.get_or_init(|| Mutex::new(HashMap::new()))
}

fn fds() -> parking_lot::MutexGuard<'static, HashMap<i32, Weak<FdInner>>> {
    fds_lock().lock()
}

fn handle_class() -> &'static ObjRef {
    static C: OnceLock<ObjRef> = OnceLock::new();
    C.get_or_init(|| {
        let c = new_class(
            "Handle",
            "_multiprocessing",
            vec![types().object.clone()],
            BaseKind::Builtin,
            true,
            Default::default(),
        );
        add_methods(
            &c,
            &[
                ("fileno", h_fileno),
                ("close", h_close),
                ("closed", h_closed),
                ("send_bytes", h_send_bytes),
                ("recv_bytes", h_recv_bytes),
                ("poll", h_poll),
                ("accept", h_accept),
            ],
        );
        c
    })
}

/// A Handle for `fd` (the same shared owner as other handles of it in this process).
pub fn handle_value(fd: i32) -> Value {
    let inner = {
        let mut reg = fds();
        match reg.get(&fd).and_then(Weak::upgrade) {
            Some(i) => i,
            None => {
                let i = Arc::new(FdInner {
                    fd: AtomicI32::new(fd),
                    write: Mutex::new(()),
                    pending: Mutex::new(Vec::new()),
                });
                reg.insert(fd, Arc::downgrade(&i));
                i
            }
        }
    };
    Value::new(Object::Instance(InstanceObj::with_native(handle_class().clone(), Box::new(FdHandle(inner)))))
}

fn open_fd(vm: &mut Vm, args: &Args) -> PyResult<i32> {
    let h: &FdHandle = self_native(vm, args, "Handle")?;
    let fd = h.fd();
    if fd < 0 {
        return Err(vm.error(Exc::OSError, "handle is closed"));
    }
    Ok(fd)
}

fn h_fileno(vm: &mut Vm, args: Args) -> PyResult<Value> {
    Ok(Value::Int(open_fd(vm, &args)? as i64))
}

fn h_closed(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let h: &FdHandle = self_native(vm, &args, "Handle")?;
    Ok(Value::Bool(h.fd() < 0))
}

fn h_close(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let h: &FdHandle = self_native(vm, &args, "Handle")?;
    let fd = h.0.fd.swap(-1, Ordering::SeqCst);
    if fd >= 0 {
        fds().remove(&fd);
        unsafe { libc::close(fd) };
    }
    Ok(Value::None)
}

fn write_all(fd: i32, mut buf: &[u8]) -> std::io::Result<()> {
    while !buf.is_empty() {
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
fn read_some(fd: i32, buf: &mut Vec<u8>, want: usize) -> std::io::Result<usize> {
    let old = buf.len();
    buf.resize(old + want, 0);
    loop {
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
fn fd_ready(fd: i32, d: Duration) -> bool {
    let mut p = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
    let ms = d.as_millis().min(i32::MAX as u128) as i32;
    let ms = if ms == 0 && !d.is_zero() { 1 } else { ms };
    let n = unsafe { libc::poll(&mut p, 1, ms) };
    n > 0 && p.revents != 0
}

/// `send_bytes(data)`: one framed message.
fn h_send_bytes(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let fd = open_fd(vm, &args)?;
    let data = bytes_of(vm, arg(&args, 1))?;
    let mut msg = Vec::with_capacity(data.len() + 12);
    if data.len() < u32::MAX as usize {
        msg.extend_from_slice(&(data.len() as u32).to_be_bytes());
    } else {
        msg.extend_from_slice(&u32::MAX.to_be_bytes());
        msg.extend_from_slice(&(data.len() as u64).to_be_bytes());
    }
    msg.extend_from_slice(data);
    let h: &FdHandle = self_native(vm, &args, "Handle")?;
    let r = {
        let _g = h.0.write.lock();
        write_all(fd, &msg)
    };
    r.map_err(|e| os_error(vm, e))?;
    Ok(Value::None)
}

/// `recv_bytes(timeout=None)`: the next message; None on timeout; EOFError at end.
///
/// The timeout bounds the whole message, not only its first byte: a writer killed
/// half-way through a message (a Queue whose other writers, the parent included,
/// keep the pipe open) must not block a reader with a timeout for ever. The bytes
/// read so far stay in the handle's `pending` buffer, so a slow writer's message is
/// completed by the next call. Never more than the current message is read: other
/// processes may read the next one from the same pipe.
fn h_recv_bytes(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let fd = open_fd(vm, &args)?;
    let timeout = timeout_arg(vm, arg(&args, 1))?;
    let deadline = timeout.map(|t| Instant::now() + t);
    let h: &FdHandle = self_native(vm, &args, "Handle")?;
    let inner = h.0.clone();
    let mut pending = inner.pending.lock();
    loop {
        let want = match message_state(&pending) {
            Ok(head) => {
                let msg = pending[head..].to_vec();
                pending.clear();
                return Ok(bytes_value(msg));
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

/// `poll(timeout=0)`: whether a message (or end of file) is waiting.
fn h_poll(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let fd = open_fd(vm, &args)?;
    let timeout = match args.pos.get(1) {
        None => Some(Duration::ZERO),
        Some(v) => timeout_arg(vm, v)?,
    };
    let r = wait_for(vm, timeout, "Connection.poll", |d| if fd_ready(fd, d) { Some(()) } else { None })?;
    Ok(Value::Bool(r.is_some()))
}

/// `pipe(duplex)`: two Handles; a socket pair when duplex, else (read end, write end).
fn pipe(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let duplex = vm.truthy(arg(&args, 0))?;
    let mut fds = [0i32; 2];
    let r = if duplex {
        unsafe { libc::socketpair(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0, fds.as_mut_ptr()) }
    } else {
        unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }
    };
    if r != 0 {
        return Err(os_error(vm, std::io::Error::last_os_error()));
    }
    if !duplex {
        // A bigger buffer lets a process put many items before anyone reads, as
        // CPython's feeder thread allows; failure just keeps the default size.
        unsafe { libc::fcntl(fds[1], libc::F_SETPIPE_SZ, 1 << 20) };
    }
    Ok(Value::tuple(vec![handle_value(fds[0]), handle_value(fds[1])]))
}

// ---- Unix sockets for managers ----

fn abstract_addr(name: &str) -> (libc::sockaddr_un, libc::socklen_t) {
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

/// `listen(name)`: a listening socket at the abstract address `name`.
fn listen(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let name = arg(&args, 0).as_str().map(|s| s.as_str().to_string()).unwrap_or_default();
    let fd = unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(os_error(vm, std::io::Error::last_os_error()));
    }
    let (a, len) = abstract_addr(&name);
    let ok = unsafe { libc::bind(fd, &a as *const _ as *const libc::sockaddr, len) == 0 && libc::listen(fd, 128) == 0 };
    if !ok {
        let e = std::io::Error::last_os_error();
        unsafe { libc::close(fd) };
        return Err(os_error(vm, e));
    }
    Ok(handle_value(fd))
}

/// `connect(name)`: a connected socket to the abstract address `name`.
fn connect(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let name = arg(&args, 0).as_str().map(|s| s.as_str().to_string()).unwrap_or_default();
    let fd = unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(os_error(vm, std::io::Error::last_os_error()));
    }
    let (a, len) = abstract_addr(&name);
    if unsafe { libc::connect(fd, &a as *const _ as *const libc::sockaddr, len) } != 0 {
        let e = std::io::Error::last_os_error();
        unsafe { libc::close(fd) };
        return Err(os_error(vm, e));
    }
    Ok(handle_value(fd))
}

/// `handle.accept(timeout=None)`: the next connection, or None on timeout.
fn h_accept(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let fd = open_fd(vm, &args)?;
    let timeout = timeout_arg(vm, arg(&args, 1))?;
    if wait_for(vm, timeout, "Listener.accept", |d| if fd_ready(fd, d) { Some(()) } else { None })?.is_none() {
        return Ok(Value::None);
    }
    let c = unsafe { libc::accept4(fd, std::ptr::null_mut(), std::ptr::null_mut(), libc::SOCK_CLOEXEC) };
    if c < 0 {
        return Err(os_error(vm, std::io::Error::last_os_error()));
    }
    Ok(handle_value(c))
}

// ---- processes ----

fn put_field(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u64).to_le_bytes());
    out.extend_from_slice(b);
}

fn str_list(items: &[String]) -> Vec<u8> {
    items.join("\0").into_bytes()
}

/// `spawn(process_message, fds)`: starts `conc --multiprocessing-child`, hands it the
/// start message and the descriptors `fds`; returns the child's pid.
fn spawn(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let message = bytes_of(vm, arg(&args, 0))?.to_vec();
    let mut keep: Vec<i32> = Vec::new();
    for v in vm.collect(arg(&args, 1))? {
        if let Value::Int(i) = v {
            keep.push(i as i32);
        }
    }
    let main_file = interp()
        .modules
        .lock()
        .get("__main__")
        .and_then(|m| match m.obj() {
            Some(Object::Module(mm)) => mm.globals.get("__file__").as_str().map(|s| s.as_str().to_string()),
            _ => None,
        })
        .unwrap_or_default();
    let main_file = if main_file.starts_with('<') { String::new() } else { main_file };
    let path = interp().path.lock().clone();
    let argv = interp().argv.lock().clone();
    let mut start = Vec::new();
    put_field(&mut start, main_file.as_bytes());
    put_field(&mut start, &str_list(&path));
    put_field(&mut start, &str_list(&argv));
    put_field(&mut start, &(std::process::id() as u64).to_le_bytes());
    put_field(&mut start, &message);

    let mut p = [0i32; 2];
    if unsafe { libc::pipe2(p.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(os_error(vm, std::io::Error::last_os_error()));
    }
    let (r, w) = (p[0], p[1]);
    keep.push(r);
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            unsafe {
                libc::close(r);
                libc::close(w);
            }
            return Err(os_error(vm, e));
        }
    };
    conc_interpreter::stdio::flush_stdout();
    let mut cmd = std::process::Command::new(exe);
    cmd.arg("--multiprocessing-child").arg(r.to_string());
    use std::os::unix::process::CommandExt;
    // SAFETY: between fork and exec the closure only calls fcntl, which is
    // async-signal-safe, on descriptors the parent keeps open during spawn().
    unsafe {
        cmd.pre_exec(move || {
            for &fd in &keep {
                libc::fcntl(fd, libc::F_SETFD, 0);
            }
            Ok(())
        });
    }
    relay::prepare(&mut cmd);
    let spawned = cmd.spawn();
    unsafe { libc::close(r) };
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => {
            unsafe { libc::close(w) };
            return Err(os_error(vm, e));
        }
    };
    let pid = child.id() as i32;
    relay::start(&mut child);
    // The Child is not waited through std: wait_pid reaps it.
    drop(child);
    // A pid reused by a new child must not report an old child's exit code.
    reaped().remove(&pid);
    std::thread::spawn(move || {
        // Length first: the child reads exactly the message rather than up to end of
        // file, which a process forked meanwhile (holding a copy of `w`) would delay.
        let _ = write_all(w, &(start.len() as u64).to_le_bytes());
        let _ = write_all(w, &start);
        unsafe { libc::close(w) };
    });
    Ok(Value::Int(pid as i64))
}

/// Exit codes of children already reaped, so every waiter sees the code.
fn reaped_lock() -> &'static Mutex<HashMap<i32, i32>> {
    static R: OnceLock<Mutex<HashMap<i32, i32>>> = OnceLock::new();
    R.get_or_init(|| Mutex::new(HashMap::new()))
}

fn reaped() -> parking_lot::MutexGuard<'static, HashMap<i32, i32>> {
    reaped_lock().lock()
}

/// The exit code if the child has ended: its status, or minus the killing signal.
fn try_reap(pid: i32) -> Option<i32> {
    if let Some(c) = reaped().get(&pid) {
        return Some(*c);
    }
    let mut status = 0;
    let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
    if r == pid {
        let code = if libc::WIFSIGNALED(status) { -libc::WTERMSIG(status) } else { libc::WEXITSTATUS(status) };
        reaped().insert(pid, code);
        return Some(code);
    }
    if r < 0 {
        // Reaped by another thread in the meantime, or not our child.
        return Some(reaped().get(&pid).copied().unwrap_or(255));
    }
    None
}

fn pid_arg(vm: &mut Vm, args: &Args) -> PyResult<i32> {
    match arg(args, 0) {
        Value::Int(i) => Ok(*i as i32),
        _ => Err(vm.type_error("pid must be an int")),
    }
}

fn poll_pid(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let pid = pid_arg(vm, &args)?;
    Ok(try_reap(pid).map(|c| Value::Int(c as i64)).unwrap_or(Value::None))
}

/// `wait_pid(pid, timeout=None)`: the exit code, or None on timeout.
fn wait_pid(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let pid = pid_arg(vm, &args)?;
    let timeout = timeout_arg(vm, arg(&args, 1))?;
    // A pidfd becomes readable when the child ends: the wait wakes at once.
    let pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) } as i32;
    let r = wait_for(vm, timeout, "Process.join", |d| {
        if let Some(c) = try_reap(pid) {
            return Some(c);
        }
        if d.is_zero() {
            return None;
        }
        if pidfd >= 0 {
            fd_ready(pidfd, d);
        } else {
            std::thread::sleep(d.min(Duration::from_millis(5)));
        }
        try_reap(pid)
    });
    if pidfd >= 0 {
        unsafe { libc::close(pidfd) };
    }
    Ok(r?.map(|c| Value::Int(c as i64)).unwrap_or(Value::None))
}

fn kill(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let pid = pid_arg(vm, &args)?;
    let sig = match arg(&args, 1) {
        Value::Int(s) => *s as i32,
        _ => libc::SIGTERM,
    };
    // Never signal a pid that was already reaped (it may belong to someone else now).
    if reaped().contains_key(&pid) {
        return Ok(Value::None);
    }
    unsafe { libc::kill(pid, sig) };
    Ok(Value::None)
}

fn cpu_count(_vm: &mut Vm, _args: Args) -> PyResult<Value> {
    let n = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    Ok(Value::Int(n.max(1) as i64))
}

// ---- the child side ----

fn take_field<'a>(data: &'a [u8], pos: &mut usize) -> Option<&'a [u8]> {
    let n = u64::from_le_bytes(data.get(*pos..*pos + 8)?.try_into().ok()?) as usize;
    *pos += 8;
    let f = data.get(*pos..*pos + n)?;
    *pos += n;
    Some(f)
}

fn split_list(b: &[u8]) -> Vec<String> {
    if b.is_empty() {
        return Vec::new();
    }
    String::from_utf8_lossy(b).split('\0').map(str::to_string).collect()
}

/// Entry point of `conc --multiprocessing-child FD`; returns the exit code.
pub fn child_main(args: &[String]) -> i32 {
    let fd: i32 = match args.first().and_then(|a| a.parse().ok()) {
        Some(f) => f,
        None => {
            eprintln!("conc: --multiprocessing-child needs a descriptor");
            return 2;
        }
    };
    let mut data = Vec::new();
    {
        use std::io::Read;
        use std::os::fd::FromRawFd;
        let mut f = unsafe { std::fs::File::from_raw_fd(fd) };
        let mut len = [0u8; 8];
        if f.read_exact(&mut len).is_err() {
            eprintln!("conc: no start message from the parent process");
            return 1;
        }
        data.resize(u64::from_le_bytes(len) as usize, 0);
        if f.read_exact(&mut data).is_err() {
            eprintln!("conc: incomplete start message from the parent process");
            return 1;
        }
    }
    let mut pos = 0;
    let (Some(main_file), Some(path), Some(argv), Some(_ppid), Some(message)) = (
        take_field(&data, &mut pos),
        take_field(&data, &mut pos),
        take_field(&data, &mut pos),
        take_field(&data, &mut pos),
        take_field(&data, &mut pos),
    ) else {
        eprintln!("conc: bad start message from the parent process");
        return 1;
    };
    let main_file = String::from_utf8_lossy(main_file).to_string();
    let message = message.to_vec();
    // The child's bootstrap (`multiprocessing._child_bootstrap`) joins its threads and
    // reports to the parent itself, so the runtime's shutdown sequence is not run.
    crate::runtime::RuntimeBuilder::new()
        .argv(split_list(argv))
        .path(split_list(path))
        .without_shutdown()
        .run(move |vm| child_run(vm, &main_file, &message))
}

fn child_run(vm: &mut Vm, main_file: &str, message: &[u8]) -> i32 {
    match run_child(vm, main_file, message) {
        Ok(Value::Int(c)) => c as i32,
        Ok(_) => 0,
        Err(e) => {
            let text = vm.format_exception(&e.exc);
            conc_interpreter::stdio::write_stderr(&text);
            1
        }
    }
}

fn run_child(vm: &mut Vm, main_file: &str, message: &[u8]) -> PyResult<Value> {
    if !main_file.is_empty() {
        let src = std::fs::read_to_string(main_file).map_err(|e| os_error(vm, e))?;
        let m = vm.exec_source_module("__mp_main__", main_file, &src, false)?;
        interp().modules.lock().insert("__main__".into(), Value::Obj(m));
    }
    let mp = vm.import_module("multiprocessing")?;
    let boot = vm.get_attr(&mp, &conc_interpreter::value::str::intern("_child_bootstrap"))?;
    vm.call(&boot, Args::new(vec![bytes_value(message.to_vec())]))
}
