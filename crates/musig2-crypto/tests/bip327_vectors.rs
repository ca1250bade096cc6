//! The BIP-327 test vectors (`tests/vectors/bip327/*.json`, unchanged from the BIP), every
//! valid and every error case, with the exact expected error.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use musig2_crypto::bip327::{
    deterministic_sign, individual_pk, key_sort, nonce_agg, nonce_gen, partial_sig_agg,
    partial_sig_verify, AggNonce, KeyAggContext, NonceGenInputs, PartialSignature, PubNonce,
    SessionContext, Tweak,
};
use musig2_crypto::{bip340, Contribution, Error, SecNonce};
use serde_json::Value;

/// The case lists of most vector files.
const VALID_AND_ERRORS: &[&str] = &["valid_test_cases", "error_test_cases"];

/// Reports and checks how many cases of a file ran: `ran` must equal the number of cases the
/// file lists under `keys`, and that number must be `expected` (the BIP's current files).
fn check_count(file: &str, data: &Value, keys: &[&str], ran: usize, expected: usize) {
    let listed: usize = keys.iter().map(|k| count(&data[*k])).sum();
    eprintln!("{file}: {ran} cases passed");
    assert_eq!(ran, listed, "{file}: not every case ran");
    assert_eq!(ran, expected, "{file}: unexpected number of cases");
}

/// The vector file's secret key and public keys, checking that the first key belongs to it.
fn signer_and_keys(data: &Value) -> ([u8; 32], Vec<Vec<u8>>) {
    let sk: [u8; 32] = hex_array(&data["sk"]);
    let keys = hex_list(&data["pubkeys"]);
    assert_eq!(individual_pk(&sk).unwrap().to_vec(), keys[0]);
    (sk, keys)
}

/// Builds the tweaked key aggregation context of BIP-327's `KeyAggAndTweak`.
fn key_agg_and_tweak(pubkeys: &[Vec<u8>], tweaks: &[Tweak]) -> Result<KeyAggContext, Error> {
    KeyAggContext::new(pubkeys)?.with_tweaks(tweaks)
}

/// Builds a session the way BIP-327's `GetSessionValues` does: keys and tweaks, then the
/// aggregate nonce.
fn session(
    pubkeys: &[Vec<u8>],
    tweaks: &[Tweak],
    aggnonce: &[u8],
    msg: &[u8],
) -> Result<SessionContext, Error> {
    let key_ctx = key_agg_and_tweak(pubkeys, tweaks)?;
    Ok(SessionContext::new(
        &key_ctx,
        &AggNonce::from_bytes(aggnonce)?,
        msg,
    ))
}

/// Signs with a copy of a vector's secret nonce.
///
/// Importing a secret nonce is dangerous (nonce reuse leaks the key); only test vectors do it.
fn sign_with(secnonce: &[u8], sk: &[u8; 32], session: &SessionContext) -> Result<[u8; 32], Error> {
    let secnonce = SecNonce::dangerous_from_bytes(secnonce)?;
    Ok(session.sign(secnonce, sk)?.to_bytes())
}

#[test]
fn key_sort_vectors() {
    let data = bip327_json("key_sort_vectors.json");
    let keys: Vec<[u8; 33]> = hex_list(&data["pubkeys"])
        .into_iter()
        .map(|k| k.try_into().unwrap())
        .collect();
    let expected: Vec<[u8; 33]> = hex_list(&data["sorted_pubkeys"])
        .into_iter()
        .map(|k| k.try_into().unwrap())
        .collect();
    assert_eq!(key_sort(&keys), expected);
    eprintln!("key_sort_vectors.json: 1 case ({} keys) passed", keys.len());
    assert_eq!(keys.len(), 6);
}

#[test]
fn key_agg_vectors() {
    let data = bip327_json("key_agg_vectors.json");
    let keys = hex_list(&data["pubkeys"]);
    let tweak_table = hex_list(&data["tweaks"]);
    let mut ran = 0;
    for case in data["valid_test_cases"].as_array().unwrap() {
        let ctx = KeyAggContext::new(&pick(&keys, &case["key_indices"])).unwrap();
        assert_eq!(
            ctx.xonly_public_key().to_vec(),
            hex_value(&case["expected"])
        );
        ran += 1;
    }
    for case in data["error_test_cases"].as_array().unwrap() {
        let tweaks = tweaks(
            &pick(&tweak_table, &case["tweak_indices"]),
            &case["is_xonly"],
        );
        let result = key_agg_and_tweak(&pick(&keys, &case["key_indices"]), &tweaks);
        assert_eq!(
            result.err(),
            Some(expected_error(&case["error"])),
            "{}",
            case["comment"]
        );
        ran += 1;
    }
    check_count("key_agg_vectors.json", &data, VALID_AND_ERRORS, ran, 9);
}

#[test]
fn nonce_gen_vectors() {
    let data = bip327_json("nonce_gen_vectors.json");
    let mut ran = 0;
    for case in data["test_cases"].as_array().unwrap() {
        let opt = |k: &str| (!case[k].is_null()).then(|| hex_value(&case[k]));
        let (sk, aggpk, msg, extra_in) = (opt("sk"), opt("aggpk"), opt("msg"), opt("extra_in"));
        let sk: Option<[u8; 32]> = sk.map(|v| v.try_into().unwrap());
        let aggpk: Option<[u8; 32]> = aggpk.map(|v| v.try_into().unwrap());
        let inputs = NonceGenInputs {
            sk: sk.as_ref(),
            aggpk: aggpk.as_ref(),
            msg: msg.as_deref(),
            extra_in: extra_in.as_deref(),
        };
        let (secnonce, pubnonce) =
            nonce_gen(&hex_array(&case["rand_"]), &hex_array(&case["pk"]), inputs).unwrap();
        assert_eq!(
            secnonce.dangerous_to_bytes().to_vec(),
            hex_value(&case["expected_secnonce"])
        );
        assert_eq!(
            pubnonce.as_bytes().to_vec(),
            hex_value(&case["expected_pubnonce"])
        );
        ran += 1;
    }
    check_count("nonce_gen_vectors.json", &data, &["test_cases"], ran, 4);
}

#[test]
fn nonce_agg_vectors() {
    let data = bip327_json("nonce_agg_vectors.json");
    let nonces = hex_list(&data["pnonces"]);
    let mut ran = 0;
    for case in data["valid_test_cases"].as_array().unwrap() {
        let agg = nonce_agg(&pick(&nonces, &case["pnonce_indices"])).unwrap();
        assert_eq!(agg.as_bytes().to_vec(), hex_value(&case["expected"]));
        ran += 1;
    }
    for case in data["error_test_cases"].as_array().unwrap() {
        let result = nonce_agg(&pick(&nonces, &case["pnonce_indices"]));
        assert_eq!(
            result.err(),
            Some(expected_error(&case["error"])),
            "{}",
            case["comment"]
        );
        ran += 1;
    }
    check_count("nonce_agg_vectors.json", &data, VALID_AND_ERRORS, ran, 5);
}

#[test]
fn sign_verify_vectors() {
    let data = bip327_json("sign_verify_vectors.json");
    let (sk, keys) = signer_and_keys(&data);
    let secnonces = hex_list(&data["secnonces"]);
    let nonces = hex_list(&data["pnonces"]);
    let aggnonces = hex_list(&data["aggnonces"]);
    let msgs = hex_list(&data["msgs"]);
    // The first public nonce belongs to the first secret nonce.
    let own = nonce_gen_pubnonce_of(&secnonces[0]);
    assert_eq!(own.as_bytes().to_vec(), nonces[0]);
    let at = |v: &Value| usize::try_from(v.as_u64().unwrap()).unwrap();
    let mut ran = 0;

    for case in data["valid_test_cases"].as_array().unwrap() {
        let pubkeys = pick(&keys, &case["key_indices"]);
        let pubnonces = pick(&nonces, &case["nonce_indices"]);
        let aggnonce = &aggnonces[at(&case["aggnonce_index"])];
        assert_eq!(
            &nonce_agg(&pubnonces).unwrap().as_bytes().to_vec(),
            aggnonce
        );
        let msg = &msgs[at(&case["msg_index"])];
        let signer = at(&case["signer_index"]);
        let expected = hex_value(&case["expected"]);
        let session = session(&pubkeys, &[], aggnonce, msg).unwrap();
        assert_eq!(
            sign_with(&secnonces[0], &sk, &session).unwrap().to_vec(),
            expected
        );
        partial_sig_verify(&expected, &pubnonces, &pubkeys, &[], msg, signer).unwrap();
        ran += 1;
    }
    for case in data["sign_error_test_cases"].as_array().unwrap() {
        let pubkeys = pick(&keys, &case["key_indices"]);
        let aggnonce = &aggnonces[at(&case["aggnonce_index"])];
        let msg = &msgs[at(&case["msg_index"])];
        let secnonce = &secnonces[at(&case["secnonce_index"])];
        let result =
            session(&pubkeys, &[], aggnonce, msg).and_then(|s| sign_with(secnonce, &sk, &s));
        assert_eq!(
            result.err(),
            Some(expected_error(&case["error"])),
            "{}",
            case["comment"]
        );
        ran += 1;
    }
    for case in data["verify_fail_test_cases"].as_array().unwrap() {
        let signer = at(&case["signer_index"]);
        let result = partial_sig_verify(
            &hex_value(&case["sig"]),
            &pick(&nonces, &case["nonce_indices"]),
            &pick(&keys, &case["key_indices"]),
            &[],
            &msgs[at(&case["msg_index"])],
            signer,
        );
        // A failed verification blames the signer whose partial signature it is.
        let blamed = Error::InvalidContribution {
            signer: Some(signer),
            contrib: Contribution::PartialSig,
        };
        assert_eq!(result.err(), Some(blamed), "{}", case["comment"]);
        ran += 1;
    }
    for case in data["verify_error_test_cases"].as_array().unwrap() {
        let result = partial_sig_verify(
            &hex_value(&case["sig"]),
            &pick(&nonces, &case["nonce_indices"]),
            &pick(&keys, &case["key_indices"]),
            &[],
            &msgs[at(&case["msg_index"])],
            at(&case["signer_index"]),
        );
        assert_eq!(
            result.err(),
            Some(expected_error(&case["error"])),
            "{}",
            case["comment"]
        );
        ran += 1;
    }
    let kinds = [
        "valid_test_cases",
        "sign_error_test_cases",
        "verify_fail_test_cases",
        "verify_error_test_cases",
    ];
    check_count("sign_verify_vectors.json", &data, &kinds, ran, 17);
}

/// The public nonce `cbytes(k1⋅G) ‖ cbytes(k2⋅G)` of a vector's 97-byte secret nonce,
/// computed independently of the crate with plain `k256` arithmetic.
fn nonce_gen_pubnonce_of(secnonce: &[u8]) -> PubNonce {
    use k256::elliptic_curve::{ops::MulByGenerator, sec1::ToEncodedPoint, PrimeField};
    let scalar = |b: &[u8]| k256::Scalar::from_repr(*k256::FieldBytes::from_slice(b)).unwrap();
    let enc = |b: &[u8]| {
        k256::ProjectivePoint::mul_by_generator(&scalar(b))
            .to_affine()
            .to_encoded_point(true)
            .as_bytes()
            .to_vec()
    };
    PubNonce::from_bytes(&[enc(&secnonce[..32]), enc(&secnonce[32..64])].concat()).unwrap()
}

#[test]
fn tweak_vectors() {
    let data = bip327_json("tweak_vectors.json");
    let (sk, keys) = signer_and_keys(&data);
    let secnonce = hex_value(&data["secnonce"]);
    let nonces = hex_list(&data["pnonces"]);
    assert_eq!(
        nonce_gen_pubnonce_of(&secnonce).as_bytes().to_vec(),
        nonces[0]
    );
    let aggnonce = hex_value(&data["aggnonce"]);
    assert_eq!(
        nonce_agg(&nonces[..3]).unwrap().as_bytes().to_vec(),
        aggnonce
    );
    let tweak_table = hex_list(&data["tweaks"]);
    let msg = hex_value(&data["msg"]);
    let mut ran = 0;

    for case in data["valid_test_cases"].as_array().unwrap() {
        let pubkeys = pick(&keys, &case["key_indices"]);
        let pubnonces = pick(&nonces, &case["nonce_indices"]);
        let tweaks = tweaks(
            &pick(&tweak_table, &case["tweak_indices"]),
            &case["is_xonly"],
        );
        let signer = usize::try_from(case["signer_index"].as_u64().unwrap()).unwrap();
        let expected = hex_value(&case["expected"]);
        let session = session(&pubkeys, &tweaks, &aggnonce, &msg).unwrap();
        assert_eq!(
            sign_with(&secnonce, &sk, &session).unwrap().to_vec(),
            expected
        );
        partial_sig_verify(&expected, &pubnonces, &pubkeys, &tweaks, &msg, signer).unwrap();
        ran += 1;
    }
    for case in data["error_test_cases"].as_array().unwrap() {
        let pubkeys = pick(&keys, &case["key_indices"]);
        let tweaks = tweaks(
            &pick(&tweak_table, &case["tweak_indices"]),
            &case["is_xonly"],
        );
        let result =
            session(&pubkeys, &tweaks, &aggnonce, &msg).and_then(|s| sign_with(&secnonce, &sk, &s));
        assert_eq!(
            result.err(),
            Some(expected_error(&case["error"])),
            "{}",
            case["comment"]
        );
        ran += 1;
    }
    check_count("tweak_vectors.json", &data, VALID_AND_ERRORS, ran, 6);
}

#[test]
fn det_sign_vectors() {
    let data = bip327_json("det_sign_vectors.json");
    let (sk, keys) = signer_and_keys(&data);
    let msgs = hex_list(&data["msgs"]);
    let run = |case: &Value| -> Result<(PubNonce, PartialSignature, SessionContext), Error> {
        let pubkeys = pick(&keys, &case["key_indices"]);
        let tweaks = tweaks(&hex_list(&case["tweaks"]), &case["is_xonly"]);
        let msg = &msgs[usize::try_from(case["msg_index"].as_u64().unwrap()).unwrap()];
        let rand: Option<[u8; 32]> = (!case["rand"].is_null()).then(|| hex_array(&case["rand"]));
        let aggothernonce = hex_value(&case["aggothernonce"]);
        let key_ctx = key_agg_and_tweak(&pubkeys, &tweaks)?;
        let (pubnonce, psig) =
            deterministic_sign(&sk, &aggothernonce, &key_ctx, msg, rand.as_ref())?;
        let aggnonce = nonce_agg(&[aggothernonce.as_slice(), pubnonce.as_bytes()])?;
        Ok((
            pubnonce,
            psig,
            SessionContext::new(&key_ctx, &aggnonce, msg),
        ))
    };
    let mut ran = 0;
    for case in data["valid_test_cases"].as_array().unwrap() {
        let (pubnonce, psig, session) = run(case).unwrap();
        let expected = hex_list(&case["expected"]);
        assert_eq!(pubnonce.as_bytes().to_vec(), expected[0]);
        assert_eq!(psig.to_bytes().to_vec(), expected[1]);
        let signer = usize::try_from(case["signer_index"].as_u64().unwrap()).unwrap();
        session
            .partial_sig_verify(&psig, &pubnonce, signer)
            .unwrap();
        ran += 1;
    }
    for case in data["error_test_cases"].as_array().unwrap() {
        let result = run(case).map(|_| ());
        assert_eq!(
            result.err(),
            Some(expected_error(&case["error"])),
            "{}",
            case["comment"]
        );
        ran += 1;
    }
    check_count("det_sign_vectors.json", &data, VALID_AND_ERRORS, ran, 9);
}

#[test]
fn sig_agg_vectors() {
    let data = bip327_json("sig_agg_vectors.json");
    let keys = hex_list(&data["pubkeys"]);
    let nonces = hex_list(&data["pnonces"]);
    let tweak_table = hex_list(&data["tweaks"]);
    let psig_table = hex_list(&data["psigs"]);
    let msg = hex_value(&data["msg"]);
    let mut ran = 0;
    let cases = data["valid_test_cases"].as_array().unwrap();
    let errors = data["error_test_cases"].as_array().unwrap();
    for (case, valid) in cases
        .iter()
        .map(|c| (c, true))
        .chain(errors.iter().map(|c| (c, false)))
    {
        let aggnonce = hex_value(&case["aggnonce"]);
        let pubnonces = pick(&nonces, &case["nonce_indices"]);
        assert_eq!(nonce_agg(&pubnonces).unwrap().as_bytes().to_vec(), aggnonce);
        let pubkeys = pick(&keys, &case["key_indices"]);
        let tweaks = tweaks(
            &pick(&tweak_table, &case["tweak_indices"]),
            &case["is_xonly"],
        );
        let psigs = pick(&psig_table, &case["psig_indices"]);
        let session = session(&pubkeys, &tweaks, &aggnonce, &msg).unwrap();
        let result = partial_sig_agg(&psigs, &session);
        if valid {
            let sig = result.unwrap();
            assert_eq!(sig.to_vec(), hex_value(&case["expected"]));
            let aggpk = session.key_agg_context().xonly_public_key();
            assert!(bip340::verify(&aggpk, &msg, &sig));
        } else {
            assert_eq!(
                result.err(),
                Some(expected_error(&case["error"])),
                "{}",
                case["comment"]
            );
        }
        ran += 1;
    }
    check_count("sig_agg_vectors.json", &data, VALID_AND_ERRORS, ran, 5);
}
