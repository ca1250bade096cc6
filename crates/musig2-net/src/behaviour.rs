//! The network behaviour of a wallet peer (browser or native), and the configurations of the
//! sub-behaviours that the relay node shares with it.

use std::time::Duration;

use libp2p::identity::{Keypair, PublicKey};
use libp2p::swarm::NetworkBehaviour;
use libp2p::{gossipsub, identify, kad, ping, relay, request_response, PeerId};
use sha2::{Digest, Sha256};

use crate::codec::DirectCodec;
use crate::connection_gate::ConnectionBudget;
use crate::protocol::{DIRECT_PROTOCOL, IDENTIFY_PROTOCOL_VERSION, KAD_PROTOCOL, SESSION_PROTOCOL};

pub use composed::{PeerBehaviour, PeerBehaviourEvent};

mod composed {
    // The derive generates `PeerBehaviourEvent` with one undocumented variant per field;
    // each variant carries the event of the field of the same name.
    #![allow(missing_docs)]
    use super::*;

    /// Everything a wallet peer speaks: relay client, identify, ping, our Kademlia DHT, GossipSub
    /// adverts, the session stream protocol of the signing rounds and a diagnostic
    /// request-response protocol.
    #[derive(NetworkBehaviour)]
    pub struct PeerBehaviour {
        /// Hard connection bounds (per peer, in total, pending incoming); see
        /// [`crate::connection_gate`].
        pub limits: libp2p::connection_limits::Behaviour,
        /// The strangers' pool, which keeps room for relays and co-signers.
        pub gate: crate::connection_gate::Gate,
        /// Circuit relay v2 client: reservations on relays and dials through `/p2p-circuit`.
        pub relay_client: relay::client::Behaviour,
        /// Identify: learns listen addresses and protocols of connected peers.
        pub identify: identify::Behaviour,
        /// Ping: liveness and round-trip times.
        pub ping: ping::Behaviour,
        /// Kademlia DHT of our network (client mode in browsers).
        pub kad: kad::Behaviour<kad::store::MemoryStore>,
        /// GossipSub for signer advertisements.
        pub gossipsub: gossipsub::Behaviour,
        /// Raw direct messages (diagnostics).
        pub direct: request_response::Behaviour<DirectCodec>,
        /// Signed session-protocol envelopes of the signing rounds, on long-lived streams.
        pub session: crate::session_stream::Behaviour,
    }
}

impl PeerBehaviour {
    /// Builds the behaviour for `keypair`, using `relay_client` from the swarm builder, with
    /// the default [`ConnectionBudget`] (see [`PeerBehaviour::set_budget`]).
    ///
    /// # Errors
    /// Fails only if the GossipSub configuration is rejected, which is a bug.
    pub fn new(
        keypair: &Keypair,
        relay_client: relay::client::Behaviour,
    ) -> Result<Self, crate::NetError> {
        let peer_id = keypair.public().to_peer_id();
        let mut kad = kad_behaviour(peer_id, PEER_MAX_RECORDS, kad::StoreInserts::Unfiltered);
        // Browsers cannot accept connections; a relay reservation would otherwise flip
        // Kademlia into server mode and advertise an address nobody can use directly.
        kad.set_mode(Some(kad::Mode::Client));
        let budget = ConnectionBudget::default();
        Ok(Self {
            limits: libp2p::connection_limits::Behaviour::new(budget.limits()),
            gate: crate::connection_gate::Gate::new(budget.max_strangers),
            relay_client,
            identify: identify_behaviour(keypair.public()),
            ping: ping::Behaviour::new(ping::Config::new().with_interval(Duration::from_secs(5))),
            kad,
            gossipsub: gossipsub_behaviour(keypair)?,
            direct: direct_behaviour(DIRECT_PROTOCOL),
            session: crate::session_stream::Behaviour::new(crate::session_stream::Config::new(
                SESSION_PROTOCOL,
                musig2_session::wire::MAX_ENVELOPE_LEN,
            )),
        })
    }
}

impl PeerBehaviour {
    /// Applies `budget` to the connection bounds (before connecting, or at any time: open
    /// connections are kept, new ones are judged by the new bounds).
    pub fn set_budget(&mut self, budget: &ConnectionBudget) {
        *self.limits.limits_mut() = budget.limits();
        self.gate.set_max_strangers(budget.max_strangers);
    }
}

/// Identify with our network's protocol version.
pub fn identify_behaviour(public: PublicKey) -> identify::Behaviour {
    identify::Behaviour::new(identify::Config::new(
        IDENTIFY_PROTOCOL_VERSION.to_string(),
        public,
    ))
}

/// Records a wallet peer keeps in its own Kademlia store (its own announcements and the ones
/// it fetched); the Kademlia default, far above what one wallet publishes.
pub const PEER_MAX_RECORDS: usize = 1024;

/// Kademlia on our own protocol name with an in-memory record store that holds at most
/// `max_records` records of at most one envelope each (`MAX_ENVELOPE_LEN`). `inserts` says
/// whether inbound PUTs are stored by Kademlia itself or handed to the owner to validate
/// first (`StoreInserts::FilterBoth`, as the relay does).
pub fn kad_behaviour(
    peer_id: PeerId,
    max_records: usize,
    inserts: kad::StoreInserts,
) -> kad::Behaviour<kad::store::MemoryStore> {
    kad_behaviour_replicated(peer_id, max_records, inserts, kad::K_VALUE)
}

/// As [`kad_behaviour`], storing each record on the `replication` closest servers (relays
/// choose it with `--replication`; Kademlia's default is 20).
pub fn kad_behaviour_replicated(
    peer_id: PeerId,
    max_records: usize,
    inserts: kad::StoreInserts,
    replication: std::num::NonZeroUsize,
) -> kad::Behaviour<kad::store::MemoryStore> {
    let mut config = kad::Config::new(KAD_PROTOCOL);
    config.set_replication_factor(replication);
    config.set_query_timeout(Duration::from_secs(30));
    config.set_record_filtering(inserts);
    let store_config = kad::store::MemoryStoreConfig {
        max_records,
        // The store refuses values of `max_value_bytes` or more.
        max_value_bytes: musig2_session::wire::MAX_ENVELOPE_LEN + 1,
        ..Default::default()
    };
    let store = kad::store::MemoryStore::with_config(peer_id, store_config);
    kad::Behaviour::with_config(peer_id, store, config)
}

/// GossipSub with signed messages, strict validation, content-addressed message ids and
/// application validation (nothing is forwarded before our validator accepts it).
///
/// # Errors
/// Fails only if the configuration is rejected, which is a bug.
pub fn gossipsub_behaviour(keypair: &Keypair) -> Result<gossipsub::Behaviour, crate::NetError> {
    let config = gossipsub::ConfigBuilder::default()
        .validation_mode(gossipsub::ValidationMode::Strict)
        .validate_messages()
        // The ID covers the topic: one advertisement for several transaction types is the
        // same signed bytes on each type's topic, and an ID of the bytes alone made every
        // publication after the first a duplicate that GossipSub dropped.
        .message_id_fn(|m: &gossipsub::Message| {
            let mut h = Sha256::new();
            h.update(m.topic.as_str().as_bytes());
            h.update([0u8]);
            h.update(&m.data);
            gossipsub::MessageId::from(h.finalize().to_vec())
        })
        .max_transmit_size(16 * 1024)
        .build()
        .map_err(|e| crate::NetError::Config(e.to_string()))?;
    gossipsub::Behaviour::new(
        gossipsub::MessageAuthenticity::Signed(keypair.clone()),
        config,
    )
    .map_err(|e| crate::NetError::Config(e.to_string()))
}

/// A request-response behaviour on `protocol` with bounded sizes and a request timeout.
pub fn direct_behaviour(
    protocol: libp2p::StreamProtocol,
) -> request_response::Behaviour<DirectCodec> {
    request_response::Behaviour::with_codec(
        DirectCodec::default(),
        [(protocol, request_response::ProtocolSupport::Full)],
        request_response::Config::default()
            .with_request_timeout(Duration::from_secs(20))
            .with_max_concurrent_streams(64),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use libp2p::kad::store::RecordStore;

    fn record(i: u32, len: usize) -> kad::Record {
        kad::Record::new(kad::RecordKey::new(&i.to_be_bytes()), vec![7; len])
    }

    #[test]
    fn record_store_holds_max_records_and_refuses_the_next() {
        let peer = PeerId::random();
        let mut kad = kad_behaviour(peer, 1500, kad::StoreInserts::Unfiltered);
        let store = kad.store_mut();
        for i in 0..1500 {
            store.put(record(i, 200)).expect("below the limit");
        }
        assert!(
            store.put(record(1500, 200)).is_err(),
            "record 1,501 must be refused"
        );
        // The Kademlia default (1,024) would have refused record 1,025.
        let mut small = kad_behaviour(peer, PEER_MAX_RECORDS, kad::StoreInserts::Unfiltered);
        let store = small.store_mut();
        for i in 0..1024 {
            store.put(record(i, 200)).expect("below the limit");
        }
        assert!(store.put(record(1024, 200)).is_err());
    }

    #[test]
    fn record_store_takes_a_full_envelope_and_refuses_more() {
        let mut kad = kad_behaviour(PeerId::random(), 4, kad::StoreInserts::Unfiltered);
        let store = kad.store_mut();
        let max = musig2_session::wire::MAX_ENVELOPE_LEN;
        store.put(record(0, max)).expect("one envelope fits");
        assert!(store.put(record(1, max + 1)).is_err());
    }
}
