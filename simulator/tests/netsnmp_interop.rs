//! Interoperability with net-snmp 5.9's command-line tools against a live `pdusim`.
//!
//! Every expected value here comes from the MIBs and the RFCs (PDU2-MIB: outletSwitchingState
//! 7 = on, 8 = off; RFC 3416 error statuses; net-snmp's own messages), never from the
//! simulator's own output.
#![allow(clippy::unwrap_used)]

use pdu_test_support::oids::*;
use pdu_test_support::*;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The simulator binary cargo built for these tests.
const PDUSIM: &str = env!("CARGO_BIN_EXE_pdusim");

/// net-snmp's names and pdusim's names for the same protocols.
const AUTHS: [(&str, &str); 6] = [
    ("MD5", "md5"),
    ("SHA", "sha"),
    ("SHA-224", "sha224"),
    ("SHA-256", "sha256"),
    ("SHA-384", "sha384"),
    ("SHA-512", "sha512"),
];
/// `None` = authNoPriv.
const PRIVS: [Option<(&str, &str)>; 5] = [
    None,
    Some(("DES", "des")),
    Some(("AES", "aes")),
    Some(("AES-192", "aes192")),
    Some(("AES-256", "aes256")),
];

fn state_value(on: bool) -> String {
    format!("INTEGER: {}", if on { STATE_ON } else { STATE_OFF })
}

// ---------------------------------------------------------------------------------------------
// 1. The AUTH × PRIV matrix
// ---------------------------------------------------------------------------------------------

struct Combo {
    label_auth: String,
    label_priv: String,
    sec: Sec,
    outlet: u32,
}

/// The five operations for one user; Err names the step that failed and what net-snmp said.
fn exercise(sim: &PdusimProcess, c: &Combo) -> Result<(), String> {
    let sec = &c.sec;
    let fail = |step: &str, out: &Out| Err(format!("{step}: {}\n{}", out.cmdline, out.describe()));
    let clean = |o: &Out| o.status.success() && o.stderr.trim().is_empty();

    // snmpget sysDescr.0
    let out = sim.get(sec, &[SYS_DESCR]);
    let vbs = out.varbinds();
    if !clean(&out)
        || vbs.len() != 1
        || vbs[0].0 != dotted(SYS_DESCR)
        || !vbs[0].1.starts_with("STRING: ")
        || vbs[0].1.len() <= "STRING: \"\"".len()
    {
        return fail("get sysDescr.0", &out);
    }

    // snmpset switchingOperation off then on, reading outletSwitchingState after each.
    for (op, on) in [(0, false), (1, true)] {
        let ctl = control(c.outlet);
        let value = op.to_string();
        let out = sim.set(sec, &[&ctl, "i", &value]);
        let vbs = out.varbinds();
        if !clean(&out) || vbs != vec![(dotted(&ctl), format!("INTEGER: {op}"))] {
            return fail(
                &format!("set switchingOperation.1.{} = {op}", c.outlet),
                &out,
            );
        }
        let st = state(c.outlet);
        let out = sim.get(sec, &[&st]);
        if !clean(&out) || out.varbinds() != vec![(dotted(&st), state_value(on))] {
            return fail(
                &format!("get outletSwitchingState.1.{} after op {op}", c.outlet),
                &out,
            );
        }
    }

    // snmpwalk of the outletSwitchingState column: 8 rows 1.1 .. 1.8, each 7 or 8.
    let out = sim.walk(sec, SWITCHING_STATE_COL);
    let vbs = out.varbinds();
    let rows_ok = vbs.len() == 8
        && vbs.iter().enumerate().all(|(i, (oid, v))| {
            *oid == dotted(&state(i as u32 + 1))
                && (*v == state_value(true) || *v == state_value(false))
        })
        && vbs[c.outlet as usize - 1].1 == state_value(true);
    if !clean(&out) || !rows_ok {
        return fail("walk outletSwitchingState column", &out);
    }

    // snmpbulkwalk of the whole Raritan subtree, ending cleanly.
    let out = sim.bulkwalk(sec, RARITAN);
    let vbs = out.varbinds();
    let prefix = format!("{}.", dotted(RARITAN));
    let count = |col: &str| {
        vbs.iter()
            .filter(|(o, _)| o.starts_with(&format!("{}.", dotted(col))))
            .count()
    };
    let subtree_ok = !vbs.is_empty()
        && vbs.iter().all(|(o, v)| {
            o.starts_with(&prefix) && !v.contains("No Such") && !v.contains("No more variables")
        })
        && vbs.contains(&(dotted(OUTLET_COUNT), "INTEGER: 8".to_string()))
        && count(SWITCHING_STATE_COL) == 8
        && count(SWITCHING_OPERATION_COL) == 8
        && count(OUTLET_NAME_COL) == 8
        && vbs.contains(&(dotted(&state(c.outlet)), state_value(true)));
    if !clean(&out) || !subtree_ok {
        return fail("bulkwalk 1.3.6.1.4.1.13742.6", &out);
    }
    Ok(())
}

#[test]
fn v3_matrix_every_auth_and_privacy_protocol() {
    let mut users: Vec<String> = Vec::new();
    let mut combos: Vec<Combo> = Vec::new();
    for (a_net, a_sim) in AUTHS {
        for p in PRIVS {
            let i = combos.len() as u32;
            let (name, apass, ppass) = (
                format!("u_{a_sim}_{}", p.map_or("nopriv", |p| p.1)),
                format!("auth-pass-{i}-{a_sim}"),
                format!("priv-pass-{i}-{}", p.map_or("", |p| p.1)),
            );
            let (spec, v3, plabel) = match p {
                None => (
                    format!("{name}:{a_sim}:{apass}"),
                    V3::auth(&name, a_net, &apass),
                    "noPriv".to_string(),
                ),
                Some((p_net, p_sim)) => (
                    format!("{name}:{a_sim}:{apass}:{p_sim}:{ppass}"),
                    V3::auth_priv(&name, a_net, &apass, p_net, &ppass),
                    p_net.to_string(),
                ),
            };
            users.push(spec);
            combos.push(Combo {
                label_auth: a_net.into(),
                label_priv: plabel,
                sec: v3.into(),
                outlet: i % 8 + 1,
            });
        }
    }
    let i = combos.len() as u32;
    users.push("u_noauth".into());
    combos.push(Combo {
        label_auth: "none".into(),
        label_priv: "noPriv".into(),
        sec: V3::no_auth("u_noauth").into(),
        outlet: i % 8 + 1,
    });

    let mut args: Vec<&str> = vec![
        "--vendor",
        "raritan-px2",
        "--outlets",
        "8",
        "--community",
        "public",
    ];
    for u in &users {
        args.push("--user");
        args.push(u);
    }
    let started = Instant::now();
    let sim = PdusimProcess::start(PDUSIM, &args);
    let startup = started.elapsed();

    // Four workers; worker k owns outlets k+1 and k+5, so no two workers switch the same outlet.
    let results: Mutex<BTreeMap<usize, Result<(), String>>> = Mutex::new(BTreeMap::new());
    std::thread::scope(|s| {
        for k in 0..4 {
            let (sim, combos, results) = (&sim, &combos, &results);
            s.spawn(move || {
                for (i, c) in combos.iter().enumerate().filter(|(i, _)| i % 4 == k) {
                    let r = exercise(sim, c);
                    results.lock().unwrap().insert(i, r);
                }
            });
        }
    });
    let results = results.into_inner().unwrap();

    // The matrix, as the closing note quotes it.
    let mut table = String::new();
    let version = std::process::Command::new("snmpget")
        .arg("--version")
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout).trim().to_string()
                + String::from_utf8_lossy(&o.stderr).trim()
        });
    table.push_str(&format!(
        "{} × pdusim: get sysDescr.0, set+get switchingOperation (0→8, 1→7), walk state column, bulkwalk 1.3.6.1.4.1.13742.6\n\
         pdusim startup {:.1}s (31 users), matrix {:.1}s\n",
        version.unwrap_or_default(),
        startup.as_secs_f64(),
        (started.elapsed() - startup).as_secs_f64()
    ));
    table.push_str(&format!("{:<10}", "auth\\priv"));
    for p in PRIVS {
        table.push_str(&format!("{:>9}", p.map_or("noPriv", |p| p.0)));
    }
    table.push('\n');
    for (row, (a_net, _)) in AUTHS.iter().enumerate() {
        table.push_str(&format!("{a_net:<10}"));
        for col in 0..PRIVS.len() {
            let r = &results[&(row * PRIVS.len() + col)];
            table.push_str(&format!("{:>9}", if r.is_ok() { "ok" } else { "FAIL" }));
        }
        table.push('\n');
    }
    let na = &results[&(combos.len() - 1)];
    table.push_str(&format!(
        "noAuthNoPriv user: {}\n",
        if na.is_ok() { "ok" } else { "FAIL" }
    ));
    eprintln!("{table}");

    let failures: Vec<String> = results
        .iter()
        .filter_map(|(i, r)| {
            r.as_ref().err().map(|e| {
                format!(
                    "[{} / {}] {e}",
                    combos[*i].label_auth, combos[*i].label_priv
                )
            })
        })
        .collect();
    assert!(failures.is_empty(), "{table}\n{}", failures.join("\n\n"));
}

// ---------------------------------------------------------------------------------------------
// 2. v1 and v2c
// ---------------------------------------------------------------------------------------------

fn community_sim() -> PdusimProcess {
    PdusimProcess::start(
        PDUSIM,
        &[
            "--vendor",
            "raritan-px2",
            "--outlets",
            "8",
            "--community",
            "public",
            "--community",
            "private:rw",
        ],
    )
}

fn v1_v2c_basics(sim: &PdusimProcess, version: &str) {
    let (ro, rw) = match version {
        "1" => (Sec::v1("public"), Sec::v1("private")),
        _ => (Sec::v2c("public"), Sec::v2c("private")),
    };
    // get
    let v = sim.get_value(&ro, SYS_DESCR);
    assert!(v.starts_with("STRING: \""), "sysDescr.0 is a string: {v}");
    assert_eq!(sim.get_value(&ro, OUTLET_COUNT), "INTEGER: 8");
    // getnext: sysDescr.0 → sysObjectID.0; switchingState.1.8 → leaves the column
    let out = sim.getnext(&ro, &["1.3.6.1.2.1.1.1.0"]);
    out.expect_clean();
    let vbs = out.varbinds();
    assert_eq!(vbs.len(), 1, "{}", out.describe());
    assert_eq!(vbs[0].0, dotted(SYS_OBJECT_ID), "{}", out.describe());
    assert!(vbs[0].1.starts_with("OID: "), "{}", out.describe());
    let out = sim.getnext(&ro, &[SWITCHING_STATE_COL]);
    out.expect_clean();
    assert_eq!(out.varbinds()[0].0, dotted(&state(1)), "{}", out.describe());
    // set through the rw community, read back through the ro one
    let outlet = if version == "1" { 2 } else { 3 };
    let out = sim.set(&rw, &[&control(outlet), "i", "0"]);
    out.expect_clean();
    assert_eq!(
        out.varbinds(),
        vec![(dotted(&control(outlet)), "INTEGER: 0".into())]
    );
    assert_eq!(sim.get_value(&ro, &state(outlet)), state_value(false));
    let out = sim.set(&rw, &[&control(outlet), "i", "1"]);
    out.expect_clean();
    assert_eq!(sim.get_value(&ro, &state(outlet)), state_value(true));
    // walk of the state column: exactly the 8 rows
    let out = sim.walk(&ro, SWITCHING_STATE_COL);
    out.expect_clean();
    let oids: Vec<String> = out.varbinds().into_iter().map(|v| v.0).collect();
    let want: Vec<String> = (1..=8).map(|n| dotted(&state(n))).collect();
    assert_eq!(oids, want, "{}", out.describe());
    // read-only community SET refused, nothing changes, snmpInBadCommunityUses counts it
    let uses_before = sim.get_number(&ro, "1.3.6.1.2.1.11.5.0");
    let out = sim.set(&ro, &[&control(outlet), "i", "0"]);
    assert!(
        !out.ok(),
        "a read-only community SET must fail\n{}",
        out.describe()
    );
    let want_err = if version == "1" {
        "(noSuchName)"
    } else {
        "Reason: noAccess"
    };
    assert!(
        out.all_output().contains(want_err),
        "v{version} read-only SET: expected {want_err:?}\n{}",
        out.describe()
    );
    assert_eq!(sim.get_value(&ro, &state(outlet)), state_value(true));
    assert_eq!(
        sim.get_number(&ro, "1.3.6.1.2.1.11.5.0"),
        uses_before + 1,
        "snmpInBadCommunityUses counts a SET through a read-only community"
    );
}

#[test]
fn v2c_get_getnext_set_walk_bulkwalk() {
    let sim = community_sim();
    v1_v2c_basics(&sim, "2c");
    let ro = Sec::v2c("public");
    let out = sim.bulkwalk(&ro, RARITAN);
    out.expect_clean();
    let vbs = out.varbinds();
    assert!(
        vbs.contains(&(dotted(OUTLET_COUNT), "INTEGER: 8".into())),
        "{}",
        out.describe()
    );
    // bulkwalk and walk of the same subtree agree
    let walked = sim.walk(&ro, RARITAN);
    walked.expect_clean();
    assert_eq!(walked.varbinds(), vbs);
}

#[test]
fn v1_get_getnext_set_walk() {
    let sim = community_sim();
    v1_v2c_basics(&sim, "1");
}

#[test]
fn wrong_community_gets_no_answer_and_is_counted() {
    let sim = community_sim();
    let ro = Sec::v2c("public");
    let before = sim.get_number(&ro, SNMP_IN_BAD_COMMUNITY_NAMES);
    for sec in [Sec::v2c("wrong"), Sec::v1("wrong")] {
        let out = sim.tool("snmpget", &sec, &["-r", "0", "-t", "1"], &[SYS_DESCR]);
        assert!(!out.ok(), "{}", out.describe());
        assert!(
            out.stderr.contains("Timeout: No Response from"),
            "a wrong community must get no answer\n{}",
            out.describe()
        );
        assert!(out.stdout.trim().is_empty(), "{}", out.describe());
    }
    let after = sim.get_number(&ro, SNMP_IN_BAD_COMMUNITY_NAMES);
    assert_eq!(
        after,
        before + 2,
        "snmpInBadCommunityNames counts both bad requests"
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Error cases, with net-snmp's exact messages
// ---------------------------------------------------------------------------------------------

const PRIV_USER: &str = "alice:sha256:alice-auth-pw:aes:alice-priv-pw";
const AUTH_USER: &str = "bob:sha:bob-auth-pw";
const NOAUTH_USER: &str = "carol";

fn alice() -> V3 {
    V3::auth_priv("alice", "SHA-256", "alice-auth-pw", "AES", "alice-priv-pw")
}

fn error_sim() -> PdusimProcess {
    PdusimProcess::start(
        PDUSIM,
        &[
            "--vendor",
            "raritan-px2",
            "--outlets",
            "8",
            "--community",
            "public",
            "--community",
            "private:rw",
            "--user",
            PRIV_USER,
            "--user",
            AUTH_USER,
            "--user",
            NOAUTH_USER,
        ],
    )
}

#[track_caller]
fn expect_failure(out: &Out, needle: &str) {
    assert!(
        !out.ok(),
        "expected failure with {needle:?}\n  {}\n{}",
        out.cmdline,
        out.describe()
    );
    assert!(
        out.all_output().contains(needle),
        "expected {needle:?} from\n  {}\n{}",
        out.cmdline,
        out.describe()
    );
}

#[test]
fn v3_security_errors() {
    let sim = error_sim();
    let ro = Sec::v2c("public");
    let quick = ["-r", "0", "-t", "2"];

    // wrong auth password
    let before = sim.get_number(&ro, USM_STATS_WRONG_DIGESTS);
    let mut bad = alice();
    bad.auth = Some(("SHA-256".into(), "not-alices-password".into()));
    let out = sim.tool("snmpget", &bad.into(), &quick, &[SYS_DESCR]);
    expect_failure(
        &out,
        "Authentication failure (incorrect password, community or key)",
    );
    assert_eq!(
        sim.get_number(&ro, USM_STATS_WRONG_DIGESTS),
        before + 1,
        "usmStatsWrongDigests"
    );

    // wrong auth protocol (same password): also a digest failure
    let mut bad = alice();
    bad.auth = Some(("SHA-512".into(), "alice-auth-pw".into()));
    let out = sim.tool("snmpget", &bad.into(), &quick, &[SYS_DESCR]);
    expect_failure(&out, "Authentication failure");

    // unknown user
    let before = sim.get_number(&ro, USM_STATS_UNKNOWN_USER_NAMES);
    let mut bad = alice();
    bad.user = "mallory".into();
    let out = sim.tool("snmpget", &bad.into(), &quick, &[SYS_DESCR]);
    expect_failure(&out, "Unknown user name");
    assert_eq!(
        sim.get_number(&ro, USM_STATS_UNKNOWN_USER_NAMES),
        before + 1,
        "usmStatsUnknownUserNames"
    );

    // a wrong (explicit) engine ID: reported as usmStatsUnknownEngineIDs. net-snmp, like
    // against snmpd, does not accept a report from another engine and times out.
    let before = sim.get_number(&ro, USM_STATS_UNKNOWN_ENGINE_IDS);
    let out = sim.tool(
        "snmpget",
        &alice().into(),
        &["-r", "0", "-t", "1", "-e", "800000000001020304"],
        &[SYS_DESCR],
    );
    assert!(
        !out.ok()
            && out.stdout.trim().is_empty()
            && out.stderr.contains("Timeout: No Response from"),
        "a request to another engine ID times out\n{}",
        out.describe()
    );
    assert_eq!(
        sim.get_number(&ro, USM_STATS_UNKNOWN_ENGINE_IDS),
        before + 1,
        "usmStatsUnknownEngineIDs"
    );

    // wrong privacy password
    let before = sim.get_number(&ro, USM_STATS_DECRYPTION_ERRORS);
    let mut bad = alice();
    bad.privacy = Some(("AES".into(), "not-alices-priv-pw".into()));
    let out = sim.tool("snmpget", &bad.into(), &quick, &[SYS_DESCR]);
    expect_failure(&out, "Decryption error");
    assert_eq!(
        sim.get_number(&ro, USM_STATS_DECRYPTION_ERRORS),
        before + 1,
        "usmStatsDecryptionErrors"
    );

    // authPriv user asking for authNoPriv: authenticated, but access needs privacy
    let out = sim.tool(
        "snmpget",
        &alice().at_level("authNoPriv").into(),
        &quick,
        &[SYS_DESCR],
    );
    expect_failure(&out, "authorizationError");
    assert!(out.stdout.trim().is_empty(), "{}", out.describe());
    // ... and noAuthNoPriv
    let out = sim.tool(
        "snmpget",
        &alice().at_level("noAuthNoPriv").into(),
        &quick,
        &[SYS_DESCR],
    );
    expect_failure(&out, "authorizationError");
    // ... and must not be able to switch an outlet that way
    let out = sim.tool(
        "snmpset",
        &alice().at_level("authNoPriv").into(),
        &quick,
        &[&control(1), "i", "0"],
    );
    expect_failure(&out, "authorizationError");
    assert_eq!(sim.get_value(&ro, &state(1)), state_value(true));

    // users configured without auth / without priv asking for more than they have
    let before = sim.get_number(&ro, USM_STATS_UNSUPPORTED_SEC_LEVELS);
    let carol = V3::auth("carol", "SHA", "carol-whatever-pw");
    let out = sim.tool("snmpget", &carol.into(), &quick, &[SYS_DESCR]);
    expect_failure(&out, "Unsupported security level");
    let bob = V3::auth_priv("bob", "SHA", "bob-auth-pw", "AES", "bob-priv-pw");
    let out = sim.tool("snmpget", &bob.into(), &quick, &[SYS_DESCR]);
    expect_failure(&out, "Unsupported security level");
    assert_eq!(
        sim.get_number(&ro, USM_STATS_UNSUPPORTED_SEC_LEVELS),
        before + 2,
        "usmStatsUnsupportedSecLevels"
    );

    // and the right credentials still work afterwards
    assert!(sim
        .get_value(&alice().into(), SYS_DESCR)
        .starts_with("STRING: "));
    assert!(sim
        .get_value(&V3::auth("bob", "SHA", "bob-auth-pw").into(), SYS_DESCR)
        .starts_with("STRING: "));
    assert!(sim
        .get_value(&V3::no_auth("carol").into(), SYS_DESCR)
        .starts_with("STRING: "));
}

#[test]
fn set_errors_v3_and_v2c() {
    let sim = error_sim();
    let ro = Sec::v2c("public");
    for sec in [Sec::from(alice()), Sec::v2c("private")] {
        let out = sim.set(&sec, &[SYS_DESCR, "s", "hacked"]);
        expect_failure(&out, "Reason: notWritable");
        assert!(
            out.stderr
                .contains(&format!("Failed object: {}", dotted(SYS_DESCR))),
            "{}",
            out.describe()
        );

        let out = sim.set(&sec, &[&control(4), "i", "5"]);
        expect_failure(&out, "Reason: wrongValue");
        let out = sim.set(&sec, &[&control(4), "i", "-1"]);
        expect_failure(&out, "Reason: wrongValue");

        let out = sim.set(&sec, &[&control(4), "s", "1"]);
        expect_failure(&out, "Reason: wrongType");

        let out = sim.set(&sec, &[&outlet_name(99), "s", "ghost"]);
        expect_failure(&out, "Reason: noCreation");

        // the state column itself is read-only
        let out = sim.set(&sec, &[&state(4), "i", "8"]);
        expect_failure(&out, "Reason: notWritable");

        assert_eq!(
            sim.get_value(&ro, &state(4)),
            state_value(true),
            "outlet 4 untouched"
        );
    }
    assert!(sim.get_value(&ro, SYS_DESCR) != "STRING: \"hacked\"");
    // v1 maps the same failures per RFC 3584
    let v1 = Sec::v1("private");
    let out = sim.set(&v1, &[SYS_DESCR, "s", "hacked"]);
    expect_failure(&out, "(noSuchName)");
    let out = sim.set(&v1, &[&control(4), "i", "5"]);
    expect_failure(&out, "(badValue)");
    let out = sim.set(&v1, &[&control(4), "s", "1"]);
    expect_failure(&out, "(badValue)");
}

#[test]
fn v2c_exceptions_no_such_object_and_instance() {
    let sim = error_sim();
    let ro = Sec::v2c("public");
    let out = sim.get(
        &ro,
        &[
            "1.3.6.1.2.1.1.99.0",
            "1.3.6.1.2.1.1.1.1",
            &state(99),
            "1.3.6.1.4.1.99999.1.0",
        ],
    );
    out.expect_clean();
    assert_eq!(
        out.varbinds(),
        vec![
            (
                ".1.3.6.1.2.1.1.99.0".into(),
                "No Such Object available on this agent at this OID".into()
            ),
            (
                ".1.3.6.1.2.1.1.1.1".into(),
                "No Such Instance currently exists at this OID".into()
            ),
            (
                dotted(&state(99)),
                "No Such Instance currently exists at this OID".into()
            ),
            (
                ".1.3.6.1.4.1.99999.1.0".into(),
                "No Such Object available on this agent at this OID".into()
            ),
        ]
    );
    // v1: the same request is a noSuchName error
    let out = sim.get(&Sec::v1("public"), &["1.3.6.1.2.1.1.99.0"]);
    expect_failure(&out, "(noSuchName)");
}

/// Walk the whole tree from `.1`; check it ends cleanly and every value is a real value.
fn whole_tree(sim: &PdusimProcess, sec: &Sec, bulk: bool) -> Vec<(String, String)> {
    let out = if bulk {
        sim.bulkwalk(sec, ".1")
    } else {
        sim.walk(sec, ".1")
    };
    out.expect_clean();
    let mut vbs = out.varbinds();
    // net-snmp prints the final endOfMibView for v2c/v3 walks; for v1 it prints "End of MIB".
    if let Some(last) = vbs.last() {
        if last
            .1
            .starts_with("No more variables left in this MIB View")
        {
            vbs.pop();
        }
    }
    // net-snmp prints a zero-length OCTET STRING (IF-MIB's ifAlias) as `""`, without a type.
    assert!(
        vbs.iter().all(|(_, v)| !v.starts_with("No Such")
            && !v.starts_with("No more variables")
            && (v == "\"\""
                || v.split_once(':')
                    .is_some_and(|(ty, _)| !ty.is_empty() && !ty.contains(' ')))),
        "every walked object has a value\n{}",
        out.describe()
    );
    for want in [
        SYS_DESCR,
        SYS_NAME,
        OUTLET_COUNT,
        &state(1),
        &state(8),
        &outlet_name(8),
        SNMP_ENGINE_BOOTS,
        USM_STATS_DECRYPTION_ERRORS,
    ] {
        assert!(
            vbs.iter().any(|(o, _)| *o == dotted(want)),
            "walk of .1 includes {want}\n{}",
            out.describe()
        );
    }
    vbs
}

#[test]
fn walk_of_whole_tree_ends_cleanly() {
    let sim = error_sim();
    let v2 = whole_tree(&sim, &Sec::v2c("public"), false);
    let v2b = whole_tree(&sim, &Sec::v2c("public"), true);
    let v3 = whole_tree(&sim, &alice().into(), false);
    let v3b = whole_tree(&sim, &alice().into(), true);
    let v1 = whole_tree(&sim, &Sec::v1("public"), false);
    // Same object set whatever the version (counters and uptime differ in value).
    let names = |v: &Vec<(String, String)>| v.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
    assert_eq!(names(&v2), names(&v2b));
    assert_eq!(names(&v2), names(&v3));
    assert_eq!(names(&v2), names(&v3b));
    // v1 has no Counter64 objects (RFC 3584); everything else is the same.
    assert!(!v1.iter().any(|(_, v)| v.starts_with("Counter64")));
    let without_counter64: Vec<(String, String)> = v2
        .iter()
        .filter(|(_, v)| !v.starts_with("Counter64"))
        .cloned()
        .collect();
    assert_eq!(names(&v1), names(&without_counter64));
}

// ---------------------------------------------------------------------------------------------
// 4. Multi-varbind SET atomicity
// ---------------------------------------------------------------------------------------------

#[test]
fn multi_varbind_set_is_all_or_nothing() {
    let sim = error_sim();
    let ro = Sec::v2c("public");
    for sec in [Sec::from(alice()), Sec::v2c("private"), Sec::v1("private")] {
        // The error net-snmp prints: v2c/v3's, or v1's as RFC 3584 maps it.
        let v1 = matches!(sec, Sec::V1(_));
        let reason = |v2c_v3: &'static str, v1_name: &'static str| {
            if v1 {
                v1_name
            } else {
                v2c_v3
            }
        };
        let failed = |out: &Out, oid: &str| {
            assert!(
                out.stderr
                    .contains(&format!("Failed object: {}", dotted(oid))),
                "{}",
                out.describe()
            );
        };
        // valid switch-off of outlet 3 + invalid value for outlet 4
        let out = sim.set(&sec, &[&control(3), "i", "0", &control(4), "i", "5"]);
        expect_failure(&out, reason("Reason: wrongValue", "(badValue)"));
        failed(&out, &control(4));
        assert_eq!(
            sim.get_value(&ro, &state(3)),
            state_value(true),
            "outlet 3 must not switch off"
        );

        // invalid first, valid second
        let out = sim.set(&sec, &[&control(4), "s", "off", &control(3), "i", "0"]);
        expect_failure(&out, reason("Reason: wrongType", "(badValue)"));
        failed(&out, &control(4));
        assert_eq!(
            sim.get_value(&ro, &state(3)),
            state_value(true),
            "outlet 3 must not switch off"
        );

        // valid switch + rename + a read-only object
        let out = sim.set(
            &sec,
            &[
                &control(3),
                "i",
                "0",
                &outlet_name(3),
                "s",
                "renamed",
                SYS_DESCR,
                "s",
                "x",
            ],
        );
        expect_failure(&out, reason("Reason: notWritable", "(noSuchName)"));
        failed(&out, SYS_DESCR);
        assert_eq!(
            sim.get_value(&ro, &state(3)),
            state_value(true),
            "outlet 3 must not switch off"
        );
        assert_ne!(
            sim.get_value(&ro, &outlet_name(3)),
            "STRING: \"renamed\"",
            "outlet 3 must not be renamed"
        );

        // valid switch + a nonexistent outlet
        let out = sim.set(&sec, &[&control(3), "i", "0", &control(99), "i", "0"]);
        expect_failure(&out, reason("Reason: noCreation", "(noSuchName)"));
        failed(&out, &control(99));
        assert_eq!(
            sim.get_value(&ro, &state(3)),
            state_value(true),
            "outlet 3 must not switch off"
        );
    }
    // and a fully valid multi-varbind SET applies every varbind
    let out = sim.set(
        &Sec::from(alice()),
        &[
            &control(5),
            "i",
            "0",
            &control(6),
            "i",
            "0",
            &outlet_name(5),
            "s",
            "both-off",
        ],
    );
    out.expect_clean();
    assert_eq!(sim.get_value(&ro, &state(5)), state_value(false));
    assert_eq!(sim.get_value(&ro, &state(6)), state_value(false));
    assert_eq!(sim.get_value(&ro, &outlet_name(5)), "STRING: \"both-off\"");
}

// ---------------------------------------------------------------------------------------------
// 5. Power cycle
// ---------------------------------------------------------------------------------------------

/// `--power-off-period` of the cycle test, in seconds: how long a cycle keeps an outlet off.
const CYCLE_PERIOD: u64 = 4;
/// How soon after the cycle's SET "off" must be read to count: well inside CYCLE_PERIOD, so only
/// a badly stalled machine answers later, and then the test fails rather than pass unchecked.
const CYCLE_WINDOW: Duration = Duration::from_millis(2500);
/// How long a cycled outlet may take to come back on before the test fails; a passing run waits
/// about CYCLE_PERIOD.
const CYCLE_DEADLINE: Duration = Duration::from_secs(20);

#[test]
fn cycle_turns_off_then_back_on() {
    let period = CYCLE_PERIOD.to_string();
    let sim = PdusimProcess::start(
        PDUSIM,
        &[
            "--vendor",
            "raritan-px2",
            "--outlets",
            "8",
            "--community",
            "public",
            "--user",
            PRIV_USER,
            "--power-off-period",
            &period,
        ],
    );
    let sec: Sec = alice().into();
    assert_eq!(sim.get_value(&sec, &state(2)), state_value(true));
    // Outlet 3 is off before its cycle: it ends up on (Raritan: cycle = off, period, on).
    sim.set(&sec, &[&control(3), "i", "0"]).expect_clean();
    assert_eq!(sim.get_value(&sec, &state(3)), state_value(false));

    let t0 = Instant::now();
    let out = sim.set(&sec, &[&control(2), "i", "2"]);
    out.expect_clean();
    assert_eq!(
        out.varbinds(),
        vec![(dotted(&control(2)), "INTEGER: 2".into())]
    );
    sim.set(&sec, &[&control(3), "i", "2"]).expect_clean();
    // Both are off for CYCLE_PERIOD after their SETs; only an answer inside the window shows it.
    let out = sim.get(&sec, &[&state(2), &state(3), &state(1)]);
    out.expect_clean();
    let answered = t0.elapsed();
    assert!(
        answered < CYCLE_WINDOW,
        "could not check in time that cycled outlets are off: the answer came {answered:?} after \
         the cycle, past the {CYCLE_WINDOW:?} in which they are sure to be off"
    );
    assert_eq!(
        out.varbinds(),
        vec![
            (dotted(&state(2)), state_value(false)),
            (dotted(&state(3)), state_value(false)),
            // other outlets unaffected
            (dotted(&state(1)), state_value(true)),
        ],
        "off right after a cycle"
    );
    // ... then on again. Only the order is checked here: that the outlet is off for exactly the
    // period, then on, is pinned on a manual clock by `reboot_is_off_for_the_period_then_on`
    // (simulator/src/outlet.rs).
    for outlet in [2, 3] {
        assert!(
            wait_until(CYCLE_DEADLINE, || sim.get_value(&sec, &state(outlet))
                == state_value(true)),
            "outlet {outlet} did not come back on within {CYCLE_DEADLINE:?} of a cycle with \
             --power-off-period {CYCLE_PERIOD}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 7. sys group and outlet names
// ---------------------------------------------------------------------------------------------

#[test]
fn sys_group_and_outlet_name_writes() {
    let sim = error_sim();
    let sec: Sec = alice().into();
    let out = sim.set(
        &sec,
        &[
            SYS_NAME,
            "s",
            "rack7-pdu",
            SYS_CONTACT,
            "s",
            "ops@example.net",
            SYS_LOCATION,
            "s",
            "Row 7, Rack 3",
        ],
    );
    out.expect_clean();
    assert_eq!(
        out.varbinds(),
        vec![
            (dotted(SYS_NAME), "STRING: \"rack7-pdu\"".into()),
            (dotted(SYS_CONTACT), "STRING: \"ops@example.net\"".into()),
            (dotted(SYS_LOCATION), "STRING: \"Row 7, Rack 3\"".into()),
        ]
    );
    for sec in [sec.clone(), Sec::v2c("public"), Sec::v1("public")] {
        let out = sim.get(&sec, &[SYS_NAME, SYS_CONTACT, SYS_LOCATION]);
        out.expect_clean();
        assert_eq!(
            out.varbinds(),
            vec![
                (dotted(SYS_NAME), "STRING: \"rack7-pdu\"".into()),
                (dotted(SYS_CONTACT), "STRING: \"ops@example.net\"".into()),
                (dotted(SYS_LOCATION), "STRING: \"Row 7, Rack 3\"".into()),
            ]
        );
    }
    // outletName via v3 and via v2c rw
    sim.set(&sec, &[&outlet_name(6), "s", "build-server"])
        .expect_clean();
    assert_eq!(
        sim.get_value(&Sec::v2c("public"), &outlet_name(6)),
        "STRING: \"build-server\""
    );
    sim.set(&Sec::v2c("private"), &[&outlet_name(7), "s", "test rig #2"])
        .expect_clean();
    assert_eq!(
        sim.get_value(&sec, &outlet_name(7)),
        "STRING: \"test rig #2\""
    );
    // an empty name is allowed by the MIB (SIZE(0..64))
    sim.set(&sec, &[&outlet_name(7), "s", ""]).expect_clean();
    assert_eq!(sim.get_value(&sec, &outlet_name(7)), "\"\"");
    // a name longer than 64 octets: wrongLength
    let long = "x".repeat(65);
    let out = sim.set(&sec, &[&outlet_name(7), "s", &long]);
    expect_failure(&out, "Reason: wrongLength");
    let out = sim.set(&sec, &[SYS_NAME, "s", &"y".repeat(256)]);
    expect_failure(&out, "Reason: wrongLength");
    assert_eq!(sim.get_value(&sec, SYS_NAME), "STRING: \"rack7-pdu\"");
    // the walk of the name column shows the new names in place
    let out = sim.walk(&Sec::v2c("public"), OUTLET_NAME_COL);
    out.expect_clean();
    let vbs = out.varbinds();
    assert_eq!(vbs.len(), 8);
    assert_eq!(
        vbs[5],
        (dotted(&outlet_name(6)), "STRING: \"build-server\"".into())
    );
}

// ---------------------------------------------------------------------------------------------
// 8. GETBULK edge cases
// ---------------------------------------------------------------------------------------------

#[test]
fn getbulk_non_repeaters_and_repetitions() {
    let sim = error_sim();
    for sec in [Sec::v2c("public"), Sec::from(alice())] {
        // 1 non-repeater + 3 repetitions of the state column
        let out = sim.tool(
            "snmpbulkget",
            &sec,
            &["-Cn1", "-Cr3"],
            &["1.3.6.1.2.1.1.1", SWITCHING_STATE_COL],
        );
        out.expect_clean();
        let oids: Vec<String> = out.varbinds().into_iter().map(|v| v.0).collect();
        assert_eq!(
            oids,
            vec![
                dotted(SYS_DESCR),
                dotted(&state(1)),
                dotted(&state(2)),
                dotted(&state(3))
            ],
            "{}",
            out.describe()
        );

        // two repeaters interleave: name.1 state.1 name.2 state.2
        let out = sim.tool(
            "snmpbulkget",
            &sec,
            &["-Cn0", "-Cr2"],
            &[OUTLET_NAME_COL, SWITCHING_STATE_COL],
        );
        out.expect_clean();
        let oids: Vec<String> = out.varbinds().into_iter().map(|v| v.0).collect();
        assert_eq!(
            oids,
            vec![
                dotted(&outlet_name(1)),
                dotted(&state(1)),
                dotted(&outlet_name(2)),
                dotted(&state(2))
            ],
            "{}",
            out.describe()
        );

        // max-repetitions 0: only the non-repeaters come back
        let out = sim.tool(
            "snmpbulkget",
            &sec,
            &["-Cn1", "-Cr0"],
            &["1.3.6.1.2.1.1.1", SWITCHING_STATE_COL],
        );
        out.expect_clean();
        let oids: Vec<String> = out.varbinds().into_iter().map(|v| v.0).collect();
        assert_eq!(oids, vec![dotted(SYS_DESCR)], "{}", out.describe());

        // non-repeaters 0, max-repetitions 0: an empty (but successful) response
        let out = sim.tool(
            "snmpbulkget",
            &sec,
            &["-Cn0", "-Cr0"],
            &[SWITCHING_STATE_COL],
        );
        assert!(out.ok(), "{}", out.describe());
        assert!(out.varbinds().is_empty(), "{}", out.describe());
        assert!(!out.stderr.contains("Timeout"), "{}", out.describe());

        // non-repeaters equal to the varbind count: all are non-repeaters, repetitions unused
        let out = sim.tool(
            "snmpbulkget",
            &sec,
            &["-Cn2", "-Cr10"],
            &["1.3.6.1.2.1.1.1", SWITCHING_STATE_COL],
        );
        out.expect_clean();
        let oids: Vec<String> = out.varbinds().into_iter().map(|v| v.0).collect();
        assert_eq!(
            oids,
            vec![dotted(SYS_DESCR), dotted(&state(1))],
            "{}",
            out.describe()
        );

        // running off the end of the MIB: endOfMibView
        let out = sim.tool(
            "snmpbulkget",
            &sec,
            &["-Cr3"],
            &[USM_STATS_DECRYPTION_ERRORS],
        );
        out.expect_clean();
        let vbs = out.varbinds();
        assert!(!vbs.is_empty(), "{}", out.describe());
        assert!(
            vbs.last()
                .unwrap()
                .1
                .starts_with("No more variables left in this MIB View"),
            "{}",
            out.describe()
        );
    }
}

#[test]
fn getbulk_huge_max_repetitions_is_truncated_never_silent() {
    // 1024 outlets × 4 columns: far more than one 65507-octet datagram can carry.
    let sim = PdusimProcess::start(
        PDUSIM,
        &[
            "--vendor",
            "raritan-px2",
            "--outlets",
            "1024",
            "--community",
            "public",
            "--user",
            PRIV_USER,
        ],
    );
    for sec in [Sec::v2c("public"), Sec::from(alice())] {
        let out = sim.tool("snmpbulkget", &sec, &["-Cr5000"], &[".1"]);
        assert!(
            !out.stderr.contains("Timeout"),
            "a huge GETBULK must get an answer\n{}",
            out.cmdline
        );
        // RFC 3416 §4.2.3: an answer too big for one message goes out with fewer varbinds.
        out.expect_clean();
        let vbs = out.varbinds();
        assert!(
            !vbs.is_empty() && vbs.len() < 5000,
            "truncated, not empty: {} varbinds",
            vbs.len()
        );
        assert_eq!(vbs[0].0, dotted(SYS_DESCR));
        // the varbinds returned are the lexicographic successors in order
        let oids: Vec<String> = vbs.iter().map(|v| v.0.clone()).collect();
        let walked = sim.walk(&Sec::v2c("public"), ".1");
        let all: Vec<String> = walked.varbinds().into_iter().map(|v| v.0).collect();
        assert_eq!(
            oids[..],
            all[..oids.len()],
            "GETBULK returns the walk order"
        );
        let version = if matches!(sec, Sec::V3(_)) {
            "v3"
        } else {
            "v2c"
        };
        eprintln!(
            "GETBULK -Cr5000 over .1 ({version}, 1024 outlets): {} varbinds",
            vbs.len()
        );
    }
    // A v3 client that can only take 484-octet messages: the answer must fit in 484 octets.
    let out = sim.tool(
        "snmpbulkget",
        &alice().into(),
        &["--sendMessageMaxSize=484", "-d", "-Cr5000"],
        &[".1"],
    );
    assert!(out.ok(), "{}", out.describe());
    let received: Vec<usize> = out
        .all_output()
        .lines()
        .filter_map(|l| l.strip_prefix("Received ")?.split(' ').next()?.parse().ok())
        .collect();
    assert!(!received.is_empty(), "{}", out.describe());
    assert!(
        received.iter().all(|n| *n <= 484),
        "msgMaxSize 484 honoured: got packets of {received:?} octets"
    );
    let vbs = out.varbinds();
    assert!(
        !vbs.is_empty() && vbs.len() < 60,
        "a truncated but non-empty response: {} varbinds",
        vbs.len()
    );
    eprintln!(
        "GETBULK -Cr5000 with msgMaxSize 484: {} varbinds in {:?}-octet packets",
        vbs.len(),
        received
    );
}
