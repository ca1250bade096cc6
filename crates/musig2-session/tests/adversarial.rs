//! Adversarial suite: each attack is rejected with the expected typed error, the offending
//! peer loses exactly the configured penalty, and the honest session still completes with a
//! verifying signature.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use common::*;
use musig2_session::crypto::{schnorr_sign, PublicKey, Scheme, SecretKey, SigningContext, Tweak};
use musig2_session::reputation::Standing;
use musig2_session::wire::{
    Abort, AbortReason, Advertisement, Announcement, Envelope, Kind, Message, SchemeId, TweakSpec,
};
use musig2_session::{Config, DecodeError, ElectionMethod, Error, Event, PeerId, Phase};

const TARGET: usize = 1;
const INSIDER: usize = 2;
const MSG: &[u8] = b"adversarial session message";

struct Arena {
    sim: Sim,
    id: [u8; 32],
    attacker_sk: [u8; 32],
    attacker: PeerId,
}

fn seal(sk: &[u8; 32], mut env: Envelope) -> Vec<u8> {
    let key = SecretKey::from_bytes(sk).unwrap();
    env.signature = schnorr_sign(Scheme::Bip327, &key, &env.digest(), [0; 32])
        .unwrap()
        .to_bytes();
    env.encode()
}

fn key_of(sk: &[u8; 32]) -> [u8; 33] {
    SecretKey::from_bytes(sk).unwrap().public_key().to_bytes()
}

impl Arena {
    /// Three honest signers; node `TARGET` does not auto-join when `hold_target` is set.
    fn new(seed: u64, hold_target: bool) -> Self {
        Self::with_params(
            seed,
            hold_target,
            NetParams {
                latency_min: 5,
                latency_max: 30,
                loss: 0,
                dup: 0,
            },
        )
    }

    fn with_params(seed: u64, hold_target: bool, params: NetParams) -> Self {
        let mut sim = Sim::new(seed, 3, params, Config::default());
        sim.record = true;
        sim.nodes[TARGET].auto_join = !hold_target;
        let id = sim.create(0, MSG, ElectionMethod::Lexicographic, TweakSpec::None);
        Self {
            sim,
            id,
            attacker_sk: secret(seed, 99),
            attacker: PeerId::new(b"attacker".to_vec()),
        }
    }

    fn envelope(&self, sender: [u8; 33], attempt: u32, seq: u64, message: Message) -> Envelope {
        Envelope {
            scheme: SchemeId::Bip327,
            session_id: self.id,
            sender,
            attempt,
            seq,
            timestamp: self.sim.now,
            message,
            signature: [0; 64],
        }
    }

    /// A message signed by the insider's (a real signer's) key, with a fresh sequence number.
    fn insider(&mut self, message: Message) -> Vec<u8> {
        self.sim.nodes[INSIDER].last_seq += 1;
        let (key, seq) = (
            self.sim.nodes[INSIDER].key,
            self.sim.nodes[INSIDER].last_seq,
        );
        let env = self.envelope(key, 0, seq, message);
        seal(&self.sim.nodes[INSIDER].sk, env)
    }

    /// A message signed by the outsider's own key.
    fn outsider(&self, message: Message) -> Vec<u8> {
        let env = self.envelope(key_of(&self.attacker_sk), 0, self.sim.now * 1024, message);
        seal(&self.attacker_sk, env)
    }

    fn insider_peer(&self) -> PeerId {
        self.sim.nodes[INSIDER].peer.clone()
    }

    fn score(&self, peer: &PeerId) -> i32 {
        self.sim.nodes[TARGET]
            .machine
            .as_ref()
            .unwrap()
            .reputation(peer)
    }

    /// Delivers `bytes` from `peer` to the target and checks rejection and penalty.
    fn expect(&mut self, peer: &PeerId, bytes: &[u8], want: impl Fn(&Error) -> bool) -> Error {
        let before = self.score(peer);
        let err = self
            .sim
            .inject(TARGET, peer, bytes)
            .expect_err("attack must be rejected");
        assert!(want(&err), "unexpected error {err:?}");
        let offence = err.offence().expect("the attacker is to blame");
        let penalty = Config::default().reputation.penalties.of(offence);
        assert_eq!(self.score(peer), before - penalty, "penalty for {err:?}");
        err
    }

    fn run_until(&mut self, cond: impl Fn(&Sim, &[u8; 32]) -> bool) {
        let id = self.id;
        assert!(
            self.sim.run_while(self.sim.now + 60_000, |s| cond(s, &id)),
            "condition never held"
        );
    }

    fn target_phase(&self) -> Option<Phase> {
        self.sim.phase(TARGET, &self.id)
    }

    /// The honest session completes everywhere with a verifying signature, and no honest
    /// peer is graylisted or blacklisted.
    fn finish(mut self) {
        self.sim.blocked.clear();
        if self.target_phase() == Some(Phase::Announced) {
            let mut rng = <rand_chacha::ChaCha20Rng as rand_core::SeedableRng>::seed_from_u64(5);
            let now = self.sim.now;
            self.sim.nodes[TARGET]
                .machine
                .as_mut()
                .unwrap()
                .join(now, &self.id, &mut rng)
                .unwrap();
            self.sim.drain(TARGET);
        }
        let id = self.id;
        assert!(
            self.sim
                .run_while(self.sim.now + 120_000, |s| s.all_completed(&id)),
            "honest session did not complete"
        );
        let keys = self.sim.keys();
        for i in 0..3 {
            let sigs = self.sim.signatures(i, &id);
            assert!(
                !sigs.is_empty()
                    && sigs
                        .iter()
                        .all(|s| verify_final(&keys, TweakSpec::None, MSG, s))
            );
        }
        let m = self.sim.nodes[TARGET].machine.as_ref().unwrap();
        for honest in [0, INSIDER] {
            assert_eq!(
                m.standing(&self.sim.nodes[honest].peer, self.sim.now),
                Standing::Good
            );
        }
    }
}

fn decode_err(e: &Error) -> bool {
    matches!(e, Error::Decode(_))
}

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
        .find(|b| Envelope::decode(b).is_ok_and(|e| e.message == Message::Join))
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
    let bytes = a.insider(Message::PartialSigShare([3; 32]));
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
fn a08_nonce_before_we_joined() {
    let mut a = Arena::new(8, true);
    a.run_until(|s, id| s.phase(TARGET, id) == Some(Phase::Announced));
    let bytes = a.insider(Message::NonceShare([2; 66]));
    let p = a.insider_peer();
    a.expect(&p, &bytes, |e| {
        matches!(
            e,
            Error::OutOfPhase {
                kind: Kind::NonceShare,
                ..
            }
        )
    });
    a.finish();
}

fn other_valid_nonce(a: &Arena) -> [u8; 66] {
    let keys: Vec<PublicKey> = a
        .sim
        .keys()
        .iter()
        .map(|k| PublicKey::from_bytes(k).unwrap())
        .collect();
    let ctx = SigningContext::new(Scheme::Bip327, &keys, Tweak::None).unwrap();
    let sk = SecretKey::from_bytes(&a.sim.nodes[INSIDER].sk).unwrap();
    ctx.nonce_gen(&sk, MSG, [0xEE; 32]).unwrap().1.to_bytes()
}

/// Holds the target in partial-signature collection: node 0's partial signature and every
/// signature notice are withheld from it.
fn hold_in_round_2(a: &mut Arena) {
    a.sim.blocked.push((Some(0), TARGET, Kind::PartialSigShare));
    a.sim.blocked.push((None, TARGET, Kind::SignatureNotice));
}

#[test]
fn a09_equivocating_nonce() {
    let mut a = Arena::new(9, false);
    hold_in_round_2(&mut a);
    a.run_until(|s, id| s.phase(TARGET, id) == Some(Phase::PartialSigCollection));
    let bytes = a.insider(Message::NonceShare(other_valid_nonce(&a)));
    let p = a.insider_peer();
    a.expect(&p, &bytes, |e| *e == Error::Equivocation(Kind::NonceShare));
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
    let bytes = a.insider(Message::PartialSigShare([0x11; 32]));
    let p = a.insider_peer();
    a.expect(&p, &bytes, |e| {
        *e == Error::Equivocation(Kind::PartialSigShare)
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
    a.run_until(|s, id| s.phase(TARGET, id) == Some(Phase::PartialSigCollection));
    let bytes = a.insider(Message::PartialSigShare([0x11; 32]));
    let p = a.insider_peer();
    a.expect(&p, &bytes, |e| {
        *e == Error::InvalidContribution(Kind::PartialSigShare)
    });
    a.finish();
}

#[test]
fn a12_invalid_nonce_point() {
    let mut a = Arena::new(12, false);
    a.sim
        .blocked
        .push((Some(INSIDER), TARGET, Kind::NonceShare));
    a.run_until(|s, id| s.phase(TARGET, id) == Some(Phase::NonceCollection));
    let bytes = a.insider(Message::NonceShare([0xFF; 66]));
    let p = a.insider_peer();
    a.expect(&p, &bytes, |e| {
        *e == Error::InvalidContribution(Kind::NonceShare)
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
        *e == Error::InvalidContribution(Kind::SignatureNotice)
    });
    a.finish();
}

#[test]
fn a14_oversized_envelope() {
    let mut a = Arena::new(14, false);
    let p = a.attacker.clone();
    a.expect(&p, &vec![1u8; 70_000], |e| {
        matches!(e, Error::Decode(DecodeError::TooLong { .. }))
    });
    a.finish();
}

#[test]
fn a15_truncated_envelope() {
    let mut a = Arena::new(15, false);
    let mut bytes = a.outsider(Message::Join);
    bytes.pop();
    let p = a.attacker.clone();
    a.expect(&p, &bytes, |e| {
        matches!(e, Error::Decode(DecodeError::Truncated))
    });
    a.finish();
}

#[test]
fn a16_random_garbage() {
    let mut a = Arena::new(16, false);
    let garbage: Vec<u8> = (0..300u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 7) as u8)
        .collect();
    let p = a.attacker.clone();
    a.expect(&p, &garbage, decode_err);
    a.finish();
}

#[test]
fn a17_unknown_version() {
    let mut a = Arena::new(17, false);
    let mut bytes = a.outsider(Message::Join);
    bytes[0] = 9;
    let p = a.attacker.clone();
    a.expect(&p, &bytes, |e| {
        *e == Error::Decode(DecodeError::UnsupportedVersion(9))
    });
    a.finish();
}

#[test]
fn a18_unknown_kind() {
    let mut a = Arena::new(18, false);
    let mut bytes = a.outsider(Message::Join);
    bytes[1] = 99;
    let p = a.attacker.clone();
    a.expect(&p, &bytes, |e| {
        *e == Error::Decode(DecodeError::UnknownKind(99))
    });
    a.finish();
}

#[test]
fn a19_trailing_bytes() {
    let mut a = Arena::new(19, false);
    let mut bytes = a.outsider(Message::Join);
    bytes.extend_from_slice(&[0; 5]);
    let p = a.attacker.clone();
    a.expect(&p, &bytes, |e| {
        *e == Error::Decode(DecodeError::TrailingBytes)
    });
    a.finish();
}

#[test]
fn a20_lying_body_length() {
    let mut a = Arena::new(20, false);
    let mut bytes = a.outsider(Message::NonceShare([2; 66]));
    bytes[88..92].copy_from_slice(&60_000u32.to_be_bytes());
    let p = a.attacker.clone();
    a.expect(&p, &bytes, |e| {
        matches!(e, Error::Decode(DecodeError::BodyTooLong { .. }))
    });
    a.finish();
}

#[test]
fn a21_unknown_session() {
    let mut a = Arena::new(21, false);
    let mut env = a.envelope(key_of(&a.attacker_sk), 0, 1, Message::Join);
    env.session_id = [0x5A; 32];
    let bytes = seal(&a.attacker_sk.clone(), env);
    let p = a.attacker.clone();
    a.expect(&p, &bytes, |e| *e == Error::UnknownSession);
    a.finish();
}

#[test]
fn a22_stale_timestamp() {
    let mut a = Arena::new(22, false);
    a.run_until(|s, id| s.phase(TARGET, id).is_some());
    let node = &a.sim.nodes[INSIDER];
    let mut env = a.envelope(node.key, 0, node.last_seq + 1, Message::Join);
    env.timestamp = a.sim.now - 10 * 60_000;
    let bytes = seal(&node.sk.clone(), env);
    let p = a.insider_peer();
    a.expect(&p, &bytes, |e| matches!(e, Error::BadTimestamp { .. }));
    a.finish();
}

#[test]
fn a23_future_timestamp() {
    let mut a = Arena::new(23, false);
    a.run_until(|s, id| s.phase(TARGET, id).is_some());
    let node = &a.sim.nodes[INSIDER];
    let mut env = a.envelope(node.key, 0, node.last_seq + 1, Message::Join);
    env.timestamp = a.sim.now + 10 * 60_000;
    let bytes = seal(&node.sk.clone(), env);
    let p = a.insider_peer();
    a.expect(&p, &bytes, |e| matches!(e, Error::BadTimestamp { .. }));
    a.finish();
}

fn advert(a: &Arena, sk: &[u8; 32], peer: &PeerId, seq: u64, expires_at: u64) -> Vec<u8> {
    let ad = Advertisement {
        tx_types: vec!["spend".into()],
        peer_id: peer.0.clone(),
        identity: None,
        expires_at,
    };
    let mut env = a.envelope(key_of(sk), 0, seq, Message::Advertisement(ad));
    env.session_id = [0; 32];
    seal(sk, env)
}

#[test]
fn a24_advert_flood_ends_in_a_permanent_ban() {
    let mut a = Arena::new(24, false);
    let (sk, p) = (a.attacker_sk, a.attacker.clone());
    let exp = a.sim.now + 3_600_000;
    let first = advert(&a, &sk, &p, 1, exp);
    a.sim.inject(TARGET, &p, &first).unwrap();
    for i in 1..10u64 {
        let b = advert(&a, &sk, &p, 1 + i, exp);
        a.expect(&p, &b, |e| matches!(e, Error::RateLimited { .. }));
    }
    let b = advert(&a, &sk, &p, 20, exp);
    assert_eq!(
        a.sim.inject(TARGET, &p, &b),
        Err(Error::RateLimited { violations: 10 })
    );
    let m = a.sim.nodes[TARGET].machine.as_ref().unwrap();
    assert_eq!(
        m.standing(&p, a.sim.now + 1_000_000_000),
        Standing::Blacklisted
    );
    assert!(a.sim.nodes[TARGET]
        .events
        .iter()
        .any(|(_, e)| *e == Event::PeerBanned { peer: p.clone() }));
    let b = a.outsider(Message::Join);
    assert_eq!(a.sim.inject(TARGET, &p, &b), Err(Error::Blacklisted));
    a.finish();
}

#[test]
fn a25_sybil_key_flood() {
    let mut a = Arena::new(25, false);
    let p = a.attacker.clone();
    for i in 0..11u64 {
        a.sim.now += 61_000;
        let sk = secret(777, i as usize);
        let b = advert(&a, &sk, &p, 1, a.sim.now + 3_600_000);
        if i < 10 {
            a.sim.inject(TARGET, &p, &b).unwrap();
        } else {
            a.expect(&p, &b, |e| *e == Error::KeyCapExceeded { cap: 10 });
        }
    }
    let found = a.sim.nodes[TARGET]
        .events
        .iter()
        .filter(|(_, e)| matches!(e, Event::SignerDiscovered { .. }))
        .count();
    assert_eq!(found, 10);
    // The honest session was announced at T0; start a fresh one now.
    a.id = a
        .sim
        .create(0, MSG, ElectionMethod::Lexicographic, TweakSpec::None);
    a.finish();
}

#[test]
fn a26_advert_for_another_peer() {
    let mut a = Arena::new(26, false);
    let (sk, p) = (a.attacker_sk, a.attacker.clone());
    let victim = a.sim.nodes[0].peer.clone();
    let b = advert(&a, &sk, &victim, 1, a.sim.now + 60_000);
    a.expect(&p, &b, |e| *e == Error::PeerMismatch);
    a.finish();
}

#[test]
fn a27_expired_advert() {
    let mut a = Arena::new(27, false);
    let (sk, p) = (a.attacker_sk, a.attacker.clone());
    let b = advert(&a, &sk, &p, 1, a.sim.now - 1);
    a.expect(&p, &b, |e| *e == Error::SessionExpired);
    a.finish();
}

fn announcement(a: &Arena, signers: Vec<[u8; 33]>) -> Announcement {
    Announcement {
        election: ElectionMethod::Lexicographic,
        tweak: TweakSpec::None,
        signers,
        message: MSG.to_vec(),
        tx_type: "spend".into(),
        salt: [4; 32],
        created_at: a.sim.now,
        expires_at: a.sim.now + 60_000,
    }
}

#[test]
fn a28_announcement_with_wrong_session_id() {
    let mut a = Arena::new(28, false);
    let ann = announcement(&a, a.sim.keys());
    let mut env = a.envelope(
        a.sim.nodes[INSIDER].key,
        0,
        a.sim.nodes[INSIDER].last_seq + 1,
        Message::Announcement(ann),
    );
    env.session_id = [0x77; 32];
    let bytes = seal(&a.sim.nodes[INSIDER].sk.clone(), env);
    let p = a.insider_peer();
    a.expect(&p, &bytes, |e| *e == Error::SessionIdMismatch);
    a.finish();
}

#[test]
fn a29_announcement_by_a_non_signer() {
    let mut a = Arena::new(29, false);
    let ann = announcement(&a, a.sim.keys());
    let mut env = a.envelope(
        key_of(&a.attacker_sk),
        0,
        1,
        Message::Announcement(ann.clone()),
    );
    env.session_id = musig2_session::machine::session_id(SchemeId::Bip327, &ann);
    let bytes = seal(&a.attacker_sk.clone(), env);
    let p = a.attacker.clone();
    a.expect(&p, &bytes, |e| *e == Error::NotASigner);
    a.finish();
}

#[test]
fn a30_scheme_confusion() {
    let mut a = Arena::new(30, false);
    let mut env = a.envelope(key_of(&a.attacker_sk), 0, 1, Message::Join);
    env.scheme = SchemeId::Lotus;
    // Signed with BIP-340 but labelled Lotus: verified as Lotus, so it fails.
    let bytes = seal(&a.attacker_sk.clone(), env);
    let p = a.attacker.clone();
    a.expect(&p, &bytes, |e| *e == Error::InvalidSignature);
    a.finish();
}

#[test]
fn a31_attempt_number_out_of_range() {
    let mut a = Arena::new(31, false);
    a.run_until(|s, id| s.phase(TARGET, id).is_some());
    let node = &a.sim.nodes[INSIDER];
    let env = a.envelope(node.key, 1_000, node.last_seq + 1, Message::Join);
    let bytes = seal(&node.sk.clone(), env);
    let p = a.insider_peer();
    a.expect(&p, &bytes, |e| *e == Error::AttemptOutOfRange(1_000));
    a.finish();
}

#[test]
fn a32_sender_key_not_a_point() {
    let mut a = Arena::new(32, false);
    let env = a.envelope([0x05; 33], 0, 1, Message::Join);
    let bytes = env.encode();
    let p = a.attacker.clone();
    a.expect(&p, &bytes, |e| *e == Error::InvalidSenderKey);
    a.finish();
}

#[test]
fn a33_announcement_with_duplicate_signers() {
    let mut a = Arena::new(33, false);
    let me = key_of(&a.attacker_sk);
    let ann = announcement(&a, vec![me, me]);
    let bytes = seal(
        &a.attacker_sk.clone(),
        a.envelope(me, 0, 1, Message::Announcement(ann)),
    );
    let p = a.attacker.clone();
    a.expect(&p, &bytes, |e| {
        *e == Error::Decode(DecodeError::DuplicateSigner)
    });
    a.finish();
}

#[test]
fn a34_unsolicited_accept() {
    let mut a = Arena::new(34, false);
    let bytes = a.outsider(Message::Accept);
    let p = a.attacker.clone();
    a.expect(&p, &bytes, |e| *e == Error::UnknownSession);
    a.finish();
}

#[test]
fn a35_abort_by_an_outsider() {
    let mut a = Arena::new(35, false);
    a.run_until(|s, id| s.phase(TARGET, id) >= Some(Phase::Joining));
    let bytes = a.outsider(Message::Abort(Abort {
        reason: AbortReason::Misbehaviour,
        detail: "stop".into(),
    }));
    let p = a.attacker.clone();
    a.expect(&p, &bytes, |e| *e == Error::NotASigner);
    a.finish();
}

#[test]
fn a36_signature_notice_by_an_outsider() {
    let mut a = Arena::new(36, false);
    a.run_until(|s, id| s.phase(TARGET, id) >= Some(Phase::Joining));
    let bytes = a.outsider(Message::SignatureNotice([1; 64]));
    let p = a.attacker.clone();
    a.expect(&p, &bytes, |e| *e == Error::NotASigner);
    a.finish();
}

#[test]
fn a37_repeated_forgeries_graylist_the_peer() {
    let mut a = Arena::new(37, false);
    let p = a.attacker.clone();
    for _ in 0..3 {
        let mut bytes = a.outsider(Message::Join);
        bytes[100] ^= 1;
        a.expect(&p, &bytes, |e| *e == Error::InvalidSignature);
    }
    let m = a.sim.nodes[TARGET].machine.as_ref().unwrap();
    assert!(matches!(
        m.standing(&p, a.sim.now),
        Standing::Graylisted { .. }
    ));
    let valid = a.outsider(Message::Join);
    assert_eq!(a.sim.inject(TARGET, &p, &valid), Err(Error::Graylisted));
    a.finish();
}

#[test]
fn a38_heartbeat_with_invalid_phase() {
    let mut a = Arena::new(38, false);
    let bytes = a.insider(Message::Heartbeat { phase: 0, have: 0 });
    let mut raw = bytes;
    raw[92] = 200; // phase code out of range
    let p = a.insider_peer();
    a.expect(&p, &raw, decode_err);
    a.finish();
}
