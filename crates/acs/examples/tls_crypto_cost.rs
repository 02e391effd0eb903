//! What one TLS handshake's public-key work costs on this machine, with the
//! gateway's crypto provider (ring, with aws-lc key exchange): each group it
//! offers (one side: key generation plus the shared secret) and an ECDSA
//! P-256 signature, the server's own work per full handshake.
//!
//! `cargo run --release -p acs --example tls_crypto_cost`
//!
//! The figures choose the group order and explain the gateway's CPU per
//! session; they are printed, never asserted.

use std::time::Instant;

use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::SignatureScheme;

const ROUNDS: u32 = 2000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let provider = acs::tls::provider();
    for group in &provider.kx_groups {
        // The peer's share, made once: only our side is timed.
        let peer = group.start()?;
        let peer_share = peer.pub_key().to_vec();
        let t = Instant::now();
        for _ in 0..ROUNDS {
            let ours = group.start()?;
            let _ = ours.complete(&peer_share)?;
        }
        let us = t.elapsed().as_secs_f64() * 1e6 / f64::from(ROUNDS);
        println!("{:?}: {us:.1} us per key exchange (one side)", group.name());
    }

    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let signing = provider.key_provider.load_private_key(der)?;
    let signer = signing
        .choose_scheme(&[SignatureScheme::ECDSA_NISTP256_SHA256])
        .ok_or("no P-256 signer")?;
    let msg = [7u8; 130];
    let t = Instant::now();
    for _ in 0..ROUNDS {
        let _ = signer.sign(&msg)?;
    }
    let us = t.elapsed().as_secs_f64() * 1e6 / f64::from(ROUNDS);
    println!("ECDSA P-256 sign: {us:.1} us");

    // The client's side of the same signature (CertificateVerify).
    let signature = signer.sign(&msg)?;
    let verifier = provider
        .signature_verification_algorithms
        .mapping
        .iter()
        .find(|(scheme, _)| *scheme == SignatureScheme::ECDSA_NISTP256_SHA256)
        .and_then(|(_, algs)| algs.first())
        .ok_or("no P-256 verifier")?;
    let public = key.public_key_raw();
    let t = Instant::now();
    for _ in 0..ROUNDS {
        verifier
            .verify_signature(public, &msg, &signature)
            .map_err(|_| "bad signature")?;
    }
    let us = t.elapsed().as_secs_f64() * 1e6 / f64::from(ROUNDS);
    println!("ECDSA P-256 verify: {us:.1} us");
    Ok(())
}
