//! Number literals: turning the text logos matched into an `IntLiteral` or an `f64`.

use crate::ast::IntLiteral;

/// Converts an integer literal (`123`, `0x_ff`, `0b1010`, any size) into an
/// `IntLiteral`. The text has already been validated by the lexer's regexes.
pub fn parse_int(text: &str, radix: u32) -> IntLiteral {
    let body = if radix == 10 { text } else { &text[2..] };
    // Fast path: no underscores and short enough to fit in an i64.
    let digits: std::borrow::Cow<str> = if body.contains('_') { body.replace('_', "").into() } else { body.into() };
    match i64::from_str_radix(&digits, radix) {
        Ok(v) => IntLiteral::Small(v),
        Err(_) => {
            let trimmed = digits.trim_start_matches('0');
            let digits = if trimmed.is_empty() { "0".to_string() } else { trimmed.to_ascii_lowercase() };
            IntLiteral::Big { digits, radix }
        }
    }
}

/// Converts a float literal (`1.5e-3`, `1.`, `.5`, `1_000.0`) into an `f64`, rounding
/// correctly as Rust's parser does (as CPython's does).
pub fn parse_float(text: &str) -> f64 {
    let s: std::borrow::Cow<str> = if text.contains('_') { text.replace('_', "").into() } else { text.into() };
    // Rust accepts `1.` and `.5` and `1e5` as Python does.
    s.parse::<f64>().unwrap_or(f64::INFINITY)
}

/// True for a decimal literal with a leading zero such as `012`, which CPython
/// rejects (only all-zero literals like `00` may start with 0).
pub fn has_forbidden_leading_zero(text: &str) -> bool {
    text.len() > 1 && text.starts_with('0') && text.bytes().any(|b| b.is_ascii_digit() && b != b'0')
}
