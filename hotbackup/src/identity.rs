//! The peer link's TLS identity: each MCU makes its own key and self-signed certificate at
//! first start (kept in its data folder, the key readable by the MCU's user only, and not in
//! the database or its backups). There is no certificate authority: the paired MCU's
//! certificate is pinned by its SHA-256 fingerprint, learnt at pairing (authenticated by the
//! administrator's password through OPAQUE, see `domain::pairing`). The link is mutual TLS:
//! each MCU shows its certificate as server and as client; the client checks the server's
//! against its pin here ([`Pinned`]), the server asks every peer-link client for a
//! certificate ([`AnyPeerCert`]) and the engine checks its fingerprint against the one that
//! paired. A changed certificate is refused.

use domain::store::files;
use domain::DomainError;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::{Arc, Mutex};
use tokio_rustls::rustls;
use tokio_rustls::rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use tokio_rustls::rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use tokio_rustls::rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use tokio_rustls::rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};

/// The name the peer link's client asks for (TLS SNI): how one listener tells the peer link
/// from browsers, and which certificate it shows.
pub const PEER_SERVER_NAME: &str = "peer-link.mcu.invalid";
const CERT_FILE: &str = "peer-link.crt";
const KEY_FILE: &str = "peer-link.key";

/// The SHA-256 fingerprint of a certificate, as administrators compare them: upper-case hex
/// pairs separated by colons.
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der).iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

#[derive(Clone)]
pub struct PeerIdentity {
    cert: CertificateDer<'static>,
    key: Arc<PrivatePkcs8KeyDer<'static>>,
    pub fingerprint: String,
}

impl std::fmt::Debug for PeerIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PeerIdentity({})", self.fingerprint)
    }
}

impl PeerIdentity {
    /// A new key and self-signed certificate (not saved).
    pub fn generate() -> Result<PeerIdentity, DomainError> {
        let made = rcgen::generate_simple_self_signed(vec![PEER_SERVER_NAME.to_string()])
            .map_err(|e| DomainError::Storage(format!("cannot make the peer link's certificate: {e}")))?;
        let cert = made.cert.der().clone();
        let key = PrivatePkcs8KeyDer::from(made.key_pair.serialize_der());
        Ok(PeerIdentity { fingerprint: fingerprint(&cert), cert, key: Arc::new(key) })
    }

    /// This MCU's identity from its data folder, made there at first start.
    pub fn load_or_create(dir: &Path) -> Result<PeerIdentity, DomainError> {
        let (cert_path, key_path) = (dir.join(CERT_FILE), dir.join(KEY_FILE));
        if cert_path.exists() || key_path.exists() {
            let read = |p: &Path| std::fs::read(p).map_err(|e| DomainError::Storage(format!("cannot read {}: {e}", p.display())));
            let cert = CertificateDer::from(read(&cert_path)?);
            let key = PrivatePkcs8KeyDer::from(read(&key_path)?);
            let id = PeerIdentity { fingerprint: fingerprint(&cert), cert, key: Arc::new(key) };
            // A damaged pair is reported at start, not at the first handshake.
            id.server_config()?;
            return Ok(id);
        }
        let id = PeerIdentity::generate()?;
        files::write_private(&key_path, id.key.secret_pkcs8_der())?;
        files::write_private(&cert_path, &id.cert)?;
        tracing::info!(fingerprint = %id.fingerprint, "made this MCU's peer-link certificate");
        Ok(id)
    }

    /// The certificate and key for a TLS server (the listener picks it for the peer link).
    pub fn certified_key(&self) -> Result<Arc<rustls::sign::CertifiedKey>, DomainError> {
        let key = PrivateKeyDer::Pkcs8(self.key.as_ref().clone_key());
        let signing = provider()
            .key_provider
            .load_private_key(key)
            .map_err(|e| DomainError::Storage(format!("the peer link's key is not usable: {e}")))?;
        Ok(Arc::new(rustls::sign::CertifiedKey::new(vec![self.cert.clone()], signing)))
    }

    /// The peer link's TLS server configuration: shows only this certificate, asks the
    /// client for its own (mutual TLS; see [`AnyPeerCert`]), HTTP/1.1.
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, DomainError> {
        let mut config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| DomainError::Storage(format!("TLS set-up: {e}")))?
            .with_client_cert_verifier(Arc::new(AnyPeerCert { provider: provider() }))
            .with_cert_resolver(Arc::new(rustls::sign::SingleCertAndKey::from(self.certified_key()?)));
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }

    /// The certificate chain and key this MCU shows as a peer-link client.
    fn client_auth(&self) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
        (vec![self.cert.clone()], PrivateKeyDer::Pkcs8(self.key.as_ref().clone_key()))
    }
}

/// The handshake's signature checks, made as TLS makes them, for both verifiers below:
/// they accept a certificate by its fingerprint, but never a handshake that its key did not
/// sign (`self.provider` is the crypto provider).
macro_rules! handshake_signatures {
    () => {
        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.provider.signature_verification_algorithms.supported_schemes()
        }
    };
}

/// The server's side of mutual TLS on the peer link: a client certificate is required and
/// must be signed by the key the client holds (TLS checks that); which certificate is
/// acceptable is decided after the handshake, by its fingerprint (the pairing's pin), since
/// there is no certificate authority.
#[derive(Debug)]
pub struct AnyPeerCert {
    provider: Arc<CryptoProvider>,
}

impl ClientCertVerifier for AnyPeerCert {
    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    handshake_signatures!();
}

/// The client's check of the paired MCU's certificate: its fingerprint must be the pinned
/// one (`None` while pairing: any certificate, and the one seen is recorded for the proof).
/// The handshake's signature is checked as usual, so the server holds the certificate's key.
#[derive(Debug)]
pub struct Pinned {
    expected: Option<String>,
    seen: Mutex<Option<String>>,
    provider: Arc<CryptoProvider>,
}

impl Pinned {
    pub fn new(expected: Option<String>) -> Arc<Pinned> {
        Arc::new(Pinned { expected, seen: Mutex::new(None), provider: provider() })
    }

    /// The fingerprint of the certificate the server showed, if it got that far.
    pub fn seen(&self) -> Option<String> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn expected(&self) -> Option<&str> {
        self.expected.as_deref()
    }

    /// A TLS client configuration with this check, showing `me` as client certificate
    /// (HTTP/1.1).
    pub fn client_config(self: &Arc<Self>, me: &PeerIdentity) -> Result<Arc<rustls::ClientConfig>, DomainError> {
        let (chain, key) = me.client_auth();
        let mut config = rustls::ClientConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| DomainError::Storage(format!("TLS set-up: {e}")))?
            .dangerous()
            .with_custom_certificate_verifier(self.clone())
            .with_client_auth_cert(chain, key)
            .map_err(|e| DomainError::Storage(format!("the peer link's client certificate: {e}")))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let got = fingerprint(end_entity);
        *self.seen.lock().unwrap_or_else(|p| p.into_inner()) = Some(got.clone());
        match &self.expected {
            Some(pin) if *pin != got => Err(rustls::Error::General("the paired MCU's certificate is not the pinned one".into())),
            _ => Ok(ServerCertVerified::assertion()),
        }
    }

    handshake_signatures!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_once_then_loaded_with_the_same_fingerprint_and_a_private_key() {
        let dir = tempfile::tempdir().expect("dir");
        let a = PeerIdentity::load_or_create(dir.path()).expect("made");
        let b = PeerIdentity::load_or_create(dir.path()).expect("loaded");
        assert_eq!(a.fingerprint, b.fingerprint);
        assert_eq!(a.fingerprint.len(), 32 * 3 - 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE)).expect("key").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        assert_ne!(a.fingerprint, PeerIdentity::generate().expect("other").fingerprint);
    }

    #[test]
    fn a_damaged_key_is_reported_at_start() {
        let dir = tempfile::tempdir().expect("dir");
        PeerIdentity::load_or_create(dir.path()).expect("made");
        std::fs::write(dir.path().join(KEY_FILE), b"not a key").expect("write");
        let e = PeerIdentity::load_or_create(dir.path()).expect_err("refused");
        assert!(e.to_string().contains("key"), "{e}");
    }
}
