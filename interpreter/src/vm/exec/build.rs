//! Building values: tuples, lists, sets, dicts, f-strings (BuildString writes int
//! fields itself), and the comprehension and display helpers (ListAppend, SetAdd,
//! MapAdd, ListExtend, SetUpdate, DictUpdate/DictMerge, ListToTuple).

use crate::bytecode::Instr;
use crate::value::{Object, Value};
use crate::vm::frame::Frame;
use crate::vm::{PyResult, Vm};

impl Vm {
    /// `Instr::BuildTuple(n)`
    #[inline(always)]
    pub(in crate::vm) fn op_build_tuple(&mut self, frame: &mut Box<Frame>, n: u32) -> PyResult<()> {
        let at = frame.values.len() - n as usize;
        let items: Vec<Value> = frame.values.drain(at..).collect();
        frame.push(Value::tuple(items));
        Ok(())
    }

    /// `Instr::BuildList(n)`
    #[inline(always)]
    pub(in crate::vm) fn op_build_list(&mut self, frame: &mut Box<Frame>, n: u32) -> PyResult<()> {
        let at = frame.values.len() - n as usize;
        let items: Vec<Value> = frame.values.drain(at..).collect();
        frame.push(Value::list(items));
        Ok(())
    }

    /// `Instr::BuildSet(n)`
    #[inline(always)]
    pub(in crate::vm) fn op_build_set(&mut self, frame: &mut Box<Frame>, n: u32) -> PyResult<()> {
        let at = frame.values.len() - n as usize;
        let items: Vec<Value> = frame.values.drain(at..).collect();
        let s = self.new_set(items, false)?;
        frame.push(s);
        Ok(())
    }

    /// `Instr::BuildMap(n)`
    #[inline(always)]
    pub(in crate::vm) fn op_build_map(&mut self, frame: &mut Box<Frame>, n: u32) -> PyResult<()> {
        let at = frame.values.len() - 2 * n as usize;
        let items: Vec<Value> = frame.values.drain(at..).collect();
        let d = crate::value::Value::new(Object::Dict(crate::value::dict::DictObj::new(
            crate::value::dict::DictData::with_capacity(n as usize),
        )));
        let mut it = items.into_iter();
        while let (Some(k), Some(v)) = (it.next(), it.next()) {
            self.dict_set(&d, k, v)?;
        }
        frame.push(d);
        Ok(())
    }

    /// `Instr::BuildString(n)`
    #[inline(always)]
    pub(in crate::vm) fn op_build_string(&mut self, frame: &mut Box<Frame>, n: u32) -> PyResult<()> {
        let at = frame.values.len() - n as usize;
        // The text is built in a buffer kept by the VM and copied once
        // into the new str (inline when short).
        let mut s = std::mem::take(&mut self.text_buf);
        s.clear();
        for v in frame.values.drain(at..) {
            match &v {
                Value::Int(i) => push_decimal(&mut s, *i),
                _ => {
                    if let Some(t) = v.as_str() {
                        s.push_str(t.as_str());
                    }
                }
            }
        }
        frame.push(Value::str(&s));
        if s.capacity() <= 4096 {
            self.text_buf = s;
        }
        Ok(())
    }

    /// `Instr::FormatValue(flags)`
    #[inline(always)]
    pub(in crate::vm) fn op_format_value(&mut self, frame: &mut Box<Frame>, flags: u32) -> PyResult<()> {
        let spec = if flags & 4 != 0 { Some(frame.pop()) } else { None };
        let v = frame.pop();
        self.caller = &**frame;
        let s = self.format_value(v, flags & 3, spec)?;
        frame.push(s);
        Ok(())
    }

    /// `Instr::ListAppend(d)`
    #[inline(always)]
    pub(in crate::vm) fn op_list_append(&mut self, frame: &mut Box<Frame>, d: u32) -> PyResult<()> {
        let v = frame.pop();
        let target = frame.peek(d as usize - 1).clone();
        if let Some(l) = target.as_list() {
            l.push(v);
        }
        Ok(())
    }

    /// `Instr::SetAdd(d)`
    #[inline(always)]
    pub(in crate::vm) fn op_set_add(&mut self, frame: &mut Box<Frame>, d: u32) -> PyResult<()> {
        let v = frame.pop();
        let target = frame.peek(d as usize - 1).clone();
        self.set_add(&target, v)?;
        Ok(())
    }

    /// `Instr::MapAdd(d)`
    #[inline(always)]
    pub(in crate::vm) fn op_map_add(&mut self, frame: &mut Box<Frame>, d: u32) -> PyResult<()> {
        let v = frame.pop();
        let k = frame.pop();
        let target = frame.peek(d as usize - 1).clone();
        self.dict_set(&target, k, v)?;
        Ok(())
    }

    /// `Instr::ListExtend(d)`
    #[inline(always)]
    pub(in crate::vm) fn op_list_extend(&mut self, frame: &mut Box<Frame>, d: u32) -> PyResult<()> {
        let src = frame.pop();
        let target = frame.peek(d as usize - 1).clone();
        self.caller = &**frame;
        if !self.is_iterable(&src) {
            let msg = format!("Value after * must be an iterable, not {}", self.type_name(&src));
            return Err(self.type_error(&msg));
        }
        let items = self.collect(&src)?;
        if let Some(l) = target.as_list() {
            l.lock().extend(items);
        }
        Ok(())
    }

    /// `Instr::SetUpdate(d)`
    #[inline(always)]
    pub(in crate::vm) fn op_set_update(&mut self, frame: &mut Box<Frame>, d: u32) -> PyResult<()> {
        let src = frame.pop();
        let target = frame.peek(d as usize - 1).clone();
        self.caller = &**frame;
        // A set copied into a new empty one keeps CPython's `set_merge`
        // layout (a constant display is built this way, see the compiler).
        if let (Some(Object::Set(t)), Some(Object::Set(src_set))) = (target.obj(), src.obj()) {
            let data = src_set.lock().clone();
            let mut tg = t.lock();
            if tg.is_empty() {
                tg.merge_from(&data);
                return Ok(());
            }
        }
        let items = self.collect(&src)?;
        for v in items {
            self.set_add(&target, v)?;
        }
        Ok(())
    }

    /// `Instr::DictUpdate(d) | Instr::DictMerge(d)`
    #[inline(always)]
    pub(in crate::vm) fn op_dict_update_or_merge(
        &mut self,
        frame: &mut Box<Frame>,
        instr: Instr,
        d: u32,
    ) -> PyResult<()> {
        let src = frame.pop();
        let target = frame.peek(d as usize - 1).clone();
        let merge = matches!(instr, Instr::DictMerge(_));
        self.caller = &**frame;
        // `{**x}` and `f(**x)` need a mapping (something with keys()); in a
        // call the messages name the function, which sits below the
        // positional tuple and the keyword dict.
        let mapping = matches!(src.obj(), Some(Object::Dict(_)))
            || self.get_attr_opt(&src, &crate::value::str::intern("keys"))?.is_some();
        if !mapping {
            let msg = if merge {
                let f = frame.peek(d as usize + 1).clone();
                format!("{} argument after ** must be a mapping, not {}", self.function_str(&f), self.type_name(&src))
            } else {
                format!("'{}' object is not a mapping", self.type_name(&src))
            };
            return Err(self.type_error(&msg));
        }
        if let Err(e) = self.dict_update_from(&target, &src, merge) {
            let text = self.exc_message(&e.exc);
            if merge && text.starts_with("got multiple values") {
                let f = frame.peek(d as usize + 1).clone();
                let msg = format!("{} {}", self.function_str(&f), text);
                return Err(self.type_error(&msg));
            }
            return Err(e);
        }
        Ok(())
    }

    /// `Instr::ListToTuple`
    #[inline(always)]
    pub(in crate::vm) fn op_list_to_tuple(&mut self, frame: &mut Box<Frame>) -> PyResult<()> {
        let l = frame.pop();
        let items = l.as_list().map(|l| l.snapshot()).unwrap_or_default();
        frame.push(Value::tuple(items));
        Ok(())
    }
}

/// Appends `i` in decimal (as `str(i)`).
#[inline]
fn push_decimal(s: &mut String, i: i64) {
    let mut buf = [0u8; 20];
    let mut n = i.unsigned_abs();
    let mut pos = buf.len();
    loop {
        pos -= 1;
        buf[pos] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if i < 0 {
        s.push('-');
    }
    // ASCII digits only.
    s.push_str(std::str::from_utf8(&buf[pos..]).unwrap_or_default());
}
