//! Jumps: unconditional, on truth, and comparisons fused with the branch that tests
//! them.

use super::arith::fast_compare;
use crate::bytecode::Instr;
use crate::operator::CmpOp;
use crate::value::Value;
use crate::vm::frame::Frame;
use crate::vm::{PyResult, Vm};

impl Vm {
    /// `Instr::Jump(t)`
    #[inline(always)]
    pub(in crate::vm) fn op_jump(&mut self, frame: &mut Box<Frame>, t: u32) -> PyResult<()> {
        // Backward jumps (loops) are where a pending signal (Ctrl-C) is noticed; its
        // handler runs here, and its exception is raised at the jump. A thread dump's
        // request for this thread's stack is answered here too.
        if (t as usize) < frame.ip && crate::blocking::interrupt_pending() {
            self.interrupt_at_jump(frame)?;
        }
        frame.ip = t as usize;
        Ok(())
    }

    /// `Instr::CompareJumpIfFalse(op, t) | Instr::CompareJumpIfTrue(op, t)`
    #[inline(always)]
    pub(in crate::vm) fn op_compare_jump(
        &mut self,
        frame: &mut Box<Frame>,
        instr: Instr,
        op: CmpOp,
        t: u32,
    ) -> PyResult<()> {
        let b = frame.pop();
        let a = frame.pop();
        let r = match (&a, &b) {
            (Value::Int(x), Value::Int(y)) => match op {
                CmpOp::Lt => x < y,
                CmpOp::LtE => x <= y,
                CmpOp::Gt => x > y,
                CmpOp::GtE => x >= y,
                CmpOp::Eq => x == y,
                CmpOp::NotEq => x != y,
                _ => {
                    let v = self.compare(&a, &b, op)?;
                    self.truthy(&v)?
                }
            },
            _ => {
                let v = self.compare(&a, &b, op)?;
                match v {
                    Value::Bool(x) => x,
                    _ => self.truthy(&v)?,
                }
            }
        };
        let jump_when = matches!(instr, Instr::CompareJumpIfTrue(..));
        if r == jump_when {
            frame.ip = t as usize;
        }
        Ok(())
    }

    /// `Instr::CompareFastJump(x, y, flags, op, t)`
    #[inline(always)]
    pub(in crate::vm) fn op_compare_fast_jump(
        &mut self,
        frame: &mut Box<Frame>,
        x: u16,
        y: u16,
        flags: u8,
        op: CmpOp,
        t: u32,
    ) -> PyResult<()> {
        let code = frame.code;
        let b = if flags & 1 != 0 { &code.consts[y as usize] } else { &frame.values[y as usize] };
        let a = &frame.values[x as usize];
        let r = match fast_compare(a, b, op) {
            Some(r) => r,
            None => {
                if let Some(e) = self.unbound_operand(frame, x, (flags & 1 == 0).then_some(y)) {
                    return Err(e);
                }
                let (a, b) = (a.clone(), b.clone());
                self.caller = &**frame;
                let v = self.compare(&a, &b, op)?;
                match v {
                    Value::Bool(x) => x,
                    _ => self.truthy(&v)?,
                }
            }
        };
        if r == (flags & 2 != 0) {
            frame.ip = t as usize;
        }
        Ok(())
    }

    /// `Instr::PopJumpIfFalse(t)`
    #[inline(always)]
    pub(in crate::vm) fn op_pop_jump_if_false(&mut self, frame: &mut Box<Frame>, t: u32) -> PyResult<()> {
        let v = frame.pop();
        let b = match v {
            Value::Bool(b) => b,
            _ => self.truthy(&v)?,
        };
        if !b {
            frame.ip = t as usize;
        }
        Ok(())
    }

    /// `Instr::PopJumpIfTrue(t)`
    #[inline(always)]
    pub(in crate::vm) fn op_pop_jump_if_true(&mut self, frame: &mut Box<Frame>, t: u32) -> PyResult<()> {
        let v = frame.pop();
        let b = match v {
            Value::Bool(b) => b,
            _ => self.truthy(&v)?,
        };
        if b {
            frame.ip = t as usize;
        }
        Ok(())
    }

    /// `Instr::JumpIfFalseOrPop(t)`
    #[inline(always)]
    pub(in crate::vm) fn op_jump_if_false_or_pop(&mut self, frame: &mut Box<Frame>, t: u32) -> PyResult<()> {
        let b = self.truthy(frame.top())?;
        if !b {
            frame.ip = t as usize;
        } else {
            frame.pop();
        }
        Ok(())
    }

    /// `Instr::JumpIfTrueOrPop(t)`
    #[inline(always)]
    pub(in crate::vm) fn op_jump_if_true_or_pop(&mut self, frame: &mut Box<Frame>, t: u32) -> PyResult<()> {
        let b = self.truthy(frame.top())?;
        if b {
            frame.ip = t as usize;
        } else {
            frame.pop();
        }
        Ok(())
    }
}
