//! Command-line dispatch. Exit codes follow Python: 0 success, 1 error, 2 usage error.

mod check;
mod dis;
mod repl;
mod run;
mod test;

const USAGE: &str =
    "usage: conc [FILE [ARGS...] | -c CODE | check FILE... | dis FILE | dis -c CODE | test [PATH...] | repl]";

pub fn main(args: Vec<String>) -> i32 {
    match args.first().map(String::as_str) {
        Some("check") => check::run(&args[1..]),
        Some("dis") => dis::run(&args[1..]),
        Some("test") => test::run(&args[1..]),
        Some("repl") => repl::main(&args[1..]),
        None => repl::main(&[]),
        Some("--multiprocessing-child") => conc_stdlib::mp::child_main(&args[1..]),
        Some("-h") | Some("--help") => {
            println!("{USAGE}");
            0
        }
        Some("-c") => match args.get(1) {
            Some(code) => run::run_code(code, &args[2..]),
            None => {
                eprintln!("Argument expected for the -c option\n{USAGE}");
                2
            }
        },
        Some(f) if !f.starts_with('-') => run::run_file(f, &args[1..]),
        Some(_) => {
            eprintln!("{USAGE}");
            2
        }
    }
}
