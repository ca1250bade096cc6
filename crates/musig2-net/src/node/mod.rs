//! The node driver: owns the swarm, carries out commands, reports events. It makes no
//! protocol decisions; it only moves bytes and reports what the network did.

use std::collections::{HashMap, HashSet};

use futures::channel::{mpsc, oneshot};
use futures::{FutureExt, SinkExt, StreamExt};
use libp2p::multiaddr::Protocol;
use libp2p::request_response::{self, OutboundRequestId};
use libp2p::swarm::SwarmEvent;
use libp2p::{identity::Keypair, relay, Multiaddr, PeerId, Swarm};
use sha2::{Digest, Sha256};

use crate::behaviour::{PeerBehaviour, PeerBehaviourEvent};
use crate::connection_gate::{ConnectionBudget, ConnectionStats};
use crate::NetError;

mod deadline;
mod inbox;
mod outbox;
mod priority;
mod relay_pool;
mod relays;
mod routes;
mod session_io;

pub use musig2_session::Machine;
pub use rand_core::OsRng;

/// Bound of the command queue from handles to the driver.
const COMMAND_QUEUE: usize = 64;
/// Longest wait of a stopping node for its last session messages to leave and its
/// connections to close.
const DRAIN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);
/// Bound of the event queue from the driver to its owner. No event is dropped when it is
/// full: further events wait in the driver, and while this many wait the driver stops
/// reading the network until the owner catches up (backpressure). An owner must therefore
/// keep reading its events; commands and timers are served meanwhile.
pub const EVENT_QUEUE: usize = 256;

/// Configuration of a wallet peer's node.
#[derive(Debug, Clone, Default)]
pub struct NodeConfig {
    /// Relays to connect to and reserve a circuit slot on; each must end in `/p2p/<peer id>`.
    pub relays: Vec<Multiaddr>,
    /// Addresses to listen on directly (native peers only; browsers cannot listen).
    pub listen: Vec<Multiaddr>,
    /// Connection bounds, with room kept for relays and co-signers.
    pub connections: ConnectionBudget,
    /// Relays to hold reservations on: when fewer are configured (or some are down), more are
    /// learnt from the DHT and used ([`DEFAULT_MIN_RELAYS`] is the usual choice; 0 uses only
    /// the configured relays).
    pub min_relays: usize,
}

/// The usual number of relays a wallet holds reservations on (when that many are known).
pub const DEFAULT_MIN_RELAYS: usize = 2;

/// What the network did, reported to the node's owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeEvent {
    /// A direct listen address is active.
    Listening {
        /// The address.
        address: Multiaddr,
    },
    /// A relay that held our reservation is gone (its connection closed); a configured relay
    /// is dialled again, a learnt one is replaced by another.
    RelayLost {
        /// The relay's peer ID.
        relay: PeerId,
    },
    /// A connection to a relay is up.
    RelayConnected {
        /// The relay's peer ID.
        relay: PeerId,
    },
    /// The relay accepted our reservation; other peers can reach us at `circuit_address`.
    RelayReserved {
        /// The relay's peer ID.
        relay: PeerId,
        /// Our address through this relay (`…/p2p/<relay>/p2p-circuit/p2p/<us>`).
        circuit_address: Multiaddr,
    },
    /// Dialing a relay failed.
    RelayUnreachable {
        /// The relay's address.
        address: Multiaddr,
        /// Why.
        reason: String,
    },
    /// A connection to a peer is up (the first one).
    PeerConnected {
        /// The peer.
        peer: PeerId,
    },
    /// The last connection to a peer closed.
    PeerDisconnected {
        /// The peer.
        peer: PeerId,
    },
    /// A direct message arrived. Its receipt (SHA-256 of the bytes) was already sent back.
    DirectMessage {
        /// The sender, authenticated by the Noise handshake.
        from: PeerId,
        /// The bytes, exactly as sent.
        data: Vec<u8>,
    },
    /// The session state machine reported something.
    Session(musig2_session::Event),
    /// A session-protocol message from a peer was rejected (the peer was penalized if the
    /// error names an offence).
    SessionRejected {
        /// The sending peer.
        from: PeerId,
        /// Why: [`musig2_session::Error::code`] gives a stable code and
        /// [`musig2_session::Error::culprit`] the blamed signer, if any.
        error: musig2_session::Error,
    },
}

/// Work to run on the node's session state machine, with the current time and the node's
/// random source.
type MachineTask = Box<dyn FnOnce(&mut Machine, u64, &mut OsRng) + Send>;

enum Command {
    SendDirect {
        target: Multiaddr,
        data: Vec<u8>,
        reply: oneshot::Sender<Result<[u8; 32], NetError>>,
    },
    SendSessionRaw {
        target: Multiaddr,
        data: Vec<u8>,
    },
    WithMachine(MachineTask),
    Subscribe(String),
    StopAtPhase(musig2_session::Phase, bool),
    ConnectionStats(oneshot::Sender<ConnectionStats>),
    Shutdown,
}

/// A cheap, cloneable handle to a running [`Node`].
#[derive(Clone)]
pub struct NodeHandle {
    peer_id: PeerId,
    commands: mpsc::Sender<Command>,
}

impl NodeHandle {
    /// This node's peer ID.
    pub fn peer_id(&self) -> PeerId {
        self.peer_id
    }

    /// Sends `data` to the peer at `target` (a multiaddr ending in `/p2p/<peer id>`, usually a
    /// circuit address) and waits for its receipt. Resolves once the receiver has the bytes.
    ///
    /// # Errors
    /// [`NetError::Address`] for an address without a peer ID, [`NetError::Delivery`] if the
    /// message was not delivered or the receipt does not match, [`NetError::Stopped`] if the
    /// node stopped.
    pub async fn send_direct(&self, target: Multiaddr, data: Vec<u8>) -> Result<(), NetError> {
        let expected: [u8; 32] = Sha256::digest(&data).into();
        let (reply, rx) = oneshot::channel();
        self.commands
            .clone()
            .send(Command::SendDirect {
                target,
                data,
                reply,
            })
            .await
            .map_err(|_| NetError::Stopped)?;
        let receipt = rx.await.map_err(|_| NetError::Stopped)??;
        if receipt != expected {
            return Err(NetError::Delivery(
                "receipt does not match the bytes sent".into(),
            ));
        }
        Ok(())
    }

    /// Sends `data` unchecked on the session protocol to the peer at `target`, without
    /// waiting for a receipt: a diagnostic for interoperability and robustness tests (the
    /// receiver's session machine verifies and judges whatever arrives).
    ///
    /// # Errors
    /// [`NetError::Stopped`] if the node stopped.
    pub async fn send_session_raw(&self, target: Multiaddr, data: Vec<u8>) -> Result<(), NetError> {
        self.commands
            .clone()
            .send(Command::SendSessionRaw { target, data })
            .await
            .map_err(|_| NetError::Stopped)
    }

    /// Runs `task` on the node's session state machine (then carries out whatever it queued)
    /// and returns its result.
    ///
    /// # Errors
    /// [`NetError::Stopped`] if the node stopped, [`NetError::Config`] if it has no machine.
    pub async fn with_machine<R: Send + 'static>(
        &self,
        task: impl FnOnce(&mut Machine, u64, &mut OsRng) -> R + Send + 'static,
    ) -> Result<R, NetError> {
        let (reply, rx) = oneshot::channel();
        let boxed: MachineTask = Box::new(move |m, now, rng| {
            let _ = reply.send(task(m, now, rng));
        });
        self.commands
            .clone()
            .send(Command::WithMachine(boxed))
            .await
            .map_err(|_| NetError::Stopped)?;
        rx.await
            .map_err(|_| NetError::Config("this node has no session machine".into()))
    }

    /// Fault injection for tests: the node stops (as by [`NodeHandle::shutdown`]) in the same
    /// driver turn in which its session machine first enters `phase` in any session: the
    /// messages of that turn are sent, nothing received after them is processed. A test can
    /// so stop a coordinator right after its round-2 share, before it could aggregate.
    ///
    /// # Errors
    /// [`NetError::Stopped`] if the node stopped.
    pub async fn stop_at_phase(&self, phase: musig2_session::Phase) -> Result<(), NetError> {
        self.commands
            .clone()
            .send(Command::StopAtPhase(phase, false))
            .await
            .map_err(|_| NetError::Stopped)
    }

    /// Fault injection for tests, as [`NodeHandle::stop_at_phase`] but the node *freezes*
    /// instead of stopping, like a process stopped with SIGSTOP or a tab whose page hangs:
    /// once the messages of that turn are read by their receivers, nothing is processed or
    /// sent any more (no heartbeat, no ping answered), yet its connections stay open, so
    /// its co-signers can only notice the silence (the liveness timeout), not a closed
    /// connection. The node never ends; drop its runtime or page to end it.
    ///
    /// # Errors
    /// [`NetError::Stopped`] if the node stopped.
    pub async fn freeze_at_phase(&self, phase: musig2_session::Phase) -> Result<(), NetError> {
        self.commands
            .clone()
            .send(Command::StopAtPhase(phase, true))
            .await
            .map_err(|_| NetError::Stopped)
    }

    /// Current connection counts (strangers, relays and co-signers, evictions).
    ///
    /// # Errors
    /// [`NetError::Stopped`] if the node stopped.
    pub async fn connection_stats(&self) -> Result<ConnectionStats, NetError> {
        let (reply, rx) = oneshot::channel();
        self.commands
            .clone()
            .send(Command::ConnectionStats(reply))
            .await
            .map_err(|_| NetError::Stopped)?;
        rx.await.map_err(|_| NetError::Stopped)
    }

    /// Subscribes to a GossipSub topic (for example `musig2:signers:<TYPE>`) so that
    /// advertisements on it reach this node's session machine.
    ///
    /// # Errors
    /// [`NetError::Stopped`] if the node stopped.
    pub async fn subscribe(&self, topic: String) -> Result<(), NetError> {
        self.commands
            .clone()
            .send(Command::Subscribe(topic))
            .await
            .map_err(|_| NetError::Stopped)
    }

    /// Asks the node to stop: its session state (secret nonces included) is dropped at once,
    /// session messages already sent get up to 3 s to leave and the connections to close, then
    /// `run` completes.
    pub async fn shutdown(&self) {
        let _ = self.commands.clone().send(Command::Shutdown).await;
    }
}

/// The driver. Create with [`Node::new`], then spawn [`Node::run`] on the platform's executor.
pub struct Node {
    swarm: Swarm<PeerBehaviour>,
    commands: mpsc::Receiver<Command>,
    events: outbox::Outbox,
    relays: HashMap<PeerId, Multiaddr>,
    reserving: HashSet<PeerId>,
    pending: HashMap<OutboundRequestId, oneshot::Sender<Result<[u8; 32], NetError>>>,
    machine: Option<Machine>,
    rng: OsRng,
    lookups: HashMap<libp2p::kad::QueryId, [u8; 32]>,
    /// Re-dial schedule of relays whose connection dropped.
    redial: relays::Redial,
    /// Fires at the session machine's next deadline.
    session_timer: deadline::DeadlineTimer,
    /// Fires at the next relay re-dial.
    redial_timer: deadline::DeadlineTimer,
    /// The phase at which to stop ([`NodeHandle::stop_at_phase`]).
    stop_at: Option<musig2_session::Phase>,
    /// Freeze instead of stopping at `stop_at` ([`NodeHandle::freeze_at_phase`]).
    freeze: bool,
    /// The machine entered `stop_at`: stop after this turn.
    stop_now: bool,
    /// Sessions may have started or ended: recompute the gate's priority peers.
    priority_dirty: bool,
    /// Peer IDs of signer keys.
    peer_ids: priority::PeerIdCache,
    /// Our circuit address through each relay holding our reservation.
    circuits: HashMap<PeerId, Multiaddr>,
    /// Signers' routes from the DHT.
    routes: routes::Routes,
    /// The read of our inbox record in flight.
    inbox: inbox::InboxReader,
    /// Relays learnt from the DHT for redundancy.
    relay_pool: relay_pool::RelayPool,
}

/// Extracts the peer ID that a multiaddr ends with.
///
/// # Errors
/// [`NetError::Address`] when the last component is not `/p2p/<peer id>`.
pub fn peer_id_of(addr: &Multiaddr) -> Result<PeerId, NetError> {
    match addr.iter().last() {
        Some(Protocol::P2p(peer)) => Ok(peer),
        _ => Err(NetError::Address(format!(
            "{addr} does not end in /p2p/<peer id>"
        ))),
    }
}

impl Node {
    /// Builds the swarm and the handle; nothing happens until [`Node::run`] is polled.
    ///
    /// # Errors
    /// [`NetError::Address`] for a relay address without a peer ID, [`NetError::Transport`]
    /// when the platform's transports cannot be built.
    pub async fn new(
        keypair: Keypair,
        config: NodeConfig,
        machine: Option<Machine>,
    ) -> Result<(Self, NodeHandle, mpsc::Receiver<NodeEvent>), NetError> {
        let mut relays = HashMap::new();
        for addr in &config.relays {
            relays.insert(peer_id_of(addr)?, addr.clone());
        }
        let peer_id = keypair.public().to_peer_id();
        let mut swarm = crate::transport::build_peer_swarm(keypair).await?;
        swarm.behaviour_mut().set_budget(&config.connections);
        for (peer, addr) in &relays {
            swarm.behaviour_mut().kad.add_address(peer, addr.clone());
        }
        for addr in config.listen {
            swarm
                .listen_on(addr.clone())
                .map_err(|e| NetError::Dial(format!("{addr}: {e}")))?;
        }
        let (cmd_tx, cmd_rx) = mpsc::channel(COMMAND_QUEUE);
        let (ev_tx, ev_rx) = mpsc::channel(EVENT_QUEUE);
        let mut machine = machine;
        if let Some(m) = machine.as_mut() {
            session_io::bind_peers_to_keys(m);
        }
        let node = Self {
            swarm,
            commands: cmd_rx,
            events: outbox::Outbox::new(ev_tx),
            relays,
            reserving: HashSet::new(),
            pending: HashMap::new(),
            machine,
            rng: OsRng,
            lookups: HashMap::new(),
            redial: relays::Redial::default(),
            session_timer: deadline::DeadlineTimer::default(),
            redial_timer: deadline::DeadlineTimer::default(),
            stop_at: None,
            freeze: false,
            stop_now: false,
            priority_dirty: true,
            peer_ids: priority::PeerIdCache::default(),
            circuits: HashMap::new(),
            routes: routes::Routes::default(),
            inbox: inbox::InboxReader::default(),
            relay_pool: relay_pool::RelayPool::new(config.min_relays),
        };
        Ok((
            node,
            NodeHandle {
                peer_id,
                commands: cmd_tx,
            },
            ev_rx,
        ))
    }

    /// Runs the node until [`NodeHandle::shutdown`] or until every handle is dropped.
    pub async fn run(mut self) {
        let relays: Vec<PeerId> = self.relays.keys().copied().collect();
        for relay in relays {
            self.dial_relay(relay);
        }
        loop {
            self.session_timer
                .set(self.machine.as_ref().and_then(Machine::poll_timeout));
            self.redial_timer.set(self.redial.next());
            let session_timer = &mut self.session_timer;
            let timer = futures::future::poll_fn(|cx| session_timer.poll_fire(cx));
            let redial_timer = &mut self.redial_timer;
            let redial = futures::future::poll_fn(|cx| redial_timer.poll_fire(cx));
            // Backpressure: with too many events waiting for the owner, leave the network
            // unread (commands and timers still run).
            let saturated = self.events.saturated();
            let swarm = &mut self.swarm;
            let network = futures::future::poll_fn(|cx| {
                if saturated {
                    std::task::Poll::Pending
                } else {
                    swarm.poll_next_unpin(cx)
                }
            });
            let outbox = &mut self.events;
            let room = futures::future::poll_fn(|cx| outbox.poll_room(cx));
            futures::select! {
                event = network.fuse() => {
                    if let Some(event) = event {
                        self.on_swarm_event(event);
                    }
                }
                () = room.fuse() => self.events.flush(),
                command = self.commands.next() => match command {
                    Some(Command::SendDirect { target, data, reply }) => {
                        self.send_direct(target, data, reply)
                    }
                    Some(Command::SendSessionRaw { target, data }) => {
                        if let Ok(peer) = peer_id_of(&target) {
                            self.swarm
                                .behaviour_mut()
                                .session
                                .send(peer, data, vec![target]);
                        }
                    }
                    Some(Command::WithMachine(task)) => {
                        if let Some(machine) = self.machine.as_mut() {
                            task(machine, crate::clock::now_ms(), &mut self.rng);
                            self.priority_dirty = true;
                        }
                    }
                    Some(Command::ConnectionStats(reply)) => {
                        let _ = reply.send(self.swarm.behaviour().gate.stats());
                    }
                    Some(Command::Subscribe(topic)) => self.subscribe(&topic),
                    Some(Command::StopAtPhase(phase, freeze)) => {
                        self.stop_at = Some(phase);
                        self.freeze = freeze;
                    }
                    Some(Command::Shutdown) | None => break,
                },
                () = timer.fuse() => {
                    if let Some(machine) = self.machine.as_mut() {
                        machine.handle_timeout(crate::clock::now_ms());
                    }
                }
                () = redial.fuse() => self.redial_due_relays(),
            }
            self.flush_machine();
            self.refresh_priority();
            if self.stop_now {
                break;
            }
        }
        if self.freeze {
            self.freeze().await;
        }
        self.drain().await;
        for (_, reply) in self.pending.drain() {
            let _ = reply.send(Err(NetError::Stopped));
        }
    }

    /// Freezes for ever once the session messages already sent are read (or after
    /// [`DRAIN_TIMEOUT`]), the connections left open and unread.
    async fn freeze(&mut self) {
        use futures::FutureExt;
        let mut deadline = futures_timer::Delay::new(DRAIN_TIMEOUT).fuse();
        let _ = self.drop_machine_and_flush(&mut deadline).await;
        tracing::debug!("frozen (fault injection)");
        futures::future::pending::<()>().await;
    }

    /// Drops the session machine (with any secret nonce) and serves the swarm until the
    /// session messages already sent are read by their receivers; `false` if `deadline`
    /// came first.
    async fn drop_machine_and_flush(
        &mut self,
        deadline: &mut futures::future::Fuse<futures_timer::Delay>,
    ) -> bool {
        self.machine = None;
        self.swarm.behaviour_mut().session.finish();
        let read = |node: &Self| node.swarm.behaviour().session.finished();
        self.serve_until(deadline, read).await
    }

    /// Stops like a crashed signer that had sent its last messages: the session machine
    /// (with any secret nonce) is dropped at once, nothing more is processed, and the node
    /// only waits, at most [`DRAIN_TIMEOUT`] in all, until the session messages it already
    /// sent are read by their receivers (`session_stream::Behaviour::finish`) and its
    /// connections are closed gracefully: the signers' first, then the relays'.
    async fn drain(&mut self) {
        use futures::FutureExt;
        let mut deadline = futures_timer::Delay::new(DRAIN_TIMEOUT).fuse();
        if !self.drop_machine_and_flush(&mut deadline).await {
            return;
        }
        let signers: Vec<PeerId> = self
            .swarm
            .connected_peers()
            .filter(|p| !self.relays.contains_key(p))
            .copied()
            .collect();
        for peer in signers {
            let _ = self.swarm.disconnect_peer_id(peer);
        }
        let only_relays = |node: &Self| {
            node.swarm
                .connected_peers()
                .all(|p| node.relays.contains_key(p))
        };
        if !self.serve_until(&mut deadline, only_relays).await {
            return;
        }
        let relays: Vec<PeerId> = self.swarm.connected_peers().copied().collect();
        for peer in relays {
            let _ = self.swarm.disconnect_peer_id(peer);
        }
        let closed = |node: &Self| node.swarm.connected_peers().next().is_none();
        self.serve_until(&mut deadline, closed).await;
    }

    /// Handles swarm events until `done` holds (true) or `deadline` fires (false).
    async fn serve_until(
        &mut self,
        mut deadline: &mut futures::future::Fuse<futures_timer::Delay>,
        done: impl Fn(&Self) -> bool,
    ) -> bool {
        while !done(self) {
            futures::select! {
                event = self.swarm.select_next_some() => self.on_swarm_event(event),
                () = deadline => return false,
            }
        }
        true
    }

    fn emit(&mut self, event: NodeEvent) {
        self.events.push(event);
    }

    fn send_direct(
        &mut self,
        target: Multiaddr,
        data: Vec<u8>,
        reply: oneshot::Sender<Result<[u8; 32], NetError>>,
    ) {
        let peer = match peer_id_of(&target) {
            Ok(p) => p,
            Err(e) => {
                let _ = reply.send(Err(e));
                return;
            }
        };
        let id = self
            .swarm
            .behaviour_mut()
            .direct
            .send_request_with_addresses(&peer, data, vec![target]);
        self.pending.insert(id, reply);
    }

    fn on_swarm_event(&mut self, event: SwarmEvent<PeerBehaviourEvent>) {
        match event {
            SwarmEvent::NewListenAddr { address, .. } => {
                let is_circuit = address.iter().any(|p| p == Protocol::P2pCircuit);
                if !is_circuit {
                    self.emit(NodeEvent::Listening { address });
                }
            }
            SwarmEvent::ConnectionEstablished {
                peer_id,
                num_established,
                ..
            } => {
                if self.relays.contains_key(&peer_id) {
                    self.redial.connected(&peer_id);
                    self.emit(NodeEvent::RelayConnected { relay: peer_id });
                    self.reserve_on(peer_id);
                } else if num_established.get() == 1 {
                    self.emit(NodeEvent::PeerConnected { peer: peer_id });
                }
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established: 0,
                ..
            } => {
                self.reserving.remove(&peer_id);
                if self.circuits.remove(&peer_id).is_some() {
                    self.emit(NodeEvent::RelayLost { relay: peer_id });
                }
                if self.relays.contains_key(&peer_id) {
                    // The relay went away (restart, network change): dial a configured one
                    // again, with backoff, and reserve anew once connected; replace a learnt
                    // one.
                    if !self.relay_failed(&peer_id) {
                        self.schedule_redial(peer_id);
                    }
                } else {
                    self.emit(NodeEvent::PeerDisconnected { peer: peer_id });
                    self.signer_gone(peer_id);
                }
            }
            SwarmEvent::OutgoingConnectionError {
                peer_id: Some(peer),
                error,
                ..
            } => {
                if let Some(addr) = self.relays.get(&peer).cloned() {
                    self.emit(NodeEvent::RelayUnreachable {
                        address: addr,
                        reason: error.to_string(),
                    });
                    if !self.relay_failed(&peer) {
                        self.schedule_redial(peer);
                    }
                }
            }
            SwarmEvent::Behaviour(PeerBehaviourEvent::RelayClient(
                relay::client::Event::ReservationReqAccepted { relay_peer_id, .. },
            )) => {
                if let Some(addr) = self.relays.get(&relay_peer_id).cloned() {
                    self.redial.reserved(&relay_peer_id);
                    let circuit_address = addr
                        .with(Protocol::P2pCircuit)
                        .with(Protocol::P2p(*self.swarm.local_peer_id()));
                    self.circuits.insert(relay_peer_id, circuit_address.clone());
                    self.publish_route();
                    self.read_inbox();
                    self.relay_reserved(&relay_peer_id);
                    self.emit(NodeEvent::RelayReserved {
                        relay: relay_peer_id,
                        circuit_address,
                    });
                }
            }
            SwarmEvent::Behaviour(PeerBehaviourEvent::Direct(event)) => self.on_direct(event),
            SwarmEvent::Behaviour(PeerBehaviourEvent::Session(event)) => self.on_session(event),
            SwarmEvent::Behaviour(PeerBehaviourEvent::Gossipsub(event)) => self.on_gossip(event),
            SwarmEvent::Behaviour(PeerBehaviourEvent::Kad(event)) => self.on_kad(event),
            _ => {}
        }
    }

    /// Asks a connected relay for a reservation (once per connection). Only once the relay
    /// connection is up: a reservation requested while the dial is in flight is silently
    /// dropped.
    pub(super) fn reserve_on(&mut self, relay: PeerId) {
        let Some(addr) = self.relays.get(&relay).cloned() else {
            return;
        };
        if self.reserving.insert(relay) {
            let circuit = addr.clone().with(Protocol::P2pCircuit);
            if let Err(e) = self.swarm.listen_on(circuit) {
                self.reserving.remove(&relay);
                self.emit(NodeEvent::RelayUnreachable {
                    address: addr,
                    reason: e.to_string(),
                });
            }
        }
    }

    fn on_direct(&mut self, event: request_response::Event<Vec<u8>, Vec<u8>>) {
        match event {
            request_response::Event::Message { peer, message, .. } => match message {
                request_response::Message::Request {
                    request, channel, ..
                } => {
                    let receipt = Sha256::digest(&request).to_vec();
                    // Acknowledge only what the owner will get: with nobody reading our
                    // events the sender sees a failure instead of a receipt for a lost message.
                    if self.events.is_open() {
                        self.emit(NodeEvent::DirectMessage {
                            from: peer,
                            data: request,
                        });
                        let _ = self
                            .swarm
                            .behaviour_mut()
                            .direct
                            .send_response(channel, receipt);
                    }
                }
                request_response::Message::Response {
                    request_id,
                    response,
                } => {
                    if let Some(reply) = self.pending.remove(&request_id) {
                        let result = <[u8; 32]>::try_from(response.as_slice())
                            .map_err(|_| NetError::Delivery("malformed receipt".into()));
                        let _ = reply.send(result);
                    }
                }
            },
            request_response::Event::OutboundFailure {
                request_id, error, ..
            } => {
                if let Some(reply) = self.pending.remove(&request_id) {
                    let _ = reply.send(Err(NetError::Delivery(error.to_string())));
                }
            }
            _ => {}
        }
    }
}
