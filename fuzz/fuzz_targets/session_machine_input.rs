//! The session state machine driven by a fuzz-chosen script: `handle_message` with raw bytes
//! and with well-signed envelopes from three known co-signers (honest or arbitrary joins,
//! nonces, partial signatures, notices, aborts, heartbeats, announcements, advertisements and
//! requests; replays and bit flips of earlier envelopes; whole honest rounds), interleaved
//! with local commands, DHT records, restarts from persisted announcements and timeouts. It must never panic, and
//! every signature it reports as ready must verify under the session's aggregate key.
#![no_main]

use std::collections::BTreeMap;

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use musig2_crypto::scheme::schnorr_sign;
use musig2_p2p_fuzz::{bytes_up_to, flip_bit, small_secret, FuzzRng};
use musig2_session::crypto::{
    PartialSignature, PubNonce, PublicKey, Scheme, SecNonce, SecretKey, SigningContext, Tweak,
};
use musig2_session::machine::session_id;
use musig2_session::wire::{
    Abort, AbortReason, Announcement, Envelope, KeyBytes, Kind, Message, SchemeId, SigningRequest,
    TweakSpec,
};
use musig2_session::{Config, ElectionMethod, Event, Machine, PeerId, Phase, SessionParams};

/// Start of fuzz time (ms since the epoch).
const T0: u64 = 1_700_000_000_000;
/// Number of co-signers the harness plays (besides the machine).
const PEERS: usize = 3;
/// Most operations per input, so one input stays fast.
const MAX_OPS: usize = 48;

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});

/// Key of (session, attempt, signer key).
type Slot = ([u8; 32], u32, KeyBytes);

struct World {
    m: Machine,
    scheme: Scheme,
    now: u64,
    rng: FuzzRng,
    me: KeyBytes,
    /// Secret keys: index 0 is the machine, 1..=PEERS the co-signers the harness plays.
    secrets: Vec<[u8; 32]>,
    /// Their public keys, same indices.
    keys: Vec<KeyBytes>,
    seqs: [u64; PEERS + 1],
    sessions: BTreeMap<[u8; 32], (Announcement, Vec<u8>)>,
    nonces: BTreeMap<Slot, PubNonce>,
    secnonces: BTreeMap<Slot, SecNonce>,
    /// Partial signatures with the aggregate nonce each was made for.
    psigs: BTreeMap<Slot, (PartialSignature, [u8; 66])>,
    requests: Vec<([u8; 32], KeyBytes)>,
    /// Recent envelopes (anyone's), for replays.
    seen: Vec<Vec<u8>>,
}

fn run(u: &mut Unstructured<'_>) -> Result<()> {
    let scheme = if u.arbitrary()? {
        Scheme::Lotus
    } else {
        Scheme::Bip327
    };
    let config = if u.ratio(1, 4)? {
        Config {
            max_sessions: 2,
            max_attempts: 2,
            max_tracked_peers: 2,
            max_pending_transmits: 8,
            max_pending_events: 8,
            max_known_signers: 2,
            ..Config::default()
        }
    } else {
        Config::default()
    };
    let secrets: Vec<[u8; 32]> = (0..=PEERS).map(|i| small_secret(i as u8)).collect();
    let keys: Vec<KeyBytes> = secrets
        .iter()
        .map(|s| {
            SecretKey::from_bytes(s)
                .expect("valid")
                .public_key()
                .to_bytes()
        })
        .collect();
    let sk = SecretKey::from_bytes(&secrets[0]).expect("valid");
    let me = keys[0];
    let mut w = World {
        m: Machine::new(config, scheme, sk, T0, u.arbitrary()?),
        scheme,
        now: T0,
        rng: FuzzRng::new(u.arbitrary()?),
        me,
        secrets,
        keys,
        seqs: [T0 * 1024; PEERS + 1],
        sessions: BTreeMap::new(),
        nonces: BTreeMap::new(),
        secnonces: BTreeMap::new(),
        psigs: BTreeMap::new(),
        requests: Vec::new(),
        seen: Vec::new(),
    };
    for _ in 0..MAX_OPS {
        if u.is_empty() {
            break;
        }
        step(&mut w, u)?;
        drain(&mut w);
    }
    Ok(())
}

fn key_of(w: &World, i: usize) -> KeyBytes {
    w.keys[i]
}

fn peer_id(i: usize) -> PeerId {
    PeerId::new(vec![0xA0, i as u8])
}

fn step(w: &mut World, u: &mut Unstructured<'_>) -> Result<()> {
    match u.int_in_range(0..=15u8)? {
        0 => create_session(w, u),
        1 => {
            let ann = announcement(w, u)?;
            let sender = u.int_in_range(1..=PEERS)?;
            let id = if u.ratio(7, 8)? {
                session_id(scheme_id(w.scheme), &ann)
            } else {
                u.arbitrary()?
            };
            let bytes = seal(w, u, sender, id, 0, Message::Announcement(ann))?;
            deliver(w, u, sender, &bytes)
        }
        2 => {
            let id = pick_session(w, u)?;
            let _ = w.m.join(w.now, &id, &mut w.rng);
            Ok(())
        }
        3 => session_message(w, u, |_, _, _, _| Ok(Some(Message::Join))),
        4 => session_message(w, u, honest_nonce),
        5 => session_message(w, u, |_, u, _, _| {
            Ok(Some(Message::NonceShare(u.arbitrary()?)))
        }),
        6 => session_message(w, u, honest_psig),
        7 => session_message(w, u, |w, u, (id, attempt), _| {
            // An arbitrary scalar, bound to the true aggregate nonce when the harness knows it.
            let known = w.sessions.get(&id).and_then(|(ann, _)| {
                let ctx = context(w.scheme, ann)?;
                ctx.nonce_agg(&all_nonces(w, ann, id, attempt)?).ok()
            });
            let aggnonce = match known {
                Some(agg) if u.arbitrary()? => agg.to_bytes(),
                _ => u.arbitrary()?,
            };
            Ok(Some(Message::PartialSigShare {
                psig: u.arbitrary()?,
                aggnonce,
            }))
        }),
        8 => session_message(w, u, notice),
        9 => session_message(w, u, |_, u, _, _| {
            Ok(Some(if u.arbitrary()? {
                let reasons = [
                    AbortReason::Declined,
                    AbortReason::Timeout,
                    AbortReason::Misbehaviour,
                    AbortReason::Local,
                    AbortReason::TooManyAttempts,
                ];
                let reason = reasons[u.int_in_range(0..=reasons.len() - 1)?];
                let detail = String::from_utf8_lossy(bytes_up_to(u, 32)?)
                    .chars()
                    .take(32)
                    .collect();
                Message::Abort(Abort { reason, detail })
            } else {
                Message::Heartbeat {
                    phase: u.int_in_range(0..=8)?,
                    have: u.arbitrary()?,
                }
            }))
        }),
        10 => {
            let dt = match u.int_in_range(0..=3u8)? {
                0 => w.m.poll_timeout().map_or(0, |t| t.saturating_sub(w.now)),
                1 => u.int_in_range(0..=2_000)?,
                2 => u.int_in_range(0..=60_000)?,
                _ => u.int_in_range(0..=86_400_000)?,
            };
            w.now = w.now.saturating_add(dt);
            w.m.handle_timeout(w.now);
            Ok(())
        }
        11 => {
            let bytes = bytes_up_to(u, 1024)?.to_vec();
            if u.arbitrary()? {
                let from = u.int_in_range(0..=PEERS + 1)?;
                let _ =
                    w.m.handle_message(w.now, &peer_id(from), &bytes, &mut w.rng);
            } else {
                let _ = w.m.handle_dht_record(w.now, &bytes);
            }
            Ok(())
        }
        12 => replay(w, u),
        13 => discovery(w, u),
        14 => resign_arbitrary(w, u),
        _ => honest_step(w, u),
    }
}

fn scheme_id(scheme: Scheme) -> SchemeId {
    match scheme {
        Scheme::Bip327 => SchemeId::Bip327,
        Scheme::Lotus => SchemeId::Lotus,
    }
}

/// Signs an envelope as signer `i` (1..=PEERS), mostly with the next sequence number and the
/// current time.
fn seal(
    w: &mut World,
    u: &mut Unstructured<'_>,
    i: usize,
    id: [u8; 32],
    attempt: u32,
    message: Message,
) -> Result<Vec<u8>> {
    if !u.ratio(1, 8)? {
        w.seqs[i] = w.seqs[i].saturating_add(u.int_in_range(1..=3)?);
    }
    let skew: i32 = if u.ratio(7, 8)? {
        0
    } else {
        u.int_in_range(-60_000..=60_000)?
    };
    let scheme = if u.ratio(15, 16)? {
        scheme_id(w.scheme)
    } else {
        SchemeId::Lotus
    };
    let mut env = Envelope {
        scheme,
        session_id: id,
        sender: key_of(w, i),
        attempt,
        seq: w.seqs[i],
        timestamp: w.now.saturating_add_signed(i64::from(skew)),
        message,
        signature: [0; 64],
    };
    let sk = SecretKey::from_bytes(&w.secrets[i]).expect("valid");
    let sig_scheme = if scheme == SchemeId::Lotus {
        Scheme::Lotus
    } else {
        Scheme::Bip327
    };
    env.signature = schnorr_sign(sig_scheme, &sk, &env.digest(), [7; 32])
        .expect("sign")
        .to_bytes();
    Ok(env.encode())
}

/// Hands bytes from signer `i` to the machine, mostly over that signer's own connection.
fn deliver(w: &mut World, u: &mut Unstructured<'_>, i: usize, bytes: &[u8]) -> Result<()> {
    let from = if u.ratio(7, 8)? {
        i
    } else {
        u.int_in_range(0..=PEERS + 1)?
    };
    let _ = w.m.handle_message(w.now, &peer_id(from), bytes, &mut w.rng);
    remember(w, bytes.to_vec());
    Ok(())
}

fn remember(w: &mut World, bytes: Vec<u8>) {
    if w.seen.len() >= 32 {
        w.seen.remove(0);
    }
    w.seen.push(bytes);
}

fn signer_set(w: &World, u: &mut Unstructured<'_>) -> Result<Vec<KeyBytes>> {
    let mut keys: Vec<KeyBytes> = (0..=PEERS).map(|i| key_of(w, i)).collect();
    // A fuzz-chosen order and subset (the machine's key usually included), maybe a stranger.
    for i in (1..keys.len()).rev() {
        let j = u.int_in_range(0..=i)?;
        keys.swap(i, j);
    }
    let n = u.int_in_range(2..=keys.len())?;
    keys.truncate(n);
    if u.ratio(7, 8)? && !keys.contains(&w.me) {
        keys[0] = w.me;
    }
    if u.ratio(1, 16)? {
        keys.push(u.arbitrary()?);
    }
    Ok(keys)
}

fn message(w: &World, u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
    if w.scheme == Scheme::Lotus && u.ratio(7, 8)? {
        Ok(u.arbitrary::<[u8; 32]>()?.to_vec())
    } else {
        Ok(bytes_up_to(u, 48)?.to_vec())
    }
}

fn tweak(u: &mut Unstructured<'_>) -> Result<TweakSpec> {
    Ok(match u.int_in_range(0..=2u8)? {
        0 => TweakSpec::None,
        1 => TweakSpec::Taproot { merkle_root: None },
        _ => TweakSpec::Taproot {
            merkle_root: Some(u.arbitrary()?),
        },
    })
}

fn election(u: &mut Unstructured<'_>) -> Result<ElectionMethod> {
    Ok(ElectionMethod::from_code(u.int_in_range(0..=3)?).unwrap_or_default())
}

fn create_session(w: &mut World, u: &mut Unstructured<'_>) -> Result<()> {
    let params = SessionParams {
        signers: signer_set(w, u)?,
        message: message(w, u)?,
        tweak: tweak(u)?,
        election: election(u)?,
        tx_type: "fuzz".to_owned(),
    };
    let _ = w.m.create_session(w.now, params, &mut w.rng);
    Ok(())
}

fn announcement(w: &World, u: &mut Unstructured<'_>) -> Result<Announcement> {
    let lifetime = if u.ratio(7, 8)? {
        600_000
    } else {
        u.int_in_range(0..=100_000_000)?
    };
    let created_at = w.now.saturating_sub(u.int_in_range(0..=1_000)?);
    Ok(Announcement {
        election: election(u)?,
        tweak: tweak(u)?,
        signers: signer_set(w, u)?,
        message: message(w, u)?,
        tx_type: "fuzz".to_owned(),
        salt: u.arbitrary()?,
        created_at,
        expires_at: created_at.saturating_add(lifetime),
    })
}

fn pick_session(w: &World, u: &mut Unstructured<'_>) -> Result<[u8; 32]> {
    if w.sessions.is_empty() || u.ratio(1, 16)? {
        return u.arbitrary();
    }
    let i = u.int_in_range(0..=w.sessions.len() - 1)?;
    Ok(*w.sessions.keys().nth(i).expect("in range"))
}

/// Builds a message of a session (chosen id, sender and attempt) with `make` and delivers it
/// signed. `make` gets the session id, attempt and sender index.
fn session_message(
    w: &mut World,
    u: &mut Unstructured<'_>,
    make: impl FnOnce(
        &mut World,
        &mut Unstructured<'_>,
        ([u8; 32], u32),
        usize,
    ) -> Result<Option<Message>>,
) -> Result<()> {
    let id = pick_session(w, u)?;
    let sender = u.int_in_range(1..=PEERS)?;
    let attempt = match (w.m.session(&id), u.ratio(3, 4)?) {
        (Some(info), true) => info.attempt,
        _ => u.int_in_range(0..=3)?,
    };
    let Some(msg) = make(w, u, (id, attempt), sender)? else {
        return Ok(());
    };
    let bytes = seal(w, u, sender, id, attempt, msg)?;
    deliver(w, u, sender, &bytes)
}

fn context(scheme: Scheme, ann: &Announcement) -> Option<SigningContext> {
    let keys = ann
        .signers
        .iter()
        .map(|k| PublicKey::from_bytes(k).ok())
        .collect::<Option<Vec<_>>>()?;
    let tweak = match ann.tweak {
        TweakSpec::None => Tweak::None,
        TweakSpec::Taproot { merkle_root } => Tweak::Taproot { merkle_root },
    };
    SigningContext::new(scheme, &keys, tweak).ok()
}

fn honest_nonce(
    w: &mut World,
    u: &mut Unstructured<'_>,
    (id, attempt): ([u8; 32], u32),
    i: usize,
) -> Result<Option<Message>> {
    let Some((ann, _)) = w.sessions.get(&id) else {
        return Ok(None);
    };
    let Some(ctx) = context(w.scheme, ann) else {
        return Ok(None);
    };
    let key = key_of(w, i);
    let slot = (id, attempt, key);
    if let Some(n) = w.nonces.get(&slot) {
        return Ok(Some(Message::NonceShare(n.to_bytes())));
    }
    let sk = SecretKey::from_bytes(&w.secrets[i]).expect("valid");
    let Ok((sec, public)) = ctx.nonce_gen(&sk, &ann.message, u.arbitrary()?) else {
        return Ok(None);
    };
    w.nonces.insert(slot, public);
    w.secnonces.insert(slot, sec);
    Ok(Some(Message::NonceShare(public.to_bytes())))
}

/// Everyone's public nonce of one attempt, in announced order, if the harness knows them all.
fn all_nonces(w: &World, ann: &Announcement, id: [u8; 32], attempt: u32) -> Option<Vec<PubNonce>> {
    ann.signers
        .iter()
        .map(|k| w.nonces.get(&(id, attempt, *k)).copied())
        .collect()
}

fn honest_psig(
    w: &mut World,
    _: &mut Unstructured<'_>,
    (id, attempt): ([u8; 32], u32),
    i: usize,
) -> Result<Option<Message>> {
    let key = key_of(w, i);
    let slot = (id, attempt, key);
    if let Some((p, aggnonce)) = w.psigs.get(&slot) {
        return Ok(Some(Message::PartialSigShare {
            psig: p.to_bytes(),
            aggnonce: *aggnonce,
        }));
    }
    let Some((ann, _)) = w.sessions.get(&id) else {
        return Ok(None);
    };
    let (Some(ctx), Some(nonces)) = (context(w.scheme, ann), all_nonces(w, ann, id, attempt))
    else {
        return Ok(None);
    };
    let Some(sec) = w.secnonces.remove(&slot) else {
        return Ok(None);
    };
    let sk = SecretKey::from_bytes(&w.secrets[i]).expect("valid");
    let Ok(agg) = ctx.nonce_agg(&nonces) else {
        return Ok(None);
    };
    let Ok(psig) = ctx.sign(sec, &sk, &agg, &ann.message) else {
        return Ok(None);
    };
    let aggnonce = agg.to_bytes();
    w.psigs.insert(slot, (psig, aggnonce));
    Ok(Some(Message::PartialSigShare {
        psig: psig.to_bytes(),
        aggnonce,
    }))
}

fn notice(
    w: &mut World,
    u: &mut Unstructured<'_>,
    (id, attempt): ([u8; 32], u32),
    _: usize,
) -> Result<Option<Message>> {
    if u.ratio(1, 4)? {
        return Ok(Some(Message::SignatureNotice(u.arbitrary()?)));
    }
    let Some((ann, _)) = w.sessions.get(&id) else {
        return Ok(None);
    };
    let (Some(ctx), Some(nonces)) = (context(w.scheme, ann), all_nonces(w, ann, id, attempt))
    else {
        return Ok(None);
    };
    let psigs: Option<Vec<PartialSignature>> = ann
        .signers
        .iter()
        .map(|k| w.psigs.get(&(id, attempt, *k)).map(|(p, _)| *p))
        .collect();
    let Some(psigs) = psigs else { return Ok(None) };
    let Ok(sig) = ctx
        .nonce_agg(&nonces)
        .and_then(|agg| ctx.aggregate(&agg, &ann.message, &psigs))
    else {
        return Ok(None);
    };
    Ok(Some(Message::SignatureNotice(sig.to_bytes())))
}

fn replay(w: &mut World, u: &mut Unstructured<'_>) -> Result<()> {
    if w.seen.is_empty() {
        return Ok(());
    }
    let mut bytes = w.seen[u.int_in_range(0..=w.seen.len() - 1)?].clone();
    if u.ratio(1, 2)? {
        flip_bit(u, &mut bytes)?;
    }
    match u.int_in_range(0..=2u8)? {
        0 => {
            let from = u.int_in_range(0..=PEERS + 1)?;
            let _ =
                w.m.handle_message(w.now, &peer_id(from), &bytes, &mut w.rng);
        }
        1 => {
            let _ = w.m.handle_dht_record(w.now, &bytes);
        }
        _ => {
            let _ = w.m.resume_session(w.now, &bytes, u.int_in_range(0..=4)?);
        }
    }
    Ok(())
}

fn discovery(w: &mut World, u: &mut Unstructured<'_>) -> Result<()> {
    let sender = u.int_in_range(1..=PEERS)?;
    match u.int_in_range(0..=6u8)? {
        0 => {
            let ad = Message::decode_body(Kind::SignerAdvertisement, bytes_up_to(u, 96)?);
            let Ok(ad) = ad else { return Ok(()) };
            let bytes = seal(w, u, sender, [0; 32], 0, ad)?;
            deliver(w, u, sender, &bytes)?;
        }
        1 => {
            let request = SigningRequest {
                tx_type: "fuzz".to_owned(),
                message: message(w, u)?,
                signers: signer_set(w, u)?,
                expires_at: w.now.saturating_add(u.int_in_range(0..=1_000_000)?),
            };
            let id: [u8; 32] = u.arbitrary()?;
            let bytes = seal(w, u, sender, id, 0, Message::SigningRequest(request))?;
            deliver(w, u, sender, &bytes)?;
        }
        2 => {
            // An Accept of one of our requests (or of an unknown one).
            let id = match w.requests.first() {
                Some((id, _)) if u.arbitrary()? => *id,
                _ => u.arbitrary()?,
            };
            let bytes = seal(w, u, sender, id, 0, Message::Accept)?;
            deliver(w, u, sender, &bytes)?;
        }
        3 => {
            let peer = bytes_up_to(u, 70)?.to_vec();
            let lifetime = u.int_in_range(0..=10_000_000)?;
            let _ =
                w.m.advertise(w.now, vec!["fuzz".to_owned()], peer, None, lifetime);
        }
        4 => {
            let to = signer_set(w, u)?;
            let request = SigningRequest {
                tx_type: "fuzz".to_owned(),
                message: message(w, u)?,
                signers: to.clone(),
                expires_at: w.now.saturating_add(60_000),
            };
            let id: [u8; 32] = u.arbitrary()?;
            if w.m.request_signature(w.now, id, request, &to).is_ok() {
                w.requests.push((id, w.me));
            }
        }
        5 => {
            if let Some(&(id, from)) = w.requests.last() {
                w.m.accept_request(w.now, id, from);
            }
            let _ = w.m.known_signers("fuzz", w.now);
        }
        _ => {
            let id = pick_session(w, u)?;
            let _ = if u.arbitrary()? {
                w.m.decline(w.now, &id)
            } else {
                w.m.abort(w.now, &id)
            };
        }
    }
    Ok(())
}

/// Every co-signer the harness plays (in a fuzz-chosen order, some maybe skipped) sends what an
/// honest signer sends in the machine's current phase of a session: this drives sessions
/// through whole rounds, so the other operations can strike at any point of them.
fn honest_step(w: &mut World, u: &mut Unstructured<'_>) -> Result<()> {
    let id = pick_session(w, u)?;
    let Some(info) = w.m.session(&id) else {
        return Ok(());
    };
    let Some((ann, _)) = w.sessions.get(&id) else {
        return Ok(());
    };
    let mut signers: Vec<usize> = (1..=PEERS)
        .filter(|&i| ann.signers.contains(&w.keys[i]))
        .collect();
    if u.arbitrary()? {
        signers.reverse();
    }
    for i in signers {
        if u.ratio(1, 8)? {
            continue;
        }
        let attempt = info.attempt;
        let msg = match info.phase {
            Phase::Announced | Phase::Joining => Some(Message::Join),
            Phase::NonceCollection => honest_nonce(w, u, (id, attempt), i)?,
            Phase::PartialSigCollection => honest_psig(w, u, (id, attempt), i)?,
            _ => notice(w, u, (id, attempt), i)?,
        };
        if let Some(msg) = msg {
            let bytes = seal(w, u, i, id, attempt, msg)?;
            deliver(w, u, i, &bytes)?;
            drain(w);
        }
    }
    Ok(())
}

/// Decodes fuzz bytes as an envelope and, when they decode, re-signs them as a known signer:
/// arbitrary well-formed messages then get past the signature check.
fn resign_arbitrary(w: &mut World, u: &mut Unstructured<'_>) -> Result<()> {
    let raw = bytes_up_to(u, 512)?;
    let Ok(env) = Envelope::decode(raw) else {
        return Ok(());
    };
    let sender = u.int_in_range(1..=PEERS)?;
    let id = if u.arbitrary()? {
        pick_session(w, u)?
    } else {
        env.session_id
    };
    let bytes = seal(w, u, sender, id, env.attempt, env.message)?;
    deliver(w, u, sender, &bytes)
}

/// Takes everything the machine produced: learns its nonces and partial signatures, the
/// sessions it knows, and checks every reported signature.
fn drain(w: &mut World) {
    while let Some(t) = w.m.poll_transmit() {
        if let Ok(env) = Envelope::decode(&t.bytes) {
            let slot = (env.session_id, env.attempt, env.sender);
            match env.message {
                Message::NonceShare(n) => {
                    if let Ok(n) = PubNonce::from_bytes(&n) {
                        w.nonces.insert(slot, n);
                    }
                }
                Message::PartialSigShare { psig, aggnonce } => {
                    if let Ok(p) = PartialSignature::from_bytes(&psig) {
                        w.psigs.insert(slot, (p, aggnonce));
                    }
                }
                Message::Announcement(ann) => {
                    w.sessions.insert(env.session_id, (ann, t.bytes.clone()));
                }
                _ => {}
            }
        }
        remember(w, t.bytes);
    }
    while let Some(e) = w.m.poll_event() {
        trace(&e);
        match e {
            Event::SessionDiscovered {
                session_id,
                announcement,
            } => {
                let bytes =
                    w.m.session(&session_id)
                        .map(|s| s.announcement)
                        .unwrap_or_default();
                w.sessions.insert(session_id, (announcement, bytes));
            }
            Event::SignatureReady {
                session_id,
                signature,
                ..
            } => {
                // Checked against the announcement the machine itself holds.
                let info =
                    w.m.session(&session_id)
                        .expect("signature of a live session");
                let env = Envelope::decode(&info.announcement).expect("held announcement decodes");
                let Message::Announcement(ann) = env.message else {
                    panic!("held announcement is not an announcement");
                };
                let scheme = if env.scheme == SchemeId::Lotus {
                    Scheme::Lotus
                } else {
                    Scheme::Bip327
                };
                let ctx = context(scheme, &ann).expect("a session's keys are valid");
                assert!(
                    ctx.verify(&ann.message, &signature),
                    "reported signature does not verify"
                );
            }
            Event::SigningRequested {
                request_id, from, ..
            } => w.requests.push((request_id, from)),
            _ => {}
        }
    }
    // Keep the harness's own tables small.
    if w.nonces.len() > 256 {
        w.nonces.clear();
        w.psigs.clear();
        w.secnonces.clear();
    }
    if w.requests.len() > 16 {
        w.requests.remove(0);
    }
}

/// With `FUZZ_TRACE` set, prints every event's kind to stderr: run the target over its corpus
/// (`-runs=0`) to see which protocol states the inputs reach.
fn trace(e: &Event) {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if *ON.get_or_init(|| std::env::var_os("FUZZ_TRACE").is_some()) {
        let name = format!("{e:?}");
        let kind = name.split([' ', '{', '(']).next().unwrap_or_default();
        eprintln!("event {kind}");
    }
}
