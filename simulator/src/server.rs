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

/// Why an address could not be bound; the message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    /// Another socket holds the address.
    #[error("{addr} is already in use (another pdusim or snmpd?): stop it, or pick another address with --listen")]
    InUse {
        /// The address asked for.
        addr: SocketAddr,
    },
    /// The operating system refused (a port below 1024 without privileges).
    #[error("cannot listen on {addr}: permission denied (ports below 1024 need root): pick a port above 1024, e.g. 127.0.0.1:1161")]
    Denied {
        /// The address asked for.
        addr: SocketAddr,
    },
    /// Any other failure to bind or set up the socket.
    #[error("cannot listen on {addr}: {source}")]
    Other {
        /// The address asked for.
        addr: SocketAddr,
        /// What went wrong.
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
                        buffers.peer = Some(peer);
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
                    // A SET is answered once its state is on disk (or refused when it cannot be
                    // saved): awaited here, so the runtime keeps serving other sockets meanwhile.
                    crate::dispatch::await_save(&mut buffers).await;
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

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::type_complexity
)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::clock::ManualClock;
    use crate::config::FileConfig;
    use crate::device::Device;
    use snmp_proto::{
        decode_message, encode_community_message, oids, Message, Oid, Pdu, PduType, Value, VarBind,
        Version,
    };

    fn any_port() -> SocketAddr {
        "127.0.0.1:0".parse().unwrap()
    }

    #[test]
    fn a_busy_address_is_in_use_and_the_error_names_it() {
        let holder = std::net::UdpSocket::bind(any_port()).unwrap();
        let addr = holder.local_addr().unwrap();
        for result in [bind(addr).map(|_| ()), bind_group(addr, 3).map(|_| ())] {
            let error = result.unwrap_err();
            assert!(
                matches!(error, BindError::InUse { addr: a } if a == addr),
                "{error:?}"
            );
            assert!(error.to_string().contains(&addr.to_string()), "{error}");
        }
    }

    #[test]
    fn a_group_is_count_sockets_on_one_port_that_nobody_else_can_take() {
        let sockets = bind_group(any_port(), 3).unwrap();
        assert_eq!(sockets.len(), 3);
        let addr = sockets[0].local_addr().unwrap();
        assert_ne!(addr.port(), 0);
        for s in &sockets {
            assert_eq!(s.local_addr().unwrap(), addr);
        }
        assert!(matches!(bind(addr), Err(BindError::InUse { .. })));
        assert_eq!(bind_group(any_port(), 1).unwrap().len(), 1);
    }

    #[test]
    fn a_socket_per_core_for_few_addresses_one_for_many() {
        let cores = std::thread::available_parallelism().unwrap().get();
        assert_eq!(sockets_per_address(1), cores);
        assert_eq!(sockets_per_address(64), cores);
        assert_eq!(sockets_per_address(65), 1);
        assert_eq!(sockets_per_address(10_000), 1);
    }

    fn get_sys_name(community: &[u8], request_id: i32) -> Vec<u8> {
        let pdu = Pdu {
            pdu_type: PduType::GetRequest,
            request_id,
            error_status: 0,
            error_index: 0,
            varbinds: vec![VarBind {
                oid: Oid::new(oids::SYS_NAME),
                value: Value::Null,
            }],
            trap_v1: None,
        };
        let mut out = Vec::new();
        encode_community_message(&mut out, Version::V2c, community, &pdu);
        out
    }

    #[tokio::test]
    async fn serve_answers_datagrams_over_loopback() {
        let config =
            "[[pdu]]\nname = \"a\"\nsys_name = \"lab\"\n[[pdu.community]]\nname = \"public\"\n";
        let mut spec = FileConfig::parse(config, "t")
            .unwrap()
            .validate("t")
            .unwrap()
            .remove(0)
            .0;
        spec.state_dir = None;
        let device = Arc::new(Device::start(spec, Arc::new(ManualClock::default())).unwrap());
        let sockets = bind_group(any_port(), 2).unwrap();
        let addr = sockets[0].local_addr().unwrap();
        let endpoint = Arc::new(Endpoint::new(addr, vec![device.clone()]).unwrap());
        let server = tokio::spawn(serve(endpoint, sockets, Arc::new(SaltSource::new())));

        let client = UdpSocket::bind(any_port()).await.unwrap();
        // One client reaches one socket of the group, in order: the first request (an
        // unknown community) is dropped, the second answered.
        client
            .send_to(&get_sys_name(b"wrong", 1), addr)
            .await
            .unwrap();
        client
            .send_to(&get_sys_name(b"public", 2), addr)
            .await
            .unwrap();
        let mut buf = vec![0u8; 65536];
        // Only a guard against hanging: nothing here depends on how long an answer takes.
        let (len, from) = tokio::time::timeout(Duration::from_secs(60), client.recv_from(&mut buf))
            .await
            .expect("an answer")
            .unwrap();
        assert_eq!(from, addr);
        let Message::Community(m) = decode_message(&buf[..len]).unwrap() else {
            panic!("not a community message")
        };
        assert_eq!((m.version, m.community), (Version::V2c, &b"public"[..]));
        assert_eq!(
            (m.pdu.pdu_type, m.pdu.request_id, m.pdu.error_status),
            (PduType::Response, 2, 0)
        );
        assert_eq!(
            m.pdu.varbinds,
            vec![VarBind {
                oid: Oid::new(oids::SYS_NAME),
                value: Value::octets("lab"),
            }]
        );
        let stats = &device.stats;
        assert_eq!(
            crate::stats::read(&stats.snmp_in_bad_community_names),
            1,
            "the first request was dropped as an unknown community"
        );
        assert_eq!(crate::stats::read(&stats.snmp_in_pkts), 2);
        server.abort();
    }
}
