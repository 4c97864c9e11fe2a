//! conc's execution engine: compiler from AST to bytecode, the VM, the object model,
//! builtins, exceptions and the blocking layer.
//!
//! The embedding (the `conc` binary) calls [`Runtime::new`] once, registers native
//! modules, then runs scripts with a [`vm::Vm`] per thread.

pub mod blocking;
pub mod builtins;
pub mod bytecode;
pub mod bytecode_dis;
pub mod compiler;
pub mod deadlock;
pub mod fork;
pub mod interp;
pub mod native;
pub mod operator;
pub mod signals;
pub mod stdio;
pub mod trace;
pub mod value;
pub mod vm;

// The `#[native]` macro names this crate by its external name, also inside it.
extern crate self as conc_interpreter;

pub use value::{ObjRef, Object, Value};
pub use vm::{Args, PyErr, PyResult, Vm};

/// Start-up of the interpreter: builds the global state once.
pub struct Runtime;

impl Runtime {
    /// Initialises types and builtins (idempotent) and returns a VM for this thread.
    #[allow(clippy::new_ret_no_self)]
    pub fn new() -> Vm {
        crate::interp::init();
        let mut vm = Vm::new();
        static POPULATED: std::sync::Once = std::sync::Once::new();
        POPULATED.call_once(|| crate::interp::populate(&mut vm));
        vm
    }
}
