//! Subscription of `bytearray`: items are ints in range(256), slices are new
//! bytearrays, and assignment or deletion (of items and slices) edits in place under
//! the object's lock. Values to store are converted before the lock is taken, since
//! that may run script code (`__index__`, iterators).

use super::{PyResult, Vm};
use crate::builtins::bytes_methods::{byte_value, bytes_of_iterable, new_bytearray};
use crate::native::Exc;
use crate::value::bytearray::ByteArrayObj;
use crate::value::{Object, Value};

impl Vm {
    /// `ba[key]`.
    pub(crate) fn bytearray_get(&mut self, ba: &ByteArrayObj, key: &Value) -> PyResult<Value> {
        if let Some(Object::Slice(sl)) = key.obj() {
            let idx = self.slice_indices(sl, ba.len())?;
            let g = ba.lock();
            let v: Vec<u8> = idx.indices().filter_map(|i| g.get(i).copied()).collect();
            drop(g);
            return Ok(new_bytearray(v));
        }
        let i = self.seq_index(key, ba.len(), "bytearray")?;
        match ba.lock().get(i) {
            Some(&b) => Ok(Value::Int(b as i64)),
            None => Err(self.error(Exc::IndexError, "bytearray index out of range")),
        }
    }

    /// `ba[key] = v`.
    pub(crate) fn bytearray_set(&mut self, ba: &ByteArrayObj, key: &Value, v: &Value) -> PyResult<()> {
        if let Some(Object::Slice(sl)) = key.obj() {
            let new = match v {
                Value::Int(_) => {
                    return Err(self.type_error("can assign only bytes, buffers, or iterables of ints in range(0, 256)"))
                }
                _ => bytes_of_iterable(self, v, "bytearray")?,
            };
            let idx = self.slice_indices(sl, ba.len())?;
            let mut g = ba.lock();
            if idx.step == 1 {
                let n = g.len();
                let start = (idx.start.max(0) as usize).min(n);
                let stop = ((idx.start + idx.len as i64).max(start as i64) as usize).min(n);
                g.splice(start..stop, new);
                return Ok(());
            }
            if new.len() != idx.len {
                drop(g);
                let msg =
                    format!("attempt to assign bytes of size {} to extended slice of size {}", new.len(), idx.len);
                return Err(self.value_error(&msg));
            }
            for (i, b) in idx.indices().zip(new) {
                if let Some(slot) = g.get_mut(i) {
                    *slot = b;
                }
            }
            return Ok(());
        }
        let b = byte_value(self, v)?;
        let i = self.seq_index(key, ba.len(), "bytearray")?;
        match ba.lock().get_mut(i) {
            Some(slot) => {
                *slot = b;
                Ok(())
            }
            None => Err(self.error(Exc::IndexError, "bytearray index out of range")),
        }
    }

    /// `del ba[key]`.
    pub(crate) fn bytearray_del(&mut self, ba: &ByteArrayObj, key: &Value) -> PyResult<()> {
        if let Some(Object::Slice(sl)) = key.obj() {
            let idx = self.slice_indices(sl, ba.len())?;
            let mut gone: Vec<usize> = idx.indices().collect();
            gone.sort_unstable();
            let mut g = ba.lock();
            for i in gone.into_iter().rev() {
                if i < g.len() {
                    g.remove(i);
                }
            }
            return Ok(());
        }
        let i = self.seq_index(key, ba.len(), "bytearray")?;
        let mut g = ba.lock();
        if i < g.len() {
            g.remove(i);
            return Ok(());
        }
        drop(g);
        Err(self.error(Exc::IndexError, "bytearray index out of range"))
    }
}
