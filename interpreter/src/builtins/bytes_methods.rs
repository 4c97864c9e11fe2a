//! Methods of `bytes` and `bytearray`. The read-only ones are shared (a bytearray's
//! contents are copied out of its lock first) and give a result of the receiver's
//! type; the mutating ones are bytearray's alone.

use super::arg;
use crate::interp::{add_methods, types};
use crate::native::Exc;
use crate::value::bytearray::ByteArrayObj;
use crate::value::{Object, Value};
use crate::vm::{Args, PyResult, Vm};

/// Methods both types have.
const SHARED: &[(&str, crate::value::function::NativeFn)] = &[
    ("decode", bytes_decode),
    ("hex", bytes_hex),
    ("upper", bytes_upper),
    ("lower", bytes_lower),
    ("startswith", bytes_startswith),
    ("endswith", bytes_endswith),
    ("find", bytes_find),
    ("rfind", bytes_rfind),
    ("index", bytes_index),
    ("count", bytes_count),
    ("replace", bytes_replace),
    ("split", bytes_split),
    ("strip", bytes_strip),
    ("lstrip", bytes_lstrip),
    ("rstrip", bytes_rstrip),
    ("join", bytes_join),
    ("isalpha", bytes_isalpha),
    ("isdigit", bytes_isdigit),
    ("isspace", bytes_isspace),
    ("isalnum", bytes_isalnum),
];

pub fn register(_vm: &mut Vm) {
    let t = types();
    use super::list_methods as seq;
    crate::interp::add_natives(
        &t.bytearray,
        &[
            &seq::dunder_len::DEF,
            &seq::dunder_getitem::DEF,
            &seq::dunder_setitem::DEF,
            &seq::dunder_delitem::DEF,
            &seq::dunder_contains::DEF,
            &seq::dunder_iter::DEF,
        ],
    );
    crate::interp::add_natives(
        &t.bytes,
        &[&seq::dunder_len::DEF, &seq::dunder_getitem::DEF, &seq::dunder_contains::DEF, &seq::dunder_iter::DEF],
    );
    add_methods(&t.bytes, SHARED);
    add_methods(&t.bytearray, SHARED);
    add_methods(
        &t.bytearray,
        &[
            ("append", ba_append),
            ("extend", ba_extend),
            ("pop", ba_pop),
            ("insert", ba_insert),
            ("remove", ba_remove),
            ("clear", ba_clear),
            ("copy", ba_copy),
            ("reverse", ba_reverse),
        ],
    );
    add_methods(&t.bytes, &[]);
    for (cls, qual) in [(&t.bytes, "bytes.fromhex"), (&t.bytearray, "bytearray.fromhex")] {
        crate::interp::set_class_attr(
            cls,
            "fromhex",
            Value::new(Object::ClassMethod(crate::interp::native("fromhex", qual, bytes_fromhex))),
        );
    }
}

/// Argument `i` as bytes (from a bytes or bytearray), or the TypeError CPython gives.
fn bytes_arg(vm: &mut Vm, args: &Args, i: usize, name: &str) -> PyResult<Vec<u8>> {
    match args.pos.get(i).and_then(super::bytes_like) {
        Some(b) => Ok(b),
        None => {
            let what = args.pos.get(i).map_or("nothing".to_string(), |v| vm.type_name(v));
            let msg = if i == 0 {
                format!("descriptor '{name}' requires a 'bytes' object but received a '{what}'")
            } else {
                format!("a bytes-like object is required, not '{what}'")
            };
            Err(vm.type_error(&msg))
        }
    }
}

fn new_bytes(b: Vec<u8>) -> Value {
    Value::new(Object::Bytes(b.into_boxed_slice()))
}

/// A result of the same type as the receiver: the shared methods of bytes give bytes,
/// and of bytearray a new bytearray.
fn like(args: &Args, b: Vec<u8>) -> Value {
    match args.pos.first().and_then(|v| v.obj()) {
        Some(Object::ByteArray(_)) => new_bytearray(b),
        _ => new_bytes(b),
    }
}

pub fn new_bytearray(b: Vec<u8>) -> Value {
    Value::new(Object::ByteArray(ByteArrayObj::new(b)))
}

fn bytes_decode(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let b = bytes_arg(vm, &args, 0, "decode")?;
    let enc = args.take(1, "encoding").unwrap_or(Value::str("utf-8"));
    let enc = enc.as_str().map(|e| e.as_str().to_ascii_lowercase().replace('_', "-"));
    match enc.as_deref() {
        Some("utf-8" | "utf8") => match std::str::from_utf8(&b) {
            Ok(t) => Ok(Value::str(t)),
            Err(e) => {
                let pos = e.valid_up_to();
                let reason = if e.error_len().is_none() {
                    "unexpected end of data"
                } else if (0x80..0xc0).contains(&b[pos]) || b[pos] >= 0xf8 {
                    "invalid start byte"
                } else {
                    "invalid continuation byte"
                };
                let msg = format!("'utf-8' codec can't decode byte 0x{:02x} in position {pos}: {reason}", b[pos]);
                Err(vm.error(Exc::UnicodeDecodeError, &msg))
            }
        },
        Some("ascii") => match b.iter().position(|&c| c >= 0x80) {
            None => Ok(Value::string(b.iter().map(|&c| c as char).collect())),
            Some(pos) => {
                let msg = format!(
                    "'ascii' codec can't decode byte 0x{:02x} in position {pos}: ordinal not in range(128)",
                    b[pos]
                );
                Err(vm.error(Exc::UnicodeDecodeError, &msg))
            }
        },
        Some("latin-1" | "latin1" | "iso-8859-1") => Ok(Value::string(b.iter().map(|&c| c as char).collect())),
        _ => {
            let msg = format!("unknown encoding: {}", enc.unwrap_or_default());
            Err(vm.error(Exc::LookupError, &msg))
        }
    }
}

fn bytes_hex(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let b = bytes_arg(vm, &args, 0, "hex")?;
    Ok(Value::string(b.iter().map(|c| format!("{c:02x}")).collect()))
}

fn bytes_fromhex(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let v = arg(vm, &args, 1, "fromhex")?;
    let Some(s) = v.as_str().map(|s| s.as_str().to_string()) else {
        let msg = format!("fromhex() argument must be str, not {}", vm.type_name(&v));
        return Err(vm.type_error(&msg));
    };
    let digits: Vec<char> = s.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let mut out = Vec::new();
    for pair in digits.chunks(2) {
        match (pair.first().and_then(|c| c.to_digit(16)), pair.get(1).and_then(|c| c.to_digit(16))) {
            (Some(h), Some(l)) => out.push((h * 16 + l) as u8),
            _ => return Err(vm.value_error("non-hexadecimal number found in fromhex() arg")),
        }
    }
    // bytearray.fromhex gives a bytearray: the receiver is the class.
    match args.pos.first() {
        Some(Value::Obj(c)) if c.ptr_eq(&types().bytearray) => Ok(new_bytearray(out)),
        _ => Ok(new_bytes(out)),
    }
}

fn bytes_upper(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let b = bytes_arg(vm, &args, 0, "upper")?.to_ascii_uppercase();
    Ok(like(&args, b))
}

fn bytes_lower(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let b = bytes_arg(vm, &args, 0, "lower")?.to_ascii_lowercase();
    Ok(like(&args, b))
}

fn bytes_startswith(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let b = bytes_arg(vm, &args, 0, "startswith")?;
    let p = bytes_arg(vm, &args, 1, "startswith")?;
    Ok(Value::Bool(b.starts_with(&p)))
}

fn bytes_endswith(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let b = bytes_arg(vm, &args, 0, "endswith")?;
    let p = bytes_arg(vm, &args, 1, "endswith")?;
    Ok(Value::Bool(b.ends_with(&p)))
}

fn find_bytes(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() {
        return (from <= hay.len()).then_some(from);
    }
    hay.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|i| i + from)
}

/// The needle of find/index/count: bytes-like, or one byte as an int.
fn needle(vm: &mut Vm, args: &Args, name: &str) -> PyResult<Vec<u8>> {
    if let Some(Value::Int(i)) = args.pos.get(1) {
        return match u8::try_from(*i) {
            Ok(b) => Ok(vec![b]),
            Err(_) => Err(vm.value_error("byte must be in range(0, 256)")),
        };
    }
    bytes_arg(vm, args, 1, name)
}

fn bytes_find(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let b = bytes_arg(vm, &args, 0, "find")?;
    let p = needle(vm, &args, "find")?;
    Ok(Value::Int(find_bytes(&b, &p, 0).map_or(-1, |i| i as i64)))
}

fn bytes_rfind(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let b = bytes_arg(vm, &args, 0, "rfind")?;
    let p = needle(vm, &args, "rfind")?;
    let found = (0..=b.len().saturating_sub(p.len())).rev().find(|&i| b[i..].starts_with(&p));
    Ok(Value::Int(found.map_or(-1, |i| i as i64)))
}

fn bytes_index(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let b = bytes_arg(vm, &args, 0, "index")?;
    let p = needle(vm, &args, "index")?;
    match find_bytes(&b, &p, 0) {
        Some(i) => Ok(Value::Int(i as i64)),
        None => Err(vm.value_error("subsection not found")),
    }
}

fn bytes_count(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let b = bytes_arg(vm, &args, 0, "count")?;
    let p = needle(vm, &args, "count")?;
    if p.is_empty() {
        return Ok(Value::Int(b.len() as i64 + 1));
    }
    let (mut n, mut at) = (0, 0);
    while let Some(i) = find_bytes(&b, &p, at) {
        n += 1;
        at = i + p.len();
    }
    Ok(Value::Int(n))
}

fn bytes_replace(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let b = bytes_arg(vm, &args, 0, "replace")?;
    let old = bytes_arg(vm, &args, 1, "replace")?;
    let new = bytes_arg(vm, &args, 2, "replace")?;
    let limit = match args.pos.get(3) {
        Some(v) => vm.index_value(v)?,
        None => -1,
    };
    let mut out = Vec::new();
    let (mut at, mut done) = (0, 0i64);
    while limit < 0 || done < limit {
        match find_bytes(&b, &old, at) {
            Some(i) if !old.is_empty() => {
                out.extend_from_slice(&b[at..i]);
                out.extend_from_slice(&new);
                at = i + old.len();
                done += 1;
            }
            _ => break,
        }
    }
    out.extend_from_slice(&b[at..]);
    Ok(like(&args, out))
}

fn bytes_split(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let b = bytes_arg(vm, &args, 0, "split")?;
    let parts: Vec<Value> = match args.pos.get(1) {
        None | Some(Value::None) => {
            b.split(|c| c.is_ascii_whitespace()).filter(|p| !p.is_empty()).map(|p| like(&args, p.to_vec())).collect()
        }
        Some(_) => {
            let sep = bytes_arg(vm, &args, 1, "split")?;
            if sep.is_empty() {
                return Err(vm.value_error("empty separator"));
            }
            let mut out = Vec::new();
            let mut at = 0;
            while let Some(i) = find_bytes(&b, &sep, at) {
                out.push(like(&args, b[at..i].to_vec()));
                at = i + sep.len();
            }
            out.push(like(&args, b[at..].to_vec()));
            out
        }
    };
    Ok(Value::list(parts))
}

/// strip (both ends), lstrip (`left` only) and rstrip (`right` only).
fn strip_ends(vm: &mut Vm, args: &Args, name: &str, left: bool, right: bool) -> PyResult<Value> {
    let b = bytes_arg(vm, args, 0, name)?;
    let chars: Vec<u8> = match args.pos.get(1) {
        None | Some(Value::None) => b" \t\n\r\x0b\x0c".to_vec(),
        Some(_) => bytes_arg(vm, args, 1, name)?,
    };
    let start = if left { b.iter().position(|c| !chars.contains(c)).unwrap_or(b.len()) } else { 0 };
    let end = if right { b.iter().rposition(|c| !chars.contains(c)).map_or(start, |i| i + 1) } else { b.len() };
    Ok(like(args, b[start..end.max(start)].to_vec()))
}

fn bytes_strip(vm: &mut Vm, args: Args) -> PyResult<Value> {
    strip_ends(vm, &args, "strip", true, true)
}

fn bytes_lstrip(vm: &mut Vm, args: Args) -> PyResult<Value> {
    strip_ends(vm, &args, "lstrip", true, false)
}

fn bytes_rstrip(vm: &mut Vm, args: Args) -> PyResult<Value> {
    strip_ends(vm, &args, "rstrip", false, true)
}

fn bytes_join(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let sep = bytes_arg(vm, &args, 0, "join")?;
    let src = arg(vm, &args, 1, "join")?;
    let items = vm.collect(&src)?;
    let mut out = Vec::new();
    for (i, it) in items.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(&sep);
        }
        match super::bytes_like(it) {
            Some(b) => out.extend_from_slice(&b),
            None => {
                let msg = format!("sequence item {i}: expected a bytes-like object, {} found", vm.type_name(it));
                return Err(vm.type_error(&msg));
            }
        }
    }
    Ok(like(&args, out))
}

fn bytes_isalpha(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let b = bytes_arg(vm, &args, 0, "isalpha")?;
    Ok(Value::Bool(!b.is_empty() && b.iter().all(|c| c.is_ascii_alphabetic())))
}

fn bytes_isdigit(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let b = bytes_arg(vm, &args, 0, "isdigit")?;
    Ok(Value::Bool(!b.is_empty() && b.iter().all(|c| c.is_ascii_digit())))
}

fn bytes_isspace(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let b = bytes_arg(vm, &args, 0, "isspace")?;
    Ok(Value::Bool(!b.is_empty() && b.iter().all(|c| b" \t\n\r\x0b\x0c".contains(c))))
}

fn bytes_isalnum(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let b = bytes_arg(vm, &args, 0, "isalnum")?;
    Ok(Value::Bool(!b.is_empty() && b.iter().all(|c| c.is_ascii_alphanumeric())))
}

// The mutating methods of bytearray.

fn self_ba<'a>(vm: &mut Vm, args: &'a Args, name: &str) -> PyResult<&'a ByteArrayObj> {
    match args.pos.first().and_then(|v| v.obj()) {
        Some(Object::ByteArray(b)) => Ok(b),
        _ => {
            let what = args.pos.first().map_or("nothing".to_string(), |v| vm.type_name(v));
            let msg = format!("descriptor '{name}' for 'bytearray' objects doesn't apply to a '{what}' object");
            Err(vm.type_error(&msg))
        }
    }
}

/// One byte given as an int (`ba.append(65)`, `ba[0] = 65`).
pub fn byte_value(vm: &mut Vm, v: &Value) -> PyResult<u8> {
    byte_in_range(vm, v, "byte must be in range(0, 256)")
}

fn byte_in_range(vm: &mut Vm, v: &Value, range_msg: &str) -> PyResult<u8> {
    let i = match v {
        Value::Int(_) | Value::Bool(_) => vm.index_value(v)?,
        Value::Obj(o) if matches!(&**o, Object::BigInt(_)) => -1,
        _ => match vm.index_value(v) {
            Ok(i) => i,
            Err(_) => {
                let msg = format!("'{}' object cannot be interpreted as an integer", vm.type_name(v));
                return Err(vm.type_error(&msg));
            }
        },
    };
    u8::try_from(i).map_err(|_| vm.value_error(range_msg))
}

/// The bytes of an iterable of ints or a bytes-like value (`extend`, slice assignment);
/// `what` names the type being built, for the out-of-range message.
pub fn bytes_of_iterable(vm: &mut Vm, v: &Value, what: &str) -> PyResult<Vec<u8>> {
    let range_msg = if what == "bytes" { "bytes must be in range(0, 256)" } else { "byte must be in range(0, 256)" };
    if let Some(b) = super::bytes_like(v) {
        return Ok(b);
    }
    let items = vm.collect(v)?;
    let mut out = Vec::with_capacity(items.len());
    for it in &items {
        out.push(byte_in_range(vm, it, range_msg)?);
    }
    Ok(out)
}

fn ba_append(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let x = arg(vm, &args, 1, "append")?;
    let b = byte_value(vm, &x)?;
    self_ba(vm, &args, "append")?.lock().push(b);
    Ok(Value::None)
}

fn ba_extend(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let x = arg(vm, &args, 1, "extend")?;
    let more = match bytes_of_iterable(vm, &x, "bytearray") {
        Ok(b) => b,
        Err(_) if !vm.is_iterable(&x) => {
            let msg = format!("can't extend bytearray with {}", vm.type_name(&x));
            return Err(vm.type_error(&msg));
        }
        Err(e) => return Err(e),
    };
    self_ba(vm, &args, "extend")?.lock().extend_from_slice(&more);
    Ok(Value::None)
}

fn ba_pop(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let i = match args.pos.get(1) {
        Some(v) => vm.index_value(v)?,
        None => -1,
    };
    let ba = self_ba(vm, &args, "pop")?;
    let mut g = ba.lock();
    if g.is_empty() {
        drop(g);
        return Err(vm.error(Exc::IndexError, "pop from empty bytearray"));
    }
    let n = g.len() as i64;
    let j = if i < 0 { i + n } else { i };
    if !(0..n).contains(&j) {
        drop(g);
        return Err(vm.error(Exc::IndexError, "pop index out of range"));
    }
    Ok(Value::Int(g.remove(j as usize) as i64))
}

fn ba_insert(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let i = arg(vm, &args, 1, "insert")?;
    let i = vm.index_value(&i)?;
    let x = arg(vm, &args, 2, "insert")?;
    let b = byte_value(vm, &x)?;
    let mut g = self_ba(vm, &args, "insert")?.lock();
    let n = g.len() as i64;
    let j = if i < 0 { (i + n).max(0) } else { i.min(n) };
    g.insert(j as usize, b);
    Ok(Value::None)
}

fn ba_remove(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let x = arg(vm, &args, 1, "remove")?;
    let b = byte_value(vm, &x)?;
    let mut g = self_ba(vm, &args, "remove")?.lock();
    match g.iter().position(|&c| c == b) {
        Some(i) => {
            g.remove(i);
            Ok(Value::None)
        }
        None => {
            drop(g);
            Err(vm.value_error("value not found in bytearray"))
        }
    }
}

fn ba_clear(vm: &mut Vm, args: Args) -> PyResult<Value> {
    self_ba(vm, &args, "clear")?.lock().clear();
    Ok(Value::None)
}

fn ba_copy(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let b = self_ba(vm, &args, "copy")?.snapshot();
    Ok(new_bytearray(b))
}

fn ba_reverse(vm: &mut Vm, args: Args) -> PyResult<Value> {
    self_ba(vm, &args, "reverse")?.lock().reverse();
    Ok(Value::None)
}
