//! The parser: runs the lalrpop-generated LR(1) parser over the lexer's tokens, with
//! the helpers its actions call to build and check AST nodes.

pub mod calls;
pub mod nodes;
pub mod params;
pub mod patterns;
pub mod targets;

use crate::ast::{Expr, Module, Param};
use crate::error::SyntaxError;
use crate::lexer::tokens::Tok;
use crate::lexer::{self, Mode, Spanned};
use crate::span::Span;
use lalrpop_util::ParseError;

/// The error type of the generated parser and of its fallible actions.
pub type PErr<'a> = ParseError<usize, Tok<'a>, SyntaxError>;

/// Wraps one of our errors for returning from a grammar action.
pub fn user<'a>(error: SyntaxError) -> PErr<'a> {
    ParseError::User { error }
}

/// What the grammar's single start symbol produced: a file, or an f-string field's
/// expression (chosen by the synthetic first token).
pub enum Top {
    Module(Vec<crate::ast::Stmt>),
    Expr(Expr),
}

/// One parameter-list item before the checks that give it a place in `Parameters`.
pub enum ParamItem {
    Plain(Param, Option<Expr>),
    /// `*` alone (None) or `*args`.
    Star(Option<Param>, Span),
    DoubleStar(Param, Span),
    Slash(Span),
    /// `*args=1` or `**kw=1`, reported with the given message.
    BadDefault(&'static str, Span),
}

/// One call argument before the checks on their order.
pub enum ArgItem {
    Pos(Expr),
    /// An unparenthesised generator expression, allowed only as the sole argument.
    Genexp(Expr),
    /// `*iterable` (already a Starred node).
    Star(Expr),
    DoubleStar(Expr, Span),
    /// `name=value`; the name is parsed as an expression and checked afterwards.
    Keyword(Expr, Expr, Span),
}

lalrpop_util::lalrpop_mod!(
    #[allow(clippy::all, clippy::pedantic, unused)]
    grammar,
    "/python.rs"
);

/// The outcome of running the generated parser: the error it returned, and the
/// index of the token it stopped on (for the diagnostics, which look around it).
pub struct Failure<'a> {
    pub error: PErr<'a>,
    pub token_index: usize,
}

/// Parses an already lexed token vector.
pub fn parse_tokens<'a>(source: &'a str, tokens: Vec<Spanned<'a>>) -> Result<Top, Failure<'a>> {
    let consumed = std::cell::Cell::new(0usize);
    let iter = tokens.into_iter().map(|t| {
        consumed.set(consumed.get() + 1);
        Ok::<_, SyntaxError>(t)
    });
    grammar::TopParser::new()
        .parse(source, iter)
        .map_err(|error| Failure { error, token_index: consumed.get().saturating_sub(1) })
}

/// Parses a whole file.
pub fn parse_module(source: &str) -> Result<Module, SyntaxError> {
    let lexed = lexer::tokenize(source, 0, source.len(), Mode::Module);
    crate::diagnostics::run(source, lexed, Mode::Module, (0, source.len())).map(|top| match top {
        Top::Module(body) => Module { body },
        Top::Expr(_) => Module { body: Vec::new() },
    })
}

/// Parses the expression in `source[start..end]` (an f-string field), with spans
/// pointing into `source`.
pub fn parse_expr(source: &str, start: usize, end: usize) -> Result<Expr, SyntaxError> {
    let lexed = lexer::tokenize(source, start, end, Mode::Expr);
    match crate::diagnostics::run(source, lexed, Mode::Expr, (start, end))? {
        Top::Expr(e) => Ok(e),
        Top::Module(_) => Err(SyntaxError::new(
            crate::error::SyntaxErrorKind::SyntaxError,
            "f-string: invalid syntax",
            Span::new(start, end),
        )),
    }
}
