//! Methods of `list` and `tuple`.

use super::functions;
use crate::interp::{add_natives, types};
use crate::native::{native, Exc, IntFlag, Receiver, SliceIndex};
use crate::value::list::ListObj;
use crate::value::tuple::TupleObj;
use crate::value::{Object, Value};
use crate::vm::{PyResult, Vm};

pub fn register(_vm: &mut Vm) {
    let t = types();
    add_natives(
        &t.list,
        &[
            &append::DEF,
            &extend::DEF,
            &pop::DEF,
            &insert::DEF,
            &remove::DEF,
            &list_index::DEF,
            &list_count::DEF,
            &clear::DEF,
            &copy::DEF,
            &reverse::DEF,
            &sort::DEF,
            &dunder_len::DEF,
            &list_getitem::DEF,
            &dunder_setitem::DEF,
            &dunder_delitem::DEF,
            &dunder_contains::DEF,
            &dunder_iter::DEF,
        ],
    );
    add_natives(
        &t.tuple,
        &[
            &tuple_index::DEF,
            &tuple_count::DEF,
            &dunder_len::DEF,
            &dunder_getitem::DEF,
            &dunder_contains::DEF,
            &dunder_iter::DEF,
        ],
    );
    add_natives(&t.range, &[&range_index::DEF, &range_count::DEF]);
    add_natives(&t.slice, &[&slice_indices::DEF]);
}

/// The position of `x` in range `r`, found arithmetically; only ints (and bools) can
/// be members without iterating, and others fall back to equality.
fn range_position(vm: &mut Vm, r: &Value, x: &Value) -> PyResult<Option<Value>> {
    let Some((start, _, step, len)) = r.obj().and_then(crate::value::range::range_parts) else {
        return Ok(None);
    };
    if let Some(v) = crate::vm::ops::exact_int(x) {
        let i = crate::value::range::range_position(&start, &step, &len, &v);
        return Ok(i.map(crate::value::int::normalize));
    }
    let mut i = num_bigint::BigInt::from(0);
    let mut cur = start;
    while i < len {
        if vm.eq(&crate::value::int::normalize(cur.clone()), x)? {
            return Ok(Some(crate::value::int::normalize(i)));
        }
        cur += &step;
        i += 1;
    }
    Ok(None)
}

/// `self` of a range method.
fn this_range<'a>(vm: &mut Vm, v: &'a Value, name: &str) -> PyResult<&'a Value> {
    if matches!(v.obj(), Some(Object::Range(_) | Object::BigRange(_))) {
        return Ok(v);
    }
    let msg = format!("descriptor '{name}' for 'range' objects doesn't apply to a '{}' object", vm.type_name(v));
    Err(vm.type_error(&msg))
}

/// rangeobject.index(value) -> integer -- return index of value.
/// Raise ValueError if the value is not present.
#[native("range.index($self, value, /)")]
fn range_index(vm: &mut Vm, this: &Value, value: Value) -> PyResult<Value> {
    let r = this_range(vm, this, "index")?;
    match range_position(vm, r, &value)? {
        Some(i) => Ok(i),
        None => {
            let msg = format!("{} is not in range", vm.repr_of(&value)?);
            Err(vm.value_error(&msg))
        }
    }
}

/// rangeobject.count(value) -> integer -- return number of occurrences of value
#[native("range.count($self, value, /)")]
fn range_count(vm: &mut Vm, this: &Value, value: Value) -> PyResult<i64> {
    let r = this_range(vm, this, "count")?;
    Ok(range_position(vm, r, &value)?.is_some() as i64)
}

/// S.indices(len) -> (start, stop, stride)
///
/// Assuming a sequence of length len, calculate the start and stop
/// indices, and the stride length of the extended slice described by
/// S. Out of bounds indices are clipped in a manner consistent with the
/// handling of normal slices.
#[native("slice.indices($self, length, /)")]
fn slice_indices(vm: &mut Vm, this: &Value, length: i64) -> PyResult<Value> {
    let Some(Object::Slice(so)) = this.obj() else {
        let msg =
            format!("descriptor 'indices' for 'slice' objects doesn't apply to a '{}' object", vm.type_name(this));
        return Err(vm.type_error(&msg));
    };
    if length < 0 {
        return Err(vm.value_error("length should not be negative"));
    }
    let idx = vm.slice_indices(so, length as usize)?;
    Ok(Value::tuple(vec![Value::Int(idx.start), Value::Int(idx.stop), Value::Int(idx.step)]))
}

/// Append object to the end of the list.
#[native("list.append($self, object, /)")]
fn append(_vm: &mut Vm, this: &ListObj, object: Value) -> PyResult<()> {
    this.push(object);
    Ok(())
}

/// Extend list by appending elements from the iterable.
#[native("list.extend($self, iterable, /)")]
fn extend(vm: &mut Vm, this: &ListObj, iterable: Value) -> PyResult<()> {
    let items = vm.collect(&iterable)?;
    this.lock().extend(items);
    Ok(())
}

/// Remove and return item at index (default last).
///
/// Raises IndexError if list is empty or index is out of range.
#[native("list.pop($self, index=-1, /)")]
fn pop(vm: &mut Vm, this: &ListObj, index: i64) -> PyResult<Value> {
    let mut g = this.lock();
    if g.is_empty() {
        drop(g);
        return Err(vm.error(Exc::IndexError, "pop from empty list"));
    }
    let n = g.len() as i64;
    let i = if index < 0 { index + n } else { index };
    if i < 0 || i >= n {
        drop(g);
        return Err(vm.error(Exc::IndexError, "pop index out of range"));
    }
    Ok(g.remove(i as usize))
}

/// Insert object before index.
#[native("list.insert($self, index, object, /)")]
fn insert(_vm: &mut Vm, this: &ListObj, index: i64, object: Value) -> PyResult<()> {
    let mut g = this.lock();
    let n = g.len() as i64;
    let at = if index < 0 { (index + n).max(0) } else { index.min(n) };
    g.insert(at as usize, object);
    Ok(())
}

/// The first position in `start..stop` holding an item equal to `x`, reading items
/// one at a time through `get`, so each comparison runs with no lock held.
fn find_index(
    vm: &mut Vm,
    get: impl Fn(usize) -> Option<Value>,
    x: &Value,
    start: usize,
    stop: usize,
) -> PyResult<Option<usize>> {
    let mut i = start;
    while i < stop {
        let Some(v) = get(i) else { return Ok(None) };
        if vm.eq(&v, x)? {
            return Ok(Some(i));
        }
        i += 1;
    }
    Ok(None)
}

/// Remove first occurrence of value.
///
/// Raises ValueError if the value is not present.
#[native("list.remove($self, value, /)")]
fn remove(vm: &mut Vm, this: &ListObj, value: Value) -> PyResult<()> {
    loop {
        match find_index(vm, |i| this.get(i), &value, 0, usize::MAX)? {
            Some(i) => {
                let mut g = this.lock();
                // Another thread may have changed the list since the comparison.
                if i < g.len() && g[i].fast_eq(&value) != Some(false) {
                    let old = g.remove(i);
                    drop(g);
                    drop(old);
                    return Ok(());
                }
            }
            None => return Err(vm.value_error("list.remove(x): x not in list")),
        }
    }
}

/// Start and stop of `index` clamped as slice bounds are, for a sequence of `n` items.
fn index_range(n: usize, start: SliceIndex, stop: SliceIndex) -> (usize, usize) {
    let n = n as i64;
    let norm = |i: i64| if i < 0 { (i + n).max(0) as usize } else { i as usize };
    (norm(start.0), norm(stop.0))
}

/// Return first index of value.
///
/// Raises ValueError if the value is not present.
#[native("list.index($self, value, start=0, stop=sys.maxsize{SliceIndex(i64::MAX)}, /)")]
fn list_index(vm: &mut Vm, this: &ListObj, value: Value, start: SliceIndex, stop: SliceIndex) -> PyResult<usize> {
    let (a, b) = index_range(this.len(), start, stop);
    match find_index(vm, |i| this.get(i), &value, a, b)? {
        Some(i) => Ok(i),
        None => {
            let msg = format!("{} is not in list", vm.repr_of(&value)?);
            Err(vm.value_error(&msg))
        }
    }
}

/// Return first index of value.
///
/// Raises ValueError if the value is not present.
#[native("tuple.index($self, value, start=0, stop=sys.maxsize{SliceIndex(i64::MAX)}, /)")]
fn tuple_index(vm: &mut Vm, this: &TupleObj, value: Value, start: SliceIndex, stop: SliceIndex) -> PyResult<usize> {
    let (a, b) = index_range(this.len(), start, stop);
    match find_index(vm, |i| this.items().get(i).cloned(), &value, a, b)? {
        Some(i) => Ok(i),
        None => Err(vm.value_error("tuple.index(x): x not in tuple")),
    }
}

fn count_equal(vm: &mut Vm, items: Vec<Value>, value: &Value) -> PyResult<i64> {
    let mut n = 0;
    for v in items {
        if vm.eq(&v, value)? {
            n += 1;
        }
    }
    Ok(n)
}

/// Return number of occurrences of value.
#[native("list.count($self, value, /)")]
fn list_count(vm: &mut Vm, this: &ListObj, value: Value) -> PyResult<i64> {
    count_equal(vm, this.snapshot(), &value)
}

/// Return number of occurrences of value.
#[native("tuple.count($self, value, /)")]
fn tuple_count(vm: &mut Vm, this: &TupleObj, value: Value) -> PyResult<i64> {
    count_equal(vm, this.items().to_vec(), &value)
}

/// Remove all items from list.
#[native("list.clear($self, /)")]
fn clear(_vm: &mut Vm, this: &ListObj) -> PyResult<()> {
    this.replace_all(Vec::new());
    Ok(())
}

/// Return a shallow copy of the list.
#[native("list.copy($self, /)")]
fn copy(_vm: &mut Vm, this: &ListObj) -> PyResult<Value> {
    Ok(Value::list(this.snapshot()))
}

/// Reverse *IN PLACE*.
#[native("list.reverse($self, /)")]
fn reverse(_vm: &mut Vm, this: &ListObj) -> PyResult<()> {
    this.lock().reverse();
    Ok(())
}

/// Sort the list in ascending order and return None.
///
/// The sort is in-place (i.e. the list itself is modified) and stable (i.e. the
/// order of two equal elements is maintained).
///
/// If a key function is given, apply it once to each list item and sort them,
/// ascending or descending, according to their function values.
///
/// The reverse flag can be set to sort in descending order.
#[native("list.sort($self, /, *, key=None, reverse=False{IntFlag(false)})")]
fn sort(vm: &mut Vm, this: &ListObj, key: Option<Value>, reverse: IntFlag) -> PyResult<()> {
    let items = this.snapshot();
    let sorted = functions::sort_values(vm, items, key, reverse.0)?;
    this.replace_all(sorted);
    Ok(())
}

// The slot wrappers of the sequence types, shared with the other built-in types:
// each applies the operator to `self`.

/// Return len(self).
#[native("object.__len__($self, /)", style = "slot")]
pub fn dunder_len(vm: &mut Vm, this: Receiver) -> PyResult<usize> {
    functions::len_of(vm, this.0)
}

/// x.__getitem__(y) <==> x[y]
#[native("list.__getitem__($self, key, /)")]
fn list_getitem(vm: &mut Vm, this: (&Value, &ListObj), key: Value) -> PyResult<Value> {
    vm.get_item(this.0, &key)
}

/// Return self[key].
#[native("object.__getitem__($self, key, /)", style = "slot")]
pub fn dunder_getitem(vm: &mut Vm, this: Receiver, key: Value) -> PyResult<Value> {
    vm.get_item(this.0, &key)
}

/// Set self[key] to value.
#[native("object.__setitem__($self, key, value, /)", style = "slot_spaced")]
pub fn dunder_setitem(vm: &mut Vm, this: Receiver, key: Value, value: Value) -> PyResult<()> {
    vm.set_item(this.0, key, value)
}

/// Delete self[key].
#[native("object.__delitem__($self, key, /)", style = "slot")]
pub fn dunder_delitem(vm: &mut Vm, this: Receiver, key: Value) -> PyResult<()> {
    vm.del_item(this.0, &key)
}

/// Return key in self.
#[native("object.__contains__($self, key, /)", style = "slot")]
pub fn dunder_contains(vm: &mut Vm, this: Receiver, key: Value) -> PyResult<bool> {
    vm.contains(this.0, &key)
}

/// Implement iter(self).
#[native("object.__iter__($self, /)", style = "slot")]
pub fn dunder_iter(vm: &mut Vm, this: Receiver) -> PyResult<Value> {
    vm.get_iter(this.0)
}
