//! `cargo xtask load`: put a built image into the local engine as `cairn/PKG`.

use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::cli::EngineArg;
use crate::engine::Engine;
use crate::env::Env;
use crate::image::layout;

#[derive(clap::Args)]
pub struct LoadArgs {
    /// The package whose image to load (built first with `cargo xtask build PKG`).
    pub package: String,
    #[command(flatten)]
    pub engine: EngineArg,
}

pub fn run(args: LoadArgs, env: &Env) -> Result<ExitCode> {
    let _lock = crate::workspace::OutLock::shared(&env.out)?;
    let dir = env.out.join(&args.package);
    let read = layout::read(&dir).with_context(|| {
        format!("no built image of {} in {}: run `cargo xtask build {}`", args.package, dir.display(), args.package)
    })?;
    let config_digest = layout::sha256(&read.config);
    let tag = format!("cairn/{}:latest", args.package);
    let archive = layout::docker_archive(&read, &tag)?;
    tokio::runtime::Runtime::new()?.block_on(async {
        let engine = Engine::connect(&env.engines(args.engine.engine.as_deref())).await?;
        engine.load(archive, &tag, &config_digest).await?;
        println!("loaded cairn/{} ({}) into {}; image ID {config_digest}", args.package, read.digest, engine.name);
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}
