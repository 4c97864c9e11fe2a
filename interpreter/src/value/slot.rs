//! `Slot`: one variable shared between threads (a module global or a closure cell),
//! readable without writing any shared memory.
//!
//! Module-level functions, classes and modules are read by every thread on every
//! call, so reading a global must not take a lock that readers write. A slot is a
//! sequence lock over two words (a tag and a payload). A reader copies the words
//! between two reads of the sequence; when the copy holds an immediate (None, bool,
//! int, float) or an *immortal* object, the copy is already a valid value and nothing
//! was written. Only a mortal object needs its count raised, which must not race with
//! a writer dropping it, so that case takes the writer's lock briefly.
//!
//! Writers serialise on the sequence word (odd while writing) and drop the old value
//! after releasing it, never while holding it.
//!
//! The sequence word is 64 bits wide. A reader that saw an even `s1`, copied the two
//! words and then saw `s2 == s1` trusts that no write happened in between; with a
//! 32-bit counter a reader descheduled between its two loads could see the counter
//! come back to `s1` after 2^31 writes and accept a torn pair (an immortal tag with
//! the payload of a mortal object already freed). 2^63 writes cannot happen in the
//! life of a process, so the counter never wraps back to a value a reader holds. The
//! wider word costs no space: the two payload words already align the slot to 8.

use super::{ObjRef, Value};
use std::sync::atomic::{fence, AtomicU64, Ordering};

const T_UNBOUND: u64 = 0;
const T_NONE: u64 = 1;
const T_BOOL: u64 = 2;
const T_INT: u64 = 3;
const T_FLOAT: u64 = 4;
const T_IMMORTAL: u64 = 5;
const T_MORTAL: u64 = 6;

pub struct Slot {
    seq: AtomicU64,
    tag: AtomicU64,
    payload: AtomicU64,
}

// The 64-bit sequence word fits in the padding the two payload words impose anyway.
const _: () = assert!(std::mem::size_of::<Slot>() == 24);

impl Default for Slot {
    fn default() -> Self {
        Slot::new(Value::Null)
    }
}

fn encode(v: Value) -> (u64, u64) {
    match v {
        Value::Null => (T_UNBOUND, 0),
        Value::None => (T_NONE, 0),
        Value::Bool(b) => (T_BOOL, b as u64),
        Value::Int(i) => (T_INT, i as u64),
        Value::Float(f) => (T_FLOAT, f.to_bits()),
        Value::Obj(o) => {
            let tag = if o.is_immortal() { T_IMMORTAL } else { T_MORTAL };
            (tag, o.into_raw() as u64)
        }
    }
}

/// Rebuilds an owned value from words that own their count.
///
/// # Safety
/// `(tag, payload)` must be a pair made by [`encode`] whose reference (for an object
/// tag) has not been taken back yet; the caller gives up that pair, so it must not
/// decode it again.
unsafe fn decode_owned(tag: u64, payload: u64) -> Value {
    match tag {
        T_UNBOUND => Value::Null,
        T_NONE => Value::None,
        T_BOOL => Value::Bool(payload != 0),
        T_INT => Value::Int(payload as i64),
        T_FLOAT => Value::Float(f64::from_bits(payload)),
        _ => Value::Obj(ObjRef::from_raw(payload as usize)),
    }
}

impl Slot {
    pub fn new(v: Value) -> Slot {
        let (tag, payload) = encode(v);
        Slot { seq: AtomicU64::new(0), tag: AtomicU64::new(tag), payload: AtomicU64::new(payload) }
    }

    /// Takes the writer lock; returns the (even) sequence number it replaced.
    #[inline]
    fn lock(&self) -> u64 {
        let mut spins = 0u32;
        loop {
            let s = self.seq.load(Ordering::Relaxed);
            if s & 1 == 0 && self.seq.compare_exchange_weak(s, s | 1, Ordering::Acquire, Ordering::Relaxed).is_ok() {
                fence(Ordering::Release);
                return s;
            }
            spins += 1;
            if spins > 64 {
                std::thread::yield_now();
            } else {
                std::hint::spin_loop();
            }
        }
    }

    /// Reads the value. Lock-free and write-free unless the value is a mortal object.
    #[inline]
    pub fn get(&self) -> Value {
        loop {
            let s1 = self.seq.load(Ordering::Acquire);
            if s1 & 1 == 1 {
                std::hint::spin_loop();
                continue;
            }
            let tag = self.tag.load(Ordering::Relaxed);
            let payload = self.payload.load(Ordering::Relaxed);
            fence(Ordering::Acquire);
            let s2 = self.seq.load(Ordering::Relaxed);
            if s1 != s2 {
                continue;
            }
            return match tag {
                T_UNBOUND => Value::Null,
                T_NONE => Value::None,
                T_BOOL => Value::Bool(payload != 0),
                T_INT => Value::Int(payload as i64),
                T_FLOAT => Value::Float(f64::from_bits(payload)),
                // SAFETY: `s1 == s2` with `s1` even and the 64-bit counter never
                // wrapping (see the module comment) means no writer ran between the two
                // loads, so `tag` and `payload` are one pair made by `encode`. With the
                // immortal tag the payload is an object that is never freed and whose
                // count is never written, so a reference made from the copied word is
                // valid and dropping it later changes nothing.
                T_IMMORTAL => Value::Obj(unsafe { ObjRef::from_raw(payload as usize) }),
                _ => self.get_locked(),
            };
        }
    }

    #[cold]
    fn get_locked(&self) -> Value {
        let s = self.lock();
        let tag = self.tag.load(Ordering::Relaxed);
        let payload = self.payload.load(Ordering::Relaxed);
        let v = match tag {
            // SAFETY: we hold the writer lock, so the pair is the slot's current one and
            // the slot still owns its reference: no writer can drop it until we unlock.
            // `clone_from_raw` adds a count of our own and leaves the slot's in place.
            T_MORTAL | T_IMMORTAL => Value::Obj(unsafe { ObjRef::clone_from_raw(payload as usize) }),
            // SAFETY: the other tags carry no reference (they are immediates), so
            // decoding them takes nothing from the slot.
            _ => unsafe { decode_owned(tag, payload) },
        };
        self.seq.store(s, Ordering::Release);
        v
    }

    /// True when the slot holds a value (is not unbound).
    #[inline]
    pub fn is_bound(&self) -> bool {
        !self.get().is_null()
    }

    /// Stores a value and returns the old one (dropped by the caller, outside the lock).
    #[inline]
    pub fn replace(&self, v: Value) -> Value {
        let (tag, payload) = encode(v);
        let s = self.lock();
        let old_tag = self.tag.load(Ordering::Relaxed);
        let old_payload = self.payload.load(Ordering::Relaxed);
        self.tag.store(tag, Ordering::Relaxed);
        self.payload.store(payload, Ordering::Relaxed);
        self.seq.store(s.wrapping_add(2), Ordering::Release);
        // SAFETY: the old pair was read under the writer lock and has just been
        // overwritten, so the slot no longer owns it: its reference passes to us, once.
        unsafe { decode_owned(old_tag, old_payload) }
    }

    #[inline]
    pub fn set(&self, v: Value) {
        drop(self.replace(v));
    }

    /// Empties the slot, returning what it held.
    pub fn take(&self) -> Value {
        self.replace(Value::Null)
    }

    /// Stores `new` only if the slot currently holds exactly `old` (by identity), for
    /// atomic read-modify-write helpers. Returns whether it stored.
    pub fn compare_and_set(&self, old: &Value, new: Value) -> bool {
        let s = self.lock();
        let tag = self.tag.load(Ordering::Relaxed);
        let payload = self.payload.load(Ordering::Relaxed);
        let (otag, opayload) = match old {
            Value::Null => (T_UNBOUND, 0),
            Value::None => (T_NONE, 0),
            Value::Bool(b) => (T_BOOL, *b as u64),
            Value::Int(i) => (T_INT, *i as u64),
            Value::Float(f) => (T_FLOAT, f.to_bits()),
            Value::Obj(o) => (if tag == T_IMMORTAL { T_IMMORTAL } else { T_MORTAL }, o.addr() as u64),
        };
        if tag != otag || payload != opayload {
            self.seq.store(s, Ordering::Release);
            return false;
        }
        let (ntag, npayload) = encode(new);
        self.tag.store(ntag, Ordering::Relaxed);
        self.payload.store(npayload, Ordering::Relaxed);
        self.seq.store(s.wrapping_add(2), Ordering::Release);
        // SAFETY: as in `replace`: the pair read under the lock was overwritten, so its
        // reference is ours to drop, once.
        drop(unsafe { decode_owned(tag, payload) });
        true
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let tag = *self.tag.get_mut();
        let payload = *self.payload.get_mut();
        // SAFETY: `&mut self` means no other thread can read or write the slot, and the
        // pair it holds is the one it owns; the slot is going away, so this is the
        // last use of that pair.
        drop(unsafe { decode_owned(tag, payload) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let s = Slot::new(Value::Int(5));
        assert!(matches!(s.get(), Value::Int(5)));
        s.set(Value::str("hi"));
        assert_eq!(s.get().as_str().unwrap().as_str(), "hi");
        s.set(Value::Float(1.5));
        assert!(matches!(s.get(), Value::Float(x) if x == 1.5));
        assert!(s.take().is_float());
        assert!(s.get().is_null());
    }

    #[test]
    fn concurrent_readers_and_writers() {
        let s = std::sync::Arc::new(Slot::new(Value::str("a")));
        let mut hs = vec![];
        for t in 0..4 {
            let s = s.clone();
            hs.push(std::thread::spawn(move || {
                for i in 0..20000 {
                    if t % 2 == 0 {
                        s.set(Value::string(format!("v{i}")));
                    } else {
                        let v = s.get();
                        assert!(v.as_str().is_some());
                    }
                }
            }));
        }
        for h in hs {
            h.join().unwrap();
        }
    }
}
