//! Benchmark only: the crates.io `musig2` crate (k256 backend) compiled to wasm, doing the
//! same work as the harness asks of the other libraries (see `bench/js/run.mjs`).
#![forbid(unsafe_code)]

use musig2::secp::{Point, Scalar};
use musig2::{AggNonce, KeyAggContext, PartialSignature, PubNonce, SecNonce};
use wasm_bindgen::prelude::*;

fn points(pubkeys: &[u8]) -> Result<Vec<Point>, JsError> {
    if pubkeys.is_empty() || !pubkeys.len().is_multiple_of(33) {
        return Err(JsError::new(
            "pubkeys must be a non-empty multiple of 33 bytes",
        ));
    }
    pubkeys
        .chunks_exact(33)
        .map(|k| Point::from_slice(k).map_err(|_| JsError::new("invalid public key")))
        .collect()
}

/// KeyAgg of the concatenated 33-byte `pubkeys`, in the given order; returns the 32-byte
/// x-only aggregate key.
#[wasm_bindgen(js_name = keyAgg)]
pub fn key_agg(pubkeys: &[u8]) -> Result<Vec<u8>, JsError> {
    let ctx = KeyAggContext::new(points(pubkeys)?)
        .map_err(|e| JsError::new(&format!("key aggregation: {e}")))?;
    let agg: Point = ctx.aggregated_pubkey();
    Ok(agg.serialize_xonly().to_vec())
}

/// N signers (their secret keys) and their key aggregation context.
#[wasm_bindgen]
pub struct Round {
    ctx: KeyAggContext,
    seckeys: Vec<Scalar>,
    pubkeys: Vec<Point>,
}

#[wasm_bindgen]
impl Round {
    /// The signers of the concatenated 32-byte `seckeys`, aggregated in that order.
    #[wasm_bindgen(constructor)]
    pub fn new(seckeys: &[u8]) -> Result<Round, JsError> {
        if seckeys.is_empty() || !seckeys.len().is_multiple_of(32) {
            return Err(JsError::new(
                "seckeys must be a non-empty multiple of 32 bytes",
            ));
        }
        let seckeys = seckeys
            .chunks_exact(32)
            .map(|k| Scalar::from_slice(k).map_err(|_| JsError::new("invalid secret key")))
            .collect::<Result<Vec<_>, _>>()?;
        let pubkeys: Vec<Point> = seckeys.iter().map(|k| k.base_point_mul()).collect();
        let ctx = KeyAggContext::new(pubkeys.iter().copied())
            .map_err(|e| JsError::new(&format!("key aggregation: {e}")))?;
        Ok(Round {
            ctx,
            seckeys,
            pubkeys,
        })
    }

    /// The 32-byte x-only aggregate key.
    #[wasm_bindgen(js_name = aggregateKey)]
    pub fn aggregate_key(&self) -> Vec<u8> {
        let agg: Point = self.ctx.aggregated_pubkey();
        agg.serialize_xonly().to_vec()
    }

    /// One full round over `msg`: every signer's nonce generation (seeded by its 32 bytes
    /// of `rand`), nonce aggregation, every partial signature, verification of each,
    /// aggregation, and verification of the final BIP-340 signature, which is returned.
    pub fn run(&self, msg: &[u8], rand: &[u8]) -> Result<Vec<u8>, JsError> {
        if rand.len() != 32 * self.seckeys.len() {
            return Err(JsError::new("rand must be 32 bytes per signer"));
        }
        let aggpk: Point = self.ctx.aggregated_pubkey();
        let mut secnonces = Vec::with_capacity(self.seckeys.len());
        let mut pubnonces: Vec<PubNonce> = Vec::with_capacity(self.seckeys.len());
        for (sk, seed) in self.seckeys.iter().zip(rand.chunks_exact(32)) {
            let mut seed32 = [0u8; 32];
            seed32.copy_from_slice(seed);
            let secnonce = SecNonce::build(seed32)
                .with_seckey(*sk)
                .with_message(&msg)
                .with_aggregated_pubkey(aggpk)
                .build();
            pubnonces.push(secnonce.public_nonce());
            secnonces.push(secnonce);
        }
        let aggnonce = AggNonce::sum(&pubnonces);
        let psigs = self
            .seckeys
            .iter()
            .zip(secnonces)
            .map(|(sk, secnonce)| {
                musig2::sign_partial::<PartialSignature>(&self.ctx, *sk, secnonce, &aggnonce, msg)
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| JsError::new(&format!("sign: {e}")))?;
        for ((psig, pk), pubnonce) in psigs.iter().zip(&self.pubkeys).zip(&pubnonces) {
            musig2::verify_partial(&self.ctx, *psig, &aggnonce, *pk, pubnonce, msg)
                .map_err(|e| JsError::new(&format!("partial verify: {e}")))?;
        }
        let sig: musig2::CompactSignature =
            musig2::aggregate_partial_signatures(&self.ctx, &aggnonce, psigs, msg)
                .map_err(|e| JsError::new(&format!("aggregate: {e}")))?;
        musig2::verify_single(aggpk, sig, msg)
            .map_err(|e| JsError::new(&format!("final verify: {e}")))?;
        Ok(sig.serialize().to_vec())
    }
}
