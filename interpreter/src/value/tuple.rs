//! `tuple`: an immutable sequence; needs no lock.

use super::Value;

pub struct TupleObj {
    items: Box<[Value]>,
}

impl TupleObj {
    pub fn new(items: Vec<Value>) -> TupleObj {
        TupleObj { items: items.into_boxed_slice() }
    }

    #[inline(always)]
    pub fn items(&self) -> &[Value] {
        &self.items
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// CPython's tuple hash (xxHash-based), from the element hashes, so that sets of
/// tuples of numbers iterate in CPython's order.
pub fn tuple_hash(hashes: impl ExactSizeIterator<Item = i64>) -> i64 {
    const P1: u64 = 11400714785074694791;
    const P2: u64 = 14029467366897019727;
    const P5: u64 = 2870177450012600261;
    let len = hashes.len() as u64;
    let mut acc: u64 = P5;
    for h in hashes {
        acc = acc.wrapping_add((h as u64).wrapping_mul(P2));
        acc = acc.rotate_left(31);
        acc = acc.wrapping_mul(P1);
    }
    acc = acc.wrapping_add(len ^ (P5 ^ 3527539));
    if acc == u64::MAX {
        return 1546275796;
    }
    acc as i64
}

#[cfg(test)]
mod tests {
    #[test]
    fn matches_cpython() {
        assert_eq!(super::tuple_hash([1i64, 2].into_iter()), -3550055125485641917);
        assert_eq!(super::tuple_hash([].into_iter()), 5740354900026072187);
        assert_eq!(super::tuple_hash([1i64].into_iter()), -6644214454873602895);
    }
}
