//! Helpers shared by the module files.

use conc_interpreter::value::str::intern;
use conc_interpreter::{ObjRef, Object, Value};

/// Sets `name = value` in a module.
pub fn set(m: &ObjRef, name: &str, v: Value) {
    if let Object::Module(mm) = &**m {
        mm.globals.set(&intern(name), v);
    }
}

/// Adds declared natives (`&name::DEF`) to a module as its functions.
pub fn natives(m: &ObjRef, defs: &[&'static conc_interpreter::native::NativeDef]) {
    for def in defs {
        set(m, def.sig.name, conc_interpreter::native::function_value(def));
    }
}
