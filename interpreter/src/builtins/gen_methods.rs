//! Methods of generators and native iterators.

use crate::interp::{add_natives, types};
use crate::native::{native, wrong_self, Exc, FromSelf, Receiver, Signature};
use crate::value::function::BuiltinObj;
use crate::value::{ObjRef, Object, Value};
use crate::vm::{Args, PyResult, Vm};

pub fn register(vm: &mut Vm) {
    let t = types();
    add_natives(&t.generator, &[&send::DEF, &throw::DEF, &close::DEF, &next::DEF, &iter_self::DEF]);
    add_natives(&t.coroutine, &[&send::DEF, &throw::DEF, &close::DEF]);
    super::async_gen::register(vm);
    for c in [
        &t.iterator,
        &t.list_iterator,
        &t.tuple_iterator,
        &t.str_iterator,
        &t.range_iterator,
        &t.longrange_iterator,
        &t.dict_keyiterator,
        &t.dict_valueiterator,
        &t.dict_itemiterator,
        &t.set_iterator,
        &t.enumerate,
        &t.zip,
        &t.map,
        &t.filter,
        &t.reversed,
        &t.callable_iterator,
    ] {
        add_natives(c, &[&next::DEF, &iter_self::DEF]);
    }
}

/// `self` of a generator (or coroutine) method.
struct Gen<'a>(&'a ObjRef);

impl<'a> FromSelf<'a> for Gen<'a> {
    #[inline(always)]
    fn from_self(vm: &mut Vm, v: &'a Value, sig: &'static Signature, b: &BuiltinObj) -> PyResult<Self> {
        match v {
            Value::Obj(o) if matches!(&**o, Object::Generator(_)) => Ok(Gen(o)),
            _ => {
                let owner = b.owner.as_ref().map(|o| o.class_name()).unwrap_or("generator");
                Err(wrong_self(vm, v, sig, owner))
            }
        }
    }
}

/// send(arg) -> send 'arg' into generator,
/// return next yielded value or raise StopIteration.
#[native("generator.send($self, value, /)")]
fn send(vm: &mut Vm, this: Gen, value: Value) -> PyResult<Value> {
    vm.gen_send(this.0, value)
}

/// throw(value)
/// throw(type[,value[,tb]])
///
/// Raise exception in generator, return next yielded value or raise
/// StopIteration.
#[native("generator.throw($self, typ, val=<unrepresentable>, tb=<unrepresentable>, /)")]
fn throw(vm: &mut Vm, this: Gen, typ: Value, val: Option<Value>, tb: Option<Value>) -> PyResult<Value> {
    let exc = thrown_exception(vm, typ, val, tb)?;
    match vm.gen_throw(this.0, exc)? {
        crate::vm::gen::GenStep::Yield(v) => Ok(v),
        crate::vm::gen::GenStep::Return(r) => Err(vm.stop_iteration(r)),
    }
}

/// The exception instance that `throw(typ[, val[, tb]])` raises (generators,
/// coroutines and the awaitables of async generators take the same arguments).
pub(crate) fn thrown_exception(vm: &mut Vm, typ: Value, val: Option<Value>, tb: Option<Value>) -> PyResult<Value> {
    if let Some(tb) = tb.filter(|t| !t.is_none()) {
        if vm.type_name(&tb) != "traceback" {
            return Err(vm.type_error("throw() third argument must be a traceback object"));
        }
    }
    let val = val.filter(|v| !v.is_none());
    Ok(match &typ {
        Value::Obj(cls)
            if matches!(&**cls, Object::Class(_))
                && crate::value::class::is_subclass(cls, Exc::BaseException.class()) =>
        {
            match val {
                // An instance of the class is raised as it is.
                Some(v) if crate::value::class::is_subclass(&vm.class_of(&v), cls) => v,
                Some(v) => {
                    let args = match v.as_tuple() {
                        Some(t) => t.items().to_vec(),
                        None => vec![v],
                    };
                    vm.call(&typ, Args::new(args))?
                }
                None => vm.call(&typ, Args::default())?,
            }
        }
        _ if super::exceptions::is_exception(&typ) => {
            if val.is_some() {
                return Err(vm.type_error("instance exception may not have a separate value"));
            }
            typ
        }
        _ => {
            let msg = format!(
                "exceptions must be classes or instances deriving from BaseException, not {}",
                vm.type_name(&typ)
            );
            return Err(vm.type_error(&msg));
        }
    })
}

/// close() -> raise GeneratorExit inside generator.
#[native("generator.close($self, /)")]
fn close(vm: &mut Vm, this: Gen) -> PyResult<()> {
    vm.gen_close(this.0)?;
    Ok(())
}

/// Implement next(self).
#[native("object.__next__($self, /)", style = "slot")]
fn next(vm: &mut Vm, this: Receiver) -> PyResult<Value> {
    if let Value::Obj(g) = this.0 {
        if let Object::Generator(_) = &**g {
            return vm.gen_send(g, Value::None);
        }
    }
    match vm.iter_next(this.0)? {
        Some(v) => Ok(v),
        None => Err(vm.stop_iteration(Value::None)),
    }
}

/// Implement iter(self).
#[native("object.__iter__($self, /)", style = "slot")]
fn iter_self(_vm: &mut Vm, this: Receiver) -> PyResult<Value> {
    Ok(this.0.clone())
}
