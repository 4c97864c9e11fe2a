//! The built-in exception hierarchy (names and parents as in CPython 3.11) and the
//! methods of BaseException.

use crate::interp::{add_methods, new_class};
use crate::native::Exc;
use crate::value::class::BaseKind;
use crate::value::dict::DictData;
use crate::value::str::intern;
use crate::value::{ObjRef, Object, Value};
use crate::vm::exc::{exc_data, ExcData};
use crate::vm::{Args, PyResult, Vm};
use std::collections::HashMap;

pub fn build_hierarchy(object: &ObjRef) -> HashMap<&'static str, ObjRef> {
    let mut m: HashMap<&'static str, ObjRef> = HashMap::new();
    for e in Exc::ALL {
        let base = match e.parent() {
            Some(p) => m[p.name()].clone(),
            None => object.clone(),
        };
        let cls = new_class(e.name(), "builtins", vec![base], BaseKind::Exception, true, DictData::new());
        m.insert(e.name(), cls);
    }
    m.insert("IOError", m["OSError"].clone());
    m.insert("EnvironmentError", m["OSError"].clone());
    m
}

pub fn register(_vm: &mut Vm) {
    let base = Exc::BaseException.class().clone();
    add_methods(
        &base,
        &[
            ("__new__", exc_new),
            ("__init__", exc_init),
            ("__str__", exc_str),
            ("__repr__", exc_repr),
            ("with_traceback", exc_with_traceback),
            ("add_note", exc_add_note),
        ],
    );
    let key = Exc::KeyError.class().clone();
    add_methods(&key, &[("__str__", key_error_str)]);
}

/// Attributes some exception classes set from their arguments (StopIteration.value,
/// SystemExit.code, OSError.errno/strerror, ...).
pub fn init_special_attrs(exc: &Value, cls: &ObjRef, args: &[Value]) {
    let Some(inst) = exc.as_instance() else {
        return;
    };
    let is = |kind: Exc| crate::value::class::is_subclass(cls, kind.class());
    let set = |k: &str, v: Value| {
        let n = intern(k);
        inst.attrs().set_simple(crate::value::class::name_hash(&n), Value::Obj(n), v);
    };
    let first = args.first().cloned().unwrap_or(Value::None);
    if is(Exc::StopIteration) {
        set("value", first);
    } else if is(Exc::SystemExit) {
        set("code", if args.len() > 1 { Value::tuple(args.to_vec()) } else { first });
    } else if is(Exc::OSError) {
        if args.len() >= 2 {
            set("errno", args[0].clone());
            set("strerror", args[1].clone());
            set("filename", args.get(2).cloned().unwrap_or(Value::None));
        } else {
            set("errno", Value::None);
            set("strerror", Value::None);
            set("filename", Value::None);
        }
    } else if is(Exc::ImportError) {
        set("name", Value::None);
        set("path", Value::None);
        set("msg", first);
    }
}

/// `BaseException.__new__(cls, *args)`: an instance carrying exception data.
fn exc_new(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let cls = match args.pos.first().and_then(|c| c.as_objref()) {
        Some(c) => c.clone(),
        None => return Err(vm.type_error("BaseException.__new__(X): X is not a type object")),
    };
    let rest: Vec<Value> = args.pos[1..].to_vec();
    // OSError(errno, strerror) picks the subclass for the errno, as in CPython.
    if rest.len() >= 2 && cls.ptr_eq(Exc::OSError.class()) {
        if let Value::Int(errno) = rest[0] {
            if let Some(kind) = Exc::for_errno(errno) {
                return Ok(crate::vm::exc::new_exception(kind.class(), rest));
            }
        }
    }
    Ok(crate::vm::exc::new_exception(&cls, rest))
}

/// `BaseException.__init__(self, *args)`: stores args.
fn exc_init(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let this = args.pos.first().cloned().unwrap_or(Value::None);
    let rest: Vec<Value> = args.pos[1..].to_vec();
    if let Some(d) = exc_data(&this) {
        *d.args.lock() = Value::tuple(rest.clone());
    }
    let cls = vm.class_of(&this);
    init_special_attrs(&this, &cls, &rest);
    Ok(Value::None)
}

pub fn exc_args(v: &Value) -> Vec<Value> {
    exc_data(v).and_then(|d| d.args.lock().as_tuple().map(|t| t.items().to_vec())).unwrap_or_default()
}

fn exc_str(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let this = args.pos.first().cloned().unwrap_or(Value::None);
    let a = exc_args(&this);
    Ok(Value::string(match a.len() {
        0 => String::new(),
        1 => vm.str_of(&a[0])?,
        _ => vm.repr_of(&Value::tuple(a))?,
    }))
}

fn key_error_str(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let this = args.pos.first().cloned().unwrap_or(Value::None);
    let a = exc_args(&this);
    Ok(Value::string(match a.len() {
        0 => String::new(),
        1 => vm.repr_of(&a[0])?,
        _ => vm.repr_of(&Value::tuple(a))?,
    }))
}

fn exc_repr(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let this = args.pos.first().cloned().unwrap_or(Value::None);
    let name = vm.class_of(&this).class_name().to_string();
    let a = exc_args(&this);
    let inner = match a.len() {
        1 => vm.repr_of(&a[0])?,
        _ => {
            let t = vm.repr_of(&Value::tuple(a.clone()))?;
            if a.is_empty() {
                String::new()
            } else {
                t[1..t.len() - 1].to_string()
            }
        }
    };
    Ok(Value::string(format!("{name}({inner})")))
}

fn exc_with_traceback(_vm: &mut Vm, args: Args) -> PyResult<Value> {
    Ok(args.pos.first().cloned().unwrap_or(Value::None))
}

fn exc_add_note(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let this = args.pos.first().cloned().unwrap_or(Value::None);
    let note = args.pos.get(1).cloned().unwrap_or(Value::None);
    let name = intern("__notes__");
    let notes = match vm.get_attr_opt(&this, &name)? {
        Some(n) => n,
        None => {
            let l = Value::list(vec![]);
            vm.set_attr(&this, &name, l.clone())?;
            l
        }
    };
    if let Some(l) = notes.as_list() {
        l.push(note);
    }
    Ok(Value::None)
}

/// Special attributes of exceptions: args, __cause__, __context__, ...
pub fn exc_attr(vm: &mut Vm, obj: &Value, name: &str) -> Option<Value> {
    let d: &ExcData = exc_data(obj)?;
    Some(match name {
        "args" => d.args.lock().clone(),
        "__cause__" => d.cause.lock().clone(),
        "__context__" => d.context.lock().clone(),
        "__suppress_context__" => Value::Bool(d.suppress_context.load(std::sync::atomic::Ordering::Relaxed)),
        "__traceback__" => vm.traceback_value(obj),
        _ => return None,
    })
}

/// Sets `args`, `__cause__`, `__context__` on an exception; false for other names.
pub fn exc_set_attr(obj: &Value, name: &str, v: &Value) -> bool {
    let Some(d) = exc_data(obj) else { return false };
    match name {
        "args" => *d.args.lock() = v.clone(),
        "__cause__" => {
            *d.cause.lock() = v.clone();
            d.suppress_context.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        "__context__" => *d.context.lock() = v.clone(),
        "__suppress_context__" => {
            d.suppress_context.store(matches!(v, Value::Bool(true)), std::sync::atomic::Ordering::Relaxed);
        }
        _ => return false,
    }
    true
}

/// True when `v` is an instance of an exception class.
pub fn is_exception(v: &Value) -> bool {
    matches!(v.obj(), Some(Object::Instance(i)) if i.native::<ExcData>().is_some())
}
