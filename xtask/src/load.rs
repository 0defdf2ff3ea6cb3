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
    #[command(flatten)]
    pub json: crate::cli::JsonArg,
}

/// `load --json`.
#[derive(serde::Serialize)]
struct Loaded<'a> {
    name: &'a str,
    /// The tag it has in the engine.
    tag: &'a str,
    /// The manifest digest manifest/ records.
    digest: &'a str,
    /// The engine's image ID: the config's digest.
    image_id: &'a str,
    engine: &'a str,
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
        let loaded = Loaded {
            name: &args.package,
            tag: &tag,
            digest: &read.digest,
            image_id: &config_digest,
            engine: &engine.name,
        };
        args.json.print(&loaded, || {
            println!("loaded cairn/{} ({}) into {}; image ID {config_digest}", args.package, read.digest, engine.name)
        })
    })?;
    Ok(ExitCode::SUCCESS)
}
