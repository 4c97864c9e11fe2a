//! Replacement templates of `sub`, `subn` and `Match.expand`: literal text and
//! group references (`\1`, `\g<2>`, `\g<name>`), parsed once per call.

use super::parser::ParseError;

pub enum Piece {
    Lit(Vec<u32>),
    Group(usize),
}

/// A template error: `re.error` (message, position) or IndexError for an unknown name.
pub enum TemplateError {
    Re(ParseError),
    Index(String),
}

fn re_err<T>(msg: impl Into<String>, pos: usize) -> Result<T, TemplateError> {
    Err(TemplateError::Re(ParseError::Re { msg: msg.into(), pos: Some(pos) }))
}

fn show(cs: &[u32]) -> String {
    cs.iter().filter_map(|&c| char::from_u32(c)).collect()
}

fn is_digit(c: u32) -> bool {
    (b'0' as u32..=b'9' as u32).contains(&c)
}

fn is_octal(c: u32) -> bool {
    (b'0' as u32..=b'7' as u32).contains(&c)
}

/// Parses `t`; `groups` is the pattern's group count and `names` its named groups.
pub fn parse(t: &[u32], groups: usize, names: &[(String, usize)]) -> Result<Vec<Piece>, TemplateError> {
    let mut out = Vec::new();
    let mut lit: Vec<u32> = Vec::new();
    let mut i = 0;
    let group_ref = |n: usize, pos: usize| -> Result<usize, TemplateError> {
        if n > groups {
            return re_err(format!("invalid group reference {n}"), pos);
        }
        Ok(n)
    };
    while i < t.len() {
        let c = t[i];
        if c != b'\\' as u32 {
            lit.push(c);
            i += 1;
            continue;
        }
        let at = i;
        i += 1;
        let Some(&e) = t.get(i) else { return re_err("bad escape (end of pattern)", at) };
        let ch = char::from_u32(e).unwrap_or('\0');
        i += 1;
        let g = match ch {
            'g' => {
                if t.get(i) != Some(&(b'<' as u32)) {
                    return re_err("missing <", i);
                }
                i += 1;
                let start = i;
                while i < t.len() && t[i] != b'>' as u32 {
                    i += 1;
                }
                if i >= t.len() {
                    if start == t.len() {
                        return re_err("missing group name", start);
                    }
                    return re_err("missing >, unterminated name", start);
                }
                let name = &t[start..i];
                i += 1;
                if name.is_empty() {
                    return re_err("missing group name", start);
                }
                let text = show(name);
                if name.iter().all(|&c| is_digit(c)) {
                    let n = text.parse::<usize>().unwrap_or(usize::MAX);
                    Some(group_ref(n, start)?)
                } else {
                    let mut cs = text.chars();
                    let ok = match cs.next() {
                        Some(c) if c == '_' || c.is_alphabetic() => cs.all(|c| c == '_' || c.is_alphanumeric()),
                        _ => false,
                    };
                    if !ok {
                        return re_err(format!("bad character in group name '{text}'"), start);
                    }
                    match names.iter().find(|(n, _)| *n == text) {
                        Some((_, g)) => Some(*g),
                        None => return Err(TemplateError::Index(format!("unknown group name '{text}'"))),
                    }
                }
            }
            '0' => {
                let mut v = 0;
                let mut k = 0;
                while k < 2 && t.get(i).is_some_and(|&c| is_octal(c)) {
                    v = v * 8 + (t[i] - b'0' as u32);
                    i += 1;
                    k += 1;
                }
                lit.push(v);
                None
            }
            '1'..='9' => {
                // Three octal digits are a character; otherwise one or two digits
                // name a group.
                if is_octal(e) && t.get(i).is_some_and(|&c| is_octal(c)) && t.get(i + 1).is_some_and(|&c| is_octal(c)) {
                    let v = (e - b'0' as u32) * 64 + (t[i] - b'0' as u32) * 8 + (t[i + 1] - b'0' as u32);
                    i += 2;
                    if v > 0o377 {
                        return re_err(format!("octal escape value {} outside of range 0-0o377", show(&t[at..i])), at);
                    }
                    lit.push(v);
                    None
                } else {
                    let mut n = (e - b'0' as u32) as usize;
                    if t.get(i).is_some_and(|&c| is_digit(c)) {
                        n = n * 10 + (t[i] - b'0' as u32) as usize;
                        i += 1;
                    }
                    Some(group_ref(n, at + 1)?)
                }
            }
            _ => {
                let v = match ch {
                    'a' => Some(7),
                    'b' => Some(8),
                    'f' => Some(12),
                    'n' => Some(10),
                    'r' => Some(13),
                    't' => Some(9),
                    'v' => Some(11),
                    '\\' => Some(b'\\' as u32),
                    _ => None,
                };
                match v {
                    Some(v) => lit.push(v),
                    None if ch.is_ascii_alphabetic() => return re_err(format!("bad escape \\{ch}"), at),
                    None => {
                        lit.push(b'\\' as u32);
                        lit.push(e);
                    }
                }
                None
            }
        };
        if let Some(g) = g {
            if !lit.is_empty() {
                out.push(Piece::Lit(std::mem::take(&mut lit)));
            }
            out.push(Piece::Group(g));
        }
    }
    if !lit.is_empty() {
        out.push(Piece::Lit(lit));
    }
    Ok(out)
}
