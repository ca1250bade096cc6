//! Round-trip property tests and rejection tests for every decoder.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;
use crate::election::ElectionMethod;
use proptest::prelude::*;

fn key() -> impl Strategy<Value = KeyBytes> {
    any::<[u8; 32]>().prop_map(|x| {
        let mut k = [2u8; 33];
        k[1..].copy_from_slice(&x);
        k
    })
}

fn keys(min: usize) -> impl Strategy<Value = Vec<KeyBytes>> {
    proptest::collection::btree_set(key(), min..12).prop_map(|s| s.into_iter().rev().collect())
}

fn tx_type() -> impl Strategy<Value = String> {
    "[a-z0-9_-]{1,32}"
}

fn announcement() -> impl Strategy<Value = Announcement> {
    (
        0u8..4,
        prop_oneof![
            Just(TweakSpec::None),
            Just(TweakSpec::Taproot { merkle_root: None }),
            any::<[u8; 32]>().prop_map(|r| TweakSpec::Taproot {
                merkle_root: Some(r)
            }),
        ],
        keys(2),
        proptest::collection::vec(any::<u8>(), 1..200),
        tx_type(),
        any::<[u8; 32]>(),
        0u64..u64::MAX / 2,
        1u64..MAX_SESSION_LIFETIME_MS,
    )
        .prop_map(
            |(e, tweak, signers, message, tx_type, salt, created_at, life)| Announcement {
                election: ElectionMethod::from_code(e).unwrap(),
                tweak,
                signers,
                message,
                tx_type,
                salt,
                created_at,
                expires_at: created_at + life,
            },
        )
}

fn outpoint() -> impl Strategy<Value = OutPoint> {
    (any::<[u8; 32]>(), any::<u32>()).prop_map(|(txid, vout)| OutPoint { txid, vout })
}

fn message() -> impl Strategy<Value = Message> {
    prop_oneof![
        announcement().prop_map(Message::Announcement),
        Just(Message::Join),
        Just(Message::Accept),
        proptest::collection::vec(any::<u8>(), 66)
            .prop_map(|v| Message::NonceShare(v.try_into().unwrap())),
        (
            any::<[u8; 32]>(),
            proptest::collection::vec(any::<u8>(), 66)
        )
            .prop_map(|(psig, a)| {
                Message::PartialSigShare {
                    psig,
                    aggnonce: a.try_into().unwrap(),
                }
            }),
        (0u8..5, "[ -~]{0,128}").prop_map(|(r, detail)| Message::Abort(Abort {
            reason: [
                AbortReason::Declined,
                AbortReason::Timeout,
                AbortReason::Misbehaviour,
                AbortReason::Local,
                AbortReason::TooManyAttempts
            ][usize::from(r)],
            detail
        })),
        proptest::collection::vec(any::<u8>(), 64)
            .prop_map(|v| Message::SignatureNotice(v.try_into().unwrap())),
        (
            proptest::collection::vec(tx_type(), 1..=8),
            proptest::collection::vec(any::<u8>(), 1..=64),
            proptest::option::of((outpoint(), proptest::option::of(outpoint()))),
            any::<u64>()
        )
            .prop_map(|(tx_types, peer_id, id, expires_at)| {
                Message::Advertisement(Advertisement {
                    tx_types,
                    peer_id,
                    identity: id.map(|(registration, rotation)| IdentityClaim {
                        registration,
                        rotation,
                    }),
                    expires_at,
                })
            }),
        (
            tx_type(),
            proptest::collection::vec(any::<u8>(), 1..300),
            keys(1),
            any::<u64>()
        )
            .prop_map(|(tx_type, message, signers, expires_at)| {
                Message::SigningRequest(SigningRequest {
                    tx_type,
                    message,
                    signers,
                    expires_at,
                })
            }),
        (0u8..=8, any::<u64>()).prop_map(|(phase, have)| Message::Heartbeat { phase, have }),
    ]
}

fn envelope() -> impl Strategy<Value = Envelope> {
    (
        message(),
        any::<bool>(),
        any::<[u8; 32]>(),
        key(),
        any::<u32>(),
        any::<u64>(),
        any::<u64>(),
    )
        .prop_map(
            |(message, lotus, session_id, sender, attempt, seq, timestamp)| Envelope {
                scheme: if lotus {
                    SchemeId::Lotus
                } else {
                    SchemeId::Bip327
                },
                session_id,
                sender,
                attempt,
                seq,
                timestamp,
                message,
                signature: [7u8; 64],
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn envelope_round_trips(env in envelope()) {
        prop_assert!(env.message.validate().is_ok());
        let bytes = env.encode();
        prop_assert_eq!(bytes.len(), HEADER_LEN + SIGNATURE_LEN + env.message.encode_body().len());
        let back = Envelope::decode(&bytes).unwrap();
        prop_assert_eq!(&back, &env);
        prop_assert_eq!(back.encode(), bytes);
        prop_assert_eq!(back.digest(), env.digest());
    }

    #[test]
    fn every_truncation_is_rejected(env in envelope()) {
        let bytes = env.encode();
        for cut in 0..bytes.len() {
            prop_assert!(Envelope::decode(&bytes[..cut]).is_err());
        }
    }

    #[test]
    fn trailing_bytes_are_rejected(env in envelope(), extra in 1usize..10) {
        let mut bytes = env.encode();
        bytes.extend(std::iter::repeat_n(0u8, extra));
        prop_assert!(Envelope::decode(&bytes).is_err());
    }

    #[test]
    fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = Envelope::decode(&bytes);
    }

    #[test]
    fn bit_flips_never_panic_and_change_digest(env in envelope(), pos in any::<usize>(), bit in 0u8..8) {
        let mut bytes = env.encode();
        let i = pos % (bytes.len() - SIGNATURE_LEN);
        bytes[i] ^= 1 << bit;
        if let Ok(other) = Envelope::decode(&bytes) {
            prop_assert_ne!(other.digest(), env.digest());
        }
    }

    #[test]
    fn every_body_decoder_rejects_garbage(kind in 1u8..=10, body in proptest::collection::vec(any::<u8>(), 0..300)) {
        let kind = Kind::from_code(kind).unwrap();
        if let Ok(m) = Message::decode_body(kind, &body) {
            prop_assert_eq!(m.encode_body(), body);
        }
    }
}

#[test]
fn oversized_inputs_are_rejected_unread() {
    let big = vec![1u8; MAX_ENVELOPE_LEN + 1];
    assert_eq!(
        Envelope::decode(&big),
        Err(DecodeError::TooLong {
            len: MAX_ENVELOPE_LEN + 1,
            max: MAX_ENVELOPE_LEN
        })
    );
    for code in 1..=10u8 {
        let kind = Kind::from_code(code).unwrap();
        let body = vec![0u8; kind.max_body_len() + 1];
        assert!(matches!(
            Message::decode_body(kind, &body),
            Err(DecodeError::BodyTooLong { .. })
        ));
    }
}

#[test]
fn header_fields_are_checked() {
    let env = Envelope {
        scheme: SchemeId::Bip327,
        session_id: [0; 32],
        sender: [2; 33],
        attempt: 0,
        seq: 1,
        timestamp: 2,
        message: Message::Join,
        signature: [0; 64],
    };
    let good = env.encode();
    assert_eq!(&good[..3], &[1, 2, 0]);
    assert_eq!(&good[72..80], &1u64.to_be_bytes());
    let mut b = good.clone();
    b[0] = 2;
    assert_eq!(
        Envelope::decode(&b),
        Err(DecodeError::UnsupportedVersion(2))
    );
    let mut b = good.clone();
    b[1] = 11;
    assert_eq!(Envelope::decode(&b), Err(DecodeError::UnknownKind(11)));
    let mut b = good.clone();
    b[2] = 2;
    assert!(matches!(
        Envelope::decode(&b),
        Err(DecodeError::InvalidCode {
            field: "scheme",
            ..
        })
    ));
    let mut b = good;
    b[91] = 1;
    assert!(matches!(
        Envelope::decode(&b),
        Err(DecodeError::BodyTooLong { .. })
    ));
}

#[test]
fn announcement_rules_are_enforced() {
    let base = Announcement {
        election: ElectionMethod::Lexicographic,
        tweak: TweakSpec::None,
        signers: vec![[2; 33], [3; 33]],
        message: vec![1],
        tx_type: "spend".into(),
        salt: [0; 32],
        created_at: 10,
        expires_at: 20,
    };
    assert!(base.validate().is_ok());
    let dup = Announcement {
        signers: vec![[2; 33], [2; 33]],
        ..base.clone()
    };
    assert_eq!(dup.validate(), Err(DecodeError::DuplicateSigner));
    let one = Announcement {
        signers: vec![[2; 33]],
        ..base.clone()
    };
    assert!(one.validate().is_err());
    let empty = Announcement {
        message: vec![],
        ..base.clone()
    };
    assert!(empty.validate().is_err());
    let bad_type = Announcement {
        tx_type: "Spend".into(),
        ..base.clone()
    };
    assert_eq!(bad_type.validate(), Err(DecodeError::InvalidTxType));
    let backwards = Announcement {
        expires_at: 10,
        ..base.clone()
    };
    assert_eq!(backwards.validate(), Err(DecodeError::InvalidLifetime));
    let long = Announcement {
        expires_at: 11 + MAX_SESSION_LIFETIME_MS,
        ..base
    };
    assert_eq!(long.validate(), Err(DecodeError::InvalidLifetime));
    assert_eq!(signers_topic("spend"), "musig2:signers:spend");
}
