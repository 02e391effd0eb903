//! `wss`: our client mode against our server mode, both over rustls, with
//! a throwaway certificate. Also shows the two halves interoperate.

use std::sync::Arc;
use std::time::Duration;

use mtp::ws::{WsConfig, WsMtp};
use mtp::{Inbound, Outbound};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::sync::mpsc;
use tokio::time::timeout;
use usp::mtp::{LinkUp, ReplyTo};

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn tls_pair() -> (Arc<rustls::ServerConfig>, Arc<rustls::ClientConfig>) {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert = CertificateDer::from(ck.cert.der().to_vec());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.signing_key.serialize_der()));
    let server = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).unwrap();
    let client = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    (Arc::new(server), Arc::new(client))
}

async fn next(rx: &mut mpsc::Receiver<Inbound>) -> Inbound {
    timeout(Duration::from_secs(10), rx.recv())
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn agent_client_reaches_a_wss_server() {
    let (server_tls, client_tls) = tls_pair();
    // The "controller" side is simply another WsMtp serving an endpoint.
    let (stx, mut srx) = mpsc::channel(16);
    let controller = WsMtp::start(
        WsConfig {
            server_tls: Some(server_tls),
            ..WsConfig::default()
        },
        stx,
    )
    .await
    .unwrap();
    controller.add_agent("self::ctl").unwrap();
    let port = controller.local_addr().unwrap().port();

    let (atx, mut arx) = mpsc::channel(16);
    let agent = WsMtp::start(
        WsConfig {
            listen: None,
            client_tls: Some(client_tls),
            ..WsConfig::default()
        },
        atx,
    )
    .await
    .unwrap();
    agent.add_agent("os::012345-TLS").unwrap();
    let url = format!("wss://localhost:{port}{}", controller.path_for("self::ctl"));
    agent.connect("os::012345-TLS", &url, "self::ctl").unwrap();

    let Inbound::Up {
        link: LinkUp::WebSocket {
            link: agent_link,
            peer,
        },
        ..
    } = next(&mut arx).await
    else {
        panic!("agent side not up")
    };
    assert_eq!(peer.as_deref(), Some("self::ctl"));
    let Inbound::Up {
        link: LinkUp::WebSocket {
            link: ctl_link,
            peer,
        },
        ..
    } = next(&mut srx).await
    else {
        panic!("server side not up")
    };
    assert_eq!(peer.as_deref(), Some("os::012345-TLS"), "eid query decoded");

    agent
        .send(Outbound {
            agent: "os::012345-TLS".into(),
            to: ReplyTo::WebSocket { link: agent_link },
            payload: bytes::Bytes::from_static(b"record"),
        })
        .unwrap();
    match next(&mut srx).await {
        Inbound::Record { reply, payload, .. } => {
            assert_eq!(reply, ReplyTo::WebSocket { link: ctl_link });
            assert_eq!(payload.as_ref(), b"record");
        }
        other => panic!("{other:?}"),
    }
}
