//! The serialisation of objects crossing a process boundary.
//!
//! A message is the magic `CMP1` followed by one encoded value. Each value starts with
//! a tag byte; lengths and counts are u32 little-endian, strings are UTF-8:
//!
//! | tag | value | payload |
//! | --- | --- | --- |
//! | `N` `T` `F` | None, True, False | none |
//! | `i` | int fitting i64 | 8 bytes LE |
//! | `I` | larger int | len + two's complement bytes LE |
//! | `f` | float | 8 bytes LE (IEEE 754) |
//! | `s` `b` | str, bytes | len + bytes |
//! | `(` `[` `S` `Z` | tuple, list, set, frozenset | count + items |
//! | `{` | dict | count + key, value pairs |
//! | `G` | module-level function or class | module, qualname |
//! | `O` | instance of a module-level class | memo slot, class (module, qualname), has-getstate byte, state value |
//! | `E` | exception | class (module, qualname), args tuple |
//! | `r` | range | start, stop, step (i64 LE each) |
//! | `:` | slice | start, stop, step values |
//! | `R` | a list, dict or instance already sent in this message | memo slot |
//! | `H` | a file descriptor handle (Connection end) | fd (i32) |
//! | `D` | a handle sent through the descriptor sharer (`share.rs`) | address, number (u64 LE) |
//! | `L` | a cross-process semaphore | fd, kind, maxvalue (i32 each) |
//! | `M` | a shared-memory array | fd (i32), typecode byte, length |
//!
//! Functions and classes travel by name and are looked up again in the receiver, where
//! `__main__` is the main script (imported as `__mp_main__` in a child, which is why
//! `__mp_main__` maps to `__main__` on loading). An instance travels as its class and
//! its attribute dict, or the result of its class's `__getstate__` (then the receiver
//! calls `__setstate__`); it is created without calling `__init__`, as pickle does.
//! Descriptors in `H`, `L`, `M` are numbers valid in the receiver because a child
//! inherits the descriptors of the objects it was started with (see `mod.rs`).

use super::shm::{self, SemLock, SharedArray};
use super::FdHandle;
use conc_interpreter::interp::{interp, types};
use conc_interpreter::native::Exc;
use conc_interpreter::value::class::{is_subclass, name_hash};
use conc_interpreter::value::instance::{BaseValue, InstanceObj};
use conc_interpreter::value::str::intern;
use conc_interpreter::{Args, ObjRef, Object, PyErr, PyResult, Value, Vm};
use num_bigint::BigInt;
use std::collections::HashMap;
use std::sync::OnceLock;

const MAGIC: &[u8] = b"CMP1";
const MAX_DEPTH: usize = 2000;

/// `_pickle.PickleError`, `PicklingError`, `UnpicklingError`.
pub struct PickleClasses {
    pub base: ObjRef,
    pub pickling: ObjRef,
    pub unpickling: ObjRef,
}

pub fn classes() -> &'static PickleClasses {
    static C: OnceLock<PickleClasses> = OnceLock::new();
    C.get_or_init(|| {
        use conc_interpreter::interp::new_class;
        use conc_interpreter::value::class::BaseKind;
        let base = new_class(
            "PickleError",
            "_pickle",
            vec![Exc::Exception.class().clone()],
            BaseKind::Exception,
            false,
            Default::default(),
        );
        let pickling =
            new_class("PicklingError", "_pickle", vec![base.clone()], BaseKind::Exception, false, Default::default());
        let unpickling =
            new_class("UnpicklingError", "_pickle", vec![base.clone()], BaseKind::Exception, false, Default::default());
        PickleClasses { base, pickling, unpickling }
    })
}

fn pickling_error(vm: &mut Vm, msg: &str) -> PyErr {
    let cls = classes().pickling.clone();
    vm.new_exception(&cls, vec![Value::str(msg)])
}

fn unpickling_error(vm: &mut Vm, msg: &str) -> PyErr {
    let cls = classes().unpickling.clone();
    vm.new_exception(&cls, vec![Value::str(msg)])
}

/// Encodes `v`; also returns the descriptors the message refers to (a child started
/// with it must inherit them).
pub fn dumps(vm: &mut Vm, v: &Value) -> PyResult<(Vec<u8>, Vec<i32>)> {
    dumps_with(vm, v, false)
}

/// Encodes `v` for a process that does not inherit descriptors from this one (a
/// message on a Queue or Pipe): Connection handles are registered with the
/// descriptor sharer (`share.rs`) instead.
pub fn dumps_shared(vm: &mut Vm, v: &Value) -> PyResult<Vec<u8>> {
    dumps_with(vm, v, true).map(|(b, _)| b)
}

fn dumps_with(vm: &mut Vm, v: &Value, share: bool) -> PyResult<(Vec<u8>, Vec<i32>)> {
    let mut p =
        Pickler { out: MAGIC.to_vec(), fds: Vec::new(), memo: Vec::new(), memo_ids: HashMap::new(), depth: 0, share };
    p.value(vm, v)?;
    Ok((p.out, p.fds))
}

struct Pickler {
    out: Vec<u8>,
    fds: Vec<i32>,
    /// Lists, dicts and instances already written, in order, so that shared objects
    /// stay shared; the receiver numbers them in the same order. The values are kept
    /// so that their ids stay unique while pickling.
    memo: Vec<Value>,
    memo_ids: HashMap<i64, usize>,
    depth: usize,
    /// Descriptors go through the sharer (`dumps_shared`), not inheritance.
    share: bool,
}

impl Pickler {
    fn u32(&mut self, n: usize) {
        self.out.extend_from_slice(&(n as u32).to_le_bytes());
    }
    fn i32(&mut self, n: i32) {
        self.out.extend_from_slice(&n.to_le_bytes());
    }
    fn raw(&mut self, b: &[u8]) {
        self.u32(b.len());
        self.out.extend_from_slice(b);
    }

    /// Writes a back reference if `v` was written before; else remembers it.
    fn memoize(&mut self, v: &Value) -> bool {
        if let Some(&i) = self.memo_ids.get(&v.id()) {
            self.out.push(b'R');
            self.u32(i);
            return true;
        }
        self.memo_ids.insert(v.id(), self.memo.len());
        self.memo.push(v.clone());
        false
    }

    fn value(&mut self, vm: &mut Vm, v: &Value) -> PyResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(vm.error(Exc::RecursionError, "maximum recursion depth exceeded while pickling an object"));
        }
        let r = self.value_inner(vm, v);
        self.depth -= 1;
        r
    }

    fn value_inner(&mut self, vm: &mut Vm, v: &Value) -> PyResult<()> {
        match v {
            Value::None | Value::Null => self.out.push(b'N'),
            Value::Bool(true) => self.out.push(b'T'),
            Value::Bool(false) => self.out.push(b'F'),
            Value::Int(i) => {
                self.out.push(b'i');
                self.out.extend_from_slice(&i.to_le_bytes());
            }
            Value::Float(f) => {
                self.out.push(b'f');
                self.out.extend_from_slice(&f.to_le_bytes());
            }
            Value::Obj(o) => self.object(vm, v, o)?,
        }
        Ok(())
    }

    fn seq(&mut self, vm: &mut Vm, tag: u8, items: &[Value]) -> PyResult<()> {
        self.out.push(tag);
        self.u32(items.len());
        for it in items {
            self.value(vm, it)?;
        }
        Ok(())
    }

    fn object(&mut self, vm: &mut Vm, v: &Value, o: &ObjRef) -> PyResult<()> {
        match &**o {
            Object::Str(s) => {
                self.out.push(b's');
                self.raw(s.as_str().as_bytes());
            }
            Object::BigInt(b) => {
                self.out.push(b'I');
                self.raw(&b.to_signed_bytes_le());
            }
            Object::Bytes(b) => {
                self.out.push(b'b');
                self.raw(b);
            }
            Object::ByteArray(b) => {
                self.out.push(b'y');
                self.raw(&b.snapshot());
            }
            Object::Tuple(t) => self.seq(vm, b'(', t.items())?,
            Object::Range(_) | Object::BigRange(_) => {
                // Bounds are written as ints, so ranges beyond i64 travel too.
                self.out.push(b'r');
                let (start, stop, step, _) = conc_interpreter::value::range::range_parts(o).unwrap();
                for n in [start, stop, step] {
                    self.value(vm, &conc_interpreter::value::int::normalize(n))?;
                }
            }
            Object::Slice(sl) => {
                self.out.push(b':');
                let parts = [sl.start.clone(), sl.stop.clone(), sl.step.clone()];
                for p in &parts {
                    self.value(vm, p)?;
                }
            }
            Object::List(_) => {
                if self.memoize(v) {
                    return Ok(());
                }
                let items = vm.collect(v)?;
                self.seq(vm, b'[', &items)?;
            }
            Object::Set(s) => {
                let items = s.lock().keys();
                self.seq(vm, if s.frozen { b'Z' } else { b'S' }, &items)?;
            }
            Object::Dict(d) => {
                if self.memoize(v) {
                    return Ok(());
                }
                let items = d.lock().items();
                self.out.push(b'{');
                self.u32(items.len());
                for (k, val) in items {
                    self.value(vm, &k)?;
                    self.value(vm, &val)?;
                }
            }
            Object::Function(f) => {
                let module = f.module.name.clone();
                let qual = f.qualname;
                self.global(vm, v, &module, qual)?;
            }
            Object::Class(c) => {
                let (module, qual) = (c.module.clone(), c.qualname.clone());
                self.global(vm, v, &module, &qual)?;
            }
            Object::Builtin(b) if b.bound.is_none() => {
                // Builtin functions are found by name in builtins (or their module).
                let qual = b.qualname.clone();
                let module = if conc_interpreter::interp::builtins_module().globals.get(b.name).is(v) {
                    "builtins".to_string()
                } else {
                    module_of_builtin(&qual)
                };
                self.global(vm, v, &module, b.name)?;
            }
            Object::Instance(inst) => {
                if let Some(h) = inst.native::<FdHandle>() {
                    let fd = h.fd();
                    if fd < 0 {
                        return Err(vm.error(Exc::OSError, "handle is closed"));
                    }
                    if self.share {
                        let (address, id) = super::share::register(fd).map_err(|e| super::os_error(vm, e))?;
                        self.out.push(b'D');
                        self.raw(address.as_bytes());
                        self.out.extend_from_slice(&id.to_le_bytes());
                        return Ok(());
                    }
                    self.fds.push(fd);
                    self.out.push(b'H');
                    self.i32(fd);
                    return Ok(());
                }
                if self.share && (inst.native::<SemLock>().is_some() || inst.native::<SharedArray>().is_some()) {
                    // The conc layer refuses these first, with CPython's message.
                    let msg = "shared memory objects should only be shared between processes through inheritance";
                    return Err(vm.error(Exc::RuntimeError, msg));
                }
                if let Some(s) = inst.native::<SemLock>() {
                    self.fds.push(s.region.fd());
                    self.out.push(b'L');
                    self.i32(s.region.fd());
                    self.i32(s.kind);
                    self.i32(s.maxvalue);
                    return Ok(());
                }
                if let Some(a) = inst.native::<SharedArray>() {
                    self.fds.push(a.region.fd());
                    self.out.push(b'M');
                    self.i32(a.region.fd());
                    self.out.push(a.typecode);
                    self.u32(a.len);
                    return Ok(());
                }
                let cls = inst.class.clone();
                if is_subclass(&cls, &Exc::BaseException.class().clone()) {
                    let args = conc_interpreter::builtins::exceptions::exc_args(v);
                    self.out.push(b'E');
                    self.class_ref(vm, &cls)?;
                    self.seq(vm, b'(', &args)?;
                    return Ok(());
                }
                if let Some(base) = inst.base_value() {
                    // An instance of a class derived from a value type (`class
                    // Stack(list)`): its class, its base value, then its attributes.
                    if self.memoize(v) {
                        return Ok(());
                    }
                    self.out.push(b'V');
                    self.class_ref(vm, &cls)?;
                    let base = base.clone();
                    self.value(vm, &base)?;
                    self.attrs_dict(vm, inst)?;
                    return Ok(());
                }
                if inst.native.get().is_some() {
                    return Err(cannot_pickle(vm, v));
                }
                let slot = self.memo.len();
                if self.memoize(v) {
                    return Ok(());
                }
                self.out.push(b'O');
                self.u32(slot);
                self.class_ref(vm, &cls)?;
                let getstate = script_method(&cls, "__getstate__");
                match getstate {
                    Some(f) => {
                        self.out.push(1);
                        let state = vm.call(&f, Args::new(vec![v.clone()]))?;
                        self.value(vm, &state)?;
                    }
                    None => {
                        self.out.push(0);
                        self.attrs_dict(vm, inst)?;
                    }
                }
            }
            _ => return Err(cannot_pickle(vm, v)),
        }
        Ok(())
    }

    /// An instance's attributes, written as a dict.
    fn attrs_dict(&mut self, vm: &mut Vm, inst: &InstanceObj) -> PyResult<()> {
        let items = inst.attrs().items();
        // The receiver numbers every dict it reads, this one too.
        self.memo.push(Value::None);
        self.out.push(b'{');
        self.u32(items.len());
        for (k, val) in items {
            self.value(vm, &k)?;
            self.value(vm, &val)?;
        }
        Ok(())
    }

    fn class_ref(&mut self, vm: &mut Vm, cls: &ObjRef) -> PyResult<()> {
        let (module, qual) = match &**cls {
            Object::Class(c) => (c.module.clone(), c.qualname.clone()),
            _ => return Err(vm.type_error("not a class")),
        };
        let v = Value::Obj(cls.clone());
        // Checked like a global, then written without the tag.
        self.check_global(vm, &v, &module, &qual)?;
        self.raw(module.as_bytes());
        self.raw(qual.as_bytes());
        Ok(())
    }

    fn global(&mut self, vm: &mut Vm, v: &Value, module: &str, qual: &str) -> PyResult<()> {
        self.check_global(vm, v, module, qual)?;
        self.out.push(b'G');
        self.raw(module.as_bytes());
        self.raw(qual.as_bytes());
        Ok(())
    }

    /// The object must be what its module and qualified name lead to, as pickle checks.
    fn check_global(&mut self, vm: &mut Vm, v: &Value, module: &str, qual: &str) -> PyResult<()> {
        if qual.contains("<locals>") {
            let msg = format!("Can't pickle local object '{qual}'");
            return Err(vm.error(Exc::AttributeError, &msg));
        }
        let found = lookup_global(vm, module, qual).ok().flatten();
        match found {
            Some(f) if f.is(v) => Ok(()),
            Some(_) => {
                let r = vm.repr_of(v).unwrap_or_default();
                let msg = format!("Can't pickle {r}: it's not the same object as {module}.{qual}");
                Err(pickling_error(vm, &msg))
            }
            None => {
                let r = vm.repr_of(v).unwrap_or_default();
                let msg = format!("Can't pickle {r}: attribute lookup {qual} on {module} failed");
                Err(pickling_error(vm, &msg))
            }
        }
    }
}

fn module_of_builtin(qual: &str) -> String {
    match qual.rfind('.') {
        Some(i) => qual[..i].to_string(),
        None => "builtins".to_string(),
    }
}

/// A method defined in script code on the class or a base (not a native default).
fn script_method(cls: &ObjRef, name: &str) -> Option<Value> {
    let f = conc_interpreter::value::class::lookup(cls, &intern(name))?;
    match &f {
        Value::Obj(o) if matches!(&**o, Object::Function(_)) => Some(f),
        _ => None,
    }
}

/// `TypeError: cannot pickle 'X' object`, CPython's message for objects without state.
fn cannot_pickle(vm: &mut Vm, v: &Value) -> PyErr {
    let cls = vm.class_of(v);
    let name = match &*cls {
        Object::Class(c) if c.module != "builtins" => format!("{}.{}", c.module, c.qualname),
        Object::Class(c) => c.qualname.clone(),
        _ => "?".into(),
    };
    let name = match name.as_str() {
        "_thread.lock" | "_thread.RLock" => name,
        "TextIOWrapper" | "io.TextIOWrapper" | "_io.TextIOWrapper" => "_io.TextIOWrapper".into(),
        _ => name.rsplit('.').next().unwrap_or(&name).to_string(),
    };
    let msg = format!("cannot pickle '{name}' object");
    vm.type_error(&msg)
}

/// `module.qualname` in this process; None when it does not exist.
pub fn lookup_global(vm: &mut Vm, module: &str, qual: &str) -> PyResult<Option<Value>> {
    let module = if module == "__mp_main__" { "__main__" } else { module };
    // The modules lock must be released before importing (a temporary in the match
    // scrutinee would hold it for the whole match).
    let known = if module == "builtins" {
        Some(Value::Obj(conc_interpreter::interp::interp().builtins_ref.clone()))
    } else {
        interp().modules.get(module)
    };
    let m = match known {
        Some(m) => m,
        // Through its packages, as `import a.b` would: a submodule imported alone
        // could not run its relative imports.
        None => match vm.import_chain(module) {
            Ok((_, m)) => m,
            // As CPython's unpickler: the import's own error (ModuleNotFoundError).
            Err(e) => return Err(e),
        },
    };
    let mut cur = m;
    for part in qual.split('.') {
        match vm.get_attr_opt(&cur, &intern(part))? {
            Some(v) => cur = v,
            None => return Ok(None),
        }
    }
    Ok(Some(cur))
}

/// Decodes a message made by [`dumps`].
pub fn loads(vm: &mut Vm, data: &[u8]) -> PyResult<Value> {
    if !data.starts_with(MAGIC) {
        return Err(unpickling_error(vm, "invalid load key (not a conc multiprocessing message)"));
    }
    let mut u = Unpickler { data, pos: MAGIC.len(), memo: Vec::new() };
    u.value(vm)
}

struct Unpickler<'a> {
    data: &'a [u8],
    pos: usize,
    memo: Vec<Value>,
}

impl Unpickler<'_> {
    /// A memo slot for a container being read (filled once it exists).
    fn reserve(&mut self) -> usize {
        self.memo.push(Value::None);
        self.memo.len() - 1
    }

    fn take(&mut self, vm: &mut Vm, n: usize) -> PyResult<&[u8]> {
        if self.pos + n > self.data.len() {
            return Err(unpickling_error(vm, "pickle data was truncated"));
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    fn u8(&mut self, vm: &mut Vm) -> PyResult<u8> {
        Ok(self.take(vm, 1)?[0])
    }
    fn u32(&mut self, vm: &mut Vm) -> PyResult<usize> {
        let b = self.take(vm, 4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }
    fn i32(&mut self, vm: &mut Vm) -> PyResult<i32> {
        Ok(self.u32(vm)? as u32 as i32)
    }
    fn raw(&mut self, vm: &mut Vm) -> PyResult<Vec<u8>> {
        let n = self.u32(vm)?;
        Ok(self.take(vm, n)?.to_vec())
    }
    fn string(&mut self, vm: &mut Vm) -> PyResult<String> {
        let b = self.raw(vm)?;
        String::from_utf8(b).map_err(|_| unpickling_error(vm, "invalid UTF-8 in pickle data"))
    }
    fn items(&mut self, vm: &mut Vm) -> PyResult<Vec<Value>> {
        let n = self.u32(vm)?;
        let mut v = Vec::with_capacity(n.min(1 << 16));
        for _ in 0..n {
            v.push(self.value(vm)?);
        }
        Ok(v)
    }

    fn global(&mut self, vm: &mut Vm) -> PyResult<Value> {
        let module = self.string(vm)?;
        let qual = self.string(vm)?;
        match lookup_global(vm, &module, &qual)? {
            Some(v) => Ok(v),
            None => {
                let shown = if module == "__mp_main__" { "__main__" } else { module.as_str() };
                let msg = format!("Can't get attribute '{qual}' on <module '{shown}'>");
                Err(vm.error(Exc::AttributeError, &msg))
            }
        }
    }

    fn value(&mut self, vm: &mut Vm) -> PyResult<Value> {
        let tag = self.u8(vm)?;
        Ok(match tag {
            b'N' => Value::None,
            b'T' => Value::Bool(true),
            b'F' => Value::Bool(false),
            b'i' => {
                let b = self.take(vm, 8)?;
                Value::Int(i64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
            }
            b'I' => {
                let b = self.raw(vm)?;
                Value::bigint(BigInt::from_signed_bytes_le(&b))
            }
            b'f' => {
                let b = self.take(vm, 8)?;
                Value::Float(f64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
            }
            b's' => Value::string(self.string(vm)?),
            b'b' => {
                let b = self.raw(vm)?;
                Value::new(Object::Bytes(b.into_boxed_slice()))
            }
            b'y' => conc_interpreter::builtins::bytes_methods::new_bytearray(self.raw(vm)?),
            b'(' => Value::tuple(self.items(vm)?),
            b'[' => {
                let slot = self.reserve();
                let v = Value::list(self.items(vm)?);
                self.memo[slot] = v.clone();
                v
            }
            b'S' | b'Z' => {
                let items = self.items(vm)?;
                let name = if tag == b'S' { "set" } else { "frozenset" };
                let ctor = conc_interpreter::interp::builtins_module().globals.get(name);
                vm.call(&ctor, Args::new(vec![Value::list(items)]))?
            }
            b'{' => {
                let slot = self.reserve();
                let n = self.u32(vm)?;
                let d = vm.call(&Value::Obj(types().dict.clone()), Args::default())?;
                self.memo[slot] = d.clone();
                for _ in 0..n {
                    let k = self.value(vm)?;
                    let v = self.value(vm)?;
                    vm.set_item(&d, k, v)?;
                }
                d
            }
            b'G' => self.global(vm)?,
            b'r' | b':' => {
                let parts = vec![self.value(vm)?, self.value(vm)?, self.value(vm)?];
                let ctor = conc_interpreter::interp::builtins_module().globals.get(if tag == b'r' {
                    "range"
                } else {
                    "slice"
                });
                vm.call(&ctor, Args::new(parts))?
            }
            b'E' => {
                let cls = self.global(vm)?;
                let tag = self.u8(vm)?;
                if tag != b'(' {
                    return Err(unpickling_error(vm, "bad exception arguments"));
                }
                let args = self.items(vm)?;
                vm.call(&cls, Args::new(args))?
            }
            b'R' => {
                let i = self.u32(vm)?;
                match self.memo.get(i) {
                    Some(v) => v.clone(),
                    None => return Err(unpickling_error(vm, "bad memo reference")),
                }
            }
            b'O' => {
                let _slot = self.u32(vm)?;
                let cls = self.global(vm)?;
                let obj = vm.call(&Value::Obj(conc_interpreter::interp::object_new()), Args::new(vec![cls.clone()]))?;
                self.memo.push(obj.clone());
                let has_getstate = self.u8(vm)? == 1;
                let state = self.value(vm)?;
                let cls_ref = match &cls {
                    Value::Obj(c) => c.clone(),
                    _ => return Err(unpickling_error(vm, "bad class")),
                };
                match script_method(&cls_ref, "__setstate__") {
                    Some(f) => {
                        vm.call(&f, Args::new(vec![obj.clone(), state]))?;
                    }
                    None if has_getstate && state.is_none() => {}
                    None => {
                        let items = match state.as_dict() {
                            Some(d) => d.lock().items(),
                            None => return Err(unpickling_error(vm, "state is not a dictionary")),
                        };
                        set_attrs(&obj, items);
                    }
                }
                obj
            }
            b'V' => {
                // The instance is numbered before its parts, as the writer did; a
                // part that refers back to it sees None (not supported, as rare).
                let slot = self.reserve();
                let cls = match self.global(vm)? {
                    Value::Obj(c) if matches!(&*c, Object::Class(_)) => c,
                    _ => return Err(unpickling_error(vm, "bad class")),
                };
                let base = self.value(vm)?;
                let obj = Value::new(Object::Instance(InstanceObj::with_native(cls, Box::new(BaseValue(base)))));
                self.memo[slot] = obj.clone();
                let attrs = self.value(vm)?;
                if let Some(d) = attrs.as_dict() {
                    set_attrs(&obj, d.lock().items());
                }
                obj
            }
            b'H' => {
                let fd = self.i32(vm)?;
                super::handle_value(fd)
            }
            b'D' => {
                let address = self.string(vm)?;
                let id = u64::from_le_bytes(self.take(vm, 8)?.try_into().unwrap_or([0; 8]));
                match super::share::fetch(&address, id) {
                    Ok(fd) => super::handle::owned_handle(fd),
                    Err(e) => {
                        let msg = format!(
                            "cannot receive a Connection: its sender no longer shares it ({e}); \
                             the sending process must still run when the message is read"
                        );
                        return Err(unpickling_error(vm, &msg));
                    }
                }
            }
            b'L' => {
                let fd = self.i32(vm)?;
                let kind = self.i32(vm)?;
                let maxvalue = self.i32(vm)?;
                shm::semlock_from_fd(vm, fd, kind, maxvalue)?
            }
            b'M' => {
                let fd = self.i32(vm)?;
                let tc = self.u8(vm)?;
                let len = self.u32(vm)?;
                shm::array_from_fd(vm, fd, tc, len)?
            }
            _ => return Err(unpickling_error(vm, &format!("invalid load key, '{}'.", tag as char))),
        })
    }
}

/// Stores unpickled attributes (str keys) in an instance's attribute dict.
fn set_attrs(obj: &Value, items: Vec<(Value, Value)>) {
    if let Some(inst) = obj.as_instance() {
        let mut a = inst.attrs();
        for (k, v) in items {
            if let Some(s) = k.as_str() {
                let key = intern(s.as_str());
                a.set_simple(name_hash(&key), Value::Obj(key), v);
            }
        }
    }
}
