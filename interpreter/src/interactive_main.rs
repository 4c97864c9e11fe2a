//! The definitions of a `__main__` that has no file (the REPL, `-c`, a script on
//! stdin), kept so that a spawned child can define them too.
//!
//! A spawned child finds the parent's functions and classes by re-running the main
//! script as `__mp_main__` (`conc_stdlib::mp::process`). Code typed at the prompt has
//! no file to re-run, so a function defined there could not be a `Process` target
//! (CPython's default start method on Linux, fork, copies it; conc spawns). Instead,
//! the top-level statements that define names without doing anything else are kept
//! here in the order they ran, and the child runs them: `def`, `class`, `import`,
//! `from ... import`, and assignments whose value is a literal built from constants
//! and names. Everything else (calls, loops, `if __name__ == '__main__'` blocks) is
//! left out, so replaying never starts processes or repeats output.

use conc_grammar::ast::{Expr, ExprKind, Stmt, StmtKind};
use parking_lot::Mutex;

static DEFINITIONS: Mutex<String> = Mutex::new(String::new());

/// Notes the definitions in `source`, code that has just run in `__main__`.
pub fn note(source: &str) {
    let Ok(module) = conc_grammar::parse(source, "<stdin>") else {
        return;
    };
    let mut kept = DEFINITIONS.lock();
    for stmt in &module.body {
        if !defines_only(stmt) {
            continue;
        }
        let start = statement_start(source, stmt);
        let end = (stmt.span.end as usize).min(source.len());
        if let Some(text) = source.get(start..end) {
            kept.push_str(text);
            kept.push('\n');
        }
    }
}

/// The definitions noted so far, as one module's source.
pub fn definitions() -> String {
    DEFINITIONS.lock().clone()
}

fn defines_only(stmt: &Stmt) -> bool {
    match &stmt.kind {
        StmtKind::FunctionDef(_) | StmtKind::ClassDef(_) | StmtKind::Import(_) | StmtKind::ImportFrom { .. } => true,
        StmtKind::Assign { targets, value } => targets.iter().all(is_name) && is_literal(value),
        StmtKind::AnnAssign { target, value: Some(value), .. } => is_name(target) && is_literal(value),
        _ => false,
    }
}

fn is_name(e: &Expr) -> bool {
    matches!(e.kind, ExprKind::Name(_))
}

/// Constants, names and displays of them, with arithmetic: nothing that runs code.
fn is_literal(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Constant(_) | ExprKind::Name(_) => true,
        ExprKind::UnaryOp { operand, .. } => is_literal(operand),
        ExprKind::BinOp { left, right, .. } => is_literal(left) && is_literal(right),
        ExprKind::Tuple(items) | ExprKind::List(items) | ExprKind::Set(items) => items.iter().all(is_literal),
        ExprKind::Dict(pairs) => pairs.iter().all(|(k, v)| k.as_ref().is_none_or(is_literal) && is_literal(v)),
        _ => false,
    }
}

/// Where a statement's text begins: a decorated definition starts at the line of its
/// first decorator (the statement's span starts at `def` or `class`).
fn statement_start(source: &str, stmt: &Stmt) -> usize {
    let first_decorator = match &stmt.kind {
        StmtKind::FunctionDef(f) => f.decorators.first().map(|d| d.span.start as usize),
        StmtKind::ClassDef(c) => c.decorators.first().map(|d| d.span.start as usize),
        _ => None,
    };
    match first_decorator {
        Some(at) => source.get(..at).and_then(|s| s.rfind('\n')).map_or(0, |i| i + 1),
        None => stmt.span.start as usize,
    }
}
