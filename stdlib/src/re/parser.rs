//! Pattern syntax → [`Node`]s, with CPython's error messages and positions.
//!
//! The pattern is read as code points (a str) or bytes (a bytes pattern), both held
//! as `u32`. Flags are applied while parsing: each literal, dot, anchor and class
//! records what the flags in force at its place made of it.

use super::ast::*;
use std::collections::HashMap;

/// Why a pattern was refused: `re.error` (with a position when CPython gives one),
/// or another exception class CPython raises while compiling.
#[derive(Debug)]
pub enum ParseError {
    Re { msg: String, pos: Option<usize> },
    Value(String),
    Overflow(String),
    Recursion,
}

fn err<T>(msg: impl Into<String>, pos: usize) -> Result<T, ParseError> {
    Err(ParseError::Re { msg: msg.into(), pos: Some(pos) })
}

/// Deepest nesting of groups accepted; deeper patterns are CPython's RecursionError.
const MAX_DEPTH: usize = 400;

pub struct Parsed {
    pub node: Node,
    /// Number of capturing groups.
    pub groups: usize,
    pub names: Vec<(String, usize)>,
    /// The flags after inline global flags were applied.
    pub flags: u32,
}

struct Parser<'a> {
    p: &'a [u32],
    i: usize,
    bytes: bool,
    /// Number of groups opened so far.
    groups: usize,
    names: HashMap<String, usize>,
    name_order: Vec<(String, usize)>,
    /// Groups opened and not yet closed (a backreference to one is refused).
    open: Vec<usize>,
    global: u32,
    depth: usize,
    /// Groups named by number in conditionals, with where: checked at the end.
    cond_refs: Vec<(usize, usize)>,
    /// The width of each closed group, for the width of a backreference to it.
    widths: HashMap<usize, (usize, Option<usize>)>,
    /// The first group opened inside each lookbehind being parsed.
    behind_from: Vec<usize>,
    /// Where a lookbehind first referred to a group it defines (refused).
    behind_self_ref: Option<usize>,
}

fn is_digit(c: u32) -> bool {
    (b'0' as u32..=b'9' as u32).contains(&c)
}

fn is_octal(c: u32) -> bool {
    (b'0' as u32..=b'7' as u32).contains(&c)
}

fn hex_val(c: u32) -> Option<u32> {
    char::from_u32(c).and_then(|c| c.to_digit(16))
}

fn show(c: u32) -> String {
    char::from_u32(c).map(|c| c.to_string()).unwrap_or_default()
}

/// The flags of the scoped or global group at hand.
#[derive(Clone, Copy)]
struct Flags(u32);

impl Flags {
    fn icase(self) -> bool {
        self.0 & IGNORECASE != 0
    }
}

pub fn parse(pattern: &[u32], bytes: bool, flags: u32) -> Result<Parsed, ParseError> {
    let mut ps = Parser {
        p: pattern,
        i: 0,
        bytes,
        groups: 0,
        names: HashMap::new(),
        name_order: Vec::new(),
        open: Vec::new(),
        global: flags,
        depth: 0,
        cond_refs: Vec::new(),
        widths: HashMap::new(),
        behind_from: Vec::new(),
        behind_self_ref: None,
    };
    ps.leading_flags()?;
    ps.check_flag_mix(ps.global)?;
    let start_flags = ps.global;
    let node = ps.alternation(start_flags)?;
    if ps.i < ps.p.len() {
        // Only an unopened `)` stops the top level early.
        return err("unbalanced parenthesis", ps.i);
    }
    if let Some(&(g, at)) = ps.cond_refs.iter().find(|(g, _)| *g > ps.groups) {
        return err(format!("invalid group reference {g}"), at);
    }
    let mut flags = ps.global;
    if !bytes && flags & (ASCII | LOCALE) == 0 {
        flags |= UNICODE;
    }
    Ok(Parsed { node, groups: ps.groups, names: ps.name_order, flags })
}

impl Parser<'_> {
    fn peek(&self) -> Option<u32> {
        self.p.get(self.i).copied()
    }

    fn peek_is(&self, c: u8) -> bool {
        self.peek() == Some(c as u32)
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek_is(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    /// `(?aiLmsux)` groups at the very start set the global flags; they are read
    /// before anything else so VERBOSE governs the whole pattern.
    fn leading_flags(&mut self) -> Result<(), ParseError> {
        loop {
            let save = self.i;
            if self.global & VERBOSE != 0 {
                self.skip_verbose();
            }
            if !(self.peek_is(b'(') && self.p.get(self.i + 1) == Some(&(b'?' as u32))) {
                self.i = save;
                return Ok(());
            }
            let after = self.p.get(self.i + 2).copied();
            match after.and_then(char::from_u32) {
                Some(c) if "aiLmsux".contains(c) => {}
                _ => {
                    self.i = save;
                    return Ok(());
                }
            }
            // A scoped group `(?i:...)` is not a global flag group.
            let mut j = self.i + 2;
            while j < self.p.len() && char::from_u32(self.p[j]).is_some_and(|c| "aiLmsux".contains(c)) {
                j += 1;
            }
            if self.p.get(j) != Some(&(b')' as u32)) {
                self.i = save;
                return Ok(());
            }
            self.i += 2;
            let on = self.flag_letters(true)?;
            self.i += 1;
            self.global |= on;
            self.check_flag_mix(self.global)?;
        }
    }

    fn check_flag_mix(&self, f: u32) -> Result<(), ParseError> {
        if f & ASCII != 0 && f & UNICODE != 0 {
            return Err(ParseError::Value("ASCII and UNICODE flags are incompatible".into()));
        }
        if f & ASCII != 0 && f & LOCALE != 0 {
            return Err(ParseError::Value("ASCII and LOCALE flags are incompatible".into()));
        }
        Ok(())
    }

    /// Reads flag letters at `self.i`; stops at the first non-letter.
    fn flag_letters(&mut self, turning_on: bool) -> Result<u32, ParseError> {
        let mut f = 0;
        while let Some(c) = self.peek().and_then(char::from_u32) {
            let bit = match c {
                'a' => ASCII,
                'i' => IGNORECASE,
                'L' => LOCALE,
                'm' => MULTILINE,
                's' => DOTALL,
                'u' => UNICODE,
                'x' => VERBOSE,
                _ => break,
            };
            self.i += 1;
            if !turning_on && matches!(c, 'a' | 'u' | 'L') {
                return err("bad inline flags: cannot turn off flags 'a', 'u' and 'L'", self.i);
            }
            if c == 'L' && !self.bytes {
                return err("bad inline flags: cannot use 'L' flag with a str pattern", self.i);
            }
            if c == 'u' && self.bytes {
                return err("bad inline flags: cannot use 'u' flag with a bytes pattern", self.i);
            }
            if c == 'a' && self.bytes {
                // ASCII is the bytes default; accepted.
            }
            if matches!(c, 'a' | 'u' | 'L') && f & (ASCII | UNICODE | LOCALE) & !bit != 0 {
                return err("bad inline flags: flags 'a', 'u' and 'L' are incompatible", self.i);
            }
            f |= bit;
        }
        Ok(f)
    }

    fn skip_verbose(&mut self) {
        while let Some(c) = self.peek() {
            if c == b'#' as u32 {
                while let Some(c) = self.peek() {
                    self.i += 1;
                    if c == b'\n' as u32 {
                        break;
                    }
                }
            } else if char::from_u32(c).is_some_and(|c| " \t\n\r\x0b\x0c".contains(c)) {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    fn alternation(&mut self, fl: u32) -> Result<Node, ParseError> {
        let mut branches = vec![self.sequence(fl)?];
        while self.eat(b'|') {
            branches.push(self.sequence(fl)?);
        }
        Ok(if branches.len() == 1 { branches.pop().unwrap() } else { Node::Alt(branches) })
    }

    fn sequence(&mut self, fl: u32) -> Result<Node, ParseError> {
        let mut items: Vec<Node> = Vec::new();
        loop {
            if fl & VERBOSE != 0 {
                self.skip_verbose();
            }
            let Some(c) = self.peek() else { break };
            if c == b'|' as u32 || c == b')' as u32 {
                break;
            }
            let at = self.i;
            let atom = self.atom(fl)?;
            let atom = match atom {
                Some(a) => a,
                None => continue,
            };
            let node = self.quantifiers(atom, at, fl)?;
            items.push(node);
        }
        Ok(match items.len() {
            0 => Node::Empty,
            1 => items.pop().unwrap(),
            _ => Node::Concat(items),
        })
    }

    /// Applies the quantifiers following an atom that started at `at`.
    fn quantifiers(&mut self, atom: Node, at: usize, fl: u32) -> Result<Node, ParseError> {
        if fl & VERBOSE != 0 {
            self.skip_verbose();
        }
        let qpos = self.i;
        let Some((min, max)) = self.quantifier()? else { return Ok(atom) };
        // A group (even one holding only an anchor or a repeat) can be repeated;
        // a bare anchor cannot. Two quantifiers in a row are caught below.
        let group = self.p[at] == b'(' as u32;
        if !group && matches!(atom, Node::Anchor(_)) {
            return err("nothing to repeat", qpos);
        }
        let mut greedy = true;
        let mut possessive = false;
        if self.eat(b'?') {
            greedy = false;
        } else if self.eat(b'+') {
            possessive = true;
        }
        let node = Node::Repeat { node: Box::new(atom), min, max, greedy, possessive };
        if fl & VERBOSE != 0 {
            self.skip_verbose();
        }
        let here = self.i;
        if self.quantifier_ahead() {
            return err("multiple repeat", here);
        }
        Ok(node)
    }

    /// Whether a quantifier starts here (without consuming it).
    fn quantifier_ahead(&mut self) -> bool {
        let save = self.i;
        let r = matches!(self.quantifier(), Ok(Some(_)));
        self.i = save;
        r
    }

    fn quantifier(&mut self) -> Result<Option<(u32, u32)>, ParseError> {
        let Some(c) = self.peek() else { return Ok(None) };
        match char::from_u32(c) {
            Some('*') => {
                self.i += 1;
                Ok(Some((0, UNBOUNDED)))
            }
            Some('+') => {
                self.i += 1;
                Ok(Some((1, UNBOUNDED)))
            }
            Some('?') => {
                self.i += 1;
                Ok(Some((0, 1)))
            }
            Some('{') => {
                // `{m}`, `{m,}`, `{,n}`, `{m,n}`; anything else is a literal `{`.
                let start = self.i;
                let mut j = self.i + 1;
                let lo_start = j;
                while j < self.p.len() && is_digit(self.p[j]) {
                    j += 1;
                }
                let lo = &self.p[lo_start..j];
                let mut hi: Option<&[u32]> = None;
                if j < self.p.len() && self.p[j] == b',' as u32 {
                    j += 1;
                    let hs = j;
                    while j < self.p.len() && is_digit(self.p[j]) {
                        j += 1;
                    }
                    hi = Some(&self.p[hs..j]);
                }
                if j >= self.p.len() || self.p[j] != b'}' as u32 {
                    return Ok(None);
                }
                if lo.is_empty() && hi.is_none() {
                    return Ok(None);
                }
                let num = |d: &[u32]| -> Result<u32, ParseError> {
                    let mut v: u64 = 0;
                    for &c in d {
                        v = v * 10 + (c - b'0' as u32) as u64;
                        if v >= UNBOUNDED as u64 {
                            return Err(ParseError::Overflow("the repetition number is too large".into()));
                        }
                    }
                    Ok(v as u32)
                };
                let min = if lo.is_empty() { 0 } else { num(lo)? };
                let max = match hi {
                    None => min,
                    Some([]) => UNBOUNDED,
                    Some(h) => num(h)?,
                };
                self.i = j + 1;
                if max < min {
                    return err("min repeat greater than max repeat", start + 1);
                }
                Ok(Some((min, max)))
            }
            _ => Ok(None),
        }
    }

    /// One atom; None for things that match nothing and take no quantifier
    /// (comments, which CPython also lets quantifiers skip over).
    fn atom(&mut self, fl: u32) -> Result<Option<Node>, ParseError> {
        let at = self.i;
        let c = self.p[at];
        self.i += 1;
        let f = Flags(fl);
        let ascii_case = self.bytes || fl & ASCII != 0;
        let node = match char::from_u32(c) {
            Some('.') => Node::Any { dotall: fl & DOTALL != 0 },
            Some('^') => Node::Anchor(if fl & MULTILINE != 0 { Anchor::LineStart } else { Anchor::TextStart }),
            Some('$') => Node::Anchor(if fl & MULTILINE != 0 { Anchor::LineEnd } else { Anchor::EndOrFinalNewline }),
            Some('*') | Some('+') | Some('?') => return err("nothing to repeat", at),
            Some('{') => {
                self.i = at;
                if self.quantifier_ahead() {
                    return err("nothing to repeat", at);
                }
                self.i = at + 1;
                Node::Char { c, icase: false, ascii_case }
            }
            Some('[') => self.set(at, fl)?,
            Some('(') => return self.group(at, fl),
            Some('\\') => self.escape(at, fl)?,
            _ => Node::Char { c, icase: f.icase(), ascii_case },
        };
        Ok(Some(node))
    }

    fn ascii_classes(&self, fl: u32) -> bool {
        self.bytes || fl & ASCII != 0 || fl & LOCALE != 0
    }

    /// An escape outside a set, starting at `at` (the backslash).
    fn escape(&mut self, at: usize, fl: u32) -> Result<Node, ParseError> {
        let Some(c) = self.peek() else { return err("bad escape (end of pattern)", at) };
        let ascii = self.ascii_classes(fl);
        let ascii_case = self.bytes || fl & ASCII != 0;
        let icase = fl & IGNORECASE != 0;
        let class = |kind, negated| {
            Node::Set(Box::new(CharSet::new(vec![SetItem::Class { kind, ascii, negated }], false, false, ascii_case)))
        };
        let ch = char::from_u32(c).unwrap_or('\0');
        match ch {
            'A' => {
                self.i += 1;
                Ok(Node::Anchor(Anchor::TextStart))
            }
            'Z' => {
                self.i += 1;
                Ok(Node::Anchor(Anchor::TextEnd))
            }
            'b' => {
                self.i += 1;
                Ok(Node::Anchor(Anchor::WordBoundary { ascii }))
            }
            'B' => {
                self.i += 1;
                Ok(Node::Anchor(Anchor::NotWordBoundary { ascii }))
            }
            'd' | 'D' | 'w' | 'W' | 's' | 'S' => {
                self.i += 1;
                let kind = match ch.to_ascii_lowercase() {
                    'd' => Shorthand::Digit,
                    'w' => Shorthand::Word,
                    _ => Shorthand::Space,
                };
                Ok(class(kind, ch.is_ascii_uppercase()))
            }
            '1'..='9' => {
                // A backreference of one or two digits, or an octal escape of three.
                if self.i + 2 < self.p.len()
                    && is_octal(c)
                    && is_octal(self.p[self.i + 1])
                    && self.p.get(self.i + 2).is_some_and(|&x| is_octal(x))
                {
                    let v = self.octal3(at)?;
                    return Ok(Node::Char { c: v, icase, ascii_case });
                }
                let mut n = (c - b'0' as u32) as usize;
                self.i += 1;
                if let Some(d) = self.peek().filter(|&d| is_digit(d)) {
                    n = n * 10 + (d - b'0' as u32) as usize;
                    self.i += 1;
                }
                self.backref(n, at + 1, fl)
            }
            '0' => {
                self.i += 1;
                let mut v = 0;
                let mut k = 0;
                while k < 2 && self.peek().is_some_and(is_octal) {
                    v = v * 8 + (self.peek().unwrap() - b'0' as u32);
                    self.i += 1;
                    k += 1;
                }
                Ok(Node::Char { c: v, icase, ascii_case })
            }
            _ => {
                let v = self.simple_escape(at)?;
                Ok(Node::Char { c: v, icase, ascii_case })
            }
        }
    }

    /// Three octal digits at `self.i` (after a backslash at `at`).
    fn octal3(&mut self, at: usize) -> Result<u32, ParseError> {
        let mut v = 0;
        for _ in 0..3 {
            v = v * 8 + (self.p[self.i] - b'0' as u32);
            self.i += 1;
        }
        if v > 0o377 {
            let text: String = self.p[at..self.i].iter().map(|&c| show(c)).collect();
            return err(format!("octal escape value {text} outside of range 0-0o377"), at);
        }
        Ok(v)
    }

    fn backref(&mut self, n: usize, pos: usize, fl: u32) -> Result<Node, ParseError> {
        if n == 0 || n > self.groups || n >= 100 {
            return err(format!("invalid group reference {n}"), pos);
        }
        if self.open.contains(&n) {
            return err("cannot refer to an open group", pos - 1);
        }
        Ok(self.backref_node(n, fl))
    }

    fn backref_node(&mut self, group: usize, fl: u32) -> Node {
        if self.behind_from.last().is_some_and(|&from| group > from) && self.behind_self_ref.is_none() {
            self.behind_self_ref = Some(self.i);
        }
        let width = self.widths.get(&group).copied().unwrap_or((0, None));
        Node::Backref { group, icase: fl & IGNORECASE != 0, ascii_case: self.bytes || fl & ASCII != 0, width }
    }

    /// Escapes meaning one character, shared by sets: `\n`, `\x41`, `\u00e9`, `\\`, ...
    fn simple_escape(&mut self, at: usize) -> Result<u32, ParseError> {
        let c = self.p[self.i];
        self.i += 1;
        let ch = char::from_u32(c).unwrap_or('\0');
        let hex = |ps: &mut Parser, n: usize| -> Result<u32, ParseError> {
            let mut v: u32 = 0;
            for _ in 0..n {
                match ps.peek().and_then(hex_val) {
                    Some(d) => {
                        v = v * 16 + d;
                        ps.i += 1;
                    }
                    None => {
                        let text: String = ps.p[at..ps.i].iter().map(|&c| show(c)).collect();
                        return err(format!("incomplete escape {text}"), at);
                    }
                }
            }
            Ok(v)
        };
        Ok(match ch {
            'a' => 7,
            'f' => 12,
            'n' => 10,
            'r' => 13,
            't' => 9,
            'v' => 11,
            'x' => hex(self, 2)?,
            'u' | 'U' if !self.bytes => {
                let v = hex(self, if ch == 'u' { 4 } else { 8 })?;
                if v > 0x10FFFF {
                    let text: String = self.p[at..self.i].iter().map(|&c| show(c)).collect();
                    return err(format!("bad escape {text}"), at);
                }
                v
            }
            'N' if !self.bytes => {
                // \N{NAME}: the character of that Unicode name (any case).
                if self.peek() != Some('{' as u32) {
                    return err("missing {", self.i);
                }
                self.i += 1;
                let start = self.i;
                while self.peek().is_some_and(|c| c != '}' as u32) {
                    self.i += 1;
                }
                let name: String = self.p[start..self.i].iter().filter_map(|&c| char::from_u32(c)).collect();
                if name.is_empty() {
                    return err("missing character name", start);
                }
                if self.peek().is_none() {
                    return err("missing }, unterminated name", start);
                }
                self.i += 1;
                match unicode_names2::character(&name.to_uppercase()) {
                    Some(found) => found as u32,
                    None => return err(format!("undefined character name '{name}'"), at),
                }
            }
            _ if ch.is_ascii_alphanumeric() => return err(format!("bad escape \\{ch}"), at),
            _ => c,
        })
    }

    /// A set `[...]`, starting at `at` (the `[`).
    fn set(&mut self, at: usize, fl: u32) -> Result<Node, ParseError> {
        let mut items = Vec::new();
        let negated = self.eat(b'^');
        let ascii = self.ascii_classes(fl);
        let mut first = true;
        loop {
            let Some(c) = self.peek() else { return err("unterminated character set", at) };
            if c == b']' as u32 && !first {
                self.i += 1;
                break;
            }
            first = false;
            let item_at = self.i;
            let lo = self.set_atom(ascii)?;
            if self.peek_is(b'-') && self.p.get(self.i + 1).is_some_and(|&c| c != b']' as u32) {
                self.i += 1;
                let hi_at = self.i;
                let hi = self.set_atom(ascii)?;
                let (a, b) = match (&lo, &hi) {
                    (SetItem::Range(a, _), SetItem::Range(b, _)) => (*a, *b),
                    _ => {
                        let text: String = self.p[item_at..self.i].iter().map(|&c| show(c)).collect();
                        return err(format!("bad character range {text}"), item_at);
                    }
                };
                let _ = hi_at;
                if b < a {
                    let text: String = self.p[item_at..self.i].iter().map(|&c| show(c)).collect();
                    return err(format!("bad character range {text}"), item_at);
                }
                items.push(SetItem::Range(a, b));
            } else {
                items.push(lo);
            }
        }
        Ok(Node::Set(Box::new(CharSet::new(items, negated, fl & IGNORECASE != 0, self.bytes || fl & ASCII != 0))))
    }

    fn set_atom(&mut self, ascii: bool) -> Result<SetItem, ParseError> {
        let at = self.i;
        let c = self.p[at];
        self.i += 1;
        if c != b'\\' as u32 {
            return Ok(SetItem::Range(c, c));
        }
        let Some(e) = self.peek() else { return err("bad escape (end of pattern)", at) };
        let ch = char::from_u32(e).unwrap_or('\0');
        let class = |kind, negated| SetItem::Class { kind, ascii, negated };
        Ok(match ch {
            'd' | 'D' | 'w' | 'W' | 's' | 'S' => {
                self.i += 1;
                let kind = match ch.to_ascii_lowercase() {
                    'd' => Shorthand::Digit,
                    'w' => Shorthand::Word,
                    _ => Shorthand::Space,
                };
                class(kind, ch.is_ascii_uppercase())
            }
            'b' => {
                self.i += 1;
                SetItem::Range(8, 8)
            }
            '0'..='7' => {
                let mut v = 0;
                let mut k = 0;
                while k < 3 && self.peek().is_some_and(is_octal) {
                    v = v * 8 + (self.peek().unwrap() - b'0' as u32);
                    self.i += 1;
                    k += 1;
                }
                if v > 0o377 {
                    let text: String = self.p[at..self.i].iter().map(|&c| show(c)).collect();
                    return err(format!("octal escape value {text} outside of range 0-0o377"), at);
                }
                SetItem::Range(v, v)
            }
            '8' | '9' => return err(format!("bad escape \\{ch}"), at),
            _ => {
                let v = self.simple_escape(at)?;
                SetItem::Range(v, v)
            }
        })
    }

    /// A group starting at `at` (the `(`).
    fn group(&mut self, at: usize, fl: u32) -> Result<Option<Node>, ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ParseError::Recursion);
        }
        let r = self.group_body(at, fl);
        self.depth -= 1;
        r
    }

    fn close(&mut self, at: usize) -> Result<(), ParseError> {
        if !self.eat(b')') {
            return err("missing ), unterminated subpattern", at);
        }
        Ok(())
    }

    fn group_body(&mut self, at: usize, fl: u32) -> Result<Option<Node>, ParseError> {
        if !self.eat(b'?') {
            return self.capture(at, fl, None).map(Some);
        }
        let Some(c) = self.peek() else { return err("unexpected end of pattern", self.i) };
        let ch = char::from_u32(c).unwrap_or('\0');
        match ch {
            ':' => {
                self.i += 1;
                let n = self.alternation(fl)?;
                self.close(at)?;
                Ok(Some(n))
            }
            '>' => {
                self.i += 1;
                let n = self.alternation(fl)?;
                self.close(at)?;
                Ok(Some(Node::Atomic(Box::new(n))))
            }
            '#' => {
                while let Some(c) = self.peek() {
                    self.i += 1;
                    if c == b')' as u32 {
                        return Ok(None);
                    }
                }
                err("missing ), unterminated comment", at)
            }
            '=' | '!' => {
                self.i += 1;
                let n = self.alternation(fl)?;
                self.close(at)?;
                Ok(Some(Node::Look { behind: false, negated: ch == '!', node: Box::new(n) }))
            }
            '<' => {
                self.i += 1;
                match self.peek().and_then(char::from_u32) {
                    None => err("unexpected end of pattern", self.i),
                    Some(k @ ('=' | '!')) => {
                        self.i += 1;
                        self.behind_from.push(self.groups);
                        let saved = self.behind_self_ref.take();
                        let n = self.alternation(fl);
                        self.behind_from.pop();
                        let self_ref = std::mem::replace(&mut self.behind_self_ref, saved);
                        let n = n?;
                        if let Some(at) = self_ref {
                            return err("cannot refer to group defined in the same lookbehind subpattern", at);
                        }
                        self.close(at)?;
                        let (lo, hi) = n.width();
                        if hi != Some(lo) {
                            return Err(ParseError::Re {
                                msg: "look-behind requires fixed-width pattern".into(),
                                pos: None,
                            });
                        }
                        Ok(Some(Node::Look { behind: true, negated: k == '!', node: Box::new(n) }))
                    }
                    Some(k) => err(format!("unknown extension ?<{k}"), at + 1),
                }
            }
            'P' => {
                self.i += 1;
                match self.peek().and_then(char::from_u32) {
                    None => err("unexpected end of pattern", self.i),
                    Some('<') => {
                        self.i += 1;
                        let name_at = self.i;
                        let name = self.name(b'>', "missing >, unterminated name")?;
                        self.check_name(&name, name_at)?;
                        self.capture(at, fl, Some((name, name_at))).map(Some)
                    }
                    Some('=') => {
                        self.i += 1;
                        let name_at = self.i;
                        let name = self.name(b')', "missing ), unterminated name")?;
                        self.check_name(&name, name_at)?;
                        let Some(&g) = self.names.get(&name) else {
                            return err(format!("unknown group name '{name}'"), name_at);
                        };
                        if self.open.contains(&g) {
                            return err("cannot refer to an open group", name_at);
                        }
                        Ok(Some(self.backref_node(g, fl)))
                    }
                    Some(k) => err(format!("unknown extension ?P{k}"), at + 1),
                }
            }
            '(' => {
                self.i += 1;
                let name_at = self.i;
                let name = self.name(b')', "missing ), unterminated name")?;
                let group = if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) {
                    let g: usize = name.parse().unwrap_or(usize::MAX);
                    if g == 0 {
                        return err("bad group number", name_at);
                    }
                    // Checked once the whole pattern is read: the group may come later.
                    self.cond_refs.push((g, name_at));
                    g
                } else {
                    self.check_name(&name, name_at)?;
                    match self.names.get(&name) {
                        Some(&g) => g,
                        None => return err(format!("unknown group name '{name}'"), name_at),
                    }
                };
                let yes = self.sequence(fl)?;
                let no = if self.eat(b'|') {
                    let n = self.sequence(fl)?;
                    if self.peek_is(b'|') {
                        return err("conditional backref with more than two branches", self.i);
                    }
                    n
                } else {
                    Node::Empty
                };
                self.close(at)?;
                Ok(Some(Node::Cond { group, yes: Box::new(yes), no: Box::new(no) }))
            }
            _ if "aiLmsux-".contains(ch) => self.scoped_flags(at, fl),
            _ => err(format!("unknown extension ?{ch}"), at + 1),
        }
    }

    /// `(?flags)` in the middle (refused) or `(?on-off:...)`.
    fn scoped_flags(&mut self, at: usize, fl: u32) -> Result<Option<Node>, ParseError> {
        let on = self.flag_letters(true)?;
        let mut off = 0;
        if self.peek_is(b')') {
            // Global flags were all taken by `leading_flags`; one here is misplaced.
            return err("global flags not at the start of the expression", at);
        }
        if self.eat(b'-') {
            if !self.peek().and_then(char::from_u32).is_some_and(|c| c.is_ascii_alphabetic()) {
                if self.peek().is_none() {
                    return err("missing flag", self.i);
                }
                return err("missing flag", self.i);
            }
            off = self.flag_letters(false)?;
            if off == 0 {
                return err("missing flag", self.i);
            }
            if on & off != 0 {
                return err("bad inline flags: flag turned on and off", self.i);
            }
            if !self.peek_is(b':') {
                if self.peek().is_some_and(|c| char::from_u32(c).is_some_and(|c| c.is_ascii_alphabetic())) {
                    return err("unknown flag", self.i);
                }
                return err("missing :", self.i);
            }
        }
        if !self.eat(b':') {
            if self.peek().is_some_and(|c| char::from_u32(c).is_some_and(|c| c.is_ascii_alphabetic())) {
                return err("unknown flag", self.i);
            }
            return err("missing -, : or )", self.i);
        }
        let mut inner = (fl | on) & !off;
        if on & (ASCII | UNICODE | LOCALE) != 0 {
            inner = (inner & !(ASCII | UNICODE | LOCALE)) | (on & (ASCII | UNICODE | LOCALE));
        }
        let n = self.alternation(inner)?;
        self.close(at)?;
        Ok(Some(n))
    }

    /// A group name up to `end`; the error if `end` never comes.
    fn name(&mut self, end: u8, missing: &str) -> Result<String, ParseError> {
        let start = self.i;
        while let Some(c) = self.peek() {
            if c == end as u32 {
                let name: String = self.p[start..self.i].iter().map(|&c| show(c)).collect();
                self.i += 1;
                if name.is_empty() {
                    return err("missing group name", start);
                }
                return Ok(name);
            }
            self.i += 1;
        }
        if self.i == start {
            return err("missing group name", start);
        }
        err(missing, start)
    }

    fn check_name(&self, name: &str, at: usize) -> Result<(), ParseError> {
        let mut cs = name.chars();
        let ok = match cs.next() {
            Some(c) if c == '_' || c.is_alphabetic() => cs.all(|c| c == '_' || c.is_alphanumeric()),
            _ => false,
        };
        if !ok || (self.bytes && !name.is_ascii()) {
            return err(format!("bad character in group name '{name}'"), at);
        }
        Ok(())
    }

    fn capture(&mut self, at: usize, fl: u32, name: Option<(String, usize)>) -> Result<Node, ParseError> {
        self.groups += 1;
        let g = self.groups;
        if let Some((name, name_at)) = name {
            if let Some(&old) = self.names.get(&name) {
                return err(format!("redefinition of group name '{name}' as group {g}; was group {old}"), name_at);
            }
            self.names.insert(name.clone(), g);
            self.name_order.push((name, g));
        }
        self.open.push(g);
        let n = self.alternation(fl)?;
        self.open.retain(|&x| x != g);
        self.close(at)?;
        self.widths.insert(g, n.width());
        Ok(Node::Group(g, Box::new(n)))
    }
}
