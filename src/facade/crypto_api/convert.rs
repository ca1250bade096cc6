//! Conversions of JS arguments, each failing with a typed `INVALID_ARGUMENT` error.

use musig2_crypto::scheme::Scheme;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::facade::errors::{js_error, ErrorCode};

/// Parses a scheme name.
pub fn parse_scheme(name: &str) -> Result<Scheme, JsValue> {
    match name {
        "bip327" => Ok(Scheme::Bip327),
        "lotus" => Ok(Scheme::Lotus),
        other => Err(js_error(
            ErrorCode::InvalidArgument,
            format!("unknown scheme {other:?}: expected \"bip327\" or \"lotus\""),
        )),
    }
}

/// The JS name of a scheme.
pub fn scheme_name(scheme: Scheme) -> &'static str {
    match scheme {
        Scheme::Bip327 => "bip327",
        Scheme::Lotus => "lotus",
    }
}

/// Exactly 32 bytes.
pub fn array32(bytes: &[u8], what: &str) -> Result<[u8; 32], JsValue> {
    bytes.try_into().map_err(|_| {
        js_error(
            ErrorCode::InvalidArgument,
            format!("{what} must be 32 bytes, got {}", bytes.len()),
        )
    })
}

/// Most elements accepted in one array argument (keys, nonces, partial signatures).
pub const MAX_LIST: u32 = 10_000;

/// An array of `Uint8Array`s, each exactly `N` bytes.
pub fn bytes_list<const N: usize>(value: &JsValue, what: &str) -> Result<Vec<[u8; N]>, JsValue> {
    let array: &js_sys::Array = value.dyn_ref().ok_or_else(|| {
        js_error(
            ErrorCode::InvalidArgument,
            format!("{what} must be an array of Uint8Array"),
        )
    })?;
    if array.length() > MAX_LIST {
        return Err(js_error(
            ErrorCode::InvalidArgument,
            format!("{what} has more than {MAX_LIST} elements"),
        ));
    }
    array
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let bytes = v.dyn_into::<js_sys::Uint8Array>().map_err(|_| {
                js_error(
                    ErrorCode::InvalidArgument,
                    format!("{what}[{i}] is not a Uint8Array"),
                )
            })?;
            if bytes.length() as usize != N {
                return Err(js_error(
                    ErrorCode::InvalidArgument,
                    format!("{what}[{i}] must be {N} bytes, got {}", bytes.length()),
                ));
            }
            // Copied straight into the array: no intermediate allocation per element.
            let mut out = [0u8; N];
            bytes.copy_to(&mut out);
            Ok(out)
        })
        .collect()
}

/// 32 bytes from the platform's secure random source (`crypto.getRandomValues`).
pub fn random32() -> Result<[u8; 32], JsValue> {
    let mut buf = [0u8; 32];
    getrandom::fill(&mut buf).map_err(|e| {
        js_error(
            ErrorCode::Unsupported,
            format!("no secure random source: {e}"),
        )
    })?;
    Ok(buf)
}
