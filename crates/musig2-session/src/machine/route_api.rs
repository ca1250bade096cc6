//! Publishing where this node can be reached (route records, protocol.md §4.3).

use musig2_crypto::hash::tagged_hash;

use super::Machine;
use crate::error::Error;
use crate::machine::Destination;
use crate::route::{sign_route, MAX_ROUTE_LIFETIME_MS};

impl Machine {
    /// Queues a DHT put of this node's route record: its `addresses` (the driver's encoded
    /// circuit addresses, at most 8), signed by its key, valid for the longest route lifetime
    /// (one hour) from `now`. The driver calls it when its reservations change and before the
    /// record expires.
    ///
    /// # Errors
    /// [`Error::InvalidCommand`] for too many or too long addresses.
    pub fn publish_route(&mut self, now: u64, addresses: &[Vec<u8>]) -> Result<(), Error> {
        let aux = tagged_hash("musig2-p2p/v1/route-aux", &[&now.to_be_bytes()]);
        let (key, value) = sign_route(
            self.core.secret_key(),
            now.saturating_add(MAX_ROUTE_LIFETIME_MS),
            addresses,
            aux,
        )
        .map_err(|_| Error::InvalidCommand("too many or too long route addresses"))?;
        self.core.transmit(Destination::DhtPut(key), value);
        Ok(())
    }
}
