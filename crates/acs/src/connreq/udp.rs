//! Sending a UDP connection request: resolve, bind the configured source,
//! send the same signed datagram a few times. There is no answer to wait
//! for; the CPE's next session is the only proof it was heard.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::net::UdpSocket;

use super::outcome::{ConnectionRequestOutcome as O, OfflineCause};
use super::udp_message::UdpConnectionRequest;
use super::{random_hex, ConnectionRequestConfig, UdpTarget};

pub(super) async fn send(
    target: &UdpTarget,
    user: &str,
    password: &str,
    config: &ConnectionRequestConfig,
) -> O {
    let peer = match resolve(target, config).await {
        Ok(a) => a,
        Err(outcome) => return outcome,
    };
    let local = config.udp_bind.unwrap_or_else(|| {
        let any = match peer {
            SocketAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            SocketAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        };
        SocketAddr::new(any, 0)
    });
    let socket = match UdpSocket::bind(local).await {
        Ok(s) => s,
        Err(e) => return O::Local(format!("cannot bind UDP {local}: {e}")),
    };
    // Connected, so an ICMP port-unreachable from the CPE surfaces as a
    // refused send instead of vanishing.
    if let Err(e) = socket.connect(peer).await {
        return O::Offline(OfflineCause::Unreachable(e.to_string()));
    }
    let ts = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let datagram = UdpConnectionRequest::signed(
        &target.authority,
        ts,
        &random_hex(8),
        user,
        &random_hex(8),
        password,
    )
    .to_datagram();
    for i in 0..config.udp_repeat.max(1) {
        if i > 0 {
            tokio::time::sleep(config.udp_interval).await;
        }
        if let Err(e) = socket.send(&datagram).await {
            return O::Offline(match e.kind() {
                std::io::ErrorKind::ConnectionRefused => OfflineCause::Refused,
                _ => OfflineCause::Unreachable(e.to_string()),
            });
        }
    }
    O::Ok
}

/// The first address of the target in the family of the configured source
/// (any family when none is configured).
async fn resolve(target: &UdpTarget, config: &ConnectionRequestConfig) -> Result<SocketAddr, O> {
    let lookup = tokio::net::lookup_host((target.host.as_str(), target.port));
    let addrs = match tokio::time::timeout(config.timeout, lookup).await {
        Err(_) => return Err(O::Offline(OfflineCause::Timeout)),
        Ok(Err(e)) => {
            return Err(O::Offline(OfflineCause::Unreachable(format!(
                "cannot resolve {}: {e}",
                target.host
            ))))
        }
        Ok(Ok(addrs)) => addrs,
    };
    let want_v6 = config.udp_bind.map(|b| b.is_ipv6());
    let mut first = None;
    for a in addrs {
        if want_v6.is_none_or(|v6| a.is_ipv6() == v6) {
            first = Some(a);
            break;
        }
    }
    first.ok_or_else(|| {
        O::Offline(OfflineCause::Unreachable(format!(
            "{} has no address of the UDP source's family",
            target.host
        )))
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::{ConnectionRequester, UdpRequestError};
    use super::*;

    fn requester(repeat: u32) -> ConnectionRequester {
        ConnectionRequester::new(ConnectionRequestConfig {
            udp_repeat: repeat,
            udp_interval: Duration::from_millis(5),
            udp_bind: Some("127.0.0.1:0".parse().unwrap()),
            ..ConnectionRequestConfig::default()
        })
    }

    fn now() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    #[tokio::test]
    async fn signed_datagrams_arrive_and_verify() {
        let cpe = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = cpe.local_addr().unwrap().to_string();
        let outcome = requester(3).udp(&addr, "cr", "secret").await;
        assert_eq!(outcome, O::Ok);
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        for _ in 0..3 {
            let n = tokio::time::timeout(Duration::from_secs(5), cpe.recv(&mut buf))
                .await
                .unwrap()
                .unwrap();
            seen.push(buf[..n].to_vec());
        }
        // The same datagram each time, so the CPE can drop repeats by id.
        assert!(seen.iter().all(|d| d == &seen[0]));
        let req = UdpConnectionRequest::parse(&seen[0]).unwrap();
        assert_eq!(req.authority, addr);
        assert_eq!(req.un, "cr");
        assert_eq!(req.verify("cr", "secret", now(), 60), Ok(()));
        assert_eq!(
            req.verify("cr", "wrong", now(), 60),
            Err(UdpRequestError::BadSignature)
        );
        assert!(matches!(
            req.verify("cr", "secret", now() + 3600, 60),
            Err(UdpRequestError::Stale { .. })
        ));
        // Two requests never share an id or cnonce.
        requester(1).udp(&addr, "cr", "secret").await;
        let n = cpe.recv(&mut buf).await.unwrap();
        let again = UdpConnectionRequest::parse(&buf[..n]).unwrap();
        assert_ne!((again.id, again.cn), (req.id, req.cn));
    }

    #[tokio::test]
    async fn the_source_port_is_the_configured_one() {
        let cpe = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let src = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let src_addr = src.local_addr().unwrap();
        drop(src);
        let r = ConnectionRequester::new(ConnectionRequestConfig {
            udp_repeat: 1,
            udp_bind: Some(src_addr),
            ..ConnectionRequestConfig::default()
        });
        let outcome = r
            .udp(&cpe.local_addr().unwrap().to_string(), "u", "p")
            .await;
        assert_eq!(outcome, O::Ok);
        let mut buf = [0u8; 2048];
        let (_, from) = cpe.recv_from(&mut buf).await.unwrap();
        assert_eq!(from, src_addr);
    }

    #[tokio::test]
    async fn an_unusable_source_is_a_local_error() {
        let taken = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let r = ConnectionRequester::new(ConnectionRequestConfig {
            udp_bind: Some(taken.local_addr().unwrap()),
            ..ConnectionRequestConfig::default()
        });
        assert!(matches!(
            r.udp("127.0.0.1:9", "u", "p").await,
            O::Local(why) if why.contains("cannot bind")
        ));
    }

    #[tokio::test]
    async fn a_closed_port_reports_refused_once_icmp_says_so() {
        let closed = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = closed.local_addr().unwrap().to_string();
        drop(closed);
        // Loopback answers the first datagram with port-unreachable, which
        // the connected socket reports on a later send.
        let outcome = requester(3).udp(&addr, "u", "p").await;
        assert_eq!(outcome, O::Offline(OfflineCause::Refused));
    }
}
