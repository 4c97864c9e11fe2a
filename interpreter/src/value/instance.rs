//! Instances of classes: the class, an attribute dict behind its own lock, and an
//! optional native payload set once by a native base class's constructor (exception
//! data for exceptions, a lock for `threading.Lock`, ...).

use super::dict::DictData;
use super::spin::{SpinGuard, SpinLock};
use super::{ObjRef, Value};
use std::any::Any;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::OnceLock;

pub type NativeData = Box<dyn Any + Send + Sync>;

/// The native payload of an instance of a class derived from a built-in value type
/// (`class Stack(list)`): a plain value of that type (an `Object::List`, a
/// `Value::Int`, ...). Operations the class does not override in script code act on
/// it, as CPython's inherited slots act on the base part of the object. A mutable
/// base (list, dict, set) is shared by reference, so the payload's own lock guards it.
pub struct BaseValue(pub super::Value);

pub struct InstanceObj {
    pub class: ObjRef,
    /// A spin lock (one atomic operation per access, not two): attribute reads and
    /// writes are a few instructions and never run script code under it.
    attrs: SpinLock<DictData>,
    pub native: OnceLock<NativeData>,
    /// A one-word Bloom filter of the keys ever stored in `attrs`: bit
    /// `name_bit(name)` is set (under the lock, before the key is inserted) for every
    /// key, and all bits once the dict has been handed out for arbitrary changes.
    /// A clear bit proves, without the lock, that the name is not an instance
    /// attribute: method calls need not look for a shadowing attribute (taking the
    /// lock is an atomic operation on a line other threads may be using). Bits are
    /// never cleared. Only lock holders write it, so a plain load and store suffice.
    keys: AtomicU64,
}

/// The Bloom filter bit of a name with hash `hash`.
#[inline(always)]
fn name_bit(hash: i64) -> u64 {
    1 << ((hash as u64 >> 8) & 63)
}

/// A hint slot meaning "no position known".
const NO_HINT: u8 = u8::MAX;

impl InstanceObj {
    pub fn new(class: ObjRef) -> InstanceObj {
        InstanceObj { class, attrs: SpinLock::new(DictData::new()), native: OnceLock::new(), keys: AtomicU64::new(0) }
    }

    pub fn with_native(class: ObjRef, data: NativeData) -> InstanceObj {
        let native = OnceLock::new();
        let _ = native.set(data);
        InstanceObj { class, attrs: SpinLock::new(DictData::new()), native, keys: AtomicU64::new(0) }
    }

    /// Locks the attribute dict for any use, including inserting keys. Never call
    /// script code while holding the guard.
    #[inline(always)]
    pub fn attrs(&self) -> SpinGuard<'_, DictData> {
        let g = self.attrs.lock();
        if self.keys.load(Ordering::Relaxed) != u64::MAX {
            self.keys.store(u64::MAX, Ordering::Relaxed);
        }
        g
    }

    /// False when the instance certainly has no attribute `name` (hash `hash`), read
    /// without the lock. The thread that stores an attribute sets its bit first;
    /// other threads see it once they have synchronised with that thread, as for the
    /// attribute itself.
    #[inline(always)]
    pub fn may_have(&self, hash: i64) -> bool {
        self.keys.load(Ordering::Acquire) & name_bit(hash) != 0
    }

    /// True when the instance dict holds `name` (an interned str with hash `hash`).
    #[inline(always)]
    pub fn has_name(&self, name: &ObjRef, hash: i64) -> bool {
        self.may_have(hash) && self.attrs.lock().find_name(hash, name, NO_HINT as usize).is_some()
    }

    /// The value of attribute `name` (an interned str with hash `hash`) in the
    /// instance dict. `hint` remembers where the name was found last time (one per
    /// name of a code object: instances of one class store their attributes in the
    /// same order), so the usual lookup is one comparison.
    #[inline(always)]
    pub fn get_name(&self, name: &ObjRef, hash: i64, hint: &AtomicU8) -> Option<Value> {
        if !self.may_have(hash) {
            return None;
        }
        let a = self.attrs.lock();
        let h = hint.load(Ordering::Relaxed);
        let i = a.find_name(hash, name, h as usize)?;
        let v = a.entry(i).value.clone();
        drop(a);
        remember(hint, h, i);
        Some(v)
    }

    /// Sets attribute `name` (an interned str with hash `hash`), returning the old
    /// value (to be dropped by the caller, outside the lock); `hint` as for `get_name`.
    #[inline(always)]
    pub fn set_name(&self, name: &ObjRef, hash: i64, v: Value, hint: &AtomicU8) -> Option<Value> {
        let mut a = self.attrs.lock();
        let h = hint.load(Ordering::Relaxed);
        match a.find_name(hash, name, h as usize) {
            Some(i) => {
                let old = std::mem::replace(a.value_mut(i), v);
                drop(a);
                remember(hint, h, i);
                Some(old)
            }
            None => {
                let bits = self.keys.load(Ordering::Relaxed);
                if bits & name_bit(hash) == 0 {
                    self.keys.store(bits | name_bit(hash), Ordering::Release);
                }
                let i = a.raw_len();
                a.insert_new(hash, Value::Obj(name.clone()), v);
                drop(a);
                remember(hint, h, i);
                None
            }
        }
    }

    /// Combines attribute `name` with `rhs` in place under the lock, when it exists
    /// and `op` gives a result without running code (numbers); false otherwise.
    #[inline(always)]
    pub fn update_name(
        &self,
        name: &ObjRef,
        hash: i64,
        hint: &AtomicU8,
        op: impl FnOnce(&Value) -> Option<Value>,
    ) -> bool {
        if !self.may_have(hash) {
            return false;
        }
        let mut a = self.attrs.lock();
        let h = hint.load(Ordering::Relaxed);
        let Some(i) = a.find_name(hash, name, h as usize) else { return false };
        let Some(r) = op(&a.entry(i).value) else { return false };
        // `op` only combines numbers: the replaced value needs no drop outside.
        let old = std::mem::replace(a.value_mut(i), r);
        drop(a);
        drop(old);
        remember(hint, h, i);
        true
    }

    /// The base value of an instance of a class derived from a built-in value type.
    #[inline]
    pub fn base_value(&self) -> Option<&super::Value> {
        self.native::<BaseValue>().map(|b| &b.0)
    }

    /// The native payload as `T`, if it is one.
    pub fn native<T: 'static>(&self) -> Option<&T> {
        self.native.get().and_then(|b| b.downcast_ref::<T>())
    }
}

/// Stores a new position hint, writing the shared code object only when it changed.
#[inline(always)]
fn remember(hint: &AtomicU8, old: u8, pos: usize) {
    if old as usize != pos {
        hint.store(if pos < NO_HINT as usize { pos as u8 } else { NO_HINT }, Ordering::Relaxed);
    }
}
