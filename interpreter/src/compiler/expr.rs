//! Expressions.

use super::scope::{ScopeKind, Sym};
use super::{CompileError, Compiler};
use crate::bytecode::Instr;
use crate::value::{Object, Value};
use conc_grammar::ast::*;

impl<'a> Compiler<'a> {
    pub(super) fn expr(&mut self, e: &Expr) -> Result<(), CompileError> {
        let saved = self.set_span(e.span);
        let r = self.expr_inner(e);
        self.set_span(saved);
        r
    }

    /// The constant value of a literal, or None.
    fn constant(&mut self, c: &Constant, span: conc_grammar::Span) -> Result<Value, CompileError> {
        Ok(match c {
            Constant::None => Value::None,
            Constant::True => Value::Bool(true),
            Constant::False => Value::Bool(false),
            Constant::Ellipsis => crate::interp::interp().ellipsis.clone(),
            Constant::Int(IntLiteral::Small(i)) => Value::Int(*i),
            Constant::Int(IntLiteral::Big { digits, radix }) => {
                let limit = crate::interp::INT_MAX_STR_DIGITS.load(std::sync::atomic::Ordering::Relaxed);
                if *radix == 10 && limit > 0 && digits.len() > limit {
                    let msg = format!(
                        "Exceeds the limit ({limit} digits) for integer string conversion: value has {} digits; \
                         use sys.set_int_max_str_digits() to increase the limit - Consider hexadecimal for huge \
                         integer literals to avoid decimal conversion limits.",
                        digits.len()
                    );
                    return Err(self.error(msg, span));
                }
                match num_bigint::BigInt::parse_bytes(digits.as_bytes(), *radix) {
                    Some(b) => crate::value::int::normalize(b),
                    None => return Err(self.error("invalid integer literal", span)),
                }
            }
            Constant::Float(f) => Value::Float(*f),
            Constant::Str(s) => Value::str(s),
            Constant::Bytes(b) => Value::new(Object::Bytes(b.clone().into_boxed_slice())),
        })
    }

    /// A tuple of constants, if every element is a literal.
    fn const_tuple(&mut self, items: &[Expr]) -> Result<Option<Value>, CompileError> {
        let mut out = Vec::with_capacity(items.len());
        for i in items {
            match &i.kind {
                ExprKind::Constant(c) => out.push(self.constant(c, i.span)?),
                _ => return Ok(None),
            }
        }
        Ok(Some(Value::tuple(out)))
    }

    fn expr_inner(&mut self, e: &Expr) -> Result<(), CompileError> {
        match &e.kind {
            ExprKind::Name(n) => self.load_name(n),
            ExprKind::Constant(c) => {
                let v = self.constant(c, e.span)?;
                let i = self.const_value(v);
                self.emit(Instr::LoadConst(i));
            }
            ExprKind::JoinedStr(parts) => self.joined_str(parts)?,
            ExprKind::BoolOp { op, values } => {
                let mut jumps = Vec::new();
                for (i, v) in values.iter().enumerate() {
                    self.expr(v)?;
                    if i + 1 < values.len() {
                        jumps.push(self.emit(match op {
                            BoolOp::And => Instr::JumpIfFalseOrPop(0),
                            BoolOp::Or => Instr::JumpIfTrueOrPop(0),
                        }));
                    }
                }
                let end = self.here();
                self.patch_all(&jumps, end);
            }
            ExprKind::NamedExpr { target, value } => {
                self.expr(value)?;
                self.emit(Instr::Dup);
                self.store_name(target);
            }
            ExprKind::BinOp { left, op, right } => {
                // `local op local` and `local op constant` read their operands in
                // place: one instruction instead of three, and no counts.
                if let Some((a, b, is_const)) = self.fast_operands(left, right)? {
                    self.emit(if is_const {
                        Instr::BinaryOpFastConst(a, b, (*op).into())
                    } else {
                        Instr::BinaryOpFastFast(a, b, (*op).into())
                    });
                    return Ok(());
                }
                self.expr(left)?;
                self.expr(right)?;
                self.emit(Instr::BinaryOp((*op).into()));
            }
            ExprKind::UnaryOp { op, operand } => {
                // Fold `-literal` so that `-5` is one constant.
                if let (UnaryOp::USub, ExprKind::Constant(Constant::Int(IntLiteral::Small(i)))) = (op, &operand.kind) {
                    if let Some(n) = i.checked_neg() {
                        let c = self.const_value(Value::Int(n));
                        self.emit(Instr::LoadConst(c));
                        return Ok(());
                    }
                }
                if let (UnaryOp::USub, ExprKind::Constant(Constant::Float(f))) = (op, &operand.kind) {
                    let c = self.const_value(Value::Float(-f));
                    self.emit(Instr::LoadConst(c));
                    return Ok(());
                }
                self.expr(operand)?;
                self.emit(match op {
                    UnaryOp::Invert => Instr::UnaryInvert,
                    UnaryOp::Not => Instr::UnaryNot,
                    UnaryOp::UAdd => Instr::UnaryPos,
                    UnaryOp::USub => Instr::UnaryNeg,
                });
            }
            ExprKind::Lambda { params, body } => self.lambda(e, params, body)?,
            ExprKind::IfExp { test, body, orelse } => {
                let jf = self.jump_if(test, false)?;
                self.expr(body)?;
                let je = self.emit(Instr::Jump(0));
                let else_at = self.here();
                self.patch_all(&jf, else_at);
                self.expr(orelse)?;
                let end = self.here();
                self.patch(je, end);
            }
            ExprKind::Dict(items) => {
                if items.iter().any(|(k, _)| k.is_none()) {
                    self.emit(Instr::BuildMap(0));
                    for (k, v) in items {
                        match k {
                            Some(k) => {
                                self.expr(k)?;
                                self.expr(v)?;
                                self.emit(Instr::MapAdd(1));
                            }
                            None => {
                                self.expr(v)?;
                                self.emit(Instr::DictUpdate(1));
                            }
                        }
                    }
                } else {
                    for (k, v) in items {
                        if let Some(k) = k {
                            self.expr(k)?;
                        }
                        self.expr(v)?;
                    }
                    self.emit(Instr::BuildMap(items.len() as u32));
                }
            }
            ExprKind::Set(items) => self.sequence(items, SeqKind::Set)?,
            ExprKind::List(items) => self.sequence(items, SeqKind::List)?,
            ExprKind::Tuple(items) => {
                if let Some(t) = self.const_tuple(items)? {
                    let c = self.const_value(t);
                    self.emit(Instr::LoadConst(c));
                    return Ok(());
                }
                self.sequence(items, SeqKind::Tuple)?
            }
            ExprKind::ListComp { .. }
            | ExprKind::SetComp { .. }
            | ExprKind::DictComp { .. }
            | ExprKind::GeneratorExp { .. } => self.comprehension(e)?,
            ExprKind::Await(v) => {
                if !self.scope().is_function_like() {
                    return Err(self.error("'await' outside function", e.span));
                }
                if !self.in_async_function() {
                    return Err(self.error("'await' outside async function", e.span));
                }
                self.expr(v)?;
                self.emit(Instr::GetAwaitable(0));
                self.yield_from_loop();
            }
            ExprKind::Yield(v) => {
                if !self.scope().is_function_like() {
                    return Err(self.error("'yield' outside function", e.span));
                }
                match v {
                    Some(v) => self.expr(v)?,
                    None => {
                        let c = self.const_value(Value::None);
                        self.emit(Instr::LoadConst(c));
                    }
                }
                if self.scope().is_coroutine {
                    self.emit(Instr::AsyncGenWrap);
                }
                self.emit(Instr::YieldValue);
            }
            ExprKind::YieldFrom(v) => {
                if !self.scope().is_function_like() {
                    return Err(self.error("'yield' outside function", e.span));
                }
                if self.scope().is_coroutine {
                    return Err(self.error("'yield from' inside async function", e.span));
                }
                self.expr(v)?;
                self.emit(Instr::GetYieldFromIter);
                self.yield_from_loop();
            }
            ExprKind::Compare { left, ops, comparators } => {
                self.expr(left)?;
                if ops.len() == 1 {
                    self.expr(&comparators[0])?;
                    self.emit(Instr::CompareOp(ops[0].into()));
                } else {
                    let mut cleanup = Vec::new();
                    for (i, (op, c)) in ops.iter().zip(comparators).enumerate() {
                        self.expr(c)?;
                        if i + 1 < ops.len() {
                            self.emit(Instr::Dup);
                            self.emit(Instr::Rot3);
                            self.emit(Instr::CompareOp((*op).into()));
                            cleanup.push(self.emit(Instr::JumpIfFalseOrPop(0)));
                        } else {
                            self.emit(Instr::CompareOp((*op).into()));
                        }
                    }
                    let je = self.emit(Instr::Jump(0));
                    let c = self.here();
                    self.patch_all(&cleanup, c);
                    self.emit(Instr::Rot2);
                    self.emit(Instr::Pop);
                    let end = self.here();
                    self.patch(je, end);
                }
            }
            ExprKind::Call { func, args, keywords } => self.call(func, args, keywords)?,
            ExprKind::Attribute { value, attr, .. } => {
                if let ExprKind::Name(n) = &value.kind {
                    if let Some(a) = self.fast_local(n) {
                        let i = self.name_index(attr);
                        self.emit(Instr::LoadFastAttr(a, i));
                        return Ok(());
                    }
                }
                self.expr(value)?;
                let i = self.name_index(attr);
                self.emit(Instr::LoadAttr(i));
            }
            ExprKind::Subscript { value, slice } => {
                if let ExprKind::Name(n) = &value.kind {
                    if let Some(a) = self.fast_local(n) {
                        match &slice.kind {
                            ExprKind::Constant(Constant::Int(IntLiteral::Small(k))) => {
                                let c = self.const_value(Value::Int(*k));
                                self.emit(Instr::SubscrFastConst(a, c));
                                return Ok(());
                            }
                            ExprKind::Name(m) => {
                                if let Some(b) = self.fast_local(m) {
                                    self.emit(Instr::SubscrFastFast(a, b));
                                    return Ok(());
                                }
                            }
                            _ => {}
                        }
                    }
                }
                self.expr(value)?;
                self.subscript_key(slice)?;
                self.emit(Instr::Subscript);
            }
            ExprKind::Starred(_) => return Err(self.error("can't use starred expression here", e.span)),
            ExprKind::Slice { .. } => self.subscript_key(e)?,
        }
        Ok(())
    }

    /// `yield from` / `await` over the iterator on the stack.
    pub(super) fn yield_from_loop(&mut self) {
        let c = self.const_value(Value::None);
        self.emit(Instr::LoadConst(c));
        let start = self.here();
        let send = self.emit(Instr::Send(0));
        self.emit(Instr::YieldValue);
        self.emit(Instr::Jump(start as u32));
        let end = self.here();
        self.patch(send, end);
    }

    /// The key of a subscript: slices become slice objects.
    pub(super) fn subscript_key(&mut self, key: &Expr) -> Result<(), CompileError> {
        match &key.kind {
            ExprKind::Slice { lower, upper, step } => {
                for part in [lower, upper] {
                    match part {
                        Some(p) => self.expr(p)?,
                        None => {
                            let c = self.const_value(Value::None);
                            self.emit(Instr::LoadConst(c));
                        }
                    }
                }
                match step {
                    Some(s) => {
                        self.expr(s)?;
                        self.emit(Instr::BuildSlice(3));
                    }
                    None => {
                        self.emit(Instr::BuildSlice(2));
                    }
                }
                Ok(())
            }
            ExprKind::Tuple(items) if items.iter().any(|i| matches!(i.kind, ExprKind::Slice { .. })) => {
                for i in items {
                    self.subscript_key(i)?;
                }
                self.emit(Instr::BuildTuple(items.len() as u32));
                Ok(())
            }
            _ => self.expr(key),
        }
    }

    fn joined_str(&mut self, parts: &[FStringPart]) -> Result<(), CompileError> {
        if parts.is_empty() {
            let c = self.const_str("");
            self.emit(Instr::LoadConst(c));
            return Ok(());
        }
        // Inside a BuildString, FormatValue may leave an int for BuildString to
        // write into the result (flag 8): no str object per field.
        let joined = if parts.len() > 1 { 8 } else { 0 };
        for p in parts {
            match p {
                FStringPart::Literal(s) => {
                    let c = self.const_value(Value::str(s));
                    self.emit(Instr::LoadConst(c));
                }
                FStringPart::Field { expr, conversion, format_spec } => {
                    self.expr(expr)?;
                    let mut flags = joined
                        | match conversion {
                            None => 0,
                            Some(Conversion::Str) => 1,
                            Some(Conversion::Repr) => 2,
                            Some(Conversion::Ascii) => 3,
                        };
                    if let Some(spec) = format_spec {
                        self.joined_str(spec)?;
                        flags |= 4;
                    }
                    self.emit(Instr::FormatValue(flags));
                }
            }
        }
        if parts.len() > 1 {
            self.emit(Instr::BuildString(parts.len() as u32));
        }
        Ok(())
    }

    fn sequence(&mut self, items: &[Expr], kind: SeqKind) -> Result<(), CompileError> {
        let has_star = items.iter().any(|i| matches!(i.kind, ExprKind::Starred(_)));
        // (`-1` is a constant too: CPython folds it before looking.)
        let constant = |e: &Expr| match &e.kind {
            ExprKind::Constant(_) => true,
            ExprKind::UnaryOp { op: UnaryOp::USub, operand } => {
                matches!(operand.kind, ExprKind::Constant(Constant::Int(_) | Constant::Float(_)))
            }
            _ => false,
        };
        if matches!(kind, SeqKind::Set) && items.len() >= 3 && items.iter().all(constant) {
            // CPython folds a display of three or more constants into a frozenset
            // constant (built from the items as written, then rebuilt in its own
            // order when the code's constants are merged) and copies that into a new
            // set with `set_merge`. The order printed is that of those tables, so
            // build the same three: a set of the items, a set of its items in its
            // order, and a merge of that into a new set.
            for i in items {
                self.expr(i)?;
            }
            self.emit(Instr::BuildSet(items.len() as u32));
            self.emit(Instr::BuildList(0));
            self.emit(Instr::Rot2);
            self.emit(Instr::ListExtend(1));
            self.emit(Instr::BuildSet(0));
            self.emit(Instr::Rot2);
            self.emit(Instr::SetUpdate(1));
            self.emit(Instr::BuildSet(0));
            self.emit(Instr::Rot2);
            self.emit(Instr::SetUpdate(1));
            return Ok(());
        }
        if !has_star {
            for i in items {
                self.expr(i)?;
            }
            let n = items.len() as u32;
            self.emit(match kind {
                SeqKind::List => Instr::BuildList(n),
                SeqKind::Tuple => Instr::BuildTuple(n),
                SeqKind::Set => Instr::BuildSet(n),
            });
            return Ok(());
        }
        let set = matches!(kind, SeqKind::Set);
        self.emit(if set { Instr::BuildSet(0) } else { Instr::BuildList(0) });
        for i in items {
            match &i.kind {
                ExprKind::Starred(inner) => {
                    self.expr(inner)?;
                    self.emit(if set { Instr::SetUpdate(1) } else { Instr::ListExtend(1) });
                }
                _ => {
                    self.expr(i)?;
                    self.emit(if set { Instr::SetAdd(1) } else { Instr::ListAppend(1) });
                }
            }
        }
        if matches!(kind, SeqKind::Tuple) {
            self.emit(Instr::ListToTuple);
        }
        Ok(())
    }

    /// CPython's SyntaxError for a keyword given twice in one call or class header.
    pub(super) fn check_repeated_keywords(&self, keywords: &[Keyword]) -> Result<(), CompileError> {
        for (i, k) in keywords.iter().enumerate() {
            if let Some(name) = &k.arg {
                if keywords[..i].iter().any(|p| p.arg.as_ref() == Some(name)) {
                    return Err(self.error(format!("keyword argument repeated: {name}"), k.span));
                }
            }
        }
        Ok(())
    }

    fn call(&mut self, func: &Expr, args: &[Expr], keywords: &[Keyword]) -> Result<(), CompileError> {
        self.check_repeated_keywords(keywords)?;
        // Zero-argument super() becomes super(__class__, <first argument>).
        if let ExprKind::Name(n) = &func.kind {
            if n == "super" && args.is_empty() && keywords.is_empty() && self.super_args_available() {
                self.load_name("super");
                self.load_name("__class__");
                let first = self.scope().params.first().cloned().unwrap_or_default();
                self.load_name(&first);
                self.emit(Instr::Call(2));
                return Ok(());
            }
        }
        let simple =
            !args.iter().any(|a| matches!(a.kind, ExprKind::Starred(_))) && !keywords.iter().any(|k| k.arg.is_none());
        if !simple {
            self.expr(func)?;
            match args {
                // A lone `*iterable` goes to the call as it is, so that a
                // non-iterable is reported as the call's error (as CPython does).
                [Expr { kind: ExprKind::Starred(inner), .. }] => self.expr(inner)?,
                _ => self.sequence(args, SeqKind::Tuple)?,
            }
            if keywords.is_empty() {
                self.emit(Instr::CallEx(0));
            } else {
                self.emit(Instr::BuildMap(0));
                for k in keywords {
                    match &k.arg {
                        // Merged like `**{name: value}`, so that a name repeated by a
                        // `**mapping` is an error.
                        Some(name) => {
                            let c = self.const_str(name);
                            self.emit(Instr::LoadConst(c));
                            self.expr(&k.value)?;
                            self.emit(Instr::BuildMap(1));
                            self.emit(Instr::DictMerge(1));
                        }
                        None => {
                            self.expr(&k.value)?;
                            self.emit(Instr::DictMerge(1));
                        }
                    }
                }
                self.emit(Instr::CallEx(1));
            }
            return Ok(());
        }
        let kwnames = if keywords.is_empty() {
            None
        } else {
            let names = Value::tuple(
                keywords
                    .iter()
                    .map(|k| Value::Obj(crate::value::str::intern(k.arg.as_deref().unwrap_or(""))))
                    .collect(),
            );
            Some(self.const_value(names))
        };
        let argc = (args.len() + keywords.len()) as u32;
        if let ExprKind::Attribute { value, attr, .. } = &func.kind {
            if let Some(i) = self.local_method_call(value, attr, args, keywords) {
                for a in args {
                    self.expr(a)?;
                }
                let (local, name) = i;
                self.emit(Instr::CallLocalMethod(local, name | (args.len() as u32) << 24));
                return Ok(());
            }
            self.expr(value)?;
            let i = self.name_index(attr);
            // A failed lookup points at `obj.name`, not the whole call (as CPython).
            let saved = self.set_span(func.span);
            self.emit(Instr::LoadMethod(i));
            self.set_span(saved);
            for a in args {
                self.expr(a)?;
            }
            for k in keywords {
                self.expr(&k.value)?;
            }
            self.emit(match kwnames {
                None => Instr::CallMethod(argc),
                Some(k) => Instr::CallMethodKw(argc, k),
            });
            return Ok(());
        }
        self.expr(func)?;
        for a in args {
            self.expr(a)?;
        }
        for k in keywords {
            self.expr(&k.value)?;
        }
        self.emit(match kwnames {
            None => Instr::Call(argc),
            Some(k) => Instr::CallKw(argc, k),
        });
        Ok(())
    }

    /// `(left local, right local or constant index, right is a constant)` when both
    /// operands of a binary operator or comparison can be read in place.
    pub(super) fn fast_operands(
        &mut self,
        left: &Expr,
        right: &Expr,
    ) -> Result<Option<(u16, u16, bool)>, CompileError> {
        let ExprKind::Name(n) = &left.kind else {
            return Ok(None);
        };
        let Some(a) = self.fast_local(n).filter(|&a| a <= u16::MAX as u32) else {
            return Ok(None);
        };
        Ok(match &right.kind {
            ExprKind::Name(m) => {
                self.fast_local(m).filter(|&b| b <= u16::MAX as u32).map(|b| (a as u16, b as u16, false))
            }
            ExprKind::Constant(c) => {
                let v = self.constant(c, right.span)?;
                let ci = self.const_value(v);
                (ci <= u16::MAX as u32).then_some((a as u16, ci as u16, true))
            }
            _ => None,
        })
    }

    /// `(local, name index)` when `value.attr(args)` can be `CallLocalMethod`: the
    /// object is a fast local, there are at most three arguments, no keywords, and
    /// every argument is a constant or a fast local, so that evaluating the
    /// arguments before looking up the method changes nothing observable (except
    /// which error is reported when both an argument and the method are missing).
    fn local_method_call(
        &mut self,
        value: &Expr,
        attr: &str,
        args: &[Expr],
        keywords: &[Keyword],
    ) -> Option<(u32, u32)> {
        let ExprKind::Name(n) = &value.kind else {
            return None;
        };
        if !keywords.is_empty() || args.len() > 3 {
            return None;
        }
        let simple = args.iter().all(|a| match &a.kind {
            ExprKind::Constant(_) => true,
            ExprKind::Name(m) => self.fast_local(m).is_some(),
            _ => false,
        });
        if !simple {
            return None;
        }
        let local = self.fast_local(n)?;
        let name = self.name_index(attr);
        (name < 1 << 24).then_some((local, name))
    }

    /// True inside a method whose class gives it a `__class__` cell and that has a
    /// first parameter.
    fn super_args_available(&self) -> bool {
        let sc = self.scope();
        sc.kind == ScopeKind::Function
            && !sc.params.is_empty()
            && matches!(sc.symbols.get("__class__"), Some(Sym::Free))
    }
}

#[derive(Clone, Copy)]
pub(super) enum SeqKind {
    List,
    Tuple,
    Set,
}
