//! The indentation stack: turns the indentation of each logical line into INDENT and
//! DEDENT tokens, with CPython's rules for tabs.

use crate::error::{SyntaxError, SyntaxErrorKind};
use crate::span::Span;

/// CPython's limit on nested blocks; it also bounds the recursion of later passes.
const MAX_LEVELS: usize = 100;

/// One indentation level, measured twice as CPython does: `col` with tabs advancing
/// to the next multiple of 8, `alt` with tabs counting 1. Two lines whose order
/// differs between the measures mix tabs and spaces ambiguously (a TabError).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Level {
    col: usize,
    alt: usize,
}

/// What a new logical line's indentation does to the stack.
#[derive(Debug, PartialEq, Eq)]
pub enum Change {
    Same,
    Indent,
    Dedent(usize),
}

pub struct IndentStack {
    levels: Vec<Level>,
}

impl Default for IndentStack {
    fn default() -> IndentStack {
        IndentStack::new()
    }
}

impl IndentStack {
    pub fn new() -> IndentStack {
        IndentStack { levels: vec![Level { col: 0, alt: 0 }] }
    }

    /// Number of open indentation levels (DEDENTs owed at end of input).
    pub fn depth(&self) -> usize {
        self.levels.len() - 1
    }

    /// Measures `ws` (the whitespace before a line's first token) and updates the
    /// stack. `span` locates the error, if any.
    pub fn line(&mut self, ws: &[u8], span: Span) -> Result<Change, SyntaxError> {
        let mut col = 0;
        let mut alt = 0;
        for &b in ws {
            match b {
                b' ' => {
                    col += 1;
                    alt += 1;
                }
                b'\t' => {
                    col = (col / 8 + 1) * 8;
                    alt += 1;
                }
                // A form feed resets the column, as in CPython.
                0x0C => {
                    col = 0;
                    alt = 0;
                }
                _ => {}
            }
        }
        let tab_error =
            || SyntaxError::new(SyntaxErrorKind::TabError, "inconsistent use of tabs and spaces in indentation", span);
        let top = *self.levels.last().expect("the stack always holds level 0");
        if col == top.col {
            if alt != top.alt {
                return Err(tab_error());
            }
            return Ok(Change::Same);
        }
        if col > top.col {
            if alt <= top.alt {
                return Err(tab_error());
            }
            if self.levels.len() >= MAX_LEVELS {
                return Err(SyntaxError::new(
                    SyntaxErrorKind::IndentationError,
                    "too many levels of indentation",
                    span,
                ));
            }
            self.levels.push(Level { col, alt });
            return Ok(Change::Indent);
        }
        let mut n = 0;
        while self.levels.len() > 1 && col < self.levels.last().map_or(0, |l| l.col) {
            self.levels.pop();
            n += 1;
        }
        let top = *self.levels.last().expect("the stack always holds level 0");
        if col != top.col {
            return Err(SyntaxError::new(
                SyntaxErrorKind::IndentationError,
                "unindent does not match any outer indentation level",
                span,
            ));
        }
        if alt != top.alt {
            return Err(tab_error());
        }
        Ok(Change::Dedent(n))
    }
}
