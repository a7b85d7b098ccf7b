//! Test agents the driver is proven against. Each starts on a free 127.0.0.1 UDP port with
//! a throwaway directory and is killed on drop. A missing agent binary is a test FAILURE.
//!
//! `snmpd` is net-snmp's agent (nobody on this project wrote it). A `pdusim` agent can be
//! added beside it: implement `TestAgent` and reuse `USERS` / `config_for`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pdu_driver::{auth_name, priv_name, AuthProtocol, Config, PrivProtocol, SnmpVersion, Vendor};

/// One SNMPv3 user, the same for every test agent.
#[derive(Debug, Clone, Copy)]
pub struct TestUser {
    pub name: &'static str,
    pub auth: Option<AuthProtocol>,
    pub auth_key: &'static str,
    pub privacy: Option<PrivProtocol>,
    pub priv_key: &'static str,
}

impl TestUser {
    pub fn level(&self) -> &'static str {
        match (self.auth, self.privacy) {
            (None, _) => "noauth",
            (_, None) => "auth",
            _ => "priv",
        }
    }
}

pub const fn user(
    name: &'static str,
    auth: Option<AuthProtocol>,
    auth_key: &'static str,
    privacy: Option<PrivProtocol>,
    priv_key: &'static str,
) -> TestUser {
    TestUser {
        name,
        auth,
        auth_key,
        privacy,
        priv_key,
    }
}

/// The users every agent is configured with.
pub const USERS: &[TestUser] = &[
    user(
        "md5des",
        Some(AuthProtocol::Md5),
        "md5des-auth-key",
        Some(PrivProtocol::Des),
        "md5des-priv-key",
    ),
    user(
        "md5aes",
        Some(AuthProtocol::Md5),
        "md5aes-auth-key",
        Some(PrivProtocol::Aes128),
        "md5aes-priv-key",
    ),
    user(
        "shades",
        Some(AuthProtocol::Sha1),
        "shades-auth-key",
        Some(PrivProtocol::Des),
        "shades-priv-key",
    ),
    user(
        "shaaes",
        Some(AuthProtocol::Sha1),
        "shaaes-auth-key",
        Some(PrivProtocol::Aes128),
        "shaaes-priv-key",
    ),
    user(
        "sha224aes",
        Some(AuthProtocol::Sha224),
        "sha224aes-auth-key",
        Some(PrivProtocol::Aes128),
        "sha224aes-priv-key",
    ),
    user(
        "sha256aes",
        Some(AuthProtocol::Sha256),
        "sha256aes-auth-key",
        Some(PrivProtocol::Aes128),
        "sha256aes-priv-key",
    ),
    user(
        "sha256aes256",
        Some(AuthProtocol::Sha256),
        "sha256aes256-auth",
        Some(PrivProtocol::Aes256),
        "sha256aes256-priv",
    ),
    user(
        "sha384aes192",
        Some(AuthProtocol::Sha384),
        "sha384aes192-auth",
        Some(PrivProtocol::Aes192),
        "sha384aes192-priv",
    ),
    user(
        "sha512aes256",
        Some(AuthProtocol::Sha512),
        "sha512aes256-auth",
        Some(PrivProtocol::Aes256),
        "sha512aes256-priv",
    ),
    user(
        "shaaes256",
        Some(AuthProtocol::Sha1),
        "shaaes256-auth-key",
        Some(PrivProtocol::Aes256),
        "shaaes256-priv-key",
    ),
    user(
        "shaonly",
        Some(AuthProtocol::Sha1),
        "shaonly-auth-key",
        None,
        "",
    ),
    user(
        "sha256only",
        Some(AuthProtocol::Sha256),
        "sha256only-auth-key",
        None,
        "",
    ),
    user("noauth", None, "", None, ""),
];

pub fn find_user(name: &str) -> TestUser {
    *USERS
        .iter()
        .find(|u| u.name == name)
        .unwrap_or_else(|| panic!("no test user {name}"))
}

pub trait TestAgent {
    fn port(&self) -> u16;
    /// What the agent printed so far, for failure messages.
    fn log(&self) -> String;
}

/// A v2c config with the read-write community and the Raritan PX2 profile.
pub fn v2c_config(agent: &dyn TestAgent) -> Config {
    let mut c = Config::new("127.0.0.1");
    c.port = agent.port();
    c.version = SnmpVersion::V2c;
    c.community = "private".into();
    c.vendor = "raritan-px2".parse().unwrap();
    c.timeout = Duration::from_millis(700);
    c.retries = 1;
    c.verify = Some(Duration::from_secs(3));
    c
}

/// A v3 config for `u`.
pub fn config_for(agent: &dyn TestAgent, u: &TestUser) -> Config {
    let mut c = v2c_config(agent).v3(u.name, u.auth, u.auth_key, u.privacy, u.priv_key);
    c.vendor = Vendor::Profile(&pdu_driver::vendors::RARITAN_PX2);
    c
}

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn net_snmp_auth(a: Option<AuthProtocol>) -> &'static str {
    match a {
        None => "",
        Some(AuthProtocol::Md5) => "MD5",
        Some(AuthProtocol::Sha1) => "SHA",
        Some(AuthProtocol::Sha224) => "SHA-224",
        Some(AuthProtocol::Sha256) => "SHA-256",
        Some(AuthProtocol::Sha384) => "SHA-384",
        Some(AuthProtocol::Sha512) => "SHA-512",
    }
}

fn net_snmp_priv(p: Option<PrivProtocol>) -> &'static str {
    match p {
        None => "",
        Some(PrivProtocol::Des) => "DES",
        Some(PrivProtocol::TripleDes) => "3DES",
        Some(PrivProtocol::Aes128) => "AES",
        Some(PrivProtocol::Aes192) => "AES-192",
        Some(PrivProtocol::Aes256) => "AES-256",
        Some(PrivProtocol::Aes192Cisco) => "AES-192C",
        Some(PrivProtocol::Aes256Cisco) => "AES-256C",
    }
}

/// net-snmp's snmpd with a throwaway config and the PDU2 pass_persist subtree.
pub struct Snmpd {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

pub const SNMPD: &str = "/usr/sbin/snmpd";

impl Snmpd {
    pub fn start(outlets: u32) -> Snmpd {
        let mut last_err = String::new();
        for _ in 0..5 {
            match Self::try_start(outlets) {
                Ok(s) => return s,
                Err(e) => last_err = e,
            }
        }
        panic!("could not start snmpd: {last_err}");
    }

    fn config_text(port: u16, script: &Path, outlets: u32, persist: &Path) -> String {
        let mut conf = format!(
            "agentAddress udp:127.0.0.1:{port}\n\
             [snmp] persistentDir {persist}\n\
             rwcommunity private 127.0.0.1\n\
             rocommunity public 127.0.0.1\n\
             sysObjectID .1.3.6.1.4.1.13742.6\n\
             sysDescr PX2 030004 (net-snmp test agent)\n\
             sysName test-pdu\n\
             dontLogTCPWrappersConnects yes\n\
             pass_persist .1.3.6.1.4.1.13742.6 {script} {outlets}\n",
            persist = persist.display(),
            script = script.display()
        );
        for u in USERS {
            match u.level() {
                "noauth" => conf.push_str(&format!("createUser {}\n", u.name)),
                "auth" => conf.push_str(&format!(
                    "createUser {} {} \"{}\"\n",
                    u.name,
                    net_snmp_auth(u.auth),
                    u.auth_key
                )),
                _ => conf.push_str(&format!(
                    "createUser {} {} \"{}\" {} \"{}\"\n",
                    u.name,
                    net_snmp_auth(u.auth),
                    u.auth_key,
                    net_snmp_priv(u.privacy),
                    u.priv_key
                )),
            }
            conf.push_str(&format!("rwuser {} {}\n", u.name, u.level()));
        }
        // A user who may only read: SETs get noAccess/authorizationError.
        conf.push_str("createUser reader SHA \"reader-auth-key\" AES \"reader-priv-key\"\nrouser reader priv\n");
        conf
    }

    fn try_start(outlets: u32) -> Result<Snmpd, String> {
        assert!(
            Path::new(SNMPD).exists(),
            "{SNMPD} is missing: install net-snmp's agent (Debian package `snmpd`); these tests never skip"
        );
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let script_src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/pdu2_outlets.py");
        let script = dir.path().join("pdu2_outlets.py");
        std::fs::copy(&script_src, &script)
            .map_err(|e| format!("copy {}: {e}", script_src.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
                .map_err(|e| e.to_string())?;
        }
        let persist = dir.path().join("persist");
        std::fs::create_dir_all(&persist).map_err(|e| e.to_string())?;
        let port = free_udp_port();
        let conf_path = dir.path().join("snmpd.conf");
        let mut f = std::fs::File::create(&conf_path).map_err(|e| e.to_string())?;
        f.write_all(Self::config_text(port, &script, outlets, &persist).as_bytes())
            .map_err(|e| e.to_string())?;
        drop(f);
        let child = Self::spawn(dir.path(), &conf_path, &persist)?;
        let mut agent = Snmpd { child, port, dir };
        agent.wait_ready()?;
        Ok(agent)
    }

    /// Stop and start snmpd on the same port with the same persistent directory: the engine ID
    /// stays, engineBoots goes up by one (what a PDU reboot looks like to a manager).
    pub fn restart(&mut self) {
        // SIGTERM so snmpd saves engineBoots in its persistent directory.
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let dir = self.dir.path().to_path_buf();
        self.child = Self::spawn(&dir, &dir.join("snmpd.conf"), &dir.join("persist"))
            .expect("respawn snmpd");
        self.wait_ready().expect("snmpd back after restart");
    }

    /// engineBoots as snmpd saved it in its persistent directory.
    pub fn saved_engine_boots(&self) -> Option<u32> {
        let text = std::fs::read_to_string(self.dir.path().join("persist/snmpd.conf")).ok()?;
        text.lines()
            .rev()
            .find_map(|l| l.strip_prefix("engineBoots "))?
            .trim()
            .parse()
            .ok()
    }

    fn spawn(dir: &Path, conf_path: &Path, persist: &Path) -> Result<Child, String> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("snmpd.log"))
            .map_err(|e| e.to_string())?;
        // -C skips the default files, persistent ones included: name the persistent file
        // explicitly so a restart keeps the engine ID and bumps engineBoots.
        let mut files = conf_path.as_os_str().to_owned();
        let saved = persist.join("snmpd.conf");
        if saved.exists() {
            files.push(",");
            files.push(saved.as_os_str());
        }
        Command::new(SNMPD)
            .args(["-f", "-Lo", "-C", "-c"])
            .arg(files)
            .arg("-p")
            .arg(dir.join("snmpd.pid"))
            .env("SNMP_PERSISTENT_DIR", persist)
            .env("MIBS", "")
            .env("MIBDIRS", dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            .spawn()
            .map_err(|e| format!("spawn {SNMPD}: {e}"))
    }

    /// Poll with a plain v2c GET of sysDescr until snmpd answers.
    fn wait_ready(&mut self) -> Result<(), String> {
        let sock = UdpSocket::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        sock.set_read_timeout(Some(Duration::from_millis(100)))
            .map_err(|e| e.to_string())?;
        let get = v2c_get_sys_descr();
        let start = Instant::now();
        let mut buf = [0u8; 2048];
        while start.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("snmpd exited with {status}: {}", self.log()));
            }
            let _ = sock.send_to(&get, ("127.0.0.1", self.port));
            if let Ok((n, _)) = sock.recv_from(&mut buf) {
                if n > 0 {
                    return Ok(());
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(format!(
            "snmpd did not answer on port {} within 10 s: {}",
            self.port,
            self.log()
        ))
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// GET sysDescr.0 with community "public", request-id 1.
fn v2c_get_sys_descr() -> Vec<u8> {
    fn tlv(tag: u8, c: &[u8]) -> Vec<u8> {
        let mut v = vec![tag, u8::try_from(c.len()).unwrap()];
        v.extend_from_slice(c);
        v
    }
    let oid = tlv(0x06, &[0x2b, 6, 1, 2, 1, 1, 1, 0]);
    let vb = tlv(0x30, &[oid, vec![0x05, 0x00]].concat());
    let vbs = tlv(0x30, &vb);
    let pdu = tlv(0xa0, &[vec![2, 1, 1, 2, 1, 0, 2, 1, 0], vbs].concat());
    tlv(0x30, &[vec![2, 1, 1], tlv(0x04, b"public"), pdu].concat())
}

impl TestAgent for Snmpd {
    fn port(&self) -> u16 {
        self.port
    }
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("snmpd.log")).unwrap_or_default()
    }
}

impl Drop for Snmpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ------------------------------------------------------------------------------------------
// pdusim, this project's simulator, in-process on the test's tokio runtime.
// ------------------------------------------------------------------------------------------

/// Every auth × priv combination pdusim serves and snmp2 can speak (snmp2 0.5 has no 3DES),
/// named `m-<auth>-<priv>`, plus the noAuthNoPriv user `noauth`.
pub fn matrix_users() -> Vec<TestUser> {
    const AUTHS: [Option<AuthProtocol>; 6] = [
        Some(AuthProtocol::Md5),
        Some(AuthProtocol::Sha1),
        Some(AuthProtocol::Sha224),
        Some(AuthProtocol::Sha256),
        Some(AuthProtocol::Sha384),
        Some(AuthProtocol::Sha512),
    ];
    const PRIVS: [Option<PrivProtocol>; 7] = [
        None,
        Some(PrivProtocol::Des),
        Some(PrivProtocol::Aes128),
        Some(PrivProtocol::Aes192),
        Some(PrivProtocol::Aes256),
        Some(PrivProtocol::Aes192Cisco),
        Some(PrivProtocol::Aes256Cisco),
    ];
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    let mut users = vec![user("noauth", None, "", None, "")];
    for a in AUTHS {
        for p in PRIVS {
            let name = leak(format!("m-{}-{}", auth_name(a), priv_name(p)));
            let priv_key = if p.is_none() {
                ""
            } else {
                leak(format!("{name}-privkey"))
            };
            users.push(user(name, a, leak(format!("{name}-authkey")), p, priv_key));
        }
    }
    users
}

/// One simulated PDU named `pdu`, served by `pdusim::launch::Simulator` on a free loopback
/// port, with a manual clock (time moves only when a test says so) and a throwaway state dir.
pub struct Pdusim {
    pub sim: pdusim::launch::Simulator,
    pub clock: std::sync::Arc<pdusim::clock::ManualClock>,
    pub name: &'static str,
    pub vendor: String,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Pdusim {
    /// `vendor` with `outlets` outlets, communities `public` (ro) and `private` (rw), the
    /// given v3 users (read-write), and `extra` TOML appended inside the `[[pdu]]` table
    /// (more `[[pdu.user]]` entries, settings). Must run inside a tokio runtime.
    pub fn start(vendor: &str, outlets: u32, users: &[TestUser], extra: &str) -> Pdusim {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut toml = format!(
            "state_dir = {:?}\n[[pdu]]\nname = \"pdu\"\nvendor = {vendor:?}\nlisten = [\"127.0.0.1:0\"]\n\
             outlets = {outlets}\npower_off_period = 1\n\
             [[pdu.community]]\nname = \"public\"\naccess = \"read-only\"\n\
             [[pdu.community]]\nname = \"private\"\naccess = \"read-write\"\n",
            dir.path().display().to_string()
        );
        for u in users {
            toml.push_str(&format!(
                "[[pdu.user]]\nname = {:?}\naccess = \"read-write\"\n",
                u.name
            ));
            if u.auth.is_some() {
                toml.push_str(&format!(
                    "auth = {:?}\nauth_password = {:?}\n",
                    auth_name(u.auth),
                    u.auth_key
                ));
            }
            if u.privacy.is_some() {
                toml.push_str(&format!(
                    "priv = {:?}\npriv_password = {:?}\n",
                    priv_name(u.privacy),
                    u.priv_key
                ));
            }
        }
        toml.push_str(extra);
        let specs = pdusim::config::FileConfig::parse(&toml, "test config")
            .and_then(|c| c.validate("test config"))
            .unwrap_or_else(|e| panic!("pdusim config refused: {e}\n{toml}"));
        let clock = std::sync::Arc::new(pdusim::clock::ManualClock::default());
        // Start the engine clock somewhere other than 0 so engineTime is a real number.
        clock.advance(Duration::from_secs(1000));
        let sim = pdusim::launch::Simulator::start(specs, clock.clone())
            .unwrap_or_else(|e| panic!("pdusim did not start: {e}"));
        let port = sim.address("pdu").expect("pdu has an address").port();
        Pdusim {
            sim,
            clock,
            name: "pdu",
            vendor: vendor.to_string(),
            port,
            _dir: dir,
        }
    }

    /// Outlets as the simulator holds them (not through SNMP).
    pub fn outlets(&self) -> Vec<pdusim::control::OutletInfo> {
        self.sim
            .control
            .outlets(self.name)
            .expect("control: outlets")
    }

    /// "on" or "off", as the simulator holds outlet `n`.
    pub fn power(&self, n: u32) -> &'static str {
        let o = self
            .outlets()
            .into_iter()
            .find(|o| o.outlet == n)
            .unwrap_or_else(|| panic!("simulator has no outlet {n}"));
        match o.power {
            pdusim::outlet::Power::On => "on",
            pdusim::outlet::Power::Off => "off",
        }
    }

    pub fn outlet_name(&self, n: u32) -> String {
        self.outlets()
            .into_iter()
            .find(|o| o.outlet == n)
            .map(|o| o.name)
            .unwrap_or_default()
    }

    pub fn engine_boots(&self) -> i32 {
        self.sim
            .control
            .pdu(self.name)
            .expect("control: pdu")
            .engine_boots
    }
}

impl TestAgent for Pdusim {
    fn port(&self) -> u16 {
        self.port
    }
    fn log(&self) -> String {
        format!(
            "pdusim {} {:?}; faults {:?}",
            self.vendor,
            self.sim.control.pdus(),
            self.sim.control.faults(self.name).unwrap_or_default()
        )
    }
}

/// The `pdusim` binary of this workspace, built if it is missing or stale. A failure to
/// build it fails the test.
pub fn pdusim_binary() -> PathBuf {
    let pductl = PathBuf::from(env!("CARGO_BIN_EXE_pductl"));
    let bin = pductl.with_file_name(format!("pdusim{}", std::env::consts::EXE_SUFFIX));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--quiet", "-p", "pdusim", "--bin", "pdusim"])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .status()
        .expect("run cargo build -p pdusim");
    assert!(status.success(), "cargo build -p pdusim failed");
    assert!(
        bin.exists(),
        "{} is missing after cargo build -p pdusim",
        bin.display()
    );
    bin
}

/// The `pdusim serve` binary as a user runs it, killed on drop.
pub struct PdusimProcess {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl PdusimProcess {
    /// `pdusim serve --listen 127.0.0.1:<free port> --state-dir <tmp>` plus `args`.
    pub fn start(args: &[&str]) -> PdusimProcess {
        let bin = pdusim_binary();
        let mut last = String::new();
        for _ in 0..5 {
            let dir = tempfile::tempdir().expect("tempdir");
            let port = free_udp_port();
            let log = std::fs::File::create(dir.path().join("pdusim.log")).expect("log file");
            let mut child = Command::new(&bin)
                .arg("serve")
                .arg("--listen")
                .arg(format!("127.0.0.1:{port}"))
                .arg("--state-dir")
                .arg(dir.path().join("state"))
                .args(args)
                .env("RUST_LOG", "warn")
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("log"))
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| panic!("spawn {}: {e}", bin.display()));
            // Ready when it answers a v2c GET with the default read community.
            let sock = UdpSocket::bind("127.0.0.1:0").expect("bind");
            sock.set_read_timeout(Some(Duration::from_millis(100)))
                .expect("timeout");
            let start = Instant::now();
            let mut buf = [0u8; 2048];
            while start.elapsed() < Duration::from_secs(10) {
                if let Ok(Some(status)) = child.try_wait() {
                    last = format!(
                        "pdusim exited with {status}: {}",
                        std::fs::read_to_string(dir.path().join("pdusim.log")).unwrap_or_default()
                    );
                    break;
                }
                let _ = sock.send_to(&v2c_get_sys_descr(), ("127.0.0.1", port));
                if matches!(sock.recv_from(&mut buf), Ok((n, _)) if n > 0) {
                    return PdusimProcess { child, port, dir };
                }
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("pdusim serve did not come up: {last}");
    }
}

impl TestAgent for PdusimProcess {
    fn port(&self) -> u16 {
        self.port
    }
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("pdusim.log")).unwrap_or_default()
    }
}

impl Drop for PdusimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
