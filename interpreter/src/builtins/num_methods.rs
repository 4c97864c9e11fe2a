//! Methods of `int`, `float` and `bool`.

use crate::interp::{add_natives, types};
use crate::native::{native, wrong_self, Exc, FromSelf, Signature};
use crate::value::function::BuiltinObj;
use crate::value::{ObjRef, Object, Value};
use crate::vm::{Args, PyResult, Vm};
use num_bigint::{BigInt, Sign};

pub fn register(_vm: &mut Vm) {
    let t = types();
    add_natives(
        &t.int,
        &[
            &bit_length::DEF,
            &int_conjugate::DEF,
            &int_index::DEF,
            &int_int::DEF,
            &int_float::DEF,
            &to_bytes::DEF,
            &bit_count::DEF,
            &int_as_integer_ratio::DEF,
        ],
    );
    add_natives(
        &t.float,
        &[
            &is_integer::DEF,
            &float_int::DEF,
            &float_float::DEF,
            &float_hex::DEF,
            &as_integer_ratio::DEF,
            &float_conjugate::DEF,
        ],
    );
    // Alternative constructors are class methods, as in CPython.
    let classmethod = |def: &'static crate::native::NativeDef, qualname: &str| {
        let f = BuiltinObj::declared(def, qualname.to_string());
        Value::new(Object::ClassMethod(Value::Obj(ObjRef::new_immortal(Object::Builtin(f)))))
    };
    crate::interp::set_class_attr(&t.int, "from_bytes", classmethod(&from_bytes::DEF, "int.from_bytes"));
    crate::interp::set_class_attr(&t.float, "fromhex", classmethod(&fromhex::DEF, "float.fromhex"));
}

/// `self` of an int method: an int or a bool (the base value of an instance of a
/// class derived from int arrives unwrapped).
struct IntSelf<'a>(&'a Value);

impl<'a> FromSelf<'a> for IntSelf<'a> {
    #[inline(always)]
    fn from_self(vm: &mut Vm, v: &'a Value, sig: &'static Signature, _b: &BuiltinObj) -> PyResult<Self> {
        match v {
            Value::Int(_) | Value::Bool(_) => Ok(IntSelf(v)),
            _ if matches!(v.obj(), Some(Object::BigInt(_))) => Ok(IntSelf(v)),
            _ => Err(wrong_self(vm, v, sig, "int")),
        }
    }
}

impl IntSelf<'_> {
    fn big(&self) -> BigInt {
        crate::value::int::to_bigint(self.0).unwrap_or_default()
    }

    /// The value as a plain int (`True` is 1).
    fn plain(&self) -> Value {
        match self.0 {
            Value::Bool(b) => Value::Int(*b as i64),
            v => v.clone(),
        }
    }
}

/// `self` of a float method.
struct FloatSelf(f64);

impl<'a> FromSelf<'a> for FloatSelf {
    #[inline(always)]
    fn from_self(vm: &mut Vm, v: &'a Value, sig: &'static Signature, _b: &BuiltinObj) -> PyResult<Self> {
        match v {
            Value::Float(f) => Ok(FloatSelf(*f)),
            _ => Err(wrong_self(vm, v, sig, "float")),
        }
    }
}

/// An alternative constructor's result for `cls`: as it is for the base type, else
/// `cls(value)` (a derived class, or bool for `bool.from_bytes`).
fn construct(vm: &mut Vm, cls: &ObjRef, base: &ObjRef, v: Value) -> PyResult<Value> {
    if cls.ptr_eq(base) {
        return Ok(v);
    }
    vm.call(&Value::Obj(cls.clone()), Args::new([v]))
}

/// Number of bits necessary to represent self in binary.
///
/// >>> bin(37)
/// '0b100101'
/// >>> (37).bit_length()
/// 6
#[native("int.bit_length($self, /)")]
fn bit_length(_vm: &mut Vm, this: IntSelf) -> PyResult<i64> {
    Ok(match this.0 {
        Value::Int(i) => 64 - i.unsigned_abs().leading_zeros() as i64,
        Value::Bool(b) => *b as i64,
        _ => this.big().bits() as i64,
    })
}

/// Number of ones in the binary representation of the absolute value of self.
///
/// Also known as the population count.
///
/// >>> bin(13)
/// '0b1101'
/// >>> (13).bit_count()
/// 3
#[native("int.bit_count($self, /)")]
fn bit_count(_vm: &mut Vm, this: IntSelf) -> PyResult<i64> {
    Ok(match this.0 {
        Value::Int(i) => i.unsigned_abs().count_ones() as i64,
        _ => this.big().magnitude().iter_u64_digits().map(|d| d.count_ones() as i64).sum(),
    })
}

/// Return integer ratio.
///
/// Return a pair of integers, whose ratio is exactly equal to the original int
/// and with a positive denominator.
///
/// >>> (10).as_integer_ratio()
/// (10, 1)
/// >>> (-10).as_integer_ratio()
/// (-10, 1)
/// >>> (0).as_integer_ratio()
/// (0, 1)
#[native("int.as_integer_ratio($self, /)")]
fn int_as_integer_ratio(_vm: &mut Vm, this: IntSelf) -> PyResult<Value> {
    Ok(Value::tuple(vec![this.plain(), Value::Int(1)]))
}

/// Returns self, the complex conjugate of any int.
#[native("int.conjugate($self, /)")]
fn int_conjugate(_vm: &mut Vm, this: IntSelf) -> PyResult<Value> {
    Ok(this.plain())
}

/// Return self converted to an integer, if self is suitable for use as an index into a list.
#[native("int.__index__($self, /)", style = "slot")]
fn int_index(_vm: &mut Vm, this: IntSelf) -> PyResult<Value> {
    Ok(this.plain())
}

/// int(self)
#[native("int.__int__($self, /)", style = "slot")]
fn int_int(_vm: &mut Vm, this: IntSelf) -> PyResult<Value> {
    Ok(this.plain())
}

/// float(self)
#[native("int.__float__($self, /)", style = "slot")]
fn int_float(vm: &mut Vm, this: IntSelf) -> PyResult<f64> {
    super::constructors::to_float(vm, this.0)
}

/// `big` or `little` (the first as true), else CPython's ValueError.
fn big_endian(vm: &mut Vm, byteorder: &str) -> PyResult<bool> {
    match byteorder {
        "big" => Ok(true),
        "little" => Ok(false),
        _ => Err(vm.value_error("byteorder must be either 'little' or 'big'")),
    }
}

/// Return an array of bytes representing an integer.
///
///   length
///     Length of bytes object to use.  An OverflowError is raised if the
///     integer is not representable with the given number of bytes.  Default
///     is length 1.
///   byteorder
///     The byte order used to represent the integer.  If byteorder is 'big',
///     the most significant byte is at the beginning of the byte array.  If
///     byteorder is 'little', the most significant byte is at the end of the
///     byte array.  To request the native byte order of the host system, use
///     `sys.byteorder' as the byte order value.  Default is to use 'big'.
///   signed
///     Determines whether two's complement is used to represent the integer.
///     If signed is False and a negative integer is given, an OverflowError
///     is raised.
#[native("int.to_bytes($self, /, length=1, byteorder='big', *, signed=False)")]
fn to_bytes(vm: &mut Vm, this: IntSelf, length: i64, byteorder: &str, signed: bool) -> PyResult<Value> {
    let big = big_endian(vm, byteorder)?;
    if length < 0 {
        return Err(vm.value_error("length argument must be non-negative"));
    }
    let b = this.big();
    let negative = b.sign() == Sign::Minus;
    if negative && !signed {
        return Err(vm.error(Exc::OverflowError, "can't convert negative int to unsigned"));
    }
    // The shortest little-endian form (nothing for zero).
    let mut bytes = match b.sign() {
        Sign::NoSign => Vec::new(),
        _ if signed => b.to_signed_bytes_le(),
        _ => b.magnitude().to_bytes_le(),
    };
    if bytes.len() as u64 > length as u64 {
        return Err(vm.error(Exc::OverflowError, "int too big to convert"));
    }
    bytes.resize(length as usize, if negative { 0xff } else { 0 });
    if big {
        bytes.reverse();
    }
    Ok(Value::new(Object::Bytes(bytes.into_boxed_slice())))
}

/// The bytes of `v` as `bytes(v)` takes them for `int.from_bytes` (CPython's
/// `PyObject_Bytes`): a bytes-like object, `__bytes__`, or an iterable of ints.
fn bytes_of(vm: &mut Vm, v: &Value) -> PyResult<Vec<u8>> {
    if let Some(b) = super::bytes_like(v) {
        return Ok(b);
    }
    if let Some(b) = super::dunder_bytes(vm, v)? {
        return Ok(super::bytes_like(&b).unwrap_or_default());
    }
    let cannot = |vm: &mut Vm| {
        let msg = format!("cannot convert '{}' object to bytes", vm.type_name(v));
        vm.type_error(&msg)
    };
    if v.as_str().is_some() {
        return Err(cannot(vm));
    }
    let it = match vm.get_iter(v) {
        Ok(it) => it,
        Err(e) if crate::value::class::is_subclass(&vm.class_of(&e.exc), Exc::TypeError.class()) => {
            return Err(cannot(vm))
        }
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    while let Some(x) = vm.iter_next(&it)? {
        let i = vm.index_value(&x)?;
        if !(0..256).contains(&i) {
            return Err(vm.value_error("bytes must be in range(0, 256)"));
        }
        out.push(i as u8);
    }
    Ok(out)
}

/// Return the integer represented by the given array of bytes.
///
///   bytes
///     Holds the array of bytes to convert.  The argument must either
///     support the buffer protocol or be an iterable object producing bytes.
///     Bytes and bytearray are examples of built-in objects that support the
///     buffer protocol.
///   byteorder
///     The byte order used to represent the integer.  If byteorder is 'big',
///     the most significant byte is at the beginning of the byte array.  If
///     byteorder is 'little', the most significant byte is at the end of the
///     byte array.  To request the native byte order of the host system, use
///     `sys.byteorder' as the byte order value.  Default is to use 'big'.
///   signed
///     Indicates whether two's complement is used to represent the integer.
#[native("int.from_bytes($cls, /, bytes, byteorder='big', *, signed=False)")]
fn from_bytes(vm: &mut Vm, cls: &ObjRef, bytes: Value, byteorder: &str, signed: bool) -> PyResult<Value> {
    let big = big_endian(vm, byteorder)?;
    let mut data = bytes_of(vm, &bytes)?;
    if !big {
        data.reverse();
    }
    let n = if signed { BigInt::from_signed_bytes_be(&data) } else { BigInt::from_bytes_be(Sign::Plus, &data) };
    let v = crate::value::int::normalize(n);
    construct(vm, cls, &types().int, v)
}

/// Return True if the float is an integer.
#[native("float.is_integer($self, /)")]
fn is_integer(_vm: &mut Vm, this: FloatSelf) -> PyResult<bool> {
    Ok(this.0.is_finite() && this.0.fract() == 0.0)
}

/// int(self)
#[native("float.__int__($self, /)", style = "slot")]
fn float_int(vm: &mut Vm, this: FloatSelf) -> PyResult<Value> {
    super::constructors::to_int(vm, &Value::Float(this.0))
}

/// float(self)
#[native("float.__float__($self, /)", style = "slot")]
fn float_float(_vm: &mut Vm, this: FloatSelf) -> PyResult<f64> {
    Ok(this.0)
}

/// Return self, the complex conjugate of any float.
#[native("float.conjugate($self, /)")]
fn float_conjugate(_vm: &mut Vm, this: FloatSelf) -> PyResult<f64> {
    Ok(this.0)
}

/// Return a hexadecimal representation of a floating-point number.
///
/// >>> (-0.1).hex()
/// '-0x1.999999999999ap-4'
/// >>> 3.14159.hex()
/// '0x1.921f9f01b866ep+1'
#[native("float.hex($self, /)")]
fn float_hex(_vm: &mut Vm, this: FloatSelf) -> PyResult<String> {
    let f = this.0;
    if f.is_nan() {
        return Ok("nan".into());
    }
    if f.is_infinite() {
        return Ok(if f < 0.0 { "-inf" } else { "inf" }.into());
    }
    if f == 0.0 {
        return Ok(if f.is_sign_negative() { "-0x0.0p+0" } else { "0x0.0p+0" }.into());
    }
    let bits = f.to_bits();
    let sign = if f < 0.0 { "-" } else { "" };
    let exp = ((bits >> 52) & 0x7ff) as i64;
    let mant = bits & ((1 << 52) - 1);
    let (lead, e) = if exp == 0 { (0, -1022) } else { (1, exp - 1023) };
    // CPython always writes all 13 hex digits of the mantissa.
    Ok(format!("{sign}0x{lead}.{mant:013x}p{}{}", if e < 0 { "-" } else { "+" }, e.abs()))
}

/// Return integer ratio.
///
/// Return a pair of integers, whose ratio is exactly equal to the original float
/// and with a positive denominator.
///
/// Raise OverflowError on infinities and a ValueError on NaNs.
///
/// >>> (10.0).as_integer_ratio()
/// (10, 1)
/// >>> (0.0).as_integer_ratio()
/// (0, 1)
/// >>> (-.25).as_integer_ratio()
/// (-1, 4)
#[native("float.as_integer_ratio($self, /)")]
fn as_integer_ratio(vm: &mut Vm, this: FloatSelf) -> PyResult<Value> {
    let f = this.0;
    if f.is_nan() {
        return Err(vm.value_error("cannot convert NaN to integer ratio"));
    }
    if f.is_infinite() {
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
    let (n, d) = if exp > 0 { (n << exp as usize, BigInt::from(1)) } else { (n, BigInt::from(1) << (-exp) as usize) };
    let g = num_integer::Integer::gcd(&n, &d);
    Ok(Value::tuple(vec![crate::value::int::normalize(&n / &g), crate::value::int::normalize(&d / &g)]))
}

/// Create a floating-point number from a hexadecimal string.
///
/// >>> float.fromhex('0x1.ffffp10')
/// 2047.984375
/// >>> float.fromhex('-0x1p-1074')
/// -5e-324
#[native("float.fromhex($cls, string, /)")]
fn fromhex(vm: &mut Vm, cls: &ObjRef, string: Value) -> PyResult<Value> {
    let Some(text) = string.as_str().map(|t| t.as_str().trim().to_ascii_lowercase()) else {
        return Err(vm.type_error("bad argument type for built-in operation"));
    };
    let v = parse_hex_float(vm, &text)?;
    construct(vm, cls, &types().float, Value::Float(v))
}

/// `[sign] [0x] hex-digits [. hex-digits] [p exponent]`, or inf/nan (lowercased).
fn parse_hex_float(vm: &mut Vm, text: &str) -> PyResult<f64> {
    let bad = |vm: &mut Vm| vm.value_error("invalid hexadecimal floating-point string");
    let (neg, body) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let sign = if neg { -1.0 } else { 1.0 };
    match body {
        "inf" | "infinity" => return Ok(sign * f64::INFINITY),
        "nan" => return Ok(f64::NAN),
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
    Ok(r)
}
