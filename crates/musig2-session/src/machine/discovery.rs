//! Signer discovery: advertisements (rate-limited, identity-tiered, key-capped) and signing
//! requests. Sessions themselves are found through announcements (see `inbound`).

use super::io::{Destination, Event};
use super::Machine;
use crate::error::Error;
use crate::identity::IdentityTier;
use crate::peer::PeerId;
use crate::rate_limit::RateViolation;
use crate::reputation::Standing;
use crate::wire::{
    signers_topic, Advertisement, Envelope, IdentityClaim, KeyBytes, Kind, Message, SigningRequest,
};

/// An advertised signer as the directory holds it ([`Machine::signer_entries`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignerEntry {
    /// The advertised signing key.
    pub key: KeyBytes,
    /// The peer that advertised it.
    pub peer: PeerId,
    /// Transaction types it signs.
    pub tx_types: Vec<String>,
    /// When its latest advertisement expires (ms since the Unix epoch).
    pub expires_at: u64,
    /// Its identity tier, as the verifier decided it.
    pub tier: IdentityTier,
}

/// What we remember about an advertised signer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct KnownSigner {
    pub(crate) peer: PeerId,
    pub(crate) tx_types: Vec<String>,
    pub(crate) expires_at: u64,
    pub(crate) tier: IdentityTier,
    /// The identity claim of its latest advertisement.
    pub(crate) claim: Option<IdentityClaim>,
    /// When its latest advertisement arrived.
    pub(crate) received_at: u64,
}

impl Machine {
    /// Rate-limits advertisements and signing requests per transport peer (separate budgets).
    pub(crate) fn check_rate(&mut self, kind: Kind, from: &PeerId, now: u64) -> Result<(), Error> {
        let limiter = match kind {
            Kind::SignerAdvertisement => &mut self.rate,
            Kind::SigningRequest => &mut self.request_rate,
            _ => return Ok(()),
        };
        match limiter.check(from, now) {
            Ok(()) => Ok(()),
            Err(v @ RateViolation::Ban(_)) => {
                self.reputation.ban(from, now);
                self.core.event(Event::PeerBanned { peer: from.clone() });
                Err(v.into())
            }
            Err(v) => Err(v.into()),
        }
    }

    pub(crate) fn on_advert(
        &mut self,
        from: &PeerId,
        env: Envelope,
        now: u64,
    ) -> Result<(), Error> {
        let Message::Advertisement(ad) = env.message else {
            return Err(Error::UnexpectedKind(env.message.kind()));
        };
        if env.session_id != [0; 32] || env.attempt != 0 {
            return Err(Error::NotASigner);
        }
        if ad.peer_id != from.0 {
            return Err(Error::PeerMismatch);
        }
        if ad.expires_at <= now {
            return Err(Error::SessionExpired);
        }
        let cfg = &self.core.config;
        if ad.expires_at
            > now
                .saturating_add(cfg.max_advert_lifetime_ms)
                .saturating_add(cfg.max_clock_skew_ms)
        {
            return Err(Error::AdvertLifetime);
        }
        if let Some(claim) = ad.identity {
            if self.verifier.needs_resolution(&env.sender, &claim) {
                self.core.event(Event::IdentityClaimSeen {
                    key: env.sender,
                    peer: from.clone(),
                    claim,
                });
            }
        }
        let tier = self.verifier.tier(&env.sender, ad.identity.as_ref());
        // A verified identity brings its standing along (a rotated-in key of a banned
        // identity is refused like the banned key).
        if let Some(claim) = &ad.identity {
            match self.link_identity(&env.sender, from, claim, tier, now) {
                Standing::Good => {}
                Standing::Graylisted { .. } => return Err(Error::Graylisted),
                Standing::Blacklisted => return Err(Error::Blacklisted),
            }
        }
        self.keys.admit(from, &env.sender, tier, now)?;
        let known = KnownSigner {
            peer: from.clone(),
            tx_types: ad.tx_types.clone(),
            expires_at: ad.expires_at,
            tier,
            claim: ad.identity,
            received_at: now,
        };
        // When full, forget an expired entry first, then one of an unverified tier, of the
        // peer holding the most entries, heard longest ago: no advertised lifetime or
        // number of throwaway identities moves an entry ahead of what is already here.
        let mut per_peer: std::collections::BTreeMap<&PeerId, usize> = Default::default();
        for (_, k) in self.directory.iter() {
            *per_peer.entry(&k.peer).or_default() += 1;
        }
        let counts: std::collections::BTreeMap<PeerId, usize> =
            per_peer.into_iter().map(|(p, c)| (p.clone(), c)).collect();
        let rank = |k: &KnownSigner| {
            let count = counts.get(&k.peer).copied().unwrap_or(0);
            Some((
                k.expires_at > now,
                k.tier,
                std::cmp::Reverse(count),
                k.received_at,
            ))
        };
        if let Some(slot) = self
            .directory
            .entry_or_insert(&env.sender, || known.clone(), rank)
        {
            *slot = known;
        }
        self.core.event(Event::SignerDiscovered {
            key: env.sender,
            peer: from.clone(),
            tx_types: ad.tx_types,
            expires_at: ad.expires_at,
            tier,
        });
        Ok(())
    }

    pub(crate) fn on_request(&mut self, env: Envelope, now: u64) -> Result<(), Error> {
        match env.message {
            Message::SigningRequest(request) => {
                if request.expires_at <= now {
                    return Err(Error::SessionExpired);
                }
                self.core.event(Event::SigningRequested {
                    request_id: env.session_id,
                    from: env.sender,
                    request,
                });
                Ok(())
            }
            Message::Accept => {
                let Some((expires, asked)) = self.requests.get(&env.session_id) else {
                    return Err(Error::UnknownSession);
                };
                if *expires <= now {
                    return Err(Error::SessionExpired);
                }
                // Only a key we asked may accept.
                if !asked.contains(&env.sender) {
                    return Err(Error::UnsolicitedAccept);
                }
                self.core.event(Event::RequestAccepted {
                    request_id: env.session_id,
                    signer: env.sender,
                });
                Ok(())
            }
            other => Err(Error::UnexpectedKind(other.kind())),
        }
    }

    /// Publishes our key on the `musig2:signers:<TYPE>` topic of each transaction type.
    /// `peer_id` must be our transport peer ID bytes.
    ///
    /// `lifetime_ms` must be positive and at most `Config::max_advert_lifetime_ms` (what
    /// receivers accept).
    ///
    /// # Errors
    /// [`Error::Decode`] when the advertisement is outside the protocol bounds,
    /// [`Error::AdvertLifetime`] for a lifetime of 0 or beyond the maximum.
    pub fn advertise(
        &mut self,
        now: u64,
        tx_types: Vec<String>,
        peer_id: Vec<u8>,
        identity: Option<IdentityClaim>,
        lifetime_ms: u64,
    ) -> Result<(), Error> {
        if lifetime_ms == 0 || lifetime_ms > self.core.config.max_advert_lifetime_ms {
            return Err(Error::AdvertLifetime);
        }
        let ad = Advertisement {
            tx_types,
            peer_id,
            identity,
            expires_at: now.saturating_add(lifetime_ms),
        };
        let msg = Message::Advertisement(ad.clone());
        msg.validate()?;
        let bytes = self.core.seal([0; 32], 0, msg, now);
        for t in &ad.tx_types {
            self.core
                .transmit(Destination::Topic(signers_topic(t)), bytes.clone());
        }
        Ok(())
    }

    /// Asks each of `to` to sign; `request_id` identifies the answers ([`Event::RequestAccepted`]).
    ///
    /// # Errors
    /// [`Error::Decode`] when the request is outside the protocol bounds.
    pub fn request_signature(
        &mut self,
        now: u64,
        request_id: [u8; 32],
        request: SigningRequest,
        to: &[KeyBytes],
    ) -> Result<(), Error> {
        let msg = Message::SigningRequest(request);
        msg.validate()?;
        let expires = now.saturating_add(self.core.config.session_lifetime_ms);
        let asked = to.to_vec();
        if let Some(e) = self.requests.entry_or_insert(
            &request_id,
            || (expires, asked.clone()),
            |(e, _)| Some(*e),
        ) {
            *e = (expires, asked);
        }
        self.core.send_to(to, request_id, 0, &msg, now);
        Ok(())
    }

    /// Accepts a signing request received as [`Event::SigningRequested`].
    pub fn accept_request(&mut self, now: u64, request_id: [u8; 32], requester: KeyBytes) {
        self.core
            .send_to(&[requester], request_id, 0, &Message::Accept, now);
    }

    /// Advertised signers for a transaction type whose advertisement has not expired, with
    /// every field the directory holds.
    pub fn signer_entries(&self, tx_type: &str, now: u64) -> Vec<SignerEntry> {
        self.directory
            .iter()
            .filter(|(_, k)| k.expires_at > now && k.tx_types.iter().any(|t| t == tx_type))
            .map(|(key, k)| entry(key, k))
            .collect()
    }

    /// The directory entry of `key`, unless absent or expired.
    pub fn signer_entry(&self, key: &KeyBytes, now: u64) -> Option<SignerEntry> {
        self.directory
            .get(key)
            .filter(|k| k.expires_at > now)
            .map(|k| entry(key, k))
    }

    /// Advertised signers for a transaction type, with the peer advertising each.
    pub fn known_signers(&self, tx_type: &str, now: u64) -> Vec<(KeyBytes, PeerId, IdentityTier)> {
        self.directory
            .iter()
            .filter(|(_, k)| k.expires_at > now && k.tx_types.iter().any(|t| t == tx_type))
            .map(|(key, k)| (*key, k.peer.clone(), k.tier))
            .collect()
    }
}

fn entry(key: &KeyBytes, k: &KnownSigner) -> SignerEntry {
    SignerEntry {
        key: *key,
        peer: k.peer.clone(),
        tx_types: k.tx_types.clone(),
        expires_at: k.expires_at,
        tier: k.tier,
    }
}
