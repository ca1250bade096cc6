//! Key aggregation, nonces, signing and aggregation for a key set, in either scheme.

use super::{AggNonce, PartialSignature, PubNonce, PublicKey, Scheme, SecretKey, Signature};
use crate::{bip327, bip340, lotus, taproot, Contribution, Error, SecNonce};

/// Domain tag of the Lotus extra input when a caller binds `extra_in` (see
/// [`SigningContext::nonce_gen_with_extra`]).
pub const NONCE_EXTRA_TAG: &str = "musig2-p2p/v1/nonce-extra";

/// How the aggregate key is tweaked before signing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Tweak {
    /// Sign for the plain aggregate key.
    #[default]
    None,
    /// Sign for the Taproot output key of the aggregate key (BIP-341 for BIP-327, Lotus
    /// Taproot for Lotus), key-path only or committing to a script-tree root.
    Taproot {
        /// The 32-byte script-tree root, if there is a script path.
        merkle_root: Option<[u8; 32]>,
    },
}

#[derive(Clone, Debug)]
enum KeyCtx {
    Bip327(bip327::KeyAggContext),
    Lotus(Box<lotus::KeyAggContext>),
}

/// The signers' keys aggregated under one scheme, with an optional tweak.
#[derive(Clone, Debug)]
pub struct SigningContext {
    inner: KeyCtx,
}

/// The values of one signing attempt (key set, aggregate nonce and message), computed once
/// and then used for signing, verifying every partial signature and aggregating.
pub enum SigningSession {
    /// A BIP-327 session.
    Bip327(Box<bip327::SessionContext>),
    /// A Lotus session.
    Lotus(Box<lotus::SessionContext>),
}

fn blame(signer: usize, contrib: Contribution) -> Error {
    Error::InvalidContribution {
        signer: Some(signer),
        contrib,
    }
}

fn lotus_msg(msg: &[u8]) -> Result<&[u8; 32], Error> {
    msg.try_into().map_err(|_| Error::WrongLength {
        expected: 32,
        got: msg.len(),
    })
}

impl SigningContext {
    /// Aggregates `pubkeys` (any order; sorted as the scheme requires) and applies `tweak`.
    ///
    /// # Errors
    /// [`Error::Empty`] for no keys; [`Error::InvalidContribution`] naming the index of an
    /// invalid key; tweak errors.
    pub fn new(scheme: Scheme, pubkeys: &[PublicKey], tweak: Tweak) -> Result<Self, Error> {
        let raw: Vec<[u8; 33]> = pubkeys.iter().map(PublicKey::to_bytes).collect();
        Self::from_key_bytes(scheme, &raw, tweak)
    }

    /// Like [`SigningContext::new`] for keys not yet validated: each key is decoded once,
    /// during aggregation (the cheaper path for untrusted input such as JS arguments).
    ///
    /// # Errors
    /// As [`SigningContext::new`]; an invalid key is blamed by its index in `pubkeys`.
    pub fn from_key_bytes(
        scheme: Scheme,
        pubkeys: &[[u8; 33]],
        tweak: Tweak,
    ) -> Result<Self, Error> {
        if pubkeys.is_empty() {
            return Err(Error::Empty);
        }
        match scheme {
            Scheme::Bip327 => {
                let sorted = bip327::key_sort(pubkeys);
                let ctx = bip327::KeyAggContext::new(&sorted).map_err(|e| match e {
                    // Blame by the caller's order, not the sorted one.
                    Error::InvalidContribution {
                        signer: Some(i),
                        contrib,
                    } => {
                        let key = sorted.get(i);
                        let input = pubkeys.iter().position(|k| Some(k) == key);
                        Error::InvalidContribution {
                            signer: input,
                            contrib,
                        }
                    }
                    other => other,
                })?;
                Self::bip327_tweaked(ctx, tweak)
            }
            Scheme::Lotus => {
                let mut ctx = lotus::KeyAggContext::new(pubkeys)?;
                if let Tweak::Taproot { merkle_root } = tweak {
                    ctx = ctx.with_taproot(merkle_root.as_ref())?;
                }
                Ok(Self {
                    inner: KeyCtx::Lotus(Box::new(ctx)),
                })
            }
        }
    }

    /// BIP-327 `KeyAgg` of `pubkeys` in the given order, without `KeySort` (as in BIP-327's
    /// test vectors and for key orders agreed outside this crate), then `tweak`.
    ///
    /// # Errors
    /// [`Error::Unsupported`] for [`Scheme::Lotus`], whose key aggregation always sorts;
    /// otherwise as [`SigningContext::from_key_bytes`].
    pub fn from_key_bytes_in_order(
        scheme: Scheme,
        pubkeys: &[[u8; 33]],
        tweak: Tweak,
    ) -> Result<Self, Error> {
        match scheme {
            Scheme::Bip327 => Self::bip327_tweaked(bip327::KeyAggContext::new(pubkeys)?, tweak),
            Scheme::Lotus => Err(Error::Unsupported),
        }
    }

    fn bip327_tweaked(mut ctx: bip327::KeyAggContext, tweak: Tweak) -> Result<Self, Error> {
        if let Tweak::Taproot { merkle_root } = tweak {
            taproot::apply_taproot_tweak(&mut ctx, merkle_root.as_ref())?;
        }
        Ok(Self {
            inner: KeyCtx::Bip327(ctx),
        })
    }

    /// BIP-327 `ApplyTweak`: tweaks the aggregate key with the 32-byte scalar `tweak`, as an
    /// x-only tweak (`x_only`, BIP-341 style) or a plain one (BIP-32 style). Tweaks apply in
    /// the order of the calls, after the Taproot tweak given at construction, if any. On
    /// error the context is unchanged.
    ///
    /// # Errors
    /// [`Error::TweakOutOfRange`] when `tweak` is not below the group order,
    /// [`Error::TweakInfinity`] when the tweaked key would be the point at infinity, and
    /// [`Error::Unsupported`] for [`Scheme::Lotus`], which defines only the Taproot tweak.
    pub fn apply_tweak(&mut self, tweak: &[u8; 32], x_only: bool) -> Result<(), Error> {
        match &mut self.inner {
            KeyCtx::Bip327(c) => c.apply_tweak(bip327::Tweak {
                bytes: *tweak,
                is_xonly: x_only,
            }),
            KeyCtx::Lotus(_) => Err(Error::Unsupported),
        }
    }

    /// The scheme of this context.
    pub fn scheme(&self) -> Scheme {
        match self.inner {
            KeyCtx::Bip327(_) => Scheme::Bip327,
            KeyCtx::Lotus(_) => Scheme::Lotus,
        }
    }

    /// The key the final signature verifies under: 32-byte x-only for BIP-327, 33 bytes for
    /// Lotus (the tweaked key when a tweak was applied).
    pub fn aggregate_key(&self) -> Vec<u8> {
        match &self.inner {
            KeyCtx::Bip327(c) => c.xonly_public_key().to_vec(),
            KeyCtx::Lotus(c) => c.aggregate_pubkey().to_vec(),
        }
    }

    /// The 33-byte compressed aggregate key (the tweaked key when tweaks were applied):
    /// BIP-327 `GetPlainPubkey`, or the Lotus aggregate key (the same as
    /// [`SigningContext::aggregate_key`]).
    pub fn plain_aggregate_key(&self) -> [u8; 33] {
        match &self.inner {
            KeyCtx::Bip327(c) => c.plain_public_key(),
            KeyCtx::Lotus(c) => c.aggregate_pubkey(),
        }
    }

    /// BIP-327 `DeterministicSign`: signs `msg` in one step once every other signer has sent
    /// its nonce, deriving this signer's nonce from `sk`, the other signers' aggregate nonce
    /// `agg_other_nonce` (the [`SigningContext::nonce_agg`] of their nonces), the aggregate
    /// key and `msg`. `rand` is optional extra randomness. Returns this signer's public nonce
    /// (for the others to form the aggregate nonce) and its partial signature.
    ///
    /// # Errors
    /// [`Error::Unsupported`] for [`Scheme::Lotus`], which has no deterministic signing;
    /// [`Error::InvalidContribution`] with `contrib: AggOtherNonce` and no signer for an
    /// invalid `agg_other_nonce`; [`Error::SignerNotInKeys`] when `sk`'s key was not
    /// aggregated.
    ///
    /// # Security
    /// Only one signer of a session may sign deterministically, and only after the other
    /// signers' nonces are fixed.
    pub fn deterministic_sign(
        &self,
        sk: &SecretKey,
        agg_other_nonce: &AggNonce,
        msg: &[u8],
        rand: Option<&[u8; 32]>,
    ) -> Result<(PubNonce, PartialSignature), Error> {
        match &self.inner {
            KeyCtx::Bip327(c) => {
                let (public, psig) = bip327::deterministic_sign(
                    sk.secret_bytes(),
                    &agg_other_nonce.to_bytes(),
                    c,
                    msg,
                    rand,
                )?;
                Ok((
                    PubNonce::from_array(*public.as_bytes()),
                    PartialSignature::from_array(psig.to_bytes()),
                ))
            }
            KeyCtx::Lotus(_) => Err(Error::Unsupported),
        }
    }

    /// Generates this signer's nonce pair for signing `msg`. `rand` must be 32 fresh random
    /// bytes: the crate has no random source of its own.
    ///
    /// # Errors
    /// [`Error::WrongLength`] for a Lotus message that is not 32 bytes.
    ///
    /// # Security
    /// Never call twice with the same `rand`. The [`SecNonce`] may be used for one signature only.
    pub fn nonce_gen(
        &self,
        sk: &SecretKey,
        msg: &[u8],
        rand: [u8; 32],
    ) -> Result<(SecNonce, PubNonce), Error> {
        self.nonce_gen_with_extra(sk, msg, rand, &[])
    }

    /// [`Self::nonce_gen`] with `extra_in` bound into the nonce as well: BIP-327's `extra_in`
    /// input; for Lotus, whose NonceGen has one 32-byte extra input, that input becomes
    /// `tagged_hash("musig2-p2p/v1/nonce-extra", rand ‖ extra_in)` (and is `rand` itself when
    /// `extra_in` is empty, as in [`Self::nonce_gen`]).
    ///
    /// # Errors
    /// As [`Self::nonce_gen`].
    ///
    /// # Security
    /// Binding a session's identity (ID and attempt) here is defence in depth: an RNG that
    /// repeats its output across sessions or attempts still yields different nonces.
    pub fn nonce_gen_with_extra(
        &self,
        sk: &SecretKey,
        msg: &[u8],
        rand: [u8; 32],
        extra_in: &[u8],
    ) -> Result<(SecNonce, PubNonce), Error> {
        let pk = sk.public_key().to_bytes();
        match &self.inner {
            KeyCtx::Bip327(c) => {
                let aggpk = c.xonly_public_key();
                let inputs = bip327::NonceGenInputs {
                    sk: Some(sk.secret_bytes()),
                    aggpk: Some(&aggpk),
                    msg: Some(msg),
                    extra_in: (!extra_in.is_empty()).then_some(extra_in),
                };
                let (sec, public) = bip327::nonce_gen(&rand, &pk, inputs)?;
                Ok((sec, PubNonce::from_array(*public.as_bytes())))
            }
            KeyCtx::Lotus(c) => {
                let msg = lotus_msg(msg)?;
                let internal = c.internal_pubkey();
                let extra = if extra_in.is_empty() {
                    rand
                } else {
                    crate::hash::tagged_hash(NONCE_EXTRA_TAG, &[&rand, extra_in])
                };
                let (sec, public) =
                    lotus::nonce_gen(sk.secret_bytes(), &internal, Some(msg), Some(&extra))?;
                Ok((sec, PubNonce::from_array(public.to_bytes())))
            }
        }
    }

    /// Sums the public nonces. Errors name the index (in `pubnonces`) of an invalid one.
    ///
    /// # Errors
    /// [`Error::InvalidContribution`] with `contrib = PubNonce`.
    pub fn nonce_agg(&self, pubnonces: &[PubNonce]) -> Result<AggNonce, Error> {
        let raw: Vec<[u8; 66]> = pubnonces.iter().map(PubNonce::to_bytes).collect();
        match &self.inner {
            KeyCtx::Bip327(_) => Ok(AggNonce::from_array(*bip327::nonce_agg(&raw)?.as_bytes())),
            KeyCtx::Lotus(_) => {
                let parsed = raw
                    .iter()
                    .enumerate()
                    .map(|(i, n)| {
                        lotus::PubNonce::from_bytes(n).map_err(|_| Error::InvalidContribution {
                            signer: Some(i),
                            contrib: Contribution::PubNonce,
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(AggNonce::from_array(lotus::nonce_agg(&parsed)?.to_bytes()))
            }
        }
    }

    /// Computes the session values for `aggnonce` and `msg` once, for repeated use.
    ///
    /// # Errors
    /// [`Error::InvalidContribution`] for an invalid aggregate nonce; [`Error::WrongLength`]
    /// for a Lotus message that is not 32 bytes.
    pub fn session(&self, aggnonce: &AggNonce, msg: &[u8]) -> Result<SigningSession, Error> {
        match &self.inner {
            KeyCtx::Bip327(c) => {
                let agg = bip327::AggNonce::from_bytes(&aggnonce.to_bytes())?;
                let session = bip327::SessionContext::new(c, &agg, msg);
                Ok(SigningSession::Bip327(Box::new(session)))
            }
            KeyCtx::Lotus(c) => {
                let agg = lotus::AggNonce::from_bytes(&aggnonce.to_bytes())?;
                let session = lotus::SessionContext::new(c, &agg, lotus_msg(msg)?)?;
                Ok(SigningSession::Lotus(Box::new(session)))
            }
        }
    }

    /// Signs, consuming the secret nonce (see [`SigningSession::sign`]).
    ///
    /// # Errors
    /// As [`SigningContext::session`] and [`SigningSession::sign`].
    pub fn sign(
        &self,
        secnonce: SecNonce,
        sk: &SecretKey,
        aggnonce: &AggNonce,
        msg: &[u8],
    ) -> Result<PartialSignature, Error> {
        self.session(aggnonce, msg)?.sign(secnonce, sk)
    }

    /// Verifies one signer's partial signature (see [`SigningSession::partial_verify`]).
    ///
    /// # Errors
    /// As [`SigningContext::session`] and [`SigningSession::partial_verify`].
    pub fn partial_verify(
        &self,
        psig: &PartialSignature,
        pubnonce: &PubNonce,
        signer: &PublicKey,
        aggnonce: &AggNonce,
        msg: &[u8],
    ) -> Result<(), Error> {
        self.session(aggnonce, msg)?
            .partial_verify(psig, pubnonce, signer)
    }

    /// Aggregates the partial signatures (see [`SigningSession::aggregate`]).
    ///
    /// # Errors
    /// As [`SigningContext::session`] and [`SigningSession::aggregate`].
    pub fn aggregate(
        &self,
        aggnonce: &AggNonce,
        msg: &[u8],
        psigs: &[PartialSignature],
    ) -> Result<Signature, Error> {
        self.session(aggnonce, msg)?.aggregate(psigs)
    }

    /// Verifies a final signature of `msg` under the aggregate (tweaked) key.
    pub fn verify(&self, msg: &[u8], sig: &Signature) -> bool {
        match &self.inner {
            KeyCtx::Bip327(c) => bip340::verify(&c.xonly_public_key(), msg, &sig.to_bytes()),
            KeyCtx::Lotus(c) => {
                lotus::schnorr_verify(&c.aggregate_pubkey(), msg, &sig.to_bytes()).is_ok()
            }
        }
    }
}

impl SigningSession {
    /// This signer's partial signature. The secret nonce is consumed and zeroized whatever
    /// the outcome, so it can never sign twice.
    ///
    /// # Errors
    /// [`Error::SecNonceKeyMismatch`], [`Error::SignerNotInKeys`], [`Error::SecNonceOutOfRange`].
    pub fn sign(&self, secnonce: SecNonce, sk: &SecretKey) -> Result<PartialSignature, Error> {
        let bytes = match self {
            SigningSession::Bip327(s) => s.sign(secnonce, sk.secret_bytes())?.to_bytes(),
            SigningSession::Lotus(s) => s.sign(secnonce, sk.secret_bytes(), None)?.to_bytes(),
        };
        Ok(PartialSignature::from_array(bytes))
    }

    /// Verifies the partial signature of the signer with key `signer` and public nonce
    /// `pubnonce`.
    ///
    /// # Errors
    /// [`Error::SignerNotInKeys`] when `signer` is not in the key set;
    /// [`Error::InvalidContribution`] (`PartialSig` or `PubNonce`) otherwise.
    pub fn partial_verify(
        &self,
        psig: &PartialSignature,
        pubnonce: &PubNonce,
        signer: &PublicKey,
    ) -> Result<(), Error> {
        let pk = signer.to_bytes();
        match self {
            SigningSession::Bip327(s) => {
                let index = s
                    .key_agg_context()
                    .signer_index(&pk)
                    .ok_or(Error::SignerNotInKeys)?;
                let p = bip327::PartialSignature::from_bytes(&psig.to_bytes())
                    .map_err(|_| blame(index, Contribution::PartialSig))?;
                let n = bip327::PubNonce::from_bytes(&pubnonce.to_bytes())
                    .map_err(|_| blame(index, Contribution::PubNonce))?;
                s.partial_sig_verify(&p, &n, index)
            }
            SigningSession::Lotus(s) => {
                let index = s
                    .key_agg_context()
                    .signer_index(&pk)
                    .ok_or(Error::SignerNotInKeys)?;
                let p = lotus::PartialSignature::from_bytes(&psig.to_bytes())
                    .map_err(|_| blame(index, Contribution::PartialSig))?;
                let n = lotus::PubNonce::from_bytes(&pubnonce.to_bytes())
                    .map_err(|_| blame(index, Contribution::PubNonce))?;
                s.partial_sig_verify(&p, &n, index)
            }
        }
    }

    /// Sums the partial signatures into the final signature. An error names the index (in
    /// `psigs`) of a malformed one.
    ///
    /// # Errors
    /// [`Error::InvalidContribution`] with `contrib = PartialSig`; for Lotus also
    /// [`Error::WrongSignerCount`] when not exactly one signature per signer is given.
    pub fn aggregate(&self, psigs: &[PartialSignature]) -> Result<Signature, Error> {
        let raw: Vec<[u8; 32]> = psigs.iter().map(PartialSignature::to_bytes).collect();
        let sig = match self {
            SigningSession::Bip327(s) => bip327::partial_sig_agg(&raw, s)?,
            SigningSession::Lotus(s) => {
                let parsed = raw
                    .iter()
                    .enumerate()
                    .map(|(i, p)| {
                        lotus::PartialSignature::from_bytes(p).map_err(|_| {
                            Error::InvalidContribution {
                                signer: Some(i),
                                contrib: Contribution::PartialSig,
                            }
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                s.partial_sig_agg(&parsed)?
            }
        };
        Ok(Signature::from_array(sig))
    }
}
