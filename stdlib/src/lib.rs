//! The modules a conc script can import, one file per module. [`install`] registers
//! them all with the interpreter (the interpreter itself knows no module by name).

pub mod sys;
pub mod time;
mod util;

use conc_interpreter::interp::{interp, ModuleInit};

/// Every native module: (import name, initialiser).
const MODULES: &[(&str, ModuleInit)] = &[("sys", sys::init), ("time", time::init)];

/// Registers the standard library with the interpreter.
pub fn install() {
    let mut m = interp().native_modules.write();
    for (name, init) in MODULES {
        m.insert(name.to_string(), *init);
    }
}
