//! `SigningContext` and the single-use `SecNonce` handle for JavaScript.

use musig2_crypto::scheme::{
    self, AggNonce, PartialSignature, PubNonce, PublicKey, SecretKey, Tweak,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::convert::{array32, bytes_list, parse_scheme, random32, scheme_name};
use crate::facade::errors::{crypto_error, js_error, ErrorCode};

/// A secret nonce held inside wasm memory. JavaScript can never read it; it signs once.
///
/// After `sign()` consumed it (or `free()` released it) the handle is empty and any further
/// use throws an `Error` with code `NONCE_ALREADY_USED`. Its memory is zeroized when consumed.
#[wasm_bindgen]
pub struct SecNonce {
    inner: Option<musig2_crypto::SecNonce>,
}

impl SecNonce {
    /// Wraps a freshly generated secret nonce.
    pub(super) fn wrap(sec: musig2_crypto::SecNonce) -> Self {
        Self { inner: Some(sec) }
    }
}

#[wasm_bindgen]
impl SecNonce {
    /// Whether this nonce was already consumed by signing.
    #[wasm_bindgen(getter)]
    pub fn used(&self) -> bool {
        self.inner.is_none()
    }
}

#[wasm_bindgen(typescript_custom_section)]
const TS_NONCE_GEN: &str = r#"
/** The result of nonce generation: the secret half stays in wasm, the public half is bytes. */
export interface NonceGenResult {
  /** The single-use secret nonce handle. */
  secNonce: SecNonce;
  /** The 66-byte public nonce to send to the other signers. */
  pubNonce: Uint8Array;
}
"#;

/// A computed session and the (aggregate nonce, message) it belongs to.
type CachedSession = (AggNonce, Vec<u8>, std::rc::Rc<scheme::SigningSession>);

/// The signers' keys aggregated under one scheme, with an optional Taproot tweak.
#[wasm_bindgen]
pub struct SigningContext {
    pub(super) inner: scheme::SigningContext,
    /// The session values of the last (aggregate nonce, message) used: a round calls
    /// `sign`, `partialVerify` n times and `aggregate` with the same pair, and computing
    /// them is the costliest part of each call.
    pub(super) session: std::cell::RefCell<Option<CachedSession>>,
}

/// A key aggregation of the crypto core: sorted (`from_key_bytes`) or in the caller's order.
pub(super) type KeyAggFn =
    fn(scheme::Scheme, &[[u8; 33]], Tweak) -> Result<scheme::SigningContext, musig2_crypto::Error>;

impl SigningContext {
    /// Converts the untrusted JS arguments and aggregates the keys with `aggregate`.
    pub(super) fn aggregate_js(
        scheme: &str,
        pubkeys: &JsValue,
        taproot: &JsValue,
        aggregate: KeyAggFn,
    ) -> Result<SigningContext, JsValue> {
        let scheme = parse_scheme(scheme)?;
        let raw = bytes_list::<33>(pubkeys, "pubkeys")?;
        let inner = aggregate(scheme, &raw, parse_tweak(taproot)?).map_err(crypto_error)?;
        Ok(SigningContext {
            inner,
            session: Default::default(),
        })
    }
}

fn list_js(value: &JsValue, what: &str) -> Result<js_sys::Array, JsValue> {
    value.clone().dyn_into::<js_sys::Array>().map_err(|_| {
        js_error(
            ErrorCode::InvalidArgument,
            format!("{what} must be an array of Uint8Array"),
        )
    })
}

fn parse_tweak(value: &JsValue) -> Result<Tweak, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(Tweak::None);
    }
    if !value.is_object() {
        return Err(js_error(
            ErrorCode::InvalidArgument,
            "taproot must be an object or null",
        ));
    }
    let root = js_sys::Reflect::get(value, &"merkleRoot".into()).unwrap_or(JsValue::UNDEFINED);
    let merkle_root = if root.is_undefined() || root.is_null() {
        None
    } else {
        let bytes: js_sys::Uint8Array = root.dyn_into().map_err(|_| {
            js_error(
                ErrorCode::InvalidArgument,
                "taproot.merkleRoot must be a Uint8Array",
            )
        })?;
        Some(array32(&bytes.to_vec(), "taproot.merkleRoot")?)
    };
    Ok(Tweak::Taproot { merkle_root })
}

/// The `NonceGenResult` object: the secret nonce handle and the 66-byte public nonce.
pub(super) fn nonce_gen_result(
    sec: musig2_crypto::SecNonce,
    public: &[u8; 66],
) -> Result<js_sys::Object, JsValue> {
    let result = js_sys::Object::new();
    let handle = JsValue::from(SecNonce::wrap(sec));
    js_sys::Reflect::set(&result, &"secNonce".into(), &handle)?;
    js_sys::Reflect::set(
        &result,
        &"pubNonce".into(),
        &js_sys::Uint8Array::from(&public[..]),
    )?;
    Ok(result)
}

#[wasm_bindgen]
impl SigningContext {
    /// Aggregates the 33-byte `pubkeys` (any order) under `scheme`, tweaked for Taproot when
    /// `taproot` is given.
    ///
    /// Throws `INVALID_ARGUMENT`, or `INVALID_CONTRIBUTION` naming the index of a bad key.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "SchemeName")] scheme: &str,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array[]")] pubkeys: JsValue,
        #[wasm_bindgen(unchecked_param_type = "TaprootTweak | null | undefined")] taproot: JsValue,
    ) -> Result<SigningContext, JsValue> {
        Self::aggregate_js(
            scheme,
            &pubkeys,
            &taproot,
            scheme::SigningContext::from_key_bytes,
        )
    }

    /// The scheme name.
    #[wasm_bindgen(getter, unchecked_return_type = "SchemeName")]
    pub fn scheme(&self) -> String {
        scheme_name(self.inner.scheme()).to_string()
    }

    /// The key the final signature verifies under (32-byte x-only for BIP-327, 33 bytes for
    /// Lotus; the tweaked key when a tweak was applied).
    #[wasm_bindgen(js_name = aggregateKey)]
    pub fn aggregate_key(&self) -> Vec<u8> {
        self.inner.aggregate_key()
    }

    /// Generates this signer's nonce for `msg`, drawing 32 bytes from the platform's secure
    /// random source.
    ///
    /// `dangerousRand` replaces those random bytes and is for reproducing test vectors only:
    /// passing the same value twice reuses the nonce, which gives away the secret key.
    #[wasm_bindgen(js_name = nonceGen, unchecked_return_type = "NonceGenResult")]
    pub fn nonce_gen(
        &self,
        #[wasm_bindgen(js_name = secretKey)] secret_key: &[u8],
        msg: &[u8],
        #[wasm_bindgen(js_name = dangerousRand)] dangerous_rand: Option<Vec<u8>>,
    ) -> Result<js_sys::Object, JsValue> {
        let sk = SecretKey::from_bytes(secret_key).map_err(crypto_error)?;
        let rand = match dangerous_rand {
            Some(r) => array32(&r, "dangerousRand")?,
            None => random32()?,
        };
        let (sec, public) = self.inner.nonce_gen(&sk, msg, rand).map_err(crypto_error)?;
        nonce_gen_result(sec, &public.to_bytes())
    }

    /// Sums the 66-byte public nonces. Throws `INVALID_CONTRIBUTION` naming a bad one.
    #[wasm_bindgen(js_name = nonceAgg)]
    pub fn nonce_agg(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array[]", js_name = pubNonces)]
        pub_nonces: JsValue,
    ) -> Result<Vec<u8>, JsValue> {
        let raw = bytes_list::<66>(&list_js(&pub_nonces, "pubNonces")?.into(), "pubNonces")?;
        let nonces: Vec<PubNonce> = raw
            .iter()
            .filter_map(|n| PubNonce::from_bytes(n).ok())
            .collect();
        Ok(self
            .inner
            .nonce_agg(&nonces)
            .map_err(crypto_error)?
            .to_bytes()
            .to_vec())
    }

    /// Signs, consuming `secNonce`. A second use of the same handle throws
    /// `NONCE_ALREADY_USED`; the nonce is consumed even when signing fails.
    pub fn sign(
        &self,
        #[wasm_bindgen(js_name = secNonce)] sec_nonce: &mut SecNonce,
        #[wasm_bindgen(js_name = secretKey)] secret_key: &[u8],
        #[wasm_bindgen(js_name = aggNonce)] agg_nonce: &[u8],
        msg: &[u8],
    ) -> Result<Vec<u8>, JsValue> {
        let nonce = sec_nonce.inner.take().ok_or_else(|| {
            js_error(
                ErrorCode::NonceAlreadyUsed,
                "this secret nonce was already used",
            )
        })?;
        let sk = SecretKey::from_bytes(secret_key).map_err(crypto_error)?;
        let agg = AggNonce::from_bytes(agg_nonce).map_err(crypto_error)?;
        let psig = self
            .session(&agg, msg)?
            .sign(nonce, &sk)
            .map_err(crypto_error)?;
        Ok(psig.to_bytes().to_vec())
    }

    /// Verifies one signer's 32-byte partial signature. Returns `true`, or throws
    /// `INVALID_CONTRIBUTION` naming what is wrong.
    #[wasm_bindgen(js_name = partialVerify)]
    pub fn partial_verify(
        &self,
        #[wasm_bindgen(js_name = partialSig)] partial_sig: &[u8],
        #[wasm_bindgen(js_name = pubNonce)] pub_nonce: &[u8],
        #[wasm_bindgen(js_name = signerPublicKey)] signer_public_key: &[u8],
        #[wasm_bindgen(js_name = aggNonce)] agg_nonce: &[u8],
        msg: &[u8],
    ) -> Result<bool, JsValue> {
        let psig = PartialSignature::from_bytes(partial_sig).map_err(crypto_error)?;
        let nonce = PubNonce::from_bytes(pub_nonce).map_err(crypto_error)?;
        let pk = PublicKey::from_bytes(signer_public_key).map_err(crypto_error)?;
        let agg = AggNonce::from_bytes(agg_nonce).map_err(crypto_error)?;
        self.session(&agg, msg)?
            .partial_verify(&psig, &nonce, &pk)
            .map_err(crypto_error)?;
        Ok(true)
    }

    /// Aggregates the 32-byte partial signatures into the 64-byte final signature.
    pub fn aggregate(
        &self,
        #[wasm_bindgen(js_name = aggNonce)] agg_nonce: &[u8],
        msg: &[u8],
        #[wasm_bindgen(unchecked_param_type = "Uint8Array[]", js_name = partialSigs)]
        partial_sigs: JsValue,
    ) -> Result<Vec<u8>, JsValue> {
        let agg = AggNonce::from_bytes(agg_nonce).map_err(crypto_error)?;
        let raw = bytes_list::<32>(&partial_sigs, "partialSigs")?;
        let psigs: Vec<PartialSignature> = raw
            .iter()
            .filter_map(|p| PartialSignature::from_bytes(p).ok())
            .collect();
        let sig = self
            .session(&agg, msg)?
            .aggregate(&psigs)
            .map_err(crypto_error)?;
        Ok(sig.to_bytes().to_vec())
    }

    /// Verifies a final signature of `msg` under the aggregate key; `false` for any bad input.
    pub fn verify(&self, msg: &[u8], signature: &[u8]) -> bool {
        scheme::Signature::from_bytes(signature).is_ok_and(|sig| self.inner.verify(msg, &sig))
    }
}

impl SigningContext {
    /// The session values for `(agg, msg)`, computed once per pair.
    fn session(
        &self,
        agg: &AggNonce,
        msg: &[u8],
    ) -> Result<std::rc::Rc<scheme::SigningSession>, JsValue> {
        if let Some((a, m, s)) = self.session.borrow().as_ref() {
            if a == agg && m.as_slice() == msg {
                return Ok(s.clone());
            }
        }
        let fresh = std::rc::Rc::new(self.inner.session(agg, msg).map_err(crypto_error)?);
        *self.session.borrow_mut() = Some((*agg, msg.to_vec(), fresh.clone()));
        Ok(fresh)
    }
}
