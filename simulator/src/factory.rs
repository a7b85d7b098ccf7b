//! What a PDU calls itself out of the box: the identity a quick-flag `pdusim serve` gives a PDU
//! from its vendor and address when no config file says otherwise.
//!
//! | vendor | PDU name | sysName.0 | outlet names |
//! |---|---|---|---|
//! | raritan-px2 | `px2` | `px2-lab` | `web-1`, `web-2`, `db-1`, … (see below) |
//! | raritan-px1 | `px1` | `PX-XXXXXX` | `Outlet 1`, `Outlet 2`, … |
//! | apc-rpdu2, apc-rpdu | `rpdu2`, `rpdu` | `apcXXXXXX` (APC's default host name) | `Outlet 1`, … |
//! | eaton-epdu | `epdu` | `ePDU-XXXXXX` | `Outlet A1`, `Outlet A2`, … (group A) |
//! | sentry3, sentry4 | `sentry3`, `sentry4` | `Sentry3-XXXXXX`, `Sentry4-XXXXXX` | `Master_Outlet_1`, … |
//! | cyberpower-epdu | `cyberpower` | `PDU-XXXXXX` | `Outlet1`, `Outlet2`, … |
//! | tripplite-pdu | `tripplite` | `PDU-XXXXXX` | `Outlet 1`, … |
//! | vertiv-geist | `geist` | `Geist-XXXXXX` | `Outlet 1`, … |
//! | baytech-mrp | `mrp` | `RPC-XXXXXX` | `Outlet 1`, … (no name column in the MIB) |
//!
//! `XXXXXX` is six hex digits derived from the PDU's address (IP and port), the way real
//! devices derive their default host name from the last three bytes of their MAC address: two
//! simulators at different addresses never share a sysName, and one address always gets the
//! same one.
//!
//! raritan-px2, the default vendor, is the exception: its quick-flag PDU is the embedded
//! default (`pdusim example-config`) moved, names included, so that `pdusim serve` and
//! `pdusim serve --listen ...` serve the same device. The row's entry here (`PX2-XXXXXX`, empty
//! outlet names as a factory-fresh PX2 has) is what [`identity`] returns for it, used only
//! where a PX2 without the embedded default's names is wanted.

use std::net::SocketAddr;

/// The factory identity of one vendor profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FactoryIdentity {
    /// The PDU's default name (its state folder, control-API path and SNMPv3 context).
    pub short_name: &'static str,
    /// sysName.0 before the address-derived hex digits (`apc` → `apc1A2B3C`).
    pub sys_name_prefix: &'static str,
    /// An outlet's default name before its number (`Outlet ` → `Outlet 3`); `None`: empty.
    pub outlet_prefix: Option<&'static str>,
}

/// The factory identity of the profile named `profile` (as `pdusim vendors` lists it); a
/// profile without an entry is named after itself, with the sysName prefix `PDU-` and
/// `Outlet N` names.
pub fn identity(profile: &str) -> FactoryIdentity {
    let (short_name, sys_name_prefix, outlet_prefix) = match profile {
        "raritan-px2" => ("px2", "PX2-", None),
        "raritan-px1" => ("px1", "PX-", Some("Outlet ")),
        "apc-rpdu2" => ("rpdu2", "apc", Some("Outlet ")),
        "apc-rpdu" => ("rpdu", "apc", Some("Outlet ")),
        "eaton-epdu" => ("epdu", "ePDU-", Some("Outlet A")),
        "sentry3" => ("sentry3", "Sentry3-", Some("Master_Outlet_")),
        "sentry4" => ("sentry4", "Sentry4-", Some("Master_Outlet_")),
        "cyberpower-epdu" => ("cyberpower", "PDU-", Some("Outlet")),
        "tripplite-pdu" => ("tripplite", "PDU-", Some("Outlet ")),
        "vertiv-geist" => ("geist", "Geist-", Some("Outlet ")),
        "baytech-mrp" => ("mrp", "RPC-", Some("Outlet ")),
        _ => return fallback(profile),
    };
    FactoryIdentity {
        short_name,
        sys_name_prefix,
        outlet_prefix,
    }
}

fn fallback(profile: &str) -> FactoryIdentity {
    // Profile names come from the static registry; an unknown one keeps a static name.
    let short_name = crate::profiles::find(profile).map_or("pdu", |p| p.name());
    FactoryIdentity {
        short_name,
        sys_name_prefix: "PDU-",
        outlet_prefix: Some("Outlet "),
    }
}

impl FactoryIdentity {
    /// sysName.0 of a PDU at `address`: the prefix and six hex digits derived from the address.
    pub fn sys_name(&self, address: Option<SocketAddr>) -> String {
        format!("{}{:06X}", self.sys_name_prefix, address_tag(address))
    }

    /// The default names of `outlets` outlets, outlet 1 first.
    pub fn outlet_names(&self, outlets: u32) -> Vec<String> {
        (1..=outlets)
            .map(|n| {
                self.outlet_prefix
                    .map_or_else(String::new, |p| format!("{p}{n}"))
            })
            .collect()
    }
}

/// 24 bits derived from an address (FNV-1a over its IP octets and port): stable across starts
/// and releases, different for neighbouring addresses.
pub(crate) fn address_tag(address: Option<SocketAddr>) -> u32 {
    let Some(address) = address else { return 0 };
    let mut bytes = match address.ip() {
        std::net::IpAddr::V4(ip) => ip.octets().to_vec(),
        std::net::IpAddr::V6(ip) => ip.octets().to_vec(),
    };
    bytes.extend_from_slice(&address.port().to_be_bytes());
    let hash = bytes.iter().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    });
    (hash ^ (hash >> 24)) & 0x00ff_ffff
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_profile_has_its_own_identity() {
        let mut short_names = std::collections::HashSet::new();
        for p in crate::profiles::PROFILES {
            let id = identity(p.name());
            assert_ne!(
                id,
                fallback(p.name()),
                "{} has no factory identity",
                p.name()
            );
            assert!(short_names.insert(id.short_name), "{}", id.short_name);
            assert!(
                crate::config::PduName::try_from(id.short_name.to_string()).is_ok(),
                "{}",
                id.short_name
            );
        }
    }

    #[test]
    fn sys_name_follows_the_address() {
        let id = identity("apc-rpdu2");
        let a = id.sys_name("127.0.0.1:1161".parse().ok());
        assert!(a.starts_with("apc") && a.len() == 9, "{a}");
        assert_eq!(a, id.sys_name("127.0.0.1:1161".parse().ok()));
        assert_ne!(a, id.sys_name("127.0.0.1:1162".parse().ok()));
        assert_eq!(
            identity("sentry4").outlet_names(2),
            ["Master_Outlet_1", "Master_Outlet_2"]
        );
        assert_eq!(identity("raritan-px2").outlet_names(2), ["", ""]);
    }
}
