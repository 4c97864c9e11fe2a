//! `repr()` and `str()` of every value, with CPython's spellings and a guard against
//! self-containing containers (`[[...]]`).

use super::format::float_repr;
use crate::value::{Object, Singleton, Value};
use crate::vm::{Args, PyResult, Vm};

/// `repr()` of a str: single quotes unless the text has a single quote and no double.
/// The end of CPython's RecursionError message for a repr nested too deeply.
const REPR_DEPTH: &str = " while getting the repr of an object";

pub fn str_repr(s: &str) -> String {
    let q = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(q);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == q => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || (0x7f..=0xa0).contains(&(c as u32)) || c as u32 == 0xad => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if matches!(c as u32, 0x2028 | 0x2029 | 0xfeff | 0x200b..=0x200f | 0x2060..=0x2064) => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(q);
    out
}

pub fn bytes_repr(b: &[u8]) -> String {
    quoted_bytes(b, false)
}

/// The `b'...'` part of a bytearray's repr: CPython escapes a single quote there even
/// inside double quotes.
pub fn bytearray_repr(b: &[u8]) -> String {
    format!("bytearray({})", quoted_bytes(b, true))
}

fn quoted_bytes(b: &[u8], escape_single: bool) -> String {
    let q = if b.contains(&b'\'') && !b.contains(&b'"') { '"' } else { '\'' };
    let mut out = String::from("b");
    out.push(q);
    for &c in b {
        match c {
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            c if c as char == q || (escape_single && c == b'\'') => {
                out.push('\\');
                out.push(c as char);
            }
            0x20..=0x7e => out.push(c as char),
            c => out.push_str(&format!("\\x{c:02x}")),
        }
    }
    out.push(q);
    out
}

impl Vm {
    /// `str(v)`.
    pub fn str_of(&mut self, v: &Value) -> PyResult<String> {
        match v {
            Value::Obj(o) => match &**o {
                Object::Str(s) => Ok(s.as_str().to_string()),
                Object::Instance(inst) => {
                    let cls = self.class_of(v);
                    let f = self.lookup_type_attr(&cls, &crate::interp::names().__str__);
                    // Only str has its own __str__ among the built-in value types;
                    // the others' str() is their repr(), which a class may override.
                    if let (false, Some(Value::Obj(b))) = (crate::vm::ops::overrides(&f), inst.base_value()) {
                        if let Object::Str(s) = &**b {
                            return Ok(s.as_str().to_string());
                        }
                    }
                    match f {
                        Some(f) if !is_object_str(&f) => {
                            let r = self.call(&f, Args::new([v.clone()]))?;
                            match r.as_str() {
                                Some(s) => Ok(s.as_str().to_string()),
                                None => {
                                    let msg = format!("__str__ returned non-string (type {})", self.type_name(&r));
                                    Err(self.type_error(&msg))
                                }
                            }
                        }
                        _ => self.repr_of(v),
                    }
                }
                _ => self.repr_of(v),
            },
            _ => self.repr_of(v),
        }
    }

    /// `repr(v)`.
    /// A script metaclass's own `__repr__` for its classes.
    fn meta_repr(&mut self, c: &crate::value::class::ClassObj) -> Option<Value> {
        let f = self.lookup_type_attr(c.meta.as_ref()?, &crate::interp::names().__repr__);
        crate::vm::ops::overrides(&f).then(|| f.unwrap())
    }

    pub fn repr_of(&mut self, v: &Value) -> PyResult<String> {
        Ok(match v {
            Value::Null => "<NULL>".into(),
            Value::None => "None".into(),
            Value::Bool(b) => if *b { "True" } else { "False" }.into(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => float_repr(*f),
            Value::Obj(o) => match &**o {
                Object::Str(s) => str_repr(s.as_str()),
                Object::BigInt(b) => {
                    let s = b.to_string();
                    let digits = s.trim_start_matches('-').len();
                    let limit = self.int_max_str_digits();
                    if limit > 0 && digits > limit {
                        let msg = format!("Exceeds the limit ({limit} digits) for integer string conversion; use sys.set_int_max_str_digits() to increase the limit");
                        return Err(self.value_error(&msg));
                    }
                    s
                }
                Object::Bytes(b) => bytes_repr(b),
                Object::ByteArray(b) => bytearray_repr(&b.snapshot()),
                Object::Tuple(t) => {
                    let items = t.items().to_vec();
                    if items.len() == 1 {
                        self.enter_native_recursion(REPR_DEPTH)?;
                        let r = self.repr_of(&items[0]);
                        self.leave_native_recursion();
                        format!("({},)", r?)
                    } else {
                        self.guarded(o.addr(), "(...)", |vm| vm.join_reprs(&items, "(", ")"))?
                    }
                }
                Object::List(l) => {
                    let items = l.snapshot();
                    self.guarded(o.addr(), "[...]", |vm| vm.join_reprs(&items, "[", "]"))?
                }
                Object::Dict(d) => {
                    let items = d.lock().items();
                    self.guarded(o.addr(), "{...}", |vm| {
                        let mut s = String::from("{");
                        for (i, (k, v)) in items.iter().enumerate() {
                            if i > 0 {
                                s.push_str(", ");
                            }
                            s.push_str(&vm.repr_of(k)?);
                            s.push_str(": ");
                            s.push_str(&vm.repr_of(v)?);
                        }
                        s.push('}');
                        Ok(s)
                    })?
                }
                Object::Set(s) => {
                    let items = s.lock().keys();
                    let name = if s.frozen { "frozenset" } else { "set" };
                    if items.is_empty() {
                        format!("{name}()")
                    } else {
                        let inner = self.guarded(o.addr(), "...", |vm| vm.join_reprs(&items, "{", "}"))?;
                        if s.frozen {
                            format!("frozenset({inner})")
                        } else {
                            inner
                        }
                    }
                }
                Object::BigRange(r) => {
                    if r.step == num_bigint::BigInt::from(1) {
                        format!("range({}, {})", r.start, r.stop)
                    } else {
                        format!("range({}, {}, {})", r.start, r.stop, r.step)
                    }
                }
                Object::Range(r) => {
                    if r.step == 1 {
                        format!("range({}, {})", r.start, r.stop)
                    } else {
                        format!("range({}, {}, {})", r.start, r.stop, r.step)
                    }
                }
                Object::Slice(s) => {
                    let (a, b, c) = (s.start.clone(), s.stop.clone(), s.step.clone());
                    format!("slice({}, {}, {})", self.repr_of(&a)?, self.repr_of(&b)?, self.repr_of(&c)?)
                }
                Object::Function(f) => format!("<function {} at {:#x}>", f.qualname, o.addr()),
                Object::Builtin(b) => match &b.bound {
                    Some(Value::Obj(m)) if matches!(&**m, Object::Module(_)) => {
                        format!("<built-in function {}>", b.name)
                    }
                    Some(s) => format!("<built-in method {} of {} object at {:#x}>", b.name, self.type_name(s), s.id()),
                    None => {
                        if b.qualname.contains('.') {
                            let cls = b.qualname.split('.').next().unwrap_or("");
                            format!("<method '{}' of '{}' objects>", b.name, cls)
                        } else {
                            format!("<built-in function {}>", b.name)
                        }
                    }
                },
                Object::BoundMethod(m) => {
                    let fname = match m.func.obj() {
                        Some(Object::Function(f)) => f.qualname.to_string(),
                        Some(Object::Builtin(b)) => {
                            return Ok(format!(
                                "<built-in method {} of {} object at {:#x}>",
                                b.name,
                                self.type_name(&m.self_),
                                m.self_.id()
                            ))
                        }
                        _ => "?".into(),
                    };
                    let s = m.self_.clone();
                    format!("<bound method {} of {}>", fname, self.repr_of(&s)?)
                }
                Object::Class(c) if c.meta.is_some() && self.meta_repr(c).is_some() => {
                    let f = self.meta_repr(c).unwrap();
                    let r = self.call(&f, crate::vm::Args::new([v.clone()]))?;
                    match r.as_str() {
                        Some(s) => s.as_str().to_string(),
                        None => {
                            let msg = format!("__repr__ returned non-string (type {})", self.type_name(&r));
                            return Err(self.type_error(&msg));
                        }
                    }
                }
                Object::Class(c) => {
                    if c.module == "builtins" {
                        format!("<class '{}'>", c.qualname)
                    } else {
                        format!("<class '{}.{}'>", c.module, c.qualname)
                    }
                }
                Object::Module(m) => match &m.file {
                    Some(f) => format!("<module '{}' from '{}'>", m.name, f),
                    None => format!("<module '{}' (built-in)>", m.name),
                },
                Object::Generator(g) => {
                    format!("<{} object {} at {:#x}>", self.type_name(v), g.qualname, o.addr())
                }
                Object::Cell(_) => format!("<cell at {:#x}>", o.addr()),
                Object::Iter(_) => format!("<{} object at {:#x}>", self.type_name(v), o.addr()),
                Object::Property(_) => format!("<property object at {:#x}>", o.addr()),
                Object::StaticMethod(_) => format!("<staticmethod object at {:#x}>", o.addr()),
                Object::ClassMethod(_) => format!("<classmethod object at {:#x}>", o.addr()),
                Object::Super(s) => {
                    format!("<super: <class '{}'>, <{} object>>", s.class.class_name(), s.obj_type.class_name())
                }
                Object::Singleton(Singleton::NotImplemented) => "NotImplemented".into(),
                Object::Singleton(Singleton::Ellipsis) => "Ellipsis".into(),
                Object::Code(c) => format!(
                    "<code object {} at {:#x}, file \"{}\", line {}>",
                    c.name,
                    o.addr(),
                    c.filename,
                    c.first_line
                ),
                Object::Instance(inst) => {
                    let cls = self.class_of(v);
                    let f = self.lookup_type_attr(&cls, &crate::interp::names().__repr__);
                    if let (false, Some(base)) = (crate::vm::ops::overrides(&f), inst.base_value()) {
                        // Sets and bytearrays name their type (`Tags({1, 2})`); the
                        // others look like their base value.
                        if let Some(Object::ByteArray(b)) = base.obj() {
                            let name = inst.class.class_name().to_string();
                            let r = bytearray_repr(&b.snapshot());
                            return Ok(format!("{name}{}", &r["bytearray".len()..]));
                        }
                        if let Some(Object::Set(st)) = base.obj() {
                            let items = st.lock().keys();
                            let name = inst.class.class_name().to_string();
                            if items.is_empty() {
                                return Ok(format!("{name}()"));
                            }
                            let inner = self.guarded(o.addr(), "...", |vm| vm.join_reprs(&items, "{", "}"))?;
                            return Ok(format!("{name}({inner})"));
                        }
                        return self.repr_of(base);
                    }
                    match f {
                        Some(f) if !matches!(f.obj(), Some(Object::Builtin(_))) => {
                            let r = self.call(&f, Args::new([v.clone()]))?;
                            match r.as_str() {
                                Some(s) => s.as_str().to_string(),
                                None => {
                                    let msg = format!("__repr__ returned non-string (type {})", self.type_name(&r));
                                    return Err(self.type_error(&msg));
                                }
                            }
                        }
                        Some(f) => {
                            // A native __repr__ (exceptions, threading objects, ...).
                            let r = self.call(&f, Args::new([v.clone()]))?;
                            r.as_str().map(|s| s.as_str().to_string()).unwrap_or_default()
                        }
                        None => self.default_repr(v),
                    }
                }
            },
        })
    }

    /// `<__main__.Foo object at 0x...>`.
    pub fn default_repr(&self, v: &Value) -> String {
        let cls = self.class_of(v);
        let (module, qual) = match &*cls {
            Object::Class(c) => (c.module.clone(), c.qualname.clone()),
            _ => (String::new(), "?".into()),
        };
        if module == "builtins" {
            format!("<{} object at {:#x}>", qual, v.id())
        } else {
            format!("<{}.{} object at {:#x}>", module, qual, v.id())
        }
    }

    fn join_reprs(&mut self, items: &[Value], open: &str, close: &str) -> PyResult<String> {
        let mut s = String::from(open);
        for (i, it) in items.iter().enumerate() {
            if i > 0 {
                s.push_str(", ");
            }
            s.push_str(&self.repr_of(it)?);
        }
        s.push_str(close);
        Ok(s)
    }

    /// Runs `f` unless the container at `addr` is already being repr'd on this thread
    /// (then None): for native containers outside this crate, such as deque.
    pub fn guarded_opt(
        &mut self,
        addr: usize,
        f: impl FnOnce(&mut Vm) -> PyResult<String>,
    ) -> PyResult<Option<String>> {
        if self.repr_guard.contains(&addr) {
            return Ok(None);
        }
        self.guarded(addr, "", f).map(Some)
    }

    /// Runs `f` unless the container at `addr` is already being repr'd on this thread.
    fn guarded(
        &mut self,
        addr: usize,
        recursive: &str,
        f: impl FnOnce(&mut Vm) -> PyResult<String>,
    ) -> PyResult<String> {
        if self.repr_guard.contains(&addr) {
            return Ok(recursive.to_string());
        }
        // The guard list stays short: nesting deeper than the recursion limit is
        // refused here, so looking an address up in it is cheap.
        self.enter_native_recursion(REPR_DEPTH)?;
        self.repr_guard.push(addr);
        let r = f(self);
        self.repr_guard.pop();
        self.leave_native_recursion();
        r
    }

    /// `sys.get_int_max_str_digits()` (0 = unlimited).
    pub fn int_max_str_digits(&self) -> usize {
        crate::interp::INT_MAX_STR_DIGITS.load(std::sync::atomic::Ordering::Relaxed)
    }
}

fn is_object_str(f: &Value) -> bool {
    matches!(f.obj(), Some(Object::Builtin(b)) if b.qualname == "object.__str__")
}
