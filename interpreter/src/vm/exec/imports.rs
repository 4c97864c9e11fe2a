//! Imports and the REPL: ImportName, ImportFrom, ImportStar, PrintExpr,
//! SetupAnnotations.

use crate::vm::frame::Frame;
use crate::vm::{PyResult, Vm};

impl Vm {
    /// `Instr::SetupAnnotations`: an empty `__annotations__` dict in the class
    /// namespace or module globals unless one is there already.
    #[cold]
    pub(in crate::vm) fn op_setup_annotations(&mut self, frame: &mut Box<Frame>) -> PyResult<()> {
        let key = crate::interp::names().__annotations__.clone();
        let empty = || {
            crate::value::Value::new(crate::value::Object::Dict(crate::value::dict::DictObj::new(
                crate::value::dict::DictData::new(),
            )))
        };
        match frame.namespace.clone() {
            Some(ns) => {
                if self.get_item_opt(&ns, &crate::value::Value::Obj(key.clone()))?.is_none() {
                    self.set_item(&ns, crate::value::Value::Obj(key), empty())?;
                }
            }
            None => {
                if frame.module.globals.get(key.str_text()).is_null() {
                    frame.module.globals.set(&key, empty());
                }
            }
        }
        Ok(())
    }

    /// `Instr::ImportName(name, level)`
    #[inline(always)]
    pub(in crate::vm) fn op_import_name(&mut self, frame: &mut Box<Frame>, name: u32, level: u32) -> PyResult<()> {
        let code = frame.code;
        let fromlist = frame.pop();
        let name = code.consts[name as usize].clone();
        self.caller = &**frame;
        let m = self.import_name(&name, level, &fromlist, frame.module)?;
        frame.push(m);
        Ok(())
    }

    /// `Instr::ImportFrom(i)`
    #[inline(always)]
    pub(in crate::vm) fn op_import_from(&mut self, frame: &mut Box<Frame>, i: u32) -> PyResult<()> {
        let code = frame.code;
        let m = frame.top().clone();
        let v = self.import_from(&m, &code.names[i as usize])?;
        frame.push(v);
        Ok(())
    }

    /// `Instr::ImportStar`
    #[inline(always)]
    pub(in crate::vm) fn op_import_star(&mut self, frame: &mut Box<Frame>) -> PyResult<()> {
        let m = frame.pop();
        self.import_star(&m, frame)?;
        Ok(())
    }

    /// `Instr::PrintExpr`
    #[inline(always)]
    pub(in crate::vm) fn op_print_expr(&mut self, frame: &mut Box<Frame>) -> PyResult<()> {
        let v = frame.pop();
        self.caller = &**frame;
        self.print_expr(v, frame.module)?;
        Ok(())
    }
}
