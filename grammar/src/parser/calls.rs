//! Builds a call from the arguments the grammar parsed, checking their order with
//! CPython's messages (`positional argument follows keyword argument`, ...).

use super::targets::expr_name;
use super::{nodes::sp, user, ArgItem, PErr};
use crate::ast::{Constant, Expr, ExprKind, Keyword};
use crate::error::{SyntaxError, SyntaxErrorKind};
use crate::span::Span;

fn fail<'a>(message: impl Into<String>, span: Span) -> PErr<'a> {
    user(SyntaxError::new(SyntaxErrorKind::SyntaxError, message, span))
}

/// Splits arguments into positional ones and keywords, as for a call or a class
/// header.
pub fn split<'a>(items: Vec<ArgItem>) -> Result<(Vec<Expr>, Vec<Keyword>), PErr<'a>> {
    // A generator expression without its own parentheses must be the only argument.
    if items.len() > 1 {
        if let Some(ArgItem::Genexp(e)) = items.iter().find(|i| matches!(i, ArgItem::Genexp(_))) {
            return Err(fail("Generator expression must be parenthesized", e.span));
        }
    }
    let mut args = Vec::with_capacity(items.len());
    let mut keywords = Vec::new();
    let mut seen_keyword = false;
    let mut seen_double_star = false;
    for item in items {
        match item {
            ArgItem::Pos(e) | ArgItem::Genexp(e) => {
                if seen_double_star {
                    return Err(fail("positional argument follows keyword argument unpacking", e.span));
                }
                if seen_keyword {
                    return Err(fail("positional argument follows keyword argument", e.span));
                }
                args.push(e);
            }
            ArgItem::Star(e) => {
                if seen_double_star {
                    return Err(fail("iterable argument unpacking follows keyword argument unpacking", e.span));
                }
                args.push(e);
            }
            ArgItem::DoubleStar(value, span) => {
                seen_double_star = true;
                keywords.push(Keyword { arg: None, value, span });
            }
            ArgItem::Keyword(key, value, span) => {
                let ExprKind::Name(name) = key.kind else {
                    if let ExprKind::Constant(Constant::True | Constant::False | Constant::None) = key.kind {
                        return Err(fail(format!("cannot assign to {}", expr_name(&key)), key.span));
                    }
                    return Err(fail("expression cannot contain assignment, perhaps you meant \"==\"?", span));
                };
                seen_keyword = true;
                keywords.push(Keyword { arg: Some(name), value, span });
            }
        }
    }
    Ok((args, keywords))
}

pub fn call<'a>(func: Expr, items: Vec<ArgItem>, l: usize, r: usize) -> Result<Expr, PErr<'a>> {
    let (args, keywords) = split(items)?;
    Ok(Expr::new(ExprKind::Call { func: Box::new(func), args, keywords }, sp(l, r)))
}
