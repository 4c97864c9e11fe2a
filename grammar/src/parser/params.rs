//! Builds `Parameters` from the flat list of items the grammar parsed, checking their
//! order with CPython's messages (`non-default argument follows default argument`,
//! `/ must be ahead of *`, ...).

use super::{user, PErr, ParamItem};
use crate::ast::Parameters;
use crate::error::{SyntaxError, SyntaxErrorKind};
use crate::span::Span;

fn fail<'a>(message: &str, span: Span) -> PErr<'a> {
    user(SyntaxError::new(SyntaxErrorKind::SyntaxError, message, span))
}

pub fn build<'a>(items: Vec<ParamItem>) -> Result<Parameters, PErr<'a>> {
    let mut p = Parameters::default();
    let mut seen_star = false;
    let mut seen_slash = false;
    let mut seen_default = false;
    let mut bare_star: Option<Span> = None;
    for item in items {
        if let Some(kw) = &p.kwarg {
            let span = match &item {
                ParamItem::Plain(q, _) => q.span,
                ParamItem::Star(_, s)
                | ParamItem::DoubleStar(_, s)
                | ParamItem::Slash(s)
                | ParamItem::BadDefault(_, s) => *s,
            };
            let _ = kw;
            return Err(fail("arguments cannot follow var-keyword argument", span));
        }
        match item {
            ParamItem::Plain(mut param, default) => {
                if seen_star {
                    param.default = default;
                    p.kwonly.push(param);
                } else {
                    if default.is_none() && seen_default {
                        return Err(fail("non-default argument follows default argument", param.span));
                    }
                    seen_default |= default.is_some();
                    param.default = default;
                    p.args.push(param);
                }
            }
            ParamItem::Star(param, span) => {
                if seen_star {
                    return Err(fail("* argument may appear only once", span));
                }
                seen_star = true;
                if param.is_none() {
                    bare_star = Some(span);
                }
                p.vararg = param;
            }
            ParamItem::DoubleStar(param, _) => p.kwarg = Some(param),
            ParamItem::Slash(span) => {
                if seen_star {
                    return Err(fail("/ must be ahead of *", span));
                }
                if seen_slash {
                    return Err(fail("/ may appear only once", span));
                }
                if p.args.is_empty() {
                    return Err(fail("at least one argument must precede /", span));
                }
                seen_slash = true;
                p.posonly = std::mem::take(&mut p.args);
            }
            ParamItem::BadDefault(message, span) => return Err(fail(message, span)),
        }
    }
    if let Some(span) = bare_star {
        if p.kwonly.is_empty() {
            return Err(fail("named arguments must follow bare *", span));
        }
    }
    check_duplicates(&p)?;
    Ok(p)
}

/// `def f(a, a)`: CPython reports this from its symbol table; doing it here keeps the
/// compiler free of the check.
fn check_duplicates<'a>(p: &Parameters) -> Result<(), PErr<'a>> {
    // A set keeps this linear: a `def` may have 100,000 parameters.
    let mut seen = std::collections::HashSet::new();
    for a in p.posonly.iter().chain(&p.args).chain(&p.vararg).chain(&p.kwonly).chain(&p.kwarg) {
        if !seen.insert(a.name.as_str()) {
            return Err(fail(&format!("duplicate argument '{}' in function definition", a.name), a.span));
        }
    }
    Ok(())
}
