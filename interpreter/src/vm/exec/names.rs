//! Reading, writing and deleting names: fast locals, cells and free variables, module
//! globals (builtins through the slot each code object remembers), class namespaces.

use crate::value::{Object, Value};
use crate::vm::frame::Frame;
use crate::vm::{PyResult, Vm};

impl Vm {
    /// `Instr::LoadFast(i)`
    #[inline(always)]
    pub(in crate::vm) fn op_load_fast(&mut self, frame: &mut Box<Frame>, i: u32) -> PyResult<()> {
        let code = frame.code;
        let v = frame.values[i as usize].clone();
        if v.is_null() {
            let name = code.varnames[i as usize].str_text().to_string();
            return Err(self.unbound_local(&name));
        }
        frame.push(v);
        Ok(())
    }

    /// `Instr::StoreFast(i)`
    #[inline(always)]
    pub(in crate::vm) fn op_store_fast(&mut self, frame: &mut Box<Frame>, i: u32) -> PyResult<()> {
        let v = frame.pop();
        frame.set_local(i as usize, v);
        Ok(())
    }

    /// `Instr::DeleteFast(i)`
    #[inline(always)]
    pub(in crate::vm) fn op_delete_fast(&mut self, frame: &mut Box<Frame>, i: u32) -> PyResult<()> {
        let code = frame.code;
        if frame.values[i as usize].is_null() {
            let name = code.varnames[i as usize].str_text().to_string();
            return Err(self.unbound_local(&name));
        }
        frame.values[i as usize] = Value::Null;
        Ok(())
    }

    /// `Instr::LoadDeref(i)`
    #[inline(always)]
    pub(in crate::vm) fn op_load_deref(&mut self, frame: &mut Box<Frame>, i: u32) -> PyResult<()> {
        let code = frame.code;
        let v = match &*frame.cells[i as usize] {
            Object::Cell(s) => s.get(),
            _ => Value::Null,
        };
        if v.is_null() {
            return Err(self.unbound_deref(code, i as usize));
        }
        frame.push(v);
        Ok(())
    }

    /// `Instr::StoreDeref(i)`
    #[inline(always)]
    pub(in crate::vm) fn op_store_deref(&mut self, frame: &mut Box<Frame>, i: u32) -> PyResult<()> {
        let v = frame.pop();
        if let Object::Cell(s) = &*frame.cells[i as usize] {
            s.set(v);
        }
        Ok(())
    }

    /// `Instr::DeleteDeref(i)`
    #[inline(always)]
    pub(in crate::vm) fn op_delete_deref(&mut self, frame: &mut Box<Frame>, i: u32) -> PyResult<()> {
        let code = frame.code;
        if let Object::Cell(s) = &*frame.cells[i as usize] {
            if s.take().is_null() {
                return Err(self.unbound_deref(code, i as usize));
            }
        }
        Ok(())
    }

    /// `Instr::LoadClosure(i)`
    #[inline(always)]
    pub(in crate::vm) fn op_load_closure(&mut self, frame: &mut Box<Frame>, i: u32) -> PyResult<()> {
        let c = frame.cells[i as usize].clone();
        frame.push(Value::Obj(c));
        Ok(())
    }

    /// `Instr::LoadGlobal(i)`
    #[inline(always)]
    pub(in crate::vm) fn op_load_global(&mut self, frame: &mut Box<Frame>, i: u32) -> PyResult<()> {
        let code = frame.code;
        let slot = code.global_slots[i as usize];
        let v = frame.module.globals.slot(slot).get();
        let v = if v.is_null() { self.load_builtin_at(code, i as usize)? } else { v };
        frame.push(v);
        Ok(())
    }

    /// `Instr::StoreGlobal(i)`
    #[inline(always)]
    pub(in crate::vm) fn op_store_global(&mut self, frame: &mut Box<Frame>, i: u32) -> PyResult<()> {
        let code = frame.code;
        let v = frame.pop();
        let slot = code.global_slots[i as usize];
        frame.module.globals.slot(slot).set(v);
        Ok(())
    }

    /// `Instr::DeleteGlobal(i)`
    #[inline(always)]
    pub(in crate::vm) fn op_delete_global(&mut self, frame: &mut Box<Frame>, i: u32) -> PyResult<()> {
        let code = frame.code;
        let slot = code.global_slots[i as usize];
        if frame.module.globals.slot(slot).take().is_null() {
            let name = code.names[i as usize].str_text().to_string();
            return Err(self.name_error(&format!("name '{name}' is not defined"), &name));
        }
        Ok(())
    }

    /// `Instr::LoadName(i)`
    #[inline(always)]
    pub(in crate::vm) fn op_load_name(&mut self, frame: &mut Box<Frame>, i: u32) -> PyResult<()> {
        let v = self.load_name(frame, i as usize)?;
        frame.push(v);
        Ok(())
    }

    /// `Instr::StoreName(i)`
    #[inline(always)]
    pub(in crate::vm) fn op_store_name(&mut self, frame: &mut Box<Frame>, i: u32) -> PyResult<()> {
        let v = frame.pop();
        self.store_name(frame, i as usize, v)?;
        Ok(())
    }

    /// `Instr::LoadClassDeref(cell, name)`
    #[inline(always)]
    pub(in crate::vm) fn op_load_class_deref(&mut self, frame: &mut Box<Frame>, cell: u32, name: u32) -> PyResult<()> {
        let code = frame.code;
        let ns = frame.namespace.clone();
        let key = Value::Obj(code.names[name as usize].clone());
        let found = match ns {
            Some(ns) => self.get_item_opt(&ns, &key)?,
            None => None,
        };
        let v = match found {
            Some(v) => v,
            None => match &*frame.cells[cell as usize] {
                Object::Cell(s) => s.get(),
                _ => Value::Null,
            },
        };
        if v.is_null() {
            return Err(self.unbound_deref(code, cell as usize));
        }
        frame.push(v);
        Ok(())
    }
}
