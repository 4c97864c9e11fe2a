//! Robustness: thousands of mutated inputs built from the corpus (truncations, byte
//! flips, shuffled and duplicated tokens, deep nesting) must each parse or fail
//! cleanly, without a panic and within a short time. The mutations come from a
//! fixed-seed PRNG, so a failure reproduces.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::time::{Duration, Instant};

/// xorshift64*: small, fast and good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Bytes that tend to matter to a Python lexer or parser.
const INTERESTING: &[u8] = b"()[]{}:;,.=+-*/%@<>!~^&|'\"\\#\n\t \x0c0123456789abcfrxjN_";

fn corpus() -> Vec<String> {
    let mut sources = Vec::new();
    for dir in ["tests/data/corpus", "tests/data/programs"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        let mut paths: Vec<_> =
            std::fs::read_dir(dir).expect("data directory").map(|e| e.expect("entry").path()).collect();
        paths.sort();
        for path in paths {
            if path.extension().and_then(|e| e.to_str()) == Some("conc") {
                sources.push(std::fs::read_to_string(path).expect("readable file"));
            }
        }
    }
    sources
}

fn truncate(src: &str, rng: &mut Rng) -> String {
    let bytes = src.as_bytes();
    String::from_utf8_lossy(&bytes[..rng.below(bytes.len() + 1)]).into_owned()
}

fn flip_bytes(src: &str, rng: &mut Rng) -> String {
    let mut bytes = src.as_bytes().to_vec();
    for _ in 0..1 + rng.below(4) {
        if bytes.is_empty() {
            break;
        }
        let at = rng.below(bytes.len());
        bytes[at] = if rng.below(4) == 0 { rng.next() as u8 } else { INTERESTING[rng.below(INTERESTING.len())] };
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn insert_bytes(src: &str, rng: &mut Rng) -> String {
    let mut bytes = src.as_bytes().to_vec();
    for _ in 0..1 + rng.below(3) {
        let at = rng.below(bytes.len() + 1);
        bytes.insert(at, INTERESTING[rng.below(INTERESTING.len())]);
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Swaps, duplicates or deletes whitespace-separated words, keeping the layout.
fn shuffle_tokens(src: &str, rng: &mut Rng) -> String {
    let mut words: Vec<&str> = src.split_inclusive([' ', '\n']).collect();
    if words.len() < 2 {
        return src.to_string();
    }
    for _ in 0..1 + rng.below(3) {
        let (a, b) = (rng.below(words.len()), rng.below(words.len()));
        match rng.below(3) {
            0 => words.swap(a, b),
            1 => words.insert(a, words[b]),
            _ => {
                words.remove(a);
                if words.is_empty() {
                    break;
                }
            }
        }
    }
    words.concat()
}

fn shuffle_lines(src: &str, rng: &mut Rng) -> String {
    let mut lines: Vec<&str> = src.split_inclusive('\n').collect();
    if lines.len() < 2 {
        return src.to_string();
    }
    let (a, b) = (rng.below(lines.len()), rng.below(lines.len()));
    lines.swap(a, b);
    lines.concat()
}

/// Pathologically deep inputs: each must be refused or parsed without exhausting
/// the stack.
fn deep_inputs() -> Vec<String> {
    let mut v = Vec::new();
    for n in [150, 199, 200, 201, 1000, 5000, 50_000] {
        v.push(format!("x = {}1{}\n", "(".repeat(n), ")".repeat(n)));
        v.push(format!("x = {}\n", "[".repeat(n)));
        v.push(format!("x = {}1\n", "-".repeat(n)));
        v.push(format!("x = {}x\n", "not ".repeat(n)));
        v.push(format!("x = 1{}\n", "+1".repeat(n)));
        v.push(format!("x = 2{}\n", "**2".repeat(n)));
        v.push(format!("x = a{}\n", ".b".repeat(n)));
        v.push(format!("x = f{}\n", "()".repeat(n)));
        v.push(format!("x = {}0\n", "lambda: ".repeat(n)));
        v.push(format!("x = {}0\n", "1 if 2 else ".repeat(n)));
        v.push(format!("x = [{}]\n", "-1, ".repeat(n)));
        v.push(format!("x = {}\n", "{".repeat(n)));
        v.push(format!("x = {}\n", "\"a\" ".repeat(n)));
        let mut nested = String::new();
        for depth in 0..n.min(300) {
            nested.push_str(&" ".repeat(depth));
            nested.push_str("if x:\n");
        }
        nested.push_str(&" ".repeat(n.min(300)));
        nested.push_str("pass\n");
        v.push(nested);
    }
    v.push("f'{".repeat(50));
    v.push("f\"{f'{f\"\"\"{1}\"\"\"}'}\"\n".to_string());
    v.push("\\\n".repeat(1000));
    v.push("\n".repeat(10000));
    v.push("\t".repeat(1000) + "x\n");
    v.push("\u{feff}x = 1\n".to_string());
    v.push("x = '\0'\n".to_string());
    v
}

fn check(input: &str, failures: &mut Vec<String>) {
    let start = Instant::now();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        if let Err(e) = conc_grammar::parse(input, "mutant.conc") {
            let report = conc_grammar::render(&e, input, "mutant.conc");
            assert!(report.ends_with(&format!("{}\n", e.summary())), "the report must end with the summary");
        }
        let _ = conc_grammar::is_incomplete(input);
    }));
    let elapsed = start.elapsed();
    let shown: String = input.chars().take(200).collect();
    if outcome.is_err() {
        failures.push(format!("panic on input {shown:?}"));
    } else if elapsed > Duration::from_secs(2) {
        failures.push(format!("took {elapsed:?} on input {shown:?}"));
    }
}

#[test]
fn mutated_inputs_never_panic_or_hang() {
    let sources = corpus();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut failures = Vec::new();
    let mut count = 0;
    // Panics are caught and reported; keep their default messages out of the output.
    std::panic::set_hook(Box::new(|_| {}));
    for src in &sources {
        for _ in 0..60 {
            let mutant = match rng.below(6) {
                0 => truncate(src, &mut rng),
                1 => flip_bytes(src, &mut rng),
                2 => insert_bytes(src, &mut rng),
                3 => shuffle_tokens(src, &mut rng),
                4 => shuffle_lines(src, &mut rng),
                _ => flip_bytes(&truncate(src, &mut rng), &mut rng),
            };
            check(&mutant, &mut failures);
            count += 1;
        }
    }
    for input in deep_inputs() {
        check(&input, &mut failures);
        count += 1;
    }
    let _ = std::panic::take_hook();
    assert!(count >= 3000, "only {count} inputs were tried");
    assert!(failures.is_empty(), "{} of {count} inputs failed:\n{}", failures.len(), failures.join("\n"));
}
