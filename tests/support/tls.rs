//! Throwaway certificates for HTTPS tests (rcgen, ECDSA P-256), written as
//! PEM files in a temporary directory.

use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};

pub struct Pki {
    dir: tempfile::TempDir,
}

fn ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

impl Pki {
    /// `ca.pem` with `server.crt`/`server.key` for 127.0.0.1 and localhost;
    /// `client-ca.pem` with `client.crt`/`client.key`; and
    /// `stranger.crt`/`stranger.key`, a client certificate from another CA.
    pub fn new() -> Pki {
        let pki = Pki {
            dir: tempfile::tempdir().unwrap(),
        };
        let server_ca = ca("test server CA");
        pki.write("ca.pem", &server_ca.pem());
        pki.leaf("server", &["127.0.0.1", "localhost"], &server_ca);
        let client_ca = ca("test CPE CA");
        pki.write("client-ca.pem", &client_ca.pem());
        pki.leaf("client", &[], &client_ca);
        pki.leaf("stranger", &[], &ca("someone else"));
        pki
    }

    fn leaf(&self, name: &str, sans: &[&str], issuer: &CertifiedIssuer<'static, KeyPair>) {
        let key = KeyPair::generate().unwrap();
        let sans: Vec<String> = sans.iter().map(|s| s.to_string()).collect();
        let mut params = CertificateParams::new(sans).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        let cert = params.signed_by(&key, &**issuer).unwrap();
        self.write(&format!("{name}.crt"), &cert.pem());
        self.write(&format!("{name}.key"), &key.serialize_pem());
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `path(name)` as a string, for command lines.
    pub fn arg(&self, name: &str) -> String {
        self.path(name).to_str().unwrap().to_string()
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}
