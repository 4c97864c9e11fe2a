//! Expectation matching for golden tests: header directives, the trycmd wildcards and
//! a line diff. This file is shared by `conc test` and the `tests/golden.rs` harness
//! (which includes it with `#[path]`), so it uses nothing outside the standard library.

use std::collections::HashMap;

/// Directives parsed from the leading comment lines of a script.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Header {
    pub exit: i32,
    pub unordered: bool,
    pub args: Vec<String>,
    pub timeout: Option<u64>,
    pub skip: Option<String>,
    /// `# test: helper`: a module other tests import, neither run nor reported.
    pub helper: bool,
    /// Whether the header holds any directive: such a script is a test even without
    /// expectation files (it expects no output).
    pub any: bool,
}

/// Reads the `# test: ...` directives of the script's first comment lines; the first
/// line that is not a comment ends the header, so directives deeper in are ignored.
pub fn parse_header(source: &str) -> Result<Header, String> {
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
        header.any = true;
        let (key, value) = match directive.split_once('=') {
            Some((k, v)) => (k.trim(), Some(v.trim())),
            None => (directive, None),
        };
        match (key, value) {
            ("exit", Some(v)) => header.exit = v.parse().map_err(|_| format!("bad exit code {v:?}"))?,
            ("unordered", None) => header.unordered = true,
            ("args", Some(v)) => header.args = v.split_whitespace().map(String::from).collect(),
            ("timeout", Some(v)) => header.timeout = Some(v.parse().map_err(|_| format!("bad timeout {v:?}"))?),
            ("skip", v) => header.skip = Some(v.unwrap_or("").to_string()),
            ("helper", None) => header.helper = true,
            _ => return Err(format!("unknown test directive {directive:?}")),
        }
    }
    Ok(header)
}

/// Does one line of actual output match one expected line, where `[..]` in the expected
/// line matches any run of characters?
pub fn line_matches(expected: &str, actual: &str) -> bool {
    if !expected.contains("[..]") {
        return expected == actual;
    }
    let parts: Vec<&str> = expected.split("[..]").collect();
    let first = parts[0];
    let last = parts[parts.len() - 1];
    if !actual.starts_with(first) || actual.len() < first.len() + last.len() || !actual.ends_with(last) {
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
/// any number of actual lines. Memoised backtracking keeps it polynomial.
pub fn text_matches(expected: &str, actual: &str) -> bool {
    if !expected.contains("...") && !expected.contains("[..]") {
        return expected == actual;
    }
    let exp: Vec<&str> = expected.split('\n').collect();
    let act: Vec<&str> = actual.split('\n').collect();
    let mut memo = HashMap::new();
    lines_match(&exp, &act, 0, 0, &mut memo)
}

fn lines_match(exp: &[&str], act: &[&str], i: usize, j: usize, memo: &mut HashMap<(usize, usize), bool>) -> bool {
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

/// Compares the lines of two texts as multisets, for output whose order depends on
/// thread scheduling. Wildcard lines are matched greedily after the exact ones; an
/// expected line holding only `...` lets any number of other lines through.
pub fn unordered_matches(expected: &str, actual: &str) -> bool {
    unordered_split(expected, actual).is_some_and(|(_, rest, any_more)| rest.is_empty() || any_more)
}

/// Pairs expected lines with actual ones as `unordered_matches` does. Gives, when every
/// expected line found its match, the expected lines kept in their order, the actual
/// lines left over, and whether the expectation holds a `...` line; `None` when some
/// expected line matched nothing.
fn unordered_split<'a>(expected: &'a str, actual: &'a str) -> Option<(Vec<&'a str>, Vec<&'a str>, bool)> {
    let (kept, rest, any_more, missing) = unordered_pairing(expected, actual);
    (missing == 0).then_some((kept, rest, any_more))
}

/// The pairing behind `unordered_split`, also counting the expected lines that matched
/// nothing (they are dropped from `kept`).
fn unordered_pairing<'a>(expected: &'a str, actual: &'a str) -> (Vec<&'a str>, Vec<&'a str>, bool, usize) {
    let mut exact: Vec<&str> = Vec::new();
    let mut wild: Vec<&str> = Vec::new();
    let mut any_more = false;
    let mut kept = Vec::new();
    let mut missing = 0;
    for l in expected.lines() {
        if l == "..." {
            any_more = true;
        } else if l.contains("[..]") {
            wild.push(l);
        } else {
            exact.push(l);
        }
    }
    let mut rest: Vec<&str> = actual.lines().collect();
    let mut found = std::collections::HashSet::new();
    for (k, e) in exact.iter().enumerate() {
        match rest.iter().position(|a| a == e) {
            Some(i) => {
                rest.remove(i);
                found.insert(("x", k));
            }
            None => missing += 1,
        }
    }
    for (k, w) in wild.iter().enumerate() {
        match rest.iter().position(|a| line_matches(w, a)) {
            Some(i) => {
                rest.remove(i);
                found.insert(("w", k));
            }
            None => missing += 1,
        }
    }
    // The kept lines in the expectation's own order.
    let (mut xi, mut wi) = (0, 0);
    for l in expected.lines() {
        if l == "..." {
            kept.push(l);
        } else if l.contains("[..]") {
            if found.contains(&("w", wi)) {
                kept.push(l);
            }
            wi += 1;
        } else {
            if found.contains(&("x", xi)) {
                kept.push(l);
            }
            xi += 1;
        }
    }
    (kept, rest, any_more, missing)
}

/// The expectation `--bless` writes for a test whose output no longer matches: the
/// expected lines that still match are kept as they are (with their wildcards), the
/// others give way to the actual lines. The result always matches `actual`.
pub fn merged_expectation(expected: &str, actual: &str, unordered: bool) -> String {
    let merged = if unordered { merge_unordered(expected, actual) } else { merge_ordered(expected, actual) };
    let matches = if unordered { unordered_matches(&merged, actual) } else { text_matches(&merged, actual) };
    if matches {
        merged
    } else {
        actual.to_string()
    }
}

fn merge_unordered(expected: &str, actual: &str) -> String {
    let (kept, rest, any_more, _) = unordered_pairing(expected, actual);
    let mut lines = kept;
    if !any_more {
        lines.extend(rest);
    }
    let mut s: String = lines.iter().map(|l| format!("{l}\n")).collect();
    if !actual.ends_with('\n') && s.ends_with('\n') {
        s.pop();
    }
    s
}

/// An edit alignment of expected against actual lines: a matching line costs nothing,
/// a changed line (one expected line replaced by one actual line) one, a `...` line
/// absorbs actual lines at one each, and each dropped expected or added actual line
/// costs two. So `...` keeps the lines it stood for rather than having them written
/// out, but a changed line beside it is replaced rather than swallowed.
fn merge_ordered(expected: &str, actual: &str) -> String {
    let e: Vec<&str> = expected.split('\n').collect();
    let a: Vec<&str> = actual.split('\n').collect();
    let (n, m) = (e.len(), a.len());
    if expected.is_empty() || n * m > 4_000_000 {
        return actual.to_string();
    }
    let mut cost = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..=n).rev() {
        for j in (0..=m).rev() {
            cost[i][j] = if i == n {
                2 * (m - j) as u32
            } else if j == m {
                if e[i] == "..." {
                    cost[i + 1][j]
                } else {
                    2 + cost[i + 1][j]
                }
            } else if e[i] == "..." {
                cost[i + 1][j].min(1 + cost[i][j + 1])
            } else {
                let keep = if line_matches(e[i], a[j]) { cost[i + 1][j + 1] } else { 1 + cost[i + 1][j + 1] };
                keep.min(2 + cost[i + 1][j]).min(2 + cost[i][j + 1])
            };
        }
    }
    let mut out: Vec<&str> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        let here = cost[i][j];
        if i < n && e[i] == "..." {
            if cost[i + 1][j] == here {
                out.push(e[i]);
                i += 1;
            } else {
                j += 1;
            }
        } else if i < n && j < m && line_matches(e[i], a[j]) && cost[i + 1][j + 1] == here {
            out.push(e[i]);
            i += 1;
            j += 1;
        } else if i < n && j < m && 1 + cost[i + 1][j + 1] == here {
            out.push(a[j]);
            i += 1;
            j += 1;
        } else if i < n && 2 + cost[i + 1][j] == here {
            i += 1;
        } else {
            out.push(a[j]);
            j += 1;
        }
    }
    out.join("\n")
}

/// A line diff (longest common subsequence) in the unified style: `-` expected,
/// `+` actual, with up to two lines of context around each change. With `colour`,
/// removed lines are red and added lines green (ANSI escapes).
pub fn diff(expected: &str, actual: &str, colour: bool) -> String {
    let e: Vec<&str> = expected.lines().collect();
    let a: Vec<&str> = actual.lines().collect();
    let (n, m) = (e.len(), a.len());
    if n * m > 4_000_000 {
        return format!("  (outputs too long to diff: {n} vs {m} lines)\n");
    }
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if line_matches(e[i], a[j]) { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let mut ops: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && line_matches(e[i], a[j]) {
            ops.push((' ', a[j]));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            // Removals come before additions, as in `diff -u`.
            ops.push(('-', e[i]));
            i += 1;
        } else {
            ops.push(('+', a[j]));
            j += 1;
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
            let (on, off) = match (colour, c) {
                (true, '-') => ("\x1b[31m", "\x1b[0m"),
                (true, '+') => ("\x1b[32m", "\x1b[0m"),
                _ => ("", ""),
            };
            s.push_str(&format!("  {on}{c} {line}{off}\n"));
        } else {
            skipped = true;
        }
    }
    if !expected.ends_with('\n') && !expected.is_empty() || !actual.ends_with('\n') && !actual.is_empty() {
        s.push_str("  (a text has no final newline)\n");
    }
    if s.is_empty() {
        s.push_str("  (texts differ only in line endings)\n");
    }
    s
}

#[cfg(test)]
mod tests {
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
        assert!(unordered_matches("a\nb\nt[..]\n", "t9\nb\na\n"));
        assert!(!unordered_matches("a\nb\n", "a\na\n"));
        assert!(unordered_matches("b\n...\n", "a\nb\nc\n"));
        assert!(!unordered_matches("b\n...\n", "a\nc\n"));
    }

    #[test]
    fn merging() {
        // Only the changed line is rewritten; wildcard and `...` lines that still match stay.
        assert_eq!(merged_expectation("id [..]\nold\nend\n", "id 42\nnew\nend\n", false), "id [..]\nnew\nend\n");
        assert_eq!(merged_expectation("...\nE: x\n", "t1\nt2\nE: y\n", false), "...\nE: y\n");
        assert_eq!(merged_expectation("a\nb\n", "a\nb\nc\n", false), "a\nb\nc\n");
        assert_eq!(merged_expectation("a\nb\nc\n", "a\nc\n", false), "a\nc\n");
        assert_eq!(merged_expectation("", "x\n", false), "x\n");
        assert_eq!(merged_expectation("t[..]\nb\nzz\n", "b\nt7\nc\n", true), "t[..]\nb\nc\n");
        assert_eq!(merged_expectation("b\n...\nq\n", "a\nb\n", true), "b\n...\n");
    }

    #[test]
    fn headers() {
        let h =
            parse_header("# a comment\n# test: exit=1\n# test: unordered\n# test: args=a b\nx = 1\n# test: exit=3\n")
                .unwrap();
        assert_eq!(h.exit, 1);
        assert!(h.unordered);
        assert_eq!(h.args, vec!["a", "b"]);
        assert!(parse_header("# test: bogus\n").is_err());
    }
}
