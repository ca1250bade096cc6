//! The free `nonceGen`: each scheme's NonceGen with every optional input, for signers that
//! do not hold a `SigningContext` and for checking against the specifications' vectors.

use musig2_crypto::scheme::{PublicKey, Scheme, SecretKey};
use musig2_crypto::{bip327, lotus};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use zeroize::Zeroizing;

use super::context::nonce_gen_result;
use super::convert::{array32, parse_scheme, random32};
use crate::facade::errors::{crypto_error, js_error, ErrorCode};

#[wasm_bindgen(typescript_custom_section)]
const TS_NONCE_GEN_OPTIONS: &str = r#"
/** BIP-327 NonceGen inputs. Every optional input only adds to the nonce's uniqueness. */
export interface Bip327NonceGenOptions {
  scheme: "bip327";
  /** The signer's 33-byte public key, bound into the secret nonce. */
  publicKey: Uint8Array;
  /** The signer's 32-byte secret key (recommended). */
  secretKey?: Uint8Array | null;
  /** The 32-byte x-only aggregate key (`aggregateKey()` of the context, after tweaks). */
  aggregateKey?: Uint8Array | null;
  /** The message to be signed, any length (an empty array is a message; null is none). */
  msg?: Uint8Array | null;
  /** Any extra input, such as a session id or counter. */
  extraIn?: Uint8Array | null;
  /**
   * DANGEROUS, for test vectors only: replaces the 32 fresh random bytes (BIP-327's rand').
   * Passing the same value twice with the same key reuses the nonce and gives away the key.
   */
  dangerousRand?: Uint8Array;
}
/** Lotus NonceGen inputs. */
export interface LotusNonceGenOptions {
  scheme: "lotus";
  /** The signer's 32-byte secret key. */
  secretKey: Uint8Array;
  /** The 33-byte untweaked (internal) aggregate key. */
  aggregateKey: Uint8Array;
  /** The 32-byte message, if known. */
  msg?: Uint8Array | null;
  /**
   * DANGEROUS, for test vectors only: the 32-byte extra input, which is otherwise 32 fresh
   * random bytes; `null` leaves it out, making the nonce a function of key, aggregate key and
   * message alone. Either can give away the secret key when a message is signed twice.
   */
  dangerousExtraIn?: Uint8Array | null;
}
/** The inputs of `nonceGen`, by scheme. */
export type NonceGenOptions = Bip327NonceGenOptions | LotusNonceGenOptions;
"#;

/// A `Uint8Array` property of `options`; `Ok(None)` when it is undefined or null.
fn bytes_prop(options: &JsValue, name: &str) -> Result<Option<Vec<u8>>, JsValue> {
    let value = js_sys::Reflect::get(options, &name.into()).unwrap_or(JsValue::UNDEFINED);
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    let bytes: js_sys::Uint8Array = value.dyn_into().map_err(|_| {
        js_error(
            ErrorCode::InvalidArgument,
            format!("options.{name} must be a Uint8Array"),
        )
    })?;
    Ok(Some(bytes.to_vec()))
}

fn required(value: Option<Vec<u8>>, name: &str) -> Result<Vec<u8>, JsValue> {
    value.ok_or_else(|| {
        js_error(
            ErrorCode::InvalidArgument,
            format!("options.{name} is required"),
        )
    })
}

fn array<const N: usize>(bytes: &[u8], name: &str) -> Result<[u8; N], JsValue> {
    bytes.try_into().map_err(|_| {
        js_error(
            ErrorCode::InvalidArgument,
            format!("options.{name} must be {N} bytes, got {}", bytes.len()),
        )
    })
}

/// Generates a nonce with the scheme's NonceGen from the given inputs (see the
/// `NonceGenOptions` type). The random input comes from the platform's secure random source
/// unless a `dangerous…` test option replaces it.
///
/// Throws `INVALID_ARGUMENT` for a missing or malformed input.
#[wasm_bindgen(js_name = nonceGen, unchecked_return_type = "NonceGenResult")]
pub fn nonce_gen(
    #[wasm_bindgen(unchecked_param_type = "NonceGenOptions")] options: JsValue,
) -> Result<js_sys::Object, JsValue> {
    if !options.is_object() {
        return Err(js_error(
            ErrorCode::InvalidArgument,
            "options must be an object",
        ));
    }
    let scheme = js_sys::Reflect::get(&options, &"scheme".into())
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default();
    let secret = bytes_prop(&options, "secretKey")?
        .map(|sk| SecretKey::from_bytes(&Zeroizing::new(sk)).map_err(crypto_error))
        .transpose()?;
    let msg = bytes_prop(&options, "msg")?;
    match parse_scheme(&scheme)? {
        Scheme::Bip327 => {
            let pk = required(bytes_prop(&options, "publicKey")?, "publicKey")?;
            let pk = PublicKey::from_bytes(&pk).map_err(crypto_error)?.to_bytes();
            let aggpk = bytes_prop(&options, "aggregateKey")?
                .map(|a| array::<32>(&a, "aggregateKey"))
                .transpose()?;
            let extra_in = bytes_prop(&options, "extraIn")?;
            let rand = match bytes_prop(&options, "dangerousRand")? {
                Some(r) => array32(&r, "options.dangerousRand")?,
                None => random32()?,
            };
            let sk_bytes = Zeroizing::new(secret.as_ref().map(SecretKey::dangerous_to_bytes));
            let inputs = bip327::NonceGenInputs {
                sk: sk_bytes.as_ref(),
                aggpk: aggpk.as_ref(),
                msg: msg.as_deref(),
                extra_in: extra_in.as_deref(),
            };
            let (sec, public) = bip327::nonce_gen(&rand, &pk, inputs).map_err(crypto_error)?;
            nonce_gen_result(sec, public.as_bytes())
        }
        Scheme::Lotus => {
            let sk = secret.ok_or_else(|| {
                js_error(ErrorCode::InvalidArgument, "options.secretKey is required")
            })?;
            let aggpk = required(bytes_prop(&options, "aggregateKey")?, "aggregateKey")?;
            let aggpk = array::<33>(&aggpk, "aggregateKey")?;
            let msg = msg.map(|m| array::<32>(&m, "msg")).transpose()?;
            let extra_value = js_sys::Reflect::get(&options, &"dangerousExtraIn".into())
                .unwrap_or(JsValue::UNDEFINED);
            let extra = if extra_value.is_undefined() {
                Some(random32()?)
            } else {
                bytes_prop(&options, "dangerousExtraIn")?
                    .map(|e| array::<32>(&e, "dangerousExtraIn"))
                    .transpose()?
            };
            let sk_bytes = Zeroizing::new(sk.dangerous_to_bytes());
            let (sec, public) = lotus::nonce_gen(&sk_bytes, &aggpk, msg.as_ref(), extra.as_ref())
                .map_err(crypto_error)?;
            nonce_gen_result(sec, &public.to_bytes())
        }
    }
}
