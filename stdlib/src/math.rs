//! `math`: CPython 3.11's math module. Float functions follow CPython's error rules
//! (a NaN result from a non-NaN argument is a domain error, an infinite result from a
//! finite argument is a range error); integer functions are exact for big ints.

use crate::util::{functions, set};
use conc_grammar::ast::BinOp;
use conc_interpreter::builtins::constructors::to_float;
use conc_interpreter::native::Exc;
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
    functions(
        m,
        &[
            ("factorial", factorial),
            ("gcd", gcd),
            ("lcm", lcm),
            ("isqrt", isqrt),
            ("comb", comb),
            ("perm", perm),
            ("floor", floor),
            ("ceil", ceil),
            ("trunc", trunc),
            ("sqrt", sqrt),
            ("cbrt", cbrt),
            ("exp", exp),
            ("exp2", exp2),
            ("expm1", expm1),
            ("log", log),
            ("log2", log2),
            ("log10", log10),
            ("log1p", log1p),
            ("pow", pow),
            ("sin", sin),
            ("cos", cos),
            ("tan", tan),
            ("asin", asin),
            ("acos", acos),
            ("atan", atan),
            ("atan2", atan2),
            ("sinh", sinh),
            ("cosh", cosh),
            ("tanh", tanh),
            ("asinh", asinh),
            ("acosh", acosh),
            ("atanh", atanh),
            ("degrees", degrees),
            ("radians", radians),
            ("hypot", hypot),
            ("dist", dist),
            ("isclose", isclose),
            ("isfinite", isfinite),
            ("isinf", isinf),
            ("isnan", isnan),
            ("fabs", fabs),
            ("fmod", fmod),
            ("remainder", remainder),
            ("copysign", copysign),
            ("modf", modf),
            ("frexp", frexp),
            ("ldexp", ldexp),
            ("fsum", fsum),
            ("prod", prod),
            ("erf", erf),
            ("erfc", erfc),
            ("gamma", gamma),
            ("lgamma", lgamma),
            ("nextafter", nextafter),
            ("ulp", ulp),
        ],
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// Argument helpers

fn domain_error(vm: &mut Vm) -> PyErr {
    vm.value_error("math domain error")
}

fn range_error(vm: &mut Vm) -> PyErr {
    vm.error(Exc::OverflowError, "math range error")
}

/// The arguments as given, or CPython's "takes exactly N arguments" TypeError.
fn exact<'a>(vm: &mut Vm, args: &'a Args, name: &str, n: usize) -> PyResult<&'a [Value]> {
    if args.pos.len() != n || !args.kw.is_empty() {
        let msg = if n == 1 {
            format!("math.{name}() takes exactly one argument ({} given)", args.pos.len())
        } else {
            format!("{name} expected {n} arguments, got {}", args.pos.len() + args.kw.len())
        };
        return Err(vm.type_error(&msg));
    }
    Ok(&args.pos[..])
}

/// A float argument: floats, ints (big ones too), bools and objects with `__float__`
/// or `__index__`; strings are refused as CPython does.
fn to_f(vm: &mut Vm, v: &Value) -> PyResult<f64> {
    match v {
        Value::Float(f) => Ok(*f),
        Value::Int(i) => Ok(*i as f64),
        Value::Bool(b) => Ok(*b as i64 as f64),
        Value::Obj(o) if matches!(&**o, Object::Str(_) | Object::Bytes(_)) => {
            let msg = format!("must be real number, not {}", vm.type_name(v));
            Err(vm.type_error(&msg))
        }
        Value::None => Err(vm.type_error("must be real number, not NoneType")),
        _ => {
            let cls = vm.class_of(v);
            let has = ["__float__", "__index__"]
                .iter()
                .any(|n| vm.lookup_type_attr(&cls, &conc_interpreter::value::str::intern(n)).is_some());
            if matches!(v.obj(), Some(Object::BigInt(_))) || has {
                to_float(vm, v)
            } else {
                let msg = format!("must be real number, not {}", vm.type_name(v));
                Err(vm.type_error(&msg))
            }
        }
    }
}

/// An integer argument as a big integer (`__index__` is honoured, floats refused).
fn to_int(vm: &mut Vm, v: &Value) -> PyResult<BigInt> {
    if let Some(b) = to_bigint(v) {
        return Ok(b);
    }
    if !matches!(v, Value::Float(_)) {
        let cls = vm.class_of(v);
        if let Some(f) = vm.lookup_type_attr(&cls, &conc_interpreter::value::str::intern("__index__")) {
            let r = vm.call(&f, Args::new([v.clone()]))?;
            if let Some(b) = to_bigint(&r) {
                return Ok(b);
            }
        }
    }
    let msg = format!("'{}' object cannot be interpreted as an integer", vm.type_name(v));
    Err(vm.type_error(&msg))
}

/// CPython's `math_1`: applies `f`, turning NaN results into domain errors and infinite
/// results into range errors (or domain errors where the function cannot overflow).
fn math_1(vm: &mut Vm, args: &Args, name: &str, f: fn(f64) -> f64, can_overflow: bool) -> PyResult<Value> {
    let a = exact(vm, args, name, 1)?;
    let x = to_f(vm, &a[0])?;
    let r = f(x);
    if r.is_nan() && !x.is_nan() {
        return Err(domain_error(vm));
    }
    if r.is_infinite() && x.is_finite() {
        return Err(if can_overflow { range_error(vm) } else { domain_error(vm) });
    }
    Ok(Value::Float(r))
}

macro_rules! unary {
    ($name:ident, $f:expr, $over:expr) => {
        fn $name(vm: &mut Vm, args: Args) -> PyResult<Value> {
            math_1(vm, &args, stringify!($name), $f, $over)
        }
    };
}

unary!(sin, f64::sin, false);
unary!(cos, f64::cos, false);
unary!(tan, f64::tan, false);
unary!(asin, f64::asin, false);
unary!(acos, f64::acos, false);
unary!(atan, f64::atan, false);
unary!(sinh, f64::sinh, true);
unary!(cosh, f64::cosh, true);
unary!(tanh, f64::tanh, false);
unary!(asinh, f64::asinh, false);
unary!(acosh, f64::acosh, false);
unary!(atanh, |x: f64| if x.abs() >= 1.0 { f64::NAN } else { x.atanh() }, false);
unary!(exp, f64::exp, true);
unary!(exp2, f64::exp2, true);
unary!(expm1, f64::exp_m1, true);
unary!(cbrt, |x: f64| unsafe { c_cbrt(x) }, false);
unary!(fabs, f64::abs, false);
unary!(erf, |x: f64| unsafe { c_erf(x) }, false);
unary!(erfc, |x: f64| unsafe { c_erfc(x) }, false);
unary!(log1p, |x: f64| if x <= -1.0 { f64::NAN } else { x.ln_1p() }, false);

// The C library (always linked on our targets) has the special functions Rust's
// standard library lacks.
extern "C" {
    #[link_name = "erf"]
    fn c_erf(x: f64) -> f64;
    #[link_name = "erfc"]
    fn c_erfc(x: f64) -> f64;
    #[link_name = "cbrt"]
    fn c_cbrt(x: f64) -> f64;
}

fn sqrt(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let a = exact(vm, &args, "sqrt", 1)?;
    let x = to_f(vm, &a[0])?;
    if x < 0.0 {
        return Err(domain_error(vm));
    }
    Ok(Value::Float(x.sqrt()))
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

fn gamma(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let a = exact(vm, &args, "gamma", 1)?;
    let x = to_f(vm, &a[0])?;
    match tgamma(x) {
        Ok(r) => Ok(Value::Float(r)),
        Err(true) => Err(domain_error(vm)),
        Err(false) => Err(range_error(vm)),
    }
}

fn lgamma(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let a = exact(vm, &args, "lgamma", 1)?;
    let x = to_f(vm, &a[0])?;
    if !x.is_finite() {
        return Ok(Value::Float(if x.is_nan() { x } else { f64::INFINITY }));
    }
    if x == x.floor() && x <= 2.0 {
        if x <= 0.0 {
            return Err(domain_error(vm));
        }
        return Ok(Value::Float(0.0));
    }
    let absx = x.abs();
    if absx < 1e-20 {
        return Ok(Value::Float(-absx.ln()));
    }
    let mut r = lanczos_sum(absx).ln() - LANCZOS_G;
    r += (absx - 0.5) * ((absx + LANCZOS_G - 0.5).ln() - 1.0);
    if x < 0.0 {
        r = std::f64::consts::PI.ln() - sinpi(absx).abs().ln() - absx.ln() - r;
    }
    if r.is_infinite() {
        return Err(range_error(vm));
    }
    Ok(Value::Float(r))
}

fn degrees(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let a = exact(vm, &args, "degrees", 1)?;
    let x = to_f(vm, &a[0])?;
    Ok(Value::Float(x * (180.0 / std::f64::consts::PI)))
}

fn radians(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let a = exact(vm, &args, "radians", 1)?;
    let x = to_f(vm, &a[0])?;
    Ok(Value::Float(x * (std::f64::consts::PI / 180.0)))
}

fn isfinite(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let a = exact(vm, &args, "isfinite", 1)?;
    let x = to_f(vm, &a[0])?;
    Ok(Value::Bool(x.is_finite()))
}

fn isinf(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let a = exact(vm, &args, "isinf", 1)?;
    let x = to_f(vm, &a[0])?;
    Ok(Value::Bool(x.is_infinite()))
}

fn isnan(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let a = exact(vm, &args, "isnan", 1)?;
    let x = to_f(vm, &a[0])?;
    Ok(Value::Bool(x.is_nan()))
}

fn two_floats(vm: &mut Vm, args: &Args, name: &str) -> PyResult<(f64, f64)> {
    let a = exact(vm, args, name, 2)?;
    let (a0, a1) = (a[0].clone(), a[1].clone());
    Ok((to_f(vm, &a0)?, to_f(vm, &a1)?))
}

fn atan2(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let (y, x) = two_floats(vm, &args, "atan2")?;
    Ok(Value::Float(y.atan2(x)))
}

fn copysign(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let (x, y) = two_floats(vm, &args, "copysign")?;
    Ok(Value::Float(x.copysign(y)))
}

fn fmod(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let (x, y) = two_floats(vm, &args, "fmod")?;
    if y.is_infinite() && x.is_finite() {
        return Ok(Value::Float(x));
    }
    let r = x % y;
    if r.is_nan() && !x.is_nan() && !y.is_nan() {
        return Err(domain_error(vm));
    }
    Ok(Value::Float(r))
}

fn remainder(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let (x, y) = two_floats(vm, &args, "remainder")?;
    if x.is_nan() || y.is_nan() {
        return Ok(Value::Float(f64::NAN));
    }
    if x.is_infinite() || y == 0.0 {
        return Err(domain_error(vm));
    }
    if y.is_infinite() {
        return Ok(Value::Float(x));
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
    Ok(Value::Float(1.0f64.copysign(x) * r))
}

fn pow(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let (x, y) = two_floats(vm, &args, "pow")?;
    // CPython's special cases (C99 Annex F), then the error checks of m_pow.
    if x == 1.0 || y == 0.0 {
        return Ok(Value::Float(1.0));
    }
    if x.is_nan() || y.is_nan() {
        return Ok(Value::Float(f64::NAN));
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
    Ok(Value::Float(r))
}

fn modf(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let a = exact(vm, &args, "modf", 1)?;
    let x = to_f(vm, &a[0])?;
    if x.is_infinite() {
        return Ok(Value::tuple(vec![Value::Float(0.0f64.copysign(x)), Value::Float(x)]));
    }
    let i = x.trunc();
    Ok(Value::tuple(vec![Value::Float((x - i).copysign(x)), Value::Float(i)]))
}

fn frexp(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let a = exact(vm, &args, "frexp", 1)?;
    let x = to_f(vm, &a[0])?;
    let (m, e) = conc_interpreter::value::int::frexp(x);
    Ok(Value::tuple(vec![Value::Float(m), Value::Int(e as i64)]))
}

fn ldexp(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let a = exact(vm, &args, "ldexp", 2)?;
    let (a0, a1) = (a[0].clone(), a[1].clone());
    let x = to_f(vm, &a0)?;
    let e = to_int(vm, &a1)?;
    if x == 0.0 || !x.is_finite() {
        return Ok(Value::Float(x));
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
    Ok(Value::Float(r))
}

fn nextafter(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let (x, y) = two_floats(vm, &args, "nextafter")?;
    Ok(Value::Float(next_after(x, y)))
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

fn ulp(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let a = exact(vm, &args, "ulp", 1)?;
    let x = to_f(vm, &a[0])?.abs();
    if x.is_nan() || x.is_infinite() {
        return Ok(Value::Float(x));
    }
    let n = next_after(x, f64::INFINITY);
    if n.is_infinite() {
        let p = next_after(x, 0.0);
        return Ok(Value::Float(x - p));
    }
    Ok(Value::Float(n - x))
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
    let x = to_f(vm, v)?;
    if x.is_nan() {
        return Ok(x);
    }
    if x <= 0.0 {
        return Err(domain_error(vm));
    }
    Ok(f(x))
}

fn log(vm: &mut Vm, args: Args) -> PyResult<Value> {
    if args.pos.is_empty() || args.pos.len() > 2 || !args.kw.is_empty() {
        let n = args.pos.len() + args.kw.len();
        let msg = if n == 0 {
            "log expected at least 1 argument, got 0".to_string()
        } else {
            format!("log expected at most 2 arguments, got {n}")
        };
        return Err(vm.type_error(&msg));
    }
    let x = args.pos[0].clone();
    let num = log_of(vm, &x, f64::ln, std::f64::consts::LN_2)?;
    if let Some(base) = args.pos.get(1).cloned() {
        let den = log_of(vm, &base, f64::ln, std::f64::consts::LN_2)?;
        if den == 0.0 {
            return Err(vm.error(Exc::ZeroDivisionError, "float division by zero"));
        }
        return Ok(Value::Float(num / den));
    }
    Ok(Value::Float(num))
}

fn log2(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let a = exact(vm, &args, "log2", 1)?.to_vec();
    Ok(Value::Float(log_of(vm, &a[0], f64::log2, 1.0)?))
}

fn log10(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let a = exact(vm, &args, "log10", 1)?.to_vec();
    Ok(Value::Float(log_of(vm, &a[0], f64::log10, std::f64::consts::LOG10_2)?))
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
fn round_op(vm: &mut Vm, args: Args, name: &str, dunder: &str, f: fn(f64) -> f64) -> PyResult<Value> {
    let a = exact(vm, &args, name, 1)?.to_vec();
    let v = &a[0];
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
    if name == "trunc" {
        let msg = format!("type {} doesn't define __trunc__ method", vm.type_name(v));
        return Err(vm.type_error(&msg));
    }
    let x = to_f(vm, v)?;
    float_to_int(vm, f(x))
}

fn floor(vm: &mut Vm, args: Args) -> PyResult<Value> {
    round_op(vm, args, "floor", "__floor__", f64::floor)
}

fn ceil(vm: &mut Vm, args: Args) -> PyResult<Value> {
    round_op(vm, args, "ceil", "__ceil__", f64::ceil)
}

fn trunc(vm: &mut Vm, args: Args) -> PyResult<Value> {
    round_op(vm, args, "trunc", "__trunc__", f64::trunc)
}

// ---------------------------------------------------------------------------
// Sums, products, norms

/// Shewchuk's exact summation with CPython's final correction for half-way cases.
fn fsum(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let a = exact(vm, &args, "fsum", 1)?.to_vec();
    let items = vm.collect(&a[0])?;
    let mut partials: Vec<f64> = Vec::new();
    let mut special = 0.0f64;
    let mut inf_sum = 0.0f64;
    for it in &items {
        let mut x = to_f(vm, it)?;
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
        return Ok(Value::Float(special));
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
    Ok(Value::Float(hi))
}

fn prod(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let start = args.take_kw("start").unwrap_or(Value::Int(1));
    if args.pos.len() != 1 {
        let msg = format!("prod() takes exactly 1 positional argument ({} given)", args.pos.len());
        return Err(vm.type_error(&msg));
    }
    let items = vm.collect(&args.pos[0])?;
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

fn hypot(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let items = args.pos.to_vec();
    let mut v = Vec::with_capacity(items.len());
    for x in &items {
        v.push(to_f(vm, x)?);
    }
    Ok(Value::Float(vector_norm(&v)))
}

fn dist(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let a = exact(vm, &args, "dist", 2)?.to_vec();
    let p = seq_floats(vm, &a[0])?;
    let q = seq_floats(vm, &a[1])?;
    if p.len() != q.len() {
        return Err(vm.value_error("both points must have the same number of dimensions"));
    }
    let d: Vec<f64> = p.iter().zip(&q).map(|(a, b)| a - b).collect();
    Ok(Value::Float(vector_norm(&d)))
}

fn seq_floats(vm: &mut Vm, v: &Value) -> PyResult<Vec<f64>> {
    if v.as_list().is_none() && v.as_tuple().is_none() {
        return Err(vm.type_error("dist(): argument must be tuple"));
    }
    let items = vm.collect(v)?;
    let mut out = Vec::with_capacity(items.len());
    for x in &items {
        out.push(to_f(vm, x)?);
    }
    Ok(out)
}

fn isclose(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let rel = args.take_kw("rel_tol");
    let abs = args.take_kw("abs_tol");
    let a = args.take(0, "a");
    let b = args.take(1, "b");
    let (Some(a), Some(b)) = (a, b) else {
        return Err(vm.type_error("isclose() missing required argument 'b' (pos 2)"));
    };
    let a = to_f(vm, &a)?;
    let b = to_f(vm, &b)?;
    let rel = match rel {
        Some(v) => to_f(vm, &v)?,
        None => 1e-9,
    };
    let abs = match abs {
        Some(v) => to_f(vm, &v)?,
        None => 0.0,
    };
    if rel < 0.0 || abs < 0.0 {
        return Err(vm.value_error("tolerances must be non-negative"));
    }
    if a == b {
        return Ok(Value::Bool(true));
    }
    if a.is_infinite() || b.is_infinite() {
        return Ok(Value::Bool(false));
    }
    let diff = (b - a).abs();
    Ok(Value::Bool(diff <= (rel * b).abs() || diff <= (rel * a).abs() || diff <= abs))
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

fn factorial(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let a = exact(vm, &args, "factorial", 1)?.to_vec();
    let n = to_int(vm, &a[0])?;
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
            if y + cc == 0 || y + cd == 0 {
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
        if cb == 0 {
            let r = &a % &b;
            a = b;
            b = r;
        } else {
            let na = lin_comb(&a, &b, ca, cb);
            let nb = lin_comb(&a, &b, cc, cd);
            a = na;
            b = nb;
        }
    }
    a
}

/// `p*a + q*b` for cofactors of opposite signs whose result is known non-negative.
fn lin_comb(a: &BigUint, b: &BigUint, p: i128, q: i128) -> BigUint {
    let pa = a * BigUint::from(p.unsigned_abs() as u64);
    let qb = b * BigUint::from(q.unsigned_abs() as u64);
    if p >= 0 {
        pa - qb
    } else {
        qb - pa
    }
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

fn gcd_values(vm: &mut Vm, a: &Value, b: BigInt) -> PyResult<BigInt> {
    let a = to_int(vm, a)?;
    if let (Some(x), Some(y)) = (a.to_i64(), b.to_i64()) {
        return Ok(BigInt::from(gcd_u128(x.unsigned_abs() as u128, y.unsigned_abs() as u128)));
    }
    Ok(BigInt::from(gcd_big(a.magnitude(), b.magnitude())))
}

fn gcd(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let items = args.pos.to_vec();
    let mut g = BigInt::zero();
    for x in &items {
        g = gcd_values(vm, x, g)?;
    }
    if items.len() == 1 {
        // A single argument still has to be an integer and comes back as abs().
        return Ok(normalize(to_int(vm, &items[0])?.abs()));
    }
    Ok(normalize(g))
}

fn lcm(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let items = args.pos.to_vec();
    let mut l = BigInt::one();
    for x in &items {
        let v = to_int(vm, x)?;
        if v.is_zero() || l.is_zero() {
            l = BigInt::zero();
            continue;
        }
        let g = gcd_values(vm, x, l.clone())?;
        l = (&l / g * v).abs();
    }
    Ok(normalize(l))
}

fn isqrt(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let a = exact(vm, &args, "isqrt", 1)?.to_vec();
    let n = to_int(vm, &a[0])?;
    if n.is_negative() {
        return Err(vm.value_error("isqrt() argument must be nonnegative"));
    }
    Ok(normalize(BigInt::from(n.magnitude().sqrt())))
}

fn comb_perm_args(vm: &mut Vm, args: &Args, name: &str, need_k: bool) -> PyResult<(BigInt, Option<BigInt>)> {
    let n_args = args.pos.len();
    if n_args < 1 + need_k as usize || n_args > 2 {
        let msg = if need_k {
            format!("{name} expected 2 arguments, got {n_args}")
        } else if n_args == 0 {
            format!("{name} expected at least 1 argument, got 0")
        } else {
            format!("{name} expected at most 2 arguments, got {n_args}")
        };
        return Err(vm.type_error(&msg));
    }
    let a0 = args.pos[0].clone();
    let n = to_int(vm, &a0)?;
    let k = match args.pos.get(1).cloned() {
        Some(Value::None) | None => None,
        Some(v) => Some(to_int(vm, &v)?),
    };
    if n.is_negative() {
        return Err(vm.value_error("n must be a non-negative integer"));
    }
    if let Some(k) = &k {
        if k.is_negative() {
            return Err(vm.value_error("k must be a non-negative integer"));
        }
    }
    Ok((n, k))
}

/// The product n*(n-1)*...*(n-k+1).
fn falling(n: &BigInt, k: u64) -> BigUint {
    if let Some(nn) = n.to_u64() {
        return product_tree(pack_factors((0..k).map(|i| nn - i)));
    }
    let nm = n.magnitude();
    product_tree((0..k).map(|i| nm - BigUint::from(i)).collect())
}

fn perm(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let (n, k) = comb_perm_args(vm, &args, "perm", false)?;
    let k = k.unwrap_or_else(|| n.clone());
    if k > n {
        return Ok(Value::Int(0));
    }
    let Some(k) = k.to_u64() else {
        return Err(vm.error(Exc::OverflowError, "k must not exceed 9223372036854775807"));
    };
    Ok(normalize(BigInt::from(falling(&n, k))))
}

fn comb(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let (n, k) = comb_perm_args(vm, &args, "comb", true)?;
    let k = k.unwrap_or_default();
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
