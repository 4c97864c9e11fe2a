//! Wrong calls of conc's private native modules (`_conc`, `_urllib`, `_multiprocessing`), which python3
//! does not have, so no golden test can record them: their errors follow CPython's
//! wording for the declared signatures (METH_O, METH_NOARGS, positional-only).

use std::process::Command;

fn run(src: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_conc")).arg("-c").arg(src).output().unwrap();
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

const CHECK: &str = "import _conc, _urllib, _multiprocessing as mp, math
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

#[test]
fn multiprocessing_natives_check_their_arguments() {
    check(&[
        ("mp.pipe()", "TypeError: _multiprocessing.pipe() takes exactly one argument (0 given)"),
        ("mp.loads('x')", "TypeError: a bytes-like object is required"),
        ("mp.wait_pid('x')", "TypeError: 'str' object cannot be interpreted as an integer"),
        ("mp.kill(1, 2, 3)", "TypeError: kill expected at most 2 arguments, got 3"),
        ("mp.cpu_count(1)", "TypeError: _multiprocessing.cpu_count() takes no arguments (1 given)"),
        ("mp.listen(3)", "TypeError: listen() argument 1 must be str, not int"),
        ("mp.Handle()", "TypeError: cannot create '_multiprocessing.Handle' instances"),
        (
            "mp.Handle.fileno(1)",
            "TypeError: descriptor 'fileno' for '_multiprocessing.Handle' objects doesn't apply to a 'int' object",
        ),
        ("mp.pipe(False)[0].poll(1, 2)", "TypeError: poll expected at most 1 argument, got 2"),
        ("mp.pipe(False)[0].recv_bytes(timeout=1)", "TypeError: Handle.recv_bytes() takes no keyword arguments"),
        ("(lambda ends: ends[0].poll())(mp.pipe(True))", "False"),
        ("mp.pipe(True)[0].poll()", "True"),
        ("mp.SemLock(1, 1)", "TypeError: SemLock expected 3 arguments, got 2"),
        ("mp.SemLock(1, -1, 1)", "ValueError: invalid value"),
        ("mp.SemLock(1, 1, 1).acquire(timeout='x')", "TypeError: 'str' object cannot be interpreted as an integer"),
        (
            "mp.SemLock(1, 1, 1).acquire(blocking=False)",
            "TypeError: 'blocking' is an invalid keyword argument for acquire()",
        ),
        ("mp.SemLock(1, 0, 1).acquire(block=False)", "False"),
        (
            "mp.SharedArray('z', 1)",
            "ValueError: bad typecode (must be b, B, u, h, H, i, I, l, L, q, Q, f or d), got \"z\"",
        ),
        ("mp.SharedArray('i', -1)", "ValueError: negative array length"),
        ("mp.SharedArray('i', 2).get(5)", "IndexError: invalid index"),
        ("mp.SharedArray('i', 2).set(0, 'x')", "TypeError: int expected instead of str instance"),
        ("len(mp.SharedArray('d', 3))", "3"),
    ]);
}
