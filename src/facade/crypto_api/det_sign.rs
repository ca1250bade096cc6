//! BIP-327 DeterministicSign as a method of the JS `SigningContext`.

use musig2_crypto::scheme::{AggNonce, SecretKey};
use wasm_bindgen::prelude::*;

use super::context::SigningContext;
use super::convert::array32;
use crate::facade::errors::crypto_error;

#[wasm_bindgen(typescript_custom_section)]
const TS_DET_SIGN: &str = r#"
/** The result of deterministic signing: this signer's nonce and its partial signature. */
export interface DeterministicSignResult {
  /** The 66-byte public nonce, for the other signers to form the aggregate nonce. */
  pubNonce: Uint8Array;
  /** The 32-byte partial signature. */
  partialSig: Uint8Array;
}
"#;

#[wasm_bindgen]
impl SigningContext {
    /// BIP-327 DeterministicSign: signs `msg` in one step, without a stored secret nonce, once
    /// every other signer has sent its public nonce. `aggOtherNonce` is `nonceAgg()` of those
    /// nonces; `rand` is optional extra randomness (32 bytes).
    ///
    /// Only one signer of a session may sign this way, and only last. Throws `UNSUPPORTED`
    /// for `"lotus"` (its specification has no deterministic signing),
    /// `INVALID_CONTRIBUTION` (`contribution: "aggothernonce"`, `signer: null`) for an invalid
    /// `aggOtherNonce`, and `INVALID_ARGUMENT` for a bad secret key or one whose public key
    /// was not aggregated.
    #[wasm_bindgen(
        js_name = deterministicSign,
        unchecked_return_type = "DeterministicSignResult"
    )]
    pub fn deterministic_sign(
        &self,
        #[wasm_bindgen(js_name = secretKey)] secret_key: &[u8],
        #[wasm_bindgen(js_name = aggOtherNonce)] agg_other_nonce: &[u8],
        msg: &[u8],
        rand: Option<Vec<u8>>,
    ) -> Result<js_sys::Object, JsValue> {
        let sk = SecretKey::from_bytes(secret_key).map_err(crypto_error)?;
        let other = AggNonce::from_bytes(agg_other_nonce).map_err(crypto_error)?;
        let rand = rand.map(|r| array32(&r, "rand")).transpose()?;
        let (public, psig) = self
            .inner
            .deterministic_sign(&sk, &other, msg, rand.as_ref())
            .map_err(crypto_error)?;
        let result = js_sys::Object::new();
        let public = js_sys::Uint8Array::from(&public.to_bytes()[..]);
        let psig = js_sys::Uint8Array::from(&psig.to_bytes()[..]);
        js_sys::Reflect::set(&result, &"pubNonce".into(), &public)?;
        js_sys::Reflect::set(&result, &"partialSig".into(), &psig)?;
        Ok(result)
    }
}
