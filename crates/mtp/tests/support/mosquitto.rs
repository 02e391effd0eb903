//! A test Mosquitto: each test starts its own on a free port of 127.0.0.1
//! and the guard kills it when dropped.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian and Ubuntu install the broker.
pub const MOSQUITTO: &str = "/usr/sbin/mosquitto";

/// A running Mosquitto; killed on drop.
pub struct Mosquitto {
    pub port: u16,
    child: Option<Child>,
    dir: tempfile::TempDir,
    extra: String,
}

impl Mosquitto {
    /// Starts a broker listening on 127.0.0.1 only, anonymous, without a
    /// connection limit. `None` when the binary is missing, so a test can
    /// say it skipped.
    pub fn start() -> Option<Self> {
        Self::start_with("")
    }

    /// As [`Mosquitto::start`], with more configuration lines.
    pub fn start_with(extra: &str) -> Option<Self> {
        if !std::path::Path::new(MOSQUITTO).exists() {
            // CI installs it (.ci/run): a skip there would hide a gap.
            assert!(std::env::var_os("CI").is_none(), "no {MOSQUITTO} under CI");
            eprintln!("skipped: no {MOSQUITTO}");
            return None;
        }
        let port = free_port();
        let dir = tempfile::tempdir().expect("temp dir");
        let mut broker = Mosquitto {
            port,
            child: None,
            dir,
            extra: extra.to_owned(),
        };
        broker.spawn();
        Some(broker)
    }

    pub fn url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.port)
    }

    /// Kills the broker (its clients see the connection drop).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    fn config_path(&self) -> PathBuf {
        self.dir.path().join("mosquitto.conf")
    }

    fn spawn(&mut self) {
        let path = self.config_path();
        let mut f = std::fs::File::create(&path).expect("config file");
        writeln!(
            f,
            "listener {} 127.0.0.1\nallow_anonymous true\nmax_connections -1\npersistence false\n{}",
            self.port, self.extra
        )
        .expect("write config");
        drop(f);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let child = Command::new(MOSQUITTO)
                .arg("-c")
                .arg(&path)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start mosquitto");
            self.child = Some(child);
            // Right after a kill the port may still be held for a moment.
            if wait_for_port(self.port, Duration::from_secs(3)) {
                return;
            }
            self.stop();
            assert!(Instant::now() < deadline, "mosquitto did not start");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

fn wait_for_port(port: u16, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}
