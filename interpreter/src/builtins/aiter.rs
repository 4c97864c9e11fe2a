//! `aiter` and `anext`, and the awaitable `anext(it, default)` returns: it drives
//! the awaitable of `it.__anext__()` and turns its StopAsyncIteration into the
//! default value (a StopIteration carrying it, which ends the `await`).

use super::gen_methods::thrown_exception;
use crate::native::{native, Exc, NativeClass, NativePayload};
use crate::value::str::intern;
use crate::value::Value;
use crate::vm::{PyErr, PyResult, Vm};
use parking_lot::Mutex;

/// aiter(async_iterable) -> async_iterator
///
/// Return an AsyncIterator for an AsyncIterable object.
#[native("aiter(async_iterable, /)")]
pub fn aiter(vm: &mut Vm, async_iterable: &Value) -> PyResult<Value> {
    let cls = vm.class_of(async_iterable);
    let Some(method) = vm.lookup_type_attr(&cls, &intern("__aiter__")) else {
        let msg = format!("'{}' object is not an async iterable", vm.type_name(async_iterable));
        return Err(vm.type_error(&msg));
    };
    let it = vm.call1(&method, [async_iterable.clone()])?;
    let it_cls = vm.class_of(&it);
    if vm.lookup_type_attr(&it_cls, &intern("__anext__")).is_none() {
        let msg = format!("aiter() returned not an async iterator of type '{}'", vm.type_name(&it));
        return Err(vm.type_error(&msg));
    }
    Ok(it)
}

/// anext(aiterator[, default])
///
/// Return the next item from the async iterator.  If default is given and the async
/// iterator is exhausted, it is returned instead of raising StopAsyncIteration.
#[native("anext(aiterator, default=<unrepresentable>, /)")]
pub fn anext(vm: &mut Vm, aiterator: &Value, default: Option<Value>) -> PyResult<Value> {
    let cls = vm.class_of(aiterator);
    let Some(method) = vm.lookup_type_attr(&cls, &intern("__anext__")) else {
        let msg = format!("'{}' object is not an async iterator", vm.type_name(aiterator));
        return Err(vm.type_error(&msg));
    };
    let awaitable = vm.call1(&method, [aiterator.clone()])?;
    match default {
        None => Ok(awaitable),
        Some(default) => {
            let state = AnextState { awaitable: Some(awaitable), iterator: None };
            Ok(ANEXT_AWAITABLE.instance(AnextAwaitable { state: Mutex::new(state), default }))
        }
    }
}

struct AnextState {
    /// What `__anext__()` returned, until it is first stepped.
    awaitable: Option<Value>,
    /// Its `__await__()` iterator, once stepped.
    iterator: Option<Value>,
}

struct AnextAwaitable {
    state: Mutex<AnextState>,
    default: Value,
}

impl NativePayload for AnextAwaitable {
    const CLASS: &'static NativeClass = &ANEXT_AWAITABLE;
}

static ANEXT_AWAITABLE: NativeClass = NativeClass {
    name: "anext_awaitable",
    module: "builtins",
    methods: &[&aw_await::DEF, &aw_iter::DEF, &aw_next::DEF, &aw_send::DEF, &aw_throw::DEF, &aw_close::DEF],
    ..NativeClass::DEFAULT
};

impl AnextAwaitable {
    /// The iterator to step, made from the awaitable on first use.
    fn iterator(&self, vm: &mut Vm) -> PyResult<Value> {
        let awaitable = {
            let mut st = self.state.lock();
            if let Some(it) = &st.iterator {
                return Ok(it.clone());
            }
            match st.awaitable.take() {
                Some(a) => a,
                None => return Err(vm.error(Exc::RuntimeError, "cannot reuse already awaited __anext__()/asend()")),
            }
        };
        let cls = vm.class_of(&awaitable);
        let Some(method) = vm.lookup_type_attr(&cls, &intern("__await__")) else {
            let msg = format!("'{}' object is not awaitable", vm.type_name(&awaitable));
            return Err(vm.type_error(&msg));
        };
        let it = vm.call1(&method, [awaitable])?;
        self.state.lock().iterator = Some(it.clone());
        Ok(it)
    }

    /// A step's outcome: the end of the async iterator becomes the default.
    fn outcome(&self, vm: &mut Vm, r: PyResult<Value>) -> PyResult<Value> {
        match r {
            Err(e) if is_stop_async(vm, &e) => {
                self.state.lock().iterator = None;
                Err(vm.stop_iteration(self.default.clone()))
            }
            other => other,
        }
    }
}

fn is_stop_async(vm: &mut Vm, e: &PyErr) -> bool {
    let cls = vm.class_of(&e.exc);
    crate::value::class::is_subclass(&cls, Exc::StopAsyncIteration.class())
}

/// Return an iterator to be used in await expression.
#[native("anext_awaitable.__await__($self, /)", style = "slot")]
fn aw_await(_vm: &mut Vm, this: &Value) -> PyResult<Value> {
    Ok(this.clone())
}

/// Implement iter(self).
#[native("anext_awaitable.__iter__($self, /)", style = "slot")]
fn aw_iter(_vm: &mut Vm, this: &Value) -> PyResult<Value> {
    Ok(this.clone())
}

/// Implement next(self).
#[native("anext_awaitable.__next__($self, /)", style = "slot")]
fn aw_next(vm: &mut Vm, this: &AnextAwaitable) -> PyResult<Value> {
    step(vm, this, Value::None)
}

/// send(arg) -> send 'arg' into the awaitable, return the next value it passes up.
#[native("anext_awaitable.send($self, value, /)")]
fn aw_send(vm: &mut Vm, this: &AnextAwaitable, value: Value) -> PyResult<Value> {
    step(vm, this, value)
}

fn step(vm: &mut Vm, this: &AnextAwaitable, value: Value) -> PyResult<Value> {
    let it = this.iterator(vm)?;
    // Called as methods, not through `iter_next`, so the StopIteration that
    // carries the item keeps its value.
    let r = match vm.get_attr_opt(&it, &intern("send"))? {
        Some(send) => vm.call1(&send, [value]),
        None if value.is_none() => {
            let next = vm.get_attr(&it, &intern("__next__"))?;
            vm.call1(&next, [])
        }
        None => {
            let msg = format!("'{}' object has no attribute 'send'", vm.type_name(&it));
            Err(vm.error(Exc::AttributeError, &msg))
        }
    };
    this.outcome(vm, r)
}

/// throw(value) -> raise the exception in the awaitable.
#[native("anext_awaitable.throw($self, typ, val=<unrepresentable>, tb=<unrepresentable>, /)")]
fn aw_throw(vm: &mut Vm, this: &AnextAwaitable, typ: Value, val: Option<Value>, tb: Option<Value>) -> PyResult<Value> {
    let exc = thrown_exception(vm, typ, val, tb)?;
    let it = this.iterator(vm)?;
    let r = match vm.get_attr_opt(&it, &intern("throw"))? {
        Some(throw) => vm.call1(&throw, [exc]),
        None => Err(PyErr { exc }),
    };
    this.outcome(vm, r)
}

/// close() -> close the awaitable.
#[native("anext_awaitable.close($self, /)")]
fn aw_close(vm: &mut Vm, this: &AnextAwaitable) -> PyResult<()> {
    let it = this.state.lock().iterator.take();
    if let Some(it) = it {
        if let Some(close) = vm.get_attr_opt(&it, &intern("close"))? {
            vm.call1(&close, [])?;
        }
    }
    Ok(())
}
