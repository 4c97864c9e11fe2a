//! The fork start method with other threads running, which golden tests cannot cover
//! (python3 3.11 does not warn; CPython 3.12 does): the warning on stderr, a child that
//! sees one thread and does not wait for the parent's threads, and no output printed
//! twice although another thread prints while the parent forks.

mod mp_support;

use mp_support::run;
use std::time::Duration;

const WITH_THREADS: &str = r#"
import multiprocessing as mp
import os
import threading
import time

stop = threading.Event()

def chatter():
    i = 0
    while not stop.is_set():
        print("chatter", i)
        i += 1

def work(n):
    t = threading.Thread(target=print, args=("own thread", n))
    t.start()
    t.join()
    print("child", n, threading.active_count(), threading.main_thread() is threading.current_thread(), flush=True)

if __name__ == "__main__":
    threads = [threading.Thread(target=chatter), threading.Thread(target=time.sleep, args=(60,))]
    for t in threads:
        t.start()
    ctx = mp.get_context("fork")
    ps = [ctx.Process(target=work, args=(i,)) for i in range(8)]
    for p in ps:
        p.start()
    for p in ps:
        p.join()
    stop.set()
    threads[0].join()
    print("codes", [p.exitcode for p in ps], "pid", os.getpid())
    os._exit(0)
"#;

#[test]
fn fork_with_threads_running() {
    let (out, err, code) = run("threads", WITH_THREADS, Duration::from_secs(30));
    assert_eq!(code, 0, "stderr: {err}");
    let pid = out.lines().last().unwrap().rsplit(' ').next().unwrap().to_string();
    assert!(out.contains("codes [0, 0, 0, 0, 0, 0, 0, 0]"), "{out}");
    // Each child saw only itself (and the thread it started, already joined), and
    // did not wait for the parent's sleeping thread (the test would time out).
    for n in 0..8 {
        assert_eq!(out.matches(&format!("child {n} 1 True\n")).count(), 1, "{out}");
        assert_eq!(out.matches(&format!("own thread {n}\n")).count(), 1, "{out}");
    }
    // Text another thread printed before a fork is not printed again by the child.
    let mut chatter: Vec<&str> = out.lines().filter(|l| l.starts_with("chatter")).collect();
    let n = chatter.len();
    chatter.sort();
    chatter.dedup();
    assert_eq!(chatter.len(), n, "a line was printed twice");
    let warning = format!(
        "DeprecationWarning: This process (pid={pid}) is multi-threaded, use of fork() may lead to deadlocks in the child.\n"
    );
    assert_eq!(err, warning.repeat(8));
}

#[test]
fn fork_without_threads_does_not_warn() {
    let src = r#"
import multiprocessing as mp
def f():
    print("child")
if __name__ == "__main__":
    p = mp.get_context("fork").Process(target=f)
    p.start()
    p.join()
    print(p.exitcode)
"#;
    let (out, err, code) = run("quiet", src, Duration::from_secs(20));
    assert_eq!((out.as_str(), err.as_str(), code), ("child\n0\n", "", 0));
}

const MANAGER_AND_THREAD: &str = r#"
import multiprocessing as mp
import threading

def work(d, l, n):
    d[n] = n * n
    l.append(n)
    print("child", n, mp.current_process().name, threading.current_thread().name, threading.active_count(), flush=True)

def starter(ctx, d, l, out):
    p = ctx.Process(target=work, args=(d, l, 99))
    p.start(); p.join()
    out.append(p.exitcode)

if __name__ == "__main__":
    ctx = mp.get_context("fork")
    with mp.Manager() as m:
        d, l = m.dict(), m.list()
        d['x'] = 1  # the parent uses its connection before forking
        ps = [ctx.Process(target=work, args=(d, l, i)) for i in range(3)]
        for p in ps: p.start()
        for p in ps: p.join()
        out = []
        t = threading.Thread(target=starter, args=(ctx, d, l, out), name="Starter")
        t.start(); t.join()
        print(sorted(d.items(), key=str), sorted(l), [p.exitcode for p in ps], out)
"#;

#[test]
fn fork_with_a_manager_and_from_a_thread() {
    // Forked children use the parent's manager through their own connections (the
    // inherited ones are the parent's); a child forked from a thread sees that
    // thread as its only one. Names count the manager as CPython does (its manager
    // is a process). The manager's threads make the fork warn (CPython's does not:
    // its manager runs in a process of its own).
    let (out, err, code) = run("manager", MANAGER_AND_THREAD, Duration::from_secs(30));
    assert_eq!(code, 0, "{err}");
    let mut lines: Vec<&str> = out.lines().collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            "[('x', 1), (0, 0), (1, 1), (2, 4), (99, 9801)] [0, 1, 2, 99] [0, 0, 0] [0]",
            "child 0 ForkProcess-2 MainThread 1",
            "child 1 ForkProcess-3 MainThread 1",
            "child 2 ForkProcess-4 MainThread 1",
            "child 99 ForkProcess-5 Starter 1",
        ]
    );
    assert!(err.lines().all(|l| l.starts_with("DeprecationWarning: This process (pid=")), "{err}");
}
