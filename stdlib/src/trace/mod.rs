//! `conc --trace FILE.json|FILE.html`: what the blocking layer and the locks report
//! becomes Chrome Trace Event JSON (Perfetto, chrome://tracing) or a self-contained
//! HTML page drawing the same timeline.
//!
//! Processes: the traced process makes a folder for its children's events and names
//! it in `CONC_TRACE_PARTS`, which every child inherits (spawned and exec'd children
//! read it at start, forked ones inherit the switch itself). Each child writes its
//! events there as one JSON event per line when it exits; the traced process merges
//! the folder into its own file at exit, one track group per process id.

mod html;
mod json;

use crate::deadlock::describe::{name_at, Kind, Wait};
use conc_interpreter::blocking::WaitRecord;
use conc_interpreter::trace::{self, Event};
use conc_interpreter::vm::frames::{is_library_file, FrameEntry};
use conc_interpreter::Vm;
use std::sync::OnceLock;

/// The folder where children of a traced process leave their events.
pub const PARTS_ENV: &str = "CONC_TRACE_PARTS";

/// The file the traced (top) process writes, set by `--trace`.
static OUTPUT: OnceLock<String> = OnceLock::new();
/// This process's part of the trace: the top process's folder of parts, or the
/// folder a child writes its part into.
static PARTS: OnceLock<String> = OnceLock::new();

/// `--trace FILE`: the file to write at exit (read when the runtime starts).
pub fn configure(path: &str) {
    let _ = OUTPUT.set(path.to_string());
}

/// Turns tracing on when asked: by `--trace` (this is the traced process) or by the
/// environment (this is a child of one).
pub fn start_if_asked() {
    if OUTPUT.get().is_some() {
        let dir = std::env::temp_dir().join(format!("conc-trace-{}", std::process::id()));
        if std::fs::create_dir_all(&dir).is_ok() {
            std::env::set_var(PARTS_ENV, &dir);
            let _ = PARTS.set(dir.to_string_lossy().into_owned());
        }
    } else if let Ok(dir) = std::env::var(PARTS_ENV) {
        if dir.is_empty() {
            return;
        }
        let _ = PARTS.set(dir);
    } else {
        return;
    }
    trace::set_hooks(trace::WaitHooks { began: wait_began, ended: wait_ended }, write_out);
    trace::turn_on();
    trace::touch("MainThread");
}

/// The kind of a wait as the trace names it (the event's category).
fn kind_word(w: &Wait, rec: &WaitRecord) -> &'static str {
    match w.kind {
        Kind::Lock => "lock",
        Kind::RLock => "rlock",
        Kind::Condition => "condition",
        Kind::Event => "event",
        Kind::Semaphore => "semaphore",
        Kind::Barrier => "barrier",
        Kind::QueueGet => "queue-get",
        Kind::QueuePut => "queue-put",
        Kind::QueueJoin => "queue-join",
        Kind::Join => "join",
        Kind::Future => "future",
        Kind::Exit => "exit",
        Kind::EventLoop => "event-loop",
        Kind::Other if rec.what.starts_with("sleep(") => "sleep",
        Kind::Other if rec.what.ends_with(".join") => "join",
        Kind::Other if rec.detail.wake == conc_interpreter::deadlock::Wake::Kernel => "io",
        Kind::Other => "other",
    }
}

/// `file:line` and function of a frame.
fn place(f: &FrameEntry) -> (String, String) {
    (format!("{}:{}", f.code.filename, f.line_no()), f.code.qualname.to_string())
}

thread_local! {
    /// The calling thread's wait, described when it began: name, kind, arguments.
    static BEGUN: std::cell::RefCell<Option<(String, &'static str, trace::Args)>> =
        const { std::cell::RefCell::new(None) };
}

/// A wait begins: it is described now, while the lock's holder still holds it.
fn wait_began(rec: &WaitRecord) {
    let w = Wait::of(rec);
    let cat = kind_word(&w, rec);
    let name_of = |t: u64| trace::name_of_ident(t).unwrap_or_else(|| format!("{t:#x}"));
    let object = w.object(&name_of);
    let (location, function) = match w.frames.last() {
        Some(f) => place(f),
        None => (format!("{}:{}", rec.file, rec.line), String::new()),
    };
    let mut args = vec![("kind", cat.to_string()), ("object", object.clone()), ("location", location)];
    args.push(("function", function));
    if let (Some(h), Kind::Lock | Kind::RLock) = (w.holder, w.kind) {
        args.push(("holder", name_of(h)));
    }
    let name = if cat == "sleep" { rec.what.clone() } else { format!("wait {object}") };
    BEGUN.with(|b| *b.borrow_mut() = Some((name, cat, args)));
}

/// A finished wait becomes a span on its thread's track.
fn wait_ended(rec: &WaitRecord, start: f64, end: f64) {
    let Some((name, cat, args)) = BEGUN.with(|b| b.borrow_mut().take()) else { return };
    trace::record_span(
        &rec.thread_name,
        Event { ph: 'X', name, cat, ts: start, dur: end - start, id: 0, args },
        1000.0,
    );
}

/// A lock (`what`: Lock, RLock, Condition) was taken by script code on `vm`: its
/// hold begins. Holds taken inside conc's library (an Event's condition) are left
/// out: the wait they serve is traced as what the script called.
pub fn lock_taken(vm: &Vm, addr: usize, what: &str, site: Option<&FrameEntry>) {
    let Some(frame) = vm.caller_frame() else { return };
    if is_library_file(&frame.code.filename) {
        return;
    }
    let noun = match what {
        "RLock" => "RLock",
        "Condition" => "condition",
        _ => "lock",
    };
    let object = match (site.and_then(name_at), site) {
        (Some(n), _) => format!("{noun} {n}"),
        (None, Some(s)) => format!("a {noun} made at line {}", s.line_no()),
        (None, None) => format!("a {noun}"),
    };
    let location = format!("{}:{}", frame.code.filename, frame.line());
    let args = vec![
        ("kind", "hold".to_string()),
        ("object", object.clone()),
        ("location", location),
        ("function", frame.code.qualname.to_string()),
    ];
    trace::hold_begin(&vm.thread_name, addr, format!("hold {object}"), args);
}

/// The lock at `addr` was released by the calling thread.
pub fn lock_released(addr: usize) {
    trace::hold_end(addr, "");
}

/// A script thread's instant event (`thread start`, `thread end`).
pub fn thread_event(thread_name: &str, what: &str) {
    if trace::on() {
        trace::instant(thread_name, what, "thread", vec![]);
    }
}

/// An exception nobody caught ended the thread: an instant event with the message
/// and the innermost `File "...", line N` entry of its traceback `text`.
pub fn uncaught(vm: &Vm, class: &str, text: &str) {
    if !trace::on() {
        return;
    }
    let message = text.trim_end().rsplit('\n').next().unwrap_or("").to_string();
    let location = text
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("File \""))
        .filter_map(|l| {
            let (file, rest) = l.split_once("\", line ")?;
            let line: String = rest.chars().take_while(char::is_ascii_digit).collect();
            Some(format!("{file}:{line}"))
        })
        .next_back()
        .unwrap_or_default();
    let args = vec![("exception", message), ("location", location)];
    trace::instant(&vm.thread_name, &format!("uncaught {class}"), "exception", args);
}

/// trace_uncaught(exc): with `--trace`, an instant event for an exception that ended
/// a thread (`threading` calls it before its excepthook).
#[conc_interpreter::native::native("_conc.trace_uncaught(exc, /)")]
pub fn trace_uncaught(vm: &mut Vm, exc: &conc_interpreter::Value) -> conc_interpreter::PyResult<()> {
    if trace::on() {
        let text = vm.format_exception(exc);
        let class = vm.type_name(exc);
        uncaught(vm, &class, &text);
    }
    Ok(())
}

/// tracing() -> bool: whether `--trace` records this run (asyncio asks once).
#[conc_interpreter::native::native("_conc.tracing()")]
pub fn tracing(_vm: &mut Vm) -> conc_interpreter::PyResult<bool> {
    Ok(trace::on())
}

/// trace_task(key, name, coro, end): an asyncio task begins (`end` false: an async
/// begin event on the loop's thread, located where the script made the task) or is
/// settled (`end` is its outcome: result, exception, cancel).
#[conc_interpreter::native::native("_conc.trace_task(key, name, coro, end, /)")]
pub fn trace_task(
    vm: &mut Vm,
    key: i64,
    name: &str,
    coro: &str,
    end: &conc_interpreter::Value,
) -> conc_interpreter::PyResult<()> {
    if !trace::on() {
        return Ok(());
    }
    let (ph, args) = match end.as_str() {
        None => {
            let location = vm.user_site().map(|f| format!("{}:{}", f.code.filename, f.line_no())).unwrap_or_default();
            (
                'b',
                vec![
                    ("kind", "task".to_string()),
                    ("object", format!("task {name}")),
                    ("location", location),
                    ("function", coro.to_string()),
                ],
            )
        }
        Some(outcome) => ('e', vec![("outcome", outcome.as_str().to_string())]),
    };
    let ev =
        Event { ph, name: format!("task {name}"), cat: "asyncio", ts: trace::now_us(), dur: 0.0, id: key as u64, args };
    trace::record(&vm.thread_name, ev);
    Ok(())
}

/// Writes the trace (the flush hook, run once at exit): a child its part, the traced
/// process the whole file with its children's parts merged in.
fn write_out() {
    let pid = std::process::id();
    let top = OUTPUT.get().is_some() && !trace::forked_child();
    let lines = json::event_lines(pid, if top { "main process" } else { "child process" }, trace::take_all());
    let Some(parts) = PARTS.get() else { return };
    if !top {
        let tmp = format!("{parts}/.{pid}.tmp");
        if std::fs::write(&tmp, lines.join("\n") + "\n").is_ok() {
            let _ = std::fs::rename(&tmp, format!("{parts}/{pid}.jsonl"));
        }
        return;
    }
    let mut all = lines;
    if let Ok(dir) = std::fs::read_dir(parts) {
        let mut files: Vec<_> =
            dir.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "jsonl")).collect();
        files.sort();
        for f in files {
            if let Ok(text) = std::fs::read_to_string(&f) {
                all.extend(text.lines().filter(|l| !l.is_empty()).map(str::to_string));
            }
        }
    }
    let _ = std::fs::remove_dir_all(parts);
    let out = OUTPUT.get().expect("top process");
    let text = if out.ends_with(".html") || out.ends_with(".htm") { html::page(&all) } else { json::document(&all) };
    if let Err(e) = std::fs::write(out, text) {
        conc_interpreter::stdio::write_stderr(&format!("conc: cannot write trace {out}: {e}\n"));
    }
}
