//! Issue 13, classes 4 and 5 (tables): identity tiers resolved asynchronously by the driver
//! ([`CachedTiers`], `Event::IdentityClaimSeen`, `Machine::set_identity_tier`) and the
//! reputation table under churn of throwaway offenders. Each test checks that the attack has
//! no effect and that an honest session alongside completes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::arena::key_of;
use common::open::{advertisement, bound_sim, complete, get_banned, GARBAGE, MSG};
use common::*;
use musig2_session::identity::{CachedTiers, IdentityTier};
use musig2_session::reputation::Standing;
use musig2_session::wire::{IdentityClaim, OutPoint, TweakSpec};
use musig2_session::{Config, ElectionMethod, Error, Event, PeerId};

fn claim(n: u64) -> IdentityClaim {
    let mut txid = [0u8; 32];
    txid[..8].copy_from_slice(&n.to_be_bytes());
    IdentityClaim {
        registration: OutPoint { txid, vout: 1 },
        rotation: None,
    }
}

fn advert(sk: &[u8; 32], peer: &PeerId, now: u64, identity: Option<IdentityClaim>) -> Vec<u8> {
    advertisement(sk, peer, identity, now, now + 600_000, now * 1024)
}

fn claims_seen(sim: &Sim, at: usize, key: &[u8; 33]) -> Vec<IdentityClaim> {
    sim.nodes[at]
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::IdentityClaimSeen { key: k, claim, .. } if k == key => Some(*claim),
            _ => None,
        })
        .collect()
}

/// Class 5, tiers in shipped code: a peer at the unverified cap (10) is refused its 11th key;
/// the driver learns the claim once (`IdentityClaimSeen`), resolves it and reports the tier
/// with `set_identity_tier`; the key is then admitted under the verified cap (50) and listed
/// as verified. A different claim for the same key does not inherit the tier, a flood of
/// unresolved claims from many identities cannot stop a new claim being asked for, and an
/// honest session completes alongside.
#[test]
fn resolved_tiers_raise_the_cap_and_claims_are_asked_for_once() {
    let mut sim = bound_sim(201);
    let cfg = Config::default();
    let verifier = CachedTiers::new(cfg.max_known_signers);
    sim.nodes[1]
        .machine
        .as_mut()
        .unwrap()
        .set_identity_verifier(Box::new(verifier));
    let p = PeerId::new(b"multi-key signer".to_vec());
    let sks: Vec<[u8; 32]> = (0..12).map(|i| secret(4_242, i)).collect();
    for (i, sk) in sks.iter().enumerate().take(10) {
        sim.now += cfg.advert_interval_ms;
        let now = sim.now;
        sim.inject(1, &p, &advert(sk, &p, now, Some(claim(i as u64))))
            .unwrap();
    }
    let k10 = key_of(&sks[10]);
    sim.now += cfg.advert_interval_ms;
    let now = sim.now;
    assert_eq!(
        sim.inject(1, &p, &advert(&sks[10], &p, now, Some(claim(10)))),
        Err(Error::KeyCapExceeded { cap: 10 })
    );
    assert_eq!(
        claims_seen(&sim, 1, &k10),
        vec![claim(10)],
        "asked for once"
    );
    sim.now += cfg.advert_interval_ms;
    let now = sim.now;
    assert_eq!(
        sim.inject(1, &p, &advert(&sks[10], &p, now, Some(claim(10)))),
        Err(Error::KeyCapExceeded { cap: 10 })
    );
    assert_eq!(claims_seen(&sim, 1, &k10).len(), 1, "not asked for again");

    // The driver resolves the claim (e.g. a JS chain look-up) and reports the tier.
    let m = sim.nodes[1].machine.as_mut().unwrap();
    assert!(m.set_identity_tier(k10, claim(10), IdentityTier::Verified));
    sim.now += cfg.advert_interval_ms;
    let now = sim.now;
    sim.inject(1, &p, &advert(&sks[10], &p, now, Some(claim(10))))
        .unwrap();
    let m = sim.nodes[1].machine.as_ref().unwrap();
    let known = m.known_signers("spend", sim.now);
    assert!(known
        .iter()
        .any(|(k, peer, t)| *k == k10 && *peer == p && *t == IdentityTier::Verified));
    assert!(sim.nodes[1].events.iter().any(|(_, e)| matches!(e,
        Event::SignerDiscovered { key, tier: IdentityTier::Verified, .. } if *key == k10)));

    // The tier is bound to the claim: the 12th key presenting claim 10 is unverified.
    let k11 = key_of(&sks[11]);
    sim.now += cfg.advert_interval_ms;
    let now = sim.now;
    assert_eq!(
        sim.inject(1, &p, &advert(&sks[11], &p, now, Some(claim(10)))),
        Err(Error::KeyCapExceeded { cap: 10 })
    );
    assert_eq!(claims_seen(&sim, 1, &k11), vec![claim(10)]);

    // 3,000 identities each present an unresolved claim; a new claim is still asked for.
    sim.now += cfg.advert_interval_ms;
    let now = sim.now;
    for n in 0..3_000u64 {
        let q = PeerId::new(format!("claimer {n}").into_bytes());
        let sk = secret(50_000 + n, 0);
        let _ = sim.inject(1, &q, &advert(&sk, &q, now, Some(claim(100_000 + n))));
    }
    let late = secret(99_999, 0);
    let q = PeerId::new(b"late claimer".to_vec());
    sim.inject(1, &q, &advert(&late, &q, now, Some(claim(7_777))))
        .unwrap();
    assert_eq!(claims_seen(&sim, 1, &key_of(&late)), vec![claim(7_777)]);

    // A machine without a caching verifier ignores reported tiers.
    let m0 = sim.nodes[0].machine.as_mut().unwrap();
    assert!(!m0.set_identity_tier(k10, claim(10), IdentityTier::Institutional));

    let id = sim.create(0, MSG, ElectionMethod::Lexicographic, TweakSpec::None);
    complete(&mut sim, &id);
}

/// Class 4: 5,000 throwaway peers each get themselves banned (undecodable bytes until the
/// ban score, no signature work); a fresh attacker is still penalized, then graylisted, then
/// banned, the honest co-signers keep their standing, and an honest session completes.
#[test]
fn a_new_offender_is_still_banned_after_thousands_of_banned_throwaways() {
    let mut sim = bound_sim(202);
    let first = sim.create(0, MSG, ElectionMethod::Lexicographic, TweakSpec::None);
    complete(&mut sim, &first);
    let honest = [sim.nodes[0].peer.clone(), sim.nodes[2].peer.clone()];
    let m = sim.nodes[1].machine.as_ref().unwrap();
    let before: Vec<i32> = honest.iter().map(|p| m.reputation(p)).collect();
    assert!(before.iter().all(|&s| s > 0));
    let garbage = GARBAGE;
    let mut banned = 0;
    for k in 0u32..5_000 {
        get_banned(&mut sim, 1, &PeerId::new(k.to_be_bytes().to_vec()));
        banned += 1;
    }
    assert_eq!(banned, 5_000);
    let fresh = PeerId::new(b"the next offender".to_vec());
    let _ = sim.inject(1, &fresh, garbage);
    let m = sim.nodes[1].machine.as_ref().unwrap();
    assert!(m.reputation(&fresh) < 0, "a new offender is penalized");
    assert_eq!(m.standing(&fresh, sim.now), Standing::Good);
    let mut gray = false;
    for _ in 0..1_000 {
        let _ = sim.inject(1, &fresh, garbage);
        let m = sim.nodes[1].machine.as_ref().unwrap();
        match m.standing(&fresh, sim.now) {
            Standing::Graylisted { .. } => gray = true,
            Standing::Blacklisted => break,
            Standing::Good => {}
        }
        // Past the graylisting, the offender tries again.
        sim.now += Config::default().graylist_duration_ms;
    }
    let m = sim.nodes[1].machine.as_ref().unwrap();
    assert!(gray, "graylisted on the way");
    assert_eq!(m.standing(&fresh, sim.now), Standing::Blacklisted);
    assert_eq!(sim.inject(1, &fresh, garbage), Err(Error::Blacklisted));
    let m = sim.nodes[1].machine.as_ref().unwrap();
    let after: Vec<i32> = honest.iter().map(|p| m.reputation(p)).collect();
    assert_eq!(after, before, "honest standing kept through the churn");
    let id = sim.create(0, MSG, ElectionMethod::HashBased, TweakSpec::None);
    complete(&mut sim, &id);
}

/// Class 6, reputation across a rotation linked by the driver (`inherit_standing`, for links
/// the machine does not see itself; the machine's own linking is in identity_rotation.rs):
/// a banned key's successor does not get a clean slate; a rotated-in key of a peer in good
/// standing keeps that standing; an honest session completes alongside.
#[test]
fn a_rotated_in_key_inherits_the_old_keys_standing() {
    let mut sim = bound_sim(203);
    let first = sim.create(0, MSG, ElectionMethod::Lexicographic, TweakSpec::None);
    complete(&mut sim, &first);
    let garbage = GARBAGE;
    let old = PeerId::new(b"old key of a flooder".to_vec());
    get_banned(&mut sim, 1, &old);
    let new = PeerId::new(b"rotated-in key".to_vec());
    let now = sim.now;
    let m = sim.nodes[1].machine.as_mut().unwrap();
    assert_eq!(
        m.standing(&new, now),
        Standing::Good,
        "unlinked: a clean slate"
    );
    m.inherit_standing(&old, &new, now);
    assert_eq!(m.standing(&new, now), Standing::Blacklisted);
    assert_eq!(sim.inject(1, &new, garbage), Err(Error::Blacklisted));

    // Good standing follows too (node 0 rotates to a fresh key's peer).
    let good = sim.nodes[0].peer.clone();
    let rotated = PeerId::new(b"node 0 after rotation".to_vec());
    let m = sim.nodes[1].machine.as_mut().unwrap();
    let score = m.reputation(&good);
    assert!(score > 0);
    m.inherit_standing(&good, &rotated, now);
    assert_eq!(m.reputation(&rotated), score);
    // A punished key cannot improve by inheriting a better record.
    m.inherit_standing(&good, &new, now);
    assert_eq!(m.standing(&new, now), Standing::Blacklisted);

    let id = sim.create(0, MSG, ElectionMethod::HashBased, TweakSpec::None);
    complete(&mut sim, &id);
}
