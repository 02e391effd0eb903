//! Runs the real `cwmp2usp run` for a test and kills it on drop.

use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::sim::{bin, pump, WAIT};

pub struct Gateway {
    child: Child,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

impl Gateway {
    /// `cwmp2usp run --cwmp-listen 127.0.0.1:0 <extra>`.
    pub fn start(extra: &[&str]) -> Gateway {
        let mut child = bin()
            .args(["run", "--cwmp-listen", "127.0.0.1:0"])
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
            stdout,
            stderr,
        }
    }

    /// The CWMP URL from the `{"event":"ready",...}` line.
    pub fn cwmp_url(&self) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let out = self.stdout.lock().unwrap().clone();
            let url = out
                .lines()
                .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                .find(|v| v["event"] == "ready")
                .and_then(|v| v["cwmp"].as_str().map(str::to_string));
            if let Some(url) = url {
                return url;
            }
            assert!(
                Instant::now() < deadline,
                "no ready line; stdout: {out}\nstderr: {}",
                self.stderr.lock().unwrap()
            );
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
