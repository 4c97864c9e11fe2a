//! Finding the tests of a suite: every `NAME.conc` or `NAME.py` under the paths that has
//! an expectation file (`NAME.out`, `NAME.err`) or a `# test:` directive. A script with
//! neither is reported by name, so that a misspelt expectation is never silently
//! skipped; `# test: helper` marks a module that other tests import.

use super::matching::parse_header;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

pub struct Case {
    /// The script's path as found from the command-line path, shown in reports.
    pub shown: String,
    pub script: PathBuf,
}

/// What a folder walk found.
#[derive(Default)]
pub struct Found {
    pub cases: Vec<Case>,
    /// Scripts that have no expectation file and no directive.
    pub orphans: Vec<String>,
}

fn is_script(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "conc" || e == "py")
}

pub fn has_expectation(script: &Path) -> bool {
    script.with_extension("out").is_file() || script.with_extension("err").is_file()
}

/// Sorts one script of a folder walk into a case, an orphan or nothing (a helper).
fn classify(path: PathBuf, found: &mut Found) {
    let header = fs::read_to_string(&path).map(|s| parse_header(&s));
    let shown = path.display().to_string();
    match header {
        Ok(Ok(h)) if h.helper => {}
        // A header with a bad directive is a test, which fails with that error.
        Ok(Ok(h)) if h.any => found.cases.push(Case { shown, script: path }),
        Ok(Err(_)) => found.cases.push(Case { shown, script: path }),
        _ if has_expectation(&path) => found.cases.push(Case { shown, script: path }),
        _ => found.orphans.push(shown),
    }
}

pub fn collect(dir: &Path, found: &mut Found) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, found);
        } else if is_script(&path) {
            classify(path, found);
        }
    }
}

/// The entries of a KNOWN_FAILURES.md file (lines ``- `dir/name`: ...``), each resolved
/// against the test roots (the folders named on the command line) and then against the
/// list's own folder. Gives the canonical paths of the listed scripts and the entries
/// that name no script.
pub fn known_failures(file: &Path, roots: &[PathBuf]) -> Result<(BTreeSet<PathBuf>, Vec<String>), String> {
    let text = fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let mut bases: Vec<PathBuf> = roots.to_vec();
    bases.push(file.parent().unwrap_or(Path::new(".")).to_path_buf());
    let mut known = BTreeSet::new();
    let mut unknown = Vec::new();
    for name in text.lines().filter_map(|l| l.trim_start().strip_prefix("- `")).filter_map(|l| l.split('`').next()) {
        let stem = name.trim_end_matches(".conc").trim_end_matches(".py");
        let hit = bases
            .iter()
            .flat_map(|b| [b.join(format!("{stem}.conc")), b.join(format!("{stem}.py"))])
            .find(|p| p.is_file());
        match hit {
            Some(p) => {
                known.insert(fs::canonicalize(&p).unwrap_or(p));
            }
            None => unknown.push(name.to_string()),
        }
    }
    Ok((known, unknown))
}
