//! Loading `auth-dir` at startup: every credential file is read (through `store`) and parsed
//! (through `auth::file`). Nothing here stops startup: a malformed file is one warning naming
//! the file and the field, and files of types cliproxy does not serve yet are counted in one
//! warning. No message ever contains key material.

use std::collections::BTreeMap;
use std::path::Path;

use crate::auth::accounts::Account;
use crate::auth::file::{self, AuthFile};
use crate::store;
use crate::upstream::proxy::ProxyUrl;

/// What `auth-dir` held.
#[derive(Debug, Default)]
pub struct Loaded {
    /// The usable token-bearing credentials, in file-name order.
    pub accounts: Vec<Account>,
    /// Files with `disabled: true`.
    pub disabled: usize,
    /// One line each, ready to log.
    pub warnings: Vec<String>,
}

/// Reads every credential file in `dir`. An empty `dir` loads nothing; a missing directory
/// loads nothing without complaint (`-vertex-import` creates it).
pub fn load(dir: &str) -> Loaded {
    let mut out = Loaded::default();
    if dir.trim().is_empty() {
        return out;
    }
    let entries = match store::read_auth_dir(Path::new(dir)) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            tracing::debug!(
                auth_dir = dir,
                "auth-dir does not exist: no credential files"
            );
            return out;
        }
        Err(e) => {
            out.warnings
                .push(format!("auth-dir {dir}: cannot list credential files: {e}"));
            return out;
        }
    };
    let mut unsupported: BTreeMap<String, usize> = BTreeMap::new();
    for entry in entries {
        let name = entry.name;
        let parsed = match entry.bytes {
            Ok(bytes) => file::parse(&bytes).map_err(|e| e.to_string()),
            Err(e) => Err(format!("cannot read: {e}")),
        };
        match parsed {
            Ok(AuthFile::Vertex(f)) => match ProxyUrl::parse(&f.common.proxy_url) {
                Ok(_) => out.accounts.push(Account::new(name, *f)),
                Err(e) => out
                    .warnings
                    .push(format!("auth-dir: {name}: ignored: proxy_url: {e}")),
            },
            Ok(AuthFile::Disabled) => out.disabled += 1,
            Ok(AuthFile::Unsupported(kind)) => *unsupported.entry(kind).or_default() += 1,
            Err(e) => out.warnings.push(format!("auth-dir: {name}: ignored: {e}")),
        }
    }
    if !unsupported.is_empty() {
        let total: usize = unsupported.values().sum();
        let kinds: Vec<String> = unsupported
            .iter()
            .map(|(kind, n)| format!("{kind} ({n})"))
            .collect();
        out.warnings.push(format!(
            "auth-dir: {total} credential file(s) of types not supported yet are ignored: {}",
            kinds.join(", ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::vertex::tests::{sa_json, TEST_KEY};
    use serde_json::json;

    #[test]
    fn loads_vertex_files_and_reports_the_rest_without_key_material() {
        let dir = crate::store::tests::tempdir("authdir");
        std::fs::create_dir_all(&dir).unwrap();
        let write = |name: &str, v: serde_json::Value| {
            std::fs::write(dir.join(name), serde_json::to_vec(&v).unwrap()).unwrap();
        };
        write(
            "vertex-b.json",
            json!({"type": "vertex", "service_account": sa_json()}),
        );
        write(
            "vertex-a.json",
            json!({"type": "vertex", "service_account": sa_json(), "location": "global"}),
        );
        write(
            "vertex-off.json",
            json!({"type": "vertex", "service_account": sa_json(), "disabled": true}),
        );
        let mut broken = sa_json();
        broken["private_key"] = json!(TEST_KEY.replace("MII", "XXX"));
        write(
            "vertex-broken.json",
            json!({"type": "vertex", "service_account": broken}),
        );
        write(
            "vertex-proxy.json",
            json!({"type": "vertex", "service_account": sa_json(), "proxy_url": "ftp://u:pw@h"}),
        );
        write(
            "claude-x.json",
            json!({"type": "claude", "access_token": "sk-ant-secret"}),
        );
        write("codex-x.json", json!({"type": "codex"}));
        write("claude-y.json", json!({"type": "claude"}));
        std::fs::write(dir.join("junk.json"), "{\"type\": \"vertex\", ").unwrap();

        let loaded = load(dir.to_str().unwrap());
        let names: Vec<_> = loaded.accounts.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["vertex-a.json", "vertex-b.json"]);
        assert_eq!(loaded.accounts[0].file.location, "global");
        assert_eq!(loaded.disabled, 1);
        assert_eq!(
            loaded.warnings,
            [
                "auth-dir: junk.json: ignored: not valid JSON (line 1, column 19)",
                "auth-dir: vertex-broken.json: ignored: service_account.private_key is not an \
                 RSA private key in PEM form",
                "auth-dir: vertex-proxy.json: ignored: proxy_url: expected a proxy URL (socks5://, \
                 socks5h://, http://, https://) or direct/none, got scheme \"ftp\"",
                "auth-dir: 3 credential file(s) of types not supported yet are ignored: \
                 claude (2), codex (1)",
            ]
        );
        let all = loaded.warnings.join("\n");
        assert!(!all.contains("PRIVATE") && !all.contains("secret") && !all.contains("pw"));

        assert!(load(dir.join("missing").to_str().unwrap())
            .warnings
            .is_empty());
        assert!(load("").accounts.is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
