//! net-snmp's own agent, `snmpd` (nobody on this project wrote it), on a port the system
//! picked, with a throwaway configuration: communities `public` (read-only) and `private`
//! (read-write), the SNMPv3 [`USERS`] (read-write) and `reader` (read-only), and a writable
//! Raritan PX2 outlet subtree served by a pass_persist script (`pdu2_outlets.py`).
//!
//! snmpd is told `agentAddress udp:127.0.0.1:0`, so the system picks its port, and does not
//! print the port it got; it is read back from the UDP socket the snmpd process holds
//! (`/proc/<pid>/fd` -> socket inode -> `/proc/net/udp`). No port is chosen before the agent
//! binds it, so nothing can take it in between. Only [`Snmpd::restart`] binds a known port
//! again (the one it had, since the managers under test keep talking to it): between the old
//! process closing it and the new one binding it another process could take it, the narrowest
//! race there is without snmpd accepting a socket from its parent; the restart then fails with
//! that explanation, never silently.

use std::collections::HashSet;
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use snmp_proto::usm::{AuthProtocol, PrivProtocol};

use crate::netsnmp::NetSnmp;

/// Where Debian's package `snmpd` installs net-snmp's agent.
pub const SNMPD: &str = "/usr/sbin/snmpd";

/// The pass_persist script serving the PDU2-MIB outlet subtree (see its docstring).
const PDU2_OUTLETS: &str = include_str!("pdu2_outlets.py");

/// How long snmpd may take to bind and answer.
const START_DEADLINE: Duration = Duration::from_secs(10);
/// How long snmpd may take to exit after SIGTERM (it saves engineBoots first).
const STOP_DEADLINE: Duration = Duration::from_secs(5);

/// One SNMPv3 user, the same for every agent the tests configure with it.
#[derive(Debug, Clone, Copy)]
pub struct TestUser {
    /// The user name.
    pub name: &'static str,
    /// The authentication protocol (`None`: noAuthNoPriv).
    pub auth: Option<AuthProtocol>,
    /// The authentication password.
    pub auth_key: &'static str,
    /// The privacy protocol (`None`: no privacy).
    pub privacy: Option<PrivProtocol>,
    /// The privacy password.
    pub priv_key: &'static str,
}

impl TestUser {
    /// The user's security level as net-snmp's `rwuser`/`rouser` lines spell it: `noauth`,
    /// `auth` or `priv`.
    pub fn level(&self) -> &'static str {
        match (self.auth, self.privacy) {
            (None, _) => "noauth",
            (_, None) => "auth",
            _ => "priv",
        }
    }

    /// The `createUser` line of snmpd.conf for this user.
    fn create_user_line(&self) -> String {
        match self.level() {
            "noauth" => format!("createUser {}\n", self.name),
            "auth" => format!(
                "createUser {} {} \"{}\"\n",
                self.name,
                net_snmp_auth(self.auth),
                self.auth_key
            ),
            _ => format!(
                "createUser {} {} \"{}\" {} \"{}\"\n",
                self.name,
                net_snmp_auth(self.auth),
                self.auth_key,
                net_snmp_priv(self.privacy),
                self.priv_key
            ),
        }
    }
}

/// A [`TestUser`], in a `const`.
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

/// The read-write SNMPv3 users [`Snmpd`] is configured with.
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

/// A user who may only read (`rouser reader priv`): SETs get noAccess/authorizationError.
const READER: TestUser = user(
    "reader",
    Some(AuthProtocol::Sha1),
    "reader-auth-key",
    Some(PrivProtocol::Aes128),
    "reader-priv-key",
);

/// The user of [`USERS`] named `name`; panics if there is none.
pub fn find_user(name: &str) -> TestUser {
    *USERS
        .iter()
        .find(|u| u.name == name)
        .unwrap_or_else(|| panic!("no test user {name}"))
}

pub(crate) fn net_snmp_auth(a: Option<AuthProtocol>) -> &'static str {
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

pub(crate) fn net_snmp_priv(p: Option<PrivProtocol>) -> &'static str {
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

/// net-snmp's snmpd with a throwaway directory (config, persistent state, log) and the PDU2
/// pass_persist subtree; stopped with SIGTERM (killed after 5 s) when dropped.
pub struct Snmpd {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Snmpd {
    /// Starts snmpd serving `outlets` outlets (all on, named `outlet-N`) on a port the system
    /// picks, and waits until it answers. A missing snmpd is a test failure, never a skip.
    pub fn start(outlets: u32) -> Snmpd {
        assert!(
            Path::new(SNMPD).exists(),
            "{SNMPD} is missing: install net-snmp's agent (Debian package `snmpd`); these tests never skip"
        );
        let dir = tempfile::tempdir().expect("create a temporary directory for snmpd");
        let script = dir.path().join("pdu2_outlets.py");
        std::fs::write(&script, PDU2_OUTLETS).expect("write the pass_persist script");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
                .expect("make the pass_persist script executable");
        }
        let persist = dir.path().join("persist");
        std::fs::create_dir_all(&persist).expect("create snmpd's persistent directory");
        let config = config_text(&script, outlets, &persist);
        std::fs::write(dir.path().join("snmpd.conf"), &config).expect("write snmpd.conf");
        let child = spawn(dir.path());
        let mut agent = Snmpd {
            child,
            port: 0,
            dir,
        };
        agent.port = agent.bound_port();
        // A restart binds the same port again: the managers under test keep talking to it.
        std::fs::write(
            agent.dir.path().join("snmpd.conf"),
            config.replace(
                "agentAddress udp:127.0.0.1:0\n",
                &format!("agentAddress udp:127.0.0.1:{}\n", agent.port),
            ),
        )
        .expect("rewrite snmpd.conf with the bound port");
        agent.wait_ready();
        agent
    }

    /// The UDP port snmpd answers on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Its working directory: `snmpd.conf`, `persist/`, `snmpd.log`.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// What snmpd printed so far, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("snmpd.log")).unwrap_or_default()
    }

    /// Stops snmpd (SIGTERM, so it saves engineBoots in its persistent directory) and starts
    /// it again on the same port with the same persistent directory: the engine ID stays,
    /// engineBoots goes up by one, the outlets start over (all on) — what a PDU reboot looks
    /// like to a manager.
    pub fn restart(&mut self) {
        let _ = crate::child::terminate(&mut self.child, STOP_DEADLINE);
        self.child = spawn(self.dir.path());
        let port = self.bound_port();
        assert_eq!(
            port, self.port,
            "snmpd came back on another port than the one configured"
        );
        self.wait_ready();
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

    /// Waits until the snmpd process holds its UDP socket, and returns the socket's port.
    fn bound_port(&mut self) -> u16 {
        let end = Instant::now() + START_DEADLINE;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "snmpd exited ({status}) before it was listening (if it was restarted, \
                     another process may have taken its port in between):\n{}",
                    self.log()
                );
            }
            let ports = udp_ports_of(self.child.id());
            match ports.as_slice() {
                [] => {}
                [port] => return *port,
                more => panic!(
                    "snmpd holds {} UDP sockets ({more:?}); expected one (agentAddress udp:127.0.0.1:…)\n{}",
                    more.len(),
                    self.log()
                ),
            }
            assert!(
                Instant::now() < end,
                "snmpd bound no UDP socket within {START_DEADLINE:?}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Polls with a plain v2c GET of sysDescr until snmpd answers.
    fn wait_ready(&mut self) {
        let sock = UdpSocket::bind("127.0.0.1:0").expect("bind a UDP socket on 127.0.0.1:0");
        sock.set_read_timeout(Some(Duration::from_millis(100)))
            .expect("set a read timeout");
        let get = v2c_get_sys_descr();
        let end = Instant::now() + START_DEADLINE;
        let mut buf = [0u8; 2048];
        while Instant::now() < end {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("snmpd exited with {status}:\n{}", self.log());
            }
            let _ = sock.send_to(&get, ("127.0.0.1", self.port));
            if matches!(sock.recv_from(&mut buf), Ok((n, _)) if n > 0) {
                return;
            }
        }
        panic!(
            "snmpd did not answer on port {} within {START_DEADLINE:?}:\n{}",
            self.port,
            self.log()
        );
    }
}

impl NetSnmp for Snmpd {
    fn target(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for Snmpd {
    fn drop(&mut self) {
        let _ = crate::child::terminate(&mut self.child, STOP_DEADLINE);
    }
}

fn config_text(script: &Path, outlets: u32, persist: &Path) -> String {
    let mut conf = format!(
        "agentAddress udp:127.0.0.1:0\n\
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
        conf.push_str(&u.create_user_line());
        conf.push_str(&format!("rwuser {} {}\n", u.name, u.level()));
    }
    conf.push_str(&READER.create_user_line());
    conf.push_str(&format!("rouser {} {}\n", READER.name, READER.level()));
    conf
}

/// Starts snmpd in the foreground on `dir/snmpd.conf` (plus the file it saved in `persist/`,
/// if any), logging to `dir/snmpd.log`.
fn spawn(dir: &Path) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("snmpd.log"))
        .expect("open snmpd.log");
    let persist = dir.join("persist");
    // -C skips the default files, persistent ones included: name the persistent file
    // explicitly so a restart keeps the engine ID and bumps engineBoots.
    let mut files = dir.join("snmpd.conf").into_os_string();
    let saved = persist.join("snmpd.conf");
    if saved.exists() {
        files.push(",");
        files.push(saved.as_os_str());
    }
    Command::new(SNMPD)
        // -I -smux: no SMUX listener on TCP port 199, a fixed port every snmpd would contend for.
        .args(["-f", "-Lo", "-I", "-smux", "-C", "-c"])
        .arg(files)
        .arg("-p")
        .arg(dir.join("snmpd.pid"))
        .env("SNMP_PERSISTENT_DIR", &persist)
        .env("MIBS", "")
        .env("MIBDIRS", dir)
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("clone the snmpd.log handle"))
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {SNMPD}: {e}"))
}

/// The local ports of the UDP sockets process `pid` holds (Linux: its `/proc/<pid>/fd` links
/// `socket:[INODE]`, matched against the inode column of `/proc/net/udp` and `udp6`).
pub(crate) fn udp_ports_of(pid: u32) -> Vec<u16> {
    let fd_dir = PathBuf::from(format!("/proc/{pid}/fd"));
    let Ok(fds) = std::fs::read_dir(&fd_dir) else {
        assert!(
            Path::new("/proc/self/fd").exists(),
            "reading snmpd's port back needs Linux's /proc"
        );
        return Vec::new(); // the process is gone; the caller sees it exit
    };
    let inodes: HashSet<u64> = fds
        .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter_map(|target| {
            target
                .to_str()?
                .strip_prefix("socket:[")?
                .strip_suffix(']')?
                .parse()
                .ok()
        })
        .collect();
    let mut ports = Vec::new();
    for table in ["/proc/net/udp", "/proc/net/udp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        // "sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ..."
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(inode)) = (fields.get(1), fields.get(9)) else {
                continue;
            };
            let inode: Option<u64> = inode.parse().ok();
            let port = local
                .rsplit(':')
                .next()
                .and_then(|p| u16::from_str_radix(p, 16).ok());
            if let (Some(inode), Some(port)) = (inode, port) {
                if inodes.contains(&inode) {
                    ports.push(port);
                }
            }
        }
    }
    ports
}

/// GET sysDescr.0 with community "public", request-id 1, encoded by snmp-proto.
fn v2c_get_sys_descr() -> Vec<u8> {
    let pdu = snmp_proto::Pdu {
        pdu_type: snmp_proto::PduType::GetRequest,
        request_id: 1,
        error_status: 0,
        error_index: 0,
        varbinds: vec![snmp_proto::VarBind {
            oid: snmp_proto::Oid::new(snmp_proto::oids::SYS_DESCR),
            value: snmp_proto::Value::Null,
        }],
        trap_v1: None,
    };
    let mut out = Vec::new();
    snmp_proto::encode_community_message(&mut out, snmp_proto::Version::V2c, b"public", &pdu);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-built GET is the one the conformance harness spelled out byte by byte.
    #[test]
    fn v2c_get_bytes() {
        let want: &[u8] = &[
            0x30, 0x26, 0x02, 0x01, 0x01, 0x04, 0x06, b'p', b'u', b'b', b'l', b'i', b'c', 0xa0,
            0x19, 0x02, 0x01, 0x01, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x30, 0x0e, 0x30, 0x0c,
            0x06, 0x08, 0x2b, 6, 1, 2, 1, 1, 1, 0, 0x05, 0x00,
        ];
        assert_eq!(v2c_get_sys_descr(), want);
    }

    /// The port read back from /proc is the one a socket of this process is bound to.
    #[test]
    fn udp_port_read_back_from_proc() {
        let sock = UdpSocket::bind("127.0.0.1:0").expect("bind");
        let port = sock.local_addr().expect("local address").port();
        assert!(udp_ports_of(std::process::id()).contains(&port));
    }
}
