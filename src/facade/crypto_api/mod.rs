//! The low-level crypto API for JavaScript: both schemes, for wallets that coordinate
//! themselves and for checking against other implementations.

mod context;
mod convert;
mod det_sign;
mod nonce_gen;
mod tweaks;

pub use context::{SecNonce, SigningContext};
pub use nonce_gen::nonce_gen;

use musig2_crypto::scheme::{self, PublicKey, SecretKey, Signature};
use wasm_bindgen::prelude::*;

use super::errors::crypto_error;
use convert::array32;
pub(crate) use convert::{bytes_list, parse_scheme, random32};

#[wasm_bindgen(typescript_custom_section)]
const TS_CRYPTO: &str = r#"
/** The MuSig2 scheme: BIP-327 (BIP-340 signatures, x-only keys) or Lotus (33-byte keys). */
export type SchemeName = "bip327" | "lotus";
/** A Taproot tweak: key-path only, or committing to a 32-byte script-tree root. */
export interface TaprootTweak { merkleRoot?: Uint8Array | null }
"#;

/// Creates a new secret key from the platform's secure random source (32 bytes).
#[wasm_bindgen(js_name = generateSecretKey)]
pub fn generate_secret_key() -> Result<Vec<u8>, JsValue> {
    Ok(SecretKey::from_random(random32()?)
        .dangerous_to_bytes()
        .to_vec())
}

/// The 33-byte compressed public key of a 32-byte secret key.
///
/// Throws `INVALID_ARGUMENT` for a wrong length, zero, or a value not below the group order.
#[wasm_bindgen(js_name = publicKey)]
pub fn public_key(
    #[wasm_bindgen(js_name = secretKey)] secret_key: &[u8],
) -> Result<Vec<u8>, JsValue> {
    let sk = SecretKey::from_bytes(secret_key).map_err(crypto_error)?;
    Ok(sk.public_key().to_bytes().to_vec())
}

/// BIP-327 KeySort: the keys in lexicographic byte order.
///
/// Throws `INVALID_ARGUMENT` when an element is not a 33-byte `Uint8Array`.
#[wasm_bindgen(js_name = keySort, unchecked_return_type = "Uint8Array[]")]
pub fn key_sort(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array[]")] pubkeys: JsValue,
) -> Result<js_sys::Array, JsValue> {
    let keys = bytes_list::<33>(&pubkeys, "pubkeys")?;
    let sorted = musig2_crypto::bip327::key_sort(&keys);
    Ok(sorted
        .iter()
        .map(|k| js_sys::Uint8Array::from(&k[..]))
        .collect())
}

/// Signs a 32-byte digest with the scheme's single-signer Schnorr (BIP-340, or Lotus
/// Schnorr). `aux` is BIP-340's auxiliary randomness; fresh random bytes when omitted.
#[wasm_bindgen(js_name = schnorrSign)]
pub fn schnorr_sign(
    #[wasm_bindgen(unchecked_param_type = "SchemeName")] scheme: &str,
    #[wasm_bindgen(js_name = secretKey)] secret_key: &[u8],
    msg32: &[u8],
    aux: Option<Vec<u8>>,
) -> Result<Vec<u8>, JsValue> {
    let scheme = parse_scheme(scheme)?;
    let sk = SecretKey::from_bytes(secret_key).map_err(crypto_error)?;
    let msg = array32(msg32, "msg32")?;
    let aux = match aux {
        Some(a) => array32(&a, "aux")?,
        None => random32()?,
    };
    let sig = scheme::schnorr_sign(scheme, &sk, &msg, aux).map_err(crypto_error)?;
    Ok(sig.to_bytes().to_vec())
}

/// Verifies a single-signer Schnorr signature of the scheme over a 32-byte digest under a
/// 33-byte public key. Returns `false` for any invalid input.
#[wasm_bindgen(js_name = schnorrVerify)]
pub fn schnorr_verify(
    #[wasm_bindgen(unchecked_param_type = "SchemeName")] scheme: &str,
    #[wasm_bindgen(js_name = publicKey)] public_key: &[u8],
    msg32: &[u8],
    signature: &[u8],
) -> Result<bool, JsValue> {
    let scheme = parse_scheme(scheme)?;
    let (Ok(pk), Ok(msg), Ok(sig)) = (
        PublicKey::from_bytes(public_key),
        <[u8; 32]>::try_from(msg32),
        Signature::from_bytes(signature),
    ) else {
        return Ok(false);
    };
    Ok(scheme::schnorr_verify(scheme, &pk, &msg, &sig))
}

/// BIP-340 signing of a message of any length with 32 bytes of auxiliary randomness.
#[wasm_bindgen(js_name = bip340Sign)]
pub fn bip340_sign(
    #[wasm_bindgen(js_name = secretKey)] secret_key: &[u8],
    msg: &[u8],
    aux: &[u8],
) -> Result<Vec<u8>, JsValue> {
    let sk = array32(secret_key, "secretKey")?;
    let aux = array32(aux, "aux")?;
    let sig = musig2_crypto::bip340::sign(&sk, msg, &aux).map_err(crypto_error)?;
    Ok(sig.to_vec())
}

/// BIP-340 verification of a message of any length under a 32-byte x-only key. Returns
/// `false` for any invalid input.
#[wasm_bindgen(js_name = bip340Verify)]
pub fn bip340_verify(
    #[wasm_bindgen(js_name = xonlyPublicKey)] xonly_public_key: &[u8],
    msg: &[u8],
    signature: &[u8],
) -> bool {
    match (
        <[u8; 32]>::try_from(xonly_public_key),
        <[u8; 64]>::try_from(signature),
    ) {
        (Ok(pk), Ok(sig)) => musig2_crypto::bip340::verify(&pk, msg, &sig),
        _ => false,
    }
}
