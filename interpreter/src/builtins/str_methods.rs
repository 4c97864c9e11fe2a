//! Methods of `str` (and `str.format`).

use super::{arg, self_str};
use crate::interp::{add_methods, types};
use crate::native::Exc;
use crate::value::{Object, Value};
use crate::vm::{Args, PyResult, Vm};

pub fn register(_vm: &mut Vm) {
    let t = types();
    crate::interp::add_natives(&t.str_, &[&super::list_methods::dunder_len::DEF]);
    add_methods(
        &t.str_,
        &[
            ("join", join),
            ("split", split),
            ("rsplit", rsplit),
            ("splitlines", splitlines),
            ("strip", strip),
            ("lstrip", lstrip),
            ("rstrip", rstrip),
            ("upper", upper),
            ("lower", lower),
            ("title", title),
            ("capitalize", capitalize),
            ("swapcase", swapcase),
            ("casefold", casefold),
            ("replace", replace),
            ("startswith", startswith),
            ("endswith", endswith),
            ("find", find),
            ("rfind", rfind),
            ("index", index),
            ("rindex", rindex),
            ("count", count),
            ("format", format),
            ("isdigit", isdigit),
            ("isdecimal", isdecimal),
            ("isnumeric", isnumeric),
            ("istitle", istitle),
            ("isascii", isascii),
            ("isprintable", isprintable),
            ("translate", translate),
            ("isalpha", isalpha),
            ("isalnum", isalnum),
            ("isspace", isspace),
            ("isupper", isupper),
            ("islower", islower),
            ("isidentifier", isidentifier),
            ("center", center),
            ("ljust", ljust),
            ("rjust", rjust),
            ("zfill", zfill),
            ("encode", encode),
            ("partition", partition),
            ("rpartition", rpartition),
            ("removeprefix", removeprefix),
            ("removesuffix", removesuffix),
            ("expandtabs", expandtabs),
            ("__contains__", contains),
            ("__getitem__", getitem),
        ],
    );
    // `str.maketrans` is a static method in CPython: it works the same through the
    // class and through an instance.
    crate::interp::set_class_attr(
        &t.str_,
        "maketrans",
        Value::new(Object::StaticMethod(crate::interp::native("maketrans", "str.maketrans", maketrans))),
    );
}

fn s_arg(vm: &mut Vm, args: &Args, i: usize, name: &str) -> PyResult<String> {
    let v = arg(vm, args, i, name)?;
    match v.as_str() {
        Some(s) => Ok(s.as_str().to_string()),
        None => {
            let msg = format!("must be str, not {}", vm.type_name(&v));
            Err(vm.type_error(&msg))
        }
    }
}

fn opt_s(vm: &mut Vm, args: &Args, i: usize) -> PyResult<Option<String>> {
    match args.pos.get(i) {
        None | Some(Value::None) => Ok(None),
        Some(v) => match v.as_str() {
            Some(s) => Ok(Some(s.as_str().to_string())),
            None => {
                let msg = format!("must be str or None, not {}", vm.type_name(v));
                Err(vm.type_error(&msg))
            }
        },
    }
}

fn join(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let sep = self_str(vm, &args, "join")?.as_str().to_string();
    let src = arg(vm, &args, 1, "join")?;
    let items = vm.collect(&src)?;
    let mut out = String::new();
    for (i, it) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(&sep);
        }
        match it.as_str() {
            Some(s) => out.push_str(s.as_str()),
            None => {
                let msg = format!("sequence item {}: expected str instance, {} found", i, vm.type_name(it));
                return Err(vm.type_error(&msg));
            }
        }
    }
    Ok(Value::string(out))
}

fn maxsplit(vm: &mut Vm, args: &mut Args) -> PyResult<i64> {
    match args.take(2, "maxsplit") {
        Some(v) => vm.index_value(&v),
        None => Ok(-1),
    }
}

fn split(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let s = self_str(vm, &args, "split")?.as_str().to_string();
    let sep = match args.take(1, "sep") {
        Some(Value::None) | None => None,
        Some(v) => Some(v.as_str().map(|x| x.as_str().to_string()).unwrap_or_default()),
    };
    let max = maxsplit(vm, &mut args)?;
    let parts: Vec<String> = match sep {
        None => {
            let mut out = Vec::new();
            let mut rest = s.trim_start();
            while !rest.is_empty() {
                if max >= 0 && out.len() as i64 == max {
                    out.push(rest.to_string());
                    break;
                }
                match rest.find(char::is_whitespace) {
                    Some(i) => {
                        out.push(rest[..i].to_string());
                        rest = rest[i..].trim_start();
                    }
                    None => {
                        out.push(rest.to_string());
                        break;
                    }
                }
            }
            out
        }
        Some(sep) => {
            if sep.is_empty() {
                return Err(vm.value_error("empty separator"));
            }
            if max < 0 {
                s.split(sep.as_str()).map(String::from).collect()
            } else {
                s.splitn(max as usize + 1, sep.as_str()).map(String::from).collect()
            }
        }
    };
    Ok(Value::list(parts.into_iter().map(Value::string).collect()))
}

fn rsplit(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let s = self_str(vm, &args, "rsplit")?.as_str().to_string();
    let sep = match args.take(1, "sep") {
        Some(Value::None) | None => None,
        Some(v) => Some(v.as_str().map(|x| x.as_str().to_string()).unwrap_or_default()),
    };
    let max = maxsplit(vm, &mut args)?;
    let mut parts: Vec<String> = match sep {
        None => {
            let mut out = Vec::new();
            let mut rest = s.trim_end();
            while !rest.is_empty() {
                if max >= 0 && out.len() as i64 == max {
                    out.push(rest.to_string());
                    break;
                }
                match rest.rfind(char::is_whitespace) {
                    Some(i) => {
                        let c = rest[i..].chars().next().unwrap();
                        out.push(rest[i + c.len_utf8()..].to_string());
                        rest = rest[..i].trim_end();
                    }
                    None => {
                        out.push(rest.to_string());
                        break;
                    }
                }
            }
            out
        }
        Some(sep) => {
            if sep.is_empty() {
                return Err(vm.value_error("empty separator"));
            }
            if max < 0 {
                s.rsplit(sep.as_str()).map(String::from).collect()
            } else {
                s.rsplitn(max as usize + 1, sep.as_str()).map(String::from).collect()
            }
        }
    };
    parts.reverse();
    Ok(Value::list(parts.into_iter().map(Value::string).collect()))
}

fn splitlines(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let s = self_str(vm, &args, "splitlines")?.as_str().to_string();
    let keep = match args.take(1, "keepends") {
        Some(v) => vm.truthy(&v)?,
        None => false,
    };
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if matches!(c, '\n' | '\r' | '\x0b' | '\x0c' | '\x1c' | '\x1d' | '\x1e' | '\u{85}' | '\u{2028}' | '\u{2029}') {
            let mut end = c.to_string();
            if c == '\r' && i + 1 < chars.len() && chars[i + 1] == '\n' {
                end.push('\n');
                i += 1;
            }
            if keep {
                cur.push_str(&end);
            }
            out.push(Value::string(std::mem::take(&mut cur)));
        } else {
            cur.push(c);
        }
        i += 1;
    }
    if !cur.is_empty() {
        out.push(Value::string(cur));
    }
    Ok(Value::list(out))
}

fn strip_with(vm: &mut Vm, args: &Args, left: bool, right: bool) -> PyResult<Value> {
    let s = self_str(vm, args, "strip")?.as_str().to_string();
    let chars = opt_s(vm, args, 1)?;
    let r: &str = match &chars {
        None => match (left, right) {
            (true, true) => s.trim(),
            (true, false) => s.trim_start(),
            _ => s.trim_end(),
        },
        Some(cs) => {
            let set: Vec<char> = cs.chars().collect();
            let f = |c: char| set.contains(&c);
            match (left, right) {
                (true, true) => s.trim_matches(f),
                (true, false) => s.trim_start_matches(f),
                _ => s.trim_end_matches(f),
            }
        }
    };
    Ok(Value::str(r))
}

fn strip(vm: &mut Vm, args: Args) -> PyResult<Value> {
    strip_with(vm, &args, true, true)
}

fn lstrip(vm: &mut Vm, args: Args) -> PyResult<Value> {
    strip_with(vm, &args, true, false)
}

fn rstrip(vm: &mut Vm, args: Args) -> PyResult<Value> {
    strip_with(vm, &args, false, true)
}

fn upper(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let s = self_str(vm, &args, "upper")?;
    Ok(Value::string(s.as_str().to_uppercase()))
}

fn lower(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let s = self_str(vm, &args, "lower")?;
    Ok(Value::string(s.as_str().to_lowercase()))
}

fn title(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let s = self_str(vm, &args, "title")?;
    let mut out = String::new();
    let mut prev_cased = false;
    for c in s.as_str().chars() {
        if c.is_alphabetic() {
            if prev_cased {
                out.extend(c.to_lowercase());
            } else {
                out.extend(c.to_uppercase());
            }
            prev_cased = true;
        } else {
            out.push(c);
            prev_cased = false;
        }
    }
    Ok(Value::string(out))
}

fn capitalize(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let s = self_str(vm, &args, "capitalize")?;
    let mut cs = s.as_str().chars();
    let out = match cs.next() {
        Some(f) => f.to_uppercase().chain(cs.flat_map(|c| c.to_lowercase())).collect(),
        None => String::new(),
    };
    Ok(Value::string(out))
}

fn swapcase(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let s = self_str(vm, &args, "swapcase")?;
    let out: String = s
        .as_str()
        .chars()
        .flat_map(|c| {
            if c.is_uppercase() {
                c.to_lowercase().collect::<Vec<_>>()
            } else {
                c.to_uppercase().collect::<Vec<_>>()
            }
        })
        .collect();
    Ok(Value::string(out))
}

fn replace(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let s = self_str(vm, &args, "replace")?.as_str().to_string();
    let old = s_arg(vm, &args, 1, "replace")?;
    let new = s_arg(vm, &args, 2, "replace")?;
    let count = match args.pos.get(3) {
        Some(c) => vm.index_value(c)?,
        None => -1,
    };
    if count < 0 {
        return Ok(Value::string(s.replace(&old, &new)));
    }
    Ok(Value::string(s.replacen(&old, &new, count as usize)))
}

/// Resolves optional start/end arguments to byte offsets of `s`.
fn range_of(vm: &mut Vm, args: &Args, s: &crate::value::str::StrObj, i: usize) -> PyResult<(usize, usize)> {
    let n = s.char_len() as i64;
    let norm = |v: i64| if v < 0 { (v + n).max(0) } else { v.min(n) };
    let start = match args.pos.get(i) {
        Some(v) if !v.is_none() => norm(vm.index_value(v)?),
        _ => 0,
    };
    let end = match args.pos.get(i + 1) {
        Some(v) if !v.is_none() => norm(vm.index_value(v)?),
        _ => n,
    };
    if start > end {
        return Ok((usize::MAX, usize::MAX));
    }
    Ok((s.byte_offset(start as usize), s.byte_offset(end as usize)))
}

fn prefix_check(vm: &mut Vm, args: Args, ends: bool) -> PyResult<Value> {
    let s = self_str(vm, &args, if ends { "endswith" } else { "startswith" })?;
    let (a, b) = range_of(vm, &args, s, 2)?;
    if a == usize::MAX {
        return Ok(Value::Bool(false));
    }
    let hay = &s.as_str()[a..b];
    let p = arg(vm, &args, 1, "startswith")?;
    let pats: Vec<String> = match p.unwrap_base().obj() {
        Some(Object::Str(x)) => vec![x.as_str().to_string()],
        Some(Object::Tuple(t)) => t.items().iter().filter_map(|v| v.as_str().map(|x| x.as_str().to_string())).collect(),
        _ => {
            let msg = format!(
                "{} first arg must be str or a tuple of str, not {}",
                if ends { "endswith" } else { "startswith" },
                vm.type_name(&p)
            );
            return Err(vm.type_error(&msg));
        }
    };
    Ok(Value::Bool(pats.iter().any(|p| if ends { hay.ends_with(p.as_str()) } else { hay.starts_with(p.as_str()) })))
}

fn startswith(vm: &mut Vm, args: Args) -> PyResult<Value> {
    prefix_check(vm, args, false)
}

fn endswith(vm: &mut Vm, args: Args) -> PyResult<Value> {
    prefix_check(vm, args, true)
}

/// Code-point index of the first (or last) occurrence, or -1.
fn find_impl(vm: &mut Vm, args: &Args, rev: bool) -> PyResult<i64> {
    let s = self_str(vm, args, "find")?;
    let sub = s_arg(vm, args, 1, "find")?;
    let (a, b) = range_of(vm, args, s, 2)?;
    if a == usize::MAX {
        return Ok(-1);
    }
    let hay = &s.as_str()[a..b];
    let found = if rev { hay.rfind(sub.as_str()) } else { hay.find(sub.as_str()) };
    Ok(match found {
        Some(off) => s.as_str()[..a + off].chars().count() as i64,
        None => -1,
    })
}

fn find(vm: &mut Vm, args: Args) -> PyResult<Value> {
    Ok(Value::Int(find_impl(vm, &args, false)?))
}

fn rfind(vm: &mut Vm, args: Args) -> PyResult<Value> {
    Ok(Value::Int(find_impl(vm, &args, true)?))
}

fn index(vm: &mut Vm, args: Args) -> PyResult<Value> {
    match find_impl(vm, &args, false)? {
        -1 => Err(vm.value_error("substring not found")),
        i => Ok(Value::Int(i)),
    }
}

fn rindex(vm: &mut Vm, args: Args) -> PyResult<Value> {
    match find_impl(vm, &args, true)? {
        -1 => Err(vm.value_error("substring not found")),
        i => Ok(Value::Int(i)),
    }
}

fn count(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let s = self_str(vm, &args, "count")?;
    let sub = s_arg(vm, &args, 1, "count")?;
    let (a, b) = range_of(vm, &args, s, 2)?;
    if a == usize::MAX {
        return Ok(Value::Int(0));
    }
    let hay = &s.as_str()[a..b];
    if sub.is_empty() {
        return Ok(Value::Int(hay.chars().count() as i64 + 1));
    }
    Ok(Value::Int(hay.matches(sub.as_str()).count() as i64))
}

fn pred(vm: &mut Vm, args: &Args, f: fn(char) -> bool) -> PyResult<Value> {
    let s = self_str(vm, args, "is")?;
    Ok(Value::Bool(!s.as_str().is_empty() && s.as_str().chars().all(f)))
}

/// Unicode category Nd (decimal digits), for the scripts that scripts meet in practice;
/// Rust's standard library has no direct test for it.
fn is_decimal_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_digit();
    }
    const ZEROS: &[u32] = &[
        0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66, 0x0DE6, 0x0E50,
        0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0xFF10, 0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6,
    ];
    let u = c as u32;
    ZEROS.iter().any(|&z| (z..z + 10).contains(&u))
}

/// Decimal digits plus the other characters with Numeric_Type=Digit (superscripts,
/// subscripts, circled digits), which `str.isdigit` accepts and `str.isdecimal` does not.
fn is_digit_char(c: char) -> bool {
    let u = c as u32;
    is_decimal_char(c)
        || matches!(u, 0xB2 | 0xB3 | 0xB9 | 0x2070 | 0x2074..=0x2079 | 0x2080..=0x2089)
        || (0x2460..=0x2468).contains(&u)
        || (0x2474..=0x247C).contains(&u)
        || (0x2488..=0x2490).contains(&u)
        || (0x24F5..=0x24FD).contains(&u)
        || (0x2776..=0x277E).contains(&u)
        || (0x2780..=0x2788).contains(&u)
        || (0x278A..=0x2792).contains(&u)
}

fn isdigit(vm: &mut Vm, args: Args) -> PyResult<Value> {
    pred(vm, &args, is_digit_char)
}

fn isdecimal(vm: &mut Vm, args: Args) -> PyResult<Value> {
    pred(vm, &args, is_decimal_char)
}

fn isnumeric(vm: &mut Vm, args: Args) -> PyResult<Value> {
    pred(vm, &args, |c| c.is_numeric())
}

fn isascii(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let s = self_str(vm, &args, "isascii")?;
    Ok(Value::Bool(s.as_str().is_ascii()))
}

fn isprintable(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let s = self_str(vm, &args, "isprintable")?;
    Ok(Value::Bool(
        s.as_str()
            .chars()
            .all(|c| c == ' ' || !(c.is_control() || c.is_whitespace() || ('\u{2028}'..='\u{2029}').contains(&c))),
    ))
}

/// True when every cased run starts with an upper-case (or title-case) character and
/// continues in lower case, and there is at least one cased character.
fn istitle(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let s = self_str(vm, &args, "istitle")?;
    let mut cased = false;
    let mut prev_cased = false;
    for c in s.as_str().chars() {
        let upper = c.is_uppercase() || is_titlecase(c);
        if upper {
            if prev_cased {
                return Ok(Value::Bool(false));
            }
            prev_cased = true;
            cased = true;
        } else if c.is_lowercase() {
            if !prev_cased {
                return Ok(Value::Bool(false));
            }
            prev_cased = true;
            cased = true;
        } else {
            prev_cased = false;
        }
    }
    Ok(Value::Bool(cased))
}

/// The few title-case letters (category Lt), such as 'ǅ'.
fn is_titlecase(c: char) -> bool {
    matches!(c as u32, 0x01C5 | 0x01C8 | 0x01CB | 0x01F2 | 0x1F88..=0x1F8F | 0x1F98..=0x1F9F | 0x1FA8..=0x1FAF | 0x1FBC | 0x1FCC | 0x1FFC)
}

fn casefold(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let s = self_str(vm, &args, "casefold")?;
    // Full case folding differs from lower() mainly for the German sharp s and the
    // final sigma; those two cover what scripts compare in practice.
    let mut out = String::with_capacity(s.as_str().len());
    for c in s.as_str().chars() {
        match c {
            'ß' | 'ẞ' => out.push_str("ss"),
            'ς' => out.push('σ'),
            _ => out.extend(c.to_lowercase()),
        }
    }
    Ok(Value::string(out))
}

/// `str.maketrans(x[, y[, z]])`: a dict from code points to str, int or None.
fn maketrans(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let d = Value::new(Object::Dict(crate::value::dict::DictObj::new(Default::default())));
    match args.pos.len() {
        1 => {
            let src = args.pos[0].clone();
            if !matches!(src.obj(), Some(Object::Dict(_))) {
                return Err(vm.type_error("if you give only one argument to maketrans it must be a dict"));
            }
            let keys = src.as_dict().unwrap().lock().keys();
            for k in keys {
                let v = vm.get_item(&src, &k)?;
                let key = match k.as_str() {
                    Some(ks) => {
                        let mut cs = ks.as_str().chars();
                        match (cs.next(), cs.next()) {
                            (Some(c), None) => Value::Int(c as i64),
                            _ => return Err(vm.value_error("string keys in translate table must be of length 1")),
                        }
                    }
                    None => k,
                };
                vm.dict_set(&d, key, v)?;
            }
        }
        2 | 3 => {
            let x = s_arg(vm, &args, 0, "maketrans")?;
            let y = s_arg(vm, &args, 1, "maketrans")?;
            if x.chars().count() != y.chars().count() {
                return Err(vm.value_error("the first two maketrans arguments must have equal length"));
            }
            for (a, b) in x.chars().zip(y.chars()) {
                vm.dict_set(&d, Value::Int(a as i64), Value::Int(b as i64))?;
            }
            if args.pos.len() == 3 {
                let z = s_arg(vm, &args, 2, "maketrans")?;
                for c in z.chars() {
                    vm.dict_set(&d, Value::Int(c as i64), Value::None)?;
                }
            }
        }
        n => {
            let msg = format!("maketrans expected at most 3 arguments, got {n}");
            return Err(vm.type_error(&msg));
        }
    }
    Ok(d)
}

/// `str.translate(table)`: each character is looked up by code point; a missing key
/// keeps it, None deletes it, an int or str replaces it.
fn translate(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let s = self_str(vm, &args, "translate")?.as_str().to_string();
    let table = arg(vm, &args, 1, "translate")?;
    let lookup_error = Exc::LookupError.class().clone();
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match vm.get_item(&table, &Value::Int(c as i64)) {
            Ok(Value::None) => {}
            Ok(Value::Int(i)) => match u32::try_from(i).ok().and_then(char::from_u32) {
                Some(r) => out.push(r),
                None => return Err(vm.value_error("character mapping must be in range(0x110000)")),
            },
            Ok(v) => match v.as_str() {
                Some(r) => out.push_str(r.as_str()),
                None => return Err(vm.type_error("character mapping must return integer, None or str")),
            },
            Err(e) => {
                if crate::value::class::is_subclass(&vm.class_of(&e.exc), &lookup_error) {
                    out.push(c);
                } else {
                    return Err(e);
                }
            }
        }
    }
    Ok(Value::string(out))
}

fn isalpha(vm: &mut Vm, args: Args) -> PyResult<Value> {
    pred(vm, &args, |c| c.is_alphabetic())
}

fn isalnum(vm: &mut Vm, args: Args) -> PyResult<Value> {
    pred(vm, &args, |c| c.is_alphanumeric())
}

fn isspace(vm: &mut Vm, args: Args) -> PyResult<Value> {
    pred(vm, &args, |c| c.is_whitespace())
}

fn isupper(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let s = self_str(vm, &args, "isupper")?;
    let t = s.as_str();
    Ok(Value::Bool(t.chars().any(|c| c.is_uppercase()) && !t.chars().any(|c| c.is_lowercase())))
}

fn islower(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let s = self_str(vm, &args, "islower")?;
    let t = s.as_str();
    Ok(Value::Bool(t.chars().any(|c| c.is_lowercase()) && !t.chars().any(|c| c.is_uppercase())))
}

fn isidentifier(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let s = self_str(vm, &args, "isidentifier")?;
    let mut cs = s.as_str().chars();
    let ok = match cs.next() {
        Some(c) => (c.is_alphabetic() || c == '_') && cs.all(|c| c.is_alphanumeric() || c == '_'),
        None => false,
    };
    Ok(Value::Bool(ok))
}

fn pad_impl(vm: &mut Vm, args: &Args, align: char) -> PyResult<Value> {
    let s = self_str(vm, args, "ljust")?.as_str().to_string();
    let w = arg(vm, args, 1, "ljust")?;
    let w = vm.index_value(&w)?.max(0) as usize;
    let fill = match args.pos.get(2) {
        Some(f) => match f.as_str() {
            Some(x) if x.char_len() == 1 => x.as_str().chars().next().unwrap(),
            _ => return Err(vm.type_error("The fill character must be exactly one character long")),
        },
        None => ' ',
    };
    let n = s.chars().count();
    if n >= w {
        return Ok(Value::string(s));
    }
    let total = w - n;
    let (l, r) = match align {
        '<' => (0, total),
        '>' => (total, 0),
        _ => {
            // CPython's center puts the extra space on the right unless the width is odd.
            let left = total / 2 + (total & w & 1);
            (left, total - left)
        }
    };
    let f = |k: usize| std::iter::repeat_n(fill, k).collect::<String>();
    Ok(Value::string(format!("{}{}{}", f(l), s, f(r))))
}

fn center(vm: &mut Vm, args: Args) -> PyResult<Value> {
    pad_impl(vm, &args, '^')
}

fn ljust(vm: &mut Vm, args: Args) -> PyResult<Value> {
    pad_impl(vm, &args, '<')
}

fn rjust(vm: &mut Vm, args: Args) -> PyResult<Value> {
    pad_impl(vm, &args, '>')
}

fn zfill(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let s = self_str(vm, &args, "zfill")?.as_str().to_string();
    let w = arg(vm, &args, 1, "zfill")?;
    let w = vm.index_value(&w)?.max(0) as usize;
    let n = s.chars().count();
    if n >= w {
        return Ok(Value::string(s));
    }
    let (sign, rest) = if s.starts_with(['+', '-']) { s.split_at(1) } else { ("", s.as_str()) };
    Ok(Value::string(format!("{}{}{}", sign, "0".repeat(w - n), rest)))
}

pub(crate) fn encode(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let s = self_str(vm, &args, "encode")?.as_str().to_string();
    let enc = args.take(1, "encoding").unwrap_or(Value::str("utf-8"));
    let enc = enc.as_str().map(|e| e.as_str().to_ascii_lowercase().replace('_', "-"));
    let (name, limit) = match enc.as_deref() {
        Some("utf-8" | "utf8") => return Ok(new_bytes(s.into_bytes())),
        Some("ascii") => ("ascii", 0x80),
        Some("latin-1" | "latin1" | "iso-8859-1") => ("latin-1", 0x100),
        _ => {
            let msg = format!("unknown encoding: {}", enc.unwrap_or_default());
            return Err(vm.error(Exc::LookupError, &msg));
        }
    };
    let mut out = Vec::with_capacity(s.len());
    for (pos, c) in s.chars().enumerate() {
        if (c as u32) < limit {
            out.push(c as u32 as u8);
        } else {
            let msg = format!(
                "'{name}' codec can't encode character {} in position {pos}: ordinal not in range({limit})",
                super::format::ascii_escape(&format!("'{c}'"))
            );
            return Err(vm.error(Exc::UnicodeEncodeError, &msg));
        }
    }
    Ok(new_bytes(out))
}

fn partition_impl(vm: &mut Vm, args: &Args, rev: bool) -> PyResult<Value> {
    let s = self_str(vm, args, "partition")?.as_str().to_string();
    let sep = s_arg(vm, args, 1, "partition")?;
    if sep.is_empty() {
        return Err(vm.value_error("empty separator"));
    }
    let found = if rev { s.rfind(&sep) } else { s.find(&sep) };
    Ok(match found {
        Some(i) => Value::tuple(vec![Value::str(&s[..i]), Value::string(sep.clone()), Value::str(&s[i + sep.len()..])]),
        None => {
            if rev {
                Value::tuple(vec![Value::str(""), Value::str(""), Value::string(s)])
            } else {
                Value::tuple(vec![Value::string(s), Value::str(""), Value::str("")])
            }
        }
    })
}

fn partition(vm: &mut Vm, args: Args) -> PyResult<Value> {
    partition_impl(vm, &args, false)
}

fn rpartition(vm: &mut Vm, args: Args) -> PyResult<Value> {
    partition_impl(vm, &args, true)
}

fn removeprefix(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let s = self_str(vm, &args, "removeprefix")?.as_str().to_string();
    let p = s_arg(vm, &args, 1, "removeprefix")?;
    Ok(Value::str(s.strip_prefix(p.as_str()).unwrap_or(&s)))
}

fn removesuffix(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let s = self_str(vm, &args, "removesuffix")?.as_str().to_string();
    let p = s_arg(vm, &args, 1, "removesuffix")?;
    Ok(Value::str(s.strip_suffix(p.as_str()).unwrap_or(&s)))
}

fn expandtabs(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let s = self_str(vm, &args, "expandtabs")?.as_str().to_string();
    let size = match args.pos.get(1) {
        Some(v) => vm.index_value(v)?.max(0) as usize,
        None => 8,
    };
    let mut out = String::new();
    let mut col = 0;
    for c in s.chars() {
        match c {
            '\t' => {
                if size > 0 {
                    let n = size - col % size;
                    out.push_str(&" ".repeat(n));
                    col += n;
                }
            }
            '\n' | '\r' => {
                out.push(c);
                col = 0;
            }
            _ => {
                out.push(c);
                col += 1;
            }
        }
    }
    Ok(Value::string(out))
}

fn contains(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let s = arg(vm, &args, 0, "__contains__")?;
    let x = arg(vm, &args, 1, "__contains__")?;
    Ok(Value::Bool(vm.contains(&s, &x)?))
}

fn getitem(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let s = arg(vm, &args, 0, "__getitem__")?;
    let k = arg(vm, &args, 1, "__getitem__")?;
    vm.get_item(&s, &k)
}

/// `str.format(*args, **kwargs)`.
fn format(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let fmt = self_str(vm, &args, "format")?.as_str().to_string();
    let pos: Vec<Value> = args.pos[1..].to_vec();
    let kw = args.kw.clone();
    Ok(Value::string(format_with(vm, &fmt, &pos, &kw, &mut 0)?))
}

/// The engine of `str.format`: `{}` `{0}` `{name}` `{0.attr}` `{0[key]}` `{!r}`
/// `{:spec}` with nested fields in the spec.
pub fn format_with(
    vm: &mut Vm,
    fmt: &str,
    pos: &[Value],
    kw: &[(crate::value::ObjRef, Value)],
    auto: &mut usize,
) -> PyResult<String> {
    let chars: Vec<char> = fmt.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '{' {
            if i + 1 < chars.len() && chars[i + 1] == '{' {
                out.push('{');
                i += 2;
                continue;
            }
            // Find the matching close brace, allowing nested fields in the spec.
            let mut depth = 1;
            let mut j = i + 1;
            while j < chars.len() && depth > 0 {
                if chars[j] == '{' {
                    depth += 1;
                } else if chars[j] == '}' {
                    depth -= 1;
                }
                if depth > 0 {
                    j += 1;
                }
            }
            if j >= chars.len() {
                let msg = if i + 1 == chars.len() {
                    "Single '{' encountered in format string"
                } else {
                    "expected '}' before end of string"
                };
                return Err(vm.value_error(msg));
            }
            let field: String = chars[i + 1..j].iter().collect();
            let (name_conv, spec) = match field.find(':') {
                Some(k) => (field[..k].to_string(), field[k + 1..].to_string()),
                None => (field.clone(), String::new()),
            };
            let (name, conv) = match name_conv.find('!') {
                Some(k) => (name_conv[..k].to_string(), name_conv[k + 1..].chars().next()),
                None => (name_conv.clone(), None),
            };
            let mut v = resolve_field(vm, &name, pos, kw, auto)?;
            v = match conv {
                Some('r') => Value::string(vm.repr_of(&v)?),
                Some('s') => Value::string(vm.str_of(&v)?),
                Some('a') => Value::string(super::format::ascii_escape(&vm.repr_of(&v)?)),
                Some(c) => {
                    let msg = format!("Unknown conversion specifier {c}");
                    return Err(vm.value_error(&msg));
                }
                None => v,
            };
            let spec = if spec.contains('{') { format_with(vm, &spec, pos, kw, auto)? } else { spec };
            out.push_str(&vm.format(&v, &spec)?);
            i = j + 1;
        } else if c == '}' {
            if i + 1 < chars.len() && chars[i + 1] == '}' {
                out.push('}');
                i += 2;
                continue;
            }
            return Err(vm.value_error("Single '}' encountered in format string"));
        } else {
            out.push(c);
            i += 1;
        }
    }
    Ok(out)
}

const MANUAL_NUMBERING: usize = usize::MAX;

fn resolve_field(
    vm: &mut Vm,
    name: &str,
    pos: &[Value],
    kw: &[(crate::value::ObjRef, Value)],
    auto: &mut usize,
) -> PyResult<Value> {
    let first_end = name.find(['.', '[']).unwrap_or(name.len());
    let head = &name[..first_end];
    // `auto` counts automatic fields; MANUAL_NUMBERING marks that an explicit index was
    // used. CPython refuses to mix the two styles in one format string.
    let mut v = if head.is_empty() {
        if *auto == MANUAL_NUMBERING {
            return Err(vm.value_error("cannot switch from manual field specification to automatic field numbering"));
        }
        let k = *auto;
        *auto += 1;
        match pos.get(k) {
            Some(v) => v.clone(),
            None => {
                let msg = format!("Replacement index {k} out of range for positional args tuple");
                return Err(vm.error(Exc::IndexError, &msg));
            }
        }
    } else if let Ok(k) = head.parse::<usize>() {
        if *auto != 0 && *auto != MANUAL_NUMBERING {
            return Err(vm.value_error("cannot switch from automatic field numbering to manual field specification"));
        }
        *auto = MANUAL_NUMBERING;
        match pos.get(k) {
            Some(v) => v.clone(),
            None => {
                let msg = format!("Replacement index {k} out of range for positional args tuple");
                return Err(vm.error(Exc::IndexError, &msg));
            }
        }
    } else {
        match kw.iter().find(|(k, _)| k.str_text() == head) {
            Some((_, v)) => v.clone(),
            None => return Err(vm.key_error(Value::str(head))),
        }
    };
    let mut rest = &name[first_end..];
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            let attr = crate::value::str::intern(&r[..end]);
            v = vm.get_attr(&v, &attr)?;
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']').unwrap_or(r.len());
            let key = &r[..end];
            let k = match key.parse::<i64>() {
                Ok(n) => Value::Int(n),
                Err(_) => Value::str(key),
            };
            v = vm.get_item(&v, &k)?;
            rest = r.get(end + 1..).unwrap_or("");
        } else {
            break;
        }
    }
    Ok(v)
}

fn new_bytes(b: Vec<u8>) -> Value {
    Value::new(Object::Bytes(b.into_boxed_slice()))
}
