//! Persisted state: the identity key (stable peer ID across restarts) and the WebRTC
//! certificate (stable certhash in the printed addresses).

use std::fs;
use std::io::Write;
use std::path::Path;

use libp2p::identity::Keypair;
use libp2p_webrtc::tokio::Certificate;

/// Errors reading or creating the persisted state.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The data folder or a file in it cannot be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// A persisted file exists but is not valid; delete it to start with a new identity.
    #[error("{path} is corrupt: {reason}")]
    Corrupt {
        /// The file.
        path: String,
        /// Why it was refused.
        reason: String,
    },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> StateError + '_ {
    move |source| StateError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), StateError> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(io_err(path))?;
    f.write_all(bytes).map_err(io_err(path))
}

/// Loads `identity.key` from `dir`, creating the folder and a new Ed25519 key on first start.
///
/// # Errors
/// [`StateError`] when the file cannot be read or written, or is not a valid key.
pub fn load_or_create_identity(dir: &Path) -> Result<Keypair, StateError> {
    fs::create_dir_all(dir).map_err(io_err(dir))?;
    let path = dir.join("identity.key");
    if path.exists() {
        let bytes = fs::read(&path).map_err(io_err(&path))?;
        return Keypair::from_protobuf_encoding(&bytes).map_err(|e| StateError::Corrupt {
            path: path.display().to_string(),
            reason: e.to_string(),
        });
    }
    let keypair = Keypair::generate_ed25519();
    let bytes = keypair
        .to_protobuf_encoding()
        .map_err(|e| StateError::Corrupt {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
    write_private(&path, &bytes)?;
    Ok(keypair)
}

/// Loads `webrtc-cert.pem` from `dir`, creating it on first start.
///
/// # Errors
/// [`StateError`] when the file cannot be read or written, or is not a valid certificate.
pub fn load_or_create_certificate(dir: &Path) -> Result<Certificate, StateError> {
    let path = dir.join("webrtc-cert.pem");
    let corrupt = |reason: String| StateError::Corrupt {
        path: path.display().to_string(),
        reason,
    };
    if path.exists() {
        let pem = fs::read_to_string(&path).map_err(io_err(&path))?;
        return Certificate::from_pem(&pem).map_err(|e| corrupt(e.to_string()));
    }
    let cert = Certificate::generate(&mut rand::rng()).map_err(|e| corrupt(e.to_string()))?;
    write_private(&path, cert.serialize_pem().as_bytes())?;
    Ok(cert)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_and_certificate_survive_a_restart() {
        let dir = std::env::temp_dir().join(format!("musig2-relay-state-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let first = load_or_create_identity(&dir).unwrap();
        let second = load_or_create_identity(&dir).unwrap();
        assert_eq!(first.public().to_peer_id(), second.public().to_peer_id());
        let c1 = load_or_create_certificate(&dir).unwrap();
        let c2 = load_or_create_certificate(&dir).unwrap();
        assert_eq!(c1.fingerprint(), c2.fingerprint());
        fs::write(dir.join("identity.key"), b"garbage").unwrap();
        assert!(matches!(
            load_or_create_identity(&dir),
            Err(StateError::Corrupt { .. })
        ));
        let _ = fs::remove_dir_all(&dir);
    }
}
