//! `conc test [-j N] [--bless] [--known-failures FILE] [PATH...]`: runs golden-output
//! suites. Every `NAME.conc` under the paths (default `tests/`) that has a `NAME.out` or
//! `NAME.err` beside it is run as `conc NAME.conc` from its own folder and its stdout,
//! stderr and exit code are compared with the expectations (see `test/matching.rs` for
//! the wildcards and the `# test:` directives).

#[path = "test/matching.rs"]
pub mod matching;
#[path = "test/runner.rs"]
pub mod runner;

use matching::{diff, parse_header, set_exit_directive, text_matches, unordered_matches};
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

const DEFAULT_TIMEOUT_SECS: u64 = 10;
const USAGE: &str = "usage: conc test [-j N] [--bless] [--known-failures FILE] [PATH...]";

struct Options {
    jobs: usize,
    bless: bool,
    known: Option<PathBuf>,
    paths: Vec<String>,
}

fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        jobs: std::thread::available_parallelism().map_or(2, |n| n.get()),
        bless: false,
        known: None,
        paths: Vec::new(),
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

struct Case {
    /// The script's path as found from the command-line path, shown in reports.
    shown: String,
    script: PathBuf,
}

fn has_expectation(script: &Path) -> bool {
    script.with_extension("out").is_file() || script.with_extension("err").is_file()
}

fn collect(dir: &Path, out: &mut Vec<Case>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "conc") && has_expectation(&path) {
            out.push(Case { shown: path.display().to_string(), script: path });
        }
    }
}

/// Names listed in a KNOWN_FAILURES.md file (lines ``- `dir/name`: ...``), as canonical
/// script paths: names are relative to the file's folder.
fn known_failures(file: &Path) -> Result<BTreeSet<PathBuf>, String> {
    let text = fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let base = file.parent().unwrap_or(Path::new("."));
    Ok(text
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("- `"))
        .filter_map(|l| l.split('`').next())
        .map(|name| {
            let p = base.join(format!("{}.conc", name.trim_end_matches(".conc")));
            fs::canonicalize(&p).unwrap_or(p)
        })
        .collect())
}

enum Verdict {
    Pass,
    Skip,
    /// The report, and whether the run finished (a timed-out run is never blessed).
    Fail(String, Option<runner::Output>),
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
    if header.skip.is_some() {
        return Verdict::Skip;
    }
    let expected_out = fs::read_to_string(case.script.with_extension("out")).unwrap_or_default();
    let expected_err = fs::read_to_string(case.script.with_extension("err")).unwrap_or_default();
    let dir = match case.script.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut args = vec![case.script.file_name().unwrap_or_default().to_string_lossy().into_owned()];
    args.extend(header.args.iter().cloned());
    let timeout = Duration::from_secs(header.timeout.unwrap_or(DEFAULT_TIMEOUT_SECS));
    let got = runner::run_with_timeout(conc, &args, dir, timeout);
    if got.timed_out {
        let mut why = format!("timed out after {}s (process group killed)\n", timeout.as_secs());
        if !got.stdout.is_empty() {
            why.push_str("  stdout so far:\n");
            why.push_str(&indent(&got.stdout));
        }
        return Verdict::Fail(why, None);
    }
    let mut problems = String::new();
    let out_ok = if header.unordered {
        unordered_matches(&expected_out, &got.stdout)
    } else {
        text_matches(&expected_out, &got.stdout)
    };
    if !out_ok {
        problems.push_str("  stdout differs (- expected, + actual):\n");
        problems.push_str(&diff(&expected_out, &got.stdout, colour));
    }
    if !text_matches(&expected_err, &got.stderr) {
        problems.push_str("  stderr differs (- expected, + actual):\n");
        problems.push_str(&diff(&expected_err, &got.stderr, colour));
    }
    if got.code != Some(header.exit) {
        let actual = got.code.map_or("a signal".to_string(), |c| c.to_string());
        problems.push_str(&format!("  exit code: expected {}, got {actual}\n", header.exit));
        if out_ok && expected_err.is_empty() && !got.stderr.is_empty() {
            problems.push_str(&indent(&got.stderr));
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

/// Writes the actual output of a failing run into the expectation files that do not
/// match it, leaving matching ones (with their wildcards) untouched. Returns what it
/// rewrote.
fn bless(case: &Case, got: &runner::Output) -> Result<Vec<&'static str>, String> {
    let source = fs::read_to_string(&case.script).map_err(|e| e.to_string())?;
    let header = parse_header(&source)?;
    let mut wrote = Vec::new();
    let out_path = case.script.with_extension("out");
    let expected_out = fs::read_to_string(&out_path).unwrap_or_default();
    let out_ok = if header.unordered {
        unordered_matches(&expected_out, &got.stdout)
    } else {
        text_matches(&expected_out, &got.stdout)
    };
    if !out_ok || !out_path.exists() {
        fs::write(&out_path, &got.stdout).map_err(|e| e.to_string())?;
        wrote.push("out");
    }
    let err_path = case.script.with_extension("err");
    let expected_err = fs::read_to_string(&err_path).unwrap_or_default();
    if !text_matches(&expected_err, &got.stderr) {
        if got.stderr.is_empty() {
            fs::remove_file(&err_path).map_err(|e| e.to_string())?;
        } else {
            fs::write(&err_path, &got.stderr).map_err(|e| e.to_string())?;
        }
        wrote.push("err");
    }
    if let Some(code) = got.code {
        if code != header.exit {
            fs::write(&case.script, set_exit_directive(&source, code)).map_err(|e| e.to_string())?;
            wrote.push("exit");
        }
    }
    Ok(wrote)
}

/// Runs `f` on every case with `jobs` workers, returning results in case order.
fn parallel<T: Send>(cases: &[Case], jobs: usize, f: impl Fn(&Case) -> T + Sync) -> Vec<T> {
    let workers = jobs.min(cases.len()).max(1);
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
                results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(r);
            });
        }
    });
    results.into_inner().unwrap_or_else(|e| e.into_inner()).into_iter().flatten().collect()
}

pub fn run(args: &[String]) -> i32 {
    let opts = match parse_args(args) {
        Ok(o) => o,
        Err(e) => {
            if e.is_empty() {
                println!("{USAGE}");
                return 0;
            }
            eprintln!("conc test: {e}\n{USAGE}");
            return 2;
        }
    };
    let mut cases = Vec::new();
    for p in &opts.paths {
        let path = Path::new(p);
        if path.is_dir() {
            collect(path, &mut cases);
        } else if path.is_file() {
            // A script named on the command line is a test even without expectation
            // files, so that `--bless` can create them.
            cases.push(Case { shown: p.clone(), script: path.to_path_buf() });
        } else {
            eprintln!("conc test: no such file or folder: {p}");
            return 2;
        }
    }
    let known = match &opts.known {
        Some(f) => match known_failures(f) {
            Ok(k) => k,
            Err(e) => {
                eprintln!("conc test: {e}");
                return 2;
            }
        },
        None => BTreeSet::new(),
    };
    let conc = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("conc test: cannot find the conc executable: {e}");
            return 2;
        }
    };
    // SAFETY: isatty only inspects a file descriptor.
    let colour = unsafe { libc::isatty(1) } == 1 && std::env::var_os("NO_COLOR").is_none();
    let verdicts = parallel(&cases, opts.jobs, |c| check(c, &conc, colour));

    let (mut passed, mut failed, mut skipped, mut known_failed, mut blessed) = (0, 0, 0, 0, 0);
    let (red, reset) = if colour { ("\x1b[1;31m", "\x1b[0m") } else { ("", "") };
    for (case, verdict) in cases.iter().zip(verdicts) {
        let is_known = !known.is_empty()
            && known.contains(&fs::canonicalize(&case.script).unwrap_or_else(|_| case.script.clone()));
        match verdict {
            Verdict::Pass => {
                passed += 1;
                if is_known {
                    println!("note: known failure {} now passes; take it off the list", case.shown);
                }
            }
            Verdict::Skip => skipped += 1,
            Verdict::Fail(_, _) if is_known => known_failed += 1,
            Verdict::Fail(why, Some(got)) if opts.bless => match bless(case, &got) {
                Ok(wrote) => {
                    blessed += 1;
                    passed += 1;
                    println!("blessed {} ({})", case.shown, wrote.join(", "));
                }
                Err(e) => {
                    failed += 1;
                    print!("{red}FAIL{reset} {}: cannot bless: {e}\n{why}", case.shown);
                }
            },
            Verdict::Fail(why, _) => {
                failed += 1;
                print!("{red}FAIL{reset} {}: {}", case.shown, why.trim_start());
            }
        }
    }
    if known_failed > 0 {
        println!("{known_failed} known failures not counted");
    }
    if blessed > 0 {
        println!("{blessed} tests blessed");
    }
    let skipped = if skipped > 0 { format!(", {skipped} skipped") } else { String::new() };
    println!("{passed} passed, {failed} failed{skipped}");
    conc_interpreter::stdio::flush_stdout();
    i32::from(failed > 0)
}
