//! conc's execution engine: compiler from AST to bytecode, the VM, the object model,
//! builtins, exceptions and the blocking layer.
