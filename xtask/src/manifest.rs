//! manifest/: the reviewed record of what the tree produces.
//!
//! One TOML file per package, `manifest/packages/<name>.toml`, so a change to one
//! package is a small diff in one file and parallel builds never write the same file.
//! Files are written atomically (temporary file, then rename) so a crash leaves either
//! the old entry or the new one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

/// What one package produced, as recorded for review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub name: String,
    pub version: String,
    /// sha256 over everything the build reads: see `registry::input::input_hash`.
    pub input: String,
    /// The OCI image manifest digest: what signatures are made over.
    pub digest: String,
    /// Digest of the gzip-compressed layer blob.
    pub layer: String,
    /// Digest of the uncompressed layer tar (the config's rootfs diff_id).
    pub diff_id: String,
    /// Size in bytes of the compressed layer.
    pub size: u64,
}

/// Every entry of manifest/, by package name.
#[derive(Debug, Default)]
pub struct Manifest {
    pub entries: BTreeMap<String, Entry>,
}

pub fn dir(root: &Path) -> PathBuf {
    root.join("manifest").join("packages")
}

pub fn entry_path(root: &Path, name: &str) -> PathBuf {
    dir(root).join(format!("{name}.toml"))
}

impl Manifest {
    /// Reads every entry. A file that does not parse is an error naming it.
    pub fn load(root: &Path) -> Result<Manifest> {
        let mut entries = BTreeMap::new();
        let dir = dir(root);
        let read = match std::fs::read_dir(&dir) {
            Ok(read) => read,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Manifest { entries }),
            Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
        };
        for item in read {
            let path = item?.path();
            if path.extension().and_then(|e| e.to_str()) != Some("toml") {
                continue;
            }
            let entry = read_entry(&path)?;
            let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
            if stem != entry.name {
                anyhow::bail!(
                    "{} records package `{}`: the file must be named {}.toml",
                    path.display(),
                    entry.name,
                    entry.name
                );
            }
            entries.insert(entry.name.clone(), entry);
        }
        Ok(Manifest { entries })
    }

    pub fn get(&self, name: &str) -> Option<&Entry> {
        self.entries.get(name)
    }

    /// The entries named (all when none), each an error if unknown.
    pub fn select(&self, names: &[String]) -> Result<Vec<&Entry>> {
        if names.is_empty() {
            if self.entries.is_empty() {
                bail!("manifest/packages/ records no image yet: build one with `cargo xtask build`");
            }
            return Ok(self.entries.values().collect());
        }
        names
            .iter()
            .map(|name| {
                self.get(name).with_context(|| {
                    let known: Vec<&str> = self.entries.keys().map(String::as_str).collect();
                    format!(
                        "manifest/packages/ records no package `{name}` (known: {})",
                        if known.is_empty() { "none".into() } else { known.join(", ") }
                    )
                })
            })
            .collect()
    }
}

/// An entry is a few hundred bytes.
const ENTRY_CAP: u64 = 64 << 10;

fn read_entry(path: &Path) -> Result<Entry> {
    let bytes = crate::workspace::read_regular(path, ENTRY_CAP)?;
    let text = String::from_utf8(bytes).with_context(|| format!("{} is not UTF-8", path.display()))?;
    let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("NAME");
    let entry: Entry = toml::from_str(&text).with_context(|| {
        format!(
            "{} is not a valid manifest entry; restore it with `git checkout -- {}`, or delete it and record it \
             anew with `cargo xtask build {name}`",
            path.display(),
            path.display()
        )
    })?;
    for (key, value) in
        [("digest", &entry.digest), ("layer", &entry.layer), ("diff_id", &entry.diff_id), ("input", &entry.input)]
    {
        if !is_digest(value) {
            anyhow::bail!("{}: `{key}` is `{value}`, not a `sha256:<64 hex>` digest", path.display());
        }
    }
    Ok(entry)
}

/// `sha256:` followed by 64 lowercase hex digits.
pub fn is_digest(s: &str) -> bool {
    s.strip_prefix("sha256:")
        .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}

/// Writes one entry atomically.
pub fn write_entry(root: &Path, entry: &Entry) -> Result<()> {
    let text = toml::to_string(entry)?;
    let path = entry_path(root, &entry.name);
    crate::workspace::write_atomic(&path, text.as_bytes())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An entry for musl 1.2.3 with made-up digests.
    pub(crate) fn sample() -> Entry {
        Entry {
            name: "musl".into(),
            version: "1.2.3".into(),
            input: format!("sha256:{}", "1".repeat(64)),
            digest: format!("sha256:{}", "2".repeat(64)),
            layer: format!("sha256:{}", "3".repeat(64)),
            diff_id: format!("sha256:{}", "4".repeat(64)),
            size: 1234,
        }
    }

    #[test]
    fn entries_round_trip_in_a_stable_text_form() {
        let dir = tempfile::tempdir().unwrap();
        write_entry(dir.path(), &sample()).unwrap();
        let text = std::fs::read_to_string(entry_path(dir.path(), "musl")).unwrap();
        insta::assert_snapshot!("manifest_entry", text);
        let back = Manifest::load(dir.path()).unwrap();
        assert_eq!(back.get("musl"), Some(&sample()));
    }

    #[test]
    fn a_corrupt_entry_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(super::dir(dir.path())).unwrap();
        std::fs::write(entry_path(dir.path(), "musl"), "name = \"musl\"\nversion = ").unwrap();
        let error = format!("{:#}", Manifest::load(dir.path()).unwrap_err());
        assert!(error.contains("musl.toml is not a valid manifest entry"), "{error}");
        // The fix it names works: without the file, the tree loads and the package is
        // simply not recorded, which `build musl` then does.
        assert!(error.contains("delete it and record it anew with `cargo xtask build musl`"), "{error}");
        std::fs::remove_file(entry_path(dir.path(), "musl")).unwrap();
        assert!(Manifest::load(dir.path()).unwrap().get("musl").is_none());
    }

    #[test]
    fn a_bad_digest_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut entry = sample();
        entry.digest = "sha256:xyz".into();
        write_entry(dir.path(), &entry).unwrap();
        let error = format!("{:#}", Manifest::load(dir.path()).unwrap_err());
        assert!(error.contains("`digest` is `sha256:xyz`"), "{error}");
    }
}
