//! Keys and the fixed-size values exchanged in a session, shared by both schemes.

use zeroize::Zeroize;

use crate::{curve, Error};

/// A secret key `0 < x < n`. Zeroized on drop, no `Clone`, redacted `Debug`.
pub struct SecretKey([u8; 32]);

impl Drop for SecretKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl core::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

impl SecretKey {
    /// Parses 32 big-endian bytes.
    ///
    /// # Errors
    /// [`Error::WrongLength`] for a wrong length, [`Error::InvalidSecretKey`] for zero or a
    /// value not below the group order.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let arr: [u8; 32] = bytes.try_into().map_err(|_| Error::WrongLength {
            expected: 32,
            got: bytes.len(),
        })?;
        curve::nonzero_scalar_from_bytes(&arr).ok_or(Error::InvalidSecretKey)?;
        Ok(Self(arr))
    }

    /// Derives a secret key from 32 bytes of caller-supplied randomness, reducing until valid
    /// (the probability of a retry is below 2⁻¹²⁷).
    pub fn from_random(mut seed: [u8; 32]) -> Self {
        loop {
            if let Ok(sk) = Self::from_bytes(&seed) {
                seed.zeroize();
                return sk;
            }
            seed = crate::hash::sha256(&[&seed]);
        }
    }

    /// The compressed public key.
    pub fn public_key(&self) -> PublicKey {
        use k256::elliptic_curve::ops::MulByGenerator;
        // The constructor guarantees a valid non-zero scalar.
        let x = curve::nonzero_scalar_from_bytes(&self.0).unwrap_or(k256::Scalar::ONE);
        PublicKey(curve::cbytes(
            &k256::ProjectivePoint::mul_by_generator(&x).to_affine(),
        ))
    }

    /// The 32 secret bytes, for the per-scheme functions of this crate.
    pub(crate) fn secret_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Returns the 32 secret bytes.
    ///
    /// # Security
    /// For backing up a key the wallet generated with [`SecretKey::from_random`]. Anything
    /// that logs, sends or stores these bytes unencrypted gives away the key.
    pub fn dangerous_to_bytes(&self) -> [u8; 32] {
        self.0
    }
}

/// A validated compressed SEC1 public key (33 bytes).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct PublicKey([u8; 33]);

impl PublicKey {
    /// Parses a 33-byte compressed point.
    ///
    /// # Errors
    /// [`Error::InvalidPublicKey`] for anything but a valid compressed point.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let arr: [u8; 33] = bytes.try_into().map_err(|_| Error::InvalidPublicKey)?;
        curve::cpoint(&arr).ok_or(Error::InvalidPublicKey)?;
        Ok(Self(arr))
    }

    /// The 33-byte encoding.
    pub fn to_bytes(&self) -> [u8; 33] {
        self.0
    }

    /// The 32-byte x coordinate (the BIP-340 x-only key).
    pub fn x_only(&self) -> [u8; 32] {
        let mut x = [0u8; 32];
        x.copy_from_slice(self.0.get(1..).unwrap_or(&[0u8; 32]));
        x
    }
}

macro_rules! fixed_bytes {
    ($name:ident, $len:expr, $doc:expr) => {
        #[doc = $doc]
        ///
        /// Only the length is checked here; the content is validated by the operation that
        /// uses it, which names the culprit.
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
        pub struct $name([u8; $len]);

        impl $name {
            /// Length of the encoding in bytes.
            pub const LEN: usize = $len;

            /// Takes the encoding.
            ///
            /// # Errors
            /// [`Error::WrongLength`] for a wrong length.
            pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
                let arr = bytes.try_into().map_err(|_| Error::WrongLength {
                    expected: $len,
                    got: bytes.len(),
                })?;
                Ok(Self(arr))
            }

            /// The encoding.
            pub fn to_bytes(&self) -> [u8; $len] {
                self.0
            }

            pub(crate) fn from_array(arr: [u8; $len]) -> Self {
                Self(arr)
            }
        }
    };
}

fixed_bytes!(
    PubNonce,
    66,
    "A signer's public nonce `R1 ‖ R2` (two compressed points)."
);
fixed_bytes!(
    AggNonce,
    66,
    "The aggregate nonce `R1 ‖ R2` (a point at infinity is 33 zero bytes)."
);
fixed_bytes!(
    PartialSignature,
    32,
    "A partial signature (a scalar below the group order)."
);
fixed_bytes!(Signature, 64, "A final Schnorr signature `r ‖ s`.");
