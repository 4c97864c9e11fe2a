//! The `conc` command: run a script, check files, start the REPL, run golden tests.

mod cli;

fn main() {
    // mimalloc option 15 is `purge_delay`: by default freed pages go back to the OS
    // after 10 ms and are faulted in again on the next allocation burst, which cost a
    // third of the time of allocation-heavy scripts. Keep them for a second.
    // SAFETY: 15 is a valid `mi_option_t` (purge_delay) and mi_option_set only stores
    // a number in mimalloc's option table; it runs first thing in `main`, before any
    // other thread exists.
    unsafe { libmimalloc_sys::mi_option_set(15, 1000) };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = cli::main(args);
    // An uncaught KeyboardInterrupt: end by SIGINT, as python3 does (stdout was
    // flushed by the runtime).
    conc_interpreter::signals::die_if_interrupted();
    std::process::exit(code);
}

/// Runs before `main` and before mimalloc reads its options: with the default
/// `arena_eager_commit`, every thread's first allocation commits a whole arena chunk
/// (~900 KB resident per idle thread). The variable is only set when the user has not
/// chosen a value, and child processes inherit it.
extern "C" fn set_allocator_env() {
    // SAFETY: both arguments are NUL-terminated string literals, which setenv copies;
    // it runs from `.init_array` before `main`, while the process has one thread, so
    // no getenv can race with it.
    unsafe { libc::setenv(c"MIMALLOC_ARENA_EAGER_COMMIT".as_ptr(), c"0".as_ptr(), 0) };
}

#[used]
#[link_section = ".init_array.00100"]
static SET_ALLOCATOR_ENV: extern "C" fn() = set_allocator_env;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
