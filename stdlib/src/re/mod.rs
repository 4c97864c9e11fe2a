//! `_re`: the regular expression engine under the conc module `re`
//! (`stdlib/lib/re/__init__.conc`).
//!
//! Why an engine of our own rather than the `regex` crate: that crate (the one
//! maintained regex engine available to the build) finds matches with automata and
//! has no backreferences, lookaround, atomic groups, possessive quantifiers or
//! conditionals, and its rules for captures in repeated groups and empty matches are
//! not CPython's. Python's semantics (leftmost-first alternation, greedy and lazy
//! backtracking, the capture of the last iteration, the 3.7+ empty-match rules) are
//! those of a backtracking matcher, so conc runs one: `parser.rs` reads the syntax
//! with CPython's messages, `program.rs` compiles it to instructions, `engine.rs`
//! runs them; `pattern.rs` and `matchobj.rs` are the Pattern and Match classes,
//! `template.rs` the replacement templates, `subject.rs` the text being searched.

mod ast;
mod chars;
mod engine;
mod matchobj;
mod parser;
mod pattern;
mod program;
mod subject;
mod template;

use crate::util::set;
use conc_interpreter::{ObjRef, PyResult, Value, Vm};

pub fn init(_vm: &mut Vm, m: &ObjRef) -> PyResult<()> {
    pattern::register(m);
    set(m, "Pattern", Value::Obj(pattern::PATTERN.class().clone()));
    set(m, "Match", Value::Obj(matchobj::MATCH.class().clone()));
    set(m, "MAXREPEAT", Value::Int(ast::UNBOUNDED as i64));
    set(m, "MAXGROUPS", Value::Int(i32::MAX as i64 / 2));
    Ok(())
}
