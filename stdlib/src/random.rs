//! `random`: a Mersenne Twister (MT19937) seeded and consumed exactly as CPython 3.11
//! does, so a seeded script draws the same numbers as under python3. The module-level
//! functions are bound methods of one hidden `Random` instance, as in CPython.

use crate::util::set;
use conc_interpreter::builtins::functions::len_of;
use conc_interpreter::interp::{add_methods, new_class, types};
use conc_interpreter::native::Exc;
use conc_interpreter::value::class::BaseKind;
use conc_interpreter::value::instance::InstanceObj;
use conc_interpreter::value::int::{normalize, to_bigint};
use conc_interpreter::value::str::intern;
use conc_interpreter::{Args, ObjRef, Object, PyResult, Value, Vm};
use num_bigint::{BigInt, BigUint, Sign};
use num_traits::{Signed, ToPrimitive};
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

fn global() -> &'static Value {
    static G: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    G.get_or_init(|| {
        let inst = InstanceObj::with_native(random_class().clone(), Box::new(Mutex::new(Mt::new())));
        Value::Obj(ObjRef::new_immortal(Object::Instance(inst)))
    })
}

fn random_class() -> &'static ObjRef {
    static C: std::sync::OnceLock<ObjRef> = std::sync::OnceLock::new();
    C.get_or_init(|| {
        let cls =
            new_class("Random", "random", vec![types().object.clone()], BaseKind::Object, false, Default::default());
        add_methods(&cls, METHODS);
        add_methods(&cls, &[("__init__", init_method)]);
        cls
    })
}

const METHODS: &[(&str, conc_interpreter::value::function::NativeFn)] = &[
    ("seed", seed),
    ("random", random),
    ("getrandbits", getrandbits),
    ("randrange", randrange),
    ("randint", randint),
    ("choice", choice),
    ("shuffle", shuffle),
    ("sample", sample),
    ("choices", choices),
    ("uniform", uniform),
    ("triangular", triangular),
    ("gauss", gauss),
    ("normalvariate", normalvariate),
    ("expovariate", expovariate),
    ("randbytes", randbytes),
    ("getstate", getstate),
    ("setstate", setstate),
];

pub fn init(vm: &mut Vm, m: &ObjRef) -> PyResult<()> {
    set(m, "Random", Value::Obj(random_class().clone()));
    let g = global().clone();
    for (name, _) in METHODS {
        let f = vm.get_attr(&g, &intern(name))?;
        set(m, name, f);
    }
    Ok(())
}

/// `Random(x=None)`: gives the instance its generator, then seeds it.
fn init_method(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let this = args.pos.first().cloned().unwrap_or(Value::None);
    if let Some(i) = this.as_instance() {
        let _ = i.native.set(Box::new(Mutex::new(Mt::new())));
    }
    let mut sargs = Args::new([this]);
    if let Some(x) = args.pos.get(1) {
        sargs.pos.push(x.clone());
    }
    seed(vm, sargs)
}

/// Runs `f` on the generator of `self` (the lock is never held across script code).
fn with<R>(vm: &mut Vm, this: &Value, f: impl FnOnce(&mut Mt) -> R) -> PyResult<R> {
    match this.as_instance().and_then(|i| i.native::<Mutex<Mt>>()) {
        Some(m) => Ok(f(&mut m.lock())),
        None => Err(vm.type_error("descriptor requires a 'random.Random' object")),
    }
}

fn this(args: &Args) -> Value {
    args.pos.first().cloned().unwrap_or(Value::None)
}

fn seed(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let me = this(&args);
    let a = args.take(1, "a").unwrap_or(Value::None);
    if a.is_none() {
        with(vm, &me, |g| g.seed_entropy())?;
        return Ok(Value::None);
    }
    if let Some(n) = to_bigint(&a) {
        with(vm, &me, |g| g.seed_int(&n))?;
        return Ok(Value::None);
    }
    let key: BigInt = match &a {
        Value::Float(f) => BigInt::from(conc_interpreter::value::int::hash_f64(*f)),
        Value::Obj(o) => match &**o {
            // Version 2 seeding, as CPython: the bytes followed by their SHA-512
            // digest, read as one big-endian integer.
            Object::Str(s) => seed_bytes_key(s.as_str().as_bytes()),
            Object::Bytes(b) => seed_bytes_key(b),
            _ => {
                return Err(
                    vm.type_error("The only supported seed types are: None,\nint, float, str, bytes, and bytearray.")
                )
            }
        },
        _ => {
            return Err(
                vm.type_error("The only supported seed types are: None,\nint, float, str, bytes, and bytearray.")
            )
        }
    };
    with(vm, &me, |g| g.seed_int(&key))?;
    Ok(Value::None)
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

fn random(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let me = this(&args);
    Ok(Value::Float(with(vm, &me, |g| g.random())?))
}

fn getrandbits(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let me = this(&args);
    let Some(k) = args.pos.get(1).cloned() else {
        return Err(vm.type_error("getrandbits() takes exactly one argument (0 given)"));
    };
    let k = vm.index_value(&k)?;
    if k < 0 {
        return Err(vm.value_error("number of bits must be non-negative"));
    }
    let r = with(vm, &me, |g| g.bits_big(k as u64))?;
    Ok(normalize(BigInt::from(r)))
}

/// An integer argument of randrange: ints, and floats that are whole numbers.
fn int_arg(vm: &mut Vm, v: &Value, which: &str) -> PyResult<BigInt> {
    if let Some(b) = to_bigint(v) {
        return Ok(b);
    }
    if let Value::Float(f) = v {
        if f.fract() == 0.0 && f.is_finite() {
            return Ok(conc_interpreter::value::int::f64_to_bigint(*f).unwrap_or_default());
        }
        let msg = format!("non-integer {which} for randrange()");
        return Err(vm.value_error(&msg));
    }
    let i = vm.index_value(v)?;
    Ok(BigInt::from(i))
}

fn below(vm: &mut Vm, me: &Value, n: &BigInt) -> PyResult<BigInt> {
    let n = n.magnitude().clone();
    Ok(BigInt::from(with(vm, me, |g| g.below_big(&n))?))
}

fn below_usize(vm: &mut Vm, me: &Value, n: usize) -> PyResult<usize> {
    with(vm, me, |g| g.below_u64(n as u64) as usize)
}

fn randrange_impl(
    vm: &mut Vm,
    me: &Value,
    start: &Value,
    stop: Option<&Value>,
    step: Option<&Value>,
) -> PyResult<Value> {
    let istart = int_arg(vm, start, "arg 1")?;
    let Some(stop) = stop.filter(|s| !s.is_none()) else {
        if step.is_some() {
            return Err(vm.type_error("Missing a non-None stop argument"));
        }
        if istart.is_positive() {
            return Ok(normalize(below(vm, me, &istart)?));
        }
        return Err(vm.value_error("empty range for randrange()"));
    };
    let istop = int_arg(vm, stop, "stop")?;
    let width = &istop - &istart;
    let istep = match step {
        Some(s) => int_arg(vm, s, "step")?,
        None => BigInt::from(1),
    };
    if istep == BigInt::from(1) {
        if width.is_positive() {
            return Ok(normalize(istart + below(vm, me, &width)?));
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
    Ok(normalize(istart + istep * below(vm, me, &n)?))
}

fn randrange(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let me = this(&args);
    let start = args.take(1, "start");
    let stop = args.take(2, "stop");
    let step = args.take(3, "step");
    let Some(start) = start else {
        return Err(vm.type_error("Random.randrange() missing 1 required positional argument: 'start'"));
    };
    randrange_impl(vm, &me, &start, stop.as_ref(), step.as_ref())
}

fn randint(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let me = this(&args);
    if args.pos.len() != 3 {
        let missing = 3usize.saturating_sub(args.pos.len());
        let msg = if missing == 2 {
            "Random.randint() missing 2 required positional arguments: 'a' and 'b'".to_string()
        } else if missing == 1 {
            "Random.randint() missing 1 required positional argument: 'b'".to_string()
        } else {
            format!("Random.randint() takes 3 positional arguments but {} were given", args.pos.len())
        };
        return Err(vm.type_error(&msg));
    }
    let b = int_arg(vm, &args.pos[2], "stop")?;
    let stop = normalize(b + 1);
    randrange_impl(vm, &me, &args.pos[1], Some(&stop), None)
}

fn choice(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let me = this(&args);
    let Some(seq) = args.pos.get(1).cloned() else {
        return Err(vm.type_error("Random.choice() missing 1 required positional argument: 'seq'"));
    };
    let n = len_of(vm, &seq)?;
    if n == 0 {
        return Err(vm.error(Exc::IndexError, "Cannot choose from an empty sequence"));
    }
    let i = below_usize(vm, &me, n)?;
    vm.get_item(&seq, &Value::Int(i as i64))
}

fn shuffle(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let me = this(&args);
    let Some(x) = args.pos.get(1).cloned() else {
        return Err(vm.type_error("Random.shuffle() missing 1 required positional argument: 'x'"));
    };
    let n = len_of(vm, &x)?;
    // The draws do not depend on the items, so take them all first and swap after,
    // without holding the generator's lock while items are read or written.
    let js: Vec<usize> = with(vm, &me, |g| (1..n).rev().map(|i| g.below_u64(i as u64 + 1) as usize).collect())?;
    if let Some(l) = x.as_list() {
        let mut items = l.snapshot();
        if items.len() == n {
            for (i, j) in (1..n).rev().zip(js) {
                items.swap(i, j);
            }
            for (i, v) in items.into_iter().enumerate() {
                vm.set_item(&x, Value::Int(i as i64), v)?;
            }
            return Ok(Value::None);
        }
    }
    for (i, j) in (1..n).rev().zip(js) {
        let a = vm.get_item(&x, &Value::Int(i as i64))?;
        let b = vm.get_item(&x, &Value::Int(j as i64))?;
        vm.set_item(&x, Value::Int(i as i64), b)?;
        vm.set_item(&x, Value::Int(j as i64), a)?;
    }
    Ok(Value::None)
}

/// The items of a sequence argument, refusing sets and dicts as CPython 3.11 does.
fn population(vm: &mut Vm, v: &Value) -> PyResult<Vec<Value>> {
    match v.obj() {
        Some(Object::Set(_)) | Some(Object::Dict(_)) => {
            Err(vm.type_error("Population must be a sequence.  For dicts or sets, use sorted(d)."))
        }
        _ => vm.collect(v),
    }
}

fn sample(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let me = this(&args);
    let counts = args.take_kw("counts");
    let pop = args.take(1, "population");
    let k = args.take(2, "k");
    let (Some(pop), Some(k)) = (pop, k) else {
        return Err(vm.type_error("Random.sample() missing 1 required positional argument: 'k'"));
    };
    let mut items = population(vm, &pop)?;
    if let Some(c) = counts.filter(|c| !c.is_none()) {
        let cs = vm.collect(&c)?;
        if cs.len() != items.len() {
            return Err(vm.value_error("The number of counts does not match the population"));
        }
        let mut expanded = Vec::new();
        for (item, c) in items.iter().zip(cs) {
            let c = vm.index_value(&c)?;
            for _ in 0..c.max(0) {
                expanded.push(item.clone());
            }
        }
        items = expanded;
    }
    let k = vm.index_value(&k)?;
    let n = items.len();
    if k < 0 || k as usize > n {
        return Err(vm.value_error("Sample larger than population or is negative"));
    }
    let k = k as usize;
    let mut setsize = 21usize;
    if k > 5 {
        let l = ((k * 3) as f64).ln() / 4f64.ln();
        setsize += 4usize.pow(l.ceil() as u32);
    }
    let picks: Vec<usize> = with(vm, &me, |g| {
        let mut out = Vec::with_capacity(k);
        if n <= setsize {
            let mut pool: Vec<usize> = (0..n).collect();
            for i in 0..k {
                let j = g.below_u64((n - i) as u64) as usize;
                out.push(pool[j]);
                pool[j] = pool[n - i - 1];
            }
        } else {
            let mut selected = std::collections::HashSet::new();
            for _ in 0..k {
                let mut j = g.below_u64(n as u64) as usize;
                while selected.contains(&j) {
                    j = g.below_u64(n as u64) as usize;
                }
                selected.insert(j);
                out.push(j);
            }
        }
        out
    })?;
    Ok(Value::list(picks.into_iter().map(|i| items[i].clone()).collect()))
}

fn choices(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let me = this(&args);
    let cum = args.take_kw("cum_weights").filter(|v| !v.is_none());
    let k = args.take_kw("k").unwrap_or(Value::Int(1));
    let pop = args.take(1, "population");
    let weights = args.take(2, "weights").filter(|v| !v.is_none());
    let Some(pop) = pop else {
        return Err(vm.type_error("Random.choices() missing 1 required positional argument: 'population'"));
    };
    let items = population(vm, &pop)?;
    let k = vm.index_value(&k)?.max(0) as usize;
    let n = items.len();
    let cum: Vec<f64> = match (weights, cum) {
        (None, None) => {
            if n == 0 && k > 0 {
                return Err(vm.error(Exc::IndexError, "list index out of range"));
            }
            let nf = n as f64;
            let idx: Vec<usize> = with(vm, &me, |g| (0..k).map(|_| (g.random() * nf).floor() as usize).collect())?;
            return Ok(Value::list(idx.into_iter().map(|i| items[i].clone()).collect()));
        }
        (Some(_), Some(_)) => return Err(vm.type_error("Cannot specify both weights and cumulative weights")),
        (Some(w), None) => {
            let ws = vm.collect(&w)?;
            let mut acc = 0.0;
            let mut out = Vec::with_capacity(ws.len());
            for w in &ws {
                acc += conc_interpreter::builtins::constructors::to_float(vm, w)?;
                out.push(acc);
            }
            out
        }
        (None, Some(c)) => {
            let cs = vm.collect(&c)?;
            let mut out = Vec::with_capacity(cs.len());
            for c in &cs {
                out.push(conc_interpreter::builtins::constructors::to_float(vm, c)?);
            }
            out
        }
    };
    if cum.len() != n {
        return Err(vm.value_error("The number of weights does not match the population"));
    }
    let total = cum.last().copied().unwrap_or(0.0);
    if total <= 0.0 {
        return Err(vm.value_error("Total of weights must be greater than zero"));
    }
    if !total.is_finite() {
        return Err(vm.value_error("Total of weights must be finite"));
    }
    let hi = n - 1;
    let idx: Vec<usize> = with(vm, &me, |g| {
        (0..k)
            .map(|_| {
                let x = g.random() * total;
                // bisect_right over cum[0..hi].
                let (mut lo, mut h) = (0usize, hi);
                while lo < h {
                    let mid = (lo + h) / 2;
                    if x < cum[mid] {
                        h = mid;
                    } else {
                        lo = mid + 1;
                    }
                }
                lo
            })
            .collect()
    })?;
    Ok(Value::list(idx.into_iter().map(|i| items[i].clone()).collect()))
}

fn float_arg(vm: &mut Vm, args: &mut Args, i: usize, name: &str, default: Option<f64>) -> PyResult<f64> {
    match args.take(i, name) {
        Some(v) => conc_interpreter::builtins::constructors::to_float(vm, &v),
        None => match default {
            Some(d) => Ok(d),
            None => {
                let msg = format!("missing required argument '{name}'");
                Err(vm.type_error(&msg))
            }
        },
    }
}

fn uniform(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let me = this(&args);
    let a = float_arg(vm, &mut args, 1, "a", None)?;
    let b = float_arg(vm, &mut args, 2, "b", None)?;
    let r = with(vm, &me, |g| g.random())?;
    Ok(Value::Float(a + (b - a) * r))
}

fn triangular(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let me = this(&args);
    let mut low = float_arg(vm, &mut args, 1, "low", Some(0.0))?;
    let mut high = float_arg(vm, &mut args, 2, "high", Some(1.0))?;
    let mode = args.take(3, "mode").filter(|v| !v.is_none());
    let mut u = with(vm, &me, |g| g.random())?;
    let mut c = match mode {
        None => 0.5,
        Some(m) => {
            let m = conc_interpreter::builtins::constructors::to_float(vm, &m)?;
            if high == low {
                return Ok(Value::Float(low));
            }
            (m - low) / (high - low)
        }
    };
    if u > c {
        u = 1.0 - u;
        c = 1.0 - c;
        std::mem::swap(&mut low, &mut high);
    }
    Ok(Value::Float(low + (high - low) * (u * c).sqrt()))
}

fn gauss(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let me = this(&args);
    let mu = float_arg(vm, &mut args, 1, "mu", Some(0.0))?;
    let sigma = float_arg(vm, &mut args, 2, "sigma", Some(1.0))?;
    let z = with(vm, &me, |g| match g.gauss_next.take() {
        Some(z) => z,
        None => {
            let x2pi = g.random() * std::f64::consts::TAU;
            let g2rad = (-2.0 * (1.0 - g.random()).ln()).sqrt();
            g.gauss_next = Some(x2pi.sin() * g2rad);
            x2pi.cos() * g2rad
        }
    })?;
    Ok(Value::Float(mu + z * sigma))
}

fn normalvariate(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let me = this(&args);
    let mu = float_arg(vm, &mut args, 1, "mu", Some(0.0))?;
    let sigma = float_arg(vm, &mut args, 2, "sigma", Some(1.0))?;
    let magic = 4.0 * (-0.5f64).exp() / 2.0f64.sqrt();
    let z = with(vm, &me, |g| loop {
        let u1 = g.random();
        let u2 = 1.0 - g.random();
        let z = magic * (u1 - 0.5) / u2;
        let zz = z * z / 4.0;
        if zz <= -u2.ln() {
            break z;
        }
    })?;
    Ok(Value::Float(mu + z * sigma))
}

fn expovariate(vm: &mut Vm, mut args: Args) -> PyResult<Value> {
    let me = this(&args);
    let lambd = float_arg(vm, &mut args, 1, "lambd", None)?;
    let r = with(vm, &me, |g| g.random())?;
    if lambd == 0.0 {
        return Err(vm.error(Exc::ZeroDivisionError, "float division by zero"));
    }
    Ok(Value::Float(-(1.0 - r).ln() / lambd))
}

fn randbytes(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let me = this(&args);
    let n = match args.pos.get(1) {
        Some(v) => vm.index_value(v)?,
        None => return Err(vm.type_error("Random.randbytes() missing 1 required positional argument: 'n'")),
    };
    if n < 0 {
        return Err(vm.value_error("number of bits must be non-negative"));
    }
    let r = with(vm, &me, |g| g.bits_big(n as u64 * 8))?;
    let mut bytes = r.to_bytes_le();
    bytes.resize(n as usize, 0);
    Ok(Value::new(Object::Bytes(bytes.into_boxed_slice())))
}

/// `getstate()`: (3, (624 words..., index), gauss_next) as in CPython.
fn getstate(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let me = this(&args);
    let (words, index, gn) = with(vm, &me, |g| (g.state.to_vec(), g.index, g.gauss_next))?;
    let mut inner: Vec<Value> = words.into_iter().map(|w| Value::Int(w as i64)).collect();
    inner.push(Value::Int(index as i64));
    Ok(Value::tuple(vec![Value::Int(3), Value::tuple(inner), gn.map(Value::Float).unwrap_or(Value::None)]))
}

fn setstate(vm: &mut Vm, args: Args) -> PyResult<Value> {
    let me = this(&args);
    let state = args.pos.get(1).cloned().unwrap_or(Value::None);
    let parts = match state.as_tuple() {
        Some(t) if t.len() == 3 => t.items().to_vec(),
        _ => return Err(vm.type_error("state vector must be a tuple")),
    };
    let words = match parts[1].as_tuple() {
        Some(t) if t.len() == N + 1 => t.items().to_vec(),
        _ => return Err(vm.value_error("state vector is the wrong size")),
    };
    let mut st = [0u32; N];
    for (i, w) in words[..N].iter().enumerate() {
        st[i] = vm.index_value(w)? as u32;
    }
    let index = vm.index_value(&words[N])?;
    if !(0..=N as i64).contains(&index) {
        return Err(vm.value_error("invalid state"));
    }
    let gn = match &parts[2] {
        Value::None => None,
        v => Some(conc_interpreter::builtins::constructors::to_float(vm, v)?),
    };
    with(vm, &me, |g| {
        g.state = st;
        g.index = index as usize;
        g.gauss_next = gn;
    })?;
    Ok(Value::None)
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
