//! Wrong calls of conc's private native modules (`_conc`, `_urllib`), which python3
//! does not have, so no golden test can record them: their errors follow CPython's
//! wording for the declared signatures (METH_O, METH_NOARGS, positional-only).

use std::process::Command;

fn run(src: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_conc")).arg("-c").arg(src).output().unwrap();
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

const CHECK: &str = "import _conc, _urllib, math
def check(src):
    try:
        print(repr(eval(src)))
    except Exception as e:
        print(type(e).__name__ + ':', e)
";

fn check(calls: &[(&str, &str)]) {
    let mut src = CHECK.to_string();
    for (call, _) in calls {
        src.push_str(&format!("check({call:?})\n"));
    }
    let out = run(&src);
    let got: Vec<&str> = out.lines().collect();
    let want: Vec<&str> = calls.iter().map(|(_, w)| *w).collect();
    assert_eq!(got, want);
}

#[test]
fn conc_helpers_check_their_arguments() {
    check(&[
        ("_conc.format_exception()", "TypeError: _conc.format_exception() takes exactly one argument (0 given)"),
        ("_conc.format_exception(exc=1)", "TypeError: _conc.format_exception() takes no keyword arguments"),
        (
            "_conc.set_current_thread(1, 2)",
            "TypeError: _conc.set_current_thread() takes exactly one argument (2 given)",
        ),
        ("_conc.get_current_thread(1)", "TypeError: _conc.get_current_thread() takes no arguments (1 given)"),
        ("_conc.loaded_module(1)", "TypeError: loaded_module() argument 1 must be str, not int"),
        ("_conc.loaded_module('math').__name__", "'math'"),
        ("_conc.loaded_module('not_imported_anywhere')", "None"),
        ("_conc.outer_module_name(1)", "TypeError: _conc.outer_module_name() takes no arguments (1 given)"),
    ]);
}

#[test]
fn urllib_transport_checks_its_arguments() {
    check(&[
        ("_urllib.open('a')", "TypeError: open expected 5 arguments, got 1"),
        ("_urllib.open(1, 'GET', None, (), None)", "TypeError: open() argument 1 must be str, not int"),
        ("_urllib.read()", "TypeError: read expected at least 1 argument, got 0"),
        ("_urllib.read('a')", "TypeError: 'str' object cannot be interpreted as an integer"),
        ("_urllib.read(10**6, None)", "b''"),
        ("_urllib.close(1, 2)", "TypeError: _urllib.close() takes exactly one argument (2 given)"),
        ("_urllib.close(10**6)", "None"),
    ]);
}
