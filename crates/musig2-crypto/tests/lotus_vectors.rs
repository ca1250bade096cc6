//! Every case of the Lotus MuSig2 / Lotus Schnorr / Lotus Taproot vectors
//! (`tests/vectors/lotus/*.json`, copied unchanged from the spec's folder), including every
//! intermediate value the API exposes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use k256::elliptic_curve::ops::{MulByGenerator, Reduce};
use k256::elliptic_curve::sec1::ToEncodedPoint;
use k256::elliptic_curve::PrimeField;
use k256::{FieldBytes, ProjectivePoint, Scalar, U256};
use musig2_crypto::lotus::{self, dangerous_internals, KeyAggContext, PubNonce, SessionContext};
use musig2_crypto::{Contribution, Error, SecNonce};
use serde_json::Value;
use sha2::{Digest, Sha256};

fn load(name: &str) -> Value {
    let path = format!(
        "{}/../../tests/vectors/lotus/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn arr<'a>(v: &'a Value, key: &str) -> &'a Vec<Value> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("missing array {key}"))
}

fn bytes(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().expect("hex string")).unwrap()
}

fn fixed<const N: usize>(v: &Value) -> [u8; N] {
    bytes(v).try_into().expect("length")
}

fn opt32(v: &Value) -> Option<[u8; 32]> {
    if v.is_null() {
        None
    } else {
        Some(fixed(v))
    }
}

fn scalar(v: &Value) -> Scalar {
    Option::from(Scalar::from_repr(FieldBytes::from(fixed::<32>(v)))).expect("scalar below n")
}

fn id(v: &Value) -> &str {
    v["id"].as_str().unwrap()
}

fn pubkeys(case: &Value) -> Vec<Vec<u8>> {
    arr(case, "pubkeys").iter().map(bytes).collect()
}

/// Key aggregation checks shared by key_agg.json, sign.json and taproot.json.
fn check_key_agg(case: &Value, ctx: &KeyAggContext) {
    let sorted: Vec<[u8; 33]> = arr(case, "sorted_pubkeys").iter().map(fixed).collect();
    assert_eq!(ctx.pubkeys(), sorted.as_slice(), "{} sorted keys", id(case));
    assert_eq!(ctx.key_list_hash(), fixed(&case["L"]), "{} L", id(case));
}

fn secnonce_parts(sec: &SecNonce) -> ([u8; 32], [u8; 32], [u8; 33]) {
    let b = sec.dangerous_to_bytes();
    (
        b[..32].try_into().unwrap(),
        b[32..64].try_into().unwrap(),
        b[64..].try_into().unwrap(),
    )
}

#[test]
fn key_agg_vectors() {
    let file = load("key_agg.json");
    let cases = arr(&file, "test_cases");
    for case in cases {
        let pks = pubkeys(case);
        for (sk, pk) in arr(case, "secret_keys").iter().zip(&pks) {
            assert_eq!(
                lotus::public_key(&fixed(sk)).unwrap().as_slice(),
                pk.as_slice()
            );
        }
        let ctx = KeyAggContext::new(&pks).unwrap();
        check_key_agg(case, &ctx);
        let order: Vec<usize> = arr(case, "sorted_order")
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        assert_eq!(ctx.sorted_order(), order.as_slice(), "{}", id(case));
        let coefs = arr(case, "coefficients");
        assert_eq!(ctx.signer_count(), coefs.len());
        for (i, c) in coefs.iter().enumerate() {
            assert_eq!(ctx.coefficient(i), Some(fixed(c)), "{} a_{i}", id(case));
        }
        assert_eq!(
            ctx.aggregate_pubkey(),
            fixed(&case["aggregate_pubkey"]),
            "{}",
            id(case)
        );
        assert_eq!(ctx.internal_pubkey(), ctx.aggregate_pubkey());
    }
    eprintln!("lotus key_agg.json: {} test_cases passed", cases.len());
    assert_eq!(cases.len(), 12);
}

#[test]
fn nonce_gen_vectors() {
    let file = load("nonce_gen.json");
    let cases = arr(&file, "test_cases");
    for case in cases {
        let sk: [u8; 32] = fixed(&case["sk"]);
        let q: [u8; 33] = fixed(&case["aggregate_pubkey"]);
        let msg = opt32(&case["msg"]);
        let extra = opt32(&case["extra_in"]);
        assert_eq!(
            dangerous_internals::dangerous_nonce_aux(&sk, &q, msg.as_ref(), extra.as_ref()),
            fixed(&case["aux"]),
            "{} aux",
            id(case)
        );
        let (sec, pubn) = lotus::nonce_gen(&sk, &q, msg.as_ref(), extra.as_ref()).unwrap();
        let (k1, k2, pk) = secnonce_parts(&sec);
        assert_eq!(k1, fixed(&case["k1"]), "{} k1", id(case));
        assert_eq!(k2, fixed(&case["k2"]), "{} k2", id(case));
        assert_eq!(pk, fixed(&case["pubkey"]), "{} pk", id(case));
        let expected = [bytes(&case["R1"]), bytes(&case["R2"])].concat();
        assert_eq!(
            pubn.to_bytes().as_slice(),
            expected.as_slice(),
            "{}",
            id(case)
        );
        assert_eq!(PubNonce::from_bytes(&expected).unwrap(), pubn);
    }
    eprintln!("lotus nonce_gen.json: {} test_cases passed", cases.len());
    assert_eq!(cases.len(), 12);
}

/// Runs a whole session from sign.json or taproot.json and returns its session context.
fn check_session(case: &Value, taproot: bool) -> SessionContext {
    let msg: [u8; 32] = fixed(&case["msg"]);
    let mut ctx = KeyAggContext::new(&pubkeys(case)).unwrap();
    check_key_agg(case, &ctx);
    let internal_key = if taproot {
        ctx = ctx
            .with_taproot(opt32(&case["merkle_root"]).as_ref())
            .unwrap();
        check_taproot_keys(case, &ctx);
        fixed(&case["internal_pubkey"])
    } else {
        fixed(&case["aggregate_pubkey"])
    };
    assert_eq!(ctx.internal_pubkey(), internal_key, "{} P/Q", id(case));
    let signers = arr(case, "signers");
    assert_eq!(signers.len(), ctx.signer_count());

    let mut secnonces = Vec::new();
    let mut pubnonces = Vec::new();
    for (i, signer) in signers.iter().enumerate() {
        let sk: [u8; 32] = fixed(&signer["sk"]);
        assert_eq!(signer["index"].as_u64(), Some(i as u64));
        let input_position = signer["input_position"].as_u64().unwrap() as usize;
        assert_eq!(ctx.sorted_order()[i], input_position, "{} order", id(case));
        assert_eq!(lotus::public_key(&sk).unwrap(), fixed(&signer["pubkey"]));
        assert_eq!(ctx.pubkeys()[i], fixed(&signer["pubkey"]));
        assert_eq!(ctx.coefficient(i), Some(fixed(&signer["coefficient"])));
        let extra: [u8; 32] = fixed(&signer["extra_in"]);
        let aux =
            dangerous_internals::dangerous_nonce_aux(&sk, &internal_key, Some(&msg), Some(&extra));
        assert_eq!(aux, fixed(&signer["aux"]), "{} aux {i}", id(case));
        let (sec, pubn) = lotus::nonce_gen(&sk, &internal_key, Some(&msg), Some(&extra)).unwrap();
        let (k1, k2, _) = secnonce_parts(&sec);
        assert_eq!(k1, fixed(&signer["k1"]), "{} k1 {i}", id(case));
        assert_eq!(k2, fixed(&signer["k2"]), "{} k2 {i}", id(case));
        let expected = [bytes(&signer["R1"]), bytes(&signer["R2"])].concat();
        assert_eq!(pubn.to_bytes().as_slice(), expected.as_slice());
        secnonces.push((sk, sec));
        pubnonces.push(pubn);
    }

    let agg = lotus::nonce_agg(&pubnonces).unwrap();
    let expected_agg = [
        bytes(&case["agg_nonce"]["R1"]),
        bytes(&case["agg_nonce"]["R2"]),
    ]
    .concat();
    assert_eq!(
        agg.to_bytes().as_slice(),
        expected_agg.as_slice(),
        "{} aggnonce",
        id(case)
    );

    let session = SessionContext::new(&ctx, &agg, &msg).unwrap();
    assert_eq!(
        session.nonce_coefficient(),
        fixed(&case["b"]),
        "{} b",
        id(case)
    );
    assert_eq!(session.final_nonce(), fixed(&case["R"]), "{} R", id(case));
    assert_eq!(
        Some(session.nonce_negated()),
        case["nonce_negated"].as_bool(),
        "{} negated",
        id(case)
    );
    assert_eq!(session.challenge(), fixed(&case["e"]), "{} e", id(case));

    let expected_psigs = arr(case, "partial_sigs");
    let valid = arr(case, "partial_sigs_valid");
    let mut psigs = Vec::new();
    for (i, (sk, sec)) in secnonces.into_iter().enumerate() {
        // The free function and the session method must agree; the first position of a key
        // is what `sign` picks, later duplicates need the index.
        let psig = if ctx.signer_index(&ctx.pubkeys()[i]) == Some(i) {
            lotus::sign(sec, &sk, &ctx, &agg, &msg).unwrap()
        } else {
            lotus::sign_at(sec, &sk, &ctx, &agg, &msg, i).unwrap()
        };
        assert_eq!(
            psig.to_bytes(),
            fixed(&expected_psigs[i]),
            "{} s_{i}",
            id(case)
        );
        let parsed = lotus::PartialSignature::from_bytes(&psig.to_bytes()).unwrap();
        let verdict = session
            .partial_sig_verify(&parsed, &pubnonces[i], i)
            .is_ok();
        assert_eq!(Some(verdict), valid[i].as_bool(), "{} valid {i}", id(case));
        let free = lotus::partial_sig_verify(&parsed, &pubnonces, &ctx, &msg, i).is_ok();
        assert_eq!(free, verdict);
        psigs.push(parsed);
    }
    let sig = session.partial_sig_agg(&psigs).unwrap();
    assert_eq!(sig, fixed(&case["signature"]), "{} signature", id(case));
    assert_eq!(
        lotus::partial_sig_agg(&psigs, &ctx, &agg, &msg).unwrap(),
        sig
    );
    let verify_key = if taproot {
        "verify_output_key"
    } else {
        "verify"
    };
    assert_eq!(
        Some(lotus::schnorr_verify(&ctx.aggregate_pubkey(), &msg, &sig).is_ok()),
        case[verify_key].as_bool(),
        "{} verify",
        id(case)
    );
    session
}

fn check_taproot_keys(case: &Value, ctx: &KeyAggContext) {
    let internal: [u8; 33] = fixed(&case["internal_pubkey"]);
    let root = opt32(&case["merkle_root"]);
    let tweak_root: [u8; 32] = fixed(&case["tweak_input_root"]);
    assert_eq!(ctx.taproot_merkle_root(), Some(tweak_root));
    assert_eq!(
        lotus::taproot_tweak(&internal, root.as_ref()),
        fixed(&case["tweak"])
    );
    assert_eq!(
        ctx.taproot_tweak(),
        Some(fixed(&case["tweak"])),
        "{} t",
        id(case)
    );
    let output: [u8; 33] = fixed(&case["output_pubkey"]);
    assert_eq!(
        lotus::taproot_output_key(&internal, root.as_ref()),
        Ok(output)
    );
    assert_eq!(ctx.aggregate_pubkey(), output, "{} Q'", id(case));
    let script: [u8; 36] = fixed(&case["script_pubkey"]);
    assert_eq!(lotus::taproot_script_pubkey(&output), script);
    assert_eq!(ctx.script_pubkey(), script);
}

fn session_by_id<'a>(file: &'a Value, session: &str) -> &'a Value {
    arr(file, "test_cases")
        .iter()
        .find(|c| id(c) == session)
        .unwrap_or_else(|| panic!("no session {session}"))
}

/// Rebuilds the session context of a test case from its published values only.
fn published_session(case: &Value, taproot: bool) -> SessionContext {
    let mut ctx = KeyAggContext::new(&pubkeys(case)).unwrap();
    if taproot {
        ctx = ctx
            .with_taproot(opt32(&case["merkle_root"]).as_ref())
            .unwrap();
    }
    let agg = lotus::AggNonce::from_bytes(
        &[
            bytes(&case["agg_nonce"]["R1"]),
            bytes(&case["agg_nonce"]["R2"]),
        ]
        .concat(),
    )
    .unwrap();
    SessionContext::new(&ctx, &agg, &bytes(&case["msg"])).unwrap()
}

fn expect_partial_rejected(
    session: &SessionContext,
    i: usize,
    nonce: &[u8],
    psig: &Value,
    cid: &str,
) {
    let pubnonce = PubNonce::from_bytes(nonce).unwrap();
    let psig = lotus::PartialSignature::from_bytes(&bytes(psig)).unwrap();
    assert_eq!(
        session.partial_sig_verify(&psig, &pubnonce, i),
        Err(Error::InvalidContribution {
            signer: Some(i),
            contrib: Contribution::PartialSig
        }),
        "{cid}"
    );
}

fn expect_verify_fails(cases: &[Value]) {
    for case in cases {
        assert_eq!(case["expected"].as_bool(), Some(false));
        let res = lotus::schnorr_verify(
            &bytes(&case["pubkey"]),
            &bytes(&case["msg"]),
            &bytes(&case["signature"]),
        );
        assert!(res.is_err(), "{} must not verify", id(case));
    }
}

/// Checks every `partial_verify_fail_cases` and `verify_fail_cases` entry of sign.json or
/// taproot.json and returns how many there were.
fn check_fail_cases(file: &Value, taproot: bool) -> (usize, usize) {
    let fails = arr(file, "partial_verify_fail_cases");
    for f in fails {
        assert_eq!(f["expected"].as_bool(), Some(false));
        let case = session_by_id(file, f["session"].as_str().unwrap());
        let session = published_session(case, taproot);
        let i = f["signer_index"].as_u64().unwrap() as usize;
        if let Some(pk) = f.get("pubkey") {
            assert_eq!(
                session.key_agg_context().pubkeys()[i],
                fixed(pk),
                "{}",
                id(f)
            );
        }
        // sign.json gives the nonces checked against; taproot.json takes the signer's own.
        let source = if f.get("R1").is_some() {
            f
        } else {
            &arr(case, "signers")[i]
        };
        let nonce = [bytes(&source["R1"]), bytes(&source["R2"])].concat();
        expect_partial_rejected(&session, i, &nonce, &f["partial_sig"], id(f));
    }
    let vfails = arr(file, "verify_fail_cases");
    expect_verify_fails(vfails);
    (fails.len(), vfails.len())
}

#[test]
fn sign_vectors() {
    let file = load("sign.json");
    let cases = arr(&file, "test_cases");
    for case in cases {
        check_session(case, false);
    }
    let (fails, vfails) = check_fail_cases(&file, false);
    eprintln!(
        "lotus sign.json: {} test_cases, {} partial_verify_fail_cases, {} verify_fail_cases passed",
        cases.len(),
        fails,
        vfails
    );
    assert_eq!((cases.len(), fails, vfails), (10, 9, 10));
}

#[test]
fn taproot_vectors() {
    let file = load("taproot.json");
    let cases = arr(&file, "test_cases");
    for case in cases {
        let session = check_session(case, true);
        let term = session.tweak_term().unwrap();
        assert_eq!(term, fixed(&case["tweak_term"]), "{} e·t", id(case));
        let s0 = scalar(&arr(case, "partial_sigs")[0]);
        let untweaked = scalar(&case["partial_sig_0_untweaked"]);
        assert_eq!(s0 - untweaked, scalar(&case["tweak_term"]), "{}", id(case));
        // The same signature does not verify under the internal key.
        let sig = bytes(&case["signature"]);
        assert_eq!(
            Some(
                lotus::schnorr_verify(&bytes(&case["internal_pubkey"]), &bytes(&case["msg"]), &sig)
                    .is_ok()
            ),
            case["verify_internal_key"].as_bool()
        );
    }
    let (fails, vfails) = check_fail_cases(&file, true);
    eprintln!(
        "lotus taproot.json: {} test_cases, {} partial_verify_fail_cases, {} verify_fail_cases passed",
        cases.len(),
        fails, vfails
    );
    assert_eq!((cases.len(), fails, vfails), (10, 7, 4));
}

#[test]
fn schnorr_vectors() {
    let file = load("schnorr.json");
    let cases = arr(&file, "test_cases");
    for case in cases {
        let sk: [u8; 32] = fixed(&case["sk"]);
        let msg: [u8; 32] = fixed(&case["msg"]);
        let pk: [u8; 33] = fixed(&case["pubkey"]);
        assert_eq!(lotus::public_key(&sk).unwrap(), pk);
        let k = dangerous_internals::dangerous_nonce_rfc6979(&sk, &msg);
        assert_eq!(k, fixed(&case["k"]), "{} k", id(case));
        let k = scalar(&case["k"]);
        let r_point = ProjectivePoint::mul_by_generator(&k).to_affine();
        assert_eq!(
            r_point.to_encoded_point(true).as_bytes(),
            bytes(&case["R"]).as_slice(),
            "{} R",
            id(case)
        );
        let r: [u8; 32] = r_point
            .to_encoded_point(false)
            .x()
            .unwrap()
            .as_slice()
            .try_into()
            .unwrap();
        let e_hash: [u8; 32] = Sha256::new()
            .chain_update(r)
            .chain_update(pk)
            .chain_update(msg)
            .finalize()
            .into();
        let e = <Scalar as Reduce<U256>>::reduce_bytes(&FieldBytes::from(e_hash));
        assert_eq!(e, scalar(&case["e"]), "{} e", id(case));

        let sig = lotus::schnorr_sign(&sk, &msg).unwrap();
        assert_eq!(
            sig.as_slice(),
            bytes(&case["signature"]).as_slice(),
            "{} sig",
            id(case)
        );
        // The signature's s shows which branch of the negation the signer took.
        let negated = case["nonce_negated"].as_bool().unwrap();
        let k_eff = if negated { -k } else { k };
        let s = k_eff + e * scalar(&case["sk"]);
        assert_eq!(&sig[32..], s.to_bytes().as_slice(), "{} negation", id(case));
        assert_eq!(&sig[..32], r.as_slice());
        assert_eq!(
            Some(lotus::schnorr_verify(&pk, &msg, &sig).is_ok()),
            case["verify"].as_bool()
        );
    }
    let vfails = arr(&file, "verify_fail_cases");
    expect_verify_fails(vfails);
    eprintln!(
        "lotus schnorr.json: {} test_cases, {} verify_fail_cases passed",
        cases.len(),
        vfails.len()
    );
    assert_eq!((cases.len(), vfails.len()), (10, 9));
}
