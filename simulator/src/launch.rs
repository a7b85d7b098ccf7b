//! Starting a whole configuration: bind every address first (so a busy port fails the start
//! before anything is written), start the PDUs (in parallel: each start persists its engine
//! boots with an fsync), and group them into endpoints by address.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use crate::clock::Clock;
use crate::device::{Device, DeviceSpec, KeyAndTreeCache, StartError};
use crate::endpoint::{Endpoint, EndpointError};
use crate::server::{bind_group, BindError};

/// Why a configuration could not start; the message is the cause's.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    /// An address could not be bound (nothing was started).
    #[error(transparent)]
    Bind(#[from] BindError),
    /// A PDU could not start.
    #[error(transparent)]
    Start(#[from] StartError),
    /// PDUs that share an address clash (communities, contexts, users).
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
    /// The notification originator's socket could not be bound.
    #[error("cannot bind the notification socket: {0}")]
    Notify(std::io::Error),
}

/// Everything started, ready to serve.
pub struct Launched {
    /// Every PDU, in the order of the specs.
    pub devices: Vec<Arc<Device>>,
    /// Each endpoint with its bound sockets (several with SO_REUSEPORT, see `server::bind_group`).
    pub endpoints: Vec<(Arc<Endpoint>, Vec<std::net::UdpSocket>)>,
}

/// How many PDUs start at once: enough to overlap the fsyncs of their state files.
const START_THREADS: usize = 128;

/// Starts every PDU of `pdus` (each with its listen addresses) on `clock`: binds every address
/// first, then starts the PDUs, then groups them by address (the first PDU listing an address
/// is its primary; port 0 is never shared). Nothing is served yet.
///
/// Errors: [`LaunchError::Bind`], [`LaunchError::Start`], [`LaunchError::Endpoint`].
pub fn launch(
    pdus: Vec<(DeviceSpec, Vec<SocketAddr>)>,
    clock: Arc<dyn Clock>,
) -> Result<Launched, LaunchError> {
    // Addresses in first-use order, each with the PDUs behind it (first = primary).
    let mut by_addr: BTreeMap<usize, (SocketAddr, Vec<usize>)> = BTreeMap::new();
    let mut order: std::collections::HashMap<SocketAddr, usize> = std::collections::HashMap::new();
    for (i, (_, addrs)) in pdus.iter().enumerate() {
        for addr in addrs {
            let next = by_addr.len();
            // Port 0 means "any free port": never shared.
            let slot = if addr.port() == 0 {
                next
            } else {
                *order.entry(*addr).or_insert(next)
            };
            by_addr
                .entry(slot)
                .or_insert_with(|| (*addr, Vec::new()))
                .1
                .push(i);
        }
    }
    let per_address = crate::server::sockets_per_address(by_addr.len());
    let mut sockets = Vec::with_capacity(by_addr.len());
    for (addr, _) in by_addr.values() {
        sockets.push(bind_group(*addr, per_address)?);
    }
    let devices = start_devices(pdus.into_iter().map(|(spec, _)| spec).collect(), clock)?;
    let mut endpoints = Vec::with_capacity(sockets.len());
    for ((addr, members), socket) in by_addr.into_values().zip(sockets) {
        let local = socket
            .first()
            .and_then(|s| s.local_addr().ok())
            .unwrap_or(addr);
        let members: Vec<Arc<Device>> = members
            .iter()
            .filter_map(|i| devices.get(*i).cloned())
            .collect();
        // The first address a PDU answers on is the agent address its notifications carry.
        for d in &members {
            d.notifications.set_agent_address(local);
        }
        endpoints.push((Arc::new(Endpoint::new(local, members)?), socket));
    }
    Ok(Launched { devices, endpoints })
}

fn start_devices(
    specs: Vec<DeviceSpec>,
    clock: Arc<dyn Clock>,
) -> Result<Vec<Arc<Device>>, StartError> {
    let shared = KeyAndTreeCache::default();
    if specs.len() <= 1 {
        return specs
            .into_iter()
            .map(|s| Device::start_shared(s, clock.clone(), &shared).map(Arc::new))
            .collect();
    }
    // Derive each distinct password's master key once, before the threads race for it.
    for user in specs.iter().flat_map(|s| &s.users) {
        if let Some((auth, password)) = &user.auth {
            let _ = shared.keys.master_key(*auth, password);
            if let Some((_, priv_password)) = &user.privacy {
                // Privacy keys are derived with the authentication protocol's hash.
                let _ = shared.keys.master_key(*auth, priv_password);
            }
        }
    }
    let chunk = specs.len().div_ceil(START_THREADS);
    let mut results: Vec<Result<Arc<Device>, StartError>> = Vec::with_capacity(specs.len());
    std::thread::scope(|scope| {
        let handles: Vec<_> = specs
            .chunks(chunk)
            .map(|part| {
                let shared = &shared;
                let clock = clock.clone();
                scope.spawn(move || {
                    part.iter()
                        .map(|s| {
                            Device::start_shared(s.clone(), clock.clone(), shared).map(Arc::new)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            match h.join() {
                Ok(part) => results.extend(part),
                Err(_) => results.push(Err(StartError::Panicked)),
            }
        }
    });
    results.into_iter().collect()
}

/// A simulator running inside the caller's tokio runtime (tests, the conformance runner):
/// started from specs, stopped when dropped.
pub struct Simulator {
    /// The control API over its PDUs (outlets, faults, engine events).
    pub control: crate::control::Control,
    /// Each PDU's name with the addresses it answers on.
    pub addresses: Vec<(String, SocketAddr)>,
    /// Every PDU, in the order of the specs.
    pub devices: Vec<Arc<Device>>,
    tasks: tokio::task::JoinSet<std::io::Result<()>>,
}

impl Simulator {
    /// Binds, starts and serves everything on the current tokio runtime. Give port 0 to get a
    /// free port; `addresses` tells which one each PDU got.
    pub fn start(
        pdus: Vec<(DeviceSpec, Vec<SocketAddr>)>,
        clock: Arc<dyn Clock>,
    ) -> Result<Simulator, LaunchError> {
        let launched = launch(pdus, clock.clone())?;
        let salts = Arc::new(crate::security::SaltSource::new());
        let mut tasks = tokio::task::JoinSet::new();
        let mut addresses = Vec::new();
        for (endpoint, sockets) in launched.endpoints {
            for device in endpoint.devices() {
                addresses.push((device.name.clone(), endpoint.addr));
            }
            tasks.spawn(crate::server::serve(endpoint, sockets, salts.clone()));
        }
        crate::notify::spawn(&launched.devices, clock, &mut tasks).map_err(LaunchError::Notify)?;
        Ok(Simulator {
            control: crate::control::Control::new(launched.devices.clone()),
            addresses,
            devices: launched.devices,
            tasks,
        })
    }

    /// The first address PDU `name` answers on.
    pub fn address(&self, name: &str) -> Option<SocketAddr> {
        self.addresses
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, a)| *a)
    }

    /// Stops serving: aborts every socket task (as dropping it does). State already written
    /// stays.
    pub fn stop(mut self) {
        self.tasks.abort_all();
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.tasks.abort_all();
    }
}
