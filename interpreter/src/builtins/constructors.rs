//! Constructors of the built-in types (`int(x)`, `str(x)`, `list(it)`, `range(...)`...),
//! registered as their classes' `__new__`.

use super::functions;
use crate::interp::{add_methods, types};
use crate::native::Exc;
use crate::value::dict::{DictData, DictObj};
use crate::value::instance::{BaseValue, InstanceObj};
use crate::value::{ObjRef, Object, SliceObj, Value};
use crate::vm::{Args, PyResult, Vm};
use num_bigint::BigInt;
use num_traits::{One, Zero};

pub fn register(_vm: &mut Vm) {
    let t = types();
    add_methods(&t.int, &[("__new__", int_new)]);
    add_methods(&t.bool_, &[("__new__", bool_new)]);
    add_methods(&t.float, &[("__new__", float_new)]);
    add_methods(&t.str_, &[("__new__", str_new)]);
    add_methods(&t.list, &[("__new__", list_new)]);
    add_methods(&t.tuple, &[("__new__", tuple_new)]);
    add_methods(&t.dict, &[("__new__", dict_new)]);
    add_methods(&t.set, &[("__new__", set_new)]);
    add_methods(&t.frozenset, &[("__new__", frozenset_new)]);
    add_methods(&t.range, &[("__new__", range_new)]);
    add_methods(&t.slice, &[("__new__", slice_new)]);
    add_methods(&t.bytes, &[("__new__", bytes_new)]);
    add_methods(&t.bytearray, &[("__new__", bytearray_new), ("__init__", bytearray_init)]);
    add_methods(&t.enumerate, &[("__new__", functions::enumerate_new)]);
    add_methods(&t.zip, &[("__new__", functions::zip_new)]);
    add_methods(&t.map, &[("__new__", functions::map_new)]);
    add_methods(&t.filter, &[("__new__", functions::filter_new)]);
    add_methods(&t.reversed, &[("__new__", functions::reversed_new)]);
    add_methods(&t.list, &[("__init__", list_init)]);
    add_methods(&t.dict, &[("__init__", dict_init)]);
    add_methods(&t.set, &[("__init__", set_init)]);
}

/// The class a built-in value type's `__new__` was called for: None for the type
/// itself (the common case, checked first), the derived class for `Derived(...)` and
/// `super().__new__(cls, ...)`.
fn derived_class(vm: &mut Vm, args: &Args, base: &ObjRef) -> PyResult<Option<ObjRef>> {
    let tname = base.class_name();
    match args.pos.first() {
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
        None => {
            let msg = format!("{tname}.__new__(): not enough arguments");
            Err(vm.type_error(&msg))
        }
    }
}

/// `v`, or an instance of `cls` (derived from v's type) carrying it.
fn as_class(cls: Option<ObjRef>, v: Value) -> Value {
    match cls {
        None => v,
        Some(c) => Value::new(Object::Instance(InstanceObj::with_native(c, Box::new(BaseValue(v))))),
    }
}

/// CPython's message for too many arguments to a built-in value type's constructor.
fn at_most_one(vm: &mut Vm, args: &Args, tname: &str) -> PyResult<()> {
    let n = args.pos.len().saturating_sub(1);
    if n > 1 {
        let msg = format!("{tname} expected at most 1 argument, got {n}");
        return Err(vm.type_error(&msg));
    }
    Ok(())
}

/// `self` of a built-in value type's `__init__` (already the base value when called
/// on an instance of a derived class).
fn init_self(vm: &mut Vm, args: &Args, tname: &str, ok: fn(&Object) -> bool) -> PyResult<Value> {
    match args.pos.first() {
        Some(v) if v.obj().map(ok).unwrap_or(false) => Ok(v.clone()),
        Some(v) => {
            let msg = format!("descriptor '__init__' requires a '{tname}' object but received a '{}'", vm.type_name(v));
            Err(vm.type_error(&msg))
        }
        None => Err(vm.type_error("descriptor '__init__' of object needs an argument")),
    }
}

/// `list.__init__(self, iterable=())`: replaces the contents.
fn list_init(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let this = init_self(vm, &args, "list", |o| matches!(o, Object::List(_)))?;
    if !args.kw.is_empty() {
        return Err(vm.type_error("list() takes no keyword arguments"));
    }
    at_most_one(vm, &args, "list")?;
    let items = match args.pos.get(1) {
        Some(src) => {
            let src = src.clone();
            vm.collect(&src)?
        }
        None => Vec::new(),
    };
    if let Some(l) = this.as_list() {
        l.replace_all(items);
    }
    Ok(Value::None)
}

/// `dict.__init__(self, mapping_or_pairs=(), **kw)`: adds the items (as `update`).
fn dict_init(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let this = init_self(vm, &args, "dict", |o| matches!(o, Object::Dict(_)))?;
    at_most_one(vm, &args, "dict")?;
    if let Some(src) = args.pos.get(1) {
        let src = src.clone();
        vm.dict_update_from(&this, &src, false)?;
    }
    for (k, v) in args.kw {
        vm.dict_set(&this, Value::Obj(k), v)?;
    }
    Ok(Value::None)
}

/// `set.__init__(self, iterable=())`: replaces the contents.
fn set_init(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let this = init_self(vm, &args, "set", |o| matches!(o, Object::Set(s) if !s.frozen))?;
    if !args.kw.is_empty() {
        return Err(vm.type_error("set() takes no keyword arguments"));
    }
    at_most_one(vm, &args, "set")?;
    let items = match args.pos.get(1) {
        Some(src) => {
            let src = src.clone();
            vm.collect(&src)?
        }
        None => Vec::new(),
    };
    if let Some(Object::Set(s)) = this.obj() {
        let old = s.lock().clear();
        drop(old);
    }
    for it in items {
        vm.set_add(&this, it)?;
    }
    Ok(Value::None)
}

/// Parses an int literal as `int(s, base)` does (underscores, sign, prefixes, spaces).
pub fn parse_int(s: &str, base: u32) -> Option<BigInt> {
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
    let v = BigInt::parse_bytes(clean.as_bytes(), base)?;
    Some(if neg { -v } else { v })
}

fn int_new(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let cls = derived_class(vm, &args, &types().int)?;
    let v = int_value(vm, args)?;
    Ok(as_class(cls, v))
}

fn int_value(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let n = args.pos.len().saturating_sub(1) + args.kw.len();
    if n > 2 {
        let msg = format!("int() takes at most 2 arguments ({n} given)");
        return Err(vm.type_error(&msg));
    }
    let x = args.take(1, "x");
    let base = args.take(2, "base");
    let Some(x) = x else { return Ok(Value::Int(0)) };
    if let Some(b) = base {
        let b = vm.index_value(&b)?;
        if b != 0 && !(2..=36).contains(&b) {
            return Err(vm.value_error("int() base must be >= 2 and <= 36, or 0"));
        }
        let s = match x.unwrap_base().obj() {
            Some(Object::Str(s)) => s.as_str().to_string(),
            Some(Object::Bytes(b)) => String::from_utf8_lossy(b).to_string(),
            _ => return Err(vm.type_error("int() can't convert non-string with explicit base")),
        };
        return match parse_int(&s, b as u32) {
            Some(v) => Ok(crate::value::int::normalize(v)),
            None => {
                let msg = format!("invalid literal for int() with base {}: {}", b, super::repr::str_repr(&s));
                Err(vm.value_error(&msg))
            }
        };
    }
    to_int(vm, &x)
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
            Object::Str(s) => match parse_int(s.as_str(), 10) {
                Some(v) => Ok(crate::value::int::normalize(v)),
                None => {
                    let msg = format!("invalid literal for int() with base 10: {}", super::repr::str_repr(s.as_str()));
                    Err(vm.value_error(&msg))
                }
            },
            Object::Bytes(b) => match parse_int(&String::from_utf8_lossy(b), 10) {
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

fn bool_new(vm: &mut Vm, args: Args) -> PyResult<Value> {
    match args.pos.get(1) {
        Some(v) => {
            let v = v.clone();
            Ok(Value::Bool(vm.truthy(&v)?))
        }
        None => Ok(Value::Bool(false)),
    }
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

fn float_new(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let cls = derived_class(vm, &args, &types().float)?;
    at_most_one(vm, &args, "float")?;
    let v = match args.pos.get(1).cloned() {
        Some(x) => Value::Float(to_float(vm, &x)?),
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

fn str_new(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let cls = derived_class(vm, &args, &types().str_)?;
    let v = str_value(vm, args)?;
    Ok(as_class(cls, v))
}

fn str_value(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let x = args.take(1, "object");
    let encoding = args.take(2, "encoding");
    match (x, encoding) {
        (None, _) => Ok(Value::str("")),
        (Some(v), Some(_)) => match v.obj() {
            Some(Object::Bytes(b)) => match std::str::from_utf8(b) {
                Ok(s) => Ok(Value::str(s)),
                Err(_) => Err(vm.error(Exc::UnicodeDecodeError, "'utf-8' codec can't decode bytes")),
            },
            _ => Err(vm.type_error("decoding str is not supported")),
        },
        (Some(v), None) => {
            if let Some(Object::Str(_)) = v.obj() {
                return Ok(v);
            }
            Ok(Value::string(vm.str_of(&v)?))
        }
    }
}

fn bytearray_new(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    // A derived class starts empty: `bytearray.__init__` fills it.
    if let Some(cls) = derived_class(vm, &args, &types().bytearray)? {
        return Ok(as_class(Some(cls), super::bytes_methods::new_bytearray(vec![])));
    }
    let data = bytes_source(vm, &mut args, "bytearray")?;
    Ok(super::bytes_methods::new_bytearray(data))
}

/// `bytearray.__init__(self, source=..., encoding=...)`: replaces the contents.
fn bytearray_init(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let this = init_self(vm, &args, "bytearray", |o| matches!(o, Object::ByteArray(_)))?;
    let data = bytes_source(vm, &mut args, "bytearray")?;
    if let Some(Object::ByteArray(b)) = this.obj() {
        *b.lock() = data;
    }
    Ok(Value::None)
}

fn list_new(vm: &mut Vm, args: Args) -> PyResult<Value> {
    // A derived class starts empty: `list.__init__` fills it.
    if let Some(cls) = derived_class(vm, &args, &types().list)? {
        return Ok(as_class(Some(cls), Value::list(vec![])));
    }
    at_most_one(vm, &args, "list")?;
    match args.pos.get(1) {
        Some(v) => {
            let v = v.clone();
            Ok(Value::list(vm.collect(&v)?))
        }
        None => Ok(Value::list(vec![])),
    }
}

fn tuple_new(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let cls = derived_class(vm, &args, &types().tuple)?;
    at_most_one(vm, &args, "tuple")?;
    let v = match args.pos.get(1) {
        Some(v) => {
            if let Some(Object::Tuple(_)) = v.obj() {
                v.clone()
            } else {
                let v = v.clone();
                Value::tuple(vm.collect(&v)?)
            }
        }
        None => Value::tuple(vec![]),
    };
    Ok(as_class(cls, v))
}

fn dict_new(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let d = Value::new(Object::Dict(DictObj::new(DictData::new())));
    // A derived class starts empty: `dict.__init__` fills it.
    if let Some(cls) = derived_class(vm, &args, &types().dict)? {
        return Ok(as_class(Some(cls), d));
    }
    at_most_one(vm, &args, "dict")?;
    if let Some(src) = args.pos.get(1) {
        let src = src.clone();
        vm.dict_update_from(&d, &src, false)?;
    }
    for (k, v) in args.kw {
        vm.dict_set(&d, Value::Obj(k), v)?;
    }
    Ok(d)
}

fn set_new(vm: &mut Vm, args: Args) -> PyResult<Value> {
    // A derived class starts empty: `set.__init__` fills it.
    if let Some(cls) = derived_class(vm, &args, &types().set)? {
        return Ok(as_class(Some(cls), vm.new_set(vec![], false)?));
    }
    at_most_one(vm, &args, "set")?;
    match args.pos.get(1) {
        Some(v) => {
            if let Some(Object::Set(_)) = v.obj() {
                return Ok(vm.set_copy(v, false));
            }
            let v = v.clone();
            let items = vm.collect(&v)?;
            vm.new_set(items, false)
        }
        None => vm.new_set(vec![], false),
    }
}

fn frozenset_new(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let cls = derived_class(vm, &args, &types().frozenset)?;
    at_most_one(vm, &args, "frozenset")?;
    let v = match args.pos.get(1) {
        Some(v) => {
            if let Some(Object::Set(s)) = v.obj() {
                if s.frozen {
                    v.clone()
                } else {
                    vm.set_copy(v, true)
                }
            } else {
                let v = v.clone();
                let items = vm.collect(&v)?;
                vm.new_set(items, true)?
            }
        }
        None => vm.new_set(vec![], true)?,
    };
    Ok(as_class(cls, v))
}

fn range_new(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let n = args.pos.len() - 1;
    // The common case, small int bounds, without unbounded arithmetic.
    let small = match args.pos[1..] {
        [Value::Int(stop)] => Some((0, stop, 1)),
        [Value::Int(start), Value::Int(stop)] => Some((start, stop, 1)),
        [Value::Int(start), Value::Int(stop), Value::Int(step)] if step != 0 => Some((start, stop, step)),
        _ => None,
    };
    if let Some(r) = small.and_then(|(start, stop, step)| crate::value::range::small_range(start, stop, step)) {
        return Ok(r);
    }
    let get = |vm: &mut Vm, i: usize| -> PyResult<BigInt> {
        let v = args.pos[i].clone();
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
        0 => return Err(vm.type_error("range expected at least 1 argument, got 0")),
        k => {
            let msg = format!("range expected at most 3 arguments, got {k}");
            return Err(vm.type_error(&msg));
        }
    };
    if step.is_zero() {
        return Err(vm.value_error("range() arg 3 must not be zero"));
    }
    Ok(crate::value::range::make_range(start, stop, step))
}

fn slice_new(_vm: &mut Vm, args: Args) -> PyResult<Value> {
    let a: Vec<Value> = args.pos[1..].to_vec();
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

fn bytes_new(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let cls = derived_class(vm, &args, &types().bytes)?;
    let v = bytes_value(vm, args)?;
    Ok(as_class(cls, v))
}

fn bytes_value(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    if let (Some(v), 2) = (args.pos.get(1), args.pos.len()) {
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
    let data = bytes_source(vm, &mut args, "bytes")?;
    Ok(Value::new(Object::Bytes(data.into_boxed_slice())))
}

/// The contents `bytes(...)` and `bytearray(...)` build from their arguments: nothing,
/// a count of zero bytes, a str with an encoding, a bytes-like value, or an iterable
/// of ints.
pub fn bytes_source(vm: &mut Vm, args: &mut Args, what: &str) -> PyResult<Vec<u8>> {
    let x = args.take(1, "source");
    let enc = args.take(2, "encoding");
    let x = match x {
        None => {
            if enc.is_some() {
                let msg = "encoding without a string argument";
                return Err(vm.type_error(msg));
            }
            return Ok(vec![]);
        }
        Some(x) => x,
    };
    if x.as_str().is_some() {
        let Some(enc) = enc else {
            return Err(vm.type_error("string argument without an encoding"));
        };
        let (text, enc) = (x.as_str().map_or("", |s| s.as_str()), enc.as_str().map_or("", |e| e.as_str()));
        return crate::builtins::str_methods::encode_str(vm, text, enc, "strict");
    }
    if enc.is_some() {
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
            Ok(vec![0; *n as usize])
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
