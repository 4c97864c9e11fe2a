//! The text a pattern runs over, held so matches can slice it later: an ASCII str
//! (its bytes are its code points), a str with other characters (decoded once into
//! code points), or bytes.

use conc_interpreter::{Object, PyResult, Value, Vm};
use std::sync::Arc;

#[derive(Clone)]
pub enum Subject {
    /// A str whose characters are all ASCII: positions are byte offsets.
    Ascii(Value),
    /// A str with other characters, as code points.
    Wide(Arc<Vec<char>>),
    /// A bytes object.
    Bytes(Value),
    /// The contents of a bytearray or other buffer, copied when the call began.
    Buffer(Arc<Vec<u8>>),
}

/// Runs `$body` with `$t` bound to the subject's text as `&[u8]` or `&[char]`.
macro_rules! with_text {
    ($subj:expr, |$t:ident| $body:expr) => {
        match $subj {
            Subject::Ascii(v) => {
                let $t: &[u8] = v.as_str().map(|s| s.as_str().as_bytes()).unwrap_or(&[]);
                $body
            }
            Subject::Bytes(v) => {
                let $t: &[u8] = match v.unwrap_base().obj() {
                    Some(conc_interpreter::Object::Bytes(b)) => b,
                    _ => &[],
                };
                $body
            }
            Subject::Buffer(b) => {
                let $t: &[u8] = &b[..];
                $body
            }
            Subject::Wide(w) => {
                let $t: &[char] = &w[..];
                $body
            }
        }
    };
}
pub(crate) use with_text;

impl Subject {
    /// The subject for `v`, checked against the pattern's kind (str or bytes).
    pub fn of(vm: &mut Vm, v: &Value, pattern_bytes: bool) -> PyResult<Subject> {
        if let Some(s) = v.as_str() {
            if pattern_bytes {
                return Err(vm.type_error("cannot use a bytes pattern on a string-like object"));
            }
            return Ok(if s.is_ascii() {
                Subject::Ascii(v.clone())
            } else {
                Subject::Wide(Arc::new(s.as_str().chars().collect()))
            });
        }
        let bytes = match v.unwrap_base().obj() {
            Some(Object::Bytes(_)) => Some(Subject::Bytes(v.clone())),
            Some(Object::ByteArray(b)) => Some(Subject::Buffer(Arc::new(b.snapshot()))),
            _ => None,
        };
        match bytes {
            Some(s) => {
                if !pattern_bytes {
                    return Err(vm.type_error("cannot use a string pattern on a bytes-like object"));
                }
                Ok(s)
            }
            None => {
                let msg = format!("expected string or bytes-like object, got '{}'", vm.type_name(v));
                Err(vm.type_error(&msg))
            }
        }
    }

    pub fn len(&self) -> usize {
        with_text!(self, |t| t.len())
    }

    /// The text from `a` to `b` as a str or bytes value.
    pub fn slice(&self, a: usize, b: usize) -> Value {
        match self {
            Subject::Ascii(v) => {
                let s = v.as_str().map(|s| s.as_str()).unwrap_or("");
                if a == 0 && b == s.len() && v.as_exact_str().is_some() {
                    return v.clone();
                }
                Value::str(&s[a..b])
            }
            Subject::Wide(w) => Value::string(w[a..b].iter().collect()),
            Subject::Bytes(_) | Subject::Buffer(_) => {
                let piece: Box<[u8]> = with_text!(self, |t| t[a..b].iter().map(|&c| u32::from(c) as u8).collect());
                Value::new(Object::Bytes(piece))
            }
        }
    }

    /// Appends the text from `a` to `b` to an output being built.
    pub fn push_to(&self, out: &mut Out, a: usize, b: usize) {
        match (self, out) {
            (Subject::Ascii(v), Out::Str(s)) => s.push_str(&v.as_str().map(|x| x.as_str()).unwrap_or("")[a..b]),
            (Subject::Wide(w), Out::Str(s)) => s.extend(w[a..b].iter()),
            (_, Out::Bytes(o)) => with_text!(self, |t| o.extend(t[a..b].iter().map(|&c| u32::from(c) as u8))),
            _ => {}
        }
    }
}

/// A result being built by `sub`: text for a str pattern, bytes for a bytes one.
pub enum Out {
    Str(String),
    Bytes(Vec<u8>),
}

impl Out {
    pub fn push_codes(&mut self, codes: &[u32]) {
        match self {
            Out::Str(s) => s.extend(codes.iter().filter_map(|&c| char::from_u32(c))),
            Out::Bytes(b) => b.extend(codes.iter().map(|&c| c as u8)),
        }
    }

    pub fn into_value(self) -> Value {
        match self {
            Out::Str(s) => Value::string(s),
            Out::Bytes(b) => Value::new(Object::Bytes(b.into_boxed_slice())),
        }
    }
}
