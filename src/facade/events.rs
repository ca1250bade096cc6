//! Event listeners registered from JavaScript, and the JS shape of each event.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use musig2_net::NodeEvent;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_EVENTS: &str = r#"
/** Every event a MuSigClient emits; `type` tells which. */
export type MuSigEvent =
  | { type: "relayConnected"; relay: string }
  | { type: "relayReserved"; relay: string; circuitAddress: string }
  | { type: "relayLost"; relay: string }
  | { type: "relayUnreachable"; address: string; reason: string }
  | { type: "peerConnected"; peer: string }
  | { type: "peerDisconnected"; peer: string }
  | { type: "listening"; address: string }
  | { type: "direct"; from: string; data: Uint8Array }
  | TransportSelectedEvent
  | SignerAdvertisedEvent
  | SessionEvent;

/** Emitted by start() before any dial: the transports this engine gets and why. Where
 *  RTCPeerConnection is missing, webrtc-direct relays are left out (`skippedRelays`). */
export interface TransportSelectedEvent {
  type: "transportSelected";
  transports: ("websocket" | "webrtc-direct")[];
  webrtcAvailable: boolean;
  relays: string[];
  skippedRelays: string[];
  reason: string;
}

/** The names accepted by MuSigClient.on(). */
export type MuSigEventName = MuSigEvent["type"];

/** The event object of the event named `K`. */
export type MuSigEventOf<K extends MuSigEventName> = Extract<MuSigEvent, { type: K }>;

export interface MuSigClient {
  /** Registers `callback` for `event` (its argument typed by the event's name) and returns a
   *  function that unregisters it. Throws `INVALID_ARGUMENT` for an unknown event name or too
   *  many listeners. */
  on<K extends MuSigEventName>(event: K, callback: (event: MuSigEventOf<K>) => void): () => void;
}
"#;

/// Names of the events, as `on()` accepts them.
pub const EVENT_NAMES: [&str; 21] = [
    "transportSelected",
    "relayConnected",
    "relayReserved",
    "relayLost",
    "relayUnreachable",
    "peerConnected",
    "peerDisconnected",
    "listening",
    "direct",
    "sessionDiscovered",
    "coordinatorElected",
    "phaseChanged",
    "newAttempt",
    "failover",
    "signatureReady",
    "broadcastDuty",
    "completed",
    "aborted",
    "failed",
    "messageRejected",
    "signerAdvertised",
];

/// Most listeners per event name: a bound against leaks in long-lived pages.
const MAX_LISTENERS_PER_EVENT: usize = 64;

/// Registered callbacks, by event name then by registration id.
#[derive(Default, Clone)]
pub struct Listeners {
    inner: Rc<RefCell<ListenerTable>>,
}

#[derive(Default)]
struct ListenerTable {
    next_id: u32,
    by_event: BTreeMap<&'static str, BTreeMap<u32, js_sys::Function>>,
}

impl Listeners {
    /// Adds `callback` for `event`; returns its id, or `None` when the name is unknown or the
    /// bound is reached.
    pub fn add(&self, event: &str, callback: js_sys::Function) -> Option<(&'static str, u32)> {
        let name = EVENT_NAMES.iter().copied().find(|n| *n == event)?;
        let mut table = self.inner.borrow_mut();
        let id = table.next_id;
        table.next_id = table.next_id.wrapping_add(1);
        let entry = table.by_event.entry(name).or_default();
        if entry.len() >= MAX_LISTENERS_PER_EVENT {
            return None;
        }
        entry.insert(id, callback);
        Some((name, id))
    }

    /// Removes a listener; removing twice is harmless.
    pub fn remove(&self, event: &'static str, id: u32) {
        if let Some(map) = self.inner.borrow_mut().by_event.get_mut(event) {
            map.remove(&id);
        }
    }

    /// Calls every listener of `name` with `payload`. A throwing listener does not stop the
    /// others.
    pub fn emit(&self, name: &'static str, payload: &JsValue) {
        let callbacks: Vec<js_sys::Function> = self
            .inner
            .borrow()
            .by_event
            .get(name)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default();
        for cb in callbacks {
            let _ = cb.call1(&JsValue::NULL, payload);
        }
    }
}

fn object(kind: &str, fields: &[(&str, JsValue)]) -> JsValue {
    let obj = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&obj, &"type".into(), &kind.into());
    for (k, v) in fields {
        let _ = js_sys::Reflect::set(&obj, &(*k).into(), v);
    }
    obj.into()
}

/// Converts a node event to its event name and JS payload (`None`: not for the application).
pub fn to_js(event: &NodeEvent) -> Option<(&'static str, JsValue)> {
    let s = |v: &dyn ToString| JsValue::from(v.to_string());
    Some(match event {
        NodeEvent::Listening { address } => {
            ("listening", object("listening", &[("address", s(address))]))
        }
        NodeEvent::RelayConnected { relay } => (
            "relayConnected",
            object("relayConnected", &[("relay", s(relay))]),
        ),
        NodeEvent::RelayReserved {
            relay,
            circuit_address,
        } => (
            "relayReserved",
            object(
                "relayReserved",
                &[("relay", s(relay)), ("circuitAddress", s(circuit_address))],
            ),
        ),
        NodeEvent::RelayLost { relay } => {
            ("relayLost", object("relayLost", &[("relay", s(relay))]))
        }
        NodeEvent::RelayUnreachable { address, reason } => (
            "relayUnreachable",
            object(
                "relayUnreachable",
                &[("address", s(address)), ("reason", s(reason))],
            ),
        ),
        NodeEvent::PeerConnected { peer } => (
            "peerConnected",
            object("peerConnected", &[("peer", s(peer))]),
        ),
        NodeEvent::PeerDisconnected { peer } => (
            "peerDisconnected",
            object("peerDisconnected", &[("peer", s(peer))]),
        ),
        NodeEvent::DirectMessage { from, data } => (
            "direct",
            object(
                "direct",
                &[
                    ("from", s(from)),
                    ("data", js_sys::Uint8Array::from(data.as_slice()).into()),
                ],
            ),
        ),
        NodeEvent::SessionRejected { from, error } => (
            "messageRejected",
            object(
                "messageRejected",
                &super::session_events::rejection_fields(from.to_string(), error),
            ),
        ),
        NodeEvent::Session(e) => {
            let (name, fields) = super::session_events::to_js(e)?;
            (name, object(name, &fields))
        }
    })
}
