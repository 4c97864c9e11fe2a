//! Async generators and the coroutine wrapper.
//!
//! An async generator is a generator object of kind `AsyncGenerator` whose own
//! `yield`s are marked (`Instr::AsyncGenWrap` makes a `Wrapped` value): when its frame
//! yields, a marked value is an item for the `async for` (the awaitable finishes with
//! it, as a StopIteration carrying it), anything else was passed up by an `await`
//! inside the generator and goes on to whoever drives the awaitable (the event loop).
//! `__anext__`/`asend` make an `async_generator_asend` awaitable, `athrow`/`aclose` an
//! `async_generator_athrow`; each runs the generator's frame from Rust when stepped.
//! `coroutine.__await__()` gives a `coroutine_wrapper`, an iterator over the
//! coroutine (which `await` unwraps, so the loop resumes the coroutine in place).

use super::gen_methods::thrown_exception;
use crate::interp::{add_natives, types};
use crate::native::{native, wrong_self, Exc, FromSelf, NativeClass, NativePayload, Signature};
use crate::value::function::BuiltinObj;
use crate::value::generator::{GenKind, GenState};
use crate::value::{ObjRef, Object, Value};
use crate::vm::gen::GenStep;
use crate::vm::{PyErr, PyResult, Vm};
use parking_lot::Mutex;
use std::sync::atomic::{AtomicU8, Ordering};

pub fn register(_vm: &mut Vm) {
    let t = types();
    add_natives(&t.coroutine, &[&coro_await::DEF]);
    add_natives(
        &t.async_generator,
        &[&ag_aiter::DEF, &ag_anext::DEF, &ag_asend::DEF, &ag_athrow::DEF, &ag_aclose::DEF],
    );
}

/// A value an async generator yielded itself (see the module comment).
struct Wrapped(Value);

impl NativePayload for Wrapped {
    const CLASS: &'static NativeClass = &WRAPPED;
}

static WRAPPED: NativeClass =
    NativeClass { name: "async_generator_wrapped_value", module: "builtins", ..NativeClass::DEFAULT };

/// Marks `v` as yielded by an async generator itself.
pub fn wrap_yielded(v: Value) -> Value {
    WRAPPED.instance(Wrapped(v))
}

fn unwrap_yielded(v: &Value) -> Option<Value> {
    match v.obj() {
        Some(Object::Instance(i)) => i.native::<Wrapped>().map(|w| w.0.clone()),
        _ => None,
    }
}

/// `coroutine.__await__()`'s iterator.
struct CoroWrapper(ObjRef);

impl NativePayload for CoroWrapper {
    const CLASS: &'static NativeClass = &CORO_WRAPPER;
}

static CORO_WRAPPER: NativeClass = NativeClass {
    name: "coroutine_wrapper",
    module: "builtins",
    methods: &[&cw_send::DEF, &cw_throw::DEF, &cw_close::DEF, &cw_next::DEF, &cw_iter::DEF],
    ..NativeClass::DEFAULT
};

/// The coroutine a `coroutine_wrapper` iterates over.
pub fn wrapped_coroutine(v: &Value) -> Option<Value> {
    match v.obj() {
        Some(Object::Instance(i)) => i.native::<CoroWrapper>().map(|w| Value::Obj(w.0.clone())),
        _ => None,
    }
}

/// `self` of a coroutine or async generator method, checked for its kind.
struct Kinded<'a, const K: u8>(&'a ObjRef);

impl<'a, const K: u8> FromSelf<'a> for Kinded<'a, K> {
    #[inline(always)]
    fn from_self(vm: &mut Vm, v: &'a Value, sig: &'static Signature, b: &BuiltinObj) -> PyResult<Self> {
        match v {
            Value::Obj(o) if matches!(&**o, Object::Generator(g) if g.kind as u8 == K) => Ok(Kinded(o)),
            _ => {
                let owner = b.owner.as_ref().map(|o| o.class_name()).unwrap_or("coroutine");
                Err(wrong_self(vm, v, sig, owner))
            }
        }
    }
}

type Coro<'a> = Kinded<'a, { GenKind::Coroutine as u8 }>;
type AGen<'a> = Kinded<'a, { GenKind::AsyncGenerator as u8 }>;

/// Return an iterator to be used in await expression.
#[native("coroutine.__await__($self, /)", style = "slot")]
fn coro_await(_vm: &mut Vm, this: Coro) -> PyResult<Value> {
    Ok(CORO_WRAPPER.instance(CoroWrapper(this.0.clone())))
}

/// send(arg) -> send 'arg' into coroutine,
/// return next iterated value or raise StopIteration.
#[native("coroutine_wrapper.send($self, value, /)")]
fn cw_send(vm: &mut Vm, this: &CoroWrapper, value: Value) -> PyResult<Value> {
    vm.gen_send(&this.0, value)
}

/// throw(value)
/// throw(type[,value[,traceback]])
///
/// Raise exception in coroutine, return next iterated value or raise
/// StopIteration.
#[native("coroutine_wrapper.throw($self, typ, val=<unrepresentable>, tb=<unrepresentable>, /)")]
fn cw_throw(vm: &mut Vm, this: &CoroWrapper, typ: Value, val: Option<Value>, tb: Option<Value>) -> PyResult<Value> {
    let exc = thrown_exception(vm, typ, val, tb)?;
    match vm.gen_throw(&this.0, exc)? {
        GenStep::Yield(v) => Ok(v),
        GenStep::Return(r) => Err(vm.stop_iteration(r)),
    }
}

/// close() -> raise GeneratorExit inside coroutine.
#[native("coroutine_wrapper.close($self, /)")]
fn cw_close(vm: &mut Vm, this: &CoroWrapper) -> PyResult<()> {
    vm.gen_close(&this.0)?;
    Ok(())
}

/// Implement next(self).
#[native("coroutine_wrapper.__next__($self, /)", style = "slot")]
fn cw_next(vm: &mut Vm, this: &CoroWrapper) -> PyResult<Value> {
    vm.gen_send(&this.0, Value::None)
}

/// Implement iter(self).
#[native("coroutine_wrapper.__iter__($self, /)", style = "slot")]
fn cw_iter(_vm: &mut Vm, this: (&Value, &CoroWrapper)) -> PyResult<Value> {
    Ok(this.0.clone())
}

/// The steps of an awaitable: not yet sent to, running the generator, finished.
const FRESH: u8 = 0;
const STARTED: u8 = 1;
const DONE: u8 = 2;

/// `__anext__()` / `asend(v)`.
struct Asend {
    gen: ObjRef,
    /// The value the first step sends (None for `__anext__`).
    first: Mutex<Option<Value>>,
    step: AtomicU8,
}

impl NativePayload for Asend {
    const CLASS: &'static NativeClass = &ASEND;
}

static ASEND: NativeClass = NativeClass {
    name: "async_generator_asend",
    module: "builtins",
    methods: &[&as_send::DEF, &as_throw::DEF, &as_close::DEF, &as_next::DEF, &as_iter::DEF, &as_await::DEF],
    ..NativeClass::DEFAULT
};

/// `athrow(...)` / `aclose()`.
struct Athrow {
    gen: ObjRef,
    /// The exception the first step throws in.
    exc: Mutex<Option<Value>>,
    /// `aclose()`: the generator must finish rather than yield an item.
    close: bool,
    step: AtomicU8,
}

impl NativePayload for Athrow {
    const CLASS: &'static NativeClass = &ATHROW;
}

static ATHROW: NativeClass = NativeClass {
    name: "async_generator_athrow",
    module: "builtins",
    methods: &[&at_send::DEF, &at_throw::DEF, &at_close::DEF, &at_next::DEF, &at_iter::DEF, &at_await::DEF],
    ..NativeClass::DEFAULT
};

/// Return an awaitable, that resolves in asynchronous iterator.
#[native("async_generator.__aiter__($self, /)", style = "slot")]
fn ag_aiter(_vm: &mut Vm, this: AGen) -> PyResult<Value> {
    Ok(Value::Obj(this.0.clone()))
}

/// Return a value or raise StopAsyncIteration.
#[native("async_generator.__anext__($self, /)", style = "slot")]
fn ag_anext(_vm: &mut Vm, this: AGen) -> PyResult<Value> {
    Ok(ASEND.instance(Asend { gen: this.0.clone(), first: Mutex::new(None), step: AtomicU8::new(FRESH) }))
}

/// asend(v) -> send 'v' in generator.
#[native("async_generator.asend($self, value, /)")]
fn ag_asend(_vm: &mut Vm, this: AGen, value: Value) -> PyResult<Value> {
    Ok(ASEND.instance(Asend { gen: this.0.clone(), first: Mutex::new(Some(value)), step: AtomicU8::new(FRESH) }))
}

/// athrow(typ[,val[,tb]]) -> raise exception in generator.
#[native("async_generator.athrow($self, typ, val=<unrepresentable>, tb=<unrepresentable>, /)")]
fn ag_athrow(vm: &mut Vm, this: AGen, typ: Value, val: Option<Value>, tb: Option<Value>) -> PyResult<Value> {
    let exc = thrown_exception(vm, typ, val, tb)?;
    Ok(ATHROW.instance(Athrow {
        gen: this.0.clone(),
        exc: Mutex::new(Some(exc)),
        close: false,
        step: AtomicU8::new(FRESH),
    }))
}

/// aclose() -> raise GeneratorExit inside generator.
#[native("async_generator.aclose($self, /)")]
fn ag_aclose(vm: &mut Vm, this: AGen) -> PyResult<Value> {
    let exit = Exc::GeneratorExit.class().clone();
    let exc = vm.new_exception(&exit, vec![]).exc;
    Ok(ATHROW.instance(Athrow {
        gen: this.0.clone(),
        exc: Mutex::new(Some(exc)),
        close: true,
        step: AtomicU8::new(FRESH),
    }))
}

/// What one step of the generator means for an `asend` (or `athrow`) awaitable:
/// an item of the generator finishes it (StopIteration carrying the item), the end
/// of the generator is StopAsyncIteration, other yields pass through.
fn item_outcome(vm: &mut Vm, step: &AtomicU8, r: PyResult<GenStep>) -> PyResult<Value> {
    match r {
        Ok(GenStep::Yield(y)) => match unwrap_yielded(&y) {
            Some(item) => {
                step.store(DONE, Ordering::Release);
                Err(vm.stop_iteration(item))
            }
            None => Ok(y),
        },
        Ok(GenStep::Return(_)) => {
            step.store(DONE, Ordering::Release);
            let cls = Exc::StopAsyncIteration.class().clone();
            Err(vm.new_exception(&cls, vec![]))
        }
        Err(e) => {
            step.store(DONE, Ordering::Release);
            Err(e)
        }
    }
}

/// What one step means for `aclose()`: the generator must end (GeneratorExit or
/// StopAsyncIteration count as ending); an item is a RuntimeError.
fn close_outcome(vm: &mut Vm, step: &AtomicU8, r: PyResult<GenStep>) -> PyResult<Value> {
    match r {
        Ok(GenStep::Yield(y)) => {
            if unwrap_yielded(&y).is_none() {
                return Ok(y);
            }
            step.store(DONE, Ordering::Release);
            Err(vm.error(Exc::RuntimeError, "async generator ignored GeneratorExit"))
        }
        Ok(GenStep::Return(_)) => {
            step.store(DONE, Ordering::Release);
            Err(vm.stop_iteration(Value::None))
        }
        Err(e) => {
            step.store(DONE, Ordering::Release);
            let cls = vm.class_of(&e.exc);
            let ends = crate::value::class::is_subclass(&cls, Exc::GeneratorExit.class())
                || crate::value::class::is_subclass(&cls, Exc::StopAsyncIteration.class());
            if ends {
                Err(vm.stop_iteration(Value::None))
            } else {
                Err(e)
            }
        }
    }
}

fn reused(vm: &mut Vm, what: &str) -> PyErr {
    let msg = format!("cannot reuse already awaited {what}");
    vm.error(Exc::RuntimeError, &msg)
}

fn asend_step(vm: &mut Vm, this: &Asend, value: Value) -> PyResult<Value> {
    let sent = match this.step.load(Ordering::Acquire) {
        DONE => return Err(reused(vm, "__anext__()/asend()")),
        FRESH => {
            this.step.store(STARTED, Ordering::Release);
            let first = this.first.lock().take();
            match first {
                Some(v) if value.is_none() => v,
                _ => value,
            }
        }
        _ => value,
    };
    let r = vm.resume_generator(&this.gen, sent);
    item_outcome(vm, &this.step, r)
}

/// send(arg) -> send 'arg' into generator,
/// return next yielded value or raise StopIteration.
#[native("async_generator_asend.send($self, value, /)")]
fn as_send(vm: &mut Vm, this: &Asend, value: Value) -> PyResult<Value> {
    asend_step(vm, this, value)
}

/// throw(value)
/// throw(type[,value[,tb]])
///
/// Raise exception in generator, return next yielded value or raise
/// StopIteration.
#[native("async_generator_asend.throw($self, typ, val=<unrepresentable>, tb=<unrepresentable>, /)")]
fn as_throw(vm: &mut Vm, this: &Asend, typ: Value, val: Option<Value>, tb: Option<Value>) -> PyResult<Value> {
    if this.step.load(Ordering::Acquire) == DONE {
        return Err(reused(vm, "__anext__()/asend()"));
    }
    let exc = thrown_exception(vm, typ, val, tb)?;
    this.step.store(STARTED, Ordering::Release);
    let r = vm.gen_throw(&this.gen, exc);
    item_outcome(vm, &this.step, r)
}

/// close() -> raise GeneratorExit inside generator.
#[native("async_generator_asend.close($self, /)")]
fn as_close(_vm: &mut Vm, this: &Asend) -> PyResult<()> {
    this.step.store(DONE, Ordering::Release);
    Ok(())
}

/// Implement next(self).
#[native("async_generator_asend.__next__($self, /)", style = "slot")]
fn as_next(vm: &mut Vm, this: &Asend) -> PyResult<Value> {
    asend_step(vm, this, Value::None)
}

/// Implement iter(self).
#[native("async_generator_asend.__iter__($self, /)", style = "slot")]
fn as_iter(_vm: &mut Vm, this: (&Value, &Asend)) -> PyResult<Value> {
    Ok(this.0.clone())
}

/// Return an iterator to be used in await expression.
#[native("async_generator_asend.__await__($self, /)", style = "slot")]
fn as_await(_vm: &mut Vm, this: (&Value, &Asend)) -> PyResult<Value> {
    Ok(this.0.clone())
}

fn athrow_step(vm: &mut Vm, this: &Athrow, value: Value) -> PyResult<Value> {
    let r = match this.step.load(Ordering::Acquire) {
        DONE => return Err(reused(vm, "aclose()/athrow()")),
        FRESH => {
            this.step.store(STARTED, Ordering::Release);
            let state = match &*this.gen {
                Object::Generator(g) => g.state(),
                _ => GenState::Finished,
            };
            if this.close && matches!(state, GenState::Created | GenState::Finished) {
                // Nothing runs: a generator never started (or already ended) just ends.
                vm.gen_close(&this.gen)?;
                this.step.store(DONE, Ordering::Release);
                return Err(vm.stop_iteration(Value::None));
            }
            let exc = this.exc.lock().take().unwrap_or(Value::None);
            vm.gen_throw(&this.gen, exc)
        }
        _ => vm.resume_generator(&this.gen, value),
    };
    if this.close {
        close_outcome(vm, &this.step, r)
    } else {
        item_outcome(vm, &this.step, r)
    }
}

/// send(arg) -> send 'arg' into generator,
/// return next yielded value or raise StopIteration.
#[native("async_generator_athrow.send($self, value, /)")]
fn at_send(vm: &mut Vm, this: &Athrow, value: Value) -> PyResult<Value> {
    athrow_step(vm, this, value)
}

/// throw(value)
/// throw(type[,value[,tb]])
///
/// Raise exception in generator, return next yielded value or raise
/// StopIteration.
#[native("async_generator_athrow.throw($self, typ, val=<unrepresentable>, tb=<unrepresentable>, /)")]
fn at_throw(vm: &mut Vm, this: &Athrow, typ: Value, val: Option<Value>, tb: Option<Value>) -> PyResult<Value> {
    if this.step.load(Ordering::Acquire) == DONE {
        return Err(reused(vm, "aclose()/athrow()"));
    }
    let exc = thrown_exception(vm, typ, val, tb)?;
    this.step.store(STARTED, Ordering::Release);
    let r = vm.gen_throw(&this.gen, exc);
    if this.close {
        close_outcome(vm, &this.step, r)
    } else {
        item_outcome(vm, &this.step, r)
    }
}

/// close() -> raise GeneratorExit inside generator.
#[native("async_generator_athrow.close($self, /)")]
fn at_close(_vm: &mut Vm, this: &Athrow) -> PyResult<()> {
    this.step.store(DONE, Ordering::Release);
    Ok(())
}

/// Implement next(self).
#[native("async_generator_athrow.__next__($self, /)", style = "slot")]
fn at_next(vm: &mut Vm, this: &Athrow) -> PyResult<Value> {
    athrow_step(vm, this, Value::None)
}

/// Implement iter(self).
#[native("async_generator_athrow.__iter__($self, /)", style = "slot")]
fn at_iter(_vm: &mut Vm, this: (&Value, &Athrow)) -> PyResult<Value> {
    Ok(this.0.clone())
}

/// Return an iterator to be used in await expression.
#[native("async_generator_athrow.__await__($self, /)", style = "slot")]
fn at_await(_vm: &mut Vm, this: (&Value, &Athrow)) -> PyResult<Value> {
    Ok(this.0.clone())
}
