//! A cap on the circuits relayed to one destination, around libp2p's relay server.
//!
//! libp2p's relay limits circuits per *source* (`max_circuits_per_peer`) and in total, so
//! many throwaway sources can each open a few circuits to one victim until the relay's whole
//! budget points at it. [`DstCap`] wraps the relay server and bounds the circuits to each
//! destination: the relay's handler on the destination's connection asks for one outbound
//! STOP stream per circuit it sets up; [`CapHandler`] lets such a request through only
//! while the destination has fewer than `cap` circuits (open, plus STOP streams still in
//! negotiation), and otherwise fails it at once, which the relay answers to the source as a
//! failed connect (`CONNECTION_FAILED`; the relay server has no hook to say
//! `RESOURCE_LIMIT_EXCEEDED` here).
//!
//! Open circuits are counted from the relay's own events (`CircuitReqAccepted`,
//! `CircuitClosed`, which libp2p emits for every accepted circuit however it ends), so the
//! count cannot drift. The bound is exact up to the few milliseconds between a STOP stream's
//! negotiation and the circuit's acceptance.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use libp2p::core::{transport::PortUse, Endpoint, Multiaddr};
use libp2p::swarm::handler::{ConnectionEvent, DialUpgradeError};
use libp2p::swarm::{
    ConnectionDenied, ConnectionHandler, ConnectionHandlerEvent, ConnectionId, FromSwarm,
    NetworkBehaviour, StreamUpgradeError, SubstreamProtocol, THandler, THandlerInEvent,
    THandlerOutEvent, ToSwarm,
};
use libp2p::{relay, PeerId};

/// Circuits to one destination: open, and STOP streams in negotiation.
#[derive(Debug, Default, Clone, Copy)]
struct Load {
    open: usize,
    negotiating: usize,
}

/// Per-destination loads shared by the behaviour and the handlers of every connection.
#[derive(Debug)]
struct Loads {
    cap: usize,
    by_dst: HashMap<PeerId, Load>,
    refused: u64,
}

impl Loads {
    fn full(&self, dst: &PeerId) -> bool {
        self.by_dst
            .get(dst)
            .is_some_and(|l| l.open.saturating_add(l.negotiating) >= self.cap)
    }

    fn update(&mut self, dst: PeerId, f: impl FnOnce(&mut Load)) {
        let load = self.by_dst.entry(dst).or_default();
        f(load);
        if load.open == 0 && load.negotiating == 0 {
            self.by_dst.remove(&dst);
        }
    }
}

type Shared = Arc<Mutex<Loads>>;

fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, Loads> {
    // A handler that panicked cannot leave the counts half-written (each update is one
    // statement), so a poisoned lock is still consistent.
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The relay server with a per-destination circuit cap (see the module docs).
pub struct DstCap {
    inner: relay::Behaviour,
    loads: Shared,
}

impl DstCap {
    /// Wraps `inner`, allowing at most `cap` circuits to any one destination.
    pub fn new(inner: relay::Behaviour, cap: usize) -> Self {
        Self {
            inner,
            loads: Arc::new(Mutex::new(Loads {
                cap: cap.max(1),
                by_dst: HashMap::new(),
                refused: 0,
            })),
        }
    }

    /// Circuit requests refused by the cap since the last call.
    pub fn take_refused(&mut self) -> u64 {
        std::mem::take(&mut lock(&self.loads).refused)
    }

    fn wrap(&self, dst: PeerId, inner: THandler<relay::Behaviour>) -> CapHandler {
        CapHandler {
            inner,
            dst,
            loads: Arc::clone(&self.loads),
            in_flight: 0,
            held: VecDeque::new(),
        }
    }
}

impl NetworkBehaviour for DstCap {
    type ConnectionHandler = CapHandler;
    type ToSwarm = relay::Event;

    fn handle_pending_inbound_connection(
        &mut self,
        id: ConnectionId,
        local: &Multiaddr,
        remote: &Multiaddr,
    ) -> Result<(), ConnectionDenied> {
        self.inner
            .handle_pending_inbound_connection(id, local, remote)
    }

    fn handle_established_inbound_connection(
        &mut self,
        id: ConnectionId,
        peer: PeerId,
        local: &Multiaddr,
        remote: &Multiaddr,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        let inner = self
            .inner
            .handle_established_inbound_connection(id, peer, local, remote)?;
        Ok(self.wrap(peer, inner))
    }

    fn handle_pending_outbound_connection(
        &mut self,
        id: ConnectionId,
        peer: Option<PeerId>,
        addresses: &[Multiaddr],
        role: Endpoint,
    ) -> Result<Vec<Multiaddr>, ConnectionDenied> {
        self.inner
            .handle_pending_outbound_connection(id, peer, addresses, role)
    }

    fn handle_established_outbound_connection(
        &mut self,
        id: ConnectionId,
        peer: PeerId,
        addr: &Multiaddr,
        role: Endpoint,
        port_use: PortUse,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        let inner = self
            .inner
            .handle_established_outbound_connection(id, peer, addr, role, port_use)?;
        Ok(self.wrap(peer, inner))
    }

    fn on_swarm_event(&mut self, event: FromSwarm) {
        self.inner.on_swarm_event(event);
    }

    fn on_connection_handler_event(
        &mut self,
        peer: PeerId,
        id: ConnectionId,
        event: THandlerOutEvent<Self>,
    ) {
        self.inner.on_connection_handler_event(peer, id, event);
    }

    fn poll(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<ToSwarm<Self::ToSwarm, THandlerInEvent<Self>>> {
        let polled = self.inner.poll(cx);
        if let Poll::Ready(ToSwarm::GenerateEvent(event)) = &polled {
            match event {
                relay::Event::CircuitReqAccepted { dst_peer_id, .. } => {
                    lock(&self.loads).update(*dst_peer_id, |l| l.open += 1);
                }
                relay::Event::CircuitClosed { dst_peer_id, .. } => {
                    lock(&self.loads).update(*dst_peer_id, |l| {
                        l.open = l.open.saturating_sub(1);
                    });
                }
                _ => {}
            }
        }
        polled
    }
}

type Inner = THandler<relay::Behaviour>;
type OutProtocol = <Inner as ConnectionHandler>::OutboundProtocol;
type OutInfo = <Inner as ConnectionHandler>::OutboundOpenInfo;

/// The relay's connection handler, holding back STOP streams to a full destination.
pub struct CapHandler {
    inner: Inner,
    /// The peer at the other end of this connection: the destination of every STOP stream
    /// opened on it.
    dst: PeerId,
    loads: Shared,
    /// STOP stream requests let through whose negotiation has not ended.
    in_flight: usize,
    /// Requests waiting for a verdict, oldest first. The relay's handler matches finished
    /// negotiations to its requests in order, so a request is refused only when none before
    /// it is still negotiating: the refusal then lands on the right request.
    held: VecDeque<SubstreamProtocol<OutProtocol, OutInfo>>,
}

impl CapHandler {
    /// Decides the oldest held request, if it can be decided now.
    fn decide(&mut self) -> Option<SubstreamProtocol<OutProtocol, OutInfo>> {
        self.held.front()?;
        let mut loads = lock(&self.loads);
        if !loads.full(&self.dst) {
            loads.update(self.dst, |l| l.negotiating += 1);
            self.in_flight += 1;
            return self.held.pop_front();
        }
        if self.in_flight > 0 {
            return None;
        }
        loads.refused = loads.refused.saturating_add(1);
        drop(loads);
        if let Some(request) = self.held.pop_front() {
            let (_, info) = request.into_upgrade();
            self.inner
                .on_connection_event(ConnectionEvent::DialUpgradeError(DialUpgradeError {
                    info,
                    error: StreamUpgradeError::Io(std::io::Error::other(
                        "the destination's circuit cap is reached",
                    )),
                }));
        }
        None
    }

    fn negotiation_ended(&mut self) {
        if self.in_flight > 0 {
            self.in_flight -= 1;
            lock(&self.loads).update(self.dst, |l| {
                l.negotiating = l.negotiating.saturating_sub(1);
            });
        }
    }
}

impl Drop for CapHandler {
    fn drop(&mut self) {
        let pending = std::mem::take(&mut self.in_flight);
        if pending > 0 {
            lock(&self.loads).update(self.dst, |l| {
                l.negotiating = l.negotiating.saturating_sub(pending);
            });
        }
    }
}

impl ConnectionHandler for CapHandler {
    type FromBehaviour = <Inner as ConnectionHandler>::FromBehaviour;
    type ToBehaviour = <Inner as ConnectionHandler>::ToBehaviour;
    type InboundProtocol = <Inner as ConnectionHandler>::InboundProtocol;
    type OutboundProtocol = OutProtocol;
    type InboundOpenInfo = <Inner as ConnectionHandler>::InboundOpenInfo;
    type OutboundOpenInfo = OutInfo;

    fn listen_protocol(&self) -> SubstreamProtocol<Self::InboundProtocol, Self::InboundOpenInfo> {
        self.inner.listen_protocol()
    }

    fn connection_keep_alive(&self) -> bool {
        self.inner.connection_keep_alive() || !self.held.is_empty()
    }

    fn poll(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<
        ConnectionHandlerEvent<Self::OutboundProtocol, Self::OutboundOpenInfo, Self::ToBehaviour>,
    > {
        loop {
            if let Some(protocol) = self.decide() {
                return Poll::Ready(ConnectionHandlerEvent::OutboundSubstreamRequest { protocol });
            }
            match self.inner.poll(cx) {
                Poll::Ready(ConnectionHandlerEvent::OutboundSubstreamRequest { protocol }) => {
                    self.held.push_back(protocol);
                }
                other => return other,
            }
        }
    }

    fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<Option<Self::ToBehaviour>> {
        self.inner.poll_close(cx)
    }

    fn on_behaviour_event(&mut self, event: Self::FromBehaviour) {
        self.inner.on_behaviour_event(event);
    }

    fn on_connection_event(
        &mut self,
        event: ConnectionEvent<
            Self::InboundProtocol,
            Self::OutboundProtocol,
            Self::InboundOpenInfo,
            Self::OutboundOpenInfo,
        >,
    ) {
        if matches!(
            event,
            ConnectionEvent::FullyNegotiatedOutbound(_) | ConnectionEvent::DialUpgradeError(_)
        ) {
            self.negotiation_ended();
        }
        self.inner.on_connection_event(event);
    }
}
