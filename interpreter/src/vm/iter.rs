//! The iteration protocol: `iter()`, `next()` without exceptions on the hot path
//! (`Ok(None)` means exhausted), unpacking, and driving iterators for `yield from`.

use super::{Args, PyResult, Vm};
use crate::native::Exc;
use crate::value::generator::GenKind;
use crate::value::iter::IterObj;
use crate::value::{Object, Value};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};

impl Vm {
    /// `iter(v)`.
    pub fn get_iter(&mut self, v: &Value) -> PyResult<Value> {
        if let Value::Obj(o) = v {
            let it = match &**o {
                Object::List(_) | Object::Tuple(_) | Object::Str(_) | Object::Bytes(_) | Object::ByteArray(_) => {
                    IterObj::seq(v.clone())
                }
                Object::Range(r) => IterObj::Range { next: AtomicI64::new(r.start), stop: r.stop, step: r.step },
                Object::BigRange(r) => IterObj::BigRange {
                    state: crate::value::spin::SpinLock::new((r.start.clone(), r.len.clone())),
                    step: r.step.clone(),
                },
                Object::Dict(d) => IterObj::Dict { dict: v.clone(), pos: AtomicUsize::new(0), what: 0, len: d.len() },
                Object::Set(s) => IterObj::Set {
                    set: v.clone(),
                    pos: AtomicUsize::new(0),
                    version: std::sync::atomic::AtomicU64::new(s.lock().version()),
                },
                Object::Iter(_) => return Ok(v.clone()),
                Object::Generator(g) if g.kind == GenKind::Generator => return Ok(v.clone()),
                Object::Generator(_) => {
                    let msg = format!("'{}' object is not iterable", self.type_name(v));
                    return Err(self.type_error(&msg));
                }
                Object::Instance(_) | Object::Class(_) => return self.user_iter(v),
                _ => return self.user_iter(v),
            };
            return Ok(Value::new(Object::Iter(it)));
        }
        let msg = format!("'{}' object is not iterable", self.type_name(v));
        Err(self.type_error(&msg))
    }

    /// Whether `iter(v)` would find a way to iterate (without calling anything), for
    /// the messages that name the unpacking site (`argument after * must be an
    /// iterable`).
    pub(crate) fn is_iterable(&mut self, v: &Value) -> bool {
        match v.obj() {
            None => false,
            Some(
                Object::List(_)
                | Object::Tuple(_)
                | Object::Str(_)
                | Object::Bytes(_)
                | Object::ByteArray(_)
                | Object::Range(_)
                | Object::BigRange(_)
                | Object::Dict(_)
                | Object::Set(_)
                | Object::Iter(_),
            ) => true,
            Some(Object::Generator(g)) => g.kind == GenKind::Generator,
            Some(_) => {
                let cls = self.class_of(v);
                let names = crate::interp::names();
                matches!(self.lookup_type_attr(&cls, &names.__iter__), Some(f) if !f.is_none())
                    || self.lookup_type_attr(&cls, &names.__getitem__).is_some()
            }
        }
    }

    fn user_iter(&mut self, v: &Value) -> PyResult<Value> {
        let cls = self.class_of(v);
        let names = crate::interp::names();
        let f = self.lookup_type_attr(&cls, &names.__iter__);
        if let (false, Some(base)) = (super::ops::overrides(&f), v.base_value()) {
            // Like CPython's list/dict iterators, this reads the base value directly
            // (an overridden __getitem__ is not used).
            return self.get_iter(base);
        }
        if let Some(f) = f {
            if f.is_none() {
                let msg = format!("'{}' object is not iterable", self.type_name(v));
                return Err(self.type_error(&msg));
            }
            let it = self.call(&f, Args::new([v.clone()]))?;
            let icls = self.class_of(&it);
            if !matches!(it.obj(), Some(Object::Iter(_)) | Some(Object::Generator(_)))
                && self.lookup_type_attr(&icls, &names.__next__).is_none()
            {
                let msg = format!("iter() returned non-iterator of type '{}'", self.type_name(&it));
                return Err(self.type_error(&msg));
            }
            return Ok(it);
        }
        if self.lookup_type_attr(&cls, &names.__getitem__).is_some() {
            // The old sequence protocol: __getitem__ with 0, 1, 2, ... until IndexError.
            let getitem = self.lookup_type_attr(&cls, &names.__getitem__).unwrap();
            let f = crate::vm::attr::bound(getitem, v.clone());
            // map(adapter bound to obj.__getitem__, count()): the adapter ends the
            // iteration at IndexError.
            let adapter = crate::vm::attr::bound(crate::interp::seq_getitem_adapter(), f);
            let counter = Value::new(Object::Iter(IterObj::Range { next: AtomicI64::new(0), stop: i64::MAX, step: 1 }));
            return Ok(Value::new(Object::Iter(IterObj::Map { func: adapter, iters: vec![counter] })));
        }
        let msg = format!("'{}' object is not iterable", self.type_name(v));
        Err(self.type_error(&msg))
    }

    /// One step of a dict iterator: `f` of the next live entry, read under the
    /// dict's lock; RuntimeError if the dict changed size since the iterator began.
    pub(crate) fn dict_iter_step<R>(
        &mut self,
        dict: &Value,
        pos: &std::sync::atomic::AtomicUsize,
        len: usize,
        f: impl FnOnce(&crate::value::dict::Entry) -> R,
    ) -> PyResult<Option<R>> {
        let d = match dict.as_dict() {
            Some(d) => d,
            None => return Ok(None),
        };
        let g = d.lock();
        if g.len() != len {
            drop(g);
            pos.store(usize::MAX / 2, Ordering::Relaxed);
            return Err(self.error(Exc::RuntimeError, "dictionary changed size during iteration"));
        }
        let p = pos.load(Ordering::Relaxed);
        match g.next_from(p) {
            Some((i, e)) => {
                pos.store(i + 1, Ordering::Relaxed);
                Ok(Some(f(e)))
            }
            None => {
                pos.store(usize::MAX / 2, Ordering::Relaxed);
                Ok(None)
            }
        }
    }

    /// `next(it)`; `Ok(None)` when the iterator is exhausted.
    pub fn iter_next(&mut self, it: &Value) -> PyResult<Option<Value>> {
        let o = match it {
            Value::Obj(o) => o,
            _ => {
                let msg = format!("'{}' object is not an iterator", self.type_name(it));
                return Err(self.type_error(&msg));
            }
        };
        match &**o {
            Object::Iter(i) => self.native_next(i),
            Object::Generator(g) if g.kind == GenKind::Generator => match self.resume_generator(o, Value::None)? {
                super::gen::GenStep::Yield(v) => Ok(Some(v)),
                super::gen::GenStep::Return(_) => Ok(None),
            },
            _ => {
                let cls = self.class_of(it);
                match self.lookup_type_attr(&cls, &crate::interp::names().__next__) {
                    Some(f) => match self.call(&f, Args::new([it.clone()])) {
                        Ok(v) => Ok(Some(v)),
                        Err(e) => {
                            if self.is_stop_iteration(&e.exc) {
                                Ok(None)
                            } else {
                                Err(e)
                            }
                        }
                    },
                    None => {
                        let msg = format!("'{}' object is not an iterator", self.type_name(it));
                        Err(self.type_error(&msg))
                    }
                }
            }
        }
    }

    pub fn is_stop_iteration(&self, exc: &Value) -> bool {
        let stop = Exc::StopIteration.class().clone();
        crate::value::class::is_subclass(&self.class_of(exc), &stop)
    }

    fn native_next(&mut self, i: &IterObj) -> PyResult<Option<Value>> {
        match i {
            IterObj::Seq { seq, index } => {
                let k = IterObj::bump(index);
                Ok(match seq.obj() {
                    Some(Object::List(l)) => l.get(k),
                    Some(Object::Tuple(t)) => t.items().get(k).cloned(),
                    Some(Object::Str(s)) => {
                        if k < s.char_len() {
                            Some(crate::builtins::str_char(s, k))
                        } else {
                            None
                        }
                    }
                    Some(Object::Bytes(b)) => b.get(k).map(|&x| Value::Int(x as i64)),
                    Some(Object::ByteArray(b)) => b.lock().get(k).map(|&x| Value::Int(x as i64)),
                    _ => None,
                })
            }
            IterObj::Reversed { seq, index } => {
                let k = index.fetch_sub(1, Ordering::Relaxed);
                if k == 0 || k == usize::MAX {
                    index.store(0, Ordering::Relaxed);
                    return Ok(None);
                }
                Ok(match seq.obj() {
                    Some(Object::List(l)) => l.get(k - 1),
                    Some(Object::Tuple(t)) => t.items().get(k - 1).cloned(),
                    Some(Object::Str(s)) => {
                        if k - 1 < s.char_len() {
                            Some(crate::builtins::str_char(s, k - 1))
                        } else {
                            None
                        }
                    }
                    Some(Object::Range(r)) => Some(Value::Int(r.get(k as i64 - 1))),
                    _ => None,
                })
            }
            IterObj::BigRange { state, step } => {
                use num_traits::{One, Signed};
                let mut g = state.lock();
                if !g.1.is_positive() {
                    return Ok(None);
                }
                let cur = g.0.clone();
                g.0 += step;
                g.1 -= num_bigint::BigInt::one();
                drop(g);
                Ok(Some(crate::value::int::normalize(cur)))
            }
            IterObj::Range { next, stop, step } => {
                let cur = next.fetch_add(*step, Ordering::Relaxed);
                if (*step > 0 && cur < *stop) || (*step < 0 && cur > *stop) {
                    Ok(Some(Value::Int(cur)))
                } else {
                    next.store(*stop, Ordering::Relaxed);
                    Ok(None)
                }
            }
            IterObj::Dict { dict, pos, what, len } => self.dict_iter_step(dict, pos, *len, |e| match what {
                0 => e.key.clone(),
                1 => e.value.clone(),
                _ => Value::tuple(vec![e.key.clone(), e.value.clone()]),
            }),
            IterObj::Set { set, pos, version } => {
                let s = match set.obj() {
                    Some(Object::Set(s)) => s,
                    _ => return Ok(None),
                };
                let g = s.lock();
                if g.version() != version.load(Ordering::Relaxed) && pos.load(Ordering::Relaxed) < usize::MAX / 2 {
                    drop(g);
                    pos.store(usize::MAX / 2, Ordering::Relaxed);
                    return Err(self.error(Exc::RuntimeError, "Set changed size during iteration"));
                }
                match g.next_from(pos.load(Ordering::Relaxed)) {
                    Some((i, e)) => {
                        pos.store(i + 1, Ordering::Relaxed);
                        Ok(Some(e.key.clone()))
                    }
                    None => {
                        pos.store(usize::MAX / 2, Ordering::Relaxed);
                        Ok(None)
                    }
                }
            }
            IterObj::Enumerate { inner, count } => match self.iter_next(inner)? {
                Some(v) => {
                    let n = count.fetch_add(1, Ordering::Relaxed);
                    Ok(Some(Value::tuple(vec![Value::Int(n), v])))
                }
                None => Ok(None),
            },
            IterObj::Zip { iters, strict } => {
                let mut out = Vec::with_capacity(iters.len());
                for (k, it) in iters.iter().enumerate() {
                    match self.iter_next(it)? {
                        Some(v) => out.push(v),
                        None => {
                            if *strict && (k > 0 || self.any_left(&iters[1..])?) {
                                let msg = if k > 0 {
                                    format!(
                                        "zip() argument {} is shorter than argument{} 1{}",
                                        k + 1,
                                        if k > 1 { "s" } else { "" },
                                        if k > 1 { format!("-{k}") } else { String::new() }
                                    )
                                } else {
                                    "zip() argument 2 is longer than argument 1".to_string()
                                };
                                return Err(self.value_error(&msg));
                            }
                            return Ok(None);
                        }
                    }
                }
                if iters.is_empty() {
                    return Ok(None);
                }
                Ok(Some(Value::tuple(out)))
            }
            IterObj::Map { func, iters } => {
                let mut args = Args::default();
                for it in iters {
                    match self.iter_next(it)? {
                        Some(v) => args.pos.push(v),
                        None => return Ok(None),
                    }
                }
                // The `__getitem__` protocol's adapter ends the iteration with
                // StopIteration (from IndexError).
                match self.call(func, args) {
                    Ok(v) => Ok(Some(v)),
                    Err(e) if self.is_stop_iteration(&e.exc) => Ok(None),
                    Err(e) => Err(e),
                }
            }
            IterObj::Filter { func, inner } => loop {
                let v = match self.iter_next(inner)? {
                    Some(v) => v,
                    None => return Ok(None),
                };
                let keep = if func.is_none() {
                    self.truthy(&v)?
                } else {
                    let r = self.call(func, Args::new([v.clone()]))?;
                    self.truthy(&r)?
                };
                if keep {
                    return Ok(Some(v));
                }
            },
            IterObj::Callable { func, sentinel, done } => {
                if done.load(Ordering::Relaxed) {
                    return Ok(None);
                }
                let v = self.call(func, Args::default())?;
                if self.eq(&v, sentinel)? {
                    done.store(true, Ordering::Relaxed);
                    return Ok(None);
                }
                Ok(Some(v))
            }
        }
    }

    fn any_left(&mut self, iters: &[Value]) -> PyResult<bool> {
        for it in iters {
            if self.iter_next(it)?.is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// All items of an iterable.
    pub fn collect(&mut self, v: &Value) -> PyResult<Vec<Value>> {
        match v.obj() {
            Some(Object::List(l)) => return Ok(l.snapshot()),
            Some(Object::Tuple(t)) => return Ok(t.items().to_vec()),
            _ => {}
        }
        let it = self.get_iter(v)?;
        let mut out = Vec::new();
        while let Some(x) = self.iter_next(&it)? {
            out.push(x);
        }
        Ok(out)
    }

    /// [`Vm::collect`] for `list(x)` and `tuple(x)`, which size their result from the
    /// length first as CPython does: a range too long to hold is refused at once
    /// (OverflowError past `sys.maxsize`, MemoryError past the machine) instead of
    /// being stepped through until memory runs out.
    pub fn collect_sized(&mut self, v: &Value) -> PyResult<Vec<Value>> {
        match v.obj() {
            Some(Object::Range(r)) => {
                let n = r.len() as usize;
                self.check_alloc(n, std::mem::size_of::<Value>())?;
                Ok((0..n as i64).map(|i| Value::Int(r.get(i))).collect())
            }
            Some(Object::BigRange(r)) => match num_traits::ToPrimitive::to_i64(&r.len) {
                Some(n) => {
                    self.check_alloc(n as usize, std::mem::size_of::<Value>())?;
                    self.collect(v)
                }
                None => Err(self.error(Exc::OverflowError, "Python int too large to convert to C ssize_t")),
            },
            _ => self.collect(v),
        }
    }

    /// `a, b = seq`: exactly `n` items.
    pub(crate) fn unpack(&mut self, seq: &Value, n: usize) -> PyResult<Vec<Value>> {
        let items = match seq.obj() {
            Some(Object::Tuple(t)) => t.items().to_vec(),
            Some(Object::List(l)) => l.snapshot(),
            _ => {
                let it = match self.get_iter(seq) {
                    Ok(it) => it,
                    Err(_) => {
                        let msg = format!("cannot unpack non-iterable {} object", self.type_name(seq));
                        return Err(self.type_error(&msg));
                    }
                };
                let mut out = Vec::with_capacity(n);
                while let Some(x) = self.iter_next(&it)? {
                    out.push(x);
                    if out.len() > n {
                        let msg = format!("too many values to unpack (expected {n})");
                        return Err(self.value_error(&msg));
                    }
                }
                out
            }
        };
        if items.len() < n {
            let msg = format!("not enough values to unpack (expected {}, got {})", n, items.len());
            return Err(self.value_error(&msg));
        }
        if items.len() > n {
            let msg = format!("too many values to unpack (expected {n})");
            return Err(self.value_error(&msg));
        }
        Ok(items)
    }

    /// `a, *b, c = seq`: `before` items, a list of the middle, `after` items.
    pub(crate) fn unpack_ex(&mut self, seq: &Value, before: usize, after: usize) -> PyResult<Vec<Value>> {
        let items = match self.collect(seq) {
            Ok(v) => v,
            Err(_) => {
                let msg = format!("cannot unpack non-iterable {} object", self.type_name(seq));
                return Err(self.type_error(&msg));
            }
        };
        if items.len() < before + after {
            let msg =
                format!("not enough values to unpack (expected at least {}, got {})", before + after, items.len());
            return Err(self.value_error(&msg));
        }
        let mut out = Vec::with_capacity(before + after + 1);
        out.extend(items[..before].iter().cloned());
        out.push(Value::list(items[before..items.len() - after].to_vec()));
        out.extend(items[items.len() - after..].iter().cloned());
        Ok(out)
    }

    /// One step of `yield from` over a non-generator: Ok(Ok(y)) when it yields y,
    /// Ok(Err(r)) when it finished with value r.
    pub(crate) fn send_to_iter(&mut self, it: &Value, sent: Value) -> PyResult<Result<Value, Value>> {
        let r = if sent.is_none() {
            let native = matches!(it.obj(), Some(Object::Iter(_)) | Some(Object::Generator(_)));
            let cls = self.class_of(it);
            match self.lookup_type_attr(&cls, &crate::interp::names().__next__) {
                // A script's `__next__` may end with StopIteration(value): the value
                // is the result of the `yield from` (or `await`).
                Some(f) if !native => self.call(&f, Args::new([it.clone()])),
                _ => match self.iter_next(it) {
                    Ok(Some(v)) => return Ok(Ok(v)),
                    Ok(None) => return Ok(Err(Value::None)),
                    Err(e) => Err(e),
                },
            }
        } else {
            let send = crate::value::str::intern("send");
            let f = self.get_attr(it, &send)?;
            self.call(&f, Args::new([sent]))
        };
        self.yielded_or_returned(r)
    }

    /// The outcome of calling `send`/`throw` on an iterator: Ok(Ok(y)) when it
    /// yielded y, Ok(Err(r)) when it finished (StopIteration carrying r).
    pub(crate) fn yielded_or_returned(&mut self, r: PyResult<Value>) -> PyResult<Result<Value, Value>> {
        match r {
            Ok(v) => Ok(Ok(v)),
            Err(e) if self.is_stop_iteration(&e.exc) => {
                let v = self.stop_iteration_value(&e.exc);
                Ok(Err(v))
            }
            Err(e) => Err(e),
        }
    }

    /// `StopIteration.value`.
    pub fn stop_iteration_value(&mut self, exc: &Value) -> Value {
        let name = crate::value::str::intern("value");
        self.get_attr(exc, &name).unwrap_or(Value::None)
    }

    /// `await x`: a coroutine is awaited directly; other objects need `__await__`,
    /// which must return an iterator (a coroutine's wrapper gives its coroutine
    /// back, so the loop resumes it in place). `site` names what produced `x` for
    /// the messages: 0 an `await`, 1 `__aenter__`, 2 `__aexit__`.
    pub(crate) fn get_awaitable(&mut self, v: Value, site: u32) -> PyResult<Value> {
        if let Some(Object::Generator(g)) = v.obj() {
            if g.kind == GenKind::Coroutine {
                return Ok(v);
            }
        }
        let cls = self.class_of(&v);
        let f = match self.lookup_type_attr(&cls, &crate::interp::names().__await__) {
            Some(f) if !f.is_none() => f,
            _ => {
                let t = self.type_name(&v);
                let msg = match site {
                    1 => format!(
                        "'async with' received an object from __aenter__ that does not implement __await__: {t}"
                    ),
                    2 => {
                        format!("'async with' received an object from __aexit__ that does not implement __await__: {t}")
                    }
                    _ => format!("object {t} can't be used in 'await' expression"),
                };
                return Err(self.type_error(&msg));
            }
        };
        let it = self.call(&f, Args::new([v]))?;
        if let Some(Object::Generator(g)) = it.obj() {
            return match g.kind {
                GenKind::Generator => Ok(it),
                GenKind::Coroutine => Err(self.type_error("__await__() returned a coroutine")),
                GenKind::AsyncGenerator => {
                    Err(self.type_error("__await__() returned non-iterator of type 'async_generator'"))
                }
            };
        }
        if let Some(coro) = crate::builtins::async_gen::wrapped_coroutine(&it) {
            return Ok(coro);
        }
        let icls = self.class_of(&it);
        if !matches!(it.obj(), Some(Object::Iter(_)))
            && self.lookup_type_attr(&icls, &crate::interp::names().__next__).is_none()
        {
            let msg = format!("__await__() returned non-iterator of type '{}'", self.type_name(&it));
            return Err(self.type_error(&msg));
        }
        Ok(it)
    }
}

/// An iterator flag value for `iter(callable, sentinel)`.
pub fn callable_iter(func: Value, sentinel: Value) -> Value {
    Value::new(Object::Iter(IterObj::Callable { func, sentinel, done: AtomicBool::new(false) }))
}
