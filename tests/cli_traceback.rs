//! Whole tracebacks (the golden tests compare only their last line): the entries, the
//! source lines, chained exceptions and the collapsing of deep recursion, each as
//! CPython 3.11 prints it for the same program (caret lines aside, which conc does not
//! print).

use std::process::Command;

fn stderr_of(code: &str) -> (String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_conc")).arg("-c").arg(code).output().unwrap();
    (String::from_utf8(out.stderr).unwrap(), out.status.code().unwrap_or(-1))
}

#[test]
fn deep_recursion_is_collapsed() {
    let (err, code) = stderr_of("def f(): f()\nf()\n");
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "Traceback (most recent call last):\n  File \"<string>\", line 2, in <module>\n  File \"<string>\", line 1, in f\n  File \"<string>\", line 1, in f\n  File \"<string>\", line 1, in f\n  [Previous line repeated 996 more times]\nRecursionError: maximum recursion depth exceeded\n"
    );
}

#[test]
fn mutual_recursion_and_short_repeats() {
    // Three identical entries are printed in full; a fourth is counted.
    let (err, _) = stderr_of("def f(n):\n    if n: return f(n-1)\n    1/0\nf(3)\n");
    assert_eq!(
        err,
        "Traceback (most recent call last):\n  File \"<string>\", line 4, in <module>\n  File \"<string>\", line 2, in f\n  File \"<string>\", line 2, in f\n  File \"<string>\", line 2, in f\n  File \"<string>\", line 3, in f\nZeroDivisionError: division by zero\n"
    );
    let (err, _) = stderr_of("def f(n):\n    if n: return f(n-1)\n    1/0\nf(5)\n");
    assert!(err.contains("  [Previous line repeated 2 more times]\n  File \"<string>\", line 3, in f\n"), "{err}");
    let (err, _) = stderr_of("def f(n):\n    if n: return f(n-1)\n    1/0\nf(4)\n");
    assert!(err.contains("  [Previous line repeated 1 more time]\n"), "{err}");
}

#[test]
fn chained_exceptions_from_a_file_show_source_lines() {
    let dir = std::env::temp_dir().join(format!("conc-tb-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("chain.conc");
    std::fs::write(&file, "try:\n    1/0\nexcept ZeroDivisionError as e:\n    raise KeyError('k') from e\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_conc")).arg(&file).output().unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    let f = file.display();
    assert_eq!(
        err,
        format!(
            "Traceback (most recent call last):\n  File \"{f}\", line 2, in <module>\n    1/0\n    ~^~\nZeroDivisionError: division by zero\n\nThe above exception was the direct cause of the following exception:\n\nTraceback (most recent call last):\n  File \"{f}\", line 4, in <module>\n    raise KeyError('k') from e\nKeyError: 'k'\n"
        )
    );
    let _ = std::fs::remove_dir_all(&dir);
}
