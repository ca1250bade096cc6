//! Issue 13, class 6 (burn identity), the machine: reputation follows a verified identity
//! across a rotation, decided in the session layer (with a synchronous `BurnVerifier` on
//! advertisement, and with tiers the application resolves through `set_identity_tier`), and
//! only verified claims link keys. Each test checks that the attack has no effect and that an
//! honest session alongside completes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::arena::key_of;
use common::chain::FakeChain;
use common::open::{
    advertisement, another_session_completes, get_banned, sim_after_a_session, GARBAGE,
};
use common::*;
use musig2_session::identity::{CachedTiers, IdentityTier};
use musig2_session::reputation::Standing;
use musig2_session::wire::{IdentityClaim, KeyBytes};
use musig2_session::{Config, Error, Event, PeerId};

/// The node that judges the adverts.
const AT: usize = 1;

/// Registration height and the tip at which it has matured.
const REG: u64 = 100;
const TIP: u64 = 400;

/// A sim whose first honest session completed (co-signers have standing at node `AT`), with
/// node `AT` verifying identities against `chain`.
fn sim_with_chain(seed: u64, chain: &FakeChain) -> Sim {
    let mut sim = sim_after_a_session(seed);
    sim.nodes[AT]
        .machine
        .as_mut()
        .unwrap()
        .set_identity_verifier(Box::new(chain.verifier()));
    sim
}

/// Three keys of one party (`seed`) and a transport peer for each.
fn throwaway_keys(seed: u64) -> (Vec<[u8; 32]>, Vec<PeerId>) {
    let sks = (0..3).map(|i| secret(seed, i)).collect();
    let peers = (0..3)
        .map(|i| PeerId::new(format!("key {i} of party {seed}").into_bytes()))
        .collect();
    (sks, peers)
}

/// A chain, a sim verifying against it at node `AT`, and honest node 0's identity
/// registered on it (its secret key, peer and claim).
struct Registered {
    chain: FakeChain,
    sim: Sim,
    sk: [u8; 32],
    peer: PeerId,
    claim: IdentityClaim,
}

fn node0_registered(seed: u64) -> Registered {
    let chain = FakeChain::at(TIP);
    let sim = sim_with_chain(seed, &chain);
    let (sk, peer) = (sim.nodes[0].sk, sim.nodes[0].peer.clone());
    let claim = chain.register(&key_of(&sk), REG);
    Registered {
        chain,
        sim,
        sk,
        peer,
        claim,
    }
}

/// Delivers an advertisement of `sk`'s key with `claim`, published by `peer`, to node `AT`
/// one advertisement interval later.
fn advertise(
    sim: &mut Sim,
    sk: &[u8; 32],
    peer: &PeerId,
    claim: Option<IdentityClaim>,
) -> Result<(), Error> {
    sim.now += Config::default().advert_interval_ms;
    let now = sim.now;
    let bytes = advertisement(sk, peer, claim, now, now + 600_000, now * 1024);
    sim.inject(AT, peer, &bytes)
}

fn tier_listed(sim: &Sim, key: &KeyBytes) -> Option<IdentityTier> {
    let m = sim.nodes[AT].machine.as_ref().unwrap();
    m.known_signers("spend", sim.now)
        .into_iter()
        .find(|(k, _, _)| k == key)
        .map(|(_, _, t)| t)
}

fn standing(sim: &Sim, peer: &PeerId) -> Standing {
    sim.nodes[AT]
        .machine
        .as_ref()
        .unwrap()
        .standing(peer, sim.now)
}

fn score(sim: &Sim, peer: &PeerId) -> i32 {
    sim.nodes[AT].machine.as_ref().unwrap().reputation(peer)
}

fn machine(sim: &mut Sim) -> &mut musig2_session::Machine {
    sim.nodes[AT].machine.as_mut().unwrap()
}

fn banned_event(sim: &Sim, peer: &PeerId) -> bool {
    sim.nodes[AT]
        .events
        .iter()
        .any(|(_, e)| matches!(e, Event::PeerBanned { peer: p } if p == peer))
}

/// A key banned for flooding rotates its identity to a new key through a valid chain: the
/// new key is banned as soon as its advertisement shows the rotation (refused, not listed,
/// reported as `PeerBanned`), and a second rotation does not shake it off either.
#[test]
fn a_banned_key_that_rotates_stays_banned() {
    let chain = FakeChain::at(TIP);
    let mut sim = sim_with_chain(301, &chain);
    let (sks, peers) = throwaway_keys(3_010);
    let reg = chain.register(&key_of(&sks[0]), REG);
    advertise(&mut sim, &sks[0], &peers[0], Some(reg)).unwrap();
    assert_eq!(
        tier_listed(&sim, &key_of(&sks[0])),
        Some(IdentityTier::Verified)
    );
    get_banned(&mut sim, AT, &peers[0]);

    let rotated = chain.rotate(&reg, &sks[0], &key_of(&sks[1]), TIP);
    chain.set_tip(TIP + 5);
    assert_eq!(
        advertise(&mut sim, &sks[1], &peers[1], Some(rotated)),
        Err(Error::Blacklisted)
    );
    assert_eq!(standing(&sim, &peers[1]), Standing::Blacklisted);
    assert!(banned_event(&sim, &peers[1]));
    assert_eq!(tier_listed(&sim, &key_of(&sks[1])), None, "not listed");
    assert_eq!(sim.inject(AT, &peers[1], GARBAGE), Err(Error::Blacklisted));

    // A second link (banned key 1 to key 2): still banned.
    let again = chain.rotate(&rotated, &sks[1], &key_of(&sks[2]), TIP + 5);
    chain.set_tip(TIP + 10);
    assert_eq!(
        advertise(&mut sim, &sks[2], &peers[2], Some(again)),
        Err(Error::Blacklisted)
    );
    assert_eq!(standing(&sim, &peers[2]), Standing::Blacklisted);

    another_session_completes(&mut sim);
}

/// An honest co-signer (node 0, positive score at node `AT` from a completed session)
/// rotates its identity to a fresh key: the new key keeps the score and is listed as
/// verified; the old key is revoked (listed unverified from its next advertisement); the
/// honest session completes.
#[test]
fn a_good_key_that_rotates_keeps_its_score() {
    let Registered {
        chain,
        mut sim,
        sk: old_sk,
        peer: old_peer,
        claim: reg,
    } = node0_registered(302);
    advertise(&mut sim, &old_sk, &old_peer, Some(reg)).unwrap();
    let before = score(&sim, &old_peer);
    assert!(before > 0, "standing from the first session");

    let new_sk = secret(3_020, 0);
    let new_peer = PeerId::new(b"node 0 after its rotation".to_vec());
    let rotated = chain.rotate(&reg, &old_sk, &key_of(&new_sk), TIP);
    chain.set_tip(TIP + 5);
    assert_eq!(score(&sim, &new_peer), 0, "unlinked: nothing");
    advertise(&mut sim, &new_sk, &new_peer, Some(rotated)).unwrap();
    assert_eq!(score(&sim, &new_peer), before);
    assert_eq!(standing(&sim, &new_peer), Standing::Good);
    assert_eq!(
        tier_listed(&sim, &key_of(&new_sk)),
        Some(IdentityTier::Verified)
    );
    advertise(&mut sim, &old_sk, &old_peer, Some(reg)).unwrap();
    assert_eq!(
        tier_listed(&sim, &key_of(&old_sk)),
        Some(IdentityTier::Unverified),
        "revoked"
    );

    another_session_completes(&mut sim);
}

/// An attacker with a bad record claims an honest signer's identity without a valid chain
/// (no rotation, a rotation it signed itself) and rotates its own verified identity to the
/// victim's key: the attacker gets none of the victim's standing, the victim none of the
/// attacker's, and the victim's later genuine rotation carries the victim's score, not the
/// attacker's.
#[test]
fn an_unverified_claim_on_a_victims_identity_moves_no_standing() {
    let Registered {
        chain,
        mut sim,
        sk: victim_sk,
        peer: victim_peer,
        claim: victim,
    } = node0_registered(303);
    let thief_sk = secret(3_030, 0);
    let thief_peer = PeerId::new(b"identity thief".to_vec());
    for _ in 0..2 {
        let _ = sim.inject(AT, &thief_peer, GARBAGE);
    }
    let (victim_score, thief_score) = (score(&sim, &victim_peer), score(&sim, &thief_peer));
    assert!(victim_score > 0 && thief_score < 0);

    // The thief first: its claims do not verify, so nothing is linked.
    let forged = chain.rotate(&victim, &thief_sk, &key_of(&thief_sk), TIP);
    chain.set_tip(TIP + 5);
    for claim in [victim, forged] {
        advertise(&mut sim, &thief_sk, &thief_peer, Some(claim)).unwrap();
        assert_eq!(
            tier_listed(&sim, &key_of(&thief_sk)),
            Some(IdentityTier::Unverified)
        );
    }
    assert_eq!(score(&sim, &thief_peer), thief_score);
    // The thief's own identity, rotated to the victim's key, frames nobody: only the
    // victim's own advertisement can name the identity it holds.
    let own = chain.register(&key_of(&thief_sk), REG);
    advertise(&mut sim, &thief_sk, &thief_peer, Some(own)).unwrap();
    let to_victim = chain.rotate(&own, &thief_sk, &key_of(&victim_sk), TIP + 5);
    chain.set_tip(TIP + 10);
    advertise(&mut sim, &victim_sk, &victim_peer, Some(victim)).unwrap();
    assert_eq!(
        tier_listed(&sim, &key_of(&victim_sk)),
        Some(IdentityTier::Verified)
    );
    assert_eq!(score(&sim, &victim_peer), victim_score);
    assert_eq!(
        advertise(&mut sim, &thief_sk, &thief_peer, Some(to_victim)),
        Ok(())
    );
    assert_eq!(score(&sim, &thief_peer), thief_score);

    // The victim's genuine rotation carries its own score.
    let new_sk = secret(3_031, 0);
    let new_peer = PeerId::new(b"victim after its rotation".to_vec());
    let rotated = chain.rotate(&victim, &victim_sk, &key_of(&new_sk), TIP + 10);
    chain.set_tip(TIP + 15);
    advertise(&mut sim, &new_sk, &new_peer, Some(rotated)).unwrap();
    assert_eq!(score(&sim, &new_peer), victim_score);
    assert_eq!(score(&sim, &victim_peer), victim_score);

    another_session_completes(&mut sim);
}

/// Tiers the application resolves (`CachedTiers`, `set_identity_tier`) link keys too: a
/// banned identity's rotated-in key is banned the moment its verified tier is reported
/// (its directory entry's peer inherits the ban), while a tier reported as unverified links
/// nothing.
#[test]
fn resolved_tiers_carry_standing_across_a_rotation() {
    let mut sim = sim_after_a_session(304);
    let cap = Config::default().max_known_signers;
    machine(&mut sim).set_identity_verifier(Box::new(CachedTiers::new(cap)));
    let chain = FakeChain::at(TIP);
    let (sks, peers) = throwaway_keys(3_040);
    let reg = chain.register(&key_of(&sks[0]), REG);
    advertise(&mut sim, &sks[0], &peers[0], Some(reg)).unwrap();
    assert!(machine(&mut sim).set_identity_tier(key_of(&sks[0]), reg, IdentityTier::Verified));
    get_banned(&mut sim, AT, &peers[0]);

    // An unverified answer for another key claiming the identity links nothing.
    advertise(&mut sim, &sks[2], &peers[2], Some(reg)).unwrap();
    assert!(machine(&mut sim).set_identity_tier(key_of(&sks[2]), reg, IdentityTier::Unverified));
    assert_eq!(standing(&sim, &peers[2]), Standing::Good);

    let rotated = chain.rotate(&reg, &sks[0], &key_of(&sks[1]), TIP);
    advertise(&mut sim, &sks[1], &peers[1], Some(rotated)).unwrap();
    assert_eq!(standing(&sim, &peers[1]), Standing::Good);
    let k1 = key_of(&sks[1]);
    assert!(machine(&mut sim).set_identity_tier(k1, rotated, IdentityTier::Verified));
    sim.drain(AT);
    assert_eq!(standing(&sim, &peers[1]), Standing::Blacklisted);
    assert!(banned_event(&sim, &peers[1]));
    assert_eq!(
        advertise(&mut sim, &sks[1], &peers[1], Some(rotated)),
        Err(Error::Blacklisted)
    );

    another_session_completes(&mut sim);
}
