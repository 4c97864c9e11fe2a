//! The builtin functions (`print`, `len`, `sorted`, `isinstance`, ...).

use super::arg;
use crate::native::Exc;
use crate::value::iter::IterObj;
use crate::value::str::intern;
use crate::value::{ObjRef, Object, Value};
use crate::vm::{Args, PyResult, Vm};
use std::sync::atomic::{AtomicI64, AtomicUsize};

pub const FUNCTIONS: &[(&str, crate::value::function::NativeFn)] = &[
    ("print", print),
    ("len", len),
    ("repr", repr),
    ("ascii", ascii),
    ("isinstance", isinstance),
    ("issubclass", issubclass),
    ("hasattr", hasattr),
    ("getattr", getattr),
    ("setattr", setattr),
    ("delattr", delattr),
    ("id", id),
    ("hash", hash),
    ("abs", abs),
    ("min", min),
    ("max", max),
    ("sum", sum),
    ("sorted", sorted),
    ("any", any),
    ("all", all),
    ("iter", iter),
    ("next", next),
    ("callable", callable),
    ("chr", chr),
    ("ord", ord),
    ("hex", hex),
    ("oct", oct),
    ("bin", bin),
    ("divmod", divmod),
    ("pow", pow),
    ("round", round),
    ("format", format),
    ("vars", vars),
    ("dir", dir),
    ("globals", globals),
    ("locals", locals),
    ("input", input),
    ("exec", exec),
    ("eval", eval),
    ("exit", exit),
    ("quit", exit),
    ("__import__", dunder_import),
];

/// `__import__(name, globals=None, locals=None, fromlist=(), level=0)`: what the
/// `import` statement does, returning the top package (or, with a non-empty
/// fromlist, the named module itself).
fn dunder_import(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let name = args.take(0, "name").unwrap_or(Value::None);
    if name.as_str().is_none() {
        return Err(vm.type_error("module name must be a string"));
    }
    let _globals = args.take(1, "globals");
    let _locals = args.take(2, "locals");
    let fromlist = args.take(3, "fromlist").unwrap_or(Value::None);
    let level = match args.take(4, "level") {
        Some(v) => vm.index_value(&v)?,
        None => 0,
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

fn print(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let sep = args.take_kw("sep").filter(|v| !v.is_none());
    let end = args.take_kw("end").filter(|v| !v.is_none());
    let file = args.take_kw("file").filter(|v| !v.is_none());
    let flush = args.take_kw("flush");
    if let Some((k, _)) = args.kw.first() {
        let msg = format!("'{}' is an invalid keyword argument for print()", k.str_text());
        return Err(vm.type_error(&msg));
    }
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
    for (i, a) in args.pos.iter().enumerate() {
        if i > 0 {
            text.push_str(&sep);
        }
        text.push_str(&vm.str_of(a)?);
    }
    text.push_str(&end);
    match file {
        None => crate::stdio::write_stdout(&text),
        Some(f) => super::sys_io::write_to(vm, &f, &text)?,
    }
    if let Some(fl) = flush {
        if vm.truthy(&fl)? {
            crate::stdio::flush_stdout();
        }
    }
    Ok(Value::None)
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

fn len(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let v = arg(vm, &args, 0, "len")?;
    Ok(Value::Int(len_of(vm, &v)? as i64))
}

fn repr(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let v = arg(vm, &args, 0, "repr")?;
    Ok(Value::string(vm.repr_of(&v)?))
}

fn ascii(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let v = arg(vm, &args, 0, "ascii")?;
    let r = vm.repr_of(&v)?;
    Ok(Value::string(super::format::ascii_escape(&r)))
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

fn isinstance(vm: &mut Vm, args: Args) -> PyResult<Value> {
    if args.pos.len() != 2 {
        let msg = format!("isinstance expected 2 arguments, got {}", args.pos.len());
        return Err(vm.type_error(&msg));
    }
    Ok(Value::Bool(is_instance(vm, &args.pos[0], &args.pos[1])?))
}

fn issubclass(vm: &mut Vm, args: Args) -> PyResult<Value> {
    if args.pos.len() != 2 {
        return Err(vm.type_error("issubclass expected 2 arguments"));
    }
    let c = match args.pos[0].as_objref() {
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
    Ok(Value::Bool(check(vm, &c, &args.pos[1])?))
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

fn hasattr(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let obj = arg(vm, &args, 0, "hasattr")?;
    let name = arg(vm, &args, 1, "hasattr")?;
    let name = attr_name(vm, &name)?;
    match vm.get_attr_opt(&obj, &name) {
        Ok(v) => Ok(Value::Bool(v.is_some())),
        Err(e) => {
            let ae = Exc::AttributeError.class().clone();
            if crate::value::class::is_subclass(&vm.class_of(&e.exc), &ae) {
                Ok(Value::Bool(false))
            } else {
                Err(e)
            }
        }
    }
}

fn getattr(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let obj = arg(vm, &args, 0, "getattr")?;
    let name = arg(vm, &args, 1, "getattr")?;
    let name = attr_name(vm, &name)?;
    match args.pos.get(2) {
        None => vm.get_attr(&obj, &name),
        Some(default) => match vm.get_attr_opt(&obj, &name) {
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

fn setattr(vm: &mut Vm, args: Args) -> PyResult<Value> {
    if args.pos.len() != 3 {
        let msg = format!("setattr expected 3 arguments, got {}", args.pos.len());
        return Err(vm.type_error(&msg));
    }
    let name = attr_name(vm, &args.pos[1])?;
    vm.set_attr(&args.pos[0], &name, args.pos[2].clone())?;
    Ok(Value::None)
}

fn delattr(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let obj = arg(vm, &args, 0, "delattr")?;
    let name = arg(vm, &args, 1, "delattr")?;
    let name = attr_name(vm, &name)?;
    vm.del_attr(&obj, &name)?;
    Ok(Value::None)
}

fn id(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let v = arg(vm, &args, 0, "id")?;
    Ok(Value::Int(v.id()))
}

fn hash(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let v = arg(vm, &args, 0, "hash")?;
    Ok(Value::Int(vm.hash(&v)?))
}

fn abs(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let v = arg(vm, &args, 0, "abs")?;
    match &v {
        Value::Int(i) => Ok(match i.checked_abs() {
            Some(a) => Value::Int(a),
            None => crate::value::int::normalize(num_bigint::BigInt::from(*i).magnitude().clone().into()),
        }),
        Value::Bool(b) => Ok(Value::Int(*b as i64)),
        Value::Float(f) => Ok(Value::Float(f.abs())),
        Value::Obj(o) => match &**o {
            Object::BigInt(b) => Ok(crate::value::int::normalize(num_traits::Signed::abs(b))),
            _ => {
                let cls = vm.class_of(&v);
                let f = vm.lookup_type_attr(&cls, &crate::interp::names().__abs__);
                if let (false, Some(base)) = (crate::vm::ops::overrides(&f), v.base_value()) {
                    let base = base.clone();
                    return abs(vm, Args::new([base]));
                }
                match f {
                    Some(f) => vm.call(&f, Args::new([v.clone()])),
                    None => {
                        let msg = format!("bad operand type for abs(): '{}'", vm.type_name(&v));
                        Err(vm.type_error(&msg))
                    }
                }
            }
        },
        _ => Err(vm.type_error("bad operand type for abs()")),
    }
}

fn min_max(vm: &mut Vm, mut args: Args, is_max: bool) -> PyResult<Value> {
    let name = if is_max { "max" } else { "min" };
    let key = args.take_kw("key").filter(|k| !k.is_none());
    let default = args.take_kw("default");
    // Iterate rather than collect: `max(x for x in big_generator)` stays O(1) in memory.
    let source = match args.pos.len() {
        0 => {
            let msg = format!("{name} expected at least 1 argument, got 0");
            return Err(vm.type_error(&msg));
        }
        1 => args.pos[0].clone(),
        _ => {
            if default.is_some() {
                let msg = format!("Cannot specify a default for {name}() with multiple positional arguments");
                return Err(vm.type_error(&msg));
            }
            Value::tuple(args.pos.to_vec())
        }
    };
    let it = vm.get_iter(&source)?;
    let op = if is_max { conc_grammar::ast::CmpOp::Gt } else { conc_grammar::ast::CmpOp::Lt };
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

fn min(vm: &mut Vm, args: Args) -> PyResult<Value> {
    min_max(vm, args, false)
}

fn max(vm: &mut Vm, args: Args) -> PyResult<Value> {
    min_max(vm, args, true)
}

fn sum(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let start = args.take_kw("start").or_else(|| args.pos.get(1).cloned()).unwrap_or(Value::Int(0));
    if start.as_str().is_some() {
        return Err(vm.type_error("sum() can't sum strings [use ''.join(seq) instead]"));
    }
    let src = arg(vm, &args, 0, "sum")?;
    let it = vm.get_iter(&src)?;
    let mut acc = start;
    while let Some(v) = vm.iter_next(&it)? {
        acc = match (&acc, &v) {
            (Value::Int(a), Value::Int(b)) => match a.checked_add(*b) {
                Some(r) => Value::Int(r),
                None => vm.binary_op(acc, v, conc_grammar::ast::BinOp::Add)?,
            },
            (Value::Float(a), Value::Float(b)) => Value::Float(a + b),
            _ => vm.binary_op(acc, v, conc_grammar::ast::BinOp::Add)?,
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
            let r = vm.compare(x, y, conc_grammar::ast::CmpOp::Lt)?;
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

fn sorted(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let key = args.take_kw("key").filter(|k| !k.is_none());
    let reverse = match args.take_kw("reverse") {
        Some(r) => vm.truthy(&r)?,
        None => false,
    };
    let src = arg(vm, &args, 0, "sorted")?;
    let items = vm.collect(&src)?;
    Ok(Value::list(sort_values(vm, items, key, reverse)?))
}

fn any(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let src = arg(vm, &args, 0, "any")?;
    let it = vm.get_iter(&src)?;
    while let Some(v) = vm.iter_next(&it)? {
        if vm.truthy(&v)? {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

fn all(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let src = arg(vm, &args, 0, "all")?;
    let it = vm.get_iter(&src)?;
    while let Some(v) = vm.iter_next(&it)? {
        if !vm.truthy(&v)? {
            return Ok(Value::Bool(false));
        }
    }
    Ok(Value::Bool(true))
}

fn iter(vm: &mut Vm, args: Args) -> PyResult<Value> {
    match args.pos.len() {
        1 => vm.get_iter(&args.pos[0]),
        2 => Ok(crate::vm::iter::callable_iter(args.pos[0].clone(), args.pos[1].clone())),
        n => {
            let msg = format!("iter expected at most 2 arguments, got {n}");
            Err(vm.type_error(&msg))
        }
    }
}

fn next(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let it = arg(vm, &args, 0, "next")?;
    if let Some(Object::Generator(_)) = it.obj() {
        let g = it.as_objref().unwrap().clone();
        return match vm.resume_generator(&g, Value::None)? {
            crate::vm::gen::GenStep::Yield(v) => Ok(v),
            crate::vm::gen::GenStep::Return(r) => match args.pos.get(1) {
                Some(d) => Ok(d.clone()),
                None => Err(vm.stop_iteration(r)),
            },
        };
    }
    let is_iter = matches!(it.obj(), Some(Object::Iter(_)))
        || vm.lookup_type_attr(&vm.class_of(&it), &crate::interp::names().__next__).is_some();
    if !is_iter {
        let msg = format!("'{}' object is not an iterator", vm.type_name(&it));
        return Err(vm.type_error(&msg));
    }
    match vm.iter_next(&it)? {
        Some(v) => Ok(v),
        None => match args.pos.get(1) {
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

fn callable(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let v = arg(vm, &args, 0, "callable")?;
    Ok(Value::Bool(is_callable(vm, &v)))
}

fn chr(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let v = arg(vm, &args, 0, "chr")?;
    let n = vm.index_value(&v)?;
    match u32::try_from(n).ok().and_then(char::from_u32) {
        Some(c) => Ok(Value::string(c.to_string())),
        None => Err(vm.value_error("chr() arg not in range(0x110000)")),
    }
}

fn ord(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let v = arg(vm, &args, 0, "ord")?;
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
            let msg = format!("ord() expected string of length 1, but {} found", vm.type_name(&v));
            Err(vm.type_error(&msg))
        }
    }
}

fn radix(vm: &mut Vm, args: &Args, name: &str, r: u32, prefix: &str) -> PyResult<Value> {
    let v = arg(vm, args, 0, name)?;
    let b = match crate::value::int::to_bigint(&v) {
        Some(b) => b,
        None => {
            let msg = format!("'{}' object cannot be interpreted as an integer", vm.type_name(&v));
            return Err(vm.type_error(&msg));
        }
    };
    let neg = b.sign() == num_bigint::Sign::Minus;
    let s = b.magnitude().to_str_radix(r);
    Ok(Value::string(format!("{}{}{}", if neg { "-" } else { "" }, prefix, s)))
}

fn hex(vm: &mut Vm, args: Args) -> PyResult<Value> {
    radix(vm, &args, "hex", 16, "0x")
}

fn oct(vm: &mut Vm, args: Args) -> PyResult<Value> {
    radix(vm, &args, "oct", 8, "0o")
}

fn bin(vm: &mut Vm, args: Args) -> PyResult<Value> {
    radix(vm, &args, "bin", 2, "0b")
}

fn divmod(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let a = arg(vm, &args, 0, "divmod")?;
    let b = arg(vm, &args, 1, "divmod")?;
    let is_num = |v: &Value| {
        matches!(v, Value::Int(_) | Value::Bool(_) | Value::Float(_)) || matches!(v.obj(), Some(Object::BigInt(_)))
    };
    if !is_num(&a) || !is_num(&b) {
        return divmod_dunder(vm, a, b);
    }
    let q = vm.binary_op(a.clone(), b.clone(), conc_grammar::ast::BinOp::FloorDiv)?;
    let r = vm.binary_op(a, b, conc_grammar::ast::BinOp::Mod)?;
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
            return divmod(vm, Args::new([ua.clone(), ub.clone()]));
        }
    }
    let msg = format!("unsupported operand type(s) for divmod(): '{}' and '{}'", vm.type_name(&a), vm.type_name(&b));
    Err(vm.type_error(&msg))
}

fn pow(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let base = args.take(0, "base").unwrap_or(Value::None);
    let exp = args.take(1, "exp").unwrap_or(Value::None);
    let m = args.take(2, "mod").filter(|m| !m.is_none());
    match m {
        None => vm.binary_op(base, exp, conc_grammar::ast::BinOp::Pow),
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

fn round(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let x = args.take(0, "number").unwrap_or(Value::None);
    let nd = args.take(1, "ndigits").filter(|v| !v.is_none());
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
                    let mut a = Args::new([base.clone()]);
                    a.pos.extend(nd.clone());
                    return round(vm, a);
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

fn format(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let v = arg(vm, &args, 0, "format")?;
    let spec = args.pos.get(1).and_then(|s| s.as_str()).map(|s| s.as_str().to_string()).unwrap_or_default();
    Ok(Value::string(vm.format(&v, &spec)?))
}

fn vars(vm: &mut Vm, args: Args) -> PyResult<Value> {
    match args.pos.first() {
        None => locals(vm, args),
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

fn dir(vm: &mut Vm, args: Args) -> PyResult<Value> {
    match args.pos.first() {
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

fn globals(vm: &mut Vm, _args: Args) -> PyResult<Value> {
    let items = vm.caller_module().map(|m| m.globals.items()).unwrap_or_default();
    let d = Value::new(Object::Dict(crate::value::dict::DictObj::new(Default::default())));
    for (k, v) in items {
        vm.dict_set(&d, Value::Obj(k), v)?;
    }
    Ok(d)
}

fn locals(vm: &mut Vm, _args: Args) -> PyResult<Value> {
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

fn input(vm: &mut Vm, args: Args) -> PyResult<Value> {
    if let Some(p) = args.pos.first() {
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

fn exec(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let src = arg(vm, &args, 0, "exec")?;
    let Some(s) = src.as_str() else {
        return Err(vm.type_error("exec() arg 1 must be a string"));
    };
    let src = s.as_str().to_string();
    match args.pos.get(1) {
        None | Some(Value::None) => {}
        Some(g) if g.as_dict().is_some() => {
            if matches!(args.pos.get(2), Some(l) if !l.is_none() && !l.is(g)) {
                return Err(vm.error(Exc::NotImplementedError, "exec() with locals other than its globals"));
            }
            let g = g.clone();
            return exec_in_dict(vm, &src, &g);
        }
        Some(g) => {
            let msg = format!("exec() globals must be a dict, not {}", vm.type_name(g));
            return Err(vm.type_error(&msg));
        }
    }
    let module = match vm.caller_module() {
        Some(m) => m,
        None => crate::interp::builtins_module(),
    };
    let mref = find_module_ref(module);
    match mref {
        Some(m) => {
            vm.exec_in_module(&m, "<string>", &src, crate::compiler::Mode::Exec)?;
            Ok(Value::None)
        }
        None => Err(vm.error(Exc::NotImplementedError, "exec() outside a module")),
    }
}

/// `exec(src, globals)`: the code runs as a module of its own whose globals start as
/// the dict's items and are copied back into the dict afterwards (also when the code
/// raises). Functions it defines keep that module as their globals, so later changes
/// to the dict are not seen by them, unlike CPython. The module is never freed
/// (code refers to its module for ever), so each such call costs a little memory.
fn exec_in_dict(vm: &mut Vm, src: &str, globals: &Value) -> PyResult<Value> {
    let name = match vm.dict_get(globals, &Value::str("__name__"))? {
        Some(n) if n.as_str().is_some() => n.as_str().unwrap().as_str().to_string(),
        _ => "builtins".to_string(),
    };
    let m = ObjRef::new_immortal(Object::Module(Box::new(crate::value::module::ModuleObj::new(&name, None))));
    let Object::Module(module) = m.as_static() else { unreachable!() };
    let items = globals.as_dict().map(|d| d.lock().items()).unwrap_or_default();
    for (k, v) in items {
        if let Some(key) = k.as_str() {
            module.globals.set(&intern(key.as_str()), v);
        }
    }
    let r = vm.exec_in_module(&m, "<string>", src, crate::compiler::Mode::Exec);
    for (k, v) in module.globals.items() {
        vm.dict_set(globals, Value::Obj(k), v)?;
    }
    if vm.dict_get(globals, &Value::str("__builtins__"))?.is_none() {
        let b = find_module_ref(crate::interp::builtins_module()).map(Value::Obj).unwrap_or(Value::None);
        vm.dict_set(globals, Value::str("__builtins__"), b)?;
    }
    r.map(|_| Value::None)
}

fn eval(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let src = arg(vm, &args, 0, "eval")?;
    let Some(s) = src.as_str() else {
        return Err(vm.type_error("eval() arg 1 must be a string, bytes or code object"));
    };
    let text = format!("__eval_result__ = ({})", s.as_str().trim());
    let module = match vm.caller_module() {
        Some(m) => m,
        None => crate::interp::builtins_module(),
    };
    match find_module_ref(module) {
        Some(m) => {
            vm.exec_in_module(&m, "<string>", &text, crate::compiler::Mode::Exec)?;
            let name = intern("__eval_result__");
            let v = module.globals.get("__eval_result__");
            if let Some(i) = module.globals.index_of(name.str_text()) {
                module.globals.slot(i).take();
            }
            Ok(v)
        }
        None => Err(vm.error(Exc::NotImplementedError, "eval() outside a module")),
    }
}

/// The module object (as a reference) whose data is `m`.
fn find_module_ref(m: &'static crate::value::module::ModuleObj) -> Option<ObjRef> {
    let mods = crate::interp::interp().modules.lock();
    for v in mods.values() {
        if let Some(o) = v.as_objref() {
            if let Object::Module(mm) = &**o {
                if std::ptr::eq(&**mm, m) {
                    return Some(o.clone());
                }
            }
        }
    }
    None
}

fn exit(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let code = args.pos.first().cloned().unwrap_or(Value::None);
    let cls = Exc::SystemExit.class().clone();
    let a = if code.is_none() { vec![] } else { vec![code] };
    Err(vm.new_exception(&cls, a))
}

/// Adapter for the old `__getitem__` iteration protocol: `getitem(bound, i)`, where
/// IndexError ends the iteration.
pub fn seq_getitem_adapter(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let f = args.pos[0].clone();
    let i = args.pos[1].clone();
    match vm.call(&f, Args::new([i])) {
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

/// `enumerate(iterable, start=0)` etc. are classes; their constructors are here.
pub fn enumerate_new(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let it = args.take(1, "iterable").unwrap_or(Value::None);
    let start = args.take(2, "start").unwrap_or(Value::Int(0));
    let inner = vm.get_iter(&it)?;
    let start = vm.index_value(&start)?;
    Ok(Value::new(Object::Iter(IterObj::Enumerate { inner, count: AtomicI64::new(start) })))
}

pub fn zip_new(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let strict = match args.take_kw("strict") {
        Some(s) => vm.truthy(&s)?,
        None => false,
    };
    let mut iters = Vec::new();
    for a in args.pos.iter().skip(1) {
        iters.push(vm.get_iter(a)?);
    }
    Ok(Value::new(Object::Iter(IterObj::Zip { iters, strict })))
}

pub fn map_new(vm: &mut Vm, args: Args) -> PyResult<Value> {
    if args.pos.len() < 3 {
        return Err(vm.type_error("map() must have at least two arguments."));
    }
    let func = args.pos[1].clone();
    let mut iters = Vec::new();
    for a in args.pos.iter().skip(2) {
        iters.push(vm.get_iter(a)?);
    }
    Ok(Value::new(Object::Iter(IterObj::Map { func, iters })))
}

pub fn filter_new(vm: &mut Vm, args: Args) -> PyResult<Value> {
    if args.pos.len() != 3 {
        return Err(vm.type_error("filter expected 2 arguments"));
    }
    let inner = vm.get_iter(&args.pos[2])?;
    Ok(Value::new(Object::Iter(IterObj::Filter { func: args.pos[1].clone(), inner })))
}

pub fn reversed_new(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let seq = arg(vm, &args, 1, "reversed")?;
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
            let cls = vm.class_of(&seq);
            let f = vm.lookup_type_attr(&cls, &crate::interp::names().__reversed__);
            // list and dict have their own __reversed__, which reads the base value.
            if let (false, Some(base)) = (crate::vm::ops::overrides(&f), seq.base_value()) {
                if matches!(base.obj(), Some(Object::List(_)) | Some(Object::Dict(_))) {
                    let base = base.clone();
                    return reversed_new(vm, Args::new([Value::None, base]));
                }
            }
            if let Some(f) = f {
                return vm.call(&f, Args::new([seq.clone()]));
            }
            if vm.lookup_type_attr(&cls, &crate::interp::names().__getitem__).is_some() {
                let n = len_of(vm, &seq)?;
                let mut items = Vec::with_capacity(n);
                for i in 0..n {
                    items.push(vm.get_item(&seq, &Value::Int(i as i64))?);
                }
                let l = Value::list(items);
                return Ok(Value::new(Object::Iter(IterObj::Reversed { seq: l, index: AtomicUsize::new(n) })));
            }
            let msg = format!("'{}' object is not reversible", vm.type_name(&seq));
            return Err(vm.type_error(&msg));
        }
    };
    Ok(Value::new(Object::Iter(IterObj::Reversed { seq, index: AtomicUsize::new(n) })))
}
