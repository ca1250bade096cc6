//! Runs a node under a gate the test controls: the node can be paused (its driver is not
//! polled; its connections keep moving bytes), resumed, or killed (its swarm is dropped).
//! The gate looks at the events of each poll, so a test can pause a node right after the
//! poll in which something happened, before the node sees anything else.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use futures::channel::mpsc;
use musig2_net::{Node, NodeEvent};

/// Controls one gated node.
#[derive(Default)]
pub struct Gate {
    paused: AtomicBool,
    killed: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Gate {
    /// Stops polling the node's driver.
    pub fn pause(&self) {
        self.paused.store(true, Ordering::SeqCst);
    }

    /// Polls the node's driver again.
    pub fn resume(&self) {
        self.paused.store(false, Ordering::SeqCst);
        self.wake();
    }

    /// Drops the node: its swarm and every connection close.
    pub fn kill(&self) {
        self.killed.store(true, Ordering::SeqCst);
        self.wake();
    }

    /// Whether the node is paused.
    pub fn is_paused(&self) -> bool {
        self.paused.load(Ordering::SeqCst)
    }

    fn wake(&self) {
        if let Some(w) = self.waker.lock().unwrap().take() {
            w.wake();
        }
    }
}

/// Decides after which event the gate pauses the node.
pub type PauseWhen = Box<dyn Fn(&NodeEvent) -> bool + Send>;

struct Gated<F> {
    inner: Pin<Box<F>>,
    gate: Arc<Gate>,
    events: mpsc::Receiver<NodeEvent>,
    out: mpsc::UnboundedSender<NodeEvent>,
    pause_when: PauseWhen,
}

impl<F: Future<Output = ()>> Future for Gated<F> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.gate.killed.load(Ordering::SeqCst) {
            return Poll::Ready(());
        }
        *self.gate.waker.lock().unwrap() = Some(cx.waker().clone());
        if self.gate.is_paused() {
            return Poll::Pending;
        }
        let done = self.inner.as_mut().poll(cx).is_ready();
        while let Ok(event) = self.events.try_recv() {
            if (self.pause_when)(&event) {
                self.gate.pause();
            }
            let _ = self.out.unbounded_send(event);
        }
        if done {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

/// Spawns `node` under a new gate; its events come out of the returned receiver.
pub fn spawn_gated(
    node: Node,
    events: mpsc::Receiver<NodeEvent>,
    pause_when: PauseWhen,
) -> (Arc<Gate>, mpsc::UnboundedReceiver<NodeEvent>) {
    let gate = Arc::new(Gate::default());
    let (out, rx) = mpsc::unbounded();
    tokio::spawn(Gated {
        inner: Box::pin(node.run()),
        gate: gate.clone(),
        events,
        out,
        pause_when,
    });
    (gate, rx)
}
