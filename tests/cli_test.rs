//! `conc test` on the fixture suite in `tests/fixtures/conc_test/`: passing, failing,
//! unordered, wildcard, hanging, skipped and blessed cases. The suite is copied to a
//! scratch folder first because `--bless` rewrites files.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// A fresh copy of the fixture suite, unique to the calling test.
fn scratch(tag: &str) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/conc_test");
    let dir = std::env::temp_dir().join(format!("conc-cli-test-{}-{tag}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    copy_dir(&src, &dir);
    dir
}

fn conc_test(dir: &Path, args: &[&str]) -> (String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_conc")).arg("test").args(args).current_dir(dir).output().unwrap();
    assert!(out.stderr.is_empty(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    (String::from_utf8(out.stdout).unwrap(), out.status.code().unwrap_or(-1))
}

#[test]
fn reports_failures_and_summary() {
    let dir = scratch("report");
    let (out, code) = conc_test(&dir, &["."]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(out.lines().last(), Some("3 passed, 2 failed, 1 skipped"), "{out}");
    // Not a terminal: no colour, and removals listed before additions.
    assert!(!out.contains('\x1b'), "{out}");
    assert!(
        out.contains("FAIL ./fail.conc: stdout differs (- expected, + actual):\n    one\n  - 2\n  + two\n"),
        "{out}"
    );
    assert!(out.contains("FAIL ./hang.conc: timed out after 1s"), "{out}");
    assert!(!out.contains("pass.conc") && !out.contains("wildcard") && !out.contains("unordered"), "{out}");
    // Default path, `-j 1`, and single files.
    fs::create_dir_all(dir.join("tests")).unwrap();
    for f in ["pass.conc", "pass.out"] {
        fs::copy(dir.join(f), dir.join("tests").join(f)).unwrap();
    }
    assert_eq!(conc_test(&dir, &["-j", "1"]), ("1 passed, 0 failed\n".to_string(), 0));
    let (out, code) = conc_test(&dir, &["-j1", "sub/wildcard.conc", "unordered.conc"]);
    assert_eq!((out.as_str(), code), ("2 passed, 0 failed\n", 0));
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn bless_rewrites_only_what_differs() {
    let dir = scratch("bless");
    let before = |f: &str| fs::read_to_string(dir.join(f)).unwrap();
    let (wild_out, wild_err, unordered_out) =
        (before("sub/wildcard.out"), before("sub/wildcard.err"), before("unordered.out"));
    let pass_mtime = fs::metadata(dir.join("pass.out")).unwrap().modified().unwrap();
    let (out, code) = conc_test(&dir, &["--bless", "."]);
    // The hanging test cannot be blessed, so it still fails.
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("blessed ./fail.conc (out)"), "{out}");
    assert_eq!(out.lines().last(), Some("4 passed, 1 failed, 1 skipped"), "{out}");
    assert_eq!(before("fail.out"), "one\ntwo\nthree\n");
    // Matching expectations keep their wildcards and their order.
    assert_eq!(before("sub/wildcard.out"), wild_out);
    assert_eq!(before("sub/wildcard.err"), wild_err);
    assert_eq!(before("unordered.out"), unordered_out);
    assert_eq!(fs::metadata(dir.join("pass.out")).unwrap().modified().unwrap(), pass_mtime);
    assert_eq!(before("hang.out"), "started\n");
    // A changed exit code and stderr are blessed too.
    fs::write(dir.join("sub/wildcard.err"), "...\nKeyError: x\n").unwrap();
    fs::write(dir.join("sub/wildcard.conc"), before("sub/wildcard.conc").replace("exit=1", "exit=0")).unwrap();
    let (out, _) = conc_test(&dir, &["--bless", "sub"]);
    assert!(out.contains("blessed sub/wildcard.conc (err, exit)"), "{out}");
    assert!(before("sub/wildcard.conc").starts_with("# test: exit=1\n"));
    assert!(before("sub/wildcard.err").ends_with("ValueError: bad value beta\n"));
    fs::remove_file(dir.join("hang.conc")).unwrap();
    assert_eq!(conc_test(&dir, &["."]), ("4 passed, 0 failed, 1 skipped\n".to_string(), 0));
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn usage_errors() {
    let dir = scratch("usage");
    let out = Command::new(env!("CARGO_BIN_EXE_conc")).args(["test", "nowhere"]).current_dir(&dir).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(env!("CARGO_BIN_EXE_conc")).args(["test", "-j", "zero"]).current_dir(&dir).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let _ = fs::remove_dir_all(&dir);
}
