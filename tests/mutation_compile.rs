//! A bounded mutation test of the front end: every golden test's source, mutated
//! many times (deleted, duplicated and swapped pieces, inserted tokens, truncation),
//! is parsed and compiled as `conc check` does. Each input must end in a program or
//! a diagnostic: no panic, no hang (a watchdog fails the test when one input takes
//! longer than `HANG_AFTER`). The mutations are seeded, so a failure reproduces; the
//! failing input is written to the temporary directory.

use conc_interpreter::compiler::{self, Mode};
use conc_interpreter::value::module::ModuleObj;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Mutants made from each source file (`CONC_MUTANTS=N` for a longer campaign).
const MUTANTS_PER_FILE: usize = 64;
const HANG_AFTER: Duration = Duration::from_secs(20);

/// Pieces inserted by the mutator: tokens and characters that tend to reach the
/// front end's less travelled paths.
const TOKENS: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ":",
    ",",
    ".",
    ";",
    "=",
    "==",
    ":=",
    "*",
    "**",
    "@",
    "->",
    "\n",
    "    ",
    "\t",
    "\\",
    "'",
    "\"",
    "'''",
    "f'{",
    "f\"{x!r:>{w}}\"",
    "}",
    "#",
    "lambda",
    "lambda *a, **k: 0",
    "yield",
    "yield from",
    "await",
    "async ",
    "def ",
    "def f(a, /, b, *, c):",
    "class ",
    "class C(A, metaclass=M):",
    "if ",
    "elif ",
    "else:",
    "while ",
    "for x in ",
    "try:",
    "except ",
    "except* E:",
    "finally:",
    "with a as b:",
    "return",
    "nonlocal x",
    "global x",
    "del ",
    "pass",
    "break",
    "continue",
    "import ",
    "from . import x",
    "not ",
    " and ",
    " or ",
    " is not ",
    " in ",
    "0x",
    "0b1_",
    "1e",
    "1j",
    "10",
    "_",
    "\0",
    "é",
    "\u{200c}",
    "\u{feff}",
    "$",
    "?",
    "!",
    "`",
    "match x:\n    case [a, *b]:",
    "case _:",
    "print(*a, sep='')",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// A char boundary of `s` at or before byte `i`.
fn boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn mutate(src: &str, rng: &mut Rng) -> String {
    let mut s = src.to_string();
    for _ in 0..1 + rng.below(4) {
        let a = boundary(&s, rng.below(s.len() + 1));
        let b = boundary(&s, a + rng.below(64));
        match rng.below(6) {
            0 => s.replace_range(a..b, ""),
            1 => {
                let piece = s[a..b].to_string();
                s.insert_str(a, &piece);
            }
            2 | 3 => s.insert_str(a, TOKENS[rng.below(TOKENS.len())]),
            4 => s.truncate(a),
            _ => {
                let mut lines: Vec<&str> = s.lines().collect();
                if lines.len() > 1 {
                    let (x, y) = (rng.below(lines.len()), rng.below(lines.len()));
                    lines.swap(x, y);
                }
                s = lines.join("\n");
            }
        }
    }
    s
}

fn golden_sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            golden_sources(&p, out);
        } else if p.extension().is_some_and(|e| e == "conc" || e == "py") {
            out.push(p);
        }
    }
}

#[test]
fn mutated_golden_sources_compile_or_fail_cleanly() {
    let mut files = Vec::new();
    golden_sources(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden"), &mut files);
    assert!(files.len() > 100, "golden tests not found");
    let sources: Vec<String> = files.iter().filter_map(|p| std::fs::read_to_string(p).ok()).collect();
    let done = Arc::new(AtomicUsize::new(0));
    let current = Arc::new(Mutex::new(String::new()));
    let per_file = std::env::var("CONC_MUTANTS").ok().and_then(|v| v.parse().ok()).unwrap_or(MUTANTS_PER_FILE);
    let (d, c) = (done.clone(), current.clone());
    // `conc check` compiles on the process's main thread: the same 8 MiB stack.
    let worker = std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(move || {
            conc_interpreter::interp::init();
            let mut failures = Vec::new();
            for (i, src) in sources.iter().enumerate() {
                let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (i as u64 + 1));
                for _ in 0..per_file {
                    let input = mutate(src, &mut rng);
                    *c.lock().unwrap() = input.clone();
                    let scratch = ModuleObj::new("__main__", Some("<fuzz>".into()));
                    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        let _ = compiler::compile_source(
                            &input,
                            "<fuzz>",
                            &scratch,
                            Mode::Exec,
                            compiler::Lifetime::RunTime(None),
                        );
                    }));
                    if r.is_err() {
                        failures.push(input);
                    }
                    d.fetch_add(1, Ordering::Relaxed);
                }
            }
            failures
        })
        .unwrap();
    let mut last = (0, Instant::now());
    while !worker.is_finished() {
        std::thread::sleep(Duration::from_millis(50));
        let n = done.load(Ordering::Relaxed);
        if n != last.0 {
            last = (n, Instant::now());
        } else if last.1.elapsed() > HANG_AFTER {
            let path = std::env::temp_dir().join("conc-mutation-hang.py");
            let _ = std::fs::write(&path, &*current.lock().unwrap());
            panic!("compiling one input took over {HANG_AFTER:?}; it is in {}", path.display());
        }
    }
    let failures = worker.join().unwrap();
    let total = done.load(Ordering::Relaxed);
    if let Some(first) = failures.first() {
        let path = std::env::temp_dir().join("conc-mutation-panic.py");
        let _ = std::fs::write(&path, first);
        panic!("{} of {total} inputs panicked; the first is in {}", failures.len(), path.display());
    }
    eprintln!("{total} mutated inputs compiled or failed cleanly");
}
