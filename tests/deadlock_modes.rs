//! Deadlock reports: `--deadlock=hang` and `CONC_DEADLOCK=hang` keep python3's
//! behaviour (the program hangs), `--deadlock=report` overrides the variable, a bad
//! value is a usage error, and the report comes within a second of the last thread
//! blocking. The report's text itself is checked by `tests/golden/deadlock/`.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SELF_LOCK: &str = "import threading, sys, time\n\
lock = threading.Lock()\n\
lock.acquire()\n\
sys.stderr.write(f'{time.time()}\\n')\n\
sys.stderr.flush()\n\
lock.acquire()\n";

fn script() -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!("conc-deadlock-modes-{}.conc", std::process::id()));
    std::fs::write(&p, SELF_LOCK).unwrap();
    p
}

/// Runs conc on the script; returns (exit code or None if still running after
/// `patience`, stderr).
fn run(args: &[&str], env: &[(&str, &str)], patience: Duration) -> (Option<i32>, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_conc"));
    c.args(args).arg(script()).stdout(Stdio::null()).stderr(Stdio::piped()).env_remove("CONC_DEADLOCK");
    c.envs(env.iter().copied());
    let mut child = c.spawn().unwrap();
    let end = Instant::now() + patience;
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if Instant::now() >= end {
            child.kill().unwrap();
            child.wait().unwrap();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    (code, err)
}

#[test]
fn report_is_the_default_and_comes_within_a_second() {
    let (code, err) = run(&[], &[], Duration::from_secs(10));
    assert_eq!(code, Some(1), "{err}");
    let mut lines = err.lines();
    let blocked: f64 = lines.next().unwrap().parse().unwrap();
    assert!(lines.next().unwrap().contains("deadlock"), "{err}");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
    // The process has ended by now, so the report came at most this long after the
    // last block.
    assert!(now - blocked < 1.0, "report {} s after the last block", now - blocked);
    assert!(err.contains("Thread MainThread waits to acquire lock lock"), "{err}");
}

#[test]
fn hang_keeps_python_behaviour() {
    let (code, err) = run(&["--deadlock=hang"], &[], Duration::from_millis(1500));
    assert_eq!(code, None, "{err}");
    assert!(!err.contains("deadlock"), "{err}");
    let (code, err) = run(&[], &[("CONC_DEADLOCK", "hang")], Duration::from_millis(1500));
    assert_eq!(code, None, "{err}");
    assert!(!err.contains("deadlock"), "{err}");
}

#[test]
fn report_option_overrides_the_variable() {
    let (code, err) = run(&["--deadlock=report"], &[("CONC_DEADLOCK", "hang")], Duration::from_secs(10));
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("conc: deadlock"), "{err}");
}

#[test]
fn bad_mode_is_a_usage_error() {
    let (code, err) = run(&["--deadlock=maybe"], &[], Duration::from_secs(10));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.starts_with("--deadlock must be 'report' or 'hang'\nusage: conc"), "{err}");
}
