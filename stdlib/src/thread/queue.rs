//! The native FIFO queue behind `queue.Queue` (and the builtin `Queue`).
//!
//! One mutex guards the items and counters; `put`/`get` are one native call each
//! and wait through the blocking layer on `not_full` / `not_empty`. The mutex is never
//! held while script code runs (items are only moved, never compared), so FIFO order
//! needs no script-level locking. LIFO and priority queues stay in conc
//! (`stdlib/lib/queue.conc`), since a heap compares items with script code.

use crate::util::{arg_timeout, self_native};
use conc_interpreter::blocking::WaitQueue;
use conc_interpreter::interp::{add_methods, new_class, types};
use conc_interpreter::value::class::BaseKind;
use conc_interpreter::value::instance::InstanceObj;
use conc_interpreter::{Args, ObjRef, Object, PyResult, Value, Vm};
use parking_lot::Mutex;
use std::collections::VecDeque;
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
    not_empty: WaitQueue,
    not_full: WaitQueue,
    all_done: WaitQueue,
}

pub fn class() -> &'static ObjRef {
    static C: OnceLock<ObjRef> = OnceLock::new();
    C.get_or_init(|| {
        let c = new_class("Queue", "queue", vec![types().object.clone()], BaseKind::Builtin, false, Default::default());
        add_methods(
            &c,
            &[
                ("__new__", q_new),
                ("__init__", q_init),
                ("put", q_put),
                ("get", q_get),
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

fn q_new(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let cls = match args.pos.first().and_then(|c| c.as_objref()) {
        Some(c) if matches!(&**c, Object::Class(_)) => c.clone(),
        _ => return Err(vm.type_error("Queue.__new__(X): X is not a type object")),
    };
    let data = QueueData {
        state: Mutex::new(State { items: VecDeque::new(), maxsize: 0, unfinished: 0, waiting: 0 }),
        not_empty: WaitQueue::new(),
        not_full: WaitQueue::new(),
        all_done: WaitQueue::new(),
    };
    Ok(Value::new(Object::Instance(InstanceObj::with_native(cls, Box::new(data)))))
}

fn q_init(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let maxsize = match args.take(1, "maxsize") {
        Some(v) => vm.index_value(&v)?,
        None => 0,
    };
    let this = args.pos[0].clone();
    let q: &QueueData = self_native(vm, &args, "Queue")?;
    q.state.lock().maxsize = maxsize;
    vm.set_attr(&this, &conc_interpreter::value::str::intern("maxsize"), Value::Int(maxsize))?;
    Ok(Value::None)
}

fn raise_named(vm: &mut Vm, which: &OnceLock<Value>, fallback: &str) -> conc_interpreter::PyErr {
    match which.get() {
        Some(cls) => {
            let c = cls.as_objref().cloned().expect("exception class");
            vm.new_exception(&c, vec![])
        }
        None => vm.new_error(fallback, ""),
    }
}

fn block_args(vm: &mut Vm, args: &mut Args, first: usize) -> PyResult<(bool, Option<Duration>)> {
    let block = match args.take(first, "block") {
        Some(b) => vm.truthy(&b)?,
        None => true,
    };
    let timeout = match args.take(first + 1, "timeout") {
        Some(Value::None) | None => None,
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

fn put_impl(vm: &mut Vm, args: &Args, item: Value, block: bool, timeout: Option<Duration>) -> PyResult<Value> {
    let q: &QueueData = self_native(vm, args, "Queue")?;
    let mut g = q.state.lock();
    if g.maxsize > 0 && g.items.len() as i64 >= g.maxsize {
        if !block {
            drop(g);
            return Err(raise_named(vm, &FULL, "RuntimeError"));
        }
        let r = vm.block_on(&mut g, &q.not_full, timeout, &|| "Queue.put".to_string(), |s| {
            if (s.items.len() as i64) < s.maxsize {
                Some(())
            } else {
                None
            }
        })?;
        if r.is_none() {
            drop(g);
            return Err(raise_named(vm, &FULL, "RuntimeError"));
        }
    }
    g.items.push_back(item);
    g.unfinished += 1;
    q.not_empty.notify_one();
    Ok(Value::None)
}

fn get_impl(vm: &mut Vm, args: &Args, block: bool, timeout: Option<Duration>) -> PyResult<Value> {
    let q: &QueueData = self_native(vm, args, "Queue")?;
    let mut g = q.state.lock();
    if g.items.is_empty() {
        if !block {
            drop(g);
            return Err(raise_named(vm, &EMPTY, "RuntimeError"));
        }
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
            return Err(raise_named(vm, &EMPTY, "RuntimeError"));
        }
    }
    let item = g.items.pop_front().unwrap_or(Value::None);
    if g.maxsize > 0 {
        q.not_full.notify_one();
    }
    Ok(item)
}

fn q_put(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let item = match args.take(1, "item") {
        Some(v) => v,
        None => return Err(vm.type_error("put() missing 1 required positional argument: 'item'")),
    };
    let (block, timeout) =
        if args.pos.len() > 2 || !args.kw.is_empty() { block_args(vm, &mut args, 2)? } else { (true, None) };
    put_impl(vm, &args, item, block, timeout)
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
    g.items.push_back(item);
    g.unfinished += 1;
    q.not_empty.notify_one();
    Ok(Value::Bool(idle))
}

fn q_put_nowait(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let item = match args.take(1, "item") {
        Some(v) => v,
        None => return Err(vm.type_error("put_nowait() missing 1 required positional argument: 'item'")),
    };
    put_impl(vm, &args, item, false, None)
}

fn q_get(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let (block, timeout) =
        if args.pos.len() > 1 || !args.kw.is_empty() { block_args(vm, &mut args, 1)? } else { (true, None) };
    get_impl(vm, &args, block, timeout)
}

fn q_get_nowait(vm: &mut Vm, args: Args) -> PyResult<Value> {
    get_impl(vm, &args, false, None)
}

fn q_qsize(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let q: &QueueData = self_native(vm, &args, "Queue")?;
    Ok(Value::Int(q.state.lock().items.len() as i64))
}

fn q_empty(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let q: &QueueData = self_native(vm, &args, "Queue")?;
    Ok(Value::Bool(q.state.lock().items.is_empty()))
}

fn q_full(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let q: &QueueData = self_native(vm, &args, "Queue")?;
    let g = q.state.lock();
    Ok(Value::Bool(g.maxsize > 0 && g.items.len() as i64 >= g.maxsize))
}

fn q_task_done(vm: &mut Vm, args: Args) -> PyResult<Value> {
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
