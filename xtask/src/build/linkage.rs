//! The runtime check of `build`: every ELF file of an image finds the libraries it loads
//! in the image or in what the package declares it needs to run (`runtime`, taken
//! transitively), stacked as `cargo xtask run` stacks them.
//!
//! What a layer needs and provides ([`elf::scan`]) is kept in `out/linkage/<hex>.json`,
//! by the layer's diff_id, so a build that finds everything up to date checks every
//! image again (a changed `runtime` is caught without a rebuild) for the price of
//! reading those files.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::image::elf::{self, Linkage};
use crate::image::layout;

fn path(out: &Path, diff_id: &str) -> PathBuf {
    out.join("linkage").join(format!("{}.json", diff_id.trim_start_matches("sha256:")))
}

/// Records what a scan of the layer `diff_id` found.
pub fn save(out: &Path, diff_id: &str, linkage: &Linkage) -> Result<()> {
    let path = path(out, diff_id);
    std::fs::create_dir_all(path.parent().expect("in out/linkage"))?;
    crate::workspace::write_atomic(&path, &serde_json::to_vec(linkage)?)
}

/// What the image in `out/<name>` needs and provides: recorded, or scanned now.
pub fn of(out: &Path, name: &str) -> Result<Linkage> {
    let dir = out.join(name);
    let head = layout::read_metadata(&dir)
        .with_context(|| format!("no image of {name} in {}: build it first", dir.display()))?;
    let recorded = std::fs::read(path(out, &head.diff_id)).ok().and_then(|bytes| {
        serde_json::from_slice::<Linkage>(&bytes).ok().filter(|linkage| linkage.format == elf::FORMAT)
    });
    if let Some(linkage) = recorded {
        return Ok(linkage);
    }
    let linkage = elf::scan(&layout::read(&dir)?.layer_tar()?[..])?;
    save(out, &head.diff_id, &linkage)?;
    Ok(linkage)
}

/// Fails, naming each file and library, when a program of `name` (whose scan is `own`)
/// needs a library that neither it nor the images of `runtime` (its runtime closure, in
/// order) provide.
pub fn check(out: &Path, name: &str, dir: &Path, own: &Linkage, runtime: &[String]) -> Result<()> {
    let others: Vec<Linkage> = runtime.iter().map(|dep| of(out, dep)).collect::<Result<_>>()?;
    let missing = elf::missing(own, &others.iter().collect::<Vec<_>>());
    if missing.is_empty() {
        return Ok(());
    }
    let beside = if runtime.is_empty() {
        "it declares nothing it needs to run".to_owned()
    } else {
        format!("nor do the images it needs to run ({})", runtime.join(", "))
    };
    const SHOWN: usize = 12;
    let mut lines: Vec<String> = missing
        .iter()
        .take(SHOWN)
        .map(|m| {
            if m.interpreter {
                format!("  {} is loaded by {}, which no image provides", m.file, m.library)
            } else {
                format!("  {} needs {}", m.file, m.library)
            }
        })
        .collect();
    if missing.len() > SHOWN {
        lines.push(format!("  and {} more", missing.len() - SHOWN));
    }
    let dir = dir.display();
    bail!(
        "cairn/{name} holds programs that cannot run: the libraries they load are not in the image, and {beside}:\n{}\n\
         add the package that provides each to `runtime` in {dir}/src/lib.rs (and to its Cargo.toml)",
        lines.join("\n")
    )
}
