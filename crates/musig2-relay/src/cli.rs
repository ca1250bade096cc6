//! Command-line flags (each also readable from an environment variable).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use libp2p::Multiaddr;

/// Relay node for MuSig2 wallets: circuit relay v2 server, Kademlia DHT server and bootstrap
/// peer, GossipSub router.
#[derive(Debug, Parser)]
#[command(name = "musig2-relay", version)]
pub struct Cli {
    /// Address to listen on; repeat for several. Supported: `/ip4/…/tcp/N`,
    /// `/ip4/…/tcp/N/ws`, `/ip4/…/tcp/N/tls/ws` (needs `--tls-cert`) and
    /// `/ip4/…/udp/N/webrtc-direct`.
    #[arg(
        long = "listen",
        env = "MUSIG2_RELAY_LISTEN",
        value_delimiter = ',',
        default_values_t = default_listen()
    )]
    pub listen: Vec<Multiaddr>,

    /// PEM certificate chain (leaf first) for the relay's own secure WebSocket listener
    /// (`/tls/ws`). Give `--tls-key` with it. Without a `/tls/ws` `--listen` address the relay
    /// then also listens on `/ip4/0.0.0.0/tcp/4443/tls/ws`. Read once at start.
    #[arg(
        long,
        env = "MUSIG2_RELAY_TLS_CERT",
        value_name = "PEM file",
        requires = "tls_key"
    )]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key (PKCS#8, PKCS#1 or SEC1) of `--tls-cert`.
    #[arg(
        long,
        env = "MUSIG2_RELAY_TLS_KEY",
        value_name = "PEM file",
        requires = "tls_cert"
    )]
    pub tls_key: Option<PathBuf>,

    /// DNS name wallets dial the `/tls/ws` listener by (printed as `/dns4/<name>/tcp/<port>/
    /// tls/ws/p2p/<peer id>` and announced); default: the certificate's first DNS name.
    #[arg(long, env = "MUSIG2_RELAY_DNS_NAME", requires = "tls_cert")]
    pub dns_name: Option<String>,

    /// Extra public address to announce (for a relay behind NAT or a proxy); repeatable.
    #[arg(
        long = "announce",
        env = "MUSIG2_RELAY_ANNOUNCE",
        value_delimiter = ','
    )]
    pub announce: Vec<Multiaddr>,

    /// Folder for the persisted identity key and WebRTC certificate (created if missing).
    #[arg(long, env = "MUSIG2_RELAY_DATA_DIR", default_value = ".relay-state")]
    pub data_dir: PathBuf,

    /// Most reservations held at once.
    #[arg(long, env = "MUSIG2_RELAY_MAX_RESERVATIONS", default_value_t = 4096)]
    pub max_reservations: usize,

    /// Session announcements the Kademlia store keeps, each at most one 64 KiB envelope
    /// (so at most 1 GiB at the default); a put beyond this count is refused. Only valid,
    /// unexpired announcements are stored.
    #[arg(long, env = "MUSIG2_RELAY_MAX_RECORDS", default_value_t = 16_384)]
    pub max_records: usize,

    /// Records one author (the signer key that signed the announcement) may have stored at
    /// once, whoever sends them (relays replicate each other's records); a further record of
    /// that author is refused until one of its records expires. The default matches a
    /// wallet's session table (64 sessions). `--max-records-per-peer` is the old name.
    #[arg(
        long,
        alias = "max-records-per-peer",
        env = "MUSIG2_RELAY_MAX_RECORDS_PER_AUTHOR",
        default_value_t = 64
    )]
    pub max_records_per_author: usize,

    /// Most circuits relayed at once.
    #[arg(long, env = "MUSIG2_RELAY_MAX_CIRCUITS", default_value_t = 8192)]
    pub max_circuits: usize,

    /// Most circuits one peer may hold at once.
    #[arg(long, env = "MUSIG2_RELAY_MAX_CIRCUITS_PER_PEER", default_value_t = 64)]
    pub max_circuits_per_peer: usize,

    /// Most circuits relayed to one destination at once, whatever their sources: many
    /// throwaway sources cannot point the relay's whole budget at one wallet. Above a
    /// wallet's strangers' pool (16) plus its co-signers.
    #[arg(
        long,
        env = "MUSIG2_RELAY_MAX_CIRCUITS_PER_DESTINATION",
        default_value_t = 32
    )]
    pub max_circuits_per_destination: usize,

    /// Longest life of one circuit, in seconds (a signing session can wait on humans).
    #[arg(long, env = "MUSIG2_RELAY_CIRCUIT_SECS", default_value_t = 3600)]
    pub circuit_secs: u32,

    /// Most bytes relayed per circuit in each direction.
    #[arg(long, env = "MUSIG2_RELAY_CIRCUIT_BYTES", default_value_t = 16 * 1024 * 1024)]
    pub circuit_bytes: u64,

    /// Reservation requests allowed per IP address per minute (loopback tests need many).
    #[arg(
        long,
        env = "MUSIG2_RELAY_RESERVATIONS_PER_IP_PER_MIN",
        default_value_t = 600
    )]
    pub reservations_per_ip_per_min: u32,

    /// Transaction types whose signer topics (`musig2:signers:<TYPE>`) the relay joins, so that
    /// it validates and forwards their advertisements between peers it connects.
    #[arg(
        long,
        env = "MUSIG2_RELAY_TOPIC_TYPES",
        value_delimiter = ',',
        default_values_t = default_topic_types()
    )]
    pub topic_types: Vec<String>,

    /// Another relay to peer with (`…/p2p/<peer id>`); repeatable. The relay keeps a
    /// connection to each (re-dialling with backoff) and learns further relays through the
    /// DHT, so relays form one Kademlia DHT and one GossipSub mesh.
    #[arg(long = "peer", env = "MUSIG2_RELAY_PEERS", value_delimiter = ',')]
    pub peers: Vec<Multiaddr>,

    /// Kademlia replication factor: how many of the closest relays a record is stored on.
    #[arg(long, env = "MUSIG2_RELAY_REPLICATION", default_value_t = 20)]
    pub replication: usize,

    /// Address of the Prometheus metrics endpoint (`GET /metrics`), e.g. `127.0.0.1:9464`.
    /// Off unless given.
    #[arg(long, env = "MUSIG2_RELAY_METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,

    /// Log filter (tracing `EnvFilter` syntax), e.g. `info` or `musig2_relay=debug`.
    #[arg(long, env = "RUST_LOG", default_value = "info")]
    pub log: String,

    /// Log format.
    #[arg(
        long,
        env = "MUSIG2_RELAY_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    pub log_format: LogFormat,
}

impl Cli {
    /// The addresses to listen on: `--listen`, plus [`crate::tls::DEFAULT_TLS_LISTEN`] when TLS
    /// is configured and none of them is a secure WebSocket address.
    pub fn listen_addresses(&self) -> Vec<Multiaddr> {
        let mut listen = self.listen.clone();
        if self.tls_cert.is_some() && !listen.iter().any(crate::tls::is_secure_ws) {
            listen.extend(crate::tls::DEFAULT_TLS_LISTEN.parse::<Multiaddr>().ok());
        }
        listen
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable text.
    Text,
    /// One JSON object per line.
    Json,
}

fn default_listen() -> Vec<Multiaddr> {
    [
        "/ip4/0.0.0.0/tcp/4001",
        "/ip4/0.0.0.0/tcp/4002/ws",
        "/ip4/0.0.0.0/udp/4003/webrtc-direct",
    ]
    .iter()
    .filter_map(|s| s.parse().ok())
    .collect()
}

fn default_topic_types() -> Vec<String> {
    ["spend", "receive", "swap", "coinjoin"]
        .iter()
        .map(|s| (*s).to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listen(args: &[&str]) -> Vec<String> {
        let cli = Cli::try_parse_from([&["musig2-relay"], args].concat()).unwrap();
        cli.listen_addresses()
            .iter()
            .map(|a| a.to_string())
            .collect()
    }

    #[test]
    fn tls_adds_a_default_secure_listener_only_when_none_is_given() {
        let tls = ["--tls-cert", "c.pem", "--tls-key", "k.pem"];
        let plain = ["--listen", "/ip4/0.0.0.0/tcp/4001"];
        assert_eq!(listen(&plain), ["/ip4/0.0.0.0/tcp/4001"]);
        assert_eq!(
            listen(&[&plain[..], &tls[..]].concat()),
            ["/ip4/0.0.0.0/tcp/4001", crate::tls::DEFAULT_TLS_LISTEN]
        );
        let own = ["--listen", "/ip4/0.0.0.0/tcp/443/tls/ws"];
        assert_eq!(
            listen(&[&own[..], &tls[..]].concat()),
            ["/ip4/0.0.0.0/tcp/443/tls/ws"]
        );
        assert_eq!(listen(&tls).len(), default_listen().len() + 1);
    }
}
