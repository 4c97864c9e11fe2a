//! What `conc test` writes besides its failure reports: the progress line on a
//! terminal, the slowest tests, and a JUnit XML file for CI systems.

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::Duration;

/// One finished (or skipped) test, as the reports need it.
pub struct Record<'a> {
    pub name: &'a str,
    pub time: Duration,
    pub outcome: Outcome,
}

pub enum Outcome {
    Pass,
    /// Skipped (the reason), or a known failure (its report).
    Skip(String),
    /// The failure's report.
    Fail(String),
    /// Not run, because `-x` stopped the suite first.
    NotRun,
}

/// Rewrites the terminal's progress line: tests done out of all, failures so far.
pub fn progress(done: usize, total: usize, failed: usize) {
    let mut out = std::io::stdout().lock();
    let _ = write!(out, "\r\x1b[K[{done}/{total}] {failed} failed");
    let _ = out.flush();
}

pub fn clear_progress() {
    let mut out = std::io::stdout().lock();
    let _ = write!(out, "\r\x1b[K");
    let _ = out.flush();
}

/// `slowest: a (2.10s), b (1.52s), c (1.20s)`, for suites big enough to care.
pub fn slowest(records: &[Record]) -> Option<String> {
    if records.len() < 10 {
        return None;
    }
    let mut by_time: Vec<&Record> = records.iter().filter(|r| !matches!(r.outcome, Outcome::NotRun)).collect();
    by_time.sort_by_key(|r| std::cmp::Reverse(r.time));
    let top: Vec<String> =
        by_time.iter().take(3).map(|r| format!("{} ({:.2}s)", r.name, r.time.as_secs_f64())).collect();
    Some(format!("slowest: {}", top.join(", ")))
}

fn escape(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            // XML 1.0 cannot hold most control characters, even escaped.
            '\n' | '\t' | '\r' => s.push(c),
            c if (c as u32) < 0x20 => {
                let _ = write!(s, "\\x{:02x}", c as u32);
            }
            c => s.push(c),
        }
    }
    s
}

/// The JUnit XML document (the `testsuites` form Jenkins, GitLab and GitHub read).
pub fn junit(records: &[Record], total_time: Duration) -> String {
    let failures = records.iter().filter(|r| matches!(r.outcome, Outcome::Fail(_))).count();
    let skipped = records.iter().filter(|r| matches!(r.outcome, Outcome::Skip(_) | Outcome::NotRun)).count();
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let head = format!(
        "tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"{:.3}\"",
        records.len(),
        total_time.as_secs_f64()
    );
    let _ = writeln!(s, "<testsuites {head}>");
    let _ = writeln!(s, "  <testsuite name=\"conc test\" {head}>");
    for r in records {
        let (class, name) = match r.name.rsplit_once('/') {
            Some((dir, file)) => (dir, file),
            None => (".", r.name),
        };
        let _ = write!(
            s,
            "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
            escape(class),
            escape(name),
            r.time.as_secs_f64()
        );
        match &r.outcome {
            Outcome::Pass => s.push_str("/>\n"),
            Outcome::Skip(why) => {
                let _ = writeln!(s, ">\n      <skipped message=\"{}\"/>\n    </testcase>", escape(why));
            }
            Outcome::NotRun => {
                s.push_str(
                    ">\n      <skipped message=\"not run: stopped at the first failure (-x)\"/>\n    </testcase>\n",
                );
            }
            Outcome::Fail(report) => {
                let first = report.lines().next().unwrap_or("failed").trim();
                let _ = writeln!(
                    s,
                    ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                    escape(first),
                    escape(report)
                );
            }
        }
    }
    s.push_str("  </testsuite>\n</testsuites>\n");
    s
}
