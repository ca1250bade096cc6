//! JavaScript errors with a stable `code` property.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_ERROR_CODE: &str = r#"
/** Stable codes of the `code` property of every Error this package throws or rejects with. */
export type ErrorCode =
  | "INVALID_ARGUMENT"
  | "RELAY_UNREACHABLE"
  | "DELIVERY_FAILED"
  | "NOT_STARTED"
  | "ALREADY_STARTED"
  | "UNSUPPORTED"
  | "INVALID_CONTRIBUTION"
  | "NONCE_ALREADY_USED"
  | "CRYPTO_ERROR"
  | "SESSION_ABORTED"
  | "SESSION_FAILED"
  | "SESSION_REJECTED";
"#;

/// Stable error codes carried by every `Error` this package throws or rejects with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// A JS argument has the wrong type, shape or value.
    InvalidArgument,
    /// No relay accepted a reservation in time.
    RelayUnreachable,
    /// A direct message was not delivered.
    DeliveryFailed,
    /// The client is not started, or was stopped.
    NotStarted,
    /// `start()` was called twice.
    AlreadyStarted,
    /// The platform lacks something the client needs, or the scheme does not define the
    /// requested operation (Lotus has no deterministic signing and only the Taproot tweak).
    Unsupported,
    /// Someone's key, nonce or partial signature is invalid; `signer` and `contribution`
    /// properties say whose and which.
    InvalidContribution,
    /// A secret nonce handle was used a second time.
    NonceAlreadyUsed,
    /// Any other failure of the crypto core.
    CryptoError,
    /// The session was aborted (by a signer or locally); `signature()` rejects with this.
    SessionAborted,
    /// The session failed (expired, out of attempts, every coordinator failed).
    SessionFailed,
    /// The session layer refused a command (unknown session, already joined, bad parameters).
    SessionRejected,
}

impl ErrorCode {
    /// The code string, as seen by JavaScript.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidArgument => "INVALID_ARGUMENT",
            ErrorCode::RelayUnreachable => "RELAY_UNREACHABLE",
            ErrorCode::DeliveryFailed => "DELIVERY_FAILED",
            ErrorCode::NotStarted => "NOT_STARTED",
            ErrorCode::AlreadyStarted => "ALREADY_STARTED",
            ErrorCode::Unsupported => "UNSUPPORTED",
            ErrorCode::InvalidContribution => "INVALID_CONTRIBUTION",
            ErrorCode::NonceAlreadyUsed => "NONCE_ALREADY_USED",
            ErrorCode::CryptoError => "CRYPTO_ERROR",
            ErrorCode::SessionAborted => "SESSION_ABORTED",
            ErrorCode::SessionFailed => "SESSION_FAILED",
            ErrorCode::SessionRejected => "SESSION_REJECTED",
        }
    }
}

/// Builds a JS `Error` whose `code` property is `code`.
pub fn js_error(code: ErrorCode, message: impl AsRef<str>) -> JsValue {
    let err = js_sys::Error::new(message.as_ref());
    let _ = js_sys::Reflect::set(&err, &"code".into(), &code.as_str().into());
    err.into()
}

/// Maps a network error to a JS error with the matching code.
pub fn net_error(e: musig2_net::NetError) -> JsValue {
    use musig2_net::NetError as N;
    let code = match &e {
        N::Address(_) | N::Config(_) => ErrorCode::InvalidArgument,
        N::Transport(_) => ErrorCode::Unsupported,
        N::Dial(_) => ErrorCode::RelayUnreachable,
        N::Delivery(_) => ErrorCode::DeliveryFailed,
        N::Stopped => ErrorCode::NotStarted,
    };
    js_error(code, e.to_string())
}

/// Maps a session-layer error to a JS error: `INVALID_CONTRIBUTION` when it blames a signer
/// (equivocation, invalid nonce or partial signature), `SESSION_REJECTED` otherwise. Both
/// carry `reason` ([`musig2_session::Error::code`], e.g. `"unknownSession"`) and `signer`
/// (hex of the blamed 33-byte key, or `null`).
pub fn session_error(e: &musig2_session::Error) -> JsValue {
    let culprit = e.culprit();
    let code = if culprit.is_some() {
        ErrorCode::InvalidContribution
    } else {
        ErrorCode::SessionRejected
    };
    let err = js_error(code, e.to_string());
    let signer = culprit.map_or(JsValue::NULL, |k| super::session_events::hex_key(&k).into());
    let _ = js_sys::Reflect::set(&err, &"reason".into(), &e.code().into());
    let _ = js_sys::Reflect::set(&err, &"signer".into(), &signer);
    err
}

/// Maps a crypto error to a JS error. Blame is kept: `INVALID_CONTRIBUTION` errors carry
/// `signer` (index or `null`) and `contribution` (`"pubkey"`, `"pubnonce"`, `"aggnonce"`,
/// `"aggothernonce"`, `"psig"`).
pub fn crypto_error(e: musig2_crypto::Error) -> JsValue {
    use musig2_crypto::{Contribution as C, Error as E};
    match e {
        E::InvalidContribution { signer, contrib } => {
            let err = js_error(ErrorCode::InvalidContribution, e.to_string());
            let signer = signer.map_or(JsValue::NULL, |s| JsValue::from(s as u32));
            let name = match contrib {
                C::PubKey => "pubkey",
                C::PubNonce => "pubnonce",
                C::AggNonce => "aggnonce",
                C::AggOtherNonce => "aggothernonce",
                C::PartialSig => "psig",
            };
            let _ = js_sys::Reflect::set(&err, &"signer".into(), &signer);
            let _ = js_sys::Reflect::set(&err, &"contribution".into(), &name.into());
            err
        }
        E::WrongLength { .. }
        | E::InvalidSecretKey
        | E::InvalidPublicKey
        | E::InvalidSignature
        | E::Empty
        | E::TweakOutOfRange
        | E::TweakInfinity
        | E::SignerNotInKeys => js_error(ErrorCode::InvalidArgument, e.to_string()),
        E::Unsupported => js_error(ErrorCode::Unsupported, e.to_string()),
        other => js_error(ErrorCode::CryptoError, other.to_string()),
    }
}
