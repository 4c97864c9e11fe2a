//! Methods of `bytes` and `bytearray`. The read-only ones are shared (a bytearray's
//! contents are copied out of its lock first) and give a result of the receiver's
//! type; the mutating ones are bytearray's alone.

use super::str_methods::decode_bytes;
use crate::interp::{add_natives, set_class_attr, types};
use crate::native::{native, wrong_self, ArgRef, BytesLike, Exc, FromArg, FromSelf, Signature, SliceBound};
use crate::value::bytearray::ByteArrayObj;
use crate::value::function::BuiltinObj;
use crate::value::{ObjRef, Object, Value};
use crate::vm::{PyResult, Vm};

/// Methods both types have.
const SHARED: &[&crate::native::NativeDef] = &[
    &decode::DEF,
    &hex::DEF,
    &upper::DEF,
    &lower::DEF,
    &startswith::DEF,
    &endswith::DEF,
    &find::DEF,
    &rfind::DEF,
    &index::DEF,
    &count::DEF,
    &replace::DEF,
    &split::DEF,
    &strip::DEF,
    &lstrip::DEF,
    &rstrip::DEF,
    &join::DEF,
    &isalpha::DEF,
    &isdigit::DEF,
    &isspace::DEF,
    &isalnum::DEF,
    &super::bytes_more::capitalize::DEF,
    &super::bytes_more::center::DEF,
    &super::bytes_more::ljust::DEF,
    &super::bytes_more::rjust::DEF,
    &super::bytes_more::zfill::DEF,
    &super::bytes_more::expandtabs::DEF,
    &super::bytes_more::isascii::DEF,
    &super::bytes_more::islower::DEF,
    &super::bytes_more::isupper::DEF,
    &super::bytes_more::istitle::DEF,
    &super::bytes_more::swapcase::DEF,
    &super::bytes_more::title::DEF,
    &super::bytes_more::partition::DEF,
    &super::bytes_more::rpartition::DEF,
    &super::bytes_more::removeprefix::DEF,
    &super::bytes_more::removesuffix::DEF,
    &super::bytes_more::rindex::DEF,
    &super::bytes_more::rsplit::DEF,
    &super::bytes_more::splitlines::DEF,
    &super::bytes_more::translate::DEF,
];

pub fn register(_vm: &mut Vm) {
    let t = types();
    use super::list_methods as seq;
    add_natives(
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
    add_natives(
        &t.bytes,
        &[&seq::dunder_len::DEF, &seq::dunder_getitem::DEF, &seq::dunder_contains::DEF, &seq::dunder_iter::DEF],
    );
    add_natives(&t.bytes, SHARED);
    add_natives(&t.bytearray, SHARED);
    add_natives(
        &t.bytearray,
        &[&append::DEF, &extend::DEF, &pop::DEF, &insert::DEF, &remove::DEF, &clear::DEF, &copy::DEF, &reverse::DEF],
    );
    super::bytes_more::register_maketrans();
    for (cls, qual) in [(&t.bytes, "bytes.fromhex"), (&t.bytearray, "bytearray.fromhex")] {
        let f = BuiltinObj::declared(&fromhex::DEF, qual.to_string());
        set_class_attr(
            cls,
            "fromhex",
            Value::new(Object::ClassMethod(Value::Obj(ObjRef::new_immortal(Object::Builtin(f))))),
        );
    }
}

/// `self` of a method that bytes and bytearray share: the bytes (borrowed from a bytes
/// object, copied out of a bytearray's lock) and whether the method is bytearray's,
/// whose results are bytearrays. Each type's method takes only its own type's values.
pub struct Bytes<'a> {
    data: BytesLike<'a>,
    array: bool,
}

impl<'a> FromSelf<'a> for Bytes<'a> {
    #[inline]
    fn from_self(vm: &mut Vm, v: &'a Value, sig: &'static Signature, b: &BuiltinObj) -> PyResult<Self> {
        let array = b.owner.as_ref().is_some_and(|o| o.ptr_eq(&types().bytearray));
        match (v.unwrap_base().obj(), array) {
            (Some(Object::Bytes(x)), false) => Ok(Bytes { data: BytesLike::Borrowed(x), array }),
            (Some(Object::ByteArray(x)), true) => Ok(Bytes { data: BytesLike::Owned(x.snapshot()), array }),
            _ => Err(wrong_self(vm, v, sig, if array { "bytearray" } else { "bytes" })),
        }
    }
}

impl Bytes<'_> {
    /// A result of the receiver's type.
    pub(super) fn make(&self, b: Vec<u8>) -> Value {
        if self.array {
            new_bytearray(b)
        } else {
            new_bytes(b)
        }
    }
}

impl std::ops::Deref for Bytes<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.data
    }
}

/// `self` of bytearray's own methods.
impl<'a> FromSelf<'a> for &'a ByteArrayObj {
    #[inline]
    fn from_self(vm: &mut Vm, v: &'a Value, sig: &'static Signature, _b: &BuiltinObj) -> PyResult<Self> {
        match v.unwrap_base().obj() {
            Some(Object::ByteArray(x)) => Ok(x),
            _ => Err(wrong_self(vm, v, sig, "bytearray")),
        }
    }
}

/// An int CPython converts to a C `int` (`bytes_per_sep`).
struct CInt(i32);

impl<'a> FromArg<'a> for CInt {
    fn from_arg(vm: &mut Vm, v: &'a Value, _at: ArgRef) -> PyResult<Self> {
        let big = vm.index_value_big(v)?;
        match i32::try_from(&big) {
            Ok(i) => Ok(CInt(i)),
            Err(_) => Err(vm.error(Exc::OverflowError, "Python int too large to convert to C int")),
        }
    }
}

impl From<i64> for CInt {
    fn from(i: i64) -> Self {
        CInt(i as i32)
    }
}

/// The sub-sequence of find, index and count: bytes-like, or one byte as an int.
pub(super) enum Needle<'a> {
    Byte([u8; 1]),
    Seq(BytesLike<'a>),
}

impl std::ops::Deref for Needle<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Needle::Byte(b) => b,
            Needle::Seq(s) => s,
        }
    }
}

impl<'a> FromArg<'a> for Needle<'a> {
    fn from_arg(vm: &mut Vm, v: &'a Value, at: ArgRef) -> PyResult<Self> {
        match v.unwrap_base().obj() {
            Some(Object::Bytes(_) | Object::ByteArray(_)) => BytesLike::from_arg(vm, v, at).map(Needle::Seq),
            _ => {
                let is_int = matches!(v, Value::Int(_) | Value::Bool(_))
                    || matches!(v.unwrap_base(), Value::Int(_) | Value::Bool(_))
                    || matches!(v.unwrap_base().obj(), Some(Object::BigInt(_)))
                    || vm.lookup_type_attr(&vm.class_of(v), &crate::value::str::intern("__index__")).is_some();
                if !is_int {
                    let msg = format!("argument should be integer or bytes-like object, not '{}'", vm.type_name(v));
                    return Err(vm.type_error(&msg));
                }
                byte_value(vm, v).map(|b| Needle::Byte([b]))
            }
        }
    }
}

pub fn new_bytes(b: Vec<u8>) -> Value {
    Value::new(Object::Bytes(b.into_boxed_slice()))
}

pub fn new_bytearray(b: Vec<u8>) -> Value {
    Value::new(Object::ByteArray(ByteArrayObj::new(b)))
}

/// The whitespace of bytes methods (ASCII's, with the vertical tab).
pub(super) fn is_space(c: &u8) -> bool {
    b" \t\n\r\x0b\x0c".contains(c)
}

/// Decode the bytes using the codec registered for encoding.
///
///   encoding
///     The encoding with which to decode the bytes.
///   errors
///     The error handling scheme to use for the handling of decoding errors.
///     The default is 'strict' meaning that decoding errors raise a
///     UnicodeDecodeError. Other possible values are 'ignore' and 'replace'
///     as well as any other name registered with codecs.register_error that
///     can handle UnicodeDecodeErrors.
#[native("bytes.decode($self, /, encoding='utf-8', errors='strict')")]
fn decode(vm: &mut Vm, this: Bytes, encoding: &str, errors: &str) -> PyResult<String> {
    decode_bytes(vm, &this, encoding, errors)
}

/// Create a string of hexadecimal numbers from a bytes object.
///
///   sep
///     An optional single character or byte to separate hex bytes.
///   bytes_per_sep
///     How many bytes between separators.  Positive values count from the
///     right, negative values count from the left.
///
/// Example:
/// >>> value = b'\xb9\x01\xef'
/// >>> value.hex()
/// 'b901ef'
/// >>> value.hex(':')
/// 'b9:01:ef'
/// >>> value.hex(':', 2)
/// 'b9:01ef'
/// >>> value.hex(':', -2)
/// 'b901:ef'
#[native("bytes.hex($self, /, sep=<unrepresentable>, bytes_per_sep=1)")]
fn hex(vm: &mut Vm, this: Bytes, sep: Option<&Value>, bytes_per_sep: CInt) -> PyResult<String> {
    hex_of(vm, &this, sep, bytes_per_sep.0)
}

/// The hexadecimal digits of `b`, with `sep` between groups of `per` bytes (counted
/// from the right, or from the left when negative).
fn hex_of(vm: &mut Vm, b: &[u8], sep: Option<&Value>, per: i32) -> PyResult<String> {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let sep = match sep {
        None => None,
        Some(v) => {
            if super::functions::len_of(vm, v)? != 1 {
                return Err(vm.value_error("sep must be length 1."));
            }
            let c = match v.unwrap_base().obj() {
                Some(Object::Str(s)) => s.as_str().chars().next().map_or(0, |c| c as u32),
                Some(Object::Bytes(s)) => s[0] as u32,
                _ => return Err(vm.type_error("sep must be str or bytes.")),
            };
            if c > 127 {
                return Err(vm.value_error("sep must be ASCII."));
            }
            Some(c as u8 as char)
        }
    };
    let mut out = String::with_capacity(b.len() * 3);
    let k = per.unsigned_abs() as usize;
    for (i, c) in b.iter().enumerate() {
        if let Some(sep) = sep.filter(|_| k > 0 && i > 0) {
            // A separator before byte `i` when a group ends there.
            let boundary = if per > 0 { (b.len() - i).is_multiple_of(k) } else { i.is_multiple_of(k) };
            if boundary {
                out.push(sep);
            }
        }
        out.push(DIGITS[(c >> 4) as usize] as char);
        out.push(DIGITS[(c & 15) as usize] as char);
    }
    Ok(out)
}

/// Create a bytes object from a string of hexadecimal numbers.
///
/// Spaces between two numbers are accepted.
/// Example: bytes.fromhex('B9 01EF') -> b'\\xb9\\x01\\xef'.
#[native("bytes.fromhex($cls, string, /)")]
fn fromhex(vm: &mut Vm, cls: &ObjRef, string: &Value) -> PyResult<Value> {
    let Some(s) = string.as_str() else {
        let msg = format!("fromhex() argument must be str, not {}", vm.type_name(string));
        return Err(vm.type_error(&msg));
    };
    let s = s.as_str().as_bytes();
    let mut out = Vec::with_capacity(s.len() / 2);
    let mut i = 0;
    let digit = |c: u8| (c as char).to_digit(16);
    loop {
        while i < s.len() && is_space(&s[i]) {
            i += 1;
        }
        if i >= s.len() {
            break;
        }
        let (Some(h), Some(l)) = (digit(s[i]), s.get(i + 1).and_then(|&c| digit(c))) else {
            // The position of the offending character (CPython counts code points).
            let at = if digit(s[i]).is_some() { i + 1 } else { i };
            let at = String::from_utf8_lossy(&s[..at.min(s.len())]).chars().count();
            let msg = format!("non-hexadecimal number found in fromhex() arg at position {at}");
            return Err(vm.value_error(&msg));
        };
        out.push((h * 16 + l) as u8);
        i += 2;
    }
    // The receiver is the class: bytearray.fromhex gives a bytearray, and a derived
    // class is called with the result, as CPython does.
    let t = types();
    let r = if crate::value::class::is_subclass(cls, &t.bytearray) { new_bytearray(out) } else { new_bytes(out) };
    if cls.ptr_eq(&t.bytes) || cls.ptr_eq(&t.bytearray) {
        return Ok(r);
    }
    vm.call(&Value::Obj(cls.clone()), crate::vm::Args::new([r]))
}

/// B.upper() -> copy of B
///
/// Return a copy of B with all ASCII characters converted to uppercase.
#[native("bytes.upper($self, /)")]
fn upper(_vm: &mut Vm, this: Bytes) -> PyResult<Value> {
    Ok(this.make(this.to_ascii_uppercase()))
}

/// B.lower() -> copy of B
///
/// Return a copy of B with all ASCII characters converted to lowercase.
#[native("bytes.lower($self, /)")]
fn lower(_vm: &mut Vm, this: Bytes) -> PyResult<Value> {
    Ok(this.make(this.to_ascii_lowercase()))
}

/// `b[start:end]` with CPython's clamping of the bounds, and the index it starts at;
/// None when the start lies past the end.
fn window(b: &[u8], start: SliceBound, end: SliceBound) -> Option<(usize, &[u8])> {
    let n = b.len() as i64;
    let e = match end.0 {
        None => n,
        Some(e) if e > n => n,
        Some(e) if e < 0 => (e + n).max(0),
        Some(e) => e,
    };
    let s = match start.0 {
        None => 0,
        Some(s) if s < 0 => (s + n).max(0),
        Some(s) => s,
    };
    (s <= e).then(|| (s as usize, &b[s as usize..e as usize]))
}

/// startswith and endswith: bytes-like, or a tuple of them tried in turn.
fn affix(
    vm: &mut Vm,
    this: &[u8],
    pat: &Value,
    start: SliceBound,
    end: SliceBound,
    name: &str,
    ends: bool,
) -> PyResult<bool> {
    let hay = window(this, start, end).map(|w| w.1);
    let test = |p: &[u8]| hay.is_some_and(|h| if ends { h.ends_with(p) } else { h.starts_with(p) });
    match pat.unwrap_base().obj() {
        Some(Object::Bytes(p)) => Ok(test(p)),
        Some(Object::ByteArray(p)) => Ok(test(&p.snapshot())),
        Some(Object::Tuple(t)) => {
            for item in t.items() {
                let at = ArgRef { sig: &startswith::SIG, index: 0 };
                let p = BytesLike::from_arg(vm, item, at)?;
                if test(&p) {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        _ => {
            let msg = format!("{name} first arg must be bytes or a tuple of bytes, not {}", vm.type_name(pat));
            Err(vm.type_error(&msg))
        }
    }
}

/// B.startswith(prefix[, start[, end]]) -> bool
///
/// Return True if B starts with the specified prefix, False otherwise.
/// With optional start, test B beginning at that position.
/// With optional end, stop comparing B at that position.
/// prefix can also be a tuple of bytes to try.
#[native(
    "bytes.startswith($self, prefix, start=None{SliceBound(None)}, end=None{SliceBound(None)}, /)",
    style = "tuple"
)]
fn startswith(vm: &mut Vm, this: Bytes, prefix: &Value, start: SliceBound, end: SliceBound) -> PyResult<bool> {
    affix(vm, &this, prefix, start, end, "startswith", false)
}

/// B.endswith(suffix[, start[, end]]) -> bool
///
/// Return True if B ends with the specified suffix, False otherwise.
/// With optional start, test B beginning at that position.
/// With optional end, stop comparing B at that position.
/// suffix can also be a tuple of bytes to try.
#[native("bytes.endswith($self, suffix, start=None{SliceBound(None)}, end=None{SliceBound(None)}, /)", style = "tuple")]
fn endswith(vm: &mut Vm, this: Bytes, suffix: &Value, start: SliceBound, end: SliceBound) -> PyResult<bool> {
    affix(vm, &this, suffix, start, end, "endswith", true)
}

pub(super) fn find_bytes(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() {
        return (from <= hay.len()).then_some(from);
    }
    hay.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|i| i + from)
}

pub(super) fn rfind_bytes(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.len() > hay.len() {
        return None;
    }
    (0..=hay.len() - needle.len()).rev().find(|&i| hay[i..].starts_with(needle))
}

/// The index of the first (or last) `sub` in `b[start:end]`.
pub(super) fn find_in(b: &[u8], sub: &[u8], start: SliceBound, end: SliceBound, rev: bool) -> Option<usize> {
    let (at, hay) = window(b, start, end)?;
    let found = if rev { rfind_bytes(hay, sub) } else { find_bytes(hay, sub, 0) };
    found.map(|i| i + at)
}

/// B.find(sub[, start[, end]]) -> int
///
/// Return the lowest index in B where subsection sub is found,
/// such that sub is contained within B[start,end].  Optional
/// arguments start and end are interpreted as in slice notation.
///
/// Return -1 on failure.
#[native("bytes.find($self, sub, start=None{SliceBound(None)}, end=None{SliceBound(None)}, /)", style = "tuple")]
fn find(_vm: &mut Vm, this: Bytes, sub: Needle, start: SliceBound, end: SliceBound) -> PyResult<i64> {
    Ok(find_in(&this, &sub, start, end, false).map_or(-1, |i| i as i64))
}

/// B.rfind(sub[, start[, end]]) -> int
///
/// Return the highest index in B where subsection sub is found,
/// such that sub is contained within B[start,end].  Optional
/// arguments start and end are interpreted as in slice notation.
///
/// Return -1 on failure.
#[native("bytes.rfind($self, sub, start=None{SliceBound(None)}, end=None{SliceBound(None)}, /)", style = "tuple")]
fn rfind(_vm: &mut Vm, this: Bytes, sub: Needle, start: SliceBound, end: SliceBound) -> PyResult<i64> {
    Ok(find_in(&this, &sub, start, end, true).map_or(-1, |i| i as i64))
}

/// B.index(sub[, start[, end]]) -> int
///
/// Return the lowest index in B where subsection sub is found,
/// such that sub is contained within B[start,end].  Optional
/// arguments start and end are interpreted as in slice notation.
///
/// Raises ValueError when the subsection is not found.
#[native("bytes.index($self, sub, start=None{SliceBound(None)}, end=None{SliceBound(None)}, /)", style = "tuple")]
fn index(vm: &mut Vm, this: Bytes, sub: Needle, start: SliceBound, end: SliceBound) -> PyResult<usize> {
    match find_in(&this, &sub, start, end, false) {
        Some(i) => Ok(i),
        None => Err(vm.value_error("subsection not found")),
    }
}

/// B.count(sub[, start[, end]]) -> int
///
/// Return the number of non-overlapping occurrences of subsection sub in
/// bytes B[start:end].  Optional arguments start and end are interpreted
/// as in slice notation.
#[native("bytes.count($self, sub, start=None{SliceBound(None)}, end=None{SliceBound(None)}, /)", style = "tuple")]
fn count(_vm: &mut Vm, this: Bytes, sub: Needle, start: SliceBound, end: SliceBound) -> PyResult<usize> {
    let Some((_, hay)) = window(&this, start, end) else { return Ok(0) };
    if sub.is_empty() {
        return Ok(hay.len() + 1);
    }
    let (mut n, mut at) = (0, 0);
    while let Some(i) = find_bytes(hay, &sub, at) {
        n += 1;
        at = i + sub.len();
    }
    Ok(n)
}

/// Return a copy with all occurrences of substring old replaced by new.
///
///   count
///     Maximum number of occurrences to replace.
///     -1 (the default value) means replace all occurrences.
///
/// If the optional argument count is given, only the first count occurrences are
/// replaced.
#[native("bytes.replace($self, old, new, count=-1, /)")]
fn replace(_vm: &mut Vm, this: Bytes, old: BytesLike, new: BytesLike, count: i64) -> PyResult<Value> {
    let b: &[u8] = &this;
    let mut out = Vec::with_capacity(b.len());
    let (mut at, mut done) = (0, 0i64);
    if old.is_empty() {
        // An empty pattern matches before every byte and at the end.
        for c in b {
            if count < 0 || done < count {
                out.extend_from_slice(&new);
                done += 1;
            }
            out.push(*c);
        }
        if count < 0 || done < count {
            out.extend_from_slice(&new);
        }
        return Ok(this.make(out));
    }
    while count < 0 || done < count {
        match find_bytes(b, &old, at) {
            Some(i) => {
                out.extend_from_slice(&b[at..i]);
                out.extend_from_slice(&new);
                at = i + old.len();
                done += 1;
            }
            None => break,
        }
    }
    out.extend_from_slice(&b[at..]);
    Ok(this.make(out))
}

/// Return a list of the sections in the bytes, using sep as the delimiter.
///
///   sep
///     The delimiter according which to split the bytes.
///     None (the default value) means split on ASCII whitespace characters
///     (space, tab, return, newline, formfeed, vertical tab).
///   maxsplit
///     Maximum number of splits to do.
///     -1 (the default value) means no limit.
#[native("bytes.split($self, /, sep=None, maxsplit=-1)")]
fn split(vm: &mut Vm, this: Bytes, sep: Option<BytesLike>, maxsplit: i64) -> PyResult<Value> {
    let b: &[u8] = &this;
    let mut out = Vec::new();
    match sep {
        None => {
            let mut at = 0;
            loop {
                while at < b.len() && is_space(&b[at]) {
                    at += 1;
                }
                if at == b.len() {
                    break;
                }
                if maxsplit >= 0 && out.len() as i64 == maxsplit {
                    out.push(this.make(b[at..].to_vec()));
                    break;
                }
                let end = b[at..].iter().position(is_space).map_or(b.len(), |i| i + at);
                out.push(this.make(b[at..end].to_vec()));
                at = end;
            }
        }
        Some(sep) => {
            if sep.is_empty() {
                return Err(vm.value_error("empty separator"));
            }
            let mut at = 0;
            while maxsplit < 0 || (out.len() as i64) < maxsplit {
                let Some(i) = find_bytes(b, &sep, at) else { break };
                out.push(this.make(b[at..i].to_vec()));
                at = i + sep.len();
            }
            out.push(this.make(b[at..].to_vec()));
        }
    }
    Ok(Value::list(out))
}

/// strip (both ends), lstrip (`left` only) and rstrip (`right` only).
fn strip_ends(this: Bytes, chars: Option<BytesLike>, left: bool, right: bool) -> Value {
    let b: &[u8] = &this;
    let strip = |c: &u8| match &chars {
        None => is_space(c),
        Some(cs) => cs.contains(c),
    };
    let start = if left { b.iter().position(|c| !strip(c)).unwrap_or(b.len()) } else { 0 };
    let end = if right { b.iter().rposition(|c| !strip(c)).map_or(start, |i| i + 1) } else { b.len() };
    this.make(b[start..end.max(start)].to_vec())
}

/// Strip leading and trailing bytes contained in the argument.
///
/// If the argument is omitted or None, strip leading and trailing ASCII whitespace.
#[native("bytes.strip($self, bytes=None, /)")]
fn strip(_vm: &mut Vm, this: Bytes, bytes: Option<BytesLike>) -> PyResult<Value> {
    Ok(strip_ends(this, bytes, true, true))
}

/// Strip leading bytes contained in the argument.
///
/// If the argument is omitted or None, strip leading  ASCII whitespace.
#[native("bytes.lstrip($self, bytes=None, /)")]
fn lstrip(_vm: &mut Vm, this: Bytes, bytes: Option<BytesLike>) -> PyResult<Value> {
    Ok(strip_ends(this, bytes, true, false))
}

/// Strip trailing bytes contained in the argument.
///
/// If the argument is omitted or None, strip trailing ASCII whitespace.
#[native("bytes.rstrip($self, bytes=None, /)")]
fn rstrip(_vm: &mut Vm, this: Bytes, bytes: Option<BytesLike>) -> PyResult<Value> {
    Ok(strip_ends(this, bytes, false, true))
}

/// Concatenate any number of bytes objects.
///
/// The bytes whose method is called is inserted in between each pair.
///
/// The result is returned as a new bytes object.
///
/// Example: b'.'.join([b'ab', b'pq', b'rs']) -> b'ab.pq.rs'.
#[native("bytes.join($self, iterable_of_bytes, /)")]
fn join(vm: &mut Vm, this: Bytes, iterable_of_bytes: &Value) -> PyResult<Value> {
    let items = match iterable_of_bytes.obj() {
        Some(Object::List(l)) => l.snapshot(),
        Some(Object::Tuple(t)) => t.items().to_vec(),
        _ => {
            let it = match vm.get_iter(iterable_of_bytes) {
                Ok(it) => it,
                Err(e) if crate::value::class::is_subclass(&vm.class_of(&e.exc), Exc::TypeError.class()) => {
                    return Err(vm.type_error("can only join an iterable"))
                }
                Err(e) => return Err(e),
            };
            let mut items = Vec::new();
            while let Some(x) = vm.iter_next(&it)? {
                items.push(x);
            }
            items
        }
    };
    let mut out = Vec::new();
    for (i, it) in items.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(&this);
        }
        match it.unwrap_base().obj() {
            Some(Object::Bytes(b)) => out.extend_from_slice(b),
            Some(Object::ByteArray(b)) => out.extend_from_slice(&b.lock()),
            _ if super::memoryview::view_bytes(it).is_some() => {
                out.extend_from_slice(&super::memoryview::view_bytes(it).unwrap_or_default())
            }
            _ => {
                let msg = format!("sequence item {i}: expected a bytes-like object, {} found", vm.type_name(it));
                return Err(vm.type_error(&msg));
            }
        }
    }
    Ok(this.make(out))
}

/// True for non-empty bytes whose bytes all satisfy `f`.
pub(super) fn all_bytes(b: &[u8], f: fn(&u8) -> bool) -> bool {
    !b.is_empty() && b.iter().all(f)
}

/// B.isalpha() -> bool
///
/// Return True if all characters in B are alphabetic
/// and there is at least one character in B, False otherwise.
#[native("bytes.isalpha($self, /)")]
fn isalpha(_vm: &mut Vm, this: Bytes) -> PyResult<bool> {
    Ok(all_bytes(&this, u8::is_ascii_alphabetic))
}

/// B.isdigit() -> bool
///
/// Return True if all characters in B are digits
/// and there is at least one character in B, False otherwise.
#[native("bytes.isdigit($self, /)")]
fn isdigit(_vm: &mut Vm, this: Bytes) -> PyResult<bool> {
    Ok(all_bytes(&this, u8::is_ascii_digit))
}

/// B.isspace() -> bool
///
/// Return True if all characters in B are whitespace
/// and there is at least one character in B, False otherwise.
#[native("bytes.isspace($self, /)")]
fn isspace(_vm: &mut Vm, this: Bytes) -> PyResult<bool> {
    Ok(all_bytes(&this, is_space))
}

/// B.isalnum() -> bool
///
/// Return True if all characters in B are alphanumeric
/// and there is at least one character in B, False otherwise.
#[native("bytes.isalnum($self, /)")]
fn isalnum(_vm: &mut Vm, this: Bytes) -> PyResult<bool> {
    Ok(all_bytes(&this, u8::is_ascii_alphanumeric))
}

// The mutating methods of bytearray.

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

/// Append a single item to the end of the bytearray.
///
///   item
///     The item to be appended.
#[native("bytearray.append($self, item, /)")]
fn append(vm: &mut Vm, this: &ByteArrayObj, item: &Value) -> PyResult<()> {
    let b = byte_value(vm, item)?;
    this.lock().push(b);
    Ok(())
}

/// Append all the items from the iterator or sequence to the end of the bytearray.
///
///   iterable_of_ints
///     The iterable of items to append.
#[native("bytearray.extend($self, iterable_of_ints, /)")]
fn extend(vm: &mut Vm, this: &ByteArrayObj, iterable_of_ints: &Value) -> PyResult<()> {
    let x = iterable_of_ints;
    let more = match bytes_of_iterable(vm, x, "bytearray") {
        Ok(b) => b,
        Err(_) if !vm.is_iterable(x) => {
            let msg = format!("can't extend bytearray with {}", vm.type_name(x));
            return Err(vm.type_error(&msg));
        }
        Err(e) => return Err(e),
    };
    this.lock().extend_from_slice(&more);
    Ok(())
}

/// Remove and return a single item from B.
///
///   index
///     The index from where to remove the item.
///     -1 (the default value) means remove the last item.
///
/// If no index argument is given, will pop the last item.
#[native("bytearray.pop($self, index=-1, /)")]
fn pop(vm: &mut Vm, this: &ByteArrayObj, index: i64) -> PyResult<i64> {
    let mut g = this.lock();
    if g.is_empty() {
        drop(g);
        return Err(vm.error(Exc::IndexError, "pop from empty bytearray"));
    }
    let n = g.len() as i64;
    let j = if index < 0 { index + n } else { index };
    if !(0..n).contains(&j) {
        drop(g);
        return Err(vm.error(Exc::IndexError, "pop index out of range"));
    }
    Ok(g.remove(j as usize) as i64)
}

/// Insert a single item into the bytearray before the given index.
///
///   index
///     The index where the value is to be inserted.
///   item
///     The item to be inserted.
#[native("bytearray.insert($self, index, item, /)")]
fn insert(vm: &mut Vm, this: &ByteArrayObj, index: i64, item: &Value) -> PyResult<()> {
    let b = byte_value(vm, item)?;
    let mut g = this.lock();
    let n = g.len() as i64;
    let j = if index < 0 { (index + n).max(0) } else { index.min(n) };
    g.insert(j as usize, b);
    Ok(())
}

/// Remove the first occurrence of a value in the bytearray.
///
///   value
///     The value to remove.
#[native("bytearray.remove($self, value, /)")]
fn remove(vm: &mut Vm, this: &ByteArrayObj, value: &Value) -> PyResult<()> {
    let b = byte_value(vm, value)?;
    let mut g = this.lock();
    match g.iter().position(|&c| c == b) {
        Some(i) => {
            g.remove(i);
            Ok(())
        }
        None => {
            drop(g);
            Err(vm.value_error("value not found in bytearray"))
        }
    }
}

/// Remove all items from the bytearray.
#[native("bytearray.clear($self, /)")]
fn clear(_vm: &mut Vm, this: &ByteArrayObj) -> PyResult<()> {
    this.lock().clear();
    Ok(())
}

/// Return a copy of B.
#[native("bytearray.copy($self, /)")]
fn copy(_vm: &mut Vm, this: &ByteArrayObj) -> PyResult<Value> {
    Ok(new_bytearray(this.snapshot()))
}

/// Reverse the order of the values in B in place.
#[native("bytearray.reverse($self, /)")]
fn reverse(_vm: &mut Vm, this: &ByteArrayObj) -> PyResult<()> {
    this.lock().reverse();
    Ok(())
}
