//! The `transportSelected` event: which transports this engine gets, decided once at `start()`
//! by `musig2_net::capabilities::choose_relays` and reported to the page.

use musig2_net::capabilities::RelayChoice;
use wasm_bindgen::JsValue;

/// The `transportSelected` event object for `choice`.
pub fn to_event(choice: &RelayChoice) -> JsValue {
    let obj = js_sys::Object::new();
    let set = |k: &str, v: JsValue| {
        let _ = js_sys::Reflect::set(&obj, &k.into(), &v);
    };
    let list = |items: Vec<String>| -> JsValue {
        items
            .into_iter()
            .map(JsValue::from)
            .collect::<js_sys::Array>()
            .into()
    };
    set("type", "transportSelected".into());
    set(
        "transports",
        list(choice.transports().iter().map(|t| t.to_string()).collect()),
    );
    set("webrtcAvailable", choice.webrtc_available.into());
    set(
        "relays",
        list(choice.relays.iter().map(|a| a.to_string()).collect()),
    );
    set(
        "skippedRelays",
        list(choice.skipped.iter().map(|a| a.to_string()).collect()),
    );
    set("reason", choice.reason().into());
    obj.into()
}
