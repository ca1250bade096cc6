//! DHT look-up latency: a raw Kademlia client (a wallet's swarm, no session machine) that
//! enters the DHT through one relay and fetches wallets' route records, timing each from
//! `get_record` to the first record that validates.

use std::time::{Duration, Instant};

use futures::StreamExt;
use musig2_net::behaviour::{PeerBehaviour, PeerBehaviourEvent};
use musig2_net::identity::keypair_from_signing_key;
use musig2_net::libp2p::kad::{self, GetRecordOk, QueryResult, RecordKey};
use musig2_net::libp2p::swarm::SwarmEvent;
use musig2_net::libp2p::{Multiaddr, Swarm};
use musig2_session::route::{route_key, validate_route};

/// Longest wait for one look-up.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(15);

/// A Kademlia client.
pub struct Lookup {
    swarm: Swarm<PeerBehaviour>,
}

impl Lookup {
    /// A client with identity `seed` that knows only `entry`, a relay's address.
    pub async fn enter(seed: [u8; 32], entry: &Multiaddr) -> Self {
        let keypair = keypair_from_signing_key(&seed).expect("a valid key");
        let mut swarm = musig2_net::transport::build_peer_swarm(keypair)
            .await
            .expect("swarm");
        let relay = musig2_net::node::peer_id_of(entry).expect("relay address with /p2p");
        swarm.behaviour_mut().kad.add_address(&relay, entry.clone());
        swarm.dial(entry.clone()).expect("dial the entry relay");
        Self { swarm }
    }

    /// Time until the route record of `key` is found and valid, or `None` when the query
    /// ended (or timed out) without one.
    pub async fn route(&mut self, key: &[u8; 33]) -> Option<Duration> {
        let dht_key = route_key(key);
        let t0 = Instant::now();
        let query = self
            .swarm
            .behaviour_mut()
            .kad
            .get_record(RecordKey::new(&dht_key));
        let found = tokio::time::timeout(LOOKUP_TIMEOUT, async {
            loop {
                let event = self.swarm.select_next_some().await;
                let SwarmEvent::Behaviour(PeerBehaviourEvent::Kad(
                    kad::Event::OutboundQueryProgressed {
                        id, result, step, ..
                    },
                )) = event
                else {
                    continue;
                };
                if id != query {
                    continue;
                }
                if let QueryResult::GetRecord(Ok(GetRecordOk::FoundRecord(r))) = result {
                    let now = musig2_net::clock::now_ms();
                    if validate_route(&dht_key, &r.record.value, now).is_ok_and(|v| v.key == *key) {
                        return Some(t0.elapsed());
                    }
                }
                if step.last {
                    return None;
                }
            }
        })
        .await
        .ok()
        .flatten();
        if let Some(mut q) = self.swarm.behaviour_mut().kad.query_mut(&query) {
            q.finish();
        }
        found
    }
}
