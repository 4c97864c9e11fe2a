//! `range`: the common case is [`RangeObj`] with i64 bounds (loops iterate it without
//! allocating); a range whose bounds or length leave that case is a [`BigRangeObj`]
//! with unbounded bounds, as CPython allows (`range(10**20)[-1]`). Both are the one
//! Python type `range`; [`make_range`] picks the representation, so every range that
//! fits the small one has it (equality and hashing rely on that only through
//! [`range_parts`], which reads either).

use super::{Object, Value};
use num_bigint::BigInt;
use num_traits::{One, Signed, ToPrimitive, Zero};

/// `range(start, stop, step)`; step is never 0. Built only by [`make_range`], which
/// guarantees that the length and every value an iterator steps through, including
/// one step past the end, fit in i64 (so iterators can step without overflow checks).
#[derive(Debug, Clone, Copy)]
pub struct RangeObj {
    pub start: i64,
    pub stop: i64,
    pub step: i64,
}

impl RangeObj {
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn len(&self) -> i64 {
        if self.step > 0 {
            if self.stop > self.start {
                ((self.stop as i128 - self.start as i128 - 1) / self.step as i128 + 1) as i64
            } else {
                0
            }
        } else if self.start > self.stop {
            ((self.start as i128 - self.stop as i128 - 1) / (-(self.step as i128)) + 1) as i64
        } else {
            0
        }
    }

    pub fn get(&self, i: i64) -> i64 {
        self.start + i * self.step
    }
}

/// A range with bounds beyond i64 (or a length beyond `sys.maxsize`).
#[derive(Debug, Clone)]
pub struct BigRangeObj {
    pub start: BigInt,
    pub stop: BigInt,
    pub step: BigInt,
    pub len: BigInt,
}

/// The number of items of `range(start, stop, step)` (step not zero).
pub fn range_len(start: &BigInt, stop: &BigInt, step: &BigInt) -> BigInt {
    let (lo, hi, st) = if step.is_positive() { (start, stop, step.clone()) } else { (stop, start, -step) };
    if hi > lo {
        (hi - lo - BigInt::one()) / st + BigInt::one()
    } else {
        BigInt::zero()
    }
}

/// The range `range(start, stop, step)` in its representation (step not zero).
pub fn make_range(start: BigInt, stop: BigInt, step: BigInt) -> Value {
    let len = range_len(&start, &stop, &step);
    // One step past the last value must fit too: iterators store it before they
    // notice the end.
    let past = &start + (&len + BigInt::one()) * &step;
    if let (Some(a), Some(b), Some(c), Some(_), Some(_)) =
        (start.to_i64(), stop.to_i64(), step.to_i64(), len.to_i64(), past.to_i64())
    {
        return Value::new(Object::Range(RangeObj { start: a, stop: b, step: c }));
    }
    Value::new(Object::BigRange(Box::new(BigRangeObj { start, stop, step, len })))
}

/// The range with these i64 bounds, if it has the small representation (as
/// [`make_range`] would choose it).
pub fn small_range(start: i64, stop: i64, step: i64) -> Option<Value> {
    let r = RangeObj { start, stop, step };
    let past = start as i128 + (r.len() as i128 + 1) * step as i128;
    // The length of a range with i64 bounds fits in i64 only if it is below 2**63.
    let len_ok = (stop as i128 - start as i128).unsigned_abs() < (1u128 << 63);
    (len_ok && i64::try_from(past).is_ok()).then(|| Value::new(Object::Range(r)))
}

/// (start, stop, step, len) of either representation.
pub fn range_parts(o: &Object) -> Option<(BigInt, BigInt, BigInt, BigInt)> {
    match o {
        Object::Range(r) => Some((r.start.into(), r.stop.into(), r.step.into(), r.len().into())),
        Object::BigRange(r) => Some((r.start.clone(), r.stop.clone(), r.step.clone(), r.len.clone())),
        _ => None,
    }
}

/// The position of the integer `x` in the range, if it is a member.
pub fn range_position(start: &BigInt, step: &BigInt, len: &BigInt, x: &BigInt) -> Option<BigInt> {
    let off = x - start;
    if !(&off % step).is_zero() {
        return None;
    }
    let i = off / step;
    (!i.is_negative() && &i < len).then_some(i)
}

/// Whether two ranges hold the same sequence (CPython compares them that way).
pub fn range_eq(a: &Object, b: &Object) -> Option<bool> {
    let (s1, _, st1, n1) = range_parts(a)?;
    let (s2, _, st2, n2) = range_parts(b)?;
    Some(n1 == n2 && (n1.is_zero() || (s1 == s2 && (n1.is_one() || st1 == st2))))
}

/// Resolves one bound of a slice against a length, as `slice.indices` does, in
/// unbounded integers. `v` is None for an omitted bound.
pub fn clamp_slice_bound(v: Option<BigInt>, len: &BigInt, step_neg: bool, is_start: bool) -> BigInt {
    let (lo, hi) = if step_neg { (-BigInt::one(), len - BigInt::one()) } else { (BigInt::zero(), len.clone()) };
    match v {
        None => {
            if is_start == step_neg {
                hi
            } else {
                lo
            }
        }
        Some(i) => {
            let i = if i.is_negative() { i + len } else { i };
            i.clamp(lo, hi)
        }
    }
}
