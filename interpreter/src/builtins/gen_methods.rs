//! Methods of generators and native iterators.

use super::arg;
use crate::interp::{add_methods, types};
use crate::value::{Object, Value};
use crate::vm::{Args, PyResult, Vm};

pub fn register(_vm: &mut Vm) {
    let t = types();
    add_methods(
        &t.generator,
        &[("send", send), ("throw", throw), ("close", close), ("__next__", next), ("__iter__", iter_self)],
    );
    add_methods(&t.coroutine, &[("send", send), ("throw", throw), ("close", close)]);
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
        add_methods(c, &[("__next__", next), ("__iter__", iter_self)]);
    }
}

fn gen_ref(vm: &mut Vm, args: &Args) -> PyResult<crate::value::ObjRef> {
    match args.pos.first().and_then(|v| v.as_objref()) {
        Some(o) if matches!(&**o, Object::Generator(_)) => Ok(o.clone()),
        _ => Err(vm.type_error("expected a generator")),
    }
}

fn send(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let g = gen_ref(vm, &args)?;
    let v = arg(vm, &args, 1, "send")?;
    vm.gen_send(&g, v)
}

fn throw(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let g = gen_ref(vm, &args)?;
    let typ = arg(vm, &args, 1, "throw")?;
    let exc = match typ.obj() {
        Some(Object::Class(_)) => {
            let a: Vec<Value> = args.pos.get(2).cloned().into_iter().filter(|v| !v.is_none()).collect();
            vm.call(&typ, Args::new(a))?
        }
        _ => typ,
    };
    if !super::exceptions::is_exception(&exc) {
        return Err(vm.type_error("exceptions must be classes or instances deriving from BaseException, not str"));
    }
    match vm.gen_throw(&g, exc)? {
        crate::vm::gen::GenStep::Yield(v) => Ok(v),
        crate::vm::gen::GenStep::Return(r) => Err(vm.stop_iteration(r)),
    }
}

fn close(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let g = gen_ref(vm, &args)?;
    vm.gen_close(&g)?;
    Ok(Value::None)
}

fn next(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let it = arg(vm, &args, 0, "__next__")?;
    if let Some(Object::Generator(_)) = it.obj() {
        let g = it.as_objref().unwrap().clone();
        return vm.gen_send(&g, Value::None);
    }
    match vm.iter_next(&it)? {
        Some(v) => Ok(v),
        None => Err(vm.stop_iteration(Value::None)),
    }
}

fn iter_self(vm: &mut Vm, args: Args) -> PyResult<Value> {
    arg(vm, &args, 0, "__iter__")
}
