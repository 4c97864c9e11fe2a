//! Builders and checks for match statements and their patterns (PEP 634). The checks
//! here are the ones that need only the shape of one pattern; those about names and
//! reachability across a whole case are the compiler's (`compiler/matching.rs`).

use super::{nodes as b, user, PErr};
use crate::ast::*;
use crate::error::{SyntaxError, SyntaxErrorKind};
use crate::span::Span;

fn fail<'a>(message: impl Into<String>, span: Span) -> PErr<'a> {
    user(SyntaxError::new(SyntaxErrorKind::SyntaxError, message, span))
}

fn pattern(kind: PatternKind, l: usize, r: usize) -> Pattern {
    Pattern { kind, span: b::sp(l, r) }
}

/// One argument of a class pattern before the check on their order.
pub enum ClassArg {
    Pos(Pattern),
    /// `name=pattern`.
    Keyword(String, Pattern),
}

pub fn match_stmt(subject: Expr, cases: Vec<MatchCase>, l: usize) -> Stmt {
    let end = cases.last().and_then(|c| c.body.last()).map_or(l, |s| s.span.end as usize);
    Stmt::new(StmtKind::Match { subject, cases }, b::sp(l, end))
}

/// The subject: one named expression, or a tuple of them that may hold starred
/// items (`match *a, b:`); a lone `*a` is refused, as CPython does.
pub fn subject<'a>(t: (Vec<Expr>, bool), l: usize, r: usize) -> Result<Expr, PErr<'a>> {
    if t.0.len() == 1 && !t.1 {
        if let ExprKind::Starred(_) = t.0[0].kind {
            return Err(fail("invalid syntax", Span::new(r, r)));
        }
    }
    Ok(b::tuple_or_single(t, l, r))
}

pub fn sequence<'a>(items: Vec<Pattern>, l: usize, r: usize) -> Result<Pattern, PErr<'a>> {
    let stars = items.iter().filter(|p| matches!(p.kind, PatternKind::Star(_))).count();
    if stars > 1 {
        return Err(fail("multiple starred names in sequence pattern", b::sp(l, r)));
    }
    Ok(pattern(PatternKind::Sequence(items), l, r))
}

pub fn star(name: &str, l: usize, r: usize) -> Pattern {
    let name = (name != "_").then(|| name.to_string());
    pattern(PatternKind::Star(name), l, r)
}

pub fn as_pattern<'a>(p: Pattern, name: &str, name_span: Span, l: usize, r: usize) -> Result<Pattern, PErr<'a>> {
    if name == "_" {
        return Err(fail("cannot use '_' as a target", name_span));
    }
    Ok(pattern(PatternKind::As { pattern: Some(Box::new(p)), name: Some(name.to_string()) }, l, r))
}

pub fn or(first: Pattern, rest: Vec<Pattern>, l: usize, r: usize) -> Pattern {
    let mut alts = vec![first];
    alts.extend(rest);
    pattern(PatternKind::Or(alts), l, r)
}

/// A literal pattern: None, True and False compare by identity, the rest by `==`.
/// An f-string is not a literal.
pub fn literal<'a>(e: Expr, l: usize, r: usize) -> Result<Pattern, PErr<'a>> {
    let kind = match &e.kind {
        ExprKind::Constant(c @ (Constant::None | Constant::True | Constant::False)) => {
            PatternKind::Singleton(c.clone())
        }
        ExprKind::JoinedStr(_) => {
            return Err(fail("patterns may only match literals and attribute lookups", e.span));
        }
        _ => PatternKind::Value(e),
    };
    Ok(pattern(kind, l, r))
}

/// A bare name captures (`_` is the wildcard); a dotted name is a value.
pub fn name_or_value(e: Expr, l: usize, r: usize) -> Pattern {
    let kind = match e.kind {
        ExprKind::Name(n) if n == "_" => PatternKind::As { pattern: None, name: None },
        ExprKind::Name(n) => PatternKind::As { pattern: None, name: Some(n) },
        _ => PatternKind::Value(e),
    };
    pattern(kind, l, r)
}

/// conc has no complex numbers, so `1 + 2j` cannot be written; `a + b` with real
/// numbers gets CPython's message, located at the right-hand number.
pub fn complex_literal<'a>(right: Expr, _l: usize, _r: usize) -> Result<Expr, PErr<'a>> {
    Err(fail("imaginary number required in complex literal", right.span))
}

pub fn class<'a>(cls: Expr, args: Vec<ClassArg>, l: usize, r: usize) -> Result<Pattern, PErr<'a>> {
    let mut patterns = Vec::new();
    let mut kwd_attrs: Vec<Ident> = Vec::new();
    let mut kwd_patterns = Vec::new();
    for a in args {
        match a {
            ClassArg::Pos(p) => {
                if !kwd_attrs.is_empty() {
                    return Err(fail("positional patterns follow keyword patterns", p.span));
                }
                patterns.push(p);
            }
            ClassArg::Keyword(name, p) => {
                if kwd_attrs.contains(&name) {
                    return Err(fail(format!("attribute name repeated in class pattern: {name}"), p.span));
                }
                kwd_attrs.push(name);
                kwd_patterns.push(p);
            }
        }
    }
    Ok(pattern(PatternKind::Class { cls, patterns, kwd_attrs, kwd_patterns }, l, r))
}

/// A mapping key is a literal or a dotted value; `**_` is refused.
pub fn mapping_key<'a>(e: Expr) -> Result<Expr, PErr<'a>> {
    if let ExprKind::Name(_) = e.kind {
        // CPython points at what follows the name.
        let end = e.span.end as usize;
        return Err(fail("invalid syntax", Span::new(end, end + 1)));
    }
    Ok(e)
}

type MappingItems = (Vec<(Expr, Pattern)>, Option<(String, usize, usize)>);

pub fn mapping<'a>((items, rest): MappingItems, l: usize, r: usize) -> Result<Pattern, PErr<'a>> {
    if let Some((name, nl, nr)) = &rest {
        if name == "_" {
            return Err(fail("invalid syntax", b::sp(*nl, *nr)));
        }
    }
    for (k, _) in &items {
        if let ExprKind::JoinedStr(_) = k.kind {
            return Err(fail("patterns may only match literals and attribute lookups", k.span));
        }
    }
    let (keys, patterns) = items.into_iter().unzip();
    Ok(pattern(PatternKind::Mapping { keys, patterns, rest: rest.map(|r| r.0) }, l, r))
}
