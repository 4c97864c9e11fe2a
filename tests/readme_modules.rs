//! The README's list of importable modules is the interpreter's own
//! (`sys.stdlib_module_names` without the private `_` modules), so it cannot go stale
//! when a module is added.

use std::process::Command;

#[test]
fn readme_lists_every_module() {
    let out = Command::new(env!("CARGO_BIN_EXE_conc"))
        .args([
            "-c",
            "import sys; print(' '.join(sorted(n for n in sys.stdlib_module_names if not n.startswith('_'))))",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let actual: Vec<String> = String::from_utf8(out.stdout).unwrap().split_whitespace().map(String::from).collect();
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("<!-- modules:").expect("README has no modules block");
    let block = &readme[start..];
    let block =
        &block[block.find("-->").unwrap() + 3..block.find("<!-- /modules -->").expect("unclosed modules block")];
    let listed: Vec<String> = block.split('`').skip(1).step_by(2).map(String::from).collect();
    let expected = actual.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");
    assert_eq!(listed, actual, "update the README's modules block to:\n{expected}");
}
