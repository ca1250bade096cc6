//! The crypto surface the session layer uses: exactly the shape of the planned
//! `musig2_crypto::scheme` API (see the workspace notes).
//!
//! TEMPORARY: until `musig2_crypto::scheme` lands, this module provides that API over
//! `musig2_crypto::bip327` / `bip340` (BIP-327 only; Lotus returns `Error::Unsupported`).
//! When it lands this file becomes `pub use musig2_crypto::scheme::*;`, with no change to
//! the rest of the crate.

use musig2_crypto::{bip327, bip340, taproot, Error, SecNonce};
use zeroize::Zeroize;

/// Which MuSig2 scheme (wire code: Bip327 = 0, Lotus = 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// BIP-327 with BIP-340 signatures.
    Bip327,
    /// The Lotus scheme.
    Lotus,
}

/// A secret key. Zeroized on drop, no `Clone`, redacted `Debug`.
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
    /// Parses 32 bytes, `0 < x < n`.
    ///
    /// # Errors
    /// [`Error::InvalidSecretKey`] or [`Error::WrongLength`].
    pub fn from_bytes(b: &[u8]) -> Result<Self, Error> {
        let arr: [u8; 32] = b.try_into().map_err(|_| Error::WrongLength {
            expected: 32,
            got: b.len(),
        })?;
        bip327::individual_pk(&arr)?;
        Ok(Self(arr))
    }

    /// The compressed public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(bip327::individual_pk(&self.0).unwrap_or([2; 33]))
    }
}

/// A validated compressed SEC1 point.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct PublicKey([u8; 33]);

impl PublicKey {
    /// Parses 33 bytes.
    ///
    /// # Errors
    /// [`Error::InvalidPublicKey`] for anything but a valid compressed point.
    pub fn from_bytes(b: &[u8]) -> Result<Self, Error> {
        let arr: [u8; 33] = b.try_into().map_err(|_| Error::InvalidPublicKey)?;
        bip327::KeyAggContext::new(&[arr]).map_err(|_| Error::InvalidPublicKey)?;
        Ok(Self(arr))
    }

    /// The 33 bytes.
    pub fn to_bytes(&self) -> [u8; 33] {
        self.0
    }
}

macro_rules! bytes_type {
    ($name:ident, $len:expr, $doc:expr) => {
        #[doc = $doc]
        #[derive(Clone, Copy, PartialEq, Eq, Debug)]
        pub struct $name([u8; $len]);
        impl $name {
            /// Parses the fixed-length encoding (structure is checked where it is used).
            ///
            /// # Errors
            /// [`Error::WrongLength`].
            pub fn from_bytes(b: &[u8]) -> Result<Self, Error> {
                Ok(Self(b.try_into().map_err(|_| Error::WrongLength {
                    expected: $len,
                    got: b.len(),
                })?))
            }
            /// The encoding.
            pub fn to_bytes(&self) -> [u8; $len] {
                self.0
            }
        }
    };
}

bytes_type!(PubNonce, 66, "A public nonce.");
bytes_type!(AggNonce, 66, "An aggregate nonce.");
bytes_type!(PartialSignature, 32, "A partial signature.");
bytes_type!(Signature, 64, "A final signature.");

/// Key tweak.
pub enum Tweak {
    /// None.
    None,
    /// Taproot.
    Taproot {
        /// Script-tree root.
        merkle_root: Option<[u8; 32]>,
    },
}

/// A signing context for one key set.
#[derive(Clone)]
pub struct SigningContext {
    scheme: Scheme,
    keyctx: bip327::KeyAggContext,
}

impl SigningContext {
    /// Keys in any order.
    ///
    /// # Errors
    /// Key aggregation errors; [`Error::Unsupported`] for Lotus in this stand-in.
    pub fn new(scheme: Scheme, pubkeys: &[PublicKey], tweak: Tweak) -> Result<Self, Error> {
        if scheme == Scheme::Lotus {
            return Err(Error::Unsupported);
        }
        let raw: Vec<[u8; 33]> = pubkeys.iter().map(PublicKey::to_bytes).collect();
        let mut keyctx = bip327::KeyAggContext::new(&bip327::key_sort(&raw))?;
        if let Tweak::Taproot { merkle_root } = tweak {
            taproot::apply_taproot_tweak(&mut keyctx, merkle_root.as_ref())?;
        }
        Ok(Self { scheme, keyctx })
    }

    /// The scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The aggregate key.
    pub fn aggregate_key(&self) -> Vec<u8> {
        self.keyctx.xonly_public_key().to_vec()
    }

    /// Nonce generation.
    ///
    /// # Errors
    /// Crypto errors.
    pub fn nonce_gen(
        &self,
        sk: &SecretKey,
        msg: &[u8],
        rand: [u8; 32],
    ) -> Result<(SecNonce, PubNonce), Error> {
        let pk = sk.public_key().to_bytes();
        let agg = self.keyctx.xonly_public_key();
        let inputs = bip327::NonceGenInputs {
            sk: Some(&sk.0),
            aggpk: Some(&agg),
            msg: Some(msg),
            extra_in: None,
        };
        let (sec, public) = bip327::nonce_gen(&rand, &pk, inputs)?;
        Ok((sec, PubNonce(*public.as_bytes())))
    }

    /// Nonce aggregation; errors name the index.
    ///
    /// # Errors
    /// Invalid nonces.
    pub fn nonce_agg(&self, pubnonces: &[PubNonce]) -> Result<AggNonce, Error> {
        let raw: Vec<[u8; 66]> = pubnonces.iter().map(PubNonce::to_bytes).collect();
        Ok(AggNonce(*bip327::nonce_agg(&raw)?.as_bytes()))
    }

    fn session(&self, aggnonce: &AggNonce, msg: &[u8]) -> Result<bip327::SessionContext, Error> {
        let agg = bip327::AggNonce::from_bytes(&aggnonce.0)?;
        Ok(bip327::SessionContext::new(&self.keyctx, &agg, msg))
    }

    /// Signs, consuming the secret nonce.
    ///
    /// # Errors
    /// Crypto errors.
    pub fn sign(
        &self,
        secnonce: SecNonce,
        sk: &SecretKey,
        aggnonce: &AggNonce,
        msg: &[u8],
    ) -> Result<PartialSignature, Error> {
        Ok(PartialSignature(
            self.session(aggnonce, msg)?
                .sign(secnonce, &sk.0)?
                .to_bytes(),
        ))
    }

    /// Verifies one partial signature.
    ///
    /// # Errors
    /// Invalid contribution.
    pub fn partial_verify(
        &self,
        psig: &PartialSignature,
        pubnonce: &PubNonce,
        signer: &PublicKey,
        aggnonce: &AggNonce,
        msg: &[u8],
    ) -> Result<(), Error> {
        let index = self
            .keyctx
            .signer_index(&signer.0)
            .ok_or(Error::SignerNotInKeys)?;
        let p = bip327::PartialSignature::from_bytes(&psig.0)?;
        let n = bip327::PubNonce::from_bytes(&pubnonce.0)?;
        self.session(aggnonce, msg)?
            .partial_sig_verify(&p, &n, index)
    }

    /// Aggregates partial signatures.
    ///
    /// # Errors
    /// Malformed partial signatures.
    pub fn aggregate(
        &self,
        aggnonce: &AggNonce,
        msg: &[u8],
        psigs: &[PartialSignature],
    ) -> Result<Signature, Error> {
        let raw: Vec<[u8; 32]> = psigs.iter().map(PartialSignature::to_bytes).collect();
        Ok(Signature(bip327::partial_sig_agg(
            &raw,
            &self.session(aggnonce, msg)?,
        )?))
    }

    /// Verifies a final signature.
    pub fn verify(&self, msg: &[u8], sig: &Signature) -> bool {
        bip340::verify(&self.keyctx.xonly_public_key(), msg, &sig.0)
    }
}

/// Single-signer Schnorr of the scheme.
pub fn schnorr_sign(scheme: Scheme, sk: &SecretKey, msg32: &[u8; 32], aux: [u8; 32]) -> Signature {
    let _ = scheme;
    Signature(bip340::sign(&sk.0, msg32, &aux).unwrap_or([0; 64]))
}

/// Single-signer Schnorr verification of the scheme.
pub fn schnorr_verify(scheme: Scheme, pk: &PublicKey, msg32: &[u8; 32], sig: &Signature) -> bool {
    if scheme == Scheme::Lotus {
        return false;
    }
    let mut x = [0u8; 32];
    x.copy_from_slice(pk.0.get(1..).unwrap_or(&[0u8; 32]));
    bip340::verify(&x, msg32, &sig.0)
}
