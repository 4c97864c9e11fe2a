//! The one start-up path of the interpreter: `conc FILE`, `conc -c`, the REPL and the
//! children that `multiprocessing` spawns all start and stop through [`RuntimeBuilder`].
//!
//! It owns, in this order: the main thread (a thread of its own with a large stack,
//! because native re-entry such as a `__repr__` calling `repr` uses Rust stack), the
//! interpreter's global state and this thread's VM, the main-thread mark of the
//! blocking layer (Ctrl-C interrupts its waits), the SIGINT handler, the registration
//! of the standard library, `sys.argv` and `sys.path`; then it runs the caller's body
//! (which runs `__main__`, the prompt, or a child's target), and at the end the
//! shutdown sequence: `threading._shutdown` (join non-daemon threads), then
//! `multiprocessing._shutdown` (end child processes), in CPython's order, and a final
//! flush of stdout.

use conc_interpreter::compiler::{self, Mode};
use conc_interpreter::interp::interp;
use conc_interpreter::native::Exc;
use conc_interpreter::value::module::ModuleObj;
use conc_interpreter::value::str::intern;
use conc_interpreter::vm::import::set_module_attrs;
use conc_interpreter::{Args, ObjRef, Object, PyResult, Value, Vm};

/// Stack size of the thread that runs the main script: script recursion is data, but
/// native re-entry (a `__repr__` calling `repr`, `sorted` with a key) uses Rust stack.
pub const MAIN_STACK: usize = 512 << 20;

/// How the interpreter starts: argv, sys.path, and whether the shutdown sequence runs.
pub struct RuntimeBuilder {
    argv: Vec<String>,
    path: Vec<String>,
    shutdown: bool,
}

impl Default for RuntimeBuilder {
    fn default() -> Self {
        RuntimeBuilder { argv: vec![String::new()], path: Vec::new(), shutdown: true }
    }
}

impl RuntimeBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// `sys.argv`.
    pub fn argv(mut self, argv: Vec<String>) -> Self {
        self.argv = argv;
        self
    }

    /// `sys.path`.
    pub fn path(mut self, path: Vec<String>) -> Self {
        self.path = path;
        self
    }

    /// Leaves the shutdown sequence to the body (a spawned child runs it as part of
    /// its bootstrap, which reports the exit code to the parent afterwards).
    pub fn without_shutdown(mut self) -> Self {
        self.shutdown = false;
        self
    }

    /// Starts the interpreter on a new main thread, runs `body` there and returns the
    /// process's exit code (the body's, or the shutdown sequence's when a thread's
    /// shutdown raises).
    pub fn run(self, body: impl FnOnce(&mut Vm) -> i32 + Send + 'static) -> i32 {
        let h = std::thread::Builder::new().name("main".into()).stack_size(MAIN_STACK).spawn(move || {
            let mut vm = self.start();
            let status = match conc_interpreter::vm::panics::catch(|| body(&mut vm)) {
                Ok(status) => status,
                // A panic outside any native call (those become SystemErrors there).
                Err(bug) => {
                    let at = vm.frames.last().map(|f| format!(" (in {})", f.code.filename)).unwrap_or_default();
                    conc_interpreter::stdio::write_stderr(&format!(
                        "conc: interpreter bug{at}: {bug} (please report it)\n"
                    ));
                    1
                }
            };
            let status = if self.shutdown { shutdown(&mut vm, status) } else { status };
            conc_interpreter::builtins::sys_io::flush_at_exit(&mut vm, status)
        });
        let code = match h {
            Ok(h) => {
                // From here on the OS main thread only waits: process signals go to
                // the script's main thread (see `conc_interpreter::signals`).
                conc_interpreter::signals::block_async_signals();
                h.join().unwrap_or(1)
            }
            Err(_) => 1,
        };
        conc_interpreter::stdio::flush_stdout();
        conc_interpreter::trace::flush();
        code
    }

    /// Builds the global state and this thread's VM.
    fn start(&self) -> Vm {
        let vm = conc_interpreter::Runtime::new();
        conc_interpreter::blocking::set_main_thread();
        install_sigint_handler();
        conc_interpreter::deadlock::thread_began();
        crate::deadlock::enable_unless_hang();
        crate::deadlock::dump::install_sigquit();
        crate::trace::start_if_asked();
        crate::install();
        *interp().argv.lock() = self.argv.clone();
        *interp().path.lock() = self.path.clone();
        vm
    }
}

/// Ctrl-C raises KeyboardInterrupt in the main thread (checked by the VM loop and by
/// every blocking wait) instead of killing the process. A SIGINT the parent ignored
/// stays ignored, as in CPython (`signal.getsignal(SIGINT)` is then `SIG_IGN`).
pub fn install_sigint_handler() {
    use conc_interpreter::signals;
    if signals::current_os_disposition(libc::SIGINT) == libc::SIG_IGN {
        signals::set_handler(libc::SIGINT as usize, None);
        return;
    }
    let _ = signals::install_os_handler(libc::SIGINT);
}

/// The shutdown sequence: waits for every non-daemon thread, then ends child
/// processes (multiprocessing terminates daemon children and joins the others), in
/// CPython's order: its multiprocessing hook is an atexit handler, which runs after the
/// threads. Also after an uncaught exception, whose traceback was printed first.
/// The script's `atexit` handlers (if it imported `atexit`) run between the two.
pub fn shutdown(vm: &mut Vm, status: i32) -> i32 {
    for (module, hook) in [("threading", "_shutdown"), ("atexit", "_run_exitfuncs"), ("multiprocessing", "_shutdown")] {
        let m = interp().modules.get(module);
        if let Some(m) = m {
            let name = conc_interpreter::value::str::intern(hook);
            if let Ok(Some(f)) = vm.get_attr_opt(&m, &name) {
                if let Err(e) = vm.call(&f, Args::default()) {
                    return exit_code_for(vm, &e.exc);
                }
            }
        }
    }
    status
}

/// The exit code for the outcome of a main module, printing an uncaught exception's
/// traceback (or a SystemExit's message) on stderr.
pub fn finish(vm: &mut Vm, r: PyResult<Value>) -> i32 {
    match r {
        Ok(_) => 0,
        Err(e) => exit_code_for(vm, &e.exc),
    }
}

/// The exit code for an uncaught exception: SystemExit's code, else 1 after printing
/// the traceback.
pub fn exit_code_for(vm: &mut Vm, exc: &Value) -> i32 {
    let cls = vm.class_of(exc);
    if conc_interpreter::value::class::is_subclass(&cls, Exc::SystemExit.class()) {
        let code = conc_interpreter::builtins::exceptions::exc_args(exc);
        let code = if code.len() > 1 { Value::tuple(code) } else { code.into_iter().next().unwrap_or(Value::None) };
        return match code {
            Value::None => 0,
            Value::Int(i) => i as i32,
            Value::Bool(b) => b as i32,
            other => {
                let s = vm.str_of(&other).unwrap_or_default();
                conc_interpreter::stdio::write_stderr(&format!("{s}\n"));
                1
            }
        };
    }
    report_uncaught(vm, exc);
    if conc_interpreter::trace::on() {
        let text = vm.format_exception(exc);
        crate::trace::uncaught(vm, &vm.type_name(exc), &text);
    }
    // An uncaught KeyboardInterrupt ends the process by SIGINT once it is shut down,
    // when SIGINT still has its default handler (as CPython decides).
    let interrupted = conc_interpreter::value::class::is_subclass(&cls, Exc::KeyboardInterrupt.class());
    if interrupted && sigint_is_default() {
        conc_interpreter::signals::set_die_by_sigint();
    }
    1
}

/// Prints an uncaught exception: through `sys.excepthook` when the script replaced
/// it, with CPython's report when the hook itself fails; else the traceback.
fn report_uncaught(vm: &mut Vm, exc: &Value) {
    use conc_interpreter::stdio::write_stderr;
    let hook = interp().modules.get("sys").and_then(|sys| {
        let hook = vm.get_attr_opt(&sys, &intern("excepthook")).ok().flatten()?;
        let original = vm.get_attr_opt(&sys, &intern("__excepthook__")).ok().flatten()?;
        (!hook.is(&original)).then_some(hook)
    });
    let Some(hook) = hook else {
        let text = vm.format_exception(exc);
        write_stderr(&text);
        return;
    };
    let cls = Value::Obj(vm.class_of(exc));
    let tb = vm.get_attr_opt(exc, &intern("__traceback__")).ok().flatten().unwrap_or(Value::None);
    if let Err(e) = vm.call(&hook, Args::new(vec![cls, exc.clone(), tb])) {
        write_stderr("Error in sys.excepthook:\n");
        let text = vm.format_exception(&e.exc);
        write_stderr(&text);
        write_stderr("\nOriginal exception was:\n");
        let text = vm.format_exception(exc);
        write_stderr(&text);
    }
}

/// Whether SIGINT's handler is still the default one (`default_int_handler`).
fn sigint_is_default() -> bool {
    matches!(
        conc_interpreter::signals::handler(libc::SIGINT as usize),
        Some(conc_interpreter::signals::Handler::DefaultInt)
    )
}

/// A new `__main__` module (registered in `sys.modules`) for code from `file`.
pub fn main_module(file: Option<&str>) -> ObjRef {
    let m = ObjRef::new_immortal(Object::Module(Box::new(ModuleObj::new("__main__", file.map(str::to_string)))));
    set_module_attrs(&m, "__main__", file);
    interp().modules.insert("__main__", Value::Obj(m.clone()));
    m
}

/// The module data of a module object.
pub fn module_data(m: &ObjRef) -> &'static ModuleObj {
    match m.as_static() {
        Object::Module(mm) => mm,
        _ => unreachable!("a module object"),
    }
}

/// Runs `source` as the `__main__` module; returns the exit code (before shutdown).
pub fn run_main_source(vm: &mut Vm, source: &str, file: &str) -> i32 {
    let m = main_module(Some(file));
    let code = match compiler::compile_source(source, file, module_data(&m), Mode::Exec, compiler::Lifetime::Module) {
        Ok(c) => c,
        Err(text) => {
            eprint!("{text}");
            return 1;
        }
    };
    let r = vm.run_module_code(&code, module_data(&m));
    finish(vm, r)
}
