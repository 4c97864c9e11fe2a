//! Native iterators (over lists, tuples, strings, ranges, dicts, sets, and the lazy
//! builtins `enumerate`, `zip`, `map`, `filter`, `reversed`, ...). Their state is
//! atomic counters and immutable fields, so no lock is needed: two threads sharing
//! one iterator each get distinct items or an unspecified interleaving, never a crash.

use super::Value;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};

pub enum IterObj {
    /// Over a list, tuple, str or bytes by index.
    Seq {
        seq: Value,
        index: AtomicUsize,
    },
    /// Over a list backwards (`reversed`); `index` counts down, 0 means exhausted.
    Reversed {
        seq: Value,
        index: AtomicUsize,
    },
    Range {
        next: AtomicI64,
        stop: i64,
        step: i64,
    },
    /// Over a range beyond i64 (`longrange_iterator`): the next value and the number of
    /// values left, under one small lock.
    BigRange {
        state: super::spin::SpinLock<(num_bigint::BigInt, num_bigint::BigInt)>,
        step: num_bigint::BigInt,
    },
    /// Over a dict's keys (0), values (1) or items (2), by raw entry position;
    /// `len` is the size at creation (a change is an error, as in CPython).
    Dict {
        dict: Value,
        pos: AtomicUsize,
        what: u8,
        len: usize,
    },
    Set {
        set: Value,
        pos: AtomicUsize,
        version: AtomicU64,
    },
    Enumerate {
        inner: Value,
        count: AtomicI64,
    },
    Zip {
        iters: Vec<Value>,
        strict: bool,
    },
    Map {
        func: Value,
        iters: Vec<Value>,
    },
    Filter {
        func: Value,
        inner: Value,
    },
    /// `iter(callable, sentinel)`.
    Callable {
        func: Value,
        sentinel: Value,
        done: AtomicBool,
    },
}

impl IterObj {
    pub fn seq(seq: Value) -> IterObj {
        IterObj::Seq { seq, index: AtomicUsize::new(0) }
    }

    /// Claims the next index of a sequence iterator.
    #[inline]
    pub fn bump(index: &AtomicUsize) -> usize {
        index.fetch_add(1, Ordering::Relaxed)
    }
}
