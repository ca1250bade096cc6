//! `GET /health` and the active-reservation and active-circuit gauges, against a real relay
//! process: a native client reserves, a second one opens a circuit to it, both leave.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{temp_dir, wait_in_file, Relay};
use futures::StreamExt;
use libp2p::multiaddr::Protocol;
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{noise, relay, tcp, yamux, Multiaddr, Swarm};

/// `GET path` on `addr` (host:port); returns the status line and the body.
fn http_get(addr: &str, path: &str) -> (String, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    (head.lines().next().unwrap().to_string(), body.to_string())
}

#[derive(NetworkBehaviour)]
struct Client {
    relay: relay::client::Behaviour,
}

fn client() -> Swarm<Client> {
    libp2p::SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_tcp(
            tcp::Config::default(),
            noise::Config::new,
            yamux::Config::default,
        )
        .unwrap()
        .with_relay_client(noise::Config::new, yamux::Config::default)
        .unwrap()
        .with_behaviour(|_, relay| Client { relay })
        .unwrap()
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(60)))
        .build()
}

/// Dials the relay and waits for the connection: a `/p2p-circuit` listen started before it
/// is up drops the reservation request.
async fn connect(swarm: &mut Swarm<Client>, relay: &Multiaddr) {
    swarm.dial(relay.clone()).unwrap();
    let connected = async {
        loop {
            if let SwarmEvent::ConnectionEstablished { .. } = swarm.select_next_some().await {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), connected)
        .await
        .expect("no connection to the relay");
}

/// Polls `/health` until `field` has `value` (the relay updates it on its own events).
async fn wait_health(health: &str, field: &str, value: u64) -> String {
    let needle = format!("\"{field}\":{value}");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, body) = http_get(health, "/health");
        assert_eq!(status, "HTTP/1.1 200 OK");
        if body.contains(&needle) {
            return body;
        }
        assert!(Instant::now() < deadline, "no {needle} in {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_reports_active_reservations_circuits_and_peers() {
    let dir = temp_dir("health");
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("relay.log");
    let mut relay = Relay::start_logging(
        &dir.join("state"),
        &[
            "--listen",
            "/ip4/127.0.0.1/tcp/0",
            "--metrics-addr",
            "127.0.0.1:0",
            "--max-reservations",
            "1",
            "--log",
            "musig2_relay=info",
        ],
        &log,
    );
    let peer = relay.peer_id();
    let health = relay.wait_for("health on http://");
    let health = health.strip_suffix("/health").unwrap().to_string();
    let relay_addr: Multiaddr = relay.wait_for("listening on ").parse().unwrap();
    let relay_addr_c = relay_addr.clone();

    let body = wait_health(&health, "reservations_active", 0).await;
    assert!(body.starts_with(&format!(
        r#"{{"status":"ok","peer_id":"{peer}","uptime_secs":"#
    )));
    assert!(
        body.contains(r#""circuits_active":0,"connected_peers":0,"records":0}"#),
        "{body}"
    );

    // A reserves and stays listening through the relay.
    let mut a = client();
    let a_id = *a.local_peer_id();
    connect(&mut a, &relay_addr).await;
    a.listen_on(relay_addr.clone().with(Protocol::P2pCircuit))
        .unwrap();
    loop {
        if let SwarmEvent::Behaviour(ClientEvent::Relay(
            relay::client::Event::ReservationReqAccepted { .. },
        )) = a.select_next_some().await
        {
            break;
        }
    }
    let a_task = tokio::spawn(async move { while a.next().await.is_some() {} });
    let body = wait_health(&health, "reservations_active", 1).await;
    assert!(body.contains(r#""connected_peers":1"#), "{body}");

    // B opens a circuit to A.
    let mut b = client();
    let through: Multiaddr = relay_addr
        .with(Protocol::P2pCircuit)
        .with(Protocol::P2p(a_id));
    b.dial(through).unwrap();
    let reached = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match b.select_next_some().await {
                SwarmEvent::ConnectionEstablished { peer_id, .. } if peer_id == a_id => break,
                SwarmEvent::OutgoingConnectionError { error, .. } => panic!("{error}"),
                _ => {}
            }
        }
    });
    reached.await.expect("no circuit from B to A");
    let b_task = tokio::spawn(async move { while b.next().await.is_some() {} });
    let body = wait_health(&health, "circuits_active", 1).await;
    assert!(body.contains(r#""connected_peers":2"#), "{body}");
    let (_, metrics) = http_get(&health, "/metrics");
    for line in [
        "musig2_relay_reservations_active 1",
        "musig2_relay_circuits_active 1",
        "musig2_relay_connected_peers 2",
    ] {
        assert!(metrics.contains(line), "{line} missing");
    }

    // C is refused a reservation (--max-reservations 1) and a circuit to a peer without one.
    let mut c = client();
    let c_id = *c.local_peer_id();
    connect(&mut c, &relay_addr_c).await;
    c.listen_on(relay_addr_c.clone().with(Protocol::P2pCircuit))
        .unwrap();
    let nobody = libp2p::PeerId::random();
    c.dial(
        relay_addr_c
            .with(Protocol::P2pCircuit)
            .with(Protocol::P2p(nobody)),
    )
    .unwrap();
    let c_task = tokio::spawn(async move { while c.next().await.is_some() {} });
    wait_in_file(
        &log,
        &format!("reservation accepted peer={a_id} renewed=false"),
    );
    let c_id = c_id.to_string();
    wait_in_file(
        &log,
        &format!("reservation refused peer={c_id} status=ResourceLimitExceeded"),
    );
    wait_in_file(
        &log,
        &format!("circuit refused src={c_id} dst={nobody} status=NoReservation"),
    );
    c_task.abort();

    // All leave: every gauge returns to zero.
    b_task.abort();
    a_task.abort();
    let body = wait_health(&health, "connected_peers", 0).await;
    assert!(
        body.contains(r#""reservations_active":0,"circuits_active":0"#),
        "{body}"
    );
    let (status, _) = http_get(&health, "/nope");
    assert_eq!(status, "HTTP/1.1 404 Not Found");
    assert!(relay.terminate().success());
    let _ = std::fs::remove_dir_all(&dir);
}
