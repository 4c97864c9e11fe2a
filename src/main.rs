//! The `conc` command: run a script, check files, start the REPL, run golden tests.

mod cli;

fn main() {
    // mimalloc option 15 is `purge_delay`: by default freed pages go back to the OS
    // after 10 ms and are faulted in again on the next allocation burst, which cost a
    // third of the time of allocation-heavy scripts. Keep them for a second.
    unsafe { libmimalloc_sys::mi_option_set(15, 1000) };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = cli::main(args);
    std::process::exit(code);
}

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
