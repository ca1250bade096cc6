//! Builds the relay's swarm and runs it until SIGINT or SIGTERM.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use libp2p::core::muxing::StreamMuxerBox;
use libp2p::core::upgrade::Version;
use libp2p::core::Transport as _;
use libp2p::multiaddr::Protocol;
use libp2p::swarm::SwarmEvent;
use libp2p::{gossipsub, identify, kad, noise, tcp, websocket, yamux, Multiaddr, Swarm};
use musig2_session::wire::signers_topic;
use prometheus_client::registry::Registry;

use crate::behaviour::{RelayBehaviour, RelayBehaviourEvent};
use crate::cli::Cli;
use crate::metrics::Metrics;
use crate::peering::Peering;
use crate::persist;
use crate::records::RecordGuard;
use crate::state;
use crate::tls::DialableNames;
use crate::validator::{AdvertValidator, Verdict};

/// Errors that stop the relay.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// Persisted state could not be loaded or created.
    #[error(transparent)]
    State(#[from] state::StateError),
    /// The swarm could not be built.
    #[error("cannot build the node: {0}")]
    Build(String),
    /// A listen address could not be bound (busy port, missing interface, bad address).
    #[error("cannot listen on {address}: {reason}")]
    Listen {
        /// The address.
        address: Multiaddr,
        /// The transport's reason.
        reason: String,
    },
    /// A `--peer` address is unusable.
    #[error(transparent)]
    Peer(#[from] crate::peering::PeerAddressError),
    /// `--tls-cert` or `--tls-key` cannot be used.
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
    /// A `/tls/ws` listen address was given without a certificate.
    #[error("--listen {0} is a secure WebSocket address: give --tls-cert and --tls-key")]
    TlsWithoutCertificate(Multiaddr),
    /// The metrics endpoint could not be bound.
    #[error("cannot serve metrics on {address}: {reason}")]
    Metrics {
        /// The address.
        address: SocketAddr,
        /// The OS error.
        reason: String,
    },
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn build_swarm(
    cli: &Cli,
    tls: Option<websocket::tls::Config>,
) -> Result<Swarm<RelayBehaviour>, ServerError> {
    let keypair = state::load_or_create_identity(&cli.data_dir)?;
    let certificate = state::load_or_create_certificate(&cli.data_dir)?;
    let build_err = |e: &dyn std::fmt::Display| ServerError::Build(e.to_string());
    let swarm = libp2p::SwarmBuilder::with_existing_identity(keypair)
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .map_err(|e| build_err(&e))?
        .with_other_transport(|key| -> Result<_, BoxError> {
            let mut ws = websocket::Config::new(tcp::tokio::Transport::new(
                tcp::Config::default().nodelay(true),
            ));
            if let Some(tls) = tls {
                ws.set_tls_config(tls);
            }
            let ws = ws
                .upgrade(Version::V1Lazy)
                .authenticate(noise::Config::new(key)?)
                .multiplex(yamux::Config::default());
            let rtc = libp2p_webrtc::tokio::Transport::new(key.clone(), certificate)
                .map(|(peer, conn), _| (peer, StreamMuxerBox::new(conn)));
            Ok(ws
                .map(|(peer, muxer), _| (peer, StreamMuxerBox::new(muxer)))
                .or_transport(rtc)
                .map(|either, _| either.into_inner()))
        })
        .map_err(|e| build_err(&e))?
        // `/dns4/…` addresses (`--peer relay.example.org`), resolved with the system's
        // resolver configuration; the TLS name check of a dialled `/dns4/…/tls/ws` would see
        // the resolved IP, so peer relays over TCP.
        .with_dns()
        .map_err(|e| build_err(&e))?
        .with_behaviour(|key| RelayBehaviour::new(key, cli).map_err(BoxError::from))
        .map_err(|e| build_err(&e))?
        // The peers' settings (V1Lazy substreams), with a longer idle timeout for a relay.
        .with_swarm_config(|c| {
            musig2_net::transport::swarm_config(c)
                .with_idle_connection_timeout(Duration::from_secs(600))
        })
        .build();
    Ok(swarm)
}

/// Runs the relay until SIGINT or SIGTERM.
///
/// # Errors
/// [`ServerError`] when the node cannot start (bad state, busy port, …).
pub async fn run(cli: Cli) -> Result<(), ServerError> {
    let mut peering = Peering::new(&cli.peers)?;
    let listen = cli.listen_addresses();
    let (tls, mut dialable) = load_tls(&cli, &listen)?;
    let mut swarm = build_swarm(&cli, tls)?;
    let peer_id = *swarm.local_peer_id();
    for address in &listen {
        swarm
            .listen_on(address.clone())
            .map_err(|e| ServerError::Listen {
                address: address.clone(),
                reason: e.to_string(),
            })?;
    }
    for address in &cli.announce {
        swarm.add_external_address(address.clone());
        print_line(&format!("announcing {}", with_peer(address, peer_id)));
    }
    for tx_type in &cli.topic_types {
        let topic = gossipsub::IdentTopic::new(signers_topic(tx_type));
        if let Err(e) = swarm.behaviour_mut().gossipsub.subscribe(&topic) {
            tracing::warn!("cannot join {topic}: {e}");
        }
    }
    peering.start(&mut swarm);
    let mut redial = tokio::time::interval(Duration::from_millis(250));
    let mut metrics = start_metrics(&cli, peer_id).await?;
    let mut validator = AdvertValidator::new(now_ms());
    let mut records = RecordGuard::new(cli.max_records_per_author);
    let loaded = persist::load(
        &cli.data_dir,
        now_ms(),
        &mut records,
        swarm.behaviour_mut().kad.store_mut(),
    );
    if let Some(m) = &metrics {
        m.set_records(records.len());
    }
    if loaded.stored + loaded.dropped > 0 {
        print_line(&format!(
            "records loaded: {} (dropped {})",
            loaded.stored, loaded.dropped
        ));
    }
    let mut save_timer = tokio::time::interval(persist::SAVE_INTERVAL);
    let mut unsaved = false;
    print_line(&format!("peer id: {peer_id}"));

    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| ServerError::Build(format!("cannot install SIGTERM handler: {e}")))?;
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = sigterm.recv() => break,
            _ = redial.tick() => peering.redial_due(&mut swarm),
            _ = save_timer.tick(), if unsaved => {
                unsaved = false;
                save_records(&cli, &mut swarm, &mut records);
                if let Some(m) = &metrics {
                    m.set_records(records.len());
                }
            }
            event = swarm.select_next_some() => {
                let refused = swarm.behaviour_mut().relay.take_refused();
                if refused > 0 {
                    tracing::info!(refused, "circuit refused: destination at --max-circuits-per-destination");
                }
                if let Some(m) = &mut metrics {
                    m.record(&event);
                    m.record_destination_cap(refused);
                }
                match event {
                    SwarmEvent::NewListenAddr { address, .. } => {
                        // A relay advertises its hop protocol only for confirmed external addresses.
                        swarm.add_external_address(address.clone());
                        if let Some(dns) = dialable.on_listen_addr(&address, peer_id) {
                            print_line(&format!("dialable at {dns}"));
                            let external: Multiaddr = dns.iter().filter(|p| !matches!(p, Protocol::P2p(_))).collect();
                            swarm.add_external_address(external);
                        }
                        print_line(&format!("listening on {}", address.with(Protocol::P2p(peer_id))));
                    }
                    SwarmEvent::ListenerError { error, .. } => {
                        tracing::error!("listener error: {error}");
                    }
                    SwarmEvent::ListenerClosed { addresses, reason: Err(error), .. } => {
                        let address = addresses.first().cloned().unwrap_or_else(Multiaddr::empty);
                        return Err(ServerError::Listen { address, reason: error.to_string() });
                    }
                    SwarmEvent::ConnectionEstablished { peer_id, endpoint, .. } => {
                        tracing::debug!(%peer_id, addr = %endpoint.get_remote_address(), "connection established");
                        peering.connected(&mut swarm, peer_id);
                    }
                    SwarmEvent::ConnectionClosed { peer_id, num_established: 0, .. }
                    | SwarmEvent::OutgoingConnectionError { peer_id: Some(peer_id), .. } => {
                        peering.lost(peer_id);
                    }
                    SwarmEvent::Behaviour(RelayBehaviourEvent::Identify(identify::Event::Received {
                        peer_id,
                        info,
                        ..
                    })) => peering.identified(&mut swarm, peer_id, &info),
                    SwarmEvent::Behaviour(RelayBehaviourEvent::Gossipsub(gossipsub::Event::Message {
                        propagation_source,
                        message_id,
                        message,
                    })) => {
                        let author = message.source.unwrap_or(propagation_source);
                        let (verdict, banned) = validator.check(now_ms(), &author, &message.data);
                        if let Verdict::Reject(reason) = &verdict {
                            tracing::info!(%author, %propagation_source, "gossip message rejected: {reason}");
                        }
                        if let Some(m) = &metrics {
                            m.record_verdict(verdict == Verdict::Accept);
                        }
                        let _ = swarm.behaviour_mut().gossipsub.report_message_validation_result(
                            &message_id,
                            &propagation_source,
                            verdict.acceptance(),
                        );
                        for peer in banned {
                            tracing::info!(%peer, "peer banned, disconnecting");
                            let _ = swarm.disconnect_peer_id(peer);
                        }
                    }
                    SwarmEvent::Behaviour(RelayBehaviourEvent::Kad(kad::Event::InboundRequest {
                        request: kad::InboundRequest::PutRecord { source, record: Some(record), .. },
                    })) => {
                        let key = record.key.clone();
                        let store = swarm.behaviour_mut().kad.store_mut();
                        let outcome = records.admit(now_ms(), record, store);
                        unsaved |= outcome.is_ok();
                        match &outcome {
                            Ok(admitted) => tracing::debug!(%source, ?key, ?admitted, "DHT record admitted"),
                            Err(refusal) => tracing::info!(%source, ?key, reason = refusal.label(), ?refusal, "DHT record refused"),
                        }
                        if let Some(m) = &metrics {
                            m.record_put(&outcome, records.len());
                        }
                    }
                    SwarmEvent::Behaviour(RelayBehaviourEvent::Relay(event)) => crate::relay_events::log(&event),
                    SwarmEvent::Behaviour(event) => tracing::debug!(?event, "behaviour event"),
                    _ => {}
                }
            }
        }
    }
    save_records(&cli, &mut swarm, &mut records);
    print_line("shutting down");
    Ok(())
}

/// Loads `--tls-cert`/`--tls-key` if given and picks the DNS name of the dialable address;
/// refuses a `/tls/ws` listen address without them.
fn load_tls(
    cli: &Cli,
    listen: &[Multiaddr],
) -> Result<(Option<websocket::tls::Config>, DialableNames), ServerError> {
    let (Some(cert), Some(key)) = (&cli.tls_cert, &cli.tls_key) else {
        if let Some(addr) = listen.iter().find(|a| crate::tls::is_secure_ws(a)) {
            return Err(ServerError::TlsWithoutCertificate(addr.clone()));
        }
        return Ok((None, DialableNames::default()));
    };
    let tls = crate::tls::load(cert, key)?;
    let name = cli
        .dns_name
        .clone()
        .or_else(|| tls.dns_names.first().cloned());
    match &name {
        Some(name) => tracing::info!(%name, "secure WebSocket listener: wallets dial this name"),
        None => tracing::warn!(
            "{} has no DNS subjectAltName and --dns-name is not given: no dialable /dns4 address for the /tls/ws listener",
            cert.display()
        ),
    }
    Ok((Some(tls.config), DialableNames::new(name)))
}

/// `address` ending in `/p2p/<peer>` (added unless it already ends in a peer ID).
fn with_peer(address: &Multiaddr, peer: libp2p::PeerId) -> Multiaddr {
    match address.iter().last() {
        Some(Protocol::P2p(_)) => address.clone(),
        _ => address.clone().with(Protocol::P2p(peer)),
    }
}

/// Writes the unexpired records to the data folder (a failure is logged: the relay keeps
/// serving from memory).
fn save_records(cli: &Cli, swarm: &mut Swarm<RelayBehaviour>, records: &mut RecordGuard) {
    let store = swarm.behaviour_mut().kad.store_mut();
    records.expire(now_ms(), store);
    if let Err(e) = persist::save(&cli.data_dir, store) {
        tracing::warn!("records not saved in {}: {e}", cli.data_dir.display());
    }
}

/// Starts the metrics and health endpoint if `--metrics-addr` is given, and prints both
/// addresses.
async fn start_metrics(cli: &Cli, peer_id: libp2p::PeerId) -> Result<Option<Metrics>, ServerError> {
    let Some(addr) = cli.metrics_addr else {
        return Ok(None);
    };
    let mut registry = Registry::default();
    let metrics = Metrics::new(&mut registry);
    let health = metrics.health(peer_id);
    let bound = crate::metrics::serve(addr, Arc::new(registry), health)
        .await
        .map_err(|e| ServerError::Metrics {
            address: addr,
            reason: e.to_string(),
        })?;
    print_line(&format!("metrics on http://{bound}/metrics"));
    print_line(&format!("health on http://{bound}/health"));
    Ok(Some(metrics))
}

/// Milliseconds since the Unix epoch.
fn now_ms() -> u64 {
    musig2_net::clock::now_ms()
}

/// Prints a machine-readable line on stdout. A closed stdout (the reader went away) is not a
/// reason to crash a relay, so write errors are ignored.
fn print_line(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}
