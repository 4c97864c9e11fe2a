//! Subscription: `a[k]`, `a[k] = v`, `del a[k]`, slices, and the fused list-index
//! instructions on locals.

use super::arith::fast_binary;
use crate::bytecode::Instr;
use crate::operator::BinOp;
use crate::value::{Object, Value};
use crate::vm::frame::Frame;
use crate::vm::subscript::{int_position, load_list_int, store_list_int};
use crate::vm::{PyResult, Vm};

impl Vm {
    /// `Instr::SubscrFastConst(a, c) | Instr::SubscrFastFast(a, c)`
    #[inline(always)]
    pub(in crate::vm) fn op_subscr_fast(
        &mut self,
        frame: &mut Box<Frame>,
        instr: Instr,
        a: u32,
        c: u32,
    ) -> PyResult<()> {
        let code = frame.code;
        let key = match instr {
            Instr::SubscrFastConst(..) => code.consts[c as usize].clone(),
            _ => self.bound_local(frame, c)?.clone(),
        };
        let obj = &frame.values[a as usize];
        if let Some(v) = load_list_int(obj, &key) {
            frame.push(v);
            return Ok(());
        }
        let obj = self.bound_local(frame, a)?.clone();
        let v = self.get_item(&obj, &key)?;
        frame.push(v);
        Ok(())
    }

    /// `Instr::InplaceSubscrFast(a, k, is_const, op)`
    #[inline(always)]
    pub(in crate::vm) fn op_inplace_subscr_fast(
        &mut self,
        frame: &mut Box<Frame>,
        a: u16,
        k: u16,
        is_const: u8,
        op: BinOp,
    ) -> PyResult<()> {
        let code = frame.code;
        let rhs = frame.pop();
        let key = if is_const != 0 { &code.consts[k as usize] } else { &frame.values[k as usize] };
        let obj = &frame.values[a as usize];
        if let (Value::Obj(o), Value::Int(i)) = (obj, key) {
            if let Object::List(l) = &**o {
                let mut g = l.lock();
                if let Some(j) = int_position(g.len(), *i) {
                    if let Some(r) = fast_binary(&g[j], &rhs, op) {
                        // The old item is a number: replacing it drops nothing.
                        g[j] = r;
                        return Ok(());
                    }
                }
            }
        }
        if let Some(e) = self.unbound_operand(frame, a, (is_const == 0).then_some(k)) {
            return Err(e);
        }
        let (obj, key) = (obj.clone(), key.clone());
        self.caller = &**frame;
        let cur = self.get_item(&obj, &key)?;
        let r = self.inplace_op(cur, rhs, op)?;
        self.set_item(&obj, key, r)?;
        Ok(())
    }

    /// `Instr::StoreSubscrFastConst(a, c)`
    #[inline(always)]
    pub(in crate::vm) fn op_store_subscr_fast_const(&mut self, frame: &mut Box<Frame>, a: u32, c: u32) -> PyResult<()> {
        let code = frame.code;
        let v = frame.pop();
        let key = code.consts[c as usize].clone();
        let v = match store_list_int(&frame.values[a as usize], &key, v) {
            Ok(()) => return Ok(()),
            Err(v) => v,
        };
        let obj = self.bound_local(frame, a)?.clone();
        self.set_item(&obj, key, v)?;
        Ok(())
    }

    /// `Instr::Subscript`
    #[inline(always)]
    pub(in crate::vm) fn op_subscript(&mut self, frame: &mut Box<Frame>) -> PyResult<()> {
        let key = frame.pop();
        let obj = frame.pop();
        // Fast path: list[int] in range.
        if let Some(v) = load_list_int(&obj, &key) {
            frame.push(v);
            return Ok(());
        }
        let v = self.get_item(&obj, &key)?;
        frame.push(v);
        Ok(())
    }

    /// `Instr::StoreSubscript`
    #[inline(always)]
    pub(in crate::vm) fn op_store_subscript(&mut self, frame: &mut Box<Frame>) -> PyResult<()> {
        let key = frame.pop();
        let obj = frame.pop();
        let v = frame.pop();
        let v = match store_list_int(&obj, &key, v) {
            Ok(()) => return Ok(()),
            Err(v) => v,
        };
        self.set_item(&obj, key, v)?;
        Ok(())
    }

    /// `Instr::DeleteSubscript`
    #[inline(always)]
    pub(in crate::vm) fn op_delete_subscript(&mut self, frame: &mut Box<Frame>) -> PyResult<()> {
        let key = frame.pop();
        let obj = frame.pop();
        self.del_item(&obj, &key)?;
        Ok(())
    }

    /// `Instr::BuildSlice(n)`
    #[inline(always)]
    pub(in crate::vm) fn op_build_slice(&mut self, frame: &mut Box<Frame>, n: u32) -> PyResult<()> {
        let step = if n == 3 { frame.pop() } else { Value::None };
        let stop = frame.pop();
        let start = frame.pop();
        frame.push(Value::new(Object::Slice(crate::value::SliceObj { start, stop, step })));
        Ok(())
    }
}
