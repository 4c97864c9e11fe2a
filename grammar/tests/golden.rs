//! Golden tests kept as data under tests/data: token dumps and AST dumps of
//! representative programs, and the rendered diagnostics of syntax errors. Run with
//! `CONC_BLESS=1` to rewrite the expected files, then review the diff.

use conc_grammar::lexer::{tokenize, Mode};
use std::path::{Path, PathBuf};

fn data(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(dir)
}

fn blessing() -> bool {
    std::env::var_os("CONC_BLESS").is_some()
}

/// The `.conc` files of a data directory, sorted so failures come out in order.
fn cases(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(data(dir))
        .expect("data directory")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("conc"))
        .collect();
    files.sort();
    files
}

/// Compares `actual` with the file `expected`, or rewrites it when blessing.
/// Returns a description of the mismatch, if any.
fn compare(expected: &Path, actual: &str) -> Option<String> {
    if blessing() {
        std::fs::write(expected, actual).expect("writable expected file");
        return None;
    }
    let want = std::fs::read_to_string(expected).unwrap_or_default();
    if want == actual {
        None
    } else {
        Some(format!("{} differs (run with CONC_BLESS=1 and review the diff):\n{actual}", expected.display()))
    }
}

fn name_of(path: &Path) -> String {
    path.file_name().expect("file name").to_string_lossy().into_owned()
}

#[test]
fn token_dumps() {
    let mut failures = Vec::new();
    for path in cases("programs") {
        let source = std::fs::read_to_string(&path).expect("readable case");
        let lexed = tokenize(&source, 0, source.len(), Mode::Module);
        let mut dump = String::new();
        for (l, t, r) in &lexed.tokens {
            dump.push_str(&format!("{l}..{r} {t:?}\n"));
        }
        if let Some(e) = lexed.error {
            dump.push_str(&format!("error: {}\n", e.summary()));
        }
        failures.extend(compare(&path.with_extension("tokens"), &dump));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn ast_dumps() {
    let mut failures = Vec::new();
    for path in cases("programs") {
        let source = std::fs::read_to_string(&path).expect("readable case");
        let dump = match conc_grammar::parse(&source, &name_of(&path)) {
            Ok(module) => format!("{module:#?}\n"),
            Err(e) => conc_grammar::render(&e, &source, &name_of(&path)),
        };
        failures.extend(compare(&path.with_extension("ast"), &dump));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn syntax_error_reports() {
    let mut failures = Vec::new();
    let all = cases("errors");
    assert!(all.len() >= 25, "expected at least 25 syntax-error cases, found {}", all.len());
    for path in all {
        let source = std::fs::read_to_string(&path).expect("readable case");
        let name = name_of(&path);
        let report = match conc_grammar::parse(&source, &name) {
            Ok(_) => {
                failures.push(format!("{name}: parsed without error"));
                continue;
            }
            Err(e) => conc_grammar::render(&e, &source, &name),
        };
        // The last line must be the one CPython 3.11 prints (recorded by
        // record_python3.sh), whatever the rest of the report looks like.
        let python = std::fs::read_to_string(path.with_extension("python3")).expect("recorded python3 line");
        let last = report.lines().last().unwrap_or("");
        if last != python.trim_end() {
            failures.push(format!("{name}: last line\n  conc:    {last}\n  python3: {}", python.trim_end()));
        }
        failures.extend(compare(&path.with_extension("stderr"), &report));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
