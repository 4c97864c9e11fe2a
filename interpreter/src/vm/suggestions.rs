//! "Did you mean" suggestions, which CPython 3.11 adds to the last line of a
//! printed NameError (names of the failing frame, then its module, then builtins)
//! or AttributeError (the object's `dir()`); `str(exc)` stays as it was.
//!
//! A candidate is the closest name by an edit distance in which changing a letter's
//! case costs 1 and any other edit 2, accepted only within a budget that grows with
//! the lengths of the two names (about a third of their combined length).

use super::exc::exc_data;
use super::Vm;
use crate::native::Exc;
use crate::value::class::is_subclass;
use crate::value::str::intern;
use crate::value::Value;

const CASE_COST: usize = 1;
const EDIT_COST: usize = 2;
/// Longer names, or more candidates, and CPython does not look.
const MAX_NAME_LEN: usize = 40;
const MAX_CANDIDATES: usize = 750;

/// The edit distance described above, or None once it exceeds `budget`.
fn distance(a: &str, b: &str, budget: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) * EDIT_COST > budget {
        return None;
    }
    let mut prev: Vec<usize> = (0..=b.len()).map(|j| j * EDIT_COST).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut row = vec![(i + 1) * EDIT_COST; b.len() + 1];
        let mut best = row[0];
        for (j, cb) in b.iter().enumerate() {
            let change = if ca == cb {
                0
            } else if ca.to_lowercase().eq(cb.to_lowercase()) {
                CASE_COST
            } else {
                EDIT_COST
            };
            row[j + 1] = (prev[j] + change).min(prev[j + 1] + EDIT_COST).min(row[j] + EDIT_COST);
            best = best.min(row[j + 1]);
        }
        if best > budget {
            return None;
        }
        prev = row;
    }
    let d = prev[b.len()];
    (d <= budget).then_some(d)
}

/// The candidate closest to `name`, if one is close enough.
fn closest(name: &str, candidates: &[String]) -> Option<String> {
    if candidates.len() > MAX_CANDIDATES || name.chars().count() > MAX_NAME_LEN {
        return None;
    }
    let mut best: Option<(usize, &String)> = None;
    for c in candidates {
        if c == name || c.chars().count() > MAX_NAME_LEN {
            continue;
        }
        let budget = (name.chars().count() + c.chars().count() + 3) * EDIT_COST / 6;
        let limit = best.map_or(budget, |(d, _)| budget.min(d.saturating_sub(1)));
        if let Some(d) = distance(name, c, limit) {
            if best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, c));
            }
        }
    }
    best.map(|(_, c)| c.clone())
}

impl Vm {
    /// `. Did you mean: 'x'?` for the last line of a printed exception, or "".
    pub(crate) fn suggestion_for(&mut self, exc: &Value) -> String {
        let cls = self.class_of(exc);
        let found = if is_subclass(&cls, Exc::AttributeError.class()) {
            self.attribute_suggestion(exc)
        } else if is_subclass(&cls, Exc::NameError.class()) {
            self.name_suggestion(exc)
        } else {
            None
        };
        found.map_or_else(String::new, |s| format!(". Did you mean: '{s}'?"))
    }

    fn attribute_suggestion(&mut self, exc: &Value) -> Option<String> {
        let name = self.get_attr_opt(exc, &intern("name")).ok()??;
        let obj = self.get_attr_opt(exc, &intern("obj")).ok()??;
        let name = name.as_str()?.as_str().to_string();
        let listed = crate::builtins::functions::dir_of(self, &obj).ok()?;
        let candidates: Vec<String> = match listed.as_list() {
            Some(l) => l.snapshot().iter().filter_map(|v| v.as_str().map(|s| s.as_str().to_string())).collect(),
            None => return None,
        };
        closest(&name, &candidates)
    }

    fn name_suggestion(&mut self, exc: &Value) -> Option<String> {
        // conc's NameError carries its name only in the message.
        let message = self.str_of(exc).ok()?;
        let name = message.strip_prefix("name '")?.split('\'').next()?.to_string();
        let entry = exc_data(exc)?.traceback.lock().first().cloned()?;
        let code = entry.code;
        let locals: Vec<String> = code
            .varnames
            .iter()
            .chain(&code.cellvars)
            .chain(&code.freevars)
            .map(|n| n.str_text().to_string())
            .collect();
        if let Some(s) = closest(&name, &locals) {
            return Some(s);
        }
        let globals: Vec<String> =
            entry.module.globals.items().into_iter().map(|(k, _)| k.str_text().to_string()).collect();
        if let Some(s) = closest(&name, &globals) {
            return Some(s);
        }
        let builtins: Vec<String> = crate::interp::builtins_module()
            .globals
            .items()
            .into_iter()
            .map(|(k, _)| k.str_text().to_string())
            .collect();
        closest(&name, &builtins)
    }
}
