//! The JSON scanner: parses one value from a str starting at a char index.
//!
//! It works on the UTF-8 bytes and converts byte offsets to char indices only
//! where a position leaves the scanner (the end of the value, an error), since
//! CPython reports positions in chars. Hooks (`object_hook`, `parse_float`, ...)
//! are called with no lock held: the containers being built are not yet shared.

use conc_interpreter::native::Exc;
use conc_interpreter::value::dict::{DictData, DictObj};
use conc_interpreter::value::str::hash_str;
use conc_interpreter::{Object, PyErr, PyResult, Value, Vm};
use num_bigint::BigInt;

/// The hooks and the error class of one scan.
pub struct Hooks {
    pub strict: bool,
    pub object_hook: Option<Value>,
    pub object_pairs_hook: Option<Value>,
    pub parse_float: Option<Value>,
    pub parse_int: Option<Value>,
    pub parse_constant: Option<Value>,
    /// `JSONDecodeError` (defined in conc), called as `(msg, doc, pos)`.
    pub error_class: Value,
    /// The document as a str value (for the error's `doc`).
    pub doc: Value,
}

/// A `JSONDecodeError(msg, doc, pos)` with `pos` in chars, made by calling the class
/// the conc module passed (an error while making it is raised instead).
pub fn decode_error(vm: &mut Vm, hooks: &Hooks, msg: &str, pos: usize) -> PyErr {
    let args = [Value::str(msg), hooks.doc.clone(), Value::Int(pos as i64)];
    match vm.call1(&hooks.error_class, args) {
        Ok(exc) => PyErr { exc },
        Err(e) => e,
    }
}

pub struct Scanner<'a> {
    pub text: &'a str,
    b: &'a [u8],
    hooks: &'a Hooks,
}

/// A failure that is not yet an exception: message and byte offset.
enum Fail {
    At(&'static str, usize),
    Py(PyErr),
    /// A `\\uXXXX` escape of a lone surrogate, which a conc str cannot hold.
    Surrogate(u32),
}

impl From<PyErr> for Fail {
    fn from(e: PyErr) -> Fail {
        Fail::Py(e)
    }
}

type Scan<T> = Result<T, Fail>;

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

impl<'a> Scanner<'a> {
    pub fn new(text: &'a str, hooks: &'a Hooks) -> Scanner<'a> {
        Scanner { text, b: text.as_bytes(), hooks }
    }

    /// The char index of a byte offset.
    pub fn char_index(&self, byte: usize) -> usize {
        let byte = byte.min(self.b.len());
        if self.text.is_ascii() {
            byte
        } else {
            self.text[..byte].chars().count()
        }
    }

    /// Parses the value at byte offset `at`; returns it and the byte offset after it.
    pub fn scan(&self, vm: &mut Vm, at: usize) -> PyResult<(Value, usize)> {
        match self.value(vm, at) {
            Ok(r) => Ok(r),
            Err(Fail::Py(e)) => Err(e),
            Err(Fail::At(msg, pos)) => Err(self.error(vm, msg, pos)),
            Err(Fail::Surrogate(u)) => {
                let msg = format!("json: the lone surrogate \\u{u:04x} cannot be held in a conc str");
                Err(vm.error(Exc::NotImplementedError, &msg))
            }
        }
    }

    /// A JSONDecodeError for `msg` at byte offset `pos`.
    pub fn error(&self, vm: &mut Vm, msg: &str, pos: usize) -> PyErr {
        decode_error(vm, self.hooks, msg, self.char_index(pos))
    }

    fn skip_ws(&self, mut i: usize) -> usize {
        while i < self.b.len() && is_ws(self.b[i]) {
            i += 1;
        }
        i
    }

    fn value(&self, vm: &mut Vm, i: usize) -> Scan<(Value, usize)> {
        let Some(&c) = self.b.get(i) else {
            return Err(Fail::At("Expecting value", i));
        };
        match c {
            b'"' => {
                let (s, end) = self.string(i)?;
                Ok((Value::string(s), end))
            }
            b'{' => self.nested(vm, i, true),
            b'[' => self.nested(vm, i, false),
            b'n' if self.b[i..].starts_with(b"null") => Ok((Value::None, i + 4)),
            b't' if self.b[i..].starts_with(b"true") => Ok((Value::Bool(true), i + 4)),
            b'f' if self.b[i..].starts_with(b"false") => Ok((Value::Bool(false), i + 5)),
            b'N' if self.b[i..].starts_with(b"NaN") => self.constant(vm, "NaN", i),
            b'I' if self.b[i..].starts_with(b"Infinity") => self.constant(vm, "Infinity", i),
            b'-' if self.b[i..].starts_with(b"-Infinity") => self.constant(vm, "-Infinity", i),
            b'-' | b'0'..=b'9' => self.number(vm, i),
            _ => Err(Fail::At("Expecting value", i)),
        }
    }

    fn constant(&self, vm: &mut Vm, name: &str, i: usize) -> Scan<(Value, usize)> {
        let end = i + name.len();
        if let Some(hook) = &self.hooks.parse_constant {
            return Ok((vm.call1(hook, [Value::str(name)])?, end));
        }
        let x = match name {
            "NaN" => f64::NAN,
            "Infinity" => f64::INFINITY,
            _ => f64::NEG_INFINITY,
        };
        Ok((Value::Float(x), end))
    }

    fn number(&self, vm: &mut Vm, start: usize) -> Scan<(Value, usize)> {
        let b = self.b;
        let mut i = start;
        if b[i] == b'-' {
            i += 1;
        }
        let digits = |mut j: usize| {
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            j
        };
        match b.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => i = digits(i),
            _ => return Err(Fail::At("Expecting value", start)),
        }
        let mut is_float = false;
        if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(|c| c.is_ascii_digit()) {
            i = digits(i + 1);
            is_float = true;
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            let mut j = i + 1;
            if matches!(b.get(j), Some(b'+' | b'-')) {
                j += 1;
            }
            if b.get(j).is_some_and(|c| c.is_ascii_digit()) {
                i = digits(j);
                is_float = true;
            }
        }
        let text = &self.text[start..i];
        let v = if is_float {
            match &self.hooks.parse_float {
                Some(hook) => vm.call1(hook, [Value::str(text)])?,
                None => Value::Float(text.parse::<f64>().unwrap_or(f64::NAN)),
            }
        } else {
            match &self.hooks.parse_int {
                Some(hook) => vm.call1(hook, [Value::str(text)])?,
                None => match text.parse::<i64>() {
                    Ok(n) => Value::Int(n),
                    Err(_) => self.big_int(vm, text)?,
                },
            }
        };
        Ok((v, i))
    }

    /// An integer beyond i64, refused past CPython's 4300-digit conversion limit.
    fn big_int(&self, vm: &mut Vm, text: &str) -> Scan<Value> {
        let ndigits = text.trim_start_matches('-').len();
        let limit = vm.int_max_str_digits();
        if limit > 0 && ndigits > limit {
            let msg = format!(
                "Exceeds the limit ({limit} digits) for integer string conversion: value has {ndigits} digits; use sys.set_int_max_str_digits() to increase the limit"
            );
            return Err(Fail::Py(vm.value_error(&msg)));
        }
        let n: BigInt = text.parse().map_err(|_| Fail::At("Expecting value", 0))?;
        Ok(Value::bigint(n))
    }

    /// A string literal starting at the quote at `q`: its text and the offset after it.
    fn string(&self, q: usize) -> Scan<(String, usize)> {
        let b = self.b;
        let mut out = String::new();
        let mut i = q + 1;
        let mut run = i;
        loop {
            let Some(&c) = b.get(i) else {
                return Err(Fail::At("Unterminated string starting at", q));
            };
            match c {
                b'"' => {
                    out.push_str(&self.text[run..i]);
                    return Ok((out, i + 1));
                }
                b'\\' => {
                    out.push_str(&self.text[run..i]);
                    let Some(&e) = b.get(i + 1) else {
                        return Err(Fail::At("Unterminated string starting at", q));
                    };
                    let simple = match e {
                        b'"' => Some('"'),
                        b'\\' => Some('\\'),
                        b'/' => Some('/'),
                        b'b' => Some('\u{8}'),
                        b'f' => Some('\u{c}'),
                        b'n' => Some('\n'),
                        b'r' => Some('\r'),
                        b't' => Some('\t'),
                        b'u' => None,
                        _ => return Err(Fail::At("Invalid \\escape", i)),
                    };
                    if let Some(ch) = simple {
                        out.push(ch);
                        i += 2;
                    } else {
                        let (ch, next) = self.unicode_escape(i)?;
                        out.push(ch);
                        i = next;
                    }
                    run = i;
                }
                0..=0x1f if self.hooks.strict => return Err(Fail::At("Invalid control character at", i)),
                _ => i += 1,
            }
        }
    }

    /// Four hex digits after `\u` at `at + 2`.
    fn hex4(&self, at: usize) -> Option<u32> {
        let h = self.b.get(at..at + 4)?;
        if !h.iter().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()
    }

    /// A `\uXXXX` escape at the backslash `bs` (a surrogate pair takes two).
    fn unicode_escape(&self, bs: usize) -> Scan<(char, usize)> {
        let Some(u) = self.hex4(bs + 2) else {
            return Err(Fail::At("Invalid \\uXXXX escape", bs + 1));
        };
        let mut next = bs + 6;
        let code = if (0xd800..0xdc00).contains(&u) && self.b.get(next..next + 2) == Some(b"\\u") {
            match self.hex4(next + 2) {
                Some(lo) if (0xdc00..0xe000).contains(&lo) => {
                    next += 6;
                    0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00)
                }
                Some(_) => u,
                None => return Err(Fail::At("Invalid \\uXXXX escape", next + 1)),
            }
        } else {
            u
        };
        match char::from_u32(code) {
            Some(c) => Ok((c, next)),
            None => Err(Fail::Surrogate(code)),
        }
    }

    /// An object (`{`) or array (`[`) at `open`, one recursion level deeper.
    fn nested(&self, vm: &mut Vm, open: usize, object: bool) -> Scan<(Value, usize)> {
        let what = if object {
            " while decoding a JSON object from a unicode string"
        } else {
            " while decoding a JSON array from a unicode string"
        };
        vm.enter_native_recursion(what)?;
        let r = if object { self.object(vm, open) } else { self.array(vm, open) };
        vm.leave_native_recursion();
        r
    }

    fn array(&self, vm: &mut Vm, open: usize) -> Scan<(Value, usize)> {
        let mut items = Vec::new();
        let mut i = self.skip_ws(open + 1);
        if self.b.get(i) == Some(&b']') {
            return Ok((Value::list(items), i + 1));
        }
        loop {
            let (v, end) = self.value(vm, i)?;
            items.push(v);
            i = self.skip_ws(end);
            match self.b.get(i) {
                Some(b']') => return Ok((Value::list(items), i + 1)),
                Some(b',') => i = self.skip_ws(i + 1),
                _ => return Err(Fail::At("Expecting ',' delimiter", i)),
            }
        }
    }

    fn object(&self, vm: &mut Vm, open: usize) -> Scan<(Value, usize)> {
        let mut pairs: Vec<(String, Value)> = Vec::new();
        let mut i = self.skip_ws(open + 1);
        let end;
        if self.b.get(i) == Some(&b'}') {
            end = i + 1;
        } else {
            loop {
                if self.b.get(i) != Some(&b'"') {
                    return Err(Fail::At("Expecting property name enclosed in double quotes", i));
                }
                let (key, after) = self.string(i)?;
                i = self.skip_ws(after);
                if self.b.get(i) != Some(&b':') {
                    return Err(Fail::At("Expecting ':' delimiter", i));
                }
                i = self.skip_ws(i + 1);
                let (v, after) = self.value(vm, i)?;
                pairs.push((key, v));
                i = self.skip_ws(after);
                match self.b.get(i) {
                    Some(b'}') => {
                        end = i + 1;
                        break;
                    }
                    Some(b',') => i = self.skip_ws(i + 1),
                    _ => return Err(Fail::At("Expecting ',' delimiter", i)),
                }
            }
        }
        if let Some(hook) = &self.hooks.object_pairs_hook {
            let list: Vec<Value> = pairs.into_iter().map(|(k, v)| Value::tuple(vec![Value::string(k), v])).collect();
            return Ok((vm.call1(hook, [Value::list(list)])?, end));
        }
        let mut d = DictData::with_capacity(pairs.len());
        for (k, v) in pairs {
            let h = hash_str(&k);
            d.set_simple(h, Value::string(k), v);
        }
        let dict = Value::new(Object::Dict(DictObj::new(d)));
        if let Some(hook) = &self.hooks.object_hook {
            return Ok((vm.call1(hook, [dict])?, end));
        }
        Ok((dict, end))
    }
}
