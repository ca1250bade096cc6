//! What the running platform can do, detected at run time.

/// Whether this engine offers `RTCPeerConnection`, which the WebRTC-direct transport needs.
/// Some engines (Debian's WebKit builds, for one) lack it; dialling webrtc-direct there would
/// hang, so such peers use WebSocket only.
#[cfg(target_arch = "wasm32")]
pub fn webrtc_available() -> bool {
    let global = js_sys::global();
    js_sys::Reflect::get(
        &global,
        &wasm_bindgen::JsValue::from_str("RTCPeerConnection"),
    )
    .map(|v| v.is_function())
    .unwrap_or(false)
}

/// Native peers do not dial WebRTC-direct.
#[cfg(not(target_arch = "wasm32"))]
pub fn webrtc_available() -> bool {
    false
}
