//! Arithmetic and comparison: binary, in-place and unary operators, CompareOp, and the
//! allocation-free fast paths for ints and floats that the fused instructions share.

use crate::bytecode::Instr;
use crate::operator::{BinOp, CmpOp};
use crate::value::Value;
use crate::vm::frame::Frame;
use crate::vm::{PyResult, Vm};

impl Vm {
    /// `Instr::BinaryOpFastFast(x, y, op) | Instr::BinaryOpFastConst(x, y, op)`
    #[inline(always)]
    pub(in crate::vm) fn op_binary_op_fast(
        &mut self,
        frame: &mut Box<Frame>,
        instr: Instr,
        x: u16,
        y: u16,
        op: BinOp,
    ) -> PyResult<()> {
        let code = frame.code;
        let b = match instr {
            Instr::BinaryOpFastFast(..) => &frame.values[y as usize],
            _ => &code.consts[y as usize],
        };
        let a = &frame.values[x as usize];
        if let Some(r) = fast_binary(a, b, op) {
            frame.push(r);
            return Ok(());
        }
        if let Some(e) = self.unbound_operand(frame, x, matches!(instr, Instr::BinaryOpFastFast(..)).then_some(y)) {
            return Err(e);
        }
        let (a, b) = (a.clone(), b.clone());
        self.caller = &**frame;
        let r = self.binary_op(a, b, op)?;
        frame.push(r);
        Ok(())
    }

    /// `Instr::BinaryOp(op)`
    #[inline(always)]
    pub(in crate::vm) fn op_binary_op(&mut self, frame: &mut Box<Frame>, op: BinOp) -> PyResult<()> {
        let b = frame.pop();
        let a = frame.pop();
        if let Some(r) = fast_binary(&a, &b, op) {
            frame.push(r);
            return Ok(());
        }
        let r = self.binary_op(a, b, op)?;
        frame.push(r);
        Ok(())
    }

    /// `Instr::InplaceOp(op)`
    #[inline(always)]
    pub(in crate::vm) fn op_inplace_op(&mut self, frame: &mut Box<Frame>, op: BinOp) -> PyResult<()> {
        let b = frame.pop();
        let a = frame.pop();
        // The hottest in-place cases only, not all of `fast_binary`: sharing that
        // larger match cost 1.6% of the instructions of the `loops` benchmark
        // (callgrind), as dispatching on more cases takes more steps.
        let r = match (&a, &b, op) {
            (Value::Int(x), Value::Int(y), BinOp::Add) => match x.checked_add(*y) {
                Some(r) => Value::Int(r),
                None => self.inplace_op(a, b, op)?,
            },
            (Value::Float(x), Value::Float(y), BinOp::Add) => Value::Float(x + y),
            (Value::Float(x), Value::Float(y), BinOp::Sub) => Value::Float(x - y),
            (Value::Float(x), Value::Float(y), BinOp::Mult) => Value::Float(x * y),
            (Value::Int(x), Value::Int(y), BinOp::Sub) => match x.checked_sub(*y) {
                Some(r) => Value::Int(r),
                None => self.inplace_op(a, b, op)?,
            },
            (Value::Int(x), Value::Int(y), BinOp::BitXor) => Value::Int(x ^ y),
            _ => self.inplace_op(a, b, op)?,
        };
        frame.push(r);
        Ok(())
    }

    /// A unary operator on the top of the stack.
    #[inline(always)]
    fn unary_on_top(&mut self, frame: &mut Box<Frame>, f: fn(&mut Vm, Value) -> PyResult<Value>) -> PyResult<()> {
        let a = frame.pop();
        let r = f(self, a)?;
        frame.push(r);
        Ok(())
    }

    /// `Instr::UnaryNeg`
    #[inline(always)]
    pub(in crate::vm) fn op_unary_neg(&mut self, frame: &mut Box<Frame>) -> PyResult<()> {
        self.unary_on_top(frame, Vm::unary_neg)
    }

    /// `Instr::UnaryPos`
    #[inline(always)]
    pub(in crate::vm) fn op_unary_pos(&mut self, frame: &mut Box<Frame>) -> PyResult<()> {
        self.unary_on_top(frame, Vm::unary_pos)
    }

    /// `Instr::UnaryInvert`
    #[inline(always)]
    pub(in crate::vm) fn op_unary_invert(&mut self, frame: &mut Box<Frame>) -> PyResult<()> {
        self.unary_on_top(frame, Vm::unary_invert)
    }

    /// `Instr::UnaryNot`
    #[inline(always)]
    pub(in crate::vm) fn op_unary_not(&mut self, frame: &mut Box<Frame>) -> PyResult<()> {
        let a = frame.pop();
        let t = self.truthy(&a)?;
        frame.push(Value::Bool(!t));
        Ok(())
    }

    /// `Instr::CompareOp(op)`
    #[inline(always)]
    pub(in crate::vm) fn op_compare_op(&mut self, frame: &mut Box<Frame>, op: CmpOp) -> PyResult<()> {
        let b = frame.pop();
        let a = frame.pop();
        let r = match (&a, &b) {
            (Value::Int(x), Value::Int(y)) => Value::Bool(match op {
                CmpOp::Lt => x < y,
                CmpOp::LtE => x <= y,
                CmpOp::Gt => x > y,
                CmpOp::GtE => x >= y,
                CmpOp::Eq => x == y,
                CmpOp::NotEq => x != y,
                _ => self.compare(&a, &b, op)?.is_true(),
            }),
            _ => self.compare(&a, &b, op)?,
        };
        frame.push(r);
        Ok(())
    }
}

/// The int and float cases of binary operators that need no call and cannot fail
/// (overflow falls back to the general path); None for everything else.
#[inline(always)]
pub(in crate::vm) fn fast_binary(a: &Value, b: &Value, op: BinOp) -> Option<Value> {
    Some(match (a, b, op) {
        (Value::Int(x), Value::Int(y), BinOp::Add) => Value::Int(x.checked_add(*y)?),
        (Value::Int(x), Value::Int(y), BinOp::Sub) => Value::Int(x.checked_sub(*y)?),
        (Value::Int(x), Value::Int(y), BinOp::Mult) => Value::Int(x.checked_mul(*y)?),
        (Value::Float(x), Value::Float(y), BinOp::Add) => Value::Float(x + y),
        (Value::Float(x), Value::Float(y), BinOp::Sub) => Value::Float(x - y),
        (Value::Float(x), Value::Float(y), BinOp::Mult) => Value::Float(x * y),
        (Value::Float(x), Value::Float(y), BinOp::Div) if *y != 0.0 => Value::Float(x / y),
        (Value::Int(x), Value::Int(y), BinOp::Mod) if *y > 0 && *x >= 0 => Value::Int(x % y),
        (Value::Int(x), Value::Int(y), BinOp::FloorDiv) if *y > 0 && *x >= 0 => Value::Int(x / y),
        (Value::Int(x), Value::Int(y), BinOp::BitAnd) => Value::Int(x & y),
        (Value::Int(x), Value::Int(y), BinOp::BitOr) => Value::Int(x | y),
        (Value::Int(x), Value::Int(y), BinOp::BitXor) => Value::Int(x ^ y),
        (Value::Int(x), Value::Int(y), BinOp::RShift) if (0..64).contains(y) => Value::Int(x >> y),
        (Value::Float(x), Value::Int(y), BinOp::Mult) => Value::Float(x * *y as f64),
        (Value::Int(x), Value::Float(y), BinOp::Mult) => Value::Float(*x as f64 * y),
        (Value::Float(x), Value::Int(y), BinOp::Add) => Value::Float(x + *y as f64),
        (Value::Int(x), Value::Float(y), BinOp::Add) => Value::Float(*x as f64 + y),
        (Value::Float(x), Value::Int(y), BinOp::Sub) => Value::Float(x - *y as f64),
        (Value::Int(x), Value::Float(y), BinOp::Sub) => Value::Float(*x as f64 - y),
        _ => return None,
    })
}

/// Comparisons of two ints or two floats; None for everything else.
#[inline(always)]
pub(in crate::vm) fn fast_compare(a: &Value, b: &Value, op: CmpOp) -> Option<bool> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => ordered_compare(x, y, op),
        (Value::Float(x), Value::Float(y)) => ordered_compare(x, y, op),
        _ => None,
    }
}

/// An ordering or equality comparison of two numbers of one kind; None for `is`/`in`.
#[inline(always)]
pub(in crate::vm) fn ordered_compare<T: PartialOrd>(x: &T, y: &T, op: CmpOp) -> Option<bool> {
    Some(match op {
        CmpOp::Lt => x < y,
        CmpOp::LtE => x <= y,
        CmpOp::Gt => x > y,
        CmpOp::GtE => x >= y,
        CmpOp::Eq => x == y,
        CmpOp::NotEq => x != y,
        _ => return None,
    })
}
