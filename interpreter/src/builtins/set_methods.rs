//! Methods of `set` and `frozenset`.

use super::arg;
use crate::interp::{add_methods, types};
use crate::native::Exc;
use crate::value::{Object, Value};
use crate::vm::{Args, PyResult, Vm};
use conc_grammar::ast::{BinOp, CmpOp};

pub fn register(_vm: &mut Vm) {
    let t = types();
    for cls in [&t.set, &t.frozenset] {
        crate::interp::add_natives(cls, &[&super::list_methods::dunder_len::DEF]);
    }
    let common: &[(&str, crate::value::function::NativeFn)] = &[
        ("union", union),
        ("intersection", intersection),
        ("difference", difference),
        ("symmetric_difference", symmetric_difference),
        ("issubset", issubset),
        ("issuperset", issuperset),
        ("isdisjoint", isdisjoint),
        ("copy", copy),
        ("__contains__", contains),
    ];
    add_methods(&t.set, common);
    add_methods(&t.frozenset, common);
    add_methods(
        &t.set,
        &[
            ("add", add),
            ("discard", discard),
            ("remove", remove),
            ("pop", pop),
            ("clear", clear),
            ("update", update),
            ("intersection_update", intersection_update),
            ("difference_update", difference_update),
            ("symmetric_difference_update", symmetric_difference_update),
        ],
    );
}

fn as_set(vm: &mut Vm, v: &Value) -> PyResult<Value> {
    if let Some(Object::Set(_)) = v.obj() {
        return Ok(v.clone());
    }
    let items = vm.collect(v)?;
    vm.new_set(items, false)
}

fn binary(vm: &mut Vm, args: Args, op: BinOp) -> PyResult<Value> {
    let mut acc = vm.set_copy(&args.pos[0], matches!(args.pos[0].obj(), Some(Object::Set(s)) if s.frozen));
    for other in args.pos.iter().skip(1) {
        let o = as_set(vm, other)?;
        acc = vm.binary_op(acc, o, op)?;
    }
    Ok(acc)
}

fn union(vm: &mut Vm, args: Args) -> PyResult<Value> {
    binary(vm, args, BinOp::BitOr)
}

fn intersection(vm: &mut Vm, args: Args) -> PyResult<Value> {
    binary(vm, args, BinOp::BitAnd)
}

fn difference(vm: &mut Vm, args: Args) -> PyResult<Value> {
    binary(vm, args, BinOp::Sub)
}

fn symmetric_difference(vm: &mut Vm, args: Args) -> PyResult<Value> {
    binary(vm, args, BinOp::BitXor)
}

fn inplace(vm: &mut Vm, args: Args, op: BinOp) -> PyResult<Value> {
    let s = args.pos[0].clone();
    for other in args.pos.iter().skip(1) {
        let o = as_set(vm, other)?;
        vm.inplace_op(s.clone(), o, op)?;
    }
    Ok(Value::None)
}

fn update(vm: &mut Vm, args: Args) -> PyResult<Value> {
    inplace(vm, args, BinOp::BitOr)
}

fn intersection_update(vm: &mut Vm, args: Args) -> PyResult<Value> {
    inplace(vm, args, BinOp::BitAnd)
}

fn difference_update(vm: &mut Vm, args: Args) -> PyResult<Value> {
    inplace(vm, args, BinOp::Sub)
}

fn symmetric_difference_update(vm: &mut Vm, args: Args) -> PyResult<Value> {
    inplace(vm, args, BinOp::BitXor)
}

fn compare(vm: &mut Vm, args: Args, op: CmpOp) -> PyResult<Value> {
    let a = args.pos[0].clone();
    let other = arg(vm, &args, 1, "issubset")?;
    let b = as_set(vm, &other)?;
    vm.compare(&a, &b, op)
}

fn issubset(vm: &mut Vm, args: Args) -> PyResult<Value> {
    compare(vm, args, CmpOp::LtE)
}

fn issuperset(vm: &mut Vm, args: Args) -> PyResult<Value> {
    compare(vm, args, CmpOp::GtE)
}

fn isdisjoint(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let a = args.pos[0].clone();
    let other = arg(vm, &args, 1, "isdisjoint")?;
    for v in vm.collect(&other)? {
        if vm.set_contains(&a, &v)? {
            return Ok(Value::Bool(false));
        }
    }
    Ok(Value::Bool(true))
}

fn copy(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let frozen = matches!(args.pos[0].obj(), Some(Object::Set(s)) if s.frozen);
    Ok(vm.set_copy(&args.pos[0], frozen))
}

fn contains(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let x = arg(vm, &args, 1, "__contains__")?;
    Ok(Value::Bool(vm.set_contains(&args.pos[0], &x)?))
}

fn add(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let x = arg(vm, &args, 1, "add")?;
    vm.set_add(&args.pos[0], x)?;
    Ok(Value::None)
}

fn discard(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let x = arg(vm, &args, 1, "discard")?;
    vm.set_discard(&args.pos[0], &x)?;
    Ok(Value::None)
}

fn remove(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let x = arg(vm, &args, 1, "remove")?;
    if !vm.set_discard(&args.pos[0], &x)? {
        return Err(vm.key_error(x));
    }
    Ok(Value::None)
}

fn pop(vm: &mut Vm, args: Args) -> PyResult<Value> {
    if let Some(Object::Set(s)) = args.pos[0].obj() {
        let mut g = s.lock();
        if let Some(i) = g.first_index() {
            return Ok(g.remove_at(i));
        }
    }
    Err(vm.error(Exc::KeyError, "pop from an empty set"))
}

fn clear(_vm: &mut Vm, args: Args) -> PyResult<Value> {
    if let Some(Object::Set(s)) = args.pos[0].obj() {
        let old = s.lock().clear();
        drop(old);
    }
    Ok(Value::None)
}
