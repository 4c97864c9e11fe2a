//! Command-line dispatch. Exit codes follow Python: 0 success, 1 error, 2 usage error.

mod check;

const USAGE: &str = "usage: conc [FILE [ARGS...] | -c CODE | check FILE... | test [PATH...] | repl]";

pub fn main(args: Vec<String>) -> i32 {
    match args.first().map(String::as_str) {
        Some("check") => check::run(&args[1..]),
        Some("-h") | Some("--help") => {
            println!("{USAGE}");
            0
        }
        Some(_) | None => {
            eprintln!("{USAGE}");
            2
        }
    }
}
