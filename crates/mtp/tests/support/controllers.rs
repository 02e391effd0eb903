//! Test controllers: rumqttc clients subscribed to a filter, forwarding
//! what they receive to a channel.

use std::time::Duration;

use bytes::Bytes;
use rumqttc::v5;
use rumqttc::v5::mqttbytes::v5::{Publish as Publish5, PublishProperties};
use tokio::sync::mpsc;

use super::Mosquitto;

const WAIT: Duration = Duration::from_secs(15);

/// An MQTT 5 controller subscribed to `filter`; what it receives comes out
/// of the channel.
pub async fn v5_controller(
    broker: &Mosquitto,
    filter: &str,
) -> (v5::AsyncClient, mpsc::Receiver<Publish5>) {
    super::controller5::v5_controller(broker.port, "controller5", filter).await
}

pub async fn v311_controller(
    broker: &Mosquitto,
    filter: &str,
) -> (rumqttc::AsyncClient, mpsc::Receiver<rumqttc::Publish>) {
    let o = rumqttc::MqttOptions::new("controller3", "127.0.0.1", broker.port);
    let (client, mut eventloop) = rumqttc::AsyncClient::new(o, 16);
    client
        .subscribe(filter, rumqttc::QoS::AtLeastOnce)
        .await
        .unwrap();
    let (tx, rx) = mpsc::channel(16);
    let (subscribed_tx, subscribed_rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let mut subscribed = Some(subscribed_tx);
        #[allow(clippy::collapsible_match)]
        while let Ok(event) = eventloop.poll().await {
            match event {
                rumqttc::Event::Incoming(rumqttc::Packet::SubAck(_)) => {
                    if let Some(s) = subscribed.take() {
                        let _ = s.send(());
                    }
                }
                rumqttc::Event::Incoming(rumqttc::Packet::Publish(p)) => {
                    if tx.send(p).await.is_err() {
                        return;
                    }
                }
                _ => {}
            }
        }
    });
    tokio::time::timeout(WAIT, subscribed_rx)
        .await
        .unwrap()
        .unwrap();
    (client, rx)
}

pub async fn publish5(
    client: &v5::AsyncClient,
    topic: &str,
    content_type: Option<&str>,
    response_topic: Option<&str>,
    payload: Bytes,
) {
    let props = PublishProperties {
        content_type: content_type.map(str::to_owned),
        response_topic: response_topic.map(str::to_owned),
        ..PublishProperties::default()
    };
    client
        .publish_with_properties(
            topic,
            v5::mqttbytes::QoS::AtLeastOnce,
            false,
            payload,
            props,
        )
        .await
        .unwrap();
}
