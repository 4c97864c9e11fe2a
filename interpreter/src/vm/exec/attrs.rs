//! Attribute access: LoadAttr, StoreAttr, DeleteAttr, LoadMethod and the fused local-
//! attribute instructions (`self.x`, `self.x = v`, `self.x += v`).

use super::arith::fast_binary;
use crate::operator::BinOp;
use crate::value::instance::InstanceObj;
use crate::value::{Object, Value};
use crate::vm::frame::Frame;
use crate::vm::{PyResult, Vm};

impl Vm {
    /// `Instr::LoadAttr(i)`
    #[inline(always)]
    pub(in crate::vm) fn op_load_attr(&mut self, frame: &mut Box<Frame>, i: u32) -> PyResult<()> {
        let code = frame.code;
        let obj = frame.pop();
        let v = self.get_attr(&obj, &code.names[i as usize])?;
        frame.push(v);
        Ok(())
    }

    /// `Instr::StoreAttr(i)`
    #[inline(always)]
    pub(in crate::vm) fn op_store_attr(&mut self, frame: &mut Box<Frame>, i: u32) -> PyResult<()> {
        let code = frame.code;
        let obj = frame.pop();
        let v = frame.pop();
        self.set_attr(&obj, &code.names[i as usize], v)?;
        Ok(())
    }

    /// `Instr::DeleteAttr(i)`
    #[inline(always)]
    pub(in crate::vm) fn op_delete_attr(&mut self, frame: &mut Box<Frame>, i: u32) -> PyResult<()> {
        let code = frame.code;
        let obj = frame.pop();
        self.del_attr(&obj, &code.names[i as usize])?;
        Ok(())
    }

    /// `Instr::LoadMethod(i)`
    #[inline(always)]
    pub(in crate::vm) fn op_load_method(&mut self, frame: &mut Box<Frame>, i: u32) -> PyResult<()> {
        let code = frame.code;
        let obj = frame.pop();
        let (f, s) = self.load_method(obj, &code.names[i as usize])?;
        frame.push(f);
        frame.push(s);
        Ok(())
    }

    /// `Instr::StoreFastAttr(a, i)`
    #[inline(always)]
    pub(in crate::vm) fn op_store_fast_attr(&mut self, frame: &mut Box<Frame>, a: u32, i: u32) -> PyResult<()> {
        let code = frame.code;
        let v = frame.pop();
        let obj = self.bound_local(frame, a)?;
        // `a.__class__ = B` goes through set_attr, which refuses it (classes are fixed).
        let is_class = code.names[i as usize].ptr_eq(&crate::interp::names().__class__);
        let plain = if is_class { None } else { self.plain_instance(obj) };
        if let Some(inst) = plain {
            let name = &code.names[i as usize];
            let hash = crate::value::class::name_hash(name);
            let old = inst.set_name(name, hash, v, &code.attr_hints[i as usize]);
            drop(old);
            return Ok(());
        }
        let obj = obj.clone();
        self.set_attr(&obj, &code.names[i as usize], v)?;
        Ok(())
    }

    /// `Instr::InplaceFastAttr(a, i, op)`
    #[inline(always)]
    pub(in crate::vm) fn op_inplace_fast_attr(
        &mut self,
        frame: &mut Box<Frame>,
        a: u32,
        i: u32,
        op: BinOp,
    ) -> PyResult<()> {
        let code = frame.code;
        let rhs = frame.pop();
        let obj = &frame.values[a as usize];
        let name = &code.names[i as usize];
        if let Some(inst) = self.plain_instance(obj) {
            let hash = crate::value::class::name_hash(name);
            let hint = &code.attr_hints[i as usize];
            if inst.update_name(name, hash, hint, |cur| fast_binary(cur, &rhs, op)) {
                return Ok(());
            }
        }
        let obj = self.bound_local(frame, a)?.clone();
        self.caller = &**frame;
        let cur = self.get_attr(&obj, name)?;
        let r = self.inplace_op(cur, rhs, op)?;
        self.set_attr(&obj, name, r)?;
        Ok(())
    }

    /// `Instr::LoadFastAttr(a, i)`
    #[inline(always)]
    pub(in crate::vm) fn op_load_fast_attr(&mut self, frame: &mut Box<Frame>, a: u32, i: u32) -> PyResult<()> {
        let code = frame.code;
        let obj = self.bound_local(frame, a)?;
        // Instance attribute in the instance dict, when no data descriptor
        // on the class could shadow it: no count on the instance.
        if let Value::Obj(o) = obj {
            if let Object::Instance(inst) = &**o {
                let name = &code.names[i as usize];
                let hash = crate::value::class::name_hash(name);
                if let Some(v) = inst.get_name(name, hash, &code.attr_hints[i as usize]) {
                    let cls = inst.class.clone();
                    if self.class_flags(&cls).plain {
                        frame.push(v);
                        return Ok(());
                    }
                    match self.lookup_type_attr(&cls, name) {
                        None => {
                            frame.push(v);
                            return Ok(());
                        }
                        Some(d) if !matches!(d.obj(), Some(Object::Property(_)) | Some(Object::Instance(_))) => {
                            frame.push(v);
                            return Ok(());
                        }
                        _ => {}
                    }
                }
            }
        }
        let obj = obj.clone();
        let v = self.get_attr(&obj, &code.names[i as usize])?;
        frame.push(v);
        Ok(())
    }

    /// The instance `v` holds when its class is plain (`ClassFlags::plain`: no
    /// descriptor or hook that reading or writing its dict directly would bypass).
    #[inline(always)]
    fn plain_instance<'v>(&mut self, v: &'v Value) -> Option<&'v InstanceObj> {
        if let Value::Obj(o) = v {
            if let Object::Instance(inst) = &**o {
                let cls = inst.class.clone();
                if self.class_flags(&cls).plain {
                    return Some(inst);
                }
            }
        }
        None
    }
}
