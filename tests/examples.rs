//! The example gallery (`examples/`) is part of the test suite: every example runs
//! through `conc test` and must print its expected output (`NAME.out`, made by python3
//! for the examples that are plain Python, and by conc and reviewed for the ones using
//! conc's own builtins `spawn` and `spawn_process`).

use std::path::Path;
use std::process::Command;

#[test]
fn examples_run_and_print_what_they_should() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let out = Command::new(env!("CARGO_BIN_EXE_conc")).arg("test").arg(&dir).output().expect("run conc test");
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprint!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let summary = stdout.lines().last().unwrap_or_default();
    assert!(summary.ends_with(" passed, 0 failed"), "examples failed or went untested: {summary}");
    let count = std::fs::read_dir(&dir)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension() == Some("conc".as_ref()))
        .count();
    assert!(summary.starts_with(&format!("{count} passed")), "every example has an expectation: {summary}");
    assert_eq!(out.status.code(), Some(0));
}
