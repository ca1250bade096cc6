//! The crypto core's one error type.

/// Which kind of contribution an [`Error::InvalidContribution`] blames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Contribution {
    /// A signer's public key.
    PubKey,
    /// A signer's public nonce.
    PubNonce,
    /// The aggregate nonce.
    AggNonce,
    /// The aggregate of the other signers' nonces (deterministic signing).
    AggOtherNonce,
    /// A signer's partial signature.
    PartialSig,
}

/// Errors of the crypto core. Every error caused by someone else's input names the culprit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A contribution is malformed or invalid. `signer` is the index of the signer to blame
    /// (in the order the caller passed the contributions), or `None` when the faulty value is
    /// an aggregate that no single signer can be blamed for. Callers should drop or penalize
    /// the named signer and restart the affected round without them.
    #[error("invalid {contrib:?} contribution from signer {signer:?}")]
    InvalidContribution {
        /// Index of the signer to blame, when one can be named.
        signer: Option<usize>,
        /// What was invalid.
        contrib: Contribution,
    },
    /// A tweak is not a scalar below the group order. Use a different tweak.
    #[error("the tweak must be less than n")]
    TweakOutOfRange,
    /// Tweaking produced the point at infinity. Use a different tweak.
    #[error("the result of tweaking cannot be infinity")]
    TweakInfinity,
    /// The signer's own public key is not among the aggregated keys. Check the key list.
    #[error("the signer's pubkey must be included in the list of pubkeys")]
    SignerNotInKeys,
    /// A secret nonce value is out of range (zero or not below n). Generate a fresh nonce.
    #[error("secret nonce value is out of range")]
    SecNonceOutOfRange,
    /// The secret nonce was generated for another public key. Generate a fresh nonce.
    #[error("secret nonce does not belong to the signing key")]
    SecNonceKeyMismatch,
    /// A secret key is zero or not below the group order.
    #[error("invalid secret key")]
    InvalidSecretKey,
    /// A public key is not a valid encoding of a curve point.
    #[error("invalid public key")]
    InvalidPublicKey,
    /// A signature is not 64 bytes or has out-of-range components.
    #[error("invalid signature encoding")]
    InvalidSignature,
    /// An input has the wrong length. `expected` and `got` are byte counts.
    #[error("wrong length: expected {expected} bytes, got {got}")]
    WrongLength {
        /// The required length in bytes.
        expected: usize,
        /// The length that was given.
        got: usize,
    },
    /// An empty key list or nonce list was given where at least one is required.
    #[error("empty input list")]
    Empty,
    /// The scheme does not support the requested operation (for example an x-only tweak in Lotus).
    #[error("operation not supported by this scheme")]
    Unsupported,
    /// A well-formed signature does not verify for this key and message. Reject it.
    #[error("signature verification failed")]
    VerificationFailed,
    /// A signer index is not a position in the key list (`index ≥ signers`). Check the index.
    #[error("signer index {index} out of range for {signers} signers")]
    SignerIndexOutOfRange {
        /// The index that was given.
        index: usize,
        /// The number of signers in the key list.
        signers: usize,
    },
    /// A list needs one entry per signer but has another length. Pass one entry per signer.
    #[error("wrong number of entries: expected one per signer ({expected}), got {got}")]
    WrongSignerCount {
        /// The number of signers in the key list.
        expected: usize,
        /// The number of entries given.
        got: usize,
    },
}

impl Error {
    /// The index of the signer this error blames, if any: the input for reputation.
    pub fn culprit(&self) -> Option<usize> {
        match self {
            Error::InvalidContribution { signer, .. } => *signer,
            _ => None,
        }
    }
}
