//! Agents the conformance tests talk to, each on a free 127.0.0.1 port with a throwaway
//! directory, killed on drop: `pdusim` (this workspace's binary) and net-snmp's `snmpd` with
//! the PDU2 pass_persist script (copied from driver/tests). A missing binary is a FAILURE.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::{TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn free_tcp_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The workspace's target directory binary `name` (built by cargo for this test run or before).
pub fn workspace_bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/debug/deps/test-xxxx -> target/debug/NAME
    let dir = exe.parent().and_then(Path::parent).unwrap();
    dir.join(name)
}

pub struct Agent {
    pub child: Child,
    pub port: u16,
    pub control_port: Option<u16>,
    pub dir: tempfile::TempDir,
}

impl Agent {
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("agent.log")).unwrap_or_default()
    }

    fn log_file(dir: &Path) -> std::fs::File {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("agent.log"))
            .unwrap()
    }

    /// `pdusim serve` with the embedded default's PDU (raritan-px2, users admin/authonly/noauth),
    /// moved to a free port and a throwaway state directory, with the control API.
    pub fn pdusim() -> Agent {
        let bin = workspace_bin("pdusim");
        if !bin.exists() {
            let status = Command::new(env!("CARGO"))
                .args(["build", "-p", "pdusim", "--bin", "pdusim"])
                .status()
                .unwrap();
            assert!(status.success(), "cannot build pdusim");
        }
        let dir = tempfile::tempdir().unwrap();
        let port = free_udp_port();
        let control = free_tcp_port();
        let config = pdusim::config::DEFAULT_CONFIG
            .replace("127.0.0.1:1161", &format!("127.0.0.1:{port}"))
            .replace(
                "# state_dir = \"/var/lib/pdusim\"",
                &format!("state_dir = {:?}", dir.path().join("state")),
            );
        let conf = dir.path().join("pdus.toml");
        std::fs::write(&conf, config).unwrap();
        let log = Self::log_file(dir.path());
        let child = Command::new(&bin)
            .args(["serve", "--config"])
            .arg(&conf)
            .args(["--control", &format!("127.0.0.1:{control}")])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let mut agent = Agent {
            child,
            port,
            control_port: Some(control),
            dir,
        };
        agent.wait_ready();
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", control)).is_err() {
            assert!(
                Instant::now() < deadline,
                "control API did not come up: {}",
                agent.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        agent
    }

    /// net-snmp's snmpd serving a writable PDU2 subtree, v2c `private`/`public` and a SHA/AES user.
    pub fn snmpd(outlets: u32) -> Agent {
        const SNMPD: &str = "/usr/sbin/snmpd";
        assert!(Path::new(SNMPD).exists(), "{SNMPD} is missing: install net-snmp's agent (Debian package `snmpd`); this test never skips");
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("pdu2_outlets.py");
        // The driver tests own the script; one copy serves both.
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../driver/tests/pdu2_outlets.py"),
            &script,
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let persist = dir.path().join("persist");
        std::fs::create_dir_all(&persist).unwrap();
        let port = free_udp_port();
        let conf = dir.path().join("snmpd.conf");
        std::fs::write(
            &conf,
            format!(
                "agentAddress udp:127.0.0.1:{port}\n[snmp] persistentDir {persist}\n\
                 rwcommunity private 127.0.0.1\nrocommunity public 127.0.0.1\n\
                 sysObjectID .1.3.6.1.4.1.13742.6\nsysDescr PX2 030004 (net-snmp test agent)\n\
                 dontLogTCPWrappersConnects yes\n\
                 pass_persist .1.3.6.1.4.1.13742.6 {script} {outlets}\n\
                 createUser shaaes SHA \"shaaes-auth-key\" AES \"shaaes-priv-key\"\nrwuser shaaes priv\n",
                persist = persist.display(),
                script = script.display()
            ),
        )
        .unwrap();
        let log = Self::log_file(dir.path());
        let child = Command::new(SNMPD)
            .args(["-f", "-Lo", "-C", "-c"])
            .arg(&conf)
            .arg("-p")
            .arg(dir.path().join("snmpd.pid"))
            .env("SNMP_PERSISTENT_DIR", &persist)
            .env("MIBS", "")
            .env("MIBDIRS", dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut agent = Agent {
            child,
            port,
            control_port: None,
            dir,
        };
        agent.wait_ready();
        agent
    }

    /// Polls with a v2c GET of sysDescr (community public) until the agent answers.
    fn wait_ready(&mut self) {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let get: &[u8] = &[
            0x30, 0x26, 0x02, 0x01, 0x01, 0x04, 0x06, b'p', b'u', b'b', b'l', b'i', b'c', 0xa0,
            0x19, 0x02, 0x01, 0x01, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x30, 0x0e, 0x30, 0x0c,
            0x06, 0x08, 0x2b, 6, 1, 2, 1, 1, 1, 0, 0x05, 0x00,
        ];
        let start = Instant::now();
        let mut buf = [0u8; 2048];
        while start.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the agent exited with {status}: {}", self.log());
            }
            let _ = sock.send_to(get, ("127.0.0.1", self.port));
            if matches!(sock.recv_from(&mut buf), Ok((n, _)) if n > 0) {
                return;
            }
        }
        panic!(
            "the agent did not answer on port {} within 10 s: {}",
            self.port,
            self.log()
        );
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
