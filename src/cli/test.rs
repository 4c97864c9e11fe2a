//! `conc test [-j N] [--bless] [--known-failures FILE] [PATH...]`: runs golden-output
//! suites. Every `NAME.conc` under the paths (default `tests/`) that has a `NAME.out` or
//! `NAME.err` beside it is run as `conc NAME.conc` from its own folder and its stdout,
//! stderr and exit code are compared with the expectations (see `test/matching.rs` for
//! the wildcards and the `# test:` directives).

#[path = "test/discover.rs"]
mod discover;
#[path = "test/matching.rs"]
pub mod matching;
#[path = "test/report.rs"]
mod report;
#[path = "test/runner.rs"]
pub mod runner;

use discover::{collect, known_failures, Case, Found};
use matching::{diff, merged_expectation, parse_header, text_matches, unordered_matches};
use report::{Outcome, Record};
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const DEFAULT_TIMEOUT_SECS: u64 = 10;
const USAGE: &str = "usage: conc test [-j N] [-k PATTERN] [-v] [-x] [--bless] [--junit FILE] \
[--known-failures FILE] [PATH...]";
const HELP: &str = "\
Runs every NAME.conc or NAME.py under the paths (default tests/) that has NAME.out or
NAME.err beside it (or a `# test:` directive) and compares its stdout, stderr and exit code.

  -j N, --jobs N          tests run at once (default: one per core)
  -k PATTERN              only tests whose path contains PATTERN (may be repeated)
  -v, --verbose           list every test with its outcome and time
  -x, --exitfirst         stop starting tests after the first failure
  --bless                 rewrite the expectation lines that do not match
  --junit FILE            also write the results as JUnit XML
  --known-failures FILE   failures of the tests listed there are not counted";

struct Options {
    jobs: usize,
    bless: bool,
    known: Option<PathBuf>,
    paths: Vec<String>,
    patterns: Vec<String>,
    verbose: bool,
    exit_first: bool,
    junit: Option<PathBuf>,
}

fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        jobs: std::thread::available_parallelism().map_or(2, |n| n.get()),
        bless: false,
        known: None,
        paths: Vec::new(),
        patterns: Vec::new(),
        verbose: false,
        exit_first: false,
        junit: None,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let jobs = if a == "-j" || a == "--jobs" {
            Some(it.next().ok_or("-j needs a number")?.as_str())
        } else {
            a.strip_prefix("-j").filter(|s| !s.is_empty()).or_else(|| a.strip_prefix("--jobs="))
        };
        if let Some(n) = jobs {
            o.jobs = n.parse().ok().filter(|&n| n > 0).ok_or_else(|| format!("bad job count {n:?}"))?;
        } else if a == "--bless" {
            o.bless = true;
        } else if a == "--known-failures" {
            o.known = Some(PathBuf::from(it.next().ok_or("--known-failures needs a file")?));
        } else if a == "--junit" {
            o.junit = Some(PathBuf::from(it.next().ok_or("--junit needs a file")?));
        } else if a == "-k" {
            o.patterns.push(it.next().ok_or("-k needs a pattern")?.clone());
        } else if let Some(p) = a.strip_prefix("-k").filter(|p| !p.is_empty()) {
            o.patterns.push(p.to_string());
        } else if a == "-v" || a == "--verbose" {
            o.verbose = true;
        } else if a == "-x" || a == "--exitfirst" {
            o.exit_first = true;
        } else if a == "-h" || a == "--help" {
            return Err(String::new());
        } else if a.starts_with('-') && a.len() > 1 {
            return Err(format!("unknown option {a}"));
        } else {
            o.paths.push(a.clone());
        }
    }
    if o.paths.is_empty() {
        o.paths.push("tests".into());
    }
    Ok(o)
}

/// Paths under the test's own folder are shown relative to it in stderr, as they are
/// when the script runs from there, so that expectations do not depend on where the
/// suite is checked out.
fn relative_paths(text: String, dir: &Path) -> String {
    let mut text = text;
    let mut prefixes: Vec<PathBuf> = Vec::new();
    if let Ok(abs) = fs::canonicalize(dir) {
        prefixes.push(abs);
    }
    if let Ok(cwd) = std::env::current_dir() {
        prefixes.push(cwd.join(dir));
    }
    for p in prefixes {
        let prefix = format!("{}/", p.display());
        if prefix.len() > 1 && text.contains(&prefix) {
            text = text.replace(&prefix, "");
        }
    }
    text
}

enum Verdict {
    Pass,
    Skip(String),
    /// The report, and the run's output when it finished (a timed-out run is never
    /// blessed).
    Fail(String, Option<runner::Output>),
    /// `-x` stopped the suite before this test started.
    NotRun,
}

fn case_dir(case: &Case) -> &Path {
    match case.script.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

fn stdout_matches(expected: &str, actual: &str, unordered: bool) -> bool {
    if unordered {
        unordered_matches(expected, actual)
    } else {
        text_matches(expected, actual)
    }
}

/// The last lines of an output, indented, for reports that would otherwise hide it.
fn tail(label: &str, text: &str) -> String {
    if text.is_empty() {
        return String::new();
    }
    let lines: Vec<&str> = text.lines().collect();
    let from = lines.len().saturating_sub(20);
    let mut s = format!("  {label}{}:\n", if from > 0 { " (last 20 lines)" } else { "" });
    for l in &lines[from..] {
        s.push_str(&format!("    {l}\n"));
    }
    s
}

fn check(case: &Case, conc: &Path, colour: bool) -> Verdict {
    let source = match fs::read_to_string(&case.script) {
        Ok(s) => s,
        Err(e) => return Verdict::Fail(format!("cannot read script: {e}\n"), None),
    };
    let header = match parse_header(&source) {
        Ok(h) => h,
        Err(e) => return Verdict::Fail(format!("{e}\n"), None),
    };
    if let Some(why) = header.skip {
        return Verdict::Skip(why);
    }
    let expected_out = fs::read_to_string(case.script.with_extension("out")).unwrap_or_default();
    let expected_err = fs::read_to_string(case.script.with_extension("err")).unwrap_or_default();
    let dir = case_dir(case);
    let mut args = vec![case.script.file_name().unwrap_or_default().to_string_lossy().into_owned()];
    args.extend(header.args.iter().cloned());
    let timeout = Duration::from_secs(header.timeout.unwrap_or(DEFAULT_TIMEOUT_SECS));
    let mut got = runner::run_with_timeout(conc, &args, dir, timeout);
    got.stderr = relative_paths(std::mem::take(&mut got.stderr), dir);
    if got.timed_out {
        let mut why = format!("timed out after {}s (process group killed)\n", timeout.as_secs());
        if !got.stdout.is_empty() {
            why.push_str("  stdout so far:\n");
            why.push_str(&indent(&got.stdout));
        }
        return Verdict::Fail(why, None);
    }
    let mut problems = String::new();
    if !header.any && !discover::has_expectation(&case.script) {
        problems.push_str("  no expectation file (NAME.out or NAME.err) and no `# test:` directive\n");
    }
    let out_ok = stdout_matches(&expected_out, &got.stdout, header.unordered);
    if !out_ok {
        problems.push_str("  stdout differs (- expected, + actual):\n");
        problems.push_str(&diff(&expected_out, &got.stdout, colour));
    }
    let err_ok = text_matches(&expected_err, &got.stderr);
    if !err_ok {
        problems.push_str("  stderr differs (- expected, + actual):\n");
        problems.push_str(&diff(&expected_err, &got.stderr, colour));
    }
    if got.code != Some(header.exit) {
        let actual = got.code.map_or("a signal".to_string(), |c| c.to_string());
        problems.push_str(&format!("  exit code: expected {}, got {actual}\n", header.exit));
        // The output explains the exit; show what the diffs above did not.
        if out_ok {
            problems.push_str(&tail("stdout", &got.stdout));
        }
        if err_ok {
            problems.push_str(&tail("stderr", &got.stderr));
        }
    }
    if problems.is_empty() {
        Verdict::Pass
    } else {
        Verdict::Fail(problems, Some(got))
    }
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}\n")).collect()
}

/// Rewrites, in the expectation files of a failing run, only the lines that do not
/// match (see `merged_expectation`). It never writes an empty expectation file and
/// never edits the script: a changed exit code is reported for the user to state.
/// Returns what it rewrote, or why the test still fails.
fn bless(case: &Case, got: &runner::Output) -> Result<Vec<&'static str>, String> {
    let source = fs::read_to_string(&case.script).map_err(|e| e.to_string())?;
    let header = parse_header(&source)?;
    let mut wrote = Vec::new();
    let mut keep_files = 0;
    let pairs = [("out", &got.stdout, header.unordered), ("err", &got.stderr, false)];
    for (ext, actual, unordered) in pairs {
        let path = case.script.with_extension(ext);
        let expected = fs::read_to_string(&path).ok();
        let ok = match &expected {
            Some(e) => stdout_matches(e, actual, unordered),
            None => actual.is_empty(),
        };
        if ok {
            keep_files += usize::from(expected.is_some());
            continue;
        }
        if actual.is_empty() {
            fs::remove_file(&path).map_err(|e| e.to_string())?;
        } else {
            let text = merged_expectation(expected.as_deref().unwrap_or(""), actual, unordered);
            fs::write(&path, text).map_err(|e| e.to_string())?;
            keep_files += 1;
        }
        wrote.push(ext);
    }
    if keep_files == 0 && !header.any {
        return Err("the script prints nothing; a `# test:` directive in its header (`# test: exit=0`) \
keeps it a test"
            .into());
    }
    match got.code {
        Some(code) if code != header.exit => Err(format!(
            "it exits with {code}, not {}: put `# test: exit={code}` in its header (--bless never edits scripts)",
            header.exit
        )),
        _ => Ok(wrote),
    }
}

/// Runs `f` on every case with `jobs` workers, returning results in case order. Once
/// `stop` is set no new case starts (the rest are `NotRun`); `done` is called with the
/// count of finished cases and failures after each one.
fn parallel(
    cases: &[Case],
    jobs: usize,
    stop_at_failure: bool,
    f: impl Fn(&Case) -> Verdict + Sync,
    done: impl Fn(usize, usize) + Sync,
) -> Vec<(Verdict, Duration)> {
    let workers = jobs.min(cases.len()).max(1);
    let next = AtomicUsize::new(0);
    let finished = AtomicUsize::new(0);
    let failures = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let results: Mutex<Vec<Option<(Verdict, Duration)>>> = Mutex::new((0..cases.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= cases.len() {
                    break;
                }
                let started = Instant::now();
                let r = if stop.load(Ordering::SeqCst) { Verdict::NotRun } else { f(&cases[i]) };
                if matches!(r, Verdict::Fail(..)) {
                    failures.fetch_add(1, Ordering::SeqCst);
                    stop.store(stop_at_failure, Ordering::SeqCst);
                }
                let n = finished.fetch_add(1, Ordering::SeqCst) + 1;
                done(n, failures.load(Ordering::SeqCst));
                results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some((r, started.elapsed()));
            });
        }
    });
    results.into_inner().unwrap_or_else(|e| e.into_inner()).into_iter().flatten().collect()
}

/// The cases and orphans named by the command line, filtered by `-k`.
fn gather(opts: &Options) -> Result<Found, String> {
    let mut found = Found::default();
    for p in &opts.paths {
        let path = Path::new(p);
        if path.is_dir() {
            collect(path, &mut found);
        } else if path.is_file() {
            // A script named on the command line is a test even without expectation
            // files, so that `--bless` can create them.
            found.cases.push(Case { shown: p.clone(), script: path.to_path_buf() });
        } else {
            return Err(format!("no such file or folder: {p}"));
        }
    }
    if !opts.patterns.is_empty() {
        let wanted = |name: &str| opts.patterns.iter().any(|k| name.contains(k.as_str()));
        found.cases.retain(|c| wanted(&c.shown));
        found.orphans.retain(|o| wanted(o));
    }
    Ok(found)
}

pub fn run(args: &[String]) -> i32 {
    // Output piped into a pager or `head` that exits early ends the run quietly, as
    // for other command-line tools, rather than as a failed write.
    // SAFETY: restoring a signal's default disposition has no preconditions.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let opts = match parse_args(args) {
        Ok(o) => o,
        Err(e) => {
            if e.is_empty() {
                println!("{USAGE}\n\n{HELP}");
                return 0;
            }
            eprintln!("conc test: {e}\n{USAGE}");
            return 2;
        }
    };
    let found = match gather(&opts) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("conc test: {e}");
            return 2;
        }
    };
    let cases = found.cases;
    let roots: Vec<PathBuf> = opts.paths.iter().map(PathBuf::from).filter(|p| p.is_dir()).collect();
    let (known, unknown) = match &opts.known {
        Some(f) => match known_failures(f, &roots) {
            Ok(k) => k,
            Err(e) => {
                eprintln!("conc test: {e}");
                return 2;
            }
        },
        None => (BTreeSet::new(), Vec::new()),
    };
    let conc = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("conc test: cannot find the conc executable: {e}");
            return 2;
        }
    };
    // SAFETY: isatty only inspects a file descriptor.
    let terminal = unsafe { libc::isatty(1) } == 1;
    let colour = terminal && std::env::var_os("NO_COLOR").is_none();
    let show_progress = terminal && !opts.verbose;
    let suite_start = Instant::now();
    let verdicts = parallel(
        &cases,
        opts.jobs,
        opts.exit_first,
        |c| check(c, &conc, colour),
        |n, failed| {
            if show_progress {
                report::progress(n, cases.len(), failed);
            }
        },
    );
    if show_progress {
        report::clear_progress();
    }

    let (mut passed, mut failed, mut skipped, mut known_failed, mut blessed, mut not_run) = (0, 0, 0, 0, 0, 0);
    let (red, reset) = if colour { ("\x1b[1;31m", "\x1b[0m") } else { ("", "") };
    let mut records: Vec<Record> = Vec::new();
    for (case, (verdict, time)) in cases.iter().zip(verdicts) {
        let is_known = !known.is_empty()
            && known.contains(&fs::canonicalize(&case.script).unwrap_or_else(|_| case.script.clone()));
        let secs = time.as_secs_f64();
        let outcome = match verdict {
            Verdict::Pass => {
                passed += 1;
                if is_known {
                    println!("note: known failure {} now passes; take it off the list", case.shown);
                }
                if opts.verbose {
                    println!("PASS {} ({secs:.2}s)", case.shown);
                }
                Outcome::Pass
            }
            Verdict::Skip(why) => {
                skipped += 1;
                if opts.verbose {
                    println!("SKIP {}{}", case.shown, if why.is_empty() { String::new() } else { format!(": {why}") });
                }
                Outcome::Skip(why)
            }
            Verdict::NotRun => {
                not_run += 1;
                Outcome::NotRun
            }
            Verdict::Fail(why, _) if is_known => {
                known_failed += 1;
                if opts.verbose {
                    println!("known failure {} ({secs:.2}s)", case.shown);
                }
                Outcome::Skip(why)
            }
            Verdict::Fail(why, Some(got)) if opts.bless => match bless(case, &got) {
                Ok(wrote) => {
                    blessed += 1;
                    passed += 1;
                    println!("blessed {} ({})", case.shown, wrote.join(", "));
                    Outcome::Pass
                }
                Err(e) => {
                    failed += 1;
                    print!("{red}FAIL{reset} {}: cannot bless: {e}\n{why}", case.shown);
                    Outcome::Fail(format!("cannot bless: {e}\n{why}"))
                }
            },
            Verdict::Fail(why, _) => {
                failed += 1;
                let t = if opts.verbose { format!(" ({secs:.2}s)") } else { String::new() };
                print!("{red}FAIL{reset} {}{t}: {}", case.shown, why.trim_start());
                Outcome::Fail(why)
            }
        };
        records.push(Record { name: &case.shown, time, outcome });
    }
    for o in &found.orphans {
        println!("no expectation: {o} (add its .out or .err, or `# test: helper` if tests import it)");
    }
    for u in &unknown {
        println!("note: known failure `{u}` names no test");
    }
    if let Some(path) = &opts.junit {
        if let Err(e) = fs::write(path, report::junit(&records, suite_start.elapsed())) {
            eprintln!("conc test: cannot write {}: {e}", path.display());
            return 2;
        }
    }
    if let Some(line) = report::slowest(&records) {
        println!("{line}");
    }
    if known_failed > 0 {
        println!("{known_failed} known failures not counted");
    }
    if blessed > 0 {
        println!("{blessed} tests blessed");
    }
    let mut summary = format!("{passed} passed, {failed} failed");
    for (n, what) in [(skipped, "skipped"), (not_run, "not run"), (found.orphans.len(), "without expectations")] {
        if n > 0 {
            summary.push_str(&format!(", {n} {what}"));
        }
    }
    println!("{summary}");
    conc_interpreter::stdio::flush_stdout();
    i32::from(failed > 0)
}
