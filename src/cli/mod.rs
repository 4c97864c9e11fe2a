//! Command-line dispatch. Exit codes follow Python: 0 success, 1 error, 2 usage error.
//!
//! The first argument may name one of conc's own commands (`check`, `dis`, `test`,
//! `repl`); everything else is python3's command line (`options`). A script whose name
//! is one of the commands runs with `conc -- NAME` or `conc ./NAME`.

mod check;
mod dis;
mod options;
mod repl;
mod run;
mod test;

use options::Stop;

pub fn main(args: Vec<String>) -> i32 {
    match args.first().map(String::as_str) {
        Some("check") => return check::run(&args[1..]),
        Some("dis") => return dis::run(&args[1..]),
        Some("test") => return test::run(&args[1..]),
        Some("repl") => return repl::main(&args[1..]),
        Some("--multiprocessing-child") => return conc_stdlib::mp::child_main(&args[1..]),
        _ => {}
    }
    match options::parse(&args) {
        Ok(o) => run::launch(o, std::env::args().collect()),
        Err(Stop::Print(text)) => {
            print!("{text}");
            0
        }
        Err(Stop::Usage(message)) => {
            eprint!("{}", options::usage_error(&message));
            2
        }
    }
}
