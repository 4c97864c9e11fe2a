//! `dict`: an insertion-ordered hash table behind its own lock.
//!
//! Layout (as CPython's): entries in insertion order in a `Vec`, deleted entries left as
//! holes (`key == Null`) until compaction, and an index table of entry positions that is
//! only built once the dict has more than [`SMALL`] entries (small dicts, such as most
//! instance attribute dicts, are scanned linearly).
//!
//! Hashing and `__eq__` of instance keys run script code, which must never happen
//! under the lock. So the hash is computed by the caller before locking, and the probe
//! compares keys with [`Value::fast_eq`], which answers without script code for
//! built-in keys and otherwise reports the candidate as *unsure*; the VM then compares
//! unsure candidates with the lock released and re-checks the dict's version.

use super::spin::{SpinGuard, SpinLock};
use super::Value;
use hashbrown::HashTable;

/// Up to this many entries, no index table is kept.
const SMALL: usize = 8;

pub struct Entry {
    pub hash: i64,
    pub key: Value,
    pub value: Value,
}

#[derive(Default)]
pub struct DictData {
    entries: Vec<Entry>,
    index: Option<Box<HashTable<u32>>>,
    len: usize,
    /// Bumped on every insertion or removal (not on value replacement), so iterators
    /// and unlocked comparisons can detect a change of shape.
    version: u64,
}

/// Result of looking a key up without running script code.
pub enum Probe {
    Found(usize),
    Missing,
    /// Candidates with the same hash whose equality needs script code (`__eq__`).
    Unsure(Vec<usize>),
}

impl DictData {
    pub fn new() -> DictData {
        DictData::default()
    }

    pub fn with_capacity(n: usize) -> DictData {
        let mut d = DictData { entries: Vec::with_capacity(n), ..Default::default() };
        if n > SMALL {
            d.index = Some(Box::new(HashTable::with_capacity(n)));
        }
        d
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline]
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Looks up `key` (whose hash is `hash`) comparing only without script code.
    #[inline]
    pub fn probe(&self, hash: i64, key: &Value) -> Probe {
        let mut unsure = Vec::new();
        match &self.index {
            None => {
                for (i, e) in self.entries.iter().enumerate() {
                    if e.hash == hash && !e.key.is_null() {
                        match e.key.fast_eq(key) {
                            Some(true) => return Probe::Found(i),
                            Some(false) => {}
                            None => unsure.push(i),
                        }
                    }
                }
            }
            Some(index) => {
                let entries = &self.entries;
                let found = index.find(hash as u64, |&i| {
                    let e = &entries[i as usize];
                    if e.hash != hash {
                        return false;
                    }
                    match e.key.fast_eq(key) {
                        Some(b) => b,
                        None => {
                            unsure.push(i as usize);
                            false
                        }
                    }
                });
                if let Some(&i) = found {
                    return Probe::Found(i as usize);
                }
            }
        }
        if unsure.is_empty() {
            Probe::Missing
        } else {
            Probe::Unsure(unsure)
        }
    }

    /// Looks up a key whose equality never needs script code (e.g. an interned or
    /// any str key). Unsure candidates count as missing.
    #[inline]
    pub fn get_simple(&self, hash: i64, key: &Value) -> Option<&Value> {
        match self.probe(hash, key) {
            Probe::Found(i) => Some(&self.entries[i].value),
            _ => None,
        }
    }

    /// The raw position the next inserted entry will take.
    #[inline]
    pub fn raw_len(&self) -> usize {
        self.entries.len()
    }

    /// The position of the key that is the interned name `name` (hash `hash`),
    /// trying raw position `hint` first. Names are compared by pointer; when no key
    /// is the name itself, a full probe finds an equal str that was not interned.
    #[inline(always)]
    pub fn find_name(&self, hash: i64, name: &super::ObjRef, hint: usize) -> Option<usize> {
        if let Some(Entry { key: Value::Obj(k), .. }) = self.entries.get(hint) {
            if k.ptr_eq(name) {
                return Some(hint);
            }
        }
        if self.index.is_none() {
            for (i, e) in self.entries.iter().enumerate() {
                if let Value::Obj(k) = &e.key {
                    if k.ptr_eq(name) {
                        return Some(i);
                    }
                }
            }
        }
        self.find_name_slow(hash, name)
    }

    #[inline(never)]
    fn find_name_slow(&self, hash: i64, name: &super::ObjRef) -> Option<usize> {
        match self.probe(hash, &Value::Obj(name.clone())) {
            Probe::Found(i) => Some(i),
            _ => None,
        }
    }

    #[inline]
    pub fn entry(&self, i: usize) -> &Entry {
        &self.entries[i]
    }

    #[inline]
    pub fn value_mut(&mut self, i: usize) -> &mut Value {
        &mut self.entries[i].value
    }

    /// Appends a key known to be absent.
    pub fn insert_new(&mut self, hash: i64, key: Value, value: Value) {
        let pos = self.entries.len() as u32;
        self.entries.push(Entry { hash, key, value });
        self.len += 1;
        self.version = self.version.wrapping_add(1);
        match &mut self.index {
            Some(index) => {
                let entries = &self.entries;
                index.insert_unique(hash as u64, pos, |&i| entries[i as usize].hash as u64);
            }
            None if self.entries.len() > SMALL => self.rebuild_index(),
            None => {}
        }
    }

    /// Inserts or replaces a key that never needs script code to compare (names).
    /// Returns the replaced value.
    pub fn set_simple(&mut self, hash: i64, key: Value, value: Value) -> Option<Value> {
        match self.probe(hash, &key) {
            Probe::Found(i) => Some(std::mem::replace(&mut self.entries[i].value, value)),
            _ => {
                self.insert_new(hash, key, value);
                None
            }
        }
    }

    /// Removes the entry at position `i`, returning its key and value.
    pub fn remove_at(&mut self, i: usize) -> (Value, Value) {
        let hash = self.entries[i].hash;
        if let Some(index) = &mut self.index {
            if let Ok(ent) = index.find_entry(hash as u64, |&j| j as usize == i) {
                ent.remove();
            }
        }
        let e = &mut self.entries[i];
        let key = std::mem::replace(&mut e.key, Value::Null);
        let value = std::mem::replace(&mut e.value, Value::Null);
        self.len -= 1;
        self.version = self.version.wrapping_add(1);
        // Removed entries at the end are dropped at once, so that `popitem` (which
        // takes the last live entry) stays O(1) instead of scanning back over them.
        // They are out of the index already; positions change only past the end.
        while self.entries.last().is_some_and(|e| e.key.is_null()) {
            self.entries.pop();
        }
        if self.entries.len() > 16 && self.len * 2 < self.entries.len() {
            self.compact();
        } else if self.len == 0 {
            self.entries.clear();
            self.index = None;
        }
        (key, value)
    }

    fn compact(&mut self) {
        self.entries.retain(|e| !e.key.is_null());
        self.rebuild_index();
    }

    fn rebuild_index(&mut self) {
        if self.entries.len() <= SMALL {
            self.index = None;
            return;
        }
        let mut index = HashTable::with_capacity(self.entries.len());
        for (i, e) in self.entries.iter().enumerate() {
            if !e.key.is_null() {
                let entries = &self.entries;
                index.insert_unique(e.hash as u64, i as u32, |&j| entries[j as usize].hash as u64);
            }
        }
        self.index = Some(Box::new(index));
    }

    pub fn clear(&mut self) -> Vec<Entry> {
        self.len = 0;
        self.index = None;
        self.version = self.version.wrapping_add(1);
        std::mem::take(&mut self.entries)
    }

    /// Live entries in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|e| !e.key.is_null())
    }

    /// The live entry at or after raw position `pos`, with its raw position (for
    /// iterators that keep a cursor across unlocks).
    pub fn next_from(&self, pos: usize) -> Option<(usize, &Entry)> {
        self.entries.iter().enumerate().skip(pos).find(|(_, e)| !e.key.is_null())
    }

    /// The last live entry (for `popitem`).
    pub fn last_index(&self) -> Option<usize> {
        self.entries.iter().rposition(|e| !e.key.is_null())
    }

    pub fn keys(&self) -> Vec<Value> {
        self.iter().map(|e| e.key.clone()).collect()
    }

    pub fn values(&self) -> Vec<Value> {
        self.iter().map(|e| e.value.clone()).collect()
    }

    pub fn items(&self) -> Vec<(Value, Value)> {
        self.iter().map(|e| (e.key.clone(), e.value.clone())).collect()
    }

    pub fn entries_snapshot(&self) -> Vec<(i64, Value, Value)> {
        self.iter().map(|e| (e.hash, e.key.clone(), e.value.clone())).collect()
    }
}

/// A dict object: the data behind its lock.
pub struct DictObj {
    /// A spin lock: dict operations never run script code under it (keys needing
    /// `__eq__` are compared unlocked, see the "unsure" probe), so holders are quick,
    /// and taking it is one atomic operation instead of a mutex's two.
    data: SpinLock<DictData>,
}

impl DictObj {
    pub fn new(data: DictData) -> DictObj {
        DictObj { data: SpinLock::new(data) }
    }

    /// Locks the dict. Never call script code while holding the guard.
    #[inline(always)]
    pub fn lock(&self) -> SpinGuard<'_, DictData> {
        self.data.lock()
    }

    pub fn len(&self) -> usize {
        self.data.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
