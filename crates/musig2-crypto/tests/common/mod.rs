//! Helpers shared by the integration tests: reading the specification vector files and
//! mapping their expected errors to [`Error`].
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use musig2_crypto::bip327::Tweak;
use musig2_crypto::{Contribution, Error};
use serde_json::Value;

/// Reads a file below the workspace's `tests/vectors/` folder, unchanged.
pub fn read_vector_file(relative: &str) -> String {
    let path = format!(
        "{}/../../tests/vectors/{relative}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// Parses a BIP-327 JSON vector file from `tests/vectors/bip327/`.
pub fn bip327_json(name: &str) -> Value {
    serde_json::from_str(&read_vector_file(&format!("bip327/{name}"))).expect("valid JSON")
}

/// Decodes a hex string.
pub fn hex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap_or_else(|e| panic!("bad hex {s}: {e}"))
}

/// Decodes a JSON hex string value.
pub fn hex_value(v: &Value) -> Vec<u8> {
    hex(v.as_str().expect("hex string"))
}

/// Decodes a JSON hex string into a fixed-size array.
pub fn hex_array<const N: usize>(v: &Value) -> [u8; N] {
    hex_value(v).try_into().expect("hex of the expected length")
}

/// Decodes a JSON array of hex strings.
pub fn hex_list(v: &Value) -> Vec<Vec<u8>> {
    v.as_array().expect("array").iter().map(hex_value).collect()
}

/// The JSON array of indices `v`.
pub fn indices(v: &Value) -> Vec<usize> {
    v.as_array()
        .expect("index array")
        .iter()
        .map(|i| usize::try_from(i.as_u64().expect("index")).expect("small index"))
        .collect()
}

/// The elements of `table` at the JSON indices `v`.
pub fn pick<T: Clone>(table: &[T], v: &Value) -> Vec<T> {
    indices(v).into_iter().map(|i| table[i].clone()).collect()
}

/// The tweaks given by parallel JSON arrays of tweak values and x-only flags.
pub fn tweaks(values: &[Vec<u8>], is_xonly: &Value) -> Vec<Tweak> {
    let flags = is_xonly.as_array().expect("is_xonly array");
    assert_eq!(
        values.len(),
        flags.len(),
        "tweaks and is_xonly differ in length"
    );
    values
        .iter()
        .zip(flags)
        .map(|(t, x)| Tweak {
            bytes: t.clone().try_into().expect("32-byte tweak"),
            is_xonly: x.as_bool().expect("bool"),
        })
        .collect()
}

/// The [`Error`] that a vector's `error` object describes: `invalid_contribution` with its
/// signer and contribution, or a `value` error identified by the reference's message.
pub fn expected_error(v: &Value) -> Error {
    match v["type"].as_str().expect("error type") {
        "invalid_contribution" => Error::InvalidContribution {
            signer: v["signer"]
                .as_u64()
                .map(|s| usize::try_from(s).expect("small index")),
            contrib: match v["contrib"].as_str().expect("contrib") {
                "pubkey" => Contribution::PubKey,
                "pubnonce" => Contribution::PubNonce,
                "aggnonce" => Contribution::AggNonce,
                "aggothernonce" => Contribution::AggOtherNonce,
                "psig" => Contribution::PartialSig,
                other => panic!("unknown contribution {other}"),
            },
        },
        "value" => match v["message"].as_str().expect("message") {
            "The tweak must be less than n." => Error::TweakOutOfRange,
            "The result of tweaking cannot be infinity." => Error::TweakInfinity,
            "The signer's pubkey must be included in the list of pubkeys." => {
                Error::SignerNotInKeys
            }
            "first secnonce value is out of range." | "second secnonce value is out of range." => {
                Error::SecNonceOutOfRange
            }
            other => panic!("unknown value error {other}"),
        },
        other => panic!("unknown error type {other}"),
    }
}

/// The number of entries of the JSON array `v` (0 when absent).
pub fn count(v: &Value) -> usize {
    v.as_array().map_or(0, Vec::len)
}
