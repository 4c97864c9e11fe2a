//! `list`: a growable sequence behind its own lock. Single operations (`append`,
//! `pop`, item assignment) are atomic, as in CPython; the lock is never held while
//! script code runs.

use super::spin::{SpinGuard, SpinLock};
use super::Value;

pub struct ListObj {
    items: SpinLock<Vec<Value>>,
}

impl ListObj {
    pub fn new(items: Vec<Value>) -> ListObj {
        ListObj { items: SpinLock::new(items) }
    }

    /// Locks the list. Never call script code while holding the guard.
    #[inline(always)]
    pub fn lock(&self) -> SpinGuard<'_, Vec<Value>> {
        self.items.lock()
    }

    pub fn len(&self) -> usize {
        self.items.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.lock().is_empty()
    }

    /// A copy of the items (cheap: values are counted references).
    pub fn snapshot(&self) -> Vec<Value> {
        self.items.lock().clone()
    }

    pub fn get(&self, i: usize) -> Option<Value> {
        self.items.lock().get(i).cloned()
    }

    #[inline]
    pub fn push(&self, v: Value) {
        self.items.lock().push(v);
    }

    /// Replaces the contents, dropping the old items after the lock is released (their
    /// destructors may free objects that take other locks).
    pub fn replace_all(&self, items: Vec<Value>) {
        let old = std::mem::replace(&mut *self.items.lock(), items);
        drop(old);
    }
}
