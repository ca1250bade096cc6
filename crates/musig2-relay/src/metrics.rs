//! Prometheus metrics: libp2p's own (swarm, relay, Kademlia, GossipSub, identify, ping) plus
//! the relay's counters and gauges, served as text on `GET /metrics` by a tiny HTTP server,
//! which also answers `GET /health` ([`crate::health`]).

use std::net::SocketAddr;
use std::sync::Arc;

use libp2p::metrics::{Metrics as Libp2pMetrics, Recorder};
use libp2p::swarm::SwarmEvent;
use libp2p::{gossipsub, relay};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::behaviour::RelayBehaviourEvent;
use crate::health::{Gauges, Health};
use crate::records::{Admitted, Refusal};
use crate::relay_events::ActiveReservations;

/// Largest HTTP request head read, in bytes.
const MAX_REQUEST_BYTES: usize = 8 * 1024;

/// Every metric the relay records.
pub struct Metrics {
    libp2p: Libp2pMetrics,
    reservations: Counter,
    reservations_renewed: Counter,
    circuits: Counter,
    circuits_closed: Counter,
    circuits_refused_destination_cap: Counter,
    gauges: Gauges,
    active_reservations: ActiveReservations,
    adverts_accepted: Counter,
    adverts_rejected: Counter,
    records_stored: Counter,
    records_invalid: Counter,
    records_over_quota: Counter,
    records_store_full: Counter,
}

impl Metrics {
    /// Registers every metric in `registry`.
    pub fn new(registry: &mut Registry) -> Self {
        let libp2p = Libp2pMetrics::new(registry);
        let ours = registry.sub_registry_with_prefix("musig2_relay");
        let counter = |reg: &mut Registry, name: &str, help: &str| {
            let c = Counter::default();
            reg.register(name, help, c.clone());
            c
        };
        let reservations = counter(ours, "reservations", "Reservations accepted (new)");
        let reservations_renewed = counter(
            ours,
            "reservations_renewed",
            "Reservations renewed by a peer holding one",
        );
        let circuits = counter(ours, "circuits", "Circuits opened between two peers");
        let circuits_closed = counter(ours, "circuits_closed", "Circuits closed");
        let circuits_refused_destination_cap = counter(
            ours,
            "circuits_refused_destination_cap",
            "Circuit requests refused because their destination had its most circuits",
        );
        let adverts_accepted = counter(
            ours,
            "adverts_accepted",
            "Signer advertisements validated and forwarded",
        );
        let adverts_rejected = counter(
            ours,
            "adverts_rejected",
            "GossipSub messages rejected (not forwarded)",
        );
        let records_stored = counter(
            ours,
            "dht_records_stored",
            "DHT PUTs stored (new key, or replacing an earlier-expiring record)",
        );
        let records_invalid = counter(
            ours,
            "dht_records_invalid",
            "DHT PUTs refused: not a valid session announcement for their key",
        );
        let records_over_quota = counter(
            ours,
            "dht_records_over_quota",
            "DHT PUTs refused: the record's author holds --max-records-per-author records",
        );
        let records_store_full = counter(
            ours,
            "dht_records_store_full",
            "DHT PUTs refused: the store holds --max-records records",
        );
        let gauges = Gauges::default();
        let gauge = |reg: &mut Registry, name: &str, help: &str, g: &Gauge| {
            reg.register(name, help, g.clone());
        };
        gauge(
            ours,
            "dht_records",
            "Records in the DHT store (announcements, route and inbox records)",
            &gauges.records,
        );
        gauge(
            ours,
            "connected_peers",
            "Peers with at least one connection",
            &gauges.connected_peers,
        );
        gauge(
            ours,
            "reservations_active",
            "Reservations held now",
            &gauges.reservations_active,
        );
        gauge(
            ours,
            "circuits_active",
            "Circuits open now",
            &gauges.circuits_active,
        );
        Self {
            libp2p,
            reservations,
            reservations_renewed,
            circuits,
            circuits_closed,
            circuits_refused_destination_cap,
            gauges,
            active_reservations: ActiveReservations::default(),
            adverts_accepted,
            adverts_rejected,
            records_stored,
            records_invalid,
            records_over_quota,
            records_store_full,
        }
    }

    /// What `/health` reports for the relay `peer_id`, from these metrics' gauges.
    pub fn health(&self, peer_id: libp2p::PeerId) -> Health {
        Health::new(peer_id, self.gauges.clone())
    }

    /// Sets the number of records in the DHT store.
    pub fn set_records(&self, stored: usize) {
        self.gauges
            .records
            .set(i64::try_from(stored).unwrap_or(i64::MAX));
    }

    /// Records a swarm event (and the behaviour event inside it).
    pub fn record(&mut self, event: &SwarmEvent<RelayBehaviourEvent>) {
        self.libp2p.record(event);
        match event {
            SwarmEvent::ConnectionEstablished {
                num_established, ..
            } if num_established.get() == 1 => {
                self.gauges.connected_peers.inc();
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established,
                ..
            } => {
                if *num_established == 0 {
                    self.gauges.connected_peers.dec();
                }
                let remaining = usize::try_from(*num_established).unwrap_or(usize::MAX);
                self.active_reservations
                    .on_connection_closed(*peer_id, remaining);
                self.set_reservations();
            }
            SwarmEvent::Behaviour(event) => self.record_behaviour(event),
            _ => {}
        }
    }

    fn set_reservations(&self) {
        let total = self.active_reservations.total();
        self.gauges
            .reservations_active
            .set(i64::try_from(total).unwrap_or(i64::MAX));
    }

    fn record_behaviour(&mut self, event: &RelayBehaviourEvent) {
        match event {
            RelayBehaviourEvent::Relay(e) => {
                self.libp2p.record(e);
                self.active_reservations.on_relay_event(e);
                self.set_reservations();
                match e {
                    relay::Event::ReservationReqAccepted { renewed: false, .. } => {
                        self.reservations.inc();
                    }
                    relay::Event::ReservationReqAccepted { renewed: true, .. } => {
                        self.reservations_renewed.inc();
                    }
                    relay::Event::CircuitReqAccepted { .. } => {
                        self.circuits.inc();
                        self.gauges.circuits_active.inc();
                    }
                    relay::Event::CircuitClosed { .. } => {
                        self.circuits_closed.inc();
                        self.gauges.circuits_active.dec();
                    }
                    _ => {}
                }
            }
            RelayBehaviourEvent::Kad(e) => self.libp2p.record(e),
            RelayBehaviourEvent::Gossipsub(e) => self.record_gossip(e),
            RelayBehaviourEvent::Identify(e) => self.libp2p.record(e),
            RelayBehaviourEvent::Ping(e) => self.libp2p.record(e),
        }
    }

    fn record_gossip(&self, event: &gossipsub::Event) {
        self.libp2p.record(event);
    }

    /// Counts circuit requests refused by the per-destination cap.
    pub fn record_destination_cap(&self, refused: u64) {
        if refused > 0 {
            self.circuits_refused_destination_cap.inc_by(refused);
        }
    }

    /// Counts one validation verdict on a GossipSub message.
    pub fn record_verdict(&self, accepted: bool) {
        if accepted {
            self.adverts_accepted.inc();
        } else {
            self.adverts_rejected.inc();
        }
    }
}

impl Metrics {
    /// Counts one decision on an inbound DHT PUT and sets the number of stored records.
    pub fn record_put(&self, outcome: &Result<Admitted, Refusal>, stored: usize) {
        match outcome {
            Ok(Admitted::Stored | Admitted::Replaced) => self.records_stored.inc(),
            Ok(Admitted::Kept) => 0,
            Err(Refusal::Invalid(_)) => self.records_invalid.inc(),
            Err(Refusal::AuthorQuota) => self.records_over_quota.inc(),
            Err(Refusal::StoreFull) => self.records_store_full.inc(),
        };
        self.set_records(stored);
    }
}

/// Serves `GET /metrics` from `registry` and `GET /health` from `health` on `addr` until the
/// process exits. Returns the bound address (useful with port 0).
///
/// # Errors
/// The OS error when `addr` cannot be bound.
pub async fn serve(
    addr: SocketAddr,
    registry: Arc<Registry>,
    health: Health,
) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    let registry = registry.clone();
                    let health = health.clone();
                    tokio::spawn(async move {
                        if let Err(e) = answer(stream, &registry, &health).await {
                            tracing::debug!("metrics request failed: {e}");
                        }
                    });
                }
                Err(e) => tracing::warn!("metrics listener: {e}"),
            }
        }
    });
    Ok(local)
}

/// Answers one HTTP/1.x request and closes the connection.
async fn answer(
    mut stream: TcpStream,
    registry: &Registry,
    health: &Health,
) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_REQUEST_BYTES {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(buf.get(..n).unwrap_or_default());
    }
    let request_line = String::from_utf8_lossy(&head);
    let mut parts = request_line.split_whitespace();
    let (status, content_type, body) = match (parts.next(), parts.next()) {
        (Some("GET"), Some("/metrics")) => {
            let mut body = String::new();
            match prometheus_client::encoding::text::encode(&mut body, registry) {
                Ok(()) => (
                    "200 OK",
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                    body,
                ),
                Err(_) => (
                    "500 Internal Server Error",
                    "text/plain",
                    "encoding failed\n".into(),
                ),
            }
        }
        (Some("GET"), Some("/health")) => {
            ("200 OK", "application/json", format!("{}\n", health.json()))
        }
        (Some("GET"), Some(_)) => ("404 Not Found", "text/plain", "not found\n".into()),
        _ => (
            "405 Method Not Allowed",
            "text/plain",
            "only GET is served\n".into(),
        ),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}
