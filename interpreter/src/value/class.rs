//! Classes (type objects): name, bases, MRO and the class namespace.
//!
//! Built-in types (int, str, list, ...) are classes too, created at start-up with
//! frozen namespaces. Class namespaces are read on every method call by every thread,
//! so the VM caches lookups per thread, validated by [`CLASS_VERSION`], which any write
//! to any class namespace bumps.

use super::dict::DictData;
use super::{ObjRef, Object, Value};
use parking_lot::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// Bumped on every change to any class namespace (or MRO), invalidating the per-thread
/// attribute caches. Readers only load it.
pub static CLASS_VERSION: AtomicU64 = AtomicU64::new(1);

pub fn bump_class_version() {
    CLASS_VERSION.fetch_add(1, Ordering::Release);
}

/// What instances of a class are made of: plain instances, or a built-in object kind
/// the class derives from (instances of `class E(Exception)` carry exception data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaseKind {
    /// `object` and ordinary classes.
    Object,
    /// A built-in type whose values are not `Instance`s and which classes cannot
    /// derive from (range, function, ...).
    Builtin,
    /// A built-in value type classes may derive from (int, float, str, bytes, list,
    /// tuple, dict, set, frozenset): instances of such a derived class are `Instance`s
    /// carrying a value of the base type (see `instance::BaseValue`).
    Value,
    /// `BaseException` and its subclasses.
    Exception,
}

pub struct ClassObj {
    pub name: String,
    pub qualname: String,
    pub module: String,
    pub bases: Vec<ObjRef>,
    /// The method resolution order after the class itself (C3 linearisation).
    pub mro: Vec<ObjRef>,
    pub dict: RwLock<DictData>,
    pub base_kind: BaseKind,
    /// Built-in types do not accept new attributes.
    pub frozen: bool,
    /// The class's `ClassFlags` as `CLASS_VERSION << 1 | plain`, valid while the
    /// version is unchanged (0: not computed). Kept in the class, which every
    /// thread reads anyway, and written only when the version has changed.
    pub flags: AtomicU64,
    /// The metaclass when it is not `type` (a class made by `class M(type)`'s
    /// `__new__`); None keeps `type`'s fast paths for every ordinary class.
    pub meta: Option<ObjRef>,
}

impl ClassObj {
    /// Looks `name` up in this class's own namespace (no MRO).
    pub fn get_own(&self, name: &ObjRef) -> Option<Value> {
        let key = Value::Obj(name.clone());
        let hash = name_hash(name);
        self.dict.read().get_simple(hash, &key).cloned()
    }

    pub fn set_own(&self, name: &ObjRef, v: Value) {
        let key = Value::Obj(name.clone());
        let hash = name_hash(name);
        let old = self.dict.write().set_simple(hash, key, v);
        bump_class_version();
        drop(old);
    }

    pub fn del_own(&self, name: &ObjRef) -> bool {
        let key = Value::Obj(name.clone());
        let hash = name_hash(name);
        let mut d = self.dict.write();
        let found = match d.probe(hash, &key) {
            super::dict::Probe::Found(i) => Some(d.remove_at(i)),
            _ => None,
        };
        drop(d);
        bump_class_version();
        found.is_some()
    }
}

/// The hash of a str object used as a name.
#[inline]
pub fn name_hash(name: &ObjRef) -> i64 {
    match &**name {
        Object::Str(s) => s.hash(),
        _ => 0,
    }
}

/// Looks `name` up along the MRO of `cls` (the class itself first).
pub fn lookup(cls: &ObjRef, name: &ObjRef) -> Option<Value> {
    let c = match &**cls {
        Object::Class(c) => c,
        _ => return None,
    };
    if let Some(v) = c.get_own(name) {
        return Some(v);
    }
    for base in &c.mro {
        if let Object::Class(b) = &**base {
            if let Some(v) = b.get_own(name) {
                return Some(v);
            }
        }
    }
    None
}

/// The full MRO including the class itself.
pub fn mro_of(cls: &ObjRef) -> Vec<ObjRef> {
    let mut v = vec![cls.clone()];
    if let Object::Class(c) = &**cls {
        v.extend(c.mro.iter().cloned());
    }
    v
}

/// True when `cls` is `base` or derives from it.
pub fn is_subclass(cls: &ObjRef, base: &ObjRef) -> bool {
    if cls.ptr_eq(base) {
        return true;
    }
    match &**cls {
        Object::Class(c) => c.mro.iter().any(|m| m.ptr_eq(base)),
        _ => false,
    }
}

/// C3 linearisation of `bases`; the result excludes the new class itself.
/// Returns None when no consistent order exists.
pub fn c3_mro(bases: &[ObjRef]) -> Option<Vec<ObjRef>> {
    let mut seqs: Vec<Vec<ObjRef>> = bases.iter().map(mro_of).collect();
    seqs.push(bases.to_vec());
    let mut out = Vec::new();
    loop {
        seqs.retain(|s| !s.is_empty());
        if seqs.is_empty() {
            return Some(out);
        }
        let mut pick = None;
        for s in &seqs {
            let cand = &s[0];
            let in_tail = seqs.iter().any(|t| t[1..].iter().any(|x| x.ptr_eq(cand)));
            if !in_tail {
                pick = Some(cand.clone());
                break;
            }
        }
        let pick = pick?;
        for s in seqs.iter_mut() {
            if s[0].ptr_eq(&pick) {
                s.remove(0);
            }
        }
        out.push(pick);
    }
}
