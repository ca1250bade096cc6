//! Phase transitions of one session: joining, the two MuSig2 rounds, aggregation by the
//! coordinator, confirmation, attempts. Called with the session and the node's outbox.

use rand_core::RngCore;

use super::core::Core;
use super::io::Event;
use super::session::Session;
use super::Phase;
use crate::crypto::{PartialSignature, PubNonce, Signature};
use crate::error::Error;
use crate::wire::{KeyBytes, Kind, Message};

impl Session {
    pub(crate) fn set_phase(&mut self, core: &mut Core, phase: Phase) {
        if self.phase != phase {
            self.phase = phase;
            core.event(Event::PhaseChanged {
                session_id: self.id,
                phase,
            });
        }
    }

    /// Sends a new contribution to every other signer. A retransmission is due one
    /// `retransmit_interval` after the last new contribution, not sooner.
    fn broadcast(&mut self, core: &mut Core, msg: &Message, now: u64) {
        let others = self.others();
        core.send_to(&others, self.id, self.attempt, msg, now);
        self.next_retransmit = now.saturating_add(core.config.retransmit_interval_ms);
        self.retransmits = 0;
        // What was just sent is not re-sent to a signer whose heartbeat shows it behind
        // within the next interval: it is most likely still on its way.
        for (j, last) in self.last_reply.iter_mut().enumerate() {
            if j != self.me {
                *last = now;
            }
        }
    }

    /// Marks us joined and announces it with our round-1 nonce (a `NonceShare` implies the
    /// sender's join, so no separate `Join` round precedes round 1).
    pub(crate) fn join_local(
        &mut self,
        core: &mut Core,
        now: u64,
        rng: &mut dyn RngCore,
    ) -> Result<(), Error> {
        if let Some(j) = self.joined.get_mut(self.me) {
            *j = true;
        }
        self.set_phase(core, Phase::Joining);
        // Our nonce share tells every signer we are alive; the first heartbeat follows a
        // full interval later.
        self.next_heartbeat = now.saturating_add(core.config.heartbeat_interval_ms);
        self.share_nonce(core, now, rng)?;
        self.advance(core, now, rng)
    }

    /// Generates our nonce for the current attempt, unless we hold one, and sends it to every
    /// other signer. The secret half stays in `secnonce` until signing consumes it or the
    /// attempt ends.
    fn share_nonce(
        &mut self,
        core: &mut Core,
        now: u64,
        rng: &mut dyn RngCore,
    ) -> Result<(), Error> {
        if self.own_nonce().is_some() {
            return Ok(());
        }
        let mut rand = [0u8; 32];
        rng.fill_bytes(&mut rand);
        // Defence in depth: the session and attempt are bound into the nonce, so an RNG that
        // repeats itself across sessions or attempts still never repeats a nonce.
        let extra = [self.id.as_slice(), &self.attempt.to_be_bytes()].concat();
        let (sec, public) =
            self.ctx
                .nonce_gen_with_extra(core.secret_key(), &self.ann.message, rand, &extra)?;
        self.secnonce = Some(sec);
        if let Some(slot) = self.nonces.get_mut(self.me) {
            *slot = Some(public);
        }
        self.broadcast(core, &Message::NonceShare(public.to_bytes()), now);
        Ok(())
    }

    /// Starts attempt `attempt`: the secret nonce (if any) is dropped, never reused, and every
    /// collected nonce and partial signature is cleared.
    pub(crate) fn start_attempt(
        &mut self,
        core: &mut Core,
        attempt: u32,
        now: u64,
        rng: &mut dyn RngCore,
    ) -> Result<(), Error> {
        self.attempt = attempt;
        self.secnonce = None;
        self.aggnonce = None;
        self.signing = None;
        self.nonces.iter_mut().for_each(|n| *n = None);
        self.psigs.iter_mut().for_each(|p| *p = None);
        self.early_psigs.iter_mut().for_each(|p| *p = None);
        self.coord = 0;
        core.event(Event::NewAttempt {
            session_id: self.id,
            attempt,
        });
        if attempt > core.config.max_attempts {
            self.fail(core, "too many attempts");
            return Ok(());
        }
        if self.phase == Phase::Announced {
            return Ok(());
        }
        self.phase = Phase::Joining;
        if self.joined.get(self.me) == Some(&true) {
            self.share_nonce(core, now, rng)?;
        }
        self.advance(core, now, rng)
    }

    pub(crate) fn fail(&mut self, core: &mut Core, reason: &'static str) {
        self.secnonce = None;
        self.set_phase(core, Phase::Failed);
        core.event(Event::Failed {
            session_id: self.id,
            reason,
        });
    }

    /// Moves through every phase whose exit condition holds.
    pub(crate) fn advance(
        &mut self,
        core: &mut Core,
        now: u64,
        rng: &mut dyn RngCore,
    ) -> Result<(), Error> {
        loop {
            match self.phase {
                Phase::Joining if self.joined.iter().all(|&j| j) => {
                    self.share_nonce(core, now, rng)?;
                    self.set_phase(core, Phase::NonceCollection);
                }
                Phase::NonceCollection if self.nonces.iter().all(Option::is_some) => {
                    let nonces: Vec<PubNonce> = self.nonces.iter().flatten().copied().collect();
                    let agg = self.ctx.nonce_agg(&nonces)?;
                    let sec = self
                        .secnonce
                        .take()
                        .ok_or(Error::InvalidCommand("no secret nonce"))?;
                    let signing = self.ctx.session(&agg, &self.ann.message)?;
                    let psig = signing.sign(sec, core.secret_key())?;
                    self.aggnonce = Some(agg);
                    self.signing = Some(signing);
                    if let Some(slot) = self.psigs.get_mut(self.me) {
                        *slot = Some(psig);
                    }
                    self.set_phase(core, Phase::PartialSigCollection);
                    let share = Message::PartialSigShare {
                        psig: psig.to_bytes(),
                        aggnonce: agg.to_bytes(),
                    };
                    self.broadcast(core, &share, now);
                    // Shares that overtook the nonces they depend on, judged now: a bad one
                    // is blamed on its signer and its delivering peer is penalized.
                    let early: Vec<(usize, super::session::EarlyPsig)> = self
                        .early_psigs
                        .iter_mut()
                        .enumerate()
                        .filter_map(|(j, e)| e.take().map(|e| (j, e)))
                        .collect();
                    for (j, e) in early {
                        if let Err(err) =
                            self.on_psig(core, j, e.psig, e.aggnonce, &e.from, now, rng)
                        {
                            core.deferred.push((e.from, err));
                        }
                    }
                }
                Phase::PartialSigCollection if self.psigs.iter().all(Option::is_some) => {
                    self.agg_anchor = now;
                    self.set_phase(core, Phase::Aggregation);
                }
                Phase::Aggregation if self.coordinator() == Some(self.me) => {
                    self.aggregate(core, now, true)?;
                }
                Phase::BroadcastConfirmation => {
                    self.conclude(core, now);
                    return Ok(());
                }
                _ => return Ok(()),
            }
        }
    }

    /// Aggregates all partial signatures, verifies the result and announces it; `duty` says
    /// whether we are the coordinator (who broadcasts). Needs no randomness, so timers can call
    /// it on failover.
    pub(crate) fn aggregate(&mut self, core: &mut Core, now: u64, duty: bool) -> Result<(), Error> {
        let signing = self
            .signing
            .as_ref()
            .ok_or(Error::InvalidCommand("no aggregate nonce"))?;
        let psigs: Vec<PartialSignature> = self.psigs.iter().flatten().copied().collect();
        let sig = signing.aggregate(&psigs)?;
        if self.ctx.verify(&self.ann.message, &sig) {
            self.adopt_signature(core, sig, duty, now);
        } else {
            self.fail(core, "aggregate signature does not verify");
        }
        Ok(())
    }

    /// Takes a verified final signature and confirms it to every signer.
    pub(crate) fn adopt_signature(
        &mut self,
        core: &mut Core,
        sig: Signature,
        duty: bool,
        now: u64,
    ) {
        self.signature = Some(sig);
        self.secnonce = None;
        self.resumed = false;
        if let Some(n) = self.notices.get_mut(self.me) {
            *n = true;
        }
        self.set_phase(core, Phase::BroadcastConfirmation);
        core.event(Event::SignatureReady {
            session_id: self.id,
            signature: sig,
            broadcast_duty: duty,
        });
        self.broadcast(core, &Message::SignatureNotice(sig.to_bytes()), now);
    }

    /// A `NonceShare` of the current attempt from signer `j`.
    pub(crate) fn on_nonce(
        &mut self,
        core: &mut Core,
        j: usize,
        bytes: [u8; 66],
        now: u64,
        rng: &mut dyn RngCore,
    ) -> Result<(), Error> {
        let signer = self.key(j);
        let nonce = PubNonce::from_bytes(&bytes).map_err(|_| Error::InvalidContribution {
            kind: Kind::NonceShare,
            signer,
        })?;
        if !is_new(
            self.nonces.get(j).copied().flatten(),
            nonce,
            Kind::NonceShare,
            signer,
        )? {
            return Ok(());
        }
        match self.phase {
            // A signer sends its nonce when it joins, possibly before we have joined: it is
            // held (and counts as the sender's join) until we join too.
            Phase::Announced | Phase::Joining | Phase::NonceCollection => {}
            // Past round 1 every nonce is held, except after adopting a final signature.
            _ => return Ok(()),
        }
        // Validate the points now, so a bad nonce is blamed on its sender.
        self.ctx
            .nonce_agg(&[nonce])
            .map_err(|_| Error::InvalidContribution {
                kind: Kind::NonceShare,
                signer,
            })?;
        if let Some(joined) = self.joined.get_mut(j) {
            *joined = true;
        }
        if let Some(slot) = self.nonces.get_mut(j) {
            *slot = Some(nonce);
        }
        self.advance(core, now, rng)
    }

    /// A `PartialSigShare` of the current attempt from signer `j`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn on_psig(
        &mut self,
        core: &mut Core,
        j: usize,
        bytes: [u8; 32],
        their_aggnonce: [u8; 66],
        from: &crate::peer::PeerId,
        now: u64,
        rng: &mut dyn RngCore,
    ) -> Result<(), Error> {
        let signer = self.key(j);
        let psig =
            PartialSignature::from_bytes(&bytes).map_err(|_| Error::InvalidContribution {
                kind: Kind::PartialSigShare,
                signer,
            })?;
        if !is_new(
            self.psigs.get(j).copied().flatten(),
            psig,
            Kind::PartialSigShare,
            signer,
        )? {
            return Ok(());
        }
        match self.phase {
            Phase::PartialSigCollection | Phase::Aggregation => {}
            // We have sent our nonce but miss another signer's (which is also its join): the
            // sender is ahead of us (the network reordered). Hold its share (the first one)
            // until our round 1 completes.
            Phase::Joining | Phase::NonceCollection if self.own_nonce().is_some() => {
                if let Some(slot @ None) = self.early_psigs.get_mut(j) {
                    *slot = Some(super::session::EarlyPsig {
                        psig: bytes,
                        aggnonce: their_aggnonce,
                        from: from.clone(),
                    });
                }
                // Held, not yet judged: no reward until it is checked.
                core.reward_due = false;
                return Ok(());
            }
            // Nobody can sign before our nonce exists: impossible for an honest signer.
            Phase::Announced | Phase::Joining | Phase::NonceCollection => {
                return Err(self.out_of_phase(Kind::PartialSigShare))
            }
            _ => return Ok(()),
        }
        if self.aggnonce.map(|a| a.to_bytes()) != Some(their_aggnonce) {
            // The sender aggregated other nonces than we did: some signer equivocated its
            // nonce (we cannot tell who). Blame nobody; start over with fresh nonces.
            let next = self.attempt.saturating_add(1);
            self.start_attempt(core, next, now, rng)?;
            return Err(Error::NonceSetMismatch);
        }
        let (Some(signing), Some(Some(nonce)), Some(key)) = (
            self.signing.as_ref(),
            self.nonces.get(j).copied(),
            self.keys.get(j).copied(),
        ) else {
            return Err(self.out_of_phase(Kind::PartialSigShare));
        };
        signing
            .partial_verify(&psig, &nonce, &key)
            .map_err(|_| Error::InvalidContribution {
                kind: Kind::PartialSigShare,
                signer,
            })?;
        if let Some(slot) = self.psigs.get_mut(j) {
            *slot = Some(psig);
        }
        self.advance(core, now, rng)
    }

    /// A `SignatureNotice` from signer `j` (any attempt: it is self-authenticating).
    pub(crate) fn on_notice(
        &mut self,
        core: &mut Core,
        j: usize,
        bytes: [u8; 64],
        now: u64,
        rng: &mut dyn RngCore,
    ) -> Result<(), Error> {
        let invalid = Error::InvalidContribution {
            kind: Kind::SignatureNotice,
            signer: self.key(j),
        };
        // Before our join no final signature can exist (it needs our partial signature): a
        // notice then is a replayed signature of another session over the same keys and
        // message, never adopted.
        if self.phase == Phase::Announced {
            return Err(self.out_of_phase(Kind::SignatureNotice));
        }
        let sig = Signature::from_bytes(&bytes).map_err(|_| invalid.clone())?;
        if self.signature != Some(sig) && !self.ctx.verify(&self.ann.message, &sig) {
            return Err(invalid);
        }
        if let Some(n) = self.notices.get_mut(j) {
            *n = true;
        }
        if self.signature.is_none() && !matches!(self.phase, Phase::Aborted | Phase::Failed) {
            self.adopt_signature(core, sig, false, now);
        }
        self.advance(core, now, rng)
    }

    fn out_of_phase(&self, kind: Kind) -> Error {
        Error::OutOfPhase {
            kind,
            phase: self.phase,
        }
    }
}

/// Whether `got` is a first contribution: the same one again is a no-op (`false`), a
/// different one is equivocation.
fn is_new<T: PartialEq>(
    held: Option<T>,
    got: T,
    kind: Kind,
    signer: KeyBytes,
) -> Result<bool, Error> {
    match held {
        None => Ok(true),
        Some(h) if h == got => Ok(false),
        Some(_) => Err(Error::Equivocation { kind, signer }),
    }
}
