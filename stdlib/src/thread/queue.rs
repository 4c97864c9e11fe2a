//! The native FIFO queue behind `queue.Queue` (and the builtin `Queue`).
//!
//! One mutex guards the items and counters; `put`/`get` are one native call each
//! and wait through the blocking layer on `not_full` / `not_empty`. The mutex is never
//! held while script code runs (items are only moved, never compared), so FIFO order
//! needs no script-level locking. LIFO and priority queues stay in conc
//! (`stdlib/lib/queue.conc`), since a heap compares items with script code.
//!
//! Those, and every script class derived from Queue, keep CPython's structure (a
//! `mutex`, three conditions, `unfinished_tasks`, and the `_init`/`_qsize`/`_put`/
//! `_get` hooks): the native methods hand an instance of a derived class to conc's
//! implementation registered by queue.conc (`_set_queue_subclass_impl`), so a
//! subclass's hooks and its `super().put(...)` see one and the same queue.

use crate::util::{arg_timeout, self_native, self_native_in};
use conc_interpreter::blocking::WaitQueue;
use conc_interpreter::interp::{add_fast_methods, add_methods, native, new_class, set_class_attr, types};
use conc_interpreter::native::Exc;
use conc_interpreter::value::class::BaseKind;
use conc_interpreter::value::function::PropertyObj;
use conc_interpreter::value::instance::InstanceObj;
use conc_interpreter::{Args, ObjRef, Object, PyResult, Value, Vm};
use parking_lot::Mutex;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

struct State {
    items: VecDeque<Value>,
    maxsize: i64,
    unfinished: i64,
    /// Getters blocked in `get`: `_put_wakes_idle` tells whether one of them is free
    /// to take the new item (the executor's way to know it needs no new worker).
    waiting: i64,
}

pub struct QueueData {
    state: Mutex<State>,
    /// `items.len()`, kept in step under `state`'s lock, for waiters that watch the
    /// queue without holding the lock before they park.
    len: AtomicUsize,
    /// `maxsize`, likewise.
    max: AtomicI64,
    not_empty: WaitQueue,
    not_full: WaitQueue,
    all_done: WaitQueue,
}

pub fn class() -> &'static ObjRef {
    static C: OnceLock<ObjRef> = OnceLock::new();
    C.get_or_init(|| {
        // Instances are ordinary instances with a native payload, so script classes can
        // derive from Queue (`__new__` gives subclasses the payload too).
        let c = new_class("Queue", "queue", vec![types().object.clone()], BaseKind::Object, false, Default::default());
        add_fast_methods(&c, &[("put", Some(q_put), q_put_fast), ("get", Some(q_get), q_get_fast)]);
        let maxsize = Value::new(Object::Property(PropertyObj {
            fget: native("maxsize", "Queue.maxsize", q_maxsize_get),
            fset: native("maxsize", "Queue.maxsize", q_maxsize_set),
            fdel: Value::None,
            doc: Value::None,
        }));
        set_class_attr(&c, "maxsize", maxsize);
        add_methods(
            &c,
            &[
                ("__new__", q_new),
                ("__init__", q_init),
                ("put_nowait", q_put_nowait),
                ("_put_wakes_idle", q_put_wakes_idle),
                ("get_nowait", q_get_nowait),
                ("qsize", q_qsize),
                ("empty", q_empty),
                ("full", q_full),
                ("task_done", q_task_done),
                ("join", q_join),
            ],
        );
        c
    })
}

/// The exception classes `queue.Empty` / `queue.Full` (set by the queue module).
static EMPTY: OnceLock<Value> = OnceLock::new();
static FULL: OnceLock<Value> = OnceLock::new();
/// The namespace whose functions serve instances of classes derived from Queue.
static SUBCLASS_IMPL: OnceLock<Value> = OnceLock::new();

/// For an instance of a class derived from Queue: conc's method `name` to run
/// instead of the native one (see the module comment).
fn subclass_method(vm: &mut Vm, this: &[Value], name: &str) -> Option<Value> {
    let inst = this.first()?.as_instance()?;
    if inst.class.ptr_eq(class()) {
        return None;
    }
    let ns = SUBCLASS_IMPL.get()?.clone();
    vm.get_attr(&ns, &conc_interpreter::value::str::intern(name)).ok()
}

/// Runs conc's `name` for a derived-class instance (`return`s from the caller).
macro_rules! for_subclass {
    ($vm:expr, $args:expr, $name:expr) => {
        if let Some(f) = subclass_method($vm, &$args.pos, $name) {
            return $vm.call(&f, $args);
        }
    };
}

/// `_thread._set_queue_subclass_impl(ns)`: queue.conc hands over the namespace.
pub fn set_subclass_impl(_vm: &mut Vm, args: Args) -> PyResult<Value> {
    if let Some(ns) = args.pos.first() {
        let _ = SUBCLASS_IMPL.set(ns.clone());
    }
    Ok(Value::None)
}

fn q_new(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let cls = match args.pos.first().and_then(|c| c.as_objref()) {
        Some(c) if matches!(&**c, Object::Class(_)) => c.clone(),
        _ => return Err(vm.type_error("Queue.__new__(X): X is not a type object")),
    };
    let data = QueueData {
        state: Mutex::new(State { items: VecDeque::new(), maxsize: 0, unfinished: 0, waiting: 0 }),
        len: AtomicUsize::new(0),
        max: AtomicI64::new(0),
        not_empty: WaitQueue::new(),
        not_full: WaitQueue::new(),
        all_done: WaitQueue::new(),
    };
    Ok(Value::new(Object::Instance(InstanceObj::with_native(cls, Box::new(data)))))
}

fn q_init(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    for_subclass!(vm, args, "__init__");
    let maxsize = match args.take(1, "maxsize") {
        Some(v) => vm.index_value(&v)?,
        None => 0,
    };
    let q: &QueueData = self_native(vm, &args, "Queue")?;
    q.set_maxsize(maxsize);
    Ok(Value::None)
}

impl QueueData {
    fn set_maxsize(&self, maxsize: i64) {
        let mut g = self.state.lock();
        g.maxsize = maxsize;
        self.max.store(maxsize, Ordering::Relaxed);
        // A larger bound may let blocked putters in.
        self.not_full.notify_all();
    }

    /// Appends under the lock (held by the caller as `g`).
    fn push(&self, g: &mut State, item: Value) {
        g.items.push_back(item);
        g.unfinished += 1;
        self.len.store(g.items.len(), Ordering::Release);
        self.not_empty.notify_one();
    }
}

/// `maxsize` is a property over the native bound rather than an instance attribute:
/// an instance without attributes lets method calls skip the attribute lock, which
/// producer and consumer threads would otherwise both take on every call.
fn q_maxsize_get(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let q: &QueueData = self_native(vm, &args, "Queue")?;
    Ok(Value::Int(q.state.lock().maxsize))
}

fn q_maxsize_set(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let v = args.pos.get(1).cloned().unwrap_or(Value::Int(0));
    let n = vm.index_value(&v)?;
    let q: &QueueData = self_native(vm, &args, "Queue")?;
    q.set_maxsize(n);
    Ok(Value::None)
}

/// How long a putter or getter watches the queue before it parks (see
/// `condition::SPIN_BEFORE_PARK`): a producer and a consumer on two cores usually
/// unblock each other within microseconds.
const SPIN_BEFORE_PARK: Duration = Duration::from_micros(50);

/// Watches `ready()` before parking, for at most `SPIN_BEFORE_PARK` (or `timeout`).
fn spin(timeout: Option<Duration>, ready: impl Fn() -> bool) -> bool {
    let budget = match timeout {
        Some(t) if t < SPIN_BEFORE_PARK => t,
        _ => SPIN_BEFORE_PARK,
    };
    conc_interpreter::blocking::spin_for(budget, ready)
}

fn raise_named(vm: &mut Vm, which: &OnceLock<Value>, fallback: Exc) -> conc_interpreter::PyErr {
    match which.get() {
        Some(cls) => {
            let c = cls.as_objref().cloned().expect("exception class");
            vm.new_exception(&c, vec![])
        }
        None => vm.error(fallback, ""),
    }
}

fn block_args(vm: &mut Vm, args: &mut Args, first: usize) -> PyResult<(bool, Option<Duration>)> {
    let block = match args.take(first, "block") {
        Some(b) => vm.truthy(&b)?,
        None => true,
    };
    let timeout = match args.take(first + 1, "timeout") {
        // A call that may not block ignores its timeout, as CPython's does.
        Some(Value::None) | None => None,
        Some(_) if !block => None,
        Some(t) => {
            let negative = matches!(t, Value::Int(i) if i < 0) || matches!(t, Value::Float(f) if f < 0.0);
            if negative {
                return Err(vm.value_error("'timeout' must be a non-negative number"));
            }
            arg_timeout(vm, &t, false)?
        }
    };
    Ok((block, timeout))
}

fn put_impl(vm: &mut Vm, this: &[Value], item: Value, block: bool, timeout: Option<Duration>) -> PyResult<Value> {
    let q: &QueueData = self_native_in(vm, this, "Queue")?;
    let mut g = q.state.lock();
    if g.maxsize > 0 && g.items.len() as i64 >= g.maxsize {
        if !block {
            drop(g);
            return Err(raise_named(vm, &FULL, Exc::RuntimeError));
        }
        drop(g);
        spin(timeout, || (q.len.load(Ordering::Acquire) as i64) < q.max.load(Ordering::Relaxed));
        g = q.state.lock();
        if g.maxsize > 0 && g.items.len() as i64 >= g.maxsize {
            let r = vm.block_on(&mut g, &q.not_full, timeout, &|| "Queue.put".to_string(), |s| {
                if s.maxsize <= 0 || (s.items.len() as i64) < s.maxsize {
                    Some(())
                } else {
                    None
                }
            })?;
            if r.is_none() {
                drop(g);
                return Err(raise_named(vm, &FULL, Exc::RuntimeError));
            }
        }
    }
    q.push(&mut g, item);
    Ok(Value::None)
}

fn get_impl(vm: &mut Vm, this: &[Value], block: bool, timeout: Option<Duration>) -> PyResult<Value> {
    let q: &QueueData = self_native_in(vm, this, "Queue")?;
    let mut g = q.state.lock();
    if g.items.is_empty() {
        if !block {
            drop(g);
            return Err(raise_named(vm, &EMPTY, Exc::RuntimeError));
        }
        drop(g);
        spin(timeout, || q.len.load(Ordering::Acquire) > 0);
        g = q.state.lock();
        if g.items.is_empty() {
            g.waiting += 1;
            let r = vm.block_on(&mut g, &q.not_empty, timeout, &|| "Queue.get".to_string(), |s| {
                if s.items.is_empty() {
                    None
                } else {
                    Some(())
                }
            });
            g.waiting -= 1;
            if r?.is_none() {
                drop(g);
                return Err(raise_named(vm, &EMPTY, Exc::RuntimeError));
            }
        }
    }
    let item = g.items.pop_front().unwrap_or(Value::None);
    q.len.store(g.items.len(), Ordering::Release);
    if g.maxsize > 0 {
        q.not_full.notify_one();
    }
    Ok(item)
}

fn q_put(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    for_subclass!(vm, args, "put");
    let item = match args.take(1, "item") {
        Some(v) => v,
        None => return Err(vm.type_error("Queue.put() missing 1 required positional argument: 'item'")),
    };
    // An unbounded queue never blocks a put: CPython does not even look at the options.
    let unbounded = self_native::<QueueData>(vm, &args, "Queue")?.max.load(Ordering::Relaxed) <= 0;
    let (block, timeout) = if !unbounded && (args.pos.len() > 2 || !args.kw.is_empty()) {
        block_args(vm, &mut args, 2)?
    } else {
        (true, None)
    };
    put_impl(vm, &args.pos, item, block, timeout)
}

/// `put(item)` without options, read in place.
fn q_put_fast(vm: &mut Vm, a: &[Value]) -> PyResult<Value> {
    if a.len() != 2 || subclass_method(vm, a, "put").is_some() {
        return q_put(vm, Args::new(a.iter().cloned()));
    }
    put_impl(vm, a, a[1].clone(), true, None)
}

/// `_put_wakes_idle(item)`: puts `item` (unbounded queues only) and returns whether a
/// getter already blocked will take it, i.e. more getters wait than the items queued
/// before this one. ThreadPoolExecutor.submit starts a worker only when none will.
fn q_put_wakes_idle(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let item = match args.take(1, "item") {
        Some(v) => v,
        None => return Err(vm.type_error("_put_wakes_idle() missing 1 required positional argument: 'item'")),
    };
    let q: &QueueData = self_native(vm, &args, "Queue")?;
    let mut g = q.state.lock();
    let idle = g.waiting > g.items.len() as i64;
    q.push(&mut g, item);
    Ok(Value::Bool(idle))
}

fn q_put_nowait(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    for_subclass!(vm, args, "put_nowait");
    let item = match args.take(1, "item") {
        Some(v) => v,
        None => return Err(vm.type_error("Queue.put_nowait() missing 1 required positional argument: 'item'")),
    };
    put_impl(vm, &args.pos, item, false, None)
}

fn q_get(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    for_subclass!(vm, args, "get");
    let (block, timeout) =
        if args.pos.len() > 1 || !args.kw.is_empty() { block_args(vm, &mut args, 1)? } else { (true, None) };
    get_impl(vm, &args.pos, block, timeout)
}

/// `get()` without options, read in place.
fn q_get_fast(vm: &mut Vm, a: &[Value]) -> PyResult<Value> {
    if a.len() != 1 || subclass_method(vm, a, "get").is_some() {
        return q_get(vm, Args::new(a.iter().cloned()));
    }
    get_impl(vm, a, true, None)
}

fn q_get_nowait(vm: &mut Vm, args: Args) -> PyResult<Value> {
    for_subclass!(vm, args, "get_nowait");
    get_impl(vm, &args.pos, false, None)
}

fn q_qsize(vm: &mut Vm, args: Args) -> PyResult<Value> {
    for_subclass!(vm, args, "qsize");
    let q: &QueueData = self_native(vm, &args, "Queue")?;
    Ok(Value::Int(q.state.lock().items.len() as i64))
}

fn q_empty(vm: &mut Vm, args: Args) -> PyResult<Value> {
    for_subclass!(vm, args, "empty");
    let q: &QueueData = self_native(vm, &args, "Queue")?;
    Ok(Value::Bool(q.state.lock().items.is_empty()))
}

fn q_full(vm: &mut Vm, args: Args) -> PyResult<Value> {
    for_subclass!(vm, args, "full");
    let q: &QueueData = self_native(vm, &args, "Queue")?;
    let g = q.state.lock();
    Ok(Value::Bool(g.maxsize > 0 && g.items.len() as i64 >= g.maxsize))
}

fn q_task_done(vm: &mut Vm, args: Args) -> PyResult<Value> {
    for_subclass!(vm, args, "task_done");
    let q: &QueueData = self_native(vm, &args, "Queue")?;
    let mut g = q.state.lock();
    if g.unfinished <= 0 {
        drop(g);
        return Err(vm.value_error("task_done() called too many times"));
    }
    g.unfinished -= 1;
    if g.unfinished == 0 {
        q.all_done.notify_all();
    }
    Ok(Value::None)
}

fn q_join(vm: &mut Vm, args: Args) -> PyResult<Value> {
    for_subclass!(vm, args, "join");
    let q: &QueueData = self_native(vm, &args, "Queue")?;
    let mut g = q.state.lock();
    vm.block_on(&mut g, &q.all_done, None, &|| "Queue.join".to_string(), |s| {
        if s.unfinished == 0 {
            Some(())
        } else {
            None
        }
    })?;
    Ok(Value::None)
}

/// `_queue._set_exceptions(Empty, Full)`: the queue module hands over its classes.
pub fn set_exceptions(_vm: &mut Vm, args: Args) -> PyResult<Value> {
    if let Some(e) = args.pos.first() {
        let _ = EMPTY.set(e.clone());
    }
    if let Some(f) = args.pos.get(1) {
        let _ = FULL.set(f.clone());
    }
    Ok(Value::None)
}
