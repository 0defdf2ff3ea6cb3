//! attest/: statements about an image that anyone can check with the tools of the field:
//! `sbom.rs` (`cargo xtask sbom`), what an image is made of, as SPDX 2.3 or CycloneDX 1.6
//! JSON; `provenance.rs` (`cargo xtask provenance`), how it was made, as an in-toto
//! Statement with the SLSA Provenance v1 predicate.
//!
//! Owns the facts an image's documents are made from (`Facts`: the package, its sources,
//! the images it was built from and needs to run, each by its recorded digest, and every
//! file of the recorded image) and where those documents live: the lookaside tree
//! `manifest/attestations/<name>@sha256=<hex>/`, beside the signatures. Never writes a
//! document for an image other than the one manifest/ records, and never puts a time, a
//! random id or a fact of this machine into one: the same image gives the same bytes.

pub mod provenance;
pub mod sbom;

use std::path::{Path, PathBuf};

use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use serde::Serialize;
use sha1::Digest as _;

use crate::image::normalize::Kind;
use crate::image::{layout, normalize};
use crate::manifest::Manifest;
use crate::registry::{Package, Registry};

/// `manifest/attestations/<name>@sha256=<hex>/`: the documents about one image.
pub fn lookaside_dir(root: &Path, name: &str, digest: &str) -> PathBuf {
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    root.join("manifest").join("attestations").join(format!("{name}@sha256={hex}"))
}

/// One document written.
#[derive(Serialize)]
struct Written {
    name: String,
    digest: String,
    path: String,
    files: usize,
}

/// Writes one document per package: `make` gives it from the image's facts and the
/// manifest entry, with its name in the lookaside tree (`sbom.spdx.json`), or, into
/// `out`, as `NAME.spdx.json`, `NAME.provenance.json`. Each written whole or not at all.
pub fn write_each(
    env: &crate::env::Env,
    packages: &[String],
    out: Option<&Path>,
    json: crate::cli::JsonArg,
    make: impl Fn(&Facts, &crate::manifest::Entry) -> Result<(serde_json::Value, &'static str)>,
) -> Result<ExitCode> {
    let _lock = crate::workspace::OutLock::shared(&env.out)?;
    let registry = Registry::load(&env.root)?;
    let manifest = Manifest::load(&env.root)?;
    let mut written = Vec::new();
    for name in packages {
        let facts = Facts::gather(&registry, &manifest, &env.out, name)?;
        let entry = manifest.get(name).expect("gathered facts have an entry");
        let (document, file) = make(&facts, entry)?;
        let path = match out {
            // sbom.spdx.json -> NAME.spdx.json; provenance.json -> NAME.provenance.json.
            Some(dir) => dir.join(match file.split_once('.') {
                Some((_, kind)) if kind.contains('.') => format!("{name}.{kind}"),
                _ => format!("{name}.{file}"),
            }),
            None => lookaside_dir(&env.root, name, &facts.digest).join(file),
        };
        std::fs::create_dir_all(path.parent().expect("a document has a directory"))?;
        let mut bytes = serde_json::to_vec_pretty(&document)?;
        bytes.push(b'\n');
        crate::workspace::write_atomic(&path, &bytes)?;
        written.push(Written {
            name: name.clone(),
            digest: facts.digest.clone(),
            path: path.display().to_string(),
            files: facts.files.len(),
        });
    }
    json.print(&written, || {
        for w in &written {
            println!("{} {} ({} files): {}", w.name, w.digest, w.files, w.path);
        }
    })?;
    Ok(ExitCode::SUCCESS)
}

/// What the documents about one image say.
pub struct Facts {
    pub package: Package,
    /// The image's manifest digest, as manifest/ records it.
    pub digest: String,
    /// What it is built from and what it needs to run: (name, version, digest).
    pub build_deps: Vec<(String, String, String)>,
    pub runtime_deps: Vec<(String, String, String)>,
    /// Its regular files: path (`./usr/bin/make`), sha1, sha256.
    pub files: Vec<FileFacts>,
}

pub struct FileFacts {
    pub path: String,
    pub sha1: String,
    pub sha256: String,
}

impl Facts {
    /// The facts of `name`'s recorded image, read from its layout in `out`, which must be
    /// that image.
    pub fn gather(registry: &Registry, manifest: &Manifest, out: &Path, name: &str) -> Result<Facts> {
        let package = registry.get(name)?.clone();
        let entry = manifest.get(name).with_context(|| format!("manifest/ records no image of {name}: build it"))?;
        let dir = out.join(name);
        let read =
            layout::read(&dir).with_context(|| format!("no built image of {name}: run `cargo xtask build {name}`"))?;
        if read.digest != entry.digest {
            bail!(
                "{} is {}, not the image manifest/ records ({}): documents are made only for the recorded \
                 image; run `cargo xtask build {name}`",
                dir.display(),
                read.digest,
                entry.digest
            );
        }
        let of = |names: &[String]| -> Result<Vec<(String, String, String)>> {
            names
                .iter()
                .map(|dep| {
                    let recorded = manifest.get(dep).with_context(|| format!("manifest/ records no image of {dep}"))?;
                    Ok((dep.clone(), recorded.version.clone(), recorded.digest.clone()))
                })
                .collect()
        };
        let build_deps = of(&package.deps)?;
        let runtime_deps = of(&package.runtime)?;
        let nodes = normalize::read(read.layer_tar()?.as_slice())?;
        let files = nodes
            .iter()
            .filter_map(|node| match &node.kind {
                Kind::File(data) => Some(FileFacts {
                    path: format!("./{}", node.path.trim_start_matches("./").trim_start_matches('/')),
                    sha1: hex::encode(sha1::Sha1::digest(data)),
                    sha256: hex::encode(sha2::Sha256::digest(data)),
                }),
                _ => None,
            })
            .collect();
        Ok(Facts { package, digest: entry.digest.clone(), build_deps, runtime_deps, files })
    }

    pub fn digest_hex(&self) -> &str {
        self.digest.strip_prefix("sha256:").unwrap_or(&self.digest)
    }
}

/// The package URL of one of our images: `pkg:oci/NAME@sha256%3AHEX`.
pub fn image_purl(name: &str, digest: &str) -> String {
    format!("pkg:oci/{name}@{}", digest.replace(':', "%3A"))
}
