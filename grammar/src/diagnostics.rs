//! Syntax errors as people read them: turning the generated parser's raw failures
//! ("unrecognized token, expected one of ...") into CPython's short messages, and
//! rendering any syntax error as a miette report whose last line is CPython's.

use crate::error::{SyntaxError, SyntaxErrorKind};
use crate::lexer::tokens::{RawTok, Tok};
use crate::lexer::{self, Lexed, Mode, Spanned};
use crate::parser::{self, Failure, Top};
use crate::span::{LineIndex, Span};
use lalrpop_util::ParseError;

/// Parses lexed tokens and, on failure, works out the message CPython would give.
pub fn run(source: &str, lexed: Lexed<'_>, mode: Mode, range: (usize, usize)) -> Result<Top, SyntaxError> {
    let Lexed { tokens, error: lex_error } = lexed;
    match parser::parse_tokens(source, tokens) {
        // Tokens stop at a lexical error; a parse that succeeded on them still fails.
        Ok(top) => match lex_error {
            None => Ok(top),
            Some(e) => Err(e),
        },
        Err(failure) => Err(explain(source, failure, lex_error, mode, range)),
    }
}

fn syntax(message: impl Into<String>, span: Span) -> SyntaxError {
    SyntaxError::new(SyntaxErrorKind::SyntaxError, message, span)
}

fn expects(expected: &[String], terminal: &str) -> bool {
    expected.iter().any(|e| e == terminal)
}

fn explain(
    source: &str,
    failure: Failure<'_>,
    lex_error: Option<SyntaxError>,
    mode: Mode,
    range: (usize, usize),
) -> SyntaxError {
    let index = failure.token_index;
    match failure.error {
        ParseError::User { error } => {
            let at = error.span.start as usize;
            prefer_lexical(source, error, at, lex_error)
        }
        ParseError::UnrecognizedEof { location, expected } => {
            // The parser ran out of tokens: either the lexer stopped at an error, or the
            // input really ended early.
            if let Some(e) = lex_error {
                return e;
            }
            let tokens = lexer::tokenize(source, range.0, range.1, mode).tokens;
            let mut e = if expects(&expected, "INDENT") {
                expected_block(source, &tokens, tokens.len(), location)
            } else {
                syntax("invalid syntax", Span::new(location, location))
            };
            e.incomplete = mode == Mode::Module;
            e
        }
        ParseError::UnrecognizedToken { token: (l, ref tok, r), ref expected } => {
            if std::env::var_os("CONC_DEBUG_PARSE").is_some() {
                eprintln!("parse error at {l}..{r} on {tok:?} (token {index}); expected {expected:?}");
            }
            let tokens = lexer::tokenize(source, range.0, range.1, mode).tokens;
            let e = specific(source, &tokens, index, l, r, expected, mode)
                .unwrap_or_else(|| syntax("invalid syntax", Span::new(l, r)));
            prefer_lexical(source, e, l, lex_error)
        }
        ParseError::ExtraToken { token: (l, _, r) } => {
            prefer_lexical(source, syntax("invalid syntax", Span::new(l, r)), l, lex_error)
        }
        ParseError::InvalidToken { location } => {
            prefer_lexical(source, syntax("invalid syntax", Span::new(location, location)), location, lex_error)
        }
    }
}

/// After a parse error CPython tokenizes the rest of the file, and a lexical error
/// found there (an unterminated string, a bad dedent, ...) replaces the parse error;
/// an unclosed bracket does only when it was opened on an earlier line than the
/// parse error (then it is the likelier cause). A stray character such as `$` is no
/// lexical error in CPython, so it does not replace anything.
fn prefer_lexical(source: &str, parsed: SyntaxError, at: usize, lex_error: Option<SyntaxError>) -> SyntaxError {
    let Some(lexical) = lex_error else { return parsed };
    if lexical.message == "invalid syntax" {
        return parsed;
    }
    if lexical.message.ends_with("was never closed") {
        let lines = LineIndex::new(source);
        if lines.line(at as u32) <= lines.line(lexical.span.start) {
            return parsed;
        }
    }
    lexical
}

fn is_layout(t: &Tok) -> bool {
    matches!(t, Tok::Newline | Tok::Indent | Tok::Dedent | Tok::StartModule | Tok::StartExpr)
}

/// Tokens that can end an expression.
fn ends_expression(t: &Tok) -> bool {
    matches!(
        t,
        Tok::Name(_)
            | Tok::Int(_)
            | Tok::Float(_)
            | Tok::Str(_)
            | Tok::Op(RawTok::RPar | RawTok::RSqb | RawTok::RBrace | RawTok::Ellipsis)
            | Tok::Kw(RawTok::True | RawTok::False | RawTok::None)
    )
}

/// Tokens that can start an expression that could not continue the previous one.
fn starts_expression(t: &Tok) -> bool {
    matches!(
        t,
        Tok::Name(_)
            | Tok::Int(_)
            | Tok::Float(_)
            | Tok::Str(_)
            | Tok::Op(RawTok::LPar | RawTok::LSqb | RawTok::LBrace | RawTok::Ellipsis | RawTok::Tilde)
            | Tok::WithLPar
            | Tok::Kw(RawTok::True | RawTok::False | RawTok::None | RawTok::Not | RawTok::Lambda | RawTok::Await)
    )
}

/// Bracket depth just before token `index`.
fn depth_at(tokens: &[Spanned<'_>], index: usize) -> i32 {
    let mut depth = 0;
    for (_, t, _) in tokens.iter().take(index) {
        match t {
            Tok::Op(RawTok::LPar | RawTok::LSqb | RawTok::LBrace) | Tok::WithLPar => depth += 1,
            Tok::Op(RawTok::RPar | RawTok::RSqb | RawTok::RBrace) => depth -= 1,
            _ => {}
        }
    }
    depth
}

/// The CPython message for a parse error at token `index`, when a specific one applies.
fn specific(
    source: &str,
    tokens: &[Spanned<'_>],
    index: usize,
    l: usize,
    r: usize,
    expected: &[String],
    mode: Mode,
) -> Option<SyntaxError> {
    let tok = &tokens.get(index)?.1;
    let prev = index.checked_sub(1).and_then(|i| tokens.get(i)).map(|t| &t.1);
    let span = Span::new(l, r);
    if matches!(tok, Tok::Indent) {
        let next = tokens.get(index + 1).map_or(r, |t| t.0);
        return Some(SyntaxError::new(SyntaxErrorKind::IndentationError, "unexpected indent", Span::new(next, next)));
    }
    if expects(expected, "INDENT") {
        let mut e = expected_block(source, tokens, index, l);
        e.incomplete = tokens[index..].iter().all(|t| matches!(t.1, Tok::Newline | Tok::Dedent));
        return Some(e);
    }
    if matches!(tok, Tok::Newline) && matches!(prev, Some(Tok::Op(RawTok::Comma))) {
        let line_start = tokens[..index].iter().rposition(|t| is_layout(&t.1)).map_or(0, |i| i + 1);
        if matches!(tokens.get(line_start).map(|t| &t.1), Some(Tok::Kw(RawTok::From))) {
            return Some(syntax(
                "trailing comma not allowed without surrounding parentheses",
                Span::new(tokens[index - 1].0, l),
            ));
        }
    }
    if matches!(tok, Tok::Newline) && expects(expected, "\":\"") {
        return Some(syntax("expected ':'", span).with_help("a block header ends with ':'"));
    }
    if matches!(tok, Tok::Op(RawTok::Equal)) && matches!(prev, Some(Tok::Name(_))) {
        return Some(
            syntax("invalid syntax. Maybe you meant '==' or ':=' instead of '='?", span)
                .with_help("use '==' to compare, or ':=' to assign inside an expression"),
        );
    }
    // After `a if b` the parser wants `else` (and no new statement, which would allow
    // a NAME): CPython's dedicated message.
    if expects(expected, "\"else\"") && !expects(expected, "NAME") && !matches!(tok, Tok::Kw(RawTok::Else)) {
        return Some(syntax("expected 'else' after 'if' expression", span));
    }
    if let Some(Tok::Name(name @ ("print" | "exec"))) = prev {
        let at_start =
            index < 2 || is_layout(&tokens[index - 2].1) || matches!(tokens[index - 2].1, Tok::Op(RawTok::Semi));
        if at_start && starts_expression(tok) && !matches!(tok, Tok::Op(RawTok::LPar)) {
            let start = tokens[index - 1].0;
            return Some(
                syntax(
                    format!("Missing parentheses in call to '{name}'. Did you mean {name}(...)?"),
                    Span::new(start, r),
                )
                .with_help(format!("in Python 3, {name} is a function: {name}(...)")),
            );
        }
    }
    let depth = depth_at(tokens, index) + i32::from(mode == Mode::Expr);
    if depth > 0 {
        if let Some(p) = prev {
            let name_then_string = matches!(p, Tok::Name(_)) && matches!(tok, Tok::Str(_));
            if ends_expression(p) && starts_expression(tok) && !name_then_string {
                let start = tokens[index - 1].0;
                return Some(
                    syntax("invalid syntax. Perhaps you forgot a comma?", Span::new(start, r))
                        .with_help("separate the items with a comma"),
                );
            }
        }
    }
    None
}

/// `expected an indented block after 'if' statement on line 3`: names the header of
/// the block whose body is missing (the logical line before token `index`).
fn expected_block(source: &str, tokens: &[Spanned<'_>], index: usize, at: usize) -> SyntaxError {
    // Step back over the header's NEWLINE, then to the first token of its line.
    let mut j = index.min(tokens.len());
    while j > 0 && matches!(tokens[j - 1].1, Tok::Newline | Tok::Dedent) {
        j -= 1;
    }
    let end = j;
    while j > 0 && !is_layout(&tokens[j - 1].1) {
        j -= 1;
    }
    let mut first = j;
    if matches!(tokens.get(first).map(|t| &t.1), Some(Tok::Kw(RawTok::Async))) && first + 1 < end {
        first += 1;
    }
    let what = match tokens.get(first).map(|t| &t.1) {
        Some(Tok::Kw(RawTok::Def)) => "function definition".to_string(),
        Some(Tok::Kw(RawTok::Class)) => "class definition".to_string(),
        Some(Tok::Kw(k)) => format!("'{}' statement", k.text()),
        _ => "statement".to_string(),
    };
    let header_at = tokens.get(first).map_or(0, |t| t.0);
    let line = LineIndex::new(source).line(header_at as u32);
    SyntaxError::new(
        SyntaxErrorKind::IndentationError,
        format!("expected an indented block after {what} on line {line}"),
        Span::new(at, at),
    )
    .with_help("indent the block's statements, or write `pass` for an empty block")
}

/// The file as miette sees it: the same text, but the location in the report's
/// header counts characters (as CPython's columns do), not bytes.
struct FileSource {
    name: String,
    text: String,
}

impl miette::SourceCode for FileSource {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let inner = self.text.read_span(span, before, after)?;
        let mut column = inner.column();
        if before == 0 && after == 0 {
            let offset = span.offset().min(self.text.len());
            let line_start = self.text[..offset].rfind('\n').map_or(0, |i| i + 1);
            column = self.text.get(line_start..offset).map_or(column, |t| t.chars().count());
        }
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line(),
            column,
            inner.line_count(),
        )))
    }
}

/// Renders `err` as a miette report followed by CPython's last line.
/// Lines longer than this are not drawn by miette (its layout takes widths up to
/// 65,535 and panics past them; such a drawing would not be readable anyway).
const LONGEST_DRAWN_LINE: usize = 2000;

/// The length of the longest line miette would show for `start..end` (the lines
/// of the span and one line of context on each side).
fn longest_line_near(source: &str, start: usize, end: usize) -> usize {
    let from = source[..start].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let from = source[..from.saturating_sub(1)].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let to = source[end..].find('\n').map(|i| end + i).unwrap_or(source.len());
    let to = source[(to + 1).min(source.len())..].find('\n').map(|i| to + 1 + i).unwrap_or(source.len());
    source[from..to].split('\n').map(str::len).max().unwrap_or(0)
}

/// CPython's plain layout, with the part of a very long line around the error:
/// `File "x", line N`, the excerpt, a caret, the message.
fn render_plain(err: &SyntaxError, source: &str, file: &str, at: usize) -> String {
    const AROUND: usize = 60;
    let (line, col) = err.line_col(source);
    let line_start = source[..at].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let line_end = source[at..].find('\n').map(|i| at + i).unwrap_or(source.len());
    let mut from = at.saturating_sub(AROUND).max(line_start);
    while !source.is_char_boundary(from) {
        from += 1;
    }
    let mut to = (at + AROUND).min(line_end);
    while !source.is_char_boundary(to) {
        to -= 1;
    }
    let lead = if from > line_start { "..." } else { "" };
    let tail = if to < line_end { "..." } else { "" };
    let caret = lead.len() + source[from..at].chars().count();
    format!(
        "  File \"{file}\", line {line}, column {col}\n    {lead}{}{tail}\n    {}^\n{}\n",
        &source[from..to],
        " ".repeat(caret),
        err.summary()
    )
}

pub fn render(err: &SyntaxError, source: &str, file: &str) -> String {
    use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, Report};
    use std::io::IsTerminal;

    let len = source.len();
    let mut start = (err.span.start as usize).min(len);
    let mut end = (err.span.end as usize).clamp(start, len);
    while !source.is_char_boundary(start) {
        start -= 1;
    }
    while !source.is_char_boundary(end) {
        end += 1;
    }
    if longest_line_near(source, start, end) > LONGEST_DRAWN_LINE {
        return render_plain(err, source, file, start);
    }
    let label = err.label.clone().unwrap_or_else(|| "here".to_string());
    let mut diag = MietteDiagnostic::new(err.summary()).with_label(LabeledSpan::at(start..end, label));
    if let Some(help) = &err.help {
        diag = diag.with_help(help.clone());
    }
    let report = Report::new(diag).with_source_code(FileSource { name: file.to_string(), text: source.to_string() });
    let theme =
        if std::io::stderr().is_terminal() { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100).with_context_lines(1);
    let mut out = String::new();
    if handler.render_report(&mut out, report.as_ref()).is_err() {
        let (line, col) = err.line_col(source);
        out = format!("  File \"{file}\", line {line}, column {col}\n");
    }
    let mut out = out.trim_end().to_string();
    out.push('\n');
    out.push_str(&err.summary());
    out.push('\n');
    out
}
