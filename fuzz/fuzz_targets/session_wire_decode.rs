//! The session wire decoders: the envelope and the body of every message kind. The encoding
//! is canonical (protocol.md §2–§3), so whatever decodes must validate and re-encode to the
//! very bytes it came from; and a decoded envelope's digest must not depend on the signature.
#![no_main]

use libfuzzer_sys::fuzz_target;
use musig2_session::wire::{Envelope, Kind, Message, SchemeId, HEADER_LEN, SIGNATURE_LEN};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    if selector & 1 == 0 {
        envelope(rest);
    } else {
        body(selector >> 1, rest);
    }
});

fn envelope(bytes: &[u8]) {
    let Ok(env) = Envelope::decode(bytes) else {
        return;
    };
    env.message.validate().expect("a decoded body is valid");
    assert_eq!(env.encode(), bytes, "envelope re-encoding differs");
    assert!(bytes.len() >= HEADER_LEN + SIGNATURE_LEN);
    assert_eq!(bytes[1], env.message.kind() as u8);
    assert_eq!(SchemeId::from_code(bytes[2]).ok(), Some(env.scheme));
    let mut other = env.clone();
    other.signature = [0x5A; 64];
    assert_eq!(other.digest(), env.digest(), "digest covers the signature");
}

fn body(code: u8, bytes: &[u8]) {
    // Codes 1..=10 are kinds; let a few unknown codes through to test the kind parser.
    let Ok(kind) = Kind::from_code(code % 16) else {
        return;
    };
    let Ok(msg) = Message::decode_body(kind, bytes) else {
        return;
    };
    assert_eq!(msg.kind(), kind);
    msg.validate().expect("a decoded body is valid");
    assert!(bytes.len() <= kind.max_body_len());
    assert_eq!(msg.encode_body(), bytes, "body re-encoding differs");
}
