//! The builtin functions (`print`, `len`, `sorted`, `isinstance`, ...).

use crate::native::{native, Exc, KwArgs, NativeDef};
use crate::value::iter::IterObj;
use crate::value::str::intern;
use crate::value::{ObjRef, Object, Value};
use crate::vm::{Args, PyResult, Vm};
use std::sync::atomic::{AtomicI64, AtomicUsize};

/// The builtin functions, registered into the builtins module.
pub const FUNCTIONS: &[&NativeDef] = &[
    &print::DEF,
    &len::DEF,
    &repr::DEF,
    &ascii::DEF,
    &isinstance::DEF,
    &issubclass::DEF,
    &hasattr::DEF,
    &getattr::DEF,
    &setattr::DEF,
    &delattr::DEF,
    &id::DEF,
    &hash::DEF,
    &abs::DEF,
    &min::DEF,
    &max::DEF,
    &sum::DEF,
    &sorted::DEF,
    &any::DEF,
    &all::DEF,
    &iter::DEF,
    &next::DEF,
    &super::aiter::aiter::DEF,
    &super::aiter::anext::DEF,
    &callable::DEF,
    &chr::DEF,
    &ord::DEF,
    &hex::DEF,
    &oct::DEF,
    &bin::DEF,
    &divmod::DEF,
    &pow::DEF,
    &round::DEF,
    &format::DEF,
    &vars::DEF,
    &dir::DEF,
    &globals::DEF,
    &locals::DEF,
    &input::DEF,
    &super::evaluate::exec::DEF,
    &super::evaluate::eval::DEF,
    &super::evaluate::compile::DEF,
    &__import__::DEF,
];

/// `__import__(name, globals=None, locals=None, fromlist=(), level=0)`: what the
/// `import` statement does, returning the top package (or, with a non-empty
/// fromlist, the named module itself).
#[native("__import__(name, globals=None, locals=None, fromlist=(){Value::None}, level=0)")]
fn __import__(vm: &mut Vm, name: Value, globals: Value, locals: Value, fromlist: Value, level: i64) -> PyResult<Value> {
    let _ = (globals, locals);
    if name.as_str().is_none() {
        return Err(vm.type_error("module name must be a string"));
    }
    let fromlist = match fromlist.as_tuple() {
        Some(t) if t.is_empty() => Value::None,
        _ => fromlist,
    };
    if level < 0 {
        return Err(vm.value_error("level must be >= 0"));
    }
    let module = match vm.caller_module() {
        Some(m) => m,
        None => crate::interp::builtins_module(),
    };
    vm.import_name(&name, level as u32, &fromlist, module)
}

/// Prints the values to a stream, or to sys.stdout by default.
///
/// sep: string inserted between values, default a space.
/// end: string appended after the last value, default a newline.
/// file: a file-like object (stream); defaults to the current sys.stdout.
/// flush: whether to forcibly flush the stream.
#[native("print(*args, sep=' '{None}, end='\\n'{None}, file=None, flush=False)")]
fn print(
    vm: &mut Vm,
    args: &[Value],
    sep: Option<Value>,
    end: Option<Value>,
    file: Option<Value>,
    flush: bool,
) -> PyResult<()> {
    let sep = sep.filter(|v| !v.is_none());
    let end = end.filter(|v| !v.is_none());
    let sep = match &sep {
        Some(s) => match s.as_str() {
            Some(s) => s.as_str().to_string(),
            None => {
                let msg = format!("sep must be None or a string, not {}", vm.type_name(s));
                return Err(vm.type_error(&msg));
            }
        },
        None => " ".to_string(),
    };
    let end = match &end {
        Some(s) => match s.as_str() {
            Some(s) => s.as_str().to_string(),
            None => {
                let msg = format!("end must be None or a string, not {}", vm.type_name(s));
                return Err(vm.type_error(&msg));
            }
        },
        None => "\n".to_string(),
    };
    let mut text = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            text.push_str(&sep);
        }
        text.push_str(&vm.str_of(a)?);
    }
    text.push_str(&end);
    // Without file=, print goes to sys.stdout: the standard stream unless a script
    // rebound it (None: print writes nothing, as in CPython).
    // Without file= (or with file=None), print goes to sys.stdout: the standard
    // stream unless a script rebound it (None: print writes nothing, as in CPython).
    let file = match file.filter(|f| !f.is_none()) {
        Some(f) => Some(f),
        None => super::sys_io::replaced_stdout(),
    };
    match &file {
        None => super::sys_io::print_to_stdout(vm, &text)?,
        Some(Value::None) => return Ok(()),
        Some(f) => super::sys_io::write_to(vm, f, &text)?,
    }
    if flush {
        let std = match &file {
            None => Some(super::sys_io::stream(1)),
            Some(f) => f.as_instance().and_then(|i| i.native::<super::sys_io::StdStream>()),
        };
        match (std, &file) {
            (Some(s), _) => s.flush(vm)?,
            (None, Some(f)) => {
                let name = crate::value::str::intern("flush");
                let method = vm.get_attr(f, &name)?;
                vm.call(&method, Args::default())?;
            }
            (None, None) => {}
        }
    }
    Ok(())
}

pub fn len_of(vm: &mut Vm, v: &Value) -> PyResult<usize> {
    if let Value::Obj(o) = v {
        let n = match &**o {
            Object::Str(s) => s.char_len(),
            Object::List(l) => l.len(),
            Object::Tuple(t) => t.len(),
            Object::Dict(d) => d.len(),
            Object::Set(s) => s.len(),
            Object::Bytes(b) => b.len(),
            Object::ByteArray(b) => b.len(),
            Object::Range(r) => r.len() as usize,
            Object::BigRange(r) => match num_traits::ToPrimitive::to_i64(&r.len) {
                Some(n) => n as usize,
                None => return Err(vm.error(Exc::OverflowError, "Python int too large to convert to C ssize_t")),
            },
            Object::Instance(inst) => {
                let cls = vm.class_of(v);
                let f = vm.lookup_type_attr(&cls, &crate::interp::names().__len__);
                if let (false, Some(base)) = (crate::vm::ops::overrides(&f), inst.base_value()) {
                    return len_of(vm, base);
                }
                if let Some(f) = f {
                    let r = vm.call(&f, Args::new([v.clone()]))?;
                    let n = vm.index_value(&r)?;
                    if n < 0 {
                        return Err(vm.value_error("__len__() should return >= 0"));
                    }
                    return Ok(n as usize);
                }
                let msg = format!("object of type '{}' has no len()", vm.type_name(v));
                return Err(vm.type_error(&msg));
            }
            _ => {
                let msg = format!("object of type '{}' has no len()", vm.type_name(v));
                return Err(vm.type_error(&msg));
            }
        };
        return Ok(n);
    }
    let msg = format!("object of type '{}' has no len()", vm.type_name(v));
    Err(vm.type_error(&msg))
}

/// Return the number of items in a container.
#[native("len(obj, /)")]
fn len(vm: &mut Vm, obj: &Value) -> PyResult<usize> {
    len_of(vm, obj)
}

/// Return the canonical string representation of the object.
///
/// For many object types, including most builtins, eval(repr(obj)) == obj.
#[native("repr(obj, /)")]
fn repr(vm: &mut Vm, obj: &Value) -> PyResult<String> {
    vm.repr_of(obj)
}

/// Return an ASCII-only representation of an object.
#[native("ascii(obj, /)")]
fn ascii(vm: &mut Vm, obj: &Value) -> PyResult<String> {
    let r = vm.repr_of(obj)?;
    Ok(super::format::ascii_escape(&r))
}

/// `isinstance(v, cls_or_tuple)`.
pub fn is_instance(vm: &mut Vm, v: &Value, cls: &Value) -> PyResult<bool> {
    match cls.obj() {
        Some(Object::Class(_)) => {
            let c = vm.class_of(v);
            let base = cls.as_objref().unwrap();
            if crate::value::class::is_subclass(&c, base) {
                return Ok(true);
            }
            subclass_hook(vm, base, &c)
        }
        Some(Object::Tuple(t)) => {
            for c in t.items() {
                if is_instance(vm, v, c)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        _ => Err(vm.type_error("isinstance() arg 2 must be a type, a tuple of types, or a union")),
    }
}

/// When `c` is not a subclass of `base` by inheritance: asks `base.__subclasshook__(c)`
/// if a script class defines one. conc has no metaclasses, so this stands in for
/// ABCMeta's `__subclasscheck__` (collections.abc registers virtual subclasses this
/// way); only True counts, since the inheritance check has already failed.
fn subclass_hook(vm: &mut Vm, base: &ObjRef, c: &ObjRef) -> PyResult<bool> {
    let Object::Class(bc) = &**base else {
        return Ok(false);
    };
    if bc.module == "builtins" {
        return Ok(false);
    }
    let name = intern("__subclasshook__");
    if vm.lookup_type_attr(base, &name).is_none() {
        return Ok(false);
    }
    let hook = vm.get_attr(&Value::Obj(base.clone()), &name)?;
    let r = vm.call(&hook, Args::new([Value::Obj(c.clone())]))?;
    Ok(matches!(r, Value::Bool(true)))
}

/// Return whether an object is an instance of a class or of a subclass thereof.
#[native("isinstance(obj, class_or_tuple, /)")]
fn isinstance(vm: &mut Vm, obj: &Value, class_or_tuple: &Value) -> PyResult<bool> {
    is_instance(vm, obj, class_or_tuple)
}

/// Return whether 'cls' is derived from another class or is the same class.
#[native("issubclass(cls, class_or_tuple, /)")]
fn issubclass(vm: &mut Vm, cls: &Value, class_or_tuple: &Value) -> PyResult<bool> {
    let c = match cls.as_objref() {
        Some(c) if matches!(&**c, Object::Class(_)) => c.clone(),
        _ => return Err(vm.type_error("issubclass() arg 1 must be a class")),
    };
    fn check(vm: &mut Vm, c: &ObjRef, base: &Value) -> PyResult<bool> {
        match base.obj() {
            Some(Object::Class(_)) => {
                let b = base.as_objref().unwrap();
                if crate::value::class::is_subclass(c, b) {
                    return Ok(true);
                }
                subclass_hook(vm, b, c)
            }
            Some(Object::Tuple(t)) => {
                for b in t.items() {
                    if check(vm, c, b)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            _ => Err(vm.type_error("issubclass() arg 2 must be a class, a tuple of classes, or a union")),
        }
    }
    check(vm, &c, class_or_tuple)
}

fn attr_name(vm: &mut Vm, v: &Value) -> PyResult<ObjRef> {
    match v.as_str() {
        Some(s) => Ok(intern(s.as_str())),
        None => {
            let msg = format!("attribute name must be string, not '{}'", vm.type_name(v));
            Err(vm.type_error(&msg))
        }
    }
}

/// Return whether the object has an attribute with the given name.
#[native("hasattr(obj, name, /)")]
fn hasattr(vm: &mut Vm, obj: &Value, name: &Value) -> PyResult<bool> {
    let name = attr_name(vm, name)?;
    match vm.get_attr_opt(obj, &name) {
        Ok(v) => Ok(v.is_some()),
        Err(e) => {
            if crate::value::class::is_subclass(&vm.class_of(&e.exc), Exc::AttributeError.class()) {
                Ok(false)
            } else {
                Err(e)
            }
        }
    }
}

/// Get a named attribute from an object; getattr(x, 'y') is equivalent to x.y.
///
/// When a default argument is given, it is returned when the attribute doesn't
/// exist; without it, an exception is raised in that case.
#[native("getattr(object, name, default=<unrepresentable>, /)")]
fn getattr(vm: &mut Vm, object: &Value, name: &Value, default: Option<&Value>) -> PyResult<Value> {
    let obj = object;
    let name = attr_name(vm, name)?;
    match default {
        None => vm.get_attr(obj, &name),
        Some(default) => match vm.get_attr_opt(obj, &name) {
            Ok(Some(v)) => Ok(v),
            Ok(None) => Ok(default.clone()),
            Err(e) => {
                let ae = Exc::AttributeError.class().clone();
                if crate::value::class::is_subclass(&vm.class_of(&e.exc), &ae) {
                    Ok(default.clone())
                } else {
                    Err(e)
                }
            }
        },
    }
}

/// Sets the named attribute on the given object to the specified value.
///
/// setattr(x, 'y', v) is equivalent to ``x.y = v``
#[native("setattr(obj, name, value, /)")]
fn setattr(vm: &mut Vm, obj: &Value, name: &Value, value: Value) -> PyResult<()> {
    let name = attr_name(vm, name)?;
    vm.set_attr(obj, &name, value)
}

/// Deletes the named attribute from the given object.
///
/// delattr(x, 'y') is equivalent to ``del x.y``
#[native("delattr(obj, name, /)")]
fn delattr(vm: &mut Vm, obj: &Value, name: &Value) -> PyResult<()> {
    let name = attr_name(vm, name)?;
    vm.del_attr(obj, &name)
}

/// Return the identity of an object.
///
/// This is guaranteed to be unique among simultaneously existing objects.
#[native("id(obj, /)")]
fn id(_vm: &mut Vm, obj: &Value) -> PyResult<i64> {
    Ok(obj.id())
}

/// Return the hash value for the given object.
///
/// Two objects that compare equal must also have the same hash value, but the
/// reverse is not necessarily true.
#[native("hash(obj, /)")]
fn hash(vm: &mut Vm, obj: &Value) -> PyResult<i64> {
    vm.hash(obj)
}

/// Return the absolute value of the argument.
#[native("abs(x, /)")]
fn abs(vm: &mut Vm, x: &Value) -> PyResult<Value> {
    abs_of(vm, x)
}

fn abs_of(vm: &mut Vm, v: &Value) -> PyResult<Value> {
    match v {
        Value::Int(i) => Ok(match i.checked_abs() {
            Some(a) => Value::Int(a),
            None => crate::value::int::normalize(num_bigint::BigInt::from(*i).magnitude().clone().into()),
        }),
        Value::Bool(b) => Ok(Value::Int(*b as i64)),
        Value::Float(f) => Ok(Value::Float(f.abs())),
        Value::Obj(o) => match &**o {
            Object::BigInt(b) => Ok(crate::value::int::normalize(num_traits::Signed::abs(b))),
            _ => {
                let cls = vm.class_of(v);
                let f = vm.lookup_type_attr(&cls, &crate::interp::names().__abs__);
                if let (false, Some(base)) = (crate::vm::ops::overrides(&f), v.base_value()) {
                    let base = base.clone();
                    return abs_of(vm, &base);
                }
                match f {
                    Some(f) => vm.call(&f, Args::new([v.clone()])),
                    None => {
                        let msg = format!("bad operand type for abs(): '{}'", vm.type_name(v));
                        Err(vm.type_error(&msg))
                    }
                }
            }
        },
        _ => Err(vm.type_error("bad operand type for abs()")),
    }
}

fn min_max(vm: &mut Vm, args: &[Value], key: Option<Value>, default: Option<Value>, is_max: bool) -> PyResult<Value> {
    let name = if is_max { "max" } else { "min" };
    // Iterate rather than collect: `max(x for x in big_generator)` stays O(1) in memory.
    let source = match args.len() {
        0 => {
            let msg = format!("{name} expected at least 1 argument, got 0");
            return Err(vm.type_error(&msg));
        }
        1 => args[0].clone(),
        _ => {
            if default.is_some() {
                let msg = format!("Cannot specify a default for {name}() with multiple positional arguments");
                return Err(vm.type_error(&msg));
            }
            Value::tuple(args.to_vec())
        }
    };
    let it = vm.get_iter(&source)?;
    let op = if is_max { crate::operator::CmpOp::Gt } else { crate::operator::CmpOp::Lt };
    let mut best: Option<(Value, Value)> = None;
    while let Some(v) = vm.iter_next(&it)? {
        let k = match &key {
            Some(kf) => vm.call(kf, Args::new([v.clone()]))?,
            None => v.clone(),
        };
        let better = match &best {
            None => true,
            Some((_, bk)) => match (&k, bk) {
                (Value::Int(x), Value::Int(y)) => {
                    if is_max {
                        x > y
                    } else {
                        x < y
                    }
                }
                _ => {
                    let r = vm.compare(&k, bk, op)?;
                    vm.truthy(&r)?
                }
            },
        };
        if better {
            best = Some((v, k));
        }
    }
    match best {
        Some((v, _)) => Ok(v),
        None => match default {
            Some(d) => Ok(d),
            None => {
                let msg = format!("{name}() arg is an empty sequence");
                Err(vm.value_error(&msg))
            }
        },
    }
}

/// min(iterable, *[, default=obj, key=func]) -> value
/// min(arg1, arg2, *args, *[, key=func]) -> value
///
/// With a single iterable argument, return its smallest item. The default keyword-only
/// argument specifies an object to return if the provided iterable is empty. With two
/// or more arguments, return the smallest argument.
#[native("min(*args, key=None, default=<unrepresentable>)")]
fn min(vm: &mut Vm, args: &[Value], key: Option<Value>, default: Option<Value>) -> PyResult<Value> {
    min_max(vm, args, key, default, false)
}

/// max(iterable, *[, default=obj, key=func]) -> value
/// max(arg1, arg2, *args, *[, key=func]) -> value
///
/// With a single iterable argument, return its biggest item. The default keyword-only
/// argument specifies an object to return if the provided iterable is empty. With two
/// or more arguments, return the largest argument.
#[native("max(*args, key=None, default=<unrepresentable>)")]
fn max(vm: &mut Vm, args: &[Value], key: Option<Value>, default: Option<Value>) -> PyResult<Value> {
    min_max(vm, args, key, default, true)
}

/// Return the sum of a 'start' value (default: 0) plus an iterable of numbers
///
/// When the iterable is empty, return the start value. This function is intended
/// specifically for use with numeric values and may reject non-numeric types.
#[native("sum(iterable, /, start=0)")]
fn sum(vm: &mut Vm, iterable: &Value, start: Value) -> PyResult<Value> {
    if start.as_str().is_some() {
        return Err(vm.type_error("sum() can't sum strings [use ''.join(seq) instead]"));
    }
    let it = vm.get_iter(iterable)?;
    let mut acc = start;
    while let Some(v) = vm.iter_next(&it)? {
        acc = match (&acc, &v) {
            (Value::Int(a), Value::Int(b)) => match a.checked_add(*b) {
                Some(r) => Value::Int(r),
                None => vm.binary_op(acc, v, crate::operator::BinOp::Add)?,
            },
            (Value::Float(a), Value::Float(b)) => Value::Float(a + b),
            _ => vm.binary_op(acc, v, crate::operator::BinOp::Add)?,
        };
    }
    Ok(acc)
}

/// A stable merge sort with a fallible `<`, so an inconsistent or raising comparison
/// never panics and the lock of the list being sorted is not held meanwhile.
pub fn merge_sort(vm: &mut Vm, items: &mut Vec<(Value, Value)>, reverse: bool) -> PyResult<()> {
    let n = items.len();
    if n < 2 {
        return Ok(());
    }
    let mut src: Vec<(Value, Value)> = std::mem::take(items);
    let mut width = 1;
    // Insertion sort small runs first.
    let run = 8;
    let mut i = 0;
    while i < n {
        let end = (i + run).min(n);
        for j in i + 1..end {
            let mut k = j;
            while k > i && less(vm, &src[k].0, &src[k - 1].0, reverse)? {
                src.swap(k, k - 1);
                k -= 1;
            }
        }
        i = end;
    }
    width = width.max(run);
    while width < n {
        let mut dst: Vec<(Value, Value)> = Vec::with_capacity(n);
        let mut lo = 0;
        let mut it = src.into_iter();
        let mut buf: Vec<(Value, Value)> = Vec::with_capacity(2 * width);
        while lo < n {
            let mid = (lo + width).min(n);
            let hi = (lo + 2 * width).min(n);
            buf.clear();
            for _ in lo..hi {
                buf.push(it.next().unwrap());
            }
            let (mut a, mut b) = (0, mid - lo);
            let (ae, be) = (mid - lo, hi - lo);
            let mut merged: Vec<Option<(Value, Value)>> = buf.drain(..).map(Some).collect();
            while a < ae && b < be {
                // Take from the right only when strictly less (stability).
                if less(vm, &merged[b].as_ref().unwrap().0, &merged[a].as_ref().unwrap().0, reverse)? {
                    dst.push(merged[b].take().unwrap());
                    b += 1;
                } else {
                    dst.push(merged[a].take().unwrap());
                    a += 1;
                }
            }
            while a < ae {
                dst.push(merged[a].take().unwrap());
                a += 1;
            }
            while b < be {
                dst.push(merged[b].take().unwrap());
                b += 1;
            }
            lo = hi;
        }
        src = dst;
        width *= 2;
    }
    *items = src;
    Ok(())
}

fn less(vm: &mut Vm, a: &Value, b: &Value, reverse: bool) -> PyResult<bool> {
    let (x, y) = if reverse { (b, a) } else { (a, b) };
    match (x, y) {
        (Value::Int(p), Value::Int(q)) => Ok(p < q),
        (Value::Float(p), Value::Float(q)) => Ok(p < q),
        _ => {
            if let (Some(p), Some(q)) = (x.as_exact_str(), y.as_exact_str()) {
                return Ok(p.as_str() < q.as_str());
            }
            let r = vm.compare(x, y, crate::operator::CmpOp::Lt)?;
            vm.truthy(&r)
        }
    }
}

/// Sorts values in place by key (`list.sort` and `sorted`).
pub fn sort_values(vm: &mut Vm, items: Vec<Value>, key: Option<Value>, reverse: bool) -> PyResult<Vec<Value>> {
    let mut pairs = Vec::with_capacity(items.len());
    for v in items {
        let k = match &key {
            Some(f) => vm.call(f, Args::new([v.clone()]))?,
            None => v.clone(),
        };
        pairs.push((k, v));
    }
    if reverse {
        // Reverse-stable: equal keys keep their original order.
        merge_sort(vm, &mut pairs, true)?;
    } else {
        merge_sort(vm, &mut pairs, false)?;
    }
    Ok(pairs.into_iter().map(|(_, v)| v).collect())
}

/// Return a new list containing all items from the iterable in ascending order.
///
/// A custom key function can be supplied to customize the sort order, and the
/// reverse flag can be set to request the result in descending order.
// CPython counts the positional arguments itself (`sorted expected 1 argument, got 0`)
// and hands the keywords to list.sort, whose messages they then get (`'reversed' is
// an invalid keyword argument for sort()`): so does this.
#[native("sorted(*args, **kwargs)")]
fn sorted(vm: &mut Vm, args: &[Value], kwargs: KwArgs) -> PyResult<Value> {
    let [iterable] = args else {
        return Err(vm.type_error(&crate::native::messages::expected_count("sorted", 1, Some(1), args.len())));
    };
    let items = vm.collect(iterable)?;
    if kwargs.is_empty() {
        return Ok(Value::list(sort_values(vm, items, None, false)?));
    }
    let list = Value::list(items);
    let sort = vm.get_attr(&list, &intern("sort"))?;
    vm.call(&sort, Args { pos: Default::default(), kw: kwargs })?;
    Ok(list)
}

/// Return True if bool(x) is True for any x in the iterable.
///
/// If the iterable is empty, return False.
#[native("any(iterable, /)")]
fn any(vm: &mut Vm, iterable: &Value) -> PyResult<bool> {
    let it = vm.get_iter(iterable)?;
    while let Some(v) = vm.iter_next(&it)? {
        if vm.truthy(&v)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Return True if bool(x) is True for all values x in the iterable.
///
/// If the iterable is empty, return True.
#[native("all(iterable, /)")]
fn all(vm: &mut Vm, iterable: &Value) -> PyResult<bool> {
    let it = vm.get_iter(iterable)?;
    while let Some(v) = vm.iter_next(&it)? {
        if !vm.truthy(&v)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// iter(iterable) -> iterator
/// iter(callable, sentinel) -> iterator
///
/// Get an iterator from an object.  In the first form, the argument must supply its
/// own iterator, or be a sequence. In the second form, the callable is called until it
/// returns the sentinel.
#[native("iter(object, sentinel=<unrepresentable>, /)")]
fn iter(vm: &mut Vm, object: &Value, sentinel: Option<&Value>) -> PyResult<Value> {
    match sentinel {
        None => vm.get_iter(object),
        Some(s) => Ok(crate::vm::iter::callable_iter(object.clone(), s.clone())),
    }
}

/// next(iterator[, default])
///
/// Return the next item from the iterator. If default is given and the iterator is
/// exhausted, it is returned instead of raising StopIteration.
#[native("next(iterator, default=<unrepresentable>, /)")]
fn next(vm: &mut Vm, iterator: &Value, default: Option<&Value>) -> PyResult<Value> {
    let it = iterator;
    if let Some(Object::Generator(gen)) = it.obj() {
        if gen.kind != crate::value::generator::GenKind::Generator {
            let msg = format!("'{}' object is not an iterator", vm.type_name(it));
            return Err(vm.type_error(&msg));
        }
        let g = it.as_objref().unwrap().clone();
        return match vm.resume_generator(&g, Value::None)? {
            crate::vm::gen::GenStep::Yield(v) => Ok(v),
            crate::vm::gen::GenStep::Return(r) => match default {
                Some(d) => Ok(d.clone()),
                None => Err(vm.stop_iteration(r)),
            },
        };
    }
    let is_iter = matches!(it.obj(), Some(Object::Iter(_)))
        || vm.lookup_type_attr(&vm.class_of(it), &crate::interp::names().__next__).is_some();
    if !is_iter {
        let msg = format!("'{}' object is not an iterator", vm.type_name(it));
        return Err(vm.type_error(&msg));
    }
    match vm.iter_next(it)? {
        Some(v) => Ok(v),
        None => match default {
            Some(d) => Ok(d.clone()),
            None => Err(vm.stop_iteration(Value::None)),
        },
    }
}

pub fn is_callable(vm: &mut Vm, v: &Value) -> bool {
    match v.obj() {
        Some(Object::Function(_))
        | Some(Object::Builtin(_))
        | Some(Object::BoundMethod(_))
        | Some(Object::Class(_)) => true,
        Some(_) => {
            let cls = vm.class_of(v);
            vm.lookup_type_attr(&cls, &crate::interp::names().__call__).is_some()
        }
        None => false,
    }
}

/// Return whether the object is callable (i.e., some kind of function).
///
/// Note that classes are callable, as are instances of classes with a __call__() method.
#[native("callable(obj, /)")]
fn callable(vm: &mut Vm, obj: &Value) -> PyResult<bool> {
    Ok(is_callable(vm, obj))
}

/// Return a Unicode string of one character with ordinal i; 0 <= i <= 0x10ffff.
#[native("chr(i, /)")]
fn chr(vm: &mut Vm, i: &Value) -> PyResult<Value> {
    let n = match i {
        Value::Int(n) => *n,
        _ if matches!(i.unwrap_base().obj(), Some(Object::BigInt(_))) => {
            return Err(vm.error(Exc::OverflowError, "Python int too large to convert to C int"))
        }
        _ => vm.index_value(i)?,
    };
    match u32::try_from(n).ok().and_then(char::from_u32) {
        Some(c) => Ok(Value::string(c.to_string())),
        None => Err(vm.value_error("chr() arg not in range(0x110000)")),
    }
}

/// Return the Unicode code point for a one-character string.
#[native("ord(c, /)")]
fn ord(vm: &mut Vm, c: &Value) -> PyResult<Value> {
    let v = c;
    match v.unwrap_base().obj() {
        Some(Object::Str(s)) => {
            if s.char_len() != 1 {
                let msg = format!("ord() expected a character, but string of length {} found", s.char_len());
                return Err(vm.type_error(&msg));
            }
            Ok(Value::Int(s.as_str().chars().next().unwrap() as i64))
        }
        Some(Object::Bytes(b)) if b.len() == 1 => Ok(Value::Int(b[0] as i64)),
        _ => {
            let msg = format!("ord() expected string of length 1, but {} found", vm.type_name(v));
            Err(vm.type_error(&msg))
        }
    }
}

fn radix(vm: &mut Vm, v: &Value, r: u32, prefix: &str) -> PyResult<Value> {
    let b = match crate::value::int::to_bigint(v) {
        Some(b) => b,
        None => vm.index_value_big(v)?,
    };
    let neg = b.sign() == num_bigint::Sign::Minus;
    let s = b.magnitude().to_str_radix(r);
    Ok(Value::string(format!("{}{}{}", if neg { "-" } else { "" }, prefix, s)))
}

/// Return the hexadecimal representation of an integer.
///
///    >>> hex(12648430)
///    '0xc0ffee'
#[native("hex(number, /)")]
fn hex(vm: &mut Vm, number: &Value) -> PyResult<Value> {
    radix(vm, number, 16, "0x")
}

/// Return the octal representation of an integer.
///
///    >>> oct(342391)
///    '0o1234567'
#[native("oct(number, /)")]
fn oct(vm: &mut Vm, number: &Value) -> PyResult<Value> {
    radix(vm, number, 8, "0o")
}

/// Return the binary representation of an integer.
///
///    >>> bin(2796202)
///    '0b1010101010101010101010'
#[native("bin(number, /)")]
fn bin(vm: &mut Vm, number: &Value) -> PyResult<Value> {
    radix(vm, number, 2, "0b")
}

/// Return the tuple (x//y, x%y).  Invariant: div*y + mod == x.
#[native("divmod(x, y, /)")]
fn divmod(vm: &mut Vm, x: Value, y: Value) -> PyResult<Value> {
    divmod_values(vm, x, y)
}

fn divmod_values(vm: &mut Vm, a: Value, b: Value) -> PyResult<Value> {
    let is_num = |v: &Value| {
        matches!(v, Value::Int(_) | Value::Bool(_) | Value::Float(_)) || matches!(v.obj(), Some(Object::BigInt(_)))
    };
    if !is_num(&a) || !is_num(&b) {
        return divmod_dunder(vm, a, b);
    }
    let q = vm.binary_op(a.clone(), b.clone(), crate::operator::BinOp::FloorDiv)?;
    let r = vm.binary_op(a, b, crate::operator::BinOp::Mod)?;
    Ok(Value::tuple(vec![q, r]))
}

/// `divmod` of objects that are not both numbers: `__divmod__`, then `__rdivmod__`
/// (the reflected method first when the right operand's class is a proper subclass of
/// the left one's), as CPython's binary-operator protocol does.
fn divmod_dunder(vm: &mut Vm, a: Value, b: Value) -> PyResult<Value> {
    let not_impl = crate::interp::not_implemented();
    let ca = vm.class_of(&a);
    let cb = vm.class_of(&b);
    let same = ca.ptr_eq(&cb);
    let fwd = vm.lookup_type_attr(&ca, &crate::value::str::intern("__divmod__"));
    let rev = if same { None } else { vm.lookup_type_attr(&cb, &crate::value::str::intern("__rdivmod__")) };
    let rev_first = !same && crate::value::class::is_subclass(&cb, &ca);
    let mut calls: Vec<(Value, Value, Value)> = Vec::new();
    if rev_first {
        calls.extend(rev.clone().map(|f| (f, b.clone(), a.clone())));
    }
    calls.extend(fwd.map(|f| (f, a.clone(), b.clone())));
    if !rev_first {
        calls.extend(rev.map(|f| (f, b.clone(), a.clone())));
    }
    for (f, x, y) in calls {
        let r = vm.call(&f, Args::new([x, y]))?;
        if !r.is(&not_impl) {
            return Ok(r);
        }
    }
    // Instances of classes derived from int or float: divmod of the base values.
    if a.base_value().is_some() || b.base_value().is_some() {
        let (ua, ub) = (a.unwrap_base(), b.unwrap_base());
        let is_num = |v: &Value| {
            matches!(v, Value::Int(_) | Value::Bool(_) | Value::Float(_)) || matches!(v.obj(), Some(Object::BigInt(_)))
        };
        if is_num(ua) && is_num(ub) {
            return divmod_values(vm, ua.clone(), ub.clone());
        }
    }
    let msg = format!("unsupported operand type(s) for divmod(): '{}' and '{}'", vm.type_name(&a), vm.type_name(&b));
    Err(vm.type_error(&msg))
}

/// Equivalent to base**exp with 2 arguments or base**exp % mod with 3 arguments
///
/// Some types, such as ints, are able to use a more efficient algorithm when invoked
/// using the three argument form.
#[native("pow(base, exp, mod=None)")]
fn pow(vm: &mut Vm, base: Value, exp: Value, r#mod: Option<Value>) -> PyResult<Value> {
    match r#mod {
        None => vm.binary_op(base, exp, crate::operator::BinOp::Pow),
        Some(m) => {
            let (b, e, md) = match (
                crate::value::int::to_bigint(&base),
                crate::value::int::to_bigint(&exp),
                crate::value::int::to_bigint(&m),
            ) {
                (Some(b), Some(e), Some(md)) => (b, e, md),
                _ => return Err(vm.type_error("pow() 3rd argument not allowed unless all arguments are integers")),
            };
            use num_traits::{Signed, Zero};
            if md.is_zero() {
                return Err(vm.value_error("pow() 3rd argument cannot be 0"));
            }
            let (b, e) = if e.is_negative() {
                // Modular inverse.
                let inv = mod_inverse(&b, &md);
                match inv {
                    Some(i) => (i, -e),
                    None => return Err(vm.value_error("base is not invertible for the given modulus")),
                }
            } else {
                (b, e)
            };
            let mabs = md.abs();
            let mut r = b.modpow(&e, &mabs);
            if r.is_negative() {
                r += &mabs;
            }
            if md.is_negative() && !r.is_zero() {
                r += &md;
            }
            Ok(crate::value::int::normalize(r))
        }
    }
}

fn mod_inverse(a: &num_bigint::BigInt, m: &num_bigint::BigInt) -> Option<num_bigint::BigInt> {
    use num_integer::Integer;
    use num_traits::{One, Signed};
    let g = a.extended_gcd(m);
    if !g.gcd.abs().is_one() {
        return None;
    }
    Some(g.x.mod_floor(&m.abs()))
}

/// Round a number to a given precision in decimal digits.
///
/// The return value is an integer if ndigits is omitted or None.  Otherwise the return
/// value has the same type as the number.  ndigits may be negative.
#[native("round(number, ndigits=None)")]
fn round(vm: &mut Vm, number: Value, ndigits: Option<Value>) -> PyResult<Value> {
    round_value(vm, number, ndigits)
}

fn round_value(vm: &mut Vm, x: Value, nd: Option<Value>) -> PyResult<Value> {
    match (&x, nd) {
        (Value::Float(f), None) => {
            if f.is_nan() {
                return Err(vm.value_error("cannot convert float NaN to integer"));
            }
            if f.is_infinite() {
                return Err(vm.error(Exc::OverflowError, "cannot convert float infinity to integer"));
            }
            let r = f.round_ties_even();
            match crate::value::int::f64_to_bigint(r) {
                Some(b) => Ok(crate::value::int::normalize(b)),
                None => Ok(Value::Int(0)),
            }
        }
        (Value::Float(f), Some(n)) => {
            let n = vm.index_value(&n)?;
            Ok(Value::Float(round_float(*f, n)))
        }
        (Value::Int(_) | Value::Bool(_), None) => Ok(vm.unary_pos(x.clone())?),
        (Value::Int(i), Some(n)) => {
            let n = vm.index_value(&n)?;
            if n >= 0 {
                return Ok(Value::Int(*i));
            }
            let p = 10i128.checked_pow((-n) as u32).unwrap_or(i128::MAX);
            let v = *i as i128;
            let q = v.div_euclid(p);
            let r = v.rem_euclid(p);
            let q = if 2 * r > p || (2 * r == p && q % 2 != 0) { q + 1 } else { q };
            Ok(Value::Int((q * p) as i64))
        }
        (_, nd) => {
            let cls = vm.class_of(&x);
            let f = vm.lookup_type_attr(&cls, &crate::interp::names().__round__);
            if let (false, Some(base)) = (crate::vm::ops::overrides(&f), x.base_value()) {
                if matches!(base, Value::Int(_) | Value::Float(_)) || matches!(base.obj(), Some(Object::BigInt(_))) {
                    let base = base.clone();
                    return round_value(vm, base, nd);
                }
            }
            match f {
                Some(f) => vm.call(&f, Args::new(std::iter::once(x.clone()).chain(nd))),
                None => {
                    let msg = format!("type {} doesn't define __round__ method", vm.type_name(&x));
                    Err(vm.type_error(&msg))
                }
            }
        }
    }
}

/// round(x, n) for floats: correctly rounded through the decimal string.
pub fn round_float(x: f64, n: i64) -> f64 {
    if !x.is_finite() || n > 300 {
        return x;
    }
    if n >= 0 {
        let s = format!("{:.*}", n as usize, x);
        return s.parse().unwrap_or(x);
    }
    let p = 10f64.powi((-n) as i32);
    let y = x / p;
    let r = y.round_ties_even();
    let r = if (y - y.trunc()).abs() == 0.5 { r } else { y.round() };
    r * p
}

/// Return type(value).__format__(value, format_spec)
///
/// Many built-in types implement format_spec according to the Format Specification
/// Mini-language. See help('FORMATTING').
#[native("format(value, format_spec='', /)")]
fn format(vm: &mut Vm, value: &Value, format_spec: &str) -> PyResult<String> {
    vm.format(value, format_spec)
}

/// vars([object]) -> dictionary
///
/// Without arguments, equivalent to locals(). With an argument, equivalent to
/// object.__dict__.
#[native("vars(object=<unrepresentable>, /)")]
fn vars(vm: &mut Vm, object: Option<&Value>) -> PyResult<Value> {
    match object {
        None => locals_dict(vm),
        Some(v) => {
            let d = intern("__dict__");
            match vm.get_attr_opt(v, &d)? {
                Some(x) => Ok(x),
                None => Err(vm.type_error("vars() argument must have __dict__ attribute")),
            }
        }
    }
}

/// `dir(obj)`: sorted attribute names.
pub fn dir_of(vm: &mut Vm, v: &Value) -> PyResult<Value> {
    let mut names: Vec<String> = Vec::new();
    match v.obj() {
        Some(Object::Module(m)) => names.extend(m.globals.items().into_iter().map(|(k, _)| k.str_text().to_string())),
        _ => {
            if let Some(i) = v.as_instance() {
                names.extend(i.attrs().keys().iter().filter_map(|k| k.as_str().map(|s| s.as_str().to_string())));
            }
            let cls = match v.obj() {
                Some(Object::Class(_)) => v.as_objref().unwrap().clone(),
                _ => vm.class_of(v),
            };
            for c in crate::value::class::mro_of(&cls) {
                if let Object::Class(cc) = &*c {
                    names.extend(
                        cc.dict.read().keys().iter().filter_map(|k| k.as_str().map(|s| s.as_str().to_string())),
                    );
                }
            }
        }
    }
    names.sort();
    names.dedup();
    Ok(Value::list(names.into_iter().map(Value::string).collect()))
}

/// Show attributes of an object.
///
/// If called without an argument, return the names in the current scope. Else,
/// return an alphabetized list of names comprising (some of) the attributes of the
/// given object, and of attributes reachable from it.
#[native("dir(object=<unrepresentable>, /)")]
fn dir(vm: &mut Vm, object: Option<&Value>) -> PyResult<Value> {
    match object {
        Some(v) => dir_of(vm, v),
        None => match vm.caller_module() {
            Some(m) => {
                let mut names: Vec<String> =
                    m.globals.items().into_iter().map(|(k, _)| k.str_text().to_string()).collect();
                names.sort();
                Ok(Value::list(names.into_iter().map(Value::string).collect()))
            }
            None => Ok(Value::list(vec![])),
        },
    }
}

/// Return the dictionary containing the current scope's global variables.
#[native("globals()")]
fn globals(vm: &mut Vm) -> PyResult<Value> {
    let items = vm.caller_module().map(|m| m.globals.items()).unwrap_or_default();
    let d = Value::new(Object::Dict(crate::value::dict::DictObj::new(Default::default())));
    for (k, v) in items {
        vm.dict_set(&d, Value::Obj(k), v)?;
    }
    Ok(d)
}

/// Return a dictionary containing the current scope's local variables.
#[native("locals()")]
fn locals(vm: &mut Vm) -> PyResult<Value> {
    locals_dict(vm)
}

pub(super) fn locals_dict(vm: &mut Vm) -> PyResult<Value> {
    let d = Value::new(Object::Dict(crate::value::dict::DictObj::new(Default::default())));
    let pairs: Vec<(Value, Value)> = match vm.caller_frame() {
        Some(f) if f.code.flags & crate::bytecode::CO_TOPLEVEL != 0 && f.namespace.is_none() => {
            f.module.globals.items().into_iter().map(|(k, v)| (Value::Obj(k), v)).collect()
        }
        Some(f) => {
            if let Some(ns) = &f.namespace {
                return Ok(ns.clone());
            }
            let mut out = Vec::new();
            for (i, n) in f.code.varnames.iter().enumerate() {
                let v = f.values[i].clone();
                if !v.is_null() {
                    out.push((Value::Obj(n.clone()), v));
                }
            }
            for (i, n) in f.code.cellvars.iter().chain(f.code.freevars.iter()).enumerate() {
                if let Some(Object::Cell(s)) = f.cells.get(i).map(|c| &**c) {
                    let v = s.get();
                    if !v.is_null() {
                        out.push((Value::Obj(n.clone()), v));
                    }
                }
            }
            out
        }
        None => Vec::new(),
    };
    for (k, v) in pairs {
        vm.dict_set(&d, k, v)?;
    }
    Ok(d)
}

/// Read a string from standard input.  The trailing newline is stripped.
///
/// The prompt string, if given, is printed to standard output without a trailing
/// newline before reading input. If the user hits EOF, raise EOFError.
#[native("input(prompt='', /)")]
fn input(vm: &mut Vm, prompt: Option<&Value>) -> PyResult<Value> {
    if let Some(p) = prompt {
        let s = vm.str_of(p)?;
        crate::stdio::write_stdout(&s);
    }
    crate::stdio::flush_stdout();
    let mut line = String::new();
    match std::io::stdin().read_line(&mut line) {
        Ok(0) => Err(vm.error(Exc::EOFError, "EOF when reading a line")),
        Ok(_) => {
            if line.ends_with('\n') {
                line.pop();
                if line.ends_with('\r') {
                    line.pop();
                }
            }
            Ok(Value::string(line))
        }
        Err(e) => Err(vm.error(Exc::OSError, &e.to_string())),
    }
}

/// Adapter for the old `__getitem__` iteration protocol: `getitem(bound, i)`, where
/// IndexError ends the iteration.
#[native("getitem(getitem, index, /)")]
pub fn seq_getitem_adapter(vm: &mut Vm, getitem: &Value, index: Value) -> PyResult<Value> {
    match vm.call(getitem, Args::new([index])) {
        Ok(v) => Ok(v),
        Err(e) => {
            let ie = Exc::IndexError.class().clone();
            if crate::value::class::is_subclass(&vm.class_of(&e.exc), &ie) {
                Err(vm.stop_iteration(Value::None))
            } else {
                Err(e)
            }
        }
    }
}

// The iterator types `enumerate`, `zip`, `map`, `filter` and `reversed` are
// classes; their constructors are here.

/// Return an enumerate object.
///
///   iterable
///     an object supporting iteration
///
/// The enumerate object yields pairs containing a count (from start, which defaults
/// to zero) and a value yielded by the iterable argument.
#[native("enumerate.__new__($cls, iterable=<unrepresentable>, start=0{Value::Int(0)})")]
pub fn enumerate_new(vm: &mut Vm, cls: &Value, iterable: Option<&Value>, start: Value) -> PyResult<Value> {
    let _ = cls;
    // CPython's message names the parameter without a position here.
    let Some(it) = iterable else {
        return Err(vm.type_error("enumerate() missing required argument 'iterable'"));
    };
    let inner = vm.get_iter(it)?;
    let start = vm.index_value(&start)?;
    Ok(Value::new(Object::Iter(IterObj::Enumerate { inner, count: AtomicI64::new(start) })))
}

/// zip(*iterables, strict=False) --> Yield tuples until an input is exhausted.
#[native("zip.__new__($cls, *iterables, **kwargs)")]
pub fn zip_new(vm: &mut Vm, cls: &Value, iterables: &[Value], kwargs: KwArgs) -> PyResult<Value> {
    let _ = cls;
    let mut strict = false;
    if kwargs.len() > 1 {
        let msg = format!("zip() takes at most 1 keyword argument ({} given)", kwargs.len());
        return Err(vm.type_error(&msg));
    }
    for (k, v) in &kwargs {
        if k.str_text() != "strict" {
            return Err(vm.type_error(&crate::native::messages::invalid_keyword("zip", k.str_text())));
        }
        strict = vm.truthy(v)?;
    }
    let mut iters = Vec::new();
    for a in iterables {
        iters.push(vm.get_iter(a)?);
    }
    Ok(Value::new(Object::Iter(IterObj::Zip { iters, strict })))
}

/// map(func, *iterables) --> map object
///
/// Make an iterator that computes the function using arguments from each of the
/// iterables.  Stops when the shortest iterable is exhausted.
#[native("map.__new__($cls, *args)")]
pub fn map_new(vm: &mut Vm, cls: &Value, args: &[Value]) -> PyResult<Value> {
    let _ = cls;
    if args.len() < 2 {
        return Err(vm.type_error("map() must have at least two arguments."));
    }
    let func = args[0].clone();
    let mut iters = Vec::new();
    for a in &args[1..] {
        iters.push(vm.get_iter(a)?);
    }
    Ok(Value::new(Object::Iter(IterObj::Map { func, iters })))
}

/// filter(function or None, iterable) --> filter object
///
/// Return an iterator yielding those items of iterable for which function(item)
/// is true. If function is None, return the items that are true.
#[native("filter.__new__($cls, function, iterable, /)")]
pub fn filter_new(vm: &mut Vm, cls: &Value, function: Value, iterable: &Value) -> PyResult<Value> {
    let _ = cls;
    let inner = vm.get_iter(iterable)?;
    Ok(Value::new(Object::Iter(IterObj::Filter { func: function, inner })))
}

/// Return a reverse iterator over the values of the given sequence.
#[native("reversed.__new__($cls, sequence, /)", style = "positional")]
pub fn reversed_new(vm: &mut Vm, cls: &Value, sequence: &Value) -> PyResult<Value> {
    let _ = cls;
    reversed_of(vm, sequence)
}

fn reversed_of(vm: &mut Vm, seq: &Value) -> PyResult<Value> {
    let n = match seq.obj() {
        Some(Object::List(l)) => l.len(),
        Some(Object::Tuple(t)) => t.len(),
        Some(Object::Str(s)) => s.char_len(),
        Some(Object::Range(r)) if r.is_empty() => 0,
        Some(o @ (Object::Range(_) | Object::BigRange(_))) => {
            // A reversed range is again a range iterator (CPython's type name shows it):
            // the range from the last value down by -step.
            let (start, _, step, len) = crate::value::range::range_parts(o).unwrap();
            let last = &start + (&len - num_bigint::BigInt::from(1)) * &step;
            let rev = crate::value::range::make_range(last, &start - &step, -step);
            return vm.get_iter(&rev);
        }
        Some(Object::Dict(_)) => {
            let keys = seq.as_dict().unwrap().lock().keys();
            let l = Value::list(keys);
            let n = l.as_list().unwrap().len();
            return Ok(Value::new(Object::Iter(IterObj::Reversed { seq: l, index: AtomicUsize::new(n) })));
        }
        _ => {
            let cls = vm.class_of(seq);
            let f = vm.lookup_type_attr(&cls, &crate::interp::names().__reversed__);
            // list and dict have their own __reversed__, which reads the base value.
            if let (false, Some(base)) = (crate::vm::ops::overrides(&f), seq.base_value()) {
                if matches!(base.obj(), Some(Object::List(_)) | Some(Object::Dict(_))) {
                    let base = base.clone();
                    return reversed_of(vm, &base);
                }
            }
            if let Some(f) = f {
                return vm.call(&f, Args::new([seq.clone()]));
            }
            if vm.lookup_type_attr(&cls, &crate::interp::names().__getitem__).is_some() {
                let n = len_of(vm, seq)?;
                let mut items = Vec::with_capacity(n);
                for i in 0..n {
                    items.push(vm.get_item(seq, &Value::Int(i as i64))?);
                }
                let l = Value::list(items);
                return Ok(Value::new(Object::Iter(IterObj::Reversed { seq: l, index: AtomicUsize::new(n) })));
            }
            let msg = format!("'{}' object is not reversible", vm.type_name(seq));
            return Err(vm.type_error(&msg));
        }
    };
    Ok(Value::new(Object::Iter(IterObj::Reversed { seq: seq.clone(), index: AtomicUsize::new(n) })))
}
