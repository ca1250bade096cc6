//! BIP-327 key aggregation in the caller's key order, arbitrary tweaks (`ApplyTweak`) and
//! the plain aggregate key, as methods of the JS `SigningContext`.

use musig2_crypto::scheme;
use wasm_bindgen::prelude::*;

use super::context::SigningContext;
use super::convert::array32;
use crate::facade::errors::crypto_error;

#[wasm_bindgen]
impl SigningContext {
    /// BIP-327 KeyAgg of `pubkeys` in the given order, without KeySort (as BIP-327's test
    /// vectors do), then the optional Taproot tweak.
    ///
    /// Throws `UNSUPPORTED` for `"lotus"`, whose key aggregation always sorts the keys;
    /// otherwise as the constructor.
    #[wasm_bindgen(js_name = inKeyOrder)]
    pub fn in_key_order(
        #[wasm_bindgen(unchecked_param_type = "SchemeName")] scheme: &str,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array[]")] pubkeys: JsValue,
        #[wasm_bindgen(unchecked_param_type = "TaprootTweak | null | undefined")] taproot: JsValue,
    ) -> Result<SigningContext, JsValue> {
        Self::aggregate_js(
            scheme,
            &pubkeys,
            &taproot,
            scheme::SigningContext::from_key_bytes_in_order,
        )
    }

    /// BIP-327 ApplyTweak: tweaks the aggregate key by the 32-byte `tweak`, as an x-only
    /// (BIP-341 style) tweak when `xOnly` is true, else as a plain (BIP-32 style) one. Tweaks
    /// apply in call order, after the Taproot tweak of the constructor; apply them all before
    /// generating nonces. On error the context is unchanged.
    ///
    /// Throws `INVALID_ARGUMENT` when the tweak is not below the group order or the tweaked
    /// key would be the point at infinity, and `UNSUPPORTED` for `"lotus"`, whose
    /// specification defines only the Taproot tweak.
    #[wasm_bindgen(js_name = applyTweak)]
    pub fn apply_tweak(
        &mut self,
        tweak: &[u8],
        #[wasm_bindgen(js_name = xOnly)] x_only: bool,
    ) -> Result<(), JsValue> {
        let tweak = array32(tweak, "tweak")?;
        self.inner
            .apply_tweak(&tweak, x_only)
            .map_err(crypto_error)?;
        // Session values depend on the aggregate key: forget the cached ones.
        *self.session.borrow_mut() = None;
        Ok(())
    }

    /// The 33-byte compressed aggregate key, tweaked if tweaks were applied: BIP-327
    /// GetPlainPubkey (the input of BIP-32 style derivation), or for Lotus the same key as
    /// `aggregateKey()`.
    #[wasm_bindgen(js_name = plainAggregateKey)]
    pub fn plain_aggregate_key(&self) -> Vec<u8> {
        self.inner.plain_aggregate_key().to_vec()
    }
}
