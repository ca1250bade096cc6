//! The relay's DHT records on disk, so that a relay restarted with the same `--data-dir`
//! serves the records it held (protocol.md §4.2).
//!
//! The file `records` in the data folder holds every stored record as
//! `u32 key length ‖ key ‖ u32 value length ‖ value` (big-endian lengths) after a 6-byte
//! magic. It is written at most every [`SAVE_INTERVAL`] while records change and at
//! shutdown, to a temporary file renamed over the old one, so a crash leaves the previous
//! complete file. On start every record read back goes through the same [`RecordGuard`] as a
//! PUT (validation, expiry, quotas): a tampered or stale file can only lose records, never
//! add one that a PUT could not.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use libp2p::kad::store::{MemoryStore, RecordStore};
use libp2p::kad::{Record, RecordKey};
use musig2_session::wire::MAX_ENVELOPE_LEN;

use crate::records::RecordGuard;

/// How often changed records are written out.
pub const SAVE_INTERVAL: Duration = Duration::from_secs(30);

const MAGIC: &[u8; 6] = b"M2REC1";
const FILE: &str = "records";
/// Longest record key read back (session IDs are 32 bytes).
const MAX_KEY_LEN: usize = 64;

/// What loading the file did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Loaded {
    /// Records stored again.
    pub stored: usize,
    /// Records refused (expired, invalid, over a quota, store full) or unreadable.
    pub dropped: usize,
}

fn path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

/// Writes every record of `store` to the data folder.
///
/// # Errors
/// The OS error when the file cannot be written.
pub fn save(dir: &Path, store: &MemoryStore) -> std::io::Result<usize> {
    let mut bytes = MAGIC.to_vec();
    let mut count = 0;
    for record in store.records() {
        let (Ok(klen), Ok(vlen)) = (
            u32::try_from(record.key.as_ref().len()),
            u32::try_from(record.value.len()),
        ) else {
            continue;
        };
        bytes.extend_from_slice(&klen.to_be_bytes());
        bytes.extend_from_slice(record.key.as_ref());
        bytes.extend_from_slice(&vlen.to_be_bytes());
        bytes.extend_from_slice(&record.value);
        count += 1;
    }
    let tmp = dir.join(format!("{FILE}.tmp"));
    let mut file = fs::File::create(&tmp)?;
    file.write_all(&bytes)?;
    file.sync_all()?;
    fs::rename(&tmp, path(dir))?;
    Ok(count)
}

/// Reads the records of the data folder back into `store` through `guard`, at `now`. A
/// missing file loads nothing; a truncated or malformed one loads what precedes the damage.
pub fn load(dir: &Path, now: u64, guard: &mut RecordGuard, store: &mut MemoryStore) -> Loaded {
    let mut loaded = Loaded::default();
    let Ok(bytes) = fs::read(path(dir)) else {
        return loaded;
    };
    let Some(mut rest) = bytes.strip_prefix(MAGIC.as_slice()) else {
        loaded.dropped = 1;
        return loaded;
    };
    while !rest.is_empty() {
        let Some((key, after)) = chunk(rest, MAX_KEY_LEN) else {
            loaded.dropped += 1;
            break;
        };
        let Some((value, after)) = chunk(after, MAX_ENVELOPE_LEN) else {
            loaded.dropped += 1;
            break;
        };
        rest = after;
        let record = Record::new(RecordKey::new(&key), value.to_vec());
        match guard.admit(now, record, store) {
            Ok(_) => loaded.stored += 1,
            Err(_) => loaded.dropped += 1,
        }
    }
    loaded
}

/// Splits `u32 length ‖ bytes` of at most `max` bytes off the front of `input`.
fn chunk(input: &[u8], max: usize) -> Option<(&[u8], &[u8])> {
    let (len, rest) = input.split_first_chunk::<4>()?;
    let len = usize::try_from(u32::from_be_bytes(*len)).ok()?;
    if len > max {
        return None;
    }
    (rest.len() >= len).then(|| rest.split_at(len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn damaged_files_load_what_precedes_the_damage_and_never_panic() {
        let dir = std::env::temp_dir().join(format!("musig2-persist-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let mut guard = RecordGuard::new(4);
        let mut store = MemoryStore::new(libp2p::PeerId::random());
        for bytes in [
            b"not ours".to_vec(),
            MAGIC.to_vec(),
            [MAGIC.as_slice(), &[0, 0, 0, 200]].concat(),
            [MAGIC.as_slice(), &[0, 0, 0, 1, 7, 0, 0, 0, 3, 1, 2, 3]].concat(),
            [MAGIC.as_slice(), &[0xff; 40]].concat(),
        ] {
            fs::write(path(&dir), &bytes).unwrap();
            let loaded = load(&dir, 0, &mut guard, &mut store);
            assert_eq!(loaded.stored, 0, "{bytes:?}");
        }
        assert_eq!(store.records().count(), 0);
        let _ = fs::remove_dir_all(&dir);
    }
}
