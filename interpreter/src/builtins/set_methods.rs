//! Methods of `set` and `frozenset`.

use super::list_methods::dunder_len;
use crate::interp::{add_natives, types};
use crate::native::{native, wrong_self, Exc, FromSelf, Signature};
use crate::operator::{BinOp, CmpOp};
use crate::value::function::BuiltinObj;
use crate::value::set::SetObj;
use crate::value::{Object, Value};
use crate::vm::{PyResult, Vm};

pub fn register(_vm: &mut Vm) {
    let t = types();
    let common: &[&'static crate::native::NativeDef] = &[
        &dunder_len::DEF,
        &union::DEF,
        &intersection::DEF,
        &difference::DEF,
        &symmetric_difference::DEF,
        &issubset::DEF,
        &issuperset::DEF,
        &isdisjoint::DEF,
        &copy::DEF,
        &contains::DEF,
    ];
    add_natives(&t.set, common);
    add_natives(&t.frozenset, common);
    add_natives(
        &t.set,
        &[
            &add::DEF,
            &discard::DEF,
            &remove::DEF,
            &pop::DEF,
            &clear::DEF,
            &update::DEF,
            &intersection_update::DEF,
            &difference_update::DEF,
            &symmetric_difference_update::DEF,
        ],
    );
}

/// `self` of a set method: a set for the methods of `set`, a frozenset for those of
/// `frozenset` (the base value of an instance of a derived class arrives unwrapped).
struct SetSelf<'a>(&'a Value, &'a SetObj);

impl<'a> FromSelf<'a> for SetSelf<'a> {
    #[inline(always)]
    fn from_self(vm: &mut Vm, v: &'a Value, sig: &'static Signature, b: &BuiltinObj) -> PyResult<Self> {
        let frozen = b.owner.as_ref().is_some_and(|o| o.ptr_eq(&types().frozenset));
        match v.obj() {
            Some(Object::Set(s)) if s.frozen == frozen => Ok(SetSelf(v, s)),
            _ => Err(wrong_self(vm, v, sig, if frozen { "frozenset" } else { "set" })),
        }
    }
}

/// Any iterable as a set (a set as it is).
fn as_set(vm: &mut Vm, v: &Value) -> PyResult<Value> {
    if let Some(Object::Set(_)) = v.obj() {
        return Ok(v.clone());
    }
    let items = vm.collect(v)?;
    vm.new_set(items, false)
}

/// A key to look up: a set, unhashable, is looked up as the frozenset of its items
/// (as CPython does for `in`, `discard` and `remove`).
fn lookup_key(vm: &mut Vm, v: &Value) -> Value {
    match v.unwrap_base().obj() {
        Some(Object::Set(s)) if !s.frozen => vm.set_copy(v.unwrap_base(), true),
        _ => v.clone(),
    }
}

fn binary(vm: &mut Vm, this: &SetSelf, others: &[Value], op: BinOp) -> PyResult<Value> {
    let mut acc = vm.set_copy(this.0, this.1.frozen);
    for other in others {
        let o = as_set(vm, other)?;
        acc = vm.binary_op(acc, o, op)?;
    }
    Ok(acc)
}

/// Return the union of sets as a new set.
///
/// (i.e. all elements that are in either set.)
#[native("set.union($self, /, *others)")]
fn union(vm: &mut Vm, this: SetSelf, others: &[Value]) -> PyResult<Value> {
    binary(vm, &this, others, BinOp::BitOr)
}

/// Return the intersection of two sets as a new set.
///
/// (i.e. all elements that are in both sets.)
#[native("set.intersection($self, /, *others)")]
fn intersection(vm: &mut Vm, this: SetSelf, others: &[Value]) -> PyResult<Value> {
    binary(vm, &this, others, BinOp::BitAnd)
}

/// Return the difference of two or more sets as a new set.
///
/// (i.e. all elements that are in this set but not the others.)
#[native("set.difference($self, /, *others)")]
fn difference(vm: &mut Vm, this: SetSelf, others: &[Value]) -> PyResult<Value> {
    binary(vm, &this, others, BinOp::Sub)
}

/// Return the symmetric difference of two sets as a new set.
///
/// (i.e. all elements that are in exactly one of the sets.)
#[native("set.symmetric_difference($self, other, /)")]
fn symmetric_difference(vm: &mut Vm, this: SetSelf, other: Value) -> PyResult<Value> {
    binary(vm, &this, std::slice::from_ref(&other), BinOp::BitXor)
}

fn inplace(vm: &mut Vm, this: &SetSelf, others: &[Value], op: BinOp) -> PyResult<()> {
    for other in others {
        let o = as_set(vm, other)?;
        vm.inplace_op(this.0.clone(), o, op)?;
    }
    Ok(())
}

/// Update a set with the union of itself and others.
#[native("set.update($self, /, *others)")]
fn update(vm: &mut Vm, this: SetSelf, others: &[Value]) -> PyResult<()> {
    inplace(vm, &this, others, BinOp::BitOr)
}

/// Update a set with the intersection of itself and another.
#[native("set.intersection_update($self, /, *others)")]
fn intersection_update(vm: &mut Vm, this: SetSelf, others: &[Value]) -> PyResult<()> {
    inplace(vm, &this, others, BinOp::BitAnd)
}

/// Remove all elements of another set from this set.
#[native("set.difference_update($self, /, *others)")]
fn difference_update(vm: &mut Vm, this: SetSelf, others: &[Value]) -> PyResult<()> {
    inplace(vm, &this, others, BinOp::Sub)
}

/// Update a set with the symmetric difference of itself and another.
#[native("set.symmetric_difference_update($self, other, /)")]
fn symmetric_difference_update(vm: &mut Vm, this: SetSelf, other: Value) -> PyResult<()> {
    inplace(vm, &this, std::slice::from_ref(&other), BinOp::BitXor)
}

fn compare(vm: &mut Vm, this: &SetSelf, other: &Value, op: CmpOp) -> PyResult<Value> {
    let b = as_set(vm, other)?;
    vm.compare(this.0, &b, op)
}

/// Report whether another set contains this set.
#[native("set.issubset($self, other, /)")]
fn issubset(vm: &mut Vm, this: SetSelf, other: Value) -> PyResult<Value> {
    compare(vm, &this, &other, CmpOp::LtE)
}

/// Report whether this set contains another set.
#[native("set.issuperset($self, other, /)")]
fn issuperset(vm: &mut Vm, this: SetSelf, other: Value) -> PyResult<Value> {
    compare(vm, &this, &other, CmpOp::GtE)
}

/// Return True if two sets have a null intersection.
#[native("set.isdisjoint($self, other, /)")]
fn isdisjoint(vm: &mut Vm, this: SetSelf, other: Value) -> PyResult<bool> {
    for v in vm.collect(&other)? {
        if vm.set_contains(this.0, &v)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Return a shallow copy of a set.
#[native("set.copy($self, /)")]
fn copy(vm: &mut Vm, this: SetSelf) -> PyResult<Value> {
    Ok(vm.set_copy(this.0, this.1.frozen))
}

/// x.__contains__(y) <==> y in x.
#[native("set.__contains__($self, key, /)")]
fn contains(vm: &mut Vm, this: SetSelf, key: Value) -> PyResult<bool> {
    let k = lookup_key(vm, &key);
    vm.set_contains(this.0, &k)
}

/// Add an element to a set.
///
/// This has no effect if the element is already present.
#[native("set.add($self, object, /)")]
fn add(vm: &mut Vm, this: SetSelf, object: Value) -> PyResult<()> {
    vm.set_add(this.0, object)
}

/// Remove an element from a set if it is a member.
///
/// Unlike set.remove(), the discard() method does not raise
/// an exception when an element is missing from the set.
#[native("set.discard($self, object, /)")]
fn discard(vm: &mut Vm, this: SetSelf, object: Value) -> PyResult<()> {
    let k = lookup_key(vm, &object);
    vm.set_discard(this.0, &k)?;
    Ok(())
}

/// Remove an element from a set; it must be a member.
///
/// If the element is not a member, raise a KeyError.
#[native("set.remove($self, object, /)")]
fn remove(vm: &mut Vm, this: SetSelf, object: Value) -> PyResult<()> {
    let k = lookup_key(vm, &object);
    if !vm.set_discard(this.0, &k)? {
        return Err(vm.key_error(object));
    }
    Ok(())
}

/// Remove and return an arbitrary set element.
///
/// Raises KeyError if the set is empty.
#[native("set.pop($self, /)")]
fn pop(vm: &mut Vm, this: SetSelf) -> PyResult<Value> {
    let mut g = this.1.lock();
    if let Some(i) = g.first_index() {
        return Ok(g.remove_at(i));
    }
    drop(g);
    Err(vm.error(Exc::KeyError, "pop from an empty set"))
}

/// Remove all elements from this set.
#[native("set.clear($self, /)")]
fn clear(_vm: &mut Vm, this: SetSelf) -> PyResult<()> {
    let old = this.1.lock().clear();
    drop(old);
    Ok(())
}
