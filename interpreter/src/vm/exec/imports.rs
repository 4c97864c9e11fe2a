//! Imports and the REPL: ImportName, ImportFrom, ImportStar, PrintExpr,
//! SetupAnnotations.

use crate::vm::frame::Frame;
use crate::vm::{PyResult, Vm};

impl Vm {
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
