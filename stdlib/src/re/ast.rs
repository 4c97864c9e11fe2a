//! The parsed form of a pattern: nodes with every flag already applied, so the
//! compiler and the engine never look at flags again.

/// Flag bits, with CPython's values.
pub const TEMPLATE: u32 = 1;
pub const IGNORECASE: u32 = 2;
pub const LOCALE: u32 = 4;
pub const MULTILINE: u32 = 8;
pub const DOTALL: u32 = 16;
pub const UNICODE: u32 = 32;
pub const VERBOSE: u32 = 64;
pub const DEBUG: u32 = 128;
pub const ASCII: u32 = 256;

/// A class shorthand (`\d`, `\w`, `\s`), in its ASCII or Unicode meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shorthand {
    Digit,
    Word,
    Space,
}

/// One member of a character set.
#[derive(Clone, Debug)]
pub enum SetItem {
    Range(u32, u32),
    Class { kind: Shorthand, ascii: bool, negated: bool },
}

/// A character set (`[...]`, or a shorthand used alone).
#[derive(Clone, Debug)]
pub struct CharSet {
    pub items: Vec<SetItem>,
    pub negated: bool,
    /// Case-insensitive, and whether folding is ASCII-only (bytes or ASCII flag).
    pub icase: bool,
    pub ascii_case: bool,
    /// Membership of the 128 ASCII characters, precomputed (`CharSet::new`).
    pub ascii_map: [u64; 2],
}

/// Zero-width assertions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anchor {
    /// `^` without MULTILINE, and `\A`.
    TextStart,
    /// `^` with MULTILINE.
    LineStart,
    /// `$` without MULTILINE: the end, or before a final newline.
    EndOrFinalNewline,
    /// `$` with MULTILINE.
    LineEnd,
    /// `\Z`.
    TextEnd,
    /// `\b` / `\B`, ASCII or Unicode word characters.
    WordBoundary {
        ascii: bool,
    },
    NotWordBoundary {
        ascii: bool,
    },
}

#[derive(Clone, Debug)]
pub enum Node {
    Empty,
    /// A literal code point (or byte); `icase` with its fold precomputed by the compiler.
    Char {
        c: u32,
        icase: bool,
        ascii_case: bool,
    },
    /// `.`: any character, or any but newline.
    Any {
        dotall: bool,
    },
    Set(Box<CharSet>),
    Anchor(Anchor),
    Concat(Vec<Node>),
    Alt(Vec<Node>),
    /// A capturing group, numbered from 1.
    Group(usize, Box<Node>),
    Repeat {
        node: Box<Node>,
        min: u32,
        max: u32,
        greedy: bool,
        possessive: bool,
    },
    /// A backreference, with the width of the group it names (for lookbehinds).
    Backref {
        group: usize,
        icase: bool,
        ascii_case: bool,
        width: (usize, Option<usize>),
    },
    Look {
        behind: bool,
        negated: bool,
        node: Box<Node>,
    },
    Atomic(Box<Node>),
    /// `(?(group)yes|no)`.
    Cond {
        group: usize,
        yes: Box<Node>,
        no: Box<Node>,
    },
}

/// CPython's MAXREPEAT: an unbounded `max`.
pub const UNBOUNDED: u32 = u32::MAX;

impl Node {
    /// The (min, max) number of characters the node can match; max None when unbounded.
    pub fn width(&self) -> (usize, Option<usize>) {
        match self {
            Node::Empty | Node::Anchor(_) | Node::Look { .. } => (0, Some(0)),
            Node::Char { .. } | Node::Any { .. } | Node::Set(_) => (1, Some(1)),
            Node::Concat(v) => v.iter().fold((0, Some(0)), |(lo, hi), n| {
                let (a, b) = n.width();
                (lo + a, hi.and_then(|h| b.map(|b| h + b)))
            }),
            Node::Alt(v) => {
                let mut lo = usize::MAX;
                let mut hi = Some(0);
                for n in v {
                    let (a, b) = n.width();
                    lo = lo.min(a);
                    hi = match (hi, b) {
                        (Some(h), Some(b)) => Some(h.max(b)),
                        _ => None,
                    };
                }
                (if v.is_empty() { 0 } else { lo }, hi)
            }
            Node::Group(_, n) | Node::Atomic(n) => n.width(),
            Node::Repeat { node, min, max, .. } => {
                let (a, b) = node.width();
                let lo = a.saturating_mul(*min as usize);
                let hi = if *max == UNBOUNDED {
                    if b == Some(0) {
                        Some(0)
                    } else {
                        None
                    }
                } else {
                    b.map(|b| b.saturating_mul(*max as usize))
                };
                (lo, hi)
            }
            Node::Backref { width, .. } => *width,
            Node::Cond { yes, no, .. } => Node::Alt(vec![(**yes).clone(), (**no).clone()]).width(),
        }
    }
}
