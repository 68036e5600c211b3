//! HTTPS: a certificate chain and its private key (PEM), turned into the rustls
//! configuration the accept loop hands every connection's task.
//!
//! rustls with its `ring` provider, named explicitly rather than installed as a
//! process-wide default, so nothing global is set and two servers in one process
//! (tests, a simulator) never interfere.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

/// What ALPN offers: HTTP/1.1, the only protocol served.
const ALPN_HTTP1: &[u8] = b"http/1.1";

/// A certificate chain and key to serve HTTPS with ([`ConnOptions::tls`]). Cheap to
/// clone: the configuration is shared.
///
/// [`ConnOptions::tls`]: super::ConnOptions::tls
#[derive(Clone)]
pub struct TlsConfig {
    acceptor: TlsAcceptor,
}

impl fmt::Debug for TlsConfig {
    /// Never the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TlsConfig { .. }")
    }
}

/// Why a certificate or key cannot be served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("no PEM certificate found in the certificate file")]
    NoCertificate,
    #[error("the certificate file is not valid PEM: {0}")]
    BadCertificate(String),
    #[error("no PEM private key found in the key file (PKCS#8, PKCS#1 or SEC1)")]
    NoKey,
    #[error("the certificate and key cannot be used: {0}")]
    Unusable(String),
}

impl TlsConfig {
    /// Reads a PEM certificate chain (the server's certificate first) and a PEM
    /// private key from files.
    pub fn from_pem_files(cert_chain: &Path, key: &Path) -> Result<TlsConfig, TlsError> {
        let read = |path: &Path| {
            std::fs::read(path).map_err(|e| TlsError::Read {
                path: path.display().to_string(),
                reason: e.to_string(),
            })
        };
        TlsConfig::from_pem(&read(cert_chain)?, &read(key)?)
    }

    /// A PEM certificate chain (the server's certificate first) and PEM private key.
    pub fn from_pem(cert_chain: &[u8], key: &[u8]) -> Result<TlsConfig, TlsError> {
        let certs = CertificateDer::pem_slice_iter(cert_chain)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TlsError::BadCertificate(e.to_string()))?;
        if certs.is_empty() {
            return Err(TlsError::NoCertificate);
        }
        let key = PrivateKeyDer::from_pem_slice(key).map_err(|_| TlsError::NoKey)?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Unusable(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| TlsError::Unusable(e.to_string()))?;
        config.alpn_protocols = vec![ALPN_HTTP1.to_vec()];
        Ok(TlsConfig {
            acceptor: TlsAcceptor::from(Arc::new(config)),
        })
    }

    /// The acceptor every connection's handshake goes through.
    pub(super) fn acceptor(&self) -> &TlsAcceptor {
        &self.acceptor
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_is_not_a_certificate_and_key() {
        assert_eq!(
            TlsConfig::from_pem(b"", b"").map(drop),
            Err(TlsError::NoCertificate)
        );
        let cert =
            rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("certificate");
        let cert_pem = cert.cert.pem();
        assert_eq!(
            TlsConfig::from_pem(cert_pem.as_bytes(), b"not a key").map(drop),
            Err(TlsError::NoKey)
        );
        let other = rcgen::KeyPair::generate().expect("key");
        assert!(matches!(
            TlsConfig::from_pem(cert_pem.as_bytes(), other.serialize_pem().as_bytes()),
            Err(TlsError::Unusable(_))
        ));
        let key_pem = cert.key_pair.serialize_pem();
        assert!(TlsConfig::from_pem(cert_pem.as_bytes(), key_pem.as_bytes()).is_ok());
        let missing = TlsConfig::from_pem_files(Path::new("/nonexistent/c"), Path::new("k"));
        assert!(matches!(missing, Err(TlsError::Read { .. })));
    }
}
