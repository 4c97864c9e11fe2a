//! `conc check FILE...`: parse (and compile) each file, print diagnostics, exit 1 on error.

pub fn run(files: &[String]) -> i32 {
    if files.is_empty() {
        eprintln!("usage: conc check FILE...");
        return 2;
    }
    let mut status = 0;
    for file in files {
        let source = match std::fs::read_to_string(file) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("conc: can't open file '{file}': [Errno {}] {e}", e.raw_os_error().unwrap_or(0));
                status = 1;
                continue;
            }
        };
        if let Err(err) = conc_grammar::parse(&source, file) {
            eprint!("{}", conc_grammar::render(&err, &source, file));
            status = 1;
        }
    }
    status
}
