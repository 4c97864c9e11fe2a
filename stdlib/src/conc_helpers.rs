//! `_conc`: interpreter services for modules written in conc (formatting tracebacks,
//! the per-thread current Thread object).

use crate::util::functions;
use conc_interpreter::{Args, ObjRef, PyResult, Value, Vm};

pub fn init(_vm: &mut Vm, m: &ObjRef) -> PyResult<()> {
    functions(
        m,
        &[
            ("format_exception", format_exception),
            ("set_current_thread", set_current_thread),
            ("get_current_thread", get_current_thread),
            ("loaded_module", loaded_module),
            ("outer_module_name", outer_module_name),
        ],
    );
    Ok(())
}

fn format_exception(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let e = args.pos.first().cloned().unwrap_or(Value::None);
    Ok(Value::string(vm.format_exception(&e)))
}

fn set_current_thread(vm: &mut Vm, args: Args) -> PyResult<Value> {
    vm.thread_data = args.pos.first().cloned();
    Ok(Value::None)
}

fn get_current_thread(vm: &mut Vm, _args: Args) -> PyResult<Value> {
    Ok(vm.thread_data.clone().unwrap_or(Value::None))
}

/// `loaded_module(name)`: the module if it has been imported, else None (without
/// importing it: multiprocessing asks whether a child has threads to wait for).
fn loaded_module(_vm: &mut Vm, args: Args) -> PyResult<Value> {
    let Some(name) = args.pos.first().and_then(|v| v.as_str()) else {
        return Ok(Value::None);
    };
    let m = conc_interpreter::interp::interp().modules.lock().get(name.as_str()).cloned();
    Ok(m.unwrap_or(Value::None))
}

/// `outer_module_name()`: the name of the nearest module on the call stack other than
/// the caller's own (what CPython's `sys._getframe(1).f_globals['__name__']` gives a
/// library function: `namedtuple` sets `__module__` from it).
fn outer_module_name(vm: &mut Vm, _args: Args) -> PyResult<Value> {
    let own = vm.caller_module().map(|m| m.name.clone());
    let outer = vm.frames.iter().rev().map(|f| &f.module.name).find(|n| Some(*n) != own.as_ref()).cloned();
    Ok(outer.map_or(Value::None, Value::string))
}
