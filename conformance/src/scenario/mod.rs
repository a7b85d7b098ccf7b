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

/// Where the committed snapshots live (next to `tests/scenarios.rs`).
pub fn default_snapshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots")
}

/// The corpus folder of the workspace.
pub fn default_corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios")
}

/// A scenario's name: its path below the nearest `scenarios` folder, with `/`
/// (`vendors/apc-rpdu2.toml`); the file name if it is not in one.
pub fn scenario_name(path: &Path) -> String {
    let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let parts: Vec<String> = abs
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    match parts.iter().rposition(|p| p == "scenarios") {
        Some(i) => parts.get(i + 1..).unwrap_or_default().join("/"),
        None => parts.last().cloned().unwrap_or_default(),
    }
}

/// The insta snapshot file of scenario `name` (as `insta::glob!` in tests/scenarios.rs names it).
pub fn snapshot_file(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!(
        "scenarios__corpus@{}.snap",
        name.replace('/', "__")
    ))
}

/// The body of an insta snapshot file (what follows its `---` header).
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
