//! Exceptions: creating them, chaining, tracebacks, and printing them as CPython does.

use super::frame::Frame;
use super::{Args, PyErr, PyResult, Vm};
use crate::bytecode::Code;
use crate::native::Exc;
use crate::value::instance::InstanceObj;
use crate::value::{ObjRef, Object, Value};
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// One traceback entry: a code object, its module and the instruction that was
/// running (the same data a frame view shows, `vm/frames.rs`).
pub type TbEntry = super::frames::FrameEntry;

/// The native payload of every exception instance.
pub struct ExcData {
    pub args: Mutex<Value>,
    /// Innermost entry first (the order in which frames were unwound).
    pub traceback: Mutex<Vec<TbEntry>>,
    pub cause: Mutex<Value>,
    pub context: Mutex<Value>,
    pub suppress_context: AtomicBool,
    /// Set by a re-raise: the next traceback entry (the re-raising frame, already
    /// recorded) is skipped.
    pub reraised: AtomicBool,
}

impl ExcData {
    pub fn new(args: Value) -> ExcData {
        ExcData {
            args: Mutex::new(args),
            traceback: Mutex::new(Vec::new()),
            cause: Mutex::new(Value::None),
            context: Mutex::new(Value::None),
            suppress_context: AtomicBool::new(false),
            reraised: AtomicBool::new(false),
        }
    }
}

/// The exception data of an exception instance.
pub fn exc_data(v: &Value) -> Option<&ExcData> {
    v.as_instance().and_then(|i| i.native::<ExcData>())
}

/// `Type: message` without running script code (for debugging output).
pub fn exc_summary(v: &Value) -> String {
    let name = v.as_instance().map(|i| i.class.class_name().to_string()).unwrap_or_else(|| "?".into());
    let args = exc_data(v).map(|d| d.args.lock().clone());
    match args.as_ref().and_then(|a| a.as_tuple()).and_then(|t| t.items().first().cloned()) {
        Some(a) => match a.as_str() {
            Some(s) => format!("{name}: {}", s.as_str()),
            None => name,
        },
        None => name,
    }
}

impl ObjRef {
    /// The `__name__` of a class object ("?" for other objects).
    pub fn class_name(&self) -> &str {
        match &**self {
            Object::Class(c) => &c.name,
            _ => "?",
        }
    }
}

impl Vm {
    /// A new exception of a built-in class with one message argument.
    pub fn error(&mut self, kind: Exc, msg: &str) -> PyErr {
        PyErr { exc: new_exception(kind.class(), vec![Value::str(msg)]) }
    }

    /// A new exception of class `cls` with the given arguments.
    pub fn new_exception(&mut self, cls: &ObjRef, args: Vec<Value>) -> PyErr {
        PyErr { exc: new_exception(cls, args) }
    }

    pub fn type_error(&mut self, msg: &str) -> PyErr {
        self.error(Exc::TypeError, msg)
    }

    pub fn value_error(&mut self, msg: &str) -> PyErr {
        self.error(Exc::ValueError, msg)
    }

    /// `name 'x' is not defined`, with the exception's `name` attribute set (which
    /// "Did you mean" reads), as CPython's.
    pub(crate) fn name_error(&mut self, msg: &str, name: &str) -> PyErr {
        let e = self.error(Exc::NameError, msg);
        if let Some(i) = e.exc.as_instance() {
            let key = crate::value::str::intern("name");
            i.attrs().set_simple(crate::value::class::name_hash(&key), Value::Obj(key), Value::str(name));
        }
        e
    }

    pub(crate) fn unbound_local(&mut self, name: &str) -> PyErr {
        let msg = format!("cannot access local variable '{name}' where it is not associated with a value");
        self.error(Exc::UnboundLocalError, &msg)
    }

    pub(crate) fn unbound_deref(&mut self, code: &Code, i: usize) -> PyErr {
        let ncell = code.cellvars.len();
        if i < ncell {
            let name = code.cellvars[i].str_text().to_string();
            self.unbound_local(&name)
        } else {
            let name = code.freevars[i - ncell].str_text();
            let msg = format!(
                "cannot access free variable '{name}' where it is not associated with a value in enclosing scope"
            );
            let name = name.to_string();
            self.name_error(&msg, &name)
        }
    }

    /// Records `frame` in the traceback of the exception being unwound, and chains
    /// the exception being handled as its context when it is freshly raised.
    pub(crate) fn add_traceback(&mut self, err: &PyErr, frame: &Frame) {
        let Some(data) = exc_data(&err.exc) else {
            return;
        };
        if data.reraised.swap(false, Ordering::Relaxed) {
            return;
        }
        let fresh = {
            let mut tb = data.traceback.lock();
            let fresh = tb.is_empty();
            tb.push(TbEntry {
                code: frame.code,
                owner: frame.code_owner.clone(),
                module: frame.module,
                ip: frame.ip.saturating_sub(1) as u32,
            });
            fresh
        };
        if fresh {
            if let Some(ctx) = self.current_exception(frame) {
                set_context(&err.exc, ctx);
            }
        }
    }

    /// The exception being handled in `frame` or its callers, if any.
    pub fn current_exception(&self, frame: &Frame) -> Option<Value> {
        if let Some(e) = frame.exc_stack.last() {
            return Some(e.clone());
        }
        if let Some(e) = self.frames.iter().rev().find_map(|f| f.exc_stack.last().cloned()) {
            return Some(e);
        }
        // Frames of enclosing loops that called into Rust code (e.g. a `with` block's
        // `__exit__` running while the block's exception is handled).
        self.outer_frames.iter().rev().find_map(|&(f, _)| {
            // SAFETY: `run_frame_with` pushes the `caller` it found (non-null: a live
            // frame this thread owns, see `Vm::caller`) before running a nested loop
            // and pops it when that loop ends. The frame belongs to a loop further
            // down this thread's Rust stack, which is blocked in the native call that
            // started the nested loop, so the frame is alive and nothing writes it
            // while we read it here.
            let f = unsafe { &*f };
            f.exc_stack.last().cloned()
        })
    }

    pub(crate) fn mark_reraise(&mut self, exc: &Value) {
        if let Some(d) = exc_data(exc) {
            d.reraised.store(true, Ordering::Relaxed);
        }
    }

    /// A bare `raise`: re-raises the exception being handled.
    pub(crate) fn reraise_current(&mut self, frame: &Frame) -> PyErr {
        match self.current_exception(frame) {
            Some(e) => PyErr { exc: e },
            None => self.error(Exc::RuntimeError, "No active exception to reraise"),
        }
    }

    /// `raise exc [from cause]`: instantiates a class, checks the type, sets the cause.
    pub(crate) fn make_raise(&mut self, exc: Value, cause: Option<Value>) -> PyErr {
        let exc = match self.exception_from(exc) {
            Ok(e) => e,
            Err(e) => return e,
        };
        if let Some(cause) = cause {
            let cause = if cause.is_none() {
                Value::None
            } else {
                match self.exception_from(cause) {
                    Ok(c) => c,
                    Err(_) => return self.error(Exc::TypeError, "exception causes must derive from BaseException"),
                }
            };
            if let Some(d) = exc_data(&exc) {
                *d.cause.lock() = cause;
                d.suppress_context.store(true, Ordering::Relaxed);
            }
        }
        PyErr { exc }
    }

    /// An exception instance from a raised value (a class is instantiated).
    fn exception_from(&mut self, v: Value) -> PyResult<Value> {
        let base = Exc::BaseException.class().clone();
        if let Some(Object::Class(_)) = v.obj() {
            let cls = v.as_objref().unwrap().clone();
            if crate::value::class::is_subclass(&cls, &base) {
                return self.call(&v, Args::default());
            }
        } else if exc_data(&v).is_some() {
            return Ok(v);
        }
        Err(self.error(Exc::TypeError, "exceptions must derive from BaseException"))
    }

    /// `except T:` matching: T is a class or a tuple of classes.
    pub(crate) fn exception_matches(&mut self, exc: &Value, typ: &Value) -> PyResult<bool> {
        let cls = self.class_of(exc);
        match typ.obj() {
            Some(Object::Class(_)) => Ok(crate::value::class::is_subclass(&cls, typ.as_objref().unwrap())),
            Some(Object::Tuple(t)) => {
                for item in t.items() {
                    if self.exception_matches(exc, item)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            _ => {
                Err(self
                    .error(Exc::TypeError, "catching classes that do not inherit from BaseException is not allowed"))
            }
        }
    }

    /// A generator frame ended with `err`: StopIteration escaping a generator becomes
    /// RuntimeError (PEP 479).
    /// In an async generator, StopAsyncIteration is turned likewise.
    pub(crate) fn generator_error(&mut self, gen: &crate::value::ObjRef, err: PyErr) -> PyErr {
        use crate::value::generator::GenKind;
        let kind = match &**gen {
            Object::Generator(g) => g.kind,
            _ => GenKind::Generator,
        };
        let stop = Exc::StopIteration.class().clone();
        let stop_async = Exc::StopAsyncIteration.class().clone();
        let cls = self.class_of(&err.exc);
        let what = if crate::value::class::is_subclass(&cls, &stop) {
            Some("StopIteration")
        } else if kind == GenKind::AsyncGenerator && crate::value::class::is_subclass(&cls, &stop_async) {
            Some("StopAsyncIteration")
        } else {
            None
        };
        if let Some(what) = what {
            let msg = format!("{} raised {what}", kind_word(kind));
            let e = self.error(Exc::RuntimeError, &msg);
            if let Some(d) = exc_data(&e.exc) {
                *d.cause.lock() = err.exc.clone();
                *d.context.lock() = err.exc;
                d.suppress_context.store(true, Ordering::Relaxed);
            }
            return e;
        }
        err
    }

    /// `exc.__traceback__`: a traceback object headed by the outermost frame recorded
    /// so far (the one handling the exception, as in CPython), or None when the
    /// exception was never raised.
    pub fn traceback_value(&self, exc: &Value) -> Value {
        let Some(d) = exc_data(exc) else { return Value::None };
        let entries = d.traceback.lock().clone();
        super::frames::traceback_of(entries)
    }

    /// `str(exc)` for the last line of a traceback.
    pub fn exc_message(&mut self, exc: &Value) -> String {
        match self.str_of(exc) {
            Ok(s) => s,
            Err(_) => "<exception str() failed>".to_string(),
        }
    }

    /// `module.Type: message` (module omitted for builtins and `__main__`... as CPython);
    /// for a SyntaxError, the offending line with carets before it.
    pub fn exc_last_line(&mut self, exc: &Value) -> String {
        let cls = self.class_of(exc);
        let (name, module) = match &*cls {
            Object::Class(c) => (c.qualname.clone(), c.module.clone()),
            _ => ("?".into(), String::new()),
        };
        // CPython leaves out the module for builtins and for `__main__`.
        let full = if module == "builtins" || module == "__main__" || module.is_empty() {
            name
        } else {
            format!("{module}.{name}")
        };
        if let Some(report) = crate::builtins::syntax_error::report(self, exc, &full) {
            return report;
        }
        let msg = self.exc_message(exc);
        if msg.is_empty() {
            full
        } else {
            format!("{full}: {msg}")
        }
    }
}

/// Creates an exception instance of `cls` (which must derive from BaseException).
pub fn new_exception(cls: &ObjRef, args: Vec<Value>) -> Value {
    let inst = InstanceObj::with_native(cls.clone(), Box::new(ExcData::new(Value::tuple(args.clone()))));
    let v = Value::new(Object::Instance(inst));
    crate::builtins::exceptions::init_special_attrs(&v, cls, &args);
    v
}

/// Sets `exc.__context__ = ctx` unless that would make a cycle.
fn set_context(exc: &Value, ctx: Value) {
    if exc.is(&ctx) {
        return;
    }
    // Break a cycle: if exc already appears in ctx's context chain, cut it there.
    let mut cur = ctx.clone();
    for _ in 0..100 {
        let next = match exc_data(&cur) {
            Some(d) => d.context.lock().clone(),
            None => break,
        };
        if next.is(exc) {
            if let Some(d) = exc_data(&cur) {
                *d.context.lock() = Value::None;
            }
            break;
        }
        if next.is_none() {
            break;
        }
        cur = next;
    }
    if let Some(d) = exc_data(exc) {
        let mut c = d.context.lock();
        if c.is_none() {
            *c = ctx;
        }
    }
}

/// How messages name a generator of each kind.
pub(crate) fn kind_word(kind: crate::value::generator::GenKind) -> &'static str {
    use crate::value::generator::GenKind;
    match kind {
        GenKind::Generator => "generator",
        GenKind::Coroutine => "coroutine",
        GenKind::AsyncGenerator => "async generator",
    }
}
