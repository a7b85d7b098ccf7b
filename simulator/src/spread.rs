//! Many PDUs, each at its own IPv4 address, on one port, served by one socket: the placement of
//! a data centre, where every PDU sits at its own address on port 161.
//!
//! One socket per PDU would cost 100,000 file descriptors and 100,000 tasks for 100,000 PDUs.
//! Instead each port gets one socket bound to the wildcard address with `IP_PKTINFO` on
//! (`ip(7)`): every datagram arrives with the address it was sent to, which finds the PDU in a
//! table of (destination address -> endpoint), and the answer leaves with that same address as
//! its source (`IP_PKTINFO`'s `ipi_spec_dst` on `sendmsg`), so a manager sees the PDU it asked
//! answer from the address it asked. A datagram sent to an address of this port that is no PDU's
//! (any other interface's address included, since the socket is bound to the wildcard) is
//! counted in [`SpreadPort::stray`] and dropped unanswered.

use std::collections::HashMap;
use std::io;
use std::io::{IoSlice, IoSliceMut};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use nix::sys::socket::{
    recvmsg, sendmsg, setsockopt, sockopt, ControlMessage, ControlMessageOwned, MsgFlags,
    SockaddrIn,
};
use tokio::io::Interest;
use tokio::net::UdpSocket;
use tracing::debug;

use crate::delivery::{Deliverer, ResponseSink};
use crate::dispatch::{handle_datagram, Buffers};
use crate::endpoint::Endpoint;
use crate::security::SaltSource;
use crate::server::BindError;

/// The PDUs of one port, by the IPv4 address each answers on.
pub struct SpreadPort {
    /// The UDP port every PDU of the table answers on.
    pub port: u16,
    endpoints: HashMap<Ipv4Addr, Arc<Endpoint>>,
    /// Datagrams that reached the port at an address no PDU of the table answers on.
    pub stray: AtomicU64,
}

/// Why a set of endpoints cannot share one port.
#[derive(Debug, thiserror::Error)]
pub enum SpreadError {
    /// Only IPv4 carries `IP_PKTINFO` as used here (IPv6 loopback is one address anyway).
    #[error("{addr}: only IPv4 addresses can share a port through one socket")]
    NotIpv4 {
        /// The address given.
        addr: SocketAddr,
    },
    /// The endpoints are on different ports.
    #[error("{addr} is not on port {port}: one shared socket serves one port")]
    OtherPort {
        /// The address given.
        addr: SocketAddr,
        /// The table's port.
        port: u16,
    },
}

impl SpreadPort {
    /// A table of `endpoints`, all on `port`, each at its own IPv4 address.
    ///
    /// Errors: [`SpreadError::NotIpv4`], [`SpreadError::OtherPort`].
    pub fn new(port: u16, endpoints: Vec<Arc<Endpoint>>) -> Result<SpreadPort, SpreadError> {
        let mut table = HashMap::with_capacity(endpoints.len());
        for endpoint in endpoints {
            let SocketAddr::V4(v4) = endpoint.addr else {
                return Err(SpreadError::NotIpv4 {
                    addr: endpoint.addr,
                });
            };
            if v4.port() != port {
                return Err(SpreadError::OtherPort {
                    addr: endpoint.addr,
                    port,
                });
            }
            table.insert(*v4.ip(), endpoint);
        }
        Ok(SpreadPort {
            port,
            endpoints: table,
            stray: AtomicU64::new(0),
        })
    }

    /// The PDUs answering at `addr` on this port, if any.
    pub fn endpoint(&self, addr: Ipv4Addr) -> Option<&Arc<Endpoint>> {
        self.endpoints.get(&addr)
    }

    /// How many addresses the table holds.
    pub fn len(&self) -> usize {
        self.endpoints.len()
    }

    /// Whether the table holds no address.
    pub fn is_empty(&self) -> bool {
        self.endpoints.is_empty()
    }
}

/// Binds the one socket of a shared port: `0.0.0.0:port` with `IP_PKTINFO` on, non-blocking.
///
/// Errors: the [`BindError`] of [`crate::server::bind`] (in use, permission denied, other), and
/// [`BindError::Other`] when `IP_PKTINFO` cannot be set.
pub fn bind_spread(port: u16) -> Result<std::net::UdpSocket, BindError> {
    let addr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port));
    let socket = crate::server::bind(addr)?;
    setsockopt(&socket, sockopt::Ipv4PacketInfo, &true).map_err(|e| BindError::Other {
        addr,
        source: io::Error::from(e),
    })?;
    Ok(socket)
}

/// Answers every datagram that reaches `socket` (from [`bind_spread`]) for the PDU at the
/// datagram's destination address, forever.
pub async fn serve_spread(
    table: Arc<SpreadPort>,
    socket: std::net::UdpSocket,
    salts: Arc<SaltSource>,
) -> io::Result<()> {
    let socket = Arc::new(UdpSocket::from_std(socket)?);
    let mut buffers = Buffers::default();
    let mut inbound = vec![0u8; 65536];
    // One deliverer per addressed PDU (made on its first answer): a reorder fault holds back
    // that PDU's answers only.
    let mut deliverers: HashMap<Ipv4Addr, Deliverer<SpreadSink>> = HashMap::new();
    loop {
        socket.readable().await?;
        loop {
            let received = socket.try_io(Interest::READABLE, || receive(&socket, &mut inbound));
            let (len, peer, destination) = match received {
                Ok(r) => r,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => {
                    debug!(port = table.port, "receive error: {e}");
                    continue;
                }
            };
            let Some(endpoint) = table.endpoint(destination) else {
                table.stray.fetch_add(1, Ordering::Relaxed);
                continue;
            };
            let datagram = inbound.get(..len).unwrap_or_default();
            let Some(delivery) = handle_datagram(endpoint, &salts, datagram, &mut buffers) else {
                continue;
            };
            crate::dispatch::await_save(&mut buffers).await;
            let deliverer = deliverers.entry(destination).or_insert_with(|| {
                Deliverer::new(SpreadSink {
                    socket: socket.clone(),
                    local: SocketAddrV4::new(destination, table.port),
                })
            });
            deliverer
                .deliver(&buffers.out, SocketAddr::V4(peer), delivery)
                .await;
        }
    }
}

/// One datagram: its length, its sender, and the address it was sent to.
fn receive(socket: &UdpSocket, buf: &mut [u8]) -> io::Result<(usize, SocketAddrV4, Ipv4Addr)> {
    let mut control = nix::cmsg_space!(nix::libc::in_pktinfo);
    let mut iov = [IoSliceMut::new(buf)];
    let message = recvmsg::<SockaddrIn>(
        socket.as_raw_fd(),
        &mut iov,
        Some(&mut control),
        MsgFlags::empty(),
    )
    .map_err(io::Error::from)?;
    let peer = message
        .address
        .map(|a| SocketAddrV4::new(a.ip(), a.port()))
        .ok_or_else(|| io::Error::other("a datagram without a sender address"))?;
    let mut destination = None;
    for cmsg in message.cmsgs().map_err(io::Error::from)? {
        if let ControlMessageOwned::Ipv4PacketInfo(info) = cmsg {
            destination = Some(Ipv4Addr::from(u32::from_be(info.ipi_addr.s_addr)));
        }
    }
    let destination = destination
        .ok_or_else(|| io::Error::other("a datagram without IP_PKTINFO (is the option on?)"))?;
    Ok((message.bytes, peer, destination))
}

/// Sends `datagram` to `peer` from source address `local` through `socket`.
fn send_from(
    socket: &UdpSocket,
    datagram: &[u8],
    local: Ipv4Addr,
    peer: SocketAddrV4,
) -> io::Result<usize> {
    let info = nix::libc::in_pktinfo {
        ipi_ifindex: 0,
        ipi_spec_dst: nix::libc::in_addr {
            s_addr: u32::from(local).to_be(),
        },
        ipi_addr: nix::libc::in_addr { s_addr: 0 },
    };
    sendmsg(
        socket.as_raw_fd(),
        &[IoSlice::new(datagram)],
        &[ControlMessage::Ipv4PacketInfo(&info)],
        MsgFlags::empty(),
        Some(&SockaddrIn::from(peer)),
    )
    .map_err(io::Error::from)
}

/// The shared socket as seen by one PDU: answers leave from that PDU's own address.
#[derive(Clone)]
struct SpreadSink {
    socket: Arc<UdpSocket>,
    local: SocketAddrV4,
}

impl ResponseSink for SpreadSink {
    async fn send_to(&self, datagram: &[u8], peer: SocketAddr) -> io::Result<()> {
        let SocketAddr::V4(peer) = peer else {
            return Err(io::Error::other("an IPv6 peer on an IPv4 socket"));
        };
        self.socket
            .async_io(Interest::WRITABLE, || {
                send_from(&self.socket, datagram, *self.local.ip(), peer)
            })
            .await
            .map(|_| ())
    }

    async fn with_other_port(&self) -> io::Result<Self> {
        let socket =
            UdpSocket::bind(SocketAddr::V4(SocketAddrV4::new(*self.local.ip(), 0))).await?;
        let local = match socket.local_addr()? {
            SocketAddr::V4(v4) => v4,
            SocketAddr::V6(_) => self.local,
        };
        Ok(SpreadSink {
            socket: Arc::new(socket),
            local,
        })
    }

    fn local_addr(&self) -> SocketAddr {
        SocketAddr::V4(self.local)
    }
}
