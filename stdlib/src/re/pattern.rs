//! `re.Pattern`: a compiled pattern (immutable, so threads share it without a
//! lock; each call runs the engine with state of its own), its search methods,
//! and the scanner behind `finditer`.

use super::ast::*;
use super::engine::{Exec, UNSET};
use super::matchobj::{new_match, MatchData};
use super::parser::{parse, ParseError};
use super::program::{compile as compile_program, Program};
use super::subject::{with_text, Out, Subject};
use super::template::{self, Piece, TemplateError};
use conc_interpreter::native::{native, Exc, NativeClass, NativePayload, Property};
use conc_interpreter::value::iter::IterObj;
use conc_interpreter::value::str::intern;
use conc_interpreter::{Object, PyErr, PyResult, Value, Vm};
use parking_lot::Mutex;
use std::sync::atomic::AtomicBool;
use std::sync::OnceLock;

pub struct PatternData {
    pub prog: Program,
    /// The pattern as given (str or bytes).
    pub source: Value,
    pub flags: u32,
    pub groups: usize,
    /// Named groups in the order they appear.
    pub names: Vec<(String, usize)>,
    pub bytes: bool,
}

impl NativePayload for PatternData {
    const CLASS: &'static NativeClass = &PATTERN;
}

pub static PATTERN: NativeClass = NativeClass {
    name: "Pattern",
    module: "re",
    doc: "Compiled regular expression object.",
    methods: &[
        &p_match::DEF,
        &fullmatch::DEF,
        &search::DEF,
        &findall::DEF,
        &finditer::DEF,
        &sub::DEF,
        &subn::DEF,
        &split::DEF,
        &scanner::DEF,
        &p_repr::DEF,
        &p_eq::DEF,
        &p_hash::DEF,
        &p_copy::DEF,
        &p_deepcopy::DEF,
    ],
    properties: &[
        Property { name: "pattern", get: &pattern::DEF, set: None },
        Property { name: "flags", get: &flags::DEF, set: None },
        Property { name: "groups", get: &groups::DEF, set: None },
        Property { name: "groupindex", get: &groupindex::DEF, set: None },
    ],
    ..NativeClass::DEFAULT
};

/// Adds the module functions of `_re`.
pub fn register(m: &conc_interpreter::ObjRef) {
    crate::util::natives(m, &[&compile::DEF, &_compile::DEF, &_purge::DEF, &_set_error::DEF]);
}

/// Compiled patterns by (bytes?, pattern text, flags), for the module-level
/// functions; emptied when full. Only exact str and bytes patterns are kept (a
/// subclass's instance may compare differently).
type CacheKey = (bool, Box<[u8]>, i64);
static CACHE: OnceLock<parking_lot::RwLock<std::collections::HashMap<CacheKey, Value>>> = OnceLock::new();
const CACHE_LIMIT: usize = 512;

fn cache() -> &'static parking_lot::RwLock<std::collections::HashMap<CacheKey, Value>> {
    CACHE.get_or_init(Default::default)
}

fn cache_key(v: &Value, flags: i64) -> Option<CacheKey> {
    match v.obj()? {
        Object::Str(s) => Some((false, s.as_str().as_bytes().into(), flags)),
        Object::Bytes(b) => Some((true, b.clone(), flags)),
        _ => None,
    }
}

/// _compile(pattern, flags) -> Pattern: the module functions' compile, through the
/// cache; a Pattern is returned as it is (flags are then refused).
#[native("_re._compile(pattern, flags, /)")]
fn _compile(vm: &mut Vm, pattern: Value, flags: i64) -> PyResult<Value> {
    if pattern.as_instance().and_then(|i| i.native::<PatternData>()).is_some() {
        if flags != 0 {
            return Err(vm.value_error("cannot process flags argument with a compiled pattern"));
        }
        return Ok(pattern);
    }
    let key = cache_key(&pattern, flags);
    if let Some(k) = &key {
        if let Some(p) = cache().read().get(k) {
            return Ok(p.clone());
        }
    }
    let compiled = compile(vm, pattern, flags)?;
    if let Some(k) = key {
        let mut c = cache().write();
        if c.len() >= CACHE_LIMIT {
            c.clear();
        }
        c.insert(k, compiled.clone());
    }
    Ok(compiled)
}

/// _purge(): empties the cache of compiled patterns.
#[native("_re._purge()")]
fn _purge(_vm: &mut Vm) -> PyResult<()> {
    cache().write().clear();
    Ok(())
}

/// `re.error`, defined in conc and handed over at import (`_re._set_error`).
static ERROR_CLASS: OnceLock<Value> = OnceLock::new();

#[native("_re._set_error(cls, /)")]
fn _set_error(_vm: &mut Vm, cls: Value) -> PyResult<()> {
    let _ = ERROR_CLASS.set(cls);
    Ok(())
}

/// The exception for a refused pattern or template (`pattern` is what was parsed).
pub fn parse_error(vm: &mut Vm, e: ParseError, pattern: &Value) -> PyErr {
    match e {
        ParseError::Re { msg, pos } => {
            let Some(cls) = ERROR_CLASS.get() else { return vm.error(Exc::RuntimeError, &msg) };
            // CPython names no pattern for an error without a position.
            let (pattern, pos) = match pos {
                Some(p) => (pattern.clone(), Value::Int(p as i64)),
                None => (Value::None, Value::None),
            };
            match vm.call1(cls, [Value::string(msg), pattern, pos]) {
                Ok(exc) => PyErr { exc },
                Err(e) => e,
            }
        }
        ParseError::Value(m) => vm.error(Exc::ValueError, &m),
        ParseError::Overflow(m) => vm.error(Exc::OverflowError, &m),
        ParseError::Recursion => vm.error(Exc::RecursionError, "maximum recursion depth exceeded"),
    }
}

/// The code points (or bytes) of a str or bytes pattern; None for other types.
fn codes_of(v: &Value) -> Option<(Vec<u32>, bool)> {
    if let Some(s) = v.as_str() {
        return Some((s.as_str().chars().map(|c| c as u32).collect(), false));
    }
    match v.unwrap_base().obj() {
        Some(Object::Bytes(b)) => Some((b.iter().map(|&c| c as u32).collect(), true)),
        Some(Object::ByteArray(b)) => Some((b.snapshot().iter().map(|&c| c as u32).collect(), true)),
        _ => None,
    }
}

/// compile(pattern, flags) -> Pattern: parses and compiles a str or bytes pattern.
#[native("_re.compile(pattern, flags, /)")]
fn compile(vm: &mut Vm, pattern: Value, flags: i64) -> PyResult<Value> {
    let Some((codes, bytes)) = codes_of(&pattern) else {
        return Err(vm.type_error("first argument must be string or compiled pattern"));
    };
    let flags = flags as u32;
    if bytes && flags & UNICODE != 0 {
        return Err(vm.value_error("cannot use UNICODE flag with a bytes pattern"));
    }
    if !bytes && flags & LOCALE != 0 {
        return Err(vm.value_error("cannot use LOCALE flag with a str pattern"));
    }
    if flags & DEBUG != 0 {
        return Err(vm.error(Exc::NotImplementedError, "re.DEBUG (printing the parsed pattern) is not supported"));
    }
    let parsed = match parse(&codes, bytes, flags) {
        Ok(p) => p,
        Err(e) => return Err(parse_error(vm, e, &pattern)),
    };
    let prog = compile_program(&parsed.node, parsed.groups);
    Ok(PATTERN.instance(PatternData {
        prog,
        source: pattern,
        flags: parsed.flags,
        groups: parsed.groups,
        names: parsed.names,
        bytes,
    }))
}

fn clamp(i: i64, n: usize) -> usize {
    if i < 0 {
        0
    } else {
        (i as u64).min(n as u64) as usize
    }
}

#[derive(Clone, Copy)]
enum Mode {
    Match,
    Full,
    Search,
}

fn run_one(
    vm: &mut Vm,
    this: (&Value, &PatternData),
    string: Value,
    pos: i64,
    endpos: i64,
    mode: Mode,
) -> PyResult<Value> {
    let (pv, p) = this;
    let subj = Subject::of(vm, &string, p.bytes)?;
    let n = subj.len();
    let (pos, endpos) = (clamp(pos, n), clamp(endpos, n));
    if endpos < pos {
        return Ok(Value::None);
    }
    let found = with_text!(&subj, |t| {
        let mut ex = Exec::new(&p.prog, &t[..endpos], endpos);
        let ok = match mode {
            Mode::Match => ex.match_at(pos, false, false),
            Mode::Full => ex.match_at(pos, true, false),
            Mode::Search => ex.search(pos, false),
        };
        if ok {
            Some((std::mem::take(&mut ex.slots), ex.last))
        } else {
            None
        }
    });
    Ok(match found {
        Some((slots, last)) => {
            new_match(MatchData { pattern: pv.clone(), string, subject: subj, slots, last, pos, endpos })
        }
        None => Value::None,
    })
}

/// Matches zero or more characters at the beginning of the string.
#[native("Pattern.match($self, /, string, pos=0, endpos=sys.maxsize{i64::MAX})")]
fn p_match(vm: &mut Vm, this: (&Value, &PatternData), string: Value, pos: i64, endpos: i64) -> PyResult<Value> {
    run_one(vm, this, string, pos, endpos, Mode::Match)
}

/// Matches against all of the string.
#[native("Pattern.fullmatch($self, /, string, pos=0, endpos=sys.maxsize{i64::MAX})")]
fn fullmatch(vm: &mut Vm, this: (&Value, &PatternData), string: Value, pos: i64, endpos: i64) -> PyResult<Value> {
    run_one(vm, this, string, pos, endpos, Mode::Full)
}

/// Scan through string looking for a match, and return a corresponding match object instance.
///
/// Return None if no position in the string matches.
#[native("Pattern.search($self, /, string, pos=0, endpos=sys.maxsize{i64::MAX})")]
fn search(vm: &mut Vm, this: (&Value, &PatternData), string: Value, pos: i64, endpos: i64) -> PyResult<Value> {
    run_one(vm, this, string, pos, endpos, Mode::Search)
}

/// Calls `f` with the slots and last group of each successive match from `pos`, at
/// most `limit` of them; empty matches follow the rules of Python 3.7+ (an empty
/// match may not start where the previous match ended empty). Returns the count.
fn each_match<F>(
    vm: &mut Vm,
    p: &PatternData,
    subj: &Subject,
    pos: usize,
    endpos: usize,
    limit: usize,
    mut f: F,
) -> PyResult<usize>
where
    F: FnMut(&mut Vm, &[usize], usize) -> PyResult<()>,
{
    let mut count = 0;
    if endpos < pos {
        return Ok(0);
    }
    with_text!(subj, |t| {
        let mut ex = Exec::new(&p.prog, &t[..endpos], endpos);
        let mut at = pos;
        let mut not_empty = false;
        while count < limit && at <= endpos && ex.search(at, not_empty) {
            let (s, e) = (ex.slots[0], ex.slots[1]);
            f(vm, &ex.slots, ex.last)?;
            count += 1;
            not_empty = s == e;
            at = e;
        }
    });
    Ok(count)
}

fn group_value(subj: &Subject, slots: &[usize], g: usize, default: &Value) -> Value {
    let (s, e) = (slots[2 * g], slots[2 * g + 1]);
    if s == UNSET || e == UNSET {
        default.clone()
    } else {
        subj.slice(s, e)
    }
}

/// Return a list of all non-overlapping matches of pattern in string.
#[native("Pattern.findall($self, /, string, pos=0, endpos=sys.maxsize{i64::MAX})")]
fn findall(vm: &mut Vm, this: (&Value, &PatternData), string: Value, pos: i64, endpos: i64) -> PyResult<Value> {
    let p = this.1;
    let subj = Subject::of(vm, &string, p.bytes)?;
    let n = subj.len();
    let empty = subj.slice(0, 0);
    let mut out = Vec::new();
    each_match(vm, p, &subj, clamp(pos, n), clamp(endpos, n), usize::MAX, |_, slots, _| {
        out.push(match p.groups {
            0 => subj.slice(slots[0], slots[1]),
            1 => group_value(&subj, slots, 1, &empty),
            k => Value::tuple((1..=k).map(|g| group_value(&subj, slots, g, &empty)).collect()),
        });
        Ok(())
    })?;
    Ok(Value::list(out))
}

/// Return an iterator over all non-overlapping matches for the RE pattern in string.
///
/// For each match, the iterator returns a match object.
#[native("Pattern.finditer($self, /, string, pos=0, endpos=sys.maxsize{i64::MAX})")]
fn finditer(vm: &mut Vm, this: (&Value, &PatternData), string: Value, pos: i64, endpos: i64) -> PyResult<Value> {
    let sc = scanner(vm, this, string, pos, endpos)?;
    let search = vm.get_attr(&sc, &intern("search"))?;
    Ok(Value::new(Object::Iter(IterObj::Callable {
        func: search,
        sentinel: Value::None,
        done: AtomicBool::new(false),
    })))
}

/// Splits string by the occurrences of pattern.
#[native("Pattern.split($self, /, string, maxsplit=0)")]
fn split(vm: &mut Vm, this: (&Value, &PatternData), string: Value, maxsplit: i64) -> PyResult<Value> {
    let p = this.1;
    let subj = Subject::of(vm, &string, p.bytes)?;
    let n = subj.len();
    if maxsplit < 0 {
        return Ok(Value::list(vec![string]));
    }
    let limit = if maxsplit == 0 { usize::MAX } else { maxsplit as usize };
    let mut out = Vec::new();
    let mut last = 0;
    each_match(vm, p, &subj, 0, n, limit, |_, slots, _| {
        out.push(subj.slice(last, slots[0]));
        for g in 1..=p.groups {
            out.push(group_value(&subj, slots, g, &Value::None));
        }
        last = slots[1];
        Ok(())
    })?;
    out.push(subj.slice(last, n));
    Ok(Value::list(out))
}

/// What replaces each match in `sub`.
enum Repl {
    Literal(Vec<u32>),
    Template(Vec<Piece>),
    Func(Value),
}

pub fn template_error(vm: &mut Vm, e: TemplateError, template: &Value) -> PyErr {
    match e {
        TemplateError::Re(pe) => parse_error(vm, pe, template),
        TemplateError::Index(m) => vm.error(Exc::IndexError, &m),
    }
}

/// Parses a template for pattern `p` (str templates for str patterns, bytes for bytes).
pub fn parse_template(vm: &mut Vm, p: &PatternData, t: &Value) -> PyResult<Vec<Piece>> {
    let codes = match codes_of(t) {
        Some((c, b)) if b == p.bytes => c,
        Some((_, _)) | None => {
            let msg = if p.bytes {
                format!("expected a bytes-like object, {} found", vm.type_name(t))
            } else {
                format!("expected str instance, {} found", vm.type_name(t))
            };
            return Err(vm.type_error(&msg));
        }
    };
    template::parse(&codes, p.groups, &p.names).map_err(|e| template_error(vm, e, t))
}

pub fn expand_into(out: &mut Out, pieces: &[Piece], subj: &Subject, slots: &[usize]) {
    for piece in pieces {
        match piece {
            Piece::Lit(codes) => out.push_codes(codes),
            Piece::Group(g) => {
                let (s, e) = (slots[2 * g], slots[2 * g + 1]);
                if s != UNSET && e != UNSET {
                    subj.push_to(out, s, e);
                }
            }
        }
    }
}

fn subx(vm: &mut Vm, this: (&Value, &PatternData), repl: Value, string: Value, count: i64) -> PyResult<(Value, usize)> {
    let p = this.1;
    let subj = Subject::of(vm, &string, p.bytes)?;
    let n = subj.len();
    let kind = match codes_of(&repl) {
        Some((codes, is_bytes)) => {
            if is_bytes != p.bytes {
                let msg = if p.bytes {
                    format!("sequence item 0: expected a bytes-like object, {} found", vm.type_name(&repl))
                } else {
                    format!("sequence item 0: expected str instance, {} found", vm.type_name(&repl))
                };
                return Err(vm.type_error(&msg));
            }
            if codes.contains(&(b'\\' as u32)) {
                Repl::Template(parse_template(vm, p, &repl)?)
            } else {
                Repl::Literal(codes)
            }
        }
        None => {
            if conc_interpreter::builtins::functions::is_callable(vm, &repl) {
                Repl::Func(repl.clone())
            } else {
                let msg = format!("decoding to str: need a bytes-like object, {} found", vm.type_name(&repl));
                return Err(vm.type_error(&msg));
            }
        }
    };
    if count < 0 {
        return Ok((string, 0));
    }
    let limit = if count == 0 { usize::MAX } else { count as usize };
    let mut out = if p.bytes { Out::Bytes(Vec::new()) } else { Out::Str(String::new()) };
    let mut last = 0;
    let mut items = 0usize;
    let pattern_v = this.0.clone();
    let done = each_match(vm, p, &subj, 0, n, limit, |vm, slots, lastg| {
        if slots[0] > last {
            subj.push_to(&mut out, last, slots[0]);
            items += 1;
        }
        match &kind {
            Repl::Literal(codes) => out.push_codes(codes),
            Repl::Template(pieces) => expand_into(&mut out, pieces, &subj, slots),
            Repl::Func(f) => {
                let m = new_match(MatchData {
                    pattern: pattern_v.clone(),
                    string: string.clone(),
                    subject: subj.clone(),
                    slots: slots.to_vec(),
                    last: lastg,
                    pos: 0,
                    endpos: n,
                });
                let r = vm.call1(f, [m])?;
                push_result(vm, &mut out, &r, items)?;
            }
        }
        items += 1;
        last = slots[1];
        Ok(())
    })?;
    if done == 0 {
        return Ok((string, 0));
    }
    subj.push_to(&mut out, last, n);
    Ok((out.into_value(), done))
}

/// Appends what a replacement function returned (str for str patterns, bytes-like
/// for bytes patterns), with CPython's join message otherwise.
fn push_result(vm: &mut Vm, out: &mut Out, r: &Value, item: usize) -> PyResult<()> {
    match out {
        Out::Str(s) => match r.as_str() {
            Some(x) => s.push_str(x.as_str()),
            None => {
                let msg = format!("sequence item {item}: expected str instance, {} found", vm.type_name(r));
                return Err(vm.type_error(&msg));
            }
        },
        Out::Bytes(b) => match r.unwrap_base().obj() {
            Some(Object::Bytes(x)) => b.extend_from_slice(x),
            Some(Object::ByteArray(x)) => b.extend_from_slice(&x.snapshot()),
            _ => {
                let msg = format!("sequence item {item}: expected a bytes-like object, {} found", vm.type_name(r));
                return Err(vm.type_error(&msg));
            }
        },
    }
    Ok(())
}

/// Return the string obtained by replacing the leftmost non-overlapping occurrences of pattern in string by the replacement repl.
#[native("Pattern.sub($self, /, repl, string, count=0)")]
fn sub(vm: &mut Vm, this: (&Value, &PatternData), repl: Value, string: Value, count: i64) -> PyResult<Value> {
    Ok(subx(vm, this, repl, string, count)?.0)
}

/// Return the tuple (new_string, number_of_subs_made) found by replacing the leftmost non-overlapping occurrences of pattern with the replacement repl.
#[native("Pattern.subn($self, /, repl, string, count=0)")]
fn subn(vm: &mut Vm, this: (&Value, &PatternData), repl: Value, string: Value, count: i64) -> PyResult<Value> {
    let (v, n) = subx(vm, this, repl, string, count)?;
    Ok(Value::tuple(vec![v, Value::Int(n as i64)]))
}

fn flag_names(flags: u32, bytes: bool) -> String {
    let mut f = flags;
    if !bytes && f & (LOCALE | UNICODE | ASCII) == UNICODE {
        f &= !UNICODE;
    }
    let names = [
        (TEMPLATE, "re.TEMPLATE"),
        (IGNORECASE, "re.IGNORECASE"),
        (LOCALE, "re.LOCALE"),
        (MULTILINE, "re.MULTILINE"),
        (DOTALL, "re.DOTALL"),
        (UNICODE, "re.UNICODE"),
        (VERBOSE, "re.VERBOSE"),
        (DEBUG, "re.DEBUG"),
        (ASCII, "re.ASCII"),
    ];
    let mut parts: Vec<String> = Vec::new();
    for (bit, name) in names {
        if f & bit != 0 {
            parts.push(name.to_string());
            f &= !bit;
        }
    }
    if f != 0 {
        parts.push(format!("{f:#x}"));
    }
    parts.join("|")
}

/// Return repr(self).
#[native("Pattern.__repr__($self, /)", style = "slot")]
fn p_repr(vm: &mut Vm, this: &PatternData) -> PyResult<String> {
    let r = vm.repr_of(&this.source)?;
    let r: String = if r.chars().count() > 200 { r.chars().take(200).collect() } else { r };
    let names = flag_names(this.flags, this.bytes);
    Ok(if names.is_empty() { format!("re.compile({r})") } else { format!("re.compile({r}, {names})") })
}

/// Return self==value.
#[native("Pattern.__eq__($self, value, /)", style = "slot")]
fn p_eq(vm: &mut Vm, this: &PatternData, value: Value) -> PyResult<Value> {
    let Some(o) = value.as_instance().and_then(|i| i.native::<PatternData>()) else {
        return Ok(conc_interpreter::interp::not_implemented());
    };
    if std::ptr::eq(o, this) {
        return Ok(Value::Bool(true));
    }
    if o.flags != this.flags || o.bytes != this.bytes {
        return Ok(Value::Bool(false));
    }
    Ok(Value::Bool(vm.eq(&o.source, &this.source)?))
}

/// Return hash(self).
#[native("Pattern.__hash__($self, /)", style = "slot")]
fn p_hash(vm: &mut Vm, this: &PatternData) -> PyResult<i64> {
    let h = vm.hash(&this.source)?;
    Ok(h ^ (this.flags as i64).wrapping_mul(1_000_003))
}

#[native("Pattern.__copy__($self, /)")]
fn p_copy(_vm: &mut Vm, this: (&Value, &PatternData)) -> PyResult<Value> {
    Ok(this.0.clone())
}

#[native("Pattern.__deepcopy__($self, memo, /)")]
fn p_deepcopy(_vm: &mut Vm, this: (&Value, &PatternData), _memo: Value) -> PyResult<Value> {
    Ok(this.0.clone())
}

/// The pattern string from which the RE object was compiled.
#[native("Pattern.pattern($self)")]
fn pattern(_vm: &mut Vm, this: &PatternData) -> PyResult<Value> {
    Ok(this.source.clone())
}

/// The regex matching flags.
#[native("Pattern.flags($self)")]
fn flags(_vm: &mut Vm, this: &PatternData) -> PyResult<i64> {
    Ok(this.flags as i64)
}

/// The number of capturing groups in the pattern.
#[native("Pattern.groups($self)")]
fn groups(_vm: &mut Vm, this: &PatternData) -> PyResult<usize> {
    Ok(this.groups)
}

/// A dictionary mapping group names to group numbers.
#[native("Pattern.groupindex($self)")]
fn groupindex(vm: &mut Vm, this: &PatternData) -> PyResult<Value> {
    let d = Value::new(Object::Dict(conc_interpreter::value::dict::DictObj::new(
        conc_interpreter::value::dict::DictData::new(),
    )));
    for (name, g) in &this.names {
        vm.dict_set(&d, Value::str(name), Value::Int(*g as i64))?;
    }
    Ok(d)
}

/// The state of a scanner: where the next attempt starts.
struct ScanState {
    at: usize,
    not_empty: bool,
    done: bool,
}

pub struct ScannerData {
    pattern: Value,
    string: Value,
    subject: Subject,
    pos: usize,
    endpos: usize,
    state: Mutex<ScanState>,
}

impl NativePayload for ScannerData {
    const CLASS: &'static NativeClass = &SCANNER;
}

pub static SCANNER: NativeClass = NativeClass {
    name: "SRE_Scanner",
    module: "re",
    methods: &[&sc_match::DEF, &sc_search::DEF],
    properties: &[Property { name: "pattern", get: &sc_pattern::DEF, set: None }],
    ..NativeClass::DEFAULT
};

#[native("Pattern.scanner($self, /, string, pos=0, endpos=sys.maxsize{i64::MAX})")]
fn scanner(vm: &mut Vm, this: (&Value, &PatternData), string: Value, pos: i64, endpos: i64) -> PyResult<Value> {
    let subject = Subject::of(vm, &string, this.1.bytes)?;
    let n = subject.len();
    let (pos, endpos) = (clamp(pos, n), clamp(endpos, n));
    Ok(SCANNER.instance(ScannerData {
        pattern: this.0.clone(),
        string,
        subject,
        pos,
        endpos,
        state: Mutex::new(ScanState { at: pos, not_empty: false, done: endpos < pos }),
    }))
}

fn scan_step(this: &ScannerData, anchored: bool) -> Value {
    let Some(p) = this.pattern.as_instance().and_then(|i| i.native::<PatternData>()) else { return Value::None };
    let mut st = this.state.lock();
    if st.done {
        return Value::None;
    }
    let found = with_text!(&this.subject, |t| {
        let mut ex = Exec::new(&p.prog, &t[..this.endpos], this.endpos);
        let ok = if anchored { ex.match_at(st.at, false, st.not_empty) } else { ex.search(st.at, st.not_empty) };
        if ok {
            Some((ex.slots.clone(), ex.last))
        } else {
            None
        }
    });
    match found {
        Some((slots, last)) => {
            st.not_empty = slots[0] == slots[1];
            st.at = slots[1];
            drop(st);
            new_match(MatchData {
                pattern: this.pattern.clone(),
                string: this.string.clone(),
                subject: this.subject.clone(),
                slots,
                last,
                pos: this.pos,
                endpos: this.endpos,
            })
        }
        None => {
            st.done = true;
            Value::None
        }
    }
}

#[native("SRE_Scanner.match($self, /)")]
fn sc_match(_vm: &mut Vm, this: &ScannerData) -> PyResult<Value> {
    Ok(scan_step(this, true))
}

#[native("SRE_Scanner.search($self, /)")]
fn sc_search(_vm: &mut Vm, this: &ScannerData) -> PyResult<Value> {
    Ok(scan_step(this, false))
}

#[native("SRE_Scanner.pattern($self)")]
fn sc_pattern(_vm: &mut Vm, this: &ScannerData) -> PyResult<Value> {
    Ok(this.pattern.clone())
}
