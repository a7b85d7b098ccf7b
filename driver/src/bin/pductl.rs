//! `pductl`: switch, cycle and read PDU outlets from the command line.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use pdu_driver::cli::{Cli, Command};
use pdu_driver::{OutletRef, Pdu, SwitchReport, Verification};

fn print_switch(r: &SwitchReport) -> bool {
    let before = r
        .before
        .as_deref()
        .map(|b| format!(" (was {b})"))
        .unwrap_or_default();
    let how = if r.method == "native" {
        ""
    } else {
        " by off, wait, on"
    };
    let (tail, ok) = match &r.verification {
        Verification::Confirmed { state, after_ms } => (format!("now {state} (confirmed after {after_ms} ms)"), true),
        Verification::NotConfirmed { last_state, deadline_ms } => (
            format!("NOT confirmed: the outlet still reads {last_state} after {deadline_ms} ms; the PDU accepted the command, check it or raise --verify"),
            false,
        ),
        Verification::Unavailable { reason } => (format!("sent; not read back ({reason})"), true),
        Verification::NotRequested => ("sent; not read back (--verify 0)".to_string(), true),
    };
    println!(
        "outlet {}: {}{how}{before}: {tail}",
        r.outlet,
        r.action.as_str()
    );
    for n in &r.notes {
        println!("  note: {n}");
    }
    ok
}

fn json<T: serde::Serialize>(v: &T) {
    match serde_json::to_string_pretty(v) {
        Ok(s) => println!("{s}"),
        Err(e) => eprintln!("pductl: cannot encode JSON: {e}"),
    }
}

async fn run(cli: Cli) -> Result<bool, pdu_driver::Error> {
    let cfg = cli.conn.to_config()?;
    let mut pdu = Pdu::new(cfg)?;
    let out = |s: &str| s.parse::<OutletRef>();
    match &cli.command {
        Command::On { outlet } | Command::Off { outlet } | Command::Cycle { outlet } => {
            let o = out(outlet)?;
            let r = match &cli.command {
                Command::On { .. } => pdu.on(&o).await?,
                Command::Off { .. } => pdu.off(&o).await?,
                _ => pdu.cycle(&o).await?,
            };
            if cli.json {
                json(&r);
                Ok(!matches!(r.verification, Verification::NotConfirmed { .. }))
            } else {
                Ok(print_switch(&r))
            }
        }
        Command::Status {
            outlet: Some(outlet),
        } => {
            let s = pdu.state(&out(outlet)?).await?;
            if cli.json {
                json(&s);
            } else {
                let name = s
                    .name
                    .as_deref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default();
                println!("outlet {}{name}: {}", s.outlet, s.state);
            }
            Ok(true)
        }
        Command::Status { outlet: None } | Command::List => {
            let list = pdu.outlets().await?;
            if list.outlets.is_empty() {
                let profile = pdu.profile_name().await?;
                return Err(pdu_driver::Error::NotAvailable {
                    what: format!("outlets in the {profile} tables"),
                    oid: list.notes.join("; "),
                    hint: if profile == "raw" {
                        "raw mode lists outlets only from --raw-state-oid: give it, or name the outlet by number".into()
                    } else {
                        format!("this device is probably not a {profile} PDU: run `pductl detect` and use the profile it names (or drop --vendor)")
                    },
                });
            }
            if cli.json {
                json(&list);
            } else {
                println!("{:>6}  {:<12} name", "outlet", "state");
                for o in &list.outlets {
                    println!(
                        "{:>6}  {:<12} {}",
                        o.outlet,
                        o.state,
                        o.name.as_deref().unwrap_or("-")
                    );
                }
                for n in &list.notes {
                    println!("note: {n}");
                }
            }
            Ok(true)
        }
        Command::Name { outlet, new_name } => {
            let n = pdu.set_name(&out(outlet)?, new_name).await?;
            if cli.json {
                json(&serde_json::json!({ "outlet": n, "name": new_name }));
            } else {
                println!("outlet {n}: renamed to {new_name:?}");
            }
            Ok(true)
        }
        Command::Detect => {
            let d = pdu.detect().await?;
            if cli.json {
                json(&d);
            } else {
                println!("sysObjectID {}", d.sys_object_id);
                println!("sysDescr    {}", d.sys_descr);
                match d.profile {
                    Some(p) => println!("profile     {p}"),
                    None => println!(
                        "profile     none matches; choose one with --vendor ({}) or use --raw-oid",
                        pdu_driver::vendors::names().join(", ")
                    ),
                }
            }
            Ok(true)
        }
        Command::Readings { outlet } => {
            let o = outlet.as_deref().map(out).transpose()?;
            let r = pdu.readings(o.as_ref()).await?;
            if cli.json {
                json(&r);
            } else {
                for x in &r.readings {
                    match x.value {
                        Some(v) => println!(
                            "outlet {:>3}  {:<8} {:>10.3} {}",
                            x.outlet, x.quantity, v, x.unit
                        ),
                        None => println!(
                            "outlet {:>3}  {:<8} {:>10} {}",
                            x.outlet, x.quantity, "n/a", x.unit
                        ),
                    }
                }
                for n in &r.notes {
                    println!("note: {n}");
                }
            }
            Ok(true)
        }
    }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        // Colour only for a person at a terminal: never in files, pipes or CI logs.
        .with_ansi(
            std::io::IsTerminal::is_terminal(&std::io::stderr())
                && std::env::var_os("NO_COLOR").is_none(),
        )
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("pductl: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(3),
        Err(e) => {
            eprintln!("pductl: {e}");
            ExitCode::from(1)
        }
    }
}
