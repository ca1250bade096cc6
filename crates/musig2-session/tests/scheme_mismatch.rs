//! A node takes envelopes of its own scheme only, through every entry point.

use musig2_session::crypto::{Scheme, SecretKey};
use musig2_session::wire::TweakSpec;
use musig2_session::{Config, Destination, ElectionMethod, Error, Machine, SessionParams};
use rand_chacha::rand_core::SeedableRng;

fn machine(scheme: Scheme, seed: u8) -> Machine {
    let sk = SecretKey::from_bytes(&[seed; 32]).unwrap();
    Machine::new(Config::default(), scheme, sk, 1_000_000, [seed; 32])
}

#[test]
fn an_announcement_of_another_scheme_is_refused_from_the_dht_and_on_resume() {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
    let mut lotus = machine(Scheme::Lotus, 3);
    let mut bip = machine(Scheme::Bip327, 4);
    let params = SessionParams {
        signers: vec![lotus.public_key(), bip.public_key()],
        message: vec![9u8; 32],
        tweak: TweakSpec::None,
        election: ElectionMethod::Lexicographic,
        tx_type: "spend".into(),
    };
    lotus.create_session(1_000_000, params, &mut rng).unwrap();
    let announcement = std::iter::from_fn(|| lotus.poll_transmit())
        .find(|t| matches!(t.to, Destination::DhtPut(_)))
        .expect("the creator puts its announcement in the DHT")
        .bytes;
    assert_eq!(
        bip.handle_dht_record(1_000_000, &announcement),
        Err(Error::WrongScheme)
    );
    assert_eq!(
        bip.resume_session(1_000_000, &announcement, 0),
        Err(Error::WrongScheme)
    );
    // The same record is accepted by the same signer running the announcement's scheme.
    let mut other_lotus = machine(Scheme::Lotus, 4);
    assert_eq!(
        other_lotus.handle_dht_record(1_000_000, &announcement),
        Ok(())
    );
}
