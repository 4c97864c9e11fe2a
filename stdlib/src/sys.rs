//! `sys`: argv, exit, stdout/stderr, path, version information, recursion limit.

use crate::util::{natives, set};
use conc_interpreter::builtins::sys_io;
use conc_interpreter::interp::interp;
use conc_interpreter::native::{native, ArgRef, Exc, FromArg};
use conc_interpreter::{ObjRef, Object, PyResult, Value, Vm};

/// `builtin_module_names` (the modules written in Rust, sorted, as CPython's tuple of
/// its C modules) and `stdlib_module_names` (a frozenset of every top-level module
/// the standard library ships, in Rust or in conc).
fn set_module_names(vm: &mut Vm, m: &ObjRef) -> PyResult<()> {
    let mut native: Vec<String> = interp().native_modules.read().keys().cloned().collect();
    native.extend(["builtins".to_string(), "sys".to_string()]);
    native.sort();
    native.dedup();
    let mut all: Vec<String> = native.clone();
    for name in interp().embedded_sources.read().keys() {
        all.push(name.split('.').next().unwrap_or(name).to_string());
    }
    all.sort();
    all.dedup();
    set(m, "builtin_module_names", Value::tuple(native.iter().map(|n| Value::str(n)).collect()));
    let builtins = Value::Obj(interp().builtins_ref.clone());
    let frozenset = vm.get_attr(&builtins, &conc_interpreter::value::str::intern("frozenset"))?;
    let names = Value::list(all.iter().map(|n| Value::str(n)).collect());
    let set_value = vm.call(&frozenset, conc_interpreter::vm::Args::new(vec![names]))?;
    set(m, "stdlib_module_names", set_value);
    Ok(())
}

pub fn init(_vm: &mut Vm, m: &ObjRef) -> PyResult<()> {
    let argv: Vec<Value> = interp().argv.lock().iter().map(|a| Value::str(a)).collect();
    set(m, "argv", Value::list(argv));
    let path: Vec<Value> = interp().path.lock().iter().map(|a| Value::str(a)).collect();
    set(m, "path", Value::list(path));
    set(m, "stdout", sys_io::stdout());
    sys_io::follow_sys_stdout(m);
    set(m, "stderr", sys_io::stderr());
    set(m, "stdin", sys_io::stdin());
    set(m, "__stdout__", sys_io::stdout());
    set(m, "__stderr__", sys_io::stderr());
    set(m, "version", Value::str("3.11.7 (conc 0.1.0)"));
    set(
        m,
        "version_info",
        Value::tuple(vec![Value::Int(3), Value::Int(11), Value::Int(7), Value::str("final"), Value::Int(0)]),
    );
    set(m, "platform", Value::str("linux"));
    set(m, "byteorder", Value::str("little"));
    set(m, "maxsize", Value::Int(i64::MAX));
    set(m, "executable", Value::string(std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_default()));
    set(m, "implementation_name", Value::str("conc"));
    set(m, "modules", interp().modules.dict());
    set_module_names(_vm, m)?;
    crate::sys_flags::init(_vm, m)?;
    natives(
        m,
        &[
            &exit::DEF,
            &excepthook::DEF,
            &getrecursionlimit::DEF,
            &setrecursionlimit::DEF,
            &get_int_max_str_digits::DEF,
            &set_int_max_str_digits::DEF,
            &exc_info::DEF,
            &intern::DEF,
            &_getframe::DEF,
        ],
    );
    // The original hook stays reachable when a script replaces `sys.excepthook`.
    if let Object::Module(mm) = &**m {
        let hook = mm.globals.get("excepthook");
        set(m, "__excepthook__", hook);
    }
    Ok(())
}

/// A C `int` argument (CPython's `int` converter): an integer by `__index__`, with
/// "Python int too large to convert to C int" beyond 32 bits.
pub struct CInt(pub i32);

impl<'a> FromArg<'a> for CInt {
    fn from_arg(vm: &mut Vm, v: &'a Value, _at: ArgRef) -> PyResult<Self> {
        let big = matches!(v.unwrap_base().obj(), Some(Object::BigInt(_)));
        let n = if big { None } else { Some(vm.index_value(v)?) };
        match n.and_then(|n| i32::try_from(n).ok()) {
            Some(n) => Ok(CInt(n)),
            None => Err(vm.error(Exc::OverflowError, "Python int too large to convert to C int")),
        }
    }
}

/// Exit the interpreter by raising SystemExit(status).
#[native("sys.exit(status=None, /)")]
fn exit(vm: &mut Vm, status: Value) -> PyResult<Value> {
    let cls = Exc::SystemExit.class().clone();
    let a = if status.is_none() { vec![] } else { vec![status] };
    Err(vm.new_exception(&cls, a))
}

/// Handle an exception by displaying it with a traceback on sys.stderr.
#[native("sys.excepthook(exctype, value, traceback, /)")]
fn excepthook(vm: &mut Vm, exctype: Value, value: Value, traceback: Value) -> PyResult<Value> {
    // The traceback printed is the value's own (`__traceback__`), as CPython's.
    let _ = (exctype, traceback);
    let cls = vm.class_of(&value);
    if !conc_interpreter::value::class::is_subclass(&cls, Exc::BaseException.class()) {
        let msg = format!("print_exception(): Exception expected for value, {} found", vm.type_name(&value));
        return Err(vm.type_error(&msg));
    }
    let text = vm.format_exception(&value);
    conc_interpreter::stdio::write_stderr(&text);
    Ok(Value::None)
}

/// Return the current value of the recursion limit.
#[native("sys.getrecursionlimit()")]
fn getrecursionlimit(_vm: &mut Vm) -> PyResult<usize> {
    Ok(conc_interpreter::vm::RECURSION_LIMIT.load(std::sync::atomic::Ordering::Relaxed))
}

/// Set the maximum depth of the Python interpreter stack to n.
#[native("sys.setrecursionlimit(limit, /)")]
fn setrecursionlimit(vm: &mut Vm, limit: CInt) -> PyResult<()> {
    if limit.0 < 1 {
        return Err(vm.value_error("recursion limit must be greater or equal than 1"));
    }
    let limit = limit.0 as usize;
    // As CPython: a limit the running code is already past is refused.
    let depth = vm.depth + 1;
    if limit < depth {
        let msg =
            format!("cannot set the recursion limit to {limit} at the recursion depth {depth}: the limit is too low");
        return Err(vm.error(Exc::RecursionError, &msg));
    }
    conc_interpreter::vm::RECURSION_LIMIT.store(limit, std::sync::atomic::Ordering::Relaxed);
    vm.recursion_limit = limit;
    Ok(())
}

/// Return the maximum string digits limit for non-binary int<->str conversions.
#[native("sys.get_int_max_str_digits()")]
fn get_int_max_str_digits(_vm: &mut Vm) -> PyResult<usize> {
    Ok(conc_interpreter::interp::INT_MAX_STR_DIGITS.load(std::sync::atomic::Ordering::Relaxed))
}

/// Set the maximum string digits limit for non-binary int<->str conversions.
#[native("sys.set_int_max_str_digits(maxdigits)")]
fn set_int_max_str_digits(vm: &mut Vm, maxdigits: CInt) -> PyResult<()> {
    let n = maxdigits.0;
    if n != 0 && n < 640 {
        return Err(vm.value_error("maxdigits must be 0 or larger than 640"));
    }
    conc_interpreter::interp::INT_MAX_STR_DIGITS.store(n as usize, std::sync::atomic::Ordering::Relaxed);
    Ok(())
}

/// Return current exception information: (type, value, traceback).
#[native("sys.exc_info()")]
fn exc_info(vm: &mut Vm) -> PyResult<Value> {
    let cur = vm.caller_frame().and_then(|f| vm.current_exception(f));
    Ok(match cur {
        Some(e) => {
            let cls = vm.class_of(&e);
            let tb = vm.traceback_value(&e);
            Value::tuple(vec![Value::Obj(cls), e, tb])
        }
        None => Value::tuple(vec![Value::None, Value::None, Value::None]),
    })
}

/// Return a frame object from the call stack.
///
/// If optional integer depth is given, return the frame object that many
/// calls below the top of the stack.  If that is deeper than the call
/// stack, ValueError is raised.  The default for depth is zero, returning
/// the frame at the top of the call stack.
#[native("sys._getframe(depth=0, /)")]
fn _getframe(vm: &mut Vm, depth: i64) -> PyResult<Value> {
    if depth < 0 {
        return vm.frame_at(0);
    }
    vm.frame_at(depth as usize)
}

/// ``Intern'' the given string.
#[native("sys.intern(string, /)")]
fn intern(vm: &mut Vm, string: &Value) -> PyResult<Value> {
    if string.as_str().is_none() {
        let msg = format!("intern() argument must be str, not {}", vm.type_name(string));
        return Err(vm.type_error(&msg));
    }
    Ok(conc_interpreter::value::str::intern_value(string))
}

impl From<i64> for CInt {
    fn from(n: i64) -> CInt {
        CInt(n as i32)
    }
}
