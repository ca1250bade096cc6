//! The relay node's network behaviour.

use std::num::NonZeroU32;
use std::time::Duration;

use libp2p::identity::Keypair;
use libp2p::{gossipsub, identify, kad, ping, relay};
use musig2_net::behaviour::{gossipsub_behaviour, identify_behaviour, kad_behaviour_replicated};

use crate::cli::Cli;

pub use composed::{RelayBehaviour, RelayBehaviourEvent};

mod composed {
    // The derive generates `RelayBehaviourEvent` with one undocumented variant per field;
    // each variant carries the event of the field of the same name.
    #![allow(missing_docs)]
    use super::*;

    /// Relay server, DHT server and bootstrap, GossipSub router, identify and ping.
    #[derive(libp2p::swarm::NetworkBehaviour)]
    pub struct RelayBehaviour {
        /// Circuit relay v2 server with limits sized for signing sessions, and a cap of
        /// circuits per destination ([`crate::dst_cap`]).
        pub relay: crate::dst_cap::DstCap,
        /// Kademlia in server mode: the bootstrap peer and record store of the network.
        pub kad: kad::Behaviour<kad::store::MemoryStore>,
        /// GossipSub router for signer advertisements.
        pub gossipsub: gossipsub::Behaviour,
        /// Identify: tells peers our addresses and learns theirs.
        pub identify: identify::Behaviour,
        /// Ping: keeps connections alive and measures liveness.
        pub ping: ping::Behaviour,
    }
}

/// Relay limits from the command line. The libp2p defaults (2 minutes, 128 KiB per circuit,
/// 16 circuits) would cut signing sessions short.
pub fn relay_config(cli: &Cli) -> relay::Config {
    let per_ip = NonZeroU32::new(cli.reservations_per_ip_per_min.max(1)).unwrap_or(NonZeroU32::MIN);
    let mut config = relay::Config {
        max_reservations: cli.max_reservations,
        max_reservations_per_peer: 4,
        reservation_duration: Duration::from_secs(3600),
        max_circuits: cli.max_circuits,
        max_circuits_per_peer: cli.max_circuits_per_peer,
        max_circuit_duration: Duration::from_secs(u64::from(cli.circuit_secs)),
        max_circuit_bytes: cli.circuit_bytes,
        reservation_rate_limiters: Vec::new(),
        circuit_src_rate_limiters: Vec::new(),
    };
    config = config
        .reservation_rate_per_peer(
            NonZeroU32::new(30).unwrap_or(NonZeroU32::MIN),
            Duration::from_secs(60),
        )
        .reservation_rate_per_ip(per_ip, Duration::from_secs(60))
        .circuit_src_per_peer(
            NonZeroU32::new(600).unwrap_or(NonZeroU32::MIN),
            Duration::from_secs(60),
        )
        .circuit_src_per_ip(
            per_ip.saturating_mul(NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN)),
            Duration::from_secs(60),
        );
    config
}

impl RelayBehaviour {
    /// Builds the relay behaviour.
    ///
    /// # Errors
    /// Fails only if the GossipSub configuration is rejected, which is a bug.
    pub fn new(keypair: &Keypair, cli: &Cli) -> Result<Self, musig2_net::NetError> {
        let peer_id = keypair.public().to_peer_id();
        // Inbound PUTs are handed to the relay, which validates them first (`crate::records`).
        let replication =
            std::num::NonZeroUsize::new(cli.replication).unwrap_or(libp2p::kad::K_VALUE);
        let mut kad = kad_behaviour_replicated(
            peer_id,
            cli.max_records,
            kad::StoreInserts::FilterBoth,
            replication,
        );
        kad.set_mode(Some(kad::Mode::Server));
        Ok(Self {
            relay: crate::dst_cap::DstCap::new(
                relay::Behaviour::new(peer_id, relay_config(cli)),
                cli.max_circuits_per_destination,
            ),
            kad,
            gossipsub: gossipsub_behaviour(keypair)?,
            identify: identify_behaviour(keypair.public()),
            ping: ping::Behaviour::new(ping::Config::new().with_interval(Duration::from_secs(15))),
        })
    }
}
