//! Code units for functions, lambdas, class bodies and comprehensions, and the
//! instructions that build them.

use super::scope::node_key;
use super::{CompileError, Compiler};
use crate::bytecode::*;
use crate::value::{ObjRef, Value};
use conc_grammar::ast::*;
use conc_grammar::Span;

impl<'a> Compiler<'a> {
    fn scope_of(&self, key: usize) -> usize {
        *self.table.by_node.get(&key).expect("every function node has a scope")
    }

    /// Pushes defaults, kw-defaults and the closure for a new function; returns the
    /// MakeFunction flags.
    fn function_prelude(&mut self, params: &Parameters, scope: usize) -> Result<u32, CompileError> {
        let mut flags = 0;
        let defaults: Vec<&Expr> =
            params.posonly.iter().chain(&params.args).filter_map(|p| p.default.as_ref()).collect();
        if !defaults.is_empty() {
            for d in &defaults {
                self.expr(d)?;
            }
            self.emit(Instr::BuildTuple(defaults.len() as u32));
            flags |= 1;
        }
        let kwdefaults: Vec<(&String, &Expr)> =
            params.kwonly.iter().filter_map(|p| p.default.as_ref().map(|d| (&p.name, d))).collect();
        if !kwdefaults.is_empty() {
            for (n, d) in &kwdefaults {
                let c = self.const_str(n);
                self.emit(Instr::LoadConst(c));
                self.expr(d)?;
            }
            self.emit(Instr::BuildMap(kwdefaults.len() as u32));
            flags |= 2;
        }
        let free = self.table.scopes[scope].freevars.clone();
        if !free.is_empty() {
            for n in &free {
                let c = match self.unit_ref().cell_map.get(n) {
                    Some(&c) => c,
                    None => return Err(self.error(format!("internal error: no cell for '{n}'"), Span::default())),
                };
                self.emit(Instr::LoadClosure(c));
            }
            self.emit(Instr::BuildTuple(free.len() as u32));
            flags |= 4;
        }
        Ok(flags)
    }

    fn set_params(&mut self, params: &Parameters) {
        let u = self.unit();
        u.posonly_count = params.posonly.len() as u32;
        u.arg_count = (params.posonly.len() + params.args.len()) as u32;
        u.kwonly_count = params.kwonly.len() as u32;
        if params.vararg.is_some() {
            u.flags |= CO_VARARGS;
        }
        if params.kwarg.is_some() {
            u.flags |= CO_VARKEYWORDS;
        }
    }

    fn body_flags(&mut self, scope: usize) {
        let sc = &self.table.scopes[scope];
        let (g, c) = (sc.is_generator, sc.is_coroutine);
        if g {
            self.unit().flags |= CO_GENERATOR;
        }
        if c {
            self.unit().flags |= CO_COROUTINE;
        }
    }

    fn make_code_const(&mut self, code: ObjRef) -> u32 {
        self.const_value(Value::Obj(code))
    }

    pub(super) fn function_def(&mut self, f: &FunctionDef, s: &Stmt) -> Result<(), CompileError> {
        for d in &f.decorators {
            self.expr(d)?;
        }
        let scope = self.scope_of(node_key(f));
        let flags = self.function_prelude(&f.params, scope)?;
        let qualname = self.qualname_for(&f.name);
        self.push_unit(scope, &f.name, &qualname, s.span);
        self.set_params(&f.params);
        self.body_flags(scope);
        let body: &[Stmt] = match f.body.first() {
            Some(Stmt { kind: StmtKind::Expr(Expr { kind: ExprKind::Constant(Constant::Str(doc)), .. }), .. }) => {
                self.const_value(Value::str(doc));
                self.unit().flags |= CO_HAS_DOC;
                &f.body[1..]
            }
            _ => &f.body,
        };
        self.stmts(body)?;
        let none = self.const_value(Value::None);
        self.emit(Instr::LoadConst(none));
        self.emit(Instr::Return);
        let code = self.pop_unit();
        let ci = self.make_code_const(code);
        self.emit(Instr::MakeFunction(ci, flags));
        self.function_annotations(&f.params, f.returns.as_ref())?;
        for _ in &f.decorators {
            self.emit(Instr::Call(1));
        }
        self.store_name(&f.name);
        Ok(())
    }

    /// `f.__annotations__ = {...}` for the function on top of the stack, when any
    /// parameter or the return is annotated (the function stays on the stack).
    fn function_annotations(&mut self, params: &Parameters, returns: Option<&Expr>) -> Result<(), CompileError> {
        let all =
            params.posonly.iter().chain(&params.args).chain(&params.vararg).chain(&params.kwonly).chain(&params.kwarg);
        let annotated: Vec<(&str, &Expr)> =
            all.filter_map(|p| p.annotation.as_ref().map(|a| (p.name.as_str(), a))).collect();
        if annotated.is_empty() && returns.is_none() {
            return Ok(());
        }
        self.emit(Instr::Dup);
        let mut n = 0;
        for (name, a) in annotated.into_iter().chain(returns.map(|r| ("return", r))) {
            let k = self.const_str(name);
            self.emit(Instr::LoadConst(k));
            self.annotation_value(a)?;
            n += 1;
        }
        self.emit(Instr::BuildMap(n));
        self.emit(Instr::Rot2);
        let ai = self.name_index("__annotations__");
        self.emit(Instr::StoreAttr(ai));
        Ok(())
    }

    /// An annotation's value: the expression, or its source text under
    /// `from __future__ import annotations`.
    pub(super) fn annotation_value(&mut self, a: &Expr) -> Result<(), CompileError> {
        if self.future_annotations {
            // A string literal is shown as its repr (CPython unparses the tree).
            let text = match &a.kind {
                ExprKind::Constant(conc_grammar::ast::Constant::Str(lit)) => crate::builtins::repr::str_repr(lit),
                _ => self.source.get(a.span.start as usize..a.span.end as usize).unwrap_or("").to_string(),
            };
            let k = self.const_str(&text);
            self.emit(Instr::LoadConst(k));
            return Ok(());
        }
        self.expr(a)
    }

    /// `target: annotation` in a module or class body: stored in `__annotations__`
    /// for a simple name, evaluated only for other targets; nothing in a function.
    pub(super) fn store_annotation(
        &mut self,
        target: &Expr,
        annotation: &Expr,
        simple: bool,
    ) -> Result<(), CompileError> {
        if self.scope().is_function_like() {
            return Ok(());
        }
        match &target.kind {
            ExprKind::Name(name) if simple => {
                self.annotation_value(annotation)?;
                self.emit(Instr::SetupAnnotations);
                let ai = self.name_index("__annotations__");
                self.emit(Instr::LoadName(ai));
                let k = self.const_str(name);
                self.emit(Instr::LoadConst(k));
                self.emit(Instr::StoreSubscript);
            }
            _ if !self.future_annotations => {
                self.expr(annotation)?;
                self.emit(Instr::Pop);
            }
            _ => {}
        }
        Ok(())
    }

    pub(super) fn lambda(&mut self, e: &Expr, params: &Parameters, body: &Expr) -> Result<(), CompileError> {
        let scope = self.scope_of(node_key(e));
        let flags = self.function_prelude(params, scope)?;
        let qualname = self.qualname_for("<lambda>");
        self.push_unit(scope, "<lambda>", &qualname, e.span);
        self.set_params(params);
        self.body_flags(scope);
        self.expr(body)?;
        if self.table.scopes[scope].is_generator {
            self.emit(Instr::Pop);
            let none = self.const_value(Value::None);
            self.emit(Instr::LoadConst(none));
        }
        self.emit(Instr::Return);
        let code = self.pop_unit();
        let ci = self.make_code_const(code);
        self.emit(Instr::MakeFunction(ci, flags));
        Ok(())
    }

    pub(super) fn class_def(&mut self, c: &ClassDef, s: &Stmt) -> Result<(), CompileError> {
        for d in &c.decorators {
            self.expr(d)?;
        }
        self.emit(Instr::LoadBuildClass);
        let scope = self.scope_of(node_key(c));
        let flags = self.function_prelude(&Parameters::default(), scope)?;
        let qualname = self.qualname_for(&c.name);
        let toplevel = self.unit_ref().flags & CO_TOPLEVEL != 0;
        self.push_unit(scope, &c.name, &qualname, s.span);
        self.unit().flags |= CO_CLASS_BODY;
        if toplevel {
            self.unit().flags |= CO_TOPLEVEL;
        }
        let name_i = self.name_index("__name__");
        self.emit(Instr::LoadName(name_i));
        let mod_i = self.name_index("__module__");
        self.emit(Instr::StoreName(mod_i));
        let q = self.const_str(&qualname);
        self.emit(Instr::LoadConst(q));
        let qi = self.name_index("__qualname__");
        self.emit(Instr::StoreName(qi));
        let body: &[Stmt] = match c.body.first() {
            Some(Stmt { kind: StmtKind::Expr(Expr { kind: ExprKind::Constant(Constant::Str(doc)), .. }), .. }) => {
                let d = self.const_value(Value::str(doc));
                self.emit(Instr::LoadConst(d));
                let di = self.name_index("__doc__");
                self.emit(Instr::StoreName(di));
                &c.body[1..]
            }
            _ => &c.body,
        };
        self.stmts(body)?;
        if self.table.scopes[scope].needs_class_cell {
            let cell = *self.unit_ref().cell_map.get("__class__").unwrap_or(&0);
            self.emit(Instr::LoadClosure(cell));
            let ci = self.name_index("__classcell__");
            self.emit(Instr::StoreName(ci));
        }
        let none = self.const_value(Value::None);
        self.emit(Instr::LoadConst(none));
        self.emit(Instr::Return);
        let code = self.pop_unit();
        let ci = self.make_code_const(code);
        self.emit(Instr::MakeFunction(ci, flags));
        let n = self.const_str(&c.name);
        self.emit(Instr::LoadConst(n));
        self.check_repeated_keywords(&c.keywords)?;
        let simple = !c.bases.iter().any(|b| matches!(b.kind, ExprKind::Starred(_)))
            && !c.keywords.iter().any(|k| k.arg.is_none());
        if !simple {
            self.raise_not_implemented("starred bases and ** in class definitions are not supported yet");
            return Ok(());
        }
        for b in &c.bases {
            self.expr(b)?;
        }
        for k in &c.keywords {
            self.expr(&k.value)?;
        }
        let argc = (2 + c.bases.len() + c.keywords.len()) as u32;
        if c.keywords.is_empty() {
            self.emit(Instr::Call(argc));
        } else {
            let names = Value::tuple(
                c.keywords
                    .iter()
                    .map(|k| Value::Obj(crate::value::str::intern(k.arg.as_deref().unwrap_or(""))))
                    .collect(),
            );
            let kc = self.const_value(names);
            self.emit(Instr::CallKw(argc, kc));
        }
        for _ in &c.decorators {
            self.emit(Instr::Call(1));
        }
        self.store_name(&c.name);
        Ok(())
    }

    pub(super) fn comprehension(&mut self, e: &Expr) -> Result<(), CompileError> {
        let (generators, kind): (&[Comprehension], u8) = match &e.kind {
            ExprKind::ListComp { generators, .. } => (generators, 0),
            ExprKind::SetComp { generators, .. } => (generators, 1),
            ExprKind::DictComp { generators, .. } => (generators, 2),
            ExprKind::GeneratorExp { generators, .. } => (generators, 3),
            _ => unreachable!(),
        };
        let scope = self.scope_of(node_key(e));
        let awaited = self.table.scopes[scope].is_coroutine && kind != 3;
        if awaited && !self.in_async_function() {
            return Err(self.error("asynchronous comprehension outside of an asynchronous function", e.span));
        }
        let flags = self.function_prelude(&Parameters::default(), scope)?;
        let name = ["<listcomp>", "<setcomp>", "<dictcomp>", "<genexpr>"][kind as usize];
        let qualname = self.qualname_for(name);
        self.push_unit(scope, name, &qualname, e.span);
        self.unit().arg_count = 1;
        self.body_flags(scope);
        match kind {
            0 => {
                self.emit(Instr::BuildList(0));
            }
            1 => {
                self.emit(Instr::BuildSet(0));
            }
            2 => {
                self.emit(Instr::BuildMap(0));
            }
            _ => {}
        }
        self.comp_loop(e, generators, 0)?;
        if kind == 3 {
            let none = self.const_value(Value::None);
            self.emit(Instr::LoadConst(none));
        }
        self.emit(Instr::Return);
        let code = self.pop_unit();
        let ci = self.make_code_const(code);
        self.emit(Instr::MakeFunction(ci, flags));
        self.expr(&generators[0].iter)?;
        self.emit(if generators[0].is_async { Instr::GetAIter } else { Instr::GetIter });
        self.emit(Instr::Call(1));
        if awaited {
            self.emit(Instr::GetAwaitable(0));
            self.yield_from_loop();
        }
        Ok(())
    }

    fn comp_loop(&mut self, e: &Expr, generators: &[Comprehension], level: usize) -> Result<(), CompileError> {
        let g = &generators[level];
        if level == 0 {
            self.emit(Instr::LoadFast(0));
        } else {
            self.expr(&g.iter)?;
            self.emit(if g.is_async { Instr::GetAIter } else { Instr::GetIter });
        }
        let start = self.here();
        let fi = if g.is_async {
            // As in `async for`: the await of each item ends the loop with
            // StopAsyncIteration (handled after the loop, see below).
            self.emit(Instr::GetANext);
            self.yield_from_loop();
            None
        } else {
            Some(self.emit(Instr::ForIter(0)))
        };
        let got = self.here();
        self.store_target(&g.target)?;
        let mut skips = Vec::new();
        for cond in &g.ifs {
            skips.extend(self.jump_if(cond, false)?);
        }
        if level + 1 < generators.len() {
            self.comp_loop(e, generators, level + 1)?;
        } else {
            let depth = (generators.len() + 1) as u32;
            match &e.kind {
                ExprKind::ListComp { elt, .. } => {
                    self.expr(elt)?;
                    self.emit(Instr::ListAppend(depth));
                }
                ExprKind::SetComp { elt, .. } => {
                    self.expr(elt)?;
                    self.emit(Instr::SetAdd(depth));
                }
                ExprKind::DictComp { key, value, .. } => {
                    self.expr(key)?;
                    self.expr(value)?;
                    self.emit(Instr::MapAdd(depth));
                }
                ExprKind::GeneratorExp { elt, .. } => {
                    self.expr(elt)?;
                    if self.scope().is_coroutine {
                        self.emit(Instr::AsyncGenWrap);
                    }
                    self.emit(Instr::YieldValue);
                    self.emit(Instr::Pop);
                }
                _ => unreachable!(),
            }
        }
        self.patch_all(&skips, start);
        self.emit(Instr::Jump(start as u32));
        let exit = self.here();
        match fi {
            Some(fi) => self.patch(fi, exit),
            None => {
                // The accumulator (none for a generator expression) and the
                // iterators of this level and the outer ones stay.
                let acc = !matches!(e.kind, ExprKind::GeneratorExp { .. }) as u32;
                self.protect(start, got, exit, acc + level as u32 + 1);
                self.emit(Instr::EndAsyncFor);
            }
        }
        Ok(())
    }
}
