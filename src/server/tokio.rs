//! The tokio shell: the fallback for macOS and Windows, also buildable on Linux. The same
//! thread-per-core shape as the monoio shell: one current-thread runtime (with a `LocalSet`,
//! so futures stay `!Send`) per core. On Linux each worker has its own `SO_REUSEPORT`
//! listener; elsewhere worker 0 accepts and hands connections round-robin to the others.

use std::future::Future;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::pin::pin;
use std::rc::Rc;
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::BytesMut;
use futures_util::future::{select, Either};
use hyper_util::rt::TokioTimer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::pipeline::Worker;
use super::{StartError, WorkerOptions};
use crate::snapshot::Shared;
use crate::upstream::stream::Io;
use crate::upstream::{tls, Runtime};

/// The tokio runtime as seen by the shared code.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tokio;

impl Runtime for Tokio {
    type Tcp = tokio::net::TcpStream;
    type Timer = TokioTimer;
    type Stream = Stream;

    async fn connect(&self, addr: SocketAddr) -> io::Result<tokio::net::TcpStream> {
        let s = tokio::net::TcpStream::connect(addr).await?;
        s.set_nodelay(true)?;
        Ok(s)
    }

    async fn connect_stream(&self, addr: SocketAddr) -> io::Result<Stream> {
        self.connect(addr).await.map(Stream)
    }

    fn into_poll(s: Stream) -> io::Result<tokio::net::TcpStream> {
        Ok(s.0)
    }

    fn spawn<F: Future<Output = ()> + 'static>(&self, fut: F) {
        tokio::task::spawn_local(fut);
    }

    async fn sleep(&self, d: Duration) {
        tokio::time::sleep(d).await;
    }

    fn timer(&self) -> TokioTimer {
        TokioTimer::new()
    }
}

/// tokio's TCP stream with owned-buffer I/O.
pub struct Stream(pub tokio::net::TcpStream);

impl Io for Stream {
    async fn read(&mut self, mut buf: BytesMut) -> (io::Result<usize>, BytesMut) {
        let r = self.0.read_buf(&mut buf).await;
        (r, buf)
    }

    async fn write_all(&mut self, buf: Vec<u8>) -> (io::Result<()>, Vec<u8>) {
        let r = self.0.write_all(&buf).await;
        (r, buf)
    }
}

type Ready = super::Ready<()>;

/// Where a worker's connections come from.
enum Source {
    /// Its own listener; `peers` are the inboxes of workers it hands connections to.
    Listener(TcpListener, Vec<flume::Sender<std::net::TcpStream>>),
    /// Connections handed over by the accepting worker.
    Inbox(flume::Receiver<std::net::TcpStream>),
}

/// Starts `workers` threads; returns once all are serving.
pub(crate) fn spawn_workers(
    listeners: Vec<TcpListener>,
    workers: usize,
    shared: Shared,
    tls: tls::Connector,
    shutdown: Arc<super::Shutdown>,
    opts: WorkerOptions,
) -> Result<(Vec<JoinHandle<()>>, &'static str), StartError> {
    let mut sources = Vec::with_capacity(workers);
    if listeners.len() >= workers {
        sources.extend(
            listeners
                .into_iter()
                .map(|l| Source::Listener(l, Vec::new())),
        );
    } else {
        let mut peers = Vec::new();
        let mut inboxes = Vec::new();
        for _ in 1..workers {
            let (tx, rx) = flume::unbounded();
            peers.push(tx);
            inboxes.push(Source::Inbox(rx));
        }
        let Some(first) = listeners.into_iter().next() else {
            return Err(StartError::Worker {
                index: 0,
                source: io::Error::other("no listener"),
            });
        };
        sources.push(Source::Listener(first, peers));
        sources.extend(inboxes);
    }
    let (ready_tx, ready_rx) = mpsc::channel();
    let n = sources.len();
    let mut threads = Vec::with_capacity(n);
    for (index, source) in sources.into_iter().enumerate() {
        let (shared, tls, shutdown, ready) = (
            shared.clone(),
            tls.clone(),
            shutdown.clone(),
            ready_tx.clone(),
        );
        let t = std::thread::Builder::new()
            .name(format!("cliproxy-worker-{index}"))
            .spawn(move || run_worker(index, source, shared, tls, shutdown, opts, ready))
            .map_err(|source| StartError::Worker { index, source })?;
        threads.push(t);
    }
    drop(ready_tx);
    super::await_workers(&ready_rx, n, &shutdown)?;
    Ok((threads, "tokio"))
}

fn run_worker(
    index: usize,
    source: Source,
    shared: Shared,
    tls: tls::Connector,
    shutdown: Arc<super::Shutdown>,
    opts: WorkerOptions,
    ready: Ready,
) {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = ready.send(Err((index, e)));
            return;
        }
    };
    let local = tokio::task::LocalSet::new();
    local.block_on(
        &rt,
        worker_main(index, source, shared, tls, shutdown, opts, ready),
    );
}

async fn worker_main(
    index: usize,
    source: Source,
    shared: Shared,
    tls: tls::Connector,
    shutdown: Arc<super::Shutdown>,
    opts: WorkerOptions,
    ready: Ready,
) {
    let w = Rc::new(Worker::new(Tokio, shared, tls, shutdown));
    match source {
        Source::Listener(listener, peers) => {
            let listener = listener
                .set_nonblocking(true)
                .and_then(|()| tokio::net::TcpListener::from_std(listener));
            let listener = match listener {
                Ok(l) => l,
                Err(e) => {
                    let _ = ready.send(Err((index, e)));
                    return;
                }
            };
            let _ = ready.send(Ok(()));
            drop(ready);
            accept_loop(&w, listener, peers).await;
        }
        Source::Inbox(rx) => {
            let _ = ready.send(Ok(()));
            drop(ready);
            loop {
                let next = pin!(rx.recv_async());
                let stop = pin!(w.shutdown.wait());
                match select(next, stop).await {
                    Either::Left((Ok(std_stream), _)) => serve_std(&w, std_stream),
                    Either::Left((Err(_), _)) | Either::Right(((), _)) => break,
                }
            }
        }
    }
    super::drain(&w, opts.grace).await;
}

async fn accept_loop(
    w: &Rc<Worker<Tokio>>,
    listener: tokio::net::TcpListener,
    peers: Vec<flume::Sender<std::net::TcpStream>>,
) {
    let mut turn = 0usize;
    loop {
        let accept = pin!(listener.accept());
        let stop = pin!(w.shutdown.wait());
        match select(accept, stop).await {
            Either::Left((Ok((stream, _peer)), _)) => {
                let _ = stream.set_nodelay(true);
                turn = turn.wrapping_add(1);
                let slot = turn % (peers.len() + 1);
                match slot.checked_sub(1).and_then(|i| peers.get(i)) {
                    None => {
                        tokio::task::spawn_local(super::serve_conn(w.clone(), Stream(stream)));
                    }
                    Some(peer) => match stream.into_std() {
                        Ok(s) => {
                            if let Err(e) = peer.send(s) {
                                serve_std(w, e.into_inner());
                            }
                        }
                        Err(e) => tracing::debug!(error = %e, "cannot hand over a connection"),
                    },
                }
            }
            Either::Left((Err(e), _)) => super::accept_backoff(&w.rt, &e).await,
            Either::Right(((), _)) => break,
        }
    }
}

fn serve_std(w: &Rc<Worker<Tokio>>, s: std::net::TcpStream) {
    let stream = s
        .set_nonblocking(true)
        .and_then(|()| tokio::net::TcpStream::from_std(s));
    match stream {
        Ok(stream) => {
            tokio::task::spawn_local(super::serve_conn(w.clone(), Stream(stream)));
        }
        Err(e) => tracing::debug!(error = %e, "cannot adopt a handed-over connection"),
    }
}
