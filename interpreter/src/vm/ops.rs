//! Operators: arithmetic on ints (i64 fast path, big ints beyond), floats, sequences
//! and user classes (`__add__`/`__radd__`/`__iadd__`...), comparisons, truthiness,
//! equality and hashing.

use super::{Args, PyResult, Vm};
use crate::native::Exc;
use crate::operator::{BinOp, CmpOp};
use crate::value::int::{hash_bigint, hash_f64, hash_i64, normalize, to_bigint};
use crate::value::{ObjRef, Object, Value};
use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{Signed, ToPrimitive, Zero};

/// The end of CPython's RecursionError message for containers compared while
/// nested too deeply.
const COMPARE_DEPTH: &str = " in comparison";

/// How deep `Value::fast_eq` looks into nested tuples (it recurses on the Rust
/// stack without a VM to count against).
const FAST_EQ_NESTING: u32 = 64;

/// Dunder names for each binary operator: (normal, reflected, in-place).
pub fn op_names(op: BinOp) -> (&'static str, &'static str, &'static str) {
    match op {
        BinOp::Add => ("__add__", "__radd__", "__iadd__"),
        BinOp::Sub => ("__sub__", "__rsub__", "__isub__"),
        BinOp::Mult => ("__mul__", "__rmul__", "__imul__"),
        BinOp::MatMult => ("__matmul__", "__rmatmul__", "__imatmul__"),
        BinOp::Div => ("__truediv__", "__rtruediv__", "__itruediv__"),
        BinOp::Mod => ("__mod__", "__rmod__", "__imod__"),
        BinOp::Pow => ("__pow__", "__rpow__", "__ipow__"),
        BinOp::LShift => ("__lshift__", "__rlshift__", "__ilshift__"),
        BinOp::RShift => ("__rshift__", "__rrshift__", "__irshift__"),
        BinOp::BitOr => ("__or__", "__ror__", "__ior__"),
        BinOp::BitXor => ("__xor__", "__rxor__", "__ixor__"),
        BinOp::BitAnd => ("__and__", "__rand__", "__iand__"),
        BinOp::FloorDiv => ("__floordiv__", "__rfloordiv__", "__ifloordiv__"),
    }
}

/// True when a class attribute found for a dunder is defined in script code (or is
/// any non-native value), so it overrides what a built-in base type's value does; a
/// native found there is the base type's own method (or object's).
#[inline]
pub(crate) fn overrides(f: &Option<Value>) -> bool {
    matches!(f, Some(v) if !matches!(v.obj(), Some(Object::Builtin(_))))
}

enum Num {
    I(i64),
    B(BigInt),
    F(f64),
}

fn as_num(v: &Value) -> Option<Num> {
    match v {
        Value::Int(i) => Some(Num::I(*i)),
        Value::Bool(b) => Some(Num::I(*b as i64)),
        Value::Float(f) => Some(Num::F(*f)),
        Value::Obj(o) => match &**o {
            Object::BigInt(b) => Some(Num::B(b.clone())),
            _ => None,
        },
        _ => None,
    }
}

impl Vm {
    /// `a op b` for built-in values only, without calling any method: None when the
    /// operands are not a built-in combination.
    pub(crate) fn builtin_binary(&mut self, a: &Value, b: &Value, op: BinOp) -> PyResult<Option<Value>> {
        if let (Value::Bool(x), Value::Bool(y)) = (a, b) {
            match op {
                BinOp::BitAnd => return Ok(Some(Value::Bool(*x & *y))),
                BinOp::BitOr => return Ok(Some(Value::Bool(*x | *y))),
                BinOp::BitXor => return Ok(Some(Value::Bool(*x ^ *y))),
                _ => {}
            }
        }
        if let (Some(x), Some(y)) = (as_num(a), as_num(b)) {
            return self.num_op(x, y, op).map(Some);
        }
        self.builtin_seq_op(a, b, op)
    }

    /// `a op b`.
    pub fn binary_op(&mut self, a: Value, b: Value, op: BinOp) -> PyResult<Value> {
        // bool & | ^ bool stays a bool.
        if let (Value::Bool(x), Value::Bool(y)) = (&a, &b) {
            match op {
                BinOp::BitAnd => return Ok(Value::Bool(*x & *y)),
                BinOp::BitOr => return Ok(Value::Bool(*x | *y)),
                BinOp::BitXor => return Ok(Value::Bool(*x ^ *y)),
                _ => {}
            }
        }
        if let (Some(x), Some(y)) = (as_num(&a), as_num(&b)) {
            return self.num_op(x, y, op);
        }
        if let Some(r) = self.builtin_seq_op(&a, &b, op)? {
            return Ok(r);
        }
        self.dunder_binary(a, b, op, false)
    }

    /// `a op= b`: `__iop__` first, then as `a op b`. Lists extend in place.
    pub fn inplace_op(&mut self, a: Value, b: Value, op: BinOp) -> PyResult<Value> {
        if let (Some(x), Some(y)) = (as_num(&a), as_num(&b)) {
            return self.num_op(x, y, op);
        }
        if let Some(l) = a.as_list() {
            match op {
                BinOp::Add => {
                    let items = self.collect(&b)?;
                    l.lock().extend(items);
                    return Ok(a);
                }
                BinOp::Mult => {
                    let len = l.lock().len();
                    let n = self.repeat_count(&b, len, std::mem::size_of::<Value>())?;
                    let mut g = l.lock();
                    let orig: Vec<Value> = g.clone();
                    g.clear();
                    for _ in 0..n {
                        g.extend(orig.iter().cloned());
                    }
                    drop(g);
                    return Ok(a);
                }
                _ => {}
            }
        }
        if let Some(Object::ByteArray(ba)) = a.obj() {
            // `ba += x` and `ba *= n` change the bytearray itself.
            match op {
                BinOp::Add => {
                    let Some(more) = crate::builtins::bytes_like(&b) else {
                        let msg = format!("can't concat {} to bytearray", self.type_name(&b));
                        return Err(self.type_error(&msg));
                    };
                    ba.lock().extend_from_slice(&more);
                    return Ok(a);
                }
                BinOp::Mult if is_int(&b) => {
                    let len = ba.lock().len();
                    let n = self.repeat_count(&b, len, 1)?;
                    let mut g = ba.lock();
                    let rep = g.repeat(n);
                    *g = rep;
                    drop(g);
                    return Ok(a);
                }
                _ => {}
            }
        }
        if let Some(Object::Set(s)) = a.obj() {
            if !s.frozen && matches!(b.obj(), Some(Object::Set(_))) {
                if let Some(r) = self.set_inplace(&a, &b, op)? {
                    return Ok(r);
                }
            }
        }
        if let Some(Object::Dict(_)) = a.obj() {
            if op == BinOp::BitOr {
                self.dict_update_from(&a, &b, false)?;
                return Ok(a);
            }
        }
        if let Some(r) = self.builtin_seq_op(&a, &b, op)? {
            return Ok(r);
        }
        self.dunder_binary(a, b, op, true)
    }

    fn dunder_binary(&mut self, a: Value, b: Value, op: BinOp, inplace: bool) -> PyResult<Value> {
        let (fwd, rev, ip) = op_names(op);
        let not_impl = crate::interp::not_implemented();
        let ca = self.class_of(&a);
        let cb = self.class_of(&b);
        if inplace {
            let f = self.lookup_type_attr(&ca, &crate::value::str::intern(ip));
            // A list, bytearray, set or dict base is updated in place, and the result is the
            // instance itself (as list.__iadd__ returns self).
            if let (false, Some(base)) = (overrides(&f), a.base_value()) {
                if inplace_in_base(base, op) {
                    let base = base.clone();
                    self.inplace_op(base, b.unwrap_base().clone(), op)?;
                    return Ok(a);
                }
            }
            if let Some(f) = f {
                let r = self.call(&f, Args::new([a.clone(), b.clone()]))?;
                if !r.is(&not_impl) {
                    return Ok(r);
                }
            }
        }
        // The reflected method of a subclass of the left type goes first.
        let b_first = !ca.ptr_eq(&cb) && crate::value::class::is_subclass(&cb, &ca);
        let fwd_f = self.lookup_type_attr(&ca, &crate::value::str::intern(fwd));
        let rev_f = if ca.ptr_eq(&cb) { None } else { self.lookup_type_attr(&cb, &crate::value::str::intern(rev)) };
        // The built-in value types' own methods are not called here: their operation
        // on the base values below is the same and needs no call.
        let (fwd_f, rev_f) = (fwd_f.filter(|f| !is_value_method(f)), rev_f.filter(|f| !is_value_method(f)));
        if b_first {
            if let Some(f) = &rev_f {
                let r = self.call(f, Args::new([b.clone(), a.clone()]))?;
                if !r.is(&not_impl) {
                    return Ok(r);
                }
            }
        }
        if let Some(f) = fwd_f {
            let r = self.call(&f, Args::new([a.clone(), b.clone()]))?;
            if !r.is(&not_impl) {
                return Ok(r);
            }
        }
        if !b_first {
            if let Some(f) = rev_f {
                let r = self.call(&f, Args::new([b.clone(), a.clone()]))?;
                if !r.is(&not_impl) {
                    return Ok(r);
                }
            }
        }
        // Instances of classes derived from built-in value types: the operation of
        // the base values (`MyInt(3) + 1` is the int 4, as in CPython).
        if a.base_value().is_some() || b.base_value().is_some() {
            let (ua, ub) = (a.unwrap_base(), b.unwrap_base());
            if let Some(r) = self.builtin_binary(ua, ub, op)? {
                return Ok(r);
            }
        }
        // CPython's messages for sequences concatenated or repeated with the wrong type.
        let seq_kind = |v: &Value| match v.unwrap_base().obj() {
            Some(Object::Str(_)) => Some("str"),
            Some(Object::List(_)) => Some("list"),
            Some(Object::Tuple(_)) => Some("tuple"),
            Some(Object::Bytes(_)) => Some("bytes"),
            Some(Object::ByteArray(_)) => Some("bytearray"),
            _ => None,
        };
        if !inplace || seq_kind(&a) != Some("list") {
            if let Some(k) = seq_kind(&a) {
                if op == BinOp::Add && matches!(k, "bytes" | "bytearray") {
                    // `b'x' + memoryview(...)`: a view adds its bytes.
                    if let (Some(mut data), Some(more)) =
                        (crate::builtins::bytes_like(&a), crate::builtins::memoryview::view_bytes(&b))
                    {
                        data.extend_from_slice(&more);
                        return Ok(if k == "bytes" {
                            crate::builtins::bytes_methods::new_bytes(data)
                        } else {
                            crate::builtins::bytes_methods::new_bytearray(data)
                        });
                    }
                    let msg = format!("can't concat {} to {k}", self.type_name(&b));
                    return Err(self.type_error(&msg));
                }
                if op == BinOp::Add {
                    let msg = format!("can only concatenate {k} (not \"{}\") to {k}", self.type_name(&b));
                    return Err(self.type_error(&msg));
                }
                if op == BinOp::Mult {
                    let msg = format!("can't multiply sequence by non-int of type '{}'", self.type_name(&b));
                    return Err(self.type_error(&msg));
                }
            }
            if op == BinOp::Mult && seq_kind(&b).is_some() {
                let msg = format!("can't multiply sequence by non-int of type '{}'", self.type_name(&a));
                return Err(self.type_error(&msg));
            }
        }
        let sym = if inplace { format!("{}=", op.symbol()) } else { op.symbol().to_string() };
        let sym = if op == BinOp::Pow && !inplace { "** or pow()".to_string() } else { sym };
        let msg =
            format!("unsupported operand type(s) for {}: '{}' and '{}'", sym, self.type_name(&a), self.type_name(&b));
        Err(self.type_error(&msg))
    }

    /// str/list/tuple/bytes concatenation and repetition, `%` formatting, set algebra.
    fn builtin_seq_op(&mut self, a: &Value, b: &Value, op: BinOp) -> PyResult<Option<Value>> {
        let (oa, ob) = (a.obj(), b.obj());
        match (oa, ob, op) {
            (Some(Object::Str(x)), Some(Object::Str(y)), BinOp::Add) => {
                let mut s = String::with_capacity(x.as_str().len() + y.as_str().len());
                s.push_str(x.as_str());
                s.push_str(y.as_str());
                Ok(Some(Value::string(s)))
            }
            (Some(Object::Str(x)), _, BinOp::Mult) if is_int(b) => {
                let n = self.repeat_count(b, x.as_str().len(), 1)?;
                Ok(Some(Value::string(x.as_str().repeat(n))))
            }
            (_, Some(Object::Str(y)), BinOp::Mult) if is_int(a) => {
                let n = self.repeat_count(a, y.as_str().len(), 1)?;
                Ok(Some(Value::string(y.as_str().repeat(n))))
            }
            (Some(Object::Str(_)), _, BinOp::Mod) => Ok(Some(crate::builtins::format::percent_format(self, a, b)?)),
            (Some(Object::Bytes(f)), _, BinOp::Mod) => {
                Ok(Some(crate::builtins::format::percent_format_bytes(self, f, b)?))
            }
            (Some(Object::List(x)), Some(Object::List(y)), BinOp::Add) => {
                let mut v = x.snapshot();
                v.extend(y.snapshot());
                Ok(Some(Value::list(v)))
            }
            (Some(Object::Tuple(x)), Some(Object::Tuple(y)), BinOp::Add) => {
                let mut v = x.items().to_vec();
                v.extend(y.items().iter().cloned());
                Ok(Some(Value::tuple(v)))
            }
            (Some(Object::Bytes(x)), Some(Object::Bytes(y)), BinOp::Add) => {
                let mut v = x.to_vec();
                v.extend_from_slice(y);
                Ok(Some(Value::new(Object::Bytes(v.into_boxed_slice()))))
            }
            // Mixed bytes and bytearray: the result has the left operand's type.
            (
                Some(Object::Bytes(_) | Object::ByteArray(_)),
                Some(Object::Bytes(_) | Object::ByteArray(_)),
                BinOp::Add,
            ) => {
                let mut v = crate::builtins::bytes_like(a).unwrap();
                v.extend(crate::builtins::bytes_like(b).unwrap());
                Ok(Some(match oa {
                    Some(Object::ByteArray(_)) => crate::builtins::bytes_methods::new_bytearray(v),
                    _ => Value::new(Object::Bytes(v.into_boxed_slice())),
                }))
            }
            (Some(Object::ByteArray(x)), _, BinOp::Mult) if is_int(b) => {
                let n = self.repeat_count(b, x.len(), 1)?;
                Ok(Some(crate::builtins::bytes_methods::new_bytearray(x.snapshot().repeat(n))))
            }
            (_, Some(Object::Bytes(_) | Object::ByteArray(_)), BinOp::Mult) if is_int(a) => {
                self.builtin_seq_op(b, a, op)
            }
            (Some(Object::ByteArray(f)), _, BinOp::Mod) => {
                let r = crate::builtins::format::percent_format_bytes(self, &f.snapshot(), b)?;
                Ok(Some(crate::builtins::bytes_methods::new_bytearray(crate::builtins::bytes_like(&r).unwrap())))
            }
            (Some(Object::List(_)) | Some(Object::Tuple(_)) | Some(Object::Bytes(_)), _, BinOp::Mult) if is_int(b) => {
                let n = self.repeat_count(b, seq_len(a), seq_item_size(a))?;
                Ok(Some(repeat_seq(a, n)))
            }
            (_, Some(Object::List(_)) | Some(Object::Tuple(_)), BinOp::Mult) if is_int(a) => {
                let n = self.repeat_count(a, seq_len(b), seq_item_size(b))?;
                Ok(Some(repeat_seq(b, n)))
            }
            (Some(Object::Set(_)), Some(Object::Set(_)), _) => self.set_binary(a, b, op),
            (Some(Object::Dict(_)), Some(Object::Dict(_)), BinOp::BitOr) => {
                let d = self.dict_copy(a)?;
                self.dict_update_from(&d, b, false)?;
                Ok(Some(d))
            }
            _ => Ok(None),
        }
    }

    fn num_op(&mut self, x: Num, y: Num, op: BinOp) -> PyResult<Value> {
        match (x, y) {
            (Num::I(a), Num::I(b)) => self.int_op(a, b, op),
            (Num::F(a), Num::F(b)) => self.float_op(a, b, op),
            (Num::F(a), Num::I(b)) => self.float_op(a, b as f64, op),
            (Num::I(a), Num::F(b)) => self.float_op(a as f64, b, op),
            (Num::F(a), Num::B(b)) => {
                let bf = self.big_to_f64(&b)?;
                self.float_op(a, bf, op)
            }
            (Num::B(a), Num::F(b)) => {
                let af = self.big_to_f64(&a)?;
                self.float_op(af, b, op)
            }
            (Num::I(a), Num::B(b)) => self.big_op(BigInt::from(a), b, op),
            (Num::B(a), Num::I(b)) => self.big_op(a, BigInt::from(b), op),
            (Num::B(a), Num::B(b)) => self.big_op(a, b, op),
        }
    }

    fn big_to_f64(&mut self, b: &BigInt) -> PyResult<f64> {
        match crate::value::int::bigint_to_f64(b) {
            Some(f) => Ok(f),
            None => Err(self.error(Exc::OverflowError, "int too large to convert to float")),
        }
    }

    pub(crate) fn int_op(&mut self, a: i64, b: i64, op: BinOp) -> PyResult<Value> {
        let r = match op {
            BinOp::Add => a.checked_add(b),
            BinOp::Sub => a.checked_sub(b),
            BinOp::Mult => a.checked_mul(b),
            BinOp::FloorDiv => {
                if b == 0 {
                    return Err(self.error(Exc::ZeroDivisionError, "integer division or modulo by zero"));
                }
                a.checked_div_euclid(b).map(|_| num_integer::Integer::div_floor(&a, &b))
            }
            BinOp::Mod => {
                if b == 0 {
                    return Err(self.error(Exc::ZeroDivisionError, "integer modulo by zero"));
                }
                a.checked_rem(b).map(|_| a.mod_floor(&b))
            }
            BinOp::Div => {
                if b == 0 {
                    return Err(self.error(Exc::ZeroDivisionError, "division by zero"));
                }
                if a.unsigned_abs() < (1 << 53) && b.unsigned_abs() < (1 << 53) {
                    return Ok(Value::Float(a as f64 / b as f64));
                }
                return self.big_op(BigInt::from(a), BigInt::from(b), op);
            }
            BinOp::Pow => {
                if b < 0 {
                    if a == 0 {
                        return Err(self.error(Exc::ZeroDivisionError, "0.0 cannot be raised to a negative power"));
                    }
                    return Ok(Value::Float((a as f64).powf(b as f64)));
                }
                if b <= u32::MAX as i64 {
                    a.checked_pow(b as u32)
                } else {
                    None
                }
            }
            BinOp::LShift => {
                if b < 0 {
                    return Err(self.value_error("negative shift count"));
                }
                if a == 0 {
                    Some(0)
                } else if b < 63 && (a.unsigned_abs().leading_zeros() as i64) > b + 1 {
                    Some(a << b)
                } else {
                    None
                }
            }
            BinOp::RShift => {
                if b < 0 {
                    return Err(self.value_error("negative shift count"));
                }
                Some(if b >= 64 {
                    if a < 0 {
                        -1
                    } else {
                        0
                    }
                } else {
                    a >> b
                })
            }
            BinOp::BitAnd => Some(a & b),
            BinOp::BitOr => Some(a | b),
            BinOp::BitXor => Some(a ^ b),
            BinOp::MatMult => {
                return Err(self.type_error("unsupported operand type(s) for @: 'int' and 'int'"));
            }
        };
        match r {
            Some(v) => Ok(Value::Int(v)),
            None => self.big_op(BigInt::from(a), BigInt::from(b), op),
        }
    }

    pub(crate) fn big_op(&mut self, a: BigInt, b: BigInt, op: BinOp) -> PyResult<Value> {
        Ok(match op {
            BinOp::Add => normalize(a + b),
            BinOp::Sub => normalize(a - b),
            BinOp::Mult => normalize(a * b),
            BinOp::FloorDiv => {
                if b.is_zero() {
                    return Err(self.error(Exc::ZeroDivisionError, "integer division or modulo by zero"));
                }
                normalize(a.div_floor(&b))
            }
            BinOp::Mod => {
                if b.is_zero() {
                    return Err(self.error(Exc::ZeroDivisionError, "integer modulo by zero"));
                }
                normalize(a.mod_floor(&b))
            }
            BinOp::Div => {
                if b.is_zero() {
                    return Err(self.error(Exc::ZeroDivisionError, "division by zero"));
                }
                Value::Float(self.big_true_div(&a, &b)?)
            }
            BinOp::Pow => {
                if b.is_negative() {
                    let af = self.big_to_f64(&a)?;
                    let bf = b.to_f64().unwrap_or(f64::NEG_INFINITY);
                    if af == 0.0 {
                        return Err(self.error(Exc::ZeroDivisionError, "0.0 cannot be raised to a negative power"));
                    }
                    return Ok(Value::Float(af.powf(bf)));
                }
                match b.to_u32() {
                    Some(e) => {
                        if a.bits() > 1 {
                            // |a| ** e has about bits(a) * e bits.
                            self.check_alloc((a.bits() as usize - 1).saturating_mul(e as usize) / 8, 1)?;
                        }
                        normalize(num_traits::Pow::pow(&a, e))
                    }
                    None => {
                        if a.is_zero() || a == BigInt::from(1) {
                            normalize(a)
                        } else if a == BigInt::from(-1) {
                            normalize(if b.is_even() { BigInt::from(1) } else { a })
                        } else {
                            return Err(self.error(Exc::MemoryError, ""));
                        }
                    }
                }
            }
            BinOp::LShift => {
                if b.is_negative() {
                    return Err(self.value_error("negative shift count"));
                }
                match b.to_usize() {
                    Some(s) => {
                        if !a.is_zero() {
                            // The result's size is known before shifting: refuse what cannot fit.
                            self.check_alloc((a.bits() as usize).saturating_add(s) / 8 + 1, 1)?;
                        }
                        normalize(a << s)
                    }
                    None => return Err(self.error(Exc::OverflowError, "too many digits in integer")),
                }
            }
            BinOp::RShift => {
                if b.is_negative() {
                    return Err(self.value_error("negative shift count"));
                }
                match b.to_usize() {
                    Some(s) => normalize(a >> s),
                    None => Value::Int(if a.is_negative() { -1 } else { 0 }),
                }
            }
            BinOp::BitAnd => normalize(a & b),
            BinOp::BitOr => normalize(a | b),
            BinOp::BitXor => normalize(a ^ b),
            BinOp::MatMult => return Err(self.type_error("unsupported operand type(s) for @: 'int' and 'int'")),
        })
    }

    /// Correctly rounded int / int for operands beyond 2**53.
    fn big_true_div(&mut self, a: &BigInt, b: &BigInt) -> PyResult<f64> {
        let (fa, fb) = (a.to_f64(), b.to_f64());
        if let (Some(x), Some(y)) = (fa, fb) {
            if x.is_finite() && y.is_finite() && x.abs() < 9.007199254740992e15 && y.abs() < 9.007199254740992e15 {
                return Ok(x / y);
            }
        }
        // Scale so the quotient has 64+ significant bits, divide exactly, convert.
        let neg = a.is_negative() != b.is_negative();
        let (a, b) = (a.abs(), b.abs());
        let shift = b.bits() as i64 - a.bits() as i64 + 66;
        let (n, d) = if shift > 0 { (a << shift as usize, b) } else { (a, b << (-shift) as usize) };
        let (q, r) = n.div_rem(&d);
        let q = if r.is_zero() { q } else { (q << 1usize) | BigInt::from(1) };
        let extra = if r.is_zero() { 0 } else { 1 };
        let f = q.to_f64().unwrap_or(f64::INFINITY);
        let e = -(shift + extra);
        let r = if e < -1074 - 64 { 0.0 } else { f * 2f64.powi(e as i32) };
        if r.is_infinite() {
            return Err(self.error(Exc::OverflowError, "integer division result too large for a float"));
        }
        Ok(if neg { -r } else { r })
    }

    pub(crate) fn float_op(&mut self, a: f64, b: f64, op: BinOp) -> PyResult<Value> {
        Ok(Value::Float(match op {
            BinOp::Add => a + b,
            BinOp::Sub => a - b,
            BinOp::Mult => a * b,
            BinOp::Div => {
                if b == 0.0 {
                    return Err(self.error(Exc::ZeroDivisionError, "float division by zero"));
                }
                a / b
            }
            BinOp::FloorDiv => {
                if b == 0.0 {
                    return Err(self.error(Exc::ZeroDivisionError, "float floor division by zero"));
                }
                float_divmod(a, b).0
            }
            BinOp::Mod => {
                if b == 0.0 {
                    return Err(self.error(Exc::ZeroDivisionError, "float modulo"));
                }
                float_divmod(a, b).1
            }
            BinOp::Pow => {
                if a == 0.0 && b < 0.0 {
                    return Err(self.error(Exc::ZeroDivisionError, "0.0 cannot be raised to a negative power"));
                }
                if a < 0.0 && b.fract() != 0.0 && b.is_finite() {
                    return Err(self.error(Exc::NotImplementedError, "complex numbers are not supported"));
                }
                let r = a.powf(b);
                if r.is_infinite() && a.is_finite() && b.is_finite() {
                    return Err(self.error(Exc::OverflowError, "(34, 'Numerical result out of range')"));
                }
                r
            }
            _ => {
                let msg = format!("unsupported operand type(s) for {}: 'float' and 'float'", op.symbol());
                return Err(self.type_error(&msg));
            }
        }))
    }

    pub fn unary_neg(&mut self, a: Value) -> PyResult<Value> {
        match &a {
            Value::Int(i) => Ok(match i.checked_neg() {
                Some(n) => Value::Int(n),
                None => normalize(-BigInt::from(*i)),
            }),
            Value::Bool(b) => Ok(Value::Int(-(*b as i64))),
            Value::Float(f) => Ok(Value::Float(-f)),
            Value::Obj(o) => match &**o {
                Object::BigInt(b) => Ok(normalize(-b.clone())),
                _ => self.unary_dunder(a, "__neg__", "-"),
            },
            _ => self.unary_dunder(a, "__neg__", "-"),
        }
    }

    pub fn unary_pos(&mut self, a: Value) -> PyResult<Value> {
        match &a {
            Value::Int(_) | Value::Float(_) => Ok(a),
            Value::Bool(b) => Ok(Value::Int(*b as i64)),
            Value::Obj(o) if matches!(&**o, Object::BigInt(_)) => Ok(a),
            _ => self.unary_dunder(a, "__pos__", "+"),
        }
    }

    pub fn unary_invert(&mut self, a: Value) -> PyResult<Value> {
        match &a {
            Value::Int(i) => Ok(Value::Int(!i)),
            Value::Bool(b) => Ok(Value::Int(!(*b as i64))),
            Value::Obj(o) => match &**o {
                Object::BigInt(b) => Ok(normalize(-(b.clone()) - 1)),
                _ => self.unary_dunder(a, "__invert__", "~"),
            },
            _ => self.unary_dunder(a, "__invert__", "~"),
        }
    }

    fn unary_dunder(&mut self, a: Value, name: &str, sym: &str) -> PyResult<Value> {
        let cls = self.class_of(&a);
        let f = self.lookup_type_attr(&cls, &crate::value::str::intern(name));
        if !overrides(&f) {
            if let Some(base) = a.base_value() {
                let base = base.clone();
                return match name {
                    "__neg__" => self.unary_neg(base),
                    "__pos__" => self.unary_pos(base),
                    _ => self.unary_invert(base),
                };
            }
        }
        match f {
            Some(f) => self.call(&f, Args::new([a])),
            None => {
                let msg = format!("bad operand type for unary {}: '{}'", sym, self.type_name(&a));
                Err(self.type_error(&msg))
            }
        }
    }

    /// Truthiness (`bool(v)`).
    pub fn truthy(&mut self, v: &Value) -> PyResult<bool> {
        Ok(match v {
            Value::Null | Value::None => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Obj(o) => match &**o {
                Object::Str(s) => !s.as_str().is_empty(),
                Object::BigInt(b) => !b.is_zero(),
                Object::Tuple(t) => !t.is_empty(),
                Object::List(l) => !l.is_empty(),
                Object::Dict(d) => !d.is_empty(),
                Object::Set(s) => !s.is_empty(),
                Object::Bytes(b) => !b.is_empty(),
                Object::ByteArray(b) => !b.is_empty(),
                Object::Range(r) => !r.is_empty(),
                Object::BigRange(r) => !r.len.is_zero(),
                Object::Instance(inst) => {
                    let cls = self.class_of(v);
                    let names = crate::interp::names();
                    if let Some(base) = inst.base_value() {
                        let fb = self.lookup_type_attr(&cls, &names.__bool__);
                        let fl = self.lookup_type_attr(&cls, &names.__len__);
                        if !overrides(&fb) && !overrides(&fl) {
                            return self.truthy(base);
                        }
                    }
                    if let Some(f) = self.lookup_type_attr(&cls, &names.__bool__) {
                        let r = self.call(&f, Args::new([v.clone()]))?;
                        match r {
                            Value::Bool(b) => b,
                            _ => {
                                let msg = format!("__bool__ should return bool, returned {}", self.type_name(&r));
                                return Err(self.type_error(&msg));
                            }
                        }
                    } else if let Some(f) = self.lookup_type_attr(&cls, &names.__len__) {
                        let r = self.call(&f, Args::new([v.clone()]))?;
                        self.index_value(&r)? != 0
                    } else {
                        true
                    }
                }
                _ => true,
            },
        })
    }

    /// `a == b` as a bool.
    pub fn eq(&mut self, a: &Value, b: &Value) -> PyResult<bool> {
        // Containers treat identity as equality (so `nan in [nan]`), as CPython does.
        if a.is(b) {
            return Ok(true);
        }
        if let Some(r) = a.fast_eq(b) {
            return Ok(r);
        }
        let r = self.compare(a, b, CmpOp::Eq)?;
        self.truthy(&r)
    }

    /// Rich comparison `a op b`.
    pub fn compare(&mut self, a: &Value, b: &Value, op: CmpOp) -> PyResult<Value> {
        match op {
            CmpOp::Is => return Ok(Value::Bool(a.is(b))),
            CmpOp::IsNot => return Ok(Value::Bool(!a.is(b))),
            CmpOp::In => return Ok(Value::Bool(self.contains(b, a)?)),
            CmpOp::NotIn => return Ok(Value::Bool(!self.contains(b, a)?)),
            _ => {}
        }
        if let Some(ord) = self.builtin_order(a, b, op)? {
            return Ok(Value::Bool(ord));
        }
        let (name, rname) = match op {
            CmpOp::Eq => ("__eq__", "__eq__"),
            CmpOp::NotEq => ("__ne__", "__ne__"),
            CmpOp::Lt => ("__lt__", "__gt__"),
            CmpOp::LtE => ("__le__", "__ge__"),
            CmpOp::Gt => ("__gt__", "__lt__"),
            CmpOp::GtE => ("__ge__", "__le__"),
            _ => unreachable!(),
        };
        let not_impl = crate::interp::not_implemented();
        let ca = self.class_of(a);
        let cb = self.class_of(b);
        let b_first = !ca.ptr_eq(&cb) && crate::value::class::is_subclass(&cb, &ca);
        let fa = self.user_method(&ca, name);
        let fb = self.user_method(&cb, rname);
        if b_first {
            if let Some(f) = &fb {
                let r = self.call(f, Args::new([b.clone(), a.clone()]))?;
                if !r.is(&not_impl) {
                    return Ok(r);
                }
            }
        }
        if let Some(f) = fa {
            let r = self.call(&f, Args::new([a.clone(), b.clone()]))?;
            if !r.is(&not_impl) {
                return Ok(r);
            }
        }
        if !b_first {
            if let Some(f) = fb {
                let r = self.call(&f, Args::new([b.clone(), a.clone()]))?;
                if !r.is(&not_impl) {
                    return Ok(r);
                }
            }
        }
        // Instances of classes derived from built-in value types compare as their
        // base values where the class does not say otherwise.
        if a.base_value().is_some() || b.base_value().is_some() {
            let (ua, ub) = (a.unwrap_base(), b.unwrap_base());
            if let Some(ord) = self.builtin_order(ua, ub, op)? {
                return Ok(Value::Bool(ord));
            }
        }
        match op {
            CmpOp::Eq => Ok(Value::Bool(a.is(b))),
            CmpOp::NotEq => {
                // Default __ne__ inverts __eq__.
                if let Some(f) = self.user_method(&ca, "__eq__") {
                    let r = self.call(&f, Args::new([a.clone(), b.clone()]))?;
                    if !r.is(&not_impl) {
                        return Ok(Value::Bool(!self.truthy(&r)?));
                    }
                }
                Ok(Value::Bool(!a.is(b)))
            }
            _ => {
                let sym = match op {
                    CmpOp::Lt => "<",
                    CmpOp::LtE => "<=",
                    CmpOp::Gt => ">",
                    _ => ">=",
                };
                let msg = format!(
                    "'{}' not supported between instances of '{}' and '{}'",
                    sym,
                    self.type_name(a),
                    self.type_name(b)
                );
                Err(self.type_error(&msg))
            }
        }
    }

    /// A comparison method defined by a class written in conc (not object's default).
    fn user_method(&mut self, cls: &ObjRef, name: &str) -> Option<Value> {
        let f = self.lookup_type_attr(cls, &crate::value::str::intern(name))?;
        match f.obj() {
            // object's defaults and the built-in value types' methods are handled by
            // the fallbacks below; native comparison methods of other classes (dict
            // views, struct_time, ...) are used.
            Some(Object::Builtin(b)) if b.unwrap_self || b.qualname.starts_with("object.") => None,
            _ => Some(f),
        }
    }

    /// Comparisons of built-in values; None when the operands are not both built-in
    /// comparable kinds.
    pub(crate) fn builtin_order(&mut self, a: &Value, b: &Value, op: CmpOp) -> PyResult<Option<bool>> {
        use std::cmp::Ordering as O;
        let ord = match (a, b) {
            _ if as_num(a).is_some() && as_num(b).is_some() => num_cmp(a, b),
            (Value::Obj(x), Value::Obj(y)) => match (&**x, &**y) {
                (Object::Str(s), Object::Str(t)) => Some(s.as_str().cmp(t.as_str())),
                (Object::Bytes(s), Object::Bytes(t)) => Some(s.cmp(t)),
                (Object::ByteArray(_), Object::Bytes(_) | Object::ByteArray(_))
                | (Object::Bytes(_), Object::ByteArray(_)) => {
                    let (s, t) = (crate::builtins::bytes_like(a).unwrap(), crate::builtins::bytes_like(b).unwrap());
                    Some(s.cmp(&t))
                }
                (Object::List(_), Object::List(_)) | (Object::Tuple(_), Object::Tuple(_)) => {
                    let xs = seq_items(a);
                    let ys = seq_items(b);
                    self.enter_native_recursion(COMPARE_DEPTH)?;
                    let r = self.seq_compare(&xs, &ys, op);
                    self.leave_native_recursion();
                    return r.map(Some);
                }
                (Object::Set(_), Object::Set(_)) => return self.set_compare(a, b, op),
                (Object::Dict(_), Object::Dict(_)) if matches!(op, CmpOp::Eq | CmpOp::NotEq) => {
                    self.enter_native_recursion(COMPARE_DEPTH)?;
                    let e = self.dict_eq(a, b);
                    self.leave_native_recursion();
                    let e = e?;
                    return Ok(Some(if op == CmpOp::Eq { e } else { !e }));
                }
                (Object::Range(_) | Object::BigRange(_), Object::Range(_) | Object::BigRange(_))
                    if matches!(op, CmpOp::Eq | CmpOp::NotEq) =>
                {
                    let e = crate::value::range::range_eq(x, y).unwrap_or(false);
                    return Ok(Some(if op == CmpOp::Eq { e } else { !e }));
                }
                _ => return Ok(None),
            },
            (Value::None, Value::None) => Some(O::Equal),
            _ => return Ok(None),
        };
        Ok(match ord {
            Some(o) => Some(match op {
                CmpOp::Eq => o == O::Equal,
                CmpOp::NotEq => o != O::Equal,
                CmpOp::Lt => o == O::Less,
                CmpOp::LtE => o != O::Greater,
                CmpOp::Gt => o == O::Greater,
                CmpOp::GtE => o != O::Less,
                _ => false,
            }),
            // NaN: every order comparison is false, != is true.
            None if as_num(a).is_some() && as_num(b).is_some() => Some(op == CmpOp::NotEq),
            None if matches!((a, b), (Value::None, Value::None)) => Some(op == CmpOp::Eq),
            None => None,
        })
    }

    fn seq_compare(&mut self, xs: &[Value], ys: &[Value], op: CmpOp) -> PyResult<bool> {
        let n = xs.len().min(ys.len());
        for i in 0..n {
            if !self.eq(&xs[i], &ys[i])? {
                return match op {
                    CmpOp::Eq => Ok(false),
                    CmpOp::NotEq => Ok(true),
                    _ => {
                        let r = self.compare(&xs[i], &ys[i], op)?;
                        self.truthy(&r)
                    }
                };
            }
        }
        let (lx, ly) = (xs.len(), ys.len());
        Ok(match op {
            CmpOp::Eq => lx == ly,
            CmpOp::NotEq => lx != ly,
            CmpOp::Lt => lx < ly,
            CmpOp::LtE => lx <= ly,
            CmpOp::Gt => lx > ly,
            CmpOp::GtE => lx >= ly,
            _ => false,
        })
    }

    /// `item in container`.
    pub fn contains(&mut self, container: &Value, item: &Value) -> PyResult<bool> {
        if let Value::Obj(o) = container {
            match &**o {
                Object::Str(s) => {
                    return match item.as_str() {
                        Some(t) => Ok(s.as_str().contains(t.as_str())),
                        None => {
                            let msg =
                                format!("'in <string>' requires string as left operand, not {}", self.type_name(item));
                            Err(self.type_error(&msg))
                        }
                    }
                }
                Object::Dict(_) => return Ok(self.dict_get(container, item)?.is_some()),
                Object::Set(_) => return self.set_contains(container, item),
                Object::List(l) => {
                    let mut i = 0;
                    loop {
                        let v = match l.get(i) {
                            Some(v) => v,
                            None => return Ok(false),
                        };
                        if self.eq(&v, item)? {
                            return Ok(true);
                        }
                        i += 1;
                    }
                }
                Object::Tuple(t) => {
                    for v in t.items() {
                        if self.eq(v, item)? {
                            return Ok(true);
                        }
                    }
                    return Ok(false);
                }
                Object::Range(r) => {
                    if let Value::Int(i) = item {
                        let (s, e, st) = (r.start, r.stop, r.step);
                        let inside = if st > 0 { *i >= s && *i < e } else { *i <= s && *i > e };
                        return Ok(inside && (*i as i128 - s as i128) % st as i128 == 0);
                    }
                    if let Some(x) = exact_int(item) {
                        let (s, _, st, n) = crate::value::range::range_parts(o).unwrap();
                        return Ok(crate::value::range::range_position(&s, &st, &n, &x).is_some());
                    }
                }
                Object::BigRange(r) => {
                    if let Some(x) = exact_int(item) {
                        return Ok(crate::value::range::range_position(&r.start, &r.step, &r.len, &x).is_some());
                    }
                }
                Object::Bytes(_) | Object::ByteArray(_) => {
                    let b = crate::builtins::bytes_like(container).unwrap();
                    if let Value::Int(_) | Value::Bool(_) = item {
                        let x = crate::builtins::bytes_methods::byte_value(self, item)?;
                        return Ok(b.contains(&x));
                    }
                    if let Some(n) = crate::builtins::bytes_like(item) {
                        return Ok(n.is_empty() || b.windows(n.len()).any(|w| w == &n[..]));
                    }
                    let msg = format!("a bytes-like object is required, not '{}'", self.type_name(item));
                    return Err(self.type_error(&msg));
                }
                Object::Instance(inst) => {
                    let cls = self.class_of(container);
                    let f = self.lookup_type_attr(&cls, &crate::interp::names().__contains__);
                    if let (false, Some(base)) = (overrides(&f), inst.base_value()) {
                        return self.contains(base, item);
                    }
                    if let Some(f) = f {
                        let r = self.call(&f, Args::new([container.clone(), item.clone()]))?;
                        return self.truthy(&r);
                    }
                }
                Object::Class(c) if c.meta.is_some() => {
                    let f = self.lookup_type_attr(c.meta.as_ref().unwrap(), &crate::interp::names().__contains__);
                    if let Some(f) = f.filter(|f| !f.is_none()) {
                        let r = self.call(&f, Args::new([container.clone(), item.clone()]))?;
                        return self.truthy(&r);
                    }
                }
                _ => {}
            }
        }
        // Fall back to iteration.
        let it = match self.get_iter(container) {
            Ok(it) => it,
            Err(_) => {
                let msg = format!("argument of type '{}' is not iterable", self.type_name(container));
                return Err(self.type_error(&msg));
            }
        };
        while let Some(v) = self.iter_next(&it)? {
            if self.eq(&v, item)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// `hash(v)`.
    pub fn hash(&mut self, v: &Value) -> PyResult<i64> {
        Ok(match v {
            Value::Null | Value::None => 0xFCA86420,
            Value::Bool(b) => *b as i64,
            Value::Int(i) => hash_i64(*i),
            Value::Float(f) => hash_f64(*f),
            Value::Obj(o) => match &**o {
                Object::Str(s) => s.hash(),
                Object::BigInt(b) => hash_bigint(b),
                Object::Tuple(t) => {
                    let mut hs = Vec::with_capacity(t.len());
                    self.enter_native_recursion("")?;
                    for item in t.items() {
                        match self.hash(item) {
                            Ok(h) => hs.push(h),
                            Err(e) => {
                                self.leave_native_recursion();
                                return Err(e);
                            }
                        }
                    }
                    self.leave_native_recursion();
                    crate::value::tuple::tuple_hash(hs.into_iter())
                }
                Object::Bytes(b) => crate::value::str::hash_str(&String::from_utf8_lossy(b)),
                Object::Range(_) | Object::BigRange(_) => {
                    // As CPython: the hash of (len, start, step), with None for the
                    // parts that do not decide equality.
                    let (start, _, step, len) = crate::value::range::range_parts(o).unwrap();
                    let h = |b: &BigInt| hash_bigint(b);
                    let none = 0xFCA86420;
                    let parts = if len.is_zero() {
                        [h(&len), none, none]
                    } else if len == BigInt::from(1) {
                        [h(&len), h(&start), none]
                    } else {
                        [h(&len), h(&start), h(&step)]
                    };
                    crate::value::tuple::tuple_hash(parts.into_iter())
                }
                Object::Set(s) if s.frozen => {
                    let mut h: u64 = 0;
                    for e in s.lock().iter() {
                        let x = e.hash as u64;
                        h ^= (x ^ (x << 16) ^ 89869747).wrapping_mul(3644798167);
                    }
                    (h ^ (s.len() as u64 + 1).wrapping_mul(1927868237)) as i64
                }
                Object::List(_) | Object::Dict(_) | Object::Set(_) | Object::ByteArray(_) => {
                    let msg = format!("unhashable type: '{}'", self.type_name(v));
                    return Err(self.type_error(&msg));
                }
                Object::Instance(inst) => {
                    let cls = self.class_of(v);
                    let f = self.lookup_type_attr(&cls, &crate::interp::names().__hash__);
                    if let (false, Some(base)) = (overrides(&f), inst.base_value()) {
                        return self.hash(base);
                    }
                    match f {
                        Some(Value::None) => {
                            let msg = format!("unhashable type: '{}'", self.type_name(v));
                            return Err(self.type_error(&msg));
                        }
                        // Any `__hash__` but object's own: a script's, or a native
                        // class's (memoryview, re.Pattern).
                        Some(f) if !matches!(f.obj(), Some(Object::Builtin(b)) if b.qualname == "object.__hash__") => {
                            let r = self.call(&f, Args::new([v.clone()]))?;
                            match r {
                                Value::Int(i) => {
                                    if i == -1 {
                                        -2
                                    } else {
                                        i
                                    }
                                }
                                Value::Bool(b) => b as i64,
                                Value::Obj(ref o) if matches!(&**o, Object::BigInt(_)) => {
                                    hash_bigint(&to_bigint(&r).unwrap_or_default())
                                }
                                _ => return Err(self.type_error("__hash__ method should return an integer")),
                            }
                        }
                        _ => pointer_hash(o.addr()),
                    }
                }
                _ => pointer_hash(o.addr()),
            },
        })
    }

    /// An int-like value as i64 (`__index__`), for indices and counts.
    /// The count of a repetition `seq * count` (negative counts as zero), refused
    /// with MemoryError when `len` items of `item_size` bytes repeated that often
    /// cannot be allocated.
    pub fn repeat_count(&mut self, count: &Value, len: usize, item_size: usize) -> PyResult<usize> {
        let n = self.index_value(count)?.max(0) as usize;
        self.check_alloc(n, len.saturating_mul(item_size))?;
        Ok(n)
    }

    pub fn index_value(&mut self, v: &Value) -> PyResult<i64> {
        match v {
            Value::Int(i) => Ok(*i),
            Value::Bool(b) => Ok(*b as i64),
            Value::Obj(o) if matches!(&**o, Object::BigInt(_)) => {
                Err(self.error(Exc::OverflowError, "cannot fit 'int' into an index-sized integer"))
            }
            _ => {
                let cls = self.class_of(v);
                // An int subclass instance is its int value: CPython's PyNumber_Index
                // does not call its __index__.
                if let Some(base) = v.base_value() {
                    if matches!(base, Value::Int(_) | Value::Bool(_)) || matches!(base.obj(), Some(Object::BigInt(_))) {
                        return self.index_value(base);
                    }
                }
                let f = self.lookup_type_attr(&cls, &crate::value::str::intern("__index__"));
                if let Some(f) = f {
                    let r = self.call(&f, Args::new([v.clone()]))?;
                    if let Value::Int(i) = r {
                        return Ok(i);
                    }
                }
                let msg = format!("'{}' object cannot be interpreted as an integer", self.type_name(v));
                Err(self.type_error(&msg))
            }
        }
    }

    /// `operator.index(v)` without a size limit (range bounds, big indices).
    pub fn index_value_big(&mut self, v: &Value) -> PyResult<BigInt> {
        if let Some(b) = crate::value::int::to_bigint(v) {
            return Ok(b);
        }
        let cls = self.class_of(v);
        if let Some(f) = self.lookup_type_attr(&cls, &crate::value::str::intern("__index__")) {
            let r = self.call(&f, Args::new([v.clone()]))?;
            if let Some(b) = crate::value::int::to_bigint(&r) {
                return Ok(b);
            }
            let msg = format!("__index__ returned non-int (type {})", self.type_name(&r));
            return Err(self.type_error(&msg));
        }
        let msg = format!("'{}' object cannot be interpreted as an integer", self.type_name(v));
        Err(self.type_error(&msg))
    }
}

/// A method of a built-in value type (int.__add__, list.__eq__, ...).
fn is_value_method(f: &Value) -> bool {
    matches!(f.obj(), Some(Object::Builtin(b)) if b.unwrap_self)
}

/// Whether `base op= x` updates a built-in base value in place (list `+=` and `*=`,
/// set `|= &= -= ^=`, dict `|=`).
fn inplace_in_base(base: &Value, op: BinOp) -> bool {
    match base.obj() {
        Some(Object::List(_) | Object::ByteArray(_)) => matches!(op, BinOp::Add | BinOp::Mult),
        Some(Object::Set(s)) => !s.frozen && matches!(op, BinOp::BitOr | BinOp::BitAnd | BinOp::Sub | BinOp::BitXor),
        Some(Object::Dict(_)) => op == BinOp::BitOr,
        _ => false,
    }
}

fn is_int(v: &Value) -> bool {
    matches!(v, Value::Int(_) | Value::Bool(_)) || matches!(v.obj(), Some(Object::BigInt(_)))
}

/// The length of a list, tuple or bytes (what [`repeat_seq`] repeats).
fn seq_len(v: &Value) -> usize {
    match v.obj() {
        Some(Object::List(l)) => l.len(),
        Some(Object::Tuple(t)) => t.len(),
        Some(Object::Bytes(b)) => b.len(),
        _ => 0,
    }
}

/// The bytes one item of `v` takes in a repetition of it.
fn seq_item_size(v: &Value) -> usize {
    match v.obj() {
        Some(Object::Bytes(_)) => 1,
        _ => std::mem::size_of::<Value>(),
    }
}

fn repeat_seq(v: &Value, n: usize) -> Value {
    match v.obj() {
        Some(Object::List(l)) => {
            let items = l.snapshot();
            let mut out = Vec::with_capacity(items.len() * n);
            for _ in 0..n {
                out.extend(items.iter().cloned());
            }
            Value::list(out)
        }
        Some(Object::Tuple(t)) => {
            let mut out = Vec::with_capacity(t.len() * n);
            for _ in 0..n {
                out.extend(t.items().iter().cloned());
            }
            Value::tuple(out)
        }
        Some(Object::Bytes(b)) => Value::new(Object::Bytes(b.repeat(n).into_boxed_slice())),
        _ => Value::None,
    }
}

pub(crate) fn seq_items(v: &Value) -> Vec<Value> {
    match v.obj() {
        Some(Object::List(l)) => l.snapshot(),
        Some(Object::Tuple(t)) => t.items().to_vec(),
        _ => Vec::new(),
    }
}

/// Python's float divmod: the floor quotient and a remainder with the divisor's sign.
pub fn float_divmod(a: f64, b: f64) -> (f64, f64) {
    let mut m = a % b;
    let mut div = (a - m) / b;
    if m != 0.0 {
        if (b < 0.0) != (m < 0.0) {
            m += b;
            div -= 1.0;
        }
    } else {
        m = 0.0f64.copysign(b);
    }
    let floordiv = if div != 0.0 {
        let mut f = div.floor();
        if div - f > 0.5 {
            f += 1.0;
        }
        f
    } else {
        0.0f64.copysign(a / b)
    };
    (floordiv, m)
}

/// CPython's hash for objects without `__hash__`: the address rotated by 4 bits.
pub fn pointer_hash(addr: usize) -> i64 {
    let y = addr.rotate_right(4) as i64;
    if y == -1 {
        -2
    } else {
        y
    }
}

/// Exact comparison of two numbers (int, big int, float, bool); None for NaN.
pub fn num_cmp(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    use std::cmp::Ordering as O;
    match (as_num(a)?, as_num(b)?) {
        (Num::I(x), Num::I(y)) => Some(x.cmp(&y)),
        (Num::F(x), Num::F(y)) => x.partial_cmp(&y),
        (Num::B(x), Num::B(y)) => Some(x.cmp(&y)),
        (Num::I(x), Num::B(y)) => Some(BigInt::from(x).cmp(&y)),
        (Num::B(x), Num::I(y)) => Some(x.cmp(&BigInt::from(y))),
        (Num::I(x), Num::F(y)) => int_float_cmp(&BigInt::from(x), y),
        (Num::B(x), Num::F(y)) => int_float_cmp(&x, y),
        (Num::F(x), Num::I(y)) => int_float_cmp(&BigInt::from(y), x).map(O::reverse),
        (Num::F(x), Num::B(y)) => int_float_cmp(&y, x).map(O::reverse),
    }
}

fn int_float_cmp(i: &BigInt, f: f64) -> Option<std::cmp::Ordering> {
    use std::cmp::Ordering as O;
    if f.is_nan() {
        return None;
    }
    if f.is_infinite() {
        return Some(if f > 0.0 { O::Less } else { O::Greater });
    }
    if let Some(x) = i.to_i64() {
        if x.unsigned_abs() < (1 << 53) {
            return (x as f64).partial_cmp(&f);
        }
    }
    let fl = f.floor();
    let fi = crate::value::int::f64_to_bigint(fl).unwrap_or_default();
    match i.cmp(&fi) {
        O::Equal => {
            if f > fl {
                Some(O::Less)
            } else {
                Some(O::Equal)
            }
        }
        o => Some(o),
    }
}

impl Value {
    /// Equality without running script code: Some(answer) for built-in values, None
    /// when `__eq__` of a class written in conc may be involved. Identity counts as
    /// equality, as containers (dict and set lookups, `in`, `count`) need: an
    /// unboxed float is identical to one with the same bits, so `{nan: 1}[nan]`
    /// finds the key as CPython does.
    pub fn fast_eq(&self, other: &Value) -> Option<bool> {
        self.fast_eq_within(other, FAST_EQ_NESTING)
    }

    /// `fast_eq` looking at most `nesting` tuples deep: deeper ones are left to the
    /// comparison that runs code (None), which counts its recursion.
    fn fast_eq_within(&self, other: &Value, nesting: u32) -> Option<bool> {
        match (self, other) {
            (Value::Float(a), Value::Float(b)) => Some(a == b || a.to_bits() == b.to_bits()),
            (Value::Obj(a), Value::Obj(b)) => {
                if a.ptr_eq(b) {
                    return Some(true);
                }
                match (&**a, &**b) {
                    (Object::Str(x), Object::Str(y)) => Some(x.as_str() == y.as_str()),
                    (Object::BigInt(x), Object::BigInt(y)) => Some(x == y),
                    (Object::Tuple(x), Object::Tuple(y)) => {
                        if x.len() != y.len() {
                            return Some(false);
                        }
                        if nesting == 0 {
                            return None;
                        }
                        for (p, q) in x.items().iter().zip(y.items()) {
                            match p.fast_eq_within(q, nesting - 1) {
                                Some(true) => {}
                                r => return r,
                            }
                        }
                        Some(true)
                    }
                    (Object::Bytes(x), Object::Bytes(y)) => Some(x == y),
                    (Object::Instance(_), _) | (_, Object::Instance(_)) => None,
                    (Object::List(_), Object::List(_))
                    | (Object::Dict(_), Object::Dict(_))
                    | (Object::Set(_), Object::Set(_)) => None,
                    (Object::Str(_), _) | (_, Object::Str(_)) => Some(false),
                    (Object::Class(_), _) | (_, Object::Class(_)) => Some(false),
                    (Object::Function(_), _) | (Object::Builtin(_), _) => Some(false),
                    _ => None,
                }
            }
            (Value::Obj(o), _) | (_, Value::Obj(o)) => match &**o {
                Object::Instance(_) => None,
                Object::BigInt(_) => Some(num_cmp(self, other) == Some(std::cmp::Ordering::Equal)),
                _ => Some(false),
            },
            (Value::None, Value::None) | (Value::Null, Value::Null) => Some(true),
            (Value::None, _) | (_, Value::None) | (Value::Null, _) | (_, Value::Null) => Some(false),
            (Value::Int(a), Value::Int(b)) => Some(a == b),
            _ => Some(num_cmp(self, other) == Some(std::cmp::Ordering::Equal)),
        }
    }

    pub fn is_float(&self) -> bool {
        matches!(self, Value::Float(_))
    }
}

/// The value of an int or bool (not of a subclass or an `__index__` object: ranges
/// test those by equality, as CPython does).
pub(crate) fn exact_int(v: &Value) -> Option<BigInt> {
    match v {
        Value::Int(_) | Value::Bool(_) => crate::value::int::to_bigint(v),
        Value::Obj(o) if matches!(&**o, Object::BigInt(_)) => crate::value::int::to_bigint(v),
        _ => None,
    }
}
