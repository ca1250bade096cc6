//! The secret nonce: used once, never cloned, never serialized, zeroized on drop.
//!
//! # Security
//! A MuSig2 secret nonce used for two different signatures leaks the secret key. This type
//! therefore has no `Clone`, no serialization and a redacted `Debug`; signing functions take
//! it by value, so the compiler rejects a second use. Its memory is zeroized when it is dropped.

use k256::elliptic_curve::PrimeField;
use k256::Scalar;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::Error;

/// Length of the BIP-327 byte form of a secret nonce: `k1 ‖ k2 ‖ pk` (32 + 32 + 33).
pub const SECNONCE_LEN: usize = 97;

/// A signer's secret nonce pair `(k1, k2)` bound to the signer's 33-byte compressed public key.
///
/// Created by nonce generation, consumed by signing. See the module docs for the guarantees.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct SecNonce {
    k1: Scalar,
    k2: Scalar,
    pk: [u8; 33],
}

impl SecNonce {
    /// Builds a secret nonce from its parts. Crate-internal: only nonce generation makes them.
    pub(crate) fn from_parts(k1: Scalar, k2: Scalar, pk: [u8; 33]) -> Self {
        Self { k1, k2, pk }
    }

    /// The first secret nonce scalar.
    pub(crate) fn k1(&self) -> &Scalar {
        &self.k1
    }

    /// The second secret nonce scalar.
    pub(crate) fn k2(&self) -> &Scalar {
        &self.k2
    }

    /// The compressed public key of the signer this nonce was generated for.
    pub fn public_key(&self) -> &[u8; 33] {
        &self.pk
    }

    /// Parses the 97-byte BIP-327 form `k1 ‖ k2 ‖ pk`.
    ///
    /// # Security
    /// Only for test vectors and interoperability checks. Importing a secret nonce from
    /// outside makes it possible to sign twice with the same nonce, which leaks the secret
    /// key. Never use this with a nonce that was, or may have been, used before.
    ///
    /// # Errors
    /// [`Error::WrongLength`] for a wrong length and [`Error::SecNonceOutOfRange`] when `k1`
    /// or `k2` is zero or not below the group order.
    pub fn dangerous_from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let arr: &[u8; SECNONCE_LEN] = bytes.try_into().map_err(|_| Error::WrongLength {
            expected: SECNONCE_LEN,
            got: bytes.len(),
        })?;
        let (k1_bytes, rest) = arr.split_at(32);
        let (k2_bytes, pk_bytes) = rest.split_at(32);
        let k1 = parse_nonzero(k1_bytes)?;
        let k2 = parse_nonzero(k2_bytes)?;
        let mut pk = [0u8; 33];
        pk.copy_from_slice(pk_bytes);
        Ok(Self { k1, k2, pk })
    }

    /// Returns the 97-byte BIP-327 form `k1 ‖ k2 ‖ pk`.
    ///
    /// # Security
    /// Only for comparing against test vectors. Anything that stores or sends these bytes can
    /// later cause nonce reuse and leak the secret key.
    pub fn dangerous_to_bytes(&self) -> [u8; SECNONCE_LEN] {
        let mut out = [0u8; SECNONCE_LEN];
        let (a, rest) = out.split_at_mut(32);
        let (b, c) = rest.split_at_mut(32);
        a.copy_from_slice(&self.k1.to_bytes());
        b.copy_from_slice(&self.k2.to_bytes());
        c.copy_from_slice(&self.pk);
        out
    }
}

fn parse_nonzero(bytes: &[u8]) -> Result<Scalar, Error> {
    let mut repr = k256::FieldBytes::default();
    repr.copy_from_slice(bytes);
    let s: Option<Scalar> = Scalar::from_repr(repr).into();
    match s {
        Some(s) if !bool::from(s.is_zero()) => Ok(s),
        _ => Err(Error::SecNonceOutOfRange),
    }
}

impl core::fmt::Debug for SecNonce {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SecNonce(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static_assertions::assert_not_impl_any!(SecNonce: Clone, Copy);
    static_assertions::assert_impl_all!(SecNonce: ZeroizeOnDrop);

    #[test]
    fn debug_is_redacted() {
        let n = SecNonce::from_parts(Scalar::ONE, Scalar::ONE, [2u8; 33]);
        assert_eq!(format!("{n:?}"), "SecNonce(<redacted>)");
    }

    #[test]
    fn zeroize_clears_every_field() {
        let mut n = SecNonce::from_parts(Scalar::ONE, Scalar::from(7u64), [2u8; 33]);
        n.zeroize();
        assert_eq!(n.dangerous_to_bytes(), [0u8; SECNONCE_LEN]);
    }

    #[test]
    fn rejects_zero_and_overflowing_scalars() {
        let mut bytes = [0u8; SECNONCE_LEN];
        bytes[31] = 1;
        assert_eq!(
            SecNonce::dangerous_from_bytes(&bytes).err(),
            Some(Error::SecNonceOutOfRange)
        );
        bytes[63] = 1;
        assert!(SecNonce::dangerous_from_bytes(&bytes).is_ok());
        bytes[..32].fill(0xff);
        assert_eq!(
            SecNonce::dangerous_from_bytes(&bytes).err(),
            Some(Error::SecNonceOutOfRange)
        );
        assert_eq!(
            SecNonce::dangerous_from_bytes(&bytes[..96]).err(),
            Some(Error::WrongLength {
                expected: 97,
                got: 96
            })
        );
    }
}
