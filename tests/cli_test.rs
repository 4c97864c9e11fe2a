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
    assert_eq!(out.lines().last(), Some("5 passed, 2 failed, 1 skipped, 1 without expectations"), "{out}");
    // A script with no expectation is named, not silently left out.
    assert!(out.contains("no expectation: ./helper.conc"), "{out}");
    assert!(!out.contains("badmod"), "{out}");
    // Not a terminal: no colour, and removals listed before additions.
    assert!(!out.contains('\x1b'), "{out}");
    assert!(
        out.contains("FAIL ./fail.conc: stdout differs (- expected, + actual):\n    one\n  - 2\n  + two\n"),
        "{out}"
    );
    assert!(out.contains("FAIL ./hang.conc: timed out after 1s"), "{out}");
    assert!(!out.contains("imports.conc") && !out.contains("some_lines"), "{out}");
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
    assert_eq!(out.lines().last(), Some("6 passed, 1 failed, 1 skipped, 1 without expectations"), "{out}");
    assert_eq!(before("fail.out"), "one\ntwo\nthree\n");
    // Matching expectations keep their wildcards and their order.
    assert_eq!(before("sub/wildcard.out"), wild_out);
    assert_eq!(before("sub/wildcard.err"), wild_err);
    assert_eq!(before("unordered.out"), unordered_out);
    assert_eq!(fs::metadata(dir.join("pass.out")).unwrap().modified().unwrap(), pass_mtime);
    assert_eq!(before("hang.out"), "started\n");
    // A changed stderr is blessed line by line; a changed exit code is reported, and
    // the script is left alone.
    fs::write(dir.join("sub/wildcard.err"), "...\nKeyError: x\n").unwrap();
    let script = before("sub/wildcard.conc").replace("exit=1", "exit=0");
    fs::write(dir.join("sub/wildcard.conc"), &script).unwrap();
    let (out, code) = conc_test(&dir, &["--bless", "sub"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL sub/wildcard.conc: cannot bless: it exits with 1, not 0: put `# test: exit=1`"),
        "{out}"
    );
    assert_eq!(before("sub/wildcard.conc"), script);
    assert_eq!(before("sub/wildcard.err"), "...\nValueError: bad value beta\n");
    fs::remove_file(dir.join("hang.conc")).unwrap();
    fs::write(dir.join("sub/wildcard.conc"), script.replace("exit=0", "exit=1")).unwrap();
    let (out, code) = conc_test(&dir, &["."]);
    assert_eq!((out.lines().last(), code), (Some("6 passed, 0 failed, 1 skipped, 1 without expectations"), 0), "{out}");
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

#[test]
fn bless_keeps_matching_lines_and_writes_no_empty_files() {
    let dir = scratch("bless-lines");
    let read = |f: &str| fs::read_to_string(dir.join(f)).unwrap();
    fs::write(dir.join("ids.conc"), "print('id', id(object()))\nprint('new')\nprint('end')\n").unwrap();
    fs::write(dir.join("ids.out"), "id [..]\nold\nend\n").unwrap();
    let (out, _) = conc_test(&dir, &["--bless", "ids.conc"]);
    assert!(out.contains("blessed ids.conc (out)"), "{out}");
    assert_eq!(read("ids.out"), "id [..]\nnew\nend\n");
    // A script printing nothing gets no empty expectation file.
    fs::write(dir.join("quiet.conc"), "x = 1\n").unwrap();
    let (out, code) = conc_test(&dir, &["--bless", "quiet.conc"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("cannot bless: the script prints nothing"), "{out}");
    assert!(!dir.join("quiet.out").exists() && !dir.join("quiet.err").exists());
    // A directive keeps it a test with no output expected.
    fs::write(dir.join("quiet.conc"), "# test: exit=0\nx = 1\n").unwrap();
    assert_eq!(conc_test(&dir, &["quiet.conc"]), ("1 passed, 0 failed\n".to_string(), 0));
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn selection_verbose_stop_and_junit() {
    let dir = scratch("select");
    let (out, code) = conc_test(&dir, &["-k", "wild", "-k", "pass", "-v", "."]);
    assert_eq!(code, 0, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("PASS ./pass.conc (") && lines[0].ends_with("s)"), "{out}");
    assert!(lines[1].starts_with("PASS ./sub/wildcard.conc ("), "{out}");
    assert_eq!(lines.last(), Some(&"2 passed, 0 failed"), "{out}");
    // -x: after the first failure no further test starts.
    let (out, code) = conc_test(&dir, &["-x", "-j", "1", "-k", "fail", "-k", "hang", "-k", "pass", "."]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(out.lines().last(), Some("0 passed, 1 failed, 2 not run"), "{out}");
    // JUnit XML for CI.
    let (out, _) = conc_test(&dir, &["--junit", "report.xml", "-k", "fail.conc", "-k", "skipped", "-k", "pass", "."]);
    let xml = fs::read_to_string(dir.join("report.xml")).unwrap();
    assert!(
        xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites tests=\"3\" failures=\"1\""),
        "{xml}"
    );
    assert!(xml.contains("<testcase classname=\".\" name=\"pass.conc\" time=\""), "{xml}");
    assert!(xml.contains("<failure message=\"stdout differs (- expected, + actual):\">"), "{xml}");
    assert!(xml.contains("<skipped message=\"shows how a test is switched off\"/>"), "{xml}");
    assert!(out.ends_with("1 passed, 1 failed, 1 skipped\n"), "{out}");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn known_failures_relative_to_the_root() {
    let dir = scratch("known");
    fs::write(dir.join("known.md"), "- `fail`: wrong on purpose\n- `hang`: hangs\n- `gone`: deleted long ago\n")
        .unwrap();
    fs::create_dir_all(dir.join("lists")).unwrap();
    fs::rename(dir.join("known.md"), dir.join("lists/known.md")).unwrap();
    let (out, code) = conc_test(&dir, &["--known-failures", "lists/known.md", "."]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("note: known failure `gone` names no test"), "{out}");
    assert!(out.contains("2 known failures not counted"), "{out}");
    let _ = fs::remove_dir_all(&dir);
}
