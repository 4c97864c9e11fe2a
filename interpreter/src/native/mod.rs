//! The declarative native layer: natives are declared once, by a Python signature and
//! a typed Rust function (`#[native("list.insert($self, index, object, /)")]`, see the
//! `conc-macros` crate), and everything else comes from that declaration.
//!
//! - [`Signature`] is the declaration as data: the parameter kinds and names, which
//!   ones are required, and the [`Style`] of CPython's argument errors for it.
//! - [`Signature::bind`] matches positional and keyword arguments to parameters and
//!   raises CPython's TypeError for a wrong call (`bind.rs`; the wording, one function
//!   per message, is in `messages.rs`).
//! - [`FromArg`] and [`FromSelf`] turn an argument into the Rust type of its parameter
//!   (int, index, float, str, bytes-like, bool, callable, any value, ...), with
//!   CPython's message when it cannot; [`IntoValue`] turns a result back (`extract.rs`).
//! - [`NativeDef`] is what a registration list holds: the signature, the two entries the
//!   VM calls (`call` with `Args`, `fast` with the positional arguments in place on the
//!   caller's stack) and the docstring.
//! - [`NativeClass`] declares a native class as one unit (`class.rs`).
//! - [`Exc`] names every built-in exception class, so natives raise by type, not by a
//!   name looked up at run time (`exc.rs`).

mod bind;
mod class;

mod exc;
mod extract;
pub mod messages;

pub use bind::Bound;
pub use class::{NativeClass, NativePayload, Property};

pub use conc_macros::native;
pub use exc::Exc;
pub use extract::{
    wrong_self, BytesLike, Callable, FromArg, FromSelf, IntFlag, IntoValue, Receiver, SliceBound, SliceIndex,
};

use crate::value::function::BuiltinObj;
use crate::value::{ObjRef, Value};
use crate::vm::{Args, PyErr, PyResult, Vm};

/// The general entry of a native: arguments as `Args` (keywords allowed).
pub type NativeCall = fn(&mut Vm, &BuiltinObj, Args) -> PyResult<Value>;

/// The fast entry: positional arguments only, read where they are (for methods `self`
/// first), usually straight from the caller's operand stack, so no `Args` is built.
pub type FastCall = fn(&mut Vm, &BuiltinObj, &[Value]) -> PyResult<Value>;

/// Keyword arguments a `**kwargs` parameter collects, in the order given.
pub type KwArgs = Vec<(ObjRef, Value)>;

/// A declared native: what registration lists hold (`&name::DEF`).
pub struct NativeDef {
    pub sig: &'static Signature,
    pub call: NativeCall,
    pub fast: FastCall,
    /// The docstring (the Rust function's `///` comment).
    pub doc: &'static str,
}

/// How CPython words the argument errors of a function: its C functions use one of a
/// few argument parsers, each with its own phrasing, and a golden test recorded with
/// python3 shows which.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// One positional argument (`METH_O`): `len() takes exactly one argument (2 given)`.
    O,
    /// No arguments (`METH_NOARGS`): `list.copy() takes no arguments (1 given)`.
    NoArgs,
    /// Positional-only parameters checked by count: `insert expected 2 arguments, got 1`.
    Positional,
    /// Keyword-capable parameters: `pow() missing required argument 'exp' (pos 2)`,
    /// `'reversed' is an invalid keyword argument for sort()`.
    Keywords,
    /// The older tuple parser: `startswith() takes at least 1 argument (0 given)`.
    ParseTuple,
    /// As a function written in Python: `Random.randint() missing 1 required positional
    /// argument: 'b'` (for natives that CPython implements in Python).
    Python,
    /// A slot wrapper (`list.__len__`, `int.__add__`): `expected 1 argument, got 0`,
    /// `wrapper __len__() takes no keyword arguments`, and "descriptor '__len__'
    /// requires a 'list' object but received a 'int'".
    Slot,
    /// The slot wrappers that CPython checks with an empty name (`__setitem__`,
    /// `__mul__`, `object.__setattr__`): ` expected 2 arguments, got 1`.
    SlotSpaced,
}

/// One named parameter (not `$self`, `*args` or `**kwargs`).
pub struct Param {
    pub name: &'static str,
    pub required: bool,
}

/// A native's signature. `params` lists the named parameters in order: the first
/// `npos_only` are positional-only, up to `npos` positional-or-keyword, the rest
/// keyword-only.
pub struct Signature {
    /// The name CPython prints for the function: `list.append`, `math.sqrt`, `len`.
    pub qualname: &'static str,
    /// The last part of `qualname`: the attribute name of a method.
    pub name: &'static str,
    /// The name count and keyword messages use (`insert expected 2 arguments`):
    /// `name` unless declared otherwise (`deque.rotate expected ...`).
    pub message_name: &'static str,
    /// The parameter list as CPython's `__text_signature__` shows it.
    pub text: &'static str,
    /// `self` or `cls` for methods (the first argument), empty for functions.
    pub self_name: &'static str,
    pub params: &'static [Param],
    pub npos_only: usize,
    pub npos: usize,
    /// Required positional parameters (they come before the optional ones).
    pub nrequired_pos: usize,
    pub varargs: bool,
    pub varkw: bool,
    pub style: Style,
}

impl Signature {
    pub fn has_self(&self) -> bool {
        !self.self_name.is_empty()
    }

    /// The name used in messages that CPython qualifies (`list.append()`): for a method
    /// the name it was registered under on its class, else the declared one.
    pub fn display_qualname<'a>(&'a self, b: &'a BuiltinObj) -> &'a str {
        if self.name == "__new__" || self.name == "__init__" {
            // A constructor: named by its type (`list() takes no keyword arguments`).
            return self.message_name;
        }
        if self.has_self() && b.qualname.contains('.') {
            &b.qualname
        } else {
            self.qualname
        }
    }
}

/// Where an argument goes: for messages that name the parameter.
#[derive(Clone, Copy)]
pub struct ArgRef {
    pub sig: &'static Signature,
    /// Index into `sig.params`.
    pub index: usize,
}

impl ArgRef {
    pub fn name(&self) -> &'static str {
        self.sig.params.get(self.index).map(|p| p.name).unwrap_or("?")
    }

    /// `argument 'encoding'` for a parameter that may be given by keyword, `argument 2`
    /// for a positional-only one (CPython's argument clinic).
    pub fn describe(&self) -> String {
        if self.index < self.sig.npos_only {
            format!("argument {}", self.index + 1)
        } else {
            format!("argument '{}'", self.name())
        }
    }

    /// CPython's `fname() argument 'x' must be T, not U`.
    pub fn type_error(&self, vm: &mut Vm, expected: &str, got: &Value) -> PyErr {
        // CPython names None itself, other values by their type.
        let got = if got.is_none() { "None".to_string() } else { vm.type_name(got) };
        let msg = format!("{}() {} must be {}, not {}", self.sig.message_name, self.describe(), expected, got);
        vm.type_error(&msg)
    }
}

/// Splits `self` off a method's arguments.
#[inline(always)]
pub fn split_self<'a>(
    vm: &mut Vm,
    b: &BuiltinObj,
    sig: &'static Signature,
    all: &'a [Value],
) -> PyResult<(&'a Value, &'a [Value])> {
    match all.split_first() {
        Some((s, rest)) => Ok((s, rest)),
        None => {
            let owner = b.owner.as_ref().map(|c| c.class_name().to_string()).unwrap_or_default();
            let msg = if sig.name == "__new__" {
                format!("{}.__new__(): not enough arguments", sig.message_name)
            } else if matches!(sig.style, Style::Slot | Style::SlotSpaced) {
                format!("descriptor '{}' of '{owner}' object needs an argument", sig.name)
            } else {
                format!("unbound method {}() needs an argument", sig.display_qualname(b))
            };
            Err(vm.type_error(&msg))
        }
    }
}

/// A required parameter the binder left empty: cannot happen, but natives never panic.
#[cold]
pub fn unbound(vm: &mut Vm, sig: &Signature) -> PyErr {
    let msg = format!("{}(): a required argument was not bound", sig.qualname);
    vm.error(Exc::SystemError, &msg)
}

/// A native function value for `def`, immortal (registered once at start-up).
pub fn function_value(def: &'static NativeDef) -> Value {
    let mut b = BuiltinObj::declared(def, def.sig.name.to_string());
    b.function = true;
    Value::Obj(ObjRef::new_immortal(crate::value::Object::Builtin(b)))
}

/// Calls a declared native directly from Rust with positional and keyword arguments
/// (e.g. a type's `__new__` running its `__init__`), with the binding and the errors
/// of a call from script code.
pub fn call_def(vm: &mut Vm, def: &'static NativeDef, pos: &[Value], kw: KwArgs) -> PyResult<Value> {
    // An empty qualified name allocates nothing; messages of the styles that show it
    // name methods by their class, which a direct call does not need.
    let b = BuiltinObj::declared(def, String::new());
    if kw.is_empty() {
        (def.fast)(vm, &b, pos)
    } else {
        (def.call)(vm, &b, Args { pos: pos.iter().cloned().collect(), kw })
    }
}
