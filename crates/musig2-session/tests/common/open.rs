//! Helpers of the open-network tests (issue 13): machines bound as musig2-net binds them,
//! signed envelopes and advertisements of arbitrary keys, and the honest-session check.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use super::arena::{key_of, seal};
use super::*;
use musig2_session::wire::{Advertisement, Envelope, IdentityClaim, Message, SchemeId, TweakSpec};
use musig2_session::{Config, PeerId};

/// The message honest sessions sign.
pub const MSG: &[u8] = b"open network session";

/// Three honest nodes taking envelopes only from their key's peer, events recorded.
pub fn bound_sim(seed: u64) -> Sim {
    let mut sim = Sim::new(
        seed,
        3,
        NetParams {
            latency_min: 5,
            latency_max: 20,
            loss: 0,
            dup: 0,
        },
        Config::default(),
    );
    sim.bind_peers();
    sim.record = true;
    sim
}

/// Runs until every node completed session `id` (attacks unblocked) and checks the signature.
pub fn complete(sim: &mut Sim, id: &[u8; 32]) {
    sim.blocked.clear();
    let id = *id;
    assert!(
        sim.run_while(sim.now + 120_000, |s| s.all_completed(&id)),
        "honest session did not complete"
    );
    let keys = sim.keys();
    let sig = sim.signatures(0, &id)[0];
    assert!(verify_final(&keys, TweakSpec::None, MSG, &sig));
}

/// A signed envelope of `sk` for `session`, timestamped `now`.
pub fn envelope(
    sk: &[u8; 32],
    session: [u8; 32],
    attempt: u32,
    seq: u64,
    now: u64,
    m: Message,
) -> Vec<u8> {
    seal(
        sk,
        Envelope {
            scheme: SchemeId::Bip327,
            session_id: session,
            sender: key_of(sk),
            attempt,
            seq,
            timestamp: now,
            message: m,
            signature: [0; 64],
        },
    )
}

/// An advertisement of `sk`'s key for transaction type "spend", published by `peer`.
pub fn advertisement(
    sk: &[u8; 32],
    peer: &PeerId,
    identity: Option<IdentityClaim>,
    now: u64,
    expires_at: u64,
    seq: u64,
) -> Vec<u8> {
    let ad = Advertisement {
        tx_types: vec!["spend".into()],
        peer_id: peer.0.clone(),
        identity,
        expires_at,
    };
    envelope(sk, [0; 32], 0, seq, now, Message::Advertisement(ad))
}

/// Undecodable bytes: a penalty for the sender, and no signature work for the receiver.
pub const GARBAGE: &[u8] = b"\x01\xff not an envelope";

/// Floods node `at` with [`GARBAGE`] from `peer` until it is blacklisted there (waiting out
/// each graylisting); at most 1,000 messages.
pub fn get_banned(sim: &mut Sim, at: usize, peer: &PeerId) {
    for _ in 0..1_000 {
        match sim.inject(at, peer, GARBAGE) {
            Err(musig2_session::Error::Blacklisted) => return,
            Err(musig2_session::Error::Graylisted) => {
                sim.now += Config::default().graylist_duration_ms
            }
            _ => {}
        }
    }
    panic!("never banned");
}

/// A [`bound_sim`] whose first honest session completed (the co-signers have standing at
/// every node).
pub fn sim_after_a_session(seed: u64) -> Sim {
    let mut sim = bound_sim(seed);
    let first = sim.create(
        0,
        MSG,
        musig2_session::ElectionMethod::Lexicographic,
        TweakSpec::None,
    );
    complete(&mut sim, &first);
    sim
}

/// Runs one more honest session (hash-based election) to completion.
pub fn another_session_completes(sim: &mut Sim) {
    let id = sim.create(
        0,
        MSG,
        musig2_session::ElectionMethod::HashBased,
        TweakSpec::None,
    );
    complete(sim, &id);
}
