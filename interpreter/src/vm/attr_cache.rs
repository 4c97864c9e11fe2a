//! The per-thread cache of attribute lookups on classes.
//!
//! A method call looks its name up along the class's MRO. Class namespaces are shared
//! by all threads, so each VM keeps its own small direct-mapped table of recent
//! lookups: one multiply to find the entry, two compares to check it, no lock and
//! no write to shared memory. Entries are valid while `CLASS_VERSION` (bumped by any
//! write to any class namespace) is unchanged.

use crate::value::Value;

/// Entries in each thread's table: enough for the methods of a hot loop, small
/// enough (10 KB) that a thousand idle threads do not notice it.
const ENTRIES: usize = 256;

#[derive(Default, Clone)]
struct Entry {
    class: usize,
    name: usize,
    version: u64,
    value: Option<Value>,
}

#[derive(Default)]
pub(crate) struct AttrCache {
    /// Allocated on first use: most threads of a big pool never look anything up.
    entries: Vec<Entry>,
}

impl AttrCache {
    #[inline(always)]
    fn slot(class: usize, name: usize) -> usize {
        let h = (class ^ name.rotate_left(17)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        h >> (usize::BITS - ENTRIES.trailing_zeros()) as usize
    }

    /// The cached lookup of `name` on `class`, if it is still valid at `version`:
    /// `Some(None)` caches "not found".
    #[inline(always)]
    pub(crate) fn get(&self, class: usize, name: usize, version: u64) -> Option<&Option<Value>> {
        let e = self.entries.get(Self::slot(class, name))?;
        (e.class == class && e.name == name && e.version == version).then_some(&e.value)
    }

    pub(crate) fn insert(&mut self, class: usize, name: usize, version: u64, value: Option<Value>) {
        if self.entries.is_empty() {
            self.entries = vec![Entry::default(); ENTRIES];
        }
        self.entries[Self::slot(class, name)] = Entry { class, name, version, value };
    }
}
