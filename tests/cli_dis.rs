//! `conc dis` reports unreadable and invalid files as `conc check` does: the same
//! diagnostic on stderr and the same exit status, and nothing on stdout.

use std::process::{Command, Output};

fn conc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_conc")).args(args).output().unwrap()
}

fn scratch_file(tag: &str, text: &str) -> String {
    let path = std::env::temp_dir().join(format!("conc-cli-dis-{}-{tag}.conc", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn syntax_error_exits_1_like_check() {
    let file = scratch_file("syntax", "x = (1,\n");
    let dis = conc(&["dis", &file]);
    let check = conc(&["check", &file]);
    assert_eq!(dis.status.code(), Some(1));
    assert!(dis.stdout.is_empty());
    assert_eq!(dis.stderr, check.stderr);
    assert!(String::from_utf8_lossy(&dis.stderr).contains("SyntaxError: '(' was never closed"));
    let _ = std::fs::remove_file(file);
}

#[test]
fn scope_error_is_reported_like_check() {
    let file = scratch_file("scope", "def f():\n    nonlocal q\n");
    let dis = conc(&["dis", &file]);
    let check = conc(&["check", &file]);
    assert_eq!(dis.status.code(), Some(1));
    assert_eq!(dis.status.code(), check.status.code());
    assert_eq!(dis.stderr, check.stderr);
    let _ = std::fs::remove_file(file);
}

#[test]
fn syntax_error_in_dash_c() {
    let out = conc(&["dis", "-c", "def"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("SyntaxError"));
}

#[test]
fn missing_file_exits_like_check() {
    let missing = std::env::temp_dir().join("conc-cli-dis-no-such-file.conc").display().to_string();
    let dis = conc(&["dis", &missing]);
    let check = conc(&["check", &missing]);
    assert_eq!(dis.status.code(), check.status.code());
    // A file that cannot be read is a usage error (2), as for `conc FILE`.
    assert_eq!(dis.status.code(), Some(2));
    assert_eq!(dis.stderr, check.stderr);
    assert!(dis.stdout.is_empty());
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(conc(&["dis"]).status.code(), Some(2));
    assert_eq!(conc(&["dis", "-c"]).status.code(), Some(2));
    assert_eq!(conc(&["dis", "a.conc", "b.conc"]).status.code(), Some(2));
}

#[test]
fn dash_c_lists_the_module() {
    let out = conc(&["dis", "-c", "x = 1"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("Disassembly of <module> (line 1):\n"), "{text}");
    assert!(text.contains("LoadConst              0 (1)"), "{text}");
    assert!(text.contains("StoreGlobal            0 (x)"), "{text}");
}
