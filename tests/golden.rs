//! Golden tests: every `.conc` program under `tests/golden/` is run with the conc binary
//! and its stdout, stderr and exit code are compared with the expectation files beside it.
//!
//! The conventions are the ones `conc test` (issue 7) will implement, so the suite can be
//! moved onto it later without touching the data:
//!
//! - `NAME.out` holds the expected stdout. `NAME.err` (optional) holds the expected
//!   stderr; without it stderr must be empty. In both files a line holding only `...`
//!   matches any number of lines and `[..]` matches any text within a line (the trycmd
//!   convention).
//! - Directives in the script's leading comment lines: `# test: exit=N` (default 0),
//!   `# test: unordered` (stdout lines compared as a multiset), `# test: args=a b`,
//!   `# test: timeout=SECONDS`, `# test: skip=reason`.
//! - Tests named in `tests/golden/KNOWN_FAILURES.md` (lines of the form ``- `dir/name`: ...``)
//!   are still run but their mismatches do not fail the suite; a known failure that
//!   passes is reported so it can be taken off the list.
//!
//! `CONC_BLESS=1 cargo test --release --test golden` regenerates the expectation files
//! from `python3`, which is the reference for every behaviour: stdout goes to `.out`, a
//! non-empty stderr becomes `...` plus its last line in `.err` (traceback details such
//! as caret lines may legitimately differ), and the `exit=` directive is set to python's
//! exit code. Expectations never come from conc itself. `CONC_GOLDEN_FILTER=text` runs
//! only the tests whose name contains `text`.
//!
//! Only the standard library is used so that the suite needs nothing beyond the conc
//! binary to pass (neither python3 nor the shared folder).

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const DEFAULT_TIMEOUT_SECS: u64 = 10;

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("golden")
}

/// Directives parsed from the leading comment lines of a script.
#[derive(Debug, Default, Clone)]
struct Header {
    exit: i32,
    unordered: bool,
    args: Vec<String>,
    timeout: Option<u64>,
    skip: Option<String>,
}

fn parse_header(source: &str) -> Result<Header, String> {
    let mut header = Header::default();
    for line in source.lines() {
        let line = line.trim_end();
        if !line.starts_with('#') {
            break;
        }
        let Some(directive) = line.trim_start_matches('#').trim().strip_prefix("test:") else {
            continue;
        };
        let directive = directive.trim();
        let (key, value) = match directive.split_once('=') {
            Some((k, v)) => (k.trim(), Some(v.trim())),
            None => (directive, None),
        };
        match (key, value) {
            ("exit", Some(v)) => {
                header.exit = v.parse().map_err(|_| format!("bad exit code {v:?}"))?;
            }
            ("unordered", None) => header.unordered = true,
            ("args", Some(v)) => header.args = v.split_whitespace().map(String::from).collect(),
            ("timeout", Some(v)) => {
                header.timeout = Some(v.parse().map_err(|_| format!("bad timeout {v:?}"))?);
            }
            ("skip", v) => header.skip = Some(v.unwrap_or("").to_string()),
            _ => return Err(format!("unknown test directive {directive:?}")),
        }
    }
    Ok(header)
}

/// Rewrites the `exit=` directive of a script so that it states `code`, leaving every
/// other line alone. A zero exit code is the default and is stated by omission.
fn set_exit_directive(source: &str, code: i32) -> String {
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

#[derive(Debug)]
struct TestCase {
    /// Path relative to the golden folder without the `.conc` suffix, e.g. `core/loops`.
    name: String,
    script: PathBuf,
}

fn collect_tests(dir: &Path, root: &Path, out: &mut Vec<TestCase>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect_tests(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "conc") {
            let rel = path.strip_prefix(root).unwrap().with_extension("");
            let name = rel.to_string_lossy().replace('\\', "/");
            out.push(TestCase { name, script: path });
        }
    }
}

/// Names listed in KNOWN_FAILURES.md: every line starting with ``- `name` ``.
fn known_failures(root: &Path) -> BTreeSet<String> {
    let text = fs::read_to_string(root.join("KNOWN_FAILURES.md")).unwrap_or_default();
    text.lines()
        .filter_map(|l| l.trim_start().strip_prefix("- `"))
        .filter_map(|l| l.split('`').next())
        .map(|s| s.trim_end_matches(".conc").to_string())
        .collect()
}

struct Output {
    stdout: String,
    stderr: String,
    /// None when the process was killed at its timeout or died by a signal.
    code: Option<i32>,
    timed_out: bool,
}

/// Runs `program args...` in `cwd`, killing it (and its process group on Unix) once
/// `timeout` has passed. Both pipes are drained by their own threads so that a chatty
/// child cannot block on a full pipe while we wait for it.
fn run_with_timeout(program: &Path, args: &[String], cwd: &Path, timeout: Duration) -> Output {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("PYTHONIOENCODING", "utf-8")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONHASHSEED", "0")
        .env_remove("PYTHONSTARTUP");
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return Output {
                stdout: String::new(),
                stderr: format!("could not start {}: {e}", program.display()),
                code: None,
                timed_out: false,
            }
        }
    };
    let mut out_pipe = child.stdout.take().unwrap();
    let mut err_pipe = child.stderr.take().unwrap();
    let out_thread = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = out_pipe.read_to_end(&mut buf);
        buf
    });
    let err_thread = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err_pipe.read_to_end(&mut buf);
        buf
    });
    let start = Instant::now();
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) => {}
            Err(_) => break None,
        }
        if start.elapsed() > timeout {
            timed_out = true;
            kill_group(&mut child);
            break child.wait().ok();
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    // A grandchild that inherited the pipes could keep them open; the group kill above
    // covers the timeout case, and a finished test has no business leaving children.
    let stdout = String::from_utf8_lossy(&out_thread.join().unwrap_or_default()).into_owned();
    let stderr = String::from_utf8_lossy(&err_thread.join().unwrap_or_default()).into_owned();
    Output {
        stdout,
        stderr,
        code: if timed_out {
            None
        } else {
            status.and_then(|s| s.code())
        },
        timed_out,
    }
}

fn kill_group(child: &mut std::process::Child) {
    #[cfg(unix)]
    {
        // The child leads its own process group (see process_group(0) above), so a
        // negative pid reaches everything it started. `kill` avoids a libc dependency.
        let _ = Command::new("kill")
            .arg("-KILL")
            .arg(format!("-{}", child.id()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    let _ = child.kill();
}

/// Does one line of actual output match one expected line, where `[..]` in the expected
/// line matches any run of characters?
fn line_matches(expected: &str, actual: &str) -> bool {
    if !expected.contains("[..]") {
        return expected == actual;
    }
    let parts: Vec<&str> = expected.split("[..]").collect();
    let first = parts[0];
    let last = parts[parts.len() - 1];
    if !actual.starts_with(first) || actual.len() < first.len() + last.len() {
        return false;
    }
    if !actual.ends_with(last) {
        return false;
    }
    let mut rest = &actual[first.len()..actual.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

/// Matches whole texts line by line, where an expected line holding only `...` matches
/// any number of actual lines. Memoised backtracking keeps it linear enough for the
/// small outputs of golden tests.
fn text_matches(expected: &str, actual: &str) -> bool {
    if !expected.contains("...") && !expected.contains("[..]") {
        return expected == actual;
    }
    let exp: Vec<&str> = expected.split('\n').collect();
    let act: Vec<&str> = actual.split('\n').collect();
    let mut memo = HashMap::new();
    lines_match(&exp, &act, 0, 0, &mut memo)
}

fn lines_match(
    exp: &[&str],
    act: &[&str],
    i: usize,
    j: usize,
    memo: &mut HashMap<(usize, usize), bool>,
) -> bool {
    if let Some(&r) = memo.get(&(i, j)) {
        return r;
    }
    let r = if i == exp.len() {
        j == act.len()
    } else if exp[i] == "..." {
        (j..=act.len()).any(|k| lines_match(exp, act, i + 1, k, memo))
    } else {
        j < act.len() && line_matches(exp[i], act[j]) && lines_match(exp, act, i + 1, j + 1, memo)
    };
    memo.insert((i, j), r);
    r
}

fn unordered_matches(expected: &str, actual: &str) -> bool {
    let mut e: Vec<&str> = expected.lines().collect();
    let mut a: Vec<&str> = actual.lines().collect();
    e.sort_unstable();
    a.sort_unstable();
    e == a
}

/// A line diff (longest common subsequence) in the unified style: `-` expected,
/// `+` actual, with up to two lines of context around each change.
fn diff(expected: &str, actual: &str) -> String {
    let e: Vec<&str> = expected.lines().collect();
    let a: Vec<&str> = actual.lines().collect();
    let (n, m) = (e.len(), a.len());
    if n * m > 4_000_000 {
        return format!("  (outputs too long to diff: {n} vs {m} lines)\n");
    }
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if line_matches(e[i], a[j]) {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut ops: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && line_matches(e[i], a[j]) {
            ops.push((' ', a[j]));
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            ops.push(('+', a[j]));
            j += 1;
        } else {
            ops.push(('-', e[i]));
            i += 1;
        }
    }
    let changed: Vec<bool> = ops.iter().map(|(c, _)| *c != ' ').collect();
    let near = |k: usize| {
        let lo = k.saturating_sub(2);
        let hi = (k + 2).min(ops.len() - 1);
        (lo..=hi).any(|x| changed[x])
    };
    let mut s = String::new();
    let mut skipped = false;
    for (k, (c, line)) in ops.iter().enumerate() {
        if near(k) {
            if skipped {
                s.push_str("  @@\n");
                skipped = false;
            }
            s.push_str(&format!("  {c} {line}\n"));
        } else {
            skipped = true;
        }
    }
    if !expected.ends_with('\n') && !expected.is_empty()
        || !actual.ends_with('\n') && !actual.is_empty()
    {
        s.push_str("  (a text has no final newline)\n");
    }
    if s.is_empty() {
        s.push_str("  (texts differ only in line endings)\n");
    }
    s
}

enum Verdict {
    Pass,
    Skip(String),
    Fail(String),
}

fn check(case: &TestCase, conc: &Path) -> Verdict {
    let source = match fs::read_to_string(&case.script) {
        Ok(s) => s,
        Err(e) => return Verdict::Fail(format!("cannot read script: {e}")),
    };
    let header = match parse_header(&source) {
        Ok(h) => h,
        Err(e) => return Verdict::Fail(e),
    };
    if let Some(reason) = header.skip {
        return Verdict::Skip(reason);
    }
    let out_path = case.script.with_extension("out");
    let err_path = case.script.with_extension("err");
    let Ok(expected_out) = fs::read_to_string(&out_path) else {
        return Verdict::Fail(format!(
            "no {} (generate it with CONC_BLESS=1)",
            out_path.file_name().unwrap().to_string_lossy()
        ));
    };
    let expected_err = fs::read_to_string(&err_path).unwrap_or_default();

    let dir = case.script.parent().unwrap();
    let mut args = vec![case
        .script
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned()];
    args.extend(header.args.iter().cloned());
    let timeout = Duration::from_secs(header.timeout.unwrap_or(DEFAULT_TIMEOUT_SECS));
    let got = run_with_timeout(conc, &args, dir, timeout);

    if got.timed_out {
        return Verdict::Fail(format!(
            "timed out after {}s (killed)\n  stdout so far:\n{}",
            timeout.as_secs(),
            indent(&got.stdout)
        ));
    }
    let mut problems = String::new();
    let out_ok = if header.unordered {
        unordered_matches(&expected_out, &got.stdout)
    } else {
        text_matches(&expected_out, &got.stdout)
    };
    if !out_ok {
        problems.push_str("stdout differs (- expected, + actual):\n");
        problems.push_str(&diff(&expected_out, &got.stdout));
    }
    if !text_matches(&expected_err, &got.stderr) {
        problems.push_str("stderr differs (- expected, + actual):\n");
        problems.push_str(&diff(&expected_err, &got.stderr));
    }
    if got.code != Some(header.exit) {
        let actual = got.code.map_or("a signal".to_string(), |c| c.to_string());
        problems.push_str(&format!(
            "exit code: expected {}, got {actual}\n",
            header.exit
        ));
        if out_ok && expected_err.is_empty() && !got.stderr.is_empty() {
            problems.push_str(&indent(&got.stderr));
        }
    }
    if problems.is_empty() {
        Verdict::Pass
    } else {
        Verdict::Fail(problems)
    }
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}\n")).collect()
}

/// Regenerates one test's expectations from python3 (see the module comment).
fn bless(case: &TestCase) -> Result<(), String> {
    let source = fs::read_to_string(&case.script).map_err(|e| e.to_string())?;
    let header = parse_header(&source)?;
    if header.skip.is_some() {
        return Ok(());
    }
    let dir = case.script.parent().unwrap();
    let mut args = vec![case
        .script
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned()];
    args.extend(header.args.iter().cloned());
    let timeout = Duration::from_secs(header.timeout.unwrap_or(DEFAULT_TIMEOUT_SECS) * 3);
    let got = run_with_timeout(Path::new("python3"), &args, dir, timeout);
    if got.timed_out {
        return Err("python3 timed out; expectations left alone".into());
    }
    let Some(code) = got.code else {
        return Err(format!("python3 did not exit normally: {}", got.stderr));
    };
    fs::write(case.script.with_extension("out"), &got.stdout).map_err(|e| e.to_string())?;
    let err_path = case.script.with_extension("err");
    match got.stderr.lines().rev().find(|l| !l.trim().is_empty()) {
        Some(last) => fs::write(&err_path, format!("...\n{last}\n")).map_err(|e| e.to_string())?,
        None => {
            let _ = fs::remove_file(&err_path);
        }
    }
    if code != header.exit {
        fs::write(&case.script, set_exit_directive(&source, code)).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Runs `f` on every case with one worker per core, returning results in case order.
fn parallel<T: Send>(cases: &[TestCase], f: impl Fn(&TestCase) -> T + Sync) -> Vec<T> {
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(cases.len().max(1));
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<T>>> = Mutex::new((0..cases.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= cases.len() {
                    break;
                }
                let r = f(&cases[i]);
                results.lock().unwrap()[i] = Some(r);
            });
        }
    });
    results
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|r| r.unwrap())
        .collect()
}

#[test]
fn golden() {
    let root = golden_dir();
    let mut cases = Vec::new();
    collect_tests(&root, &root, &mut cases);
    if let Ok(filter) = std::env::var("CONC_GOLDEN_FILTER") {
        cases.retain(|c| c.name.contains(&filter));
    }
    let known = known_failures(&root);

    if std::env::var("CONC_BLESS").is_ok_and(|v| !v.is_empty() && v != "0") {
        let version = Command::new("python3").arg("--version").output();
        match version {
            Ok(v) => {
                let v = String::from_utf8_lossy(&v.stdout);
                if !v.starts_with("Python 3.11") {
                    eprintln!(
                        "warning: blessing with {} (the reference is CPython 3.11)",
                        v.trim()
                    );
                }
            }
            Err(e) => panic!("CONC_BLESS needs python3: {e}"),
        }
        let results = parallel(&cases, bless);
        let mut failed = false;
        for (case, r) in cases.iter().zip(results) {
            if let Err(e) = r {
                eprintln!("bless {}: {e}", case.name);
                failed = true;
            }
        }
        assert!(!failed, "blessing failed for some tests");
        eprintln!("blessed {} tests from python3", cases.len());
    }

    let conc = Path::new(env!("CARGO_BIN_EXE_conc"));
    let start = Instant::now();
    let verdicts = parallel(&cases, |c| check(c, conc));
    let (mut passed, mut failed, mut skipped, mut expected_failures) = (0, 0, 0, 0);
    let mut report = String::new();
    let mut fixed = Vec::new();
    for (case, verdict) in cases.iter().zip(verdicts) {
        let is_known = known.contains(&case.name);
        match verdict {
            Verdict::Pass if is_known => {
                passed += 1;
                fixed.push(case.name.clone());
            }
            Verdict::Pass => passed += 1,
            Verdict::Skip(reason) => {
                skipped += 1;
                if std::env::var("CONC_GOLDEN_VERBOSE").is_ok() {
                    eprintln!("skip {}: {reason}", case.name);
                }
            }
            Verdict::Fail(why) if is_known => {
                expected_failures += 1;
                if std::env::var("CONC_GOLDEN_VERBOSE").is_ok() {
                    eprintln!("known failure {}:\n{why}", case.name);
                }
            }
            Verdict::Fail(why) => {
                failed += 1;
                report.push_str(&format!("FAIL {}.conc: {why}\n", case.name));
            }
        }
    }
    for name in &known {
        if !cases.iter().any(|c| &c.name == name) && std::env::var("CONC_GOLDEN_FILTER").is_err() {
            eprintln!("note: KNOWN_FAILURES.md names `{name}`, which is not a test");
        }
    }
    if !fixed.is_empty() {
        eprintln!(
            "note: these known failures now pass; remove them from KNOWN_FAILURES.md: {}",
            fixed.join(", ")
        );
    }
    eprint!("{report}");
    eprintln!(
        "golden: {passed} passed, {failed} failed, {skipped} skipped, {expected_failures} known failures ({:.1}s)",
        start.elapsed().as_secs_f64()
    );
    assert_eq!(failed, 0, "{failed} golden tests failed (see above)");
}

#[cfg(test)]
mod harness_tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(text_matches("...\nE: x\n", "Traceback\n  line\nE: x\n"));
        assert!(text_matches("...\nE: x\n", "E: x\n"));
        assert!(!text_matches("...\nE: x\n", "E: y\n"));
        assert!(text_matches("a [..] c\n", "a b b c\n"));
        assert!(!text_matches("a [..] c\n", "a b b d\n"));
        assert!(text_matches("[..]x[..]y\n", "1x2y\n"));
        assert!(!text_matches("ab[..]ba\n", "aba\n"));
        assert!(text_matches("exact\n", "exact\n"));
        assert!(!text_matches("exact\n", "exact"));
    }

    #[test]
    fn headers() {
        let h = parse_header("# a comment\n# test: exit=1\n# test: unordered\n# test: args=a b\nx = 1\n# test: exit=3\n").unwrap();
        assert_eq!(h.exit, 1);
        assert!(h.unordered);
        assert_eq!(h.args, vec!["a", "b"]);
        assert!(parse_header("# test: bogus\n").is_err());
        assert_eq!(
            set_exit_directive("# doc\nx = 1\n", 2),
            "# doc\n# test: exit=2\nx = 1\n"
        );
        assert_eq!(set_exit_directive("# test: exit=2\nx = 1\n", 0), "x = 1\n");
        assert_eq!(set_exit_directive("x = 1\n", 1), "# test: exit=1\nx = 1\n");
        assert_eq!(
            set_exit_directive("# test: exit=2\n# b\nx\n", 1),
            "# test: exit=1\n# b\nx\n"
        );
    }
}
