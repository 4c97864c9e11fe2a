//! `str`: immutable Unicode text, indexed by code point, with a cached hash, and the
//! global table of interned names.
//!
//! Indexing by code point is O(1) for ASCII text (the common case); other text scans.

use super::{ObjRef, Object, Value};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// Text up to this many bytes lives inside the object: one allocation per string,
/// as in CPython, instead of an object plus a text buffer.
const INLINE: usize = 56;

enum Text {
    Inline { len: u8, buf: [u8; INLINE] },
    Heap(Box<str>),
}

pub struct StrObj {
    s: Text,
    /// Number of code points.
    char_len: usize,
    /// 0 = not computed yet.
    hash: AtomicU64,
}

impl StrObj {
    pub fn new(s: String) -> StrObj {
        let char_len = if s.is_ascii() { s.len() } else { s.chars().count() };
        let text = if s.len() <= INLINE {
            let mut buf = [0u8; INLINE];
            buf[..s.len()].copy_from_slice(s.as_bytes());
            Text::Inline { len: s.len() as u8, buf }
        } else {
            Text::Heap(s.into_boxed_str())
        };
        StrObj { s: text, char_len, hash: AtomicU64::new(0) }
    }

    /// A str with the text `s`, copied once (short text goes inside the object,
    /// with no intermediate `String`).
    #[allow(clippy::should_implement_trait)]
    pub fn from_str(s: &str) -> StrObj {
        if s.len() > INLINE {
            return StrObj::new(s.to_string());
        }
        let char_len = if s.is_ascii() { s.len() } else { s.chars().count() };
        let mut buf = [0u8; INLINE];
        buf[..s.len()].copy_from_slice(s.as_bytes());
        StrObj { s: Text::Inline { len: s.len() as u8, buf }, char_len, hash: AtomicU64::new(0) }
    }

    #[inline(always)]
    pub fn as_str(&self) -> &str {
        match &self.s {
            // SAFETY: both constructors of `Text::Inline` (`new`, `from_str`) copy a
            // whole `&str` into `buf[..len]` and the object is immutable, so those
            // bytes are exactly a str's: valid UTF-8, cut at its end, not mid-char.
            Text::Inline { len, buf } => unsafe { std::str::from_utf8_unchecked(&buf[..*len as usize]) },
            Text::Heap(b) => b,
        }
    }

    /// Length in code points (`len()`).
    #[inline]
    pub fn char_len(&self) -> usize {
        self.char_len
    }

    #[inline]
    pub fn is_ascii(&self) -> bool {
        self.char_len == self.as_str().len()
    }

    /// The code point at index `i` (already bounds-checked and non-negative).
    pub fn char_at(&self, i: usize) -> char {
        if self.is_ascii() {
            self.as_str().as_bytes()[i] as char
        } else {
            self.as_str().chars().nth(i).unwrap_or('\0')
        }
    }

    /// Byte offset of code point `i` (clamped to the end).
    pub fn byte_offset(&self, i: usize) -> usize {
        if self.is_ascii() {
            i.min(self.as_str().len())
        } else {
            self.as_str().char_indices().nth(i).map(|(b, _)| b).unwrap_or(self.as_str().len())
        }
    }

    /// The hash used by dicts and sets (not CPython's: CPython randomises str hashes,
    /// so no script can depend on them).
    #[inline]
    pub fn hash(&self) -> i64 {
        let h = self.hash.load(Ordering::Relaxed);
        if h != 0 {
            return h as i64;
        }
        let h = hash_str(self.as_str());
        self.hash.store(h as u64, Ordering::Relaxed);
        h
    }
}

/// FNV-1a over 8-byte words, then a final mix; never returns 0 or -1.
pub fn hash_str(s: &str) -> i64 {
    let bytes = s.as_bytes();
    let mut h: u64 = 0xcbf29ce484222325 ^ (bytes.len() as u64);
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes(c.try_into().unwrap());
        h = (h ^ w).wrapping_mul(0x100000001b3).rotate_left(23);
    }
    for &b in chunks.remainder() {
        h = (h ^ b as u64).wrapping_mul(0x100000001b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51afd7ed558ccd);
    h ^= h >> 33;
    let h = (h >> 1) as i64;
    if h == 0 || h == -1 {
        2
    } else {
        h
    }
}

fn interner() -> &'static Mutex<HashMap<&'static str, ObjRef>> {
    static TABLE: OnceLock<Mutex<HashMap<&'static str, ObjRef>>> = OnceLock::new();
    TABLE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// See `crate::fork::reset_in_child`.
pub(crate) unsafe fn release_interner_after_fork() {
    crate::fork::release_orphaned(interner());
}

/// The unique immortal string object for `s`. Names in code (attributes, globals,
/// keywords) are interned, so name comparison is usually a pointer comparison.
pub fn intern(s: &str) -> ObjRef {
    let mut t = interner().lock();
    if let Some(r) = t.get(s) {
        return r.clone();
    }
    let r = ObjRef::new_immortal(Object::Str(StrObj::new(s.to_string())));
    let key: &'static str = match r.as_static() {
        Object::Str(so) => so.as_str(),
        _ => unreachable!(),
    };
    t.insert(key, r.clone());
    r
}

/// Interns a string value (returns the interned twin, or the value itself if it is not
/// a str).
pub fn intern_value(v: &Value) -> Value {
    match v.as_str() {
        Some(s) => Value::Obj(intern(s.as_str())),
        None => v.clone(),
    }
}

/// Equality of two str objects: pointer first (interned names), then bytes.
#[inline]
pub fn str_obj_eq(a: &ObjRef, b: &ObjRef) -> bool {
    if a.ptr_eq(b) {
        return true;
    }
    match (&**a, &**b) {
        (Object::Str(x), Object::Str(y)) => x.as_str() == y.as_str(),
        _ => false,
    }
}

impl ObjRef {
    /// The text of a str object; panics on other objects (callers check first).
    pub fn str_text(&self) -> &str {
        match &**self {
            Object::Str(s) => s.as_str(),
            _ => panic!("str_text on a non-str object"),
        }
    }
}
