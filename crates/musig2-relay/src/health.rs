//! `GET /health` on the metrics server: a small JSON document for load balancers, uptime
//! checks and operators, read from the same gauges as `/metrics`.
//!
//! ```json
//! {"status":"ok","peer_id":"12D3Koo…","uptime_secs":42,"reservations_active":3,
//!  "circuits_active":1,"connected_peers":5,"records":17}
//! ```
//!
//! It answers 200 whenever the process serves it: the swarm runs on the same runtime, so a
//! relay that stopped working has stopped answering too.

use std::time::Instant;

use libp2p::PeerId;
use prometheus_client::metrics::gauge::Gauge;

/// The gauges `/health` reports, shared with the Prometheus registry.
#[derive(Debug, Clone, Default)]
pub struct Gauges {
    /// Reservations held now.
    pub reservations_active: Gauge,
    /// Circuits open now.
    pub circuits_active: Gauge,
    /// Peers with at least one connection.
    pub connected_peers: Gauge,
    /// Records in the DHT store.
    pub records: Gauge,
}

/// What `/health` reports.
#[derive(Debug, Clone)]
pub struct Health {
    peer_id: PeerId,
    started: Instant,
    gauges: Gauges,
}

impl Health {
    /// Health of the relay `peer_id`, started now, reading `gauges`.
    pub fn new(peer_id: PeerId, gauges: Gauges) -> Self {
        Self {
            peer_id,
            started: Instant::now(),
            gauges,
        }
    }

    /// The JSON body (one line, no trailing newline).
    pub fn json(&self) -> String {
        let g = &self.gauges;
        format!(
            r#"{{"status":"ok","peer_id":"{}","uptime_secs":{},"reservations_active":{},"circuits_active":{},"connected_peers":{},"records":{}}}"#,
            self.peer_id,
            self.started.elapsed().as_secs(),
            g.reservations_active.get(),
            g.circuits_active.get(),
            g.connected_peers.get(),
            g.records.get(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_reports_the_gauges() {
        let peer = PeerId::random();
        let gauges = Gauges::default();
        let health = Health::new(peer, gauges.clone());
        gauges.reservations_active.set(3);
        gauges.circuits_active.set(1);
        gauges.connected_peers.set(5);
        gauges.records.set(17);
        assert_eq!(
            health.json(),
            format!(
                r#"{{"status":"ok","peer_id":"{peer}","uptime_secs":0,"reservations_active":3,"circuits_active":1,"connected_peers":5,"records":17}}"#
            )
        );
    }
}
