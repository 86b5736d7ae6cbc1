//! rustls client configurations for each `sslmode`, with libpq's meaning.
//!
//! rustls always verifies by default, but libpq's `prefer` and `require` encrypt without
//! verifying, and `verify-ca` checks the chain but not the host name. Neither can be
//! expressed with `ClientConfig::with_root_certificates`, so two small verifiers live
//! here. Both still check the handshake signatures, so the server must hold the key of
//! the certificate it presents.
//!
//! The crypto provider is passed explicitly (ring) rather than installed process-wide, so
//! this works whatever else in the process touched rustls.

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::verify_server_cert_signed_by_trust_anchor;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::ConnectError;

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn builder(
    provider: Arc<CryptoProvider>,
) -> Result<rustls::ConfigBuilder<ClientConfig, rustls::WantsVerifier>, ConnectError> {
    ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        // Only fails if the provider supports no protocol version, which ring's default
        // never does; there is no server to name yet.
        .map_err(|err| ConnectError::Tls {
            target: String::new(),
            chain: err.to_string(),
        })
}

/// TLS without certificate verification (`allow`, `prefer`, `require`).
pub(crate) fn no_verify() -> Result<ClientConfig, ConnectError> {
    with_verifier(None)
}

/// Chain verified against `roots`, host name not checked (`verify-ca`).
pub(crate) fn verify_ca(roots: RootCertStore) -> Result<ClientConfig, ConnectError> {
    with_verifier(Some(Arc::new(roots)))
}

fn with_verifier(roots: Option<Arc<RootCertStore>>) -> Result<ClientConfig, ConnectError> {
    let provider = provider();
    let verifier = LibpqVerifier {
        roots,
        algorithms: provider.signature_verification_algorithms,
    };
    Ok(builder(provider)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth())
}

/// Chain and host name verified (`verify-full`): rustls's standard verifier. An IP address
/// host becomes a `ServerName::IpAddress` in tokio-postgres-rustls and is matched against
/// the certificate's IP SANs.
pub(crate) fn verify_full(roots: RootCertStore) -> Result<ClientConfig, ConnectError> {
    Ok(builder(provider())?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// Loads every certificate from a PEM file into a root store.
pub(crate) fn load_roots(path: &Path) -> Result<RootCertStore, ConnectError> {
    let fail = |reason: String| ConnectError::RootCert {
        path: path.to_owned(),
        reason,
    };
    if path.as_os_str() == "system" {
        // libpq's `sslrootcert=system` means the OS trust store, which needs
        // rustls-native-certs; say so rather than look for a file named `system`.
        return Err(fail(
            "`sslrootcert=system` (the operating system's trust store) is not supported; give a CA file".to_owned(),
        ));
    }
    if !path.exists() {
        return Err(fail("file does not exist".to_owned()));
    }
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(path).map_err(|e| fail(e.to_string()))? {
        let cert = cert.map_err(|e| fail(e.to_string()))?;
        roots
            .add(cert)
            .map_err(|e| fail(format!("not a usable CA certificate: {e}")))?;
    }
    if roots.is_empty() {
        return Err(fail("no PEM certificate found in the file".to_owned()));
    }
    Ok(roots)
}

/// libpq's weaker modes: with `roots`, the chain is verified but not the host
/// name (`verify-ca`); without, the certificate is not verified at all
/// (`prefer`, `require`). Either way the handshake signatures are checked.
#[derive(Debug)]
struct LibpqVerifier {
    roots: Option<Arc<RootCertStore>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for LibpqVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Some(roots) = &self.roots {
            // The same chain check WebPkiServerVerifier runs, minus its final
            // `verify_server_name` step: that is the whole difference between
            // verify-ca and verify-full.
            let cert = ParsedCertificate::try_from(end_entity)?;
            verify_server_cert_signed_by_trust_anchor(
                &cert,
                roots,
                intermediates,
                now,
                self.algorithms.all,
            )?;
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_cert_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.crt");
        let err = load_roots(&missing).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "cannot use root certificate `{}`: file does not exist",
                missing.display()
            )
        );
        let empty = dir.path().join("empty.crt");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let err = load_roots(&empty).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "cannot use root certificate `{}`: no PEM certificate found in the file",
                empty.display()
            )
        );
        let err = load_roots(Path::new("system")).unwrap_err().to_string();
        assert!(err.contains("not supported"), "{err}");
    }

    #[test]
    fn configs_build() {
        no_verify().unwrap();
        verify_full(RootCertStore::empty()).unwrap();
        verify_ca(RootCertStore::empty()).unwrap();
    }
}
