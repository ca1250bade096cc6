//! Session phases (protocol.md §5.1).

/// Where a session stands. Codes are the `Heartbeat` phase byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Phase {
    /// Announced; the local signer has not joined yet.
    Announced = 0,
    /// Joined; waiting for every signer's `Join`.
    Joining = 1,
    /// Round 1: collecting public nonces.
    NonceCollection = 2,
    /// Round 2: collecting partial signatures.
    PartialSigCollection = 3,
    /// All partial signatures held; waiting for the coordinator's final signature.
    Aggregation = 4,
    /// Final signature known; waiting for every signer to confirm it.
    BroadcastConfirmation = 5,
    /// Done.
    Completed = 6,
    /// Aborted by a signer or locally.
    Aborted = 7,
    /// Expired, out of attempts, or every coordinator failed.
    Failed = 8,
}

impl Phase {
    /// Whether the session has ended (completed, aborted or failed).
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Aborted | Self::Failed)
    }
}
