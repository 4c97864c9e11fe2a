//! The lexer: logos recognises raw tokens in one pass, and this driver turns them into
//! the parser's token vector, adding NEWLINE, INDENT and DEDENT, decoding literals,
//! tracking brackets and reporting lexical errors with CPython's messages.

pub mod brackets;
pub mod indent;
pub mod numbers;
pub mod strings;
pub mod tokens;

use crate::error::{SyntaxError, SyntaxErrorKind};
use crate::span::{LineIndex, Span};
use brackets::Brackets;
use indent::{Change, IndentStack};
use logos::Logos;
use tokens::{RawTok, StrValue, Tok};

/// A token with its byte range in the file, as lalrpop wants it.
pub type Spanned<'a> = (usize, Tok<'a>, usize);

/// Whether the text is a whole file (with layout tokens) or the inside of an f-string
/// field (one expression, where newlines never matter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Module,
    Expr,
}

/// The result of lexing: every token up to the first lexical error, and that error.
/// The parser consumes the tokens first, so a syntax error earlier in the file wins
/// over a lexical error later in it, as in CPython.
pub struct Lexed<'a> {
    pub tokens: Vec<Spanned<'a>>,
    pub error: Option<SyntaxError>,
}

/// Keywords that CPython 3.11 still accepts directly after a number (`1if x else 2`).
const KEYWORDS_AFTER_NUMBERS: [&str; 8] = ["and", "else", "for", "if", "in", "is", "not", "or"];

/// Lexes `source[start..end]`; spans are offsets into the whole `source`, so that the
/// tokens of an f-string field point into the original file.
pub fn tokenize(source: &str, start: usize, end: usize, mode: Mode) -> Lexed<'_> {
    let mut lx = Driver {
        source,
        base: start,
        mode,
        tokens: Vec::with_capacity((end - start) / 4 + 4),
        indents: IndentStack::new(),
        brackets: Brackets::new(),
        line_has_tokens: false,
        with_parens: Vec::new(),
    };
    lx.tokens.push((start, if mode == Mode::Module { Tok::StartModule } else { Tok::StartExpr }, start));
    let error = lx.run(&source[start..end]).err();
    lx.mark_with_parens();
    Lexed { tokens: lx.tokens, error }
}

struct Driver<'a> {
    source: &'a str,
    base: usize,
    mode: Mode,
    tokens: Vec<Spanned<'a>>,
    indents: IndentStack,
    brackets: Brackets,
    line_has_tokens: bool,
    /// (open, close) token indices of parentheses right after `with`.
    with_parens: Vec<(usize, usize)>,
}

fn err(message: impl Into<String>, span: Span) -> SyntaxError {
    SyntaxError::new(SyntaxErrorKind::SyntaxError, message, span)
}

/// The message CPython gives for a character that cannot start any token.
pub fn invalid_character(c: char, at: usize) -> SyntaxError {
    let span = Span::new(at, at + c.len_utf8());
    if c == '\0' {
        return err("source code cannot contain null bytes", span);
    }
    if c.is_control() || c.is_whitespace() || ('\u{2000}'..='\u{200F}').contains(&c) || c == '\u{FEFF}' {
        return err(format!("invalid non-printable character U+{:04X}", c as u32), span);
    }
    err(format!("invalid character '{c}' (U+{:04X})", c as u32), span)
}

impl<'a> Driver<'a> {
    fn run(&mut self, text: &'a str) -> Result<(), SyntaxError> {
        let mut lex = RawTok::lexer(text);
        let mut last_continuation: Option<usize> = None;
        while let Some(raw) = lex.next() {
            let span = lex.span();
            let (s, e) = (span.start + self.base, span.end + self.base);
            let slice = lex.slice();
            let raw = match raw {
                Ok(r) => r,
                Err(()) => {
                    let c = slice.chars().next().unwrap_or('\0');
                    if c.is_ascii_graphic() {
                        return Err(err("invalid syntax", Span::new(s, e)));
                    }
                    return Err(invalid_character(c, s));
                }
            };
            last_continuation = None;
            match raw {
                RawTok::Comment => continue,
                RawTok::Continuation => {
                    last_continuation = Some(s);
                    continue;
                }
                RawTok::StrayBackslash => {
                    return Err(err("unexpected character after line continuation character", Span::new(s, e)))
                }
                RawTok::Newline => {
                    if self.mode == Mode::Module && self.brackets.is_empty() && self.line_has_tokens {
                        self.tokens.push((s, Tok::Newline, e));
                        self.line_has_tokens = false;
                    }
                    continue;
                }
                _ => {}
            }
            if !self.line_has_tokens && self.mode == Mode::Module && self.brackets.is_empty() {
                self.start_line(s)?;
            }
            self.line_has_tokens = true;
            let tok = self.convert(raw, slice, s, e)?;
            self.tokens.push((s, tok, e));
        }
        let end = self.base + text.len();
        if let Some(e) = self.brackets.unclosed_error() {
            return Err(e);
        }
        if let Some(at) = last_continuation {
            let mut e = err("unexpected EOF while parsing", Span::new(at, at + 1));
            e.incomplete = true;
            return Err(e);
        }
        if self.mode == Mode::Module {
            if self.line_has_tokens {
                self.tokens.push((end, Tok::Newline, end));
            }
            for _ in 0..self.indents.depth() {
                self.tokens.push((end, Tok::Dedent, end));
            }
        }
        Ok(())
    }

    /// Emits INDENT or DEDENTs for a logical line whose first token starts at `at`.
    fn start_line(&mut self, at: usize) -> Result<(), SyntaxError> {
        let bytes = self.source.as_bytes();
        let mut line_start = at;
        while line_start > self.base && !matches!(bytes[line_start - 1], b'\n' | b'\r') {
            line_start -= 1;
        }
        let ws = &bytes[line_start..at];
        match self.indents.line(ws, Span::new(at, at))? {
            Change::Same => {}
            Change::Indent => self.tokens.push((at, Tok::Indent, at)),
            Change::Dedent(n) => {
                for _ in 0..n {
                    self.tokens.push((at, Tok::Dedent, at));
                }
            }
        }
        Ok(())
    }

    fn convert(&mut self, raw: RawTok, slice: &'a str, s: usize, e: usize) -> Result<Tok<'a>, SyntaxError> {
        Ok(match raw {
            RawTok::Name => {
                if !slice.is_ascii() {
                    check_identifier(slice, s)?;
                }
                Tok::Name(slice)
            }
            RawTok::DecInt => {
                self.check_number_end(slice, s, e, "decimal")?;
                if numbers::has_forbidden_leading_zero(slice) {
                    return Err(err(
                        "leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal integers",
                        Span::new(s, e),
                    ));
                }
                Tok::Int(numbers::parse_int(slice, 10))
            }
            RawTok::HexInt => {
                self.check_number_end(slice, s, e, "hexadecimal")?;
                Tok::Int(numbers::parse_int(slice, 16))
            }
            RawTok::OctInt => {
                self.check_number_end(slice, s, e, "octal")?;
                Tok::Int(numbers::parse_int(slice, 8))
            }
            RawTok::BinInt => {
                self.check_number_end(slice, s, e, "binary")?;
                Tok::Int(numbers::parse_int(slice, 2))
            }
            RawTok::Float => {
                self.check_number_end(slice, s, e, "decimal")?;
                Tok::Float(numbers::parse_float(slice))
            }
            RawTok::Str(scan) => {
                if !scan.terminated {
                    return Err(self.unterminated(scan.triple, s));
                }
                Tok::Str(strings::decode_literal(slice, scan, s)?)
            }
            RawTok::LPar | RawTok::LSqb | RawTok::LBrace => {
                let index = self.tokens.len();
                self.brackets.open(slice.as_bytes()[0], s, index)?;
                Tok::Op(raw)
            }
            RawTok::RPar | RawTok::RSqb | RawTok::RBrace => {
                let open = self.brackets.close(slice.as_bytes()[0], s, self.source)?;
                if raw == RawTok::RPar
                    && open > 0
                    && matches!(self.tokens.get(open - 1), Some((_, Tok::Kw(RawTok::With), _)))
                {
                    self.with_parens.push((open, self.tokens.len()));
                }
                Tok::Op(raw)
            }
            r if r.is_keyword() => Tok::Kw(r),
            r => Tok::Op(r),
        })
    }

    fn unterminated(&self, triple: bool, at: usize) -> SyntaxError {
        let lines = LineIndex::new(self.source);
        if triple {
            let last = lines.line(self.source.len() as u32);
            let mut e = err(
                format!("unterminated triple-quoted string literal (detected at line {last})"),
                Span::new(at, at + 3),
            );
            e.incomplete = true;
            e
        } else {
            let line = lines.line(at as u32);
            err(format!("unterminated string literal (detected at line {line})"), Span::new(at, at + 1))
                .with_help("close the string with the same quote it starts with")
        }
    }

    /// A number directly followed by a letter (`1abc`, `0x1g`, `0o8`) is an invalid
    /// literal, except before the keywords CPython tolerates there.
    fn check_number_end(&self, slice: &str, s: usize, e: usize, kind: &str) -> Result<(), SyntaxError> {
        let rest = &self.source[e..];
        let Some(c) = rest.chars().next() else {
            return Ok(());
        };
        if !(c.is_alphanumeric() || c == '_' || (!c.is_ascii() && unicode_ident::is_xid_continue(c))) {
            return Ok(());
        }
        let word_len = rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len());
        let word = &rest[..word_len];
        if KEYWORDS_AFTER_NUMBERS.contains(&word) {
            return Ok(());
        }
        let mut kind = kind;
        if slice == "0" {
            // `0o8`, `0b2`, `0x`: logos saw only `0`; name the real problem.
            let mut chars = word.chars();
            let prefix = chars.next().map(|c| c.to_ascii_lowercase());
            let digit = chars.next();
            let (radix_kind, valid): (&str, fn(char) -> bool) = match prefix {
                Some('x') => ("hexadecimal", |c| c.is_ascii_hexdigit()),
                Some('o') => ("octal", |c| ('0'..='7').contains(&c)),
                Some('b') => ("binary", |c| c == '0' || c == '1'),
                _ => ("", |_| false),
            };
            if !radix_kind.is_empty() {
                if let Some(d) = digit.filter(|d| d.is_ascii_digit() && !valid(*d)) {
                    return Err(err(format!("invalid digit '{d}' in {radix_kind} literal"), Span::new(e + 1, e + 2)));
                }
                kind = radix_kind;
            }
        } else if kind != "decimal" {
            if let Some(d) = word.chars().next().filter(|d| d.is_ascii_digit()) {
                return Err(err(format!("invalid digit '{d}' in {kind} literal"), Span::new(e, e + 1)));
            }
        }
        Err(err(format!("invalid {kind} literal"), Span::new(s, e + c.len_utf8())))
    }

    /// `with (a as x, b as y):` needs the parser to know, at the `(`, that the
    /// parentheses hold with-items rather than a parenthesised expression. An LR(1)
    /// parser cannot know that, so the lexer marks such a `(` (one followed, after its
    /// matching `)`, by `:`) with its own token kind.
    fn mark_with_parens(&mut self) {
        for &(open, close) in &self.with_parens {
            if matches!(self.tokens.get(close + 1), Some((_, Tok::Op(RawTok::Colon), _))) {
                self.tokens[open].1 = Tok::WithLPar;
            }
        }
    }
}

/// Checks each character of a non-ASCII identifier.
fn check_identifier(name: &str, at: usize) -> Result<(), SyntaxError> {
    for (i, c) in name.char_indices() {
        let ok = if i == 0 { c == '_' || unicode_ident::is_xid_start(c) } else { unicode_ident::is_xid_continue(c) };
        if !ok {
            return Err(invalid_character(c, at + i));
        }
    }
    Ok(())
}

/// A StrValue is a plain (non-f) string, used by the parser to join adjacent literals.
pub fn is_plain(v: &StrValue) -> bool {
    !matches!(v, StrValue::FString { .. })
}
