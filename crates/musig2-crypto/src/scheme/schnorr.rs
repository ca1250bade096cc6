//! Single-signer Schnorr of each scheme: BIP-340 over the x-only key, or Lotus Schnorr over
//! the 33-byte key. Used to sign protocol messages.

use super::{PublicKey, Scheme, SecretKey, Signature};
use crate::{bip340, lotus, Error};

/// Signs a 32-byte digest with the scheme's single-signer Schnorr.
///
/// `aux` is BIP-340's auxiliary randomness (fresh random bytes are recommended); the Lotus
/// scheme derives its nonce with RFC6979 and ignores it.
///
/// # Errors
/// Only on an internal failure of the scheme (the key is valid by construction).
pub fn schnorr_sign(
    scheme: Scheme,
    sk: &SecretKey,
    msg32: &[u8; 32],
    aux: [u8; 32],
) -> Result<Signature, Error> {
    let sig = match scheme {
        Scheme::Bip327 => bip340::sign(sk.secret_bytes(), msg32, &aux)?,
        Scheme::Lotus => lotus::schnorr_sign(sk.secret_bytes(), msg32)?,
    };
    Ok(Signature::from_array(sig))
}

/// Verifies a single-signer Schnorr signature of the scheme over a 32-byte digest.
pub fn schnorr_verify(scheme: Scheme, pk: &PublicKey, msg32: &[u8; 32], sig: &Signature) -> bool {
    match scheme {
        Scheme::Bip327 => bip340::verify(&pk.x_only(), msg32, &sig.to_bytes()),
        Scheme::Lotus => lotus::schnorr_verify(&pk.to_bytes(), msg32, &sig.to_bytes()).is_ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_schemes_sign_and_verify_and_reject_tampering() {
        for scheme in [Scheme::Bip327, Scheme::Lotus] {
            let sk = SecretKey::from_random([5u8; 32]);
            let pk = sk.public_key();
            let msg = [9u8; 32];
            let sig = schnorr_sign(scheme, &sk, &msg, [1u8; 32]).unwrap();
            assert!(schnorr_verify(scheme, &pk, &msg, &sig));
            assert!(!schnorr_verify(scheme, &pk, &[8u8; 32], &sig));
            let other = if scheme == Scheme::Lotus {
                Scheme::Bip327
            } else {
                Scheme::Lotus
            };
            assert!(
                !schnorr_verify(other, &pk, &msg, &sig),
                "signatures are scheme-bound"
            );
        }
    }
}
