//! `_json`: the native encoder and scanner under the conc module `json`
//! (`stdlib/lib/json/__init__.conc`); `encoder.rs` writes JSON text and
//! `scanner.rs` parses it, which holds the public classes and the
//! keyword handling. The encoder calls back the `default` it is given, so a
//! script's `JSONEncoder` subclass overriding `default` works unchanged.

mod encoder;
mod scanner;

use crate::util::natives;
use conc_interpreter::native::{native, BytesLike, Exc};
use conc_interpreter::{ObjRef, PyResult, Value, Vm};

pub fn init(_vm: &mut Vm, m: &ObjRef) -> PyResult<()> {
    natives(m, &[&encode::DEF, &scan::DEF, &encode_basestring::DEF, &decode_wide::DEF]);
    Ok(())
}

fn opt(v: Value) -> Option<Value> {
    if v.is_none() {
        None
    } else {
        Some(v)
    }
}

fn text_of(vm: &mut Vm, v: &Value, what: &str) -> PyResult<String> {
    match v.as_str() {
        Some(s) => Ok(s.as_str().to_string()),
        None => {
            let msg = format!("{what} must be str, not {}", vm.type_name(v));
            Err(vm.type_error(&msg))
        }
    }
}

/// encode(obj, skipkeys, ensure_ascii, check_circular, allow_nan, sort_keys, indent,
/// item_separator, key_separator, default) -> str: the JSON text of obj. `indent` is
/// None or the str repeated per level; `default` is None or a callable.
#[native(
    "_json.encode(obj, skipkeys, ensure_ascii, check_circular, allow_nan, sort_keys, indent, item_separator, key_separator, default, /)"
)]
#[allow(clippy::too_many_arguments)]
fn encode(
    vm: &mut Vm,
    obj: Value,
    skipkeys: bool,
    ensure_ascii: bool,
    check_circular: bool,
    allow_nan: bool,
    sort_keys: bool,
    indent: Value,
    item_separator: Value,
    key_separator: Value,
    default: Value,
) -> PyResult<String> {
    let indent = match opt(indent) {
        Some(v) => Some(text_of(vm, &v, "indent")?),
        None => None,
    };
    let opts = encoder::Options {
        skipkeys,
        ensure_ascii,
        check_circular,
        allow_nan,
        sort_keys,
        indent,
        // CPython checks the key separator first and names both by their place
        // among its encoder's arguments.
        key_sep: text_of(vm, &key_separator, "make_encoder() argument 5")?,
        item_sep: text_of(vm, &item_separator, "make_encoder() argument 6")?,
        default: opt(default),
    };
    let mut e = encoder::Encoder::new(&opts);
    e.value(vm, &obj)?;
    Ok(e.out)
}

/// encode_basestring(s, ensure_ascii) -> str: s as a JSON string literal.
#[native("_json.encode_basestring(s, ensure_ascii, /)")]
fn encode_basestring(_vm: &mut Vm, s: &str, ensure_ascii: bool) -> PyResult<String> {
    let mut out = String::with_capacity(s.len() + 2);
    encoder::write_string(&mut out, s, ensure_ascii);
    Ok(out)
}

/// scan(s, idx, whole, strict, object_hook, object_pairs_hook, parse_float, parse_int,
/// parse_constant, error_class) -> (value, end): the JSON value starting at char idx
/// and the char index after it. With `whole`, white space is skipped around the value
/// and anything after it is "Extra data" (what `JSONDecoder.decode` does).
#[native(
    "_json.scan(s, idx, whole, strict, object_hook, object_pairs_hook, parse_float, parse_int, parse_constant, error_class, /)"
)]
#[allow(clippy::too_many_arguments)]
fn scan(
    vm: &mut Vm,
    s: Value,
    idx: i64,
    whole: bool,
    strict: bool,
    object_hook: Value,
    object_pairs_hook: Value,
    parse_float: Value,
    parse_int: Value,
    parse_constant: Value,
    error_class: Value,
) -> PyResult<Value> {
    let Some(so) = s.as_str() else {
        let msg = format!("first argument must be a string, not {}", vm.type_name(&s));
        return Err(vm.type_error(&msg));
    };
    let hooks = scanner::Hooks {
        strict,
        object_hook: opt(object_hook),
        object_pairs_hook: opt(object_pairs_hook),
        parse_float: opt(parse_float),
        parse_int: opt(parse_int),
        parse_constant: opt(parse_constant),
        error_class,
        doc: s.clone(),
    };
    let text = so.as_str();
    let sc = scanner::Scanner::new(text, &hooks);
    if idx < 0 {
        return Err(vm.value_error("idx cannot be negative"));
    }
    if idx as usize >= so.char_len() && !whole {
        // Nothing left to scan: the error names the index asked for, even past the end.
        return Err(scanner::decode_error(vm, &hooks, "Expecting value", idx as usize));
    }
    let mut at = so.byte_offset(idx as usize);
    if whole {
        at = skip_ws(text, at);
    }
    let (v, mut end) = sc.scan(vm, at)?;
    if whole {
        end = skip_ws(text, end);
        if end != text.len() {
            return Err(sc.error(vm, "Extra data", end));
        }
    }
    let end = sc.char_index(end);
    Ok(Value::tuple(vec![v, Value::Int(end as i64)]))
}

fn skip_ws(text: &str, mut i: usize) -> usize {
    let b = text.as_bytes();
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// decode_wide(b, encoding) -> str: bytes in one of the UTF-16/UTF-32 encodings
/// `json.loads` detects ('utf-16', 'utf-16-le', 'utf-16-be', 'utf-32', 'utf-32-le',
/// 'utf-32-be'; the unsuffixed ones start with a byte order mark). conc's
/// `bytes.decode` knows only UTF-8, so these are decoded here.
#[native("_json.decode_wide(b, encoding, /)")]
fn decode_wide(vm: &mut Vm, b: BytesLike, encoding: &str) -> PyResult<String> {
    let mut data: &[u8] = &b;
    let (width, mut little) = match encoding {
        "utf-16" | "utf-16-le" => (2, true),
        "utf-16-be" => (2, false),
        "utf-32" | "utf-32-le" => (4, true),
        "utf-32-be" => (4, false),
        _ => return Err(vm.value_error(&format!("unknown encoding: {encoding}"))),
    };
    if encoding == "utf-16" || encoding == "utf-32" {
        let (le, be): (&[u8], &[u8]) =
            if width == 2 { (&[0xff, 0xfe], &[0xfe, 0xff]) } else { (&[0xff, 0xfe, 0, 0], &[0, 0, 0xfe, 0xff]) };
        if data.starts_with(le) {
            data = &data[width..];
        } else if data.starts_with(be) {
            data = &data[width..];
            little = false;
        }
    }
    // CPython's wording: one byte is shown by value, a run by its first and last
    // position. Positions count from the start of the given bytes, mark included.
    let skipped = b.len() - data.len();
    let fail = |vm: &mut Vm, start: usize, end: usize, why: &str| {
        let what = if end - start == 1 {
            format!("byte 0x{:02x} in position {}", data[start], start + skipped)
        } else {
            format!("bytes in position {}-{}", start + skipped, end + skipped - 1)
        };
        vm.error(Exc::UnicodeDecodeError, &format!("'{encoding}' codec can't decode {what}: {why}"))
    };
    let whole = data.len() - data.len() % width;
    if whole != data.len() {
        return Err(fail(vm, whole, data.len(), "truncated data"));
    }
    let units = data.chunks_exact(width).map(|c| {
        let mut v: u32 = 0;
        for k in 0..width {
            let byte = if little { c[width - 1 - k] } else { c[k] };
            v = (v << 8) | byte as u32;
        }
        v
    });
    // CPython decodes with 'surrogatepass', so a lone surrogate becomes a str
    // char; a conc str cannot hold one.
    let lone = |vm: &mut Vm, u: u32| {
        let msg = format!("json: the lone surrogate \\u{u:04x} cannot be held in a conc str");
        vm.error(Exc::NotImplementedError, &msg)
    };
    let mut out = String::with_capacity(data.len() / width);
    if width == 2 {
        let units: Vec<u16> = units.map(|u| u as u16).collect();
        for c in char::decode_utf16(units) {
            match c {
                Ok(c) => out.push(c),
                Err(e) => return Err(lone(vm, e.unpaired_surrogate() as u32)),
            }
        }
    } else {
        for (n, u) in units.enumerate() {
            match char::from_u32(u) {
                Some(c) => out.push(c),
                None if (0xd800..0xe000).contains(&u) => return Err(lone(vm, u)),
                None => return Err(fail(vm, n * 4, n * 4 + 4, "code point not in range(0x110000)")),
            }
        }
    }
    Ok(out)
}
