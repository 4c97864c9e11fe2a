//! `sys`: argv, exit, stdout/stderr, path, version information, recursion limit.

use crate::util::{functions, set};
use conc_interpreter::builtins::sys_io;
use conc_interpreter::interp::interp;
use conc_interpreter::native::Exc;
use conc_interpreter::{Args, ObjRef, PyResult, Value, Vm};

pub fn init(_vm: &mut Vm, m: &ObjRef) -> PyResult<()> {
    let argv: Vec<Value> = interp().argv.lock().iter().map(|a| Value::str(a)).collect();
    set(m, "argv", Value::list(argv));
    let path: Vec<Value> = interp().path.lock().iter().map(|a| Value::str(a)).collect();
    set(m, "path", Value::list(path));
    set(m, "stdout", sys_io::stdout());
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
    functions(
        m,
        &[
            ("exit", exit),
            ("getrecursionlimit", getrecursionlimit),
            ("setrecursionlimit", setrecursionlimit),
            ("get_int_max_str_digits", get_int_max_str_digits),
            ("set_int_max_str_digits", set_int_max_str_digits),
            ("exc_info", exc_info),
            ("intern", intern_fn),
        ],
    );
    Ok(())
}

fn exit(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let code = args.pos.first().cloned().unwrap_or(Value::None);
    let cls = Exc::SystemExit.class().clone();
    let a = if code.is_none() { vec![] } else { vec![code] };
    Err(vm.new_exception(&cls, a))
}

fn getrecursionlimit(vm: &mut Vm, _args: Args) -> PyResult<Value> {
    Ok(Value::Int(vm.recursion_limit as i64))
}

fn setrecursionlimit(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let n = match args.pos.first() {
        Some(v) => vm.index_value(v)?,
        None => return Err(vm.type_error("setrecursionlimit() takes exactly one argument (0 given)")),
    };
    if n < 1 {
        return Err(vm.value_error("recursion limit must be greater or equal than 1"));
    }
    // The Rust stack bounds how deep script recursion can go; cap it there.
    vm.recursion_limit = (n as usize).min(conc_interpreter::vm::MAX_RECURSION);
    Ok(Value::None)
}

fn get_int_max_str_digits(_vm: &mut Vm, _args: Args) -> PyResult<Value> {
    Ok(Value::Int(conc_interpreter::interp::INT_MAX_STR_DIGITS.load(std::sync::atomic::Ordering::Relaxed) as i64))
}

fn set_int_max_str_digits(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let n = match args.pos.first() {
        Some(v) => vm.index_value(v)?,
        None => 0,
    };
    if n != 0 && n < 640 {
        return Err(vm.value_error("maxdigits must be 0 or larger than 640"));
    }
    conc_interpreter::interp::INT_MAX_STR_DIGITS.store(n as usize, std::sync::atomic::Ordering::Relaxed);
    Ok(Value::None)
}

fn exc_info(vm: &mut Vm, _args: Args) -> PyResult<Value> {
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

fn intern_fn(_vm: &mut Vm, args: Args) -> PyResult<Value> {
    Ok(args.pos.first().map(conc_interpreter::value::str::intern_value).unwrap_or(Value::None))
}
