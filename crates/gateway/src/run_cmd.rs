//! `cwmp2usp run`: the gateway's ACS side (first slice: CWMP sessions with
//! shared credentials and an in-memory registry).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use acs::server::{AuthMode, Counters, ServerConfig};
use acs::Store as _;
use anyhow::Context as _;

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// Where CPE reach the ACS (plain HTTP).
    #[arg(long, default_value = "127.0.0.1:7547", env = "CWMP2USP_CWMP_LISTEN")]
    cwmp_listen: SocketAddr,
    /// How CPE authenticate.
    #[arg(long, value_enum, default_value = "digest", env = "CWMP2USP_CWMP_AUTH")]
    cwmp_auth: Auth,
    /// Shared CPE user name.
    #[arg(long, default_value = "cpe", env = "CWMP2USP_CWMP_USER")]
    cwmp_user: String,
    /// Shared CPE password (required unless --cwmp-auth none).
    #[arg(long, env = "CWMP2USP_CWMP_PASSWORD", hide_env_values = true)]
    cwmp_password: Option<String>,
    /// Where the device registry lives (created if missing).
    #[arg(long, default_value = "data", env = "CWMP2USP_DATA_DIR")]
    data_dir: PathBuf,
    /// Largest request body accepted; larger ones get 413.
    #[arg(long, default_value_t = 1024 * 1024)]
    max_body: usize,
    /// Seconds allowed for a request head, and again for its body.
    #[arg(long, default_value_t = 10)]
    read_timeout: u64,
    /// Seconds of silence that end a CWMP session.
    #[arg(long, default_value_t = 30)]
    session_timeout: u64,
    /// Sessions open at once; beyond, CPE get 503 with Retry-After.
    #[arg(long, default_value_t = 10_000)]
    max_sessions: usize,
    /// Exit after this many seconds, printing the report (default: run until
    /// SIGINT or SIGTERM).
    #[arg(long)]
    duration: Option<u64>,
    #[command(flatten)]
    devices: crate::device_args::DeviceArgs,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Auth {
    None,
    Basic,
    Digest,
}

pub fn run(args: &RunArgs) -> anyhow::Result<()> {
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
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    // Shared by the engine, the committer and authentication.
    let store = Arc::new(open_registry(&args.data_dir)?);
    let devices = store.len();
    rt.block_on(async {
        let listener = acs::server::bind(args.cwmp_listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.cwmp_listen))?;
        let addr = listener.local_addr().context("listening address")?;
        let mut engine_config = acs::EngineConfig {
            session_timeout: Duration::from_secs(args.session_timeout),
            max_sessions: args.max_sessions,
            ..acs::EngineConfig::default()
        };
        args.devices.apply(&mut engine_config);
        let engine = acs::Engine::new(engine_config, store);
        let config = ServerConfig {
            auth,
            user: args.cwmp_user.clone(),
            password,
            max_body: args.max_body,
            read_timeout: Duration::from_secs(args.read_timeout),
        };
        let counters = Arc::new(Counters::default());
        println!(
            "{}",
            serde_json::json!({
                "event": "ready",
                "cwmp": format!("http://{addr}/"),
                "devices": devices,
            })
        );
        let until = async {
            match args.duration {
                Some(s) => tokio::time::sleep(Duration::from_secs(s)).await,
                None => crate::sim_cmd::stop_signal().await,
            }
        };
        tokio::select! {
            served = acs::server::serve(listener, engine, config, counters.clone()) => {
                served.context("serving CWMP")?;
            }
            () = until => {}
        }
        let c = &counters;
        println!(
            "{}",
            serde_json::json!({
                "event": "report",
                "sessions_completed": c.sessions_ok.load(Ordering::Relaxed),
                "sessions_failed": c.sessions_failed.load(Ordering::Relaxed),
                "informs": c.informs.load(Ordering::Relaxed),
                "auth_failures": c.auth_failures.load(Ordering::Relaxed),
                "identity_refusals": c.identity_refusals.load(Ordering::Relaxed),
            })
        );
        Ok(())
    })
}

/// The registry file in `dir`, created on first use.
pub fn open_registry(dir: &Path) -> anyhow::Result<store::RedbStore> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
    let path = dir.join("registry.redb");
    store::RedbStore::open(&path).with_context(|| format!("cannot open {}", path.display()))
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
