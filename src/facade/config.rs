//! The client's configuration as passed from JavaScript.

use serde::Deserialize;
use wasm_bindgen::prelude::*;

use super::errors::{js_error, ErrorCode};

#[wasm_bindgen(typescript_custom_section)]
const TS_CONFIG: &str = r#"
/** Configuration of a MuSigClient. Every field is optional except `relays`. */
export interface MuSigClientConfig {
  /** Relay multiaddrs, each ending in /p2p/<peer id> (ws, wss or webrtc-direct with certhash). */
  relays: string[];
  /** How long start() waits for a relay reservation, in ms. Default 15000. */
  connectTimeoutMs?: number;
}
"#;

/// Parsed configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClientConfig {
    /// Relay multiaddrs.
    pub relays: Vec<String>,
    /// How long `start()` waits for a reservation.
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout_ms: u32,
}

fn default_connect_timeout() -> u32 {
    15_000
}

impl ClientConfig {
    /// Reads the configuration object, with a typed error for anything malformed.
    pub fn from_js(value: JsValue) -> Result<(Self, musig2_net::NodeConfig), JsValue> {
        let config: ClientConfig = serde_wasm_bindgen::from_value(value)
            .map_err(|e| js_error(ErrorCode::InvalidArgument, format!("invalid config: {e}")))?;
        if config.relays.is_empty() {
            return Err(js_error(
                ErrorCode::InvalidArgument,
                "config.relays must not be empty",
            ));
        }
        let mut relays = Vec::with_capacity(config.relays.len());
        for r in &config.relays {
            let addr: musig2_net::libp2p::Multiaddr = r.parse().map_err(|e| {
                js_error(
                    ErrorCode::InvalidArgument,
                    format!("invalid relay address {r}: {e}"),
                )
            })?;
            musig2_net::node::peer_id_of(&addr).map_err(super::errors::net_error)?;
            relays.push(addr);
        }
        let node = musig2_net::NodeConfig {
            relays,
            listen: Vec::new(),
        };
        Ok((config, node))
    }
}
