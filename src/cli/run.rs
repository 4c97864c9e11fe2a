//! `conc FILE [ARGS...]` and `conc -c CODE`: run a script as `__main__`.

use conc_stdlib::runtime::{self, RuntimeBuilder};

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
    let (source, file) = (source.to_string(), file.to_string());
    let path = vec![if dir.is_empty() { ".".to_string() } else { dir.to_string() }];
    RuntimeBuilder::new().argv(argv).path(path).run(move |vm| runtime::run_main_source(vm, &source, &file))
}
