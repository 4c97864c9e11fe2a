//! `_signal`: the native half of `signal` (the enums and `ItimerError` are in
//! `stdlib/lib/signal.conc`). Script handlers run in the main thread when it next
//! checks for signals (`conc_interpreter::signals`); the OS handler only notes the
//! signal. Signal numbers and handler values come back as plain ints here; the conc
//! module turns them into `Signals`/`Handlers` members.

use std::time::Duration;

use crate::sys::CInt;
use crate::util::{natives, set};
use conc_interpreter::blocking::{is_main_thread, WaitQueue};
use conc_interpreter::builtins::io::os_error_with;
use conc_interpreter::native::{native, Exc};
use conc_interpreter::signals::{self, Handler, NSIG};
use conc_interpreter::{ObjRef, PyErr, PyResult, Value, Vm};

/// The signal numbers Linux has, by name (`SIGCLD`, `SIGIOT` and `SIGPOLL` are the
/// other names CPython also exports).
const SIGNALS: &[(&str, i32)] = &[
    ("SIGHUP", libc::SIGHUP),
    ("SIGINT", libc::SIGINT),
    ("SIGQUIT", libc::SIGQUIT),
    ("SIGILL", libc::SIGILL),
    ("SIGTRAP", libc::SIGTRAP),
    ("SIGABRT", libc::SIGABRT),
    ("SIGBUS", libc::SIGBUS),
    ("SIGFPE", libc::SIGFPE),
    ("SIGKILL", libc::SIGKILL),
    ("SIGUSR1", libc::SIGUSR1),
    ("SIGSEGV", libc::SIGSEGV),
    ("SIGUSR2", libc::SIGUSR2),
    ("SIGPIPE", libc::SIGPIPE),
    ("SIGALRM", libc::SIGALRM),
    ("SIGTERM", libc::SIGTERM),
    ("SIGSTKFLT", libc::SIGSTKFLT),
    ("SIGCHLD", libc::SIGCHLD),
    ("SIGCONT", libc::SIGCONT),
    ("SIGSTOP", libc::SIGSTOP),
    ("SIGTSTP", libc::SIGTSTP),
    ("SIGTTIN", libc::SIGTTIN),
    ("SIGTTOU", libc::SIGTTOU),
    ("SIGURG", libc::SIGURG),
    ("SIGXCPU", libc::SIGXCPU),
    ("SIGXFSZ", libc::SIGXFSZ),
    ("SIGVTALRM", libc::SIGVTALRM),
    ("SIGPROF", libc::SIGPROF),
    ("SIGWINCH", libc::SIGWINCH),
    ("SIGIO", libc::SIGIO),
    ("SIGPWR", libc::SIGPWR),
    ("SIGSYS", libc::SIGSYS),
];

pub fn init(_vm: &mut Vm, m: &ObjRef) -> PyResult<()> {
    for (name, n) in SIGNALS {
        set(m, name, Value::Int(*n as i64));
    }
    set(m, "SIGRTMIN", Value::Int(libc::SIGRTMIN() as i64));
    set(m, "SIGRTMAX", Value::Int(libc::SIGRTMAX() as i64));
    set(m, "NSIG", Value::Int(NSIG as i64));
    set(m, "SIG_DFL", Value::Int(0));
    set(m, "SIG_IGN", Value::Int(1));
    set(m, "SIG_BLOCK", Value::Int(libc::SIG_BLOCK as i64));
    set(m, "SIG_UNBLOCK", Value::Int(libc::SIG_UNBLOCK as i64));
    set(m, "SIG_SETMASK", Value::Int(libc::SIG_SETMASK as i64));
    set(m, "ITIMER_REAL", Value::Int(libc::ITIMER_REAL as i64));
    set(m, "ITIMER_VIRTUAL", Value::Int(libc::ITIMER_VIRTUAL as i64));
    set(m, "ITIMER_PROF", Value::Int(libc::ITIMER_PROF as i64));
    natives(
        m,
        &[
            &signal::DEF,
            &getsignal::DEF,
            &default_int_handler::DEF,
            &raise_signal::DEF,
            &alarm::DEF,
            &pause::DEF,
            &strsignal::DEF,
            &valid_signals::DEF,
            &pthread_kill::DEF,
            &pthread_sigmask::DEF,
            &sigpending::DEF,
            &setitimer::DEF,
            &getitimer::DEF,
            &siginterrupt::DEF,
            &set_wakeup_fd::DEF,
        ],
    );
    Ok(())
}

fn errno_error(vm: &mut Vm) -> PyErr {
    os_error_with(vm, &std::io::Error::last_os_error(), None, None)
}

/// A signal number in 1..NSIG, else CPython's ValueError.
fn checked(vm: &mut Vm, signalnum: CInt) -> PyResult<i32> {
    if signalnum.0 < 1 || signalnum.0 as usize >= NSIG {
        return Err(vm.value_error("signal number out of range"));
    }
    Ok(signalnum.0)
}

/// This module's `default_int_handler`, compared and returned by identity.
fn default_int_handler_value(vm: &mut Vm) -> PyResult<Value> {
    let m = vm.import_module("_signal")?;
    let name = conc_interpreter::value::str::intern("default_int_handler");
    vm.get_attr(&m, &name)
}

fn current(vm: &mut Vm, signum: i32) -> PyResult<Value> {
    Ok(match signals::handler(signum as usize) {
        Some(Handler::Script(f)) => f,
        Some(Handler::DefaultInt) => default_int_handler_value(vm)?,
        Some(Handler::Native(_)) => Value::Int(0),
        None => match signals::current_os_disposition(signum) {
            libc::SIG_DFL => Value::Int(0),
            libc::SIG_IGN => Value::Int(1),
            // A handler some other code installed.
            _ => Value::None,
        },
    })
}

/// Set the action for the given signal.
#[native("signal.signal(signalnum, handler, /)")]
fn signal(vm: &mut Vm, signalnum: CInt, handler: Value) -> PyResult<Value> {
    if !is_main_thread() {
        return Err(vm.value_error("signal only works in main thread of the main interpreter"));
    }
    let signum = checked(vm, signalnum)?;
    let old = current(vm, signum)?;
    // SIG_DFL and SIG_IGN are the ints 0 and 1 (or `Handlers` members, an int
    // subclass); any other int is not callable and fails below.
    let disposition = match handler.unwrap_base() {
        Value::Int(0) | Value::Bool(false) => Some(libc::SIG_DFL),
        Value::Int(1) | Value::Bool(true) => Some(libc::SIG_IGN),
        _ => None,
    };
    match disposition {
        Some(d) => {
            signals::os_disposition(signum, d).map_err(|e| os_error_with(vm, &e, None, None))?;
            signals::set_handler(signum as usize, None);
        }
        None => {
            if !conc_interpreter::builtins::functions::is_callable(vm, &handler) {
                return Err(
                    vm.type_error("signal handler must be signal.SIG_IGN, signal.SIG_DFL, or a callable object")
                );
            }
            signals::install_os_handler(signum).map_err(|e| os_error_with(vm, &e, None, None))?;
            let is_default = default_int_handler_value(vm)?.is(&handler);
            let h = if is_default { Handler::DefaultInt } else { Handler::Script(handler) };
            signals::set_handler(signum as usize, Some(h));
        }
    }
    Ok(old)
}

/// Return the current action for the given signal.
#[native("signal.getsignal(signalnum, /)")]
fn getsignal(vm: &mut Vm, signalnum: CInt) -> PyResult<Value> {
    let signum = checked(vm, signalnum)?;
    current(vm, signum)
}

/// The default handler for SIGINT installed by Python.
///
/// It raises KeyboardInterrupt.
#[native("signal.default_int_handler(*args)")]
fn default_int_handler(vm: &mut Vm, _args: &[Value]) -> PyResult<Value> {
    Err(conc_interpreter::signals::keyboard_interrupt(vm))
}

/// Send a signal to the executing process.
#[native("signal.raise_signal(signalnum, /)")]
fn raise_signal(vm: &mut Vm, signalnum: CInt) -> PyResult<()> {
    let signum = checked(vm, signalnum)?;
    // SAFETY: raise(3) takes a plain signal number; our handlers only note it.
    if unsafe { libc::raise(signum) } != 0 {
        return Err(errno_error(vm));
    }
    // The handler runs now, before the next statement, as in CPython.
    if is_main_thread() && conc_interpreter::blocking::take_interrupt() {
        vm.run_pending_signals()?;
    }
    Ok(())
}

/// Arrange for SIGALRM to arrive after the given number of seconds.
#[native("signal.alarm(seconds, /)")]
fn alarm(_vm: &mut Vm, seconds: CInt) -> PyResult<i64> {
    // SAFETY: alarm(2) takes and returns plain integers.
    Ok(unsafe { libc::alarm(seconds.0 as libc::c_uint) } as i64)
}

/// Wait until a signal arrives.
#[native("signal.pause()")]
fn pause(vm: &mut Vm) -> PyResult<()> {
    let start = signals::arrived();
    let m = parking_lot::Mutex::new(());
    let q = WaitQueue::new();
    let mut g = m.lock();
    // The main thread runs the handler inside the wait, before it returns; other
    // threads look again every few milliseconds (the OS handler cannot notify).
    loop {
        let r = vm.block_on(&mut g, &q, Some(Duration::from_millis(20)), &|| "signal.pause()".to_string(), |_| {
            (signals::arrived() != start).then_some(())
        })?;
        if r.is_some() {
            // The wait may have seen the signal before the handler ran: run it now,
            // so pause() returns after it as in CPython.
            if is_main_thread() && conc_interpreter::blocking::take_interrupt() {
                vm.run_pending_signals()?;
            }
            return Ok(());
        }
    }
}

/// Return the system description of the given signal.
#[native("signal.strsignal(signalnum, /)")]
fn strsignal(vm: &mut Vm, signalnum: CInt) -> PyResult<Value> {
    let signum = checked(vm, signalnum)?;
    // SAFETY: strsignal returns a pointer to a NUL-terminated string owned by the C
    // library, valid until the next call; it is copied at once.
    let text = unsafe {
        let p = libc::strsignal(signum);
        if p.is_null() {
            return Ok(Value::None);
        }
        std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned()
    };
    Ok(Value::string(text))
}

/// Signals that `signal.signal` may name: 1..NSIG without the two the C library keeps
/// for itself (32 and 33 on glibc, below SIGRTMIN).
fn valid() -> Vec<i32> {
    let rtmin = libc::SIGRTMIN();
    (1..NSIG as i32).filter(|&n| n < 32 || n >= rtmin).collect()
}

/// Return a set of valid signal numbers on this platform.
#[native("signal.valid_signals()")]
fn valid_signals(_vm: &mut Vm) -> PyResult<Value> {
    Ok(Value::list(valid().into_iter().map(|n| Value::Int(n as i64)).collect()))
}

/// Send a signal to a thread (conc: only the calling thread can be named, by its
/// `threading.get_ident()`).
#[native("signal.pthread_kill(thread_id, signalnum, /)")]
fn pthread_kill(vm: &mut Vm, thread_id: i64, signalnum: CInt) -> PyResult<()> {
    if thread_id as u64 != conc_interpreter::blocking::current_ident() {
        return Err(vm.error(Exc::NotImplementedError, "signal.pthread_kill: conc can only signal the calling thread"));
    }
    // SAFETY: pthread_self names the calling thread, which is alive.
    let r = unsafe { libc::pthread_kill(libc::pthread_self(), signalnum.0) };
    if r != 0 {
        return Err(os_error_with(vm, &std::io::Error::from_raw_os_error(r), None, None));
    }
    if is_main_thread() && conc_interpreter::blocking::take_interrupt() {
        vm.run_pending_signals()?;
    }
    Ok(())
}

fn sigset_of(vm: &mut Vm, mask: &Value) -> PyResult<libc::sigset_t> {
    // SAFETY: all-zero is a valid sigset_t (a plain C struct of integers).
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: sigemptyset initialises the set it is given.
    unsafe { libc::sigemptyset(&mut set) };
    for v in vm.collect(mask)? {
        let n = vm.index_value(&v)?;
        if n < 1 || n as usize >= NSIG {
            let msg = format!("signal number {n} out of range [1; {}]", NSIG - 1);
            return Err(vm.value_error(&msg));
        }
        // SAFETY: `set` is initialised and `n` is in range.
        unsafe { libc::sigaddset(&mut set, n as i32) };
    }
    Ok(set)
}

fn sigset_list(set: &libc::sigset_t) -> Value {
    // SAFETY: sigismember only reads the initialised set.
    let members = (1..NSIG as i32).filter(|&n| unsafe { libc::sigismember(set, n) } == 1);
    Value::list(members.map(|n| Value::Int(n as i64)).collect())
}

/// Fetch and/or change the signal mask of the calling thread.
#[native("signal.pthread_sigmask(how, mask, /)")]
fn pthread_sigmask(vm: &mut Vm, how: CInt, mask: Value) -> PyResult<Value> {
    let set = sigset_of(vm, &mask)?;
    // SAFETY: all-zero is a valid sigset_t (a plain C struct of integers).
    let mut old: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: both sets are valid; the old one is written by the call.
    let r = unsafe { libc::pthread_sigmask(how.0, &set, &mut old) };
    if r != 0 {
        return Err(os_error_with(vm, &std::io::Error::from_raw_os_error(r), None, None));
    }
    Ok(sigset_list(&old))
}

/// Examine pending signals.
#[native("signal.sigpending()")]
fn sigpending(vm: &mut Vm) -> PyResult<Value> {
    // SAFETY: all-zero is a valid sigset_t (a plain C struct of integers).
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: sigpending writes the set it is given.
    if unsafe { libc::sigpending(&mut set) } != 0 {
        return Err(errno_error(vm));
    }
    Ok(sigset_list(&set))
}

extern "C" {
    // POSIX, in every C library; the libc crate does not bind them for glibc.
    #[link_name = "setitimer"]
    fn setitimer_c(which: libc::c_int, new: *const libc::itimerval, old: *mut libc::itimerval) -> libc::c_int;
    #[link_name = "getitimer"]
    fn getitimer_c(which: libc::c_int, cur: *mut libc::itimerval) -> libc::c_int;
}

fn timeval(secs: f64) -> libc::timeval {
    let whole = secs.trunc();
    let mut usec = ((secs - whole) * 1e6).round() as i64;
    // A positive time below a microsecond still arms the timer, as in CPython.
    if whole == 0.0 && usec == 0 && secs > 0.0 {
        usec = 1;
    }
    libc::timeval { tv_sec: whole as libc::time_t, tv_usec: usec as libc::suseconds_t }
}

fn itimer_tuple(v: &libc::itimerval) -> Value {
    let f = |t: &libc::timeval| Value::Float(t.tv_sec as f64 + t.tv_usec as f64 / 1e6);
    Value::tuple(vec![f(&v.it_value), f(&v.it_interval)])
}

/// Sets given itimer (one of ITIMER_REAL, ITIMER_VIRTUAL or ITIMER_PROF).
#[native("signal.setitimer(which, seconds, interval=0.0, /)")]
fn setitimer(vm: &mut Vm, which: CInt, seconds: f64, interval: f64) -> PyResult<Value> {
    let new = libc::itimerval { it_value: timeval(seconds), it_interval: timeval(interval) };
    // SAFETY: all-zero is a valid itimerval (a plain C struct of integers).
    let mut old: libc::itimerval = unsafe { std::mem::zeroed() };
    // SAFETY: both itimervals are valid; the old one is written by the call.
    if unsafe { setitimer_c(which.0, &new, &mut old) } != 0 {
        return Err(errno_error(vm));
    }
    Ok(itimer_tuple(&old))
}

/// Returns current value of given itimer.
#[native("signal.getitimer(which, /)")]
fn getitimer(vm: &mut Vm, which: CInt) -> PyResult<Value> {
    // SAFETY: all-zero is a valid itimerval (a plain C struct of integers).
    let mut cur: libc::itimerval = unsafe { std::mem::zeroed() };
    // SAFETY: getitimer writes the itimerval it is given.
    if unsafe { getitimer_c(which.0, &mut cur) } != 0 {
        return Err(errno_error(vm));
    }
    Ok(itimer_tuple(&cur))
}

/// Change system call restart behaviour.
#[native("signal.siginterrupt(signalnum, flag, /)")]
fn siginterrupt(vm: &mut Vm, signalnum: CInt, flag: CInt) -> PyResult<()> {
    let signum = checked(vm, signalnum)?;
    // SAFETY: sigaction reads and writes only the structs it is given.
    unsafe {
        let mut act: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(signum, std::ptr::null(), &mut act) != 0 {
            return Err(errno_error(vm));
        }
        if flag.0 != 0 {
            act.sa_flags &= !libc::SA_RESTART;
        } else {
            act.sa_flags |= libc::SA_RESTART;
        }
        if libc::sigaction(signum, &act, std::ptr::null_mut()) != 0 {
            return Err(errno_error(vm));
        }
    }
    Ok(())
}

/// Sets the fd to be written to (with the signal number) when a signal comes in.
#[native("signal.set_wakeup_fd(fd, /, *, warn_on_full_buffer=True)")]
fn set_wakeup_fd(vm: &mut Vm, fd: CInt, _warn_on_full_buffer: bool) -> PyResult<i64> {
    if !is_main_thread() {
        return Err(vm.value_error("set_wakeup_fd only works in main thread of the main interpreter"));
    }
    if fd.0 != -1 {
        // SAFETY: F_GETFL only reads the descriptor's flags.
        let flags = unsafe { libc::fcntl(fd.0, libc::F_GETFL) };
        if flags < 0 {
            return Err(errno_error(vm));
        }
        if flags & libc::O_NONBLOCK == 0 {
            let msg = format!("the fd {} must be in non-blocking mode", fd.0);
            return Err(vm.value_error(&msg));
        }
    }
    Ok(signals::set_wakeup_fd(fd.0) as i64)
}
