//! `pdu-conformance check`: how well does a real device work with drivers? Detection, every
//! outlet's state and name, GETBULK, the SNMPv3 security levels the user gets, what a bad SET
//! answers (QUIRKS 18) and — only with `--switch OUTLET` — off then on with read-back.
//! It never switches an outlet unasked.

use std::net::ToSocketAddrs;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use pdu_driver::session::{SetValue, Transport};
use pdu_driver::{AuthProtocol, Config, OutletRef, Pdu, PrivProtocol, SnmpVersion, Vendor, Verification};
use serde::Serialize;

use crate::scenario::raw::{self, RawRequest};

#[derive(clap::Args, Debug, Clone)]
#[command(after_help = "\
Examples:
  pdu-conformance check --host 10.0.0.5 --community private
  pdu-conformance check --host 10.0.0.5 --version 3 --user ops --auth sha --auth-key 'auth pass' \\
      --priv aes --priv-key 'priv pass' --switch 8 --json

Exit status: 0 when no check failed, 2 when one did, 1 when the check could not run.")]
pub struct CheckArgs {
    #[arg(long)]
    pub host: String,
    #[arg(long, default_value_t = 161)]
    pub port: u16,
    /// SNMP version: 1, 2c or 3.
    #[arg(long = "version", value_name = "1|2c|3", default_value = "2c")]
    pub snmp_version: String,
    #[arg(long, default_value = "private", env = "PDU_CHECK_COMMUNITY")]
    pub community: String,
    #[arg(long)]
    pub user: Option<String>,
    #[arg(long)]
    pub auth: Option<String>,
    #[arg(long, env = "PDU_CHECK_AUTH_KEY", hide_env_values = true)]
    pub auth_key: Option<String>,
    #[arg(long = "priv")]
    pub privacy: Option<String>,
    #[arg(long, env = "PDU_CHECK_PRIV_KEY", hide_env_values = true)]
    pub priv_key: Option<String>,
    #[arg(long, default_value = "")]
    pub context: String,
    /// A vendor profile, or `detect` (read sysObjectID).
    #[arg(long, default_value = "detect")]
    pub vendor: String,
    /// Switch this outlet off, then on, reading each back. Nothing is switched without it.
    #[arg(long, value_name = "OUTLET")]
    pub switch: Option<u32>,
    #[arg(long, default_value_t = 1000)]
    pub timeout_ms: u64,
    #[arg(long, default_value_t = 1)]
    pub retries: u32,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Pass,
    Fail,
    NotApplicable,
    /// Works, but drivers need to know (a quirk).
    Note,
}

impl Status {
    fn word(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "FAIL",
            Status::NotApplicable => "n/a",
            Status::Note => "note",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub check: String,
    pub status: Status,
    pub evidence: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub target: String,
    pub security: String,
    pub profile: Option<String>,
    pub checks: Vec<Check>,
}

impl Report {
    pub fn failed(&self) -> bool {
        self.checks.iter().any(|c| c.status == Status::Fail)
    }

    pub fn to_text(&self) -> String {
        let width = self.checks.iter().map(|c| c.check.len()).max().unwrap_or(10).max(5);
        let mut out = format!(
            "Compatibility check of {} ({}), profile {}\n\n{:<width$}  {:<6}  evidence\n",
            self.target,
            self.security,
            self.profile.as_deref().unwrap_or("none"),
            "check",
            "result"
        );
        for c in &self.checks {
            out.push_str(&format!("{:<width$}  {:<6}  {}\n", c.check, c.status.word(), c.evidence));
        }
        let count = |s: Status| self.checks.iter().filter(|c| c.status == s).count();
        out.push_str(&format!(
            "\n{} passed, {} failed, {} notes, {} not applicable\n",
            count(Status::Pass),
            count(Status::Fail),
            count(Status::Note),
            count(Status::NotApplicable)
        ));
        out
    }
}

fn config_of(args: &CheckArgs) -> Result<Config> {
    let mut c = Config::new(args.host.clone());
    c.port = args.port;
    c.version = args.snmp_version.parse::<SnmpVersion>().map_err(|e| anyhow::anyhow!("{e}"))?;
    c.community = args.community.as_str().into();
    if let Some(u) = &args.user {
        c.user = u.clone();
    }
    if let Some(a) = &args.auth {
        c.auth = a.parse::<AuthProtocol>().map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    if let Some(k) = &args.auth_key {
        c.auth_key = k.as_str().into();
    }
    if let Some(p) = &args.privacy {
        c.privacy = p.parse::<PrivProtocol>().map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    if let Some(k) = &args.priv_key {
        c.priv_key = k.as_str().into();
    }
    c.context = args.context.clone();
    c.vendor = args.vendor.parse::<Vendor>().map_err(|e| anyhow::anyhow!("{e}"))?;
    c.timeout = Duration::from_millis(args.timeout_ms.max(1));
    c.retries = args.retries;
    c.verify = Some(Duration::from_secs(10));
    c.validate().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(c)
}

pub fn run(args: CheckArgs) -> Result<ExitCode> {
    let config = config_of(&args)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let report = runtime.block_on(check(config, args.switch));
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report).context("cannot render JSON")?);
    } else {
        print!("{}", report.to_text());
    }
    Ok(if report.failed() { ExitCode::from(2) } else { ExitCode::SUCCESS })
}

fn pass(check: &str, evidence: impl Into<String>) -> Check {
    Check { check: check.into(), status: Status::Pass, evidence: evidence.into() }
}
fn fail(check: &str, evidence: impl Into<String>) -> Check {
    Check { check: check.into(), status: Status::Fail, evidence: evidence.into() }
}
fn na(check: &str, evidence: impl Into<String>) -> Check {
    Check { check: check.into(), status: Status::NotApplicable, evidence: evidence.into() }
}
fn note(check: &str, evidence: impl Into<String>) -> Check {
    Check { check: check.into(), status: Status::Note, evidence: evidence.into() }
}

/// Runs every check against the device `config` names.
pub async fn check(config: Config, switch: Option<u32>) -> Report {
    let security = match config.version {
        SnmpVersion::V3 => format!("v3 {} as {:?}", config.security_level(), config.user),
        v => format!("v{v}"),
    };
    let mut report = Report {
        target: format!("{}:{}", config.host, config.port),
        security,
        profile: None,
        checks: Vec::new(),
    };
    let mut pdu = match Pdu::new(config.clone()) {
        Ok(p) => p,
        Err(e) => {
            report.checks.push(fail("configuration", e.to_string()));
            return report;
        }
    };

    // Detection (sysObjectID -> profile).
    match pdu.detect().await {
        Ok(d) => {
            let evidence = format!("sysObjectID {} ({:?})", d.sys_object_id, d.sys_descr);
            report.checks.push(match d.profile {
                Some(p) => pass("detection", format!("{evidence} -> profile {p}")),
                None if !matches!(config.vendor, Vendor::Detect) => note("detection", format!("{evidence}: no profile claims it; using the one given")),
                None => fail("detection", format!("{evidence}: no profile claims it; give --vendor")),
            });
        }
        Err(e) => {
            report.checks.push(fail("detection", e.to_string()));
            // Nothing else can work if the agent does not answer or the user is refused.
            if matches!(config.vendor, Vendor::Detect) {
                return report;
            }
        }
    }
    report.profile = pdu.profile_name().await.ok().map(String::from);

    // Every outlet's state and name.
    let mut first_outlet = None;
    match pdu.outlets().await {
        Ok(list) if list.outlets.is_empty() => {
            report.checks.push(fail("outlet table", format!("no outlets read: {}", list.notes.join("; "))))
        }
        Ok(list) => {
            first_outlet = list.outlets.first().map(|o| o.outlet);
            let unreadable = list.outlets.iter().filter(|o| o.state == "unreadable" || o.state.starts_with("unknown")).count();
            let named = list.outlets.iter().filter(|o| o.name.as_deref().is_some_and(|n| !n.is_empty())).count();
            let summary = list
                .outlets
                .iter()
                .map(|o| format!("{}={}", o.outlet, o.state))
                .collect::<Vec<_>>()
                .join(" ");
            report.checks.push(if unreadable == 0 {
                pass("outlet states", format!("{} outlets: {summary}", list.outlets.len()))
            } else {
                fail("outlet states", format!("{unreadable} of {} outlets unreadable: {summary}", list.outlets.len()))
            });
            report.checks.push(if named > 0 {
                pass("outlet names", format!("{named} of {} outlets named", list.outlets.len()))
            } else {
                note("outlet names", format!("no names read{}", if list.notes.is_empty() { String::new() } else { format!(": {}", list.notes.join("; ")) }))
            });
        }
        Err(e) => report.checks.push(fail("outlet table", e.to_string())),
    }

    // GETBULK on the state column (the built-in client speaks v2c).
    let profile = report.profile.as_deref().and_then(pdu_driver::vendors::by_name);
    report.checks.push(match (config.version, profile) {
        (SnmpVersion::V2c, Some(p)) => bulk_check(&config, p.state.column).await,
        (SnmpVersion::V1, _) => na("GETBULK", "SNMPv1 has no GETBULK"),
        (SnmpVersion::V3, _) => na("GETBULK", "checked over v2c only (give --version 2c and a community to check it)"),
        (_, None) => na("GETBULK", "no vendor profile, so no table to ask for"),
    });

    // The SNMPv3 security levels this user gets.
    if config.version == SnmpVersion::V3 {
        report.checks.extend(security_levels(&config).await);
    } else {
        report.checks.push(na("v3 security levels", "not SNMPv3"));
    }

    // What a bad SET answers: an out-of-range command value on the first outlet's control cell.
    match (profile, first_outlet) {
        (Some(p), Some(n)) => {
            let oid = p.outlet_oid(p.switching.on.column, n);
            let mut t = Transport::new(config.clone());
            let shown = pdu_driver::vendors::oid_string(&oid);
            report.checks.push(match t.set(vec![(oid, SetValue::Integer(9999))]).await {
                Ok(Ok(_)) => fail("bad SET refused", format!("SET {shown} = 9999 was accepted (a device should answer wrongValue)")),
                Ok(Err(r)) if matches!(r.status, 10 | 3) => pass("bad SET refused", format!("SET {shown} = 9999 -> {} ({})", pdu_driver::error::error_status_name(r.status), r.status)),
                Ok(Err(r)) => note(
                    "bad SET refused",
                    format!("SET {shown} = 9999 -> {} ({}), not wrongValue: drivers must treat it as a refused value (QUIRKS 18)", pdu_driver::error::error_status_name(r.status), r.status),
                ),
                Err(e) => fail("bad SET refused", e.to_string()),
            });
        }
        _ => report.checks.push(na("bad SET refused", "no profile or no outlet to address")),
    }

    // Switching, only when asked.
    match switch {
        None => report.checks.push(na("switch off/on", "not asked: give --switch OUTLET to switch one outlet off and on")),
        Some(n) => {
            let outlet = OutletRef::Number(n);
            for (label, result) in [("switch off", pdu.off(&outlet).await), ("switch on", pdu.on(&outlet).await)] {
                report.checks.push(match result {
                    Ok(r) => match r.verification {
                        Verification::Confirmed { state, after_ms } => pass(label, format!("outlet {n}: read back {state} after {after_ms} ms")),
                        other => fail(label, format!("outlet {n}: not confirmed: {other:?}")),
                    },
                    Err(e) => fail(label, e.to_string()),
                });
            }
        }
    }
    report
}

async fn bulk_check(config: &Config, column: &[u32]) -> Check {
    let target = match (config.host.as_str(), config.port).to_socket_addrs().ok().and_then(|mut a| a.next()) {
        Some(a) => a,
        None => return fail("GETBULK", format!("cannot resolve {}", config.host)),
    };
    let req = RawRequest {
        version: pdusim::wire::Version::V2c,
        community: config.community.expose().as_bytes().to_vec(),
        pdu_type: pdusim::wire::PduType::GetBulkRequest,
        varbinds: vec![pdusim::wire::VarBind { oid: pdusim::wire::Oid::new(column), value: pdusim::wire::Value::Null }],
        non_repeaters: 0,
        max_repetitions: 8,
    };
    match raw::exchange(target, &req, config.timeout).await {
        Ok(r) if r.error_status == 0 && !r.varbinds.is_empty() => {
            let prefix = format!("{}.", pdu_driver::vendors::oid_string(column));
            let inside = r.varbinds.iter().filter(|(o, _)| o.starts_with(&prefix)).count();
            pass("GETBULK", format!("max-repetitions 8 on {} -> {} varbinds, {inside} in the column", prefix.trim_end_matches('.'), r.varbinds.len()))
        }
        Ok(r) => fail("GETBULK", format!("{} at index {}, {} varbinds", r.status_name(), r.error_index, r.varbinds.len())),
        Err(e) => fail("GETBULK", format!("{e}: drivers must fall back to GETNEXT (QUIRKS 29)")),
    }
}

/// Tries the user at each level up to the one configured: which does the agent accept?
async fn security_levels(config: &Config) -> Vec<Check> {
    let mut levels = vec![("noAuthNoPriv", AuthProtocol::None, PrivProtocol::None)];
    if config.auth != AuthProtocol::None {
        levels.push(("authNoPriv", config.auth, PrivProtocol::None));
        if config.privacy != PrivProtocol::None {
            levels.push(("authPriv", config.auth, config.privacy));
        }
    }
    let mut out = Vec::new();
    let mut offered = Vec::new();
    for (name, auth, privacy) in levels {
        let mut c = config.clone();
        c.auth = auth;
        c.privacy = privacy;
        c.vendor = Vendor::Raw(pdu_driver::RawProfile::jumpstarter());
        let mut t = Transport::new(c);
        match t.get(vec![pdu_driver::vendors::SYS_DESCR.to_vec()]).await {
            Ok(_) => offered.push(name),
            Err(e) => out.push(note(&format!("v3 {name}"), format!("refused: {e}"))),
        }
    }
    let configured = config.security_level();
    out.insert(
        0,
        if offered.contains(&configured) {
            pass("v3 security levels", format!("accepted for {:?}: {}", config.user, offered.join(", ")))
        } else {
            fail("v3 security levels", format!("the configured level {configured} is refused; accepted: {}", if offered.is_empty() { "none".into() } else { offered.join(", ") }))
        },
    );
    out
}
