//! `cargo xtask files PKG`: what a built image holds, one line per entry.

use std::process::ExitCode;

use anyhow::{Context, Result};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::cli::JsonArg;
use crate::env::Env;
use crate::image::normalize::{Kind, Node};
use crate::image::{layout, normalize};

#[derive(clap::Args)]
pub struct FilesArgs {
    /// The package whose built image (out/PKG) to list.
    pub package: String,
    #[command(flatten)]
    pub json: JsonArg,
}

/// One entry of `files --json`.
#[derive(Serialize)]
struct Entry<'a> {
    path: &'a str,
    /// `file`, `dir`, `symlink`, `hardlink`, `char`, `block` or `fifo`.
    kind: &'static str,
    /// Permission bits with setuid, setgid and sticky, in octal: `0755`.
    mode: String,
    uid: u64,
    gid: u64,
    size: u64,
    /// A file's contents.
    #[serde(skip_serializing_if = "Option::is_none")]
    sha256: Option<String>,
    /// A symlink's target, or the path a hard link shares its file with.
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<&'a str>,
}

fn entry(node: &Node) -> Entry<'_> {
    let (kind, sha256, target) = match &node.kind {
        Kind::File(data) => ("file", Some(format!("sha256:{}", hex::encode(Sha256::digest(data)))), None),
        Kind::Dir => ("dir", None, None),
        Kind::Symlink(target) => ("symlink", None, Some(target.as_str())),
        Kind::Hardlink(target) => ("hardlink", None, Some(target.as_str())),
        Kind::Char(..) => ("char", None, None),
        Kind::Block(..) => ("block", None, None),
        Kind::Fifo => ("fifo", None, None),
    };
    Entry {
        path: &node.path,
        kind,
        mode: format!("{:04o}", node.mode),
        uid: node.uid,
        gid: node.gid,
        size: node.size(),
        sha256,
        target,
    }
}

/// Prints `<type><mode> <uid>:<gid> <size> <path> <sha256 | -> target | => hardlink>`.
pub fn run(args: FilesArgs, env: &Env) -> Result<ExitCode> {
    let _lock = crate::workspace::OutLock::shared(&env.out)?;
    let dir = env.out.join(&args.package);
    let read = layout::read(&dir)
        .with_context(|| format!("no built image of {}: run `cargo xtask build {}`", args.package, args.package))?;
    let nodes = normalize::read(read.layer_tar()?.as_slice())?;
    let entries: Vec<Entry> = nodes.iter().map(entry).collect();
    args.json.print(&entries, || print!("{}", normalize::listing(&nodes)))?;
    Ok(ExitCode::SUCCESS)
}
