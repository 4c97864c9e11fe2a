//! Fault tests for multiprocessing (issue 5), with both start methods: a child killed
//! with SIGKILL while holding a Lock, between puts or in the middle of writing one
//! message on a Queue, a Pipe peer that dies, a parent that raises while children
//! run, a spawn_process child that is killed. The parent never hangs (every script runs under a time limit and
//! uses bounded waits where CPython would wait for ever too), and afterwards no child
//! process survives and nothing new is left in /dev/shm. No timing is asserted.

mod mp_support;

use mp_support::run;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

const LIMIT: Duration = Duration::from_secs(30);

const KILL_HOLDING_LOCK: &str = r#"
import multiprocessing as mp
import os

import sys
import time

def hold(lock, ready):
    lock.acquire()
    ready.set()
    time.sleep(60)

if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1])
    lock, ready = ctx.Lock(), ctx.Event()
    p = ctx.Process(target=hold, args=(lock, ready))
    p.start()
    print("pid", p.pid, flush=True)
    ready.wait()
    os.kill(p.pid, 9)
    p.join()
    print("exitcode", p.exitcode, p.is_alive())
    # The semaphore stays taken (as in CPython): a bounded wait returns False.
    print("acquire", lock.acquire(timeout=0.2))
"#;

const KILL_MID_PUT: &str = r#"
import multiprocessing as mp
import os
import queue

import sys

def produce(q, started):
    i = 0
    while True:
        q.put((i, "x" * 100))
        if i == 1000:
            started.set()
        i += 1

if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1])
    q, started = ctx.Queue(), ctx.Event()
    p = ctx.Process(target=produce, args=(q, started))
    p.start()
    print("pid", p.pid, flush=True)
    started.wait()
    p.kill()
    p.join()
    print("exitcode", p.exitcode)
    n = 0
    while True:
        try:
            i, s = q.get(timeout=0.5)
        except queue.Empty:
            break
        assert i == n and s == "x" * 100, (i, n)
        n += 1
    print("intact items", n > 1000)
"#;

const KILL_MID_MESSAGE: &str = r#"
import multiprocessing as mp
import os
import queue
import sys
import time

def produce(q, started):
    q.put("small")
    started.set()
    q.put("x" * 10_000_000)

if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1])
    q, started = ctx.Queue(), ctx.Event()
    p = ctx.Process(target=produce, args=(q, started))
    p.start()
    print("pid", p.pid, flush=True)
    started.wait()
    time.sleep(0.2)
    # The 10 MB message cannot fit in the pipe before this process reads it: the
    # child is killed before, or in the middle of, writing it.
    p.kill()
    p.join()
    print("exitcode", p.exitcode)
    print(q.get(timeout=5))
    for block in (True, False):
        try:
            q.get(block, timeout=0.3)
        except queue.Empty:
            print("Empty")
    # The killed child holds the writer lock for ever (as in CPython): a bounded
    # put says Full instead of hanging.
    try:
        q.put("after", timeout=0.3)
    except queue.Full:
        print("Full")
"#;

const PIPE_PEER_DIES: &str = r#"
import multiprocessing as mp
import os
import sys

def talk(conn):
    conn.send("hello")
    os.kill(os.getpid(), 9)

def leave(code):
    os._exit(code)

if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1])
    parent_end, child_end = ctx.Pipe()
    p = ctx.Process(target=talk, args=(child_end,))
    p.start()
    print("pid", p.pid, flush=True)
    child_end.close()
    print(parent_end.recv())
    try:
        parent_end.recv()
    except EOFError:
        print("EOFError")
    p.join()
    print("exitcode", p.exitcode)
    r, w = ctx.Pipe(duplex=False)
    p = ctx.Process(target=leave, args=(3,))
    p.start()
    p.join()
    w.close()
    print("poll", r.poll(1))
"#;

const PARENT_RAISES: &str = r#"
import multiprocessing as mp
import sys
import time

def work(n):
    time.sleep(0.3)
    print("child", n, "done", flush=True)

def forever():
    time.sleep(60)

if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1])
    ps = [ctx.Process(target=work, args=(n,)) for n in range(2)]
    d = ctx.Process(target=forever, daemon=True)
    for p in ps + [d]:
        p.start()
        print("pid", p.pid, flush=True)
    raise RuntimeError("parent failed")
"#;

const SPAWN_PROCESS_KILLED: &str = r#"
import multiprocessing as mp
import os
import sys

def die():
    os.kill(os.getpid(), 9)

if __name__ == "__main__":
    mp.set_start_method(sys.argv[1])
    h = spawn_process(die)
    print("pid", h.pid, flush=True)
    try:
        h.join()
    except mp.ProcessError as e:
        print("ProcessError", e)
"#;

/// Entries of /dev/shm, leaving out those of CPython's multiprocessing (other tests
/// on the machine may bless golden files with python3 meanwhile).
fn shm_entries() -> BTreeSet<String> {
    let Ok(dir) = std::fs::read_dir("/dev/shm") else {
        return BTreeSet::new();
    };
    dir.filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with("sem.mp-") && !n.starts_with("mp-") && !n.starts_with("psm_"))
        .collect()
}

/// The pids the script printed as `pid N`: none may still exist once it ended
/// (as a running orphan or as a zombie nobody waited for).
fn assert_no_survivors(out: &str) {
    let pids: Vec<&str> = out.lines().filter_map(|l| l.strip_prefix("pid ")).collect();
    assert!(!pids.is_empty(), "the script printed no pid: {out}");
    let start = Instant::now();
    for pid in pids {
        let proc = format!("/proc/{pid}");
        // A killed process can take a moment to disappear once reaped.
        while std::path::Path::new(&proc).exists() && start.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let stat = std::fs::read_to_string(format!("{proc}/stat")).unwrap_or_default();
        assert!(stat.is_empty(), "child {pid} survived: {stat}");
    }
}

/// Runs one fault script with `method`; checks stdout (without the pid lines), the
/// exit code and that nothing survives; returns stderr.
fn check(name: &str, source: &str, method: &str, expected: &str, code: i32) -> String {
    let before = shm_entries();
    let src = source.replace("sys.argv[1]", &format!("{method:?}"));
    let (out, err, status) = run(&format!("{name}-{method}"), &src, LIMIT);
    let shown: String = out.lines().filter(|l| !l.starts_with("pid ")).map(|l| format!("{l}\n")).collect();
    assert_eq!(shown, expected, "{name} with {method}; stderr: {err}");
    assert_eq!(status, code, "{name} with {method}; stderr: {err}");
    assert_no_survivors(&out);
    let new: Vec<String> = shm_entries().difference(&before).cloned().collect();
    assert!(new.is_empty(), "{name} with {method} left {new:?} in /dev/shm");
    err
}

#[test]
fn child_killed_while_holding_a_lock() {
    for method in ["spawn", "fork"] {
        let err = check("kill_lock", KILL_HOLDING_LOCK, method, "exitcode -9 False\nacquire False\n", 0);
        assert_eq!(err, "");
    }
}

#[test]
fn child_killed_in_the_middle_of_puts() {
    // Every message is written whole (or not at all), so the items read are intact.
    for method in ["spawn", "fork"] {
        let err = check("kill_put", KILL_MID_PUT, method, "exitcode -9\nintact items True\n", 0);
        assert_eq!(err, "");
    }
}

#[test]
fn child_killed_in_the_middle_of_one_message() {
    // The parent's own write end keeps the pipe open, so there is no end of file:
    // the get with a timeout must not wait for the rest of the message for ever.
    for method in ["spawn", "fork"] {
        let expected = "exitcode -9\nsmall\nEmpty\nEmpty\nFull\n";
        let err = check("kill_mid_message", KILL_MID_MESSAGE, method, expected, 0);
        assert_eq!(err, "");
    }
}

#[test]
fn pipe_peer_dies() {
    for method in ["spawn", "fork"] {
        let err = check("pipe_eof", PIPE_PEER_DIES, method, "hello\nEOFError\nexitcode -9\npoll True\n", 0);
        assert_eq!(err, "");
    }
}

#[test]
fn parent_raises_while_children_run() {
    // The traceback is printed, the non-daemon children are waited for, the daemon
    // one (sleeping for a minute, longer than LIMIT) is terminated, and the exit
    // code is 1.
    for method in ["spawn", "fork"] {
        let src = PARENT_RAISES.replace("sys.argv[1]", &format!("{method:?}"));
        let (out, err, status) = run(&format!("parent_raises-{method}"), &src, LIMIT);
        assert_eq!(status, 1, "{err}");
        assert!(err.ends_with("RuntimeError: parent failed\n"), "{err}");
        assert!(out.contains("child 0 done\n") && out.contains("child 1 done\n"), "{out}");
        assert_no_survivors(&out);
    }
}

#[test]
fn spawn_process_child_killed() {
    for method in ["spawn", "fork"] {
        let expected = "ProcessError Process-1 (die) ended with exit code -9 without a result\n";
        let err = check("spawn_process_killed", SPAWN_PROCESS_KILLED, method, expected, 0);
        assert_eq!(err, "");
    }
}
