//! `run` flags for how the gateway treats devices: provisioning on first
//! contact and registry back-pressure.

use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct DeviceArgs {
    /// On first contact and after "0 BOOTSTRAP", set each device's
    /// connection-request credentials (generated per device) and periodic
    /// Inform; `none` leaves devices untouched (another ACS manages them).
    #[arg(long, value_enum, default_value = "auto", env = "CWMP2USP_PROVISION")]
    provision: Provision,
    /// PeriodicInformInterval set when provisioning, in seconds. Hourly keeps
    /// liveness and polled values fresh while a million devices cost under
    /// 300 Informs/s.
    #[arg(long, default_value_t = 3600, env = "CWMP2USP_PERIODIC_INFORM_INTERVAL", value_parser = clap::value_parser!(u32).range(1..))]
    periodic_inform_interval: u32,
    /// Seconds before a device that refused or ignored provisioning is
    /// asked again ("0 BOOTSTRAP" asks at once).
    #[arg(long, default_value_t = 6 * 3600, env = "CWMP2USP_PROVISION_RETRY")]
    provision_retry: u64,
    /// Registry writes waiting for their commit at once; beyond, new
    /// sessions get 503 with Retry-After until the disk catches up.
    #[arg(long, default_value_t = 4096, env = "CWMP2USP_MAX_PENDING_WRITES", value_parser = clap::value_parser!(u64).range(1..))]
    max_pending_writes: u64,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Provision {
    Auto,
    None,
}

impl DeviceArgs {
    pub fn apply(&self, config: &mut acs::EngineConfig) {
        config.provision = match self.provision {
            Provision::None => None,
            Provision::Auto => Some(acs::ProvisionConfig {
                periodic_inform_interval: self.periodic_inform_interval,
                retry_backoff: Duration::from_secs(self.provision_retry),
            }),
        };
        config.max_pending_writes = usize::try_from(self.max_pending_writes).unwrap_or(usize::MAX);
    }
}
