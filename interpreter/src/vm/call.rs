//! Calling: argument binding with CPython's messages, frames for script functions,
//! native calls, bound methods, class instantiation, and `Vm::call` for Rust callers.

use super::frame::{Frame, FrameKind};
use super::run::Prepared;
use super::{Args, FrameExit, PyResult, Vm};
use crate::bytecode::{CO_COROUTINE, CO_GENERATOR, CO_TOPLEVEL, CO_VARARGS, CO_VARKEYWORDS};
use crate::native::Exc;
use crate::value::dict::{DictData, DictObj};
use crate::value::function::FunctionObj;
use crate::value::generator::GeneratorObj;
use crate::value::slot::Slot;
use crate::value::{ObjRef, Object, Value};
use smallvec::SmallVec;

impl Vm {
    /// Calls `func` with `args` from Rust, running script code to completion.
    pub fn call(&mut self, func: &Value, args: Args) -> PyResult<Value> {
        let p = self.prepare_call(func.clone(), args)?;
        self.finish_prepared(p)
    }

    /// Runs a prepared call to its end (an `Init` frame gives its instance).
    pub fn finish_prepared(&mut self, p: Prepared) -> PyResult<Value> {
        match p {
            Prepared::Value(v) => Ok(v),
            Prepared::Frame(mut f) => {
                let init = std::mem::replace(&mut f.kind, FrameKind::Boundary);
                match self.run_frame(f)? {
                    FrameExit::Return(v) => match init {
                        FrameKind::Init(inst) => {
                            if !v.is_none() {
                                let msg = format!("__init__() should return None, not '{}'", self.type_name(&v));
                                return Err(self.error(Exc::TypeError, &msg));
                            }
                            Ok(inst)
                        }
                        _ => Ok(v),
                    },
                    FrameExit::Yield(..) => Err(self.error(Exc::SystemError, "unexpected yield")),
                }
            }
        }
    }

    /// Shorthand: call with positional arguments only.
    pub fn call1(&mut self, func: &Value, args: impl IntoIterator<Item = Value>) -> PyResult<Value> {
        self.call(func, Args::new(args))
    }

    /// The call instructions: the callable and `argc` arguments are on the stack (the
    /// last `len(kwnames)` of them keywords). Plain positional calls of simple script
    /// functions move the arguments straight into the new frame.
    pub(crate) fn call_from_stack(
        &mut self,
        frame: &mut Frame,
        argc: usize,
        kwnames: Option<&Value>,
    ) -> PyResult<Prepared> {
        self.caller = frame;
        let n = frame.values.len();
        let fidx = n - argc - 1;
        if kwnames.is_none() {
            if let Value::Obj(o) = &frame.values[fidx] {
                match &**o {
                    Object::Function(f) if is_simple_code(f.code) && f.code.arg_count as usize == argc => {
                        let f: *const FunctionObj = &**f;
                        // SAFETY: the stack's reference at `fidx` keeps the function
                        // alive: `simple_frame` moves only the `argc` arguments above it,
                        // and the slot is truncated only after the frame is built. A
                        // function object is immutable, so the `&mut frame` it is given
                        // cannot change what `f` points at.
                        let nf = self.simple_frame(unsafe { &*f }, None, frame, argc);
                        frame.values.truncate(fidx);
                        return Ok(Prepared::Frame(nf));
                    }
                    Object::Function(f)
                        if f.code.flags & (CO_VARARGS | CO_VARKEYWORDS | CO_GENERATOR | CO_COROUTINE)
                            == CO_GENERATOR
                            && f.code.kwonly_count == 0
                            && f.code.arg_count as usize == argc =>
                    {
                        // A generator function (or generator expression): its frame is
                        // built as for a simple call and kept by the new generator.
                        let (name, qualname): (&'static str, &'static str) = (&f.code.name, f.qualname);
                        let code = f.code_obj.clone();
                        let f: *const FunctionObj = &**f;
                        // SAFETY: as above: the reference at `fidx` keeps the
                        // function alive until after the frame is built.
                        let nf = self.simple_frame(unsafe { &*f }, None, frame, argc);
                        frame.values.truncate(fidx);
                        let g = GeneratorObj::new(nf, &code, name, qualname);
                        return Ok(Prepared::Value(Value::new(Object::Generator(g))));
                    }
                    Object::Class(c) if c.meta.is_none() => {
                        let cls = o.clone();
                        if let Some(init) = self.plain_init(&cls, argc) {
                            let Some(Object::Function(f)) = init.obj() else { unreachable!() };
                            let inst = Value::new(Object::Instance(crate::value::instance::InstanceObj::new(cls)));
                            // The frame's kind holds the instance: `self` may borrow it.
                            let borrow = f.code.flags & crate::bytecode::CO_STABLE_SELF != 0;
                            let selfv = if borrow {
                                // SAFETY: a bitwise copy, forgotten at the frame's end.
                                unsafe { std::ptr::read(&inst) }
                            } else {
                                inst.clone()
                            };
                            let mut nf = self.simple_frame(f, Some(selfv), frame, argc);
                            nf.borrowed_self = borrow;
                            nf.kind = FrameKind::Init(inst);
                            frame.values.truncate(fidx);
                            return Ok(Prepared::Frame(nf));
                        }
                    }
                    _ => {}
                }
            }
        }
        // A native with a fast entry reads its arguments where they are on the stack.
        if kwnames.is_none() {
            if let Value::Obj(o) = &frame.values[fidx] {
                if let Object::Builtin(b) = &**o {
                    if b.has_fast() {
                        let r = b.call_fast(self, &frame.values[fidx + 1..n]);
                        frame.values.truncate(fidx);
                        return r.map(Prepared::Value);
                    }
                }
            }
        }
        let nkw = match kwnames {
            Some(t) => t.as_tuple().map(|t| t.len()).unwrap_or(0),
            None => 0,
        };
        let mut args = Args::default();
        if nkw > 0 {
            let kwvals: Vec<Value> = frame.values.drain(n - nkw..).collect();
            let names = kwnames.and_then(|t| t.as_tuple()).map(|t| t.items()).unwrap_or(&[]);
            for (k, v) in names.iter().zip(kwvals) {
                if let Value::Obj(k) = k {
                    args.kw.push((k.clone(), v));
                }
            }
        }
        args.pos = frame.values.drain(fidx + 1..).collect();
        let func = frame.pop();
        let r = self.prepare_call(func, args);
        if let Ok(Prepared::Value(Value::Obj(o))) = &r {
            if let Object::Generator(g) = &**o {
                // A coroutine remembers the call that made it, for the warning
                // printed if it is freed without ever running.
                if g.kind == crate::value::generator::GenKind::Coroutine && frame.code_owner.is_none() {
                    g.set_origin(frame.code, frame.ip.saturating_sub(1));
                }
            }
        }
        r
    }

    /// A new frame for a call of `f` (whose code `is_simple_code`) with exactly its
    /// positional parameters: `first` (the instance, for a method or `__init__`), then
    /// the `argc` values on top of `frame`'s stack, which are moved, not counted.
    #[inline]
    pub(crate) fn simple_frame(
        &mut self,
        f: &FunctionObj,
        first: Option<Value>,
        frame: &mut Frame,
        argc: usize,
    ) -> Box<Frame> {
        let code = f.code;
        let mut nf = self.new_frame(code, f.module);
        if f.code_mortal {
            nf.code_owner = Some(f.code_obj.clone());
        }
        nf.values.reserve(argc + 1);
        if let Some(v) = first {
            nf.values.push(v);
        }
        let n = frame.values.len();
        let k = nf.values.len();
        // SAFETY: there is room for `argc` more values (reserved above); the moved
        // values leave the caller's stack (its length no longer covers them) and
        // enter the new frame's locals, so each is owned exactly once.
        unsafe {
            std::ptr::copy_nonoverlapping(frame.values.as_ptr().add(n - argc), nf.values.as_mut_ptr().add(k), argc);
            frame.values.set_len(n - argc);
            nf.values.set_len(k + argc);
        }
        nf.values.resize(code.nlocals(), Value::Null);
        if !(f.closure.is_empty() && code.cellvars.is_empty()) {
            nf.cells = make_cells(code, &mut nf.values, f.closure.clone());
        }
        nf
    }

    /// The `__init__` to run as a frame when `cls(a1..an)` needs nothing else: the
    /// class has `object.__new__` and an `__init__` written in conc taking `self`
    /// and exactly `argc` positional parameters (`is_simple_code`).
    #[inline]
    pub(crate) fn plain_init(&mut self, cls: &ObjRef, argc: usize) -> Option<Value> {
        let names = crate::interp::names();
        let new = self.lookup_type_attr(cls, &names.__new__)?;
        if !matches!(&new, Value::Obj(n) if n.ptr_eq(&crate::interp::interp().object_new)) {
            return None;
        }
        let init = self.lookup_type_attr(cls, &names.__init__)?;
        match init.obj() {
            Some(Object::Function(f)) if is_simple_code(f.code) && f.code.arg_count as usize == argc + 1 => Some(init),
            _ => None,
        }
    }

    /// Prepares a call: native callables run now, script functions get a frame.
    pub fn prepare_call(&mut self, func: Value, mut args: Args) -> PyResult<Prepared> {
        let o = match &func {
            Value::Obj(o) => o,
            _ => return Err(self.not_callable(&func)),
        };
        match &**o {
            Object::Function(f) => {
                let frame = self.bind_args(f, args)?;
                if f.code.flags & (CO_GENERATOR | CO_COROUTINE) != 0 {
                    let g = GeneratorObj::new(frame, &f.code_obj, &f.code.name, f.qualname);
                    return Ok(Prepared::Value(Value::new(Object::Generator(g))));
                }
                Ok(Prepared::Frame(frame))
            }
            Object::Builtin(b) => {
                if let Some(bound) = &b.bound {
                    args.pos.insert(0, bound.clone());
                }
                if b.unwrap_self {
                    if let Some(base) = args.pos.first().and_then(|s| s.base_value()) {
                        args.pos[0] = base.clone();
                    }
                }
                b.call_args(self, args).map(Prepared::Value)
            }
            Object::BoundMethod(m) => {
                args.pos.insert(0, m.self_.clone());
                let f = m.func.clone();
                self.prepare_call(f, args)
            }
            Object::Class(c) => {
                // A metaclass's own `__call__` decides what calling its classes does.
                if let Some(m) = &c.meta {
                    let call = self.lookup_type_attr(m, &crate::interp::names().__call__);
                    if super::ops::overrides(&call) {
                        args.pos.insert(0, func.clone());
                        return self.prepare_call(call.unwrap(), args);
                    }
                }
                self.instantiate(o, args)
            }
            Object::StaticMethod(f) => {
                let f = f.clone();
                self.prepare_call(f, args)
            }
            _ => {
                let cls = self.class_of(&func);
                match self.lookup_type_attr(&cls, &crate::interp::names().__call__) {
                    Some(c) => {
                        args.pos.insert(0, func.clone());
                        self.prepare_call(c, args)
                    }
                    None => Err(self.not_callable(&func)),
                }
            }
        }
    }

    fn not_callable(&mut self, v: &Value) -> super::PyErr {
        let msg = format!("'{}' object is not callable", self.type_name(v));
        self.error(Exc::TypeError, &msg)
    }

    /// Creates an instance of `cls`: `__new__` then `__init__` (an `__init__` written
    /// in conc runs as a frame of kind `Init`, without Rust recursion).
    pub fn instantiate(&mut self, cls: &ObjRef, mut args: Args) -> PyResult<Prepared> {
        let names = crate::interp::names();
        if matches!(&**cls, Object::Class(c) if c.meta.is_some()) {
            self.refuse_abstract(cls)?;
        }
        let new = self.lookup_type_attr(cls, &names.__new__);
        let object_new = crate::interp::object_new();
        let is_default_new = matches!(&new, Some(Value::Obj(n)) if n.ptr_eq(&object_new));
        let inst = if let (false, Some(new)) = (is_default_new, new) {
            let new = match new.obj() {
                Some(Object::StaticMethod(f)) => f.clone(),
                _ => new,
            };
            let mut nargs = Args { pos: SmallVec::new(), kw: args.kw.clone() };
            nargs.pos.push(Value::Obj(cls.clone()));
            nargs.pos.extend(args.pos.iter().cloned());
            let inst = self.call(&new, nargs)?;
            // `__init__` runs only when `__new__` returned an instance of the class.
            let icls = self.class_of(&inst);
            if !crate::value::class::is_subclass(&icls, cls) {
                return Ok(Prepared::Value(inst));
            }
            inst
        } else {
            Value::new(Object::Instance(crate::value::instance::InstanceObj::new(cls.clone())))
        };
        // A built-in value type's constructor (`list(x)`) does all the work in
        // `__new__`; its `__init__` is for derived classes (`super().__init__(x)`).
        if !is_default_new {
            if let Object::Class(c) = &**cls {
                if c.frozen && c.base_kind == crate::value::class::BaseKind::Value {
                    return Ok(Prepared::Value(inst));
                }
            }
        }
        let init = self.lookup_type_attr(cls, &names.__init__);
        let object_init = crate::interp::object_init();
        match init {
            Some(Value::Obj(i)) if i.ptr_eq(&object_init) => {
                if is_default_new && (!args.pos.is_empty() || !args.kw.is_empty()) {
                    let cname = cls.class_name();
                    let msg = format!("{cname}() takes no arguments");
                    return Err(self.error(Exc::TypeError, &msg));
                }
                Ok(Prepared::Value(inst))
            }
            None => Ok(Prepared::Value(inst)),
            Some(init) => {
                if let Some(Object::Function(f)) = init.obj() {
                    if f.code.flags & (CO_GENERATOR | CO_COROUTINE) == 0 {
                        args.pos.insert(0, inst.clone());
                        let mut frame = self.bind_args(f, args)?;
                        frame.kind = FrameKind::Init(inst);
                        return Ok(Prepared::Frame(frame));
                    }
                }
                args.pos.insert(0, inst.clone());
                let r = self.call(&init, args)?;
                if !r.is_none() {
                    let msg = format!("__init__() should return None, not '{}'", self.type_name(&r));
                    return Err(self.error(Exc::TypeError, &msg));
                }
                Ok(Prepared::Value(inst))
            }
        }
    }

    /// CPython's TypeError for a class whose `__abstractmethods__` (set by
    /// `abc.ABCMeta`) is not empty.
    #[cold]
    fn refuse_abstract(&mut self, cls: &ObjRef) -> PyResult<()> {
        let Object::Class(c) = &**cls else { return Ok(()) };
        let Some(set) = c.get_own(&crate::value::str::intern("__abstractmethods__")) else { return Ok(()) };
        let mut names: Vec<String> = Vec::new();
        for v in self.collect(&set)? {
            names.push(self.str_of(&v)?);
        }
        if names.is_empty() {
            return Ok(());
        }
        names.sort();
        let s = if names.len() == 1 { "" } else { "s" };
        let msg = format!("Can't instantiate abstract class {} with abstract method{s} {}", c.name, names.join(", "));
        Err(self.type_error(&msg))
    }

    /// Binds arguments to the parameters of a script function, building its frame.
    pub fn bind_args(&mut self, f: &FunctionObj, args: Args) -> PyResult<Box<Frame>> {
        let code = f.code;
        let nparams = code.arg_count as usize;
        let nkwonly = code.kwonly_count as usize;
        let has_varargs = code.flags & CO_VARARGS != 0;
        let has_varkw = code.flags & CO_VARKEYWORDS != 0;
        let mut nf = self.new_frame(code, f.module);
        if f.code_mortal {
            nf.code_owner = Some(f.code_obj.clone());
        }
        let mut values = std::mem::take(&mut nf.values);
        values.resize(code.nlocals(), Value::Null);
        let Args { pos, kw } = args;
        let npos = pos.len();
        let mut pos = pos.into_iter();
        for slot in values.iter_mut().take(nparams.min(npos)) {
            *slot = pos.next().unwrap_or(Value::Null);
        }
        let mut idx = nparams + nkwonly;
        if has_varargs {
            values[idx] = Value::tuple(pos.collect());
            idx += 1;
        } else if npos > nparams {
            drop(pos);
            let given_kwonly = kw
                .iter()
                .filter(|(k, _)| code.varnames[nparams..nparams + nkwonly].iter().any(|v| name_eq(v, k)))
                .count();
            self.release_values(values);
            return Err(self.too_many_positional(f, npos, given_kwonly));
        }
        let kwargs = if has_varkw {
            let d = Value::new(Object::Dict(DictObj::new(DictData::new())));
            values[idx] = d.clone();
            Some(d)
        } else {
            None
        };
        // Positional-only parameters passed by keyword are reported all together.
        if kwargs.is_none() && code.posonly_count > 0 {
            let posonly = &code.varnames[..code.posonly_count as usize];
            let bad: Vec<&str> =
                kw.iter().filter(|(k, _)| posonly.iter().any(|p| name_eq(p, k))).map(|(k, _)| k.str_text()).collect();
            if !bad.is_empty() {
                let msg = format!(
                    "{}() got some positional-only arguments passed as keyword arguments: '{}'",
                    f.qualname,
                    bad.join(", ")
                );
                self.release_values(values);
                return Err(self.error(Exc::TypeError, &msg));
            }
        }
        for (name, v) in kw {
            let found = code.varnames[..nparams + nkwonly].iter().position(|p| name_eq(p, &name));
            match found {
                Some(j) if j >= code.posonly_count as usize => {
                    if !values[j].is_null() {
                        self.release_values(values);
                        let msg = format!("{}() got multiple values for argument '{}'", f.qualname, name.str_text());
                        return Err(self.error(Exc::TypeError, &msg));
                    }
                    values[j] = v;
                }
                _ => match &kwargs {
                    Some(d) => self.dict_set(d, Value::Obj(name), v)?,
                    None => {
                        self.release_values(values);
                        let msg = if found.is_some() {
                            format!(
                                "{}() got some positional-only arguments passed as keyword arguments: '{}'",
                                f.qualname,
                                name.str_text()
                            )
                        } else {
                            format!("{}() got an unexpected keyword argument '{}'", f.qualname, name.str_text())
                        };
                        return Err(self.error(Exc::TypeError, &msg));
                    }
                },
            }
        }
        // Defaults and missing arguments.
        let ndefaults = f.defaults.len();
        let first_default = nparams - ndefaults.min(nparams);
        let mut missing = Vec::new();
        for (i, slot) in values.iter_mut().enumerate().take(nparams).skip(npos.min(nparams)) {
            if slot.is_null() {
                if i >= first_default {
                    *slot = f.defaults[i - first_default].clone();
                } else {
                    missing.push(code.varnames[i].str_text().to_string());
                }
            }
        }
        if !missing.is_empty() {
            self.release_values(values);
            return Err(self.missing_args(f, &missing, "positional"));
        }
        for (i, slot) in values.iter_mut().enumerate().take(nparams + nkwonly).skip(nparams) {
            if slot.is_null() {
                let name = &code.varnames[i];
                match f.kwdefaults.iter().find(|(k, _)| name_eq(k, name)) {
                    Some((_, v)) => *slot = v.clone(),
                    None => missing.push(name.str_text().to_string()),
                }
            }
        }
        if !missing.is_empty() {
            self.release_values(values);
            return Err(self.missing_args(f, &missing, "keyword-only"));
        }
        if !(f.closure.is_empty() && code.cellvars.is_empty()) {
            nf.cells = make_cells(code, &mut values, f.closure.clone());
        }
        nf.values = values;
        Ok(nf)
    }

    fn release_values(&mut self, mut values: Vec<Value>) {
        values.clear();
        drop(values);
    }

    fn too_many_positional(&mut self, f: &FunctionObj, given: usize, given_kwonly: usize) -> super::PyErr {
        let code = f.code;
        let n = code.arg_count as usize;
        let nd = f.defaults.len().min(n);
        let takes = if nd > 0 {
            format!("from {} to {} positional arguments", n - nd, n)
        } else {
            format!("{} positional argument{}", n, if n == 1 { "" } else { "s" })
        };
        let was = if given == 1 { "was" } else { "were" };
        let msg = if given_kwonly > 0 {
            format!(
                "{}() takes {} but {} positional argument{} (and {} keyword-only argument{}) were given",
                f.qualname,
                takes,
                given,
                if given == 1 { "" } else { "s" },
                given_kwonly,
                if given_kwonly == 1 { "" } else { "s" }
            )
        } else {
            format!("{}() takes {} but {} {} given", f.qualname, takes, given, was)
        };
        self.error(Exc::TypeError, &msg)
    }

    fn missing_args(&mut self, f: &FunctionObj, missing: &[String], kind: &str) -> super::PyErr {
        let quoted: Vec<String> = missing.iter().map(|m| format!("'{m}'")).collect();
        let list = match quoted.len() {
            1 => quoted[0].clone(),
            2 => format!("{} and {}", quoted[0], quoted[1]),
            n => format!("{}, and {}", quoted[..n - 1].join(", "), quoted[n - 1]),
        };
        let msg = format!(
            "{}() missing {} required {} argument{}: {}",
            f.qualname,
            missing.len(),
            kind,
            if missing.len() == 1 { "" } else { "s" },
            list
        );
        self.error(Exc::TypeError, &msg)
    }

    /// `MakeFunction`: builds a function object from a code constant and the defaults,
    /// keyword defaults and closure cells on the stack.
    pub(crate) fn make_function(&mut self, frame: &mut Frame, ci: usize, flags: u32) -> PyResult<Value> {
        let code_obj = match &frame.code.consts[ci] {
            Value::Obj(o) if matches!(&**o, Object::Code(_)) => o.clone(),
            _ => return Err(self.error(Exc::SystemError, "MakeFunction without code")),
        };
        // SAFETY: the function keeps `code_obj`, the owner of `code`, for its whole
        // life (value/code.rs).
        let code = unsafe { crate::value::code::code_static(&code_obj) }.expect("a code object");
        let closure = if flags & 4 != 0 {
            let t = frame.pop();
            t.as_tuple().map(|t| t.items().iter().filter_map(|c| c.as_objref().cloned()).collect()).unwrap_or_default()
        } else {
            Vec::new()
        };
        let kwdefaults = if flags & 2 != 0 {
            let d = frame.pop();
            d.as_dict()
                .map(|d| {
                    d.lock().items().into_iter().filter_map(|(k, v)| k.as_objref().map(|k| (k.clone(), v))).collect()
                })
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        let defaults = if flags & 1 != 0 {
            let t = frame.pop();
            t.as_tuple().map(|t| t.items().to_vec()).unwrap_or_default()
        } else {
            Vec::new()
        };
        let doc = match code.consts.first() {
            Some(v @ Value::Obj(o))
                if matches!(&**o, Object::Str(_)) && code.flags & crate::bytecode::CO_HAS_DOC != 0 =>
            {
                v.clone()
            }
            _ => Value::None,
        };
        let code_mortal = !code_obj.is_immortal();
        let f = FunctionObj {
            code,
            code_obj,
            code_mortal,
            module: frame.module,
            name: code.name_obj.clone(),
            qualname: &code.qualname,
            defaults,
            kwdefaults,
            closure,
            dict: parking_lot::Mutex::new(None),
            doc,
        };
        let f_code_immortal = !f.code_mortal;
        let r = ObjRef::new(Object::Function(Box::new(f)));
        // Functions defined at module level (or in a module-level class body) are read
        // by every thread on every call: never count them. Those of code compiled at run
        // time stay mortal, so that the code can be freed with them.
        if frame.code.flags & CO_TOPLEVEL != 0 && code.name != "<lambda>" && f_code_immortal {
            r.make_immortal();
        }
        Ok(Value::Obj(r))
    }

    /// Arguments for `f(*args, **kwargs)`.
    /// How CPython names a callable in call errors (`_PyObject_FunctionStr`):
    /// `__main__.f()`, `__main__.C.m()`, `print()`.
    pub(crate) fn function_str(&mut self, f: &Value) -> String {
        match f.obj() {
            Some(Object::Function(func)) => {
                if func.module.name == "builtins" {
                    format!("{}()", func.qualname)
                } else {
                    format!("{}.{}()", func.module.name, func.qualname)
                }
            }
            Some(Object::Builtin(b)) => format!("{}()", b.qualname),
            Some(Object::BoundMethod(m)) => {
                let inner = m.func.clone();
                self.function_str(&inner)
            }
            Some(Object::Class(c)) => {
                if c.module == "builtins" {
                    format!("{}()", c.qualname)
                } else {
                    format!("{}.{}()", c.module, c.qualname)
                }
            }
            _ => format!("{} object", self.type_name(f)),
        }
    }

    /// The arguments of `f(*args, **kwargs)` (CallEx): `args` is a tuple built by the
    /// caller or, for a lone `*iterable`, the iterable itself.
    pub(crate) fn args_from_ex(&mut self, func: &Value, args: &Value, kwargs: Option<&Value>) -> PyResult<Args> {
        let mut a = Args::default();
        match args.as_tuple() {
            Some(t) => a.pos.extend(t.items().iter().cloned()),
            None => {
                if !self.is_iterable(args) {
                    let msg = format!(
                        "{} argument after * must be an iterable, not {}",
                        self.function_str(func),
                        self.type_name(args)
                    );
                    return Err(self.type_error(&msg));
                }
                a.pos.extend(self.collect(args)?)
            }
        }
        if let Some(kw) = kwargs {
            let items = match kw.unwrap_base().as_dict() {
                Some(d) => d.lock().items(),
                None => {
                    let msg = format!(
                        "{} argument after ** must be a mapping, not {}",
                        self.function_str(func),
                        self.type_name(kw)
                    );
                    return Err(self.type_error(&msg));
                }
            };
            for (k, v) in items {
                match k.as_objref() {
                    Some(o) if matches!(&**o, Object::Str(_)) => {
                        a.kw.push((crate::value::str::intern(o.str_text()), v))
                    }
                    _ => return Err(self.error(Exc::TypeError, "keywords must be strings")),
                }
            }
        }
        Ok(a)
    }
}

/// True when calls of `code` bind positional arguments one to one: no `*args`,
/// `**kwargs` or keyword-only parameters, and not a generator or coroutine body.
#[inline(always)]
pub(crate) fn is_simple_code(code: &crate::bytecode::Code) -> bool {
    code.flags & (CO_VARARGS | CO_VARKEYWORDS | CO_GENERATOR | CO_COROUTINE) == 0 && code.kwonly_count == 0
}

/// Parameter name comparison: interned names compare by pointer, others by text.
#[inline]
fn name_eq(a: &ObjRef, b: &ObjRef) -> bool {
    crate::value::str::str_obj_eq(a, b)
}

/// The cells of a new frame: fresh cells for `code.cellvars` (parameters among them
/// take the argument's value), then the closure's cells for `code.freevars`.
fn make_cells(code: &crate::bytecode::Code, values: &mut [Value], closure: Vec<ObjRef>) -> Vec<ObjRef> {
    let mut cells = Vec::with_capacity(code.ncells());
    for _ in 0..code.cellvars.len() {
        cells.push(ObjRef::new(Object::Cell(Slot::new(Value::Null))));
    }
    for &(ci, li) in &code.cell_params {
        let v = std::mem::replace(&mut values[li as usize], Value::Null);
        if let Object::Cell(s) = &*cells[ci as usize] {
            s.set(v);
        }
    }
    cells.extend(closure);
    cells
}
