//! The `load` command line, and its checked form: a [`Plan`].

use std::borrow::Cow;
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use pdu_driver::config::ExposeSecret;
use pdu_driver::{ConnectionArgs, SnmpVersion};
use snmp_proto::usm::keys::AuthProtocol;
use snmp_proto::usm::{Password, PrivProtocol};
use snmp_proto::{Oid, Value, Version};

use super::session::{Operation, RequestSpec};

/// The flags of `pdu-conformance load`, as typed; [`LoadArgs::plan`] checks them.
#[derive(clap::Args, Debug, Clone)]
#[command(after_help = "\
Examples:
  pdu-conformance load --host 127.0.0.1 --port 1161 --community public --oid 1.3.6.1.2.1.1.1.0
  pdu-conformance load --host 127.0.0.1 --port 1161 --user admin --auth sha --auth-key authpass123 \\
      --priv aes --priv-key privpass123 --oid 1.3.6.1.2.1.1.5.0 --concurrency 4 --duration 10
  pdu-conformance load --host 127.0.0.1 -p 1161 -v 3 -u admin -a sha -A authpass123 -x aes -X privpass123 \\
      -c private --op set --oid 1.3.6.1.4.1.13742.6.4.1.2.1.2.1.1 --set-value i:1 --requests 1000
  pdu-conformance load --profile rack1 --oid 1.3.6.1.2.1.1.5.0   # a connection profile

A request unanswered within --timeout seconds counts as a timeout; load never resends (--retries
does not apply).
Exit status: 0 when every request was answered correctly, 2 when some were not (the summary
says which and why), 1 when the run could not start.")]
pub struct LoadArgs {
    /// The agent and how to speak to it (the same flags as `pductl` and `check`).
    #[command(flatten)]
    pub conn: ConnectionArgs,
    /// OIDs every request names, dotted (repeat the flag or list several).
    #[arg(long, num_args = 1.., required = true, value_name = "OID")]
    pub oid: Vec<String>,
    /// Request type.
    #[arg(long, default_value = "get", value_parser = ["get", "getnext", "getbulk", "set"])]
    pub op: String,
    /// GETBULK max-repetitions (non-repeaters is 0).
    #[arg(long, default_value_t = 10)]
    pub max_repetitions: i32,
    /// The value a SET writes to every OID, as TYPE:VALUE with TYPE one of i (INTEGER),
    /// u (Gauge32), c (Counter32), t (TimeTicks), s (string), x (hex string), o (OID),
    /// a (IpAddress). E.g. i:1, s:lab-admin, x:0a0b.
    #[arg(long, value_name = "TYPE:VALUE")]
    pub set_value: Option<String>,
    /// Workers, each with its own socket and one request in flight.
    #[arg(long, short = 'C', default_value_t = 1)]
    pub concurrency: u32,
    /// Run for this many seconds [default: 10, when --requests is not given].
    #[arg(long, short = 'd', conflicts_with = "requests")]
    pub duration: Option<f64>,
    /// Send this many requests in all, then stop [default: none; --duration decides].
    #[arg(long, short = 'N')]
    pub requests: Option<u64>,
    /// At most this many requests per second, spread over the workers [default: as fast as
    /// the agent answers].
    #[arg(long)]
    pub rate: Option<f64>,
    /// Print the summary as one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    /// No progress line on stderr.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// The agent's process ID, when it runs on this machine: the summary then shows the
    /// agent's CPU time per request too (from /proc/PID/stat).
    #[arg(long, value_name = "PID")]
    pub server_pid: Option<u32>,
}

/// How requests are protected.
#[derive(Clone, Debug)]
pub enum SecuritySpec {
    /// SNMPv1 or v2c with a community string.
    Community {
        /// `V1` or `V2c`.
        version: Version,
        /// The community, as bytes.
        community: Vec<u8>,
    },
    /// SNMPv3 with USM (RFC 3414); keys are localized once the engine ID is discovered.
    Usm {
        /// msgUserName (securityName).
        user: String,
        /// The authentication protocol and password; `None` for noAuthNoPriv.
        auth: Option<(AuthProtocol, Password)>,
        /// The privacy protocol and password; `None` for no privacy (needs `auth` when set).
        privacy: Option<(PrivProtocol, Password)>,
        /// contextName of every ScopedPDU (empty: the default context).
        context: Vec<u8>,
    },
}

impl SecuritySpec {
    /// e.g. `v3 authPriv (admin, SHA/AES)` or `v2c`.
    pub fn describe(&self) -> String {
        match self {
            SecuritySpec::Community { version, .. } => match version {
                Version::V1 => "v1".into(),
                _ => "v2c".into(),
            },
            SecuritySpec::Usm {
                user,
                auth,
                privacy,
                ..
            } => match (auth, privacy) {
                (Some((a, _)), Some((p, _))) => format!("v3 authPriv ({user}, {a}/{p})"),
                (Some((a, _)), None) => format!("v3 authNoPriv ({user}, {a})"),
                _ => format!("v3 noAuthNoPriv ({user})"),
            },
        }
    }
}

/// When a run ends.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Stop {
    /// After this long (`--duration`, 10 s by default).
    After(Duration),
    /// After this many requests in all, over every worker (`--requests`).
    Requests(u64),
}

/// A checked `load` command line.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The agent's address, resolved (the first address the name gives).
    pub target: SocketAddr,
    /// The agent as given, `host:port` (`[v6]:port` for an IPv6 literal), for the summary.
    pub target_text: String,
    /// How requests are protected.
    pub security: SecuritySpec,
    /// What every request asks.
    pub spec: RequestSpec,
    /// Workers, each with its own socket and one request in flight (at least 1).
    pub concurrency: u32,
    /// When the run ends.
    pub stop: Stop,
    /// At most this many requests per second over all workers; `None`: as fast as answered.
    pub rate: Option<f64>,
    /// How long a request waits for its answer before it counts as a timeout.
    pub timeout: Duration,
    /// Print the summary as one JSON object.
    pub json: bool,
    /// No progress line on stderr.
    pub quiet: bool,
    /// The agent's process ID, for its CPU time per request (from /proc/PID/stat).
    pub server_pid: Option<u32>,
}

/// A command line that cannot run, and what to do instead.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ArgError {
    /// The connection flags are not a valid configuration: the driver's message, which names
    /// the flag and the fix (no `--host`, an unknown version or protocol, a key shorter than 8
    /// characters, a protocol without its key, privacy without authentication, ...).
    #[error("{0}")]
    Connection(String),
    /// `--retries`: the load generator never resends, it counts a timeout.
    #[error("--retries does not apply to load: a request unanswered within --timeout counts as a timeout and is not sent again")]
    Retries,
    /// An SNMP version that is not 1, 2c or 3 (the text given).
    #[error("SNMP version {0:?} is not an SNMP version: use 1, 2c or 3")]
    Version(String),
    /// A privacy protocol without an authentication protocol (SNMPv3 has no privacy without
    /// authentication).
    #[error("--priv needs authentication: give --auth and --auth-key too")]
    PrivWithoutAuth,
    /// An `--oid` that is not a dotted OID of at least two arcs (the text given).
    #[error("{0:?} is not an OID: write it dotted, e.g. 1.3.6.1.2.1.1.1.0")]
    Oid(String),
    /// `--op getbulk` with `--snmp-version 1`.
    #[error("--op getbulk does not exist in SNMPv1: use --snmp-version 2c or 3, or --op getnext")]
    BulkInV1,
    /// `--op set` without `--set-value`.
    #[error("--op set needs --set-value TYPE:VALUE, e.g. --set-value i:1")]
    NoSetValue,
    /// A `--set-value` that cannot be read (the text given, why).
    #[error("--set-value {0:?}: {1}")]
    SetValue(String, String),
    /// A negative `--max-repetitions`.
    #[error("--max-repetitions must be 0 or more")]
    MaxRepetitions,
    /// `--concurrency 0`.
    #[error("--concurrency must be at least 1")]
    Concurrency,
    /// A `--duration` that is not a positive, finite number of seconds.
    #[error("--duration must be a positive number of seconds")]
    Duration,
    /// `--requests 0`.
    #[error("--requests must be at least 1")]
    Requests,
    /// A `--rate` that is not a positive, finite number of requests per second.
    #[error("--rate must be a positive number of requests per second")]
    Rate,
    /// `--host` does not resolve (the host, the resolver's error).
    #[error("cannot resolve {0}: {1}; give an IP address or a name this machine resolves")]
    Resolve(String, String),
}

/// An SNMP version: `1`/`v1`, `2c`/`v2c`/`2` or `3`/`v3`, in any case.
///
/// Errors: [`ArgError::Version`] for anything else.
pub fn parse_version(text: &str) -> Result<Version, ArgError> {
    match text.to_ascii_lowercase().as_str() {
        "1" | "v1" => Ok(Version::V1),
        "2c" | "v2c" | "2" => Ok(Version::V2c),
        "3" | "v3" => Ok(Version::V3),
        _ => Err(ArgError::Version(text.to_string())),
    }
}

/// A dotted OID (`1.3.6…` or `.1.3.6…`) of at least two arcs.
///
/// Errors: [`ArgError::Oid`] otherwise.
pub fn parse_oid(text: &str) -> Result<Oid, ArgError> {
    Oid::parse(text)
        .filter(|o| o.arcs().len() >= 2)
        .ok_or_else(|| ArgError::Oid(text.to_string()))
}

/// `TYPE:VALUE` as net-snmp's snmpset spells the types.
pub fn parse_set_value(text: &str) -> Result<Value<'static>, ArgError> {
    let bad = |why: &str| ArgError::SetValue(text.to_string(), why.to_string());
    let (kind, value) = text
        .split_once(':')
        .ok_or_else(|| bad("write it TYPE:VALUE, e.g. i:1 or s:text"))?;
    let number = |what: &str| -> Result<u32, ArgError> {
        value
            .trim()
            .parse::<u32>()
            .map_err(|_| bad(&format!("{what} needs a number from 0 to 4294967295")))
    };
    Ok(match kind {
        "i" | "integer" => Value::Integer(
            value
                .trim()
                .parse()
                .map_err(|_| bad("INTEGER needs a number from -2147483648 to 2147483647"))?,
        ),
        "u" | "gauge" | "unsigned" => Value::Gauge32(number("Gauge32")?),
        "c" | "counter" => Value::Counter32(number("Counter32")?),
        "t" | "timeticks" => Value::TimeTicks(number("TimeTicks")?),
        "s" | "string" => Value::OctetString(Cow::Owned(value.as_bytes().to_vec())),
        "x" | "hex" => {
            let digits: String = value.chars().filter(|c| !c.is_whitespace()).collect();
            let bytes = (0..digits.len())
                .step_by(2)
                .map(|i| {
                    digits
                        .get(i..i + 2)
                        .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                })
                .collect::<Option<Vec<u8>>>()
                .ok_or_else(|| bad("x needs an even number of hex digits"))?;
            Value::OctetString(Cow::Owned(bytes))
        }
        "o" | "oid" => Value::ObjectId(Oid::parse(value).ok_or_else(|| bad("not a dotted OID"))?),
        "a" | "ipaddress" => {
            let ip: std::net::Ipv4Addr = value
                .trim()
                .parse()
                .map_err(|_| bad("a needs an IPv4 address"))?;
            Value::IpAddress(ip.octets())
        }
        _ => return Err(bad("TYPE is one of i u c t s x o a")),
    })
}

impl LoadArgs {
    /// Checks everything that can be checked before sending anything.
    pub fn plan(&self) -> Result<Plan, ArgError> {
        let config = self
            .conn
            .to_config()
            .map_err(|e| ArgError::Connection(e.to_string()))?;
        if self.conn.retries.is_some() {
            return Err(ArgError::Retries);
        }
        let version = match config.version {
            SnmpVersion::V1 => Version::V1,
            SnmpVersion::V2c => Version::V2c,
            SnmpVersion::V3 => Version::V3,
        };
        let oids = self
            .oid
            .iter()
            .map(|o| parse_oid(o))
            .collect::<Result<Vec<_>, _>>()?;
        let operation = match self.op.as_str() {
            "getnext" => Operation::GetNext,
            "getbulk" => {
                if version == Version::V1 {
                    return Err(ArgError::BulkInV1);
                }
                if self.max_repetitions < 0 {
                    return Err(ArgError::MaxRepetitions);
                }
                Operation::GetBulk {
                    max_repetitions: self.max_repetitions,
                }
            }
            "set" => Operation::Set,
            _ => Operation::Get,
        };
        let set_value = match (operation, &self.set_value) {
            (Operation::Set, None) => return Err(ArgError::NoSetValue),
            (Operation::Set, Some(v)) => Some(parse_set_value(v)?),
            _ => None,
        };
        let security = if version == Version::V3 {
            let user = config.user.clone();
            let auth = config.auth.map(|a| (a, config.auth_key.clone()));
            let privacy = config.privacy.map(|p| (p, config.priv_key.clone()));
            SecuritySpec::Usm {
                user,
                auth,
                privacy,
                context: config.context.as_bytes().to_vec(),
            }
        } else {
            SecuritySpec::Community {
                version,
                community: config.community.expose_secret().as_bytes().to_vec(),
            }
        };
        if self.concurrency == 0 {
            return Err(ArgError::Concurrency);
        }
        let stop = match (self.duration, self.requests) {
            (_, Some(0)) => return Err(ArgError::Requests),
            (_, Some(n)) => Stop::Requests(n),
            (Some(d), None) if d.is_finite() && d > 0.0 => Stop::After(Duration::from_secs_f64(d)),
            (Some(_), None) => return Err(ArgError::Duration),
            (None, None) => Stop::After(Duration::from_secs(10)),
        };
        if let Some(r) = self.rate {
            if !(r.is_finite() && r > 0.0) {
                return Err(ArgError::Rate);
            }
        }
        let (host, port) = (config.host.as_str(), config.port);
        let target_text = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let target = (host, port)
            .to_socket_addrs()
            .map_err(|e| ArgError::Resolve(host.to_string(), e.to_string()))?
            .next()
            .ok_or_else(|| ArgError::Resolve(host.to_string(), "no address".into()))?;
        Ok(Plan {
            target,
            target_text,
            security,
            spec: RequestSpec {
                operation,
                oids,
                set_value,
            },
            concurrency: self.concurrency,
            stop,
            rate: self.rate,
            timeout: config.timeout,
            json: self.json,
            quiet: self.quiet,
            server_pid: self.server_pid,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        load: LoadArgs,
    }

    fn plan(args: &[&str]) -> Result<Plan, ArgError> {
        let mut argv = vec!["load", "--host", "127.0.0.1"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv).unwrap().load.plan()
    }

    #[test]
    fn defaults_are_v2c_get() {
        let p = plan(&["--oid", "1.3.6.1.2.1.1.1.0"]).unwrap();
        assert_eq!(p.target, "127.0.0.1:161".parse().unwrap());
        assert!(matches!(
            p.security,
            SecuritySpec::Community {
                version: Version::V2c,
                ..
            }
        ));
        assert_eq!(p.spec.operation, Operation::Get);
        assert_eq!(p.stop, Stop::After(Duration::from_secs(10)));
        assert_eq!(p.concurrency, 1);
        assert_eq!(p.timeout, Duration::from_secs(1));
    }

    #[test]
    fn full_v3_line() {
        let p = plan(&[
            "--port",
            "1161",
            "--snmp-version",
            "3",
            "--user",
            "admin",
            "--auth",
            "sha",
            "--auth-key",
            "authpass123",
            "--priv",
            "aes",
            "--priv-key",
            "privpass123",
            "--context",
            "pdu1",
            "--oid",
            "1.3.6.1.2.1.1.1.0",
            "1.3.6.1.2.1.1.5.0",
            "--op",
            "getbulk",
            "--max-repetitions",
            "24",
            "--concurrency",
            "4",
            "--requests",
            "1000",
            "--rate",
            "500",
            "--json",
        ])
        .unwrap();
        assert_eq!(p.target.port(), 1161);
        let SecuritySpec::Usm {
            user,
            auth,
            privacy,
            context,
        } = &p.security
        else {
            panic!("not USM")
        };
        assert_eq!(user, "admin");
        assert_eq!(auth.as_ref().unwrap().0, AuthProtocol::Sha1);
        assert_eq!(privacy.as_ref().unwrap().0, PrivProtocol::Aes128);
        assert_eq!(context, b"pdu1");
        assert_eq!(p.spec.oids.len(), 2);
        assert_eq!(
            p.spec.operation,
            Operation::GetBulk {
                max_repetitions: 24
            }
        );
        assert_eq!(p.stop, Stop::Requests(1000));
        assert_eq!(p.rate, Some(500.0));
        assert_eq!(p.concurrency, 4);
        assert!(p.json);
        assert!(p
            .security
            .describe()
            .starts_with("v3 authPriv (admin, SHA/"));
    }

    #[test]
    fn repeated_oid_flags_add_up() {
        let p = plan(&["--oid", "1.3.6.1.2.1.1.1.0", "--oid", ".1.3.6.1.2.1.1.3.0"]).unwrap();
        assert_eq!(p.spec.oids.len(), 2);
        assert_eq!(p.spec.oids[1].to_string(), "1.3.6.1.2.1.1.3.0");
    }

    #[test]
    fn mistakes_are_named() {
        let oid = "1.3.6.1.2.1.1.1.0";
        let connection = |args: &[&str]| match plan(args).unwrap_err() {
            ArgError::Connection(m) => m,
            other => panic!("not a connection error: {other:?}"),
        };
        assert!(connection(&["--oid", oid, "--snmp-version", "4"]).contains("use 1, 2c or 3"));
        assert_eq!(
            plan(&["--oid", "1.3.x"]).unwrap_err(),
            ArgError::Oid("1.3.x".into())
        );
        assert!(connection(&["--oid", oid, "-v", "3"]).contains("--user"));
        assert!(
            connection(&["--oid", oid, "-v", "3", "-u", "u", "-a", "sha"]).contains("--auth-key")
        );
        assert!(
            connection(&["--oid", oid, "-u", "u", "-x", "aes", "-X", "privpass1"])
                .contains("needs authentication")
        );
        assert!(
            connection(&["--oid", oid, "-u", "u", "-a", "sha1x", "-A", "authpass1"])
                .contains("sha1x")
        );
        let short = connection(&["--oid", oid, "-u", "u", "-A", "seven77"]);
        assert!(
            short.contains("at least 8") && !short.contains("seven77"),
            "{short}"
        );
        assert_eq!(
            plan(&["--oid", oid, "-r", "1"]).unwrap_err(),
            ArgError::Retries
        );
        assert_eq!(
            plan(&["--oid", oid, "-v", "1", "--op", "getbulk"]).unwrap_err(),
            ArgError::BulkInV1
        );
        assert_eq!(
            plan(&["--oid", oid, "--op", "set"]).unwrap_err(),
            ArgError::NoSetValue
        );
        assert_eq!(
            plan(&["--oid", oid, "--concurrency", "0"]).unwrap_err(),
            ArgError::Concurrency
        );
        assert_eq!(
            plan(&["--oid", oid, "--duration", "0"]).unwrap_err(),
            ArgError::Duration
        );
        assert_eq!(
            plan(&["--oid", oid, "--requests", "0"]).unwrap_err(),
            ArgError::Requests
        );
        assert_eq!(
            plan(&["--oid", oid, "--rate=-1"]).unwrap_err(),
            ArgError::Rate
        );
        // --duration and --requests exclude each other.
        assert!(
            Cli::try_parse_from(["load", "--oid", oid, "--duration", "1", "--requests", "5"])
                .is_err()
        );
    }

    #[test]
    fn set_values() {
        assert_eq!(parse_set_value("i:1").unwrap(), Value::Integer(1));
        assert_eq!(parse_set_value("i:-7").unwrap(), Value::Integer(-7));
        assert_eq!(parse_set_value("u:42").unwrap(), Value::Gauge32(42));
        assert_eq!(parse_set_value("c:42").unwrap(), Value::Counter32(42));
        assert_eq!(parse_set_value("t:100").unwrap(), Value::TimeTicks(100));
        assert_eq!(
            parse_set_value("s:lab admin:2").unwrap(),
            Value::octets("lab admin:2")
        );
        assert_eq!(parse_set_value("s:").unwrap(), Value::octets(""));
        assert_eq!(
            parse_set_value("x:0a ff").unwrap(),
            Value::octets(vec![0x0a, 0xff])
        );
        assert_eq!(
            parse_set_value("o:1.3.6.1").unwrap(),
            Value::ObjectId(Oid::new(&[1, 3, 6, 1]))
        );
        assert_eq!(
            parse_set_value("a:10.0.0.1").unwrap(),
            Value::IpAddress([10, 0, 0, 1])
        );
        for bad in [
            "1",
            "i:x",
            "i:99999999999",
            "u:-1",
            "x:abc",
            "q:1",
            "a:1.2.3",
        ] {
            assert!(parse_set_value(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn versions() {
        assert_eq!(parse_version("1").unwrap(), Version::V1);
        assert_eq!(parse_version("2c").unwrap(), Version::V2c);
        assert_eq!(parse_version("V3").unwrap(), Version::V3);
        assert!(parse_version("2d").is_err());
    }
}
