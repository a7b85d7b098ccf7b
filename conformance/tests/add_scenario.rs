//! The documented "add a scenario" flow, performed literally: the shell block under
//! "### Adding a scenario" in conformance/README.md is run line by line (with the real
//! `pdu-conformance` binary first on `PATH`) for a new scenario placed in the real corpus under
//! a temporary name. It must pass the first time; a changed expectation and a changed record
//! must then fail. A scenario outside the corpus gets its snapshot next to it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_pdu-conformance");

const SCENARIO: &str = r#"description = "Switching outlet 2 off reads back off (documented add-a-scenario flow)"

[[pdu]]
name = "pdu"
vendor = "raritan-px2"
outlets = 4
[[pdu.community]]
name = "private"
access = "read-write"

[driver]
vendor = "raritan-px2"

[[step]]
do = "off"
outlet = 2
expect_ok = true
expect_outlets = { 2 = "off" }
"#;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The lines of the first ```sh block after `heading` in `readme`.
fn block_after(readme: &str, heading: &str) -> Vec<String> {
    let start = readme
        .find(heading)
        .unwrap_or_else(|| panic!("conformance/README.md has no {heading:?} section"));
    let rest = &readme[start..];
    let open = rest.find("```sh\n").expect("a ```sh block in the section") + 6;
    let close = rest[open..].find("```").expect("the block ends") + open;
    rest[open..close].lines().map(str::to_string).collect()
}

/// Runs one documented line with `sh` from the repository root, `pdu-conformance` being the
/// binary under test.
fn sh(line: &str) -> Output {
    let bin_dir = Path::new(BIN).parent().unwrap();
    let path = std::env::join_paths(std::iter::once(bin_dir.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    Command::new("sh")
        .args(["-c", line])
        .current_dir(repo_root())
        .env("PATH", path)
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Removes the temporary scenario and its snapshot whatever happens.
struct Cleanup(Vec<PathBuf>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = std::fs::remove_file(p);
        }
    }
}

#[test]
fn the_documented_flow_passes_the_first_time() {
    let readme = std::fs::read_to_string(repo_root().join("conformance/README.md")).unwrap();
    let block = block_after(&readme, "### Adding a scenario");
    let folder = "errors";
    let name = format!("zz-doc-flow-{}", std::process::id());
    let scenario = repo_root().join(format!("scenarios/{folder}/{name}.toml"));
    let snapshot = repo_root().join(format!(
        "conformance/tests/snapshots/drivers/pductl/{folder}/{name}.snap"
    ));
    let _cleanup = Cleanup(vec![scenario.clone(), snapshot.clone()]);
    assert!(!snapshot.exists());

    // Step one of the block is writing the file; the rest are commands, run as written.
    std::fs::write(&scenario, SCENARIO).unwrap();
    let commands: Vec<String> = block
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with("$EDITOR"))
        .map(|l| l.replace("FOLDER", folder).replace("NAME", &name))
        .collect();
    let accept = commands
        .iter()
        .find(|l| l.starts_with("pdu-conformance run --accept "))
        .expect("the block accepts the new scenario's snapshot");
    let check = commands
        .iter()
        .rfind(|l| l.starts_with("pdu-conformance run ") && !l.contains("--accept"))
        .expect("the block checks the scenario")
        .clone();
    assert!(
        commands.iter().position(|l| l == accept) < commands.iter().position(|l| *l == check),
        "{commands:?}"
    );
    for line in &commands {
        let out = sh(line);
        assert!(
            out.status.success(),
            "`{line}` failed the first time:\n{}",
            text(&out)
        );
    }
    assert!(snapshot.exists(), "no snapshot at {}", snapshot.display());
    let out = sh(&check);
    assert!(text(&out).contains("1 passed"), "{}", text(&out));

    // A changed expectation fails.
    std::fs::write(
        &scenario,
        SCENARIO.replace(
            "expect_outlets = { 2 = \"off\" }",
            "expect_outlets = { 2 = \"on\" }",
        ),
    )
    .unwrap();
    let out = sh(&check);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("FAILED"), "{}", text(&out));

    // A changed record (one more step) is "changed" until accepted.
    std::fs::write(
        &scenario,
        format!("{SCENARIO}\n[[step]]\ndo = \"state\"\noutlet = 2\nexpect_state = \"off\"\n"),
    )
    .unwrap();
    let out = sh(&check);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("CHANGED"), "{}", text(&out));
}

#[test]
fn a_scenario_outside_the_corpus_has_its_snapshot_next_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("my-case.toml");
    std::fs::write(&file, SCENARIO).unwrap();
    let run = |accept: bool| {
        let mut cmd = Command::new(BIN);
        cmd.arg("run");
        if accept {
            cmd.arg("--accept");
        }
        let out = cmd.arg(&file).output().unwrap();
        (out.status.success(), text(&out))
    };
    let (ok, out) = run(false);
    assert!(!ok && out.contains("no snapshot yet"), "{out}");
    let (ok, out) = run(true);
    assert!(ok, "{out}");
    let snap = dir.path().join("my-case.snap");
    let written = std::fs::read_to_string(&snap).unwrap();
    assert!(written.contains("outlet 2"), "{written}");
    let (ok, out) = run(false);
    assert!(ok && out.contains("1 passed"), "{out}");
    // Another driver's snapshot would be my-case.DRIVER.snap: pductl's is not taken for it.
    assert_eq!(
        pdu_conformance::scenario::snapshot_path(&file, "net-snmp", Path::new("unused")),
        dir.path().join("my-case.net-snmp.snap")
    );
}
