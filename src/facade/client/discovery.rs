//! Signer discovery from JavaScript: `advertise`, `watchSigners`, `knownSigners`, the
//! `signerAdvertised` event and the calls of the application's `identityVerifier`. Every
//! check of an advertisement is the session machine's; this file converts and wires.

use std::cell::RefCell;
use std::rc::Rc;

use musig2_net::libp2p::PeerId;
use musig2_net::NodeHandle;
use musig2_session::machine::SignerEntry;
use musig2_session::wire::{check_tx_type, signers_topic, IdentityClaim, KeyBytes};
use musig2_session::Event;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, spawn_local};

use super::{MuSigClient, State};
use crate::facade::errors::{js_error, net_error, ErrorCode};
use crate::facade::events::Listeners;
use crate::facade::identity_verifier::{claim_from_js, resolve, tier_name};

#[wasm_bindgen(typescript_custom_section)]
const TS_DISCOVERY: &str = r#"
/** Options of MuSigClient.advertise(). */
export interface AdvertiseOptions {
  /** Transaction types this wallet signs (1 to 8; each 1-32 characters of a-z, 0-9, _ and -). */
  txTypes: string[];
  /** How long the advertisement is valid, in ms: 1 to 3600000 (one hour). Default 3600000. */
  lifetimeMs?: number;
  /** This wallet's identity claim (its burn outputs), which lets peers give it a higher tier. */
  identity?: IdentityClaimJs;
}

/** An advertised signer, as knownSigners() lists it. */
export interface KnownSigner {
  /** Its 33-byte public signing key (usable in `createSession({ signers })`). */
  publicKey: Uint8Array;
  /** The libp2p peer ID that advertised it. */
  peerId: string;
  /** Every transaction type it advertised. */
  txTypes: string[];
  /** When its advertisement expires (ms since the Unix epoch). */
  expiresAt: number;
  /** Its identity tier ("unverified" unless this client's identityVerifier said otherwise). */
  tier: IdentityTier;
}

/** A valid advertisement arrived for a watched transaction type `txType` (one event per
 *  watched type the advertisement names). With an identityVerifier, the event waits for the
 *  verifier's answer, so `tier` is the resolved one. */
export interface SignerAdvertisedEvent extends KnownSigner {
  type: "signerAdvertised";
  /** The watched transaction type this event is for. */
  txType: string;
}
"#;

/// Most transaction types one client watches.
pub const MAX_WATCHED_TYPES: usize = 64;

fn invalid(msg: impl AsRef<str>) -> JsValue {
    js_error(ErrorCode::InvalidArgument, msg)
}

/// Reads a list of transaction-type names, each checked by the session layer's rule.
fn tx_types(value: &JsValue, name: &str) -> Result<Vec<String>, JsValue> {
    if !js_sys::Array::is_array(value) {
        return Err(invalid(format!("{name} must be an array of strings")));
    }
    let array = js_sys::Array::from(value);
    if array.length() as usize > MAX_WATCHED_TYPES {
        return Err(invalid(format!(
            "{name}: at most {MAX_WATCHED_TYPES} types"
        )));
    }
    let mut out = Vec::new();
    for v in array.iter() {
        let t = v
            .as_string()
            .ok_or_else(|| invalid(format!("{name} must be an array of strings")))?;
        tx_type(&t)?;
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.is_empty() {
        return Err(invalid(format!("{name} must not be empty")));
    }
    Ok(out)
}

fn tx_type(t: &str) -> Result<(), JsValue> {
    check_tx_type(t).map_err(|e| invalid(format!("invalid transaction type {t:?}: {e}")))
}

struct AdvertiseArgs {
    tx_types: Vec<String>,
    lifetime_ms: u64,
    identity: Option<IdentityClaim>,
}

fn advertise_args(value: &JsValue) -> Result<AdvertiseArgs, JsValue> {
    if !value.is_object() {
        return Err(invalid("advertise options must be an object"));
    }
    let get = |k: &str| js_sys::Reflect::get(value, &k.into()).unwrap_or(JsValue::UNDEFINED);
    let tx_types = tx_types(&get("txTypes"), "txTypes")?;
    let lifetime = get("lifetimeMs");
    let lifetime_ms = if lifetime.is_undefined() {
        musig2_session::Config::default().max_advert_lifetime_ms
    } else {
        // The session machine checks the bound (`max_advert_lifetime_ms`); this is the type.
        let ms = lifetime
            .as_f64()
            .filter(|v| v.fract() == 0.0 && *v >= 0.0 && *v <= 1e15)
            .ok_or_else(|| invalid("lifetimeMs must be a non-negative integer"))?;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        {
            ms as u64
        }
    };
    let identity = get("identity");
    let identity = if identity.is_undefined() || identity.is_null() {
        None
    } else {
        Some(claim_from_js(&identity)?)
    };
    Ok(AdvertiseArgs {
        tx_types,
        lifetime_ms,
        identity,
    })
}

fn set(obj: &js_sys::Object, key: &str, value: &JsValue) {
    let _ = js_sys::Reflect::set(obj, &key.into(), value);
}

/// The JS shape of a directory entry (`KnownSigner`).
fn entry_js(e: &SignerEntry) -> js_sys::Object {
    let obj = js_sys::Object::new();
    set(
        &obj,
        "publicKey",
        &js_sys::Uint8Array::from(&e.key[..]).into(),
    );
    let peer = PeerId::from_bytes(&e.peer.0).map_or_else(
        |_| crate::facade::session_events::hex(&e.peer.0),
        |p| p.to_string(),
    );
    set(&obj, "peerId", &peer.into());
    let types: js_sys::Array = e
        .tx_types
        .iter()
        .map(|t| JsValue::from(t.as_str()))
        .collect();
    set(&obj, "txTypes", &types.into());
    #[allow(clippy::cast_precision_loss)]
    set(&obj, "expiresAt", &JsValue::from(e.expires_at as f64));
    set(&obj, "tier", &tier_name(e.tier).into());
    obj
}

/// Emits `signerAdvertised` once per watched type the advertisement names.
fn emit_advertised(state: &Rc<RefCell<State>>, listeners: &Listeners, entry: &SignerEntry) {
    let types: Vec<String> = {
        let s = state.borrow();
        entry
            .tx_types
            .iter()
            .filter(|t| s.watched.contains(*t))
            .cloned()
            .collect()
    };
    for t in types {
        let obj = entry_js(entry);
        set(&obj, "type", &"signerAdvertised".into());
        set(&obj, "txType", &t.into());
        listeners.emit("signerAdvertised", &obj.into());
    }
}

/// Handles the discovery events of the session machine (called by the event pump): queues
/// claims for the verifier and emits (or holds back) `signerAdvertised`.
pub fn observe(
    state: &Rc<RefCell<State>>,
    listeners: &Listeners,
    verifier: Option<&js_sys::Function>,
    event: &Event,
) {
    match event {
        Event::IdentityClaimSeen { key, claim, .. } => {
            let Some(verifier) = verifier else {
                return;
            };
            let released = state.borrow_mut().verifier.enqueue(*key, *claim);
            if let Some(entry) = released {
                emit_advertised(state, listeners, &entry);
            }
            run_verifier(state, listeners, verifier);
        }
        Event::SignerDiscovered {
            key,
            peer,
            tx_types,
            expires_at,
            tier,
        } => {
            let entry = SignerEntry {
                key: *key,
                peer: peer.clone(),
                tx_types: tx_types.clone(),
                expires_at: *expires_at,
                tier: *tier,
            };
            let now = state.borrow_mut().verifier.hold(entry);
            if let Some(entry) = now {
                emit_advertised(state, listeners, &entry);
            }
        }
        _ => {}
    }
}

/// Starts verifier calls while call slots are free and claims wait.
fn run_verifier(state: &Rc<RefCell<State>>, listeners: &Listeners, verifier: &js_sys::Function) {
    loop {
        let (next, handle) = {
            let mut s = state.borrow_mut();
            (s.verifier.next(), s.handle.clone())
        };
        let Some((key, claim)) = next else {
            return;
        };
        let (state, listeners, verifier) = (state.clone(), listeners.clone(), verifier.clone());
        spawn_local(async move {
            let tier = resolve(&verifier, &key, &claim).await;
            let current = match handle {
                Some(h) => record_tier(&h, key, claim, tier).await,
                None => None,
            };
            let held = state.borrow_mut().verifier.finish(&key);
            if let Some(held) = held {
                // The directory's entry carries the tier just recorded; the held event is
                // the fallback when the entry is gone (evicted or expired).
                emit_advertised(&state, &listeners, &current.unwrap_or(held));
            }
            run_verifier(&state, &listeners, &verifier);
        });
    }
}

/// Reports a resolved tier to the machine; returns the key's directory entry after it.
async fn record_tier(
    handle: &NodeHandle,
    key: KeyBytes,
    claim: IdentityClaim,
    tier: musig2_session::identity::IdentityTier,
) -> Option<SignerEntry> {
    handle
        .with_machine(move |m, now, _| {
            m.set_identity_tier(key, claim, tier);
            m.signer_entry(&key, now)
        })
        .await
        .ok()
        .flatten()
}

#[wasm_bindgen]
impl MuSigClient {
    /// Publishes a signed advertisement of this wallet's key on `musig2:signers:<type>` for
    /// every type of `options.txTypes`. Peers accept one advertisement per peer a minute:
    /// advertise again only to refresh it before it expires.
    ///
    /// Rejects with `INVALID_ARGUMENT` for malformed options (a type outside the alphabet, a
    /// lifetime of 0 or above one hour, a malformed identity) and `NOT_STARTED`.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn advertise(
        &self,
        #[wasm_bindgen(unchecked_param_type = "AdvertiseOptions")] options: JsValue,
    ) -> js_sys::Promise {
        let args = advertise_args(&options);
        let handle = self.state.borrow().handle.clone();
        let peer = self.keypair.public().to_peer_id().to_bytes();
        future_to_promise(async move {
            let args = args?;
            let handle =
                handle.ok_or_else(|| js_error(ErrorCode::NotStarted, "call start() first"))?;
            handle
                .with_machine(move |m, now, _| {
                    m.advertise(now, args.tx_types, peer, args.identity, args.lifetime_ms)
                })
                .await
                .map_err(net_error)?
                .map_err(|e| {
                    let err = invalid(format!("advertisement refused: {e}"));
                    let _ = js_sys::Reflect::set(&err, &"reason".into(), &e.code().into());
                    err
                })?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Subscribes to `musig2:signers:<type>` for every type given; each valid advertisement
    /// received then fires `signerAdvertised`, and `knownSigners(type)` lists its signer.
    ///
    /// Rejects with `INVALID_ARGUMENT` (malformed types, more than 64 watched in all) and
    /// `NOT_STARTED`.
    #[wasm_bindgen(js_name = watchSigners, unchecked_return_type = "Promise<void>")]
    pub fn watch_signers(
        &self,
        #[wasm_bindgen(js_name = txTypes, unchecked_param_type = "string[]")] tx_types_js: JsValue,
    ) -> js_sys::Promise {
        let types = tx_types(&tx_types_js, "txTypes");
        let state = self.state.clone();
        future_to_promise(async move {
            let types = types?;
            let handle = state
                .borrow()
                .handle
                .clone()
                .ok_or_else(|| js_error(ErrorCode::NotStarted, "call start() first"))?;
            {
                let mut s = state.borrow_mut();
                let new = types.iter().filter(|t| !s.watched.contains(*t)).count();
                if s.watched.len() + new > MAX_WATCHED_TYPES {
                    return Err(invalid(format!(
                        "at most {MAX_WATCHED_TYPES} transaction types can be watched"
                    )));
                }
                s.watched.extend(types.iter().cloned());
            }
            for t in types {
                handle
                    .subscribe(signers_topic(&t))
                    .await
                    .map_err(net_error)?;
            }
            Ok(JsValue::UNDEFINED)
        })
    }

    /// The advertised signers currently known for `txType` (unexpired advertisements).
    ///
    /// Rejects with `INVALID_ARGUMENT` for a malformed type and `NOT_STARTED`.
    #[wasm_bindgen(js_name = knownSigners, unchecked_return_type = "Promise<KnownSigner[]>")]
    pub fn known_signers(
        &self,
        #[wasm_bindgen(js_name = txType, unchecked_param_type = "string")] tx_type_js: JsValue,
    ) -> js_sys::Promise {
        let handle = self.state.borrow().handle.clone();
        future_to_promise(async move {
            let t = tx_type_js
                .as_string()
                .ok_or_else(|| invalid("txType must be a string"))?;
            tx_type(&t)?;
            let handle =
                handle.ok_or_else(|| js_error(ErrorCode::NotStarted, "call start() first"))?;
            let entries = handle
                .with_machine(move |m, now, _| m.signer_entries(&t, now))
                .await
                .map_err(net_error)?;
            let list: js_sys::Array = entries.iter().map(|e| JsValue::from(entry_js(e))).collect();
            Ok(list.into())
        })
    }
}
