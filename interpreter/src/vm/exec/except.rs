//! Exceptions and `with`: Raise, Reraise, the handler-stack instructions,
//! CheckExcMatch, BeforeWith and the two ways a `with` block exits.

use crate::value::Value;
use crate::vm::frame::Frame;
use crate::vm::{PyErr, PyResult, Vm};

impl Vm {
    /// `Instr::Raise(n)`
    #[inline(always)]
    pub(in crate::vm) fn op_raise(&mut self, frame: &mut Box<Frame>, n: u32) -> PyResult<()> {
        let e = match n {
            0 => self.reraise_current(frame),
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
        Err(e)
    }

    /// `Instr::Reraise`
    #[inline(always)]
    pub(in crate::vm) fn op_reraise(&mut self, frame: &mut Box<Frame>) -> PyResult<()> {
        let exc = frame.pop();
        // A re-raise continues the traceback; avoid adding this frame twice.
        self.mark_reraise(&exc);
        Err(PyErr { exc })
    }

    /// `Instr::PushExcInfo`
    #[inline(always)]
    pub(in crate::vm) fn op_push_exc_info(&mut self, frame: &mut Box<Frame>) -> PyResult<()> {
        let e = frame.top().clone();
        frame.exc_stack.push(e);
        Ok(())
    }

    /// `Instr::CheckExcMatch`
    #[inline(always)]
    pub(in crate::vm) fn op_check_exc_match(&mut self, frame: &mut Box<Frame>) -> PyResult<()> {
        let typ = frame.pop();
        let exc = frame.top().clone();
        let m = self.exception_matches(&exc, &typ)?;
        frame.push(Value::Bool(m));
        Ok(())
    }

    /// Calls a helper of `except*` written in conc (`_exception_group.conc`).
    fn except_star_helper(&mut self, frame: &mut Box<Frame>, name: &str, args: [Value; 2]) -> PyResult<Value> {
        self.caller = &**frame;
        let m = self.import_module("_exception_group")?;
        let f = self.get_attr(&m, &crate::value::str::intern(name))?;
        self.call(&f, crate::vm::Args::new(args))
    }

    /// `Instr::CheckEgMatch`
    #[inline(always)]
    pub(in crate::vm) fn op_check_eg_match(&mut self, frame: &mut Box<Frame>) -> PyResult<()> {
        let typ = frame.pop();
        let rest = frame.pop();
        let r = self.except_star_helper(frame, "_star_match", [rest, typ])?;
        let (rest, matched) = match r.as_tuple().map(|t| t.items()) {
            Some([a, b]) => (a.clone(), b.clone()),
            _ => (Value::None, Value::None),
        };
        frame.push(rest);
        frame.push(matched);
        Ok(())
    }

    /// `Instr::PrepReraiseStar`
    #[inline(always)]
    pub(in crate::vm) fn op_prep_reraise_star(&mut self, frame: &mut Box<Frame>) -> PyResult<()> {
        let list = frame.pop();
        let orig = frame.top().clone();
        let r = self.except_star_helper(frame, "_star_reraise", [orig, list])?;
        frame.push(r);
        Ok(())
    }

    /// `Instr::BeforeWith`
    #[inline(always)]
    pub(in crate::vm) fn op_before_with(&mut self, frame: &mut Box<Frame>) -> PyResult<()> {
        let mgr = frame.pop();
        self.caller = &**frame;
        let (exit, entered) = self.before_with(&mgr)?;
        frame.push(exit);
        frame.push(mgr);
        frame.push(entered);
        Ok(())
    }

    /// `Instr::WithExitNormal`
    #[inline(always)]
    pub(in crate::vm) fn op_with_exit_normal(&mut self, frame: &mut Box<Frame>) -> PyResult<()> {
        let mgr = frame.pop();
        let exit = frame.pop();
        self.caller = &**frame;
        self.call_exit(&exit, &[mgr, Value::None, Value::None, Value::None])?;
        Ok(())
    }

    /// `Instr::WithExceptStart`
    #[inline(always)]
    pub(in crate::vm) fn op_with_except_start(&mut self, frame: &mut Box<Frame>) -> PyResult<()> {
        let exc = frame.top().clone();
        let mgr = frame.peek(1).clone();
        let exit = frame.peek(2).clone();
        let typ = self.class_of(&exc);
        let tb = self.traceback_value(&exc);
        self.caller = &**frame;
        let r = self.call_exit(&exit, &[mgr, Value::Obj(typ), exc, tb])?;
        frame.push(r);
        Ok(())
    }
}
