//! The route-record validator (`route::validate_route`) that every DHT server runs on a PUT
//! and every sender runs on a looked-up route: key, value and clock come from strangers. Raw
//! input must never panic, and what is accepted must be consistent (stored under its key's
//! route key, unexpired, within the bounds). Records the harness signs itself, with
//! fuzz-chosen addresses and expiry, validate exactly when their expiry is within bounds,
//! and one flipped bit of a valid record makes it invalid.
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use musig2_p2p_fuzz::{bytes_up_to, flip_bit, rest, small_secret};
use musig2_session::crypto::SecretKey;
use musig2_session::route::{
    route_key, sign_route, validate_route, MAX_ROUTE_ADDRS, MAX_ROUTE_ADDR_LEN,
    MAX_ROUTE_LIFETIME_MS,
};

/// Start of fuzz time (ms since the epoch).
const T0: u64 = 1_700_000_000_000;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let _ = if u.ratio(1, 2).unwrap_or(false) {
        raw(&mut u)
    } else {
        signed(&mut u)
    };
});

fn raw(u: &mut Unstructured<'_>) -> Result<()> {
    let key = bytes_up_to(u, 40)?.to_vec();
    let now = T0.saturating_add(u.int_in_range(0..=MAX_ROUTE_LIFETIME_MS * 2)?);
    let value = rest(u);
    if let Ok(route) = validate_route(&key, value, now) {
        assert_eq!(key, route_key(&route.key));
        assert!(route.expires_at > now && route.expires_at <= now + MAX_ROUTE_LIFETIME_MS);
        assert!(route.addresses.len() <= MAX_ROUTE_ADDRS);
        assert!(route
            .addresses
            .iter()
            .all(|a| a.len() <= MAX_ROUTE_ADDR_LEN));
    }
    Ok(())
}

fn signed(u: &mut Unstructured<'_>) -> Result<()> {
    let Ok(sk) = SecretKey::from_bytes(&small_secret(u.arbitrary()?)) else {
        return Ok(());
    };
    let n = u.int_in_range(0..=MAX_ROUTE_ADDRS)?;
    let mut addrs = Vec::with_capacity(n);
    for _ in 0..n {
        addrs.push(bytes_up_to(u, MAX_ROUTE_ADDR_LEN)?.to_vec());
    }
    let expires_at = T0.saturating_add(u.int_in_range(0..=MAX_ROUTE_LIFETIME_MS * 2)?);
    let Ok((key, mut value)) = sign_route(&sk, expires_at, &addrs, u.arbitrary()?) else {
        panic!("signing within the bounds must work");
    };
    let now = T0.saturating_add(u.int_in_range(0..=MAX_ROUTE_LIFETIME_MS * 2)?);
    let in_bounds = expires_at > now && expires_at <= now + MAX_ROUTE_LIFETIME_MS;
    let verdict = validate_route(&key, &value, now);
    assert_eq!(verdict.is_ok(), in_bounds, "{verdict:?}");
    if let Ok(route) = verdict {
        assert_eq!(route.addresses, addrs);
        assert_eq!(route.key, sk.public_key().to_bytes());
        if flip_bit(u, &mut value)? {
            assert!(validate_route(&key, &value, now).is_err());
        }
    }
    Ok(())
}
