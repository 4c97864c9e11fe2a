//! The object model: [`Value`] (16 bytes: immediates inline, everything else an
//! [`ObjRef`]) and the heap [`Object`] kinds, one module per kind.
//!
//! Invariants:
//! - Every value is `Send + Sync`. Immutable objects (str, int, float, tuple, bytes,
//!   frozenset, code, functions' code) have no lock; each mutable object (list, dict,
//!   set, bytearray, instance attributes) carries its own lock. No lock is global.
//! - No object lock is held while script code runs: copy what you need, release, call.

pub mod bytearray;
pub mod class;
pub mod code;
pub mod dict;
pub mod function;
pub mod generator;
pub mod instance;
pub mod int;
pub mod iter;
pub mod list;
pub mod module;
pub mod objref;
pub mod range;
pub mod set;
pub mod slot;
pub mod spin;
pub mod str;
pub mod tuple;

pub use objref::{ObjPtr, ObjRef};
pub use range::{BigRangeObj, RangeObj};

use num_bigint::BigInt;

/// A conc value. `Null` is internal: it marks an unbound local and the empty half of a
/// method-call pair; scripts never see it.
// A full-word tag keeps copies of values to two plain 8-byte moves (a byte tag made
// the compiler move values in odd-sized pieces through the stack).
#[derive(Clone)]
#[repr(u64)]
pub enum Value {
    Null,
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Obj(ObjRef),
}

/// A heap object. The variant decides the built-in type; instances of classes written
/// in conc (and of native classes that allow subclassing) are `Instance`.
pub enum Object {
    Str(str::StrObj),
    BigInt(BigInt),
    Tuple(tuple::TupleObj),
    Bytes(Box<[u8]>),
    ByteArray(bytearray::ByteArrayObj),
    List(list::ListObj),
    Dict(dict::DictObj),
    Set(set::SetObj),
    Range(RangeObj),
    /// A range beyond i64 bounds (see `range.rs`); same Python type as `Range`.
    BigRange(Box<BigRangeObj>),
    Slice(SliceObj),
    Function(Box<function::FunctionObj>),
    Builtin(function::BuiltinObj),
    BoundMethod(function::BoundMethodObj),
    Class(Box<class::ClassObj>),
    Instance(instance::InstanceObj),
    Module(Box<module::ModuleObj>),
    Generator(generator::GeneratorObj),
    Cell(slot::Slot),
    Iter(iter::IterObj),
    Property(function::PropertyObj),
    StaticMethod(Value),
    ClassMethod(Value),
    Super(function::SuperObj),
    /// `NotImplemented` and `Ellipsis`.
    Singleton(Singleton),
    /// A compiled body: the top of a compilation, or a constant of the enclosing code
    /// (see `value/code.rs` for who owns it).
    Code(Box<crate::bytecode::Code>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Singleton {
    NotImplemented,
    Ellipsis,
}

pub struct SliceObj {
    pub start: Value,
    pub stop: Value,
    pub step: Value,
}

impl Value {
    #[inline(always)]
    pub fn obj(&self) -> Option<&Object> {
        match self {
            Value::Obj(o) => Some(o),
            _ => None,
        }
    }

    #[inline(always)]
    pub fn as_objref(&self) -> Option<&ObjRef> {
        match self {
            Value::Obj(o) => Some(o),
            _ => None,
        }
    }

    #[inline(always)]
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    #[inline(always)]
    pub fn is_none(&self) -> bool {
        matches!(self, Value::None)
    }

    pub fn new(obj: Object) -> Value {
        Value::Obj(ObjRef::new(obj))
    }

    pub fn str(s: &str) -> Value {
        Value::Obj(ObjRef::new(Object::Str(str::StrObj::from_str(s))))
    }

    pub fn string(s: String) -> Value {
        Value::Obj(ObjRef::new(Object::Str(str::StrObj::new(s))))
    }

    pub fn tuple(items: Vec<Value>) -> Value {
        Value::Obj(ObjRef::new(Object::Tuple(tuple::TupleObj::new(items))))
    }

    pub fn list(items: Vec<Value>) -> Value {
        Value::Obj(ObjRef::new(Object::List(list::ListObj::new(items))))
    }

    pub fn bigint(b: BigInt) -> Value {
        int::normalize(b)
    }

    /// The text of a str, or of an instance of a class derived from str (which
    /// CPython accepts wherever a str is expected). Code choosing a fast path that a
    /// derived class could override uses [`Value::as_exact_str`].
    #[inline]
    pub fn as_str(&self) -> Option<&str::StrObj> {
        match self {
            Value::Obj(o) => match &**o {
                Object::Str(s) => Some(s),
                Object::Instance(i) => i.base_value().and_then(|b| b.as_exact_str()),
                _ => None,
            },
            _ => None,
        }
    }

    /// A str value itself (not an instance of a class derived from str).
    #[inline]
    pub fn as_exact_str(&self) -> Option<&str::StrObj> {
        match self {
            Value::Obj(o) => match &**o {
                Object::Str(s) => Some(s),
                _ => None,
            },
            _ => None,
        }
    }

    #[inline]
    pub fn as_tuple(&self) -> Option<&tuple::TupleObj> {
        match self.obj() {
            Some(Object::Tuple(t)) => Some(t),
            _ => None,
        }
    }

    #[inline]
    pub fn as_list(&self) -> Option<&list::ListObj> {
        match self.obj() {
            Some(Object::List(l)) => Some(l),
            _ => None,
        }
    }

    #[inline]
    pub fn as_dict(&self) -> Option<&dict::DictObj> {
        match self.obj() {
            Some(Object::Dict(d)) => Some(d),
            _ => None,
        }
    }

    #[inline]
    pub fn as_class(&self) -> Option<&class::ClassObj> {
        match self.obj() {
            Some(Object::Class(c)) => Some(c),
            _ => None,
        }
    }

    #[inline]
    pub fn as_instance(&self) -> Option<&instance::InstanceObj> {
        match self.obj() {
            Some(Object::Instance(i)) => Some(i),
            _ => None,
        }
    }

    /// The base value of an instance of a class derived from a built-in value type
    /// (`class Stack(list)`), None for anything else. Fast paths match the plain
    /// variants first and look here only on their slow path.
    #[inline]
    pub fn base_value(&self) -> Option<&Value> {
        match self.obj() {
            Some(Object::Instance(i)) => i.base_value(),
            _ => None,
        }
    }

    /// This value, or the base value of an instance derived from a built-in value type.
    #[inline]
    pub fn unwrap_base(&self) -> &Value {
        self.base_value().unwrap_or(self)
    }

    /// Identity (`is`): immediates compare by value as CPython's cached small objects
    /// do for None/bool; ints and floats are equal-and-same-type (CPython would say
    /// `is` only for small ints, scripts should not rely on either).
    pub fn is(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) | (Value::None, Value::None) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a.to_bits() == b.to_bits(),
            (Value::Obj(a), Value::Obj(b)) => a.ptr_eq(b),
            _ => false,
        }
    }

    /// The value for `id()`.
    pub fn id(&self) -> i64 {
        match self {
            Value::Obj(o) => o.addr() as i64,
            Value::Null => 0,
            Value::None => 0x1000,
            Value::Bool(b) => 0x2000 + *b as i64,
            // Immediates have no address: derive a stable number from the bits.
            Value::Int(i) => (*i).wrapping_mul(2).wrapping_add(0x10000) | 1,
            Value::Float(f) => (f.to_bits() >> 1) as i64,
        }
    }
}

impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Null => write!(f, "<null>"),
            Value::None => write!(f, "None"),
            Value::Bool(b) => write!(f, "{}", if *b { "True" } else { "False" }),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Obj(o) => match &**o {
                Object::Str(s) => write!(f, "{:?}", s.as_str()),
                _ => write!(f, "<object at {:#x}>", o.addr()),
            },
        }
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}

impl From<f64> for Value {
    fn from(x: f64) -> Value {
        Value::Float(x)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::str(s)
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::string(s)
    }
}

const _: () = assert!(std::mem::size_of::<Value>() == 16);

#[cfg(test)]
mod size_tests {
    /// Every heap object pays for the largest variant: keep them small (large kinds
    /// are boxed), so allocation and cache footprint stay close to CPython's. With
    /// the 8-byte count in front, an object of up to 104 bytes fills mimalloc's
    /// 112-byte size class; the next class is 128.
    #[test]
    fn objects_stay_small() {
        assert_eq!(std::mem::size_of::<super::Value>(), 16);
        assert!(std::mem::size_of::<super::Object>() <= 104, "Object grew to {}", std::mem::size_of::<super::Object>());
    }
}
