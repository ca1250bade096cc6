//! Hands the driver's events to its owner without losing any. The channel to the owner is
//! bounded; events that do not fit wait here, in order, and while [`EVENT_QUEUE`] of them
//! wait the driver stops reading the network (backpressure onto the peers, through TCP and
//! the muxers' flow control) until the owner catches up. Commands and timers keep running,
//! so an owner that awaits a command while not reading events cannot deadlock the node.

use std::collections::VecDeque;
use std::task::{Context, Poll};

use futures::channel::mpsc;

use super::{NodeEvent, EVENT_QUEUE};

/// The event channel to the owner and the events waiting for room in it.
pub(super) struct Outbox {
    channel: mpsc::Sender<NodeEvent>,
    waiting: VecDeque<NodeEvent>,
}

impl Outbox {
    pub(super) fn new(channel: mpsc::Sender<NodeEvent>) -> Self {
        Self {
            channel,
            waiting: VecDeque::new(),
        }
    }

    /// Queues `event` for the owner, after every event queued before it. Dropped only when
    /// the owner dropped its receiver.
    pub(super) fn push(&mut self, event: NodeEvent) {
        if self.channel.is_closed() {
            return;
        }
        self.waiting.push_back(event);
        self.flush();
    }

    /// Whether the owner still holds its receiver (pushed events will reach it).
    pub(super) fn is_open(&self) -> bool {
        !self.channel.is_closed()
    }

    /// Whether so many events wait that the driver should stop taking in more work from the
    /// network.
    pub(super) fn saturated(&self) -> bool {
        self.waiting.len() >= EVENT_QUEUE
    }

    /// Moves waiting events into the channel while it has room.
    pub(super) fn flush(&mut self) {
        while let Some(event) = self.waiting.pop_front() {
            match self.channel.try_send(event) {
                Ok(()) => {}
                Err(e) if e.is_full() => {
                    self.waiting.push_front(e.into_inner());
                    return;
                }
                Err(_) => {
                    // The owner is gone: nobody will read these.
                    self.waiting.clear();
                    return;
                }
            }
        }
    }

    /// Ready when events wait and the channel has room for at least one (or closed); pending
    /// otherwise. Call [`Outbox::flush`] once ready.
    pub(super) fn poll_room(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.waiting.is_empty() {
            return Poll::Pending;
        }
        self.channel.poll_ready(cx).map(|_| ())
    }
}
