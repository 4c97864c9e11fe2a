//! The position markers under a traceback line, as CPython 3.11 draws them: `^`
//! under the expression whose instruction failed, or, for a binary operation or a
//! subscript, `~` under the operands and `^` under the operator or the `[...]`.
//! Nothing is drawn when plain `^`s would underline the whole (stripped) line.

use crate::bytecode::Code;
use conc_grammar::ast::{ExprKind, StmtKind};

/// The marker line for instruction `ip` of `code` (to print after four spaces),
/// or None.
pub fn caret_line(code: &Code, ip: usize) -> Option<String> {
    let span = *code.spans.get(ip)?;
    if span.start >= span.end {
        return None;
    }
    let source: &str = &code.source;
    let index = &code.line_index;
    let line = index.line(span.start);
    let line_start = index.line_start(line) as usize;
    let text = index.line_text(source, line);
    let line_end = line_start + text.len();
    let indent = text.chars().take_while(|c| c.is_whitespace()).count();
    let stripped_len = text.trim().chars().count();
    let chars = |from: usize, to: usize| source.get(from..to).map_or(0, |s| s.chars().count());
    let start = chars(line_start, span.start as usize);
    let single_line = (span.end as usize) <= line_end;
    // An expression going on to the next lines is marked to the end of this one.
    let end = if single_line { chars(line_start, span.end as usize) } else { indent + stripped_len };
    if end <= start || start < indent {
        return None;
    }
    let anchors = if single_line { anchors(&source[span.start as usize..span.end as usize]) } else { None };
    let width = end - start;
    if anchors.is_none() && width >= stripped_len {
        return None;
    }
    let mut out = " ".repeat(start - indent);
    match anchors {
        Some((a, b)) => {
            for i in 0..width {
                out.push(if i >= a && i < b { '^' } else { '~' });
            }
        }
        None => out.push_str(&"^".repeat(width)),
    }
    Some(out)
}

/// For a segment holding a binary operation or a subscript: the range (within the
/// segment) of the operator, or of the brackets and what they hold. CPython counts
/// it in bytes of UTF-8 (so a marker after a non-ASCII character is shifted), and
/// so does this, to draw what it draws.
fn anchors(segment: &str) -> Option<(usize, usize)> {
    let module = conc_grammar::parse(segment, "<segment>").ok()?;
    let [stmt] = module.body.as_slice() else {
        return None;
    };
    let StmtKind::Expr(e) = &stmt.kind else {
        return None;
    };
    match &e.kind {
        ExprKind::BinOp { left, .. } => {
            let at = after_operand(segment, left.span.end as usize);
            let rest = &segment[at..];
            let op_len = ["**", "//", "<<", ">>"].iter().find(|op| rest.starts_with(**op)).map_or(1, |op| op.len());
            Some((at, at + op_len))
        }
        ExprKind::Subscript { value, .. } => {
            let at = after_operand(segment, value.span.end as usize);
            Some((at, segment.len()))
        }
        _ => None,
    }
}

/// The byte offset of the first character after an operand that ends at `end`,
/// past closing parentheses and white space.
fn after_operand(segment: &str, end: usize) -> usize {
    let bytes = segment.as_bytes();
    let mut at = end.min(bytes.len());
    while at < bytes.len() && (bytes[at] == b')' || bytes[at].is_ascii_whitespace() || bytes[at] == b'\\') {
        at += 1;
    }
    at
}
