//! The transport boundary: where encoded answers leave the agent. A transport (UDP today; TCP,
//! notification originators later) implements [`ResponseSink`]; [`Deliverer`] sends each answer
//! through it the way the `Send` fault point's [`Delivery`] says: late, twice, held back behind
//! the next answer, or from another source port. A new transport is a new sink, not a rewrite
//! of the fault handling.
// Code on the path of every network datagram: no panic by overflow, indexing or truncation.
#![deny(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tracing::warn;

/// How to send one answer: normally (the default), unless a fault at the `Send` point says
/// otherwise (see `dispatch`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Delivery {
    /// Send after this long, without holding up the answers behind it.
    pub delay: Option<Duration>,
    /// Send twice.
    pub duplicate: bool,
    /// Hold this answer back and send it after the next one.
    pub reorder: bool,
    /// Send from another source port.
    pub wrong_source_port: bool,
}

/// Something that sends datagrams to peers: one bound socket of a transport.
pub trait ResponseSink: Clone + Send + Sync + 'static {
    /// Sends `datagram` to `peer` now (waiting only for room in the socket's buffer).
    fn send_to(
        &self,
        datagram: &[u8],
        peer: SocketAddr,
    ) -> impl Future<Output = io::Result<()>> + Send;

    /// A sink on the same address but another source port, for the wrong-source-port fault.
    fn with_other_port(&self) -> impl Future<Output = io::Result<Self>> + Send;

    /// The local address answers come from (for logs).
    fn local_addr(&self) -> SocketAddr;
}

/// Sends answers through a sink, honouring what the `Send` point's faults ask of each one.
pub struct Deliverer<S> {
    sink: S,
    /// An answer held back by a reorder fault, sent after the next one.
    held: Option<(Vec<u8>, SocketAddr)>,
    /// The sink for answers "from another port", made on first use.
    other_port: Option<S>,
}

impl<S: ResponseSink> Deliverer<S> {
    /// A deliverer sending through `sink`.
    pub fn new(sink: S) -> Self {
        Deliverer {
            sink,
            held: None,
            other_port: None,
        }
    }

    /// Whether an answer is held back (a reorder fault) until the next one is delivered.
    pub fn holding(&self) -> bool {
        self.held.is_some()
    }

    /// Sends `answer` to `peer` as `delivery` says; a held-back answer goes after it.
    pub async fn deliver(&mut self, answer: &[u8], peer: SocketAddr, delivery: Delivery) {
        if delivery == Delivery::default() {
            send_logged(&self.sink, answer, peer).await;
            self.release_held().await;
            return;
        }
        if delivery.reorder && self.held.is_none() {
            self.held = Some((answer.to_vec(), peer));
            return;
        }
        let sink = if delivery.wrong_source_port {
            self.other_port().await
        } else {
            self.sink.clone()
        };
        let copies = if delivery.duplicate { 2 } else { 1 };
        match delivery.delay {
            Some(delay) => {
                // Late answers must not hold up the ones behind them.
                let answer = answer.to_vec();
                tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    for _ in 0..copies {
                        send_logged(&sink, &answer, peer).await;
                    }
                });
            }
            None => {
                for _ in 0..copies {
                    send_logged(&sink, answer, peer).await;
                }
            }
        }
        self.release_held().await;
    }

    async fn release_held(&mut self) {
        if let Some((held, peer)) = self.held.take() {
            send_logged(&self.sink, &held, peer).await;
        }
    }

    async fn other_port(&mut self) -> S {
        if let Some(s) = &self.other_port {
            return s.clone();
        }
        match self.sink.with_other_port().await {
            Ok(s) => {
                self.other_port = Some(s.clone());
                s
            }
            Err(e) => {
                let addr = self.sink.local_addr();
                warn!(%addr, "cannot open a second port for a wrong-source-port fault: {e}");
                self.sink.clone()
            }
        }
    }
}

async fn send_logged<S: ResponseSink>(sink: &S, answer: &[u8], peer: SocketAddr) {
    if let Err(e) = sink.send_to(answer, peer).await {
        warn!(addr = %sink.local_addr(), %peer, "cannot send the answer: {e}");
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
    use std::sync::{Arc, Mutex};

    use super::*;

    /// A sink that records what it sent, and from which "port".
    #[derive(Clone)]
    struct Recorder {
        port: u16,
        sent: Arc<Mutex<Vec<(u16, Vec<u8>)>>>,
    }

    impl ResponseSink for Recorder {
        async fn send_to(&self, datagram: &[u8], _peer: SocketAddr) -> io::Result<()> {
            self.sent
                .lock()
                .unwrap()
                .push((self.port, datagram.to_vec()));
            Ok(())
        }
        async fn with_other_port(&self) -> io::Result<Self> {
            Ok(Recorder {
                port: self.port + 1,
                sent: self.sent.clone(),
            })
        }
        fn local_addr(&self) -> SocketAddr {
            SocketAddr::from(([127, 0, 0, 1], self.port))
        }
    }

    fn peer() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 5000))
    }

    #[tokio::test]
    async fn faults_shape_the_delivery() {
        let sent = Arc::new(Mutex::new(Vec::new()));
        let mut d = Deliverer::new(Recorder {
            port: 161,
            sent: sent.clone(),
        });
        d.deliver(b"a", peer(), Delivery::default()).await;
        d.deliver(
            b"b",
            peer(),
            Delivery {
                duplicate: true,
                ..Delivery::default()
            },
        )
        .await;
        d.deliver(
            b"c",
            peer(),
            Delivery {
                reorder: true,
                ..Delivery::default()
            },
        )
        .await;
        d.deliver(b"d", peer(), Delivery::default()).await;
        d.deliver(
            b"e",
            peer(),
            Delivery {
                wrong_source_port: true,
                ..Delivery::default()
            },
        )
        .await;
        let got: Vec<(u16, String)> = sent
            .lock()
            .unwrap()
            .iter()
            .map(|(p, b)| (*p, String::from_utf8_lossy(b).into_owned()))
            .collect();
        let want: Vec<(u16, String)> = [
            (161, "a"),
            (161, "b"),
            (161, "b"),
            (161, "d"),
            (161, "c"),
            (162, "e"),
        ]
        .iter()
        .map(|(p, s)| (*p, s.to_string()))
        .collect();
        assert_eq!(got, want);
    }

    #[tokio::test(start_paused = true)]
    async fn a_delayed_answer_does_not_hold_up_the_next() {
        let sent = Arc::new(Mutex::new(Vec::new()));
        let mut d = Deliverer::new(Recorder {
            port: 161,
            sent: sent.clone(),
        });
        let late = Delivery {
            delay: Some(Duration::from_millis(500)),
            ..Delivery::default()
        };
        d.deliver(b"late", peer(), late).await;
        d.deliver(b"now", peer(), Delivery::default()).await;
        assert_eq!(sent.lock().unwrap().len(), 1);
        tokio::time::sleep(Duration::from_millis(600)).await;
        let order: Vec<Vec<u8>> = sent
            .lock()
            .unwrap()
            .iter()
            .map(|(_, b)| b.clone())
            .collect();
        assert_eq!(order, [b"now".to_vec(), b"late".to_vec()]);
    }
}
