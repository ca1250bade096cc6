//! The session stream protocol: signed session envelopes as length-prefixed frames on one
//! long-lived stream per connection and direction, with no response. Reliability is the
//! session layer's (it retransmits what was not answered); this layer only carries frames in
//! order and reports what it had to give up.
//!
//! Compared with a request-response exchange per message, a frame costs one muxer frame
//! instead of a new substream, its protocol negotiation, a response and two closes.

mod frames;
mod handler;

use std::collections::{HashMap, HashSet, VecDeque};
use std::task::{Context, Poll};

use libp2p::core::transport::PortUse;
use libp2p::core::Endpoint;
use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
use libp2p::swarm::{
    ConnectionDenied, ConnectionId, DialError, FromSwarm, NetworkBehaviour, NotifyHandler,
    THandler, THandlerInEvent, THandlerOutEvent, ToSwarm,
};
use libp2p::{Multiaddr, PeerId, StreamProtocol};

pub use handler::{Handler, HandlerIn, HandlerOut, MAX_INBOUND_STREAMS};

/// Bytes of frames (with their length prefixes) queued for one connection, or for one peer
/// while it is being dialled. Session envelopes are well under 1 KiB; this is 16 of the
/// largest allowed.
pub const MAX_QUEUED_BYTES: usize = 16 * musig2_session::wire::MAX_ENVELOPE_LEN;

/// Peers with frames waiting for a connection at once; a send to one more is given up.
pub const MAX_DIALLING_PEERS: usize = 1024;

/// Settings shared by the behaviour and its handlers.
#[derive(Debug, Clone)]
pub struct Config {
    protocol: StreamProtocol,
    max_frame: usize,
    max_queued_bytes: usize,
}

impl Config {
    /// Frames of at most `max_frame` bytes on `protocol`, at most [`MAX_QUEUED_BYTES`] queued.
    pub fn new(protocol: StreamProtocol, max_frame: usize) -> Self {
        Self {
            protocol,
            max_frame,
            max_queued_bytes: MAX_QUEUED_BYTES,
        }
    }
}

/// What the behaviour reports to the swarm's owner.
#[derive(Debug)]
pub enum Event {
    /// A frame arrived from `peer`.
    Received {
        /// The transport peer that sent it.
        peer: PeerId,
        /// The frame's bytes, at most the configured frame limit.
        bytes: Vec<u8>,
    },
    /// Frames to `peer` were given up: no connection could be made, a queue was full, or the
    /// stream or connection failed before they were flushed.
    Lost {
        /// The peer they were for.
        peer: PeerId,
        /// How many.
        frames: usize,
    },
    /// After [`Behaviour::finish`]: every frame sent was read by its remote or given up
    /// ([`Behaviour::finished`] holds). Reported once.
    Finished,
}

#[derive(Default)]
struct Waiting {
    frames: VecDeque<Vec<u8>>,
    bytes: usize,
}

/// Sends frames to peers on long-lived streams, dialling them when needed.
pub struct Behaviour {
    config: Config,
    /// Established connections per peer, oldest first; frames go to the newest.
    connections: HashMap<PeerId, Vec<ConnectionId>>,
    /// Frames handed to each connection and not yet reported flushed or lost.
    unflushed: HashMap<ConnectionId, usize>,
    /// Frames for peers being dialled.
    waiting: HashMap<PeerId, Waiting>,
    /// Set by [`Behaviour::finish`]: connections asked to finish and not yet finished.
    finishing: Option<HashSet<ConnectionId>>,
    /// [`Event::Finished`] was reported.
    finish_reported: bool,
    actions: VecDeque<ToSwarm<Event, HandlerIn>>,
}

impl Behaviour {
    /// A behaviour speaking `config`'s protocol.
    pub fn new(config: Config) -> Self {
        Self {
            config,
            connections: HashMap::new(),
            unflushed: HashMap::new(),
            waiting: HashMap::new(),
            finishing: None,
            finish_reported: false,
            actions: VecDeque::new(),
        }
    }

    /// Sends `frame` to `peer` after every frame sent to it before; when not connected, dials
    /// it at `addresses` first. What cannot be sent is reported as [`Event::Lost`].
    pub fn send(&mut self, peer: PeerId, frame: Vec<u8>, addresses: Vec<Multiaddr>) {
        if let Some(&connection) = self.connections.get(&peer).and_then(|c| c.last()) {
            self.hand_to(peer, connection, frame);
            return;
        }
        let first = !self.waiting.contains_key(&peer);
        if (first && self.waiting.len() >= MAX_DIALLING_PEERS)
            || frame.len() > self.config.max_frame
        {
            self.lost(peer, 1);
            return;
        }
        let waiting = self.waiting.entry(peer).or_default();
        let len = frames::encoded_len(&frame);
        if waiting.bytes + len > self.config.max_queued_bytes {
            self.lost(peer, 1);
            return;
        }
        waiting.bytes += len;
        waiting.frames.push_back(frame);
        if first {
            let opts = DialOpts::peer_id(peer)
                .addresses(addresses)
                .condition(PeerCondition::DisconnectedAndNotDialing)
                .build();
            self.actions.push_back(ToSwarm::Dial { opts });
        }
    }

    /// Frames sent and not yet flushed to a stream (queued, being dialled or being written).
    pub fn unflushed(&self) -> usize {
        self.unflushed.values().sum::<usize>()
            + self.waiting.values().map(|w| w.frames.len()).sum::<usize>()
    }

    /// Asks every connection, present and future, to finish: flush what it was given, close
    /// its outbound stream and wait until the remote has read everything up to the close.
    /// A node about to stop calls this, then waits for [`Behaviour::finished`] before closing
    /// its connections: frames a remote has not read yet when its connection closes are lost.
    pub fn finish(&mut self) {
        let mut finishing = HashSet::new();
        for (peer, connections) in &self.connections {
            for &connection in connections {
                finishing.insert(connection);
                self.actions.push_back(ToSwarm::NotifyHandler {
                    peer_id: *peer,
                    handler: NotifyHandler::One(connection),
                    event: HandlerIn::Finish,
                });
            }
        }
        self.finishing = Some(finishing);
        self.report_if_finished();
    }

    fn report_if_finished(&mut self) {
        if !self.finish_reported && self.finished() {
            self.finish_reported = true;
            self.actions
                .push_back(ToSwarm::GenerateEvent(Event::Finished));
        }
    }

    /// After [`Behaviour::finish`]: whether every frame sent was read by its remote, given up,
    /// or is still waiting for a connection that cannot be made.
    pub fn finished(&self) -> bool {
        self.waiting.is_empty() && self.finishing.as_ref().is_some_and(HashSet::is_empty)
    }

    fn hand_to(&mut self, peer: PeerId, connection: ConnectionId, frame: Vec<u8>) {
        *self.unflushed.entry(connection).or_default() += 1;
        self.actions.push_back(ToSwarm::NotifyHandler {
            peer_id: peer,
            handler: NotifyHandler::One(connection),
            event: HandlerIn::Send(frame),
        });
    }

    fn lost(&mut self, peer: PeerId, frames: usize) {
        self.actions
            .push_back(ToSwarm::GenerateEvent(Event::Lost { peer, frames }));
    }

    fn settle(&mut self, connection: ConnectionId, frames: usize) {
        if let Some(n) = self.unflushed.get_mut(&connection) {
            *n = n.saturating_sub(frames);
        }
    }
}

impl NetworkBehaviour for Behaviour {
    type ConnectionHandler = Handler;
    type ToSwarm = Event;

    fn handle_established_inbound_connection(
        &mut self,
        _: ConnectionId,
        _: PeerId,
        _: &Multiaddr,
        _: &Multiaddr,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        Ok(Handler::new(self.config.clone()))
    }

    fn handle_established_outbound_connection(
        &mut self,
        _: ConnectionId,
        _: PeerId,
        _: &Multiaddr,
        _: Endpoint,
        _: PortUse,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        Ok(Handler::new(self.config.clone()))
    }

    fn on_swarm_event(&mut self, event: FromSwarm) {
        match event {
            FromSwarm::ConnectionEstablished(e) => {
                self.connections
                    .entry(e.peer_id)
                    .or_default()
                    .push(e.connection_id);
                self.unflushed.insert(e.connection_id, 0);
                if let Some(waiting) = self.waiting.remove(&e.peer_id) {
                    for frame in waiting.frames {
                        self.hand_to(e.peer_id, e.connection_id, frame);
                    }
                }
                if let Some(finishing) = self.finishing.as_mut() {
                    finishing.insert(e.connection_id);
                    self.actions.push_back(ToSwarm::NotifyHandler {
                        peer_id: e.peer_id,
                        handler: NotifyHandler::One(e.connection_id),
                        event: HandlerIn::Finish,
                    });
                }
            }
            FromSwarm::ConnectionClosed(e) => {
                if let Some(list) = self.connections.get_mut(&e.peer_id) {
                    list.retain(|c| *c != e.connection_id);
                    if list.is_empty() {
                        self.connections.remove(&e.peer_id);
                    }
                }
                if let Some(finishing) = self.finishing.as_mut() {
                    finishing.remove(&e.connection_id);
                }
                let lost = self.unflushed.remove(&e.connection_id).unwrap_or(0);
                if lost > 0 {
                    self.lost(e.peer_id, lost);
                }
                self.report_if_finished();
            }
            FromSwarm::DialFailure(e) => {
                let Some(peer) = e.peer_id else { return };
                // A refused duplicate dial leaves the dial already under way to deliver.
                if matches!(e.error, DialError::DialPeerConditionFalse(_))
                    || self.connections.contains_key(&peer)
                {
                    return;
                }
                if let Some(waiting) = self.waiting.remove(&peer) {
                    self.lost(peer, waiting.frames.len());
                }
                self.report_if_finished();
            }
            _ => {}
        }
    }

    fn on_connection_handler_event(
        &mut self,
        peer: PeerId,
        connection: ConnectionId,
        event: THandlerOutEvent<Self>,
    ) {
        match event {
            HandlerOut::Received(bytes) => self
                .actions
                .push_back(ToSwarm::GenerateEvent(Event::Received { peer, bytes })),
            HandlerOut::Flushed(frames) => self.settle(connection, frames),
            HandlerOut::Lost(frames) => {
                self.settle(connection, frames);
                self.lost(peer, frames);
            }
            HandlerOut::Finished => {
                if let Some(finishing) = self.finishing.as_mut() {
                    finishing.remove(&connection);
                }
                self.report_if_finished();
            }
        }
    }

    fn poll(&mut self, _: &mut Context<'_>) -> Poll<ToSwarm<Event, THandlerInEvent<Self>>> {
        match self.actions.pop_front() {
            Some(action) => Poll::Ready(action),
            None => Poll::Pending,
        }
    }
}
