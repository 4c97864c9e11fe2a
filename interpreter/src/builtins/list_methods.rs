//! Methods of `list` and `tuple`.

use super::{arg, functions};
use crate::interp::{add_methods, types};
use crate::value::{Object, Value};
use crate::vm::{Args, PyResult, Vm};

pub fn register(_vm: &mut Vm) {
    let t = types();
    add_methods(
        &t.list,
        &[
            ("append", append),
            ("extend", extend),
            ("pop", pop),
            ("insert", insert),
            ("remove", remove),
            ("index", index),
            ("count", count),
            ("clear", clear),
            ("copy", copy),
            ("reverse", reverse),
            ("sort", sort),
            ("__len__", dunder_len),
            ("__getitem__", dunder_getitem),
            ("__setitem__", dunder_setitem),
            ("__delitem__", dunder_delitem),
            ("__contains__", dunder_contains),
            ("__iter__", dunder_iter),
        ],
    );
    crate::interp::add_fast_methods(&t.list, &[("append", Some(append), append_fast)]);
    add_methods(
        &t.tuple,
        &[
            ("index", index),
            ("count", count),
            ("__len__", dunder_len),
            ("__getitem__", dunder_getitem),
            ("__contains__", dunder_contains),
            ("__iter__", dunder_iter),
        ],
    );
    add_methods(&t.range, &[("index", range_index), ("count", range_count)]);
    add_methods(&t.slice, &[("indices", slice_indices)]);
}

/// The position of `x` in a range, found arithmetically; only ints (and bools) can
/// be members without iterating, and others fall back to equality.
fn range_position(vm: &mut Vm, args: &Args, name: &str) -> PyResult<Option<Value>> {
    let r = arg(vm, args, 0, name)?;
    let x = arg(vm, args, 1, name)?;
    let Some((start, _, step, len)) = r.obj().and_then(crate::value::range::range_parts) else {
        let msg = format!("descriptor '{name}' requires a 'range' object");
        return Err(vm.type_error(&msg));
    };
    if let Some(v) = crate::vm::ops::exact_int(&x) {
        let i = crate::value::range::range_position(&start, &step, &len, &v);
        return Ok(i.map(crate::value::int::normalize));
    }
    let mut i = num_bigint::BigInt::from(0);
    let mut cur = start;
    while i < len {
        if vm.eq(&crate::value::int::normalize(cur.clone()), &x)? {
            return Ok(Some(crate::value::int::normalize(i)));
        }
        cur += &step;
        i += 1;
    }
    Ok(None)
}

fn range_index(vm: &mut Vm, args: Args) -> PyResult<Value> {
    match range_position(vm, &args, "index")? {
        Some(i) => Ok(i),
        None => {
            let msg = format!("{} is not in range", vm.repr_of(&args.pos[1])?);
            Err(vm.value_error(&msg))
        }
    }
}

fn range_count(vm: &mut Vm, args: Args) -> PyResult<Value> {
    Ok(Value::Int(range_position(vm, &args, "count")?.is_some() as i64))
}

/// `slice.indices(length)`: the (start, stop, step) a slice selects in a sequence of
/// that length, clamped as subscription does.
fn slice_indices(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let s = arg(vm, &args, 0, "indices")?;
    let n = arg(vm, &args, 1, "indices")?;
    let Some(Object::Slice(so)) = s.obj() else {
        return Err(vm.type_error("descriptor 'indices' requires a 'slice' object"));
    };
    let n = vm.index_value(&n)?;
    if n < 0 {
        return Err(vm.value_error("length should not be negative"));
    }
    let idx = vm.slice_indices(so, n as usize)?;
    Ok(Value::tuple(vec![Value::Int(idx.start), Value::Int(idx.stop), Value::Int(idx.step)]))
}

fn this_list<'a>(vm: &mut Vm, args: &'a Args, name: &str) -> PyResult<&'a crate::value::list::ListObj> {
    match args.pos.first().and_then(|v| v.as_list()) {
        Some(l) => Ok(l),
        None => {
            let what = match args.pos.first() {
                Some(v) => vm.type_name(v),
                None => "NoneType".to_string(),
            };
            let msg = format!("descriptor '{name}' for 'list' objects doesn't apply to a '{what}' object");
            Err(vm.type_error(&msg))
        }
    }
}

fn items_of(v: &Value) -> Vec<Value> {
    match v.obj() {
        Some(Object::List(l)) => l.snapshot(),
        Some(Object::Tuple(t)) => t.items().to_vec(),
        _ => vec![],
    }
}

fn append(vm: &mut Vm, args: Args) -> PyResult<Value> {
    if args.pos.len() != 2 {
        let msg = format!("list.append() takes exactly one argument ({} given)", args.pos.len().saturating_sub(1));
        return Err(vm.type_error(&msg));
    }
    let l = this_list(vm, &args, "append")?;
    l.push(args.pos[1].clone());
    Ok(Value::None)
}

/// `list.append` read from the caller's stack: no `Args`, no count on the list.
fn append_fast(vm: &mut Vm, args: &[Value]) -> PyResult<Value> {
    match args {
        [Value::Obj(o), v] => match &**o {
            Object::List(l) => {
                l.push(v.clone());
                Ok(Value::None)
            }
            _ => append(vm, crate::interp::unwrapped_args(args)),
        },
        _ => append(vm, crate::interp::unwrapped_args(args)),
    }
}

fn extend(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let src = arg(vm, &args, 1, "extend")?;
    let items = vm.collect(&src)?;
    let l = this_list(vm, &args, "extend")?;
    l.lock().extend(items);
    Ok(Value::None)
}

fn pop(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let idx = match args.pos.get(1) {
        Some(i) => Some(vm.index_value(i)?),
        None => None,
    };
    let l = this_list(vm, &args, "pop")?;
    let mut g = l.lock();
    if g.is_empty() {
        drop(g);
        return Err(vm.new_error("IndexError", "pop from empty list"));
    }
    let n = g.len() as i64;
    let i = match idx {
        None => n - 1,
        Some(i) if i < 0 => i + n,
        Some(i) => i,
    };
    if i < 0 || i >= n {
        drop(g);
        return Err(vm.new_error("IndexError", "pop index out of range"));
    }
    Ok(g.remove(i as usize))
}

fn insert(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let i = arg(vm, &args, 1, "insert")?;
    let i = vm.index_value(&i)?;
    let v = arg(vm, &args, 2, "insert")?;
    let l = this_list(vm, &args, "insert")?;
    let mut g = l.lock();
    let n = g.len() as i64;
    let at = if i < 0 { (i + n).max(0) } else { i.min(n) };
    g.insert(at as usize, v);
    Ok(Value::None)
}

fn find_index(vm: &mut Vm, seq: &Value, x: &Value, start: usize, stop: usize) -> PyResult<Option<usize>> {
    let mut i = start;
    loop {
        let v = match seq.obj() {
            Some(Object::List(l)) => l.get(i),
            Some(Object::Tuple(t)) => t.items().get(i).cloned(),
            _ => None,
        };
        let Some(v) = v else { return Ok(None) };
        if i >= stop {
            return Ok(None);
        }
        if vm.eq(&v, x)? {
            return Ok(Some(i));
        }
        i += 1;
    }
}

fn remove(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let x = arg(vm, &args, 1, "remove")?;
    let seq = args.pos[0].clone();
    loop {
        match find_index(vm, &seq, &x, 0, usize::MAX)? {
            Some(i) => {
                let l = this_list(vm, &args, "remove")?;
                let mut g = l.lock();
                // Another thread may have changed the list since the comparison.
                if i < g.len() && g[i].fast_eq(&x) != Some(false) {
                    let old = g.remove(i);
                    drop(g);
                    drop(old);
                    return Ok(Value::None);
                }
            }
            None => return Err(vm.value_error("list.remove(x): x not in list")),
        }
    }
}

fn index(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let x = arg(vm, &args, 1, "index")?;
    let seq = args.pos[0].clone();
    let n = items_of(&seq).len() as i64;
    let norm = |i: i64| {
        if i < 0 {
            (i + n).max(0) as usize
        } else {
            i as usize
        }
    };
    let start = match args.pos.get(2) {
        Some(s) => norm(vm.index_value(s)?),
        None => 0,
    };
    let stop = match args.pos.get(3) {
        Some(s) => norm(vm.index_value(s)?),
        None => usize::MAX,
    };
    match find_index(vm, &seq, &x, start, stop)? {
        Some(i) => Ok(Value::Int(i as i64)),
        None => {
            let msg = if matches!(seq.obj(), Some(Object::Tuple(_))) {
                "tuple.index(x): x not in tuple".to_string()
            } else {
                format!("{} is not in list", vm.repr_of(&x)?)
            };
            Err(vm.value_error(&msg))
        }
    }
}

fn count(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let x = arg(vm, &args, 1, "count")?;
    let mut n = 0;
    for v in items_of(&args.pos[0]) {
        if vm.eq(&v, &x)? {
            n += 1;
        }
    }
    Ok(Value::Int(n))
}

fn clear(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let l = this_list(vm, &args, "clear")?;
    l.replace_all(Vec::new());
    Ok(Value::None)
}

fn copy(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let l = this_list(vm, &args, "copy")?;
    Ok(Value::list(l.snapshot()))
}

fn reverse(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let l = this_list(vm, &args, "reverse")?;
    l.lock().reverse();
    Ok(Value::None)
}

fn sort(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let key = args.take_kw("key").filter(|k| !k.is_none());
    let reverse = match args.take_kw("reverse") {
        Some(r) => vm.truthy(&r)?,
        None => false,
    };
    if args.pos.len() > 1 {
        return Err(vm.type_error("sort() takes no positional arguments"));
    }
    let items = this_list(vm, &args, "sort")?.snapshot();
    let sorted = functions::sort_values(vm, items, key, reverse)?;
    this_list(vm, &args, "sort")?.replace_all(sorted);
    Ok(Value::None)
}

pub fn dunder_len(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let v = arg(vm, &args, 0, "__len__")?;
    Ok(Value::Int(functions::len_of(vm, &v)? as i64))
}

pub(crate) fn dunder_getitem(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let v = arg(vm, &args, 0, "__getitem__")?;
    let k = arg(vm, &args, 1, "__getitem__")?;
    vm.get_item(&v, &k)
}

pub(crate) fn dunder_setitem(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let v = arg(vm, &args, 0, "__setitem__")?;
    let k = arg(vm, &args, 1, "__setitem__")?;
    let x = arg(vm, &args, 2, "__setitem__")?;
    vm.set_item(&v, k, x)?;
    Ok(Value::None)
}

pub(crate) fn dunder_contains(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let v = arg(vm, &args, 0, "__contains__")?;
    let k = arg(vm, &args, 1, "__contains__")?;
    Ok(Value::Bool(vm.contains(&v, &k)?))
}

pub(crate) fn dunder_iter(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let v = arg(vm, &args, 0, "__iter__")?;
    vm.get_iter(&v)
}

pub(crate) fn dunder_delitem(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let v = arg(vm, &args, 0, "__delitem__")?;
    let k = arg(vm, &args, 1, "__delitem__")?;
    vm.del_item(&v, &k)?;
    Ok(Value::None)
}
