//! The stack of open brackets: it suppresses newlines inside brackets and reports
//! unmatched, mismatched and unclosed brackets with CPython's messages.

use crate::error::{SyntaxError, SyntaxErrorKind};
use crate::span::{LineIndex, Span};

/// CPython refuses deeper nesting with `too many nested parentheses`; so do we, which
/// also keeps the recursive parts of the front end far from the stack's limit.
pub const MAX_DEPTH: usize = 200;

pub struct Open {
    pub ch: u8,
    pub pos: usize,
    /// Index of the opening token in the token vector.
    pub token: usize,
}

#[derive(Default)]
pub struct Brackets {
    pub stack: Vec<Open>,
}

impl Brackets {
    pub fn new() -> Brackets {
        Brackets { stack: Vec::new() }
    }

    pub fn is_empty(&self) -> bool {
        self.stack.is_empty()
    }

    pub fn open(&mut self, ch: u8, pos: usize, token: usize) -> Result<(), SyntaxError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(SyntaxError::new(
                SyntaxErrorKind::SyntaxError,
                "too many nested parentheses",
                Span::new(pos, pos + 1),
            ));
        }
        self.stack.push(Open { ch, pos, token });
        Ok(())
    }

    /// Pops the bracket closed by `ch` at `pos`, returning the opening token's index.
    pub fn close(&mut self, ch: u8, pos: usize, source: &str) -> Result<usize, SyntaxError> {
        let span = Span::new(pos, pos + 1);
        let Some(open) = self.stack.pop() else {
            return Err(SyntaxError::new(SyntaxErrorKind::SyntaxError, format!("unmatched '{}'", ch as char), span)
                .with_label("no open bracket to close"));
        };
        let expected = match open.ch {
            b'(' => b')',
            b'[' => b']',
            _ => b'}',
        };
        if ch != expected {
            let lines = LineIndex::new(source);
            let (open_line, close_line) = (lines.line(open.pos as u32), lines.line(pos as u32));
            let message = if open_line == close_line {
                format!("closing parenthesis '{}' does not match opening parenthesis '{}'", ch as char, open.ch as char)
            } else {
                format!(
                    "closing parenthesis '{}' does not match opening parenthesis '{}' on line {open_line}",
                    ch as char, open.ch as char
                )
            };
            return Err(SyntaxError::new(SyntaxErrorKind::SyntaxError, message, span)
                .with_help(format!("the '{}' opened here is still open", open.ch as char)));
        }
        Ok(open.token)
    }

    /// The error for input that ends inside brackets: the innermost one was never closed.
    pub fn unclosed_error(&self) -> Option<SyntaxError> {
        let open = self.stack.last()?;
        let mut e = SyntaxError::new(
            SyntaxErrorKind::SyntaxError,
            format!("'{}' was never closed", open.ch as char),
            Span::new(open.pos, open.pos + 1),
        )
        .with_label("opened here");
        e.incomplete = true;
        Some(e)
    }
}
