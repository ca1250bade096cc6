//! DHT discovery denial (issue 13, class 2) against the real relay process: the relay stores
//! a Kademlia PUT only if it is a valid, signed session announcement for its key, and each
//! author (the signing key of the announcement) may hold only `--max-records-per-author`
//! records.
//!
//! A hostile peer (a raw swarm with a Kademlia client) first floods the relay with validly
//! signed announcements of throwaway sessions (its own key is a signer of each), then, once
//! an honest 3-of-3 session's record is in the relay, a second hostile peer (holding no
//! records, so no quota stops it) PUTs garbage and another session's announcement under that
//! session's key. An observer fetches through the relay: the honest
//! record is intact, the flood stored no more than the quota, and the honest session signs.

mod common;

use std::time::Duration;

use common::kad_peer::KadPeer;
use common::relay::RelayProcess;
use common::{never, secret_of, start_net, PeerOptions, PATIENCE};
use musig2_crypto::scheme::{Scheme, SecretKey};
use musig2_net::libp2p::kad::{Record, RecordKey};
use musig2_session::record::validate_announcement_record;
use musig2_session::wire::TweakSpec;
use musig2_session::{Config, Destination, ElectionMethod, Machine, SessionParams};

/// Records one peer may hold in the relay in this test.
const QUOTA: usize = 8;
/// Records the relay stores in all: the flood alone could fill it without the quota, and
/// the honest wallets need 6 beside the flood's quota (3 route records; the announcement and
/// an inbox record for each of the 2 other signers), with room for 2 more.
const MAX_RECORDS: usize = 16;
/// Announcements the flooding peer PUTs.
const FLOOD: usize = 20;

/// Announcement records of `n` throwaway sessions signed by `seed`'s key (a signer of each).
fn throwaway_announcements(seed: u8, n: usize) -> Vec<([u8; 32], Vec<u8>)> {
    let sk = SecretKey::from_bytes(&secret_of(seed, Scheme::Bip327)).unwrap();
    let now = musig2_net::clock::now_ms();
    let mut config = Config::default();
    config.max_sessions = config.max_sessions.max(n + 1);
    let mut m = Machine::new(config, Scheme::Bip327, sk, now, [seed; 32]);
    let mut rng = musig2_net::node::OsRng;
    let other = SecretKey::from_bytes(&[0x42; 32]).unwrap().public_key();
    (0..n)
        .map(|i| {
            let params = SessionParams {
                signers: vec![m.public_key(), other.to_bytes()],
                message: vec![u8::try_from(i % 256).unwrap(); 32],
                tweak: TweakSpec::None,
                election: ElectionMethod::Lexicographic,
                tx_type: "test".into(),
            };
            let id = m.create_session(now, params, &mut rng).unwrap();
            let mut record = None;
            while let Some(t) = m.poll_transmit() {
                if t.to == Destination::DhtPut(id) {
                    record = Some((id, t.bytes));
                }
            }
            record.expect("a DHT put per session")
        })
        .collect()
}

/// The value of the sample `name` (without labels) in a text exposition.
fn sample(text: &str, name: &str) -> f64 {
    common::relay::sample(text, name).unwrap_or_else(|| panic!("{name} missing:\n{text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_and_floods_do_not_displace_an_honest_record_and_the_session_signs() {
    let relay = RelayProcess::start_with(
        "dht-validation",
        &[
            "--metrics-addr",
            "127.0.0.1:0",
            "--max-records",
            &MAX_RECORDS.to_string(),
            "--max-records-per-author",
            &QUOTA.to_string(),
        ],
    )
    .await;
    let attacker = KadPeer::connect(200, &relay.tcp).await;
    let observer = KadPeer::connect(201, &relay.tcp).await;
    // A second hostile peer, holding no records (so no quota stops its PUTs).
    let vandal = KadPeer::connect(203, &relay.tcp).await;

    // 1. The flood: more validly signed announcements than the whole store holds.
    let flood = throwaway_announcements(200, FLOOD);
    for (id, bytes) in &flood {
        attacker
            .put(Record::new(RecordKey::new(id), bytes.clone()))
            .await;
    }

    // 2. An honest 3-of-3 session through the same relay.
    let opts = PeerOptions::through(vec![relay.tcp.clone()]);
    let mut net = start_net(Scheme::Bip327, 3, &opts, |_| never()).await;
    let message = vec![0x3cu8; 32];
    let id = net
        .create(
            0,
            TweakSpec::None,
            ElectionMethod::Lexicographic,
            message.clone(),
        )
        .await;
    let honest = net.peers[0]
        .handle
        .with_machine(move |m, _, _| m.session(&id).map(|s| s.announcement))
        .await
        .unwrap()
        .expect("the creator knows its session");
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while observer.get(&id).await.as_ref() != Some(&honest) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the honest record never reached the relay (store full?)"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // 3. Garbage, and a valid announcement of another session, under the honest key.
    vandal
        .put(Record::new(RecordKey::new(&id), b"garbage".to_vec()))
        .await;
    let (_, other) = throwaway_announcements(203, 1).remove(0);
    vandal.put(Record::new(RecordKey::new(&id), other)).await;

    // The honest record is still there, byte for byte, and valid.
    let fetched = observer.get(&id).await.expect("the honest record");
    assert_eq!(fetched, honest, "the honest record was replaced");
    let info = validate_announcement_record(&id, &fetched, musig2_net::clock::now_ms()).unwrap();
    assert_eq!(info.sender, net.peers[0].key);

    // The flood stored exactly the quota.
    let mut stored = 0;
    for (fid, bytes) in &flood {
        if let Some(v) = observer.get(fid).await {
            assert_eq!(&v, bytes);
            stored += 1;
        }
    }
    assert_eq!(stored, QUOTA, "records of the flooding peer in the relay");

    // The honest session completes alongside.
    net.assert_signed(&[0, 1, 2], false, Scheme::Bip327, TweakSpec::None, &message)
        .await;

    let metrics = relay.scrape().await;
    assert!(
        sample(&metrics, "musig2_relay_dht_records_over_quota_total") >= (FLOOD - QUOTA) as f64
    );
    assert!(sample(&metrics, "musig2_relay_dht_records_invalid_total") >= 2.0);
    assert!(sample(&metrics, "musig2_relay_dht_records") >= (QUOTA + 1) as f64);
    relay.stop().await;
}
