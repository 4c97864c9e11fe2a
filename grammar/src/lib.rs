//! conc's front end: source text to AST.
//!
//! Entry points: [`parse`] for a whole file, [`is_incomplete`] for the REPL, and
//! [`render`] to turn a [`SyntaxError`] into the miette report printed on stderr.

pub mod ast;
pub mod error;
pub mod span;

pub use error::{SyntaxError, SyntaxErrorKind};
pub use span::{LineIndex, Span};

/// Parses a whole file into a module.
pub fn parse(source: &str, file: &str) -> Result<ast::Module, SyntaxError> {
    let _ = (source, file);
    Err(SyntaxError::new(SyntaxErrorKind::SyntaxError, "the parser is not built yet", Span::default()))
}

/// True when `source` is a valid prefix of a program that only needs more lines: an
/// unfinished block, an open bracket or an open triple-quoted string.
pub fn is_incomplete(source: &str) -> bool {
    match parse(source, "<stdin>") {
        Ok(_) => false,
        Err(e) => e.incomplete,
    }
}

/// Renders a syntax error as the report printed on stderr: a miette snippet with the
/// span labelled, then CPython's last line (`SyntaxError: ...`).
pub fn render(err: &SyntaxError, source: &str, file: &str) -> String {
    let (line, col) = err.line_col(source);
    format!("  File \"{file}\", line {line}, column {col}\n{}\n", err.summary())
}
