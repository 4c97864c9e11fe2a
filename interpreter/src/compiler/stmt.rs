//! Statements and control flow: loops, try/except/finally, with, break/continue/return
//! through the blocks they leave, imports, assert, raise.

use super::{CompileError, Compiler, FBlock, Mode};
use crate::bytecode::{ExcEntry, Instr};
use crate::native::Exc;
use crate::value::Value;
use conc_grammar::ast::*;

impl<'a> Compiler<'a> {
    pub(super) fn stmt(&mut self, s: &Stmt) -> Result<(), CompileError> {
        let saved = self.set_span(s.span);
        let r = self.stmt_inner(s);
        self.set_span(saved);
        r
    }

    fn stmt_inner(&mut self, s: &Stmt) -> Result<(), CompileError> {
        match &s.kind {
            StmtKind::Expr(e) => {
                self.expr(e)?;
                let interactive = self.mode == Mode::Interactive && self.units.len() == 1;
                self.emit(if interactive { Instr::PrintExpr } else { Instr::Pop });
            }
            StmtKind::Assign { targets, value } => {
                self.expr(value)?;
                for (i, t) in targets.iter().enumerate() {
                    if i + 1 < targets.len() {
                        self.emit(Instr::Dup);
                    }
                    self.store_target(t)?;
                }
            }
            StmtKind::AugAssign { target, op, value } => self.aug_assign(target, (*op).into(), value)?,
            StmtKind::AnnAssign { target, value, .. } => {
                if let Some(v) = value {
                    self.expr(v)?;
                    self.store_target(target)?;
                }
            }
            StmtKind::Delete(ts) => {
                for t in ts {
                    self.delete_target(t)?;
                }
            }
            StmtKind::Pass => {}
            StmtKind::Break => self.break_continue(true, s)?,
            StmtKind::Continue => self.break_continue(false, s)?,
            StmtKind::Return(v) => {
                if !self.scope().is_function_like() {
                    return Err(self.error("'return' outside function", s.span));
                }
                if v.is_some() && self.scope().is_coroutine && self.scope().is_generator {
                    return Err(self.error("'return' with value in async generator", s.span));
                }
                if self.unit_ref().fblocks.iter().any(|b| matches!(b, FBlock::ExceptStar)) {
                    let span = v.as_ref().map_or(s.span, |v| v.span);
                    return Err(self.error(super::except_star::LEAVE_MESSAGE, span));
                }
                match v {
                    Some(v) => self.expr(v)?,
                    None => {
                        let c = self.const_value(Value::None);
                        self.emit(Instr::LoadConst(c));
                    }
                }
                self.unwind_all_for_return()?;
                self.emit(Instr::Return);
            }
            StmtKind::Raise { exc, cause } => match (exc, cause) {
                (None, _) => {
                    self.emit(Instr::Raise(0));
                }
                (Some(e), None) => {
                    self.expr(e)?;
                    self.emit(Instr::Raise(1));
                }
                (Some(e), Some(c)) => {
                    self.expr(e)?;
                    self.expr(c)?;
                    self.emit(Instr::Raise(2));
                }
            },
            StmtKind::Global(_) | StmtKind::Nonlocal(_) => {}
            // Under `-O` an assert compiles to nothing, as in CPython.
            StmtKind::Assert { .. } if crate::interp::OPTIMIZE.load(std::sync::atomic::Ordering::Relaxed) > 0 => {}
            StmtKind::Assert { test, msg } => {
                self.expr(test)?;
                let j = self.emit(Instr::PopJumpIfTrue(0));
                self.emit(Instr::LoadAssertionError);
                if let Some(m) = msg {
                    self.expr(m)?;
                    self.emit(Instr::Call(1));
                }
                self.emit(Instr::Raise(1));
                let end = self.here();
                self.patch(j, end);
            }
            StmtKind::Import(aliases) => {
                for a in aliases {
                    let name = self.const_str(&a.name);
                    let fromlist = match &a.asname {
                        // `import a.b as c` binds the leaf module: ask for it.
                        Some(_) if a.name.contains('.') => self.const_value(Value::Bool(true)),
                        _ => self.const_value(Value::None),
                    };
                    self.emit(Instr::LoadConst(fromlist));
                    self.emit(Instr::ImportName(name, 0));
                    let bind = match &a.asname {
                        Some(n) => n.clone(),
                        None => a.name.split('.').next().unwrap_or("").to_string(),
                    };
                    self.store_name(&bind);
                }
            }
            StmtKind::ImportFrom { module, names, level } => {
                let modname = self.const_str(module.as_deref().unwrap_or(""));
                match names {
                    ImportNames::Star => {
                        let star = Value::tuple(vec![Value::str("*")]);
                        let c = self.const_value(star);
                        self.emit(Instr::LoadConst(c));
                        self.emit(Instr::ImportName(modname, *level));
                        self.emit(Instr::ImportStar);
                    }
                    ImportNames::Names(aliases) => {
                        let list = Value::tuple(aliases.iter().map(|a| Value::str(&a.name)).collect());
                        let c = self.const_value(list);
                        self.emit(Instr::LoadConst(c));
                        self.emit(Instr::ImportName(modname, *level));
                        for a in aliases {
                            let i = self.name_index(&a.name);
                            self.emit(Instr::ImportFrom(i));
                            let bind = a.asname.clone().unwrap_or_else(|| a.name.clone());
                            self.store_name(&bind);
                        }
                        self.emit(Instr::Pop);
                    }
                }
            }
            StmtKind::If { test, body, orelse } => {
                let jf = self.jump_if(test, false)?;
                self.stmts(body)?;
                if orelse.is_empty() {
                    let end = self.here();
                    self.patch_all(&jf, end);
                } else {
                    let je = self.emit(Instr::Jump(0));
                    let else_at = self.here();
                    self.patch_all(&jf, else_at);
                    self.stmts(orelse)?;
                    let end = self.here();
                    self.patch(je, end);
                }
            }
            StmtKind::While { test, body, orelse } => {
                let start = self.here();
                let jf = self.jump_if(test, false)?;
                self.push_block(FBlock::Loop { start, breaks: Vec::new(), is_for: false })?;
                self.stmts(body)?;
                self.emit(Instr::Jump(start as u32));
                let breaks = match self.unit().fblocks.pop() {
                    Some(FBlock::Loop { breaks, .. }) => breaks,
                    _ => Vec::new(),
                };
                let else_at = self.here();
                self.patch_all(&jf, else_at);
                self.stmts(orelse)?;
                let end = self.here();
                self.patch_all(&breaks, end);
            }
            StmtKind::For { target, iter, body, orelse, is_async } => {
                if *is_async {
                    if !self.in_async_function() || !self.scope().is_function_like() {
                        return Err(self.error("'async for' outside async function", s.span));
                    }
                    return self.async_for(target, iter, body, orelse);
                }
                self.expr(iter)?;
                self.emit(Instr::GetIter);
                let start = self.here();
                let fi = self.emit(Instr::ForIter(0));
                self.unit().base_depth += 1;
                self.store_target(target)?;
                self.push_block(FBlock::Loop { start, breaks: Vec::new(), is_for: true })?;
                self.stmts(body)?;
                self.emit(Instr::Jump(start as u32));
                let breaks = match self.unit().fblocks.pop() {
                    Some(FBlock::Loop { breaks, .. }) => breaks,
                    _ => Vec::new(),
                };
                self.unit().base_depth -= 1;
                let exit = self.here();
                self.patch(fi, exit);
                self.stmts(orelse)?;
                let end = self.here();
                self.patch_all(&breaks, end);
            }
            StmtKind::Try { body, handlers, orelse, finalbody } => {
                if finalbody.is_empty() {
                    self.try_except(body, handlers, orelse)?;
                } else {
                    self.try_finally(body, handlers, orelse, finalbody)?;
                }
            }
            StmtKind::With { items, body, is_async } => {
                if *is_async {
                    if !self.in_async_function() || !self.scope().is_function_like() {
                        return Err(self.error("'async with' outside async function", s.span));
                    }
                    return self.async_with(items, body);
                }
                self.with(items, body)?;
            }
            StmtKind::FunctionDef(f) => self.function_def(f, s)?,
            StmtKind::ClassDef(c) => self.class_def(c, s)?,
            StmtKind::Match { subject, cases } => self.match_stmt(subject, cases)?,
        }
        Ok(())
    }

    /// Code that raises NotImplementedError(message) when run: a construct the
    /// interpreter does not run yet still compiles (so `conc check` accepts it).
    pub(super) fn raise_not_implemented(&mut self, message: &str) {
        let cls = self.const_value(Value::Obj(Exc::NotImplementedError.class().clone()));
        self.emit(Instr::LoadConst(cls));
        let msg = self.const_str(message);
        self.emit(Instr::LoadConst(msg));
        self.emit(Instr::Call(1));
        self.emit(Instr::Raise(1));
    }

    pub(super) fn patch_all(&mut self, jumps: &[usize], target: usize) {
        for &j in jumps {
            self.patch(j, target);
        }
    }

    /// Compiles a condition, jumping when it is `when`; returns the jumps to patch.
    pub(super) fn jump_if(&mut self, e: &Expr, when: bool) -> Result<Vec<usize>, CompileError> {
        match &e.kind {
            ExprKind::UnaryOp { op: UnaryOp::Not, operand } => self.jump_if(operand, !when),
            ExprKind::BoolOp { op, values } => {
                // `a and b` jumps on false if either is false; on true only if both are.
                let short = matches!(op, BoolOp::Or) == when;
                let mut out = Vec::new();
                if short {
                    for v in values {
                        out.extend(self.jump_if(v, when)?);
                    }
                } else {
                    let mut skip = Vec::new();
                    for (i, v) in values.iter().enumerate() {
                        if i + 1 < values.len() {
                            skip.extend(self.jump_if(v, !when)?);
                        } else {
                            out.extend(self.jump_if(v, when)?);
                        }
                    }
                    let here = self.here();
                    self.patch_all(&skip, here);
                }
                Ok(out)
            }
            ExprKind::Compare { left, ops, comparators } if ops.len() == 1 => {
                if let Some((a, b, is_const)) = self.fast_operands(left, &comparators[0])? {
                    let saved = self.set_span(e.span);
                    let flags = is_const as u8 | (when as u8) << 1;
                    let j = self.emit(Instr::CompareFastJump(a, b, flags, ops[0].into(), 0));
                    self.set_span(saved);
                    return Ok(vec![j]);
                }
                self.expr(left)?;
                self.expr(&comparators[0])?;
                let saved = self.set_span(e.span);
                let op = ops[0];
                let j = self.emit(if when {
                    Instr::CompareJumpIfTrue(op.into(), 0)
                } else {
                    Instr::CompareJumpIfFalse(op.into(), 0)
                });
                self.set_span(saved);
                Ok(vec![j])
            }
            _ => {
                self.expr(e)?;
                let j = self.emit(if when { Instr::PopJumpIfTrue(0) } else { Instr::PopJumpIfFalse(0) });
                Ok(vec![j])
            }
        }
    }

    fn aug_assign(&mut self, target: &Expr, op: crate::operator::BinOp, value: &Expr) -> Result<(), CompileError> {
        match &target.kind {
            ExprKind::Name(n) => {
                self.load_name(n);
                self.expr(value)?;
                self.emit(Instr::InplaceOp(op));
                self.store_name(n);
            }
            ExprKind::Attribute { value: obj, attr, .. } if matches!(&obj.kind, ExprKind::Name(n) if self.fast_local(n).is_some()) =>
            {
                // `local.attr op= value` without counting the object twice.
                let ExprKind::Name(n) = &obj.kind else { unreachable!() };
                let a = self.fast_local(n).unwrap_or(0);
                let i = self.name_index(attr);
                let pure = match &value.kind {
                    ExprKind::Constant(_) => true,
                    ExprKind::Name(m) => self.fast_local(m).is_some(),
                    _ => false,
                };
                if pure {
                    // Evaluating the value first is not observable: one instruction.
                    self.expr(value)?;
                    self.emit(Instr::InplaceFastAttr(a, i, op));
                    return Ok(());
                }
                self.emit(Instr::LoadFastAttr(a, i));
                self.expr(value)?;
                self.emit(Instr::InplaceOp(op));
                self.emit(Instr::StoreFastAttr(a, i));
            }
            ExprKind::Attribute { value: obj, attr, .. } => {
                self.expr(obj)?;
                self.emit(Instr::Dup);
                let i = self.name_index(attr);
                self.emit(Instr::LoadAttr(i));
                self.expr(value)?;
                self.emit(Instr::InplaceOp(op));
                self.emit(Instr::Rot2);
                self.emit(Instr::StoreAttr(i));
            }
            ExprKind::Subscript { value: obj, slice } if self.pure_operand(value, true) => {
                if let Some((a, k, is_const)) = self.fast_operands(obj, slice)? {
                    // `local[key] op= value` with a value that has no side effects
                    // (locals, constants and operators over them): the value is
                    // computed first and the item updated under one lock.
                    self.expr(value)?;
                    self.emit(Instr::InplaceSubscrFast(a, k, is_const as u8, op));
                    return Ok(());
                }
                self.generic_aug_subscript(obj, slice, op, value)?;
            }
            ExprKind::Subscript { value: obj, slice } => self.generic_aug_subscript(obj, slice, op, value)?,
            _ => return Err(self.error("'expression' is an illegal expression for augmented assignment", target.span)),
        }
        Ok(())
    }

    /// Locals, constants, and binary operators over them: evaluating them has no
    /// effect a subscript read could observe (save through operator methods of
    /// script classes, which is why only `BinOp` nests).
    fn pure_operand(&self, e: &Expr, top: bool) -> bool {
        match &e.kind {
            ExprKind::Constant(_) => true,
            ExprKind::Name(n) => self.fast_local(n).is_some(),
            ExprKind::BinOp { left, right, .. } if top => {
                self.pure_operand(left, false) && self.pure_operand(right, false)
            }
            _ => false,
        }
    }

    fn generic_aug_subscript(
        &mut self,
        obj: &Expr,
        slice: &Expr,
        op: crate::operator::BinOp,
        value: &Expr,
    ) -> Result<(), CompileError> {
        {
            {
                self.expr(obj)?;
                self.subscript_key(slice)?;
                self.emit(Instr::Dup2);
                self.emit(Instr::Subscript);
                self.expr(value)?;
                self.emit(Instr::InplaceOp(op));
                self.emit(Instr::Rot3);
                self.emit(Instr::StoreSubscript);
            }
        }
        Ok(())
    }

    fn break_continue(&mut self, is_break: bool, s: &Stmt) -> Result<(), CompileError> {
        let loop_at = self.unit_ref().fblocks.iter().rposition(|b| matches!(b, FBlock::Loop { .. }));
        let Some(loop_at) = loop_at else {
            let msg = if is_break { "'break' outside loop" } else { "'continue' not properly in loop" };
            return Err(self.error(msg, s.span));
        };
        if self.unit_ref().fblocks[loop_at..].iter().any(|b| matches!(b, FBlock::ExceptStar)) {
            return Err(self.error(super::except_star::LEAVE_MESSAGE, s.span));
        }
        // Leave every block inside the loop, innermost first.
        let saved_exc_depth = self.unit_ref().exc_depth;
        let mut stash = Vec::new();
        while self.unit_ref().fblocks.len() > loop_at + 1 {
            let b = self.unit().fblocks.pop().unwrap();
            self.leave_block(&b, false)?;
            stash.push(b);
        }
        while let Some(b) = stash.pop() {
            self.unit().fblocks.push(b);
        }
        self.unit().exc_depth = saved_exc_depth;
        if is_break {
            let is_for = matches!(self.unit_ref().fblocks[loop_at], FBlock::Loop { is_for: true, .. });
            if is_for {
                self.emit(Instr::Pop);
            }
            let j = self.emit(Instr::Jump(0));
            if let FBlock::Loop { breaks, .. } = &mut self.unit().fblocks[loop_at] {
                breaks.push(j);
            }
        } else {
            let start = match &self.unit_ref().fblocks[loop_at] {
                FBlock::Loop { start, .. } => *start,
                _ => 0,
            };
            self.emit(Instr::Jump(start as u32));
        }
        Ok(())
    }

    /// Enters block `b`, with CPython's limit of 20 statically nested blocks.
    pub(super) fn push_block(&mut self, b: FBlock) -> Result<(), CompileError> {
        const MAX_BLOCKS: usize = 20;
        let depth: usize = self.unit_ref().fblocks.iter().map(FBlock::weight).sum();
        if depth + b.weight() > MAX_BLOCKS {
            let span = self.unit_ref().span;
            return Err(self.error("too many statically nested blocks", span));
        }
        self.unit().fblocks.push(b);
        Ok(())
    }

    /// Emits what leaving block `b` early requires. With `keep_tos`, a value (the
    /// return value) sits above the block's own stack items and must stay on top.
    fn leave_block(&mut self, b: &FBlock, keep_tos: bool) -> Result<(), CompileError> {
        // `b` has just been popped: its index is the current depth.
        let level = self.unit_ref().fblocks.len();
        let start = self.here();
        self.leave_block_code(b, keep_tos)?;
        let end = self.here();
        if end > start {
            self.unit().leave_ranges.push((start, end, level));
        }
        Ok(())
    }

    fn leave_block_code(&mut self, b: &FBlock, keep_tos: bool) -> Result<(), CompileError> {
        match b {
            FBlock::Loop { is_for, .. } => {
                if *is_for {
                    if keep_tos {
                        self.emit(Instr::Rot2);
                    }
                    self.emit(Instr::Pop);
                }
            }
            FBlock::TryExcept | FBlock::ExceptStar => {}
            FBlock::Finally { body } => {
                // The body is compiled with this block already popped, so a return
                // inside it does not run it again.
                // SAFETY: `body` was made from the `finalbody` slice `try_finally`
                // was given, a borrow of the AST being compiled. The AST outlives the
                // whole `compile` call, and the block is pushed and popped within
                // that `try_finally` call (an error abandons the compilation), so the
                // slice is alive and unchanged (the AST is only read) here.
                let body: &[Stmt] = unsafe { &**body };
                if keep_tos {
                    self.unit().base_depth += 1;
                }
                self.stmts(body)?;
                if keep_tos {
                    self.unit().base_depth -= 1;
                }
            }
            FBlock::With => {
                // The value kept (a return value) goes below the exit function and
                // the manager.
                if keep_tos {
                    self.emit(Instr::Rot3);
                }
                self.emit(Instr::WithExitNormal);
            }
            FBlock::AsyncWith => {
                if keep_tos {
                    self.emit(Instr::Rot3);
                }
                self.emit(Instr::AsyncWithExit);
                self.emit(Instr::GetAwaitable(2));
                self.yield_from_loop();
                self.emit(Instr::Pop);
            }
            FBlock::Handler { .. } => {
                self.emit(Instr::PopExcept);
                if keep_tos {
                    self.emit(Instr::Rot2);
                }
                self.emit(Instr::Pop);
                self.unit().exc_depth -= 1;
            }
        }
        Ok(())
    }

    fn unwind_all_for_return(&mut self) -> Result<(), CompileError> {
        let mut stash = Vec::new();
        let saved_exc_depth = self.unit_ref().exc_depth;
        while let Some(b) = self.unit().fblocks.pop() {
            self.leave_block(&b, true)?;
            stash.push(b);
        }
        while let Some(b) = stash.pop() {
            self.unit().fblocks.push(b);
        }
        self.unit().exc_depth = saved_exc_depth;
        Ok(())
    }

    /// Sends exceptions raised in `start..end` to `handler`, for the block that has
    /// just been popped, except in the code that left this block or a block inside
    /// it early (see `Unit::leave_ranges`).
    pub(super) fn protect(&mut self, start: usize, end: usize, handler: usize, depth: u32) {
        let exc_depth = self.unit_ref().exc_depth;
        let level = self.unit_ref().fblocks.len();
        let mut cuts: Vec<(usize, usize)> = self
            .unit_ref()
            .leave_ranges
            .iter()
            .filter(|&&(s, e, l)| l >= level && s >= start && e <= end)
            .map(|&(s, e, _)| (s, e))
            .collect();
        cuts.sort_unstable();
        let mut from = start;
        for (s, e) in cuts.into_iter().chain(std::iter::once((end, end))) {
            if s > from {
                self.unit().exc_table.push(ExcEntry {
                    start: from as u32,
                    end: s as u32,
                    handler: handler as u32,
                    depth,
                    exc_depth,
                });
            }
            from = from.max(e);
        }
        // Ranges inside this block are no longer needed once it is protected.
        self.unit().leave_ranges.retain(|&(s, _, l)| l < level || s < start);
    }

    fn try_except(&mut self, body: &[Stmt], handlers: &[ExceptHandler], orelse: &[Stmt]) -> Result<(), CompileError> {
        if let Some(h) = handlers.iter().find(|h| h.star != handlers[0].star) {
            let len = if h.star { 7 } else { 6 };
            let span = conc_grammar::Span::new(h.span.start as usize, h.span.start as usize + len);
            return Err(self.error("cannot have both 'except' and 'except*' on the same 'try'", span));
        }
        if handlers.first().is_some_and(|h| h.star) {
            return self.try_star(body, handlers, orelse);
        }
        if let Some(h) = handlers.iter().rev().skip(1).find(|h| h.typ.is_none()) {
            return Err(self.error("default 'except:' must be last", h.span));
        }
        let depth = self.unit_ref().base_depth;
        let start = self.here();
        self.push_block(FBlock::TryExcept)?;
        self.stmts(body)?;
        self.unit().fblocks.pop();
        let end_body = self.here();
        self.stmts(orelse)?;
        let jend = self.emit(Instr::Jump(0));
        let handler = self.here();
        self.protect(start, end_body, handler, depth);
        self.emit(Instr::PushExcInfo);
        self.unit().exc_depth += 1;
        self.unit().base_depth += 1;
        let mut ends = vec![jend];
        for h in handlers {
            let saved = self.set_span(h.span);
            let mut next = None;
            if let Some(t) = &h.typ {
                self.expr(t)?;
                self.emit(Instr::CheckExcMatch);
                next = Some(self.emit(Instr::PopJumpIfFalse(0)));
            }
            if let Some(n) = &h.name {
                self.emit(Instr::Dup);
                self.store_name(n);
            }
            self.set_span(saved);
            self.push_block(FBlock::Handler { finally: false })?;
            self.stmts(&h.body)?;
            self.unit().fblocks.pop();
            if let Some(n) = &h.name {
                // `except E as e:` unbinds e afterwards, as in Python.
                let c = self.const_value(Value::None);
                self.emit(Instr::LoadConst(c));
                self.store_name(n);
                self.delete_name(n);
            }
            self.emit(Instr::PopExcept);
            self.emit(Instr::Pop);
            ends.push(self.emit(Instr::Jump(0)));
            if let Some(nx) = next {
                let here = self.here();
                self.patch(nx, here);
            }
        }
        self.emit(Instr::Reraise);
        self.unit().exc_depth -= 1;
        self.unit().base_depth -= 1;
        let end = self.here();
        self.patch_all(&ends, end);
        Ok(())
    }

    fn try_finally(
        &mut self,
        body: &[Stmt],
        handlers: &[ExceptHandler],
        orelse: &[Stmt],
        finalbody: &[Stmt],
    ) -> Result<(), CompileError> {
        let depth = self.unit_ref().base_depth;
        let start = self.here();
        self.push_block(FBlock::Finally { body: finalbody as *const [Stmt] })?;
        if handlers.is_empty() {
            self.stmts(body)?;
            self.stmts(orelse)?;
        } else {
            self.try_except(body, handlers, orelse)?;
        }
        self.unit().fblocks.pop();
        let end_body = self.here();
        self.stmts(finalbody)?;
        let jend = self.emit(Instr::Jump(0));
        let handler = self.here();
        self.protect(start, end_body, handler, depth);
        self.emit(Instr::PushExcInfo);
        self.unit().exc_depth += 1;
        self.unit().base_depth += 1;
        self.push_block(FBlock::Handler { finally: true })?;
        self.stmts(finalbody)?;
        self.unit().fblocks.pop();
        self.emit(Instr::Reraise);
        self.unit().exc_depth -= 1;
        self.unit().base_depth -= 1;
        let end = self.here();
        self.patch(jend, end);
        Ok(())
    }

    fn with(&mut self, items: &[WithItem], body: &[Stmt]) -> Result<(), CompileError> {
        let Some((first, rest)) = items.split_first() else {
            return self.stmts(body);
        };
        self.expr(&first.context_expr)?;
        self.emit(Instr::BeforeWith);
        match &first.optional_vars {
            Some(t) => self.store_target(t)?,
            None => {
                self.emit(Instr::Pop);
            }
        }
        // The exit function and the manager stay on the stack during the body.
        let depth = self.unit_ref().base_depth + 2;
        let start = self.here();
        self.push_block(FBlock::With)?;
        self.unit().base_depth += 2;
        if rest.is_empty() {
            self.stmts(body)?;
        } else {
            self.with(rest, body)?;
        }
        self.unit().base_depth -= 2;
        self.unit().fblocks.pop();
        let end_body = self.here();
        self.emit(Instr::WithExitNormal);
        let jend = self.emit(Instr::Jump(0));
        let handler = self.here();
        self.protect(start, end_body, handler, depth);
        self.emit(Instr::PushExcInfo);
        self.unit().exc_depth += 1;
        self.emit(Instr::WithExceptStart);
        let js = self.emit(Instr::PopJumpIfTrue(0));
        self.emit(Instr::Reraise);
        let suppress = self.here();
        self.patch(js, suppress);
        self.emit(Instr::PopExcept);
        self.emit(Instr::Pop);
        self.emit(Instr::Pop);
        self.emit(Instr::Pop);
        self.unit().exc_depth -= 1;
        let end = self.here();
        self.patch(jend, end);
        Ok(())
    }

    /// `async for`: like `for`, with each item awaited from `__anext__()`; the
    /// StopAsyncIteration that ends the loop is caught around that await only.
    fn async_for(&mut self, target: &Expr, iter: &Expr, body: &[Stmt], orelse: &[Stmt]) -> Result<(), CompileError> {
        self.expr(iter)?;
        self.emit(Instr::GetAIter);
        let depth = self.unit_ref().base_depth + 1;
        let start = self.here();
        self.emit(Instr::GetANext);
        self.yield_from_loop();
        let got = self.here();
        self.unit().base_depth += 1;
        self.store_target(target)?;
        self.push_block(FBlock::Loop { start, breaks: Vec::new(), is_for: true })?;
        self.stmts(body)?;
        self.emit(Instr::Jump(start as u32));
        let breaks = match self.unit().fblocks.pop() {
            Some(FBlock::Loop { breaks, .. }) => breaks,
            _ => Vec::new(),
        };
        self.unit().base_depth -= 1;
        let handler = self.here();
        self.protect(start, got, handler, depth);
        self.emit(Instr::EndAsyncFor);
        self.stmts(orelse)?;
        let end = self.here();
        self.patch_all(&breaks, end);
        Ok(())
    }

    /// `async with`: `with` whose enter and exit calls are awaited.
    fn async_with(&mut self, items: &[WithItem], body: &[Stmt]) -> Result<(), CompileError> {
        let Some((first, rest)) = items.split_first() else {
            return self.stmts(body);
        };
        self.expr(&first.context_expr)?;
        self.emit(Instr::BeforeAsyncWith);
        self.emit(Instr::GetAwaitable(1));
        self.yield_from_loop();
        match &first.optional_vars {
            Some(t) => self.store_target(t)?,
            None => {
                self.emit(Instr::Pop);
            }
        }
        let depth = self.unit_ref().base_depth + 2;
        let start = self.here();
        self.push_block(FBlock::AsyncWith)?;
        self.unit().base_depth += 2;
        if rest.is_empty() {
            self.stmts(body)?;
        } else {
            self.async_with(rest, body)?;
        }
        self.unit().base_depth -= 2;
        self.unit().fblocks.pop();
        let end_body = self.here();
        self.emit(Instr::AsyncWithExit);
        self.emit(Instr::GetAwaitable(2));
        self.yield_from_loop();
        self.emit(Instr::Pop);
        let jend = self.emit(Instr::Jump(0));
        let handler = self.here();
        self.protect(start, end_body, handler, depth);
        self.emit(Instr::PushExcInfo);
        self.unit().exc_depth += 1;
        self.emit(Instr::WithExceptStart);
        self.emit(Instr::GetAwaitable(2));
        self.yield_from_loop();
        let js = self.emit(Instr::PopJumpIfTrue(0));
        self.emit(Instr::Reraise);
        let suppress = self.here();
        self.patch(js, suppress);
        self.emit(Instr::PopExcept);
        self.emit(Instr::Pop);
        self.emit(Instr::Pop);
        self.emit(Instr::Pop);
        self.unit().exc_depth -= 1;
        let end = self.here();
        self.patch(jend, end);
        Ok(())
    }
}
