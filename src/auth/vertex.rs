//! Vertex AI service accounts: the Google Cloud service-account key an auth file of
//! `"type": "vertex"` embeds, the signed JWT assertion that trades it for an OAuth access token
//! (RFC 7523, `jwt-bearer` grant), and the token endpoint's answer. Pure: no I/O, the time is
//! passed in. Key material never reaches `Debug`, `Display` or an error message.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::Secret;

/// The OAuth scope Vertex AI needs.
pub const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";
/// The grant type of a signed-assertion token request.
pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// Google's token endpoint, used when the key file names none in `token_uri`.
pub const DEFAULT_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";
/// The region used when an auth file names no `location`.
pub const DEFAULT_LOCATION: &str = "us-central1";
/// Lifetime asked for in an assertion, in seconds: Google's maximum.
pub const ASSERTION_LIFETIME_SECS: u64 = 3600;

/// Why a service-account key or a token answer is unusable. Messages name fields, never values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VertexError {
    /// A required field is missing or not a non-empty string.
    #[error("{0} is missing or not a non-empty string")]
    Missing(&'static str),
    /// `type` is set to something other than `service_account`.
    #[error("service_account.type must be \"service_account\"")]
    NotServiceAccount,
    /// The private key is not an RSA private key in PEM.
    #[error("service_account.private_key is not an RSA private key in PEM form")]
    BadKey,
    /// `token_uri` is not an http(s) URL.
    #[error("service_account.token_uri must be an http:// or https:// URL")]
    BadTokenUri,
    /// Signing the assertion failed.
    #[error("cannot sign the token assertion")]
    Sign,
    /// The token endpoint answered, but not with a usable token.
    #[error("token endpoint answer has no usable access_token and expires_in")]
    BadTokenAnswer,
    /// The token endpoint refused the assertion (`error` and `error_description` from its answer).
    #[error("token endpoint refused the assertion: {0}")]
    Refused(String),
}

/// An RSA signing key. `Debug` never shows it.
#[derive(Clone)]
struct SigningKey(EncodingKey);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("*****")
    }
}

/// A parsed service-account key: who signs, with what key, and where tokens come from.
#[derive(Clone, Debug)]
pub struct ServiceAccount {
    /// `client_email`: the assertion's issuer.
    pub client_email: String,
    /// `project_id` of the key file (may be empty; the auth file's own `project_id` wins).
    pub project_id: String,
    /// `private_key_id`: sent as the JWT `kid` so Google picks the right public key.
    pub private_key_id: String,
    /// `token_uri`: where assertions are exchanged; also the assertion's audience.
    pub token_uri: String,
    key: SigningKey,
}

/// The claims of the assertion Google's token endpoint expects.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer: the service account's e-mail.
    pub iss: String,
    /// Space-separated scopes.
    pub scope: String,
    /// Audience: the token endpoint.
    pub aud: String,
    /// Issued at, Unix seconds.
    pub iat: u64,
    /// Expires at, Unix seconds.
    pub exp: u64,
}

fn string_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

impl ServiceAccount {
    /// Reads a service-account key (the JSON Google Cloud hands out). Checks that the private
    /// key parses, so a broken file is reported at load time, not on the first request.
    pub fn from_json(v: &Value) -> Result<ServiceAccount, VertexError> {
        if !v.is_object() {
            return Err(VertexError::Missing("service_account"));
        }
        if let Some(kind) = v.get("type") {
            if kind.as_str() != Some("service_account") {
                return Err(VertexError::NotServiceAccount);
            }
        }
        let client_email = string_field(v, "client_email")
            .ok_or(VertexError::Missing("service_account.client_email"))?;
        let pem = v
            .get("private_key")
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
            .ok_or(VertexError::Missing("service_account.private_key"))?;
        let key = EncodingKey::from_rsa_pem(normalize_pem(pem).as_bytes())
            .map_err(|_| VertexError::BadKey)?;
        let token_uri = string_field(v, "token_uri").unwrap_or(DEFAULT_TOKEN_URI);
        if !(token_uri.starts_with("https://") || token_uri.starts_with("http://")) {
            return Err(VertexError::BadTokenUri);
        }
        Ok(ServiceAccount {
            client_email: client_email.to_owned(),
            project_id: string_field(v, "project_id").unwrap_or_default().to_owned(),
            private_key_id: string_field(v, "private_key_id")
                .unwrap_or_default()
                .to_owned(),
            token_uri: token_uri.to_owned(),
            key: SigningKey(key),
        })
    }

    /// The claims of an assertion issued at `now` (Unix seconds).
    pub fn claims(&self, now: u64) -> Claims {
        Claims {
            iss: self.client_email.clone(),
            scope: SCOPE.to_owned(),
            aud: self.token_uri.clone(),
            iat: now,
            exp: now.saturating_add(ASSERTION_LIFETIME_SECS),
        }
    }

    /// The signed RS256 assertion for a token request at `now` (Unix seconds).
    pub fn assertion(&self, now: u64) -> Result<Secret, VertexError> {
        let mut header = Header::new(Algorithm::RS256);
        if !self.private_key_id.is_empty() {
            header.kid = Some(self.private_key_id.clone());
        }
        jsonwebtoken::encode(&header, &self.claims(now), &self.key.0)
            .map(Secret::new)
            .map_err(|_| VertexError::Sign)
    }

    /// The form fields of the token request at `now`: `grant_type` and `assertion`.
    pub fn token_request_form(&self, now: u64) -> Result<[(&'static str, Secret); 2], VertexError> {
        Ok([
            ("grant_type", Secret::new(GRANT_TYPE)),
            ("assertion", self.assertion(now)?),
        ])
    }
}

/// Key files pasted through some tools carry `\n` escapes instead of line breaks.
fn normalize_pem(pem: &str) -> String {
    let pem = pem.trim();
    if pem.contains('\n') {
        pem.to_owned()
    } else {
        pem.replace("\\n", "\n")
    }
}

/// An access token as the token endpoint issued it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Minted {
    /// The bearer token.
    pub access_token: Secret,
    /// Seconds until it expires, as the endpoint said.
    pub expires_in: u64,
}

/// Reads the token endpoint's answer: a 2xx JSON `{access_token, expires_in}`, or an OAuth error
/// `{error, error_description}`, whose text is safe to log (it never echoes the assertion).
pub fn parse_token_answer(success: bool, body: &[u8]) -> Result<Minted, VertexError> {
    let v: Value = serde_json::from_slice(body).map_err(|_| VertexError::BadTokenAnswer)?;
    if !success || v.get("error").is_some() {
        let error = string_field(&v, "error").unwrap_or("unknown_error");
        let mut text = match string_field(&v, "error_description") {
            Some(d) => format!("{error}: {d}"),
            None => error.to_owned(),
        };
        truncate(&mut text, 200);
        return Err(VertexError::Refused(text));
    }
    let access_token = string_field(&v, "access_token").ok_or(VertexError::BadTokenAnswer)?;
    let expires_in = v
        .get("expires_in")
        .and_then(|e| e.as_u64().or_else(|| e.as_str()?.trim().parse().ok()))
        .filter(|&e| e > 0)
        .ok_or(VertexError::BadTokenAnswer)?;
    Ok(Minted {
        access_token: Secret::new(access_token),
        expires_in,
    })
}

/// An auth file made from a service-account key by `-vertex-import`.
#[derive(Clone, Debug)]
pub struct Imported {
    /// `vertex-[<prefix>-]<project>.json`.
    pub file_name: String,
    /// The file's JSON: `type`, `service_account` (the key as given), `project_id`, `email`,
    /// `location` (the default region; edit the file to change it) and `prefix` when given.
    pub contents: Vec<u8>,
    /// The project the key belongs to.
    pub project_id: String,
}

/// Why a key file cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// Not a JSON object.
    #[error("the service-account file is not a JSON object")]
    NotJson,
    /// The key itself is unusable.
    #[error(transparent)]
    Key(#[from] VertexError),
    /// No `project_id` in the key.
    #[error("project_id is missing in the service-account file")]
    NoProject,
    /// The prefix is not a single path segment.
    #[error("the prefix must be a single path segment without spaces")]
    BadPrefix,
}

/// Validates a service-account key file and builds the auth file `-vertex-import` writes.
pub fn import(key_file: &[u8], prefix: &str) -> Result<Imported, ImportError> {
    let sa: Value = serde_json::from_slice(key_file).map_err(|_| ImportError::NotJson)?;
    if !sa.is_object() {
        return Err(ImportError::NotJson);
    }
    let account = ServiceAccount::from_json(&sa)?;
    if account.project_id.is_empty() {
        return Err(ImportError::NoProject);
    }
    let prefix = prefix.trim().trim_matches('/');
    if prefix.contains(['/', '\\']) || prefix.contains(char::is_whitespace) {
        return Err(ImportError::BadPrefix);
    }
    let project = sanitize_file_part(&account.project_id);
    let file_name = if prefix.is_empty() {
        format!("vertex-{project}.json")
    } else {
        format!("vertex-{}-{project}.json", sanitize_file_part(prefix))
    };
    let mut file = serde_json::Map::new();
    file.insert("type".into(), Value::from("vertex"));
    file.insert("service_account".into(), sa);
    file.insert(
        "project_id".into(),
        Value::from(account.project_id.as_str()),
    );
    file.insert("email".into(), Value::from(account.client_email.as_str()));
    file.insert("location".into(), Value::from(DEFAULT_LOCATION));
    if !prefix.is_empty() {
        file.insert("prefix".into(), Value::from(prefix));
    }
    let contents = serde_json::to_vec_pretty(&file).map_err(|_| ImportError::NotJson)?;
    Ok(Imported {
        file_name,
        contents,
        project_id: account.project_id,
    })
}

/// Makes text safe inside a file name.
fn sanitize_file_part(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' => '_',
            c if c.is_whitespace() => '-',
            c => c,
        })
        .collect()
}

fn truncate(text: &mut String, max: usize) {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation};
    use serde_json::json;

    /// A key generated for these tests only; it grants access to nothing.
    pub(crate) const TEST_KEY: &str =
        include_str!("../../tests/fixtures/vertex/test-only-sa-key.pem");
    const TEST_PUBLIC_KEY: &str =
        include_str!("../../tests/fixtures/vertex/test-only-sa-key.pub.pem");

    pub(crate) fn sa_json() -> Value {
        json!({
            "type": "service_account",
            "project_id": "proj-1",
            "private_key_id": "kid-1",
            "private_key": TEST_KEY,
            "client_email": "bot@proj-1.iam.gserviceaccount.com",
            "token_uri": "http://127.0.0.1:9/token",
        })
    }

    #[test]
    fn the_assertion_is_an_rs256_jwt_with_the_expected_claims() {
        let sa = ServiceAccount::from_json(&sa_json()).unwrap();
        let jwt = sa.assertion(1_700_000_000).unwrap();
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&["http://127.0.0.1:9/token"]);
        validation.validate_exp = false;
        let key = DecodingKey::from_rsa_pem(TEST_PUBLIC_KEY.as_bytes()).unwrap();
        let data = jsonwebtoken::decode::<Claims>(jwt.expose(), &key, &validation).unwrap();
        assert_eq!(
            data.claims,
            Claims {
                iss: "bot@proj-1.iam.gserviceaccount.com".into(),
                scope: SCOPE.into(),
                aud: "http://127.0.0.1:9/token".into(),
                iat: 1_700_000_000,
                exp: 1_700_003_600,
            }
        );
        assert_eq!(data.header.kid.as_deref(), Some("kid-1"));
        assert_eq!(data.header.alg, Algorithm::RS256);
        let form = sa.token_request_form(1).unwrap();
        assert_eq!(form[0].0, "grant_type");
        assert_eq!(form[0].1.expose(), GRANT_TYPE);
        assert_eq!(form[1].0, "assertion");
    }

    #[test]
    fn defaults_and_escaped_newlines() {
        let mut v = sa_json();
        v["private_key"] = json!(TEST_KEY.trim().replace('\n', "\\n"));
        v.as_object_mut().unwrap().remove("token_uri");
        v.as_object_mut().unwrap().remove("private_key_id");
        let sa = ServiceAccount::from_json(&v).unwrap();
        assert_eq!(sa.token_uri, DEFAULT_TOKEN_URI);
        assert_eq!(sa.claims(0).aud, DEFAULT_TOKEN_URI);
        assert!(sa.assertion(0).is_ok());
    }

    #[test]
    fn bad_keys_are_named_without_their_content() {
        let cases: &[(&str, Value, VertexError)] = &[
            (
                "type",
                json!("authorized_user"),
                VertexError::NotServiceAccount,
            ),
            (
                "client_email",
                json!(""),
                VertexError::Missing("service_account.client_email"),
            ),
            (
                "private_key",
                json!(7),
                VertexError::Missing("service_account.private_key"),
            ),
            (
                "private_key",
                json!("-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWJ5dGVz\n-----END PRIVATE KEY-----"),
                VertexError::BadKey,
            ),
            ("token_uri", json!("ftp://x"), VertexError::BadTokenUri),
        ];
        for (field, value, want) in cases {
            let mut v = sa_json();
            v[*field] = value.clone();
            let err = ServiceAccount::from_json(&v).unwrap_err();
            assert_eq!(&err, want, "{field}");
            assert!(!err.to_string().contains("c2VjcmV0"), "{err}");
        }
        assert_eq!(
            ServiceAccount::from_json(&json!("x")).unwrap_err(),
            VertexError::Missing("service_account")
        );
        let sa = ServiceAccount::from_json(&sa_json()).unwrap();
        assert!(!format!("{sa:?}").contains("PRIVATE"), "{sa:?}");
    }

    #[test]
    fn import_builds_the_auth_file_and_its_name() {
        let key = serde_json::to_vec(&sa_json()).unwrap();
        let out = import(&key, "").unwrap();
        assert_eq!(out.file_name, "vertex-proj-1.json");
        assert_eq!(out.project_id, "proj-1");
        let v: Value = serde_json::from_slice(&out.contents).unwrap();
        assert_eq!(v["type"], "vertex");
        assert_eq!(v["project_id"], "proj-1");
        assert_eq!(v["email"], "bot@proj-1.iam.gserviceaccount.com");
        assert_eq!(v["location"], DEFAULT_LOCATION);
        assert_eq!(v["service_account"], sa_json());
        assert!(v.get("prefix").is_none());
        let out = import(&key, " team ").unwrap();
        assert_eq!(out.file_name, "vertex-team-proj-1.json");
        let v: Value = serde_json::from_slice(&out.contents).unwrap();
        assert_eq!(v["prefix"], "team");

        let mut odd = sa_json();
        odd["project_id"] = json!("example.com:my proj");
        let out = import(&serde_json::to_vec(&odd).unwrap(), "").unwrap();
        assert_eq!(out.file_name, "vertex-example.com_my-proj.json");

        assert_eq!(import(b"[1]", "").unwrap_err(), ImportError::NotJson);
        assert_eq!(import(b"{", "").unwrap_err(), ImportError::NotJson);
        assert_eq!(import(&key, "a/b").unwrap_err(), ImportError::BadPrefix);
        let mut no_project = sa_json();
        no_project.as_object_mut().unwrap().remove("project_id");
        assert_eq!(
            import(&serde_json::to_vec(&no_project).unwrap(), "").unwrap_err(),
            ImportError::NoProject
        );
        let mut bad = sa_json();
        bad["private_key"] = json!("nope");
        assert_eq!(
            import(&serde_json::to_vec(&bad).unwrap(), "").unwrap_err(),
            ImportError::Key(VertexError::BadKey)
        );
    }

    #[test]
    fn token_answers() {
        let ok = parse_token_answer(
            true,
            br#"{"access_token":"ya29.x","expires_in":3599,"token_type":"Bearer"}"#,
        )
        .unwrap();
        assert_eq!(ok.access_token.expose(), "ya29.x");
        assert_eq!(ok.expires_in, 3599);
        assert_eq!(
            parse_token_answer(true, br#"{"access_token":"t","expires_in":"60"}"#)
                .unwrap()
                .expires_in,
            60
        );
        assert_eq!(
            parse_token_answer(
                false,
                br#"{"error":"invalid_grant","error_description":"Invalid JWT Signature."}"#
            ),
            Err(VertexError::Refused(
                "invalid_grant: Invalid JWT Signature.".into()
            ))
        );
        for bad in [
            &br#"{"access_token":"t"}"#[..],
            br#"{"access_token":"","expires_in":5}"#,
            br#"{"access_token":"t","expires_in":0}"#,
            b"<html>",
        ] {
            assert_eq!(
                parse_token_answer(true, bad),
                Err(VertexError::BadTokenAnswer)
            );
        }
        let long = format!(
            r#"{{"error":"x","error_description":"{}"}}"#,
            "é".repeat(300)
        );
        let Err(VertexError::Refused(text)) = parse_token_answer(false, long.as_bytes()) else {
            panic!("refused expected");
        };
        assert!(text.len() <= 204, "{}", text.len());
    }
}
