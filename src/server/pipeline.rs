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

use super::body::{Body, ChatRelay, RawRelay, RequestLog, TranslateRelay};
use super::conn::{ConnState, InFlight};
use super::models;
use super::Shutdown;
use crate::auth::accounts::Token;
use crate::auth::{self, Verdict};
use crate::config::OpenAiCompatibility;
use crate::error::{Error, Kind};
use crate::ir;
use crate::protocol::{json, Format};
use crate::provider;
use crate::provider::openai_compat;
use crate::route::{self, Endpoint, NoEndpoint, Outcome, Provider, Step};
use crate::snapshot::{Shared, Snapshot};
use crate::translate::passthrough::{self, ChatStream, ModelRewrite};
use crate::translate::responses::ToolNames;
use crate::translate::{self, count, payload, ClientApi, Lane, Reply};
use crate::upstream::proxy::{self, Proxy};
use crate::upstream::{self, Outgoing, Runtime, UpstreamError};
use token::{account_token, refresh_token, token_error};

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

/// A request body: hyper's stream (connections served by hyper), or the whole body the
/// hand-written HTTP/1.1 loop has already read.
#[derive(Debug)]
pub enum ReqBody {
    /// Streamed by hyper; read (within the limits) by the pipeline.
    Hyper(Incoming),
    /// Already complete.
    Full(Bytes),
}

/// Serves one request. Infallible: every failure becomes a response.
pub async fn handle<R: Runtime>(
    w: Rc<Worker<R>>,
    conn: Rc<ConnState>,
    req: Request<ReqBody>,
) -> Result<Response<Body>, Infallible> {
    let guard = InFlight::new(conn);
    let snap = w.shared.load_full();
    let mut log = RequestLog::new(req.method().clone(), req.uri().path());
    let resp = match dispatch(&w, &snap, req, &mut log).await {
        Ok(r) => r,
        Err((fmt, e)) => {
            log.error = Some(e.label());
            error_response(fmt, &e)
        }
    };
    let mut resp = finish(resp, &mut log);
    resp.body_mut().attach(guard);
    Ok(resp)
}

/// What every answer gets last: its status in the log line (unless a relay set it) and the
/// CORS headers.
fn finish(mut resp: Response<Body>, log: &mut RequestLog) -> Response<Body> {
    if log.status == 0 {
        log.status = resp.status().as_u16();
    }
    add_cors(resp.headers_mut());
    resp
}

/// The API error shape of a request to `path`: its endpoint's, or the path's family when no
/// endpoint serves it.
fn error_format(found: Result<Endpoint, NoEndpoint>, path: &str) -> Format {
    match found {
        Ok(ep) => route::format_of(ep, path),
        Err(_) => Format::for_path(path),
    }
}

mod token;

type Failure = (Format, Error);

async fn dispatch<R: Runtime>(
    w: &Worker<R>,
    snap: &Arc<Snapshot>,
    req: Request<ReqBody>,
    log: &mut RequestLog,
) -> Result<Response<Body>, Failure> {
    let path = req.uri().path();
    let found = route::endpoint(req.method(), path);
    let fmt = error_format(found, path);
    let ep = match found {
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
    let gemini = |req: &Request<ReqBody>| ClientApi::Gemini {
        json_array: !req
            .uri()
            .query()
            .is_some_and(|q| q.split('&').any(|p| p == "alt=sse" || p == "$alt=sse")),
    };
    let out = match ep {
        Endpoint::Health => Ok(json(
            StatusCode::OK,
            Bytes::from_static(br#"{"status":"ok"}"#),
        )),
        Endpoint::Root => Ok(json(StatusCode::OK, root_body())),
        Endpoint::Preflight => Ok(Response::builder()
            .status(StatusCode::NO_CONTENT)
            .body(Body::empty())
            .unwrap_or_else(|_| Response::new(Body::empty()))),
        Endpoint::Models => Ok(json(StatusCode::OK, models::list(snap, req.headers()))),
        Endpoint::GeminiModels => Ok(json(StatusCode::OK, models::gemini_list(snap))),
        Endpoint::GeminiModel => {
            let name = route::gemini_path(req.uri().path()).map_or("", |(m, _)| m);
            models::gemini_one(snap, name).map(|b| json(StatusCode::OK, b))
        }
        Endpoint::ChatCompletions => generate(w, snap, req, log, ClientApi::Chat, false).await,
        Endpoint::Completions => generate(w, snap, req, log, ClientApi::Completions, false).await,
        Endpoint::Responses => generate(w, snap, req, log, ClientApi::Responses, false).await,
        Endpoint::Messages => generate(w, snap, req, log, ClientApi::Messages, false).await,
        Endpoint::CountTokens => generate(w, snap, req, log, ClientApi::Messages, true).await,
        Endpoint::GeminiGenerate | Endpoint::GeminiStream => {
            let client = gemini(&req);
            generate(w, snap, req, log, client, false).await
        }
        Endpoint::GeminiCountTokens => {
            let client = gemini(&req);
            generate(w, snap, req, log, client, true).await
        }
    };
    out.map_err(|e| (fmt, e))
}

/// What the client asked, read once before the first attempt.
struct Ask<'a> {
    client: ClientApi,
    /// A `count_tokens` / `countTokens` request.
    count: bool,
    /// The model the client named (alias, possibly prefixed).
    model: String,
    /// The model named in a Gemini URL (empty for other clients).
    path_model: String,
    stream: bool,
    wants_usage: bool,
    body: &'a Bytes,
    chat: Option<passthrough::ChatRequest<'a>>,
    beta: Option<HeaderValue>,
    user_agent: Option<HeaderValue>,
    /// The model name routing uses: `model` without a thinking suffix.
    route_model: String,
    /// Reasoning from a `model(…)` suffix; it overrides the body, so such requests always
    /// take the IR lane.
    reasoning: Option<ir::Reasoning>,
}

impl Ask<'_> {
    /// How a translated answer to this request is stamped.
    fn reply<'a>(&'a self, id: &'a str, created: u64) -> Reply<'a> {
        Reply {
            client: self.client,
            model: &self.model,
            id,
            created,
            stream: self.stream,
            wants_usage: self.wants_usage,
            tool_names: None,
        }
    }
}

/// How one attempt's request is built and its answer read: the translation layer's lane,
/// except that a thinking suffix on the model name always takes the IR.
fn lane(ask: &Ask<'_>, provider: Provider) -> Lane {
    if ask.reasoning.is_some() && !ask.count {
        return Lane::Translated;
    }
    translate::lane(ask.client, provider.format(), ask.stream, ask.count)
}

/// Serves every generation endpoint: chat, completions, responses, messages, Gemini
/// generate/stream, and both token-count endpoints. One failover loop; per attempt the lane
/// depends on the client API and the chosen credential's family.
async fn generate<R: Runtime>(
    w: &Worker<R>,
    snap: &Arc<Snapshot>,
    req: Request<ReqBody>,
    log: &mut RequestLog,
    client: ClientApi,
    count: bool,
) -> Result<Response<Body>, Error> {
    // Shared, not copied: the URI and header values point into the request head's bytes.
    let uri = req.uri().clone();
    let path = uri.path();
    const ANTHROPIC_BETA: header::HeaderName = header::HeaderName::from_static("anthropic-beta");
    let beta = req.headers().get(ANTHROPIC_BETA).cloned();
    let user_agent = req.headers().get(header::USER_AGENT).cloned();
    let gemini_stream = path.ends_with(":streamGenerateContent");
    let body = read_body(w, snap, req).await?;
    let mut ask = Ask {
        client,
        count,
        model: String::new(),
        path_model: String::new(),
        stream: false,
        wants_usage: false,
        body: &body,
        chat: None,
        beta,
        user_agent,
        route_model: String::new(),
        reasoning: None,
    };
    match client {
        ClientApi::Gemini { .. } => {
            let Some((model, _)) = route::gemini_path(path) else {
                return Err(Error::new(Kind::InvalidRequest, "no model in the URL"));
            };
            ask.model = model.to_owned();
            ask.path_model = model.to_owned();
            ask.stream = gemini_stream;
        }
        ClientApi::Chat if !count => {
            let chat = passthrough::inspect_chat(&body)?;
            ask.model = String::from(&*chat.model);
            ask.stream = chat.stream;
            ask.wants_usage = chat.wants_usage;
            ask.chat = Some(chat);
        }
        _ => {
            let fields = json::top_level(&body, &["model", "stream", "stream_options"])
                .map_err(|e| Error::new(Kind::InvalidRequest, e.to_string()))?;
            ask.model = fields
                .str(0)
                .filter(|m| !m.is_empty())
                .ok_or_else(|| {
                    Error::new(Kind::InvalidRequest, "the request needs a `model` field")
                })?
                .into_owned();
            ask.stream = !count && fields.bool(1).unwrap_or(false);
            ask.wants_usage = passthrough::wants_usage(fields.raw(2));
        }
    }
    log.model = Some(ask.model.clone());
    let (base, reasoning) = translate::split_thinking_suffix(&ask.model);
    ask.route_model = base.to_owned();
    ask.reasoning = reasoning;
    let table = &snap.routes;
    let found = match table.resolve(&ask.route_model) {
        None if ask.route_model == route::AUTO => table.auto(Instant::now()).inspect(|r| {
            // The client hears which model answered, with its thinking suffix kept.
            let suffix = ask.model.get(ask.route_model.len()..).unwrap_or_default();
            ask.model = format!("{}{suffix}", r.model());
            if !ask.path_model.is_empty() {
                ask.path_model = r.model().to_owned();
            }
            ask.route_model = r.model().to_owned();
            log.model = Some(ask.model.clone());
        }),
        found => found,
    };
    let route = found.ok_or_else(|| {
        Error::new(
            Kind::ModelNotFound,
            format!(
                "model `{}` is not served by any configured upstream",
                ask.model
            ),
        )
    })?;
    let policy = route::Policy::from_config(&snap.config);
    let session = policy
        .affinity
        .and_then(|_| route::chat_session(&ask.model, &body));
    let cursor = w.cursors.advance(route);
    let mut failover = route::Failover::new(table, route, policy, cursor, session);
    let limit = response_limit(snap);
    let mut last: Option<Failed> = None;
    let mut ir_req: Option<ir::Request> = None;
    let client_fmt = client.format();
    // A service account whose token was refused is retried once with a new token.
    let mut retry_same: Option<route::SlotId> = None;
    let mut refreshed = false;

    // Failover happens only here, before anything is written to the client.
    loop {
        let step = match retry_same.take() {
            Some(slot) => Step::Try(slot),
            None => failover.next(Instant::now()),
        };
        let slot_id = match step {
            Step::Try(slot) => slot,
            Step::Wait(d) => {
                w.rt.sleep(d).await;
                continue;
            }
            Step::Exhausted(ex) => return exhausted(&ask.model, client_fmt, ex, last, log),
        };
        let Some(slot) = table.slot(slot_id) else {
            return Err(Error::new(Kind::Internal, "routing table out of date"));
        };
        let lane = lane(&ask, slot.provider);
        if lane == Lane::Translated && ir_req.is_none() {
            let decoded = if count {
                translate::decode_count_request(client, &body, &ask.path_model)
            } else {
                translate::decode_request(client, &body, &ask.path_model)
            };
            let mut decoded = decoded?;
            if let Some(r) = &ask.reasoning {
                decoded.reasoning = Some(r.clone());
            }
            ir_req = Some(decoded);
        }
        if lane == Lane::Translated && count {
            // No upstream of another family can count for this client: count locally.
            let n = ir_req
                .as_ref()
                .map_or(0, |r| count::count_input_tokens(r, &slot.upstream_model));
            return Ok(json(
                StatusCode::OK,
                Bytes::from(translate::encode_count_response(client, n)),
            ));
        }
        log.upstream = Some(slot.label.clone());
        let token = if slot.provider == Provider::VertexAccount {
            match account_token(w, snap, slot.entry).await {
                Ok(t) => Some(t),
                Err(e) => {
                    let refused = Outcome::FailOver {
                        reason: route::Reason::Unauthorized,
                        penalty: route::Penalty::For(route::classify::AUTH_COOLDOWN),
                    };
                    let outcome = if e.refused {
                        refused
                    } else {
                        Outcome::transport()
                    };
                    failover.failed(slot_id, &outcome, Instant::now(), SystemTime::now());
                    last = Some(Failed::Gateway(token_error(&slot.label)));
                    continue;
                }
            }
        } else {
            None
        };
        let built = upstream_request(snap, slot, &ask, lane, ir_req.as_ref(), token.as_deref());
        let (up_req, proxy) = match built {
            Ok(r) => r,
            Err(e) if e.kind == Kind::InvalidRequest => return Err(e),
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
                last = Some(transport_failure(&mut failover, slot_id, upstream_error(e)));
                continue;
            }
        };

        if !resp.head.status.is_success() {
            let status = resp.head.status;
            let headers = resp.head.headers();
            let body = match resp.collect(limit).await {
                Ok(b) => b,
                Err(e) => {
                    last = Some(transport_failure(&mut failover, slot_id, upstream_error(e)));
                    continue;
                }
            };
            let outcome = match slot.provider {
                Provider::Vertex | Provider::VertexAccount => provider::vertex::classify(
                    status,
                    &headers,
                    &body,
                    slot.provider == Provider::VertexAccount,
                ),
                _ => openai_compat::classify(status, &headers, &body),
            };
            if let (Outcome::Refresh, Some(t), false) = (outcome, &token, refreshed) {
                // The token was refused: one new token, then the same credential once more.
                refreshed = true;
                let renewed = refresh_token(w, snap, slot.entry, t.generation()).await;
                tracing::debug!(
                    credential = %slot.label,
                    renewed = renewed.is_ok(),
                    "upstream refused the access token; refreshing"
                );
                if renewed.is_ok() {
                    retry_same = Some(slot_id);
                    continue;
                }
            }
            let failed = Failed::Upstream {
                status,
                headers,
                body,
                client: client_fmt,
                upstream: slot.provider.format(),
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

        let content_type = resp.head.get(&header::CONTENT_TYPE);
        let event_stream = is_event_stream(&content_type);
        // Hold the response head until the upstream's first byte: a stream that dies before
        // it fails over like any other failure, and the client never sees a broken stream.
        let mut first = None;
        if ask.stream && event_stream {
            match std::future::poll_fn(|cx| resp.poll_chunk(cx)).await {
                Some(Ok(chunk)) => first = Some(chunk),
                Some(Err(e)) => {
                    last = Some(transport_failure(&mut failover, slot_id, upstream_error(e)));
                    continue;
                }
                None => {
                    let e = Error::new(
                        Kind::UpstreamProtocol,
                        "the upstream ended its stream before sending anything",
                    );
                    last = Some(transport_failure(&mut failover, slot_id, e));
                    continue;
                }
            }
        }
        let first = first.unwrap_or_default();
        match lane {
            Lane::ChatPassthrough if ask.stream && event_stream => {
                failover.succeeded(slot_id, Instant::now());
                let rewrite = ModelRewrite::new(&ask.model, &slot.upstream_model);
                let mut relay_log = log.hand_off();
                relay_log.status = 200;
                let relay =
                    ChatRelay::new(resp, ChatStream::new(rewrite, ask.wants_usage), relay_log)
                        .with_first(first);
                return Ok(sse_response(Body::chat(relay)));
            }
            Lane::Passthrough if ask.stream && event_stream => {
                failover.succeeded(slot_id, Instant::now());
                let mut relay_log = log.hand_off();
                relay_log.status = 200;
                let patch = passthrough::RawStream::new(
                    slot.provider.format(),
                    &ask.model,
                    &slot.upstream_model,
                );
                return Ok(sse_response(Body::raw(
                    RawRelay::new(resp, patch, relay_log).with_first(first),
                )));
            }
            Lane::Translated if ask.stream && event_stream => {
                failover.succeeded(slot_id, Instant::now());
                let (id, created) = response_id(client);
                let names = codex_tool_names(slot.provider, ir_req.as_ref());
                let reply = ask.reply(&id, created).with_tool_names(&names);
                let transcoder = translate::Transcoder::new(slot.provider.format(), &reply);
                let mut relay_log = log.hand_off();
                relay_log.status = 200;
                let relay = TranslateRelay::new(resp, transcoder, relay_log).with_first(first);
                let mut out = sse_response(Body::translate(relay));
                if matches!(client, ClientApi::Gemini { json_array: true }) {
                    out.headers_mut().insert(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/json"),
                    );
                }
                return Ok(out);
            }
            _ => {}
        }

        let body = match resp.collect(limit).await {
            Ok(b) => b,
            Err(e) => {
                // Nothing has reached the client yet, so another credential may still answer.
                last = Some(transport_failure(&mut failover, slot_id, upstream_error(e)));
                continue;
            }
        };
        let out = match lane {
            Lane::ChatPassthrough => {
                let rewrite = ModelRewrite::new(&ask.model, &slot.upstream_model);
                let (body, usage) = passthrough::patch_chat_response(body, &rewrite);
                log.tokens = usage;
                json(StatusCode::OK, body)
            }
            Lane::Passthrough => {
                let body = passthrough::response_body(
                    slot.provider.format(),
                    body,
                    &ask.model,
                    &slot.upstream_model,
                );
                let mut r = Response::new(Body::full(body));
                if let Some(ct) = content_type {
                    r.headers_mut().insert(header::CONTENT_TYPE, ct);
                }
                r
            }
            Lane::Translated => {
                let (id, created) = response_id(client);
                let names = codex_tool_names(slot.provider, ir_req.as_ref());
                let reply = ask.reply(&id, created).with_tool_names(&names);
                let translated = translate::translate_response(
                    slot.provider.format(),
                    &body,
                    event_stream,
                    &reply,
                );
                let (out, usage) = match translated {
                    Ok(r) => r,
                    Err(e) => {
                        last = Some(transport_failure(&mut failover, slot_id, e));
                        continue;
                    }
                };
                log.tokens = Some(crate::usage::Tokens::from(&usage));
                if ask.stream {
                    // The upstream answered in one piece; it was replayed as a stream.
                    sse_response(Body::full(out))
                } else {
                    json(StatusCode::OK, Bytes::from(out))
                }
            }
        };
        failover.succeeded(slot_id, Instant::now());
        return Ok(out);
    }
}

/// Records that `slot` could not give an answer (connect error, timeout, broken or
/// unreadable body) so failover cools it down, and keeps `e` as the last failure.
fn transport_failure(failover: &mut route::Failover<'_>, slot: route::SlotId, e: Error) -> Failed {
    failover.failed(
        slot,
        &Outcome::transport(),
        Instant::now(),
        SystemTime::now(),
    );
    Failed::Gateway(e)
}

/// The tool names shortened in the request sent to Codex, to map back in its answer (empty
/// for every other upstream).
fn codex_tool_names(provider: Provider, ir_req: Option<&ir::Request>) -> ToolNames {
    match (provider, ir_req) {
        (Provider::Codex, Some(req)) => ToolNames::for_request(req),
        _ => ToolNames::default(),
    }
}

/// The payload-rule protocol name CLIProxyAPI uses for each family.
fn protocol_name(p: Provider) -> &'static str {
    match p {
        Provider::OpenAiCompat => "openai",
        Provider::Claude => "claude",
        Provider::Gemini | Provider::Vertex | Provider::VertexAccount => "gemini",
        Provider::Codex => "codex",
    }
}

/// The Gemini action an attempt asks for.
fn gemini_action(count: bool, stream: bool) -> provider::gemini::Action {
    if count {
        provider::gemini::Action::CountTokens
    } else if stream {
        provider::gemini::Action::Stream
    } else {
        provider::gemini::Action::Generate
    }
}

/// Builds the upstream request for one attempt: the body for the lane, payload rules, the
/// provider's URL/headers/auth (with `token` for a service account), and the proxy.
fn upstream_request(
    snap: &Snapshot,
    slot: &route::Slot,
    ask: &Ask<'_>,
    lane: Lane,
    ir_req: Option<&ir::Request>,
    token: Option<&Token>,
) -> Result<(Outgoing, Option<Proxy>), Error> {
    let cfg = &snap.config;
    let missing = || Error::new(Kind::Internal, "routing table out of date");
    let upstream_model = slot.upstream_model.as_str();
    let body: Bytes = match lane {
        Lane::ChatPassthrough => ask
            .chat
            .as_ref()
            .map(|c| c.upstream_body(upstream_model))
            .ok_or_else(missing)?,
        Lane::Passthrough => match slot.provider {
            // Vertex's countTokens takes only contents and systemInstruction.
            Provider::Vertex | Provider::VertexAccount if ask.count => {
                provider::vertex::count_tokens_body(ask.body)?
            }
            _ => passthrough::request_body(slot.provider.format(), ask.body, upstream_model)?,
        },
        Lane::Translated => Bytes::from(translate::encode_upstream_request(
            ir_req.ok_or_else(missing)?,
            slot.provider.format(),
            upstream_model,
            ask.stream,
            text(&ask.beta),
        )?),
    };
    let original: &[u8] = if lane == Lane::Translated {
        &body
    } else {
        ask.body
    };
    let body = payload::apply(
        &snap.payload,
        protocol_name(slot.provider),
        upstream_model,
        &ask.model,
        original,
        &body,
    )?
    .map_or(body, Bytes::from);
    let upstream_stream = translate::upstream_streams(slot.provider.format(), ask.stream);
    let global = cfg.proxy_url.as_str();
    let choose = |own: &str, who: &str| {
        proxy::choose(own, global)
            .map_err(|e| Error::new(Kind::Internal, format!("{who} proxy-url: {e}")))
    };
    match slot.provider {
        Provider::OpenAiCompat => {
            let entry = cfg
                .openai_compatibility
                .get(slot.entry)
                .ok_or_else(missing)?;
            let prebuilt = snap.openai_compat.get(slot.entry).ok_or_else(missing)?;
            let proxy = proxy_for(snap, entry, slot.key)?;
            Ok((prebuilt.post(slot.key, body, upstream_stream)?, proxy))
        }
        Provider::Claude => {
            let entry = cfg.claude_api_key.get(slot.entry).ok_or_else(missing)?;
            let action = if ask.count {
                provider::claude::Action::CountTokens
            } else {
                provider::claude::Action::Messages {
                    stream: upstream_stream,
                }
            };
            let beta = if ask.client == ClientApi::Messages {
                text(&ask.beta)
            } else {
                None
            };
            Ok((
                provider::claude::build_request(entry, body, action, beta)?.into(),
                choose(&entry.proxy_url, &slot.label)?,
            ))
        }
        Provider::Gemini => {
            let entry = cfg.gemini_api_key.get(slot.entry).ok_or_else(missing)?;
            let action = gemini_action(ask.count, upstream_stream);
            Ok((
                provider::gemini::build_request(entry, upstream_model, body, action)?.into(),
                choose(&entry.proxy_url, &slot.label)?,
            ))
        }
        Provider::Vertex => {
            let entry = cfg.vertex_api_key.get(slot.entry).ok_or_else(missing)?;
            let action = gemini_action(ask.count, upstream_stream);
            Ok((
                provider::vertex::build_api_key_request(entry, upstream_model, body, action)?
                    .into(),
                choose(&entry.proxy_url, &slot.label)?,
            ))
        }
        Provider::VertexAccount => {
            let account = snap.accounts.get(slot.entry).ok_or_else(missing)?;
            let token = token.ok_or_else(missing)?;
            let file = &account.file;
            let target = provider::vertex::Account {
                project: &file.project_id,
                location: &file.location,
                base_url: &file.common.base_url,
                headers: &file.common.headers,
            };
            let action = gemini_action(ask.count, upstream_stream);
            Ok((
                provider::vertex::build_account_request(
                    &target,
                    token.value(),
                    upstream_model,
                    body,
                    action,
                )?
                .into(),
                choose(&file.common.proxy_url, &slot.label)?,
            ))
        }
        Provider::Codex => {
            let entry = cfg.codex_api_key.get(slot.entry).ok_or_else(missing)?;
            Ok((
                provider::codex::build_request(entry, body, text(&ask.user_agent))?.into(),
                choose(&entry.proxy_url, &slot.label)?,
            ))
        }
    }
}

/// A response id in the client's style and the current Unix time.
fn response_id(client: ClientApi) -> (String, u64) {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let now = SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let prefix = match client {
        ClientApi::Chat => "chatcmpl-",
        ClientApi::Completions => "cmpl-",
        ClientApi::Responses => "resp_",
        ClientApi::Messages => "msg_",
        ClientApi::Gemini { .. } => "",
    };
    (
        format!("{prefix}{:x}{n:06x}", now.as_nanos() & 0xffff_ffff_ffff),
        now.as_secs(),
    )
}

fn sse_response(body: Body) -> Response<Body> {
    let mut out = Response::new(body);
    let h = out.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    out
}

/// The last failure of a request whose candidates are all used up.
enum Failed {
    /// The upstream answered with an error status.
    Upstream {
        status: StatusCode,
        headers: http::HeaderMap,
        body: Bytes,
        /// The client's format.
        client: Format,
        /// The upstream's format (the same as the client's: its body passes through).
        upstream: Format,
    },
    /// The gateway could not get an answer (connect error, timeout, bad entry).
    Gateway(Error),
}

impl Failed {
    /// The upstream's error status with its body: passed through untouched when the upstream
    /// speaks the client's format (with its `Content-Type`, and its `Retry-After` or else
    /// `retry_after` seconds), otherwise its message re-rendered in the client's error shape.
    fn into_response(self, retry_after: Option<u64>, log: &mut RequestLog) -> Response<Body> {
        let (status, headers, body, client, upstream) = match self {
            Failed::Upstream {
                status,
                headers,
                body,
                client,
                upstream,
            } => (status, headers, body, client, upstream),
            Failed::Gateway(e) => return error_response(Format::OpenAiChat, &e),
        };
        log.error = Some("upstream_status");
        let mut out = match translate::upstream_error_body(client, upstream, status, &body) {
            Some(rendered) => json(status, rendered),
            None => {
                let mut out = Response::new(Body::full(body));
                if let Some(v) = headers.get(header::CONTENT_TYPE) {
                    out.headers_mut().insert(header::CONTENT_TYPE, v.clone());
                }
                out
            }
        };
        *out.status_mut() = status;
        let h = out.headers_mut();
        if let Some(v) = headers.get(header::RETRY_AFTER) {
            h.insert(header::RETRY_AFTER, v.clone());
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
    _client: Format,
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
    req: Request<ReqBody>,
) -> Result<Bytes, Error> {
    let limits = &snap.config.limits;
    let max = limits.max_body_bytes;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(body_too_large(max));
    }
    let body = match req.into_body() {
        ReqBody::Full(b) if b.len() > max => return Err(body_too_large(max)),
        ReqBody::Full(b) => return Ok(b),
        ReqBody::Hyper(body) => body,
    };
    let collect = Limited::new(body, max).collect();
    match upstream::timeout(&w.rt, limits.body_read_timeout(), collect).await {
        None => Err(body_timeout(limits.body_read_timeout_seconds)),
        Some(Err(e)) if e.is::<LengthLimitError>() => Err(body_too_large(max)),
        Some(Err(e)) => Err(Error::new(
            Kind::InvalidRequest,
            format!("could not read the request body: {e}"),
        )),
        Some(Ok(c)) => Ok(c.to_bytes()),
    }
}

/// The error for a request body over `limits.max-body-bytes`.
pub(crate) fn body_too_large(max: usize) -> Error {
    Error::new(
        Kind::PayloadTooLarge,
        format!("request body exceeds the {max}-byte limit (limits.max-body-bytes)"),
    )
}

/// The error for a request body that did not arrive within `limits.body-read-timeout-seconds`.
pub(crate) fn body_timeout(secs: u64) -> Error {
    Error::new(
        Kind::RequestTimeout,
        format!("request body not received within {secs}s"),
    )
}

/// The answer to a request refused before dispatch (its body too large or too slow), in the
/// API error shape of its path, with CORS headers, and logged like any other request.
pub(crate) fn refuse(method: &http::Method, path: &str, e: &Error) -> Response<Body> {
    let fmt = error_format(route::endpoint(method, path), path);
    let mut log = RequestLog::new(method.clone(), path);
    log.error = Some(e.label());
    finish(error_response(fmt, e), &mut log)
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

/// A header value as text, when it is visible ASCII.
fn text(v: &Option<HeaderValue>) -> Option<&str> {
    v.as_ref().and_then(|v| v.to_str().ok())
}

fn is_event_stream(content_type: &Option<HeaderValue>) -> bool {
    text(content_type).is_some_and(|v| v.trim_start().starts_with("text/event-stream"))
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
