//! Code objects as values: who owns compiled code, and what the `'static` in
//! `&'static Code` promises.
//!
//! One compilation makes a tree of code objects: the module (or `eval`/`exec`) body,
//! with the bodies of the functions, classes and comprehensions it defines as its
//! constants. Each lives in an `Object::Code` heap box and is counted like any object:
//! the top-level code is held by whoever runs it, nested codes by their parent's
//! constants. The code of imported modules and of the script is immortal (it is read by
//! every thread on every call, and modules are never unloaded); code compiled at run
//! time (`eval`, `exec`, `compile()`, REPL entries, `conc check`) is mortal and freed
//! with its last owner.
//!
//! Hot paths read code through `&'static Code` without touching a count. The `'static`
//! is a promise kept by owners: whoever keeps such a reference to mortal code also keeps
//! a counted reference to its box, or is itself kept alive by something that does.
//! Functions hold their code (`FunctionObj::code_obj`); frames running mortal code hold
//! it (`Frame::code_owner`), and so do generators (through their frame and
//! `GeneratorObj::code_owner`) and traceback entries (`TbEntry::owner`). Immortal code
//! needs no owner.

use super::{ObjRef, Object};
use crate::bytecode::Code;

/// Boxes a finished code object; `immortal` for module code that is never freed.
pub fn new_code_object(code: Code, immortal: bool) -> ObjRef {
    let obj = Object::Code(Box::new(code));
    if immortal {
        ObjRef::new_immortal(obj)
    } else {
        ObjRef::new(obj)
    }
}

/// The code held by `o`, if `o` is a code object, with the lifetime hot paths use.
///
/// # Safety
/// The caller must keep a counted reference to `o` (or know it immortal) for as long
/// as it uses the returned reference; see the module documentation.
pub unsafe fn code_static(o: &ObjRef) -> Option<&'static Code> {
    match &**o {
        // SAFETY: the box behind `o` does not move while it lives, and the caller
        // promises it lives as long as the reference is used.
        Object::Code(c) => Some(unsafe { &*(&**c as *const Code) }),
        _ => None,
    }
}

/// A counted reference to keep mortal code alive, or None for immortal code (whose
/// count must not be written by every thread that runs it).
#[inline(always)]
pub fn owner_if_mortal(o: &ObjRef) -> Option<ObjRef> {
    if o.is_immortal() {
        None
    } else {
        Some(o.clone())
    }
}

/// The module held by `o`, with the lifetime frames and functions use.
///
/// # Safety
/// `o` must be immortal (a module), or the caller must keep a counted reference to it
/// while the returned reference is used: a mortal namespace made for `exec` is kept by
/// the code compiled for it (`Code::module_owner`), which frames and functions hold.
pub unsafe fn module_static(o: &ObjRef) -> Option<&'static crate::value::module::ModuleObj> {
    match &**o {
        // SAFETY: the boxed module does not move while it lives, and the caller
        // promises it lives as long as the reference is used.
        Object::Module(m) => Some(unsafe { &*(&**m as *const crate::value::module::ModuleObj) }),
        _ => None,
    }
}
