//! TLS for wishtree endpoints: an ed25519 key presented as an RFC 7250 raw public key,
//! TLS 1.3 only, ALPN `wishtree/1`, and verifiers that accept exactly one thing — a peer
//! that proves possession of an ed25519 key — so that who the peer is can be decided by
//! pinning that key, not by a certificate authority.
//!
//! Both verifiers accept any ed25519 key. The client pins the hub's key right after the
//! handshake, before it sends or reads a single application byte (see
//! [`crate::connect`]); the hub looks the node's key up in its roster. Checking after
//! the handshake rather than inside the verifier lets the client report which key it
//! found, so that the worker can compare it with the configured one.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{
    CertificateDer, PrivatePkcs8KeyDer, ServerName, SubjectPublicKeyInfoDer, UnixTime,
};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::sign::CertifiedKey;
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, Error as TlsError, SignatureScheme,
};
use wishtree_protocol::keys::{KeyPair, PublicKey};

use crate::ALPN;

/// The server name a client asks for. Hubs are told apart by key, not by name, so every
/// hub answers to this one name.
pub(crate) const SERVER_NAME: &str = "wishtree-hub";

/// The DER SubjectPublicKeyInfo of an ed25519 key, up to the 32 key bytes:
/// SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING (0 unused bits) }.
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// The DER PKCS#8 (version 1) of an ed25519 secret, up to the 32 secret bytes:
/// SEQUENCE { INTEGER 0, SEQUENCE { OID 1.3.101.112 }, OCTET STRING { OCTET STRING } }.
const ED25519_PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// The rustls settings of a hub: present `key`, require a client key.
pub(crate) fn server_tls(key: &KeyPair) -> Result<rustls::ServerConfig, TlsError> {
    let provider = provider();
    let verifier = Arc::new(AnyEd25519Key {
        algorithms: provider.signature_verification_algorithms,
    });
    let certified = certified_key(key, &provider)?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_client_cert_verifier(verifier)
        .with_cert_resolver(Arc::new(
            rustls::server::AlwaysResolvesServerRawPublicKeys::new(certified),
        ));
    config.alpn_protocols = vec![ALPN.to_vec()];
    // QUIC requires either no early data or unlimited; wishtree never uses 0-RTT, whose
    // data could be replayed.
    config.max_early_data_size = 0;
    Ok(config)
}

/// The rustls settings of a node (or of a hub dialling its parent): present `key`,
/// accept any ed25519 server key, to be pinned after the handshake.
pub(crate) fn client_tls(key: &KeyPair) -> Result<rustls::ClientConfig, TlsError> {
    let provider = provider();
    let verifier = Arc::new(AnyEd25519Key {
        algorithms: provider.signature_verification_algorithms,
    });
    let certified = certified_key(key, &provider)?;
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_client_cert_resolver(Arc::new(
            rustls::client::AlwaysResolvesClientRawPublicKeys::new(certified),
        ));
    config.alpn_protocols = vec![ALPN.to_vec()];
    config.enable_early_data = false;
    Ok(config)
}

/// The ed25519 key inside a raw public key (a DER SubjectPublicKeyInfo), or `None` if
/// the bytes are anything else.
pub(crate) fn key_of_spki(spki: &[u8]) -> Option<PublicKey> {
    let bytes: &[u8; 32] = spki.strip_prefix(&ED25519_SPKI_PREFIX)?.try_into().ok()?;
    PublicKey::from_bytes(bytes).ok()
}

/// The peer key quinn recorded for a finished handshake: rustls gives the raw public key
/// as the one "certificate" of the chain.
pub(crate) fn peer_key(connection: &quinn::Connection) -> Option<PublicKey> {
    let identity = connection.peer_identity()?;
    let chain = identity.downcast_ref::<Vec<CertificateDer<'static>>>()?;
    match chain.as_slice() {
        [only] => key_of_spki(only.as_ref()),
        _ => None,
    }
}

/// The SubjectPublicKeyInfo DER of `key`.
fn spki_of(key: &PublicKey) -> Vec<u8> {
    let mut der = ED25519_SPKI_PREFIX.to_vec();
    der.extend_from_slice(&key.to_bytes());
    der
}

/// The ring provider, which is the one every crate of the workspace builds with.
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// `key` as rustls presents it: the raw public key as the only "certificate", and a
/// signer made from the secret wrapped in PKCS#8.
fn certified_key(key: &KeyPair, provider: &CryptoProvider) -> Result<Arc<CertifiedKey>, TlsError> {
    let mut pkcs8 = ED25519_PKCS8_PREFIX.to_vec();
    pkcs8.extend_from_slice(&key.secret());
    let signer = provider
        .key_provider
        .load_private_key(PrivatePkcs8KeyDer::from(pkcs8).into())?;
    let certified = CertifiedKey::new(vec![CertificateDer::from(spki_of(&key.public()))], signer);
    Ok(Arc::new(certified))
}

/// Checks that `presented` is a raw ed25519 key and nothing else is in the chain.
fn check_presented(
    presented: &CertificateDer<'_>,
    intermediates: &[CertificateDer<'_>],
) -> Result<(), TlsError> {
    if !intermediates.is_empty() || key_of_spki(presented.as_ref()).is_none() {
        return Err(TlsError::InvalidCertificate(CertificateError::BadEncoding));
    }
    Ok(())
}

/// Checks a TLS 1.3 handshake signature against the raw key, allowing ed25519 only.
fn check_signature(
    message: &[u8],
    presented: &CertificateDer<'_>,
    dss: &DigitallySignedStruct,
    algorithms: &WebPkiSupportedAlgorithms,
) -> Result<HandshakeSignatureValid, TlsError> {
    if dss.scheme != SignatureScheme::ED25519 {
        return Err(TlsError::PeerMisbehaved(
            rustls::PeerMisbehaved::SignedHandshakeWithUnadvertisedSigScheme,
        ));
    }
    rustls::crypto::verify_tls13_signature_with_raw_key(
        message,
        &SubjectPublicKeyInfoDer::from(presented.as_ref()),
        dss,
        algorithms,
    )
}

/// The verifier of either side: any ed25519 raw key whose possession is proven. The
/// client then pins the hub's key ([`crate::connect`]); the hub's roster decides on a
/// client's key after the handshake. A client key is mandatory.
#[derive(Debug)]
struct AnyEd25519Key {
    algorithms: WebPkiSupportedAlgorithms,
}

/// The methods both verifier traits ask for, answered the same way for a server's key
/// and a client's.
macro_rules! signature_checks {
    () => {
        fn verify_tls12_signature(
            &self,
            _: &[u8],
            _: &CertificateDer<'_>,
            _: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, TlsError> {
            // The configuration allows TLS 1.3 only, so this is never reached.
            Err(TlsError::PeerIncompatible(
                rustls::PeerIncompatible::Tls13RequiredForQuic,
            ))
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, TlsError> {
            check_signature(message, cert, dss, &self.algorithms)
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            vec![SignatureScheme::ED25519]
        }

        fn requires_raw_public_keys(&self) -> bool {
            true
        }
    };
}

impl ServerCertVerifier for AnyEd25519Key {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        check_presented(end_entity, intermediates).map(|()| ServerCertVerified::assertion())
    }

    signature_checks!();
}

impl ClientCertVerifier for AnyEd25519Key {
    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, TlsError> {
        check_presented(end_entity, intermediates).map(|()| ClientCertVerified::assertion())
    }

    signature_checks!();
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_key_survives_the_spki_form() {
        let key = KeyPair::from_secret([7; 32]).public();
        assert_eq!(key_of_spki(&spki_of(&key)), Some(key));
    }

    #[test]
    fn other_bytes_are_not_a_key() {
        let key = KeyPair::from_secret([7; 32]).public();
        let mut spki = spki_of(&key);
        spki[8] = 0x71; // ed448's OID
        assert_eq!(key_of_spki(&spki), None);
        assert_eq!(key_of_spki(&spki_of(&key)[..40]), None);
        assert_eq!(key_of_spki(b""), None);
    }

    #[test]
    fn the_signer_matches_the_presented_key() {
        let key = KeyPair::from_secret([9; 32]);
        let certified = certified_key(&key, &provider()).unwrap();
        // `CertifiedKey::keys_match` parses an X.509 certificate, so compare the SPKIs.
        let signer_spki = certified.key.public_key().unwrap();
        assert_eq!(signer_spki.as_ref(), spki_of(&key.public()).as_slice());
        assert_eq!(
            certified.end_entity_cert().unwrap().as_ref(),
            signer_spki.as_ref()
        );
    }
}
