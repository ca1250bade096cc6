//! Issue 13, class 6 (burn identity), the verifier: rotation chains are followed from the
//! registered key, only the chain's end key (with a claim naming the last link) gets the
//! tier, every earlier key is revoked, forged or out-of-order links are ignored, and the work
//! is bounded. Fake chain: `common::chain`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::arena::key_of;
use common::chain::{rotation_script, FakeChain};
use common::secret;
use musig2_session::identity::{
    identity_id, IdentityTier, IdentityVerifier, MAX_ROTATION_LINKS, MAX_ROTATION_OUTPUTS,
};
use musig2_session::wire::{IdentityClaim, KeyBytes};

const REG_HEIGHT: u64 = 100;

fn make_keys(n: usize) -> (Vec<[u8; 32]>, Vec<KeyBytes>) {
    let sks: Vec<[u8; 32]> = (0..n).map(|i| secret(600, i)).collect();
    let keys = sks.iter().map(key_of).collect();
    (sks, keys)
}

/// A registered to key 0, then rotated i -> i+1 at heights 300, 310, ...; the claims of
/// every key along the chain (index i: key i's claim).
fn chain_of(chain: &FakeChain, sks: &[[u8; 32]], keys: &[KeyBytes]) -> Vec<IdentityClaim> {
    let mut claims = vec![chain.register(&keys[0], REG_HEIGHT)];
    for i in 1..keys.len() {
        let prev = claims[i - 1];
        claims.push(chain.rotate(&prev, &sks[i - 1], &keys[i], 300 + 10 * i as u64));
    }
    claims
}

/// An identity registered to key 0 and rotated once to key 1, at tip `tip`.
struct Rotated {
    chain: FakeChain,
    sks: Vec<[u8; 32]>,
    keys: Vec<KeyBytes>,
    claims: Vec<IdentityClaim>,
    id: [u8; 32],
}

fn rotated_once(tip: u64) -> Rotated {
    let chain = FakeChain::at(tip);
    let (sks, keys) = make_keys(2);
    let claims = chain_of(&chain, &sks, &keys);
    let id = identity_id(&claims[0].registration);
    Rotated {
        chain,
        sks,
        keys,
        claims,
        id,
    }
}

/// Confirms `n` forged (stranger-signed) rotation outputs of `id`, all indexed.
fn stuff(chain: &FakeChain, id: &[u8; 32], to: &KeyBytes, n: usize) {
    let junk = rotation_script(&secret(603, 0), id, to);
    for i in 0..n {
        chain.confirm(junk.clone(), 0, 400 + i as u64, Some(*id));
    }
}

fn tier(chain: &FakeChain, key: &KeyBytes, claim: &IdentityClaim) -> IdentityTier {
    chain.verifier().tier(key, Some(claim))
}

/// A -> B -> C -> D: only D, with the claim naming the third link, is verified; every
/// earlier key is revoked under every claim, and D under a stale claim is not verified.
/// Until the last link matures the chain ends at C.
#[test]
fn a_three_link_chain_verifies_only_its_end_key() {
    let chain = FakeChain::at(400);
    let (sks, keys) = make_keys(4);
    let claims = chain_of(&chain, &sks, &keys);
    for (k, key) in keys.iter().enumerate() {
        for (c, claim) in claims.iter().enumerate() {
            let want = if k == 3 && c == 3 {
                IdentityTier::Verified
            } else {
                IdentityTier::Unverified
            };
            assert_eq!(tier(&chain, key, claim), want, "key {k} with claim {c}");
        }
    }
    let v = chain.verifier();
    assert_eq!(
        v.identity(&keys[3], &claims[3]),
        Some(identity_id(&claims[0].registration))
    );
    assert_eq!(v.identity(&keys[0], &claims[0]), None, "revoked");
    // The last link (height 330) has 5 confirmations at 334: the chain ends at C.
    chain.set_tip(334);
    assert_eq!(tier(&chain, &keys[2], &claims[2]), IdentityTier::Verified);
    assert_eq!(tier(&chain, &keys[3], &claims[3]), IdentityTier::Unverified);
    chain.set_tip(335);
    assert_eq!(tier(&chain, &keys[3], &claims[3]), IdentityTier::Verified);
    assert_eq!(tier(&chain, &keys[2], &claims[2]), IdentityTier::Unverified);
}

/// Links not signed by the key current at that point are ignored: a thief's own signature,
/// the revoked registered key signing a second rotation after the first (a stolen old key
/// cannot take the identity back), and a link signed by B but lower than the link that made
/// B current (even when the index lists it later). The holder keeps the identity.
#[test]
fn forged_and_out_of_order_links_are_ignored() {
    let Rotated {
        chain,
        sks,
        keys,
        claims,
        id,
    } = rotated_once(400);
    let thief_sk = secret(601, 0);
    let thief = key_of(&thief_sk);
    let forged = |signer: &[u8; 32], height| IdentityClaim {
        registration: claims[0].registration,
        rotation: Some(chain.confirm(rotation_script(signer, &id, &thief), 0, height, Some(id))),
    };
    let by_thief = forged(&thief_sk, 320);
    let by_old_key = forged(&sks[0], 330);
    let too_low = forged(&sks[1], 305);
    let earlier = forged(&sks[1], 200);
    for claim in [by_thief, by_old_key, too_low, earlier] {
        assert_eq!(tier(&chain, &thief, &claim), IdentityTier::Unverified);
    }
    assert_eq!(tier(&chain, &keys[1], &claims[1]), IdentityTier::Verified);
    assert_eq!(tier(&chain, &keys[0], &claims[0]), IdentityTier::Unverified);
    // An unsigned rotation output is no link either.
    let unsigned = common::chain::burn_script(0x02, &[id.as_slice(), &thief].concat());
    let claim = IdentityClaim {
        registration: claims[0].registration,
        rotation: Some(chain.confirm(unsigned, 0, 340, Some(id))),
    };
    assert_eq!(tier(&chain, &thief, &claim), IdentityTier::Unverified);
    assert_eq!(tier(&chain, &keys[1], &claims[1]), IdentityTier::Verified);
}

/// Bounds: a chain of `MAX_ROTATION_LINKS` links verifies its end key; one more link makes
/// the identity unverified for every key (bounded work, no unbounded walk). More than
/// `MAX_ROTATION_OUTPUTS` rotation outputs reported for one identity (forged ones count)
/// fail closed the same way.
#[test]
fn chain_length_and_candidates_are_bounded() {
    let chain = FakeChain::at(2_000);
    let (sks, keys) = make_keys(MAX_ROTATION_LINKS + 2);
    let claims = chain_of(
        &chain,
        &sks[..=MAX_ROTATION_LINKS],
        &keys[..=MAX_ROTATION_LINKS],
    );
    let end = MAX_ROTATION_LINKS;
    assert_eq!(
        tier(&chain, &keys[end], &claims[end]),
        IdentityTier::Verified
    );
    let longer = chain.rotate(&claims[end], &sks[end], &keys[end + 1], 1_000);
    assert_eq!(
        tier(&chain, &keys[end + 1], &longer),
        IdentityTier::Unverified
    );
    assert_eq!(
        tier(&chain, &keys[end], &claims[end]),
        IdentityTier::Unverified
    );
    assert_eq!(tier(&chain, &keys[0], &claims[0]), IdentityTier::Unverified);

    let Rotated {
        chain: other,
        keys,
        claims,
        id,
        ..
    } = rotated_once(2_000);
    stuff(&other, &id, &keys[0], MAX_ROTATION_OUTPUTS - 1);
    assert_eq!(
        tier(&other, &keys[1], &claims[1]),
        IdentityTier::Verified,
        "at the bound"
    );
    stuff(&other, &id, &keys[0], 1);
    assert_eq!(tier(&other, &keys[1], &claims[1]), IdentityTier::Unverified);
}

/// Bounded work per advertisement: an identity stuffed with `MAX_ROTATION_OUTPUTS` forged
/// rotation outputs costs one walk; repeating the claim, or naming an arbitrary rotation of
/// one's own, reuses it (registration and claimed rotation looked up, nothing else) until the
/// tip or the index changes.
#[test]
fn repeated_claims_reuse_the_walk() {
    let r = rotated_once(2_000);
    let (chain, id) = (&r.chain, r.id);
    stuff(chain, &id, &r.keys[0], MAX_ROTATION_OUTPUTS - 1);
    let v = chain.verifier();
    let cost = |claim: &IdentityClaim, key: &KeyBytes| {
        let before = chain.lookups();
        let tier = v.tier(key, Some(claim));
        (tier, chain.lookups() - before)
    };
    let (tier, first) = cost(&r.claims[1], &r.keys[1]);
    assert_eq!(tier, IdentityTier::Verified);
    assert!(
        first >= MAX_ROTATION_OUTPUTS as u64,
        "the first walk reads every candidate"
    );
    assert_eq!(cost(&r.claims[1], &r.keys[1]), (IdentityTier::Verified, 1));
    let stranger = secret(604, 0);
    let own = IdentityClaim {
        registration: r.claims[0].registration,
        rotation: Some(chain.confirm(
            rotation_script(&stranger, &id, &key_of(&stranger)),
            0,
            1_500,
            None,
        )),
    };
    assert_eq!(
        cost(&own, &key_of(&stranger)),
        (IdentityTier::Unverified, 2)
    );
    chain.set_tip(2_001);
    let (tier, again) = cost(&r.claims[1], &r.keys[1]);
    assert_eq!(tier, IdentityTier::Verified);
    assert!(
        again >= MAX_ROTATION_OUTPUTS as u64,
        "a new tip walks again"
    );
}

/// Compatibility with a chain view that indexes no rotations: the claim's own rotation is
/// the one link considered, so a single rotation still verifies its new key; a longer chain
/// needs the index (its earlier links are unknown), and without the index nothing is
/// revoked.
#[test]
fn a_claims_rotation_is_a_hint_checked_like_any_link() {
    let chain = FakeChain::at(400);
    let (sks, keys) = make_keys(3);
    let reg = chain.register(&keys[0], REG_HEIGHT);
    let id = identity_id(&reg.registration);
    let unindexed = |signer: &[u8; 32], key: &KeyBytes, height| IdentityClaim {
        registration: reg.registration,
        rotation: Some(chain.confirm(rotation_script(signer, &id, key), 0, height, None)),
    };
    let first = unindexed(&sks[0], &keys[1], 300);
    let second = unindexed(&sks[1], &keys[2], 310);
    assert_eq!(tier(&chain, &keys[1], &first), IdentityTier::Verified);
    assert_eq!(tier(&chain, &keys[0], &reg), IdentityTier::Verified);
    assert_eq!(tier(&chain, &keys[2], &second), IdentityTier::Unverified);
    assert_eq!(
        chain.verifier().tier(&keys[1], None),
        IdentityTier::Unverified
    );
}
