//! Sealing and opening a resident's submission (`wishtree_protocol::submission`) against
//! raw HPKE in the same run (issue 12): ours is the hub's whole step — checking the
//! three fields, encoding them, sealing to the node's key, writing the sealed bytes —
//! and the node's — reading the bytes back, opening, decoding and checking the
//! fields; raw is `single_shot_seal` and `single_shot_open` of hpke with the same
//! suite, the same plaintext, info and AAD, and the same kind of seeded random source.
//!
//! `cargo bench -p wishtree-protocol --bench submission`. Target: at most 1.2x raw
//! time. The figures are medians of alternating rounds, because the machines are noisy.

#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use hpke::aead::ChaCha20Poly1305;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, OpModeR, OpModeS};
use sha2::{Digest, Sha256};
use wishtree_protocol::CommunityCode;
use wishtree_protocol::submission::{
    EncryptionKeyPair, HPKE_INFO, ReceiptCode, ResidentDetails, SealedDetails,
};

const ROUNDS: usize = 3000;
const TARGET: f64 = 1.2;

fn main() {
    let community: CommunityCode = "130903001001".parse().unwrap();
    let node = EncryptionKeyPair::from_seed([7; 32]);
    let receipt = ReceiptCode::from_bytes([1, 2, 3, 4, 5]);
    let (name, phone, address) = ("欧阳秀英", "13987654321", "幸福里社区七号楼三单元602室");
    let plaintext = ResidentDetails::parse(name, phone, address)
        .unwrap()
        .encode();
    let mut aad = community.as_str().as_bytes().to_vec();
    aad.extend_from_slice(receipt.as_bytes());
    let raw_public =
        <X25519HkdfSha256 as hpke::Kem>::PublicKey::from_bytes(&node.public().to_bytes()).unwrap();
    let (raw_private, _) = <X25519HkdfSha256 as hpke::Kem>::derive_keypair(&[7; 32]);

    let mut ours = Vec::with_capacity(ROUNDS);
    let mut raw = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS {
        let seed = Sha256::digest((round as u64).to_be_bytes()).into();
        // Alternate, so that both see the same machine state.
        let start = Instant::now();
        let details = ResidentDetails::parse(black_box(name), phone, address).unwrap();
        let sealed = node
            .public()
            .seal(community, receipt, &details, seed)
            .unwrap();
        let bytes = sealed.to_bytes();
        let read = SealedDetails::from_bytes(black_box(&bytes)).unwrap();
        black_box(node.open(community, receipt, &read).unwrap());
        ours.push(start.elapsed());

        let start = Instant::now();
        let (encapped, ciphertext) =
            hpke::single_shot_seal_with_rng::<ChaCha20Poly1305, HkdfSha256, X25519HkdfSha256>(
                &OpModeS::Base,
                &raw_public,
                HPKE_INFO,
                black_box(&plaintext),
                &aad,
                &mut SeedRng { seed, counter: 0 },
            )
            .unwrap();
        black_box(
            hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, X25519HkdfSha256>(
                &OpModeR::Base,
                &raw_private,
                &encapped,
                HPKE_INFO,
                black_box(&ciphertext),
                &aad,
            )
            .unwrap(),
        );
        raw.push(start.elapsed());
    }
    let (ours, raw) = (median(&mut ours), median(&mut raw));
    let ratio = ours.as_secs_f64() / raw.as_secs_f64();
    println!("sealed submission: seal + open, ours against raw hpke (medians of {ROUNDS})");
    println!("ours {ours:?}  raw {raw:?}  ratio {ratio:.3}x");
    let verdict = if ratio <= TARGET { "met" } else { "missed" };
    println!(
        "target seal+open at most {TARGET}x raw hpke: {verdict} ({ratio:.3}x against {TARGET}x)"
    );
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// The same seeded source the crate uses (SHA-256 in counter mode), so both sides pay
/// the same for their ephemeral key.
struct SeedRng {
    seed: [u8; 32],
    counter: u64,
}

impl hpke::rand_core::TryRng for SeedRng {
    type Error = std::convert::Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut bytes = [0u8; 4];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u32::from_be_bytes(bytes))
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut bytes = [0u8; 8];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u64::from_be_bytes(bytes))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for chunk in dst.chunks_mut(32) {
            let mut hasher = Sha256::new();
            hasher.update(b"wishtree-seed-rng-v1");
            hasher.update(self.seed);
            hasher.update(self.counter.to_be_bytes());
            self.counter += 1;
            let block: [u8; 32] = hasher.finalize().into();
            chunk.copy_from_slice(&block[..chunk.len()]);
        }
        Ok(())
    }
}

impl hpke::rand_core::TryCryptoRng for SeedRng {}
