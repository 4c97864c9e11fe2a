//! `conc --trace`: runs scripts under tracing, reads the Chrome Trace Event JSON back
//! and checks the events one by one (tracks and their names, span kinds, objects,
//! script locations, nesting, child processes, asyncio tasks, instants), and that the
//! HTML page is self-contained and draws the timeline (in headless Chromium, when it
//! is installed or can be installed from Debian's packages here).

mod trace_support;

use std::process::Command;
use trace_support::{events, run_traced, scratch, Json};

/// The line of `source` carrying the marker comment `# L:name`.
fn line_of(source: &str, name: &str) -> usize {
    let marker = format!("# L:{name}");
    source.lines().position(|l| l.contains(&marker)).unwrap_or_else(|| panic!("no marker {marker}")) + 1
}

/// The track (tid) named `name` in process `pid`.
fn tid_of(evs: &[Json], pid: f64, name: &str) -> f64 {
    evs.iter()
        .find(|e| e.str("ph") == "M" && e.str("name") == "thread_name" && e.num("pid") == pid && e.arg("name") == name)
        .unwrap_or_else(|| panic!("no track named {name}"))
        .num("tid")
}

/// The spans of a track with the given category.
fn spans<'a>(evs: &'a [Json], pid: f64, tid: f64, cat: &str) -> Vec<&'a Json> {
    evs.iter()
        .filter(|e| e.str("ph") == "X" && e.num("pid") == pid && e.num("tid") == tid && e.str("cat") == cat)
        .collect()
}

fn main_pid(evs: &[Json]) -> f64 {
    evs.iter()
        .find(|e| e.str("name") == "process_name" && e.arg("name").starts_with("main process"))
        .expect("the main process is named")
        .num("pid")
}

const WAITS: &str = r#"import threading, queue, time
from concurrent.futures import ThreadPoolExecutor

a = threading.Lock()
b = threading.Lock()
cond = threading.Condition()
ev = threading.Event()
sem = threading.Semaphore(0)
bar = threading.Barrier(2)
q = queue.Queue(maxsize=1)
flag = []

def worker():
    with a:  # L:hold_a
        with b:  # L:hold_b
            time.sleep(0.08)  # L:sleep
    ev.wait()  # L:event
    with cond:
        while not flag:
            cond.wait()  # L:cond
    sem.acquire()  # L:sem
    bar.wait()  # L:barrier
    print("got", q.get())  # L:get
    q.put(1)
    q.put(2)  # L:put
    time.sleep(0.08)

t = threading.Thread(target=worker, name="worker")
t.start()
time.sleep(0.02)
with a:  # L:wait_a
    pass
time.sleep(0.05)
ev.set()
time.sleep(0.05)
with cond:
    flag.append(1)
    cond.notify()
time.sleep(0.05)
sem.release()
time.sleep(0.05)
bar.wait()
time.sleep(0.05)
q.put("x")
time.sleep(0.05)
q.get()
t.join()  # L:join
with ThreadPoolExecutor(1) as ex:
    print(ex.submit(time.sleep, 0.05).result())  # L:future
print("end")
"#;

#[test]
fn waits_and_holds_of_every_kind_are_spans_with_their_script_location() {
    let dir = scratch("waits");
    let (out, trace) = run_traced(&dir, WAITS, "waits.json");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "got x\nNone\nend\n");
    let evs = events(&trace);
    let pid = main_pid(&evs);
    let main = tid_of(&evs, pid, "MainThread");
    let worker = tid_of(&evs, pid, "worker");
    let script = dir.join("script.py").display().to_string();
    let at = |name: &str| format!("{script}:{}", line_of(WAITS, name));

    // The worker's holds: b's inside a's, each located at its `with`.
    let holds = spans(&evs, pid, worker, "hold");
    let hold = |object: &str| {
        *holds.iter().find(|e| e.arg("object") == object).unwrap_or_else(|| panic!("no hold of {object}: {holds:?}"))
    };
    let (ha, hb) = (hold("lock a"), hold("lock b"));
    assert_eq!(ha.str("name"), "hold lock a");
    assert_eq!(ha.arg("location"), at("hold_a"));
    assert_eq!(ha.arg("function"), "worker");
    assert_eq!(hb.arg("location"), at("hold_b"));
    assert!(
        ha.num("ts") <= hb.num("ts") && hb.num("ts") + hb.num("dur") <= ha.num("ts") + ha.num("dur"),
        "b's hold nests in a's"
    );
    // The sleep inside both holds.
    let sleep =
        spans(&evs, pid, worker, "sleep").into_iter().find(|e| e.arg("location") == at("sleep")).expect("the sleep");
    assert_eq!(sleep.str("name"), "sleep(0.08)");
    assert!(hb.num("ts") <= sleep.num("ts") && sleep.num("ts") + sleep.num("dur") <= hb.num("ts") + hb.num("dur"));
    assert!(sleep.num("dur") >= 70_000.0, "{sleep:?}");

    // The main thread waited for a while the worker held it, and names the holder.
    let wait_a = spans(&evs, pid, main, "lock");
    let wait_a = wait_a.iter().find(|e| e.arg("location") == at("wait_a")).expect("main's wait for a");
    assert_eq!(wait_a.str("name"), "wait lock a");
    assert_eq!(wait_a.arg("holder"), "worker");
    assert_eq!(wait_a.arg("function"), "<module>");
    assert!(
        wait_a.num("ts") >= ha.num("ts") && wait_a.num("ts") + wait_a.num("dur") >= ha.num("ts") + ha.num("dur") - 1.0
    );
    // ... and then held it.
    assert!(spans(&evs, pid, main, "hold").iter().any(|e| e.arg("location") == at("wait_a")));

    // One span per kind of wait in the worker, at the script line that waited.
    for (cat, object, marker) in [
        ("event", "event ev", "event"),
        ("condition", "condition cond", "cond"),
        ("semaphore", "semaphore sem", "sem"),
        ("barrier", "barrier bar", "barrier"),
        ("queue-get", "queue q", "get"),
        ("queue-put", "queue q", "put"),
    ] {
        let found = spans(&evs, pid, worker, cat);
        let e = found
            .iter()
            .find(|e| e.arg("location") == at(marker))
            .unwrap_or_else(|| panic!("no {cat} wait at {marker}: {found:?}"));
        assert_eq!(e.arg("object"), object, "{e:?}");
        assert_eq!(e.arg("kind"), cat);
        assert_eq!(e.str("name"), format!("wait {object}"));
        assert_eq!(e.arg("function"), "worker");
        assert!(e.num("dur") > 1_000.0, "{cat} waited {e:?}");
    }
    // The main thread's join and future result.
    let join = spans(&evs, pid, main, "join");
    assert!(join.iter().any(|e| e.arg("location") == at("join") && e.arg("object") == "thread worker"), "{join:?}");
    let fut = spans(&evs, pid, main, "future");
    assert!(
        fut.iter().any(|e| e.arg("location") == at("future") && e.arg("dur").is_empty() && e.num("dur") > 1_000.0),
        "{fut:?}"
    );

    // Thread start and end instants on the worker's track, around its spans.
    let instant = |name: &str| {
        evs.iter()
            .find(|e| e.str("ph") == "i" && e.num("tid") == worker && e.str("name") == name)
            .unwrap_or_else(|| panic!("no {name}"))
            .num("ts")
    };
    let (start, end) = (instant("thread start"), instant("thread end"));
    assert!(start <= ha.num("ts") && end >= sleep.num("ts") + sleep.num("dur"));
    // Every event names a process and track that have metadata.
    for e in &evs {
        if e.str("ph") != "M" {
            assert!(
                evs.iter().any(|m| m.str("name") == "thread_name"
                    && m.num("pid") == e.num("pid")
                    && m.num("tid") == e.num("tid")),
                "{e:?}"
            );
        }
    }
}

const CHILD: &str = r#"import multiprocessing as mp, threading, time

def child(n):
    lk = threading.Lock()
    with lk:  # L:child_hold
        time.sleep(0.03)

def boom():
    raise ValueError("bad thread")  # L:boom

if __name__ == "__main__":
    p = mp.Process(target=child, args=(1,))
    p.start()
    p.join()  # L:pjoin
    t = threading.Thread(target=boom, name="boomer")
    t.start()
    t.join()
    raise KeyError("main fails")  # L:main_fail
"#;

#[test]
fn child_processes_get_their_own_track_and_uncaught_exceptions_are_instants() {
    let dir = scratch("child");
    let (out, trace) = run_traced(&dir, CHILD, "child.json");
    assert_eq!(out.status.code(), Some(1), "the script's own exit status is kept");
    let evs = events(&trace);
    let pid = main_pid(&evs);
    let script = dir.join("script.py").display().to_string();
    let at = |name: &str| format!("{script}:{}", line_of(CHILD, name));
    let child = evs
        .iter()
        .find(|e| e.str("name") == "process_name" && e.arg("name").starts_with("child process"))
        .expect("the child's process track")
        .num("pid");
    assert_ne!(child, pid);
    let ctid = tid_of(&evs, child, "MainThread");
    let hold = spans(&evs, child, ctid, "hold");
    assert!(
        hold.iter().any(|e| e.arg("object") == "lock lk"
            && e.arg("location") == at("child_hold")
            && e.arg("function") == "child"),
        "{hold:?}"
    );
    assert!(!spans(&evs, child, ctid, "sleep").is_empty());
    // The parent's join of the child is one span that lasts as long as the child ran.
    let main = tid_of(&evs, pid, "MainThread");
    let pjoin: Vec<_> =
        spans(&evs, pid, main, "join").into_iter().filter(|e| e.arg("location") == at("pjoin")).collect();
    assert_eq!(pjoin.len(), 1, "{pjoin:?}");
    assert!(pjoin[0].num("dur") >= 30_000.0);
    // Uncaught exceptions: in the thread, then in the main thread.
    let boomer = tid_of(&evs, pid, "boomer");
    let exc = |tid: f64, name: &str| {
        evs.iter()
            .find(|e| e.str("ph") == "i" && e.num("tid") == tid && e.str("cat") == "exception" && e.str("name") == name)
            .unwrap_or_else(|| panic!("no {name} instant"))
            .clone()
    };
    let t = exc(boomer, "uncaught ValueError");
    assert_eq!(t.arg("exception"), "ValueError: bad thread");
    assert_eq!(t.arg("location"), at("boom"));
    let m = exc(main, "uncaught KeyError");
    assert_eq!(m.arg("exception"), "KeyError: 'main fails'");
    assert_eq!(m.arg("location"), at("main_fail"));
    // The children's folder of parts is gone.
    assert!(!std::env::temp_dir().join(format!("conc-trace-{}", pid as u32)).exists());
}

const TASKS: &str = r#"import asyncio

async def work(n):
    await asyncio.sleep(0.01 * n)
    return n

async def main():
    one = asyncio.create_task(work(1), name="one")  # L:one
    two = asyncio.create_task(work(2), name="two")  # L:two
    print(await one + await two)

asyncio.run(main())
"#;

#[test]
fn asyncio_tasks_are_async_spans() {
    let dir = scratch("tasks");
    let (out, trace) = run_traced(&dir, TASKS, "tasks.json");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "3\n");
    let evs = events(&trace);
    let script = dir.join("script.py").display().to_string();
    let phase = |ph: &str, name: &str| {
        evs.iter()
            .find(|e| e.str("ph") == ph && e.str("name") == name)
            .unwrap_or_else(|| panic!("no {ph} {name}"))
            .clone()
    };
    for (name, marker, least) in [("task one", "one", 10_000.0), ("task two", "two", 20_000.0)] {
        let (b, e) = (phase("b", name), phase("e", name));
        assert_eq!(b.str("cat"), "asyncio");
        assert_eq!(e.str("cat"), "asyncio");
        assert_eq!(b.num("id"), e.num("id"));
        assert_eq!(b.arg("location"), format!("{script}:{}", line_of(TASKS, marker)));
        assert_eq!(b.arg("function"), "work");
        assert_eq!(e.arg("outcome"), "result");
        assert!(e.num("ts") - b.num("ts") >= least);
    }
}

#[test]
fn sys_exit_and_os_exit_still_write_the_trace() {
    for (name, source, code) in [
        ("sysexit", "import threading\nl = threading.Lock()\nwith l:\n    pass\nimport sys\nsys.exit(3)\n", 3),
        ("osexit", "import threading, os\nl = threading.Lock()\nwith l:\n    pass\nos._exit(4)\n", 4),
    ] {
        let dir = scratch(name);
        let (out, trace) = run_traced(&dir, source, "t.json");
        assert_eq!(out.status.code(), Some(code));
        let evs = events(&trace);
        let pid = main_pid(&evs);
        let main = tid_of(&evs, pid, "MainThread");
        assert_eq!(spans(&evs, pid, main, "hold").len(), 1, "{name}");
    }
}

/// Chromium's binary, if there is one (installed from Debian's packages when missing
/// and this is root with apt-get; set CONC_TEST_NO_INSTALL=1 to skip that).
fn chromium() -> Option<String> {
    let find = || {
        ["chromium", "chromium-browser", "google-chrome"].iter().find_map(|b| {
            Command::new("sh")
                .arg("-c")
                .arg(format!("command -v {b}"))
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|_| b.to_string())
        })
    };
    if let Some(b) = find() {
        return Some(b);
    }
    if std::env::var_os("CONC_TEST_NO_INSTALL").is_none() {
        let _ = Command::new("sh")
            .arg("-c")
            .arg("command -v apt-get >/dev/null && [ \"$(id -u)\" = 0 ] && (apt-get install -y --no-install-recommends chromium || (apt-get update && apt-get install -y --no-install-recommends chromium)) >/dev/null 2>&1")
            .status();
    }
    find()
}

#[test]
fn html_page_is_self_contained_and_draws_lanes_and_spans() {
    let dir = scratch("html");
    let (out, page) = run_traced(&dir, CHILD, "trace.html");
    assert_eq!(out.status.code(), Some(1));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    for external in ["<link", "src=", "@import", "url(", "http://", "https://"] {
        let found = html.replace("http://www.w3.org/2000/svg", "");
        assert!(!found.contains(external), "the page refers to something outside it: {external}");
    }
    let Some(browser) = chromium() else {
        eprintln!(
            "html_page_is_self_contained_and_draws_lanes_and_spans: no Chromium here, the drawing is not checked"
        );
        return;
    };
    let dom = Command::new(&browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=5000", "--dump-dom"])
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&dom.stdout).to_string();
    // One lane per thread, labelled, under a label per process.
    for label in [">MainThread</text>", ">boomer</text>"] {
        assert!(dom.contains(label), "no lane {label} in {dom}");
    }
    assert!(
        dom.contains("class=\"process-label\"") && dom.matches("class=\"process-label\"").count() == 2,
        "two processes"
    );
    assert!(dom.contains(">child process "), "the child's lane group is named");
    // Spans coloured by kind, with what hovering shows.
    assert!(dom.contains("class=\"span kind-hold\""), "a hold span");
    assert!(dom.contains("class=\"span kind-join\""), "a join span");
    assert!(dom.contains("data-object=\"lock lk\""));
    assert!(
        dom.contains("<title>hold  lock lk\n")
            || dom.contains("<title>hold  lock lk&#10;")
            || dom.contains("<title>hold  lock lk"),
        "hover text"
    );
    assert!(dom.contains("data-name=\"uncaught ValueError\""), "the exception instant");
    // Zoomed to a range that leaves everything out, nothing is drawn.
    let zoomed = Command::new(&browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=5000", "--dump-dom"])
        .arg(format!("file://{}#from=100000&to=100001", page.display()))
        .output()
        .unwrap();
    let zoomed = String::from_utf8_lossy(&zoomed.stdout).to_string();
    assert!(zoomed.contains("data-spans-shown=\"0\""), "zoomed out of the run: {zoomed}");
    assert!(dom.contains("data-spans-shown=\"") && !dom.contains("data-spans-shown=\"0\""));
}
