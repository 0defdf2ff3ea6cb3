//! Where signatures live: the lookaside tree
//! `manifest/signatures/cairn/<name>@sha256=<hex>/signature-N`, the layout podman, skopeo
//! and every containers/image client read, so our `verify` and theirs judge the same files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::payload::NAMESPACE;

/// `manifest/signatures/`: the root of the lookaside tree (a registries.d `lookaside`).
pub fn lookaside_root(root: &Path) -> PathBuf {
    root.join("manifest").join("signatures")
}

/// `manifest/signatures/cairn/<name>@sha256=<hex>/`: the signatures of one image.
pub fn lookaside_dir(root: &Path, name: &str, digest: &str) -> PathBuf {
    lookaside_root(root).join(NAMESPACE).join(format!("{name}@{}", digest.replacen(':', "=", 1)))
}

/// `signature-N` → N, for N ≥ 1 written without leading zeros (as containers/image does).
pub fn file_number(file_name: &str) -> Option<u32> {
    let digits = file_name.strip_prefix("signature-")?;
    if digits.is_empty() || digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Reads the names in a lookaside directory: `signature-N` files by number, and others.
pub fn list_dir(dir: &Path) -> Result<(BTreeMap<u32, PathBuf>, Vec<PathBuf>)> {
    let mut numbered = BTreeMap::new();
    let mut others = Vec::new();
    let read = match std::fs::read_dir(dir) {
        Ok(read) => read,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((numbered, others)),
        Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
    };
    for item in read {
        let item = item.with_context(|| format!("reading {}", dir.display()))?;
        let name = item.file_name();
        let name = name.to_string_lossy();
        // Temporary files of a signing in progress.
        if name.starts_with('.') {
            continue;
        }
        match file_number(&name) {
            Some(n) => {
                numbered.insert(n, item.path());
            }
            None => others.push(item.path()),
        }
    }
    others.sort();
    Ok((numbered, others))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

    #[test]
    fn the_lookaside_path_is_the_one_containers_image_reads() {
        let dir = lookaside_dir(Path::new("/t"), "busybox", DIGEST);
        assert_eq!(dir, Path::new("/t/manifest/signatures/cairn/busybox@sha256=2222222222222222222222222222222222222222222222222222222222222222"));
        assert_eq!(file_number("signature-1"), Some(1));
        assert_eq!(file_number("signature-12"), Some(12));
        for bad in ["signature-0", "signature-01", "signature-", "signature-1a", "sig-1"] {
            assert_eq!(file_number(bad), None, "{bad}");
        }
    }
}
