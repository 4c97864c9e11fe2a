//! Subscripts: `obj[key]`, `obj[key] = v`, `del obj[key]`, with slices.

use super::{Args, PyResult, Vm};
use crate::native::Exc;
use crate::value::list::ListObj;
use crate::value::{Object, Value};
use num_bigint::BigInt;

/// The position of int index `i` (negative counts from the end) in a sequence of
/// `n` items, or None when it is out of range.
#[inline(always)]
pub(in crate::vm) fn int_position(n: usize, i: i64) -> Option<usize> {
    let n = n as i64;
    let j = if i < 0 { i + n } else { i };
    (j >= 0 && j < n).then_some(j as usize)
}

/// `l[i]` for an int index, cloned under the list's lock; None when out of range.
/// The fast paths of the subscript instructions and `get_item` share it.
#[inline(always)]
pub(in crate::vm) fn list_get_int(l: &ListObj, i: i64) -> Option<Value> {
    let g = l.lock();
    let j = int_position(g.len(), i)?;
    Some(g[j].clone())
}

/// `l[i] = v` for an int index; the old item is dropped after the lock is released
/// (dropping it may free objects). Gives `v` back when `i` is out of range.
#[inline(always)]
pub(in crate::vm) fn list_set_int(l: &ListObj, i: i64, v: Value) -> Result<(), Value> {
    let mut g = l.lock();
    let Some(j) = int_position(g.len(), i) else { return Err(v) };
    let old = std::mem::replace(&mut g[j], v);
    drop(g);
    drop(old);
    Ok(())
}

/// `obj[key] = v` when `obj` is a list and `key` an int in range; gives `v` back
/// otherwise, for the general path.
#[inline(always)]
pub(in crate::vm) fn store_list_int(obj: &Value, key: &Value, v: Value) -> Result<(), Value> {
    match (obj, key) {
        (Value::Obj(o), Value::Int(i)) => match &**o {
            Object::List(l) => list_set_int(l, *i, v),
            _ => Err(v),
        },
        _ => Err(v),
    }
}

/// `obj[key]` when `obj` is a list and `key` an int in range; None otherwise.
#[inline(always)]
pub(in crate::vm) fn load_list_int(obj: &Value, key: &Value) -> Option<Value> {
    match (obj, key) {
        (Value::Obj(o), Value::Int(i)) => match &**o {
            Object::List(l) => list_get_int(l, *i),
            _ => None,
        },
        _ => None,
    }
}

/// A slice resolved against a sequence length: start, stop, step and item count.
pub struct SliceIdx {
    pub start: i64,
    pub stop: i64,
    pub step: i64,
    pub len: usize,
}

impl SliceIdx {
    pub fn indices(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.len).map(move |i| (self.start + i as i64 * self.step) as usize)
    }
}

impl Vm {
    /// Resolves `slice` against a sequence of length `n` (as `slice.indices(n)`).
    pub fn slice_indices(&mut self, s: &crate::value::SliceObj, n: usize) -> PyResult<SliceIdx> {
        let n = n as i64;
        // A step beyond the machine range is clamped, as CPython clamps it to
        // ±sys.maxsize (`[1, 2, 3][::10**20]` is `[1]`).
        let step = match &s.step {
            Value::None => 1,
            v @ Value::Obj(o) if matches!(&**o, Object::BigInt(_)) => {
                if crate::value::int::to_bigint(v).map(|b| b.sign() == num_bigint::Sign::Minus).unwrap_or(false) {
                    -i64::MAX
                } else {
                    i64::MAX
                }
            }
            v => self.index_value(v)?,
        };
        if step == 0 {
            return Err(self.value_error("slice step cannot be zero"));
        }
        let (lo, hi) = if step < 0 { (-1, n - 1) } else { (0, n) };
        let clamp = |vm: &mut Vm, v: &Value, default: i64| -> PyResult<i64> {
            if v.is_none() {
                return Ok(default);
            }
            let i = match v {
                Value::Obj(o) if matches!(&**o, Object::BigInt(_)) => {
                    if crate::value::int::to_bigint(v).map(|b| b.sign() == num_bigint::Sign::Minus).unwrap_or(false) {
                        i64::MIN / 2
                    } else {
                        i64::MAX / 2
                    }
                }
                _ => vm.index_value(v)?,
            };
            let i = if i < 0 { i + n } else { i };
            Ok(i.clamp(lo, hi))
        };
        let start = clamp(self, &s.start, if step < 0 { n - 1 } else { 0 })?;
        let stop = clamp(self, &s.stop, if step < 0 { -1 } else { n })?;
        let len = if step > 0 {
            if stop > start {
                ((stop - start - 1) / step + 1) as usize
            } else {
                0
            }
        } else if start > stop {
            ((start - stop - 1) / (-step) + 1) as usize
        } else {
            0
        };
        Ok(SliceIdx { start, stop, step, len })
    }

    /// A sequence index: negative counts from the end; IndexError when out of range.
    pub fn seq_index(&mut self, key: &Value, n: usize, what: &str) -> PyResult<usize> {
        let i = match key {
            Value::Obj(o) if matches!(&**o, Object::BigInt(_)) => {
                return Err(self.error(Exc::IndexError, "cannot fit 'int' into an index-sized integer"));
            }
            Value::Int(_) | Value::Bool(_) => self.index_value(key)?,
            _ => match self.index_value(key) {
                Ok(i) => i,
                Err(_) => {
                    // CPython 3.11 words str's message differently from the others'.
                    let msg = if what == "string" {
                        format!("string indices must be integers, not '{}'", self.type_name(key))
                    } else {
                        format!("{what} indices must be integers or slices, not {}", self.type_name(key))
                    };
                    return Err(self.type_error(&msg));
                }
            },
        };
        let j = if i < 0 { i + n as i64 } else { i };
        if j < 0 || j >= n as i64 {
            let msg = format!("{what} index out of range");
            return Err(self.error(Exc::IndexError, &msg));
        }
        Ok(j as usize)
    }

    /// `obj[key]`.
    pub fn get_item(&mut self, obj: &Value, key: &Value) -> PyResult<Value> {
        if let Value::Obj(o) = obj {
            match &**o {
                Object::List(l) => {
                    if let Value::Int(i) = key {
                        return match list_get_int(l, *i) {
                            Some(v) => Ok(v),
                            None => Err(self.error(Exc::IndexError, "list index out of range")),
                        };
                    }
                    if let Some(Object::Slice(s)) = key.obj() {
                        let items = l.snapshot();
                        let idx = self.slice_indices(s, items.len())?;
                        return Ok(Value::list(idx.indices().map(|i| items[i].clone()).collect()));
                    }
                    let n = l.len();
                    let i = self.seq_index(key, n, "list")?;
                    return match l.get(i) {
                        Some(v) => Ok(v),
                        None => Err(self.error(Exc::IndexError, "list index out of range")),
                    };
                }
                Object::Tuple(t) => {
                    if let Some(Object::Slice(s)) = key.obj() {
                        let idx = self.slice_indices(s, t.len())?;
                        return Ok(Value::tuple(idx.indices().map(|i| t.items()[i].clone()).collect()));
                    }
                    let i = self.seq_index(key, t.len(), "tuple")?;
                    return Ok(t.items()[i].clone());
                }
                Object::Str(s) => {
                    if let Some(Object::Slice(sl)) = key.obj() {
                        let idx = self.slice_indices(sl, s.char_len())?;
                        return Ok(crate::builtins::str_slice(s, &idx));
                    }
                    let i = self.seq_index(key, s.char_len(), "string")?;
                    return Ok(crate::builtins::str_char(s, i));
                }
                Object::Bytes(b) => {
                    if let Some(Object::Slice(sl)) = key.obj() {
                        let idx = self.slice_indices(sl, b.len())?;
                        let v: Vec<u8> = idx.indices().map(|i| b[i]).collect();
                        return Ok(Value::new(Object::Bytes(v.into_boxed_slice())));
                    }
                    let i = self.seq_index(key, b.len(), "index")?;
                    return Ok(Value::Int(b[i] as i64));
                }
                Object::ByteArray(ba) => return self.bytearray_get(ba, key),
                Object::Range(r) if !matches!(key.obj(), Some(Object::Slice(_))) => {
                    if let Value::Int(_) | Value::Bool(_) = key {
                        let i = self.seq_index(key, r.len() as usize, "range object")?;
                        return Ok(Value::Int(r.get(i as i64)));
                    }
                    return self.range_item(o, key);
                }
                Object::Range(_) | Object::BigRange(_) => return self.range_item(o, key),
                Object::Dict(_) => {
                    return match self.dict_get(obj, key)? {
                        Some(v) => Ok(v),
                        None => {
                            // A dict subclass may define __missing__ (handled for instances).
                            Err(self.key_error(key.clone()))
                        }
                    };
                }
                Object::Class(c) => {
                    // A metaclass's `__getitem__` first (`Color['RED']`), then the
                    // class's `__class_getitem__` (implicitly a class method).
                    if let Some(m) = &c.meta {
                        let f = self.lookup_type_attr(m, &crate::interp::names().__getitem__);
                        if let Some(f) = f {
                            return self.call(&f, Args::new([obj.clone(), key.clone()]));
                        }
                    }
                    return self.class_getitem(o, key);
                }
                _ => {}
            }
        }
        let cls = self.class_of(obj);
        let f = self.lookup_type_attr(&cls, &crate::interp::names().__getitem__);
        if let (false, Some(base)) = (super::ops::overrides(&f), obj.base_value()) {
            if base.as_dict().is_some() {
                // A dict subclass's `__missing__` supplies absent keys.
                if let Some(v) = self.dict_get(base, key)? {
                    return Ok(v);
                }
                if let Some(m) = self.lookup_type_attr(&cls, &crate::value::str::intern("__missing__")) {
                    return self.call(&m, Args::new([obj.clone(), key.clone()]));
                }
                return Err(self.key_error(key.clone()));
            }
            return self.get_item(base, key);
        }
        match f {
            Some(f) => self.call(&f, Args::new([obj.clone(), key.clone()])),
            None => {
                let msg = format!("'{}' object is not subscriptable", self.type_name(obj));
                Err(self.type_error(&msg))
            }
        }
    }

    /// `obj[key]` for a mapping namespace: None when the key is missing.
    pub fn get_item_opt(&mut self, obj: &Value, key: &Value) -> PyResult<Option<Value>> {
        if obj.as_dict().is_some() {
            return self.dict_get(obj, key);
        }
        match self.get_item(obj, key) {
            Ok(v) => Ok(Some(v)),
            Err(e) => {
                let ke = Exc::KeyError.class().clone();
                if crate::value::class::is_subclass(&self.class_of(&e.exc), &ke) {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }

    pub fn key_error(&mut self, key: Value) -> super::PyErr {
        let cls = Exc::KeyError.class().clone();
        self.new_exception(&cls, vec![key])
    }

    /// `obj[key] = v`.
    pub fn set_item(&mut self, obj: &Value, key: Value, v: Value) -> PyResult<()> {
        if let Value::Obj(o) = obj {
            match &**o {
                Object::List(l) => {
                    if let Value::Int(i) = key {
                        return match list_set_int(l, i, v) {
                            Ok(()) => Ok(()),
                            Err(_) => Err(self.error(Exc::IndexError, "list assignment index out of range")),
                        };
                    }
                    if let Some(Object::Slice(s)) = key.obj() {
                        let new = self.collect(&v)?;
                        let n = l.len();
                        let idx = self.slice_indices(s, n)?;
                        let mut g = l.lock();
                        if idx.step == 1 {
                            let start = idx.start.max(0) as usize;
                            let stop = (idx.start + idx.len as i64).max(start as i64) as usize;
                            let n = g.len();
                            let old: Vec<Value> = g.splice(start.min(n)..stop.min(n), new).collect();
                            drop(g);
                            drop(old);
                            return Ok(());
                        }
                        if new.len() != idx.len {
                            drop(g);
                            let msg = format!(
                                "attempt to assign sequence of size {} to extended slice of size {}",
                                new.len(),
                                idx.len
                            );
                            return Err(self.value_error(&msg));
                        }
                        for (i, val) in idx.indices().zip(new) {
                            if i < g.len() {
                                g[i] = val;
                            }
                        }
                        return Ok(());
                    }
                    let n = l.len();
                    let i = match self.seq_index(&key, n, "list") {
                        Ok(i) => i,
                        Err(e) => {
                            if self.class_of(&e.exc).class_name() == "IndexError" {
                                return Err(self.error(Exc::IndexError, "list assignment index out of range"));
                            }
                            return Err(e);
                        }
                    };
                    let mut g = l.lock();
                    if i < g.len() {
                        g[i] = v;
                    }
                    return Ok(());
                }
                Object::Dict(_) => return self.dict_set(obj, key, v),
                Object::ByteArray(ba) => return self.bytearray_set(ba, &key, &v),
                _ => {}
            }
        }
        let cls = self.class_of(obj);
        let f = self.lookup_type_attr(&cls, &crate::interp::names().__setitem__);
        if let (false, Some(base)) = (super::ops::overrides(&f), obj.base_value()) {
            if matches!(base.obj(), Some(Object::List(_)) | Some(Object::Dict(_))) {
                return self.set_item(base, key, v);
            }
        }
        match f {
            Some(f) => {
                self.call(&f, Args::new([obj.clone(), key, v]))?;
                Ok(())
            }
            None => {
                let msg = format!("'{}' object does not support item assignment", self.type_name(obj));
                Err(self.type_error(&msg))
            }
        }
    }

    /// `del obj[key]`.
    pub fn del_item(&mut self, obj: &Value, key: &Value) -> PyResult<()> {
        if let Value::Obj(o) = obj {
            match &**o {
                Object::List(l) => {
                    if let Some(Object::Slice(s)) = key.obj() {
                        let n = l.len();
                        let idx = self.slice_indices(s, n)?;
                        let mut drop_idx: Vec<usize> = idx.indices().collect();
                        drop_idx.sort_unstable();
                        let mut g = l.lock();
                        let mut removed = Vec::new();
                        for i in drop_idx.into_iter().rev() {
                            if i < g.len() {
                                removed.push(g.remove(i));
                            }
                        }
                        drop(g);
                        return Ok(());
                    }
                    let n = l.len();
                    let i = match self.seq_index(key, n, "list") {
                        Ok(i) => i,
                        Err(e) => {
                            if self.class_of(&e.exc).class_name() == "IndexError" {
                                return Err(self.error(Exc::IndexError, "list assignment index out of range"));
                            }
                            return Err(e);
                        }
                    };
                    let mut g = l.lock();
                    if i < g.len() {
                        let old = g.remove(i);
                        drop(g);
                        drop(old);
                    }
                    return Ok(());
                }
                Object::ByteArray(ba) => return self.bytearray_del(ba, key),
                Object::Dict(_) => {
                    return match self.dict_remove(obj, key)? {
                        Some(_) => Ok(()),
                        None => Err(self.key_error(key.clone())),
                    };
                }
                _ => {}
            }
        }
        let cls = self.class_of(obj);
        let f = self.lookup_type_attr(&cls, &crate::interp::names().__delitem__);
        if let (false, Some(base)) = (super::ops::overrides(&f), obj.base_value()) {
            if matches!(base.obj(), Some(Object::List(_)) | Some(Object::Dict(_))) {
                return self.del_item(base, key);
            }
        }
        match f {
            Some(f) => {
                self.call(&f, Args::new([obj.clone(), key.clone()]))?;
                Ok(())
            }
            None => {
                let msg = format!("'{}' object does not support item deletion", self.type_name(obj));
                Err(self.type_error(&msg))
            }
        }
    }

    /// `r[key]` of any range in unbounded integers: an index of any size, or a slice,
    /// which is again a range.
    fn range_item(&mut self, r: &Object, key: &Value) -> PyResult<Value> {
        use crate::value::range::{clamp_slice_bound, make_range, range_parts};
        use num_traits::{Signed, Zero};
        let (start, _, step, len) = range_parts(r).unwrap();
        if let Some(Object::Slice(sl)) = key.obj() {
            let bound = |vm: &mut Vm, v: &Value| -> PyResult<Option<BigInt>> {
                if v.is_none() {
                    return Ok(None);
                }
                match vm.index_value_big(v) {
                    Ok(b) => Ok(Some(b)),
                    Err(_) => Err(vm.type_error("slice indices must be integers or None or have an __index__ method")),
                }
            };
            let (a, b, c) = (sl.start.clone(), sl.stop.clone(), sl.step.clone());
            let sstep = bound(self, &c)?.unwrap_or_else(|| BigInt::from(1));
            if sstep.is_zero() {
                return Err(self.value_error("slice step cannot be zero"));
            }
            let neg = sstep.is_negative();
            let lo = clamp_slice_bound(bound(self, &a)?, &len, neg, true);
            let hi = clamp_slice_bound(bound(self, &b)?, &len, neg, false);
            let new_step = &step * &sstep;
            let new_start = &start + &lo * &step;
            let new_stop = &start + &hi * &step;
            return Ok(make_range(new_start, new_stop, new_step));
        }
        let i = match key {
            Value::Int(_) | Value::Bool(_) => self.index_value_big(key)?,
            Value::Obj(o) if matches!(&**o, Object::BigInt(_)) => self.index_value_big(key)?,
            _ => match self.index_value_big(key) {
                Ok(i) => i,
                Err(_) => {
                    let msg = format!("range indices must be integers or slices, not {}", self.type_name(key));
                    return Err(self.type_error(&msg));
                }
            },
        };
        let j = if i.is_negative() { i + &len } else { i };
        if j.is_negative() || j >= len {
            return Err(self.error(Exc::IndexError, "range object index out of range"));
        }
        Ok(crate::value::int::normalize(start + j * step))
    }
}
