//! Methods of `dict`.

use super::arg;
use crate::interp::{add_methods, types};
use crate::native::Exc;
use crate::value::iter::IterObj;
use crate::value::{Object, Value};
use crate::vm::{Args, PyResult, Vm};
use std::sync::atomic::AtomicUsize;

pub fn register(_vm: &mut Vm) {
    let t = types();
    crate::interp::add_natives(&t.dict, &[&super::list_methods::dunder_len::DEF]);
    add_methods(
        &t.dict,
        &[
            ("get", get),
            ("keys", keys),
            ("values", values),
            ("items", items),
            ("pop", pop),
            ("popitem", popitem),
            ("setdefault", setdefault),
            ("update", update),
            ("clear", clear),
            ("copy", copy),
            ("__getitem__", getitem),
            ("__setitem__", setitem),
            ("__delitem__", delitem),
            ("__contains__", contains),
            ("__iter__", iter),
        ],
    );
    crate::interp::add_fast_methods(&t.dict, &[("get", Some(get), get_fast)]);
    // A class method, so that `dict.fromkeys(keys)` receives the class first.
    crate::interp::set_class_attr(
        &t.dict,
        "fromkeys",
        Value::new(Object::ClassMethod(crate::interp::native("fromkeys", "dict.fromkeys", fromkeys))),
    );
}

fn get(vm: &mut Vm, args: Args) -> PyResult<Value> {
    match args.pos.len() {
        0 | 1 => {
            let msg = format!("get expected at least 1 argument, got {}", args.pos.len().saturating_sub(1));
            return Err(vm.type_error(&msg));
        }
        2 | 3 => {}
        n => {
            let msg = format!("get expected at most 2 arguments, got {}", n - 1);
            return Err(vm.type_error(&msg));
        }
    }
    let d = arg(vm, &args, 0, "get")?;
    let k = arg(vm, &args, 1, "get")?;
    Ok(vm.dict_get(&d, &k)?.unwrap_or_else(|| args.pos.get(2).cloned().unwrap_or(Value::None)))
}

/// `dict.get` read from the caller's stack: no `Args`, no counts on the dict and key.
fn get_fast(vm: &mut Vm, args: &[Value]) -> PyResult<Value> {
    match args {
        [d, k] | [d, k, _] if d.as_dict().is_some() => {
            Ok(vm.dict_get(d, k)?.unwrap_or_else(|| args.get(2).cloned().unwrap_or(Value::None)))
        }
        _ => get(vm, crate::interp::unwrapped_args(args)),
    }
}

/// A live view of a dict: `keys()` (0), `values()` (1) or `items()` (2).
pub struct DictView {
    pub dict: Value,
    pub what: u8,
}

fn view_classes() -> &'static [crate::value::ObjRef; 3] {
    static C: std::sync::OnceLock<[crate::value::ObjRef; 3]> = std::sync::OnceLock::new();
    C.get_or_init(|| {
        let make = |name: &str| {
            let c = crate::interp::new_class(
                name,
                "builtins",
                vec![types().object.clone()],
                crate::value::class::BaseKind::Builtin,
                true,
                Default::default(),
            );
            add_methods(
                &c,
                &[
                    ("__iter__", view_iter),
                    ("__reversed__", view_reversed),
                    ("__len__", view_len),
                    ("__contains__", view_contains),
                    ("__repr__", view_repr),
                    ("__and__", view_and),
                    ("__or__", view_or),
                    ("__sub__", view_sub),
                    ("__xor__", view_xor),
                    ("__rand__", view_rand),
                    ("__ror__", view_ror),
                    ("__rsub__", view_rsub),
                    ("__rxor__", view_rxor),
                    ("isdisjoint", view_isdisjoint),
                    ("__eq__", view_eq),
                ],
            );
            c
        };
        [make("dict_keys"), make("dict_values"), make("dict_items")]
    })
}

fn view(d: &Value, what: u8) -> Value {
    let cls = view_classes()[what as usize].clone();
    let inst = crate::value::instance::InstanceObj::with_native(cls, Box::new(DictView { dict: d.clone(), what }));
    Value::new(Object::Instance(inst))
}

fn this_view<'a>(vm: &mut Vm, args: &'a Args) -> PyResult<&'a DictView> {
    match args.pos.first().and_then(|v| v.as_instance()).and_then(|i| i.native::<DictView>()) {
        Some(v) => Ok(v),
        None => Err(vm.type_error("expected a dict view")),
    }
}

fn view_iter(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let v = this_view(vm, &args)?;
    let len = v.dict.as_dict().map(|d| d.len()).unwrap_or(0);
    Ok(Value::new(Object::Iter(IterObj::Dict { dict: v.dict.clone(), pos: AtomicUsize::new(0), what: v.what, len })))
}

/// `reversed(d.keys())` etc.: the view's items, last first (from a snapshot).
fn view_reversed(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let view = arg(vm, &args, 0, "__reversed__")?;
    this_view(vm, &args)?;
    let mut items = vm.collect(&view)?;
    items.reverse();
    vm.get_iter(&Value::list(items))
}

fn view_len(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let v = this_view(vm, &args)?;
    Ok(Value::Int(v.dict.as_dict().map(|d| d.len()).unwrap_or(0) as i64))
}

fn view_contains(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let v = this_view(vm, &args)?;
    let (d, what) = (v.dict.clone(), v.what);
    let x = arg(vm, &args, 1, "__contains__")?;
    match what {
        0 => Ok(Value::Bool(vm.dict_get(&d, &x)?.is_some())),
        1 => {
            let vals = d.as_dict().map(|dd| dd.lock().values()).unwrap_or_default();
            for val in vals {
                if vm.eq(&val, &x)? {
                    return Ok(Value::Bool(true));
                }
            }
            Ok(Value::Bool(false))
        }
        _ => {
            let kv = match x.as_tuple() {
                Some(t) if t.len() == 2 => t.items().to_vec(),
                _ => return Ok(Value::Bool(false)),
            };
            match vm.dict_get(&d, &kv[0])? {
                Some(val) => Ok(Value::Bool(vm.eq(&val, &kv[1])?)),
                None => Ok(Value::Bool(false)),
            }
        }
    }
}

fn view_repr(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let v = this_view(vm, &args)?;
    let (d, what) = (v.dict.clone(), v.what);
    let data = d.as_dict().map(|dd| dd.lock().items()).unwrap_or_default();
    let items: Vec<Value> = data
        .into_iter()
        .map(|(k, val)| match what {
            0 => k,
            1 => val,
            _ => Value::tuple(vec![k, val]),
        })
        .collect();
    let name = ["dict_keys", "dict_values", "dict_items"][what as usize];
    let inner = vm.repr_of(&Value::list(items))?;
    Ok(Value::string(format!("{name}({inner})")))
}

fn keys(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let d = arg(vm, &args, 0, "keys")?;
    Ok(view(&d, 0))
}

fn values(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let d = arg(vm, &args, 0, "values")?;
    Ok(view(&d, 1))
}

fn items(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let d = arg(vm, &args, 0, "items")?;
    Ok(view(&d, 2))
}

fn pop(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let d = arg(vm, &args, 0, "pop")?;
    let k = arg(vm, &args, 1, "pop")?;
    match vm.dict_remove(&d, &k)? {
        Some(v) => Ok(v),
        None => match args.pos.get(2) {
            Some(default) => Ok(default.clone()),
            None => Err(vm.key_error(k)),
        },
    }
}

fn popitem(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let d = arg(vm, &args, 0, "popitem")?;
    let dict = d.as_dict().unwrap();
    let mut g = dict.lock();
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

fn setdefault(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let d = arg(vm, &args, 0, "setdefault")?;
    let k = arg(vm, &args, 1, "setdefault")?;
    let default = args.pos.get(2).cloned().unwrap_or(Value::None);
    match vm.dict_get(&d, &k)? {
        Some(v) => Ok(v),
        None => {
            vm.dict_set(&d, k, default.clone())?;
            Ok(default)
        }
    }
}

fn update(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let d = arg(vm, &args, 0, "update")?;
    if let Some(src) = args.pos.get(1) {
        let src = src.clone();
        vm.dict_update_from(&d, &src, false)?;
    }
    for (k, v) in args.kw {
        vm.dict_set(&d, Value::Obj(k), v)?;
    }
    Ok(Value::None)
}

fn clear(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let d = arg(vm, &args, 0, "clear")?;
    let old = d.as_dict().unwrap().lock().clear();
    drop(old);
    Ok(Value::None)
}

fn copy(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let d = arg(vm, &args, 0, "copy")?;
    vm.dict_copy(&d)
}

fn fromkeys(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let src = arg(vm, &args, 1, "fromkeys")?;
    let v = args.pos.get(2).cloned().unwrap_or(Value::None);
    // A derived class makes an instance of itself and stores through its __setitem__.
    if let Some(cls) = args.pos.first().filter(|c| !c.is(&Value::Obj(types().dict.clone()))) {
        let cls = cls.clone();
        let d = vm.call(&cls, Args::default())?;
        for k in vm.collect(&src)? {
            vm.set_item(&d, k, v.clone())?;
        }
        return Ok(d);
    }
    let d = Value::new(Object::Dict(crate::value::dict::DictObj::new(Default::default())));
    for k in vm.collect(&src)? {
        vm.dict_set(&d, k, v.clone())?;
    }
    Ok(d)
}

fn getitem(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let d = arg(vm, &args, 0, "__getitem__")?;
    let k = arg(vm, &args, 1, "__getitem__")?;
    vm.get_item(&d, &k)
}

fn setitem(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let d = arg(vm, &args, 0, "__setitem__")?;
    let k = arg(vm, &args, 1, "__setitem__")?;
    let v = arg(vm, &args, 2, "__setitem__")?;
    vm.dict_set(&d, k, v)?;
    Ok(Value::None)
}

fn delitem(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let d = arg(vm, &args, 0, "__delitem__")?;
    let k = arg(vm, &args, 1, "__delitem__")?;
    vm.del_item(&d, &k)?;
    Ok(Value::None)
}

fn contains(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let d = arg(vm, &args, 0, "__contains__")?;
    let k = arg(vm, &args, 1, "__contains__")?;
    Ok(Value::Bool(vm.dict_get(&d, &k)?.is_some()))
}

fn iter(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let d = arg(vm, &args, 0, "__iter__")?;
    vm.get_iter(&d)
}

/// A view's elements as a new set (for the set operators on keys and items views).
fn view_set(vm: &mut Vm, v: &Value) -> PyResult<Value> {
    let items = vm.collect(v)?;
    vm.new_set(items, false)
}

fn view_op(vm: &mut Vm, args: &Args, op: conc_grammar::ast::BinOp, reflected: bool) -> PyResult<Value> {
    let a = view_set(vm, &args.pos[0])?;
    let other = arg(vm, args, 1, "view operator")?;
    let b = view_set(vm, &other)?;
    if reflected {
        vm.binary_op(b, a, op)
    } else {
        vm.binary_op(a, b, op)
    }
}

fn view_and(vm: &mut Vm, args: Args) -> PyResult<Value> {
    view_op(vm, &args, conc_grammar::ast::BinOp::BitAnd, false)
}

fn view_or(vm: &mut Vm, args: Args) -> PyResult<Value> {
    view_op(vm, &args, conc_grammar::ast::BinOp::BitOr, false)
}

fn view_sub(vm: &mut Vm, args: Args) -> PyResult<Value> {
    view_op(vm, &args, conc_grammar::ast::BinOp::Sub, false)
}

fn view_xor(vm: &mut Vm, args: Args) -> PyResult<Value> {
    view_op(vm, &args, conc_grammar::ast::BinOp::BitXor, false)
}

fn view_rand(vm: &mut Vm, args: Args) -> PyResult<Value> {
    view_op(vm, &args, conc_grammar::ast::BinOp::BitAnd, true)
}

fn view_ror(vm: &mut Vm, args: Args) -> PyResult<Value> {
    view_op(vm, &args, conc_grammar::ast::BinOp::BitOr, true)
}

fn view_rsub(vm: &mut Vm, args: Args) -> PyResult<Value> {
    view_op(vm, &args, conc_grammar::ast::BinOp::Sub, true)
}

fn view_rxor(vm: &mut Vm, args: Args) -> PyResult<Value> {
    view_op(vm, &args, conc_grammar::ast::BinOp::BitXor, true)
}

fn view_isdisjoint(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let a = view_set(vm, &args.pos[0])?;
    let other = arg(vm, &args, 1, "isdisjoint")?;
    for v in vm.collect(&other)? {
        if vm.set_contains(&a, &v)? {
            return Ok(Value::Bool(false));
        }
    }
    Ok(Value::Bool(true))
}

/// Keys and items views compare equal to sets with the same elements.
fn view_eq(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let other = arg(vm, &args, 1, "__eq__")?;
    let other_is_setlike = matches!(other.obj(), Some(Object::Set(_)))
        || other.as_instance().and_then(|i| i.native::<DictView>()).is_some();
    let this_values =
        args.pos[0].as_instance().and_then(|i| i.native::<DictView>()).map(|v| v.what == 1).unwrap_or(false);
    if !other_is_setlike || this_values {
        return Ok(crate::interp::not_implemented());
    }
    let a = view_set(vm, &args.pos[0])?;
    let b = view_set(vm, &other)?;
    vm.compare(&a, &b, conc_grammar::ast::CmpOp::Eq)
}
