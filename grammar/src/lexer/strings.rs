//! String literals: finding where one ends (a logos callback) and decoding its body
//! (prefixes, escapes, newline normalisation) the way CPython 3.11 does.

use super::tokens::{RawTok, StrValue};
use crate::error::{SyntaxError, SyntaxErrorKind};
use crate::span::Span;
use logos::Lexer;

/// What the scanner learnt about a string literal: how long its prefix is, whether
/// it is triple-quoted, and whether its closing quote was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StrScan {
    pub prefix_len: u8,
    pub triple: bool,
    pub terminated: bool,
}

/// Logos callback run after a prefix and an opening quote: consumes the rest of the
/// literal. An unterminated literal stops at the end of its line (single quotes) or
/// at the end of the input (triple quotes); the lexer reports it.
pub fn scan_string(lex: &mut Lexer<RawTok>) -> StrScan {
    let opening = lex.slice().as_bytes();
    let quote = opening[opening.len() - 1];
    let prefix_len = (opening.len() - 1) as u8;
    let rest = lex.remainder().as_bytes();
    let triple = rest.len() >= 2 && rest[0] == quote && rest[1] == quote;
    let mut i = if triple { 2 } else { 0 };
    let mut terminated = false;
    while i < rest.len() {
        let b = rest[i];
        if b == b'\\' {
            // The escaped character never ends the literal; `\r\n` counts as one.
            i += if rest.get(i + 1) == Some(&b'\r') && rest.get(i + 2) == Some(&b'\n') { 3 } else { 2 };
            continue;
        }
        if b == quote {
            if !triple {
                i += 1;
                terminated = true;
                break;
            }
            if rest.get(i + 1) == Some(&quote) && rest.get(i + 2) == Some(&quote) {
                i += 3;
                terminated = true;
                break;
            }
        } else if !triple && (b == b'\n' || b == b'\r') {
            break;
        }
        i += 1;
    }
    lex.bump(i.min(rest.len()));
    StrScan { prefix_len, triple, terminated }
}

/// Flags read from a string prefix such as `rb` or `F`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Prefix {
    pub raw: bool,
    pub bytes: bool,
    pub fstring: bool,
}

impl Prefix {
    pub fn parse(prefix: &str) -> Prefix {
        let mut p = Prefix::default();
        for c in prefix.chars() {
            match c {
                'r' | 'R' => p.raw = true,
                'b' | 'B' => p.bytes = true,
                'f' | 'F' => p.fstring = true,
                _ => {}
            }
        }
        p
    }
}

/// Decodes one complete string literal token `text` that starts at byte `start` of
/// the file.
pub fn decode_literal(text: &str, scan: StrScan, start: usize) -> Result<StrValue, SyntaxError> {
    let prefix = Prefix::parse(&text[..scan.prefix_len as usize]);
    let quote_len = if scan.triple { 3 } else { 1 };
    let body_start = scan.prefix_len as usize + quote_len;
    let body_end = text.len() - quote_len;
    let body = &text[body_start..body_end];
    let abs = start + body_start;
    if prefix.fstring {
        return Ok(StrValue::FString { body_start: abs, body_end: start + body_end, raw: prefix.raw });
    }
    if prefix.bytes {
        if let Some(pos) = body.bytes().position(|b| b >= 0x80) {
            let _ = pos;
            return Err(SyntaxError::new(
                SyntaxErrorKind::SyntaxError,
                "bytes can only contain ASCII literal characters",
                Span::new(start, start + text.len()),
            ));
        }
        let mut out = Vec::with_capacity(body.len());
        if prefix.raw {
            push_normalised_newlines_bytes(&mut out, body);
        } else {
            decode_bytes_escapes(&mut out, body, abs)?;
        }
        return Ok(StrValue::Bytes(out));
    }
    let mut out = String::with_capacity(body.len());
    if prefix.raw {
        push_normalised_newlines(&mut out, body);
    } else {
        decode_str_escapes(&mut out, body, abs)?;
    }
    Ok(StrValue::Str(out))
}

/// Appends `body` with `\r\n` and `\r` turned into `\n`, as CPython's tokenizer does
/// for every physical line.
pub fn push_normalised_newlines(out: &mut String, body: &str) {
    if !body.contains('\r') {
        out.push_str(body);
        return;
    }
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            if chars.peek() == Some(&'\n') {
                chars.next();
            }
            out.push('\n');
        } else {
            out.push(c);
        }
    }
}

fn push_normalised_newlines_bytes(out: &mut Vec<u8>, body: &str) {
    let mut s = String::new();
    push_normalised_newlines(&mut s, body);
    out.extend_from_slice(s.as_bytes());
}

fn unicode_error(msg: String, abs: usize, from: usize, to: usize) -> SyntaxError {
    SyntaxError::new(SyntaxErrorKind::SyntaxError, msg, Span::new(abs + from, abs + to))
}

/// Reads exactly `n` hex digits at `body[i..]`, returning the value and how many
/// digits were actually there when fewer.
fn hex_digits(body: &[u8], i: usize, n: usize) -> Result<u32, usize> {
    let mut v: u32 = 0;
    for k in 0..n {
        match body.get(i + k).and_then(|&b| (b as char).to_digit(16)) {
            Some(d) => v = v.wrapping_mul(16).wrapping_add(d),
            None => return Err(k),
        }
    }
    Ok(v)
}

/// Decodes the escapes of a (non-raw) str literal body into `out`. `abs` is the
/// body's byte offset in the file, for error spans.
pub fn decode_str_escapes(out: &mut String, body: &str, abs: usize) -> Result<(), SyntaxError> {
    if !body.contains('\\') {
        push_normalised_newlines(out, body);
        return Ok(());
    }
    let bytes = body.as_bytes();
    let mut i = 0;
    let mut run_start = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            i += 1;
            continue;
        }
        push_normalised_newlines(out, &body[run_start..i]);
        let esc = i;
        let Some(&c) = bytes.get(i + 1) else {
            // A lone backslash at the end cannot happen in a terminated literal, but
            // an f-string part may end this way; keep it.
            out.push('\\');
            i += 1;
            run_start = i;
            continue;
        };
        i += 2;
        match c {
            b'\n' => {}
            b'\r' => {
                if bytes.get(i) == Some(&b'\n') {
                    i += 1;
                }
            }
            b'\\' => out.push('\\'),
            b'\'' => out.push('\''),
            b'"' => out.push('"'),
            b'a' => out.push('\x07'),
            b'b' => out.push('\x08'),
            b'f' => out.push('\x0c'),
            b'n' => out.push('\n'),
            b'r' => out.push('\r'),
            b't' => out.push('\t'),
            b'v' => out.push('\x0b'),
            b'0'..=b'7' => {
                let mut v = (c - b'0') as u32;
                let mut k = 0;
                while k < 2 && i < bytes.len() && (b'0'..=b'7').contains(&bytes[i]) {
                    v = v * 8 + (bytes[i] - b'0') as u32;
                    i += 1;
                    k += 1;
                }
                out.push(char::from_u32(v).unwrap_or('\u{FFFD}'));
            }
            b'x' | b'u' | b'U' => {
                let (n, name) = match c {
                    b'x' => (2, "\\xXX"),
                    b'u' => (4, "\\uXXXX"),
                    _ => (8, "\\UXXXXXXXX"),
                };
                match hex_digits(bytes, i, n) {
                    // A lone surrogate is valid in a Python str but not in a Rust
                    // String; it becomes U+FFFD rather than a syntax error.
                    Ok(v) if (0xD800..=0xDFFF).contains(&v) => {
                        out.push('\u{FFFD}');
                        i += n;
                    }
                    Ok(v) => match char::from_u32(v) {
                        Some(ch) => {
                            out.push(ch);
                            i += n;
                        }
                        None => {
                            return Err(unicode_error(
                                format!(
                                    "(unicode error) 'unicodeescape' codec can't decode bytes in position {}-{}: illegal Unicode character",
                                    esc,
                                    esc + 1 + n
                                ),
                                abs,
                                esc,
                                esc + 2 + n,
                            ))
                        }
                    },
                    Err(found) => {
                        return Err(unicode_error(
                            format!(
                                "(unicode error) 'unicodeescape' codec can't decode bytes in position {}-{}: truncated {name} escape",
                                esc,
                                esc + 1 + found
                            ),
                            abs,
                            esc,
                            esc + 2 + found,
                        ))
                    }
                }
            }
            b'N' => {
                let malformed = || {
                    unicode_error(
                        format!(
                            "(unicode error) 'unicodeescape' codec can't decode bytes in position {}-{}: malformed \\N character escape",
                            esc,
                            esc + 1
                        ),
                        abs,
                        esc,
                        esc + 2,
                    )
                };
                if bytes.get(i) != Some(&b'{') {
                    return Err(malformed());
                }
                let Some(close) = body[i..].find('}') else {
                    return Err(malformed());
                };
                let name = &body[i + 1..i + close];
                match unicode_names2::character(name) {
                    Some(ch) if !name.is_empty() => out.push(ch),
                    _ => {
                        return Err(unicode_error(
                            format!(
                                "(unicode error) 'unicodeescape' codec can't decode bytes in position {}-{}: unknown Unicode character name",
                                esc,
                                i + close
                            ),
                            abs,
                            esc,
                            i + close + 1,
                        ))
                    }
                }
                i += close + 1;
            }
            _ => {
                // Unknown escapes stay as written (CPython only warns about them). The
                // escaped character may be multi-byte, so copy it whole.
                i = esc + 1;
                out.push('\\');
            }
        }
        run_start = i;
    }
    push_normalised_newlines(out, &body[run_start..]);
    Ok(())
}

/// Decodes the escapes of a (non-raw) bytes literal body into `out`.
fn decode_bytes_escapes(out: &mut Vec<u8>, body: &str, abs: usize) -> Result<(), SyntaxError> {
    let bytes = body.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\r' {
            out.push(b'\n');
            i += if bytes.get(i + 1) == Some(&b'\n') { 2 } else { 1 };
            continue;
        }
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let esc = i;
        let Some(&c) = bytes.get(i + 1) else {
            out.push(b'\\');
            break;
        };
        i += 2;
        match c {
            b'\n' => {}
            b'\r' => {
                if bytes.get(i) == Some(&b'\n') {
                    i += 1;
                }
            }
            b'\\' => out.push(b'\\'),
            b'\'' => out.push(b'\''),
            b'"' => out.push(b'"'),
            b'a' => out.push(7),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(11),
            b'0'..=b'7' => {
                let mut v = (c - b'0') as u32;
                let mut k = 0;
                while k < 2 && i < bytes.len() && (b'0'..=b'7').contains(&bytes[i]) {
                    v = v * 8 + (bytes[i] - b'0') as u32;
                    i += 1;
                    k += 1;
                }
                out.push(v as u8);
            }
            b'x' => match hex_digits(bytes, i, 2) {
                Ok(v) => {
                    out.push(v as u8);
                    i += 2;
                }
                Err(_) => {
                    return Err(unicode_error(
                        format!("(value error) invalid \\x escape at position {esc}"),
                        abs,
                        esc,
                        esc + 2,
                    ))
                }
            },
            _ => {
                out.push(b'\\');
                i = esc + 1;
            }
        }
    }
    Ok(())
}
