//! The shell blocks of the repository's READMEs, run as a new user pastes them: every fenced
//! block tagged `sh`, `bash`, `shell` or `console` in README.md, the crate READMEs,
//! `scenarios/README.md` and `conformance/ADAPTERS.md` runs with this workspace's `pdusim`,
//! `pductl` and `pdu-conformance` first on `PATH`, and must succeed, so an example that stops
//! working fails CI. A block is only left out with a `<!-- doc-test: skip (REASON) -->`
//! annotation, and every skip is listed with its reason.
//!
//! The annotations and conventions (what a reader of the Markdown sees) are described in the
//! section "Docs are tested" of ARCHITECTURE.md:
//!
//! - `<!-- doc-test: skip (REASON) -->`: not run (needs root, a real device, Docker, nightly, or
//!   minutes); the reason is required.
//! - `<!-- doc-test: background -->`: one long-running command (`pdusim serve`, `snmptrapd`,
//!   `pdu-conformance listen`), a trailing `&` allowed; started in its own process group, waited
//!   for until it listens, and stopped (SIGTERM) once the document's last block ran. It must
//!   still be running then.
//! - `<!-- doc-test: expect "TEXT" -->`: the block's output (stdout and stderr; for a background
//!   block, everything it printed until stopped) contains TEXT. Repeatable.
//! - `<!-- doc-test: fails "TEXT" -->`: the block shows an error on purpose: it must exit with a
//!   non-zero status and print TEXT.
//!
//! Ports: the loopback ports the examples use (1161-1164, 16100-16102, 8161, and the range
//! 20000-20999) are placeholders: each document gets free ports of its own in their place, found
//! below the kernel's ephemeral range (so no port-0 bind of another test can take them), and a
//! `pdusim serve` without `--listen` or `--config` gets `--listen 127.0.0.1:1161`, its default,
//! so that placeholder applies to it too. Paths under `/tmp/` are placed in the test's own
//! temporary directory, which is also the working directory (holding links to the repository's
//! top-level folders) and `HOME`; net-snmp's persistent directory (`SNMP_PERSISTENT_DIR`, where
//! snmptrapd keeps its engine boots) is a folder there.
//!
//! Blocks of one document run in order, in one working directory, and `export`s and `cd`s of
//! one block hold in the next, as in one terminal. Commands a block puts in the background with
//! `&` are stopped with the document's background commands.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::fs;
use std::net::{TcpListener, UdpSocket};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

/// The documents whose shell blocks run, relative to the repository root.
const DOCUMENTS: &[&str] = &[
    "README.md",
    "simulator/README.md",
    "driver/README.md",
    "conformance/README.md",
    "conformance/ADAPTERS.md",
    "scenarios/README.md",
    "bench/README.md",
    "deploy/README.md",
    "fuzz-harness/README.md",
    "fuzz/README.md",
];

/// Placeholder ports of the examples: (first, count). A document's port P in
/// `first..first+count` becomes `base + (P - first)`, `base` a free port range of its own.
const PLACEHOLDER_PORTS: &[(u16, u16)] = &[
    (1161, 1),
    (1162, 1),
    (1163, 1),
    (1164, 1),
    (16100, 1),
    (16101, 1),
    (16102, 1),
    (8161, 1),
    (20000, 1000),
];

/// How long one foreground block may run.
const BLOCK_DEADLINE: Duration = Duration::from_secs(120);
/// How long a background command may take to listen (debug builds derive keys at start).
const LISTEN_DEADLINE: Duration = Duration::from_secs(60);
/// How long a stopped background command may take to exit before it is killed.
const STOP_DEADLINE: Duration = Duration::from_secs(10);

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root above conformance/")
        .to_path_buf()
}

// ---------------------------------------------------------------------------------------------
// Parsing the Markdown

/// What the annotations before a block say about it.
#[derive(Debug, Clone, PartialEq)]
enum Mode {
    Run,
    Background,
    Skip(String),
}

#[derive(Debug)]
struct Block {
    /// 1-based line of the opening fence.
    line: usize,
    lang: String,
    text: String,
    mode: Mode,
    expect: Vec<String>,
    fails: Option<String>,
}

impl Block {
    fn is_shell(&self) -> bool {
        matches!(self.lang.as_str(), "sh" | "bash" | "shell" | "console")
    }
}

/// The text between the double quotes that open and close `s`, `\"` standing for `"`.
fn quoted(s: &str) -> Option<String> {
    let inner = s.trim().strip_prefix('"')?.strip_suffix('"')?;
    (!inner.is_empty()).then(|| inner.replace("\\\"", "\""))
}

/// Every fenced block of `doc`, with its annotations. Errors (as messages naming the line) for an
/// untagged fence, an unknown or misplaced annotation, a skip without a reason, a fence left open.
fn parse(name: &str, doc: &str) -> Result<Vec<Block>, String> {
    let lines: Vec<&str> = doc.lines().collect();
    let mut blocks = Vec::new();
    let mut pending: Vec<(usize, String)> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim();
        if let Some(body) = trimmed
            .strip_prefix("<!-- doc-test:")
            .and_then(|b| b.strip_suffix("-->"))
        {
            pending.push((i + 1, body.trim().to_string()));
            i += 1;
            continue;
        }
        if let Some(info) = line.strip_prefix("```") {
            let lang = info.trim().to_string();
            if lang.is_empty() {
                return Err(format!(
                    "{name}:{}: a code block without a language: tag it `sh` (a command to \
                     run), or `text`, `toml`, `rust`... (not a command)",
                    i + 1
                ));
            }
            let start = i + 1;
            let mut body = String::new();
            i += 1;
            loop {
                let Some(l) = lines.get(i) else {
                    return Err(format!("{name}:{start}: the code block is never closed"));
                };
                if l.trim_start().starts_with("```") {
                    break;
                }
                body.push_str(l);
                body.push('\n');
                i += 1;
            }
            let mut block = Block {
                line: start,
                lang,
                text: body,
                mode: Mode::Run,
                expect: Vec::new(),
                fails: None,
            };
            for (at, directive) in pending.drain(..) {
                let (word, arg) = directive
                    .split_once(char::is_whitespace)
                    .map(|(w, a)| (w, a.trim()))
                    .unwrap_or((directive.as_str(), ""));
                let bad =
                    |why: &str| format!("{name}:{at}: doc-test annotation `{directive}`: {why}");
                match word {
                    "skip" => {
                        let reason = arg
                            .strip_prefix('(')
                            .and_then(|r| r.strip_suffix(')'))
                            .map(str::trim)
                            .unwrap_or("");
                        if reason.is_empty() {
                            return Err(bad("a skip needs its reason: `skip (REASON)`"));
                        }
                        block.mode = Mode::Skip(reason.to_string());
                    }
                    "background" if arg.is_empty() => block.mode = Mode::Background,
                    "expect" => block
                        .expect
                        .push(quoted(arg).ok_or_else(|| bad("the text goes in double quotes"))?),
                    "fails" => {
                        block.fails =
                            Some(quoted(arg).ok_or_else(|| bad("the text goes in double quotes"))?)
                    }
                    _ => {
                        return Err(bad(
                            "unknown; one of `skip (REASON)`, `background`, `expect \"TEXT\"`, \
                             `fails \"TEXT\"`",
                        ))
                    }
                }
            }
            if block.mode == Mode::Background && block.fails.is_some() {
                return Err(format!(
                    "{name}:{start}: a background command keeps running: it cannot `fail` on \
                     purpose (give the failing command a block of its own)"
                ));
            }
            let annotated =
                block.mode != Mode::Run || !block.expect.is_empty() || block.fails.is_some();
            if !block.is_shell() && annotated {
                return Err(format!(
                    "{name}:{start}: doc-test annotations apply to shell blocks (sh, bash, \
                     console), not `{}`",
                    block.lang
                ));
            }
            blocks.push(block);
            i += 1;
            continue;
        }
        if !pending.is_empty() && !trimmed.is_empty() {
            return Err(format!(
                "{name}:{}: a doc-test annotation must stand right before the code block it is \
                 about",
                pending[0].0
            ));
        }
        i += 1;
    }
    if let Some((at, _)) = pending.first() {
        return Err(format!(
            "{name}:{at}: a doc-test annotation with no code block after it"
        ));
    }
    Ok(blocks)
}

/// The commands of a block: a `console` block's `$ ` lines (and their `\` continuations); any
/// other shell block as it is.
fn commands(block: &Block) -> String {
    if block.lang != "console" {
        return block.text.clone();
    }
    let mut out = String::new();
    let mut continued = false;
    for line in block.text.lines() {
        if continued {
            out.push_str(line);
            out.push('\n');
            continued = line.trim_end().ends_with('\\');
        } else if let Some(cmd) = line.strip_prefix("$ ") {
            out.push_str(cmd);
            out.push('\n');
            continued = cmd.trim_end().ends_with('\\');
        }
    }
    out
}

/// A `console` block's output lines: each must appear in what its commands print.
fn console_output(block: &Block) -> Vec<String> {
    if block.lang != "console" {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut continued = false;
    for line in block.text.lines() {
        if continued {
            continued = line.trim_end().ends_with('\\');
        } else if let Some(cmd) = line.strip_prefix("$ ") {
            continued = cmd.trim_end().ends_with('\\');
        } else if !line.trim().is_empty() {
            out.push(line.trim().to_string());
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Ports and paths

/// Ports handed out to documents so far (documents run in parallel).
fn handed_out() -> &'static Mutex<HashSet<u16>> {
    static PORTS: OnceLock<Mutex<HashSet<u16>>> = OnceLock::new();
    PORTS.get_or_init(|| Mutex::new(HashSet::new()))
}

fn port_is_free(port: u16) -> bool {
    UdpSocket::bind(("127.0.0.1", port)).is_ok() && TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// The first port of the kernel's ephemeral range (what a bind to port 0 may get).
fn ephemeral_start() -> u16 {
    fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(32768)
}

/// `count` consecutive ports, free for UDP and TCP on 127.0.0.1 now, below the ephemeral range
/// and not handed out to another document.
fn free_ports(count: u16) -> u16 {
    let top = ephemeral_start();
    let mut given = handed_out().lock().unwrap();
    let mut state = u64::from(std::process::id())
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0)
        | 1;
    for _ in 0..200 {
        // xorshift: a start point that differs between runs and processes.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let low = 10_000u64;
        let span = u64::from(top) - low - u64::from(count);
        let base = (low + state % span) as u16;
        let range = base..base + count;
        if range.clone().any(|p| given.contains(&p)) {
            continue;
        }
        if range.clone().all(port_is_free) {
            given.extend(range);
            return base;
        }
    }
    panic!("no {count} consecutive free loopback ports found between 10000 and {top}");
}

/// One document's placeholder ports and their real ones.
struct Ports {
    bases: HashMap<u16, u16>,
}

impl Ports {
    fn new() -> Ports {
        Ports {
            bases: HashMap::new(),
        }
    }

    fn real(&mut self, port: u16) -> Option<u16> {
        let &(first, count) = PLACEHOLDER_PORTS
            .iter()
            .find(|(first, count)| (*first..first + count).contains(&port))?;
        let base = *self.bases.entry(first).or_insert_with(|| free_ports(count));
        Some(base + (port - first))
    }

    /// `text` with every placeholder port (after `:`, `--port ` or `-p `) replaced by its real
    /// one.
    fn substitute(&mut self, text: &str) -> String {
        self.substitute_listing(text).0
    }

    /// [`Ports::substitute`], and the real ports it put in.
    fn substitute_listing(&mut self, text: &str) -> (String, Vec<u16>) {
        let mut ports = Vec::new();
        let mut out = String::with_capacity(text.len());
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let prefix_len = [":", "--port ", "-p "]
                .iter()
                .find(|p| text[i..].starts_with(**p))
                .map(|p| p.len());
            if let Some(len) = prefix_len {
                let digits_start = i + len;
                let digits_end = text[digits_start..]
                    .find(|c: char| !c.is_ascii_digit())
                    .map_or(text.len(), |e| digits_start + e);
                let word_ends = text[digits_end..]
                    .chars()
                    .next()
                    .map_or(true, |c| !c.is_ascii_alphanumeric() && c != '.');
                if digits_end > digits_start && word_ends {
                    if let Some(real) = text[digits_start..digits_end]
                        .parse()
                        .ok()
                        .and_then(|p| self.real(p))
                    {
                        out.push_str(&text[i..digits_start]);
                        out.push_str(&real.to_string());
                        ports.push(real);
                        i = digits_end;
                        continue;
                    }
                }
                out.push_str(&text[i..digits_start]);
                i = digits_start;
                continue;
            }
            let c = text[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
        (out, ports)
    }
}

// ---------------------------------------------------------------------------------------------
// Running

/// The directory a document's blocks run in, its environment, and what they left running.
struct Session {
    doc: String,
    work: tempfile::TempDir,
    bin: PathBuf,
    ports: Ports,
    /// Background commands: (block line, command, process, output file).
    background: Vec<Background>,
    /// Process groups of foreground blocks (their `&` jobs).
    groups: Vec<i32>,
    report: String,
}

struct Background {
    line: usize,
    command: String,
    child: Child,
    out: PathBuf,
    expect: Vec<String>,
}

/// This workspace's three programs, as `cargo test --workspace` builds them: that command (with
/// `--no-run`) is run once per test process, so under `cargo test --workspace` it only checks
/// that everything is fresh (the binaries were built before any test ran, with the same
/// features), and a run of this test alone builds what the others would. The binaries are then
/// found next to the test executable's `deps/` folder (`target/<profile>/`).
fn binaries() -> &'static [(&'static str, PathBuf)] {
    static BINS: OnceLock<Vec<(&'static str, PathBuf)>> = OnceLock::new();
    BINS.get_or_init(|| {
        let exe = std::env::current_exe().expect("the path of the running test executable");
        // target/<profile>/deps/<test>-<hash> -> target/<profile>
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .unwrap_or_else(|| panic!("{} is not in target/<profile>/deps", exe.display()))
            .to_path_buf();
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
        let mut build = Command::new(&cargo);
        build.args(["test", "--workspace", "--no-run", "--locked", "--quiet"]);
        match profile_dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") | None => {}
            Some("release") => {
                build.arg("--release");
            }
            Some(other) => {
                build.args(["--profile", other]);
            }
        }
        let status = build
            .current_dir(repo_root())
            .stdout(Stdio::null())
            .status()
            .unwrap_or_else(|e| panic!("cannot run {cargo:?} test --workspace --no-run: {e}"));
        assert!(
            status.success(),
            "cargo test --workspace --no-run failed ({status}): the programs the docs call \
             could not be built"
        );
        ["pdusim", "pductl", "pdu-conformance"]
            .into_iter()
            .map(|name| {
                let path = profile_dir.join(name);
                assert!(
                    path.exists(),
                    "{} is missing after cargo test --workspace --no-run",
                    path.display()
                );
                (name, path)
            })
            .collect()
    })
}

impl Session {
    fn new(doc: &str) -> Session {
        let work = tempfile::Builder::new()
            .prefix("doc-test-")
            .tempdir()
            .unwrap();
        let root = work.path();
        let bin = root.join("bin");
        for dir in ["bin", "home", "tmp", "repo", "repo/target", "snmp-persist"] {
            fs::create_dir_all(root.join(dir)).unwrap();
        }
        for (name, path) in binaries() {
            std::os::unix::fs::symlink(path, bin.join(name)).unwrap();
        }
        // The working directory: the repository's top-level entries, linked (not `target/`, so
        // that what a block writes there stays in the temporary directory).
        let repo = repo_root();
        for entry in fs::read_dir(&repo).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name();
            if name == "target" || name == ".git" {
                continue;
            }
            std::os::unix::fs::symlink(entry.path(), root.join("repo").join(&name)).unwrap();
        }
        fs::write(root.join("env.sh"), "").unwrap();
        fs::write(root.join("cwd"), root.join("repo").to_str().unwrap()).unwrap();
        Session {
            doc: doc.to_string(),
            work,
            bin,
            ports: Ports::new(),
            background: Vec::new(),
            groups: Vec::new(),
            report: String::new(),
        }
    }

    fn root(&self) -> &Path {
        self.work.path()
    }

    /// A block's text as run: placeholder ports and `/tmp/` paths replaced.
    fn rewrite(&mut self, text: &str) -> String {
        let text = text.replace("/tmp/", &format!("{}/tmp/", self.root().display()));
        self.ports.substitute(&text)
    }

    fn command(&self, script: &Path) -> Command {
        let root = self.root();
        let mut path = self.bin.clone().into_os_string();
        path.push(":");
        path.push(std::env::var_os("PATH").unwrap_or_default());
        let mut cmd = Command::new("bash");
        cmd.arg("--noprofile")
            .arg("--norc")
            .arg(script)
            .env("PATH", path)
            .env("HOME", root.join("home"))
            .env_remove("XDG_STATE_HOME")
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("RUST_LOG")
            .env("SNMP_PERSISTENT_DIR", root.join("snmp-persist"))
            .current_dir(root.join("repo"))
            .stdin(Stdio::null())
            .process_group(0);
        for var in [
            "PDU_HOST",
            "PDU_COMMUNITY",
            "PDU_USER",
            "PDU_AUTH_KEY",
            "PDU_PRIV_KEY",
        ] {
            cmd.env_remove(var);
        }
        cmd.env_remove("PDU_PROFILE").env_remove("PDUSIM_SHARD");
        cmd
    }

    /// The prologue every block's script starts with: the environment and directory the blocks
    /// before it left.
    fn prologue(&self) -> String {
        let root = self.root().display();
        format!(
            "set -e -o pipefail\n\
             source {root}/env.sh\n\
             cd \"$(cat {root}/cwd)\"\n\
             trap 'set +x; export -p > {root}/env.sh; pwd > {root}/cwd' EXIT\n"
        )
    }

    fn run_block(&mut self, block: &Block) -> Result<(), String> {
        let at = format!("{}:{}", self.doc, block.line);
        match &block.mode {
            Mode::Skip(reason) => {
                let _ = writeln!(self.report, "{at}: skip ({reason})");
                Ok(())
            }
            Mode::Background => self.start_background(block),
            Mode::Run => self.run_foreground(block),
        }
    }

    fn run_foreground(&mut self, block: &Block) -> Result<(), String> {
        let at = format!("{}:{}", self.doc, block.line);
        let text = self.rewrite(&commands(block));
        let root = self.root().to_path_buf();
        let n = block.line;
        let script = root.join(format!("block-{n}.sh"));
        let trace = root.join(format!("block-{n}.trace"));
        let stdout = root.join(format!("block-{n}.out"));
        let stderr = root.join(format!("block-{n}.err"));
        fs::write(
            &script,
            format!(
                "{}exec {{BASH_XTRACEFD}}>>{}\nset -x\n{text}",
                self.prologue(),
                trace.display()
            ),
        )
        .unwrap();
        let started = Instant::now();
        let mut child = self
            .command(&script)
            .stdout(fs::File::create(&stdout).unwrap())
            .stderr(fs::File::create(&stderr).unwrap())
            .spawn()
            .map_err(|e| format!("{at}: cannot start bash: {e}"))?;
        self.groups.push(child.id() as i32);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if started.elapsed() > BLOCK_DEADLINE {
                let _ = killpg(Pid::from_raw(child.id() as i32), Signal::SIGKILL);
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let took = started.elapsed();
        let out = fs::read_to_string(&stdout).unwrap_or_default();
        let err = fs::read_to_string(&stderr).unwrap_or_default();
        let last_command = fs::read_to_string(&trace)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.starts_with('+') && !l.starts_with("++"))
            .take_while(|l| *l != "+ set +x")
            .last()
            .map(|l| l.trim_start_matches('+').trim().to_string())
            .unwrap_or_default();
        let fail = |why: String| {
            format!(
                "{at}: {why}\n--- the block (as run) ---\n{text}--- the command that ran last \
                 ---\n{last_command}\n--- stdout ---\n{out}--- stderr ---\n{err}"
            )
        };
        let Some(status) = status else {
            return Err(fail(format!(
                "still running after {BLOCK_DEADLINE:?}: killed"
            )));
        };
        let output = format!("{out}{err}");
        match &block.fails {
            None if !status.success() => {
                return Err(fail(format!("exited with {status}")));
            }
            Some(text) => {
                if status.success() {
                    return Err(fail(format!(
                        "was to fail (annotated `fails \"{text}\"`) but exited with 0"
                    )));
                }
                if !output.contains(text.as_str()) {
                    return Err(fail(format!(
                        "failed as annotated, but its output lacks \"{text}\""
                    )));
                }
            }
            None => {}
        }
        for want in block.expect.iter().chain(console_output(block).iter()) {
            if !output.contains(want.as_str()) {
                return Err(fail(format!("its output lacks \"{want}\"")));
            }
        }
        let _ = writeln!(
            self.report,
            "{at}: ran, ok in {:.1} s{}",
            took.as_secs_f64(),
            if block.expect.is_empty() && block.fails.is_none() {
                String::new()
            } else {
                format!(
                    " ({} expected text{} found)",
                    block.expect.len() + block.fails.iter().len(),
                    if block.expect.len() + block.fails.iter().len() == 1 {
                        ""
                    } else {
                        "s"
                    }
                )
            }
        );
        Ok(())
    }

    fn start_background(&mut self, block: &Block) -> Result<(), String> {
        let at = format!("{}:{}", self.doc, block.line);
        // One command: comments and blank lines dropped, continuations joined, `&` dropped.
        let mut command = String::new();
        for line in commands(block).lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            command.push_str(line.strip_suffix('\\').unwrap_or(line).trim_end());
            command.push(' ');
        }
        let mut command = command.trim().trim_end_matches('&').trim().to_string();
        if command.is_empty() || command.contains(" && ") || command.contains(';') {
            return Err(format!(
                "{at}: a background block holds exactly one command (the one that keeps running)"
            ));
        }
        let is_pdusim = command.starts_with("pdusim serve");
        if is_pdusim && !command.contains("--listen") && !command.contains("--config") {
            command.push_str(" --listen 127.0.0.1:1161");
        }
        let (_, bind_ports) = self.ports.substitute_listing(&command);
        let run = self.rewrite(&command);
        let root = self.root().to_path_buf();
        let n = block.line;
        let script = root.join(format!("background-{n}.sh"));
        let out = root.join(format!("background-{n}.out"));
        fs::write(&script, format!("{}exec {run}\n", self.prologue())).unwrap();
        let file = fs::File::create(&out).unwrap();
        let child = self
            .command(&script)
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .map_err(|e| format!("{at}: cannot start bash: {e}"))?;
        let started = Instant::now();
        self.background.push(Background {
            line: n,
            command: run.clone(),
            child,
            out: out.clone(),
            expect: block.expect.clone(),
        });
        let bg = self.background.last_mut().unwrap();
        // Listening: pdusim says so (every PDU and the control API); anything else holds its
        // ports.
        loop {
            let printed = fs::read_to_string(&out).unwrap_or_default();
            if let Some(status) = bg.child.try_wait().unwrap() {
                return Err(format!(
                    "{at}: the background command exited ({status}) before it listened\n--- \
                     command (as run) ---\n{run}\n--- output ---\n{printed}"
                ));
            }
            let ready = if is_pdusim {
                printed.contains(" listening on ")
                    && (!run.contains("--control") || printed.contains("control API: http://"))
            } else {
                !bind_ports.is_empty() && bind_ports.iter().all(|p| !port_is_free(*p))
            };
            if ready {
                break;
            }
            if started.elapsed() > LISTEN_DEADLINE {
                return Err(format!(
                    "{at}: the background command did not listen within {LISTEN_DEADLINE:?} \
                     (ports {bind_ports:?})\n--- command (as run) ---\n{run}\n--- output \
                     ---\n{printed}"
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = writeln!(
            self.report,
            "{at}: background, listening after {:.1} s",
            started.elapsed().as_secs_f64()
        );
        Ok(())
    }

    /// Stops everything the document started; the background commands must still have been
    /// running, and their output must hold what was expected of it.
    fn finish(&mut self) -> Result<(), String> {
        let mut problems = Vec::new();
        for bg in &mut self.background {
            let at = format!("{}:{}", self.doc, bg.line);
            let early = bg.child.try_wait().unwrap();
            if early.is_none() {
                let _ = killpg(Pid::from_raw(bg.child.id() as i32), Signal::SIGTERM);
                let end = Instant::now() + STOP_DEADLINE;
                while bg.child.try_wait().unwrap().is_none() && Instant::now() < end {
                    std::thread::sleep(Duration::from_millis(20));
                }
                let _ = killpg(Pid::from_raw(bg.child.id() as i32), Signal::SIGKILL);
                let _ = bg.child.wait();
            }
            let printed = fs::read_to_string(&bg.out).unwrap_or_default();
            if let Some(status) = early {
                problems.push(format!(
                    "{at}: the background command stopped ({status}) before the blocks after it \
                     were done\n--- command (as run) ---\n{}\n--- output ---\n{printed}",
                    bg.command
                ));
                continue;
            }
            for want in &bg.expect {
                if !printed.contains(want.as_str()) {
                    problems.push(format!(
                        "{at}: the background command's output lacks \"{want}\"\n--- command (as \
                         run) ---\n{}\n--- output ---\n{printed}",
                        bg.command
                    ));
                }
            }
            let _ = writeln!(
                self.report,
                "{at}: background, ran until the end and stopped ({} expected text{} checked)",
                bg.expect.len(),
                if bg.expect.len() == 1 { "" } else { "s" }
            );
        }
        self.background.clear();
        for group in self.groups.drain(..) {
            let _ = killpg(Pid::from_raw(group), Signal::SIGTERM);
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("\n\n"))
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        for bg in &mut self.background {
            let _ = killpg(Pid::from_raw(bg.child.id() as i32), Signal::SIGKILL);
            let _ = bg.child.wait();
        }
        for group in &self.groups {
            let _ = killpg(Pid::from_raw(*group), Signal::SIGKILL);
        }
    }
}

/// Runs every shell block of the Markdown `text` (named `doc` in messages) in order. `Ok` is the
/// report (one line per shell block: ran, background or skipped, and time); `Err` the first
/// failure (file, line, the block as run, the command that ran last, stdout and stderr), after
/// the report so far.
fn run_markdown(doc: &str, text: &str) -> Result<String, String> {
    let blocks = parse(doc, text)?;
    let started = Instant::now();
    let mut session = Session::new(doc);
    let mut failure = None;
    for block in blocks.iter().filter(|b| b.is_shell()) {
        if let Err(e) = session.run_block(block) {
            failure = Some(e);
            break;
        }
    }
    let finished = session.finish();
    let shell = blocks.iter().filter(|b| b.is_shell()).count();
    let skipped = blocks
        .iter()
        .filter(|b| matches!(b.mode, Mode::Skip(_)))
        .count();
    let report = format!(
        "{doc}: {shell} shell block(s), {skipped} skipped, {:.1} s\n{}",
        started.elapsed().as_secs_f64(),
        session.report
    );
    match (failure, finished) {
        (Some(e), _) | (None, Err(e)) => Err(format!("{report}\n{e}")),
        (None, Ok(())) => Ok(report),
    }
}

/// Runs every shell block of `doc` (relative to the repository root) and prints the report;
/// panics with the first failure.
fn run_document(doc: &str) {
    let text = fs::read_to_string(repo_root().join(doc))
        .unwrap_or_else(|e| panic!("cannot read {doc}: {e}"));
    match run_markdown(doc, &text) {
        Ok(report) => println!("{report}"),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn readme() {
    run_document("README.md");
}

#[test]
fn simulator_readme() {
    run_document("simulator/README.md");
}

#[test]
fn driver_readme() {
    run_document("driver/README.md");
}

#[test]
fn conformance_readme() {
    run_document("conformance/README.md");
}

#[test]
fn conformance_adapters() {
    run_document("conformance/ADAPTERS.md");
}

#[test]
fn scenarios_readme() {
    run_document("scenarios/README.md");
}

#[test]
fn bench_readme() {
    run_document("bench/README.md");
}

#[test]
fn deploy_readme() {
    run_document("deploy/README.md");
}

#[test]
fn fuzz_harness_readme() {
    run_document("fuzz-harness/README.md");
}

#[test]
fn fuzz_readme() {
    run_document("fuzz/README.md");
}

/// Every README of the repository (and ADAPTERS.md) is in [`DOCUMENTS`], and each has a test:
/// a new crate's README cannot go untested.
#[test]
fn every_readme_is_tested() {
    let root = repo_root();
    let mut found = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                if !name.starts_with('.') && name != "target" {
                    dirs.push(path);
                }
            } else if name == "README.md" {
                found.push(
                    path.strip_prefix(&root)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    let listed: HashSet<&str> = DOCUMENTS.iter().copied().collect();
    // Folders of data whose README describes files, with no commands.
    let data_only: BTreeMap<&str, &str> = [(
        "fuzz-harness/regressions/README.md",
        "describes the crash files kept there",
    )]
    .into_iter()
    .collect();
    let missing: Vec<&String> = found
        .iter()
        .filter(|f| !listed.contains(f.as_str()) && !data_only.contains_key(f.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "READMEs whose shell blocks no test runs: {missing:?}; add them to DOCUMENTS and a \
         #[test] in conformance/tests/docs.rs"
    );
    for (doc, why) in &data_only {
        let text = fs::read_to_string(root.join(doc)).unwrap();
        let blocks = parse(doc, &text).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            blocks.iter().all(|b| !b.is_shell()),
            "{doc} ({why}) has shell blocks now: add it to DOCUMENTS"
        );
    }
}

#[test]
fn annotations_are_parsed_and_checked() {
    let doc = "text\n<!-- doc-test: skip (needs root) -->\n```sh\nsudo x\n```\n\
               <!-- doc-test: expect \"a b\" -->\n<!-- doc-test: expect \"c\" -->\n```sh\necho a b c\n```\n";
    let blocks = parse("d.md", doc).unwrap();
    assert_eq!(blocks[0].mode, Mode::Skip("needs root".into()));
    assert_eq!(blocks[0].line, 3);
    assert_eq!(blocks[1].expect, vec!["a b".to_string(), "c".to_string()]);
    for (bad, why) in [
        ("```\nx\n```\n", "without a language"),
        (
            "<!-- doc-test: skip -->\n```sh\nx\n```\n",
            "needs its reason",
        ),
        ("<!-- doc-test: maybe -->\n```sh\nx\n```\n", "unknown"),
        (
            "<!-- doc-test: background -->\ntext\n```sh\nx\n```\n",
            "right before",
        ),
        ("<!-- doc-test: expect \"x\" -->\n", "no code block"),
        ("```sh\nx\n", "never closed"),
    ] {
        let err = parse("d.md", bad).unwrap_err();
        assert!(err.contains(why), "{bad:?}: {err}");
    }
    let mut ports = Ports::new();
    let text = "a 127.0.0.1:1161 --port 1161 :20999 1.3.6.1.1161.2 :11611 :1161x";
    let out = ports.substitute(text);
    let p = ports.real(1161).unwrap();
    let q = ports.real(20000).unwrap() + 999;
    assert_eq!(
        out,
        format!("a 127.0.0.1:{p} --port {p} :{q} 1.3.6.1.1161.2 :11611 :1161x")
    );
}

/// The harness itself on small documents: carried `export`s and `cd`s, console blocks, expected
/// failures, a background command on a placeholder port and its output; and a failing block
/// reported with its line, the command, stdout and stderr.
#[test]
fn the_harness_runs_and_reports_blocks() {
    let good = "# t\n\
        <!-- doc-test: background -->\n\
        <!-- doc-test: expect \"v2c trap from 127.0.0.1:\" -->\n\
        ```sh\npdu-conformance listen --port 1162 &\n```\n\
        ```sh\nexport GREETING=hi\ncd scenarios\n```\n\
        <!-- doc-test: expect \"hi usm\" -->\n\
        ```sh\necho \"$GREETING $(ls | grep -x usm)\"\n```\n\
        ```console\n$ echo one \\\n  two\none two\n```\n\
        <!-- doc-test: fails \"No such file\" -->\n\
        ```sh\ncat /tmp/no-such-file\n```\n\
        ```sh\nsnmptrap -v2c -c public 127.0.0.1:1162 '' 1.3.6.1.6.3.1.1.5.1\nsleep 1\n```\n\
        <!-- doc-test: skip (a reason) -->\n\
        ```sh\nexit 1\n```\n";
    let report = run_markdown("good.md", good).unwrap_or_else(|e| panic!("{e}"));
    assert!(report.contains("good.md:4: background"), "{report}");
    assert!(report.contains("good.md:29: skip (a reason)"), "{report}");

    let bad = "```sh\necho to-stdout\necho to-stderr >&2\nfalse\necho never\n```\n";
    let e = run_markdown("bad.md", bad).unwrap_err();
    for want in [
        "bad.md:1: exited with",
        "--- the command that ran last ---\nfalse",
        "to-stdout",
        "to-stderr",
    ] {
        assert!(e.contains(want), "{want:?} missing in:\n{e}");
    }
    assert!(e.contains("--- stdout ---\nto-stdout\n--- stderr"), "{e}");

    let console = "```console\n$ echo one\ntwo\n```\n";
    let e = run_markdown("console.md", console).unwrap_err();
    assert!(e.contains("its output lacks \"two\""), "{e}");

    let background = "<!-- doc-test: background -->\n<!-- doc-test: expect \"never printed\" -->\n\
        ```sh\npdu-conformance listen --port 1163\n```\n";
    let e = run_markdown("bg.md", background).unwrap_err();
    assert!(
        e.contains("bg.md:3: the background command's output lacks \"never printed\""),
        "{e}"
    );
}
