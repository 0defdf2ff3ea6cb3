//! Receipts: what `reproduce` saw on this machine, and what `sign` requires.
//!
//! A signature says "I rebuilt this image and got exactly this digest". A layout in
//! `out/` whose digest matches manifest/ proves nothing of the kind: it may be a copied
//! CI artifact or a download. So `reproduce` writes, for each package it rebuilt from
//! scratch with the recorded digest, a receipt `out/receipts/<name>@sha256=<hex>.json`
//! (package, version, input hash, digest, engine, time), and `sign` signs a digest only
//! with a receipt for it whose input is the one manifest/ records. A receipt is a
//! record for the maintainer's own use, not a proof to anyone else: whoever can write
//! `out/` can write one. Beside it, `<name>@sha256=<hex>.intoto.json` says the same as an
//! in-toto Statement (a reproduced-by statement), for others once it is signed.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::manifest::Entry;

/// One package reproduced here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    pub package: String,
    pub version: String,
    /// The input hash of the recipe that was rebuilt.
    pub input: String,
    /// The manifest digest the rebuild gave: the recorded one.
    pub digest: String,
    /// The engine it was rebuilt on, "Docker 20.10.24".
    pub engine: String,
    /// When the rebuild finished, UTC.
    pub reproduced_at: String,
    /// How long the rebuild took, in seconds.
    pub seconds: f64,
    /// The tool that rebuilt it, with its commit: `cairn xtask 0.1.0 (commit 6384304…)`.
    pub tool: String,
    /// The machine it was rebuilt on: CPUs, CPU, kernel, engine (absent in receipts
    /// written before machines were recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine: Option<crate::machine::Machine>,
}

/// The tool as receipts name it: its version and the commit of the checkout it was
/// compiled from, `modified` when the xtask's files there differ from that commit.
pub fn tool() -> String {
    let root = Path::new(crate::env::COMPILED_FOR);
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(root)
            .stderr(std::process::Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let version = concat!("cairn xtask ", env!("CARGO_PKG_VERSION"));
    match git(&["rev-parse", "HEAD"]) {
        Some(commit) if !commit.is_empty() => {
            let modified = git(&["status", "--porcelain", "--", "xtask", "Cargo.lock", ".cargo"])
                .is_some_and(|changes| !changes.is_empty());
            format!("{version} (commit {commit}{})", if modified { ", modified" } else { "" })
        }
        _ => format!("{version} (not in a git checkout)"),
    }
}

/// `out/receipts/`.
pub fn dir(out: &Path) -> PathBuf {
    out.join("receipts")
}

/// `out/receipts/<name>@sha256=<hex>.json`: one file per image reproduced.
pub fn path(out: &Path, name: &str, digest: &str) -> PathBuf {
    dir(out).join(format!("{name}@{}.json", digest.replacen(':', "=", 1)))
}

/// The predicate type of a reproduced-by statement.
pub const REPRODUCED_BY: &str = "urn:cairn:predicate:reproduced-by:v1";

/// `out/receipts/<name>@sha256=<hex>.intoto.json`: the receipt as an in-toto Statement.
pub fn statement_path(out: &Path, name: &str, digest: &str) -> PathBuf {
    dir(out).join(format!("{name}@{}.intoto.json", digest.replacen(':', "=", 1)))
}

/// The receipt as an in-toto Statement v1 that others can check: its subject the image by
/// digest, its predicate (`urn:cairn:predicate:reproduced-by:v1`) the package, the input
/// hash it was rebuilt from, the machine, the engine, the tool with its commit and when.
/// Unsigned here; `sign` signs it.
pub fn statement(receipt: &Receipt) -> serde_json::Value {
    serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{
            "name": format!("cairn/{}", receipt.package),
            "digest": { "sha256": receipt.digest.strip_prefix("sha256:").unwrap_or(&receipt.digest) },
        }],
        "predicateType": REPRODUCED_BY,
        "predicate": {
            "package": receipt.package,
            "version": receipt.version,
            "input": receipt.input,
            "engine": receipt.engine,
            "machine": receipt.machine,
            "tool": receipt.tool,
            "reproducedAt": receipt.reproduced_at,
            "seconds": (receipt.seconds * 10.0).round() / 10.0,
        },
    })
}

/// Records a receipt, and beside it the same as an in-toto Statement, each whole or not
/// at all.
pub fn write(out: &Path, receipt: &Receipt) -> Result<PathBuf> {
    let path = path(out, &receipt.package, &receipt.digest);
    let mut json = serde_json::to_vec_pretty(receipt)?;
    json.push(b'\n');
    crate::workspace::write_atomic(&path, &json)?;
    let mut statement = serde_json::to_vec_pretty(&statement(receipt))?;
    statement.push(b'\n');
    crate::workspace::write_atomic(&statement_path(out, &receipt.package, &receipt.digest), &statement)?;
    Ok(path)
}

/// Why `sign` may not sign an entry, or None when a receipt covers it.
pub fn missing(out: &Path, entry: &Entry) -> Result<Option<String>> {
    Ok(load(out, entry)?.err())
}

/// The receipt of the reproduce that rebuilt `entry` here, or why there is none that
/// covers it (another image, other inputs).
pub fn load(out: &Path, entry: &Entry) -> Result<std::result::Result<Receipt, String>> {
    let path = path(out, &entry.name, &entry.digest);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Err(format!(
                "{}: no receipt {} that you reproduced {}: run `cargo xtask reproduce {}` first",
                entry.name,
                path.display(),
                entry.digest,
                entry.name
            )))
        }
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let receipt: Receipt = serde_json::from_str(&text).with_context(|| {
        format!("{} is not a receipt; remove it and run `cargo xtask reproduce {}`", path.display(), entry.name)
    })?;
    if receipt.package != entry.name || receipt.digest != entry.digest {
        return Ok(Err(format!(
            "{}: {} is a receipt for {} at {}, not for this image; remove it and run `cargo xtask reproduce {}`",
            entry.name,
            path.display(),
            receipt.package,
            receipt.digest,
            entry.name
        )));
    }
    if receipt.input != entry.input {
        return Ok(Err(format!(
            "{}: reproduced from input {}, but manifest/ records input {}: the recipe changed since; run `cargo xtask reproduce {}` again",
            entry.name, receipt.input, entry.input, entry.name
        )));
    }
    Ok(Ok(receipt))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Entry {
        crate::manifest::tests::sample()
    }

    fn receipt(entry: &Entry) -> Receipt {
        Receipt {
            package: entry.name.clone(),
            version: entry.version.clone(),
            input: entry.input.clone(),
            digest: entry.digest.clone(),
            engine: "Docker 20.10.24".into(),
            reproduced_at: "2026-12-02T00:00:00Z".into(),
            seconds: 1.5,
            tool: "cairn xtask 0.1.0".into(),
            machine: None,
        }
    }

    #[test]
    fn a_receipt_covers_exactly_its_digest_and_input() {
        let out = tempfile::tempdir().unwrap();
        let entry = entry();
        assert!(missing(out.path(), &entry).unwrap().unwrap().contains("cargo xtask reproduce musl"));
        let written = write(out.path(), &receipt(&entry)).unwrap();
        assert!(written.ends_with(format!("receipts/musl@sha256={}.json", "2".repeat(64))));
        assert_eq!(missing(out.path(), &entry).unwrap(), None);

        let mut changed = entry.clone();
        changed.input = format!("sha256:{}", "9".repeat(64));
        assert!(missing(out.path(), &changed).unwrap().unwrap().contains("the recipe changed"));
        let mut other = entry.clone();
        other.digest = format!("sha256:{}", "8".repeat(64));
        assert!(missing(out.path(), &other).unwrap().is_some());
    }

    #[test]
    fn a_receipt_moved_to_another_name_does_not_count() {
        let out = tempfile::tempdir().unwrap();
        let entry = entry();
        let mut for_busybox = receipt(&entry);
        for_busybox.package = "busybox".into();
        let bytes = serde_json::to_vec(&for_busybox).unwrap();
        std::fs::create_dir_all(dir(out.path())).unwrap();
        std::fs::write(path(out.path(), &entry.name, &entry.digest), bytes).unwrap();
        assert!(missing(out.path(), &entry).unwrap().unwrap().contains("not for this image"));
    }
}
