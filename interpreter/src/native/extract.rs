//! Typed extraction of native arguments ([`FromArg`], [`FromSelf`]) and conversion of
//! native results ([`IntoValue`]), each with CPython's message when a value does not fit.
//!
//! Extraction borrows where it can (`&str`, `&Value`, `&ListObj` point into the call's
//! arguments, which outlive the native's body), so a declared native reads its
//! arguments as cheaply as a hand-written one did.

use super::{ArgRef, NativePayload, Signature};
use crate::native::Exc;
use crate::value::dict::DictObj;
use crate::value::function::BuiltinObj;
use crate::value::list::ListObj;
use crate::value::str::StrObj;
use crate::value::tuple::TupleObj;
use crate::value::{ObjRef, Object, Value};
use crate::vm::{PyResult, Vm};
use num_bigint::BigInt;

/// Converts one argument to the type of its parameter.
pub trait FromArg<'a>: Sized {
    fn from_arg(vm: &mut Vm, v: &'a Value, at: ArgRef) -> PyResult<Self>;
}

/// Converts the first argument of a method (`$self`, `$cls`).
pub trait FromSelf<'a>: Sized {
    fn from_self(vm: &mut Vm, v: &'a Value, sig: &'static Signature, b: &BuiltinObj) -> PyResult<Self>;
}

/// Turns a native's result into a value.
pub trait IntoValue {
    fn into_value(self) -> Value;
}

impl<'a> FromArg<'a> for Value {
    #[inline(always)]
    fn from_arg(_vm: &mut Vm, v: &'a Value, _at: ArgRef) -> PyResult<Self> {
        Ok(v.clone())
    }
}

impl<'a> FromArg<'a> for &'a Value {
    #[inline(always)]
    fn from_arg(_vm: &mut Vm, v: &'a Value, _at: ArgRef) -> PyResult<Self> {
        Ok(v)
    }
}

/// An index-sized integer (`__index__`, as CPython's `Py_ssize_t` converter): floats and
/// strings are refused with "'float' object cannot be interpreted as an integer".
impl<'a> FromArg<'a> for i64 {
    #[inline(always)]
    fn from_arg(vm: &mut Vm, v: &'a Value, _at: ArgRef) -> PyResult<Self> {
        match v {
            Value::Int(i) => Ok(*i),
            _ => index_slow(vm, v),
        }
    }
}

#[cold]
fn index_slow(vm: &mut Vm, v: &Value) -> PyResult<i64> {
    if matches!(v.unwrap_base().obj(), Some(Object::BigInt(_))) {
        return Err(vm.error(Exc::OverflowError, "Python int too large to convert to C ssize_t"));
    }
    vm.index_value(v)
}

/// An integer of any size (`__index__`).
impl<'a> FromArg<'a> for BigInt {
    fn from_arg(vm: &mut Vm, v: &'a Value, _at: ArgRef) -> PyResult<Self> {
        vm.index_value_big(v)
    }
}

/// A real number (CPython's `PyFloat_AsDouble`): floats, ints, bools and objects with
/// `__float__` or `__index__`; anything else is "must be real number, not str".
impl<'a> FromArg<'a> for f64 {
    #[inline(always)]
    fn from_arg(vm: &mut Vm, v: &'a Value, _at: ArgRef) -> PyResult<Self> {
        match v {
            Value::Float(f) => Ok(*f),
            Value::Int(i) => Ok(*i as f64),
            _ => vm.real_value(v),
        }
    }
}

/// Truth (`bool(v)`), which any object has.
impl<'a> FromArg<'a> for bool {
    #[inline(always)]
    fn from_arg(vm: &mut Vm, v: &'a Value, _at: ArgRef) -> PyResult<Self> {
        match v {
            Value::Bool(b) => Ok(*b),
            _ => vm.truthy(v),
        }
    }
}

/// A str (or an instance of a str subclass): "f() argument 'x' must be str, not int".
impl<'a> FromArg<'a> for &'a StrObj {
    #[inline(always)]
    fn from_arg(vm: &mut Vm, v: &'a Value, at: ArgRef) -> PyResult<Self> {
        match v.as_str() {
            Some(s) => Ok(s),
            None => Err(at.type_error(vm, "str", v)),
        }
    }
}

impl<'a> FromArg<'a> for &'a str {
    #[inline(always)]
    fn from_arg(vm: &mut Vm, v: &'a Value, at: ArgRef) -> PyResult<Self> {
        <&StrObj>::from_arg(vm, v, at).map(|s| s.as_str())
    }
}

impl<'a> FromArg<'a> for String {
    fn from_arg(vm: &mut Vm, v: &'a Value, at: ArgRef) -> PyResult<Self> {
        <&str>::from_arg(vm, v, at).map(str::to_string)
    }
}

/// The bytes of a bytes-like object: borrowed from a bytes object, copied from a
/// bytearray (whose contents another thread may change).
pub enum BytesLike<'a> {
    Borrowed(&'a [u8]),
    Owned(Vec<u8>),
}

impl std::ops::Deref for BytesLike<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            BytesLike::Borrowed(b) => b,
            BytesLike::Owned(v) => v,
        }
    }
}

impl<'a> FromArg<'a> for BytesLike<'a> {
    fn from_arg(vm: &mut Vm, v: &'a Value, _at: ArgRef) -> PyResult<Self> {
        match v.unwrap_base().obj() {
            Some(Object::Bytes(b)) => Ok(BytesLike::Borrowed(b)),
            Some(Object::ByteArray(b)) => Ok(BytesLike::Owned(b.snapshot())),
            _ if crate::builtins::memoryview::view_of(v).is_some() => {
                match crate::builtins::memoryview::view_bytes(v) {
                    Some(b) => Ok(BytesLike::Owned(b)),
                    None => Err(vm.value_error("operation forbidden on released memoryview object")),
                }
            }
            _ => {
                let msg = format!("a bytes-like object is required, not '{}'", vm.type_name(v));
                Err(vm.type_error(&msg))
            }
        }
    }
}

/// A callable object: "'int' object is not callable".
pub struct Callable(pub Value);

impl<'a> FromArg<'a> for Callable {
    fn from_arg(vm: &mut Vm, v: &'a Value, _at: ArgRef) -> PyResult<Self> {
        if crate::builtins::functions::is_callable(vm, v) {
            Ok(Callable(v.clone()))
        } else {
            let msg = format!("'{}' object is not callable", vm.type_name(v));
            Err(vm.type_error(&msg))
        }
    }
}

// The first argument of methods.

impl<'a> FromSelf<'a> for Value {
    #[inline(always)]
    fn from_self(_vm: &mut Vm, v: &'a Value, _sig: &'static Signature, _b: &BuiltinObj) -> PyResult<Self> {
        Ok(v.clone())
    }
}

impl<'a> FromSelf<'a> for &'a Value {
    #[inline(always)]
    fn from_self(_vm: &mut Vm, v: &'a Value, _sig: &'static Signature, _b: &BuiltinObj) -> PyResult<Self> {
        Ok(v)
    }
}

/// CPython's "descriptor 'append' for 'list' objects doesn't apply to a 'int' object".
#[cold]
pub fn wrong_self(vm: &mut Vm, v: &Value, sig: &'static Signature, type_name: &str) -> crate::vm::PyErr {
    if matches!(sig.style, super::Style::Slot | super::Style::SlotSpaced) {
        let msg =
            format!("descriptor '{}' requires a '{}' object but received a '{}'", sig.name, type_name, vm.type_name(v));
        return vm.type_error(&msg);
    }
    let msg = format!(
        "descriptor '{}' for '{}' objects doesn't apply to a '{}' object",
        sig.name,
        type_name,
        vm.type_name(v)
    );
    vm.type_error(&msg)
}

/// `self` of a built-in value type's method: the value itself, or the base value of an
/// instance of a class derived from the type.
macro_rules! value_self {
    ($ty:ty, $as:ident, $name:literal) => {
        impl<'a> FromSelf<'a> for &'a $ty {
            #[inline(always)]
            fn from_self(vm: &mut Vm, v: &'a Value, sig: &'static Signature, _b: &BuiltinObj) -> PyResult<Self> {
                match v.$as() {
                    Some(x) => Ok(x),
                    None => match v.base_value().and_then(|b| b.$as()) {
                        Some(x) => Ok(x),
                        None => Err(wrong_self(vm, v, sig, $name)),
                    },
                }
            }
        }
    };
}

value_self!(ListObj, as_list, "list");

/// `self` as both the value and its object, for methods that need the value too.
impl<'a, T: 'a> FromSelf<'a> for (&'a Value, &'a T)
where
    &'a T: FromSelf<'a>,
{
    #[inline(always)]
    fn from_self(vm: &mut Vm, v: &'a Value, sig: &'static Signature, _b: &BuiltinObj) -> PyResult<Self> {
        <&'a T>::from_self(vm, v, sig, _b).map(|t| (v, t))
    }
}
value_self!(TupleObj, as_tuple, "tuple");
value_self!(DictObj, as_dict, "dict");
value_self!(StrObj, as_exact_str, "str");

/// `self` of a method that works on any instance of the class it was registered on
/// (the generic slot wrappers): checked against that class, then passed as it is.
pub struct Receiver<'a>(pub &'a Value);

impl<'a> FromSelf<'a> for Receiver<'a> {
    fn from_self(vm: &mut Vm, v: &'a Value, sig: &'static Signature, b: &BuiltinObj) -> PyResult<Self> {
        if let Some(owner) = &b.owner {
            let cls = vm.class_of(v);
            if !crate::value::class::is_subclass(&cls, owner) {
                return Err(wrong_self(vm, v, sig, owner.class_name()));
            }
        }
        Ok(Receiver(v))
    }
}

/// A class (`$cls` of a classmethod or `__new__`).
impl<'a> FromSelf<'a> for &'a ObjRef {
    fn from_self(vm: &mut Vm, v: &'a Value, sig: &'static Signature, _b: &BuiltinObj) -> PyResult<Self> {
        match v {
            Value::Obj(o) if matches!(&**o, Object::Class(_)) => Ok(o),
            _ => {
                let msg = format!("{}(): {} is not a type object", sig.qualname, vm.type_name(v));
                Err(vm.type_error(&msg))
            }
        }
    }
}

/// The native payload of an instance of a native class (or of a class derived from it).
impl<'a, T: NativePayload> FromSelf<'a> for &'a T {
    #[inline(always)]
    fn from_self(vm: &mut Vm, v: &'a Value, sig: &'static Signature, _b: &BuiltinObj) -> PyResult<Self> {
        match v.as_instance().and_then(|i| i.native::<T>()) {
            Some(t) => Ok(t),
            None => Err(wrong_self(vm, v, sig, &T::CLASS.type_name())),
        }
    }
}

// Results.

impl IntoValue for Value {
    #[inline(always)]
    fn into_value(self) -> Value {
        self
    }
}

impl IntoValue for () {
    #[inline(always)]
    fn into_value(self) -> Value {
        Value::None
    }
}

impl IntoValue for bool {
    #[inline(always)]
    fn into_value(self) -> Value {
        Value::Bool(self)
    }
}

impl IntoValue for i64 {
    #[inline(always)]
    fn into_value(self) -> Value {
        Value::Int(self)
    }
}

impl IntoValue for usize {
    #[inline(always)]
    fn into_value(self) -> Value {
        match i64::try_from(self) {
            Ok(i) => Value::Int(i),
            Err(_) => Value::bigint(BigInt::from(self)),
        }
    }
}

impl IntoValue for f64 {
    #[inline(always)]
    fn into_value(self) -> Value {
        Value::Float(self)
    }
}

impl IntoValue for String {
    fn into_value(self) -> Value {
        Value::string(self)
    }
}

impl IntoValue for &str {
    fn into_value(self) -> Value {
        Value::str(self)
    }
}

impl IntoValue for BigInt {
    fn into_value(self) -> Value {
        Value::bigint(self)
    }
}

impl IntoValue for ObjRef {
    fn into_value(self) -> Value {
        Value::Obj(self)
    }
}

impl<T: IntoValue> IntoValue for Option<T> {
    fn into_value(self) -> Value {
        match self {
            Some(v) => v.into_value(),
            None => Value::None,
        }
    }
}

/// A flag CPython takes as an int (`bool(accept={int})`, e.g. `sort(reverse=...)`):
/// "'str' object cannot be interpreted as an integer" for anything else.
pub struct IntFlag(pub bool);

impl<'a> FromArg<'a> for IntFlag {
    fn from_arg(vm: &mut Vm, v: &'a Value, _at: ArgRef) -> PyResult<Self> {
        match v {
            Value::Bool(b) => Ok(IntFlag(*b)),
            Value::Int(i) => Ok(IntFlag(*i != 0)),
            _ if matches!(v.unwrap_base().obj(), Some(Object::BigInt(_))) => Ok(IntFlag(true)),
            _ => vm.index_value(v).map(|i| IntFlag(i != 0)),
        }
    }
}

/// A start or stop index of `list.index`-like methods (`_PyEval_SliceIndexNotNone`):
/// an `__index__` value, clamped to i64; "slice indices must be integers or have an
/// __index__ method" for anything else.
pub struct SliceIndex(pub i64);

/// As [`SliceIndex`], None allowed (`str.find(sub, None, None)`), and "slice indices
/// must be integers or None or have an __index__ method" for anything else.
pub struct SliceBound(pub Option<i64>);

fn clamp_index(vm: &mut Vm, v: &Value, msg: &str) -> PyResult<i64> {
    match v {
        Value::Int(i) => Ok(*i),
        Value::Bool(b) => Ok(*b as i64),
        _ => {
            if let Some(Object::BigInt(b)) = v.unwrap_base().obj() {
                return Ok(if b.sign() == num_bigint::Sign::Minus { i64::MIN } else { i64::MAX });
            }
            let cls = vm.class_of(v);
            if vm.lookup_type_attr(&cls, &crate::value::str::intern("__index__")).is_some() || v.base_value().is_some()
            {
                let big = vm.index_value_big(v)?;
                return Ok(i64::try_from(&big).unwrap_or(if big.sign() == num_bigint::Sign::Minus {
                    i64::MIN
                } else {
                    i64::MAX
                }));
            }
            Err(vm.type_error(msg))
        }
    }
}

impl<'a> FromArg<'a> for SliceIndex {
    fn from_arg(vm: &mut Vm, v: &'a Value, _at: ArgRef) -> PyResult<Self> {
        clamp_index(vm, v, "slice indices must be integers or have an __index__ method").map(SliceIndex)
    }
}

impl<'a> FromArg<'a> for SliceBound {
    fn from_arg(vm: &mut Vm, v: &'a Value, _at: ArgRef) -> PyResult<Self> {
        if v.is_none() {
            return Ok(SliceBound(None));
        }
        clamp_index(vm, v, "slice indices must be integers or None or have an __index__ method")
            .map(|i| SliceBound(Some(i)))
    }
}

impl From<bool> for IntFlag {
    fn from(b: bool) -> Self {
        IntFlag(b)
    }
}

impl From<i64> for SliceIndex {
    fn from(i: i64) -> Self {
        SliceIndex(i)
    }
}
