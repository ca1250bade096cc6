//! Session persistence across page reloads, in IndexedDB: the public announcement envelope,
//! the attempt number, the phase and the final signature of each session. Never a secret
//! key or a secret nonce: a session resumed after a reload continues with fresh nonces.
//! (Peer reputation shares the database: see `reputation_store`.)

use musig2_session::SessionInfo;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen(inline_js = r#"
const DB_NAME = 'musig2-p2p';
const STORE = 'sessions';
// One connection per page, opened on first use and kept: opening IndexedDB on every save
// cost more than the save (profiled: ~13 ms per session per page with 10 signers). It is
// dropped (and reopened on the next use) when the browser closes it or another page asks to
// upgrade the database.
let connection = null;
function openDb() {
  if (connection) return connection;
  connection = new Promise((resolve, reject) => {
    if (typeof indexedDB === 'undefined') { resolve(null); return; }
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => {
      const db = req.result;
      const forget = () => { db.close(); connection = null; };
      db.onversionchange = forget;
      db.onclose = () => { connection = null; };
      resolve(db);
    };
    req.onerror = () => { connection = null; reject(req.error); };
  });
  return connection;
}
function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}
export async function idbPut(key, value) {
  const db = await openDb();
  if (!db) return false;
  const tx = db.transaction(STORE, 'readwrite');
  tx.objectStore(STORE).put(value, key);
  await done(tx);
  return true;
}
export async function idbGet(key) {
  const db = await openDb();
  if (!db) return undefined;
  const tx = db.transaction(STORE, 'readonly');
  const req = tx.objectStore(STORE).get(key);
  const value = await new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  return value;
}
export async function idbAll(prefix) {
  const db = await openDb();
  if (!db) return [];
  const tx = db.transaction(STORE, 'readonly');
  const req = tx.objectStore(STORE).getAll(IDBKeyRange.bound(prefix, prefix + '\uffff'));
  const values = await new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  return values;
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = idbPut)]
    pub(super) fn idb_put(key: &str, value: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = idbGet)]
    pub(super) fn idb_get(key: &str) -> js_sys::Promise;
    #[wasm_bindgen(js_name = idbAll)]
    fn idb_all(prefix: &str) -> js_sys::Promise;
}

/// A session as stored: only public data.
pub struct StoredSession {
    /// Session ID.
    pub id: [u8; 32],
    /// The signed announcement envelope.
    pub announcement: Vec<u8>,
    /// The last attempt this wallet was in.
    pub attempt: u32,
    /// Whether the session had ended.
    pub terminal: bool,
    /// The final signature, once known.
    pub signature: Option<[u8; 64]>,
}

fn key(owner: &str, id: &[u8; 32]) -> String {
    format!("{owner}:{}", super::session_events::hex_id(id))
}

pub(super) fn set(obj: &js_sys::Object, name: &str, value: &JsValue) {
    let _ = js_sys::Reflect::set(obj, &name.into(), value);
}

pub(super) fn get(obj: &JsValue, name: &str) -> JsValue {
    js_sys::Reflect::get(obj, &name.into()).unwrap_or(JsValue::UNDEFINED)
}

/// Saves a session of wallet `owner` (hex public key). Storage errors are returned, and the
/// caller reports them as events: persistence never blocks signing.
pub async fn save(owner: &str, id: &[u8; 32], info: &SessionInfo) -> Result<(), JsValue> {
    let obj = js_sys::Object::new();
    set(&obj, "id", &js_sys::Uint8Array::from(&id[..]).into());
    set(
        &obj,
        "announcement",
        &js_sys::Uint8Array::from(info.announcement.as_slice()).into(),
    );
    set(&obj, "attempt", &info.attempt.into());
    set(&obj, "terminal", &info.phase.is_terminal().into());
    if let Some(sig) = info.signature {
        set(
            &obj,
            "signature",
            &js_sys::Uint8Array::from(&sig[..]).into(),
        );
    }
    set(&obj, "updatedAt", &js_sys::Date::now().into());
    JsFuture::from(idb_put(&key(owner, id), &obj.into())).await?;
    Ok(())
}

pub(super) fn bytes_of(value: &JsValue) -> Option<Vec<u8>> {
    value.dyn_ref::<js_sys::Uint8Array>().map(|a| a.to_vec())
}

/// Every stored session of wallet `owner`; malformed records are skipped.
pub async fn load_all(owner: &str) -> Result<Vec<StoredSession>, JsValue> {
    let values = JsFuture::from(idb_all(&format!("{owner}:"))).await?;
    let array: js_sys::Array = values.dyn_into().unwrap_or_default();
    Ok(array
        .iter()
        .filter_map(|v| {
            let id = <[u8; 32]>::try_from(bytes_of(&get(&v, "id"))?.as_slice()).ok()?;
            Some(StoredSession {
                id,
                announcement: bytes_of(&get(&v, "announcement"))?,
                attempt: get(&v, "attempt").as_f64().map(|a| a as u32)?,
                terminal: get(&v, "terminal").as_bool().unwrap_or(false),
                signature: bytes_of(&get(&v, "signature"))
                    .and_then(|s| <[u8; 64]>::try_from(s.as_slice()).ok()),
            })
        })
        .collect())
}

use wasm_bindgen::JsCast;
