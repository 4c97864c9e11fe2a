//! Helpers shared by the module files.

use conc_interpreter::interp::native;
use conc_interpreter::native::Exc;
use conc_interpreter::value::function::NativeFn;
use conc_interpreter::value::str::intern;
use conc_interpreter::{ObjRef, Object, Value};

/// Sets `name = value` in a module.
pub fn set(m: &ObjRef, name: &str, v: Value) {
    if let Object::Module(mm) = &**m {
        mm.globals.set(&intern(name), v);
    }
}

/// Adds native functions to a module (qualified as `module.name` in reprs).
pub fn functions(m: &ObjRef, list: &[(&'static str, NativeFn)]) {
    for (name, f) in list {
        set(m, name, native(name, name, *f));
    }
}

/// Adds declared natives (`&name::DEF`) to a module as its functions.
pub fn natives(m: &ObjRef, defs: &[&'static conc_interpreter::native::NativeDef]) {
    for def in defs {
        set(m, def.sig.name, conc_interpreter::native::function_value(def));
    }
}

/// A timeout argument in seconds: None (or a negative number when `neg_forever`)
/// means wait forever.
pub fn arg_timeout(
    vm: &mut conc_interpreter::Vm,
    v: &Value,
    neg_forever: bool,
) -> conc_interpreter::PyResult<Option<std::time::Duration>> {
    let secs = match v {
        Value::None => return Ok(None),
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        Value::Bool(b) => *b as i64 as f64,
        Value::Obj(o) if matches!(&**o, conc_interpreter::Object::BigInt(_)) => {
            return Err(vm.error(Exc::OverflowError, "timestamp too large to convert to C _PyTime_t"));
        }
        _ => {
            let msg = format!("'{}' object cannot be interpreted as an integer", vm.type_name(v));
            return Err(vm.type_error(&msg));
        }
    };
    if secs < 0.0 {
        if neg_forever && secs == -1.0 {
            return Ok(None);
        }
        if neg_forever {
            return Err(vm.value_error("timeout value must be positive"));
        }
        return Ok(Some(std::time::Duration::ZERO));
    }
    vm.seconds(secs).map(Some)
}
