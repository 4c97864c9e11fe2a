//! Generators: YieldValue (to a native caller or to the frame resuming it in this
//! loop), `yield from` and `await` (GetYieldFromIter, GetAwaitable, Send).

use crate::native::Exc;
use crate::value::{Object, Value};
use crate::vm::frame::{Frame, FrameKind};
use crate::vm::run::Exit;
use crate::vm::{PyResult, Vm};

impl Vm {
    /// `Instr::YieldValue`
    #[inline(always)]
    pub(in crate::vm) fn op_yield_value(&mut self, frame: &mut Box<Frame>) -> PyResult<Option<Exit>> {
        let v = frame.pop();
        let kind = std::mem::replace(&mut frame.kind, FrameKind::Call);
        match kind {
            FrameKind::GenBoundary { gen } => {
                self.suspend_generator(&gen);
                return Ok(Some(Exit::Yield(v)));
            }
            FrameKind::GenForIter { gen, .. } | FrameKind::GenSend { gen, .. } => {
                self.depth -= 1;
                let caller = self.frames.pop().expect("generator has a caller");
                let gframe = std::mem::replace(frame, caller);
                // SAFETY: `gen` came out of this frame's `Gen*` kind, so this thread
                // holds its open claim (see `FrameKind`) and `gframe` is the frame it took.
                unsafe { self.store_generator_frame(&gen, gframe) };
                frame.push(v);
            }
            FrameKind::GenCall { gen, .. } => {
                self.depth -= 1;
                let caller = self.frames.pop().expect("generator has a caller");
                let gframe = std::mem::replace(frame, caller);
                // SAFETY: `gen` came out of this frame's `Gen*` kind, so this thread
                // holds its open claim (see `FrameKind`) and `gframe` is the frame it took.
                unsafe { self.store_generator_frame(&gen, gframe) };
                frame.push(v);
            }
            _ => {
                return Err(self.error(Exc::SystemError, "yield outside a generator frame"));
            }
        }
        Ok(None)
    }

    /// `Instr::GetYieldFromIter`
    #[inline(always)]
    pub(in crate::vm) fn op_get_yield_from_iter(&mut self, frame: &mut Box<Frame>) -> PyResult<()> {
        let v = frame.pop();
        let it = match &v {
            Value::Obj(o) if matches!(&**o, Object::Generator(_)) => v.clone(),
            _ => self.get_iter(&v)?,
        };
        frame.push(it);
        Ok(())
    }

    /// `Instr::GetAwaitable`
    #[inline(always)]
    pub(in crate::vm) fn op_get_awaitable(&mut self, frame: &mut Box<Frame>) -> PyResult<()> {
        let v = frame.pop();
        let it = self.get_awaitable(v)?;
        frame.push(it);
        Ok(())
    }

    /// `Instr::Send(t)`
    #[inline(always)]
    pub(in crate::vm) fn op_send(&mut self, frame: &mut Box<Frame>, t: u32) -> PyResult<()> {
        let sent = frame.pop();
        if let Value::Obj(o) = frame.top() {
            if let Object::Generator(_) = &**o {
                // SAFETY: as for ForIter, the stack keeps the generator.
                let gen = unsafe { crate::value::ObjPtr::borrow(o) };
                match self.start_resume(&gen, sent) {
                    Ok(Some(mut gf)) => {
                        gf.kind = FrameKind::GenSend { gen, exit: t };
                        self.enter(frame, gf)?;
                    }
                    Ok(None) => {
                        // Already finished: as if it returned None.
                        frame.pop();
                        frame.push(Value::None);
                        frame.ip = t as usize;
                    }
                    Err(e) => {
                        frame.pop();
                        return Err(e);
                    }
                }
                return Ok(());
            }
        }
        let it = frame.top().clone();
        self.caller = &**frame;
        match self.send_to_iter(&it, sent) {
            Ok(Ok(y)) => frame.push(y),
            Ok(Err(r)) => {
                frame.pop();
                frame.push(r);
                frame.ip = t as usize;
            }
            Err(e) => {
                return Err(e);
            }
        }
        Ok(())
    }
}
