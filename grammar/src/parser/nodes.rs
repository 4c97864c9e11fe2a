//! Constructors for AST nodes called from the grammar's actions: spans, statements
//! whose span ends with their last body statement, and the checks CPython makes on
//! assignments, annotations and string concatenation.

use super::targets::{self, expr_name, invalid_target, TargetKind};
use super::{user, PErr};
use crate::ast::*;
use crate::error::{SyntaxError, SyntaxErrorKind};
use crate::lexer::tokens::StrValue;
use crate::span::Span;

#[inline]
pub fn sp(l: usize, r: usize) -> Span {
    Span::new(l, r)
}

fn fail<'a>(message: impl Into<String>, span: Span) -> PErr<'a> {
    user(SyntaxError::new(SyntaxErrorKind::SyntaxError, message, span))
}

pub fn constant(c: Constant, l: usize, r: usize) -> Expr {
    Expr::new(ExprKind::Constant(c), sp(l, r))
}

pub fn binop(left: Expr, op: BinOp, right: Expr, l: usize, r: usize) -> Expr {
    Expr::new(ExprKind::BinOp { left: Box::new(left), op, right: Box::new(right) }, sp(l, r))
}

pub fn unary(op: UnaryOp, operand: Expr, l: usize, r: usize) -> Expr {
    Expr::new(ExprKind::UnaryOp { op, operand: Box::new(operand) }, sp(l, r))
}

pub fn boolop(op: BoolOp, first: Expr, rest: Vec<Expr>, l: usize, r: usize) -> Expr {
    let mut values = Vec::with_capacity(rest.len() + 1);
    values.push(first);
    values.extend(rest);
    Expr::new(ExprKind::BoolOp { op, values }, sp(l, r))
}

pub fn compare(left: Expr, rest: Vec<(CmpOp, Expr)>, l: usize, r: usize) -> Expr {
    let (ops, comparators) = rest.into_iter().unzip();
    Expr::new(ExprKind::Compare { left: Box::new(left), ops, comparators }, sp(l, r))
}

/// `a` stays `a`; `a,` and `a, b` become a tuple.
pub fn tuple_or_single((mut items, trailing): (Vec<Expr>, bool), l: usize, r: usize) -> Expr {
    if items.len() == 1 && !trailing {
        return items.pop().expect("one item");
    }
    Expr::new(ExprKind::Tuple(items), sp(l, r))
}

/// A subscript: `a[i]` holds `i`, `a[i, j]` and `a[*i]` (as in CPython) a tuple.
pub fn subscript((mut items, trailing): (Vec<Expr>, bool), l: usize, r: usize) -> Expr {
    if items.len() == 1 && !trailing && !matches!(items[0].kind, ExprKind::Starred(_)) {
        return items.pop().expect("one item");
    }
    Expr::new(ExprKind::Tuple(items), sp(l, r))
}

/// `(x)` is `x` itself (keeping its own span, as in CPython); `(x,)` is a tuple whose
/// span includes the parentheses.
pub fn parenthesised<'a>((mut items, trailing): (Vec<Expr>, bool), l: usize, r: usize) -> Result<Expr, PErr<'a>> {
    if items.len() == 1 && !trailing {
        let e = items.pop().expect("one item");
        if matches!(e.kind, ExprKind::Starred(_)) {
            return Err(fail("cannot use starred expression here", e.span));
        }
        return Ok(e);
    }
    Ok(Expr::new(ExprKind::Tuple(items), sp(l, r)))
}

pub fn delete<'a>(items: Vec<Expr>, l: usize, r: usize) -> Result<Stmt, PErr<'a>> {
    let items = items.into_iter().map(|t| targets::check(t, TargetKind::Del)).collect::<Result<Vec<_>, _>>()?;
    Ok(Stmt::new(StmtKind::Delete(items), sp(l, r)))
}

/// `t1 = t2 = ... = value`, with CPython's choice of message for a bad target: the
/// "Maybe you meant '=='" form only for a single plain expression target.
pub fn assign<'a>(first: Expr, mut rest: Vec<Expr>, l: usize, r: usize) -> Result<Stmt, PErr<'a>> {
    let value = rest.pop().expect("at least one `= value`");
    let mut all = Vec::with_capacity(rest.len() + 1);
    all.push(first);
    all.extend(rest);
    if all.len() == 1 {
        let t = &all[0];
        let excluded = matches!(
            t.kind,
            ExprKind::List(_)
                | ExprKind::Tuple(_)
                | ExprKind::GeneratorExp { .. }
                | ExprKind::Constant(Constant::True | Constant::False | Constant::None)
        );
        if !excluded
            && targets::is_bitwise_or(t)
            && targets::starts_with_bitwise_or(&value)
            && invalid_target(t, TargetKind::Star).is_some()
        {
            return Err(fail(
                format!("cannot assign to {} here. Maybe you meant '==' instead of '='?", expr_name(t)),
                t.span,
            ));
        }
    }
    let mut checked = Vec::with_capacity(all.len());
    for t in all {
        checked.push(targets::check(t, TargetKind::Star)?);
    }
    Ok(Stmt::new(StmtKind::Assign { targets: checked, value }, sp(l, r)))
}

pub fn yield_assign<'a>(t: &Expr) -> PErr<'a> {
    fail("assignment to yield expression not possible", t.span)
}

pub fn aug_assign<'a>(target: Expr, op: BinOp, value: Expr, l: usize, r: usize) -> Result<Stmt, PErr<'a>> {
    if !matches!(target.kind, ExprKind::Name(_) | ExprKind::Attribute { .. } | ExprKind::Subscript { .. }) {
        return Err(fail(
            format!("'{}' is an illegal expression for augmented assignment", expr_name(&target)),
            target.span,
        ));
    }
    Ok(Stmt::new(StmtKind::AugAssign { target, op, value }, sp(l, r)))
}

pub fn ann_assign<'a>(
    target: Expr,
    annotation: Expr,
    value: Option<Expr>,
    l: usize,
    r: usize,
) -> Result<Stmt, PErr<'a>> {
    match target.kind {
        ExprKind::Name(_) | ExprKind::Attribute { .. } | ExprKind::Subscript { .. } => {}
        ExprKind::Tuple(_) => return Err(fail("only single target (not tuple) can be annotated", target.span)),
        ExprKind::List(_) => return Err(fail("only single target (not list) can be annotated", target.span)),
        _ => return Err(fail("illegal target for annotation", target.span)),
    }
    // A parenthesised name (`(x): int`) starts after the statement does.
    let simple = matches!(target.kind, ExprKind::Name(_)) && target.span.start as usize == l;
    Ok(Stmt::new(StmtKind::AnnAssign { target, annotation, value, simple }, sp(l, r)))
}

pub fn import_from(dots: Vec<u32>, module: Option<String>, names: ImportNames, l: usize, r: usize) -> Stmt {
    let level = dots.iter().sum();
    Stmt::new(StmtKind::ImportFrom { module, names, level }, sp(l, r))
}

/// A syntax error located at `l..r`.
pub fn fail_at<'a>(message: &str, l: usize, r: usize) -> PErr<'a> {
    fail(message, sp(l, r))
}

pub fn unparenthesised_except<'a>(first: &Expr, more: &[Expr]) -> PErr<'a> {
    let end = more.last().map_or(first.span, |e| e.span);
    fail("multiple exception types must be parenthesized", first.span.to(end))
}

/// The end of a compound statement: the end of its last nested statement.
fn body_end(kind: &StmtKind) -> Option<u32> {
    let last = |v: &Vec<Stmt>| v.last().map(|s| s.span.end);
    match kind {
        StmtKind::If { body, orelse, .. }
        | StmtKind::While { body, orelse, .. }
        | StmtKind::For { body, orelse, .. } => last(orelse).or_else(|| last(body)),
        StmtKind::Try { body, handlers, orelse, finalbody } => last(finalbody)
            .or_else(|| last(orelse))
            .or_else(|| handlers.last().and_then(|h| last(&h.body)))
            .or_else(|| last(body)),
        StmtKind::With { body, .. } => last(body),
        StmtKind::FunctionDef(f) => last(&f.body),
        StmtKind::ClassDef(c) => last(&c.body),
        StmtKind::Match { cases, .. } => cases.last().and_then(|c| last(&c.body)),
        _ => None,
    }
}

pub fn compound(kind: StmtKind, l: usize) -> Stmt {
    let end = body_end(&kind).map_or(l, |e| e as usize);
    Stmt::new(kind, sp(l, end))
}

pub fn if_chain(
    l: usize,
    test: Expr,
    body: Vec<Stmt>,
    elifs: Vec<(usize, Expr, Vec<Stmt>)>,
    orelse: Option<Vec<Stmt>>,
) -> Stmt {
    let mut orelse = orelse.unwrap_or_default();
    for (el, t, b) in elifs.into_iter().rev() {
        orelse = vec![compound(StmtKind::If { test: t, body: b, orelse }, el)];
    }
    compound(StmtKind::If { test, body, orelse }, l)
}

pub fn function(
    name: Ident,
    name_span: Span,
    params: Parameters,
    returns: Option<Expr>,
    body: Vec<Stmt>,
    l: usize,
) -> Stmt {
    let def = FunctionDef { name, params, body, decorators: Vec::new(), returns, is_async: false, name_span };
    compound(StmtKind::FunctionDef(Box::new(def)), l)
}

pub fn class<'a>(
    name: Ident,
    name_span: Span,
    args: Vec<super::ArgItem>,
    body: Vec<Stmt>,
    l: usize,
) -> Result<Stmt, PErr<'a>> {
    let (bases, keywords) = super::calls::split(args)?;
    let def = ClassDef { name, bases, keywords, body, decorators: Vec::new(), name_span };
    Ok(compound(StmtKind::ClassDef(Box::new(def)), l))
}

pub fn make_async(mut s: Stmt, l: usize) -> Stmt {
    match &mut s.kind {
        StmtKind::FunctionDef(f) => f.is_async = true,
        StmtKind::For { is_async, .. } | StmtKind::With { is_async, .. } => *is_async = true,
        _ => {}
    }
    s.span.start = l as u32;
    s
}

/// Attaches decorators; the statement's span stays that of the `def` or `class`, as
/// CPython's line numbers do.
pub fn decorate(mut s: Stmt, decorators: Vec<Expr>, _l: usize) -> Stmt {
    match &mut s.kind {
        StmtKind::FunctionDef(f) => f.decorators = decorators,
        StmtKind::ClassDef(c) => c.decorators = decorators,
        _ => {}
    }
    s
}

/// Joins adjacent string literals: plain ones into one constant, any f-string among
/// them into a JoinedStr. Bytes cannot be mixed with the others.
pub fn strings<'a>(source: &str, parts: Vec<(usize, StrValue, usize)>, l: usize, r: usize) -> Result<Expr, PErr<'a>> {
    let span = sp(l, r);
    let bytes = parts.iter().filter(|p| matches!(p.1, StrValue::Bytes(_))).count();
    if bytes > 0 && bytes < parts.len() {
        return Err(fail("cannot mix bytes and nonbytes literals", span));
    }
    if bytes > 0 {
        let mut out = Vec::new();
        for (_, p, _) in parts {
            if let StrValue::Bytes(b) = p {
                out.extend(b);
            }
        }
        return Ok(Expr::new(ExprKind::Constant(Constant::Bytes(out)), span));
    }
    let has_fstring = parts.iter().any(|p| matches!(p.1, StrValue::FString { .. }));
    if !has_fstring {
        let mut iter = parts.into_iter();
        let mut out = match iter.next() {
            Some((_, StrValue::Str(s), _)) => s,
            _ => String::new(),
        };
        for (_, p, _) in iter {
            if let StrValue::Str(s) = p {
                out.push_str(&s);
            }
        }
        return Ok(Expr::new(ExprKind::Constant(Constant::Str(out)), span));
    }
    let mut joined: Vec<FStringPart> = Vec::new();
    for (_, p, _) in parts {
        match p {
            StrValue::Str(s) => crate::fstring::push_literal(&mut joined, s),
            StrValue::FString { body_start, body_end, raw } => {
                for part in crate::fstring::parse(source, body_start, body_end, raw).map_err(user)? {
                    match part {
                        FStringPart::Literal(s) => crate::fstring::push_literal(&mut joined, s),
                        field => joined.push(field),
                    }
                }
            }
            StrValue::Bytes(_) => {}
        }
    }
    Ok(Expr::new(ExprKind::JoinedStr(joined), span))
}
