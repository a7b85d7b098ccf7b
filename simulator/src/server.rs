//! UDP transport: binds each PDU's addresses and answers datagrams until told to stop.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::UdpSocket;
use tracing::{debug, warn};

use crate::endpoint::Endpoint;
use crate::dispatch::{handle_datagram, Buffers};
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

/// Answers every datagram that arrives on `socket` for the PDUs at `endpoint`, forever.
pub async fn serve(
    endpoint: Arc<Endpoint>,
    socket: std::net::UdpSocket,
    salts: Arc<SaltSource>,
) -> std::io::Result<()> {
    let socket = UdpSocket::from_std(socket)?;
    let mut buffers = Buffers::default();
    loop {
        socket.readable().await?;
        // Answer everything that is ready before waiting again.
        loop {
            let outcome = INBOUND.with(|cell| {
                let mut inbound = cell.borrow_mut();
                match socket.try_recv_from(&mut inbound) {
                    Ok((len, peer)) => {
                        let datagram = inbound.get(..len).unwrap_or_default();
                        Received::Datagram(handle_datagram(&endpoint, &salts, datagram, &mut buffers).then_some(peer))
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Received::Nothing,
                    // ICMP errors from earlier sends surface here on some systems; not fatal.
                    Err(e) => {
                        debug!(addr = %endpoint.addr, "receive error: {e}");
                        Received::Datagram(None)
                    }
                }
            });
            let peer = match outcome {
                Received::Nothing => break,
                Received::Datagram(None) => continue,
                Received::Datagram(Some(peer)) => peer,
            };
            let sent = match socket.try_send_to(&buffers.out, peer) {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => socket.send_to(&buffers.out, peer).await,
                other => other,
            };
            if let Err(e) = sent {
                warn!(addr = %endpoint.addr, %peer, "cannot send the answer: {e}");
            }
        }
    }
}

enum Received {
    Nothing,
    /// A datagram was read; `Some(peer)` when it earned an answer.
    Datagram(Option<SocketAddr>),
}

thread_local! {
    /// One receive buffer per worker thread, not per socket: 10,000 PDUs would otherwise hold
    /// 10,000 idle 64-KiB buffers.
    static INBOUND: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0u8; 65536]);
}
