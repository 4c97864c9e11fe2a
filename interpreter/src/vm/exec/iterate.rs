//! Iteration and unpacking: GetIter, ForIter (with in-place fast paths for ranges,
//! generators and `dict.items()`), UnpackSequence, UnpackEx.

use crate::bytecode::Instr;
use crate::value::{Object, Value};
use crate::vm::frame::{Frame, FrameKind};
use crate::vm::{PyResult, Vm};

impl Vm {
    /// `Instr::GetIter`
    #[inline(always)]
    pub(in crate::vm) fn op_get_iter(&mut self, frame: &mut Box<Frame>) -> PyResult<()> {
        let v = frame.pop();
        let it = self.get_iter(&v)?;
        frame.push(it);
        Ok(())
    }

    /// `Instr::ForIter(t)`
    #[inline(always)]
    pub(in crate::vm) fn op_for_iter(&mut self, frame: &mut Box<Frame>, t: u32) -> PyResult<()> {
        let code = frame.code;
        // Fast paths: ranges and generators run without a native call.
        // A range iterator is read in place (not cloned): when only this
        // stack holds it, no other thread can see it and the step needs no
        // atomic read-modify-write.
        if let Value::Obj(o) = frame.top() {
            if let Object::Iter(crate::value::iter::IterObj::Range { next, stop, step }) = &**o {
                let cur = if o.is_unique() {
                    let c = next.load(std::sync::atomic::Ordering::Relaxed);
                    next.store(c.wrapping_add(*step), std::sync::atomic::Ordering::Relaxed);
                    c
                } else {
                    next.fetch_add(*step, std::sync::atomic::Ordering::Relaxed)
                };
                if (*step > 0 && cur < *stop) || (*step < 0 && cur > *stop) {
                    frame.push(Value::Int(cur));
                } else {
                    frame.pop();
                    frame.ip = t as usize;
                }
                return Ok(());
            }
        }
        if let Value::Obj(o) = frame.top() {
            if let Object::Generator(_) = &**o {
                // SAFETY: the generator stays on this frame's stack until
                // its own frame has returned or yielded.
                let gen = unsafe { crate::value::ObjPtr::borrow(o) };
                let gf = self.start_resume(&gen, Value::None)?;
                match gf {
                    Some(mut gf) => {
                        gf.kind = FrameKind::GenForIter { gen, exit: t };
                        self.enter(frame, gf)?;
                    }
                    None => {
                        frame.pop();
                        frame.ip = t as usize;
                    }
                }
                return Ok(());
            }
        }
        // `for k, v in d.items()`: the key and value go straight to the
        // stack, as the UnpackSequence(2) that follows would leave them,
        // without a tuple per item.
        if let Value::Obj(o) = frame.top() {
            if matches!(&**o, Object::Iter(crate::value::iter::IterObj::Dict { what: 2, .. }))
                && matches!(code.instrs.get(frame.ip), Some(Instr::UnpackSequence(2)))
            {
                {
                    // SAFETY: the iterator stays on the stack during the step.
                    let o = unsafe { crate::value::ObjPtr::borrow(o) };
                    let Object::Iter(crate::value::iter::IterObj::Dict { dict, pos, len, .. }) = &**o else {
                        unreachable!()
                    };
                    let step = self.dict_iter_step(dict, pos, *len, |e| (e.key.clone(), e.value.clone()));
                    match (step)? {
                        Some((k, v)) => {
                            frame.push(v);
                            frame.push(k);
                            frame.ip += 1;
                        }
                        None => {
                            frame.pop();
                            frame.ip = t as usize;
                        }
                    }
                    return Ok(());
                }
            }
        }
        let it = frame.top().clone();
        self.caller = &**frame;
        match self.iter_next(&it)? {
            Some(v) => frame.push(v),
            None => {
                frame.pop();
                frame.ip = t as usize;
            }
        }
        Ok(())
    }

    /// `Instr::UnpackSequence(n)`
    #[inline(always)]
    pub(in crate::vm) fn op_unpack_sequence(&mut self, frame: &mut Box<Frame>, n: u32) -> PyResult<()> {
        let seq = frame.pop();
        // Tuples and lists of the right length: push the items directly.
        if let Value::Obj(o) = &seq {
            match &**o {
                Object::Tuple(t) if t.len() == n as usize => {
                    for v in t.items().iter().rev() {
                        frame.push(v.clone());
                    }
                    return Ok(());
                }
                Object::List(l) => {
                    let g = l.lock();
                    if g.len() == n as usize {
                        for v in g.iter().rev() {
                            frame.values.push(v.clone());
                        }
                        return Ok(());
                    }
                }
                _ => {}
            }
        }
        self.caller = &**frame;
        let items = self.unpack(&seq, n as usize)?;
        frame.values.extend(items.into_iter().rev());
        Ok(())
    }

    /// `Instr::UnpackEx(before, after)`
    #[inline(always)]
    pub(in crate::vm) fn op_unpack_ex(&mut self, frame: &mut Box<Frame>, before: u32, after: u32) -> PyResult<()> {
        let seq = frame.pop();
        self.caller = &**frame;
        let items = self.unpack_ex(&seq, before as usize, after as usize)?;
        frame.values.extend(items.into_iter().rev());
        Ok(())
    }
}
