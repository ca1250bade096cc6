//! JS shapes of the session events, and the per-session promises they settle.

use std::collections::BTreeMap;

use musig2_session::machine::Phase;
use musig2_session::wire::AbortReason;
use musig2_session::Event;
use wasm_bindgen::prelude::*;

use super::errors::{js_error, ErrorCode};

#[wasm_bindgen(typescript_custom_section)]
const TS_SESSION_EVENTS: &str = r#"
/** The phases of a signing session. */
export type SessionPhase =
  | "announced" | "joining" | "nonceCollection" | "partialSigCollection"
  | "aggregation" | "broadcastConfirmation" | "completed" | "aborted" | "failed";

/** Events of signing sessions (session IDs are 64-char hex strings). */
export type SessionEvent =
  | { type: "sessionDiscovered"; sessionId: string; signers: Uint8Array[]; message: Uint8Array; txType: string; taproot: TaprootTweak | null }
  | { type: "coordinatorElected"; sessionId: string; order: Uint8Array[] }
  | { type: "phaseChanged"; sessionId: string; phase: SessionPhase }
  | { type: "newAttempt"; sessionId: string; attempt: number }
  | { type: "failover"; sessionId: string; failed: Uint8Array; coordinator: Uint8Array; failures: number }
  | { type: "signatureReady"; sessionId: string; signature: Uint8Array; broadcastDuty: boolean }
  | { type: "broadcastDuty"; sessionId: string; signature: Uint8Array }
  | { type: "completed"; sessionId: string }
  | { type: "aborted"; sessionId: string; by: Uint8Array; reason: string }
  | { type: "failed"; sessionId: string; reason: string }
  | MessageRejectedEvent;

/** A session-protocol message from peer `from` was refused (and the peer penalized when it
 *  committed an offence). Also emitted for a message held earlier (an early partial
 *  signature) and judged invalid later. */
export interface MessageRejectedEvent {
  type: "messageRejected";
  /** The libp2p peer ID of the peer that delivered the message. */
  from: string;
  /** Why, in words (may change between versions; match on `code`). */
  reason: string;
  /** Stable camelCase code, e.g. "malformed", "invalidSignature", "clockSkew" (timestamp
   *  outside the allowed skew: not penalised), "duplicate", "equivocation",
   *  "invalidContribution", "rateLimited", "keyCap", "forwarded", "graylisted",
   *  "blacklisted", "unknownSession", "notASigner", "outOfPhase", "capacity". */
  code: MessageRejectedCode;
  /** Hex of the 33-byte signing key blamed (equivocation, invalid contribution), else null. */
  signer: string | null;
}

/** The codes of `MessageRejectedEvent.code` (and of `reason` on SESSION_REJECTED errors). */
export type MessageRejectedCode =
  | "malformed" | "invalidSignature" | "invalidSenderKey" | "blacklisted" | "graylisted"
  | "clockSkew" | "duplicate" | "seqRegression" | "unknownSession" | "sessionExpired"
  | "notASigner" | "outOfPhase" | "staleAttempt" | "equivocation" | "invalidContribution"
  | "sessionIdMismatch" | "rateLimited" | "keyCap" | "unexpectedKind" | "premature"
  | "nonceSetMismatch" | "attemptOutOfRange" | "wrongScheme" | "peerMismatch" | "invalidKey"
  | "notOurSession" | "capacity" | "invalidCommand" | "crypto" | "forwarded"
  | "announcementTimes" | "unsolicitedAccept";
"#;

/// Lower-case hex of a session ID.
pub fn hex_id(id: &[u8; 32]) -> String {
    id.iter().map(|b| format!("{b:02x}")).collect()
}

/// Lower-case hex of any bytes.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}

/// The fields of a `messageRejected` event: `from` (peer ID), `reason` (words), `code`
/// ([`musig2_session::Error::code`]) and `signer` (hex of [`musig2_session::Error::culprit`]
/// or null).
pub fn rejection_fields(
    from: String,
    error: &musig2_session::Error,
) -> Vec<(&'static str, JsValue)> {
    vec![
        ("from", from.into()),
        ("reason", error.to_string().into()),
        ("code", error.code().into()),
        (
            "signer",
            error
                .culprit()
                .map_or(JsValue::NULL, |k| hex_key(&k).into()),
        ),
    ]
}

/// Lower-case hex of a public key.
pub fn hex_key(key: &[u8; 33]) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses a 64-char hex session ID.
pub fn parse_id(s: &str) -> Result<[u8; 32], JsValue> {
    let bad = || {
        js_error(
            ErrorCode::InvalidArgument,
            format!("invalid session id {s:?}"),
        )
    };
    if s.len() != 64 || !s.is_ascii() {
        return Err(bad());
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        let pair = s.get(2 * i..2 * i + 2).ok_or_else(bad)?;
        *byte = u8::from_str_radix(pair, 16).map_err(|_| bad())?;
    }
    Ok(out)
}

/// Every phase, for parsing names.
const PHASES: [Phase; 9] = [
    Phase::Announced,
    Phase::Joining,
    Phase::NonceCollection,
    Phase::PartialSigCollection,
    Phase::Aggregation,
    Phase::BroadcastConfirmation,
    Phase::Completed,
    Phase::Aborted,
    Phase::Failed,
];

/// Parses a `SessionPhase` name.
pub fn parse_phase(name: &str) -> Result<Phase, JsValue> {
    PHASES
        .into_iter()
        .find(|p| phase_name(*p) == name)
        .ok_or_else(|| {
            js_error(
                ErrorCode::InvalidArgument,
                format!("unknown session phase {name:?}"),
            )
        })
}

fn phase_name(p: Phase) -> &'static str {
    match p {
        Phase::Announced => "announced",
        Phase::Joining => "joining",
        Phase::NonceCollection => "nonceCollection",
        Phase::PartialSigCollection => "partialSigCollection",
        Phase::Aggregation => "aggregation",
        Phase::BroadcastConfirmation => "broadcastConfirmation",
        Phase::Completed => "completed",
        Phase::Aborted => "aborted",
        Phase::Failed => "failed",
    }
}

fn reason_name(r: AbortReason) -> &'static str {
    match r {
        AbortReason::Declined => "declined",
        AbortReason::Timeout => "timeout",
        AbortReason::Misbehaviour => "misbehaviour",
        AbortReason::Local => "local",
        AbortReason::TooManyAttempts => "tooManyAttempts",
    }
}

fn bytes(b: &[u8]) -> JsValue {
    js_sys::Uint8Array::from(b).into()
}

fn keys(list: &[[u8; 33]]) -> JsValue {
    list.iter()
        .map(|k| bytes(k))
        .collect::<js_sys::Array>()
        .into()
}

fn taproot_js(tweak: &musig2_session::wire::TweakSpec) -> JsValue {
    match tweak {
        musig2_session::wire::TweakSpec::None => JsValue::NULL,
        musig2_session::wire::TweakSpec::Taproot { merkle_root } => {
            let obj = js_sys::Object::new();
            let root = merkle_root.map_or(JsValue::NULL, |r| bytes(&r));
            let _ = js_sys::Reflect::set(&obj, &"merkleRoot".into(), &root);
            obj.into()
        }
    }
}

/// The event name and JS payload of a session event, or `None` for events the driver
/// handles itself.
pub fn to_js(event: &Event) -> Option<(&'static str, Vec<(&'static str, JsValue)>)> {
    let id = |i: &[u8; 32]| JsValue::from(hex_id(i));
    Some(match event {
        Event::SessionDiscovered {
            session_id,
            announcement,
        } => (
            "sessionDiscovered",
            vec![
                ("sessionId", id(session_id)),
                ("signers", keys(&announcement.signers)),
                ("message", bytes(&announcement.message)),
                ("txType", announcement.tx_type.clone().into()),
                ("taproot", taproot_js(&announcement.tweak)),
            ],
        ),
        Event::CoordinatorElected { session_id, order } => (
            "coordinatorElected",
            vec![("sessionId", id(session_id)), ("order", keys(order))],
        ),
        Event::PhaseChanged { session_id, phase } => (
            "phaseChanged",
            vec![
                ("sessionId", id(session_id)),
                ("phase", phase_name(*phase).into()),
            ],
        ),
        Event::NewAttempt {
            session_id,
            attempt,
        } => (
            "newAttempt",
            vec![
                ("sessionId", id(session_id)),
                ("attempt", (*attempt).into()),
            ],
        ),
        Event::Failover {
            session_id,
            failed,
            coordinator,
            failures,
        } => (
            "failover",
            vec![
                ("sessionId", id(session_id)),
                ("failed", bytes(failed)),
                ("coordinator", bytes(coordinator)),
                ("failures", (*failures as u32).into()),
            ],
        ),
        Event::SignatureReady {
            session_id,
            signature,
            broadcast_duty,
        } => (
            "signatureReady",
            vec![
                ("sessionId", id(session_id)),
                ("signature", bytes(&signature.to_bytes())),
                ("broadcastDuty", (*broadcast_duty).into()),
            ],
        ),
        Event::BroadcastDuty {
            session_id,
            signature,
        } => (
            "broadcastDuty",
            vec![
                ("sessionId", id(session_id)),
                ("signature", bytes(&signature.to_bytes())),
            ],
        ),
        Event::Completed { session_id } => ("completed", vec![("sessionId", id(session_id))]),
        Event::Aborted {
            session_id,
            by,
            reason,
        } => (
            "aborted",
            vec![
                ("sessionId", id(session_id)),
                ("by", bytes(by)),
                ("reason", reason_name(*reason).into()),
            ],
        ),
        Event::Failed { session_id, reason } => (
            "failed",
            vec![("sessionId", id(session_id)), ("reason", (*reason).into())],
        ),
        Event::MessageRejected { from, error } => {
            let from = musig2_net::libp2p::PeerId::from_bytes(&from.0)
                .map_or_else(|_| hex(&from.0), |p| p.to_string());
            ("messageRejected", rejection_fields(from, error))
        }
        _ => return None,
    })
}

/// Most finished sessions whose outcome is remembered for late `signature()` calls.
const MAX_OUTCOMES: usize = 256;

type Settle = (js_sys::Function, js_sys::Function);
type Outcome = Result<Vec<u8>, (ErrorCode, String)>;

/// The promises returned by `signature(sessionId)`, settled by session events.
#[derive(Default)]
pub struct SessionPromises {
    waiting: BTreeMap<[u8; 32], Vec<Settle>>,
    outcomes: BTreeMap<[u8; 32], Outcome>,
}

impl SessionPromises {
    /// A promise for the final signature of `id`.
    pub fn promise(&mut self, id: [u8; 32]) -> js_sys::Promise {
        let outcome = self.outcomes.get(&id).cloned();
        let waiting = &mut self.waiting;
        js_sys::Promise::new(&mut |resolve, reject| match &outcome {
            Some(Ok(sig)) => {
                let _ = resolve.call1(&JsValue::NULL, &bytes(sig));
            }
            Some(Err((code, msg))) => {
                let _ = reject.call1(&JsValue::NULL, &js_error(*code, msg));
            }
            None => waiting.entry(id).or_default().push((resolve, reject)),
        })
    }

    /// Records the known signature of a session (restored from storage).
    pub fn remember(&mut self, id: [u8; 32], signature: Vec<u8>) {
        self.settle(id, Ok(signature));
    }

    /// Settles the promises of a session that ended (or produced its signature).
    pub fn observe(&mut self, event: &Event) {
        let (id, outcome) = match event {
            Event::SignatureReady {
                session_id,
                signature,
                ..
            } => (session_id, Ok(signature.to_bytes().to_vec())),
            Event::Aborted {
                session_id, reason, ..
            } => (
                session_id,
                Err((
                    ErrorCode::SessionAborted,
                    format!("aborted: {}", reason_name(*reason)),
                )),
            ),
            Event::Failed { session_id, reason } => (
                session_id,
                Err((ErrorCode::SessionFailed, format!("failed: {reason}"))),
            ),
            _ => return,
        };
        self.settle(*id, outcome);
    }

    fn settle(&mut self, id: [u8; 32], outcome: Outcome) {
        if self.outcomes.contains_key(&id) {
            return;
        }
        for (resolve, reject) in self.waiting.remove(&id).unwrap_or_default() {
            let _ = match &outcome {
                Ok(sig) => resolve.call1(&JsValue::NULL, &bytes(sig)),
                Err((code, msg)) => reject.call1(&JsValue::NULL, &js_error(*code, msg)),
            };
        }
        if self.outcomes.len() >= MAX_OUTCOMES {
            // Bounded memory: forget one remembered outcome (a late `signature()` call for
            // it then waits for nothing; callers should await the promise early).
            if let Some(any) = self.outcomes.keys().next().copied() {
                self.outcomes.remove(&any);
            }
        }
        self.outcomes.insert(id, outcome);
    }
}
