//! The refresh loop the control thread runs: it mints a token for every credential at start,
//! renews each ahead of expiry (`auth::refresh::Schedule`), and answers workers that need a
//! token now. Requests are served one at a time, which makes refreshes single-flight per
//! credential: when several workers report the same stale token, the first request mints a
//! new one and the others are answered at once because a newer generation exists.

use std::time::{Duration, Instant};

use crate::auth::accounts::{Account, Accounts, RefreshError, Request};
use crate::auth::refresh::Schedule;
use crate::auth::vertex::Minted;

/// Runs until a [`Request::Stop`] arrives or every sender is gone. `mint` does the token
/// request for one credential (blocking is fine: this is the control thread).
pub fn run(
    accounts: &Accounts,
    requests: &flume::Receiver<Request>,
    mut mint: impl FnMut(&Account) -> Result<Minted, RefreshError>,
) {
    let start = Instant::now();
    let mut state: Vec<(Schedule, Option<RefreshError>)> = accounts
        .list()
        .iter()
        .map(|_| (Schedule::new(start), None))
        .collect();
    loop {
        for (account, (schedule, last)) in accounts.list().iter().zip(state.iter_mut()) {
            if schedule.is_due(Instant::now()) {
                let _ = refresh(account, schedule, last, &mut mint);
            }
        }
        let next = state.iter().map(|(s, _)| s.due()).min();
        let received = match next {
            Some(due) => requests.recv_deadline(due),
            None => requests
                .recv()
                .map_err(|_| flume::RecvTimeoutError::Disconnected),
        };
        let (index, stale, reply) = match received {
            Ok(Request::Refresh {
                account,
                stale,
                reply,
            }) => (account, stale, reply),
            Ok(Request::Stop) | Err(flume::RecvTimeoutError::Disconnected) => return,
            Err(flume::RecvTimeoutError::Timeout) => continue,
        };
        let (Some(account), Some((schedule, last))) = (accounts.get(index), state.get_mut(index))
        else {
            let _ = reply.send(Err(RefreshError::transient(format!(
                "no credential #{index}"
            ))));
            continue;
        };
        let now = Instant::now();
        let answer = if account.generation() > stale && account.token(now).is_some() {
            Ok(())
        } else if !schedule.may_try_now(now) {
            Err(last.clone().unwrap_or_else(|| {
                RefreshError::transient(format!("{}: token refresh failed recently", account.name))
            }))
        } else {
            refresh(account, schedule, last, &mut mint)
        };
        // The asker may have given up waiting; that is fine.
        let _ = reply.send(answer);
    }
}

/// Mints one token, publishes it and reschedules; on failure backs off and logs why.
fn refresh(
    account: &Account,
    schedule: &mut Schedule,
    last: &mut Option<RefreshError>,
    mint: &mut impl FnMut(&Account) -> Result<Minted, RefreshError>,
) -> Result<(), RefreshError> {
    // Measured from before the request, so the token is never thought to live longer than it does.
    let sent = Instant::now();
    match mint(account) {
        Ok(minted) => {
            let lifetime = Duration::from_secs(minted.expires_in);
            let generation = account.publish(minted.access_token, sent, lifetime);
            schedule.succeeded(sent, lifetime);
            *last = None;
            tracing::debug!(
                credential = %account.name,
                generation,
                expires_in = minted.expires_in,
                "access token refreshed"
            );
            Ok(())
        }
        Err(e) => {
            let retry = schedule.failed(Instant::now());
            tracing::warn!(
                credential = %account.name,
                failures = schedule.failures(),
                retry_in_secs = retry.as_secs(),
                "access token refresh failed: {e}"
            );
            *last = Some(e.clone());
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::accounts::tests::account;
    use crate::config::Secret;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    fn minted(n: usize) -> Result<Minted, RefreshError> {
        Ok(Minted {
            access_token: Secret::new(format!("tok-{n}")),
            expires_in: 3600,
        })
    }

    /// Runs the loop over one credential on its own thread; `mint` gets the call number.
    fn spawn(
        mint: impl Fn(usize, &Account) -> Result<Minted, RefreshError> + Send + 'static,
    ) -> (Arc<Accounts>, Arc<AtomicUsize>, std::thread::JoinHandle<()>) {
        let (accounts, rx) = Accounts::new(vec![account("a.json")]);
        let calls = Arc::new(AtomicUsize::new(0));
        let (counter, loop_accounts) = (calls.clone(), accounts.clone());
        let t = std::thread::spawn(move || {
            run(&loop_accounts, &rx, |a| {
                mint(counter.fetch_add(1, Ordering::SeqCst) + 1, a)
            })
        });
        (accounts, calls, t)
    }

    fn ask(accounts: &Accounts, stale: u64) -> Result<(), RefreshError> {
        accounts.request_refresh(0, stale).unwrap().recv().unwrap()
    }

    #[test]
    fn mints_at_start_and_refreshes_once_per_stale_generation() {
        let (accounts, calls, t) = spawn(|n, _| minted(n));
        // Token 1 is minted at start; asking with "I saw none" needs no new request.
        assert_eq!(ask(&accounts, 0), Ok(()));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        let a = accounts.get(0).unwrap();
        assert_eq!(a.token(Instant::now()).unwrap().value().expose(), "tok-1");
        // Token 1 was refused upstream: one refresh, however many workers report it.
        let answers: Vec<_> = (0..3)
            .map(|_| accounts.request_refresh(0, 1).unwrap())
            .collect();
        for answer in answers {
            assert_eq!(answer.recv().unwrap(), Ok(()));
        }
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        assert_eq!(a.generation(), 2);
        assert_eq!(a.token(Instant::now()).unwrap().value().expose(), "tok-2");
        let missing = accounts.request_refresh(7, 0).unwrap().recv().unwrap();
        assert_eq!(missing.unwrap_err().message, "no credential #7");
        accounts.stop();
        t.join().unwrap();
    }

    #[test]
    fn a_failed_refresh_is_not_retried_on_demand_right_away() {
        let (accounts, calls, t) = spawn(|_, a| {
            Err(RefreshError {
                refused: true,
                message: format!("{}: invalid_grant", a.name),
            })
        });
        let err = ask(&accounts, 0).unwrap_err();
        assert_eq!(err.message, "a.json: invalid_grant");
        assert!(err.refused);
        // The start-up try failed moments ago: the request gets that failure, no new call.
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(accounts.get(0).unwrap().token(Instant::now()).is_none());
        accounts.stop();
        t.join().unwrap();
    }
}
