//! Runs one program with a deadline and collects its output. Shared by `conc test` and
//! the `tests/golden.rs` harness (through `#[path]`), so it uses only std and libc.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub struct Output {
    pub stdout: String,
    pub stderr: String,
    /// None when the process was killed at its timeout or died by a signal.
    pub code: Option<i32>,
    pub timed_out: bool,
}

/// Runs `program args...` in `cwd` as the leader of a new process group, killing the
/// whole group once `timeout` has passed: a hanging test may have started threads'
/// subprocesses (multiprocessing) that would otherwise outlive it and hold its pipes.
/// Both pipes are drained by their own threads so that a chatty child cannot block on
/// a full pipe while we wait for it.
pub fn run_with_timeout(program: &Path, args: &[String], cwd: &Path, timeout: Duration) -> Output {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("PYTHONIOENCODING", "utf-8")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONHASHSEED", "0")
        // A deadlocked test fails at once with conc's report rather than at its
        // timeout (python3, when it makes expectations, ignores this).
        .env("CONC_DEADLOCK", std::env::var("CONC_DEADLOCK").unwrap_or_else(|_| "exit".into()))
        .env_remove("PYTHONSTARTUP");
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: setpgid is async-signal-safe, which is all pre_exec requires.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setpgid(0, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return Output {
                stdout: String::new(),
                stderr: format!("could not start {}: {e}", program.display()),
                code: None,
                timed_out: false,
            }
        }
    };
    let pgid = child.id() as libc::pid_t;
    let mut out_pipe = child.stdout.take().expect("piped stdout");
    let mut err_pipe = child.stderr.take().expect("piped stderr");
    let out_thread = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = out_pipe.read_to_end(&mut b);
        b
    });
    let err_thread = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = err_pipe.read_to_end(&mut b);
        b
    });
    let start = Instant::now();
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if start.elapsed() >= timeout => {
                timed_out = true;
                kill_group(pgid);
                break child.wait().ok();
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(_) => break None,
        }
    };
    // A finished test has no business leaving processes behind, and one that inherited
    // the pipes would keep the reader threads waiting: the group goes in every case.
    kill_group(pgid);
    let stdout = String::from_utf8_lossy(&out_thread.join().unwrap_or_default()).into_owned();
    let stderr = String::from_utf8_lossy(&err_thread.join().unwrap_or_default()).into_owned();
    let code = if timed_out { None } else { status.and_then(|s| s.code()) };
    Output { stdout, stderr, code, timed_out }
}

fn kill_group(pgid: libc::pid_t) {
    // SAFETY: killpg only sends a signal; a group that no longer exists gives ESRCH.
    unsafe {
        libc::killpg(pgid, libc::SIGKILL);
    }
}
