//! `pdu-conformance check`: how well does a real device work with drivers?
//!
//! Protocol checks on hand-built requests ([`probe`]): SNMPv3 engine discovery, each security
//! level the user has, the Reports for an unknown user, a wrong key and a time outside the
//! window, GET, GETNEXT and GETBULK on the vendor's tables, the error-status of a bad SET.
//! Driver checks through [`pdu_driver::Pdu`]: detection, the outlet count, states and names,
//! and — only with `--outlet N --allow-switching` — outlet N off, on and cycled, each read back.
//! It never switches an outlet unasked. Each check is pass, fail or not applicable, with what
//! was sent and what came back ([`report`]).

pub mod probe;
pub mod report;

use std::net::ToSocketAddrs;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pdu_driver::vendors::{self, oid_string, Profile};
use pdu_driver::{Config, ConnectionArgs, OutletRef, Pdu, SnmpVersion, Vendor, Verification};
use snmp_proto::oids::{SYS_DESCR, SYS_OBJECT_ID, SYS_UP_TIME};
use snmp_proto::usm::UsmUser;
use snmp_proto::{Oid, Value};

use crate::load::session::{EngineView, Operation, RequestSpec, Security};
use probe::{hex, keys_for, Exchange, Link};
pub use report::{Check, Report, Status};
use snmp_proto::usm::SecurityLevel;

/// The flags of `pdu-conformance check`: the device, the SNMP security to speak, and what the
/// check may switch.
#[derive(clap::Args, Debug, Clone)]
#[command(after_help = "\
Examples:
  pdu-conformance check --host 10.0.0.5 --community private
  pdu-conformance check --host 10.0.0.5 --user ops --auth sha --auth-key 'auth pass' \\
      --priv aes --priv-key 'priv pass' --outlet 8 --allow-switching --report ./pdu-report
  pdu-conformance check --host 10.0.0.5 -v 3 -u ops -l authPriv -a sha -A 'auth pass' -x aes -X 'priv pass'
  pdu-conformance check --profile rack1      # a connection profile (pdu-driver's README)

Nothing is switched unless both --outlet and --allow-switching are given.
Exit status: 0 when no check failed, 2 when one did, 1 when the check could not run.")]
pub struct CheckArgs {
    /// The device and how to speak to it (the same flags as `pductl` and `load`).
    #[command(flatten)]
    pub conn: ConnectionArgs,
    /// A vendor profile (`pdusim vendors` lists them), or `detect` (read sysObjectID)
    /// [default: the connection profile's vendor, else detect].
    #[arg(long)]
    pub vendor: Option<String>,
    /// Same as --vendor detect.
    #[arg(long, conflicts_with = "vendor")]
    pub detect: bool,
    /// The outlet the bad-SET check addresses and, with --allow-switching, the one switched
    /// [default: the first outlet; nothing switched].
    #[arg(long, value_name = "N")]
    pub outlet: Option<u32>,
    /// Switch --outlet off, on, then cycle it, reading each back. Nothing is switched without it.
    #[arg(long, requires = "outlet")]
    pub allow_switching: bool,
    /// How long a switch may take to read back (and, at least, a cycle to come back on), in
    /// seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub switch_wait: u64,
    /// Print the report as JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Also write the report to DIR/check-report.md, DIR/check-report.json and
    /// DIR/check-report.html.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
}

/// What the check may do beyond reading.
#[derive(Clone, Debug)]
pub struct Options {
    /// The outlet the bad SET addresses (default: the first) and the one switched.
    pub outlet: Option<u32>,
    /// Switch `outlet` off, on and cycle it. Without it nothing is switched.
    pub allow_switching: bool,
    /// How long a cycled outlet may take to come back on.
    pub cycle_wait: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            outlet: None,
            allow_switching: false,
            cycle_wait: Duration::from_secs(30),
        }
    }
}

impl Options {
    /// Switch outlet `n` (off, on, cycle).
    pub fn switching(n: u32) -> Options {
        Options {
            outlet: Some(n),
            allow_switching: true,
            ..Options::default()
        }
    }
}

// The checks, in report order.
/// SNMPv3 engine discovery (RFC 3414 §4) is answered with a usmStatsUnknownEngineIDs Report
/// carrying the engine ID, boots and time; fails when engineBoots is at its maximum.
pub const DISCOVERY: &str = "engine discovery";
/// A GET as the user at noAuthNoPriv is accepted at the configured level, and below it either
/// accepted or refused with an answer (not silence).
pub const LEVEL_NOAUTH: &str = "security level noAuthNoPriv";
/// As [`LEVEL_NOAUTH`], at authNoPriv.
pub const LEVEL_AUTH: &str = "security level authNoPriv";
/// As [`LEVEL_NOAUTH`], at authPriv.
pub const LEVEL_PRIV: &str = "security level authPriv";
/// A GET as [`NO_SUCH_USER`] gets a usmStatsUnknownUserNames Report (RFC 3414 §3.2 step 4).
pub const UNKNOWN_USER: &str = "unknown user Report";
/// A GET signed with a wrong authentication key gets a usmStatsWrongDigests Report
/// (RFC 3414 §3.2 step 6).
pub const WRONG_KEY: &str = "wrong key Report";
/// A GET whose engine time is [`TIME_SKEW_SECS`] seconds ahead gets a usmStatsNotInTimeWindows
/// Report (RFC 3414 §3.2 step 7), not an answer.
pub const TIME_WINDOW: &str = "time window";
/// One GET of sysDescr, sysObjectID and sysUpTime is answered without error.
pub const GET: &str = "GET";
/// The driver's detection: a vendor profile claims the sysObjectID (or one was given).
pub const DETECTION: &str = "detection";
/// A GETNEXT on the profile's outlet state column returns the column's first row.
pub const GETNEXT: &str = "GETNEXT";
/// A GETBULK (max-repetitions 8) on the state column returns rows of it; not applicable to SNMPv1.
pub const GETBULK: &str = "GETBULK";
/// The profile's outlet-count object equals the number of outlets the driver lists.
pub const OUTLET_COUNT: &str = "outlet count";
/// Every outlet the driver lists has a readable, known state.
pub const OUTLET_STATES: &str = "outlet states";
/// The driver reads at least one outlet name (not applicable without a name column).
pub const OUTLET_NAMES: &str = "outlet names";
/// A SET of a value no command uses (9999) on an outlet's control cell is refused with
/// wrongValue (badValue in SNMPv1, or inconsistentValue).
pub const BAD_SET: &str = "bad SET";
/// With `--outlet N --allow-switching`: the driver switches outlet N off and reads it back off.
pub const SWITCH_OFF: &str = "switch off";
/// With `--outlet N --allow-switching`: the driver switches outlet N on and reads it back on.
pub const SWITCH_ON: &str = "switch on";
/// With `--outlet N --allow-switching`: outlet N, cycled, reads off and then on again within
/// `--switch-wait` (on at every read fails: nothing shows the outlet lost power).
pub const SWITCH_CYCLE: &str = "switch cycle";

/// Every check name, in report order.
pub const ALL: [&str; 18] = [
    DISCOVERY,
    LEVEL_NOAUTH,
    LEVEL_AUTH,
    LEVEL_PRIV,
    UNKNOWN_USER,
    WRONG_KEY,
    TIME_WINDOW,
    GET,
    DETECTION,
    GETNEXT,
    GETBULK,
    OUTLET_COUNT,
    OUTLET_STATES,
    OUTLET_NAMES,
    BAD_SET,
    SWITCH_OFF,
    SWITCH_ON,
    SWITCH_CYCLE,
];

fn level_check(l: SecurityLevel) -> &'static str {
    match l {
        SecurityLevel::NoAuthNoPriv => LEVEL_NOAUTH,
        SecurityLevel::AuthNoPriv => LEVEL_AUTH,
        SecurityLevel::AuthPriv => LEVEL_PRIV,
    }
}

/// The user name the unknown-user check sends (no agent should have it).
pub const NO_SUCH_USER: &str = "pdu-conformance-no-such-user";
/// The authentication password the wrong-key check signs with.
const WRONG_PASSWORD: &str = "pdu-conformance-wrong-key";
/// How far the time-window check moves the engine time (RFC 3414 §3.2 step 7: 150 s window).
pub const TIME_SKEW_SECS: i32 = 200;

/// Why a v1/v2c GET goes unanswered, most of the time: agents drop requests with a community
/// they do not know, or from an address their access list does not allow, without a word.
const SILENT_TO_COMMUNITY: &str = "no answer: an agent stays silent to a community it does not \
     know and to addresses its access list refuses, so the usual cause is a wrong --community \
     (or an access list on the device that does not include this address); otherwise check \
     --snmp-version, --port and that SNMP is enabled on the device";

/// The bad value written to a control cell: no vendor's command uses it.
const BAD_VALUE: i32 = 9999;

/// Why `check` could not run.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The connection flags do not make a valid driver configuration.
    #[error(transparent)]
    Config(#[from] pdu_driver::Error),
    /// The async runtime could not start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    /// The report files could not be written.
    #[error(transparent)]
    Report(#[from] report::WriteError),
}

fn config_of(args: &CheckArgs) -> Result<Config, CheckError> {
    // The connection profile's vendor, if any, is already in `c`; the flags override it.
    let mut c = args.conn.to_config()?;
    if args.detect {
        c.vendor = Vendor::Detect;
    } else if let Some(vendor) = &args.vendor {
        c.vendor = vendor.parse::<Vendor>()?;
    }
    c.verify = Some(Duration::from_secs(args.switch_wait));
    c.validate()?;
    Ok(c)
}

/// `pdu-conformance check`: runs [`check`] against the device `args` names, prints the report
/// (text, or JSON with `--json`) and, with `--report DIR`, writes it there too.
///
/// Returns exit status 0 when no check failed and 2 when one did. Errors:
/// [`CheckError::Config`] when the flags do not make a valid driver configuration,
/// [`CheckError::Runtime`], and [`CheckError::Report`] when the report files cannot be written.
pub fn run(args: CheckArgs) -> Result<ExitCode, CheckError> {
    let config = config_of(&args)?;
    let options = Options {
        outlet: args.outlet,
        allow_switching: args.allow_switching,
        cycle_wait: Duration::from_secs(args.switch_wait),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CheckError::Runtime)?;
    let report = runtime.block_on(check(config, &options));
    if args.json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.to_text());
    }
    if let Some(dir) = &args.report {
        let [md, json, html] = report.write(dir)?;
        eprintln!(
            "report written to {}, {} and {}",
            md.display(),
            json.display(),
            html.display()
        );
    }
    Ok(if report.failed() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

fn oids_text(oids: &[&[u32]]) -> String {
    oids.iter()
        .map(|o| oid_string(o))
        .collect::<Vec<_>>()
        .join(", ")
}

fn spec(operation: Operation, oids: &[&[u32]], set_value: Option<Value<'static>>) -> RequestSpec {
    RequestSpec {
        operation,
        oids: oids.iter().map(|o| Oid::new(o)).collect(),
        set_value,
    }
}

/// What the protocol checks send with: the configured security (and, v3, the engine).
struct Speaker {
    security: Security,
    engine: Option<EngineView>,
    /// e.g. `over v2c` or `as "admin" at authPriv`.
    who: String,
}

impl Speaker {
    async fn ask(&self, link: &mut Link, spec: &RequestSpec, what: String) -> Exchange {
        let mut s = link.session(self.security.clone(), spec, self.engine.clone());
        link.request(&mut s, spec, format!("{what} {}", self.who))
            .await
    }
}

/// A check built from one exchange.
fn judged(name: &str, ex: &Exchange, status: Status, why: impl Into<String>) -> Check {
    Check::new(name, status, why).with(ex.sent.clone(), ex.received())
}

/// Runs every check against the device `config` names.
pub async fn check(config: Config, options: &Options) -> Report {
    let security = match config.version {
        SnmpVersion::V3 => format!("v3 {} as {:?}", config.security_level(), config.user),
        v => format!("v{v}"),
    };
    let mut report = Report::new(format!("{}:{}", config.host, config.port), security);
    let target = match (config.host.as_str(), config.port)
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
    {
        Some(a) => a,
        None => {
            report.push(Check::fail(
                if config.version == SnmpVersion::V3 {
                    DISCOVERY
                } else {
                    GET
                },
                format!("cannot resolve {}", config.host),
            ));
            skip_rest(&mut report, "the host cannot be resolved");
            return report;
        }
    };
    let mut link = Link::new(target, &config);

    // SNMPv3: discovery, the levels, the Reports, the time window.
    let speaker = if config.version == SnmpVersion::V3 {
        match usm_checks(&config, &mut link, &mut report).await {
            Some(s) => s,
            None => return report,
        }
    } else {
        let why = "not SNMPv3: give --user NAME (and its keys) to check it";
        for name in [
            DISCOVERY,
            LEVEL_NOAUTH,
            LEVEL_AUTH,
            LEVEL_PRIV,
            UNKNOWN_USER,
            WRONG_KEY,
            TIME_WINDOW,
        ] {
            report.push(Check::na(name, why));
        }
        Speaker {
            security: probe::community_security(&config),
            engine: None,
            who: format!("over v{}", config.version),
        }
    };

    // GET of the system group: the agent answers at all, with the right request-id.
    let ex = speaker
        .ask(
            &mut link,
            &spec(
                Operation::Get,
                &[SYS_DESCR, SYS_OBJECT_ID, SYS_UP_TIME],
                None,
            ),
            format!(
                "GET {}",
                oids_text(&[SYS_DESCR, SYS_OBJECT_ID, SYS_UP_TIME])
            ),
        )
        .await;
    let get_ok = matches!(
        &ex.outcome,
        probe::Outcome::Answered {
            verdict: Ok(()),
            ..
        }
    );
    report.push(if get_ok {
        judged(
            GET,
            &ex,
            Status::Pass,
            "sysDescr, sysObjectID and sysUpTime read in one GET",
        )
    } else if ex.silent() && ex.strays.is_empty() && config.version != SnmpVersion::V3 {
        judged(GET, &ex, Status::Fail, SILENT_TO_COMMUNITY)
    } else {
        judged(GET, &ex, Status::Fail, ex.trouble())
    });
    if ex.silent() && ex.strays.is_empty() && config.version != SnmpVersion::V3 {
        skip_rest(
            &mut report,
            "the agent did not answer the first GET (wrong community or an access list?)",
        );
        return report;
    }

    // Detection, through the driver.
    let mut pdu = match Pdu::new(config.clone()) {
        Ok(p) => p,
        Err(e) => {
            report.push(Check::fail(
                DETECTION,
                format!("the driver refuses the configuration: {e}"),
            ));
            skip_rest(&mut report, "the driver cannot be configured");
            return report;
        }
    };
    let mut detected = false;
    let is_raw = matches!(config.vendor, Vendor::Raw(_));
    let mut suggested: Option<String> = None;
    match pdu.detect().await {
        Ok(d) => {
            let evidence = format!("sysObjectID {} ({:?})", d.sys_object_id, d.sys_descr);
            detected = true;
            suggested = d.profile.map(String::from);
            report.push(match d.profile {
                Some(p) if is_raw => Check::pass(
                    DETECTION,
                    format!("{evidence}: raw mode (--vendor raw) uses the raw OIDs, not a profile; detection would pick {p}"),
                ),
                _ if is_raw => Check::pass(
                    DETECTION,
                    format!("{evidence}: raw mode (--vendor raw) uses the raw OIDs, not a profile"),
                ),
                Some(p) => Check::pass(DETECTION, format!("{evidence} -> profile {p}")),
                None if !matches!(config.vendor, Vendor::Detect) => Check::pass(
                    DETECTION,
                    format!("{evidence}: no profile claims it; using the one given"),
                ),
                None => Check::fail(
                    DETECTION,
                    format!("{evidence}: no profile claims it; give --vendor"),
                ),
            });
        }
        Err(e) => report.push(Check::fail(
            DETECTION,
            format!("the driver's detection failed: {e}"),
        )),
    }
    if detected || !matches!(config.vendor, Vendor::Detect) {
        report.profile = pdu.profile_name().await.ok().map(String::from);
    }
    let profile = report.profile.as_deref().and_then(vendors::by_name);

    // The vendor's tables.
    let Some(profile) = profile else {
        let why = match (is_raw, &suggested) {
            (true, Some(p)) => format!("raw mode has no vendor tables to ask for: check with --vendor {p} (what detection picks) to run this check"),
            (true, None) => "raw mode has no vendor tables to ask for: give --vendor NAME to run this check".to_string(),
            _ => "no vendor profile, so no vendor table to ask for (give --vendor)".to_string(),
        };
        for name in [
            GETNEXT,
            GETBULK,
            OUTLET_COUNT,
            OUTLET_STATES,
            OUTLET_NAMES,
            BAD_SET,
        ] {
            report.push(Check::na(name, why.as_str()));
        }
        switching(&mut report, &mut pdu, &config, options).await;
        return report;
    };
    let column = profile.state.column;
    let ex = speaker
        .ask(
            &mut link,
            &spec(Operation::GetNext, &[column], None),
            format!("GETNEXT {} (the outlet state column)", oid_string(column)),
        )
        .await;
    report.push(match (&ex.outcome, ex.answer()) {
        (
            probe::Outcome::Answered {
                verdict: Ok(()), ..
            },
            Some(a),
        ) if a
            .varbinds
            .first()
            .is_some_and(|(o, _)| o.starts_with(column)) =>
        {
            judged(
                GETNEXT,
                &ex,
                Status::Pass,
                "the first row of the state column",
            )
        }
        (
            probe::Outcome::Answered {
                verdict: Ok(()), ..
            },
            Some(_),
        ) => judged(
            GETNEXT,
            &ex,
            Status::Fail,
            "the answer is past the state column: the table is empty or missing",
        ),
        _ => judged(GETNEXT, &ex, Status::Fail, ex.trouble()),
    });

    if config.version == SnmpVersion::V1 {
        report.push(Check::na(GETBULK, "SNMPv1 has no GETBULK"));
    } else {
        let ex = speaker
            .ask(
                &mut link,
                &spec(Operation::GetBulk { max_repetitions: 8 }, &[column], None),
                format!(
                    "GETBULK non-repeaters 0 max-repetitions 8 {}",
                    oid_string(column)
                ),
            )
            .await;
        report.push(match (&ex.outcome, ex.answer()) {
            (
                probe::Outcome::Answered {
                    verdict: Ok(()), ..
                },
                Some(a),
            ) => {
                let inside = a
                    .varbinds
                    .iter()
                    .filter(|(o, _)| o.starts_with(column))
                    .count();
                if inside > 0 {
                    judged(
                        GETBULK,
                        &ex,
                        Status::Pass,
                        format!(
                            "{} varbinds, {inside} in the state column, in order",
                            a.varbinds.len()
                        ),
                    )
                } else {
                    judged(GETBULK, &ex, Status::Fail, "no varbind in the state column")
                }
            }
            _ => judged(
                GETBULK,
                &ex,
                Status::Fail,
                format!("{}: drivers must fall back to GETNEXT", ex.trouble()),
            ),
        });
    }

    // Outlets, through the driver.
    let list = pdu.outlets().await;
    let rows = list.as_ref().map(|l| l.outlets.len()).unwrap_or(0);
    match profile.outlet_count {
        None => report.push(Check::na(
            OUTLET_COUNT,
            format!(
                "{} has no outlet-count object ({rows} rows in the state column)",
                profile.name
            ),
        )),
        Some(oid) => {
            let ex = speaker
                .ask(
                    &mut link,
                    &spec(Operation::Get, &[oid], None),
                    format!("GET {} (outlet count)", oid_string(oid)),
                )
                .await;
            let count = ex
                .answer()
                .and_then(|a| a.varbinds.first())
                .and_then(|(_, v)| v.rsplit(' ').next()?.parse::<usize>().ok());
            report.push(match (&ex.outcome, count) {
                (
                    probe::Outcome::Answered {
                        verdict: Ok(()), ..
                    },
                    Some(c),
                ) if c == rows && c > 0 => judged(
                    OUTLET_COUNT,
                    &ex,
                    Status::Pass,
                    format!("{c} outlets, as many as rows in the state column"),
                ),
                (
                    probe::Outcome::Answered {
                        verdict: Ok(()), ..
                    },
                    Some(c),
                ) => judged(
                    OUTLET_COUNT,
                    &ex,
                    Status::Fail,
                    format!("the count says {c}, the state column has {rows} rows"),
                ),
                _ => judged(OUTLET_COUNT, &ex, Status::Fail, ex.trouble()),
            });
        }
    }
    let mut first_outlet = None;
    match list {
        Ok(list) if list.outlets.is_empty() => {
            report.push(Check::fail(
                OUTLET_STATES,
                format!("no outlets read: {}", list.notes.join("; ")),
            ));
            report.push(Check::fail(OUTLET_NAMES, "no outlets read"));
        }
        Ok(list) => {
            first_outlet = list.outlets.first().map(|o| o.outlet);
            let unreadable = list
                .outlets
                .iter()
                .filter(|o| o.state == "unreadable" || o.state.starts_with("unknown"))
                .count();
            let summary = list
                .outlets
                .iter()
                .map(|o| format!("{}={}", o.outlet, o.state))
                .collect::<Vec<_>>()
                .join(" ");
            report.push(if unreadable == 0 {
                Check::pass(
                    OUTLET_STATES,
                    format!("{} outlets: {summary}", list.outlets.len()),
                )
            } else {
                Check::fail(
                    OUTLET_STATES,
                    format!(
                        "{unreadable} of {} outlets unreadable: {summary}",
                        list.outlets.len()
                    ),
                )
            });
            let names: Vec<String> = list
                .outlets
                .iter()
                .filter_map(|o| {
                    o.name
                        .as_deref()
                        .filter(|n| !n.is_empty())
                        .map(|n| format!("{}={n:?}", o.outlet))
                })
                .collect();
            let notes = if list.notes.is_empty() {
                String::new()
            } else {
                format!(": {}", list.notes.join("; "))
            };
            report.push(match (profile.name_column, names.len()) {
                (None, _) => Check::na(
                    OUTLET_NAMES,
                    format!("{} has no outlet name column", profile.name),
                ),
                (Some(_), 0) => Check::fail(OUTLET_NAMES, format!("no outlet name read{notes}")),
                (Some(_), n) => Check::pass(
                    OUTLET_NAMES,
                    format!(
                        "{n} of {} outlets named: {}",
                        list.outlets.len(),
                        names.join(" ")
                    ),
                ),
            });
        }
        Err(e) => {
            report.push(Check::fail(
                OUTLET_STATES,
                format!("the driver could not list the outlets: {e}"),
            ));
            report.push(Check::fail(OUTLET_NAMES, "no outlets read"));
        }
    }

    // A bad SET: an out-of-range command value on one outlet's control cell.
    match options.outlet.or(first_outlet) {
        None => report.push(Check::na(BAD_SET, "no outlet to address")),
        Some(n) => report.push(bad_set(&speaker, &mut link, profile, n).await),
    }

    switching(&mut report, &mut pdu, &config, options).await;
    report
}

/// Marks every check not yet in the report not applicable, with `why`.
fn skip_rest(report: &mut Report, why: &str) {
    for name in ALL {
        if report.get(name).is_none() {
            report.push(Check::na(name, format!("skipped: {why}")));
        }
    }
}

/// The SNMPv3 checks. `None` when the agent cannot be spoken to (the rest is skipped).
async fn usm_checks(config: &Config, link: &mut Link, report: &mut Report) -> Option<Speaker> {
    let context = config.context.as_bytes().to_vec();
    let nobody = Arc::new(UsmUser {
        name: Vec::new(),
        auth: None,
        privacy: None,
    });
    let discovery_spec = spec(Operation::Get, &[], None);
    let mut s = link.session(
        Security::Usm {
            keys: nobody,
            context: context.clone(),
        },
        &discovery_spec,
        None,
    );
    let ex = link.discover(&mut s).await;
    let engine = match (&s.engine, ex.answer().and_then(probe::Answer::report)) {
        (Some(e), _) if e.boots == i32::MAX => {
            report.push(judged(DISCOVERY, &ex, Status::Fail, format!("engine ID {}, boots at its maximum {}: the engine is locked out (RFC 3414 §2.2.2)", hex(&e.engine_id), e.boots)));
            e.clone()
        }
        (Some(e), Some("usmStatsUnknownEngineIDs")) => {
            report.push(judged(
                DISCOVERY,
                &ex,
                Status::Pass,
                format!(
                    "engine ID {}, boots {}, time {} s",
                    hex(&e.engine_id),
                    e.boots,
                    e.time
                ),
            ));
            e.clone()
        }
        (Some(e), r) => {
            let what = r.map_or_else(
                || "not a Report".to_string(),
                |r| format!("a Report of {r}"),
            );
            report.push(judged(
                DISCOVERY,
                &ex,
                Status::Fail,
                format!(
                    "engine ID {} learned, but the answer is {what}, not usmStatsUnknownEngineIDs",
                    hex(&e.engine_id)
                ),
            ));
            e.clone()
        }
        (None, _) => {
            report.push(judged(
                DISCOVERY,
                &ex,
                Status::Fail,
                format!(
                    "{}: no engine ID, so no SNMPv3 request can be made",
                    ex.trouble()
                ),
            ));
            skip_rest(report, "SNMPv3 engine discovery failed");
            return None;
        }
    };

    // Each level up to the configured one: accepted, or refused with an answer.
    let configured = config.security_level();
    let get_spec = spec(Operation::Get, &[SYS_DESCR], None);
    let mut synced = engine.clone();
    let mut configured_keys = None;
    for level in [
        SecurityLevel::NoAuthNoPriv,
        SecurityLevel::AuthNoPriv,
        SecurityLevel::AuthPriv,
    ] {
        let name = level_check(level);
        if level > configured {
            report.push(Check::na(
                name,
                format!("the user was given at {} only", configured.name()),
            ));
            continue;
        }
        let keys = match keys_for(config, &config.user, level, &engine.engine_id, None) {
            Ok(k) => k,
            Err(e) => {
                report.push(Check::fail(name, format!("cannot derive the keys: {e}")));
                continue;
            }
        };
        let mut session = link.session(
            Security::Usm {
                keys: keys.clone(),
                context: context.clone(),
            },
            &get_spec,
            Some(synced.clone()),
        );
        let what = format!(
            "GET {} as {:?} at {}",
            oid_string(SYS_DESCR),
            config.user,
            level.name()
        );
        let mut check = Check::new(name, Status::Fail, "");
        let mut ex = link.request(&mut session, &get_spec, what.clone()).await;
        // The discovery Report's time may be unauthenticated or stale: one resend after an
        // authentic notInTimeWindow Report (RFC 3414 §4 time synchronization).
        if ex
            .answer()
            .is_some_and(|a| a.report() == Some("usmStatsNotInTimeWindows") && a.authenticated())
        {
            check = check.with(ex.sent.clone(), ex.received());
            ex = link
                .request(
                    &mut session,
                    &get_spec,
                    format!("{what}, with the engine time of the Report"),
                )
                .await;
        }
        check = check.with(ex.sent.clone(), ex.received());
        let accepted = matches!(
            &ex.outcome,
            probe::Outcome::Answered {
                verdict: Ok(()),
                ..
            }
        );
        if accepted {
            if let Some(e) = &session.engine {
                synced = e.clone();
            }
        }
        let refusal = ex.answer().map(|a| match a.report() {
            Some(r) => format!("Report {r}"),
            None => raw_status(a.error_status),
        });
        (check.status, check.evidence) = match (accepted, level == configured, refusal) {
            (true, true, _) => (Status::Pass, "accepted (the configured level)".into()),
            (true, false, _) => (Status::Pass, "accepted".into()),
            (false, true, Some(r)) => (Status::Fail, format!("the configured level is refused: {r}")),
            (false, true, None) => (Status::Fail, format!("the configured level does not work: {}", ex.trouble())),
            (false, false, Some(r)) => (Status::Pass, format!("refused with {r} (the user is not allowed this level)")),
            (false, false, None) => (Status::Fail, format!("{}: a refusal should be answered (a Report or authorizationError), not left to time out", ex.trouble())),
        };
        report.push(check);
        if level == configured {
            configured_keys = Some(keys);
        }
    }

    // An unknown user: usmStatsUnknownUserNames (RFC 3414 §3.2 step 4).
    let unknown = Arc::new(UsmUser {
        name: NO_SUCH_USER.as_bytes().to_vec(),
        auth: None,
        privacy: None,
    });
    let mut s = link.session(
        Security::Usm {
            keys: unknown,
            context: context.clone(),
        },
        &get_spec,
        Some(synced.clone()),
    );
    let ex = link
        .request(
            &mut s,
            &get_spec,
            format!(
                "GET {} as the unknown user {NO_SUCH_USER:?} at noAuthNoPriv",
                oid_string(SYS_DESCR)
            ),
        )
        .await;
    report.push(expect_report(
        UNKNOWN_USER,
        &ex,
        "usmStatsUnknownUserNames",
        "drivers can only time out and cannot say the user name is wrong",
    ));

    // A wrong authentication key: usmStatsWrongDigests (step 6).
    if configured == SecurityLevel::NoAuthNoPriv {
        report.push(Check::na(
            WRONG_KEY,
            "the user was given without authentication",
        ));
        report.push(Check::na(
            TIME_WINDOW,
            "needs an authenticated user (the time window applies to authenticated requests only)",
        ));
    } else {
        match keys_for(
            config,
            &config.user,
            SecurityLevel::AuthNoPriv,
            &engine.engine_id,
            Some(WRONG_PASSWORD),
        ) {
            Err(e) => report.push(Check::fail(
                WRONG_KEY,
                format!("cannot derive the keys: {e}"),
            )),
            Ok(keys) => {
                let mut s = link.session(
                    Security::Usm {
                        keys,
                        context: context.clone(),
                    },
                    &get_spec,
                    Some(synced.clone()),
                );
                let ex = link
                    .request(
                        &mut s,
                        &get_spec,
                        format!(
                            "GET {} as {:?} at authNoPriv, signed with a wrong key",
                            oid_string(SYS_DESCR),
                            config.user
                        ),
                    )
                    .await;
                report.push(expect_report(
                    WRONG_KEY,
                    &ex,
                    "usmStatsWrongDigests",
                    "drivers can only time out and cannot say the key is wrong",
                ));
            }
        }
        // The time window: engine time 200 s ahead gets usmStatsNotInTimeWindows (step 7).
        match &configured_keys {
            None => report.push(Check::fail(TIME_WINDOW, "no keys for the configured level")),
            Some(keys) => {
                let ahead = probe::skewed(&synced, TIME_SKEW_SECS);
                let mut s = link.session(
                    Security::Usm {
                        keys: keys.clone(),
                        context: context.clone(),
                    },
                    &get_spec,
                    Some(ahead),
                );
                let what = format!(
                    "GET {} as {:?} at {}, engine time {TIME_SKEW_SECS} s ahead of the agent's",
                    oid_string(SYS_DESCR),
                    config.user,
                    configured.name()
                );
                let ex = link.request(&mut s, &get_spec, what).await;
                let mut c = expect_report(
                    TIME_WINDOW,
                    &ex,
                    "usmStatsNotInTimeWindows",
                    "drivers cannot resynchronise their clock",
                );
                if c.status == Status::Pass
                    && !ex.answer().is_some_and(probe::Answer::authenticated)
                {
                    c.evidence.push_str(" (not authenticated: RFC 3414 §3.2 step 7 sends it authNoPriv, so drivers can trust its time)");
                }
                if matches!(
                    &ex.outcome,
                    probe::Outcome::Answered {
                        verdict: Ok(()),
                        ..
                    }
                ) {
                    c.status = Status::Fail;
                    c.evidence = format!("accepted a request {TIME_SKEW_SECS} s outside the time window: no replay protection");
                }
                report.push(c);
            }
        }
    }

    let keys = configured_keys?;
    Some(Speaker {
        security: Security::Usm { keys, context },
        engine: Some(synced),
        who: format!("as {:?} at {}", config.user, configured.name()),
    })
}

fn raw_status(status: i32) -> String {
    format!("{} ({status})", crate::scenario::raw::status_name(status))
}

/// Pass when the answer is a Report of `counter`.
fn expect_report(name: &str, ex: &Exchange, counter: &str, if_silent: &str) -> Check {
    match ex.answer().map(|a| (a.report(), a.error_status)) {
        Some((Some(r), _)) if r == counter => {
            judged(name, ex, Status::Pass, format!("Report {counter}"))
        }
        Some((Some(r), _)) => judged(
            name,
            ex,
            Status::Fail,
            format!("a Report of {r}, not {counter}"),
        ),
        Some((None, 0)) => judged(
            name,
            ex,
            Status::Fail,
            format!("answered as if nothing were wrong, not with a Report of {counter}"),
        ),
        Some((None, s)) => judged(
            name,
            ex,
            Status::Fail,
            format!(
                "a Response with {}, not a Report of {counter}",
                raw_status(s)
            ),
        ),
        None if ex.silent() => judged(
            name,
            ex,
            Status::Fail,
            format!("no answer (the agent stays silent): {if_silent}"),
        ),
        None => judged(name, ex, Status::Fail, ex.trouble()),
    }
}

async fn bad_set(speaker: &Speaker, link: &mut Link, profile: &Profile, n: u32) -> Check {
    let oid = profile.outlet_oid(profile.switching.on.column, n);
    let spec = spec(Operation::Set, &[&oid], Some(Value::Integer(BAD_VALUE)));
    let ex = speaker.ask(link, &spec, format!("SET {} = INTEGER {BAD_VALUE} (outlet {n}'s control cell; no command has this value)", oid_string(&oid))).await;
    let Some(a) = ex.answer() else {
        return judged(BAD_SET, &ex, Status::Fail, ex.trouble());
    };
    if let Some(r) = a.report() {
        return judged(
            BAD_SET,
            &ex,
            Status::Fail,
            format!("a Report of {r} instead of a Response"),
        );
    }
    match a.error_status {
        10 => judged(BAD_SET, &ex, Status::Pass, "refused with wrongValue"),
        3 => judged(BAD_SET, &ex, Status::Pass, "refused with badValue (SNMPv1)"),
        12 => judged(BAD_SET, &ex, Status::Pass, "refused with inconsistentValue"),
        0 if a.exceptions > 0 => judged(
            BAD_SET,
            &ex,
            Status::Fail,
            "noError with an exception value (silent noSuchInstance): the SET looks successful, drivers must read back to know",
        ),
        0 => judged(BAD_SET, &ex, Status::Fail, format!("accepted: a device should refuse {BAD_VALUE} with wrongValue")),
        s => judged(BAD_SET, &ex, Status::Fail, format!("refused with {}, not wrongValue: drivers cannot tell a refused value from a device fault", raw_status(s))),
    }
}

/// Off, on, cycle — only with `--outlet N --allow-switching`.
async fn switching(report: &mut Report, pdu: &mut Pdu, config: &Config, options: &Options) {
    let n = match (options.outlet, options.allow_switching) {
        (Some(n), true) => n,
        (Some(n), false) => {
            for name in [SWITCH_OFF, SWITCH_ON, SWITCH_CYCLE] {
                report.push(Check::na(
                    name,
                    format!("not asked: give --allow-switching to switch outlet {n}"),
                ));
            }
            return;
        }
        (None, _) => {
            for name in [SWITCH_OFF, SWITCH_ON, SWITCH_CYCLE] {
                report.push(Check::na(
                    name,
                    "not asked: give --outlet N --allow-switching to switch one outlet",
                ));
            }
            return;
        }
    };
    let outlet = OutletRef::Number(n);
    for (name, on) in [(SWITCH_OFF, false), (SWITCH_ON, true)] {
        let result = if on {
            pdu.on(&outlet).await
        } else {
            pdu.off(&outlet).await
        };
        let word = if on { "on" } else { "off" };
        report.push(match result {
            Ok(r) => {
                let before = r.before.as_deref().unwrap_or("unread");
                match r.verification {
                    Verification::Confirmed { state, after_ms } => {
                        Check::pass(name, format!("outlet {n} was {before}; switched {word}; read back {state} after {after_ms} ms"))
                    }
                    Verification::NotConfirmed { last_state, deadline_ms } => Check::fail(
                        name,
                        format!("outlet {n} was {before}; the SET {word} was accepted but the outlet still reads {last_state} after {deadline_ms} ms"),
                    ),
                    other => Check::fail(name, format!("outlet {n}: switched {word} but not read back: {other:?}")),
                }
            }
            Err(e) => Check::fail(name, format!("outlet {n}: {e}")),
        });
    }
    report.push(cycle(pdu, config, n, options.cycle_wait).await);
}

/// Cycles outlet `n` and polls its state until it is on again after going off.
async fn cycle(pdu: &mut Pdu, config: &Config, n: u32, wait: Duration) -> Check {
    let outlet = OutletRef::Number(n);
    // The cycle without the driver's own read-back: this check does its own, recording the off phase.
    let mut c = config.clone();
    c.verify = None;
    if let Ok(name) = pdu.profile_name().await {
        if let Ok(v) = name.parse::<Vendor>() {
            c.vendor = v;
        }
    }
    let mut quiet = match Pdu::new(c) {
        Ok(p) => p,
        Err(e) => return Check::fail(SWITCH_CYCLE, e.to_string()),
    };
    let sent = match quiet.cycle(&outlet).await {
        Ok(r) => format!(
            "outlet {n} was {}; cycled ({} command)",
            r.before.as_deref().unwrap_or("unread"),
            r.method
        ),
        Err(e) => return Check::fail(SWITCH_CYCLE, format!("outlet {n}: {e}")),
    };
    let start = Instant::now();
    let grace = Duration::from_millis(1500).min(wait);
    let mut off_at = None;
    loop {
        let last = match quiet.state(&outlet).await {
            Ok(s) => s.state,
            Err(e) => format!("unreadable ({e})"),
        };
        let elapsed = start.elapsed();
        if last != "on" && off_at.is_none() {
            off_at = Some(elapsed.as_millis());
        }
        if last == "on" {
            match off_at {
                Some(off) => {
                    return Check::pass(
                        SWITCH_CYCLE,
                        format!(
                            "{sent}; read back off after {off} ms, on again after {} ms",
                            elapsed.as_millis()
                        ),
                    );
                }
                // On throughout: nothing shows that the outlet lost power. A cycle shorter than
                // the poll is indistinguishable from a command that did nothing, so it fails.
                None if elapsed >= grace => {
                    return Check::fail(
                        SWITCH_CYCLE,
                        format!("{sent}; read on at every read for {} ms: no off phase seen, so nothing shows the outlet was cycled (the command did nothing, or the PDU's power-off period is shorter than the 250 ms poll: lengthen it, e.g. outletPowerCyclingPowerOffPeriod)", elapsed.as_millis()),
                    );
                }
                None => {}
            }
        }
        if elapsed >= wait {
            return Check::fail(
                SWITCH_CYCLE,
                format!("{sent}; still {last} after {} ms", wait.as_millis()),
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
