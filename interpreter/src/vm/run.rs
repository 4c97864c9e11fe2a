//! The instruction loop.

use super::frame::{Frame, FrameKind};
use super::{FrameExit, PyErr, PyResult, Vm};
use crate::bytecode::Instr;
use crate::native::Exc;
use crate::operator::{BinOp, CmpOp};
use crate::value::{ObjRef, Object, Value};

/// What a call instruction produced: a finished value, or a frame to switch to.
pub enum Prepared {
    Value(Value),
    Frame(Box<Frame>),
}

impl Vm {
    /// Runs `frame` (and everything it calls) until it returns or, for a generator
    /// frame with kind `GenBoundary`, yields.
    pub fn run_frame(&mut self, frame: Box<Frame>) -> PyResult<FrameExit> {
        self.run_frame_with(frame, None)
    }

    /// Runs `frame` starting by raising `err` at its current instruction (for
    /// `generator.throw`).
    pub fn run_frame_throw(&mut self, frame: Box<Frame>, err: PyErr) -> PyResult<FrameExit> {
        self.run_frame_with(frame, Some(err))
    }

    fn run_frame_with(&mut self, frame: Box<Frame>, pending: Option<PyErr>) -> PyResult<FrameExit> {
        if self.depth >= self.recursion_limit || self.stack_exhausted() {
            let e = self.error(Exc::RecursionError, "maximum recursion depth exceeded");
            self.release_frame(frame);
            return Err(e);
        }
        self.depth += 1;
        let base = self.frames.len();
        let saved_caller = self.caller;
        // The running frame of the enclosing loop (if Rust code called back into
        // script code from it) stays visible for exception chaining.
        let nested = !saved_caller.is_null();
        if nested {
            self.outer_frames.push(saved_caller);
        }
        let r = self.run_loop(frame, base, pending);
        if nested {
            self.outer_frames.pop();
        }
        self.caller = saved_caller;
        self.depth -= 1;
        r
    }

    /// Handles an exception raised in `frame`: jumps to a handler in it or in one of
    /// its callers above `base`, or returns the error when the boundary frame has none.
    /// On success `frame` is the frame that will handle it.
    fn unwind(&mut self, frame: &mut Box<Frame>, err: PyErr) -> PyResult<()> {
        let mut err = err;
        loop {
            self.add_traceback(&err, frame);
            let ip = frame.ip.saturating_sub(1) as u32;
            if let Some(h) = frame.code.exc_table.iter().find(|h| h.start <= ip && ip < h.end) {
                let keep = frame.code.nlocals() + h.depth as usize;
                frame.values.truncate(keep);
                frame.exc_stack.truncate(h.exc_depth as usize);
                frame.push(err.exc);
                frame.ip = h.handler as usize;
                return Ok(());
            }
            // No handler here: the frame ends with the exception. An `Init` frame's
            // instance lives until the frame is released (local 0 may borrow it).
            let kind = std::mem::replace(&mut frame.kind, FrameKind::Call);
            let mut _instance = None;
            match kind {
                FrameKind::Boundary => {
                    let f = std::mem::replace(frame, self.placeholder_frame());
                    self.release_frame(f);
                    return Err(err);
                }
                FrameKind::GenBoundary { gen } => {
                    self.finish_generator(&gen);
                    let f = std::mem::replace(frame, self.placeholder_frame());
                    self.release_frame(f);
                    return Err(self.generator_error(err));
                }
                FrameKind::Call => {}
                FrameKind::Init(inst) => _instance = Some(inst),
                FrameKind::GenForIter { gen, .. } | FrameKind::GenSend { gen, .. } => {
                    self.finish_generator(&gen);
                    err = self.generator_error(err);
                }
                FrameKind::GenCall { gen, .. } => {
                    self.finish_generator(&gen);
                    err = self.generator_error(err);
                }
            }
            self.depth -= 1;
            let caller = self.frames.pop().expect("a non-boundary frame has a caller");
            let f = std::mem::replace(frame, caller);
            self.release_frame(f);
        }
    }

    /// An empty frame used to fill a `&mut Box<Frame>` while its content is moved away.
    fn placeholder_frame(&mut self) -> Box<Frame> {
        self.new_frame(crate::interp::empty_code(), crate::interp::builtins_module())
    }

    /// Switches to a new frame, keeping the current one as its caller.
    #[inline]
    fn enter(&mut self, frame: &mut Box<Frame>, new: Box<Frame>) -> PyResult<()> {
        if self.depth >= self.recursion_limit {
            self.release_frame(new);
            return Err(self.error(Exc::RecursionError, "maximum recursion depth exceeded"));
        }
        self.depth += 1;
        let caller = std::mem::replace(frame, new);
        self.frames.push(caller);
        Ok(())
    }

    /// Leaves the current frame for its caller, returning the finished frame.
    #[inline]
    fn leave(&mut self, frame: &mut Box<Frame>) -> Box<Frame> {
        self.depth -= 1;
        let caller = self.frames.pop().expect("a non-boundary frame has a caller");
        std::mem::replace(frame, caller)
    }

    fn run_loop(&mut self, mut frame: Box<Frame>, base: usize, pending: Option<PyErr>) -> PyResult<FrameExit> {
        debug_assert_eq!(self.frames.len(), base);
        if let Some(e) = pending {
            self.unwind(&mut frame, e)?;
        }
        'dispatch: loop {
            macro_rules! fail {
                ($vm:ident, $frame:ident, $e:expr) => {{
                    let e = $e;
                    $vm.unwind(&mut $frame, e)?;
                    continue 'dispatch;
                }};
            }

            macro_rules! tri {
                ($vm:ident, $frame:ident, $e:expr) => {
                    match $e {
                        Ok(v) => v,
                        Err(e) => {
                            $vm.unwind(&mut $frame, e)?;
                            continue 'dispatch;
                        }
                    }
                };
            }

            // Natives called from this instruction (directly or through attribute
            // lookups) find the calling frame here; it must never be stale.
            self.caller = &*frame;
            let code = frame.code;
            let instr = code.instrs[frame.ip];
            frame.ip += 1;
            match instr {
                Instr::Nop => {}
                Instr::Pop => {
                    frame.pop();
                }
                Instr::Dup => {
                    let v = frame.top().clone();
                    frame.push(v);
                }
                Instr::Dup2 => {
                    let a = frame.peek(1).clone();
                    let b = frame.peek(0).clone();
                    frame.push(a);
                    frame.push(b);
                }
                Instr::Rot2 => {
                    let n = frame.values.len();
                    frame.values.swap(n - 1, n - 2);
                }
                Instr::Rot3 => {
                    let v = frame.pop();
                    let n = frame.values.len();
                    frame.values.insert(n - 2, v);
                }
                Instr::Rot4 => {
                    let v = frame.pop();
                    let n = frame.values.len();
                    frame.values.insert(n - 3, v);
                }
                Instr::LoadConst(i) => {
                    let v = code.consts[i as usize].clone();
                    frame.push(v);
                }
                Instr::LoadFast(i) => {
                    let v = frame.values[i as usize].clone();
                    if v.is_null() {
                        let name = code.varnames[i as usize].str_text().to_string();
                        fail!(self, frame, self.unbound_local(&name));
                    }
                    frame.push(v);
                }
                Instr::StoreFast(i) => {
                    let v = frame.pop();
                    frame.set_local(i as usize, v);
                }
                Instr::DeleteFast(i) => {
                    if frame.values[i as usize].is_null() {
                        let name = code.varnames[i as usize].str_text().to_string();
                        fail!(self, frame, self.unbound_local(&name));
                    }
                    frame.values[i as usize] = Value::Null;
                }
                Instr::LoadDeref(i) => {
                    let v = match &*frame.cells[i as usize] {
                        Object::Cell(s) => s.get(),
                        _ => Value::Null,
                    };
                    if v.is_null() {
                        fail!(self, frame, self.unbound_deref(code, i as usize));
                    }
                    frame.push(v);
                }
                Instr::StoreDeref(i) => {
                    let v = frame.pop();
                    if let Object::Cell(s) = &*frame.cells[i as usize] {
                        s.set(v);
                    }
                }
                Instr::DeleteDeref(i) => {
                    if let Object::Cell(s) = &*frame.cells[i as usize] {
                        if s.take().is_null() {
                            fail!(self, frame, self.unbound_deref(code, i as usize));
                        }
                    }
                }
                Instr::LoadClosure(i) => {
                    let c = frame.cells[i as usize].clone();
                    frame.push(Value::Obj(c));
                }
                Instr::LoadGlobal(i) => {
                    let slot = code.global_slots[i as usize];
                    let v = frame.module.globals.slot(slot).get();
                    let v = if v.is_null() { tri!(self, frame, self.load_builtin_at(code, i as usize)) } else { v };
                    frame.push(v);
                }
                Instr::StoreGlobal(i) => {
                    let v = frame.pop();
                    let slot = code.global_slots[i as usize];
                    frame.module.globals.slot(slot).set(v);
                }
                Instr::DeleteGlobal(i) => {
                    let slot = code.global_slots[i as usize];
                    if frame.module.globals.slot(slot).take().is_null() {
                        let name = code.names[i as usize].str_text().to_string();
                        fail!(self, frame, self.error(Exc::NameError, &format!("name '{name}' is not defined")));
                    }
                }
                Instr::LoadName(i) => {
                    let v = tri!(self, frame, self.load_name(&frame, i as usize));
                    frame.push(v);
                }
                Instr::StoreName(i) => {
                    let v = frame.pop();
                    tri!(self, frame, self.store_name(&frame, i as usize, v));
                }
                Instr::DeleteName(i) => {
                    tri!(self, frame, self.delete_name(&frame, i as usize));
                }
                Instr::LoadClassDeref(cell, name) => {
                    let ns = frame.namespace.clone();
                    let key = Value::Obj(code.names[name as usize].clone());
                    let found = match ns {
                        Some(ns) => tri!(self, frame, self.get_item_opt(&ns, &key)),
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
                        fail!(self, frame, self.unbound_deref(code, cell as usize));
                    }
                    frame.push(v);
                }
                Instr::LoadAttr(i) => {
                    let obj = frame.pop();
                    let v = tri!(self, frame, self.get_attr(&obj, &code.names[i as usize]));
                    frame.push(v);
                }
                Instr::StoreAttr(i) => {
                    let obj = frame.pop();
                    let v = frame.pop();
                    tri!(self, frame, self.set_attr(&obj, &code.names[i as usize], v));
                }
                Instr::DeleteAttr(i) => {
                    let obj = frame.pop();
                    tri!(self, frame, self.del_attr(&obj, &code.names[i as usize]));
                }
                Instr::LoadMethod(i) => {
                    let obj = frame.pop();
                    let (f, s) = tri!(self, frame, self.load_method(obj, &code.names[i as usize]));
                    frame.push(f);
                    frame.push(s);
                }
                Instr::CallMethod(1) if Self::is_gen_method(&frame, "generator.send") => {
                    // gen.send(v) from script code resumes the generator in this loop.
                    let gf = tri!(self, frame, self.resume_sent(&mut frame));
                    tri!(self, frame, self.enter(&mut frame, gf));
                }
                Instr::CallMethod(argc) => {
                    match tri!(self, frame, self.call_method_on_stack(&mut frame, argc as usize, None)) {
                        Prepared::Value(v) => frame.push(v),
                        Prepared::Frame(f) => tri!(self, frame, self.enter(&mut frame, f)),
                    }
                }
                Instr::CallMethodKw(argc, kwnames) => {
                    let names = code.consts[kwnames as usize].clone();
                    let r = self.call_method_on_stack(&mut frame, argc as usize, Some(&names));
                    match tri!(self, frame, r) {
                        Prepared::Value(v) => frame.push(v),
                        Prepared::Frame(f) => tri!(self, frame, self.enter(&mut frame, f)),
                    }
                }
                Instr::CallLocalMethod(local, packed) => {
                    let name = &code.names[(packed & 0xFF_FFFF) as usize];
                    let argc = (packed >> 24) as usize;
                    let slot = local as usize;
                    if frame.values[slot].is_null() {
                        let name = code.varnames[slot].str_text().to_string();
                        fail!(self, frame, self.unbound_local(&name));
                    }
                    // The object stays in its local while the call runs (no code can
                    // rebind a caller's fast local), so it is passed without a count.
                    let obj: *const Value = &frame.values[slot];
                    let f = self.plain_method(unsafe { &*obj }, name);
                    // `local.send(v)` on a generator resumes it in this loop (before the fast
                    // entries: `generator.send` has one); the local keeps the generator,
                    // which is not counted.
                    if argc == 1 {
                        if let (Some(Value::Obj(fo)), Value::Obj(g)) = (&f, &frame.values[slot]) {
                            if matches!((&**fo, &**g), (Object::Builtin(b), Object::Generator(_)) if b.qualname == "generator.send" && b.bound.is_none())
                            {
                                // SAFETY: no code can rebind the caller's local while
                                // the generator's frame runs.
                                let gen = unsafe { crate::value::ObjPtr::borrow(g) };
                                let v = frame.pop();
                                match self.start_resume(&gen, v) {
                                    Ok(Some(mut gf)) => {
                                        gf.kind = FrameKind::GenCall { gen, owner: None };
                                        tri!(self, frame, self.enter(&mut frame, gf));
                                    }
                                    Ok(None) => fail!(self, frame, self.stop_iteration(Value::None)),
                                    Err(e) => fail!(self, frame, e),
                                }
                                continue 'dispatch;
                            }
                        }
                    }
                    if let Some(Value::Obj(fo)) = &f {
                        if let Object::Builtin(b) = &**fo {
                            if b.has_fast() {
                                let n = frame.values.len();
                                let mut buf = [const { std::mem::MaybeUninit::<Value>::uninit() }; 4];
                                // SAFETY: bitwise copies of the object and the arguments;
                                // `buf` never drops them (MaybeUninit), the local and the
                                // stack keep owning them.
                                let r = unsafe {
                                    std::ptr::copy_nonoverlapping(obj, buf[0].as_mut_ptr(), 1);
                                    std::ptr::copy_nonoverlapping(
                                        frame.values.as_ptr().add(n - argc),
                                        buf[1].as_mut_ptr(),
                                        argc,
                                    );
                                    let args = std::slice::from_raw_parts(buf[0].as_ptr(), argc + 1);
                                    self.caller = &*frame;
                                    b.call_fast(self, args)
                                };
                                frame.values.truncate(n - argc);
                                frame.push(tri!(self, frame, r));
                                continue 'dispatch;
                            }
                        }
                        if let Object::Function(func) = &**fo {
                            if super::call::is_simple_code(func.code) && func.code.arg_count as usize == argc + 1 {
                                // The arguments move from this stack into the new frame;
                                // the object stays in its local, so the callee may hold
                                // it uncounted.
                                let borrow = func.code.flags & crate::bytecode::CO_STABLE_SELF != 0;
                                let objv = if borrow {
                                    // SAFETY: a bitwise copy that is forgotten, never
                                    // dropped (`Frame::borrowed_self`).
                                    unsafe { std::ptr::read(&frame.values[slot]) }
                                } else {
                                    frame.values[slot].clone()
                                };
                                let mut nf = self.simple_frame(func, Some(objv), &mut frame, argc);
                                nf.borrowed_self = borrow;
                                tri!(self, frame, self.enter(&mut frame, nf));
                                continue 'dispatch;
                            }
                        }
                    }
                    // Otherwise put `[f self]` (or `[attr Null]`) under the arguments
                    // and call as CallMethod does.
                    let objv = frame.values[slot].clone();
                    let (f, s) = match f {
                        Some(f) => (f, objv),
                        None => (tri!(self, frame, self.get_attr(&objv, name)), Value::Null),
                    };
                    let n = frame.values.len();
                    frame.values.splice(n - argc..n - argc, [f, s]);
                    if argc == 1 && Self::is_gen_method(&frame, "generator.send") {
                        let gf = tri!(self, frame, self.resume_sent(&mut frame));
                        tri!(self, frame, self.enter(&mut frame, gf));
                        continue 'dispatch;
                    }
                    match tri!(self, frame, self.call_method_on_stack(&mut frame, argc, None)) {
                        Prepared::Value(v) => frame.push(v),
                        Prepared::Frame(f) => tri!(self, frame, self.enter(&mut frame, f)),
                    }
                }
                Instr::SubscrFastConst(a, c) | Instr::SubscrFastFast(a, c) => {
                    let key = match instr {
                        Instr::SubscrFastConst(..) => code.consts[c as usize].clone(),
                        _ => {
                            let k = frame.values[c as usize].clone();
                            if k.is_null() {
                                let name = code.varnames[c as usize].str_text().to_string();
                                fail!(self, frame, self.unbound_local(&name));
                            }
                            k
                        }
                    };
                    let obj = &frame.values[a as usize];
                    if let (Value::Obj(o), Value::Int(i)) = (obj, &key) {
                        if let Object::List(l) = &**o {
                            let g = l.lock();
                            let n = g.len() as i64;
                            let j = if *i < 0 { i + n } else { *i };
                            if j >= 0 && j < n {
                                let v = g[j as usize].clone();
                                drop(g);
                                frame.push(v);
                                continue;
                            }
                        }
                    }
                    if obj.is_null() {
                        let name = code.varnames[a as usize].str_text().to_string();
                        fail!(self, frame, self.unbound_local(&name));
                    }
                    let obj = obj.clone();
                    let v = tri!(self, frame, self.get_item(&obj, &key));
                    frame.push(v);
                }
                Instr::InplaceSubscrFast(a, k, is_const, op) => {
                    let rhs = frame.pop();
                    let key = if is_const != 0 { &code.consts[k as usize] } else { &frame.values[k as usize] };
                    let obj = &frame.values[a as usize];
                    if let (Value::Obj(o), Value::Int(i)) = (obj, key) {
                        if let Object::List(l) = &**o {
                            let mut g = l.lock();
                            let n = g.len() as i64;
                            let j = if *i < 0 { i + n } else { *i };
                            if j >= 0 && j < n {
                                if let Some(r) = fast_binary(&g[j as usize], &rhs, op) {
                                    // The old item is a number: replacing it drops nothing.
                                    g[j as usize] = r;
                                    continue;
                                }
                            }
                        }
                    }
                    if let Some(e) = self.unbound_operand(&frame, a, (is_const == 0).then_some(k)) {
                        fail!(self, frame, e);
                    }
                    let (obj, key) = (obj.clone(), key.clone());
                    self.caller = &*frame;
                    let cur = tri!(self, frame, self.get_item(&obj, &key));
                    let r = tri!(self, frame, self.inplace_op(cur, rhs, op));
                    tri!(self, frame, self.set_item(&obj, key, r));
                }
                Instr::StoreSubscrFastConst(a, c) => {
                    let v = frame.pop();
                    let key = code.consts[c as usize].clone();
                    let obj = &frame.values[a as usize];
                    if let (Value::Obj(o), Value::Int(i)) = (obj, &key) {
                        if let Object::List(l) = &**o {
                            let mut g = l.lock();
                            let n = g.len() as i64;
                            let j = if *i < 0 { i + n } else { *i };
                            if j >= 0 && j < n {
                                let old = std::mem::replace(&mut g[j as usize], v);
                                drop(g);
                                drop(old);
                                continue;
                            }
                        }
                    }
                    if obj.is_null() {
                        let name = code.varnames[a as usize].str_text().to_string();
                        fail!(self, frame, self.unbound_local(&name));
                    }
                    let obj = obj.clone();
                    tri!(self, frame, self.set_item(&obj, key, v));
                }
                Instr::StoreFastAttr(a, i) => {
                    let v = frame.pop();
                    let obj = &frame.values[a as usize];
                    if obj.is_null() {
                        let name = code.varnames[a as usize].str_text().to_string();
                        fail!(self, frame, self.unbound_local(&name));
                    }
                    if let Value::Obj(o) = obj {
                        if let Object::Instance(inst) = &**o {
                            let cls = inst.class.clone();
                            if self.class_flags(&cls).plain {
                                let name = &code.names[i as usize];
                                let hash = crate::value::class::name_hash(name);
                                let old = inst.set_name(name, hash, v, &code.attr_hints[i as usize]);
                                drop(old);
                                continue;
                            }
                        }
                    }
                    let obj = obj.clone();
                    tri!(self, frame, self.set_attr(&obj, &code.names[i as usize], v));
                }
                Instr::InplaceFastAttr(a, i, op) => {
                    let rhs = frame.pop();
                    let obj = &frame.values[a as usize];
                    let name = &code.names[i as usize];
                    if let Value::Obj(o) = obj {
                        if let Object::Instance(inst) = &**o {
                            let cls = inst.class.clone();
                            if self.class_flags(&cls).plain {
                                let hash = crate::value::class::name_hash(name);
                                let hint = &code.attr_hints[i as usize];
                                if inst.update_name(name, hash, hint, |cur| fast_binary(cur, &rhs, op)) {
                                    continue;
                                }
                            }
                        }
                    }
                    if obj.is_null() {
                        let name = code.varnames[a as usize].str_text().to_string();
                        fail!(self, frame, self.unbound_local(&name));
                    }
                    let obj = obj.clone();
                    self.caller = &*frame;
                    let cur = tri!(self, frame, self.get_attr(&obj, name));
                    let r = tri!(self, frame, self.inplace_op(cur, rhs, op));
                    tri!(self, frame, self.set_attr(&obj, name, r));
                }
                Instr::LoadFastAttr(a, i) => {
                    let obj = &frame.values[a as usize];
                    if obj.is_null() {
                        let name = code.varnames[a as usize].str_text().to_string();
                        fail!(self, frame, self.unbound_local(&name));
                    }
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
                                    continue;
                                }
                                match self.lookup_type_attr(&cls, name) {
                                    None => {
                                        frame.push(v);
                                        continue;
                                    }
                                    Some(d)
                                        if !matches!(
                                            d.obj(),
                                            Some(Object::Property(_)) | Some(Object::Instance(_))
                                        ) =>
                                    {
                                        frame.push(v);
                                        continue;
                                    }
                                    _ => {}
                                }
                            }
                        }
                    }
                    let obj = obj.clone();
                    let v = tri!(self, frame, self.get_attr(&obj, &code.names[i as usize]));
                    frame.push(v);
                }
                Instr::Subscript => {
                    let key = frame.pop();
                    let obj = frame.pop();
                    // Fast path: list[int] in range.
                    if let (Value::Obj(o), Value::Int(i)) = (&obj, &key) {
                        if let Object::List(l) = &**o {
                            let g = l.lock();
                            let n = g.len() as i64;
                            let j = if *i < 0 { i + n } else { *i };
                            if j >= 0 && j < n {
                                let v = g[j as usize].clone();
                                drop(g);
                                frame.push(v);
                                continue;
                            }
                        }
                    }
                    let v = tri!(self, frame, self.get_item(&obj, &key));
                    frame.push(v);
                }
                Instr::StoreSubscript => {
                    let key = frame.pop();
                    let obj = frame.pop();
                    let v = frame.pop();
                    if let (Value::Obj(o), Value::Int(i)) = (&obj, &key) {
                        if let Object::List(l) = &**o {
                            let mut g = l.lock();
                            let n = g.len() as i64;
                            let j = if *i < 0 { i + n } else { *i };
                            if j >= 0 && j < n {
                                let old = std::mem::replace(&mut g[j as usize], v);
                                drop(g);
                                drop(old);
                                continue;
                            }
                            drop(g);
                        }
                    }
                    tri!(self, frame, self.set_item(&obj, key, v));
                }
                Instr::DeleteSubscript => {
                    let key = frame.pop();
                    let obj = frame.pop();
                    tri!(self, frame, self.del_item(&obj, &key));
                }
                Instr::BuildSlice(n) => {
                    let step = if n == 3 { frame.pop() } else { Value::None };
                    let stop = frame.pop();
                    let start = frame.pop();
                    frame.push(Value::new(Object::Slice(crate::value::SliceObj { start, stop, step })));
                }
                Instr::BinaryOpFastFast(x, y, op) | Instr::BinaryOpFastConst(x, y, op) => {
                    let b = match instr {
                        Instr::BinaryOpFastFast(..) => &frame.values[y as usize],
                        _ => &code.consts[y as usize],
                    };
                    let a = &frame.values[x as usize];
                    if let Some(r) = fast_binary(a, b, op) {
                        frame.push(r);
                        continue;
                    }
                    if let Some(e) =
                        self.unbound_operand(&frame, x, matches!(instr, Instr::BinaryOpFastFast(..)).then_some(y))
                    {
                        fail!(self, frame, e);
                    }
                    let (a, b) = (a.clone(), b.clone());
                    self.caller = &*frame;
                    let r = tri!(self, frame, self.binary_op(a, b, op));
                    frame.push(r);
                }
                Instr::BinaryOp(op) => {
                    let b = frame.pop();
                    let a = frame.pop();
                    if let Some(r) = fast_binary(&a, &b, op) {
                        frame.push(r);
                        continue;
                    }
                    let r = tri!(self, frame, self.binary_op(a, b, op));
                    frame.push(r);
                }
                Instr::InplaceOp(op) => {
                    let b = frame.pop();
                    let a = frame.pop();
                    let r = match (&a, &b, op) {
                        (Value::Int(x), Value::Int(y), BinOp::Add) => match x.checked_add(*y) {
                            Some(r) => Value::Int(r),
                            None => tri!(self, frame, self.inplace_op(a, b, op)),
                        },
                        (Value::Float(x), Value::Float(y), BinOp::Add) => Value::Float(x + y),
                        (Value::Float(x), Value::Float(y), BinOp::Sub) => Value::Float(x - y),
                        (Value::Float(x), Value::Float(y), BinOp::Mult) => Value::Float(x * y),
                        (Value::Int(x), Value::Int(y), BinOp::Sub) => match x.checked_sub(*y) {
                            Some(r) => Value::Int(r),
                            None => tri!(self, frame, self.inplace_op(a, b, op)),
                        },
                        (Value::Int(x), Value::Int(y), BinOp::BitXor) => Value::Int(x ^ y),
                        _ => tri!(self, frame, self.inplace_op(a, b, op)),
                    };
                    frame.push(r);
                }
                Instr::UnaryNeg => {
                    let a = frame.pop();
                    let r = tri!(self, frame, self.unary_neg(a));
                    frame.push(r);
                }
                Instr::UnaryPos => {
                    let a = frame.pop();
                    let r = tri!(self, frame, self.unary_pos(a));
                    frame.push(r);
                }
                Instr::UnaryInvert => {
                    let a = frame.pop();
                    let r = tri!(self, frame, self.unary_invert(a));
                    frame.push(r);
                }
                Instr::UnaryNot => {
                    let a = frame.pop();
                    let t = tri!(self, frame, self.truthy(&a));
                    frame.push(Value::Bool(!t));
                }
                Instr::CompareOp(op) => {
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
                            _ => tri!(self, frame, self.compare(&a, &b, op)).is_true(),
                        }),
                        _ => tri!(self, frame, self.compare(&a, &b, op)),
                    };
                    frame.push(r);
                }
                Instr::Jump(t) => {
                    // Backward jumps (loops) are where a pending Ctrl-C is noticed.
                    if (t as usize) < frame.ip
                        && crate::blocking::interrupt_pending()
                        && crate::blocking::take_interrupt()
                    {
                        fail!(self, frame, self.error(Exc::KeyboardInterrupt, ""));
                    }
                    frame.ip = t as usize;
                }
                Instr::CompareJumpIfFalse(op, t) | Instr::CompareJumpIfTrue(op, t) => {
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
                                let v = tri!(self, frame, self.compare(&a, &b, op));
                                tri!(self, frame, self.truthy(&v))
                            }
                        },
                        _ => {
                            let v = tri!(self, frame, self.compare(&a, &b, op));
                            match v {
                                Value::Bool(x) => x,
                                _ => tri!(self, frame, self.truthy(&v)),
                            }
                        }
                    };
                    let jump_when = matches!(instr, Instr::CompareJumpIfTrue(..));
                    if r == jump_when {
                        frame.ip = t as usize;
                    }
                }
                Instr::CompareFastJump(x, y, flags, op, t) => {
                    let b = if flags & 1 != 0 { &code.consts[y as usize] } else { &frame.values[y as usize] };
                    let a = &frame.values[x as usize];
                    let r = match fast_compare(a, b, op) {
                        Some(r) => r,
                        None => {
                            if let Some(e) = self.unbound_operand(&frame, x, (flags & 1 == 0).then_some(y)) {
                                fail!(self, frame, e);
                            }
                            let (a, b) = (a.clone(), b.clone());
                            self.caller = &*frame;
                            let v = tri!(self, frame, self.compare(&a, &b, op));
                            match v {
                                Value::Bool(x) => x,
                                _ => tri!(self, frame, self.truthy(&v)),
                            }
                        }
                    };
                    if r == (flags & 2 != 0) {
                        frame.ip = t as usize;
                    }
                }
                Instr::PopJumpIfFalse(t) => {
                    let v = frame.pop();
                    let b = match v {
                        Value::Bool(b) => b,
                        _ => tri!(self, frame, self.truthy(&v)),
                    };
                    if !b {
                        frame.ip = t as usize;
                    }
                }
                Instr::PopJumpIfTrue(t) => {
                    let v = frame.pop();
                    let b = match v {
                        Value::Bool(b) => b,
                        _ => tri!(self, frame, self.truthy(&v)),
                    };
                    if b {
                        frame.ip = t as usize;
                    }
                }
                Instr::JumpIfFalseOrPop(t) => {
                    let b = tri!(self, frame, self.truthy(frame.top()));
                    if !b {
                        frame.ip = t as usize;
                    } else {
                        frame.pop();
                    }
                }
                Instr::JumpIfTrueOrPop(t) => {
                    let b = tri!(self, frame, self.truthy(frame.top()));
                    if b {
                        frame.ip = t as usize;
                    } else {
                        frame.pop();
                    }
                }
                Instr::GetIter => {
                    let v = frame.pop();
                    let it = tri!(self, frame, self.get_iter(&v));
                    frame.push(it);
                }
                Instr::ForIter(t) => {
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
                            continue;
                        }
                    }
                    if let Value::Obj(o) = frame.top() {
                        if let Object::Generator(_) = &**o {
                            // SAFETY: the generator stays on this frame's stack until
                            // its own frame has returned or yielded.
                            let gen = unsafe { crate::value::ObjPtr::borrow(o) };
                            let gf = tri!(self, frame, self.start_resume(&gen, Value::None));
                            match gf {
                                Some(mut gf) => {
                                    gf.kind = FrameKind::GenForIter { gen, exit: t };
                                    tri!(self, frame, self.enter(&mut frame, gf));
                                }
                                None => {
                                    frame.pop();
                                    frame.ip = t as usize;
                                }
                            }
                            continue;
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
                                let Object::Iter(crate::value::iter::IterObj::Dict { dict, pos, len, .. }) = &**o
                                else {
                                    unreachable!()
                                };
                                let step = self.dict_iter_step(dict, pos, *len, |e| (e.key.clone(), e.value.clone()));
                                match tri!(self, frame, step) {
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
                                continue;
                            }
                        }
                    }
                    let it = frame.top().clone();
                    self.caller = &*frame;
                    match tri!(self, frame, self.iter_next(&it)) {
                        Some(v) => frame.push(v),
                        None => {
                            frame.pop();
                            frame.ip = t as usize;
                        }
                    }
                }
                Instr::Return => {
                    let v = frame.pop();
                    let kind = std::mem::replace(&mut frame.kind, FrameKind::Call);
                    match kind {
                        FrameKind::Call => {
                            let done = self.leave(&mut frame);
                            self.release_frame(done);
                            frame.push(v);
                        }
                        FrameKind::Init(inst) => {
                            let done = self.leave(&mut frame);
                            self.release_frame(done);
                            if !v.is_none() {
                                let msg = format!("__init__() should return None, not '{}'", self.type_name(&v));
                                fail!(self, frame, self.error(Exc::TypeError, &msg));
                            }
                            frame.push(inst);
                        }
                        FrameKind::Boundary => {
                            self.release_frame(frame);
                            return Ok(FrameExit::Return(v));
                        }
                        FrameKind::GenBoundary { gen } => {
                            self.finish_generator(&gen);
                            self.release_frame(frame);
                            return Ok(FrameExit::Return(v));
                        }
                        FrameKind::GenForIter { gen, exit } => {
                            self.finish_generator(&gen);
                            let done = self.leave(&mut frame);
                            self.release_frame(done);
                            frame.pop();
                            frame.ip = exit as usize;
                        }
                        FrameKind::GenCall { gen, .. } => {
                            self.finish_generator(&gen);
                            let done = self.leave(&mut frame);
                            self.release_frame(done);
                            fail!(self, frame, self.stop_iteration(v));
                        }
                        FrameKind::GenSend { gen, exit } => {
                            self.finish_generator(&gen);
                            let done = self.leave(&mut frame);
                            self.release_frame(done);
                            frame.pop();
                            frame.push(v);
                            frame.ip = exit as usize;
                        }
                    }
                }
                Instr::BuildTuple(n) => {
                    let at = frame.values.len() - n as usize;
                    let items: Vec<Value> = frame.values.drain(at..).collect();
                    frame.push(Value::tuple(items));
                }
                Instr::BuildList(n) => {
                    let at = frame.values.len() - n as usize;
                    let items: Vec<Value> = frame.values.drain(at..).collect();
                    frame.push(Value::list(items));
                }
                Instr::BuildSet(n) => {
                    let at = frame.values.len() - n as usize;
                    let items: Vec<Value> = frame.values.drain(at..).collect();
                    let s = tri!(self, frame, self.new_set(items, false));
                    frame.push(s);
                }
                Instr::BuildMap(n) => {
                    let at = frame.values.len() - 2 * n as usize;
                    let items: Vec<Value> = frame.values.drain(at..).collect();
                    let d = crate::value::Value::new(Object::Dict(crate::value::dict::DictObj::new(
                        crate::value::dict::DictData::with_capacity(n as usize),
                    )));
                    let mut it = items.into_iter();
                    while let (Some(k), Some(v)) = (it.next(), it.next()) {
                        tri!(self, frame, self.dict_set(&d, k, v));
                    }
                    frame.push(d);
                }
                Instr::BuildString(n) => {
                    let at = frame.values.len() - n as usize;
                    // The text is built in a buffer kept by the VM and copied once
                    // into the new str (inline when short).
                    let mut s = std::mem::take(&mut self.text_buf);
                    s.clear();
                    for v in frame.values.drain(at..) {
                        match &v {
                            Value::Int(i) => push_decimal(&mut s, *i),
                            _ => {
                                if let Some(t) = v.as_str() {
                                    s.push_str(t.as_str());
                                }
                            }
                        }
                    }
                    frame.push(Value::str(&s));
                    if s.capacity() <= 4096 {
                        self.text_buf = s;
                    }
                }
                Instr::FormatValue(flags) if flags & 15 == 8 && matches!(frame.top(), Value::Int(_)) => {
                    // A plain int inside an f-string: BuildString writes it.
                }
                Instr::FormatValue(flags) => {
                    let spec = if flags & 4 != 0 { Some(frame.pop()) } else { None };
                    let v = frame.pop();
                    self.caller = &*frame;
                    let s = tri!(self, frame, self.format_value(v, flags & 3, spec));
                    frame.push(s);
                }
                Instr::ListAppend(d) => {
                    let v = frame.pop();
                    let target = frame.peek(d as usize - 1).clone();
                    if let Some(l) = target.as_list() {
                        l.push(v);
                    }
                }
                Instr::SetAdd(d) => {
                    let v = frame.pop();
                    let target = frame.peek(d as usize - 1).clone();
                    tri!(self, frame, self.set_add(&target, v));
                }
                Instr::MapAdd(d) => {
                    let v = frame.pop();
                    let k = frame.pop();
                    let target = frame.peek(d as usize - 1).clone();
                    tri!(self, frame, self.dict_set(&target, k, v));
                }
                Instr::ListExtend(d) => {
                    let src = frame.pop();
                    let target = frame.peek(d as usize - 1).clone();
                    self.caller = &*frame;
                    if !self.is_iterable(&src) {
                        let msg = format!("Value after * must be an iterable, not {}", self.type_name(&src));
                        fail!(self, frame, self.type_error(&msg));
                    }
                    let items = tri!(self, frame, self.collect(&src));
                    if let Some(l) = target.as_list() {
                        l.lock().extend(items);
                    }
                }
                Instr::SetUpdate(d) => {
                    let src = frame.pop();
                    let target = frame.peek(d as usize - 1).clone();
                    self.caller = &*frame;
                    // A set copied into a new empty one keeps CPython's `set_merge`
                    // layout (a constant display is built this way, see the compiler).
                    if let (Some(Object::Set(t)), Some(Object::Set(src_set))) = (target.obj(), src.obj()) {
                        let data = src_set.lock().clone();
                        let mut tg = t.lock();
                        if tg.is_empty() {
                            tg.merge_from(&data);
                            continue;
                        }
                    }
                    let items = tri!(self, frame, self.collect(&src));
                    for v in items {
                        tri!(self, frame, self.set_add(&target, v));
                    }
                }
                Instr::DictUpdate(d) | Instr::DictMerge(d) => {
                    let src = frame.pop();
                    let target = frame.peek(d as usize - 1).clone();
                    let merge = matches!(instr, Instr::DictMerge(_));
                    self.caller = &*frame;
                    // `{**x}` and `f(**x)` need a mapping (something with keys()); in a
                    // call the messages name the function, which sits below the
                    // positional tuple and the keyword dict.
                    let mapping = matches!(src.obj(), Some(Object::Dict(_)))
                        || tri!(self, frame, self.get_attr_opt(&src, &crate::value::str::intern("keys"))).is_some();
                    if !mapping {
                        let msg = if merge {
                            let f = frame.peek(d as usize + 1).clone();
                            format!(
                                "{} argument after ** must be a mapping, not {}",
                                self.function_str(&f),
                                self.type_name(&src)
                            )
                        } else {
                            format!("'{}' object is not a mapping", self.type_name(&src))
                        };
                        fail!(self, frame, self.type_error(&msg));
                    }
                    if let Err(e) = self.dict_update_from(&target, &src, merge) {
                        let text = self.exc_message(&e.exc);
                        if merge && text.starts_with("got multiple values") {
                            let f = frame.peek(d as usize + 1).clone();
                            let msg = format!("{} {}", self.function_str(&f), text);
                            fail!(self, frame, self.type_error(&msg));
                        }
                        fail!(self, frame, e);
                    }
                }
                Instr::ListToTuple => {
                    let l = frame.pop();
                    let items = l.as_list().map(|l| l.snapshot()).unwrap_or_default();
                    frame.push(Value::tuple(items));
                }
                Instr::UnpackSequence(n) => {
                    let seq = frame.pop();
                    // Tuples and lists of the right length: push the items directly.
                    if let Value::Obj(o) = &seq {
                        match &**o {
                            Object::Tuple(t) if t.len() == n as usize => {
                                for v in t.items().iter().rev() {
                                    frame.push(v.clone());
                                }
                                continue;
                            }
                            Object::List(l) => {
                                let g = l.lock();
                                if g.len() == n as usize {
                                    for v in g.iter().rev() {
                                        frame.values.push(v.clone());
                                    }
                                    continue;
                                }
                            }
                            _ => {}
                        }
                    }
                    self.caller = &*frame;
                    let items = tri!(self, frame, self.unpack(&seq, n as usize));
                    frame.values.extend(items.into_iter().rev());
                }
                Instr::UnpackEx(before, after) => {
                    let seq = frame.pop();
                    self.caller = &*frame;
                    let items = tri!(self, frame, self.unpack_ex(&seq, before as usize, after as usize));
                    frame.values.extend(items.into_iter().rev());
                }
                Instr::MakeFunction(ci, flags) => {
                    let f = tri!(self, frame, self.make_function(&mut frame, ci as usize, flags));
                    frame.push(f);
                }
                Instr::Call(1) if Self::is_next_of_generator(&frame) => {
                    let Value::Obj(g) = frame.pop() else { unreachable!("checked generator") };
                    frame.pop();
                    match self.start_resume(&g, Value::None) {
                        Ok(Some(mut gf)) => {
                            // SAFETY: `owner` keeps the generator alive with the frame.
                            gf.kind =
                                FrameKind::GenCall { gen: unsafe { crate::value::ObjPtr::borrow(&g) }, owner: Some(g) };
                            tri!(self, frame, self.enter(&mut frame, gf));
                        }
                        Ok(None) => fail!(self, frame, self.stop_iteration(Value::None)),
                        Err(e) => fail!(self, frame, e),
                    }
                }
                Instr::Call(argc) => {
                    self.caller = &*frame;
                    match tri!(self, frame, self.call_from_stack(&mut frame, argc as usize, None)) {
                        Prepared::Value(v) => frame.push(v),
                        Prepared::Frame(f) => tri!(self, frame, self.enter(&mut frame, f)),
                    }
                }
                Instr::CallKw(argc, kwnames) => {
                    self.caller = &*frame;
                    let names = code.consts[kwnames as usize].clone();
                    match tri!(self, frame, self.call_from_stack(&mut frame, argc as usize, Some(&names))) {
                        Prepared::Value(v) => frame.push(v),
                        Prepared::Frame(f) => tri!(self, frame, self.enter(&mut frame, f)),
                    }
                }
                Instr::CallEx(flags) => {
                    let kwargs = if flags & 1 != 0 { Some(frame.pop()) } else { None };
                    let args = frame.pop();
                    let func = frame.pop();
                    self.caller = &*frame;
                    let a = tri!(self, frame, self.args_from_ex(&func, &args, kwargs.as_ref()));
                    match tri!(self, frame, self.prepare_call(func, a)) {
                        Prepared::Value(v) => frame.push(v),
                        Prepared::Frame(f) => tri!(self, frame, self.enter(&mut frame, f)),
                    }
                }
                Instr::LoadBuildClass => {
                    frame.push(crate::interp::build_class_fn());
                }
                Instr::Raise(n) => {
                    let e = match n {
                        0 => self.reraise_current(&frame),
                        1 => {
                            let exc = frame.pop();
                            self.make_raise(exc, None)
                        }
                        _ => {
                            let cause = frame.pop();
                            let exc = frame.pop();
                            self.make_raise(exc, Some(cause))
                        }
                    };
                    self.unwind(&mut frame, e)?;
                }
                Instr::Reraise => {
                    let exc = frame.pop();
                    // A re-raise continues the traceback; avoid adding this frame twice.
                    self.mark_reraise(&exc);
                    self.unwind(&mut frame, PyErr { exc })?;
                }
                Instr::PushExcInfo => {
                    let e = frame.top().clone();
                    frame.exc_stack.push(e);
                }
                Instr::PopExcept => {
                    frame.exc_stack.pop();
                }
                Instr::CheckExcMatch => {
                    let typ = frame.pop();
                    let exc = frame.top().clone();
                    let m = tri!(self, frame, self.exception_matches(&exc, &typ));
                    frame.push(Value::Bool(m));
                }
                Instr::BeforeWith => {
                    let mgr = frame.pop();
                    self.caller = &*frame;
                    let (exit, entered) = tri!(self, frame, self.before_with(&mgr));
                    frame.push(exit);
                    frame.push(mgr);
                    frame.push(entered);
                }
                Instr::WithExitNormal => {
                    let mgr = frame.pop();
                    let exit = frame.pop();
                    self.caller = &*frame;
                    tri!(self, frame, self.call_exit(&exit, &[mgr, Value::None, Value::None, Value::None]));
                }
                Instr::WithExceptStart => {
                    let exc = frame.top().clone();
                    let mgr = frame.peek(1).clone();
                    let exit = frame.peek(2).clone();
                    let typ = self.class_of(&exc);
                    let tb = self.traceback_value(&exc);
                    self.caller = &*frame;
                    let r = tri!(self, frame, self.call_exit(&exit, &[mgr, Value::Obj(typ), exc, tb]));
                    frame.push(r);
                }
                Instr::LoadAssertionError => {
                    frame.push(Value::Obj(Exc::AssertionError.class().clone()));
                }
                Instr::YieldValue => {
                    let v = frame.pop();
                    let kind = std::mem::replace(&mut frame.kind, FrameKind::Call);
                    match kind {
                        FrameKind::GenBoundary { gen } => {
                            self.suspend_generator(&gen);
                            return Ok(FrameExit::Yield(v, frame));
                        }
                        FrameKind::GenForIter { gen, .. } | FrameKind::GenSend { gen, .. } => {
                            self.depth -= 1;
                            let caller = self.frames.pop().expect("generator has a caller");
                            let gframe = std::mem::replace(&mut frame, caller);
                            self.store_generator_frame(&gen, gframe);
                            frame.push(v);
                        }
                        FrameKind::GenCall { gen, .. } => {
                            self.depth -= 1;
                            let caller = self.frames.pop().expect("generator has a caller");
                            let gframe = std::mem::replace(&mut frame, caller);
                            self.store_generator_frame(&gen, gframe);
                            frame.push(v);
                        }
                        _ => {
                            fail!(self, frame, self.error(Exc::SystemError, "yield outside a generator frame"));
                        }
                    }
                }
                Instr::GetYieldFromIter => {
                    let v = frame.pop();
                    let it = match &v {
                        Value::Obj(o) if matches!(&**o, Object::Generator(_)) => v.clone(),
                        _ => tri!(self, frame, self.get_iter(&v)),
                    };
                    frame.push(it);
                }
                Instr::GetAwaitable => {
                    let v = frame.pop();
                    let it = tri!(self, frame, self.get_awaitable(v));
                    frame.push(it);
                }
                Instr::Send(t) => {
                    let sent = frame.pop();
                    if let Value::Obj(o) = frame.top() {
                        if let Object::Generator(_) = &**o {
                            // SAFETY: as for ForIter, the stack keeps the generator.
                            let gen = unsafe { crate::value::ObjPtr::borrow(o) };
                            match self.start_resume(&gen, sent) {
                                Ok(Some(mut gf)) => {
                                    gf.kind = FrameKind::GenSend { gen, exit: t };
                                    tri!(self, frame, self.enter(&mut frame, gf));
                                }
                                Ok(None) => {
                                    // Already finished: as if it returned None.
                                    frame.pop();
                                    frame.push(Value::None);
                                    frame.ip = t as usize;
                                }
                                Err(e) => {
                                    frame.pop();
                                    self.unwind(&mut frame, e)?;
                                }
                            }
                            continue;
                        }
                    }
                    let it = frame.top().clone();
                    self.caller = &*frame;
                    match self.send_to_iter(&it, sent) {
                        Ok(Ok(y)) => frame.push(y),
                        Ok(Err(r)) => {
                            frame.pop();
                            frame.push(r);
                            frame.ip = t as usize;
                        }
                        Err(e) => {
                            self.unwind(&mut frame, e)?;
                        }
                    }
                }
                Instr::ImportName(name, level) => {
                    let fromlist = frame.pop();
                    let name = code.consts[name as usize].clone();
                    self.caller = &*frame;
                    let m = tri!(self, frame, self.import_name(&name, level, &fromlist, frame.module));
                    frame.push(m);
                }
                Instr::ImportFrom(i) => {
                    let m = frame.top().clone();
                    let v = tri!(self, frame, self.import_from(&m, &code.names[i as usize]));
                    frame.push(v);
                }
                Instr::ImportStar => {
                    let m = frame.pop();
                    tri!(self, frame, self.import_star(&m, &frame));
                }
                Instr::PrintExpr => {
                    let v = frame.pop();
                    self.caller = &*frame;
                    tri!(self, frame, self.print_expr(v, frame.module));
                }
                Instr::SetupAnnotations => {}
            }
        }
    }

    /// The stack holds `[builtin qualname, generator, arg]` (a method call on a generator).
    #[inline]
    /// `[f self a1..an]` (self Null: call `f(a1..an)`) as CallMethod lays it out.
    fn call_method_on_stack(&mut self, frame: &mut Frame, argc: usize, kwnames: Option<&Value>) -> PyResult<Prepared> {
        let n = frame.values.len();
        if frame.values[n - argc - 1].is_null() {
            // Drop the Null and call the callable below it.
            frame.values.remove(n - argc - 1);
            self.call_from_stack(frame, argc, kwnames)
        } else {
            self.call_from_stack(frame, argc + 1, kwnames)
        }
    }

    /// `[send gen v]` (checked by `is_gen_method`): the generator's frame, to be run
    /// in this loop, or StopIteration if it has finished.
    fn resume_sent(&mut self, frame: &mut Frame) -> PyResult<Box<Frame>> {
        let v = frame.pop();
        let Value::Obj(g) = frame.pop() else { unreachable!("checked generator") };
        frame.pop();
        match self.start_resume(&g, v)? {
            Some(mut gf) => {
                // SAFETY: `owner` keeps the generator alive with the frame.
                gf.kind = FrameKind::GenCall { gen: unsafe { crate::value::ObjPtr::borrow(&g) }, owner: Some(g) };
                Ok(gf)
            }
            None => Err(self.stop_iteration(Value::None)),
        }
    }

    /// UnboundLocalError if local `a`, or local `b` when given, is unbound (the
    /// instructions that read operands in place check only on their slow path).
    fn unbound_operand(&mut self, frame: &Frame, a: u16, b: Option<u16>) -> Option<PyErr> {
        for slot in std::iter::once(a).chain(b) {
            if frame.values[slot as usize].is_null() {
                let name = frame.code.varnames[slot as usize].str_text().to_string();
                return Some(self.unbound_local(&name));
            }
        }
        None
    }

    fn is_gen_method(frame: &Frame, qualname: &str) -> bool {
        let n = frame.values.len();
        if n < 3 {
            return false;
        }
        match (&frame.values[n - 3], &frame.values[n - 2]) {
            (Value::Obj(f), Value::Obj(g)) => {
                matches!((&**f, &**g), (Object::Builtin(b), Object::Generator(_)) if b.qualname == qualname)
            }
            _ => false,
        }
    }

    /// The stack holds `[next, generator]` (the builtin `next` with one argument).
    #[inline]
    fn is_next_of_generator(frame: &Frame) -> bool {
        let n = frame.values.len();
        if n < 2 {
            return false;
        }
        match (&frame.values[n - 2], &frame.values[n - 1]) {
            (Value::Obj(f), Value::Obj(g)) => {
                matches!((&**f, &**g), (Object::Builtin(b), Object::Generator(_)) if b.qualname == "next" && b.bound.is_none())
            }
            _ => false,
        }
    }

    /// Marks a generator finished (its frame is gone for good).
    pub(crate) fn finish_generator(&mut self, gen: &ObjRef) {
        if let Object::Generator(g) = &**gen {
            g.finish();
        }
    }

    /// A yield back to Rust: the frame travels in `FrameExit::Yield` and the caller
    /// stores it (`GeneratorObj::suspend`), which also ends the Running state.
    fn suspend_generator(&mut self, _gen: &ObjRef) {}

    fn store_generator_frame(&mut self, gen: &ObjRef, frame: Box<Frame>) {
        if let Object::Generator(g) = &**gen {
            g.suspend(frame);
        }
    }
}

impl Value {
    /// Truthiness of a value known to be a bool (comparison results).
    #[inline]
    pub fn is_true(&self) -> bool {
        matches!(self, Value::Bool(true))
    }
}

/// The int and float cases of binary operators that need no call and cannot fail
/// (overflow falls back to the general path); None for everything else.
#[inline(always)]
fn fast_binary(a: &Value, b: &Value, op: BinOp) -> Option<Value> {
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

/// Appends `i` in decimal (as `str(i)`).
#[inline]
fn push_decimal(s: &mut String, i: i64) {
    let mut buf = [0u8; 20];
    let mut n = i.unsigned_abs();
    let mut pos = buf.len();
    loop {
        pos -= 1;
        buf[pos] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if i < 0 {
        s.push('-');
    }
    // ASCII digits only.
    s.push_str(std::str::from_utf8(&buf[pos..]).unwrap_or_default());
}

/// Comparisons of two ints or two floats; None for everything else.
#[inline(always)]
fn fast_compare(a: &Value, b: &Value, op: CmpOp) -> Option<bool> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => ordered_compare(x, y, op),
        (Value::Float(x), Value::Float(y)) => ordered_compare(x, y, op),
        _ => None,
    }
}

/// An ordering or equality comparison of two numbers of one kind; None for `is`/`in`.
#[inline(always)]
fn ordered_compare<T: PartialOrd>(x: &T, y: &T, op: CmpOp) -> Option<bool> {
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
