//! The lexer: logos recognises raw tokens in one pass, and this driver turns them into
//! the parser's token vector, adding NEWLINE, INDENT and DEDENT, decoding literals,
//! tracking brackets and reporting lexical errors with CPython's messages.

pub mod brackets;
pub mod indent;
pub mod numbers;
pub mod soft_keywords;
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

/// The most operators (unary, binary, attribute, call, ...) that may nest inside one
/// expression. A chain like `1+1+...+1` or `-----x` becomes an AST as deep as it is
/// long, and dropping or compiling such a tree recurses once per level; CPython
/// gives up on such input too (with a RecursionError or MemoryError).
const MAX_EXPR_NESTING: u32 = 1500;

/// Keywords that CPython 3.11 still accepts directly after a number (`1if x else 2`).
const KEYWORDS_AFTER_NUMBERS: [&str; 8] = ["and", "else", "for", "if", "in", "is", "not", "or"];

/// Lexes `source[start..end]`; spans are offsets into the whole `source`, so that the
/// tokens of an f-string field point into the original file.
pub fn tokenize(source: &str, start: usize, end: usize, mode: Mode) -> Lexed<'_> {
    // A UTF-8 byte-order mark at the start of a file is not part of the program.
    let start = if mode == Mode::Module && source[start..end].starts_with('\u{feff}') { start + 3 } else { start };
    let mut lx = Driver {
        source,
        base: start,
        mode,
        tokens: Vec::with_capacity((end - start) / 4 + 4),
        indents: IndentStack::new(),
        brackets: Brackets::new(),
        line_has_tokens: false,
        with_parens: Vec::new(),
        nesting: Nesting::default(),
    };
    lx.tokens.push((start, if mode == Mode::Module { Tok::StartModule } else { Tok::StartExpr }, start));
    let error = lx.run(&source[start..end]).err();
    lx.mark_with_parens();
    if mode == Mode::Module {
        soft_keywords::mark(&mut lx.tokens);
    }
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
    nesting: Nesting,
}

/// A cheap upper bound on how deeply the current expression's AST will nest: each
/// nesting operator adds one at its bracket level, and a comma ends an item, taking
/// away what that item added (items of a list do not nest in each other).
#[derive(Default)]
struct Nesting {
    outer: Vec<u32>,
    current: u32,
    total: u32,
}

impl Nesting {
    fn token(&mut self, raw: RawTok, at: usize) -> Result<(), SyntaxError> {
        use RawTok::*;
        match raw {
            Comma | Semi => {
                self.total = self.total.saturating_sub(self.current);
                self.current = 0;
            }
            LPar | LSqb | LBrace => {
                self.current += 1;
                self.total += 1;
                self.outer.push(self.current);
                self.current = 0;
            }
            RPar | RSqb | RBrace => {
                self.total = self.total.saturating_sub(self.current);
                self.current = self.outer.pop().unwrap_or(0);
            }
            Plus | Minus | Star | Slash | Vbar | Amper | Dot | Percent | Tilde | Circumflex | LeftShift
            | RightShift | DoubleStar | DoubleSlash | At | ColonEqual | Not | If | Lambda | Await | Yield => {
                self.current += 1;
                self.total += 1;
            }
            _ => {}
        }
        if self.total > MAX_EXPR_NESTING {
            return Err(err("expression too deeply nested", Span::new(at, at + 1)));
        }
        Ok(())
    }

    fn end_of_line(&mut self) {
        *self = Nesting::default();
    }
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
                RawTok::StrayBackslash if e == self.base + text.len() => {
                    let mut error = err("unexpected EOF while parsing", Span::new(s, e));
                    error.incomplete = true;
                    return Err(error);
                }
                RawTok::StrayBackslash => {
                    return Err(err("unexpected character after line continuation character", Span::new(s, e)))
                }
                RawTok::Newline => {
                    if self.mode == Mode::Module && self.brackets.is_empty() && self.line_has_tokens {
                        self.tokens.push((s, Tok::Newline, e));
                        self.line_has_tokens = false;
                        self.nesting.end_of_line();
                    }
                    continue;
                }
                _ => {}
            }
            if !self.line_has_tokens && self.mode == Mode::Module && self.brackets.is_empty() {
                self.start_line(s)?;
            }
            self.line_has_tokens = true;
            self.nesting.token(raw, s)?;
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
                self.check_number_end(slice, s, e, "float")?;
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
            // CPython counts the line of the last character, not the empty line after
            // a final newline.
            let last = lines.line(self.source.len().saturating_sub(1) as u32);
            let mut e = err(
                format!("unterminated triple-quoted string literal (detected at line {last})"),
                Span::new(at, at + 3),
            );
            e.incomplete = true;
            e
        } else {
            let line = lines.line(at as u32);
            err(format!("unterminated string literal (detected at line {line})"), Span::new(at, at + 1))
                .with_label("this string is not closed on its line")
                .with_help("close the string with the same quote it starts with")
        }
    }

    /// A number directly followed by a letter (`1abc`, `0x1g`, `0o8`) is an invalid
    /// literal, except before the keywords CPython tolerates there.
    fn check_number_end(&self, slice: &str, s: usize, e: usize, kind: &str) -> Result<(), SyntaxError> {
        let is_word = |c: char| c.is_alphanumeric() || c == '_';
        // On malformed input such as `0x` logos may hand back a longer slice than the
        // number it names; treat every such slice as a malformed prefixed literal.
        let malformed = !well_formed(slice, kind);
        let rest = &self.source[e..];
        let word_len = rest.find(|c: char| !is_word(c)).unwrap_or(rest.len());
        let word = &rest[..word_len];
        if !malformed && (word.is_empty() || KEYWORDS_AFTER_NUMBERS.contains(&word)) {
            return Ok(());
        }
        let full = &self.source[s..e + word_len];
        let bytes = full.as_bytes();
        let mut kind = if kind == "float" { "decimal" } else { kind };
        let mut digits_from = 0;
        if bytes.len() >= 2 && bytes[0] == b'0' {
            let (k, _) = match bytes[1].to_ascii_lowercase() {
                b'x' => ("hexadecimal", 0),
                b'o' => ("octal", 0),
                b'b' => ("binary", 0),
                _ => ("", 0),
            };
            if !k.is_empty() {
                kind = k;
                digits_from = 2;
            }
        }
        let valid = |c: char| match kind {
            "hexadecimal" => c.is_ascii_hexdigit(),
            "octal" => ('0'..='7').contains(&c),
            "binary" => c == '0' || c == '1',
            _ => c.is_ascii_digit(),
        };
        if digits_from == 2 {
            if let Some((i, d)) = full[2..].char_indices().find(|&(_, c)| c != '_' && !valid(c)) {
                if d.is_ascii_digit() {
                    let at = s + 2 + i;
                    return Err(err(format!("invalid digit '{d}' in {kind} literal"), Span::new(at, at + 1)));
                }
            }
        }
        let e = err(format!("invalid {kind} literal"), Span::new(s, (e + word_len).max(s + 1)));
        if word == "j" || word == "J" {
            return Err(e.with_help("conc has no complex numbers"));
        }
        Err(e)
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

/// True when a number token is exactly what its regex promises: underscores only
/// between digits, and a float that Rust can read. (logos may return a longer slice
/// on malformed input such as `1e` or `0b1_`.)
fn well_formed(slice: &str, kind: &str) -> bool {
    let body = match kind {
        "hexadecimal" | "octal" | "binary" => slice.get(2..).unwrap_or(""),
        _ => slice,
    };
    let b = body.as_bytes();
    let digit = |c: u8| match kind {
        "hexadecimal" => c.is_ascii_hexdigit(),
        "octal" => (b'0'..=b'7').contains(&c),
        "binary" => c == b'0' || c == b'1',
        _ => c.is_ascii_digit(),
    };
    for (i, &c) in b.iter().enumerate() {
        // `0x_ff` may put an underscore right after the prefix.
        let before_ok = if i == 0 { body.len() != slice.len() } else { digit(b[i - 1]) };
        if c == b'_' && !(before_ok && b.get(i + 1).is_some_and(|&n| digit(n))) {
            return false;
        }
    }
    match kind {
        "float" => body.replace('_', "").parse::<f64>().is_ok() && !body.ends_with(['e', 'E', '+', '-']),
        _ => !b.is_empty() && b.iter().all(|&c| c == b'_' || digit(c)),
    }
}

/// Checks each character of a non-ASCII identifier.
fn check_identifier(name: &str, at: usize) -> Result<(), SyntaxError> {
    for (i, c) in name.char_indices() {
        // Unicode 15.1 added the zero-width joiners U+200C and U+200D to
        // XID_Continue; Python 3.11 (Unicode 14) rejects them.
        let ok = if i == 0 {
            c == '_' || unicode_ident::is_xid_start(c)
        } else {
            unicode_ident::is_xid_continue(c) && !matches!(c, '\u{200c}' | '\u{200d}')
        };
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
