//! Text formatting as CPython does it: float repr (shortest round-trip), the format
//! spec mini-language (`format()`, f-strings, `str.format`), and `%` formatting.

use crate::native::Exc;
use crate::value::{Object, Value};
use crate::vm::{Args, PyResult, Vm};
use num_bigint::BigInt;
use num_traits::{Signed, ToPrimitive, Zero};

/// `repr(float)`: the shortest string that round-trips, in CPython's layout
/// (`1e+16`, `0.0001`, `1e-05`, `inf`, `nan`, `-0.0`).
pub fn float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0".into() } else { "0.0".into() };
    }
    let s = format!("{:e}", x);
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let neg = mant.starts_with('-');
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let decpt = exp + 1;
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if decpt > -4 && decpt <= 16 {
        if decpt <= 0 {
            out.push_str("0.");
            for _ in 0..(-decpt) {
                out.push('0');
            }
            out.push_str(&digits);
        } else if decpt as usize >= digits.len() {
            out.push_str(&digits);
            for _ in 0..(decpt as usize - digits.len()) {
                out.push('0');
            }
            out.push_str(".0");
        } else {
            out.push_str(&digits[..decpt as usize]);
            out.push('.');
            out.push_str(&digits[decpt as usize..]);
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let e = decpt - 1;
        out.push_str(&format!("e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs()));
    }
    out
}

/// A parsed format spec: `[[fill]align][sign][z][#][0][width][grouping][.precision][type]`.
#[derive(Debug, Default, Clone)]
pub struct Spec {
    pub fill: Option<char>,
    pub align: Option<char>,
    pub sign: Option<char>,
    pub alt: bool,
    pub zero: bool,
    pub width: Option<usize>,
    pub grouping: Option<char>,
    pub precision: Option<usize>,
    pub ty: Option<char>,
    /// The `z` option (3.11): negative zero is shown as zero; only for floats.
    pub no_neg_zero: bool,
}

pub fn parse_spec(vm: &mut Vm, s: &str) -> PyResult<Spec> {
    let c: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut spec = Spec::default();
    let is_align = |ch: char| matches!(ch, '<' | '>' | '=' | '^');
    if c.len() >= 2 && is_align(c[1]) {
        spec.fill = Some(c[0]);
        spec.align = Some(c[1]);
        i = 2;
    } else if !c.is_empty() && is_align(c[0]) {
        spec.align = Some(c[0]);
        i = 1;
    }
    if i < c.len() && matches!(c[i], '+' | '-' | ' ') {
        spec.sign = Some(c[i]);
        i += 1;
    }
    if i < c.len() && c[i] == 'z' {
        spec.no_neg_zero = true;
        i += 1;
    }
    if i < c.len() && c[i] == '#' {
        spec.alt = true;
        i += 1;
    }
    if i < c.len() && c[i] == '0' {
        spec.zero = true;
        i += 1;
    }
    let start = i;
    while i < c.len() && c[i].is_ascii_digit() {
        i += 1;
    }
    if i > start {
        spec.width = Some(spec_number(vm, &c[start..i])?);
    }
    if i < c.len() && (c[i] == ',' || c[i] == '_') {
        spec.grouping = Some(c[i]);
        i += 1;
    }
    if i < c.len() && c[i] == '.' {
        i += 1;
        let start = i;
        while i < c.len() && c[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return Err(vm.value_error("Format specifier missing precision"));
        }
        let p = spec_number(vm, &c[start..i])?;
        if p > i32::MAX as usize {
            return Err(vm.value_error("precision too big"));
        }
        spec.precision = Some(p);
    }
    if i < c.len() {
        spec.ty = Some(c[i]);
        i += 1;
    }
    if i < c.len() {
        return Err(vm.value_error("Invalid format specifier"));
    }
    // A width the machine cannot pad to is refused before padding starts.
    if let Some(w) = spec.width {
        vm.check_alloc(w, spec.fill.map_or(1, char::len_utf8))?;
    }
    Ok(spec)
}

/// A width or precision of a format spec: CPython refuses more than `sys.maxsize`.
fn spec_number(vm: &mut Vm, digits: &[char]) -> PyResult<usize> {
    match digits.iter().collect::<String>().parse::<usize>() {
        Ok(n) if n <= isize::MAX as usize => Ok(n),
        _ => Err(vm.value_error("Too many decimal digits in format string")),
    }
}

/// Pads `body` (with its sign already split off as `sign`) to the spec's width.
fn pad(spec: &Spec, sign: &str, body: &str, default_align: char) -> String {
    let width = spec.width.unwrap_or(0);
    let len = sign.chars().count() + body.chars().count();
    if len >= width {
        return format!("{sign}{body}");
    }
    let fill_n = width - len;
    let (fill, align) = if spec.zero && spec.align.is_none() {
        ('0', '=')
    } else {
        (spec.fill.unwrap_or(' '), spec.align.unwrap_or(default_align))
    };
    let f = |n: usize| std::iter::repeat_n(fill, n).collect::<String>();
    match align {
        '<' => format!("{sign}{body}{}", f(fill_n)),
        '^' => format!("{}{sign}{body}{}", f(fill_n / 2), f(fill_n - fill_n / 2)),
        '=' => format!("{sign}{}{body}", f(fill_n)),
        _ => format!("{}{sign}{body}", f(fill_n)),
    }
}

fn group_digits(int_part: &str, sep: char, every: usize) -> String {
    let digits: Vec<char> = int_part.chars().collect();
    let mut out = String::new();
    for (i, d) in digits.iter().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(every) {
            out.push(sep);
        }
        out.push(*d);
    }
    out
}

fn sign_str(neg: bool, spec: &Spec) -> &'static str {
    if neg {
        "-"
    } else {
        match spec.sign {
            Some('+') => "+",
            Some(' ') => " ",
            _ => "",
        }
    }
}

/// Formats an integer value with a spec.
pub fn format_int(vm: &mut Vm, n: &BigInt, spec: &Spec) -> PyResult<String> {
    let ty = spec.ty.unwrap_or('d');
    if matches!(ty, 'e' | 'E' | 'f' | 'F' | 'g' | 'G' | '%') {
        let f = n.to_f64().unwrap_or(f64::INFINITY);
        return format_float(vm, f, spec);
    }
    if spec.precision.is_some() {
        return Err(vm.value_error("Precision not allowed in integer format specifier"));
    }
    if spec.no_neg_zero {
        return Err(vm.value_error("Negative zero coercion (z) not allowed in integer format specifier"));
    }
    let neg = n.is_negative();
    let a = n.abs();
    let (mut body, prefix) = match ty {
        'd' | 'n' => (a.to_string(), ""),
        'x' => (a.to_str_radix(16), "0x"),
        'X' => (a.to_str_radix(16).to_uppercase(), "0X"),
        'o' => (a.to_str_radix(8), "0o"),
        'b' => (a.to_str_radix(2), "0b"),
        'c' => {
            let cp = n
                .to_u32()
                .and_then(char::from_u32)
                .ok_or_else(|| vm.error(Exc::OverflowError, "%c arg not in range(0x110000)"))?;
            return Ok(pad(spec, "", &cp.to_string(), '<'));
        }
        _ => {
            let msg = format!("Unknown format code '{ty}' for object of type 'int'");
            return Err(vm.value_error(&msg));
        }
    };
    if let Some(g) = spec.grouping {
        let every = if matches!(ty, 'd' | 'n') { 3 } else { 4 };
        body = group_digits(&body, g, every);
    }
    let sign = format!("{}{}", sign_str(neg, spec), if spec.alt { prefix } else { "" });
    if spec.zero && spec.align.is_none() && spec.grouping.is_some() {
        // Zero padding also gets separators in CPython; approximate by plain padding.
    }
    Ok(pad(spec, &sign, &body, '>'))
}

/// Formats a float with a spec.
pub fn format_float(vm: &mut Vm, x: f64, spec: &Spec) -> PyResult<String> {
    let mut neg = x.is_sign_negative() && !x.is_nan();
    let a = x.abs();
    let ty = spec.ty;
    let upper = matches!(ty, Some('E') | Some('F') | Some('G'));
    let mut body = if a.is_infinite() || a.is_nan() {
        let s = if a.is_nan() { "nan" } else { "inf" };
        if upper {
            s.to_uppercase()
        } else {
            s.to_string()
        }
    } else {
        match ty {
            Some('f') | Some('F') => format!("{:.*}", spec.precision.unwrap_or(6), a),
            Some('e') | Some('E') => exp_format(a, spec.precision.unwrap_or(6), upper),
            Some('%') => format!("{:.*}%", spec.precision.unwrap_or(6), a * 100.0),
            Some('g') | Some('G') | Some('n') => general_format(a, spec.precision.unwrap_or(6), spec.alt, upper, false),
            None => match spec.precision {
                Some(p) => general_format(a, p, spec.alt, false, true),
                None => float_repr(a),
            },
            Some(t) => {
                let msg = format!("Unknown format code '{t}' for object of type 'float'");
                return Err(vm.value_error(&msg));
            }
        }
    };
    if spec.alt && !body.contains('.') && a.is_finite() {
        // The alternate form always keeps the decimal point, before any exponent.
        match body.find(['e', 'E', '%']) {
            Some(k) if matches!(ty, Some('e') | Some('E') | Some('%')) => body.insert(k, '.'),
            None if matches!(ty, Some('f') | Some('F')) => body.push('.'),
            _ => {}
        }
    }
    if spec.no_neg_zero && neg && body.chars().all(|c| !c.is_ascii_digit() || c == '0') {
        neg = false;
    }
    if let Some(g) = spec.grouping {
        let (int_part, rest) = match body.find(|c: char| !c.is_ascii_digit()) {
            Some(i) => (body[..i].to_string(), body[i..].to_string()),
            None => (body.clone(), String::new()),
        };
        body = format!("{}{}", group_digits(&int_part, g, 3), rest);
    }
    Ok(pad(spec, sign_str(neg, spec), &body, '>'))
}

/// `%e`-style: one digit, `prec` decimals, exponent with at least two digits.
pub fn exp_format(a: f64, prec: usize, upper: bool) -> String {
    let s = format!("{:.*e}", prec, a);
    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
    let e: i32 = e.parse().unwrap_or(0);
    let r = format!("{}e{}{:02}", m, if e < 0 { '-' } else { '+' }, e.abs());
    if upper {
        r.to_uppercase()
    } else {
        r
    }
}

/// `%g`-style; `repr_like` is the no-type form with a precision (keeps one decimal).
fn general_format(a: f64, prec: usize, alt: bool, upper: bool, repr_like: bool) -> String {
    let p = if prec == 0 { 1 } else { prec };
    if a == 0.0 {
        let mut s = if alt { format!("{:.*}", p - 1, 0.0) } else { "0".to_string() };
        if repr_like && !s.contains('.') {
            s.push_str(".0");
        }
        return s;
    }
    // The exponent after rounding to p significant digits.
    let e_str = format!("{:.*e}", p - 1, a);
    let exp: i32 = e_str.split_once('e').map(|(_, e)| e.parse().unwrap_or(0)).unwrap_or(0);
    let mut s = if exp >= -4 && exp < p as i32 {
        let decimals = (p as i32 - 1 - exp).max(0) as usize;
        let mut s = format!("{:.*}", decimals, a);
        if !alt && s.contains('.') {
            s = s.trim_end_matches('0').trim_end_matches('.').to_string();
        }
        if repr_like && !s.contains('.') {
            s.push_str(".0");
        }
        s
    } else {
        let mut m = exp_format(a, p - 1, false);
        if !alt {
            if let Some((mant, e)) = m.split_once('e') {
                let mant = if mant.contains('.') { mant.trim_end_matches('0').trim_end_matches('.') } else { mant };
                m = format!("{mant}e{e}");
            }
        }
        m
    };
    if upper {
        s = s.to_uppercase();
    }
    s
}

/// Formats a str with a spec.
pub fn format_str(vm: &mut Vm, s: &str, spec: &Spec) -> PyResult<String> {
    if let Some(t) = spec.ty {
        if t != 's' {
            let msg = format!("Unknown format code '{t}' for object of type 'str'");
            return Err(vm.value_error(&msg));
        }
    }
    if spec.sign.is_some() {
        return Err(vm.value_error("Sign not allowed in string format specifier"));
    }
    if spec.alt {
        return Err(vm.value_error("Alternate form (#) not allowed in string format specifier"));
    }
    if spec.align == Some('=') {
        return Err(vm.value_error("'=' alignment not allowed in string format specifier"));
    }
    if let Some(g) = spec.grouping {
        let msg = format!("Cannot specify '{g}' with 's'.");
        return Err(vm.value_error(&msg));
    }
    let body: String = match spec.precision {
        Some(p) => s.chars().take(p).collect(),
        None => s.to_string(),
    };
    Ok(pad(spec, "", &body, '<'))
}

impl Vm {
    /// `format(v, spec)`.
    pub fn format(&mut self, v: &Value, spec: &str) -> PyResult<String> {
        match v {
            Value::Int(i) => {
                if spec.is_empty() {
                    return Ok(i.to_string());
                }
                let sp = parse_spec(self, spec)?;
                format_int(self, &BigInt::from(*i), &sp)
            }
            Value::Bool(b) => {
                if spec.is_empty() {
                    return Ok(if *b { "True".into() } else { "False".into() });
                }
                let sp = parse_spec(self, spec)?;
                format_int(self, &BigInt::from(*b as i64), &sp)
            }
            Value::Float(f) => {
                if spec.is_empty() {
                    return Ok(float_repr(*f));
                }
                let sp = parse_spec(self, spec)?;
                format_float(self, *f, &sp)
            }
            Value::Obj(o) => match &**o {
                Object::Str(s) => {
                    if spec.is_empty() {
                        return Ok(s.as_str().to_string());
                    }
                    let sp = parse_spec(self, spec)?;
                    format_str(self, s.as_str(), &sp)
                }
                Object::BigInt(b) => {
                    let sp = parse_spec(self, spec)?;
                    if spec.is_empty() {
                        return self.str_of(v);
                    }
                    format_int(self, b, &sp)
                }
                Object::Instance(inst) => {
                    let cls = self.class_of(v);
                    let f = self.lookup_type_attr(&cls, &crate::interp::names().__format__);
                    // The base value's format, except that an empty spec is str(self)
                    // (which a class may override), as int.__format__ does.
                    if let (false, Some(base)) = (crate::vm::ops::overrides(&f), inst.base_value()) {
                        if spec.is_empty() {
                            return self.str_of(v);
                        }
                        let base = base.clone();
                        return self.format(&base, spec);
                    }
                    if let Some(f) = f {
                        if !matches!(f.obj(), Some(Object::Builtin(_))) {
                            let r = self.call(&f, Args::new([v.clone(), Value::str(spec)]))?;
                            return match r.as_str() {
                                Some(s) => Ok(s.as_str().to_string()),
                                None => Err(self.type_error("__format__ must return a str")),
                            };
                        }
                    }
                    self.format_default(v, spec)
                }
                _ => self.format_default(v, spec),
            },
            _ => self.format_default(v, spec),
        }
    }

    fn format_default(&mut self, v: &Value, spec: &str) -> PyResult<String> {
        if !spec.is_empty() {
            let msg = format!("unsupported format string passed to {}.__format__", self.type_name(v));
            return Err(self.type_error(&msg));
        }
        self.str_of(v)
    }

    /// `FormatValue`: conversion (1 str, 2 repr, 3 ascii) then format with the spec.
    pub(crate) fn format_value(&mut self, v: Value, conv: u32, spec: Option<Value>) -> PyResult<Value> {
        let v = match conv {
            1 => Value::string(self.str_of(&v)?),
            2 => Value::string(self.repr_of(&v)?),
            3 => Value::string(ascii_escape(&self.repr_of(&v)?)),
            _ => v,
        };
        let spec_s = spec.as_ref().and_then(|s| s.as_str()).map(|s| s.as_str().to_string()).unwrap_or_default();
        if spec_s.is_empty() {
            if let Some(Object::Str(_)) = v.obj() {
                return Ok(v);
            }
        }
        Ok(Value::string(self.format(&v, &spec_s)?))
    }
}

/// `ascii()`: non-ASCII characters of a repr escaped.
pub fn ascii_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        let n = c as u32;
        if n < 0x80 {
            out.push(c);
        } else if n < 0x100 {
            out.push_str(&format!("\\x{n:02x}"));
        } else if n < 0x10000 {
            out.push_str(&format!("\\u{n:04x}"));
        } else {
            out.push_str(&format!("\\U{n:08x}"));
        }
    }
    out
}

/// `fmt % args`.
pub fn percent_format(vm: &mut Vm, fmt: &Value, args: &Value) -> PyResult<Value> {
    let f = fmt.as_str().map(|s| s.as_str().to_string()).unwrap_or_default();
    Ok(Value::string(percent_core(vm, &f, args, false)?))
}

/// `bytes % args`. The format is read as Latin-1 text so that the str formatter does
/// the work; every character it produces is below 256 and maps back to one byte.
pub fn percent_format_bytes(vm: &mut Vm, fmt: &[u8], args: &Value) -> PyResult<Value> {
    let f: String = fmt.iter().map(|&b| b as char).collect();
    let out = percent_core(vm, &f, args, true)?;
    Ok(Value::new(Object::Bytes(out.chars().map(|c| c as u32 as u8).collect())))
}

/// The bytes behind a `%s`/`%b` argument of a bytes format, as Latin-1 text.
fn percent_bytes_arg(vm: &mut Vm, arg: &Value) -> PyResult<String> {
    if let Some(b) = crate::builtins::bytes_like(arg) {
        return Ok(b.iter().map(|&b| b as char).collect());
    }
    if let Some(r) = crate::builtins::dunder_bytes(vm, arg)? {
        let b = crate::builtins::bytes_like(&r).unwrap_or_default();
        return Ok(b.iter().map(|&b| b as char).collect());
    }
    let msg =
        format!("%b requires a bytes-like object, or an object that implements __bytes__, not '{}'", vm.type_name(arg));
    Err(vm.type_error(&msg))
}

/// The `%` formatter shared by str and bytes; `bytes` switches the conversions whose
/// meaning differs (`%s`/`%b` take bytes, `%r`/`%a` give ASCII, `%c` a byte).
fn percent_core(vm: &mut Vm, f: &str, args: &Value, bytes: bool) -> PyResult<String> {
    // Instances of classes derived from tuple and dict count as tuples and mappings.
    let is_mapping = matches!(args.unwrap_base().obj(), Some(Object::Dict(_)));
    let items: Vec<Value> = match args.unwrap_base().obj() {
        Some(Object::Tuple(t)) => t.items().to_vec(),
        _ => vec![args.clone()],
    };
    let mut idx = 0;
    let mut out = String::new();
    let chars: Vec<char> = f.chars().collect();
    let mut i = 0;
    let next_arg = |vm: &mut Vm, idx: &mut usize| -> PyResult<Value> {
        if *idx >= items.len() {
            return Err(vm.type_error("not enough arguments for format string"));
        }
        *idx += 1;
        Ok(items[*idx - 1].clone())
    };
    while i < chars.len() {
        let c = chars[i];
        if c != '%' {
            out.push(c);
            i += 1;
            continue;
        }
        i += 1;
        if i >= chars.len() {
            return Err(vm.value_error("incomplete format"));
        }
        let mut key_val: Option<Value> = None;
        if chars[i] == '(' {
            let start = i + 1;
            let mut depth = 1;
            i += 1;
            while i < chars.len() && depth > 0 {
                if chars[i] == '(' {
                    depth += 1;
                } else if chars[i] == ')' {
                    depth -= 1;
                }
                i += 1;
            }
            let key: String = chars[start..i - 1].iter().collect();
            let key = if bytes {
                Value::new(Object::Bytes(key.chars().map(|c| c as u32 as u8).collect()))
            } else {
                Value::string(key)
            };
            key_val = Some(vm.get_item(args, &key)?);
        }
        let mut spec = Spec::default();
        let mut left = false;
        while i < chars.len() && matches!(chars[i], '-' | '+' | ' ' | '#' | '0') {
            match chars[i] {
                '-' => left = true,
                '+' => spec.sign = Some('+'),
                ' ' if spec.sign.is_none() => spec.sign = Some(' '),
                '#' => spec.alt = true,
                '0' => spec.zero = true,
                _ => {}
            }
            i += 1;
        }
        if i < chars.len() && chars[i] == '*' {
            let w = next_arg(vm, &mut idx)?;
            let w = vm.index_value(&w)?;
            if w < 0 {
                left = true;
            }
            spec.width = Some(w.unsigned_abs() as usize);
            i += 1;
        } else {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            if i > start {
                match chars[start..i].iter().collect::<String>().parse::<i64>() {
                    Ok(w) => spec.width = Some(w as usize),
                    Err(_) => return Err(vm.value_error("width too big")),
                }
            }
        }
        if let Some(w) = spec.width {
            vm.check_alloc(w, 1)?;
        }
        if i < chars.len() && chars[i] == '.' {
            i += 1;
            if i < chars.len() && chars[i] == '*' {
                let p = next_arg(vm, &mut idx)?;
                let p = vm.index_value(&p)?;
                if p > i32::MAX as i64 {
                    return Err(vm.error(Exc::OverflowError, "Python int too large to convert to C int"));
                }
                spec.precision = Some(p.max(0) as usize);
                i += 1;
            } else {
                let start = i;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
                let digits = chars[start..i].iter().collect::<String>();
                match digits.parse::<i32>() {
                    Ok(p) => spec.precision = Some(p as usize),
                    Err(_) if digits.is_empty() => spec.precision = Some(0),
                    Err(_) => return Err(vm.value_error("precision too big")),
                }
            }
        }
        while i < chars.len() && matches!(chars[i], 'h' | 'l' | 'L') {
            i += 1;
        }
        if i >= chars.len() {
            return Err(vm.value_error("incomplete format"));
        }
        let conv = chars[i];
        i += 1;
        if conv == '%' {
            out.push('%');
            continue;
        }
        if left {
            spec.align = Some('<');
            spec.zero = false;
        }
        let arg = match key_val.take() {
            Some(v) => v,
            None => next_arg(vm, &mut idx)?,
        };
        // Numeric conversions read an int or float subclass instance's base value.
        let num_arg = match conv {
            's' | 'r' | 'a' | 'b' => arg.clone(),
            _ => arg.unwrap_base().clone(),
        };
        let piece = match conv {
            's' | 'r' | 'a' | 'b' if bytes || conv != 'b' => {
                let s = match conv {
                    's' | 'b' if bytes => percent_bytes_arg(vm, &arg)?,
                    's' => vm.str_of(&arg)?,
                    'r' if !bytes => vm.repr_of(&arg)?,
                    // %r of a bytes format is %a, as in CPython.
                    _ => ascii_escape(&vm.repr_of(&arg)?),
                };
                let s: String = match spec.precision {
                    Some(p) => s.chars().take(p).collect(),
                    None => s,
                };
                let sp = Spec { align: Some(if left { '<' } else { '>' }), width: spec.width, ..Default::default() };
                pad(&sp, "", &s, '>')
            }
            'd' | 'i' | 'u' | 'x' | 'X' | 'o' => {
                let n = match &num_arg {
                    Value::Float(f) => crate::value::int::f64_to_bigint(*f).unwrap_or_default(),
                    _ => match crate::value::int::to_bigint(&num_arg) {
                        Some(b) => b,
                        None => {
                            let msg =
                                format!("%{} format: a real number is required, not {}", conv, vm.type_name(&arg));
                            let msg = if matches!(conv, 'x' | 'X' | 'o') {
                                format!("%{} format: an integer is required, not {}", conv, vm.type_name(&arg))
                            } else {
                                msg
                            };
                            return Err(vm.type_error(&msg));
                        }
                    },
                };
                let precision = spec.precision.take();
                spec.ty = Some(match conv {
                    'x' => 'x',
                    'X' => 'X',
                    'o' => 'o',
                    _ => 'd',
                });
                let mut s = format_int(vm, &n, &Spec { width: None, ..spec.clone() })?;
                if let Some(p) = precision {
                    let neg = s.starts_with('-');
                    let digits = s.trim_start_matches(['-', '+', ' ']).to_string();
                    if digits.len() < p {
                        let sign: String = s.chars().take_while(|c| matches!(c, '-' | '+' | ' ')).collect();
                        s = format!("{}{}{}", sign, "0".repeat(p - digits.len()), digits);
                    }
                    let _ = neg;
                }
                let (sign, body) = split_sign(&s);
                pad(&spec, &sign, &body, '>')
            }
            'e' | 'E' | 'f' | 'F' | 'g' | 'G' => {
                let x = match &num_arg {
                    Value::Float(f) => *f,
                    Value::Int(i) => *i as f64,
                    Value::Bool(b) => *b as i64 as f64,
                    _ => match crate::value::int::to_bigint(&num_arg) {
                        Some(b) => b.to_f64().unwrap_or(f64::INFINITY),
                        None => {
                            let msg = format!("must be real number, not {}", vm.type_name(&arg));
                            return Err(vm.type_error(&msg));
                        }
                    },
                };
                spec.ty = Some(conv);
                let s = format_float(vm, x, &Spec { width: None, ..spec.clone() })?;
                let (sign, body) = split_sign(&s);
                pad(&spec, &sign, &body, '>')
            }
            'c' if bytes => match &num_arg {
                Value::Int(n) => match u8::try_from(*n) {
                    Ok(b) => (b as char).to_string(),
                    Err(_) => return Err(vm.error(Exc::OverflowError, "%c arg not in range(256)")),
                },
                _ => match crate::builtins::bytes_like(&num_arg) {
                    Some(b) if b.len() == 1 => (b[0] as char).to_string(),
                    _ => return Err(vm.type_error("%c requires an integer in range(256) or a single byte")),
                },
            },
            'c' => match &num_arg {
                Value::Int(n) => match u32::try_from(*n).ok().and_then(char::from_u32) {
                    Some(c) => c.to_string(),
                    None => return Err(vm.error(Exc::OverflowError, "%c arg not in range(0x110000)")),
                },
                _ => match num_arg.as_str().map(|s| s.as_str().to_string()) {
                    Some(t) if t.chars().count() == 1 => t,
                    _ => return Err(vm.type_error("%c requires int or char")),
                },
            },
            _ => {
                let msg = format!("unsupported format character '{}' (0x{:x}) at index {}", conv, conv as u32, i - 1);
                return Err(vm.value_error(&msg));
            }
        };
        out.push_str(&piece);
    }
    if idx < items.len() && !is_mapping {
        let msg = if bytes {
            "not all arguments converted during bytes formatting"
        } else {
            "not all arguments converted during string formatting"
        };
        return Err(vm.type_error(msg));
    }
    Ok(out)
}

fn split_sign(s: &str) -> (String, String) {
    let sign: String = s.chars().take_while(|c| matches!(c, '-' | '+' | ' ')).collect();
    (sign.clone(), s[sign.len()..].to_string())
}

/// Is this int zero (for callers that format).
pub fn is_zero(b: &BigInt) -> bool {
    b.is_zero()
}
