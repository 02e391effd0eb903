//! `cwmp2usp run`: the gateway's ACS side (first slice: CWMP sessions over
//! HTTP and HTTPS with shared credentials and a durable registry).
//!
//! Every setting is a flag, a `CWMP2USP_<FLAG>` variable and a key of the
//! `--config` file (see `run_config`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use acs::server::{AuthMode, Counters, Listeners, ServerConfig};
use acs::Store as _;
use anyhow::Context as _;

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// TOML file with any of these settings (keys are the flag names with
    /// `_` for `-`); flags and CWMP2USP_* variables override it.
    #[arg(long, value_name = "FILE", env = "CWMP2USP_CONFIG")]
    pub config: Option<PathBuf>,
    /// Where CPE reach the ACS over plain HTTP; `none` for no plain listener.
    #[arg(long, default_value = "127.0.0.1:7547", value_name = "ADDR|none", value_parser = parse_listen, env = "CWMP2USP_CWMP_LISTEN")]
    cwmp_listen: Listen,
    /// Where CPE reach the ACS over HTTPS (needs --tls-cert and --tls-key).
    #[arg(long, value_name = "ADDR", env = "CWMP2USP_CWMP_TLS_LISTEN")]
    cwmp_tls_listen: Option<SocketAddr>,
    /// Certificate chain (PEM, leaf first) of the HTTPS listener.
    #[arg(long, value_name = "FILE", env = "CWMP2USP_TLS_CERT")]
    tls_cert: Option<PathBuf>,
    /// Private key (PEM: PKCS#8, EC or RSA) of --tls-cert.
    #[arg(long, value_name = "FILE", env = "CWMP2USP_TLS_KEY")]
    tls_key: Option<PathBuf>,
    /// Require CPE client certificates issued by a CA in this PEM file.
    #[arg(long, value_name = "FILE", env = "CWMP2USP_TLS_CLIENT_CA")]
    tls_client_ca: Option<PathBuf>,
    /// Seconds a CPE has to complete its TLS handshake.
    #[arg(
        long,
        default_value_t = 10,
        value_name = "SECONDS",
        env = "CWMP2USP_TLS_HANDSHAKE_TIMEOUT"
    )]
    tls_handshake_timeout: u64,
    /// Let CPE resume TLS sessions with stateless tickets (TLS 1.3 and
    /// 1.2): a resumed handshake skips the certificate and its signature.
    #[arg(long, env = "CWMP2USP_TLS_TICKETS")]
    tls_tickets: bool,
    /// TLS 1.2 session IDs kept in memory for resumption (0: none).
    #[arg(
        long,
        default_value_t = 0,
        value_name = "SESSIONS",
        env = "CWMP2USP_TLS_SESSION_CACHE"
    )]
    tls_session_cache: usize,
    /// How CPE authenticate.
    #[arg(long, value_enum, default_value = "digest", env = "CWMP2USP_CWMP_AUTH")]
    cwmp_auth: Auth,
    /// With --cwmp-auth basic, accept Basic on plain HTTP too (passwords
    /// then cross the network readable).
    #[arg(long, env = "CWMP2USP_ALLOW_BASIC_OVER_HTTP")]
    allow_basic_over_http: bool,
    /// Shared CPE user name.
    #[arg(long, default_value = "cpe", env = "CWMP2USP_CWMP_USER")]
    cwmp_user: String,
    /// Shared CPE password (required unless --cwmp-auth none).
    #[arg(long, env = "CWMP2USP_CWMP_PASSWORD", hide_env_values = true)]
    cwmp_password: Option<String>,
    /// Where the device registry lives (created if missing).
    #[arg(long, default_value = "data", env = "CWMP2USP_DATA_DIR")]
    data_dir: PathBuf,
    /// MiB of the registry file kept in memory. The registry is read once
    /// per session, so this bounds memory however many devices register.
    #[arg(long, default_value_t = 32, value_name = "MIB", env = "CWMP2USP_REGISTRY_CACHE_MB",
          value_parser = clap::value_parser!(u32).range(1..))]
    registry_cache_mb: u32,
    /// Largest request body accepted; larger ones get 413.
    #[arg(long, default_value_t = 1024 * 1024, value_name = "BYTES", env = "CWMP2USP_MAX_BODY")]
    max_body: usize,
    /// Seconds allowed for a request head, and again for its body.
    #[arg(
        long,
        default_value_t = 10,
        value_name = "SECONDS",
        env = "CWMP2USP_READ_TIMEOUT"
    )]
    read_timeout: u64,
    /// Seconds of silence that end a CWMP session.
    #[arg(
        long,
        default_value_t = 30,
        value_name = "SECONDS",
        env = "CWMP2USP_SESSION_TIMEOUT"
    )]
    session_timeout: u64,
    /// Seconds a session whose device a northbound plan holds waits, with
    /// the CPE's request unanswered, for the plan's next RPC (0: never).
    #[arg(
        long,
        default_value_t = 2,
        value_name = "SECONDS",
        env = "CWMP2USP_SESSION_HOLD_MAX"
    )]
    session_hold_max: u64,
    /// Sessions open at once; beyond, CPE get 503 with Retry-After.
    #[arg(
        long,
        default_value_t = 10_000,
        value_name = "N",
        env = "CWMP2USP_MAX_SESSIONS"
    )]
    max_sessions: usize,
    /// Exit after this many seconds, or at SIGINT or SIGTERM if sooner,
    /// printing the report (default: run until a signal).
    #[arg(long, value_name = "SECONDS", env = "CWMP2USP_DURATION")]
    duration: Option<u64>,
    #[command(flatten)]
    devices: crate::device_args::DeviceArgs,
    #[command(flatten)]
    wake: crate::wake_args::WakeArgs,
    #[command(flatten)]
    north: crate::north_args::NorthArgs,
}

/// A listening address, or none at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Listen(Option<SocketAddr>);

fn parse_listen(s: &str) -> Result<Listen, String> {
    if s.eq_ignore_ascii_case("none") {
        return Ok(Listen(None));
    }
    s.parse()
        .map(|a| Listen(Some(a)))
        .map_err(|_| format!("{s:?} is neither host:port nor none"))
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Auth {
    None,
    Basic,
    Digest,
}

/// What `run` listens with, checked before anything is opened.
struct Plan {
    auth: AuthMode,
    password: String,
    tls: Option<(SocketAddr, acs::tls::TlsFiles)>,
}

fn plan(args: &RunArgs) -> anyhow::Result<Plan> {
    let auth = match args.cwmp_auth {
        Auth::None => AuthMode::None,
        Auth::Basic => AuthMode::Basic,
        Auth::Digest => AuthMode::Digest,
    };
    let password = match (&args.cwmp_password, auth) {
        (Some(p), _) => p.clone(),
        (None, AuthMode::None) => String::new(),
        (None, _) => anyhow::bail!("--cwmp-password is required unless --cwmp-auth none"),
    };
    let tls = match (args.cwmp_tls_listen, &args.tls_cert, &args.tls_key) {
        (Some(addr), Some(cert), Some(key)) => Some((
            addr,
            acs::tls::TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
                client_ca: args.tls_client_ca.clone(),
            },
        )),
        (Some(_), _, _) => anyhow::bail!("--cwmp-tls-listen needs --tls-cert and --tls-key"),
        (None, None, None) if args.tls_client_ca.is_none() => None,
        (None, _, _) => {
            anyhow::bail!("--tls-cert, --tls-key and --tls-client-ca need --cwmp-tls-listen")
        }
    };
    if args.cwmp_listen.0.is_none() && tls.is_none() {
        anyhow::bail!("nothing to listen on: --cwmp-listen is none and no --cwmp-tls-listen");
    }
    // Plain HTTP alone with Basic would either leak every password or (with
    // the Digest fallback) never do what the operator asked: say so now.
    if auth == AuthMode::Basic && tls.is_none() && !args.allow_basic_over_http {
        anyhow::bail!(
            "--cwmp-auth basic sends CPE passwords in clear text over plain HTTP: \
             add --cwmp-tls-listen (plain HTTP then asks for Digest), \
             use --cwmp-auth digest, or pass --allow-basic-over-http"
        );
    }
    Ok(Plan {
        auth,
        password,
        tls,
    })
}

pub fn run(args: &RunArgs) -> anyhow::Result<()> {
    let plan = plan(args)?;
    let north_plan = crate::north::plan(&args.north)?;
    let tls_config = match &plan.tls {
        Some((addr, files)) => {
            let resumption = acs::tls::Resumption {
                tickets: args.tls_tickets,
                session_cache: args.tls_session_cache,
            };
            Some((*addr, acs::tls::server_config_with(files, resumption)?))
        }
        None => None,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    // Shared by the engine, the committer and authentication.
    let cache = usize::try_from(args.registry_cache_mb)
        .unwrap_or(usize::MAX)
        .saturating_mul(1024 * 1024);
    let store = Arc::new(open_registry_with_cache(&args.data_dir, cache)?);
    let devices = store.len();
    rt.block_on(async {
        let mut ready = serde_json::json!({ "event": "ready" });
        let plain = match args.cwmp_listen.0 {
            Some(addr) => {
                let l = listen(addr).await?;
                let at = l.local_addr().context("listening address")?;
                ready["cwmp"] = format!("http://{at}/").into();
                Some(l)
            }
            None => None,
        };
        let tls = match tls_config {
            Some((addr, config)) => {
                let l = listen(addr).await?;
                let at = l.local_addr().context("listening address")?;
                ready["cwmps"] = format!("https://{at}/").into();
                Some((l, config))
            }
            None => None,
        };
        ready["devices"] = devices.into();
        let mut engine_config = acs::EngineConfig {
            session_timeout: Duration::from_secs(args.session_timeout),
            hold_max: Duration::from_secs(args.session_hold_max),
            max_sessions: args.max_sessions,
            ..acs::EngineConfig::default()
        };
        args.devices.apply(&mut engine_config);
        let north = crate::north::North::start(north_plan, store.clone(), &mut ready).await?;
        let engine = acs::Engine::new(engine_config, store);
        let config = ServerConfig {
            auth: plan.auth,
            user: args.cwmp_user.clone(),
            password: plan.password,
            max_body: args.max_body,
            read_timeout: Duration::from_secs(args.read_timeout),
            allow_basic_over_http: args.allow_basic_over_http,
            tls_handshake_timeout: Duration::from_secs(args.tls_handshake_timeout),
            wake: args.wake.config(),
        };
        let counters = Arc::new(Counters::default());
        println!("{ready}");
        // A signal ends a bounded run early, still with its report.
        let until = async {
            match args.duration {
                Some(s) => tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(s)) => {}
                    () = crate::sim_cmd::stop_signal() => {}
                },
                None => crate::sim_cmd::stop_signal().await,
            }
        };
        let listeners = Listeners { plain, tls };
        let server = acs::server::Server::new(engine, config, counters.clone())
            .context("no randomness for Digest nonces")?;
        let devices = server.subscribe(DEVICE_EVENTS);
        let plan_times = north.plan_times();
        let notify_times = north.notify_times();
        let northbound = tokio::spawn(north.run(devices, server.handle()));
        tokio::select! {
            served = server.serve(listeners) => {
                served.context("serving CWMP")?;
            }
            () = until => {}
        }
        northbound.abort();
        let c = &counters;
        let connection_requests: serde_json::Map<String, serde_json::Value> = c
            .connection_requests
            .by_kind()
            .into_iter()
            .map(|(kind, n)| (kind.to_string(), n.into()))
            .collect();
        println!(
            "{}",
            serde_json::json!({
                "event": "report",
                "sessions_completed": c.sessions_ok.load(Ordering::Relaxed),
                "sessions_failed": c.sessions_failed.load(Ordering::Relaxed),
                "informs": c.informs.load(Ordering::Relaxed),
                "auth_failures": c.auth_failures.load(Ordering::Relaxed),
                "identity_refusals": c.identity_refusals.load(Ordering::Relaxed),
                "tls_handshake_failures": c.tls_handshake_failures.load(Ordering::Relaxed),
                "cpe_faults": c.cpe_faults.load(Ordering::Relaxed),
                "events_dropped": c.events_dropped.load(Ordering::Relaxed),
                "connection_requests": connection_requests,
                "cpe_requests": plan_times.report(),
                "notifications": notify_times.report(),
            })
        );
        Ok(())
    })
}

/// Engine events waiting for the northbound (a boot storm's Informs).
const DEVICE_EVENTS: usize = 65_536;

async fn listen(addr: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    acs::server::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))
}

/// The registry file in `dir`, created on first use.
pub fn open_registry(dir: &Path) -> anyhow::Result<store::RedbStore> {
    open_registry_with_cache(dir, store::DEFAULT_CACHE_BYTES)
}

fn open_registry_with_cache(dir: &Path, cache_bytes: usize) -> anyhow::Result<store::RedbStore> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
    let path = dir.join("registry.redb");
    store::RedbStore::open_with_cache(&path, cache_bytes)
        .with_context(|| format!("cannot open {}", path.display()))
}

#[derive(clap::Args, Debug)]
pub struct DevicesArgs {
    /// The data directory of a stopped `cwmp2usp run`.
    #[arg(long, default_value = "data", env = "CWMP2USP_DATA_DIR")]
    data_dir: PathBuf,
}

/// `cwmp2usp devices`: one JSON line per registered device.
pub fn devices(args: &DevicesArgs) -> anyhow::Result<()> {
    if !args.data_dir.join("registry.redb").exists() {
        anyhow::bail!("no registry in {}", args.data_dir.display());
    }
    let store = open_registry(&args.data_dir)?;
    for record in store.all()? {
        let line = serde_json::json!({
            "endpoint_id": record.key.endpoint_id(),
            "oui": record.key.oui,
            "product_class": record.key.product_class,
            "serial": record.key.serial,
            "root": record.root,
            "cwmp_version": record.cwmp_version,
            "connection_request_url": record.connection_request_url,
            "last_events": record.last_events,
            "last_inform_unix": record.last_inform.as_secs(),
            "parameters": record.params.len(),
            "provisioning": provisioning(&record.provisioning),
            // Whether set, never what: passwords stay in the registry.
            "connection_request_credentials": record.has_connection_request_credentials(),
        });
        println!("{line}");
    }
    Ok(())
}

fn provisioning(p: &acs::Provisioning) -> serde_json::Value {
    match p {
        acs::Provisioning::Needed => serde_json::json!("needed"),
        acs::Provisioning::Done { at } => serde_json::json!({"done_unix": at.as_secs()}),
        acs::Provisioning::Failed { at, fault } => {
            serde_json::json!({"failed_unix": at.as_secs(), "fault": fault})
        }
    }
}
