//! `mqtts://`: the agent connects through rustls on ring to a Mosquitto
//! TLS listener whose certificate a throwaway CA signed.

mod support;

use std::sync::Arc;
use std::time::Duration;

use mtp::mqtt::{BrokerUrl, MqttConfig, MqttMtp};
use mtp::Inbound;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use support::Mosquitto;
use tokio::sync::mpsc;
use usp::mtp::{LinkUp, MqttVersion};

#[tokio::test]
async fn an_agent_comes_up_over_tls() {
    let dir = tempfile::tempdir().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &*ca)
        .unwrap();
    let cert_path = dir.path().join("server.crt");
    let key_path = dir.path().join("server.key");
    std::fs::write(&cert_path, leaf.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    let Some(broker) = Mosquitto::start_with(&format!(
        "certfile {}\nkeyfile {}",
        cert_path.display(),
        key_path.display()
    )) else {
        return;
    };

    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.der().clone()).unwrap();
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();

    let url = format!("mqtts://127.0.0.1:{}", broker.port);
    let mut config = MqttConfig::new(BrokerUrl::parse(&url).unwrap());
    assert!(
        config.validate().is_err(),
        "mqtts:// without a ClientConfig"
    );
    config.tls = Some(Arc::new(tls));
    let (tx, mut rx) = mpsc::channel(8);
    let mtp = MqttMtp::new(config, tx).unwrap();
    mtp.add_agent("os::00256D-0001").unwrap();
    let up = tokio::time::timeout(Duration::from_secs(15), rx.recv())
        .await
        .expect("Up in time")
        .expect("open");
    assert_eq!(
        up,
        Inbound::Up {
            agent: "os::00256D-0001".into(),
            link: LinkUp::Mqtt {
                version: MqttVersion::V5,
                subscribed_topic: "usp/agent/os::00256D-0001".into()
            }
        }
    );
    mtp.shutdown();
}
