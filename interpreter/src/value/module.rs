//! Modules and their globals.
//!
//! Globals live in slots that the compiler resolves names to, so a global read is an
//! index, not a hash lookup. Slots are allocated in fixed segments that never move, so
//! a slot's address is stable while new names are added (by the REPL, `import *`, or
//! `setattr` from another module) and readers need no lock to reach it.

use super::slot::Slot;
use super::{ObjRef, Value};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicPtr, Ordering};

const SEG_BITS: u32 = 8;
const SEG_SIZE: usize = 1 << SEG_BITS;
const MAX_SEGS: usize = 256;
/// Slots past the first `MAX_SEGS * SEG_SIZE` (65,536) live in big segments of this
/// many, reached through a directory made when a module first needs one; a slot
/// index of any u32 value has a place.
const BIG_BITS: u32 = 16;
const BIG_SIZE: usize = 1 << BIG_BITS;
const BIG_SEGS: usize = (1 << (32 - BIG_BITS)) - 1;

pub struct Globals {
    segments: [AtomicPtr<Slot>; MAX_SEGS],
    /// Big segments for modules with more than 65,536 names (rare: generated code).
    big: std::sync::OnceLock<Box<[AtomicPtr<Slot>]>>,
    /// Name to slot, and slot to name, for lookups by name and for `dir()`.
    names: Mutex<NameTable>,
}

/// Name to slot, and the names in slot order.
type NameTable = (HashMap<Box<str>, u32>, Vec<ObjRef>);

impl Default for Globals {
    fn default() -> Self {
        Globals::new()
    }
}

impl Drop for Globals {
    /// Only the namespaces made for `exec`/`eval` with a dict are ever dropped
    /// (modules are immortal); their slot blocks go with them.
    fn drop(&mut self) {
        let free = |p: *mut Slot, n: usize| {
            if !p.is_null() {
                // SAFETY: `p` came from a `Box<[Slot]>` of length `n` leaked by
                // `allocate`, and `&mut self` proves no reader is left.
                drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(p, n)) });
            }
        };
        for seg in &self.segments {
            free(seg.load(Ordering::Acquire), SEG_SIZE);
        }
        if let Some(dir) = self.big.get() {
            for seg in dir.iter() {
                free(seg.load(Ordering::Acquire), BIG_SIZE);
            }
        }
    }
}

impl Globals {
    pub fn new() -> Globals {
        Globals {
            segments: std::array::from_fn(|_| AtomicPtr::new(std::ptr::null_mut())),
            big: std::sync::OnceLock::new(),
            names: Mutex::new((HashMap::new(), Vec::new())),
        }
    }

    /// The slot with index `i` (which must have been allocated by [`Globals::slot_for`]).
    #[inline(always)]
    pub fn slot(&self, i: u32) -> &Slot {
        let Some(seg) = self.segments.get((i >> SEG_BITS) as usize) else {
            return self.big_slot(i);
        };
        let seg = seg.load(Ordering::Acquire);
        debug_assert!(!seg.is_null());
        // SAFETY: segments are allocated before any index into them is handed out,
        // and freed only when the module is dropped; the offset
        // is below SEG_SIZE, the segment's length.
        unsafe { &*seg.add(i as usize & (SEG_SIZE - 1)) }
    }

    #[cold]
    fn big_slot(&self, i: u32) -> &Slot {
        let dir = self.big.get().expect("a big segment was allocated for this index");
        let seg = dir[(i >> BIG_BITS) as usize - 1].load(Ordering::Acquire);
        debug_assert!(!seg.is_null());
        // SAFETY: as in `slot`, for the big segment of this index (BIG_SIZE long).
        unsafe { &*seg.add(i as usize & (BIG_SIZE - 1)) }
    }

    /// Makes sure slot `i` has storage (called under the name lock).
    fn allocate(&self, i: u32) {
        let new_block = |n: usize| {
            let block: Box<[Slot]> = (0..n).map(|_| Slot::default()).collect();
            Box::leak(block).as_mut_ptr()
        };
        let seg = (i >> SEG_BITS) as usize;
        if seg < MAX_SEGS {
            if self.segments[seg].load(Ordering::Acquire).is_null() {
                self.segments[seg].store(new_block(SEG_SIZE), Ordering::Release);
            }
            return;
        }
        let dir = self.big.get_or_init(|| (0..BIG_SEGS).map(|_| AtomicPtr::new(std::ptr::null_mut())).collect());
        let at = &dir[(i >> BIG_BITS) as usize - 1];
        if at.load(Ordering::Acquire).is_null() {
            at.store(new_block(BIG_SIZE), Ordering::Release);
        }
    }

    /// The slot index for `name`, allocating one (unbound) if needed.
    pub fn slot_for(&self, name: &ObjRef) -> u32 {
        let text = name.str_text();
        let mut names = self.names.lock();
        if let Some(&i) = names.0.get(text) {
            return i;
        }
        let i = names.1.len() as u32;
        self.allocate(i);
        names.0.insert(text.into(), i);
        names.1.push(name.clone());
        i
    }

    /// Unlocks the name table in a child made by `fork()` if another thread of the
    /// parent held it at the fork.
    ///
    /// # Safety
    /// As [`crate::fork::release_orphaned`].
    pub unsafe fn release_after_fork(&self) {
        crate::fork::release_orphaned(&self.names);
    }

    /// The slot index for `name` if it has one.
    pub fn index_of(&self, name: &str) -> Option<u32> {
        self.names.lock().0.get(name).copied()
    }

    /// Reads a global by name (Null when unbound or unknown).
    pub fn get(&self, name: &str) -> Value {
        match self.index_of(name) {
            Some(i) => self.slot(i).get(),
            None => Value::Null,
        }
    }

    pub fn set(&self, name: &ObjRef, v: Value) {
        let i = self.slot_for(name);
        self.slot(i).set(v);
    }

    /// All bound names with their values, in the order names were first seen.
    pub fn items(&self) -> Vec<(ObjRef, Value)> {
        let names: Vec<ObjRef> = self.names.lock().1.clone();
        names
            .into_iter()
            .enumerate()
            .filter_map(|(i, n)| {
                let v = self.slot(i as u32).get();
                if v.is_null() {
                    None
                } else {
                    Some((n, v))
                }
            })
            .collect()
    }
}

pub struct ModuleObj {
    pub name: String,
    pub file: Option<String>,
    pub globals: Globals,
}

impl ModuleObj {
    pub fn new(name: &str, file: Option<String>) -> ModuleObj {
        ModuleObj { name: name.to_string(), file, globals: Globals::new() }
    }
}
