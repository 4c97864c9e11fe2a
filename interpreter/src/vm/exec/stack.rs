//! Stack shuffling and constants: Nop, Pop, Dup, Dup2, Rot2..Rot4, LoadConst.

use crate::vm::frame::Frame;
use crate::vm::{PyResult, Vm};

impl Vm {
    /// `Instr::Dup`
    #[inline(always)]
    pub(in crate::vm) fn op_dup(&mut self, frame: &mut Box<Frame>) -> PyResult<()> {
        let v = frame.top().clone();
        frame.push(v);
        Ok(())
    }

    /// `Instr::Dup2`
    #[inline(always)]
    pub(in crate::vm) fn op_dup2(&mut self, frame: &mut Box<Frame>) -> PyResult<()> {
        let a = frame.peek(1).clone();
        let b = frame.peek(0).clone();
        frame.push(a);
        frame.push(b);
        Ok(())
    }

    /// `Instr::Rot2`
    #[inline(always)]
    pub(in crate::vm) fn op_rot2(&mut self, frame: &mut Box<Frame>) -> PyResult<()> {
        let n = frame.values.len();
        frame.values.swap(n - 1, n - 2);
        Ok(())
    }

    /// `Instr::Rot3`
    #[inline(always)]
    pub(in crate::vm) fn op_rot3(&mut self, frame: &mut Box<Frame>) -> PyResult<()> {
        let v = frame.pop();
        let n = frame.values.len();
        frame.values.insert(n - 2, v);
        Ok(())
    }

    /// `Instr::Rot4`
    #[inline(always)]
    pub(in crate::vm) fn op_rot4(&mut self, frame: &mut Box<Frame>) -> PyResult<()> {
        let v = frame.pop();
        let n = frame.values.len();
        frame.values.insert(n - 3, v);
        Ok(())
    }

    /// `Instr::LoadConst(i)`
    #[inline(always)]
    pub(in crate::vm) fn op_load_const(&mut self, frame: &mut Box<Frame>, i: u32) -> PyResult<()> {
        let code = frame.code;
        let v = code.consts[i as usize].clone();
        frame.push(v);
        Ok(())
    }
}
