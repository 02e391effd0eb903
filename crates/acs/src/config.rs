//! What the operator tunes about the engine and its shell.

use std::time::Duration;

use crate::wake::WakeConfig;

#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// A session with no exchange for this long is over.
    pub session_timeout: Duration,
    /// No session lasts longer than this.
    pub max_session: Duration,
    /// Sessions open at once; beyond, new ones get 503.
    pub max_sessions: usize,
    /// Seconds a CPE turned away with 503 is told to wait.
    pub retry_after_secs: u32,
    /// Queued RPCs per device; beyond, [`crate::Engine::submit`] refuses.
    pub max_queued_per_device: usize,
    /// Registry writes staged or being committed at once; beyond, new
    /// sessions get 503 until the store catches up.
    pub max_pending_writes: usize,
    /// `None` leaves every device untouched (another ACS manages them).
    pub provision: Option<ProvisionConfig>,
    /// Longest a held device's session keeps the CPE's POST unanswered
    /// while waiting for the next RPC ([`crate::Engine::hold`]); zero turns
    /// holds off.
    pub hold_max: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            session_timeout: Duration::from_secs(30),
            max_session: Duration::from_secs(300),
            max_sessions: 10_000,
            retry_after_secs: 30,
            max_queued_per_device: 64,
            max_pending_writes: 4096,
            provision: None,
            // Long enough for the northbound to turn one answer into the
            // next RPC, short enough that a plan that went away costs the
            // CPE little.
            hold_max: Duration::from_secs(2),
        }
    }
}

/// What the gateway sets on a device's ManagementServer on first contact
/// and after "0 BOOTSTRAP".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisionConfig {
    pub periodic_inform_interval: u32,
    /// After a refused or unanswered SetParameterValues, the next attempt
    /// waits this long (or for the next "0 BOOTSTRAP").
    pub retry_backoff: Duration,
}

impl Default for ProvisionConfig {
    fn default() -> Self {
        ProvisionConfig {
            // Hourly: fresh enough for liveness and polled values, and a
            // million devices then cost under 300 Informs/s.
            periodic_inform_interval: 3600,
            // A fault is usually permanent (read-only parameter, vendor
            // quirk) and a CPE that chokes on the request must not be fed it
            // every session: at most four tries a day.
            retry_backoff: Duration::from_secs(6 * 3600),
        }
    }
}

/// How CPE authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    None,
    Basic,
    Digest,
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub auth: AuthMode,
    /// Shared CPE credentials.
    pub user: String,
    pub password: String,
    pub max_body: usize,
    /// For the request head and, separately, for the body.
    pub read_timeout: Duration,
    /// Accept Basic on plain HTTP too (otherwise plain HTTP asks for Digest).
    pub allow_basic_over_http: bool,
    /// For a TLS handshake, from accept until it completes.
    pub tls_handshake_timeout: Duration,
    /// Connection requests for queued RPCs, and the northbound's limits.
    pub wake: WakeConfig,
}

impl ServerConfig {
    /// The scheme a connection gets. Basic sends the password in clear, so
    /// on plain HTTP it becomes Digest with the same credentials: CPE that
    /// answer challenges still get in, and nobody's password crosses the
    /// wire readable unless the operator said so.
    pub fn auth_on(&self, is_tls: bool) -> AuthMode {
        match self.auth {
            AuthMode::Basic if !is_tls && !self.allow_basic_over_http => AuthMode::Digest,
            mode => mode,
        }
    }
}
