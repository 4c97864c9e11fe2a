//! Generators: resuming a suspended frame (from the loop, or from Rust for `next`,
//! `send`, `throw` and `close`), with "already executing" detection across threads.

use super::frame::{Frame, FrameKind};
use super::{FrameExit, PyErr, PyResult, Vm};
use crate::bytecode::Instr;
use crate::native::Exc;
use crate::value::generator::GenState;
use crate::value::{ObjRef, Object, Value};

/// One step of a generator run from Rust.
pub enum GenStep {
    Yield(Value),
    Return(Value),
}

impl Vm {
    /// Takes the generator's frame out to run it, pushing `sent` as the value of the
    /// paused `yield`. None when the generator has finished.
    pub(crate) fn start_resume(&mut self, gen: &ObjRef, sent: Value) -> PyResult<Option<Box<Frame>>> {
        let g = match &**gen {
            Object::Generator(g) => g,
            _ => return Err(self.type_error("not a generator")),
        };
        loop {
            match g.state() {
                GenState::Running => return Err(self.value_error("generator already executing")),
                GenState::Finished => return Ok(None),
                GenState::Created => {
                    if !sent.is_none() {
                        return Err(self.type_error("can't send non-None value to a just-started generator"));
                    }
                    if let Some(f) = g.claim(GenState::Created) {
                        return Ok(f);
                    }
                }
                GenState::Suspended => {
                    if let Some(mut f) = g.claim(GenState::Suspended) {
                        if let Some(fr) = &mut f {
                            fr.push(sent);
                        }
                        return Ok(f);
                    }
                }
            }
        }
    }

    /// Resumes a generator from Rust (`next`, `send`).
    pub fn resume_generator(&mut self, gen: &ObjRef, sent: Value) -> PyResult<GenStep> {
        let frame = match self.start_resume(gen, sent)? {
            Some(f) => f,
            None => return Ok(GenStep::Return(Value::None)),
        };
        self.run_generator_frame(gen, frame, None)
    }

    fn run_generator_frame(&mut self, gen: &ObjRef, mut frame: Box<Frame>, throw: Option<PyErr>) -> PyResult<GenStep> {
        // SAFETY: `gen` is borrowed for the whole run of the frame.
        frame.kind = FrameKind::GenBoundary { gen: unsafe { crate::value::ObjPtr::borrow(gen) } };
        let r = match throw {
            None => self.run_frame(frame),
            Some(e) => self.run_frame_throw(frame, e),
        };
        match r {
            Ok(FrameExit::Yield(v, f)) => {
                if let Object::Generator(g) = &**gen {
                    // SAFETY: the frame was claimed by `start_resume`/`gen_throw` on this
                    // thread and was run here until it yielded; this ends that claim.
                    unsafe { g.suspend(f) };
                }
                Ok(GenStep::Yield(v))
            }
            Ok(FrameExit::Return(v)) => Ok(GenStep::Return(v)),
            Err(e) => Err(e),
        }
    }

    /// `gen.send(v)` / `next(gen)` semantics: a return becomes StopIteration(value).
    pub fn gen_send(&mut self, gen: &ObjRef, sent: Value) -> PyResult<Value> {
        match self.resume_generator(gen, sent)? {
            GenStep::Yield(v) => Ok(v),
            GenStep::Return(v) => Err(self.stop_iteration(v)),
        }
    }

    /// A StopIteration carrying `value`.
    pub fn stop_iteration(&mut self, value: Value) -> PyErr {
        let cls = Exc::StopIteration.class().clone();
        let args = if value.is_none() { vec![] } else { vec![value] };
        self.new_exception(&cls, args)
    }

    /// `gen.throw(exc)`: raises `exc` at the paused `yield` (forwarded to the inner
    /// iterator of a `yield from` first).
    pub fn gen_throw(&mut self, gen: &ObjRef, exc: Value) -> PyResult<GenStep> {
        let g = match &**gen {
            Object::Generator(g) => g,
            _ => return Err(self.type_error("not a generator")),
        };
        let mut frame = loop {
            match g.state() {
                GenState::Running => return Err(self.value_error("generator already executing")),
                GenState::Finished => return Err(PyErr { exc }),
                GenState::Created => {
                    if g.claim(GenState::Created).is_some() {
                        // SAFETY: our `claim` just succeeded.
                        unsafe { g.finish() };
                        return Err(PyErr { exc });
                    }
                }
                GenState::Suspended => {
                    if let Some(f) = g.claim(GenState::Suspended) {
                        match f {
                            Some(f) => break f,
                            None => {
                                // SAFETY: our `claim` just succeeded.
                                unsafe { g.finish() };
                                return Err(PyErr { exc });
                            }
                        }
                    }
                }
            }
        };
        // Paused inside `yield from`? Then the inner iterator gets the exception first.
        let ip = frame.ip;
        if ip >= 2 && matches!(frame.code.instrs[ip - 1], Instr::YieldValue) {
            if let Instr::Send(exit) = frame.code.instrs[ip - 2] {
                let sub = frame.top().clone();
                match self.throw_into(&sub, exc.clone()) {
                    Ok(Ok(y)) => {
                        // The inner iterator yielded: the outer stays paused.
                        if let Object::Generator(g) = &**gen {
                            // SAFETY: `frame` is the one our `claim` above took, and
                            // it has not been run or stored since.
                            unsafe { g.suspend(frame) };
                        }
                        return Ok(GenStep::Yield(y));
                    }
                    Ok(Err(r)) => {
                        frame.pop();
                        frame.push(r);
                        frame.ip = exit as usize;
                        return self.run_generator_frame(gen, frame, None);
                    }
                    Err(e) => {
                        frame.pop();
                        // Step back onto the Send so the handler lookup sees the region.
                        frame.ip = ip - 1;
                        return self.run_generator_frame(gen, frame, Some(e));
                    }
                }
            }
        }
        self.run_generator_frame(gen, frame, Some(PyErr { exc }))
    }

    /// Throws into an inner iterator of `yield from`: Ok(Ok(y)) if it yields,
    /// Ok(Err(r)) if it returns r, Err if it raises.
    fn throw_into(&mut self, sub: &Value, exc: Value) -> PyResult<Result<Value, Value>> {
        let gexit = Exc::GeneratorExit.class().clone();
        let is_exit = crate::value::class::is_subclass(&self.class_of(&exc), &gexit);
        if let Some(o) = sub.as_objref() {
            if let Object::Generator(_) = &**o {
                if is_exit {
                    self.gen_close(o)?;
                    return Err(PyErr { exc });
                }
                return match self.gen_throw(o, exc) {
                    Ok(GenStep::Yield(y)) => Ok(Ok(y)),
                    Ok(GenStep::Return(r)) => Ok(Err(r)),
                    Err(e) => {
                        if self.is_stop_iteration(&e.exc) {
                            let v = self.stop_iteration_value(&e.exc);
                            Ok(Err(v))
                        } else {
                            Err(e)
                        }
                    }
                };
            }
        }
        let name = crate::value::str::intern(if is_exit { "close" } else { "throw" });
        match self.get_attr_opt(sub, &name)? {
            Some(f) => {
                if is_exit {
                    self.call1(&f, [])?;
                    return Err(PyErr { exc });
                }
                let r = self.call1(&f, [exc]);
                self.yielded_or_returned(r)
            }
            None => Err(PyErr { exc }),
        }
    }

    /// `gen.close()`.
    pub fn gen_close(&mut self, gen: &ObjRef) -> PyResult<Value> {
        if let Object::Generator(g) = &**gen {
            match g.state() {
                GenState::Finished => return Ok(Value::None),
                GenState::Created => {
                    if g.claim(GenState::Created).is_some() {
                        // SAFETY: our `claim` just succeeded.
                        unsafe { g.finish() };
                        return Ok(Value::None);
                    }
                }
                GenState::Running => return Err(self.value_error("generator already executing")),
                GenState::Suspended => {}
            }
        }
        let exit = Exc::GeneratorExit.class().clone();
        let exc = self.new_exception(&exit, vec![]).exc;
        match self.gen_throw(gen, exc) {
            Ok(GenStep::Yield(_)) => Err(self.error(Exc::RuntimeError, "generator ignored GeneratorExit")),
            Ok(GenStep::Return(v)) => Ok(v),
            Err(e) => {
                let cls = self.class_of(&e.exc);
                if crate::value::class::is_subclass(&cls, &exit) || self.is_stop_iteration(&e.exc) {
                    Ok(Value::None)
                } else {
                    Err(e)
                }
            }
        }
    }
}
