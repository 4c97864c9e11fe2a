//! The built-in exception hierarchy (names and parents as in CPython 3.11) and the
//! methods of BaseException.

use crate::interp::{add_methods, new_class};
use crate::value::class::BaseKind;
use crate::value::dict::DictData;
use crate::value::str::intern;
use crate::value::{ObjRef, Object, Value};
use crate::vm::exc::{exc_data, ExcData};
use crate::vm::{Args, PyResult, Vm};
use std::collections::HashMap;

/// (name, parent) in definition order.
const HIERARCHY: &[(&str, &str)] = &[
    ("BaseException", ""),
    ("SystemExit", "BaseException"),
    ("KeyboardInterrupt", "BaseException"),
    ("GeneratorExit", "BaseException"),
    ("Exception", "BaseException"),
    ("StopIteration", "Exception"),
    ("StopAsyncIteration", "Exception"),
    ("ArithmeticError", "Exception"),
    ("FloatingPointError", "ArithmeticError"),
    ("OverflowError", "ArithmeticError"),
    ("ZeroDivisionError", "ArithmeticError"),
    ("AssertionError", "Exception"),
    ("AttributeError", "Exception"),
    ("BufferError", "Exception"),
    ("EOFError", "Exception"),
    ("ImportError", "Exception"),
    ("ModuleNotFoundError", "ImportError"),
    ("LookupError", "Exception"),
    ("IndexError", "LookupError"),
    ("KeyError", "LookupError"),
    ("MemoryError", "Exception"),
    ("NameError", "Exception"),
    ("UnboundLocalError", "NameError"),
    ("OSError", "Exception"),
    ("BlockingIOError", "OSError"),
    ("ChildProcessError", "OSError"),
    ("ConnectionError", "OSError"),
    ("BrokenPipeError", "ConnectionError"),
    ("ConnectionAbortedError", "ConnectionError"),
    ("ConnectionRefusedError", "ConnectionError"),
    ("ConnectionResetError", "ConnectionError"),
    ("FileExistsError", "OSError"),
    ("FileNotFoundError", "OSError"),
    ("InterruptedError", "OSError"),
    ("IsADirectoryError", "OSError"),
    ("NotADirectoryError", "OSError"),
    ("PermissionError", "OSError"),
    ("ProcessLookupError", "OSError"),
    ("TimeoutError", "OSError"),
    ("ReferenceError", "Exception"),
    ("RuntimeError", "Exception"),
    ("NotImplementedError", "RuntimeError"),
    ("RecursionError", "RuntimeError"),
    ("SyntaxError", "Exception"),
    ("IndentationError", "SyntaxError"),
    ("TabError", "IndentationError"),
    ("SystemError", "Exception"),
    ("TypeError", "Exception"),
    ("ValueError", "Exception"),
    ("UnicodeError", "ValueError"),
    ("UnicodeDecodeError", "UnicodeError"),
    ("UnicodeEncodeError", "UnicodeError"),
    ("Warning", "Exception"),
    ("DeprecationWarning", "Warning"),
    ("PendingDeprecationWarning", "Warning"),
    ("RuntimeWarning", "Warning"),
    ("SyntaxWarning", "Warning"),
    ("UserWarning", "Warning"),
    ("FutureWarning", "Warning"),
    ("ImportWarning", "Warning"),
    ("UnicodeWarning", "Warning"),
    ("BytesWarning", "Warning"),
    ("ResourceWarning", "Warning"),
];

pub fn build_hierarchy(object: &ObjRef) -> HashMap<&'static str, ObjRef> {
    let mut m: HashMap<&'static str, ObjRef> = HashMap::new();
    for (name, parent) in HIERARCHY {
        let base = if parent.is_empty() { object.clone() } else { m[parent].clone() };
        let cls = new_class(name, "builtins", vec![base], BaseKind::Exception, true, DictData::new());
        m.insert(name, cls);
    }
    m.insert("IOError", m["OSError"].clone());
    m.insert("EnvironmentError", m["OSError"].clone());
    m
}

pub fn register(_vm: &mut Vm) {
    let base = crate::interp::exc_class("BaseException");
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
    let key = crate::interp::exc_class("KeyError");
    add_methods(&key, &[("__str__", key_error_str)]);
}

/// Attributes some exception classes set from their arguments (StopIteration.value,
/// SystemExit.code, OSError.errno/strerror, ...).
pub fn init_special_attrs(exc: &Value, cls: &ObjRef, args: &[Value]) {
    let Some(inst) = exc.as_instance() else {
        return;
    };
    let is = |name: &str| crate::value::class::is_subclass(cls, &crate::interp::exc_class(name));
    let set = |k: &str, v: Value| {
        let n = intern(k);
        inst.attrs().set_simple(crate::value::class::name_hash(&n), Value::Obj(n), v);
    };
    let first = args.first().cloned().unwrap_or(Value::None);
    if is("StopIteration") {
        set("value", first);
    } else if is("SystemExit") {
        set("code", if args.len() > 1 { Value::tuple(args.to_vec()) } else { first });
    } else if is("OSError") {
        if args.len() >= 2 {
            set("errno", args[0].clone());
            set("strerror", args[1].clone());
            set("filename", args.get(2).cloned().unwrap_or(Value::None));
        } else {
            set("errno", Value::None);
            set("strerror", Value::None);
            set("filename", Value::None);
        }
    } else if is("ImportError") {
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
    if rest.len() >= 2 && cls.ptr_eq(&crate::interp::exc_class("OSError")) {
        if let Value::Int(errno) = rest[0] {
            if let Some(name) = oserror_subclass(errno) {
                return Ok(crate::vm::exc::new_exception(&crate::interp::exc_class(name), rest));
            }
        }
    }
    Ok(crate::vm::exc::new_exception(&cls, rest))
}

/// The OSError subclass CPython uses for an errno (Linux numbering).
pub fn oserror_subclass(errno: i64) -> Option<&'static str> {
    Some(match errno {
        1 | 13 => "PermissionError",
        2 => "FileNotFoundError",
        3 => "ProcessLookupError",
        4 => "InterruptedError",
        10 => "ChildProcessError",
        11 | 114 | 115 => "BlockingIOError",
        17 => "FileExistsError",
        20 => "NotADirectoryError",
        21 => "IsADirectoryError",
        32 | 108 => "BrokenPipeError",
        103 => "ConnectionAbortedError",
        104 => "ConnectionResetError",
        110 => "TimeoutError",
        111 => "ConnectionRefusedError",
        _ => return None,
    })
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
