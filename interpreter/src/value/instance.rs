//! Instances of classes: the class, an attribute dict behind its own lock, and an
//! optional native payload set once by a native base class's constructor (exception
//! data for exceptions, a lock for `threading.Lock`, ...).

use super::dict::DictData;
use super::spin::{SpinGuard, SpinLock};
use super::ObjRef;
use std::any::Any;
use std::sync::atomic::{AtomicBool, Ordering};
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
    /// Set once the attribute dict has been handed out: until then it is empty, and
    /// a method lookup need not take its lock to look for a shadowing attribute
    /// (taking it is two atomic operations on a line other threads may be using).
    touched: AtomicBool,
}

impl InstanceObj {
    pub fn new(class: ObjRef) -> InstanceObj {
        InstanceObj {
            class,
            attrs: SpinLock::new(DictData::new()),
            native: OnceLock::new(),
            touched: AtomicBool::new(false),
        }
    }

    pub fn with_native(class: ObjRef, data: NativeData) -> InstanceObj {
        let native = OnceLock::new();
        let _ = native.set(data);
        InstanceObj { class, attrs: SpinLock::new(DictData::new()), native, touched: AtomicBool::new(false) }
    }

    /// Locks the attribute dict. Never call script code while holding the guard.
    #[inline(always)]
    pub fn attrs(&self) -> SpinGuard<'_, DictData> {
        if !self.touched.load(Ordering::Relaxed) {
            self.touched.store(true, Ordering::Relaxed);
        }
        self.attrs.lock()
    }

    /// False while the attribute dict has never been handed out (so it is empty).
    /// The thread that stores an attribute has set the flag first; other threads see
    /// it once they have synchronised with that thread, as for the attribute itself.
    #[inline(always)]
    pub fn may_have_attrs(&self) -> bool {
        self.touched.load(Ordering::Acquire)
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
