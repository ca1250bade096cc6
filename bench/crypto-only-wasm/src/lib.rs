//! Benchmark only: `musig2-crypto` alone behind wasm-bindgen. It exports the same operations
//! as `bench/musig2-crate-wasm` (KeyAgg, a full n-of-n round), for both schemes, so its wasm
//! size is the crypto-only size of our code and its speed is that of our crypto core without
//! the JS facade (see `bench/js/run.mjs`).
#![forbid(unsafe_code)]

use musig2_crypto::scheme::{
    PartialSignature, PubNonce, PublicKey, Scheme, SecretKey, SigningContext, Tweak,
};
use wasm_bindgen::prelude::*;

fn scheme(name: &str) -> Result<Scheme, JsError> {
    match name {
        "bip327" => Ok(Scheme::Bip327),
        "lotus" => Ok(Scheme::Lotus),
        _ => Err(JsError::new("scheme must be \"bip327\" or \"lotus\"")),
    }
}

fn error(e: musig2_crypto::Error) -> JsError {
    JsError::new(&e.to_string())
}

fn public_keys(pubkeys: &[u8]) -> Result<Vec<PublicKey>, JsError> {
    if !pubkeys.len().is_multiple_of(33) {
        return Err(JsError::new("pubkeys must be a multiple of 33 bytes"));
    }
    pubkeys
        .chunks_exact(33)
        .map(|k| PublicKey::from_bytes(k).map_err(error))
        .collect()
}

/// KeyAgg of the concatenated 33-byte `pubkeys` under `scheme` (sorted as the scheme
/// requires, as the JS `SigningContext` does); returns the aggregate key.
#[wasm_bindgen(js_name = keyAgg)]
pub fn key_agg(scheme_name: &str, pubkeys: &[u8]) -> Result<Vec<u8>, JsError> {
    let ctx = SigningContext::new(scheme(scheme_name)?, &public_keys(pubkeys)?, Tweak::None)
        .map_err(error)?;
    Ok(ctx.aggregate_key())
}

/// N signers (their secret keys) and their signing context.
#[wasm_bindgen]
pub struct Round {
    ctx: SigningContext,
    seckeys: Vec<SecretKey>,
    pubkeys: Vec<PublicKey>,
}

#[wasm_bindgen]
impl Round {
    /// The signers of the concatenated 32-byte `seckeys` under `scheme`.
    #[wasm_bindgen(constructor)]
    pub fn new(scheme_name: &str, seckeys: &[u8]) -> Result<Round, JsError> {
        if seckeys.is_empty() || !seckeys.len().is_multiple_of(32) {
            return Err(JsError::new(
                "seckeys must be a non-empty multiple of 32 bytes",
            ));
        }
        let seckeys = seckeys
            .chunks_exact(32)
            .map(|k| SecretKey::from_bytes(k).map_err(error))
            .collect::<Result<Vec<_>, _>>()?;
        let pubkeys: Vec<PublicKey> = seckeys.iter().map(SecretKey::public_key).collect();
        let ctx =
            SigningContext::new(scheme(scheme_name)?, &pubkeys, Tweak::None).map_err(error)?;
        Ok(Round {
            ctx,
            seckeys,
            pubkeys,
        })
    }

    /// The aggregate key the final signature verifies under.
    #[wasm_bindgen(js_name = aggregateKey)]
    pub fn aggregate_key(&self) -> Vec<u8> {
        self.ctx.aggregate_key()
    }

    /// One full round over `msg` with the same calls the JS `SigningContext` makes: every
    /// signer's nonce generation (its 32 bytes of `rand`), nonce aggregation, every partial
    /// signature, verification of each, aggregation, and verification of the final
    /// signature, which is returned.
    pub fn run(&self, msg: &[u8], rand: &[u8]) -> Result<Vec<u8>, JsError> {
        if rand.len() != 32 * self.seckeys.len() {
            return Err(JsError::new("rand must be 32 bytes per signer"));
        }
        let mut secnonces = Vec::with_capacity(self.seckeys.len());
        let mut pubnonces: Vec<PubNonce> = Vec::with_capacity(self.seckeys.len());
        for (sk, seed) in self.seckeys.iter().zip(rand.chunks_exact(32)) {
            let mut seed32 = [0u8; 32];
            seed32.copy_from_slice(seed);
            let (sec, public) = self.ctx.nonce_gen(sk, msg, seed32).map_err(error)?;
            secnonces.push(sec);
            pubnonces.push(public);
        }
        let aggnonce = self.ctx.nonce_agg(&pubnonces).map_err(error)?;
        let psigs = self
            .seckeys
            .iter()
            .zip(secnonces)
            .map(|(sk, sec)| self.ctx.sign(sec, sk, &aggnonce, msg))
            .collect::<Result<Vec<PartialSignature>, _>>()
            .map_err(error)?;
        for ((psig, pk), pubnonce) in psigs.iter().zip(&self.pubkeys).zip(&pubnonces) {
            self.ctx
                .partial_verify(psig, pubnonce, pk, &aggnonce, msg)
                .map_err(error)?;
        }
        let sig = self.ctx.aggregate(&aggnonce, msg, &psigs).map_err(error)?;
        if !self.ctx.verify(msg, &sig) {
            return Err(JsError::new("final signature does not verify"));
        }
        Ok(sig.to_bytes().to_vec())
    }
}
