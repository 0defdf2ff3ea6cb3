//! build/: packages to images, in dependency order, in parallel (`cargo xtask build`).
//!
//! Owns the scheduler (`schedule`), the build context (`context`), the rootfs laid out
//! from binary packages (`rootfs`), the runtime check (`linkage`) and the leak scan
//! (`leaks`); it builds on the engine service (`crate::engine`). The input hash of a
//! package (`registry::input`: its recipe, sources, files and the digests of the images
//! it is built from) decides whether it needs building: an up-to-date package is skipped
//! once its `out/` layout is checked against manifest/. This folder never
//! decides a digest (image/ does, from the bytes the engine exported), never lets a build
//! reach the network or the host, and writes out/ and manifest/ only through the atomic
//! writes of `workspace`.

pub mod context;
pub mod estimate;
pub mod leaks;
mod linkage;
pub mod rootfs;
mod schedule;

pub use schedule::{build_all, runtime_waits};

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Result;
use serde::Serialize;

use crate::cli::{self, JobsArg, JsonArg};
use crate::distribution::oci::{Target, TransportArgs};
use crate::env::{Engines, Env};
use crate::registry::Registry;
use crate::workspace::OutLock;

#[derive(clap::Args)]
pub struct BuildArgs {
    /// Packages to build, with everything they need (default: all but the second root of
    /// the toolchain proof, which `cargo xtask bootstrap prove --toolchain` builds).
    pub packages: Vec<String>,
    #[command(flatten)]
    pub jobs: JobsArg,
    /// Build even what is up to date.
    #[arg(long)]
    pub rebuild: bool,
    #[command(flatten)]
    pub engines: cli::EnginesArg,
    #[command(flatten)]
    pub json: JsonArg,
    /// Say what would be built and why nothing else is; build nothing, fetch nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub substitute: crate::distribution::substitute::SubstituteArgs,
    /// Load dependencies into the engines through this registry (HOST[:PORT]/NAMESPACE,
    /// as `push` takes it; also CAIRN_STORE): each is pushed there once per run, by
    /// digest, and each engine that needs it pulls it from there, instead of this
    /// machine streaming it to every engine. The engines must reach the registry.
    #[arg(long, value_name = "REGISTRY", env = "CAIRN_STORE")]
    pub store: Option<String>,
    #[command(flatten)]
    pub cpus: cli::CpusArg,
}

/// How one package's build ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Built {
        digest: String,
    },
    /// Fetched from `source` as manifest/ records it for the current input hash.
    Substituted {
        digest: String,
        source: String,
    },
    UpToDate {
        digest: String,
    },
    Failed {
        error: String,
    },
    Skipped {
        because: String,
    },
    /// `--dry-run`: out of date, or built on something that is.
    WouldBuild,
}

impl Outcome {
    pub fn digest(&self) -> Option<&str> {
        match self {
            Outcome::Built { digest } | Outcome::UpToDate { digest } | Outcome::Substituted { digest, .. } => {
                Some(digest)
            }
            _ => None,
        }
    }

    fn label(&self) -> &'static str {
        match self {
            Outcome::Built { .. } => "built",
            Outcome::Substituted { .. } => "substituted",
            Outcome::UpToDate { .. } => "up to date",
            Outcome::Failed { .. } => "failed",
            Outcome::Skipped { .. } => "skipped",
            Outcome::WouldBuild => "would build",
        }
    }
}

pub fn run(args: BuildArgs, env: &Env) -> Result<ExitCode> {
    // A dry run only reads out/.
    let _lock = if args.dry_run { OutLock::shared(&env.out)? } else { OutLock::exclusive(&env.out)? };
    let registry = Registry::load(&env.root)?;
    let wanted: Vec<String> = if args.packages.is_empty() { registry.default_set() } else { args.packages.clone() };
    let order = registry.order_to_run(wanted)?;
    let engines = args.engines.resolve(env);
    let options = Options {
        env: env.clone(),
        out: env.out.clone(),
        jobs: args.jobs.get(engines.len()),
        rebuild: args.rebuild,
        engines,
        label: "build",
        record: true,
        check_runtime: true,
        given: BTreeMap::new(),
        dry_run: args.dry_run,
        substitutes: args.substitute.resolve(env)?,
        store: match args.store.as_deref() {
            Some(text) => Some(Store { target: Target::parse(text)?, transport: args.substitute.transport }),
            None => None,
        },
        cpus: args.cpus.resolve()?,
    };
    let runtime = tokio::runtime::Runtime::new()?;
    let started = Instant::now();
    let results = runtime.block_on(build_all(&registry, &order, &options))?;
    report(&results, started.elapsed(), args.json.json)
}

/// What `build` would do for `order` (dependencies first) without building or fetching
/// anything: each package up to date, or to build (`--rebuild`: every one).
///
/// Takes no lock on `out/`: a plan made while a build runs is advisory, and a layout
/// being swapped in reads as out of date.
pub fn dry_run(registry: &Registry, order: &[String], env: &Env, rebuild: bool) -> Result<Vec<PackageResult>> {
    let options = Options {
        env: env.clone(),
        out: env.out.clone(),
        jobs: 1,
        rebuild,
        engines: vec![env.engines(None)],
        label: "build",
        record: false,
        check_runtime: false,
        given: BTreeMap::new(),
        dry_run: true,
        substitutes: Default::default(),
        store: None,
        cpus: None,
    };
    tokio::runtime::Runtime::new()?.block_on(build_all(registry, order, &options))
}

/// Where and how a build runs.
#[derive(Clone)]
pub struct Options {
    /// The run's environment: the tree, the source cache and mirrors.
    pub env: Env,
    /// Where layouts, tarballs and logs go (`out/`, or a scratch area for reproduce).
    pub out: PathBuf,
    pub jobs: usize,
    pub rebuild: bool,
    /// The engines to build on: one (as found), or each one given.
    pub engines: Vec<Engines>,
    /// Names the engine tags of this kind of run (`build`, `reproduce`).
    pub label: &'static str,
    /// Write each built package's entry into manifest/ (`build` does, `reproduce` not).
    pub record: bool,
    /// Check that every ELF file of each image finds what it loads in the image or its
    /// runtime dependencies, which are then in the order and settled first (`build`).
    pub check_runtime: bool,
    /// Dependencies taken as they are: name -> digest of the verified layout already in
    /// `out`. They are not built; packages needing them start from them.
    pub given: BTreeMap<String, String>,
    /// Decide what is up to date, build nothing.
    pub dry_run: bool,
    /// Where an image may be fetched instead of built (`build --substitute`).
    pub substitutes: crate::distribution::substitute::Substitutes,
    /// The registry dependencies reach the engines through (`build --store`), else none:
    /// they are streamed over each engine's API.
    pub store: Option<Store>,
    /// CPUs each build is given (`--cpus`), else every CPU of its engine.
    pub cpus: Option<u32>,
}

/// The registry of `build --store`, and how to speak to it.
#[derive(Debug, Clone)]
pub struct Store {
    pub target: Target,
    pub transport: TransportArgs,
}

/// One package's result.
#[derive(Debug, Clone)]
pub struct PackageResult {
    pub name: String,
    pub outcome: Outcome,
    pub elapsed: Duration,
    /// When it started, from the start of the run (none if it never started).
    pub started: Option<Duration>,
    /// The engine it was built on ("Docker 20.10.24"), when it was built.
    pub engine: Option<String>,
    /// The machine it was built on, when it was built.
    pub machine: Option<crate::machine::Machine>,
}

/// One package in `build --json`.
#[derive(Serialize)]
struct PackageReport<'a> {
    name: &'a str,
    /// `built`, `up to date`, `failed`, `skipped`, `would build`.
    status: &'static str,
    digest: Option<&'a str>,
    seconds: f64,
    /// When it started, in seconds from the start of the run; none if it never did.
    started: Option<f64>,
    /// Why it failed, or which dependency it was skipped for.
    error: Option<&'a str>,
    /// Where a substituted image came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'a str>,
    /// The engine it was built on.
    #[serde(skip_serializing_if = "Option::is_none")]
    engine: Option<&'a str>,
    /// The machine it was built on (as receipts record it).
    #[serde(skip_serializing_if = "Option::is_none")]
    machine: Option<&'a crate::machine::Machine>,
}

fn report(results: &[PackageResult], elapsed: Duration, json: bool) -> Result<ExitCode> {
    let failed =
        results.iter().filter(|r| matches!(r.outcome, Outcome::Failed { .. } | Outcome::Skipped { .. })).count();
    let would_build = results.iter().filter(|r| r.outcome == Outcome::WouldBuild).count();
    if json {
        let items: Vec<PackageReport> = results
            .iter()
            .map(|r| PackageReport {
                name: &r.name,
                status: r.outcome.label(),
                digest: r.outcome.digest(),
                seconds: (r.elapsed.as_secs_f64() * 10.0).round() / 10.0,
                started: r.started.map(|s| (s.as_secs_f64() * 10.0).round() / 10.0),
                error: match &r.outcome {
                    Outcome::Failed { error } => Some(error),
                    Outcome::Skipped { because } => Some(because),
                    _ => None,
                },
                source: match &r.outcome {
                    Outcome::Substituted { source, .. } => Some(source),
                    _ => None,
                },
                engine: r.engine.as_deref(),
                machine: r.machine.as_ref(),
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&items)?);
    } else {
        for r in results {
            let detail = match &r.outcome {
                Outcome::Built { digest } | Outcome::UpToDate { digest } => digest.clone(),
                Outcome::Substituted { digest, source } => format!("{digest} from {source}"),
                Outcome::Failed { error } => error.lines().next().unwrap_or_default().to_owned(),
                Outcome::Skipped { because } => format!("because {because}"),
                Outcome::WouldBuild => String::new(),
            };
            eprintln!("{:<16} {:<11} {:>7.1}s  {detail}", r.name, r.outcome.label(), r.elapsed.as_secs_f64());
        }
        let count = |label: &str| results.iter().filter(|r| r.outcome.label() == label).count();
        let pending = if would_build > 0 { format!(", {would_build} would build") } else { String::new() };
        // With several engines: what each built and how long it was busy building.
        let mut busy: BTreeMap<&str, (usize, f64)> = BTreeMap::new();
        for r in results {
            if let (Some(engine), Outcome::Built { .. }) = (&r.engine, &r.outcome) {
                let entry = busy.entry(engine).or_default();
                entry.0 += 1;
                entry.1 += r.elapsed.as_secs_f64();
            }
        }
        if busy.len() > 1 {
            for (engine, (built, seconds)) in &busy {
                eprintln!("{engine}: built {built}, busy {seconds:.1}s");
            }
        }
        let substituted = match count("substituted") {
            0 => String::new(),
            n => format!(", {n} substituted"),
        };
        eprintln!(
            "{} built{substituted}, {} up to date, {} failed, {} skipped{pending} in {:.1}s",
            count("built"),
            count("up to date"),
            count("failed"),
            count("skipped"),
            elapsed.as_secs_f64()
        );
    }
    Ok(cli::verdict(failed == 0))
}
