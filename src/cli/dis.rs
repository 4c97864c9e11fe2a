//! `conc dis FILE` and `conc dis -c CODE`: compile (nothing is run) and print every
//! code object, the module's first, then the nested ones depth first. Diagnostics
//! and exit statuses are those of `conc check`.

use conc_interpreter::bytecode_dis;
use conc_interpreter::compiler::{self, Mode};
use conc_interpreter::value::module::ModuleObj;
use conc_interpreter::value::Object;
use conc_interpreter::vm::Vm;

const USAGE: &str = "usage: conc dis FILE | conc dis -c CODE";

pub fn run(args: &[String]) -> i32 {
    let (source, file) = match args {
        [flag, code] if flag == "-c" => (code.clone(), "<string>".to_string()),
        [file] if !file.starts_with('-') => match super::check::read_source(file) {
            Some(s) => (s, file.clone()),
            // An unreadable file is a usage error, as for `conc check` and `conc FILE`.
            None => return 2,
        },
        _ => {
            eprintln!("{USAGE}");
            return 2;
        }
    };
    conc_interpreter::interp::init();
    // Compiled into a scratch module, as `conc check` does, so scope errors are
    // reported like syntax errors.
    let scratch = ModuleObj::new("__main__", Some(file.clone()));
    let top = match compiler::compile_source(&source, &file, &scratch, Mode::Exec, compiler::Lifetime::RunTime(None)) {
        Ok(code) => code,
        Err(rendered) => {
            eprint!("{rendered}");
            return 1;
        }
    };
    let Object::Code(code) = &*top else {
        eprintln!("conc: the compiler did not return a code object");
        return 1;
    };
    let mut vm = Vm::new();
    print!("{}", bytecode_dis::disassemble(&mut vm, code));
    0
}
