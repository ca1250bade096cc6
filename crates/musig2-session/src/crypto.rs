//! The crypto surface the session layer uses: `musig2_crypto::scheme`, re-exported so the
//! rest of this crate (and its tests) name one module.

pub use musig2_crypto::scheme::{
    schnorr_sign, schnorr_verify, AggNonce, PartialSignature, PubNonce, PublicKey, Scheme,
    SecretKey, Signature, SigningContext, SigningSession, Tweak,
};
pub use musig2_crypto::SecNonce;
