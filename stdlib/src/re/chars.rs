//! What the character tests of a pattern mean: the shorthand classes (`\d`, `\w`,
//! `\s`) for str and bytes, case folding, and set membership.

use super::ast::{CharSet, SetItem, Shorthand};
use conc_interpreter::builtins::str_methods::is_decimal_char;

/// `\d`: Unicode decimal digits (category Nd), or ASCII digits.
pub fn is_digit(c: u32, ascii: bool) -> bool {
    if c < 128 || ascii {
        return (b'0' as u32..=b'9' as u32).contains(&c);
    }
    char::from_u32(c).is_some_and(is_decimal_char)
}

/// `\w`: what `str.isalnum()` accepts plus `_`, or `[a-zA-Z0-9_]`.
#[inline]
pub fn is_word(c: u32, ascii: bool) -> bool {
    if c < 128 {
        let b = c as u8;
        return b.is_ascii_alphanumeric() || b == b'_';
    }
    if ascii {
        return false;
    }
    char::from_u32(c).is_some_and(|ch| ch.is_alphanumeric())
}

/// `\s`: what `str.isspace()` accepts, or `[ \t\n\r\f\v]`.
pub fn is_space(c: u32, ascii: bool) -> bool {
    if c < 128 || ascii {
        return matches!(c, 9..=13 | 32) || (!ascii && (0x1c..=0x1f).contains(&c));
    }
    char::from_u32(c).is_some_and(|ch| ch.is_whitespace())
}

/// The simple case fold used for IGNORECASE: the lowercase of the uppercase, so that
/// characters with several case forms ('s', 'S', 'ſ'; 'k', 'K', 'K') share one.
#[inline]
pub fn fold(c: u32, ascii_only: bool) -> u32 {
    if c < 128 {
        return (c as u8).to_ascii_lowercase() as u32;
    }
    if ascii_only {
        return c;
    }
    let Some(ch) = char::from_u32(c) else { return c };
    let mut up = ch.to_uppercase();
    let u = match (up.next(), up.next()) {
        (Some(u), None) => u,
        _ => ch,
    };
    let mut low = u.to_lowercase();
    match (low.next(), low.next()) {
        (Some(l), None) => l as u32,
        _ => c,
    }
}

fn class_has(kind: Shorthand, ascii: bool, c: u32) -> bool {
    match kind {
        Shorthand::Digit => is_digit(c, ascii),
        Shorthand::Word => is_word(c, ascii),
        Shorthand::Space => is_space(c, ascii),
    }
}

impl CharSet {
    pub fn new(items: Vec<SetItem>, negated: bool, icase: bool, ascii_case: bool) -> CharSet {
        let mut set = CharSet { items, negated, icase, ascii_case, ascii_map: [0; 2] };
        let mut map = [0u64; 2];
        for c in 0..128u32 {
            if set.matches_slow(c) {
                map[(c / 64) as usize] |= 1 << (c % 64);
            }
        }
        set.ascii_map = map;
        set
    }

    fn has_exact(&self, c: u32) -> bool {
        self.items.iter().any(|it| match *it {
            SetItem::Range(a, b) => a <= c && c <= b,
            SetItem::Class { kind, ascii, negated } => class_has(kind, ascii, c) != negated,
        })
    }

    /// Whether `c` is in the set (honouring negation and IGNORECASE).
    #[inline]
    pub fn matches(&self, c: u32) -> bool {
        if c < 128 {
            return self.ascii_map[(c / 64) as usize] & (1 << (c % 64)) != 0;
        }
        self.matches_slow(c)
    }

    fn matches_slow(&self, c: u32) -> bool {
        let mut hit = self.has_exact(c);
        if !hit && self.icase {
            let f = fold(c, self.ascii_case);
            hit = (f != c && self.has_exact(f)) || self.other_cases(c).into_iter().flatten().any(|o| self.has_exact(o));
        }
        hit != self.negated
    }

    /// The other case forms of `c` worth trying against ranges ('A' for 'a', 'ſ'
    /// and 'S' for 's', the Kelvin sign for 'k').
    fn other_cases(&self, c: u32) -> [Option<u32>; 3] {
        if c < 128 {
            let b = c as u8;
            let o = if b.is_ascii_lowercase() {
                Some(b.to_ascii_uppercase() as u32)
            } else if b.is_ascii_uppercase() {
                Some(b.to_ascii_lowercase() as u32)
            } else {
                None
            };
            let extra = if self.ascii_case {
                None
            } else {
                match b {
                    b's' | b'S' => Some(0x17F),
                    b'k' | b'K' => Some(0x212A),
                    _ => None,
                }
            };
            return [o, extra, None];
        }
        if self.ascii_case {
            return [None, None, None];
        }
        let Some(ch) = char::from_u32(c) else { return [None, None, None] };
        let single = |mut it: &mut dyn Iterator<Item = char>| -> Option<u32> {
            let a = it.next()?;
            if it.next().is_some() {
                return None;
            }
            let _ = &mut it;
            Some(a as u32)
        };
        [single(&mut ch.to_uppercase()), single(&mut ch.to_lowercase()), None]
    }
}
