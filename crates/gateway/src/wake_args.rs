//! `run` flags for the connection requests the gateway sends by itself
//! when an RPC waits for a device that has no session open.

use std::time::Duration;

use acs::server::WakeConfig;
use acs::{ConnectionRequestConfig, Secret};

#[derive(clap::Args, Debug)]
pub struct WakeArgs {
    /// Seconds a connection request may take, challenge and retry
    /// included; a CPE silent this long counts as offline.
    #[arg(long, default_value_t = 2, value_name = "SECONDS", env = "CWMP2USP_CR_TIMEOUT", value_parser = clap::value_parser!(u64).range(1..=60))]
    cr_timeout: u64,
    /// Answer a CPE's Basic challenge on connection requests (the password
    /// then crosses the network readable).
    #[arg(long, env = "CWMP2USP_CR_ALLOW_BASIC")]
    cr_allow_basic: bool,
    /// ConnectionRequestUsername for devices without credentials of their
    /// own from provisioning (e.g. with --provision none).
    #[arg(long, default_value = "", env = "CWMP2USP_CR_USER")]
    cr_user: String,
    /// ConnectionRequestPassword that goes with --cr-user.
    #[arg(long, env = "CWMP2USP_CR_PASSWORD", hide_env_values = true)]
    cr_password: Option<String>,
    /// Connection requests under way at once, gateway-wide (each holds a
    /// socket for at most --cr-timeout).
    #[arg(long, default_value_t = 128, value_name = "N", env = "CWMP2USP_CR_MAX_IN_FLIGHT",
          value_parser = clap::value_parser!(u64).range(1..=100_000))]
    cr_max_in_flight: u64,
    /// Devices with a connection request under way or waiting for a slot;
    /// beyond, waking another fails at once (local_error).
    #[arg(long, default_value_t = 100_000, value_name = "N", env = "CWMP2USP_CR_MAX_PENDING",
          value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    cr_max_pending: u64,
    /// Northbound callers awaiting an RPC's outcome at once; beyond, a new
    /// RPC is refused as overloaded.
    #[arg(long, default_value_t = 100_000, value_name = "N", env = "CWMP2USP_MAX_WAITING_RPCS",
          value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    max_waiting_rpcs: u64,
    /// Copies of each UDP connection request (TR-111) sent to a CPE behind
    /// NAT; UDP may drop any of them.
    #[arg(long, default_value_t = 3, value_name = "N", env = "CWMP2USP_CR_UDP_REPEAT",
          value_parser = clap::value_parser!(u32).range(1..=10))]
    cr_udp_repeat: u32,
    /// Source address of UDP connection requests: behind NAT, the STUN
    /// server's address and port, the only source a CPE's pinhole admits.
    /// Default: any port.
    #[arg(long, value_name = "ADDR", env = "CWMP2USP_CR_UDP_SOURCE")]
    cr_udp_source: Option<std::net::SocketAddr>,
}

impl WakeArgs {
    pub fn config(&self) -> WakeConfig {
        WakeConfig {
            connection_requests: ConnectionRequestConfig {
                timeout: Duration::from_secs(self.cr_timeout),
                allow_basic: self.cr_allow_basic,
                udp_repeat: self.cr_udp_repeat,
                udp_bind: self.cr_udp_source,
                ..ConnectionRequestConfig::default()
            },
            shared_user: self.cr_user.clone(),
            shared_password: Secret::new(self.cr_password.clone().unwrap_or_default()),
            max_in_flight: usize::try_from(self.cr_max_in_flight).unwrap_or(usize::MAX),
            max_pending: usize::try_from(self.cr_max_pending).unwrap_or(usize::MAX),
            max_waiting_rpcs: usize::try_from(self.max_waiting_rpcs).unwrap_or(usize::MAX),
        }
    }
}
