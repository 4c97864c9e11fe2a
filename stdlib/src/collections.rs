//! `_collections`: the native `deque` behind `collections.deque`.
//!
//! A deque is an instance with a native payload: a `VecDeque` under its own mutex.
//! Scripts use a deque as a queue shared between threads (CPython's append and
//! popleft are atomic), so each mutation is one native call under the lock. The lock
//! is never held while script code runs: methods that compare items (`count`,
//! `remove`, `in`, `==`) or call `repr` work on a snapshot taken under the lock.

use crate::util::{natives, set};
use conc_interpreter::native::{native, Exc, NativeClass, NativePayload, Property, SliceIndex};
use conc_interpreter::operator::{BinOp, CmpOp};
use conc_interpreter::{Args, ObjRef, Object, PyResult, Value, Vm};
use parking_lot::Mutex;
use std::collections::VecDeque;

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
    fn new(maxlen: Option<usize>) -> DequeData {
        DequeData { state: Mutex::new(State { items: VecDeque::new(), maxlen }) }
    }

    fn snapshot(&self) -> Vec<Value> {
        self.state.lock().items.iter().cloned().collect()
    }
}

impl NativePayload for DequeData {
    const CLASS: &'static NativeClass = &DEQUE;
}

/// `collections.deque`. An ordinary class with a native payload, so script classes
/// can derive from it (`__new__` gives subclass instances the payload too).
pub static DEQUE: NativeClass = NativeClass {
    name: "deque",
    module: "collections",
    doc: "deque([iterable[, maxlen]]) --> deque object\n\nA list-like sequence optimized for data accesses near its endpoints.",
    methods: &[
        &d_new::DEF,
        &d_init::DEF,
        &append::DEF,
        &appendleft::DEF,
        &pop::DEF,
        &popleft::DEF,
        &extend::DEF,
        &extendleft::DEF,
        &rotate::DEF,
        &clear::DEF,
        &count::DEF,
        &remove::DEF,
        &index::DEF,
        &insert::DEF,
        &reverse::DEF,
        &copy::DEF,
        &__len__::DEF,
        &__iter__::DEF,
        &__reversed__::DEF,
        &__getitem__::DEF,
        &__setitem__::DEF,
        &__delitem__::DEF,
        &__contains__::DEF,
        &__repr__::DEF,
        &__eq__::DEF,
        &__ne__::DEF,
        &__lt__::DEF,
        &__le__::DEF,
        &__gt__::DEF,
        &__ge__::DEF,
        &__add__::DEF,
        &__iadd__::DEF,
    ],
    aliases: &[("__copy__", &copy::DEF)],
    properties: &[Property { name: "maxlen", get: &maxlen::DEF, set: None }],
    subclassable: true,
    hashable: false,
    ..NativeClass::DEFAULT
};

pub fn init(_vm: &mut Vm, m: &ObjRef) -> PyResult<()> {
    set(m, "deque", Value::Obj(DEQUE.class().clone()));
    natives(m, &[&_count_elements::DEF]);
    Ok(())
}

/// Adds one to `counts[x]` for each item, the loop at the heart of
/// `Counter(iterable)`. `counts` is a dict or an instance of a dict subclass that does
/// not override `__setitem__` (the Counter checks this), so its base dict is updated
/// directly; `get` and `+` still honour script-defined `__eq__`, `__hash__` and
/// `__add__` of the items and counts.
#[native("_collections._count_elements(mapping, iterable, /)")]
fn _count_elements(vm: &mut Vm, mapping: Value, iterable: Value) -> PyResult<()> {
    let d = mapping.unwrap_base().clone();
    if d.as_dict().is_none() {
        return Err(vm.type_error("_count_elements: a dict is required"));
    }
    let it = vm.get_iter(&iterable)?;
    while let Some(x) = vm.iter_next(&it)? {
        let n = match vm.dict_get(&d, &x)? {
            Some(Value::Int(n)) if n < i64::MAX => Value::Int(n + 1),
            Some(v) => vm.binary_op(v, Value::Int(1), BinOp::Add)?,
            None => Value::Int(1),
        };
        vm.set_item(&d, x, n)?;
    }
    Ok(())
}

/// Create and return a new object.  See help(type) for accurate signature.
#[native("deque.__new__($cls, *args, **kwargs)")]
fn d_new(_vm: &mut Vm, cls: &ObjRef, args: &[Value], kwargs: conc_interpreter::native::KwArgs) -> PyResult<Value> {
    let _ = (args, kwargs);
    Ok(NativeClass::instance_of(cls, DequeData::new(None)))
}

/// Initialize self.  See help(type(self)) for accurate signature.
#[native("deque.__init__($self, iterable=<unrepresentable>, maxlen=None)", message_name = "deque")]
fn d_init(vm: &mut Vm, this: &DequeData, iterable: Option<Value>, maxlen: Option<Value>) -> PyResult<()> {
    let maxlen = match maxlen {
        None => None,
        Some(v) => {
            if !matches!(v, Value::Int(_) | Value::Bool(_)) && !matches!(v.unwrap_base().obj(), Some(Object::BigInt(_)))
            {
                return Err(vm.type_error("an integer is required"));
            }
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
    let mut g = this.state.lock();
    g.items.clear();
    g.maxlen = maxlen;
    for v in items {
        g.push_back(v);
    }
    Ok(())
}

/// maximum size of a deque or None if unbounded
#[native("deque.maxlen($self)")]
fn maxlen(_vm: &mut Vm, this: &DequeData) -> PyResult<Option<usize>> {
    Ok(this.state.lock().maxlen)
}

/// Add an element to the right side of the deque.
#[native("deque.append($self, item, /)")]
fn append(_vm: &mut Vm, this: &DequeData, item: Value) -> PyResult<()> {
    this.state.lock().push_back(item);
    Ok(())
}

/// Add an element to the left side of the deque.
#[native("deque.appendleft($self, item, /)")]
fn appendleft(_vm: &mut Vm, this: &DequeData, item: Value) -> PyResult<()> {
    this.state.lock().push_front(item);
    Ok(())
}

/// Remove and return the rightmost element.
#[native("deque.pop($self, /)")]
fn pop(vm: &mut Vm, this: &DequeData) -> PyResult<Value> {
    let r = this.state.lock().items.pop_back();
    r.ok_or_else(|| vm.error(Exc::IndexError, "pop from an empty deque"))
}

/// Remove and return the leftmost element.
#[native("deque.popleft($self, /)")]
fn popleft(vm: &mut Vm, this: &DequeData) -> PyResult<Value> {
    let r = this.state.lock().items.pop_front();
    r.ok_or_else(|| vm.error(Exc::IndexError, "pop from an empty deque"))
}

/// Extend the right side of the deque with elements from the iterable
#[native("deque.extend($self, iterable, /)")]
fn extend(vm: &mut Vm, this: &DequeData, iterable: Value) -> PyResult<()> {
    let items = vm.collect(&iterable)?;
    let mut g = this.state.lock();
    for v in items {
        g.push_back(v);
    }
    Ok(())
}

/// Extend the left side of the deque with elements from the iterable
#[native("deque.extendleft($self, iterable, /)")]
fn extendleft(vm: &mut Vm, this: &DequeData, iterable: Value) -> PyResult<()> {
    let items = vm.collect(&iterable)?;
    let mut g = this.state.lock();
    for v in items {
        g.push_front(v);
    }
    Ok(())
}

/// Rotate the deque n steps to the right (default n=1).  If n is negative, rotates left.
#[native("deque.rotate($self, n=1, /)", message_name = "deque.rotate")]
fn rotate(_vm: &mut Vm, this: &DequeData, n: i64) -> PyResult<()> {
    let mut g = this.state.lock();
    let len = g.items.len() as i64;
    if len > 1 {
        // Rotating right by n is rotating left by len - n.
        let k = n.rem_euclid(len) as usize;
        g.items.rotate_right(k);
    }
    Ok(())
}

/// Remove all elements from the deque.
#[native("deque.clear($self, /)")]
fn clear(_vm: &mut Vm, this: &DequeData) -> PyResult<()> {
    // The items are dropped after the lock is released.
    let old = std::mem::take(&mut this.state.lock().items);
    drop(old);
    Ok(())
}

/// D.count(value) -- return number of occurrences of value
#[native("deque.count($self, value, /)")]
fn count(vm: &mut Vm, this: &DequeData, value: Value) -> PyResult<i64> {
    let items = this.snapshot();
    let mut n = 0;
    for v in &items {
        if v.is(&value) || vm.eq(v, &value)? {
            n += 1;
        }
    }
    Ok(n)
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

/// D.remove(value) -- remove first occurrence of value.
#[native("deque.remove($self, value, /)")]
fn remove(vm: &mut Vm, this: &DequeData, value: Value) -> PyResult<()> {
    let items = this.snapshot();
    match find(vm, &items, &value, 0, items.len())? {
        Some(i) => {
            let mut g = this.state.lock();
            // Another thread may have changed the deque while items were compared.
            if g.items.len() != items.len() || !g.items[i].is(&items[i]) {
                drop(g);
                return Err(vm.error(Exc::IndexError, "deque mutated during remove()."));
            }
            let old = g.items.remove(i);
            drop(g);
            drop(old);
            Ok(())
        }
        None => Err(not_in_deque(vm, &value)),
    }
}

/// A start or stop of `index`, clamped to `0..=len` as slice bounds are.
fn clamp(i: SliceIndex, len: usize) -> usize {
    let i = if i.0 < 0 { (i.0 + len as i64).max(0) } else { i.0 };
    (i as usize).min(len)
}

/// D.index(value, [start, [stop]]) -- return first index of value.
/// Raises ValueError if the value is not present.
#[native("deque.index($self, value, start=0, stop=sys.maxsize{SliceIndex(i64::MAX)}, /)", style = "tuple")]
fn index(vm: &mut Vm, this: &DequeData, value: Value, start: SliceIndex, stop: SliceIndex) -> PyResult<usize> {
    let items = this.snapshot();
    let (a, b) = (clamp(start, items.len()), clamp(stop, items.len()));
    match find(vm, &items, &value, a, b)? {
        Some(i) => Ok(i),
        None => Err(not_in_deque(vm, &value)),
    }
}

/// D.insert(index, object) -- insert object before index
#[native("deque.insert($self, index, object, /)", style = "tuple")]
fn insert(vm: &mut Vm, this: &DequeData, index: i64, object: Value) -> PyResult<()> {
    let mut g = this.state.lock();
    if g.maxlen.is_some_and(|m| g.items.len() >= m) {
        drop(g);
        return Err(vm.error(Exc::IndexError, "deque already at its maximum size"));
    }
    let len = g.items.len() as i64;
    let at = if index < 0 { (index + len).max(0) } else { index.min(len) };
    g.items.insert(at as usize, object);
    Ok(())
}

/// D.reverse() -- reverse *IN PLACE*
#[native("deque.reverse($self, /)")]
fn reverse(_vm: &mut Vm, this: &DequeData) -> PyResult<()> {
    let mut g = this.state.lock();
    let v: Vec<Value> = g.items.drain(..).collect();
    g.items.extend(v.into_iter().rev());
    Ok(())
}

/// A new deque of `self`'s class with `items` and `self`'s maxlen (as CPython's copy
/// does, through the class, so subclasses get their own kind).
fn same_kind(vm: &mut Vm, this_v: &Value, items: Vec<Value>, maxlen: Option<usize>) -> PyResult<Value> {
    let cls = vm.class_of(this_v);
    if cls.ptr_eq(DEQUE.class()) {
        let d = DequeData::new(maxlen);
        {
            let mut g = d.state.lock();
            for v in items {
                g.push_back(v);
            }
        }
        return Ok(NativeClass::instance_of(&cls, d));
    }
    let m = maxlen.map_or(Value::None, |m| Value::Int(m as i64));
    vm.call(&Value::Obj(cls), Args::new([Value::list(items), m]))
}

/// Return a shallow copy of a deque.
#[native("deque.copy($self, /)")]
fn copy(vm: &mut Vm, this: (&Value, &DequeData)) -> PyResult<Value> {
    let (items, maxlen) = {
        let g = this.1.state.lock();
        (g.items.iter().cloned().collect(), g.maxlen)
    };
    same_kind(vm, this.0, items, maxlen)
}

/// Return len(self).
#[native("deque.__len__($self, /)", style = "slot")]
fn __len__(_vm: &mut Vm, this: &DequeData) -> PyResult<usize> {
    Ok(this.state.lock().items.len())
}

/// Implement iter(self).
#[native("deque.__iter__($self, /)", style = "slot")]
fn __iter__(vm: &mut Vm, this: &DequeData) -> PyResult<Value> {
    // Iteration walks a snapshot: a deque changed by another thread meanwhile does
    // not disturb it (CPython raises "deque mutated during iteration" instead).
    let items = this.snapshot();
    vm.get_iter(&Value::list(items))
}

/// D.__reversed__() -- return a reverse iterator over the deque
#[native("deque.__reversed__($self, /)")]
fn __reversed__(vm: &mut Vm, this: &DequeData) -> PyResult<Value> {
    let mut items = this.snapshot();
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
                // As `d[key]` words it (an explicit `d.__getitem__('x')` says "'str'
                // object cannot be interpreted as an integer" in CPython).
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

/// Return self[key].
#[native("deque.__getitem__($self, key, /)", style = "slot")]
fn __getitem__(vm: &mut Vm, this: &DequeData, key: Value) -> PyResult<Value> {
    let len = this.state.lock().items.len();
    let i = item_index(vm, &key, len)?;
    let r = this.state.lock().items.get(i).cloned();
    r.ok_or_else(|| vm.error(Exc::IndexError, "deque index out of range"))
}

/// Set self[key] to value.
#[native("deque.__setitem__($self, key, value, /)", style = "slot_spaced")]
fn __setitem__(vm: &mut Vm, this: &DequeData, key: Value, value: Value) -> PyResult<()> {
    let len = this.state.lock().items.len();
    let i = item_index(vm, &key, len)?;
    let mut g = this.state.lock();
    match g.items.get_mut(i) {
        Some(slot) => {
            let old = std::mem::replace(slot, value);
            drop(g);
            drop(old);
            Ok(())
        }
        None => {
            drop(g);
            Err(vm.error(Exc::IndexError, "deque index out of range"))
        }
    }
}

/// Delete self[key].
#[native("deque.__delitem__($self, key, /)", style = "slot")]
fn __delitem__(vm: &mut Vm, this: &DequeData, key: Value) -> PyResult<()> {
    let len = this.state.lock().items.len();
    let i = item_index(vm, &key, len)?;
    let old = this.state.lock().items.remove(i);
    match old {
        Some(v) => {
            drop(v);
            Ok(())
        }
        None => Err(vm.error(Exc::IndexError, "deque index out of range")),
    }
}

/// Return key in self.
#[native("deque.__contains__($self, key, /)", style = "slot")]
fn __contains__(vm: &mut Vm, this: &DequeData, key: Value) -> PyResult<bool> {
    let items = this.snapshot();
    Ok(find(vm, &items, &key, 0, items.len())?.is_some())
}

/// Return repr(self).
#[native("deque.__repr__($self, /)", style = "slot")]
fn __repr__(vm: &mut Vm, this: (&Value, &DequeData)) -> PyResult<Value> {
    let (items, maxlen) = {
        let g = this.1.state.lock();
        (g.items.iter().cloned().collect::<Vec<_>>(), g.maxlen)
    };
    let name = vm.type_name(this.0);
    let addr = this.0.id() as usize;
    // A deque inside itself shows as `[...]`, as in CPython.
    let Some(body) = vm.guarded_opt(addr, |vm| vm.repr_of(&Value::list(items)))? else {
        return Ok(Value::str("[...]"));
    };
    Ok(Value::string(match maxlen {
        Some(m) => format!("{name}({body}, maxlen={m})"),
        None => format!("{name}({body})"),
    }))
}

/// The items of `other` when it is a deque too (else comparisons are NotImplemented).
fn other_items(other: &Value) -> Option<Vec<Value>> {
    other.as_instance().and_then(|i| i.native::<DequeData>()).map(|o| o.snapshot())
}

fn compare(vm: &mut Vm, this: &DequeData, other: &Value, op: CmpOp) -> PyResult<Value> {
    let a = this.snapshot();
    match other_items(other) {
        Some(b) => vm.compare(&Value::list(a), &Value::list(b), op),
        None => Ok(conc_interpreter::interp::not_implemented()),
    }
}

/// Return self==value.
#[native("deque.__eq__($self, value, /)", style = "slot")]
fn __eq__(vm: &mut Vm, this: &DequeData, value: Value) -> PyResult<Value> {
    compare(vm, this, &value, CmpOp::Eq)
}

/// Return self!=value.
#[native("deque.__ne__($self, value, /)", style = "slot")]
fn __ne__(vm: &mut Vm, this: &DequeData, value: Value) -> PyResult<Value> {
    compare(vm, this, &value, CmpOp::NotEq)
}

/// Return self<value.
#[native("deque.__lt__($self, value, /)", style = "slot")]
fn __lt__(vm: &mut Vm, this: &DequeData, value: Value) -> PyResult<Value> {
    compare(vm, this, &value, CmpOp::Lt)
}

/// Return self<=value.
#[native("deque.__le__($self, value, /)", style = "slot")]
fn __le__(vm: &mut Vm, this: &DequeData, value: Value) -> PyResult<Value> {
    compare(vm, this, &value, CmpOp::LtE)
}

/// Return self>value.
#[native("deque.__gt__($self, value, /)", style = "slot")]
fn __gt__(vm: &mut Vm, this: &DequeData, value: Value) -> PyResult<Value> {
    compare(vm, this, &value, CmpOp::Gt)
}

/// Return self>=value.
#[native("deque.__ge__($self, value, /)", style = "slot")]
fn __ge__(vm: &mut Vm, this: &DequeData, value: Value) -> PyResult<Value> {
    compare(vm, this, &value, CmpOp::GtE)
}

/// Return self+value.
#[native("deque.__add__($self, value, /)", style = "slot")]
fn __add__(vm: &mut Vm, this: (&Value, &DequeData), value: Value) -> PyResult<Value> {
    let maxlen = this.1.state.lock().maxlen;
    match other_items(&value) {
        Some(b) => {
            let mut a = this.1.snapshot();
            a.extend(b);
            same_kind(vm, this.0, a, maxlen)
        }
        None => {
            let msg = format!("can only concatenate deque (not \"{}\") to deque", vm.type_name(&value));
            Err(vm.type_error(&msg))
        }
    }
}

/// Implement self+=value.
#[native("deque.__iadd__($self, value, /)", style = "slot")]
fn __iadd__(vm: &mut Vm, this: (&Value, &DequeData), value: Value) -> PyResult<Value> {
    extend(vm, this.1, value)?;
    Ok(this.0.clone())
}
