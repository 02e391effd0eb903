//! A private RabbitMQ node with the STOMP plugin, for tests: its own node
//! name, free ports on 127.0.0.1 (AMQP, STOMP, Erlang distribution), its
//! database, logs and Erlang cookie in a temporary directory, killed when
//! the guard drops. Nothing here touches the machine's own broker.
//!
//! [`Broker::start`] falls back to a STOMP broker already answering on
//! 127.0.0.1:61613 (the machine's RabbitMQ with `rabbitmq-plugins enable
//! rabbitmq_stomp`) and returns `None` with a `SKIPPED` line when there is
//! neither, except under `CI=true`, where it panics instead. Only `std` and
//! `tempfile` are used so any test crate can include this file.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SERVER: &str = "/usr/lib/rabbitmq/bin/rabbitmq-server";
const SYSTEM_STOMP: &str = "127.0.0.1:61613";
/// A cold node boots in ~10 s on a shared 2-core machine.
const BOOT_LIMIT: Duration = Duration::from_secs(60);

pub struct Broker {
    /// `host:port` of the STOMP listener.
    pub stomp: String,
    /// `host:port` of the AMQP listener (private node only).
    pub amqp: Option<String>,
    node: Option<PrivateNode>,
}

struct PrivateNode {
    shell: Child,
    pid_file: PathBuf,
    _dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

/// Whether the broker at `addr` completes a STOMP handshake. RabbitMQ opens
/// the STOMP port before the node can serve it: a CONNECT sent then may go
/// unanswered for longer than a test waits, so an open port is not enough.
fn answers_stomp(addr: &str) -> bool {
    use std::io::{Read, Write};
    let Some(mut s) = addr
        .parse()
        .ok()
        .and_then(|a| TcpStream::connect_timeout(&a, Duration::from_millis(300)).ok())
    else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let _ = s.set_write_timeout(Some(Duration::from_secs(2)));
    let connect = b"CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\n\n\0";
    if s.write_all(connect).is_err() {
        return false;
    }
    let mut buf = [0u8; 512];
    let mut got = Vec::new();
    while got.len() < 9 {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return false,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    let ok = got.starts_with(b"CONNECTED");
    let _ = s.write_all(b"DISCONNECT\n\n\0");
    ok
}

impl Broker {
    /// A broker for `test`, or `None` (after printing why) if there is none.
    pub fn start(test: &str) -> Option<Broker> {
        let why = match Self::private() {
            Ok(b) => return Some(b),
            Err(why) => why,
        };
        if answers_stomp(SYSTEM_STOMP) {
            eprintln!("{test}: private RabbitMQ failed ({why}); using {SYSTEM_STOMP}");
            return Some(Broker {
                stomp: SYSTEM_STOMP.into(),
                amqp: None,
                node: None,
            });
        }
        let msg =
            format!("{test}: SKIPPED: no RabbitMQ with STOMP ({why}; nothing on {SYSTEM_STOMP})");
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{msg}; CI=true requires a broker (apt-get install rabbitmq-server)");
        }
        eprintln!("{msg}");
        None
    }

    fn private() -> Result<Broker, String> {
        if !std::path::Path::new(SERVER).exists() {
            return Err(format!("{SERVER} is not installed"));
        }
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let root = dir.path();
        let (amqp, stomp, dist) = (free_port(), free_port(), free_port());
        let path = |p: &str| root.join(p);
        for d in ["home", "mnesia", "log"] {
            std::fs::create_dir_all(path(d)).map_err(|e| e.to_string())?;
        }
        std::fs::write(path("enabled_plugins"), "[rabbitmq_stomp].\n")
            .map_err(|e| e.to_string())?;
        let conf = format!(
            "listeners.tcp.1 = 127.0.0.1:{amqp}\nstomp.listeners.tcp.1 = 127.0.0.1:{stomp}\n"
        );
        std::fs::write(path("rabbitmq.conf"), conf).map_err(|e| e.to_string())?;
        let node = format!("mtptest{}x{stomp}@localhost", std::process::id());
        let log = std::fs::File::create(path("server.out")).map_err(|e| e.to_string())?;
        let log2 = log.try_clone().map_err(|e| e.to_string())?;
        let shell = Command::new(SERVER)
            .current_dir(root)
            .env("HOME", path("home"))
            .env("RABBITMQ_NODENAME", &node)
            .env("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1")
            .env("RABBITMQ_NODE_PORT", amqp.to_string())
            .env("RABBITMQ_DIST_PORT", dist.to_string())
            .env("RABBITMQ_MNESIA_BASE", path("mnesia"))
            .env("RABBITMQ_LOG_BASE", path("log"))
            .env("RABBITMQ_ENABLED_PLUGINS_FILE", path("enabled_plugins"))
            .env("RABBITMQ_CONFIG_FILE", path("rabbitmq.conf"))
            .env("RABBITMQ_ADVANCED_CONFIG_FILE", path("advanced.config"))
            .env("RABBITMQ_PLUGINS_EXPAND_DIR", path("plugins-expand"))
            .env("RABBITMQ_PID_FILE", path("rabbit.pid"))
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2)
            .spawn()
            .map_err(|e| format!("cannot run {SERVER}: {e}"))?;
        let mut broker = Broker {
            stomp: format!("127.0.0.1:{stomp}"),
            amqp: Some(format!("127.0.0.1:{amqp}")),
            node: Some(PrivateNode {
                shell,
                pid_file: path("rabbit.pid"),
                _dir: dir,
            }),
        };
        let started = Instant::now();
        while started.elapsed() < BOOT_LIMIT {
            if answers_stomp(&broker.stomp) {
                eprintln!("private RabbitMQ {node} up in {:?}", started.elapsed());
                return Ok(broker);
            }
            if let Some(n) = broker.node.as_mut() {
                if let Ok(Some(status)) = n.shell.try_wait() {
                    let out = std::fs::read_to_string(n._dir.path().join("server.out"))
                        .unwrap_or_default();
                    return Err(format!("rabbitmq-server exited ({status}): {}", tail(&out)));
                }
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Err(format!("no STOMP listener after {BOOT_LIMIT:?}"))
    }
}

fn tail(s: &str) -> String {
    s.lines().rev().take(5).collect::<Vec<_>>().join(" | ")
}

impl Drop for Broker {
    fn drop(&mut self) {
        let Some(node) = self.node.as_mut() else {
            return;
        };
        // The script runs the Erlang VM as its child: kill the VM by the
        // pid it wrote, then reap the script.
        if let Ok(pid) = std::fs::read_to_string(&node.pid_file) {
            let pid = pid.trim();
            if !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()) {
                let _ = Command::new("kill").args(["-KILL", pid]).status();
            }
        }
        let _ = node.shell.kill();
        let _ = node.shell.wait();
    }
}
