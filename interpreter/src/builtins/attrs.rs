//! Special attributes that live outside namespaces: `__class__`, `__name__`,
//! `__dict__`, `__doc__`, function and generator introspection, exception fields,
//! `range.start`, and the like.

use crate::value::dict::{DictData, DictObj};
use crate::value::{ObjRef, Object, Value};
use crate::vm::{PyResult, Vm};

fn dict_of(items: Vec<(ObjRef, Value)>) -> Value {
    let mut d = DictData::new();
    for (k, v) in items {
        let h = crate::value::class::name_hash(&k);
        d.set_simple(h, Value::Obj(k), v);
    }
    Value::new(Object::Dict(DictObj::new(d)))
}

/// Module attributes not stored as globals (`__dict__`).
pub fn module_special(_vm: &mut Vm, m: &ObjRef, name: &ObjRef) -> PyResult<Option<Value>> {
    let Object::Module(mm) = &**m else {
        return Ok(None);
    };
    Ok(match name.str_text() {
        "__dict__" => Some(dict_of(mm.globals.items())),
        "__class__" => Some(Value::Obj(crate::interp::types().module.clone())),
        _ => None,
    })
}

/// Instance attributes after the dict and class: `__class__`, `__dict__`, exception
/// fields.
pub fn instance_special(vm: &mut Vm, obj: &Value, name: &ObjRef) -> PyResult<Option<Value>> {
    let n = name.str_text();
    match n {
        "__class__" => return Ok(Some(Value::Obj(vm.class_of(obj)))),
        "__dict__" => {
            if let Some(i) = obj.as_instance() {
                let items: Vec<(ObjRef, Value)> =
                    i.attrs().items().into_iter().filter_map(|(k, v)| k.as_objref().map(|k| (k.clone(), v))).collect();
                return Ok(Some(dict_of(items)));
            }
        }
        _ => {}
    }
    Ok(super::exceptions::exc_attr(vm, obj, n))
}

/// Class attributes not in any namespace of the MRO.
pub fn class_special(vm: &mut Vm, cls: &ObjRef, name: &ObjRef) -> PyResult<Option<Value>> {
    let Object::Class(c) = &**cls else {
        return Ok(None);
    };
    Ok(Some(match name.str_text() {
        "__name__" => Value::str(&c.name),
        "__qualname__" => Value::str(&c.qualname),
        "__module__" => Value::str(&c.module),
        "__mro__" => Value::tuple(crate::value::class::mro_of(cls).into_iter().map(Value::Obj).collect()),
        "__bases__" => Value::tuple(c.bases.iter().cloned().map(Value::Obj).collect()),
        "__base__" => c.bases.first().cloned().map(Value::Obj).unwrap_or(Value::None),
        "__dict__" => {
            let items: Vec<(ObjRef, Value)> =
                c.dict.read().items().into_iter().filter_map(|(k, v)| k.as_objref().map(|k| (k.clone(), v))).collect();
            dict_of(items)
        }
        "__doc__" => Value::None,
        "__class__" => Value::Obj(vm.class_of(&Value::Obj(cls.clone()))),
        _ => return Ok(None),
    }))
}

/// Attributes of built-in values beyond their class namespace.
pub fn builtin_special(vm: &mut Vm, obj: &Value, name: &ObjRef) -> PyResult<Option<Value>> {
    let n = name.str_text();
    if n == "__class__" {
        return Ok(Some(Value::Obj(vm.class_of(obj))));
    }
    let Value::Obj(o) = obj else {
        return Ok(match (obj, n) {
            (Value::Int(i), "real" | "numerator") => Some(Value::Int(*i)),
            (Value::Int(_), "imag") => Some(Value::Int(0)),
            (Value::Int(_), "denominator") => Some(Value::Int(1)),
            (Value::Float(f), "real") => Some(Value::Float(*f)),
            (Value::Float(_), "imag") => Some(Value::Float(0.0)),
            (Value::Bool(b), "real" | "numerator") => Some(Value::Int(*b as i64)),
            _ => None,
        });
    };
    Ok(match (&**o, n) {
        (Object::Function(f), "__name__") => Some(Value::Obj(f.name.clone())),
        (Object::Function(f), "__qualname__") => Some(Value::str(f.qualname)),
        (Object::Function(f), "__module__") => Some(f.module.globals.get("__name__")),
        (Object::Function(f), "__doc__") => Some(f.doc.clone()),
        (Object::Function(f), "__defaults__") => {
            Some(if f.defaults.is_empty() { Value::None } else { Value::tuple(f.defaults.clone()) })
        }
        (Object::Function(f), "__code__") => Some(Value::Obj(f.code_obj.clone())),
        (Object::Function(f), "__globals__") => Some(dict_of(f.module.globals.items())),
        (Object::Function(f), "__dict__") => {
            let items = f.dict.lock().as_ref().map(|d| d.items()).unwrap_or_default();
            Some(dict_of(items.into_iter().filter_map(|(k, v)| k.as_objref().map(|k| (k.clone(), v))).collect()))
        }
        (Object::Function(_), "__annotations__") => Some(dict_of(vec![])),
        (Object::Function(f), "__kwdefaults__") => {
            if f.kwdefaults.is_empty() {
                Some(Value::None)
            } else {
                Some(dict_of(f.kwdefaults.clone()))
            }
        }
        (Object::Function(f), "__closure__") => {
            if f.closure.is_empty() {
                Some(Value::None)
            } else {
                Some(Value::tuple(f.closure.iter().cloned().map(Value::Obj).collect()))
            }
        }
        (Object::Code(c), "co_name") => Some(Value::str(&c.name)),
        (Object::Code(c), "co_filename") => Some(Value::str(&c.filename)),
        (Object::Code(c), "co_argcount") => Some(Value::Int(c.arg_count as i64)),
        (Object::Code(c), "co_posonlyargcount") => Some(Value::Int(c.posonly_count as i64)),
        (Object::Code(c), "co_kwonlyargcount") => Some(Value::Int(c.kwonly_count as i64)),
        (Object::Code(c), "co_varnames") => Some(Value::tuple(c.varnames.iter().cloned().map(Value::Obj).collect())),
        (Object::Code(c), "co_firstlineno") => Some(Value::Int(c.first_line as i64)),
        (Object::Code(c), "co_flags") => Some(Value::Int(cpython_code_flags(c.flags))),
        (Object::Builtin(b), "__name__") => Some(Value::str(b.name)),
        (Object::Builtin(b), "__qualname__") => Some(Value::str(&b.qualname)),
        (Object::Builtin(b), "__self__") => Some(b.bound.clone().unwrap_or(Value::None)),
        (Object::Builtin(b), "__doc__") => Some(match b.def {
            Some(d) if !d.doc.is_empty() => Value::str(d.doc),
            _ => Value::None,
        }),
        (Object::Builtin(b), "__text_signature__") => Some(match b.def {
            Some(d) => Value::str(d.sig.text),
            None => Value::None,
        }),
        (Object::BoundMethod(m), "__self__") => Some(m.self_.clone()),
        (Object::BoundMethod(m), "__func__") => Some(m.func.clone()),
        (Object::BoundMethod(m), _) => {
            let f = m.func.clone();
            return vm.get_attr_opt(&f, name);
        }
        (Object::Generator(g), "__name__") => Some(Value::str(g.name)),
        (Object::Generator(g), "__qualname__") => Some(Value::str(g.qualname)),
        (Object::Generator(g), _) if n.len() > 3 && &n[..3] == generator_prefix(g.kind) => {
            use crate::value::generator::GenState;
            match &n[3..] {
                "running" => Some(Value::Bool(g.state() == GenState::Running)),
                // conc has no frame objects: a placeholder that is true while the
                // frame exists.
                "frame" => Some(if g.state() != GenState::Finished { Value::Bool(true) } else { Value::None }),
                "code" => Some(Value::Obj(g.code.clone())),
                // What a suspended frame awaits is not reachable without resuming it.
                "yieldfrom" if g.kind == crate::value::generator::GenKind::Generator => Some(Value::None),
                "await" if g.kind != crate::value::generator::GenKind::Generator => Some(Value::None),
                "suspended" if g.kind != crate::value::generator::GenKind::AsyncGenerator => {
                    Some(Value::Bool(g.state() == GenState::Suspended))
                }
                "origin" if g.kind == crate::value::generator::GenKind::Coroutine => Some(Value::None),
                _ => None,
            }
        }
        (Object::Range(r), "start") => Some(Value::Int(r.start)),
        (Object::Range(r), "stop") => Some(Value::Int(r.stop)),
        (Object::Range(r), "step") => Some(Value::Int(r.step)),
        (Object::BigRange(r), "start") => Some(crate::value::int::normalize(r.start.clone())),
        (Object::BigRange(r), "stop") => Some(crate::value::int::normalize(r.stop.clone())),
        (Object::BigRange(r), "step") => Some(crate::value::int::normalize(r.step.clone())),
        (Object::Slice(s), "start") => Some(s.start.clone()),
        (Object::Slice(s), "stop") => Some(s.stop.clone()),
        (Object::Slice(s), "step") => Some(s.step.clone()),
        (Object::Property(p), "fget") => Some(p.fget.clone()),
        (Object::Property(p), "fset") => Some(p.fset.clone()),
        (Object::Property(p), "fdel") => Some(p.fdel.clone()),
        (Object::Property(p), "__doc__") => Some(p.doc.clone()),
        (Object::StaticMethod(f), "__func__") | (Object::ClassMethod(f), "__func__") => Some(f.clone()),
        (Object::Cell(s), "cell_contents") => {
            let v = s.get();
            if v.is_null() {
                return Err(vm.value_error("Cell is empty"));
            }
            Some(v)
        }
        (Object::BigInt(_), "real" | "numerator") => Some(obj.clone()),
        (Object::BigInt(_), "imag") => Some(Value::Int(0)),
        (Object::BigInt(_), "denominator") => Some(Value::Int(1)),
        _ => None,
    })
}

/// The attribute prefix of each kind of generator (`gi_frame`, `cr_frame`, `ag_frame`).
fn generator_prefix(kind: crate::value::generator::GenKind) -> &'static str {
    use crate::value::generator::GenKind;
    match kind {
        GenKind::Generator => "gi_",
        GenKind::Coroutine => "cr_",
        GenKind::AsyncGenerator => "ag_",
    }
}

/// `co_flags` with CPython's bit values (which `inspect` tests), from conc's own.
fn cpython_code_flags(flags: u32) -> i64 {
    use crate::bytecode::{CO_COROUTINE, CO_GENERATOR, CO_VARARGS, CO_VARKEYWORDS};
    let mut out = 0x3; // CO_OPTIMIZED | CO_NEWLOCALS
    if flags & CO_VARARGS != 0 {
        out |= 0x4;
    }
    if flags & CO_VARKEYWORDS != 0 {
        out |= 0x8;
    }
    match (flags & CO_COROUTINE != 0, flags & CO_GENERATOR != 0) {
        (true, true) => out |= 0x200,
        (true, false) => out |= 0x80,
        (false, true) => out |= 0x20,
        _ => {}
    }
    out
}
