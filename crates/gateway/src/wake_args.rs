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
}

impl WakeArgs {
    pub fn config(&self) -> WakeConfig {
        WakeConfig {
            connection_requests: ConnectionRequestConfig {
                timeout: Duration::from_secs(self.cr_timeout),
                allow_basic: self.cr_allow_basic,
                ..ConnectionRequestConfig::default()
            },
            shared_user: self.cr_user.clone(),
            shared_password: Secret::new(self.cr_password.clone().unwrap_or_default()),
            ..WakeConfig::default()
        }
    }
}
