//! Callables: functions written in conc, native (builtin) functions, bound methods,
//! and the descriptor wrappers `property`, `staticmethod`, `classmethod`, `super`.

use super::{ObjRef, Value};
use crate::bytecode::Code;
use crate::native::Exc;
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
    /// Read on every call without touching a count; kept alive by `code_obj`.
    pub code: &'static Code,
    /// The counted reference to the code object, which owns `code` (immortal for
    /// module code, see `value/code.rs`).
    pub code_obj: ObjRef,
    /// `code_obj` is mortal (compiled at run time): frames must hold it. Kept beside
    /// `code` so that calls need not read the code object's count.
    pub code_mortal: bool,
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
    /// The declaration of a native written with `#[native]`: its entries replace
    /// `func` and `fast`, which only hand-decoded natives still use.
    pub def: Option<&'static crate::native::NativeDef>,
    /// The class a method was registered on (declared natives), against which
    /// `native::Receiver` checks `self`.
    pub owner: Option<ObjRef>,
    /// A function of a module (`time.gmtime`, `len`), not a method of a type: as in
    /// CPython, such a builtin is no descriptor, so stored as a class attribute it
    /// is not bound to the instance it is read through.
    pub function: bool,
}

impl BuiltinObj {
    /// A declared native under the name its messages and repr show (`list.append` for
    /// a method, the bare name for a function).
    pub fn declared(def: &'static crate::native::NativeDef, qualname: String) -> BuiltinObj {
        fn never(vm: &mut Vm, _: Args) -> PyResult<Value> {
            Err(vm.error(Exc::SystemError, "a declared native was called through its legacy entry"))
        }
        BuiltinObj {
            name: def.sig.name,
            func: never,
            bound: None,
            qualname,
            fast: None,
            fast_only: false,
            unwrap_self: false,
            def: Some(def),
            owner: None,
            function: false,
        }
    }

    /// True when reading it through an instance binds it (a method of a type, not a
    /// module function nor a method already bound to its object).
    #[inline(always)]
    pub fn binds(&self) -> bool {
        !self.function && self.bound.is_none()
    }

    /// True when a call with positional arguments only may go to [`Self::call_fast`].
    #[inline(always)]
    pub fn has_fast(&self) -> bool {
        self.bound.is_none() && (self.def.is_some() || self.fast.is_some())
    }

    /// Calls the fast entry with the positional arguments (`self` first for methods);
    /// only when [`Self::has_fast`].
    #[inline(always)]
    pub fn call_fast(&self, vm: &mut Vm, args: &[Value]) -> PyResult<Value> {
        vm.guard_native(|vm| self.call_fast_unguarded(vm, args))
    }

    #[inline(always)]
    fn call_fast_unguarded(&self, vm: &mut Vm, args: &[Value]) -> PyResult<Value> {
        match (self.def, self.fast) {
            (Some(d), _) => {
                if self.unwrap_self {
                    if let Some(base) = args.first().and_then(|a| a.base_value()) {
                        let mut v = args.to_vec();
                        v[0] = base.clone();
                        return (d.fast)(vm, self, &v);
                    }
                }
                (d.fast)(vm, self, args)
            }
            (None, Some(f)) => f(vm, args),
            (None, None) => (self.func)(vm, Args::new(args.iter().cloned())),
        }
    }

    /// Calls the native with `Args` (keywords allowed); `bound` and `unwrap_self`
    /// were applied by the caller.
    #[inline]
    pub fn call_args(&self, vm: &mut Vm, args: Args) -> PyResult<Value> {
        vm.guard_native(|vm| self.call_args_unguarded(vm, args))
    }

    #[inline(always)]
    fn call_args_unguarded(&self, vm: &mut Vm, args: Args) -> PyResult<Value> {
        match self.def {
            Some(d) if args.kw.is_empty() => (d.fast)(vm, self, &args.pos),
            Some(d) => (d.call)(vm, self, args),
            None => {
                if let Some(fast) = self.fast {
                    if args.kw.is_empty() {
                        return fast(vm, &args.pos);
                    }
                    if self.fast_only {
                        let msg = format!("{}() takes no keyword arguments", self.qualname);
                        return Err(vm.type_error(&msg));
                    }
                }
                (self.func)(vm, args)
            }
        }
    }
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
