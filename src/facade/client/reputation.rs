//! Peer reputation in the facade: `peerReputation()`, and saving the table to IndexedDB
//! whenever it may have changed (restored by `start()`).

use std::cell::RefCell;
use std::rc::Rc;

use musig2_net::libp2p::PeerId;
use musig2_net::NodeEvent;
use musig2_session::reputation::Standing;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, spawn_local};

use super::{MuSigClient, State};
use crate::facade::errors::{js_error, net_error, ErrorCode};

#[wasm_bindgen(typescript_custom_section)]
const TS_PEER_REPUTATION: &str = r#"
/** A peer's reputation with this wallet (kept in IndexedDB across reloads when `persist`). */
export interface PeerReputation {
  /** Score: +1 per accepted message up to 100, minus a penalty per offence. */
  score: number;
  /** "graylisted": its messages are dropped until `graylistedUntil`; "blacklisted": for good. */
  standing: "good" | "graylisted" | "blacklisted";
  /** End of the graylisting (ms since the Unix epoch), when graylisted. */
  graylistedUntil?: number;
}
"#;

#[wasm_bindgen]
impl MuSigClient {
    /// The reputation of the peer with libp2p peer ID `peerId`.
    ///
    /// Rejects with `INVALID_ARGUMENT` for a malformed peer ID and `NOT_STARTED` before
    /// `start()`.
    #[wasm_bindgen(js_name = peerReputation, unchecked_return_type = "Promise<PeerReputation>")]
    pub fn peer_reputation(
        &self,
        #[wasm_bindgen(js_name = peerId)] peer_id: &str,
    ) -> js_sys::Promise {
        let peer: Result<PeerId, _> = peer_id.parse();
        let handle = self.state.borrow().handle.clone();
        future_to_promise(async move {
            let peer = peer.map_err(|e| {
                js_error(ErrorCode::InvalidArgument, format!("invalid peer ID: {e}"))
            })?;
            let handle =
                handle.ok_or_else(|| js_error(ErrorCode::NotStarted, "call start() first"))?;
            let peer = musig2_session::PeerId::new(peer.to_bytes());
            let (score, standing) = handle
                .with_machine(move |m, now, _| (m.reputation(&peer), m.standing(&peer, now)))
                .await
                .map_err(net_error)?;
            let obj = js_sys::Object::new();
            let set = |k: &str, v: JsValue| {
                let _ = js_sys::Reflect::set(&obj, &k.into(), &v);
            };
            set("score", score.into());
            match standing {
                Standing::Good => set("standing", "good".into()),
                Standing::Graylisted { until } => {
                    set("standing", "graylisted".into());
                    set("graylistedUntil", (until as f64).into());
                }
                Standing::Blacklisted => set("standing", "blacklisted".into()),
            }
            Ok(obj.into())
        })
    }
}

/// Whether `event` follows a reputation change worth saving: a penalty (a rejected message),
/// a ban, or the end of a session (whose accepted messages raised scores).
pub(super) fn changes(event: &NodeEvent) -> bool {
    use musig2_session::Event as E;
    match event {
        NodeEvent::SessionRejected { .. } => true,
        NodeEvent::Session(e) => matches!(
            e,
            E::PeerBanned { .. }
                | E::MessageRejected { .. }
                | E::Completed { .. }
                | E::Aborted { .. }
                | E::Failed { .. }
        ),
        _ => false,
    }
}

/// Saves the reputation table of wallet `owner`. One save runs at a time; changes during it
/// trigger one more save after it, so a burst of rejections costs two writes, not hundreds.
pub(super) fn persist(state: &Rc<RefCell<State>>, owner: &str) {
    {
        let mut s = state.borrow_mut();
        if s.reputation_saving {
            s.reputation_dirty = true;
            return;
        }
        s.reputation_saving = true;
    }
    let state = state.clone();
    let owner = owner.to_string();
    spawn_local(async move {
        loop {
            state.borrow_mut().reputation_dirty = false;
            let handle = state.borrow().handle.clone();
            let exported = match handle {
                Some(h) => h
                    .with_machine(|m, now, _| m.export_reputation(now))
                    .await
                    .ok(),
                None => None,
            };
            if let Some(entries) = exported {
                if let Err(e) = crate::facade::reputation_store::save(&owner, &entries).await {
                    web_sys::console::warn_2(
                        &"musig2-p2p: cannot persist peer reputation".into(),
                        &e,
                    );
                }
            }
            let mut s = state.borrow_mut();
            if !s.reputation_dirty {
                s.reputation_saving = false;
                break;
            }
        }
    });
}
