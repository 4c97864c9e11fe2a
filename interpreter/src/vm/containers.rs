//! Dict and set operations that may need script code (`__hash__`, `__eq__` of keys):
//! the hash is computed before locking, and candidates whose equality needs `__eq__`
//! are compared with the lock released, retrying if the container changed meanwhile.

use super::{PyResult, Vm};
use crate::operator::{BinOp, CmpOp};
use crate::value::dict::{DictData, DictObj, Probe};
use crate::value::set::{SetData, SetObj, SetProbe};
use crate::value::{Object, Value};

impl Vm {
    /// Finds `key` in a dict: Some(raw position) if present. Runs `__eq__` unlocked.
    fn dict_find(&mut self, d: &DictObj, hash: i64, key: &Value) -> PyResult<Option<(usize, u64)>> {
        loop {
            let (unsure, version) = {
                let g = d.lock();
                match g.probe(hash, key) {
                    Probe::Found(i) => return Ok(Some((i, g.version()))),
                    Probe::Missing => return Ok(None),
                    Probe::Unsure(c) => {
                        let keys: Vec<(usize, Value)> = c.into_iter().map(|i| (i, g.entry(i).key.clone())).collect();
                        (keys, g.version())
                    }
                }
            };
            let mut found = None;
            for (i, k) in unsure {
                let r = self.compare(&k, key, CmpOp::Eq)?;
                if self.truthy(&r)? {
                    found = Some(i);
                    break;
                }
            }
            let g = d.lock();
            if g.version() != version {
                continue;
            }
            return Ok(found.map(|i| (i, version)));
        }
    }

    /// `d.get(key)` for a dict value.
    pub fn dict_get(&mut self, dict: &Value, key: &Value) -> PyResult<Option<Value>> {
        let d = match dict.as_dict() {
            Some(d) => d,
            None => return Ok(None),
        };
        let hash = self.hash(key)?;
        // Fast path: keys that compare without script code.
        {
            let g = d.lock();
            match g.probe(hash, key) {
                Probe::Found(i) => return Ok(Some(g.entry(i).value.clone())),
                Probe::Missing => return Ok(None),
                Probe::Unsure(_) => {}
            }
        }
        match self.dict_find(d, hash, key)? {
            Some((i, version)) => {
                let g = d.lock();
                if g.version() == version {
                    return Ok(Some(g.entry(i).value.clone()));
                }
                drop(g);
                self.dict_get(dict, key)
            }
            None => Ok(None),
        }
    }

    /// `d[key] = v` for a dict value.
    pub fn dict_set(&mut self, dict: &Value, key: Value, v: Value) -> PyResult<()> {
        let d = match dict.as_dict() {
            Some(d) => d,
            None => return Err(self.type_error("not a dict")),
        };
        let hash = self.hash(&key)?;
        {
            let mut g = d.lock();
            match g.probe(hash, &key) {
                Probe::Found(i) => {
                    let old = std::mem::replace(g.value_mut(i), v);
                    drop(g);
                    drop(old);
                    return Ok(());
                }
                Probe::Missing => {
                    g.insert_new(hash, key, v);
                    return Ok(());
                }
                Probe::Unsure(_) => {}
            }
        }
        loop {
            let found = self.dict_find(d, hash, &key)?;
            let mut g = d.lock();
            match found {
                Some((i, version)) if g.version() == version => {
                    let old = std::mem::replace(g.value_mut(i), v);
                    drop(g);
                    drop(old);
                    return Ok(());
                }
                None => {
                    g.insert_new(hash, key, v);
                    return Ok(());
                }
                _ => continue,
            }
        }
    }

    /// Removes `key` from a dict, returning its value.
    pub fn dict_remove(&mut self, dict: &Value, key: &Value) -> PyResult<Option<Value>> {
        let d = match dict.as_dict() {
            Some(d) => d,
            None => return Ok(None),
        };
        let hash = self.hash(key)?;
        loop {
            let found = self.dict_find(d, hash, key)?;
            let mut g = d.lock();
            match found {
                Some((i, version)) if g.version() == version => {
                    let (k, v) = g.remove_at(i);
                    drop(g);
                    drop(k);
                    return Ok(Some(v));
                }
                None => return Ok(None),
                _ => continue,
            }
        }
    }

    /// A new dict value with the same items.
    pub fn dict_copy(&mut self, dict: &Value) -> PyResult<Value> {
        let items = match dict.as_dict() {
            Some(d) => d.lock().entries_snapshot(),
            None => Vec::new(),
        };
        let mut data = DictData::with_capacity(items.len());
        for (h, k, v) in items {
            data.insert_new(h, k, v);
        }
        Ok(Value::new(Object::Dict(DictObj::new(data))))
    }

    /// `target.update(src)` (`merge`: a repeated key is an error, for `f(**a, **b)`).
    pub fn dict_update_from(&mut self, target: &Value, src: &Value, merge: bool) -> PyResult<()> {
        // An instance of a class derived from dict that keeps dict's iteration is
        // read directly, as CPython's dict_merge does (its __getitem__ is not used).
        let direct = match src.base_value() {
            Some(b @ Value::Obj(_)) if b.as_dict().is_some() => {
                let cls = self.class_of(src);
                let it = self.lookup_type_attr(&cls, &crate::interp::names().__iter__);
                (!super::ops::overrides(&it)).then(|| b.clone())
            }
            _ => None,
        };
        let src = direct.as_ref().unwrap_or(src);
        let items: Vec<(Value, Value)> = match src.obj() {
            Some(Object::Dict(d)) => d.lock().items(),
            _ => {
                // Any mapping with keys(); or an iterable of pairs.
                let keys_name = crate::value::str::intern("keys");
                if let Some(keys) = self.get_attr_opt(src, &keys_name)? {
                    let ks = self.call1(&keys, [])?;
                    let ks = self.collect(&ks)?;
                    let mut out = Vec::with_capacity(ks.len());
                    for k in ks {
                        let v = self.get_item(src, &k)?;
                        out.push((k, v));
                    }
                    out
                } else {
                    if merge {
                        let msg = format!("argument after ** must be a mapping, not {}", self.type_name(src));
                        return Err(self.type_error(&msg));
                    }
                    let mut out = Vec::new();
                    for (n, pair) in self.collect(src)?.into_iter().enumerate() {
                        let kv = self.collect(&pair).map_err(|_| {
                            let msg = format!("cannot convert dictionary update sequence element #{n} to a sequence");
                            self.type_error(&msg)
                        })?;
                        if kv.len() != 2 {
                            let msg = format!(
                                "dictionary update sequence element #{n} has length {}; 2 is required",
                                kv.len()
                            );
                            return Err(self.value_error(&msg));
                        }
                        let mut it = kv.into_iter();
                        out.push((it.next().unwrap(), it.next().unwrap()));
                    }
                    out
                }
            }
        };
        for (k, v) in items {
            if merge && self.dict_get(target, &k)?.is_some() {
                let msg = match k.as_str() {
                    Some(s) => format!("got multiple values for keyword argument '{}'", s.as_str()),
                    None => "keywords must be strings".to_string(),
                };
                return Err(self.type_error(&msg));
            }
            self.dict_set(target, k, v)?;
        }
        Ok(())
    }

    pub(crate) fn dict_eq(&mut self, a: &Value, b: &Value) -> PyResult<bool> {
        let (ia, lb) = match (a.as_dict(), b.as_dict()) {
            (Some(x), Some(y)) => (x.lock().items(), y.len()),
            _ => return Ok(false),
        };
        if ia.len() != lb {
            return Ok(false);
        }
        for (k, v) in ia {
            match self.dict_get(b, &k)? {
                Some(w) => {
                    if !self.eq(&v, &w)? {
                        return Ok(false);
                    }
                }
                None => return Ok(false),
            }
        }
        Ok(true)
    }

    /// A new set (or frozenset) of `items`, added in order as CPython does.
    pub fn new_set(&mut self, items: Vec<Value>, frozen: bool) -> PyResult<Value> {
        let s = Value::new(Object::Set(SetObj::new(SetData::new(), frozen)));
        for v in items {
            self.set_add(&s, v)?;
        }
        Ok(s)
    }

    fn set_find(&mut self, s: &SetObj, hash: i64, key: &Value) -> PyResult<(Option<usize>, u64)> {
        loop {
            let (unsure, version) = {
                let g = s.lock();
                match g.probe(hash, key, false) {
                    SetProbe::Found(i) => return Ok((Some(i), g.version())),
                    SetProbe::Missing => return Ok((None, g.version())),
                    SetProbe::Unsure(c) => {
                        (c.into_iter().map(|i| (i, g.entry(i).key.clone())).collect::<Vec<_>>(), g.version())
                    }
                }
            };
            let mut found = None;
            for (i, k) in unsure {
                let r = self.compare(&k, key, CmpOp::Eq)?;
                if self.truthy(&r)? {
                    found = Some(i);
                    break;
                }
            }
            if s.lock().version() != version {
                continue;
            }
            return Ok((found, version));
        }
    }

    pub fn set_add(&mut self, set: &Value, v: Value) -> PyResult<()> {
        let s = match set.obj() {
            Some(Object::Set(s)) => s,
            _ => return Err(self.type_error("not a set")),
        };
        let hash = self.hash(&v)?;
        loop {
            let (found, version) = self.set_find(s, hash, &v)?;
            if found.is_some() {
                return Ok(());
            }
            let mut g = s.lock();
            if g.version() != version {
                continue;
            }
            g.insert_new(hash, v);
            return Ok(());
        }
    }

    pub fn set_contains(&mut self, set: &Value, v: &Value) -> PyResult<bool> {
        let s = match set.obj() {
            Some(Object::Set(s)) => s,
            _ => return Ok(false),
        };
        let hash = match self.hash(v) {
            Ok(h) => h,
            Err(e) => {
                // `[1] in {1}` is a TypeError in CPython too.
                return Err(e);
            }
        };
        Ok(self.set_find(s, hash, v)?.0.is_some())
    }

    /// Removes `v`; returns whether it was there.
    pub fn set_discard(&mut self, set: &Value, v: &Value) -> PyResult<bool> {
        let s = match set.obj() {
            Some(Object::Set(s)) => s,
            _ => return Ok(false),
        };
        let hash = self.hash(v)?;
        loop {
            let (found, version) = self.set_find(s, hash, v)?;
            let Some(i) = found else { return Ok(false) };
            let mut g = s.lock();
            if g.version() != version {
                continue;
            }
            let old = g.remove_at(i);
            drop(g);
            drop(old);
            return Ok(true);
        }
    }

    pub(crate) fn set_items(&self, v: &Value) -> Vec<Value> {
        match v.obj() {
            Some(Object::Set(s)) => s.lock().keys(),
            _ => Vec::new(),
        }
    }

    /// `a | b`, `a & b`, `a - b`, `a ^ b` on sets; the result has a's kind.
    pub(crate) fn set_binary(&mut self, a: &Value, b: &Value, op: BinOp) -> PyResult<Option<Value>> {
        let frozen = matches!(a.obj(), Some(Object::Set(s)) if s.frozen);
        let r = match op {
            BinOp::BitOr => {
                let out = self.set_copy(a, frozen);
                for v in self.set_items(b) {
                    self.set_add(&out, v)?;
                }
                out
            }
            BinOp::BitAnd => {
                let out = Value::new(Object::Set(SetObj::new(SetData::new(), frozen)));
                self.add_filtered(&out, a, b, true)?;
                out
            }
            BinOp::Sub => {
                let out = Value::new(Object::Set(SetObj::new(SetData::new(), frozen)));
                self.add_filtered(&out, a, b, false)?;
                out
            }
            BinOp::BitXor => {
                let out = Value::new(Object::Set(SetObj::new(SetData::new(), frozen)));
                self.add_filtered(&out, a, b, false)?;
                self.add_filtered(&out, b, a, false)?;
                out
            }
            _ => return Ok(None),
        };
        Ok(Some(r))
    }

    /// Adds to `out` the items of `a` that are (`in_b`) or are not in `b`.
    fn add_filtered(&mut self, out: &Value, a: &Value, b: &Value, in_b: bool) -> PyResult<()> {
        for v in self.set_items(a) {
            if self.set_contains(b, &v)? == in_b {
                self.set_add(out, v)?;
            }
        }
        Ok(())
    }

    /// A copy of a set's table (same iteration order).
    pub fn set_copy(&self, v: &Value, frozen: bool) -> Value {
        let mut data = SetData::new();
        if let Some(Object::Set(s)) = v.obj() {
            let src = s.lock().clone();
            data.merge_from(&src);
        }
        Value::new(Object::Set(SetObj::new(data, frozen)))
    }

    pub(crate) fn set_inplace(&mut self, a: &Value, b: &Value, op: BinOp) -> PyResult<Option<Value>> {
        match op {
            BinOp::BitOr => {
                for v in self.set_items(b) {
                    self.set_add(a, v)?;
                }
            }
            BinOp::BitAnd => {
                for v in self.set_items(a) {
                    if !self.set_contains(b, &v)? {
                        self.set_discard(a, &v)?;
                    }
                }
            }
            BinOp::Sub => {
                for v in self.set_items(b) {
                    self.set_discard(a, &v)?;
                }
            }
            BinOp::BitXor => {
                for v in self.set_items(b) {
                    if !self.set_discard(a, &v)? {
                        self.set_add(a, v)?;
                    }
                }
            }
            _ => return Ok(None),
        }
        Ok(Some(a.clone()))
    }

    /// Set comparisons: equality and subset/superset orders.
    pub(crate) fn set_compare(&mut self, a: &Value, b: &Value, op: CmpOp) -> PyResult<Option<bool>> {
        let la = self.set_items(a).len();
        let lb = self.set_items(b).len();
        let a_in_b = {
            let mut all = true;
            for v in self.set_items(a) {
                if !self.set_contains(b, &v)? {
                    all = false;
                    break;
                }
            }
            all
        };
        let b_in_a = {
            let mut all = true;
            for v in self.set_items(b) {
                if !self.set_contains(a, &v)? {
                    all = false;
                    break;
                }
            }
            all
        };
        Ok(Some(match op {
            CmpOp::Eq => la == lb && a_in_b,
            CmpOp::NotEq => !(la == lb && a_in_b),
            CmpOp::LtE => a_in_b,
            CmpOp::Lt => a_in_b && la < lb,
            CmpOp::GtE => b_in_a,
            CmpOp::Gt => b_in_a && la > lb,
            _ => false,
        }))
    }
}
