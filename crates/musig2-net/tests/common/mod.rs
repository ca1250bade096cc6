//! Shared harness of the multi-swarm tests: relay processes, native peers with real swarms
//! (each under a [`gate::Gate`]), session parameters and signature checks.
#![allow(dead_code)]

pub mod gate;
pub mod kad_peer;
pub mod relay;

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::channel::mpsc;
use futures::StreamExt;
use musig2_crypto::scheme::{PublicKey, Scheme, SecretKey, Signature, SigningContext, Tweak};
use musig2_net::identity::keypair_from_signing_key;
use musig2_net::libp2p::Multiaddr;
use musig2_net::{Node, NodeConfig, NodeEvent, NodeHandle};
use musig2_session::wire::TweakSpec;
use musig2_session::{Config, ElectionMethod, Event, Machine, SessionParams};

use gate::{spawn_gated, Gate, PauseWhen};

/// Generous bound for anything a loaded 2-core machine should do in a few seconds.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// One native peer of a test network.
pub struct Peer {
    /// Its node.
    pub handle: NodeHandle,
    /// Its gate (pause, resume, kill).
    pub gate: Arc<Gate>,
    /// Its signing public key.
    pub key: [u8; 33],
    /// Its direct listen addresses (with `/p2p/<peer id>`).
    pub listening: Vec<Multiaddr>,
}

/// A set of peers whose events arrive on one channel, tagged with the peer's index.
pub struct Net {
    /// The peers, in start order.
    pub peers: Vec<Peer>,
    /// Every event of every peer: `(peer index, time, event)`.
    pub events: mpsc::UnboundedReceiver<(usize, Instant, NodeEvent)>,
}

/// How peers are started.
pub struct PeerOptions {
    /// Relays each peer uses.
    pub relays: Vec<Multiaddr>,
    /// Direct listen addresses.
    pub listen: Vec<Multiaddr>,
    /// Whether a peer joins every session it discovers.
    pub auto_join: bool,
    /// Session-layer configuration of every peer.
    pub config: Config,
    /// Connection bounds of every peer.
    pub connections: musig2_net::connection_gate::ConnectionBudget,
    /// Relays each peer keeps reservations on, learning more from the DHT (0: only its own).
    pub min_relays: usize,
}

impl PeerOptions {
    /// Peers using `relays`, joining every session, with the default session configuration.
    pub fn through(relays: Vec<Multiaddr>) -> Self {
        Self {
            relays,
            listen: Vec::new(),
            auto_join: true,
            config: Config::default(),
            connections: Default::default(),
            min_relays: 0,
        }
    }
}

/// The signing key of test peer `i` for `scheme` (distinct for every `i`, never zero).
pub fn secret_of(i: u8, scheme: Scheme) -> [u8; 32] {
    let mut secret = [i
        .wrapping_mul(17)
        .wrapping_add(1)
        .wrapping_add(scheme as u8 * 100); 32];
    secret[0] = 1;
    secret
}

/// Starts one peer (index `i`) and waits until every relay accepted its reservation.
pub async fn start_peer(
    i: u8,
    scheme: Scheme,
    opts: &PeerOptions,
    pause_when: PauseWhen,
) -> (Peer, mpsc::UnboundedReceiver<NodeEvent>) {
    let secret = secret_of(i, scheme);
    let sk = SecretKey::from_bytes(&secret).unwrap();
    let key = sk.public_key().to_bytes();
    let now = musig2_net::clock::now_ms();
    let machine = Machine::new(opts.config.clone(), scheme, sk, now, [i; 32]);
    let config = NodeConfig {
        relays: opts.relays.clone(),
        listen: opts.listen.clone(),
        connections: opts.connections,
        min_relays: opts.min_relays,
    };
    let keypair = keypair_from_signing_key(&secret).unwrap();
    let (node, handle, events) = Node::new(keypair, config, Some(machine)).await.unwrap();
    let (gate, mut events) = spawn_gated(node, events, pause_when);
    let mut reserved = 0;
    let mut listening = Vec::new();
    while reserved < opts.relays.len() || listening.len() < opts.listen.len() {
        match tokio::time::timeout(PATIENCE, events.next()).await {
            Ok(Some(NodeEvent::RelayReserved { .. })) => reserved += 1,
            Ok(Some(NodeEvent::Listening { address })) => listening.push(address.with(
                musig2_net::libp2p::multiaddr::Protocol::P2p(handle.peer_id()),
            )),
            Ok(Some(_)) => {}
            Ok(None) => panic!("node stopped"),
            Err(_) => panic!("no relay reservation in time"),
        }
    }
    (
        Peer {
            handle,
            gate,
            key,
            listening,
        },
        events,
    )
}

/// Starts `n` peers (key indices 1..=n); `pause_when(i)` sets when peer `i` pauses itself.
pub async fn start_net(
    scheme: Scheme,
    n: u8,
    opts: &PeerOptions,
    pause_when: impl Fn(usize) -> PauseWhen,
) -> Net {
    start_net_at(scheme, 1, n, opts, pause_when).await
}

/// As [`start_net`], with key indices `first..first + n`.
pub async fn start_net_at(
    scheme: Scheme,
    first: u8,
    n: u8,
    opts: &PeerOptions,
    pause_when: impl Fn(usize) -> PauseWhen,
) -> Net {
    let (tx, rx) = mpsc::unbounded();
    let mut peers = Vec::new();
    for i in 0..n {
        let (peer, mut events) =
            start_peer(first.wrapping_add(i), scheme, opts, pause_when(i.into())).await;
        let tx = tx.clone();
        let handle = peer.handle.clone();
        let auto_join = opts.auto_join;
        let idx = usize::from(i);
        tokio::spawn(async move {
            while let Some(event) = events.next().await {
                if std::env::var("TRACE_EVENTS").is_ok() {
                    eprintln!("[{idx}] {event:?}");
                }
                if let NodeEvent::Session(Event::SessionDiscovered { session_id, .. }) = &event {
                    if auto_join {
                        let id = *session_id;
                        let joined = handle
                            .with_machine(move |m, now, rng| m.join(now, &id, rng))
                            .await;
                        assert!(matches!(joined, Ok(Ok(()))), "join: {joined:?}");
                    }
                }
                if tx.unbounded_send((idx, Instant::now(), event)).is_err() {
                    break;
                }
            }
        });
        peers.push(peer);
    }
    Net { peers, events: rx }
}

/// A gate that never pauses by itself.
pub fn never() -> PauseWhen {
    Box::new(|_| false)
}

/// A gate that pauses right after the poll in which the node's session entered `phase`.
pub fn pause_at(phase: musig2_session::Phase) -> PauseWhen {
    Box::new(
        move |e| matches!(e, NodeEvent::Session(Event::PhaseChanged { phase: p, .. }) if *p == phase),
    )
}

impl Net {
    /// The signing keys of every peer.
    pub fn keys(&self) -> Vec<[u8; 33]> {
        self.peers.iter().map(|p| p.key).collect()
    }

    /// Creates a session on peer `creator` over every peer's key.
    pub async fn create(
        &self,
        creator: usize,
        tweak: TweakSpec,
        election: ElectionMethod,
        message: Vec<u8>,
    ) -> [u8; 32] {
        let params = SessionParams {
            signers: self.keys(),
            message,
            tweak,
            election,
            tx_type: "test".into(),
        };
        self.peers[creator]
            .handle
            .with_machine(move |m, now, rng| m.create_session(now, params, rng))
            .await
            .unwrap()
            .unwrap()
    }

    /// The next event for which `pick` returns something, within [`PATIENCE`].
    pub async fn wait_for<T>(
        &mut self,
        what: &str,
        mut pick: impl FnMut(usize, &NodeEvent) -> Option<T>,
    ) -> (usize, Instant, T) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let next = tokio::time::timeout_at(deadline, self.events.next()).await;
            match next {
                Ok(Some((i, at, event))) => {
                    if let NodeEvent::Session(Event::Failed { reason, .. }) = &event {
                        panic!("peer {i}: session failed: {reason}");
                    }
                    if let Some(t) = pick(i, &event) {
                        return (i, at, t);
                    }
                }
                Ok(None) => panic!("every peer stopped while waiting for {what}"),
                Err(_) => panic!("timed out waiting for {what}"),
            }
        }
    }

    /// Waits until each peer in `who` reported its signature (and, with `completed`, that
    /// every signer confirmed it); returns each one's signature and when it arrived.
    pub async fn signatures(
        &mut self,
        who: &[usize],
        completed: bool,
    ) -> Vec<(usize, Instant, Signature)> {
        let mut sigs: Vec<(usize, Instant, Signature)> = Vec::new();
        let mut done: Vec<usize> = Vec::new();
        while !who
            .iter()
            .all(|i| sigs.iter().any(|s| s.0 == *i) && (!completed || done.contains(i)))
        {
            let (i, at, ev) = self
                .wait_for("signatures", |_, e| match e {
                    NodeEvent::Session(Event::SignatureReady { signature, .. }) => {
                        Some(Some(*signature))
                    }
                    NodeEvent::Session(Event::Completed { .. }) => Some(None),
                    _ => None,
                })
                .await;
            match ev {
                Some(sig) => sigs.push((i, at, sig)),
                None => done.push(i),
            }
        }
        sigs
    }
}

impl Net {
    /// Waits as [`Net::signatures`] does, then checks the signatures with [`assert_valid`]
    /// over every peer's key.
    pub async fn assert_signed(
        &mut self,
        who: &[usize],
        completed: bool,
        scheme: Scheme,
        tweak: TweakSpec,
        message: &[u8],
    ) {
        let sigs = self.signatures(who, completed).await;
        let sigs: Vec<_> = sigs.into_iter().map(|s| s.2).collect();
        assert_valid(scheme, &self.keys(), tweak, message, &sigs);
    }
}

/// Checks that every signature is the same and verifies under the aggregate key of `keys`.
pub fn assert_valid(
    scheme: Scheme,
    keys: &[[u8; 33]],
    tweak: TweakSpec,
    message: &[u8],
    sigs: &[Signature],
) {
    let pks: Vec<PublicKey> = keys
        .iter()
        .map(|k| PublicKey::from_bytes(k).unwrap())
        .collect();
    let tweak = match tweak {
        TweakSpec::None => Tweak::None,
        TweakSpec::Taproot { merkle_root } => Tweak::Taproot { merkle_root },
    };
    let ctx = SigningContext::new(scheme, &pks, tweak).unwrap();
    assert!(!sigs.is_empty());
    for sig in sigs {
        assert_eq!(sig, &sigs[0], "every peer holds the same signature");
        assert!(
            ctx.verify(message, sig),
            "the signature verifies under the aggregate key"
        );
    }
}
