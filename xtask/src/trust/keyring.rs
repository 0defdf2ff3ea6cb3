//! The keyring of trusted maintainers: one armored OpenPGP certificate per file, public
//! material only, no certificate twice. Reading it is all this module does; `keys`
//! changes it, `check` judges against it.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use sequoia_openpgp as openpgp;

use openpgp::cert::prelude::*;
use openpgp::parse::Parse;
use openpgp::Cert;

/// `manifest/keys/`.
pub fn default_dir(root: &Path) -> PathBuf {
    root.join("manifest").join("keys")
}

/// One trusted certificate and the file it came from.
#[derive(Debug, Clone)]
pub struct Trusted {
    pub path: PathBuf,
    pub cert: Cert,
}

/// The trusted certificates of a keyring directory.
#[derive(Debug, Clone)]
pub struct Keyring {
    pub dir: PathBuf,
    pub certs: Vec<Trusted>,
}

impl Keyring {
    /// Reads every file of `dir` (a missing directory is an empty keyring). Each file
    /// holds exactly one public certificate; no certificate appears twice.
    pub fn load(dir: &Path) -> Result<Keyring> {
        let mut paths = Vec::new();
        match std::fs::read_dir(dir) {
            Ok(read) => {
                for item in read {
                    let item = item.with_context(|| format!("reading {}", dir.display()))?;
                    let hidden = item.file_name().to_string_lossy().starts_with('.');
                    if !hidden && item.file_type()?.is_file() {
                        paths.push(item.path());
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("reading the keyring {}", dir.display())),
        }
        paths.sort();
        let mut files = Vec::new();
        for path in paths {
            let bytes = crate::workspace::read_regular(&path, CERT_CAP)?;
            files.push((path, bytes));
        }
        Keyring::from_files(dir, files)
    }

    /// The keyring of these files (name and bytes), checked as [`Keyring::load`] checks
    /// a directory: `dir` names where they came from, a directory or a commit's tree.
    pub fn from_files(dir: &Path, files: Vec<(PathBuf, Vec<u8>)>) -> Result<Keyring> {
        let mut certs: Vec<Trusted> = Vec::new();
        for (path, bytes) in files {
            let mut found = parse_certs(&bytes, &path)?;
            if found.len() != 1 {
                bail!(
                    "{} holds {} certificates; the keyring keeps one per file: split it with `cargo xtask keys add` into a fresh keyring",
                    path.display(),
                    found.len()
                );
            }
            let cert = found.remove(0);
            if cert.is_tsk() {
                bail!(
                    "{} holds secret key material: remove it from the tree now, consider the key compromised, and add only its public certificate (`cargo xtask keys add` strips secrets)",
                    path.display()
                );
            }
            let named = format!("{}.asc", cert.fingerprint().to_hex());
            if path.file_name().is_none_or(|name| name.to_string_lossy() != named) {
                bail!(
                    "{} holds the certificate {}: a keyring file is named by its fingerprint, so a review sees which key a change adds; rename it to {named} (or add it with `cargo xtask keys add`)",
                    path.display(),
                    cert.fingerprint()
                );
            }
            if let Some(other) = certs.iter().find(|t| t.cert.fingerprint() == cert.fingerprint()) {
                bail!(
                    "{} and {} hold the same certificate {}: keep one (merge them with `cargo xtask keys add`)",
                    other.path.display(),
                    path.display(),
                    cert.fingerprint()
                );
            }
            certs.push(Trusted { path, cert });
        }
        Ok(Keyring { dir: dir.to_owned(), certs })
    }
}

/// A certificate file larger than this is no maintainer's (one with a few subkeys and
/// signatures is a few KB).
const CERT_CAP: u64 = 1 << 20;

/// Every certificate in a file, armored or binary.
pub fn read_certs(path: &Path) -> Result<Vec<Cert>> {
    let bytes = crate::workspace::read_regular(path, CERT_CAP)?;
    parse_certs(&bytes, path)
}

/// Every certificate in these bytes (from `path`), armored or binary.
fn parse_certs(bytes: &[u8], path: &Path) -> Result<Vec<Cert>> {
    let certs = CertParser::from_bytes(bytes)
        .and_then(|parser| parser.collect::<openpgp::Result<Vec<Cert>>>())
        .with_context(|| format!("{} is not an OpenPGP certificate (armored or binary)", path.display()))?;
    if certs.is_empty() {
        bail!("{} holds no OpenPGP certificate", path.display());
    }
    Ok(certs)
}
