//! The session methods of `MuSigClient`: create, join, decline, abort, await the signature.

use musig2_session::wire::TweakSpec;
use musig2_session::{ElectionMethod, SessionParams};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::future_to_promise;

use super::MuSigClient;
use crate::facade::crypto_api::bytes_list;
use crate::facade::errors::{js_error, net_error, ErrorCode};
use crate::facade::session_events::{hex_id, parse_id};

#[wasm_bindgen(typescript_custom_section)]
const TS_SESSION_PARAMS: &str = r#"
/** How the coordinator (and its failover order) is chosen; every signer computes the same. */
export type ElectionName = "lexicographic" | "hashBased" | "firstSigner" | "lastSigner";

/** Parameters of a new signing session. */
export interface SessionParams {
  /** Every signer's 33-byte public key, this wallet's included. */
  signers: Uint8Array[];
  /** The message to sign (exactly 32 bytes for the Lotus scheme). */
  message: Uint8Array;
  /** Sign for the Taproot output key of the aggregate key. */
  taproot?: TaprootTweak | null;
  /** Coordinator election. Default "lexicographic". */
  election?: ElectionName;
  /** Transaction type, e.g. "spend". Default "default". */
  txType?: string;
}
"#;

fn field(obj: &JsValue, name: &str) -> JsValue {
    js_sys::Reflect::get(obj, &name.into()).unwrap_or(JsValue::UNDEFINED)
}

fn invalid(msg: impl AsRef<str>) -> JsValue {
    js_error(ErrorCode::InvalidArgument, msg)
}

fn parse_params(value: &JsValue) -> Result<SessionParams, JsValue> {
    if !value.is_object() {
        return Err(invalid("session parameters must be an object"));
    }
    let signers = bytes_list::<33>(&field(value, "signers"), "signers")?;
    let message: js_sys::Uint8Array = field(value, "message")
        .dyn_into()
        .map_err(|_| invalid("message must be a Uint8Array"))?;
    let taproot = field(value, "taproot");
    let tweak = if taproot.is_undefined() || taproot.is_null() {
        TweakSpec::None
    } else {
        let root = field(&taproot, "merkleRoot");
        let merkle_root = if root.is_undefined() || root.is_null() {
            None
        } else {
            let bytes: js_sys::Uint8Array = root
                .dyn_into()
                .map_err(|_| invalid("taproot.merkleRoot must be a Uint8Array"))?;
            Some(
                <[u8; 32]>::try_from(bytes.to_vec().as_slice())
                    .map_err(|_| invalid("taproot.merkleRoot must be 32 bytes"))?,
            )
        };
        TweakSpec::Taproot { merkle_root }
    };
    let election = match field(value, "election").as_string().as_deref() {
        None | Some("lexicographic") => ElectionMethod::Lexicographic,
        Some("hashBased") => ElectionMethod::HashBased,
        Some("firstSigner") => ElectionMethod::FirstSigner,
        Some("lastSigner") => ElectionMethod::LastSigner,
        Some(other) => return Err(invalid(format!("unknown election method {other:?}"))),
    };
    let tx_type = field(value, "txType")
        .as_string()
        .unwrap_or_else(|| "default".into());
    Ok(SessionParams {
        signers,
        message: message.to_vec(),
        tweak,
        election,
        tx_type,
    })
}

fn rejected(e: musig2_session::Error) -> JsValue {
    crate::facade::errors::session_error(&e)
}

#[wasm_bindgen]
impl MuSigClient {
    /// Creates a signing session, announces it to the other signers and the DHT, and joins
    /// it. Resolves to the session ID (64 hex characters).
    ///
    /// Rejects with `INVALID_ARGUMENT`, `NOT_STARTED` or `SESSION_REJECTED`.
    #[wasm_bindgen(js_name = createSession, unchecked_return_type = "Promise<string>")]
    pub fn create_session(
        &self,
        #[wasm_bindgen(unchecked_param_type = "SessionParams")] params: JsValue,
    ) -> js_sys::Promise {
        let params = parse_params(&params);
        let handle = self.state.borrow().handle.clone();
        future_to_promise(async move {
            let params = params?;
            let handle =
                handle.ok_or_else(|| js_error(ErrorCode::NotStarted, "call start() first"))?;
            let id = handle
                .with_machine(move |m, now, rng| m.create_session(now, params, rng))
                .await
                .map_err(net_error)?
                .map_err(rejected)?;
            Ok(hex_id(&id).into())
        })
    }

    /// Joins a session announced by another signer (see the `sessionDiscovered` event).
    #[wasm_bindgen(js_name = joinSession, unchecked_return_type = "Promise<void>")]
    pub fn join_session(
        &self,
        #[wasm_bindgen(js_name = sessionId)] session_id: &str,
    ) -> js_sys::Promise {
        self.session_command(session_id, |m, now, id, rng| m.join(now, id, rng))
    }

    /// Declines a session: every signer is told, and the session ends.
    #[wasm_bindgen(js_name = declineSession, unchecked_return_type = "Promise<void>")]
    pub fn decline_session(
        &self,
        #[wasm_bindgen(js_name = sessionId)] session_id: &str,
    ) -> js_sys::Promise {
        self.session_command(session_id, |m, now, id, _| m.decline(now, id))
    }

    /// Aborts a session this wallet takes part in; `signature()` then rejects with
    /// `SESSION_ABORTED`.
    #[wasm_bindgen(js_name = abortSession, unchecked_return_type = "Promise<void>")]
    pub fn abort_session(
        &self,
        #[wasm_bindgen(js_name = sessionId)] session_id: &str,
    ) -> js_sys::Promise {
        self.session_command(session_id, |m, now, id, _| m.abort(now, id))
    }

    /// Resolves to the session's final 64-byte signature once it is known and verified;
    /// rejects with `SESSION_ABORTED` or `SESSION_FAILED`. May be called before the
    /// session ends or after (outcomes of recent sessions are remembered).
    #[wasm_bindgen(unchecked_return_type = "Promise<Uint8Array>")]
    pub fn signature(
        &self,
        #[wasm_bindgen(js_name = sessionId)] session_id: &str,
    ) -> js_sys::Promise {
        match parse_id(session_id) {
            Ok(id) => self.state.borrow_mut().promises.promise(id),
            Err(e) => js_sys::Promise::reject(&e),
        }
    }
}

type SessionCommand = fn(
    &mut musig2_session::Machine,
    u64,
    &[u8; 32],
    &mut musig2_net::node::OsRng,
) -> Result<(), musig2_session::Error>;

impl MuSigClient {
    fn session_command(&self, session_id: &str, command: SessionCommand) -> js_sys::Promise {
        let id = parse_id(session_id);
        let handle = self.state.borrow().handle.clone();
        future_to_promise(async move {
            let id = id?;
            let handle =
                handle.ok_or_else(|| js_error(ErrorCode::NotStarted, "call start() first"))?;
            handle
                .with_machine(move |m, now, rng| command(m, now, &id, rng))
                .await
                .map_err(net_error)?
                .map_err(rejected)?;
            Ok(JsValue::UNDEFINED)
        })
    }
}
