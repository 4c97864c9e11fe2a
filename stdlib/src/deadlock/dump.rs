//! Thread dumps: every script thread's stack and wait, for SIGQUIT (conc's own layout,
//! with what each thread waits on), `faulthandler` (CPython's layout) and the REPL's
//! `threads()`.
//!
//! A parked thread's stack is in its wait record. A running thread is asked for its
//! stack and leaves it at its next backward jump (`conc_interpreter::deadlock`); one
//! that does not within `ANSWER_WITHIN` (a long native call) is listed without it.

use super::describe::Wait;
use super::report::frame_lines;
use conc_interpreter::blocking::{current_ident, waiting_threads, WaitRecord};
use conc_interpreter::deadlock::{collect_running, live_threads};
use conc_interpreter::native::native;
use conc_interpreter::vm::frames::{is_library_file, FrameEntry};
use conc_interpreter::Vm;
use parking_lot::Mutex;
use std::fmt::Write;
use std::time::Duration;

const ANSWER_WITHIN: Duration = Duration::from_millis(200);

/// One thread at the moment of a dump.
pub struct ThreadState {
    pub ident: u64,
    pub name: String,
    /// Innermost first; None when the thread did not answer.
    pub stack: Option<Vec<FrameEntry>>,
    pub wait: Option<WaitRecord>,
    pub current: bool,
}

/// Dumps are taken one at a time (they share the running threads' answer board).
static DUMPING: Mutex<()> = Mutex::new(());

/// Every script thread, in start order. `vm` is the calling script thread's, if the
/// dump runs on one.
pub fn collect(vm: Option<&Vm>) -> Vec<ThreadState> {
    let _one = DUMPING.lock();
    let me = vm.map(|_| current_ident());
    let parked = waiting_threads();
    let mut out: Vec<ThreadState> = parked
        .iter()
        .filter(|r| Some(r.thread) != me)
        .map(|r| ThreadState {
            ident: r.thread,
            name: r.thread_name.clone(),
            stack: Some(r.detail.stack.clone()),
            wait: Some(r.clone()),
            current: false,
        })
        .collect();
    if let (Some(vm), Some(me)) = (vm, me) {
        // The dumping thread may be inside a wait (a signal handled during a sleep).
        let wait = parked.iter().find(|r| r.thread == me).cloned();
        out.push(ThreadState {
            ident: me,
            name: vm.thread_name.clone(),
            stack: Some(vm.stack_entries()),
            wait,
            current: true,
        });
    }
    let running = live_threads().saturating_sub(out.len());
    if running > 0 {
        for a in collect_running(ANSWER_WITHIN, |a| a.len() >= running) {
            if !out.iter().any(|t| t.ident == a.thread) {
                out.push(ThreadState {
                    ident: a.thread,
                    name: a.thread_name,
                    stack: Some(a.stack),
                    wait: None,
                    current: false,
                });
            }
        }
    }
    for ident in crate::thread::registry::live_idents() {
        if !out.iter().any(|t| t.ident == ident) {
            out.push(ThreadState { ident, name: String::new(), stack: None, wait: None, current: false });
        }
    }
    out.sort_by_key(|t| t.ident);
    out
}

/// conc's dump: each thread's name, what it does or waits on, and its script frames
/// as a traceback shows them (most recent call last).
pub fn render(threads: &[ThreadState], title: &str) -> String {
    let names: Vec<(u64, String)> = threads.iter().map(|t| (t.ident, t.name.clone())).collect();
    let name_of = |id: u64| {
        names
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| super::describe::unlisted_thread(id))
    };
    let mut out = String::new();
    let n = threads.len();
    let _ = writeln!(out, "{title}: {n} thread{}", if n == 1 { "" } else { "s" });
    for t in threads {
        let name = if t.name.is_empty() { format!("{:#x}", t.ident) } else { t.name.clone() };
        match (&t.wait, &t.stack) {
            (Some(r), _) => {
                let w = Wait::of(r);
                let _ = write!(out, "\nThread {name} {}", w.waits(&name_of));
                if let Some(s) = &w.site {
                    let _ = write!(out, " (made at {})", super::describe::site_text(s));
                }
                if let (super::describe::Kind::Lock | super::describe::Kind::RLock, Some(h)) = (w.kind, w.holder) {
                    let _ = write!(out, ", held by {}", name_of(h));
                }
                out.push_str(":\n");
            }
            (None, Some(_)) if t.current => {
                let _ = writeln!(out, "\nThread {name} (the one dumping) is running:");
            }
            (None, Some(_)) => {
                let _ = writeln!(out, "\nThread {name} is running:");
            }
            (None, None) => {
                let _ = writeln!(out, "\nThread {name} is running native code (no stack available)");
            }
        }
        // The script's frames only, as in a deadlock report (faulthandler's layout
        // keeps conc's library frames, as CPython's shows threading.py's).
        if let Some(stack) = &t.stack {
            for f in stack.iter().rev().filter(|f| !is_library_file(&f.code.filename)) {
                frame_lines(&mut out, f);
            }
        }
    }
    out
}

/// CPython's faulthandler layout: per thread, newest first, `Thread 0x...` (or
/// `Current thread 0x...`), then its frames most recent first, without source lines.
/// With `all_threads` false, only the calling thread, under `Stack`.
pub fn render_faulthandler(threads: &[ThreadState], all_threads: bool) -> String {
    let mut out = String::new();
    if !all_threads {
        if let Some(t) = threads.iter().find(|t| t.current) {
            out.push_str("Stack (most recent call first):\n");
            frames_faulthandler(&mut out, t);
        }
        return out;
    }
    let mut first = true;
    for t in threads.iter().rev() {
        if !first {
            out.push('\n');
        }
        first = false;
        let label = if t.current { "Current thread" } else { "Thread" };
        let _ = writeln!(out, "{label} {:#018x} (most recent call first):", t.ident);
        frames_faulthandler(&mut out, t);
    }
    out
}

fn frames_faulthandler(out: &mut String, t: &ThreadState) {
    match &t.stack {
        Some(stack) if !stack.is_empty() => {
            // As CPython: at most 100 frames, then an ellipsis.
            for f in stack.iter().take(100) {
                let _ = writeln!(out, "  File \"{}\", line {} in {}", f.code.filename, f.line_no(), f.code.name);
            }
            if stack.len() > 100 {
                out.push_str("  ...\n");
            }
        }
        _ => out.push_str("  <no Python frame>\n"),
    }
}

/// Ctrl-\ (SIGQUIT) prints every thread's stack and wait on stderr, and the program
/// goes on (as Java's and Go's do), unless the signal was ignored when conc started.
/// The main thread prints it at its next check, as it runs script handlers.
pub fn install_sigquit() {
    use conc_interpreter::signals;
    if signals::current_os_disposition(libc::SIGQUIT) != libc::SIG_DFL {
        return;
    }
    let dump = |vm: &mut Vm| {
        let threads = collect(Some(vm));
        conc_interpreter::stdio::write_stderr(&render(&threads, "conc: thread dump (SIGQUIT)"));
        Ok(())
    };
    if signals::install_os_handler(libc::SIGQUIT).is_ok() {
        signals::set_handler(libc::SIGQUIT as usize, Some(signals::Handler::Native(std::sync::Arc::new(dump))));
    }
}

/// threads()
///
/// Print the live threads: each one's name, what it is doing or waiting on, and
/// where in the script (a thread dump, as Ctrl-\ prints it).
#[native("threads()")]
pub fn threads(vm: &mut Vm) -> conc_interpreter::PyResult<()> {
    let list = collect(Some(vm));
    conc_interpreter::stdio::write_stdout(&render(&list, "Threads"));
    Ok(())
}
