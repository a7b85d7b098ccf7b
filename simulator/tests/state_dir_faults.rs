//! State directories the simulator cannot write, on real small file systems:
//!
//! - a SET whose state cannot be saved is refused: on a full file system (a 64 KiB tmpfs filled
//!   to the last byte) a SET is answered commitFailed, over v2c and v3, the outlet stays as it
//!   was, and the failure is logged; once there is room again the same SET succeeds;
//! - so is an outlet change through the control API: 503 with a JSON error naming the file,
//!   the cause and the fix, the outlet left as it was;
//! - a read-only state directory (or one that cannot be created) stops the start with what
//!   failed and the fix, each cause said once; so does a corrupt start count file.
//!
//! Mounting needs root: the tests fail (they do not skip) when not root or unable to mount.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use pdu_test_support::oids::*;
use pdu_test_support::*;

/// The simulator binary cargo built for these tests.
const PDUSIM: &str = env!("CARGO_BIN_EXE_pdusim");

const USER: &str = "admin:sha:full-disk-auth:aes:full-disk-priv";

fn admin() -> Sec {
    V3::auth_priv("admin", "SHA", "full-disk-auth", "AES", "full-disk-priv").into()
}

/// A tmpfs of `size` mounted on a fresh folder, unmounted when dropped.
struct SmallFs {
    dir: tempfile::TempDir,
}

impl SmallFs {
    fn mount(options: &str) -> SmallFs {
        let size = options;
        let uid = Command::new("id")
            .arg("-u")
            .output()
            .expect("cannot run `id -u`");
        let uid = String::from_utf8_lossy(&uid.stdout).trim().to_string();
        assert_eq!(
            uid, "0",
            "this test mounts a small tmpfs to fill it and must run as root (uid 0), not {uid}: \
             run the tests as root (CI does)"
        );
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(dir.path())
            .output()
            .expect("cannot run `mount`");
        assert!(
            out.status.success(),
            "cannot mount a {size} tmpfs on {} ({}): this test needs a system where root may \
             mount tmpfs (a container needs CAP_SYS_ADMIN)",
            dir.path().display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
        SmallFs { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// Writes a file until the file system is full; returns its path.
fn fill(fs: &Path) -> PathBuf {
    let filler = fs.join("filler");
    let mut file = std::fs::File::create(&filler).unwrap();
    let block = [0xa5u8; 512];
    loop {
        match file.write_all(&block) {
            Ok(()) => continue,
            Err(e) if e.raw_os_error() == Some(28) => break, // ENOSPC
            Err(e) => panic!(
                "filling {} failed other than with ENOSPC: {e}",
                fs.display()
            ),
        }
    }
    // Single bytes too, so not even a partial block is left.
    while file.write_all(&[0]).is_ok() {}
    filler
}

/// The one `outlets.toml` under `dir` (a PDU's state folder may be a subfolder).
fn outlets_file(dir: &Path) -> PathBuf {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n == "outlets.toml") {
                found.push(path);
            }
        }
    }
    assert_eq!(
        found.len(),
        1,
        "one outlets.toml under {}: {found:?}",
        dir.display()
    );
    found.remove(0)
}

fn on(b: bool) -> String {
    format!("INTEGER: {}", if b { STATE_ON } else { STATE_OFF })
}

#[test]
fn a_set_that_cannot_be_saved_is_answered_commit_failed_and_undone() {
    let fs = SmallFs::mount("size=64k");
    let state_dir = fs.path().join("state");
    let sim = PdusimProcess::builder(PDUSIM)
        .state_dir(&state_dir)
        .args([
            "--vendor",
            "raritan-px2",
            "--outlets",
            "8",
            "--community",
            "private:rw",
            "--user",
            USER,
        ])
        .start();
    let v3 = admin();
    let v2c = Sec::v2c("private");

    // With room, a SET is saved and acknowledged.
    sim.set(&v3, &[&control(1), "i", "0"]).expect_clean();
    assert_eq!(sim.get_value(&v3, &state(1)), on(false));
    let outlets = outlets_file(&state_dir);
    let saved = std::fs::read_to_string(&outlets).unwrap();

    let filler = fill(fs.path());
    for (sec, outlet) in [(&v3, 2), (&v2c, 3)] {
        let out = sim.set(sec, &[&control(outlet), "i", "0"]);
        assert!(
            !out.ok() && out.all_output().contains("commitFailed"),
            "a SET of outlet {outlet} on a full disk must be refused with commitFailed: {}",
            out.describe()
        );
        assert_eq!(
            sim.get_value(&v3, &state(outlet)),
            on(true),
            "the refused SET of outlet {outlet} is undone in memory"
        );
    }
    assert_eq!(
        std::fs::read_to_string(&outlets).unwrap(),
        saved,
        "the state file still holds the last saved state"
    );
    assert!(
        wait_until(std::time::Duration::from_secs(5), || sim
            .log()
            .contains("answered commitFailed and undone")),
        "the refusal is logged with its reason: {}",
        sim.log()
    );
    let log = sim.log();
    assert!(
        log.contains("No space left on device") && log.contains("free space"),
        "the log says why and what to do: {log}"
    );

    // Room again: the same SET goes through and is saved.
    std::fs::remove_file(filler).unwrap();
    sim.set(&v2c, &[&control(3), "i", "0"]).expect_clean();
    assert_eq!(sim.get_value(&v3, &state(3)), on(false));
    let now = std::fs::read_to_string(&outlets).unwrap();
    assert_ne!(now, saved, "the accepted SET reached the state file");
    drop(sim);
}

/// One JSON request to the control API over plain HTTP/1.1; the status and the body.
fn http_json(port: u16, method: &str, path: &str, body: &str) -> (u16, String) {
    use std::io::Read;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response:?}"));
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn a_control_api_change_that_cannot_be_saved_is_refused_and_undone() {
    let fs = SmallFs::mount("size=64k");
    let state_dir = fs.path().join("state");
    let sim = PdusimProcess::builder(PDUSIM)
        .state_dir(&state_dir)
        .args([
            "--vendor",
            "raritan-px2",
            "--outlets",
            "8",
            "--community",
            "public",
        ])
        .control()
        .start();
    let port = sim.control_port().unwrap();
    let v2c = Sec::v2c("public");
    let off = r#"{"power":"off"}"#;

    // With room, the change is saved and answered 200.
    let (status, body) = http_json(port, "PUT", "/pdus/px2/outlets/1", off);
    assert_eq!(status, 200, "{body}");
    assert_eq!(sim.get_value(&v2c, &state(1)), on(false));
    let outlets = outlets_file(&state_dir);
    let saved = std::fs::read_to_string(&outlets).unwrap();

    let filler = fill(fs.path());
    for path in ["/pdus/px2/outlets/2", "/outlets/3"] {
        let (status, body) = http_json(port, "PUT", path, off);
        assert_eq!(
            status, 503,
            "PUT {path} on a full disk is refused with 503: {body}"
        );
        let error: serde_json::Value = serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("PUT {path}: not JSON ({e}): {body}"));
        let message = error["error"].as_str().unwrap_or_default();
        assert!(
            message.contains("No space left on device")
                && message.contains("outlets.toml")
                && message.contains("undone")
                && message.contains("free space"),
            "the error names the file, the cause and the fix: {body}"
        );
        assert!(
            error["field"].is_null(),
            "no request field is at fault: {body}"
        );
    }
    for outlet in [2, 3] {
        assert_eq!(
            sim.get_value(&v2c, &state(outlet)),
            on(true),
            "the refused change of outlet {outlet} is undone in memory"
        );
    }
    assert_eq!(
        std::fs::read_to_string(&outlets).unwrap(),
        saved,
        "the state file still holds the last saved state"
    );
    assert!(
        wait_until(std::time::Duration::from_secs(5), || sim
            .log()
            .contains("refused and undone")),
        "the refusal is logged: {}",
        sim.log()
    );

    // A restart that would put the outlets back to their first-start state is refused too:
    // outlet 1 stays off and engineBoots does not move.
    let boots = || sim.get_value(&v2c, "1.3.6.1.6.3.10.2.1.2.0");
    let boots_before = boots();
    let (status, body) = http_json(
        port,
        "POST",
        "/pdus/px2/restart",
        r#"{"keep_outlets":false}"#,
    );
    assert_eq!(
        status, 503,
        "a restart whose outlet reset cannot be saved is refused with 503: {body}"
    );
    assert!(
        body.contains("No space left on device") && body.contains("undone"),
        "the error names the cause and what happened: {body}"
    );
    assert_eq!(
        sim.get_value(&v2c, &state(1)),
        on(false),
        "the outlets are as they were"
    );
    assert_eq!(boots(), boots_before, "nothing was restarted");
    assert_eq!(
        std::fs::read_to_string(&outlets).unwrap(),
        saved,
        "the state file still holds the last saved state"
    );

    // Room again: the same change goes through and is saved.
    std::fs::remove_file(filler).unwrap();
    let (status, body) = http_json(port, "PUT", "/pdus/px2/outlets/2", off);
    assert_eq!(status, 200, "{body}");
    assert_eq!(sim.get_value(&v2c, &state(2)), on(false));
    assert_ne!(std::fs::read_to_string(&outlets).unwrap(), saved);
    drop(sim);
}

/// Runs `pdusim serve` on `state_dir`, expecting it to refuse to start; its stderr.
fn refused_start(state_dir: &Path) -> String {
    let mut child = Command::new(PDUSIM)
        .args(["serve", "--vendor", "raritan-px2", "--outlets", "4"])
        .args([
            "--community",
            "public",
            "--listen",
            "127.0.0.1:0",
            "--state-dir",
        ])
        .arg(state_dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let exited = wait_until(std::time::Duration::from_secs(20), || {
        child.try_wait().unwrap().is_some()
    });
    if !exited {
        let _ = child.kill();
        let _ = child.wait();
        panic!(
            "pdusim started on {} instead of refusing",
            state_dir.display()
        );
    }
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success(), "pdusim exited with success");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Each of `phrases` appears exactly once in `line`.
fn said_once(line: &str, phrases: &[&str]) {
    for phrase in phrases {
        assert_eq!(
            line.matches(phrase).count(),
            1,
            "{phrase:?} must appear exactly once in: {line}"
        );
    }
}

#[test]
fn a_read_only_state_directory_says_what_failed_and_the_fix() {
    let fs = SmallFs::mount("ro,size=64k");

    // The folder itself, empty, on a read-only file system: the lock file cannot be written.
    let err = refused_start(fs.path());
    assert!(
        err.contains("cannot write the lock file of state directory")
            && err.contains("must be writable")
            && err.contains("--state-dir"),
        "says the lock file could not be written and the fix: {err}"
    );
    assert!(!err.contains("outlet state"), "blames no state file: {err}");
    said_once(&err, &["Read-only file system", "must be writable"]);

    // A folder to create inside it: creating it fails.
    let err = refused_start(&fs.path().join("pdus"));
    assert!(
        err.contains("cannot create state directory") && err.contains("make its parent writable"),
        "says the folder could not be created and the fix: {err}"
    );
    said_once(&err, &["Read-only file system", "cannot create"]);
}

#[test]
fn a_corrupt_start_count_is_reported_once() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("starts.toml"), "garbage = [\n").unwrap();
    let err = refused_start(dir.path());
    assert!(
        err.contains("starts.toml") && err.contains("is corrupt") && err.contains("delete"),
        "names the file, the problem and the fix: {err}"
    );
    said_once(&err, &["is corrupt", "invalid array", "fix or delete"]);
}
