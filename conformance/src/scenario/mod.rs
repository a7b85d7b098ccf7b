//! Scenario replay: [`format`](mod@format) reads and checks a scenario file, [`runner`] runs it against an
//! in-process simulator, [`record`] renders what happened as the snapshot text, [`raw`] is
//! the built-in v1/v2c client for raw steps.

pub mod format;
pub mod raw;
pub mod record;
pub mod runner;

use std::path::{Path, PathBuf};

pub use format::{load, parse, Scenario, ScenarioError};
pub use runner::Run;

/// Where the committed snapshots live: one folder per driver below it
/// (`drivers/pductl/`, `drivers/net-snmp/`, ...).
pub fn default_snapshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots")
}

/// The corpus folder of the workspace.
pub fn default_corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios")
}

/// The path components of `path` below its nearest `scenarios` folder, if it has one.
fn below_corpus(path: &Path) -> Option<Vec<String>> {
    let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let parts: Vec<String> = abs
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let i = parts.iter().rposition(|p| p == "scenarios")?;
    parts.get(i + 1..).map(<[String]>::to_vec)
}

/// A scenario's name: its path below the nearest `scenarios` folder, with `/`
/// (`vendors/apc-rpdu2.toml`); the file name if it is not in one.
pub fn scenario_name(path: &Path) -> String {
    match below_corpus(path) {
        Some(parts) => parts.join("/"),
        None => path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    }
}

/// The snapshot file of scenario `name` (as [`scenario_name`] gives it) in a driver's snapshot
/// folder `dir`: the scenario's folders kept, `.toml` replaced by `.snap`
/// (`errors/forced-genErr.toml` -> `DIR/errors/forced-genErr.snap`).
pub fn snapshot_file(dir: &Path, name: &str) -> PathBuf {
    let stem = name.strip_suffix(".toml").unwrap_or(name);
    dir.join(format!("{stem}.snap"))
}

/// Where the snapshot of the scenario file `path` for driver `driver` is kept:
/// - below a `scenarios` folder (the corpus): `SNAPSHOTS/drivers/DRIVER/FOLDER/FILE.snap`,
///   where `SNAPSHOTS` is `snapshots` (default [`default_snapshot_dir`]);
/// - anywhere else: next to the file, `FILE.snap` for pductl and `FILE.DRIVER.snap` for any
///   other driver, so a scenario kept outside the corpus has its own snapshot.
pub fn snapshot_path(path: &Path, driver: &str, snapshots: &Path) -> PathBuf {
    if below_corpus(path).is_some() {
        return snapshot_file(
            &snapshots.join("drivers").join(driver),
            &scenario_name(path),
        );
    }
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let file = if driver == "pductl" {
        format!("{stem}.snap")
    } else {
        format!("{stem}.{driver}.snap")
    };
    path.with_file_name(file)
}

/// The body of a snapshot file (what follows its `---` header, in insta's format).
pub fn snapshot_body(text: &str) -> Option<&str> {
    let rest = text.strip_prefix("---\n")?;
    let end = rest.find("\n---\n")?;
    rest.get(end + 5..)
}

/// Loads and runs one scenario file.
pub async fn run_file(path: &Path) -> Result<Run, String> {
    let scenario = load(path).map_err(|e| e.to_string())?;
    runner::run(&scenario).await
}
