//! BLAKE2b and BLAKE2s (RFC 7693) with every parameter of CPython's `blake2b`
//! and `blake2s`: digest size, key, salt, personalization and the tree fields.
//! One macro writes both variants, which differ only in word size, rotation
//! counts, number of rounds and the sizes of their parameter fields.

/// The message schedule of each round (RFC 7693, section 2.7).
const SIGMA: [[usize; 16]; 10] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
    [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
    [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
    [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
    [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
    [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
    [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
    [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
    [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
];

/// The tree-hashing and keying parameters, as CPython's constructors take them.
#[derive(Clone, Default)]
pub struct Params {
    pub digest_size: usize,
    pub key: Vec<u8>,
    pub salt: Vec<u8>,
    pub person: Vec<u8>,
    pub fanout: u8,
    pub depth: u8,
    pub leaf_size: u32,
    pub node_offset: u64,
    pub node_depth: u8,
    pub inner_size: u8,
    pub last_node: bool,
}

macro_rules! blake2_variant {
    ($name:ident, $word:ty, $block:expr, $rounds:expr, $salt:expr, $offset_bytes:expr, $rot:expr, $iv:expr) => {
        #[derive(Clone)]
        pub struct $name {
            h: [$word; 8],
            buffer: Vec<u8>,
            /// Bytes compressed so far.
            counter: u128,
            last_node: bool,
            pub digest_size: usize,
        }

        impl $name {
            pub const MAX_DIGEST: usize = $block / 2;
            pub const SALT: usize = $salt;
            const IV: [$word; 8] = $iv;
            const WORD: usize = std::mem::size_of::<$word>();

            pub fn new(p: &Params) -> $name {
                let mut block = [0u8; $block / 2];
                block[0] = p.digest_size as u8;
                block[1] = p.key.len() as u8;
                block[2] = p.fanout;
                block[3] = p.depth;
                block[4..8].copy_from_slice(&p.leaf_size.to_le_bytes());
                block[8..8 + $offset_bytes].copy_from_slice(&p.node_offset.to_le_bytes()[..$offset_bytes]);
                block[8 + $offset_bytes] = p.node_depth;
                block[9 + $offset_bytes] = p.inner_size;
                let salt_at = $block / 4;
                block[salt_at..salt_at + p.salt.len()].copy_from_slice(&p.salt);
                let person_at = salt_at + $salt;
                block[person_at..person_at + p.person.len()].copy_from_slice(&p.person);
                let mut h = Self::IV;
                for (k, word) in h.iter_mut().enumerate() {
                    let mut bytes = [0u8; std::mem::size_of::<$word>()];
                    bytes.copy_from_slice(&block[k * Self::WORD..(k + 1) * Self::WORD]);
                    *word ^= <$word>::from_le_bytes(bytes);
                }
                let mut state = $name {
                    h,
                    buffer: Vec::with_capacity($block),
                    counter: 0,
                    last_node: p.last_node,
                    digest_size: p.digest_size,
                };
                if !p.key.is_empty() {
                    let mut padded = p.key.clone();
                    padded.resize($block, 0);
                    state.update(&padded);
                }
                state
            }

            fn compress(&mut self, block: &[u8], last: bool) {
                let mut m = [0 as $word; 16];
                for (k, word) in m.iter_mut().enumerate() {
                    let mut bytes = [0u8; std::mem::size_of::<$word>()];
                    bytes.copy_from_slice(&block[k * Self::WORD..(k + 1) * Self::WORD]);
                    *word = <$word>::from_le_bytes(bytes);
                }
                let mut v = [0 as $word; 16];
                v[..8].copy_from_slice(&self.h);
                v[8..].copy_from_slice(&Self::IV);
                v[12] ^= self.counter as $word;
                v[13] ^= (self.counter >> (8 * Self::WORD)) as $word;
                if last {
                    v[14] = !v[14];
                    if self.last_node {
                        v[15] = !v[15];
                    }
                }
                let (r1, r2, r3, r4) = $rot;
                let mix = |v: &mut [$word; 16], a: usize, b: usize, c: usize, d: usize, x: $word, y: $word| {
                    v[a] = v[a].wrapping_add(v[b]).wrapping_add(x);
                    v[d] = (v[d] ^ v[a]).rotate_right(r1);
                    v[c] = v[c].wrapping_add(v[d]);
                    v[b] = (v[b] ^ v[c]).rotate_right(r2);
                    v[a] = v[a].wrapping_add(v[b]).wrapping_add(y);
                    v[d] = (v[d] ^ v[a]).rotate_right(r3);
                    v[c] = v[c].wrapping_add(v[d]);
                    v[b] = (v[b] ^ v[c]).rotate_right(r4);
                };
                for round in 0..$rounds {
                    let s = &SIGMA[round % 10];
                    mix(&mut v, 0, 4, 8, 12, m[s[0]], m[s[1]]);
                    mix(&mut v, 1, 5, 9, 13, m[s[2]], m[s[3]]);
                    mix(&mut v, 2, 6, 10, 14, m[s[4]], m[s[5]]);
                    mix(&mut v, 3, 7, 11, 15, m[s[6]], m[s[7]]);
                    mix(&mut v, 0, 5, 10, 15, m[s[8]], m[s[9]]);
                    mix(&mut v, 1, 6, 11, 12, m[s[10]], m[s[11]]);
                    mix(&mut v, 2, 7, 8, 13, m[s[12]], m[s[13]]);
                    mix(&mut v, 3, 4, 9, 14, m[s[14]], m[s[15]]);
                }
                for k in 0..8 {
                    self.h[k] ^= v[k] ^ v[k + 8];
                }
            }

            /// Absorbs data; a full buffered block is compressed only once more
            /// data follows it, since the final block is compressed differently.
            pub fn update(&mut self, mut data: &[u8]) {
                while !data.is_empty() {
                    if self.buffer.len() == $block {
                        self.counter += $block as u128;
                        let block = std::mem::take(&mut self.buffer);
                        self.compress(&block, false);
                        self.buffer = block;
                        self.buffer.clear();
                    }
                    let room = $block - self.buffer.len();
                    let take = room.min(data.len());
                    self.buffer.extend_from_slice(&data[..take]);
                    data = &data[take..];
                }
            }

            pub fn finish(&self) -> Vec<u8> {
                let mut done = self.clone();
                done.counter += done.buffer.len() as u128;
                let mut block = done.buffer.clone();
                block.resize($block, 0);
                done.compress(&block, true);
                let mut out = Vec::with_capacity(8 * Self::WORD);
                for word in done.h {
                    out.extend_from_slice(&word.to_le_bytes());
                }
                out.truncate(self.digest_size);
                out
            }
        }
    };
}

blake2_variant!(
    Blake2b,
    u64,
    128,
    12,
    16,
    8,
    (32, 24, 16, 63),
    [
        0x6a09e667f3bcc908,
        0xbb67ae8584caa73b,
        0x3c6ef372fe94f82b,
        0xa54ff53a5f1d36f1,
        0x510e527fade682d1,
        0x9b05688c2b3e6c1f,
        0x1f83d9abfb41bd6b,
        0x5be0cd19137e2179
    ]
);

blake2_variant!(
    Blake2s,
    u32,
    64,
    10,
    8,
    6,
    (16, 12, 8, 7),
    [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
);
