//! HTTPS for [`HyperTransport`](super::HyperTransport): which certificate
//! authorities it trusts, and the pooled client that speaks TLS with them.
//!
//! The platform's roots are read on the first `https://` request, not when the
//! transport is made: most transports only ever speak plain HTTP on loopback, and
//! reading the system's certificate store costs milliseconds. A CA file is read at
//! once, so a bad one is reported where it is given. rustls runs on its `ring`
//! provider, named here rather than installed process-wide: nothing global.

use std::fmt;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use http_body_util::Full;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use rustls::{ClientConfig, RootCertStore};

use super::pooled;
use crate::transport::TransportError;

/// The pooled HTTPS client.
pub(super) type HttpsClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// The certificate authorities a transport trusts.
enum Roots {
    /// The operating system's store.
    Platform,
    /// Only these (a CA file).
    Only(Vec<CertificateDer<'static>>),
}

/// The HTTPS half of a transport, shared by its clones.
pub(super) struct Https {
    roots: Roots,
    /// Built on first use; a failure (no roots at all) is kept and repeated.
    client: OnceLock<Result<HttpsClient, TransportError>>,
}

impl fmt::Debug for Https {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let roots = match &self.roots {
            Roots::Platform => "platform".to_owned(),
            Roots::Only(certs) => format!("{} certificates", certs.len()),
        };
        f.debug_struct("Https").field("roots", &roots).finish()
    }
}

impl Https {
    /// Trusts the platform's roots, read when first needed.
    pub(super) fn platform() -> Arc<Https> {
        Arc::new(Https {
            roots: Roots::Platform,
            client: OnceLock::new(),
        })
    }

    /// Trusts only the certificates of a PEM bundle.
    pub(super) fn from_pem(pem: &[u8]) -> Result<Arc<Https>, TransportError> {
        let certs = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TransportError::Tls(format!("the CA file is not valid PEM: {e}")))?;
        if certs.is_empty() {
            return Err(TransportError::Tls(
                "the CA file holds no PEM certificate".to_owned(),
            ));
        }
        let https = Https {
            roots: Roots::Only(certs),
            client: OnceLock::new(),
        };
        https.client()?;
        Ok(Arc::new(https))
    }

    /// The HTTPS client, built on first use.
    pub(super) fn client(&self) -> Result<&HttpsClient, TransportError> {
        self.client
            .get_or_init(|| self.build())
            .as_ref()
            .map_err(Clone::clone)
    }

    fn build(&self) -> Result<HttpsClient, TransportError> {
        let mut store = RootCertStore::empty();
        match &self.roots {
            Roots::Only(certs) => {
                let (_, unusable) = store.add_parsable_certificates(certs.iter().cloned());
                if store.is_empty() {
                    return Err(TransportError::Tls(format!(
                        "none of the CA file's {unusable} certificates can be used"
                    )));
                }
            }
            Roots::Platform => {
                let found = rustls_native_certs::load_native_certs();
                store.add_parsable_certificates(found.certs);
                if store.is_empty() {
                    let errors: Vec<String> = found.errors.iter().map(|e| e.to_string()).collect();
                    return Err(TransportError::Tls(format!(
                        "no trusted root certificates found on this system ({}); give a CA file",
                        errors.join("; ")
                    )));
                }
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TransportError::Tls(e.to_string()))?
            .with_root_certificates(store)
            .with_no_client_auth();
        let mut tcp = HttpConnector::new();
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        // ALPN (HTTP/1.1 only) is the builder's to set.
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(config)
            .https_only()
            .enable_http1()
            .wrap_connector(tcp);
        Ok(pooled(connector))
    }
}
