//! The REPL driven through a real pseudo-terminal, as a person would use it. The pty is
//! opened with libc (already a dependency) rather than a pty crate: `openpty`, `setsid`
//! and `TIOCSCTTY` are all that is needed, and raw control keeps the tests simple.
//!
//! Every step waits for the text it needs (never for a fixed time) with a generous
//! deadline, so a slow machine makes the tests slower, not flaky.

use std::fs;
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(30);

struct Session {
    child: Child,
    master: fs::File,
    /// Everything the REPL wrote, with escape sequences removed.
    output: Arc<(Mutex<String>, Condvar)>,
    /// How far `expect` has consumed the output.
    cursor: usize,
    home: PathBuf,
}

/// Removes ANSI escape sequences (colours, cursor moves) and turns `\r\n` and `\n\r` into `\n`, so
/// the tests read the text as it appears. A lone `\r` stays: it shows where rustyline
/// went back to the start of a line.
fn clean(raw: &str) -> String {
    let mut out = String::new();
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // Only CSI sequences (ESC [ ... final byte) are produced; anything else after
            // an ESC is dropped with it.
            if chars.next() == Some('[') {
                while let Some(&n) = chars.peek() {
                    chars.next();
                    if ('@'..='~').contains(&n) {
                        break;
                    }
                }
            }
        } else if c == '\x07' {
            // The bell rustyline rings when a completion is ambiguous.
        } else {
            out.push(c);
        }
    }
    // Rustyline starts each prompt with a carriage return even on a fresh line.
    out.replace("\r\n", "\n").replace("\n\r", "\n")
}

impl Session {
    fn start(name: &str) -> Session {
        let home = std::env::temp_dir().join(format!("conc-repl-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&home);
        fs::create_dir_all(&home).unwrap();
        Session::start_in(home)
    }

    fn start_in(home: PathBuf) -> Session {
        let (mut master, mut slave) = (0, 0);
        let size = libc::winsize { ws_row: 40, ws_col: 200, ws_xpixel: 0, ws_ypixel: 0 };
        // SAFETY: openpty fills the two descriptors; the other arguments may be null.
        let r = unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), &size) };
        assert_eq!(r, 0, "openpty failed");
        // SAFETY: both descriptors were just opened and are owned here.
        let (master, slave) = unsafe { (fs::File::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_conc"));
        cmd.env("HOME", &home)
            .env("TERM", "xterm")
            .env_remove("NO_COLOR")
            .stdin(Stdio::from(slave.try_clone().unwrap()))
            .stdout(Stdio::from(slave.try_clone().unwrap()))
            .stderr(Stdio::from(slave));
        {
            use std::os::unix::process::CommandExt;
            // SAFETY: setsid and ioctl are async-signal-safe. The child gets its own
            // session with the pty as controlling terminal, so Ctrl-C typed on the
            // pty reaches it as SIGINT.
            unsafe {
                cmd.pre_exec(|| {
                    if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        let child = cmd.spawn().expect("start conc");
        drop(cmd);
        let output = Arc::new((Mutex::new(String::new()), Condvar::new()));
        let (out, mut reader) = (output.clone(), master.try_clone().unwrap());
        std::thread::spawn(move || {
            let mut raw = Vec::new();
            let mut buf = [0u8; 4096];
            // The read fails with EIO once the child has closed the terminal.
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                raw.extend_from_slice(&buf[..n]);
                let (text, ready) = &*out;
                *text.lock().unwrap() = clean(&String::from_utf8_lossy(&raw));
                ready.notify_all();
            }
        });
        let mut s = Session { child, master, output, cursor: 0, home };
        s.expect(">>> ");
        s
    }

    fn send(&mut self, keys: &str) {
        self.master.write_all(keys.as_bytes()).unwrap();
        self.master.flush().unwrap();
    }

    /// Waits until `text` appears after what earlier calls consumed, and consumes up to
    /// its end.
    fn expect(&mut self, text: &str) {
        let (out, ready) = &*self.output;
        let deadline = Instant::now() + DEADLINE;
        let mut guard = out.lock().unwrap();
        loop {
            if let Some(i) = guard.get(self.cursor..).and_then(|rest| rest.find(text)) {
                self.cursor += i + text.len();
                return;
            }
            let now = Instant::now();
            assert!(now < deadline, "expected {text:?} after:\n{}", guard.get(self.cursor..).unwrap_or(""));
            guard = ready.wait_timeout(guard, deadline - now).unwrap().0;
        }
    }

    /// Sends a line and waits for the next primary prompt.
    fn line(&mut self, text: &str) {
        self.send(&format!("{text}\r"));
        self.expect("\n>>> ");
    }

    fn exit(mut self) -> i32 {
        self.send("\x04");
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let _ = fs::remove_dir_all(&self.home);
                return status.code().unwrap_or(-1);
            }
            assert!(Instant::now() < deadline, "the REPL did not leave on Ctrl-D");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn multi_line_function() {
    let mut s = Session::start("function");
    s.send("def f(x):\r");
    s.expect("\n... ");
    s.send("    return x * 2\r");
    s.expect("\n... ");
    s.send("\r");
    s.expect("\n>>> ");
    s.send("f(21)\r");
    s.expect("\n42\n>>> ");
    // None is not echoed; `_` keeps the last value.
    s.send("None\r");
    s.expect("\n>>> ");
    s.send("_ + 1\r");
    s.expect("\n43\n>>> ");
    assert_eq!(s.exit(), 0);
}

#[test]
fn error_then_working_line() {
    let mut s = Session::start("error");
    s.send("1/0\r");
    s.expect("ZeroDivisionError: division by zero\n");
    s.expect(">>> ");
    s.send("x = = 1\r");
    s.expect("SyntaxError");
    s.expect(">>> ");
    s.send("40 + 2\r");
    s.expect("\n42\n>>> ");
    s.send("exit(3)\r");
    let deadline = Instant::now() + DEADLINE;
    while s.child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "exit() did not leave");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(s.child.wait().unwrap().code(), Some(3));
}

#[test]
fn history_recalled_with_up() {
    let mut s = Session::start("history");
    s.line("x = 41");
    s.send("x + 1\r");
    s.expect("\n42\n>>> ");
    s.line("x = 99");
    // Up twice recalls `x + 1`.
    s.send("\x1b[A\x1b[A\r");
    s.expect("\n100\n>>> ");
    let home = s.home.clone();
    s.send("\x04");
    while s.child.try_wait().unwrap().is_none() {
        std::thread::sleep(Duration::from_millis(20));
    }
    let saved = fs::read_to_string(home.join(".conc_history")).unwrap();
    assert!(saved.contains("x + 1"), "{saved}");
    // A new session starts with the saved history.
    let mut s = Session::start_in(home);
    s.line("x = 1");
    s.send("\x1b[A\x1b[A\r");
    s.expect("\n2\n>>> ");
    assert_eq!(s.exit(), 0);
}

#[test]
fn tab_completes_module_attribute() {
    let mut s = Session::start("complete");
    s.line("import math");
    s.send("math.sq\t");
    s.expect("math.sqrt");
    s.send("(16)\r");
    s.expect("\n4.0\n>>> ");
    assert_eq!(s.exit(), 0);
}

#[test]
fn ctrl_c_interrupts_running_code() {
    let mut s = Session::start("interrupt");
    s.line("import time");
    let start = Instant::now();
    // The marker says the sleep has begun, so the Ctrl-C cannot arrive before it.
    s.send("print('sleeping'); time.sleep(10)\r");
    s.expect("\nsleeping\n");
    s.send("\x03");
    s.expect("KeyboardInterrupt\n>>> ");
    assert!(start.elapsed() < Duration::from_secs(9), "the sleep was not interrupted");
    // Ctrl-C at the prompt cancels the line being typed.
    s.send("1 +");
    s.expect("1 +");
    s.send("\x03");
    s.expect("KeyboardInterrupt\n>>> ");
    s.send("2 + 3\r");
    s.expect("\n5\n>>> ");
    assert_eq!(s.exit(), 0);
}

#[test]
fn thread_prints_while_prompt_waits() {
    let mut s = Session::start("thread");
    s.line("import threading, time");
    // Each line waits for its prompt: rustyline asks the terminal where the cursor is
    // when a prompt starts, and keys typed ahead during that exchange may be lost.
    for line in ["def w():", "    time.sleep(1)", "    print('from thread')"] {
        s.send(&format!("{line}\r"));
        s.expect("\n... ");
    }
    s.send("\r");
    s.expect("\n>>> ");
    s.line("threading.Thread(target=w).start()");
    // A half-typed line is on screen when the thread prints: the text goes above it
    // on its own line and the line is drawn again below.
    s.send("6 * 7");
    s.expect("\rfrom thread\n");
    s.expect(">>> 6 * 7");
    s.send("\r");
    s.expect("\n42\n>>> ");
    assert_eq!(s.exit(), 0);
}

#[test]
fn child_process_prints_while_prompt_waits() {
    let mut s = Session::start("process");
    s.line("import multiprocessing");
    // The child runs a builtin (functions typed at the prompt cannot be imported by a
    // spawned child, as in CPython); its line is relayed through the parent's printer.
    s.line("p = multiprocessing.Process(target=print, args=('from child',))");
    s.line("p.start()");
    s.send("6 * 7");
    s.expect("\rfrom child\n");
    s.expect(">>> 6 * 7");
    s.send("\r");
    s.expect("\n42\n>>> ");
    s.line("p.join()");
    s.send("p.exitcode\r");
    s.expect("\n0\n>>> ");
    assert_eq!(s.exit(), 0);
}

#[test]
fn ctrl_d_on_continuation_line_ends_the_block() {
    let mut s = Session::start("eof_block");
    s.send("def f():\r");
    s.expect("\n... ");
    s.send("    return 5\r");
    s.expect("\n... ");
    // As in CPython: Ctrl-D here runs the block instead of leaving the REPL.
    s.send("\x04");
    s.expect("\n>>> ");
    s.send("f()\r");
    s.expect("\n5\n>>> ");
    // An unfinished bracket is a syntax error at Ctrl-D; the session goes on.
    s.send("(1,\r");
    s.expect("\n... ");
    s.send("\x04");
    s.expect("SyntaxError");
    s.expect(">>> ");
    s.send("2 + 3\r");
    s.expect("\n5\n>>> ");
    assert_eq!(s.exit(), 0);
}

/// Lines typed ahead (or pasted without bracketed paste) all run, in order: the line
/// editor keeps the bytes it read past the first line for the next prompt (rustyline's
/// `buffer-redux` feature; without it every line after the first was dropped).
#[test]
fn typed_ahead_lines_all_run() {
    let mut s = Session::start("type_ahead");
    s.send("print('one')\rprint('two')\rfor i in range(2):\r    print('loop', i)\r\rx = 5\rprint(x * 2)\r");
    s.expect("\none\n");
    s.expect("\ntwo\n");
    s.expect("loop 0\nloop 1\n");
    s.expect("\n10\n");
    s.expect(">>> ");
    assert_eq!(s.exit(), 0);
}

/// A function defined at the prompt is the target of a spawned `Process` and of a
/// `Pool` (the child runs the prompt's definitions, `interactive_main.rs`).
#[test]
fn process_target_defined_at_prompt() {
    let mut s = Session::start("mp_target");
    s.line("import multiprocessing as mp");
    s.send("def f(x):\r");
    s.expect("\n... ");
    s.send("    print('child', x)\r");
    s.expect("\n... ");
    s.send("\r");
    s.expect("\n>>> ");
    s.line("p = mp.Process(target=f, args=(5,))");
    s.send("p.start(); p.join()\r");
    s.expect("child 5\n");
    s.expect(">>> ");
    s.send("p.exitcode\r");
    s.expect("\n0\n>>> ");
    s.send("with mp.Pool(2) as pool: pool.map(abs, [-1, -2])\r");
    s.expect("\n... ");
    s.send("\r");
    s.expect("[1, 2]\n>>> ");
    assert_eq!(s.exit(), 0);
}

/// A recalled block shows its `...` continuation prompts, and runs again when accepted
/// (the prompts are not part of the code).
#[test]
fn recalled_block_shows_continuation_prompts() {
    let mut s = Session::start("recall_block");
    s.send("for i in range(2):\r");
    s.expect("\n... ");
    s.send("    print('at', i)\r");
    s.expect("\n... ");
    s.send("\r");
    s.expect("at 1\n>>> ");
    s.send("\x1b[A");
    s.expect("\n...     print('at', i)");
    s.send("\r\r");
    s.expect("at 0\nat 1\n>>> ");
    assert_eq!(s.exit(), 0);
}
