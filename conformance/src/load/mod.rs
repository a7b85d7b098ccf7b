//! `pdu-conformance load`: how much polling does an agent take?
//!
//! N workers, each a thread with its own UDP socket, request-id/msgID block and (v3) engine
//! view learned once by discovery, keep one request in flight each. Every reply is checked
//! (ids, HMAC, decryption, PDU type, error-status, varbind names and values); anything but a
//! correct answer is counted by kind. The summary gives requests/s, latency percentiles, the
//! generator's own CPU per request and, with `--server-pid`, the agent's.
//!
//! - [`args`]: the command line and its checked form ([`args::Plan`]);
//! - [`session`]: encoding requests and judging replies, on bytes;
//! - [`worker`]: sockets, timeouts, pacing;
//! - [`outcome`], [`histogram`], [`cpu`]: counting;
//! - [`summary`]: the report, as text or JSON.

pub mod args;
pub mod cpu;
pub mod histogram;
pub mod outcome;
pub mod session;
pub mod summary;
pub mod worker;

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use thiserror::Error;

pub use args::LoadArgs;
use args::{Plan, Stop};
use outcome::Tally;
use summary::Summary;
use worker::Shared;

/// Why a load run could not be made (a run that was made but saw errors is not an error: its
/// summary says so).
#[derive(Debug, Error)]
pub enum LoadError {
    /// The command line does not describe a run.
    #[error(transparent)]
    Args(#[from] args::ArgError),
    /// A worker could not get going (socket, keys, discovery, the first request).
    #[error(transparent)]
    Setup(#[from] worker::SetupError),
    /// The system refused another thread.
    #[error("cannot start a worker thread: {0}")]
    Spawn(std::io::Error),
    /// A worker ended before it said whether it was ready (a bug).
    #[error("a worker stopped during set-up")]
    StoppedDuringSetup,
    /// A worker panicked (a bug).
    #[error("a worker thread panicked")]
    Panicked,
    /// The summary could not be written as JSON.
    #[error("cannot write the JSON summary: {0}")]
    Json(#[from] serde_json::Error),
}

/// Runs `load`: 0 when every request was answered correctly, 2 when some were not.
pub fn run(args: LoadArgs) -> Result<ExitCode, LoadError> {
    let plan = args.plan()?;
    let summary = drive(&plan)?;
    if plan.json {
        println!("{}", summary.to_json()?);
    } else {
        print!("{}", summary.to_text());
    }
    Ok(if summary.tally.error_count() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// Sets the workers up, runs them, and adds up what they saw.
pub fn drive(plan: &Plan) -> Result<Summary, LoadError> {
    let shared = Shared::new(plan.concurrency);
    // Where the sessions' salt counters start: random, so two runs never reuse IVs.
    let seed = getrandom::u64().unwrap_or_else(|_| u64::from(std::process::id()));
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..plan.concurrency)
            .map(|i| {
                let shared = &shared;
                let ready = ready_tx.clone();
                let salt = seed.wrapping_add(u64::from(i) << 40);
                std::thread::Builder::new()
                    .name(format!("load-{i}"))
                    .spawn_scoped(scope, move || worker::work(plan, shared, i, salt, ready))
            })
            .collect();
        drop(ready_tx);
        let mut spawn_error = None;
        let mut handles_ok = Vec::new();
        for h in handles {
            match h {
                Ok(h) => handles_ok.push(h),
                Err(e) => spawn_error = Some(LoadError::Spawn(e)),
            }
        }
        // Every worker says whether it is ready; one failure stops them all.
        let mut setup_error = spawn_error;
        for _ in 0..handles_ok.len() {
            match ready_rx.recv() {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    setup_error.get_or_insert(LoadError::Setup(e));
                }
                Err(_) => {
                    setup_error.get_or_insert(LoadError::StoppedDuringSetup);
                    break;
                }
            }
        }
        if let Some(e) = setup_error {
            shared.open_gate(false);
            for h in handles_ok {
                let _ = h.join();
            }
            return Err(e);
        }
        let client_before = cpu::read(None);
        let server_before = plan.server_pid.and_then(|p| cpu::read(Some(p)));
        let started = Instant::now();
        shared.open_gate(true);
        watch(plan, &shared, started, &handles_ok);
        let mut tally = Tally::default();
        for h in handles_ok {
            match h.join() {
                Ok(t) => tally.merge(&t),
                Err(_) => return Err(LoadError::Panicked),
            }
        }
        let elapsed = started.elapsed();
        let client_cpu = cpu::read(None)
            .zip(client_before)
            .map(|(after, before)| after.since(before));
        let server_cpu = plan
            .server_pid
            .and_then(|p| cpu::read(Some(p)))
            .zip(server_before)
            .map(|(after, before)| after.since(before));
        Ok(Summary {
            target: plan.target_text.clone(),
            security: plan.security.describe(),
            operation: plan.spec.operation,
            oids: plan.spec.oids.len(),
            concurrency: plan.concurrency,
            elapsed,
            tally,
            client_cpu,
            server_cpu,
            server_pid: plan.server_pid,
        })
    })
}

/// Shows progress about once a second (a bar on a terminal, a line a second otherwise) and
/// says when to stop, until every worker is done.
fn watch<T>(
    plan: &Plan,
    shared: &Shared,
    started: Instant,
    handles: &[std::thread::ScopedJoinHandle<'_, T>],
) {
    let deadline = match plan.stop {
        Stop::After(d) => Some(started + d),
        Stop::Requests(_) => None,
    };
    let bar = (!plan.quiet && std::io::stderr().is_terminal()).then(|| {
        let bar = match (plan.stop, deadline) {
            (Stop::Requests(n), _) => indicatif::ProgressBar::new(n),
            (_, Some(d)) => indicatif::ProgressBar::new(d.duration_since(started).as_secs()),
            _ => indicatif::ProgressBar::no_length(),
        };
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("[{elapsed_precise}] {bar:30} {msg}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    });
    let mut next_report = started + Duration::from_secs(1);
    let mut last_done = 0u64;
    let mut last_at = started;
    loop {
        if handles.iter().all(|h| h.is_finished()) {
            break;
        }
        let now = Instant::now();
        if let Some(d) = deadline {
            if now >= d {
                shared.stop.store(true, Ordering::Relaxed);
            }
        }
        if now >= next_report && !plan.quiet {
            let ok: u64 = shared
                .progress
                .iter()
                .map(|p| p.ok.load(Ordering::Relaxed))
                .sum();
            let errors: u64 = shared
                .progress
                .iter()
                .map(|p| p.errors.load(Ordering::Relaxed))
                .sum();
            let done = ok + errors;
            let rate =
                done.saturating_sub(last_done) as f64 / now.duration_since(last_at).as_secs_f64();
            let line = format!("{done} requests, {rate:.0}/s now, ok {ok}, errors {errors}");
            match &bar {
                Some(bar) => {
                    match plan.stop {
                        Stop::Requests(_) => bar.set_position(done),
                        Stop::After(_) => bar.set_position(now.duration_since(started).as_secs()),
                    }
                    bar.set_message(line);
                }
                None => eprintln!(
                    "[{:>5.1}s] {line}",
                    now.duration_since(started).as_secs_f64()
                ),
            }
            last_done = done;
            last_at = now;
            next_report += Duration::from_secs(1);
        }
        let mut wake = next_report;
        if let Some(d) = deadline {
            if !shared.stop.load(Ordering::Relaxed) {
                wake = wake.min(d);
            }
        }
        let nap = wake
            .saturating_duration_since(Instant::now())
            .min(Duration::from_millis(50));
        std::thread::sleep(nap.max(Duration::from_millis(1)));
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
}
