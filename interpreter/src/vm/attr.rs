//! Attribute access: the type of a value, class attribute lookup through a per-thread
//! cache, descriptors (functions, property, staticmethod, classmethod, `__get__`),
//! instance dicts, module globals, and `__getattr__`.

use super::{Args, PyResult, Vm};
use crate::native::Exc;
use crate::value::class::{name_hash, CLASS_VERSION};
use crate::value::function::BoundMethodObj;
use crate::value::{ObjRef, Object, Value};
use std::sync::atomic::Ordering;

impl Vm {
    /// The class of a value.
    pub fn class_of(&self, v: &Value) -> ObjRef {
        crate::interp::class_of(v)
    }

    /// `type(v).__name__`.
    pub fn type_name(&self, v: &Value) -> String {
        self.class_of(v).class_name().to_string()
    }

    /// Looks `name` (an interned str) up along the MRO of `cls`, through this thread's
    /// cache. Class namespaces are shared by all threads; the cache keeps method calls
    /// from touching them (or any lock) on the hot path.
    pub fn lookup_type_attr(&mut self, cls: &ObjRef, name: &ObjRef) -> Option<Value> {
        let version = CLASS_VERSION.load(Ordering::Acquire);
        if let Some(r) = self.attr_cache.get(cls.addr(), name.addr(), version) {
            return r.clone();
        }
        let r = crate::value::class::lookup(cls, name);
        self.attr_cache.insert(cls.addr(), name.addr(), version, r.clone());
        r
    }

    /// `getattr(obj, name)`.
    pub fn get_attr(&mut self, obj: &Value, name: &ObjRef) -> PyResult<Value> {
        match self.get_attr_opt(obj, name)? {
            Some(v) => Ok(v),
            None => Err(self.attribute_error(obj, name)),
        }
    }

    pub(crate) fn attribute_error(&mut self, obj: &Value, name: &ObjRef) -> super::PyErr {
        let msg = match obj.obj() {
            Some(Object::Module(m)) => {
                format!("module '{}' has no attribute '{}'", m.name, name.str_text())
            }
            Some(Object::Class(c)) => format!("type object '{}' has no attribute '{}'", c.name, name.str_text()),
            _ => format!("'{}' object has no attribute '{}'", self.type_name(obj), name.str_text()),
        };
        let e = self.error(Exc::AttributeError, &msg);
        if let Some(i) = e.exc.as_instance() {
            let mut a = i.attrs();
            let n = crate::value::str::intern("name");
            a.set_simple(name_hash(&n), Value::Obj(n), Value::Obj(name.clone()));
            let o = crate::value::str::intern("obj");
            a.set_simple(name_hash(&o), Value::Obj(o), obj.clone());
        }
        e
    }

    /// `getattr(obj, name)`, None instead of AttributeError (other errors propagate).
    pub fn get_attr_opt(&mut self, obj: &Value, name: &ObjRef) -> PyResult<Option<Value>> {
        if let Value::Obj(o) = obj {
            match &**o {
                Object::Module(m) => {
                    let key = (o.addr(), name.addr());
                    if let Some(&slot) = self.module_cache.get(&key) {
                        let v = m.globals.slot(slot).get();
                        if !v.is_null() {
                            return Ok(Some(v));
                        }
                    } else if name.is_immortal() && o.is_immortal() {
                        // Only immortal modules: a freed namespace's address may be
                        // reused by another with other slots.
                        if let Some(slot) = m.globals.index_of(name.str_text()) {
                            self.module_cache.insert(key, slot);
                        }
                    }
                    let v = m.globals.get(name.str_text());
                    if !v.is_null() {
                        return Ok(Some(v));
                    }
                    return crate::builtins::attrs::module_special(self, o, name);
                }
                Object::Class(_) => return self.class_get_attr(o, name),
                Object::Instance(inst) => {
                    let cls = inst.class.clone();
                    let descr = self.lookup_type_attr(&cls, name);
                    if let Some(d) = &descr {
                        if let Some(r) = self.data_descriptor_get(d, obj, &cls)? {
                            return Ok(Some(r));
                        }
                    }
                    let hint = std::sync::atomic::AtomicU8::new(u8::MAX);
                    if let Some(v) = inst.get_name(name, name_hash(name), &hint) {
                        return Ok(Some(v));
                    }
                    if let Some(d) = descr {
                        return Ok(Some(self.bind_descriptor(d, obj, &cls)?));
                    }
                    if let Some(r) = crate::builtins::attrs::instance_special(self, obj, name)? {
                        return Ok(Some(r));
                    }
                    let getattr = crate::interp::names().__getattr__.clone();
                    if let Some(g) = self.lookup_type_attr(&cls, &getattr) {
                        // Its AttributeError (with its own message) propagates as is.
                        return self.call(&g, Args::new([obj.clone(), Value::Obj(name.clone())])).map(Some);
                    }
                    return Ok(None);
                }
                Object::Super(s) => {
                    if let Some(v) = crate::builtins::classes::super_getattr(self, s, name)? {
                        return Ok(Some(v));
                    }
                }
                Object::Function(f) => {
                    if let Some(d) = &*f.dict.lock() {
                        if let Some(v) = d.get_simple(name_hash(name), &Value::Obj(name.clone())) {
                            return Ok(Some(v.clone()));
                        }
                    }
                }
                _ => {}
            }
        }
        let cls = self.class_of(obj);
        if let Some(d) = self.lookup_type_attr(&cls, name) {
            return Ok(Some(self.bind_descriptor(d, obj, &cls)?));
        }
        crate::builtins::attrs::builtin_special(self, obj, name)
    }

    /// Attribute of a class object: its MRO (descriptors bound to the class), then the
    /// special attributes (`__name__`, `__mro__`, ...).
    fn class_get_attr(&mut self, cls: &ObjRef, name: &ObjRef) -> PyResult<Option<Value>> {
        if let Object::Class(c) = &**cls {
            if let Some(meta) = &c.meta {
                return self.meta_class_get_attr(cls, &meta.clone(), name);
            }
        }
        self.class_get_attr_plain(cls, name)
    }

    /// `type.__getattribute__` for a class whose metaclass is a script class: the
    /// metaclass's data descriptors, then the class's MRO, then the metaclass's other
    /// attributes bound to the class, then a metaclass `__getattr__`.
    fn meta_class_get_attr(&mut self, cls: &ObjRef, meta: &ObjRef, name: &ObjRef) -> PyResult<Option<Value>> {
        let clsv = Value::Obj(cls.clone());
        let md = self.lookup_type_attr(meta, name);
        if let Some(d) = &md {
            if let Some(r) = self.data_descriptor_get(d, &clsv, meta)? {
                return Ok(Some(r));
            }
        }
        if let Some(r) = self.class_get_attr_plain(cls, name)? {
            return Ok(Some(r));
        }
        if let Some(d) = md {
            return Ok(Some(self.bind_descriptor(d, &clsv, meta)?));
        }
        let getattr = crate::interp::names().__getattr__.clone();
        if let Some(g) = self.lookup_type_attr(meta, &getattr) {
            if super::ops::overrides(&Some(g.clone())) {
                return self.call(&g, Args::new([clsv, Value::Obj(name.clone())])).map(Some);
            }
        }
        Ok(None)
    }

    fn class_get_attr_plain(&mut self, cls: &ObjRef, name: &ObjRef) -> PyResult<Option<Value>> {
        match self.lookup_type_attr(cls, name) {
            Some(v) => {
                let r = match v.obj() {
                    Some(Object::StaticMethod(f)) => f.clone(),
                    Some(Object::ClassMethod(f)) => bound(f.clone(), Value::Obj(cls.clone())),
                    Some(Object::Property(_)) => v,
                    Some(Object::Instance(_)) => {
                        // A user descriptor's __get__(None, cls).
                        let dcls = self.class_of(&v);
                        match self.lookup_type_attr(&dcls, &crate::interp::names().__get__) {
                            Some(g) => self.call(&g, Args::new([v.clone(), Value::None, Value::Obj(cls.clone())]))?,
                            None => v,
                        }
                    }
                    _ => v,
                };
                Ok(Some(r))
            }
            None => {
                if let Some(v) = crate::builtins::attrs::class_special(self, cls, name)? {
                    return Ok(Some(v));
                }
                // Methods of the metaclass (`type`), e.g. `C.mro()`.
                let meta = crate::interp::types().type_.clone();
                match self.lookup_type_attr(&meta, name) {
                    Some(v) if matches!(v.obj(), Some(Object::Builtin(_))) && name.str_text() != "__new__" => {
                        Ok(Some(bound(v, Value::Obj(cls.clone()))))
                    }
                    _ => Ok(None),
                }
            }
        }
    }

    /// For a data descriptor (property, or a class with `__set__`/`__delete__`),
    /// its value for `obj`; None if `d` is not a data descriptor.
    fn data_descriptor_get(&mut self, d: &Value, obj: &Value, cls: &ObjRef) -> PyResult<Option<Value>> {
        match d.obj() {
            Some(Object::Property(p)) => {
                if p.fget.is_none() {
                    return Err(self.error(Exc::AttributeError, "property has no getter"));
                }
                let g = p.fget.clone();
                Ok(Some(self.call(&g, Args::new([obj.clone()]))?))
            }
            Some(Object::Instance(_)) => {
                let dcls = self.class_of(d);
                let names = crate::interp::names();
                let has_set = self.lookup_type_attr(&dcls, &names.__set__).is_some()
                    || self.lookup_type_attr(&dcls, &names.__delete__).is_some();
                if !has_set {
                    return Ok(None);
                }
                match self.lookup_type_attr(&dcls, &names.__get__) {
                    Some(g) => Ok(Some(self.call(&g, Args::new([d.clone(), obj.clone(), Value::Obj(cls.clone())]))?)),
                    None => Ok(None),
                }
            }
            _ => Ok(None),
        }
    }

    /// A class attribute as seen through an instance: functions become bound methods.
    fn bind_descriptor(&mut self, d: Value, obj: &Value, cls: &ObjRef) -> PyResult<Value> {
        Ok(match d.obj() {
            Some(Object::Function(_)) => bound(d, obj.clone()),
            Some(Object::Builtin(b)) if b.binds() => bound(d, obj.clone()),
            Some(Object::StaticMethod(f)) => f.clone(),
            Some(Object::ClassMethod(f)) => bound(f.clone(), Value::Obj(cls.clone())),
            Some(Object::Property(_)) => match self.data_descriptor_get(&d, obj, cls)? {
                Some(v) => v,
                None => d,
            },
            Some(Object::Instance(_)) => {
                let dcls = self.class_of(&d);
                match self.lookup_type_attr(&dcls, &crate::interp::names().__get__) {
                    Some(g) => self.call(&g, Args::new([d.clone(), obj.clone(), Value::Obj(cls.clone())]))?,
                    None => d,
                }
            }
            _ => d,
        })
    }

    /// `obj.name` for a call: `(function, obj)` when the attribute is a plain function
    /// on the type (no bound method object is made), else `(value, Null)`.
    pub fn load_method(&mut self, obj: Value, name: &ObjRef) -> PyResult<(Value, Value)> {
        if let Some(f) = self.plain_method(&obj, name) {
            return Ok((f, obj));
        }
        let v = self.get_attr(&obj, name)?;
        Ok((v, Value::Null))
    }

    /// The function `obj.name` would call with `obj` as its first argument: a
    /// function or native found on the type and not shadowed by an instance
    /// attribute. None when the attribute must be looked up in full.
    #[inline]
    pub(crate) fn plain_method(&mut self, obj: &Value, name: &ObjRef) -> Option<Value> {
        match obj.obj() {
            Some(Object::Instance(inst)) => {
                let d = self.lookup_type_attr(&inst.class, name)?;
                match d.obj() {
                    Some(Object::Function(_)) => {}
                    Some(Object::Builtin(b)) if b.binds() => {}
                    _ => return None,
                }
                // An instance attribute of the same name shadows the method.
                if inst.has_name(name, name_hash(name)) {
                    return None;
                }
                Some(d)
            }
            Some(Object::Module(_)) | Some(Object::Class(_)) | Some(Object::Super(_)) => None,
            _ => {
                let cls = self.class_of(obj);
                let d = self.lookup_type_attr(&cls, name)?;
                matches!(d.obj(), Some(Object::Builtin(_)) | Some(Object::Function(_))).then_some(d)
            }
        }
    }

    /// `obj.name = v`.
    /// `obj.__class__ = v` on an instance: CPython's TypeErrors for what it refuses;
    /// an instance's class is fixed in conc (attribute caches rely on it), so a real
    /// change of class is refused with NotImplementedError instead of being ignored.
    #[cold]
    fn set_class_of(&mut self, _obj: &Value, cls: &ObjRef, v: &Value) -> PyResult<()> {
        let (Value::Obj(new_ref), Some(new)) = (v, v.as_class()) else {
            let msg = format!("__class__ must be set to a class, not '{}' object", self.type_name(v));
            return Err(self.type_error(&msg));
        };
        if new_ref.ptr_eq(cls) {
            return Ok(());
        }
        if new.frozen || matches!(&**cls, Object::Class(c) if c.frozen) {
            return Err(
                self.type_error("__class__ assignment only supported for mutable types or ModuleType subclasses")
            );
        }
        let msg =
            format!("conc cannot change the class of an instance ('{}' object to '{}')", cls.class_name(), new.name);
        Err(self.error(Exc::NotImplementedError, &msg))
    }

    pub fn set_attr(&mut self, obj: &Value, name: &ObjRef, v: Value) -> PyResult<()> {
        if let Value::Obj(o) = obj {
            match &**o {
                Object::Instance(inst) => {
                    // Exception fields (__cause__ also sets __suppress_context__) live in
                    // the native part, where tracebacks read them, not in the dict.
                    if inst.native.get().is_some()
                        && crate::builtins::exceptions::exc_set_attr(obj, name.str_text(), &v)
                    {
                        return Ok(());
                    }
                    if name.ptr_eq(&crate::interp::names().__class__) {
                        return self.set_class_of(obj, &inst.class, &v);
                    }
                    let cls = inst.class.clone();
                    // Plain classes (no data descriptors, no __setattr__): store directly.
                    if self.class_flags(&cls).plain {
                        let hint = std::sync::atomic::AtomicU8::new(u8::MAX);
                        let old = inst.set_name(name, name_hash(name), v, &hint);
                        drop(old);
                        return Ok(());
                    }
                    if let Some(d) = self.lookup_type_attr(&cls, name) {
                        match d.obj() {
                            Some(Object::Property(p)) => {
                                if p.fset.is_none() {
                                    let msg = format!(
                                        "property '{}' of '{}' object has no setter",
                                        name.str_text(),
                                        cls.class_name()
                                    );
                                    return Err(self.error(Exc::AttributeError, &msg));
                                }
                                let s = p.fset.clone();
                                self.call(&s, Args::new([obj.clone(), v]))?;
                                return Ok(());
                            }
                            Some(Object::Instance(_)) => {
                                let dcls = self.class_of(&d);
                                if let Some(s) = self.lookup_type_attr(&dcls, &crate::interp::names().__set__) {
                                    self.call(&s, Args::new([d.clone(), obj.clone(), v]))?;
                                    return Ok(());
                                }
                            }
                            _ => {}
                        }
                    }
                    if cls.ptr_eq(&crate::interp::types().object) {
                        let msg = format!("'object' object has no attribute '{}'", name.str_text());
                        return Err(self.error(Exc::AttributeError, &msg));
                    }
                    if let Some(sa) = self.lookup_type_attr(&cls, &crate::interp::names().__setattr__) {
                        if !matches!(sa.obj(), Some(Object::Builtin(_))) {
                            self.call(&sa, Args::new([obj.clone(), Value::Obj(name.clone()), v]))?;
                            return Ok(());
                        }
                    }
                    let hint = std::sync::atomic::AtomicU8::new(u8::MAX);
                    let old = inst.set_name(name, name_hash(name), v, &hint);
                    drop(old);
                    return Ok(());
                }
                Object::Class(c) => {
                    if c.frozen {
                        let msg = format!("cannot set '{}' attribute of immutable type '{}'", name.str_text(), c.name);
                        return Err(self.type_error(&msg));
                    }
                    if let Some(meta) = &c.meta {
                        if self.meta_set_attr(obj, &meta.clone(), name, &v)? {
                            return Ok(());
                        }
                    }
                    c.set_own(name, v);
                    return Ok(());
                }
                Object::Module(m) => {
                    m.globals.set(name, v);
                    return Ok(());
                }
                Object::Function(f) => {
                    let mut d = f.dict.lock();
                    let d = d.get_or_insert_with(Default::default);
                    let old = d.set_simple(name_hash(name), Value::Obj(name.clone()), v);
                    drop(old);
                    return Ok(());
                }
                _ => {}
            }
        }
        let msg = if self.lookup_type_attr(&self.class_of(obj), name).is_some() {
            format!("'{}' object attribute '{}' is read-only", self.type_name(obj), name.str_text())
        } else {
            format!("'{}' object has no attribute '{}'", self.type_name(obj), name.str_text())
        };
        Err(self.error(Exc::AttributeError, &msg))
    }

    /// Setting an attribute of a class whose metaclass is a script class: the
    /// metaclass's `__setattr__` or data descriptor. False when neither applies.
    fn meta_set_attr(&mut self, cls: &Value, meta: &ObjRef, name: &ObjRef, v: &Value) -> PyResult<bool> {
        let sa = self.lookup_type_attr(meta, &crate::interp::names().__setattr__);
        if super::ops::overrides(&sa) {
            self.call(&sa.unwrap(), Args::new([cls.clone(), Value::Obj(name.clone()), v.clone()]))?;
            return Ok(true);
        }
        if let Some(d) = self.lookup_type_attr(meta, name) {
            match d.obj() {
                Some(Object::Property(p)) if !p.fset.is_none() => {
                    let s = p.fset.clone();
                    self.call(&s, Args::new([cls.clone(), v.clone()]))?;
                    return Ok(true);
                }
                Some(Object::Instance(_)) => {
                    let dcls = self.class_of(&d);
                    if let Some(s) = self.lookup_type_attr(&dcls, &crate::interp::names().__set__) {
                        self.call(&s, Args::new([d.clone(), cls.clone(), v.clone()]))?;
                        return Ok(true);
                    }
                }
                _ => {}
            }
        }
        Ok(false)
    }

    /// `del obj.name`.
    pub fn del_attr(&mut self, obj: &Value, name: &ObjRef) -> PyResult<()> {
        self.del_attr_with(obj, name, true)
    }

    /// `object.__delattr__(obj, name)`: as `del_attr`, without the class's own
    /// `__delattr__` (which is what calls it).
    pub fn del_attr_generic(&mut self, obj: &Value, name: &ObjRef) -> PyResult<()> {
        self.del_attr_with(obj, name, false)
    }

    fn del_attr_with(&mut self, obj: &Value, name: &ObjRef, own_delattr: bool) -> PyResult<()> {
        if let Value::Obj(o) = obj {
            match &**o {
                Object::Instance(inst) => {
                    let cls = inst.class.clone();
                    if let Some(d) = self.lookup_type_attr(&cls, name) {
                        match d.obj() {
                            Some(Object::Property(p)) => {
                                if p.fdel.is_none() {
                                    let msg = format!(
                                        "property '{}' of '{}' object has no deleter",
                                        name.str_text(),
                                        cls.class_name()
                                    );
                                    return Err(self.error(Exc::AttributeError, &msg));
                                }
                                let f = p.fdel.clone();
                                self.call(&f, Args::new([obj.clone()]))?;
                                return Ok(());
                            }
                            Some(Object::Instance(_)) => {
                                let dcls = self.class_of(&d);
                                if let Some(f) = self.lookup_type_attr(&dcls, &crate::interp::names().__delete__) {
                                    self.call(&f, Args::new([d.clone(), obj.clone()]))?;
                                    return Ok(());
                                }
                            }
                            _ => {}
                        }
                    }
                    if own_delattr {
                        if let Some(da) = self.lookup_type_attr(&cls, &crate::interp::names().__delattr__) {
                            if !matches!(da.obj(), Some(Object::Builtin(_))) {
                                self.call(&da, Args::new([obj.clone(), Value::Obj(name.clone())]))?;
                                return Ok(());
                            }
                        }
                    }
                    let removed = {
                        let mut a = inst.attrs();
                        match a.probe(name_hash(name), &Value::Obj(name.clone())) {
                            crate::value::dict::Probe::Found(i) => Some(a.remove_at(i)),
                            _ => None,
                        }
                    };
                    if removed.is_some() {
                        return Ok(());
                    }
                }
                Object::Class(c) if own_delattr && c.meta.is_some() => {
                    let meta = c.meta.clone().unwrap();
                    let da = self.lookup_type_attr(&meta, &crate::interp::names().__delattr__);
                    if super::ops::overrides(&da) {
                        self.call(&da.unwrap(), Args::new([obj.clone(), Value::Obj(name.clone())]))?;
                        return Ok(());
                    }
                    if c.del_own(name) {
                        return Ok(());
                    }
                }
                Object::Class(c) if c.del_own(name) => return Ok(()),
                Object::Module(m) => {
                    if let Some(i) = m.globals.index_of(name.str_text()) {
                        if !m.globals.slot(i).take().is_null() {
                            return Ok(());
                        }
                    }
                }
                _ => {}
            }
        }
        Err(self.attribute_error(obj, name))
    }
}

/// What a class's namespaces (along its MRO) contain that changes attribute access.
#[derive(Clone, Copy)]
pub struct ClassFlags {
    /// No data descriptors (properties, objects with `__set__`/`__delete__`), no
    /// `__setattr__`/`__getattribute__`/`__delattr__` of its own, and not `object`
    /// itself: instance attributes can be read and written in the instance dict
    /// without looking at the class.
    pub plain: bool,
}

impl Vm {
    /// The class's flags, cached in the class and validated by the class version.
    pub fn class_flags(&mut self, cls: &ObjRef) -> ClassFlags {
        let version = CLASS_VERSION.load(Ordering::Acquire);
        let Object::Class(c) = &**cls else { return self.compute_flags(cls) };
        let cached = c.flags.load(Ordering::Relaxed);
        if cached >> 1 == version & (u64::MAX >> 1) {
            return ClassFlags { plain: cached & 1 != 0 };
        }
        let f = self.compute_flags(cls);
        c.flags.store(version << 1 | f.plain as u64, Ordering::Relaxed);
        f
    }

    fn compute_flags(&mut self, cls: &ObjRef) -> ClassFlags {
        // Exceptions are not plain: `__cause__`, `args`, ... are fields of the native
        // part (data descriptors in CPython), which `set_attr` writes.
        if cls.ptr_eq(&crate::interp::types().object)
            || crate::value::class::is_subclass(cls, &Exc::BaseException.class().clone())
        {
            return ClassFlags { plain: false };
        }
        let names = crate::interp::names();
        let mut plain = true;
        for c in crate::value::class::mro_of(cls) {
            let Object::Class(cc) = &*c else { continue };
            let items = cc.dict.read().items();
            for (k, v) in items {
                if let Some(ks) = k.as_str() {
                    let kt = ks.as_str();
                    if (kt == "__setattr__" || kt == "__getattribute__" || kt == "__delattr__")
                        && !matches!(v.obj(), Some(Object::Builtin(_)))
                    {
                        plain = false;
                    }
                }
                match v.obj() {
                    Some(Object::Property(_)) => plain = false,
                    Some(Object::Instance(_)) => {
                        let dc = self.class_of(&v);
                        if crate::value::class::lookup(&dc, &names.__set__).is_some()
                            || crate::value::class::lookup(&dc, &names.__delete__).is_some()
                        {
                            plain = false;
                        }
                    }
                    _ => {}
                }
            }
        }
        ClassFlags { plain }
    }
}

/// A bound method object.
pub fn bound(func: Value, self_: Value) -> Value {
    Value::new(Object::BoundMethod(BoundMethodObj { func, self_ }))
}
