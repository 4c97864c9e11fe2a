//! Calls and returns: method calls (with the uncounted-object fast path of
//! CallLocalMethod), plain and keyword calls, `f(*a, **k)`, MakeFunction, and Return,
//! which hands the value to whichever kind of caller the frame has.

use crate::native::Exc;
use crate::value::{Object, Value};
use crate::vm::frame::{Frame, FrameKind};
use crate::vm::run::{Exit, Prepared};
use crate::vm::{PyResult, Vm};

impl Vm {
    /// `Instr::CallMethod(1) if Self::is_gen_method(&frame, "generator.send")`
    #[inline(always)]
    pub(in crate::vm) fn op_call_generator_send(&mut self, frame: &mut Box<Frame>) -> PyResult<()> {
        let _code = frame.code;
        // gen.send(v) from script code resumes the generator in this loop.
        let gf = self.resume_sent(frame)?;
        self.enter(frame, gf)?;
        Ok(())
    }

    /// `Instr::CallMethod(argc)`
    #[inline(always)]
    pub(in crate::vm) fn op_call_method(&mut self, frame: &mut Box<Frame>, argc: u32) -> PyResult<()> {
        match self.call_method_on_stack(frame, argc as usize, None)? {
            Prepared::Value(v) => frame.push(v),
            Prepared::Frame(f) => self.enter(frame, f)?,
        }
        Ok(())
    }

    /// `Instr::CallMethodKw(argc, kwnames)`
    #[inline(always)]
    pub(in crate::vm) fn op_call_method_kw(&mut self, frame: &mut Box<Frame>, argc: u32, kwnames: u32) -> PyResult<()> {
        let code = frame.code;
        let names = code.consts[kwnames as usize].clone();
        let r = self.call_method_on_stack(frame, argc as usize, Some(&names));
        match (r)? {
            Prepared::Value(v) => frame.push(v),
            Prepared::Frame(f) => self.enter(frame, f)?,
        }
        Ok(())
    }

    /// `Instr::CallLocalMethod(local, packed)`
    #[inline(always)]
    pub(in crate::vm) fn op_call_local_method(
        &mut self,
        frame: &mut Box<Frame>,
        local: u32,
        packed: u32,
    ) -> PyResult<()> {
        let code = frame.code;
        let name = &code.names[(packed & 0xFF_FFFF) as usize];
        let argc = (packed >> 24) as usize;
        let slot = local as usize;
        if frame.values[slot].is_null() {
            let name = code.varnames[slot].str_text().to_string();
            return Err(self.unbound_local(&name));
        }
        let f = self.plain_method(&frame.values[slot], name);
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
                            self.enter(frame, gf)?;
                        }
                        Ok(None) => return Err(self.stop_iteration(Value::None)),
                        Err(e) => return Err(e),
                    }
                    return Ok(());
                }
            }
        }
        if let Some(Value::Obj(fo)) = &f {
            if let Object::Builtin(b) = &**fo {
                if b.has_fast() {
                    // The object stays in its local while the call runs (no code
                    // can rebind a caller's fast local), so it is passed without a
                    // count.
                    let obj: *const Value = &frame.values[slot];
                    let n = frame.values.len();
                    let mut buf = [const { std::mem::MaybeUninit::<Value>::uninit() }; 4];
                    // SAFETY: bitwise copies of the object and the arguments;
                    // `buf` never drops them (MaybeUninit), the local and the
                    // stack keep owning them. `argc + 1` values fit in `buf`: the
                    // compiler emits `CallLocalMethod` with at most three
                    // arguments (`local_method_call`), and they are the top `argc`
                    // values of the stack.
                    let r = unsafe {
                        std::ptr::copy_nonoverlapping(obj, buf[0].as_mut_ptr(), 1);
                        std::ptr::copy_nonoverlapping(frame.values.as_ptr().add(n - argc), buf[1].as_mut_ptr(), argc);
                        let args = std::slice::from_raw_parts(buf[0].as_ptr(), argc + 1);
                        self.caller = &**frame;
                        b.call_fast(self, args)
                    };
                    frame.values.truncate(n - argc);
                    frame.push((r)?);
                    return Ok(());
                }
            }
            if let Object::Function(func) = &**fo {
                if crate::vm::call::is_simple_code(func.code) && func.code.arg_count as usize == argc + 1 {
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
                    let mut nf = self.simple_frame(func, Some(objv), frame, argc);
                    nf.borrowed_self = borrow;
                    self.enter(frame, nf)?;
                    return Ok(());
                }
            }
        }
        // Otherwise put `[f self]` (or `[attr Null]`) under the arguments
        // and call as CallMethod does.
        let objv = frame.values[slot].clone();
        let (f, s) = match f {
            Some(f) => (f, objv),
            None => (self.get_attr(&objv, name)?, Value::Null),
        };
        let n = frame.values.len();
        frame.values.splice(n - argc..n - argc, [f, s]);
        if argc == 1 && Self::is_gen_method(frame, "generator.send") {
            let gf = self.resume_sent(frame)?;
            self.enter(frame, gf)?;
            return Ok(());
        }
        match self.call_method_on_stack(frame, argc, None)? {
            Prepared::Value(v) => frame.push(v),
            Prepared::Frame(f) => self.enter(frame, f)?,
        }
        Ok(())
    }

    /// `Instr::Return`
    #[inline(always)]
    pub(in crate::vm) fn op_return(&mut self, frame: &mut Box<Frame>) -> PyResult<Option<Exit>> {
        let v = frame.pop();
        let kind = std::mem::replace(&mut frame.kind, FrameKind::Call);
        match kind {
            FrameKind::Call => {
                let done = self.leave(frame);
                self.release_frame(done);
                frame.push(v);
            }
            FrameKind::Init(inst) => {
                let done = self.leave(frame);
                self.release_frame(done);
                if !v.is_none() {
                    let msg = format!("__init__() should return None, not '{}'", self.type_name(&v));
                    return Err(self.error(Exc::TypeError, &msg));
                }
                frame.push(inst);
            }
            FrameKind::Boundary => {
                return Ok(Some(Exit::Return(v)));
            }
            FrameKind::GenBoundary { gen } => {
                // SAFETY: `gen` came out of a `Gen*` frame kind, so this thread
                // holds its open claim (see `FrameKind`), used here once.
                unsafe { self.finish_generator(&gen) };
                return Ok(Some(Exit::Return(v)));
            }
            FrameKind::GenForIter { gen, exit } => {
                // SAFETY: `gen` came out of a `Gen*` frame kind, so this thread
                // holds its open claim (see `FrameKind`), used here once.
                unsafe { self.finish_generator(&gen) };
                let done = self.leave(frame);
                self.release_frame(done);
                frame.pop();
                frame.ip = exit as usize;
            }
            FrameKind::GenCall { gen, .. } => {
                // SAFETY: `gen` came out of a `Gen*` frame kind, so this thread
                // holds its open claim (see `FrameKind`), used here once.
                unsafe { self.finish_generator(&gen) };
                let done = self.leave(frame);
                self.release_frame(done);
                return Err(self.stop_iteration(v));
            }
            FrameKind::GenSend { gen, exit } => {
                // SAFETY: `gen` came out of a `Gen*` frame kind, so this thread
                // holds its open claim (see `FrameKind`), used here once.
                unsafe { self.finish_generator(&gen) };
                let done = self.leave(frame);
                self.release_frame(done);
                frame.pop();
                frame.push(v);
                frame.ip = exit as usize;
            }
        }
        Ok(None)
    }

    /// `Instr::MakeFunction(ci, flags)`
    #[inline(always)]
    pub(in crate::vm) fn op_make_function(&mut self, frame: &mut Box<Frame>, ci: u32, flags: u32) -> PyResult<()> {
        let f = self.make_function(frame, ci as usize, flags)?;
        frame.push(f);
        Ok(())
    }

    /// `Instr::Call(1) if Self::is_next_of_generator(&frame)`
    #[inline(always)]
    pub(in crate::vm) fn op_call_next_of_generator(&mut self, frame: &mut Box<Frame>) -> PyResult<()> {
        let Value::Obj(g) = frame.pop() else { unreachable!("checked generator") };
        frame.pop();
        match self.start_resume(&g, Value::None) {
            Ok(Some(mut gf)) => {
                // SAFETY: `owner` keeps the generator alive with the frame.
                gf.kind = FrameKind::GenCall { gen: unsafe { crate::value::ObjPtr::borrow(&g) }, owner: Some(g) };
                self.enter(frame, gf)?;
            }
            Ok(None) => return Err(self.stop_iteration(Value::None)),
            Err(e) => return Err(e),
        }
        Ok(())
    }

    /// `Instr::Call(argc)`
    #[inline(always)]
    pub(in crate::vm) fn op_call(&mut self, frame: &mut Box<Frame>, argc: u32) -> PyResult<()> {
        self.caller = &**frame;
        match self.call_from_stack(frame, argc as usize, None)? {
            Prepared::Value(v) => frame.push(v),
            Prepared::Frame(f) => self.enter(frame, f)?,
        }
        Ok(())
    }

    /// `Instr::CallKw(argc, kwnames)`
    #[inline(always)]
    pub(in crate::vm) fn op_call_kw(&mut self, frame: &mut Box<Frame>, argc: u32, kwnames: u32) -> PyResult<()> {
        let code = frame.code;
        self.caller = &**frame;
        let names = code.consts[kwnames as usize].clone();
        match self.call_from_stack(frame, argc as usize, Some(&names))? {
            Prepared::Value(v) => frame.push(v),
            Prepared::Frame(f) => self.enter(frame, f)?,
        }
        Ok(())
    }

    /// `Instr::CallEx(flags)`
    #[inline(always)]
    pub(in crate::vm) fn op_call_ex(&mut self, frame: &mut Box<Frame>, flags: u32) -> PyResult<()> {
        let kwargs = if flags & 1 != 0 { Some(frame.pop()) } else { None };
        let args = frame.pop();
        let func = frame.pop();
        self.caller = &**frame;
        let a = self.args_from_ex(&func, &args, kwargs.as_ref())?;
        match self.prepare_call(func, a)? {
            Prepared::Value(v) => frame.push(v),
            Prepared::Frame(f) => self.enter(frame, f)?,
        }
        Ok(())
    }
}
