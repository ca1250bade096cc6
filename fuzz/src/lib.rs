//! Helpers shared by the fuzz targets: a deterministic RNG (the crates under test take their
//! randomness as a parameter) and small readers that turn fuzz bytes into keys and lists.
#![forbid(unsafe_code)]

use arbitrary::{Result, Unstructured};
use rand_core::{CryptoRng, RngCore};

/// A deterministic generator (SplitMix64), seeded from the fuzz input so that every run of
/// one input takes the same path. Marked `CryptoRng` only to satisfy the APIs under test.
pub struct FuzzRng(u64);

impl FuzzRng {
    /// A generator with this seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
}

impl RngCore for FuzzRng {
    fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> core::result::Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for FuzzRng {}

/// A valid secret key derived from one fuzz byte: small, distinct, never zero.
pub fn small_secret(i: u8) -> [u8; 32] {
    let mut sk = [0u8; 32];
    sk[30] = 0x5A;
    sk[31] = i;
    sk
}

/// A secret key chosen by the fuzzer: either one of 256 small valid keys, or 32 raw bytes
/// (which may be zero or above the group order, i.e. invalid).
pub fn any_secret(u: &mut Unstructured<'_>) -> Result<[u8; 32]> {
    if u.ratio(7, 8)? {
        Ok(small_secret(u.arbitrary()?))
    } else {
        u.arbitrary()
    }
}

/// A byte string of at most `max` bytes.
pub fn bytes_up_to<'a>(u: &mut Unstructured<'a>, max: usize) -> Result<&'a [u8]> {
    let len = u.int_in_range(0..=max)?;
    u.bytes(len.min(u.len()))
}

/// Takes an encoding of fixed length `N` from the fuzzer, or, with probability 1/4, one of
/// any other length up to `2 * N` (to exercise the length checks).
pub fn maybe_wrong_len<'a, const N: usize>(u: &mut Unstructured<'a>) -> Result<Vec<u8>> {
    if u.ratio(1, 4)? {
        Ok(bytes_up_to(u, 2 * N)?.to_vec())
    } else {
        Ok(u.arbitrary::<[u8; N]>()?.to_vec())
    }
}

/// Flips one bit (chosen by the fuzzer) of `bytes`; returns `false` for an empty slice.
pub fn flip_bit(u: &mut Unstructured<'_>, bytes: &mut [u8]) -> Result<bool> {
    if bytes.is_empty() {
        return Ok(false);
    }
    let bit = u.int_in_range(0..=bytes.len() * 8 - 1)?;
    bytes[bit / 8] ^= 1 << (bit % 8);
    Ok(true)
}

/// Every byte the fuzzer has not used yet.
pub fn rest<'a>(u: &mut Unstructured<'a>) -> &'a [u8] {
    let n = u.len();
    u.bytes(n).unwrap_or_default()
}
