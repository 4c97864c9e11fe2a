//! Methods of `int`, `float` and `bool`.

use super::arg;
use crate::interp::{add_methods, types};
use crate::native::Exc;
use crate::value::{Object, Value};
use crate::vm::{Args, PyResult, Vm};

pub fn register(_vm: &mut Vm) {
    let t = types();
    add_methods(
        &t.int,
        &[
            ("bit_length", bit_length),
            ("conjugate", conjugate),
            ("__index__", conjugate),
            ("__int__", conjugate),
            ("__float__", int_float),
            ("to_bytes", to_bytes),
            ("bit_count", bit_count),
        ],
    );
    add_methods(
        &t.float,
        &[
            ("is_integer", is_integer),
            ("__int__", float_int),
            ("__float__", conjugate),
            ("hex", float_hex),
            ("as_integer_ratio", as_integer_ratio),
            ("conjugate", conjugate),
        ],
    );
    // Alternative constructors are class methods, as in CPython.
    let classmethod = |name: &'static str, qual: &str, f: crate::value::function::NativeFn| {
        Value::new(Object::ClassMethod(crate::interp::native(name, qual, f)))
    };
    crate::interp::set_class_attr(&t.int, "from_bytes", classmethod("from_bytes", "int.from_bytes", from_bytes));
    crate::interp::set_class_attr(&t.float, "fromhex", classmethod("fromhex", "float.fromhex", fromhex));
}

/// `int.from_bytes(bytes, byteorder="big", *, signed=False)`.
fn from_bytes(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let data = args.take(1, "bytes").unwrap_or(Value::None);
    let order = args.take(2, "byteorder").unwrap_or(Value::str("big"));
    let signed = match args.take_kw("signed") {
        Some(v) => vm.truthy(&v)?,
        None => false,
    };
    let mut bytes: Vec<u8> = match data.obj() {
        Some(Object::Bytes(b)) => b.to_vec(),
        _ => {
            let mut out = Vec::new();
            for v in vm.collect(&data)? {
                let i = vm.index_value(&v)?;
                if !(0..256).contains(&i) {
                    return Err(vm.value_error("bytes must be in range(0, 256)"));
                }
                out.push(i as u8);
            }
            out
        }
    };
    match order.as_str().map(|s| s.as_str().to_string()).as_deref() {
        Some("big") => {}
        Some("little") => bytes.reverse(),
        _ => return Err(vm.value_error("byteorder must be either 'little' or 'big'")),
    }
    let n = if signed {
        num_bigint::BigInt::from_signed_bytes_be(&bytes)
    } else {
        num_bigint::BigInt::from_bytes_be(num_bigint::Sign::Plus, &bytes)
    };
    Ok(crate::value::int::normalize(n))
}

/// `float.fromhex(s)`: `[sign] [0x] hex-digits [. hex-digits] [p exponent]`, or inf/nan.
fn fromhex(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let s = arg(vm, &args, 1, "fromhex")?;
    let Some(text) = s.as_str().map(|t| t.as_str().trim().to_ascii_lowercase()) else {
        return Err(vm.type_error("fromhex() argument must be str"));
    };
    let bad = |vm: &mut Vm| vm.value_error("invalid hexadecimal floating-point string");
    let (neg, body) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text.strip_prefix('+').unwrap_or(&text)),
    };
    let sign = if neg { -1.0 } else { 1.0 };
    match body {
        "inf" | "infinity" => return Ok(Value::Float(sign * f64::INFINITY)),
        "nan" => return Ok(Value::Float(f64::NAN)),
        _ => {}
    }
    let body = body.strip_prefix("0x").unwrap_or(body);
    let (mant, exp) = match body.split_once('p') {
        Some((m, e)) => match e.parse::<i64>() {
            Ok(e) => (m, e),
            Err(_) => return Err(bad(vm)),
        },
        None => (body, 0),
    };
    let (int_part, frac_part) = mant.split_once('.').unwrap_or((mant, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(bad(vm));
    }
    let mut value = 0.0f64;
    for c in int_part.chars() {
        match c.to_digit(16) {
            Some(d) => value = value * 16.0 + d as f64,
            None => return Err(bad(vm)),
        }
    }
    let mut scale = 1.0 / 16.0;
    for c in frac_part.chars() {
        match c.to_digit(16) {
            Some(d) => value += d as f64 * scale,
            None => return Err(bad(vm)),
        }
        scale /= 16.0;
    }
    let r = sign * value * 2f64.powi(exp.clamp(-2000, 2000) as i32);
    if r.is_infinite() {
        return Err(vm.error(Exc::OverflowError, "hexadecimal value too large to represent as a float"));
    }
    Ok(Value::Float(r))
}

fn conjugate(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let v = arg(vm, &args, 0, "conjugate")?;
    vm.unary_pos(v)
}

fn int_float(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let v = arg(vm, &args, 0, "__float__")?;
    Ok(Value::Float(super::constructors::to_float(vm, &v)?))
}

fn float_int(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let v = arg(vm, &args, 0, "__int__")?;
    super::constructors::to_int(vm, &v)
}

fn bit_length(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let v = arg(vm, &args, 0, "bit_length")?;
    Ok(Value::Int(match &v {
        Value::Int(i) => 64 - i.unsigned_abs().leading_zeros() as i64,
        Value::Bool(b) => *b as i64,
        _ => match v.obj() {
            Some(Object::BigInt(b)) => b.bits() as i64,
            _ => 0,
        },
    }))
}

fn bit_count(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let v = arg(vm, &args, 0, "bit_count")?;
    Ok(Value::Int(match crate::value::int::to_bigint(&v) {
        Some(b) => b.magnitude().iter_u64_digits().map(|d| d.count_ones() as i64).sum(),
        None => 0,
    }))
}

fn to_bytes(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let v = arg(vm, &args, 0, "to_bytes")?;
    let length = args.take(1, "length").unwrap_or(Value::Int(1));
    let order = args.take(2, "byteorder").unwrap_or(Value::str("big"));
    let n = vm.index_value(&length)? as usize;
    let b = crate::value::int::to_bigint(&v).unwrap_or_default();
    let mut bytes = b.to_signed_bytes_le();
    if b.sign() != num_bigint::Sign::Minus && bytes.last() == Some(&0) && bytes.len() > 1 {
        bytes.pop();
    }
    if bytes.len() > n {
        return Err(vm.error(Exc::OverflowError, "int too big to convert"));
    }
    bytes.resize(n, if b.sign() == num_bigint::Sign::Minus { 0xff } else { 0 });
    if order.as_str().map(|s| s.as_str() == "big").unwrap_or(true) {
        bytes.reverse();
    }
    Ok(Value::new(Object::Bytes(bytes.into_boxed_slice())))
}

fn is_integer(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let v = arg(vm, &args, 0, "is_integer")?;
    Ok(Value::Bool(matches!(v, Value::Float(f) if f.is_finite() && f.fract() == 0.0)))
}

fn float_hex(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let v = arg(vm, &args, 0, "hex")?;
    let Value::Float(f) = v else {
        return Err(vm.type_error("hex() needs a float"));
    };
    if f == 0.0 {
        return Ok(Value::str(if f.is_sign_negative() { "-0x0.0p+0" } else { "0x0.0p+0" }));
    }
    let bits = f.to_bits();
    let sign = if f < 0.0 { "-" } else { "" };
    let exp = ((bits >> 52) & 0x7ff) as i64;
    let mant = bits & ((1 << 52) - 1);
    let (lead, e) = if exp == 0 { (0, -1022) } else { (1, exp - 1023) };
    // CPython always writes all 13 hex digits of the mantissa.
    let m = format!("{:013x}", mant);
    Ok(Value::string(format!("{sign}0x{lead}.{m}p{}{}", if e < 0 { "-" } else { "+" }, e.abs())))
}

fn as_integer_ratio(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let v = arg(vm, &args, 0, "as_integer_ratio")?;
    let Value::Float(f) = v else {
        return Err(vm.type_error("as_integer_ratio() needs a float"));
    };
    if !f.is_finite() {
        return Err(vm.error(Exc::OverflowError, "cannot convert Infinity to integer ratio"));
    }
    let (m, e) = crate::value::int::frexp(f);
    let mut num = m;
    let mut exp = e;
    for _ in 0..300 {
        if num.fract() == 0.0 {
            break;
        }
        num *= 2.0;
        exp -= 1;
    }
    let n = crate::value::int::f64_to_bigint(num).unwrap_or_default();
    let (n, d) = if exp > 0 {
        (n << exp as usize, num_bigint::BigInt::from(1))
    } else {
        (n, num_bigint::BigInt::from(1) << (-exp) as usize)
    };
    let g = num_integer::Integer::gcd(&n, &d);
    Ok(Value::tuple(vec![crate::value::int::normalize(&n / &g), crate::value::int::normalize(&d / &g)]))
}
