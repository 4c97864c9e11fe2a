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

use super::Nanos;
use conc_interpreter::blocking::WaitQueue;
use conc_interpreter::native::{native, Exc, KwArgs, NativeClass, NativePayload, Property};
use conc_interpreter::operator::CmpOp;
use conc_interpreter::vm::frames::FrameEntry;
use conc_interpreter::{Args, ObjRef, PyResult, Value, Vm};
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
    /// Where the script made it (deadlock reports).
    pub site: Option<FrameEntry>,
}

impl NativePayload for QueueData {
    const CLASS: &'static NativeClass = &QUEUE;
}

/// `queue.Queue`. Instances are ordinary instances with a native payload, so script
/// classes can derive from it (`__new__` gives subclasses the payload too). CPython's
/// Queue is written in Python: argument errors are worded as a Python function's.
pub static QUEUE: NativeClass = NativeClass {
    name: "Queue",
    module: "queue",
    doc: "Create a queue object with a given maximum size.\n\n\
          If maxsize is <= 0, the queue size is infinite.",
    methods: &[
        &q_new::DEF,
        &q_init::DEF,
        &put::DEF,
        &get::DEF,
        &put_nowait::DEF,
        &_put_wakes_idle::DEF,
        &get_nowait::DEF,
        &qsize::DEF,
        &empty::DEF,
        &full::DEF,
        &task_done::DEF,
        &join::DEF,
    ],
    // `maxsize` is a property over the native bound rather than an instance attribute:
    // an instance without attributes lets method calls skip the attribute lock, which
    // producer and consumer threads would otherwise both take on every call.
    properties: &[Property { name: "maxsize", get: &maxsize_get::DEF, set: Some(&maxsize_set::DEF) }],
    subclassable: true,
    ..NativeClass::DEFAULT
};

/// The exception classes `queue.Empty` / `queue.Full` (set by the queue module).
static EMPTY: OnceLock<Value> = OnceLock::new();
static FULL: OnceLock<Value> = OnceLock::new();
/// The namespace whose functions serve instances of classes derived from Queue.
static SUBCLASS_IMPL: OnceLock<Value> = OnceLock::new();

/// For an instance of a class derived from Queue: conc's method `name` to run
/// instead of the native one (see the module comment).
#[inline(always)]
fn subclass_method(vm: &mut Vm, this: &Value, name: &str) -> Option<Value> {
    let inst = this.as_instance()?;
    if inst.class.ptr_eq(QUEUE.class()) {
        return None;
    }
    derived_method(vm, name)
}

#[cold]
fn derived_method(vm: &mut Vm, name: &str) -> Option<Value> {
    let ns = SUBCLASS_IMPL.get()?.clone();
    vm.get_attr(&ns, &conc_interpreter::value::str::intern(name)).ok()
}

/// Runs conc's `name` for a derived-class instance with the arguments bound
/// (`return`s from the caller).
macro_rules! for_subclass {
    ($vm:expr, $this:expr, $name:expr $(, $arg:expr)*) => {
        if let Some(f) = subclass_method($vm, $this, $name) {
            return $vm.call(&f, Args::new([$this.clone() $(, $arg)*]));
        }
    };
}

/// `_thread._set_queue_subclass_impl(ns)`: queue.conc hands over the namespace.
#[native("_thread._set_queue_subclass_impl(namespace, /)")]
pub fn _set_queue_subclass_impl(_vm: &mut Vm, namespace: Value) -> PyResult<()> {
    let _ = SUBCLASS_IMPL.set(namespace);
    Ok(())
}

/// Create and return a new object.  See help(type) for accurate signature.
#[native("Queue.__new__($cls, *args, **kwargs)")]
fn q_new(vm: &mut Vm, cls: &ObjRef, args: &[Value], kwargs: KwArgs) -> PyResult<Value> {
    let _ = (args, kwargs);
    let data = QueueData {
        state: Mutex::new(State { items: VecDeque::new(), maxsize: 0, unfinished: 0, waiting: 0 }),
        len: AtomicUsize::new(0),
        max: AtomicI64::new(0),
        not_empty: WaitQueue::new(),
        not_full: WaitQueue::new(),
        all_done: WaitQueue::new(),
        site: vm.user_site(),
    };
    Ok(NativeClass::instance_of(cls, data))
}

/// Initialize self.  See help(type(self)) for accurate signature.
#[native("Queue.__init__($self, maxsize=0)", style = "python")]
fn q_init(vm: &mut Vm, this: (&Value, &QueueData), maxsize: Value) -> PyResult<Value> {
    for_subclass!(vm, this.0, "__init__", maxsize);
    let n = vm.index_value(&maxsize)?;
    this.1.set_maxsize(n);
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

#[native("Queue.maxsize($self)")]
fn maxsize_get(_vm: &mut Vm, this: &QueueData) -> PyResult<i64> {
    Ok(this.state.lock().maxsize)
}

#[native("Queue.maxsize($self, value, /)")]
fn maxsize_set(vm: &mut Vm, this: &QueueData, value: &Value) -> PyResult<()> {
    let n = vm.index_value(value)?;
    this.set_maxsize(n);
    Ok(())
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

/// CPython's check of a blocking put's or get's timeout, made before it looks at
/// the queue: `timeout < 0` is a ValueError (a TypeError for what does not compare).
fn check_timeout(vm: &mut Vm, timeout: &Value) -> PyResult<()> {
    let negative = match timeout {
        Value::None => false,
        Value::Int(i) => *i < 0,
        Value::Float(f) => *f < 0.0,
        t => {
            let r = vm.compare(t, &Value::Int(0), CmpOp::Lt)?;
            vm.truthy(&r)?
        }
    };
    if negative {
        return Err(vm.value_error("'timeout' must be a non-negative number"));
    }
    Ok(())
}

/// How long a put or get that must wait may wait (None: for ever), converted only
/// then, as CPython's `Condition.wait(endtime - time())` does: OverflowError past the
/// nanosecond clock; NaN waits for ever (CPython's loop never ends either).
fn patience(vm: &mut Vm, timeout: &Value) -> PyResult<Option<Duration>> {
    let secs = match timeout {
        Value::None => return Ok(None),
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        t => match vm.binary_op(Value::Float(0.0), t.clone(), conc_interpreter::operator::BinOp::Add)? {
            Value::Float(f) => f,
            Value::Int(i) => i as f64,
            _ => return Ok(None),
        },
    };
    if secs.is_nan() {
        return Ok(None);
    }
    Ok(Some(Nanos::of(vm, &Value::Float(secs))?.duration()))
}

fn put_impl(vm: &mut Vm, (me, q): (&Value, &QueueData), item: Value, block: bool, timeout: &Value) -> PyResult<()> {
    let mut g = q.state.lock();
    if g.maxsize > 0 && g.items.len() as i64 >= g.maxsize {
        if !block {
            drop(g);
            return Err(raise_named(vm, &FULL, Exc::RuntimeError));
        }
        drop(g);
        let timeout = patience(vm, timeout)?;
        spin(timeout, || (q.len.load(Ordering::Acquire) as i64) < q.max.load(Ordering::Relaxed));
        g = q.state.lock();
        if g.maxsize > 0 && g.items.len() as i64 >= g.maxsize {
            conc_interpreter::deadlock::wait_subject(me);
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
    Ok(())
}

fn get_impl(vm: &mut Vm, (me, q): (&Value, &QueueData), block: bool, timeout: &Value) -> PyResult<Value> {
    let mut g = q.state.lock();
    if g.items.is_empty() {
        if !block {
            drop(g);
            return Err(raise_named(vm, &EMPTY, Exc::RuntimeError));
        }
        drop(g);
        let timeout = patience(vm, timeout)?;
        spin(timeout, || q.len.load(Ordering::Acquire) > 0);
        g = q.state.lock();
        if g.items.is_empty() {
            g.waiting += 1;
            conc_interpreter::deadlock::wait_subject(me);
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

/// Put an item into the queue.
#[native("Queue.put($self, item, block=True, timeout=None)", style = "python")]
fn put(
    vm: &mut Vm,
    this: (&Value, &QueueData),
    item: Value,
    block: Option<&Value>,
    timeout: &Value,
) -> PyResult<Value> {
    let (v, q) = this;
    for_subclass!(vm, v, "put", item, block.cloned().unwrap_or(Value::Bool(true)), timeout.clone());
    // An unbounded queue never blocks a put: CPython does not even look at the options.
    if q.max.load(Ordering::Relaxed) <= 0 || (block.is_none() && timeout.is_none()) {
        put_impl(vm, this, item, true, &Value::None)?;
        return Ok(Value::None);
    }
    let block = match block {
        Some(b) => vm.truthy(b)?,
        None => true,
    };
    if block {
        check_timeout(vm, timeout)?;
    }
    put_impl(vm, this, item, block, timeout)?;
    Ok(Value::None)
}

/// Remove and return an item from the queue.
#[native("Queue.get($self, block=True, timeout=None)", style = "python")]
fn get(vm: &mut Vm, this: (&Value, &QueueData), block: Option<&Value>, timeout: &Value) -> PyResult<Value> {
    let v = this.0;
    for_subclass!(vm, v, "get", block.cloned().unwrap_or(Value::Bool(true)), timeout.clone());
    if block.is_none() && timeout.is_none() {
        return get_impl(vm, this, true, &Value::None);
    }
    let block = match block {
        Some(b) => vm.truthy(b)?,
        None => true,
    };
    if block {
        check_timeout(vm, timeout)?;
    }
    get_impl(vm, this, block, timeout)
}

/// `_put_wakes_idle(item)`: puts `item` (unbounded queues only) and returns whether a
/// getter already blocked will take it, i.e. more getters wait than the items queued
/// before this one. ThreadPoolExecutor.submit starts a worker only when none will.
#[native("Queue._put_wakes_idle($self, item)", style = "python")]
fn _put_wakes_idle(_vm: &mut Vm, this: &QueueData, item: Value) -> PyResult<bool> {
    let mut g = this.state.lock();
    let idle = g.waiting > g.items.len() as i64;
    this.push(&mut g, item);
    Ok(idle)
}

/// Put an item into the queue without blocking.
#[native("Queue.put_nowait($self, item)", style = "python")]
fn put_nowait(vm: &mut Vm, this: (&Value, &QueueData), item: Value) -> PyResult<Value> {
    for_subclass!(vm, this.0, "put_nowait", item);
    put_impl(vm, this, item, false, &Value::None)?;
    Ok(Value::None)
}

/// Remove and return an item from the queue without blocking.
#[native("Queue.get_nowait($self)", style = "python")]
fn get_nowait(vm: &mut Vm, this: (&Value, &QueueData)) -> PyResult<Value> {
    for_subclass!(vm, this.0, "get_nowait");
    get_impl(vm, this, false, &Value::None)
}

/// Return the approximate size of the queue (not reliable!).
#[native("Queue.qsize($self)", style = "python")]
fn qsize(vm: &mut Vm, this: (&Value, &QueueData)) -> PyResult<Value> {
    for_subclass!(vm, this.0, "qsize");
    Ok(Value::Int(this.1.state.lock().items.len() as i64))
}

/// Return True if the queue is empty, False otherwise (not reliable!).
#[native("Queue.empty($self)", style = "python")]
fn empty(vm: &mut Vm, this: (&Value, &QueueData)) -> PyResult<Value> {
    for_subclass!(vm, this.0, "empty");
    Ok(Value::Bool(this.1.state.lock().items.is_empty()))
}

/// Return True if the queue is full, False otherwise (not reliable!).
#[native("Queue.full($self)", style = "python")]
fn full(vm: &mut Vm, this: (&Value, &QueueData)) -> PyResult<Value> {
    for_subclass!(vm, this.0, "full");
    let g = this.1.state.lock();
    Ok(Value::Bool(g.maxsize > 0 && g.items.len() as i64 >= g.maxsize))
}

/// Indicate that a formerly enqueued task is complete.
#[native("Queue.task_done($self)", style = "python")]
fn task_done(vm: &mut Vm, this: (&Value, &QueueData)) -> PyResult<Value> {
    for_subclass!(vm, this.0, "task_done");
    let q = this.1;
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

/// Blocks until all items in the Queue have been gotten and processed.
#[native("Queue.join($self)", style = "python")]
fn join(vm: &mut Vm, this: (&Value, &QueueData)) -> PyResult<Value> {
    for_subclass!(vm, this.0, "join");
    let q = this.1;
    let mut g = q.state.lock();
    conc_interpreter::deadlock::wait_subject(this.0);
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
#[native("_thread._set_queue_exceptions(empty, full, /)")]
pub fn _set_queue_exceptions(_vm: &mut Vm, empty: Value, full: Value) -> PyResult<()> {
    let _ = EMPTY.set(empty);
    let _ = FULL.set(full);
    Ok(())
}
