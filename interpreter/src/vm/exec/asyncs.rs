//! `async with`, `async for` and async generators' yields: BeforeAsyncWith,
//! AsyncWithExit, GetAIter, GetANext, EndAsyncFor, AsyncGenWrap. The awaits they
//! need are the ordinary GetAwaitable + Send loop that follows each of them.

use crate::native::Exc;
use crate::value::Value;
use crate::vm::frame::Frame;
use crate::vm::{Args, PyErr, PyResult, Vm};

impl Vm {
    /// `Instr::BeforeAsyncWith`
    #[inline(always)]
    pub(in crate::vm) fn op_before_async_with(&mut self, frame: &mut Box<Frame>) -> PyResult<()> {
        let mgr = frame.pop();
        self.caller = &**frame;
        let names = crate::interp::names();
        let cls = self.class_of(&mgr);
        let enter = self.lookup_type_attr(&cls, &names.__aenter__);
        let exit = self.lookup_type_attr(&cls, &names.__aexit__);
        let (enter, exit) = match (enter, exit) {
            (Some(e), Some(x)) => (e, x),
            (None, _) => {
                let msg = format!(
                    "'{}' object does not support the asynchronous context manager protocol",
                    self.type_name(&mgr)
                );
                return Err(self.type_error(&msg));
            }
            (Some(_), None) => {
                let msg = format!(
                    "'{}' object does not support the asynchronous context manager protocol (missed __aexit__ method)",
                    self.type_name(&mgr)
                );
                return Err(self.type_error(&msg));
            }
        };
        let aw = self.call_exit(&enter, std::slice::from_ref(&mgr))?;
        frame.push(exit);
        frame.push(mgr);
        frame.push(aw);
        Ok(())
    }

    /// `Instr::AsyncWithExit`
    #[inline(always)]
    pub(in crate::vm) fn op_async_with_exit(&mut self, frame: &mut Box<Frame>) -> PyResult<()> {
        let mgr = frame.pop();
        let exit = frame.pop();
        self.caller = &**frame;
        let r = self.call_exit(&exit, &[mgr, Value::None, Value::None, Value::None])?;
        frame.push(r);
        Ok(())
    }

    /// `Instr::GetAIter`
    #[inline(always)]
    pub(in crate::vm) fn op_get_aiter(&mut self, frame: &mut Box<Frame>) -> PyResult<()> {
        let v = frame.pop();
        self.caller = &**frame;
        let names = crate::interp::names();
        let cls = self.class_of(&v);
        let Some(f) = self.lookup_type_attr(&cls, &names.__aiter__).filter(|f| !f.is_none()) else {
            let msg = format!("'async for' requires an object with __aiter__ method, got {}", self.type_name(&v));
            return Err(self.type_error(&msg));
        };
        let it = self.call(&f, Args::new([v]))?;
        let icls = self.class_of(&it);
        if self.lookup_type_attr(&icls, &names.__anext__).is_none() {
            let msg = format!(
                "'async for' received an object from __aiter__ that does not implement __anext__: {}",
                self.type_name(&it)
            );
            return Err(self.type_error(&msg));
        }
        frame.push(it);
        Ok(())
    }

    /// `Instr::GetANext`
    #[inline(always)]
    pub(in crate::vm) fn op_get_anext(&mut self, frame: &mut Box<Frame>) -> PyResult<()> {
        let it = frame.top().clone();
        self.caller = &**frame;
        let names = crate::interp::names();
        let cls = self.class_of(&it);
        let Some(f) = self.lookup_type_attr(&cls, &names.__anext__) else {
            let msg = format!("'async for' requires an iterator with __anext__ method, got {}", self.type_name(&it));
            return Err(self.type_error(&msg));
        };
        let aw = self.call(&f, Args::new([it]))?;
        let aw = match self.get_awaitable(aw.clone(), 0) {
            Ok(a) => a,
            Err(_) => {
                let msg = format!("'async for' received an invalid object from __anext__: {}", self.type_name(&aw));
                return Err(self.type_error(&msg));
            }
        };
        frame.push(aw);
        Ok(())
    }

    /// `Instr::EndAsyncFor`
    #[inline(always)]
    pub(in crate::vm) fn op_end_async_for(&mut self, frame: &mut Box<Frame>) -> PyResult<()> {
        let exc = frame.pop();
        let stop = Exc::StopAsyncIteration.class().clone();
        if crate::value::class::is_subclass(&self.class_of(&exc), &stop) {
            frame.pop();
            return Ok(());
        }
        self.mark_reraise(&exc);
        Err(PyErr { exc })
    }

    /// `Instr::AsyncGenWrap`
    #[inline(always)]
    pub(in crate::vm) fn op_async_gen_wrap(&mut self, frame: &mut Box<Frame>) -> PyResult<()> {
        let v = frame.pop();
        frame.push(crate::builtins::async_gen::wrap_yielded(v));
        Ok(())
    }
}
