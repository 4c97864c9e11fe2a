//! `_struct`: packing values into bytes and back by a format string, under the
//! conc module `struct` (`stdlib/lib/struct.conc`, which adds the `Struct` class).
//!
//! A format is parsed once into a list of `Field`s (kind, count, size, offset),
//! with offsets already aligned for the native mode, so packing is a walk over
//! the list. Parsed formats are kept in a small per-thread cache keyed by the
//! format text, since scripts pack with the same few formats over and over.

use crate::util::{natives, set};
use conc_interpreter::interp::new_class;
use conc_interpreter::native::{native, BytesLike, Exc};
use conc_interpreter::value::class::BaseKind;
use conc_interpreter::value::int::{normalize, to_bigint};
use conc_interpreter::{ObjRef, Object, PyErr, PyResult, Value, Vm};
use num_bigint::BigInt;
use num_traits::ToPrimitive;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::OnceLock;

/// `struct.error`.
fn error_class() -> &'static ObjRef {
    static C: OnceLock<ObjRef> = OnceLock::new();
    C.get_or_init(|| {
        new_class(
            "error",
            "struct",
            vec![Exc::Exception.class().clone()],
            BaseKind::Exception,
            true,
            Default::default(),
        )
    })
}

fn struct_error(vm: &mut Vm, msg: &str) -> PyErr {
    vm.new_exception(error_class(), vec![Value::str(msg)])
}

#[derive(Clone, Copy, PartialEq)]
enum Order {
    /// '@': native order, sizes and alignment.
    Native,
    Little,
    Big,
}

#[derive(Clone, Copy)]
struct Field {
    code: u8,
    /// Repeat count; for 's' and 'p' the length of the one string.
    count: usize,
    /// Size of one item.
    size: usize,
    offset: usize,
}

struct Layout {
    order: Order,
    /// Whether sizes are the native ones ('@') or the standard ones.
    native_sizes: bool,
    fields: Vec<Field>,
    size: usize,
    /// Number of values packed or unpacked.
    items: usize,
}

fn item_size(code: u8, native: bool) -> Option<usize> {
    Some(match code {
        b'x' | b'c' | b'b' | b'B' | b'?' | b's' | b'p' => 1,
        b'h' | b'H' | b'e' => 2,
        b'i' | b'I' | b'f' => 4,
        b'l' | b'L' => {
            if native {
                8
            } else {
                4
            }
        }
        b'q' | b'Q' | b'd' => 8,
        b'n' | b'N' | b'P' if native => 8,
        _ => return None,
    })
}

fn parse(vm: &mut Vm, text: &[u8]) -> PyResult<Layout> {
    let (order, native_sizes, body) = match text.first() {
        Some(b'@') => (Order::Native, true, &text[1..]),
        Some(b'=') => (Order::Little, false, &text[1..]),
        Some(b'<') => (Order::Little, false, &text[1..]),
        Some(b'>') | Some(b'!') => (Order::Big, false, &text[1..]),
        _ => (Order::Native, true, text),
    };
    let mut fields = Vec::new();
    let mut offset = 0usize;
    let mut items = 0usize;
    let mut i = 0;
    while i < body.len() {
        let c = body[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let mut count: Option<usize> = None;
        while i < body.len() && body[i].is_ascii_digit() {
            let digit = (body[i] - b'0') as usize;
            let n = count.unwrap_or(0).checked_mul(10).and_then(|n| n.checked_add(digit));
            match n {
                Some(n) => count = Some(n),
                None => return Err(struct_error(vm, "total struct size too long")),
            }
            i += 1;
        }
        if i >= body.len() {
            return Err(struct_error(vm, "repeat count given without format specifier"));
        }
        let code = body[i];
        i += 1;
        let Some(size) = item_size(code, native_sizes) else {
            return Err(struct_error(vm, "bad char in struct format"));
        };
        let count = count.unwrap_or(1);
        if native_sizes && size > 1 && !matches!(code, b's' | b'p') {
            offset = offset.div_ceil(size) * size;
        }
        let bytes = size.checked_mul(count).ok_or_else(|| struct_error(vm, "total struct size too long"))?;
        fields.push(Field { code, count, size, offset });
        offset = offset.checked_add(bytes).ok_or_else(|| struct_error(vm, "total struct size too long"))?;
        items += match code {
            b'x' => 0,
            b's' | b'p' => 1,
            _ => count,
        };
    }
    Ok(Layout { order, native_sizes, fields, size: offset, items })
}

thread_local! {
    static CACHE: RefCell<HashMap<Vec<u8>, Rc<Layout>>> = RefCell::new(HashMap::new());
}

/// The format's text: a str or bytes, as CPython accepts.
fn format_bytes(vm: &mut Vm, format: &Value, what: &str) -> PyResult<Vec<u8>> {
    if let Some(s) = format.as_str() {
        return Ok(s.as_str().as_bytes().to_vec());
    }
    if let Some(Object::Bytes(b)) = format.unwrap_base().obj() {
        return Ok(b.to_vec());
    }
    let msg = format!("{what} argument 1 must be a str or bytes object, not {}", vm.type_name(format));
    Err(vm.type_error(&msg))
}

fn layout(vm: &mut Vm, format: &Value) -> PyResult<Rc<Layout>> {
    let key = format_bytes(vm, format, "Struct()")?;
    if let Some(l) = CACHE.with(|c| c.borrow().get(&key).cloned()) {
        return Ok(l);
    }
    let parsed = Rc::new(parse(vm, &key)?);
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() > 256 {
            c.clear();
        }
        c.insert(key, parsed.clone());
    });
    Ok(parsed)
}

// ---------------------------------------------------------------- packing

/// The integer of a value packed by an integer code: an int or an object
/// with `__index__`.
fn integer_of(vm: &mut Vm, v: &Value) -> PyResult<BigInt> {
    if let Some(b) = to_bigint(v) {
        return Ok(b);
    }
    if matches!(v, Value::Float(_)) || v.as_str().is_some() {
        return Err(struct_error(vm, "required argument is not an integer"));
    }
    let cls = vm.class_of(v);
    let index = conc_interpreter::value::str::intern("__index__");
    if vm.lookup_type_attr(&cls, &index).is_none() {
        return Err(struct_error(vm, "required argument is not an integer"));
    }
    vm.index_value_big(v)
}

fn range_error(vm: &mut Vm, code: u8, value: &BigInt, size: usize) -> PyErr {
    let signed = code.is_ascii_lowercase();
    let named = match code {
        b'b' => Some("byte"),
        b'B' => Some("ubyte"),
        b'h' => Some("short"),
        b'H' => Some("ushort"),
        _ => None,
    };
    let bits = size * 8;
    let (low, high) = if signed {
        (-(BigInt::from(1) << (bits - 1)), (BigInt::from(1) << (bits - 1)) - 1)
    } else {
        (BigInt::from(0), (BigInt::from(1) << bits) - 1)
    };
    if let Some(name) = named {
        let msg = format!("{name} format requires {low} <= number <= {high}");
        return struct_error(vm, &msg);
    }
    // Wider codes name the range only when the value is a machine word (and,
    // unsigned, not negative); otherwise the conversion itself failed.
    let word = if signed { value.to_i64().is_some() } else { value.to_u64().is_some() };
    if size < 8 && word {
        let msg = format!("'{}' format requires {low} <= number <= {high}", code as char);
        return struct_error(vm, &msg);
    }
    struct_error(vm, "argument out of range")
}

fn put_uint(out: &mut [u8], bits: u64, order: Order) {
    let size = out.len();
    for (k, slot) in out.iter_mut().enumerate() {
        let shift = match order {
            Order::Big => (size - 1 - k) * 8,
            _ => k * 8,
        };
        *slot = (bits >> shift) as u8;
    }
}

fn get_uint(data: &[u8], order: Order) -> u64 {
    let mut v = 0u64;
    match order {
        Order::Big => {
            for b in data {
                v = (v << 8) | *b as u64;
            }
        }
        _ => {
            for b in data.iter().rev() {
                v = (v << 8) | *b as u64;
            }
        }
    }
    v
}

fn float_of(vm: &mut Vm, v: &Value) -> PyResult<f64> {
    match v {
        Value::Float(f) => Ok(*f),
        Value::Int(i) => Ok(*i as f64),
        Value::Bool(b) => Ok(*b as u8 as f64),
        _ => {
            if v.as_str().is_some() || matches!(v.unwrap_base().obj(), Some(Object::Bytes(_))) {
                return Err(struct_error(vm, "required argument is not a float"));
            }
            vm.real_value(v).map_err(|_| struct_error(vm, "required argument is not a float"))
        }
    }
}

/// IEEE 754 binary16 bits of x, rounded to nearest, ties to even.
fn half_bits(vm: &mut Vm, x: f64) -> PyResult<u16> {
    let sign: u16 = if x.is_sign_negative() { 0x8000 } else { 0 };
    if x.is_nan() {
        return Ok(sign | 0x7e00);
    }
    let a = x.abs();
    if a.is_infinite() {
        return Ok(sign | 0x7c00);
    }
    if a == 0.0 {
        return Ok(sign);
    }
    // a = m * 2^e with 1 <= m < 2.
    let e = a.log2().floor() as i32;
    let (e, m) = {
        let mut e = e;
        let mut m = a / 2f64.powi(e);
        if m >= 2.0 {
            m /= 2.0;
            e += 1;
        } else if m < 1.0 {
            m *= 2.0;
            e -= 1;
        }
        (e, m)
    };
    let bits = if e < -14 {
        // Subnormal: units of 2^-24.
        let units = round_even(a / 2f64.powi(-24));
        units as u32
    } else {
        let frac = round_even((m - 1.0) * 1024.0) as u32;
        let (frac, e) = if frac == 1024 { (0, e + 1) } else { (frac, e) };
        if e > 15 {
            return Err(vm.error(Exc::OverflowError, "float too large to pack with e format"));
        }
        (((e + 15) as u32) << 10) | frac
    };
    if bits >= 0x7c00 {
        return Err(vm.error(Exc::OverflowError, "float too large to pack with e format"));
    }
    Ok(sign | bits as u16)
}

fn round_even(x: f64) -> f64 {
    let r = x.round();
    if (x - x.trunc()).abs() == 0.5 && r % 2.0 != 0.0 {
        r - x.signum()
    } else {
        r
    }
}

fn half_value(bits: u16) -> f64 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let e = ((bits >> 10) & 0x1f) as i32;
    let frac = (bits & 0x3ff) as f64;
    let magnitude = match e {
        0 => frac * 2f64.powi(-24),
        31 => {
            if frac == 0.0 {
                f64::INFINITY
            } else {
                f64::NAN
            }
        }
        _ => (1.0 + frac / 1024.0) * 2f64.powi(e - 15),
    };
    sign * magnitude
}

fn string_arg(vm: &mut Vm, v: &Value, code: u8) -> PyResult<Vec<u8>> {
    match v.unwrap_base().obj() {
        Some(Object::Bytes(b)) => Ok(b.to_vec()),
        Some(Object::ByteArray(b)) => Ok(b.snapshot()),
        _ => {
            let msg = format!("argument for '{}' must be a bytes object", code as char);
            Err(struct_error(vm, &msg))
        }
    }
}

fn pack_one(vm: &mut Vm, l: &Layout, f: &Field, v: &Value, out: &mut [u8]) -> PyResult<()> {
    let order = l.order;
    match f.code {
        b'c' => match v.unwrap_base().obj() {
            Some(Object::Bytes(b)) if b.len() == 1 => out[0] = b[0],
            Some(Object::ByteArray(b)) if b.len() == 1 => out[0] = b.snapshot()[0],
            _ => return Err(struct_error(vm, "char format requires a bytes object of length 1")),
        },
        b'?' => out[0] = vm.truthy(v)? as u8,
        b'e' => {
            let x = float_of(vm, v)?;
            put_uint(out, half_bits(vm, x)? as u64, order);
        }
        b'f' => {
            let x = float_of(vm, v)?;
            let y = x as f32;
            if y.is_infinite() && x.is_finite() {
                return Err(vm.error(Exc::OverflowError, "float too large to pack with f format"));
            }
            put_uint(out, y.to_bits() as u64, order);
        }
        b'd' => {
            let x = float_of(vm, v)?;
            put_uint(out, x.to_bits(), order);
        }
        code => {
            let n = integer_of(vm, v)?;
            let size = f.size;
            let bits = size * 8;
            let signed = code.is_ascii_lowercase();
            let word = if code == b'P' {
                // A pointer takes any machine word, negative ones wrapped.
                n.to_i64().map(|i| i as u64).or_else(|| n.to_u64())
            } else if signed {
                n.to_i64()
                    .filter(|i| bits == 64 || (*i >= -(1i64 << (bits - 1)) && *i < (1i64 << (bits - 1))))
                    .map(|i| i as u64)
            } else {
                n.to_u64().filter(|u| bits == 64 || *u < (1u64 << bits))
            };
            let Some(word) = word else {
                return Err(range_error(vm, code, &n, size));
            };
            put_uint(out, word, order);
        }
    }
    Ok(())
}

fn pack_into_buffer(vm: &mut Vm, l: &Layout, values: &[Value], out: &mut [u8], what: &str) -> PyResult<()> {
    if values.len() != l.items {
        let msg = format!("{what} expected {} items for packing (got {})", l.items, values.len());
        return Err(struct_error(vm, &msg));
    }
    let mut next = values.iter();
    for f in &l.fields {
        let at = f.offset;
        match f.code {
            b'x' => {}
            b's' => {
                let data = string_arg(vm, next.next().unwrap(), b's')?;
                let n = data.len().min(f.count);
                out[at..at + n].copy_from_slice(&data[..n]);
            }
            b'p' => {
                let data = string_arg(vm, next.next().unwrap(), b'p')?;
                if f.count == 0 {
                    continue;
                }
                let n = data.len().min(f.count - 1).min(255);
                out[at] = n as u8;
                out[at + 1..at + 1 + n].copy_from_slice(&data[..n]);
            }
            _ => {
                for k in 0..f.count {
                    let start = at + k * f.size;
                    let v = next.next().unwrap();
                    pack_one(vm, l, f, v, &mut out[start..start + f.size])?;
                }
            }
        }
    }
    Ok(())
}

fn unpack_buffer(vm: &mut Vm, l: &Layout, data: &[u8]) -> PyResult<Value> {
    let mut values = Vec::with_capacity(l.items);
    for f in &l.fields {
        let at = f.offset;
        match f.code {
            b'x' => {}
            b's' => values.push(Value::new(Object::Bytes(data[at..at + f.count].to_vec().into_boxed_slice()))),
            b'p' => {
                let n = if f.count == 0 { 0 } else { (data[at] as usize).min(f.count - 1) };
                let start = (at + 1).min(at + f.count);
                values.push(Value::new(Object::Bytes(data[start..start + n].to_vec().into_boxed_slice())));
            }
            code => {
                for k in 0..f.count {
                    let start = at + k * f.size;
                    let raw = &data[start..start + f.size];
                    let bits = get_uint(raw, l.order);
                    let v = match code {
                        b'c' => Value::new(Object::Bytes(vec![raw[0]].into_boxed_slice())),
                        b'?' => Value::Bool(bits != 0),
                        b'e' => Value::Float(half_value(bits as u16)),
                        b'f' => Value::Float(f32::from_bits(bits as u32) as f64),
                        b'd' => Value::Float(f64::from_bits(bits)),
                        c if c.is_ascii_lowercase() => {
                            let width = f.size * 8;
                            let signed =
                                if width == 64 { bits as i64 } else { ((bits << (64 - width)) as i64) >> (64 - width) };
                            Value::Int(signed)
                        }
                        _ => normalize(BigInt::from(bits)),
                    };
                    values.push(v);
                }
            }
        }
    }
    let _ = vm;
    Ok(Value::tuple(values))
}

// ---------------------------------------------------------------- module functions

/// Return the size of the struct (and hence of the bytes object produced by pack(format, ...)) corresponding to the format string format.
#[native("_struct.calcsize(format, /)")]
fn calcsize(vm: &mut Vm, format: Value) -> PyResult<usize> {
    Ok(layout(vm, &format)?.size)
}

/// Return a bytes object containing the values v1, v2, ... packed according to the format string.
#[native("_struct.pack(format, /, *values)")]
fn pack(vm: &mut Vm, format: Value, values: &[Value]) -> PyResult<Value> {
    let l = layout(vm, &format)?;
    let mut out = vec![0u8; l.size];
    pack_into_buffer(vm, &l, values, &mut out, "pack")?;
    Ok(Value::new(Object::Bytes(out.into_boxed_slice())))
}

/// Pack the values v1, v2, ... according to the format string and write the packed bytes into the writable buffer starting at offset.
#[native("_struct.pack_into(format, buffer, offset, /, *values)")]
fn pack_into(vm: &mut Vm, format: Value, buffer: Value, offset: i64, values: &[Value]) -> PyResult<()> {
    let l = layout(vm, &format)?;
    let Some(Object::ByteArray(target)) = buffer.unwrap_base().obj() else {
        let msg = format!("argument must be read-write bytes-like object, not {}", vm.type_name(&buffer));
        return Err(vm.type_error(&msg));
    };
    if values.len() != l.items {
        let msg = format!("pack_into expected {} items for packing (got {})", l.items, values.len());
        return Err(struct_error(vm, &msg));
    }
    let len = target.len();
    let start = resolve_offset(vm, offset, len, l.size, true)?;
    let mut out = vec![0u8; l.size];
    pack_into_buffer(vm, &l, values, &mut out, "pack_into")?;
    let mut g = target.lock();
    if start + l.size <= g.len() {
        g[start..start + l.size].copy_from_slice(&out);
    }
    Ok(())
}

/// Where packing or unpacking starts, with CPython's messages for offsets out of range.
fn resolve_offset(vm: &mut Vm, offset: i64, len: usize, size: usize, packing: bool) -> PyResult<usize> {
    let start = if offset < 0 {
        if offset.unsigned_abs() as usize > len {
            let msg = format!("offset {offset} out of range for {len}-byte buffer");
            return Err(struct_error(vm, &msg));
        }
        let start = len - offset.unsigned_abs() as usize;
        if len - start < size {
            let msg = if packing {
                format!("no space to pack {size} bytes at offset {offset}")
            } else {
                format!("not enough data to unpack {size} bytes at offset {offset}")
            };
            return Err(struct_error(vm, &msg));
        }
        start
    } else {
        offset as usize
    };
    if offset >= 0 && len.saturating_sub(start) < size {
        let msg = if packing {
            format!(
                "pack_into requires a buffer of at least {} bytes for packing {size} bytes at offset {offset} (actual buffer size is {len})",
                start + size
            )
        } else {
            format!(
                "unpack_from requires a buffer of at least {} bytes for unpacking {size} bytes at offset {offset} (actual buffer size is {len})",
                start + size
            )
        };
        return Err(struct_error(vm, &msg));
    }
    Ok(start)
}

/// Return a tuple containing values unpacked according to the format string.
#[native("_struct.unpack(format, buffer, /)")]
fn unpack(vm: &mut Vm, format: Value, buffer: BytesLike) -> PyResult<Value> {
    let l = layout(vm, &format)?;
    if buffer.len() != l.size {
        let msg = format!("unpack requires a buffer of {} bytes", l.size);
        return Err(struct_error(vm, &msg));
    }
    unpack_buffer(vm, &l, &buffer)
}

/// Return a tuple containing values unpacked according to the format string, starting at offset.
#[native("_struct.unpack_from(format, /, buffer, offset=0)")]
fn unpack_from(vm: &mut Vm, format: Value, buffer: BytesLike, offset: i64) -> PyResult<Value> {
    let l = layout(vm, &format)?;
    let start = resolve_offset(vm, offset, buffer.len(), l.size, false)?;
    unpack_buffer(vm, &l, &buffer[start..start + l.size])
}

/// The tuples of values unpacked from consecutive chunks of the buffer (a list; struct.conc iterates it).
#[native("_struct.unpack_all(format, buffer, /)")]
fn unpack_all(vm: &mut Vm, format: Value, buffer: BytesLike) -> PyResult<Value> {
    let l = layout(vm, &format)?;
    if l.size == 0 {
        return Err(struct_error(vm, "cannot iteratively unpack with a struct of length 0"));
    }
    if buffer.len() % l.size != 0 {
        let msg = format!("iterative unpacking requires a buffer of a multiple of {} bytes", l.size);
        return Err(struct_error(vm, &msg));
    }
    let mut rows = Vec::with_capacity(buffer.len() / l.size);
    for chunk in buffer.chunks(l.size) {
        rows.push(unpack_buffer(vm, &l, chunk)?);
    }
    Ok(Value::list(rows))
}

/// Whether the format uses native sizes (for Struct's checks).
#[native("_struct.native_sizes(format, /)")]
fn native_sizes(vm: &mut Vm, format: Value) -> PyResult<bool> {
    Ok(layout(vm, &format)?.native_sizes)
}

pub fn init(_vm: &mut Vm, m: &ObjRef) -> PyResult<()> {
    set(m, "error", Value::Obj(error_class().clone()));
    natives(
        m,
        &[
            &calcsize::DEF,
            &pack::DEF,
            &pack_into::DEF,
            &unpack::DEF,
            &unpack_from::DEF,
            &unpack_all::DEF,
            &native_sizes::DEF,
        ],
    );
    Ok(())
}
