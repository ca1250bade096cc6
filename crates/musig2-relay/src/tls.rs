//! The relay's own secure WebSocket listener (`/tls/ws`): the certificate and key given with
//! `--tls-cert`/`--tls-key`, the DNS name wallets dial, and the dialable address printed at
//! start.
//!
//! A browser on an https page may only open `wss://` to a name its CA store trusts, so the
//! address a wallet is given is `/dns4/<name>/tcp/<port>/tls/ws/p2p/<peer id>`, where the name
//! is `--dns-name` or else the certificate's first DNS subjectAltName (wildcards skipped: they
//! cannot be dialled). The files are read once at start: a rotated certificate takes effect
//! at the next restart (docs/deploy.md, "Certificate rotation").

use std::fs;
use std::path::{Path, PathBuf};

use libp2p::multiaddr::Protocol;
use libp2p::websocket::tls;
use libp2p::{Multiaddr, PeerId};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// The TLS listen address added when TLS is configured and no `--listen` address is a
/// `/tls/ws` one. Port 4443 rather than 443, which needs root or `CAP_NET_BIND_SERVICE`.
pub const DEFAULT_TLS_LISTEN: &str = "/ip4/0.0.0.0/tcp/4443/tls/ws";

/// Why the certificate or key cannot be used. Each names the file: fix or replace it.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The file cannot be read (missing, permissions).
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The certificate file holds no readable `CERTIFICATE` PEM block, or its first one is
    /// not an X.509 certificate.
    #[error("{path} is not a PEM certificate chain: {reason}")]
    BadCertificate {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The key file holds no readable PKCS#8, PKCS#1 or SEC1 private key.
    #[error("{path} is not a PEM private key: {reason}")]
    BadKey {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The key does not match the certificate, or rustls refuses the pair.
    #[error("{key} cannot serve {cert}: {reason}")]
    Mismatch {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// The TLS library's reason.
        reason: String,
    },
}

/// A loaded certificate chain and key, ready for the WebSocket transport.
pub struct Tls {
    /// The server configuration for `libp2p-websocket`.
    pub config: tls::Config,
    /// The certificate's DNS subjectAltNames, in order, wildcards left out.
    pub dns_names: Vec<String>,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The configuration holds the private key: never print it.
        f.debug_struct("Tls")
            .field("dns_names", &self.dns_names)
            .finish_non_exhaustive()
    }
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads the PEM certificate chain (leaf first) at `cert` and the PEM private key at `key`.
///
/// # Errors
/// [`TlsError`] naming the file that cannot be read or parsed, or both when they do not pair.
pub fn load(cert: &Path, key: &Path) -> Result<Tls, TlsError> {
    let bad_cert = |reason: String| TlsError::BadCertificate {
        path: cert.to_path_buf(),
        reason,
    };
    let chain = CertificateDer::pem_slice_iter(&read(cert)?)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad_cert(e.to_string()))?;
    let leaf = chain
        .first()
        .ok_or_else(|| bad_cert("no CERTIFICATE block".into()))?;
    let dns_names = dns_names(leaf).map_err(bad_cert)?;

    let bad_key = |reason: String| TlsError::BadKey {
        path: key.to_path_buf(),
        reason,
    };
    let key_der = PrivateKeyDer::from_pem_slice(&read(key)?).map_err(|e| bad_key(e.to_string()))?;
    // `tls::PrivateKey::new` panics on bytes it cannot classify: check them first.
    let key_bytes = key_der.secret_der().to_vec();
    PrivateKeyDer::try_from(key_bytes.clone()).map_err(|e| bad_key(e.to_string()))?;

    let certs = chain
        .iter()
        .map(|c| tls::Certificate::new(c.as_ref().to_vec()));
    let config = tls::Config::new(tls::PrivateKey::new(key_bytes), certs).map_err(|e| {
        TlsError::Mismatch {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            reason: e.to_string(),
        }
    })?;
    Ok(Tls { config, dns_names })
}

/// The DNS subjectAltNames of a DER certificate, wildcards left out.
fn dns_names(cert: &CertificateDer<'_>) -> Result<Vec<String>, String> {
    use x509_parser::extensions::GeneralName;
    let (_, parsed) = x509_parser::parse_x509_certificate(cert.as_ref())
        .map_err(|e| format!("not an X.509 certificate: {e}"))?;
    let names = parsed
        .subject_alternative_name()
        .map_err(|e| format!("bad subjectAltName: {e}"))?
        .map(|san| {
            san.value
                .general_names
                .iter()
                .filter_map(|name| match name {
                    GeneralName::DNSName(dns) if !dns.starts_with('*') => Some((*dns).to_string()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(names)
}

/// Whether `addr` is a secure WebSocket address (`…/tls/ws` or `…/wss`).
pub fn is_secure_ws(addr: &Multiaddr) -> bool {
    let mut tls = false;
    for protocol in addr.iter() {
        match protocol {
            Protocol::Tls => tls = true,
            Protocol::Ws(_) if tls => return true,
            Protocol::Wss(_) => return true,
            _ => {}
        }
    }
    false
}

/// The address a wallet dials: `/dns4/<name>/tcp/<port>/tls/ws/p2p/<peer>`, with the TCP
/// port of the secure WebSocket listen address `listen` (`None` if it is not one).
pub fn dialable(name: &str, listen: &Multiaddr, peer: PeerId) -> Option<Multiaddr> {
    if !is_secure_ws(listen) {
        return None;
    }
    let port = listen.iter().find_map(|p| match p {
        Protocol::Tcp(port) => Some(port),
        _ => None,
    })?;
    Some(
        Multiaddr::empty()
            .with(Protocol::Dns4(name.to_string().into()))
            .with(Protocol::Tcp(port))
            .with(Protocol::Tls)
            .with(Protocol::Ws("/".into()))
            .with(Protocol::P2p(peer)),
    )
}

/// Prints the dialable address of each secure WebSocket listener once (a listener on
/// `0.0.0.0` reports one address per interface, all with the same port).
#[derive(Debug, Default)]
pub struct DialableNames {
    name: Option<String>,
    ports_done: std::collections::HashSet<u16>,
}

impl DialableNames {
    /// Dialable addresses use `name` (none: no DNS address can be given).
    pub fn new(name: Option<String>) -> Self {
        Self {
            name,
            ports_done: Default::default(),
        }
    }

    /// The dialable address for a new listen address, the first time its port is seen.
    pub fn on_listen_addr(&mut self, listen: &Multiaddr, peer: PeerId) -> Option<Multiaddr> {
        let addr = dialable(self.name.as_deref()?, listen, peer)?;
        let port = addr.iter().find_map(|p| match p {
            Protocol::Tcp(port) => Some(port),
            _ => None,
        })?;
        self.ports_done.insert(port).then_some(addr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secure_websocket_addresses_are_recognised_and_made_dialable() {
        let peer = PeerId::random();
        let tls: Multiaddr = "/ip4/0.0.0.0/tcp/4443/tls/ws".parse().unwrap();
        let wss: Multiaddr = "/ip4/0.0.0.0/tcp/4443/wss".parse().unwrap();
        let plain: Multiaddr = "/ip4/0.0.0.0/tcp/4002/ws".parse().unwrap();
        assert!(is_secure_ws(&tls) && is_secure_ws(&wss) && !is_secure_ws(&plain));
        assert_eq!(
            dialable("relay.example", &tls, peer).unwrap().to_string(),
            format!("/dns4/relay.example/tcp/4443/tls/ws/p2p/{peer}")
        );
        assert_eq!(dialable("relay.example", &plain, peer), None);
        let mut names = DialableNames::new(Some("relay.example".into()));
        let lo: Multiaddr = "/ip4/127.0.0.1/tcp/4443/tls/ws".parse().unwrap();
        let eth: Multiaddr = "/ip4/10.0.0.2/tcp/4443/tls/ws".parse().unwrap();
        assert!(names.on_listen_addr(&lo, peer).is_some());
        assert_eq!(names.on_listen_addr(&eth, peer), None, "one line per port");
        assert_eq!(DialableNames::new(None).on_listen_addr(&lo, peer), None);
    }
}
