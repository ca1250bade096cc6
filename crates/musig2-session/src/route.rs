//! Route records: where a wallet can be reached (protocol.md §4.3).
//!
//! A wallet behind relays publishes, under the DHT key
//! `tagged_hash("musig2-p2p/v1/route-key", key33)`, a record of its circuit addresses
//! signed by its signing key, so that a signer on other relays can find and dial it:
//!
//! `"M2RT" ‖ key33 ‖ expires_at u64 ‖ n u8 ‖ n × (u16 len ‖ address bytes) ‖ sig64`
//!
//! (big-endian integers), where `sig64` is a BIP-340 signature by the x-only form of `key33`
//! over `tagged_hash("musig2-p2p/v1/route", everything before the signature)`. Addresses are
//! opaque bytes here (the driver's multiaddrs); at most [`MAX_ROUTE_ADDRS`] of at most
//! [`MAX_ROUTE_ADDR_LEN`] bytes, and a record lives at most [`MAX_ROUTE_LIFETIME_MS`].

use musig2_crypto::hash::tagged_hash;

use crate::crypto::{schnorr_sign, schnorr_verify, PublicKey, Scheme, SecretKey, Signature};
use crate::wire::KeyBytes;

/// Magic of a route record.
pub const ROUTE_MAGIC: &[u8; 4] = b"M2RT";
/// Most addresses in a route record.
pub const MAX_ROUTE_ADDRS: usize = 8;
/// Longest address in a route record, in bytes.
pub const MAX_ROUTE_ADDR_LEN: usize = 256;
/// Longest life of a route record from the validator's clock, in ms (one hour).
pub const MAX_ROUTE_LIFETIME_MS: u64 = 3_600_000;
const KEY_TAG: &str = "musig2-p2p/v1/route-key";
const SIG_TAG: &str = "musig2-p2p/v1/route";

/// Why a route record is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    /// Not a route record (bad magic, truncated, trailing bytes, too many or too long
    /// addresses).
    #[error("malformed route record")]
    Malformed,
    /// The record is stored under another key than its signer's route key.
    #[error("route record under a foreign key")]
    WrongKey,
    /// The key is not a valid point, or the signature does not verify.
    #[error("route record not signed by its key")]
    BadSignature,
    /// Expired, or expiring further ahead than [`MAX_ROUTE_LIFETIME_MS`].
    #[error("route record lifetime out of bounds")]
    Lifetime,
}

impl RouteError {
    /// A stable code for logs and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::WrongKey => "routeKeyMismatch",
            Self::BadSignature => "invalidSignature",
            Self::Lifetime => "routeLifetime",
        }
    }
}

/// A valid route record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The wallet's signing key.
    pub key: KeyBytes,
    /// When the record expires (ms since the Unix epoch).
    pub expires_at: u64,
    /// Where the wallet can be reached (the driver's encoded multiaddrs).
    pub addresses: Vec<Vec<u8>>,
}

/// The DHT key of the route record of `key`.
pub fn route_key(key: &KeyBytes) -> [u8; 32] {
    tagged_hash(KEY_TAG, &[key])
}

fn body(key: &KeyBytes, expires_at: u64, addresses: &[Vec<u8>]) -> Option<Vec<u8>> {
    if addresses.len() > MAX_ROUTE_ADDRS {
        return None;
    }
    let mut out = ROUTE_MAGIC.to_vec();
    out.extend_from_slice(key);
    out.extend_from_slice(&expires_at.to_be_bytes());
    out.push(u8::try_from(addresses.len()).ok()?);
    for a in addresses {
        if a.len() > MAX_ROUTE_ADDR_LEN {
            return None;
        }
        out.extend_from_slice(&u16::try_from(a.len()).ok()?.to_be_bytes());
        out.extend_from_slice(a);
    }
    Some(out)
}

/// Signs a route record of `sk`'s key (BIP-340) with `aux` randomness; returns the DHT key
/// and value.
///
/// # Errors
/// [`RouteError::Malformed`] for too many or too long addresses.
pub fn sign_route(
    sk: &SecretKey,
    expires_at: u64,
    addresses: &[Vec<u8>],
    aux: [u8; 32],
) -> Result<([u8; 32], Vec<u8>), RouteError> {
    let key = sk.public_key().to_bytes();
    let mut value = body(&key, expires_at, addresses).ok_or(RouteError::Malformed)?;
    let digest = tagged_hash(SIG_TAG, &[&value]);
    let sig =
        schnorr_sign(Scheme::Bip327, sk, &digest, aux).map_err(|_| RouteError::BadSignature)?;
    value.extend_from_slice(&sig.to_bytes());
    Ok((route_key(&key), value))
}

/// Checks that `value` is a valid route record to store (or use) under `dht_key` at `now`.
///
/// # Errors
/// A [`RouteError`] saying why not.
///
/// # Security
/// Pure and bounded (at most 8 × 258 + 114 bytes read, one BIP-340 verification); never
/// panics on any input.
pub fn validate_route(dht_key: &[u8], value: &[u8], now: u64) -> Result<Route, RouteError> {
    let rest = value
        .strip_prefix(ROUTE_MAGIC.as_slice())
        .ok_or(RouteError::Malformed)?;
    let (key, rest) = rest
        .split_first_chunk::<33>()
        .ok_or(RouteError::Malformed)?;
    let (expires, rest) = rest.split_first_chunk::<8>().ok_or(RouteError::Malformed)?;
    let (&n, mut rest) = rest.split_first().ok_or(RouteError::Malformed)?;
    if usize::from(n) > MAX_ROUTE_ADDRS {
        return Err(RouteError::Malformed);
    }
    let mut addresses = Vec::with_capacity(usize::from(n));
    for _ in 0..n {
        let (len, after) = rest.split_first_chunk::<2>().ok_or(RouteError::Malformed)?;
        let len = usize::from(u16::from_be_bytes(*len));
        if len > MAX_ROUTE_ADDR_LEN || after.len() < len {
            return Err(RouteError::Malformed);
        }
        let (addr, after) = after.split_at(len);
        addresses.push(addr.to_vec());
        rest = after;
    }
    let sig: [u8; 64] = rest.try_into().map_err(|_| RouteError::Malformed)?;
    if dht_key != route_key(key).as_slice() {
        return Err(RouteError::WrongKey);
    }
    let signed_len = value.len().saturating_sub(64);
    let signed = value.get(..signed_len).ok_or(RouteError::Malformed)?;
    let pk = PublicKey::from_bytes(key).map_err(|_| RouteError::BadSignature)?;
    let sig = Signature::from_bytes(&sig).map_err(|_| RouteError::BadSignature)?;
    if !schnorr_verify(Scheme::Bip327, &pk, &tagged_hash(SIG_TAG, &[signed]), &sig) {
        return Err(RouteError::BadSignature);
    }
    let expires_at = u64::from_be_bytes(*expires);
    if expires_at <= now || expires_at > now.saturating_add(MAX_ROUTE_LIFETIME_MS) {
        return Err(RouteError::Lifetime);
    }
    Ok(Route {
        key: *key,
        expires_at,
        addresses,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    const NOW: u64 = 1_700_000_000_000;

    fn signed(addrs: &[Vec<u8>], expires_at: u64) -> (KeyBytes, [u8; 32], Vec<u8>) {
        let sk = SecretKey::from_bytes(&[9u8; 32]).unwrap();
        let (k, v) = sign_route(&sk, expires_at, addrs, [1; 32]).unwrap();
        (sk.public_key().to_bytes(), k, v)
    }

    #[test]
    fn a_signed_route_validates_and_every_change_is_refused() {
        let addrs = vec![b"/ip4/1.2.3.4/tcp/1/p2p-circuit".to_vec(), vec![7; 256]];
        let (key, k, v) = signed(&addrs, NOW + 60_000);
        let route = validate_route(&k, &v, NOW).unwrap();
        assert_eq!(route.key, key);
        assert_eq!(route.addresses, addrs);
        for i in 0..v.len() {
            let mut bad = v.clone();
            bad[i] ^= 1;
            assert!(validate_route(&k, &bad, NOW).is_err(), "byte {i} flipped");
        }
        assert_eq!(validate_route(&[0; 32], &v, NOW), Err(RouteError::WrongKey));
        assert_eq!(
            validate_route(&k, &v, NOW + 60_000),
            Err(RouteError::Lifetime)
        );
        let (_, k2, far) = signed(&addrs, NOW + MAX_ROUTE_LIFETIME_MS + 1);
        assert_eq!(validate_route(&k2, &far, NOW), Err(RouteError::Lifetime));
        for len in 0..v.len() {
            assert!(validate_route(&k, &v[..len], NOW).is_err());
        }
        let mut long = v.clone();
        long.push(0);
        assert_eq!(validate_route(&k, &long, NOW), Err(RouteError::Malformed));
    }

    #[test]
    fn bounds_are_enforced_when_signing() {
        let sk = SecretKey::from_bytes(&[9u8; 32]).unwrap();
        let nine = vec![vec![1u8; 4]; MAX_ROUTE_ADDRS + 1];
        assert_eq!(
            sign_route(&sk, NOW, &nine, [0; 32]),
            Err(RouteError::Malformed)
        );
        let long = vec![vec![1u8; MAX_ROUTE_ADDR_LEN + 1]];
        assert_eq!(
            sign_route(&sk, NOW, &long, [0; 32]),
            Err(RouteError::Malformed)
        );
    }
}
