//! Swarm construction, the one place where transports differ per target.
//!
//! - wasm32 (browsers): WebSocket (`websocket-websys`) and, where the engine has
//!   `RTCPeerConnection`, WebRTC-direct (`webrtc-websys`); circuit relay v2 client.
//! - native: TCP and WebSocket over TCP; circuit relay v2 client.

use std::time::Duration;

use libp2p::identity::Keypair;
use libp2p::Swarm;

use crate::behaviour::PeerBehaviour;
use crate::NetError;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// How long an idle connection stays open. Signing sessions pause between rounds.
const IDLE_CONNECTION_TIMEOUT: Duration = Duration::from_secs(300);

/// Builds a wallet peer's swarm for this target.
///
/// # Errors
/// [`NetError::Transport`] when a transport cannot be set up.
#[cfg(target_arch = "wasm32")]
pub async fn build_peer_swarm(keypair: Keypair) -> Result<Swarm<PeerBehaviour>, NetError> {
    use libp2p::core::muxing::StreamMuxerBox;
    use libp2p::core::upgrade::Version;
    use libp2p::core::Transport as _;
    use libp2p::{noise, webrtc_websys, websocket_websys, yamux};

    let webrtc_available = crate::capabilities::webrtc_available();
    let swarm = libp2p::SwarmBuilder::with_existing_identity(keypair)
        .with_wasm_bindgen()
        .with_other_transport(|key| {
            let ws = websocket_websys::Transport::default()
                .upgrade(Version::V1Lazy)
                .authenticate(noise::Config::new(key)?)
                .multiplex(yamux::Config::default())
                .boxed();
            if !webrtc_available {
                return Ok(ws);
            }
            let rtc = webrtc_websys::Transport::new(webrtc_websys::Config::new(key))
                .map(|(peer, conn), _| (peer, StreamMuxerBox::new(conn)))
                .boxed();
            Ok(ws
                .or_transport(rtc)
                .map(|either, _| either.into_inner())
                .boxed())
        })
        .map_err(|e| NetError::Transport(e.to_string()))?
        .with_relay_client(noise::Config::new, yamux::Config::default)
        .map_err(|e| NetError::Transport(e.to_string()))?
        .with_behaviour(|key, relay_client| {
            PeerBehaviour::new(key, relay_client).map_err(BoxError::from)
        })
        .map_err(|e| NetError::Transport(e.to_string()))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(IDLE_CONNECTION_TIMEOUT))
        .build();
    Ok(swarm)
}

/// Builds a wallet peer's swarm for this target.
///
/// # Errors
/// [`NetError::Transport`] when a transport cannot be set up.
#[cfg(not(target_arch = "wasm32"))]
pub async fn build_peer_swarm(keypair: Keypair) -> Result<Swarm<PeerBehaviour>, NetError> {
    use libp2p::{noise, tcp, yamux};

    let swarm = libp2p::SwarmBuilder::with_existing_identity(keypair)
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .map_err(|e| NetError::Transport(e.to_string()))?
        .with_websocket(noise::Config::new, yamux::Config::default)
        .await
        .map_err(|e| NetError::Transport(e.to_string()))?
        .with_relay_client(noise::Config::new, yamux::Config::default)
        .map_err(|e| NetError::Transport(e.to_string()))?
        .with_behaviour(|key, relay_client| {
            PeerBehaviour::new(key, relay_client).map_err(BoxError::from)
        })
        .map_err(|e| NetError::Transport(e.to_string()))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(IDLE_CONNECTION_TIMEOUT))
        .build();
    Ok(swarm)
}
