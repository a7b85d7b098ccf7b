//! UDP transport: binds each address and answers datagrams until told to stop. Answers leave
//! through [`crate::delivery`], which applies the `Send` faults (late, twice, out of order, from
//! another port) to any transport's [`ResponseSink`].

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::UdpSocket;
use tracing::debug;

use crate::delivery::{Deliverer, Delivery, ResponseSink};
use crate::dispatch::{handle_datagram, Buffers};
use crate::endpoint::Endpoint;
use crate::security::SaltSource;

#[derive(Debug, thiserror::Error)]
pub enum BindError {
    #[error("{addr} is already in use (another pdusim or snmpd?): stop it, or pick another address with --listen")]
    InUse { addr: SocketAddr },
    #[error("cannot listen on {addr}: permission denied (ports below 1024 need root): pick a port above 1024, e.g. 127.0.0.1:1161")]
    Denied { addr: SocketAddr },
    #[error("cannot listen on {addr}: {source}")]
    Other {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// Binds a UDP socket, with an error that says what to do when it fails.
pub fn bind(addr: SocketAddr) -> Result<std::net::UdpSocket, BindError> {
    let socket = std::net::UdpSocket::bind(addr).map_err(|source| match source.kind() {
        std::io::ErrorKind::AddrInUse => BindError::InUse { addr },
        std::io::ErrorKind::PermissionDenied => BindError::Denied { addr },
        _ => BindError::Other { addr, source },
    })?;
    socket
        .set_nonblocking(true)
        .map_err(|source| BindError::Other { addr, source })?;
    Ok(socket)
}

/// Binds `count` sockets to one address with SO_REUSEPORT, so the kernel spreads clients over
/// them (by their address and port) and each can be served on its own core, without the wake-up
/// of every reader that several readers of one socket would cost. A plain bind first makes sure
/// nobody else holds the address: a socket without SO_REUSEPORT (another pdusim's check, snmpd)
/// cannot share it, so "already in use" is still reported.
pub fn bind_group(addr: SocketAddr, count: usize) -> Result<Vec<std::net::UdpSocket>, BindError> {
    let first = bind(addr)?;
    if count <= 1 {
        return Ok(vec![first]);
    }
    let actual = first
        .local_addr()
        .map_err(|source| BindError::Other { addr, source })?;
    drop(first);
    (0..count)
        .map(|_| {
            let socket = socket2::Socket::new(
                socket2::Domain::for_address(actual),
                socket2::Type::DGRAM,
                Some(socket2::Protocol::UDP),
            )?;
            socket.set_reuse_port(true)?;
            socket.set_nonblocking(true)?;
            socket.bind(&actual.into())?;
            Ok(socket.into())
        })
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(|source| match source.kind() {
            std::io::ErrorKind::AddrInUse => BindError::InUse { addr },
            _ => BindError::Other { addr, source },
        })
}

/// Answers every datagram that arrives on `sockets` (one address, see `bind_group`) for the
/// PDUs at `endpoint`, forever: one task per socket.
pub async fn serve(
    endpoint: Arc<Endpoint>,
    sockets: Vec<std::net::UdpSocket>,
    salts: Arc<SaltSource>,
) -> std::io::Result<()> {
    // Dropping this set (when the caller aborts `serve`) stops every worker.
    let mut set = tokio::task::JoinSet::new();
    for socket in sockets {
        let socket = Arc::new(UdpSocket::from_std(socket)?);
        set.spawn(worker(endpoint.clone(), socket, salts.clone()));
    }
    while let Some(done) = set.join_next().await {
        match done {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e),
            Err(e) if e.is_panic() => {
                return Err(std::io::Error::other(format!("a worker panicked: {e}")))
            }
            Err(_) => {}
        }
    }
    Ok(())
}

/// How many sockets each address gets: one per core while there are few addresses (benchmarks,
/// a handful of PDUs), one when thousands of PDUs already spread the load.
pub fn sockets_per_address(addresses: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if addresses <= 64 {
        cores
    } else {
        1
    }
}

async fn worker(
    endpoint: Arc<Endpoint>,
    socket: Arc<UdpSocket>,
    salts: Arc<SaltSource>,
) -> std::io::Result<()> {
    let mut buffers = Buffers::default();
    let mut deliverer = Deliverer::new(UdpSink {
        socket: socket.clone(),
        addr: endpoint.addr,
    });
    loop {
        socket.readable().await?;
        // Answer everything that is ready before waiting again.
        loop {
            let outcome = INBOUND.with(|cell| {
                let mut inbound = cell.borrow_mut();
                match socket.try_recv_from(&mut inbound) {
                    Ok((len, peer)) => {
                        let datagram = inbound.get(..len).unwrap_or_default();
                        Received::Datagram(
                            handle_datagram(&endpoint, &salts, datagram, &mut buffers)
                                .map(|d| (peer, d)),
                        )
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Received::Nothing,
                    // ICMP errors from earlier sends surface here on some systems; not fatal.
                    Err(e) => {
                        debug!(addr = %endpoint.addr, "receive error: {e}");
                        Received::Datagram(None)
                    }
                }
            });
            match outcome {
                Received::Nothing => break,
                Received::Datagram(None) => continue,
                Received::Datagram(Some((peer, delivery))) => {
                    // A SET is answered once its state is on disk, or after a short deadline:
                    // awaited here, so the runtime keeps serving other sockets meanwhile.
                    if let Some(saving) = buffers.saving.take() {
                        let _ =
                            tokio::time::timeout(crate::device::SAVE_WAIT, saving.written()).await;
                    }
                    deliverer.deliver(&buffers.out, peer, delivery).await
                }
            }
        }
    }
}

enum Received {
    Nothing,
    /// A datagram was read; `Some` when it earned an answer.
    Datagram(Option<(SocketAddr, Delivery)>),
}

thread_local! {
    /// One receive buffer per worker thread, not per socket: 10,000 PDUs would otherwise hold
    /// 10,000 idle 64-KiB buffers.
    static INBOUND: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0u8; 65536]);
}

/// The UDP side of the transport boundary: one bound socket.
#[derive(Clone)]
struct UdpSink {
    socket: Arc<UdpSocket>,
    addr: SocketAddr,
}

impl ResponseSink for UdpSink {
    async fn send_to(&self, datagram: &[u8], peer: SocketAddr) -> std::io::Result<()> {
        match self.socket.try_send_to(datagram, peer) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                self.socket.send_to(datagram, peer).await
            }
            other => other,
        }
        .map(|_| ())
    }

    async fn with_other_port(&self) -> std::io::Result<Self> {
        let socket = UdpSocket::bind(SocketAddr::new(self.addr.ip(), 0)).await?;
        Ok(UdpSink {
            socket: Arc::new(socket),
            addr: self.addr,
        })
    }

    fn local_addr(&self) -> SocketAddr {
        self.addr
    }
}
