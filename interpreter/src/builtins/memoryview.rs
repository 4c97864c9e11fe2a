//! `memoryview`: a window on the bytes of another object without copying them: a
//! `bytes` (read-only), a `bytearray` (writable, through its lock), or memory that
//! native code exports through [`RawBuffer`] (the mapping of
//! `multiprocessing.shared_memory`, shared between processes).
//!
//! A view is one-dimensional: a start, a step in items and a length over the
//! source's bytes, with a format from `struct`'s native single-item codes (`B` by
//! default; `cast` picks another). Slicing makes a new view on the same source.
//! Unlike CPython, a bytearray that is viewed may still change size; a view then
//! sees its current contents, and an index past its end is an IndexError.

use crate::interp::types;
use crate::native::{native, Exc, NativeClass, NativePayload, Property};
use crate::value::{Object, Value};
use crate::vm::{PyResult, Vm};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Memory a native object exports to memoryviews. The memory stays valid as long as
/// the `RawBuffer` lives (a view holds it in an Arc).
pub trait RawBuffer: Send + Sync {
    /// The first byte; valid for `len()` bytes, readable and writable.
    fn ptr(&self) -> *mut u8;
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

enum Source {
    Bytes(Value),
    ByteArray(Value),
    Raw(Arc<dyn RawBuffer>),
}

pub struct MemoryViewObj {
    source: Source,
    /// The object `obj` names (what was passed to `memoryview()`).
    obj: Value,
    /// Offset of the first item in bytes, the distance between items in bytes, and
    /// the number of items.
    start: usize,
    stride: isize,
    len: usize,
    format: u8,
    readonly: bool,
    released: AtomicBool,
}

impl NativePayload for MemoryViewObj {
    const CLASS: &'static NativeClass = &MEMORYVIEW;
}

pub static MEMORYVIEW: NativeClass = NativeClass {
    name: "memoryview",
    module: "builtins",
    doc: "Create a new memoryview object which references the given object.",
    methods: &[
        &mv_new::DEF,
        &mv_len::DEF,
        &mv_getitem::DEF,
        &mv_setitem::DEF,
        &mv_iter::DEF,
        &mv_eq::DEF,
        &mv_hash::DEF,
        &mv_repr::DEF,
        &tobytes::DEF,
        &tolist::DEF,
        &hex::DEF,
        &release::DEF,
        &cast::DEF,
        &toreadonly::DEF,
        &mv_enter::DEF,
        &mv_exit::DEF,
    ],
    properties: &[
        Property { name: "obj", get: &p_obj::DEF, set: None },
        Property { name: "nbytes", get: &p_nbytes::DEF, set: None },
        Property { name: "readonly", get: &p_readonly::DEF, set: None },
        Property { name: "itemsize", get: &p_itemsize::DEF, set: None },
        Property { name: "format", get: &p_format::DEF, set: None },
        Property { name: "ndim", get: &p_ndim::DEF, set: None },
        Property { name: "shape", get: &p_shape::DEF, set: None },
        Property { name: "strides", get: &p_strides::DEF, set: None },
        Property { name: "c_contiguous", get: &p_contiguous::DEF, set: None },
        Property { name: "f_contiguous", get: &p_contiguous::DEF, set: None },
        Property { name: "contiguous", get: &p_contiguous::DEF, set: None },
    ],
    ..NativeClass::DEFAULT
};

/// The byte size of one item of a format code, for the codes views support.
fn itemsize_of(format: u8) -> Option<usize> {
    Some(match format {
        b'B' | b'b' | b'c' | b'?' => 1,
        b'h' | b'H' => 2,
        b'i' | b'I' | b'f' => 4,
        b'l' | b'L' | b'q' | b'Q' | b'd' | b'n' | b'N' | b'P' => 8,
        _ => return None,
    })
}

impl MemoryViewObj {
    fn itemsize(&self) -> usize {
        itemsize_of(self.format).unwrap_or(1)
    }

    fn check(&self, vm: &mut Vm) -> PyResult<()> {
        if self.released.load(Ordering::Acquire) {
            return Err(vm.value_error("operation forbidden on released memoryview object"));
        }
        Ok(())
    }

    /// Runs `f` on the source's whole contents.
    fn with_source<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        match &self.source {
            Source::Bytes(v) => match v.unwrap_base().obj() {
                Some(Object::Bytes(b)) => f(b),
                _ => f(&[]),
            },
            Source::ByteArray(v) => match v.unwrap_base().obj() {
                Some(Object::ByteArray(b)) => f(&b.lock()),
                _ => f(&[]),
            },
            Source::Raw(r) => {
                // SAFETY: the RawBuffer promises `len()` valid bytes at `ptr()` while it
                // lives, and this view holds it. Other processes may write the memory
                // meanwhile (shared memory is racy by nature, as in CPython).
                let s = unsafe { std::slice::from_raw_parts(r.ptr(), r.len()) };
                f(s)
            }
        }
    }

    /// Runs `f` on the source's contents for writing (never called on a read-only view).
    fn with_source_mut<R>(&self, f: impl FnOnce(&mut [u8]) -> R) -> R {
        match &self.source {
            Source::Bytes(_) => f(&mut []),
            Source::ByteArray(v) => match v.unwrap_base().obj() {
                Some(Object::ByteArray(b)) => f(&mut b.lock()),
                _ => f(&mut []),
            },
            Source::Raw(r) => {
                // SAFETY: as in `with_source`; the memory is writable by the RawBuffer's
                // contract, and no Rust reference to it outlives this call.
                let s = unsafe { std::slice::from_raw_parts_mut(r.ptr(), r.len()) };
                f(s)
            }
        }
    }

    /// Byte offset of item `i`.
    fn offset(&self, i: usize) -> usize {
        (self.start as isize + i as isize * self.stride) as usize
    }

    /// The view's bytes, item after item.
    fn to_vec(&self) -> Vec<u8> {
        let size = self.itemsize();
        self.with_source(|src| {
            let mut out = Vec::with_capacity(self.len * size);
            for i in 0..self.len {
                let at = self.offset(i);
                out.extend_from_slice(src.get(at..at + size).unwrap_or(&[]));
            }
            out
        })
    }

    fn item_bytes(&self, i: usize) -> Option<Vec<u8>> {
        let size = self.itemsize();
        let at = self.offset(i);
        self.with_source(|src| src.get(at..at + size).map(|s| s.to_vec()))
    }

    fn derived(&self, start: usize, stride: isize, len: usize, format: u8, readonly: bool) -> MemoryViewObj {
        let source = match &self.source {
            Source::Bytes(v) => Source::Bytes(v.clone()),
            Source::ByteArray(v) => Source::ByteArray(v.clone()),
            Source::Raw(r) => Source::Raw(r.clone()),
        };
        MemoryViewObj {
            source,
            obj: self.obj.clone(),
            start,
            stride,
            len,
            format,
            readonly,
            released: AtomicBool::new(false),
        }
    }
}

/// A view on the whole of `buffer`, exported by native code (`obj` is what the
/// view's `obj` attribute shows).
pub fn raw_view(buffer: Arc<dyn RawBuffer>, obj: Value, readonly: bool) -> Value {
    let len = buffer.len();
    MEMORYVIEW.instance(MemoryViewObj {
        source: Source::Raw(buffer),
        obj,
        start: 0,
        stride: 1,
        len,
        format: b'B',
        readonly,
        released: AtomicBool::new(false),
    })
}

/// The view behind a value, if it is a memoryview.
pub fn view_of(v: &Value) -> Option<&MemoryViewObj> {
    v.as_instance().and_then(|i| i.native::<MemoryViewObj>())
}

/// The bytes a memoryview shows, None when `v` is none or is released.
pub fn view_bytes(v: &Value) -> Option<Vec<u8>> {
    let m = view_of(v)?;
    if m.released.load(Ordering::Acquire) {
        return None;
    }
    Some(m.to_vec())
}

#[native("memoryview.__new__($cls, object)")]
fn mv_new(vm: &mut Vm, _cls: &Value, object: &Value) -> PyResult<Value> {
    let base = object.unwrap_base();
    let (source, len, readonly) = match base.obj() {
        Some(Object::Bytes(b)) => (Source::Bytes(base.clone()), b.len(), true),
        Some(Object::ByteArray(b)) => (Source::ByteArray(base.clone()), b.len(), false),
        _ => match view_of(object) {
            Some(m) => {
                m.check(vm)?;
                let copy = m.derived(m.start, m.stride, m.len, m.format, m.readonly);
                return Ok(MEMORYVIEW.instance(copy));
            }
            None => {
                let msg = format!("memoryview: a bytes-like object is required, not '{}'", vm.type_name(object));
                return Err(vm.type_error(&msg));
            }
        },
    };
    Ok(MEMORYVIEW.instance(MemoryViewObj {
        source,
        obj: object.clone(),
        start: 0,
        stride: 1,
        len,
        format: b'B',
        readonly,
        released: AtomicBool::new(false),
    }))
}

#[native("memoryview.__len__($self, /)", style = "slot")]
fn mv_len(vm: &mut Vm, this: &MemoryViewObj) -> PyResult<usize> {
    this.check(vm)?;
    Ok(this.len)
}

/// One item's value in the view's format.
fn decode(format: u8, b: &[u8]) -> Value {
    let arr = |n: usize| {
        let mut a = [0u8; 8];
        a[..n].copy_from_slice(&b[..n]);
        a
    };
    match format {
        b'B' => Value::Int(b[0] as i64),
        b'b' => Value::Int(b[0] as i8 as i64),
        b'c' => Value::new(Object::Bytes(vec![b[0]].into_boxed_slice())),
        b'?' => Value::Bool(b[0] != 0),
        b'h' => Value::Int(i16::from_ne_bytes([b[0], b[1]]) as i64),
        b'H' => Value::Int(u16::from_ne_bytes([b[0], b[1]]) as i64),
        b'i' => Value::Int(i32::from_ne_bytes([b[0], b[1], b[2], b[3]]) as i64),
        b'I' => Value::Int(u32::from_ne_bytes([b[0], b[1], b[2], b[3]]) as i64),
        b'f' => Value::Float(f32::from_ne_bytes([b[0], b[1], b[2], b[3]]) as f64),
        b'd' => Value::Float(f64::from_ne_bytes(arr(8))),
        b'l' | b'q' | b'n' => Value::Int(i64::from_ne_bytes(arr(8))),
        _ => {
            let u = u64::from_ne_bytes(arr(8));
            if u <= i64::MAX as u64 {
                Value::Int(u as i64)
            } else {
                Value::bigint(num_bigint::BigInt::from(u))
            }
        }
    }
}

/// An item's bytes for a value, with CPython's errors.
fn encode(vm: &mut Vm, format: u8, v: &Value) -> PyResult<Vec<u8>> {
    let fmt = format as char;
    let invalid = |vm: &mut Vm| vm.value_error(&format!("memoryview: invalid value for format '{fmt}'"));
    let int = |vm: &mut Vm, v: &Value| -> PyResult<i128> {
        match v {
            Value::Int(i) => Ok(*i as i128),
            Value::Bool(b) => Ok(*b as i128),
            _ => match crate::value::int::to_bigint(v) {
                Some(b) => Ok(i128::try_from(&b).unwrap_or(i128::MAX)),
                None => Err(vm.type_error(&format!("memoryview: invalid type for format '{fmt}'"))),
            },
        }
    };
    let ranged = |vm: &mut Vm, v: &Value, lo: i128, hi: i128| -> PyResult<i128> {
        let i = int(vm, v)?;
        if i < lo || i > hi {
            return Err(invalid(vm));
        }
        Ok(i)
    };
    Ok(match format {
        b'B' => vec![ranged(vm, v, 0, 255)? as u8],
        b'b' => vec![ranged(vm, v, -128, 127)? as i8 as u8],
        b'c' => match v.obj() {
            Some(Object::Bytes(b)) if b.len() == 1 => vec![b[0]],
            _ => return Err(invalid(vm)),
        },
        b'?' => vec![vm.truthy(v)? as u8],
        b'h' => (ranged(vm, v, i16::MIN as i128, i16::MAX as i128)? as i16).to_ne_bytes().to_vec(),
        b'H' => (ranged(vm, v, 0, u16::MAX as i128)? as u16).to_ne_bytes().to_vec(),
        b'i' => (ranged(vm, v, i32::MIN as i128, i32::MAX as i128)? as i32).to_ne_bytes().to_vec(),
        b'I' => (ranged(vm, v, 0, u32::MAX as i128)? as u32).to_ne_bytes().to_vec(),
        b'l' | b'q' | b'n' => (ranged(vm, v, i64::MIN as i128, i64::MAX as i128)? as i64).to_ne_bytes().to_vec(),
        b'L' | b'Q' | b'N' | b'P' => (ranged(vm, v, 0, u64::MAX as i128)? as u64).to_ne_bytes().to_vec(),
        b'f' | b'd' => {
            let f = match v {
                Value::Float(f) => *f,
                Value::Int(i) => *i as f64,
                _ => return Err(vm.type_error(&format!("memoryview: invalid type for format '{fmt}'"))),
            };
            if format == b'f' {
                (f as f32).to_ne_bytes().to_vec()
            } else {
                f.to_ne_bytes().to_vec()
            }
        }
        _ => return Err(invalid(vm)),
    })
}

/// An index into the view, negative from the end, checked.
fn item_index(vm: &mut Vm, this: &MemoryViewObj, key: &Value) -> PyResult<usize> {
    let i = vm.index_value(key)?;
    let i = if i < 0 { i + this.len as i64 } else { i };
    if i < 0 || i >= this.len as i64 {
        return Err(vm.error(Exc::IndexError, "index out of bounds on dimension 1"));
    }
    Ok(i as usize)
}

fn is_index(vm: &mut Vm, key: &Value) -> bool {
    matches!(key, Value::Int(_) | Value::Bool(_))
        || crate::value::int::to_bigint(key).is_some()
        || vm.lookup_type_attr(&vm.class_of(key), &crate::value::str::intern("__index__")).is_some()
}

#[native("memoryview.__getitem__($self, key, /)", style = "slot")]
fn mv_getitem(vm: &mut Vm, this: &MemoryViewObj, key: &Value) -> PyResult<Value> {
    this.check(vm)?;
    if let Some(Object::Slice(s)) = key.obj() {
        let idx = vm.slice_indices(s, this.len)?;
        let start = if idx.len == 0 { this.start } else { this.offset(idx.start as usize) };
        let view = this.derived(start, this.stride * idx.step as isize, idx.len, this.format, this.readonly);
        return Ok(MEMORYVIEW.instance(view));
    }
    if !is_index(vm, key) {
        return Err(vm.type_error("memoryview: invalid slice key"));
    }
    let i = item_index(vm, this, key)?;
    match this.item_bytes(i) {
        Some(b) => Ok(decode(this.format, &b)),
        None => Err(vm.error(Exc::IndexError, "index out of bounds on dimension 1")),
    }
}

#[native("memoryview.__setitem__($self, key, value, /)", style = "slot")]
fn mv_setitem(vm: &mut Vm, this: &MemoryViewObj, key: &Value, value: &Value) -> PyResult<()> {
    this.check(vm)?;
    if this.readonly {
        return Err(vm.type_error("cannot modify read-only memory"));
    }
    let size = this.itemsize();
    // Each write names the byte offsets and the bytes to put there.
    let writes: Vec<(usize, Vec<u8>)> = if let Some(Object::Slice(s)) = key.obj() {
        let idx = vm.slice_indices(s, this.len)?;
        let Some(data) = crate::builtins::bytes_like(value) else {
            let msg = format!("a bytes-like object is required, not '{}'", vm.type_name(value));
            return Err(vm.type_error(&msg));
        };
        if data.len() != idx.len * size {
            return Err(vm.value_error("memoryview assignment: lvalue and rvalue have different structures"));
        }
        idx.indices().enumerate().map(|(k, i)| (this.offset(i), data[k * size..(k + 1) * size].to_vec())).collect()
    } else {
        if !is_index(vm, key) {
            return Err(vm.type_error("memoryview: invalid slice key"));
        }
        let i = item_index(vm, this, key)?;
        vec![(this.offset(i), encode(vm, this.format, value)?)]
    };
    let fits = this.with_source_mut(|dst| {
        for (at, b) in &writes {
            match dst.get_mut(*at..at + b.len()) {
                Some(d) => d.copy_from_slice(b),
                None => return false,
            }
        }
        true
    });
    if !fits {
        return Err(vm.error(Exc::IndexError, "index out of bounds on dimension 1"));
    }
    Ok(())
}

#[native("memoryview.__iter__($self, /)", style = "slot")]
fn mv_iter(vm: &mut Vm, this: &MemoryViewObj) -> PyResult<Value> {
    let items = tolist_items(vm, this)?;
    vm.get_iter(&Value::list(items))
}

fn tolist_items(vm: &mut Vm, this: &MemoryViewObj) -> PyResult<Vec<Value>> {
    this.check(vm)?;
    let size = this.itemsize();
    let bytes = this.to_vec();
    Ok(bytes.chunks(size).filter(|c| c.len() == size).map(|c| decode(this.format, c)).collect())
}

#[native("memoryview.__eq__($self, other, /)", style = "slot")]
fn mv_eq(vm: &mut Vm, this: &MemoryViewObj, other: &Value) -> PyResult<Value> {
    if this.released.load(Ordering::Acquire) {
        return Ok(Value::Bool(view_of(other).is_some_and(|o| std::ptr::eq(o, this))));
    }
    match crate::builtins::bytes_like(other) {
        Some(b) if this.format == b'B' || this.itemsize() == 1 => Ok(Value::Bool(this.to_vec() == b)),
        Some(_) => {
            let mine = tolist_items(vm, this)?;
            let theirs = match view_of(other) {
                Some(o) => tolist_items(vm, o)?,
                None => return Ok(Value::Bool(false)),
            };
            vm.eq(&Value::list(mine), &Value::list(theirs)).map(Value::Bool)
        }
        None => Ok(crate::interp::not_implemented()),
    }
}

#[native("memoryview.__hash__($self, /)", style = "slot")]
fn mv_hash(vm: &mut Vm, this: &MemoryViewObj) -> PyResult<i64> {
    this.check(vm)?;
    if !this.readonly {
        return Err(vm.value_error("cannot hash writable memoryview object"));
    }
    let b = Value::new(Object::Bytes(this.to_vec().into_boxed_slice()));
    vm.hash(&b)
}

#[native("memoryview.__repr__($self, /)", style = "slot")]
fn mv_repr(_vm: &mut Vm, this: &MemoryViewObj) -> PyResult<String> {
    let addr = this as *const MemoryViewObj as usize;
    let released = if this.released.load(Ordering::Acquire) { "released " } else { "" };
    Ok(format!("<{released}memory at {addr:#x}>"))
}

/// Return the data in the buffer as a byte string.
#[native("memoryview.tobytes($self, /, order='C')")]
fn tobytes(vm: &mut Vm, this: &MemoryViewObj, order: Option<&str>) -> PyResult<Value> {
    let _ = order;
    this.check(vm)?;
    Ok(Value::new(Object::Bytes(this.to_vec().into_boxed_slice())))
}

/// Return the data in the buffer as a list of elements.
#[native("memoryview.tolist($self, /)")]
fn tolist(vm: &mut Vm, this: &MemoryViewObj) -> PyResult<Value> {
    Ok(Value::list(tolist_items(vm, this)?))
}

/// Return the data in the buffer as a str of hexadecimal numbers.
#[native("memoryview.hex($self, /, sep=<unrepresentable>, bytes_per_sep=1)")]
fn hex(vm: &mut Vm, this: &MemoryViewObj, sep: Option<&Value>, bytes_per_sep: i64) -> PyResult<Value> {
    this.check(vm)?;
    let b = Value::new(Object::Bytes(this.to_vec().into_boxed_slice()));
    let method = vm.get_attr(&b, &crate::value::str::intern("hex"))?;
    let mut args = crate::vm::Args::new(sep.cloned().into_iter().collect::<Vec<_>>());
    if sep.is_some() {
        args.pos.push(Value::Int(bytes_per_sep));
    }
    vm.call(&method, args)
}

/// Release the underlying buffer exposed by the memoryview object.
#[native("memoryview.release($self, /)")]
fn release(_vm: &mut Vm, this: &MemoryViewObj) -> PyResult<()> {
    this.released.store(true, Ordering::Release);
    Ok(())
}

/// Cast a memoryview to a new format or shape.
#[native("memoryview.cast($self, /, format, shape=<unrepresentable>)")]
fn cast(vm: &mut Vm, this: &MemoryViewObj, format: &str, shape: Option<&Value>) -> PyResult<Value> {
    this.check(vm)?;
    if shape.is_some() {
        return Err(vm.error(Exc::NotImplementedError, "memoryview.cast() with a shape is not supported by conc"));
    }
    let code = format.strip_prefix('@').unwrap_or(format);
    let Some(size) = (if code.len() == 1 { itemsize_of(code.as_bytes()[0]) } else { None }) else {
        return Err(vm.value_error(
            "memoryview: destination format must be a native single character format prefixed with an optional '@'",
        ));
    };
    if this.itemsize() != 1 && size != 1 {
        return Err(vm.type_error("memoryview: cannot cast between two non-byte formats"));
    }
    if this.stride != this.itemsize() as isize {
        return Err(vm.type_error("memoryview: casts are restricted to C-contiguous views"));
    }
    let nbytes = this.len * this.itemsize();
    if !nbytes.is_multiple_of(size) {
        return Err(vm.type_error("memoryview: length is not a multiple of itemsize"));
    }
    let view = this.derived(this.start, size as isize, nbytes / size, code.as_bytes()[0], this.readonly);
    Ok(MEMORYVIEW.instance(view))
}

/// Return a readonly version of the memoryview.
#[native("memoryview.toreadonly($self, /)")]
fn toreadonly(vm: &mut Vm, this: &MemoryViewObj) -> PyResult<Value> {
    this.check(vm)?;
    Ok(MEMORYVIEW.instance(this.derived(this.start, this.stride, this.len, this.format, true)))
}

#[native("memoryview.__enter__($self, /)")]
fn mv_enter(vm: &mut Vm, this: (&Value, &MemoryViewObj)) -> PyResult<Value> {
    this.1.check(vm)?;
    Ok(this.0.clone())
}

#[native("memoryview.__exit__($self, *args)")]
fn mv_exit(_vm: &mut Vm, this: &MemoryViewObj, args: &[Value]) -> PyResult<()> {
    let _ = args;
    this.released.store(true, Ordering::Release);
    Ok(())
}

/// The underlying object of the memoryview.
#[native("memoryview.obj($self)")]
fn p_obj(vm: &mut Vm, this: &MemoryViewObj) -> PyResult<Value> {
    this.check(vm)?;
    Ok(this.obj.clone())
}

/// The amount of space in bytes that the array would use in a contiguous representation.
#[native("memoryview.nbytes($self)")]
fn p_nbytes(vm: &mut Vm, this: &MemoryViewObj) -> PyResult<usize> {
    this.check(vm)?;
    Ok(this.len * this.itemsize())
}

/// A bool indicating whether the memory is read only.
#[native("memoryview.readonly($self)")]
fn p_readonly(vm: &mut Vm, this: &MemoryViewObj) -> PyResult<bool> {
    this.check(vm)?;
    Ok(this.readonly)
}

/// The size in bytes of each element of the memoryview.
#[native("memoryview.itemsize($self)")]
fn p_itemsize(vm: &mut Vm, this: &MemoryViewObj) -> PyResult<usize> {
    this.check(vm)?;
    Ok(this.itemsize())
}

/// A string containing the format (in struct module style) for each element in the view.
#[native("memoryview.format($self)")]
fn p_format(vm: &mut Vm, this: &MemoryViewObj) -> PyResult<String> {
    this.check(vm)?;
    Ok((this.format as char).to_string())
}

/// An integer indicating how many dimensions of a multi-dimensional array the memory represents.
#[native("memoryview.ndim($self)")]
fn p_ndim(vm: &mut Vm, this: &MemoryViewObj) -> PyResult<i64> {
    this.check(vm)?;
    Ok(1)
}

/// A tuple of ndim integers giving the shape of the memory as an N-dimensional array.
#[native("memoryview.shape($self)")]
fn p_shape(vm: &mut Vm, this: &MemoryViewObj) -> PyResult<Value> {
    this.check(vm)?;
    Ok(Value::tuple(vec![Value::Int(this.len as i64)]))
}

/// A tuple of ndim integers giving the size in bytes to access each element for each dimension of the array.
#[native("memoryview.strides($self)")]
fn p_strides(vm: &mut Vm, this: &MemoryViewObj) -> PyResult<Value> {
    this.check(vm)?;
    Ok(Value::tuple(vec![Value::Int(this.stride as i64)]))
}

/// A bool indicating whether the memory is contiguous.
#[native("memoryview.contiguous($self)")]
fn p_contiguous(vm: &mut Vm, this: &MemoryViewObj) -> PyResult<bool> {
    this.check(vm)?;
    Ok(this.len <= 1 || this.stride == this.itemsize() as isize)
}

/// The class object, for the builtins module.
pub fn class() -> Value {
    let _ = types();
    Value::Obj(MEMORYVIEW.class().clone())
}
