//! Match statements (PEP 634).
//!
//! The subject stays on the stack while the cases are tried; each case matches a
//! copy of it. A pattern consumes the value on top of the stack when it matches;
//! when it does not, it jumps to its case's failure code with some values of its
//! own still on the stack (the items of an unpacked sequence not yet looked at, a
//! mapping's keys ...). Each such jump records how many: the failure code is a run
//! of `Pop`s entered at the right place for each count, as CPython compiles it.
//!
//! Captured names are stored as soon as their sub-pattern matches, so a case that
//! fails half-way may leave some of its names bound; PEP 634 allows this.
//!
//! CPython's compile-time errors are raised here: an irrefutable case that is not
//! the last one, a name bound twice, alternatives binding different names, a
//! literal key given twice. Their location is the pattern compiled last, as in
//! CPython.

use super::{CompileError, Compiler};
use crate::bytecode::Instr;
use crate::operator::CmpOp as Cmp;
use crate::value::Value;
use conc_grammar::ast::*;
use conc_grammar::Span;

/// The state of one case's pattern while it compiles.
struct Ctx {
    /// Jumps to the failure code, with the number of values on the stack there.
    fails: Vec<(usize, u32)>,
    /// Values on the stack above the case's base (the subject's copy included).
    stack: u32,
    /// Names bound so far by the case's pattern, in order.
    bound: Vec<String>,
    /// The span of the pattern entered last (CPython's error location).
    loc: Span,
}

impl<'a> Compiler<'a> {
    pub(super) fn match_stmt(&mut self, subject: &Expr, cases: &[MatchCase]) -> Result<(), CompileError> {
        self.expr(subject)?;
        self.unit().base_depth += 1;
        let mut ends = Vec::new();
        for (i, case) in cases.iter().enumerate() {
            let last = i + 1 == cases.len();
            let saved = self.set_span(case.pattern.span);
            self.emit(Instr::Dup);
            let mut cx = Ctx { fails: Vec::new(), stack: 1, bound: Vec::new(), loc: case.pattern.span };
            // Only the last case, or one with a guard, may match everything.
            let allow_irrefutable = last || case.guard.is_some();
            self.pattern(&case.pattern, &mut cx, allow_irrefutable)?;
            if let Some(g) = &case.guard {
                for j in self.jump_if(g, false)? {
                    cx.fails.push((j, 0));
                }
            }
            self.set_span(saved);
            // The subject goes before the body runs, so `break`, `continue` and
            // `return` inside it find the stack as outside the match.
            self.emit(Instr::Pop);
            self.unit().base_depth -= 1;
            self.stmts(&case.body)?;
            self.unit().base_depth += 1;
            ends.push(self.emit(Instr::Jump(0)));
            self.fail_code(&cx.fails, 0);
        }
        self.emit(Instr::Pop);
        self.unit().base_depth -= 1;
        let end = self.here();
        self.patch_all(&ends, end);
        Ok(())
    }

    /// The failure code for `fails`: pops values until `keep` are left, entering
    /// at the `Pop` for each jump's count; falls through at the end.
    fn fail_code(&mut self, fails: &[(usize, u32)], keep: u32) {
        let top = fails.iter().map(|&(_, n)| n).max().unwrap_or(keep).max(keep);
        for n in (keep + 1..=top).rev() {
            let here = self.here();
            for &(j, _) in fails.iter().filter(|&&(_, c)| c == n) {
                self.patch(j, here);
            }
            self.emit(Instr::Pop);
        }
        let here = self.here();
        for &(j, _) in fails.iter().filter(|&&(_, c)| c <= keep) {
            self.patch(j, here);
        }
    }

    /// Emits a jump to the failure code (the instruction pops `pops` values, the
    /// failure code the rest).
    fn fail_jump(&mut self, cx: &mut Ctx, instr: Instr, pops: u32) {
        let j = self.emit(instr);
        cx.stack -= pops;
        cx.fails.push((j, cx.stack));
    }

    fn bind(&mut self, name: &str, cx: &mut Ctx) -> Result<(), CompileError> {
        if cx.bound.iter().any(|n| n == name) {
            return Err(self.error(format!("multiple assignments to name '{name}' in pattern"), cx.loc));
        }
        cx.bound.push(name.to_string());
        self.store_name(name);
        cx.stack -= 1;
        Ok(())
    }

    /// Matches the value on top of the stack against `p`, consuming it.
    fn pattern(&mut self, p: &Pattern, cx: &mut Ctx, allow_irrefutable: bool) -> Result<(), CompileError> {
        cx.loc = p.span;
        let saved = self.set_span(p.span);
        let r = self.pattern_inner(p, cx, allow_irrefutable);
        self.set_span(saved);
        r
    }

    fn pattern_inner(&mut self, p: &Pattern, cx: &mut Ctx, allow_irrefutable: bool) -> Result<(), CompileError> {
        match &p.kind {
            PatternKind::As { pattern: None, name } => {
                if !allow_irrefutable {
                    let msg = match name {
                        Some(n) => format!("name capture '{n}' makes remaining patterns unreachable"),
                        None => "wildcard makes remaining patterns unreachable".to_string(),
                    };
                    return Err(self.error(msg, p.span));
                }
                match name {
                    Some(n) => self.bind(n, cx)?,
                    None => {
                        self.emit(Instr::Pop);
                        cx.stack -= 1;
                    }
                }
            }
            PatternKind::As { pattern: Some(inner), name } => {
                self.emit(Instr::Dup);
                cx.stack += 1;
                self.pattern(inner, cx, allow_irrefutable)?;
                if let Some(n) = name {
                    self.bind(n, cx)?;
                }
            }
            PatternKind::Value(e) => {
                self.expr(e)?;
                self.emit(Instr::CompareOp(Cmp::Eq));
                self.fail_jump(cx, Instr::PopJumpIfFalse(0), 1);
            }
            PatternKind::Singleton(c) => {
                let v = match c {
                    Constant::True => Value::Bool(true),
                    Constant::False => Value::Bool(false),
                    _ => Value::None,
                };
                let c = self.const_value(v);
                self.emit(Instr::LoadConst(c));
                self.emit(Instr::CompareOp(Cmp::Is));
                self.fail_jump(cx, Instr::PopJumpIfFalse(0), 1);
            }
            PatternKind::Sequence(items) => self.sequence_pattern(items, cx)?,
            PatternKind::Mapping { keys, patterns, rest } => self.mapping_pattern(p, keys, patterns, rest, cx)?,
            PatternKind::Class { cls, patterns, kwd_attrs, kwd_patterns } => {
                self.expr(cls)?;
                let names = Value::tuple(kwd_attrs.iter().map(|a| Value::str(a)).collect());
                let k = self.const_value(names);
                self.emit(Instr::MatchClass(patterns.len() as u32, k));
                self.emit(Instr::Dup);
                cx.stack += 1;
                self.fail_jump(cx, Instr::PopJumpIfNone(0), 1);
                let n = patterns.len() + kwd_patterns.len();
                self.emit(Instr::UnpackSequence(n as u32));
                cx.stack += n as u32;
                cx.stack -= 1;
                for sub in patterns.iter().chain(kwd_patterns) {
                    self.pattern(sub, cx, true)?;
                }
            }
            PatternKind::Star(_) => {
                // Only reached inside a sequence pattern (sequence_pattern).
                return Err(self.error("can't use starred name here", p.span));
            }
            PatternKind::Or(alts) => self.or_pattern(alts, cx, allow_irrefutable)?,
        }
        Ok(())
    }

    fn sequence_pattern(&mut self, items: &[Pattern], cx: &mut Ctx) -> Result<(), CompileError> {
        let star = items.iter().position(|p| matches!(p.kind, PatternKind::Star(_)));
        self.emit(Instr::MatchSequence);
        cx.stack += 1;
        self.fail_jump(cx, Instr::PopJumpIfFalse(0), 1);
        let fixed = items.len() - star.is_some() as usize;
        // `[*_]` matches any sequence, whatever its length.
        let any_length = star.is_some() && fixed == 0;
        if !any_length {
            self.emit(Instr::GetLen);
            let n = self.const_value(Value::Int(fixed as i64));
            self.emit(Instr::LoadConst(n));
            self.emit(Instr::CompareOp(if star.is_some() { Cmp::GtE } else { Cmp::Eq }));
            cx.stack += 1;
            self.fail_jump(cx, Instr::PopJumpIfFalse(0), 1);
        }
        match star {
            None => self.emit(Instr::UnpackSequence(items.len() as u32)),
            Some(s) => self.emit(Instr::UnpackEx(s as u32, (items.len() - s - 1) as u32)),
        };
        cx.stack += items.len() as u32;
        cx.stack -= 1;
        for item in items {
            match &item.kind {
                PatternKind::Star(name) => {
                    cx.loc = item.span;
                    match name {
                        Some(n) => self.bind(n, cx)?,
                        None => {
                            self.emit(Instr::Pop);
                            cx.stack -= 1;
                        }
                    }
                }
                _ => self.pattern(item, cx, true)?,
            }
        }
        Ok(())
    }

    fn mapping_pattern(
        &mut self,
        p: &Pattern,
        keys: &[Expr],
        patterns: &[Pattern],
        rest: &Option<Ident>,
        cx: &mut Ctx,
    ) -> Result<(), CompileError> {
        self.check_literal_keys(keys, p.span)?;
        self.emit(Instr::MatchMapping);
        cx.stack += 1;
        self.fail_jump(cx, Instr::PopJumpIfFalse(0), 1);
        if keys.is_empty() && rest.is_none() {
            self.emit(Instr::Pop);
            cx.stack -= 1;
            return Ok(());
        }
        if !keys.is_empty() {
            self.emit(Instr::GetLen);
            let n = self.const_value(Value::Int(keys.len() as i64));
            self.emit(Instr::LoadConst(n));
            self.emit(Instr::CompareOp(Cmp::GtE));
            cx.stack += 1;
            self.fail_jump(cx, Instr::PopJumpIfFalse(0), 1);
        }
        for k in keys {
            self.expr(k)?;
        }
        self.emit(Instr::BuildTuple(keys.len() as u32));
        cx.stack += 1;
        if !keys.is_empty() {
            self.emit(Instr::MatchKeys);
            self.emit(Instr::Dup);
            cx.stack += 2;
            self.fail_jump(cx, Instr::PopJumpIfNone(0), 1);
            self.emit(Instr::UnpackSequence(keys.len() as u32));
            cx.stack += keys.len() as u32;
            cx.stack -= 1;
            for sub in patterns {
                self.pattern(sub, cx, true)?;
            }
        }
        // [subj keys]
        match rest {
            Some(name) => {
                self.emit(Instr::CopyDictWithoutKeys);
                self.bind(name, cx)?;
                self.emit(Instr::Pop);
                cx.stack -= 1;
            }
            None => {
                self.emit(Instr::Pop);
                self.emit(Instr::Pop);
                cx.stack -= 2;
            }
        }
        Ok(())
    }

    /// CPython refuses a literal key given twice (`{1: a, 1.0: b}`) when compiling.
    fn check_literal_keys(&mut self, keys: &[Expr], span: Span) -> Result<(), CompileError> {
        let mut seen: Vec<LiteralKey> = Vec::new();
        for k in keys {
            let Some(key) = LiteralKey::of(k) else { continue };
            if seen.iter().any(|s| s.same(&key)) {
                return Err(self.error(format!("mapping pattern checks duplicate key ({})", key.repr()), span));
            }
            seen.push(key);
        }
        Ok(())
    }

    fn or_pattern(&mut self, alts: &[Pattern], cx: &mut Ctx, allow_irrefutable: bool) -> Result<(), CompileError> {
        let outer_fails = std::mem::take(&mut cx.fails);
        let outer_bound = cx.bound.clone();
        let base = cx.stack;
        let mut first_names: Option<Vec<String>> = None;
        let mut ends = Vec::new();
        for (i, alt) in alts.iter().enumerate() {
            let last = i + 1 == alts.len();
            cx.bound = outer_bound.clone();
            self.emit(Instr::Dup);
            cx.stack = base + 1;
            self.pattern(alt, cx, allow_irrefutable && last)?;
            let mut names: Vec<String> = cx.bound[outer_bound.len()..].to_vec();
            names.sort();
            match &first_names {
                None => first_names = Some(names),
                Some(f) if *f != names => {
                    return Err(self.error("alternative patterns bind different names", cx.loc));
                }
                Some(_) => {}
            }
            // Matched: drop the subject this alternative copied.
            self.emit(Instr::Pop);
            ends.push(self.emit(Instr::Jump(0)));
            let fails = std::mem::take(&mut cx.fails);
            self.fail_code(&fails, base);
        }
        // No alternative matched: the subject is still on the stack.
        cx.fails = outer_fails;
        cx.stack = base;
        let j = self.emit(Instr::Jump(0));
        cx.fails.push((j, base));
        let end = self.here();
        self.patch_all(&ends, end);
        // `cx.bound` holds the outer names and the last alternative's, which are
        // the same as every other alternative's.
        cx.stack = base - 1;
        Ok(())
    }
}

/// A literal mapping key, compared as CPython's compiler compares them: numbers
/// by value (`1`, `1.0` and `True` are one key), strings, bytes and None.
enum LiteralKey {
    Int(i64, bool),
    Big(String),
    Float(f64),
    Str(String),
    Bytes(Vec<u8>),
    None,
}

impl LiteralKey {
    fn of(e: &Expr) -> Option<LiteralKey> {
        match &e.kind {
            ExprKind::Constant(c) => Some(match c {
                Constant::None => LiteralKey::None,
                Constant::True => LiteralKey::Int(1, true),
                Constant::False => LiteralKey::Int(0, true),
                Constant::Int(IntLiteral::Small(i)) => LiteralKey::Int(*i, false),
                Constant::Int(IntLiteral::Big { digits, radix }) => {
                    let b = num_bigint::BigInt::parse_bytes(digits.as_bytes(), *radix)?;
                    LiteralKey::Big(b.to_string())
                }
                Constant::Float(f) => LiteralKey::Float(*f),
                Constant::Str(s) => LiteralKey::Str(s.clone()),
                Constant::Bytes(b) => LiteralKey::Bytes(b.clone()),
                Constant::Ellipsis => return None,
            }),
            ExprKind::UnaryOp { op: UnaryOp::USub, operand } => match LiteralKey::of(operand)? {
                LiteralKey::Int(i, _) => {
                    Some(i.checked_neg().map_or(LiteralKey::Big(format!("-{i}")), |n| LiteralKey::Int(n, false)))
                }
                LiteralKey::Big(s) => Some(LiteralKey::Big(format!("-{s}"))),
                LiteralKey::Float(f) => Some(LiteralKey::Float(-f)),
                _ => None,
            },
            _ => None,
        }
    }

    fn same(&self, other: &LiteralKey) -> bool {
        use LiteralKey::*;
        match (self, other) {
            (Int(a, _), Int(b, _)) => a == b,
            (Int(a, _), Float(f)) | (Float(f), Int(a, _)) => *a as f64 == *f && f.fract() == 0.0,
            (Float(a), Float(b)) => a == b,
            (Big(a), Big(b)) => a == b,
            (Str(a), Str(b)) => a == b,
            (Bytes(a), Bytes(b)) => a == b,
            (None, None) => true,
            _ => false,
        }
    }

    fn repr(&self) -> String {
        match self {
            LiteralKey::Int(1, true) => "True".into(),
            LiteralKey::Int(0, true) => "False".into(),
            LiteralKey::Int(i, _) => i.to_string(),
            LiteralKey::Big(s) => s.clone(),
            LiteralKey::Float(f) => crate::builtins::format::float_repr(*f),
            LiteralKey::Str(s) => crate::builtins::repr::str_repr(s),
            LiteralKey::Bytes(b) => crate::builtins::repr::bytes_repr(b),
            LiteralKey::None => "None".into(),
        }
    }
}
