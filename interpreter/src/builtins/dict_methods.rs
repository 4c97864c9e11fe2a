//! Methods of `dict` and of its views (`dict_keys`, `dict_values`, `dict_items`).

use super::list_methods::dunder_len;
use crate::interp::{add_natives, types};
use crate::native::{native, wrong_self, Exc, FromSelf, KwArgs, Signature};
use crate::operator::{BinOp, CmpOp};
use crate::value::dict::DictObj;
use crate::value::function::BuiltinObj;
use crate::value::iter::IterObj;
use crate::value::{ObjRef, Object, Value};
use crate::vm::{Args, PyResult, Vm};
use std::sync::atomic::AtomicUsize;

pub fn register(_vm: &mut Vm) {
    let t = types();
    add_natives(
        &t.dict,
        &[
            &dunder_len::DEF,
            &get::DEF,
            &keys::DEF,
            &values::DEF,
            &items::DEF,
            &pop::DEF,
            &popitem::DEF,
            &setdefault::DEF,
            &update::DEF,
            &clear::DEF,
            &copy::DEF,
            &getitem::DEF,
            &setitem::DEF,
            &delitem::DEF,
            &contains::DEF,
            &iter::DEF,
        ],
    );
    // A class method, so that `dict.fromkeys(keys)` receives the class first.
    let f = BuiltinObj::declared(&fromkeys::DEF, "dict.fromkeys".to_string());
    let f = Value::Obj(ObjRef::new_immortal(Object::Builtin(f)));
    crate::interp::set_class_attr(&t.dict, "fromkeys", Value::new(Object::ClassMethod(f)));
}

/// Return the value for key if key is in the dictionary, else default.
#[native("dict.get($self, key, default=None, /)")]
fn get(vm: &mut Vm, this: (&Value, &DictObj), key: &Value, default: Option<&Value>) -> PyResult<Value> {
    Ok(vm.dict_get(this.0, key)?.unwrap_or_else(|| default.cloned().unwrap_or(Value::None)))
}

/// D.keys() -> a set-like object providing a view on D's keys
#[native("dict.keys($self, /)")]
fn keys(_vm: &mut Vm, this: (&Value, &DictObj)) -> PyResult<Value> {
    Ok(view(this.0, 0))
}

/// D.values() -> an object providing a view on D's values
#[native("dict.values($self, /)")]
fn values(_vm: &mut Vm, this: (&Value, &DictObj)) -> PyResult<Value> {
    Ok(view(this.0, 1))
}

/// D.items() -> a set-like object providing a view on D's items
#[native("dict.items($self, /)")]
fn items(_vm: &mut Vm, this: (&Value, &DictObj)) -> PyResult<Value> {
    Ok(view(this.0, 2))
}

/// D.pop(k[,d]) -> v, remove specified key and return the corresponding value.
///
/// If the key is not found, return the default if given; otherwise,
/// raise a KeyError.
#[native("dict.pop($self, key, default=<unrepresentable>, /)")]
fn pop(vm: &mut Vm, this: (&Value, &DictObj), key: Value, default: Option<Value>) -> PyResult<Value> {
    // An empty dict has no key to find: the key is not hashed (as in CPython).
    let found = if this.1.is_empty() { None } else { vm.dict_remove(this.0, &key)? };
    match found {
        Some(v) => Ok(v),
        None => match default {
            Some(d) => Ok(d),
            None => Err(vm.key_error(key)),
        },
    }
}

/// Remove and return a (key, value) pair as a 2-tuple.
///
/// Pairs are returned in LIFO (last-in, first-out) order.
/// Raises KeyError if the dict is empty.
#[native("dict.popitem($self, /)")]
fn popitem(vm: &mut Vm, this: &DictObj) -> PyResult<Value> {
    let mut g = this.lock();
    match g.last_index() {
        Some(i) => {
            let (k, v) = g.remove_at(i);
            Ok(Value::tuple(vec![k, v]))
        }
        None => {
            drop(g);
            Err(vm.error(Exc::KeyError, "popitem(): dictionary is empty"))
        }
    }
}

/// Insert key with a value of default if key is not in the dictionary.
///
/// Return the value for key if key is in the dictionary, else default.
#[native("dict.setdefault($self, key, default=None, /)")]
fn setdefault(vm: &mut Vm, this: (&Value, &DictObj), key: Value, default: Value) -> PyResult<Value> {
    match vm.dict_get(this.0, &key)? {
        Some(v) => Ok(v),
        None => {
            vm.dict_set(this.0, key, default.clone())?;
            Ok(default)
        }
    }
}

/// D.update([E, ]**F) -> None.  Update D from dict/iterable E and F.
#[native("dict.update($self, other=<unrepresentable>, /, **kwargs)", style = "positional")]
fn update(vm: &mut Vm, this: (&Value, &DictObj), other: Option<Value>, kwargs: KwArgs) -> PyResult<()> {
    if let Some(src) = other {
        vm.dict_update_from(this.0, &src, false)?;
    }
    for (k, v) in kwargs {
        vm.dict_set(this.0, Value::Obj(k), v)?;
    }
    Ok(())
}

/// D.clear() -> None.  Remove all items from D.
#[native("dict.clear($self, /)")]
fn clear(_vm: &mut Vm, this: &DictObj) -> PyResult<()> {
    let old = this.lock().clear();
    drop(old);
    Ok(())
}

/// D.copy() -> a shallow copy of D
#[native("dict.copy($self, /)")]
fn copy(vm: &mut Vm, this: (&Value, &DictObj)) -> PyResult<Value> {
    vm.dict_copy(this.0)
}

/// Create a new dictionary with keys from iterable and values set to value.
#[native("dict.fromkeys($cls, iterable, value=None, /)")]
fn fromkeys(vm: &mut Vm, cls: &ObjRef, iterable: Value, value: Value) -> PyResult<Value> {
    // A derived class makes an instance of itself and stores through its __setitem__.
    if !cls.ptr_eq(&types().dict) {
        let d = vm.call(&Value::Obj(cls.clone()), Args::default())?;
        for k in vm.collect(&iterable)? {
            vm.set_item(&d, k, value.clone())?;
        }
        return Ok(d);
    }
    let d = Value::new(Object::Dict(DictObj::new(Default::default())));
    for k in vm.collect(&iterable)? {
        vm.dict_set(&d, k, value.clone())?;
    }
    Ok(d)
}

/// x.__getitem__(y) <==> x[y]
#[native("dict.__getitem__($self, key, /)")]
fn getitem(vm: &mut Vm, this: (&Value, &DictObj), key: Value) -> PyResult<Value> {
    vm.get_item(this.0, &key)
}

/// Set self[key] to value.
#[native("dict.__setitem__($self, key, value, /)", style = "slot_spaced")]
fn setitem(vm: &mut Vm, this: (&Value, &DictObj), key: Value, value: Value) -> PyResult<()> {
    vm.dict_set(this.0, key, value)
}

/// Delete self[key].
#[native("dict.__delitem__($self, key, /)", style = "slot")]
fn delitem(vm: &mut Vm, this: (&Value, &DictObj), key: Value) -> PyResult<()> {
    vm.del_item(this.0, &key)
}

/// True if the dictionary has the specified key, else False.
#[native("dict.__contains__($self, key, /)")]
fn contains(vm: &mut Vm, this: (&Value, &DictObj), key: Value) -> PyResult<bool> {
    Ok(vm.dict_get(this.0, &key)?.is_some())
}

/// Implement iter(self).
#[native("dict.__iter__($self, /)", style = "slot")]
fn iter(vm: &mut Vm, this: (&Value, &DictObj)) -> PyResult<Value> {
    vm.get_iter(this.0)
}

// The views.

/// A live view of a dict: `keys()` (0), `values()` (1) or `items()` (2).
pub struct DictView {
    pub dict: Value,
    pub what: u8,
}

const VIEW_NAMES: [&str; 3] = ["dict_keys", "dict_values", "dict_items"];

fn view_classes() -> &'static [ObjRef; 3] {
    static C: std::sync::OnceLock<[ObjRef; 3]> = std::sync::OnceLock::new();
    C.get_or_init(|| {
        let make = |what: usize| {
            let c = crate::interp::new_class(
                VIEW_NAMES[what],
                "builtins",
                vec![types().object.clone()],
                crate::value::class::BaseKind::Builtin,
                true,
                Default::default(),
            );
            add_natives(&c, &[&view_iter::DEF, &view_reversed::DEF, &view_len::DEF, &view_repr::DEF]);
            // The values view is not set-like: no set operators, `in` iterates.
            if what != 1 {
                add_natives(
                    &c,
                    &[
                        &view_contains::DEF,
                        &view_and::DEF,
                        &view_or::DEF,
                        &view_sub::DEF,
                        &view_xor::DEF,
                        &view_rand::DEF,
                        &view_ror::DEF,
                        &view_rsub::DEF,
                        &view_rxor::DEF,
                        &view_isdisjoint::DEF,
                        &view_eq::DEF,
                    ],
                );
            }
            c
        };
        [make(0), make(1), make(2)]
    })
}

fn view(d: &Value, what: u8) -> Value {
    let cls = view_classes()[what as usize].clone();
    let inst = crate::value::instance::InstanceObj::with_native(cls, Box::new(DictView { dict: d.clone(), what }));
    Value::new(Object::Instance(inst))
}

/// `self` of a view method: a view of the kind of the class the method was found on
/// (as a value too, for the operators that iterate it).
struct View<'a>(&'a Value, &'a DictView);

impl<'a> FromSelf<'a> for View<'a> {
    fn from_self(vm: &mut Vm, v: &'a Value, sig: &'static Signature, b: &BuiltinObj) -> PyResult<Self> {
        let owner = b.owner.as_ref().and_then(|o| view_classes().iter().position(|c| c.ptr_eq(o)));
        match v.as_instance().and_then(|i| i.native::<DictView>()) {
            Some(d) if owner.is_none_or(|w| w == d.what as usize) => Ok(View(v, d)),
            _ => Err(wrong_self(vm, v, sig, VIEW_NAMES[owner.unwrap_or(0)])),
        }
    }
}

impl View<'_> {
    fn len(&self) -> usize {
        self.1.dict.as_dict().map(|d| d.len()).unwrap_or(0)
    }
}

/// Implement iter(self).
#[native("dict_keys.__iter__($self, /)", style = "slot")]
fn view_iter(_vm: &mut Vm, this: View) -> PyResult<Value> {
    let (dict, what, len) = (this.1.dict.clone(), this.1.what, this.len());
    Ok(Value::new(Object::Iter(IterObj::Dict { dict, pos: AtomicUsize::new(0), what, len })))
}

/// Return a reverse iterator over the dict's view.
#[native("dict_keys.__reversed__($self, /)")]
fn view_reversed(vm: &mut Vm, this: View) -> PyResult<Value> {
    // The view's items, last first (from a snapshot).
    let mut items = vm.collect(this.0)?;
    items.reverse();
    vm.get_iter(&Value::list(items))
}

/// Return len(self).
#[native("dict_keys.__len__($self, /)", style = "slot")]
fn view_len(_vm: &mut Vm, this: View) -> PyResult<usize> {
    Ok(this.len())
}

/// Return key in self.
#[native("dict_keys.__contains__($self, key, /)", style = "slot")]
fn view_contains(vm: &mut Vm, this: View, key: Value) -> PyResult<bool> {
    let d = this.1.dict.clone();
    match this.1.what {
        0 => Ok(vm.dict_get(&d, &key)?.is_some()),
        1 => {
            let vals = d.as_dict().map(|dd| dd.lock().values()).unwrap_or_default();
            for val in vals {
                if vm.eq(&val, &key)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        _ => {
            let kv = match key.as_tuple() {
                Some(t) if t.len() == 2 => t.items().to_vec(),
                _ => return Ok(false),
            };
            match vm.dict_get(&d, &kv[0])? {
                Some(val) => vm.eq(&val, &kv[1]),
                None => Ok(false),
            }
        }
    }
}

/// Return repr(self).
#[native("dict_keys.__repr__($self, /)", style = "slot")]
fn view_repr(vm: &mut Vm, this: View) -> PyResult<String> {
    let what = this.1.what;
    let data = this.1.dict.as_dict().map(|dd| dd.lock().items()).unwrap_or_default();
    let items: Vec<Value> = data
        .into_iter()
        .map(|(k, val)| match what {
            0 => k,
            1 => val,
            _ => Value::tuple(vec![k, val]),
        })
        .collect();
    let inner = vm.repr_of(&Value::list(items))?;
    Ok(format!("{}({inner})", VIEW_NAMES[what as usize]))
}

/// A view's elements (or any iterable's) as a new set, for the set operators.
fn view_set(vm: &mut Vm, v: &Value) -> PyResult<Value> {
    let items = vm.collect(v)?;
    vm.new_set(items, false)
}

fn view_op(vm: &mut Vm, this: &View, other: &Value, op: BinOp, reflected: bool) -> PyResult<Value> {
    let a = view_set(vm, this.0)?;
    let b = view_set(vm, other)?;
    if reflected {
        vm.binary_op(b, a, op)
    } else {
        vm.binary_op(a, b, op)
    }
}

/// Return self&value.
#[native("dict_keys.__and__($self, value, /)", style = "slot")]
fn view_and(vm: &mut Vm, this: View, value: Value) -> PyResult<Value> {
    view_op(vm, &this, &value, BinOp::BitAnd, false)
}

/// Return self|value.
#[native("dict_keys.__or__($self, value, /)", style = "slot")]
fn view_or(vm: &mut Vm, this: View, value: Value) -> PyResult<Value> {
    view_op(vm, &this, &value, BinOp::BitOr, false)
}

/// Return self-value.
#[native("dict_keys.__sub__($self, value, /)", style = "slot")]
fn view_sub(vm: &mut Vm, this: View, value: Value) -> PyResult<Value> {
    view_op(vm, &this, &value, BinOp::Sub, false)
}

/// Return self^value.
#[native("dict_keys.__xor__($self, value, /)", style = "slot")]
fn view_xor(vm: &mut Vm, this: View, value: Value) -> PyResult<Value> {
    view_op(vm, &this, &value, BinOp::BitXor, false)
}

/// Return value&self.
#[native("dict_keys.__rand__($self, value, /)", style = "slot")]
fn view_rand(vm: &mut Vm, this: View, value: Value) -> PyResult<Value> {
    view_op(vm, &this, &value, BinOp::BitAnd, true)
}

/// Return value|self.
#[native("dict_keys.__ror__($self, value, /)", style = "slot")]
fn view_ror(vm: &mut Vm, this: View, value: Value) -> PyResult<Value> {
    view_op(vm, &this, &value, BinOp::BitOr, true)
}

/// Return value-self.
#[native("dict_keys.__rsub__($self, value, /)", style = "slot")]
fn view_rsub(vm: &mut Vm, this: View, value: Value) -> PyResult<Value> {
    view_op(vm, &this, &value, BinOp::Sub, true)
}

/// Return value^self.
#[native("dict_keys.__rxor__($self, value, /)", style = "slot")]
fn view_rxor(vm: &mut Vm, this: View, value: Value) -> PyResult<Value> {
    view_op(vm, &this, &value, BinOp::BitXor, true)
}

/// Return True if the view and the given iterable have a null intersection.
#[native("dict_keys.isdisjoint($self, other, /)")]
fn view_isdisjoint(vm: &mut Vm, this: View, other: Value) -> PyResult<bool> {
    let a = view_set(vm, this.0)?;
    for v in vm.collect(&other)? {
        if vm.set_contains(&a, &v)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Return self==value.
#[native("dict_keys.__eq__($self, value, /)", style = "slot")]
fn view_eq(vm: &mut Vm, this: View, value: Value) -> PyResult<Value> {
    // Keys and items views compare equal to sets with the same elements.
    let setlike = matches!(value.obj(), Some(Object::Set(_)))
        || value.as_instance().and_then(|i| i.native::<DictView>()).is_some_and(|v| v.what != 1);
    if !setlike {
        return Ok(crate::interp::not_implemented());
    }
    let a = view_set(vm, this.0)?;
    let b = view_set(vm, &value)?;
    vm.compare(&a, &b, CmpOp::Eq)
}
