//! Seeded simulation: many scenarios of random size, network faults, crashes and restarts,
//! each checked against the protocol invariants.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use common::*;
use musig2_session::wire::TweakSpec;
use musig2_session::{Config, ElectionMethod};

#[test]
fn three_nodes_on_a_perfect_network_complete() {
    let mut sim = Sim::new(1, 3, NetParams::perfect(), Config::default());
    let id = sim.create(0, b"hello", ElectionMethod::Lexicographic, TweakSpec::None);
    let ok = sim.run_while(T0 + 60_000, |s| s.all_completed(&id));
    for n in &sim.nodes {
        assert!(n.errors.is_empty(), "{:?}", n.errors);
    }
    assert!(
        ok,
        "phases: {:?}",
        (0..3).map(|i| sim.phase(i, &id)).collect::<Vec<_>>()
    );
    for i in 0..3 {
        let sigs = sim.signatures(i, &id);
        assert!(!sigs.is_empty());
        assert!(sigs
            .iter()
            .all(|s| verify_final(&sim.keys(), TweakSpec::None, b"hello", s)));
    }
}
