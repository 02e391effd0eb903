//! Runs the real `cwmp2usp run` for a test and kills it on drop.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::sim::{bin, pump, WAIT};

pub struct Gateway {
    child: Child,
    /// The data directory, removed with the Gateway unless kept.
    pub data: PathBuf,
    _temp: Option<tempfile::TempDir>,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    pumps: Vec<std::thread::JoinHandle<()>>,
}

impl Gateway {
    /// `cwmp2usp run --cwmp-listen 127.0.0.1:0 <extra>` on a fresh data
    /// directory (`extra` or the environment may give another address).
    pub fn start(extra: &[&str]) -> Gateway {
        Gateway::start_env(extra, &[])
    }

    /// As [`Gateway::start`], with environment variables.
    pub fn start_env(extra: &[&str], env: &[(&str, &str)]) -> Gateway {
        let temp = tempfile::tempdir().expect("temp dir");
        let mut g = Gateway::spawn(temp.path(), extra, env);
        g._temp = Some(temp);
        g
    }

    /// As [`Gateway::start`], on the data directory `data`.
    pub fn start_in(data: &Path, extra: &[&str]) -> Gateway {
        Gateway::spawn(data, extra, &[])
    }

    fn spawn(data: &Path, extra: &[&str], env: &[(&str, &str)]) -> Gateway {
        let mut cmd = bin();
        cmd.arg("run");
        let listen_given = extra.contains(&"--cwmp-listen")
            || env.iter().any(|(k, _)| *k == "CWMP2USP_CWMP_LISTEN");
        if !listen_given {
            cmd.args(["--cwmp-listen", "127.0.0.1:0"]);
        }
        let mut child = cmd
            .arg("--data-dir")
            .arg(data)
            .args(extra)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn cwmp2usp run");
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let pumps = vec![
            pump(child.stdout.take().unwrap(), stdout.clone()),
            pump(child.stderr.take().unwrap(), stderr.clone()),
        ];
        Gateway {
            child,
            data: data.to_path_buf(),
            _temp: None,
            stdout,
            stderr,
            pumps,
        }
    }

    /// The `{"event":"ready",...}` line.
    pub fn ready(&self) -> serde_json::Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let out = self.stdout.lock().unwrap().clone();
            let ready = out
                .lines()
                .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                .find(|v| v["event"] == "ready");
            if let Some(ready) = ready {
                return ready;
            }
            assert!(
                Instant::now() < deadline,
                "no ready line; stdout: {out}\nstderr: {}",
                self.stderr.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// What the gateway wrote to stdout so far.
    pub fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    /// What the gateway wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// SIGKILL: no chance to flush anything.
    pub fn kill_9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The CWMP URL from the ready line.
    pub fn cwmp_url(&self) -> String {
        self.ready()["cwmp"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The HTTPS CWMP URL from the ready line.
    pub fn cwmps_url(&self) -> String {
        self.ready()["cwmps"]
            .as_str()
            .unwrap_or_else(|| panic!("no cwmps in {}", self.ready()))
            .to_string()
    }

    /// SIGTERM, then everything it wrote to stdout and to stderr once it
    /// has exited.
    pub fn finish(mut self) -> (String, String) {
        let _ = std::process::Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + WAIT;
        while self.child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "the gateway ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
        // Both pipes are at their end once the process is gone.
        for p in self.pumps.drain(..) {
            let _ = p.join();
        }
        (self.stdout(), self.stderr())
    }

    /// SIGTERM, then the report line once the gateway has exited.
    pub fn stop(self) -> serde_json::Value {
        let _ = std::process::Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + WAIT;
        loop {
            let out = self.stdout.lock().unwrap().clone();
            let report = out
                .lines()
                .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                .find(|v| v["event"] == "report");
            if let Some(report) = report {
                return report;
            }
            assert!(Instant::now() < deadline, "no report line: {out}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!(
                "--- gateway stderr ---\n{}\n--- gateway stdout ---\n{}",
                self.stderr.lock().unwrap(),
                self.stdout.lock().unwrap()
            );
        }
    }
}
