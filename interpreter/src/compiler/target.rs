//! Names and assignment targets: loading, storing and deleting names by their scope,
//! attributes, subscripts, and unpacking into tuples and lists.

use super::scope::{ScopeKind, Sym};
use super::{CompileError, Compiler};
use crate::bytecode::Instr;
use conc_grammar::ast::*;

impl<'a> Compiler<'a> {
    fn cell_index(&self, name: &str) -> u32 {
        *self.unit_ref().cell_map.get(name).unwrap_or(&0)
    }

    fn var_index(&self, name: &str) -> u32 {
        *self.unit_ref().var_map.get(name).unwrap_or(&0)
    }

    pub(super) fn load_name(&mut self, name: &str) {
        let kind = self.scope().kind;
        let sym = self.scope().sym(name);
        match (kind, sym) {
            (_, Sym::GlobalExplicit) | (ScopeKind::Module, _) => {
                let i = self.name_index(name);
                self.emit(Instr::LoadGlobal(i));
            }
            (ScopeKind::Class, Sym::Free) => {
                let c = self.cell_index(name);
                let i = self.name_index(name);
                self.emit(Instr::LoadClassDeref(c, i));
            }
            (ScopeKind::Class, _) => {
                let i = self.name_index(name);
                self.emit(Instr::LoadName(i));
            }
            (_, Sym::Local) => {
                let i = self.var_index(name);
                self.emit(Instr::LoadFast(i));
            }
            (_, Sym::Cell) | (_, Sym::Free) => {
                let c = self.cell_index(name);
                self.emit(Instr::LoadDeref(c));
            }
            (_, Sym::GlobalImplicit) | (_, Sym::ClassName) => {
                let i = self.name_index(name);
                self.emit(Instr::LoadGlobal(i));
            }
        }
    }

    /// The slot of `name` if it is a plain local of the current function.
    pub(super) fn fast_local(&self, name: &str) -> Option<u32> {
        let sc = self.scope();
        if !sc.is_function_like() || sc.sym(name) != Sym::Local {
            return None;
        }
        self.unit_ref().var_map.get(name).copied()
    }

    pub(super) fn store_name(&mut self, name: &str) {
        let kind = self.scope().kind;
        let sym = self.scope().sym(name);
        match (kind, sym) {
            (_, Sym::GlobalExplicit) | (ScopeKind::Module, _) => {
                let i = self.name_index(name);
                self.emit(Instr::StoreGlobal(i));
            }
            (ScopeKind::Class, Sym::Free) => {
                let c = self.cell_index(name);
                self.emit(Instr::StoreDeref(c));
            }
            (ScopeKind::Class, _) => {
                let i = self.name_index(name);
                self.emit(Instr::StoreName(i));
            }
            (_, Sym::Local) => {
                let i = self.var_index(name);
                self.emit(Instr::StoreFast(i));
            }
            (_, Sym::Cell) | (_, Sym::Free) => {
                let c = self.cell_index(name);
                self.emit(Instr::StoreDeref(c));
            }
            _ => {
                let i = self.name_index(name);
                self.emit(Instr::StoreGlobal(i));
            }
        }
    }

    pub(super) fn delete_name(&mut self, name: &str) {
        let kind = self.scope().kind;
        let sym = self.scope().sym(name);
        match (kind, sym) {
            (_, Sym::GlobalExplicit) | (ScopeKind::Module, _) => {
                let i = self.name_index(name);
                self.emit(Instr::DeleteGlobal(i));
            }
            (ScopeKind::Class, _) => {
                let i = self.name_index(name);
                self.emit(Instr::DeleteName(i));
            }
            (_, Sym::Local) => {
                let i = self.var_index(name);
                self.emit(Instr::DeleteFast(i));
            }
            (_, Sym::Cell) | (_, Sym::Free) => {
                let c = self.cell_index(name);
                self.emit(Instr::DeleteDeref(c));
            }
            _ => {
                let i = self.name_index(name);
                self.emit(Instr::DeleteGlobal(i));
            }
        }
    }

    /// Stores the value on top of the stack into `t`.
    pub(super) fn store_target(&mut self, t: &Expr) -> Result<(), CompileError> {
        let saved = self.set_span(t.span);
        let r = self.store_target_inner(t);
        self.set_span(saved);
        r
    }

    fn store_target_inner(&mut self, t: &Expr) -> Result<(), CompileError> {
        match &t.kind {
            ExprKind::Name(n) => self.store_name(n),
            ExprKind::Attribute { value, attr, .. } => {
                if let ExprKind::Name(n) = &value.kind {
                    if let Some(a) = self.fast_local(n) {
                        let i = self.name_index(attr);
                        self.emit(Instr::StoreFastAttr(a, i));
                        return Ok(());
                    }
                }
                self.expr(value)?;
                let i = self.name_index(attr);
                self.emit(Instr::StoreAttr(i));
            }
            ExprKind::Subscript { value, slice } => {
                if let (ExprKind::Name(n), ExprKind::Constant(Constant::Int(IntLiteral::Small(k)))) =
                    (&value.kind, &slice.kind)
                {
                    if let Some(a) = self.fast_local(n) {
                        let c = self.const_value(crate::value::Value::Int(*k));
                        self.emit(Instr::StoreSubscrFastConst(a, c));
                        return Ok(());
                    }
                }
                self.expr(value)?;
                self.subscript_key(slice)?;
                self.emit(Instr::StoreSubscript);
            }
            ExprKind::Tuple(items) | ExprKind::List(items) => {
                let star = items.iter().position(|e| matches!(e.kind, ExprKind::Starred(_)));
                match star {
                    None => {
                        self.emit(Instr::UnpackSequence(items.len() as u32));
                    }
                    Some(k) => {
                        if items.iter().filter(|e| matches!(e.kind, ExprKind::Starred(_))).count() > 1 {
                            return Err(self.error("multiple starred expressions in assignment", t.span));
                        }
                        self.emit(Instr::UnpackEx(k as u32, (items.len() - k - 1) as u32));
                    }
                }
                for item in items {
                    match &item.kind {
                        ExprKind::Starred(inner) => self.store_target(inner)?,
                        _ => self.store_target(item)?,
                    }
                }
            }
            ExprKind::Starred(_) => {
                return Err(self.error("starred assignment target must be in a list or tuple", t.span))
            }
            _ => return Err(self.error("cannot assign to expression", t.span)),
        }
        Ok(())
    }

    pub(super) fn delete_target(&mut self, t: &Expr) -> Result<(), CompileError> {
        match &t.kind {
            ExprKind::Name(n) => self.delete_name(n),
            ExprKind::Attribute { value, attr, .. } => {
                self.expr(value)?;
                let i = self.name_index(attr);
                self.emit(Instr::DeleteAttr(i));
            }
            ExprKind::Subscript { value, slice } => {
                self.expr(value)?;
                self.subscript_key(slice)?;
                self.emit(Instr::DeleteSubscript);
            }
            ExprKind::Tuple(items) | ExprKind::List(items) => {
                for i in items {
                    self.delete_target(i)?;
                }
            }
            _ => return Err(self.error("cannot delete expression", t.span)),
        }
        Ok(())
    }
}
