//! Classes: `__build_class__`, `type()`, the methods of `object`, and the descriptor
//! types `property`, `staticmethod`, `classmethod` and `super`.

use crate::interp::{add_methods, types};
use crate::value::class::{BaseKind, ClassObj};
use crate::value::dict::DictData;
use crate::value::function::{PropertyObj, SuperObj};
use crate::value::instance::InstanceObj;
use crate::value::str::intern;
use crate::value::{ObjRef, Object, Value};
use crate::vm::frame::FrameKind;
use crate::vm::{Args, FrameExit, PyResult, Vm};
use parking_lot::RwLock;

pub fn register(_vm: &mut Vm) {
    let t = types();
    add_methods(
        &t.object,
        &[
            ("__init_subclass__", object_init_subclass),
            ("__repr__", object_repr),
            ("__str__", object_str),
            ("__eq__", object_eq),
            ("__ne__", object_ne),
            ("__hash__", object_hash),
            ("__format__", object_format),
            ("__setattr__", object_setattr),
            ("__getattribute__", object_getattribute),
            ("__delattr__", object_delattr),
            ("__dir__", object_dir),
            ("__reduce_ex__", object_reduce_ex),
        ],
    );
    crate::interp::set_class_attr(&t.object, "__new__", Value::Obj(crate::interp::object_new()));
    crate::interp::set_class_attr(&t.object, "__init__", Value::Obj(crate::interp::object_init()));
    add_methods(&t.type_, &[("__new__", type_new), ("mro", type_mro), ("__subclasses__", type_subclasses)]);
    add_methods(
        &t.property,
        &[
            ("__new__", property_new),
            ("getter", property_getter),
            ("setter", property_setter),
            ("deleter", property_deleter),
        ],
    );
    add_methods(&t.staticmethod, &[("__new__", staticmethod_new)]);
    add_methods(&t.classmethod, &[("__new__", classmethod_new)]);
    add_methods(&t.super_, &[("__new__", super_new)]);
}

/// `object.__new__(cls)`.
pub fn object_new(vm: &mut Vm, args: Args) -> PyResult<Value> {
    match args.pos.first().and_then(|c| c.as_objref()) {
        // Instances of a class derived from a built-in value type need their base
        // value, which only the base type's __new__ makes.
        Some(c) if matches!(&**c, Object::Class(cc) if cc.base_kind == BaseKind::Value) => {
            let name = c.class_name();
            let msg = format!("object.__new__({name}) is not safe, use {name}.__new__()");
            Err(vm.type_error(&msg))
        }
        Some(c) if matches!(&**c, Object::Class(_)) => Ok(Value::new(Object::Instance(InstanceObj::new(c.clone())))),
        _ => Err(vm.type_error("object.__new__(X): X is not a type object")),
    }
}

pub fn object_init(_vm: &mut Vm, _args: Args) -> PyResult<Value> {
    Ok(Value::None)
}

fn object_init_subclass(_vm: &mut Vm, _args: Args) -> PyResult<Value> {
    Ok(Value::None)
}

fn object_repr(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let this = args.pos.first().cloned().unwrap_or(Value::None);
    Ok(Value::string(vm.default_repr(&this)))
}

fn object_str(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let this = args.pos.first().cloned().unwrap_or(Value::None);
    Ok(Value::string(vm.repr_of(&this)?))
}

fn object_eq(_vm: &mut Vm, args: Args) -> PyResult<Value> {
    let (a, b) = (args.pos.first().cloned().unwrap_or(Value::None), args.pos.get(1).cloned().unwrap_or(Value::None));
    Ok(if a.is(&b) { Value::Bool(true) } else { crate::interp::not_implemented() })
}

fn object_ne(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let (a, b) = (args.pos.first().cloned().unwrap_or(Value::None), args.pos.get(1).cloned().unwrap_or(Value::None));
    let r = vm.compare(&a, &b, conc_grammar::ast::CmpOp::Eq)?;
    Ok(Value::Bool(!vm.truthy(&r)?))
}

fn object_hash(_vm: &mut Vm, args: Args) -> PyResult<Value> {
    let a = args.pos.first().cloned().unwrap_or(Value::None);
    Ok(Value::Int(crate::vm::ops::pointer_hash(a.id() as usize)))
}

fn object_format(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let a = args.pos.first().cloned().unwrap_or(Value::None);
    let spec = args.pos.get(1).and_then(|s| s.as_str()).map(|s| s.as_str().to_string()).unwrap_or_default();
    if !spec.is_empty() {
        let msg = format!("unsupported format string passed to {}.__format__", vm.type_name(&a));
        return Err(vm.type_error(&msg));
    }
    Ok(Value::string(vm.str_of(&a)?))
}

/// `object.__setattr__(self, name, value)`: stores in the instance dict directly.
fn object_setattr(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let (obj, name, v) = (
        args.pos[0].clone(),
        args.pos.get(1).cloned().unwrap_or(Value::None),
        args.pos.get(2).cloned().unwrap_or(Value::None),
    );
    let name = match name.as_str() {
        Some(s) => intern(s.as_str()),
        None => return Err(vm.type_error("attribute name must be string")),
    };
    if let Some(i) = obj.as_instance() {
        let old = i.attrs().set_simple(crate::value::class::name_hash(&name), Value::Obj(name), v);
        drop(old);
        return Ok(Value::None);
    }
    vm.set_attr(&obj, &name, v)?;
    Ok(Value::None)
}

fn object_getattribute(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let obj = args.pos[0].clone();
    let name = match args.pos.get(1).and_then(|n| n.as_str()) {
        Some(s) => intern(s.as_str()),
        None => return Err(vm.type_error("attribute name must be string")),
    };
    vm.get_attr(&obj, &name)
}

fn object_delattr(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let obj = args.pos[0].clone();
    let name = match args.pos.get(1).and_then(|n| n.as_str()) {
        Some(s) => intern(s.as_str()),
        None => return Err(vm.type_error("attribute name must be string")),
    };
    if let Some(i) = obj.as_instance() {
        let removed = {
            let mut a = i.attrs();
            match a.probe(crate::value::class::name_hash(&name), &Value::Obj(name.clone())) {
                crate::value::dict::Probe::Found(k) => Some(a.remove_at(k)),
                _ => None,
            }
        };
        if removed.is_some() {
            return Ok(Value::None);
        }
    }
    vm.del_attr_generic(&obj, &name)?;
    Ok(Value::None)
}

fn object_dir(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let obj = args.pos[0].clone();
    super::functions::dir_of(vm, &obj)
}

fn object_reduce_ex(vm: &mut Vm, _args: Args) -> PyResult<Value> {
    Err(vm.new_error("TypeError", "cannot pickle this object"))
}

/// `__build_class__(body, name, *bases, **kw)`: runs the class body in a fresh
/// namespace, then makes the class with `type` (or the given metaclass).
pub fn build_class(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    if args.pos.len() < 2 {
        return Err(vm.type_error("__build_class__: not enough arguments"));
    }
    let body = args.pos[0].clone();
    let name = args.pos[1].clone();
    let bases: Vec<Value> = args.pos[2..].to_vec();
    let metaclass = args.take_kw("metaclass");
    let ns = Value::new(Object::Dict(crate::value::dict::DictObj::new(DictData::new())));
    let f = match body.obj() {
        Some(Object::Function(f)) => f,
        _ => return Err(vm.type_error("__build_class__: func must be a function")),
    };
    let mut frame = vm.bind_args(f, Args::default())?;
    frame.namespace = Some(ns.clone());
    frame.kind = FrameKind::Boundary;
    match vm.run_frame(frame)? {
        FrameExit::Return(_) => {}
        FrameExit::Yield(..) => return Err(vm.new_error("SystemError", "class body yielded")),
    }
    let classcell = vm.dict_remove(&ns, &Value::Obj(intern("__classcell__")))?;
    let cls = match metaclass {
        Some(m) if !m.is(&Value::Obj(types().type_.clone())) => {
            let mut a = Args::new([name, Value::tuple(bases), ns]);
            a.kw = args.kw;
            vm.call(&m, a)?
        }
        _ => make_class(vm, &name, &bases, &ns, args.kw)?,
    };
    if let Some(Value::Obj(cell)) = classcell {
        if let Object::Cell(s) = &*cell {
            s.set(cls.clone());
        }
    }
    Ok(cls)
}

/// Built-in types (BaseKind::Builtin) CPython lets scripts derive from; the others
/// are "not an acceptable base type".
const SUBCLASSABLE_BUILTINS: &[&str] = &[
    "object",
    "type",
    "property",
    "staticmethod",
    "classmethod",
    "super",
    "enumerate",
    "zip",
    "map",
    "filter",
    "reversed",
];

/// The native class whose instance layout `cls` uses: the built-in value type it
/// derives from, or BaseException; None for plain classes.
fn solid_base(cls: &ObjRef) -> Option<ObjRef> {
    let mut found = None;
    for c in crate::value::class::mro_of(cls) {
        if let Object::Class(cc) = &*c {
            match cc.base_kind {
                BaseKind::Value if cc.frozen => return Some(c.clone()),
                BaseKind::Exception => found = Some(c.clone()),
                _ => {}
            }
        }
    }
    // For exceptions the root (BaseException) stands for every exception class.
    found
}

/// `type(name, bases, ns)`: a new class.
pub fn make_class(vm: &mut Vm, name: &Value, bases: &[Value], ns: &Value, kw: Vec<(ObjRef, Value)>) -> PyResult<Value> {
    let name = match name.as_str() {
        Some(s) => s.as_str().to_string(),
        None => return Err(vm.type_error("type.__new__() argument 1 must be str")),
    };
    let mut base_refs = Vec::new();
    for b in bases {
        match b.obj() {
            Some(Object::Class(_)) => base_refs.push(b.as_objref().unwrap().clone()),
            _ => {
                let msg = "bases must be types".to_string();
                return Err(vm.type_error(&msg));
            }
        }
    }
    if base_refs.is_empty() {
        base_refs.push(types().object.clone());
    }
    for b in &base_refs {
        if let Object::Class(c) = &**b {
            if c.base_kind == BaseKind::Builtin
                && c.module == "builtins"
                && !SUBCLASSABLE_BUILTINS.contains(&c.name.as_str())
            {
                let msg = format!("type '{}' is not an acceptable base type", c.name);
                return Err(vm.type_error(&msg));
            }
        }
    }
    // Instances of a class are made by its one native base (a built-in value type,
    // BaseException): two different ones cannot be combined.
    let mut solid: Option<ObjRef> = None;
    for b in &base_refs {
        if let Some(s) = solid_base(b) {
            match &solid {
                Some(prev) if !prev.ptr_eq(&s) => {
                    return Err(vm.type_error("multiple bases have instance lay-out conflict"));
                }
                _ => solid = Some(s),
            }
        }
    }
    let mro = match crate::value::class::c3_mro(&base_refs) {
        Some(m) => m,
        None => {
            let names: Vec<String> = base_refs.iter().map(|b| b.class_name().to_string()).collect();
            let msg =
                format!("Cannot create a consistent method resolution\norder (MRO) for bases {}", names.join(", "));
            return Err(vm.type_error(&msg));
        }
    };
    let base_kind = base_refs
        .iter()
        .chain(mro.iter())
        .find_map(|b| match &**b {
            Object::Class(c) if c.base_kind != BaseKind::Object => Some(c.base_kind),
            _ => None,
        })
        .unwrap_or(BaseKind::Object);
    if base_kind == BaseKind::Builtin {
        let bname = base_refs
            .iter()
            .find(|b| matches!(&***b, Object::Class(c) if c.base_kind == BaseKind::Builtin))
            .map(|b| b.class_name().to_string())
            .unwrap_or_default();
        if !matches!(bname.as_str(), "object") {
            let msg = format!("subclassing the built-in type '{bname}' is not supported yet");
            return Err(vm.new_error("NotImplementedError", &msg));
        }
    }
    // Copy the namespace; a class that defines __eq__ without __hash__ is unhashable.
    let items = ns.as_dict().map(|d| d.lock().entries_snapshot()).unwrap_or_default();
    let mut data = DictData::with_capacity(items.len());
    let mut has_eq = false;
    let mut has_hash = false;
    let mut module = String::from("builtins");
    let mut qualname = name.clone();
    for (_, k, v) in items {
        let key = match k.as_str() {
            Some(s) => intern(s.as_str()),
            None => continue,
        };
        match key.str_text() {
            "__eq__" => has_eq = true,
            "__hash__" => has_hash = true,
            "__module__" => {
                if let Some(s) = v.as_str() {
                    module = s.as_str().to_string();
                }
            }
            "__qualname__" => {
                if let Some(s) = v.as_str() {
                    qualname = s.as_str().to_string();
                }
            }
            _ => {}
        }
        // Functions defined in a class body are shared by every thread.
        if let Value::Obj(o) = &v {
            if matches!(&**o, Object::Function(_)) {
                o.make_immortal();
            }
        }
        let h = crate::value::class::name_hash(&key);
        data.set_simple(h, Value::Obj(key), v);
    }
    if has_eq && !has_hash {
        let key = intern("__hash__");
        data.set_simple(crate::value::class::name_hash(&key), Value::Obj(key), Value::None);
    }
    let cls = ObjRef::new_immortal(Object::Class(Box::new(ClassObj {
        name,
        qualname,
        module,
        bases: base_refs,
        mro,
        dict: RwLock::new(data),
        base_kind,
        flags: Default::default(),
        frozen: false,
    })));
    crate::value::class::bump_class_version();
    let clsv = Value::Obj(cls.clone());
    // __set_name__ on descriptors, then the parent's __init_subclass__.
    let attrs = match &*cls {
        Object::Class(c) => c.dict.read().items(),
        _ => vec![],
    };
    for (k, v) in attrs {
        if let Value::Obj(o) = &v {
            if matches!(&**o, Object::Instance(_)) {
                let vc = vm.class_of(&v);
                if let Some(f) = vm.lookup_type_attr(&vc, &crate::interp::names().__set_name__) {
                    vm.call(&f, Args::new([v.clone(), clsv.clone(), k.clone()]))?;
                }
            }
        }
    }
    if let Object::Class(c) = &*cls {
        if let Some(parent) = c.mro.first() {
            if let Some(f) = crate::value::class::lookup(parent, &crate::interp::names().__init_subclass__) {
                let f = match f.obj() {
                    Some(Object::ClassMethod(inner)) => inner.clone(),
                    _ => f,
                };
                if !matches!(f.obj(), Some(Object::Builtin(_))) {
                    let mut a = Args::new([clsv.clone()]);
                    a.kw = kw;
                    vm.call(&f, a)?;
                }
            }
        }
    }
    Ok(clsv)
}

/// `type(x)` or `type(name, bases, ns)`.
fn type_new(vm: &mut Vm, args: Args) -> PyResult<Value> {
    // args[0] is `type` itself.
    match args.pos.len() {
        2 => Ok(Value::Obj(vm.class_of(&args.pos[1]))),
        4 => {
            let bases = vm.collect(&args.pos[2])?;
            let ns = args.pos[3].clone();
            make_class(vm, &args.pos[1], &bases, &ns, args.kw)
        }
        _ => Err(vm.type_error("type() takes 1 or 3 arguments")),
    }
}

fn type_mro(vm: &mut Vm, args: Args) -> PyResult<Value> {
    match args.pos.first().and_then(|c| c.as_objref()) {
        Some(c) => Ok(Value::list(crate::value::class::mro_of(c).into_iter().map(Value::Obj).collect())),
        None => Err(vm.type_error("mro() needs a class")),
    }
}

fn type_subclasses(_vm: &mut Vm, _args: Args) -> PyResult<Value> {
    Ok(Value::list(vec![]))
}

fn property_new(_vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let fget = args.take(1, "fget").unwrap_or(Value::None);
    let fset = args.take(2, "fset").unwrap_or(Value::None);
    let fdel = args.take(3, "fdel").unwrap_or(Value::None);
    let doc = args.take(4, "doc").unwrap_or(Value::None);
    Ok(Value::new(Object::Property(PropertyObj { fget, fset, fdel, doc })))
}

fn property_with(args: &Args, which: u8) -> Value {
    let (fget, fset, fdel, doc) = match args.pos.first().and_then(|p| p.obj()) {
        Some(Object::Property(p)) => (p.fget.clone(), p.fset.clone(), p.fdel.clone(), p.doc.clone()),
        _ => (Value::None, Value::None, Value::None, Value::None),
    };
    let f = args.pos.get(1).cloned().unwrap_or(Value::None);
    let p = match which {
        0 => PropertyObj { fget: f, fset, fdel, doc },
        1 => PropertyObj { fget, fset: f, fdel, doc },
        _ => PropertyObj { fget, fset, fdel: f, doc },
    };
    Value::new(Object::Property(p))
}

fn property_getter(_vm: &mut Vm, args: Args) -> PyResult<Value> {
    Ok(property_with(&args, 0))
}

fn property_setter(_vm: &mut Vm, args: Args) -> PyResult<Value> {
    Ok(property_with(&args, 1))
}

fn property_deleter(_vm: &mut Vm, args: Args) -> PyResult<Value> {
    Ok(property_with(&args, 2))
}

fn staticmethod_new(_vm: &mut Vm, args: Args) -> PyResult<Value> {
    Ok(Value::new(Object::StaticMethod(args.pos.get(1).cloned().unwrap_or(Value::None))))
}

fn classmethod_new(_vm: &mut Vm, args: Args) -> PyResult<Value> {
    Ok(Value::new(Object::ClassMethod(args.pos.get(1).cloned().unwrap_or(Value::None))))
}

/// `super(cls, obj)` (the compiler turns `super()` into this form).
fn super_new(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let cls = match args.pos.get(1).and_then(|c| c.as_objref()) {
        Some(c) if matches!(&**c, Object::Class(_)) => c.clone(),
        _ => return Err(vm.new_error("RuntimeError", "super(): no arguments")),
    };
    let obj = args.pos.get(2).cloned().unwrap_or(Value::None);
    let obj_type = match obj.obj() {
        Some(Object::Class(_)) if crate::value::class::is_subclass(obj.as_objref().unwrap(), &cls) => {
            obj.as_objref().unwrap().clone()
        }
        _ => vm.class_of(&obj),
    };
    if !crate::value::class::is_subclass(&obj_type, &cls) {
        return Err(vm.type_error("super(type, obj): obj must be an instance or subtype of type"));
    }
    Ok(Value::new(Object::Super(SuperObj { class: cls, obj, obj_type })))
}

/// Attribute lookup through a super object: the MRO of the object's type after
/// `class`, bound to the object.
pub fn super_getattr(vm: &mut Vm, s: &SuperObj, name: &ObjRef) -> PyResult<Option<Value>> {
    let mro = crate::value::class::mro_of(&s.obj_type);
    let start = mro.iter().position(|c| c.ptr_eq(&s.class)).map(|i| i + 1).unwrap_or(mro.len());
    for c in &mro[start..] {
        if let Object::Class(cc) = &**c {
            if let Some(v) = cc.get_own(name) {
                let r = match v.obj() {
                    Some(Object::Function(_)) | Some(Object::Builtin(_)) => {
                        // Through a class (or for __new__) functions stay unbound.
                        if matches!(s.obj.obj(), Some(Object::Class(_))) || name.str_text() == "__new__" {
                            v
                        } else {
                            crate::vm::attr::bound(v, s.obj.clone())
                        }
                    }
                    Some(Object::ClassMethod(f)) => crate::vm::attr::bound(f.clone(), Value::Obj(s.obj_type.clone())),
                    Some(Object::StaticMethod(f)) => f.clone(),
                    Some(Object::Property(p)) => {
                        let g = p.fget.clone();
                        vm.call(&g, Args::new([s.obj.clone()]))?
                    }
                    _ => v,
                };
                return Ok(Some(r));
            }
        }
    }
    Ok(None)
}
