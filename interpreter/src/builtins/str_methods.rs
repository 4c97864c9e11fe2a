//! Methods of `str` (and `str.format`), and the text codecs that `str.encode` and
//! `bytes.decode` share.

use super::list_methods::{dunder_contains, dunder_getitem, dunder_len};
use crate::interp::{add_natives, set_class_attr, types};
use crate::native::{native, Exc, IntFlag, KwArgs, SliceBound};
use crate::value::function::BuiltinObj;
use crate::value::str::StrObj;
use crate::value::{ObjRef, Object, Value};
use crate::vm::{PyResult, Vm};

pub fn register(_vm: &mut Vm) {
    let t = types();
    add_natives(
        &t.str_,
        &[
            &join::DEF,
            &split::DEF,
            &rsplit::DEF,
            &splitlines::DEF,
            &strip::DEF,
            &lstrip::DEF,
            &rstrip::DEF,
            &upper::DEF,
            &lower::DEF,
            &title::DEF,
            &capitalize::DEF,
            &swapcase::DEF,
            &casefold::DEF,
            &replace::DEF,
            &startswith::DEF,
            &endswith::DEF,
            &find::DEF,
            &rfind::DEF,
            &index::DEF,
            &rindex::DEF,
            &count::DEF,
            &str_format::DEF,
            &format_map::DEF,
            &isdigit::DEF,
            &isdecimal::DEF,
            &isnumeric::DEF,
            &istitle::DEF,
            &isascii::DEF,
            &isprintable::DEF,
            &translate::DEF,
            &isalpha::DEF,
            &isalnum::DEF,
            &isspace::DEF,
            &isupper::DEF,
            &islower::DEF,
            &isidentifier::DEF,
            &center::DEF,
            &ljust::DEF,
            &rjust::DEF,
            &zfill::DEF,
            &str_encode::DEF,
            &partition::DEF,
            &rpartition::DEF,
            &removeprefix::DEF,
            &removesuffix::DEF,
            &expandtabs::DEF,
            &dunder_len::DEF,
            &dunder_contains::DEF,
            &dunder_getitem::DEF,
        ],
    );
    // `str.maketrans` is a static method in CPython: it works the same through the
    // class and through an instance.
    let mt = BuiltinObj::declared(&maketrans::DEF, "str.maketrans".to_string());
    set_class_attr(
        &t.str_,
        "maketrans",
        Value::new(Object::StaticMethod(Value::Obj(ObjRef::new_immortal(Object::Builtin(mt))))),
    );
}

/// The whitespace of `str.isspace`, `split()` and `strip()`: Unicode's White_Space
/// and the four separators U+001C..U+001F that CPython counts too.
#[inline]
fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// `self` when a method leaves the text unchanged (`r` is a part of it of the same
/// length), as CPython returns an exact str itself; else a new str.
fn same_or_new(this: (&Value, &StrObj), r: &str) -> Value {
    if r.len() == this.1.as_str().len() && this.0.as_exact_str().is_some() {
        this.0.clone()
    } else {
        Value::str(r)
    }
}

/// A str argument CPython checks in the method's body: "must be str, not int".
fn must_be_str<'a>(vm: &mut Vm, v: &'a Value) -> PyResult<&'a str> {
    match v.as_str() {
        Some(s) => Ok(s.as_str()),
        None => {
            let msg = format!("must be str, not {}", vm.type_name(v));
            Err(vm.type_error(&msg))
        }
    }
}

/// Concatenate any number of strings.
///
/// The string whose method is called is inserted in between each given string.
/// The result is returned as a new string.
///
/// Example: '.'.join(['ab', 'pq', 'rs']) -> 'ab.pq.rs'
#[native("str.join($self, iterable, /)")]
fn join(vm: &mut Vm, this: &StrObj, iterable: &Value) -> PyResult<Value> {
    let sep = this.as_str();
    // A list or tuple is joined in place, with no copy of its items.
    let joined = match iterable.obj() {
        Some(Object::List(l)) => join_items(sep, &l.lock()),
        Some(Object::Tuple(t)) => join_items(sep, t.items()),
        _ => {
            let it = match vm.get_iter(iterable) {
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
            join_items(sep, &items)
        }
    };
    match joined {
        Ok(s) => Ok(Value::string(s)),
        Err((i, item)) => {
            let msg = format!("sequence item {i}: expected str instance, {} found", vm.type_name(&item));
            Err(vm.type_error(&msg))
        }
    }
}

/// The items joined by `sep`, or the first one that is not a str and its position.
fn join_items(sep: &str, items: &[Value]) -> Result<String, (usize, Value)> {
    let mut total = sep.len() * items.len().saturating_sub(1);
    for (i, it) in items.iter().enumerate() {
        match it.as_str() {
            Some(s) => total += s.as_str().len(),
            None => return Err((i, it.clone())),
        }
    }
    let mut out = String::with_capacity(total);
    for (i, it) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        if let Some(s) = it.as_str() {
            out.push_str(s.as_str());
        }
    }
    Ok(out)
}

/// The separator of `split`/`rsplit`: None for runs of whitespace.
fn split_sep<'a>(vm: &mut Vm, sep: Option<&'a Value>) -> PyResult<Option<&'a str>> {
    let Some(v) = sep else { return Ok(None) };
    match v.as_str() {
        Some(s) if s.as_str().is_empty() => Err(vm.value_error("empty separator")),
        Some(s) => Ok(Some(s.as_str())),
        None => {
            let msg = format!("must be str or None, not {}", vm.type_name(v));
            Err(vm.type_error(&msg))
        }
    }
}

/// Return a list of the substrings in the string, using sep as the separator string.
///
///   sep
///     The separator used to split the string.
///     When set to None (the default value), will split on any whitespace
///     character (including \n \r \t \f and spaces) and will discard
///     empty strings from the result.
///   maxsplit
///     Maximum number of splits (starting from the left).
///     -1 (the default value) means no limit.
///
/// Note, str.split() is mainly useful for data that has been intentionally
/// delimited.  With natural text that includes punctuation, consider using
/// the regular expression module.
#[native("str.split($self, /, sep=None, maxsplit=-1)")]
fn split(vm: &mut Vm, this: &StrObj, sep: Option<&Value>, maxsplit: i64) -> PyResult<Value> {
    let s = this.as_str();
    let mut out = Vec::new();
    match split_sep(vm, sep)? {
        None => {
            let mut rest = s.trim_start_matches(is_space);
            while !rest.is_empty() {
                if maxsplit >= 0 && out.len() as i64 == maxsplit {
                    out.push(Value::str(rest));
                    break;
                }
                match rest.find(is_space) {
                    Some(i) => {
                        out.push(Value::str(&rest[..i]));
                        rest = rest[i..].trim_start_matches(is_space);
                    }
                    None => {
                        out.push(Value::str(rest));
                        break;
                    }
                }
            }
        }
        Some(sep) => {
            let one = (sep.len() == 1).then(|| sep.as_bytes()[0] as char);
            match (maxsplit < 0, one) {
                (true, Some(c)) => out.extend(s.split(c).map(Value::str)),
                (true, None) => out.extend(s.split(sep).map(Value::str)),
                (false, Some(c)) => out.extend(s.splitn(maxsplit as usize + 1, c).map(Value::str)),
                (false, None) => out.extend(s.splitn(maxsplit as usize + 1, sep).map(Value::str)),
            }
        }
    }
    Ok(Value::list(out))
}

/// Return a list of the substrings in the string, using sep as the separator string.
///
///   sep
///     The separator used to split the string.
///     When set to None (the default value), will split on any whitespace
///     character (including \n \r \t \f and spaces) and will discard
///     empty strings from the result.
///   maxsplit
///     Maximum number of splits (starting from the left).
///     -1 (the default value) means no limit.
///
/// Splitting starts at the end of the string and works to the front.
#[native("str.rsplit($self, /, sep=None, maxsplit=-1)")]
fn rsplit(vm: &mut Vm, this: &StrObj, sep: Option<&Value>, maxsplit: i64) -> PyResult<Value> {
    let s = this.as_str();
    let mut out = Vec::new();
    match split_sep(vm, sep)? {
        None => {
            let mut rest = s.trim_end_matches(is_space);
            while !rest.is_empty() {
                if maxsplit >= 0 && out.len() as i64 == maxsplit {
                    out.push(Value::str(rest));
                    break;
                }
                match rest.rfind(is_space) {
                    Some(i) => {
                        let w = rest[i..].chars().next().map_or(1, char::len_utf8);
                        out.push(Value::str(&rest[i + w..]));
                        rest = rest[..i].trim_end_matches(is_space);
                    }
                    None => {
                        out.push(Value::str(rest));
                        break;
                    }
                }
            }
        }
        Some(sep) if maxsplit < 0 => out.extend(s.rsplit(sep).map(Value::str)),
        Some(sep) => out.extend(s.rsplitn(maxsplit as usize + 1, sep).map(Value::str)),
    }
    out.reverse();
    Ok(Value::list(out))
}

/// The line boundaries of `str.splitlines`.
fn is_line_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\x0b' | '\x0c' | '\x1c' | '\x1d' | '\x1e' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// Return a list of the lines in the string, breaking at line boundaries.
///
/// Line breaks are not included in the resulting list unless keepends is given and
/// true.
#[native("str.splitlines($self, /, keepends=False)")]
fn splitlines(_vm: &mut Vm, this: &StrObj, keepends: IntFlag) -> PyResult<Value> {
    let s = this.as_str();
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        if is_line_break(c) {
            let mut end = i + c.len_utf8();
            if c == '\r' && s.as_bytes().get(end) == Some(&b'\n') {
                end += 1;
                chars.next();
            }
            out.push(Value::str(&s[start..if keepends.0 { end } else { i }]));
            start = end;
        }
    }
    if start < s.len() {
        out.push(Value::str(&s[start..]));
    }
    Ok(Value::list(out))
}

/// strip, lstrip and rstrip: `chars` None strips whitespace.
fn strip_ends(
    vm: &mut Vm,
    this: (&Value, &StrObj),
    chars: Option<&Value>,
    name: &str,
    left: bool,
    right: bool,
) -> PyResult<Value> {
    let s = this.1.as_str();
    let r = match chars {
        None => match (left, right) {
            (true, true) => s.trim_matches(is_space),
            (true, false) => s.trim_start_matches(is_space),
            _ => s.trim_end_matches(is_space),
        },
        Some(v) => {
            let Some(cs) = v.as_str() else {
                let msg = format!("{name} arg must be None or str");
                return Err(vm.type_error(&msg));
            };
            let set: Vec<char> = cs.as_str().chars().collect();
            let f = |c: char| set.contains(&c);
            match (left, right) {
                (true, true) => s.trim_matches(f),
                (true, false) => s.trim_start_matches(f),
                _ => s.trim_end_matches(f),
            }
        }
    };
    Ok(same_or_new(this, r))
}

/// Return a copy of the string with leading and trailing whitespace removed.
///
/// If chars is given and not None, remove characters in chars instead.
#[native("str.strip($self, chars=None, /)")]
fn strip(vm: &mut Vm, this: (&Value, &StrObj), chars: Option<&Value>) -> PyResult<Value> {
    strip_ends(vm, this, chars, "strip", true, true)
}

/// Return a copy of the string with leading whitespace removed.
///
/// If chars is given and not None, remove characters in chars instead.
#[native("str.lstrip($self, chars=None, /)")]
fn lstrip(vm: &mut Vm, this: (&Value, &StrObj), chars: Option<&Value>) -> PyResult<Value> {
    strip_ends(vm, this, chars, "lstrip", true, false)
}

/// Return a copy of the string with trailing whitespace removed.
///
/// If chars is given and not None, remove characters in chars instead.
#[native("str.rstrip($self, chars=None, /)")]
fn rstrip(vm: &mut Vm, this: (&Value, &StrObj), chars: Option<&Value>) -> PyResult<Value> {
    strip_ends(vm, this, chars, "rstrip", false, true)
}

/// Return a copy of the string converted to uppercase.
#[native("str.upper($self, /)")]
fn upper(_vm: &mut Vm, this: &StrObj) -> PyResult<String> {
    let s = this.as_str();
    Ok(if this.is_ascii() { s.to_ascii_uppercase() } else { s.to_uppercase() })
}

/// Return a copy of the string converted to lowercase.
#[native("str.lower($self, /)")]
fn lower(_vm: &mut Vm, this: &StrObj) -> PyResult<String> {
    let s = this.as_str();
    Ok(if this.is_ascii() { s.to_ascii_lowercase() } else { s.to_lowercase() })
}

/// Return a version of the string where each word is titlecased.
///
/// More specifically, words start with uppercased characters and all remaining
/// cased characters have lower case.
#[native("str.title($self, /)")]
fn title(_vm: &mut Vm, this: &StrObj) -> PyResult<String> {
    let mut out = String::with_capacity(this.as_str().len());
    let mut prev_cased = false;
    for c in this.as_str().chars() {
        if c.is_alphabetic() {
            if prev_cased {
                out.extend(c.to_lowercase());
            } else {
                out.extend(c.to_uppercase());
            }
            prev_cased = true;
        } else {
            out.push(c);
            prev_cased = false;
        }
    }
    Ok(out)
}

/// Return a capitalized version of the string.
///
/// More specifically, make the first character have upper case and the rest lower
/// case.
#[native("str.capitalize($self, /)")]
fn capitalize(_vm: &mut Vm, this: &StrObj) -> PyResult<String> {
    let mut cs = this.as_str().chars();
    Ok(match cs.next() {
        Some(f) => f.to_uppercase().chain(cs.flat_map(|c| c.to_lowercase())).collect(),
        None => String::new(),
    })
}

/// Convert uppercase characters to lowercase and lowercase characters to uppercase.
#[native("str.swapcase($self, /)")]
fn swapcase(_vm: &mut Vm, this: &StrObj) -> PyResult<String> {
    let mut out = String::with_capacity(this.as_str().len());
    for c in this.as_str().chars() {
        if c.is_uppercase() {
            out.extend(c.to_lowercase());
        } else {
            out.extend(c.to_uppercase());
        }
    }
    Ok(out)
}

/// Return a version of the string suitable for caseless comparisons.
#[native("str.casefold($self, /)")]
fn casefold(_vm: &mut Vm, this: &StrObj) -> PyResult<String> {
    // Full case folding differs from lower() mainly for the German sharp s and the
    // final sigma; those two cover what scripts compare in practice.
    let mut out = String::with_capacity(this.as_str().len());
    for c in this.as_str().chars() {
        match c {
            'ß' | 'ẞ' => out.push_str("ss"),
            'ς' => out.push('σ'),
            _ => out.extend(c.to_lowercase()),
        }
    }
    Ok(out)
}

/// Return a copy with all occurrences of substring old replaced by new.
///
///   count
///     Maximum number of occurrences to replace.
///     -1 (the default value) means replace all occurrences.
///
/// If the optional argument count is given, only the first count occurrences are
/// replaced.
#[native("str.replace($self, old, new, count=-1, /)")]
fn replace(_vm: &mut Vm, this: (&Value, &StrObj), old: &str, new: &str, count: i64) -> PyResult<Value> {
    let s = this.1.as_str();
    if count == 0 || !s.contains(old) {
        return Ok(same_or_new(this, s));
    }
    Ok(Value::string(if count < 0 { s.replace(old, new) } else { s.replacen(old, new, count as usize) }))
}

/// `s[start:end]` with CPython's clamping of the bounds (code points), and the index
/// it starts at; None when the start lies past the end.
fn window(s: &StrObj, start: SliceBound, end: SliceBound) -> Option<(usize, &str)> {
    let text = s.as_str();
    if start.0.is_none() && end.0.is_none() {
        return Some((0, text));
    }
    let n = s.char_len() as i64;
    let e = match end.0 {
        None => n,
        Some(e) if e > n => n,
        Some(e) if e < 0 => (e + n).max(0),
        Some(e) => e,
    };
    let b = match start.0 {
        None => 0,
        Some(b) if b < 0 => (b + n).max(0),
        Some(b) => b,
    };
    if b > e {
        return None;
    }
    let from = s.byte_offset(b as usize);
    let to = if e == n { text.len() } else { s.byte_offset(e as usize) };
    Some((b as usize, &text[from..to]))
}

/// startswith and endswith: a str, or a tuple of str tried in turn.
fn affix(
    vm: &mut Vm,
    this: &StrObj,
    pat: &Value,
    start: SliceBound,
    end: SliceBound,
    name: &str,
    ends: bool,
) -> PyResult<bool> {
    let hay = window(this, start, end).map(|w| w.1);
    let test = |p: &str| hay.is_some_and(|h| if ends { h.ends_with(p) } else { h.starts_with(p) });
    if let Some(p) = pat.as_str() {
        return Ok(test(p.as_str()));
    }
    if let Some(Object::Tuple(t)) = pat.unwrap_base().obj() {
        for item in t.items() {
            match item.as_str() {
                Some(p) if test(p.as_str()) => return Ok(true),
                Some(_) => {}
                None => {
                    let msg = format!("tuple for {name} must only contain str, not {}", vm.type_name(item));
                    return Err(vm.type_error(&msg));
                }
            }
        }
        return Ok(false);
    }
    let msg = format!("{name} first arg must be str or a tuple of str, not {}", vm.type_name(pat));
    Err(vm.type_error(&msg))
}

/// S.startswith(prefix[, start[, end]]) -> bool
///
/// Return True if S starts with the specified prefix, False otherwise.
/// With optional start, test S beginning at that position.
/// With optional end, stop comparing S at that position.
/// prefix can also be a tuple of strings to try.
#[native("str.startswith($self, prefix, start=None{SliceBound(None)}, end=None{SliceBound(None)}, /)", style = "tuple")]
fn startswith(vm: &mut Vm, this: &StrObj, prefix: &Value, start: SliceBound, end: SliceBound) -> PyResult<bool> {
    affix(vm, this, prefix, start, end, "startswith", false)
}

/// S.endswith(suffix[, start[, end]]) -> bool
///
/// Return True if S ends with the specified suffix, False otherwise.
/// With optional start, test S beginning at that position.
/// With optional end, stop comparing S at that position.
/// suffix can also be a tuple of strings to try.
#[native("str.endswith($self, suffix, start=None{SliceBound(None)}, end=None{SliceBound(None)}, /)", style = "tuple")]
fn endswith(vm: &mut Vm, this: &StrObj, suffix: &Value, start: SliceBound, end: SliceBound) -> PyResult<bool> {
    affix(vm, this, suffix, start, end, "endswith", true)
}

/// The code-point index of the first (or last) `sub` in `s[start:end]`, or -1.
fn find_in(vm: &mut Vm, s: &StrObj, sub: &Value, start: SliceBound, end: SliceBound, rev: bool) -> PyResult<i64> {
    let sub = must_be_str(vm, sub)?;
    let Some((at, hay)) = window(s, start, end) else { return Ok(-1) };
    let found = if rev { hay.rfind(sub) } else { hay.find(sub) };
    Ok(match found {
        Some(off) if s.is_ascii() => (at + off) as i64,
        Some(off) => (at + hay[..off].chars().count()) as i64,
        None => -1,
    })
}

/// S.find(sub[, start[, end]]) -> int
///
/// Return the lowest index in S where substring sub is found,
/// such that sub is contained within S[start:end].  Optional
/// arguments start and end are interpreted as in slice notation.
///
/// Return -1 on failure.
#[native("str.find($self, sub, start=None{SliceBound(None)}, end=None{SliceBound(None)}, /)", style = "tuple")]
fn find(vm: &mut Vm, this: &StrObj, sub: &Value, start: SliceBound, end: SliceBound) -> PyResult<i64> {
    find_in(vm, this, sub, start, end, false)
}

/// S.rfind(sub[, start[, end]]) -> int
///
/// Return the highest index in S where substring sub is found,
/// such that sub is contained within S[start:end].  Optional
/// arguments start and end are interpreted as in slice notation.
///
/// Return -1 on failure.
#[native("str.rfind($self, sub, start=None{SliceBound(None)}, end=None{SliceBound(None)}, /)", style = "tuple")]
fn rfind(vm: &mut Vm, this: &StrObj, sub: &Value, start: SliceBound, end: SliceBound) -> PyResult<i64> {
    find_in(vm, this, sub, start, end, true)
}

/// S.index(sub[, start[, end]]) -> int
///
/// Return the lowest index in S where substring sub is found,
/// such that sub is contained within S[start:end].  Optional
/// arguments start and end are interpreted as in slice notation.
///
/// Raises ValueError when the substring is not found.
#[native("str.index($self, sub, start=None{SliceBound(None)}, end=None{SliceBound(None)}, /)", style = "tuple")]
fn index(vm: &mut Vm, this: &StrObj, sub: &Value, start: SliceBound, end: SliceBound) -> PyResult<i64> {
    match find_in(vm, this, sub, start, end, false)? {
        -1 => Err(vm.value_error("substring not found")),
        i => Ok(i),
    }
}

/// S.rindex(sub[, start[, end]]) -> int
///
/// Return the highest index in S where substring sub is found,
/// such that sub is contained within S[start:end].  Optional
/// arguments start and end are interpreted as in slice notation.
///
/// Raises ValueError when the substring is not found.
#[native("str.rindex($self, sub, start=None{SliceBound(None)}, end=None{SliceBound(None)}, /)", style = "tuple")]
fn rindex(vm: &mut Vm, this: &StrObj, sub: &Value, start: SliceBound, end: SliceBound) -> PyResult<i64> {
    match find_in(vm, this, sub, start, end, true)? {
        -1 => Err(vm.value_error("substring not found")),
        i => Ok(i),
    }
}

/// S.count(sub[, start[, end]]) -> int
///
/// Return the number of non-overlapping occurrences of substring sub in
/// string S[start:end].  Optional arguments start and end are
/// interpreted as in slice notation.
#[native("str.count($self, sub, start=None{SliceBound(None)}, end=None{SliceBound(None)}, /)", style = "tuple")]
fn count(vm: &mut Vm, this: &StrObj, sub: &Value, start: SliceBound, end: SliceBound) -> PyResult<usize> {
    let sub = must_be_str(vm, sub)?;
    let Some((_, hay)) = window(this, start, end) else { return Ok(0) };
    if sub.is_empty() {
        return Ok(hay.chars().count() + 1);
    }
    Ok(hay.matches(sub).count())
}

/// S.format(*args, **kwargs) -> str
///
/// Return a formatted version of S, using substitutions from args and kwargs.
/// The substitutions are identified by braces ('{' and '}').
#[native("str.format($self, /, *args, **kwargs)")]
fn str_format(vm: &mut Vm, this: &StrObj, args: &[Value], kwargs: KwArgs) -> PyResult<String> {
    format_with(vm, this.as_str(), args, FieldNames::Kw(&kwargs), &mut 0)
}

/// S.format_map(mapping) -> str
///
/// Return a formatted version of S, using substitutions from mapping.
/// The substitutions are identified by braces ('{' and '}').
#[native("str.format_map($self, mapping, /)")]
fn format_map(vm: &mut Vm, this: &StrObj, mapping: &Value) -> PyResult<String> {
    format_with(vm, this.as_str(), &[], FieldNames::Map(mapping), &mut 0)
}

/// Where `str.format` finds named fields: its keyword arguments, or (for
/// `format_map`) any mapping, read through `__getitem__` so `__missing__` works.
#[derive(Clone, Copy)]
pub enum FieldNames<'a> {
    Kw(&'a [(crate::value::ObjRef, Value)]),
    Map(&'a Value),
}

/// True for a non-empty string whose characters all satisfy `f`.
fn all_chars(this: &StrObj, f: fn(char) -> bool) -> bool {
    !this.as_str().is_empty() && this.as_str().chars().all(f)
}

/// Return True if the string is a digit string, False otherwise.
///
/// A string is a digit string if all characters in the string are digits and there
/// is at least one character in the string.
#[native("str.isdigit($self, /)")]
fn isdigit(_vm: &mut Vm, this: &StrObj) -> PyResult<bool> {
    Ok(all_chars(this, is_digit_char))
}

/// Return True if the string is a decimal string, False otherwise.
///
/// A string is a decimal string if all characters in the string are decimal and
/// there is at least one character in the string.
#[native("str.isdecimal($self, /)")]
fn isdecimal(_vm: &mut Vm, this: &StrObj) -> PyResult<bool> {
    Ok(all_chars(this, is_decimal_char))
}

/// Return True if the string is a numeric string, False otherwise.
///
/// A string is numeric if all characters in the string are numeric and there is at
/// least one character in the string.
#[native("str.isnumeric($self, /)")]
fn isnumeric(_vm: &mut Vm, this: &StrObj) -> PyResult<bool> {
    Ok(all_chars(this, char::is_numeric))
}

/// Return True if all characters in the string are ASCII, False otherwise.
///
/// ASCII characters have code points in the range U+0000-U+007F.
/// Empty string is ASCII too.
#[native("str.isascii($self, /)")]
fn isascii(_vm: &mut Vm, this: &StrObj) -> PyResult<bool> {
    Ok(this.is_ascii())
}

/// Return True if the string is printable, False otherwise.
///
/// A string is printable if all of its characters are considered printable in
/// repr() or if it is empty.
#[native("str.isprintable($self, /)")]
fn isprintable(_vm: &mut Vm, this: &StrObj) -> PyResult<bool> {
    Ok(this
        .as_str()
        .chars()
        .all(|c| c == ' ' || !(c.is_control() || c.is_whitespace() || ('\u{2028}'..='\u{2029}').contains(&c))))
}

/// Return True if the string is a title-cased string, False otherwise.
///
/// In a title-cased string, upper- and title-case characters may only
/// follow uncased characters and lowercase characters only cased ones.
#[native("str.istitle($self, /)")]
fn istitle(_vm: &mut Vm, this: &StrObj) -> PyResult<bool> {
    let mut cased = false;
    let mut prev_cased = false;
    for c in this.as_str().chars() {
        if c.is_uppercase() || is_titlecase(c) {
            if prev_cased {
                return Ok(false);
            }
            prev_cased = true;
            cased = true;
        } else if c.is_lowercase() {
            if !prev_cased {
                return Ok(false);
            }
            prev_cased = true;
            cased = true;
        } else {
            prev_cased = false;
        }
    }
    Ok(cased)
}

/// Return True if the string is an alphabetic string, False otherwise.
///
/// A string is alphabetic if all characters in the string are alphabetic and there
/// is at least one character in the string.
#[native("str.isalpha($self, /)")]
fn isalpha(_vm: &mut Vm, this: &StrObj) -> PyResult<bool> {
    Ok(all_chars(this, char::is_alphabetic))
}

/// Return True if the string is an alpha-numeric string, False otherwise.
///
/// A string is alpha-numeric if all characters in the string are alpha-numeric and
/// there is at least one character in the string.
#[native("str.isalnum($self, /)")]
fn isalnum(_vm: &mut Vm, this: &StrObj) -> PyResult<bool> {
    Ok(all_chars(this, char::is_alphanumeric))
}

/// Return True if the string is a whitespace string, False otherwise.
///
/// A string is whitespace if all characters in the string are whitespace and there
/// is at least one character in the string.
#[native("str.isspace($self, /)")]
fn isspace(_vm: &mut Vm, this: &StrObj) -> PyResult<bool> {
    Ok(all_chars(this, is_space))
}

/// Return True if the string is an uppercase string, False otherwise.
///
/// A string is uppercase if all cased characters in the string are uppercase and
/// there is at least one cased character in the string.
#[native("str.isupper($self, /)")]
fn isupper(_vm: &mut Vm, this: &StrObj) -> PyResult<bool> {
    let t = this.as_str();
    Ok(t.chars().any(char::is_uppercase) && !t.chars().any(char::is_lowercase))
}

/// Return True if the string is a lowercase string, False otherwise.
///
/// A string is lowercase if all cased characters in the string are lowercase and
/// there is at least one cased character in the string.
#[native("str.islower($self, /)")]
fn islower(_vm: &mut Vm, this: &StrObj) -> PyResult<bool> {
    let t = this.as_str();
    Ok(t.chars().any(char::is_lowercase) && !t.chars().any(char::is_uppercase))
}

/// Return True if the string is a valid Python identifier, False otherwise.
///
/// Call keyword.iskeyword(s) to test whether string s is a reserved identifier,
/// such as "def" or "class".
#[native("str.isidentifier($self, /)")]
fn isidentifier(_vm: &mut Vm, this: &StrObj) -> PyResult<bool> {
    let mut cs = this.as_str().chars();
    Ok(match cs.next() {
        Some(c) => (c.is_alphabetic() || c == '_') && cs.all(|c| c.is_alphanumeric() || c == '_'),
        None => false,
    })
}

/// Return a translation table usable for str.translate().
///
/// If there is only one argument, it must be a dictionary mapping Unicode
/// ordinals (integers) or characters to Unicode ordinals, strings or None.
/// Character keys will be then converted to ordinals.
/// If there are two arguments, they must be strings of equal length, and
/// in the resulting dictionary, each character in x will be mapped to the
/// character at the same position in y. If there is a third argument, it
/// must be a string, whose characters will be mapped to None in the result.
#[native("str.maketrans(x, y=<unrepresentable>, z=<unrepresentable>, /)")]
fn maketrans(vm: &mut Vm, x: &Value, y: Option<&str>, z: Option<&str>) -> PyResult<Value> {
    let d = Value::new(Object::Dict(crate::value::dict::DictObj::new(Default::default())));
    let Some(y) = y else {
        let Some(src) = x.as_dict() else {
            return Err(vm.type_error("if you give only one argument to maketrans it must be a dict"));
        };
        let keys = src.lock().keys();
        for k in keys {
            let v = vm.get_item(x, &k)?;
            let key = if let Some(ks) = k.as_str() {
                let mut cs = ks.as_str().chars();
                match (cs.next(), cs.next()) {
                    (Some(c), None) => Value::Int(c as i64),
                    _ => return Err(vm.value_error("string keys in translate table must be of length 1")),
                }
            } else if matches!(k, Value::Int(_) | Value::Bool(_)) || matches!(k.obj(), Some(Object::BigInt(_))) {
                k
            } else {
                return Err(vm.type_error("keys in translate table must be strings or integers"));
            };
            vm.dict_set(&d, key, v)?;
        }
        return Ok(d);
    };
    let Some(x) = x.as_str() else {
        return Err(vm.type_error("first maketrans argument must be a string if there is a second argument"));
    };
    if x.char_len() != y.chars().count() {
        return Err(vm.value_error("the first two maketrans arguments must have equal length"));
    }
    for (a, b) in x.as_str().chars().zip(y.chars()) {
        vm.dict_set(&d, Value::Int(a as i64), Value::Int(b as i64))?;
    }
    for c in z.unwrap_or("").chars() {
        vm.dict_set(&d, Value::Int(c as i64), Value::None)?;
    }
    Ok(d)
}

/// Replace each character in the string using the given translation table.
///
///   table
///     Translation table, which must be a mapping of Unicode ordinals to
///     Unicode ordinals, strings, or None.
///
/// The table must implement lookup/indexing via __getitem__, for instance a
/// dictionary or list.  If this operation raises LookupError, the character is
/// left untouched.  Characters mapped to None are deleted.
#[native("str.translate($self, table, /)")]
fn translate(vm: &mut Vm, this: &StrObj, table: &Value) -> PyResult<String> {
    let s = this.as_str();
    let lookup_error = Exc::LookupError.class();
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match vm.get_item(table, &Value::Int(c as i64)) {
            Ok(Value::None) => {}
            Ok(Value::Int(i)) => match u32::try_from(i).ok().and_then(char::from_u32) {
                Some(r) => out.push(r),
                None => return Err(vm.value_error("character mapping must be in range(0x110000)")),
            },
            Ok(v) => match v.as_str() {
                Some(r) => out.push_str(r.as_str()),
                None => return Err(vm.type_error("character mapping must return integer, None or str")),
            },
            Err(e) => {
                if crate::value::class::is_subclass(&vm.class_of(&e.exc), lookup_error) {
                    out.push(c);
                } else {
                    return Err(e);
                }
            }
        }
    }
    Ok(out)
}

/// The fill character of center, ljust and rjust.
fn fill_char(vm: &mut Vm, fill: Option<&Value>) -> PyResult<char> {
    let Some(v) = fill else { return Ok(' ') };
    match v.as_str() {
        Some(s) if s.char_len() == 1 => Ok(s.as_str().chars().next().unwrap_or(' ')),
        Some(_) => Err(vm.type_error("The fill character must be exactly one character long")),
        None => {
            let msg = format!("The fill character must be a unicode character, not {}", vm.type_name(v));
            Err(vm.type_error(&msg))
        }
    }
}

/// The string padded to `width` with `fill`, aligned by `align` ('<', '>' or '^').
fn pad(vm: &mut Vm, this: (&Value, &StrObj), width: i64, fill: Option<&Value>, align: char) -> PyResult<Value> {
    let fill = fill_char(vm, fill)?;
    let n = this.1.char_len();
    if width <= n as i64 {
        return Ok(same_or_new(this, this.1.as_str()));
    }
    let total = width as usize - n;
    vm.check_alloc(total, fill.len_utf8())?;
    let (l, r) = match align {
        '<' => (0, total),
        '>' => (total, 0),
        _ => {
            // CPython's center puts the extra space on the right unless the width is odd.
            let left = total / 2 + (total & width as usize & 1);
            (left, total - left)
        }
    };
    let mut out = String::with_capacity(this.1.as_str().len() + total * fill.len_utf8());
    out.extend(std::iter::repeat_n(fill, l));
    out.push_str(this.1.as_str());
    out.extend(std::iter::repeat_n(fill, r));
    Ok(Value::string(out))
}

/// Return a centered string of length width.
///
/// Padding is done using the specified fill character (default is a space).
#[native("str.center($self, width, fillchar=' ', /)")]
fn center(vm: &mut Vm, this: (&Value, &StrObj), width: i64, fillchar: Option<&Value>) -> PyResult<Value> {
    pad(vm, this, width, fillchar, '^')
}

/// Return a left-justified string of length width.
///
/// Padding is done using the specified fill character (default is a space).
#[native("str.ljust($self, width, fillchar=' ', /)")]
fn ljust(vm: &mut Vm, this: (&Value, &StrObj), width: i64, fillchar: Option<&Value>) -> PyResult<Value> {
    pad(vm, this, width, fillchar, '<')
}

/// Return a right-justified string of length width.
///
/// Padding is done using the specified fill character (default is a space).
#[native("str.rjust($self, width, fillchar=' ', /)")]
fn rjust(vm: &mut Vm, this: (&Value, &StrObj), width: i64, fillchar: Option<&Value>) -> PyResult<Value> {
    pad(vm, this, width, fillchar, '>')
}

/// Pad a numeric string with zeros on the left, to fill a field of the given width.
///
/// The string is never truncated.
#[native("str.zfill($self, width, /)")]
fn zfill(vm: &mut Vm, this: (&Value, &StrObj), width: i64) -> PyResult<Value> {
    let s = this.1.as_str();
    let n = this.1.char_len();
    if width <= n as i64 {
        return Ok(same_or_new(this, s));
    }
    vm.check_alloc(width as usize - n, 1)?;
    let (sign, rest) = if s.starts_with(['+', '-']) { s.split_at(1) } else { ("", s) };
    Ok(Value::string(format!("{}{}{}", sign, "0".repeat(width as usize - n), rest)))
}

/// Encode the string using the codec registered for encoding.
///
///   encoding
///     The encoding in which to encode the string.
///   errors
///     The error handling scheme to use for encoding errors.
///     The default is 'strict' meaning that encoding errors raise a
///     UnicodeEncodeError.  Other possible values are 'ignore', 'replace' and
///     'xmlcharrefreplace' as well as any other name registered with
///     codecs.register_error that can handle UnicodeEncodeErrors.
#[native("str.encode($self, /, encoding='utf-8', errors='strict')")]
fn str_encode(vm: &mut Vm, this: &StrObj, encoding: &str, errors: &str) -> PyResult<Value> {
    let b = encode_str(vm, this.as_str(), encoding, errors)?;
    Ok(Value::new(Object::Bytes(b.into_boxed_slice())))
}

/// The text codecs conc has built in.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Codec {
    Utf8,
    Ascii,
    Latin1,
}

impl Codec {
    /// The codec an encoding name denotes (case, `_` and `-` ignored as CPython's
    /// normalisation does), or LookupError "unknown encoding: x".
    pub(crate) fn named(vm: &mut Vm, name: &str) -> PyResult<Codec> {
        let norm: String =
            name.chars().map(|c| if c == '_' || c == ' ' { '-' } else { c.to_ascii_lowercase() }).collect();
        match norm.as_str() {
            "utf-8" | "utf8" | "u8" | "utf" | "cp65001" => Ok(Codec::Utf8),
            "ascii" | "us-ascii" | "646" => Ok(Codec::Ascii),
            "latin-1" | "latin1" | "latin" | "l1" | "iso-8859-1" | "iso8859-1" | "8859" | "cp819" => Ok(Codec::Latin1),
            _ => {
                let msg = format!("unknown encoding: {name}");
                Err(vm.error(Exc::LookupError, &msg))
            }
        }
    }

    fn name(self) -> &'static str {
        match self {
            Codec::Utf8 => "utf-8",
            Codec::Ascii => "ascii",
            Codec::Latin1 => "latin-1",
        }
    }
}

fn unknown_handler(vm: &mut Vm, errors: &str) -> crate::vm::PyErr {
    let msg = format!("unknown error handler name '{errors}'");
    vm.error(Exc::LookupError, &msg)
}

/// `s.encode(encoding, errors)`: the error handlers strict, ignore, replace,
/// backslashreplace and xmlcharrefreplace, looked up (as in CPython) only when a
/// character cannot be encoded.
pub fn encode_str(vm: &mut Vm, s: &str, encoding: &str, errors: &str) -> PyResult<Vec<u8>> {
    let codec = Codec::named(vm, encoding)?;
    let limit: u32 = match codec {
        // A str holds no surrogates, so every one encodes.
        Codec::Utf8 => return Ok(s.as_bytes().to_vec()),
        Codec::Ascii => 0x80,
        Codec::Latin1 => 0x100,
    };
    if s.is_ascii() {
        return Ok(s.as_bytes().to_vec());
    }
    let mut out = Vec::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if (c as u32) < limit {
            out.push(c as u32 as u8);
            i += 1;
            continue;
        }
        match errors {
            "strict" => {
                let end = chars[i..].iter().take_while(|&&c| c as u32 >= limit).count() + i;
                let what = if end - i == 1 {
                    format!("character {} in position {i}", super::format::ascii_escape(&format!("'{c}'")))
                } else {
                    format!("characters in position {i}-{}", end - 1)
                };
                let msg = format!("'{}' codec can't encode {what}: ordinal not in range({limit})", codec.name());
                return Err(vm.error(Exc::UnicodeEncodeError, &msg));
            }
            "ignore" => {}
            "replace" => out.push(b'?'),
            "backslashreplace" => {
                let u = c as u32;
                let esc = match u {
                    0..=0xff => format!("\\x{u:02x}"),
                    0x100..=0xffff => format!("\\u{u:04x}"),
                    _ => format!("\\U{u:08x}"),
                };
                out.extend_from_slice(esc.as_bytes());
            }
            "xmlcharrefreplace" => out.extend_from_slice(format!("&#{};", c as u32).as_bytes()),
            _ => return Err(unknown_handler(vm, errors)),
        }
        i += 1;
    }
    Ok(out)
}

/// `b.decode(encoding, errors)`: the error handlers strict, ignore, replace and
/// backslashreplace, looked up only when a byte cannot be decoded.
pub fn decode_bytes(vm: &mut Vm, b: &[u8], encoding: &str, errors: &str) -> PyResult<String> {
    let codec = Codec::named(vm, encoding)?;
    if codec == Codec::Latin1 {
        return Ok(b.iter().map(|&c| c as char).collect());
    }
    let mut out = String::with_capacity(b.len());
    let mut pos = 0;
    loop {
        // The length of the decodable run at `pos`, then that of the undecodable one
        // after it and whether it is a sequence cut short by the end of the data.
        let (valid, bad, truncated) = match codec {
            Codec::Ascii => match b[pos..].iter().position(|&c| c >= 0x80) {
                None => (b.len() - pos, 0, false),
                Some(k) => (k, 1, false),
            },
            _ => match std::str::from_utf8(&b[pos..]) {
                Ok(_) => (b.len() - pos, 0, false),
                Err(e) => match e.error_len() {
                    Some(n) => (e.valid_up_to(), n, false),
                    None => (e.valid_up_to(), b.len() - pos - e.valid_up_to(), true),
                },
            },
        };
        // The run is ASCII or valid UTF-8.
        out.push_str(std::str::from_utf8(&b[pos..pos + valid]).unwrap_or_default());
        pos += valid;
        if bad == 0 {
            return Ok(out);
        }
        match errors {
            "strict" => {
                let reason = match codec {
                    Codec::Ascii => "ordinal not in range(128)",
                    _ if truncated => "unexpected end of data",
                    _ if (0x80..0xc2).contains(&b[pos]) || b[pos] >= 0xf5 => "invalid start byte",
                    _ => "invalid continuation byte",
                };
                let what = if bad == 1 {
                    format!("byte 0x{:02x} in position {pos}", b[pos])
                } else {
                    format!("bytes in position {pos}-{}", pos + bad - 1)
                };
                let msg = format!("'{}' codec can't decode {what}: {reason}", codec.name());
                return Err(vm.error(Exc::UnicodeDecodeError, &msg));
            }
            "ignore" => {}
            "replace" => out.push('\u{fffd}'),
            "backslashreplace" => {
                for c in &b[pos..pos + bad] {
                    out.push_str(&format!("\\x{c:02x}"));
                }
            }
            "xmlcharrefreplace" | "namereplace" => {
                return Err(vm.type_error("don't know how to handle UnicodeDecodeError in error callback"))
            }
            _ => return Err(unknown_handler(vm, errors)),
        }
        pos += bad;
    }
}

/// Partition the string into three parts using the given separator.
///
/// This will search for the separator in the string.  If the separator is found,
/// returns a 3-tuple containing the part before the separator, the separator
/// itself, and the part after it.
///
/// If the separator is not found, returns a 3-tuple containing the original string
/// and two empty strings.
#[native("str.partition($self, sep, /)")]
fn partition(vm: &mut Vm, this: (&Value, &StrObj), sep: &Value) -> PyResult<Value> {
    partition_at(vm, this, sep, false)
}

/// Partition the string into three parts using the given separator.
///
/// This will search for the separator in the string, starting at the end. If
/// the separator is found, returns a 3-tuple containing the part before the
/// separator, the separator itself, and the part after it.
///
/// If the separator is not found, returns a 3-tuple containing two empty strings
/// and the original string.
#[native("str.rpartition($self, sep, /)")]
fn rpartition(vm: &mut Vm, this: (&Value, &StrObj), sep: &Value) -> PyResult<Value> {
    partition_at(vm, this, sep, true)
}

fn partition_at(vm: &mut Vm, this: (&Value, &StrObj), sep_v: &Value, rev: bool) -> PyResult<Value> {
    let sep = must_be_str(vm, sep_v)?;
    if sep.is_empty() {
        return Err(vm.value_error("empty separator"));
    }
    let s = this.1.as_str();
    let found = if rev { s.rfind(sep) } else { s.find(sep) };
    Ok(match found {
        Some(i) => Value::tuple(vec![Value::str(&s[..i]), Value::str(sep), Value::str(&s[i + sep.len()..])]),
        None => {
            let whole = same_or_new(this, s);
            if rev {
                Value::tuple(vec![Value::str(""), Value::str(""), whole])
            } else {
                Value::tuple(vec![whole, Value::str(""), Value::str("")])
            }
        }
    })
}

/// The affix argument of removeprefix and removesuffix.
fn affix_arg<'a>(vm: &mut Vm, v: &'a Value, name: &str) -> PyResult<&'a str> {
    match v.as_str() {
        Some(s) => Ok(s.as_str()),
        None => {
            let msg = format!("{name}() argument must be str, not {}", vm.type_name(v));
            Err(vm.type_error(&msg))
        }
    }
}

/// Return a str with the given prefix string removed if present.
///
/// If the string starts with the prefix string, return string[len(prefix):].
/// Otherwise, return a copy of the original string.
#[native("str.removeprefix($self, prefix, /)")]
fn removeprefix(vm: &mut Vm, this: (&Value, &StrObj), prefix: &Value) -> PyResult<Value> {
    let p = affix_arg(vm, prefix, "removeprefix")?;
    let s = this.1.as_str();
    Ok(same_or_new(this, s.strip_prefix(p).unwrap_or(s)))
}

/// Return a str with the given suffix string removed if present.
///
/// If the string ends with the suffix string and that suffix is not empty,
/// return string[:-len(suffix)]. Otherwise, return a copy of the original
/// string.
#[native("str.removesuffix($self, suffix, /)")]
fn removesuffix(vm: &mut Vm, this: (&Value, &StrObj), suffix: &Value) -> PyResult<Value> {
    let p = affix_arg(vm, suffix, "removesuffix")?;
    let s = this.1.as_str();
    Ok(same_or_new(this, s.strip_suffix(p).unwrap_or(s)))
}

/// Return a copy where all tab characters are expanded using spaces.
///
/// If tabsize is not given, a tab size of 8 characters is assumed.
#[native("str.expandtabs($self, /, tabsize=8)")]
fn expandtabs(vm: &mut Vm, this: &StrObj, tabsize: i64) -> PyResult<String> {
    if tabsize > i32::MAX as i64 || tabsize < i32::MIN as i64 {
        return Err(vm.error(Exc::OverflowError, "Python int too large to convert to C int"));
    }
    let size = tabsize.max(0) as usize;
    // Each tab widens the text by at most `size` columns.
    let tabs = this.as_str().bytes().filter(|&b| b == b'\t').count();
    vm.check_alloc(tabs, size)?;
    let mut out = String::with_capacity(this.as_str().len());
    let mut col = 0;
    for c in this.as_str().chars() {
        match c {
            '\t' => {
                if size > 0 {
                    let n = size - col % size;
                    out.extend(std::iter::repeat_n(' ', n));
                    col += n;
                }
            }
            '\n' | '\r' => {
                out.push(c);
                col = 0;
            }
            _ => {
                out.push(c);
                col += 1;
            }
        }
    }
    Ok(out)
}

/// Unicode category Nd (decimal digits), for the scripts that scripts meet in practice;
/// Rust's standard library has no direct test for it.
pub fn is_decimal_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_digit();
    }
    const ZEROS: &[u32] = &[
        0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66, 0x0DE6, 0x0E50,
        0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0xFF10, 0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6,
    ];
    let u = c as u32;
    ZEROS.iter().any(|&z| (z..z + 10).contains(&u))
}

/// Decimal digits plus the other characters with Numeric_Type=Digit (superscripts,
/// subscripts, circled digits), which `str.isdigit` accepts and `str.isdecimal` does not.
fn is_digit_char(c: char) -> bool {
    let u = c as u32;
    is_decimal_char(c)
        || matches!(u, 0xB2 | 0xB3 | 0xB9 | 0x2070 | 0x2074..=0x2079 | 0x2080..=0x2089)
        || (0x2460..=0x2468).contains(&u)
        || (0x2474..=0x247C).contains(&u)
        || (0x2488..=0x2490).contains(&u)
        || (0x24F5..=0x24FD).contains(&u)
        || (0x2776..=0x277E).contains(&u)
        || (0x2780..=0x2788).contains(&u)
        || (0x278A..=0x2792).contains(&u)
}

/// The few title-case letters (category Lt), such as 'ǅ'.
fn is_titlecase(c: char) -> bool {
    matches!(c as u32, 0x01C5 | 0x01C8 | 0x01CB | 0x01F2 | 0x1F88..=0x1F8F | 0x1F98..=0x1F9F | 0x1FA8..=0x1FAF | 0x1FBC | 0x1FCC | 0x1FFC)
}

/// The engine of `str.format`: `{}` `{0}` `{name}` `{0.attr}` `{0[key]}` `{!r}`
/// `{:spec}` with nested fields in the spec.
pub fn format_with(vm: &mut Vm, fmt: &str, pos: &[Value], kw: FieldNames, auto: &mut usize) -> PyResult<String> {
    let chars: Vec<char> = fmt.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '{' {
            if i + 1 < chars.len() && chars[i + 1] == '{' {
                out.push('{');
                i += 2;
                continue;
            }
            // Find the matching close brace, allowing nested fields in the spec.
            let mut depth = 1;
            let mut j = i + 1;
            while j < chars.len() && depth > 0 {
                if chars[j] == '{' {
                    depth += 1;
                } else if chars[j] == '}' {
                    depth -= 1;
                }
                if depth > 0 {
                    j += 1;
                }
            }
            if j >= chars.len() {
                let msg = if i + 1 == chars.len() {
                    "Single '{' encountered in format string"
                } else {
                    "expected '}' before end of string"
                };
                return Err(vm.value_error(msg));
            }
            let field: String = chars[i + 1..j].iter().collect();
            let (name_conv, spec) = match field.find(':') {
                Some(k) => (field[..k].to_string(), field[k + 1..].to_string()),
                None => (field.clone(), String::new()),
            };
            let (name, conv) = match name_conv.find('!') {
                Some(k) => (name_conv[..k].to_string(), name_conv[k + 1..].chars().next()),
                None => (name_conv.clone(), None),
            };
            let mut v = resolve_field(vm, &name, pos, kw, auto)?;
            v = match conv {
                Some('r') => Value::string(vm.repr_of(&v)?),
                Some('s') => Value::string(vm.str_of(&v)?),
                Some('a') => Value::string(super::format::ascii_escape(&vm.repr_of(&v)?)),
                Some(c) => {
                    let msg = format!("Unknown conversion specifier {c}");
                    return Err(vm.value_error(&msg));
                }
                None => v,
            };
            let spec = if spec.contains('{') { format_with(vm, &spec, pos, kw, auto)? } else { spec };
            out.push_str(&vm.format(&v, &spec)?);
            i = j + 1;
        } else if c == '}' {
            if i + 1 < chars.len() && chars[i + 1] == '}' {
                out.push('}');
                i += 2;
                continue;
            }
            return Err(vm.value_error("Single '}' encountered in format string"));
        } else {
            out.push(c);
            i += 1;
        }
    }
    Ok(out)
}

const MANUAL_NUMBERING: usize = usize::MAX;

fn resolve_field(vm: &mut Vm, name: &str, pos: &[Value], kw: FieldNames, auto: &mut usize) -> PyResult<Value> {
    let first_end = name.find(['.', '[']).unwrap_or(name.len());
    let head = &name[..first_end];
    if let FieldNames::Map(_) = kw {
        if head.is_empty() || head.parse::<usize>().is_ok() {
            return Err(vm.value_error("Format string contains positional fields"));
        }
    }
    // `auto` counts automatic fields; MANUAL_NUMBERING marks that an explicit index was
    // used. CPython refuses to mix the two styles in one format string.
    let mut v = if head.is_empty() {
        if *auto == MANUAL_NUMBERING {
            return Err(vm.value_error("cannot switch from manual field specification to automatic field numbering"));
        }
        let k = *auto;
        *auto += 1;
        match pos.get(k) {
            Some(v) => v.clone(),
            None => {
                let msg = format!("Replacement index {k} out of range for positional args tuple");
                return Err(vm.error(Exc::IndexError, &msg));
            }
        }
    } else if let Ok(k) = head.parse::<usize>() {
        if *auto != 0 && *auto != MANUAL_NUMBERING {
            return Err(vm.value_error("cannot switch from automatic field numbering to manual field specification"));
        }
        *auto = MANUAL_NUMBERING;
        match pos.get(k) {
            Some(v) => v.clone(),
            None => {
                let msg = format!("Replacement index {k} out of range for positional args tuple");
                return Err(vm.error(Exc::IndexError, &msg));
            }
        }
    } else {
        match kw {
            FieldNames::Kw(kw) => match kw.iter().find(|(k, _)| k.str_text() == head) {
                Some((_, v)) => v.clone(),
                None => return Err(vm.key_error(Value::str(head))),
            },
            FieldNames::Map(m) => vm.get_item(m, &Value::str(head))?,
        }
    };
    let mut rest = &name[first_end..];
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            let attr = crate::value::str::intern(&r[..end]);
            v = vm.get_attr(&v, &attr)?;
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']').unwrap_or(r.len());
            let key = &r[..end];
            let k = match key.parse::<i64>() {
                Ok(n) => Value::Int(n),
                Err(_) => Value::str(key),
            };
            v = vm.get_item(&v, &k)?;
            rest = r.get(end + 1..).unwrap_or("");
        } else {
            break;
        }
    }
    Ok(v)
}
