//! `_conc`: interpreter services for modules written in conc (formatting tracebacks,
//! the per-thread current Thread object).

use crate::util::natives;
use conc_interpreter::native::native;
use conc_interpreter::{ObjRef, PyResult, Value, Vm};

pub fn init(_vm: &mut Vm, m: &ObjRef) -> PyResult<()> {
    natives(
        m,
        &[
            &format_exception::DEF,
            &set_current_thread::DEF,
            &get_current_thread::DEF,
            &loaded_module::DEF,
            &outer_module_name::DEF,
            &io_classes::DEF,
            &stdlib_source::DEF,
            &_panic::DEF,
            &crate::deadlock::dump::threads::DEF,
            &crate::trace::trace_uncaught::DEF,
            &crate::trace::tracing::DEF,
            &crate::trace::trace_task::DEF,
        ],
    );
    Ok(())
}

/// format_exception(exc) -> str: the traceback and message of an exception, as
/// printed for an uncaught one.
#[native("_conc.format_exception(exc, /)")]
fn format_exception(vm: &mut Vm, exc: &Value) -> PyResult<String> {
    Ok(vm.format_exception(exc))
}

/// stdlib_source(filename) -> the source of the module shipped in the binary that
/// tracebacks name `filename` (`<conc-stdlib>/logging/__init__.conc`), or None;
/// `linecache` shows its lines as CPython shows those of its Lib files.
#[native("_conc.stdlib_source(filename, /)")]
fn stdlib_source(_vm: &mut Vm, filename: &str) -> PyResult<Option<String>> {
    let Some(path) = filename.strip_prefix("<conc-stdlib>/") else { return Ok(None) };
    let sources = conc_interpreter::interp::interp().embedded_sources.read();
    Ok(sources.values().find(|m| m.path == path).map(|m| m.current_source().to_string()))
}

/// io_classes() -> dict: the native classes of files and their bases, and
/// UnsupportedOperation, by name, for the `io` module to export.
#[native("_conc.io_classes()")]
fn io_classes(vm: &mut Vm) -> PyResult<Value> {
    use conc_interpreter::builtins::io as nio;
    let d = Value::new(conc_interpreter::Object::Dict(conc_interpreter::value::dict::DictObj::new(Default::default())));
    for (name, cls) in [
        ("_IOBase", nio::IOBASE.class().clone()),
        ("_BufferedIOBase", nio::BUFFERED_IOBASE.class().clone()),
        ("_TextIOBase", nio::TEXT_IOBASE.class().clone()),
        ("TextIOWrapper", nio::TEXT_IO_WRAPPER.class().clone()),
        ("BufferedReader", nio::BUFFERED_READER.class().clone()),
        ("BufferedWriter", nio::BUFFERED_WRITER.class().clone()),
        ("BufferedRandom", nio::BUFFERED_RANDOM.class().clone()),
        ("UnsupportedOperation", nio::unsupported_operation()),
    ] {
        vm.dict_set(&d, Value::str(name), Value::Obj(cls))?;
    }
    Ok(d)
}

/// set_current_thread(thread): records the Thread object of the running thread.
#[native("_conc.set_current_thread(thread, /)")]
fn set_current_thread(vm: &mut Vm, thread: Value) -> PyResult<()> {
    vm.thread_data = Some(thread);
    Ok(())
}

/// get_current_thread() -> the Thread object recorded for the running thread, or None.
#[native("_conc.get_current_thread()")]
fn get_current_thread(vm: &mut Vm) -> PyResult<Value> {
    Ok(vm.thread_data.clone().unwrap_or(Value::None))
}

/// loaded_module(name) -> the module if it has been imported, else None (without
/// importing it: multiprocessing asks whether a child has threads to wait for).
#[native("_conc.loaded_module(name, /)")]
fn loaded_module(_vm: &mut Vm, name: &str) -> PyResult<Value> {
    let m = conc_interpreter::interp::interp().modules.get(name);
    Ok(m.unwrap_or(Value::None))
}

/// outer_module_name() -> the name of the nearest module on the call stack other
/// than the caller's own (what CPython's `sys._getframe(1).f_globals['__name__']`
/// gives a library function: `namedtuple` sets `__module__` from it).
#[native("_conc.outer_module_name()")]
fn outer_module_name(vm: &mut Vm) -> PyResult<Option<String>> {
    let own = vm.caller_module().map(|m| m.name.clone());
    let outer = vm.frames.iter().rev().map(|f| &f.module.name).find(|n| Some(*n) != own.as_ref()).cloned();
    Ok(outer)
}

/// _panic(message): panics in Rust, as an interpreter bug would, so that tests can
/// check what a panic becomes (a SystemError at the call; see `vm/panics.rs`).
#[native("_conc._panic(message, /)")]
fn _panic(_vm: &mut Vm, message: &str) -> PyResult<()> {
    panic!("{message}");
}
