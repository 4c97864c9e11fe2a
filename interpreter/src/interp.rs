//! Process-wide interpreter state, built once at start-up and immortal: the built-in
//! types and exception classes, interned dunder names, the builtins module, the module
//! registry (`sys.modules`) and the native module table the embedding registers.

use crate::bytecode::Code;
use crate::value::class::{BaseKind, ClassObj};
use crate::value::dict::DictData;
use crate::value::function::BuiltinObj;
use crate::value::module::ModuleObj;
use crate::value::str::intern;
use crate::value::{ObjRef, Object, Singleton, Value};
use crate::vm::{Args, PyResult, Vm};
use parking_lot::{Mutex, RwLock};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// Builds a native module's contents into the given (empty) module.
pub type ModuleInit = fn(&mut Vm, &ObjRef) -> PyResult<()>;

macro_rules! names {
    ($($n:ident),* $(,)?) => {
        /// Interned names the VM looks up often.
        #[allow(non_snake_case)]
        pub struct Names { $(pub $n: ObjRef,)* }
        impl Names {
            fn new() -> Names { Names { $($n: intern(stringify!($n)),)* } }
        }
    };
}

names!(
    __init__,
    __new__,
    __call__,
    __str__,
    __repr__,
    __eq__,
    __ne__,
    __hash__,
    __len__,
    __iter__,
    __next__,
    __getitem__,
    __setitem__,
    __delitem__,
    __contains__,
    __enter__,
    __exit__,
    __get__,
    __set__,
    __delete__,
    __getattr__,
    __setattr__,
    __delattr__,
    __bool__,
    __format__,
    __class__,
    __dict__,
    __name__,
    __qualname__,
    __module__,
    __doc__,
    __init_subclass__,
    __set_name__,
    __index__,
    __int__,
    __float__,
    __abs__,
    __missing__,
    __reversed__,
    __lt__,
    __le__,
    __gt__,
    __ge__,
    __slots__,
    __main__,
    __file__,
    __builtins__,
    __annotations__,
    __mro__,
    __bases__,
    __base__,
    __dir__,
    __await__,
    __aenter__,
    __aexit__,
    __aiter__,
    __anext__,
    __length_hint__,
    __round__,
);

macro_rules! types {
    ($($n:ident),* $(,)?) => {
        /// The built-in classes.
        pub struct Types { $(pub $n: ObjRef,)* }
    };
}

types!(
    object,
    type_,
    int,
    bool_,
    float,
    str_,
    bytes,
    bytearray,
    list,
    tuple,
    dict,
    set,
    frozenset,
    range,
    slice,
    function,
    builtin_function,
    method,
    module,
    generator,
    coroutine,
    async_generator,
    none_type,
    not_implemented_type,
    ellipsis_type,
    property,
    staticmethod,
    classmethod,
    super_,
    cell,
    code,
    iterator,
    list_iterator,
    tuple_iterator,
    str_iterator,
    range_iterator,
    longrange_iterator,
    dict_keyiterator,
    set_iterator,
    enumerate,
    zip,
    map,
    filter,
    reversed,
    callable_iterator,
    dict_valueiterator,
    dict_itemiterator,
);

pub struct Interp {
    pub types: Types,
    pub names: Names,
    pub exceptions: HashMap<&'static str, ObjRef>,
    /// The built-in exception classes by [`crate::native::Exc`] (its discriminant).
    pub exc_classes: Vec<ObjRef>,
    pub builtins_ref: ObjRef,
    pub object_new: ObjRef,
    pub object_init: ObjRef,
    pub build_class: Value,
    pub not_implemented: Value,
    pub ellipsis: Value,
    pub empty_code: &'static Code,
    pub seq_getitem_adapter: Value,
    /// `sys.modules`: a dict scripts see and change (`sys.modules[name] = m`).
    pub modules: ModuleTable,
    /// Native modules by name, registered by the embedding (the stdlib crate).
    pub native_modules: RwLock<HashMap<String, ModuleInit>>,
    /// Modules written in conc that ship inside the binary, by import name.
    pub embedded_sources: RwLock<HashMap<String, &'static EmbeddedModule>>,
    /// Builtins provided by modules, imported on first use: name -> (module, attribute).
    pub lazy_builtins: RwLock<HashMap<String, (String, String)>>,
    /// Directories searched for `import name` of `.conc` files (`sys.path`).
    pub path: Mutex<Vec<String>>,
    pub argv: Mutex<Vec<String>>,
}

/// `sys.modules`: the loaded modules by name in a real dict, the one `sys.modules`
/// returns, so what a script stores or deletes there is what `import` finds. Keys the
/// interpreter uses are strs, whose comparison runs no script code, so the dict is
/// read and written here under its own lock.
pub struct ModuleTable {
    dict: Value,
}

impl ModuleTable {
    fn new() -> ModuleTable {
        let d = crate::value::dict::DictObj::new(DictData::new());
        ModuleTable { dict: Value::Obj(ObjRef::new_immortal(Object::Dict(d))) }
    }

    fn data(&self) -> &crate::value::dict::DictObj {
        match self.dict.obj() {
            Some(Object::Dict(d)) => d,
            _ => unreachable!("sys.modules is made as a dict"),
        }
    }

    /// The dict itself (`sys.modules`).
    pub fn dict(&self) -> Value {
        self.dict.clone()
    }

    pub fn get(&self, name: &str) -> Option<Value> {
        let key = Value::str(name);
        let h = crate::value::str::hash_str(name);
        self.data().lock().get_simple(h, &key).cloned()
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    pub fn insert(&self, name: &str, m: Value) {
        let h = crate::value::str::hash_str(name);
        let old = self.data().lock().set_simple(h, Value::str(name), m);
        drop(old);
    }

    pub fn remove(&self, name: &str) {
        let key = Value::str(name);
        let h = crate::value::str::hash_str(name);
        let removed = {
            let mut d = self.data().lock();
            match d.probe(h, &key) {
                crate::value::dict::Probe::Found(i) => Some(d.remove_at(i)),
                _ => None,
            }
        };
        // Values are dropped after the lock is released.
        drop(removed);
    }

    /// Every module loaded (values of the dict).
    pub fn values(&self) -> Vec<Value> {
        self.data().lock().values()
    }
}

/// A module written in conc and shipped inside the binary (the stdlib crate's build
/// script lists every `stdlib/lib/**.conc` file as one of these).
pub struct EmbeddedModule {
    /// The import name (`concurrent.futures`).
    pub name: &'static str,
    /// The file's path below `stdlib/lib` (`concurrent/futures/__init__.conc`).
    pub path: &'static str,
    /// True for a package's `__init__.conc`.
    pub is_package: bool,
    pub source: &'static str,
}

impl EmbeddedModule {
    /// The module's source: the embedded text, or, when the environment variable
    /// `CONC_STDLIB_DIR` names a folder, the file at `path` below it. The override lets
    /// someone working on a conc module run it without rebuilding the binary.
    pub fn current_source(&self) -> std::borrow::Cow<'static, str> {
        static DIR: OnceLock<Option<String>> = OnceLock::new();
        let dir = DIR.get_or_init(|| std::env::var("CONC_STDLIB_DIR").ok().filter(|d| !d.is_empty()));
        if let Some(d) = dir {
            if let Ok(text) = std::fs::read_to_string(std::path::Path::new(d).join(self.path)) {
                return std::borrow::Cow::Owned(text);
            }
        }
        std::borrow::Cow::Borrowed(self.source)
    }
}

static INTERP: OnceLock<Interp> = OnceLock::new();

/// `-O`'s level (`sys.flags.optimize`): above 0 the compiler leaves out `assert`
/// statements and `__debug__` is False. Set by the command line before start-up.
pub static OPTIMIZE: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

/// `sys.set_int_max_str_digits`: the longest int that str() converts (0 = no limit).
pub static INT_MAX_STR_DIGITS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(4300);

/// The interpreter state. Panics if [`init`] was not called.
#[inline(always)]
pub fn interp() -> &'static Interp {
    match INTERP.get() {
        Some(i) => i,
        None => init(),
    }
}

#[inline]
pub fn names() -> &'static Names {
    &interp().names
}

pub fn types() -> &'static Types {
    &interp().types
}

pub fn object_new() -> ObjRef {
    interp().object_new.clone()
}

pub fn object_init() -> ObjRef {
    interp().object_init.clone()
}

pub fn build_class_fn() -> Value {
    interp().build_class.clone()
}

pub fn not_implemented() -> Value {
    interp().not_implemented.clone()
}

pub fn empty_code() -> &'static Code {
    interp().empty_code
}

pub fn builtins_module() -> &'static ModuleObj {
    match interp().builtins_ref.as_static() {
        Object::Module(m) => m,
        _ => unreachable!(),
    }
}

pub fn seq_getitem_adapter() -> Value {
    interp().seq_getitem_adapter.clone()
}

/// The arguments of a fast entry as `Args` for its general entry, with `self` replaced
/// by its base value when it is an instance of a class derived from a value type (what
/// `prepare_call` does for calls that do not take the fast path).
pub fn unwrapped_args(args: &[Value]) -> Args {
    let mut v = args.to_vec();
    if let Some(first) = v.first_mut() {
        if let Some(b) = first.base_value() {
            *first = b.clone();
        }
    }
    Args::new(v)
}

/// Creates a class object (immortal). `methods` become its namespace.
pub fn new_class(
    name: &str,
    module: &str,
    bases: Vec<ObjRef>,
    base_kind: BaseKind,
    frozen: bool,
    ns: DictData,
) -> ObjRef {
    let mro = crate::value::class::c3_mro(&bases).unwrap_or_default();
    ObjRef::new_immortal(Object::Class(Box::new(ClassObj {
        name: name.to_string(),
        qualname: name.to_string(),
        module: module.to_string(),
        bases,
        mro,
        dict: RwLock::new(ns),
        base_kind,
        frozen,
        flags: Default::default(),
        meta: None,
    })))
}

/// Adds declared natives (`&name::DEF`, see `crate::native`) as methods of a class,
/// each named `Class.name` in messages and reprs. On a built-in value type they get
/// the base value of an instance of a derived class as `self`.
pub fn add_natives(cls: &ObjRef, defs: &[&'static crate::native::NativeDef]) {
    if let Object::Class(c) = &**cls {
        let unwrap_self = c.base_kind == BaseKind::Value;
        let mut d = c.dict.write();
        for def in defs {
            let key = intern(def.sig.name);
            let h = crate::value::class::name_hash(&key);
            let mut b = BuiltinObj::declared(def, format!("{}.{}", c.name, def.sig.name));
            b.unwrap_self = unwrap_self;
            b.owner = Some(cls.clone());
            d.set_simple(h, Value::Obj(key), Value::Obj(ObjRef::new_immortal(Object::Builtin(b))));
        }
    }
    crate::value::class::bump_class_version();
}

/// Sets one attribute in a class namespace (at start-up).
pub fn set_class_attr(cls: &ObjRef, name: &str, v: Value) {
    if let Object::Class(c) = &**cls {
        let key = intern(name);
        let h = crate::value::class::name_hash(&key);
        c.dict.write().set_simple(h, Value::Obj(key), v);
    }
    crate::value::class::bump_class_version();
}

/// Initialises the interpreter state once; later calls return the same state.
pub fn init() -> &'static Interp {
    INTERP.get_or_init(build)
}

fn build() -> Interp {
    let names = Names::new();
    let empty =
        |name: &str, bases: Vec<ObjRef>| new_class(name, "builtins", bases, BaseKind::Builtin, true, DictData::new());
    let object = new_class("object", "builtins", vec![], BaseKind::Object, true, DictData::new());
    let o = || vec![object.clone()];
    // The built-in types scripts may derive from.
    let value = |name: &str| new_class(name, "builtins", vec![object.clone()], BaseKind::Value, true, DictData::new());
    let int = value("int");
    let types = Types {
        type_: empty("type", o()),
        bool_: empty("bool", vec![int.clone()]),
        int,
        float: value("float"),
        str_: value("str"),
        bytes: value("bytes"),
        bytearray: value("bytearray"),
        list: value("list"),
        tuple: value("tuple"),
        dict: value("dict"),
        set: value("set"),
        frozenset: value("frozenset"),
        range: empty("range", o()),
        slice: empty("slice", o()),
        function: empty("function", o()),
        builtin_function: empty("builtin_function_or_method", o()),
        method: empty("method", o()),
        module: empty("module", o()),
        generator: empty("generator", o()),
        coroutine: empty("coroutine", o()),
        async_generator: empty("async_generator", o()),
        none_type: empty("NoneType", o()),
        not_implemented_type: empty("NotImplementedType", o()),
        ellipsis_type: empty("ellipsis", o()),
        property: empty("property", o()),
        staticmethod: empty("staticmethod", o()),
        classmethod: empty("classmethod", o()),
        super_: empty("super", o()),
        cell: empty("cell", o()),
        code: empty("code", o()),
        iterator: empty("iterator", o()),
        list_iterator: empty("list_iterator", o()),
        tuple_iterator: empty("tuple_iterator", o()),
        str_iterator: empty("str_ascii_iterator", o()),
        range_iterator: empty("range_iterator", o()),
        longrange_iterator: empty("longrange_iterator", o()),
        dict_keyiterator: empty("dict_keyiterator", o()),
        dict_valueiterator: empty("dict_valueiterator", o()),
        dict_itemiterator: empty("dict_itemiterator", o()),
        set_iterator: empty("set_iterator", o()),
        enumerate: empty("enumerate", o()),
        zip: empty("zip", o()),
        map: empty("map", o()),
        filter: empty("filter", o()),
        reversed: empty("reversed", o()),
        callable_iterator: empty("callable_iterator", o()),
        object,
    };
    let exceptions = crate::builtins::exceptions::build_hierarchy(&types.object);
    let exc_classes = crate::native::Exc::ALL.iter().map(|e| exceptions[e.name()].clone()).collect();
    let builtins_ref = ObjRef::new_immortal(Object::Module(Box::new(ModuleObj::new("builtins", None))));
    let declared = |def: &'static crate::native::NativeDef, qualname: &str| {
        ObjRef::new_immortal(Object::Builtin(BuiltinObj::declared(def, qualname.to_string())))
    };
    let object_new = declared(&crate::builtins::classes::object_new::DEF, "object.__new__");
    let object_init = declared(&crate::builtins::classes::object_init::DEF, "object.__init__");
    let empty_code: &'static Code = Box::leak(Box::new(Code {
        name: "<empty>".into(),
        name_obj: crate::value::str::intern("<empty>"),
        qualname: "<empty>".into(),
        filename: "<empty>".into(),
        instrs: vec![crate::bytecode::Instr::LoadConst(0), crate::bytecode::Instr::Return],
        spans: vec![Default::default(); 2],
        consts: vec![Value::None],
        names: vec![],
        attr_hints: Box::new([]),
        builtin_slots: Box::new([]),
        global_slots: vec![],
        exc_table: vec![],
        posonly_count: 0,
        arg_count: 0,
        kwonly_count: 0,
        flags: 0,
        varnames: vec![],
        cellvars: vec![],
        freevars: vec![],
        cell_params: vec![],
        max_stack: 1,
        first_line: 1,
        source: Arc::from(""),
        line_index: Arc::new(conc_grammar::LineIndex::new("")),
        module_addr: 0,
        module_owner: None,
    }));
    Interp {
        types,
        names,
        exceptions,
        exc_classes,
        builtins_ref,
        object_new,
        object_init,
        build_class: Value::Obj(declared(&crate::builtins::classes::build_class::DEF, "__build_class__")),
        not_implemented: Value::Obj(ObjRef::new_immortal(Object::Singleton(Singleton::NotImplemented))),
        ellipsis: Value::Obj(ObjRef::new_immortal(Object::Singleton(Singleton::Ellipsis))),
        empty_code,
        seq_getitem_adapter: Value::Obj(declared(&crate::builtins::functions::seq_getitem_adapter::DEF, "getitem")),
        modules: ModuleTable::new(),
        native_modules: RwLock::new(HashMap::new()),
        embedded_sources: RwLock::new(HashMap::new()),
        lazy_builtins: RwLock::new(HashMap::new()),
        path: Mutex::new(Vec::new()),
        argv: Mutex::new(Vec::new()),
    }
}

/// Fills the built-in types' namespaces and the builtins module. Called once by
/// [`crate::Runtime::new`] after [`init`], with a VM to run any setup code.
pub fn populate(vm: &mut Vm) {
    crate::builtins::register_all(vm);
}

/// The class of a value.
pub fn class_of(v: &Value) -> ObjRef {
    let t = types();
    match v {
        Value::Null | Value::None => t.none_type.clone(),
        Value::Bool(_) => t.bool_.clone(),
        Value::Int(_) => t.int.clone(),
        Value::Float(_) => t.float.clone(),
        Value::Obj(o) => match &**o {
            Object::Str(_) => t.str_.clone(),
            Object::BigInt(_) => t.int.clone(),
            Object::Tuple(_) => t.tuple.clone(),
            Object::Bytes(_) => t.bytes.clone(),
            Object::ByteArray(_) => t.bytearray.clone(),
            Object::List(_) => t.list.clone(),
            Object::Dict(_) => t.dict.clone(),
            Object::Set(s) => {
                if s.frozen {
                    t.frozenset.clone()
                } else {
                    t.set.clone()
                }
            }
            Object::Range(_) | Object::BigRange(_) => t.range.clone(),
            Object::Slice(_) => t.slice.clone(),
            Object::Function(_) => t.function.clone(),
            Object::Builtin(_) => t.builtin_function.clone(),
            Object::BoundMethod(_) => t.method.clone(),
            Object::Class(c) => c.meta.clone().unwrap_or_else(|| t.type_.clone()),
            Object::Instance(i) => i.class.clone(),
            Object::Module(_) => t.module.clone(),
            Object::Generator(g) => match g.kind {
                crate::value::generator::GenKind::Generator => t.generator.clone(),
                crate::value::generator::GenKind::Coroutine => t.coroutine.clone(),
                crate::value::generator::GenKind::AsyncGenerator => t.async_generator.clone(),
            },
            Object::Cell(_) => t.cell.clone(),
            Object::Iter(it) => {
                use crate::value::iter::IterObj as I;
                match it {
                    I::Seq { seq, .. } => match seq.obj() {
                        Some(Object::List(_)) => t.list_iterator.clone(),
                        Some(Object::Tuple(_)) => t.tuple_iterator.clone(),
                        Some(Object::Str(_)) => t.str_iterator.clone(),
                        _ => t.iterator.clone(),
                    },
                    I::Range { .. } => t.range_iterator.clone(),
                    I::BigRange { .. } => t.longrange_iterator.clone(),
                    I::Dict { what: 0, .. } => t.dict_keyiterator.clone(),
                    I::Dict { what: 1, .. } => t.dict_valueiterator.clone(),
                    I::Dict { .. } => t.dict_itemiterator.clone(),
                    I::Set { .. } => t.set_iterator.clone(),
                    I::Enumerate { .. } => t.enumerate.clone(),
                    I::Zip { .. } => t.zip.clone(),
                    I::Map { .. } => t.map.clone(),
                    I::Filter { .. } => t.filter.clone(),
                    I::Reversed { .. } => t.reversed.clone(),
                    I::Callable { .. } => t.callable_iterator.clone(),
                }
            }
            Object::Property(_) => t.property.clone(),
            Object::StaticMethod(_) => t.staticmethod.clone(),
            Object::ClassMethod(_) => t.classmethod.clone(),
            Object::Super(_) => t.super_.clone(),
            Object::Singleton(Singleton::NotImplemented) => t.not_implemented_type.clone(),
            Object::Singleton(Singleton::Ellipsis) => t.ellipsis_type.clone(),
            Object::Code(_) => t.code.clone(),
        },
    }
}
