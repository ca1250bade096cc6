//! A raw Kademlia client swarm for tests that PUT and GET records themselves.

use futures::channel::{mpsc, oneshot};
use futures::StreamExt;
use musig2_crypto::scheme::Scheme;
use musig2_net::behaviour::PeerBehaviourEvent;
use musig2_net::identity::keypair_from_signing_key;
use musig2_net::libp2p::kad::{self, GetRecordOk, QueryResult, Record, RecordKey};
use musig2_net::libp2p::swarm::SwarmEvent;
use musig2_net::libp2p::Multiaddr;

use super::{secret_of, PATIENCE};

enum Command {
    Put(Record, oneshot::Sender<()>),
    Get(RecordKey, oneshot::Sender<Option<Vec<u8>>>),
}

/// A raw swarm whose Kademlia client starts from one relay.
pub struct KadPeer {
    commands: mpsc::UnboundedSender<Command>,
}

impl KadPeer {
    pub async fn connect(seed: u8, relay: &Multiaddr) -> Self {
        let keypair = keypair_from_signing_key(&secret_of(seed, Scheme::Bip327)).unwrap();
        let mut swarm = musig2_net::transport::build_peer_swarm(keypair)
            .await
            .unwrap();
        let relay_peer = musig2_net::node::peer_id_of(relay).unwrap();
        swarm
            .behaviour_mut()
            .kad
            .add_address(&relay_peer, relay.clone());
        swarm.dial(relay.clone()).unwrap();
        let (commands, mut rx) = mpsc::unbounded::<Command>();
        tokio::spawn(async move {
            let mut puts = std::collections::HashMap::new();
            let mut gets = std::collections::HashMap::new();
            let mut found: std::collections::HashMap<kad::QueryId, Vec<u8>> =
                std::collections::HashMap::new();
            loop {
                tokio::select! {
                    event = swarm.select_next_some() => {
                        let SwarmEvent::Behaviour(PeerBehaviourEvent::Kad(
                            kad::Event::OutboundQueryProgressed { id, result, step, .. },
                        )) = event else { continue };
                        match result {
                            QueryResult::PutRecord(_) => {
                                if let Some(done) = puts.remove(&id) {
                                    let _: Result<(), ()> = oneshot::Sender::send(done, ());
                                }
                            }
                            QueryResult::GetRecord(Ok(GetRecordOk::FoundRecord(r))) => {
                                found.entry(id).or_insert(r.record.value);
                            }
                            QueryResult::GetRecord(_) => {}
                            _ => continue,
                        }
                        if step.last {
                            if let Some(reply) = gets.remove(&id) {
                                let _ = oneshot::Sender::send(reply, found.remove(&id));
                            }
                        }
                    }
                    command = rx.next() => match command {
                        Some(Command::Put(record, done)) => {
                            let id = swarm.behaviour_mut().kad.put_record(record, kad::Quorum::One).unwrap();
                            puts.insert(id, done);
                        }
                        Some(Command::Get(key, reply)) => {
                            let id = swarm.behaviour_mut().kad.get_record(key);
                            gets.insert(id, reply);
                        }
                        None => break,
                    },
                }
            }
        });
        Self { commands }
    }

    /// PUTs `record` and waits for the relay's answer.
    pub async fn put(&self, record: Record) {
        let (done, rx) = oneshot::channel();
        self.commands
            .unbounded_send(Command::Put(record, done))
            .unwrap();
        tokio::time::timeout(PATIENCE, rx)
            .await
            .expect("put answered in time")
            .unwrap();
    }

    /// The value the relay returns for `key`, if any.
    pub async fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        let (reply, rx) = oneshot::channel();
        self.commands
            .unbounded_send(Command::Get(RecordKey::new(&key), reply))
            .unwrap();
        tokio::time::timeout(PATIENCE, rx)
            .await
            .expect("get answered in time")
            .unwrap()
    }
}
