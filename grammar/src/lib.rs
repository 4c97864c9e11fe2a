//! conc's front end: source text to AST.
//!
//! Entry points: [`parse`] for a whole file, [`is_incomplete`] for the REPL, and
//! [`render`] to turn a [`SyntaxError`] into the miette report printed on stderr.
//!
//! The pipeline: `lexer` (logos tokens, then layout tokens and decoded literals in a
//! vector) -> `parser` (the lalrpop grammar in python.lalrpop, with checks in
//! parser/) -> `ast::Module`. `diagnostics` turns parser failures into CPython's
//! messages; `fstring` splits f-strings and parses their fields.

// The AST is the contract with the compiler; it keeps the layout it was written in.
#[rustfmt::skip]
pub mod ast;
pub mod diagnostics;
pub mod error;
pub mod fstring;
pub mod lexer;
pub mod parser;
pub mod span;

pub use error::{SyntaxError, SyntaxErrorKind};
pub use span::{LineIndex, Span};

/// Parses a whole file into a module.
pub fn parse(source: &str, file: &str) -> Result<ast::Module, SyntaxError> {
    let _ = file;
    parser::parse_module(source)
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
    diagnostics::render(err, source, file)
}
