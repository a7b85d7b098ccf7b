//! The live web dashboard served at `/` by the control API server (`control_http`): the page,
//! its script and style sheet (compiled into the binary, nothing loaded from elsewhere), and
//! the status of one PDU that the page receives by server-sent events.
//!
//! The PDU list is rendered on the server, filtered and paged ([`PAGE_SIZE`] a page), so 10,000
//! PDUs never reach the browser at once. The chosen PDU's outlets, faults, counters and request
//! log are filled in by `dashboard.js` from `GET /pdus/{pdu}/events`; every button calls the
//! same JSON routes as any other client of the control API. Community strings and keys are
//! never part of any of it.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::control::{Control, ControlError};
use crate::device::Device;
use crate::fault::{FaultInfo, Remaining};
use crate::outlet::{PendingKind, Power};
use crate::stats::{read, AgentStats};

/// The page's script (vanilla JavaScript, no build step).
pub const SCRIPT: &str = include_str!("dashboard/dashboard.js");

/// The page's style sheet.
pub const STYLE: &str = include_str!("dashboard/dashboard.css");

/// PDUs listed per page.
pub const PAGE_SIZE: usize = 50;

/// Where each PDU answers SNMP, by PDU name (as the launcher bound them).
pub type Addresses = HashMap<String, Vec<String>>;

/// One PDU as the dashboard shows it, sent as the `state` event.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PduStatus {
    /// The PDU's name.
    pub name: String,
    /// The vendor profile's name.
    pub vendor: String,
    /// The addresses it answers SNMP on (`IP:PORT`).
    pub addresses: Vec<String>,
    /// snmpEngineID in lower-case hex.
    pub engine_id: String,
    /// snmpEngineBoots.
    pub engine_boots: i32,
    /// snmpEngineTime, in seconds.
    pub engine_time: i32,
    /// Seconds since the agent (re)started (sysUpTime in seconds).
    pub uptime_secs: u64,
    /// Whether the vendor profile meters outlets (load and current shown).
    pub metered: bool,
    /// Its outlets, outlet 1 first.
    pub outlets: Vec<OutletStatus>,
    /// Its faults, in the order added.
    pub faults: Vec<FaultStatus>,
    /// The snmp group, MPD and usmStats counters, by MIB object name.
    pub counters: Vec<(&'static str, u32)>,
    /// The notifications it raised and sent (counters, the last ones per target).
    pub notifications: crate::notification::NotificationReport,
}

/// One outlet on the dashboard.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OutletStatus {
    /// The outlet number, from 1.
    pub outlet: u32,
    /// Its name (empty if none).
    pub name: String,
    /// Whether it is powered now.
    pub power: Power,
    /// "reboot", "on" or "off" while a delayed command or cycle runs.
    pub pending: Option<&'static str>,
    /// Milliseconds until the next pending step.
    pub countdown_ms: Option<u64>,
    /// Active power in watts (metered vendors only).
    pub watts: Option<f64>,
    /// Current in amperes (metered vendors only).
    pub amps: Option<f64>,
}

/// A fault and what is left of its schedule.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FaultStatus {
    /// The fault as the control API lists it.
    #[serde(flatten)]
    pub fault: FaultInfo,
    /// What is left of its schedule.
    pub remaining: Remaining,
}

/// The status of PDU `name` now. Errors: [`ControlError::NoSuchPdu`].
pub fn status(
    control: &Control,
    addresses: &Addresses,
    name: &str,
) -> Result<PduStatus, ControlError> {
    let device = control.device(name)?;
    let info = control.pdu(name)?;
    let now = device.now();
    let metered = !device.vendor.mib().meters.is_empty();
    let outlets = {
        let mut state = device.lock_state();
        let count = u32::try_from(state.outlets.len()).unwrap_or(u32::MAX);
        (1..=count)
            .map(|n| {
                let reading = if metered {
                    crate::profiles::metering::outlet_reading(&mut state, n, now)
                } else {
                    None
                };
                let o = &mut state.outlets[(n - 1) as usize];
                let pending = o.pending(now).map(|p| match p {
                    PendingKind::Reboot => "reboot",
                    PendingKind::On => "on",
                    PendingKind::Off => "off",
                });
                let countdown_ms = o
                    .next_step(now)
                    .map(|s| u64::try_from(s.at.saturating_sub(now).as_millis()).unwrap_or(0));
                OutletStatus {
                    outlet: n,
                    name: o.name.clone(),
                    power: o.power(now),
                    pending,
                    countdown_ms,
                    watts: reading.map(|r| (r.watts * 10.0).round() / 10.0),
                    amps: reading.map(|r| (r.amps * 1000.0).round() / 1000.0),
                }
            })
            .collect()
    };
    let remaining: HashMap<u64, Remaining> = device.faults.remaining(now).into_iter().collect();
    let faults = device
        .faults
        .list(now)
        .into_iter()
        .filter_map(|f| {
            let remaining = remaining.get(&f.id)?.clone();
            Some(FaultStatus {
                fault: f,
                remaining,
            })
        })
        .collect();
    Ok(PduStatus {
        name: info.name,
        vendor: info.vendor,
        addresses: addresses.get(name).cloned().unwrap_or_default(),
        engine_id: hex::encode(&*device.engine().id()),
        engine_boots: device.engine().boots(),
        engine_time: device.engine().time(),
        uptime_secs: device.uptime().as_secs(),
        metered,
        outlets,
        faults,
        counters: counters(device),
        notifications: device.notifications.report(),
    })
}

/// The counters of `device` by MIB object name: snmp group (RFC 3418), snmpMPDStats
/// (RFC 3412), snmpTargetObjects (RFC 3413) and usmStats (RFC 3414).
pub fn counters(device: &Device) -> Vec<(&'static str, u32)> {
    let s: &AgentStats = &device.stats;
    [
        ("snmpInPkts", &s.snmp_in_pkts),
        ("snmpOutPkts", &s.snmp_out_pkts),
        ("snmpInBadVersions", &s.snmp_in_bad_versions),
        ("snmpInBadCommunityNames", &s.snmp_in_bad_community_names),
        ("snmpInBadCommunityUses", &s.snmp_in_bad_community_uses),
        ("snmpInASNParseErrs", &s.snmp_in_asn_parse_errs),
        ("snmpInGetRequests", &s.snmp_in_get_requests),
        ("snmpInGetNexts", &s.snmp_in_get_nexts),
        ("snmpInSetRequests", &s.snmp_in_set_requests),
        ("snmpOutGetResponses", &s.snmp_out_get_responses),
        ("snmpOutTraps", &s.snmp_out_traps),
        ("snmpOutTooBigs", &s.snmp_out_too_bigs),
        ("snmpSilentDrops", &s.snmp_silent_drops),
        ("stateSaveFailures", &s.state_save_failures),
        ("snmpUnknownSecurityModels", &s.snmp_unknown_security_models),
        ("snmpInvalidMsgs", &s.snmp_invalid_msgs),
        ("snmpUnknownPDUHandlers", &s.snmp_unknown_pdu_handlers),
        ("snmpUnknownContexts", &s.snmp_unknown_contexts),
        (
            "usmStatsUnsupportedSecLevels",
            &s.usm_unsupported_sec_levels,
        ),
        ("usmStatsNotInTimeWindows", &s.usm_not_in_time_windows),
        ("usmStatsUnknownUserNames", &s.usm_unknown_user_names),
        ("usmStatsUnknownEngineIDs", &s.usm_unknown_engine_ids),
        ("usmStatsWrongDigests", &s.usm_wrong_digests),
        ("usmStatsDecryptionErrors", &s.usm_decryption_errors),
    ]
    .into_iter()
    .map(|(name, counter)| (name, read(counter)))
    .collect()
}

/// What the page was asked for: a filter on PDU names and vendors, a page of the matches, and
/// the PDU to show (default: the first match).
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct PageQuery {
    /// Shows PDUs whose name or vendor contains this (case-insensitive).
    #[serde(default)]
    pub q: String,
    /// The page of matches, from 1.
    #[serde(default)]
    pub page: Option<usize>,
    /// The PDU whose details are shown.
    #[serde(default)]
    pub pdu: Option<String>,
}

/// The dashboard page for `query`: the filtered, paged PDU list and the chosen PDU's panels
/// (filled in live by the script).
pub fn page(control: &Control, addresses: &Addresses, query: &PageQuery) -> String {
    let needle = query.q.trim().to_lowercase();
    let matches: Vec<&Device> = control
        .devices()
        .iter()
        .map(|d| &**d)
        .filter(|d| {
            needle.is_empty()
                || d.name.to_lowercase().contains(&needle)
                || d.vendor.name().contains(&needle)
        })
        .collect();
    let pages = matches.len().div_ceil(PAGE_SIZE).max(1);
    let page = query.page.unwrap_or(1).clamp(1, pages);
    let shown = matches.iter().skip((page - 1) * PAGE_SIZE).take(PAGE_SIZE);
    let chosen = query
        .pdu
        .as_deref()
        .and_then(|name| control.device(name).ok().map(|d| &**d))
        .or_else(|| matches.get((page - 1) * PAGE_SIZE).copied());

    let link = |page: usize, pdu: Option<&str>| {
        let mut url = format!("/?q={}&page={page}", url_encode(&query.q));
        if let Some(p) = pdu {
            let _ = write!(url, "&pdu={}", url_encode(p));
        }
        url
    };
    let mut html = String::with_capacity(16 * 1024);
    html.push_str(concat!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
        "<title>pdusim dashboard</title>\n<link rel=\"stylesheet\" href=\"/dashboard.css\">\n",
        "</head>\n<body>\n<header><h1>pdusim dashboard</h1>\n",
        "<p id=\"status\" role=\"status\" aria-live=\"polite\"></p></header>\n",
        "<nav aria-labelledby=\"pdus-heading\">\n<h2 id=\"pdus-heading\">PDUs</h2>\n",
        "<form method=\"get\" action=\"/\" role=\"search\">\n",
        "<label for=\"filter\">Filter by name or vendor</label>\n",
    ));
    let _ = write!(
        html,
        "<input id=\"filter\" name=\"q\" value=\"{}\" type=\"search\">\n<button type=\"submit\">Filter</button>\n</form>\n",
        escape(&query.q)
    );
    let _ = writeln!(
        html,
        "<p id=\"pdu-count\">{} of {} PDUs match; page {page} of {pages}.</p>",
        matches.len(),
        control.len()
    );
    html.push_str("<table id=\"pdu-list\">\n<thead><tr><th scope=\"col\">PDU</th><th scope=\"col\">Vendor</th><th scope=\"col\">Outlets</th><th scope=\"col\">Address</th></tr></thead>\n<tbody>\n");
    for d in shown {
        let current = chosen.is_some_and(|c| std::ptr::eq(c, *d));
        let outlets = d.outlet_count();
        let address = addresses
            .get(&d.name)
            .and_then(|a| a.first())
            .map_or("", String::as_str);
        let _ = writeln!(
            html,
            "<tr><td><a href=\"{}\"{}>{}</a></td><td>{}</td><td>{outlets}</td><td>{}</td></tr>",
            escape(&link(page, Some(&d.name))),
            if current {
                " aria-current=\"page\""
            } else {
                ""
            },
            escape(&d.name),
            escape(d.vendor.name()),
            escape(address)
        );
    }
    html.push_str("</tbody>\n</table>\n<p class=\"pager\">");
    if page > 1 {
        let _ = write!(
            html,
            "<a href=\"{}\" rel=\"prev\">Previous page</a> ",
            escape(&link(page - 1, None))
        );
    }
    if page < pages {
        let _ = write!(
            html,
            "<a href=\"{}\" rel=\"next\">Next page</a>",
            escape(&link(page + 1, None))
        );
    }
    html.push_str("</p>\n</nav>\n");
    match chosen {
        None => html.push_str("<main><p>No PDU matches.</p></main>\n"),
        Some(d) => {
            let _ = write!(
                html,
                include_str!("dashboard/pdu.html"),
                name = escape(&d.name)
            );
        }
    }
    html.push_str("<script src=\"/dashboard.js\"></script>\n</body>\n</html>\n");
    html
}

/// `text` safe inside HTML text and double-quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `text` as a URL query value (RFC 3986 unreserved characters kept, the rest %-encoded).
fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::clock::ManualClock;
    use crate::config::FileConfig;

    fn control(count: usize) -> Control {
        let mut text = String::new();
        for i in 0..count {
            let _ = write!(
                text,
                "[[pdu]]\nname = \"rack-{i}\"\nvendor = \"{}\"\noutlets = 2\nengine_id = \"80000000010203{:04x}\"\n[[pdu.community]]\nname = \"s3cret-{i}\"\n",
                if i % 2 == 0 { "raritan-px2" } else { "apc-rpdu2" },
                i
            );
        }
        let clock = Arc::new(ManualClock::default());
        let devices = FileConfig::parse(&text, "t")
            .unwrap()
            .validate("t")
            .unwrap()
            .into_iter()
            .map(|(mut spec, _)| {
                spec.state_dir = None;
                Arc::new(Device::start(spec, clock.clone()).unwrap())
            })
            .collect();
        Control::new(devices)
    }

    #[test]
    fn the_list_is_filtered_and_paged_and_shows_no_community() {
        let c = control(120);
        let html = page(&c, &Addresses::new(), &PageQuery::default());
        assert!(
            html.contains("120 of 120 PDUs match; page 1 of 3."),
            "{html}"
        );
        assert_eq!(html.matches("<tr><td><a ").count(), PAGE_SIZE);
        assert!(html.contains("data-pdu=\"rack-0\""));
        assert!(
            !html.contains("s3cret"),
            "a community name reached the page"
        );
        let query = PageQuery {
            q: "APC".into(),
            page: Some(2),
            pdu: None,
        };
        let html = page(&c, &Addresses::new(), &query);
        assert!(
            html.contains("60 of 120 PDUs match; page 2 of 2."),
            "{html}"
        );
        assert_eq!(html.matches("<tr><td><a ").count(), 10);
        assert!(html.contains("data-pdu=\"rack-101\""), "first of page 2");
        assert!(html.contains("rel=\"prev\"") && !html.contains("rel=\"next\""));
    }

    #[test]
    fn names_are_escaped() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(url_encode("a b&c"), "a%20b%26c");
    }

    #[test]
    fn status_shows_outlets_faults_and_counters() {
        let c = control(1);
        c.change_outlet(
            "rack-0",
            2,
            &crate::control::OutletChange {
                command: Some("reboot".into()),
                ..Default::default()
            },
        )
        .unwrap();
        c.add_fault(
            "rack-0",
            crate::control::NewFault {
                fault: crate::fault::FaultKind::DropResponse,
                schedule: crate::fault::Schedule {
                    packets: Some(3),
                    ..Default::default()
                },
            },
        )
        .unwrap();
        let mut addresses = Addresses::new();
        addresses.insert("rack-0".into(), vec!["127.0.0.1:1161".into()]);
        let s = status(&c, &addresses, "rack-0").unwrap();
        assert_eq!(s.addresses, ["127.0.0.1:1161"]);
        assert_eq!(s.outlets.len(), 2);
        assert_eq!(
            (s.outlets[1].power, s.outlets[1].pending),
            (Power::Off, Some("reboot"))
        );
        assert_eq!(s.outlets[1].countdown_ms, Some(5000));
        assert!(s.metered);
        assert_eq!(s.outlets[0].watts.is_some(), s.outlets[0].amps.is_some());
        assert_eq!(s.faults.len(), 1);
        assert_eq!(s.faults[0].remaining.packets_left, Some(3));
        assert!(s.counters.iter().any(|(n, _)| *n == "usmStatsWrongDigests"));
        assert!(matches!(
            status(&c, &addresses, "nope"),
            Err(ControlError::NoSuchPdu(_))
        ));
    }
}
