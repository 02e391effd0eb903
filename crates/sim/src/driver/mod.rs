//! The tokio shell: runs a fleet of [`Cpe`]s over real sockets. It only
//! moves bytes and fires timers; every decision is the core's.
//!
//! One task per CPE; one listener for all connection requests
//! (`/cr/<serial>`) and one for the control API.

mod client;
mod h1;
mod servers;
pub mod stats;
pub mod tls;
pub mod url;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};

use crate::config::CpeConfig;
use crate::cpe::{Action, Cpe, TransferResult, Trigger};
use crate::profile::Profile;
use client::{AcsTarget, TransferLimits};
use stats::Stats;
pub use url::HttpUrl;

/// Everything `cwmp2usp sim` configures.
#[derive(Debug, Clone)]
pub struct FleetOptions {
    pub acs_url: String,
    /// For an `https://` ACS.
    pub acs_tls: tls::TlsOptions,
    pub count: u32,
    /// Per-CPE settings; `acs_path`, `acs_url` and `cr_url_prefix` are
    /// filled in by [`run`].
    pub cpe: CpeConfig,
    pub control_listen: SocketAddr,
    pub cr_listen: SocketAddr,
    /// Require Digest on connection requests.
    pub cr_digest: bool,
    /// Stop after this long (None: until a signal).
    pub duration: Option<Duration>,
    /// Spread the first boots evenly over this time (zero: all at once).
    pub boot_spread: Duration,
    /// Sessions in flight at once, fleet-wide.
    pub max_concurrent_sessions: usize,
    pub http_timeout: Duration,
    pub max_body: usize,
    pub transfer_timeout: Duration,
    pub transfer_max_bytes: usize,
    /// Progress line on stderr this often (None: never).
    pub progress_every: Option<Duration>,
}

impl Default for FleetOptions {
    fn default() -> Self {
        FleetOptions {
            acs_url: "http://127.0.0.1:7547/".into(),
            acs_tls: tls::TlsOptions::default(),
            count: 1,
            cpe: CpeConfig::default(),
            control_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            cr_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            cr_digest: true,
            duration: None,
            boot_spread: Duration::ZERO,
            max_concurrent_sessions: 1024,
            http_timeout: Duration::from_secs(30),
            max_body: 4 * 1024 * 1024,
            transfer_timeout: Duration::from_secs(30),
            transfer_max_bytes: 16 * 1024 * 1024,
            progress_every: Some(Duration::from_secs(5)),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    #[error("--acs: {0}")]
    AcsUrl(#[from] url::UrlError),
    #[error("--acs: cannot resolve {0}")]
    Resolve(String),
    #[error("cannot listen on {addr}: {msg}")]
    Listen { addr: SocketAddr, msg: String },
    #[error("--count must be at least 1")]
    NoCpe,
    #[error("{0}")]
    Tls(String),
}

/// Messages to one CPE's task.
enum Msg {
    ConnectionRequest,
    Set {
        name: String,
        value: String,
        reply: oneshot::Sender<Result<(), String>>,
    },
    /// Add an instance to a table (`add`), or delete an instance.
    Object {
        name: String,
        add: bool,
        reply: oneshot::Sender<Result<Option<u32>, String>>,
    },
    Get {
        name: String,
        reply: oneshot::Sender<Option<(String, String)>>,
    },
    Trigger(Trigger),
    TransferDone(TransferResult),
}

/// What the listeners know of one CPE.
struct Handle {
    tx: mpsc::Sender<Msg>,
    cr_creds: Mutex<(String, String)>,
}

struct Shared {
    start: Instant,
    stats: Stats,
    acs: AcsTarget,
    sessions: Arc<Semaphore>,
    transfer: TransferLimits,
    count: usize,
}

impl Shared {
    fn now(&self) -> Duration {
        self.start.elapsed()
    }
}

/// Addresses the fleet listens on, reported once everything is bound.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Ready {
    pub control: String,
    pub connection_request_prefix: String,
    pub count: u32,
    pub first_serial: String,
}

/// Runs the fleet until `duration` elapses or `stop` resolves; calls
/// `on_ready` once listening and returns the final statistics.
pub async fn run(
    opts: FleetOptions,
    profile: Arc<Profile>,
    on_ready: impl FnOnce(&Ready),
    stop: impl std::future::Future<Output = ()>,
) -> Result<serde_json::Value, FleetError> {
    if opts.count == 0 {
        return Err(FleetError::NoCpe);
    }
    let acs_url = HttpUrl::parse(&opts.acs_url)?;
    let t = &opts.acs_tls;
    let acs_tls = if acs_url.tls {
        Some(tls::TlsTarget::new(t, &acs_url.host).map_err(FleetError::Tls)?)
    } else if t.ca.is_some() || t.insecure || t.client_cert.is_some() {
        return Err(FleetError::Tls(
            "--acs-ca, --acs-insecure and --client-cert need an https:// --acs URL".into(),
        ));
    } else {
        None
    };
    let acs_addr = tokio::net::lookup_host(acs_url.authority())
        .await
        .ok()
        .and_then(|mut it| it.next())
        .ok_or_else(|| FleetError::Resolve(acs_url.authority()))?;
    let cr_listener = bind(opts.cr_listen).await?;
    let control_listener = bind(opts.control_listen).await?;
    let cr_addr = cr_listener.local_addr().map_err(|e| FleetError::Listen {
        addr: opts.cr_listen,
        msg: e.to_string(),
    })?;
    let control_addr = control_listener
        .local_addr()
        .map_err(|e| FleetError::Listen {
            addr: opts.control_listen,
            msg: e.to_string(),
        })?;

    let mut cfg = opts.cpe.clone();
    cfg.acs_url = opts.acs_url.clone();
    cfg.acs_path = acs_url.path.clone();
    cfg.cr_url_prefix = format!("http://{cr_addr}/cr/");
    cfg.epoch_unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let cfg = Arc::new(cfg);

    let shared = Arc::new(Shared {
        start: Instant::now(),
        stats: Stats::default(),
        acs: AcsTarget {
            addr: acs_addr,
            authority: acs_url.authority(),
            path: acs_url.path.clone(),
            timeout: opts.http_timeout,
            max_body: opts.max_body,
            tls: acs_tls,
        },
        sessions: Arc::new(Semaphore::new(opts.max_concurrent_sessions.max(1))),
        transfer: TransferLimits {
            timeout: opts.transfer_timeout,
            max_bytes: opts.transfer_max_bytes,
        },
        count: opts.count as usize,
    });

    let mut registry: HashMap<Box<str>, Arc<Handle>> = HashMap::with_capacity(opts.count as usize);
    let mut tasks = Vec::with_capacity(opts.count as usize);
    for i in 0..opts.count {
        let cpe = Cpe::new(cfg.clone(), profile.clone(), i);
        let (tx, rx) = mpsc::channel(16);
        let handle = Arc::new(Handle {
            tx: tx.clone(),
            cr_creds: Mutex::new((cfg.cr_user.clone(), cfg.cr_password.clone())),
        });
        registry.insert(cpe.serial().into(), handle.clone());
        let boot_at = if opts.count > 1 {
            opts.boot_spread
                .mul_f64(f64::from(i) / f64::from(opts.count))
        } else {
            Duration::ZERO
        };
        tasks.push((cpe, rx, tx, handle, boot_at));
    }
    let registry = Arc::new(registry);
    let ready = Ready {
        control: format!("http://{control_addr}"),
        connection_request_prefix: cfg.cr_url_prefix.clone(),
        count: opts.count,
        first_serial: cfg.serial(0),
    };

    let mut join = tokio::task::JoinSet::new();
    join.spawn(servers::serve_connection_requests(
        cr_listener,
        registry.clone(),
        shared.clone(),
        opts.cr_digest,
        cfg.refuse_cr,
    ));
    join.spawn(servers::serve_control(
        control_listener,
        registry.clone(),
        shared.clone(),
    ));
    for (cpe, rx, tx, handle, boot_at) in tasks {
        join.spawn(cpe_task(cpe, rx, tx, handle, shared.clone(), boot_at));
    }
    on_ready(&ready);

    let progress = async {
        let Some(every) = opts.progress_every else {
            return std::future::pending::<()>().await;
        };
        let mut tick = tokio::time::interval(every);
        tick.tick().await;
        loop {
            tick.tick().await;
            let s = shared.stats.snapshot(shared.count, shared.now());
            eprintln!(
                "sim: t={:.0}s sessions={} failed={} rate={}/s inform_p99={}ms",
                shared.now().as_secs_f64(),
                s["sessions_completed"],
                s["sessions_failed"],
                s["sessions_per_second"],
                s["inform_rtt_ms"]["p99"],
            );
        }
    };
    let until = async {
        match opts.duration {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = until => {}
        _ = stop => {}
        _ = progress => {}
    }
    let report = shared.stats.snapshot(shared.count, shared.now());
    join.abort_all();
    Ok(report)
}

async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, FleetError> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| FleetError::Listen {
            addr,
            msg: e.to_string(),
        })
}

async fn sleep_until(deadline: Option<Duration>, start: Instant) {
    match deadline {
        Some(d) => tokio::time::sleep_until((start + d).into()).await,
        None => std::future::pending().await,
    }
}

/// A configuration file body for Upload, generated from the data model.
fn upload_body(cpe: &Cpe) -> Bytes {
    let mut out = String::new();
    for e in cpe.model().under(cpe.model().root()).take(5000) {
        out.push_str(e.name);
        out.push('=');
        out.push_str(e.value);
        out.push('\n');
    }
    Bytes::from(out)
}

async fn cpe_task(
    mut cpe: Cpe,
    mut rx: mpsc::Receiver<Msg>,
    tx: mpsc::Sender<Msg>,
    handle: Arc<Handle>,
    sh: Arc<Shared>,
    boot_at: Duration,
) {
    tokio::time::sleep_until((sh.start + boot_at).into()).await;
    cpe.power_on(sh.now());
    let tls = sh.acs.tls.as_ref().map(tls::TlsTarget::for_cpe);
    let mut conn: Option<h1::Conn> = None;
    let mut permit: Option<OwnedSemaphorePermit> = None;
    let mut rpcs_counted = 0u64;
    loop {
        while let Some(action) = cpe.poll_action() {
            match action {
                Action::Send(req) => {
                    if req.new_connection && permit.is_none() {
                        permit = sh.sessions.clone().acquire_owned().await.ok();
                    }
                    let fresh = req.new_connection;
                    match client::post(&mut conn, &sh.acs, tls.as_ref(), req).await {
                        Ok(resp) => {
                            if fresh && conn.as_ref().is_some_and(h1::Conn::resumed) {
                                sh.stats
                                    .tls_resumed
                                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            }
                            cpe.handle_response(sh.now(), resp)
                        }
                        Err(_) => {
                            conn = None;
                            cpe.handle_transport_error(sh.now());
                        }
                    }
                }
                Action::SessionEnded { ok, inform_rtt } => {
                    conn = None;
                    permit = None;
                    let c = if ok {
                        &sh.stats.sessions_ok
                    } else {
                        &sh.stats.sessions_failed
                    };
                    c.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if let Some(rtt) = inform_rtt {
                        sh.stats.record_rtt(rtt);
                    }
                    sh.stats.rpcs.fetch_add(
                        cpe.stats.rpcs - rpcs_counted,
                        std::sync::atomic::Ordering::Relaxed,
                    );
                    rpcs_counted = cpe.stats.rpcs;
                }
                Action::Drop => conn = None,
                Action::Rebooting => {
                    conn = None;
                    sh.stats
                        .reboots
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                Action::CrCredentials { user, password } => {
                    if let Ok(mut c) = handle.cr_creds.lock() {
                        *c = (user, password);
                    }
                }
                Action::Transfer(job) => {
                    sh.stats
                        .transfers
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let tx = tx.clone();
                    let sh2 = sh.clone();
                    let body = if job.upload {
                        upload_body(&cpe)
                    } else {
                        Bytes::new()
                    };
                    tokio::spawn(async move {
                        let start = sh2.now();
                        let r =
                            client::transfer(&job, sh2.transfer, start, || sh2.now(), body).await;
                        let _ = tx.send(Msg::TransferDone(r)).await;
                    });
                }
            }
        }
        tokio::select! {
            msg = rx.recv() => match msg {
                None => return,
                Some(Msg::ConnectionRequest) => {
                    cpe.handle_connection_request(sh.now());
                }
                Some(Msg::Set { name, value, reply }) => {
                    let _ = reply.send(cpe.handle_local_set(sh.now(), &name, &value));
                }
                Some(Msg::Object { name, add, reply }) => {
                    let _ = reply.send(cpe.handle_local_object(sh.now(), &name, add));
                }
                Some(Msg::Get { name, reply }) => {
                    let v = cpe.model().get(&name).map(|e| {
                        (e.value.to_string(), match e.kind {
                            crate::profile::Kind::Object => "object".to_string(),
                            crate::profile::Kind::Value(t) => {
                                t.xsi_type().trim_start_matches("xsd:").to_string()
                            }
                        })
                    });
                    let _ = reply.send(v);
                }
                Some(Msg::Trigger(t)) => cpe.trigger(sh.now(), t),
                Some(Msg::TransferDone(r)) => cpe.handle_transfer_done(sh.now(), r),
            },
            _ = sleep_until(cpe.poll_timeout(), sh.start) => cpe.handle_timeout(sh.now()),
        }
    }
}
