//! `_collections`: the native `deque` behind `collections.deque`.
//!
//! A deque is an instance with a native payload: a `VecDeque` under its own mutex.
//! Scripts use a deque as a queue shared between threads (CPython's append and
//! popleft are atomic), so each mutation is one native call under the lock. The lock
//! is never held while script code runs: methods that compare items (`count`,
//! `remove`, `in`, `==`) or call `repr` work on a snapshot taken under the lock.

use crate::util::{functions, self_native_in, set};
use conc_grammar::ast::{BinOp, CmpOp};
use conc_interpreter::interp::{add_fast_methods, add_methods, native, new_class, set_class_attr, types};
use conc_interpreter::native::Exc;
use conc_interpreter::value::class::BaseKind;
use conc_interpreter::value::function::PropertyObj;
use conc_interpreter::value::instance::InstanceObj;
use conc_interpreter::{Args, ObjRef, Object, PyResult, Value, Vm};
use parking_lot::Mutex;
use std::collections::VecDeque;
use std::sync::OnceLock;

struct State {
    items: VecDeque<Value>,
    /// The bound given as `maxlen` (None: unbounded).
    maxlen: Option<usize>,
}

impl State {
    /// Appends on the right, dropping from the left past `maxlen`.
    fn push_back(&mut self, v: Value) {
        if self.maxlen == Some(0) {
            return;
        }
        self.items.push_back(v);
        if self.maxlen.is_some_and(|m| self.items.len() > m) {
            self.items.pop_front();
        }
    }

    /// Appends on the left, dropping from the right past `maxlen`.
    fn push_front(&mut self, v: Value) {
        if self.maxlen == Some(0) {
            return;
        }
        self.items.push_front(v);
        if self.maxlen.is_some_and(|m| self.items.len() > m) {
            self.items.pop_back();
        }
    }
}

pub struct DequeData {
    state: Mutex<State>,
}

impl DequeData {
    fn snapshot(&self) -> Vec<Value> {
        self.state.lock().items.iter().cloned().collect()
    }
}

pub fn init(_vm: &mut Vm, m: &ObjRef) -> PyResult<()> {
    set(m, "deque", Value::Obj(class().clone()));
    functions(m, &[("_count_elements", count_elements)]);
    Ok(())
}

/// `_count_elements(counts, iterable)`: adds one to `counts[x]` for each item, the
/// loop at the heart of `Counter(iterable)`. `counts` is a dict or an instance of a
/// dict subclass that does not override `__setitem__` (the Counter checks this), so
/// its base dict is updated directly; `get` and `+` still honour script-defined
/// `__eq__`, `__hash__` and `__add__` of the items and counts.
fn count_elements(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let (Some(counts), Some(iterable)) = (args.pos.first(), args.pos.get(1)) else {
        return Err(vm.type_error("_count_elements expected 2 arguments"));
    };
    let d = counts.unwrap_base().clone();
    if d.as_dict().is_none() {
        return Err(vm.type_error("_count_elements: a dict is required"));
    }
    let it = vm.get_iter(iterable)?;
    while let Some(x) = vm.iter_next(&it)? {
        let n = match vm.dict_get(&d, &x)? {
            Some(Value::Int(n)) if n < i64::MAX => Value::Int(n + 1),
            Some(v) => vm.binary_op(v, Value::Int(1), BinOp::Add)?,
            None => Value::Int(1),
        };
        vm.set_item(&d, x, n)?;
    }
    Ok(Value::None)
}

pub fn class() -> &'static ObjRef {
    static C: OnceLock<ObjRef> = OnceLock::new();
    C.get_or_init(|| {
        // An ordinary class with a native payload, so script classes can derive from
        // deque (`__new__` gives subclass instances the payload too).
        let c = new_class(
            "deque",
            "collections",
            vec![types().object.clone()],
            BaseKind::Object,
            false,
            Default::default(),
        );
        add_fast_methods(
            &c,
            &[
                ("append", None, d_append),
                ("appendleft", None, d_appendleft),
                ("pop", None, d_pop),
                ("popleft", None, d_popleft),
            ],
        );
        let maxlen = Value::new(Object::Property(PropertyObj {
            fget: native("maxlen", "deque.maxlen", d_maxlen),
            fset: Value::None,
            fdel: Value::None,
            doc: Value::None,
        }));
        set_class_attr(&c, "maxlen", maxlen);
        // Mutable, so unhashable, as in CPython.
        set_class_attr(&c, "__hash__", Value::None);
        add_methods(
            &c,
            &[
                ("__new__", d_new),
                ("__init__", d_init),
                ("extend", d_extend),
                ("extendleft", d_extendleft),
                ("rotate", d_rotate),
                ("clear", d_clear),
                ("count", d_count),
                ("remove", d_remove),
                ("index", d_index),
                ("insert", d_insert),
                ("reverse", d_reverse),
                ("copy", d_copy),
                ("__copy__", d_copy),
                ("__len__", d_len),
                ("__bool__", d_bool),
                ("__iter__", d_iter),
                ("__reversed__", d_reversed),
                ("__getitem__", d_getitem),
                ("__setitem__", d_setitem),
                ("__delitem__", d_delitem),
                ("__contains__", d_contains),
                ("__repr__", d_repr),
                ("__eq__", d_eq),
                ("__ne__", d_ne),
                ("__lt__", d_lt),
                ("__le__", d_le),
                ("__gt__", d_gt),
                ("__ge__", d_ge),
                ("__add__", d_add),
                ("__iadd__", d_iadd),
            ],
        );
        c
    })
}

fn this<'a>(vm: &mut Vm, a: &'a [Value]) -> PyResult<&'a DequeData> {
    self_native_in(vm, a, "collections.deque")
}

fn arg1(vm: &mut Vm, a: &[Value], name: &str) -> PyResult<Value> {
    match a.get(1) {
        Some(v) if a.len() == 2 => Ok(v.clone()),
        _ => {
            let msg = format!("deque.{name}() takes exactly one argument ({} given)", a.len().saturating_sub(1));
            Err(vm.type_error(&msg))
        }
    }
}

fn no_args(vm: &mut Vm, a: &[Value], name: &str) -> PyResult<()> {
    if a.len() > 1 {
        let msg = format!("deque.{name}() takes no arguments ({} given)", a.len() - 1);
        return Err(vm.type_error(&msg));
    }
    Ok(())
}

fn d_new(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let cls = match args.pos.first().and_then(|c| c.as_objref()) {
        Some(c) if matches!(&**c, Object::Class(_)) => c.clone(),
        _ => return Err(vm.type_error("deque.__new__(X): X is not a type object")),
    };
    let data = DequeData { state: Mutex::new(State { items: VecDeque::new(), maxlen: None }) };
    Ok(Value::new(Object::Instance(InstanceObj::with_native(cls, Box::new(data)))))
}

fn d_init(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let iterable = args.take_kw("iterable").or_else(|| args.pos.get(1).cloned());
    let maxlen = args.take_kw("maxlen").or_else(|| args.pos.get(2).cloned());
    if let Some((k, _)) = args.kw.first() {
        let msg = format!("deque() got an unexpected keyword argument '{}'", k.str_text());
        return Err(vm.type_error(&msg));
    }
    if args.pos.len() > 3 {
        let msg = format!("deque() takes at most 2 arguments ({} given)", args.pos.len() - 1);
        return Err(vm.type_error(&msg));
    }
    let maxlen = match maxlen {
        None | Some(Value::None) => None,
        Some(v) => {
            let n = vm.index_value(&v)?;
            if n < 0 {
                return Err(vm.value_error("maxlen must be non-negative"));
            }
            Some(n as usize)
        }
    };
    // The items are gathered before the lock is taken: iterating may run script code.
    let items = match &iterable {
        Some(it) => vm.collect(it)?,
        None => Vec::new(),
    };
    let d = this(vm, &args.pos)?;
    let mut g = d.state.lock();
    g.items.clear();
    g.maxlen = maxlen;
    for v in items {
        g.push_back(v);
    }
    Ok(Value::None)
}

fn d_maxlen(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let d = this(vm, &args.pos)?;
    Ok(match d.state.lock().maxlen {
        Some(m) => Value::Int(m as i64),
        None => Value::None,
    })
}

fn d_append(vm: &mut Vm, a: &[Value]) -> PyResult<Value> {
    let v = arg1(vm, a, "append")?;
    this(vm, a)?.state.lock().push_back(v);
    Ok(Value::None)
}

fn d_appendleft(vm: &mut Vm, a: &[Value]) -> PyResult<Value> {
    let v = arg1(vm, a, "appendleft")?;
    this(vm, a)?.state.lock().push_front(v);
    Ok(Value::None)
}

fn d_pop(vm: &mut Vm, a: &[Value]) -> PyResult<Value> {
    no_args(vm, a, "pop")?;
    let r = this(vm, a)?.state.lock().items.pop_back();
    r.ok_or_else(|| vm.error(Exc::IndexError, "pop from an empty deque"))
}

fn d_popleft(vm: &mut Vm, a: &[Value]) -> PyResult<Value> {
    no_args(vm, a, "popleft")?;
    let r = this(vm, a)?.state.lock().items.pop_front();
    r.ok_or_else(|| vm.error(Exc::IndexError, "pop from an empty deque"))
}

fn d_extend(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let it = arg1(vm, &args.pos, "extend")?;
    let items = vm.collect(&it)?;
    let mut g = this(vm, &args.pos)?.state.lock();
    for v in items {
        g.push_back(v);
    }
    Ok(Value::None)
}

fn d_extendleft(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let it = arg1(vm, &args.pos, "extendleft")?;
    let items = vm.collect(&it)?;
    let mut g = this(vm, &args.pos)?.state.lock();
    for v in items {
        g.push_front(v);
    }
    Ok(Value::None)
}

fn d_rotate(vm: &mut Vm, args: Args) -> PyResult<Value> {
    if args.pos.len() > 2 {
        let msg = format!("rotate expected at most 1 argument, got {}", args.pos.len() - 1);
        return Err(vm.type_error(&msg));
    }
    let n = match args.pos.get(1) {
        Some(v) => vm.index_value(v)?,
        None => 1,
    };
    let mut g = this(vm, &args.pos)?.state.lock();
    let len = g.items.len() as i64;
    if len > 1 {
        // Rotating right by n is rotating left by len - n.
        let k = n.rem_euclid(len) as usize;
        g.items.rotate_right(k);
    }
    Ok(Value::None)
}

fn d_clear(vm: &mut Vm, args: Args) -> PyResult<Value> {
    no_args(vm, &args.pos, "clear")?;
    // The items are dropped after the lock is released.
    let old = std::mem::take(&mut this(vm, &args.pos)?.state.lock().items);
    drop(old);
    Ok(Value::None)
}

fn d_count(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let x = arg1(vm, &args.pos, "count")?;
    let items = this(vm, &args.pos)?.snapshot();
    let mut n = 0;
    for v in &items {
        if v.is(&x) || vm.eq(v, &x)? {
            n += 1;
        }
    }
    Ok(Value::Int(n))
}

/// The position of the first item equal to `x` among `items[start..stop]`.
fn find(vm: &mut Vm, items: &[Value], x: &Value, start: usize, stop: usize) -> PyResult<Option<usize>> {
    for (i, v) in items.iter().enumerate().take(stop).skip(start) {
        if v.is(x) || vm.eq(v, x)? {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

fn not_in_deque(vm: &mut Vm, x: &Value) -> conc_interpreter::PyErr {
    match vm.repr_of(x) {
        Ok(r) => {
            let msg = format!("{r} is not in deque");
            vm.value_error(&msg)
        }
        Err(e) => e,
    }
}

fn d_remove(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let x = arg1(vm, &args.pos, "remove")?;
    let d = this(vm, &args.pos)?;
    let items = d.snapshot();
    match find(vm, &items, &x, 0, items.len())? {
        Some(i) => {
            let mut g = d.state.lock();
            // Another thread may have changed the deque while items were compared.
            if g.items.len() != items.len() || !g.items[i].is(&items[i]) {
                drop(g);
                return Err(vm.error(Exc::IndexError, "deque mutated during remove()."));
            }
            let old = g.items.remove(i);
            drop(g);
            drop(old);
            Ok(Value::None)
        }
        None => Err(not_in_deque(vm, &x)),
    }
}

/// A start or stop argument of `index`, clamped to `0..=len` as slice bounds are.
fn clamp_index(vm: &mut Vm, v: &Value, len: usize) -> PyResult<usize> {
    let i = vm.index_value(v)?;
    let i = if i < 0 { (i + len as i64).max(0) } else { i };
    Ok((i as usize).min(len))
}

fn d_index(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let n = args.pos.len();
    if !(2..=4).contains(&n) {
        let msg = if n < 2 {
            "index expected at least 1 argument, got 0".to_string()
        } else {
            format!("index expected at most 3 arguments, got {}", n - 1)
        };
        return Err(vm.type_error(&msg));
    }
    let x = args.pos[1].clone();
    let items = this(vm, &args.pos)?.snapshot();
    let start = match args.pos.get(2) {
        Some(v) => clamp_index(vm, v, items.len())?,
        None => 0,
    };
    let stop = match args.pos.get(3) {
        Some(v) => clamp_index(vm, v, items.len())?,
        None => items.len(),
    };
    match find(vm, &items, &x, start, stop)? {
        Some(i) => Ok(Value::Int(i as i64)),
        None => Err(not_in_deque(vm, &x)),
    }
}

fn d_insert(vm: &mut Vm, args: Args) -> PyResult<Value> {
    if args.pos.len() != 3 {
        let msg = format!("insert expected 2 arguments, got {}", args.pos.len().saturating_sub(1));
        return Err(vm.type_error(&msg));
    }
    let i = vm.index_value(&args.pos[1])?;
    let v = args.pos[2].clone();
    let d = this(vm, &args.pos)?;
    let mut g = d.state.lock();
    if g.maxlen.is_some_and(|m| g.items.len() >= m) {
        drop(g);
        return Err(vm.error(Exc::IndexError, "deque already at its maximum size"));
    }
    let len = g.items.len() as i64;
    let at = if i < 0 { (i + len).max(0) } else { i.min(len) };
    g.items.insert(at as usize, v);
    Ok(Value::None)
}

fn d_reverse(vm: &mut Vm, args: Args) -> PyResult<Value> {
    no_args(vm, &args.pos, "reverse")?;
    let d = this(vm, &args.pos)?;
    let mut g = d.state.lock();
    let v: Vec<Value> = g.items.drain(..).collect();
    g.items.extend(v.into_iter().rev());
    Ok(Value::None)
}

/// A new deque of `self`'s class with `items` and `self`'s maxlen (as CPython's copy
/// does, through the class, so subclasses get their own kind).
fn same_kind(vm: &mut Vm, this_v: &Value, items: Vec<Value>, maxlen: Option<usize>) -> PyResult<Value> {
    let cls = vm.class_of(this_v);
    let m = maxlen.map_or(Value::None, |m| Value::Int(m as i64));
    if std::ptr::eq(&*cls, &**class()) {
        let d = DequeData { state: Mutex::new(State { items: VecDeque::new(), maxlen }) };
        {
            let mut g = d.state.lock();
            for v in items {
                g.push_back(v);
            }
        }
        return Ok(Value::new(Object::Instance(InstanceObj::with_native(cls, Box::new(d)))));
    }
    vm.call(&Value::Obj(cls), Args::new([Value::list(items), m]))
}

fn d_copy(vm: &mut Vm, args: Args) -> PyResult<Value> {
    no_args(vm, &args.pos, "copy")?;
    let d = this(vm, &args.pos)?;
    let (items, maxlen) = {
        let g = d.state.lock();
        (g.items.iter().cloned().collect(), g.maxlen)
    };
    same_kind(vm, &args.pos[0], items, maxlen)
}

fn d_len(vm: &mut Vm, args: Args) -> PyResult<Value> {
    Ok(Value::Int(this(vm, &args.pos)?.state.lock().items.len() as i64))
}

fn d_bool(vm: &mut Vm, args: Args) -> PyResult<Value> {
    Ok(Value::Bool(!this(vm, &args.pos)?.state.lock().items.is_empty()))
}

fn d_iter(vm: &mut Vm, args: Args) -> PyResult<Value> {
    // Iteration walks a snapshot: a deque changed by another thread meanwhile does
    // not disturb it (CPython raises "deque mutated during iteration" instead).
    let items = this(vm, &args.pos)?.snapshot();
    vm.get_iter(&Value::list(items))
}

fn d_reversed(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let mut items = this(vm, &args.pos)?.snapshot();
    items.reverse();
    vm.get_iter(&Value::list(items))
}

/// A subscript of a deque: an integer (slices are not supported, as in CPython).
fn item_index(vm: &mut Vm, key: &Value, len: usize) -> PyResult<usize> {
    let i = match key {
        Value::Int(i) => *i,
        Value::Bool(b) => *b as i64,
        _ => {
            let cls = vm.class_of(key);
            let has_index = vm.lookup_type_attr(&cls, &conc_interpreter::value::str::intern("__index__")).is_some();
            if !has_index && !matches!(key.obj(), Some(Object::BigInt(_))) {
                let msg = format!("sequence index must be integer, not '{}'", vm.type_name(key));
                return Err(vm.type_error(&msg));
            }
            match vm.index_value(key) {
                Ok(i) => i,
                Err(_) => return Err(vm.error(Exc::IndexError, "deque index out of range")),
            }
        }
    };
    let j = if i < 0 { i + len as i64 } else { i };
    if j < 0 || j >= len as i64 {
        return Err(vm.error(Exc::IndexError, "deque index out of range"));
    }
    Ok(j as usize)
}

fn d_getitem(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let key = arg1(vm, &args.pos, "__getitem__")?;
    let d = this(vm, &args.pos)?;
    let len = d.state.lock().items.len();
    let i = item_index(vm, &key, len)?;
    let r = d.state.lock().items.get(i).cloned();
    r.ok_or_else(|| vm.error(Exc::IndexError, "deque index out of range"))
}

fn d_setitem(vm: &mut Vm, args: Args) -> PyResult<Value> {
    if args.pos.len() != 3 {
        return Err(vm.type_error("expected 2 arguments"));
    }
    let d = this(vm, &args.pos)?;
    let len = d.state.lock().items.len();
    let i = item_index(vm, &args.pos[1], len)?;
    let mut g = d.state.lock();
    match g.items.get_mut(i) {
        Some(slot) => {
            let old = std::mem::replace(slot, args.pos[2].clone());
            drop(g);
            drop(old);
            Ok(Value::None)
        }
        None => {
            drop(g);
            Err(vm.error(Exc::IndexError, "deque index out of range"))
        }
    }
}

fn d_delitem(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let key = arg1(vm, &args.pos, "__delitem__")?;
    let d = this(vm, &args.pos)?;
    let len = d.state.lock().items.len();
    let i = item_index(vm, &key, len)?;
    let old = d.state.lock().items.remove(i);
    match old {
        Some(v) => {
            drop(v);
            Ok(Value::None)
        }
        None => Err(vm.error(Exc::IndexError, "deque index out of range")),
    }
}

fn d_contains(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let x = arg1(vm, &args.pos, "__contains__")?;
    let items = this(vm, &args.pos)?.snapshot();
    Ok(Value::Bool(find(vm, &items, &x, 0, items.len())?.is_some()))
}

fn d_repr(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let d = this(vm, &args.pos)?;
    let (items, maxlen) = {
        let g = d.state.lock();
        (g.items.iter().cloned().collect::<Vec<_>>(), g.maxlen)
    };
    let name = vm.type_name(&args.pos[0]);
    let addr = args.pos[0].id() as usize;
    // A deque inside itself shows as `[...]`, as in CPython.
    let Some(body) = vm.guarded_opt(addr, |vm| vm.repr_of(&Value::list(items)))? else {
        return Ok(Value::str("[...]"));
    };
    Ok(Value::string(match maxlen {
        Some(m) => format!("{name}({body}, maxlen={m})"),
        None => format!("{name}({body})"),
    }))
}

/// Both sides' items when `other` is a deque too (else comparisons are NotImplemented).
fn pair(vm: &mut Vm, args: &Args) -> PyResult<Option<(Vec<Value>, Vec<Value>)>> {
    let a = this(vm, &args.pos)?.snapshot();
    let other = args.pos.get(1).and_then(|o| o.as_instance()).and_then(|i| i.native::<DequeData>());
    Ok(other.map(|o| (a, o.snapshot())))
}

fn compare(vm: &mut Vm, args: Args, op: CmpOp) -> PyResult<Value> {
    match pair(vm, &args)? {
        Some((a, b)) => vm.compare(&Value::list(a), &Value::list(b), op),
        None => Ok(conc_interpreter::interp::not_implemented()),
    }
}

fn d_eq(vm: &mut Vm, args: Args) -> PyResult<Value> {
    compare(vm, args, CmpOp::Eq)
}
fn d_ne(vm: &mut Vm, args: Args) -> PyResult<Value> {
    compare(vm, args, CmpOp::NotEq)
}
fn d_lt(vm: &mut Vm, args: Args) -> PyResult<Value> {
    compare(vm, args, CmpOp::Lt)
}
fn d_le(vm: &mut Vm, args: Args) -> PyResult<Value> {
    compare(vm, args, CmpOp::LtE)
}
fn d_gt(vm: &mut Vm, args: Args) -> PyResult<Value> {
    compare(vm, args, CmpOp::Gt)
}
fn d_ge(vm: &mut Vm, args: Args) -> PyResult<Value> {
    compare(vm, args, CmpOp::GtE)
}

fn d_add(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let d = this(vm, &args.pos)?;
    let maxlen = d.state.lock().maxlen;
    match pair(vm, &args)? {
        Some((mut a, b)) => {
            a.extend(b);
            same_kind(vm, &args.pos[0], a, maxlen)
        }
        None => {
            let other = args.pos.get(1).cloned().unwrap_or(Value::None);
            let msg = format!("can only concatenate deque (not \"{}\") to deque", vm.type_name(&other));
            Err(vm.type_error(&msg))
        }
    }
}

fn d_iadd(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let this_v = args.pos[0].clone();
    d_extend(vm, args)?;
    Ok(this_v)
}
