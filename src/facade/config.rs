//! The client's configuration as passed from JavaScript.

use musig2_crypto::scheme::{Scheme, SecretKey};
use serde::Deserialize;
use wasm_bindgen::prelude::*;
use zeroize::Zeroize;

use super::errors::{js_error, ErrorCode};

#[wasm_bindgen(typescript_custom_section)]
const TS_CONFIG: &str = r#"
/** Configuration of a MuSigClient. Every field is optional except `relays`. */
export interface MuSigClientConfig {
  /** Relay multiaddrs, each ending in /p2p/<peer id> (ws, wss or webrtc-direct with certhash). */
  relays: string[];
  /** How many relays to keep reservations on: when fewer are given (or some are down), the
   *  client learns others from the network (the relays' DHT) and uses them, so losing one
   *  relay does not make it unreachable. Default 2 (used when that many are known); 0 uses
   *  only the given relays. `relayReserved` and `relayLost` say which relays it holds. */
  minRelays?: number;
  /** How long start() waits for a relay reservation, in ms. Default 15000. */
  connectTimeoutMs?: number;
  /** The wallet's 32-byte secp256k1 signing key; a new random key when omitted. It is moved
   *  into wasm memory, never persisted, and also becomes the peer's libp2p identity. */
  secretKey?: Uint8Array;
  /** The MuSig2 scheme of this wallet's sessions. Default "bip327". */
  scheme?: SchemeName;
  /** Keep session progress and peer reputation (public data only) in IndexedDB, and resume
   *  unfinished sessions and restore reputation after a reload. Default true; ignored where
   *  IndexedDB is missing. */
  persist?: boolean;
  /** Resolves advertised identity claims to tiers (e.g. by a chain look-up), so verified
   *  signers may advertise more keys. Without it every advertised key is "unverified". */
  identityVerifier?: IdentityVerifier;
}
"#;

/// Parsed configuration.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClientConfig {
    /// Relay multiaddrs.
    pub relays: Vec<String>,
    /// Relays to keep reservations on (learning more from the DHT).
    #[serde(default = "default_min_relays")]
    pub min_relays: u32,
    /// How long `start()` waits for a reservation.
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout_ms: u32,
    /// The signing key (taken out and zeroized by `from_js`).
    #[serde(default)]
    secret_key: Option<serde_bytes::ByteBuf>,
    /// The scheme name.
    #[serde(default = "default_scheme")]
    pub scheme: String,
    /// Whether session progress and peer reputation are persisted in IndexedDB.
    #[serde(default = "default_persist")]
    pub persist: bool,
}

fn default_min_relays() -> u32 {
    musig2_net::DEFAULT_MIN_RELAYS as u32
}

fn default_persist() -> bool {
    true
}

fn default_scheme() -> String {
    "bip327".into()
}

fn default_connect_timeout() -> u32 {
    15_000
}

impl ClientConfig {
    /// The configured scheme.
    pub fn scheme(&self) -> Result<Scheme, JsValue> {
        super::crypto_api::parse_scheme(&self.scheme)
    }

    /// Reads the configuration object, with a typed error for anything malformed. The
    /// secret key is returned apart and its bytes in the parsed object are zeroized.
    pub fn from_js(
        value: JsValue,
    ) -> Result<(Self, musig2_net::NodeConfig, Option<SecretKey>), JsValue> {
        let mut config: ClientConfig = serde_wasm_bindgen::from_value(value)
            .map_err(|e| js_error(ErrorCode::InvalidArgument, format!("invalid config: {e}")))?;
        config.scheme()?;
        let secret_key = match config.secret_key.take() {
            Some(bytes) => {
                let mut raw = bytes.into_vec();
                let sk = SecretKey::from_bytes(&raw);
                raw.zeroize();
                Some(sk.map_err(|e| {
                    js_error(
                        ErrorCode::InvalidArgument,
                        format!("invalid secretKey: {e}"),
                    )
                })?)
            }
            None => None,
        };
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
            min_relays: usize::try_from(config.min_relays).unwrap_or(usize::MAX),
            ..Default::default()
        };
        Ok((config, node, secret_key))
    }
}
