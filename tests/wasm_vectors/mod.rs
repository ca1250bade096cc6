//! BIP-327 vectors through the JS crypto API's Rust entry points, compiled to wasm: KeyAgg
//! (in key order) with ApplyTweak, partial signatures under tweaks, and DeterministicSign,
//! including every error case (typed code, blamed signer and contribution). Shared by the
//! Node and the browser wasm tests; the vector files are embedded and parsed with the
//! engine's `JSON.parse`.

use musig2_p2p::SigningContext;
use wasm_bindgen::JsValue;

const KEY_AGG: &str = include_str!("../vectors/bip327/key_agg_vectors.json");
const TWEAK: &str = include_str!("../vectors/bip327/tweak_vectors.json");
const DET_SIGN: &str = include_str!("../vectors/bip327/det_sign_vectors.json");

fn get(v: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(v, &key.into()).unwrap()
}

fn list(v: &JsValue, key: &str) -> Vec<JsValue> {
    js_sys::Array::from(&get(v, key)).iter().collect()
}

fn text(v: &JsValue) -> String {
    v.as_string().unwrap()
}

fn hex(v: &JsValue) -> Vec<u8> {
    hex_decode(&text(v))
}

fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

fn indices(v: &JsValue, key: &str) -> Vec<usize> {
    list(v, key)
        .iter()
        .map(|i| i.as_f64().unwrap() as usize)
        .collect()
}

/// A `Uint8Array[]` of the hex strings of `all` at `idx`.
fn byte_arrays(all: &[JsValue], idx: &[usize]) -> JsValue {
    idx.iter()
        .map(|&i| js_sys::Uint8Array::from(hex(&all[i]).as_slice()))
        .collect::<js_sys::Array>()
        .into()
}

/// `SigningContext.inKeyOrder("bip327", keys)` then `applyTweak` for each tweak.
fn context(keys: JsValue, tweaks: &[Vec<u8>], xonly: &[bool]) -> Result<SigningContext, JsValue> {
    let mut ctx = SigningContext::in_key_order("bip327", keys, JsValue::NULL)?;
    for (t, x) in tweaks.iter().zip(xonly) {
        ctx.apply_tweak(t, *x)?;
    }
    Ok(ctx)
}

fn bools(v: &JsValue, key: &str) -> Vec<bool> {
    list(v, key).iter().map(|b| b.as_bool().unwrap()).collect()
}

/// Checks a thrown error against a vector's `error` object.
fn assert_vector_error(err: &JsValue, expected: &JsValue, label: &str) {
    let code = text(&get(err, "code"));
    if text(&get(expected, "type")) == "invalid_contribution" {
        assert_eq!(code, "INVALID_CONTRIBUTION", "{label}");
        assert_eq!(
            get(err, "signer").as_f64(),
            get(expected, "signer").as_f64(),
            "{label}"
        );
        assert_eq!(
            get(err, "contribution"),
            get(expected, "contrib"),
            "{label}"
        );
    } else {
        assert_eq!(code, "INVALID_ARGUMENT", "{label}");
        let message = text(&get(err, "message")).to_lowercase();
        let wanted = text(&get(expected, "message")).to_lowercase();
        assert!(
            message.contains(wanted.trim_end_matches('.')),
            "{label}: {message}"
        );
    }
}

/// Asserts the vector file has the expected number of valid and error cases, so that a
/// misread file cannot pass by checking nothing.
fn assert_counts(v: &JsValue, valid: usize, errors: usize) {
    assert_eq!(list(v, "valid_test_cases").len(), valid);
    assert_eq!(list(v, "error_test_cases").len(), errors);
}

/// The tweaks a test case selects by `tweak_indices`.
fn selected_tweaks(case: &JsValue, tweaks: &[JsValue]) -> Vec<Vec<u8>> {
    indices(case, "tweak_indices")
        .iter()
        .map(|&i| hex(&tweaks[i]))
        .collect()
}

/// The `error_test_cases` of the KeyAgg and tweak files: building the (tweaked) context must
/// fail with the error the case names.
fn context_error_cases(v: &JsValue, keys: &[JsValue], tweaks: &[JsValue]) {
    for c in list(v, "error_test_cases") {
        let t = selected_tweaks(&c, tweaks);
        let keys = byte_arrays(keys, &indices(&c, "key_indices"));
        let err = context(keys, &t, &bools(&c, "is_xonly")).err().unwrap();
        assert_vector_error(&err, &get(&c, "error"), &text(&get(&c, "comment")));
    }
}

pub fn key_agg_vectors() {
    let v = js_sys::JSON::parse(KEY_AGG).unwrap();
    assert_counts(&v, 4, 5);
    let keys = list(&v, "pubkeys");
    let tweaks = list(&v, "tweaks");
    for c in list(&v, "valid_test_cases") {
        let ctx = context(byte_arrays(&keys, &indices(&c, "key_indices")), &[], &[]).unwrap();
        assert_eq!(to_hex(&ctx.aggregate_key()), text(&get(&c, "expected")));
    }
    context_error_cases(&v, &keys, &tweaks);
}

pub fn tweak_vectors() {
    let v = js_sys::JSON::parse(TWEAK).unwrap();
    assert_counts(&v, 5, 1);
    let keys = list(&v, "pubkeys");
    let tweaks = list(&v, "tweaks");
    let nonces = list(&v, "pnonces");
    let aggnonce = hex(&get(&v, "aggnonce"));
    let msg = hex(&get(&v, "msg"));
    for c in list(&v, "valid_test_cases") {
        let t = selected_tweaks(&c, &tweaks);
        let key_idx = indices(&c, "key_indices");
        let ctx = context(byte_arrays(&keys, &key_idx), &t, &bools(&c, "is_xonly")).unwrap();
        let signer = get(&c, "signer_index").as_f64().unwrap() as usize;
        let nonce = hex(&nonces[indices(&c, "nonce_indices")[signer]]);
        let pk = hex(&keys[key_idx[signer]]);
        let psig = hex(&get(&c, "expected"));
        assert_eq!(
            ctx.partial_verify(&psig, &nonce, &pk, &aggnonce, &msg),
            Ok(true)
        );
    }
    context_error_cases(&v, &keys, &tweaks);
}

pub fn det_sign_vectors() {
    let v = js_sys::JSON::parse(DET_SIGN).unwrap();
    assert_counts(&v, 4, 5);
    let keys = list(&v, "pubkeys");
    let msgs = list(&v, "msgs");
    let sk = hex(&get(&v, "sk"));
    let run = |c: &JsValue| -> Result<js_sys::Object, JsValue> {
        let t: Vec<Vec<u8>> = list(c, "tweaks").iter().map(hex).collect();
        let ctx = context(
            byte_arrays(&keys, &indices(c, "key_indices")),
            &t,
            &bools(c, "is_xonly"),
        )?;
        let msg = hex(&msgs[get(c, "msg_index").as_f64().unwrap() as usize]);
        let rand = get(c, "rand");
        let rand = if rand.is_null() {
            None
        } else {
            Some(hex(&rand))
        };
        ctx.deterministic_sign(&sk, &hex(&get(c, "aggothernonce")), &msg, rand)
    };
    for c in list(&v, "valid_test_cases") {
        let out = run(&c).unwrap();
        let expected = list(&c, "expected");
        let bytes = |k: &str| js_sys::Uint8Array::new(&get(&out, k)).to_vec();
        assert_eq!(to_hex(&bytes("pubNonce")), text(&expected[0]));
        assert_eq!(to_hex(&bytes("partialSig")), text(&expected[1]));
    }
    for c in list(&v, "error_test_cases") {
        let err = run(&c).err().unwrap();
        assert_vector_error(&err, &get(&c, "error"), &text(&get(&c, "comment")));
    }
}

pub fn lotus_refuses_deterministic_signing_and_tweaks() {
    let sk = [7u8; 32];
    let pk = musig2_p2p::public_key(&sk).unwrap();
    let keys: JsValue = [js_sys::Uint8Array::from(pk.as_slice())]
        .into_iter()
        .collect::<js_sys::Array>()
        .into();
    let mut ctx = SigningContext::new("lotus", keys.clone(), JsValue::NULL).unwrap();
    let err = ctx.apply_tweak(&[1u8; 32], true).err().unwrap();
    assert_eq!(text(&get(&err, "code")), "UNSUPPORTED");
    let err = ctx
        .deterministic_sign(&sk, &[2u8; 66], &[0u8; 32], None)
        .err()
        .unwrap();
    assert_eq!(text(&get(&err, "code")), "UNSUPPORTED");
    let err = SigningContext::in_key_order("lotus", keys, JsValue::NULL)
        .err()
        .unwrap();
    assert_eq!(text(&get(&err, "code")), "UNSUPPORTED");
}
