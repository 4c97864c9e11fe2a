//! The JSON encoder: walks a value and appends its JSON text to one buffer.
//!
//! Containers are read from snapshots (a list's items, a dict's entries), so no
//! container lock is held while the `default` callback or a key comparison runs
//! script code. Nesting is counted through `enter_native_recursion`, so a deep
//! structure ends in RecursionError rather than overflowing the Rust stack.

use conc_interpreter::builtins::format::float_repr;
use conc_interpreter::operator::CmpOp;
use conc_interpreter::value::str::intern;
use conc_interpreter::{Object, PyResult, Value, Vm};
use std::fmt::Write;

/// The encoder's settings, fixed for one `encode` call.
pub struct Options {
    pub skipkeys: bool,
    pub ensure_ascii: bool,
    pub check_circular: bool,
    pub allow_nan: bool,
    pub sort_keys: bool,
    pub indent: Option<String>,
    pub item_sep: String,
    pub key_sep: String,
    pub default: Option<Value>,
}

pub struct Encoder<'o> {
    opts: &'o Options,
    pub out: String,
    /// Addresses of the containers being encoded (for "Circular reference detected").
    open: Vec<usize>,
    level: usize,
}

/// Appends `s` as a JSON string literal (with its quotes).
pub fn write_string(out: &mut String, s: &str, ensure_ascii: bool) {
    out.push('"');
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let esc: &str = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            '\u{8}' => "\\b",
            '\u{c}' => "\\f",
            '\0'..='\u{1f}' => "",
            // ensure_ascii escapes everything outside printable ASCII, DEL included.
            _ if (c as u32) < 0x7f || !ensure_ascii => continue,
            _ => "",
        };
        out.push_str(&s[start..i]);
        start = i + c.len_utf8();
        if esc.is_empty() {
            // A control char, or (with ensure_ascii) any non-ASCII char, as one or
            // two UTF-16 code units.
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{:04x}", u);
            }
        } else {
            out.push_str(esc);
        }
    }
    out.push_str(&s[start..]);
    out.push('"');
}

impl<'o> Encoder<'o> {
    pub fn new(opts: &'o Options) -> Encoder<'o> {
        Encoder { opts, out: String::new(), open: Vec::new(), level: 0 }
    }

    fn float_text(&self, vm: &mut Vm, x: f64) -> PyResult<String> {
        if x.is_finite() {
            return Ok(float_repr(x));
        }
        if !self.opts.allow_nan {
            return Err(vm.value_error("Out of range float values are not JSON compliant"));
        }
        Ok(if x.is_nan() {
            "NaN"
        } else if x > 0.0 {
            "Infinity"
        } else {
            "-Infinity"
        }
        .to_string())
    }

    fn newline(&mut self) {
        if let Some(ind) = &self.opts.indent {
            self.out.push('\n');
            for _ in 0..self.level {
                self.out.push_str(ind);
            }
        }
    }

    fn mark(&mut self, vm: &mut Vm, v: &Value) -> PyResult<Option<usize>> {
        if !self.opts.check_circular {
            return Ok(None);
        }
        let addr = match v {
            Value::Obj(o) => o.addr(),
            _ => return Ok(None),
        };
        if self.open.contains(&addr) {
            return Err(vm.value_error("Circular reference detected"));
        }
        self.open.push(addr);
        Ok(Some(addr))
    }

    fn unmark(&mut self, m: Option<usize>) {
        if m.is_some() {
            self.open.pop();
        }
    }

    /// Encodes one value.
    pub fn value(&mut self, vm: &mut Vm, v: &Value) -> PyResult<()> {
        match v {
            Value::None => self.out.push_str("null"),
            Value::Bool(true) => self.out.push_str("true"),
            Value::Bool(false) => self.out.push_str("false"),
            Value::Int(i) => {
                let _ = write!(self.out, "{i}");
            }
            Value::Float(x) => {
                let t = self.float_text(vm, *x)?;
                self.out.push_str(&t);
            }
            Value::Obj(o) => match &**o {
                Object::Str(s) => write_string(&mut self.out, s.as_str(), self.opts.ensure_ascii),
                Object::BigInt(_) => {
                    // repr refuses ints beyond sys.get_int_max_str_digits(), as CPython.
                    let text = vm.repr_of(v)?;
                    self.out.push_str(&text);
                }
                Object::List(l) => {
                    let items = l.snapshot();
                    self.sequence(vm, v, &items)?;
                }
                Object::Tuple(t) => self.sequence(vm, v, t.items())?,
                Object::Dict(d) => {
                    let items = d.lock().items();
                    self.mapping(vm, v, items)?;
                }
                Object::Instance(i) => match i.base_value() {
                    // Subclasses of the JSON types are written as their base
                    // value (an IntEnum as its number, a dict subclass as a dict).
                    Some(base) => match base {
                        Value::Obj(bo) if matches!(&**bo, Object::List(_) | Object::Dict(_) | Object::Tuple(_)) => {
                            let m = self.mark(vm, v)?;
                            let r = self.container_body(vm, v, base);
                            self.unmark(m);
                            r?;
                        }
                        Value::Obj(bo) if !matches!(&**bo, Object::Str(_) | Object::BigInt(_)) => {
                            self.fallback(vm, v)?
                        }
                        _ => {
                            let base = base.clone();
                            self.value(vm, &base)?
                        }
                    },
                    None => self.fallback(vm, v)?,
                },
                _ => self.fallback(vm, v)?,
            },
            Value::Null => self.fallback(vm, v)?,
        }
        Ok(())
    }

    /// A list, tuple or dict payload of a derived instance `v` (already marked).
    /// As in CPython, a sequence subclass is read through its `__iter__` and a dict
    /// subclass through its `items()` when the class defines its own.
    fn container_body(&mut self, vm: &mut Vm, v: &Value, base: &Value) -> PyResult<()> {
        match base.obj() {
            Some(Object::Dict(d)) => {
                // An empty payload is "{}" before items() is asked, as in CPython.
                if d.lock().is_empty() {
                    self.out.push_str("{}");
                    return Ok(());
                }
                let items = match script_method(vm, v, "items") {
                    Some(method) => derived_items(vm, v, &method)?,
                    None => d.lock().items(),
                };
                self.entries(vm, items)
            }
            Some(Object::List(_) | Object::Tuple(_)) => {
                let items = match script_method(vm, v, "__iter__") {
                    Some(_) => vm.collect(v)?,
                    None => vm.collect(base)?,
                };
                self.items(vm, &items)
            }
            _ => Ok(()),
        }
    }

    /// Not a JSON type: ask `default` for a replacement.
    fn fallback(&mut self, vm: &mut Vm, v: &Value) -> PyResult<()> {
        let Some(default) = self.opts.default.clone() else {
            let msg = format!("Object of type {} is not JSON serializable", vm.type_name(v));
            return Err(vm.type_error(&msg));
        };
        let m = self.mark(vm, v)?;
        let r = (|| {
            let replacement = vm.call1(&default, [v.clone()])?;
            vm.enter_native_recursion(" while encoding a JSON object")?;
            let r = self.value(vm, &replacement);
            vm.leave_native_recursion();
            r
        })();
        self.unmark(m);
        r
    }

    fn sequence(&mut self, vm: &mut Vm, v: &Value, items: &[Value]) -> PyResult<()> {
        let m = self.mark(vm, v)?;
        let r = self.items(vm, items);
        self.unmark(m);
        r
    }

    fn items(&mut self, vm: &mut Vm, items: &[Value]) -> PyResult<()> {
        if items.is_empty() {
            self.out.push_str("[]");
            return Ok(());
        }
        vm.enter_native_recursion(" while encoding a JSON object")?;
        self.out.push('[');
        self.level += 1;
        self.newline();
        let mut r = Ok(());
        for (n, item) in items.iter().enumerate() {
            if n > 0 {
                self.out.push_str(&self.opts.item_sep);
                self.newline();
            }
            r = self.value(vm, item);
            if r.is_err() {
                break;
            }
        }
        self.level -= 1;
        vm.leave_native_recursion();
        r?;
        self.newline();
        self.out.push(']');
        Ok(())
    }

    fn mapping(&mut self, vm: &mut Vm, v: &Value, items: Vec<(Value, Value)>) -> PyResult<()> {
        let m = self.mark(vm, v)?;
        let r = self.entries(vm, items);
        self.unmark(m);
        r
    }

    /// The text of a key, None when `skipkeys` drops it.
    fn key_text(&self, vm: &mut Vm, k: &Value) -> PyResult<Option<String>> {
        let k = k.unwrap_base();
        Ok(Some(match k {
            Value::Bool(true) => "true".into(),
            Value::Bool(false) => "false".into(),
            Value::None => "null".into(),
            Value::Int(i) => i.to_string(),
            Value::Float(x) => self.float_text(vm, *x)?,
            Value::Obj(o) => match &**o {
                Object::Str(s) => s.as_str().to_string(),
                Object::BigInt(_) => vm.repr_of(k)?,
                _ if self.opts.skipkeys => return Ok(None),
                _ => {
                    let msg = format!("keys must be str, int, float, bool or None, not {}", vm.type_name(k));
                    return Err(vm.type_error(&msg));
                }
            },
            Value::Null => return Ok(None),
        }))
    }

    fn entries(&mut self, vm: &mut Vm, mut items: Vec<(Value, Value)>) -> PyResult<()> {
        if items.is_empty() {
            self.out.push_str("{}");
            return Ok(());
        }
        if self.opts.sort_keys {
            sort_items(vm, &mut items)?;
        }
        vm.enter_native_recursion(" while encoding a JSON object")?;
        self.out.push('{');
        self.level += 1;
        self.newline();
        let r = (|| {
            let mut first = true;
            for (k, val) in &items {
                let Some(key) = self.key_text(vm, k)? else { continue };
                if !first {
                    self.out.push_str(&self.opts.item_sep);
                    self.newline();
                }
                first = false;
                write_string(&mut self.out, &key, self.opts.ensure_ascii);
                self.out.push_str(&self.opts.key_sep);
                self.value(vm, val)?;
            }
            Ok(())
        })();
        self.level -= 1;
        vm.leave_native_recursion();
        r?;
        self.newline();
        self.out.push('}');
        Ok(())
    }
}

/// The method `name` of `v`'s class when script code defines it (not the built-in
/// base type's own native).
fn script_method(vm: &mut Vm, v: &Value, name: &str) -> Option<Value> {
    let cls = vm.class_of(v);
    let found = vm.lookup_type_attr(&cls, &intern(name))?;
    match found.obj() {
        Some(Object::Builtin(_)) => None,
        _ => Some(found),
    }
}

/// The pairs a dict subclass's own `items()` gives, each checked to be a 2-tuple.
fn derived_items(vm: &mut Vm, v: &Value, method: &Value) -> PyResult<Vec<(Value, Value)>> {
    let got = vm.call1(method, [v.clone()])?;
    let it = match vm.get_iter(&got) {
        Ok(it) => it,
        Err(_) => {
            let msg = format!("{}.items() returned a non-iterable (type {})", vm.type_name(v), vm.type_name(&got));
            return Err(vm.type_error(&msg));
        }
    };
    let mut pairs = Vec::new();
    while let Some(pair) = vm.iter_next(&it)? {
        match pair.as_tuple().map(|t| t.items()) {
            Some([k, val]) => pairs.push((k.clone(), val.clone())),
            _ => return Err(vm.value_error("items must return 2-tuples")),
        }
    }
    Ok(pairs)
}

/// Sorts dict items by key with `<`, as `sorted(d.items())` would compare the
/// keys (keys are distinct, so values are never compared). A stable merge sort
/// over fallible comparisons: the first failing comparison is the error.
fn sort_items(vm: &mut Vm, items: &mut Vec<(Value, Value)>) -> PyResult<()> {
    // Fast path: all keys are plain str.
    if items.iter().all(|(k, _)| k.as_exact_str().is_some()) {
        items.sort_by(|a, b| {
            let (a, b) = (a.0.as_exact_str().map(|s| s.as_str()), b.0.as_exact_str().map(|s| s.as_str()));
            a.cmp(&b)
        });
        return Ok(());
    }
    let mut v = std::mem::take(items);
    // Insertion sort keeps the code small; dicts sorted this way are rarely large.
    let mut sorted: Vec<(Value, Value)> = Vec::with_capacity(v.len());
    for item in v.drain(..) {
        let mut lo = 0;
        let mut hi = sorted.len();
        while lo < hi {
            let mid = (lo + hi) / 2;
            let lt = vm.compare(&item.0, &sorted[mid].0, CmpOp::Lt)?;
            if vm.truthy(&lt)? {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        sorted.insert(lo, item);
    }
    *items = sorted;
    Ok(())
}
