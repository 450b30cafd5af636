//! Files the gateway keeps on disk: the credential files in `auth-dir`. A write is atomic (a
//! temporary file in the same directory, flushed, then renamed over the target) and private
//! (mode 0600 on Unix, in a 0700 directory when the directory is created), so a crash never
//! leaves half a credential and other local users cannot read one. I/O only: parsing is
//! `auth::file`'s job, and nothing here logs file contents.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// One credential file found in `auth-dir`.
#[derive(Debug)]
pub struct AuthFileEntry {
    /// The file name (credential files live directly in `auth-dir`).
    pub name: String,
    /// Its contents, or why they could not be read.
    pub bytes: io::Result<Vec<u8>>,
}

/// Whether `name` is a credential file name: `*.json`, not hidden (CLIProxyAPI keeps OAuth
/// callback scratch files as hidden `.oauth-*` files).
pub fn is_auth_file_name(name: &str) -> bool {
    !name.starts_with('.')
        && name.len() > ".json".len()
        && name
            .get(name.len() - ".json".len()..)
            .is_some_and(|ext| ext.eq_ignore_ascii_case(".json"))
}

/// Reads every credential file directly in `dir`, sorted by name. A file that cannot be read is
/// listed with its error; a directory that cannot be listed is an error.
pub fn read_auth_dir(dir: &Path) -> io::Result<Vec<AuthFileEntry>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if !is_auth_file_name(&name) || !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let bytes = fs::read(entry.path());
        out.push(AuthFileEntry { name, bytes });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Writes `bytes` to `dir/name` atomically and privately, creating `dir` if needed. Returns the
/// path written. `name` must be a plain credential file name (no directory part).
pub fn write_auth_file(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<PathBuf> {
    if !is_auth_file_name(name) || name.contains(['/', '\\']) || name.contains("..") {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("`{name}` is not a credential file name"),
        ));
    }
    create_private_dir(dir)?;
    let target = dir.join(name);
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let tmp = dir.join(format!(
        ".{name}.{}-{}.tmp",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let written = write_new_private(&tmp, bytes).and_then(|()| fs::rename(&tmp, &target));
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(target)
}

fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

fn write_new_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A fresh path under the system temp dir (not created).
    pub(crate) fn tempdir(tag: &str) -> PathBuf {
        std::env::temp_dir().join(format!(
            "cliproxy-{tag}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ))
    }

    #[test]
    fn writes_are_atomic_private_and_replace_the_old_file() {
        let dir = tempdir("write").join("nested");
        let path = write_auth_file(&dir, "vertex-p.json", b"{\"a\":1}").unwrap();
        assert_eq!(path, dir.join("vertex-p.json"));
        assert_eq!(fs::read(&path).unwrap(), b"{\"a\":1}");
        write_auth_file(&dir, "vertex-p.json", b"{\"a\":2}").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"{\"a\":2}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            let mode = fs::metadata(&dir).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        let names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, ["vertex-p.json"], "no temporary file is left");
        for bad in ["../x.json", "a/b.json", ".hidden.json", "x.txt", ".json"] {
            let err = write_auth_file(&dir, bad, b"{}").unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{bad}");
        }
        fs::remove_dir_all(dir.parent().unwrap()).unwrap();
    }

    #[test]
    fn reading_lists_json_files_sorted_and_skips_the_rest() {
        let dir = tempdir("read");
        fs::create_dir_all(dir.join("sub.json")).unwrap();
        for (name, body) in [
            ("b.json", "2"),
            ("A.JSON", "1"),
            (".oauth-x.oauth", "x"),
            (".hidden.json", "h"),
            ("notes.txt", "n"),
        ] {
            fs::write(dir.join(name), body).unwrap();
        }
        let found: Vec<(String, Vec<u8>)> = read_auth_dir(&dir)
            .unwrap()
            .into_iter()
            .map(|e| (e.name, e.bytes.unwrap()))
            .collect();
        assert_eq!(
            found,
            [
                ("A.JSON".to_owned(), b"1".to_vec()),
                ("b.json".to_owned(), b"2".to_vec())
            ]
        );
        assert!(read_auth_dir(&dir.join("missing")).is_err());
        fs::remove_dir_all(&dir).unwrap();
    }
}
