//! Builtins: the builtins module and the methods of the built-in types. One file per
//! type or theme, each with an explicit registration list.

pub mod aiter;
pub mod async_gen;
pub mod attrs;
pub mod bytes_methods;
pub mod bytes_more;
pub mod classes;
pub mod constructors;
pub mod dict_methods;
pub mod evaluate;
pub mod exceptions;
pub mod format;
pub mod functions;
pub mod gen_methods;
pub mod generic_alias;
pub mod io;
pub mod list_methods;
pub mod memoryview;
pub mod num_methods;
pub mod repr;
pub mod set_methods;
pub mod str_methods;
pub mod syntax_error;
pub mod sys_io;
pub mod sys_io_buffer;
pub mod value_slots;

use crate::interp::{builtins_module, types};
use crate::value::str::intern;
use crate::value::{Object, Value};
use crate::vm::subscript::SliceIdx;
use crate::vm::{Args, PyResult, Vm};

/// Fills every built-in type's namespace and the builtins module.
pub fn register_all(vm: &mut Vm) {
    classes::register(vm);
    exceptions::register(vm);
    syntax_error::register();
    constructors::register(vm);
    list_methods::register(vm);
    dict_methods::register(vm);
    set_methods::register(vm);
    str_methods::register(vm);
    bytes_methods::register(vm);
    num_methods::register(vm);
    value_slots::register(vm);
    gen_methods::register(vm);
    let b = builtins_module();
    for def in functions::FUNCTIONS {
        b.globals.set(&intern(def.sig.name), crate::native::function_value(def));
    }
    let t = types();
    let classes = [
        ("object", &t.object),
        ("type", &t.type_),
        ("int", &t.int),
        ("bool", &t.bool_),
        ("float", &t.float),
        ("str", &t.str_),
        ("bytes", &t.bytes),
        ("bytearray", &t.bytearray),
        ("list", &t.list),
        ("tuple", &t.tuple),
        ("dict", &t.dict),
        ("set", &t.set),
        ("frozenset", &t.frozenset),
        ("range", &t.range),
        ("slice", &t.slice),
        ("property", &t.property),
        ("staticmethod", &t.staticmethod),
        ("classmethod", &t.classmethod),
        ("super", &t.super_),
        ("enumerate", &t.enumerate),
        ("zip", &t.zip),
        ("map", &t.map),
        ("filter", &t.filter),
        ("reversed", &t.reversed),
    ];
    b.globals.set(&intern("memoryview"), memoryview::class());
    for (name, c) in classes {
        b.globals.set(&intern(name), Value::Obj((*c).clone()));
    }
    for (name, c) in crate::interp::interp().exceptions.iter() {
        b.globals.set(&intern(name), Value::Obj(c.clone()));
    }
    b.globals.set(&intern("None"), Value::None);
    b.globals.set(&intern("NotImplemented"), crate::interp::not_implemented());
    b.globals.set(&intern("Ellipsis"), crate::interp::interp().ellipsis.clone());
    b.globals.set(&intern("__name__"), Value::str("builtins"));
    b.globals.set(&intern("__build_class__"), crate::interp::build_class_fn());
    let optimize = crate::interp::OPTIMIZE.load(std::sync::atomic::Ordering::Relaxed);
    b.globals.set(&intern("__debug__"), Value::Bool(optimize == 0));
    sys_io::register(vm);
    io::register(vm);
}

/// Positional argument `i` of a native function, or a TypeError naming it.
pub fn arg(vm: &mut Vm, args: &Args, i: usize, fname: &str) -> PyResult<Value> {
    match args.pos.get(i) {
        Some(v) => Ok(v.clone()),
        None => {
            let msg = format!("{fname}() missing required argument (pos {})", i + 1);
            Err(vm.type_error(&msg))
        }
    }
}

/// The one-character string at code point `i` of `s`.
pub fn str_char(s: &crate::value::str::StrObj, i: usize) -> Value {
    let c = s.char_at(i);
    if c.is_ascii() {
        // Single ASCII characters are interned: iterating over text does not allocate.
        let mut buf = [0u8; 4];
        return Value::Obj(intern(c.encode_utf8(&mut buf)));
    }
    Value::string(c.to_string())
}

/// A slice of a str.
pub fn str_slice(s: &crate::value::str::StrObj, idx: &SliceIdx) -> Value {
    if idx.step == 1 {
        let a = s.byte_offset(idx.start.max(0) as usize);
        let b = s.byte_offset((idx.start.max(0) as usize) + idx.len);
        return Value::str(&s.as_str()[a..b]);
    }
    if s.is_ascii() {
        let bytes = s.as_str().as_bytes();
        let out: String = idx.indices().map(|i| bytes[i] as char).collect();
        return Value::string(out);
    }
    let chars: Vec<char> = s.as_str().chars().collect();
    let out: String = idx.indices().map(|i| chars[i]).collect();
    Value::string(out)
}

/// True for instances of the given built-in object kind.
pub fn is_kind(v: &Value, f: fn(&Object) -> bool) -> bool {
    v.obj().map(f).unwrap_or(false)
}

/// `v.__bytes__()` when v's class defines it (checked to return bytes); None when it
/// does not.
pub fn dunder_bytes(vm: &mut Vm, v: &Value) -> PyResult<Option<Value>> {
    let cls = vm.class_of(v);
    let Some(f) = vm.lookup_type_attr(&cls, &intern("__bytes__")) else {
        return Ok(None);
    };
    let r = vm.call(&f, Args::new([v.clone()]))?;
    if !matches!(r.obj(), Some(Object::Bytes(_))) {
        let msg = format!("__bytes__ returned non-bytes (type {})", vm.type_name(&r));
        return Err(vm.type_error(&msg));
    }
    Ok(Some(r))
}

/// The contents of a bytes-like value (`bytes`, `bytearray`), copied so that no lock is
/// held afterwards; None for anything else.
pub fn bytes_like(v: &Value) -> Option<Vec<u8>> {
    match v.unwrap_base().obj()? {
        Object::Bytes(b) => Some(b.to_vec()),
        Object::ByteArray(b) => Some(b.snapshot()),
        _ => memoryview::view_bytes(v),
    }
}
