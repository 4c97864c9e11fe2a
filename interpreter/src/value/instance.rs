//! Instances of classes: the class, an attribute dict behind its own lock, and an
//! optional native payload set once by a native base class's constructor (exception
//! data for exceptions, a lock for `threading.Lock`, ...).

use super::dict::DictData;
use super::ObjRef;
use parking_lot::{Mutex, MutexGuard};
use std::any::Any;
use std::sync::OnceLock;

pub type NativeData = Box<dyn Any + Send + Sync>;

pub struct InstanceObj {
    pub class: ObjRef,
    attrs: Mutex<DictData>,
    pub native: OnceLock<NativeData>,
}

impl InstanceObj {
    pub fn new(class: ObjRef) -> InstanceObj {
        InstanceObj { class, attrs: Mutex::new(DictData::new()), native: OnceLock::new() }
    }

    pub fn with_native(class: ObjRef, data: NativeData) -> InstanceObj {
        let native = OnceLock::new();
        let _ = native.set(data);
        InstanceObj { class, attrs: Mutex::new(DictData::new()), native }
    }

    /// Locks the attribute dict. Never call script code while holding the guard.
    #[inline(always)]
    pub fn attrs(&self) -> MutexGuard<'_, DictData> {
        self.attrs.lock()
    }

    /// The native payload as `T`, if it is one.
    pub fn native<T: 'static>(&self) -> Option<&T> {
        self.native.get().and_then(|b| b.downcast_ref::<T>())
    }
}
