//! Adversarial suite, part 1: signed but hostile messages (forgery, impersonation, outsiders,
//! replay, sequence regression, phase violations, equivocation, invalid contributions).
//! Each is rejected, the offender loses exactly its penalty, and the honest session completes.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use common::arena::*;
use common::*;
use musig2_session::wire::{Envelope, Kind, Message};
use musig2_session::{Error, Phase};

#[test]
fn a01_forged_signature() {
    let mut a = Arena::new(1, false);
    let mut bytes = a.outsider(Message::Join);
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let p = a.attacker.clone();
    a.expect(&p, &bytes, |e| *e == Error::InvalidSignature);
    a.finish();
}

#[test]
fn a02_impersonated_sender() {
    let mut a = Arena::new(2, false);
    let honest = a.sim.nodes[0].key;
    let env = a.envelope(honest, 0, a.sim.now * 1024 + 7, Message::Join);
    let bytes = seal(&a.attacker_sk, env);
    let p = a.attacker.clone();
    a.expect(&p, &bytes, |e| *e == Error::InvalidSignature);
    a.finish();
}

#[test]
fn a03_sender_not_a_signer() {
    let mut a = Arena::new(3, false);
    a.run_until(|s, id| s.phase(TARGET, id).is_some());
    let bytes = a.outsider(Message::Join);
    let p = a.attacker.clone();
    a.expect(&p, &bytes, |e| *e == Error::NotASigner);
    a.finish();
}

#[test]
fn a04_exact_replay_of_a_session_message() {
    let mut a = Arena::new(4, false);
    a.run_until(|s, id| s.phase(TARGET, id) >= Some(Phase::PartialSigCollection));
    let replay = a.sim.nodes[0]
        .sent
        .iter()
        .find(|b| Envelope::decode(b).is_ok_and(|e| matches!(e.message, Message::NonceShare(_))))
        .unwrap()
        .clone();
    let p = a.attacker.clone();
    a.expect(&p, &replay, |e| matches!(e, Error::Duplicate { .. }));
    a.finish();
}

#[test]
fn a05_replay_of_the_announcement() {
    // Fixed latency: the announcement reaches the target directly, before any other message.
    let mut a = Arena::with_params(5, false, NetParams::perfect());
    a.run_until(|s, id| s.phase(TARGET, id).is_some());
    let replay = a.sim.nodes[0].sent[0].clone();
    let p = a.attacker.clone();
    a.expect(&p, &replay, |e| matches!(e, Error::Duplicate { .. }));
    a.finish();
}

#[test]
fn a06_sequence_regression() {
    let mut a = Arena::new(6, false);
    a.run_until(|s, id| s.phase(TARGET, id) >= Some(Phase::NonceCollection));
    let key = a.sim.nodes[INSIDER].key;
    let seq = a.sim.nodes[INSIDER].last_seq - 1_000;
    let bytes = seal(
        &a.sim.nodes[INSIDER].sk.clone(),
        a.envelope(key, 0, seq, Message::Join),
    );
    let p = a.insider_peer();
    a.expect(&p, &bytes, |e| matches!(e, Error::SeqRegression { .. }));
    a.finish();
}

#[test]
fn a07_partial_signature_before_any_nonce() {
    let mut a = Arena::new(7, true);
    a.run_until(|s, id| s.phase(TARGET, id) == Some(Phase::Announced));
    let bytes = a.insider(Message::PartialSigShare {
        psig: [3; 32],
        aggnonce: [2; 66],
    });
    let p = a.insider_peer();
    a.expect(&p, &bytes, |e| {
        matches!(
            e,
            Error::OutOfPhase {
                kind: Kind::PartialSigShare,
                ..
            }
        )
    });
    a.finish();
}

#[test]
fn a08_nonce_before_we_joined_is_held_but_checked() {
    // A signer sends its nonce as it joins, possibly before we join: a bad one is blamed on
    // its sender even then, and a valid one is held (not refused as out of phase).
    let mut a = Arena::new(8, true);
    a.run_until(|s, id| s.phase(TARGET, id) == Some(Phase::Announced));
    let bytes = a.insider(Message::NonceShare([0xFF; 66]));
    let p = a.insider_peer();
    a.expect(&p, &bytes, |e| {
        matches!(
            e,
            Error::InvalidContribution {
                kind: Kind::NonceShare,
                ..
            }
        )
    });
    let start = a.sim.now;
    a.sim.run_while(start + 200, |_| false);
    assert_eq!(
        a.target_phase(),
        Some(Phase::Announced),
        "the target has not joined"
    );
    let errors = &a.sim.nodes[TARGET].errors;
    assert!(
        errors.is_empty(),
        "the honest early nonces were held: {errors:?}"
    );
    a.finish();
}

#[test]
fn a09_equivocating_nonce() {
    let mut a = Arena::new(9, false);
    hold_in_round_2(&mut a);
    a.run_until(|s, id| s.phase(TARGET, id) == Some(Phase::PartialSigCollection));
    let bytes = a.insider(Message::NonceShare(other_valid_nonce(&a)));
    let p = a.insider_peer();
    a.expect(&p, &bytes, |e| {
        matches!(
            e,
            Error::Equivocation {
                kind: Kind::NonceShare,
                ..
            }
        )
    });
    a.finish();
}

#[test]
fn a10_equivocating_partial_signature() {
    let mut a = Arena::new(10, false);
    hold_in_round_2(&mut a);
    let insider_key = a.sim.nodes[INSIDER].key;
    a.run_until(|s, id| {
        s.nodes[TARGET]
            .machine
            .as_ref()
            .and_then(|m| m.session(id))
            .is_some_and(|i| {
                i.phase == Phase::PartialSigCollection && !i.waiting_for.contains(&insider_key)
            })
    });
    let aggnonce = insider_aggnonce(&a);
    let bytes = a.insider(Message::PartialSigShare {
        psig: [0x11; 32],
        aggnonce,
    });
    let p = a.insider_peer();
    a.expect(&p, &bytes, |e| {
        matches!(
            e,
            Error::Equivocation {
                kind: Kind::PartialSigShare,
                ..
            }
        )
    });
    a.finish();
}

#[test]
fn a11_invalid_partial_signature() {
    let mut a = Arena::new(11, false);
    a.sim
        .blocked
        .push((Some(INSIDER), TARGET, Kind::PartialSigShare));
    a.sim.blocked.push((None, TARGET, Kind::SignatureNotice));
    a.run_until(|s, id| {
        s.phase(TARGET, id) == Some(Phase::PartialSigCollection)
            && s.phase(INSIDER, id) >= Some(Phase::PartialSigCollection)
    });
    // Made for the right nonce set, but not a valid partial signature.
    let aggnonce = insider_aggnonce(&a);
    let bytes = a.insider(Message::PartialSigShare {
        psig: [0x11; 32],
        aggnonce,
    });
    let p = a.insider_peer();
    a.expect(&p, &bytes, |e| {
        matches!(
            e,
            Error::InvalidContribution {
                kind: Kind::PartialSigShare,
                ..
            }
        )
    });
    a.finish();
}

#[test]
fn a12_invalid_nonce_point() {
    let mut a = Arena::new(12, false);
    a.sim
        .blocked
        .push((Some(INSIDER), TARGET, Kind::NonceShare));
    // The insider's nonce (which carries its join) is withheld: the target waits in joining.
    a.run_until(|s, id| s.phase(TARGET, id) == Some(Phase::Joining));
    let bytes = a.insider(Message::NonceShare([0xFF; 66]));
    let p = a.insider_peer();
    a.expect(&p, &bytes, |e| {
        matches!(
            e,
            Error::InvalidContribution {
                kind: Kind::NonceShare,
                ..
            }
        )
    });
    a.finish();
}

#[test]
fn a13_invalid_final_signature() {
    let mut a = Arena::new(13, false);
    hold_in_round_2(&mut a);
    a.run_until(|s, id| s.phase(TARGET, id) == Some(Phase::PartialSigCollection));
    let bytes = a.insider(Message::SignatureNotice([0x22; 64]));
    let p = a.insider_peer();
    a.expect(&p, &bytes, |e| {
        matches!(
            e,
            Error::InvalidContribution {
                kind: Kind::SignatureNotice,
                ..
            }
        )
    });
    a.finish();
}

/// The aggregate nonce the insider used (from its own, possibly withheld, share).
fn insider_aggnonce(a: &Arena) -> [u8; 66] {
    a.sim.nodes[INSIDER]
        .sent
        .iter()
        .find_map(|b| match Envelope::decode(b).ok()?.message {
            Message::PartialSigShare { aggnonce, .. } => Some(aggnonce),
            _ => None,
        })
        .unwrap()
}

#[test]
fn a40_nonce_equivocation_across_receivers_blames_no_honest_signer() {
    let mut a = Arena::new(40, false);
    // The insider shows the target a different nonce than everyone else.
    a.sim
        .blocked
        .push((Some(INSIDER), TARGET, Kind::NonceShare));
    a.run_until(|s, id| s.phase(TARGET, id) == Some(Phase::Joining));
    let forged = a.insider(Message::NonceShare(other_valid_nonce(&a)));
    a.sim.inject(TARGET, &a.insider_peer(), &forged).unwrap();
    a.sim.blocked.clear();
    let honest = a.sim.nodes[0].peer.clone();
    let before = a.score(&honest);
    let id = a.id;
    // Some signer sees partial signatures over two different nonce sets (which one depends
    // on arrival order) and nobody can be blamed for it.
    let mismatch = |s: &common::Sim| {
        s.nodes
            .iter()
            .any(|n| n.errors.contains(&Error::NonceSetMismatch))
    };
    a.run_until(|s, id| mismatch(s) || s.all_completed(id));
    assert!(mismatch(&a.sim), "a nonce-set mismatch was detected");
    assert!(
        a.score(&honest) >= before,
        "the honest signer was not penalized"
    );
    assert!(!a.sim.nodes[TARGET].errors.iter().any(|e| matches!(
        e,
        Error::InvalidContribution {
            kind: Kind::PartialSigShare,
            ..
        }
    )));
    // The insider's real nonce, arriving later, is caught as equivocation.
    assert!(a
        .sim
        .run_while(a.sim.now + 60_000, |s| s.all_completed(&id)));
    let attempt = a.sim.nodes[TARGET]
        .machine
        .as_ref()
        .unwrap()
        .session(&id)
        .unwrap()
        .attempt;
    assert!(attempt >= 1, "a fresh attempt replaced the poisoned one");
    a.finish();
}
