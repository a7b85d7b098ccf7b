//! One listening address and the PDUs behind it. Most addresses serve one PDU; several PDUs can
//! share one, the way multi-unit set-ups and snmpsim users expect: v1/v2c requests pick a PDU by
//! community, SNMPv3 requests by context name (`-n NAME`). The first PDU at an address is its
//! primary: its engine and users do the USM work for all of them (the engine must be known
//! before the context can be read), and it answers the default empty context.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use crate::access::Access;
use crate::device::Device;
use snmp_proto::usm::ExposeSecret;

/// PDUs that cannot share an address as configured.
#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    /// No PDU was given for the address.
    #[error("{addr}: no PDU")]
    Empty {
        /// The listening address.
        addr: SocketAddr,
    },
    /// Names the PDUs and the community's position, never the string itself: a community is
    /// a secret.
    #[error("{addr}: community number {number} of PDU {second:?} is also a community of PDU {first:?}, which shares this address: give each PDU its own community strings so requests can pick the PDU")]
    SharedCommunity {
        /// The listening address.
        addr: SocketAddr,
        /// 1-based position in `second`'s list of communities.
        number: usize,
        /// The PDU that has the community already.
        first: String,
        /// The PDU that lists it again.
        second: String,
    },
    /// Two PDUs at the address answer the same contextName (a PDU's name counts as one).
    #[error("{addr}: context {context:?} names PDUs {first:?} and {second:?}, which share this address: context names must be unique per address")]
    SharedContext {
        /// The listening address.
        addr: SocketAddr,
        /// The contextName.
        context: String,
        /// The PDU that answers it already.
        first: String,
        /// The PDU that claims it too.
        second: String,
    },
    /// A PDU other than the first at the address has SNMPv3 users (USM is the first's).
    #[error("{addr}: PDU {pdu:?} shares this address with {primary:?} but defines SNMPv3 users; users of PDUs sharing an address belong on the first PDU ({primary:?})")]
    UsersOnSecondary {
        /// The listening address.
        addr: SocketAddr,
        /// The PDU with users.
        pdu: String,
        /// The address's first PDU, where the users belong.
        primary: String,
    },
}

/// One listening address and its PDUs: which one a community or a contextName picks.
pub struct Endpoint {
    /// The address the PDUs answer on.
    pub addr: SocketAddr,
    primary: Arc<Device>,
    devices: Vec<Arc<Device>>,
    communities: HashMap<Vec<u8>, (usize, Access)>,
    contexts: HashMap<Vec<u8>, usize>,
}

impl Endpoint {
    /// `devices[0]` is the primary. Every PDU answers the context named after it and those it
    /// lists; the primary also answers the empty context.
    pub fn new(addr: SocketAddr, devices: Vec<Arc<Device>>) -> Result<Endpoint, EndpointError> {
        let Some(primary) = devices.first() else {
            return Err(EndpointError::Empty { addr });
        };
        let mut communities: HashMap<Vec<u8>, (usize, Access)> = HashMap::new();
        let mut contexts: HashMap<Vec<u8>, usize> = HashMap::new();
        contexts.insert(Vec::new(), 0);
        for (i, device) in devices.iter().enumerate() {
            if i > 0 && device.has_users() {
                return Err(EndpointError::UsersOnSecondary {
                    addr,
                    pdu: device.name.clone(),
                    primary: primary.name.clone(),
                });
            }
            for (number, c) in (1..).zip(&device.communities) {
                if let Some((other, _)) =
                    communities.insert(c.name.expose_secret().as_bytes().to_vec(), (i, c.access))
                {
                    return Err(EndpointError::SharedCommunity {
                        addr,
                        number,
                        first: devices
                            .get(other)
                            .map(|d| d.name.clone())
                            .unwrap_or_default(),
                        second: device.name.clone(),
                    });
                }
            }
            let names = std::iter::once(&device.name).chain(device.contexts.iter());
            for context in names {
                match contexts.insert(context.as_bytes().to_vec(), i) {
                    Some(other) if other != i => {
                        return Err(EndpointError::SharedContext {
                            addr,
                            context: context.clone(),
                            first: devices
                                .get(other)
                                .map(|d| d.name.clone())
                                .unwrap_or_default(),
                            second: device.name.clone(),
                        })
                    }
                    _ => {}
                }
            }
        }
        Ok(Endpoint {
            addr,
            primary: primary.clone(),
            devices,
            communities,
            contexts,
        })
    }

    /// The PDU whose engine and users this address's USM uses.
    pub fn primary(&self) -> &Device {
        &self.primary
    }

    /// Every PDU at the address, the primary first.
    pub fn devices(&self) -> &[Arc<Device>] {
        &self.devices
    }

    /// The PDU a v1/v2c community picks, with what the community may do; `None` for a
    /// community no PDU here has (snmpInBadCommunityNames).
    pub fn by_community(&self, community: &[u8]) -> Option<(&Device, Access)> {
        let (i, permission) = self.communities.get(community)?;
        Some((self.devices.get(*i)?, *permission))
    }

    /// The PDU an SNMPv3 contextName picks (empty: the primary); `None` for an unknown
    /// context (snmpUnknownContexts, RFC 3413 §3.2).
    pub fn by_context(&self, context: &[u8]) -> Option<&Device> {
        self.devices.get(*self.contexts.get(context)?).map(|d| &**d)
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::type_complexity
)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::config::FileConfig;

    const ADDR: &str = "127.0.0.1:1161";

    /// Two PDUs behind one address: "a" (primary, with an SNMPv3 user) and "b".
    const SHARED: &str = r#"
[[pdu]]
name = "a"
listen = ["127.0.0.1:1161"]
[[pdu.community]]
name = "alpha"
access = "read-write"
[[pdu.community]]
name = "alpha-ro"
[[pdu.user]]
name = "ops"
auth = "sha"
auth_password = "authpass123"

[[pdu]]
name = "b"
vendor = "apc-rpdu2"
listen = ["127.0.0.1:1161"]
contexts = ["rack2"]
[[pdu.community]]
name = "beta"
"#;

    fn devices(config: &str) -> Vec<Arc<Device>> {
        let clock = Arc::new(ManualClock::default());
        FileConfig::parse(config, "t")
            .unwrap()
            .validate("t")
            .unwrap()
            .into_iter()
            .map(|(mut spec, _)| {
                spec.state_dir = None;
                Arc::new(Device::start(spec, clock.clone()).unwrap())
            })
            .collect()
    }

    fn endpoint(config: &str) -> Result<Endpoint, EndpointError> {
        Endpoint::new(ADDR.parse().unwrap(), devices(config))
    }

    /// Two PDUs at one address, `a_body` and `b_body` after their names.
    fn pair(a_body: &str, b_body: &str) -> String {
        format!("[[pdu]]\nname = \"a\"\n{a_body}\n[[pdu]]\nname = \"b\"\n{b_body}\n")
    }

    #[test]
    fn communities_pick_the_pdu_and_the_access() {
        let e = endpoint(SHARED).unwrap();
        let pick = |community: &[u8]| {
            e.by_community(community)
                .map(|(d, access)| (d.name.clone(), access))
        };
        assert_eq!(pick(b"alpha"), Some(("a".into(), Access::ReadWrite)));
        assert_eq!(pick(b"alpha-ro"), Some(("a".into(), Access::ReadOnly)));
        assert_eq!(pick(b"beta"), Some(("b".into(), Access::ReadOnly)));
        // Exact bytes only: no prefix, no case folding.
        for other in [&b"gamma"[..], b"ALPHA", b"alph", b"alpha ", b""] {
            assert_eq!(pick(other), None, "{:?}", String::from_utf8_lossy(other));
        }
    }

    #[test]
    fn contexts_pick_the_pdu_and_the_primary_answers_the_default() {
        let e = endpoint(SHARED).unwrap();
        let pick = |context: &[u8]| e.by_context(context).map(|d| d.name.clone());
        assert_eq!(pick(b""), Some("a".into()));
        assert_eq!(pick(b"a"), Some("a".into()));
        assert_eq!(pick(b"b"), Some("b".into()));
        assert_eq!(pick(b"rack2"), Some("b".into()));
        assert_eq!(pick(b"rack3"), None);
        assert_eq!(pick(b"B"), None);
        assert_eq!(e.primary().name, "a");
        assert_eq!(
            e.devices()
                .iter()
                .map(|d| d.name.as_str())
                .collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert_eq!(e.addr, ADDR.parse().unwrap());
    }

    #[test]
    fn a_community_shared_by_two_pdus_is_refused_without_showing_it() {
        let secret = "s3cret-community";
        for b_access in ["read-only", "read-write"] {
            let config = pair(
                &format!("[[pdu.community]]\nname = \"{secret}\"\n"),
                &format!(
                    "[[pdu.community]]\nname = \"other\"\n[[pdu.community]]\nname = \"{secret}\"\naccess = \"{b_access}\"\n"
                ),
            );
            let error = endpoint(&config).err().unwrap();
            match &error {
                EndpointError::SharedCommunity {
                    number,
                    first,
                    second,
                    ..
                } => assert_eq!((*number, first.as_str(), second.as_str()), (2, "a", "b")),
                other => panic!("{other}"),
            }
            let text = error.to_string();
            assert!(
                text.contains(ADDR) && text.contains("\"a\"") && text.contains("\"b\""),
                "{text}"
            );
            assert!(
                !text.contains(secret),
                "the error shows the community: {text}"
            );
            assert!(
                !format!("{error:?}").contains(secret),
                "the error's Debug shows the community: {error:?}"
            );
        }
    }

    #[test]
    fn a_context_naming_two_pdus_is_refused() {
        // "b" lists "a"'s name as one of its contexts.
        let config = pair(
            "[[pdu.community]]\nname = \"x\"\n",
            "contexts = [\"a\"]\n[[pdu.community]]\nname = \"y\"\n",
        );
        match endpoint(&config) {
            Err(EndpointError::SharedContext {
                context,
                first,
                second,
                ..
            }) => assert_eq!(
                (context.as_str(), first.as_str(), second.as_str()),
                ("a", "a", "b")
            ),
            Err(other) => panic!("{other}"),
            Ok(_) => panic!("accepted"),
        }
        // A PDU listing its own name as a context is no conflict.
        let config = pair(
            "contexts = [\"a\"]\n[[pdu.community]]\nname = \"x\"\n",
            "[[pdu.community]]\nname = \"y\"\n",
        );
        let e = endpoint(&config).unwrap();
        assert_eq!(e.by_context(b"a").map(|d| d.name.as_str()), Some("a"));
    }

    #[test]
    fn only_the_primary_may_have_snmpv3_users() {
        let config = pair(
            "[[pdu.community]]\nname = \"x\"\n",
            "[[pdu.user]]\nname = \"ops\"\nauth = \"sha\"\nauth_password = \"authpass123\"\n",
        );
        match endpoint(&config) {
            Err(EndpointError::UsersOnSecondary { pdu, primary, .. }) => {
                assert_eq!((pdu.as_str(), primary.as_str()), ("b", "a"))
            }
            Err(other) => panic!("{other}"),
            Ok(_) => panic!("accepted"),
        }
    }

    #[test]
    fn an_address_needs_a_pdu() {
        assert!(matches!(
            Endpoint::new(ADDR.parse().unwrap(), Vec::new()),
            Err(EndpointError::Empty { .. })
        ));
    }
}
