//! The transport identity of a wallet peer is its signing key.
//!
//! A wallet's libp2p key pair is the secp256k1 key it signs with, so the peer ID of every
//! signer follows from its public key: a node can reach the signers of a session knowing only
//! their keys, and the Noise handshake proves the remote peer holds the signer's key.
//! (`docs/security.md` discusses using one key for both the transport and the protocol.)

use libp2p::identity::{secp256k1, Keypair, PublicKey};
use libp2p::PeerId;

use crate::NetError;

/// The libp2p key pair of a 32-byte secp256k1 signing key.
///
/// # Errors
/// [`NetError::Config`] when the bytes are not a valid secret key.
pub fn keypair_from_signing_key(secret: &[u8; 32]) -> Result<Keypair, NetError> {
    let mut bytes = *secret;
    let sk = secp256k1::SecretKey::try_from_bytes(&mut bytes)
        .map_err(|e| NetError::Config(format!("invalid signing key: {e}")))?;
    Ok(Keypair::from(secp256k1::Keypair::from(sk)))
}

/// The peer ID of the wallet whose signing key has this 33-byte compressed public key.
///
/// # Errors
/// [`NetError::Address`] when the bytes are not a valid compressed point.
pub fn peer_id_of_signer(public_key: &[u8; 33]) -> Result<PeerId, NetError> {
    let pk = secp256k1::PublicKey::try_from_bytes(public_key)
        .map_err(|e| NetError::Address(format!("invalid signer key: {e}")))?;
    Ok(PublicKey::from(pk).to_peer_id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_id_follows_from_the_signers_public_key() {
        let secret = [0x11u8; 32];
        let kp = keypair_from_signing_key(&secret).unwrap();
        let sk = musig2_crypto::scheme::SecretKey::from_bytes(&secret).unwrap();
        let pk = sk.public_key().to_bytes();
        assert_eq!(peer_id_of_signer(&pk).unwrap(), kp.public().to_peer_id());
        assert!(keypair_from_signing_key(&[0u8; 32]).is_err());
        assert!(peer_id_of_signer(&[0xffu8; 33]).is_err());
    }
}
