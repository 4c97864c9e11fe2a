//! `random`: a Mersenne Twister (MT19937) seeded and consumed exactly as CPython 3.11
//! does, so a seeded script draws the same numbers as under python3. `Random` is a
//! native class whose payload is the generator state; the module-level functions are
//! bound methods of one hidden `Random` instance, as in CPython.
//!
//! CPython writes most of `Random`'s methods in Python (`random.py`), so their
//! argument errors are declared in the "python" style, and arguments that are not
//! plain numbers go through the same operators CPython's code applies to them (so
//! `uniform('a', 1)` fails as `1 - 'a'` does).

use crate::util::set;
use conc_interpreter::builtins::functions::len_of;
use conc_interpreter::interp::types;
use conc_interpreter::native::{native, wrong_self, Exc, FromSelf, KwArgs, NativeClass, NativePayload, Signature};
use conc_interpreter::operator::{BinOp, CmpOp};
use conc_interpreter::value::function::BuiltinObj;
use conc_interpreter::value::instance::InstanceObj;
use conc_interpreter::value::int::{normalize, to_bigint};
use conc_interpreter::value::str::intern;
use conc_interpreter::{Args, ObjRef, Object, PyErr, PyResult, Value, Vm};
use num_bigint::{BigInt, BigUint, Sign};
use num_traits::{One, Signed, ToPrimitive};
use parking_lot::Mutex;

const N: usize = 624;
const M: usize = 397;

/// The generator state: CPython's `random_state` plus `Random.gauss_next`.
pub struct Mt {
    state: [u32; N],
    index: usize,
    gauss_next: Option<f64>,
}

impl Mt {
    fn new() -> Mt {
        let mut m = Mt { state: [0; N], index: N + 1, gauss_next: None };
        m.seed_entropy();
        m
    }

    fn init_genrand(&mut self, s: u32) {
        let mt = &mut self.state;
        mt[0] = s;
        for i in 1..N {
            mt[i] = 1812433253u32.wrapping_mul(mt[i - 1] ^ (mt[i - 1] >> 30)).wrapping_add(i as u32);
        }
        self.index = N;
    }

    fn init_by_array(&mut self, key: &[u32]) {
        self.init_genrand(19650218);
        let mt = &mut self.state;
        let (mut i, mut j) = (1usize, 0usize);
        for _ in 0..N.max(key.len()) {
            mt[i] = (mt[i] ^ (mt[i - 1] ^ (mt[i - 1] >> 30)).wrapping_mul(1664525))
                .wrapping_add(key[j])
                .wrapping_add(j as u32);
            i += 1;
            j += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
            if j >= key.len() {
                j = 0;
            }
        }
        for _ in 0..N - 1 {
            mt[i] = (mt[i] ^ (mt[i - 1] ^ (mt[i - 1] >> 30)).wrapping_mul(1566083941)).wrapping_sub(i as u32);
            i += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
        }
        mt[0] = 0x80000000;
        self.gauss_next = None;
    }

    /// Seeds from an integer: the 32-bit words of abs(n), least significant first.
    fn seed_int(&mut self, n: &BigInt) {
        let mut key = n.magnitude().to_u32_digits();
        if key.is_empty() {
            key.push(0);
        }
        self.init_by_array(&key);
    }

    /// Seeds from the OS (as `seed(None)` does), falling back to the clock.
    fn seed_entropy(&mut self) {
        let mut buf = vec![0u8; N * 4];
        let ok =
            std::fs::File::open("/dev/urandom").and_then(|mut f| std::io::Read::read_exact(&mut f, &mut buf)).is_ok();
        if !ok {
            let t =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
            let key = [t as u32, (t >> 32) as u32, (t >> 64) as u32, std::process::id()];
            self.init_by_array(&key);
            return;
        }
        let key: Vec<u32> = buf.chunks(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
        self.init_by_array(&key);
    }

    fn next_u32(&mut self) -> u32 {
        if self.index >= N {
            let mt = &mut self.state;
            const UPPER: u32 = 0x80000000;
            const LOWER: u32 = 0x7fffffff;
            const MATRIX_A: u32 = 0x9908b0df;
            for kk in 0..N {
                let y = (mt[kk] & UPPER) | (mt[(kk + 1) % N] & LOWER);
                let mag = if y & 1 != 0 { MATRIX_A } else { 0 };
                mt[kk] = mt[(kk + M) % N] ^ (y >> 1) ^ mag;
            }
            self.index = 0;
        }
        let mut y = self.state[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >> 18;
        y
    }

    /// `random()`: 53 random bits from two draws.
    fn random(&mut self) -> f64 {
        let a = (self.next_u32() >> 5) as f64;
        let b = (self.next_u32() >> 6) as f64;
        (a * 67108864.0 + b) * (1.0 / 9007199254740992.0)
    }

    /// `getrandbits(k)` for k <= 64.
    fn bits_u64(&mut self, k: u64) -> u64 {
        if k == 0 {
            return 0;
        }
        if k <= 32 {
            return (self.next_u32() >> (32 - k)) as u64;
        }
        let lo = self.next_u32() as u64;
        let hi = (self.next_u32() >> (64 - k)) as u64;
        lo | (hi << 32)
    }

    /// `getrandbits(k)` for any k: 32-bit words, least significant first, the last
    /// one keeping its top bits.
    fn bits_big(&mut self, k: u64) -> BigUint {
        if k <= 64 {
            return BigUint::from(self.bits_u64(k));
        }
        let words = (k - 1) / 32 + 1;
        let mut left = k;
        let mut out = Vec::with_capacity(words as usize);
        for _ in 0..words {
            let mut r = self.next_u32();
            if left < 32 {
                r >>= 32 - left;
            }
            out.push(r);
            left = left.saturating_sub(32);
        }
        BigUint::from_slice(&out)
    }

    /// `_randbelow_with_getrandbits(n)` for n > 0.
    fn below_u64(&mut self, n: u64) -> u64 {
        let k = 64 - n.leading_zeros() as u64;
        loop {
            let r = self.bits_u64(k);
            if r < n {
                return r;
            }
        }
    }

    fn below_big(&mut self, n: &BigUint) -> BigUint {
        if let Some(x) = n.to_u64() {
            return BigUint::from(self.below_u64(x));
        }
        let k = n.bits();
        loop {
            let r = self.bits_big(k);
            if &r < n {
                return r;
            }
        }
    }
}

/// The payload of a `Random` instance: its generator, under a lock that is never
/// held while script code runs.
pub struct RandomState {
    mt: Mutex<Mt>,
}

impl NativePayload for RandomState {
    const CLASS: &'static NativeClass = &RANDOM;
}

impl RandomState {
    /// Runs `f` on the generator.
    fn with<R>(&self, f: impl FnOnce(&mut Mt) -> R) -> R {
        f(&mut self.mt.lock())
    }

    fn random(&self) -> f64 {
        self.mt.lock().random()
    }

    fn below(&self, n: &BigInt) -> BigInt {
        BigInt::from(self.mt.lock().below_big(n.magnitude()))
    }
}

/// `random.Random`: script classes may derive from it (`__new__` gives their
/// instances a generator too).
pub static RANDOM: NativeClass = NativeClass {
    name: "Random",
    module: "random",
    doc: "Random number generator base class used by bound module functions.\n\n    Used to instantiate instances of Random to get generators that don't\n    share state.\n\n    Class Random can also be subclassed if you want to use a different basic\n    generator of your own devising: in that case, override the following\n    methods:  random(), seed(), getstate(), and setstate().\n    Optionally, implement a getrandbits() method so that randrange()\n    can cover arbitrarily large ranges.\n\n    ",
    methods: &[
        &r_new::DEF,
        &r_init::DEF,
        &seed::DEF,
        &random::DEF,
        &getrandbits::DEF,
        &randrange::DEF,
        &randint::DEF,
        &choice::DEF,
        &shuffle::DEF,
        &sample::DEF,
        &choices::DEF,
        &uniform::DEF,
        &triangular::DEF,
        &gauss::DEF,
        &normalvariate::DEF,
        &expovariate::DEF,
        &randbytes::DEF,
        &getstate::DEF,
        &setstate::DEF,
    ],
    subclassable: true,
    ..NativeClass::DEFAULT
};

/// The module's hidden instance, whose bound methods are the module functions.
fn global() -> &'static Value {
    static G: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    G.get_or_init(|| {
        let state = RandomState { mt: Mutex::new(Mt::new()) };
        let inst = InstanceObj::with_native(RANDOM.class().clone(), Box::new(state));
        Value::Obj(ObjRef::new_immortal(Object::Instance(inst)))
    })
}

/// The module functions, bound to the hidden instance.
const FUNCTIONS: &[&str] = &[
    "seed",
    "random",
    "getrandbits",
    "randrange",
    "randint",
    "choice",
    "shuffle",
    "sample",
    "choices",
    "uniform",
    "triangular",
    "gauss",
    "normalvariate",
    "expovariate",
    "randbytes",
    "getstate",
    "setstate",
];

pub fn init(vm: &mut Vm, m: &ObjRef) -> PyResult<()> {
    set(m, "Random", Value::Obj(RANDOM.class().clone()));
    let g = global().clone();
    for name in FUNCTIONS {
        let f = vm.get_attr(&g, &intern(name))?;
        set(m, name, f);
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Helpers

/// Whether `e` is an instance of the exception class `kind`.
fn is_a(vm: &mut Vm, e: &PyErr, kind: Exc) -> bool {
    let cls = vm.class_of(&e.exc);
    conc_interpreter::value::class::is_subclass(&cls, kind.class())
}

/// A plain number as a float (None for anything else, which then goes through the
/// operators as in CPython's Python code).
fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Float(f) => Some(*f),
        Value::Int(i) => Some(*i as f64),
        Value::Bool(b) => Some(*b as i64 as f64),
        _ => None,
    }
}

/// `v == n` for a small int `n` (any object may compare equal to it).
fn equals_int(vm: &mut Vm, v: &Value, n: i64) -> PyResult<bool> {
    match v {
        Value::Int(i) => Ok(*i == n),
        _ => vm.eq(v, &Value::Int(n)),
    }
}

fn is_true(vm: &mut Vm, a: &Value, b: &Value, op: CmpOp) -> PyResult<bool> {
    let r = vm.compare(a, b, op)?;
    vm.truthy(&r)
}

/// `a + b` as CPython computes it, plain numbers without the operator machinery.
fn add(vm: &mut Vm, a: &Value, b: &Value) -> PyResult<Value> {
    Ok(match (a, b) {
        (Value::Int(x), Value::Int(y)) if x.checked_add(*y).is_some() => Value::Int(x + y),
        (Value::Float(x), Value::Float(y)) => Value::Float(x + y),
        (Value::Float(x), Value::Int(y)) => Value::Float(x + *y as f64),
        (Value::Int(x), Value::Float(y)) => Value::Float(*x as f64 + y),
        _ => vm.binary_op(a.clone(), b.clone(), BinOp::Add)?,
    })
}

/// `list(itertools.accumulate(values))`: the running sums.
fn accumulate(vm: &mut Vm, values: &Value) -> PyResult<Vec<Value>> {
    let items = vm.collect(values)?;
    let mut out: Vec<Value> = Vec::with_capacity(items.len());
    for v in items {
        let next = match out.last() {
            None => v,
            Some(acc) => {
                let acc = acc.clone();
                add(vm, &acc, &v)?
            }
        };
        out.push(next);
    }
    Ok(out)
}

/// CPython's `_index(v)`, falling back to `int(v)` for values without `__index__`
/// (a whole float): the integer arguments of randrange. `which` names the argument in
/// "non-integer arg 1 for randrange()".
fn int_arg(vm: &mut Vm, v: &Value, which: &str) -> PyResult<BigInt> {
    if let Some(b) = to_bigint(v) {
        return Ok(b);
    }
    match vm.index_value_big(v) {
        Ok(b) => Ok(b),
        Err(e) if is_a(vm, &e, Exc::TypeError) => {
            let int = Value::Obj(types().int.clone());
            let i = vm.call(&int, Args::new([v.clone()]))?;
            if !vm.eq(&i, v)? {
                let msg = format!("non-integer {which} for randrange()");
                return Err(vm.value_error(&msg));
            }
            vm.index_value_big(&i)
        }
        Err(e) => Err(e),
    }
}

/// Whether `v` is a sequence (`isinstance(v, collections.abc.Sequence)`), the check
/// `sample` makes of its population.
fn is_sequence(vm: &mut Vm, v: &Value) -> PyResult<bool> {
    let base = v.unwrap_base();
    match base.obj() {
        Some(
            Object::List(_)
            | Object::Tuple(_)
            | Object::Str(_)
            | Object::Bytes(_)
            | Object::ByteArray(_)
            | Object::Range(_)
            | Object::BigRange(_),
        ) => return Ok(true),
        Some(Object::Set(_) | Object::Dict(_)) => return Ok(false),
        _ => {}
    }
    if matches!(base, Value::Int(_) | Value::Float(_) | Value::Bool(_) | Value::None) {
        return Ok(false);
    }
    vm.import_module("collections")?;
    let abc = vm.import_module("collections.abc")?;
    let seq = vm.get_attr(&abc, &intern("Sequence"))?;
    conc_interpreter::builtins::functions::is_instance(vm, v, &seq)
}

// ---------------------------------------------------------------------------
// The class and seeding

/// Create and return a new object.  See help(type) for accurate signature.
#[native("Random.__new__($cls, *args, **kwargs)")]
fn r_new(_vm: &mut Vm, cls: &ObjRef, args: &[Value], kwargs: KwArgs) -> PyResult<Value> {
    let _ = (args, kwargs);
    // Unseeded (all zeros, as CPython's is before `__init__` seeds it).
    let mt = Mt { state: [0; N], index: 0, gauss_next: None };
    Ok(NativeClass::instance_of(cls, RandomState { mt: Mutex::new(mt) }))
}

/// Initialize an instance.
///
/// Optional argument x controls seeding, as for Random.seed().
#[native("Random.__init__($self, x=None)", style = "python")]
fn r_init(vm: &mut Vm, this: (&Value, &RandomState), x: Value) -> PyResult<()> {
    // Through the attribute, so a subclass's own `seed` is the one called.
    let seed = vm.get_attr(this.0, &intern("seed"))?;
    vm.call(&seed, Args::new([x]))?;
    this.1.with(|g| g.gauss_next = None);
    Ok(())
}

/// Initialize internal state from a seed.
///
/// The only supported seed types are None, int, float,
/// str, bytes, and bytearray.
///
/// None or no argument seeds from current time or from an operating
/// system specific randomness source if available.
///
/// If *a* is an int, all bits are used.
///
/// For version 2 (the default), all of the bits are used if *a* is a str,
/// bytes, or bytearray.  For version 1 (provided for reproducing random
/// sequences from older versions of Python), the algorithm for str and
/// bytes generates a narrower range of seeds.
#[native("Random.seed($self, a=None, version=2)", style = "python")]
fn seed(vm: &mut Vm, this: &RandomState, a: Value, version: Value) -> PyResult<()> {
    let text: Option<Vec<u32>> = match a.unwrap_base().obj() {
        Some(Object::Str(s)) => Some(s.as_str().chars().map(|c| c as u32).collect()),
        Some(Object::Bytes(b)) => Some(b.iter().map(|&c| c as u32).collect()),
        _ => None,
    };
    let bytes: Option<Vec<u8>> = match a.unwrap_base().obj() {
        Some(Object::Str(s)) => Some(s.as_str().as_bytes().to_vec()),
        Some(Object::Bytes(b)) => Some(b.to_vec()),
        Some(Object::ByteArray(b)) => Some(b.snapshot()),
        _ => None,
    };
    let key: Option<BigInt> = if text.is_some() && equals_int(vm, &version, 1)? {
        // Version 1: a 64-bit string hash of the characters (bytes read as latin-1).
        let chars = text.unwrap_or_default();
        let mut x: u64 = chars.first().map_or(0, |&c| (c as u64) << 7);
        for &c in &chars {
            x = 1000003u64.wrapping_mul(x) ^ c as u64;
        }
        x ^= chars.len() as u64;
        Some(BigInt::from(x))
    } else if bytes.is_some() && equals_int(vm, &version, 2)? {
        // Version 2: the bytes followed by their SHA-512 digest, read as one
        // big-endian integer.
        Some(seed_bytes_key(&bytes.unwrap_or_default()))
    } else if a.is_none() {
        None
    } else if let Some(n) = to_bigint(&a) {
        Some(n)
    } else if matches!(a.unwrap_base(), Value::Float(_)) || bytes.is_some() {
        // Neither None nor an int: seeded by its hash, read as an unsigned word.
        Some(BigInt::from(vm.hash(&a)? as u64))
    } else {
        return Err(vm.type_error("The only supported seed types are: None,\nint, float, str, bytes, and bytearray."));
    };
    this.with(|g| match &key {
        Some(k) => g.seed_int(k),
        None => g.seed_entropy(),
    });
    Ok(())
}

fn seed_bytes_key(b: &[u8]) -> BigInt {
    let mut all = b.to_vec();
    all.extend_from_slice(&sha512(b));
    BigInt::from_bytes_be(Sign::Plus, &all)
}

/// SHA-512 (FIPS 180-4), needed only to seed from str and bytes as CPython does.
fn sha512(data: &[u8]) -> [u8; 64] {
    const K: [u64; 80] = [
        0x428a2f98d728ae22,
        0x7137449123ef65cd,
        0xb5c0fbcfec4d3b2f,
        0xe9b5dba58189dbbc,
        0x3956c25bf348b538,
        0x59f111f1b605d019,
        0x923f82a4af194f9b,
        0xab1c5ed5da6d8118,
        0xd807aa98a3030242,
        0x12835b0145706fbe,
        0x243185be4ee4b28c,
        0x550c7dc3d5ffb4e2,
        0x72be5d74f27b896f,
        0x80deb1fe3b1696b1,
        0x9bdc06a725c71235,
        0xc19bf174cf692694,
        0xe49b69c19ef14ad2,
        0xefbe4786384f25e3,
        0x0fc19dc68b8cd5b5,
        0x240ca1cc77ac9c65,
        0x2de92c6f592b0275,
        0x4a7484aa6ea6e483,
        0x5cb0a9dcbd41fbd4,
        0x76f988da831153b5,
        0x983e5152ee66dfab,
        0xa831c66d2db43210,
        0xb00327c898fb213f,
        0xbf597fc7beef0ee4,
        0xc6e00bf33da88fc2,
        0xd5a79147930aa725,
        0x06ca6351e003826f,
        0x142929670a0e6e70,
        0x27b70a8546d22ffc,
        0x2e1b21385c26c926,
        0x4d2c6dfc5ac42aed,
        0x53380d139d95b3df,
        0x650a73548baf63de,
        0x766a0abb3c77b2a8,
        0x81c2c92e47edaee6,
        0x92722c851482353b,
        0xa2bfe8a14cf10364,
        0xa81a664bbc423001,
        0xc24b8b70d0f89791,
        0xc76c51a30654be30,
        0xd192e819d6ef5218,
        0xd69906245565a910,
        0xf40e35855771202a,
        0x106aa07032bbd1b8,
        0x19a4c116b8d2d0c8,
        0x1e376c085141ab53,
        0x2748774cdf8eeb99,
        0x34b0bcb5e19b48a8,
        0x391c0cb3c5c95a63,
        0x4ed8aa4ae3418acb,
        0x5b9cca4f7763e373,
        0x682e6ff3d6b2b8a3,
        0x748f82ee5defb2fc,
        0x78a5636f43172f60,
        0x84c87814a1f0ab72,
        0x8cc702081a6439ec,
        0x90befffa23631e28,
        0xa4506cebde82bde9,
        0xbef9a3f7b2c67915,
        0xc67178f2e372532b,
        0xca273eceea26619c,
        0xd186b8c721c0c207,
        0xeada7dd6cde0eb1e,
        0xf57d4f7fee6ed178,
        0x06f067aa72176fba,
        0x0a637dc5a2c898a6,
        0x113f9804bef90dae,
        0x1b710b35131c471b,
        0x28db77f523047d84,
        0x32caab7b40c72493,
        0x3c9ebe0a15c9bebc,
        0x431d67c49c100d4c,
        0x4cc5d4becb3e42b6,
        0x597f299cfc657e2a,
        0x5fcb6fab3ad6faec,
        0x6c44198c4a475817,
    ];
    let mut h: [u64; 8] = [
        0x6a09e667f3bcc908,
        0xbb67ae8584caa73b,
        0x3c6ef372fe94f82b,
        0xa54ff53a5f1d36f1,
        0x510e527fade682d1,
        0x9b05688c2b3e6c1f,
        0x1f83d9abfb41bd6b,
        0x5be0cd19137e2179,
    ];
    let mut msg = data.to_vec();
    msg.push(0x80);
    while msg.len() % 128 != 112 {
        msg.push(0);
    }
    msg.extend_from_slice(&((data.len() as u128) * 8).to_be_bytes());
    for block in msg.chunks(128) {
        let mut w = [0u64; 80];
        for (i, c) in block.chunks(8).enumerate() {
            w[i] = u64::from_be_bytes(c.try_into().unwrap());
        }
        for i in 16..80 {
            let s0 = w[i - 15].rotate_right(1) ^ w[i - 15].rotate_right(8) ^ (w[i - 15] >> 7);
            let s1 = w[i - 2].rotate_right(19) ^ w[i - 2].rotate_right(61) ^ (w[i - 2] >> 6);
            w[i] = w[i - 16].wrapping_add(s0).wrapping_add(w[i - 7]).wrapping_add(s1);
        }
        let mut v = h;
        for i in 0..80 {
            let s1 = v[4].rotate_right(14) ^ v[4].rotate_right(18) ^ v[4].rotate_right(41);
            let ch = (v[4] & v[5]) ^ (!v[4] & v[6]);
            let t1 = v[7].wrapping_add(s1).wrapping_add(ch).wrapping_add(K[i]).wrapping_add(w[i]);
            let s0 = v[0].rotate_right(28) ^ v[0].rotate_right(34) ^ v[0].rotate_right(39);
            let maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
            let t2 = s0.wrapping_add(maj);
            v = [t1.wrapping_add(t2), v[0], v[1], v[2], v[3].wrapping_add(t1), v[4], v[5], v[6]];
        }
        for i in 0..8 {
            h[i] = h[i].wrapping_add(v[i]);
        }
    }
    let mut out = [0u8; 64];
    for (i, x) in h.iter().enumerate() {
        out[i * 8..i * 8 + 8].copy_from_slice(&x.to_be_bytes());
    }
    out
}

// ---------------------------------------------------------------------------
// Drawing numbers

/// `self` of the methods CPython writes in C, on its base class `_random.Random`:
/// their descriptor errors name that class.
struct CSelf<'a>(&'a RandomState);

impl<'a> FromSelf<'a> for CSelf<'a> {
    #[inline(always)]
    fn from_self(vm: &mut Vm, v: &'a Value, sig: &'static Signature, _b: &BuiltinObj) -> PyResult<Self> {
        match v.as_instance().and_then(|i| i.native::<RandomState>()) {
            Some(t) => Ok(CSelf(t)),
            None => Err(wrong_self(vm, v, sig, "_random.Random")),
        }
    }
}

/// random() -> x in the interval [0, 1).
#[native("Random.random($self, /)")]
fn random(_vm: &mut Vm, this: CSelf) -> PyResult<f64> {
    Ok(this.0.random())
}

/// getrandbits(k) -> x.  Generates an int with k random bits.
#[native("Random.getrandbits($self, k, /)")]
fn getrandbits(vm: &mut Vm, this: CSelf, k: i64) -> PyResult<Value> {
    if k < 0 {
        return Err(vm.value_error("number of bits must be non-negative"));
    }
    let r = this.0.with(|g| g.bits_big(k as u64));
    Ok(normalize(BigInt::from(r)))
}

/// Choose a random item from range(stop) or range(start, stop[, step]).
///
/// Roughly equivalent to ``choice(range(start, stop, step))`` but
/// supports arbitrarily large ranges and is optimized for common cases.
#[native("Random.randrange($self, start, stop=None, step=1)", style = "python")]
fn randrange(vm: &mut Vm, this: &RandomState, start: Value, stop: Value, step: Value) -> PyResult<Value> {
    randrange_impl(vm, this, &start, &stop, &step)
}

fn randrange_impl(vm: &mut Vm, this: &RandomState, start: &Value, stop: &Value, step: &Value) -> PyResult<Value> {
    let istart = int_arg(vm, start, "arg 1")?;
    if stop.is_none() {
        // CPython tests the step for being its default object, before converting it.
        if !matches!(step, Value::Int(1)) {
            return Err(vm.type_error("Missing a non-None stop argument"));
        }
        if istart.is_positive() {
            return Ok(normalize(this.below(&istart)));
        }
        return Err(vm.value_error("empty range for randrange()"));
    }
    let istop = int_arg(vm, stop, "stop")?;
    let width = &istop - &istart;
    let istep = int_arg(vm, step, "step")?;
    if istep.is_one() {
        if width.is_positive() {
            return Ok(normalize(istart + this.below(&width)));
        }
        let msg = format!("empty range for randrange() ({istart}, {istop}, {width})");
        return Err(vm.value_error(&msg));
    }
    let n = if istep.is_positive() {
        num_integer::Integer::div_floor(&(&width + &istep - 1), &istep)
    } else if istep.is_negative() {
        num_integer::Integer::div_floor(&(&width + &istep + 1), &istep)
    } else {
        return Err(vm.value_error("zero step for randrange()"));
    };
    if !n.is_positive() {
        return Err(vm.value_error("empty range for randrange()"));
    }
    Ok(normalize(istart + istep * this.below(&n)))
}

/// Return random integer in range [a, b], including both end points.
#[native("Random.randint($self, a, b)", style = "python")]
fn randint(vm: &mut Vm, this: &RandomState, a: Value, b: Value) -> PyResult<Value> {
    let stop = match b {
        Value::Int(i) if i < i64::MAX => Value::Int(i + 1),
        _ => vm.binary_op(b, Value::Int(1), BinOp::Add)?,
    };
    randrange_impl(vm, this, &a, &stop, &Value::Int(1))
}

/// Choose a random element from a non-empty sequence.
#[native("Random.choice($self, seq)", style = "python")]
fn choice(vm: &mut Vm, this: &RandomState, seq: Value) -> PyResult<Value> {
    let n = len_of(vm, &seq)?;
    if n == 0 {
        return Err(vm.error(Exc::IndexError, "Cannot choose from an empty sequence"));
    }
    let i = this.with(|g| g.below_u64(n as u64));
    vm.get_item(&seq, &Value::Int(i as i64))
}

/// Shuffle list x in place, and return None.
#[native("Random.shuffle($self, x)", style = "python")]
fn shuffle(vm: &mut Vm, this: &RandomState, x: Value) -> PyResult<()> {
    let n = len_of(vm, &x)?;
    if let Some(l) = x.as_list() {
        // The draws do not depend on the items: take them all first and swap in a
        // snapshot, without holding the generator's lock while items are written.
        let mut items = l.snapshot();
        if items.len() == n {
            let js: Vec<usize> = this.with(|g| (1..n).rev().map(|i| g.below_u64(i as u64 + 1) as usize).collect());
            for (i, j) in (1..n).rev().zip(js) {
                items.swap(i, j);
            }
            for (i, v) in items.into_iter().enumerate() {
                vm.set_item(&x, Value::Int(i as i64), v)?;
            }
            return Ok(());
        }
    }
    // `x[i], x[j] = x[j], x[i]` for each draw, as CPython does.
    for i in (1..n).rev() {
        let j = this.with(|g| g.below_u64(i as u64 + 1)) as i64;
        let (i, j) = (Value::Int(i as i64), Value::Int(j));
        let b = vm.get_item(&x, &j)?;
        let a = vm.get_item(&x, &i)?;
        vm.set_item(&x, i, b)?;
        vm.set_item(&x, j, a)?;
    }
    Ok(())
}

/// `x < y`, plain numbers without the operator machinery.
fn less(vm: &mut Vm, x: &Value, y: &Value) -> PyResult<bool> {
    match (x, y) {
        (Value::Int(a), Value::Int(b)) => Ok(a < b),
        (Value::Float(a), Value::Float(b)) => Ok(a < b),
        (Value::Float(a), Value::Int(b)) => Ok(*a < *b as f64),
        _ => is_true(vm, x, y, CmpOp::Lt),
    }
}

/// `bisect.bisect_right(a, x, 0, hi)`.
fn bisect_right(vm: &mut Vm, a: &[Value], x: &Value, hi: usize) -> PyResult<usize> {
    let (mut lo, mut hi) = (0usize, hi);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if less(vm, x, &a[mid])? {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    Ok(lo)
}

/// The `k` of `sample`, checked as `0 <= k <= n` and then used as a list length.
fn sample_size(vm: &mut Vm, k: &Value, n: u64) -> PyResult<usize> {
    let too_large = "Sample larger than population or is negative";
    if let Value::Int(i) = k {
        if *i < 0 || *i as u64 > n {
            return Err(vm.value_error(too_large));
        }
        return Ok(*i as usize);
    }
    let n = Value::Int(i64::try_from(n).unwrap_or(i64::MAX));
    if !is_true(vm, &Value::Int(0), k, CmpOp::LtE)? || !is_true(vm, k, &n, CmpOp::LtE)? {
        return Err(vm.value_error(too_large));
    }
    match vm.index_value(k) {
        Ok(i) => Ok(i as usize),
        Err(e) if is_a(vm, &e, Exc::TypeError) => {
            let msg = format!("can't multiply sequence by non-int of type '{}'", vm.type_name(k));
            Err(vm.type_error(&msg))
        }
        Err(e) => Err(e),
    }
}

/// `k` distinct indices below `n`, drawn as CPython's `sample` draws them: from a
/// shrinking pool when `n` is small next to `k`, else by rejecting repeats.
fn sample_indices(this: &RandomState, n: u64, k: usize) -> Vec<u64> {
    let mut setsize = 21u64;
    if k > 5 {
        let l = ((k * 3) as f64).ln() / 4f64.ln();
        setsize += 4u64.pow(l.ceil() as u32);
    }
    this.with(|g| {
        let mut out = Vec::with_capacity(k);
        if n <= setsize {
            let mut pool: Vec<u64> = (0..n).collect();
            for i in 0..k as u64 {
                let j = g.below_u64(n - i) as usize;
                out.push(pool[j]);
                pool[j] = pool[(n - i - 1) as usize];
            }
        } else {
            let mut selected = std::collections::HashSet::new();
            for _ in 0..k {
                let mut j = g.below_u64(n);
                while selected.contains(&j) {
                    j = g.below_u64(n);
                }
                selected.insert(j);
                out.push(j);
            }
        }
        out
    })
}

/// Chooses k unique random elements from a population sequence.
///
/// Returns a new list containing elements from the population while
/// leaving the original population unchanged.
#[native("Random.sample($self, population, k, *, counts=None)", style = "python")]
fn sample(vm: &mut Vm, this: &RandomState, population: Value, k: Value, counts: Value) -> PyResult<Value> {
    if !is_sequence(vm, &population)? {
        return Err(vm.type_error("Population must be a sequence.  For dicts or sets, use sorted(d)."));
    }
    let n = len_of(vm, &population)?;
    if !counts.is_none() {
        // Samples `range(total)` and maps each pick to the item whose cumulative
        // count passes it.
        let mut cum = accumulate(vm, &counts)?;
        if cum.len() != n {
            return Err(vm.value_error("The number of counts does not match the population"));
        }
        let Some(total) = cum.pop() else {
            return Err(vm.error(Exc::IndexError, "pop from empty list"));
        };
        let Some(total) = to_bigint(&total) else {
            return Err(vm.type_error("Counts must be integers"));
        };
        if !total.is_positive() {
            return Err(vm.value_error("Total of counts must be greater than zero"));
        }
        let Some(total) = total.to_u64().filter(|t| *t <= i64::MAX as u64) else {
            return Err(vm.error(Exc::OverflowError, "Python int too large to convert to C ssize_t"));
        };
        let k = sample_size(vm, &k, total)?;
        let picks = sample_indices(this, total, k);
        let mut out = Vec::with_capacity(k);
        for s in picks {
            let i = bisect_right(vm, &cum, &Value::Int(s as i64), cum.len())?;
            out.push(vm.get_item(&population, &Value::Int(i as i64))?);
        }
        return Ok(Value::list(out));
    }
    let k = sample_size(vm, &k, n as u64)?;
    let items = vm.collect(&population)?;
    let picks = sample_indices(this, items.len() as u64, k.min(items.len()));
    Ok(Value::list(picks.into_iter().map(|i| items[i as usize].clone()).collect()))
}

/// The count of `itertools.repeat(None, k)`: negative counts repeat nothing.
fn repeat_count(vm: &mut Vm, k: &Value) -> PyResult<usize> {
    Ok(vm.index_value(k)?.max(0) as usize)
}

/// Return a k sized list of population elements chosen with replacement.
///
/// If the relative weights or cumulative weights are not specified,
/// the selections are made with equal probability.
#[native("Random.choices($self, population, weights=None, *, cum_weights=None, k=1)", style = "python")]
fn choices(
    vm: &mut Vm,
    this: &RandomState,
    population: Value,
    weights: Value,
    cum_weights: Value,
    k: Value,
) -> PyResult<Value> {
    let n = len_of(vm, &population)?;
    let cum: Vec<Value> = if cum_weights.is_none() {
        if weights.is_none() {
            let k = repeat_count(vm, &k)?;
            let nf = n as f64;
            let mut out = Vec::with_capacity(k);
            for _ in 0..k {
                let i = (this.random() * nf).floor() as i64;
                out.push(vm.get_item(&population, &Value::Int(i))?);
            }
            return Ok(Value::list(out));
        }
        match accumulate(vm, &weights) {
            Ok(c) => c,
            Err(e) if to_bigint(&weights).is_some() && is_a(vm, &e, Exc::TypeError) => {
                let msg = format!("The number of choices must be a keyword argument: k={}", vm.repr_of(&weights)?);
                return Err(vm.type_error(&msg));
            }
            Err(e) => return Err(e),
        }
    } else if !weights.is_none() {
        return Err(vm.type_error("Cannot specify both weights and cumulative weights"));
    } else {
        if len_of(vm, &cum_weights)? != n {
            return Err(vm.value_error("The number of weights does not match the population"));
        }
        vm.collect(&cum_weights)?
    };
    if cum.len() != n {
        return Err(vm.value_error("The number of weights does not match the population"));
    }
    let Some(last) = cum.last() else {
        return Err(vm.error(Exc::IndexError, "list index out of range"));
    };
    let last = last.clone();
    let total = add(vm, &last, &Value::Float(0.0))?;
    let total = vm.real_value(&total)?;
    if total <= 0.0 {
        return Err(vm.value_error("Total of weights must be greater than zero"));
    }
    if !total.is_finite() {
        return Err(vm.value_error("Total of weights must be finite"));
    }
    let k = repeat_count(vm, &k)?;
    let mut out = Vec::with_capacity(k);
    for _ in 0..k {
        let x = Value::Float(this.random() * total);
        let i = bisect_right(vm, &cum, &x, n - 1)?;
        out.push(vm.get_item(&population, &Value::Int(i as i64))?);
    }
    Ok(Value::list(out))
}

// ---------------------------------------------------------------------------
// Distributions

/// Get a random number in the range [a, b) or [a, b] depending on rounding.
#[native("Random.uniform($self, a, b)", style = "python")]
fn uniform(vm: &mut Vm, this: &RandomState, a: Value, b: Value) -> PyResult<Value> {
    // a + (b - a) * random()
    if let (Some(fa), Some(fb)) = (num(&a), num(&b)) {
        let d = match (&a, &b) {
            (Value::Int(x), Value::Int(y)) => (*y as i128 - *x as i128) as f64,
            _ => fb - fa,
        };
        return Ok(Value::Float(fa + d * this.random()));
    }
    let d = vm.binary_op(b, a.clone(), BinOp::Sub)?;
    let scaled = vm.binary_op(d, Value::Float(this.random()), BinOp::Mult)?;
    vm.binary_op(a, scaled, BinOp::Add)
}

/// Triangular distribution.
///
/// Continuous distribution bounded by given lower and upper limits,
/// and having a given mode value in-between.
#[native("Random.triangular($self, low=0.0, high=1.0, mode=None)", style = "python")]
fn triangular(vm: &mut Vm, this: &RandomState, low: Value, high: Value, mode: Value) -> PyResult<Value> {
    let u = this.random();
    let plain_mode = if mode.is_none() { Some(None) } else { num(&mode).map(Some) };
    if let (Some(mut lo), Some(mut hi), Some(m)) = (num(&low), num(&high), plain_mode) {
        let mut c = match m {
            None => 0.5,
            // (mode - low) / (high - low) divides by zero: the distribution is `low`.
            Some(_) if hi == lo => return Ok(low),
            Some(m) => (m - lo) / (hi - lo),
        };
        let mut u = u;
        if u > c {
            u = 1.0 - u;
            c = 1.0 - c;
            std::mem::swap(&mut lo, &mut hi);
        }
        return Ok(Value::Float(lo + (hi - lo) * (u * c).sqrt()));
    }
    // Other values go through the operators, in CPython's order.
    let (mut low, mut high) = (low, high);
    let mut c = if mode.is_none() {
        Value::Float(0.5)
    } else {
        let num = vm.binary_op(mode, low.clone(), BinOp::Sub)?;
        let den = vm.binary_op(high.clone(), low.clone(), BinOp::Sub)?;
        match vm.binary_op(num, den, BinOp::Div) {
            Ok(c) => c,
            Err(e) if is_a(vm, &e, Exc::ZeroDivisionError) => return Ok(low),
            Err(e) => return Err(e),
        }
    };
    let mut u = u;
    if is_true(vm, &Value::Float(u), &c, CmpOp::Gt)? {
        u = 1.0 - u;
        c = vm.binary_op(Value::Float(1.0), c, BinOp::Sub)?;
        std::mem::swap(&mut low, &mut high);
    }
    let d = vm.binary_op(high, low.clone(), BinOp::Sub)?;
    let uc = vm.binary_op(Value::Float(u), c, BinOp::Mult)?;
    let uc = vm.real_value(&uc)?;
    if uc < 0.0 {
        return Err(vm.value_error("math domain error"));
    }
    let scaled = vm.binary_op(d, Value::Float(uc.sqrt()), BinOp::Mult)?;
    vm.binary_op(low, scaled, BinOp::Add)
}

/// `mu + z * sigma`.
fn scale(vm: &mut Vm, z: f64, mu: Value, sigma: Value) -> PyResult<Value> {
    if let (Some(m), Some(s)) = (num(&mu), num(&sigma)) {
        return Ok(Value::Float(m + z * s));
    }
    let zs = vm.binary_op(Value::Float(z), sigma, BinOp::Mult)?;
    vm.binary_op(mu, zs, BinOp::Add)
}

/// Gaussian distribution.
///
/// mu is the mean, and sigma is the standard deviation.  This is
/// slightly faster than the normalvariate() function.
///
/// Not thread-safe without a lock around calls.
#[native("Random.gauss($self, mu=0.0, sigma=1.0)", style = "python")]
fn gauss(vm: &mut Vm, this: &RandomState, mu: Value, sigma: Value) -> PyResult<Value> {
    let z = this.with(|g| match g.gauss_next.take() {
        Some(z) => z,
        None => {
            let x2pi = g.random() * std::f64::consts::TAU;
            let g2rad = (-2.0 * (1.0 - g.random()).ln()).sqrt();
            g.gauss_next = Some(x2pi.sin() * g2rad);
            x2pi.cos() * g2rad
        }
    });
    scale(vm, z, mu, sigma)
}

/// Normal distribution.
///
/// mu is the mean, and sigma is the standard deviation.
#[native("Random.normalvariate($self, mu=0.0, sigma=1.0)", style = "python")]
fn normalvariate(vm: &mut Vm, this: &RandomState, mu: Value, sigma: Value) -> PyResult<Value> {
    // Kinderman and Monahan's ratio-of-uniforms method.
    let magic = 4.0 * (-0.5f64).exp() / 2.0f64.sqrt();
    let z = this.with(|g| loop {
        let u1 = g.random();
        let u2 = 1.0 - g.random();
        let z = magic * (u1 - 0.5) / u2;
        let zz = z * z / 4.0;
        if zz <= -u2.ln() {
            break z;
        }
    });
    scale(vm, z, mu, sigma)
}

/// Exponential distribution.
///
/// lambd is 1.0 divided by the desired mean.  It should be
/// nonzero.
#[native("Random.expovariate($self, lambd)", style = "python")]
fn expovariate(vm: &mut Vm, this: &RandomState, lambd: Value) -> PyResult<Value> {
    let x = -(1.0 - this.random()).ln();
    if let Some(l) = num(&lambd) {
        if l == 0.0 {
            return Err(vm.error(Exc::ZeroDivisionError, "float division by zero"));
        }
        return Ok(Value::Float(x / l));
    }
    vm.binary_op(Value::Float(x), lambd, BinOp::Div)
}

/// Generate n random bytes.
#[native("Random.randbytes($self, n)", style = "python")]
fn randbytes(vm: &mut Vm, this: &RandomState, n: i64) -> PyResult<Value> {
    if n < 0 {
        return Err(vm.value_error("number of bits must be non-negative"));
    }
    let r = this.with(|g| g.bits_big(n as u64 * 8));
    let mut bytes = r.to_bytes_le();
    bytes.resize(n as usize, 0);
    Ok(Value::new(Object::Bytes(bytes.into_boxed_slice())))
}

// ---------------------------------------------------------------------------
// State

/// Return internal state; can be passed to setstate() later.
#[native("Random.getstate($self)", style = "python")]
fn getstate(_vm: &mut Vm, this: &RandomState) -> PyResult<Value> {
    // (3, (624 words..., index), gauss_next) as in CPython.
    let (words, index, gn) = this.with(|g| (g.state.to_vec(), g.index, g.gauss_next));
    let mut inner: Vec<Value> = words.into_iter().map(|w| Value::Int(w as i64)).collect();
    inner.push(Value::Int(index as i64));
    Ok(Value::tuple(vec![Value::Int(3), Value::tuple(inner), gn.map(Value::Float).unwrap_or(Value::None)]))
}

/// Restore internal state from object returned by getstate().
#[native("Random.setstate($self, state)", style = "python")]
fn setstate(vm: &mut Vm, this: &RandomState, state: Value) -> PyResult<()> {
    let version = vm.get_item(&state, &Value::Int(0))?;
    let v3 = equals_int(vm, &version, 3)?;
    if !v3 && !equals_int(vm, &version, 2)? {
        let msg = format!("state with version {} passed to Random.setstate() of version 3", vm.str_of(&version)?);
        return Err(vm.value_error(&msg));
    }
    // `version, internalstate, self.gauss_next = state`
    let parts = vm.collect(&state)?;
    if parts.len() != 3 {
        let msg = if parts.len() > 3 {
            "too many values to unpack (expected 3)".to_string()
        } else {
            format!("not enough values to unpack (expected 3, got {})", parts.len())
        };
        return Err(vm.value_error(&msg));
    }
    let gn = match &parts[2] {
        Value::None => None,
        v => Some(vm.real_value(v)?),
    };
    this.with(|g| g.gauss_next = gn);
    let internal = if v3 {
        parts[1].clone()
    } else {
        // Version 2 kept the words as signed longs: they are taken modulo 2**32.
        let words = vm.collect(&parts[1])?;
        let mut out = Vec::with_capacity(words.len());
        for w in words {
            out.push(vm.binary_op(w, Value::Int(1 << 32), BinOp::Mod)?);
        }
        Value::tuple(out)
    };
    let words = match internal.as_tuple().or_else(|| internal.base_value().and_then(|b| b.as_tuple())) {
        Some(t) if t.len() == N + 1 => t.items().to_vec(),
        Some(_) => return Err(vm.value_error("state vector is the wrong size")),
        None => return Err(vm.type_error("state vector must be a tuple")),
    };
    let mut st = [0u32; N];
    for (i, w) in words[..N].iter().enumerate() {
        st[i] = unsigned_word(vm, w)? as u32;
    }
    let index = match to_bigint(&words[N]).map(|i| i.to_i64()) {
        Some(Some(i)) => i,
        Some(None) => return Err(vm.error(Exc::OverflowError, "Python int too large to convert to C long")),
        None => return Err(vm.type_error("an integer is required")),
    };
    if !(0..=N as i64).contains(&index) {
        return Err(vm.value_error("invalid state"));
    }
    this.with(|g| {
        g.state = st;
        g.index = index as usize;
    });
    Ok(())
}

/// A word of the state (CPython's `PyLong_AsUnsignedLong`).
fn unsigned_word(vm: &mut Vm, w: &Value) -> PyResult<u64> {
    match to_bigint(w) {
        None => Err(vm.type_error("an integer is required")),
        Some(b) if b.is_negative() => Err(vm.error(Exc::OverflowError, "can't convert negative int to unsigned")),
        Some(b) => match b.to_u64() {
            Some(u) => Ok(u),
            None => Err(vm.error(Exc::OverflowError, "Python int too large to convert to C unsigned long")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_42_matches_cpython() {
        let mut g = Mt::new();
        g.seed_int(&BigInt::from(42));
        assert_eq!(g.random(), 0.6394267984578837);
    }
}
