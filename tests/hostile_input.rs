//! Hostile programs that once crashed the interpreter: each must end with a Python
//! exception or a diagnostic (exit status 1), never a panic.

use std::process::{Command, Output};

fn conc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_conc")).args(args).output().unwrap()
}

fn temp_script(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("conc-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Asserts a clean failure: status 1, the message as the last line, no panic.
fn assert_fails_with(out: &Output, last_line: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "panic: {}", &err[..err.len().min(2000)]);
    assert_eq!(out.status.code(), Some(1), "stderr: {}", &err[..err.len().min(2000)]);
    assert_eq!(err.trim_end().lines().last(), Some(last_line));
}

/// Regression: a syntax error on (or next to) a line of 65,535 or more characters
/// panicked in miette ("Formatting argument out of range").
#[test]
fn syntax_error_on_a_very_long_line() {
    let cases = [
        ("long_string.py", format!("x = \"{}\" )\n", "a".repeat(70000)), "SyntaxError: unmatched ')'"),
        (
            "long_list.py",
            format!("x = [{}1 )\n", "1, ".repeat(30000)),
            "SyntaxError: closing parenthesis ')' does not match opening parenthesis '['",
        ),
        ("long_context.py", format!("y = 1\nx = \"{}\"\nz = 2 +\n", "é".repeat(70000)), "SyntaxError: invalid syntax"),
    ];
    for (name, text, message) in cases {
        let path = temp_script(name, &text);
        let path = path.to_str().unwrap();
        assert_fails_with(&conc(&[path]), message);
        assert_fails_with(&conc(&["check", path]), message);
    }
}

/// Regression: `conc check` overflowed its stack at about 8,300 elifs.
#[test]
fn check_of_a_long_elif_chain() {
    let mut src = String::from("x = 5\nif x == 0:\n    pass\n");
    for i in 1..20000 {
        src.push_str(&format!("elif x == {i}:\n    pass\n"));
    }
    let path = temp_script("elif_chain.py", &src);
    let path = path.to_str().unwrap();
    let message = "RecursionError: maximum recursion depth exceeded during compilation";
    assert_fails_with(&conc(&["check", path]), message);
    assert_fails_with(&conc(&[path]), message);
}

/// Regression: a panic in a thread killed the OS thread and left its Thread object
/// alive for ever (`join()` never returned), also under `spawn` and executors. A
/// panic in a native call is now CPython's SystemError raised at that call, in the
/// main thread as in any other (`_conc._panic` stands in for an interpreter bug).
#[test]
fn a_panic_becomes_an_exception_in_its_thread() {
    let src = r#"
import _conc, threading
try:
    _conc._panic("boom")
except SystemError as e:
    print("main:", "interpreter bug" in str(e), "boom" in str(e))
def work():
    _conc._panic("in thread")
t = threading.Thread(target=work)
t.start()
t.join(10)
print("thread alive:", t.is_alive())
from concurrent.futures import ThreadPoolExecutor
with ThreadPoolExecutor(2) as ex:
    try:
        ex.submit(_conc._panic, "in executor").result(10)
    except SystemError:
        print("executor: SystemError")
h = spawn(_conc._panic, "in spawn")
try:
    h.join(10)
except SystemError:
    print("spawn: SystemError")
_conc._panic("uncaught")
"#;
    let path = temp_script("panics.py", src);
    let out = conc(&[path.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout,
        "main: True True\nthread alive: False\nexecutor: SystemError\nspawn: SystemError\n",
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Exception in thread Thread-1 (work):"), "{err}");
    assert!(err.contains("line 24, in <module>"), "the uncaught panic names the script line: {err}");
    assert!(!err.contains("thread 'main' panicked"), "{err}");
    assert_eq!(out.status.code(), Some(1), "{err}");
    let last = err.trim_end().lines().last().unwrap_or_default();
    assert!(last.starts_with("SystemError: interpreter bug: panicked at stdlib/src/conc_helpers.rs:"), "{last}");
    assert!(last.ends_with(": uncaught (please report it)"), "{last}");
}

/// Runs `conc -c src` with stdout going to `stdout` and stdin from `input`,
/// without PYTHONUNBUFFERED (the expectations are CPython's block-buffered ones).
fn conc_io(src: &str, stdout: std::process::Stdio, input: &[u8]) -> (Option<i32>, String) {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_conc"))
        .args(["-c", src])
        .env_remove("PYTHONUNBUFFERED")
        .stdin(std::process::Stdio::piped())
        .stdout(stdout)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let _ = stdin.write_all(input);
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn dev_full() -> std::process::Stdio {
    std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap().into()
}

/// Regression: output that could not be written (a full disk, a closed pipe) was
/// lost silently with exit status 0. Each expectation is what python3 prints.
#[test]
fn write_errors_on_stdout_are_reported() {
    let ignored = "Exception ignored in: <_io.TextIOWrapper name='<stdout>' mode='w' encoding='utf-8'>\n";
    // Text still buffered at exit: reported as ignored, exit status 120.
    let (code, err) = conc_io("print('x' * 10)", dev_full(), b"");
    assert_eq!((code, err.as_str()), (Some(120), &*format!("{ignored}OSError: [Errno 28] No space left on device\n")));
    // A failed flush keeps the text, so the flush at exit fails again.
    let src = "import sys\ntry:\n    print(1); sys.stdout.flush()\nexcept OSError as e:\n    print('caught', e, file=sys.stderr)";
    let (code, err) = conc_io(src, dev_full(), b"");
    assert_eq!(code, Some(120));
    assert!(err.starts_with("caught [Errno 28] No space left on device\nException ignored in: <_io."), "{err}");
    // A write that overflows the buffer raises at that write and drops the text.
    let src = "import sys\nsys.stdout.write('a' * 8000)\ntry:\n    sys.stdout.write('b' * 300)\nexcept OSError as e:\n    print('caught', e, file=sys.stderr)";
    assert_eq!(conc_io(src, dev_full(), b""), (Some(0), "caught [Errno 28] No space left on device\n".into()));
    // Closed pipe: the reader is gone before the script writes.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let (code, err) = conc_io("print(1)", writer.into(), b"");
    assert_eq!((code, err.as_str()), (Some(120), &*format!("{ignored}BrokenPipeError: [Errno 32] Broken pipe\n")));
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let (code, err) = conc_io("import sys\nsys.stdout.write('x\\n' * 100000)", writer.into(), b"");
    assert_eq!(code, Some(1));
    assert!(err.ends_with("\nBrokenPipeError: [Errno 32] Broken pipe\n"), "{err}");
    // Closed by the script: nothing left to flush at exit.
    let (code, err) = conc_io("import sys\nprint(1)\nsys.stdout.close()\nprint(2)", dev_full(), b"");
    assert_eq!(code, Some(1));
    assert!(err.ends_with("\nOSError: [Errno 28] No space left on device\n"), "{err}");
}

/// Regression: `sys.stdin.read()`, `readlines`, iteration and `sys.stdin.buffer`
/// were missing.
#[test]
fn reading_stdin() {
    let src = "import sys\nprint(repr(sys.stdin.readline()), repr(sys.stdin.read(3)), sys.stdin.readlines(1), file=sys.stderr)\nprint(list(sys.stdin), repr(sys.stdin.read()), file=sys.stderr)";
    let (code, err) = conc_io(src, std::process::Stdio::null(), "héllo\nwörld\nthree\nfour\n".as_bytes());
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(err, "'héllo\\n' 'wör' ['ld\\n']\n['three\\n', 'four\\n'] ''\n");
    let src = "import sys\nb = sys.stdin.buffer\nprint(b.readline(), b.read(2), b.read(), b.read(), file=sys.stderr)";
    let (code, err) = conc_io(src, std::process::Stdio::null(), b"ab\ncdef");
    assert_eq!((code, err.as_str()), (Some(0), "b'ab\\n' b'cd' b'ef' b''\n"));
}

/// Regression: `a.__class__ = B` was silently ignored. conc cannot change an
/// instance's class, so it says so (CPython's own refusals are golden-tested in
/// classes/class_assignment).
#[test]
fn class_assignment_is_refused_not_ignored() {
    let src = "class A: pass\nclass B: pass\na = A()\na.__class__ = B";
    let out = conc(&["-c", src]);
    assert_fails_with(&out, "NotImplementedError: conc cannot change the class of an instance ('A' object to 'B')");
}
