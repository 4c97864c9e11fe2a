//! The rest of the read-only methods `bytes` and `bytearray` share: padding, case,
//! partitioning, splitting from the right, lines, and byte translation. Like those in
//! `bytes_methods.rs`, each gives a result of the receiver's type and treats only
//! ASCII letters and whitespace as such.

use super::bytes_methods::{find_bytes, find_in, is_space, new_bytes, rfind_bytes, Bytes, Needle};
use crate::interp::{set_class_attr, types};
use crate::native::{native, BytesLike, Exc, SliceBound};
use crate::value::function::BuiltinObj;
use crate::value::{ObjRef, Object, Value};
use crate::vm::{PyResult, Vm};

/// A buffer of `n` bytes, or CPython's MemoryError when the machine cannot give it
/// (a width of 10**12 must not abort the process).
fn buffer(vm: &mut Vm, n: usize) -> PyResult<Vec<u8>> {
    let mut v = Vec::new();
    if v.try_reserve_exact(n).is_err() {
        return Err(vm.error(Exc::MemoryError, ""));
    }
    Ok(v)
}

/// The fill byte of center, ljust and rjust: a bytes or bytearray of length 1.
fn fill_byte(vm: &mut Vm, method: &str, fill: Option<&Value>) -> PyResult<u8> {
    let Some(fill) = fill else { return Ok(b' ') };
    match fill.unwrap_base().obj() {
        Some(Object::Bytes(b)) if b.len() == 1 => Ok(b[0]),
        Some(Object::ByteArray(b)) if b.snapshot().len() == 1 => Ok(b.snapshot()[0]),
        _ => {
            let msg = format!("{method}() argument 2 must be a byte string of length 1, not {}", vm.type_name(fill));
            Err(vm.type_error(&msg))
        }
    }
}

/// Pads to `width` with `left` of the padding before the bytes.
fn pad(vm: &mut Vm, this: &Bytes, width: i64, fill: u8, left: impl Fn(usize) -> usize) -> PyResult<Value> {
    let len = this.len();
    if width <= len as i64 {
        return Ok(this.make(this.to_vec()));
    }
    let total = (width as usize) - len;
    let before = left(total);
    let mut out = buffer(vm, width as usize)?;
    out.resize(before, fill);
    out.extend_from_slice(this);
    out.resize(width as usize, fill);
    Ok(this.make(out))
}

/// Return a centered string of length width.
///
/// Padding is done using the specified fill character.
#[native("bytes.center($self, width, fillchar=<unrepresentable>, /)")]
pub(super) fn center(vm: &mut Vm, this: Bytes, width: i64, fillchar: Option<&Value>) -> PyResult<Value> {
    let fill = fill_byte(vm, "center", fillchar)?;
    // As CPython: the odd byte of padding goes to the left when the width is odd.
    let odd = (width as usize) & 1;
    pad(vm, &this, width, fill, |total| total / 2 + (total & odd))
}

/// Return a left-justified string of length width.
///
/// Padding is done using the specified fill character.
#[native("bytes.ljust($self, width, fillchar=<unrepresentable>, /)")]
pub(super) fn ljust(vm: &mut Vm, this: Bytes, width: i64, fillchar: Option<&Value>) -> PyResult<Value> {
    let fill = fill_byte(vm, "ljust", fillchar)?;
    pad(vm, &this, width, fill, |_| 0)
}

/// Return a right-justified string of length width.
///
/// Padding is done using the specified fill character.
#[native("bytes.rjust($self, width, fillchar=<unrepresentable>, /)")]
pub(super) fn rjust(vm: &mut Vm, this: Bytes, width: i64, fillchar: Option<&Value>) -> PyResult<Value> {
    let fill = fill_byte(vm, "rjust", fillchar)?;
    pad(vm, &this, width, fill, |total| total)
}

/// Pad a numeric string with zeros on the left, to fill a field of the given width.
///
/// The original string is never truncated.
#[native("bytes.zfill($self, width, /)")]
pub(super) fn zfill(vm: &mut Vm, this: Bytes, width: i64) -> PyResult<Value> {
    if width <= this.len() as i64 {
        return Ok(this.make(this.to_vec()));
    }
    let mut out = buffer(vm, width as usize)?;
    // A sign stays in front of the zeros.
    let signed = matches!(this.first(), Some(b'+' | b'-'));
    if signed {
        out.push(this[0]);
    }
    out.resize(width as usize - this.len() + out.len(), b'0');
    out.extend_from_slice(if signed { &this[1..] } else { &this });
    Ok(this.make(out))
}

/// Return a copy where all tab characters are expanded using spaces.
///
/// If tabsize is not given, a tab size of 8 characters is assumed.
#[native("bytes.expandtabs($self, /, tabsize=8)")]
pub(super) fn expandtabs(vm: &mut Vm, this: Bytes, tabsize: i64) -> PyResult<Value> {
    let mut out = Vec::with_capacity(this.len());
    let mut column: i64 = 0;
    for &c in this.iter() {
        match c {
            b'\t' => {
                if tabsize > 0 {
                    let n = tabsize - column % tabsize;
                    if out.len() as i64 + n > isize::MAX as i64 {
                        return Err(vm.error(Exc::OverflowError, "result too long"));
                    }
                    out.try_reserve(n as usize).map_err(|_| vm.error(Exc::MemoryError, ""))?;
                    out.resize(out.len() + n as usize, b' ');
                    column += n;
                }
            }
            b'\n' | b'\r' => {
                out.push(c);
                column = 0;
            }
            _ => {
                out.push(c);
                column += 1;
            }
        }
    }
    Ok(this.make(out))
}

/// B.isascii() -> bool
///
/// Return True if B is empty or all characters in B are ASCII,
/// False otherwise.
#[native("bytes.isascii($self, /)")]
pub(super) fn isascii(_vm: &mut Vm, this: Bytes) -> PyResult<bool> {
    Ok(this.is_ascii())
}

/// Whether the bytes have a cased letter and none of the other case.
fn cased_only(b: &[u8], upper: bool) -> bool {
    let mut cased = false;
    for c in b {
        if (upper && c.is_ascii_lowercase()) || (!upper && c.is_ascii_uppercase()) {
            return false;
        }
        cased |= c.is_ascii_alphabetic();
    }
    cased
}

/// B.islower() -> bool
///
/// Return True if all cased characters in B are lowercase and there is
/// at least one cased character in B, False otherwise.
#[native("bytes.islower($self, /)")]
pub(super) fn islower(_vm: &mut Vm, this: Bytes) -> PyResult<bool> {
    Ok(cased_only(&this, false))
}

/// B.isupper() -> bool
///
/// Return True if all cased characters in B are uppercase and there is
/// at least one cased character in B, False otherwise.
#[native("bytes.isupper($self, /)")]
pub(super) fn isupper(_vm: &mut Vm, this: Bytes) -> PyResult<bool> {
    Ok(cased_only(&this, true))
}

/// B.istitle() -> bool
///
/// Return True if B is a titlecased string and there is at least one
/// character in B, i.e. uppercase characters may only follow uncased
/// characters and lowercase characters only cased ones. Return False
/// otherwise.
#[native("bytes.istitle($self, /)")]
pub(super) fn istitle(_vm: &mut Vm, this: Bytes) -> PyResult<bool> {
    let (mut after_cased, mut any) = (false, false);
    for c in this.iter() {
        if c.is_ascii_uppercase() {
            if after_cased {
                return Ok(false);
            }
            after_cased = true;
            any = true;
        } else if c.is_ascii_lowercase() {
            if !after_cased {
                return Ok(false);
            }
            any = true;
        } else {
            after_cased = false;
        }
    }
    Ok(any)
}

/// B.capitalize() -> copy of B
///
/// Return a copy of B with only its first character capitalized (ASCII)
/// and the rest lower-cased.
#[native("bytes.capitalize($self, /)")]
pub(super) fn capitalize(_vm: &mut Vm, this: Bytes) -> PyResult<Value> {
    let mut out = this.to_ascii_lowercase();
    if let Some(c) = out.first_mut() {
        c.make_ascii_uppercase();
    }
    Ok(this.make(out))
}

/// B.swapcase() -> copy of B
///
/// Return a copy of B with uppercase ASCII characters converted
/// to lowercase ASCII and vice versa.
#[native("bytes.swapcase($self, /)")]
pub(super) fn swapcase(_vm: &mut Vm, this: Bytes) -> PyResult<Value> {
    let out = this.iter().map(|c| if c.is_ascii_alphabetic() { c ^ 0x20 } else { *c }).collect();
    Ok(this.make(out))
}

/// B.title() -> copy of B
///
/// Return a titlecased version of B, i.e. ASCII words start with uppercase
/// characters, all remaining cased characters have lowercase.
#[native("bytes.title($self, /)")]
pub(super) fn title(_vm: &mut Vm, this: Bytes) -> PyResult<Value> {
    let mut after_cased = false;
    let out = this
        .iter()
        .map(|&c| {
            let r = if after_cased { c.to_ascii_lowercase() } else { c.to_ascii_uppercase() };
            after_cased = c.is_ascii_alphabetic();
            r
        })
        .collect();
    Ok(this.make(out))
}

/// Splits at `at` (the separator's start), or gives the whole on the side `whole_first`.
fn three(this: &Bytes, sep: &[u8], at: Option<usize>, whole_first: bool) -> Value {
    let parts = match at {
        Some(i) => [this[..i].to_vec(), sep.to_vec(), this[i + sep.len()..].to_vec()],
        None if whole_first => [this.to_vec(), Vec::new(), Vec::new()],
        None => [Vec::new(), Vec::new(), this.to_vec()],
    };
    Value::tuple(parts.into_iter().map(|p| this.make(p)).collect())
}

/// Partition the bytes into three parts using the given separator.
///
/// This will search for the separator sep in the bytes. If the separator is found,
/// returns a 3-tuple containing the part before the separator, the separator
/// itself, and the part after it.
///
/// If the separator is not found, returns a 3-tuple containing the original bytes
/// object and two empty bytes objects.
#[native("bytes.partition($self, sep, /)")]
pub(super) fn partition(vm: &mut Vm, this: Bytes, sep: BytesLike) -> PyResult<Value> {
    if sep.is_empty() {
        return Err(vm.value_error("empty separator"));
    }
    let at = find_bytes(&this, &sep, 0);
    Ok(three(&this, &sep, at, true))
}

/// Partition the bytes into three parts using the given separator.
///
/// This will search for the separator sep in the bytes, starting at the end. If
/// the separator is found, returns a 3-tuple containing the part before the
/// separator, the separator itself, and the part after it.
///
/// If the separator is not found, returns a 3-tuple containing two empty bytes
/// objects and the original bytes object.
#[native("bytes.rpartition($self, sep, /)")]
pub(super) fn rpartition(vm: &mut Vm, this: Bytes, sep: BytesLike) -> PyResult<Value> {
    if sep.is_empty() {
        return Err(vm.value_error("empty separator"));
    }
    let at = rfind_bytes(&this, &sep);
    Ok(three(&this, &sep, at, false))
}

/// Return a bytes object with the given prefix string removed if present.
///
/// If the bytes starts with the prefix string, return bytes[len(prefix):].
/// Otherwise, return a copy of the original bytes.
#[native("bytes.removeprefix($self, prefix, /)")]
pub(super) fn removeprefix(_vm: &mut Vm, this: Bytes, prefix: BytesLike) -> PyResult<Value> {
    let rest = this.strip_prefix(&*prefix).unwrap_or(&this);
    Ok(this.make(rest.to_vec()))
}

/// Return a bytes object with the given suffix string removed if present.
///
/// If the bytes ends with the suffix string and that suffix is not empty,
/// return bytes[:-len(prefix)].  Otherwise, return a copy of the original
/// bytes.
#[native("bytes.removesuffix($self, suffix, /)")]
pub(super) fn removesuffix(_vm: &mut Vm, this: Bytes, suffix: BytesLike) -> PyResult<Value> {
    let rest = this.strip_suffix(&*suffix).unwrap_or(&this);
    Ok(this.make(rest.to_vec()))
}

/// B.rindex(sub[, start[, end]]) -> int
///
/// Return the highest index in B where subsection sub is found,
/// such that sub is contained within B[start,end].  Optional
/// arguments start and end are interpreted as in slice notation.
///
/// Raise ValueError when the subsection is not found.
#[native("bytes.rindex($self, sub, start=None{SliceBound(None)}, end=None{SliceBound(None)}, /)", style = "tuple")]
pub(super) fn rindex(vm: &mut Vm, this: Bytes, sub: Needle, start: SliceBound, end: SliceBound) -> PyResult<usize> {
    match find_in(&this, &sub, start, end, true) {
        Some(i) => Ok(i),
        None => Err(vm.value_error("subsection not found")),
    }
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
///
/// Splitting is done starting at the end of the bytes and working to the front.
#[native("bytes.rsplit($self, /, sep=None, maxsplit=-1)")]
pub(super) fn rsplit(vm: &mut Vm, this: Bytes, sep: Option<BytesLike>, maxsplit: i64) -> PyResult<Value> {
    let b: &[u8] = &this;
    let mut out = Vec::new();
    match sep {
        None => {
            let mut end = b.len();
            loop {
                while end > 0 && is_space(&b[end - 1]) {
                    end -= 1;
                }
                if end == 0 {
                    break;
                }
                if maxsplit >= 0 && out.len() as i64 == maxsplit {
                    out.push(this.make(b[..end].to_vec()));
                    break;
                }
                let start = b[..end].iter().rposition(is_space).map_or(0, |i| i + 1);
                out.push(this.make(b[start..end].to_vec()));
                end = start;
            }
        }
        Some(sep) => {
            if sep.is_empty() {
                return Err(vm.value_error("empty separator"));
            }
            let mut end = b.len();
            while maxsplit < 0 || (out.len() as i64) < maxsplit {
                let Some(i) = rfind_bytes(&b[..end], &sep) else { break };
                out.push(this.make(b[i + sep.len()..end].to_vec()));
                end = i;
            }
            out.push(this.make(b[..end].to_vec()));
        }
    }
    out.reverse();
    Ok(Value::list(out))
}

/// Return a list of the lines in the bytes, breaking at line boundaries.
///
/// Line breaks are not included in the resulting list unless keepends is given and
/// true.
#[native("bytes.splitlines($self, /, keepends=False)")]
pub(super) fn splitlines(_vm: &mut Vm, this: Bytes, keepends: bool) -> PyResult<Value> {
    // Only \n, \r and \r\n end lines in bytes (str also breaks at \v, \x1c, ...).
    let b: &[u8] = &this;
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        let brk = match b[i] {
            b'\r' if b.get(i + 1) == Some(&b'\n') => 2,
            b'\r' | b'\n' => 1,
            _ => {
                i += 1;
                continue;
            }
        };
        let end = if keepends { i + brk } else { i };
        out.push(this.make(b[start..end].to_vec()));
        i += brk;
        start = i;
    }
    if start < b.len() {
        out.push(this.make(b[start..].to_vec()));
    }
    Ok(Value::list(out))
}

/// Return a copy with each character mapped by the given translation table.
///
///   table
///     Translation table, which must be a bytes object of length 256.
///
/// All characters occurring in the optional argument delete are removed.
/// The remaining characters are mapped through the given translation table.
#[native("bytes.translate($self, table, /, delete=b'')")]
pub(super) fn translate(vm: &mut Vm, this: Bytes, table: &Value, delete: Option<BytesLike>) -> PyResult<Value> {
    // None keeps every byte (only `delete` applies).
    let table = match table {
        Value::None => None,
        t => match t.unwrap_base().obj() {
            Some(Object::Bytes(b)) => Some(b.to_vec()),
            Some(Object::ByteArray(b)) => Some(b.snapshot()),
            _ => {
                let msg = format!("a bytes-like object is required, not '{}'", vm.type_name(t));
                return Err(vm.type_error(&msg));
            }
        },
    };
    if let Some(t) = &table {
        if t.len() != 256 {
            return Err(vm.value_error("translation table must be 256 characters long"));
        }
    }
    let mut gone = [false; 256];
    for &d in delete.as_deref().unwrap_or_default() {
        gone[d as usize] = true;
    }
    let out = this
        .iter()
        .filter(|&&c| !gone[c as usize])
        .map(|&c| match &table {
            Some(t) => t[c as usize],
            None => c,
        })
        .collect();
    Ok(this.make(out))
}

/// Return a translation table useable for the bytes or bytearray translate method.
///
/// The returned table will be one where each byte in frm is mapped to the byte at
/// the same position in to.
///
/// The bytes objects frm and to must be of the same length.
#[native("bytes.maketrans(frm, to, /)")]
pub(super) fn maketrans(vm: &mut Vm, frm: BytesLike, to: BytesLike) -> PyResult<Value> {
    if frm.len() != to.len() {
        return Err(vm.value_error("maketrans arguments must have same length"));
    }
    let mut table: Vec<u8> = (0..=255).collect();
    for (f, t) in frm.iter().zip(to.iter()) {
        table[*f as usize] = *t;
    }
    Ok(new_bytes(table))
}

/// `maketrans` is a static method of both types (it always makes bytes).
pub fn register_maketrans() {
    let t = types();
    for (cls, qual) in [(&t.bytes, "bytes.maketrans"), (&t.bytearray, "bytearray.maketrans")] {
        let f = BuiltinObj::declared(&maketrans::DEF, qual.to_string());
        let builtin = Value::Obj(ObjRef::new_immortal(Object::Builtin(f)));
        set_class_attr(cls, "maketrans", Value::new(Object::StaticMethod(builtin)));
    }
}
