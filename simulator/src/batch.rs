//! Batched UDP I/O on dedicated threads (`pdusim serve --batch-io`): each socket of an address
//! gets a thread of its own that receives up to [`BATCH`] datagrams with one `recvmmsg(2)`,
//! answers them all, and sends the answers with one `sendmmsg(2)`, so under load from many
//! clients the kernel is entered twice per batch instead of twice per request (plus the
//! `epoll_wait` of the async path). With one client at a time a batch is one datagram and
//! nothing is saved.
//!
//! Nothing the async path ([`crate::server`]) does is lost:
//!
//! - a SET's answer waits for its state write (up to [`crate::persist::save_wait`], on this
//!   thread) and [`crate::dispatch::settle_save`] turns it into commitFailed when the write
//!   failed, exactly as in the async path; the answers batched before it are sent first;
//! - an answer that a `Send` fault touches (late, twice, held back, from another port) goes
//!   through the same [`Deliverer`] as in the async path, after the answers batched before it,
//!   and so does the answer after one held back by a reorder fault.
//!
//! Only for addresses with sockets of their own (`Listener::Own`); PDUs spread over loopback
//! addresses ([`crate::spread`]) keep the async path. `bench/README.md` has the measurements.
// Code on the path of every network datagram: no panic by overflow, indexing or truncation.
#![deny(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use std::io::{self, IoSlice, IoSliceMut};
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use nix::sys::socket::{recvmmsg, sendmmsg, MsgFlags, MultiHeaders, SockaddrStorage};
use tracing::{debug, warn};

use crate::delivery::{Deliverer, Delivery, ResponseSink};
use crate::dispatch::{handle_datagram, Buffers};
use crate::endpoint::Endpoint;
use crate::security::SaltSource;

/// The most datagrams one `recvmmsg` takes and one `sendmmsg` sends.
pub const BATCH: usize = 32;
/// The largest datagram a receive buffer holds (the largest UDP payload over IPv4).
const DATAGRAM: usize = 65536;
/// How often a blocked receive wakes to see whether it should stop.
const STOP_POLL: Duration = Duration::from_millis(200);

static BATCHED: AtomicBool = AtomicBool::new(false);

/// Turns batched I/O on or off for the listeners started after this call (`--batch-io`).
pub fn set_batched(on: bool) {
    BATCHED.store(on, Ordering::Relaxed);
}

/// Whether batched I/O is on ([`set_batched`]).
pub fn batched() -> bool {
    BATCHED.load(Ordering::Relaxed)
}

/// Serves `sockets` (one address) on one dedicated thread each until the returned future is
/// dropped (the caller's task aborted), then the threads stop within [`STOP_POLL`].
///
/// Errors: a socket that cannot be switched to blocking mode with a receive timeout, or a
/// thread that cannot be started.
pub async fn serve_batched(
    endpoint: Arc<Endpoint>,
    sockets: Vec<std::net::UdpSocket>,
    salts: Arc<SaltSource>,
) -> io::Result<()> {
    let stop = StopOnDrop(Arc::new(AtomicBool::new(false)));
    let runtime = tokio::runtime::Handle::current();
    for (i, socket) in sockets.into_iter().enumerate() {
        socket.set_nonblocking(false)?;
        socket.set_read_timeout(Some(STOP_POLL))?;
        let (endpoint, salts, runtime, stop) = (
            endpoint.clone(),
            salts.clone(),
            runtime.clone(),
            stop.0.clone(),
        );
        std::thread::Builder::new()
            .name(format!("pdusim-batch-{i}"))
            .spawn(move || worker(&endpoint, Arc::new(socket), &salts, &runtime, &stop))?;
    }
    std::future::pending::<()>().await;
    Ok(())
}

/// Tells the threads to stop when [`serve_batched`]'s future goes away.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Answers waiting to leave in one `sendmmsg`.
struct Outgoing {
    answers: Vec<(Vec<u8>, SocketAddr)>,
    headers: MultiHeaders<SockaddrStorage>,
}

impl Outgoing {
    fn push(&mut self, answer: &[u8], peer: SocketAddr) {
        self.answers.push((answer.to_vec(), peer));
    }

    /// Sends every queued answer, [`BATCH`] at a time (fewer when the kernel takes fewer).
    fn flush(&mut self, socket: &std::net::UdpSocket) {
        let mut from = 0;
        while from < self.answers.len() {
            let rest = self.answers.get(from..).unwrap_or_default();
            let slices: Vec<[IoSlice<'_>; 1]> =
                rest.iter().map(|(a, _)| [IoSlice::new(a)]).collect();
            let addrs: Vec<Option<SockaddrStorage>> = rest
                .iter()
                .map(|(_, p)| Some(SockaddrStorage::from(*p)))
                .collect();
            let sent = sendmmsg(
                socket.as_raw_fd(),
                &mut self.headers,
                slices.iter().take(BATCH),
                &addrs,
                [],
                MsgFlags::empty(),
            )
            .map(Iterator::count);
            match sent {
                Ok(0) => break,
                Ok(n) => from = from.saturating_add(n),
                Err(e) => {
                    // The answer at `from` cannot go (its peer's address, a full buffer): the
                    // others still can.
                    let peer = rest.first().map(|(_, p)| *p);
                    warn!(?peer, "cannot send the answer: {e}");
                    from = from.saturating_add(1);
                }
            }
        }
        self.answers.clear();
    }
}

fn worker(
    endpoint: &Endpoint,
    socket: Arc<std::net::UdpSocket>,
    salts: &SaltSource,
    runtime: &tokio::runtime::Handle,
    stop: &AtomicBool,
) {
    let mut buffers = Buffers::default();
    let mut inbound: Vec<Vec<u8>> = (0..BATCH).map(|_| vec![0u8; DATAGRAM]).collect();
    let mut receive_headers = MultiHeaders::<SockaddrStorage>::preallocate(BATCH, None);
    let mut out = Outgoing {
        answers: Vec::with_capacity(BATCH),
        headers: MultiHeaders::preallocate(BATCH, None),
    };
    let mut deliverer = Deliverer::new(ThreadSink {
        socket: socket.clone(),
        addr: endpoint.addr,
    });
    let mut received: Vec<(usize, Option<SocketAddr>)> = Vec::with_capacity(BATCH);
    while !stop.load(Ordering::Relaxed) {
        received.clear();
        {
            let mut iovs: Vec<[IoSliceMut<'_>; 1]> = inbound
                .iter_mut()
                .map(|b| [IoSliceMut::new(b.as_mut_slice())])
                .collect();
            match recvmmsg(
                socket.as_raw_fd(),
                &mut receive_headers,
                iovs.iter_mut(),
                MsgFlags::MSG_WAITFORONE,
                None,
            ) {
                Ok(messages) => {
                    received.extend(messages.map(|m| (m.bytes, m.address.and_then(to_std))))
                }
                Err(nix::errno::Errno::EAGAIN | nix::errno::Errno::EINTR) => continue,
                // ICMP errors from earlier sends surface here on some systems; not fatal.
                Err(e) => {
                    debug!(addr = %endpoint.addr, "receive error: {e}");
                    continue;
                }
            }
        }
        for ((len, peer), datagram) in received.iter().zip(&inbound) {
            let Some(peer) = *peer else { continue };
            let datagram = datagram.get(..*len).unwrap_or_default();
            buffers.peer = Some(peer);
            let Some(delivery) = handle_datagram(endpoint, salts, datagram, &mut buffers) else {
                continue;
            };
            if let Some(saving) = buffers.saving.take() {
                // A SET: the answers before it leave now; its own once its state is written.
                out.flush(&socket);
                saving.wait(crate::persist::save_wait());
                crate::dispatch::settle_save(&saving, &mut buffers);
            }
            if delivery == Delivery::default() && !deliverer.holding() {
                out.push(&buffers.out, peer);
            } else {
                out.flush(&socket);
                runtime.block_on(deliverer.deliver(&buffers.out, peer, delivery));
            }
        }
        out.flush(&socket);
    }
}

fn to_std(address: SockaddrStorage) -> Option<SocketAddr> {
    if let Some(v4) = address.as_sockaddr_in() {
        return Some(SocketAddr::from((v4.ip(), v4.port())));
    }
    address
        .as_sockaddr_in6()
        .map(|v6| SocketAddr::from((v6.ip(), v6.port())))
}

/// The dedicated thread's socket as a [`ResponseSink`], for the answers `Send` faults touch.
#[derive(Clone)]
struct ThreadSink {
    socket: Arc<std::net::UdpSocket>,
    addr: SocketAddr,
}

impl ResponseSink for ThreadSink {
    async fn send_to(&self, datagram: &[u8], peer: SocketAddr) -> io::Result<()> {
        // A blocking socket: a UDP send waits only for room in the send buffer.
        self.socket.send_to(datagram, peer).map(|_| ())
    }

    async fn with_other_port(&self) -> io::Result<Self> {
        let socket = std::net::UdpSocket::bind(SocketAddr::new(self.addr.ip(), 0))?;
        Ok(ThreadSink {
            socket: Arc::new(socket),
            addr: self.addr,
        })
    }

    fn local_addr(&self) -> SocketAddr {
        self.addr
    }
}
