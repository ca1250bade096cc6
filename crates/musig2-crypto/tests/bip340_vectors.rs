//! The BIP-340 test vectors (`tests/vectors/bip340/test-vectors.csv`, unchanged from the BIP):
//! every signing row must reproduce the signature, every row must verify as listed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{hex, read_vector_file};
use musig2_crypto::bip340;

#[test]
fn bip340_csv_vectors() {
    let csv = read_vector_file("bip340/test-vectors.csv");
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("index,secret key,public key,aux_rand,message,signature"));
    let (mut rows, mut sign_rows, mut valid_rows) = (0, 0, 0);
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.trim_end().splitn(8, ',').collect();
        assert_eq!(f.len(), 8, "malformed row {line}");
        let (index, sk, pk, aux, msg, sig, result) = (f[0], f[1], f[2], f[3], f[4], f[5], f[6]);
        let pk: [u8; 32] = hex(pk).try_into().unwrap();
        let msg = hex(msg);
        let sig: [u8; 64] = hex(sig).try_into().unwrap();
        let expected = match result {
            "TRUE" => true,
            "FALSE" => false,
            other => panic!("row {index}: bad result {other}"),
        };
        if !sk.is_empty() {
            let sk: [u8; 32] = hex(sk).try_into().unwrap();
            let aux: [u8; 32] = hex(aux).try_into().unwrap();
            assert_eq!(
                bip340::xonly_public_key(&sk).unwrap(),
                pk,
                "row {index}: public key"
            );
            assert_eq!(
                bip340::sign(&sk, &msg, &aux).unwrap(),
                sig,
                "row {index}: signature"
            );
            sign_rows += 1;
        }
        assert_eq!(
            bip340::verify(&pk, &msg, &sig),
            expected,
            "row {index}: verification"
        );
        valid_rows += usize::from(expected);
        rows += 1;
    }
    eprintln!(
        "bip340 test-vectors.csv: {rows} rows passed ({sign_rows} signing, {valid_rows} valid, {} invalid)",
        rows - valid_rows
    );
    assert_eq!(
        rows,
        csv.lines().skip(1).filter(|l| !l.trim().is_empty()).count()
    );
    assert_eq!((rows, sign_rows), (19, 8));
}
