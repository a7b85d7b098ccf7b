//! `pdusim`: run simulated PDUs. `pdusim serve` runs the embedded default.

use snmp_proto::usm::ExposeSecret;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};

use pdusim::clock::{Clock, MonotonicClock};
use pdusim::config::{community_from_flag, user_from_flag, FileConfig, PduName, DEFAULT_CONFIG};
use pdusim::control::Control;
use pdusim::device::{Device, DeviceSpec};
use pdusim::launch::{launch, serve_listener};
use pdusim::outlet::Power;
use pdusim::profiles;
use pdusim::security::SaltSource;

#[derive(Parser)]
#[command(
    name = "pdusim",
    version,
    about = "A simulated switched PDU speaking SNMP v1, v2c and v3"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run PDUs: the embedded default, a config file, or one built from the flags below.
    Serve(Box<ServeArgs>),
    /// List the vendor profiles with their sysObjectID and outlet control OID.
    Vendors,
    /// Print a commented configuration file (the embedded default).
    ExampleConfig,
    /// Show or reset saved state (engine boots, engine IDs, outlets) without running PDUs.
    #[command(subcommand)]
    State(StateCommand),
}

#[derive(Subcommand)]
enum StateCommand {
    /// List each state directory's start count, who holds it, and its PDUs' engine ID, saved
    /// engineBoots (flagging a locked-out engine) and outlets.
    Show {
        /// A state directory, or a folder of them (default: where quick-flag simulators keep
        /// theirs, $XDG_STATE_HOME/pdusim or ~/.local/state/pdusim).
        #[arg(long)]
        state_dir: Option<PathBuf>,
    },
    /// Put PDUs back to a first start, as a factory reset of their SNMP engine: a new engine ID
    /// whose engineBoots is 1 at the next start, and with --outlets their outlets forgotten.
    /// Refused while a simulator uses the directory.
    Reset {
        /// The state directory (as `pdusim state show` lists it).
        #[arg(long)]
        state_dir: PathBuf,
        /// Only this PDU (repeatable; default: every PDU of the directory).
        #[arg(long = "pdu", value_name = "NAME")]
        pdus: Vec<String>,
        /// Forget the outlets' saved state too.
        #[arg(long)]
        outlets: bool,
    },
}

#[derive(clap::Args)]
struct ServeArgs {
    /// A TOML config file (see `pdusim example-config`). Not combined with the quick flags.
    #[arg(long, short)]
    config: Option<PathBuf>,
    /// Address to listen on (IP:PORT); repeat for more.
    #[arg(long, value_name = "IP:PORT")]
    listen: Vec<std::net::SocketAddr>,
    /// Vendor profile (`pdusim vendors` lists them).
    #[arg(long, value_parser = vendor_profile)]
    vendor: Option<&'static dyn profiles::VendorProfile>,
    /// Number of outlets.
    #[arg(long)]
    outlets: Option<u32>,
    /// The PDU's name (control API path, SNMPv3 context, state folder) and sysName.0; with
    /// --count N, NAME-1 ... NAME-N. Letters, digits, '-', '_' and '.'. [default: the vendor's
    /// short name (px2, rpdu2, epdu, sentry4, ...); with --count, VENDOR-1 ... VENDOR-N]
    #[arg(long, value_parser = pdu_name, value_name = "NAME")]
    name: Option<PduName>,
    /// A v1/v2c community, read-only unless it ends in `:rw` (repeatable).
    #[arg(long = "community", value_name = "NAME[:ro|:rw]")]
    communities: Vec<String>,
    /// An SNMPv3 user with read-write access (repeatable). AUTH: md5 sha sha224 sha256 sha384
    /// sha512; PRIV: des 3des aes aes192 aes256 aes192-cisco aes256-cisco.
    #[arg(long = "user", value_name = "NAME[:AUTH:AUTHPASS[:PRIV:PRIVPASS]]")]
    users: Vec<String>,
    /// Where engine boots and outlet states are kept.
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// fsync every outlet-state write, so an acknowledged SET survives a power cut (costs an
    /// fsync per SET; default: a write survives a crash of pdusim, not of the machine). Also
    /// the config key `state_fsync = true`.
    #[arg(long)]
    state_fsync: bool,
    /// Receive and send datagrams in batches (recvmmsg/sendmmsg, up to 32 at a time) on a
    /// dedicated thread per socket, instead of one at a time on the async runtime. For
    /// addresses with sockets of their own (not --spread address); see bench/README.md for
    /// when it pays.
    #[arg(long)]
    batch_io: bool,
    /// snmpEngineID as hex (5-32 bytes); default: made once and kept in the state directory.
    #[arg(long, value_parser = engine_id, value_name = "HEX")]
    engine_id: Option<EngineIdFlag>,
    /// Seconds a power cycle keeps an outlet off.
    #[arg(long)]
    power_off_period: Option<u64>,
    /// Outlet power at first start: on or off.
    #[arg(long, value_parser = power)]
    initial_power: Option<Power>,
    /// Serve an snmpsim `.snmprec` recording of a real device as the PDU's static base; the
    /// vendor profile owns the outlet columns, so outlets switch for real. Outlet count, names
    /// and the system group come from the recording unless given.
    #[arg(long)]
    recording: Option<PathBuf>,
    /// With --recording: skip bad lines of the recording (each is logged) instead of refusing it.
    #[arg(long, requires = "recording")]
    lenient: bool,
    /// Serve the control API (HTTP/JSON: outlets, faults, restarts) and the live dashboard (at
    /// `/`) on this address, e.g. 127.0.0.1:8161. Off unless given.
    #[arg(long, value_name = "IP:PORT")]
    control: Option<std::net::SocketAddr>,
    /// A token the control API and dashboard require on every request. Required off loopback:
    /// when --control binds another address and no token is given, one is made and printed.
    #[arg(long, value_name = "TOKEN", requires = "control")]
    control_token: Option<String>,
    /// Start this many identical PDUs from the --listen address (named VENDOR-1, VENDOR-2, ..., or NAME-1, ... with --name),
    /// placed as --spread says, for scale tests.
    #[arg(long, default_value_t = 1)]
    count: u32,
    /// How --count places its PDUs: `port` (consecutive ports of the --listen address) or
    /// `address` (consecutive loopback addresses on the --listen port, as PDUs in a data centre
    /// each at their own address: 127.1.0.1:161, 127.1.0.2:161, ...).
    #[arg(long, value_enum, default_value_t = Spread::Port, requires = "count")]
    spread: Spread,
    /// With --count N: this process is shard INDEX (from 0) of many, so its PDUs are numbered
    /// from INDEX*N+1 (VENDOR-1001, ... for shard 1 of 1000), as a StatefulSet's pods each
    /// serve their own range of PDUs. Also read from PDUSIM_SHARD.
    #[arg(long, env = "PDUSIM_SHARD", default_value_t = 0, value_name = "INDEX")]
    shard: u32,
    /// Send notifications (coldStart/warmStart, authenticationFailure, the vendor's outlet
    /// traps) to this receiver, e.g. snmptrapd on 127.0.0.1:1162 (repeatable).
    #[arg(long, value_name = "IP:PORT")]
    notify: Vec<String>,
    /// With --notify: send informs (acknowledged, retransmitted) instead of traps.
    #[arg(long, requires = "notify")]
    notify_inform: bool,
    /// With --notify: the SNMP version, 1, 2c or 3 (default 2c; 3 when --notify-user is given).
    #[arg(long, requires = "notify", value_name = "1|2c|3")]
    notify_version: Option<String>,
    /// With --notify: the v1/v2c community (default public).
    #[arg(long, requires = "notify", value_name = "NAME")]
    notify_community: Option<String>,
    /// With --notify: the SNMPv3 user notifications are sent as (implies version 3). AUTH and
    /// PRIV as for --user.
    #[arg(
        long,
        requires = "notify",
        value_name = "NAME[:AUTH:AUTHPASS[:PRIV:PRIVPASS]]"
    )]
    notify_user: Option<String>,
    /// With --notify-inform: milliseconds to wait for the Response before sending again
    /// (default 1000).
    #[arg(long, requires = "notify", value_name = "MS")]
    notify_timeout_ms: Option<u64>,
    /// With --notify-inform: how many times an unanswered inform is sent again (default 3).
    #[arg(long, requires = "notify", value_name = "N")]
    notify_retries: Option<u32>,
}

/// `--spread`: where `--count` puts its PDUs.
#[derive(Clone, Copy, PartialEq, Eq, Debug, clap::ValueEnum)]
enum Spread {
    /// Consecutive ports of one address.
    Port,
    /// Consecutive loopback addresses, one port.
    Address,
}

impl ServeArgs {
    fn has_quick_flags(&self) -> bool {
        !self.listen.is_empty()
            || self.vendor.is_some()
            || self.name.is_some()
            || self.outlets.is_some()
            || !self.communities.is_empty()
            || !self.users.is_empty()
            || self.engine_id.is_some()
            || self.power_off_period.is_some()
            || self.initial_power.is_some()
            || self.count != 1
            || self.shard != 0
            || self.recording.is_some()
            || !self.notify.is_empty()
    }

    /// The `[[pdu.notify]]` tables the --notify flags describe.
    fn notify_tables(&self) -> Result<Vec<pdusim::notification::NotifyConfig>> {
        use pdusim::notification::{NotifyConfig, NotifyKind, NotifyVersion};
        // Parsed here, not by clap: clap's errors repeat the flag's text, and it holds passwords.
        let user = self
            .notify_user
            .as_deref()
            .map(user_from_flag)
            .transpose()?;
        let version = match (self.notify_version.as_deref(), &user) {
            (Some("1"), _) => NotifyVersion::V1,
            (Some("2c"), _) => NotifyVersion::V2c,
            (Some("3"), _) | (None, Some(_)) => NotifyVersion::V3,
            (None, None) => NotifyVersion::V2c,
            (Some(other), _) => bail!("--notify-version {other:?}: use 1, 2c or 3"),
        };
        let secret = |p: &Option<snmp_proto::usm::Password>| {
            p.as_ref().map(|p| p.expose_secret().to_string())
        };
        let auth_name = |a: snmp_proto::usm::AuthProtocol| a.name().to_ascii_lowercase();
        Ok(self
            .notify
            .iter()
            .map(|address| NotifyConfig {
                address: address.clone(),
                version,
                kind: if self.notify_inform {
                    NotifyKind::Inform
                } else {
                    NotifyKind::Trap
                },
                community: self.notify_community.clone(),
                user: user.as_ref().map(|u| u.name.clone()),
                auth: user.as_ref().and_then(|u| u.auth).map(auth_name),
                auth_password: user.as_ref().and_then(|u| secret(&u.auth_password)),
                privacy: user
                    .as_ref()
                    .and_then(|u| u.privacy)
                    .map(|p| p.name().to_ascii_lowercase()),
                priv_password: user.as_ref().and_then(|u| secret(&u.priv_password)),
                timeout_ms: self.notify_timeout_ms.unwrap_or(1000),
                retries: self.notify_retries.unwrap_or(3),
            })
            .collect())
    }

    /// The config to run: the file, or the embedded default with the quick flags applied.
    fn config(&self) -> Result<(FileConfig, String, bool)> {
        if let Some(path) = &self.config {
            if self.has_quick_flags() {
                bail!("--config cannot be combined with --listen/--vendor/--name/--outlets/--community/--user/...: put those in the file");
            }
            let mut cfg = FileConfig::load(path)?;
            if let Some(dir) = &self.state_dir {
                cfg.state_dir = Some(dir.clone());
            }
            return Ok((cfg, path.display().to_string(), false));
        }
        let mut cfg = FileConfig::embedded_default();
        cfg.state_dir = self.state_dir.clone().or(cfg.state_dir);
        let credentials_given = !self.communities.is_empty() || !self.users.is_empty();
        let Some(pdu) = cfg.pdu.first_mut() else {
            bail!("the embedded default config has no PDU")
        };
        if !self.listen.is_empty() {
            pdu.listen = self.listen.clone();
        }
        if let Some(v) = self.vendor {
            pdu.vendor = Some(v);
        }
        if let Some(path) = &self.recording {
            // The recorded device's own identity, unless the flags say otherwise.
            pdu.recording = Some(path.clone());
            pdu.recording_lenient = self.lenient;
            // --vendor still wins over the profile the recording's sysObjectID names.
            pdu.vendor = self.vendor;
            pdu.outlets = None;
            pdu.initial_power = None;
            pdu.outlet_names.clear();
            pdu.sys_name.clear();
            pdu.sys_contact.clear();
            pdu.sys_location.clear();
        }
        if let Some(n) = self.outlets {
            pdu.outlets = Some(n);
            pdu.outlet_names.truncate(n as usize);
        }
        let quick = self.has_quick_flags();
        if quick {
            // A quick-flag PDU is what its vendor ships, at its address: the vendor's short name,
            // sysName and outlet names (a recording keeps the recorded ones), or --name.
            pdu.name = match (&self.name, pdu.vendor, &self.recording) {
                (Some(name), _, _) => name.clone(),
                (None, Some(v), _) => short_name(v.name())?,
                (None, None, Some(path)) => recording_name(path)?,
                (None, None, None) => short_name(DEFAULT_VENDOR)?,
            };
            let vendor = pdu.vendor.map_or(DEFAULT_VENDOR, |v| v.name());
            // The default vendor's PDU is the embedded default's (px2, px2-lab, web-1, ...),
            // moved; every other vendor ships with its own names.
            if self.recording.is_none() && vendor != DEFAULT_VENDOR {
                let factory = pdusim::factory::identity(vendor);
                pdu.sys_name = factory.sys_name(pdu.listen.first().copied());
                pdu.outlet_names = factory.outlet_names(pdu.outlets.unwrap_or(8));
            }
            if let (Some(name), None) = (&self.name, &self.recording) {
                pdu.sys_name = name.to_string();
            }
        }
        if credentials_given {
            // Parsed here, not by clap: clap's errors repeat the flag's text, a secret.
            pdu.community = self
                .communities
                .iter()
                .map(|c| community_from_flag(c))
                .collect::<Result<_, _>>()?;
            // Parsed here, not by clap: clap's errors repeat the flag's text, and it holds passwords.
            pdu.user = self
                .users
                .iter()
                .map(|u| user_from_flag(u))
                .collect::<Result<_, _>>()?;
        }
        pdu.engine_id = self
            .engine_id
            .clone()
            .map(|id| id.0)
            .or(pdu.engine_id.take());
        if let Some(p) = self.power_off_period {
            pdu.power_off_period = p;
        }
        if let Some(p) = self.initial_power {
            pdu.initial_power = Some(p);
        }
        pdu.notify = self.notify_tables()?;
        if self.count == 0 {
            bail!("--count must be at least 1");
        }
        let first_number = self
            .shard
            .checked_mul(self.count)
            .and_then(|n| n.checked_add(1))
            .filter(|first| first.checked_add(self.count - 1).is_some())
            .with_context(|| {
                format!(
                    "--shard {} with --count {} numbers PDUs past {}: use a smaller shard index",
                    self.shard,
                    self.count,
                    u32::MAX
                )
            })?;
        if self.count > 1 || self.shard > 0 {
            let template = pdu.clone();
            let base: std::net::SocketAddr = *template
                .listen
                .first()
                .context("--count needs --listen IP:PORT with a port to count up from")?;
            let place = placement(base, self.count, self.spread)?;
            let prefix = match &self.name {
                Some(name) => name.to_string(),
                None => template.vendor.map_or("pdu", |v| v.name()).to_string(),
            };
            let factory = template
                .vendor
                .filter(|v| v.name() != DEFAULT_VENDOR && template.recording.is_none())
                .map(|v| pdusim::factory::identity(v.name()));
            cfg.pdu = (0..self.count)
                .map(|i| {
                    let mut p = template.clone();
                    p.name = PduName::try_from(format!("{prefix}-{}", first_number + i))
                        .map_err(anyhow::Error::msg)?;
                    p.listen = vec![place(i)];
                    if let Some(factory) = &factory {
                        p.sys_name = factory.sys_name(Some(place(i)));
                    }
                    if self.name.is_some() && template.recording.is_none() {
                        p.sys_name = p.name.to_string();
                    }
                    p.engine_id = None;
                    Ok(p)
                })
                .collect::<Result<_>>()?;
        }
        if cfg.state_dir.is_none() {
            // Without --state-dir, each quick-flag simulator keeps its state in a folder named
            // after its vendor and address, so two simulators started side by side never share
            // an engine or outlets, and a changed --vendor never adopts another vendor's state.
            let first = cfg.pdu.first();
            let vendor = match first.map(|p| (p.vendor, p)) {
                Some((Some(v), _)) => v.name().to_string(),
                // A recording's vendor is known once it is read: its folder is named after the
                // PDU, which is named after the recording (never "raritan-px2" for an APC).
                Some((None, p)) if p.recording.is_some() => p.name.to_string(),
                _ => DEFAULT_VENDOR.to_string(),
            };
            let place = first
                .and_then(|p| p.listen.first())
                .map_or_else(String::new, |a| {
                    format!("-{}-{}", a.ip().to_string().replace(':', "_"), a.port())
                });
            cfg.state_dir = Some(cfg.state_root().join(format!("{vendor}{place}")));
        }
        Ok((cfg, "command line".into(), !credentials_given))
    }
}

/// The profile every quick-flag PDU has unless --vendor or a recording names another.
const DEFAULT_VENDOR: &str = "raritan-px2";

/// `--name NAME`, checked as config files check `name`.
fn pdu_name(text: &str) -> std::result::Result<PduName, String> {
    PduName::try_from(text.to_string())
}

/// A vendor's default PDU name (`px2`, `rpdu2`, ...).
fn short_name(vendor: &str) -> Result<PduName> {
    PduName::try_from(pdusim::factory::identity(vendor).short_name.to_string())
        .map_err(anyhow::Error::msg)
}

/// A recording's PDU name: its file name without `.snmprec`, as a usable PDU name
/// (`recordings/apc-8932.snmprec` -> `apc-8932`).
fn recording_name(path: &std::path::Path) -> Result<PduName> {
    let stem: String = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    let stem = stem.trim_start_matches('.');
    let stem = if stem.is_empty() { "recording" } else { stem };
    PduName::try_from(stem.to_string()).map_err(anyhow::Error::msg)
}

/// Where PDU `i` (from 0) of `--count N` listens, checked for all N before any is made.
fn placement(
    base: std::net::SocketAddr,
    count: u32,
    spread: Spread,
) -> Result<impl Fn(u32) -> std::net::SocketAddr> {
    let last = count - 1;
    match spread {
        Spread::Port => {
            if u32::from(base.port()) + last > 65535 {
                bail!(
                    "--count {count} from port {} would go past port 65535: start lower, run fewer, or use --spread address",
                    base.port()
                );
            }
        }
        Spread::Address => {
            let std::net::IpAddr::V4(ip) = base.ip() else {
                bail!("--spread address needs an IPv4 loopback --listen address such as 127.1.0.1:1161 (IPv6 loopback is one address)");
            };
            if !ip.is_loopback() {
                bail!("--spread address needs a loopback --listen address such as 127.1.0.1:1161, got {ip}: real interfaces would need every address configured on them");
            }
            if base.port() == 0 {
                bail!("--spread address needs a port every PDU shares, e.g. --listen 127.1.0.1:1161 (port 0 gives each address a port of its own)");
            }
            if u32::from(ip).checked_add(last).map_or(true, |end| {
                end > u32::from(std::net::Ipv4Addr::new(127, 255, 255, 254))
            }) {
                bail!("--count {count} from {ip} would go past 127.255.255.254: start lower (e.g. 127.1.0.1) or run fewer");
            }
        }
    }
    Ok(move |i: u32| match spread {
        Spread::Port => std::net::SocketAddr::new(base.ip(), base.port().wrapping_add(i as u16)),
        Spread::Address => {
            let ip = match base.ip() {
                std::net::IpAddr::V4(ip) => std::net::Ipv4Addr::from(u32::from(ip).wrapping_add(i)),
                std::net::IpAddr::V6(_) => std::net::Ipv4Addr::LOCALHOST,
            };
            std::net::SocketAddr::new(ip.into(), base.port())
        }
    })
}

/// `--vendor NAME`: a profile from the registry.
fn vendor_profile(name: &str) -> std::result::Result<&'static dyn profiles::VendorProfile, String> {
    profiles::find(name).ok_or_else(|| {
        format!(
            "unknown vendor {name:?}: choose one of {}",
            profiles::names().join(", ")
        )
    })
}

/// `--engine-id HEX`, parsed (a newtype: clap would take a bare `Vec<u8>` for many values).
#[derive(Clone)]
struct EngineIdFlag(Vec<u8>);

fn engine_id(text: &str) -> std::result::Result<EngineIdFlag, String> {
    pdusim::engine::parse_engine_id(text)
        .map(EngineIdFlag)
        .map_err(|e| e.to_string())
}

/// `--initial-power on|off`.
fn power(text: &str) -> std::result::Result<Power, String> {
    match text.to_ascii_lowercase().as_str() {
        "on" => Ok(Power::On),
        "off" => Ok(Power::Off),
        _ => Err("use on or off".into()),
    }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        // Colour only for a person at a terminal: never in files, pipes or CI logs.
        .with_ansi(
            std::io::IsTerminal::is_terminal(&std::io::stderr())
                && std::env::var_os("NO_COLOR").is_none(),
        )
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => run_serve(*args),
        Command::State(StateCommand::Show { state_dir }) => {
            let dir = state_dir.unwrap_or_else(|| FileConfig::embedded_default().state_root());
            pdusim::state_dir::show(&dir)
                .map(|text| print!("{text}"))
                .map_err(anyhow::Error::new)
        }
        Command::State(StateCommand::Reset {
            state_dir,
            pdus,
            outlets,
        }) => pdusim::state_dir::reset(&state_dir, &pdus, outlets)
            .map(|removed| {
                if removed.is_empty() {
                    println!("nothing to reset: the directory has no PDU folders");
                }
                for file in removed {
                    println!("reset {}", file.display());
                }
            })
            .map_err(anyhow::Error::new),
        Command::Vendors => {
            let oid = |arcs: &[u32]| {
                arcs.iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(".")
            };
            let rows: Vec<[String; 4]> = profiles::PROFILES
                .iter()
                .map(|p| {
                    [
                        p.name().to_string(),
                        p.description().to_string(),
                        oid(p.sys_object_id()),
                        oid(p.control_oid()),
                    ]
                })
                .collect();
            let header = [
                "vendor",
                "device",
                "sysObjectID",
                "control OID (outlet appended)",
            ]
            .map(String::from);
            let widths: Vec<usize> = (0..4)
                .map(|i| {
                    rows.iter()
                        .chain([&header])
                        .map(|r| r[i].len())
                        .max()
                        .unwrap_or(0)
                })
                .collect();
            for row in std::iter::once(&header).chain(&rows) {
                let cells: Vec<String> = row
                    .iter()
                    .zip(&widths)
                    .map(|(c, w)| format!("{c:<w$}"))
                    .collect();
                println!("{}", cells.join("  ").trim_end());
            }
            Ok(())
        }
        Command::ExampleConfig => {
            print!("{DEFAULT_CONFIG}");
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pdusim: {}", pdusim::error_chain::text(&*e));
            ExitCode::FAILURE
        }
    }
}

fn run_serve(args: ServeArgs) -> Result<()> {
    let (cfg, origin, default_credentials) = args.config()?;
    pdusim::batch::set_batched(args.batch_io);
    if args.state_fsync || cfg.state_fsync {
        pdusim::persist::set_state_durability(pdusim::persist::Durability::PowerLoss);
    }
    let pdus = cfg.validate(&origin)?;
    // The checked specs are all that is needed from here: 100,000 PDUs' configs go now.
    drop(cfg);
    let clock: Arc<dyn Clock> = Arc::new(MonotonicClock::new());
    let started = std::time::Instant::now();
    // The control port is bound before anything starts, so a busy port fails the start before
    // any PDU says it is listening (or bumps its engine boots).
    let control_listener = match args.control {
        Some(addr) => {
            let listener = std::net::TcpListener::bind(addr)
                .with_context(|| format!("cannot serve the control API on {addr}: is the port in use? pick another with --control"))?;
            listener
                .set_nonblocking(true)
                .context("setting up the control API socket")?;
            Some(listener)
        }
        None => None,
    };
    let launched = launch(pdus, clock.clone())?;
    // A PDU at snmpEngineBoots' maximum says so when it comes into being (`Device`).
    let devices = launched.devices.clone();
    if launched.devices.len() <= BANNER_LIMIT {
        for device in &launched.devices {
            let spec = device.spec();
            let addrs: Vec<_> = launched
                .endpoints
                .iter()
                .filter(|e| e.devices().iter().any(|d| Arc::ptr_eq(d, device)))
                .map(|e| e.addr)
                .collect();
            print_banner(device, spec, &addrs, default_credentials);
        }
    } else {
        let first = launched
            .endpoints
            .first()
            .map(|e| e.addr.to_string())
            .unwrap_or_default();
        let last = launched
            .endpoints
            .last()
            .map(|e| e.addr.to_string())
            .unwrap_or_default();
        println!(
            "pdusim: {} PDUs listening on {} addresses ({first} .. {last}), started in {:.2} s",
            launched.devices.len(),
            launched.endpoints.len(),
            started.elapsed().as_secs_f64()
        );
        // Only with notification targets: reading the engine ID makes the PDU come into being.
        if let Some(device) = launched
            .devices
            .first()
            .filter(|d| !d.spec().notify.is_empty())
        {
            for (summary, lines) in
                pdusim::notification::snmptrapd_hint(&device.spec().notify, &device.engine().id())
            {
                println!("  notifications (each PDU): {summary}; receive them with net-snmp's snmptrapd:");
                for line in lines {
                    println!("    {line}");
                }
            }
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let control = Control::new(launched.devices.clone());
    let mut addresses = pdusim::dashboard::Addresses::new();
    for endpoint in &launched.endpoints {
        for device in endpoint.devices() {
            addresses
                .entry(device.name.clone())
                .or_default()
                .push(endpoint.addr.to_string());
        }
    }
    let control_token = args.control_token.clone();
    let served = runtime.block_on(async move {
        let salts = Arc::new(SaltSource::new());
        let mut tasks = tokio::task::JoinSet::new();
        if let Some(listener) = control_listener {
            let listener = tokio::net::TcpListener::from_std(listener).context("setting up the control API socket")?;
            // The bound address: with port 0 the system picked one.
            let bound = listener.local_addr().context("reading the control API's address")?;
            let token = match control_token {
                Some(t) => Some(t),
                None if !bound.ip().is_loopback() => {
                    let mut bytes = [0u8; 16];
                    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("making a control token: {e}"))?;
                    let token = hex::encode(bytes);
                    // Printed once, for the person who started pdusim; never logged.
                    println!("  control token: {token} (open http://{bound}/?token={token})");
                    Some(token)
                }
                None => None,
            };
            if !bound.ip().is_loopback() {
                tracing::warn!(addr = %bound, "the control API is reachable from other hosts: it requires the control token");
            }
            println!("  control API: http://{bound}/pdus");
            println!("  dashboard: http://{bound}/");
            let options = pdusim::control_http::ServeOptions { token, addresses };
            tasks.spawn(pdusim::control_http::serve(listener, control, options));
        }
        for listener in launched.listeners {
            tasks.spawn(serve_listener(listener, salts.clone()));
        }
        pdusim::notify::spawn(&devices, clock, &mut tasks)
            .context("starting the notification originator")?;
        tokio::select! {
            _ = shutdown_signal() => {
                tracing::info!("stopping");
                Ok(())
            }
            Some(result) = tasks.join_next() => match result {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(anyhow::Error::new(e).context("a listener stopped")),
                Err(e) => Err(anyhow::Error::new(e).context("a listener failed")),
            },
        }
    });
    // Outlet state queued by the last requests reaches the disk before the process ends.
    pdusim::persist::flush_background_writes(std::time::Duration::from_secs(5));
    served
}

/// Above this many PDUs, one summary line replaces the per-PDU banners.
const BANNER_LIMIT: usize = 4;

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

fn print_banner(
    device: &Device,
    spec: &DeviceSpec,
    addrs: &[std::net::SocketAddr],
    default_credentials: bool,
) {
    let listen = addrs
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    println!(
        "pdusim: PDU {:?} ({}, {} outlets) listening on {listen}",
        device.name,
        device.vendor.name(),
        spec.outlets
    );
    if let Some(dir) = &spec.state_dir {
        println!("  state directory: {}", dir.display());
    }
    println!(
        "  snmpEngineID {}  snmpEngineBoots {}",
        hex::encode(&*device.engine().id()),
        device.engine().boots()
    );
    for (summary, lines) in
        pdusim::notification::snmptrapd_hint(&spec.notify, &device.engine().id())
    {
        println!("  notifications: {summary}; receive them with net-snmp's snmptrapd:");
        for line in lines {
            println!("    {line}");
        }
    }
    let Some(addr) = addrs.first() else { return };
    let control = device
        .vendor
        .control_oid()
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(".");
    let state_col = device
        .vendor
        .state_oid()
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(".");
    println!("  try:");
    if let Some(c) = spec.communities.first() {
        let shown = if default_credentials {
            c.name.expose_secret()
        } else {
            "<community>"
        };
        println!("    snmpwalk -v2c -c {shown} {addr} {state_col}");
    }
    let v3 = spec
        .users
        .iter()
        .find(|u| u.privacy.is_some())
        .or_else(|| spec.users.first());
    if let Some(u) = v3 {
        let mut flags = String::new();
        match (&u.auth, &u.privacy) {
            (Some((a, apw)), Some((p, ppw))) => {
                let (apw, ppw) = if default_credentials {
                    (apw.expose_secret(), ppw.expose_secret())
                } else {
                    ("<auth-pass>", "<priv-pass>")
                };
                flags = format!(
                    "-l authPriv -u {} -a {} -A {apw} -x {} -X {ppw}",
                    u.name,
                    a.name(),
                    p.name()
                )
            }
            (Some((a, apw)), None) => {
                let apw = if default_credentials {
                    apw.expose_secret()
                } else {
                    "<auth-pass>"
                };
                flags = format!("-l authNoPriv -u {} -a {} -A {apw}", u.name, a.name())
            }
            _ => flags.push_str(&format!("-l noAuthNoPriv -u {}", u.name)),
        }
        println!("    snmpset -v3 {flags} {addr} {control}.1 i 1");
        println!("    snmpget -v3 {flags} {addr} {state_col}.1");
    }
}
