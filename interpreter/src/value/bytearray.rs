//! `bytearray`: a mutable byte sequence behind its own lock, like a list of small
//! ints. Single operations (append, item assignment, extend from bytes) are atomic;
//! the lock is never held while script code runs.

use super::spin::{SpinGuard, SpinLock};

pub struct ByteArrayObj {
    data: SpinLock<Vec<u8>>,
}

impl ByteArrayObj {
    pub fn new(data: Vec<u8>) -> ByteArrayObj {
        ByteArrayObj { data: SpinLock::new(data) }
    }

    /// Locks the contents. Never call script code while holding the guard.
    #[inline]
    pub fn lock(&self) -> SpinGuard<'_, Vec<u8>> {
        self.data.lock()
    }

    pub fn len(&self) -> usize {
        self.data.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.data.lock().is_empty()
    }

    /// A copy of the contents.
    pub fn snapshot(&self) -> Vec<u8> {
        self.data.lock().clone()
    }
}
