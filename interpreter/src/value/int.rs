//! Integers: the i64 fast path, big integers beyond it, and CPython's numeric hash
//! (ints, floats and bools that are equal hash equal, and set/dict order of small ints
//! matches CPython because the hash is the same).

use super::{Object, Value};
use num_bigint::{BigInt, Sign};
use num_traits::{Signed, ToPrimitive, Zero};

/// The modulus of CPython's numeric hash: 2**61 - 1.
pub const HASH_MODULUS: u64 = (1 << 61) - 1;

/// A big integer result as a value: back to the i64 fast path when it fits.
pub fn normalize(b: BigInt) -> Value {
    match b.to_i64() {
        Some(i) => Value::Int(i),
        None => Value::new(Object::BigInt(b)),
    }
}

/// The integer in `v` (int, big int or bool, or an instance of a class derived from
/// int) as a big integer.
pub fn to_bigint(v: &Value) -> Option<BigInt> {
    match v {
        Value::Int(i) => Some(BigInt::from(*i)),
        Value::Bool(b) => Some(BigInt::from(*b as i64)),
        Value::Obj(o) => match &**o {
            Object::BigInt(b) => Some(b.clone()),
            Object::Instance(i) => i.base_value().and_then(to_bigint),
            _ => None,
        },
        _ => None,
    }
}

pub fn hash_i64(i: i64) -> i64 {
    let neg = i < 0;
    let m = (i.unsigned_abs() % HASH_MODULUS) as i64;
    let h = if neg { -m } else { m };
    if h == -1 {
        -2
    } else {
        h
    }
}

pub fn hash_bigint(b: &BigInt) -> i64 {
    let m = (b.abs() % BigInt::from(HASH_MODULUS)).to_i64().unwrap_or(0);
    let h = if b.sign() == Sign::Minus { -m } else { m };
    if h == -1 {
        -2
    } else {
        h
    }
}

pub fn hash_f64(x: f64) -> i64 {
    if x.is_nan() {
        return 0;
    }
    if x.is_infinite() {
        return if x > 0.0 { 314159 } else { -314159 };
    }
    if x.fract() == 0.0 && x.abs() < 9.2e18 {
        return hash_i64(x as i64);
    }
    let sign: i64 = if x < 0.0 { -1 } else { 1 };
    let (mut m, mut e) = frexp(x.abs());
    let mut h: u64 = 0;
    while m != 0.0 {
        h = ((h << 28) & HASH_MODULUS) | (h >> (61 - 28));
        m *= 268435456.0;
        e -= 28;
        let y = m as u64;
        m -= y as f64;
        h += y;
        if h >= HASH_MODULUS {
            h -= HASH_MODULUS;
        }
    }
    let e = if e >= 0 { e % 61 } else { 61 - 1 - ((-1 - e) % 61) };
    h = ((h << e) & HASH_MODULUS) | (h >> (61 - e));
    let r = h as i64 * sign;
    if r == -1 {
        -2
    } else {
        r
    }
}

/// `frexp`: x = m * 2**e with 0.5 <= m < 1 (for finite non-zero x).
pub fn frexp(x: f64) -> (f64, i32) {
    if x == 0.0 || !x.is_finite() {
        return (x, 0);
    }
    let bits = x.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    if exp == 0 {
        // Subnormal: scale up first.
        let (m, e) = frexp(x * (1u64 << 54) as f64);
        return (m, e - 54);
    }
    let e = exp - 1022;
    let m = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (m, e)
}

/// Correctly rounded conversion of a big integer to float; None on overflow.
pub fn bigint_to_f64(b: &BigInt) -> Option<f64> {
    let f = b.to_f64()?;
    if f.is_finite() {
        Some(f)
    } else {
        None
    }
}

/// Exact conversion of a finite float with no fraction to a big integer.
pub fn f64_to_bigint(x: f64) -> Option<BigInt> {
    if !x.is_finite() {
        return None;
    }
    num_traits::FromPrimitive::from_f64(x.trunc())
}

pub fn is_zero(v: &Value) -> bool {
    match v {
        Value::Int(i) => *i == 0,
        Value::Obj(o) => matches!(&**o, Object::BigInt(b) if b.is_zero()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_match_cpython() {
        assert_eq!(hash_i64(-1), -2);
        assert_eq!(hash_i64(5), 5);
        assert_eq!(hash_f64(1.0), 1);
        assert_eq!(hash_f64(1.5), 1152921504606846977);
        assert_eq!(hash_f64(-2.5), -1152921504606846978);
        assert_eq!(hash_i64(1 << 62), 2);
    }
}
