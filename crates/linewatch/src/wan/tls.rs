//! HTTPS clients for firewall APIs, with the certificate checked as `TlsCheck` says: against
//! the system roots, a pinned SHA-256 fingerprint, or not at all.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use sha2::{Digest, Sha256};

pub use crate::config::TlsCheck;

/// `sha256:AB:CD:...` of a certificate, the form `tls_fingerprint` takes.
pub fn fingerprint(certificate_der: &[u8]) -> String {
    format_fingerprint(&Sha256::digest(certificate_der).into())
}

fn format_fingerprint(digest: &[u8; 32]) -> String {
    let hex: Vec<String> = digest.iter().map(|b| format!("{b:02X}")).collect();
    format!("sha256:{}", hex.join(":"))
}

/// An HTTPS client for a firewall's API.
pub fn http_client(check: TlsCheck, connect_timeout: std::time::Duration) -> Result<reqwest::Client, String> {
    let builder = reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("linewatch/", env!("CARGO_PKG_VERSION")));
    let builder = match check {
        TlsCheck::SystemRoots => builder,
        TlsCheck::Insecure => builder.tls_danger_accept_invalid_certs(true),
        TlsCheck::Pinned(pin) => {
            let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
            let config = rustls::ClientConfig::builder_with_provider(provider.clone())
                .with_safe_default_protocol_versions()
                .map_err(|e| e.to_string())?
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(PinnedCertificate { pin, provider }))
                .with_no_client_auth();
            builder.tls_backend_preconfigured(config)
        }
    };
    builder.build().map_err(|e| format!("cannot build the HTTP client: {e}"))
}

/// Accepts exactly the pinned certificate, whatever its names and dates: the pin is the trust.
/// The handshake signature is still checked, so the server must hold the certificate's key.
#[derive(Debug)]
struct PinnedCertificate {
    pin: [u8; 32],
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PinnedCertificate {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let offered: [u8; 32] = Sha256::digest(end_entity.as_ref()).into();
        if offered == self.pin {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(format!(
                "the certificate ({}) is not the pinned one ({}): the firewall's certificate was \
                 renewed, or someone is in between. If the change is expected, update tls_fingerprint",
                format_fingerprint(&offered),
                format_fingerprint(&self.pin)
            )))
        }
    }

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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_fingerprint;

    #[test]
    fn fingerprints_read_back() {
        let printed = fingerprint(b"certificate");
        assert!(printed.starts_with("sha256:") && printed.len() == 7 + 32 * 3 - 1, "{printed}");
        let pin = parse_fingerprint(&printed).unwrap();
        assert_eq!(format_fingerprint(&pin), printed);
        assert_eq!(parse_fingerprint(&printed.to_lowercase().replace(':', "").replacen("sha256", "sha256:", 1)).unwrap(), pin);
        assert!(parse_fingerprint("AB:CD").unwrap_err().contains("sha256:"));
        assert!(parse_fingerprint("sha256:AB:CD").unwrap_err().contains("32 bytes"));
    }
}
