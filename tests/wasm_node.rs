//! wasm tests that run in Node.js (no browser APIs): the crypto core compiled to wasm32.
#![cfg(target_arch = "wasm32")]

use musig2_crypto::lotus;
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen_test]
fn lotus_schnorr_signs_and_verifies_in_wasm() {
    let sk = [7u8; 32];
    let pk = lotus::public_key(&sk).unwrap();
    let msg = [0x42u8; 32];
    let sig = lotus::schnorr_sign(&sk, &msg).unwrap();
    assert!(lotus::schnorr_verify(&pk, &msg, &sig).is_ok());
    let mut bad = sig;
    bad[63] ^= 1;
    assert!(lotus::schnorr_verify(&pk, &msg, &bad).is_err());
}

#[wasm_bindgen_test]
fn bip340_signs_and_verifies_in_wasm() {
    let sk = [9u8; 32];
    let msg = b"any length message";
    let sig = musig2_crypto::bip340::sign(&sk, msg, &[0u8; 32]).unwrap();
    let pk = musig2_crypto::bip340::xonly_public_key(&sk).unwrap();
    assert!(musig2_crypto::bip340::verify(&pk, msg, &sig));
    assert!(!musig2_crypto::bip340::verify(
        &pk,
        b"another message",
        &sig
    ));
}

#[path = "wasm_vectors/mod.rs"]
mod vectors;

#[wasm_bindgen_test]
fn js_api_matches_bip327_key_agg_vectors() {
    vectors::key_agg_vectors();
}

#[wasm_bindgen_test]
fn js_api_matches_bip327_tweak_vectors() {
    vectors::tweak_vectors();
}

#[wasm_bindgen_test]
fn js_api_matches_bip327_det_sign_vectors() {
    vectors::det_sign_vectors();
}

#[wasm_bindgen_test]
fn js_api_lotus_refuses_what_its_specification_does_not_define() {
    vectors::lotus_refuses_deterministic_signing_and_tweaks();
}
