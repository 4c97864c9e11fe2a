//! Shared by the multiprocessing integration tests: runs a script with a time limit.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `source` as a script; kills it and fails after `limit` (never hangs).
pub fn run(name: &str, source: &str, limit: Duration) -> (String, String, i32) {
    let dir = std::env::temp_dir().join(format!("conc-mp-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.conc"));
    std::fs::write(&path, source).unwrap();
    // In a process group of its own, so that a hang kills the script's children too.
    let mut child = Command::new(env!("CARGO_BIN_EXE_conc"))
        .arg(&path)
        .process_group(0)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        out.read_to_string(&mut s).unwrap();
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        err.read_to_string(&mut s).unwrap();
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > limit {
            // SAFETY: kill takes only integers and touches no memory of ours; the child
            // was started in a process group of its own (`process_group(0)`), so the
            // negative id names that group only.
            unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
            let _ = child.wait();
            panic!("{name} did not end within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let _ = std::fs::remove_dir_all(&dir);
    (reader.join().unwrap(), err_reader.join().unwrap(), status.code().unwrap_or(-1))
}
