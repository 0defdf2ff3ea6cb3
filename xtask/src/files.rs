//! `cargo xtask files PKG`: what a built image holds, one line per entry.

use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::env::Env;
use crate::image::{layout, normalize};

#[derive(clap::Args)]
pub struct FilesArgs {
    /// The package whose built image (out/PKG) to list.
    pub package: String,
}

/// Prints `<type><mode> <uid>:<gid> <size> <path> <sha256 | -> target | => hardlink>`.
pub fn run(args: FilesArgs, env: &Env) -> Result<ExitCode> {
    let _lock = crate::workspace::OutLock::shared(&env.out)?;
    let dir = env.out.join(&args.package);
    let read = layout::read(&dir)
        .with_context(|| format!("no built image of {}: run `cargo xtask build {}`", args.package, args.package))?;
    let nodes = normalize::read(read.layer_tar()?.as_slice())?;
    print!("{}", normalize::listing(&nodes));
    Ok(ExitCode::SUCCESS)
}
