//! The text of a deadlock report: a first line saying so, then one paragraph per
//! stuck thread (what it waits on, where the object was made, who holds it, and the
//! script's frames in a traceback's shape), then the cycle of threads waiting for
//! each other, if there is one.

use super::describe::{site_text, Kind, Wait};
use conc_interpreter::vm::frames::FrameEntry;
use std::collections::HashMap;
use std::fmt::Write;

/// The first line when every thread is stuck.
pub const ALL_STUCK: &str = "conc: deadlock: every thread is waiting for another one, so none can go on";
/// The first line when the program cannot end: the main thread waits at exit for
/// non-daemon threads that wait for each other.
pub const STUCK_AT_EXIT: &str =
    "conc: deadlock: at exit, the non-daemon threads wait for each other, so the program cannot end";

/// The report for `waits` (in start order), under `headline`.
pub fn render(waits: &[Wait], headline: &str) -> String {
    let names: HashMap<u64, String> = waits.iter().map(|w| (w.thread, w.thread_name.clone())).collect();
    let name_of = |t: u64| names.get(&t).cloned().unwrap_or_else(|| super::describe::unlisted_thread(t));
    let mut out = String::new();
    out.push_str(headline);
    out.push('\n');
    for w in waits {
        let _ = write!(out, "\nThread {} {}", w.thread_name, w.waits(&name_of));
        if let Some(site) = &w.site {
            let _ = write!(out, " (made at {})", site_text(site));
        }
        match (w.kind, w.holder) {
            (Kind::Lock | Kind::RLock, Some(h)) => {
                let _ = write!(out, ", held by {}", name_of(h));
            }
            (Kind::Lock | Kind::RLock, None) => out.push_str(", which no thread holds"),
            _ => {}
        }
        out.push_str(":\n");
        if w.frames.is_empty() {
            out.push_str("  (in conc's shutdown, after the script's last line)\n");
        }
        for f in &w.frames {
            frame_lines(&mut out, f);
        }
    }
    if let Some(cycle) = find_cycle(waits) {
        out.push_str("\nCycle: ");
        for (i, &at) in cycle.iter().enumerate() {
            let w = &waits[at];
            if i == 0 {
                out.push_str(&w.thread_name);
            } else {
                out.push_str(", which");
            }
            let _ = write!(out, " waits for {}", w.object(&name_of));
            if matches!(w.kind, Kind::Lock | Kind::RLock) {
                let _ = write!(out, " held by {}", name_of(w.holder.unwrap_or_default()));
            } else {
                out.push_str(" to end");
            }
        }
        out.push('\n');
    }
    out
}

/// `  File "f", line n, in name` and the source line, as a traceback shows a frame.
pub fn frame_lines(out: &mut String, f: &FrameEntry) {
    let line = f.line_no();
    let _ = writeln!(out, "  File \"{}\", line {}, in {}", f.code.filename, line, f.code.name);
    let text = if matches!(f.code.filename.as_str(), "<string>" | "<stdin>") { "" } else { f.code.line_text(line) };
    if !text.is_empty() {
        let _ = writeln!(out, "    {text}");
    }
}

/// The first cycle of "waits for a lock held by" / "joins" edges, as indexes into
/// `waits`, starting from the earliest-started thread on it.
pub fn find_cycle(waits: &[Wait]) -> Option<Vec<usize>> {
    let index: HashMap<u64, usize> = waits.iter().enumerate().map(|(i, w)| (w.thread, i)).collect();
    let next = |i: usize| -> Option<usize> {
        let w = &waits[i];
        match w.kind {
            Kind::Lock | Kind::RLock | Kind::Join => index.get(&w.holder?).copied(),
            _ => None,
        }
    };
    for start in 0..waits.len() {
        let mut path = vec![start];
        let mut at = start;
        while let Some(n) = next(at) {
            if let Some(pos) = path.iter().position(|&p| p == n) {
                let mut cycle = path[pos..].to_vec();
                // Start from the earliest thread on the cycle, so the text is stable.
                let first = (0..cycle.len()).min_by_key(|&k| waits[cycle[k]].thread).unwrap_or(0);
                cycle.rotate_left(first);
                return Some(cycle);
            }
            path.push(n);
            at = n;
        }
    }
    None
}

/// The threads on a cycle, for the report at exit (the rest may still run).
pub fn cycle_threads(waits: &[Wait]) -> Option<Vec<u64>> {
    find_cycle(waits).map(|c| c.iter().map(|&i| waits[i].thread).collect())
}
