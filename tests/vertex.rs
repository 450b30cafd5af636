//! Vertex AI upstreams end to end, through the real server: service-account credentials loaded
//! from `auth-dir` (tokens minted by the control thread from a signed assertion, checked by a
//! loopback token endpoint with the test key's public half) and `vertex-api-key` entries.
//! Every URL, the token endpoint's included, points at loopback mocks.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "integration tests: a broken expectation should fail loudly"
)]

mod support;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cliproxy::auth::vertex::{Claims, GRANT_TYPE, SCOPE};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{json, Value};
use support::gateway::Gateway;
use support::{client, MockUpstream, Recorded, Reply};

/// Generated for these tests only (see tests/fixtures/vertex/README.md); grants access to nothing.
const TEST_KEY: &str = include_str!("fixtures/vertex/test-only-sa-key.pem");
const TEST_PUBLIC_KEY: &str = include_str!("fixtures/vertex/test-only-sa-key.pub.pem");
const GENERATE: &str = include_str!("fixtures/gemini/response/text/upstream.json");
const STREAM: &str = include_str!("fixtures/gemini/stream/text/upstream.sse");
const AUTH: (&str, &str) = ("authorization", "Bearer client-key");
const JSON_CT: (&str, &str) = ("content-type", "application/json");

/// A loopback OAuth token endpoint: verifies each assertion's RS256 signature with the test
/// key's public half, records its claims, and answers `tok-<n>` for the n-th call, valid for
/// `lifetime(n)` seconds. A bad assertion gets `400 invalid_grant`.
struct TokenEndpoint {
    mock: MockUpstream,
    claims: Arc<Mutex<Vec<Claims>>>,
}

impl TokenEndpoint {
    fn start(lifetime: impl Fn(usize) -> u64 + Send + Sync + 'static) -> TokenEndpoint {
        let claims = Arc::new(Mutex::new(Vec::new()));
        let seen = claims.clone();
        let issued = AtomicUsize::new(0);
        let mock = MockUpstream::start(move |r: &Recorded| {
            let form = form_fields(&r.body);
            let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
            if r.path != "/token" || field("grant_type") != Some(GRANT_TYPE) {
                return Reply::json(400, json!({"error": "unsupported_grant_type"}));
            }
            let mut validation = Validation::new(Algorithm::RS256);
            validation.validate_aud = false;
            let key = DecodingKey::from_rsa_pem(TEST_PUBLIC_KEY.as_bytes()).unwrap();
            let verified = field("assertion")
                .and_then(|jwt| jsonwebtoken::decode::<Claims>(jwt, &key, &validation).ok());
            let Some(data) = verified else {
                return Reply::json(
                    400,
                    json!({"error": "invalid_grant", "error_description": "Invalid JWT Signature."}),
                );
            };
            seen.lock().unwrap().push(data.claims);
            let n = issued.fetch_add(1, Ordering::SeqCst) + 1;
            Reply::json(
                200,
                json!({"access_token": format!("tok-{n}"), "expires_in": lifetime(n),
                       "token_type": "Bearer"}),
            )
        });
        TokenEndpoint { mock, claims }
    }

    fn url(&self) -> String {
        format!("{}/token", self.mock.base_url())
    }
}

/// `application/x-www-form-urlencoded` → pairs.
fn form_fields(body: &[u8]) -> Vec<(String, String)> {
    let decode = |s: &str| {
        let s = s.replace('+', " ");
        let mut out = Vec::new();
        let mut bytes = s.bytes();
        while let Some(b) = bytes.next() {
            if b == b'%' {
                let hex: String = bytes.by_ref().take(2).map(char::from).collect();
                out.push(u8::from_str_radix(&hex, 16).unwrap());
            } else {
                out.push(b);
            }
        }
        String::from_utf8(out).unwrap()
    };
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

/// A Vertex mock answering generate, stream and count calls with Gemini-shaped bodies.
fn vertex_mock() -> MockUpstream {
    MockUpstream::start(|r: &Recorded| {
        if r.path.contains(":streamGenerateContent") {
            Reply::sse(
                STREAM
                    .split("\n\n")
                    .filter(|f| !f.trim().is_empty())
                    .map(|f| format!("{f}\n\n")),
            )
        } else if r.path.ends_with(":countTokens") {
            Reply::json(
                200,
                json!({"totalTokens": 7, "totalBillableCharacters": 20}),
            )
        } else {
            Reply::Json {
                status: 200,
                body: GENERATE.to_owned(),
                headers: vec![],
            }
        }
    })
}

fn service_account(token_uri: &str) -> Value {
    json!({
        "type": "service_account",
        "project_id": "proj-1",
        "private_key_id": "kid-1",
        "private_key": TEST_KEY,
        "client_email": "bot@proj-1.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": token_uri,
    })
}

/// An `auth-dir` holding one Vertex credential whose requests go to `vertex` and whose
/// tokens come from `tokens`, plus `extra` fields in the file.
fn auth_dir(tokens: &TokenEndpoint, vertex: &MockUpstream, extra: Value) -> PathBuf {
    let dir = support::tempdir();
    let mut file = json!({
        "type": "vertex",
        "service_account": service_account(&tokens.url()),
        "base_url": vertex.base_url(),
        "models": ["gemini-2.5-pro"],
    });
    for (k, v) in extra.as_object().unwrap() {
        file[k] = v.clone();
    }
    std::fs::write(
        dir.join("vertex-proj-1.json"),
        serde_json::to_vec(&file).unwrap(),
    )
    .unwrap();
    dir
}

fn gateway(dir: &Path, extra: &str) -> Gateway {
    Gateway::start(&format!(
        "api-keys: [\"client-key\"]\nauth-dir: {}\n{extra}",
        dir.display()
    ))
}

/// POSTs JSON `body` to `path` with the client key.
async fn post(gw: &Gateway, path: &str, body: impl Into<bytes::Bytes>) -> client::Response {
    client::send(gw.addr(), "POST", path, &[AUTH, JSON_CT], body)
        .await
        .unwrap()
}

/// A Gemini `generateContent` call for `gemini-2.5-pro`.
async fn generate(gw: &Gateway) -> client::Response {
    post(
        gw,
        "/v1beta/models/gemini-2.5-pro:generateContent",
        gemini_body(),
    )
    .await
}

const PROJECT_PATH: &str =
    "/v1/projects/proj-1/locations/us-central1/publishers/google/models/gemini-2.5-pro";

fn gemini_body() -> String {
    json!({"contents": [{"role": "user", "parts": [{"text": "Tell me a story"}]}],
           "generationConfig": {"temperature": 0.5}})
    .to_string()
}

#[tokio::test]
async fn service_account_generate_stream_and_count_use_the_project_url_and_a_minted_token() {
    let tokens = TokenEndpoint::start(|_| 3600);
    let vertex = vertex_mock();
    let dir = auth_dir(&tokens, &vertex, json!({}));
    let gw = gateway(&dir, "");
    assert!(gw.warnings().is_empty(), "{:?}", gw.warnings());

    let r = generate(&gw).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json()["candidates"][0]["content"]["parts"][0]["text"],
        "Once upon a time, in a small town nestled in the mountains, lived a girl named Lily \
         who found a magic backpack."
    );

    let r = post(
        &gw,
        "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse",
        gemini_body(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("text/event-stream"));
    let frames = client::sse_data_frames(&r.body);
    assert_eq!(frames.len(), 3, "{}", r.text());
    let first: Value = serde_json::from_str(&frames[0]).unwrap();
    assert_eq!(first["candidates"][0]["content"]["parts"][0]["text"], "The");

    let count = json!({"generateContentRequest": {"model": "models/gemini-2.5-pro",
        "contents": [{"role": "user", "parts": [{"text": "hi"}]}],
        "generationConfig": {"temperature": 1}}});
    let r = post(
        &gw,
        "/v1beta/models/gemini-2.5-pro:countTokens",
        count.to_string(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["totalTokens"], 7);

    let reqs = vertex.requests();
    let paths: Vec<&str> = reqs.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            format!("{PROJECT_PATH}:generateContent"),
            format!("{PROJECT_PATH}:streamGenerateContent?alt=sse"),
            format!("{PROJECT_PATH}:countTokens"),
        ]
    );
    for r in &reqs {
        assert_eq!(r.header("authorization"), Some("Bearer tok-1"));
        assert!(r.header("x-goog-api-key").is_none());
    }
    let sent: Value = reqs[0].json();
    assert_eq!(sent, serde_json::from_str::<Value>(&gemini_body()).unwrap());
    assert_eq!(
        reqs[2].json(),
        json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]})
    );

    assert_eq!(tokens.mock.calls(), 1, "one token serves every request");
    let claims = tokens.claims.lock().unwrap().clone();
    assert_eq!(claims[0].iss, "bot@proj-1.iam.gserviceaccount.com");
    assert_eq!(claims[0].scope, SCOPE);
    assert_eq!(claims[0].aud, tokens.url());
    assert_eq!(claims[0].exp - claims[0].iat, 3600);
    let form = form_fields(&tokens.mock.requests()[0].body);
    assert_eq!(form[0], ("grant_type".to_owned(), GRANT_TYPE.to_owned()));
    drop(gw);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn an_openai_chat_client_is_translated_to_vertex_and_back() {
    let tokens = TokenEndpoint::start(|_| 3600);
    let vertex = vertex_mock();
    let dir = auth_dir(
        &tokens,
        &vertex,
        json!({"location": "global", "prefix": "gcp"}),
    );
    let gw = gateway(&dir, "");
    let body = json!({"model": "gcp/gemini-2.5-pro", "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Tell me a story"}]});
    let r = post(&gw, "/v1/chat/completions", body.to_string()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["model"], "gcp/gemini-2.5-pro");
    assert!(v["choices"][0]["message"]["content"]
        .as_str()
        .unwrap()
        .starts_with("Once upon a time"));
    assert_eq!(v["usage"]["total_tokens"], 32);

    let stream = json!({"model": "gemini-2.5-pro", "stream": true,
                        "messages": [{"role": "user", "content": "Tell me a story"}]});
    let r = post(&gw, "/v1/chat/completions", stream.to_string()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let text: String = client::sse_data_frames(&r.body)
        .iter()
        .filter(|f| *f != "[DONE]")
        .filter_map(|f| {
            let v: Value = serde_json::from_str(f).unwrap();
            v["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(text, "The quick brown fox jumps over the lazy dog. ✓");

    let reqs = vertex.requests();
    let global = "/v1/projects/proj-1/locations/global/publishers/google/models/gemini-2.5-pro";
    assert_eq!(reqs[0].path, format!("{global}:generateContent"));
    assert_eq!(
        reqs[1].path,
        format!("{global}:streamGenerateContent?alt=sse")
    );
    let sent = reqs[0].json();
    assert_eq!(sent["contents"][0]["role"], "user");
    assert_eq!(sent["contents"][0]["parts"][0]["text"], "Tell me a story");
    assert_eq!(sent["systemInstruction"]["parts"][0]["text"], "Be brief.");
    assert!(sent.get("model").is_none() && sent.get("messages").is_none());
    drop(gw);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn vertex_api_key_entries_use_the_publisher_path_and_x_goog_api_key() {
    let vertex = vertex_mock();
    let gw = Gateway::start(&format!(
        r#"
api-keys: ["client-key"]
vertex-api-key:
  - api-key: vk-1
    base-url: {base}/
    headers: {{X-Entry: e}}
    models:
      - name: gemini-2.5-flash
        alias: vflash
"#,
        base = vertex.base_url()
    ));
    let r = post(&gw, "/v1beta/models/vflash:generateContent", gemini_body()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let body = json!({"model": "vflash", "max_tokens": 64,
                      "messages": [{"role": "user", "content": "hi"}]});
    let r = post(&gw, "/v1/messages", body.to_string()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["type"], "message");
    assert_eq!(r.json()["model"], "vflash");

    let reqs = vertex.requests();
    assert_eq!(reqs.len(), 2);
    for r in &reqs {
        assert_eq!(
            r.path,
            "/v1/publishers/google/models/gemini-2.5-flash:generateContent"
        );
        assert_eq!(r.header("x-goog-api-key"), Some("vk-1"));
        assert_eq!(r.header("x-entry"), Some("e"));
        assert!(r.header("authorization").is_none());
    }
    assert_eq!(reqs[1].json()["contents"][0]["parts"][0]["text"], "hi");
}

#[tokio::test]
async fn a_token_is_renewed_before_it_expires() {
    // The first token lives 2 s, so it is renewed after 1 s without any request asking.
    let tokens = TokenEndpoint::start(|n| if n == 1 { 2 } else { 3600 });
    let vertex = vertex_mock();
    let dir = auth_dir(&tokens, &vertex, json!({}));
    let gw = gateway(&dir, "");
    assert!(
        tokens
            .mock
            .wait_for(Duration::from_secs(30), |m| m.calls() >= 2),
        "the short-lived token was never renewed"
    );
    // The endpoint has been asked; requests switch to the new token once it is published.
    let mut used = Vec::new();
    for _ in 0..500 {
        let r = generate(&gw).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let last = vertex.requests().last().unwrap().clone();
        used.push(last.header("authorization").unwrap().to_owned());
        if used.last().is_some_and(|a| a == "Bearer tok-2") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        used.last().map(String::as_str),
        Some("Bearer tok-2"),
        "{used:?}"
    );
    assert_eq!(
        tokens.mock.calls(),
        2,
        "a 1-hour token is not renewed again"
    );
    drop(gw);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_refused_token_is_refreshed_and_the_request_retried_once() {
    let tokens = TokenEndpoint::start(|_| 3600);
    // Vertex refuses the first token only.
    let vertex = MockUpstream::start(|r: &Recorded| {
        if r.header("authorization") == Some("Bearer tok-1") {
            Reply::json(
                401,
                json!({"error": {"code": 401, "status": "UNAUTHENTICATED",
                                              "message": "Request had invalid authentication credentials."}}),
            )
        } else {
            Reply::Json {
                status: 200,
                body: GENERATE.to_owned(),
                headers: vec![],
            }
        }
    });
    let dir = auth_dir(&tokens, &vertex, json!({}));
    let gw = gateway(&dir, "");
    let r = generate(&gw).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let auths: Vec<_> = vertex
        .requests()
        .iter()
        .map(|r| r.header("authorization").unwrap().to_owned())
        .collect();
    assert_eq!(auths, ["Bearer tok-1", "Bearer tok-2"]);
    assert_eq!(tokens.mock.calls(), 2);
    drop(gw);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_token_refused_twice_is_refreshed_only_once_and_the_401_reaches_the_client() {
    let tokens = TokenEndpoint::start(|_| 3600);
    let vertex = MockUpstream::start(|_| {
        Reply::json(
            401,
            json!({"error": {"code": 401, "status": "UNAUTHENTICATED", "message": "no"}}),
        )
    });
    let dir = auth_dir(&tokens, &vertex, json!({}));
    let gw = gateway(&dir, "");
    let r = generate(&gw).await;
    assert_eq!(r.status, 401, "{}", r.text());
    assert_eq!(r.json()["error"]["status"], "UNAUTHENTICATED");
    assert_eq!(vertex.calls(), 2);
    assert_eq!(tokens.mock.calls(), 2);
    drop(gw);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_rejected_assertion_fails_over_and_never_leaks_key_material() {
    let tokens = TokenEndpoint::start(|_| 3600);
    let vertex = vertex_mock();
    let dir = support::tempdir();
    // Signed with the right key but sent to a path the token endpoint refuses.
    let file = json!({"type": "vertex", "base_url": vertex.base_url(),
        "service_account": service_account(&format!("{}/wrong", tokens.mock.base_url())),
        "models": ["gemini-2.5-pro"]});
    std::fs::write(
        dir.join("vertex-bad.json"),
        serde_json::to_vec(&file).unwrap(),
    )
    .unwrap();
    std::fs::write(dir.join("claude-a.json"), r#"{"type":"claude"}"#).unwrap();
    std::fs::write(dir.join("vertex-broken.json"), r#"{"type":"vertex""#).unwrap();
    let gw = gateway(&dir, "");
    assert_eq!(
        gw.warnings(),
        [
            "auth-dir: vertex-broken.json: ignored: not valid JSON (line 1, column 16)",
            "auth-dir: 1 credential file(s) of types not supported yet are ignored: claude (1)",
        ]
    );
    let r = generate(&gw).await;
    assert_eq!(r.status, 502, "{}", r.text());
    let text = r.text();
    assert!(text.contains("vertex-bad.json"), "{text}");
    assert!(!text.contains("PRIVATE") && !text.contains("eyJ"), "{text}");
    assert_eq!(vertex.calls(), 0);
    drop(gw);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn vertex_import_writes_a_private_auth_file_the_gateway_then_serves() {
    let tokens = TokenEndpoint::start(|_| 3600);
    let vertex = vertex_mock();
    let dir = support::tempdir();
    let auth = dir.join("auths");
    let config = dir.join("config.yaml");
    std::fs::write(&config, format!("auth-dir: {}\n", auth.display())).unwrap();
    let key = dir.join("sa.json");
    std::fs::write(
        &key,
        serde_json::to_vec(&service_account(&tokens.url())).unwrap(),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cliproxy"))
        .arg("-config")
        .arg(&config)
        .arg("--vertex-import")
        .arg(&key)
        .arg("-vertex-import-prefix=team")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let written = auth.join("vertex-team-proj-1.json");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(&written.display().to_string()), "{stdout}");
    let v: Value = serde_json::from_slice(&std::fs::read(&written).unwrap()).unwrap();
    assert_eq!(v["type"], "vertex");
    assert_eq!(v["prefix"], "team");
    assert_eq!(v["location"], "us-central1");
    assert_eq!(
        v["service_account"]["client_email"],
        "bot@proj-1.iam.gserviceaccount.com"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&written).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // Served under its prefix with the default model list (pointed at the mock first).
    let mut v = v;
    v["base_url"] = json!(vertex.base_url());
    std::fs::write(&written, serde_json::to_vec(&v).unwrap()).unwrap();
    let gw = gateway(&auth, "");
    let r = post(
        &gw,
        "/v1beta/models/team/gemini-2.5-flash:generateContent",
        gemini_body(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        vertex.requests()[0].path,
        "/v1/projects/proj-1/locations/us-central1/publishers/google/models/\
         gemini-2.5-flash:generateContent"
    );
    drop(gw);

    let bad = dir.join("bad.json");
    std::fs::write(&bad, r#"{"type":"service_account","client_email":"x"}"#).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cliproxy"))
        .arg("--config")
        .arg(&config)
        .arg("-vertex-import")
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("service_account.private_key is missing"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
