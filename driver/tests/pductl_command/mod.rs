//! Runs the `pductl` binary of this package against a simulator on loopback, for the
//! integration tests that drive it as a user would.

/// `pductl --host 127.0.0.1 --port PORT --timeout TIMEOUT --retries 1 ARGS` (TIMEOUT in
/// seconds), with the connection variables of the environment removed and `envs` set: the exit
/// code (-1 when killed by a signal), stdout and stderr, also printed for the test's log.
pub fn run(
    port: u16,
    timeout: &str,
    args: &[&str],
    envs: &[(&str, &str)],
) -> (i32, String, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_pductl"));
    cmd.args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["--timeout", timeout, "--retries", "1"])
        .args(args);
    for k in [
        "PDU_AUTH_KEY",
        "PDU_PRIV_KEY",
        "PDU_COMMUNITY",
        "PDU_USER",
        "PDU_HOST",
        "PDU_PROFILE",
    ] {
        cmd.env_remove(k);
    }
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run pductl");
    let r = (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    eprintln!("$ pductl {}\n{}{}(exit {})", args.join(" "), r.1, r.2, r.0);
    r
}
