//! `pdu-conformance`: one subcommand per job, each implemented in its own library module.
//! Adding one is a variant in [`Command`] plus a match arm calling that module's `run`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use pdu_conformance::load;

#[derive(Parser)]
#[command(
    name = "pdu-conformance",
    version,
    about = "Scenario replay, device checks and load generation for SNMP PDUs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Send many SNMP requests concurrently and report throughput, errors and latency.
    Load(load::LoadArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Load(args) => load::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("pdu-conformance: {e:#}");
            ExitCode::FAILURE
        }
    }
}
