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
}

impl Gateway {
    /// `cwmp2usp run --cwmp-listen 127.0.0.1:0 <extra>` on a fresh data
    /// directory.
    pub fn start(extra: &[&str]) -> Gateway {
        let temp = tempfile::tempdir().expect("temp dir");
        let mut g = Gateway::start_in(temp.path(), extra);
        g._temp = Some(temp);
        g
    }

    /// As [`Gateway::start`], on the data directory `data`.
    pub fn start_in(data: &Path, extra: &[&str]) -> Gateway {
        let mut child = bin()
            .args(["run", "--cwmp-listen", "127.0.0.1:0", "--data-dir"])
            .arg(data)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn cwmp2usp run");
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        pump(child.stdout.take().unwrap(), stdout.clone());
        pump(child.stderr.take().unwrap(), stderr.clone());
        Gateway {
            child,
            data: data.to_path_buf(),
            _temp: None,
            stdout,
            stderr,
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
