//! The STOMP shell against a real RabbitMQ (a private node started by the
//! test): an agent subscribes, a raw STOMP controller sends it a Record and
//! gets the answer on its own destination.

mod support;

use std::time::Duration;

use bytes::Bytes;
use mtp::backoff::RetryPolicy;
use mtp::stomp::frame::{Command, Frame};
use mtp::stomp::{StompConfig, StompMtp};
use mtp::{Inbound, MtpError, Outbound};
use support::rabbitmq::Broker;
use support::stomp_controller::Controller;
use support::usp_records::{assert_record, get_request};
use tokio::sync::mpsc;
use tokio::time::timeout;
use usp::mtp::{LinkUp, ReplyTo};

const WAIT: Duration = Duration::from_secs(20);

async fn next(rx: &mut mpsc::Receiver<Inbound>) -> Inbound {
    timeout(WAIT, rx.recv())
        .await
        .expect("an Inbound event")
        .expect("channel open")
}

fn unique(tag: &str) -> String {
    format!("{tag}{}-{}", std::process::id(), getrandom_suffix())
}

fn getrandom_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64 % 1_000_000_007)
}

fn config(broker: &Broker) -> StompConfig {
    StompConfig {
        server: broker.stomp.clone(),
        login: Some("guest".into()),
        passcode: Some("guest".into()),
        heartbeat_send: Duration::from_millis(500),
        heartbeat_receive: Duration::from_millis(500),
        retry: RetryPolicy {
            min_wait: Duration::from_millis(200),
            multiplier_permille: 2000,
            max_wait: Duration::from_secs(2),
        },
        ..StompConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stomp_agent_round_trip_through_rabbitmq() {
    let Some(broker) = Broker::start("stomp_agent_round_trip_through_rabbitmq") else {
        return;
    };
    let (tx, mut rx) = mpsc::channel(16);
    let mtp = StompMtp::new(config(&broker), tx);
    let agent = format!("os::012345-{}", unique("STOMP"));
    let agent_dest = format!("/queue/usp.agent.{agent}");
    let ctl_eid = unique("self::ctl");
    let ctl_dest = format!("/queue/usp.controller.{}", unique("c"));

    mtp.add_agent(&agent).unwrap();
    assert_eq!(
        mtp.add_agent(&agent),
        Err(MtpError::DuplicateAgent(agent.clone()))
    );
    match next(&mut rx).await {
        Inbound::Up { agent: a, link } => {
            assert_eq!(&*a, agent);
            assert_eq!(
                link,
                LinkUp::Stomp {
                    subscribed_destination: agent_dest.clone()
                }
            );
        }
        other => panic!("expected Up, got {other:?}"),
    }

    let mut ctl = Controller::connect(&broker.stomp, &ctl_dest).await;
    let request = get_request(&ctl_eid, &agent, "get-1");
    ctl.write(
        Frame::new(Command::Send)
            .header("destination", agent_dest.clone())
            .header("content-type", "application/vnd.bbf.usp.msg")
            .header("reply-to-dest", ctl_dest.clone())
            .body(Bytes::from(request.clone())),
    )
    .await;
    let reply = match next(&mut rx).await {
        Inbound::Record {
            agent: a,
            reply,
            payload,
        } => {
            assert_eq!(&*a, agent);
            assert_eq!(payload.as_ref(), &request[..]);
            assert_record(&payload, &ctl_eid, &agent);
            reply
        }
        other => panic!("expected Record, got {other:?}"),
    };
    assert_eq!(
        reply,
        ReplyTo::Stomp {
            destination: ctl_dest.clone()
        }
    );

    // A MESSAGE with no reply-to-dest cannot be answered: dropped, link kept.
    ctl.write(
        Frame::new(Command::Send)
            .header("destination", agent_dest.clone())
            .body(Bytes::from_static(b"x")),
    )
    .await;

    let answer = get_request(&agent, &ctl_eid, "resp-1");
    mtp.send(Outbound {
        agent: agent.as_str().into(),
        to: reply,
        payload: answer.clone().into(),
    })
    .unwrap();
    let msg = ctl.frame().await;
    assert_eq!(msg.command, Command::Message);
    assert_eq!(msg.get("content-type"), Some("application/vnd.bbf.usp.msg"));
    assert_eq!(msg.get("reply-to-dest"), Some(agent_dest.as_str()));
    assert_eq!(msg.body.as_ref(), &answer[..]);
    assert_record(&msg.body, &agent, &ctl_eid);

    // Heart-beats both ways keep the link through several periods.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(rx.try_recv().is_err(), "nothing happened meanwhile");
    let wrong = Outbound {
        agent: agent.as_str().into(),
        to: ReplyTo::WebSocket { link: 1 },
        payload: Bytes::new(),
    };
    assert!(matches!(mtp.send(wrong), Err(MtpError::WrongTransport(_))));

    mtp.remove_agent(&agent).unwrap();
    match next(&mut rx).await {
        Inbound::Down {
            agent: a,
            protocol,
            link,
        } => {
            assert_eq!((&*a, protocol, link), (agent.as_str(), "STOMP", None));
        }
        other => panic!("expected Down, got {other:?}"),
    }
    let gone = Outbound {
        agent: agent.as_str().into(),
        to: ReplyTo::Stomp {
            destination: ctl_dest,
        },
        payload: Bytes::new(),
    };
    assert!(matches!(mtp.send(gone), Err(MtpError::UnknownAgent(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_login_never_comes_up_and_keeps_retrying() {
    let Some(broker) = Broker::start("refused_login_never_comes_up_and_keeps_retrying") else {
        return;
    };
    let (tx, mut rx) = mpsc::channel(16);
    let mtp = StompMtp::new(
        StompConfig {
            passcode: Some("wrong".into()),
            ..config(&broker)
        },
        tx,
    );
    let agent = format!("os::012345-{}", unique("BAD"));
    mtp.add_agent(&agent).unwrap();
    assert!(
        timeout(Duration::from_secs(3), rx.recv()).await.is_err(),
        "no Up with a wrong passcode"
    );
    let out = Outbound {
        agent: agent.as_str().into(),
        to: ReplyTo::Stomp {
            destination: "/queue/x".into(),
        },
        payload: Bytes::new(),
    };
    assert_eq!(mtp.send(out), Err(MtpError::NoLink(agent.clone())));
    mtp.remove_agent(&agent).unwrap();
}
