//! What the running platform can do, detected at run time.

/// Whether this engine can dial webrtc-direct.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebRtcSupport {
    /// `RTCPeerConnection` exists and accepts the offer rust-libp2p's transport sends.
    Usable,
    /// No `RTCPeerConnection` (some engines, Debian's WebKit builds for one; native peers).
    Missing,
    /// `RTCPeerConnection` exists but refuses an offer whose ICE credentials were changed
    /// ("SDP munging"), as Chromium does with the `WebRTC-NoSdpMangleUfrag` field trial:
    /// rust-libp2p's browser transport changes them, so every dial would fail.
    MungingRefused,
}

#[cfg(target_arch = "wasm32")]
thread_local! {
    /// The probe's result, once [`webrtc_support`] ran.
    static PROBED: std::cell::Cell<Option<WebRtcSupport>> = const { std::cell::Cell::new(None) };
}

/// Whether this engine offers `RTCPeerConnection`, which the WebRTC-direct transport needs,
/// and (once [`webrtc_support`] probed it) accepts the transport's offer. Where it does not,
/// dialling webrtc-direct would hang or fail, so such peers use WebSocket only.
#[cfg(target_arch = "wasm32")]
pub fn webrtc_available() -> bool {
    if let Some(probed) = PROBED.with(std::cell::Cell::get) {
        return probed == WebRtcSupport::Usable;
    }
    has_peer_connection()
}

#[cfg(target_arch = "wasm32")]
fn has_peer_connection() -> bool {
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

/// Probes (once; later calls return the first answer) whether webrtc-direct can work here:
/// a local `RTCPeerConnection` makes an offer, changes its ICE credentials the way
/// rust-libp2p's browser transport does, and sets it. Nothing goes on the network; it takes
/// a few milliseconds, so a refusal is known before the first dial rather than after it.
#[cfg(target_arch = "wasm32")]
pub async fn webrtc_support() -> WebRtcSupport {
    if let Some(probed) = PROBED.with(std::cell::Cell::get) {
        return probed;
    }
    let support = if has_peer_connection() {
        probe_munging().await
    } else {
        WebRtcSupport::Missing
    };
    PROBED.with(|p| p.set(Some(support)));
    support
}

/// Native peers do not dial WebRTC-direct.
#[cfg(not(target_arch = "wasm32"))]
pub async fn webrtc_support() -> WebRtcSupport {
    WebRtcSupport::Missing
}

#[cfg(target_arch = "wasm32")]
async fn probe_munging() -> WebRtcSupport {
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{RtcPeerConnection, RtcSdpType, RtcSessionDescriptionInit};
    // The shape of the transport's ufrag ("libp2p+webrtc+v1/" and 32 characters).
    const UFRAG: &str = "libp2p+webrtc+v1/probeprobeprobeprobeprobeprobe00";
    let Ok(pc) = RtcPeerConnection::new() else {
        return WebRtcSupport::Missing;
    };
    let _channel = pc.create_data_channel("probe");
    let outcome = async {
        let offer = JsFuture::from(pc.create_offer()).await.ok()?;
        let sdp = js_sys::Reflect::get(&offer, &"sdp".into())
            .ok()?
            .as_string()?;
        let init = RtcSessionDescriptionInit::new(RtcSdpType::Offer);
        init.set_sdp(&munge(&sdp, UFRAG));
        Some(
            match JsFuture::from(pc.set_local_description(&init)).await {
                Ok(_) => WebRtcSupport::Usable,
                Err(e) => {
                    let name = js_sys::Reflect::get(&e, &"name".into())
                        .ok()
                        .and_then(|n| n.as_string());
                    if name.as_deref() == Some("InvalidModificationError") {
                        WebRtcSupport::MungingRefused
                    } else {
                        // Some other failure: let the real dial find out.
                        WebRtcSupport::Usable
                    }
                }
            },
        )
    }
    .await;
    pc.close();
    outcome.unwrap_or(WebRtcSupport::Usable)
}

/// `sdp` with its ICE ufrag and password replaced by `ufrag`, as rust-libp2p's browser
/// transport does it.
pub fn munge(sdp: &str, ufrag: &str) -> String {
    let mut out = String::new();
    for line in sdp.split("\r\n").filter(|l| !l.is_empty()) {
        if line.starts_with("a=ice-ufrag:") {
            out.push_str(&format!("a=ice-ufrag:{ufrag}\r\n"));
        } else if line.starts_with("a=ice-pwd:") {
            out.push_str(&format!("a=ice-pwd:{ufrag}\r\n"));
        } else {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out
}

/// The relays a peer dials, chosen by what the engine can do.
#[derive(Debug, Clone)]
pub struct RelayChoice {
    /// Whether webrtc-direct can be dialled here ([`WebRtcSupport::Usable`]).
    pub webrtc_available: bool,
    /// What this engine offers for webrtc-direct.
    pub webrtc: WebRtcSupport,
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
pub fn choose_relays(relays: Vec<libp2p::Multiaddr>, webrtc: WebRtcSupport) -> RelayChoice {
    let webrtc_available = webrtc == WebRtcSupport::Usable;
    let (relays, skipped) = relays
        .into_iter()
        .partition(|a| webrtc_available || !is_webrtc_direct(a));
    RelayChoice {
        webrtc_available,
        webrtc,
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
        match self.webrtc {
            WebRtcSupport::Usable => "RTCPeerConnection is available: WebSocket and webrtc-direct",
            WebRtcSupport::Missing => "RTCPeerConnection is missing in this engine: WebSocket only, webrtc-direct relays are not dialled",
            WebRtcSupport::MungingRefused => "this browser refuses the changed SDP offer that rust-libp2p's webrtc-direct sends (SDP munging, e.g. Chromium's WebRTC-NoSdpMangleUfrag): WebSocket only, webrtc-direct relays are not dialled",
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
        for support in [WebRtcSupport::Missing, WebRtcSupport::MungingRefused] {
            let choice = choose_relays(addrs(), support);
            assert_eq!(
                choice.relays,
                vec![WS.parse::<libp2p::Multiaddr>().unwrap()]
            );
            assert_eq!(
                choice.skipped,
                vec![RTC.parse::<libp2p::Multiaddr>().unwrap()]
            );
            assert_eq!(choice.transports(), ["websocket"]);
            assert!(!choice.webrtc_available);
        }
        assert!(choose_relays(addrs(), WebRtcSupport::MungingRefused)
            .reason()
            .contains("SDP"));
    }

    #[test]
    fn munging_replaces_exactly_the_ice_credentials() {
        let sdp = "v=0\r\na=ice-ufrag:abcd\r\na=ice-pwd:secret\r\na=fingerprint:x\r\n";
        assert_eq!(
            munge(sdp, "u"),
            "v=0\r\na=ice-ufrag:u\r\na=ice-pwd:u\r\na=fingerprint:x\r\n"
        );
    }

    #[test]
    fn with_webrtc_every_relay_is_kept_in_order() {
        let choice = choose_relays(addrs(), WebRtcSupport::Usable);
        assert_eq!(choice.relays, addrs());
        assert!(choice.skipped.is_empty());
        assert_eq!(choice.transports(), ["websocket", "webrtc-direct"]);
    }
}
