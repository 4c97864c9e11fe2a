//! `binascii`: base64 and hex text of binary data, CRC-32 and CRC-CCITT. The conc
//! module `base64` builds its encodings on these.

use crate::util::{natives, set};
use conc_interpreter::interp::new_class;
use conc_interpreter::native::{native, Exc};
use conc_interpreter::value::class::BaseKind;
use conc_interpreter::{ObjRef, Object, PyErr, PyResult, Value, Vm};
use std::sync::OnceLock;

/// `binascii.Error`, a ValueError.
fn error_class() -> &'static ObjRef {
    static C: OnceLock<ObjRef> = OnceLock::new();
    C.get_or_init(|| {
        new_class(
            "Error",
            "binascii",
            vec![Exc::ValueError.class().clone()],
            BaseKind::Exception,
            true,
            Default::default(),
        )
    })
}

/// `binascii.Incomplete`.
fn incomplete_class() -> &'static ObjRef {
    static C: OnceLock<ObjRef> = OnceLock::new();
    C.get_or_init(|| {
        new_class(
            "Incomplete",
            "binascii",
            vec![Exc::Exception.class().clone()],
            BaseKind::Exception,
            true,
            Default::default(),
        )
    })
}

fn binascii_error(vm: &mut Vm, msg: &str) -> PyErr {
    vm.new_exception(error_class(), vec![Value::str(msg)])
}

fn bytes_value(data: Vec<u8>) -> Value {
    Value::new(Object::Bytes(data.into_boxed_slice()))
}

/// The bytes of a bytes-like argument.
fn data_of(vm: &mut Vm, v: &Value) -> PyResult<Vec<u8>> {
    match v.unwrap_base().obj() {
        Some(Object::Bytes(b)) => Ok(b.to_vec()),
        Some(Object::ByteArray(b)) => Ok(b.snapshot()),
        _ => {
            let msg = format!("a bytes-like object is required, not '{}'", vm.type_name(v));
            Err(vm.type_error(&msg))
        }
    }
}

/// What the a2b_ functions accept: bytes-like objects and ASCII-only str.
fn ascii_data_of(vm: &mut Vm, v: &Value) -> PyResult<Vec<u8>> {
    if let Some(s) = v.as_str() {
        if !s.as_str().is_ascii() {
            return Err(vm.value_error("string argument should contain only ASCII characters"));
        }
        return Ok(s.as_str().as_bytes().to_vec());
    }
    match v.unwrap_base().obj() {
        Some(Object::Bytes(_)) | Some(Object::ByteArray(_)) => data_of(vm, v),
        _ => {
            let msg = format!("argument should be bytes, buffer or ASCII string, not '{}'", vm.type_name(v));
            Err(vm.type_error(&msg))
        }
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn b64_value(c: u8) -> Option<u32> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    } as u32)
}

/// Base64-code line of data.
#[native("binascii.b2a_base64(data, /, *, newline=True)")]
fn b2a_base64(vm: &mut Vm, data: Value, newline: bool) -> PyResult<Value> {
    let data = data_of(vm, &data)?;
    let mut out = Vec::with_capacity(data.len().div_ceil(3) * 4 + 1);
    for chunk in data.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (k, b)| acc | (*b as u32) << (16 - 8 * k));
        let shown = chunk.len() + 1;
        for k in 0..4 {
            if k < shown {
                out.push(B64[((n >> (18 - 6 * k)) & 63) as usize]);
            } else {
                out.push(b'=');
            }
        }
    }
    if newline {
        out.push(b'\n');
    }
    Ok(bytes_value(out))
}

/// Decode a line of base64 data.
#[native("binascii.a2b_base64(data, /, *, strict_mode=False)")]
fn a2b_base64(vm: &mut Vm, data: Value, strict_mode: bool) -> PyResult<Value> {
    let text = ascii_data_of(vm, &data)?;
    if strict_mode {
        return strict_base64(vm, &text);
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut acc = 0u32;
    let mut position = 0usize;
    let mut pads = 0usize;
    let mut count = 0usize;
    let mut finished = false;
    for &c in &text {
        if c == b'=' {
            // Padding counts only after two characters of a group; once the
            // group is complete, decoding stops.
            if position >= 2 {
                pads += 1;
                if position + pads >= 4 {
                    finished = true;
                    break;
                }
            }
            continue;
        }
        let Some(v) = b64_value(c) else { continue };
        pads = 0;
        count += 1;
        acc = (acc << 6) | v;
        position += 1;
        if position == 4 {
            out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]);
            acc = 0;
            position = 0;
        }
    }
    if !finished && position != 0 {
        if position == 1 {
            let msg = format!(
                "Invalid base64-encoded string: number of data characters ({count}) cannot be 1 more than a multiple of 4"
            );
            return Err(binascii_error(vm, &msg));
        }
        return Err(binascii_error(vm, "Incorrect padding"));
    }
    flush_partial(&mut out, acc, position);
    Ok(bytes_value(out))
}

fn flush_partial(out: &mut Vec<u8>, acc: u32, position: usize) {
    match position {
        2 => out.push((acc >> 4) as u8),
        3 => out.extend_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]),
        _ => {}
    }
}

/// strict_mode=True: only the alphabet, padding only at the end, no excess data.
fn strict_base64(vm: &mut Vm, text: &[u8]) -> PyResult<Value> {
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut position = 0usize;
    let mut pads = 0usize;
    if text.first() == Some(&b'=') {
        return Err(binascii_error(vm, "Leading padding not allowed"));
    }
    for &c in text {
        if c == b'=' {
            if position < 2 {
                return Err(binascii_error(vm, "Discontinuous padding not allowed"));
            }
            pads += 1;
            continue;
        }
        if pads > 0 {
            if position + pads >= 4 {
                return Err(binascii_error(vm, "Excess data after padding"));
            }
            return Err(binascii_error(vm, "Discontinuous padding not allowed"));
        }
        let Some(v) = b64_value(c) else {
            return Err(binascii_error(vm, "Only base64 data is allowed"));
        };
        acc = (acc << 6) | v;
        position += 1;
        if position == 4 {
            out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]);
            acc = 0;
            position = 0;
        }
    }
    if position == 1 {
        let msg = "Invalid base64-encoded string: number of data characters (1) cannot be 1 more than a multiple of 4";
        return Err(binascii_error(vm, msg));
    }
    if position != 0 && position + pads != 4 {
        return Err(binascii_error(vm, "Incorrect padding"));
    }
    flush_partial(&mut out, acc, position);
    Ok(bytes_value(out))
}

fn hex_text(vm: &mut Vm, data: &[u8], sep: Option<Value>, per: i64) -> PyResult<Vec<u8>> {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let sep = match sep {
        None => None,
        Some(v) if v.is_none() => None,
        Some(v) => {
            let b = if let Some(s) = v.as_str() { s.as_str().as_bytes().to_vec() } else { data_of(vm, &v)? };
            if b.len() != 1 {
                return Err(vm.value_error("sep must be length 1."));
            }
            if !b[0].is_ascii() {
                return Err(vm.value_error("sep must be ASCII."));
            }
            Some(b[0])
        }
    };
    let mut out = Vec::with_capacity(data.len() * 3);
    let group = per.unsigned_abs() as usize;
    for (k, b) in data.iter().enumerate() {
        if let Some(s) = sep {
            if k > 0 && group > 0 {
                // Groups count from the right for a positive bytes_per_sep.
                let boundary = if per > 0 { (data.len() - k) % group == 0 } else { k % group == 0 };
                if boundary {
                    out.push(s);
                }
            }
        }
        out.push(DIGITS[(b >> 4) as usize]);
        out.push(DIGITS[(b & 15) as usize]);
    }
    Ok(out)
}

/// Hexadecimal representation of binary data.
#[native("binascii.hexlify(data, sep=None, bytes_per_sep=1)")]
fn hexlify(vm: &mut Vm, data: Value, sep: Option<Value>, bytes_per_sep: i64) -> PyResult<Value> {
    let data = data_of(vm, &data)?;
    Ok(bytes_value(hex_text(vm, &data, sep, bytes_per_sep)?))
}

/// Hexadecimal representation of binary data.
#[native("binascii.b2a_hex(data, sep=None, bytes_per_sep=1)")]
fn b2a_hex(vm: &mut Vm, data: Value, sep: Option<Value>, bytes_per_sep: i64) -> PyResult<Value> {
    let data = data_of(vm, &data)?;
    Ok(bytes_value(hex_text(vm, &data, sep, bytes_per_sep)?))
}

fn from_hex(vm: &mut Vm, v: &Value) -> PyResult<Value> {
    let text = ascii_data_of(vm, v)?;
    if text.len() % 2 != 0 {
        return Err(binascii_error(vm, "Odd-length string"));
    }
    let mut out = Vec::with_capacity(text.len() / 2);
    for pair in text.chunks(2) {
        let hi = (pair[0] as char).to_digit(16);
        let lo = (pair[1] as char).to_digit(16);
        match (hi, lo) {
            (Some(h), Some(l)) => out.push((h * 16 + l) as u8),
            _ => return Err(binascii_error(vm, "Non-hexadecimal digit found")),
        }
    }
    Ok(bytes_value(out))
}

/// Binary data of hexadecimal representation.
#[native("binascii.unhexlify(hexstr, /)")]
fn unhexlify(vm: &mut Vm, hexstr: Value) -> PyResult<Value> {
    from_hex(vm, &hexstr)
}

/// Binary data of hexadecimal representation.
#[native("binascii.a2b_hex(hexstr, /)")]
fn a2b_hex(vm: &mut Vm, hexstr: Value) -> PyResult<Value> {
    from_hex(vm, &hexstr)
}

fn crc32_table() -> &'static [u32; 256] {
    static T: OnceLock<[u32; 256]> = OnceLock::new();
    T.get_or_init(|| {
        let mut t = [0u32; 256];
        for (n, slot) in t.iter_mut().enumerate() {
            let mut c = n as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            }
            *slot = c;
        }
        t
    })
}

/// Compute CRC-32 incrementally.
#[native("binascii.crc32(data, crc=0, /)")]
fn crc32(vm: &mut Vm, data: Value, crc: Value) -> PyResult<i64> {
    let data = data_of(vm, &data)?;
    let start = vm.index_value_big(&crc)?;
    let start = (start & num_bigint::BigInt::from(0xFFFF_FFFFu32)).try_into().unwrap_or(0u32);
    let table = crc32_table();
    let mut c = !start;
    for b in data {
        c = table[((c ^ b as u32) & 0xff) as usize] ^ (c >> 8);
    }
    Ok((!c) as i64)
}

/// Compute CRC-CCITT incrementally.
#[native("binascii.crc_hqx(data, crc, /)")]
fn crc_hqx(vm: &mut Vm, data: Value, crc: i64) -> PyResult<i64> {
    let data = data_of(vm, &data)?;
    let mut c = (crc & 0xffff) as u16;
    for b in data {
        c ^= (b as u16) << 8;
        for _ in 0..8 {
            c = if c & 0x8000 != 0 { (c << 1) ^ 0x1021 } else { c << 1 };
        }
    }
    Ok(c as i64)
}

pub fn init(_vm: &mut Vm, m: &ObjRef) -> PyResult<()> {
    set(m, "Error", Value::Obj(error_class().clone()));
    set(m, "Incomplete", Value::Obj(incomplete_class().clone()));
    natives(
        m,
        &[
            &b2a_base64::DEF,
            &a2b_base64::DEF,
            &hexlify::DEF,
            &b2a_hex::DEF,
            &unhexlify::DEF,
            &a2b_hex::DEF,
            &crc32::DEF,
            &crc_hqx::DEF,
        ],
    );
    Ok(())
}
