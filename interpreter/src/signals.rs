//! Signals for scripts: the OS handler notes which signal arrived; the main thread
//! runs the script's handler for it at its next check (a backward jump, or a wake-up
//! of a wait in the blocking layer), as CPython runs Python signal handlers between
//! bytecodes of the main thread.
//!
//! The OS-level handler, [`on_signal`], only touches atomics, which is what a signal
//! handler may do. Which script function handles which signal is kept here (the
//! `signal` module sets it); a signal with no script handler and SIGINT's default both
//! raise KeyboardInterrupt only for SIGINT.

use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};

use parking_lot::Mutex;

use crate::native::Exc;
use crate::value::Value;
use crate::vm::{Args, PyResult, Vm};

/// Signal numbers are below this (Linux's `NSIG`, as `signal.NSIG` shows it).
pub const NSIG: usize = 65;

/// Bit `n` is set while signal `n` waits to be handled.
static PENDING: AtomicU64 = AtomicU64::new(0);
/// Counts every signal noted, so `signal.pause()` can wait for "any signal".
static ARRIVED: AtomicU64 = AtomicU64::new(0);
/// True once a KeyboardInterrupt went uncaught: the process then ends by SIGINT
/// (`die_if_interrupted`), as CPython's does, so a shell sees status 130.
static DIE_BY_SIGINT: AtomicBool = AtomicBool::new(false);

/// A script's handler for one signal.
#[derive(Clone)]
pub enum Handler {
    /// CPython's `default_int_handler`: raise KeyboardInterrupt.
    DefaultInt,
    /// A callable, called with (signum, frame).
    Script(Value),
    /// An action of conc's own (SIGQUIT's thread dump, `faulthandler.register`), run
    /// by the main thread as a script handler is; scripts see the default disposition.
    Native(NativeAction),
}

/// A native signal action (see `Handler::Native`).
pub type NativeAction = std::sync::Arc<dyn Fn(&mut Vm) -> PyResult<()> + Send + Sync>;

fn handlers() -> &'static Mutex<Vec<Option<Handler>>> {
    static H: std::sync::OnceLock<Mutex<Vec<Option<Handler>>>> = std::sync::OnceLock::new();
    H.get_or_init(|| {
        let mut v = vec![None; NSIG];
        v[libc::SIGINT as usize] = Some(Handler::DefaultInt);
        Mutex::new(v)
    })
}

/// The script handler of `signum` (None when the OS disposition applies).
pub fn handler(signum: usize) -> Option<Handler> {
    handlers().lock().get(signum).cloned().flatten()
}

/// Sets the script handler of `signum`; the caller installs or removes the OS handler.
pub fn set_handler(signum: usize, h: Option<Handler>) {
    if let Some(slot) = handlers().lock().get_mut(signum) {
        *slot = h;
    }
}

/// The OS-level handler for every signal a script handles.
pub extern "C" fn on_signal(signum: libc::c_int) {
    note_signal(signum as usize);
}

/// `signal.set_wakeup_fd`'s descriptor (-1: none): each signal's number is written
/// to it as one byte, so an event loop waiting on it wakes up.
static WAKEUP_FD: AtomicI32 = AtomicI32::new(-1);

/// Sets the wake-up descriptor; returns the previous one.
pub fn set_wakeup_fd(fd: i32) -> i32 {
    WAKEUP_FD.swap(fd, Ordering::SeqCst)
}

/// Records that `signum` arrived and asks the main thread to look. Async-signal-safe.
pub fn note_signal(signum: usize) {
    if signum < NSIG {
        PENDING.fetch_or(1 << signum, Ordering::SeqCst);
    }
    ARRIVED.fetch_add(1, Ordering::SeqCst);
    crate::blocking::request_interrupt();
    let fd = WAKEUP_FD.load(Ordering::SeqCst);
    if fd >= 0 {
        let byte = signum as u8;
        // SAFETY: write(2) is async-signal-safe and reads one byte from a local; a
        // full or closed descriptor only makes it fail, which is ignored as CPython
        // ignores it when `warn_on_full_buffer` is off.
        unsafe {
            libc::write(fd, (&byte as *const u8).cast(), 1);
        }
    }
}

/// How many signals have arrived so far.
pub fn arrived() -> u64 {
    ARRIVED.load(Ordering::SeqCst)
}

/// Installs [`on_signal`] as the OS handler of `signum`.
pub fn install_os_handler(signum: libc::c_int) -> std::io::Result<()> {
    os_disposition(signum, on_signal as *const () as libc::sighandler_t)
}

/// Sets the OS disposition of `signum` (a handler, `SIG_DFL` or `SIG_IGN`).
pub fn os_disposition(signum: libc::c_int, disposition: libc::sighandler_t) -> std::io::Result<()> {
    // SAFETY: `disposition` is SIG_DFL, SIG_IGN or `on_signal`, which only touches
    // atomics (async-signal-safe) and lives as long as the process. glibc's `signal`
    // gives BSD semantics (SA_RESTART), so slow system calls are resumed and waits in
    // the blocking layer notice the signal at their next slice.
    let old = unsafe { libc::signal(signum, disposition) };
    if old == libc::SIG_ERR {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// The OS disposition of `signum` right now, without changing it.
pub fn current_os_disposition(signum: libc::c_int) -> libc::sighandler_t {
    // SAFETY: a zeroed sigaction is a valid out-parameter, and a null `act` only
    // reads the current action.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(signum, std::ptr::null(), &mut old) != 0 {
            return libc::SIG_DFL;
        }
        old.sa_sigaction
    }
}

/// Signals the kernel sends to the thread that caused them (faults); blocking them
/// would turn a fault into a silent kill, so every thread keeps them.
const SYNCHRONOUS: [libc::c_int; 5] = [libc::SIGSEGV, libc::SIGBUS, libc::SIGFPE, libc::SIGILL, libc::SIGTRAP];

fn async_signal_set() -> libc::sigset_t {
    // SAFETY: sigfillset initialises the set; sigdelset edits the initialised set.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut set);
        for s in SYNCHRONOUS {
            libc::sigdelset(&mut set, s);
        }
        set
    }
}

/// Blocks the signals a process receives (Ctrl-C, kill, alarms) in the calling thread,
/// so that the kernel delivers them to the script's main thread, which keeps them
/// unblocked. That is where CPython receives them: `os.kill(os.getpid(), sig)` from
/// the main thread runs the handler before the next statement. Called by the OS main
/// thread once the script's main thread runs, and by every other script thread.
pub fn block_async_signals() {
    let set = async_signal_set();
    // SAFETY: the set is initialised; changing the calling thread's mask has no
    // memory-safety concern.
    unsafe {
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}

/// For a `pre_exec` hook, between fork and exec: gives the program about to run an
/// empty signal mask. exec keeps the mask, so a child started from a thread that
/// [`block_async_signals`] applied to would otherwise never see SIGTERM or SIGINT.
/// Only async-signal-safe calls on a local set, as a `pre_exec` hook requires.
pub fn clear_mask_for_exec() {
    // SAFETY: sigemptyset initialises the local set; pthread_sigmask only changes the
    // calling thread's mask. Both are async-signal-safe.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::pthread_sigmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
    }
}

/// Undoes [`block_async_signals`] (a thread that becomes the main one: a fork child).
pub fn unblock_async_signals() {
    let set = async_signal_set();
    // SAFETY: as in `block_async_signals`.
    unsafe {
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
    }
}

/// Marks that the process should end by SIGINT (an uncaught KeyboardInterrupt).
pub fn set_die_by_sigint() {
    DIE_BY_SIGINT.store(true, Ordering::SeqCst);
}

/// After everything was flushed: ends the process by SIGINT with the default action
/// if an uncaught KeyboardInterrupt asked for it, so the parent sees "killed by
/// SIGINT" (a shell's 130). Returns if it did not (or could not).
pub fn die_if_interrupted() {
    if DIE_BY_SIGINT.load(Ordering::SeqCst) {
        let _ = os_disposition(libc::SIGINT, libc::SIG_DFL);
        // The OS main thread, which calls this, blocks process signals.
        unblock_async_signals();
        // SAFETY: raising a signal at our own process has no memory-safety concern;
        // with the default action the process ends here.
        unsafe {
            libc::raise(libc::SIGINT);
        }
    }
}

/// `KeyboardInterrupt()`, without arguments, as Ctrl-C raises it.
pub fn keyboard_interrupt(vm: &mut Vm) -> crate::vm::PyErr {
    let cls = Exc::KeyboardInterrupt.class().clone();
    vm.new_exception(&cls, vec![])
}

impl Vm {
    /// [`Vm::run_pending_signals`] kept out of line, for the dispatch loop's checks.
    #[cold]
    #[inline(never)]
    pub fn run_signals_cold(&mut self) -> PyResult<()> {
        self.run_pending_signals()
    }

    /// Runs the script handlers of the signals that arrived (main thread only; the
    /// caller took the pending flag with `blocking::take_interrupt`). A handler's
    /// exception (KeyboardInterrupt from the default SIGINT handler) is returned; the
    /// signals after it stay pending for the next check.
    pub fn run_pending_signals(&mut self) -> PyResult<()> {
        let mut bits = PENDING.swap(0, Ordering::SeqCst);
        if bits == 0 {
            // An interrupt requested without a signal (an embedder's Ctrl-C).
            bits = 1 << libc::SIGINT;
        }
        while bits != 0 {
            let signum = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            let result = match handler(signum) {
                Some(Handler::DefaultInt) => Err(keyboard_interrupt(self)),
                Some(Handler::Script(f)) => {
                    self.call(&f, Args::new([Value::Int(signum as i64), Value::None])).map(|_| ())
                }
                Some(Handler::Native(f)) => f(self),
                None => Ok(()),
            };
            if let Err(e) = result {
                if bits != 0 {
                    PENDING.fetch_or(bits, Ordering::SeqCst);
                    crate::blocking::request_interrupt();
                }
                return Err(e);
            }
        }
        Ok(())
    }
}
