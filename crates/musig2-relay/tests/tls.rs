//! The relay's own secure WebSocket listener (`--tls-cert`/`--tls-key`), as a process: the
//! printed dialable address, a real libp2p client over `/tls/ws` trusting a test certificate,
//! and the errors for missing, unreadable or wrong files.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{temp_dir, Relay, BIN};
use futures::StreamExt;
use libp2p::core::upgrade::Version;
use libp2p::core::Transport as _;
use libp2p::swarm::SwarmEvent;
use libp2p::{identify, noise, tcp, websocket, yamux, Multiaddr, PeerId};

/// A self-signed certificate for `relay.test` and 127.0.0.1, written as PEM into `dir`.
struct TestCert {
    der: Vec<u8>,
    cert: PathBuf,
    key: PathBuf,
}

fn test_cert(dir: &Path, names: &[&str]) -> TestCert {
    std::fs::create_dir_all(dir).unwrap();
    let names = names.iter().map(|n| (*n).to_string()).collect::<Vec<_>>();
    let rcgen::CertifiedKey { cert, key_pair } = rcgen::generate_simple_self_signed(names).unwrap();
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key_pair.serialize_pem()).unwrap();
    TestCert {
        der: cert.der().to_vec(),
        cert: cert_path,
        key: key_path,
    }
}

fn tls_args<'a>(cert: &'a TestCert, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "--tls-cert",
        cert.cert.to_str().unwrap(),
        "--tls-key",
        cert.key.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    args
}

/// Dials `addr` with a native libp2p client trusting only `root` (and the web PKI) and returns
/// the protocols the relay's identify reports, proving TLS, Noise and Yamux run end to end.
async fn identify_over_tls(addr: Multiaddr, root: &[u8], relay: PeerId) -> Vec<String> {
    let mut tls = websocket::tls::Config::builder();
    tls.add_trust(&websocket::tls::Certificate::new(root.to_vec()))
        .unwrap();
    let mut swarm = libp2p::SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_other_transport(|key| {
            let mut ws = websocket::Config::new(tcp::tokio::Transport::new(tcp::Config::default()));
            ws.set_tls_config(tls.finish());
            Ok(ws
                .upgrade(Version::V1Lazy)
                .authenticate(noise::Config::new(key)?)
                .multiplex(yamux::Config::default()))
        })
        .unwrap()
        .with_behaviour(|key| musig2_net::behaviour::identify_behaviour(key.public()))
        .unwrap()
        .build();
    swarm.dial(addr).unwrap();
    let identified = async {
        loop {
            match swarm.select_next_some().await {
                SwarmEvent::Behaviour(identify::Event::Received { peer_id, info, .. })
                    if peer_id == relay =>
                {
                    return info.protocols.iter().map(|p| p.to_string()).collect();
                }
                SwarmEvent::OutgoingConnectionError { error, .. } => {
                    panic!("dial over /tls/ws failed: {error}")
                }
                _ => {}
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), identified)
        .await
        .expect("no identify from the relay over /tls/ws")
}

#[tokio::test]
async fn the_tls_listener_speaks_libp2p_and_prints_its_dns_address() {
    let dir = temp_dir("tls");
    let cert = test_cert(&dir.join("tls"), &["relay.test", "127.0.0.1"]);
    let announce = "/dns4/relay.test/tcp/443/tls/ws";
    let args = tls_args(
        &cert,
        &[
            "--listen",
            "/ip4/127.0.0.1/tcp/0/tls/ws",
            "--announce",
            announce,
        ],
    );
    let mut relay = Relay::start(&dir.join("state"), &args);
    let peer = relay.peer_id();
    assert_eq!(
        relay.wait_for("announcing "),
        format!("{announce}/p2p/{peer}")
    );
    let dialable = relay.wait_for("dialable at ");
    let listening = relay.wait_for("listening on ");
    let port = listening
        .strip_prefix("/ip4/127.0.0.1/tcp/")
        .and_then(|rest| rest.strip_suffix(&format!("/tls/ws/p2p/{peer}")))
        .unwrap_or_else(|| panic!("not a /tls/ws listen address: {listening}"));
    assert_eq!(
        dialable,
        format!("/dns4/relay.test/tcp/{port}/tls/ws/p2p/{peer}"),
        "the name is the certificate's first DNS name"
    );

    let protocols =
        identify_over_tls(listening.parse().unwrap(), &cert.der, peer.parse().unwrap()).await;
    assert!(
        protocols
            .iter()
            .any(|p| p == "/libp2p/circuit/relay/0.2.0/hop"),
        "the relay offers reservations over /tls/ws: {protocols:?}"
    );
    assert!(relay.terminate().success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn dns_name_overrides_the_certificate() {
    let dir = temp_dir("tls-name");
    let cert = test_cert(&dir.join("tls"), &["relay.test"]);
    let args = tls_args(
        &cert,
        &[
            "--listen",
            "/ip4/127.0.0.1/tcp/0/tls/ws",
            "--dns-name",
            "wss.example.org",
        ],
    );
    let mut relay = Relay::start(&dir.join("state"), &args);
    let peer = relay.peer_id();
    let dialable = relay.wait_for("dialable at ");
    assert!(
        dialable.starts_with("/dns4/wss.example.org/tcp/")
            && dialable.ends_with(&format!("/tls/ws/p2p/{peer}")),
        "{dialable}"
    );
    drop(relay);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_certificate_without_a_dns_name_is_reported_in_the_log() {
    let dir = temp_dir("tls-noname");
    let cert = test_cert(&dir.join("tls"), &["127.0.0.1"]);
    let log = dir.join("relay.log");
    let args = tls_args(&cert, &["--listen", "/ip4/127.0.0.1/tcp/0/tls/ws"]);
    let mut relay = Relay::start_logging(&dir.join("state"), &args, &log);
    let listening = relay.wait_for("listening on ");
    assert!(listening.contains("/tls/ws/p2p/"), "{listening}");
    assert!(
        !relay.seen.iter().any(|l| l.starts_with("dialable at ")),
        "{:?}",
        relay.seen
    );
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(
        log.contains("has no DNS subjectAltName and --dns-name is not given"),
        "{log}"
    );
    drop(relay);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn tls_flags_go_together_and_bad_files_are_named() {
    let dir = temp_dir("tls-errors");
    let cert = test_cert(&dir.join("tls"), &["relay.test"]);
    let run = |args: &[&str]| {
        let out = Command::new(BIN)
            .args(["--data-dir", dir.join("state").to_str().unwrap()])
            .args(["--listen", "/ip4/127.0.0.1/tcp/0"])
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let cert_path = cert.cert.to_str().unwrap();
    let key_path = cert.key.to_str().unwrap();

    let (code, stderr) = run(&["--tls-cert", cert_path]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--tls-key"), "{stderr}");
    let (code, stderr) = run(&["--tls-key", key_path]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--tls-cert"), "{stderr}");
    let (code, stderr) = run(&["--dns-name", "relay.test"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--tls-cert"), "{stderr}");
    // The same through the environment.
    let out = Command::new(BIN)
        .env("MUSIG2_RELAY_TLS_CERT", cert_path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--tls-key"));
    let help = Command::new(BIN).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for var in [
        "MUSIG2_RELAY_TLS_CERT",
        "MUSIG2_RELAY_TLS_KEY",
        "MUSIG2_RELAY_DNS_NAME",
    ] {
        assert!(help.contains(var), "{var} missing: {help}");
    }

    let missing = dir.join("no-such-cert.pem");
    let (code, stderr) = run(&[
        "--tls-cert",
        missing.to_str().unwrap(),
        "--tls-key",
        key_path,
    ]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot read {}", missing.display())),
        "{stderr}"
    );

    // The key where the certificate belongs, and the certificate where the key belongs.
    let (code, stderr) = run(&["--tls-cert", key_path, "--tls-key", key_path]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("{key_path} is not a PEM certificate chain")),
        "{stderr}"
    );
    let (code, stderr) = run(&["--tls-cert", cert_path, "--tls-key", cert_path]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("{cert_path} is not a PEM private key")),
        "{stderr}"
    );

    // A key of another certificate.
    let other = test_cert(&dir.join("other"), &["relay.test"]);
    let other_key = other.key.to_str().unwrap();
    let (code, stderr) = run(&["--tls-cert", cert_path, "--tls-key", other_key]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("{other_key} cannot serve {cert_path}")),
        "{stderr}"
    );

    // A /tls/ws listen address without TLS files.
    let out = Command::new(BIN)
        .args(["--data-dir", dir.join("state").to_str().unwrap()])
        .args(["--listen", "/ip4/127.0.0.1/tcp/0/tls/ws"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("give --tls-cert and --tls-key"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
