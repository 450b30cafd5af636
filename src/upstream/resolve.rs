//! DNS resolution off the I/O threads. Workers keep a per-core cache; a miss is sent to a
//! small pool of resolver threads (blocking `getaddrinfo` there, never on a worker) and the
//! answer awaited on a channel. IP literals never leave the worker.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::rc::Rc;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long a resolved address list is reused.
const TTL: Duration = Duration::from_secs(60);
/// Resolver threads shared by all workers.
const THREADS: usize = 2;

struct Job {
    host: String,
    port: u16,
    reply: flume::Sender<io::Result<Vec<SocketAddr>>>,
}

fn jobs() -> &'static crossbeam_channel::Sender<Job> {
    static JOBS: OnceLock<crossbeam_channel::Sender<Job>> = OnceLock::new();
    JOBS.get_or_init(|| {
        let (tx, rx) = crossbeam_channel::unbounded::<Job>();
        for i in 0..THREADS {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("cliproxy-dns-{i}"))
                .spawn(move || {
                    for job in rx {
                        let result = (job.host.as_str(), job.port)
                            .to_socket_addrs()
                            .map(Iterator::collect);
                        // The asking request may have gone away meanwhile; that is fine.
                        let _ = job.reply.send(result);
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a DNS resolver thread");
            }
        }
        tx
    })
}

/// Resolved addresses and when they were fetched, per `(host, port)`.
type Cache = HashMap<(String, u16), (Rc<[SocketAddr]>, Instant)>;

/// A worker's resolver with its own cache.
#[derive(Default)]
pub struct Resolver {
    cache: RefCell<Cache>,
}

impl Resolver {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The addresses of `host:port`, from the cache, an IP literal, or the resolver threads.
    pub async fn resolve(&self, host: &str, port: u16) -> io::Result<Rc<[SocketAddr]>> {
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(Rc::from([SocketAddr::new(ip, port)]));
        }
        let key = (host.to_owned(), port);
        if let Some((addrs, at)) = self.cache.borrow().get(&key) {
            if at.elapsed() < TTL {
                return Ok(addrs.clone());
            }
        }
        let (tx, rx) = flume::bounded(1);
        jobs()
            .send(Job {
                host: host.to_owned(),
                port,
                reply: tx,
            })
            .map_err(|_| io::Error::other("resolver threads are gone"))?;
        let addrs = rx
            .recv_async()
            .await
            .map_err(|_| io::Error::other("resolver thread dropped the request"))??;
        if addrs.is_empty() {
            return Err(io::Error::new(io::ErrorKind::NotFound, "no addresses"));
        }
        let addrs: Rc<[SocketAddr]> = addrs.into();
        self.cache
            .borrow_mut()
            .insert(key, (addrs.clone(), Instant::now()));
        Ok(addrs)
    }
}
