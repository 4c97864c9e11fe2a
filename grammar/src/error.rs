//! Syntax errors: what went wrong, where, and how to render it as CPython would name it.

use crate::span::{LineIndex, Span};
use std::fmt;

/// The Python exception class a syntax error is reported as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyntaxErrorKind {
    SyntaxError,
    IndentationError,
    TabError,
}

impl SyntaxErrorKind {
    pub fn name(self) -> &'static str {
        match self {
            SyntaxErrorKind::SyntaxError => "SyntaxError",
            SyntaxErrorKind::IndentationError => "IndentationError",
            SyntaxErrorKind::TabError => "TabError",
        }
    }
}

/// A syntax error in one file. `message` is CPython's message (without the class
/// name), e.g. `expected ':'`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub kind: SyntaxErrorKind,
    pub message: String,
    pub span: Span,
    /// A short hint shown under the snippet, if one helps.
    pub help: Option<String>,
    /// A label for the span (defaults to the message).
    pub label: Option<String>,
    /// True when the error is only that the input ended too early (an open bracket,
    /// block or triple-quoted string): the REPL then asks for another line.
    pub incomplete: bool,
}

impl SyntaxError {
    pub fn new(kind: SyntaxErrorKind, message: impl Into<String>, span: Span) -> SyntaxError {
        SyntaxError { kind, message: message.into(), span, help: None, label: None, incomplete: false }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> SyntaxError {
        self.help = Some(help.into());
        self
    }

    pub fn with_label(mut self, label: impl Into<String>) -> SyntaxError {
        self.label = Some(label.into());
        self
    }

    /// 1-based line and column of the error's start in `source`.
    pub fn line_col(&self, source: &str) -> (usize, usize) {
        LineIndex::new(source).line_col(source, self.span.start)
    }

    /// The last line of the report: `SyntaxError: invalid syntax`.
    pub fn summary(&self) -> String {
        format!("{}: {}", self.kind.name(), self.message)
    }
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.summary())
    }
}

impl std::error::Error for SyntaxError {}
