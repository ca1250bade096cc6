//! One session's state: parameters, collected contributions, coordinator position, timers.

use musig2_crypto::hash::tagged_hash;
use musig2_crypto::SecNonce;

use super::Phase;
use crate::crypto::{
    AggNonce, PartialSignature, PubNonce, PublicKey, Scheme, Signature, SigningContext,
    SigningSession, Tweak,
};
use crate::election::failover_order;
use crate::error::Error;
use crate::wire::{Announcement, KeyBytes, Message, TweakSpec};

use super::core::{scheme_of, Core};
use crate::wire::SchemeId;

/// Domain-separation tag of session IDs.
pub const SESSION_TAG: &str = "musig2-p2p/v1/session";

/// The session ID of an announcement (protocol.md §4).
pub fn session_id(scheme: SchemeId, ann: &Announcement) -> [u8; 32] {
    let mut w = crate::wire::codec_writer();
    ann.encode_into(&mut w, !ann.election.depends_on_announced_order());
    tagged_hash(SESSION_TAG, &[&[scheme as u8], &w.buf])
}

/// A partial signature that arrived before our round 1 completed, held to be checked then,
/// with the transport peer that delivered it (penalized if it is invalid).
pub(crate) struct EarlyPsig {
    pub(crate) psig: [u8; 32],
    pub(crate) aggnonce: [u8; 66],
    pub(crate) from: crate::peer::PeerId,
}

pub(crate) struct Session {
    pub(crate) id: [u8; 32],
    pub(crate) ann: Announcement,
    /// The signer that announced the session.
    pub(crate) creator: KeyBytes,
    /// The signed announcement envelope (for re-publication).
    pub(crate) ann_bytes: Vec<u8>,
    pub(crate) keys: Vec<PublicKey>,
    pub(crate) me: usize,
    pub(crate) ctx: SigningContext,
    /// Failover order as indices into `keys`.
    pub(crate) order: Vec<usize>,
    /// Position in `order` of the current coordinator.
    pub(crate) coord: usize,
    pub(crate) phase: Phase,
    pub(crate) attempt: u32,
    /// Restarted without state: waiting until every other signer has told us its attempt
    /// (any message does) to pick an attempt above all of them.
    pub(crate) resumed: bool,
    /// While resumed: which signers we have heard from, and the highest attempt among them.
    pub(crate) resume_heard: Vec<bool>,
    pub(crate) resume_max: u32,
    /// The transport peer that delivered the announcement while it is an un-joined
    /// invitation (`None` for our own sessions), and when it arrived.
    pub(crate) invited_by: Option<crate::peer::PeerId>,
    pub(crate) invited_at: u64,
    pub(crate) joined: Vec<bool>,
    pub(crate) secnonce: Option<SecNonce>,
    pub(crate) nonces: Vec<Option<PubNonce>>,
    pub(crate) aggnonce: Option<AggNonce>,
    /// Session values of the current attempt, computed once the aggregate nonce is known.
    pub(crate) signing: Option<SigningSession>,
    pub(crate) psigs: Vec<Option<PartialSignature>>,
    /// Partial signatures (with the aggregate nonce they name) that arrived while we still
    /// missed a nonce: the network reorders, so they are held, one per signer, and checked
    /// once our round 1 completes (instead of being dropped until a retransmission).
    pub(crate) early_psigs: Vec<Option<EarlyPsig>>,
    pub(crate) signature: Option<Signature>,
    pub(crate) notices: Vec<bool>,
    pub(crate) last_heard: Vec<u64>,
    pub(crate) last_reply: Vec<u64>,
    /// Start of the current coordinator's delivery deadline.
    pub(crate) agg_anchor: u64,
    pub(crate) next_retransmit: u64,
    /// Retransmissions since our last new contribution: each one waits twice as long as the
    /// one before (up to `timers::MAX_RETRANSMIT_BACKOFF` doublings), so a loaded network is not
    /// flooded with copies of messages that are only late.
    pub(crate) retransmits: u32,
    pub(crate) next_heartbeat: u64,
}

impl Session {
    /// Builds the state for an announcement that names `core.me`.
    pub(crate) fn new(
        core: &Core,
        scheme: SchemeId,
        ann: Announcement,
        ann_bytes: Vec<u8>,
        now: u64,
    ) -> Result<Self, Error> {
        let id = session_id(scheme, &ann);
        let keys = ann
            .signers
            .iter()
            .map(|k| PublicKey::from_bytes(k).map_err(|_| Error::InvalidKey))
            .collect::<Result<Vec<_>, _>>()?;
        let me = ann
            .signers
            .iter()
            .position(|k| *k == core.me)
            .ok_or(Error::NotOurSession)?;
        let tweak = match ann.tweak {
            TweakSpec::None => Tweak::None,
            TweakSpec::Taproot { merkle_root } => Tweak::Taproot { merkle_root },
        };
        if scheme_of(scheme) == Scheme::Lotus && ann.message.len() != 32 {
            // Lotus signs 32-byte digests only.
            let len = ann.message.len();
            return Err(crate::error::DecodeError::LengthOutOfRange {
                len,
                min: 32,
                max: 32,
            }
            .into());
        }
        let ctx = SigningContext::new(scheme_of(scheme), &keys, tweak)?;
        let order = failover_order(ann.election, &id, &ann.signers)
            .iter()
            .filter_map(|k| ann.signers.iter().position(|s| s == k))
            .collect();
        let n = keys.len();
        Ok(Self {
            id,
            creator: core.me,
            ann,
            ann_bytes,
            keys,
            me,
            ctx,
            order,
            coord: 0,
            phase: Phase::Announced,
            attempt: 0,
            resumed: false,
            resume_heard: vec![false; n],
            resume_max: 0,
            invited_by: None,
            invited_at: now,
            joined: vec![false; n],
            secnonce: None,
            nonces: vec![None; n],
            aggnonce: None,
            signing: None,
            psigs: vec![None; n],
            early_psigs: (0..n).map(|_| None).collect(),
            signature: None,
            notices: vec![false; n],
            last_heard: vec![now; n],
            last_reply: vec![0; n],
            agg_anchor: now,
            next_retransmit: now,
            retransmits: 0,
            next_heartbeat: now,
        })
    }

    pub(crate) fn n(&self) -> usize {
        self.keys.len()
    }

    pub(crate) fn key(&self, i: usize) -> KeyBytes {
        self.ann.signers.get(i).copied().unwrap_or([0; 33])
    }

    pub(crate) fn index_of(&self, key: &KeyBytes) -> Option<usize> {
        self.ann.signers.iter().position(|k| k == key)
    }

    /// Every signer but us.
    pub(crate) fn others(&self) -> Vec<KeyBytes> {
        (0..self.n())
            .filter(|&i| i != self.me)
            .map(|i| self.key(i))
            .collect()
    }

    /// The current coordinator's index, `None` once all have failed.
    pub(crate) fn coordinator(&self) -> Option<usize> {
        self.order.get(self.coord).copied()
    }

    /// Whether signer `j` still owes us the contribution of our current phase.
    pub(crate) fn lacks(&self, j: usize) -> bool {
        let has = match self.phase {
            Phase::Joining => self.joined.get(j).copied(),
            Phase::NonceCollection => self.nonces.get(j).map(Option::is_some),
            Phase::PartialSigCollection => self.psigs.get(j).map(Option::is_some),
            Phase::BroadcastConfirmation => self.notices.get(j).copied(),
            _ => Some(true),
        };
        j != self.me && has == Some(false)
    }

    /// Bitmap of the signers whose contribution to our current phase we hold.
    pub(crate) fn have_bitmap(&self) -> u64 {
        (0..self.n().min(64))
            .filter(|&j| j == self.me || !self.lacks(j))
            .fold(0u64, |acc, j| acc | (1u64 << j))
    }

    /// Our public nonce of the current attempt, once generated (and sent).
    pub(crate) fn own_nonce(&self) -> Option<PubNonce> {
        self.nonces.get(self.me).copied().flatten()
    }

    /// Our contributions to the current attempt, in protocol order.
    pub(crate) fn contributions(&self) -> Vec<Message> {
        let mut out = Vec::new();
        if let Some(sig) = &self.signature {
            out.push(Message::SignatureNotice(sig.to_bytes()));
            return out;
        }
        // Our nonce implies our join; a bare `Join` only while we hold no nonce (resuming).
        match self.own_nonce() {
            Some(n) => out.push(Message::NonceShare(n.to_bytes())),
            None if self.joined.get(self.me) == Some(&true) => out.push(Message::Join),
            None => {}
        }
        if let (Some(Some(p)), Some(agg)) = (self.psigs.get(self.me), self.aggnonce) {
            out.push(Message::PartialSigShare {
                psig: p.to_bytes(),
                aggnonce: agg.to_bytes(),
            });
        }
        out
    }

    /// Sends our contributions to signer `j`, at most once per retransmit interval.
    pub(crate) fn reply_to(&mut self, core: &mut Core, j: usize, now: u64) {
        let Some(last) = self.last_reply.get_mut(j) else {
            return;
        };
        if j == self.me
            || now < last.saturating_add(core.config.retransmit_interval_ms) && *last != 0
        {
            return;
        }
        *last = now;
        let key = [self.key(j)];
        for m in self.contributions() {
            core.send_to(&key, self.id, self.attempt, &m, now);
        }
    }
}
