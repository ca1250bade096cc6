//! Which transports this engine gets, decided once at `start()` and reported to the page as a
//! `transportSelected` event.
//!
//! WebSocket works everywhere. WebRTC-direct needs `RTCPeerConnection`, which some engines lack
//! (Debian's WebKitGTK, for one); there, relay addresses over webrtc-direct are never dialled.

use musig2_net::libp2p::multiaddr::Protocol;
use musig2_net::libp2p::Multiaddr;
use wasm_bindgen::JsValue;

/// The outcome of the selection.
pub struct TransportChoice {
    /// Whether `RTCPeerConnection` exists here.
    pub webrtc_available: bool,
    /// The relays to dial, in the configured order.
    pub relays: Vec<Multiaddr>,
    /// Configured relays left out because their transport is missing here.
    pub skipped: Vec<Multiaddr>,
}

/// Whether `addr` runs over webrtc-direct.
fn is_webrtc_direct(addr: &Multiaddr) -> bool {
    addr.iter().any(|p| matches!(p, Protocol::WebRTCDirect))
}

/// Keeps the configured relays this engine can dial.
pub fn select(relays: Vec<Multiaddr>, webrtc_available: bool) -> TransportChoice {
    let (relays, skipped) = relays
        .into_iter()
        .partition(|a| webrtc_available || !is_webrtc_direct(a));
    TransportChoice {
        webrtc_available,
        relays,
        skipped,
    }
}

impl TransportChoice {
    /// The transports the client uses, as named in the event.
    fn transports(&self) -> Vec<&'static str> {
        if self.webrtc_available {
            vec!["websocket", "webrtc-direct"]
        } else {
            vec!["websocket"]
        }
    }

    /// Why these transports, in words for logs.
    fn reason(&self) -> &'static str {
        if self.webrtc_available {
            "RTCPeerConnection is available: WebSocket and webrtc-direct"
        } else {
            "RTCPeerConnection is missing in this engine: WebSocket only, webrtc-direct relays are not dialled"
        }
    }

    /// The `transportSelected` event object.
    pub fn to_event(&self) -> JsValue {
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
            list(self.transports().into_iter().map(String::from).collect()),
        );
        set("webrtcAvailable", self.webrtc_available.into());
        set(
            "relays",
            list(self.relays.iter().map(|a| a.to_string()).collect()),
        );
        set(
            "skippedRelays",
            list(self.skipped.iter().map(|a| a.to_string()).collect()),
        );
        set("reason", self.reason().into());
        obj.into()
    }
}
