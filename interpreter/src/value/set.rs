//! `set` and `frozenset`: CPython's open-addressing table (same probe sequence, same
//! resize rule), so that a set of ints prints in the same order as in CPython.
//!
//! As with dicts, key equality that needs script code (`__eq__`) is reported as unsure
//! and resolved by the VM with the lock released.

use super::Value;
use parking_lot::{Mutex, MutexGuard};

const MINSIZE: usize = 8;
const LINEAR_PROBES: usize = 9;
const PERTURB_SHIFT: u32 = 5;
const DUMMY_HASH: i64 = -1;

#[derive(Clone)]
pub struct SetEntry {
    pub hash: i64,
    /// Null for an unused slot (hash 0) or a deleted one (hash -1).
    pub key: Value,
}

#[derive(Clone)]
pub struct SetData {
    table: Vec<SetEntry>,
    /// Active plus deleted slots.
    fill: usize,
    /// Active slots.
    used: usize,
    version: u64,
    /// Where the next `pop()` starts looking (CPython's finger): popping resumes
    /// after the slot it last emptied, so emptying a set by `pop()` is linear
    /// instead of rescanning the deleted slots at the front each time.
    finger: usize,
}

pub enum SetProbe {
    /// Index of the equal key.
    Found(usize),
    Missing,
    Unsure(Vec<usize>),
}

impl Default for SetData {
    fn default() -> Self {
        SetData::new()
    }
}

impl SetData {
    pub fn new() -> SetData {
        SetData {
            table: vec![SetEntry { hash: 0, key: Value::Null }; MINSIZE],
            fill: 0,
            used: 0,
            version: 0,
            finger: 0,
        }
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.used
    }

    pub fn is_empty(&self) -> bool {
        self.used == 0
    }

    pub fn version(&self) -> u64 {
        self.version
    }

    fn mask(&self) -> usize {
        self.table.len() - 1
    }

    /// Finds `key`. With `assume_unequal`, keys whose equality needs script code are
    /// treated as different (after the caller checked them with the lock released).
    pub fn probe(&self, hash: i64, key: &Value, assume_unequal: bool) -> SetProbe {
        let mask = self.mask();
        let mut i = (hash as usize) & mask;
        let mut perturb = hash as u64;
        let mut unsure = Vec::new();
        loop {
            let probes = if i + LINEAR_PROBES <= mask { LINEAR_PROBES } else { 0 };
            for j in i..=i + probes {
                let e = &self.table[j];
                if e.key.is_null() {
                    if e.hash == 0 {
                        return if unsure.is_empty() { SetProbe::Missing } else { SetProbe::Unsure(unsure) };
                    }
                    continue;
                }
                if e.hash == hash {
                    match e.key.fast_eq(key) {
                        Some(true) => return SetProbe::Found(j),
                        Some(false) => {}
                        None if assume_unequal => {}
                        None => unsure.push(j),
                    }
                }
            }
            perturb >>= PERTURB_SHIFT;
            i = (i.wrapping_mul(5).wrapping_add(1).wrapping_add(perturb as usize)) & mask;
        }
    }

    #[inline]
    pub fn entry(&self, i: usize) -> &SetEntry {
        &self.table[i]
    }

    /// Adds a key known to be absent (after a probe), following CPython's
    /// `set_add_entry`: the first deleted slot on the probe path is reused.
    pub fn insert_new(&mut self, hash: i64, key: Value) {
        let mask = self.mask();
        let mut i = (hash as usize) & mask;
        let mut perturb = hash as u64;
        let mut freeslot: Option<usize> = None;
        loop {
            let probes = if i + LINEAR_PROBES <= mask { LINEAR_PROBES } else { 0 };
            for j in i..=i + probes {
                let e = &self.table[j];
                if e.key.is_null() && e.hash == 0 {
                    self.version = self.version.wrapping_add(1);
                    if let Some(f) = freeslot {
                        self.used += 1;
                        self.table[f] = SetEntry { hash, key };
                        return;
                    }
                    self.fill += 1;
                    self.used += 1;
                    self.table[j] = SetEntry { hash, key };
                    if self.fill * 5 >= mask * 3 {
                        let minused = if self.used > 50000 { self.used * 2 } else { self.used * 4 };
                        self.resize(minused);
                    }
                    return;
                }
                if e.key.is_null() && e.hash == DUMMY_HASH {
                    freeslot = Some(j);
                }
            }
            perturb >>= PERTURB_SHIFT;
            i = (i.wrapping_mul(5).wrapping_add(1).wrapping_add(perturb as usize)) & mask;
        }
    }

    fn insert_clean(table: &mut [SetEntry], hash: i64, key: Value) {
        let mask = table.len() - 1;
        let mut i = (hash as usize) & mask;
        let mut perturb = hash as u64;
        loop {
            if table[i].key.is_null() {
                table[i] = SetEntry { hash, key };
                return;
            }
            if i + LINEAR_PROBES <= mask {
                for e in table.iter_mut().skip(i + 1).take(LINEAR_PROBES) {
                    if e.key.is_null() {
                        *e = SetEntry { hash, key };
                        return;
                    }
                }
            }
            perturb >>= PERTURB_SHIFT;
            i = (i.wrapping_mul(5).wrapping_add(1).wrapping_add(perturb as usize)) & mask;
        }
    }

    fn resize(&mut self, minused: usize) {
        let mut newsize = MINSIZE;
        while newsize <= minused {
            newsize <<= 1;
        }
        let old = std::mem::replace(&mut self.table, vec![SetEntry { hash: 0, key: Value::Null }; newsize]);
        self.fill = self.used;
        for e in old {
            if !e.key.is_null() {
                SetData::insert_clean(&mut self.table, e.hash, e.key);
            }
        }
    }

    /// Removes the key at slot `i`, leaving a deleted marker as CPython does.
    pub fn remove_at(&mut self, i: usize) -> Value {
        let key = std::mem::replace(&mut self.table[i].key, Value::Null);
        self.table[i].hash = DUMMY_HASH;
        self.used -= 1;
        self.version = self.version.wrapping_add(1);
        key
    }

    /// Copies all of `other` into this (empty) set as CPython's `set_merge` does.
    pub fn merge_from(&mut self, other: &SetData) {
        if (self.fill + other.used) * 5 >= self.mask() * 3 {
            self.resize((self.used + other.used) * 2);
        }
        if self.fill == 0 && self.table.len() == other.table.len() && other.fill == other.used {
            self.table.clone_from(&other.table);
            self.fill = other.fill;
            self.used = other.used;
            self.version = self.version.wrapping_add(1);
            return;
        }
        if self.fill == 0 {
            self.fill = other.used;
            self.used = other.used;
            for e in other.iter() {
                SetData::insert_clean(&mut self.table, e.hash, e.key.clone());
            }
            self.version = self.version.wrapping_add(1);
            return;
        }
        for e in other.iter() {
            if let SetProbe::Missing = self.probe(e.hash, &e.key, true) {
                self.insert_new(e.hash, e.key.clone());
            }
        }
    }

    pub fn clear(&mut self) -> Vec<SetEntry> {
        self.fill = 0;
        self.used = 0;
        self.version = self.version.wrapping_add(1);
        std::mem::replace(&mut self.table, vec![SetEntry { hash: 0, key: Value::Null }; MINSIZE])
    }

    /// Live entries in table order (CPython's iteration order).
    pub fn iter(&self) -> impl Iterator<Item = &SetEntry> {
        self.table.iter().filter(|e| !e.key.is_null())
    }

    pub fn keys(&self) -> Vec<Value> {
        self.iter().map(|e| e.key.clone()).collect()
    }

    /// The live entry at or after slot `pos`.
    pub fn next_from(&self, pos: usize) -> Option<(usize, &SetEntry)> {
        self.table.iter().enumerate().skip(pos).find(|(_, e)| !e.key.is_null())
    }

    /// Slot of the element `pop()` takes: the first live one from the finger on,
    /// wrapping around (CPython's order); moves the finger past it.
    pub fn first_index(&mut self) -> Option<usize> {
        if self.used == 0 {
            return None;
        }
        let n = self.table.len();
        let start = self.finger % n;
        let at = (start..n).chain(0..start).find(|&i| !self.table[i].key.is_null())?;
        self.finger = at + 1;
        Some(at)
    }
}

/// A set or frozenset object. A frozenset is never mutated after construction.
pub struct SetObj {
    pub frozen: bool,
    data: Mutex<SetData>,
}

impl SetObj {
    pub fn new(data: SetData, frozen: bool) -> SetObj {
        SetObj { frozen, data: Mutex::new(data) }
    }

    /// Locks the set. Never call script code while holding the guard.
    #[inline(always)]
    pub fn lock(&self) -> MutexGuard<'_, SetData> {
        self.data.lock()
    }

    pub fn len(&self) -> usize {
        self.data.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
