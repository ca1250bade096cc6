//! The DHT record validator (`record::validate_announcement_record`) every DHT server runs
//! on a PUT before storing it: the key and value come from any stranger. Raw input must never
//! panic, and whatever is accepted must be consistent (the key is the session ID, the sender
//! one of the announced signers, the record unexpired). Records the harness signs itself,
//! with fuzz-chosen announcements, key and clock, must get exactly the verdict the rules of
//! protocol.md §5.1 give (in the order the validator documents); one flipped bit of a valid
//! record's value makes it invalid.
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use musig2_p2p_fuzz::{bytes_up_to, flip_bit, rest, small_secret};
use musig2_session::crypto::{schnorr_sign, Scheme, SecretKey};
use musig2_session::machine::session_id;
use musig2_session::record::{validate_announcement_record, RECORD_CLOCK_SKEW_MS};
use musig2_session::wire::{
    Announcement, Envelope, Message, SchemeId, TweakSpec, MAX_SESSION_LIFETIME_MS,
};
use musig2_session::{ElectionMethod, Error};

/// Start of fuzz time (ms since the epoch).
const T0: u64 = 1_700_000_000_000;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let _ = if u.ratio(1, 2).unwrap_or(false) {
        raw(&mut u)
    } else {
        signed(&mut u)
    };
});

/// A clock near the fuzz epoch, or any value at all.
fn clock(u: &mut Unstructured<'_>) -> Result<u64> {
    if u.ratio(3, 4)? {
        Ok(T0.saturating_add(u.int_in_range(0..=3 * MAX_SESSION_LIFETIME_MS)?))
    } else {
        u.arbitrary()
    }
}

/// Arbitrary key, value and clock.
fn raw(u: &mut Unstructured<'_>) -> Result<()> {
    let now = clock(u)?;
    let key = bytes_up_to(u, 40)?;
    let value = rest(u);
    if let Ok(info) = validate_announcement_record(key, value, now) {
        assert_eq!(
            info.session_id.as_slice(),
            key,
            "accepted under another key"
        );
        assert!(info.expires_at > now, "accepted an expired record");
        let env = Envelope::decode(value).expect("an accepted value decodes");
        let Message::Announcement(ann) = env.message else {
            panic!("accepted a non-announcement");
        };
        assert!(ann.signers.contains(&info.sender), "sender not a signer");
        assert_eq!(env.scheme, info.scheme);
    }
    Ok(())
}

fn scheme_of(id: SchemeId) -> Scheme {
    match id {
        SchemeId::Bip327 => Scheme::Bip327,
        SchemeId::Lotus => Scheme::Lotus,
    }
}

/// A record the harness signs, with a fuzz-chosen announcement, key and clock.
fn signed(u: &mut Unstructured<'_>) -> Result<()> {
    let scheme = if u.arbitrary()? {
        SchemeId::Bip327
    } else {
        SchemeId::Lotus
    };
    let signer = SecretKey::from_bytes(&small_secret(u.arbitrary()?)).expect("valid key");
    let sender = signer.public_key().to_bytes();
    let mut signers = Vec::new();
    for _ in 0..u.int_in_range(2..=4u8)? {
        let sk = SecretKey::from_bytes(&small_secret(u.arbitrary()?)).expect("valid key");
        signers.push(sk.public_key().to_bytes());
    }
    if u.ratio(3, 4)? {
        signers[0] = sender;
    }
    let created_at = clock(u)?;
    let ann = Announcement {
        election: ElectionMethod::Lexicographic,
        tweak: TweakSpec::None,
        signers,
        message: bytes_up_to(u, 64)?.to_vec(),
        tx_type: "spend".into(),
        salt: u.arbitrary()?,
        created_at,
        expires_at: created_at.saturating_add(u.int_in_range(0..=2 * MAX_SESSION_LIFETIME_MS)?),
    };
    let message = Message::Announcement(ann.clone());
    if message.validate().is_err() {
        return Ok(());
    }
    let id = session_id(scheme, &ann);
    let mut env = Envelope {
        scheme,
        session_id: id,
        sender,
        attempt: 0,
        seq: created_at,
        timestamp: created_at,
        message,
        signature: [0; 64],
    };
    env.signature = schnorr_sign(scheme_of(scheme), &signer, &env.digest(), u.arbitrary()?)
        .expect("signing succeeds")
        .to_bytes();
    let mut value = env.encode();
    let key: Vec<u8> = if u.ratio(3, 4)? {
        id.to_vec()
    } else {
        bytes_up_to(u, 40)?.to_vec()
    };
    let now = if u.ratio(1, 2)? {
        created_at.saturating_add(u.int_in_range(0..=1_000)?)
    } else {
        clock(u)?
    };
    let expected = if key != id.as_slice() {
        Err(Error::SessionIdMismatch)
    } else if !ann.signers.contains(&sender) {
        Err(Error::NotASigner)
    } else if ann.expires_at <= now {
        Err(Error::SessionExpired)
    } else if ann.created_at > now.saturating_add(RECORD_CLOCK_SKEW_MS)
        || ann.expires_at > now.saturating_add(MAX_SESSION_LIFETIME_MS)
    {
        Err(Error::AnnouncementTimes)
    } else {
        Ok(())
    };
    let got = validate_announcement_record(&key, &value, now);
    assert_eq!(
        got.as_ref().map(|_| ()),
        expected.as_ref().map(|_| ()),
        "wrong verdict"
    );
    if let Ok(info) = got {
        assert_eq!(
            (info.session_id, info.scheme, info.sender),
            (id, scheme, sender)
        );
        assert_eq!(info.expires_at, ann.expires_at);
        if flip_bit(u, &mut value)? {
            assert!(
                validate_announcement_record(&key, &value, now).is_err(),
                "a tampered record was accepted"
            );
        }
    }
    Ok(())
}
