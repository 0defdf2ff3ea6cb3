//! `cargo xtask export` and `import`: images carried between machines as a directory of
//! OCI layouts, admitted on the other side only as manifest/ records them.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use serde::Serialize;

use crate::cli::JsonArg;
use crate::distribution::substitute::{GateArgs, Source};
use crate::env::Env;
use crate::image::layout;
use crate::manifest::Manifest;
use crate::registry::Registry;
use crate::workspace::OutLock;

const EXPORT_ABOUT: &str = "\
Each image named (else every one in out/ that manifest/ records) is read from out/<name>/, every blob checked, \
and must be the image manifest/ records; it is written to DIR/<name>/ (an OCI image layout, with \
DIR/<name>.tgz its layer), each complete or absent. Carry DIR to another machine and `cargo xtask \
import DIR` there, or give it to `cargo xtask build --substitute DIR`.";

const IMPORT_ABOUT: &str = "\
An image is taken from DIR/<name>/ only if it is the one manifest/ records for the package's current \
inputs: manifest/'s entry must be up to date with the tree (its input hash is the one a build would \
compute now), the manifest in DIR must hash to the recorded digest and every blob to the digest it is \
named by. With --threshold M, the digest must also carry valid signatures by M maintainers of a keyring \
you chose (--keyring DIR or --authenticated). Nothing else in DIR is read, and nothing in out/ changes \
for an image that is refused. Exit status 1 when an image was refused or a named one is missing.";

#[derive(clap::Args)]
#[command(after_help = EXPORT_ABOUT)]
pub struct ExportArgs {
    /// The directory to write layouts into (created if missing).
    pub dir: PathBuf,
    /// Packages to export (default: every image in out/ that manifest/ records).
    pub packages: Vec<String>,
    #[command(flatten)]
    pub json: JsonArg,
}

#[derive(clap::Args)]
#[command(after_help = IMPORT_ABOUT)]
pub struct ImportArgs {
    /// A directory of layouts, DIR/<name>/, as `export` writes it.
    pub dir: PathBuf,
    /// Packages to import (default: every package recorded in manifest/ that DIR holds).
    pub packages: Vec<String>,
    #[command(flatten)]
    pub gate: GateArgs,
    #[command(flatten)]
    pub json: JsonArg,
}

/// One image in `export --json` and `import --json`.
#[derive(Debug, Serialize)]
pub struct Moved {
    pub name: String,
    /// export: `exported`; import: `imported`, `up to date`, `missing`, `stale`, `refused`.
    pub status: &'static str,
    pub digest: String,
    /// Why it was not imported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The layouts in out/ of the packages named (else of every recorded image out/ holds),
/// each read, every blob checked, and the image manifest/ records: else an error that
/// says what to build, and nothing is `verb`ed.
pub fn recorded_layouts<'a>(
    env: &Env,
    manifest: &'a Manifest,
    packages: &[String],
    verb: &str,
) -> Result<Vec<(&'a crate::manifest::Entry, layout::Layout)>> {
    let mut entries = manifest.select(packages)?;
    if packages.is_empty() {
        entries.retain(|entry| env.out.join(&entry.name).join("index.json").exists());
        if entries.is_empty() {
            bail!("out/ holds no image manifest/ records: build first (`cargo xtask build`)");
        }
    }
    let mut layouts = Vec::new();
    for entry in entries {
        let dir = env.out.join(&entry.name);
        let read = layout::read(&dir).with_context(|| {
            format!("no image of {} in {}: run `cargo xtask build {}`", entry.name, dir.display(), entry.name)
        })?;
        if read.digest != entry.digest {
            bail!(
                "{} holds {}, but manifest/ records {} for {}: {verb} only the recorded image (`cargo xtask build {}`)",
                dir.display(),
                read.digest,
                entry.digest,
                entry.name,
                entry.name
            );
        }
        layouts.push((entry, read));
    }
    Ok(layouts)
}

pub fn export(args: ExportArgs, env: &Env) -> Result<ExitCode> {
    let _lock = OutLock::shared(&env.out)?;
    let manifest = Manifest::load(&env.root)?;
    let images = recorded_layouts(env, &manifest, &args.packages, "export")?;
    std::fs::create_dir_all(&args.dir).with_context(|| format!("creating {}", args.dir.display()))?;
    let mut moved = Vec::new();
    for (entry, read) in images {
        let image = layout::Image {
            layer_gz: std::fs::read(read.layer_path())?,
            layer_digest: read.layer_digest.clone(),
            diff_id: read.diff_id.clone(),
            config: read.config.clone(),
            manifest: read.manifest_bytes.clone(),
            digest: read.digest.clone(),
        };
        layout::write(&args.dir, &entry.name, &entry.version, &image)?;
        eprintln!("exported {} {} to {}", entry.name, entry.digest, args.dir.join(&entry.name).display());
        moved.push(Moved { name: entry.name.clone(), status: "exported", digest: entry.digest.clone(), reason: None });
    }
    if args.json.json {
        println!("{}", serde_json::to_string_pretty(&moved)?);
    }
    Ok(ExitCode::SUCCESS)
}

pub fn import(args: ImportArgs, env: &Env) -> Result<ExitCode> {
    let _lock = OutLock::exclusive(&env.out)?;
    let registry = Registry::load(&env.root)?;
    let manifest = Manifest::load(&env.root)?;
    let entries = manifest.select(&args.packages)?;
    if !args.dir.is_dir() {
        bail!("{} is not a directory of layouts", args.dir.display());
    }
    let gate = args.gate.resolve(env)?;
    let source = Source::Dir(args.dir.clone());
    let runtime = tokio::runtime::Runtime::new()?;
    let mut moved = Vec::new();
    let mut failed = false;
    for entry in entries {
        let status = |status: &'static str, reason: Option<String>| Moved {
            name: entry.name.clone(),
            status,
            digest: entry.digest.clone(),
            reason,
        };
        let named = args.packages.contains(&entry.name);
        if !args.dir.join(&entry.name).is_dir() {
            failed |= named;
            moved.push(status("missing", Some(format!("{} holds no layout of it", args.dir.display()))));
            continue;
        }
        // The input hash a build would compute now, from the recorded digests of its
        // dependencies: an entry recorded for other inputs is not this tree's image.
        let current = crate::registry::input::current_input(&registry, &manifest, &entry.name).ok();
        if current.as_deref() != Some(entry.input.as_str()) {
            failed |= named;
            let reason = "manifest/ records it for other inputs than the tree's: build it".to_owned();
            moved.push(status("stale", Some(reason)));
            continue;
        }
        if layout::verify(&env.out.join(&entry.name)).is_ok_and(|digest| digest == entry.digest) {
            moved.push(status("up to date", None));
            continue;
        }
        if let Some(gate) = &gate {
            if let Err(why) = gate.admits(entry) {
                failed = true;
                eprintln!("refused {}: {why}", entry.name);
                moved.push(status("refused", Some(why)));
                continue;
            }
        }
        match runtime.block_on(crate::distribution::substitute::fetch(&source, entry)) {
            Ok(image) => {
                layout::write(&env.out, &entry.name, &entry.version, &image)?;
                eprintln!("imported {} {}", entry.name, entry.digest);
                moved.push(status("imported", None));
            }
            Err(error) => {
                failed = true;
                eprintln!("refused {}: {error:#}", entry.name);
                moved.push(status("refused", Some(format!("{error:#}"))));
            }
        }
    }
    if args.json.json {
        println!("{}", serde_json::to_string_pretty(&moved)?);
    }
    let count = |s: &str| moved.iter().filter(|m| m.status == s).count();
    eprintln!(
        "{} imported, {} up to date, {} refused, {} stale, {} missing",
        count("imported"),
        count("up to date"),
        count("refused"),
        count("stale"),
        count("missing")
    );
    Ok(crate::cli::verdict(!failed))
}
