//! `_hashlib`: message digests under the conc module `hashlib`. MD5, SHA-1, SHA-2
//! and SHA-3 come from the RustCrypto crates; BLAKE2 is `blake2.rs` (CPython's
//! constructors take parameters the crates do not expose). Each `HASH` object
//! holds its state under its own mutex, so threads hashing different objects
//! run in parallel and threads sharing one see whole updates.

mod blake2_core;

use crate::util::natives;
use blake2_core::{Blake2b, Blake2s, Params};
use conc_interpreter::native::{native, Exc, KwArgs, NativeClass, NativePayload, Property};

/// Keyword arguments by name.
type Named = Vec<(String, Value)>;

fn named(kwargs: KwArgs) -> Named {
    kwargs
        .into_iter()
        .map(|(k, v)| {
            let key = match &*k {
                Object::Str(s) => s.as_str().to_string(),
                _ => String::new(),
            };
            (key, v)
        })
        .collect()
}

fn lookup(kwargs: &Named, name: &str) -> Option<Value> {
    kwargs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}
use ::digest::{Digest, ExtendableOutput, Update, XofReader};
use conc_interpreter::{ObjRef, Object, PyResult, Value, Vm};
use parking_lot::Mutex;

/// One hashing state per algorithm. The fixed-size digests are listed once, in
/// `fixed!`, which writes their variants and the dispatch over them.
macro_rules! fixed {
    ($($variant:ident => $ty:ty),* $(,)?) => {
        #[derive(Clone)]
        enum State {
            $($variant($ty),)*
            Shake128(sha3::Shake128),
            Shake256(sha3::Shake256),
            Blake2b(Box<Blake2b>),
            Blake2s(Box<Blake2s>),
        }

        impl State {
            fn update(&mut self, data: &[u8]) {
                match self {
                    $(State::$variant(d) => Digest::update(d, data),)*
                    State::Shake128(s) => Update::update(s, data),
                    State::Shake256(s) => Update::update(s, data),
                    State::Blake2b(b) => b.update(data),
                    State::Blake2s(b) => b.update(data),
                }
            }

            /// The digest of what was absorbed so far (`length` bytes for SHAKE).
            fn digest(&self, length: usize) -> Vec<u8> {
                match self {
                    $(State::$variant(d) => d.clone().finalize().to_vec(),)*
                    State::Shake128(s) => xof(s.clone().finalize_xof(), length),
                    State::Shake256(s) => xof(s.clone().finalize_xof(), length),
                    State::Blake2b(b) => b.finish(),
                    State::Blake2s(b) => b.finish(),
                }
            }
        }
    };
}

fixed! {
    Md5 => md5::Md5,
    Sha1 => sha1::Sha1,
    Sha224 => sha2::Sha224,
    Sha256 => sha2::Sha256,
    Sha384 => sha2::Sha384,
    Sha512 => sha2::Sha512,
    Sha3_224 => sha3::Sha3_224,
    Sha3_256 => sha3::Sha3_256,
    Sha3_384 => sha3::Sha3_384,
    Sha3_512 => sha3::Sha3_512,
}

fn xof(mut reader: impl XofReader, length: usize) -> Vec<u8> {
    let mut out = vec![0u8; length];
    reader.read(&mut out);
    out
}

/// (name, digest size, block size) of every algorithm.
const ALGORITHMS: &[(&str, usize, usize)] = &[
    ("md5", 16, 64),
    ("sha1", 20, 64),
    ("sha224", 28, 64),
    ("sha256", 32, 64),
    ("sha384", 48, 128),
    ("sha512", 64, 128),
    ("sha3_224", 28, 144),
    ("sha3_256", 32, 136),
    ("sha3_384", 48, 104),
    ("sha3_512", 64, 72),
    ("shake_128", 0, 168),
    ("shake_256", 0, 136),
    ("blake2b", 64, 128),
    ("blake2s", 32, 64),
];

fn fixed_state(name: &str) -> Option<State> {
    Some(match name {
        "md5" => State::Md5(Default::default()),
        "sha1" => State::Sha1(Default::default()),
        "sha224" => State::Sha224(Default::default()),
        "sha256" => State::Sha256(Default::default()),
        "sha384" => State::Sha384(Default::default()),
        "sha512" => State::Sha512(Default::default()),
        "sha3_224" => State::Sha3_224(Default::default()),
        "sha3_256" => State::Sha3_256(Default::default()),
        "sha3_384" => State::Sha3_384(Default::default()),
        "sha3_512" => State::Sha3_512(Default::default()),
        "shake_128" => State::Shake128(Default::default()),
        "shake_256" => State::Shake256(Default::default()),
        _ => return None,
    })
}

pub struct Hash {
    name: &'static str,
    digest_size: usize,
    block_size: usize,
    state: Mutex<State>,
}

impl NativePayload for Hash {
    const CLASS: &'static NativeClass = &HASH;
}

pub static HASH: NativeClass = NativeClass {
    name: "HASH",
    module: "_hashlib",
    doc: "A hash is an object used to calculate a checksum of a string of information.",
    methods: &[&h_update::DEF, &h_digest::DEF, &h_hexdigest::DEF, &h_copy::DEF, &__repr__::DEF],
    properties: &[
        Property { name: "name", get: &h_name::DEF, set: None },
        Property { name: "digest_size", get: &h_digest_size::DEF, set: None },
        Property { name: "block_size", get: &h_block_size::DEF, set: None },
    ],
    subclassable: false,
    ..NativeClass::DEFAULT
};

/// The bytes to hash: a bytes-like object (str must be encoded first).
fn data_of(vm: &mut Vm, v: &Value) -> PyResult<Vec<u8>> {
    match v.unwrap_base().obj() {
        Some(Object::Bytes(b)) => Ok(b.to_vec()),
        Some(Object::ByteArray(b)) => Ok(b.snapshot()),
        Some(Object::Str(_)) => Err(vm.type_error("Strings must be encoded before hashing")),
        _ => Err(vm.type_error("object supporting the buffer API required")),
    }
}

/// Feeds data to a state: bytes are hashed in place, without a copy.
fn absorb(vm: &mut Vm, state: &Mutex<State>, v: &Value) -> PyResult<()> {
    if let Some(Object::Bytes(b)) = v.unwrap_base().obj() {
        state.lock().update(b);
        return Ok(());
    }
    let data = data_of(vm, v)?;
    state.lock().update(&data);
    Ok(())
}

fn hex(data: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(data.len() * 2);
    for b in data {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
    out
}

fn bytes_value(data: Vec<u8>) -> Value {
    Value::new(Object::Bytes(data.into_boxed_slice()))
}

/// The length a SHAKE digest was asked for; other algorithms take none.
fn digest_length(vm: &mut Vm, this: &Hash, length: Option<Value>, method: &str) -> PyResult<usize> {
    let shake = this.name.starts_with("shake");
    match (shake, length) {
        (true, Some(v)) => {
            let n = vm.index_value(&v)?;
            if n < 0 {
                return Err(vm.value_error("negative digest length"));
            }
            Ok(n as usize)
        }
        (true, None) => {
            let msg = format!("{method}() missing required argument 'length' (pos 1)");
            Err(vm.type_error(&msg))
        }
        (false, Some(_)) => {
            let msg = format!("HASH.{method}() takes no arguments (1 given)");
            Err(vm.type_error(&msg))
        }
        (false, None) => Ok(0),
    }
}

/// Update this hash object's state with the provided string.
#[native("HASH.update($self, obj, /)")]
fn h_update(vm: &mut Vm, this: &Hash, obj: Value) -> PyResult<()> {
    absorb(vm, &this.state, &obj)
}

/// Return the digest value as a bytes object.
#[native("HASH.digest($self, /, length=None)")]
fn h_digest(vm: &mut Vm, this: &Hash, length: Option<Value>) -> PyResult<Value> {
    let n = digest_length(vm, this, length, "digest")?;
    Ok(bytes_value(this.state.lock().digest(n)))
}

/// Return the digest value as a string of hexadecimal digits.
#[native("HASH.hexdigest($self, /, length=None)")]
fn h_hexdigest(vm: &mut Vm, this: &Hash, length: Option<Value>) -> PyResult<String> {
    let n = digest_length(vm, this, length, "hexdigest")?;
    Ok(hex(&this.state.lock().digest(n)))
}

/// Return a copy of the hash object.
#[native("HASH.copy($self, /)")]
fn h_copy(_vm: &mut Vm, this: &Hash) -> PyResult<Value> {
    let state = this.state.lock().clone();
    let twin =
        Hash { name: this.name, digest_size: this.digest_size, block_size: this.block_size, state: Mutex::new(state) };
    Ok(NativeClass::instance_of(HASH.class(), twin))
}

#[native("HASH.__repr__($self, /)")]
fn __repr__(_vm: &mut Vm, this: (&Value, &Hash)) -> PyResult<String> {
    let addr = this.0.as_objref().map(|o| o.addr()).unwrap_or(0);
    Ok(format!("<{} _hashlib.HASH object @ {:#x}>", this.1.name, addr))
}

#[native("HASH.name($self)")]
fn h_name(_vm: &mut Vm, this: &Hash) -> PyResult<String> {
    Ok(this.name.to_string())
}

#[native("HASH.digest_size($self)")]
fn h_digest_size(_vm: &mut Vm, this: &Hash) -> PyResult<usize> {
    Ok(this.digest_size)
}

#[native("HASH.block_size($self)")]
fn h_block_size(_vm: &mut Vm, this: &Hash) -> PyResult<usize> {
    Ok(this.block_size)
}

fn entry(name: &str) -> Option<(&'static str, usize, usize)> {
    ALGORITHMS.iter().copied().find(|(n, _, _)| *n == name)
}

/// The name without case or a dash: hashlib.new("SHA256") and new("sha-256").
fn canonical(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    match lower.as_str() {
        "sha-1" => "sha1".into(),
        "sha-224" => "sha224".into(),
        "sha-256" => "sha256".into(),
        "sha-384" => "sha384".into(),
        "sha-512" => "sha512".into(),
        "sha3-224" => "sha3_224".into(),
        "sha3-256" => "sha3_256".into(),
        "sha3-384" => "sha3_384".into(),
        "sha3-512" => "sha3_512".into(),
        "shake128" => "shake_128".into(),
        "shake256" => "shake_256".into(),
        "blake2b512" => "blake2b".into(),
        "blake2s256" => "blake2s".into(),
        _ => lower,
    }
}

fn make(vm: &mut Vm, name: &str, data: Option<Value>, state: State, digest_size: usize) -> PyResult<Value> {
    let (name, _, block_size) = entry(name).ok_or_else(|| vm.value_error("unsupported hash type"))?;
    let hash = Hash { name, digest_size, block_size, state: Mutex::new(state) };
    if let Some(d) = data {
        absorb(vm, &hash.state, &d)?;
    }
    Ok(NativeClass::instance_of(HASH.class(), hash))
}

/// Return a new hash object using the named algorithm; optionally initialized with data.
#[native("_hashlib.new(name, data=b'', *, usedforsecurity=True)")]
fn new(vm: &mut Vm, name: &str, data: Option<Value>, usedforsecurity: bool) -> PyResult<Value> {
    let _ = usedforsecurity;
    let key = canonical(name);
    if key == "blake2b" || key == "blake2s" {
        return blake2_new(vm, &key, data, Vec::new());
    }
    let Some(state) = fixed_state(&key) else {
        let msg = format!("unsupported hash type {name}");
        return Err(vm.value_error(&msg));
    };
    let size = entry(&key).map(|e| e.1).unwrap_or(0);
    make(vm, &key, data, state, size)
}

fn bytes_param(vm: &mut Vm, kwargs: &Named, name: &str, max: usize) -> PyResult<Vec<u8>> {
    let Some(v) = lookup(kwargs, name) else { return Ok(Vec::new()) };
    let data = data_of(vm, &v)?;
    if data.len() > max {
        let msg = format!("maximum {name} length is {max} bytes");
        return Err(vm.value_error(&msg));
    }
    Ok(data)
}

fn int_param(vm: &mut Vm, kwargs: &Named, name: &str, default: i64) -> PyResult<i64> {
    match lookup(kwargs, name) {
        Some(v) => vm.index_value(&v),
        None => Ok(default),
    }
}

fn blake2_new(vm: &mut Vm, which: &str, data: Option<Value>, kwargs: Named) -> PyResult<Value> {
    let big = which == "blake2b";
    let (max_digest, salt_len) =
        if big { (Blake2b::MAX_DIGEST, Blake2b::SALT) } else { (Blake2s::MAX_DIGEST, Blake2s::SALT) };
    let digest_size = int_param(vm, &kwargs, "digest_size", max_digest as i64)?;
    if digest_size < 1 || digest_size > max_digest as i64 {
        let msg = format!("digest_size must be between 1 and {max_digest} bytes");
        return Err(vm.value_error(&msg));
    }
    let fanout = int_param(vm, &kwargs, "fanout", 1)?;
    let depth = int_param(vm, &kwargs, "depth", 1)?;
    let leaf_size = int_param(vm, &kwargs, "leaf_size", 0)?;
    let node_offset = int_param(vm, &kwargs, "node_offset", 0)?;
    let node_depth = int_param(vm, &kwargs, "node_depth", 0)?;
    let inner_size = int_param(vm, &kwargs, "inner_size", 0)?;
    if !(0..=255).contains(&fanout) {
        return Err(vm.value_error("fanout must be between 0 and 255"));
    }
    if !(1..=255).contains(&depth) {
        return Err(vm.value_error("depth must be between 1 and 255"));
    }
    if !(0..=u32::MAX as i64).contains(&leaf_size) {
        return Err(vm.error(Exc::OverflowError, "leaf_size is too large"));
    }
    let offset_limit = if big { i64::MAX } else { (1i64 << 48) - 1 };
    if node_offset < 0 || node_offset > offset_limit {
        return Err(vm.error(Exc::OverflowError, "node_offset is too large"));
    }
    if !(0..=255).contains(&node_depth) {
        return Err(vm.value_error("node_depth must be between 0 and 255"));
    }
    if inner_size < 0 || inner_size > max_digest as i64 {
        let msg = format!("inner_size must be between 0 and is {max_digest}");
        return Err(vm.value_error(&msg));
    }
    let params = Params {
        digest_size: digest_size as usize,
        key: bytes_param(vm, &kwargs, "key", max_digest)?,
        salt: bytes_param(vm, &kwargs, "salt", salt_len)?,
        person: bytes_param(vm, &kwargs, "person", salt_len)?,
        fanout: fanout as u8,
        depth: depth as u8,
        leaf_size: leaf_size as u32,
        node_offset: node_offset as u64,
        node_depth: node_depth as u8,
        inner_size: inner_size as u8,
        last_node: match lookup(&kwargs, "last_node") {
            Some(v) => vm.truthy(&v)?,
            None => false,
        },
    };
    let state = if big {
        State::Blake2b(Box::new(Blake2b::new(&params)))
    } else {
        State::Blake2s(Box::new(Blake2s::new(&params)))
    };
    make(vm, which, data, state, params.digest_size)
}

/// blake2b and blake2s with their parameters (digest_size, key, salt, person, fanout, depth, leaf_size, node_offset, node_depth, inner_size, last_node).
#[native("_hashlib.blake2(name, data=b'', /, **params)")]
fn blake2_ctor(vm: &mut Vm, name: &str, data: Option<Value>, params: KwArgs) -> PyResult<Value> {
    let mut params = named(params);
    params.retain(|(k, _)| k != "usedforsecurity");
    for (key, _) in &params {
        let known = [
            "digest_size",
            "key",
            "salt",
            "person",
            "fanout",
            "depth",
            "leaf_size",
            "node_offset",
            "node_depth",
            "inner_size",
            "last_node",
        ];
        if !known.contains(&key.as_str()) {
            let msg = format!("{name}() got an unexpected keyword argument '{key}'");
            return Err(vm.type_error(&msg));
        }
    }
    blake2_new(vm, name, data, params)
}

/// HMAC-based key derivation; the inner and outer states are keyed once and copied per block.
#[native("_hashlib.pbkdf2_hmac(hash_name, password, salt, iterations, dklen=None)")]
fn pbkdf2_hmac(
    vm: &mut Vm,
    hash_name: &str,
    password: Value,
    salt: Value,
    iterations: i64,
    dklen: Option<Value>,
) -> PyResult<Value> {
    let key = canonical(hash_name);
    let Some((_, size, block)) = entry(&key).filter(|e| e.1 > 0) else {
        let msg = format!("unsupported hash type {hash_name}");
        return Err(vm.value_error(&msg));
    };
    let password = data_of(vm, &password)?;
    let salt = data_of(vm, &salt)?;
    if iterations < 1 {
        return Err(vm.value_error("iteration value must be greater than 0."));
    }
    let length = match dklen {
        Some(v) => {
            let n = vm.index_value(&v)?;
            if n < 1 {
                return Err(vm.value_error("key length must be greater than 0."));
            }
            n as usize
        }
        None => size,
    };
    let fresh = |vm: &mut Vm| -> PyResult<State> {
        if key == "blake2b" || key == "blake2s" {
            let p = Params { digest_size: size, fanout: 1, depth: 1, ..Default::default() };
            return Ok(if key == "blake2b" {
                State::Blake2b(Box::new(Blake2b::new(&p)))
            } else {
                State::Blake2s(Box::new(Blake2s::new(&p)))
            });
        }
        fixed_state(&key).ok_or_else(|| vm.value_error("unsupported hash type"))
    };
    let mut padded = if password.len() > block {
        let mut s = fresh(vm)?;
        s.update(&password);
        s.digest(size)
    } else {
        password
    };
    padded.resize(block, 0);
    let mut inner = fresh(vm)?;
    inner.update(&padded.iter().map(|b| b ^ 0x36).collect::<Vec<u8>>());
    let mut outer = fresh(vm)?;
    outer.update(&padded.iter().map(|b| b ^ 0x5c).collect::<Vec<u8>>());
    let mac = |message: &[u8]| -> Vec<u8> {
        let mut i = inner.clone();
        i.update(message);
        let mut o = outer.clone();
        o.update(&i.digest(size));
        o.digest(size)
    };
    let mut out = Vec::with_capacity(length);
    let mut index = 1u32;
    while out.len() < length {
        let mut first = salt.clone();
        first.extend_from_slice(&index.to_be_bytes());
        let mut u = mac(&first);
        let mut t = u.clone();
        for _ in 1..iterations {
            u = mac(&u);
            for (a, b) in t.iter_mut().zip(&u) {
                *a ^= b;
            }
        }
        out.extend_from_slice(&t);
        index += 1;
    }
    out.truncate(length);
    Ok(bytes_value(out))
}

pub fn init(_vm: &mut Vm, m: &ObjRef) -> PyResult<()> {
    crate::util::set(m, "HASH", Value::Obj(HASH.class().clone()));
    natives(m, &[&new::DEF, &blake2_ctor::DEF, &pbkdf2_hmac::DEF]);
    Ok(())
}
