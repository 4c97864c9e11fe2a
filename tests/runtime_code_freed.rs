//! Code compiled at run time (`eval`, `exec`, `compile`) is freed when nothing refers
//! to it: a loop of 300,000 calls peaks within 10 MB of the same loop over 30,000.
//! Peak resident memory (VmHWM) is read by the script itself from /proc; no timing.

use std::process::Command;

/// Peak RSS in KB of a script running `body` `n` times, reported by the script.
fn peak_kb(body: &str, n: u32) -> u64 {
    let script = format!(
        "for i in range({n}):\n    {body}\n\
         for line in open('/proc/self/status'):\n    if line.startswith('VmHWM'):\n        print(line.split()[1])\n"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_conc")).args(["-c", &script]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{body}: {err}");
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap_or_else(|_| panic!("{body}: no VmHWM"))
}

fn assert_bounded(body: &str) {
    let small = peak_kb(body, 30_000);
    let big = peak_kb(body, 300_000);
    assert!(big < small + 10 * 1024, "{body}: peak {small} KB over 30,000 runs but {big} KB over 300,000");
}

#[test]
fn eval_of_an_expression() {
    assert_bounded("eval('i + 1')");
}

#[test]
fn exec_of_a_statement() {
    assert_bounded("exec('x = i * 2')");
}

#[test]
fn functions_made_by_eval() {
    assert_bounded("eval('lambda: i')()");
}

#[test]
fn code_objects_from_compile() {
    assert_bounded("exec(compile('y = i', 'f', 'exec'))");
}

#[test]
fn exec_and_eval_with_a_globals_dict() {
    assert_bounded("exec('x = i * 2', {'i': i})");
    assert_bounded("eval('i', {'i': i})");
}

#[test]
fn generators_and_tracebacks_of_evaluated_code() {
    assert_bounded("sum(eval('(k for k in range(3))'))");
    assert_bounded("try:\n        eval('1 / 0')\n    except ZeroDivisionError as e:\n        t = e");
}
