//! The soft keywords `match` and `case` (PEP 634). They stay ordinary names
//! (`match = re.match(...)`, `case.x`) except where they begin a match statement or one
//! of its case blocks; this pass over the finished token vector decides which, so the
//! LR(1) grammar sees keyword tokens there and names everywhere else.
//!
//! A line beginning with the name `match` is a match statement when its last token
//! (brackets are closed there: the lexer emits no NEWLINE inside them) is a `:` with
//! something between the two: no other statement that starts with a name ends with
//! a colon. Inside the indented block after such a header, a line at the block's own
//! level beginning with the name `case` is a case block.

use super::tokens::{RawTok, Tok};
use super::Spanned;

pub fn mark(tokens: &mut [Spanned<'_>]) {
    // Indentation depth (INDENT minus DEDENT tokens seen so far), and the depths of
    // the bodies of the match statements we are in.
    let mut depth = 0usize;
    let mut bodies: Vec<usize> = Vec::new();
    // A match header was just seen: the INDENT that follows opens its body.
    let mut header_pending = false;
    let mut at_line_start = true;
    let mut i = 0;
    while i < tokens.len() {
        match tokens[i].1 {
            Tok::StartModule | Tok::Newline => at_line_start = true,
            Tok::Indent => {
                depth += 1;
                if header_pending {
                    bodies.push(depth);
                    header_pending = false;
                }
                at_line_start = true;
            }
            Tok::Dedent => {
                depth = depth.saturating_sub(1);
                while bodies.last().is_some_and(|&b| b > depth) {
                    bodies.pop();
                }
                at_line_start = true;
            }
            Tok::Name(n) if at_line_start => {
                at_line_start = false;
                header_pending = false;
                if n == "match" && ends_with_colon(tokens, i) {
                    tokens[i].1 = Tok::Kw(RawTok::Match);
                    header_pending = true;
                } else if n == "case" && bodies.last() == Some(&depth) {
                    tokens[i].1 = Tok::Kw(RawTok::Case);
                }
            }
            _ => {
                if at_line_start {
                    header_pending = false;
                }
                at_line_start = false;
            }
        }
        i += 1;
    }
}

/// Whether the logical line starting at token `start` ends with `:` and holds more
/// than the two tokens `match :`.
fn ends_with_colon(tokens: &[Spanned<'_>], start: usize) -> bool {
    let mut j = start + 1;
    while j < tokens.len() && !matches!(tokens[j].1, Tok::Newline) {
        j += 1;
    }
    // An assignment (`match = x`) or other statement never ends with a colon, but
    // `match: int` could be followed by nothing else only in error.
    j > start + 2
        && matches!(tokens[j - 1].1, Tok::Op(RawTok::Colon))
        && !matches!(tokens[start + 1].1, Tok::Op(RawTok::Equal | RawTok::Dot | RawTok::Colon))
}
