//! Federation bench (issue 14): relays run by independent operators, peered into one DHT
//! and one GossipSub mesh, with wallets spread over them.
//!
//! The coordinator (this binary without `CAP_ROLE`) draws a federation from `FED_SEED`:
//! `FED_RELAYS` relay processes (default 10) where each relay is told (`--peer`) about one or
//! two earlier ones, a sparse random graph that Kademlia completes; and `FED_WALLETS` native
//! wallets (default 300, in `FED_WORKERS` = 2 worker processes), each on one or two random
//! relays, in groups of three. With `FED_LAYOUT=cross` (the default) no two signers of a group
//! share a relay, so every session crosses relays; `FED_LAYOUT=same` puts a group's three
//! signers on the same relays, the baseline. Each wallet keeps reservations on as many relays
//! as it was given (`min_relays`), replacing a lost one with a relay learnt from the DHT.
//!
//! Measured with every relay up, and again after `FED_KILL_PCT` (30) % of the relays are
//! killed (SIGKILL) `FED_KILL_AFTER_MS` (500) ms into a burst:
//! - `FED_SESSIONS` (100) concurrent 3-of-3 sessions, one per group: share completed and
//!   create → signature p50/p99; in the burst the relays die in, sessions whose signers each
//!   keep a live relay are counted apart from those where a signer lost all of its relays;
//! - DHT look-ups: `FED_LOOKUPS` (100) route records fetched by a Kademlia client that
//!   enters through one random live relay, until the first valid record;
//! - advertisement propagation: `FED_ADVERTS` (30) advertisements, each from another wallet,
//!   timed until each watcher (one wallet on each relay) validated it;
//! - recovery: for each wallet that lost a reservation, time from the kill until it holds
//!   as many as before again.
//!
//! Run (release relay and wallets):
//! `cargo build --release -p musig2-relay && cargo bench -p musig2-net --bench federation`

#[path = "../../tests/common/relay.rs"]
#[allow(dead_code)]
mod relay;

#[path = "../common/mod.rs"]
mod common;

mod lookup;
mod report;
mod topology;
mod worker;

fn main() {
    common::worker::main(worker::run, report::run);
}
