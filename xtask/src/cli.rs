//! The flags several commands share, as `#[command(flatten)]` structs, and the exit
//! codes every command keeps to.
//!
//! Exit codes follow diff(1) and sqv: 0 the check passed (or the work was done), 1 it
//! did not (images differ, not reproduced, threshold not met, a package failed), 2 the
//! command could not run (bad flags, a broken tree, no engine to ask).

use std::process::ExitCode;

/// `--engine`: which container engine builds run in.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct EngineArg {
    /// Engine endpoint (unix:///path.sock, tcp://host:port, https://host:port for TLS, or
    /// tcp:// with DOCKER_TLS_VERIFY=1; certificates from DOCKER_CERT_PATH; ssh://user@host); default:
    /// DOCKER_HOST, the Docker socket, then Podman.
    #[arg(long, value_name = "ENDPOINT")]
    pub engine: Option<String>,
}

/// `--engine`, any number of times, for `build`.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct EnginesArg {
    /// Engine endpoint (unix:///path.sock, tcp://host:port, https://host:port for TLS, or
    /// tcp:// with DOCKER_TLS_VERIFY=1; certificates from DOCKER_CERT_PATH; ssh://user@host); give it several times (or
    /// CAIRN_ENGINES, comma separated) to build on all of them at once: each package that
    /// is ready goes to the engine running the fewest builds, and one whose engine stops
    /// answering is built on another. Default: DOCKER_HOST, the Docker socket, then Podman.
    #[arg(long = "engine", value_name = "ENDPOINT", env = "CAIRN_ENGINES", value_delimiter = ',')]
    pub engines: Vec<String>,
}

impl EnginesArg {
    /// The engines to try: each one given, else the one found as every command finds it.
    pub fn resolve(&self, env: &crate::env::Env) -> Vec<crate::env::Engines> {
        let given: Vec<&String> = self.engines.iter().filter(|e| !e.trim().is_empty()).collect();
        if given.is_empty() {
            return vec![env.engines(None)];
        }
        given.into_iter().map(|endpoint| env.engines(Some(endpoint.trim()))).collect()
    }
}

/// `-j`: how many packages build at once.
#[derive(clap::Args, Clone, Copy, Debug)]
pub struct JobsArg {
    /// Packages to build at once, across the engines [default: 2 per engine].
    #[arg(short, long, value_name = "N")]
    pub jobs: Option<usize>,
}

impl JobsArg {
    /// As given, else two for each of `engines`; at least one.
    pub fn get(self, engines: usize) -> usize {
        self.jobs.unwrap_or(2 * engines.max(1)).max(1)
    }
}

impl JsonArg {
    /// Prints a command's report: with `--json`, `report` as one JSON document on stdout;
    /// else what `human` prints. Progress and notes go to stderr either way.
    pub fn print<T: serde::Serialize>(self, report: &T, human: impl FnOnce()) -> anyhow::Result<()> {
        if self.json {
            println!("{}", serde_json::to_string_pretty(report)?);
        } else {
            human();
        }
        Ok(())
    }
}

/// `--cpus`: the builder's core count, varied on purpose.
#[derive(clap::Args, Clone, Copy, Debug, Default)]
pub struct CpusArg {
    /// Give each build N CPUs (the engine's cpuset: `nproc` in a build prints N), as a
    /// machine with N cores would; at most as many as the machine has. The image must not
    /// change: reproduce with another N than the one it was built with to show it.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub cpus: Option<u32>,
}

impl CpusArg {
    /// The count, refused when this machine has fewer CPUs (the engine's own count is
    /// checked again when it connects).
    pub fn resolve(self) -> anyhow::Result<Option<u32>> {
        let Some(cpus) = self.cpus else { return Ok(None) };
        let here = std::thread::available_parallelism().map_or(1, |n| n.get()) as u32;
        if cpus > here {
            anyhow::bail!("--cpus {cpus}: this machine has {here} CPUs; give at most {here}");
        }
        Ok(Some(cpus))
    }
}

/// `--json`: the report for a machine, on stdout.
#[derive(clap::Args, Clone, Copy, Debug, Default)]
pub struct JsonArg {
    /// Print the report as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// The check passed: exit 0.
pub const PASSED: u8 = 0;
/// The check ran and did not pass: exit 1.
pub const NOT_PASSED: u8 = 1;
/// The command could not run: exit 2.
pub const ERROR: u8 = 2;

/// The exit code of a check that ran: 0 if it passed, else 1.
pub fn verdict(passed: bool) -> ExitCode {
    ExitCode::from(if passed { PASSED } else { NOT_PASSED })
}
