//! `pdu-conformance`: one subcommand per job, each implemented in its own library module.
//! Adding one is a variant in [`Command`] plus a match arm calling that module's `run`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use pdu_conformance::{check, listen, load, matrix, run};

#[derive(Parser)]
#[command(
    name = "pdu-conformance",
    version,
    propagate_version = true,
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
    /// Replay scenario files against in-process simulators and compare with the snapshots.
    Run(run::RunArgs),
    /// Replay the corpus against several drivers and write the compatibility matrix.
    Matrix(matrix::MatrixArgs),
    /// Check a real device's compatibility with drivers (switches nothing without --allow-switching).
    Check(check::CheckArgs),
    /// Receive and print traps and informs (v1, v2c, v3), acknowledging informs.
    Listen(listen::ListenArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Load(args) => load::run(args).map_err(anyhow::Error::from),
        Command::Run(args) => run::run(args).map_err(anyhow::Error::from),
        Command::Matrix(args) => matrix::run(args).map_err(anyhow::Error::from),
        Command::Check(args) => check::run(args).map_err(anyhow::Error::from),
        Command::Listen(args) => listen::run(args).map_err(anyhow::Error::from),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("pdu-conformance: {e:#}");
            ExitCode::FAILURE
        }
    }
}
