//! `_asyncio_waker`: what an asyncio event loop waits on when it has nothing ready.
//! `Waker.wait(timeout)` blocks through the blocking layer (so Ctrl-C interrupts the
//! loop, and the wait is recorded) until `timeout` seconds pass, another thread
//! calls `wake()` (`call_soon_threadsafe`, a finished executor job) or, once the
//! loop watches descriptors (`watch`, for `add_reader`/`add_writer`), one of them is
//! ready. Each loop owns its waker: loops in different threads share nothing here.
//!
//! A loop that watches no descriptor sleeps on a condition variable (no system call
//! to wake it but the futex). The first `watch` gives the waker an epoll instance
//! and an eventfd registered in it; from then on the idle wait is `epoll_wait`, and
//! `wake()` writes the eventfd when the loop is in the kernel.

use crate::select::{fd_of, wait_ready};
use crate::util::{natives, set};
use conc_interpreter::blocking::WaitQueue;
use conc_interpreter::native::{native, NativeClass, NativePayload};
use conc_interpreter::{ObjRef, PyResult, Value, Vm};
use parking_lot::Mutex;
use std::cell::RefCell;
use std::collections::HashMap;
use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicI32, Ordering};

pub fn init(_vm: &mut Vm, m: &ObjRef) -> PyResult<()> {
    set(m, "Waker", Value::Obj(WAKER.class().clone()));
    set(m, "READ", Value::Int(READ));
    set(m, "WRITE", Value::Int(WRITE));
    natives(m, &[&get_running_loop::DEF, &set_running_loop::DEF]);
    Ok(())
}

/// The event bits `wait` reports per descriptor (selectors' EVENT_READ/WRITE).
const READ: i64 = 1;
const WRITE: i64 = 2;

thread_local! {
    /// The event loop running on this thread (None when none runs): a loop is found
    /// without any lookup shared with other threads.
    static RUNNING: RefCell<Value> = const { RefCell::new(Value::None) };
}

/// Return the event loop running in this thread, or None.
#[native("_asyncio_waker.get_running_loop()")]
fn get_running_loop(_vm: &mut Vm) -> PyResult<Value> {
    Ok(RUNNING.with(|r| r.borrow().clone()))
}

/// Record the event loop running in this thread (None when it stops).
#[native("_asyncio_waker.set_running_loop(loop, /)")]
fn set_running_loop(_vm: &mut Vm, r#loop: Value) -> PyResult<()> {
    let old = RUNNING.with(|r| std::mem::replace(&mut *r.borrow_mut(), r#loop));
    // Dropped outside the borrow: freeing a loop may run code that reads the cell.
    drop(old);
    Ok(())
}

/// What `wake()` and the waiting loop agree on, under one lock.
struct Flags {
    /// Set by `wake()`, cleared when a wait returns.
    woken: bool,
    /// The loop is in `epoll_wait`: `wake()` must write the eventfd.
    in_kernel: bool,
}

/// The epoll side, made by the first `watch`.
struct Kernel {
    epfd: RawFd,
    /// The descriptors watched and their READ/WRITE bits.
    watched: HashMap<RawFd, i64>,
}

struct Waker {
    flags: Mutex<Flags>,
    queue: WaitQueue,
    kernel: Mutex<Option<Kernel>>,
    /// The eventfd (-1 until the first `watch`), read by `wake()` on any thread.
    evfd: AtomicI32,
}

impl NativePayload for Waker {
    const CLASS: &'static NativeClass = &WAKER;
}

impl Drop for Waker {
    fn drop(&mut self) {
        if let Some(k) = self.kernel.get_mut().take() {
            // SAFETY: the waker owns both descriptors and nothing uses them any more.
            unsafe {
                libc::close(k.epfd);
                libc::close(*self.evfd.get_mut());
            }
        }
    }
}

static WAKER: NativeClass = NativeClass {
    name: "Waker",
    module: "_asyncio_waker",
    doc: "Waker()\n\nWhat an event loop sleeps on: wait(timeout) until a wake() from any thread or a watched descriptor is ready.",
    methods: &[&w_new::DEF, &w_wait::DEF, &w_wake::DEF, &w_watch::DEF, &w_watching::DEF],
    ..NativeClass::DEFAULT
};

#[native("Waker.__new__($cls, /)")]
fn w_new(_vm: &mut Vm, cls: &ObjRef) -> PyResult<Value> {
    let waker = Waker {
        flags: Mutex::new(Flags { woken: false, in_kernel: false }),
        queue: WaitQueue::new(),
        kernel: Mutex::new(None),
        evfd: AtomicI32::new(-1),
    };
    Ok(NativeClass::instance_of(cls, waker))
}

fn os_err(vm: &mut Vm, e: &io::Error) -> conc_interpreter::PyErr {
    conc_interpreter::builtins::io::os_error(vm, e, None)
}

fn epoll_bits(mask: i64) -> u32 {
    let mut bits = 0;
    if mask & READ != 0 {
        bits |= libc::EPOLLIN as u32;
    }
    if mask & WRITE != 0 {
        bits |= libc::EPOLLOUT as u32;
    }
    bits
}

fn ctl(epfd: RawFd, op: libc::c_int, fd: RawFd, mask: i64) -> io::Result<()> {
    let mut ev = libc::epoll_event { events: epoll_bits(mask), u64: fd as u32 as u64 };
    // SAFETY: `ev` is a valid epoll_event for the duration of the call.
    let r = unsafe { libc::epoll_ctl(epfd, op, fd, &mut ev) };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

impl Waker {
    /// The epoll instance, made with its eventfd on first use.
    fn kernel<'a>(&self, slot: &'a mut Option<Kernel>) -> io::Result<&'a mut Kernel> {
        if slot.is_none() {
            // SAFETY: plain system calls; the results are checked before use.
            let epfd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
            if epfd < 0 {
                return Err(io::Error::last_os_error());
            }
            // SAFETY: as above.
            let evfd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
            if evfd < 0 {
                let e = io::Error::last_os_error();
                // SAFETY: `epfd` was just made and is owned here.
                unsafe { libc::close(epfd) };
                return Err(e);
            }
            if let Err(e) = ctl(epfd, libc::EPOLL_CTL_ADD, evfd, READ) {
                // SAFETY: both were just made and are owned here.
                unsafe {
                    libc::close(epfd);
                    libc::close(evfd);
                }
                return Err(e);
            }
            self.evfd.store(evfd, Ordering::Release);
            *slot = Some(Kernel { epfd, watched: HashMap::new() });
        }
        Ok(slot.as_mut().expect("made above"))
    }
}

/// Watch fd for the events in mask (READ | WRITE; 0 stops watching it).
#[native("Waker.watch($self, fd, mask, /)")]
fn w_watch(vm: &mut Vm, this: &Waker, fd: &Value, mask: i64) -> PyResult<()> {
    let fd = fd_of(vm, fd)?;
    let mask = mask & (READ | WRITE);
    let mut slot = this.kernel.lock();
    if mask == 0 && slot.is_none() {
        return Ok(());
    }
    let k = match this.kernel(&mut slot) {
        Ok(k) => k,
        Err(e) => return Err(os_err(vm, &e)),
    };
    let before = k.watched.get(&fd).copied();
    let result = match (before, mask) {
        (None, 0) => Ok(()),
        (Some(_), 0) => {
            k.watched.remove(&fd);
            // A descriptor closed while watched has already left the epoll set.
            match ctl(k.epfd, libc::EPOLL_CTL_DEL, fd, 0) {
                Err(e) if matches!(e.raw_os_error(), Some(libc::ENOENT) | Some(libc::EBADF)) => Ok(()),
                r => r,
            }
        }
        (None, m) => match ctl(k.epfd, libc::EPOLL_CTL_ADD, fd, m) {
            Err(e) if e.raw_os_error() == Some(libc::EEXIST) => ctl(k.epfd, libc::EPOLL_CTL_MOD, fd, m),
            r => r,
        },
        (Some(_), m) => match ctl(k.epfd, libc::EPOLL_CTL_MOD, fd, m) {
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => ctl(k.epfd, libc::EPOLL_CTL_ADD, fd, m),
            r => r,
        },
    };
    if let Err(e) = result {
        k.watched.remove(&fd);
        return Err(os_err(vm, &e));
    }
    if mask != 0 {
        k.watched.insert(fd, mask);
    }
    Ok(())
}

/// The number of descriptors watched.
#[native("Waker.watching($self, /)")]
fn w_watching(_vm: &mut Vm, this: &Waker) -> PyResult<usize> {
    Ok(this.kernel.lock().as_ref().map_or(0, |k| k.watched.len()))
}

/// Wait until wake() is called, a watched descriptor is ready or timeout seconds
/// pass (None: no limit; 0: only look). Return the list of (fd, events) ready.
#[native("Waker.wait($self, timeout=None, /)")]
fn w_wait(vm: &mut Vm, this: &Waker, timeout: Option<f64>) -> PyResult<Value> {
    let limit = match timeout {
        Some(t) if t <= 0.0 => Some(std::time::Duration::ZERO),
        Some(t) => Some(vm.seconds(t)?),
        None => None,
    };
    let epfd = this.kernel.lock().as_ref().map(|k| k.epfd);
    let Some(epfd) = epfd else {
        if limit == Some(std::time::Duration::ZERO) {
            this.flags.lock().woken = false;
            return Ok(Value::list(Vec::new()));
        }
        let mut g = this.flags.lock();
        vm.block_on(&mut g, &this.queue, limit, &|| "asyncio event loop".to_string(), |f| f.woken.then_some(()))?;
        g.woken = false;
        return Ok(Value::list(Vec::new()));
    };
    let limit = {
        let mut g = this.flags.lock();
        if g.woken {
            // Woken already: only look at the descriptors.
            g.woken = false;
            Some(std::time::Duration::ZERO)
        } else {
            g.in_kernel = true;
            limit
        }
    };
    let evfd = this.evfd.load(Ordering::Acquire);
    const MAX: usize = 256;
    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; MAX];
    let got = wait_ready(vm, limit, "asyncio event loop", |ms| {
        // SAFETY: `events` has room for `MAX` entries.
        let n = unsafe { libc::epoll_wait(epfd, events.as_mut_ptr(), MAX as i32, ms) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok((n > 0).then_some(n as usize))
    });
    {
        let mut g = this.flags.lock();
        g.in_kernel = false;
        g.woken = false;
    }
    let n = got?.unwrap_or(0);
    let mut items = Vec::with_capacity(n);
    for e in &events[..n] {
        let fd = e.u64 as u32 as RawFd;
        if fd == evfd {
            let mut buf = [0u8; 8];
            // SAFETY: reads at most 8 bytes into `buf`; the eventfd is non-blocking.
            unsafe { libc::read(evfd, buf.as_mut_ptr().cast(), 8) };
            continue;
        }
        let bits = e.events;
        let mut mask = 0;
        // An error or hang-up wakes both sides, as selectors report it.
        let trouble = (libc::EPOLLERR | libc::EPOLLHUP) as u32;
        if bits & (libc::EPOLLIN as u32 | trouble) != 0 {
            mask |= READ;
        }
        if bits & (libc::EPOLLOUT as u32 | trouble) != 0 {
            mask |= WRITE;
        }
        items.push(Value::tuple(vec![Value::Int(fd as i64), Value::Int(mask)]));
    }
    Ok(Value::list(items))
}

/// Wake the thread waiting in wait() (or make its next wait return at once).
#[native("Waker.wake($self, /)")]
fn w_wake(_vm: &mut Vm, this: &Waker) -> PyResult<()> {
    let mut g = this.flags.lock();
    if g.woken {
        return Ok(());
    }
    g.woken = true;
    if g.in_kernel {
        let evfd = this.evfd.load(Ordering::Acquire);
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from `one`; a full counter (EAGAIN) still wakes.
        unsafe { libc::write(evfd, (&one as *const u64).cast(), 8) };
    } else {
        this.queue.notify_all();
    }
    drop(g);
    Ok(())
}
