//! `math`: CPython 3.11's math module. Float functions follow CPython's error rules
//! (a NaN result from a non-NaN argument is a domain error, an infinite result from a
//! finite argument is a range error); integer functions are exact for big ints.

use crate::util::{natives, set};
use conc_interpreter::native::{native, Exc};
use conc_interpreter::operator::BinOp;
use conc_interpreter::value::int::{normalize, to_bigint};
use conc_interpreter::{Args, ObjRef, Object, PyErr, PyResult, Value, Vm};
use num_bigint::{BigInt, BigUint, Sign};
use num_traits::{One, Signed, ToPrimitive, Zero};

pub fn init(_vm: &mut Vm, m: &ObjRef) -> PyResult<()> {
    set(m, "pi", Value::Float(std::f64::consts::PI));
    set(m, "e", Value::Float(std::f64::consts::E));
    set(m, "tau", Value::Float(std::f64::consts::TAU));
    set(m, "inf", Value::Float(f64::INFINITY));
    set(m, "nan", Value::Float(f64::NAN));
    natives(
        m,
        &[
            &factorial::DEF,
            &gcd::DEF,
            &lcm::DEF,
            &isqrt::DEF,
            &comb::DEF,
            &perm::DEF,
            &floor::DEF,
            &ceil::DEF,
            &trunc::DEF,
            &sqrt::DEF,
            &cbrt::DEF,
            &exp::DEF,
            &exp2::DEF,
            &expm1::DEF,
            &log::DEF,
            &log2::DEF,
            &log10::DEF,
            &log1p::DEF,
            &pow::DEF,
            &sin::DEF,
            &cos::DEF,
            &tan::DEF,
            &asin::DEF,
            &acos::DEF,
            &atan::DEF,
            &atan2::DEF,
            &sinh::DEF,
            &cosh::DEF,
            &tanh::DEF,
            &asinh::DEF,
            &acosh::DEF,
            &atanh::DEF,
            &degrees::DEF,
            &radians::DEF,
            &hypot::DEF,
            &dist::DEF,
            &isclose::DEF,
            &isfinite::DEF,
            &isinf::DEF,
            &isnan::DEF,
            &fabs::DEF,
            &fmod::DEF,
            &remainder::DEF,
            &copysign::DEF,
            &modf::DEF,
            &frexp::DEF,
            &ldexp::DEF,
            &fsum::DEF,
            &prod::DEF,
            &erf::DEF,
            &erfc::DEF,
            &gamma::DEF,
            &lgamma::DEF,
            &nextafter::DEF,
            &ulp::DEF,
        ],
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// Errors and the float functions of one argument

fn domain_error(vm: &mut Vm) -> PyErr {
    vm.value_error("math domain error")
}

fn range_error(vm: &mut Vm) -> PyErr {
    vm.error(Exc::OverflowError, "math range error")
}

/// CPython's `math_1`: a NaN result from a non-NaN argument is a domain error, an
/// infinite result from a finite one a range error (or a domain error where the
/// function cannot overflow).
#[inline(always)]
fn math_1(vm: &mut Vm, x: f64, f: fn(f64) -> f64, can_overflow: bool) -> PyResult<f64> {
    let r = f(x);
    if r.is_nan() && !x.is_nan() {
        return Err(domain_error(vm));
    }
    if r.is_infinite() && x.is_finite() {
        return Err(if can_overflow { range_error(vm) } else { domain_error(vm) });
    }
    Ok(r)
}

/// A float function of one argument (`math.sin(x, /)`), declared with its docstring.
macro_rules! unary {
    ($name:ident, $sig:tt, $doc:tt, $f:expr, $over:expr) => {
        #[doc = $doc]
        #[native($sig)]
        fn $name(vm: &mut Vm, x: f64) -> PyResult<f64> {
            math_1(vm, x, $f, $over)
        }
    };
}

unary!(sin, "math.sin(x, /)", "Return the sine of x (measured in radians).", f64::sin, false);
unary!(cos, "math.cos(x, /)", "Return the cosine of x (measured in radians).", f64::cos, false);
unary!(tan, "math.tan(x, /)", "Return the tangent of x (measured in radians).", f64::tan, false);
unary!(asin, "math.asin(x, /)", "Return the arc sine (measured in radians) of x.", f64::asin, false);
unary!(acos, "math.acos(x, /)", "Return the arc cosine (measured in radians) of x.", f64::acos, false);
unary!(atan, "math.atan(x, /)", "Return the arc tangent (measured in radians) of x.", f64::atan, false);
unary!(sinh, "math.sinh(x, /)", "Return the hyperbolic sine of x.", f64::sinh, true);
unary!(cosh, "math.cosh(x, /)", "Return the hyperbolic cosine of x.", f64::cosh, true);
unary!(tanh, "math.tanh(x, /)", "Return the hyperbolic tangent of x.", f64::tanh, false);
unary!(asinh, "math.asinh(x, /)", "Return the inverse hyperbolic sine of x.", f64::asinh, false);
unary!(acosh, "math.acosh(x, /)", "Return the inverse hyperbolic cosine of x.", f64::acosh, false);
unary!(
    atanh,
    "math.atanh(x, /)",
    "Return the inverse hyperbolic tangent of x.",
    |x: f64| if x.abs() >= 1.0 { f64::NAN } else { x.atanh() },
    false
);
unary!(exp, "math.exp(x, /)", "Return e raised to the power of x.", f64::exp, true);
unary!(exp2, "math.exp2(x, /)", "Return 2 raised to the power of x.", f64::exp2, true);
unary!(expm1, "math.expm1(x, /)", "Return exp(x)-1.", f64::exp_m1, true);
unary!(cbrt, "math.cbrt(x, /)", "Return the cube root of x.", |x: f64| c_cbrt(x), false);
unary!(fabs, "math.fabs(x, /)", "Return the absolute value of the float x.", f64::abs, false);
unary!(erf, "math.erf(x, /)", "Error function at x.", |x: f64| c_erf(x), false);
unary!(erfc, "math.erfc(x, /)", "Complementary error function at x.", |x: f64| c_erfc(x), false);
unary!(
    log1p,
    "math.log1p(x, /)",
    "Return the natural logarithm of 1+x (base e).",
    |x: f64| if x <= -1.0 { f64::NAN } else { x.ln_1p() },
    false
);

// The C library (always linked on our targets) has the special functions Rust's
// standard library lacks (and the cbrt CPython uses), declared `safe` so that the one
// argument for calling them is made here, once.
// SAFETY: each signature is the C declaration of <math.h> (a `double` in and out, by
// value). The functions are defined for every double (NaN and infinities included),
// take no pointers and touch no state Rust sees: at most they set errno, which
// nothing here reads. So calling them with any `f64` cannot be undefined behaviour.
unsafe extern "C" {
    #[link_name = "erf"]
    safe fn c_erf(x: f64) -> f64;
    #[link_name = "erfc"]
    safe fn c_erfc(x: f64) -> f64;
    #[link_name = "cbrt"]
    safe fn c_cbrt(x: f64) -> f64;
}

/// Return the square root of x.
#[native("math.sqrt(x, /)")]
fn sqrt(vm: &mut Vm, x: f64) -> PyResult<f64> {
    if x < 0.0 {
        return Err(domain_error(vm));
    }
    Ok(x.sqrt())
}

// CPython computes gamma and lgamma with its own Lanczos approximation rather than
// the C library's, and the last digits differ; this follows CPython's m_tgamma and
// m_lgamma so results print identically.
#[allow(clippy::excessive_precision)]
const LANCZOS_G: f64 = 6.024680040776729583740234375;
#[allow(clippy::excessive_precision)]
const LANCZOS_G_MINUS_HALF: f64 = 5.524680040776729583740234375;
#[allow(clippy::excessive_precision)]
const LANCZOS_NUM: [f64; 13] = [
    23531376880.410759688572007674451636754734846804940,
    42919803642.649098768957899047001988850926355848959,
    35711959237.355668049440185451547166705960488635843,
    17921034426.037209699919755754458931112671403265390,
    6039542586.3520280050642916443072979210699388420708,
    1439720407.3117216736632230727949123939715485786772,
    248874557.86205415651146038641322942321632125127801,
    31426415.585400194380614231628318205362874684987640,
    2876370.6289353724412254090516208496135991145378768,
    186056.26539522349504029498971604569928220784236328,
    8071.6720023658162106380029022722506138218516325024,
    210.82427775157934587250973392071336271166969580291,
    2.5066282746310002701649081771338373386264310793408,
];
const LANCZOS_DEN: [f64; 13] = [
    0.0,
    39916800.0,
    120543840.0,
    150917976.0,
    105258076.0,
    45995730.0,
    13339535.0,
    2637558.0,
    357423.0,
    32670.0,
    1925.0,
    66.0,
    1.0,
];

fn lanczos_sum(x: f64) -> f64 {
    let (mut num, mut den) = (0.0, 0.0);
    if x < 5.0 {
        for i in (0..13).rev() {
            num = num * x + LANCZOS_NUM[i];
            den = den * x + LANCZOS_DEN[i];
        }
    } else {
        for i in 0..13 {
            num = num / x + LANCZOS_NUM[i];
            den = den / x + LANCZOS_DEN[i];
        }
    }
    num / den
}

fn sinpi(x: f64) -> f64 {
    let pi = std::f64::consts::PI;
    let y = x.abs() % 2.0;
    let n = (2.0 * y).round() as i32;
    let r = match n {
        0 => (pi * y).sin(),
        1 => (pi * (y - 0.5)).cos(),
        2 => (pi * (1.0 - y)).sin(),
        3 => -(pi * (y - 1.5)).cos(),
        _ => (pi * (y - 2.0)).sin(),
    };
    1.0f64.copysign(x) * r
}

/// Ok(value) or Err(true) for a domain error, Err(false) for a range error.
fn tgamma(x: f64) -> Result<f64, bool> {
    if !x.is_finite() {
        if x.is_nan() || x > 0.0 {
            return Ok(x);
        }
        return Err(true);
    }
    if x == 0.0 {
        return Err(true);
    }
    if x == x.floor() {
        if x < 0.0 {
            return Err(true);
        }
        if x <= 23.0 {
            let mut f = 1.0f64;
            for i in 2..(x as i64) {
                f *= i as f64;
            }
            return Ok(f);
        }
    }
    let absx = x.abs();
    if absx < 1e-20 {
        let r = 1.0 / x;
        return if r.is_infinite() { Err(false) } else { Ok(r) };
    }
    if absx > 200.0 {
        if x < 0.0 {
            return Ok(0.0 / sinpi(x));
        }
        return Err(false);
    }
    let y = absx + LANCZOS_G_MINUS_HALF;
    let z =
        if absx > LANCZOS_G_MINUS_HALF { (y - absx) - LANCZOS_G_MINUS_HALF } else { (y - LANCZOS_G_MINUS_HALF) - absx };
    let z = z * LANCZOS_G / y;
    let mut r;
    if x < 0.0 {
        r = -std::f64::consts::PI / sinpi(absx) / absx * y.exp() / lanczos_sum(absx);
        r -= z * r;
        if absx < 140.0 {
            r /= y.powf(absx - 0.5);
        } else {
            let sp = y.powf(absx / 2.0 - 0.25);
            r /= sp;
            r /= sp;
        }
    } else {
        r = lanczos_sum(absx) / y.exp();
        r += z * r;
        if absx < 140.0 {
            r *= y.powf(absx - 0.5);
        } else {
            let sp = y.powf(absx / 2.0 - 0.25);
            r *= sp;
            r *= sp;
        }
    }
    if r.is_infinite() {
        return Err(false);
    }
    Ok(r)
}

/// Gamma function at x.
#[native("math.gamma(x, /)")]
fn gamma(vm: &mut Vm, x: f64) -> PyResult<f64> {
    match tgamma(x) {
        Ok(r) => Ok(r),
        Err(true) => Err(domain_error(vm)),
        Err(false) => Err(range_error(vm)),
    }
}

/// Natural logarithm of absolute value of Gamma function at x.
#[native("math.lgamma(x, /)")]
fn lgamma(vm: &mut Vm, x: f64) -> PyResult<f64> {
    if !x.is_finite() {
        return Ok(if x.is_nan() { x } else { f64::INFINITY });
    }
    if x == x.floor() && x <= 2.0 {
        if x <= 0.0 {
            return Err(domain_error(vm));
        }
        return Ok(0.0);
    }
    let absx = x.abs();
    if absx < 1e-20 {
        return Ok(-absx.ln());
    }
    let mut r = lanczos_sum(absx).ln() - LANCZOS_G;
    r += (absx - 0.5) * ((absx + LANCZOS_G - 0.5).ln() - 1.0);
    if x < 0.0 {
        r = std::f64::consts::PI.ln() - sinpi(absx).abs().ln() - absx.ln() - r;
    }
    if r.is_infinite() {
        return Err(range_error(vm));
    }
    Ok(r)
}

/// Convert angle x from radians to degrees.
#[native("math.degrees(x, /)")]
fn degrees(_vm: &mut Vm, x: f64) -> PyResult<f64> {
    Ok(x * (180.0 / std::f64::consts::PI))
}

/// Convert angle x from degrees to radians.
#[native("math.radians(x, /)")]
fn radians(_vm: &mut Vm, x: f64) -> PyResult<f64> {
    Ok(x * (std::f64::consts::PI / 180.0))
}

/// Return True if x is neither an infinity nor a NaN, and False otherwise.
#[native("math.isfinite(x, /)")]
fn isfinite(_vm: &mut Vm, x: f64) -> PyResult<bool> {
    Ok(x.is_finite())
}

/// Return True if x is a positive or negative infinity, and False otherwise.
#[native("math.isinf(x, /)")]
fn isinf(_vm: &mut Vm, x: f64) -> PyResult<bool> {
    Ok(x.is_infinite())
}

/// Return True if x is a NaN (not a number), and False otherwise.
#[native("math.isnan(x, /)")]
fn isnan(_vm: &mut Vm, x: f64) -> PyResult<bool> {
    Ok(x.is_nan())
}

/// Return the arc tangent (measured in radians) of y/x.
#[native("math.atan2(y, x, /)")]
fn atan2(_vm: &mut Vm, y: f64, x: f64) -> PyResult<f64> {
    Ok(y.atan2(x))
}

/// Return a float with the magnitude (absolute value) of x but the sign of y.
#[native("math.copysign(x, y, /)")]
fn copysign(_vm: &mut Vm, x: f64, y: f64) -> PyResult<f64> {
    Ok(x.copysign(y))
}

/// Return fmod(x, y), according to platform C.
#[native("math.fmod(x, y, /)")]
fn fmod(vm: &mut Vm, x: f64, y: f64) -> PyResult<f64> {
    if y.is_infinite() && x.is_finite() {
        return Ok(x);
    }
    let r = x % y;
    if r.is_nan() && !x.is_nan() && !y.is_nan() {
        return Err(domain_error(vm));
    }
    Ok(r)
}

/// Difference between x and the closest integer multiple of y.
#[native("math.remainder(x, y, /)")]
fn remainder(vm: &mut Vm, x: f64, y: f64) -> PyResult<f64> {
    if x.is_nan() || y.is_nan() {
        return Ok(f64::NAN);
    }
    if x.is_infinite() || y == 0.0 {
        return Err(domain_error(vm));
    }
    if y.is_infinite() {
        return Ok(x);
    }
    // IEEE remainder: x - n*y with n the integer nearest x/y, ties to even.
    let absx = x.abs();
    let absy = y.abs();
    let m = absx % absy;
    let c = absy - m;
    let r = if m < c {
        m
    } else if m > c {
        -c
    } else {
        m - 2.0 * ((0.5 * (absx - m)) % absy)
    };
    Ok(1.0f64.copysign(x) * r)
}

/// Return x**y (x to the power of y).
#[native("math.pow(x, y, /)")]
fn pow(vm: &mut Vm, x: f64, y: f64) -> PyResult<f64> {
    // CPython's special cases (C99 Annex F), then the error checks of m_pow.
    if x == 1.0 || y == 0.0 {
        return Ok(1.0);
    }
    if x.is_nan() || y.is_nan() {
        return Ok(f64::NAN);
    }
    let r = x.powf(y);
    if x.is_finite() && y.is_finite() {
        if r.is_nan() {
            return Err(domain_error(vm));
        }
        if r.is_infinite() {
            return Err(if x == 0.0 { domain_error(vm) } else { range_error(vm) });
        }
    }
    Ok(r)
}

/// Return the fractional and integer parts of x.
///
/// Both results carry the sign of x and are floats.
#[native("math.modf(x, /)")]
fn modf(_vm: &mut Vm, x: f64) -> PyResult<Value> {
    if x.is_infinite() {
        return Ok(Value::tuple(vec![Value::Float(0.0f64.copysign(x)), Value::Float(x)]));
    }
    let i = x.trunc();
    Ok(Value::tuple(vec![Value::Float((x - i).copysign(x)), Value::Float(i)]))
}

/// Return the mantissa and exponent of x, as pair (m, e).
///
/// m is a float and e is an int, such that x = m * 2.**e.
/// If x is 0, m and e are both 0.  Else 0.5 <= abs(m) < 1.0.
#[native("math.frexp(x, /)")]
fn frexp(_vm: &mut Vm, x: f64) -> PyResult<Value> {
    let (m, e) = conc_interpreter::value::int::frexp(x);
    Ok(Value::tuple(vec![Value::Float(m), Value::Int(e as i64)]))
}

/// Return x * (2**i).
///
/// This is essentially the inverse of frexp().
#[native("math.ldexp(x, i, /)")]
fn ldexp(vm: &mut Vm, x: f64, i: &Value) -> PyResult<f64> {
    // Only an int will do (CPython does not call `__index__` here).
    let Some(e) = to_bigint(i) else {
        return Err(vm.type_error("Expected an int as second argument to ldexp."));
    };
    if x == 0.0 || !x.is_finite() {
        return Ok(x);
    }
    let e = e.to_i64().unwrap_or(if e.is_negative() { i64::MIN } else { i64::MAX });
    let e = e.clamp(-2200, 2200) as i32;
    // Scale in steps so neither the factor nor intermediate results overflow early.
    let mut r = x;
    let mut left = e;
    while left != 0 {
        let step = left.clamp(-1000, 1000);
        r *= 2f64.powi(step);
        left -= step;
    }
    if r.is_infinite() {
        return Err(range_error(vm));
    }
    Ok(r)
}

/// Return the next floating-point value after x towards y.
#[native("math.nextafter(x, y, /)")]
fn nextafter(_vm: &mut Vm, x: f64, y: f64) -> PyResult<f64> {
    Ok(next_after(x, y))
}

fn next_after(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        return f64::NAN;
    }
    if x == y {
        return y;
    }
    if x == 0.0 {
        return f64::from_bits(1).copysign(y);
    }
    let bits = x.to_bits();
    let up = (y > x) == (x > 0.0);
    f64::from_bits(if up { bits + 1 } else { bits - 1 })
}

/// Return the value of the least significant bit of the float x.
#[native("math.ulp(x, /)")]
fn ulp(_vm: &mut Vm, x: f64) -> PyResult<f64> {
    let x = x.abs();
    if x.is_nan() || x.is_infinite() {
        return Ok(x);
    }
    let n = next_after(x, f64::INFINITY);
    if n.is_infinite() {
        let p = next_after(x, 0.0);
        return Ok(x - p);
    }
    Ok(n - x)
}

// ---------------------------------------------------------------------------
// Logarithms (also for ints beyond the float range)

/// ln of a positive argument that may be an int too big for a float.
fn log_of(vm: &mut Vm, v: &Value, f: fn(f64) -> f64, ln2_scale: f64) -> PyResult<f64> {
    if let Some(Object::BigInt(b)) = v.obj() {
        if b.sign() != Sign::Plus {
            return Err(domain_error(vm));
        }
        if let Some(x) = conc_interpreter::value::int::bigint_to_f64(b) {
            return Ok(f(x));
        }
        // x = m * 2**e: keep the top 64 bits in m.
        let shift = b.bits() - 64;
        let m = (b >> shift).to_f64().unwrap_or(f64::MAX);
        return Ok(f(m) + shift as f64 * ln2_scale);
    }
    let x = vm.real_value(v)?;
    if x.is_nan() {
        return Ok(x);
    }
    if x <= 0.0 {
        return Err(domain_error(vm));
    }
    Ok(f(x))
}

/// log(x, [base=math.e])
/// Return the logarithm of x to the given base.
///
/// If the base not specified, returns the natural logarithm (base e) of x.
// CPython parses this one by hand ("math.log requires 1 to 2 arguments", and
// "log() takes no keyword arguments" without the module), hence `*args` and the
// unqualified name.
#[native("log(*args)")]
fn log(vm: &mut Vm, args: &[Value]) -> PyResult<f64> {
    let (x, base) = match args {
        [x] => (x, None),
        [x, base] => (x, Some(base)),
        _ => return Err(vm.type_error("math.log requires 1 to 2 arguments")),
    };
    let num = log_of(vm, x, f64::ln, std::f64::consts::LN_2)?;
    if let Some(base) = base {
        let den = log_of(vm, base, f64::ln, std::f64::consts::LN_2)?;
        if den == 0.0 {
            return Err(vm.error(Exc::ZeroDivisionError, "float division by zero"));
        }
        return Ok(num / den);
    }
    Ok(num)
}

/// Return the base 2 logarithm of x.
#[native("math.log2(x, /)")]
fn log2(vm: &mut Vm, x: &Value) -> PyResult<f64> {
    log_of(vm, x, f64::log2, 1.0)
}

/// Return the base 10 logarithm of x.
#[native("math.log10(x, /)")]
fn log10(vm: &mut Vm, x: &Value) -> PyResult<f64> {
    log_of(vm, x, f64::log10, std::f64::consts::LOG10_2)
}

// ---------------------------------------------------------------------------
// Rounding to ints

fn float_to_int(vm: &mut Vm, x: f64) -> PyResult<Value> {
    if x.is_nan() {
        return Err(vm.value_error("cannot convert float NaN to integer"));
    }
    if x.is_infinite() {
        return Err(vm.error(Exc::OverflowError, "cannot convert float infinity to integer"));
    }
    if x.abs() < 9.0e18 {
        return Ok(Value::Int(x as i64));
    }
    Ok(normalize(conc_interpreter::value::int::f64_to_bigint(x).unwrap_or_default()))
}

/// floor/ceil/trunc: ints pass through, objects with the dunder are asked, floats are
/// rounded.
fn round_op(vm: &mut Vm, v: &Value, dunder: &str, f: fn(f64) -> f64) -> PyResult<Value> {
    match v {
        Value::Int(_) => return Ok(v.clone()),
        Value::Bool(b) => return Ok(Value::Int(*b as i64)),
        Value::Float(x) => return float_to_int(vm, f(*x)),
        Value::Obj(o) if matches!(&**o, Object::BigInt(_)) => return Ok(v.clone()),
        _ => {}
    }
    let cls = vm.class_of(v);
    if let Some(m) = vm.lookup_type_attr(&cls, &conc_interpreter::value::str::intern(dunder)) {
        return vm.call(&m, Args::new([v.clone()]));
    }
    if dunder == "__trunc__" {
        let msg = format!("type {} doesn't define __trunc__ method", vm.type_name(v));
        return Err(vm.type_error(&msg));
    }
    let x = vm.real_value(v)?;
    float_to_int(vm, f(x))
}

/// Return the floor of x as an Integral.
///
/// This is the largest integer <= x.
#[native("math.floor(x, /)")]
fn floor(vm: &mut Vm, x: &Value) -> PyResult<Value> {
    round_op(vm, x, "__floor__", f64::floor)
}

/// Return the ceiling of x as an Integral.
///
/// This is the smallest integer >= x.
#[native("math.ceil(x, /)")]
fn ceil(vm: &mut Vm, x: &Value) -> PyResult<Value> {
    round_op(vm, x, "__ceil__", f64::ceil)
}

/// Truncates the Real x to the nearest Integral toward 0.
///
/// Uses the __trunc__ magic method.
#[native("math.trunc(x, /)")]
fn trunc(vm: &mut Vm, x: &Value) -> PyResult<Value> {
    round_op(vm, x, "__trunc__", f64::trunc)
}

// ---------------------------------------------------------------------------
// Sums, products, norms

// Shewchuk's exact summation with CPython's final correction for half-way cases.
/// Return an accurate floating point sum of values in the iterable seq.
///
/// Assumes IEEE-754 floating point arithmetic.
#[native("math.fsum(seq, /)")]
fn fsum(vm: &mut Vm, seq: &Value) -> PyResult<f64> {
    let items = vm.collect(seq)?;
    let mut partials: Vec<f64> = Vec::new();
    let mut special = 0.0f64;
    let mut inf_sum = 0.0f64;
    for it in &items {
        let mut x = vm.real_value(it)?;
        let xsave = x;
        let mut i = 0;
        for j in 0..partials.len() {
            let mut y = partials[j];
            if x.abs() < y.abs() {
                std::mem::swap(&mut x, &mut y);
            }
            let hi = x + y;
            let lo = y - (hi - x);
            if lo != 0.0 {
                partials[i] = lo;
                i += 1;
            }
            x = hi;
        }
        partials.truncate(i);
        if x != 0.0 {
            if !x.is_finite() {
                // An intermediate overflow or a non-finite input.
                if xsave.is_finite() {
                    return Err(vm.error(Exc::OverflowError, "intermediate overflow in fsum"));
                }
                if xsave.is_infinite() {
                    inf_sum += xsave;
                }
                special += xsave;
                partials.clear();
            } else {
                partials.push(x);
            }
        }
    }
    if special != 0.0 {
        if inf_sum.is_nan() {
            return Err(vm.value_error("-inf + inf in fsum"));
        }
        return Ok(special);
    }
    let mut hi = 0.0f64;
    if let Some(mut n) = partials.len().checked_sub(0) {
        if n > 0 {
            n -= 1;
            hi = partials[n];
            let mut lo = 0.0;
            while n > 0 {
                let x = hi;
                n -= 1;
                let y = partials[n];
                hi = x + y;
                let yr = hi - x;
                lo = y - yr;
                if lo != 0.0 {
                    break;
                }
            }
            // Round half to even across the remaining partials.
            if n > 0 && ((lo < 0.0 && partials[n - 1] < 0.0) || (lo > 0.0 && partials[n - 1] > 0.0)) {
                let y = lo * 2.0;
                let x = hi + y;
                let yr = x - hi;
                if y == yr {
                    hi = x;
                }
            }
        }
    }
    Ok(hi)
}

/// Calculate the product of all the elements in the input iterable.
///
/// The default start value for the product is 1.
///
/// When the iterable is empty, return the start value.  This function is
/// intended specifically for use with numeric values and may reject
/// non-numeric types.
#[native("math.prod(iterable, /, *, start=1)")]
fn prod(vm: &mut Vm, iterable: &Value, start: Value) -> PyResult<Value> {
    let items = vm.collect(iterable)?;
    let mut acc = start;
    for x in items {
        acc = vm.binary_op(acc, x, BinOp::Mult)?;
    }
    Ok(acc)
}

/// The Euclidean norm of a vector, scaled by its largest entry to avoid overflow.
fn vector_norm(v: &[f64]) -> f64 {
    let mut max = 0.0f64;
    let mut found_nan = false;
    for &x in v {
        if x.is_infinite() {
            return f64::INFINITY;
        }
        if x.is_nan() {
            found_nan = true;
        }
        max = max.max(x.abs());
    }
    if found_nan {
        return f64::NAN;
    }
    if max == 0.0 || v.len() <= 1 {
        return max;
    }
    if v.len() == 2 {
        return v[0].hypot(v[1]);
    }
    // Compensated sum of the squares of the scaled entries.
    let mut sum = 0.0f64;
    let mut comp = 0.0f64;
    for &x in v {
        let s = x / max;
        let t = s * s - comp;
        let ns = sum + t;
        comp = (ns - sum) - t;
        sum = ns;
    }
    max * sum.sqrt()
}

/// hypot(*coordinates) -> value
///
/// Multidimensional Euclidean distance from the origin to a point.
#[native("math.hypot(*coordinates)")]
fn hypot(vm: &mut Vm, coordinates: &[Value]) -> PyResult<f64> {
    let mut v = Vec::with_capacity(coordinates.len());
    for x in coordinates {
        v.push(vm.real_value(x)?);
    }
    Ok(vector_norm(&v))
}

/// Return the Euclidean distance between two points p and q.
///
/// The points should be specified as sequences (or iterables) of
/// coordinates.  Both inputs must have the same dimension.
#[native("math.dist(p, q, /)")]
fn dist(vm: &mut Vm, p: &Value, q: &Value) -> PyResult<f64> {
    // Points that are not tuples are made into tuples first, so any iterable will do.
    let p = vm.collect(p)?;
    let q = vm.collect(q)?;
    if p.len() != q.len() {
        return Err(vm.value_error("both points must have the same number of dimensions"));
    }
    let mut d = Vec::with_capacity(p.len());
    for (a, b) in p.iter().zip(&q) {
        let (a, b) = (vm.real_value(a)?, vm.real_value(b)?);
        d.push(a - b);
    }
    Ok(vector_norm(&d))
}

/// Determine whether two floating point numbers are close in value.
///
///   rel_tol
///     maximum difference for being considered "close", relative to the
///     magnitude of the input values
///   abs_tol
///     maximum difference for being considered "close", regardless of the
///     magnitude of the input values
///
/// Return True if a is close in value to b, and False otherwise.
#[native("math.isclose(a, b, *, rel_tol=1e-09, abs_tol=0.0)")]
fn isclose(vm: &mut Vm, a: f64, b: f64, rel_tol: f64, abs_tol: f64) -> PyResult<bool> {
    if rel_tol < 0.0 || abs_tol < 0.0 {
        return Err(vm.value_error("tolerances must be non-negative"));
    }
    if a == b {
        return Ok(true);
    }
    if a.is_infinite() || b.is_infinite() {
        return Ok(false);
    }
    let diff = (b - a).abs();
    Ok(diff <= (rel_tol * b).abs() || diff <= (rel_tol * a).abs() || diff <= abs_tol)
}

// ---------------------------------------------------------------------------
// Integer functions

/// The product of `lo..hi` (odd parts already taken by the caller when wanted),
/// computed as a balanced product tree so the big multiplications pair equal sizes.
fn product_tree(mut leaves: Vec<BigUint>) -> BigUint {
    if leaves.is_empty() {
        return BigUint::one();
    }
    while leaves.len() > 1 {
        let mut next = Vec::with_capacity(leaves.len() / 2 + 1);
        let mut it = leaves.into_iter();
        while let Some(a) = it.next() {
            match it.next() {
                Some(b) => next.push(a * b),
                None => next.push(a),
            }
        }
        leaves = next;
    }
    leaves.pop().unwrap()
}

/// Packs the factors into machine words (as many as fit in 64 bits) as tree leaves.
fn pack_factors(factors: impl Iterator<Item = u64>) -> Vec<BigUint> {
    let mut leaves = Vec::new();
    let mut acc: u64 = 1;
    for f in factors {
        match acc.checked_mul(f) {
            Some(p) => acc = p,
            None => {
                leaves.push(BigUint::from(acc));
                acc = f;
            }
        }
    }
    if acc != 1 {
        leaves.push(BigUint::from(acc));
    }
    leaves
}

/// n! as the product of the odd parts of 1..=n, shifted by the powers of two
/// (n - popcount(n) of them), which keeps the multiplied numbers small.
pub fn factorial_big(n: u64) -> BigUint {
    let odd = (1..=n).map(|i| i >> i.trailing_zeros());
    let p = product_tree(pack_factors(odd));
    p << (n - n.count_ones() as u64)
}

/// Find n!.
///
/// Raise a ValueError if x is negative or non-integral.
#[native("math.factorial(n, /)")]
fn factorial(vm: &mut Vm, n: BigInt) -> PyResult<Value> {
    if n.is_negative() {
        return Err(vm.value_error("factorial() not defined for negative values"));
    }
    let Some(n) = n.to_u64().filter(|n| *n <= i64::MAX as u64) else {
        return Err(vm.error(Exc::OverflowError, "factorial() argument should not exceed 9223372036854775807"));
    };
    if n <= 20 {
        return Ok(Value::Int((1..=n as i64).product()));
    }
    Ok(normalize(BigInt::from(factorial_big(n))))
}

/// Lehmer's gcd: each round runs Euclid on the leading 62 bits of both numbers in
/// machine words and applies the accumulated cofactors to the full numbers at once,
/// so a full-size operation removes about 30 bits instead of a few.
pub fn gcd_big(a: &BigUint, b: &BigUint) -> BigUint {
    let (mut a, mut b) = if a >= b { (a.clone(), b.clone()) } else { (b.clone(), a.clone()) };
    while !b.is_zero() {
        let abits = a.bits();
        if abits <= 128 {
            let (x, y) = (a.to_u128().unwrap(), b.to_u128().unwrap());
            return BigUint::from(gcd_u128(x, y));
        }
        let shift = abits - 62;
        let mut x = top_bits(&a, shift) as i128;
        let mut y = top_bits(&b, shift) as i128;
        let (mut ca, mut cb, mut cc, mut cd): (i128, i128, i128, i128) = (1, 0, 0, 1);
        // Knuth's Algorithm L: stop when the quotients from the two bracketing
        // approximations disagree.
        loop {
            // Both bracketing denominators must be positive: with one at or
            // below zero the quotients say nothing (and a truncating division
            // of a negative gave cofactors that made `lin_comb` underflow).
            if y + cc <= 0 || y + cd <= 0 {
                break;
            }
            let q = (x + ca) / (y + cc);
            if q != (x + cb) / (y + cd) {
                break;
            }
            let t = ca - q * cc;
            ca = cc;
            cc = t;
            let t = cb - q * cd;
            cb = cd;
            cd = t;
            let t = x - q * y;
            x = y;
            y = t;
        }
        let reduced = if cb == 0 { None } else { lin_comb(&a, &b, ca, cb).zip(lin_comb(&a, &b, cc, cd)) };
        match reduced {
            Some((na, nb)) => {
                a = na;
                b = nb;
            }
            None => {
                let r = &a % &b;
                a = b;
                b = r;
            }
        }
    }
    a
}

/// `p*a + q*b` for cofactors of opposite signs, or None if it would be negative
/// (then the caller takes a plain Euclid step instead).
fn lin_comb(a: &BigUint, b: &BigUint, p: i128, q: i128) -> Option<BigUint> {
    let pa = a * BigUint::from(p.unsigned_abs() as u64);
    let qb = b * BigUint::from(q.unsigned_abs() as u64);
    let (plus, minus) = if p >= 0 { (pa, qb) } else { (qb, pa) };
    if plus < minus {
        return None;
    }
    Some(plus - minus)
}

/// `x >> shift` truncated to 64 bits, read straight from the digits.
fn top_bits(x: &BigUint, shift: u64) -> u64 {
    let digits = x.iter_u64_digits();
    let word = (shift / 64) as usize;
    let bit = shift % 64;
    let d: Vec<u64> = digits.skip(word).take(2).collect();
    let lo = d.first().copied().unwrap_or(0);
    let hi = d.get(1).copied().unwrap_or(0);
    if bit == 0 {
        lo
    } else {
        (lo >> bit) | (hi << (64 - bit))
    }
}

fn gcd_u128(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        let r = a % b;
        a = b;
        b = r;
    }
    a
}

fn gcd_of(a: &BigInt, b: &BigInt) -> BigInt {
    if let (Some(x), Some(y)) = (a.to_i64(), b.to_i64()) {
        return BigInt::from(gcd_u128(x.unsigned_abs() as u128, y.unsigned_abs() as u128));
    }
    BigInt::from(gcd_big(a.magnitude(), b.magnitude()))
}

/// Greatest Common Divisor.
#[native("math.gcd(*integers)")]
fn gcd(vm: &mut Vm, integers: &[Value]) -> PyResult<Value> {
    let mut g = BigInt::zero();
    for x in integers {
        let v = vm.index_value_big(x)?;
        g = if integers.len() == 1 { v.abs() } else { gcd_of(&v, &g) };
    }
    Ok(normalize(g))
}

/// Least Common Multiple.
#[native("math.lcm(*integers)")]
fn lcm(vm: &mut Vm, integers: &[Value]) -> PyResult<Value> {
    let mut l = BigInt::one();
    for x in integers {
        let v = vm.index_value_big(x)?;
        if v.is_zero() || l.is_zero() {
            l = BigInt::zero();
            continue;
        }
        let g = gcd_of(&v, &l);
        l = (&l / g * v).abs();
    }
    Ok(normalize(l))
}

/// Return the integer part of the square root of the input.
#[native("math.isqrt(n, /)")]
fn isqrt(vm: &mut Vm, n: BigInt) -> PyResult<Value> {
    if n.is_negative() {
        return Err(vm.value_error("isqrt() argument must be nonnegative"));
    }
    Ok(normalize(BigInt::from(n.magnitude().sqrt())))
}

/// The checks comb and perm share.
fn check_n_k(vm: &mut Vm, n: &BigInt, k: Option<&BigInt>) -> PyResult<()> {
    if n.is_negative() {
        return Err(vm.value_error("n must be a non-negative integer"));
    }
    if k.is_some_and(|k| k.is_negative()) {
        return Err(vm.value_error("k must be a non-negative integer"));
    }
    Ok(())
}

/// The product n*(n-1)*...*(n-k+1).
fn falling(n: &BigInt, k: u64) -> BigUint {
    if let Some(nn) = n.to_u64() {
        return product_tree(pack_factors((0..k).map(|i| nn - i)));
    }
    let nm = n.magnitude();
    product_tree((0..k).map(|i| nm - BigUint::from(i)).collect())
}

/// Number of ways to choose k items from n items without repetition and with order.
///
/// Evaluates to n! / (n - k)! when k <= n and evaluates
/// to zero when k > n.
///
/// If k is not specified or is None, then k defaults to n
/// and the function returns n!.
#[native("math.perm(n, k=None, /)")]
fn perm(vm: &mut Vm, n: BigInt, k: Option<BigInt>) -> PyResult<Value> {
    check_n_k(vm, &n, k.as_ref())?;
    let k = k.unwrap_or_else(|| n.clone());
    if k > n {
        return Ok(Value::Int(0));
    }
    let Some(k) = k.to_u64() else {
        return Err(vm.error(Exc::OverflowError, "k must not exceed 9223372036854775807"));
    };
    Ok(normalize(BigInt::from(falling(&n, k))))
}

/// Number of ways to choose k items from n items without repetition and without order.
///
/// Evaluates to n! / (k! * (n - k)!) when k <= n and evaluates
/// to zero when k > n.
///
/// Also called the binomial coefficient because it is equivalent
/// to the coefficient of k-th term in polynomial expansion of the
/// expression (1 + x)**n.
#[native("math.comb(n, k, /)")]
fn comb(vm: &mut Vm, n: BigInt, k: BigInt) -> PyResult<Value> {
    check_n_k(vm, &n, Some(&k))?;
    if k > n {
        return Ok(Value::Int(0));
    }
    let k = std::cmp::min(k.clone(), &n - &k);
    let Some(k) = k.to_u64() else {
        return Err(vm.error(Exc::OverflowError, "min(n - k, k) must not exceed 9223372036854775807"));
    };
    if let Some(nn) = n.to_u64() {
        if k < 64 {
            // Small k: exact running product, each step divides evenly.
            let mut r = BigUint::one();
            for i in 0..k {
                r = r * BigUint::from(nn - i) / BigUint::from(i + 1);
            }
            return Ok(normalize(BigInt::from(r)));
        }
    }
    let num = falling(&n, k);
    Ok(normalize(BigInt::from(num / factorial_big(k))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_integer::Integer;

    #[test]
    fn lehmer_matches_euclid() {
        let mut x = BigUint::from(1u32);
        let mut y = BigUint::from(1u32);
        for i in 0..3000u32 {
            x = x * BigUint::from(i * 7 + 3) + BigUint::from(i);
            y = y * BigUint::from(i * 5 + 11) + BigUint::from(i * 13);
            if i % 97 == 0 {
                let g = gcd_big(&x, &y);
                assert_eq!(g, x.gcd(&y));
                let common = BigUint::from(123456789u64) * &y;
                assert_eq!(gcd_big(&(&x * &common), &common), common);
            }
        }
    }

    #[test]
    fn factorial_small() {
        assert_eq!(factorial_big(25).to_string(), "15511210043330985984000000");
    }
}
