//! f-strings: splitting an f-string's body into literal text and `{expr!c:spec}`
//! fields as CPython 3.11 does, and parsing each field's expression with the ordinary
//! expression grammar. The lexer has already found where the literal ends (in 3.11 a
//! field cannot contain the f-string's own quote), so this works on the body alone,
//! and the field expressions are lexed in place so that their spans point into the
//! file.

use crate::ast::{Conversion, FStringPart};
use crate::error::{SyntaxError, SyntaxErrorKind};
use crate::lexer::strings::{decode_str_escapes, push_normalised_newlines};
use crate::span::Span;

fn fail(message: impl Into<String>, at: usize, end: usize) -> SyntaxError {
    SyntaxError::new(SyntaxErrorKind::SyntaxError, message, Span::new(at, end.max(at)))
}

/// Appends literal text, merging it with a preceding literal.
pub fn push_literal(parts: &mut Vec<FStringPart>, s: String) {
    if s.is_empty() {
        return;
    }
    if let Some(FStringPart::Literal(prev)) = parts.last_mut() {
        prev.push_str(&s);
    } else {
        parts.push(FStringPart::Literal(s));
    }
}

/// Parses the body `source[start..end]` of an f-string.
pub fn parse(source: &str, start: usize, end: usize, raw: bool) -> Result<Vec<FStringPart>, SyntaxError> {
    let mut p = Splitter { source, bytes: source.as_bytes(), end, raw };
    let (parts, _) = p.parts(start, 0)?;
    Ok(parts)
}

struct Splitter<'a> {
    source: &'a str,
    bytes: &'a [u8],
    end: usize,
    raw: bool,
}

impl Splitter<'_> {
    /// Reads literal text and fields from `i` until the end of the body or, inside a
    /// format spec (`level > 0`), until the `}` that closes the field. Returns the
    /// parts and the position reached.
    fn parts(&mut self, mut i: usize, level: usize) -> Result<(Vec<FStringPart>, usize), SyntaxError> {
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut run = i;
        while i < self.end {
            let c = self.bytes[i];
            if c == b'\\' && !self.raw {
                // Skip the escaped character; `\N{...}` contains braces that are not fields.
                if self.bytes.get(i + 1) == Some(&b'N') && self.bytes.get(i + 2) == Some(&b'{') {
                    match self.source[i..self.end].find('}') {
                        Some(k) => i += k + 1,
                        None => i = self.end,
                    }
                } else {
                    i += 2;
                }
                continue;
            }
            if c != b'{' && c != b'}' {
                i += 1;
                continue;
            }
            if level == 0 && self.bytes.get(i + 1) == Some(&c) {
                // `{{` and `}}` stand for one brace (only outside format specs).
                self.literal(&mut lit, run, i + 1)?;
                i += 2;
                run = i;
                continue;
            }
            if c == b'}' {
                if level == 0 {
                    return Err(fail("f-string: single '}' is not allowed", i, i + 1));
                }
                self.literal(&mut lit, run, i)?;
                push_literal(&mut parts, std::mem::take(&mut lit));
                return Ok((parts, i));
            }
            self.literal(&mut lit, run, i)?;
            push_literal(&mut parts, std::mem::take(&mut lit));
            i = self.field(i, level, &mut parts)?;
            run = i;
        }
        if level > 0 {
            return Err(fail("f-string: expecting '}'", self.end, self.end));
        }
        self.literal(&mut lit, run, self.end.min(i.max(run)))?;
        push_literal(&mut parts, lit);
        Ok((parts, self.end))
    }

    fn literal(&self, out: &mut String, from: usize, to: usize) -> Result<(), SyntaxError> {
        if to <= from {
            return Ok(());
        }
        let text = &self.source[from..to];
        if self.raw {
            push_normalised_newlines(out, text);
            Ok(())
        } else {
            decode_str_escapes(out, text, from)
        }
    }

    /// Parses the field starting at the `{` at `open`; returns the position after its `}`.
    fn field(&mut self, open: usize, level: usize, parts: &mut Vec<FStringPart>) -> Result<usize, SyntaxError> {
        if level >= 2 {
            return Err(fail("f-string: expressions nested too deeply", open, open + 1));
        }
        let expr_start = open + 1;
        let mut i = expr_start;
        let mut quote: Option<(u8, bool)> = None;
        let mut brackets: Vec<u8> = Vec::new();
        while i < self.end {
            let c = self.bytes[i];
            if c == b'\\' {
                return Err(fail("f-string expression part cannot include a backslash", i, i + 1));
            }
            if let Some((q, triple)) = quote {
                if c == q {
                    if !triple {
                        quote = None;
                    } else if self.bytes.get(i + 1) == Some(&q) && self.bytes.get(i + 2) == Some(&q) {
                        quote = None;
                        i += 2;
                    }
                }
                i += 1;
                continue;
            }
            match c {
                b'\'' | b'"' => {
                    let triple = self.bytes.get(i + 1) == Some(&c) && self.bytes.get(i + 2) == Some(&c);
                    quote = Some((c, triple));
                    if triple {
                        i += 2;
                    }
                }
                b'(' | b'[' | b'{' => {
                    if brackets.len() >= crate::lexer::brackets::MAX_DEPTH {
                        return Err(fail("f-string: too many nested parenthesis", i, i + 1));
                    }
                    brackets.push(c);
                }
                b')' | b']' | b'}' if !brackets.is_empty() => {
                    let open_c = brackets.pop().unwrap_or(b'(');
                    let expected = match open_c {
                        b'(' => b')',
                        b'[' => b']',
                        _ => b'}',
                    };
                    if c != expected {
                        return Err(fail(
                            format!(
                                "f-string: closing parenthesis '{}' does not match opening parenthesis '{}'",
                                c as char, open_c as char
                            ),
                            i,
                            i + 1,
                        ));
                    }
                }
                b')' | b']' => {
                    return Err(fail(format!("f-string: unmatched '{}'", c as char), i, i + 1));
                }
                b'#' => return Err(fail("f-string expression part cannot include '#'", i, i + 1)),
                b'!' | b'=' | b'<' | b'>' if brackets.is_empty() => {
                    if self.bytes.get(i + 1) == Some(&b'=') {
                        i += 2;
                        continue;
                    }
                    if c == b'!' || c == b'=' {
                        break;
                    }
                }
                b':' | b'}' if brackets.is_empty() => break,
                _ => {}
            }
            i += 1;
        }
        if quote.is_some() {
            return Err(fail("f-string: unterminated string", expr_start, i));
        }
        if !brackets.is_empty() || i >= self.end {
            return Err(fail("f-string: expecting '}'", open, open + 1));
        }
        let expr_end = i;
        if self.source[expr_start..expr_end].trim().is_empty() {
            return Err(fail("f-string: empty expression not allowed", open, i + 1));
        }
        let expr = crate::parser::parse_expr(self.source, expr_start, expr_end).map_err(|mut e| {
            if !e.message.starts_with("f-string") {
                e.message = format!("f-string: {}", e.message);
            }
            e.incomplete = false;
            e
        })?;
        let mut debug_text = None;
        if self.bytes[i] == b'=' {
            i += 1;
            while i < self.end && self.bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            debug_text = Some(self.source[expr_start..i].to_string());
        }
        let mut conversion = None;
        if i < self.end && self.bytes[i] == b'!' {
            let c = self.source[i + 1..self.end].chars().next();
            conversion = Some(match c {
                Some('s') => Conversion::Str,
                Some('r') => Conversion::Repr,
                Some('a') => Conversion::Ascii,
                None => return Err(fail("f-string: expecting '}'", open, open + 1)),
                Some(_) => {
                    return Err(fail("f-string: invalid conversion character: expected 's', 'r', or 'a'", i, i + 2))
                }
            });
            i += 2;
            if i < self.end && !matches!(self.bytes[i], b':' | b'}') {
                return Err(fail("f-string: expecting '}'", open, open + 1));
            }
        }
        let mut format_spec = None;
        if i < self.end && self.bytes[i] == b':' {
            let (spec, after) = self.parts(i + 1, level + 1)?;
            format_spec = Some(spec);
            i = after;
        }
        if i >= self.end || self.bytes[i] != b'}' {
            return Err(fail("f-string: expecting '}'", open, open + 1));
        }
        if let Some(text) = debug_text {
            push_literal(parts, text);
            if conversion.is_none() && format_spec.is_none() {
                conversion = Some(Conversion::Repr);
            }
        }
        parts.push(FStringPart::Field { expr: Box::new(expr), conversion, format_spec });
        Ok(i + 1)
    }
}
