//! Carries the session state machine's decisions onto the swarm and feeds it what arrives:
//! direct envelopes, GossipSub adverts, DHT records and timer expiries. No decision is made
//! here; every accept/reject comes from the machine.

use libp2p::multiaddr::Protocol;
use libp2p::{gossipsub, kad, Multiaddr, PeerId};
use musig2_session::{Destination, Event};

use super::{Node, NodeEvent};
use crate::clock::now_ms;
use crate::identity::peer_id_of_signer;
use crate::session_stream;

/// Most DHT look-ups in flight at once.
const MAX_LOOKUPS: usize = 256;

fn session_peer(peer: &PeerId) -> musig2_session::PeerId {
    musig2_session::PeerId::new(peer.to_bytes())
}

/// Tells the session machine that a signer's envelopes come only from the peer its key
/// derives to (a wallet's peer ID is its signing key), so that forwarded copies are refused.
pub(super) fn bind_peers_to_keys(machine: &mut musig2_session::Machine) {
    machine.bind_peers_to_keys(Box::new(|key| {
        peer_id_of_signer(key).ok().map(|p| session_peer(&p))
    }));
}

impl Node {
    pub(super) fn subscribe(&mut self, topic: &str) {
        let topic = gossipsub::IdentTopic::new(topic);
        if let Err(e) = self.swarm.behaviour_mut().gossipsub.subscribe(&topic) {
            tracing::warn!("cannot subscribe to {topic}: {e}");
        }
    }

    /// Addresses a peer may be reached at: through each of our relays, and through the
    /// relays its route record names, once looked up.
    fn circuit_addresses(&self, peer: PeerId) -> Vec<Multiaddr> {
        let mut addrs: Vec<Multiaddr> = self
            .relays
            .values()
            .map(|r| {
                r.clone()
                    .with(Protocol::P2pCircuit)
                    .with(Protocol::P2p(peer))
            })
            .collect();
        addrs.extend(self.routes.of(&peer, now_ms()));
        addrs
    }

    /// Sends every queued transmit and reports every queued event of the machine.
    pub(super) fn flush_machine(&mut self) {
        let Some(machine) = self.machine.as_mut() else {
            return;
        };
        let mut transmits = Vec::new();
        while let Some(t) = machine.poll_transmit() {
            transmits.push(t);
        }
        let mut events = Vec::new();
        while let Some(e) = machine.poll_event() {
            events.push(e);
        }
        for t in transmits {
            match t.to {
                Destination::Signer(key) => match peer_id_of_signer(&key) {
                    Ok(peer) if peer == *self.swarm.local_peer_id() => {}
                    Ok(peer) => {
                        let addrs = self.circuit_addresses(peer);
                        self.swarm
                            .behaviour_mut()
                            .session
                            .send(peer, t.bytes, addrs);
                    }
                    Err(e) => tracing::warn!("cannot address signer: {e}"),
                },
                Destination::Topic(topic) => {
                    let topic = gossipsub::IdentTopic::new(topic);
                    if let Err(e) = self.swarm.behaviour_mut().gossipsub.publish(topic, t.bytes) {
                        tracing::debug!("advert not published: {e}");
                    }
                }
                Destination::DhtPut(key) => {
                    let record = kad::Record::new(kad::RecordKey::new(&key), t.bytes);
                    if let Err(e) = self
                        .swarm
                        .behaviour_mut()
                        .kad
                        .put_record(record, kad::Quorum::One)
                    {
                        tracing::warn!("DHT put failed: {e}");
                    }
                }
            }
        }
        for event in events {
            match &event {
                Event::PhaseChanged { phase, .. } if self.stop_at == Some(*phase) => {
                    self.stop_now = true;
                }
                Event::SessionLookup { session_id } if self.lookups.len() < MAX_LOOKUPS => {
                    let query = self
                        .swarm
                        .behaviour_mut()
                        .kad
                        .get_record(kad::RecordKey::new(session_id));
                    self.lookups.insert(query, *session_id);
                }
                Event::PhaseChanged { .. }
                | Event::Completed { .. }
                | Event::Aborted { .. }
                | Event::Failed { .. } => self.priority_dirty = true,
                Event::PeerBanned { peer } => {
                    if let Ok(peer) = PeerId::from_bytes(&peer.0) {
                        let _ = self.swarm.disconnect_peer_id(peer);
                    }
                }
                _ => {}
            }
            self.emit(NodeEvent::Session(event));
        }
    }

    /// The last connection to `peer` closed: if it is a signer, the machine stops waiting
    /// for it (a coordinator is failed over at once; protocol.md §5.2).
    pub(super) fn signer_gone(&mut self, peer: PeerId) {
        let (Some(key), Some(machine)) = (super::routes::key_of(&peer), self.machine.as_mut())
        else {
            return;
        };
        machine.signer_unreachable(now_ms(), &key);
    }

    fn feed(&mut self, from: PeerId, bytes: &[u8]) -> bool {
        let Some(machine) = self.machine.as_mut() else {
            return false;
        };
        match machine.handle_message(now_ms(), &session_peer(&from), bytes, &mut self.rng) {
            Ok(()) => true,
            Err(e) => {
                self.emit(NodeEvent::SessionRejected { from, error: e });
                false
            }
        }
    }

    pub(super) fn on_session(&mut self, event: session_stream::Event) {
        match event {
            session_stream::Event::Received { peer, bytes } => {
                self.feed(peer, &bytes);
            }
            session_stream::Event::Lost { peer, frames } => {
                tracing::debug!(%peer, frames, "session messages not delivered");
                self.look_up_route(peer);
            }
            // A stopping node's drain checks `finished()` after every event.
            session_stream::Event::Finished => {}
        }
    }

    pub(super) fn on_gossip(&mut self, event: gossipsub::Event) {
        if let gossipsub::Event::Message {
            propagation_source,
            message_id,
            message,
        } = event
        {
            let author = message.source.unwrap_or(propagation_source);
            let accepted = self.feed(author, &message.data);
            let verdict = if accepted {
                gossipsub::MessageAcceptance::Accept
            } else {
                gossipsub::MessageAcceptance::Reject
            };
            let _ = self
                .swarm
                .behaviour_mut()
                .gossipsub
                .report_message_validation_result(&message_id, &propagation_source, verdict);
        }
    }

    pub(super) fn on_kad(&mut self, event: kad::Event) {
        if let kad::Event::OutboundQueryProgressed {
            id, result, step, ..
        } = event
        {
            let result = match result {
                kad::QueryResult::GetRecord(result) => result,
                kad::QueryResult::GetClosestPeers(result) if self.relay_pool.is_query(&id) => {
                    let peers = match &result {
                        Ok(ok) => &ok.peers,
                        Err(kad::GetClosestPeersError::Timeout { peers, .. }) => peers,
                    };
                    self.on_relay_search(step.last, peers);
                    return;
                }
                _ => return,
            };
            let value = match &result {
                Ok(kad::GetRecordOk::FoundRecord(found)) => Some(found.record.value.as_slice()),
                _ => None,
            };
            if self.inbox.is_query(&id) {
                self.on_inbox_result(step.last, value);
                return;
            }
            if self.routes.is_lookup(&id) {
                self.on_route_result(id, step.last, value);
                return;
            }
            if step.last {
                self.lookups.remove(&id);
            }
            if let Ok(kad::GetRecordOk::FoundRecord(found)) = result {
                if let Some(machine) = self.machine.as_mut() {
                    if let Err(e) = machine.handle_dht_record(now_ms(), &found.record.value) {
                        tracing::debug!("DHT record rejected: {e}");
                    }
                }
            }
        }
    }
}
