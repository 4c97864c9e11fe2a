//! Deadlock reports instead of hangs.
//!
//! A watcher thread, started the first time it is needed, is woken by the blocking
//! layer when a thread parks in a wait only another thread can end and as many
//! threads wait as are alive (`conc_interpreter::deadlock::should_poke`), or when the
//! main thread starts waiting at exit for the non-daemon threads. It then looks
//! twice, `SETTLE` and `CONFIRM` apart: if every script thread is still parked in the
//! same wait (the same `seq`), none of those waits can end by a timeout, a
//! descriptor, a child process or a signal, the kernel shows each of those threads
//! asleep (so none was just woken), and no script signal handler could release
//! anything, the program can never go on: the watcher prints the report
//! (`report.rs`) and ends the process with status 1. At exit, a cycle among the
//! non-daemon threads is enough, even while daemon threads still run.
//!
//! `--deadlock=hang` or `CONC_DEADLOCK=hang` turn this off (CPython's behaviour).

pub mod describe;
pub mod dump;
pub mod report;

use conc_interpreter::blocking::{waiting_threads, WaitRecord};
use conc_interpreter::deadlock::{self as hooks, Wake};
use conc_interpreter::signals::{self, Handler, NSIG};
use describe::Wait;
use std::time::Duration;

/// How long the watcher lets things settle after it is woken, and then how long the
/// same waits must last before they count as a deadlock. A thread that was notified
/// is runnable within microseconds; together these keep the report under a quarter
/// of a second after the last thread blocked.
const SETTLE: Duration = Duration::from_millis(50);
const CONFIRM: Duration = Duration::from_millis(150);

/// The environment variable that chooses what a deadlock does (`hang`: wait for
/// ever, as CPython; anything else, or unset: report).
pub const ENV: &str = "CONC_DEADLOCK";

/// Turns detection on for this process unless `CONC_DEADLOCK=hang` asks for
/// CPython's behaviour (`conc --deadlock=hang` sets that variable).
pub fn enable_unless_hang() {
    if std::env::var(ENV).is_ok_and(|v| v == "hang") {
        return;
    }
    hooks::enable(start_watcher);
}

fn start_watcher() {
    let _ = std::thread::Builder::new().name("deadlock-watch".into()).spawn(|| {
        signals::block_async_signals();
        watch()
    });
}

fn watch() {
    loop {
        hooks::wait_poked();
        std::thread::sleep(SETTLE);
        if let Some(first) = stuck() {
            std::thread::sleep(CONFIRM);
            if let Some(second) = stuck() {
                if same_waits(&first.0, &second.0) && asleep_in_kernel(&second.0) && !script_signal_handlers() {
                    let headline = if second.1 { report::STUCK_AT_EXIT } else { report::ALL_STUCK };
                    report_and_exit(&second.0, headline);
                }
            }
        }
        // Re-arm first, then look again: a thread that parked while the watcher was
        // looking did not poke it.
        hooks::rearm();
        if stuck().is_some() {
            hooks::poke();
        }
    }
}

/// The waits of a deadlock, if the records show one now (in start order), and
/// whether it is the one at exit.
fn stuck() -> Option<(Vec<WaitRecord>, bool)> {
    let mut recs = waiting_threads();
    recs.sort_by_key(|r| r.thread);
    let only_threads = |r: &WaitRecord| r.detail.wake == Wake::Thread;
    if recs.len() >= hooks::live_threads() && !recs.is_empty() && recs.iter().all(only_threads) {
        return Some((recs, false));
    }
    if hooks::exiting() {
        return stuck_at_exit(recs).map(|r| (r, true));
    }
    None
}

/// At exit: the main thread waits for the non-daemon threads; if those all wait on
/// each other in a cycle, nothing a daemon thread does is awaited.
fn stuck_at_exit(recs: Vec<WaitRecord>) -> Option<Vec<WaitRecord>> {
    let main = recs.iter().find(|r| r.what == "threading._shutdown")?.thread;
    let parked: Vec<&WaitRecord> = recs.iter().filter(|r| r.detail.wake == Wake::Thread).collect();
    let others: Vec<u64> = crate::thread::registry::live_idents()
        .into_iter()
        .filter(|&t| t != main && crate::thread::registry::is_daemon(t) == Some(false))
        .collect();
    if others.is_empty() || !others.iter().all(|t| parked.iter().any(|r| r.thread == *t)) {
        return None;
    }
    let waits: Vec<Wait> = parked.iter().filter(|r| others.contains(&r.thread)).map(|r| Wait::of(r)).collect();
    report::cycle_threads(&waits)?;
    Some(recs.into_iter().filter(|r| r.thread == main || others.contains(&r.thread)).collect())
}

fn same_waits(a: &[WaitRecord], b: &[WaitRecord]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.thread == y.thread && x.detail.seq == y.detail.seq)
}

/// Whether the kernel shows every one of these threads asleep: a thread notified an
/// instant ago is runnable, and its wait is not over yet in the records.
fn asleep_in_kernel(recs: &[WaitRecord]) -> bool {
    recs.iter().all(|r| {
        let path = format!("/proc/self/task/{}/stat", r.detail.tid);
        let Ok(stat) = std::fs::read_to_string(path) else { return false };
        // The state follows the command name, which is in parentheses.
        let state = stat.rsplit_once(')').and_then(|(_, rest)| rest.trim_start().chars().next());
        state == Some('S')
    })
}

/// A script handler for some signal could release what the threads wait for when a
/// signal comes from outside: then nothing is a deadlock.
fn script_signal_handlers() -> bool {
    (1..NSIG).any(|n| matches!(signals::handler(n), Some(Handler::Script(_))))
}

fn report_and_exit(recs: &[WaitRecord], headline: &str) -> ! {
    let waits: Vec<Wait> = recs.iter().map(Wait::of).collect();
    let text = report::render(&waits, headline);
    conc_interpreter::stdio::flush_stdout();
    conc_interpreter::stdio::write_stderr(&text);
    // SAFETY: _exit ends the process at once; every script thread is parked, and
    // running no destructors or exit handlers is what keeps them from waking into a
    // process being torn down.
    unsafe { libc::_exit(1) }
}
