//! `MuSigClient`, the class wallets use from JavaScript.

use std::cell::RefCell;
use std::rc::Rc;

use futures::channel::oneshot;
use futures::StreamExt;
use musig2_crypto::scheme::{Scheme, SecretKey};
use musig2_net::libp2p::{identity::Keypair, Multiaddr};
use musig2_net::{Node, NodeEvent, NodeHandle};
use musig2_session::identity::CachedTiers;
use musig2_session::Machine;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, spawn_local};

use super::config::ClientConfig;
use super::errors::{js_error, net_error, ErrorCode};
use super::events::{self, Listeners};
use super::session_events::SessionPromises;
use super::timer::sleep_ms;
use super::transport_choice;

mod discovery;
mod reputation;
mod sessions;
mod verifier_queue;

#[derive(Default)]
struct State {
    handle: Option<NodeHandle>,
    starting: bool,
    circuit_addresses: Vec<String>,
    reserved: Option<oneshot::Sender<()>>,
    promises: SessionPromises,
    /// A reputation save is running (further changes only mark `reputation_dirty`).
    reputation_saving: bool,
    /// The reputation changed since the running save read it.
    reputation_dirty: bool,
    /// Transaction types passed to `watchSigners` (bounded by `discovery::MAX_WATCHED_TYPES`).
    watched: std::collections::BTreeSet<String>,
    /// Identity claims waiting for the application's verifier.
    verifier: verifier_queue::VerifierQueue,
}

/// A MuSig2 co-signing peer running in this page.
///
/// Browsers cannot accept connections, so the client dials the configured relays, reserves a
/// circuit-relay v2 slot on each and is reached by other peers through `/p2p-circuit`.
#[wasm_bindgen]
pub struct MuSigClient {
    config: ClientConfig,
    node_config: musig2_net::NodeConfig,
    keypair: Keypair,
    scheme: Scheme,
    public_key: [u8; 33],
    /// Taken by `start()`, which moves it into the session state machine.
    secret_key: RefCell<Option<SecretKey>>,
    listeners: Listeners,
    state: Rc<RefCell<State>>,
    /// The `identityVerifier` option.
    identity_verifier: Option<js_sys::Function>,
}

#[wasm_bindgen]
impl MuSigClient {
    /// Creates a client. Nothing touches the network before `start()`.
    ///
    /// Throws an `Error` with code `INVALID_ARGUMENT` for a malformed configuration.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "MuSigClientConfig")] config: JsValue,
    ) -> Result<MuSigClient, JsValue> {
        let (config, identity_verifier) = super::identity_verifier::take_verifier(config)?;
        let (config, node_config, secret_key) = ClientConfig::from_js(config)?;
        let secret_key = match secret_key {
            Some(sk) => sk,
            None => SecretKey::from_random(crate::facade::crypto_api::random32()?),
        };
        let keypair =
            musig2_net::identity::keypair_from_signing_key(&secret_key.dangerous_to_bytes())
                .map_err(net_error)?;
        Ok(MuSigClient {
            scheme: config.scheme()?,
            public_key: secret_key.public_key().to_bytes(),
            secret_key: RefCell::new(Some(secret_key)),
            config,
            node_config,
            keypair,
            listeners: Listeners::default(),
            state: Rc::default(),
            identity_verifier,
        })
    }

    /// This peer's libp2p peer ID.
    #[wasm_bindgen(getter, js_name = peerId)]
    pub fn peer_id(&self) -> String {
        self.keypair.public().to_peer_id().to_string()
    }

    /// This wallet's 33-byte compressed public signing key (its identity in sessions).
    #[wasm_bindgen(getter, js_name = publicKey)]
    pub fn public_key(&self) -> Vec<u8> {
        self.public_key.to_vec()
    }

    /// The addresses other peers can reach this one at (one per relay reservation held: an
    /// address through a relay that was lost is removed).
    #[wasm_bindgen(js_name = circuitAddresses)]
    pub fn circuit_addresses(&self) -> Vec<String> {
        self.state.borrow().circuit_addresses.clone()
    }

    /// Connects to the relays and resolves once one of them accepted a reservation.
    ///
    /// Rejects with `RELAY_UNREACHABLE` when none did within `connectTimeoutMs`, and with
    /// `ALREADY_STARTED` when called twice.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn start(&self) -> js_sys::Promise {
        let state = self.state.clone();
        let listeners = self.listeners.clone();
        let keypair = self.keypair.clone();
        let mut node_config = self.node_config.clone();
        let timeout = self.config.connect_timeout_ms;
        let secret_key = self.secret_key.borrow_mut().take();
        let scheme = self.scheme;
        let persist = self.config.persist;
        let owner = super::session_events::hex_key(&self.public_key);
        let resume_owner = owner.clone();
        let verifier = self.identity_verifier.clone();
        future_to_promise(async move {
            let secret_key = secret_key
                .ok_or_else(|| js_error(ErrorCode::AlreadyStarted, "start() was already called"))?;
            // Probed before anything is dialled, so a browser that refuses the transport's
            // offer falls back to WebSocket at once instead of failing every dial.
            let choice = musig2_net::capabilities::choose_relays(
                std::mem::take(&mut node_config.relays),
                musig2_net::capabilities::webrtc_support().await,
            );
            listeners.emit("transportSelected", &transport_choice::to_event(&choice));
            node_config.relays = choice.relays.clone();
            if node_config.relays.is_empty() {
                return Err(js_error(
                    ErrorCode::RelayUnreachable,
                    format!(
                        "every configured relay needs webrtc-direct, which cannot be used here: {}",
                        choice.reason()
                    ),
                ));
            }
            state.borrow_mut().starting = true;
            let now = musig2_net::clock::now_ms();
            let entropy = crate::facade::crypto_api::random32()?;
            let config = musig2_session::Config::default();
            let capacity = config.max_known_signers;
            let mut machine = Machine::new(config, scheme, secret_key, now, entropy);
            if verifier.is_some() {
                // Claims are resolved asynchronously by the JS verifier (discovery::observe).
                machine.set_identity_verifier(Box::new(CachedTiers::new(capacity)));
            }
            if persist {
                match super::reputation_store::load(&owner).await {
                    Ok(entries) => machine.import_reputation(&entries, now),
                    Err(e) => web_sys::console::warn_2(
                        &"musig2-p2p: cannot read stored peer reputation".into(),
                        &e,
                    ),
                }
            }
            let result = Node::new(keypair, node_config, Some(machine)).await;
            let (node, handle, mut node_events) = match result {
                Ok(parts) => parts,
                Err(e) => {
                    state.borrow_mut().starting = false;
                    return Err(net_error(e));
                }
            };
            let (reserved_tx, reserved_rx) = oneshot::channel();
            {
                let mut s = state.borrow_mut();
                s.handle = Some(handle);
                s.starting = false;
                s.reserved = Some(reserved_tx);
                s.verifier = verifier_queue::VerifierQueue::new(capacity);
            }
            spawn_local(node.run());
            let pump_state = state.clone();
            spawn_local(async move {
                while let Some(event) = node_events.next().await {
                    if let NodeEvent::Session(e) = &event {
                        pump_state.borrow_mut().promises.observe(e);
                        discovery::observe(&pump_state, &listeners, verifier.as_ref(), e);
                        if persist {
                            persist_progress(&pump_state, &owner, e);
                        }
                    }
                    if persist && reputation::changes(&event) {
                        reputation::persist(&pump_state, &owner);
                    }
                    if let NodeEvent::RelayLost { relay } = &event {
                        // Our addresses through a lost relay no longer reach us.
                        let through = format!("/p2p/{relay}/p2p-circuit/");
                        let mut s = pump_state.borrow_mut();
                        s.circuit_addresses.retain(|a| !a.contains(&through));
                    }
                    if let NodeEvent::RelayReserved {
                        circuit_address, ..
                    } = &event
                    {
                        let mut s = pump_state.borrow_mut();
                        let addr = circuit_address.to_string();
                        if !s.circuit_addresses.contains(&addr) {
                            s.circuit_addresses.push(addr);
                        }
                        if let Some(tx) = s.reserved.take() {
                            let _ = tx.send(());
                        }
                    }
                    if let Some((name, payload)) = events::to_js(&event) {
                        listeners.emit(name, &payload);
                    }
                }
            });
            let deadline = sleep_ms(timeout);
            futures::pin_mut!(deadline);
            match futures::future::select(reserved_rx, deadline).await {
                futures::future::Either::Left((Ok(()), _)) => {}
                _ => {
                    return Err(js_error(
                        ErrorCode::RelayUnreachable,
                        format!("no relay accepted a reservation within {timeout} ms"),
                    ))
                }
            }
            if persist {
                resume_sessions(&state, &resume_owner).await;
            }
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Sends `data` to the peer at `address` (a circuit address ending in `/p2p/<peer id>`).
    /// Resolves once the receiver acknowledged exactly these bytes.
    ///
    /// Rejects with `INVALID_ARGUMENT`, `NOT_STARTED` or `DELIVERY_FAILED`.
    #[wasm_bindgen(js_name = sendDirect, unchecked_return_type = "Promise<void>")]
    pub fn send_direct(&self, address: &str, data: &[u8]) -> js_sys::Promise {
        self.send_bytes(address, data, false)
    }

    /// Sends raw bytes on the session protocol to the peer at `address`, unchecked: a
    /// diagnostic for interoperability and robustness testing (what a hostile peer could send
    /// anyway). The receiver verifies everything and penalizes garbage. Resolves once the
    /// node queued the bytes, before they are delivered (there is no receipt): wait for the
    /// receiver's reaction, not for this promise.
    #[wasm_bindgen(js_name = debugSendRaw, unchecked_return_type = "Promise<void>")]
    pub fn debug_send_raw(&self, address: &str, data: &[u8]) -> js_sys::Promise {
        self.send_bytes(address, data, true)
    }

    /// Fault injection for tests: the client's node stops (as by `stop()`) in the same turn in
    /// which any of its sessions enters `phase`, after sending that turn's messages and before
    /// processing anything received later; e.g. `"partialSigCollection"` stops a coordinator
    /// right after its round-2 share, before it could aggregate. With `freeze` true it freezes
    /// instead, like a hung tab: nothing is processed or sent any more, but its connections
    /// stay open, so co-signers notice only its silence.
    ///
    /// Rejects with `INVALID_ARGUMENT` for an unknown phase, `NOT_STARTED` before `start()`.
    #[wasm_bindgen(js_name = debugStopAtPhase, unchecked_return_type = "Promise<void>")]
    pub fn debug_stop_at_phase(
        &self,
        #[wasm_bindgen(unchecked_param_type = "SessionPhase")] phase: &str,
        freeze: Option<bool>,
    ) -> js_sys::Promise {
        let handle = self.state.borrow().handle.clone();
        let phase = crate::facade::session_events::parse_phase(phase);
        future_to_promise(async move {
            let phase = phase?;
            let handle =
                handle.ok_or_else(|| js_error(ErrorCode::NotStarted, "call start() first"))?;
            if freeze == Some(true) {
                handle.freeze_at_phase(phase).await.map_err(net_error)?;
            } else {
                handle.stop_at_phase(phase).await.map_err(net_error)?;
            }
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Registers `callback` for `event` and returns a function that unregisters it.
    ///
    /// Throws `INVALID_ARGUMENT` for an unknown event name or too many listeners. Its
    /// TypeScript declaration (typed per event name) is in `events.rs`.
    #[wasm_bindgen(skip_typescript)]
    pub fn on(
        &self,
        #[wasm_bindgen(unchecked_param_type = "MuSigEventName")] event: &str,
        #[wasm_bindgen(unchecked_param_type = "(event: MuSigEvent) => void")]
        callback: js_sys::Function,
    ) -> Result<JsValue, JsValue> {
        let (name, id) = self.listeners.add(event, callback).ok_or_else(|| {
            js_error(
                ErrorCode::InvalidArgument,
                format!("unknown event {event:?} or too many listeners"),
            )
        })?;
        let listeners = self.listeners.clone();
        let unsubscribe = Closure::once_into_js(move || listeners.remove(name, id));
        Ok(unsubscribe)
    }

    /// Stops the node and closes every connection. The client cannot be started again.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn stop(&self) -> js_sys::Promise {
        let handle = self.state.borrow_mut().handle.take();
        future_to_promise(async move {
            if let Some(h) = handle {
                h.shutdown().await;
            }
            Ok(JsValue::UNDEFINED)
        })
    }
}

/// Saves the public progress of the session an event is about (never secrets).
fn persist_progress(state: &Rc<RefCell<State>>, owner: &str, event: &musig2_session::Event) {
    use musig2_session::Event as E;
    let id = match event {
        E::PhaseChanged { session_id, .. }
        | E::NewAttempt { session_id, .. }
        | E::SignatureReady { session_id, .. }
        | E::Completed { session_id }
        | E::Aborted { session_id, .. }
        | E::Failed { session_id, .. } => *session_id,
        _ => return,
    };
    let Some(handle) = state.borrow().handle.clone() else {
        return;
    };
    let owner = owner.to_string();
    spawn_local(async move {
        let Ok(Some(info)) = handle.with_machine(move |m, _, _| m.session(&id)).await else {
            return;
        };
        if info.phase == musig2_session::Phase::Announced {
            return;
        }
        if let Err(e) = super::persistence::save(&owner, &id, &info).await {
            web_sys::console::warn_2(&"musig2-p2p: cannot persist session".into(), &e);
        }
    });
}

/// Resumes the unfinished sessions stored for this wallet (new attempt, fresh nonces), and
/// remembers the signatures of finished ones so `signature()` resolves after a reload.
async fn resume_sessions(state: &Rc<RefCell<State>>, owner: &str) {
    let stored = match super::persistence::load_all(owner).await {
        Ok(s) => s,
        Err(e) => {
            web_sys::console::warn_2(&"musig2-p2p: cannot read stored sessions".into(), &e);
            return;
        }
    };
    let Some(handle) = state.borrow().handle.clone() else {
        return;
    };
    for s in stored {
        if let Some(sig) = s.signature {
            state.borrow_mut().promises.remember(s.id, sig.to_vec());
            continue;
        }
        if s.terminal {
            continue;
        }
        let (ann, attempt) = (s.announcement, s.attempt);
        let _ = handle
            .with_machine(move |m, now, _| m.resume_session(now, &ann, attempt))
            .await;
    }
}

impl MuSigClient {
    /// Sends `data` to `address` on the diagnostic protocol (waiting for its receipt) or,
    /// with `raw_session`, unchecked on the session protocol.
    fn send_bytes(&self, address: &str, data: &[u8], raw_session: bool) -> js_sys::Promise {
        let handle = self.state.borrow().handle.clone();
        let address: Result<Multiaddr, _> = address.parse();
        let data = data.to_vec();
        future_to_promise(async move {
            let address = address.map_err(|e| {
                js_error(ErrorCode::InvalidArgument, format!("invalid address: {e}"))
            })?;
            let handle =
                handle.ok_or_else(|| js_error(ErrorCode::NotStarted, "call start() first"))?;
            let sent = if raw_session {
                handle.send_session_raw(address, data).await
            } else {
                handle.send_direct(address, data).await
            };
            sent.map_err(net_error)?;
            Ok(JsValue::UNDEFINED)
        })
    }
}
