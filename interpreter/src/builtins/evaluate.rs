//! `compile`, `exec` and `eval`: code compiled at run time.
//!
//! The code they compile is mortal (`value/code.rs`): it is freed when nothing refers
//! to it any more, so a loop of `eval` calls runs in constant memory.
//!
//! Code reads and writes globals through slots of the module it was compiled for, and
//! conc's namespaces are modules, not dicts. So the code runs in one of two ways:
//! - at module level with no namespace given, directly in the caller's module (the
//!   common case, with nothing copied);
//! - otherwise in a fresh namespace module, seeded with the globals (the caller's or
//!   the given dict) and then the locals (the caller's `locals()`, a class body's
//!   namespace, or the given mapping); afterwards the names are written back:
//!   new names and names of the locals to the locals mapping (when there is one),
//!   changed globals to the globals. Functions defined by such code keep the
//!   namespace module as their globals, so they do not see later changes to the dict
//!   (unlike CPython). The namespace module is freed with the code compiled for it.

use crate::bytecode::{CO_EVAL, CO_INTERACTIVE};
use crate::compiler::{Lifetime, Mode};
use crate::native::native;
use crate::native::Exc;
use crate::value::module::ModuleObj;
use crate::value::str::intern;
use crate::value::{ObjRef, Object, Value};
use crate::vm::{PyResult, Vm};

/// What `compile`, `exec` and `eval` were given to run.
enum Source {
    Text(String),
    Code(ObjRef),
}

/// Reads argument 1 of `compile`, `exec` or `eval`: text (bytes are UTF-8) or, but for
/// `compile`, a code object. `what` names the accepted kinds in the TypeError.
fn source_arg(vm: &mut Vm, v: &Value, func: &str, what: &str) -> PyResult<Source> {
    let text = if let Some(s) = v.as_str() {
        s.as_str().to_string()
    } else if let Some(b) = bytes_of(v) {
        match String::from_utf8(b.clone()) {
            Ok(s) => s,
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                let byte = b[at];
                let msg = format!(
                    "(unicode error) 'utf-8' codec can't decode byte 0x{byte:02x} in position {at}: invalid start byte"
                );
                return Err(vm.error(Exc::SyntaxError, &msg));
            }
        }
    } else {
        match v {
            Value::Obj(o) if matches!(&**o, Object::Code(_)) && func != "compile" => {
                return Ok(Source::Code(o.clone()))
            }
            _ => {
                let msg = format!("{func}() arg 1 must be a {what} object");
                return Err(vm.type_error(&msg));
            }
        }
    };
    if text.contains('\0') {
        return Err(vm.error(Exc::SyntaxError, "source code string cannot contain null bytes"));
    }
    Ok(Source::Text(text))
}

/// Flags of `compile` that change nothing in Python 3 (obsolete `__future__` features
/// and a parser detail).
const HARMLESS_FLAGS: i64 = 0x10 | 0x200 | 0x20000 | 0x40000 | 0x80000 | 0x100000 | 0x200000 | 0x800000;

/// Flags CPython knows and conc does not implement, with what they ask for.
const UNSUPPORTED_FLAGS: [(i64, &str); 5] = [
    (0x400, "compile() to an AST (ast.PyCF_ONLY_AST)"),
    (0x1000, "compile() with type comments (ast.PyCF_TYPE_COMMENTS)"),
    (0x2000, "compile() with top-level await (ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)"),
    (0x4000, "compile() of incomplete input (PyCF_ALLOW_INCOMPLETE_INPUT)"),
    (0x1000000, "compile() with the 'annotations' future feature"),
];

/// Compile source into a code object that can be executed by exec() or eval().
///
/// The source code may represent a Python module, statement or expression. The
/// filename will be used for run-time error messages. The mode must be 'exec' to
/// compile a module, 'single' to compile a single (interactive) statement, or 'eval'
/// to compile an expression.
// One parameter per argument of CPython's signature.
#[allow(clippy::too_many_arguments)]
#[native("compile(source, filename, mode, flags=0, dont_inherit=False, optimize=-1, *, _feature_version=-1)")]
pub fn compile(
    vm: &mut Vm,
    source: &Value,
    filename: &Value,
    mode: &str,
    flags: i64,
    dont_inherit: bool,
    optimize: i64,
    _feature_version: i64,
) -> PyResult<Value> {
    let _ = dont_inherit;
    let Source::Text(text) = source_arg(vm, source, "compile", "string, bytes or AST")? else {
        unreachable!("compile() takes no code object");
    };
    let file = filename_arg(vm, filename)?;
    let mode = match mode {
        "exec" => Mode::Exec,
        "eval" => Mode::Eval,
        "single" => Mode::Interactive,
        _ => return Err(vm.error(Exc::ValueError, "compile() mode must be 'exec', 'eval' or 'single'")),
    };
    let known = HARMLESS_FLAGS | UNSUPPORTED_FLAGS.iter().map(|f| f.0).fold(0, |a, b| a | b) | 0x400000;
    if flags & !known != 0 {
        return Err(vm.error(Exc::ValueError, "compile(): unrecognised flags"));
    }
    for (bit, what) in UNSUPPORTED_FLAGS {
        if flags & bit != 0 {
            return Err(vm.error(Exc::NotImplementedError, &format!("{what} is not supported")));
        }
    }
    if flags & 0x400000 != 0 {
        return Err(vm.error(Exc::NotImplementedError, "the 'barry_as_FLUFL' future feature is not supported"));
    }
    if !(-1..=2).contains(&optimize) {
        return Err(vm.error(Exc::ValueError, "compile(): invalid optimize value"));
    }
    let text = if mode == Mode::Eval { strip_eval_indent(&text) } else { &text };
    // Compiled for the caller's module, where it usually runs; elsewhere it is
    // compiled again from its source (`code_for`).
    let (module, owner) = caller_namespace(vm);
    let code = vm.compile_for(module, &file, text, mode, Lifetime::RunTime(owner))?;
    Ok(Value::Obj(code))
}

/// `compile`'s filename: str, bytes or an os.PathLike.
fn filename_arg(vm: &mut Vm, v: &Value) -> PyResult<String> {
    if let Some(s) = v.as_str() {
        return Ok(s.as_str().to_string());
    }
    if let Some(b) = bytes_of(v) {
        return Ok(String::from_utf8_lossy(&b).into_owned());
    }
    let fspath = intern("__fspath__");
    if let Some(f) = vm.get_attr_opt(v, &fspath)? {
        let r = vm.call(&f, crate::vm::Args::default())?;
        if let Some(s) = r.as_str() {
            return Ok(s.as_str().to_string());
        }
    }
    let msg = format!("expected str, bytes or os.PathLike object, not {}", vm.type_name(v));
    Err(vm.type_error(&msg))
}

/// `eval` ignores the indentation of its expression (spaces and tabs).
fn strip_eval_indent(s: &str) -> &str {
    s.trim_start_matches([' ', '\t'])
}

/// Execute the given source in the context of globals and locals.
///
/// The source may be a string representing one or more Python statements or a code
/// object as returned by compile(). The globals must be a dictionary and locals can
/// be any mapping, defaulting to the current globals and locals. If only globals is
/// given, locals defaults to it.
#[native("exec(source, globals=None, locals=None, /, *, closure=None)")]
pub fn exec(vm: &mut Vm, source: &Value, globals: &Value, locals: &Value, closure: Value) -> PyResult<Value> {
    if !closure.is_none() {
        return Err(vm.error(Exc::NotImplementedError, "exec() with a closure"));
    }
    let src = source_arg(vm, source, "exec", "string, bytes or code")?;
    run(vm, src, Mode::Exec, globals, locals, "exec")?;
    Ok(Value::None)
}

/// Evaluate the given source in the context of globals and locals.
///
/// The source may be a string representing a Python expression or a code object as
/// returned by compile(). The globals must be a dictionary and locals can be any
/// mapping, defaulting to the current globals and locals. If only globals is given,
/// locals defaults to it.
#[native("eval(source, globals=None, locals=None, /)")]
pub fn eval(vm: &mut Vm, source: &Value, globals: &Value, locals: &Value) -> PyResult<Value> {
    let src = match source_arg(vm, source, "eval", "string, bytes or code")? {
        Source::Text(t) => Source::Text(strip_eval_indent(&t).to_string()),
        code => code,
    };
    run(vm, src, Mode::Eval, globals, locals, "eval")
}

/// The caller's module and, when that module is a mortal namespace, the reference
/// that code compiled for it must hold.
fn caller_namespace(vm: &Vm) -> (&'static ModuleObj, Option<ObjRef>) {
    match vm.caller_frame() {
        Some(f) => (f.module, f.code.module_owner.clone()),
        None => (crate::interp::builtins_module(), None),
    }
}

/// Runs `src` for `exec` or `eval` (`func`) with the given namespaces.
fn run(vm: &mut Vm, src: Source, mode: Mode, globals: &Value, locals: &Value, func: &str) -> PyResult<Value> {
    if !globals.is_none() && globals.as_dict().is_none() {
        let msg = if func == "eval" {
            "globals must be a real dict; try eval(expr, {}, mapping)".to_string()
        } else {
            format!("{func}() globals must be a dict, not {}", vm.type_name(globals))
        };
        return Err(vm.type_error(&msg));
    }
    if !locals.is_none() && !is_mapping(vm, locals) {
        let msg = if func == "eval" {
            "locals must be a mapping".to_string()
        } else {
            format!("locals must be a mapping or None, not {}", vm.type_name(locals))
        };
        return Err(vm.type_error(&msg));
    }
    let at_module_level = vm
        .caller_frame()
        .map(|f| f.code.flags & crate::bytecode::CO_TOPLEVEL != 0 && f.namespace.is_none())
        .unwrap_or(true);
    if globals.is_none() && locals.is_none() && at_module_level {
        let (module, owner) = caller_namespace(vm);
        let code = code_for(vm, src, module, mode, owner)?;
        return vm.run_module_code(&code, module);
    }
    // A namespace of its own: globals, then locals over them.
    let (global_items, globals_target) = if globals.is_none() {
        let (module, _) = caller_namespace(vm);
        (module.globals.items().into_iter().map(|(k, v)| (Value::Obj(k), v)).collect::<Vec<_>>(), None)
    } else {
        let items = globals.as_dict().map(|d| d.lock().items()).unwrap_or_default();
        (items, Some(globals.clone()))
    };
    let locals_target = if !locals.is_none() && !locals.is(globals) {
        Some(locals.clone())
    } else if globals.is_none() {
        // The caller's locals: a class body's namespace, or a snapshot of a
        // function's variables (writes to it do not reach the function, as in CPython).
        Some(super::functions::locals_dict(vm)?)
    } else {
        None
    };
    let name = global_items
        .iter()
        .find(|(k, _)| k.as_str().map(|s| s.as_str() == "__name__").unwrap_or(false))
        .and_then(|(_, v)| v.as_str().map(|s| s.as_str().to_string()))
        .unwrap_or_else(|| "builtins".to_string());
    let ns = ObjRef::new(Object::Module(Box::new(ModuleObj::new(&name, None))));
    let Object::Module(module) = &*ns else { unreachable!() };
    for (k, v) in &global_items {
        if let Some(key) = k.as_str() {
            module.globals.set(&intern(key.as_str()), v.clone());
        }
    }
    let mut local_names = Vec::new();
    if let Some(l) = &locals_target {
        for (k, v) in mapping_items(vm, l)? {
            if let Some(key) = k.as_str() {
                let key = intern(key.as_str());
                module.globals.set(&key, v);
                local_names.push(key);
            }
        }
    }
    // SAFETY: `ns` is kept by the code compiled for it (`Lifetime::RunTime(Some(ns))`),
    // which the frame running it holds, and by this function meanwhile.
    let module_ref = unsafe { crate::value::code::module_static(&ns) }.expect("a module");
    let code = code_for(vm, src, module_ref, mode, Some(ns.clone()));
    let result = match code {
        Ok(code) => vm.run_module_code(&code, module_ref),
        Err(e) => Err(e),
    };
    // Write the names back, also when the code raised.
    let before: std::collections::HashMap<String, Value> =
        global_items.into_iter().filter_map(|(k, v)| k.as_str().map(|s| (s.as_str().to_string(), v))).collect();
    for (k, v) in module.globals.items() {
        let text = k.str_text();
        let is_local = local_names.iter().any(|n| n.str_text() == text);
        let old = before.get(text);
        let changed = old.map(|o| !o.is(&v)).unwrap_or(true);
        match (&locals_target, &globals_target) {
            (Some(l), _) if is_local || old.is_none() => vm.set_item(l, Value::Obj(k), v)?,
            (_, Some(g)) if changed => vm.dict_set(g, Value::Obj(k), v)?,
            (_, None) if changed => {
                let (caller, _) = caller_namespace(vm);
                caller.globals.set(&k, v);
            }
            _ => {}
        }
    }
    if let Some(g) = &globals_target {
        if vm.dict_get(g, &Value::str("__builtins__"))?.is_none() {
            let b = Value::Obj(crate::interp::interp().builtins_ref.clone());
            vm.dict_set(g, Value::str("__builtins__"), b)?;
        }
    }
    result
}

/// The code to run `src` in `module`: compiled now from text, or a code object from
/// `compile()`, compiled again from its source when made for another module.
fn code_for(
    vm: &mut Vm,
    src: Source,
    module: &'static ModuleObj,
    mode: Mode,
    owner: Option<ObjRef>,
) -> PyResult<ObjRef> {
    match src {
        Source::Text(t) => vm.compile_for(module, "<string>", &t, mode, Lifetime::RunTime(owner)),
        Source::Code(c) => {
            // SAFETY: `c` is held by this function while the reference is used.
            let code = unsafe { crate::value::code::code_static(&c) }.expect("a code object");
            if code.module_addr == module as *const ModuleObj as usize {
                return Ok(c);
            }
            if code.flags & crate::bytecode::CO_TOPLEVEL == 0 {
                return Err(vm.error(
                    Exc::NotImplementedError,
                    "exec() and eval() of a function's code object (only code from compile() runs)",
                ));
            }
            let mode = if code.flags & CO_EVAL != 0 {
                Mode::Eval
            } else if code.flags & CO_INTERACTIVE != 0 {
                Mode::Interactive
            } else {
                Mode::Exec
            };
            let text = if mode == Mode::Eval { strip_eval_indent(&code.source) } else { &code.source };
            vm.compile_for(module, &code.filename, text, mode, Lifetime::RunTime(owner))
        }
    }
}

/// Whether `v` can serve as a locals mapping (it has `__getitem__`).
fn is_mapping(vm: &mut Vm, v: &Value) -> bool {
    if v.as_dict().is_some() {
        return true;
    }
    let getitem = intern("__getitem__");
    matches!(vm.get_attr_opt(v, &getitem), Ok(Some(_)))
}

/// The items of a locals mapping: a dict's, or `keys()` and `__getitem__`.
fn mapping_items(vm: &mut Vm, m: &Value) -> PyResult<Vec<(Value, Value)>> {
    if let Some(d) = m.as_dict() {
        return Ok(d.lock().items());
    }
    let keys_name = intern("keys");
    let Some(keys) = vm.get_attr_opt(m, &keys_name)? else {
        return Ok(Vec::new());
    };
    let keys = vm.call(&keys, crate::vm::Args::default())?;
    let keys = vm.collect(&keys)?;
    let mut out = Vec::with_capacity(keys.len());
    for k in keys {
        let v = vm.get_item(m, &k)?;
        out.push((k, v));
    }
    Ok(out)
}

/// The contents of a bytes or bytearray.
fn bytes_of(v: &Value) -> Option<Vec<u8>> {
    match v.obj()? {
        Object::Bytes(b) => Some(b.to_vec()),
        Object::ByteArray(b) => Some(b.snapshot()),
        _ => None,
    }
}
