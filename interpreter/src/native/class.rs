//! Native classes declared as one unit: name, payload type, constructor, methods and
//! properties in one `static`, made into a class object on first use.
//!
//! ```ignore
//! pub static DEQUE: NativeClass = NativeClass {
//!     name: "deque",
//!     module: "collections",
//!     doc: "A list-like sequence optimized for data accesses near its endpoints.",
//!     methods: &[&d_new::DEF, &d_append::DEF, ...],
//!     properties: &[Property { name: "maxlen", get: &d_maxlen::DEF, set: None }],
//!     subclassable: true,
//!     hashable: false,
//!     ..NativeClass::DEFAULT
//! };
//! impl NativePayload for DequeData {
//!     const CLASS: &'static NativeClass = &DEQUE;
//! }
//! ```
//!
//! A method declared `$self` with a Rust type `&DequeData` then receives the payload
//! of the instance (also of an instance of a script class derived from the native
//! one), and a call with anything else gets CPython's "descriptor 'append' for
//! 'deque' objects doesn't apply to a 'int' object". `__new__` is declared like any
//! method, with `$cls` first; it makes the instance with [`NativeClass::instance_of`].

use super::{native, KwArgs, NativeDef};
use crate::native::Exc;
use crate::value::class::BaseKind;
use crate::value::function::{BuiltinObj, PropertyObj};
use crate::value::instance::InstanceObj;
use crate::value::{ObjRef, Object, Value};
use crate::vm::{PyResult, Vm};
use std::mem::ManuallyDrop;
use std::sync::OnceLock;

/// A property of a native class: a getter declared `($self)`, and a setter declared
/// `($self, value)` for writable ones.
pub struct Property {
    pub name: &'static str,
    pub get: &'static NativeDef,
    pub set: Option<&'static NativeDef>,
}

/// A native class (see the module comment).
pub struct NativeClass {
    /// The class name (`deque`, `lock`): what reprs and messages show.
    pub name: &'static str,
    /// `__module__` (`collections`, `_thread`).
    pub module: &'static str,
    pub doc: &'static str,
    /// The base class, `object` when None.
    pub base: Option<fn() -> ObjRef>,
    /// Methods, `__new__` and `__init__` among them, each under its declared name.
    pub methods: &'static [&'static NativeDef],
    /// Methods also reachable under other names (`acquire_lock`, `__enter__`).
    pub aliases: &'static [(&'static str, &'static NativeDef)],
    pub properties: &'static [Property],
    /// Whether script classes may derive from it (`class MyDeque(deque)`).
    pub subclassable: bool,
    /// False sets `__hash__ = None`, as CPython does for mutable containers.
    pub hashable: bool,
    /// Extra class attributes, set when the class is made.
    pub attrs: Option<fn(&ObjRef)>,
    /// The class object, made on first use: always empty in a declaration (take it
    /// from [`NativeClass::DEFAULT`]). `ManuallyDrop` gives the struct no destructor,
    /// which `..NativeClass::DEFAULT` in a `static` needs; statics are never dropped.
    pub cell: ManuallyDrop<OnceLock<ObjRef>>,
}

impl NativeClass {
    /// Defaults for the fields a declaration leaves out (`..NativeClass::DEFAULT`).
    /// Each use is a fresh value with an empty cell (the point of a `const` here).
    #[allow(clippy::declare_interior_mutable_const)]
    pub const DEFAULT: NativeClass = NativeClass {
        name: "",
        module: "builtins",
        doc: "",
        base: None,
        methods: &[],
        aliases: &[],
        properties: &[],
        subclassable: false,
        hashable: true,
        attrs: None,
        cell: ManuallyDrop::new(OnceLock::new()),
    };

    /// The name CPython's type objects carry (`collections.deque`), shown in
    /// descriptor errors.
    pub fn type_name(&self) -> String {
        if self.module == "builtins" {
            self.name.to_string()
        } else {
            format!("{}.{}", self.module, self.name)
        }
    }

    /// The class object (immortal, made once).
    pub fn class(&'static self) -> &'static ObjRef {
        self.cell.get_or_init(|| self.build())
    }

    fn build(&'static self) -> ObjRef {
        let base = match self.base {
            Some(f) => f(),
            None => crate::interp::types().object.clone(),
        };
        let kind = if self.subclassable { BaseKind::Object } else { BaseKind::Builtin };
        let cls =
            crate::interp::new_class(self.name, self.module, vec![base], kind, !self.subclassable, Default::default());
        crate::interp::add_natives(&cls, self.methods);
        if !self.methods.iter().any(|d| d.sig.name == "__new__") {
            // Without a constructor the payload could not be made: refuse, as
            // CPython does for types without tp_new (`_thread.lock`).
            crate::interp::add_natives(&cls, &[&refuse_new::DEF]);
        }
        for (alias, def) in self.aliases {
            let mut b = BuiltinObj::declared(def, format!("{}.{}", self.name, alias));
            b.name = alias;
            b.owner = Some(cls.clone());
            crate::interp::set_class_attr(&cls, alias, Value::Obj(ObjRef::new_immortal(Object::Builtin(b))));
        }
        for p in self.properties {
            let method = |d: &'static NativeDef| {
                let mut b = BuiltinObj::declared(d, format!("{}.{}", self.name, p.name));
                b.owner = Some(cls.clone());
                Value::Obj(ObjRef::new_immortal(Object::Builtin(b)))
            };
            let prop = PropertyObj {
                fget: method(p.get),
                fset: p.set.map(method).unwrap_or(Value::None),
                fdel: Value::None,
                doc: if p.get.doc.is_empty() { Value::None } else { Value::str(p.get.doc) },
            };
            crate::interp::set_class_attr(&cls, p.name, Value::new(Object::Property(prop)));
        }
        if !self.hashable {
            crate::interp::set_class_attr(&cls, "__hash__", Value::None);
        }
        if !self.doc.is_empty() {
            crate::interp::set_class_attr(&cls, "__doc__", Value::str(self.doc));
        }
        if let Some(f) = self.attrs {
            f(&cls);
        }
        cls
    }

    /// A new instance of this class with `payload`.
    pub fn instance<T: super::NativePayload>(&'static self, payload: T) -> Value {
        Self::instance_of(self.class(), payload)
    }

    /// A new instance of `cls` (this class or one derived from it, as `__new__`
    /// receives) with `payload`.
    pub fn instance_of<T: super::NativePayload>(cls: &ObjRef, payload: T) -> Value {
        Value::new(Object::Instance(InstanceObj::with_native(cls.clone(), Box::new(payload))))
    }
}

/// The payload type of a native class's instances.
pub trait NativePayload: std::any::Any + Send + Sync {
    const CLASS: &'static NativeClass;
}

/// The `__new__` of a native class that declares none: instances come only from
/// the natives that make them with a payload.
#[native("native_class.__new__($cls, *args, **kwargs)")]
fn refuse_new(vm: &mut Vm, cls: &ObjRef, _args: &[Value], _kwargs: KwArgs) -> PyResult<Value> {
    let name = match &**cls {
        Object::Class(c) if c.module == "builtins" => c.name.to_string(),
        Object::Class(c) => format!("{}.{}", c.module, c.name),
        _ => "?".to_string(),
    };
    Err(vm.error(Exc::TypeError, &format!("cannot create '{name}' instances")))
}
