//! The adversarial arena: three honest signers, an outsider key and an insider (signer) key,
//! and the check that an attack is rejected, penalized exactly, and harmless to the session.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use super::*;
use musig2_session::crypto::{schnorr_sign, PublicKey, Scheme, SecretKey, SigningContext, Tweak};
use musig2_session::reputation::Standing;
use musig2_session::wire::{
    Advertisement, Announcement, Envelope, Kind, Message, SchemeId, TweakSpec,
};
use musig2_session::{Config, ElectionMethod, Error, PeerId, Phase};

pub const TARGET: usize = 1;
pub const INSIDER: usize = 2;
pub const MSG: &[u8] = b"adversarial session message";

pub struct Arena {
    pub sim: Sim,
    pub id: [u8; 32],
    pub attacker_sk: [u8; 32],
    pub attacker: PeerId,
}

pub fn seal(sk: &[u8; 32], mut env: Envelope) -> Vec<u8> {
    let key = SecretKey::from_bytes(sk).unwrap();
    env.signature = schnorr_sign(Scheme::Bip327, &key, &env.digest(), [0; 32])
        .unwrap()
        .to_bytes();
    env.encode()
}

pub fn key_of(sk: &[u8; 32]) -> [u8; 33] {
    SecretKey::from_bytes(sk).unwrap().public_key().to_bytes()
}

impl Arena {
    /// Three honest signers; node `TARGET` does not auto-join when `hold_target` is set.
    pub fn new(seed: u64, hold_target: bool) -> Self {
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

    pub fn with_params(seed: u64, hold_target: bool, params: NetParams) -> Self {
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

    pub fn envelope(&self, sender: [u8; 33], attempt: u32, seq: u64, message: Message) -> Envelope {
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
    pub fn insider(&mut self, message: Message) -> Vec<u8> {
        self.sim.nodes[INSIDER].last_seq += 1;
        let (key, seq) = (
            self.sim.nodes[INSIDER].key,
            self.sim.nodes[INSIDER].last_seq,
        );
        let env = self.envelope(key, 0, seq, message);
        seal(&self.sim.nodes[INSIDER].sk, env)
    }

    /// A message signed by the outsider's own key.
    pub fn outsider(&self, message: Message) -> Vec<u8> {
        let env = self.envelope(key_of(&self.attacker_sk), 0, self.sim.now * 1024, message);
        seal(&self.attacker_sk, env)
    }

    pub fn insider_peer(&self) -> PeerId {
        self.sim.nodes[INSIDER].peer.clone()
    }

    pub fn score(&self, peer: &PeerId) -> i32 {
        self.sim.nodes[TARGET]
            .machine
            .as_ref()
            .unwrap()
            .reputation(peer)
    }

    /// Delivers `bytes` from `peer` to the target and checks rejection and penalty.
    pub fn expect(&mut self, peer: &PeerId, bytes: &[u8], want: impl Fn(&Error) -> bool) -> Error {
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

    /// Delivers `bytes` from `peer` to the target and checks rejection without any penalty.
    pub fn expect_unpunished(
        &mut self,
        peer: &PeerId,
        bytes: &[u8],
        want: impl Fn(&Error) -> bool,
    ) -> Error {
        let before = self.score(peer);
        let err = self
            .sim
            .inject(TARGET, peer, bytes)
            .expect_err("message must be rejected");
        assert!(want(&err), "unexpected error {err:?}");
        assert_eq!(err.offence(), None, "{err:?} must not be punished");
        assert_eq!(self.score(peer), before, "no penalty for {err:?}");
        err
    }

    pub fn run_until(&mut self, cond: impl Fn(&Sim, &[u8; 32]) -> bool) {
        let id = self.id;
        assert!(
            self.sim.run_while(self.sim.now + 60_000, |s| cond(s, &id)),
            "condition never held"
        );
    }

    pub fn target_phase(&self) -> Option<Phase> {
        self.sim.phase(TARGET, &self.id)
    }

    /// The honest session completes everywhere with a verifying signature, and no honest
    /// peer is graylisted or blacklisted.
    pub fn finish(mut self) {
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

pub fn decode_err(e: &Error) -> bool {
    matches!(e, Error::Decode(_))
}

pub fn other_valid_nonce(a: &Arena) -> [u8; 66] {
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
pub fn hold_in_round_2(a: &mut Arena) {
    a.sim.blocked.push((Some(0), TARGET, Kind::PartialSigShare));
    a.sim.blocked.push((None, TARGET, Kind::SignatureNotice));
}

pub fn advert(a: &Arena, sk: &[u8; 32], peer: &PeerId, seq: u64, expires_at: u64) -> Vec<u8> {
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

pub fn announcement(a: &Arena, signers: Vec<[u8; 33]>) -> Announcement {
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
