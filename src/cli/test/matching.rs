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
            _ => return Err(format!("unknown test directive {directive:?}")),
        }
    }
    Ok(header)
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
/// thread scheduling. Wildcard lines are matched greedily after the exact ones.
pub fn unordered_matches(expected: &str, actual: &str) -> bool {
    let mut exact: Vec<&str> = Vec::new();
    let mut wild: Vec<&str> = Vec::new();
    for l in expected.lines() {
        if l.contains("[..]") {
            wild.push(l);
        } else {
            exact.push(l);
        }
    }
    let mut rest: Vec<&str> = actual.lines().collect();
    for e in exact {
        match rest.iter().position(|a| *a == e) {
            Some(i) => {
                rest.swap_remove(i);
            }
            None => return false,
        }
    }
    for w in wild {
        match rest.iter().position(|a| line_matches(w, a)) {
            Some(i) => {
                rest.swap_remove(i);
            }
            None => return false,
        }
    }
    rest.is_empty()
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
        assert_eq!(set_exit_directive("# doc\nx = 1\n", 2), "# doc\n# test: exit=2\nx = 1\n");
        assert_eq!(set_exit_directive("# test: exit=2\nx = 1\n", 0), "x = 1\n");
        assert_eq!(set_exit_directive("x = 1\n", 1), "# test: exit=1\nx = 1\n");
        assert_eq!(set_exit_directive("# test: exit=2\n# b\nx\n", 1), "# test: exit=1\n# b\nx\n");
    }
}
