//! The instruction loop.

use super::frame::{Frame, FrameKind};
use super::{FrameExit, PyErr, PyResult, Vm};
use crate::bytecode::Instr;
use crate::native::Exc;
use crate::value::{ObjRef, Object, Value};

/// How an instruction ends the loop that runs it (see `exit_step!`).
pub(super) enum Exit {
    /// The boundary frame returned this value.
    Return(Value),
    /// The generator's own frame yielded this value.
    Yield(Value),
}

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
        if (self.depth >= self.recursion_limit && self.limit_reached()) || self.stack_exhausted() {
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
            self.outer_frames.push((saved_caller, base));
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
    pub(super) fn unwind(&mut self, frame: &mut Box<Frame>, err: PyErr) -> PyResult<()> {
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
                    // SAFETY: `gen` came out of a `Gen*` frame kind, so this thread
                    // holds its open claim (see `FrameKind`), used here once.
                    unsafe { self.finish_generator(&gen) };
                    let f = std::mem::replace(frame, self.placeholder_frame());
                    self.release_frame(f);
                    return Err(self.generator_error(&gen, err));
                }
                FrameKind::Call => {}
                FrameKind::Init(inst) => _instance = Some(inst),
                FrameKind::GenForIter { gen, .. } | FrameKind::GenSend { gen, .. } => {
                    // SAFETY: `gen` came out of a `Gen*` frame kind, so this thread
                    // holds its open claim (see `FrameKind`), used here once.
                    unsafe { self.finish_generator(&gen) };
                    err = self.generator_error(&gen, err);
                }
                FrameKind::GenCall { gen, .. } => {
                    // SAFETY: `gen` came out of a `Gen*` frame kind, so this thread
                    // holds its open claim (see `FrameKind`), used here once.
                    unsafe { self.finish_generator(&gen) };
                    err = self.generator_error(&gen, err);
                }
            }
            self.depth -= 1;
            let caller = self.frames.pop().expect("a non-boundary frame has a caller");
            let f = std::mem::replace(frame, caller);
            self.release_frame(f);
        }
    }

    /// An empty frame used to fill a `&mut Box<Frame>` while its content is moved away.
    pub(super) fn placeholder_frame(&mut self) -> Box<Frame> {
        self.new_frame(crate::interp::empty_code(), crate::interp::builtins_module())
    }

    /// Switches to a new frame, keeping the current one as its caller.
    #[inline]
    pub(super) fn enter(&mut self, frame: &mut Box<Frame>, new: Box<Frame>) -> PyResult<()> {
        if self.depth >= self.recursion_limit && self.limit_reached() {
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
    pub(super) fn leave(&mut self, frame: &mut Box<Frame>) -> Box<Frame> {
        self.depth -= 1;
        let caller = self.frames.pop().expect("a non-boundary frame has a caller");
        std::mem::replace(frame, caller)
    }

    fn run_loop(&mut self, mut frame: Box<Frame>, base: usize, pending: Option<PyErr>) -> PyResult<FrameExit> {
        debug_assert_eq!(self.frames.len(), base);
        if let Some(e) = pending {
            self.unwind(&mut frame, e)?;
        }
        loop {
            // One instruction's handler (in `vm/exec/`): an error it returns is
            // raised at the instruction, in whichever frame is current afterwards.
            macro_rules! step {
                ($e:expr) => {
                    if let Err(e) = $e {
                        self.unwind(&mut frame, e)?;
                    }
                };
            }

            // A handler that may end this loop: `Exit::Return` from a boundary frame
            // or `Exit::Yield` from a generator's own frame. The frame is released or
            // handed out here because the handler only borrows it.
            macro_rules! exit_step {
                ($e:expr) => {
                    match $e {
                        Ok(None) => {}
                        Ok(Some(Exit::Return(v))) => {
                            self.release_frame(frame);
                            return Ok(FrameExit::Return(v));
                        }
                        Ok(Some(Exit::Yield(v))) => return Ok(FrameExit::Yield(v, frame)),
                        Err(e) => self.unwind(&mut frame, e)?,
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
                Instr::Dup => step!(self.op_dup(&mut frame)),
                Instr::Dup2 => step!(self.op_dup2(&mut frame)),
                Instr::Rot2 => step!(self.op_rot2(&mut frame)),
                Instr::Rot3 => step!(self.op_rot3(&mut frame)),
                Instr::Rot4 => step!(self.op_rot4(&mut frame)),
                Instr::LoadConst(i) => step!(self.op_load_const(&mut frame, i)),
                Instr::LoadFast(i) => step!(self.op_load_fast(&mut frame, i)),
                Instr::StoreFast(i) => step!(self.op_store_fast(&mut frame, i)),
                Instr::DeleteFast(i) => step!(self.op_delete_fast(&mut frame, i)),
                Instr::LoadDeref(i) => step!(self.op_load_deref(&mut frame, i)),
                Instr::StoreDeref(i) => step!(self.op_store_deref(&mut frame, i)),
                Instr::DeleteDeref(i) => step!(self.op_delete_deref(&mut frame, i)),
                Instr::LoadClosure(i) => step!(self.op_load_closure(&mut frame, i)),
                Instr::LoadGlobal(i) => step!(self.op_load_global(&mut frame, i)),
                Instr::StoreGlobal(i) => step!(self.op_store_global(&mut frame, i)),
                Instr::DeleteGlobal(i) => step!(self.op_delete_global(&mut frame, i)),
                Instr::LoadName(i) => step!(self.op_load_name(&mut frame, i)),
                Instr::StoreName(i) => step!(self.op_store_name(&mut frame, i)),
                Instr::DeleteName(i) => step!(self.delete_name(&frame, i as usize)),
                Instr::LoadClassDeref(cell, name) => step!(self.op_load_class_deref(&mut frame, cell, name)),
                Instr::LoadAttr(i) => step!(self.op_load_attr(&mut frame, i)),
                Instr::StoreAttr(i) => step!(self.op_store_attr(&mut frame, i)),
                Instr::DeleteAttr(i) => step!(self.op_delete_attr(&mut frame, i)),
                Instr::LoadMethod(i) => step!(self.op_load_method(&mut frame, i)),
                Instr::CallMethod(1) if Self::is_gen_method(&frame, "generator.send") => {
                    step!(self.op_call_generator_send(&mut frame))
                }
                Instr::CallMethod(argc) => step!(self.op_call_method(&mut frame, argc)),
                Instr::CallMethodKw(argc, kwnames) => step!(self.op_call_method_kw(&mut frame, argc, kwnames)),
                Instr::CallLocalMethod(local, packed) => step!(self.op_call_local_method(&mut frame, local, packed)),
                Instr::SubscrFastConst(a, c) | Instr::SubscrFastFast(a, c) => {
                    step!(self.op_subscr_fast(&mut frame, instr, a, c))
                }
                Instr::InplaceSubscrFast(a, k, is_const, op) => {
                    step!(self.op_inplace_subscr_fast(&mut frame, a, k, is_const, op))
                }
                Instr::StoreSubscrFastConst(a, c) => step!(self.op_store_subscr_fast_const(&mut frame, a, c)),
                Instr::StoreFastAttr(a, i) => step!(self.op_store_fast_attr(&mut frame, a, i)),
                Instr::InplaceFastAttr(a, i, op) => step!(self.op_inplace_fast_attr(&mut frame, a, i, op)),
                Instr::LoadFastAttr(a, i) => step!(self.op_load_fast_attr(&mut frame, a, i)),
                Instr::Subscript => step!(self.op_subscript(&mut frame)),
                Instr::StoreSubscript => step!(self.op_store_subscript(&mut frame)),
                Instr::DeleteSubscript => step!(self.op_delete_subscript(&mut frame)),
                Instr::BuildSlice(n) => step!(self.op_build_slice(&mut frame, n)),
                Instr::BinaryOpFastFast(x, y, op) | Instr::BinaryOpFastConst(x, y, op) => {
                    step!(self.op_binary_op_fast(&mut frame, instr, x, y, op))
                }
                Instr::BinaryOp(op) => step!(self.op_binary_op(&mut frame, op)),
                Instr::InplaceOp(op) => step!(self.op_inplace_op(&mut frame, op)),
                Instr::UnaryNeg => step!(self.op_unary_neg(&mut frame)),
                Instr::UnaryPos => step!(self.op_unary_pos(&mut frame)),
                Instr::UnaryInvert => step!(self.op_unary_invert(&mut frame)),
                Instr::UnaryNot => step!(self.op_unary_not(&mut frame)),
                Instr::CompareOp(op) => step!(self.op_compare_op(&mut frame, op)),
                Instr::Jump(t) => step!(self.op_jump(&mut frame, t)),
                Instr::CompareJumpIfFalse(op, t) | Instr::CompareJumpIfTrue(op, t) => {
                    step!(self.op_compare_jump(&mut frame, instr, op, t))
                }
                Instr::CompareFastJump(x, y, flags, op, t) => {
                    step!(self.op_compare_fast_jump(&mut frame, x, y, flags, op, t))
                }
                Instr::PopJumpIfFalse(t) => step!(self.op_pop_jump_if_false(&mut frame, t)),
                Instr::CheckEgMatch => step!(self.op_check_eg_match(&mut frame)),
                Instr::PrepReraiseStar => step!(self.op_prep_reraise_star(&mut frame)),
                Instr::PopJumpIfNone(t) => step!(self.op_pop_jump_if_none(&mut frame, t)),
                Instr::MatchSequence => step!(self.op_match_sequence(&mut frame)),
                Instr::MatchMapping => step!(self.op_match_mapping(&mut frame)),
                Instr::GetLen => step!(self.op_get_len(&mut frame)),
                Instr::MatchKeys => step!(self.op_match_keys(&mut frame)),
                Instr::CopyDictWithoutKeys => step!(self.op_copy_dict_without_keys(&mut frame)),
                Instr::MatchClass(count, kwnames) => step!(self.op_match_class(&mut frame, count, kwnames)),
                Instr::PopJumpIfTrue(t) => step!(self.op_pop_jump_if_true(&mut frame, t)),
                Instr::JumpIfFalseOrPop(t) => step!(self.op_jump_if_false_or_pop(&mut frame, t)),
                Instr::JumpIfTrueOrPop(t) => step!(self.op_jump_if_true_or_pop(&mut frame, t)),
                Instr::GetIter => step!(self.op_get_iter(&mut frame)),
                Instr::ForIter(t) => step!(self.op_for_iter(&mut frame, t)),
                Instr::Return => exit_step!(self.op_return(&mut frame)),
                Instr::BuildTuple(n) => step!(self.op_build_tuple(&mut frame, n)),
                Instr::BuildList(n) => step!(self.op_build_list(&mut frame, n)),
                Instr::BuildSet(n) => step!(self.op_build_set(&mut frame, n)),
                Instr::BuildMap(n) => step!(self.op_build_map(&mut frame, n)),
                Instr::BuildString(n) => step!(self.op_build_string(&mut frame, n)),
                // A plain int inside an f-string: BuildString writes it.
                Instr::FormatValue(flags) if flags & 15 == 8 && matches!(frame.top(), Value::Int(_)) => {}
                Instr::FormatValue(flags) => step!(self.op_format_value(&mut frame, flags)),
                Instr::ListAppend(d) => step!(self.op_list_append(&mut frame, d)),
                Instr::SetAdd(d) => step!(self.op_set_add(&mut frame, d)),
                Instr::MapAdd(d) => step!(self.op_map_add(&mut frame, d)),
                Instr::ListExtend(d) => step!(self.op_list_extend(&mut frame, d)),
                Instr::SetUpdate(d) => step!(self.op_set_update(&mut frame, d)),
                Instr::DictUpdate(d) | Instr::DictMerge(d) => step!(self.op_dict_update_or_merge(&mut frame, instr, d)),
                Instr::ListToTuple => step!(self.op_list_to_tuple(&mut frame)),
                Instr::UnpackSequence(n) => step!(self.op_unpack_sequence(&mut frame, n)),
                Instr::UnpackEx(before, after) => step!(self.op_unpack_ex(&mut frame, before, after)),
                Instr::MakeFunction(ci, flags) => step!(self.op_make_function(&mut frame, ci, flags)),
                Instr::Call(1) if Self::is_next_of_generator(&frame) => {
                    step!(self.op_call_next_of_generator(&mut frame))
                }
                Instr::Call(argc) => step!(self.op_call(&mut frame, argc)),
                Instr::CallKw(argc, kwnames) => step!(self.op_call_kw(&mut frame, argc, kwnames)),
                Instr::CallEx(flags) => step!(self.op_call_ex(&mut frame, flags)),
                Instr::LoadBuildClass => {
                    frame.push(crate::interp::build_class_fn());
                }
                Instr::Raise(n) => step!(self.op_raise(&mut frame, n)),
                Instr::Reraise => step!(self.op_reraise(&mut frame)),
                Instr::PushExcInfo => step!(self.op_push_exc_info(&mut frame)),
                Instr::PopExcept => {
                    frame.exc_stack.pop();
                }
                Instr::CheckExcMatch => step!(self.op_check_exc_match(&mut frame)),
                Instr::BeforeWith => step!(self.op_before_with(&mut frame)),
                Instr::WithExitNormal => step!(self.op_with_exit_normal(&mut frame)),
                Instr::WithExceptStart => step!(self.op_with_except_start(&mut frame)),
                Instr::LoadAssertionError => {
                    frame.push(Value::Obj(Exc::AssertionError.class().clone()));
                }
                Instr::YieldValue => exit_step!(self.op_yield_value(&mut frame)),
                Instr::GetYieldFromIter => step!(self.op_get_yield_from_iter(&mut frame)),
                Instr::GetAwaitable(site) => step!(self.op_get_awaitable(&mut frame, site)),
                Instr::BeforeAsyncWith => step!(self.op_before_async_with(&mut frame)),
                Instr::AsyncWithExit => step!(self.op_async_with_exit(&mut frame)),
                Instr::GetAIter => step!(self.op_get_aiter(&mut frame)),
                Instr::GetANext => step!(self.op_get_anext(&mut frame)),
                Instr::EndAsyncFor => step!(self.op_end_async_for(&mut frame)),
                Instr::AsyncGenWrap => step!(self.op_async_gen_wrap(&mut frame)),
                Instr::Send(t) => step!(self.op_send(&mut frame, t)),
                Instr::ImportName(name, level) => step!(self.op_import_name(&mut frame, name, level)),
                Instr::ImportFrom(i) => step!(self.op_import_from(&mut frame, i)),
                Instr::ImportStar => step!(self.op_import_star(&mut frame)),
                Instr::PrintExpr => step!(self.op_print_expr(&mut frame)),
                Instr::SetupAnnotations => {}
            }
        }
    }

    /// The stack holds `[builtin qualname, generator, arg]` (a method call on a generator).
    #[inline]
    /// `[f self a1..an]` (self Null: call `f(a1..an)`) as CallMethod lays it out.
    pub(super) fn call_method_on_stack(
        &mut self,
        frame: &mut Frame,
        argc: usize,
        kwnames: Option<&Value>,
    ) -> PyResult<Prepared> {
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
    pub(super) fn resume_sent(&mut self, frame: &mut Frame) -> PyResult<Box<Frame>> {
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
    /// Local `a` of `frame`, or UnboundLocalError when it has no value yet (for the
    /// fused instructions that read a local in place).
    #[inline(always)]
    pub(super) fn bound_local<'f>(&mut self, frame: &'f Frame, a: u32) -> PyResult<&'f Value> {
        let v = &frame.values[a as usize];
        if v.is_null() {
            return Err(self.unbound_local_of(frame, a));
        }
        Ok(v)
    }

    #[cold]
    #[inline(never)]
    fn unbound_local_of(&mut self, frame: &Frame, a: u32) -> PyErr {
        let name = frame.code.varnames[a as usize].str_text().to_string();
        self.unbound_local(&name)
    }

    pub(super) fn unbound_operand(&mut self, frame: &Frame, a: u16, b: Option<u16>) -> Option<PyErr> {
        for slot in std::iter::once(a).chain(b) {
            if frame.values[slot as usize].is_null() {
                let name = frame.code.varnames[slot as usize].str_text().to_string();
                return Some(self.unbound_local(&name));
            }
        }
        None
    }

    pub(super) fn is_gen_method(frame: &Frame, qualname: &str) -> bool {
        let n = frame.values.len();
        if n < 3 {
            return false;
        }
        match (&frame.values[n - 3], &frame.values[n - 2]) {
            (Value::Obj(f), Value::Obj(g)) => {
                // A coroutine's `send` is resumed in the loop as a generator's is
                // (asyncio's tasks step their coroutines with it).
                matches!((&**f, &**g), (Object::Builtin(b), Object::Generator(_))
                    if b.qualname == qualname || (qualname == "generator.send" && b.qualname == "coroutine.send"))
            }
            _ => false,
        }
    }

    /// The stack holds `[next, generator]` (the builtin `next` with one argument).
    #[inline]
    pub(super) fn is_next_of_generator(frame: &Frame) -> bool {
        let n = frame.values.len();
        if n < 2 {
            return false;
        }
        match (&frame.values[n - 2], &frame.values[n - 1]) {
            (Value::Obj(f), Value::Obj(g)) => {
                matches!((&**f, &**g), (Object::Builtin(b), Object::Generator(gen))
                    if b.qualname == "next" && b.bound.is_none() && gen.kind == crate::value::generator::GenKind::Generator)
            }
            _ => false,
        }
    }

    /// Marks a generator finished (its frame is gone for good).
    ///
    /// # Safety
    /// This thread must own `gen`'s frame (see `GeneratorObj::suspend`): `gen` is the
    /// generator of a frame this thread claimed and is running, as the `gen` of a
    /// `FrameKind::Gen*` frame on this VM is.
    pub(crate) unsafe fn finish_generator(&mut self, gen: &ObjRef) {
        if let Object::Generator(g) = &**gen {
            // SAFETY: the caller owns the frame (the precondition above).
            unsafe { g.finish() };
        }
    }

    /// A yield back to Rust: the frame travels in `FrameExit::Yield` and the caller
    /// stores it (`GeneratorObj::suspend`), which also ends the Running state.
    pub(super) fn suspend_generator(&mut self, _gen: &ObjRef) {}

    /// Puts a generator's frame back at a yield.
    ///
    /// # Safety
    /// As for [`Vm::finish_generator`]: this thread claimed `gen` and `frame` is the
    /// frame it took.
    pub(super) unsafe fn store_generator_frame(&mut self, gen: &ObjRef, frame: Box<Frame>) {
        // Once stored, another thread may resume (and write) the frame.
        self.forget_caller(&frame);
        if let Object::Generator(g) = &**gen {
            // SAFETY: the caller owns the frame (the precondition above).
            unsafe { g.suspend(frame) };
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
