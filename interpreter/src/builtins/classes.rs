//! Classes: `__build_class__`, `type()`, the methods of `object`, and the descriptor
//! types `property`, `staticmethod`, `classmethod` and `super`.

use crate::interp::{add_natives, types};
use crate::native::{native, Exc, KwArgs};
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
    add_natives(
        &t.object,
        &[
            &__init_subclass__::DEF,
            &__repr__::DEF,
            &__str__::DEF,
            &__eq__::DEF,
            &__ne__::DEF,
            &__hash__::DEF,
            &__format__::DEF,
            &__setattr__::DEF,
            &__getattribute__::DEF,
            &__delattr__::DEF,
            &__dir__::DEF,
            &__reduce_ex__::DEF,
        ],
    );
    crate::interp::set_class_attr(&t.object, "__new__", Value::Obj(crate::interp::object_new()));
    crate::interp::set_class_attr(&t.object, "__init__", Value::Obj(crate::interp::object_init()));
    add_natives(
        &t.type_,
        &[
            &type_new::DEF,
            &type_init::DEF,
            &type_call::DEF,
            &type_prepare::DEF,
            &type_setattr::DEF,
            &type_delattr::DEF,
            &mro::DEF,
            &__subclasses__::DEF,
            &super::generic_alias::type_or::DEF,
            &super::generic_alias::type_ror::DEF,
        ],
    );
    // `__prepare__` is a class method of type.
    let prep = crate::value::class::lookup(&t.type_, &intern("__prepare__")).unwrap();
    crate::interp::set_class_attr(&t.type_, "__prepare__", Value::new(Object::ClassMethod(prep)));
    add_natives(&t.property, &[&property_new::DEF, &getter::DEF, &setter::DEF, &deleter::DEF]);
    add_natives(&t.staticmethod, &[&staticmethod_new::DEF]);
    add_natives(&t.classmethod, &[&classmethod_new::DEF]);
    add_natives(&t.super_, &[&super_new::DEF]);
}

/// Create and return a new object.  See help(type) for accurate signature.
#[native("object.__new__($cls, *args, **kwargs)")]
pub fn object_new(vm: &mut Vm, cls: &Value, args: &[Value], kwargs: KwArgs) -> PyResult<Value> {
    let _ = (args, kwargs);
    match cls.as_objref() {
        // Instances of a class derived from a built-in value type need their base
        // value, which only the base type's __new__ makes.
        Some(c) if matches!(&**c, Object::Class(cc) if cc.base_kind == BaseKind::Value) => {
            let name = c.class_name();
            let msg = format!("object.__new__({name}) is not safe, use {name}.__new__()");
            Err(vm.type_error(&msg))
        }
        Some(c) if matches!(&**c, Object::Class(_)) => Ok(Value::new(Object::Instance(InstanceObj::new(c.clone())))),
        _ => {
            let msg = format!("object.__new__(X): X is not a type object ({})", vm.type_name(cls));
            Err(vm.type_error(&msg))
        }
    }
}

/// Initialize self.  See help(type(self)) for accurate signature.
#[native("object.__init__($self, *args, **kwargs)")]
pub fn object_init(_vm: &mut Vm, this: &Value, args: &[Value], kwargs: KwArgs) -> PyResult<()> {
    // Extra arguments were refused by the call of the class already (`C() takes no
    // arguments`); a class with its own __new__ may pass them on.
    let _ = (this, args, kwargs);
    Ok(())
}

/// This method is called when a class is subclassed.
///
/// The default implementation does nothing. It may be overridden to extend
/// subclasses.
#[native("object.__init_subclass__($cls, /)")]
fn __init_subclass__(_vm: &mut Vm, cls: &Value) -> PyResult<()> {
    let _ = cls;
    Ok(())
}

/// Return repr(self).
#[native("object.__repr__($self, /)", style = "slot")]
fn __repr__(vm: &mut Vm, this: &Value) -> PyResult<String> {
    Ok(vm.default_repr(this))
}

/// Return str(self).
#[native("object.__str__($self, /)", style = "slot")]
fn __str__(vm: &mut Vm, this: &Value) -> PyResult<String> {
    vm.repr_of(this)
}

/// Return self==value.
#[native("object.__eq__($self, value, /)", style = "slot")]
fn __eq__(_vm: &mut Vm, this: &Value, value: &Value) -> PyResult<Value> {
    Ok(if this.is(value) { Value::Bool(true) } else { crate::interp::not_implemented() })
}

/// Return self!=value.
#[native("object.__ne__($self, value, /)", style = "slot")]
fn __ne__(vm: &mut Vm, this: &Value, value: &Value) -> PyResult<bool> {
    let r = vm.compare(this, value, crate::operator::CmpOp::Eq)?;
    Ok(!vm.truthy(&r)?)
}

/// Return hash(self).
#[native("object.__hash__($self, /)", style = "slot")]
fn __hash__(_vm: &mut Vm, this: &Value) -> PyResult<i64> {
    Ok(crate::vm::ops::pointer_hash(this.id() as usize))
}

/// Default object formatter.
#[native("object.__format__($self, format_spec, /)")]
fn __format__(vm: &mut Vm, this: &Value, format_spec: &Value) -> PyResult<String> {
    let Some(spec) = format_spec.as_str() else {
        let msg = format!("__format__() argument must be str, not {}", vm.type_name(format_spec));
        return Err(vm.type_error(&msg));
    };
    if !spec.as_str().is_empty() {
        let msg = format!("unsupported format string passed to {}.__format__", vm.type_name(this));
        return Err(vm.type_error(&msg));
    }
    vm.str_of(this)
}

fn attr_name(vm: &mut Vm, name: &Value) -> PyResult<ObjRef> {
    match name.as_str() {
        Some(s) => Ok(intern(s.as_str())),
        None => {
            let msg = format!("attribute name must be string, not '{}'", vm.type_name(name));
            Err(vm.type_error(&msg))
        }
    }
}

/// Implement setattr(self, name, value).
#[native("object.__setattr__($self, name, value, /)", style = "slot_spaced")]
fn __setattr__(vm: &mut Vm, this: &Value, name: &Value, value: Value) -> PyResult<()> {
    let name = attr_name(vm, name)?;
    // Stores in the instance dict directly, past any __setattr__ of the class.
    if let Some(i) = this.as_instance() {
        let old = i.attrs().set_simple(crate::value::class::name_hash(&name), Value::Obj(name), value);
        drop(old);
        return Ok(());
    }
    vm.set_attr(this, &name, value)
}

/// Return getattr(self, name).
#[native("object.__getattribute__($self, name, /)", style = "slot")]
fn __getattribute__(vm: &mut Vm, this: &Value, name: &Value) -> PyResult<Value> {
    let name = attr_name(vm, name)?;
    vm.get_attr(this, &name)
}

/// Implement delattr(self, name).
#[native("object.__delattr__($self, name, /)", style = "slot")]
fn __delattr__(vm: &mut Vm, this: &Value, name: &Value) -> PyResult<()> {
    let name = attr_name(vm, name)?;
    if let Some(i) = this.as_instance() {
        let removed = {
            let mut a = i.attrs();
            match a.probe(crate::value::class::name_hash(&name), &Value::Obj(name.clone())) {
                crate::value::dict::Probe::Found(k) => Some(a.remove_at(k)),
                _ => None,
            }
        };
        if removed.is_some() {
            return Ok(());
        }
    }
    vm.del_attr_generic(this, &name)
}

/// Default dir() implementation.
#[native("object.__dir__($self, /)")]
fn __dir__(vm: &mut Vm, this: &Value) -> PyResult<Value> {
    super::functions::dir_of(vm, this)
}

/// Helper for pickle.
#[native("object.__reduce_ex__($self, protocol, /)")]
fn __reduce_ex__(vm: &mut Vm, this: &Value, protocol: &Value) -> PyResult<Value> {
    let _ = (this, protocol);
    Err(vm.error(Exc::NotImplementedError, "object.__reduce_ex__: conc pickles objects in multiprocessing only"))
}

/// __build_class__(func, name, /, *bases, [metaclass], **kwds) -> class
///
/// Internal helper function used by the class statement: runs the class body in a
/// fresh namespace, then makes the class with `type` (or the given metaclass).
#[native("__build_class__(func, name, /, *bases, metaclass=<unrepresentable>, **kwds)")]
pub fn build_class(
    vm: &mut Vm,
    func: &Value,
    name: Value,
    bases: &[Value],
    metaclass: Option<Value>,
    kwds: KwArgs,
) -> PyResult<Value> {
    let body = func;
    let f = match body.obj() {
        Some(Object::Function(f)) => f,
        _ => return Err(vm.type_error("__build_class__: func must be a function")),
    };
    let orig_bases: Vec<Value> = bases.to_vec();
    let bases = resolve_mro_entries(vm, &orig_bases)?;
    let changed = bases.len() != orig_bases.len() || bases.iter().zip(&orig_bases).any(|(a, b)| !a.is(b));
    let type_v = Value::Obj(types().type_.clone());
    // The metaclass: the one given, else the type of the first base; when it is a
    // class, the most derived of it and every base's type.
    let meta = match metaclass {
        Some(m) => m,
        None => match bases.first() {
            Some(b) => Value::Obj(vm.class_of(b)),
            None => type_v.clone(),
        },
    };
    let meta = match meta.as_objref() {
        Some(m) if matches!(&**m, Object::Class(_)) => Value::Obj(winner_meta(vm, m, &bases)?),
        _ => meta,
    };
    let plain_type = meta.is(&type_v);
    let ns = if plain_type {
        Value::new(Object::Dict(crate::value::dict::DictObj::new(DictData::new())))
    } else {
        prepare_namespace(vm, &meta, &name, &bases, &kwds)?
    };
    let mut frame = vm.bind_args(f, Args::default())?;
    frame.namespace = Some(ns.clone());
    frame.kind = FrameKind::Boundary;
    match vm.run_frame(frame)? {
        FrameExit::Return(_) => {}
        FrameExit::Yield(..) => return Err(vm.error(Exc::SystemError, "class body yielded")),
    }
    if changed {
        vm.set_item(&ns, Value::Obj(intern("__orig_bases__")), Value::tuple(orig_bases))?;
    }
    let classcell = vm.dict_remove(&ns, &Value::Obj(intern("__classcell__")))?;
    let cls = if plain_type {
        make_class(vm, &name, &bases, &ns, kwds, None)?
    } else {
        let mut a = Args::new([name, Value::tuple(bases), ns]);
        a.kw = kwds;
        vm.call(&meta, a)?
    };
    if let Some(Value::Obj(cell)) = classcell {
        if let Object::Cell(s) = &*cell {
            s.set(cls.clone());
        }
    }
    Ok(cls)
}

/// The bases a class statement's list stands for: an object that is not a class
/// may give its replacements through `__mro_entries__(bases)` (`typing.Generic[T]`).
fn resolve_mro_entries(vm: &mut Vm, bases: &[Value]) -> PyResult<Vec<Value>> {
    let mut out = Vec::with_capacity(bases.len());
    let name = intern("__mro_entries__");
    for b in bases {
        if matches!(b.obj(), Some(Object::Class(_))) {
            out.push(b.clone());
            continue;
        }
        match vm.get_attr_opt(b, &name)? {
            Some(f) => {
                let r = vm.call(&f, Args::new([Value::tuple(bases.to_vec())]))?;
                match r.as_tuple() {
                    Some(t) => out.extend(t.items().iter().cloned()),
                    None => return Err(vm.type_error("__mro_entries__ must return a tuple")),
                }
            }
            None => out.push(b.clone()),
        }
    }
    Ok(out)
}

/// The most derived of `meta` and the metaclasses of `bases`, or CPython's
/// "metaclass conflict" TypeError when they are not in one line of inheritance.
fn winner_meta(vm: &mut Vm, meta: &ObjRef, bases: &[Value]) -> PyResult<ObjRef> {
    let mut winner = meta.clone();
    for b in bases {
        let bt = vm.class_of(b);
        if crate::value::class::is_subclass(&winner, &bt) {
            continue;
        }
        if crate::value::class::is_subclass(&bt, &winner) {
            winner = bt;
            continue;
        }
        return Err(vm.type_error(
            "metaclass conflict: the metaclass of a derived class must be a (non-strict) subclass of the metaclasses of all its bases",
        ));
    }
    Ok(winner)
}

/// The namespace a metaclass's `__prepare__(name, bases, **kwds)` gives the class body.
fn prepare_namespace(vm: &mut Vm, meta: &Value, name: &Value, bases: &[Value], kwds: &KwArgs) -> PyResult<Value> {
    let Some(prep) = vm.get_attr_opt(meta, &intern("__prepare__"))? else {
        return Ok(Value::new(Object::Dict(crate::value::dict::DictObj::new(DictData::new()))));
    };
    let mut a = Args::new([name.clone(), Value::tuple(bases.to_vec())]);
    a.kw = kwds.clone();
    let ns = vm.call(&prep, a)?;
    let is_mapping = ns.as_dict().is_some()
        || ns.base_value().is_some_and(|b| b.as_dict().is_some())
        || vm.lookup_type_attr(&vm.class_of(&ns), &crate::interp::names().__getitem__).is_some();
    if !is_mapping {
        let mname = match meta.obj() {
            Some(Object::Class(c)) => c.name.clone(),
            _ => "<metaclass>".to_string(),
        };
        let msg = format!("{mname}.__prepare__() must return a mapping, not {}", vm.type_name(&ns));
        return Err(vm.type_error(&msg));
    }
    Ok(ns)
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
pub fn make_class(
    vm: &mut Vm,
    name: &Value,
    bases: &[Value],
    ns: &Value,
    kw: Vec<(ObjRef, Value)>,
    meta: Option<ObjRef>,
) -> PyResult<Value> {
    let name = match name.as_str() {
        Some(s) => s.as_str().to_string(),
        None => {
            let msg = format!("type.__new__() argument 1 must be str, not {}", vm.type_name(name));
            return Err(vm.type_error(&msg));
        }
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
            .chain(mro.iter())
            .find(|b| matches!(&***b, Object::Class(c) if c.base_kind == BaseKind::Builtin && c.frozen))
            .map(|b| b.class_name().to_string())
            .unwrap_or_default();
        if !matches!(bname.as_str(), "object" | "type") {
            let msg = format!("subclassing the built-in type '{bname}' is not supported yet");
            return Err(vm.error(Exc::NotImplementedError, &msg));
        }
    }
    // The metaclass: the most derived of the one asked for and the bases' types
    // (None stands for `type`).
    let type_ref = types().type_.clone();
    let base_vals: Vec<Value> = base_refs.iter().map(|b| Value::Obj(b.clone())).collect();
    let meta = winner_meta(vm, meta.as_ref().unwrap_or(&type_ref), &base_vals)?;
    let meta = if meta.ptr_eq(&type_ref) { None } else { Some(meta) };
    // Copy the namespace; a class that defines __eq__ without __hash__ is unhashable.
    let ns_dict = ns.as_dict().or_else(|| ns.base_value().and_then(|b| b.as_dict()));
    let items = ns_dict.map(|d| d.lock().entries_snapshot()).unwrap_or_default();
    let mut data = DictData::with_capacity(items.len());
    let mut has_eq = false;
    let mut has_hash = false;
    let mut has_doc = false;
    // `type(name, bases, ns)` takes the caller's module, as the class statement's
    // `__module__` does.
    let mut module = vm.caller_module().map(|m| m.name.to_string()).unwrap_or_else(|| String::from("builtins"));
    let mut qualname = name.clone();
    for (_, k, v) in items {
        let key = match k.as_str() {
            Some(s) => intern(s.as_str()),
            None => continue,
        };
        match key.str_text() {
            "__eq__" => has_eq = true,
            "__hash__" => has_hash = true,
            "__doc__" => has_doc = true,
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
    // A class without a docstring has `__doc__` None, not its base's.
    if !has_doc {
        let key = intern("__doc__");
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
        meta,
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
                    if let Err(e) = vm.call(&f, Args::new([v.clone(), clsv.clone(), k.clone()])) {
                        // 3.11 reports which descriptor failed, caused by its error.
                        let kname = k.as_str().map(|s| s.as_str().to_string()).unwrap_or_default();
                        let msg = format!(
                            "Error calling __set_name__ on '{}' instance '{}' in '{}'",
                            vc.class_name(),
                            kname,
                            cls.class_name()
                        );
                        let outer = vm.error(Exc::RuntimeError, &msg);
                        crate::builtins::exceptions::exc_set_attr(&outer.exc, "__cause__", &e.exc);
                        return Err(outer);
                    }
                }
            }
        }
    }
    if let Object::Class(c) = &*cls {
        // `super(cls, cls).__init_subclass__`: the first class after cls in its MRO
        // that defines one (not only the first base's line: `class C(Mixin, Base)`
        // runs Base's hook).
        let name = &crate::interp::names().__init_subclass__;
        let hook = c.mro.iter().find_map(|b| match &**b {
            Object::Class(bc) => bc.get_own(name),
            _ => None,
        });
        if let Some(f) = hook {
            let f = match f.obj() {
                Some(Object::ClassMethod(inner)) => inner.clone(),
                _ => f,
            };
            if !matches!(f.obj(), Some(Object::Builtin(_))) {
                let mut a = Args::new([clsv.clone()]);
                a.kw = kw;
                vm.call(&f, a)?;
            } else if !kw.is_empty() {
                let msg = format!("{}.__init_subclass__() takes no keyword arguments", cls.class_name());
                return Err(vm.type_error(&msg));
            }
        }
    }
    Ok(clsv)
}

/// type(object) -> the object's type
/// type(name, bases, dict, **kwds) -> a new type
#[native("type.__new__($cls, *args, **kwargs)")]
fn type_new(vm: &mut Vm, cls: &Value, args: &[Value], kwargs: KwArgs) -> PyResult<Value> {
    let type_ref = types().type_.clone();
    let is_type = matches!(cls, Value::Obj(c) if c.ptr_eq(&type_ref));
    match args {
        [obj] if kwargs.is_empty() && is_type => Ok(Value::Obj(vm.class_of(obj))),
        [name, bases, ns] => {
            if name.as_str().is_none() {
                let msg = format!("type.__new__() argument 1 must be str, not {}", vm.type_name(name));
                return Err(vm.type_error(&msg));
            }
            if bases.as_tuple().is_none() {
                let msg = format!("type.__new__() argument 2 must be tuple, not {}", vm.type_name(bases));
                return Err(vm.type_error(&msg));
            }
            if ns.as_dict().is_none() && ns.base_value().is_none_or(|b| b.as_dict().is_none()) {
                let msg = format!("type.__new__() argument 3 must be dict, not {}", vm.type_name(ns));
                return Err(vm.type_error(&msg));
            }
            let bases = resolve_mro_entries_checked(vm, bases)?;
            let meta = match cls.as_objref() {
                Some(c) if matches!(&**c, Object::Class(_)) && !c.ptr_eq(&type_ref) => Some(c.clone()),
                _ => None,
            };
            make_class(vm, name, &bases, ns, kwargs, meta)
        }
        _ if is_type => Err(vm.type_error("type() takes 1 or 3 arguments")),
        _ => {
            let msg = format!("type.__new__() takes exactly 3 arguments ({} given)", args.len());
            Err(vm.type_error(&msg))
        }
    }
}

/// The bases tuple given to `type(name, bases, ns)`: CPython refuses an object with
/// `__mro_entries__` there (only the class statement resolves them).
fn resolve_mro_entries_checked(vm: &mut Vm, bases: &Value) -> PyResult<Vec<Value>> {
    let bases = vm.collect(bases)?;
    for b in &bases {
        if !matches!(b.obj(), Some(Object::Class(_))) && vm.get_attr_opt(b, &intern("__mro_entries__"))?.is_some() {
            return Err(vm.type_error("type() doesn't support MRO entry resolution; use types.new_class()"));
        }
    }
    Ok(bases)
}

/// Initialize self.  See help(type(self)) for accurate signature.
#[native("type.__init__($self, /, *args, **kwargs)")]
fn type_init(vm: &mut Vm, this: &Value, args: &[Value], kwargs: KwArgs) -> PyResult<()> {
    let _ = (this, kwargs);
    if args.len() != 1 && args.len() != 3 {
        return Err(vm.type_error("type.__init__() takes 1 or 3 arguments"));
    }
    Ok(())
}

/// Call self as a function.
#[native("type.__call__($self, /, *args, **kwargs)")]
fn type_call(vm: &mut Vm, this: &Value, args: &[Value], kwargs: KwArgs) -> PyResult<Value> {
    let Some(c) = this.as_objref().filter(|c| matches!(&***c, Object::Class(_))) else {
        let msg = format!("descriptor '__call__' requires a 'type' object but received a '{}'", vm.type_name(this));
        return Err(vm.type_error(&msg));
    };
    let c = c.clone();
    let mut a = Args::new(args.iter().cloned());
    a.kw = kwargs;
    let p = vm.instantiate(&c, a)?;
    vm.finish_prepared(p)
}

/// __prepare__() -> dict
/// used to create the namespace for the class statement
#[native("type.__prepare__($cls, name, bases, /, **kwds)")]
fn type_prepare(_vm: &mut Vm, cls: &Value, name: &Value, bases: &Value, kwds: KwArgs) -> PyResult<Value> {
    let _ = (cls, name, bases, kwds);
    Ok(Value::new(Object::Dict(crate::value::dict::DictObj::new(DictData::new()))))
}

/// Implement setattr(self, name, value).
#[native("type.__setattr__($self, name, value, /)", style = "slot_spaced")]
fn type_setattr(vm: &mut Vm, this: &Value, name: &Value, value: Value) -> PyResult<()> {
    let name = attr_name(vm, name)?;
    match this.obj() {
        Some(Object::Class(c)) if !c.frozen => {
            c.set_own(&name, value);
            Ok(())
        }
        _ => vm.set_attr(this, &name, value),
    }
}

/// Implement delattr(self, name).
#[native("type.__delattr__($self, name, /)", style = "slot")]
fn type_delattr(vm: &mut Vm, this: &Value, name: &Value) -> PyResult<()> {
    let name = attr_name(vm, name)?;
    match this.obj() {
        Some(Object::Class(c)) if !c.frozen => {
            if c.del_own(&name) {
                Ok(())
            } else {
                Err(vm.attribute_error(this, &name))
            }
        }
        _ => vm.del_attr(this, &name),
    }
}

/// Return a type's method resolution order.
#[native("type.mro($self, /)")]
fn mro(vm: &mut Vm, this: &Value) -> PyResult<Value> {
    match this.as_objref() {
        Some(c) if matches!(&**c, Object::Class(_)) => {
            Ok(Value::list(crate::value::class::mro_of(c).into_iter().map(Value::Obj).collect()))
        }
        _ => {
            let msg = format!("descriptor 'mro' for 'type' objects doesn't apply to a '{}' object", vm.type_name(this));
            Err(vm.type_error(&msg))
        }
    }
}

/// Return a list of immediate subclasses.
#[native("type.__subclasses__($self, /)")]
fn __subclasses__(vm: &mut Vm, this: &Value) -> PyResult<Value> {
    let _ = this;
    // Classes do not keep their subclasses (they would keep them alive).
    Err(vm.error(Exc::NotImplementedError, "type.__subclasses__() is not supported by conc"))
}

/// Property attribute.
///
///   fget
///     function to be used for getting an attribute value
///   fset
///     function to be used for setting an attribute value
///   fdel
///     function to be used for del'ing an attribute
///   doc
///     docstring
#[native("property.__new__($cls, fget=None, fset=None, fdel=None, doc=None)")]
fn property_new(_vm: &mut Vm, cls: &Value, fget: Value, fset: Value, fdel: Value, doc: Value) -> PyResult<Value> {
    let _ = cls;
    Ok(Value::new(Object::Property(PropertyObj { fget, fset, fdel, doc })))
}

/// A copy of property `this` with one of its functions replaced.
fn property_with(vm: &mut Vm, this: &Value, f: Value, which: u8, name: &str) -> PyResult<Value> {
    let (fget, fset, fdel, doc) = match this.obj() {
        Some(Object::Property(p)) => (p.fget.clone(), p.fset.clone(), p.fdel.clone(), p.doc.clone()),
        _ => {
            let msg = format!(
                "descriptor '{name}' for 'property' objects doesn't apply to a '{}' object",
                vm.type_name(this)
            );
            return Err(vm.type_error(&msg));
        }
    };
    let p = match which {
        0 => PropertyObj { fget: f, fset, fdel, doc },
        1 => PropertyObj { fget, fset: f, fdel, doc },
        _ => PropertyObj { fget, fset, fdel: f, doc },
    };
    Ok(Value::new(Object::Property(p)))
}

/// Descriptor to obtain a copy of the property with a different getter.
#[native("property.getter($self, getter, /)")]
fn getter(vm: &mut Vm, this: &Value, getter: Value) -> PyResult<Value> {
    property_with(vm, this, getter, 0, "getter")
}

/// Descriptor to obtain a copy of the property with a different setter.
#[native("property.setter($self, setter, /)")]
fn setter(vm: &mut Vm, this: &Value, setter: Value) -> PyResult<Value> {
    property_with(vm, this, setter, 1, "setter")
}

/// Descriptor to obtain a copy of the property with a different deleter.
#[native("property.deleter($self, deleter, /)")]
fn deleter(vm: &mut Vm, this: &Value, deleter: Value) -> PyResult<Value> {
    property_with(vm, this, deleter, 2, "deleter")
}

/// Convert a function to be a static method.
#[native("staticmethod.__new__($cls, function, /)", style = "positional")]
fn staticmethod_new(_vm: &mut Vm, cls: &Value, function: Value) -> PyResult<Value> {
    let _ = cls;
    Ok(Value::new(Object::StaticMethod(function)))
}

/// Convert a function to be a class method.
#[native("classmethod.__new__($cls, function, /)", style = "positional")]
fn classmethod_new(_vm: &mut Vm, cls: &Value, function: Value) -> PyResult<Value> {
    let _ = cls;
    Ok(Value::new(Object::ClassMethod(function)))
}

/// super() -> same as super(__class__, <first argument>)
/// super(type) -> unbound super object
/// super(type, obj) -> bound super object; requires isinstance(obj, type)
/// super(type, type2) -> bound super object; requires issubclass(type2, type)
// The compiler turns `super()` into `super(__class__, first argument)`.
#[native("super.__new__($cls, *args, **kwargs)")]
fn super_new(vm: &mut Vm, cls: &Value, args: &[Value], kwargs: KwArgs) -> PyResult<Value> {
    let _ = cls;
    if !kwargs.is_empty() {
        return Err(vm.type_error("super() takes no keyword arguments"));
    }
    if args.len() > 2 {
        let msg = format!("super() expected at most 2 arguments, got {}", args.len());
        return Err(vm.type_error(&msg));
    }
    let cls = match args.first() {
        None => return Err(vm.error(Exc::RuntimeError, "super(): no arguments")),
        Some(c) => match c.as_objref() {
            Some(c) if matches!(&**c, Object::Class(_)) => c.clone(),
            _ => {
                let msg = format!("super() argument 1 must be a type, not {}", vm.type_name(c));
                return Err(vm.type_error(&msg));
            }
        },
    };
    let obj = args.get(1).cloned().unwrap_or(Value::None);
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
                    // `__init_subclass__` is implicitly a classmethod: bound to the class.
                    Some(Object::Function(_)) | Some(Object::Builtin(_)) if name.str_text() == "__init_subclass__" => {
                        crate::vm::attr::bound(v, s.obj.clone())
                    }
                    Some(Object::Function(_)) | Some(Object::Builtin(_)) => {
                        // Through a class (or for __new__) functions stay unbound.
                        let class_level = matches!(&s.obj, Value::Obj(o) if o.ptr_eq(&s.obj_type));
                        if class_level || name.str_text() == "__new__" {
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
