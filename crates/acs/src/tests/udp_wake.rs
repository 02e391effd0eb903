//! A CPE behind NAT reported only a UDPConnectionRequestAddress (TR-111):
//! the automatic wake-up reaches it with a signed UDP connection request.

use tokio::net::UdpSocket;

use super::northbound::{config, serve_acs, WAIT};
use super::*;
use crate::connreq::UdpConnectionRequest;
use crate::server::WakeConfig;

#[tokio::test]
async fn a_cpe_with_only_a_udp_address_is_woken_over_udp() {
    let acs = serve_acs(
        EngineConfig::default(),
        config(WakeConfig {
            shared_user: "fleet".into(),
            shared_password: Secret::new("fleet-pw"),
            ..WakeConfig::default()
        }),
    )
    .await;
    let cpe = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let device = DeviceKey {
        oui: "00D09E".into(),
        product_class: "HGW".into(),
        serial: "NAT1".into(),
    };
    let mut record = DeviceRecord::new(device.clone(), Duration::ZERO);
    record.params.push((
        "Device.ManagementServer.UDPConnectionRequestAddress".into(),
        cpe.local_addr().unwrap().to_string(),
    ));
    acs.store.put(record).unwrap();

    let outcome = acs.handle.connection_request(device);
    let received = async {
        let mut buf = [0u8; 1024];
        let n = cpe.recv(&mut buf).await.unwrap();
        buf[..n].to_vec()
    };
    let (outcome, datagram) = tokio::time::timeout(WAIT, async { tokio::join!(outcome, received) })
        .await
        .unwrap();
    assert!(outcome.is_ok(), "{outcome:?}");
    let request = UdpConnectionRequest::parse(&datagram).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    request.verify("fleet", "fleet-pw", now, 60).unwrap();
}
