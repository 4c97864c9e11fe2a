//! The built-in exception hierarchy (names and parents as in CPython 3.11) and the
//! methods of BaseException.

use crate::interp::{add_natives, new_class};
use crate::native::{native, Exc, KwArgs, Receiver};
use crate::value::class::BaseKind;
use crate::value::dict::DictData;
use crate::value::str::intern;
use crate::value::{ObjRef, Object, Value};
use crate::vm::exc::{exc_data, ExcData};
use crate::vm::{PyResult, Vm};
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
    add_natives(
        Exc::BaseException.class(),
        &[&exc_new::DEF, &exc_init::DEF, &exc_str::DEF, &exc_repr::DEF, &exc_with_traceback::DEF, &exc_add_note::DEF],
    );
    add_natives(Exc::KeyError.class(), &[&key_error_str::DEF]);
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
    } else if is(Exc::SyntaxError) {
        crate::builtins::syntax_error::init_attrs(exc, args);
    } else if is(Exc::NameError) {
        set("name", Value::None);
    } else if is(Exc::AttributeError) {
        set("name", Value::None);
        set("obj", Value::None);
    } else if is(Exc::ImportError) {
        set("name", Value::None);
        set("path", Value::None);
        set("msg", first);
    }
}

/// Create and return a new object.  See help(type) for accurate signature.
#[native("BaseException.__new__(*args, **kwargs)")]
fn exc_new(vm: &mut Vm, args: &[Value], kwargs: KwArgs) -> PyResult<Value> {
    // `cls` comes first; keywords are for `__init__` (but see OSError below).
    let Some((cls, rest)) = args.split_first() else {
        return Err(vm.type_error("BaseException.__new__(): not enough arguments"));
    };
    let cls = match cls {
        Value::Obj(c) if matches!(&**c, Object::Class(_)) => c.clone(),
        _ => {
            let msg = format!("BaseException.__new__(X): X is not a type object ({})", vm.type_name(cls));
            return Err(vm.type_error(&msg));
        }
    };
    if !crate::value::class::is_subclass(&cls, Exc::BaseException.class()) {
        let name = cls.class_name();
        let msg = format!("BaseException.__new__({name}): {name} is not a subtype of BaseException");
        return Err(vm.type_error(&msg));
    }
    // OSError's `__new__` may pick a subclass, so it checks the keywords itself
    // when the class keeps BaseException's `__init__`.
    if !kwargs.is_empty() && crate::value::class::is_subclass(&cls, Exc::OSError.class()) {
        let init = vm.lookup_type_attr(&cls, &intern("__init__"));
        if matches!(init.as_ref().and_then(|i| i.obj()), Some(Object::Builtin(b)) if b.qualname == "BaseException.__init__")
        {
            let msg = crate::native::messages::no_keywords(cls.class_name());
            return Err(vm.type_error(&msg));
        }
    }
    let rest = rest.to_vec();
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

/// Initialize self.  See help(type(self)) for accurate signature.
#[native("BaseException.__init__($self, /, *args, **kwargs)", style = "slot")]
fn exc_init(vm: &mut Vm, this: Receiver, args: &[Value], kwargs: KwArgs) -> PyResult<()> {
    let this = this.0;
    let cls = vm.class_of(this);
    // ImportError takes `name` and `path` by keyword, NameError `name`,
    // AttributeError `name` and `obj`; others take no keywords.
    let sub = |e: Exc| crate::value::class::is_subclass(&cls, e.class());
    let allowed: &[&str] = if sub(Exc::ImportError) {
        &["name", "path"]
    } else if sub(Exc::NameError) {
        &["name"]
    } else if sub(Exc::AttributeError) {
        &["name", "obj"]
    } else {
        &[]
    };
    if allowed.is_empty() && !kwargs.is_empty() {
        let msg = crate::native::messages::no_keywords(cls.class_name());
        return Err(vm.type_error(&msg));
    }
    if let Some(d) = exc_data(this) {
        *d.args.lock() = Value::tuple(args.to_vec());
    }
    init_special_attrs(this, &cls, args);
    for (k, v) in kwargs {
        if !allowed.contains(&k.str_text()) {
            let msg = crate::native::messages::invalid_keyword(cls.class_name(), k.str_text());
            return Err(vm.type_error(&msg));
        }
        vm.set_attr(this, &k, v)?;
    }
    Ok(())
}

pub fn exc_args(v: &Value) -> Vec<Value> {
    exc_data(v).and_then(|d| d.args.lock().as_tuple().map(|t| t.items().to_vec())).unwrap_or_default()
}

/// Return str(self).
#[native("BaseException.__str__($self, /)", style = "slot")]
fn exc_str(vm: &mut Vm, this: Receiver) -> PyResult<String> {
    let a = exc_args(this.0);
    Ok(match a.len() {
        0 => String::new(),
        1 => vm.str_of(&a[0])?,
        _ => vm.repr_of(&Value::tuple(a))?,
    })
}

/// Return str(self).
#[native("KeyError.__str__($self, /)", style = "slot")]
fn key_error_str(vm: &mut Vm, this: Receiver) -> PyResult<String> {
    // The key's repr, so that `KeyError('')` does not print as nothing.
    let a = exc_args(this.0);
    Ok(match a.len() {
        0 => String::new(),
        1 => vm.repr_of(&a[0])?,
        _ => vm.repr_of(&Value::tuple(a))?,
    })
}

/// Return repr(self).
#[native("BaseException.__repr__($self, /)", style = "slot")]
fn exc_repr(vm: &mut Vm, this: Receiver) -> PyResult<String> {
    let name = vm.class_of(this.0).class_name().to_string();
    let a = exc_args(this.0);
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
    Ok(format!("{name}({inner})"))
}

/// Exception.with_traceback(tb) --
///     set self.__traceback__ to tb and return self.
#[native("BaseException.with_traceback($self, tb, /)")]
fn exc_with_traceback(vm: &mut Vm, this: Receiver, tb: Value) -> PyResult<Value> {
    if !set_traceback(this.0, &tb) {
        return Err(vm.type_error("__traceback__ must be a traceback or None"));
    }
    Ok(this.0.clone())
}

/// Exception.add_note(note) --
///     add a note to the exception
#[native("BaseException.add_note($self, note, /)")]
fn exc_add_note(vm: &mut Vm, this: Receiver, note: Value) -> PyResult<()> {
    let this = this.0;
    if note.as_str().is_none() {
        let msg = format!("note must be a str, not '{}'", vm.type_name(&note));
        return Err(vm.type_error(&msg));
    }
    let name = intern("__notes__");
    let notes = match vm.get_attr_opt(this, &name)? {
        Some(n) => n,
        None => {
            let l = Value::list(vec![]);
            vm.set_attr(this, &name, l.clone())?;
            l
        }
    };
    match notes.as_list() {
        Some(l) => {
            l.push(note);
            Ok(())
        }
        None => Err(vm.type_error("Cannot add note: __notes__ is not a list")),
    }
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

/// `exc.__traceback__ = tb`: the exception's entries become the traceback's (none for
/// None); false when `tb` is neither.
pub fn set_traceback(exc: &Value, tb: &Value) -> bool {
    let Some(d) = exc_data(exc) else { return false };
    let entries = if tb.is_none() {
        Vec::new()
    } else {
        match crate::vm::frames::entries_of(tb) {
            Some(e) => e,
            None => return false,
        }
    };
    let old = std::mem::replace(&mut *d.traceback.lock(), entries);
    drop(old);
    true
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
        // Anything but a traceback or None is ignored (CPython raises TypeError).
        "__traceback__" => {
            set_traceback(obj, v);
        }
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
