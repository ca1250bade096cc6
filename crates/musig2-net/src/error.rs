//! Errors of the network layer.

/// Errors of the network layer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetError {
    /// A configuration was rejected. Fix the configuration.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// An address could not be parsed or lacks a `/p2p/<peer id>` part. Pass a full multiaddr.
    #[error("invalid address: {0}")]
    Address(String),
    /// The transport could not be built. The platform lacks a required capability.
    #[error("transport setup failed: {0}")]
    Transport(String),
    /// Dialing or listening failed. Check that the relay is running and reachable.
    #[error("dial failed: {0}")]
    Dial(String),
    /// A direct message was not delivered. The peer may be offline; retry later.
    #[error("direct message failed: {0}")]
    Delivery(String),
    /// The node has stopped; create a new one.
    #[error("the node is stopped")]
    Stopped,
}
