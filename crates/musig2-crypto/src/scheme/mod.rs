//! One API for both schemes: BIP-327 (BIP-340 signatures) and the Lotus scheme, chosen by a
//! [`Scheme`] parameter. This is what the session layer and the JS API use; the per-scheme
//! modules ([`crate::bip327`], [`crate::lotus`]) stay available for vectors and interop.

mod context;
mod keys;
mod schnorr;

pub use context::{SigningContext, SigningSession, Tweak, NONCE_EXTRA_TAG};
pub use keys::{AggNonce, PartialSignature, PubNonce, PublicKey, SecretKey, Signature};
pub use schnorr::{schnorr_sign, schnorr_verify};

/// Which MuSig2 scheme a session uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scheme {
    /// BIP-327 MuSig2 with BIP-340 signatures and x-only aggregate keys (wire code 0).
    Bip327,
    /// The Lotus MuSig2 scheme with Lotus Schnorr signatures and 33-byte keys (wire code 1).
    Lotus,
}

impl Scheme {
    /// The one-byte wire code of the scheme.
    pub fn code(self) -> u8 {
        match self {
            Scheme::Bip327 => 0,
            Scheme::Lotus => 1,
        }
    }

    /// The scheme of a wire code, if it is known.
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            0 => Some(Scheme::Bip327),
            1 => Some(Scheme::Lotus),
            _ => None,
        }
    }
}
