//! The instructions of match statements (`compiler/matching.rs` emits them):
//! the sequence and mapping tests, the length of a subject, the lookups of a
//! mapping pattern's keys and of a class pattern's attributes, and the jump on None
//! that follows those lookups.

use crate::builtins::functions::{is_instance, len_of};
use crate::interp::types;
use crate::native::Exc;
use crate::value::class::{is_subclass, mro_of};
use crate::value::str::intern;
use crate::value::{ObjRef, Object, Value};
use crate::vm::frame::Frame;
use crate::vm::{Args, PyResult, Vm};

/// What a class says about itself for `match`: PEP 634's sequence and mapping
/// kinds (CPython's type flags, which subclasses inherit).
fn class_has(cls: &ObjRef, names: &[(&str, &str)]) -> bool {
    std::iter::once(cls.clone()).chain(mro_of(cls)).any(|c| match &*c {
        Object::Class(k) => names.iter().any(|(m, n)| k.module == *m && k.name == *n),
        _ => false,
    })
}

impl Vm {
    /// Whether `v` matches a sequence pattern: list, tuple, range, deque and
    /// classes derived from them or from `collections.abc.Sequence`; never str,
    /// bytes or bytearray.
    fn is_match_sequence(&mut self, v: &Value) -> PyResult<bool> {
        match v.obj() {
            Some(Object::List(_) | Object::Tuple(_) | Object::Range(_) | Object::BigRange(_)) => return Ok(true),
            Some(Object::Str(_) | Object::Bytes(_) | Object::ByteArray(_) | Object::Dict(_)) => return Ok(false),
            None => return Ok(false),
            _ => {}
        }
        let cls = self.class_of(v);
        let t = types();
        for no in [&t.str_, &t.bytes, &t.bytearray, &t.dict] {
            if is_subclass(&cls, no) {
                return Ok(false);
            }
        }
        for yes in [&t.list, &t.tuple, &t.range] {
            if is_subclass(&cls, yes) {
                return Ok(true);
            }
        }
        if class_has(&cls, &[("collections", "deque"), ("array", "array"), ("builtins", "memoryview")]) {
            return Ok(true);
        }
        self.abc_instance(v, "Sequence")
    }

    /// Whether `v` matches a mapping pattern: dict, its subclasses and classes
    /// derived from (or registered with) `collections.abc.Mapping`.
    fn is_match_mapping(&mut self, v: &Value) -> PyResult<bool> {
        match v.obj() {
            Some(Object::Dict(_)) => return Ok(true),
            Some(Object::Instance(_)) => {}
            _ => return Ok(false),
        }
        let cls = self.class_of(v);
        if is_subclass(&cls, &types().dict) || class_has(&cls, &[("builtins", "mappingproxy")]) {
            return Ok(true);
        }
        self.abc_instance(v, "Mapping")
    }

    /// `isinstance(v, collections.abc.<name>)` when `collections.abc` is loaded (a
    /// class can only derive from or register with it then).
    fn abc_instance(&mut self, v: &Value, name: &str) -> PyResult<bool> {
        if !matches!(v.obj(), Some(Object::Instance(_))) {
            return Ok(false);
        }
        let Some(abc) = crate::interp::interp().modules.get("collections.abc") else {
            return Ok(false);
        };
        match self.get_attr_opt(&abc, &intern(name))? {
            Some(c) => is_instance(self, v, &c),
            None => Ok(false),
        }
    }

    /// `Instr::MatchSequence`
    #[inline(always)]
    pub(in crate::vm) fn op_match_sequence(&mut self, frame: &mut Box<Frame>) -> PyResult<()> {
        let v = frame.top().clone();
        let r = self.is_match_sequence(&v)?;
        frame.push(Value::Bool(r));
        Ok(())
    }

    /// `Instr::MatchMapping`
    #[inline(always)]
    pub(in crate::vm) fn op_match_mapping(&mut self, frame: &mut Box<Frame>) -> PyResult<()> {
        let v = frame.top().clone();
        let r = self.is_match_mapping(&v)?;
        frame.push(Value::Bool(r));
        Ok(())
    }

    /// `Instr::GetLen`
    #[inline(always)]
    pub(in crate::vm) fn op_get_len(&mut self, frame: &mut Box<Frame>) -> PyResult<()> {
        let v = frame.top().clone();
        let n = len_of(self, &v)?;
        frame.push(Value::Int(n as i64));
        Ok(())
    }

    /// `Instr::PopJumpIfNone(t)`
    #[inline(always)]
    pub(in crate::vm) fn op_pop_jump_if_none(&mut self, frame: &mut Box<Frame>, t: u32) -> PyResult<()> {
        if matches!(frame.pop(), Value::None) {
            frame.ip = t as usize;
        }
        Ok(())
    }

    /// `Instr::MatchKeys`: the values of the keys, looked up with the subject's
    /// `get` (a plain dict directly), so a missing key never calls `__missing__`.
    #[inline(always)]
    pub(in crate::vm) fn op_match_keys(&mut self, frame: &mut Box<Frame>) -> PyResult<()> {
        let keys = frame.top().clone();
        let subject = frame.peek(1).clone();
        let keys: Vec<Value> = keys.as_tuple().map(|t| t.items().to_vec()).unwrap_or_default();
        let plain = subject.as_dict().is_some();
        let get = if plain { None } else { Some(self.get_attr(&subject, &intern("get"))?) };
        // A fresh object no mapping can hold: `get(key, missing)` returning it
        // means the key is absent.
        let missing = Value::list(Vec::new());
        let mut values = Vec::with_capacity(keys.len());
        for (i, k) in keys.iter().enumerate() {
            for earlier in &keys[..i] {
                if self.eq(earlier, k)? {
                    let r = self.repr_of(k)?;
                    return Err(self.value_error(&format!("mapping pattern checks duplicate key ({r})")));
                }
            }
            let found = match &get {
                None => self.dict_get(&subject, k)?,
                Some(get) => {
                    let v = self.call(get, Args::new([k.clone(), missing.clone()]))?;
                    (!v.is(&missing)).then_some(v)
                }
            };
            match found {
                Some(v) => values.push(v),
                None => {
                    frame.push(Value::None);
                    return Ok(());
                }
            }
        }
        frame.push(Value::tuple(values));
        Ok(())
    }

    /// `Instr::CopyDictWithoutKeys`: the `**rest` of a mapping pattern.
    #[inline(always)]
    pub(in crate::vm) fn op_copy_dict_without_keys(&mut self, frame: &mut Box<Frame>) -> PyResult<()> {
        let keys = frame.pop();
        let subject = frame.top().clone();
        let rest = match subject.as_dict() {
            Some(_) => self.dict_copy(&subject)?,
            None => self.call(&Value::Obj(types().dict.clone()), Args::new([subject]))?,
        };
        if let Some(t) = keys.as_tuple() {
            for k in t.items() {
                self.dict_remove(&rest, k)?;
            }
        }
        frame.push(rest);
        Ok(())
    }

    /// `Instr::MatchClass(count, kwnames)`
    #[inline(always)]
    pub(in crate::vm) fn op_match_class(&mut self, frame: &mut Box<Frame>, count: u32, kwnames: u32) -> PyResult<()> {
        let cls = frame.pop();
        let subject = frame.pop();
        let names = frame.code.consts[kwnames as usize].clone();
        let names: Vec<Value> = names.as_tuple().map(|t| t.items().to_vec()).unwrap_or_default();
        let r = self.match_class(&subject, &cls, count as usize, &names)?;
        frame.push(r.map_or(Value::None, Value::tuple));
        Ok(())
    }

    /// The attributes a class pattern matches its sub-patterns against (positional
    /// ones named by `__match_args__`, then the keywords), or None when the subject
    /// is not an instance or lacks one of them.
    fn match_class(
        &mut self,
        subject: &Value,
        cls: &Value,
        count: usize,
        kw: &[Value],
    ) -> PyResult<Option<Vec<Value>>> {
        let Some(Object::Class(k)) = cls.obj() else {
            return Err(self.type_error("called match pattern must be a type"));
        };
        let cls_name = k.name.clone();
        if !is_instance(self, subject, cls)? {
            return Ok(None);
        }
        let mut seen: Vec<String> = Vec::new();
        let mut out = Vec::with_capacity(count + kw.len());
        if count > 0 {
            let match_args = match self.get_attr(cls, &intern("__match_args__")) {
                Ok(v) => Some(v),
                Err(e) if is_subclass(&self.class_of(&e.exc), Exc::AttributeError.class()) => None,
                Err(e) => return Err(e),
            };
            let (allowed, by_self) = match &match_args {
                Some(m) => match m.as_tuple() {
                    Some(t) => (t.len(), false),
                    None => {
                        let msg = format!("{cls_name}.__match_args__ must be a tuple (got {})", self.type_name(m));
                        return Err(self.type_error(&msg));
                    }
                },
                None if self.matches_self(cls) => (1, true),
                None => (0, false),
            };
            if count > allowed {
                let s = if allowed == 1 { "" } else { "s" };
                let msg = format!("{cls_name}() accepts {allowed} positional sub-pattern{s} ({count} given)");
                return Err(self.type_error(&msg));
            }
            if by_self {
                out.push(subject.clone());
            } else {
                let args: Vec<Value> =
                    match_args.as_ref().and_then(|m| m.as_tuple()).map(|t| t.items().to_vec()).unwrap_or_default();
                for name in &args[..count] {
                    let Some(n) = name.as_str() else {
                        let msg = format!("__match_args__ elements must be strings (got {})", self.type_name(name));
                        return Err(self.type_error(&msg));
                    };
                    match self.match_attr(subject, n.as_str(), &cls_name, &mut seen)? {
                        Some(v) => out.push(v),
                        None => return Ok(None),
                    }
                }
            }
        }
        for name in kw {
            let n = name.as_str().map(|s| s.as_str().to_string()).unwrap_or_default();
            match self.match_attr(subject, &n, &cls_name, &mut seen)? {
                Some(v) => out.push(v),
                None => return Ok(None),
            }
        }
        Ok(Some(out))
    }

    /// One attribute of a class pattern's subject; None when it is missing.
    fn match_attr(
        &mut self,
        subject: &Value,
        name: &str,
        cls_name: &str,
        seen: &mut Vec<String>,
    ) -> PyResult<Option<Value>> {
        if seen.iter().any(|s| s == name) {
            let msg = format!("{cls_name}() got multiple sub-patterns for attribute '{name}'");
            return Err(self.type_error(&msg));
        }
        seen.push(name.to_string());
        match self.get_attr(subject, &intern(name)) {
            Ok(v) => Ok(Some(v)),
            Err(e) if is_subclass(&self.class_of(&e.exc), Exc::AttributeError.class()) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The built-in types whose one positional sub-pattern matches the subject
    /// itself (`case int(n):`), and classes derived from them.
    fn matches_self(&self, cls: &Value) -> bool {
        let Some(c) = cls.as_objref() else {
            return false;
        };
        let t = types();
        [&t.bool_, &t.bytearray, &t.bytes, &t.dict, &t.float, &t.frozenset, &t.int, &t.list, &t.set, &t.str_, &t.tuple]
            .iter()
            .any(|b| is_subclass(c, b))
    }
}
