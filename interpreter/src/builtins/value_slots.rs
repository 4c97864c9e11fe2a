//! The operator methods of the built-in value types (`int.__add__`, `list.__eq__`,
//! `dict.__repr__`, ...), for scripts that call them explicitly: `super().__eq__(o)`
//! in a class derived from list, `int.__add__(self, 1)`, `str.__str__(self)`.
//!
//! The VM does not call these for its own operators: `a + b`, `a == b`, `repr(a)`
//! work on the values directly (and on the base value of an instance of a derived
//! class that does not override the operator), so plain values keep their fast paths.
//! Each method computes the built-in operation without calling any other method, and
//! returns NotImplemented where the built-in operation does not apply, as CPython's
//! slot wrappers do. `self` arrives as the base value (see `BuiltinObj::unwrap_self`);
//! the other operand is unwrapped here.

use crate::interp::{add_methods, add_methods_raw, not_implemented, types};
use crate::value::{Object, Value};
use crate::vm::{Args, PyResult, Vm};
use conc_grammar::ast::{BinOp, CmpOp};

/// `self` and the one other operand of a binary method.
fn operands(vm: &mut Vm, args: &Args) -> PyResult<(Value, Value)> {
    if args.pos.len() != 2 || !args.kw.is_empty() {
        let msg = format!("expected 1 argument, got {}", args.pos.len().saturating_sub(1));
        return Err(vm.type_error(&msg));
    }
    Ok((args.pos[0].clone(), args.pos[1].unwrap_base().clone()))
}

/// `self` of a method without other arguments.
fn only_self(vm: &mut Vm, args: &Args, name: &str) -> PyResult<Value> {
    match args.pos.first() {
        Some(v) if args.pos.len() == 1 && args.kw.is_empty() => Ok(v.clone()),
        Some(_) => {
            let msg = format!("{name}() takes no arguments ({} given)", args.pos.len() - 1);
            Err(vm.type_error(&msg))
        }
        None => {
            let msg = format!("descriptor '{name}' needs an argument");
            Err(vm.type_error(&msg))
        }
    }
}

fn binary(vm: &mut Vm, args: &Args, op: BinOp, reflected: bool) -> PyResult<Value> {
    let (a, b) = operands(vm, args)?;
    let (x, y) = if reflected { (b, a) } else { (a, b) };
    Ok(vm.builtin_binary(&x, &y, op)?.unwrap_or_else(not_implemented))
}

fn compare(vm: &mut Vm, args: &Args, op: CmpOp) -> PyResult<Value> {
    let (a, b) = operands(vm, args)?;
    Ok(match vm.builtin_order(&a, &b, op)? {
        Some(r) => Value::Bool(r),
        None => not_implemented(),
    })
}

/// `x op= y` on a list, set or dict (given as itself or as an instance of a derived
/// class), returning `self` as list.__iadd__ does.
fn inplace(vm: &mut Vm, args: &Args, op: BinOp, tname: &str, name: &str) -> PyResult<Value> {
    if args.pos.len() != 2 || !args.kw.is_empty() {
        let msg = format!("expected 1 argument, got {}", args.pos.len().saturating_sub(1));
        return Err(vm.type_error(&msg));
    }
    let this = args.pos[0].clone();
    let base = this.unwrap_base().clone();
    let ok = match base.obj() {
        Some(Object::List(_)) => tname == "list",
        Some(Object::Set(s)) => tname == "set" && !s.frozen,
        Some(Object::Dict(_)) => tname == "dict",
        _ => false,
    };
    if !ok {
        let msg = format!("descriptor '{name}' requires a '{tname}' object but received a '{}'", vm.type_name(&this));
        return Err(vm.type_error(&msg));
    }
    let other = args.pos[1].unwrap_base().clone();
    if tname == "set" && !matches!(other.obj(), Some(Object::Set(_))) {
        return Ok(not_implemented());
    }
    vm.inplace_op(base, other, op)?;
    Ok(this)
}

macro_rules! binary_methods {
    ($($name:ident => $op:ident, $reflected:expr;)*) => {
        $(fn $name(vm: &mut Vm, args: Args) -> PyResult<Value> {
            binary(vm, &args, BinOp::$op, $reflected)
        })*
    };
}

binary_methods! {
    add => Add, false; radd => Add, true;
    sub => Sub, false; rsub => Sub, true;
    mul => Mult, false; rmul => Mult, true;
    truediv => Div, false; rtruediv => Div, true;
    floordiv => FloorDiv, false; rfloordiv => FloorDiv, true;
    modulo => Mod, false; rmodulo => Mod, true;
    pow => Pow, false; rpow => Pow, true;
    lshift => LShift, false; rlshift => LShift, true;
    rshift => RShift, false; rrshift => RShift, true;
    and => BitAnd, false; rand => BitAnd, true;
    or => BitOr, false; ror => BitOr, true;
    xor => BitXor, false; rxor => BitXor, true;
}

macro_rules! compare_methods {
    ($($name:ident => $op:ident;)*) => {
        $(fn $name(vm: &mut Vm, args: Args) -> PyResult<Value> {
            compare(vm, &args, CmpOp::$op)
        })*
    };
}

compare_methods! {
    eq => Eq; ne => NotEq; lt => Lt; le => LtE; gt => Gt; ge => GtE;
}

fn list_iadd(vm: &mut Vm, args: Args) -> PyResult<Value> {
    inplace(vm, &args, BinOp::Add, "list", "__iadd__")
}

fn list_imul(vm: &mut Vm, args: Args) -> PyResult<Value> {
    inplace(vm, &args, BinOp::Mult, "list", "__imul__")
}

fn set_ior(vm: &mut Vm, args: Args) -> PyResult<Value> {
    inplace(vm, &args, BinOp::BitOr, "set", "__ior__")
}

fn set_iand(vm: &mut Vm, args: Args) -> PyResult<Value> {
    inplace(vm, &args, BinOp::BitAnd, "set", "__iand__")
}

fn set_isub(vm: &mut Vm, args: Args) -> PyResult<Value> {
    inplace(vm, &args, BinOp::Sub, "set", "__isub__")
}

fn set_ixor(vm: &mut Vm, args: Args) -> PyResult<Value> {
    inplace(vm, &args, BinOp::BitXor, "set", "__ixor__")
}

fn dict_ior(vm: &mut Vm, args: Args) -> PyResult<Value> {
    inplace(vm, &args, BinOp::BitOr, "dict", "__ior__")
}

fn repr(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let v = only_self(vm, &args, "__repr__")?;
    Ok(Value::string(vm.repr_of(&v)?))
}

/// `str.__str__`: the text as a plain str.
fn str_str(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let v = only_self(vm, &args, "__str__")?;
    match v.as_str() {
        Some(s) => Ok(Value::str(s.as_str())),
        None => Ok(Value::string(vm.str_of(&v)?)),
    }
}

fn hash(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let v = only_self(vm, &args, "__hash__")?;
    Ok(Value::Int(vm.hash(&v)?))
}

fn bool_(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let v = only_self(vm, &args, "__bool__")?;
    Ok(Value::Bool(vm.truthy(&v)?))
}

fn neg(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let v = only_self(vm, &args, "__neg__")?;
    vm.unary_neg(v)
}

fn pos(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let v = only_self(vm, &args, "__pos__")?;
    vm.unary_pos(v)
}

fn invert(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let v = only_self(vm, &args, "__invert__")?;
    vm.unary_invert(v)
}

fn abs(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let v = only_self(vm, &args, "__abs__")?;
    match &v {
        Value::Float(f) => Ok(Value::Float(f.abs())),
        _ => {
            // Negating a negative int gives its absolute value, big or small.
            if vm.builtin_order(&v, &Value::Int(0), CmpOp::Lt)? == Some(true) {
                vm.unary_neg(v)
            } else {
                vm.unary_pos(v)
            }
        }
    }
}

fn format(vm: &mut Vm, args: Args) -> PyResult<Value> {
    if args.pos.len() != 2 {
        let msg = format!("__format__() takes exactly one argument ({} given)", args.pos.len().saturating_sub(1));
        return Err(vm.type_error(&msg));
    }
    let v = args.pos[0].clone();
    let spec = match args.pos[1].as_str() {
        Some(s) => s.as_str().to_string(),
        None => {
            let msg = format!("__format__() argument must be str, not {}", vm.type_name(&args.pos[1]));
            return Err(vm.type_error(&msg));
        }
    };
    Ok(Value::string(vm.format(&v, &spec)?))
}

fn len(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let v = only_self(vm, &args, "__len__")?;
    Ok(Value::Int(super::functions::len_of(vm, &v)? as i64))
}

fn iter(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let v = only_self(vm, &args, "__iter__")?;
    vm.get_iter(&v)
}

fn contains(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let (a, b) = (args.pos.first().cloned(), args.pos.get(1).cloned());
    match (a, b) {
        (Some(a), Some(b)) if args.pos.len() == 2 => Ok(Value::Bool(vm.contains(&a, &b)?)),
        _ => Err(vm.type_error("expected 1 argument")),
    }
}

fn getitem(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let (a, b) = (args.pos.first().cloned(), args.pos.get(1).cloned());
    match (a, b) {
        (Some(a), Some(b)) if args.pos.len() == 2 => vm.get_item(&a, &b),
        _ => Err(vm.type_error("expected 1 argument")),
    }
}

fn delitem(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let (a, b) = (args.pos.first().cloned(), args.pos.get(1).cloned());
    match (a, b) {
        (Some(a), Some(b)) if args.pos.len() == 2 => {
            vm.del_item(&a, &b)?;
            Ok(Value::None)
        }
        _ => Err(vm.type_error("expected 1 argument")),
    }
}

type Methods = &'static [(&'static str, crate::value::function::NativeFn)];

const COMPARE: Methods =
    &[("__eq__", eq), ("__ne__", ne), ("__lt__", lt), ("__le__", le), ("__gt__", gt), ("__ge__", ge)];

const NUMBER: Methods = &[
    ("__add__", add),
    ("__radd__", radd),
    ("__sub__", sub),
    ("__rsub__", rsub),
    ("__mul__", mul),
    ("__rmul__", rmul),
    ("__truediv__", truediv),
    ("__rtruediv__", rtruediv),
    ("__floordiv__", floordiv),
    ("__rfloordiv__", rfloordiv),
    ("__mod__", modulo),
    ("__rmod__", rmodulo),
    ("__pow__", pow),
    ("__rpow__", rpow),
    ("__neg__", neg),
    ("__pos__", pos),
    ("__abs__", abs),
    ("__bool__", bool_),
    ("__hash__", hash),
    ("__format__", format),
];

const INT_BITS: Methods = &[
    ("__lshift__", lshift),
    ("__rlshift__", rlshift),
    ("__rshift__", rshift),
    ("__rrshift__", rrshift),
    ("__and__", and),
    ("__rand__", rand),
    ("__or__", or),
    ("__ror__", ror),
    ("__xor__", xor),
    ("__rxor__", rxor),
    ("__invert__", invert),
];

const SET_ALGEBRA: Methods = &[
    ("__or__", or),
    ("__ror__", ror),
    ("__and__", and),
    ("__rand__", rand),
    ("__sub__", sub),
    ("__rsub__", rsub),
    ("__xor__", xor),
    ("__rxor__", rxor),
    ("__iter__", iter),
];

pub fn register(_vm: &mut Vm) {
    let t = types();
    for cls in [&t.int, &t.float, &t.str_, &t.bytes, &t.list, &t.tuple, &t.dict, &t.set, &t.frozenset] {
        add_methods(cls, &[("__repr__", repr)]);
        add_methods(cls, COMPARE);
    }
    add_methods(&t.int, NUMBER);
    add_methods(&t.int, INT_BITS);
    add_methods(&t.float, NUMBER);
    add_methods(
        &t.str_,
        &[
            ("__str__", str_str),
            ("__hash__", hash),
            ("__format__", format),
            ("__add__", add),
            ("__mul__", mul),
            ("__rmul__", rmul),
            ("__mod__", modulo),
            ("__iter__", iter),
        ],
    );
    add_methods(
        &t.bytes,
        &[
            ("__hash__", hash),
            ("__add__", add),
            ("__mul__", mul),
            ("__rmul__", rmul),
            ("__mod__", modulo),
            ("__len__", len),
            ("__iter__", iter),
            ("__contains__", contains),
            ("__getitem__", getitem),
        ],
    );
    add_methods(&t.tuple, &[("__hash__", hash), ("__add__", add), ("__mul__", mul), ("__rmul__", rmul)]);
    add_methods(&t.list, &[("__add__", add), ("__mul__", mul), ("__rmul__", rmul), ("__delitem__", delitem)]);
    add_methods_raw(&t.list, &[("__iadd__", list_iadd), ("__imul__", list_imul)]);
    add_methods(&t.set, SET_ALGEBRA);
    add_methods_raw(
        &t.set,
        &[("__ior__", set_ior), ("__iand__", set_iand), ("__isub__", set_isub), ("__ixor__", set_ixor)],
    );
    add_methods(&t.frozenset, SET_ALGEBRA);
    add_methods(&t.frozenset, &[("__hash__", hash)]);
    add_methods(&t.dict, &[("__or__", or), ("__ror__", ror)]);
    add_methods_raw(&t.dict, &[("__ior__", dict_ior)]);
    // Mutable containers are unhashable, also in derived classes.
    for cls in [&t.list, &t.dict, &t.set] {
        crate::interp::set_class_attr(cls, "__hash__", Value::None);
    }
}
