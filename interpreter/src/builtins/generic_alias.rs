//! `list[int]` and `int | None`: the built-in generic types' `__class_getitem__` and
//! `type.__or__`. The objects they make (`types.GenericAlias`, `types.UnionType`) are
//! classes written in conc; the stdlib names the module holding them at start-up
//! (`ALIAS_MODULE`), so the interpreter does not know a stdlib module by name.

use crate::native::{native, Exc};
use crate::value::str::intern;
use crate::value::{ObjRef, Object, Value};
use crate::vm::{Args, PyResult, Vm};
use std::sync::OnceLock;

/// The conc module defining `GenericAlias`, `_union_or` and `_union_ror`.
pub static ALIAS_MODULE: OnceLock<&'static str> = OnceLock::new();

/// The built-in classes CPython makes generic (their subscription is a GenericAlias).
const GENERIC_BUILTINS: &[&str] = &["list", "dict", "tuple", "set", "frozenset", "type"];

/// `name` from the alias module, imported on first use.
pub fn alias_hook(vm: &mut Vm, name: &str) -> PyResult<Value> {
    let Some(module) = ALIAS_MODULE.get() else {
        let msg = format!("{name} needs conc's standard library");
        return Err(vm.error(Exc::NotImplementedError, &msg));
    };
    let m = vm.import_module(module)?;
    vm.get_attr(&m, &intern(name))
}

impl Vm {
    /// `cls[key]` with no metaclass `__getitem__`: the class's `__class_getitem__`
    /// (an implicit class method), a GenericAlias for the built-in generic types, or
    /// CPython's "not subscriptable" TypeError.
    pub(crate) fn class_getitem(&mut self, cls: &ObjRef, key: &Value) -> PyResult<Value> {
        let clsv = Value::Obj(cls.clone());
        if let Some(f) = self.lookup_type_attr(cls, &intern("__class_getitem__")) {
            let f = match f.obj() {
                Some(Object::ClassMethod(inner)) => inner.clone(),
                Some(Object::StaticMethod(inner)) => return self.call(&inner.clone(), Args::new([key.clone()])),
                _ => f,
            };
            return self.call(&f, Args::new([clsv, key.clone()]));
        }
        if let Object::Class(c) = &**cls {
            if c.module == "builtins" && GENERIC_BUILTINS.contains(&c.name.as_str()) {
                let ga = alias_hook(self, "GenericAlias")?;
                return self.call(&ga, Args::new([clsv, key.clone()]));
            }
        }
        let msg = format!("type '{}' is not subscriptable", cls.class_name());
        Err(self.type_error(&msg))
    }
}

/// Return self|value.
#[native("type.__or__($self, value, /)", style = "slot")]
pub fn type_or(vm: &mut Vm, this: &Value, value: &Value) -> PyResult<Value> {
    let f = alias_hook(vm, "_union_or")?;
    vm.call(&f, Args::new([this.clone(), value.clone()]))
}

/// Return value|self.
#[native("type.__ror__($self, value, /)", style = "slot")]
pub fn type_ror(vm: &mut Vm, this: &Value, value: &Value) -> PyResult<Value> {
    let f = alias_hook(vm, "_union_or")?;
    vm.call(&f, Args::new([value.clone(), this.clone()]))
}
