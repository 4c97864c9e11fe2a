//! The operator methods of the built-in value types (`int.__add__`, `list.__eq__`,
//! `dict.__repr__`, ...), for scripts that call them explicitly: `super().__eq__(o)`
//! in a class derived from list, `int.__add__(self, 1)`, `str.__str__(self)`.
//!
//! The VM does not call these for its own operators: `a + b`, `a == b`, `repr(a)`
//! work on the values directly (and on the base value of an instance of a derived
//! class that does not override the operator), so plain values keep their fast paths.
//! Each method computes the built-in operation without calling any other method, and
//! returns NotImplemented where the built-in operation does not apply, as CPython's
//! slot wrappers do. `self` arrives as the base value (see `BuiltinObj::unwrap_self`),
//! except for the in-place operators, which return `self`; the other operand is
//! unwrapped here.

use super::list_methods::{dunder_contains, dunder_delitem, dunder_getitem, dunder_iter, dunder_len};
use crate::interp::{add_natives, not_implemented, types};
use crate::native::{native, NativeDef, Receiver};
use crate::operator::{BinOp, CmpOp};
use crate::value::function::BuiltinObj;
use crate::value::{ObjRef, Object, Value};
use crate::vm::{Args, PyResult, Vm};

/// An int's method given a float: int's slots leave floats to float's (NotImplemented).
fn int_with_float(this: &Value, other: &Value) -> bool {
    matches!(other, Value::Float(_)) && crate::value::int::to_bigint(this).is_some()
}

fn binary(vm: &mut Vm, this: &Value, value: &Value, op: BinOp, reflected: bool) -> PyResult<Value> {
    let (a, b) = (this, value.unwrap_base());
    if int_with_float(a, b) {
        return Ok(not_implemented());
    }
    let (x, y) = if reflected { (b, a) } else { (a, b) };
    Ok(vm.builtin_binary(x, y, op)?.unwrap_or_else(not_implemented))
}

/// The binary operator methods: one declaration each, all applying the operator.
macro_rules! binary_slots {
    ($($fname:ident: $sig:tt, $style:tt, $doc:tt, $op:ident, $reflected:expr;)*) => {$(
        #[doc = $doc]
        #[native($sig, style = $style)]
        fn $fname(vm: &mut Vm, this: Receiver, value: Value) -> PyResult<Value> {
            binary(vm, this.0, &value, BinOp::$op, $reflected)
        }
    )*};
}

binary_slots! {
    add: "object.__add__($self, value, /)", "slot", "Return self+value.", Add, false;
    radd: "object.__radd__($self, value, /)", "slot", "Return value+self.", Add, true;
    sub: "object.__sub__($self, value, /)", "slot", "Return self-value.", Sub, false;
    rsub: "object.__rsub__($self, value, /)", "slot", "Return value-self.", Sub, true;
    mul: "object.__mul__($self, value, /)", "slot", "Return self*value.", Mult, false;
    rmul: "object.__rmul__($self, value, /)", "slot", "Return value*self.", Mult, true;
    truediv: "object.__truediv__($self, value, /)", "slot", "Return self/value.", Div, false;
    rtruediv: "object.__rtruediv__($self, value, /)", "slot", "Return value/self.", Div, true;
    floordiv: "object.__floordiv__($self, value, /)", "slot", "Return self//value.", FloorDiv, false;
    rfloordiv: "object.__rfloordiv__($self, value, /)", "slot", "Return value//self.", FloorDiv, true;
    modulo: "object.__mod__($self, value, /)", "slot", "Return self%value.", Mod, false;
    rmodulo: "object.__rmod__($self, value, /)", "slot", "Return value%self.", Mod, true;
    lshift: "object.__lshift__($self, value, /)", "slot", "Return self<<value.", LShift, false;
    rlshift: "object.__rlshift__($self, value, /)", "slot", "Return value<<self.", LShift, true;
    rshift: "object.__rshift__($self, value, /)", "slot", "Return self>>value.", RShift, false;
    rrshift: "object.__rrshift__($self, value, /)", "slot", "Return value>>self.", RShift, true;
    and: "object.__and__($self, value, /)", "slot", "Return self&value.", BitAnd, false;
    rand: "object.__rand__($self, value, /)", "slot", "Return value&self.", BitAnd, true;
    or: "object.__or__($self, value, /)", "slot", "Return self|value.", BitOr, false;
    ror: "object.__ror__($self, value, /)", "slot", "Return value|self.", BitOr, true;
    xor: "object.__xor__($self, value, /)", "slot", "Return self^value.", BitXor, false;
    rxor: "object.__rxor__($self, value, /)", "slot", "Return value^self.", BitXor, true;
}

/// A sequence repeated: the count must be an index ("'str' object cannot be
/// interpreted as an integer").
fn repeat(vm: &mut Vm, this: &Value, count: &Value) -> PyResult<Value> {
    let count = count.unwrap_base();
    let n = match crate::value::int::to_bigint(count) {
        Some(_) => count.clone(),
        None => Value::Int(vm.index_value(count)?),
    };
    binary(vm, this, &n, BinOp::Mult, false)
}

/// Return self*value.
#[native("object.__mul__($self, value, /)", style = "slot_spaced")]
fn seq_mul(vm: &mut Vm, this: Receiver, value: Value) -> PyResult<Value> {
    repeat(vm, this.0, &value)
}

/// Return value*self.
#[native("object.__rmul__($self, value, /)", style = "slot_spaced")]
fn seq_rmul(vm: &mut Vm, this: Receiver, value: Value) -> PyResult<Value> {
    repeat(vm, this.0, &value)
}

/// `x ** y % mod` as the number slots compute it: ints only with a modulus.
fn power(vm: &mut Vm, x: &Value, y: &Value, m: Option<Value>) -> PyResult<Value> {
    let Some(m) = m else {
        return Ok(vm.builtin_binary(x, y, BinOp::Pow)?.unwrap_or_else(not_implemented));
    };
    let int = |v: &Value| !matches!(v, Value::Float(_)) && crate::value::int::to_bigint(v).is_some();
    let number = |v: &Value| matches!(v, Value::Float(_)) || int(v);
    let m = m.unwrap_base().clone();
    if int(x) && int(y) && int(&m) {
        let pow = crate::interp::builtins_module().globals.get("pow");
        return vm.call(&pow, Args::new([x.clone(), y.clone(), m]));
    }
    if (matches!(x, Value::Float(_)) || matches!(y, Value::Float(_))) && number(x) && number(y) {
        return Err(vm.type_error("pow() 3rd argument not allowed unless all arguments are integers"));
    }
    Ok(not_implemented())
}

/// Return pow(self, value, mod).
#[native("object.__pow__($self, value, mod=None, /)", style = "slot_spaced")]
fn pow(vm: &mut Vm, this: Receiver, value: Value, r#mod: Option<Value>) -> PyResult<Value> {
    if int_with_float(this.0, value.unwrap_base()) {
        return Ok(not_implemented());
    }
    power(vm, this.0, value.unwrap_base(), r#mod)
}

/// Return pow(value, self, mod).
#[native("object.__rpow__($self, value, mod=None, /)", style = "slot_spaced")]
fn rpow(vm: &mut Vm, this: Receiver, value: Value, r#mod: Option<Value>) -> PyResult<Value> {
    if int_with_float(this.0, value.unwrap_base()) {
        return Ok(not_implemented());
    }
    power(vm, value.unwrap_base(), this.0, r#mod)
}

fn compare(vm: &mut Vm, this: &Value, value: &Value, op: CmpOp) -> PyResult<Value> {
    if int_with_float(this, value.unwrap_base()) {
        return Ok(not_implemented());
    }
    Ok(match vm.builtin_order(this, value.unwrap_base(), op)? {
        Some(r) => Value::Bool(r),
        None => not_implemented(),
    })
}

/// The comparison methods.
macro_rules! compare_slots {
    ($($fname:ident: $sig:tt, $doc:tt, $op:ident;)*) => {$(
        #[doc = $doc]
        #[native($sig, style = "slot")]
        fn $fname(vm: &mut Vm, this: Receiver, value: Value) -> PyResult<Value> {
            compare(vm, this.0, &value, CmpOp::$op)
        }
    )*};
}

compare_slots! {
    eq: "object.__eq__($self, value, /)", "Return self==value.", Eq;
    ne: "object.__ne__($self, value, /)", "Return self!=value.", NotEq;
    lt: "object.__lt__($self, value, /)", "Return self<value.", Lt;
    le: "object.__le__($self, value, /)", "Return self<=value.", LtE;
    gt: "object.__gt__($self, value, /)", "Return self>value.", Gt;
    ge: "object.__ge__($self, value, /)", "Return self>=value.", GtE;
}

// In-place operators: `self` is the list, set or dict, or an instance of a class
// derived from one (updated in its base value); the result is `self`.

/// Implement self+=value.
#[native("list.__iadd__($self, value, /)", style = "slot")]
fn list_iadd(vm: &mut Vm, this: Receiver, value: Value) -> PyResult<Value> {
    let items = vm.collect(&value)?;
    if let Some(l) = this.0.unwrap_base().as_list() {
        l.lock().extend(items);
    }
    Ok(this.0.clone())
}

/// Implement self*=value.
#[native("list.__imul__($self, value, /)", style = "slot_spaced")]
fn list_imul(vm: &mut Vm, this: Receiver, value: Value) -> PyResult<Value> {
    let n = vm.index_value(value.unwrap_base())?;
    vm.inplace_op(this.0.unwrap_base().clone(), Value::Int(n), BinOp::Mult)?;
    Ok(this.0.clone())
}

fn set_inplace(vm: &mut Vm, this: &Value, value: &Value, op: BinOp) -> PyResult<Value> {
    let other = value.unwrap_base();
    if !matches!(other.obj(), Some(Object::Set(_))) {
        return Ok(not_implemented());
    }
    vm.inplace_op(this.unwrap_base().clone(), other.clone(), op)?;
    Ok(this.clone())
}

/// Return self|=value.
#[native("set.__ior__($self, value, /)", style = "slot")]
fn set_ior(vm: &mut Vm, this: Receiver, value: Value) -> PyResult<Value> {
    set_inplace(vm, this.0, &value, BinOp::BitOr)
}

/// Return self&=value.
#[native("set.__iand__($self, value, /)", style = "slot")]
fn set_iand(vm: &mut Vm, this: Receiver, value: Value) -> PyResult<Value> {
    set_inplace(vm, this.0, &value, BinOp::BitAnd)
}

/// Return self-=value.
#[native("set.__isub__($self, value, /)", style = "slot")]
fn set_isub(vm: &mut Vm, this: Receiver, value: Value) -> PyResult<Value> {
    set_inplace(vm, this.0, &value, BinOp::Sub)
}

/// Return self^=value.
#[native("set.__ixor__($self, value, /)", style = "slot")]
fn set_ixor(vm: &mut Vm, this: Receiver, value: Value) -> PyResult<Value> {
    set_inplace(vm, this.0, &value, BinOp::BitXor)
}

/// Return self|=value.
#[native("dict.__ior__($self, value, /)", style = "slot")]
fn dict_ior(vm: &mut Vm, this: Receiver, value: Value) -> PyResult<Value> {
    vm.dict_update_from(this.0.unwrap_base(), &value, false)?;
    Ok(this.0.clone())
}

// Methods of `self` alone.

/// Return repr(self).
#[native("object.__repr__($self, /)", style = "slot")]
fn repr(vm: &mut Vm, this: Receiver) -> PyResult<String> {
    vm.repr_of(this.0)
}

/// Return str(self).
#[native("str.__str__($self, /)", style = "slot")]
fn str_str(vm: &mut Vm, this: Receiver) -> PyResult<Value> {
    // The text as a plain str.
    match this.0.as_str() {
        Some(s) => Ok(Value::str(s.as_str())),
        None => Ok(Value::string(vm.str_of(this.0)?)),
    }
}

/// Return hash(self).
#[native("object.__hash__($self, /)", style = "slot")]
fn hash(vm: &mut Vm, this: Receiver) -> PyResult<i64> {
    vm.hash(this.0)
}

/// True if self else False
#[native("object.__bool__($self, /)", style = "slot")]
fn bool_(vm: &mut Vm, this: Receiver) -> PyResult<bool> {
    vm.truthy(this.0)
}

/// -self
#[native("object.__neg__($self, /)", style = "slot")]
fn neg(vm: &mut Vm, this: Receiver) -> PyResult<Value> {
    vm.unary_neg(this.0.clone())
}

/// +self
#[native("object.__pos__($self, /)", style = "slot")]
fn pos(vm: &mut Vm, this: Receiver) -> PyResult<Value> {
    vm.unary_pos(this.0.clone())
}

/// ~self
#[native("object.__invert__($self, /)", style = "slot")]
fn invert(vm: &mut Vm, this: Receiver) -> PyResult<Value> {
    vm.unary_invert(this.0.clone())
}

/// abs(self)
#[native("object.__abs__($self, /)", style = "slot")]
fn abs(vm: &mut Vm, this: Receiver) -> PyResult<Value> {
    let v = this.0.clone();
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

/// Return a formatted version of self as described by format_spec.
#[native("object.__format__($self, format_spec, /)")]
fn format(vm: &mut Vm, this: Receiver, format_spec: Value) -> PyResult<String> {
    let Some(spec) = format_spec.as_str() else {
        let msg = format!("__format__() argument must be str, not {}", vm.type_name(&format_spec));
        return Err(vm.type_error(&msg));
    };
    let spec = spec.as_str().to_string();
    vm.format(this.0, &spec)
}

const COMPARE: &[&NativeDef] = &[&eq::DEF, &ne::DEF, &lt::DEF, &le::DEF, &gt::DEF, &ge::DEF];

const NUMBER: &[&NativeDef] = &[
    &add::DEF,
    &radd::DEF,
    &sub::DEF,
    &rsub::DEF,
    &mul::DEF,
    &rmul::DEF,
    &truediv::DEF,
    &rtruediv::DEF,
    &floordiv::DEF,
    &rfloordiv::DEF,
    &modulo::DEF,
    &rmodulo::DEF,
    &pow::DEF,
    &rpow::DEF,
    &neg::DEF,
    &pos::DEF,
    &abs::DEF,
    &bool_::DEF,
    &hash::DEF,
    &format::DEF,
];

const INT_BITS: &[&NativeDef] = &[
    &lshift::DEF,
    &rlshift::DEF,
    &rshift::DEF,
    &rrshift::DEF,
    &and::DEF,
    &rand::DEF,
    &or::DEF,
    &ror::DEF,
    &xor::DEF,
    &rxor::DEF,
    &invert::DEF,
];

const SET_ALGEBRA: &[&NativeDef] =
    &[&or::DEF, &ror::DEF, &and::DEF, &rand::DEF, &sub::DEF, &rsub::DEF, &xor::DEF, &rxor::DEF, &dunder_iter::DEF];

/// Adds in-place operator methods, which get `self` as given (not its base value),
/// since they return it.
fn add_inplace(cls: &ObjRef, defs: &[&'static NativeDef]) {
    let Object::Class(c) = &**cls else { return };
    for def in defs {
        let mut b = BuiltinObj::declared(def, format!("{}.{}", c.name, def.sig.name));
        b.owner = Some(cls.clone());
        crate::interp::set_class_attr(cls, def.sig.name, Value::Obj(ObjRef::new_immortal(Object::Builtin(b))));
    }
}

pub fn register(_vm: &mut Vm) {
    let t = types();
    for cls in [&t.int, &t.float, &t.str_, &t.bytes, &t.list, &t.tuple, &t.dict, &t.set, &t.frozenset] {
        add_natives(cls, &[&repr::DEF]);
        add_natives(cls, COMPARE);
    }
    add_natives(&t.int, NUMBER);
    add_natives(&t.int, INT_BITS);
    add_natives(&t.float, NUMBER);
    add_natives(
        &t.str_,
        &[
            &str_str::DEF,
            &hash::DEF,
            &format::DEF,
            &add::DEF,
            &seq_mul::DEF,
            &seq_rmul::DEF,
            &modulo::DEF,
            &rmodulo::DEF,
            &dunder_iter::DEF,
        ],
    );
    add_natives(
        &t.bytes,
        &[
            &hash::DEF,
            &add::DEF,
            &seq_mul::DEF,
            &seq_rmul::DEF,
            &modulo::DEF,
            &rmodulo::DEF,
            &dunder_len::DEF,
            &dunder_iter::DEF,
            &dunder_contains::DEF,
            &dunder_getitem::DEF,
        ],
    );
    add_natives(&t.tuple, &[&hash::DEF, &add::DEF, &seq_mul::DEF, &seq_rmul::DEF]);
    add_natives(&t.list, &[&add::DEF, &seq_mul::DEF, &seq_rmul::DEF, &dunder_delitem::DEF]);
    add_inplace(&t.list, &[&list_iadd::DEF, &list_imul::DEF]);
    add_natives(&t.set, SET_ALGEBRA);
    add_inplace(&t.set, &[&set_ior::DEF, &set_iand::DEF, &set_isub::DEF, &set_ixor::DEF]);
    add_natives(&t.frozenset, SET_ALGEBRA);
    add_natives(&t.frozenset, &[&hash::DEF]);
    add_natives(&t.dict, &[&or::DEF, &ror::DEF]);
    add_inplace(&t.dict, &[&dict_ior::DEF]);
    // Mutable containers are unhashable, also in derived classes.
    for cls in [&t.list, &t.dict, &t.set] {
        crate::interp::set_class_attr(cls, "__hash__", Value::None);
    }
}
