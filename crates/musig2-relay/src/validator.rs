//! Validation of the signer advertisements the relay forwards on GossipSub.
//!
//! GossipSub runs with application validation: nothing is forwarded until a verdict is
//! reported. The relay holds no signing key of its own, so it runs one session state machine
//! per scheme with a throwaway random key, purely to decode and verify advertisements with
//! exactly the checks wallets apply (signature, timestamp, replay, rate limit, key caps).

use libp2p::gossipsub::MessageAcceptance;
use libp2p::PeerId;
use musig2_net::node::OsRng;
use musig2_session::crypto::{Scheme, SecretKey};
use musig2_session::wire::{Kind, SchemeId};
use musig2_session::{Config, Event, Machine};
use rand_core::RngCore;

/// Byte offset of the message kind in an envelope (after the version byte).
const KIND_OFFSET: usize = 1;
/// Byte offset of the scheme code in an envelope.
const SCHEME_OFFSET: usize = 2;

/// The verdict on one GossipSub message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A valid advertisement: forward it.
    Accept,
    /// Invalid: drop it and penalize the sender in GossipSub's scoring.
    Reject(String),
}

impl Verdict {
    /// The GossipSub acceptance of this verdict.
    pub fn acceptance(&self) -> MessageAcceptance {
        match self {
            Self::Accept => MessageAcceptance::Accept,
            Self::Reject(_) => MessageAcceptance::Reject,
        }
    }
}

/// Verifies advertisements with one state machine per scheme.
pub struct AdvertValidator {
    bip327: Machine,
    lotus: Machine,
    rng: OsRng,
}

fn throwaway_key(rng: &mut OsRng) -> SecretKey {
    loop {
        let mut bytes = [0u8; 32];
        rng.fill_bytes(&mut bytes);
        if let Ok(sk) = SecretKey::from_bytes(&bytes) {
            return sk;
        }
    }
}

impl AdvertValidator {
    /// A validator with fresh random keys and the session layer's default limits.
    pub fn new(now: u64) -> Self {
        let mut rng = OsRng;
        let mut machine = |scheme| {
            let mut entropy = [0u8; 32];
            rng.fill_bytes(&mut entropy);
            Machine::new(
                Config::default(),
                scheme,
                throwaway_key(&mut rng),
                now,
                entropy,
            )
        };
        Self {
            bip327: machine(Scheme::Bip327),
            lotus: machine(Scheme::Lotus),
            rng,
        }
    }

    /// Checks a message that `author` published on a signer topic. Returns the verdict and
    /// the peers the machines banned for good (to disconnect).
    pub fn check(&mut self, now: u64, author: &PeerId, bytes: &[u8]) -> (Verdict, Vec<PeerId>) {
        if bytes.get(KIND_OFFSET) != Some(&(Kind::SignerAdvertisement as u8)) {
            return (
                Verdict::Reject("not a signer advertisement".into()),
                Vec::new(),
            );
        }
        let machine = match bytes.get(SCHEME_OFFSET).map(|&c| SchemeId::from_code(c)) {
            Some(Ok(SchemeId::Bip327)) => &mut self.bip327,
            Some(Ok(SchemeId::Lotus)) => &mut self.lotus,
            _ => return (Verdict::Reject("unknown scheme".into()), Vec::new()),
        };
        let from = musig2_session::PeerId::new(author.to_bytes());
        let verdict = match machine.handle_message(now, &from, bytes, &mut self.rng) {
            Ok(()) => Verdict::Accept,
            Err(e) => Verdict::Reject(e.to_string()),
        };
        // The machines never transmit (no sessions); drain their queues so they stay small.
        while machine.poll_transmit().is_some() {}
        let mut banned = Vec::new();
        while let Some(event) = machine.poll_event() {
            if let Event::PeerBanned { peer } = event {
                if let Ok(p) = PeerId::from_bytes(&peer.0) {
                    banned.push(p);
                }
            }
        }
        (verdict, banned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use musig2_session::Destination;

    fn advert(seed: u8, scheme: Scheme, now: u64) -> (PeerId, Vec<u8>) {
        let secret = [seed; 32];
        let sk = SecretKey::from_bytes(&secret).unwrap();
        let peer = musig2_net::identity::keypair_from_signing_key(&secret)
            .unwrap()
            .public()
            .to_peer_id();
        let mut m = Machine::new(Config::default(), scheme, sk, now, [seed; 32]);
        m.advertise(now, vec!["spend".into()], peer.to_bytes(), None, 60_000)
            .unwrap();
        let t = m.poll_transmit().unwrap();
        assert_eq!(t.to, Destination::Topic("musig2:signers:spend".into()));
        (peer, t.bytes)
    }

    #[test]
    fn accepts_valid_adverts_of_both_schemes_and_rejects_forgeries_and_floods() {
        let now = 1_700_000_000_000;
        let mut v = AdvertValidator::new(now);
        for (seed, scheme) in [(3, Scheme::Bip327), (4, Scheme::Lotus)] {
            let (peer, bytes) = advert(seed, scheme, now);
            assert_eq!(v.check(now, &peer, &bytes).0, Verdict::Accept);
            // The same peer again within the advertisement interval: a flood.
            let (_, again) = advert(seed, scheme, now + 10);
            assert!(matches!(
                v.check(now + 10, &peer, &again).0,
                Verdict::Reject(_)
            ));
        }
        let (peer, mut forged) = advert(5, Scheme::Bip327, now);
        let last = forged.len() - 1;
        forged[last] ^= 1;
        let (verdict, _) = v.check(now, &peer, &forged);
        assert!(
            matches!(verdict, Verdict::Reject(ref r) if r.contains("signature")),
            "{verdict:?}"
        );
        // Published by another peer than the one it names.
        let (_, bytes) = advert(6, Scheme::Bip327, now);
        assert!(matches!(
            v.check(now, &PeerId::random(), &bytes).0,
            Verdict::Reject(_)
        ));
        assert!(matches!(v.check(now, &peer, b"junk").0, Verdict::Reject(_)));
    }
}
