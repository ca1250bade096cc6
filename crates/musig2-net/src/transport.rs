//! Swarm construction, the one place where transports differ per target.
//!
//! - wasm32 (browsers): WebSocket (`websocket-websys`, writes batched per JavaScript turn
//!   by `write_batching`) and, where the engine has
//!   `RTCPeerConnection`, WebRTC-direct (`webrtc-websys`); circuit relay v2 client.
//! - native: TCP and WebSocket over TCP; circuit relay v2 client.

use std::time::Duration;

use libp2p::identity::Keypair;
use libp2p::Swarm;

use crate::behaviour::PeerBehaviour;
use crate::NetError;

// Browser-only in use; compiled natively too so that its unit tests run there.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod write_batching;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// How long an idle connection stays open. Signing sessions pause between rounds.
const IDLE_CONNECTION_TIMEOUT: Duration = Duration::from_secs(300);

/// Longest a browser's WebSocket dial (connect, Noise, Yamux) may take. `websocket-websys`
/// never wakes a dial whose socket fails while still connecting (its error and close events
/// do not wake the pending open), so without a limit such a dial hangs and the relay is never
/// re-dialled; with it the dial fails and the node's relay re-dial (after 250 ms) tries again,
/// still well inside `start()`'s default 15 s wait for a reservation.
#[cfg(target_arch = "wasm32")]
const BROWSER_DIAL_TIMEOUT: Duration = Duration::from_secs(5);

/// Swarm settings shared by every target.
///
/// Substreams are negotiated with multistream-select `V1Lazy`: the opener sends its
/// protocol choice and its first bytes together instead of waiting one round trip (through
/// the relay, on every session message) for the echo. Every protocol we open is one our
/// peers and relays serve; should one not be, the stream fails at its first read, as a
/// refused negotiation would.
pub fn swarm_config(config: libp2p::swarm::Config) -> libp2p::swarm::Config {
    config
        .with_idle_connection_timeout(IDLE_CONNECTION_TIMEOUT)
        .with_substream_upgrade_protocol_override(libp2p::core::upgrade::Version::V1Lazy)
}

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
    use write_batching::{Microtask, WriteBatching};

    let webrtc_available = crate::capabilities::webrtc_available();
    let swarm = libp2p::SwarmBuilder::with_existing_identity(keypair)
        .with_wasm_bindgen()
        .with_other_transport(|key| {
            let ws = websocket_websys::Transport::default()
                .map(|conn, _| WriteBatching::<_, Microtask>::new(conn))
                .upgrade(Version::V1Lazy)
                .authenticate(noise::Config::new(key)?)
                .multiplex(yamux::Config::default())
                .outbound_timeout(BROWSER_DIAL_TIMEOUT)
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
        .with_swarm_config(swarm_config)
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
        .with_swarm_config(swarm_config)
        .build();
    Ok(swarm)
}
