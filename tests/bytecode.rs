//! Bytecode golden tests: `conc dis` of each `tests/bytecode/NAME.conc` must equal
//! `NAME.dis`. These files are the record of when the compiler emits each fused
//! instruction and when it sets `CO_STABLE_SELF`; a change to either shows up here
//! as a diff to review. `CONC_BLESS=1 cargo test --release --test bytecode`
//! rewrites the `.dis` files from the current compiler.

use std::fs;
use std::path::Path;
use std::process::Command;

#[test]
fn listings_match() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bless = std::env::var_os("CONC_BLESS").is_some_and(|v| v == "1");
    let mut names: Vec<String> = fs::read_dir(root.join("tests/bytecode"))
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".conc").map(str::to_string)
        })
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no tests in tests/bytecode");
    let mut failures = Vec::new();
    for name in &names {
        // A relative path, run from the crate root, so listings do not depend on
        // where the checkout lives.
        let rel = format!("tests/bytecode/{name}.conc");
        let out = Command::new(env!("CARGO_BIN_EXE_conc")).args(["dis", &rel]).current_dir(root).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{rel}: {}", String::from_utf8_lossy(&out.stderr));
        let got = String::from_utf8(out.stdout).unwrap();
        let expected_path = root.join(format!("tests/bytecode/{name}.dis"));
        if bless {
            fs::write(&expected_path, &got).unwrap();
            continue;
        }
        let expected = fs::read_to_string(&expected_path).unwrap_or_default();
        if got != expected {
            failures.push(first_difference(name, &expected, &got));
        }
    }
    assert!(failures.is_empty(), "listings differ (CONC_BLESS=1 to rewrite):\n{}", failures.join("\n"));
}

/// The first line where the listings part, to keep the failure message short.
fn first_difference(name: &str, expected: &str, got: &str) -> String {
    let (e, g): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), got.lines().collect());
    let n = (0..e.len().max(g.len())).find(|&i| e.get(i) != g.get(i)).unwrap_or(0);
    format!(
        "{name}.dis line {}:\n  expected: {}\n  got:      {}",
        n + 1,
        e.get(n).unwrap_or(&"<end>"),
        g.get(n).unwrap_or(&"<end>")
    )
}
