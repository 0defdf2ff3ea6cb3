//! `cargo xtask run PKG... -- COMMAND...`: runs a command on built images stacked.
//!
//! The images of the named packages and of what each needs to run (`runtime` in its
//! crate, transitively) are stacked into one image in the engine only: each image's
//! layer as it is, each package after what it needs, in the order named, so the same
//! packages give the same image. The command runs in a container of it with no network
//! (only `lo`), and both are removed when it ends. Its exit code is ours.

use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::cli::EngineArg;
use crate::engine::runs;
use crate::engine::Engine;
use crate::env::Env;
use crate::image::layout;
use crate::registry::Registry;

#[derive(clap::Args)]
#[command(after_help = "Example: cargo xtask run curl -- curl --version\n\
                        cargo xtask run toolchain make zlib -- sh -c 'make --version; cc --version'\n\n\
                        Stdin is not connected; the network is off. Images are taken from out/ as \
                        they are there: build them first.")]
pub struct RunArgs {
    /// Packages whose images to stack, each with what it needs to run. A path in several
    /// comes from the one stacked last: a package comes after what it needs, and the
    /// packages in the order given.
    #[arg(required = true)]
    pub packages: Vec<String>,
    /// The command and its arguments, after `--`.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<String>,
    /// Print the stacked images, bottom first, with their digests, before running.
    #[arg(long, short)]
    pub verbose: bool,
    #[command(flatten)]
    pub engine: EngineArg,
}

pub fn run(args: RunArgs, env: &Env) -> Result<ExitCode> {
    let _lock = crate::workspace::OutLock::shared(&env.out)?;
    let registry = Registry::load(&env.root)?;
    let stack = registry.stack_to_run(&args.packages)?;
    let mut layouts = Vec::with_capacity(stack.len());
    for name in &stack {
        let dir = env.out.join(name);
        let read = layout::read(&dir).with_context(|| {
            let needed =
                if args.packages.contains(name) { String::new() } else { " (needed to run what you named)".into() };
            format!("no built image of {name}{needed} in {}: run `cargo xtask build {name}`", dir.display())
        })?;
        layouts.push(read);
    }
    if args.verbose {
        for (name, layout) in stack.iter().zip(&layouts) {
            eprintln!("cairn/{name} {}", layout.digest);
        }
    }
    let images: Vec<(&str, &layout::Layout)> = stack.iter().map(String::as_str).zip(&layouts).collect();
    let tag = format!("cairn/run:{}", runs::this());
    let (archive, config_digest) = layout::stacked_archive(&images, &tag)?;
    let code = tokio::runtime::Runtime::new()?.block_on(async {
        let engine = Engine::connect(&env.engines(args.engine.engine.as_deref())).await?;
        let code = async {
            engine.load(archive, &tag, &config_digest).await?;
            engine.run(&tag, &args.command).await
        }
        .await;
        engine.cleanup().await;
        code
    })?;
    Ok(ExitCode::from(u8::try_from(code).unwrap_or(if code == 0 { 0 } else { 1 })))
}
