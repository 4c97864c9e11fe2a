//! `conc` with no arguments, or `conc repl`: the interactive prompt.
//!
//! Each entry is read with rustyline (one line, or several when the parser says the
//! entry is unfinished), compiled in `Mode::Interactive` (expression statements echo
//! their repr and set `_`) and run in a persistent `__main__` module. When stdin is not
//! a terminal the whole input is run as a script instead, as `python3` does.

use std::borrow::Cow;
use std::cell::RefCell;
use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use conc_interpreter::compiler::{self, Mode};
use conc_interpreter::value::module::ModuleObj;
use conc_interpreter::{Args, ObjRef, Object, Value, Vm};
use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::history::FileHistory;
use rustyline::{CompletionType, Config, Context, Editor, ExternalPrinter, Helper, Hinter, Validator};

use conc_interpreter::native::Exc;
use conc_stdlib::runtime::{exit_code_for, finish, install_sigint_handler, main_module, module_data, RuntimeBuilder};

const FILE: &str = "<stdin>";

const KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
    "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal",
    "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
];

pub fn main(_args: &[String]) -> i32 {
    start(vec![String::new()], vec![String::new()], false)
}

/// The prompt as the whole program (`conc`, `conc repl`), with `sys.argv` and
/// `sys.path` as the command line made them; `quiet` (`-q`) leaves out the version line.
pub fn start(argv: Vec<String>, path: Vec<String>, quiet: bool) -> i32 {
    let interactive = std::io::stdin().is_terminal();
    RuntimeBuilder::new().argv(argv).path(path).run(move |vm| {
        let m = main_module(None);
        if interactive {
            repl(vm, m, quiet)
        } else {
            piped(vm, m)
        }
    })
}

/// `-i`: the prompt after a program, in the program's `__main__`. When stdin is not
/// a terminal its text is run as prompt entries (expression values are echoed).
pub fn inspect(vm: &mut Vm, m: ObjRef, quiet: bool) -> i32 {
    if std::io::stdin().is_terminal() {
        return repl(vm, m, quiet);
    }
    let mut source = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut source) {
        eprintln!("conc: cannot read stdin: {e}");
        return 1;
    }
    match run_entry(vm, &m, &source, Mode::Interactive) {
        Ok(_) | Err(None) => 0,
        Err(Some(exc)) => exit_code_for(vm, &exc),
    }
}

fn module_of(m: &ObjRef) -> &'static ModuleObj {
    module_data(m)
}

/// Compiles and runs one source text in `__main__`. Syntax errors are rendered with
/// miette (as for scripts) and reported as `Err(None)`.
fn run_entry(vm: &mut Vm, m: &ObjRef, source: &str, mode: Mode) -> Result<Value, Option<Value>> {
    // A piped script is module code; each interactive entry is freed once nothing
    // it made refers to it.
    let lifetime = match mode {
        Mode::Interactive => compiler::Lifetime::RunTime(None),
        _ => compiler::Lifetime::Module,
    };
    let code = match compiler::compile_source(source, FILE, module_of(m), mode, lifetime) {
        Ok(c) => c,
        Err(rendered) => {
            conc_interpreter::stdio::write_stderr(&rendered);
            return Err(None);
        }
    };
    // Definitions are noted before running, so that a process started by this very
    // entry finds the functions it defines.
    conc_interpreter::interactive_main::note(source);
    vm.run_module_code(&code, module_of(m)).map_err(|e| Some(e.exc))
}

/// Non-interactive stdin: the whole input is one script.
fn piped(vm: &mut Vm, m: ObjRef) -> i32 {
    let mut source = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut source) {
        eprintln!("conc: cannot read stdin: {e}");
        return 1;
    }
    match run_entry(vm, &m, &source, Mode::Exec) {
        Ok(v) => finish(vm, Ok(v)),
        Err(None) => 1,
        Err(Some(exc)) => exit_code_for(vm, &exc),
    }
}

fn history_path() -> Option<PathBuf> {
    std::env::var_os("HOME").filter(|h| !h.is_empty()).map(|h| PathBuf::from(h).join(".conc_history"))
}

/// Does this first line open a compound statement, whose end only a blank line marks?
fn opens_block(line: &str) -> bool {
    let t = line.trim_start();
    if t.starts_with('@') {
        return true;
    }
    let word: String = t.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
    match word.as_str() {
        "def" | "class" | "if" | "for" | "while" | "with" | "try" | "async" => true,
        // `match` is a soft keyword: `match = 1` is an assignment.
        "match" => t.trim_end().ends_with(':'),
        _ => false,
    }
}

/// What the lines typed so far amount to.
enum Entry {
    /// Needs another line.
    More,
    /// Ready to run.
    Run,
    /// A syntax error, reported at once.
    Error(conc_grammar::SyntaxError),
}

/// Decides whether `buffer` (the lines of one entry, `last` the most recent) is ready:
/// an unfinished block, bracket or string asks for more; a complete compound statement
/// waits for a blank line so that more of its body can be typed.
fn classify(buffer: &str, last: &str) -> Entry {
    let blank = last.trim().is_empty();
    match conc_grammar::parse(buffer, FILE) {
        Ok(_) => {
            let first = buffer.lines().next().unwrap_or("");
            if opens_block(first) && !blank {
                Entry::More
            } else {
                Entry::Run
            }
        }
        // A blank line ends a block: one still waiting for its body is an error now,
        // while an open bracket or string may hold blank lines.
        Err(e) if e.incomplete && !(blank && e.kind == conc_grammar::SyntaxErrorKind::IndentationError) => Entry::More,
        Err(e) => Entry::Error(e),
    }
}

/// Stdout and stderr text printed by threads while the prompt is shown goes through
/// rustyline's external printer, which redraws the prompt and the edited line below it.
fn hook_output(printer: &Arc<Mutex<Box<dyn ExternalPrinter + Send>>>) {
    let p = printer.clone();
    conc_interpreter::stdio::set_output_hook(Some(Box::new(move |text: &str| {
        if let Ok(mut p) = p.lock() {
            let _ = p.print(text.to_string());
        }
    })));
}

fn repl(main_vm: &mut Vm, m: ObjRef, quiet: bool) -> i32 {
    // The line editor's completer reads attributes through the VM between entries, so
    // the session shares it; a VM is only per-thread run state, and a fresh one is
    // left for the shutdown sequence that follows on this thread.
    let vm = Rc::new(RefCell::new(std::mem::replace(main_vm, Vm::new())));
    conc_interpreter::stdio::set_line_buffered(true);
    conc_interpreter::stdio::set_relay_children(true);
    let config = Config::builder().auto_add_history(false).completion_type(CompletionType::List).build();
    let mut editor: Editor<ReplHelper, FileHistory> = match Editor::with_config(config) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("conc: cannot start the line editor: {e}");
            return 1;
        }
    };
    editor.set_helper(Some(ReplHelper { vm: vm.clone(), module: m.clone() }));
    let history = history_path();
    if let Some(h) = &history {
        let _ = editor.load_history(h);
    }
    let printer: Option<Arc<Mutex<Box<dyn ExternalPrinter + Send>>>> = editor
        .create_external_printer()
        .ok()
        .map(|p| Arc::new(Mutex::new(Box::new(p) as Box<dyn ExternalPrinter + Send>)));
    if !quiet {
        eprintln!("conc {} (Ctrl-D or exit() to leave)", env!("CARGO_PKG_VERSION"));
    }

    let status = 'session: loop {
        // Read one entry.
        let mut buffer = String::new();
        let source = loop {
            let prompt = if buffer.is_empty() { ">>> " } else { "... " };
            if let Some(p) = &printer {
                hook_output(p);
            }
            let line = editor.readline(prompt);
            conc_interpreter::stdio::set_output_hook(None);
            match line {
                Ok(line) => {
                    let line = if line.contains('\n') { line.replace(CONTINUATION, "\n") } else { line };
                    if buffer.is_empty() && line.trim().is_empty() {
                        continue;
                    }
                    if !buffer.is_empty() {
                        buffer.push('\n');
                    }
                    buffer.push_str(&line);
                    // A pasted block arrives as one multi-line string: its last line
                    // decides, as if its lines had been typed one by one.
                    let last = line.rsplit('\n').next().unwrap_or("");
                    match classify(&buffer, last) {
                        Entry::More => continue,
                        Entry::Run => break buffer,
                        Entry::Error(e) => {
                            add_history(&mut editor, &history, &buffer);
                            conc_interpreter::stdio::write_stderr(&conc_grammar::render(&e, &buffer, FILE));
                            buffer.clear();
                        }
                    }
                }
                Err(ReadlineError::Interrupted) => {
                    eprintln!("KeyboardInterrupt");
                    buffer.clear();
                }
                // Ctrl-D on a continuation line ends the entry, as in CPython: a complete
                // block runs, an unfinished one is reported as a syntax error.
                Err(ReadlineError::Eof) if !buffer.is_empty() => {
                    eprintln!();
                    match conc_grammar::parse(&buffer, FILE) {
                        Ok(_) => break buffer,
                        Err(e) => {
                            add_history(&mut editor, &history, &buffer);
                            conc_interpreter::stdio::write_stderr(&conc_grammar::render(&e, &buffer, FILE));
                            buffer.clear();
                        }
                    }
                }
                Err(ReadlineError::Eof) => {
                    eprintln!();
                    break 'session 0;
                }
                Err(e) => {
                    eprintln!("conc: cannot read input: {e}");
                    break 'session 1;
                }
            }
        };
        add_history(&mut editor, &history, source.trim_end());

        // Run it. Rustyline has its own SIGINT handling while it reads, so ours is put
        // back for the run; a Ctrl-C pressed before now must not interrupt this entry.
        install_sigint_handler();
        conc_interpreter::blocking::take_interrupt();
        let mut vm = vm.borrow_mut();
        let r = run_entry(&mut vm, &m, &format!("{source}\n"), Mode::Interactive);
        conc_interpreter::stdio::flush_stdout();
        if let Err(Some(exc)) = r {
            let sys_exit = Exc::SystemExit.class().clone();
            let cls = vm.class_of(&exc);
            if conc_interpreter::value::class::is_subclass(&cls, &sys_exit) {
                break 'session exit_code_for(&mut vm, &exc);
            }
            let text = vm.format_exception(&exc);
            conc_interpreter::stdio::write_stderr(&text);
        }
        conc_interpreter::blocking::take_interrupt();
    };
    status
}

/// How a recalled block shows the start of each line after its first.
const CONTINUATION: &str = "\n... ";

fn add_history(editor: &mut Editor<ReplHelper, FileHistory>, path: &Option<PathBuf>, entry: &str) {
    if entry.trim().is_empty() {
        return;
    }
    // A block is kept with its continuation prompts, so that recalling it shows them
    // as they were typed; they are taken off again when the entry is accepted.
    let _ = editor.add_history_entry(entry.replace('\n', CONTINUATION));
    // Appending after every entry keeps the history of a session that is killed.
    if let Some(p) = path {
        let _ = editor.append_history(p);
    }
}

/// Completion and highlighting for the editor. The VM is shared with the loop, which
/// only borrows it while an entry runs, never while a line is read.
#[derive(Helper, Hinter, Validator)]
struct ReplHelper {
    vm: Rc<RefCell<Vm>>,
    module: ObjRef,
}

fn str_of_value(v: &Value) -> Option<String> {
    match v {
        Value::Obj(o) if matches!(&**o, Object::Str(_)) => Some(o.str_text().to_string()),
        _ => None,
    }
}

impl ReplHelper {
    /// `dir(obj)` as strings.
    fn dir(&self, vm: &mut Vm, obj: &Value) -> Vec<String> {
        let dir = conc_interpreter::interp::builtins_module().globals.get("dir");
        if dir.is_null() {
            return Vec::new();
        }
        match vm.call(&dir, Args::new([obj.clone()])).and_then(|l| vm.collect(&l)) {
            Ok(items) => items.iter().filter_map(str_of_value).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// The value of a plain dotted name such as `os.path`, looked up without running
    /// anything but attribute access.
    fn lookup(&self, vm: &mut Vm, dotted: &str) -> Option<Value> {
        let mut parts = dotted.split('.');
        let first = parts.next()?;
        let mut value = match module_of(&self.module).globals.get(first) {
            Value::Null => match conc_interpreter::interp::builtins_module().globals.get(first) {
                Value::Null => return None,
                v => v,
            },
            v => v,
        };
        for part in parts {
            value = vm.get_attr_opt(&value, &conc_interpreter::value::str::intern(part)).ok()??;
        }
        Some(value)
    }

    fn candidates(&self, word: &str) -> Vec<String> {
        let Ok(mut vm) = self.vm.try_borrow_mut() else { return Vec::new() };
        let (names, prefix) = match word.rsplit_once('.') {
            Some((base, prefix)) => {
                let plain = base.split('.').all(|p| {
                    p.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_')
                        && p.chars().all(|c| c.is_alphanumeric() || c == '_')
                });
                if !plain {
                    return Vec::new();
                }
                let Some(obj) = self.lookup(&mut vm, base) else { return Vec::new() };
                (self.dir(&mut vm, &obj), prefix)
            }
            None => {
                let mut names: Vec<String> = module_of(&self.module)
                    .globals
                    .items()
                    .into_iter()
                    .filter(|(_, v)| !matches!(v, Value::Null))
                    .map(|(k, _)| k.str_text().to_string())
                    .collect();
                let builtins = conc_interpreter::interp::builtins_module().globals.items();
                names.extend(builtins.into_iter().map(|(k, _)| k.str_text().to_string()));
                names.extend(KEYWORDS.iter().map(|k| k.to_string()));
                (names, word)
            }
        };
        let mut out: Vec<String> = names
            .into_iter()
            .filter(|n| n.starts_with(prefix) && (prefix.starts_with('_') || !n.starts_with('_')))
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        let before = &line[..pos];
        // Tab at the start of a line indents, as in Python's REPL.
        if before.trim().is_empty() {
            return Ok((pos, vec![Pair { display: "    ".into(), replacement: "    ".into() }]));
        }
        let start = before
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_alphanumeric() || *c == '_' || *c == '.')
            .last()
            .map_or(pos, |(i, _)| i);
        let word = &before[start..];
        if word.is_empty() || word.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
            return Ok((pos, Vec::new()));
        }
        let replace_from = match word.rfind('.') {
            Some(i) => start + i + 1,
            None => start,
        };
        let pairs = self.candidates(word).into_iter().map(|c| Pair { display: c.clone(), replacement: c }).collect();
        Ok((replace_from, pairs))
    }
}

impl Highlighter for ReplHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        Cow::Owned(highlight(line))
    }

    fn highlight_char(&self, _line: &str, _pos: usize, _kind: rustyline::highlight::CmdKind) -> bool {
        // Any key can change how the rest of the line reads (a quote opens a string).
        true
    }
}

const KEYWORD: &str = "\x1b[1;35m";
const STRING: &str = "\x1b[32m";
const NUMBER: &str = "\x1b[36m";
const COMMENT: &str = "\x1b[2;37m";
const RESET: &str = "\x1b[0m";

/// Colours keywords, strings, numbers and comments with ANSI escapes. A small scanner
/// rather than the real lexer: it must cope with the unfinished text being typed.
pub fn highlight(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len() + 16);
    let mut i = 0;
    let paint = |out: &mut String, colour: &str, text: &[char]| {
        out.push_str(colour);
        out.extend(text);
        out.push_str(RESET);
    };
    while i < chars.len() {
        let c = chars[i];
        if c == '#' {
            paint(&mut out, COMMENT, &chars[i..]);
            break;
        } else if c == '"' || c == '\'' {
            let end = string_end(&chars, i);
            paint(&mut out, STRING, &chars[i..end]);
            i = end;
        } else if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit())) {
            let mut j = i + 1;
            while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_' || chars[j] == '.') {
                j += 1;
            }
            paint(&mut out, NUMBER, &chars[i..j]);
            i = j;
        } else if c.is_alphabetic() || c == '_' {
            let mut j = i + 1;
            while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
                j += 1;
            }
            let word: String = chars[i..j].iter().collect();
            let is_prefix = j < chars.len()
                && (chars[j] == '"' || chars[j] == '\'')
                && word.len() <= 2
                && word.chars().all(|p| "rbfuRBFU".contains(p));
            if is_prefix {
                let end = string_end(&chars, j);
                paint(&mut out, STRING, &chars[i..end]);
                i = end;
                continue;
            }
            if KEYWORDS.contains(&word.as_str()) {
                paint(&mut out, KEYWORD, &chars[i..j]);
            } else {
                out.push_str(&word);
            }
            i = j;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// The index just past the string literal opening at `start` (or the end of the line
/// when it is not closed there).
fn string_end(chars: &[char], start: usize) -> usize {
    let q = chars[start];
    let triple = chars.get(start + 1) == Some(&q) && chars.get(start + 2) == Some(&q);
    let mut j = start + if triple { 3 } else { 1 };
    while j < chars.len() {
        if chars[j] == '\\' {
            j += 2;
            continue;
        }
        if chars[j] == q {
            if !triple {
                return j + 1;
            }
            if chars.get(j + 1) == Some(&q) && chars.get(j + 2) == Some(&q) {
                return j + 3;
            }
        }
        j += 1;
    }
    chars.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries() {
        assert!(matches!(classify("x = 1", "x = 1"), Entry::Run));
        assert!(matches!(classify("def f():", "def f():"), Entry::More));
        assert!(matches!(classify("def f():\n    return 1", "    return 1"), Entry::More));
        assert!(matches!(classify("def f():\n    return 1\n", ""), Entry::Run));
        assert!(matches!(classify("def f():\n", ""), Entry::Error(_)));
        assert!(matches!(classify("x = (1,", "x = (1,"), Entry::More));
        assert!(matches!(classify("x = (1,\n", ""), Entry::More));
        assert!(matches!(classify("x = (1,\n2)", "2)"), Entry::Run));
        assert!(matches!(classify("s = '''a", "s = '''a"), Entry::More));
        assert!(matches!(classify("x = = 1", "x = = 1"), Entry::Error(_)));
        assert!(matches!(classify("match = 1", "match = 1"), Entry::Run));
    }

    #[test]
    fn highlighting() {
        let h = highlight("if x == 'a#b': # c");
        assert_eq!(h, format!("{KEYWORD}if{RESET} x == {STRING}'a#b'{RESET}: {COMMENT}# c{RESET}"));
        assert_eq!(highlight("f\"x\" 12"), format!("{STRING}f\"x\"{RESET} {NUMBER}12{RESET}"));
        assert_eq!(highlight("elsewhere"), "elsewhere");
    }
}
