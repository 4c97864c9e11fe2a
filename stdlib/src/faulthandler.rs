//! `faulthandler`: tracebacks of every thread on demand (`dump_traceback`), after a
//! timeout (`dump_traceback_later`), on a signal (`register`) and on a fatal signal
//! (`enable`), in CPython's layout (`deadlock::dump::render_faulthandler`).
//!
//! Text goes straight to the file's descriptor after the file is flushed, as
//! CPython's does. Dumps on a signal are printed by the main thread at its next check
//! (conc runs no script-visible code in OS signal handlers); a fatal signal prints
//! CPython's "Fatal Python error" line only, since walking the threads' stacks is not
//! safe in the handler of a fault.

use crate::deadlock::dump::{collect, render_faulthandler};
use crate::sys::CInt;
use crate::util::natives;
use conc_interpreter::native::{native, Exc};
use conc_interpreter::signals::{self, Handler, NSIG};
use conc_interpreter::value::str::intern;
use conc_interpreter::{Args, ObjRef, PyResult, Value, Vm};
use parking_lot::{Condvar, Mutex};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

pub fn init(_vm: &mut Vm, m: &ObjRef) -> PyResult<()> {
    natives(
        m,
        &[
            &dump_traceback::DEF,
            &enable::DEF,
            &disable::DEF,
            &is_enabled::DEF,
            &dump_traceback_later::DEF,
            &cancel_dump_traceback_later::DEF,
            &register::DEF,
            &unregister::DEF,
        ],
    );
    Ok(())
}

/// The descriptor a `file` argument names (an int, or an object with `fileno()`;
/// None or absent: `sys.stderr`), after flushing the file, as CPython does.
fn file_fd(vm: &mut Vm, file: Option<&Value>) -> PyResult<i32> {
    let file = match file {
        Some(f) if !f.is_none() => f.clone(),
        _ => {
            let sys = vm.import_module("sys")?;
            let f = vm.get_attr(&sys, &intern("stderr"))?;
            if f.is_none() {
                return Err(vm.error(Exc::RuntimeError, "sys.stderr is None"));
            }
            f
        }
    };
    // CPython's message, with its spelling.
    if let &Value::Int(fd) = file.unwrap_base() {
        if fd < 0 || fd > i32::MAX as i64 {
            return Err(vm.value_error("file is not a valid file descripter"));
        }
        return Ok(fd as i32);
    }
    let fileno = vm.get_attr(&file, &intern("fileno"))?;
    let fd = vm.call(&fileno, Args::default())?;
    let fd = match fd.unwrap_base() {
        &Value::Int(fd) if (0..=i32::MAX as i64).contains(&fd) => fd as i32,
        Value::Int(_) => return Err(vm.value_error("file is not a valid file descripter")),
        _ => return Err(vm.error(Exc::RuntimeError, "file.fileno() is not a valid file descriptor")),
    };
    // A failing flush is ignored, as CPython ignores it.
    if let Ok(flush) = vm.get_attr(&file, &intern("flush")) {
        let _ = vm.call(&flush, Args::default());
    }
    Ok(fd)
}

/// Writes all of `text` to `fd`, ignoring errors (a dump has nowhere to report them).
fn write_fd(fd: i32, text: &str) {
    let mut rest = text.as_bytes();
    while !rest.is_empty() {
        // SAFETY: the pointer and length describe `rest`, alive for the call.
        let n = unsafe { libc::write(fd, rest.as_ptr().cast(), rest.len()) };
        if n <= 0 {
            if n < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return;
        }
        rest = &rest[n as usize..];
    }
}

/// Dump the traceback of the current thread, or of all threads if
/// all_threads is True, into file.
#[native("faulthandler.dump_traceback(file=sys.stderr, all_threads=True)", style = "keywords")]
fn dump_traceback(vm: &mut Vm, file: Option<&Value>, all_threads: Option<bool>) -> PyResult<()> {
    let fd = file_fd(vm, file)?;
    let threads = collect(Some(vm));
    write_fd(fd, &render_faulthandler(&threads, all_threads.unwrap_or(true)));
    Ok(())
}

static ENABLED: AtomicBool = AtomicBool::new(false);
static FATAL_FD: AtomicI32 = AtomicI32::new(2);

/// The signals `enable` handles, with the names CPython's message gives them.
const FATAL: [(libc::c_int, &str); 5] = [
    (libc::SIGSEGV, "Segmentation fault"),
    (libc::SIGFPE, "Floating point exception"),
    (libc::SIGABRT, "Aborted"),
    (libc::SIGBUS, "Bus error"),
    (libc::SIGILL, "Illegal instruction"),
];

extern "C" fn on_fatal(signum: libc::c_int) {
    let fd = FATAL_FD.load(Ordering::Relaxed);
    let name = FATAL.iter().find(|(s, _)| *s == signum).map_or("Fatal signal", |(_, n)| n);
    let mut line = [0u8; 64];
    let text = b"Fatal Python error: ";
    let mut len = 0;
    for b in text.iter().chain(name.as_bytes()).chain(b"\n\n") {
        if len < line.len() {
            line[len] = *b;
            len += 1;
        }
    }
    // SAFETY: write(2), signal(2) and raise(3) are async-signal-safe; `line` is a
    // local buffer. The default action is put back so that the fault ends the
    // process as it would have without faulthandler.
    unsafe {
        libc::write(fd, line.as_ptr().cast(), len);
        libc::signal(signum, libc::SIG_DFL);
        libc::raise(signum);
    }
}

/// Enable the fault handler.
#[native("faulthandler.enable(file=sys.stderr, all_threads=True)", style = "keywords")]
fn enable(vm: &mut Vm, file: Option<&Value>, all_threads: Option<bool>) -> PyResult<()> {
    let _ = all_threads;
    let fd = file_fd(vm, file)?;
    FATAL_FD.store(fd, Ordering::SeqCst);
    if !ENABLED.swap(true, Ordering::SeqCst) {
        for (s, _) in FATAL {
            // SAFETY: `on_fatal` only uses async-signal-safe calls and lives as long
            // as the process.
            unsafe {
                libc::signal(s, on_fatal as *const () as libc::sighandler_t);
            }
        }
    }
    Ok(())
}

/// Disable the fault handler.
#[native("faulthandler.disable()")]
fn disable(_vm: &mut Vm) -> PyResult<bool> {
    let was = ENABLED.swap(false, Ordering::SeqCst);
    if was {
        for (s, _) in FATAL {
            let _ = signals::os_disposition(s, libc::SIG_DFL);
        }
    }
    Ok(was)
}

/// Check if the handler is enabled.
#[native("faulthandler.is_enabled()")]
fn is_enabled(_vm: &mut Vm) -> PyResult<bool> {
    Ok(ENABLED.load(Ordering::SeqCst))
}

/// The one pending `dump_traceback_later`: a generation number, bumped to cancel it.
fn later() -> &'static (Mutex<u64>, Condvar) {
    static L: OnceLock<(Mutex<u64>, Condvar)> = OnceLock::new();
    L.get_or_init(|| (Mutex::new(0), Condvar::new()))
}

/// `Timeout (H:MM:SS.ffffff)!` as CPython writes it (no fraction when it is zero).
fn timeout_line(t: Duration) -> String {
    let secs = t.as_secs();
    let us = t.subsec_micros();
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if us != 0 {
        format!("Timeout ({h}:{m:02}:{s:02}.{us:06})!\n")
    } else {
        format!("Timeout ({h}:{m:02}:{s:02})!\n")
    }
}

/// Cancels the pending dump and returns the generation a new one takes.
fn cancel_later() -> u64 {
    let (m, cv) = later();
    let mut g = m.lock();
    *g += 1;
    cv.notify_all();
    *g
}

/// Dump the traceback of all threads in timeout seconds,
/// or each timeout seconds if repeat is True. If exit is True, call _exit(1) which is not safe.
#[native("faulthandler.dump_traceback_later(timeout, repeat=False, file=sys.stderr, exit=False)", style = "keywords")]
fn dump_traceback_later(
    vm: &mut Vm,
    timeout: f64,
    repeat: Option<bool>,
    file: Option<&Value>,
    exit: Option<bool>,
) -> PyResult<()> {
    if timeout.is_nan() || timeout * 1e6 >= i64::MAX as f64 {
        return Err(vm.error(Exc::OverflowError, "timeout value is too large"));
    }
    if timeout <= 0.0 {
        return Err(vm.value_error("timeout must be greater than 0"));
    }
    let period = Duration::from_micros((timeout * 1e6) as u64);
    let fd = file_fd(vm, file)?;
    let (repeat, exit) = (repeat.unwrap_or(false), exit.unwrap_or(false));
    let generation = cancel_later();
    let spawned = std::thread::Builder::new().name("faulthandler-later".into()).spawn(move || {
        signals::block_async_signals();
        let (m, cv) = later();
        let mut due = Instant::now() + period;
        loop {
            let mut g = m.lock();
            while *g == generation && Instant::now() < due {
                cv.wait_until(&mut g, due);
            }
            if *g != generation {
                return;
            }
            drop(g);
            let threads = collect(None);
            write_fd(fd, &format!("{}{}", timeout_line(period), render_faulthandler(&threads, true)));
            if exit {
                // SAFETY: what the caller asked for ("call _exit(1) which is not safe"):
                // the process ends without unwinding or running exit handlers.
                unsafe { libc::_exit(1) };
            }
            if !repeat {
                return;
            }
            due += period;
        }
    });
    if let Err(e) = spawned {
        return Err(vm.error(Exc::RuntimeError, &format!("unable to start watchdog thread: {e}")));
    }
    Ok(())
}

/// Cancel the previous call to dump_traceback_later().
#[native("faulthandler.cancel_dump_traceback_later()")]
fn cancel_dump_traceback_later(_vm: &mut Vm) -> PyResult<()> {
    cancel_later();
    Ok(())
}

/// Signals with a dump registered by `register` (to tell `unregister`'s answer).
fn registered() -> &'static Mutex<Vec<i32>> {
    static R: Mutex<Vec<i32>> = Mutex::new(Vec::new());
    &R
}

/// Register a handler for the signal 'signum': dump the traceback of the current
/// thread, or of all threads if all_threads is True, into file.
#[native("faulthandler.register(signum, file=sys.stderr, all_threads=True, chain=False)", style = "keywords")]
fn register(
    vm: &mut Vm,
    signum: CInt,
    file: Option<&Value>,
    all_threads: Option<bool>,
    chain: Option<bool>,
) -> PyResult<()> {
    let signum = signum.0;
    if FATAL.iter().any(|(s, _)| *s == signum) {
        let msg = format!("signal {signum} cannot be registered, use enable() instead");
        return Err(vm.error(Exc::RuntimeError, &msg));
    }
    if signum < 1 || signum as usize >= NSIG || signum == libc::SIGKILL || signum == libc::SIGSTOP {
        return Err(vm.value_error("signal number out of range"));
    }
    let fd = file_fd(vm, file)?;
    let all = all_threads.unwrap_or(true);
    // The handler the script had: chained after the dump when asked.
    let previous = if chain.unwrap_or(false) { signals::handler(signum as usize) } else { None };
    let dump = move |vm: &mut Vm| {
        let threads = collect(Some(vm));
        write_fd(fd, &render_faulthandler(&threads, all));
        match &previous {
            Some(Handler::Script(f)) => vm.call(f, Args::new([Value::Int(signum as i64), Value::None])).map(|_| ()),
            Some(Handler::Native(f)) => f(vm),
            Some(Handler::DefaultInt) => Err(conc_interpreter::signals::keyboard_interrupt(vm)),
            None => Ok(()),
        }
    };
    signals::install_os_handler(signum)
        .map_err(|e| conc_interpreter::builtins::io::os_error_with(vm, &e, None, None))?;
    signals::set_handler(signum as usize, Some(Handler::Native(Arc::new(dump))));
    let mut r = registered().lock();
    if !r.contains(&signum) {
        r.push(signum);
    }
    Ok(())
}

/// Unregister the handler of the signal 'signum' registered by register().
#[native("faulthandler.unregister(signum, /)")]
fn unregister(vm: &mut Vm, signum: CInt) -> PyResult<bool> {
    let signum = signum.0;
    if signum < 1 || signum as usize >= NSIG {
        return Err(vm.value_error("signal number out of range"));
    }
    let mut r = registered().lock();
    let Some(at) = r.iter().position(|s| *s == signum) else { return Ok(false) };
    r.remove(at);
    signals::set_handler(signum as usize, None);
    let _ = signals::os_disposition(signum, libc::SIG_DFL);
    Ok(true)
}
