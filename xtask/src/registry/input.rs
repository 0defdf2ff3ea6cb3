//! The input hash: sha256 over everything a build reads, in a canonical text form. Same
//! input hash and an `out/` layout that verifies against manifest/ means up to date.
//!
//! The text is one line per item, a keyword and a fixed number of fields, in a fixed
//! order; the registry refuses any field value with a space or a control character
//! (`registry::check_tokens`), so no two inputs write the same text. What the code does
//! to the bytes (the normalizer, the build context's modes and times, the rootfs
//! layout's modes, the engine's build options) enters as `normalize::FORMAT`, bumped
//! whenever it changes them; `image::normalize`'s fixture test and `build::context`'s
//! pinned context digest fail when it should have been.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use crate::image::{layout, normalize};
use crate::registry::{Package, Recipe};

/// sha256 over everything a build reads, in a canonical text form.
/// The input hash of a package in this tree, its dependencies at their recorded digests:
/// what its build would hash now, if the recorded images are built on.
pub fn current_input(
    registry: &crate::registry::Registry,
    manifest: &crate::manifest::Manifest,
    name: &str,
) -> anyhow::Result<String> {
    let package = registry.get(name)?;
    let deps: BTreeMap<String, String> =
        package.deps.iter().filter_map(|d| manifest.get(d).map(|e| (d.clone(), e.digest.clone()))).collect();
    Ok(input_hash(package, &deps))
}

pub fn input_hash(package: &Package, dep_digests: &BTreeMap<String, String>) -> String {
    let mut text = String::new();
    text.push_str(&format!(
        "cairn-input-1\nformat {}\nname {}\nversion {}\n",
        normalize::FORMAT,
        package.name,
        package.version
    ));
    match &package.recipe {
        Recipe::Containerfile(containerfile) => {
            text.push_str(&format!("containerfile {}\n", hex::encode(Sha256::digest(containerfile))));
        }
        Recipe::Rebuild(rebuild) => {
            let containerfile = rebuild.containerfile.as_deref().unwrap_or_default();
            text.push_str(&format!("containerfile {}\n", hex::encode(Sha256::digest(containerfile))));
            text.push_str(&format!("rebuild {}\n", rebuild.of));
            for (from, to) in &rebuild.replace {
                text.push_str(&format!("replace {from} {to}\n"));
            }
        }
        Recipe::DebianRootfs(rootfs) => {
            for dir in &rootfs.dirs {
                text.push_str(&format!("dir {dir}\n"));
            }
            for (path, contents) in &rootfs.files {
                text.push_str(&format!("put {path} {}\n", hex::encode(Sha256::digest(contents))));
            }
            for (path, target) in &rootfs.links {
                text.push_str(&format!("link {path} {target}\n"));
            }
            if let Some(prefix) = &rootfs.installer_prefix {
                text.push_str(&format!("installers {prefix}\n"));
            }
        }
    }
    for source in &package.sources {
        text.push_str(&format!("source {} {}\n", source.file, source.sha256));
    }
    for file in &package.files {
        text.push_str(&format!("file {} {}\n", file.name, hex::encode(Sha256::digest(&file.contents))));
    }
    for (name, digest) in dep_digests {
        text.push_str(&format!("dep {name} {digest}\n"));
    }
    layout::sha256(text.as_bytes())
}
