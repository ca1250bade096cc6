//! The per-connection half of the session stream protocol: one outbound stream, opened when
//! the first frame is queued and kept open, and at most [`MAX_INBOUND_STREAMS`] inbound
//! streams read frame by frame.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::{AsyncRead, AsyncWrite};

use libp2p::core::upgrade::ReadyUpgrade;
use libp2p::swarm::handler::{ConnectionEvent, FullyNegotiatedInbound, FullyNegotiatedOutbound};
use libp2p::swarm::{
    ConnectionHandler, ConnectionHandlerEvent, Stream, StreamProtocol, SubstreamProtocol,
};

use super::frames::{FrameReader, FrameWriter};
use super::Config;

/// Inbound streams read at once on one connection; a peer that opens another one loses its
/// oldest (a well-behaved peer keeps one, and opens a new one only after a failure).
pub const MAX_INBOUND_STREAMS: usize = 2;

/// Failed attempts in a row to open the outbound stream before the queued frames are given up.
const MAX_FAILED_OPENS: u8 = 2;

/// What the behaviour asks of a connection.
#[derive(Debug)]
pub enum HandlerIn {
    /// Send this frame after the ones before it.
    Send(Vec<u8>),
    /// Once everything queued is flushed, close the outbound stream and wait until the
    /// remote closes it too, which it does only after reading every frame up to the close.
    Finish,
}

/// What a connection reports to the behaviour.
#[derive(Debug)]
pub enum HandlerOut {
    /// A whole frame arrived on an inbound stream.
    Received(Vec<u8>),
    /// This many frames were written and flushed to the outbound stream.
    Flushed(usize),
    /// This many frames were given up: the queue was full, or the stream failed.
    Lost(usize),
    /// After [`HandlerIn::Finish`]: the remote has read everything sent (or the outbound
    /// stream failed, or there was none).
    Finished,
}

enum Outbound {
    None,
    Requested,
    Open(Stream),
    /// Our side is closed; reading until the remote closes its side.
    Closing(Stream),
}

/// Connection handler of [`super::Behaviour`].
pub struct Handler {
    config: Config,
    outbound: Outbound,
    failed_opens: u8,
    writer: FrameWriter,
    inbound: VecDeque<(Stream, FrameReader)>,
    reports: VecDeque<HandlerOut>,
    /// A [`HandlerIn::Finish`] is under way.
    finishing: bool,
}

impl Handler {
    pub(super) fn new(config: Config) -> Self {
        Self {
            writer: FrameWriter::new(config.max_frame, config.max_queued_bytes),
            config,
            outbound: Outbound::None,
            failed_opens: 0,
            inbound: VecDeque::new(),
            reports: VecDeque::new(),
            finishing: false,
        }
    }

    fn protocol(&self) -> SubstreamProtocol<ReadyUpgrade<StreamProtocol>> {
        SubstreamProtocol::new(ReadyUpgrade::new(self.config.protocol.clone()), ())
    }

    /// Drives a finish: closes the flushed outbound stream, then waits for the remote's close.
    fn poll_finish(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.outbound {
                Outbound::Requested => return Poll::Pending,
                Outbound::None if self.writer.has_queued() => return Poll::Pending,
                Outbound::None => return Poll::Ready(()),
                Outbound::Open(stream) => {
                    if self.writer.unflushed() > 0 {
                        return Poll::Pending;
                    }
                    if let Err(e) = std::task::ready!(Pin::new(&mut *stream).poll_close(cx)) {
                        tracing::debug!("session stream close failed: {e}");
                        self.outbound = Outbound::None;
                        return Poll::Ready(());
                    }
                    if let Outbound::Open(stream) =
                        std::mem::replace(&mut self.outbound, Outbound::None)
                    {
                        self.outbound = Outbound::Closing(stream);
                    }
                }
                Outbound::Closing(stream) => {
                    let mut scratch = [0u8; 64];
                    match std::task::ready!(Pin::new(&mut *stream).poll_read(cx, &mut scratch)) {
                        // The remote sends nothing on our stream; anything is ignored.
                        Ok(n) if n > 0 => continue,
                        _ => {
                            self.outbound = Outbound::None;
                            return Poll::Ready(());
                        }
                    }
                }
            }
        }
    }

    fn open_failed(&mut self) {
        self.outbound = Outbound::None;
        self.failed_opens += 1;
        if self.failed_opens >= MAX_FAILED_OPENS {
            self.failed_opens = 0;
            let lost = self.writer.discard();
            if lost > 0 {
                self.reports.push_back(HandlerOut::Lost(lost));
            }
        }
    }
}

impl ConnectionHandler for Handler {
    type FromBehaviour = HandlerIn;
    type ToBehaviour = HandlerOut;
    type InboundProtocol = ReadyUpgrade<StreamProtocol>;
    type OutboundProtocol = ReadyUpgrade<StreamProtocol>;
    type InboundOpenInfo = ();
    type OutboundOpenInfo = ();

    fn listen_protocol(&self) -> SubstreamProtocol<ReadyUpgrade<StreamProtocol>> {
        self.protocol()
    }

    fn on_behaviour_event(&mut self, event: HandlerIn) {
        match event {
            HandlerIn::Send(frame) => {
                if self.writer.push(&frame).is_err() {
                    self.reports.push_back(HandlerOut::Lost(1));
                }
            }
            HandlerIn::Finish => self.finishing = true,
        }
    }

    fn connection_keep_alive(&self) -> bool {
        // The streams themselves do not keep the connection: it idles out like any other
        // once everything queued has left.
        self.writer.unflushed() > 0
            || self.finishing
            || matches!(self.outbound, Outbound::Requested | Outbound::Closing(_))
    }

    fn poll(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<ConnectionHandlerEvent<ReadyUpgrade<StreamProtocol>, (), HandlerOut>> {
        if let Some(report) = self.reports.pop_front() {
            return Poll::Ready(ConnectionHandlerEvent::NotifyBehaviour(report));
        }
        match &mut self.outbound {
            Outbound::None if self.writer.has_queued() => {
                self.outbound = Outbound::Requested;
                return Poll::Ready(ConnectionHandlerEvent::OutboundSubstreamRequest {
                    protocol: self.protocol(),
                });
            }
            Outbound::Open(stream) => match self.writer.poll_write_all(stream, cx) {
                Poll::Ready(Ok(0)) | Poll::Pending => {}
                Poll::Ready(Ok(flushed)) => {
                    self.failed_opens = 0;
                    return Poll::Ready(ConnectionHandlerEvent::NotifyBehaviour(
                        HandlerOut::Flushed(flushed),
                    ));
                }
                Poll::Ready(Err(e)) => {
                    tracing::debug!("session stream failed: {e}");
                    self.outbound = Outbound::None;
                    // Frames not yet started go out on a new stream (next poll).
                    cx.waker().wake_by_ref();
                    let lost = self.writer.discard_written();
                    if lost > 0 {
                        return Poll::Ready(ConnectionHandlerEvent::NotifyBehaviour(
                            HandlerOut::Lost(lost),
                        ));
                    }
                }
            },
            _ => {}
        }
        if self.finishing && self.poll_finish(cx).is_ready() {
            self.finishing = false;
            return Poll::Ready(ConnectionHandlerEvent::NotifyBehaviour(
                HandlerOut::Finished,
            ));
        }
        let mut i = 0;
        while i < self.inbound.len() {
            let (stream, reader) = &mut self.inbound[i];
            match reader.poll_frame(stream, cx) {
                Poll::Pending => i += 1,
                Poll::Ready(Ok(Some(frame))) => {
                    return Poll::Ready(ConnectionHandlerEvent::NotifyBehaviour(
                        HandlerOut::Received(frame),
                    ));
                }
                Poll::Ready(Ok(None)) => {
                    self.inbound.remove(i);
                }
                Poll::Ready(Err(e)) => {
                    tracing::debug!("inbound session stream dropped: {e}");
                    self.inbound.remove(i);
                }
            }
        }
        Poll::Pending
    }

    fn on_connection_event(
        &mut self,
        event: ConnectionEvent<Self::InboundProtocol, Self::OutboundProtocol>,
    ) {
        match event {
            ConnectionEvent::FullyNegotiatedInbound(FullyNegotiatedInbound {
                protocol: mut stream,
                ..
            }) => {
                stream.ignore_for_keep_alive();
                if self.inbound.len() >= MAX_INBOUND_STREAMS {
                    self.inbound.pop_front();
                }
                self.inbound
                    .push_back((stream, FrameReader::new(self.config.max_frame)));
            }
            ConnectionEvent::FullyNegotiatedOutbound(FullyNegotiatedOutbound {
                protocol: mut stream,
                ..
            }) => {
                stream.ignore_for_keep_alive();
                self.outbound = Outbound::Open(stream);
            }
            ConnectionEvent::DialUpgradeError(e) => {
                tracing::debug!("cannot open a session stream: {}", e.error);
                self.open_failed();
                if self.finishing {
                    // Nothing more can leave on this connection.
                    let lost = self.writer.discard();
                    if lost > 0 {
                        self.reports.push_back(HandlerOut::Lost(lost));
                    }
                }
            }
            _ => {}
        }
    }
}
