//! Callables: functions written in conc, native (builtin) functions, bound methods,
//! and the descriptor wrappers `property`, `staticmethod`, `classmethod`, `super`.

use super::{ObjRef, Value};
use crate::bytecode::Code;
use crate::value::module::ModuleObj;
use crate::vm::{Args, PyResult, Vm};
use parking_lot::Mutex;

/// A native function: receives the VM and its arguments (for methods, `self` first).
pub type NativeFn = fn(&mut Vm, Args) -> PyResult<Value>;

/// A native function's fast entry for calls with positional arguments only: it reads
/// them in place (for methods `self` first), usually straight from the caller's operand
/// stack, so no `Args` is built. Hot methods (lock acquire/release, ...) have one.
pub type FastFn = fn(&mut Vm, &[Value]) -> PyResult<Value>;

pub struct FunctionObj {
    pub code: &'static Code,
    /// The module whose globals the code reads (modules are immortal).
    pub module: &'static ModuleObj,
    pub name: ObjRef,
    /// Borrowed from the (immortal) code object: making a function allocates no text.
    pub qualname: &'static str,
    /// Defaults of the last positional parameters.
    pub defaults: Vec<Value>,
    /// Defaults of keyword-only parameters, by name.
    pub kwdefaults: Vec<(ObjRef, Value)>,
    /// Cells of the free variables, in `code.freevars` order.
    pub closure: Vec<ObjRef>,
    /// Attributes set on the function (`f.calls = 0`, `__wrapped__`, ...).
    pub dict: Mutex<Option<crate::value::dict::DictData>>,
    pub doc: Value,
}

pub struct BuiltinObj {
    pub name: &'static str,
    pub func: NativeFn,
    /// For a method bound to a module or an object at creation (e.g. `print` of a
    /// specific stream), the value passed as the first argument.
    pub bound: Option<Value>,
    /// The qualified name shown in reprs, e.g. `list.append`.
    pub qualname: String,
    /// The fast entry for positional-only calls (see `FastFn`); `func` still serves
    /// calls with keywords.
    pub fast: Option<FastFn>,
    /// True when `fast` is the only real entry: keywords are then rejected with
    /// CPython's "takes no keyword arguments".
    pub fast_only: bool,
    /// A method of a built-in value type (list.append, str.upper, ...): when `self`
    /// is an instance of a derived class, the call passes its base value instead, so
    /// the method's own checks for its type keep working.
    pub unwrap_self: bool,
}

pub struct BoundMethodObj {
    pub func: Value,
    pub self_: Value,
}

pub struct PropertyObj {
    pub fget: Value,
    pub fset: Value,
    pub fdel: Value,
    pub doc: Value,
}

pub struct SuperObj {
    /// The class after which the MRO search starts.
    pub class: ObjRef,
    /// The instance (or class, for classmethods) attributes are bound to.
    pub obj: Value,
    /// The type whose MRO is searched (type(obj), or obj itself for a class).
    pub obj_type: ObjRef,
}
