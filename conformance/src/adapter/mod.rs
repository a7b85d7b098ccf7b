//! Drivers under test as adapter processes: the adapter protocol (version 1, JSON Lines over
//! stdin/stdout, specified in `conformance/ADAPTERS.md` with the JSON Schema
//! `conformance/adapter-protocol.schema.json`), the built-in adapters, and the process that
//! runs one ([`process::AdapterProcess`]).
//!
//! The exchange: the adapter writes a [`Hello`] line when it starts; then, per driver step,
//! the runner writes one [`Request`] line and the adapter answers with one [`Reply`] line
//! carrying the same `id`.

pub mod process;

use std::path::{Path, PathBuf};

use pdu_driver::{auth_name, priv_name, Config, Vendor};
use serde::{Deserialize, Serialize};
use snmp_proto::usm::ExposeSecret;

/// The protocol version this runner speaks (the `protocol` of every [`Hello`] and [`Request`]).
pub const PROTOCOL_VERSION: u32 = 1;

/// The actions of protocol version 1 an adapter may support.
pub const ACTIONS: &[&str] = &["on", "off", "cycle", "state"];

/// The error `type` by which an adapter says "my driver cannot do this with this
/// connection": the step is recorded as n/a, not as a failure.
pub const NOT_SUPPORTED: &str = "NotSupported";

/// The adapter's first line: who it is and what its driver can do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hello {
    /// The protocol version the adapter speaks; must be [`PROTOCOL_VERSION`].
    pub protocol: u32,
    /// The driver's name, e.g. `jumpstarter-driver-snmp`.
    pub name: String,
    /// The driver's version, e.g. `0.9.0`.
    pub version: String,
    /// The actions it supports, from [`ACTIONS`]; steps using any other are n/a.
    pub actions: Vec<String>,
    /// The SNMP versions it speaks (`"1"`, `"2c"`, `"3"`); absent: all three. Scenarios whose
    /// driver uses another version are n/a.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snmp_versions: Option<Vec<String>>,
    /// `true`: the adapter keeps nothing from one request to the next (each builds its driver
    /// from the request's connection), so the runner may reuse one process across scenarios
    /// instead of starting one per scenario. Default `false`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stateless: bool,
}

impl Hello {
    /// Whether the adapter supports `action`.
    pub fn supports(&self, action: &str) -> bool {
        self.actions.iter().any(|a| a == action)
    }

    /// Whether the adapter speaks SNMP version `version` (`1`, `2c`, `3`).
    pub fn speaks(&self, version: &str) -> bool {
        self.snmp_versions
            .as_ref()
            .map_or(true, |v| v.iter().any(|x| x == version))
    }
}

/// One SET that switches an outlet: write INTEGER `value` to `oid` (the full instance).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetCommand {
    /// The instance to SET, dotted, e.g. `1.3.6.1.4.1.13742.6.4.1.2.1.2.1.1.3`.
    pub oid: String,
    /// The INTEGER to write.
    pub value: i64,
}

/// Where an outlet's state is read, and which integers mean on and off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateRead {
    /// The instance to GET, dotted.
    pub oid: String,
    /// The values that mean on.
    pub on: Vec<i64>,
    /// The values that mean off.
    pub off: Vec<i64>,
}

/// The connection, as a user would configure the driver. Secrets are in clear text here (the
/// adapter needs them); this type has no `Debug` so they never reach a log.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Connection {
    /// The agent's address (`127.0.0.1`).
    pub host: String,
    /// The agent's UDP port.
    pub port: u16,
    /// SNMP version: `"1"`, `"2c"` or `"3"`.
    pub version: String,
    /// v1/v2c community.
    pub community: String,
    /// SNMPv3 user name (empty for v1/v2c).
    pub user: String,
    /// SNMPv3 authentication protocol as net-snmp's `-a` spells it (`MD5`, `SHA`, `SHA-224`,
    /// `SHA-256`, `SHA-384`, `SHA-512`); `null`: noAuthNoPriv.
    pub auth_protocol: Option<String>,
    /// SNMPv3 authentication passphrase (RFC 3414 §2.6 password); `null` without auth.
    pub auth_key: Option<String>,
    /// SNMPv3 privacy protocol as net-snmp's `-x` spells it (`DES`, `AES`, `AES-192`,
    /// `AES-256`, `AES-192-C`, `AES-256-C`); `null`: no privacy.
    pub priv_protocol: Option<String>,
    /// SNMPv3 privacy passphrase; `null` without privacy.
    pub priv_key: Option<String>,
    /// SNMPv3 contextName (empty: the default context).
    pub context: String,
    /// The vendor profile the user configured (`raritan-px2`, ...), `detect` or `raw`.
    pub vendor: String,
    /// The control OID base, jumpstarter's `oid`: the outlet number appended gives the
    /// instance that switches it (`null` when the profile is unknown, i.e. `detect`).
    pub oid: Option<String>,
    /// The outlet number, jumpstarter's `plug` (also the request's `outlet`).
    pub plug: Option<u32>,
    /// The SET that switches the outlet on (`null` when the profile is unknown).
    pub set_on: Option<SetCommand>,
    /// The SET that switches the outlet off.
    pub set_off: Option<SetCommand>,
    /// The vendor's native cycle SET, if it has one (`null`: off, wait `cycle_delay`, on).
    pub set_cycle: Option<SetCommand>,
    /// Where the outlet's state is read.
    pub get_state: Option<StateRead>,
    /// The wait for each answer, in seconds.
    pub timeout: f64,
    /// Resends after a timeout.
    pub retries: u32,
    /// Off time of a client-side cycle, in seconds.
    pub cycle_delay: f64,
}

impl Connection {
    /// The connection of `config` (the scenario's `[driver]`, port set) for `outlet`.
    pub fn new(config: &Config, outlet: Option<u32>) -> Connection {
        let v3 = config.version == pdu_driver::SnmpVersion::V3;
        let auth = config.auth.filter(|_| v3);
        let privacy = config.privacy.filter(|_| auth.is_some());
        let mut c = Connection {
            host: config.host.clone(),
            port: config.port,
            version: config.version.to_string(),
            community: config.community.expose_secret().to_string(),
            user: if v3 {
                config.user.clone()
            } else {
                String::new()
            },
            auth_protocol: auth.map(|a| net_snmp_auth(auth_name(Some(a)))),
            auth_key: auth.map(|_| config.auth_key.expose_secret().to_string()),
            priv_protocol: privacy.map(|p| net_snmp_priv(priv_name(Some(p)))),
            priv_key: privacy.map(|_| config.priv_key.expose_secret().to_string()),
            context: config.context.clone(),
            vendor: String::new(),
            oid: None,
            plug: outlet,
            set_on: None,
            set_off: None,
            set_cycle: None,
            get_state: None,
            timeout: config.timeout.as_secs_f64(),
            retries: config.retries,
            cycle_delay: config.cycle_delay.as_secs_f64(),
        };
        let dotted = |arcs: &[u32]| {
            arcs.iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(".")
        };
        match &config.vendor {
            Vendor::Detect => c.vendor = "detect".into(),
            Vendor::Profile(p) => {
                c.vendor = p.name.into();
                if let Some(n) = outlet {
                    let cmd = |k: pdu_driver::vendors::Command| SetCommand {
                        oid: dotted(&p.outlet_oid(k.column, n)),
                        value: k.value,
                    };
                    let on = p.outlet_oid(p.switching.on.column, n);
                    c.oid = Some(dotted(on.get(..on.len().saturating_sub(1)).unwrap_or(&[])));
                    c.set_on = Some(cmd(p.switching.on));
                    c.set_off = Some(cmd(p.switching.off));
                    c.set_cycle = p.switching.cycle.map(cmd);
                    c.get_state = Some(StateRead {
                        oid: dotted(&p.state_oid(n)),
                        on: p.state.on.to_vec(),
                        off: p.state.off.to_vec(),
                    });
                }
            }
            Vendor::Raw(r) => {
                c.vendor = "raw".into();
                c.oid = Some(dotted(&r.control_prefix));
                if let Some(n) = outlet {
                    let at = |v: i64| SetCommand {
                        oid: format!("{}.{n}", dotted(&r.control_prefix)),
                        value: v,
                    };
                    c.set_on = Some(at(r.on));
                    c.set_off = Some(at(r.off));
                    c.set_cycle = r.cycle.map(at);
                    c.get_state = r.state.as_ref().map(|s| StateRead {
                        oid: format!("{}.{n}", dotted(&s.prefix)),
                        on: vec![s.on],
                        off: vec![s.off],
                    });
                }
            }
        }
        c
    }
}

/// pductl's `--auth` name as net-snmp's `-a` spells it (`sha256` -> `SHA-256`).
fn net_snmp_auth(name: &str) -> String {
    match name {
        "sha" => "SHA".into(),
        other => other.to_ascii_uppercase().replacen("SHA", "SHA-", 1),
    }
}

/// pductl's `--priv` name as net-snmp's `-x` spells it (`aes192-cisco` -> `AES-192-C`).
fn net_snmp_priv(name: &str) -> String {
    match name {
        "des" => "DES".into(),
        "3des" => "3DES".into(),
        "aes" => "AES".into(),
        "aes192" => "AES-192".into(),
        "aes256" => "AES-256".into(),
        "aes192-cisco" => "AES-192-C".into(),
        "aes256-cisco" => "AES-256-C".into(),
        other => other.to_ascii_uppercase(),
    }
}

/// One driver step, as the runner sends it.
#[derive(Clone, Serialize, Deserialize)]
pub struct Request {
    /// Always [`PROTOCOL_VERSION`].
    pub protocol: u32,
    /// Counts from 1 per adapter process; the reply carries it back.
    pub id: u64,
    /// One of [`ACTIONS`].
    pub action: String,
    /// The outlet number, from 1.
    pub outlet: Option<u32>,
    /// How the driver connects.
    pub connection: Connection,
}

/// An error the driver reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplyError {
    /// Its kind: the exception class (`SNMPError`, `RuntimeError`), the tool's exit (`exit 1`),
    /// or [`NOT_SUPPORTED`].
    #[serde(rename = "type")]
    pub kind: String,
    /// Its message, as the driver words it.
    pub message: String,
}

/// The adapter's answer to one [`Request`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    /// The request's `id`.
    pub id: u64,
    /// `true`: the driver reported success.
    pub ok: bool,
    /// `state`: what the driver read (`on`, `off`, or the driver's own word).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Any other value the driver returned, kept as the driver gave it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<serde_json::Value>,
    /// When `ok` is false: what went wrong.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ReplyError>,
}

/// A driver under test.
#[derive(Debug, Clone, PartialEq)]
pub enum DriverChoice {
    /// `pdu-driver`, in-process (the default).
    Pductl,
    /// An adapter process.
    Adapter {
        /// The name used for its snapshots folder and its matrix column.
        name: String,
        /// The program and its arguments.
        command: Vec<String>,
    },
}

impl DriverChoice {
    /// Its name: `pductl`, a built-in adapter's name, or the command's file stem.
    pub fn name(&self) -> &str {
        match self {
            DriverChoice::Pductl => "pductl",
            DriverChoice::Adapter { name, .. } => name,
        }
    }
}

/// The built-in adapters, by name: `pductl` is in-process; the others are files in
/// `conformance/adapters/`.
pub const BUILT_IN: &[&str] = &["pductl", "net-snmp", "jumpstarter", "labgrid"];

/// The folder of the built-in adapters.
pub fn adapters_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("adapters")
}

/// The Python of the adapters' virtualenv `venv` (`adapters-venv`, `adapters-venv-labgrid`):
/// in `$PDU_ADAPTER_VENV_DIR`, else in the workspace's `target/` (made by
/// `conformance/adapters/setup.sh`).
pub fn adapter_python(venv: &str) -> PathBuf {
    let dir = match std::env::var_os("PDU_ADAPTER_VENV_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
    };
    dir.join(venv).join("bin/python")
}

/// Why a `--driver` value names no driver.
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    /// Neither a built-in name nor a command that exists.
    #[error("--driver {0:?}: not a built-in driver ({builtin}) nor an executable file; give a name or a command such as \"./my-adapter.sh\"", builtin = BUILT_IN.join(", "))]
    Unknown(String),
    /// A built-in Python adapter without its virtualenv.
    #[error("--driver {name}: its Python virtualenv is missing ({python}); create it with conformance/adapters/setup.sh (scripts/test.sh does)")]
    NoVenv {
        /// The adapter.
        name: String,
        /// The interpreter looked for.
        python: String,
    },
}

/// The driver a `--driver` value names: a built-in name ([`BUILT_IN`]) or a command line
/// (split on whitespace; the first word an executable file).
///
/// Errors: [`DriverError::Unknown`] for anything else, [`DriverError::NoVenv`] for a
/// Python adapter whose virtualenv was not made.
pub fn resolve(text: &str) -> Result<DriverChoice, DriverError> {
    let dir = adapters_dir();
    match text {
        "pductl" => return Ok(DriverChoice::Pductl),
        "net-snmp" => {
            return Ok(DriverChoice::Adapter {
                name: "net-snmp".into(),
                command: vec![dir.join("net-snmp.sh").to_string_lossy().into_owned()],
            })
        }
        "jumpstarter" | "labgrid" => {
            let (venv, file) = match text {
                "jumpstarter" => ("adapters-venv", "jumpstarter-driver-snmp.py"),
                _ => ("adapters-venv-labgrid", "labgrid-power.py"),
            };
            let python = adapter_python(venv);
            if !python.exists() {
                return Err(DriverError::NoVenv {
                    name: text.into(),
                    python: python.display().to_string(),
                });
            }
            return Ok(DriverChoice::Adapter {
                name: text.into(),
                command: vec![
                    python.to_string_lossy().into_owned(),
                    dir.join(file).to_string_lossy().into_owned(),
                ],
            });
        }
        _ => {}
    }
    let command: Vec<String> = text.split_whitespace().map(String::from).collect();
    let Some(program) = command.first() else {
        return Err(DriverError::Unknown(text.into()));
    };
    // A path, or a program found on PATH (`python3 my-adapter.py`).
    let on_path = !program.contains('/')
        && std::env::var_os("PATH").is_some_and(|paths| {
            std::env::split_paths(&paths).any(|dir| dir.join(program).is_file())
        });
    if !Path::new(program).is_file() && !on_path {
        return Err(DriverError::Unknown(text.into()));
    }
    // Named after the script when an interpreter runs one, else after the program.
    let named = command
        .iter()
        .skip(1)
        .find(|a| Path::new(a.as_str()).is_file())
        .unwrap_or(program);
    let name = Path::new(named)
        .file_stem()
        .map_or_else(|| "adapter".into(), |s| s.to_string_lossy().into_owned());
    Ok(DriverChoice::Adapter { name, command })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn connection_of_a_v3_raritan_config() {
        let mut c = Config::new("127.0.0.1");
        c.port = 1161;
        c.version = pdu_driver::SnmpVersion::V3;
        c.user = "admin".into();
        c.auth = pdu_driver::parse_auth("sha256").unwrap();
        c.auth_key = "authpass123".into();
        c.privacy = pdu_driver::parse_priv("aes192-cisco").unwrap();
        c.priv_key = "privpass123".into();
        c.vendor = "raritan-px2".parse().unwrap();
        let conn = Connection::new(&c, Some(3));
        assert_eq!(conn.auth_protocol.as_deref(), Some("SHA-256"));
        assert_eq!(conn.priv_protocol.as_deref(), Some("AES-192-C"));
        // jumpstarter's default OID is exactly PX2's switchingOperation for PDU 1.
        assert_eq!(conn.oid.as_deref(), Some("1.3.6.1.4.1.13742.6.4.1.2.1.2.1"));
        assert_eq!(conn.plug, Some(3));
        let off = conn.set_off.unwrap();
        assert_eq!(off.oid, "1.3.6.1.4.1.13742.6.4.1.2.1.2.1.3");
        assert_eq!(off.value, 0);
    }

    #[test]
    fn v2c_connection_has_no_v3_fields() {
        let mut c = Config::new("127.0.0.1");
        c.auth = pdu_driver::parse_auth("md5").unwrap();
        let conn = Connection::new(&c, Some(1));
        assert_eq!(conn.version, "2c");
        assert_eq!(conn.auth_protocol, None);
        assert_eq!(conn.auth_key, None);
        assert_eq!(conn.vendor, "detect");
        assert_eq!(conn.set_on, None);
    }

    /// The JSON Schema of ADAPTERS.md names exactly the fields this runner sends and reads.
    #[test]
    fn schema_matches_the_messages() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../adapter-protocol.schema.json")).unwrap();
        let keys = |v: &serde_json::Value| -> Vec<String> {
            let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
            k.sort();
            k
        };
        let mut c = Config::new("127.0.0.1");
        c.vendor = "raritan-px2".parse().unwrap();
        let request = serde_json::to_value(Request {
            protocol: PROTOCOL_VERSION,
            id: 1,
            action: "off".into(),
            outlet: Some(2),
            connection: Connection::new(&c, Some(2)),
        })
        .unwrap();
        let defs = &schema["$defs"];
        assert_eq!(keys(&request), keys(&defs["request"]["properties"]));
        assert_eq!(
            keys(&request["connection"]),
            keys(&defs["connection"]["properties"])
        );
        let mut required: Vec<String> =
            serde_json::from_value(defs["connection"]["required"].clone()).unwrap();
        required.sort();
        assert_eq!(keys(&request["connection"]), required);
        let hello = serde_json::to_value(Hello {
            protocol: 1,
            name: "n".into(),
            version: "v".into(),
            actions: vec!["on".into()],
            snmp_versions: Some(vec!["3".into()]),
            stateless: true,
        })
        .unwrap();
        assert_eq!(keys(&hello), keys(&defs["hello"]["properties"]));
        let reply = serde_json::to_value(Reply {
            id: 1,
            ok: false,
            state: Some("on".into()),
            value: Some(serde_json::json!(1)),
            error: Some(ReplyError {
                kind: "SNMPError".into(),
                message: "m".into(),
            }),
        })
        .unwrap();
        assert_eq!(keys(&reply), keys(&defs["reply"]["properties"]));
        let actions: Vec<String> =
            serde_json::from_value(defs["request"]["properties"]["action"]["enum"].clone())
                .unwrap();
        assert_eq!(actions, ACTIONS);
    }

    #[test]
    fn unknown_driver_names_the_choices() {
        let e = resolve("no-such-driver").unwrap_err().to_string();
        assert!(e.contains("net-snmp") && e.contains("jumpstarter"), "{e}");
    }

    #[test]
    fn an_interpreter_and_its_script_are_named_after_the_script() {
        let script = adapters_dir().join("labgrid-power.py");
        let choice = resolve(&format!("bash {}", script.display())).unwrap();
        assert_eq!(choice.name(), "labgrid-power");
        assert!(
            matches!(resolve("bash"), Ok(DriverChoice::Adapter { name, .. }) if name == "bash")
        );
    }
}
