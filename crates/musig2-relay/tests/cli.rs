//! The relay binary as a process: flags, persisted identity, busy ports, signals.

mod common;

use std::net::TcpListener;
use std::process::Command;

use common::{temp_dir, Relay, BIN};

/// Starts the relay and returns it with the lines it printed up to the first listen address.
fn start(data_dir: &std::path::Path, listen: &str) -> (Relay, Vec<String>) {
    let mut relay = Relay::start(data_dir, &["--listen", listen]);
    relay.wait_for("listening on ");
    let lines = relay.seen.clone();
    (relay, lines)
}

#[test]
fn prints_full_addresses_keeps_its_peer_id_and_exits_cleanly_on_sigterm() {
    let dir = temp_dir("restart");
    let (first, lines) = start(&dir, "/ip4/127.0.0.1/tcp/0");
    let peer = lines
        .iter()
        .find_map(|l| l.strip_prefix("peer id: "))
        .unwrap()
        .to_string();
    let addr = lines
        .iter()
        .find_map(|l| l.strip_prefix("listening on "))
        .unwrap();
    assert!(addr.starts_with("/ip4/127.0.0.1/tcp/"), "{addr}");
    assert!(addr.ends_with(&format!("/p2p/{peer}")), "{addr}");
    assert!(
        first.terminate().success(),
        "SIGTERM must exit with status 0"
    );

    let (second, lines) = start(&dir, "/ip4/127.0.0.1/tcp/0");
    let again = lines
        .iter()
        .find_map(|l| l.strip_prefix("peer id: "))
        .unwrap();
    assert_eq!(again, peer, "the identity key is persisted");
    assert!(second.terminate().success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn webrtc_address_carries_a_stable_certhash() {
    let dir = temp_dir("certhash");
    let certhash = |lines: &[String]| {
        let addr = lines
            .iter()
            .find_map(|l| l.strip_prefix("listening on "))
            .unwrap()
            .to_string();
        assert!(addr.contains("/webrtc-direct/certhash/"), "{addr}");
        addr.split("/certhash/")
            .nth(1)
            .unwrap()
            .split('/')
            .next()
            .unwrap()
            .to_string()
    };
    let (a, lines) = start(&dir, "/ip4/127.0.0.1/udp/0/webrtc-direct");
    let first = certhash(&lines);
    a.terminate();
    let (b, lines) = start(&dir, "/ip4/127.0.0.1/udp/0/webrtc-direct");
    assert_eq!(certhash(&lines), first);
    b.terminate();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn busy_port_is_a_clear_error() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let dir = temp_dir("busy");
    let out = Command::new(BIN)
        .args([
            "--data-dir",
            dir.to_str().unwrap(),
            "--listen",
            &format!("/ip4/127.0.0.1/tcp/{port}"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("cannot listen on /ip4/127.0.0.1/tcp/{port}")),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_flag_is_a_clear_error() {
    let out = Command::new(BIN).arg("--no-such-flag").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unexpected argument '--no-such-flag'"));
    let out = Command::new(BIN)
        .args(["--listen", "not-a-multiaddr"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--listen"));
}

#[test]
fn the_per_author_record_quota_is_a_flag_and_an_environment_variable() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("--max-records-per-author"), "{help}");
    assert!(
        help.contains("MUSIG2_RELAY_MAX_RECORDS_PER_AUTHOR"),
        "{help}"
    );
    assert!(help.contains("[default: 64]"), "{help}");
    let out = Command::new(BIN)
        .env("MUSIG2_RELAY_MAX_RECORDS_PER_AUTHOR", "many")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--max-records-per-author"));
}

#[test]
fn peers_and_the_destination_cap_are_flags_and_environment_variables() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "--peer",
        "MUSIG2_RELAY_PEERS",
        "--replication",
        "MUSIG2_RELAY_REPLICATION",
        "--max-circuits-per-destination",
        "MUSIG2_RELAY_MAX_CIRCUITS_PER_DESTINATION",
    ] {
        assert!(help.contains(needle), "{needle} missing: {help}");
    }
    // A peer address without its peer ID is refused before anything is bound.
    let out = Command::new(BIN)
        .env("MUSIG2_RELAY_PEERS", "/ip4/127.0.0.1/tcp/1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--peer /ip4/127.0.0.1/tcp/1 does not end in /p2p/<peer id>"),
        "{stderr}"
    );
}
