//! `conc FILE [ARGS...]` and `conc -c CODE`: run a script as `__main__`.

use conc_interpreter::compiler::{self, Mode};
use conc_interpreter::interp::interp;
use conc_interpreter::native::Exc;
use conc_interpreter::value::module::ModuleObj;
use conc_interpreter::vm::import::set_module_attrs;
use conc_interpreter::{ObjRef, Object, Value, Vm};

/// Stack size of the thread that runs the main script: script recursion is data, but
/// native re-entry (a `__repr__` calling `repr`, `sorted` with a key) uses Rust stack.
pub const MAIN_STACK: usize = 512 << 20;

/// Runs a script file; returns the process exit code.
pub fn run_file(path: &str, args: &[String]) -> i32 {
    let source = match std::fs::read(path) {
        Ok(b) => match String::from_utf8(b) {
            Ok(s) => s,
            Err(_) => {
                eprintln!("SyntaxError: (unicode error) 'utf-8' codec can't decode bytes in file '{path}'");
                return 1;
            }
        },
        Err(e) => {
            let abs = std::path::Path::new(path);
            let shown = std::fs::canonicalize(abs.parent().unwrap_or(abs))
                .map(|d| d.join(abs.file_name().unwrap_or_default()))
                .unwrap_or_else(|_| abs.to_path_buf());
            eprintln!(
                "conc: can't open file '{}': [Errno {}] {}",
                shown.display(),
                e.raw_os_error().unwrap_or(2),
                strerror(&e)
            );
            return 2;
        }
    };
    // As CPython 3.11: `__file__`, tracebacks and `sys.path[0]` use the absolute path
    // (made absolute against the working directory, symlinks kept), `sys.argv[0]` the
    // path as given.
    let shown = std::path::absolute(path).map(|p| p.display().to_string()).unwrap_or_else(|_| path.to_string());
    let dir = std::path::Path::new(&shown).parent().map(|p| p.to_path_buf()).unwrap_or_default();
    let dir = std::fs::canonicalize(&dir).unwrap_or(dir).display().to_string();
    let mut argv = vec![path.to_string()];
    argv.extend(args.iter().cloned());
    run_source(&source, &shown, &dir, argv)
}

/// `conc -c CODE`.
pub fn run_code(code: &str, args: &[String]) -> i32 {
    let mut argv = vec!["-c".to_string()];
    argv.extend(args.iter().cloned());
    run_source(code, "<string>", "", argv)
}

fn strerror(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "No such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "Permission denied".into(),
        _ => e.to_string(),
    }
}

fn run_source(source: &str, file: &str, dir: &str, argv: Vec<String>) -> i32 {
    let source = source.to_string();
    let file = file.to_string();
    let dir = dir.to_string();
    let h = std::thread::Builder::new()
        .name("main".into())
        .stack_size(MAIN_STACK)
        .spawn(move || run_main(&source, &file, &dir, argv));
    let code = match h {
        Ok(h) => h.join().unwrap_or(1),
        Err(_) => 1,
    };
    conc_interpreter::stdio::flush_stdout();
    code
}

/// Sets up the interpreter and runs the main module on this thread.
fn run_main(source: &str, file: &str, dir: &str, argv: Vec<String>) -> i32 {
    let mut vm = conc_interpreter::Runtime::new();
    conc_interpreter::blocking::set_main_thread();
    install_sigint_handler();
    conc_stdlib::install();
    *interp().argv.lock() = argv;
    interp().path.lock().push(if dir.is_empty() { ".".to_string() } else { dir.to_string() });
    let ast = match conc_grammar::parse(source, file) {
        Ok(a) => a,
        Err(e) => {
            eprint!("{}", conc_grammar::render(&e, source, file));
            return 1;
        }
    };
    let m = ObjRef::new_immortal(Object::Module(Box::new(ModuleObj::new("__main__", Some(file.to_string())))));
    set_module_attrs(&m, "__main__", Some(file));
    interp().modules.lock().insert("__main__".into(), Value::Obj(m.clone()));
    let module: &'static ModuleObj = match m.as_static() {
        Object::Module(mm) => mm,
        _ => unreachable!(),
    };
    let code = match compiler::compile(&ast, file, source, module, Mode::Exec) {
        Ok(c) => c,
        Err(e) => {
            let err = conc_grammar::SyntaxError::new(conc_grammar::SyntaxErrorKind::SyntaxError, e.message, e.span);
            eprint!("{}", conc_grammar::render(&err, source, file));
            return 1;
        }
    };
    let r = vm.run_module_code(code, module);
    let status = finish(&mut vm, r);
    shutdown_threads(&mut vm, status)
}

/// Waits for every non-daemon thread when the main module ends (also after an
/// uncaught exception, whose traceback is printed first), as CPython does.
pub fn shutdown_threads(vm: &mut Vm, status: i32) -> i32 {
    // Threads first (threading._shutdown), then child processes (multiprocessing
    // terminates daemon children and joins the others), in CPython's order: its
    // multiprocessing hook is an atexit handler, which runs after the threads.
    for module in ["threading", "multiprocessing"] {
        let m = interp().modules.lock().get(module).cloned();
        if let Some(m) = m {
            let name = conc_interpreter::value::str::intern("_shutdown");
            if let Ok(Some(f)) = vm.get_attr_opt(&m, &name) {
                if let Err(e) = vm.call(&f, conc_interpreter::Args::default()) {
                    return exit_code_for(vm, &e.exc);
                }
            }
        }
    }
    status
}

/// Turns the outcome of the main module into an exit code, printing an uncaught
/// exception's traceback (or a SystemExit's message) on stderr.
pub fn finish(vm: &mut Vm, r: conc_interpreter::PyResult<Value>) -> i32 {
    match r {
        Ok(_) => 0,
        Err(e) => exit_code_for(vm, &e.exc),
    }
}

pub fn exit_code_for(vm: &mut Vm, exc: &Value) -> i32 {
    let sys_exit = Exc::SystemExit.class().clone();
    let cls = vm.class_of(exc);
    if conc_interpreter::value::class::is_subclass(&cls, &sys_exit) {
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
    let text = vm.format_exception(exc);
    conc_interpreter::stdio::write_stderr(&text);
    1
}

/// Ctrl-C raises KeyboardInterrupt in the main thread (checked by the VM loop and by
/// every blocking wait) instead of killing the process.
fn install_sigint_handler() {
    extern "C" fn on_sigint(_: libc::c_int) {
        conc_interpreter::blocking::request_interrupt();
    }
    unsafe {
        libc::signal(libc::SIGINT, on_sigint as *const () as libc::sighandler_t);
    }
}
