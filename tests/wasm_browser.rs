//! wasm tests that run in a browser (headless Chromium, Firefox or WebKitGTK, whichever driver
//! `scripts/test.sh` hands the runner): the JS facade and the browser transports.
#![cfg(target_arch = "wasm32")]

use musig2_p2p::MuSigClient;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn config(relays: &[&str]) -> JsValue {
    let obj = js_sys::Object::new();
    let arr = js_sys::Array::new();
    for r in relays {
        arr.push(&JsValue::from_str(r));
    }
    js_sys::Reflect::set(&obj, &"relays".into(), &arr).unwrap();
    obj.into()
}

fn code_of(err: &JsValue) -> String {
    js_sys::Reflect::get(err, &"code".into())
        .unwrap()
        .as_string()
        .unwrap_or_default()
}

/// The engine running these tests, from its user agent: `chromium`, `firefox` or `webkit`.
fn engine() -> &'static str {
    let navigator = js_sys::Reflect::get(&js_sys::global(), &"navigator".into()).unwrap();
    let ua = js_sys::Reflect::get(&navigator, &"userAgent".into())
        .unwrap()
        .as_string()
        .unwrap_or_default();
    if ua.contains("Firefox/") {
        "firefox"
    } else if ua.contains("Chrome/") {
        "chromium"
    } else if ua.contains("AppleWebKit/") {
        "webkit"
    } else {
        panic!("unrecognised engine: {ua}")
    }
}

#[wasm_bindgen_test]
fn webrtc_detection_matches_the_engine() {
    let detected = musig2_net::capabilities::webrtc_available();
    match engine() {
        // Chromium and Firefox ship RTCPeerConnection.
        "chromium" | "firefox" => assert!(detected, "RTCPeerConnection must be detected"),
        // Debian's WebKitGTK (the WebKit tested here) is built without WebRTC.
        _ => assert!(!detected, "Debian's WebKitGTK has no RTCPeerConnection"),
    }
}

#[wasm_bindgen_test]
fn constructor_rejects_bad_configs_with_codes() {
    for bad in [
        config(&[]),
        config(&["not a multiaddr"]),
        config(&["/ip4/127.0.0.1/tcp/1/ws"]),
        JsValue::from_str("relays"),
    ] {
        let err = MuSigClient::new(bad)
            .err()
            .expect("config must be rejected");
        assert_eq!(code_of(&err), "INVALID_ARGUMENT");
        assert!(err.is_instance_of::<js_sys::Error>());
    }
}

#[wasm_bindgen_test]
fn on_rejects_unknown_events_and_unsubscribes() {
    let relay = "/ip4/127.0.0.1/tcp/1/ws/p2p/12D3KooWE2sEZp5M24f2zSU4Fb17tVDG5gCYjnUjBDLuHMJFCdjY";
    let client = MuSigClient::new(config(&[relay])).unwrap();
    // The peer ID is derived from the wallet's signing key.
    let key: [u8; 33] = client.public_key().try_into().unwrap();
    let expected = musig2_net::identity::peer_id_of_signer(&key).unwrap();
    assert_eq!(client.peer_id(), expected.to_string());
    let cb = js_sys::Function::new_no_args("");
    let err = client.on("noSuchEvent", cb.clone()).err().unwrap();
    assert_eq!(code_of(&err), "INVALID_ARGUMENT");
    let unsubscribe: js_sys::Function = client.on("direct", cb).unwrap().into();
    unsubscribe.call0(&JsValue::NULL).unwrap();
}

#[wasm_bindgen_test]
async fn send_before_start_is_not_started() {
    let relay = "/ip4/127.0.0.1/tcp/1/ws/p2p/12D3KooWE2sEZp5M24f2zSU4Fb17tVDG5gCYjnUjBDLuHMJFCdjY";
    let client = MuSigClient::new(config(&[relay])).unwrap();
    let err = wasm_bindgen_futures::JsFuture::from(client.send_direct(relay, b"x"))
        .await
        .unwrap_err();
    assert_eq!(code_of(&err), "NOT_STARTED");
}

#[wasm_bindgen_test]
async fn stop_at_phase_checks_its_phase_then_needs_a_started_client() {
    let relay = "/ip4/127.0.0.1/tcp/1/ws/p2p/12D3KooWE2sEZp5M24f2zSU4Fb17tVDG5gCYjnUjBDLuHMJFCdjY";
    let client = MuSigClient::new(config(&[relay])).unwrap();
    let err = wasm_bindgen_futures::JsFuture::from(client.debug_stop_at_phase("round2", None))
        .await
        .unwrap_err();
    assert_eq!(code_of(&err), "INVALID_ARGUMENT");
    let err = wasm_bindgen_futures::JsFuture::from(
        client.debug_stop_at_phase("partialSigCollection", None),
    )
    .await
    .unwrap_err();
    assert_eq!(code_of(&err), "NOT_STARTED");
}

#[path = "wasm_vectors/mod.rs"]
mod vectors;

#[wasm_bindgen_test]
fn js_api_matches_bip327_vectors_in_this_engine() {
    vectors::key_agg_vectors();
    vectors::tweak_vectors();
    vectors::det_sign_vectors();
    vectors::lotus_refuses_deterministic_signing_and_tweaks();
}
