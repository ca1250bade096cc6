//! Peer reputation across page reloads, in IndexedDB (same database as `persistence`):
//! peer IDs, scores, graylisting ends and bans. Public data only.

use musig2_session::reputation::ReputationEntry;
use musig2_session::PeerId;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::persistence::{bytes_of, get, idb_get, idb_put, set};

/// At most this many stored entries are read back (the session machine's table is bounded
/// by its own capacity as well; this bounds the work on a tampered store).
const MAX_ENTRIES: usize = 4_096;

/// Longer byte strings are no libp2p peer ID (those of secp256k1 and Ed25519 keys are 39
/// and 38 bytes) and are skipped.
const MAX_PEER_ID_LEN: usize = 64;

/// The record key of wallet `owner` (hex public key). Session records are keyed
/// `<owner>:<id>`, so this never falls in their key range.
fn key(owner: &str) -> String {
    format!("reputation:{owner}")
}

/// Replaces the stored reputation table of wallet `owner`.
pub async fn save(owner: &str, entries: &[ReputationEntry]) -> Result<(), JsValue> {
    let list = js_sys::Array::new();
    for e in entries {
        let obj = js_sys::Object::new();
        set(
            &obj,
            "peer",
            &js_sys::Uint8Array::from(e.peer.0.as_slice()).into(),
        );
        set(&obj, "score", &e.score.into());
        // f64 holds every millisecond timestamp exactly until the year 287,396.
        set(&obj, "graylistedUntil", &(e.graylisted_until as f64).into());
        set(&obj, "blacklisted", &e.blacklisted.into());
        list.push(&obj);
    }
    let record = js_sys::Object::new();
    set(&record, "entries", &list.into());
    set(&record, "updatedAt", &js_sys::Date::now().into());
    JsFuture::from(idb_put(&key(owner), &record.into())).await?;
    Ok(())
}

/// The stored reputation table of wallet `owner` (empty if none); malformed entries are
/// skipped. The session machine clamps what it imports.
pub async fn load(owner: &str) -> Result<Vec<ReputationEntry>, JsValue> {
    let record = JsFuture::from(idb_get(&key(owner))).await?;
    let Ok(list) = get(&record, "entries").dyn_into::<js_sys::Array>() else {
        return Ok(Vec::new());
    };
    Ok(list
        .iter()
        .take(MAX_ENTRIES)
        .filter_map(|v| {
            let score = get(&v, "score").as_f64()?;
            let until = get(&v, "graylistedUntil").as_f64().unwrap_or(0.0);
            Some(ReputationEntry {
                peer: PeerId::new(
                    bytes_of(&get(&v, "peer")).filter(|b| b.len() <= MAX_PEER_ID_LEN)?,
                ),
                // `as` saturates (NaN becomes 0): out-of-range numbers cannot panic.
                score: score as i32,
                graylisted_until: until as u64,
                blacklisted: get(&v, "blacklisted").as_bool().unwrap_or(false),
            })
        })
        .collect())
}
