//! `cargo xtask reproduce`: rebuild from scratch and compare with manifest/.
//!
//! Users trust an image because they rebuilt it and got the same bytes. Each package is
//! rebuilt with no engine cache in a scratch area (never `out/`), starting from exactly
//! the dependency images manifest/ records: a dependency's layout is taken from `out/`
//! only when its blobs verify to the recorded digest; otherwise it is rebuilt first, and
//! only a rebuild that gives the recorded digest is used. A package whose dependency
//! cannot be had at its recorded digest is not built at all and is reported as such:
//! starting it from other bytes would compare it with something it was never built from.
//!
//! Builds run in waves, each in its own directory: a wave builds in parallel the packages
//! whose dependencies are all at hand at their recorded digests (linked into the wave's
//! directory) and of which none is a dependency of another: that directory holds each
//! dependency once, as the recorded image, never as this run's rebuild. The scratch area (`target/reproduce/run-*`) is removed when everything reproduced, and
//! kept, with the path printed, when something did not.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde::Serialize;
use serde_json::{json, Value};

use crate::build::{self, Outcome};
use crate::cli::{self, EngineArg, JobsArg, JsonArg};
use crate::env::Env;
use crate::image::diff::{self, Difference, Side};
use crate::image::layout;
use crate::machine::Machine;
use crate::manifest::Manifest;
use crate::registry::Registry;
use crate::trust::receipt;

#[derive(clap::Args)]
pub struct ReproduceArgs {
    /// Packages to reproduce (default: every package recorded in manifest/, but the second
    /// root of the toolchain proof).
    pub packages: Vec<String>,
    #[command(flatten)]
    pub engine: EngineArg,
    #[command(flatten)]
    pub json: JsonArg,
    #[command(flatten)]
    pub jobs: JobsArg,
    #[command(flatten)]
    pub cpus: crate::cli::CpusArg,
}

/// How reproducing one package ended.
enum Verdict {
    Reproduced,
    /// Built, with another digest; `differences` says what differs.
    Differs {
        got: String,
        differences: Vec<Difference>,
        note: Option<String>,
    },
    /// Not built, or the build failed: `got` is absent.
    NotBuilt {
        reason: String,
    },
}

struct Report {
    name: String,
    expected: String,
    /// The rebuilt layout, in the scratch area.
    layout: Option<PathBuf>,
    verdict: Verdict,
    elapsed: Duration,
    /// Set when the image reproduced but manifest/ recorded it for other inputs (the
    /// recipe or a dependency changed without changing the image): the entry is stale.
    stale_input: Option<String>,
    /// The machine it was rebuilt on.
    machine: Option<Machine>,
    /// The tool that rebuilt it.
    tool: String,
}

impl Report {
    fn got(&self) -> Option<&str> {
        match &self.verdict {
            Verdict::Reproduced => Some(&self.expected),
            Verdict::Differs { got, .. } => Some(got),
            Verdict::NotBuilt { .. } => None,
        }
    }

    fn to_json(&self) -> PackageReport<'_> {
        let differences: Vec<Value> = match &self.verdict {
            Verdict::Reproduced => vec![],
            Verdict::Differs { differences, note, .. } => {
                let mut list: Vec<Value> = differences.iter().map(Difference::to_json).collect();
                if let Some(note) = note {
                    list.push(json!({ "kind": "note", "scope": "metadata", "reason": note }));
                }
                list
            }
            Verdict::NotBuilt { reason } => vec![json!({ "kind": "not-built", "scope": "build", "reason": reason })],
        };
        PackageReport {
            name: &self.name,
            expected: &self.expected,
            got: self.got(),
            reproduced: matches!(self.verdict, Verdict::Reproduced),
            input_current: self.stale_input.is_none(),
            differences,
            machine: self.machine.as_ref(),
            tool: &self.tool,
        }
    }
}

/// One package in `reproduce --json`.
#[derive(Serialize)]
struct PackageReport<'a> {
    name: &'a str,
    /// The digest manifest/ records.
    expected: &'a str,
    /// The digest the rebuild gave; absent if it did not build.
    got: Option<&'a str>,
    reproduced: bool,
    /// False when manifest/ recorded the same image for other inputs.
    input_current: bool,
    /// As `diff --json` reports them, plus a `note` or a `not-built` reason.
    differences: Vec<Value>,
    /// Where it was rebuilt: `cpus`, `cpu_vendor`, `cpu_model`, `kernel`, `engine`,
    /// `storage_driver`, `rootless` (absent when nothing was built).
    machine: Option<&'a Machine>,
    /// The tool that rebuilt it, with its commit.
    tool: &'a str,
}

pub fn run(args: ReproduceArgs, env: &Env) -> Result<ExitCode> {
    let _lock = crate::workspace::OutLock::exclusive(&env.out)?;
    let root = env.root.clone();
    let registry = Registry::load(&root)?;
    let manifest = Manifest::load(&root)?;
    let wanted = wanted(&args.packages, &registry, &manifest)?;
    let cpus = args.cpus.resolve()?;
    let tool = receipt::tool();
    let order = registry.order(wanted.iter().cloned())?;
    let out = env.out.clone();

    // What is at hand at its recorded digest: verified layouts in out/, then every
    // rebuild that reproduced.
    let mut recorded: BTreeMap<String, PathBuf> = BTreeMap::new();
    for name in &order {
        let Some(entry) = manifest.get(name) else { continue };
        let dir = out.join(name);
        if dir.join("index.json").exists() && layout::verify(&dir).ok().as_deref() == Some(entry.digest.as_str()) {
            recorded.insert(name.clone(), dir);
        }
    }
    // Every wanted package is rebuilt; a dependency only when it is not at hand.
    let mut pending: Vec<String> =
        order.iter().filter(|name| wanted.contains(*name) || !recorded.contains_key(*name)).cloned().collect();

    let scratch_parent = root.join("target").join("reproduce");
    std::fs::create_dir_all(&scratch_parent).with_context(|| format!("creating {}", scratch_parent.display()))?;
    let scratch = tempfile::Builder::new()
        .prefix("run-")
        .tempdir_in(&scratch_parent)
        .with_context(|| format!("creating a scratch area in {}", scratch_parent.display()))?;
    let runtime = tokio::runtime::Runtime::new()?;
    let started = Instant::now();
    let mut reports: BTreeMap<String, Report> = BTreeMap::new();
    let mut wave = 0;
    while !pending.is_empty() {
        // A package is ready when every dependency is at hand at its recorded digest,
        // waits while one is still to be rebuilt, and is not built at all once one is
        // settled without its recorded digest.
        let mut ready = Vec::new();
        let mut still = Vec::new();
        for name in std::mem::take(&mut pending) {
            let package = registry.get(&name)?;
            let expected = manifest.get(&name).map(|e| e.digest.clone()).unwrap_or_default();
            let missing = package.deps.iter().find(|d| !recorded.contains_key(*d) && reports.contains_key(*d));
            if let Some(dep) = missing {
                let reason = match manifest.get(dep) {
                    None => format!("{dep} has no entry in manifest/, so the image {name} was built from is unknown"),
                    Some(entry) => format!(
                        "dependency {dep} did not reproduce (manifest/ records {}, the rebuild gave {}), and {name} is \
                         only ever rebuilt from the recorded images",
                        entry.digest,
                        reports[dep].got().unwrap_or("nothing")
                    ),
                };
                eprintln!("not rebuilding {name}: {reason}");
                let verdict = Verdict::NotBuilt { reason };
                reports.insert(
                    name.clone(),
                    Report {
                        name,
                        expected,
                        layout: None,
                        verdict,
                        elapsed: Duration::ZERO,
                        stale_input: None,
                        machine: None,
                        tool: tool.clone(),
                    },
                );
            } else if package.deps.iter().all(|d| recorded.contains_key(d)) {
                ready.push(name);
            } else {
                still.push(name);
            }
        }
        // A wave's out dir holds each dependency once: the recorded image. A package
        // rebuilt in it must not be the dependency of another one, so such dependents wait
        // for the next wave.
        let (ready, later): (Vec<String>, Vec<String>) =
            ready.iter().cloned().partition(|name| registry.packages[name].deps.iter().all(|d| !ready.contains(d)));
        still.extend(later);
        still.sort_by_key(|name| order.iter().position(|n| n == name));
        pending = still;
        if ready.is_empty() {
            if pending.is_empty() {
                break;
            }
            bail!("no package of {} can start: the dependency graph is inconsistent", pending.join(", "));
        }
        wave += 1;
        let dir = scratch.path().join(format!("wave-{wave}"));
        let mut given = BTreeMap::new();
        for name in &ready {
            for dep in &registry.get(name)?.deps {
                if !given.contains_key(dep) {
                    link_tree(&recorded[dep], &dir.join(dep))?;
                    given.insert(
                        dep.clone(),
                        manifest.get(dep).expect("a recorded dependency has an entry").digest.clone(),
                    );
                }
            }
        }
        let options = build::Options {
            substitutes: Default::default(),
            env: env.clone(),
            out: dir.clone(),
            jobs: args.jobs.get(1),
            rebuild: true,
            engines: vec![env.engines(args.engine.engine.as_deref())],
            label: "reproduce",
            record: false,
            check_runtime: false,
            given,
            dry_run: false,
            store: None,
            cpus,
        };
        eprintln!("rebuilding {} in {}", ready.join(", "), dir.display());
        let results = runtime.block_on(build::build_all(&registry, &ready, &options))?;
        for result in results {
            let name = result.name.clone();
            let expected = manifest.get(&name).map(|e| e.digest.clone());
            let layout_dir = dir.join(&name);
            let mut stale_input = None;
            let verdict = match (&result.outcome, &expected) {
                (Outcome::Built { digest }, Some(expected)) if digest == expected => {
                    recorded.insert(name.clone(), layout_dir.clone());
                    let input = crate::registry::input::current_input(&registry, &manifest, &name)?;
                    let entry = manifest.get(&name).map(|e| e.input.clone()).unwrap_or_default();
                    if input != entry {
                        stale_input = Some(format!(
                            "manifest/packages/{name}.toml records input {entry}, this tree gives {input}: the \
                             recipe or a dependency changed without changing the image; `cargo xtask build {name}` \
                             rewrites the entry"
                        ));
                    }
                    // What `sign` requires: this maintainer rebuilt this recipe and got this digest.
                    receipt::write(
                        &out,
                        &receipt::Receipt {
                            package: name.clone(),
                            version: registry.get(&name)?.version.clone(),
                            input,
                            digest: digest.clone(),
                            engine: result.engine.clone().unwrap_or_default(),
                            reproduced_at: crate::trust::utc(std::time::SystemTime::now()),
                            seconds: result.elapsed.as_secs_f64(),
                            tool: tool.clone(),
                            machine: result.machine.clone(),
                        },
                    )?;
                    Verdict::Reproduced
                }
                (Outcome::Built { digest } | Outcome::UpToDate { digest }, _) => {
                    let expected_dir = recorded.get(&name).cloned();
                    explain(
                        &env.out,
                        &registry,
                        &manifest,
                        &name,
                        digest,
                        expected_dir.as_deref(),
                        &layout_dir,
                        scratch.path(),
                    )
                    .unwrap_or_else(|error| Verdict::Differs {
                        got: digest.clone(),
                        differences: vec![],
                        note: Some(format!("the two images could not be compared: {error:#}")),
                    })
                }
                (Outcome::Failed { error }, _) => Verdict::NotBuilt {
                    reason: format!(
                        "the build failed: {error} (log: {})",
                        dir.join("logs").join(format!("{name}.log")).display()
                    ),
                },
                (Outcome::Skipped { because }, _) => {
                    Verdict::NotBuilt { reason: format!("not built because {because}") }
                }
                (Outcome::WouldBuild, _) => Verdict::NotBuilt { reason: "a dry run builds nothing".into() },
                // A reproduce has no substitutes: it rebuilds.
                (Outcome::Substituted { source, .. }, _) => {
                    Verdict::NotBuilt { reason: format!("substituted from {source}, not rebuilt") }
                }
            };
            reports.insert(
                name.clone(),
                Report {
                    name,
                    expected: expected.unwrap_or_default(),
                    layout: Some(layout_dir),
                    verdict,
                    elapsed: result.elapsed,
                    stale_input,
                    machine: result.machine.clone(),
                    tool: tool.clone(),
                },
            );
        }
    }
    let elapsed = started.elapsed();

    // Dependency order: a dependency that did not reproduce comes before what it stopped.
    let shown: Vec<&Report> = order.iter().filter_map(|n| reports.get(n)).collect();
    let all_reproduced = shown.iter().all(|r| matches!(r.verdict, Verdict::Reproduced));
    if args.json.json {
        let items: Vec<PackageReport> = shown.iter().map(|r| r.to_json()).collect();
        println!("{}", serde_json::to_string_pretty(&items)?);
    } else {
        for report in &shown {
            print!("{}", render(report));
        }
    }
    let count = shown.iter().filter(|r| matches!(r.verdict, Verdict::Reproduced)).count();
    eprintln!("{count} of {} reproduced in {:.1}s", shown.len(), elapsed.as_secs_f64());
    if all_reproduced {
        scratch.close().context("removing the scratch area")?;
        Ok(ExitCode::SUCCESS)
    } else {
        let kept = scratch.keep();
        eprintln!("rebuilt layouts and logs kept in {}", kept.display());
        Ok(cli::verdict(false))
    }
}

/// The packages to reproduce: those named, else every one manifest/ records (but the
/// second root of the toolchain proof, reproduced only when named).
fn wanted(named: &[String], registry: &Registry, manifest: &Manifest) -> Result<BTreeSet<String>> {
    if named.is_empty() {
        let mut wanted = BTreeSet::new();
        let proof = registry.proof_only();
        for name in manifest.entries.keys() {
            if proof.contains(name) {
                continue;
            }
            if registry.packages.contains_key(name) {
                wanted.insert(name.clone());
            } else {
                eprintln!("warning: manifest/ records {name}, which the tree no longer has: not reproduced");
            }
        }
        if wanted.is_empty() {
            bail!("manifest/ records no package of this tree: build some first with `cargo xtask build`");
        }
        return Ok(wanted);
    }
    for name in named {
        registry.get(name)?;
        if manifest.get(name).is_none() {
            bail!("{name} has no entry in manifest/: there is nothing to reproduce; build it first with `cargo xtask build {name}`");
        }
    }
    Ok(named.iter().cloned().collect())
}

/// The verdict of a rebuild whose digest is not the recorded one.
#[allow(clippy::too_many_arguments)]
fn explain(
    out: &Path,
    registry: &Registry,
    manifest: &Manifest,
    name: &str,
    got: &str,
    expected_dir: Option<&Path>,
    got_dir: &Path,
    scratch: &Path,
) -> Result<Verdict> {
    let Some(entry) = manifest.get(name) else {
        return Ok(Verdict::Differs {
            got: got.to_owned(),
            differences: vec![],
            note: Some(format!("{name} has no entry in manifest/")),
        });
    };
    // Inputs: a rebuild of a changed tree is not a reproduction of the recorded one.
    let input = crate::registry::input::current_input(registry, manifest, name)?;
    let mut notes = Vec::new();
    if input != entry.input {
        notes.push(format!(
            "the inputs of {name} changed since manifest/ recorded it (input {} there, {input} now): the tree is \
             not the one that was recorded",
            entry.input
        ));
    }
    let got_side = Side::open(got_dir)?;
    let differences = match expected_dir {
        Some(expected_dir) => {
            let expected_side = Side::open(expected_dir)?;
            let differences = diff::compare(&expected_side, &got_side);
            let files = scratch.join(format!("{name}.files"));
            diff::extract(&differences, &expected_side, &got_side, &files.join("expected"), &files.join("got"))?;
            differences
        }
        None => {
            // Without the expected image, the recorded digests still say which part differs.
            let part = if got_side.diff_id != entry.diff_id {
                "its layer differs (another diff_id), so files differ"
            } else if got_side.layer_digest.as_deref() != Some(entry.layer.as_str()) {
                "its layer has the same files but is compressed differently"
            } else {
                "its layer is the same; only the config or manifest differ"
            };
            notes.push(format!(
                "{part}; no layout with the recorded digest is in {} to compare file by file (one copied from the \
                 machine that recorded it would do)",
                out.display()
            ));
            vec![]
        }
    };
    Ok(Verdict::Differs { got: got.to_owned(), differences, note: (!notes.is_empty()).then(|| notes.join("; ")) })
}

/// The human report of one package: a headline, then what differs.
fn render(report: &Report) -> String {
    let mut out = String::new();
    let seconds = report.elapsed.as_secs_f64();
    match &report.verdict {
        Verdict::Reproduced => {
            out.push_str(&format!("{}: reproduced {} ({seconds:.1}s)\n", report.name, report.expected));
            if let Some(stale) = &report.stale_input {
                out.push_str(&format!("  note: {stale}\n"));
            }
        }
        Verdict::Differs { got, differences, note } => {
            out.push_str(&format!("{}: NOT reproduced ({seconds:.1}s)\n", report.name));
            out.push_str(&format!("  expected {}  (manifest/packages/{}.toml)\n", report.expected, report.name));
            let kept = report.layout.as_ref().map(|p| format!("  ({})", p.display())).unwrap_or_default();
            out.push_str(&format!("  got      {got}{kept}\n"));
            if let Some(note) = note {
                out.push_str(&format!("  note: {note}\n"));
            }
            if !differences.is_empty() {
                out.push_str(&diff::render(differences, "expected", "got"));
                if let Some(layout) = &report.layout {
                    let files =
                        layout.parent().and_then(Path::parent).map(|s| s.join(format!("{}.files", report.name)));
                    if let Some(files) = files {
                        out.push_str(&diff::diffoscope_hint(differences, &files.join("expected"), &files.join("got")));
                    }
                }
            }
        }
        Verdict::NotBuilt { reason } => {
            out.push_str(&format!("{}: NOT reproduced: not rebuilt\n", report.name));
            out.push_str(&format!("  expected {}\n  got      nothing: {reason}\n", report.expected));
        }
    }
    out
}

/// Links (or, across file systems, copies) a layout into the scratch area.
fn link_tree(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    for item in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let item = item?;
        let (source, target) = (item.path(), to.join(item.file_name()));
        if item.file_type()?.is_dir() {
            link_tree(&source, &target)?;
        } else if std::fs::hard_link(&source, &target).is_err() {
            std::fs::copy(&source, &target)
                .with_context(|| format!("copying {} to {}", source.display(), target.display()))?;
        }
    }
    Ok(())
}
