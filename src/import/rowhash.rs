//! The 64-bit hash of one row for the import checksum, computed the same way
//! here and by the server.
//!
//! The server side is `hashtextextended(encode(row, 'hex') COLLATE "C", 0)`:
//! PostgreSQL's built-in extended hash of the row's bytes in lower-case hex.
//! That function is Bob Jenkins' lookup3 (public domain) as PostgreSQL's
//! `hash_bytes_extended` applies it (little-endian word loads, the length in
//! the initial state, `b:c` as the result). It costs about a tenth of
//! `sha256()` per row in SQL, which made verification a third of the import's
//! time. It is not a cryptographic hash: the checksum guards against loss and
//! corruption, not against someone forging rows. The `matches_the_server` test
//! in tests/it/import.rs compares it with the server on many inputs; a server
//! on a big-endian machine would hash differently, and the import would then
//! report a difference and roll back, never pass wrongly.

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The row hash of `row` (the binary COPY fields of one row).
pub fn row_hash(row: &[u8], scratch: &mut Vec<u8>) -> i64 {
    scratch.clear();
    scratch.reserve(row.len() * 2);
    for b in row {
        scratch.push(HEX[usize::from(b >> 4)]);
        scratch.push(HEX[usize::from(b & 0xf)]);
    }
    #[allow(clippy::cast_possible_wrap)]
    let h = hash_bytes_extended(scratch, 0) as i64;
    h
}

fn mix(a: &mut u32, b: &mut u32, c: &mut u32) {
    *a = a.wrapping_sub(*c);
    *a ^= c.rotate_left(4);
    *c = c.wrapping_add(*b);
    *b = b.wrapping_sub(*a);
    *b ^= a.rotate_left(6);
    *a = a.wrapping_add(*c);
    *c = c.wrapping_sub(*b);
    *c ^= b.rotate_left(8);
    *b = b.wrapping_add(*a);
    *a = a.wrapping_sub(*c);
    *a ^= c.rotate_left(16);
    *c = c.wrapping_add(*b);
    *b = b.wrapping_sub(*a);
    *b ^= a.rotate_left(19);
    *a = a.wrapping_add(*c);
    *c = c.wrapping_sub(*b);
    *c ^= b.rotate_left(4);
    *b = b.wrapping_add(*a);
}

fn finish(a: &mut u32, b: &mut u32, c: &mut u32) {
    *c ^= *b;
    *c = c.wrapping_sub(b.rotate_left(14));
    *a ^= *c;
    *a = a.wrapping_sub(c.rotate_left(11));
    *b ^= *a;
    *b = b.wrapping_sub(a.rotate_left(25));
    *c ^= *b;
    *c = c.wrapping_sub(b.rotate_left(16));
    *a ^= *c;
    *a = a.wrapping_sub(c.rotate_left(4));
    *b ^= *a;
    *b = b.wrapping_sub(a.rotate_left(14));
    *c ^= *b;
    *c = c.wrapping_sub(b.rotate_left(24));
}

fn word(k: &[u8]) -> u32 {
    u32::from_le_bytes([k[0], k[1], k[2], k[3]])
}

/// lookup3 over `key` with a 64-bit seed, as PostgreSQL computes it.
#[allow(clippy::many_single_char_names)] // a, b, c, k: the algorithm's own names
pub fn hash_bytes_extended(key: &[u8], seed: u64) -> u64 {
    #[allow(clippy::cast_possible_truncation)]
    let init = 0x9e37_79b9_u32
        .wrapping_add(key.len() as u32)
        .wrapping_add(3_923_095);
    let (mut a, mut b, mut c) = (init, init, init);
    if seed != 0 {
        #[allow(clippy::cast_possible_truncation)]
        {
            a = a.wrapping_add((seed >> 32) as u32);
            b = b.wrapping_add(seed as u32);
        }
        mix(&mut a, &mut b, &mut c);
    }
    let mut k = key;
    while k.len() >= 12 {
        a = a.wrapping_add(word(&k[0..4]));
        b = b.wrapping_add(word(&k[4..8]));
        c = c.wrapping_add(word(&k[8..12]));
        mix(&mut a, &mut b, &mut c);
        k = &k[12..];
    }
    // The last 0..=11 bytes, zero-padded: lookup3 adds them byte by byte at
    // the same places a full block would, except that `c`'s start one byte
    // up (its lowest byte is left for the length). Absent bytes add zero.
    let mut tail = [0u8; 12];
    tail[..k.len()].copy_from_slice(k);
    a = a.wrapping_add(word(&tail[0..4]));
    b = b.wrapping_add(word(&tail[4..8]));
    c = c.wrapping_add(word(&tail[8..12]) << 8);
    finish(&mut a, &mut b, &mut c);
    (u64::from(b) << 32) | u64::from(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_values_as_hashtextextended() {
        // `SELECT hashtextextended(t, seed)` on PostgreSQL 15, x86-64.
        #[allow(clippy::cast_possible_wrap)]
        let h = |t: &str, seed| hash_bytes_extended(t.as_bytes(), seed) as i64;
        assert_eq!(h("", 0), -6_939_563_903_564_495_251);
        assert_eq!(h("a", 0), 3_591_986_179_850_072_241);
        assert_eq!(h("hello world!", 0), -2_866_487_628_948_787_489);
        assert_eq!(h("0123456789abcdef0123", 0), -8_449_784_196_480_001_108);
        assert_eq!(h("abc", 42), 4_423_357_919_252_764_502);
        assert_eq!(
            h("0123456789abcdef0123456789ab", 0),
            -4_850_389_038_128_450_368
        );
    }
}
