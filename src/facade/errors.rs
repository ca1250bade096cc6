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
  | "UNSUPPORTED";
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
    /// The platform lacks something the client needs.
    Unsupported,
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
