//! Checks on assignment, `for`, `with ... as` and `del` targets. The grammar parses
//! targets as ordinary expressions (an LR(1) parser cannot tell `a.b = 1` from
//! `a.b == 1` when it reads `a.b`); these checks then reject what CPython rejects,
//! with CPython's messages.

use super::{user, PErr};
use crate::ast::{CmpOp, Constant, Expr, ExprKind, UnaryOp};
use crate::error::{SyntaxError, SyntaxErrorKind};

/// Which statement the target belongs to (CPython's TARGETS_TYPE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    /// `=` and `with ... as`.
    Star,
    /// `for` loops and comprehensions.
    For,
    Del,
}

/// The name CPython uses for an expression in messages (`_PyPegen_get_expr_name`).
pub fn expr_name(e: &Expr) -> &'static str {
    match &e.kind {
        ExprKind::Attribute { .. } => "attribute",
        ExprKind::Subscript { .. } => "subscript",
        ExprKind::Starred(_) => "starred",
        ExprKind::Name(_) => "name",
        ExprKind::List(_) => "list",
        ExprKind::Tuple(_) => "tuple",
        ExprKind::Lambda { .. } => "lambda",
        ExprKind::Call { .. } => "function call",
        ExprKind::BoolOp { .. } | ExprKind::BinOp { .. } | ExprKind::UnaryOp { .. } => "expression",
        ExprKind::GeneratorExp { .. } => "generator expression",
        ExprKind::Yield(_) | ExprKind::YieldFrom(_) => "yield expression",
        ExprKind::Await(_) => "await expression",
        ExprKind::ListComp { .. } => "list comprehension",
        ExprKind::SetComp { .. } => "set comprehension",
        ExprKind::DictComp { .. } => "dict comprehension",
        ExprKind::Dict(_) => "dict literal",
        ExprKind::Set(_) => "set display",
        ExprKind::JoinedStr(_) => "f-string expression",
        ExprKind::Constant(c) => match c {
            Constant::None => "None",
            Constant::True => "True",
            Constant::False => "False",
            Constant::Ellipsis => "ellipsis",
            _ => "literal",
        },
        ExprKind::Compare { .. } => "comparison",
        ExprKind::IfExp { .. } => "conditional expression",
        ExprKind::NamedExpr { .. } => "named expression",
        ExprKind::Slice { .. } => "slice",
    }
}

/// The first part of `e` that cannot be a target (`_PyPegen_get_invalid_target`).
pub fn invalid_target(e: &Expr, kind: TargetKind) -> Option<&Expr> {
    match &e.kind {
        ExprKind::Tuple(elts) | ExprKind::List(elts) => elts.iter().find_map(|x| invalid_target(x, kind)),
        ExprKind::Starred(v) => {
            if kind == TargetKind::Del {
                Some(e)
            } else {
                invalid_target(v, kind)
            }
        }
        ExprKind::Compare { left, ops, .. } => {
            if kind == TargetKind::For && ops.first() == Some(&CmpOp::In) {
                invalid_target(left, kind)
            } else {
                Some(e)
            }
        }
        ExprKind::Name(_) | ExprKind::Subscript { .. } | ExprKind::Attribute { .. } => None,
        _ => Some(e),
    }
}

pub fn error_at(bad: &Expr, message: String) -> SyntaxError {
    SyntaxError::new(SyntaxErrorKind::SyntaxError, message, bad.span)
}

/// Returns `e` if it is a valid target of this kind, else CPython's error.
pub fn check<'a>(e: Expr, kind: TargetKind) -> Result<Expr, PErr<'a>> {
    match invalid_target(&e, kind) {
        None => Ok(e),
        Some(bad) => {
            let verb = if kind == TargetKind::Del { "delete" } else { "assign to" };
            Err(user(error_at(bad, format!("cannot {verb} {}", expr_name(bad)))))
        }
    }
}

/// True when CPython's grammar would parse `e` as a `bitwise_or` (no `not`, `and`,
/// `or`, comparison, conditional, lambda, yield or star at its top).
pub fn is_bitwise_or(e: &Expr) -> bool {
    !matches!(
        e.kind,
        ExprKind::BoolOp { .. }
            | ExprKind::Compare { .. }
            | ExprKind::IfExp { .. }
            | ExprKind::Lambda { .. }
            | ExprKind::UnaryOp { op: UnaryOp::Not, .. }
            | ExprKind::NamedExpr { .. }
            | ExprKind::Yield(_)
            | ExprKind::YieldFrom(_)
            | ExprKind::Starred(_)
            | ExprKind::Tuple(_)
    )
}

/// True when `e` starts with a `bitwise_or` (its leftmost operand is one).
pub fn starts_with_bitwise_or(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::BoolOp { values, .. } => values.first().is_some_and(starts_with_bitwise_or),
        ExprKind::Compare { left, .. } => starts_with_bitwise_or(left),
        ExprKind::IfExp { body, .. } => starts_with_bitwise_or(body),
        ExprKind::Tuple(elts) => elts.first().is_some_and(starts_with_bitwise_or),
        _ => is_bitwise_or(e),
    }
}
