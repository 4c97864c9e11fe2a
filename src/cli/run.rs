//! Running a program as `__main__`: a script file, `-c CODE`, `-m MODULE` or `-`, with
//! python3's options applied (`-i`, `-O`, `-u`, `-P`, `-E`, `-x`, ...).

use std::io::{IsTerminal, Read};

use conc_interpreter::compiler::{self, Mode};
use conc_interpreter::value::str::intern;
use conc_interpreter::{ObjRef, Object, Value, Vm};
use conc_stdlib::runtime::{self, finish, main_module, module_data, RuntimeBuilder};
use conc_stdlib::sys_flags::{self, Launch};

use super::options::{Options, Program};

/// Where the program's text comes from, once the command line is read.
struct Source {
    text: String,
    /// `__file__` and the name tracebacks show.
    file: String,
    /// `sys.argv[0]`.
    argv0: String,
    /// `sys.path[0]`, unless `-P`.
    path0: String,
    /// For `-m a.b`: the packages to import first ("a") and `__package__`.
    package: Option<String>,
}

/// Runs the program the options name; returns the process's exit code.
pub fn launch(mut o: Options, orig_argv: Vec<String>) -> i32 {
    let extra_path = apply_environment(&mut o);
    if let Some(mode) = &o.deadlock {
        // Read by the runtime at start, and inherited by spawned child processes.
        std::env::set_var(conc_stdlib::deadlock::ENV, mode);
    }
    if let Some(path) = &o.trace {
        conc_stdlib::trace::configure(path);
    }
    conc_interpreter::interp::OPTIMIZE.store(o.optimize, std::sync::atomic::Ordering::Relaxed);
    if o.unbuffered {
        conc_interpreter::stdio::set_line_buffered(true);
    }
    let program = o.program.clone().unwrap_or(Program::Default);
    let tty = std::io::stdin().is_terminal();
    let interactive = program == Program::Default && tty;
    sys_flags::set_launch(Launch {
        debug: o.debug as i64,
        inspect: o.inspect as i64,
        interactive: (o.inspect || interactive) as i64,
        optimize: o.optimize as i64,
        no_user_site: o.no_user_site as i64,
        no_site: o.no_site as i64,
        ignore_environment: o.ignore_environment as i64,
        verbose: o.verbose as i64,
        bytes_warning: o.bytes_warning as i64,
        quiet: o.quiet as i64,
        isolated: o.isolated as i64,
        safe_path: o.safe_path,
        warnoptions: o.warnoptions.clone(),
        xoptions: o.xoptions.clone(),
        orig_argv,
    });
    let source = match program {
        Program::Default if tty => None,
        Program::Default | Program::Stdin => match read_stdin() {
            Ok(text) => Some(Source::plain(text, "<stdin>", if program == Program::Stdin { "-" } else { "" })),
            Err(code) => return code,
        },
        Program::Code(code) => Some(Source::plain(code, "<string>", "-c")),
        Program::File(path) => match file_source(&path) {
            Ok(s) => Some(s),
            Err(code) => return code,
        },
        Program::Module(name) => match Source::module(&name, &o, &extra_path) {
            Ok(s) => Some(s),
            Err(code) => return code,
        },
    };
    let Some(mut source) = source else {
        let path = path_list(&o, "", &extra_path);
        return super::repl::start(vec![String::new()], path, o.quiet);
    };
    if o.skip_first_line {
        // `-x`: the first line is blanked rather than removed, so that line numbers
        // stay those of the file, as in python3.
        source.text = match source.text.find('\n') {
            Some(i) => source.text[i..].to_string(),
            None => String::new(),
        };
    }
    let mut argv = vec![source.argv0.clone()];
    argv.extend(o.args.iter().cloned());
    let path = path_list(&o, &source.path0, &extra_path);
    let (inspect, quiet) = (o.inspect, o.quiet);
    RuntimeBuilder::new().argv(argv).path(path).run(move |vm| {
        let m = main_module(Some(&source.file));
        let status = run_in(vm, &m, &source);
        if inspect {
            // `-i`: the prompt follows whatever the program did (a traceback was
            // printed), with its globals; the prompt's exit decides the status.
            return super::repl::inspect(vm, m, quiet);
        }
        status
    })
}

/// Compiles and runs the program in `__main__`; returns its exit code.
fn run_in(vm: &mut Vm, m: &ObjRef, source: &Source) -> i32 {
    if let Some(package) = &source.package {
        // `-m a.b.c` imports `a` and `a.b` first, as python3 does, and runs `c` with
        // `__package__` set so that its relative imports work.
        let mut prefix = String::new();
        for part in package.split('.') {
            if !prefix.is_empty() {
                prefix.push('.');
            }
            prefix.push_str(part);
            if let Err(e) = vm.import_module(&prefix) {
                return runtime::exit_code_for(vm, &e.exc);
            }
        }
        if let Object::Module(mm) = &**m {
            mm.globals.set(&intern("__package__"), Value::str(package));
        }
    }
    let code = match compiler::compile_source(
        &source.text,
        &source.file,
        module_data(m),
        Mode::Exec,
        compiler::Lifetime::Module,
    ) {
        Ok(c) => c,
        Err(text) => {
            eprint!("{text}");
            return 1;
        }
    };
    if source.file.starts_with('<') {
        // `-c` and stdin have no file a spawned child could re-run.
        conc_interpreter::interactive_main::note(&source.text);
    }
    let r = vm.run_module_code(&code, module_data(m));
    finish(vm, r)
}

impl Source {
    fn plain(text: String, file: &str, argv0: &str) -> Source {
        Source { text, file: file.into(), argv0: argv0.into(), path0: String::new(), package: None }
    }

    /// `-m NAME`: the module's file, found as `import` finds it (conc's library, then
    /// `sys.path`, whose first entry is the current folder, absolute); python3's
    /// message and status 1 when there is nothing to run.
    fn module(name: &str, o: &Options, extra_path: &[String]) -> Result<Source, i32> {
        let cwd = std::env::current_dir().map(|p| p.display().to_string()).unwrap_or_default();
        conc_stdlib::install();
        *conc_interpreter::interp::interp().path.lock() = path_list(o, &cwd, extra_path);
        match conc_interpreter::vm::import::main_module_source(name) {
            Ok((file, text)) => {
                // A package runs its `__main__` inside the package.
                let is_main = file.ends_with("/__main__.conc") || file.ends_with("/__main__.py");
                let package = if is_main && !name.ends_with("__main__") {
                    Some(name.to_string())
                } else {
                    name.rsplit_once('.').map(|(p, _)| p.to_string())
                };
                Ok(Source { text, argv0: file.clone(), file, path0: cwd, package })
            }
            Err(msg) => {
                eprintln!("conc: {msg}");
                Err(1)
            }
        }
    }
}

fn read_stdin() -> Result<String, i32> {
    let mut text = String::new();
    match std::io::stdin().read_to_string(&mut text) {
        Ok(_) => Ok(text),
        Err(e) => {
            eprintln!("conc: cannot read stdin: {e}");
            Err(1)
        }
    }
}

/// A script file: its text, and the names python3 gives it.
fn file_source(path: &str) -> Result<Source, i32> {
    let text = match std::fs::read(path) {
        Ok(b) => match String::from_utf8(b) {
            Ok(s) => s,
            Err(_) => {
                eprintln!("SyntaxError: (unicode error) 'utf-8' codec can't decode bytes in file '{path}'");
                return Err(1);
            }
        },
        Err(e) => {
            report_unreadable(path, &e);
            return Err(2);
        }
    };
    // As CPython 3.11: `__file__`, tracebacks and `sys.path[0]` use the absolute path
    // (made absolute against the working directory, symlinks kept), `sys.argv[0]` the
    // path as given.
    let shown = std::path::absolute(path).map(|p| p.display().to_string()).unwrap_or_else(|_| path.to_string());
    let dir = std::path::Path::new(&shown).parent().map(|p| p.to_path_buf()).unwrap_or_default();
    let dir = std::fs::canonicalize(&dir).unwrap_or(dir).display().to_string();
    Ok(Source { text, file: shown, argv0: path.to_string(), path0: dir, package: None })
}

/// python3's message for a program file it cannot open.
pub(super) fn report_unreadable(path: &str, e: &std::io::Error) {
    let abs = std::path::Path::new(path);
    let shown = std::fs::canonicalize(abs.parent().unwrap_or(abs))
        .map(|d| d.join(abs.file_name().unwrap_or_default()))
        .unwrap_or_else(|_| abs.to_path_buf());
    eprintln!("conc: can't open file '{}': [Errno {}] {}", shown.display(), e.raw_os_error().unwrap_or(2), strerror(e));
}

fn strerror(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "No such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "Permission denied".into(),
        _ => e.to_string(),
    }
}

/// `sys.path`: the program's folder (unless `-P`), then `PYTHONPATH`'s folders.
fn path_list(o: &Options, path0: &str, extra: &[String]) -> Vec<String> {
    let mut path = Vec::new();
    if !o.safe_path {
        path.push(path0.to_string());
    }
    path.extend(extra.iter().cloned());
    path
}

/// Applies the `PYTHON*` variables python3 reads (unless `-E`/`-I`); returns
/// `PYTHONPATH`'s folders.
fn apply_environment(o: &mut Options) -> Vec<String> {
    if o.ignore_environment {
        return Vec::new();
    }
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if var("PYTHONINSPECT").is_some() {
        o.inspect = true;
    }
    if var("PYTHONSAFEPATH").is_some() {
        o.safe_path = true;
    }
    if var("PYTHONUNBUFFERED").is_some() {
        o.unbuffered = true;
    }
    if let Some(v) = var("PYTHONOPTIMIZE") {
        // An integer sets the level; any other text means 1.
        o.optimize = o.optimize.max(v.parse().unwrap_or(1));
    }
    if let Some(v) = var("PYTHONWARNINGS") {
        let mut w: Vec<String> = v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect();
        w.append(&mut o.warnoptions);
        o.warnoptions = w;
    }
    var("PYTHONPATH").map(|p| p.split(':').filter(|s| !s.is_empty()).map(String::from).collect()).unwrap_or_default()
}
