//! The control thread: the slow, blocking work kept off the workers. At startup it loads
//! `auth-dir` and builds the first snapshot; then it runs the token refresh loop (one thread,
//! single-flight per credential) that publishes access tokens the workers read lock-free.
//! Never names an async runtime: its HTTP is blocking, on its own thread.

pub mod auth_dir;
mod refresh;
mod token;

use std::sync::Arc;
use std::thread::JoinHandle;

use crate::auth::accounts::Accounts;
use crate::config::Config;
use crate::snapshot::{self, Shared};
use crate::upstream::tls::TlsError;

/// A running control thread; dropping it stops the thread and waits for it.
#[derive(Debug)]
pub struct Control {
    accounts: Arc<Accounts>,
    thread: Option<JoinHandle<()>>,
}

impl Control {
    /// Stops the refresh loop and waits for it (a token request in flight finishes first).
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(t) = self.thread.take() {
            self.accounts.stop();
            let _ = t.join();
        }
    }
}

impl Drop for Control {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Everything startup produces besides the server itself.
#[derive(Debug)]
pub struct Started {
    /// The first snapshot, with the credentials loaded from `auth-dir`.
    pub shared: Shared,
    /// The control thread.
    pub control: Control,
    /// Problems with credential files, one line each, ready to log.
    pub warnings: Vec<String>,
    /// Token-bearing credentials loaded.
    pub accounts: usize,
    /// Credential files skipped because of `disabled: true`.
    pub disabled: usize,
}

/// Why the control thread could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The TLS roots for token requests could not be loaded.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The thread could not be spawned.
    #[error("cannot start the control thread: {0}")]
    Thread(#[source] std::io::Error),
}

/// Loads `auth-dir`, builds the first snapshot and starts the control thread (only when some
/// credential needs tokens). Problems with credential files are warnings, never errors.
pub fn start(config: Config) -> Result<Started, StartError> {
    let loaded = auth_dir::load(&config.auth_dir);
    let count = loaded.accounts.len();
    let (accounts, requests) = Accounts::new(loaded.accounts);
    let thread = if count > 0 {
        let mut minter = token::Minter::new(&config)?;
        let loop_accounts = accounts.clone();
        let thread = std::thread::Builder::new()
            .name("cliproxy-control".into())
            .spawn(move || refresh::run(&loop_accounts, &requests, |a| minter.mint(a)))
            .map_err(StartError::Thread)?;
        Some(thread)
    } else {
        None
    };
    Ok(Started {
        shared: snapshot::shared_with(config, accounts.clone()),
        control: Control { accounts, thread },
        warnings: loaded.warnings,
        accounts: count,
        disabled: loaded.disabled,
    })
}
