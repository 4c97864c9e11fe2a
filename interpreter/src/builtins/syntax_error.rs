//! SyntaxError's attributes, its `str()` and the way an uncaught one is reported.
//!
//! `SyntaxError(msg, (filename, lineno, offset, text[, end_lineno, end_offset]))`
//! spreads its details over attributes; `str()` reads them back (so assigning
//! `e.msg` changes what is printed), and a traceback shows the offending line with
//! carets instead of the details tuple, as CPython 3.11 does.

use crate::native::{native, Exc, KwArgs, Receiver};
use crate::value::str::intern;
use crate::value::{ObjRef, Value};
use crate::vm::{PyResult, Vm};

/// The attributes every SyntaxError has, in the order of the details tuple.
const DETAILS: [&str; 6] = ["filename", "lineno", "offset", "text", "end_lineno", "end_offset"];

pub fn register() {
    crate::interp::add_natives(Exc::SyntaxError.class(), &[&syntax_error_init::DEF, &syntax_error_str::DEF]);
}

fn set(inst: &Value, name: &str, v: Value) {
    if let Some(i) = inst.as_instance() {
        let n = intern(name);
        i.attrs().set_simple(crate::value::class::name_hash(&n), Value::Obj(n), v);
    }
}

/// Sets the attributes from the constructor's arguments without failing: used
/// for exceptions the VM builds itself (their details are always well formed).
pub fn init_attrs(exc: &Value, args: &[Value]) {
    set(exc, "msg", args.first().cloned().unwrap_or(Value::None));
    set(exc, "print_file_and_line", Value::None);
    let details = match args {
        [_, d] => d.as_tuple().map(|t| t.items().to_vec()),
        _ => None,
    };
    let details = details.filter(|d| (4..=6).contains(&d.len())).unwrap_or_default();
    for (i, name) in DETAILS.iter().enumerate() {
        set(exc, name, details.get(i).cloned().unwrap_or(Value::None));
    }
}

/// Initialize self.  See help(type(self)) for accurate signature.
#[native("SyntaxError.__init__($self, /, *args, **kwargs)", style = "slot")]
fn syntax_error_init(vm: &mut Vm, this: Receiver, args: &[Value], kwargs: KwArgs) -> PyResult<()> {
    let exc = this.0;
    if !kwargs.is_empty() {
        let cls = vm.class_of(exc);
        return Err(vm.type_error(&crate::native::messages::no_keywords(cls.class_name())));
    }
    if let Some(d) = crate::vm::exc::exc_data(exc) {
        *d.args.lock() = Value::tuple(args.to_vec());
    }
    init_attrs(exc, &[]);
    set(exc, "msg", args.first().cloned().unwrap_or(Value::None));
    if let [_, details] = args {
        // Any iterable of four to six items, as CPython's tuple parsing accepts.
        let items = vm.collect(details)?;
        if items.len() < 4 {
            return Err(vm.type_error(&format!("function takes at least 4 arguments ({} given)", items.len())));
        }
        if items.len() > 6 {
            return Err(vm.type_error(&format!("function takes at most 6 arguments ({} given)", items.len())));
        }
        for (name, v) in DETAILS.iter().zip(items) {
            set(exc, name, v);
        }
    }
    Ok(())
}

/// Return str(self).
#[native("SyntaxError.__str__($self, /)", style = "slot")]
fn syntax_error_str(vm: &mut Vm, this: Receiver) -> PyResult<String> {
    let exc = this.0;
    let msg = attr(vm, exc, "msg")?;
    let mut s = vm.str_of(&msg)?;
    let filename = attr(vm, exc, "filename")?;
    // Only the file's last path component is shown, as CPython does.
    let file = text_of(&filename).map(|f| f.rsplit('/').next().unwrap_or(&f).to_string());
    let line = match attr(vm, exc, "lineno")? {
        Value::Int(n) => Some(n),
        _ => None,
    };
    match (file, line) {
        (Some(f), Some(n)) => s.push_str(&format!(" ({f}, line {n})")),
        (Some(f), None) => s.push_str(&format!(" ({f})")),
        (None, Some(n)) => s.push_str(&format!(" (line {n})")),
        (None, None) => {}
    }
    Ok(s)
}

fn text_of(v: &Value) -> Option<String> {
    v.as_str().map(|s| s.as_str().to_string())
}

fn attr(vm: &mut Vm, exc: &Value, name: &str) -> PyResult<Value> {
    Ok(vm.get_attr_opt(exc, &intern(name))?.unwrap_or(Value::None))
}

/// The lines a traceback shows for a SyntaxError in place of `Type: str(exc)`:
/// the file and line, the offending text and carets under the error, then
/// `Type: msg`. None when the exception has no integer `lineno` (then it is
/// reported as any other exception).
pub fn report(vm: &mut Vm, exc: &Value, type_name: &str) -> Option<String> {
    let is_syntax = crate::value::class::is_subclass(&vm.class_of(exc), Exc::SyntaxError.class());
    if !is_syntax {
        return None;
    }
    let get = |vm: &mut Vm, n: &str| attr(vm, exc, n).unwrap_or(Value::None);
    let Value::Int(lineno) = get(vm, "lineno") else {
        return None;
    };
    let filename = get(vm, "filename");
    let file = text_of(&filename).unwrap_or_else(|| "<string>".to_string());
    let mut out = format!("  File \"{file}\", line {lineno}\n");
    if let Some(text) = text_of(&get(vm, "text")) {
        let text = text.strip_suffix('\n').unwrap_or(&text);
        let trimmed = text.trim_start_matches([' ', '\t', '\x0c']);
        let stripped = (text.chars().count() - trimmed.chars().count()) as i64;
        let len = trimmed.chars().count() as i64;
        out.push_str(&format!("    {trimmed}\n"));
        if let Value::Int(offset) = get(vm, "offset") {
            let col = (offset - 1 - stripped).min(len);
            if offset >= 1 && col >= 0 {
                let end = match (get(vm, "end_lineno"), get(vm, "end_offset")) {
                    (Value::Int(el), Value::Int(eo)) if el == lineno => (eo - stripped).min(len + 1),
                    // An error running past its line is marked to the line's end.
                    (Value::Int(el), Value::Int(_)) if el > lineno => len,
                    _ => col + 2,
                };
                let width = (end - (col + 1)).max(1);
                out.push_str(&format!("    {}{}\n", " ".repeat(col as usize), "^".repeat(width as usize)));
            }
        }
    }
    let msg = get(vm, "msg");
    let msg = vm.str_of(&msg).unwrap_or_default();
    out.push_str(type_name);
    if !msg.is_empty() {
        out.push_str(": ");
        out.push_str(&msg);
    }
    Some(out)
}

/// Builds the SyntaxError (or subclass `kind`) the compiler reports for `span` of
/// `source`, with the details tuple and attributes CPython gives it.
pub fn from_span(kind: Exc, msg: &str, file: &str, source: &str, span: conc_grammar::Span) -> Value {
    let idx = conc_grammar::LineIndex::new(source);
    let (line, col) = idx.line_col(source, span.start);
    let (end_line, end_col) = idx.line_col(source, span.end.max(span.start));
    // CPython's `text` is the line with a newline, whatever ended it in the source.
    let text = format!("{}\n", idx.line_text(source, line));
    let details = vec![
        Value::str(file),
        Value::Int(line as i64),
        Value::Int(col as i64),
        Value::string(text),
        Value::Int(end_line as i64),
        Value::Int(end_col as i64),
    ];
    let cls: &ObjRef = kind.class();
    let args = vec![Value::str(msg), Value::tuple(details)];
    crate::vm::exc::new_exception(cls, args)
}
