//! An MQTT 5 test controller on rumqttc: subscribed to one filter (SUBACK
//! awaited), every PUBLISH it receives forwarded to a channel. Shared by
//! the mtp crate's tests and the workspace's end-to-end tests (through
//! `#[path]`), so it depends on nothing but its port.

use std::time::Duration;

use rumqttc::v5;
use rumqttc::v5::mqttbytes::v5::{Packet, Publish};
use tokio::sync::mpsc;

const SUBSCRIBED_WITHIN: Duration = Duration::from_secs(15);

/// A controller with client ID `id` on the broker at 127.0.0.1:`port`,
/// subscribed to `filter` at QoS 1.
pub async fn v5_controller(
    port: u16,
    id: &str,
    filter: &str,
) -> (v5::AsyncClient, mpsc::Receiver<Publish>) {
    let mut o = v5::MqttOptions::new(id, "127.0.0.1", port);
    o.set_max_packet_size(Some(4 * 1024 * 1024));
    let (client, mut eventloop) = v5::AsyncClient::new(o, 16);
    client
        .subscribe(filter, v5::mqttbytes::QoS::AtLeastOnce)
        .await
        .unwrap();
    let (tx, rx) = mpsc::channel(64);
    let (subscribed_tx, subscribed_rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let mut subscribed = Some(subscribed_tx);
        // A guard cannot move the packet into the channel.
        #[allow(clippy::collapsible_match)]
        while let Ok(event) = eventloop.poll().await {
            match event {
                v5::Event::Incoming(Packet::SubAck(_)) => {
                    if let Some(s) = subscribed.take() {
                        let _ = s.send(());
                    }
                }
                // The test is over when nobody reads.
                v5::Event::Incoming(Packet::Publish(p)) => {
                    if tx.send(p).await.is_err() {
                        return;
                    }
                }
                _ => {}
            }
        }
    });
    tokio::time::timeout(SUBSCRIBED_WITHIN, subscribed_rx)
        .await
        .unwrap()
        .unwrap();
    (client, rx)
}
