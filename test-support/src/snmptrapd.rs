//! net-snmp's notification receiver, `snmptrapd` (nobody on this project wrote it), on a port
//! the system picked, with a throwaway configuration, its output parsed.
//!
//! snmptrapd is told `udp:127.0.0.1:0`; it does not print the port it got, so the port is read
//! back from the UDP socket the process holds, as for [`crate::Snmpd`]. Every notification is
//! logged with `format1` / `format2` lines this module parses into [`Received`]: the PDU and
//! security (`%P`: `TRAP2, SNMP v3, user shaaes, context `), for SNMPv1 the enterprise,
//! generic and specific trap and agent address, and every varbind with numeric OIDs (`-On`).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::snmpd::{net_snmp_auth, net_snmp_priv, udp_ports_of, TestUser};

/// Where Debian's package `snmptrapd` installs net-snmp's receiver.
pub const SNMPTRAPD: &str = "/usr/sbin/snmptrapd";

const START_DEADLINE: Duration = Duration::from_secs(10);
const STOP_DEADLINE: Duration = Duration::from_secs(5);

/// A user snmptrapd accepts: for traps, under the sender's engine ID (`createUser -e`); for
/// informs, under snmptrapd's own engine (no engine ID).
#[derive(Clone, Debug)]
pub struct TrapUser {
    /// The user and its keys.
    pub user: TestUser,
    /// The sending engine's snmpEngineID for traps; `None` for informs.
    pub engine_id: Option<Vec<u8>>,
}

/// One notification as snmptrapd logged it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// `%P`'s PDU part: `TRAP` (SNMPv1), `TRAP2` or `INFORM`.
    pub pdu: String,
    /// `%P`'s version: `SNMP v1`, `SNMP v2c` or `SNMP v3`.
    pub version: String,
    /// The community or user, as `%P` gives it: `community public`, `user shaaes`.
    pub security: String,
    /// SNMPv1 only: enterprise, generic-trap, specific-trap, agent-addr, time-stamp.
    pub v1: Option<V1Fields>,
    /// The varbinds: numeric OID (leading dot) and value as net-snmp prints it
    /// (`INTEGER: 3`, `STRING: "x"`, `OID: .1.3...`).
    pub varbinds: Vec<(String, String)>,
}

/// The SNMPv1 Trap-PDU fields snmptrapd shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct V1Fields {
    /// enterprise, numeric with a leading dot.
    pub enterprise: String,
    /// generic-trap.
    pub generic: i32,
    /// specific-trap.
    pub specific: i32,
    /// agent-addr.
    pub agent_addr: String,
    /// time-stamp, hundredths of a second.
    pub time_stamp: u32,
}

impl Received {
    /// snmpTrapOID.0's value (SNMPv2 notifications), numeric with a leading dot.
    pub fn trap_oid(&self) -> Option<&str> {
        self.value(".1.3.6.1.6.3.1.1.4.1.0")?.strip_prefix("OID: ")
    }

    /// The value of the varbind named `oid` (numeric, leading dot).
    pub fn value(&self, oid: &str) -> Option<&str> {
        self.varbinds
            .iter()
            .find(|(o, _)| o == oid)
            .map(|(_, v)| v.as_str())
    }
}

/// A running snmptrapd; stopped when dropped.
pub struct Snmptrapd {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Snmptrapd {
    /// Starts snmptrapd accepting (logging) v1/v2c notifications with `community` and v3 ones
    /// from `users`. Panics with snmptrapd's output if it does not start.
    pub fn start(community: &str, users: &[TrapUser]) -> Snmptrapd {
        assert!(
            Path::new(SNMPTRAPD).exists(),
            "{SNMPTRAPD} is missing: install net-snmp's receiver (Debian package `snmptrapd`); these tests never skip"
        );
        let dir = tempfile::tempdir().expect("create a temporary directory for snmptrapd");
        let mut conf = format!(
            "authCommunity log {community}\n\
             format2 NOTE\\t%P\\t%v\\n\n\
             format1 TRAP1\\t%P\\t%N\\t%w\\t%q\\t%a\\t%T\\t%v\\n\n"
        );
        for u in users {
            let engine = u
                .engine_id
                .as_ref()
                .map(|id| format!("-e 0x{} ", hex(id)))
                .unwrap_or_default();
            let t = &u.user;
            let mut line = format!("createUser {engine}{}", t.name);
            if t.auth.is_some() {
                line.push_str(&format!(" {} {}", net_snmp_auth(t.auth), t.auth_key));
                if t.privacy.is_some() {
                    line.push_str(&format!(" {} {}", net_snmp_priv(t.privacy), t.priv_key));
                }
            }
            conf.push_str(&line);
            conf.push('\n');
            conf.push_str(&format!("authUser log {} {}\n", t.name, t.level()));
        }
        std::fs::write(dir.path().join("snmptrapd.conf"), conf).expect("write snmptrapd.conf");
        std::fs::create_dir_all(dir.path().join("persist"))
            .expect("create snmptrapd's persistent directory");
        let child = spawn(dir.path(), "udp:127.0.0.1:0");
        let mut receiver = Snmptrapd {
            child,
            port: 0,
            dir,
        };
        receiver.port = receiver.bound_port();
        receiver
    }

    /// Stops snmptrapd and starts it again on the same port with its saved engine ID and
    /// engineBoots + 1 (as a rebooted receiver). Between the two another process could take
    /// the port; the restart then fails saying so.
    pub fn restart(&mut self) {
        let _ = crate::child::terminate(&mut self.child, STOP_DEADLINE);
        self.child = spawn(self.dir.path(), &format!("udp:127.0.0.1:{}", self.port));
        let port = self.bound_port();
        assert_eq!(port, self.port, "snmptrapd came back on another port");
    }

    /// The UDP port snmptrapd listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:PORT`.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Everything snmptrapd printed so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("snmptrapd.out")).unwrap_or_default()
    }

    /// Every notification logged so far, in order.
    pub fn received(&self) -> Vec<Received> {
        self.log().lines().filter_map(parse_line).collect()
    }

    /// Waits up to `deadline` for a notification `matches` accepts and returns it; panics with
    /// snmptrapd's output if none arrives.
    pub fn expect(
        &self,
        what: &str,
        deadline: Duration,
        matches: impl Fn(&Received) -> bool,
    ) -> Received {
        let end = Instant::now() + deadline;
        loop {
            if let Some(r) = self.received().into_iter().find(|r| matches(r)) {
                return r;
            }
            assert!(
                Instant::now() < end,
                "snmptrapd received no {what} within {deadline:?}; it logged:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn bound_port(&mut self) -> u16 {
        let end = Instant::now() + START_DEADLINE;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "snmptrapd exited ({status}) before it was listening:\n{}",
                    self.log()
                );
            }
            match udp_ports_of(self.child.id()).as_slice() {
                [] => {}
                [port] => return *port,
                more => panic!(
                    "snmptrapd holds {} UDP sockets ({more:?}); expected one\n{}",
                    more.len(),
                    self.log()
                ),
            }
            assert!(
                Instant::now() < end,
                "snmptrapd bound no UDP socket within {START_DEADLINE:?}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Snmptrapd {
    fn drop(&mut self) {
        let _ = crate::child::terminate(&mut self.child, STOP_DEADLINE);
    }
}

fn spawn(dir: &Path, listen: &str) -> Child {
    let persist = dir.join("persist");
    // -C skips the default files, the persistent one included: name it, so that a restart
    // keeps the engine ID and bumps engineBoots.
    let mut files = dir.join("snmptrapd.conf").into_os_string();
    let saved = persist.join("snmptrapd.conf");
    if saved.exists() {
        files.push(",");
        files.push(saved.as_os_str());
    }
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("snmptrapd.out"))
        .expect("open snmptrapd.out");
    Command::new(SNMPTRAPD)
        .args(["-f", "-Lo", "-On", "-C", "-c"])
        .arg(files)
        .arg("-p")
        .arg(dir.join("snmptrapd.pid"))
        .arg(listen)
        .env("SNMP_PERSISTENT_DIR", &persist)
        .env("MIBS", "")
        .env("MIBDIRS", dir)
        .stdin(Stdio::null())
        .stdout(out.try_clone().expect("clone the output file"))
        .stderr(out)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {SNMPTRAPD}: {e}"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One `format1`/`format2` line, or `None` for anything else snmptrapd prints.
fn parse_line(line: &str) -> Option<Received> {
    let mut fields = line.split('\t');
    let kind = fields.next()?;
    let p = fields.next()?;
    let mut parts = p.splitn(3, ", ");
    let pdu = parts.next()?.to_string();
    let version = parts.next()?.to_string();
    let security = parts
        .next()
        .unwrap_or_default()
        .trim_end_matches(", context ")
        .split(", context")
        .next()
        .unwrap_or_default()
        .to_string();
    let v1 = match kind {
        "NOTE" => None,
        "TRAP1" => Some(V1Fields {
            enterprise: fields.next()?.to_string(),
            generic: fields.next()?.parse().ok()?,
            specific: fields.next()?.trim_start_matches('.').parse().ok()?,
            agent_addr: fields.next()?.to_string(),
            time_stamp: fields.next()?.parse().ok()?,
        }),
        _ => return None,
    };
    let varbinds = fields
        .filter_map(|vb| {
            let (oid, value) = vb.split_once(" = ")?;
            Some((oid.to_string(), value.to_string()))
        })
        .collect();
    Some(Received {
        pdu,
        version,
        security,
        v1,
        varbinds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_formats() {
        let r = parse_line("NOTE\tINFORM, SNMP v3, user iu, context \t.1.3.6.1.2.1.1.3.0 = Timeticks: (88) 0:00:00.88\t.1.3.6.1.6.3.1.1.4.1.0 = OID: .1.3.6.1.6.3.1.1.5.2").unwrap();
        assert_eq!(
            (r.pdu.as_str(), r.version.as_str(), r.security.as_str()),
            ("INFORM", "SNMP v3", "user iu")
        );
        assert_eq!(r.trap_oid(), Some(".1.3.6.1.6.3.1.1.5.2"));
        let r = parse_line("TRAP1\tTRAP, SNMP v1, community public\t.1.3.6.1.4.1.318\t6\t.268\t127.0.0.1\t456\t.1.3.6.1.4.1.318.1.1.12.3.3.1.1.1.3 = INTEGER: 3").unwrap();
        assert_eq!(
            r.v1,
            Some(V1Fields {
                enterprise: ".1.3.6.1.4.1.318".into(),
                generic: 6,
                specific: 268,
                agent_addr: "127.0.0.1".into(),
                time_stamp: 456
            })
        );
        assert_eq!(r.security, "community public");
        assert_eq!(
            r.value(".1.3.6.1.4.1.318.1.1.12.3.3.1.1.1.3"),
            Some("INTEGER: 3")
        );
        assert!(parse_line("NET-SNMP version 5.9.3").is_none());
    }
}
