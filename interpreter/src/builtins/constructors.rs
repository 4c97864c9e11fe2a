//! Constructors of the built-in types (`int(x)`, `str(x)`, `list(it)`, `range(...)`...),
//! registered as their classes' `__new__`.

use super::functions;
use crate::interp::{add_natives, types};
use crate::native::{native, Exc, KwArgs};
use crate::value::dict::{DictData, DictObj};
use crate::value::instance::{BaseValue, InstanceObj};
use crate::value::{ObjRef, Object, SliceObj, Value};
use crate::vm::{Args, PyResult, Vm};
use num_bigint::BigInt;
use num_traits::{One, Zero};

pub fn register(_vm: &mut Vm) {
    let t = types();
    add_natives(&t.int, &[&int_new::DEF]);
    add_natives(&t.bool_, &[&bool_new::DEF]);
    add_natives(&t.float, &[&float_new::DEF]);
    add_natives(&t.str_, &[&str_new::DEF]);
    add_natives(&t.list, &[&list_new::DEF, &list_init::DEF]);
    add_natives(&t.tuple, &[&tuple_new::DEF]);
    add_natives(&t.dict, &[&dict_new::DEF, &dict_init::DEF]);
    add_natives(&t.set, &[&set_new::DEF, &set_init::DEF]);
    add_natives(&t.frozenset, &[&frozenset_new::DEF]);
    add_natives(&t.range, &[&range_new::DEF]);
    add_natives(&t.slice, &[&slice_new::DEF]);
    add_natives(&t.bytes, &[&bytes_new::DEF]);
    add_natives(&t.bytearray, &[&bytearray_new::DEF, &bytearray_init::DEF]);
    add_natives(&t.enumerate, &[&functions::enumerate_new::DEF]);
    add_natives(&t.zip, &[&functions::zip_new::DEF]);
    add_natives(&t.map, &[&functions::map_new::DEF]);
    add_natives(&t.filter, &[&functions::filter_new::DEF]);
    add_natives(&t.reversed, &[&functions::reversed_new::DEF]);
}

/// The class a built-in value type's `__new__` was called for: None for the type
/// itself (the common case, checked first), the derived class for `Derived(...)` and
/// `super().__new__(cls, ...)`.
fn derived_class(vm: &mut Vm, cls: &Value, base: &ObjRef) -> PyResult<Option<ObjRef>> {
    let tname = base.class_name();
    match Some(cls) {
        Some(Value::Obj(c)) if c.ptr_eq(base) => Ok(None),
        Some(Value::Obj(c)) if matches!(&**c, Object::Class(_)) => {
            if crate::value::class::is_subclass(c, base) {
                Ok(Some(c.clone()))
            } else {
                let cname = c.class_name();
                let msg = format!("{tname}.__new__({cname}): {cname} is not a subtype of {tname}");
                Err(vm.type_error(&msg))
            }
        }
        Some(v) => {
            let msg = format!("{tname}.__new__(X): X is not a type object ({})", vm.type_name(v));
            Err(vm.type_error(&msg))
        }
        None => unreachable!("derived_class is given a class argument"),
    }
}

/// `v`, or an instance of `cls` (derived from v's type) carrying it.
fn as_class(cls: Option<ObjRef>, v: Value) -> Value {
    match cls {
        None => v,
        Some(c) => Value::new(Object::Instance(InstanceObj::with_native(c, Box::new(BaseValue(v))))),
    }
}

/// Runs a value type's declared `__init__` on a new value of the type.
fn run_init(
    vm: &mut Vm,
    init: &'static crate::native::NativeDef,
    new: &Value,
    args: &[Value],
    kwargs: KwArgs,
) -> PyResult<()> {
    let mut all: smallvec::SmallVec<[Value; 4]> = smallvec::SmallVec::with_capacity(args.len() + 1);
    all.push(new.clone());
    all.extend(args.iter().cloned());
    crate::native::call_def(vm, init, &all, kwargs)?;
    Ok(())
}

/// `self` of a built-in value type's `__init__` (already the base value when called
/// on an instance of a derived class).
fn init_self<'a>(vm: &mut Vm, this: &'a Value, tname: &str, ok: fn(&Object) -> bool) -> PyResult<&'a Value> {
    if this.obj().map(ok).unwrap_or(false) {
        return Ok(this);
    }
    let msg = format!("descriptor '__init__' requires a '{tname}' object but received a '{}'", vm.type_name(this));
    Err(vm.type_error(&msg))
}

/// Initialize self.  See help(type(self)) for accurate signature.
#[native("list.__init__($self, iterable=<unrepresentable>, /)", style = "positional")]
fn list_init(vm: &mut Vm, this: &Value, iterable: Option<&Value>) -> PyResult<()> {
    let this = init_self(vm, this, "list", |o| matches!(o, Object::List(_)))?;
    let items = match iterable {
        Some(src) => vm.collect_sized(src)?,
        None => Vec::new(),
    };
    if let Some(l) = this.as_list() {
        l.replace_all(items);
    }
    Ok(())
}

/// Initialize self.  See help(type(self)) for accurate signature.
#[native("dict.__init__($self, iterable=<unrepresentable>, /, **kwargs)", style = "positional")]
fn dict_init(vm: &mut Vm, this: &Value, iterable: Option<&Value>, kwargs: KwArgs) -> PyResult<()> {
    let this = init_self(vm, this, "dict", |o| matches!(o, Object::Dict(_)))?;
    if let Some(src) = iterable {
        vm.dict_update_from(this, src, false)?;
    }
    for (k, v) in kwargs {
        vm.dict_set(this, Value::Obj(k), v)?;
    }
    Ok(())
}

/// Initialize self.  See help(type(self)) for accurate signature.
#[native("set.__init__($self, iterable=<unrepresentable>, /)", style = "positional")]
fn set_init(vm: &mut Vm, this: &Value, iterable: Option<&Value>) -> PyResult<()> {
    let this = init_self(vm, this, "set", |o| matches!(o, Object::Set(s) if !s.frozen))?;
    let items = match iterable {
        Some(src) => vm.collect(src)?,
        None => Vec::new(),
    };
    if let Some(Object::Set(s)) = this.obj() {
        let old = s.lock().clear();
        drop(old);
    }
    for it in items {
        vm.set_add(this, it)?;
    }
    Ok(())
}

/// Parses an int literal as `int(s, base)` does (underscores, sign, prefixes, spaces).
pub fn parse_int(s: &str, base: u32) -> Option<BigInt> {
    let (neg, base, clean) = split_int(s, base)?;
    let v = BigInt::parse_bytes(clean.as_bytes(), base)?;
    Some(if neg { -v } else { v })
}

/// `int(s, base)` for a script's string: as [`parse_int`], but first CPython's
/// limit on the digits of a conversion in a base that is not a power of two
/// (`sys.set_int_max_str_digits`), which keeps a huge string from taking
/// quadratic time. None when `s` is not a valid literal.
pub fn parse_int_limited(vm: &mut Vm, s: &str, base: u32) -> PyResult<Option<BigInt>> {
    let limit = crate::interp::INT_MAX_STR_DIGITS.load(std::sync::atomic::Ordering::Relaxed);
    // CPython counts the digits before the first character that is not one, and
    // checks them before it looks at the rest of the string.
    let t = s.trim_start();
    let t = t.strip_prefix(['-', '+']).unwrap_or(t);
    let prefixed = t.len() > 1 && t.as_bytes()[0] == b'0' && matches!(t.as_bytes()[1] | 0x20, b'x' | b'o' | b'b');
    let effective = if base == 0 {
        if prefixed {
            16
        } else {
            10
        }
    } else {
        base
    };
    if limit > 0 && !effective.is_power_of_two() {
        let digits = t.chars().take_while(|&c| c == '_' || c.is_digit(effective)).filter(|&c| c != '_').count();
        if digits > limit {
            let msg = format!(
                "Exceeds the limit ({limit} digits) for integer string conversion: value has {digits} digits; \
                 use sys.set_int_max_str_digits() to increase the limit"
            );
            return Err(vm.value_error(&msg));
        }
    }
    Ok(parse_int(s, base))
}

/// The sign, the base and the digits (without underscores) of an int literal, if
/// it is well formed.
fn split_int(s: &str, base: u32) -> Option<(bool, u32, String)> {
    let t = s.trim();
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let lower = t.to_ascii_lowercase();
    let (base, digits) = match base {
        0 => {
            if let Some(r) = lower.strip_prefix("0x") {
                (16, r.to_string())
            } else if let Some(r) = lower.strip_prefix("0o") {
                (8, r.to_string())
            } else if let Some(r) = lower.strip_prefix("0b") {
                (2, r.to_string())
            } else {
                if lower.len() > 1 && lower.starts_with('0') && lower.chars().any(|c| c != '0' && c != '_') {
                    return None;
                }
                (10, lower.clone())
            }
        }
        16 => (16, lower.strip_prefix("0x").unwrap_or(&lower).to_string()),
        8 => (8, lower.strip_prefix("0o").unwrap_or(&lower).to_string()),
        2 => (2, lower.strip_prefix("0b").unwrap_or(&lower).to_string()),
        b => (b, lower.clone()),
    };
    let digits = digits.strip_prefix('_').map(|d| d.to_string()).unwrap_or(digits);
    if digits.is_empty() || digits.starts_with('_') || digits.ends_with('_') || digits.contains("__") {
        return None;
    }
    let clean: String = digits.chars().filter(|&c| c != '_').collect();
    if !clean.chars().all(|c| c.is_digit(base)) {
        return None;
    }
    Some((neg, base, clean))
}

/// int([x]) -> integer
/// int(x, base=10) -> integer
///
/// Convert a number or string to an integer, or return 0 if no arguments are given.
/// If x is a number, return x.__int__().  For floating point numbers, this truncates
/// towards zero.
#[native("int.__new__($cls, x=<unrepresentable>, /, base=<unrepresentable>)")]
fn int_new(vm: &mut Vm, cls: &Value, x: Option<&Value>, base: Option<&Value>) -> PyResult<Value> {
    let cls = derived_class(vm, cls, &types().int)?;
    let v = int_value(vm, x, base)?;
    Ok(as_class(cls, v))
}

fn int_value(vm: &mut Vm, x: Option<&Value>, base: Option<&Value>) -> PyResult<Value> {
    let Some(x) = x else {
        if base.is_some() {
            return Err(vm.type_error("int() missing string argument"));
        }
        return Ok(Value::Int(0));
    };
    if let Some(b) = base {
        let b = vm.index_value(b)?;
        if b != 0 && !(2..=36).contains(&b) {
            return Err(vm.value_error("int() base must be >= 2 and <= 36, or 0"));
        }
        let s = match x.unwrap_base().obj() {
            Some(Object::Str(s)) => s.as_str().to_string(),
            Some(Object::Bytes(b)) => String::from_utf8_lossy(b).to_string(),
            _ => return Err(vm.type_error("int() can't convert non-string with explicit base")),
        };
        return match parse_int_limited(vm, &s, b as u32)? {
            Some(v) => Ok(crate::value::int::normalize(v)),
            None => {
                let msg = format!("invalid literal for int() with base {}: {}", b, super::repr::str_repr(&s));
                Err(vm.value_error(&msg))
            }
        };
    }
    to_int(vm, x)
}

/// `int(x)` for one argument.
pub fn to_int(vm: &mut Vm, x: &Value) -> PyResult<Value> {
    match x {
        Value::Int(_) => Ok(x.clone()),
        Value::Bool(b) => Ok(Value::Int(*b as i64)),
        Value::Float(f) => {
            if f.is_nan() {
                return Err(vm.value_error("cannot convert float NaN to integer"));
            }
            if f.is_infinite() {
                return Err(vm.error(Exc::OverflowError, "cannot convert float infinity to integer"));
            }
            Ok(crate::value::int::normalize(crate::value::int::f64_to_bigint(*f).unwrap_or_default()))
        }
        Value::Obj(o) => match &**o {
            Object::BigInt(_) => Ok(x.clone()),
            Object::Str(s) => match parse_int_limited(vm, s.as_str(), 10)? {
                Some(v) => Ok(crate::value::int::normalize(v)),
                None => {
                    let msg = format!("invalid literal for int() with base 10: {}", super::repr::str_repr(s.as_str()));
                    Err(vm.value_error(&msg))
                }
            },
            Object::Bytes(b) => match parse_int_limited(vm, &String::from_utf8_lossy(b), 10)? {
                Some(v) => Ok(crate::value::int::normalize(v)),
                None => Err(vm.value_error("invalid literal for int() with base 10")),
            },
            _ => {
                let cls = vm.class_of(x);
                for name in ["__int__", "__index__", "__trunc__"] {
                    let f = vm.lookup_type_attr(&cls, &crate::value::str::intern(name));
                    if let (false, Some(base)) = (crate::vm::ops::overrides(&f), x.base_value()) {
                        let base = base.clone();
                        return to_int(vm, &base);
                    }
                    if let Some(f) = f {
                        return vm.call(&f, Args::new([x.clone()]));
                    }
                }
                if let Some(base) = x.base_value() {
                    let base = base.clone();
                    return to_int(vm, &base);
                }
                let msg = format!(
                    "int() argument must be a string, a bytes-like object or a real number, not '{}'",
                    vm.type_name(x)
                );
                Err(vm.type_error(&msg))
            }
        },
        _ => {
            let msg = format!(
                "int() argument must be a string, a bytes-like object or a real number, not '{}'",
                vm.type_name(x)
            );
            Err(vm.type_error(&msg))
        }
    }
}

/// Returns True when the argument x is true, False otherwise.
///
/// The builtins True and False are the only two instances of the class bool. The class
/// bool is a subclass of the class int, and cannot be subclassed.
#[native("bool.__new__($cls, x=False, /)")]
fn bool_new(vm: &mut Vm, cls: &Value, x: bool) -> PyResult<bool> {
    let _ = (vm, cls);
    Ok(x)
}

/// Parses a float as `float(s)` does.
pub fn parse_float(s: &str) -> Option<f64> {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    let body = lower.trim_start_matches(['+', '-']);
    let neg = lower.starts_with('-');
    let v = match body {
        "inf" | "infinity" => f64::INFINITY,
        "nan" => f64::NAN,
        _ => {
            if body.is_empty() || body.starts_with('_') || body.ends_with('_') || body.contains("__") {
                return None;
            }
            if !body.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | '+' | '-' | '_')) {
                return None;
            }
            let clean: String = body.chars().filter(|&c| c != '_').collect();
            return clean.parse::<f64>().ok().map(|v| if neg { -v } else { v });
        }
    };
    Some(if neg { -v } else { v })
}

/// Convert a string or number to a floating point number, if possible.
#[native("float.__new__($cls, x=0, /)")]
fn float_new(vm: &mut Vm, cls: &Value, x: Option<&Value>) -> PyResult<Value> {
    let cls = derived_class(vm, cls, &types().float)?;
    let v = match x {
        Some(x) => Value::Float(to_float(vm, x)?),
        None => Value::Float(0.0),
    };
    Ok(as_class(cls, v))
}

impl Vm {
    /// A real number as CPython's `PyFloat_AsDouble` takes it (the `f64` parameters
    /// of natives): floats, ints of any size, bools, and objects with `__float__` or
    /// `__index__`. Strings and everything else are "must be real number, not str".
    pub fn real_value(&mut self, v: &Value) -> PyResult<f64> {
        let numeric = match v {
            Value::Float(_) | Value::Int(_) | Value::Bool(_) => true,
            Value::Obj(o) => match &**o {
                Object::BigInt(_) => true,
                Object::Str(_) | Object::Bytes(_) | Object::ByteArray(_) => false,
                _ => {
                    let cls = self.class_of(v);
                    ["__float__", "__index__"]
                        .iter()
                        .any(|n| self.lookup_type_attr(&cls, &crate::value::str::intern(n)).is_some())
                        || matches!(v.base_value(), Some(Value::Int(_) | Value::Float(_) | Value::Bool(_)))
                }
            },
            _ => false,
        };
        if numeric {
            return to_float(self, v);
        }
        let msg = format!("must be real number, not {}", self.type_name(v));
        Err(self.type_error(&msg))
    }
}

/// `float(x)`.
pub fn to_float(vm: &mut Vm, x: &Value) -> PyResult<f64> {
    match x {
        Value::Float(f) => Ok(*f),
        Value::Int(i) => Ok(*i as f64),
        Value::Bool(b) => Ok(*b as i64 as f64),
        Value::Obj(o) => match &**o {
            Object::BigInt(b) => match crate::value::int::bigint_to_f64(b) {
                Some(f) => Ok(f),
                None => Err(vm.error(Exc::OverflowError, "int too large to convert to float")),
            },
            Object::Str(s) => match parse_float(s.as_str()) {
                Some(f) => Ok(f),
                None => {
                    let msg = format!("could not convert string to float: {}", super::repr::str_repr(s.as_str()));
                    Err(vm.value_error(&msg))
                }
            },
            _ => {
                let cls = vm.class_of(x);
                for name in ["__float__", "__index__"] {
                    let f = vm.lookup_type_attr(&cls, &crate::value::str::intern(name));
                    if let (false, Some(base)) = (crate::vm::ops::overrides(&f), x.base_value()) {
                        let base = base.clone();
                        return to_float(vm, &base);
                    }
                    if let Some(f) = f {
                        let r = vm.call(&f, Args::new([x.clone()]))?;
                        return to_float(vm, &r);
                    }
                }
                if let Some(base) = x.base_value() {
                    let base = base.clone();
                    return to_float(vm, &base);
                }
                let msg = format!("float() argument must be a string or a real number, not '{}'", vm.type_name(x));
                Err(vm.type_error(&msg))
            }
        },
        _ => {
            let msg = format!("float() argument must be a string or a real number, not '{}'", vm.type_name(x));
            Err(vm.type_error(&msg))
        }
    }
}

/// str(object='') -> str
/// str(bytes_or_buffer[, encoding[, errors]]) -> str
///
/// Create a new string object from the given object. If encoding or errors is
/// specified, then the object must expose a data buffer that will be decoded using the
/// given encoding and error handler. Otherwise, returns the result of object.__str__()
/// (if defined) or repr(object).
#[native("str.__new__($cls, object=<unrepresentable>, encoding=<unrepresentable>, errors=<unrepresentable>)")]
fn str_new(
    vm: &mut Vm,
    cls: &Value,
    object: Option<&Value>,
    encoding: Option<&str>,
    errors: Option<&str>,
) -> PyResult<Value> {
    let cls = derived_class(vm, cls, &types().str_)?;
    let v = str_value(vm, object, encoding.is_some() || errors.is_some())?;
    Ok(as_class(cls, v))
}

fn str_value(vm: &mut Vm, x: Option<&Value>, decode: bool) -> PyResult<Value> {
    match (x, decode) {
        (None, _) => Ok(Value::str("")),
        (Some(v), true) => match v.unwrap_base().obj() {
            Some(Object::Bytes(b)) => match std::str::from_utf8(b) {
                Ok(s) => Ok(Value::str(s)),
                Err(_) => Err(vm.error(Exc::UnicodeDecodeError, "'utf-8' codec can't decode bytes")),
            },
            Some(Object::Str(_)) => Err(vm.type_error("decoding str is not supported")),
            _ => {
                let msg = format!("decoding to str: need a bytes-like object, {} found", vm.type_name(v));
                Err(vm.type_error(&msg))
            }
        },
        (Some(v), false) => {
            if let Some(Object::Str(_)) = v.obj() {
                return Ok(v.clone());
            }
            Ok(Value::string(vm.str_of(v)?))
        }
    }
}

/// bytearray(iterable_of_ints) -> bytearray
/// bytearray(string, encoding[, errors]) -> bytearray
/// bytearray(bytes_or_buffer) -> mutable copy of bytes_or_buffer
/// bytearray(int) -> bytes array of size given by the parameter initialized with null bytes
/// bytearray() -> empty bytes array
///
/// Construct a mutable bytearray object.
#[native("bytearray.__new__($cls, *args, **kwargs)")]
fn bytearray_new(vm: &mut Vm, cls: &Value, args: &[Value], kwargs: KwArgs) -> PyResult<Value> {
    let new = super::bytes_methods::new_bytearray(vec![]);
    match derived_class(vm, cls, &types().bytearray)? {
        // A derived class's instance starts empty: its `__init__` fills it.
        Some(derived) => Ok(as_class(Some(derived), new)),
        // The type itself: its call does not run `__init__` (see `Vm::instantiate`),
        // so `__new__` does, with `__init__`'s signature and messages.
        None => {
            run_init(vm, &bytearray_init::DEF, &new, args, kwargs)?;
            Ok(new)
        }
    }
}

/// Initialize self.  See help(type(self)) for accurate signature.
#[native("bytearray.__init__($self, source=<unrepresentable>, encoding=<unrepresentable>, errors=<unrepresentable>)")]
fn bytearray_init(
    vm: &mut Vm,
    this: &Value,
    source: Option<&Value>,
    encoding: Option<&Value>,
    errors: Option<&Value>,
) -> PyResult<()> {
    let this = init_self(vm, this, "bytearray", |o| matches!(o, Object::ByteArray(_)))?;
    let data = bytes_source(vm, source, encoding, errors, "bytearray")?;
    if let Some(Object::ByteArray(b)) = this.obj() {
        *b.lock() = data;
    }
    Ok(())
}

/// Built-in mutable sequence.
///
/// If no argument is given, the constructor creates a new empty list. The argument
/// must be an iterable if specified.
#[native("list.__new__($cls, *args, **kwargs)")]
fn list_new(vm: &mut Vm, cls: &Value, args: &[Value], kwargs: KwArgs) -> PyResult<Value> {
    let new = Value::list(vec![]);
    match derived_class(vm, cls, &types().list)? {
        // A derived class's instance starts empty: its `__init__` fills it.
        Some(derived) => Ok(as_class(Some(derived), new)),
        // The type itself: its call does not run `__init__` (see `Vm::instantiate`),
        // so `__new__` does, with `__init__`'s signature and messages.
        None => {
            run_init(vm, &list_init::DEF, &new, args, kwargs)?;
            Ok(new)
        }
    }
}

/// Built-in immutable sequence.
///
/// If no argument is given, the constructor returns an empty tuple. If iterable is
/// specified the tuple is initialized from iterable's items.
#[native("tuple.__new__($cls, iterable=<unrepresentable>, /)")]
fn tuple_new(vm: &mut Vm, cls: &Value, iterable: Option<&Value>) -> PyResult<Value> {
    let cls = derived_class(vm, cls, &types().tuple)?;
    let v = match iterable {
        Some(v) => {
            if let Some(Object::Tuple(_)) = v.obj() {
                v.clone()
            } else {
                Value::tuple(vm.collect_sized(v)?)
            }
        }
        None => Value::tuple(vec![]),
    };
    Ok(as_class(cls, v))
}

/// dict() -> new empty dictionary
/// dict(mapping) -> new dictionary initialized from a mapping object's (key, value) pairs
/// dict(iterable) -> new dictionary initialized as if via: d = {} for k, v in iterable: d[k] = v
/// dict(**kwargs) -> new dictionary initialized with the name=value pairs in the keyword
/// argument list.  For example:  dict(one=1, two=2)
#[native("dict.__new__($cls, *args, **kwargs)")]
fn dict_new(vm: &mut Vm, cls: &Value, args: &[Value], kwargs: KwArgs) -> PyResult<Value> {
    let new = Value::new(Object::Dict(DictObj::new(DictData::new())));
    match derived_class(vm, cls, &types().dict)? {
        // A derived class's instance starts empty: its `__init__` fills it.
        Some(derived) => Ok(as_class(Some(derived), new)),
        // The type itself: its call does not run `__init__` (see `Vm::instantiate`),
        // so `__new__` does, with `__init__`'s signature and messages.
        None => {
            run_init(vm, &dict_init::DEF, &new, args, kwargs)?;
            Ok(new)
        }
    }
}

/// set() -> new empty set object
/// set(iterable) -> new set object
///
/// Build an unordered collection of unique elements.
#[native("set.__new__($cls, *args, **kwargs)")]
fn set_new(vm: &mut Vm, cls: &Value, args: &[Value], kwargs: KwArgs) -> PyResult<Value> {
    let new = vm.new_set(vec![], false)?;
    match derived_class(vm, cls, &types().set)? {
        Some(derived) => Ok(as_class(Some(derived), new)),
        None => {
            run_init(vm, &set_init::DEF, &new, args, kwargs)?;
            Ok(new)
        }
    }
}

/// frozenset() -> empty frozenset object
/// frozenset(iterable) -> frozenset object
///
/// Build an immutable unordered collection of unique elements.
#[native("frozenset.__new__($cls, iterable=<unrepresentable>, /)")]
fn frozenset_new(vm: &mut Vm, cls: &Value, iterable: Option<&Value>) -> PyResult<Value> {
    let cls = derived_class(vm, cls, &types().frozenset)?;
    let v = match iterable {
        Some(v) => {
            if let Some(Object::Set(s)) = v.obj() {
                if s.frozen {
                    v.clone()
                } else {
                    vm.set_copy(v, true)
                }
            } else {
                let items = vm.collect(v)?;
                vm.new_set(items, true)?
            }
        }
        None => vm.new_set(vec![], true)?,
    };
    Ok(as_class(cls, v))
}

/// range(stop) -> range object
/// range(start, stop[, step]) -> range object
///
/// Return an object that produces a sequence of integers from start (inclusive) to
/// stop (exclusive) by step.
#[native("range.__new__($cls, *args)")]
fn range_new(vm: &mut Vm, cls: &Value, args: &[Value]) -> PyResult<Value> {
    let _ = cls;
    let n = args.len();
    // The common case, small int bounds, without unbounded arithmetic.
    let small = match *args {
        [Value::Int(stop)] => Some((0, stop, 1)),
        [Value::Int(start), Value::Int(stop)] => Some((start, stop, 1)),
        [Value::Int(start), Value::Int(stop), Value::Int(step)] if step != 0 => Some((start, stop, step)),
        _ => None,
    };
    if let Some(r) = small.and_then(|(start, stop, step)| crate::value::range::small_range(start, stop, step)) {
        return Ok(r);
    }
    let get = |vm: &mut Vm, i: usize| -> PyResult<BigInt> {
        let v = args[i - 1].clone();
        if let Some(b) = crate::value::int::to_bigint(&v) {
            return Ok(b);
        }
        let msg = format!("'{}' object cannot be interpreted as an integer", vm.type_name(&v));
        match vm.index_value_big(&v) {
            Ok(i) => Ok(i),
            Err(_) => Err(vm.type_error(&msg)),
        }
    };
    let (start, stop, step) = match n {
        1 => (BigInt::zero(), get(vm, 1)?, BigInt::one()),
        2 => (get(vm, 1)?, get(vm, 2)?, BigInt::one()),
        3 => (get(vm, 1)?, get(vm, 2)?, get(vm, 3)?),
        k => return Err(vm.type_error(&crate::native::messages::expected_count("range", 1, Some(3), k))),
    };
    if step.is_zero() {
        return Err(vm.value_error("range() arg 3 must not be zero"));
    }
    Ok(crate::value::range::make_range(start, stop, step))
}

/// slice(stop)
/// slice(start, stop[, step])
///
/// Create a slice object.  This is used for extended slicing (e.g. a[0:10:2]).
#[native("slice.__new__($cls, *args)")]
fn slice_new(vm: &mut Vm, cls: &Value, args: &[Value]) -> PyResult<Value> {
    let _ = cls;
    if !(1..=3).contains(&args.len()) {
        return Err(vm.type_error(&crate::native::messages::expected_count("slice", 1, Some(3), args.len())));
    }
    let a = args;
    let (start, stop, step) = match a.len() {
        1 => (Value::None, a[0].clone(), Value::None),
        2 => (a[0].clone(), a[1].clone(), Value::None),
        _ => (
            a.first().cloned().unwrap_or(Value::None),
            a.get(1).cloned().unwrap_or(Value::None),
            a.get(2).cloned().unwrap_or(Value::None),
        ),
    };
    Ok(Value::new(Object::Slice(SliceObj { start, stop, step })))
}

/// bytes(iterable_of_ints) -> bytes
/// bytes(string, encoding[, errors]) -> bytes
/// bytes(bytes_or_buffer) -> immutable copy of bytes_or_buffer
/// bytes(int) -> bytes object of size given by the parameter initialized with null bytes
/// bytes() -> empty bytes object
///
/// Construct an immutable array of bytes.
#[native("bytes.__new__($cls, source=<unrepresentable>, encoding=<unrepresentable>, errors=<unrepresentable>)")]
fn bytes_new(
    vm: &mut Vm,
    cls: &Value,
    source: Option<&Value>,
    encoding: Option<&Value>,
    errors: Option<&Value>,
) -> PyResult<Value> {
    let cls = derived_class(vm, cls, &types().bytes)?;
    let v = bytes_value(vm, source, encoding, errors)?;
    Ok(as_class(cls, v))
}

fn bytes_value(
    vm: &mut Vm,
    source: Option<&Value>,
    encoding: Option<&Value>,
    errors: Option<&Value>,
) -> PyResult<Value> {
    if let (Some(v), None, None) = (source, encoding, errors) {
        // bytes(b) of a bytes is that object; an object may also convert itself.
        if matches!(v.obj(), Some(Object::Bytes(_))) {
            return Ok(v.clone());
        }
        if matches!(v, Value::Obj(_)) {
            let v = v.clone();
            if let Some(r) = super::dunder_bytes(vm, &v)? {
                return Ok(r);
            }
        }
    }
    let data = bytes_source(vm, source, encoding, errors, "bytes")?;
    Ok(Value::new(Object::Bytes(data.into_boxed_slice())))
}

/// The contents `bytes(...)` and `bytearray(...)` build from their arguments: nothing,
/// a count of zero bytes, a str with an encoding, a bytes-like value, or an iterable
/// of ints.
pub fn bytes_source(
    vm: &mut Vm,
    source: Option<&Value>,
    enc: Option<&Value>,
    errors: Option<&Value>,
    what: &str,
) -> PyResult<Vec<u8>> {
    let x = match source {
        None => {
            if enc.is_some() || errors.is_some() {
                let msg = "encoding without a string argument";
                return Err(vm.type_error(msg));
            }
            return Ok(vec![]);
        }
        Some(x) => x.clone(),
    };
    if x.as_str().is_some() {
        let Some(enc) = enc else {
            return Err(vm.type_error("string argument without an encoding"));
        };
        let encode = vm.get_attr(&x, &crate::value::str::intern("encode"))?;
        let mut a = Args::new([enc.clone()]);
        a.pos.extend(errors.cloned());
        let b = vm.call(&encode, a)?;
        return Ok(crate::builtins::bytes_like(&b).unwrap_or_default());
    }
    if enc.is_some() || errors.is_some() {
        return Err(vm.type_error("encoding without a string argument"));
    }
    if let Some(b) = crate::builtins::bytes_like(&x) {
        return Ok(b);
    }
    match &x {
        Value::Int(n) => {
            if *n < 0 {
                return Err(vm.value_error("negative count"));
            }
            vm.check_alloc(*n as usize, 1)?;
            Ok(vec![0; *n as usize])
        }
        Value::Obj(o) if matches!(&**o, Object::BigInt(_)) => {
            Err(vm.error(Exc::OverflowError, "cannot fit 'int' into an index-sized integer"))
        }
        Value::Float(_) | Value::None => {
            let msg = format!("cannot convert '{}' object to {what}", vm.type_name(&x));
            Err(vm.type_error(&msg))
        }
        _ => {
            if !vm.is_iterable(&x) {
                let msg = format!("cannot convert '{}' object to {what}", vm.type_name(&x));
                return Err(vm.type_error(&msg));
            }
            crate::builtins::bytes_methods::bytes_of_iterable(vm, &x, what)
        }
    }
}
