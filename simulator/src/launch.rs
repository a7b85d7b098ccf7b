//! Starting a whole configuration: bind every address first (so a busy port fails the start
//! before anything is written), start the PDUs (lazily: each comes into being at its first
//! use, see [`crate::device::Device`]; one start count written per state directory), and group
//! them into endpoints by address. Loopback addresses that
//! share a port go through one socket for that port ([`crate::spread`]); every other address
//! gets sockets of its own.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use crate::clock::Clock;
use crate::device::{Device, DeviceSpec, KeyAndTreeCache, StartError};
use crate::endpoint::{Endpoint, EndpointError};
use crate::engine::StartCount;
use crate::server::{bind_group, BindError};
use crate::spread::{bind_spread, serve_spread, SpreadError, SpreadPort};
use crate::state_lock::{LockError, StateLock};

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
    /// Addresses that share a port cannot be served by one socket.
    #[error(transparent)]
    Spread(#[from] SpreadError),
    /// A state directory is held by another process, or cannot be locked.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// The notification originator's socket could not be bound.
    #[error("cannot bind the notification socket: {0}")]
    Notify(std::io::Error),
}

/// The sockets of a started configuration, each served by [`serve_listener`].
pub enum Listener {
    /// One address with its own sockets (several with SO_REUSEPORT, see `server::bind_group`).
    Own(Arc<Endpoint>, Vec<std::net::UdpSocket>),
    /// Many loopback addresses on one port, through one wildcard socket ([`crate::spread`]).
    Spread(Arc<SpreadPort>, std::net::UdpSocket),
}

/// Answers datagrams on `listener` forever (until the task is aborted).
pub async fn serve_listener(
    listener: Listener,
    salts: Arc<crate::security::SaltSource>,
) -> std::io::Result<()> {
    match listener {
        Listener::Own(endpoint, sockets) if crate::batch::batched() => {
            crate::batch::serve_batched(endpoint, sockets, salts).await
        }
        Listener::Own(endpoint, sockets) => crate::server::serve(endpoint, sockets, salts).await,
        Listener::Spread(table, socket) => serve_spread(table, socket, salts).await,
    }
}

/// Everything started, ready to serve.
pub struct Launched {
    /// Every PDU, in the order of the specs.
    pub devices: Vec<Arc<Device>>,
    /// Every endpoint (an address and the PDUs behind it), in first-use order of the addresses.
    pub endpoints: Vec<Arc<Endpoint>>,
    /// The sockets serving the endpoints, ready for [`serve_listener`].
    pub listeners: Vec<Listener>,
    /// The state directories this process holds: keep them for as long as the PDUs run.
    pub locks: Vec<StateLock>,
}

/// How many threads check saved state files at a start: enough to overlap their reads.
const START_THREADS: usize = 32;

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
    // Every state directory is held before anything is bound or written: a second process on
    // one directory is refused, naming the first.
    let mut locks: Vec<StateLock> = Vec::new();
    for (spec, _) in &pdus {
        let Some(root) = spec.state_dir.as_deref().and_then(std::path::Path::parent) else {
            continue;
        };
        if !locks.iter().any(|l| l.root() == root) {
            locks.push(StateLock::acquire(root)?);
        }
    }
    // Loopback IPv4 addresses on a port that two or more of them share: one socket per port.
    let mut per_port: std::collections::HashMap<u16, usize> = std::collections::HashMap::new();
    for (addr, _) in by_addr.values() {
        if shareable(addr) {
            *per_port.entry(addr.port()).or_default() += 1;
        }
    }
    let spread = |addr: &SocketAddr| shareable(addr) && per_port.get(&addr.port()) > Some(&1);
    let own = by_addr.values().filter(|(a, _)| !spread(a)).count();
    let per_address = crate::server::sockets_per_address(own);
    let mut sockets = Vec::with_capacity(own);
    for (addr, _) in by_addr.values().filter(|(a, _)| !spread(a)) {
        sockets.push(bind_group(*addr, per_address)?);
    }
    let mut spread_ports: Vec<(u16, std::net::UdpSocket)> = Vec::new();
    let mut ports: Vec<u16> = per_port
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(p, _)| *p)
        .collect();
    ports.sort_unstable();
    for port in ports {
        spread_ports.push((port, bind_spread(port)?));
    }
    let devices = start_devices(pdus.into_iter().map(|(spec, _)| spec).collect(), clock)?;
    let mut endpoints = Vec::with_capacity(by_addr.len());
    let mut listeners = Vec::with_capacity(sockets.len() + spread_ports.len());
    let mut sockets = sockets.into_iter();
    let mut shared: std::collections::HashMap<u16, Vec<Arc<Endpoint>>> =
        std::collections::HashMap::new();
    for (addr, members) in by_addr.into_values() {
        let members: Vec<Arc<Device>> = members
            .iter()
            .filter_map(|i| devices.get(*i).cloned())
            .collect();
        if spread(&addr) {
            // The first address a PDU answers on is the agent address its notifications carry.
            for d in &members {
                d.notifications.set_agent_address(addr);
            }
            let endpoint = Arc::new(Endpoint::new(addr, members)?);
            shared
                .entry(addr.port())
                .or_default()
                .push(endpoint.clone());
            endpoints.push(endpoint);
            continue;
        }
        let Some(socket) = sockets.next() else {
            continue;
        };
        let local = socket
            .first()
            .and_then(|s| s.local_addr().ok())
            .unwrap_or(addr);
        for d in &members {
            d.notifications.set_agent_address(local);
        }
        let endpoint = Arc::new(Endpoint::new(local, members)?);
        endpoints.push(endpoint.clone());
        listeners.push(Listener::Own(endpoint, socket));
    }
    for (port, socket) in spread_ports {
        let table = SpreadPort::new(port, shared.remove(&port).unwrap_or_default())?;
        listeners.push(Listener::Spread(Arc::new(table), socket));
    }
    Ok(Launched {
        devices,
        endpoints,
        listeners,
        locks,
    })
}

/// Whether `addr` may share its port's socket with other addresses: IPv4 loopback with a
/// port given (port 0 means a free port of its own).
fn shareable(addr: &SocketAddr) -> bool {
    matches!(addr, SocketAddr::V4(v4) if v4.ip().is_loopback() && v4.port() != 0)
}

/// Starts every PDU lazily ([`Device::start_lazy`]: engine, users and state come into being at
/// each PDU's first use) after bumping each state directory's start count once, and checks
/// the saved files of every PDU that has a folder ([`Device::check_saved`], in parallel), so a
/// file that cannot be used stops the start as it would an eager one.
fn start_devices(
    specs: Vec<DeviceSpec>,
    clock: Arc<dyn Clock>,
) -> Result<Vec<Arc<Device>>, StartError> {
    // One write per state directory root for the whole start: its start count
    // (`engine::StartCount`), before any PDU starts. One listing per root tells which PDUs
    // have saved anything.
    let mut start_counts = std::collections::HashMap::new();
    let mut folders: std::collections::HashMap<
        std::path::PathBuf,
        std::collections::HashSet<std::ffi::OsString>,
    > = std::collections::HashMap::new();
    for root in specs
        .iter()
        .filter_map(|s| s.state_dir.as_deref()?.parent())
    {
        if !start_counts.contains_key(root) {
            let count = StartCount::bump(root).map_err(|source| StartError::StartCount {
                root: root.to_path_buf(),
                source,
            })?;
            start_counts.insert(root.to_path_buf(), count);
            let names = std::fs::read_dir(root)
                .map(|entries| entries.filter_map(|e| Some(e.ok()?.file_name())).collect())
                .unwrap_or_default();
            folders.insert(root.to_path_buf(), names);
        }
    }
    let saved: Vec<&DeviceSpec> = specs
        .iter()
        .filter(|s| {
            s.state_dir.as_deref().is_some_and(|dir| {
                match (dir.parent().and_then(|r| folders.get(r)), dir.file_name()) {
                    (Some(names), Some(name)) => names.contains(name),
                    _ => false,
                }
            })
        })
        .collect();
    check_saved(&saved)?;
    let mut shared = KeyAndTreeCache::default();
    shared.start_counts = start_counts;
    // Derive each distinct password's master key now (a million octets hashed each), so a
    // PDU's first request pays only the localisation of its keys.
    for user in specs.iter().flat_map(|s| &s.users) {
        if let Some((auth, password)) = &user.auth {
            let _ = shared.keys.master_key(*auth, password);
            if let Some((_, priv_password)) = &user.privacy {
                // Privacy keys are derived with the authentication protocol's hash.
                let _ = shared.keys.master_key(*auth, priv_password);
            }
        }
    }
    Ok(specs
        .into_iter()
        .map(|s| Arc::new(Device::start_lazy(s, clock.clone(), &shared)))
        .collect())
}

/// [`Device::check_saved`] for each of `specs`, on up to [`START_THREADS`] threads; the first
/// failure in spec order.
fn check_saved(specs: &[&DeviceSpec]) -> Result<(), StartError> {
    if specs.is_empty() {
        return Ok(());
    }
    let chunk = specs.len().div_ceil(START_THREADS);
    std::thread::scope(|scope| {
        let handles: Vec<_> = specs
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().try_for_each(|s| Device::check_saved(s))))
            .collect();
        for h in handles {
            h.join().map_err(|_| StartError::Panicked)??;
        }
        Ok(())
    })
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
    /// Held while the simulator runs.
    _locks: Vec<StateLock>,
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
        for endpoint in &launched.endpoints {
            for device in endpoint.devices() {
                addresses.push((device.name.clone(), endpoint.addr));
            }
        }
        for listener in launched.listeners {
            tasks.spawn(serve_listener(listener, salts.clone()));
        }
        crate::notify::spawn(&launched.devices, clock, &mut tasks).map_err(LaunchError::Notify)?;
        Ok(Simulator {
            control: crate::control::Control::new(launched.devices.clone()),
            addresses,
            devices: launched.devices,
            tasks,
            _locks: launched.locks,
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
