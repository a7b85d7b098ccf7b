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

#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    #[error("{addr}: no PDU")]
    Empty { addr: SocketAddr },
    #[error("{addr}: community {community:?} is used by PDUs {first:?} and {second:?}, which share this address: give each its own community so requests can pick the PDU")]
    SharedCommunity {
        addr: SocketAddr,
        community: String,
        first: String,
        second: String,
    },
    #[error("{addr}: context {context:?} names PDUs {first:?} and {second:?}, which share this address: context names must be unique per address")]
    SharedContext {
        addr: SocketAddr,
        context: String,
        first: String,
        second: String,
    },
    #[error("{addr}: PDU {pdu:?} shares this address with {primary:?} but defines SNMPv3 users; users of PDUs sharing an address belong on the first PDU ({primary:?})")]
    UsersOnSecondary {
        addr: SocketAddr,
        pdu: String,
        primary: String,
    },
}

pub struct Endpoint {
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
            if i > 0 && !device.users().is_empty() {
                return Err(EndpointError::UsersOnSecondary {
                    addr,
                    pdu: device.name.clone(),
                    primary: primary.name.clone(),
                });
            }
            for c in &device.communities {
                if let Some((other, _)) =
                    communities.insert(c.name.as_bytes().to_vec(), (i, c.access))
                {
                    return Err(EndpointError::SharedCommunity {
                        addr,
                        community: c.name.clone(),
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

    pub fn devices(&self) -> &[Arc<Device>] {
        &self.devices
    }

    pub fn by_community(&self, community: &[u8]) -> Option<(&Device, Access)> {
        let (i, permission) = self.communities.get(community)?;
        Some((self.devices.get(*i)?, *permission))
    }

    pub fn by_context(&self, context: &[u8]) -> Option<&Device> {
        self.devices.get(*self.contexts.get(context)?).map(|d| &**d)
    }
}
