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

/// The relays a peer dials, chosen by what the engine can do.
#[derive(Debug, Clone)]
pub struct RelayChoice {
    /// Whether `RTCPeerConnection` exists here.
    pub webrtc_available: bool,
    /// The relays to dial, in the configured order.
    pub relays: Vec<libp2p::Multiaddr>,
    /// Configured relays left out because their transport is missing here.
    pub skipped: Vec<libp2p::Multiaddr>,
}

/// Whether `addr` runs over webrtc-direct.
fn is_webrtc_direct(addr: &libp2p::Multiaddr) -> bool {
    addr.iter()
        .any(|p| matches!(p, libp2p::multiaddr::Protocol::WebRTCDirect))
}

/// Keeps the configured relays this engine can dial: WebSocket works everywhere, webrtc-direct
/// only where `webrtc_available`.
pub fn choose_relays(relays: Vec<libp2p::Multiaddr>, webrtc_available: bool) -> RelayChoice {
    let (relays, skipped) = relays
        .into_iter()
        .partition(|a| webrtc_available || !is_webrtc_direct(a));
    RelayChoice {
        webrtc_available,
        relays,
        skipped,
    }
}

impl RelayChoice {
    /// The transports in use, by name.
    pub fn transports(&self) -> &'static [&'static str] {
        if self.webrtc_available {
            &["websocket", "webrtc-direct"]
        } else {
            &["websocket"]
        }
    }

    /// Why these transports, in words for the application.
    pub fn reason(&self) -> &'static str {
        if self.webrtc_available {
            "RTCPeerConnection is available: WebSocket and webrtc-direct"
        } else {
            "RTCPeerConnection is missing in this engine: WebSocket only, webrtc-direct relays are not dialled"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WS: &str =
        "/ip4/10.0.0.1/tcp/4002/ws/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN";
    const RTC: &str = "/ip4/10.0.0.1/udp/4003/webrtc-direct/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN";

    fn addrs() -> Vec<libp2p::Multiaddr> {
        vec![RTC.parse().unwrap(), WS.parse().unwrap()]
    }

    #[test]
    fn without_webrtc_only_websocket_relays_are_dialled() {
        let choice = choose_relays(addrs(), false);
        assert_eq!(
            choice.relays,
            vec![WS.parse::<libp2p::Multiaddr>().unwrap()]
        );
        assert_eq!(
            choice.skipped,
            vec![RTC.parse::<libp2p::Multiaddr>().unwrap()]
        );
        assert_eq!(choice.transports(), ["websocket"]);
    }

    #[test]
    fn with_webrtc_every_relay_is_kept_in_order() {
        let choice = choose_relays(addrs(), true);
        assert_eq!(choice.relays, addrs());
        assert!(choice.skipped.is_empty());
        assert_eq!(choice.transports(), ["websocket", "webrtc-direct"]);
    }
}
