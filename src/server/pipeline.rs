//! The request pipeline shared by both runtime shells: endpoint → auth → read body → decode →
//! plan → upstream request (with failover before the first byte) → respond, with the request
//! log written exactly once. Every error leaves in the client API's own error shape.

use std::cell::Cell;
use std::convert::Infallible;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Incoming;

use super::body::{Body, ChatRelay, RequestLog};
use super::conn::{ConnState, InFlight};
use super::Shutdown;
use crate::auth::{self, Verdict};
use crate::config::OpenAiCompatibility;
use crate::error::{Error, Kind};
use crate::protocol::{openai, Format};
use crate::provider::openai_compat;
use crate::route::{self, Endpoint, NoEndpoint, Outcome, Step};
use crate::snapshot::{Shared, Snapshot};
use crate::translate::passthrough::{self, ChatStream, ModelRewrite};
use crate::translate::payload;
use crate::upstream::proxy::{self, Proxy};
use crate::upstream::{self, Runtime, UpstreamError};

/// Everything one core needs to serve requests. Owned by that core only.
pub struct Worker<R: Runtime> {
    /// The runtime handle.
    pub rt: R,
    /// The shared configuration snapshot.
    pub shared: Shared,
    /// This core's upstream client and pool.
    pub client: upstream::Client<R>,
    /// This core's round-robin cursors, one per model.
    pub cursors: route::Cursors,
    /// Process-wide shutdown signal.
    pub shutdown: Arc<Shutdown>,
    /// Connections currently open on this core.
    pub open_conns: Cell<usize>,
}

impl<R: Runtime> Worker<R> {
    /// A worker with its own upstream client.
    pub fn new(
        rt: R,
        shared: Shared,
        tls: upstream::tls::Connector,
        shutdown: Arc<Shutdown>,
    ) -> Self {
        let settings = upstream::Settings::from_config(&shared.load().config.upstream);
        Worker {
            client: upstream::Client::new(rt.clone(), tls, settings),
            rt,
            shared,
            cursors: route::Cursors::new(),
            shutdown,
            open_conns: Cell::new(0),
        }
    }
}

/// Serves one request. Infallible: every failure becomes a response.
pub async fn handle<R: Runtime>(
    w: Rc<Worker<R>>,
    conn: Rc<ConnState>,
    req: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let guard = InFlight::new(conn);
    let snap = w.shared.load_full();
    let mut log = RequestLog::new(req.method().clone(), req.uri().path());
    let mut resp = match dispatch(&w, &snap, req, &mut log).await {
        Ok(r) => r,
        Err((fmt, e)) => {
            log.error = Some(e.label());
            error_response(fmt, &e)
        }
    };
    if log.status == 0 {
        log.status = resp.status().as_u16();
    }
    add_cors(resp.headers_mut());
    resp.body_mut().attach(guard);
    Ok(resp)
}

type Failure = (Format, Error);

async fn dispatch<R: Runtime>(
    w: &Worker<R>,
    snap: &Arc<Snapshot>,
    req: Request<Incoming>,
    log: &mut RequestLog,
) -> Result<Response<Body>, Failure> {
    let path = req.uri().path();
    let fmt = Format::for_path(path);
    let ep = match route::endpoint(req.method(), path) {
        Ok(ep) => ep,
        Err(NoEndpoint::Path) => {
            let msg = format!("no route for {} {}", req.method(), path);
            return Err((fmt, Error::new(Kind::RouteNotFound, msg)));
        }
        Err(NoEndpoint::Method) => {
            let msg = format!("{} is not allowed on {}", req.method(), path);
            return Err((fmt, Error::new(Kind::MethodNotAllowed, msg)));
        }
    };
    let fmt = route::format_of(ep, path);
    if ep.needs_auth() {
        let presented = auth::presented_key(req.headers(), req.uri().query());
        match snap.keys.check(presented) {
            Verdict::Open | Verdict::Allowed => {}
            Verdict::Missing => {
                return Err((fmt, Error::new(Kind::Unauthorized, "missing API key")));
            }
            Verdict::Invalid => {
                return Err((fmt, Error::new(Kind::Unauthorized, "invalid API key")));
            }
        }
    }
    match ep {
        Endpoint::Health => Ok(json(
            StatusCode::OK,
            Bytes::from_static(br#"{"status":"ok"}"#),
        )),
        Endpoint::Root => Ok(json(StatusCode::OK, root_body())),
        Endpoint::Preflight => Ok(Response::builder()
            .status(StatusCode::NO_CONTENT)
            .body(Body::empty())
            .unwrap_or_else(|_| Response::new(Body::empty()))),
        Endpoint::Models => Ok(json(StatusCode::OK, models_body(snap))),
        Endpoint::ChatCompletions => chat(w, snap, req, log).await.map_err(|e| (fmt, e)),
    }
}

async fn chat<R: Runtime>(
    w: &Worker<R>,
    snap: &Arc<Snapshot>,
    req: Request<Incoming>,
    log: &mut RequestLog,
) -> Result<Response<Body>, Error> {
    let body = read_body(w, snap, req).await?;
    let chat = passthrough::inspect_chat(&body)?;
    log.model = Some(chat.model.to_string());
    let table = &snap.routes;
    let route = table.resolve(&chat.model).ok_or_else(|| {
        Error::new(
            Kind::ModelNotFound,
            format!(
                "model `{}` is not served by any configured upstream",
                chat.model
            ),
        )
    })?;
    let policy = route::Policy::from_config(&snap.config);
    let session = policy
        .affinity
        .and_then(|_| route::chat_session(&chat.model, &body));
    let cursor = w.cursors.advance(route);
    let mut failover = route::Failover::new(table, route, policy, cursor, session);
    let limit = response_limit(snap);
    let mut last: Option<Failed> = None;

    // Failover happens only here, before anything is written to the client.
    loop {
        let slot_id = match failover.next(Instant::now()) {
            Step::Try(slot) => slot,
            Step::Wait(d) => {
                w.rt.sleep(d).await;
                continue;
            }
            Step::Exhausted(ex) => return exhausted(&chat.model, ex, last, log),
        };
        let Some(slot) = table.slot(slot_id) else {
            return Err(Error::new(Kind::Internal, "routing table out of date"));
        };
        let entry = snap
            .config
            .openai_compatibility
            .get(slot.entry)
            .ok_or_else(|| Error::new(Kind::Internal, "routing table out of date"))?;
        let key = slot
            .key
            .and_then(|k| entry.api_key_entries.get(k))
            .map(|e| &e.api_key);
        log.upstream = Some(entry.name.clone());
        let up_body = chat.upstream_body(&slot.upstream_model);
        let up_body = payload::apply(
            &snap.payload,
            "openai",
            &slot.upstream_model,
            &chat.model,
            &body,
            &up_body,
        )?
        .map_or(up_body, Bytes::from);
        let built = proxy_for(snap, entry, slot.key).and_then(|proxy| {
            openai_compat::build_request(entry, key, up_body, chat.stream).map(|r| (r, proxy))
        });
        let (up_req, proxy) = match built {
            Ok(r) => r,
            Err(e) => {
                // A key or header the upstream can never accept: rest this slot like a refusal.
                let refused = Outcome::FailOver {
                    reason: route::Reason::Unauthorized,
                    penalty: route::Penalty::For(route::classify::AUTH_COOLDOWN),
                };
                failover.failed(slot_id, &refused, Instant::now(), SystemTime::now());
                last = Some(Failed::Gateway(e));
                continue;
            }
        };
        let mut resp = match w.client.send(up_req, proxy.as_ref()).await {
            Ok(r) => r,
            Err(e) => {
                failover.failed(
                    slot_id,
                    &Outcome::transport(),
                    Instant::now(),
                    SystemTime::now(),
                );
                last = Some(Failed::Gateway(upstream_error(e)));
                continue;
            }
        };

        if !resp.head.status.is_success() {
            let status = resp.head.status;
            let headers = std::mem::take(&mut resp.head.headers);
            let body = match resp.collect(limit).await {
                Ok(b) => b,
                Err(e) => {
                    failover.failed(
                        slot_id,
                        &Outcome::transport(),
                        Instant::now(),
                        SystemTime::now(),
                    );
                    last = Some(Failed::Gateway(upstream_error(e)));
                    continue;
                }
            };
            let outcome = openai_compat::classify(status, &headers, &body);
            let failed = Failed::Upstream {
                status,
                headers,
                body,
            };
            if outcome == Outcome::Reject {
                // The request itself is wrong: another credential would fail the same way.
                return Ok(failed.into_response(None, log));
            }
            let cooled = failover.failed(slot_id, &outcome, Instant::now(), SystemTime::now());
            tracing::debug!(
                credential = %slot.label,
                model = %slot.upstream_model,
                status = status.as_u16(),
                cooldown_secs = cooled.map_or(0, |d| d.as_secs()),
                "upstream failed; failing over"
            );
            last = Some(failed);
            continue;
        }

        let rewrite = ModelRewrite::new(&chat.model, &slot.upstream_model);
        if chat.stream && is_event_stream(&resp.head.headers) {
            failover.succeeded(slot_id, Instant::now());
            let mut relay_log = log.hand_off();
            relay_log.status = 200;
            let relay = ChatRelay::new(resp, ChatStream::new(rewrite, chat.wants_usage), relay_log);
            let mut out = Response::new(Body::chat(relay));
            let h = out.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/event-stream"),
            );
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            h.insert("x-accel-buffering", HeaderValue::from_static("no"));
            return Ok(out);
        }

        let body = match resp.collect(limit).await {
            Ok(b) => b,
            Err(e) => {
                // Nothing has reached the client yet, so another credential may still answer.
                failover.failed(
                    slot_id,
                    &Outcome::transport(),
                    Instant::now(),
                    SystemTime::now(),
                );
                last = Some(Failed::Gateway(upstream_error(e)));
                continue;
            }
        };
        failover.succeeded(slot_id, Instant::now());
        let (body, usage) = passthrough::patch_chat_response(body, &rewrite);
        log.tokens = usage;
        return Ok(json(StatusCode::OK, body));
    }
}

/// The last failure of a request whose candidates are all used up.
enum Failed {
    /// The upstream answered with an error status.
    Upstream {
        status: StatusCode,
        headers: http::HeaderMap,
        body: Bytes,
    },
    /// The gateway could not get an answer (connect error, timeout, bad entry).
    Gateway(Error),
}

impl Failed {
    /// The upstream's own error status and body, passed through untouched (with its
    /// `Content-Type`, and its `Retry-After` or else `retry_after` seconds when given).
    fn into_response(self, retry_after: Option<u64>, log: &mut RequestLog) -> Response<Body> {
        let (status, headers, body) = match self {
            Failed::Upstream {
                status,
                headers,
                body,
            } => (status, headers, body),
            Failed::Gateway(e) => return error_response(Format::OpenAiChat, &e),
        };
        log.error = Some("upstream_status");
        let mut out = Response::new(Body::full(body));
        *out.status_mut() = status;
        let h = out.headers_mut();
        for name in [header::CONTENT_TYPE, header::RETRY_AFTER] {
            if let Some(v) = headers.get(&name) {
                h.insert(name, v.clone());
            }
        }
        if let Some(secs) = retry_after.filter(|_| !h.contains_key(header::RETRY_AFTER)) {
            h.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        out
    }
}

/// The answer once failover gave up. When nothing could even be tried because every
/// credential is cooling: "all credentials are cooling down" (429 with `Retry-After`, naming
/// the model and the reset). Otherwise the last failure itself, as CLIProxyAPI does; a
/// rate-limited upstream answer gets a `Retry-After` if it had none.
fn exhausted(
    model: &str,
    ex: route::Exhausted,
    last: Option<Failed>,
    log: &mut RequestLog,
) -> Result<Response<Body>, Error> {
    let reset_secs = ex
        .all_cooling
        .map(|d| d.as_secs().saturating_add(u64::from(d.subsec_nanos() > 0)));
    match last {
        None => match ex.all_cooling {
            Some(reset) => Err(Error::cooldown(model, reset, SystemTime::now())),
            None => Err(Error::new(
                Kind::Internal,
                format!("no upstream credential is available for model {model}"),
            )),
        },
        Some(Failed::Gateway(e)) => Err(e),
        Some(failed) => Ok(failed.into_response(reset_secs, log)),
    }
}

/// Reads the request body under `limits.max-body-bytes` and `limits.body-read-timeout-seconds`.
async fn read_body<R: Runtime>(
    w: &Worker<R>,
    snap: &Snapshot,
    req: Request<Incoming>,
) -> Result<Bytes, Error> {
    let limits = &snap.config.limits;
    let max = limits.max_body_bytes;
    let too_large = || {
        Error::new(
            Kind::PayloadTooLarge,
            format!("request body exceeds the {max}-byte limit (limits.max-body-bytes)"),
        )
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(too_large());
    }
    let secs = limits.body_read_timeout_seconds;
    let collect = Limited::new(req.into_body(), max).collect();
    match upstream::timeout(&w.rt, limits.body_read_timeout(), collect).await {
        None => Err(Error::new(
            Kind::RequestTimeout,
            format!("request body not received within {secs}s"),
        )),
        Some(Err(e)) if e.is::<LengthLimitError>() => Err(too_large()),
        Some(Err(e)) => Err(Error::new(
            Kind::InvalidRequest,
            format!("could not read the request body: {e}"),
        )),
        Some(Ok(c)) => Ok(c.to_bytes()),
    }
}

/// The proxy for a request to `entry` with key `key` (REFERENCE §9.2): the key's own
/// `proxy-url`, else the global one; `direct`/`none` on the key bypasses the global proxy.
fn proxy_for(
    snap: &Snapshot,
    entry: &OpenAiCompatibility,
    key: Option<usize>,
) -> Result<Option<Proxy>, Error> {
    let own = key
        .and_then(|k| entry.api_key_entries.get(k))
        .map_or("", |e| e.proxy_url.as_str());
    proxy::choose(own, &snap.config.proxy_url).map_err(|e| {
        // Config validation should have caught it; the message names no credentials.
        Error::new(Kind::Internal, format!("`{}` proxy-url: {e}", entry.name))
    })
}

fn response_limit(snap: &Snapshot) -> usize {
    snap.config
        .limits
        .max_body_bytes
        .saturating_mul(4)
        .max(64 << 20)
}

fn upstream_error(e: UpstreamError) -> Error {
    let kind = if e.is_timeout() {
        Kind::UpstreamTimeout
    } else if matches!(e, UpstreamError::BodyTooLarge { .. }) {
        Kind::UpstreamProtocol
    } else {
        Kind::UpstreamUnavailable
    };
    Error::new(kind, e.to_string())
}

fn is_event_stream(h: &http::HeaderMap) -> bool {
    h.get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("text/event-stream"))
}

fn json(status: StatusCode, body: Bytes) -> Response<Body> {
    let mut r = Response::new(Body::full(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

fn error_response(fmt: Format, e: &Error) -> Response<Body> {
    let mut r = json(e.status(), fmt.error_body(e));
    if let Some(secs) = e.retry_after() {
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    if e.kind == Kind::MethodNotAllowed {
        r.headers_mut().insert(
            header::ALLOW,
            HeaderValue::from_static("GET, POST, OPTIONS"),
        );
    }
    r
}

fn add_cors(h: &mut http::HeaderMap) {
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, PUT, PATCH, DELETE, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("*"),
    );
}

fn root_body() -> Bytes {
    let endpoints: Vec<String> = route::PATHS
        .iter()
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    let v = serde_json::json!({
        "message": "cliproxy API gateway",
        "version": env!("CARGO_PKG_VERSION"),
        "endpoints": endpoints,
    });
    Bytes::from(v.to_string())
}

fn models_body(snap: &Snapshot) -> Bytes {
    let list = openai::ModelList {
        object: "list",
        data: snap
            .routes
            .listed()
            .iter()
            .map(|l| openai::Model {
                id: &l.id,
                object: "model",
                created: snap.created,
                owned_by: &l.owned_by,
            })
            .collect(),
    };
    serde_json::to_vec(&list)
        .map(Bytes::from)
        .unwrap_or_default()
}
