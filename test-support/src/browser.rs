//! A real browser for tests: Debian's `chromedriver` on a port it picked (read back from its
//! banner), and the Chromium arguments a headless browser needs on a machine without internet.
//! Tests speak WebDriver to it with a client crate of their own (`fantoccini`).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Debian's Chromium.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// chromedriver, listening on `127.0.0.1:`[`Chromedriver::port`]; killed when dropped (the
/// browsers it started end with their sessions).
pub struct Chromedriver {
    child: Child,
    port: u16,
}

impl Chromedriver {
    /// Starts `chromedriver --port=0` and reads back the port it chose. Panics (naming the
    /// Debian packages to install) if it cannot be run or does not say its port within 30 s.
    pub fn start() -> Chromedriver {
        let mut child = Command::new("chromedriver")
            .arg("--port=0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot run chromedriver ({e}): install Debian's chromium and chromium-driver (scripts/test.sh does)")
            });
        let Some(stdout) = child.stdout.take() else {
            panic!("chromedriver's output is not readable")
        };
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("started successfully on port ").nth(1) {
                    let port: u16 = rest.trim_end_matches('.').trim().parse().unwrap_or(0);
                    let _ = tx.send(port);
                }
            }
        });
        let port = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(p) if p != 0 => p,
            other => {
                let _ = child.kill();
                panic!("chromedriver did not say which port it listens on: {other:?}")
            }
        };
        Chromedriver { child, port }
    }

    /// The TCP port it listens on (loopback).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Its WebDriver URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Chromium's command-line arguments for a headless run as root on a machine with no internet,
/// with its profile in `profile` (a fresh temporary folder) and a window of `width` x `height`
/// pixels: without these, its background connections fail many at a time.
pub fn chromium_args(profile: &Path, width: u32, height: u32) -> Vec<String> {
    let mut args: Vec<String> = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    args.push(format!("--user-data-dir={}", profile.display()));
    args.push(format!("--window-size={width},{height}"));
    args
}
