//! Runs the real `cwmp2usp sim` binary for a test and kills it on drop.
#![allow(dead_code)]

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::http::{self, Reply};

pub const WAIT: Duration = Duration::from_secs(20);

pub fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cwmp2usp"));
    // Tests run side by side: a gateway's USP WebSocket server must not
    // take its fixed default port (a test's own --ws-listen still wins).
    cmd.env("CWMP2USP_WS_LISTEN", "127.0.0.1:0");
    cmd
}

/// A port that was free a moment ago (nothing listens there: a dead URL).
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

pub struct Sim {
    child: Child,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
}

pub fn pump(mut from: impl Read + Send + 'static, to: Arc<Mutex<String>>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0 {
                break;
            }
            to.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    })
}

impl Sim {
    /// `cwmp2usp sim --acs URL --count 1 --interval 3600 <extra>`.
    pub fn start(acs_url: &str, extra: &[&str]) -> Sim {
        let mut cmd = bin();
        // Port 0: the simulator reports the address it got in its ready line.
        cmd.args(["sim", "--acs", acs_url, "--control-listen", "127.0.0.1:0"]);
        if !extra.contains(&"--count") {
            cmd.args(["--count", "1"]);
        }
        if !extra.contains(&"--interval") {
            cmd.args(["--interval", "3600"]);
        }
        if !extra.contains(&"--reboot-delay-ms") {
            cmd.args(["--reboot-delay-ms", "200"]);
        }
        cmd.args(extra)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn cwmp2usp sim");
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let readers = vec![
            pump(child.stdout.take().unwrap(), stdout.clone()),
            pump(child.stderr.take().unwrap(), stderr.clone()),
        ];
        Sim {
            child,
            stdout,
            stderr,
            readers,
        }
    }

    /// The control API base URL, from the `{"event":"ready",...}` line.
    pub fn control(&self) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let out = self.stdout();
            let ready = out
                .lines()
                .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                .find(|v| v["event"] == "ready");
            if let Some(url) = ready.as_ref().and_then(|v| v["control"].as_str()) {
                return url.to_string();
            }
            assert!(
                Instant::now() < deadline,
                "no ready line with the control URL; stdout: {out}\nstderr: {}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Changes a value as a local user would (control API).
    pub fn set_value(&self, serial: &str, name: &str, value: &str) -> Reply {
        let body = serde_json::json!({ "name": name, "value": value });
        http::post_json(
            &format!("{}/cpe/{serial}/set", self.control()),
            &body.to_string(),
        )
    }

    /// Adds an instance to a table (`verb` "add") or deletes an instance
    /// ("delete") as a local user would (control API).
    pub fn object(&self, serial: &str, verb: &str, name: &str) -> Reply {
        let body = serde_json::json!({ "name": name });
        http::post_json(
            &format!("{}/cpe/{serial}/{verb}", self.control()),
            &body.to_string(),
        )
    }

    /// Triggers `reboot`, `boot` or `periodic` on one CPE (control API).
    pub fn trigger(&self, serial: &str, what: &str) -> Reply {
        http::post_json(&format!("{}/cpe/{serial}/{what}", self.control()), "")
    }

    /// A value as the CPE holds it (control API).
    pub fn get_value(&self, serial: &str, name: &str) -> Option<String> {
        let r = http::get(&format!("{}/cpe/{serial}/get?name={name}", self.control()));
        if r.status != 200 {
            return None;
        }
        let v: serde_json::Value = serde_json::from_str(&r.body).ok()?;
        v["value"].as_str().map(str::to_string)
    }

    /// Statistics (control API).
    pub fn stats(&self) -> serde_json::Value {
        let r = http::get(&format!("{}/stats", self.control()));
        assert_eq!(r.status, 200, "{}", r.body);
        serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("stats not JSON ({e}): {}", r.body))
    }

    /// Polls the statistics until `ok` holds. `limit` only guards against
    /// a hang: nothing waits on how fast this machine is.
    pub fn wait_for(
        &self,
        what: &str,
        limit: Duration,
        ok: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let deadline = Instant::now() + limit;
        loop {
            let s = self.stats();
            if ok(&s) {
                return s;
            }
            assert!(Instant::now() < deadline, "never {what}: {s}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits for the process to exit by itself (after `--duration`).
    pub fn wait_exit(mut self, timeout: Duration) -> (std::process::ExitStatus, String, String) {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                for r in self.readers.drain(..) {
                    let _ = r.join();
                }
                return (status, self.stdout(), self.stderr());
            }
            if Instant::now() > deadline {
                panic!(
                    "sim did not exit within {timeout:?}\nstdout:\n{}\nstderr:\n{}",
                    self.stdout(),
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!(
                "--- sim stderr ---\n{}\n--- sim stdout ---\n{}",
                self.stderr(),
                self.stdout()
            );
        }
    }
}

/// Sessions completed, from a statistics or report object.
pub fn completed(stats: &serde_json::Value) -> u64 {
    stats["sessions_completed"].as_u64().unwrap_or(0)
}
