//! `cargo xtask gc`: removes from an engine what killed runs of this host left there.

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::{EngineArg, JsonArg};
use crate::engine::Engine;
use crate::env::Env;

/// The concepts behind the command, shown under its options by `--help`.
const ABOUT: &str = "\
A run names everything it creates in the engine with its run id, <host>-<pid>: the tags of the \
images it builds and loads (cairn/NAME:WHAT.<id>), its export containers \
(cairn-export.<id>.IMAGE), and the label dev.cairn.run=<id> on every image its builds make on the \
way and the containers of their steps. A run removes them when it ends, even on Ctrl-C; a run that \
was killed (SIGKILL, a crash, a reboot) cannot. `gc` removes the objects of runs of this host whose \
process is gone, and nothing else: not images you tagged, not what runs on other hosts sharing the \
engine hold. Every build and reproduce does the same when it starts. An engine finishes the build \
step it was running for a client that died, and may commit its image after that: run gc again once \
nothing of the dead run is running. On Podman, a service that died in the middle of a build leaves \
buildah's working containers in storage, where the API does not show them: gc finds those whose \
image is the dead run's and removes them with the `podman` client (`podman ps --external`).";

#[derive(clap::Args)]
#[command(after_help = ABOUT)]
pub struct GcArgs {
    #[command(flatten)]
    pub engine: EngineArg,
    #[command(flatten)]
    pub json: JsonArg,
}

pub fn run(args: GcArgs, env: &Env) -> Result<ExitCode> {
    let (name, swept) = tokio::runtime::Runtime::new()?.block_on(async {
        let engine = Engine::connect(&env.engines(args.engine.engine.as_deref())).await?;
        let swept = engine.sweep_dead_runs().await?;
        Ok::<_, anyhow::Error>((engine.name.clone(), swept))
    })?;
    if args.json.json {
        println!("{}", serde_json::to_string_pretty(&swept)?);
    }
    eprintln!(
        "{name}: removed {} container(s), {} tag(s) and {} image(s) left by killed runs",
        swept.containers.len(),
        swept.tags.len(),
        swept.images.len()
    );
    Ok(ExitCode::SUCCESS)
}
