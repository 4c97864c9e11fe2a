//! Crash tests of the process pools: a worker killed with SIGKILL in the middle of a
//! task (its caller gets an error, the pool goes on or breaks as specified, nothing is
//! left running), and a parent killed with SIGKILL (its workers exit on their own).
//!
//! Every wait is bounded so that a hang fails the test instead of blocking the suite;
//! no assertion depends on how long anything took.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const LIMIT: Duration = Duration::from_secs(60);

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pool_faults").join(name).to_string_lossy().into_owned()
}

fn start(script: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_conc"))
        .arg(fixture(script))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Kills the child if it outlives `LIMIT` (a hang), so reading its output ends.
fn watchdog(pid: u32) {
    std::thread::spawn(move || {
        std::thread::sleep(LIMIT);
        // SAFETY: kill(2) with plain integers; the pid may be gone already.
        unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    });
}

/// A process has ended when /proc has no entry for it or it is a zombie (waiting to
/// be reaped by init after its parent died).
fn gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z')),
    }
}

fn assert_all_gone(pids: &[u32]) {
    let deadline = Instant::now() + LIMIT;
    for &pid in pids {
        while !gone(pid) {
            assert!(Instant::now() < deadline, "worker {pid} is still running");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn pids_of(line: &str) -> Vec<u32> {
    line.split_whitespace().skip(1).map(|p| p.parse().unwrap()).collect()
}

#[test]
fn worker_killed_mid_task() {
    let child = start("killed_worker.conc");
    watchdog(child.id());
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "status {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}", out.status);
    let lines: Vec<&str> = stdout.lines().collect();
    let expected_shape = [
        "PIDS",
        "pool: WorkerLostError True",
        "pool: WorkerLostError True",
        "pool after: [0, 1, 4, 9, 16, 25]",
        "PIDS",
        "PIDS",
        "executor: BrokenProcessPool",
        "executor: BrokenProcessPool",
        "DONE",
    ];
    assert_eq!(lines.len(), expected_shape.len(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    for (line, want) in lines.iter().zip(expected_shape) {
        assert!(line.starts_with(want), "{line:?} should start with {want:?}\nstdout:\n{stdout}");
    }
    // The pool replaced both dead workers: two new pids.
    let (before, after) = (pids_of(lines[0]), pids_of(lines[4]));
    assert_eq!((before.len(), after.len()), (2, 2), "{stdout}");
    assert!(before.iter().all(|p| !after.contains(p)), "{stdout}");
    let mut all = before;
    all.extend(after);
    all.extend(pids_of(lines[5]));
    assert_all_gone(&all);
}

#[test]
fn workers_exit_when_parent_is_killed() {
    let mut child = start("killed_parent.conc");
    watchdog(child.id());
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut pids = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap() == 0 {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!("no READY line; stderr:\n{}", String::from_utf8_lossy(&out.stderr));
        }
        if line.starts_with("PIDS") {
            pids = pids_of(&line);
        }
        if line.starts_with("READY") {
            break;
        }
    }
    // Killed before any assertion, so a failure leaves no parent behind.
    child.kill().unwrap();
    child.wait().unwrap();
    // Two Pool workers, and the executor's (started on demand: one or two).
    assert!(pids.len() >= 3, "{pids:?}");
    assert_all_gone(&pids);
}
