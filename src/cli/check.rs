//! `conc check FILE...`: parse and compile each file, print diagnostics, exit 1 on error.
//! Nothing is run.

use conc_interpreter::compiler::{self, Mode};
use conc_interpreter::value::module::ModuleObj;

pub fn run(files: &[String]) -> i32 {
    if files.is_empty() {
        eprintln!("usage: conc check FILE...");
        return 2;
    }
    conc_interpreter::interp::init();
    let mut status = 0;
    for file in files {
        // An unreadable file is a usage error (2), as `conc FILE` reports it; it
        // outranks a syntax error (1) elsewhere in the list.
        let Some(source) = read_source(file) else {
            status = 2;
            continue;
        };
        // Compile into a scratch module: scope errors (`nonlocal` without a binding,
        // `return` outside a function, ...) are reported like syntax errors.
        let scratch = ModuleObj::new("__main__", Some(file.clone()));
        if let Err(rendered) =
            compiler::compile_source(&source, file, &scratch, Mode::Exec, compiler::Lifetime::RunTime(None))
        {
            eprint!("{rendered}");
            status = status.max(1);
        }
    }
    status
}

/// The text of `file`, or None after printing why it cannot be read (shared with
/// `conc dis`, which reports the same way).
pub(super) fn read_source(file: &str) -> Option<String> {
    match std::fs::read_to_string(file) {
        Ok(s) => Some(s),
        Err(e) => {
            super::run::report_unreadable(file, &e);
            None
        }
    }
}
