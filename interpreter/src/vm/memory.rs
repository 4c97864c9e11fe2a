//! Refusing impossible sizes before allocating.
//!
//! CPython's allocator fails at once on a request the machine cannot give
//! (`'x' * 10**12` raises MemoryError); Rust's collections would instead grow page
//! by page until the kernel kills the process, or abort on failure. Every native
//! that builds a result whose size a script chooses (repetition, padding, shifts,
//! a list of a range) asks [`Vm::check_alloc`] first. The bound is the machine's
//! memory plus swap: a request above it can never succeed, and one below it is
//! left to the allocator as in CPython.

use super::{PyResult, Vm};
use crate::native::Exc;
use std::sync::OnceLock;

/// Physical memory plus swap in bytes, read once from /proc/meminfo (a large
/// bound where that file is missing, so only overflowing sizes are refused).
fn memory_bound() -> usize {
    static BOUND: OnceLock<usize> = OnceLock::new();
    *BOUND.get_or_init(|| {
        let text = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let kb = |key: &str| -> Option<u64> {
            let line = text.lines().find(|l| l.starts_with(key))?;
            line.split_whitespace().nth(1)?.parse().ok()
        };
        match (kb("MemTotal:"), kb("SwapTotal:")) {
            (Some(mem), swap) => ((mem + swap.unwrap_or(0)) * 1024).min(usize::MAX as u64) as usize,
            _ => isize::MAX as usize,
        }
    })
}

impl Vm {
    /// Checks that `count` items of `item_size` bytes can be allocated, raising
    /// MemoryError (with CPython's empty message) when the product overflows or
    /// exceeds what the machine has. Returns the size in bytes.
    pub fn check_alloc(&mut self, count: usize, item_size: usize) -> PyResult<usize> {
        match count.checked_mul(item_size) {
            Some(bytes) if bytes <= memory_bound() => Ok(bytes),
            _ => Err(self.error(Exc::MemoryError, "")),
        }
    }
}
