//! The application's identity verifier (`identityVerifier` option): the JS shapes of identity
//! claims and tiers, and one bounded call of the verifier. The tier decides only how many keys
//! the advertising peer may hold (protocol.md §7.4); the session machine applies it.

use musig2_session::identity::IdentityTier;
use musig2_session::wire::{IdentityClaim, OutPoint};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::errors::{js_error, ErrorCode};
use super::session_events::{hex, hex_key};
use super::timer::sleep_ms;

#[wasm_bindgen(typescript_custom_section)]
const TS_IDENTITY: &str = r#"
/** How strongly an advertised key's identity is established (protocol.md §7.4): it sets how
 *  many keys the advertising peer may hold (10, 50 or 100). */
export type IdentityTier = "unverified" | "verified" | "institutional";

/** A transaction output: `txid` is the hex of the 32 txid bytes as carried on the wire
 *  (protocol.md §3.8; no byte reversal), `vout` the output index. */
export interface OutPointJs {
  txid: string;
  vout: number;
}

/** An identity claim as it travels in an advertisement: the registration burn output and,
 *  after a rotation to the advertised key, the rotation output. */
export interface IdentityClaimJs {
  registration: OutPointJs;
  rotation?: OutPointJs | null;
}

/** What an `identityVerifier` is given: the advertised key (66 hex characters) and its claim. */
export interface IdentityClaimCheck extends IdentityClaimJs {
  publicKey: string;
}

/** Looks an identity claim up (e.g. on chain) and resolves to its tier. Called at most
 *  4 at a time and at most once per key and claim (the answer is cached); a verifier that
 *  throws, rejects, answers anything but a tier name or takes longer than 10 s counts as
 *  "unverified". */
export type IdentityVerifier = (claim: IdentityClaimCheck) => Promise<IdentityTier> | IdentityTier;
"#;

/// Most verifier calls in flight at once.
pub const MAX_VERIFIER_CALLS: usize = 4;

/// How long one verifier call may take before it counts as unverified.
pub const VERIFIER_TIMEOUT_MS: u32 = 10_000;

/// The option's name in the client configuration.
const OPTION: &str = "identityVerifier";

/// Takes `identityVerifier` out of the configuration object: returns a shallow copy without
/// it (for the strict configuration parser) and the function, if one was given.
///
/// # Errors
/// `INVALID_ARGUMENT` when the option is present but not a function.
pub fn take_verifier(config: JsValue) -> Result<(JsValue, Option<js_sys::Function>), JsValue> {
    if !config.is_object() {
        return Ok((config, None));
    }
    let value = js_sys::Reflect::get(&config, &OPTION.into()).unwrap_or(JsValue::UNDEFINED);
    if value.is_undefined() {
        return Ok((config, None));
    }
    if value.is_null() {
        return Ok((without_option(&config), None));
    }
    let function: js_sys::Function = value.dyn_into().map_err(|_| {
        js_error(
            ErrorCode::InvalidArgument,
            "identityVerifier must be a function",
        )
    })?;
    Ok((without_option(&config), Some(function)))
}

fn without_option(config: &JsValue) -> JsValue {
    let copy = js_sys::Object::assign(&js_sys::Object::new(), &config.clone().unchecked_into());
    let _ = js_sys::Reflect::delete_property(&copy, &OPTION.into());
    copy.into()
}

/// The JS name of a tier.
pub fn tier_name(tier: IdentityTier) -> &'static str {
    match tier {
        IdentityTier::Unverified => "unverified",
        IdentityTier::Verified => "verified",
        IdentityTier::Institutional => "institutional",
    }
}

/// A verifier's answer as a tier: anything but a tier name is unverified.
pub fn parse_tier(value: &JsValue) -> IdentityTier {
    match value.as_string().as_deref() {
        Some("verified") => IdentityTier::Verified,
        Some("institutional") => IdentityTier::Institutional,
        _ => IdentityTier::Unverified,
    }
}

fn set(obj: &js_sys::Object, key: &str, value: &JsValue) {
    let _ = js_sys::Reflect::set(obj, &key.into(), value);
}

fn outpoint_js(o: &OutPoint) -> JsValue {
    let obj = js_sys::Object::new();
    set(&obj, "txid", &hex(&o.txid).into());
    set(&obj, "vout", &o.vout.into());
    obj.into()
}

/// The JS shape of a claim (`IdentityClaimJs`).
pub fn claim_js(claim: &IdentityClaim) -> js_sys::Object {
    let obj = js_sys::Object::new();
    set(&obj, "registration", &outpoint_js(&claim.registration));
    if let Some(r) = &claim.rotation {
        set(&obj, "rotation", &outpoint_js(r));
    }
    obj
}

fn invalid(msg: impl AsRef<str>) -> JsValue {
    js_error(ErrorCode::InvalidArgument, msg)
}

fn outpoint_from_js(value: &JsValue, name: &str) -> Result<OutPoint, JsValue> {
    if !value.is_object() {
        return Err(invalid(format!("{name} must be {{ txid, vout }}")));
    }
    let txid = js_sys::Reflect::get(value, &"txid".into())
        .ok()
        .and_then(|t| t.as_string())
        .ok_or_else(|| invalid(format!("{name}.txid must be a hex string")))?;
    let txid = super::session_events::parse_id(&txid)
        .map_err(|_| invalid(format!("{name}.txid must be 64 hex characters")))?;
    let vout = js_sys::Reflect::get(value, &"vout".into())
        .ok()
        .and_then(|v| v.as_f64())
        .filter(|v| v.fract() == 0.0 && *v >= 0.0 && *v <= f64::from(u32::MAX))
        .ok_or_else(|| invalid(format!("{name}.vout must be an integer in 0..=2^32-1")))?;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(OutPoint {
        txid,
        vout: vout as u32,
    })
}

/// Parses an `IdentityClaimJs` (the `identity` option of `advertise`).
///
/// # Errors
/// `INVALID_ARGUMENT` for any malformed field.
pub fn claim_from_js(value: &JsValue) -> Result<IdentityClaim, JsValue> {
    if !value.is_object() {
        return Err(invalid("identity must be { registration, rotation? }"));
    }
    let registration = outpoint_from_js(
        &js_sys::Reflect::get(value, &"registration".into()).unwrap_or(JsValue::UNDEFINED),
        "identity.registration",
    )?;
    let rotation = js_sys::Reflect::get(value, &"rotation".into()).unwrap_or(JsValue::UNDEFINED);
    let rotation = if rotation.is_undefined() || rotation.is_null() {
        None
    } else {
        Some(outpoint_from_js(&rotation, "identity.rotation")?)
    };
    Ok(IdentityClaim {
        registration,
        rotation,
    })
}

/// Asks `verifier` for the tier of `claim` of `key`. Never fails: a throwing or rejecting
/// verifier, an answer that is not a tier name and an answer later than
/// [`VERIFIER_TIMEOUT_MS`] all give [`IdentityTier::Unverified`].
pub async fn resolve(
    verifier: &js_sys::Function,
    key: &[u8; 33],
    claim: &IdentityClaim,
) -> IdentityTier {
    let arg = claim_js(claim);
    set(&arg, "publicKey", &hex_key(key).into());
    let answer = match verifier.call1(&JsValue::NULL, &arg) {
        Ok(v) => v,
        Err(_) => return IdentityTier::Unverified,
    };
    // A plain value is taken as it is; a thenable is awaited.
    let future = JsFuture::from(js_sys::Promise::resolve(&answer));
    let deadline = sleep_ms(VERIFIER_TIMEOUT_MS);
    futures::pin_mut!(future);
    futures::pin_mut!(deadline);
    match futures::future::select(future, deadline).await {
        futures::future::Either::Left((Ok(v), _)) => parse_tier(&v),
        _ => IdentityTier::Unverified,
    }
}
