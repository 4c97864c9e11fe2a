//! Golden tests: every `.conc` or `.py` program under `tests/golden/` that has expectation files
//! beside it is run by `conc test` (the runner of issue 7, dogfooded here so that it is
//! exercised on every CI run), which compares stdout, stderr and the exit code.
//!
//! The conventions are those of `conc test` (see the README and
//! `src/cli/test/matching.rs`): `NAME.out`, optional `NAME.err`, `[..]` and `...`
//! wildcards, and `# test:` directives (`exit=N`, `unordered`, `args=`, `timeout=`,
//! `skip=`) in the script's leading comment lines.
//!
//! Tests named in `tests/golden/KNOWN_FAILURES.md` (lines of the form ``- `dir/name`: ...``)
//! are still run but their mismatches do not fail the suite (`conc test
//! --known-failures`); a known failure that passes is reported so it can be taken off
//! the list.
//!
//! `CONC_BLESS=1 cargo test --release --test golden` regenerates the expectation files
//! from `python3`, which is the reference for every behaviour: stdout goes to `.out`, a
//! non-empty stderr becomes `...` plus its last line in `.err` (traceback details such
//! as caret lines may legitimately differ), and the `exit=` directive is set to python's
//! exit code. Expectations never come from conc itself (so `conc test --bless` is not
//! used here). `CONC_GOLDEN_FILTER=text` runs only the tests whose name contains `text`.

#[allow(dead_code)]
#[path = "../src/cli/test/matching.rs"]
mod matching;
#[path = "../src/cli/test/runner.rs"]
mod runner;

use matching::parse_header;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const DEFAULT_TIMEOUT_SECS: u64 = 10;

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("golden")
}

/// Every script under `dir`, sorted, as (name relative to `root` without `.conc`, path).
fn collect_tests(dir: &Path, root: &Path, out: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect_tests(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "conc" || e == "py") {
            // Modules that tests import say so (`# test: helper`) and are not tests.
            let helper = fs::read_to_string(&path).ok().and_then(|s| parse_header(&s).ok()).is_some_and(|h| h.helper);
            if helper {
                continue;
            }
            let rel = path.strip_prefix(root).unwrap().with_extension("");
            out.push((rel.to_string_lossy().replace('\\', "/"), path));
        }
    }
}

/// Rewrites the `exit=` directive of a script so that it states `code`, leaving every
/// other line alone. A zero exit code is the default and is stated by omission.
pub fn set_exit_directive(source: &str, code: i32) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut in_header = true;
    let mut written = false;
    let mut header_end = 0;
    for line in source.split_inclusive('\n') {
        if in_header && !line.starts_with('#') {
            in_header = false;
        }
        if in_header {
            let body = line.trim_start_matches('#').trim();
            if let Some(d) = body.strip_prefix("test:") {
                if d.trim().starts_with("exit=") || d.trim().starts_with("exit =") {
                    if code != 0 && !written {
                        lines.push(format!("# test: exit={code}\n"));
                        written = true;
                    }
                    header_end = lines.len();
                    continue;
                }
            }
            lines.push(line.to_string());
            header_end = lines.len();
        } else {
            lines.push(line.to_string());
        }
    }
    if code != 0 && !written {
        // A new directive goes at the end of the leading comment block, or first of all
        // when the script has no leading comments.
        lines.insert(header_end, format!("# test: exit={code}\n"));
    }
    lines.concat()
}

#[test]
fn exit_directive() {
    assert_eq!(set_exit_directive("# doc\nx = 1\n", 2), "# doc\n# test: exit=2\nx = 1\n");
    assert_eq!(set_exit_directive("# test: exit=2\nx = 1\n", 0), "x = 1\n");
    assert_eq!(set_exit_directive("x = 1\n", 1), "# test: exit=1\nx = 1\n");
    assert_eq!(set_exit_directive("# test: exit=2\n# b\nx\n", 1), "# test: exit=1\n# b\nx\n");
}

/// Regenerates one test's expectations from python3 (see the module comment).
fn bless(script: &Path) -> Result<(), String> {
    let source = fs::read_to_string(script).map_err(|e| e.to_string())?;
    let header = parse_header(&source)?;
    if header.skip.is_some() {
        return Ok(());
    }
    let dir = script.parent().unwrap();
    let mut args = vec![script.file_name().unwrap().to_string_lossy().into_owned()];
    args.extend(header.args.iter().cloned());
    let timeout = Duration::from_secs(header.timeout.unwrap_or(DEFAULT_TIMEOUT_SECS) * 3);
    let got = runner::run_with_timeout(Path::new("python3"), &args, dir, timeout);
    if got.timed_out {
        return Err("python3 timed out; expectations left alone".into());
    }
    let Some(code) = got.code else {
        return Err(format!("python3 did not exit normally: {}", got.stderr));
    };
    fs::write(script.with_extension("out"), &got.stdout).map_err(|e| e.to_string())?;
    let err_path = script.with_extension("err");
    // The last line that is not blank, and the blank ones after it (an exception
    // message may end in whitespace).
    let lines: Vec<&str> = got.stderr.lines().collect();
    match lines.iter().rposition(|l| !l.trim().is_empty()) {
        Some(last) => {
            let tail: String = lines[last..].iter().map(|l| format!("{l}\n")).collect();
            fs::write(&err_path, format!("...\n{tail}")).map_err(|e| e.to_string())?
        }
        None => {
            let _ = fs::remove_file(&err_path);
        }
    }
    if code != header.exit {
        fs::write(script, set_exit_directive(&source, code)).map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn bless_all(cases: &[(String, PathBuf)]) {
    let version = Command::new("python3").arg("--version").output();
    match version {
        Ok(v) => {
            let v = String::from_utf8_lossy(&v.stdout);
            if !v.starts_with("Python 3.11") {
                eprintln!("warning: blessing with {} (the reference is CPython 3.11)", v.trim());
            }
        }
        Err(e) => panic!("CONC_BLESS needs python3: {e}"),
    }
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let next = AtomicUsize::new(0);
    let errors = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some((name, script)) = cases.get(i) else { break };
                if let Err(e) = bless(script) {
                    errors.lock().unwrap().push(format!("bless {name}: {e}"));
                }
            });
        }
    });
    let errors = errors.into_inner().unwrap();
    for e in &errors {
        eprintln!("{e}");
    }
    assert!(errors.is_empty(), "blessing failed for some tests");
    eprintln!("blessed {} tests from python3", cases.len());
}

#[test]
fn golden() {
    let root = golden_dir();
    let filter = std::env::var("CONC_GOLDEN_FILTER").ok();
    let mut cases = Vec::new();
    collect_tests(&root, &root, &mut cases);
    if let Some(f) = &filter {
        cases.retain(|(name, _)| name.contains(f.as_str()));
    }
    if std::env::var("CONC_BLESS").is_ok_and(|v| !v.is_empty() && v != "0") {
        bless_all(&cases);
    }

    let conc = Path::new(env!("CARGO_BIN_EXE_conc"));
    let mut cmd = Command::new(conc);
    cmd.arg("test").arg("--known-failures").arg(root.join("KNOWN_FAILURES.md"));
    if filter.is_some() {
        cmd.args(cases.iter().map(|(_, p)| p));
    } else {
        cmd.arg(&root);
    }
    let start = Instant::now();
    let out = cmd.output().expect("run conc test");
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprint!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    eprintln!("golden: conc test took {:.1}s", start.elapsed().as_secs_f64());
    let summary = stdout.lines().last().unwrap_or_default();
    assert!(summary.contains(" passed, "), "conc test printed no summary line");
    assert_eq!(out.status.code(), Some(0), "golden tests failed (see above): {summary}");
}
